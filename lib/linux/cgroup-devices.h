/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device access control through cgroups (config-linux.md "Allowed Device
 * Cgroup"): the rule list a container gets, written to a v1 devices cgroup
 * (devices.deny / devices.allow) or compiled into a cgroup v2
 * BPF_PROG_TYPE_CGROUP_DEVICE program.
 */
#ifndef CTR_LIB_LINUX_CGROUP_DEVICES_H
#define CTR_LIB_LINUX_CGROUP_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "spec/oci.h"

struct json_object;

#define CTR_DEV_READ 1u
#define CTR_DEV_WRITE 2u
#define CTR_DEV_MKNOD 4u
#define CTR_DEV_ALL (CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD)

struct ctr_dev_rule {
	bool allow;
	char type;             /* 'a', 'c', 'b' */
	int64_t major, minor;  /* -1: any */
	unsigned access;       /* CTR_DEV_READ|CTR_DEV_WRITE|CTR_DEV_MKNOD */
};

/*
 * The rules a container gets, in order, evaluated last-match-wins on top of
 * deny-by-default (as the spec says, later rules win): the runtime's default
 * devices (null, zero, full, random, urandom, tty, console, ptmx and the pts
 * devices, plus mknod of any node, as runc and crun allow); each linux.devices
 * entry (rwm on its type/major/minor); then linux.resources.devices in order.
 * A "deny all" entry there ({"allow": false, "access": "rwm"}, as podman and
 * containerd write first) resets to deny-by-default and is followed again by
 * the defaults and linux.devices, so the container keeps /dev/null while the
 * later entries still win.  resources_devices is the JSON array of
 * linux.resources.devices (or of an update's "devices"); NULL: none.  Errors
 * name the JSON path: "linux.resources.devices[2].access: 'rwx' is not ...".
 * cfg may be NULL (an update: the defaults and resources_devices only).
 * *rules is freed with free().
 */
int ctr_cgdev_rules_build(const struct oci_config *cfg, struct json_object *resources_devices,
			  struct ctr_dev_rule **rules, size_t *n, ctr_error **err);

/*
 * Parse one linux.resources.devices entry (what: "linux.resources.devices[2]"
 * for messages).  Exposed for the update path and the tests.
 */
int ctr_cgdev_rule_from_json(struct json_object *obj, const char *what, struct ctr_dev_rule *out,
			     ctr_error **err);

/* "c 1:3 rwm", "a *:* rwm" (v1 syntax) into buf; returns buf. */
const char *ctr_cgdev_rule_format(const struct ctr_dev_rule *r, char *buf, size_t len);

/*
 * cgroup v1: the rules are run through the kernel's model (a default, deny
 * or allow, and a list of exceptions) and the result is written: "a" to
 * devices.deny (or devices.allow when an allow-all leaves the default open),
 * then the exceptions.  A cgroup that is deny-by-default already (an update)
 * is moved to the new list by adding before removing, with no reset, so the
 * container keeps its devices throughout.  What v1 cannot express (a deny
 * carved out of an earlier wildcard allow, other than mknod) is refused
 * before anything is written.  devices_cgroup_dirfd is a directory (or
 * O_PATH) fd of the container's cgroup in the devices hierarchy.
 */
int ctr_cgdev_apply_v1(int devices_cgroup_dirfd, const struct ctr_dev_rule *rules, size_t n, ctr_error **err);

/*
 * cgroup v2: load a BPF_PROG_TYPE_CGROUP_DEVICE program built from the rules
 * (raw bpf(2), no libbpf; the verifier log in the error on failure) and attach
 * it to the cgroup with BPF_F_ALLOW_MULTI.  The program denies by default and
 * evaluates the rules last-match-wins.  On an update the program that libctr
 * attached before (found with BPF_PROG_QUERY, recognised by its name) is
 * replaced atomically with BPF_F_REPLACE, so the cgroup is never without a
 * program; programs others attached are left alone.  replace_only: only such
 * a replacement, nothing attached where libctr has no program (a hybrid
 * host's update, see ctr_cgroup_apply).
 */
int ctr_cgdev_apply_v2(int cgroup2_dirfd, const struct ctr_dev_rule *rules, size_t n, bool replace_only,
		       ctr_error **err);

/* At most this many instructions per rule in the device program (see build_prog). */
#define CTR_CGDEV_INSNS_PER_RULE 16

struct bpf_insn;
/*
 * The cgroup v2 device program of the rules (what ctr_cgdev_apply_v2 loads),
 * *len instructions; freed with free(), NULL when out of memory.  Exposed for
 * the tests, which run it through an interpreter against the rules.
 */
struct bpf_insn *ctr_cgdev_prog_build(const struct ctr_dev_rule *rules, size_t n, size_t *len);

/* The name libctr gives its device programs (BPF_OBJ_NAME_LEN bounds it). */
#define CTR_CGDEV_PROG_NAME "ctr_devices"

/* The device programs attached to a cgroup2 directory itself (not inherited ones). */
struct ctr_cgdev_prog {
	uint32_t id;
	char name[16];
};
/* *progs is freed with free(). */
int ctr_cgdev_v2_query(int cgroup2_dirfd, struct ctr_cgdev_prog **progs, size_t *n, ctr_error **err);

#endif

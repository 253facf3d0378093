/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container handle, shared by container.c and exec.c. */
#ifndef CTR_LIB_LINUX_CONTAINER_INTERNAL_H
#define CTR_LIB_LINUX_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "internal.h"
#include "spec/oci.h"

struct json_object;
struct ctr_cgroup;

struct ctr_container {
	ctr_context *ctx;
	char *id;
	char *dir;                 /* <state_root>/<id> */
	int dirfd;                 /* open state dir, -1 after delete; flock'ed during create/start/delete */
	char *bundle, *rootfs, *created, *oci_version;
	struct json_object *annotations; /* NULL: none */
	pid_t pid;
	unsigned long long start_time;   /* field 22 of /proc/<pid>/stat */
	int pidfd;
	bool own_pidns;
	ctr_status recorded;       /* as in state.json */
	bool is_parent;            /* this process created it: it can reap it */
	bool reaped;
	int exit_status;
	int console_fd;
	bool hook_flags_known;     /* state.json said whether poststart/poststop hooks exist */
	bool no_poststart, no_poststop; /* then config.json need not be parsed for them */
	ctr_spec *spec;            /* loaded lazily from config.json when not created here */
	struct oci_config *cfg;
	struct ctr_cgroup *cg;     /* the container's cgroups (state.json "cgroups"); NULL: none */
	int stdio_pipes[3];        /* CTR_CREATE_STDIO_PIPES: the caller's ends, until taken; -1 */
	int rootfs_mnt_id;         /* no mount namespace: the mount id of the rootfs bind in the caller's
				    * namespace (state.json "rootfsMountId"), unmounted at delete; 0: none */
};

int ctr_container_save_state(struct ctr_container *c, ctr_error **err);
/* Take / release the state dir's flock: one lifecycle operation on a container at a time. */
int ctr_container_lock(struct ctr_container *c, ctr_error **err);
void ctr_container_unlock(struct ctr_container *c);
int ctr_container_config(ctr_container *c, const struct oci_config **out, ctr_error **err);
unsigned long long ctr_pid_start_time(pid_t pid, bool *zombie);
/* Three pipes for CTR_*_STDIO_PIPES: mine[] the caller's ends (stdin's write end, stdout's and stderr's read ends). */
int ctr_stdio_pipes(int mine[3], int theirs[3], ctr_error **err);
/* ctr_net_edit_spec (lib/net) with mode container:<id> resolved to that container's namespace (container-net.c). */
int ctr_container_net_edit_spec(ctr_context *ctx, const ctr_net_request *q, ctr_spec *spec, const char *state_dir,
				ctr_error **err);

#endif

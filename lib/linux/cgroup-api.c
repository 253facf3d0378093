/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup side of the container lifecycle: placing the container process
 * at create, and the public calls that act through the cgroups (pause,
 * resume, update, pids, stats, OOM kills) plus the runtime-spec features
 * document.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>
#include <json-c/json.h>
#include <seccomp.h>

#include "linux/cgroup.h"
#include "linux/container-internal.h"
#include "linux/lifecycle.h"
#include "spec/spec-internal.h"

/*
 * A new cgroup namespace is unshared by the child once it is in its cgroups,
 * not made by clone: with CLONE_INTO_CGROUP the kernel would root it at the
 * caller's cgroup (namespaces are copied from the parent's css_set).
 */
static void move_cgroup_ns(struct ctr_plan *plan)
{
	if (plan->clone_flags & CLONE_NEWCGROUP) {
		plan->clone_flags &= ~(uint64_t)CLONE_NEWCGROUP;
		plan->cg_unshare = true;
	}
}

/* the cgroups go into state.json as soon as they exist: delete after a creator killed from here on removes them */
static int record_cgroups(void *ud, struct ctr_cgroup *cg, ctr_error **err)
{
	struct ctr_container *c = ud;
	c->cg = cg;
	return ctr_container_save_state(c, err);
}

/*
 * A "cgroup" mount on a pure v2 host in a container without a cgroup
 * namespace of its own: a new cgroup2 mount would show the whole hierarchy
 * from its root (where no limit file exists), so bind the container's own
 * cgroup there instead, as crun does: a program finds its limits at
 * /sys/fs/cgroup/memory.max and sees no other cgroup.  Always read-only:
 * without a cgroup namespace the kernel does not stop the container's root
 * from writing its own limits (in one, it refuses writes to the files of
 * the namespace's root cgroup).  With a cgroup namespace the child's cgroup2
 * mount is rooted at its cgroup already.
 */
static int bind_own_v2_cgroup(struct ctr_container *c, struct ctr_plan *plan, ctr_error **err)
{
	if (c->cg->mode != CTR_CG_V2 || ctr_plan_own_cgroup_ns(plan))
		return 0;
	const char *dir = NULL;
	for (size_t i = 0; i < c->cg->n; i++)
		if (c->cg->h[i].v2)
			dir = c->cg->h[i].dir;
	for (size_t i = 0; dir && i < plan->n_mnts; i++) {
		struct ctr_mnt *m = &plan->mnts[i];
		if (m->kind != CTR_MNT_CGROUP)
			continue;
		char *src = strdup(dir);
		if (!src)
			return ctr_err_nomem(err);
		free(m->src);
		m->src = src;
		m->kind = CTR_MNT_BIND;
		m->rec = false;
		m->file_target = false;
		/* the flags come by a remount of the bind */
		m->flags |= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		m->ro_remount = true;
	}
	return 0;
}

/* linux.resources.cpu.cpus or .mems given */
static bool cpuset_asked(const struct oci_config *cfg)
{
	struct json_object *cpu, *v;
	if (!cfg->linux_.resources || !json_object_object_get_ex(cfg->linux_.resources, "cpu", &cpu) ||
	    !json_object_is_type(cpu, json_type_object))
		return false;
	static const char *const keys[] = {"cpus", "mems"};
	for (size_t i = 0; i < 2; i++)
		if (json_object_object_get_ex(cpu, keys[i], &v) && json_object_is_type(v, json_type_string) &&
		    *json_object_get_string(v))
			return true;
	return false;
}

/*
 * Whether the v1 cgroups (pure v2: the resources) can come after the clone:
 * for root without a user namespace and without the intermediate process.
 * With a cgroup namespace (new, not joined) only on a pure v2 host, where
 * the child is born in its cgroup (clone3 into it: no cpuset, see
 * ctr_cgroup_prepare) and unshares the namespace first thing, rooted there
 * already.  Elsewhere the child joins its cgroups first, and a late join
 * would come after the namespace it roots.
 */
static bool late_possible(const struct ctr_plan *plan, const struct ctr_cg_layout *l, const struct oci_config *cfg)
{
	if (plan->has_userns || plan->userns_new || plan->join_pid_or_time || plan->ns_fds[OCI_NS_CGROUP] >= 0 ||
	    !ctr_cgroup_can_defer(l))
		return false;
	return !ctr_plan_new_cgroup_ns(plan) || (l->mode == CTR_CG_V2 && !cpuset_asked(cfg));
}

int ctr_cgroup_prepare(struct ctr_container *c, const struct oci_config *cfg, unsigned flags, struct ctr_plan *plan,
		       const struct ctr_cg_layout *l, int *fds, bool *parent_enters, bool *late, ctr_error **err)
{
	int r;
	bool systemd = (flags & CTR_CREATE_SYSTEMD_CGROUP) != 0;
	*parent_enters = *late = false;
	if (late_possible(plan, l, cfg)) {
		r = ctr_cgroup_create_v2_first(l, cfg, c->id, systemd, record_cgroups, c, &c->cg, err);
		if (r < 0) {
			c->cg = NULL; /* freed by the failed create; its dirs are gone */
			return r;
		}
		*late = plan->cg_wait = true;
		/*
		 * A child spawned sharing our memory is cloned into its cgroup by
		 * clone3 where that works (ctr_clone3_fn); else (clone) it joins the
		 * unified one with the v1 ones, at the go, or, with a cgroup
		 * namespace (pure v2, late_possible), which it must unshare in its
		 * cgroup, it is forked instead (clone3 into the cgroup again, or
		 * where that is refused the fallback joins every cgroup first).  A
		 * pure v2 cpuset: joined at the go, as below.  (The probe comes
		 * after the cgroup's mkdir: a creator killed at its first clone3
		 * leaves the cgroup it recorded.)
		 */
		if (c->cg && plan->shared_vm && !ctr_clone3_fn_works()) {
			if (ctr_plan_new_cgroup_ns(plan))
				plan->shared_vm = false;
			else
				c->cg->no_clone_into = true;
		}
		if (c->cg && c->cg->mode == CTR_CG_V2 && cpuset_asked(cfg))
			c->cg->no_clone_into = true;
		/* the cgroup namespace: unshared by the child, born in its cgroup */
		move_cgroup_ns(plan);
		return bind_own_v2_cgroup(c, plan, err);
	}
	r = ctr_cgroup_create_recorded(l, cfg, c->id, systemd, record_cgroups, c, &c->cg, err);
	if (r < 0)
		c->cg = NULL; /* freed by the failed create; its dirs are gone */
	if (r < 0 || !c->cg)
		return r;
	/*
	 * The unified cgroup (pure v2 and hybrid) by clone3 CLONE_INTO_CGROUP, the
	 * v1 ones by a join.  Not with a cpuset asked for: before the fix of
	 * cpuset_fork() for CLONE_INTO_CGROUP (Linux 6.2, not in every stable
	 * series: Debian 11's 5.10 lacks it) a process cloned into a cpuset keeps
	 * the caller's CPU affinity; a join (a migration) applies the cpuset.
	 * Nor for a child sharing our memory where clone3 cannot start it
	 * (ctr_clone3_fn_works): clone() has no CLONE_INTO_CGROUP.  A join of a
	 * v2 cgroup (cgroup.procs) takes cgroup_threadgroup_rwsem for writing,
	 * which waits for an RCU grace period when no writer came shortly
	 * before: 6-9 ms in 2 of 60 runs here.
	 */
	if (cpuset_asked(cfg) || (plan->shared_vm && !ctr_clone3_fn_works()))
		c->cg->no_clone_into = true;
	if ((r = ctr_cgroup_plan_self_join(c, plan, fds, ctr_cgroup_v2_fd(c->cg) >= 0, parent_enters, err)) < 0)
		return r;
	return bind_own_v2_cgroup(c, plan, err);
}

int ctr_cgroup_create_late(struct ctr_container *c, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			   unsigned flags, ctr_error **err)
{
	return ctr_cgroup_create_rest(c->cg, l, cfg, (flags & CTR_CREATE_SYSTEMD_CGROUP) != 0, record_cgroups, c, err);
}

int ctr_cgroup_prepare_rest(struct ctr_container *c, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			    unsigned flags, int *files, size_t *n, ctr_error **err)
{
	int dirs[CTR_CG_MAX_HIER];
	int r = ctr_cgroup_create_late(c, l, cfg, flags, err);
	if (r == 0)
		r = ctr_cgroup_fds(c->cg, ctr_cgroup_v2_fd(c->cg) >= 0, dirs, n, err); /* v2: unless cloned into it */
	return r < 0 ? r : ctr_cgroup_open_join_files(dirs, *n, files, err);
}

int ctr_cgroup_plan_self_join(struct ctr_container *c, struct ctr_plan *plan, int *fds, bool skip_v2,
			      bool *parent_enters, ctr_error **err)
{
	size_t n = 0;
	int r = ctr_cgroup_fds(c->cg, skip_v2, fds, &n, err);
	if (r < 0)
		return r;
	if (!n) {
		/* nothing to join */
	} else if (plan->userns_new) {
		/* in its new user namespace the child has no right to move itself: the runtime writes its pid */
		*parent_enters = true;
	} else {
		plan->cg_fds = fds;
		plan->n_cg_fds = n;
	}
	move_cgroup_ns(plan);
	return 0;
}

/* ---- public calls ---- */

static int need_cgroup(ctr_container *c, const char *what, ctr_error **err)
{
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: NULL container", what);
	if (!c->cg)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "container '%s' has no cgroup (created without one, e.g. rootless without delegation): "
			       "%s needs it",
			       c->id, what);
	return 0;
}

static int lock(ctr_container *c, ctr_error **err)
{
	if (c->dirfd < 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' was deleted", c->id);
	return ctr_container_lock(c, err);
}

static int set_paused(ctr_container *c, bool pause, ctr_error **err)
{
	const char *what = pause ? "pause" : "resume";
	int r = need_cgroup(c, what, err);
	if (r < 0 || (r = lock(c, err)) < 0)
		return r;
	ctr_status st = ctr_container_status(c);
	if (st != (pause ? CTR_STATUS_RUNNING : CTR_STATUS_PAUSED)) {
		ctr_container_unlock(c);
		return ctr_err(err, EBUSY, CTR_E_STATE, "container '%s' is %s: %s needs a %s container", c->id,
			       ctr_status_name(st), what, pause ? "running" : "paused");
	}
	r = ctr_cgroup_freeze(c->cg, pause, err);
	if (r == 0) {
		c->recorded = pause ? CTR_STATUS_PAUSED : CTR_STATUS_RUNNING;
		if ((r = ctr_container_save_state(c, err)) < 0 && pause) {
			ctr_error *e = NULL;
			(void)ctr_cgroup_freeze(c->cg, false, &e);
			ctr_error_free(e);
		}
	} else if (pause) {
		ctr_error *e = NULL;
		(void)ctr_cgroup_freeze(c->cg, false, &e);
		ctr_error_free(e);
	}
	ctr_container_unlock(c);
	return r;
}

CTR_EXPORT int ctr_container_pause(ctr_container *c, ctr_error **err)
{
	return set_paused(c, true, err);
}

CTR_EXPORT int ctr_container_resume(ctr_container *c, ctr_error **err)
{
	return set_paused(c, false, err);
}

CTR_EXPORT int ctr_container_update(ctr_container *c, const char *resources_json, ctr_error **err)
{
	int r = need_cgroup(c, "update", err);
	if (r < 0)
		return r;
	if (!resources_json)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_update: NULL resources");
	/* the typed checks of config.json's linux.resources, and no unknown field (a typo changes nothing) */
	json_object *res = NULL;
	if ((r = spec_json_parse(resources_json, strlen(resources_json), "resources JSON", &res, err)) < 0 ||
	    (r = oci_resources_check(res, "resources JSON", true, err)) < 0) {
		json_object_put(res);
		ctr_err_prefix(err, "update container '%s'", c->id);
		return r;
	}
	ctr_status st = ctr_container_status(c);
	if (st != CTR_STATUS_CREATED && st != CTR_STATUS_RUNNING && st != CTR_STATUS_PAUSED)
		r = ctr_err(err, ESRCH, CTR_E_STATE, "container '%s' is %s: update needs a live container", c->id,
			    ctr_status_name(st));
	else {
		/* the device rules are rebuilt from scratch on update: they need the
		 * container's linux.devices too, or those nodes stop opening */
		const struct oci_config *cfg = NULL;
		r = ctr_container_config(c, &cfg, err);
		if (r == 0)
			r = ctr_cgroup_apply(c->cg, cfg, res, true, err);
	}
	if (r < 0)
		ctr_err_prefix(err, "update container '%s'", c->id);
	json_object_put(res);
	return r;
}

CTR_EXPORT int ctr_container_pids(ctr_container *c, pid_t **pids, size_t *n, ctr_error **err)
{
	if (!pids || !n)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_pids: NULL argument");
	*pids = NULL;
	*n = 0;
	int r = need_cgroup(c, "pids", err);
	if (r < 0)
		return r;
	return ctr_cgroup_pids(c->cg, pids, n, err);
}

CTR_EXPORT int ctr_container_stats_json(ctr_container *c, char **out, ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_stats_json: NULL argument");
	int r = need_cgroup(c, "stats", err);
	json_object *o = NULL;
	if (r < 0 || (r = ctr_cgroup_stats(c->cg, &o, err)) < 0)
		return r;
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(o);
	return *out ? 0 : ctr_err_nomem(err);
}

CTR_EXPORT int ctr_container_event_fd(ctr_container *c, int *fd, ctr_error **err)
{
	int r;
	if (!c || !fd)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_event_fd: NULL argument");
	*fd = -1;
	if ((r = need_cgroup(c, "ctr_container_event_fd", err)) < 0)
		return r;
	return ctr_cgroup_event_fd(c->cg, fd, err);
}

CTR_EXPORT int ctr_container_event_clear(int fd, ctr_error **err)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EAGAIN)
			return 0;
		return ctr_err_sys(err, errno, "read the container's event fd %d", fd);
	}
}

CTR_EXPORT int ctr_container_oom_kills(ctr_container *c, uint64_t *count, ctr_error **err)
{
	if (!count)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_oom_kills: NULL argument");
	*count = 0;
	int r = need_cgroup(c, "OOM kill count", err);
	if (r < 0)
		return r;
	return ctr_cgroup_oom_kills(c->cg, count, err);
}

/* ---- features.md ---- */

static json_object *strv(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static bool file_says_yes(const char *path)
{
	char b[8] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 && (b[0] == 'Y' || b[0] == '1');
}

/* seccomp(2) answers EFAULT for a known flag with a NULL program, EINVAL for an unknown one */
static bool kernel_has_seccomp_flag(unsigned flag)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

CTR_EXPORT int ctr_features_json(char **out, ctr_error **err)
{
	static const char *const hooks[] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
					    "poststop"};
	static const char *const mount_opts[] = {
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
		"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
		"nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount", "ridmap",
		"ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime",
		"suid", "sync", "tmpcopyup", "unbindable"};
	static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
	static const char *const caps[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
		"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
		"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
		"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
		"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
		"CAP_CHECKPOINT_RESTORE"};
	static const char *const actions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
					      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
					      "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};
	static const char *const operators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
						"SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};
	static const char *const flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
	/* the kernel takes WAIT_KILLABLE_RECV (1 << 5) only with NEW_LISTENER (lib/linux/seccomp.c does the same) */
	static const unsigned flag_bits[] = {SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
					     SECCOMP_FILTER_FLAG_TSYNC, (1U << 5) | SECCOMP_FILTER_FLAG_NEW_LISTENER};
	static const struct {
		const char *oci, *scmp;
	} archs[] = {
		{"SCMP_ARCH_AARCH64", "aarch64"}, {"SCMP_ARCH_ARM", "arm"},	    {"SCMP_ARCH_MIPS", "mips"},
		{"SCMP_ARCH_MIPS64", "mips64"},	  {"SCMP_ARCH_MIPS64N32", "mips64n32"}, {"SCMP_ARCH_MIPSEL", "mipsel"},
		{"SCMP_ARCH_MIPSEL64", "mipsel64"}, {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
		{"SCMP_ARCH_PPC", "ppc"},	  {"SCMP_ARCH_PPC64", "ppc64"},	    {"SCMP_ARCH_PPC64LE", "ppc64le"},
		{"SCMP_ARCH_RISCV64", "riscv64"}, {"SCMP_ARCH_S390", "s390"},	    {"SCMP_ARCH_S390X", "s390x"},
		{"SCMP_ARCH_X32", "x32"},	  {"SCMP_ARCH_X86", "x86"},	    {"SCMP_ARCH_X86_64", "x86_64"},
	};
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_features_json: NULL argument");
	json_object *o = json_object_new_object(), *lx = json_object_new_object(), *cg = json_object_new_object(),
		    *sc = json_object_new_object(), *ar = json_object_new_array();
	if (!o || !lx || !cg || !sc || !ar) {
		json_object_put(o);
		json_object_put(lx);
		json_object_put(cg);
		json_object_put(sc);
		json_object_put(ar);
		return ctr_err_nomem(err);
	}
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string(CTR_OCI_VERSION));
	json_object_object_add(o, "hooks", strv(hooks, CTR_ARRAY_SIZE(hooks)));
	json_object_object_add(o, "mountOptions", strv(mount_opts, CTR_ARRAY_SIZE(mount_opts)));
	json_object_object_add(lx, "namespaces", strv(namespaces, CTR_ARRAY_SIZE(namespaces)));
	json_object *ca = json_object_new_array();
	for (size_t i = 0; ca && i < CTR_ARRAY_SIZE(caps); i++)
		if (ctr_cap_from_name(caps[i]) >= 0)
			json_object_array_add(ca, json_object_new_string(caps[i]));
	json_object_object_add(lx, "capabilities", ca);
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	/* cgroupsPath in systemd's form is mapped to its cgroupfs layout, but no unit is made over D-Bus */
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(cg, "rdma", json_object_new_boolean(true));
	json_object_object_add(lx, "cgroup", cg);
	json_object_object_add(sc, "enabled", json_object_new_boolean(true));
	json_object_object_add(sc, "actions", strv(actions, CTR_ARRAY_SIZE(actions)));
	json_object_object_add(sc, "operators", strv(operators, CTR_ARRAY_SIZE(operators)));
	for (size_t i = 0; i < CTR_ARRAY_SIZE(archs); i++)
		if (seccomp_arch_resolve_name(archs[i].scmp) != 0)
			json_object_array_add(ar, json_object_new_string(archs[i].oci));
	json_object_object_add(sc, "archs", ar);
	json_object_object_add(sc, "knownFlags", strv(flags, CTR_ARRAY_SIZE(flags)));
	json_object *sup = json_object_new_array();
	for (size_t i = 0; sup && i < CTR_ARRAY_SIZE(flags); i++)
		if (kernel_has_seccomp_flag(flag_bits[i]))
			json_object_array_add(sup, json_object_new_string(flags[i]));
	json_object_object_add(sc, "supportedFlags", sup);
	json_object_object_add(lx, "seccomp", sc);
	json_object *aa = json_object_new_object(), *se = json_object_new_object(), *rdt = json_object_new_object();
	json_object_object_add(aa, "enabled", json_object_new_boolean(file_says_yes("/sys/module/apparmor/parameters/enabled")));
	json_object_object_add(se, "enabled", json_object_new_boolean(access("/sys/fs/selinux/enforce", F_OK) == 0));
	/* not implemented (create refuses linux.intelRdt): all false, as features-linux.md asks */
	json_object_object_add(rdt, "enabled", json_object_new_boolean(false));
	json_object_object_add(rdt, "schemata", json_object_new_boolean(false));
	json_object_object_add(rdt, "monitoring", json_object_new_boolean(false));
	json_object_object_add(lx, "apparmor", aa);
	json_object_object_add(lx, "selinux", se);
	json_object_object_add(lx, "intelRdt", rdt);
	json_object *mx = json_object_new_object(), *idm = json_object_new_object();
	json_object_object_add(idm, "enabled", json_object_new_boolean(true));
	json_object_object_add(mx, "idmap", idm);
	json_object_object_add(lx, "mountExtensions", mx);
	/* runtime-spec 1.3.0: the memory policy modes and flags the config parser recognises */
	json_object *mp = json_object_new_object(), *nd = json_object_new_object();
	json_object_object_add(mp, "modes", oci_json_strv(oci_memory_policy_modes()));
	json_object_object_add(mp, "flags", oci_json_strv(oci_memory_policy_flags()));
	json_object_object_add(lx, "memoryPolicy", mp);
	/* linux.netDevices: moved by lib/net (ctr_net_devices_move) */
	json_object_object_add(nd, "enabled", json_object_new_boolean(true));
	json_object_object_add(lx, "netDevices", nd);
	json_object_object_add(o, "linux", lx);
	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "org.libctr.version", json_object_new_string(ctr_version()));
	const struct scmp_version *sv = seccomp_version();
	if (sv) {
		char v[48];
		snprintf(v, sizeof(v), "%u.%u.%u", sv->major, sv->minor, sv->micro);
		json_object_object_add(ann, "io.github.seccomp.libseccomp.version", json_object_new_string(v));
	}
	json_object_object_add(o, "annotations", ann);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(o);
	return *out ? 0 : ctr_err_nomem(err);
}

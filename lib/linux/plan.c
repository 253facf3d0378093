/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Build the flat plan for the container process from the typed config.  All
 * allocation, validation and name resolution happens here, in the caller's
 * process, so that the code after clone only runs syscalls.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#ifndef RDTGROUP_SUPER_MAGIC
#define RDTGROUP_SUPER_MAGIC 0x7655821
#endif
#include <json-c/json.h>
#include <unistd.h>

#include "linux/cgroup.h"
#include "linux/lifecycle.h"
#include "linux/sigsafe.h"
#include "linux/procfs.h"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int ctr_cap_from_name(const char *name)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

static int read_last_cap(void)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (int)CTR_ARRAY_SIZE(cap_names) - 1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (int)CTR_ARRAY_SIZE(cap_names) - 1;
	buf[n] = '\0';
	int v = atoi(buf);
	return v > 0 && v < 64 ? v : (int)CTR_ARRAY_SIZE(cap_names) - 1;
}

/*
 * config.md: a capability "which cannot be mapped to a relevant kernel
 * interface, or cannot be granted otherwise MUST be logged as a warning", and
 * runtimes "SHOULD NOT fail": names this runtime does not know and ones above
 * the kernel's last capability are left out here (as runc does) and named by
 * warn_unusable_caps.
 */
static int caps_mask(char **names, size_t n, const char *what, int last_cap, uint64_t *out, ctr_error **err)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		int c = ctr_cap_from_name(names[i]);
		if (c >= 0 && c <= last_cap)
			*out |= 1ull << c;
	}
	return 0;
}

/* The warning for what caps_mask left out, one per set. */
static void warn_unusable_caps(const ctr_context *ctx, const struct oci_capabilities *caps, int last_cap)
{
	char *const *sets[] = {caps->bounding, caps->effective, caps->inheritable, caps->permitted, caps->ambient};
	static const char *const names[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};
	for (size_t s = 0; s < CTR_ARRAY_SIZE(sets); s++) {
		char list[512];
		size_t len = 0;
		list[0] = '\0';
		for (size_t i = 0; sets[s] && sets[s][i]; i++) {
			int c = ctr_cap_from_name(sets[s][i]);
			if (c >= 0 && c <= last_cap)
				continue;
			int w = snprintf(list + len, sizeof(list) - len, "%s%s (%s)", len ? ", " : "", sets[s][i],
					 c < 0 ? "unknown" : "not in this kernel");
			if (w > 0)
				len = (size_t)w < sizeof(list) - len ? len + (size_t)w : sizeof(list) - 1;
		}
		if (len)
			ctr_warn(ctx, "config.json: process.capabilities.%s: left out, they cannot be granted: %s",
				 names[s], list);
	}
}

static char *empty_strv[] = {NULL};

int ctr_proc_build(const struct oci_process *p, const char *what, struct ctr_proc *out, ctr_error **err)
{
	int r;
	memset(out, 0, sizeof(*out));
	out->console_sock = -1;
	out->notify_sock = -1;
	out->stdio[0] = out->stdio[1] = out->stdio[2] = -1;
	if (!p->args || !p->args[0])
		return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: process.args: must have at least one element", what);
	if (!p->cwd || p->cwd[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: process.cwd: must be an absolute path", what);
	out->argv = p->args;
	out->envp = p->env ? p->env : empty_strv;
	out->cwd = p->cwd;
	out->uid = p->user.uid;
	out->gid = p->user.gid;
	out->groups = p->user.additional_gids;
	out->n_groups = p->user.n_additional_gids;
	out->has_umask = p->user.has_umask;
	out->umask = (mode_t)p->user.umask;
	out->nnp = p->no_new_privileges;
	out->terminal = p->terminal;
	out->has_console_size = p->has_console_size;
	out->rows = (unsigned short)p->console_height;
	out->cols = (unsigned short)p->console_width;
	out->last_cap = read_last_cap();
	if (p->capabilities.present) {
		const struct oci_capabilities *c = &p->capabilities;
		out->has_caps = true;
		if ((r = caps_mask(c->bounding, c->n_bounding, "bounding", out->last_cap, &out->cap_bnd, err)) < 0 ||
		    (r = caps_mask(c->effective, c->n_effective, "effective", out->last_cap, &out->cap_eff, err)) < 0 ||
		    (r = caps_mask(c->permitted, c->n_permitted, "permitted", out->last_cap, &out->cap_prm, err)) < 0 ||
		    (r = caps_mask(c->inheritable, c->n_inheritable, "inheritable", out->last_cap, &out->cap_inh,
				   err)) < 0 ||
		    (r = caps_mask(c->ambient, c->n_ambient, "ambient", out->last_cap, &out->cap_amb, err)) < 0)
			return r;
	}
	if (p->apparmor_profile && *p->apparmor_profile) {
		char buf[8] = "";
		int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		if (buf[0] != 'Y')
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "%s: process.apparmorProfile '%s': AppArmor is not enabled on this host: remove "
				       "the profile or enable AppArmor",
				       what, p->apparmor_profile);
		struct stat st;
		out->lsm_attr = stat("/proc/self/attr/apparmor", &st) == 0 ? "thread-self/attr/apparmor/exec"
									  : "thread-self/attr/exec";
		if (asprintf(&out->lsm_value, "exec %s", p->apparmor_profile) < 0) {
			out->lsm_value = NULL;
			return ctr_err_nomem(err);
		}
	}
	if (p->selinux_label && *p->selinux_label) {
		struct statfs sf;
		if (out->lsm_value)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "%s: process.selinuxLabel and process.apparmorProfile: only one LSM can label the "
				       "process",
				       what);
		if (statfs("/sys/fs/selinux", &sf) < 0 || sf.f_type != SELINUX_MAGIC)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "%s: process.selinuxLabel '%s': SELinux is not enabled on this host: remove the "
				       "label or enable SELinux",
				       what, p->selinux_label);
		out->lsm_attr = "thread-self/attr/exec";
		if (!(out->lsm_value = strdup(p->selinux_label)))
			return ctr_err_nomem(err);
	}
	if (p->n_rlimits) {
		out->rlimits = calloc(p->n_rlimits, sizeof(*out->rlimits));
		if (!out->rlimits)
			return ctr_err_nomem(err);
		for (size_t i = 0; i < p->n_rlimits; i++) {
			if (p->rlimits[i].soft > p->rlimits[i].hard)
				return ctr_err(err, EINVAL, CTR_E_SPEC,
					       "%s: process.rlimits[%zu] (%s): soft limit %llu is above the hard "
					       "limit %llu",
					       what, i, p->rlimits[i].type, (unsigned long long)p->rlimits[i].soft,
					       (unsigned long long)p->rlimits[i].hard);
			out->rlimits[i].resource = p->rlimits[i].resource;
			out->rlimits[i].lim.rlim_cur = (rlim_t)p->rlimits[i].soft;
			out->rlimits[i].lim.rlim_max = (rlim_t)p->rlimits[i].hard;
		}
		out->n_rlimits = p->n_rlimits;
	}
	return 0;
}

static int name_index(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static const char *jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool jget_i64(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* "0-3,7" -> cpu set */
static int parse_cpus(const char *s, cpu_set_t *set, const char *what, const char *field, ctr_error **err)
{
	CPU_ZERO(set);
	const char *p = s;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;
		if (end == p)
			goto bad;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				goto bad;
		}
		if (b >= CPU_SETSIZE)
			goto bad;
		for (unsigned long c = a; c <= b; c++)
			CPU_SET(c, set);
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	return 0;
bad:
	return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: process.execCPUAffinity.%s: '%s' is not a CPU list like 0-3,7",
		       what, field, s);
}

int ctr_proc_add_extras(struct json_object *process, const char *what, struct ctr_proc *out, ctr_error **err)
{
	static const char *const ioclasses[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
						"IOPRIO_CLASS_IDLE", NULL};
	static const char *const policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
					       "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL};
	static const char *const sflags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
					     "SCHED_FLAG_DL_OVERRUN",	 "SCHED_FLAG_KEEP_POLICY",
					     "SCHED_FLAG_KEEP_PARAMS",	 "SCHED_FLAG_UTIL_CLAMP_MIN",
					     "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};
	struct json_object *o;
	int64_t v;
	int r;
	if (!process)
		return 0;
	if (json_object_object_get_ex(process, "ioPriority", &o) && json_object_is_type(o, json_type_object)) {
		const char *cls = jget_str(o, "class");
		int c = cls ? name_index(cls, ioclasses) : -1;
		if (c <= 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: process.ioPriority.class: '%s' is not a class",
				       what, cls ? cls : "");
		v = 0;
		jget_i64(o, "priority", &v);
		out->has_ioprio = true;
		out->ioprio = (c << 13) | (int)(v & 7);
	}
	if (json_object_object_get_ex(process, "scheduler", &o) && json_object_is_type(o, json_type_object)) {
		const char *pol = jget_str(o, "policy");
		int pi = pol ? name_index(pol, policies) : -1;
		if (pi < 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: process.scheduler.policy: '%s' is not a policy",
				       what, pol ? pol : "");
		if (pi == 4)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "%s: process.scheduler.policy: SCHED_ISO is not implemented by Linux", what);
		out->has_sched = true;
		out->sched.size = 48;
		out->sched.policy = (uint32_t)pi;
		if (jget_i64(o, "nice", &v))
			out->sched.nice = (int32_t)v;
		if (jget_i64(o, "priority", &v))
			out->sched.priority = (uint32_t)v;
		if (jget_i64(o, "runtime", &v))
			out->sched.runtime = (uint64_t)v;
		if (jget_i64(o, "deadline", &v))
			out->sched.deadline = (uint64_t)v;
		if (jget_i64(o, "period", &v))
			out->sched.period = (uint64_t)v;
		struct json_object *fl;
		if (json_object_object_get_ex(o, "flags", &fl) && json_object_is_type(fl, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(fl); i++) {
				const char *f = json_object_get_string(json_object_array_get_idx(fl, i));
				int fi = f ? name_index(f, sflags) : -1;
				if (fi < 0)
					return ctr_err(err, EINVAL, CTR_E_SPEC,
						       "%s: process.scheduler.flags[%zu]: '%s' is not a flag", what, i,
						       f ? f : "");
				out->sched.flags |= 1ull << fi;
			}
		}
	}
	if (json_object_object_get_ex(process, "execCPUAffinity", &o) && json_object_is_type(o, json_type_object)) {
		const char *s;
		if ((s = jget_str(o, "initial"))) {
			if ((r = parse_cpus(s, &out->cpus_initial, what, "initial", err)) < 0)
				return r;
			out->has_cpus_initial = true;
		}
		if ((s = jget_str(o, "final"))) {
			if ((r = parse_cpus(s, &out->cpus_final, what, "final", err)) < 0)
				return r;
			out->has_cpus_final = true;
		}
	}
	return 0;
}

int ctr_proc_add_linux(const ctr_context *ctx, const struct oci_config *cfg, struct ctr_proc *out, ctr_error **err)
{
	int r;
	const struct oci_linux *l = &cfg->linux_;
	if (l->seccomp && (r = ctr_seccomp_build(ctx, l->seccomp, out, err)) < 0)
		return r;
	if (l->has_personality) {
		const char *d = l->personality_domain ? l->personality_domain : "";
		if (!strcmp(d, "LINUX"))
			out->personality = PER_LINUX;
		else if (!strcmp(d, "LINUX32"))
			out->personality = PER_LINUX32;
		else
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.personality.domain: '%s' is not LINUX or LINUX32", d);
		if (l->n_personality_flags)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.personality.flags: no flags are defined by the runtime-spec");
		out->has_personality = true;
	}
	const struct oci_memory_policy *mp = l->memory_policy;
	if (mp) {
		/* every process of the container gets it: set by the init stub before execve (inherited by children) */
		_Static_assert(sizeof(out->mempolicy_nodes) >= sizeof(mp->nodemask), "nodemask size");
		out->has_mempolicy = true;
		out->mempolicy_mode = mp->mode | (int)mp->mode_flags;
		out->mempolicy_maxnode = mp->has_nodes ? mp->maxnode : 0;
		memset(out->mempolicy_nodes, 0, sizeof(out->mempolicy_nodes));
		if (mp->has_nodes)
			memcpy(out->mempolicy_nodes, mp->nodemask, sizeof(mp->nodemask));
	}
	return 0;
}

void ctr_proc_free(struct ctr_proc *p)
{
	if (!p)
		return;
	free(p->rlimits);
	p->rlimits = NULL;
	free(p->seccomp_filter);
	p->seccomp_filter = NULL;
	free(p->lsm_value);
	p->lsm_value = NULL;
	if (p->console_sock >= 0)
		close(p->console_sock);
	p->console_sock = -1;
}

static int map_text(const struct oci_id_mapping *m, size_t n, char **out)
{
	size_t cap = n * 40 + 1;
	char *s = malloc(cap);
	if (!s)
		return -ENOMEM;
	size_t len = 0;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
					m[i].size);
	*out = s;
	return 0;
}

/*
 * A user namespace with the given mappings, as an fd: a child that only waits
 * is cloned into a new user ns, its maps are written, its ns file opened, and
 * it is released and reaped.
 */
static int userns_fd(const char *uid_map, const char *gid_map, const char *what, ctr_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ctr_err_sys(err, errno, "%s: pipe", what);
	pid_t pid = ctr_clone3(CLONE_NEWUSER, NULL, SIGCHLD);
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return ctr_err_sys(err, e, "%s: clone a user namespace for the id mapping", what);
	}
	if (pid == 0) {
		ss_child_begin();
		/* hold nothing of the caller's while we wait (other threads' pipes would never see EOF) */
		int keep = pfd[0];
		int base = ctr_fds_isolate_begin(keep, 3);
		if (ctr_fds_move(&keep, base) < 0)
			ss_exit(1);
		ctr_fds_isolate_end(base);
		char c;
		ssize_t got = read(keep, &c, 1); /* EOF or a byte: either way the mapping is done */
		(void)got;
		ss_exit(0);
	}
	close(pfd[0]);
	int fd = -1, r = 0;
	char path[64];
	const char *files[2] = {"uid_map", "gid_map"}, *texts[2] = {uid_map, gid_map};
	for (int i = 0; i < 2 && r == 0; i++) {
		/* through the checked procfs: never into a file something is mounted over */
		int w = ctr_procfs_write_pid(-1, pid, files[i], texts[i], strlen(texts[i]));
		if (w == -EXDEV)
			r = ctr_err(err, EXDEV, CTR_E_SYSTEM, "%s: /proc/%d/%s: %s", what, (int)pid, files[i],
				    CTR_PROCFS_EXDEV_HINT);
		else if (w < 0)
			r = ctr_err_sys(err, -w, "%s: write %s (check the mapping)", what, files[i]);
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = ctr_err_sys(err, errno, "%s: open %s", what, path);
	}
	close(pfd[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r < 0 ? r : fd;
}

/*
 * Idmapped bind (idmap/ridmap): the detached tree is made and idmapped here,
 * in the caller, since mount_setattr(MOUNT_ATTR_IDMAP) needs privilege over
 * the source's user namespace that a container in its own user ns lacks; the
 * container process only moves it into place.  Without mappings on the mount
 * the container's own mappings apply (runtime-spec 1.2).
 */
static int idmap_tree(const struct oci_config *cfg, const struct oci_mount *m, struct ctr_mnt *t, bool recursive,
		      ctr_error **err)
{
	const struct oci_id_mapping *um = m->uid_mappings, *gm = m->gid_mappings;
	size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
	if (!nu) {
		um = cfg->linux_.uid_mappings;
		nu = cfg->linux_.n_uid_mappings;
		gm = cfg->linux_.gid_mappings;
		ng = cfg->linux_.n_gid_mappings;
	}
	if (!nu || !ng)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: %s: an idmapped mount needs uidMappings/gidMappings on the mount or on "
			       "linux (a user namespace)",
			       t->label);
	char *utext = NULL, *gtext = NULL, what[256];
	snprintf(what, sizeof(what), "config.json: %s", t->label);
	if (map_text(um, nu, &utext) < 0 || map_text(gm, ng, &gtext) < 0) {
		free(utext);
		return ctr_err_nomem(err);
	}
	int ufd = userns_fd(utext, gtext, what, err);
	free(utext);
	free(gtext);
	if (ufd < 0)
		return ufd;
	int tree = open_tree(AT_FDCWD, t->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (t->rec ? AT_RECURSIVE : 0));
	if (tree < 0) {
		int e = errno;
		close(ufd);
		return ctr_err_sys(err, e, "%s: open_tree %s", what, t->src);
	}
	struct mount_attr a;
	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_IDMAP;
	a.userns_fd = (uint64_t)ufd;
	int r = mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a));
	int e = errno;
	close(ufd);
	if (r < 0) {
		close(tree);
		return ctr_err_sys(err, e, "%s: idmap %s (does its filesystem support idmapped mounts?)", what, t->src);
	}
	t->tree_fd = tree;
	t->kind = CTR_MNT_IDMAP;
	return 0;
}

/* One entry of a v1 cgroup mount: a hierarchy (ctrls, host_mnt) or a symlink (link). */
static int add_cg_sub(struct ctr_mnt *t, const char *name, const char *link, const char *ctrls, const char *host_mnt)
{
	struct ctr_cg_sub *v = realloc(t->cg_subs, (t->n_cg_subs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->cg_subs = v;
	struct ctr_cg_sub *e = &v[t->n_cg_subs];
	memset(e, 0, sizeof(*e));
	t->n_cg_subs++;
	if (!(e->name = strdup(name)) || (link && !(e->link = strdup(link))) || (ctrls && !(e->ctrls = strdup(ctrls))) ||
	    (host_mnt && !(e->host_mnt = strdup(host_mnt))))
		return -ENOMEM;
	return 0;
}

/*
 * A "cgroup" mount on a host with v1 hierarchies (pure v1, or the v1/v2
 * hybrid) gets what runc gives it: a tmpfs with, for each hierarchy mounted
 * in /sys/fs/cgroup, the container's own cgroup of that hierarchy bound in
 * (so a program finds its limits at /sys/fs/cgroup/memory/memory.limit_in_bytes
 * and sees no other cgroup), and the host's symlinks ("cpu" ->
 * "cpu,cpuacct").  Mounting cgroup2 there instead would show only the
 * unified hierarchy, and without a cgroup namespace all of it.  Which
 * hierarchies exist comes from the host's layout (cgl: mountinfo and
 * /proc/self/cgroup parsed once per create, for the cgroups as well; a
 * mount hidden by a later one on or above it is not there): those mounted
 * directly under /sys/fs/cgroup, each named by its controllers as
 * /proc/self/cgroup names it; the child finds its own path in each from
 * /proc/self/cgroup once it is in its cgroups.  Returns 1 when the layout
 * has v1 hierarchies (t filled), 0 when not (pure v2: mount cgroup2), or
 * -errno.
 */
static int cgroup_v1_subs(struct ctr_mnt *t, const struct ctr_cg_layout *cgl, ctr_error **err)
{
	int r = 0, found = 0;
	struct statfs sf;
	/* /sys/fs/cgroup itself cgroup2: pure v2 (also over v1 mounts it hides) */
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	for (size_t i = 0; i < cgl->n && r == 0; i++) {
		const struct ctr_cg_hier *h = &cgl->h[i];
		const char *mnt = h->mount;
		if (strncmp(mnt, "/sys/fs/cgroup/", 15) || !mnt[15] || strchr(mnt + 15, '/'))
			continue;
		/* one entry per hierarchy (a second mount of one is not another) */
		bool dup = false;
		for (size_t k = 0; k < t->n_cg_subs && !dup; k++)
			dup = t->cg_subs[k].ctrls && !strcmp(t->cg_subs[k].ctrls, h->name);
		if (dup)
			continue;
		if (!h->v2)
			found = 1;
		if (add_cg_sub(t, mnt + 15, NULL, h->name, mnt) < 0)
			r = -ENOMEM;
	}
	/* the host's symlinks for co-mounted controllers */
	DIR *d = r == 0 && found ? opendir("/sys/fs/cgroup") : NULL;
	for (struct dirent *de; d && r == 0 && (de = readdir(d));) {
		char lpath[PATH_MAX], target[PATH_MAX];
		if (de->d_type != DT_LNK)
			continue;
		snprintf(lpath, sizeof(lpath), "/sys/fs/cgroup/%s", de->d_name);
		ssize_t n = readlink(lpath, target, sizeof(target) - 1);
		if (n <= 0 || memchr(target, '/', (size_t)n))
			continue;
		target[n] = '\0';
		if (add_cg_sub(t, de->d_name, target, NULL, NULL) < 0)
			r = -ENOMEM;
	}
	if (d)
		closedir(d);
	if (r < 0)
		return r == -ENOMEM ? ctr_err_nomem(err) : r;
	return found;
}

/* The destination relative to the rootfs without empty, "." and ".." parts ("" for the root). */
static char *clean_dest(const char *dest)
{
	size_t len = strlen(dest);
	char *out = malloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = dest; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* back to the previous '/' (or the start): ".." never leaves the root */
			while (o > out && o[-1] != '/')
				o--;
			if (o > out)
				o--;
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (o > out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p = e;
	}
	*o = '\0';
	return out;
}

/*
 * A mount on /proc or inside it, as runc refuses it (libcontainer
 * rootfs_linux.go, checkProcMount): inside /proc only on the files lxcfs
 * emulates; on /proc itself a new procfs, or a bind from a procfs.  A mount
 * over a procfs file could redirect what the runtime writes there (the
 * LSM label, sysctls: CVE-2025-52881) or hide what maskedPaths hides.  dst
 * is cleaned; the container process checks again that the resolved target
 * is not on procfs (a symlink in the rootfs can lead there).
 */
static int check_proc_mount(const struct oci_mount *m, const struct ctr_mnt *t, bool bind, ctr_error **err)
{
	static const char *const lxcfs[] = {
		"proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat", "proc/swaps", "proc/uptime",
		"proc/loadavg", "proc/slabinfo", "proc/net/dev", "proc/sys/kernel/ns_last_pid",
		"proc/sys/crypto/fips_enabled",
	};
	if (strncmp(t->dst, "proc", 4) || (t->dst[4] && t->dst[4] != '/'))
		return 0;
	if (!t->dst[4]) {
		if (!bind) {
			if (m->type && !strcmp(m->type, "proc"))
				return 0;
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: %s: only a filesystem of type \"proc\" may be mounted on /proc, not "
				       "\"%s\": use type proc or mount it elsewhere",
				       t->label, m->type ? m->type : "");
		}
		struct statfs sf;
		if (!t->src)
			return 0; /* build_mounts says that a bind needs a source */
		int fd = open(t->src, O_PATH | O_CLOEXEC);
		int e = fd < 0 ? errno : fstatfs(fd, &sf) < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (e)
			return ctr_err_sys(err, e, "config.json: %s: source %s", t->label, t->src);
		if (sf.f_type == PROC_SUPER_MAGIC)
			return 0;
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: %s: a bind mount on /proc must come from a procfs, and %s is not on one: "
			       "bind a procfs or use a mount of type proc",
			       t->label, t->src);
	}
	for (size_t i = 0; i < CTR_ARRAY_SIZE(lxcfs); i++)
		if (!strcmp(t->dst, lxcfs[i]))
			return 0;
	return ctr_err(err, EPERM, CTR_E_SPEC,
		       "config.json: %s: a mount inside /proc could hide or redirect procfs files the runtime writes "
		       "and maskedPaths hides; only the files lxcfs provides (/proc/cpuinfo, /proc/diskstats, "
		       "/proc/meminfo, /proc/stat, /proc/swaps, /proc/uptime, /proc/loadavg, /proc/slabinfo, "
		       "/proc/net/dev, /proc/sys/kernel/ns_last_pid, /proc/sys/crypto/fips_enabled) may be mounted "
		       "over: remove it or mount it elsewhere",
		       t->label);
}

static int build_mounts(const struct oci_config *cfg, const char *bundle, bool userns, bool new_netns,
			struct ctr_plan *plan, const struct ctr_cg_layout *cgl, ctr_error **err)
{
	int r;
	if (!cfg->n_mounts)
		return 0;
	plan->mnts = calloc(cfg->n_mounts, sizeof(*plan->mnts));
	if (!plan->mnts)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		struct ctr_mnt *t = &plan->mnts[i];
		t->tree_fd = -1;
		plan->n_mnts = i + 1;
		if (asprintf(&t->label, "mounts[%zu] (%s)", i, m->destination) < 0) {
			t->label = NULL;
			return ctr_err_nomem(err);
		}
		if (!m->destination || m->destination[0] != '/')
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: %s: destination must be an absolute path", t->label);
		/* lexically cleaned, as runc does: "//proc/./sys/" and "/proc/../proc/sys" are proc/sys, and
		 * what is mounted is what check_proc_mount saw */
		if (!(t->dst = clean_dest(m->destination)))
			return ctr_err_nomem(err);
		struct oci_mount_opts o;
		memset(&o, 0, sizeof(o));
		if ((r = oci_mount_parse_options(m, &o, err)) < 0) {
			ctr_err_prefix(err, "config.json: %s", t->label);
			return r;
		}
		t->data = o.data;
		t->flags = o.flags & ~(unsigned long)(MS_BIND | MS_REC);
		t->propagation = o.propagation;
		if (m->type) {
			t->type = strdup(m->type);
			if (!t->type)
				return ctr_err_nomem(err);
		}
		if (m->source) {
			if (m->source[0] != '/' && (o.bind || (m->type && !strcmp(m->type, "bind")))) {
				/* a relative bind source is relative to the bundle (as runc and crun do) */
				if (asprintf(&t->src, "%s/%s", bundle, m->source) < 0) {
					t->src = NULL;
					return ctr_err_nomem(err);
				}
			} else if (!(t->src = strdup(m->source)))
				return ctr_err_nomem(err);
		}
		if ((r = check_proc_mount(m, t, o.bind || (m->type && !strcmp(m->type, "bind")), err)) < 0)
			return r;
		if (o.bind || (m->type && !strcmp(m->type, "bind"))) {
			if (!t->src)
				return ctr_err(err, EINVAL, CTR_E_SPEC,
					       "config.json: %s: a bind mount needs a source", t->label);
			t->kind = CTR_MNT_BIND;
			t->rec = o.recursive;
			t->ro_remount = (t->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
						     MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)) != 0;
			struct stat st;
			if (stat(t->src, &st) == 0 && !S_ISDIR(st.st_mode))
				t->file_target = true;
			if (o.idmap && (r = idmap_tree(cfg, m, t, o.idmap_recursive, err)) < 0)
				return r;
		} else if (o.idmap) {
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: %s: \"idmap\" is only for bind mounts: add \"bind\" or \"rbind\"",
				       t->label);
		} else if (m->type && !strcmp(m->type, "sysfs") && userns && !new_netns) {
			/* the kernel refuses a new sysfs to a user ns that does not own its net ns */
			t->kind = CTR_MNT_SYSFS_BIND;
			t->rec = true;
			t->ro_remount = (t->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) != 0;
		} else if (m->type && !strcmp(m->type, "cgroup")) {
			/* cgroup2 (works on a pure v2 host and as the unified hierarchy of a
			 * hybrid one); the child falls back to a read-only rbind of the
			 * host's /sys/fs/cgroup when the kernel refuses it */
			t->kind = CTR_MNT_CGROUP;
			if ((r = cgroup_v1_subs(t, cgl, err)) < 0)
				return r;
			if (r == 1)
				t->kind = CTR_MNT_CGROUP_V1;
		} else {
			t->kind = CTR_MNT_FS;
			if (o.tmpcopyup) {
				if (!m->type || strcmp(m->type, "tmpfs"))
					return ctr_err(err, EINVAL, CTR_E_SPEC,
						       "config.json: %s: \"tmpcopyup\" is only for tmpfs mounts: remove "
						       "it or use type tmpfs",
						       t->label);
				t->copyup = true;
			}
		}
	}
	return 0;
}

/* ---- linux.sysctl ---- */

enum sysctl_kind { SYSCTL_HOST, SYSCTL_IPC, SYSCTL_NET, SYSCTL_UTS };

/*
 * The key's components: the dotted form ("net.ipv4.conf.eth0/100.rp_filter",
 * where '/' stands for a '.' inside a name, as sysctl(8) reads it) or the
 * slash form ("net/ipv4/conf/eth0.100/rp_filter"; the form is the first
 * separator's).  Every component is a plain name: not empty, not "." or
 * "..", only letters, digits and "_-.@+", so the path stays in /proc/sys.
 * Writes the path to *path ("/proc/sys/net/ipv4/...") and the components'
 * starts to comps (at most max): their number, or -1 when the key is bad.
 */
static int sysctl_split(const char *key, char *path, size_t size, const char **comps, int max)
{
	size_t klen = strlen(key);
	if (!klen || klen + 11 > size)
		return -1;
	bool slash = key[strcspn(key, "./")] == '/';
	memcpy(path, "/proc/sys/", 10);
	char *o = path + 10;
	for (const char *p = key; *p; p++) {
		char c = *p;
		if (c == (slash ? '/' : '.'))
			c = '/'; /* the separator */
		else if (c == '/' || c == '.')
			c = '.'; /* a '.' in a name ('/' stands for it in the dotted form) */
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   strchr("_-@+", c)))
			return -1;
		*o++ = c;
	}
	*o = '\0';
	int n = 0;
	for (const char *p = path + 10;;) {
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') || n == max)
			return -1;
		comps[n++] = p;
		if (!*e)
			return n;
		p = e + 1;
	}
}

static bool comp_is(const char *c, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(c, name, n) && (c[n] == '/' || c[n] == '\0');
}

/*
 * Which namespace the sysctl belongs to, as runc's validator says
 * (opencontainers/runc libcontainer/configs/validate/validator.go, sysctl()):
 * the IPC keys kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni,
 * shm_rmid_forced and fs.mqueue.*; net.*; kernel.hostname and
 * kernel.domainname (UTS).  Everything else acts on the host.
 */
static enum sysctl_kind sysctl_kind(const char **c, int n)
{
	static const char *const ipc[] = {"msgmax", "msgmnb", "msgmni", "sem", "shmall", "shmmax", "shmmni",
					  "shm_rmid_forced"};
	if (n >= 2 && comp_is(c[0], "net"))
		return SYSCTL_NET;
	if (n >= 3 && comp_is(c[0], "fs") && comp_is(c[1], "mqueue"))
		return SYSCTL_IPC;
	if (n == 2 && comp_is(c[0], "kernel")) {
		for (size_t i = 0; i < CTR_ARRAY_SIZE(ipc); i++)
			if (comp_is(c[1], ipc[i]))
				return SYSCTL_IPC;
		if (comp_is(c[1], "hostname") || comp_is(c[1], "domainname"))
			return SYSCTL_UTS;
	}
	return SYSCTL_HOST;
}

/*
 * Whether the container has its own namespace of this type: a new one, or
 * one it joins by path that is not the runtime's own (compared by inode
 * with /proc/self/ns/<name>, on the fd opened already).  1 yes, 0 no (*joined
 * set when it joins the runtime's own), or -errno.
 */
static int own_ns(const struct oci_config *cfg, const struct ctr_plan *plan, enum oci_ns_type type, const char *name,
		  int *joined, ctr_error **err)
{
	*joined = -1;
	if (plan->clone_flags & (uint64_t)(unsigned)oci_namespace_clone_flag(type))
		return 1;
	if (plan->ns_fds[type] < 0)
		return 0;
	char self[64];
	struct stat a, b;
	snprintf(self, sizeof(self), "/proc/self/ns/%s", name);
	if (stat(self, &a) < 0)
		return ctr_err_sys(err, errno, "config.json: linux.sysctl: %s", self);
	if (fstat(plan->ns_fds[type], &b) < 0)
		return ctr_err_sys(err, errno, "config.json: linux.sysctl: the %s namespace to join", name);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return 1;
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == type)
			*joined = (int)i;
	return 0;
}

/* Check one linux.sysctl key (see sysctl_kind) and give its /proc/sys path. */
static int sysctl_check(const struct oci_config *cfg, const struct ctr_plan *plan, const char *key, char **out,
			ctr_error **err)
{
	char path[512];
	const char *comps[32];
	int n = sysctl_split(key, path, sizeof(path), comps, (int)CTR_ARRAY_SIZE(comps));
	if (n < 0)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.sysctl: \"%s\" is not a sysctl name: use the dotted form "
			       "(\"net.ipv4.ip_forward\") or the slash form (\"net/ipv4/ip_forward\") with names of "
			       "letters, digits and \"_-.@+\", no empty, \".\" or \"..\" part",
			       key);
	enum sysctl_kind k = sysctl_kind(comps, n);
	if (k == SYSCTL_HOST)
		return ctr_err(err, EPERM, CTR_E_SPEC,
			       "config.json: linux.sysctl: \"%s\" is not namespaced: the container would change the "
			       "host's value; remove it",
			       key);
	static const struct {
		enum oci_ns_type type;
		const char *name, *label, *json;
	} kinds[] = {
		[SYSCTL_IPC] = {OCI_NS_IPC, "ipc", "IPC", "ipc"},
		[SYSCTL_NET] = {OCI_NS_NETWORK, "net", "network", "network"},
		[SYSCTL_UTS] = {OCI_NS_UTS, "uts", "UTS", "uts"},
	};
	int joined, r = own_ns(cfg, plan, kinds[k].type, kinds[k].name, &joined, err);
	if (r < 0)
		return r;
	if (r == 0 && joined >= 0)
		return ctr_err(err, EPERM, CTR_E_SPEC,
			       "config.json: linux.sysctl: \"%s\" is in the %s namespace, and the one "
			       "linux.namespaces[%d] joins (%s) is the runtime's own: the host's value would change; "
			       "join another namespace or remove the key",
			       key, kinds[k].label, joined, cfg->linux_.namespaces[joined].path);
	if (r == 0)
		return ctr_err(err, EPERM, CTR_E_SPEC,
			       "config.json: linux.sysctl: \"%s\" is in the %s namespace, which the container shares "
			       "with the host: the host's value would change; add {\"type\": \"%s\"} to "
			       "linux.namespaces or remove the key",
			       key, kinds[k].label, kinds[k].json);
	/* the dedicated fields and the sysctl would fight over one value (runc refuses kernel.hostname always) */
	if (k == SYSCTL_UTS && ((comp_is(comps[1], "hostname") && cfg->hostname && *cfg->hostname) ||
				(comp_is(comps[1], "domainname") && cfg->domainname && *cfg->domainname)))
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.sysctl: \"%s\" sets what the %s field sets: keep only one", key,
			       comp_is(comps[1], "hostname") ? "hostname" : "domainname");
	if (!(*out = strdup(path)))
		return ctr_err_nomem(err);
	return 0;
}

/*
 * What the config asks for that this runtime cannot do on this host: an
 * error naming the field (runtime.md Create: "If the runtime cannot apply a
 * property as specified in the configuration, it MUST generate an error").
 */
static int check_unsupported(const struct oci_config *cfg, ctr_error **err)
{
	const struct oci_linux *l = &cfg->linux_;
	struct statfs sf;
	if (l->intel_rdt) {
		/* config-linux.md: without a mounted resctrl "the runtime MUST generate an error" */
		if (statfs("/sys/fs/resctrl", &sf) < 0 || sf.f_type != RDTGROUP_SUPER_MAGIC)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "config.json: linux.intelRdt: no resctrl filesystem is mounted at "
				       "/sys/fs/resctrl (Intel RDT needs a CPU with it and \"mount -t resctrl resctrl "
				       "/sys/fs/resctrl\"): remove linux.intelRdt");
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "config.json: linux.intelRdt: this runtime does not support Intel RDT (resctrl) yet: "
			       "remove linux.intelRdt");
	}
	if (l->mount_label && *l->mount_label) {
		/* a label for the mounts needs SELinux; this runtime does not label mounts (yet) either */
		if (statfs("/sys/fs/selinux", &sf) < 0 || sf.f_type != SELINUX_MAGIC)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "config.json: linux.mountLabel '%s': SELinux is not enabled on this host: "
				       "remove the label or enable SELinux",
				       l->mount_label);
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "config.json: linux.mountLabel '%s': this runtime does not label mounts yet: remove "
			       "the label",
			       l->mount_label);
	}
	return 0;
}

/* An empty plan: nothing owned, every fd and the CPU -1 (build starts from it, free leaves it) */
static void plan_reset(struct ctr_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->sync_fd = plan->start_fd = plan->parent_sync_fd = plan->state_lock_fd = -1;
	plan->init_fd = plan->blob_fd = plan->parent_cpu = plan->net_spare_fd = plan->ipc_spare_fd = -1;
	plan->proc.console_sock = -1;
	for (int i = 0; i < OCI_NS_COUNT; i++)
		plan->ns_fds[i] = -1;
}

int ctr_plan_build(const ctr_context *ctx, const struct oci_config *cfg, struct json_object *spec_json,
		   const char *id, const char *bundle, const char *rootfs, unsigned flags,
		   const struct ctr_cg_layout *cgl, struct ctr_plan *plan, ctr_error **err)
{
	int r;
	plan_reset(plan);
	plan->id = id;
	if (!(plan->rootfs = strdup(rootfs)))
		return ctr_err_nomem(err);
	if (!cfg->process)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: process: required to create a container: add a process with args");
	if ((r = ctr_proc_build(cfg->process, "config.json", &plan->proc, err)) < 0)
		return r;
	if (cfg->process->capabilities.present)
		warn_unusable_caps(ctx, &cfg->process->capabilities, plan->proc.last_cap);
	if ((r = check_unsupported(cfg, err)) < 0)
		return r;
	plan->proc.setsid = true;
	plan->proc.bind_console = true;
	{
		struct json_object *pj = NULL;
		if (spec_json)
			json_object_object_get_ex(spec_json, "process", &pj);
		if ((r = ctr_proc_add_extras(pj, "config.json", &plan->proc, err)) < 0)
			return r;
	}
	if ((r = ctr_proc_add_linux(ctx, cfg, &plan->proc, err)) < 0)
		return r;

	const struct oci_linux *l = &cfg->linux_;
	bool have_mnt = false, new_net = false;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		if ((unsigned)ns->type >= OCI_NS_COUNT)
			continue;
		plan->ns_flag[ns->type] = ns->clone_flag;
		if (ns->type == OCI_NS_MOUNT)
			have_mnt = true;
		if (ns->type == OCI_NS_USER)
			plan->has_userns = true;
		if (ns->path) {
			int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return ctr_err_sys(err, errno,
						   "config.json: linux.namespaces[%zu] (%s): open %s: check that the "
						   "namespace path exists",
						   i, ns->path, ns->path);
			plan->ns_fds[ns->type] = fd;
			if (ns->type == OCI_NS_PID || ns->type == OCI_NS_TIME)
				plan->join_pid_or_time = true;
		} else {
			plan->clone_flags |= (uint64_t)(unsigned)ns->clone_flag;
			if (ns->type == OCI_NS_USER)
				plan->userns_new = true;
			if (ns->type == OCI_NS_NETWORK)
				new_net = true;
		}
	}
	/* config-linux.md: a namespace type not listed is inherited: no mount namespace, the caller's */
	plan->no_mntns = !have_mnt;
	if (plan->no_mntns && (flags & CTR_CREATE_NO_PIVOT))
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.namespaces: without a mount namespace the rootfs is entered with "
			       "chroot already: no_pivot would move it over the host's /; drop it");
	if (plan->userns_new) {
		if (!l->n_uid_mappings || !l->n_gid_mappings)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.uidMappings/gidMappings: a new user namespace needs both "
				       "mappings");
		if (map_text(l->uid_mappings, l->n_uid_mappings, &plan->uid_map) < 0 ||
		    map_text(l->gid_mappings, l->n_gid_mappings, &plan->gid_map) < 0)
			return ctr_err_nomem(err);
	}
	if (l->n_time_offsets && !(plan->clone_flags & CLONE_NEWTIME))
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.timeOffsets: needs a new time namespace: add {\"type\": \"time\"}");
	if (plan->clone_flags & CLONE_NEWTIME) {
		/*
		 * Offsets can only be written before a process enters the time ns:
		 * the intermediate unshares it (its children enter it), writes them,
		 * then clones the init.
		 */
		plan->clone_flags &= ~(uint64_t)CLONE_NEWTIME;
		plan->time_new = true;
		plan->join_pid_or_time = true;
		if (l->n_time_offsets) {
			size_t cap = l->n_time_offsets * 64 + 1, len = 0;
			if (!(plan->time_offsets = malloc(cap)))
				return ctr_err_nomem(err);
			plan->time_offsets[0] = '\0';
			for (size_t i = 0; i < l->n_time_offsets; i++) {
				const struct oci_time_offset *t = &l->time_offsets[i];
				if (strcmp(t->clock, "monotonic") && strcmp(t->clock, "boottime"))
					return ctr_err(err, EINVAL, CTR_E_SPEC,
						       "config.json: linux.timeOffsets: clock '%s' is not monotonic or "
						       "boottime",
						       t->clock);
				len += (size_t)snprintf(plan->time_offsets + len, cap - len, "%s %lld %u\n", t->clock,
							(long long)t->secs, t->nanosecs);
			}
		}
	}
	if (plan->join_pid_or_time && (plan->clone_flags & CLONE_NEWPID)) {
		plan->clone_flags &= ~(uint64_t)CLONE_NEWPID;
		plan->late_flags |= CLONE_NEWPID;
	}
	plan->root_prop = l->rootfs_propagation_flags;

	if ((r = build_mounts(cfg, bundle, plan->has_userns, new_net, plan, cgl, err)) < 0)
		return r;
	if ((r = ctr_dev_plan_build(cfg, plan->has_userns, &plan->dev, err)) < 0)
		return r;
	ctr_dev_warn_file_modes(ctx, cfg);
	if (cfg->hostname && *cfg->hostname) {
		if (!(plan->clone_flags & CLONE_NEWUTS) && plan->ns_fds[OCI_NS_UTS] < 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: hostname: setting it needs a uts namespace: add {\"type\": "
				       "\"uts\"} to linux.namespaces");
		if (!(plan->hostname = strdup(cfg->hostname)))
			return ctr_err_nomem(err);
	}
	if (cfg->domainname && *cfg->domainname) {
		if (!(plan->clone_flags & CLONE_NEWUTS) && plan->ns_fds[OCI_NS_UTS] < 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: domainname: setting it needs a uts namespace");
		if (!(plan->domainname = strdup(cfg->domainname)))
			return ctr_err_nomem(err);
	}
	if (l->n_sysctl) {
		plan->sysctl_path = calloc(l->n_sysctl, sizeof(char *));
		plan->sysctl_value = calloc(l->n_sysctl, sizeof(char *));
		if (!plan->sysctl_path || !plan->sysctl_value)
			return ctr_err_nomem(err);
		plan->n_sysctl = l->n_sysctl;
		for (size_t i = 0; i < l->n_sysctl; i++) {
			if ((r = sysctl_check(cfg, plan, l->sysctl[i].key, &plan->sysctl_path[i], err)) < 0)
				return r;
			if (!(plan->sysctl_value[i] = strdup(l->sysctl[i].value)))
				return ctr_err_nomem(err);
		}
	}
	if ((r = ctr_sighooks_prepare("createContainer", &cfg->hooks.create_container, &plan->hk_create_container,
				      err)) < 0)
		return r;
	if ((r = ctr_sighooks_prepare("startContainer", &cfg->hooks.start_container, &plan->hk_start_container,
				      err)) < 0)
		return r;
	for (size_t i = 0; i < plan->hk_start_container.n; i++)
		if (plan->hk_start_container.hooks[i].native)
			return ctr_err(err, ENOENT, CTR_E_SPEC,
				       "config.json: hooks.startContainer[%zu] (%s): the binary is not installed, and "
				       "libctr runs its verbs itself only in prestart, createRuntime, createContainer and "
				       "poststart hooks: install nvidia-container-toolkit or move the hook",
				       i, plan->hk_start_container.hooks[i].path);
	/* linux.netDevices move at the same point as the hooks of the runtime namespace (lib/net) */
	plan->want_hooks_msg = cfg->linux_.n_net_devices || cfg->hooks.prestart.n || cfg->hooks.create_runtime.n ||
			       cfg->hooks.create_container.n || cfg->hooks.start_container.n;
	plan->readonly_root = cfg->root_readonly;
	plan->no_pivot = flags & CTR_CREATE_NO_PIVOT;
	if (!(flags & CTR_CREATE_NO_NEW_KEYRING)) {
		if (asprintf(&plan->keyring_name, "_ses.%s", id) < 0) {
			plan->keyring_name = NULL;
			return ctr_err_nomem(err);
		}
	}
	plan->masked = l->masked_paths;
	plan->n_masked = l->n_masked_paths;
	plan->readonly = l->readonly_paths;
	plan->n_readonly = l->n_readonly_paths;
	for (size_t i = 0; i < plan->n_masked; i++)
		if (plan->masked[i][0] != '/')
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.maskedPaths[%zu]: '%s' must be absolute", i, plan->masked[i]);
	for (size_t i = 0; i < plan->n_readonly; i++)
		if (plan->readonly[i][0] != '/')
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.readonlyPaths[%zu]: '%s' must be absolute", i,
				       plan->readonly[i]);
	/*
	 * A user namespace joined by path owns the namespaces made after it: made
	 * by the first clone, in the runtime's user namespace, the new mount
	 * namespace would be out of reach once the process enters the joined one
	 * (EPERM for every mount).  So the intermediate process of a joined pid or
	 * time namespace does it: it enters the joined ones (user first), then
	 * clones the init with the new ones (late_flags), as runc's nsexec does.
	 */
	if (plan->ns_fds[OCI_NS_USER] >= 0 && plan->clone_flags) {
		plan->late_flags |= plan->clone_flags;
		plan->clone_flags = 0;
		plan->join_pid_or_time = true;
	}
	/*
	 * A new network namespace is the dearest part of clone3 by far (about
	 * 270 of 365 us here for five namespaces: every pernet subsystem sets
	 * up).  Without a user namespace or an intermediate process, the child
	 * unshares it itself, first thing (child_setup), on its own CPU, while
	 * the runtime goes on (the late cgroups, the state): nothing uses the
	 * child's network namespace before it says it has its mounts
	 * (CTR_MSG_HOOKS: netDevices, hooks; network setup after created), and
	 * its sysfs mount and sysctls come after the unshare.  The namespace is
	 * the same as clone3's: owned by the initial user namespace.  For the
	 * same plans a new IPC namespace may be one the context made ahead
	 * (netns-spare.c): create takes CLONE_NEWIPC off clone3 when it has one.
	 */
	bool caller_userns = !plan->has_userns && !plan->join_pid_or_time;
	if ((plan->clone_flags & CLONE_NEWNET) && caller_userns) {
		plan->clone_flags &= ~(uint64_t)CLONE_NEWNET;
		plan->net_unshare = true;
	}
	plan->ipc_ahead = (plan->clone_flags & CLONE_NEWIPC) && caller_userns;
	return 0;
}

void ctr_plan_free(struct ctr_plan *plan)
{
	if (!plan)
		return;
	free(plan->rootfs);
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (plan->ns_fds[i] >= 0)
			close(plan->ns_fds[i]);
	if (plan->net_spare_fd >= 0)
		close(plan->net_spare_fd);
	if (plan->ipc_spare_fd >= 0)
		close(plan->ipc_spare_fd);
	free(plan->uid_map);
	free(plan->gid_map);
	free(plan->time_offsets);
	for (size_t i = 0; i < plan->n_mnts; i++) {
		struct ctr_mnt *m = &plan->mnts[i];
		free(m->label);
		free(m->src);
		free(m->dst);
		free(m->type);
		free(m->data);
		if (m->tree_fd >= 0)
			close(m->tree_fd);
		for (size_t k = 0; k < m->n_cg_subs; k++) {
			free(m->cg_subs[k].name);
			free(m->cg_subs[k].link);
			free(m->cg_subs[k].ctrls);
			free(m->cg_subs[k].host_mnt);
		}
		free(m->cg_subs);
	}
	free(plan->mnts);
	ctr_dev_plan_free(plan->dev);
	free(plan->hostname);
	free(plan->domainname);
	for (size_t i = 0; i < plan->n_sysctl; i++) {
		if (plan->sysctl_path)
			free(plan->sysctl_path[i]);
		if (plan->sysctl_value)
			free(plan->sysctl_value[i]);
	}
	free(plan->sysctl_path);
	free(plan->sysctl_value);
	ctr_sighooks_free(&plan->hk_create_container);
	ctr_sighooks_free(&plan->hk_start_container);
	free(plan->keyring_name);
	if (plan->sync_fd >= 0)
		close(plan->sync_fd);
	if (plan->start_fd >= 0)
		close(plan->start_fd);
	if (plan->parent_sync_fd >= 0)
		close(plan->parent_sync_fd);
	if (plan->blob_fd >= 0)
		close(plan->blob_fd);
	ctr_preserve_fds_free(plan->preserved, plan->n_preserved);
	ctr_proc_free(&plan->proc);
	plan_reset(plan);
}

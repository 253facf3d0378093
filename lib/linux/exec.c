/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr_container_exec(): run another process in a container.
 *
 * A helper is cloned, becomes non-dumpable, keeps only the fds it needs
 * (close_range), joins the container's cgroups and every namespace of the
 * container at once with setns() on the init's pidfd (kernel >= 5.8; user
 * namespace first, done by the kernel), then clones the final process (the
 * pid namespace applies only to children of the process that joined it) and
 * exits: with CLONE_PARENT when the caller wants a pidfd, so the caller is
 * its parent, else as the helper's own child, which the kernel reparents
 * when the helper exits.  The final process sets
 * up the pty and stdio and execs the sealed init stub (init-stub.c), which
 * applies the process setup (ctr_proc_apply: credentials, cwd, seccomp) and
 * execs the program: nothing of the caller's process (its fds, memory or
 * binary) is ever reachable from the container.  A SOCK_SEQPACKET pair
 * reports back: the helper sends the pid, the final process or the stub an
 * error; EOF once all are gone means execve happened (only they hold the
 * child's end: every clone of the library closes what it does not own
 * right away).
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "linux/lifecycle.h"
#include "linux/container-internal.h"
#include "linux/cgroup.h"
#include "linux/sigsafe.h"
#include "linux/proc-blob.h"
#include "linux/procfs.h"
#include "linux/terminal.h"
#include "linux/home.h"

CTR_EXPORT int ctr_exec_options_init_sized(ctr_exec_options *opts, size_t size)
{
	ctr_exec_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	def.stdio_fds[0] = def.stdio_fds[1] = def.stdio_fds[2] = -1;
	def.tty = -1;
	def.console_fd = -1;
	def.stdio_pipes[0] = def.stdio_pipes[1] = def.stdio_pipes[2] = -1;
	return ctr_init_options(opts, size, &def, sizeof(def));
}

/* env with each "K=V" of over replacing the same K or appended; strings borrowed. */
static char **merge_env(char **base, const char *const *over)
{
	size_t nb = ctr_strv_len((const char *const *)base), no = ctr_strv_len(over);
	char **v = calloc(nb + no + 1, sizeof(char *));
	if (!v)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < nb; i++)
		v[n++] = base[i];
	for (size_t j = 0; j < no; j++) {
		const char *eq = strchr(over[j], '=');
		size_t kl = eq ? (size_t)(eq - over[j]) : strlen(over[j]);
		size_t i;
		for (i = 0; i < n; i++)
			if (!strncmp(v[i], over[j], kl) && v[i][kl] == '=')
				break;
		v[i] = (char *)over[j];
		if (i == n)
			n++;
	}
	v[n] = NULL;
	return v;
}

static int parse_user(const char *s, uid_t *uid, gid_t *gid, ctr_error **err)
{
	char *end;
	unsigned long u = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':'))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "exec user '%s': use numeric uid[:gid]", s);
	*uid = (uid_t)u;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gv = strtoul(g, &end, 10);
		if (end == g || *end)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "exec user '%s': use numeric uid[:gid]", s);
		*gid = (gid_t)gv;
	}
	return 0;
}

struct exec_ctx {
	int pidfd;          /* the container init */
	int ns_flags;
	int sock;           /* child's end of the report pair */
	struct ctr_proc *proc;
	int *cg_fds;        /* the container's cgroups, joined before the namespaces */
	size_t n_cg_fds;
	int init_fd;        /* the sealed init stub */
	int blob_fd;        /* its plan */
	int proc_root;      /* the caller's procfs (for the LSM label's attr file) */
	int *preserved;     /* copies of the caller's fds 3..3+n_preserved-1 */
	int n_preserved;
	int root_fd;        /* no mount namespace: the init's root (/proc/<pid>/root) to chroot into; -1 */
	bool caller_child;  /* the caller wants the pidfd: the process is its child (CLONE_PARENT) */
};

static void walk(struct exec_ctx *x, int *max, int base)
{
	int *slots[] = {&x->pidfd, &x->sock, &x->init_fd, &x->blob_fd, &x->proc_root, &x->proc->console_sock,
			&x->proc->stdio[0], &x->proc->stdio[1], &x->proc->stdio[2], &x->root_fd};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(slots); i++) {
		if (max && *slots[i] > *max)
			*max = *slots[i];
		else if (!max)
			(void)ctr_fds_move(slots[i], base);
	}
	for (size_t i = 0; i < x->n_cg_fds; i++) {
		if (max && x->cg_fds[i] > *max)
			*max = x->cg_fds[i];
		else if (!max)
			(void)ctr_fds_move(&x->cg_fds[i], base);
	}
	for (int i = 0; i < x->n_preserved; i++) {
		if (max && x->preserved[i] > *max)
			*max = x->preserved[i];
		else if (!max)
			(void)ctr_fds_move(&x->preserved[i], base);
	}
}

__attribute__((noreturn)) static void fail_exit(int sock, int r, const char *eb)
{
	(void)ctr_msg_send(sock, CTR_MSG_ERROR, r < 0 ? -r : r, 0, eb, ss_strlen(eb));
	ss_exit(1);
}

/* The final process, in the container's namespaces: pty, stdio, then the stub. */
__attribute__((noreturn)) static void exec_final(struct exec_ctx *x)
{
	char eb[CTR_ERRBUF];
	eb[0] = '\0';
	struct ctr_proc *p = x->proc;
	int r = 0;
	/* without a mount namespace of its own, the container's root is the init's chroot: enter it */
	if (x->root_fd >= 0 && (fchdir(x->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0))
		fail_exit(x->sock, -errno, "chroot into the container's root");
	if (x->root_fd >= 0)
		close(x->root_fd);
	/* setns (or the chroot) put our root at the container's: its /dev/ptmx is looked up beneath it, by fd */
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail_exit(x->sock, -errno, "open the container's root");
	if ((r = ctr_fds_setup_stdio(p->stdio, eb, sizeof(eb))) < 0)
		fail_exit(x->sock, r, eb);
	if (p->setsid && !p->terminal)
		(void)setsid();
	if (p->terminal && p->console_sock >= 0 &&
	    (r = ctr_term_child_setup(rootfd, p->console_sock, p->has_console_size, p->rows, p->cols, eb,
				      sizeof(eb))) < 0)
		fail_exit(x->sock, r, eb);
	close(rootfd);
	/* the LSM label's attr file, through the caller's procfs (never the container's /proc) */
	int lsm_fd = -1;
	if (p->lsm_attr && (lsm_fd = ctr_procfs_open(x->proc_root, p->lsm_attr, O_WRONLY)) < 0) {
		ss_fmt(eb, sizeof(eb), "process LSM label: open /proc/%s: %s", p->lsm_attr, ss_strerror(-lsm_fd));
		fail_exit(x->sock, lsm_fd, eb);
	}
	close(x->proc_root);
	/*
	 * In the container's user namespace, become its root before the stub's
	 * execve: our ids (the caller's) may not be mapped there, and an execve
	 * by an unmapped id would drop the capabilities the stub needs to switch
	 * to the process's user.
	 */
	if ((x->ns_flags & CLONE_NEWUSER) &&
	    (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)) {
		ss_fmt(eb, sizeof(eb), "become root in the container's user namespace (is uid/gid 0 mapped?): %s",
		       ss_strerror(errno));
		fail_exit(x->sock, -errno, eb);
	}
	int fds[] = {x->blob_fd, x->sock, lsm_fd};
	r = ctr_exec_init_stub(x->init_fd, "exec", fds, CTR_ARRAY_SIZE(fds), eb, sizeof(eb));
	fail_exit(x->sock, r, eb);
}

/*
 * Whether a kernel has cpuset_fork() right for CLONE_INTO_CGROUP (Linux
 * 6.2): before, a process cloned into a cpuset kept its parent's CPU
 * affinity instead of the cpuset's.  Asked once.
 */
static bool cpuset_clone_into_ok(void)
{
	static int ok = -1;
	int v = __atomic_load_n(&ok, __ATOMIC_RELAXED);
	if (v < 0) {
		struct utsname u;
		unsigned major = 0, minor = 0;
		v = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
		    (major > 6 || (major == 6 && minor >= 2));
		__atomic_store_n(&ok, v, __ATOMIC_RELAXED);
	}
	return v == 1;
}

/*
 * The v2 cgroup to clone the helper into (clone3 CLONE_INTO_CGROUP), -1 to
 * have it join by cgroup.procs: a write there takes cgroup_threadgroup_rwsem
 * for writing, which waits for an RCU grace period when no writer came
 * shortly before (exec of /bin/true: median 1.54 ms, some runs over 10).
 * Not with execCPUAffinity.initial, which the spec orders before the move
 * into the cgroup, nor on a kernel whose cpuset_fork() ignores the cpuset of
 * a process cloned into it.
 */
static int clone_into_fd(const struct ctr_container *c, const struct ctr_proc *proc)
{
	if (!c->cg || proc->has_cpus_initial || !cpuset_clone_into_ok())
		return -1;
	return ctr_cgroup_v2_fd(c->cg);
}

__attribute__((noreturn)) static void exec_helper(struct exec_ctx *x)
{
	ss_child_begin();
	char eb[CTR_ERRBUF];
	eb[0] = '\0';
	/* as the init does (child.c): unreachable from the container, default signals, only our fds */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ctr_child_reset_signals();
	int max = -1;
	walk(x, &max, 0);
	int base = ctr_fds_isolate_begin(max, 3 + x->n_preserved);
	walk(x, NULL, base);
	ctr_fds_isolate_end(base);
	if (ctr_fds_place_preserved(x->preserved, x->n_preserved) < 0)
		ss_exit(1);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (x->proc->has_cpus_initial &&
	    sched_setaffinity(0, sizeof(x->proc->cpus_initial), &x->proc->cpus_initial) < 0) {
		int e = errno;
		ss_fmt(eb, sizeof(eb), "process.execCPUAffinity.initial: sched_setaffinity: %s", ss_strerror(e));
		fail_exit(x->sock, e, eb);
	}
	/* into the container's cgroups (after execCPUAffinity.initial, as the spec orders it) */
	int jr = ctr_cgroup_join_self(x->cg_fds, x->n_cg_fds, eb, sizeof(eb));
	if (jr < 0)
		fail_exit(x->sock, jr, eb);
	for (size_t i = 0; i < x->n_cg_fds; i++)
		close(x->cg_fds[i]);
	if (setns(x->pidfd, x->ns_flags) < 0) {
		int e = errno;
		ss_fmt(eb, sizeof(eb), "setns into the container's namespaces: %s", ss_strerror(e));
		fail_exit(x->sock, e, eb);
	}
	close(x->pidfd);
	/*
	 * The caller's child (CLONE_PARENT: it reaps it through the pidfd it gets)
	 * when it asked for the pidfd; else ours, so that once we leave it is an
	 * orphan the kernel reparents as any other: to the nearest child
	 * subreaper among our ancestors (the caller, when it set
	 * PR_SET_CHILD_SUBREAPER), else to the init of our pid namespace (the
	 * host's; the helper's own pid namespace is the caller's, setns changed
	 * only its children's), which reap it.  So nothing is left as a zombie
	 * of a caller that did not ask for one (that would pin the container's
	 * pid namespace).  The pidfd goes to the runtime with the pid either way:
	 * it names this process even if it exits and is reaped at once.
	 */
	int fpidfd = -1;
	pid_t pid = ctr_clone3(x->caller_child ? CLONE_PARENT : 0, &fpidfd, x->caller_child ? 0 : SIGCHLD);
	if (pid < 0) {
		int e = errno;
		ss_fmt(eb, sizeof(eb), "clone3 the exec process: %s", ss_strerror(e));
		fail_exit(x->sock, e, eb);
	}
	if (pid > 0) {
		struct ctr_msg h;
		memset(&h, 0, sizeof(h));
		h.type = CTR_MSG_PID;
		h.pid = pid;
		(void)ctr_send_with_fd(x->sock, &h, sizeof(h), fpidfd);
		ss_exit(0);
	}
	exec_final(x);
}

static int exec_in(ctr_container *c, struct ctr_exec_options *op, ctr_exec_options *opts, int *preserved,
		   pid_t *pid_out, int *pidfd_out, ctr_error **err);

CTR_EXPORT int ctr_container_exec(ctr_container *c, ctr_exec_options *opts, pid_t *pid_out, int *pidfd_out,
				  ctr_error **err)
{
	int r;
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_exec: NULL container");
	struct ctr_exec_options o;
	ctr_exec_options_init(&o);
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_exec_options", err)) < 0)
		return r;
	/* the caller's fds 3..3+preserve_fds-1, before the library opens any of its own */
	int *preserved = NULL;
	int own[] = {c->dirfd, c->pidfd, c->console_fd};
	if ((r = ctr_preserve_fds_snapshot(c->ctx, o.preserve_fds, own, CTR_ARRAY_SIZE(own), &preserved, err)) < 0)
		return r;
	r = exec_in(c, &o, opts, preserved, pid_out, pidfd_out, err);
	ctr_preserve_fds_free(preserved, o.preserve_fds);
	return r;
}

static int exec_in(ctr_container *c, struct ctr_exec_options *op, ctr_exec_options *opts, int *preserved,
		   pid_t *pid_out, int *pidfd_out, ctr_error **err)
{
	int r;
	struct ctr_exec_options o = *op;
	ctr_status st = ctr_container_status(c);
	bool paused_ok = st == CTR_STATUS_PAUSED && (o.flags & CTR_EXEC_IGNORE_PAUSED);
	if ((st != CTR_STATUS_CREATED && st != CTR_STATUS_RUNNING && !paused_ok) || c->pidfd < 0)
		return ctr_err(err, ESRCH, CTR_E_STATE, "container '%s' is %s: exec needs a created or running container%s",
			       c->id, ctr_status_name(st),
			       st == CTR_STATUS_PAUSED ? " (or CTR_EXEC_IGNORE_PAUSED for a paused one)" : "");
	const struct oci_config *cfg;
	if ((r = ctr_container_config(c, &cfg, err)) < 0)
		return r;
	struct oci_process *own = NULL;
	const struct oci_process *p = cfg->process;
	if (o.process_json) {
		if ((r = oci_process_from_buffer(o.process_json, strlen(o.process_json), "process.json", &own, err)) < 0)
			return r;
		p = own;
	}
	if (!p && !o.args)
		return ctr_err(err, EINVAL, CTR_E_SPEC, "container '%s': no process to exec: give args", c->id);

	struct ctr_proc proc;
	char **env = NULL;
	int sv[2] = {-1, -1}, console_parent = -1, hpidfd = -1, fpidfd = -1, blob_fd = -1, proc_root = -1, root_fd = -1;
	int pipes_mine[3] = {-1, -1, -1}, pipes_theirs[3] = {-1, -1, -1};
	pid_t hpid = -1, fpid = -1;
	char *buf = NULL;
	struct json_object *pj_owned = NULL;
	memset(&proc, 0, sizeof(proc));
	proc.console_sock = -1;
	if (p) {
		struct oci_process tmp = *p;
		if (o.args && o.args[0])
			tmp.args = (char **)o.args;
		if (o.cwd)
			tmp.cwd = (char *)o.cwd;
		if ((r = ctr_proc_build(&tmp, "exec", &proc, err)) < 0 ||
		    (r = ctr_proc_add_linux(c->ctx, cfg, &proc, err)) < 0)
			goto out;
		struct json_object *pj = NULL;
		if (o.process_json) {
			pj_owned = json_tokener_parse(o.process_json);
			pj = pj_owned;
		} else if (ctr_spec_json(c->spec)) {
			json_object_object_get_ex(ctr_spec_json(c->spec), "process", &pj);
		}
		if ((r = ctr_proc_add_extras(pj, o.process_json ? "process.json" : "config.json", &proc, err)) < 0)
			goto out;
	} else {
		r = ctr_err(err, EINVAL, CTR_E_SPEC, "container '%s': no process", c->id);
		goto out;
	}
	if (o.env) {
		if (!(env = merge_env(proc.envp, o.env))) {
			r = ctr_err_nomem(err);
			goto out;
		}
		proc.envp = env;
	}
	if (o.user && (r = parse_user(o.user, &proc.uid, &proc.gid, err)) < 0)
		goto out;
	if ((r = ctr_home_set_exec_env(c->pid, c->pidfd, proc.uid, &proc.envp, &env, err)) < 0)
		goto out;
	if (o.tty >= 0)
		proc.terminal = o.tty != 0;
	if (o.flags & CTR_EXEC_STDIO_PIPES) {
		if (o.stdio_fds[0] >= 0 || o.stdio_fds[1] >= 0 || o.stdio_fds[2] >= 0 || !opts ||
		    opts->size < offsetof(ctr_exec_options, stdio_pipes) + sizeof(opts->stdio_pipes)) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID,
				    "ctr_exec_options: CTR_EXEC_STDIO_PIPES needs stdio_fds -1 and a struct with stdio_pipes");
			goto out;
		}
		if ((r = ctr_stdio_pipes(pipes_mine, pipes_theirs, err)) < 0)
			goto out;
		for (int i = 0; i < 3; i++)
			o.stdio_fds[i] = pipes_theirs[i];
	}
	for (int i = 0; i < 3; i++)
		proc.stdio[i] = o.stdio_fds[i];
	proc.preserve_fds = o.preserve_fds;
	if (proc.terminal) {
		if (o.console_socket) {
			struct sockaddr_un sa;
			memset(&sa, 0, sizeof(sa));
			sa.sun_family = AF_UNIX;
			if (strlen(o.console_socket) >= sizeof(sa.sun_path)) {
				r = ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "console socket %s: path too long",
					    o.console_socket);
				goto out;
			}
			strcpy(sa.sun_path, o.console_socket);
			proc.console_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (proc.console_sock < 0 || connect(proc.console_sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				r = ctr_err_sys(err, errno, "console socket %s: connect", o.console_socket);
				goto out;
			}
		} else {
			int cp[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0) {
				r = ctr_err_sys(err, errno, "console socketpair");
				goto out;
			}
			console_parent = cp[0];
			proc.console_sock = cp[1];
		}
	}
	int ns_flags = 0;
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		ns_flags |= cfg->linux_.namespaces[i].clone_flag;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = ctr_err_sys(err, errno, "exec: socketpair");
		goto out;
	}
	int cg_fds[CTR_CG_MAX_HIER];
	size_t n_cg = 0;
	if (c->cg && (r = ctr_cgroup_fds(c->cg, false, cg_fds, &n_cg, err)) < 0) /* opens every one */
		goto out;
	int into = clone_into_fd(c, &proc);
	if (into >= 0 && (r = ctr_cgroup_fds(c->cg, true, cg_fds, &n_cg, err)) < 0) /* the same but v2's */
		goto out;
	int init_fd = ctr_init_stub_fd(c->ctx, err);
	if (init_fd < 0) {
		r = init_fd;
		goto out;
	}
	{
		char *blob;
		size_t blen;
		if (ctr_proc_pack(&proc, NULL, &blob, &blen) < 0) {
			r = ctr_err_nomem(err);
			goto out;
		}
		blob_fd = ctr_sealed_memfd("ctr-init-plan", blob, blen, err);
		free(blob);
		if (blob_fd < 0) {
			r = blob_fd;
			goto out;
		}
	}
	if ((proc_root = ctr_procfs_root()) < 0) {
		r = ctr_err_sys(err, -proc_root, "open /proc (is procfs mounted there, uncovered?)");
		goto out;
	}
	if (!(ns_flags & CLONE_NEWNS)) {
		/* the init's root, through the caller's procfs: following this magic link is the point */
		char rel[32];
		snprintf(rel, sizeof(rel), "%d/root", (int)c->pid);
		if ((root_fd = openat(proc_root, rel, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
			r = ctr_err_sys(err, errno, "container '%s': open /proc/%s", c->id, rel);
			goto out;
		}
	}
	struct exec_ctx x = {c->pidfd, ns_flags, sv[1], &proc, cg_fds, n_cg, init_fd, blob_fd, proc_root,
			     preserved, o.preserve_fds, root_fd, pidfd_out != NULL};
	hpid = into >= 0 ? ctr_clone3_cg(0, &hpidfd, SIGCHLD, into) : ctr_clone3(0, &hpidfd, SIGCHLD);
	if (hpid < 0 && errno == ENOSYS && into >= 0) {
		/* clone3 refused (a seccomp profile): the helper joins the v2 cgroup too */
		if ((r = ctr_cgroup_fds(c->cg, false, cg_fds, &n_cg, err)) < 0)
			goto out;
		x.n_cg_fds = n_cg;
		hpid = ctr_clone3(0, &hpidfd, SIGCHLD);
	}
	if (hpid < 0) {
		r = ctr_err_sys(err, errno, "exec: clone3");
		goto out;
	}
	if (hpid == 0)
		exec_helper(&x);
	close(sv[1]);
	sv[1] = -1;
	if (proc.console_sock >= 0) {
		close(proc.console_sock);
		proc.console_sock = -1;
	}
	if (!(buf = malloc(CTR_MSG_MAX))) {
		r = ctr_err_nomem(err);
		goto out_kill;
	}
	char errtext[CTR_ERRBUF + 64] = "";
	int errnum = 0;
	int64_t deadline = ctr_deadline(o.timeout_ms);
	for (;;) {
		int lfd = -1, mfd;
		int wr = ctr_wait_readable(sv[0], deadline);
		if (wr < 0) {
			r = wr == -ETIMEDOUT ? ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM,
						       "container '%s': exec took longer than %lld ms (timeout_ms): the "
						       "process is killed",
						       c->id, (long long)o.timeout_ms)
					     : ctr_err_sys(err, -wr, "container '%s': exec: wait for the process", c->id);
			if (fpidfd >= 0) {
				int code;
				(void)syscall(SYS_pidfd_send_signal, fpidfd, SIGKILL, NULL, 0);
				(void)ctr_pidfd_exit_status(fpidfd, -1, &code);
			}
			goto out_kill;
		}
		ssize_t n = ctr_recv_with_fd(sv[0], buf, CTR_MSG_MAX - 1, &mfd);
		if (mfd >= 0 && (size_t)n >= sizeof(struct ctr_msg)) {
			struct ctr_msg mh;
			memcpy(&mh, buf, sizeof(mh));
			if (mh.type == CTR_MSG_SECCOMP_FD) {
				lfd = mfd;
			} else if (mh.type == CTR_MSG_PID && fpidfd < 0) {
				fpidfd = mfd; /* the helper's pidfd of the process: no pid reuse race */
				fpid = mh.pid;
				continue;
			} else {
				close(mfd);
			}
		} else if (mfd >= 0) {
			close(mfd);
		}
		if (lfd >= 0) {
			/* SCMP_ACT_NOTIFY: the listener goes to linux.seccomp.listenerPath before the exec completes */
			char *state = NULL;
			r = ctr_container_state_json(c, &state, err);
			if (r == 0)
				r = ctr_seccomp_notify_send(cfg->linux_.seccomp, CTR_OCI_VERSION, state, fpid, lfd, err);
			free(state);
			if (r < 0 && fpidfd >= 0) /* killed while the listener is still open: see start_reply */
				(void)syscall(SYS_pidfd_send_signal, fpidfd, SIGKILL, NULL, 0);
			close(lfd);
			if (r < 0) {
				if (fpidfd >= 0) {
					siginfo_t si;
					while (waitid((idtype_t)P_PIDFD, (id_t)fpidfd, &si, WEXITED) < 0 && errno == EINTR)
						;
				}
				ctr_err_prefix(err, "container '%s': exec", c->id);
				goto out_kill;
			}
			(void)send(sv[0], "g", 1, MSG_NOSIGNAL); /* the agent has it: the program may run */
			continue;
		}
		if (n < 0) {
			errno = (int)-n;
			r = ctr_err_sys(err, errno, "exec: read the report");
			goto out_kill;
		}
		if (n == 0)
			break;
		if ((size_t)n < sizeof(struct ctr_msg))
			continue;
		struct ctr_msg h;
		memcpy(&h, buf, sizeof(h));
		buf[n] = '\0';
		if (h.type == CTR_MSG_PID && fpidfd < 0) {
			fpid = h.pid;
			fpidfd = (int)syscall(SYS_pidfd_open, fpid, 0);
		} else if (h.type == CTR_MSG_ERROR) {
			errnum = h.err;
			snprintf(errtext, sizeof(errtext), "%s", buf + sizeof(h));
		}
	}
	/* the helper is done */
	{
		siginfo_t si;
		while (waitid((idtype_t)P_PIDFD, (id_t)hpidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		hpid = -1;
	}
	if (errnum || fpid <= 0 || fpidfd < 0) {
		if (fpidfd >= 0) {
			int code;
			(void)ctr_pidfd_exit_status(fpidfd, -1, &code); /* reaped when it is ours */
		}
		r = ctr_err(err, errnum > 0 ? errnum : EIO, CTR_E_CHILD, "container '%s': exec: %s", c->id,
			    errtext[0] ? errtext : "the exec process did not start");
		goto out;
	}
	if (console_parent >= 0 && opts && opts->size >= offsetof(ctr_exec_options, console_fd) + sizeof(int)) {
		char cbuf[CMSG_SPACE(sizeof(int))], b[64];
		struct iovec iov = {b, sizeof(b)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(console_parent, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) > 0) {
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			if (cm && cm->cmsg_type == SCM_RIGHTS)
				memcpy(&opts->console_fd, CMSG_DATA(cm), sizeof(int));
		}
	}
	if (pid_out)
		*pid_out = fpid;
	if (pidfd_out) {
		*pidfd_out = fpidfd;
		fpidfd = -1;
	}
	if (o.flags & CTR_EXEC_STDIO_PIPES)
		for (int i = 0; i < 3; i++) {
			opts->stdio_pipes[i] = pipes_mine[i];
			pipes_mine[i] = -1;
		}
	r = 0;
	goto out;
out_kill:
	if (hpidfd >= 0) {
		siginfo_t si;
		(void)syscall(SYS_pidfd_send_signal, hpidfd, SIGKILL, NULL, 0);
		while (waitid((idtype_t)P_PIDFD, (id_t)hpidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	}
out:
	for (int i = 0; i < 3; i++) {
		if (pipes_mine[i] >= 0)
			close(pipes_mine[i]);
		if (pipes_theirs[i] >= 0)
			close(pipes_theirs[i]);
	}
	if (root_fd >= 0)
		close(root_fd);
	if (blob_fd >= 0)
		close(blob_fd);
	if (proc_root >= 0)
		close(proc_root);
	if (fpidfd >= 0)
		close(fpidfd);
	if (hpidfd >= 0)
		close(hpidfd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (console_parent >= 0)
		close(console_parent);
	free(buf);
	free(env);
	ctr_proc_free(&proc);
	oci_process_free(own);
	if (pj_owned)
		json_object_put(pj_owned);
	return r;
}

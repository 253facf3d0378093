/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last steps of every container process, run by the init stub
 * (init/ctr-init.c) for the container's init after start and for every
 * exec'd process: rlimits, scheduling, the user, capabilities, cwd, umask,
 * no_new_privs, the fds the program gets, the LSM label, the seccomp filter
 * and execve.  Also the messages on the runtime's sockets that the container
 * process and the stub send.
 *
 * Built into the library and into the stub.  Async-signal-safe: raw system
 * calls and stack buffers only (glibc's setresuid & co would signal threads
 * that a clone of a threaded process does not have).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "linux/lifecycle.h"
#include "linux/sigsafe.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int fail(char *eb, size_t n, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *eb, size_t n, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t len = ss_vfmt(eb, n, fmt, ap);
	va_end(ap);
	ss_fmt(eb + len, n - len, ": %s", ss_strerror(e));
	return -(e > 0 ? e : EIO);
}

/* Control space for CTR_MSG_MAX_FDS fds, aligned for its cmsghdr. */
union fds_cbuf {
	char buf[CMSG_SPACE(sizeof(int) * CTR_MSG_MAX_FDS)];
	struct cmsghdr align;
};

/*
 * The one sender and the one receiver of the sync and report channels
 * (SOCK_SEQPACKET, a message a packet), with or without fds (SCM_RIGHTS);
 * the functions below are these with their message layouts.
 * Async-signal-safe.
 */
static ssize_t send_fds(int sock, struct iovec *iov, size_t n_iov, const int *fds, size_t n)
{
	union fds_cbuf cbuf;
	struct msghdr mh;
	if (n > CTR_MSG_MAX_FDS)
		return -E2BIG;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = n_iov;
	if (n) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	ssize_t w;
	while ((w = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return w < 0 ? -errno : w;
}

ssize_t ctr_recv_fds(int sock, char *buf, size_t size, int *fds, size_t max, size_t *n, bool *cut)
{
	union fds_cbuf cbuf;
	*n = 0;
	for (;;) {
		struct iovec iov = {buf, size};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (*n < max)
					fds[(*n)++] = fd;
				else
					close(fd);
			}
		}
		*cut = (mh.msg_flags & MSG_CTRUNC) != 0;
		return r;
	}
}

int ctr_msg_send(int fd, int type, int errnum, int pid, const void *payload, size_t len)
{
	struct ctr_msg h;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.err = errnum;
	h.pid = pid;
	h.len = (int)len;
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	ssize_t w = send_fds(fd, iov, len ? 2 : 1, NULL, 0);
	return w < 0 ? (int)w : 0;
}

int ctr_msg_send_fds(int sock, int type, int flags, const int *fds, size_t n)
{
	struct ctr_msg h;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.err = flags;
	struct iovec iov = {&h, sizeof(h)};
	ssize_t w = send_fds(sock, &iov, 1, fds, n);
	return w < 0 ? (int)w : 0;
}

ssize_t ctr_send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {(void *)buf, len};
	return send_fds(sock, &iov, 1, &fd, 1);
}

int ctr_msg_recv_fds(int sock, char *buf, size_t size, int *fds, size_t max, size_t *n)
{
	bool cut;
	ssize_t r = ctr_recv_fds(sock, buf, size, fds, max, n, &cut);
	if (r <= 0)
		return (int)r;
	if ((size_t)r < sizeof(struct ctr_msg) || cut)
		return -EPROTO;
	struct ctr_msg h;
	memcpy(&h, buf, sizeof(h));
	if (h.len < 0 || (size_t)h.len != (size_t)r - sizeof(h))
		return -EPROTO;
	return h.type;
}

int ctr_msg_recv(int fd, char *buf, size_t size)
{
	size_t n;
	return ctr_msg_recv_fds(fd, buf, size, NULL, 0, &n); /* an fd sent along is closed */
}

ssize_t ctr_recv_with_fd(int sock, char *buf, size_t size, int *fdp)
{
	size_t n;
	bool cut;
	ssize_t r = ctr_recv_fds(sock, buf, size, fdp, 1, &n, &cut);
	if (!n)
		*fdp = -1;
	return r;
}

ssize_t ctr_seccomp_recv(int sock, char *buf, size_t size, int *listener)
{
	int fd;
	ssize_t n = ctr_recv_with_fd(sock, buf, size, &fd);
	struct ctr_msg h;
	*listener = -1;
	if (fd >= 0 && (size_t)n >= sizeof(h) && (memcpy(&h, buf, sizeof(h)), h.type == CTR_MSG_SECCOMP_FD))
		*listener = fd;
	else if (fd >= 0)
		close(fd);
	return n;
}

int ctr_seccomp_send_listener(int sock, int fd)
{
	struct ctr_msg h;
	memset(&h, 0, sizeof(h));
	h.type = CTR_MSG_SECCOMP_FD;
	ssize_t w = ctr_send_with_fd(sock, &h, sizeof(h), fd);
	return w < 0 ? (int)w : 0;
}

static int seccomp_load(const struct ctr_proc *p, bool listener_ok, int *listener, char *eb, size_t n)
{
	*listener = -1;
	if (!p->seccomp_filter)
		return 0;
	struct sock_fprog prog = {p->seccomp_len, (struct sock_filter *)p->seccomp_filter};
	bool want = p->seccomp_listener && listener_ok;
	unsigned flags = p->seccomp_flags | (want ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		return fail(eb, n, errno, "linux.seccomp: load the filter");
	if (want)
		*listener = (int)r;
	return 0;
}

static int capset_sets(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

#define ADMIN (1ull << CAP_SYS_ADMIN)

/*
 * Loading a seccomp filter without no_new_privs takes CAP_SYS_ADMIN: when the
 * final capabilities lack it, ctr_proc_apply keeps it in the effective and
 * permitted sets and ctr_proc_seccomp drops it right after the load.  Such a
 * filter is loaded right after the credentials, before the init waits for
 * start (as runc does), so that no process ever waits holding a capability
 * the container does not have: a process in the container with
 * CAP_SYS_PTRACE could otherwise take it.
 */
static bool seccomp_needs_admin(const struct ctr_proc *p)
{
	if (!p->seccomp_filter || p->nnp)
		return false;
	if (p->has_caps)
		return !(p->cap_eff & ADMIN);
	return p->uid != 0; /* root keeps every capability, anyone else loses them at setresuid */
}

/* Drop the CAP_SYS_ADMIN kept for the seccomp load (see seccomp_needs_admin). */
static void drop_admin(const struct ctr_proc *p)
{
	/*
	 * Belt and braces: it was only added to the effective and permitted sets,
	 * which execve does not carry over (the new permitted set comes from the
	 * inheritable, bounding and ambient sets and the file's), so a profile that
	 * denies capset, or an agent that answers it without running it, leaves
	 * nothing behind.
	 */
	if (seccomp_needs_admin(p))
		(void)(p->has_caps ? capset_sets(p->cap_eff, p->cap_prm, p->cap_inh) : capset_sets(0, 0, 0));
}

/*
 * After process.cwd is entered: nothing of the host is open by then (the stub
 * holds only the container's stdio, the caller's preserved fds and sockets),
 * so "/proc/self/fd/N" cannot lead out; this makes sure anyway: a cwd outside
 * the root reads as "(unreachable)/..." from getcwd(2) (CVE-2024-21626).
 */
static int check_cwd(const struct ctr_proc *p, char *eb, size_t n)
{
	char buf[4096];
	long l = syscall(SYS_getcwd, buf, sizeof(buf));
	if (l > 0 && buf[0] != '/') {
		ss_fmt(eb, n, "process.cwd: %s is outside the container's root filesystem", p->cwd);
		return -EPERM;
	}
	return 0;
}

int ctr_proc_apply(const struct ctr_proc *p, unsigned what, char *eb, size_t n)
{
	int r;
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (syscall(SYS_prlimit64, 0, p->rlimits[i].resource, &p->rlimits[i].lim, NULL) < 0)
			return fail(eb, n, errno, "process.rlimits[%zu]: setrlimit", i);
	/* as root first (a directory only root may enter), again as the user when that failed */
	bool cwd_done = (what & CTR_APPLY_CWD) && chdir(p->cwd) == 0;
	if (p->has_personality && syscall(SYS_personality, p->personality) < 0)
		return fail(eb, n, errno, "linux.personality: personality");
	if (p->has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->ioprio) < 0)
		return fail(eb, n, errno, "process.ioPriority: ioprio_set");
	if (p->has_sched && syscall(SYS_sched_setattr, 0, &p->sched, 0) < 0)
		return fail(eb, n, errno, "process.scheduler: sched_setattr");
	if (p->has_cpus_final && syscall(SYS_sched_setaffinity, 0, sizeof(p->cpus_final), &p->cpus_final) < 0)
		return fail(eb, n, errno, "process.execCPUAffinity.final: sched_setaffinity");
	if (p->has_mempolicy &&
	    syscall(SYS_set_mempolicy, p->mempolicy_mode, p->mempolicy_maxnode ? p->mempolicy_nodes : NULL,
		    p->mempolicy_maxnode) < 0)
		return fail(eb, n, errno, "linux.memoryPolicy: set_mempolicy");
	/* the seccomp filter is loaded last; see seccomp_needs_admin for CAP_SYS_ADMIN */
	bool admin = seccomp_needs_admin(p);
	if (admin && !p->has_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(eb, n, errno, "prctl(PR_SET_KEEPCAPS)");
	if (p->has_caps) {
		for (int c = 0; c <= p->last_cap; c++)
			if (!(p->cap_bnd & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return fail(eb, n, errno, "process.capabilities.bounding: drop capability %d", c);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return fail(eb, n, errno, "prctl(PR_SET_KEEPCAPS)");
	}
	/* raw syscalls: see the top of the file */
	if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0 && !(errno == EPERM && p->n_groups == 0))
		return fail(eb, n, errno, "process.user.additionalGids: setgroups");
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		return fail(eb, n, errno, "process.user.gid: setresgid %u (is it mapped in the user namespace?)",
			    (unsigned)p->gid);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		return fail(eb, n, errno, "process.user.uid: setresuid %u (is it mapped in the user namespace?)",
			    (unsigned)p->uid);
	if (admin && !p->has_caps && (r = capset_sets(ADMIN, ADMIN, 0)) < 0)
		return fail(eb, n, -r, "keep CAP_SYS_ADMIN to load the seccomp filter: capset");
	if (p->has_caps) {
		uint64_t extra = admin ? ADMIN : 0;
		if ((r = capset_sets(p->cap_eff | extra, p->cap_prm | extra, p->cap_inh)) < 0)
			return fail(eb, n, -r, "process.capabilities: capset");
		/* an ambient capability the kernel refuses (not also permitted and
		 * inheritable: EPERM) is skipped, as runc and crun do */
		for (int c = 0; c <= p->last_cap; c++)
			if ((p->cap_amb & (1ull << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 &&
			    errno != EPERM)
				return fail(eb, n, errno, "process.capabilities.ambient: raise capability %d", c);
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (what & CTR_APPLY_CWD) {
		if (!cwd_done && chdir(p->cwd) < 0)
			return fail(eb, n, errno, "process.cwd: chdir %s", p->cwd);
		if ((r = check_cwd(p, eb, n)) < 0)
			return r;
	}
	if (p->has_umask)
		umask(p->umask);
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(eb, n, errno, "process.noNewPrivileges: prctl");
	if (what & CTR_APPLY_FDS) {
		/* fds 3 .. 3+preserve_fds-1 go to the program; everything else closes at exec */
		for (int fd = 3; fd < 3 + p->preserve_fds; fd++) {
			int f = fcntl(fd, F_GETFD);
			if (f >= 0)
				(void)fcntl(fd, F_SETFD, f & ~FD_CLOEXEC);
		}
		int e = ss_cloexec_from(3u + (unsigned)p->preserve_fds);
		if (e < 0)
			return fail(eb, n, -e, "close_range");
	}
	return 0;
}

/* The wording engines match on: podman maps "executable file not found" and
 * "no such file or directory" to 127, "permission denied" to 126. */
int ctr_proc_check_program(const struct ctr_proc *p, char *eb, size_t n)
{
	char found[4096];
	const char *file = p->argv[0];
	int r = ss_lookpath(file, p->envp, found, sizeof(found));
	if (r == 0)
		return 0;
	bool has_slash = false;
	for (const char *c = file; *c; c++)
		has_slash |= *c == '/';
	if (r == -ENOENT && !has_slash)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": executable file not found in $PATH", file);
	else if (r == -ENOENT)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": stat %s: no such file or directory", file, file);
	else if (r == -EACCES || r == -EPERM)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": permission denied", file);
	else
		return fail(eb, n, -r, "process.args[0]: exec: \"%s\"", file);
	return r;
}

bool ctr_proc_seccomp_early(const struct ctr_proc *p)
{
	return seccomp_needs_admin(p);
}

int ctr_proc_seccomp(const struct ctr_proc *p, int sock, char *eb, size_t n)
{
	/*
	 * After the filter only these system calls run before execve: capset (the
	 * CAP_SYS_ADMIN kept only for the load goes at once), with
	 * SCMP_ACT_NOTIFY sendmsg of the listener fd (the profile may not notify
	 * sendmsg, plan time checks that) and recvfrom of the runtime's word that
	 * the agent has it; then what is left to do (for an init loaded at
	 * create: accept4 and recvfrom of start, the startContainer hooks).  A
	 * notified recvfrom or capset is fine: the agent has the listener by
	 * then.  A recvfrom that the profile denies goes on: if the runtime could
	 * not reach the agent it kills this process.
	 */
	int listener = -1, r;
	if ((r = seccomp_load(p, true, &listener, eb, n)) < 0)
		return r;
	drop_admin(p);
	if (listener >= 0) {
		if (sock < 0)
			return fail(eb, n, EINVAL, "linux.seccomp: no channel to pass the listener fd on");
		if ((r = ctr_seccomp_send_listener(sock, listener)) < 0)
			return fail(eb, n, -r, "linux.seccomp: pass the listener fd to the runtime (does the profile "
				    "deny sendmsg?)");
		close(listener);
		/* nothing may run before the agent can answer for it */
		char go;
		ssize_t got;
		while ((got = recv(sock, &go, 1, 0)) < 0 && errno == EINTR)
			;
		if (got == 0)
			ss_exit(127); /* the runtime gave up (and kills us) */
	}
	return 0;
}

int ctr_proc_hook_seccomp(void *arg)
{
	const struct ctr_hook_filter *f = arg;
	char eb[256];
	int listener;
	/* hooks get the filter without a listener: a notified system call fails with ENOSYS in them */
	int r = f->loaded ? 0 : seccomp_load(f->proc, false, &listener, eb, sizeof(eb));
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

int ctr_proc_exec(const struct ctr_proc *p, int lsm_fd, bool seccomp_loaded, char *eb, size_t n)
{
	int r;
	/*
	 * The LSM label applies at execve.  lsm_fd was opened by the container
	 * process before pivot_root, through the host's procfs (linux/procfs.h):
	 * nothing the image or the config put at /proc can take the write.
	 */
	if (p->lsm_value) {
		if (lsm_fd < 0)
			return fail(eb, n, EBADF, "process LSM label: no attr file");
		size_t len = ss_strlen(p->lsm_value);
		ssize_t w;
		do
			w = write(lsm_fd, p->lsm_value, len);
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)len)
			return fail(eb, n, w < 0 ? errno : EIO, "process LSM label: write \"%s\"", p->lsm_value);
	}
	if (lsm_fd >= 0)
		close(lsm_fd);
	/* the seccomp filter comes last, right before execve, unless it had to come early (see seccomp_needs_admin) */
	if (!seccomp_loaded && (r = ctr_proc_seccomp(p, p->notify_sock, eb, n)) < 0)
		return r;
	r = ss_execvpe(p->argv[0], p->argv, p->envp);
	return fail(eb, n, -r, "exec %s", p->argv[0]);
}

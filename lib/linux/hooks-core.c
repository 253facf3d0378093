/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OCI lifecycle hooks (config.md "POSIX-platform Hooks", runtime.md
 * "Lifecycle"): the async-signal-safe core that runs one hook.  It is built
 * into the library and into the init stub (init/ctr-init.c), which runs the
 * startContainer hooks with the container process's credentials.
 *
 * One async-signal-safe core runs a single hook; it serves both the hooks
 * that run in the runtime namespace from normal code (ctr_hooks_run) and the
 * createContainer/startContainer hooks that run from the container process
 * after clone (ctr_sighooks_run).  Running the normal path through the same
 * core costs nothing and means the sig-safe path is exercised by every
 * prestart/createRuntime/poststart/poststop hook too.
 *
 * How one hook runs:
 *  - the state JSON goes into a pipe before the hook starts, as much as the
 *    pipe holds (grown with F_SETPIPE_SZ for large states).  With the read end
 *    still open in this process that write can neither block nor raise
 *    SIGPIPE; whatever did not fit is written after the start, non-blocking,
 *    in the same poll loop that waits for the hook, with SIGPIPE blocked in
 *    this thread (a hook that does not read stdin makes the write fail with
 *    EPIPE, which is not an error: the spec does not require hooks to read it);
 *  - the hook is started with clone3(CLONE_PIDFD) so that it is waited for
 *    through a pidfd: no PID reuse race, and poll() gives the timeout;
 *  - an exec failure comes back through a CLOEXEC pipe as an errno;
 *  - the hook's stdout and stderr are the caller's stderr, so its output
 *    shows where the runtime logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/hooks.h"
#include "linux/sigsafe.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* struct clone_args of <linux/sched.h>, first version (CLONE_ARGS_SIZE_VER0 = 64 bytes). */
struct hook_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

/* How much of a large state we try to make fit into the pipe before the start. */
#define HOOK_PIPE_MAX (1024 * 1024)

/*
 * fork-like clone that returns a pidfd.  Returns the pid in the parent, 0 in
 * the child, -errno on failure.
 */
static pid_t clone_with_pidfd(int *pidfd)
{
	struct hook_clone_args args;
	char *p = (char *)&args;
	for (size_t i = 0; i < sizeof(args); i++)
		p[i] = 0;
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	/* exec resets the exit signal to SIGCHLD anyway: ask for it plainly */
	args.exit_signal = SIGCHLD;

	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0 && errno == ENOSYS) {
		/*
		 * clone3 missing (Linux < 5.3) or refused with ENOSYS by a seccomp
		 * profile (container engines' default profiles do that so that libc
		 * falls back to clone): clone() takes CLONE_PIDFD too (Linux 5.2) and
		 * stores the pidfd through its parent_tid argument.
		 */
#if defined(__s390__) || defined(__s390x__) || defined(__CRIS__)
		r = syscall(SYS_clone, 0UL, (unsigned long)(CLONE_PIDFD | SIGCHLD), pidfd, NULL, 0UL);
#else
		r = syscall(SYS_clone, (unsigned long)(CLONE_PIDFD | SIGCHLD), 0UL, pidfd, NULL, 0UL);
#endif
	}
	if (r < 0)
		return -errno;
	return (pid_t)r;
}

/* In the hook process: only async-signal-safe calls until execve. */
static void __attribute__((noreturn)) hook_child(const struct ctr_sighook *h, int in_fd, int err_fd,
						 const struct ctr_hook_exec *x)
{
	int e;

	ss_child_begin();

	/*
	 * The hook gets default signal dispositions and an empty mask, not the
	 * host's (a daemon may ignore SIGPIPE or block SIGCHLD for a signalfd;
	 * exec keeps both).  Dispositions first so that nothing pending reaches a
	 * host handler in this copy of the process.
	 */
	struct sigaction sa;
	char *sp = (char *)&sa;
	for (size_t i = 0; i < sizeof(sa); i++)
		sp[i] = 0;
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL); /* libc-internal signals answer EINVAL */
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* keep our fds away from 0..2 before the dup2s below */
	if (in_fd < 3) {
		in_fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
		if (in_fd < 0)
			goto fail;
	}
	if (err_fd < 3) {
		int nfd = fcntl(err_fd, F_DUPFD_CLOEXEC, 3);
		if (nfd < 0)
			ss_exit(127);
		err_fd = nfd;
	}
	if (fcntl(STDERR_FILENO, F_GETFD) < 0) {
		/* the caller runs without a stderr: give the hook /dev/null */
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul < 0 || dup2(nul, STDERR_FILENO) < 0)
			goto fail;
	}
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || dup2(in_fd, STDIN_FILENO) < 0)
		goto fail;
	/*
	 * A hook gets stdin, stdout and stderr only: the container process may
	 * hold fds without O_CLOEXEC (sync sockets, the console socket).
	 */
	if (ss_cloexec_from(3U) < 0)
		goto fail;
	if (x && x->pre_exec && x->pre_exec(x->arg) < 0)
		goto fail; /* errno says why */

	execve(h->path, h->argv, h->envp);
fail:
	e = errno;
	(void)ss_write_all(err_fd, &e, sizeof(e));
	ss_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The hook was reaped by someone else: its wait status from the pidfd (ss_pidfd_exit_wstatus). */
static int status_from_pidfd(int pidfd, siginfo_t *si)
{
	int st;
	if (ss_pidfd_exit_wstatus(pidfd, &st) < 0)
		return -ECHILD;
	if (WIFEXITED(st)) {
		si->si_code = CLD_EXITED;
		si->si_status = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		si->si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
		si->si_status = WTERMSIG(st);
	} else {
		return -ECHILD;
	}
	return 0;
}

static int wait_pidfd(int pidfd, pid_t pid, siginfo_t *si)
{
	for (;;) {
		char *p = (char *)si;
		for (size_t i = 0; i < sizeof(*si); i++)
			p[i] = 0;
		int r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, si, WEXITED);
		if (r < 0 && errno == EINVAL) /* waitid(P_PIDFD) is Linux 5.4 */
			r = waitid(P_PID, (id_t)pid, si, WEXITED);
		if (r == 0)
			return 0;
		if (errno == ECHILD)
			return status_from_pidfd(pidfd, si);
		if (errno != EINTR)
			return -errno;
	}
}

static void kill_and_reap(int pidfd, pid_t pid)
{
	siginfo_t si;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		(void)kill(pid, SIGKILL); /* pidfd_send_signal is Linux 5.1; the child is ours and unreaped */
	(void)wait_pidfd(pidfd, pid, &si);
}

/*
 * Run one hook.  *hook_failed is set when the failure is the hook's own
 * (exit status, signal, timeout, exec) rather than the runtime's (no pipe,
 * no process).  Async-signal-safe.
 */
int ctr_sighook_run_one(const char *kind, size_t idx, const struct ctr_sighook *h, const char *state, size_t len,
			const struct ctr_hook_exec *x, bool *hook_failed, char *errbuf, size_t errlen)
{
	int in[2] = { -1, -1 }, ep[2] = { -1, -1 }, pidfd = -1;
	int r = 0, e;
	pid_t pid = -1;
	sigset_t pipe_set, old_mask, pending;
	bool sigpipe_was_pending = false, mask_set = false;
	size_t off = 0;
	const char *what = "";

	*hook_failed = false;
	if (!kind)
		kind = "hook";

	if (pipe2(in, O_CLOEXEC) < 0) {
		what = "stdin pipe";
		goto sys_fail;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		what = "exec status pipe";
		goto sys_fail;
	}
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) < 0) {
		what = "fcntl(O_NONBLOCK)";
		goto sys_fail;
	}
	if (len > 65536)
		(void)fcntl(in[1], F_SETPIPE_SZ, (int)(len < HOOK_PIPE_MAX ? len : HOOK_PIPE_MAX));
	while (off < len) {
		ssize_t w = write(in[1], state + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			what = "write state";
			goto sys_fail;
		}
		off += (size_t)w;
	}
	if (off == len)
		close_fd(&in[1]); /* all of it is in the pipe: the hook sees EOF after it */

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (in[1] >= 0) {
		if (sigpending(&pending) == 0)
			sigpipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
		if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0)
			mask_set = true;
	}

	pid = clone_with_pidfd(&pidfd);
	if (pid < 0) {
		errno = -pid;
		what = "clone3";
		goto sys_fail;
	}
	if (pid == 0) {
		close(ep[0]);
		if (in[1] >= 0)
			close(in[1]);
		hook_child(h, in[0], ep[1], x);
	}
	close_fd(&in[0]);
	close_fd(&ep[1]);

	int64_t deadline = h->timeout_ms >= 0 ? now_ms() + h->timeout_ms : 0;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = in[1], .events = POLLOUT }, /* -1 is ignored by poll */
		};
		int tmo = -1;
		if (h->timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			tmo = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		int n = poll(fds, 2, tmo);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			kill_and_reap(pidfd, pid);
			errno = e;
			what = "poll";
			goto sys_fail;
		}
		if (n == 0) {
			kill_and_reap(pidfd, pid);
			*hook_failed = true;
			if (h->timeout_ms % 1000 == 0)
				ss_fmt(errbuf, errlen, "hooks.%s[%zu] (%s): timed out after %ds", kind, idx, h->path,
				       h->timeout_ms / 1000);
			else
				ss_fmt(errbuf, errlen, "hooks.%s[%zu] (%s): timed out after %dms", kind, idx,
				       h->path, h->timeout_ms);
			r = -ETIMEDOUT;
			goto out;
		}
		if (in[1] >= 0 && fds[1].revents) {
			if (fds[1].revents & POLLOUT) {
				ssize_t w = write(in[1], state + off, len - off);
				if (w > 0)
					off += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR)
					off = len; /* EPIPE: the hook closed its stdin; not an error */
			} else {
				off = len; /* POLLERR/POLLHUP: nobody reads any more */
			}
			if (off == len)
				close_fd(&in[1]);
		}
		if (fds[0].revents)
			break; /* the hook exited */
	}
	close_fd(&in[1]);

	siginfo_t si;
	r = wait_pidfd(pidfd, pid, &si);
	if (r < 0) {
		errno = -r;
		what = r == -ECHILD ? "waitid (someone else reaped the hook: a SIGCHLD handler calling waitpid(-1), "
				      "or SIGCHLD ignored, on a kernel before 6.15)"
				    : "waitid";
		goto sys_fail;
	}
	int exec_errno = 0;
	ssize_t got;
	do
		got = read(ep[0], &exec_errno, sizeof(exec_errno));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(exec_errno) && exec_errno > 0) {
		*hook_failed = true;
		ss_fmt_errno(errbuf, errlen, exec_errno, "hooks.%s[%zu] (%s): exec: %m", kind, idx, h->path);
		r = -exec_errno;
		goto out;
	}
	if (si.si_code == CLD_EXITED) {
		if (si.si_status == 0) {
			r = 0;
			goto out;
		}
		*hook_failed = true;
		ss_fmt(errbuf, errlen, "hooks.%s[%zu] (%s): exited with status %d", kind, idx, h->path,
		       si.si_status);
	} else {
		*hook_failed = true;
		ss_fmt(errbuf, errlen, "hooks.%s[%zu] (%s): killed by signal %d%s", kind, idx, h->path,
		       si.si_status, si.si_code == CLD_DUMPED ? " (core dumped)" : "");
	}
	r = -ECANCELED;
	goto out;

sys_fail:
	e = errno > 0 ? errno : EIO;
	ss_fmt_errno(errbuf, errlen, e, "hooks.%s[%zu] (%s): %s: %m", kind, idx, h->path, what);
	r = -e;
out:
	if (mask_set) {
		if (!sigpipe_was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
			/* consume the SIGPIPE our own write raised */
			struct timespec zero = { 0, 0 };
			(void)sigtimedwait(&pipe_set, NULL, &zero);
		}
		(void)pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&ep[0]);
	close_fd(&ep[1]);
	close_fd(&pidfd);
	return r;
}

int ctr_sighooks_run_native(const struct ctr_sighook_list *l, const char *state, size_t state_len,
			    int (*run_native)(void *arg, size_t idx, char *errbuf, size_t errlen), void *arg,
			    char *errbuf, size_t errlen)
{
	if (errlen)
		errbuf[0] = '\0';
	if (!l)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		bool hook_failed;
		int r;
		if (l->hooks[i].native && !run_native) {
			ss_fmt(errbuf, errlen,
			       "hooks.%s[%zu] (%s): %s is not installed, and libctr runs its verbs itself only in "
			       "prestart, createRuntime, createContainer and poststart hooks: install "
			       "nvidia-container-toolkit or move the hook",
			       l->kind, i, l->hooks[i].path, l->hooks[i].path);
			return -ENOENT;
		}
		if (l->hooks[i].native)
			r = run_native(arg, i, errbuf, errlen);
		else
			r = ctr_sighook_run_one(l->kind, i, &l->hooks[i], state ? state : "", state ? state_len : 0,
						NULL, &hook_failed, errbuf, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int ctr_sighooks_run(const struct ctr_sighook_list *l, const char *state, size_t state_len, char *errbuf,
		     size_t errlen)
{
	return ctr_sighooks_run_native(l, state, state_len, NULL, NULL, errbuf, errlen);
}

int ctr_sighooks_run_as(const struct ctr_sighook_list *l, const char *state, size_t state_len,
			const struct ctr_hook_exec *x, char *errbuf, size_t errlen)
{
	if (errlen)
		errbuf[0] = '\0';
	for (size_t i = 0; l && i < l->n; i++) {
		bool hook_failed;
		int r = ctr_sighook_run_one(l->kind, i, &l->hooks[i], state ? state : "", state ? state_len : 0, x,
					    &hook_failed, errbuf, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

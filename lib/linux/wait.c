/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Exit statuses that do not depend on the host's SIGCHLD policy, and the
 * helper programs the library runs (newuidmap, newgidmap, ldconfig).
 *
 * A program that embeds libctr may set SIGCHLD to SIG_IGN (the kernel then
 * reaps its children itself) or reap every child in a handler
 * (waitpid(-1)); either takes the exit status of a container's init or an
 * exec'd process away from waitid().  The pidfd keeps it since Linux 6.15
 * (PIDFD_GET_INFO with PIDFD_INFO_EXIT), so that is where it is read then;
 * on an older kernel the status is gone and the caller gets an error that
 * says so, never a made-up exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/lifecycle.h"
#include "linux/sigsafe.h"


static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int code_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

int ctr_pidfd_exit_status(int pidfd, int timeout_ms, int *code)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	for (;;) {
		struct pollfd p = {pidfd, POLLIN, 0};
		int tmo = timeout_ms < 0 ? -1 : timeout_ms == 0 ? 0 : (int)(deadline - now_ms());
		if (tmo < 0 && timeout_ms >= 0)
			tmo = 0;
		int n = poll(&p, 1, tmo);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		break;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r;
	while ((r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0 && si.si_pid) {
		*code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
		return 0;
	}
	if (r < 0 && errno != ECHILD)
		return -errno;
	/* not ours to reap, or reaped already by someone else: what the pidfd kept (Linux 6.15) */
	int st;
	if (ss_pidfd_exit_wstatus(pidfd, &st) < 0 || code_of(st) < 0)
		return -ECHILD;
	*code = code_of(st);
	return 0;
}

int64_t ctr_deadline(int64_t timeout_ms)
{
	return timeout_ms > 0 ? now_ms() + timeout_ms : 0;
}

int ctr_wait_readable(int fd, int64_t deadline)
{
	if (!deadline)
		return 0;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = {fd, POLLIN, 0};
		int n = poll(&p, 1, left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n == 0 ? -ETIMEDOUT : 0;
	}
}

int ctr_spawn_helper(const char *path, char *const argv[], int out_fd, int err_fd, int *pidfd_out)
{
	static char *const env[] = {(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				    (char *)"LC_ALL=C", NULL};
	int pidfd = -1;
	pid_t pid = ctr_clone3(0, &pidfd, SIGCHLD);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/*
		 * The helper gets default signals, /dev/null or the given fds as
		 * stdio, none of the caller's other fds and a fixed environment (it
		 * may be set-uid: newuidmap), whatever the calling program holds.
		 */
		ss_child_begin();
		ctr_child_reset_signals();
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int fds[3] = {nul, out_fd >= 0 ? out_fd : nul, err_fd >= 0 ? err_fd : nul};
		char eb[64];
		if (nul < 0 || ctr_fds_setup_stdio(fds, eb, sizeof(eb)) < 0)
			ss_exit(127);
		(void)syscall(SYS_close_range, 3U, ~0U, 0);
		execve(path, argv, env);
		ss_exit(127);
	}
	*pidfd_out = pidfd;
	return 0;
}

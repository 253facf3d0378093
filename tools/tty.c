/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Foreground processes (run without --detach, exec without --detach): proxy
 * the pty master to our stdin/stdout with our terminal in raw mode, follow
 * window size changes, and forward the signals we receive to the container's
 * init (run) or to the exec'd process, as runc does.
 *
 * Signals arrive through a self-pipe written by async-signal-safe handlers;
 * we install handlers instead of blocking signals for a signalfd so that the
 * signal mask the library's children inherit stays the one we were started
 * with.  Handlers are reset to the default by execve, so nothing leaks into
 * the container either way.  `run` keeps them once the container has exited
 * (cli_signals_reset is not called there): a signal during the delete that
 * follows is swallowed, so the delete completes rather than stop half-way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	ssize_t r = write(sig_pipe[1], &b, 1);
	(void)r;
	errno = saved;
}

static bool forwardable(int s)
{
	switch (s) {
	case SIGKILL: case SIGSTOP: case SIGCHLD:
	/* synchronous faults are ours, not the container's */
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGABRT: case SIGSYS:
	case SIGPIPE:
		return false;
	default:
		return s < 32 || (s >= SIGRTMIN && s <= SIGRTMAX);
	}
}

int cli_signals_setup(struct cli *cli)
{
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		cli_error(cli, "cannot create the signal pipe: %s", strerror(errno));
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (int s = 1; s <= SIGRTMAX; s++)
		if (forwardable(s))
			sigaction(s, &sa, NULL);
	return 0;
}

void cli_signals_reset(void)
{
	if (sig_pipe[0] < 0)
		return; /* never set up: the dispositions are still the ones we were started with */
	for (int s = 1; s <= SIGRTMAX; s++)
		if (forwardable(s))
			signal(s, SIG_DFL);
}

/* The terminal and relay work is the library's (ctr/console.h); signals stay ours. */
static ctr_console_mode *saved_mode;

void cli_tty_raw(void)
{
	if (!saved_mode && ctr_console_raw(STDIN_FILENO, &saved_mode, NULL) < 0)
		saved_mode = NULL;
}

void cli_tty_restore(void)
{
	ctr_console_restore(saved_mode);
	saved_mode = NULL;
}

void cli_tty_resize(int master)
{
	if (master >= 0)
		(void)ctr_console_resize(master, STDIN_FILENO);
}

static void forward(struct cli *cli, struct io_proxy *p, int signo)
{
	if (signo == SIGWINCH) {
		cli_tty_resize(p->master);
		return;
	}
	if (p->c) {
		ctr_error *err = NULL;
		if (ctr_container_kill(p->c, signo, 0, &err) < 0) {
			if (ctr_error_errno(err) != ESRCH)
				cli_warn(cli, "forwarding signal %d to the container: %s", signo,
					 ctr_error_message(err));
			ctr_error_free(err);
		}
	} else if (p->sig_pidfd >= 0) {
		/* pidfd_send_signal: no pid reuse race with the exec'd process */
		if (syscall(SYS_pidfd_send_signal, p->sig_pidfd, signo, NULL, 0) < 0 && errno != ESRCH)
			cli_warn(cli, "forwarding signal %d to process %d: %s", signo, (int)p->pid, strerror(errno));
	}
}

int cli_proxy_run(struct cli *cli, struct io_proxy *p)
{
	ctr_console_relay *relay = NULL;
	ctr_error *err = NULL;
	if (p->pidfd < 0)
		return 0;
	if (p->master >= 0) {
		if (ctr_console_relay_new(&relay, p->master, STDIN_FILENO, STDOUT_FILENO, &err) < 0) {
			cli_error_ctr(cli, err, "the terminal");
			return -1;
		}
		cli_tty_resize(p->master);
	}
	int wake[2] = {p->pidfd, sig_pipe[0]}, r = 0;
	for (;;) {
		int which = -1;
		if (relay) {
			int k = ctr_console_relay_run(relay, wake, 2, -1, &which, &err);
			if (k < 0) {
				cli_error_ctr(cli, err, "the terminal");
				r = -1;
				break;
			}
			if (k == 1) { /* the pty is closed: nothing more to relay, wait for the process */
				ctr_console_relay_free(relay);
				relay = NULL;
				continue;
			}
		} else {
			struct pollfd pfd[2] = {{.fd = wake[0], .events = POLLIN}, {.fd = wake[1], .events = POLLIN}};
			if (poll(pfd, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				cli_error(cli, "poll: %s", strerror(errno));
				r = -1;
				break;
			}
			which = pfd[0].revents ? 0 : pfd[1].revents ? 1 : -1;
		}
		if (which == 1) {
			unsigned char sigs[64];
			ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));
			for (ssize_t k = 0; k < n; k++)
				forward(cli, p, sigs[k]);
		} else if (which == 0) {
			/* the process is gone: what it wrote is in the pty already */
			(void)ctr_console_relay_flush(relay);
			break;
		}
	}
	ctr_console_relay_free(relay);
	return r;
}

bool cli_have_terminal(void)
{
	if (isatty(STDERR_FILENO) || isatty(STDOUT_FILENO) || isatty(STDIN_FILENO))
		return true;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false; /* errno says why */
	close(fd);
	return true;
}

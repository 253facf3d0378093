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
 * the container either way.
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
static struct termios saved_tio;
static bool tio_saved;

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
	for (int s = 1; s <= SIGRTMAX; s++)
		if (forwardable(s))
			signal(s, SIG_DFL);
}

void cli_tty_raw(void)
{
	struct termios t;
	if (tio_saved || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	tio_saved = true;
	t = saved_tio;
	cfmakeraw(&t);
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

void cli_tty_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = false;
	}
}

void cli_tty_resize(int master)
{
	struct winsize ws;
	if (master < 0)
		return;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
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

/* Copy what the pty holds to stdout; returns -1 at EOF/EIO (slave closed). */
static int pump_master(int master)
{
	char b[8192];
	for (;;) {
		ssize_t r = read(master, b, sizeof(b));
		if (r > 0) {
			if (write_all(STDOUT_FILENO, b, (size_t)r) < 0)
				return -1;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		return -1; /* 0 or EIO: nobody holds the slave any more */
	}
}

int cli_proxy_run(struct cli *cli, struct io_proxy *p)
{
	char inbuf[8192];
	/* bytes read from stdin that the pty has not taken yet */
	size_t in_len = 0, in_off = 0;
	bool master_open = p->master >= 0, stdin_open = p->master >= 0, line_open = false;

	if (p->master >= 0) {
		int fl = fcntl(p->master, F_GETFL);
		if (fl >= 0)
			fcntl(p->master, F_SETFL, fl | O_NONBLOCK);
		cli_tty_resize(p->master);
	}
	if (p->pidfd < 0)
		return 0;

	for (;;) {
		struct pollfd pfd[4];
		int n = 0, i_pid, i_sig, i_master = -1, i_in = -1;

		pfd[i_pid = n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
		pfd[i_sig = n++] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		if (master_open) {
			short ev = POLLIN;
			if (in_len > in_off)
				ev |= POLLOUT;
			pfd[i_master = n++] = (struct pollfd){ .fd = p->master, .events = ev };
		}
		if (stdin_open && in_len == in_off)
			pfd[i_in = n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };

		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_error(cli, "poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[i_sig].revents & POLLIN) {
			unsigned char sigs[64];
			ssize_t r = read(sig_pipe[0], sigs, sizeof(sigs));
			for (ssize_t k = 0; k < r; k++)
				forward(cli, p, sigs[k]);
		}
		if (i_master >= 0 && pfd[i_master].revents) {
			if (pfd[i_master].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (pump_master(p->master) < 0)
					master_open = false;
			}
			if (master_open && (pfd[i_master].revents & POLLOUT) && in_len > in_off) {
				ssize_t w = write(p->master, inbuf + in_off, in_len - in_off);
				if (w > 0)
					in_off += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR)
					in_off = in_len; /* the pty is gone: drop the input */
				if (in_off == in_len)
					in_off = in_len = 0;
			}
		}
		if (i_in >= 0 && pfd[i_in].revents) {
			ssize_t r = read(STDIN_FILENO, inbuf, sizeof(inbuf));
			if (r > 0) {
				in_len = (size_t)r;
				in_off = 0;
				line_open = inbuf[r - 1] != '\n';
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				stdin_open = false;
				/*
				 * Input from a pipe or file ended: pass that on as the
				 * terminal's end-of-file character, as a user typing ^D
				 * would, so `echo x | ctr-demo exec -t ID cat` ends.
				 */
				struct termios t;
				if (!isatty(STDIN_FILENO) && master_open && tcgetattr(p->master, &t) == 0 &&
				    (t.c_lflag & ICANON)) {
					/* a partial last line takes one VEOF to be read, then one for EOF */
					inbuf[0] = inbuf[1] = (char)t.c_cc[VEOF];
					in_len = line_open ? 2 : 1;
					in_off = 0;
				}
			}
		}
		if (pfd[i_pid].revents) {
			/* The process is gone: what it wrote is in the pty already. */
			if (master_open)
				pump_master(p->master);
			return 0;
		}
	}
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

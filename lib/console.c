/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctr/console.h: relaying a container's pty to the caller's terminal or streams. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

struct ctr_console_relay {
	int master, in_fd, out_fd;
	bool master_open, in_open, line_open;
	char inbuf[8192];
	size_t in_len, in_off; /* bytes read from in_fd that the pty has not taken yet */
};

struct ctr_console_mode {
	int fd;
	struct termios tio;
};

CTR_EXPORT int ctr_console_relay_new(ctr_console_relay **out, int master, int in_fd, int out_fd, ctr_error **err)
{
	if (!out || master < 0 || out_fd < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_console_relay_new: a NULL out, or a negative master or out_fd");
	struct ctr_console_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return ctr_err_nomem(err);
	r->master = master;
	r->in_fd = in_fd;
	r->out_fd = out_fd;
	r->master_open = true;
	r->in_open = in_fd >= 0;
	int fl = fcntl(master, F_GETFL);
	if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;
		free(r);
		return ctr_err_sys(err, e, "pty master %d", master);
	}
	*out = r;
	return 0;
}

CTR_EXPORT void ctr_console_relay_free(ctr_console_relay *r)
{
	free(r);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* What the pty holds, to out_fd: 0; 1 at EOF/EIO (nobody holds the slave any more); -errno of a write. */
static int pump_master(struct ctr_console_relay *r)
{
	char b[8192];
	for (;;) {
		ssize_t n = read(r->master, b, sizeof(b));
		if (n > 0) {
			int w = write_all(r->out_fd, b, (size_t)n);
			if (w < 0)
				return w;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		r->master_open = false;
		return 1;
	}
}

CTR_EXPORT int ctr_console_relay_flush(ctr_console_relay *r)
{
	if (!r || !r->master_open)
		return 0;
	int p = pump_master(r);
	return p < 0 ? p : 0;
}

CTR_EXPORT int ctr_console_relay_run(ctr_console_relay *r, const int *wake_fds, size_t n_wake, int timeout_ms,
				     int *which, ctr_error **err)
{
	if (which)
		*which = -1;
	if (!r || (n_wake && !wake_fds) || n_wake > 64)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_console_relay_run: a NULL relay or bad wake fds");
	if (!r->master_open)
		return 1;
	for (;;) {
		struct pollfd pfd[2 + 64];
		size_t n = 0;
		for (size_t i = 0; i < n_wake; i++)
			pfd[n++] = (struct pollfd){.fd = wake_fds[i], .events = POLLIN};
		size_t i_master = n, i_in = (size_t)-1;
		short ev = POLLIN;
		if (r->in_len > r->in_off)
			ev |= POLLOUT;
		pfd[n++] = (struct pollfd){.fd = r->master, .events = ev};
		if (r->in_open && r->in_len == r->in_off) {
			i_in = n;
			pfd[n++] = (struct pollfd){.fd = r->in_fd, .events = POLLIN};
		}
		int k = poll(pfd, (nfds_t)n, timeout_ms);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return ctr_err_sys(err, errno, "console relay: poll");
		if (k == 0)
			return 0;
		if (pfd[i_master].revents & (POLLIN | POLLHUP | POLLERR)) {
			int p = pump_master(r);
			if (p < 0)
				return ctr_err_sys(err, -p, "console relay: write the output");
			if (p > 0)
				return 1;
		}
		if ((pfd[i_master].revents & POLLOUT) && r->in_len > r->in_off) {
			ssize_t w = write(r->master, r->inbuf + r->in_off, r->in_len - r->in_off);
			if (w > 0)
				r->in_off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				r->in_off = r->in_len; /* the pty is gone: drop the input */
			if (r->in_off == r->in_len)
				r->in_off = r->in_len = 0;
		}
		if (i_in != (size_t)-1 && pfd[i_in].revents) {
			ssize_t got = read(r->in_fd, r->inbuf, sizeof(r->inbuf));
			if (got > 0) {
				r->in_len = (size_t)got;
				r->in_off = 0;
				r->line_open = r->inbuf[got - 1] != '\n';
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				r->in_open = false;
				/* input from a pipe or file ended: the terminal's end-of-file character, as ^D */
				struct termios t;
				if (!isatty(r->in_fd) && tcgetattr(r->master, &t) == 0 && (t.c_lflag & ICANON)) {
					/* a partial last line takes one VEOF to be read, then one for EOF */
					r->inbuf[0] = r->inbuf[1] = (char)t.c_cc[VEOF];
					r->in_len = r->line_open ? 2 : 1;
					r->in_off = 0;
				}
			}
		}
		for (size_t i = 0; i < n_wake; i++)
			if (pfd[i].revents) {
				if (which)
					*which = (int)i;
				return 0;
			}
		if (timeout_ms == 0)
			return 0;
	}
}

CTR_EXPORT int ctr_console_resize(int master, int tty_fd)
{
	struct winsize ws;
	if (ioctl(tty_fd, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return -ENOTTY;
	return ioctl(master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

CTR_EXPORT int ctr_console_raw(int fd, ctr_console_mode **saved, ctr_error **err)
{
	if (!saved)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_console_raw: saved is NULL");
	*saved = NULL;
	struct ctr_console_mode *m = calloc(1, sizeof(*m));
	if (!m)
		return ctr_err_nomem(err);
	if (!isatty(fd) || tcgetattr(fd, &m->tio) < 0) {
		int e = errno ? errno : ENOTTY;
		free(m);
		return ctr_err_sys(err, e, "fd %d: not a terminal", fd);
	}
	m->fd = fd;
	struct termios t = m->tio;
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		int e = errno;
		free(m);
		return ctr_err_sys(err, e, "fd %d: raw mode", fd);
	}
	*saved = m;
	return 0;
}

CTR_EXPORT void ctr_console_restore(ctr_console_mode *saved)
{
	if (!saved)
		return;
	(void)tcsetattr(saved->fd, TCSANOW, &saved->tio);
	free(saved);
}

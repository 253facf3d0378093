/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/terminal.c: a real pty from the host's /dev/ptmx, set up in a
 * forked child exactly as the container process does, the master received
 * over a socketpair, output and input through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "internal.h"
#include "need-root.h"
#include "linux/terminal.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Read from fd until want shows up (or 5 s pass); returns what was read. */
static char *read_until(int fd, const char *want)
{
	static char buf[4096];
	size_t n = 0;
	buf[0] = '\0';
	for (int tries = 0; tries < 50 && !strstr(buf, want); tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
	}
	return buf;
}

/*
 * The child: set up the terminal, check it is the controlling terminal of a
 * new session with the right size, write "hello", echo one line back.
 * Exit codes say which check failed; errors go over errfd.
 */
static void __attribute__((noreturn)) child(int sock, int errfd, bool with_console, const char *console)
{
	char eb[512];
	bool before[256];
	for (int fd = 0; fd < 256; fd++)
		before[fd] = fcntl(fd, F_GETFD) >= 0;
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		_exit(9);
	before[root] = true;
	int r = ctr_term_child_setup(root, sock, 1, 24, 80, eb, sizeof(eb));
	if (r < 0) {
		(void)!write(errfd, eb, strlen(eb));
		_exit(10);
	}
	if (!isatty(0) || !isatty(1) || !isatty(2))
		_exit(11);
	if (getsid(0) != getpid() || tcgetsid(0) != getpid())
		_exit(12);
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || ws.ws_row != 24 || ws.ws_col != 80)
		_exit(13);
	/* master and slave are closed: no new fd beyond 0-2 */
	for (int fd = 3; fd < 256; fd++)
		if (!before[fd] && fcntl(fd, F_GETFD) >= 0)
			_exit(14);
	if (with_console) {
		char dir[64];
		snprintf(dir, sizeof(dir), "%s", console);
		*strrchr(dir, '/') = '\0';
		int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = dfd < 0 ? -errno : ctr_term_bind_console(0, dfd, "console", eb, sizeof(eb));
		if (r < 0) {
			(void)!write(errfd, eb, strlen(eb));
			_exit(15);
		}
		struct stat a, b;
		if (stat(console, &a) < 0 || fstat(0, &b) < 0 || a.st_rdev != b.st_rdev || !S_ISCHR(a.st_mode))
			_exit(16);
	}
	if (write(1, "hello", 5) != 5)
		_exit(17);
	char line[64];
	ssize_t n = read(0, line, sizeof(line) - 1);
	if (n <= 0)
		_exit(18);
	line[n] = '\0';
	char out[96];
	snprintf(out, sizeof(out), "got:%s", line);
	if (write(1, out, strlen(out)) < 0)
		_exit(19);
	/* wait for the parent to have read it before the pty goes away */
	char c;
	(void)!read(sock, &c, 1);
	_exit(0);
}

static void run_pty_test(bool deny_ptpeer, bool with_console)
{
	char dir[] = "/tmp/ctr-term-XXXXXX";
	char console[64];
	if (with_console) {
		assert_non_null(mkdtemp(dir));
		snprintf(console, sizeof(console), "%s/console", dir);
	}
	int sv[2], ep[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		close(ep[0]);
		if (deny_ptpeer) {
			/* an old kernel: TIOCGPTPEER unknown */
			scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
			if (!f ||
			    seccomp_rule_add(f, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(ioctl), 1,
					     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)TIOCGPTPEER)) < 0 ||
			    seccomp_load(f) < 0)
				_exit(30);
		}
		if (with_console &&
		    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
			_exit(31);
		child(sv[1], ep[1], with_console, console);
	}
	close(sv[1]);
	close(ep[1]);

	int master = -1;
	ctr_error *err = NULL;
	int r = ctr_term_recv_fd(sv[0], &master, &err);
	if (r < 0) {
		char eb[512] = { 0 };
		(void)!read(ep[0], eb, sizeof(eb) - 1);
		fail_msg("recv: %s; child: %s", ctr_error_message(err), eb);
	}
	assert_true(master >= 0);
	assert_true(fcntl(master, F_GETFD) & FD_CLOEXEC);
	/* it is a pty master */
	unsigned int ptn;
	assert_int_equal(ioctl(master, TIOCGPTN, &ptn), 0);
	struct winsize ws;
	assert_int_equal(ioctl(master, TIOCGWINSZ, &ws), 0);
	assert_int_equal(ws.ws_row, 24);
	assert_int_equal(ws.ws_col, 80);

	char *got = read_until(master, "hello");
	if (!strstr(got, "hello")) {
		char eb[512] = { 0 };
		(void)!read(ep[0], eb, sizeof(eb) - 1);
		int st = 0;
		(void)waitpid(pid, &st, 0);
		fail_msg("no hello from the pty (got '%s'); child status 0x%x: %s", got, st, eb);
	}
	assert_int_equal(write(master, "ping\n", 5), 5);
	got = read_until(master, "got:ping");
	assert_non_null(strstr(got, "got:ping"));
	assert_int_equal(write(sv[0], "x", 1), 1);

	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char eb[512] = { 0 };
		(void)!read(ep[0], eb, sizeof(eb) - 1);
		fail_msg("child status 0x%x: %s", status, eb);
	}
	close(master);
	close(sv[0]);
	close(ep[0]);
	if (with_console) {
		/* the bind was in the child's mount namespace: only the empty file is left */
		struct stat st;
		assert_int_equal(lstat(console, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(unlink(console), 0);
		assert_int_equal(rmdir(dir), 0);
	}
}

static void test_pty(void **state)
{
	(void)state;
	run_pty_test(false, false);
}

static void test_pty_without_tiocgptpeer(void **state)
{
	(void)state;
	run_pty_test(true, false);
}

static void test_console_bind(void **state)
{
	(void)state;
	need_root_for("the console bind: a mount namespace");
	run_pty_test(false, true);
}

/* n copies of fd in one message with one byte of data (SCM_RIGHTS), as a hostile console peer sends them */
static void send_copies(int sock, int fd, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} u;
	int fds[64];
	assert_true(n > 0 && n <= 64);
	for (int i = 0; i < n; i++)
		fds[i] = fd;
	memset(&u, 0, sizeof(u));
	char c = 'x';
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	assert_int_equal(sendmsg(sock, &mh, 0), 1);
}

/* the highest fd open in this process: what a receive left open shows here */
static int highest_fd(void)
{
	int fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void test_send_recv(void **state)
{
	(void)state;
	int sv[2], p[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ctr_term_send_fd(sv[1], p[1]), 0);
	int fd = -1;
	ctr_error *err = NULL;
	assert_int_equal(ctr_term_recv_fd(sv[0], &fd, &err), 0);
	assert_null(err);
	assert_true(fd >= 0 && fd != p[1]);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, "z", 1), 1);
	char c = 0;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	close(fd);

	/* a message without an fd */
	assert_int_equal(write(sv[1], "abc", 3), 3);
	assert_int_equal(ctr_term_recv_fd(sv[0], &fd, &err), -EBADMSG);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(ctr_error_message(err), "without an fd"));
	ctr_error_free(err);
	err = NULL;

	/* two fds where one is expected: refused, both closed */
	int before = highest_fd();
	send_copies(sv[1], p[1], 2);
	assert_int_equal(ctr_term_recv_fd(sv[0], &fd, &err), -EBADMSG);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(ctr_error_message(err), "2 fds came on the console socket where one was expected"));
	ctr_error_free(err);
	err = NULL;
	assert_int_equal(highest_fd(), before);

	/* more fds than the receiver has room for: refused as cut, none kept */
	send_copies(sv[1], p[1], 40);
	assert_int_equal(ctr_term_recv_fd(sv[0], &fd, &err), -EBADMSG);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(ctr_error_message(err), "more fds than expected (truncated)"));
	ctr_error_free(err);
	err = NULL;
	assert_int_equal(highest_fd(), before);

	/* the peer goes away */
	close(sv[1]);
	assert_int_equal(ctr_term_recv_fd(sv[0], &fd, &err), -EBADMSG);
	assert_non_null(strstr(ctr_error_message(err), "closed before a pty master arrived"));
	ctr_error_free(err);
	err = NULL;
	close(sv[0]);

	/* sending to a closed peer is an error, not a SIGPIPE */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[0]);
	assert_int_equal(ctr_term_send_fd(sv[1], p[0]), -EPIPE);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL);
	if (access("/dev/ptmx", R_OK | W_OK) < 0) {
		fprintf(stderr, "test-terminal: no usable /dev/ptmx\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_pty_without_tiocgptpeer),
		cmocka_unit_test(test_console_bind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stdio for embedders (issue 14): a container and an exec'd process given
 * pipes by the library (CTR_CREATE_STDIO_PIPES, CTR_EXEC_STDIO_PIPES), and a
 * pty relayed with ctr/console.h into plain pipes, with no relay code here.
 *
 * Usage: stdio STATE_ROOT BUNDLE   (TAP; root)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

/* Read fd to EOF (5 s at most). */
static char *slurp(int fd)
{
	static char buf[3][4096];
	static int k;
	char *b = buf[k++ % 3];
	size_t n = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t r = read(fd, b + n, sizeof(buf[0]) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	return b;
}

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	ctr_spec *spec = NULL;
	int started = host_start(argc, argv, "stdio-host", &ctx, &spec);
	if (started)
		return started;
	const char *args[] = {"sh", "-c", "read x; echo got:$x; echo to-stderr >&2; sleep 100", NULL};
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	o.flags = CTR_CREATE_STDIO_PIPES;
	ctr_container *c = NULL;
	int fds[3] = {-1, -1, -1};
	if (ctr_spec_set_args(spec, args, &err) < 0 || ctr_container_create(ctx, &c, "stdio-pipes", spec, &o, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	ok(ctr_container_take_stdio(c, fds) == 0 && fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0,
	   "create with CTR_CREATE_STDIO_PIPES: take_stdio gives three fds");
	ok(ctr_container_start(c, &err) == 0, "start");
	ok(write(fds[0], "hello\n", 6) == 6, "write to its stdin");
	close(fds[0]);
	char out[256];
	ssize_t n = read(fds[1], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	ok(!strcmp(out, "got:hello\n"), "its stdout through the pipe: '%s'", out);
	n = read(fds[2], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	ok(!strcmp(out, "to-stderr\n"), "its stderr through the other pipe: '%s'", out);

	/* exec with pipes */
	ctr_exec_options eo;
	ctr_exec_options_init(&eo);
	const char *xa[] = {"sh", "-c", "tr a-z A-Z; echo e >&2", NULL};
	eo.args = xa;
	eo.flags = CTR_EXEC_STDIO_PIPES;
	pid_t xp;
	int xfd = -1, code = -1;
	int r = ctr_container_exec(c, &eo, &xp, &xfd, &err);
	ok(r == 0 && eo.stdio_pipes[0] >= 0, "exec with CTR_EXEC_STDIO_PIPES (%s)", r ? ctr_error_message(err) : "ok");
	if (r == 0) {
		ok(write(eo.stdio_pipes[0], "shout\n", 6) == 6, "exec: write its stdin");
		close(eo.stdio_pipes[0]);
		ok(!strcmp(slurp(eo.stdio_pipes[1]), "SHOUT\n"), "exec: its stdout");
		ok(!strcmp(slurp(eo.stdio_pipes[2]), "e\n"), "exec: its stderr");
		close(eo.stdio_pipes[1]);
		close(eo.stdio_pipes[2]);
		ok(ctr_process_wait(xfd, &code, &err) == 0 && code == 0, "exec: exit 0");
		close(xfd);
	}

	/* exec with a pty, relayed by ctr/console.h into pipes */
	int in[2], outp[2];
	if (pipe(in) < 0 || pipe(outp) < 0)
		return 1;
	ctr_exec_options_init(&eo);
	const char *ta[] = {"sh", "-c", "read l; echo tty:$l; test -t 0 && echo is-a-tty", NULL};
	eo.args = ta;
	eo.tty = 1;
	r = ctr_container_exec(c, &eo, &xp, &xfd, &err);
	ok(r == 0 && eo.console_fd >= 0, "exec -t: the pty master (%s)", r ? ctr_error_message(err) : "ok");
	if (r == 0) {
		ctr_console_relay *relay = NULL;
		ok(ctr_console_relay_new(&relay, eo.console_fd, in[0], outp[1], &err) == 0, "relay made");
		ok(write(in[1], "typed\n", 6) == 6, "typed input");
		close(in[1]);
		int which = -1, k;
		do
			k = ctr_console_relay_run(relay, &xfd, 1, 5000, &which, &err);
		while (k == 0 && which < 0);
		(void)ctr_console_relay_flush(relay);
		ctr_console_relay_free(relay);
		close(outp[1]);
		char *o2 = slurp(outp[0]);
		ok(strstr(o2, "tty:typed") && strstr(o2, "is-a-tty"), "relayed output: '%s'", o2);
		ok(ctr_process_wait(xfd, &code, &err) == 0 && code == 0, "exec -t: exit 0");
		close(xfd);
		close(eo.console_fd);
	}
	ok(ctr_container_delete(c, CTR_DELETE_FORCE, &err) == 0, "deleted");
	for (int i = 1; i < 3; i++)
		close(fds[i]);
	ctr_error_free(err);
	ctr_container_free(c);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return tap_done();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CTR_CREATE_START: a create that starts the container too (what `run` is),
 * the init answering on the create's socket instead of a start connection.
 * The create returns with the program running and the state saying so,
 * start is refused as for any running container, the program's exit status
 * comes to wait, and delete leaves nothing.
 *
 * Usage: create-start STATE_ROOT BUNDLE   (TAP; root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	ctr_spec *spec = NULL;
	int started = host_start(argc, argv, "create-start", &ctx, &spec);
	if (started)
		return started;
	const char *args[] = {"sh", "-c", "read x; echo got:$x; exit 3", NULL};
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	o.flags = CTR_CREATE_START | CTR_CREATE_STDIO_PIPES;
	ctr_container *c = NULL;
	int fds[3] = {-1, -1, -1};
	if (ctr_spec_set_args(spec, args, &err) < 0 || ctr_container_create(ctx, &c, "started", spec, &o, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	ok(ctr_container_status(c) == CTR_STATUS_RUNNING, "create with CTR_CREATE_START returns it running (%s)",
	   ctr_status_name(ctr_container_status(c)));
	/* another handle reads the state file: running, with the init's pid */
	ctr_container *l = NULL;
	ok(ctr_container_load(ctx, &l, "started", &err) == 0 && ctr_container_status(l) == CTR_STATUS_RUNNING &&
		   ctr_container_pid(l) == ctr_container_pid(c),
	   "its state file says running, with the init's pid");
	ctr_container_free(l);
	int r = ctr_container_start(c, &err);
	ok(r == -EBUSY && ctr_error_code_of(err) == CTR_E_STATE, "start is refused: it is running (%d: %s)", r,
	   ctr_error_message(err));
	ctr_error_free(err);
	err = NULL;
	ok(ctr_container_take_stdio(c, fds) == 0 && write(fds[0], "hi\n", 3) == 3, "its stdin");
	close(fds[0]);
	char out[64];
	ssize_t n = read(fds[1], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	ok(!strcmp(out, "got:hi\n"), "the program runs: it answers on its stdout");
	int status = -1;
	r = ctr_container_wait(c, &status, 10000, &err);
	ok(r == 0 && status == 3, "wait: its exit status (%d)", status);
	ok(ctr_container_status(c) == CTR_STATUS_STOPPED, "then stopped");
	ok(ctr_container_delete(c, 0, &err) == 0, "delete: %s", err ? ctr_error_message(err) : "ok");
	ctr_error_free(err);
	err = NULL;
	close(fds[1]);
	close(fds[2]);
	ctr_container_free(c);

	/* a program the stub cannot execute fails such a create (the lookup at create, as runc's) */
	const char *bad[] = {"/no/such/program", NULL};
	c = NULL;
	o.flags = CTR_CREATE_START;
	r = ctr_spec_set_args(spec, bad, &err) == 0 ? ctr_container_create(ctx, &c, "nostart", spec, &o, &err) : -1;
	ok(r < 0 && !c && err && strstr(ctr_error_message(err), "/no/such/program"),
	   "an unexecutable program fails the create: %s", err ? ctr_error_message(err) : "no error");
	ctr_error_free(err);
	ctr_container_free(c);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return tap_done();
}

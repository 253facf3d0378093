/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Deadline-bounded create and exec (issue 14, event loops): a create whose
 * container process is held by a slow createContainer hook, one that starts
 * it (CTR_CREATE_START) held by a slow startContainer hook, and an exec into
 * a paused container (its process joins the frozen cgroup and cannot start),
 * both fail with -ETIMEDOUT close to their timeout_ms and leave nothing
 * behind; without a timeout the same operations complete.
 *
 * Usage: deadline STATE_ROOT BUNDLE   (TAP; root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* spec with a KIND hook that sleeps 10 s (/bin/sleep); NULL after a "Bail out!" line */
static ctr_spec *with_sleep_hook(const ctr_spec *spec, const char *kind)
{
	ctr_error *err = NULL;
	ctr_spec *out = NULL;
	char *json = NULL, hook[128];
	size_t len;
	if (ctr_spec_to_json(spec, &json, &len, 0, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return NULL;
	}
	snprintf(hook, sizeof(hook), "\"hooks\":{\"%s\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"10\"]}]},",
		 kind);
	char *j2 = malloc(len + strlen(hook) + 1);
	if (j2)
		snprintf(j2, len + strlen(hook) + 1, "{%s%s", hook, json + 1);
	ctr_free(json);
	if (!j2 || ctr_spec_load_buffer(&out, j2, strlen(j2), kind, &err) < 0) {
		printf("Bail out! %s\n", j2 ? ctr_error_message(err) : "out of memory");
		out = NULL;
	}
	free(j2);
	ctr_error_free(err);
	return out;
}

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	ctr_spec *spec = NULL, *slow = NULL;
	int started = host_start(argc, argv, "deadline", &ctx, &spec);
	if (started)
		return started;
	/* a createContainer hook that sleeps 10 s (the host's sleep: it runs before pivot_root) */
	if (!(slow = with_sleep_hook(spec, "createContainer")))
		return 1;

	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	o.flags = CTR_CREATE_STDIO_INHERIT_NONE;
	o.timeout_ms = 500;
	ctr_container *c = NULL;
	double t0 = now();
	int r = ctr_container_create(ctx, &c, "dl-create", slow, &o, &err);
	double dt = now() - t0;
	ok(r == -ETIMEDOUT, "create with timeout_ms 500 and a 10 s createContainer hook fails with -ETIMEDOUT (%d: %s)", r,
	   ctr_error_message(err));
	ok(dt >= 0.45 && dt < 3, "create: ... after about 0.5 s (%.2f s)", dt);
	ok(ctr_container_load(ctx, &c, "dl-create", NULL) == -ENOENT, "create: nothing left of the container");
	ctr_error_free(err);
	err = NULL;

	/* CTR_CREATE_START: the start is part of the create, and so of its timeout (a startContainer
	 * hook that sleeps 10 s, run in the container: the bundle's busybox sleep) */
	ctr_spec *slowstart = with_sleep_hook(spec, "startContainer");
	if (!slowstart)
		return 1;
	o.flags = CTR_CREATE_STDIO_INHERIT_NONE | CTR_CREATE_START;
	c = NULL;
	t0 = now();
	r = ctr_container_create(ctx, &c, "dl-start", slowstart, &o, &err);
	dt = now() - t0;
	ok(r == -ETIMEDOUT, "create with CTR_CREATE_START, timeout_ms 500 and a 10 s startContainer hook fails with "
	   "-ETIMEDOUT (%d: %s)", r, ctr_error_message(err));
	ok(dt >= 0.45 && dt < 3, "create and start: ... after about 0.5 s (%.2f s)", dt);
	ok(ctr_container_load(ctx, &c, "dl-start", NULL) == -ENOENT, "create and start: nothing left of the container");
	ctr_error_free(err);
	err = NULL;
	ctr_spec_free(slowstart);
	o.flags = CTR_CREATE_STDIO_INHERIT_NONE;

	/* exec into a paused container: the process cannot start */
	const char *args[] = {"sleep", "1000", NULL};
	o.timeout_ms = 0;
	if (ctr_spec_set_args(spec, args, &err) < 0 || ctr_container_create(ctx, &c, "dl-exec", spec, &o, &err) < 0 ||
	    ctr_container_start(c, &err) < 0 || ctr_container_pause(c, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	ctr_exec_options eo;
	ctr_exec_options_init(&eo);
	const char *xa[] = {"true", NULL};
	eo.args = xa;
	eo.flags = CTR_EXEC_IGNORE_PAUSED;
	eo.timeout_ms = 500;
	pid_t p;
	int pfd = -1;
	t0 = now();
	r = ctr_container_exec(c, &eo, &p, &pfd, &err);
	dt = now() - t0;
	ok(r == -ETIMEDOUT, "exec with timeout_ms 500 into a paused container fails with -ETIMEDOUT (%d: %s)", r,
	   ctr_error_message(err));
	ok(dt >= 0.45 && dt < 3, "exec: ... after about 0.5 s (%.2f s)", dt);
	ctr_error_free(err);
	err = NULL;
	(void)ctr_container_resume(c, NULL);
	eo.timeout_ms = 5000;
	r = ctr_container_exec(c, &eo, &p, &pfd, &err);
	int code = -1;
	if (r == 0)
		r = ctr_process_wait_timeout(pfd, &code, 5000, &err);
	ok(r == 0 && code == 0, "exec with time enough once resumed: runs (%d, code %d)", r, code);
	if (pfd >= 0)
		close(pfd);
	r = ctr_container_delete_timeout(c, CTR_DELETE_FORCE, 5000, &err);
	ok(r == 0, "delete_timeout with time enough: deleted (%s)", r ? ctr_error_message(err) : "ok");
	ok(ctr_container_delete_timeout(c, 0, -1, NULL) == -EINVAL, "delete_timeout: a negative timeout is refused");
	ctr_error_free(err);
	ctr_container_free(c);
	ctr_spec_free(spec);
	ctr_spec_free(slow);
	ctr_context_free(ctx);
	return tap_done();
}

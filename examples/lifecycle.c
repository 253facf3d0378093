/*
 * lifecycle.c: the runtime-spec lifecycle step by step through libctr:
 * create, start, state, kill, wait, delete.
 *
 * usage: lifecycle <bundle> [state-root]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctr/ctr.h>

static int fail(const char *what, int r, ctr_error *err)
{
	fprintf(stderr, "lifecycle: %s failed: %s (%s, errno %d: r=%d)\n", what, ctr_error_message(err),
		ctr_error_code_name(ctr_error_code_of(err)), ctr_error_errno(err), r);
	ctr_error_free(err);
	return 1;
}

int main(int argc, char **argv)
{
	const char *bundle = argc > 1 ? argv[1] : ".";
	const char *args[] = {"sleep", "1000", NULL};
	char path[4096];
	ctr_context_options copts;
	ctr_create_options opts;
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	char *state = NULL;
	int r, status = -1, rc = 1;

	ctr_context_options_init(&copts);
	copts.state_root = argc > 2 ? argv[2] : NULL;
	if ((r = ctr_context_new(&ctx, &copts, &err)) < 0)
		return fail("ctr_context_new", r, err);

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if ((r = ctr_spec_load_file(&spec, path, &err)) < 0 || (r = ctr_spec_set_args(spec, args, &err)) < 0) {
		rc = fail("loading the spec", r, err);
		goto out;
	}

	ctr_create_options_init(&opts);
	opts.bundle = bundle;
	if ((r = ctr_container_create(ctx, &c, "lifecycle-example", spec, &opts, &err)) < 0) {
		rc = fail("ctr_container_create", r, err);
		goto out;
	}
	printf("status: %s\n", ctr_status_name(ctr_container_status(c)));

	if ((r = ctr_container_start(c, &err)) < 0) {
		rc = fail("ctr_container_start", r, err);
		goto delete;
	}
	printf("status: %s\n", ctr_status_name(ctr_container_status(c)));

	if ((r = ctr_container_state_json(c, &state, &err)) < 0) {
		rc = fail("ctr_container_state_json", r, err);
		goto delete;
	}
	printf("state: %s\n", state);
	ctr_free(state);

	/* The init is pid 1 of its pid namespace: only SIGKILL stops it without a handler. */
	if ((r = ctr_container_kill(c, SIGKILL, 0, &err)) < 0) {
		rc = fail("ctr_container_kill", r, err);
		goto delete;
	}
	if ((r = ctr_container_wait(c, &status, 10000, &err)) < 0) {
		rc = fail("ctr_container_wait", r, err);
		goto delete;
	}
	printf("exit status: %d\n", status);
	printf("status: %s\n", ctr_status_name(ctr_container_status(c)));
	rc = 0;

delete:
	if ((r = ctr_container_delete(c, CTR_DELETE_FORCE, &err)) < 0)
		rc = fail("ctr_container_delete", r, err);
	else
		printf("deleted\n");
out:
	ctr_container_free(c);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return rc;
}

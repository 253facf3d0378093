/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conform-api STATE-ROOT COMMAND [ID]: the library API for the runtime.md
 * rules that ctr-demo's command line answers the runc way.
 *
 *   delete ID   ctr_container_delete(c, 0) (no force): exit 0 when it deleted
 *               the container, 1 with the error on stderr when it refused
 *   load-null   ctr_container_load() without an id: exit 1 with the error
 *               when it refused, 0 when it returned a container
 */
#include <stdio.h>
#include <string.h>

#include <ctr/ctr.h>

int main(int argc, char **argv)
{
	if (argc < 3 || (!strcmp(argv[2], "delete") && argc < 4)) {
		fprintf(stderr, "usage: conform-api STATE-ROOT delete ID | load-null\n");
		return 2;
	}
	ctr_context_options o;
	ctr_context_options_init(&o);
	o.state_root = argv[1];
	ctr_context *ctx = NULL;
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	int r = ctr_context_new(&ctx, &o, &err);
	if (r == 0 && !strcmp(argv[2], "delete")) {
		r = ctr_container_load(ctx, &c, argv[3], &err);
		if (r == 0)
			r = ctr_container_delete(c, 0, &err);
	} else if (r == 0 && !strcmp(argv[2], "load-null")) {
		r = ctr_container_load(ctx, &c, NULL, &err);
	} else if (r == 0) {
		fprintf(stderr, "conform-api: unknown command '%s'\n", argv[2]);
		r = -1;
	}
	if (r < 0 && err)
		fprintf(stderr, "conform-api: %s\n", ctr_error_message(err));
	ctr_container_free(c);
	ctr_error_free(err);
	ctr_context_free(ctx);
	return r < 0 ? 1 : 0;
}

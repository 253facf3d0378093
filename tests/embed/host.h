/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host programs of tests/embed start from: a context on STATE_ROOT and BUNDLE's config.json. */
#ifndef CTR_TESTS_EMBED_HOST_H
#define CTR_TESTS_EMBED_HOST_H

#include <stdio.h>

#include <ctr/ctr.h>

/* A context with its state under state_root and the spec of bundle/config.json; on failure a TAP
 * "Bail out!" line and -1. */
static int host_open(const char *state_root, const char *bundle, ctr_context **ctx, ctr_spec **spec)
{
	ctr_context_options co;
	ctr_context_options_init(&co);
	co.state_root = state_root;
	ctr_error *err = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (ctr_context_new(ctx, &co, &err) < 0 || ctr_spec_load_file(spec, path, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		ctr_error_free(err);
		return -1;
	}
	return 0;
}

/* The start of a host program run as NAME STATE_ROOT BUNDLE: the usage on stderr and 2 for other
 * arguments, else host_open (1 when it fails, 0 when the context and the spec are there). */
static inline int host_start(int argc, char **argv, const char *name, ctr_context **ctx, ctr_spec **spec)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s STATE_ROOT BUNDLE\n", name);
		return 2;
	}
	return host_open(argv[1], argv[2], ctx, spec) < 0 ? 1 : 0;
}

#endif

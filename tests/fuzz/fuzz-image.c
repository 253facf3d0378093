/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the image documents: every input goes through the index,
 * manifest, config and docker manifest.json parsers (each takes (buf, len)).
 * Checks: a failure returns a negative errno with an error object and
 * leaves the output empty; a success gives what the spec requires (digests
 * that parse, non-negative sizes, layers of a type we apply, one DiffID
 * string per entry, ChainIDs for every DiffID list).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"
#include "image/digest.h"

#define FUZZ_NAME "fuzz-image"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_desc(const struct img_desc *d)
{
	check(d->media_type && d->digest, "a descriptor has mediaType and digest");
	check(ctr_digest_parse(d->digest, NULL, NULL, NULL, NULL) == 0, "a parsed descriptor's digest is valid");
	check(d->size >= 0, "a descriptor's size is not negative");
	check(!d->has_platform || (d->os && d->arch), "a platform has os and architecture");
}

/* A relative path none of whose components is "..". */
static int inside(const char *p)
{
	if (p[0] == '/')
		return 0;
	for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (!strncmp(c, "..", 2) && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	ctr_error *e = NULL;
	int r;

	struct img_index x;
	r = img_parse_index(buf, size, "index.json", &x, &e);
	if (r < 0) {
		check(x.n == 0 && x.m == NULL, "no index on failure");
		check_error(r, e);
		e = NULL;
	} else {
		for (size_t i = 0; i < x.n; i++) {
			check_desc(&x.m[i]);
			(void)img_platform_score(&x.m[i], "linux", "arm", "v7");
		}
		img_index_free(&x);
	}

	struct img_manifest m;
	r = img_parse_manifest(buf, size, "manifest", &m, &e);
	if (r < 0) {
		check(m.n_layers == 0 && m.layers == NULL && m.config.digest == NULL, "no manifest on failure");
		check_error(r, e);
		e = NULL;
	} else {
		check_desc(&m.config);
		for (size_t i = 0; i < m.n_layers; i++) {
			check_desc(&m.layers[i]);
			check(img_layer_media_ok(m.layers[i].media_type), "only layer types we apply");
		}
		img_manifest_free(&m);
	}

	struct img_config c;
	r = img_parse_config(buf, size, "config", &c, &e);
	if (r < 0) {
		check(c.root == NULL && c.diff_ids == NULL, "no config on failure");
		check_error(r, e);
		e = NULL;
	} else {
		check(c.os && c.arch, "a config has os and architecture");
		for (size_t i = 0; i < c.n_diff_ids; i++)
			check(c.diff_ids[i] != NULL, "one DiffID per entry");
		check(c.diff_ids[c.n_diff_ids] == NULL, "DiffIDs are NULL-terminated");
		char **chains = NULL;
		r = img_chain_ids(c.diff_ids, c.n_diff_ids, &chains, &e);
		if (r < 0)
			check_error(r, e);
		else {
			check(c.n_diff_ids == 0 || !strcmp(chains[0], c.diff_ids[0]), "ChainID[0] is DiffID[0]");
			for (size_t i = 0; i < c.n_diff_ids; i++) {
				check(chains[i] && !strncmp(chains[i], "sha256:", 7), "ChainIDs are sha256 digests");
				free(chains[i]);
			}
			free(chains);
		}
		e = NULL;
		img_config_free(&c);
	}

	struct img_docker_manifest dm;
	r = img_parse_docker_manifest(buf, size, "manifest.json", &dm, &e);
	if (r < 0) {
		check(dm.n == 0 && dm.e == NULL, "no docker manifest on failure");
		check_error(r, e);
	} else {
		check(dm.n > 0, "a docker manifest has an image");
		for (size_t i = 0; i < dm.n; i++) {
			check(dm.e[i].config && inside(dm.e[i].config), "Config stays inside the archive");
			for (size_t j = 0; j < dm.e[i].n_layers; j++)
				check(inside(dm.e[i].layers[j]), "Layers stay inside the archive");
		}
		img_docker_manifest_free(&dm);
	}
	(void)img_doc_kind(buf, size);
	return 0;
}

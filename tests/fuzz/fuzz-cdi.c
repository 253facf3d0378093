/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the CDI spec parser (JSON and YAML): parse and validate;
 * for every valid spec check that the declared version covers the fields,
 * that the spec written back as JSON validates again (so YAML and JSON give
 * the same tree), and that its edits merge, serialize and apply to a spec.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "ctr/ctr.h"
#include "accel/accel-internal.h"
#include "spec/oci.h"

#define FUZZ_NAME "fuzz-cdi"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct cdi_spec *s = NULL;
	ctr_error *e = NULL;
	int r = cdi_spec_parse(buf, size, "fuzz.cdi", &s, &e);

	if (r < 0) {
		check(s == NULL, "no spec on failure");
		check_error(r, e);
		return 0;
	}
	check(e == NULL, "no error on success");
	check(s->n_devices > 0, "a valid spec has devices");
	check(ctr_cdi_validate_buffer(buf, size, NULL, NULL) == 0, "the public validator agrees");

	/* written back as JSON, the tree validates again */
	const char *text = json_object_to_json_string_ext(s->root, JSON_C_TO_STRING_PLAIN);
	if (text) {
		struct cdi_spec *s2 = NULL;
		r = cdi_spec_parse(text, strlen(text), "fuzz.json", &s2, &e);
		if (r < 0)
			fprintf(stderr, "reparse failed: %s\n%s\n", ctr_error_message(e), text);
		check(r == 0 || r == -ENOMEM, "the JSON form of a valid spec validates");
		if (r == 0)
			check(json_object_equal(s->root, s2->root), "JSON round trip gives an equal tree");
		ctr_error_free(e);
		e = NULL;
		cdi_spec_free(s2);
	}

	/* edits: spec-level then each device's; serialize; apply */
	ctr_container_edits *ed = NULL;
	if (ctr_container_edits_new(&ed, NULL) == 0) {
		r = edits_merge_json(ed, s->edits, "fuzz.cdi", NULL);
		for (size_t i = 0; r == 0 && i < s->n_devices; i++)
			r = edits_merge_json(ed, s->devices[i].edits, "fuzz.cdi: device", NULL);
		check(r == 0 || r == -ENOMEM, "validated edits merge");
		char *json = NULL;
		if (r == 0 && ctr_container_edits_to_json(ed, &json, NULL) == 0) {
			struct json_object *o = json_tokener_parse(json), *nodes;
			check(o != NULL, "edits serialize to JSON");
			if (json_object_object_get_ex(o, "deviceNodes", &nodes))
				for (size_t i = 0; i < json_object_array_length(nodes); i++)
					check(!json_object_object_get_ex(json_object_array_get_idx(nodes, i), EDITS_SOURCE_KEY,
									 NULL),
					      "private keys do not leak");
			json_object_put(o);
			ctr_free(json);
		}
		ctr_spec *spec = NULL;
		if (r == 0 && ctr_spec_new_default(&spec, NULL) == 0) {
			r = ctr_container_edits_apply(ed, spec, &e);
			if (r < 0)
				check_error(r, e);
			e = NULL;
			ctr_spec_free(spec);
		}
		ctr_container_edits_free(ed);
	}
	cdi_spec_free(s);
	return 0;
}

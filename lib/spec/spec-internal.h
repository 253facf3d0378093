/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the spec module shared by spec.c (the handle), config.c (the
 * validating typed view) and mount-options.c.  Not installed, not used
 * outside lib/spec.
 */
#ifndef CTR_LIB_SPEC_SPEC_INTERNAL_H
#define CTR_LIB_SPEC_SPEC_INTERNAL_H

#include <stddef.h>
#include <json-c/json.h>

#include "internal.h"
#include "spec/oci.h"

/* Largest config.json ctr_spec_load_file() reads. */
#define CTR_SPEC_MAX_FILE (16u * 1024 * 1024)
/* Deepest JSON nesting accepted; real configs stay below 10. */
#define CTR_SPEC_MAX_DEPTH 64

struct ctr_spec {
	/* The whole document: the source of truth, unknown fields included. */
	struct json_object *root;
	/* What to call the document in messages: "config.json" or the file path. */
	char *name;
};

/*
 * Parse buf[0..len) as one JSON object: no embedded NUL, no trailing
 * garbage (whitespace only), nesting at most CTR_SPEC_MAX_DEPTH.
 * Errors are CTR_E_PARSE/-EINVAL naming the document, line and column.
 */
int spec_json_parse(const char *buf, size_t len, const char *name, struct json_object **out,
		    ctr_error **err);

/* "number" for ints and doubles, else json-c's type name. */
const char *spec_json_type_name(const struct json_object *o);

/* "rshared" -> MS_SHARED | MS_REC, ...: false (flags untouched) for another name. */
bool spec_propagation_from_name(const char *name, unsigned long *flags);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the accel tests that look at a registry and the edits it
 * gives (cmocka; include after <cmocka.h>, json-c and ctr/ctr.h).
 */
#ifndef CTR_TESTS_ACCEL_EDITS_CHECK_H
#define CTR_TESTS_ACCEL_EDITS_CHECK_H

#include <stdbool.h>
#include "common.h"

static inline bool need_root(const char *root)
{
	if (mknod_at(root, "dev/ctr-probe", 1, 3, 0) == -EPERM) {
		print_message("mknod not permitted (not root): skipping\n");
		return false;
	}
	return true;
}

static inline ctr_accel_registry *registry_at(const char *root, const char *cdi_dir)
{
	const char *dirs[] = { cdi_dir, NULL };
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_error *e = NULL;

	ctr_accel_registry_options_init(&o);
	o.host_root = root;
	o.cdi_dirs = dirs;
	if (ctr_accel_registry_new(NULL, &reg, &o, &e) != 0)
		fail_msg("registry: %s", ctr_error_message(e));
	return reg;
}

static inline const ctr_accel_device *find_dev(const ctr_accel_registry *reg, const char *q)
{
	for (size_t i = 0; i < ctr_accel_registry_device_count(reg); i++)
		if (strcmp(ctr_accel_device_name(ctr_accel_registry_device(reg, i)), q) == 0)
			return ctr_accel_registry_device(reg, i);
	return NULL;
}

static inline bool has_cap(const ctr_accel_device *d, const char *cap)
{
	for (const char *const *c = ctr_accel_device_capabilities(d); *c; c++)
		if (strcmp(*c, cap) == 0)
			return true;
	return false;
}

/* The edits for one request as a parsed containerEdits object. */
static inline struct json_object *edits_for(ctr_accel_registry *reg, const char *req)
{
	const char *reqs[] = { req, NULL };
	ctr_container_edits *ed = NULL;
	ctr_error *e = NULL;
	char *json = NULL;
	struct json_object *o;

	if (ctr_accel_registry_edits(reg, reqs, &ed, &e) != 0)
		fail_msg("%s: %s", req, ctr_error_message(e));
	assert_int_equal(ctr_container_edits_to_json(ed, &json, NULL), 0);
	o = json_tokener_parse(json);
	assert_non_null(o);
	ctr_free(json);
	ctr_container_edits_free(ed);
	return o;
}

static inline int count_nodes(struct json_object *ed)
{
	struct json_object *n;

	return json_object_object_get_ex(ed, "deviceNodes", &n) ? (int)json_object_array_length(n) : 0;
}

static inline bool has_node(struct json_object *ed, const char *path)
{
	struct json_object *n;

	if (!json_object_object_get_ex(ed, "deviceNodes", &n))
		return false;
	for (size_t i = 0; i < json_object_array_length(n); i++)
		if (strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(n, i), "path")), path) == 0)
			return true;
	return false;
}

static inline bool has_mount(struct json_object *ed, const char *dst)
{
	struct json_object *n;

	if (!json_object_object_get_ex(ed, "mounts", &n))
		return false;
	for (size_t i = 0; i < json_object_array_length(n); i++)
		if (strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(n, i), "containerPath")),
			   dst) == 0)
			return true;
	return false;
}

static inline bool has_gid(struct json_object *ed, int gid)
{
	struct json_object *n;

	if (!json_object_object_get_ex(ed, "additionalGids", &n))
		return false;
	for (size_t i = 0; i < json_object_array_length(n); i++)
		if (json_object_get_int(json_object_array_get_idx(n, i)) == gid)
			return true;
	return false;
}

static inline bool has_str(struct json_object *ed, const char *key, const char *s)
{
	const char *j = json_object_to_json_string_ext(json_object_object_get(ed, key), JSON_C_TO_STRING_NOSLASHESCAPE);

	return j && strstr(j, s);
}

#endif

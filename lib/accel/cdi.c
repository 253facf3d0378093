/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CDI (Container Device Interface) spec files: JSON and YAML parsing into
 * one JSON tree, validation against the CDI specification (versions 0.3.0
 * to 1.1.0, the reference parser's name rules, the minimum version the
 * fields need), and the cache of the spec directories.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "accel/accel-internal.h"

/* JSON paths for messages are built in fixed buffers; a path too long for
 * one (never in a real spec) is only shortened in the message. */
#ifndef __clang__ /* clang has no -Wformat-truncation */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ---- YAML to JSON ---- */

/* Conversions allowed per document: aliases can make a small YAML file
 * expand exponentially; no real CDI spec comes near this. */
#define YAML_NODE_BUDGET 200000

static struct json_object *yaml_scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	char *end;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_object_new_string_len(s, (int)len);
	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return NULL; /* JSON null */
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	if (strlen(s) == len && (isdigit((unsigned char)s[0]) ||
				 ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))) {
		int base = 10;
		const char *p = s;
		bool neg = false;
		long long v;

		if (*p == '-' || *p == '+')
			neg = *p++ == '-';
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		} else if (p[0] == '0' && p[1] == 'o') {
			base = 8;
			p += 2;
		} else if (p[0] == '0' && p[1]) {
			base = 8; /* YAML 1.1 octal, as Go's yaml.v2 reads fileMode: 0644 */
			p += 1;
		}
		if (*p && isxdigit((unsigned char)*p)) {
			errno = 0;
			v = strtoll(p, &end, base);
			if (!*end && errno == 0)
				return json_object_new_int64(neg ? -v : v);
		}
		errno = 0;
		double d = strtod(s, &end);
		if (!*end && errno == 0)
			return json_object_new_double(d);
	}
	return json_object_new_string_len(s, (int)len);
}

static int yaml_to_json(yaml_document_t *doc, yaml_node_t *n, int depth, long *budget, const char *name,
			struct json_object **out, ctr_error **err)
{
	struct json_object *o = NULL;

	if (depth > CDI_MAX_DEPTH)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: YAML nested deeper than %d levels", name, CDI_MAX_DEPTH);
	if (--*budget < 0)
		return ctr_err(err, EINVAL, CTR_E_PARSE,
			       "%s: YAML expands to more than %d nodes (aliases?): write the spec out plainly", name,
			       YAML_NODE_BUDGET);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		o = yaml_scalar(n);
		if (!o && !(n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
			return ctr_err_nomem(err);
		*out = o; /* NULL is JSON null */
		return 0;
	case YAML_SEQUENCE_NODE:
		o = json_object_new_array();
		if (!o)
			return ctr_err_nomem(err);
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			struct json_object *c = NULL;
			yaml_node_t *cn = yaml_document_get_node(doc, *it);
			int r = cn ? yaml_to_json(doc, cn, depth + 1, budget, name, &c, err) : 0;
			if (r < 0 || json_object_array_add(o, c) < 0) {
				json_object_put(c);
				json_object_put(o);
				return r < 0 ? r : ctr_err_nomem(err);
			}
		}
		*out = o;
		return 0;
	case YAML_MAPPING_NODE:
		o = json_object_new_object();
		if (!o)
			return ctr_err_nomem(err);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
			struct json_object *c = NULL;
			const char *key;
			int r;

			if (!k || k->type != YAML_SCALAR_NODE) {
				json_object_put(o);
				return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: line %lu: mapping key is not a string", name,
					       k ? (unsigned long)k->start_mark.line + 1 : 0ul);
			}
			key = (const char *)k->data.scalar.value;
			if (strlen(key) != k->data.scalar.length || json_object_object_get_ex(o, key, NULL)) {
				json_object_put(o);
				return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: line %lu: duplicate or invalid key '%s'",
					       name, (unsigned long)k->start_mark.line + 1, key);
			}
			r = v ? yaml_to_json(doc, v, depth + 1, budget, name, &c, err) : 0;
			if (r < 0 || json_object_object_add(o, key, c) < 0) {
				json_object_put(c);
				json_object_put(o);
				return r < 0 ? r : ctr_err_nomem(err);
			}
		}
		*out = o;
		return 0;
	default:
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: empty YAML node", name);
	}
}

static int parse_yaml(const char *buf, size_t len, const char *name, struct json_object **out, ctr_error **err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *rootn;
	long budget = YAML_NODE_BUDGET;
	int r;

	if (!yaml_parser_initialize(&parser))
		return ctr_err_nomem(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		/*
		 * Out of memory is not a malformed spec (the caller must not skip
		 * the file).  libyaml 0.2.5's loader fails without setting an error
		 * only where an allocation failed (a tag's strdup).
		 */
		if (parser.error == YAML_MEMORY_ERROR || parser.error == YAML_NO_ERROR)
			r = ctr_err_nomem(err);
		else
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: line %lu column %lu: %s", name,
				    (unsigned long)parser.problem_mark.line + 1,
				    (unsigned long)parser.problem_mark.column + 1,
				    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return r;
	}
	rootn = yaml_document_get_root_node(&doc);
	if (!rootn)
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: empty document", name);
	else
		r = yaml_to_json(&doc, rootn, 0, &budget, name, out, err);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

static int parse_json(const char *buf, size_t len, const char *name, struct json_object **out, ctr_error **err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t off;

	if (memchr(buf, '\0', len))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: contains a NUL byte", name);
	if (len > INT32_MAX)
		return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: too large", name);
	tok = json_tokener_new_ex(CDI_MAX_DEPTH);
	if (!tok)
		return ctr_err_nomem(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: invalid JSON at byte %zu: %s", name, off,
			       jerr == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(jerr));
	}
	for (; off < len; off++)
		if (!isspace((unsigned char)buf[off])) {
			json_object_put(o);
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: trailing data at byte %zu after the JSON document",
				       name, off);
		}
	*out = o;
	return 0;
}

int cdi_parse_tree(const char *buf, size_t len, const char *name, struct json_object **out, ctr_error **err)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i == len)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: empty document", name);
	if (buf[i] == '{')
		return parse_json(buf, len, name, out, err);
	return parse_yaml(buf, len, name, out, err);
}

/* ---- names (the reference parser's rules) ---- */

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9');
}

/* A vendor or a class (what): the two halves of a kind follow the same rules. */
static int validate_kind_part(const char *s, const char *what, ctr_error **err)
{
	size_t n = strlen(s);

	if (n == 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "empty %s name: a CDI kind is vendor/class, e.g. nvidia.com/gpu",
			       what);
	if (!is_letter(s[0]))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "invalid %s '%s': it must start with a letter", what, s);
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "invalid character '%c' in %s '%s': use letters, digits, '_', '-' and '.'", s[i],
				       what, s);
	if (!is_alnum(s[n - 1]))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "invalid %s '%s': it must end with a letter or digit", what, s);
	return 0;
}

int cdi_validate_vendor(const char *v, ctr_error **err)
{
	return validate_kind_part(v, "vendor", err);
}

int cdi_validate_class(const char *c, ctr_error **err)
{
	return validate_kind_part(c, "class", err);
}

int cdi_validate_device_name(const char *d, ctr_error **err)
{
	size_t n = strlen(d);

	if (n == 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "empty device name");
	if (!is_alnum(d[0]))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "invalid device name '%s': it must start with a letter or digit", d);
	if (n == 1)
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(d[i]) && d[i] != '_' && d[i] != '-' && d[i] != '.' && d[i] != ':')
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "invalid character '%c' in device name '%s': use letters, digits, '_', '-', '.' and ':'",
				       d[i], d);
	if (!is_alnum(d[n - 1]))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "invalid device name '%s': it must end with a letter or digit", d);
	return 0;
}

CTR_EXPORT int ctr_cdi_parse_name(const char *q, char **vendor, char **class_, char **name, ctr_error **err)
{
	const char *slash, *eq;
	char *v = NULL, *c = NULL, *n = NULL;
	int r;

	if (!q)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_cdi_parse_name: NULL name");
	slash = strchr(q, '/');
	eq = slash ? strchr(slash, '=') : NULL;
	if (!slash || !eq)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "'%s' is not a fully-qualified device name: write vendor/class=name, e.g. nvidia.com/gpu=0", q);
	v = strndup(q, (size_t)(slash - q));
	c = strndup(slash + 1, (size_t)(eq - slash - 1));
	n = strdup(eq + 1);
	if (!v || !c || !n) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	if ((r = cdi_validate_vendor(v, err)) < 0 || (r = cdi_validate_class(c, err)) < 0 ||
	    (r = cdi_validate_device_name(n, err)) < 0) {
		ctr_err_prefix(err, "device '%s'", q);
		goto fail;
	}
	if (vendor) *vendor = v; else free(v);
	if (class_) *class_ = c; else free(c);
	if (name) *name = n; else free(n);
	return 0;
fail:
	free(v);
	free(c);
	free(n);
	return r;
}

/* ---- versions ---- */

static const struct {
	const char *s;
	int v;
} cdi_versions[] = {
	{ "0.3.0", CDI_V(0, 3, 0) }, { "0.4.0", CDI_V(0, 4, 0) }, { "0.5.0", CDI_V(0, 5, 0) },
	{ "0.6.0", CDI_V(0, 6, 0) }, { "0.7.0", CDI_V(0, 7, 0) }, { "0.8.0", CDI_V(0, 8, 0) },
	{ "1.0.0", CDI_V(1, 0, 0) }, { "1.1.0", CDI_V(1, 1, 0) },
};

static int version_num(const char *s)
{
	if (s[0] == 'v')
		s++;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cdi_versions); i++)
		if (strcmp(s, cdi_versions[i].s) == 0)
			return cdi_versions[i].v;
	return -1;
}

static const char *version_str(int v)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cdi_versions); i++)
		if (cdi_versions[i].v == v)
			return cdi_versions[i].s;
	return "?";
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v))
		return v;
	return NULL;
}

static size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static int edits_min_version(struct json_object *e)
{
	int v = CDI_V(0, 3, 0);
	struct json_object *a, *rdt;

	if (!e)
		return v;
	a = jget(e, "mounts");
	for (size_t i = 0; i < jlen(a); i++) {
		struct json_object *t = jget(json_object_array_get_idx(a, i), "type");
		if (t && json_object_get_string_len(t) > 0 && v < CDI_V(0, 4, 0))
			v = CDI_V(0, 4, 0);
	}
	a = jget(e, "deviceNodes");
	for (size_t i = 0; i < jlen(a); i++) {
		struct json_object *h = jget(json_object_array_get_idx(a, i), "hostPath");
		if (h && json_object_get_string_len(h) > 0 && v < CDI_V(0, 5, 0))
			v = CDI_V(0, 5, 0);
	}
	rdt = jget(e, "intelRdt");
	if ((rdt || jlen(jget(e, "additionalGids")) > 0) && v < CDI_V(0, 7, 0))
		v = CDI_V(0, 7, 0);
	if (rdt && (jget(rdt, "schemata") || (jget(rdt, "enableMonitoring") &&
					      json_object_get_boolean(jget(rdt, "enableMonitoring")))))
		v = CDI_V(1, 1, 0);
	if (jlen(jget(e, "netDevices")) > 0)
		v = CDI_V(1, 1, 0);
	return v;
}

int cdi_minimum_version(struct json_object *root)
{
	int v = edits_min_version(jget(root, "containerEdits"));
	struct json_object *devs = jget(root, "devices"), *ann = jget(root, "annotations");
	const char *kind = json_object_get_string(jget(root, "kind"));
	const char *slash = kind ? strchr(kind, '/') : NULL;

#define BUMP(x) do { if (v < (x)) v = (x); } while (0)
	for (size_t i = 0; i < jlen(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		const char *n = json_object_get_string(jget(d, "name"));
		struct json_object *da = jget(d, "annotations");
		int ev = edits_min_version(jget(d, "containerEdits"));

		BUMP(ev);
		/* 0.5.0 allowed device names that start with a digit */
		if (n && n[0] && !is_letter(n[0]))
			BUMP(CDI_V(0, 5, 0));
		if (da && json_object_is_type(da, json_type_object) && json_object_object_length(da) > 0)
			BUMP(CDI_V(0, 6, 0));
	}
	if (ann && json_object_is_type(ann, json_type_object) && json_object_object_length(ann) > 0)
		BUMP(CDI_V(0, 6, 0));
	/* 0.6.0 allowed dots in the class */
	if (slash && strchr(slash + 1, '.'))
		BUMP(CDI_V(0, 6, 0));
#undef BUMP
	return v;
}

/* ---- structure ---- */

typedef int (*field_check)(struct json_object *v, const char *name, const char *path, ctr_error **err);

static int want_type(struct json_object *v, json_type t, const char *tname, const char *name, const char *path,
		     ctr_error **err)
{
	if (!v || !json_object_is_type(v, t))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: expected %s", name, path, tname);
	return 0;
}

static int want_string(struct json_object *v, const char *name, const char *path, ctr_error **err)
{
	return want_type(v, json_type_string, "a string", name, path, err);
}

/* A required string field: v is the field's value, NULL when absent. */
static int want_req_string(struct json_object *v, const char *name, const char *path, ctr_error **err)
{
	if (!v)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: missing required field", name, path);
	return want_string(v, name, path, err);
}

/* A required string field holding an absolute path. */
static int want_abs_path(struct json_object *v, const char *name, const char *path, ctr_error **err)
{
	int r = want_req_string(v, name, path, err);

	if (r == 0 && json_object_get_string(v)[0] != '/')
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: '%s' is not an absolute path", name, path,
			    json_object_get_string(v));
	return r;
}

static int want_int_range(struct json_object *v, int64_t lo, int64_t hi, const char *name, const char *path,
			  ctr_error **err)
{
	int64_t x;

	if (!v || !json_object_is_type(v, json_type_int))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: expected an integer", name, path);
	x = json_object_get_int64(v);
	if (x < lo || x > hi || (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: %lld is out of range [%lld, %lld]", name, path,
			       (long long)x, (long long)lo, (long long)hi);
	return 0;
}

static int want_strv(struct json_object *v, const char *name, const char *path, ctr_error **err)
{
	char p[256];
	int r;

	if ((r = want_type(v, json_type_array, "an array of strings", name, path, err)) < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if ((r = want_string(json_object_array_get_idx(v, i), name, p, err)) < 0)
			return r;
	}
	return 0;
}

/* Reject members not in allowed (the reference decodes strictly). */
static int known_fields(struct json_object *o, const char *const *allowed, const char *name, const char *path,
			ctr_error **err)
{
	json_object_object_foreach(o, key, val) {
		bool ok = false;
		(void)val;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = true;
		if (!ok)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: unknown field '%s'", name, path, key);
	}
	return 0;
}

/* An object whose members are all in allowed. */
static int want_object(struct json_object *o, const char *const *allowed, const char *name, const char *path,
		       ctr_error **err)
{
	int r = want_type(o, json_type_object, "an object", name, path, err);

	return r < 0 ? r : known_fields(o, allowed, name, path, err);
}

static int check_annotations(struct json_object *a, const char *name, const char *path, ctr_error **err)
{
	char p[256];
	int r;

	if ((r = want_type(a, json_type_object, "a map of strings", name, path, err)) < 0)
		return r;
	json_object_object_foreach(a, key, val) {
		snprintf(p, sizeof(p), "%s.%s", path, key);
		if ((r = want_string(val, name, p, err)) < 0)
			return r;
		if (!key[0])
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: empty annotation key", name, path);
	}
	return 0;
}

static int check_device_node(struct json_object *d, const char *name, const char *path, ctr_error **err)
{
	static const char *const f[] = { "path", "hostPath", "type", "major", "minor", "fileMode",
					 "permissions", "uid", "gid", NULL };
	struct json_object *v;
	char p[300];
	int r;

	if ((r = want_object(d, f, name, path, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.path", path);
	if ((r = want_abs_path(jget(d, "path"), name, p, err)) < 0)
		return r;
	if ((v = jget(d, "hostPath"))) {
		snprintf(p, sizeof(p), "%s.hostPath", path);
		if ((r = want_string(v, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(d, "type"))) {
		const char *t;
		snprintf(p, sizeof(p), "%s.type", path);
		if ((r = want_string(v, name, p, err)) < 0)
			return r;
		t = json_object_get_string(v);
		if (t[0] && (t[1] || !strchr("bcup", t[0])))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: invalid device type '%s': use b, c, u or p",
				       name, p, t);
	}
	if ((v = jget(d, "major"))) {
		snprintf(p, sizeof(p), "%s.major", path);
		if ((r = want_int_range(v, 0, 0xfff, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(d, "minor"))) {
		snprintf(p, sizeof(p), "%s.minor", path);
		if ((r = want_int_range(v, 0, 0xfffff, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(d, "fileMode"))) {
		snprintf(p, sizeof(p), "%s.fileMode", path);
		if ((r = want_int_range(v, 0, 07777, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(d, "permissions"))) {
		const char *s;
		snprintf(p, sizeof(p), "%s.permissions", path);
		if ((r = want_string(v, name, p, err)) < 0)
			return r;
		for (s = json_object_get_string(v); *s; s++)
			if (!strchr("rwm", *s))
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "%s: %s: invalid permissions '%s': use a subset of \"rwm\"", name, p,
					       json_object_get_string(v));
	}
	static const char *const ids[] = { "uid", "gid" };
	for (size_t i = 0; i < 2; i++)
		if ((v = jget(d, ids[i]))) {
			snprintf(p, sizeof(p), "%s.%s", path, ids[i]);
			if ((r = want_int_range(v, 0, UINT32_MAX, name, p, err)) < 0)
				return r;
		}
	return 0;
}

static int check_mount(struct json_object *m, const char *name, const char *path, ctr_error **err)
{
	static const char *const f[] = { "hostPath", "containerPath", "options", "type", NULL };
	struct json_object *v;
	char p[300];
	int r;

	if ((r = want_object(m, f, name, path, err)) < 0)
		return r;
	static const char *const req[] = { "hostPath", "containerPath" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s.%s", path, req[i]);
		v = jget(m, req[i]);
		if ((r = want_req_string(v, name, p, err)) < 0)
			return r;
		if (!json_object_get_string(v)[0])
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: empty path", name, p);
	}
	if ((v = jget(m, "options"))) {
		snprintf(p, sizeof(p), "%s.options", path);
		if ((r = want_strv(v, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(m, "type"))) {
		snprintf(p, sizeof(p), "%s.type", path);
		if ((r = want_string(v, name, p, err)) < 0)
			return r;
	}
	return 0;
}

static int check_hook(struct json_object *h, const char *name, const char *path, ctr_error **err)
{
	static const char *const f[] = { "hookName", "path", "args", "env", "timeout", NULL };
	static const char *const names[] = { "prestart", "createRuntime", "createContainer", "startContainer",
					     "poststart", "poststop" };
	struct json_object *v;
	char p[300];
	bool ok = false;
	int r;

	if ((r = want_object(h, f, name, path, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.hookName", path);
	v = jget(h, "hookName");
	if ((r = want_req_string(v, name, p, err)) < 0)
		return r;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(names); i++)
		if (strcmp(json_object_get_string(v), names[i]) == 0)
			ok = true;
	if (!ok)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: %s: invalid hook name '%s': use prestart, createRuntime, createContainer, startContainer, poststart or poststop",
			       name, p, json_object_get_string(v));
	snprintf(p, sizeof(p), "%s.path", path);
	if ((r = want_abs_path(jget(h, "path"), name, p, err)) < 0)
		return r;
	static const char *const sv[] = { "args", "env" };
	for (size_t i = 0; i < 2; i++)
		if ((v = jget(h, sv[i]))) {
			snprintf(p, sizeof(p), "%s.%s", path, sv[i]);
			if ((r = want_strv(v, name, p, err)) < 0)
				return r;
			if (i == 1)
				for (size_t j = 0; j < json_object_array_length(v); j++)
					if (!strchr(json_object_get_string(json_object_array_get_idx(v, j)), '='))
						return ctr_err(err, EINVAL, CTR_E_INVALID,
							       "%s: %s[%zu]: invalid environment variable '%s': use KEY=VALUE",
							       name, p, j,
							       json_object_get_string(json_object_array_get_idx(v, j)));
		}
	if ((v = jget(h, "timeout"))) {
		snprintf(p, sizeof(p), "%s.timeout", path);
		if ((r = want_int_range(v, 1, INT32_MAX, name, p, err)) < 0)
			return r;
	}
	return 0;
}

static int check_netdev(struct json_object *n, const char *name, const char *path, ctr_error **err)
{
	static const char *const f[] = { "hostInterfaceName", "name", NULL };
	char p[300];
	int r;

	if ((r = want_object(n, f, name, path, err)) < 0)
		return r;
	for (size_t i = 0; i < 2; i++) {
		struct json_object *v = jget(n, f[i]);
		const char *s;
		snprintf(p, sizeof(p), "%s.%s", path, f[i]);
		if ((r = want_req_string(v, name, p, err)) < 0)
			return r;
		s = json_object_get_string(v);
		if (!s[0] || strlen(s) > 15 || strchr(s, '/') || strchr(s, ':') || strpbrk(s, " \t\n") ||
		    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "%s: %s: '%s' is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
				       name, p, s);
	}
	return 0;
}

static int check_intel_rdt(struct json_object *o, const char *name, const char *path, ctr_error **err)
{
	static const char *const f[] = { "closID", "l3CacheSchema", "memBwSchema", "schemata", "enableMonitoring", NULL };
	struct json_object *v;
	char p[300];
	int r;

	if ((r = want_object(o, f, name, path, err)) < 0)
		return r;
	for (size_t i = 0; i < 3; i++)
		if ((v = jget(o, f[i]))) {
			snprintf(p, sizeof(p), "%s.%s", path, f[i]);
			if ((r = want_string(v, name, p, err)) < 0)
				return r;
		}
	if ((v = jget(o, "closID"))) {
		const char *s = json_object_get_string(v);
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strchr(s, '/') || strchr(s, '\n') || strlen(s) >= 4096)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s.closID: invalid CLOS id '%s'", name, path, s);
	}
	if ((v = jget(o, "schemata"))) {
		snprintf(p, sizeof(p), "%s.schemata", path);
		if ((r = want_strv(v, name, p, err)) < 0)
			return r;
	}
	if ((v = jget(o, "enableMonitoring"))) {
		snprintf(p, sizeof(p), "%s.enableMonitoring", path);
		if ((r = want_type(v, json_type_boolean, "a boolean", name, p, err)) < 0)
			return r;
	}
	return 0;
}

static int check_array(struct json_object *a, field_check fn, const char *name, const char *path, ctr_error **err)
{
	char p[300];
	int r;

	if ((r = want_type(a, json_type_array, "an array", name, path, err)) < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if ((r = fn(json_object_array_get_idx(a, i), name, p, err)) < 0)
			return r;
	}
	return 0;
}

int cdi_validate_edits(struct json_object *e, const char *name, const char *where, ctr_error **err)
{
	static const char *const f[] = { "env", "deviceNodes", "hooks", "mounts", "intelRdt", "additionalGids",
					 "netDevices", NULL };
	struct json_object *v;
	char p[300];
	int r;

	if ((r = want_object(e, f, name, where, err)) < 0)
		return r;
	if ((v = jget(e, "env"))) {
		snprintf(p, sizeof(p), "%s.env", where);
		if ((r = want_strv(v, name, p, err)) < 0)
			return r;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(v, i));
			if (!strchr(s, '=') || s[0] == '=')
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "%s: %s[%zu]: invalid environment variable '%s': use KEY=VALUE", name, p, i, s);
		}
	}
	snprintf(p, sizeof(p), "%s.deviceNodes", where);
	if ((v = jget(e, "deviceNodes")) && (r = check_array(v, check_device_node, name, p, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.hooks", where);
	if ((v = jget(e, "hooks")) && (r = check_array(v, check_hook, name, p, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.mounts", where);
	if ((v = jget(e, "mounts")) && (r = check_array(v, check_mount, name, p, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.netDevices", where);
	if ((v = jget(e, "netDevices"))) {
		if ((r = check_array(v, check_netdev, name, p, err)) < 0)
			return r;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			for (size_t j = 0; j < i; j++) {
				struct json_object *a = json_object_array_get_idx(v, i), *b = json_object_array_get_idx(v, j);
				for (size_t k = 0; k < 2; k++)
					if (strcmp(json_object_get_string(jget(a, k ? "name" : "hostInterfaceName")),
						   json_object_get_string(jget(b, k ? "name" : "hostInterfaceName"))) == 0)
						return ctr_err(err, EINVAL, CTR_E_INVALID,
							       "%s: %s[%zu]: %s '%s' repeats entry %zu", name, p, i,
							       k ? "name" : "hostInterfaceName",
							       json_object_get_string(jget(a, k ? "name" : "hostInterfaceName")), j);
			}
	}
	snprintf(p, sizeof(p), "%s.intelRdt", where);
	if ((v = jget(e, "intelRdt")) && (r = check_intel_rdt(v, name, p, err)) < 0)
		return r;
	if ((v = jget(e, "additionalGids"))) {
		snprintf(p, sizeof(p), "%s.additionalGids", where);
		if ((r = want_type(v, json_type_array, "an array of gids", name, p, err)) < 0)
			return r;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			char q[320];
			snprintf(q, sizeof(q), "%s[%zu]", p, i);
			if ((r = want_int_range(json_object_array_get_idx(v, i), 0, UINT32_MAX, name, q, err)) < 0)
				return r;
		}
	}
	return 0;
}

static bool edits_empty(struct json_object *e)
{
	static const char *const f[] = { "env", "deviceNodes", "hooks", "mounts", "additionalGids", "netDevices" };

	for (size_t i = 0; i < CTR_ARRAY_SIZE(f); i++)
		if (jlen(jget(e, f[i])) > 0)
			return false;
	return jget(e, "intelRdt") == NULL;
}

void cdi_spec_free(struct cdi_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].name);
	free(s->devices);
	json_object_put(s->root);
	free(s->path);
	free(s->version);
	free(s->vendor);
	free(s->class_);
	free(s->kind);
	free(s);
}

static int validate_tree(struct json_object *root, const char *name, struct cdi_spec *s, ctr_error **err)
{
	static const char *const f[] = { "cdiVersion", "kind", "annotations", "devices", "containerEdits", NULL };
	struct json_object *v, *devs;
	const char *kind, *slash;
	int ver, minv, r;

	if ((r = want_object(root, f, name, "(document)", err)) < 0)
		return r;
	v = jget(root, "cdiVersion");
	if (!v)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: cdiVersion: missing required field", name);
	if ((r = want_string(v, name, "cdiVersion", err)) < 0)
		return r;
	ver = version_num(json_object_get_string(v));
	if (ver < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: cdiVersion: unsupported version '%s': use one of 0.3.0 to 1.1.0", name,
			       json_object_get_string(v));
	v = jget(root, "kind");
	if (!v)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: kind: missing required field", name);
	if ((r = want_string(v, name, "kind", err)) < 0)
		return r;
	kind = json_object_get_string(v);
	slash = strchr(kind, '/');
	if (!slash)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: kind: '%s' is not vendor/class, e.g. nvidia.com/gpu", name,
			       kind);
	s->vendor = strndup(kind, (size_t)(slash - kind));
	s->class_ = strdup(slash + 1);
	s->kind = strdup(kind);
	s->version = strdup(json_object_get_string(jget(root, "cdiVersion")));
	if (!s->vendor || !s->class_ || !s->kind || !s->version)
		return ctr_err_nomem(err);
	if ((r = cdi_validate_vendor(s->vendor, err)) < 0 || (r = cdi_validate_class(s->class_, err)) < 0) {
		ctr_err_prefix(err, "%s: kind", name);
		return r;
	}
	if ((v = jget(root, "annotations")) && (r = check_annotations(v, name, "annotations", err)) < 0)
		return r;
	if ((v = jget(root, "containerEdits"))) {
		if ((r = cdi_validate_edits(v, name, "containerEdits", err)) < 0)
			return r;
		s->edits = v;
	}
	devs = jget(root, "devices");
	if (!devs)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: devices: missing required field", name);
	if ((r = want_type(devs, json_type_array, "an array", name, "devices", err)) < 0)
		return r;
	if (json_object_array_length(devs) == 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: devices: the spec defines no device", name);
	s->devices = calloc(json_object_array_length(devs), sizeof(*s->devices));
	if (!s->devices)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		static const char *const df[] = { "name", "annotations", "containerEdits", NULL };
		struct json_object *d = json_object_array_get_idx(devs, i), *e;
		char p[64], q[96];
		const char *dn;

		snprintf(p, sizeof(p), "devices[%zu]", i);
		if ((r = want_object(d, df, name, p, err)) < 0)
			return r;
		snprintf(q, sizeof(q), "%s.name", p);
		v = jget(d, "name");
		if ((r = want_req_string(v, name, q, err)) < 0)
			return r;
		dn = json_object_get_string(v);
		if ((r = cdi_validate_device_name(dn, err)) < 0) {
			ctr_err_prefix(err, "%s: %s", name, q);
			return r;
		}
		for (size_t j = 0; j < s->n_devices; j++)
			if (strcmp(s->devices[j].name, dn) == 0)
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "%s: %s: device '%s' is defined twice in this spec", name, q, dn);
		snprintf(q, sizeof(q), "%s.annotations", p);
		if ((v = jget(d, "annotations")) && (r = check_annotations(v, name, q, err)) < 0)
			return r;
		snprintf(q, sizeof(q), "%s.containerEdits", p);
		e = jget(d, "containerEdits");
		if (!e)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: missing required field", name, q);
		if ((r = cdi_validate_edits(e, name, q, err)) < 0)
			return r;
		if (edits_empty(e))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: %s: device '%s' has no edits", name, q, dn);
		s->devices[s->n_devices].name = strdup(dn);
		if (!s->devices[s->n_devices].name)
			return ctr_err_nomem(err);
		s->devices[s->n_devices++].edits = e;
	}
	minv = cdi_minimum_version(root);
	if (ver < minv)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: cdiVersion: the fields used need at least version %s, the spec declares %s: raise cdiVersion",
			       name, version_str(minv), s->version);
	return 0;
}

int cdi_spec_parse(const char *buf, size_t len, const char *name, struct cdi_spec **out, ctr_error **err)
{
	struct cdi_spec *s;
	int r;

	if (!name)
		name = "cdi spec";
	s = calloc(1, sizeof(*s));
	if (!s)
		return ctr_err_nomem(err);
	s->path = strdup(name);
	if (!s->path) {
		free(s);
		return ctr_err_nomem(err);
	}
	r = cdi_parse_tree(buf, len, name, &s->root, err);
	if (r == 0)
		r = validate_tree(s->root, name, s, err);
	if (r < 0) {
		cdi_spec_free(s);
		return r;
	}
	*out = s;
	return 0;
}

CTR_EXPORT int ctr_cdi_validate_buffer(const char *buf, size_t len, const char *name, ctr_error **err)
{
	struct cdi_spec *s = NULL;
	int r;

	if (!buf && len)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_cdi_validate_buffer: NULL buffer");
	r = cdi_spec_parse(buf ? buf : "", len, name, &s, err);
	cdi_spec_free(s);
	return r;
}

CTR_EXPORT int ctr_cdi_validate_file(const char *path, ctr_error **err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_cdi_validate_file: NULL path");
	r = ctr_read_file(path, CDI_MAX_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	r = ctr_cdi_validate_buffer(buf, len, path, err);
	free(buf);
	return r;
}

/* ---- cache ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool spec_file_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".json") == 0) || (l > 5 && strcmp(n + l - 5, ".yaml") == 0));
}

static int load_dir(struct cdi_cache *c, const char *dir, int prio, char ***errors, ctr_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return strv_appendf(errors, "%s: cannot read CDI spec directory: %s", dir, strerror(errno)) < 0
			       ? ctr_err_nomem(err) : 0;
	}
	while ((de = readdir(d))) {
		char **nn;
		if (!spec_file_name(de->d_name))
			continue;
		nn = realloc(names, (n + 2) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			r = ctr_err_nomem(err);
			goto out;
		}
		names = nn;
		names[++n] = NULL;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL, *buf = NULL;
		size_t len;
		struct stat st;
		struct cdi_spec *s = NULL, **ns;
		ctr_error *fe = NULL;

		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			r = ctr_err_nomem(err);
			goto out;
		}
		/* no recursion: directories (even named *.json) are skipped */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (ctr_read_file(path, CDI_MAX_FILE, &buf, &len, &fe) < 0 ||
		    cdi_spec_parse(buf, len, path, &s, &fe) < 0) {
			/* out of memory is not a broken file: fail the whole load */
			int e = ctr_error_errno(fe) == ENOMEM ? -ENOMEM : strv_append(errors, ctr_error_message(fe));
			ctr_error_free(fe);
			free(buf);
			free(path);
			if (e < 0) {
				r = ctr_err_nomem(err);
				goto out;
			}
			continue;
		}
		free(buf);
		free(path);
		s->priority = prio;
		ns = realloc(c->specs, (c->n_specs + 1) * sizeof(*ns));
		if (!ns) {
			cdi_spec_free(s);
			r = ctr_err_nomem(err);
			goto out;
		}
		c->specs = ns;
		c->specs[c->n_specs++] = s;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

struct cdi_entry *cdi_cache_find(struct cdi_cache *c, const char *q)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (strcmp(c->entries[i].qualified, q) == 0)
			return &c->entries[i];
	return NULL;
}

void cdi_cache_clear(struct cdi_cache *c)
{
	for (size_t i = 0; i < c->n_specs; i++)
		cdi_spec_free(c->specs[i]);
	free(c->specs);
	for (size_t i = 0; i < c->n_entries; i++)
		free(c->entries[i].qualified);
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

int cdi_cache_load(struct cdi_cache *c, char *const *dirs, char ***errors, ctr_error **err)
{
	int r;

	cdi_cache_clear(c);
	for (int p = 0; dirs && dirs[p]; p++)
		if ((r = load_dir(c, dirs[p], p, errors, err)) < 0)
			return r;
	for (size_t i = 0; i < c->n_specs; i++) {
		struct cdi_spec *s = c->specs[i];
		for (size_t j = 0; j < s->n_devices; j++) {
			struct cdi_entry *e;
			char *q;

			if (asprintf(&q, "%s=%s", s->kind, s->devices[j].name) < 0)
				return ctr_err_nomem(err);
			e = cdi_cache_find(c, q);
			if (e) {
				free(q);
				if (e->spec->priority < s->priority) {
					/* a later directory wins */
					e->spec = s;
					e->dev = &s->devices[j];
					e->hidden = false;
				} else if (e->spec->priority == s->priority) {
					if (strv_appendf(errors,
							 "%s: conflicting device '%s' also defined in %s (same directory): the device is dropped; remove one definition",
							 s->path, e->qualified, e->spec->path) < 0)
						return ctr_err_nomem(err);
					e->hidden = true;
				}
				continue;
			}
			e = realloc(c->entries, (c->n_entries + 1) * sizeof(*e));
			if (!e) {
				free(q);
				return ctr_err_nomem(err);
			}
			c->entries = e;
			c->entries[c->n_entries++] = (struct cdi_entry){ .qualified = q, .spec = s, .dev = &s->devices[j] };
		}
	}
	return 0;
}

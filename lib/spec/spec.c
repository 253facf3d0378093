/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ctr_spec handle: a config.json kept as a json-c tree (so fields this
 * library does not know survive a round trip), loading, serializing and the
 * setters of include/ctr/spec.h.  Validation lives in config.c.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec-internal.h"

static const char default_name[] = "config.json";

const char *spec_json_type_name(const struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_int:
	case json_type_double: return "number";
	case json_type_string: return "string";
	case json_type_array: return "array";
	case json_type_object: return "object";
	}
	return "unknown";
}

static void offset_to_line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
	size_t l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/*
 * json-c saturates integer literals beyond 64 bits to INT64_MIN/UINT64_MAX
 * without telling; a config that says rlimit 1e30 must not silently become
 * "unlimited".  Scan the (already valid) JSON text for such literals.
 * Returns the offset of the first one, or len when there is none.
 */
static size_t find_int_overflow(const char *buf, size_t len)
{
	static const char umax[] = "18446744073709551615"; /* UINT64_MAX */
	static const char nmax[] = "9223372036854775808";  /* -INT64_MIN */
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			continue;
		}
		if (c != '-' && (c < '0' || c > '9'))
			continue;
		size_t start = i;
		bool neg = c == '-';
		size_t d0 = neg ? i + 1 : i, d = d0;
		while (d < len && buf[d] >= '0' && buf[d] <= '9')
			d++;
		size_t e = d;
		while (e < len && ((buf[e] >= '0' && buf[e] <= '9') || buf[e] == '.' || buf[e] == 'e' ||
				   buf[e] == 'E' || buf[e] == '+' || buf[e] == '-'))
			e++;
		i = e - 1;
		if (e != d)
			continue; /* fraction or exponent: a double, json-c keeps it as one */
		const char *lim = neg ? nmax : umax;
		size_t ndig = d - d0, nlim = strlen(lim);
		if (ndig > nlim || (ndig == nlim && memcmp(buf + d0, lim, nlim) > 0))
			return start;
	}
	return len;
}

int spec_json_parse(const char *buf, size_t len, const char *name, struct json_object **out,
		    ctr_error **err)
{
	if (!name)
		name = default_name;
	if (!buf && len)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: buffer is NULL but length is %zu", name, len);
	if (len > INT_MAX)
		return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: document is %zu bytes, more than a JSON parser "
			       "takes (%d): a config.json is a few kilobytes", name, len, INT_MAX);
	const char *nul = len ? memchr(buf, '\0', len) : NULL;
	if (nul)
		return ctr_err(err, EINVAL, CTR_E_PARSE,
			       "%s: NUL byte at offset %zu: a JSON document is text, check that the whole "
			       "file was written and that the length passed is right",
			       name, (size_t)(nul - buf));
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i == len)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: empty document: expected a JSON object", name);

	struct json_tokener *tok = json_tokener_new_ex(CTR_SPEC_MAX_DEPTH);
	if (!tok)
		return ctr_err_nomem(err);
	/* trailing data is checked below, with a clearer message than json-c's */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	size_t line, col;
	if (!obj) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			return ctr_err(err, EINVAL, CTR_E_PARSE,
				       "%s: unexpected end of the document after %zu bytes: it is truncated "
				       "or a bracket is not closed",
				       name, len);
		if (end > len)
			end = len;
		offset_to_line_col(buf, end, &line, &col);
		if (jerr == json_tokener_error_depth)
			return ctr_err(err, EINVAL, CTR_E_PARSE,
				       "%s: line %zu, column %zu: JSON nested deeper than %d levels", name,
				       line, col, CTR_SPEC_MAX_DEPTH);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: line %zu, column %zu: invalid JSON: %s", name,
			       line, col, json_tokener_error_desc(jerr));
	}
	if (end > len)
		end = len;
	for (size_t j = end; j < len; j++) {
		char ch = buf[j];
		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
			offset_to_line_col(buf, j, &line, &col);
			json_object_put(obj);
			return ctr_err(err, EINVAL, CTR_E_PARSE,
				       "%s: line %zu, column %zu: unexpected data after the end of the JSON "
				       "object: a config.json holds exactly one object",
				       name, line, col);
		}
	}
	size_t big = find_int_overflow(buf, len);
	if (big < len) {
		json_object_put(obj);
		offset_to_line_col(buf, big, &line, &col);
		int n = 0;
		while (big + (size_t)n < len && n < 40 && (buf[big + n] == '-' || (buf[big + n] >= '0' && buf[big + n] <= '9')))
			n++;
		return ctr_err(err, EINVAL, CTR_E_PARSE,
			       "%s: line %zu, column %zu: integer %.*s does not fit in 64 bits", name, line, col,
			       n, buf + big);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		const char *t = spec_json_type_name(obj);
		json_object_put(obj);
		return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: expected a JSON object at the top level, got %s",
			       name, t);
	}
	*out = obj;
	return 0;
}

static int spec_wrap(struct json_object *root, const char *name, ctr_spec **out, ctr_error **err)
{
	ctr_spec *s = calloc(1, sizeof(*s));
	if (!s) {
		json_object_put(root);
		return ctr_err_nomem(err);
	}
	s->name = strdup(name ? name : default_name);
	if (!s->name) {
		json_object_put(root);
		free(s);
		return ctr_err_nomem(err);
	}
	s->root = root;
	*out = s;
	return 0;
}

CTR_EXPORT void ctr_spec_free(ctr_spec *spec)
{
	if (!spec)
		return;
	json_object_put(spec->root);
	free(spec->name);
	free(spec);
}

struct json_object *ctr_spec_json(const ctr_spec *spec)
{
	return spec ? spec->root : NULL;
}

const char *ctr_spec_name(const ctr_spec *spec)
{
	return spec && spec->name ? spec->name : default_name;
}

CTR_EXPORT int ctr_spec_validate(const ctr_spec *spec, ctr_error **err)
{
	if (!spec)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_validate: spec is NULL");
	struct oci_config *cfg = NULL;
	int r = oci_config_from_spec(spec, &cfg, err);
	oci_config_free(cfg);
	return r;
}

/*
 * What `runc spec` writes, with three differences: terminal is false so a
 * non-interactive `run` works without a console socket, the hostname is
 * "ctr", and /sys/devices/virtual/powercap is masked as newer runc does.
 */
static const char default_config[] =
	"{"
	"\"ociVersion\":\"" CTR_OCI_VERSION "\","
	"\"process\":{"
	  "\"terminal\":false,"
	  "\"user\":{\"uid\":0,\"gid\":0},"
	  "\"args\":[\"sh\"],"
	  "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
	  "\"cwd\":\"/\","
	  "\"capabilities\":{"
	    "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]"
	  "},"
	  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	  "\"noNewPrivileges\":true"
	"},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"ctr\","
	"\"mounts\":["
	  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	  "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	  "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	  "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	  "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	  "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	  "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}"
	"],"
	"\"linux\":{"
	  "\"namespaces\":["
	    "{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	    "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}"
	  "],"
	  "\"maskedPaths\":["
	    "\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
	    "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\","
	    "\"/sys/devices/virtual/powercap\",\"/proc/scsi\""
	  "],"
	  "\"readonlyPaths\":["
	    "\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\""
	  "]"
	"}"
	"}";

CTR_EXPORT int ctr_spec_new_default(ctr_spec **out, ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_new_default: out is NULL");
	*out = NULL;
	struct json_object *root = NULL;
	int r = spec_json_parse(default_config, sizeof(default_config) - 1, default_name, &root, err);
	if (r < 0)
		return r;
	return spec_wrap(root, default_name, out, err);
}

CTR_EXPORT int ctr_resources_validate(const char *json, size_t len, const char *name, ctr_error **err)
{
	struct json_object *res = NULL;
	if (!name)
		name = "resources";
	int r = spec_json_parse(json, len, name, &res, err);
	if (r < 0)
		return r;
	r = oci_resources_check(res, name, true, err);
	json_object_put(res);
	return r;
}

CTR_EXPORT int ctr_spec_load_buffer(ctr_spec **out, const char *buf, size_t len, const char *name,
				    ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_load_buffer: out is NULL");
	*out = NULL;
	if (!name)
		name = default_name;
	struct json_object *root = NULL;
	int r = spec_json_parse(buf, len, name, &root, err);
	if (r < 0)
		return r;
	ctr_spec *s = NULL;
	r = spec_wrap(root, name, &s, err);
	if (r < 0)
		return r;
	r = ctr_spec_validate(s, err);
	if (r < 0) {
		ctr_spec_free(s);
		return r;
	}
	*out = s;
	return 0;
}

CTR_EXPORT int ctr_spec_load_file(ctr_spec **out, const char *path, ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_load_file: out is NULL");
	*out = NULL;
	if (!path || !*path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_load_file: path is empty");
	char *buf = NULL;
	size_t len = 0;
	int r = ctr_read_file(path, CTR_SPEC_MAX_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	r = ctr_spec_load_buffer(out, buf, len, path, err);
	free(buf);
	return r;
}

CTR_EXPORT int ctr_spec_copy(ctr_spec **out, const ctr_spec *spec, ctr_error **err)
{
	if (!out || !spec)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_copy: %s is NULL", out ? "spec" : "out");
	*out = NULL;
	struct json_object *copy = NULL;
	if (json_object_deep_copy(spec->root, &copy, NULL) < 0 || !copy)
		return ctr_err_nomem(err);
	return spec_wrap(copy, spec->name, out, err);
}

CTR_EXPORT int ctr_spec_to_json(const ctr_spec *spec, char **out, size_t *len, int pretty, ctr_error **err)
{
	if (!spec || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_to_json: %s is NULL", out ? "spec" : "out");
	*out = NULL;
	/*
	 * json-c caches the text in a buffer inside the object it serializes;
	 * serializing a private copy keeps this call free of writes to the
	 * spec, so readers on several threads do not race.
	 */
	struct json_object *copy = NULL;
	if (json_object_deep_copy(spec->root, &copy, NULL) < 0 || !copy)
		return ctr_err_nomem(err);
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	size_t n = 0;
	const char *s = json_object_to_json_string_length(copy, flags, &n);
	if (!s) {
		json_object_put(copy);
		return ctr_err_nomem(err);
	}
	char *dup = malloc(n + 1);
	if (!dup) {
		json_object_put(copy);
		return ctr_err_nomem(err);
	}
	memcpy(dup, s, n);
	dup[n] = '\0';
	json_object_put(copy);
	*out = dup;
	if (len)
		*len = n;
	return 0;
}

CTR_EXPORT int ctr_spec_save_file(const ctr_spec *spec, const char *path, ctr_error **err)
{
	if (!spec || !path || !*path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_save_file: %s is NULL or empty",
			       spec ? "path" : "spec");
	char *text = NULL;
	size_t n = 0;
	int r = ctr_spec_to_json(spec, &text, &n, 1, err);
	if (r < 0)
		return r;
	/* end the file with a newline as editors and `runc spec` do */
	char *nl = realloc(text, n + 2);
	if (!nl) {
		free(text);
		return ctr_err_nomem(err);
	}
	nl[n++] = '\n';
	nl[n] = '\0';
	r = ctr_write_file_atomic(path, nl, n, 0644, err);
	free(nl);
	return r;
}

/* ---- setters ---------------------------------------------------------- */

/* parent[key] when parent is an object and the value has type t; else NULL. */
static struct json_object *child_if(struct json_object *parent, const char *key, json_type t)
{
	struct json_object *v = NULL;
	if (!json_object_is_type(parent, json_type_object) || !json_object_object_get_ex(parent, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* Whether o is an object whose member key is the string s. */
static bool string_member_is(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v = child_if(o, key, json_type_string);
	return v && strcmp(json_object_get_string(v), s) == 0;
}

/* Set parent[key] = val, taking ownership of val (NULL val: out of memory). */
static int set_owned(struct json_object *parent, const char *key, struct json_object *val, ctr_error **err)
{
	if (!val)
		return ctr_err_nomem(err);
	if (json_object_object_add(parent, key, val) < 0) {
		json_object_put(val);
		return ctr_err_nomem(err);
	}
	return 0;
}

/*
 * The object or array (t) at parent[key], created empty when absent; an
 * error naming path when it has another type.
 */
static int child_typed(const ctr_spec *spec, struct json_object *parent, const char *path, const char *key,
		       enum json_type t, struct json_object **out, ctr_error **err)
{
	struct json_object *o = NULL;
	if (json_object_object_get_ex(parent, key, &o) && o && !json_object_is_type(o, json_type_null)) {
		if (!json_object_is_type(o, t))
			return ctr_err(err, EINVAL, CTR_E_SPEC, "%s: %s: expected %s, got %s",
				       ctr_spec_name(spec), path,
				       t == json_type_object ? "an object" : "an array", spec_json_type_name(o));
		*out = o;
		return 0;
	}
	o = t == json_type_object ? json_object_new_object() : json_object_new_array();
	int r = set_owned(parent, key, o, err);
	if (r == 0)
		*out = o;
	return r;
}

static int child_object(const ctr_spec *spec, struct json_object *parent, const char *path,
			const char *key, struct json_object **out, ctr_error **err)
{
	return child_typed(spec, parent, path, key, json_type_object, out, err);
}

static int child_array(const ctr_spec *spec, struct json_object *parent, const char *path,
		       const char *key, struct json_object **out, ctr_error **err)
{
	return child_typed(spec, parent, path, key, json_type_array, out, err);
}

static int process_object(ctr_spec *spec, struct json_object **out, ctr_error **err)
{
	return child_object(spec, spec->root, "process", "process", out, err);
}

struct json_object *oci_json_strv(const char *const *v)
{
	size_t n = ctr_strv_len(v);
	struct json_object *a = json_object_new_array_ext((int)n);
	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_new_string(v[i]);
		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

#define CHECK_SPEC(fn)                                                                               \
	do {                                                                                         \
		if (!spec)                                                                           \
			return ctr_err(err, EINVAL, CTR_E_INVALID, fn ": spec is NULL");             \
	} while (0)

CTR_EXPORT int ctr_spec_set_args(ctr_spec *spec, const char *const *argv, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_args");
	if (!argv || !argv[0])
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_args: argv is empty: process.args needs at least the program");
	struct json_object *proc = NULL;
	int r = process_object(spec, &proc, err);
	if (r < 0)
		return r;
	return set_owned(proc, "args", oci_json_strv(argv), err);
}

static bool env_name_matches(const char *entry, const char *name, size_t nlen)
{
	return strncmp(entry, name, nlen) == 0 && (entry[nlen] == '=' || entry[nlen] == '\0');
}

static int check_env_name(const char *fn, const char *name, ctr_error **err)
{
	if (!name || !*name || strchr(name, '='))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: variable name '%s' is empty or contains '=': pass the name alone", fn,
			       name ? name : "(null)");
	return 0;
}

CTR_EXPORT int ctr_spec_set_env(ctr_spec *spec, const char *name, const char *value, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_env");
	int r = check_env_name("ctr_spec_set_env", name, err);
	if (r < 0)
		return r;
	struct json_object *proc = NULL, *env;
	r = process_object(spec, &proc, err);
	if (r < 0)
		return r;
	r = child_array(spec, proc, "process.env", "env", &env, err);
	if (r < 0)
		return r;
	char *entry = NULL;
	if (asprintf(&entry, "%s=%s", name, value ? value : "") < 0)
		return ctr_err_nomem(err);
	struct json_object *s = json_object_new_string(entry);
	free(entry);
	if (!s)
		return ctr_err_nomem(err);
	size_t nlen = strlen(name);
	size_t n = json_object_array_length(env);
	bool replaced = false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(env, i);
		if (!json_object_is_type(e, json_type_string) || !env_name_matches(json_object_get_string(e), name, nlen))
			continue;
		if (!replaced) {
			if (json_object_array_put_idx(env, i, s) < 0) {
				json_object_put(s);
				return ctr_err_nomem(err);
			}
			replaced = true;
		} else {
			/* a duplicate later in the list would win in execve's environment */
			json_object_array_del_idx(env, i, 1);
			i--;
			n--;
		}
	}
	if (!replaced && json_object_array_add(env, s) < 0) {
		json_object_put(s);
		return ctr_err_nomem(err);
	}
	return 0;
}

CTR_EXPORT int ctr_spec_unset_env(ctr_spec *spec, const char *name, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_unset_env");
	int r = check_env_name("ctr_spec_unset_env", name, err);
	if (r < 0)
		return r;
	struct json_object *env = child_if(child_if(spec->root, "process", json_type_object), "env", json_type_array);
	if (!env)
		return 0;
	size_t nlen = strlen(name);
	for (size_t i = 0; i < json_object_array_length(env);) {
		struct json_object *e = json_object_array_get_idx(env, i);
		if (json_object_is_type(e, json_type_string) && env_name_matches(json_object_get_string(e), name, nlen))
			json_object_array_del_idx(env, i, 1);
		else
			i++;
	}
	return 0;
}

CTR_EXPORT int ctr_spec_set_cwd(ctr_spec *spec, const char *cwd, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_cwd");
	if (!cwd || cwd[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_cwd: '%s' is not an absolute path: process.cwd must start with '/'",
			       cwd ? cwd : "(null)");
	struct json_object *proc = NULL;
	int r = process_object(spec, &proc, err);
	if (r < 0)
		return r;
	return set_owned(proc, "cwd", json_object_new_string(cwd), err);
}

CTR_EXPORT int ctr_spec_set_user(ctr_spec *spec, unsigned uid, unsigned gid, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_user");
	if (uid == (unsigned)-1 || gid == (unsigned)-1)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_user: %u:%u: (uid_t)-1 is not a valid id", uid, gid);
	struct json_object *proc = NULL, *user;
	int r = process_object(spec, &proc, err);
	if (r < 0)
		return r;
	r = child_object(spec, proc, "process.user", "user", &user, err);
	if (r < 0)
		return r;
	r = set_owned(user, "uid", json_object_new_int64(uid), err);
	if (r < 0)
		return r;
	return set_owned(user, "gid", json_object_new_int64(gid), err);
}

CTR_EXPORT int ctr_spec_set_terminal(ctr_spec *spec, int terminal, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_terminal");
	struct json_object *proc = NULL;
	int r = process_object(spec, &proc, err);
	if (r < 0)
		return r;
	return set_owned(proc, "terminal", json_object_new_boolean(terminal != 0), err);
}

CTR_EXPORT int ctr_spec_set_hostname(ctr_spec *spec, const char *hostname, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_hostname");
	if (!hostname) {
		json_object_object_del(spec->root, "hostname");
		return 0;
	}
	/* sethostname(2) takes at most HOST_NAME_MAX (64) bytes */
	if (strlen(hostname) > 64)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_hostname: '%s' is longer than 64 bytes, the kernel's limit", hostname);
	return set_owned(spec->root, "hostname", json_object_new_string(hostname), err);
}

CTR_EXPORT int ctr_spec_set_root(ctr_spec *spec, const char *path, int readonly, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_root");
	if (!path || !*path)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_root: path is empty: give the rootfs directory, relative to the "
			       "bundle or absolute");
	struct json_object *root;
	int r = child_object(spec, spec->root, "root", "root", &root, err);
	if (r < 0)
		return r;
	r = set_owned(root, "path", json_object_new_string(path), err);
	if (r < 0)
		return r;
	return set_owned(root, "readonly", json_object_new_boolean(readonly != 0), err);
}

static bool mount_has_destination(struct json_object *m, const char *destination)
{
	return string_member_is(m, "destination", destination);
}

CTR_EXPORT int ctr_spec_add_mount(ctr_spec *spec, const char *destination, const char *type,
				  const char *source, const char *const *options, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_add_mount");
	if (!destination || destination[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_add_mount: destination '%s' is not an absolute path",
			       destination ? destination : "(null)");
	struct json_object *mounts;
	int r = child_array(spec, spec->root, "mounts", "mounts", &mounts, err);
	if (r < 0)
		return r;
	struct json_object *m = json_object_new_object();
	if (!m)
		return ctr_err_nomem(err);
	r = set_owned(m, "destination", json_object_new_string(destination), err);
	if (r == 0 && type)
		r = set_owned(m, "type", json_object_new_string(type), err);
	if (r == 0 && source)
		r = set_owned(m, "source", json_object_new_string(source), err);
	if (r == 0 && options)
		r = set_owned(m, "options", oci_json_strv(options), err);
	if (r < 0) {
		json_object_put(m);
		return r;
	}
	size_t n = json_object_array_length(mounts);
	for (size_t i = 0; i < n; i++) {
		if (mount_has_destination(json_object_array_get_idx(mounts, i), destination)) {
			if (json_object_array_put_idx(mounts, i, m) < 0) {
				json_object_put(m);
				return ctr_err_nomem(err);
			}
			/* drop later duplicates so the replacement is the only one */
			for (size_t j = i + 1; j < json_object_array_length(mounts);) {
				if (mount_has_destination(json_object_array_get_idx(mounts, j), destination))
					json_object_array_del_idx(mounts, j, 1);
				else
					j++;
			}
			return 0;
		}
	}
	if (json_object_array_add(mounts, m) < 0) {
		json_object_put(m);
		return ctr_err_nomem(err);
	}
	return 0;
}

CTR_EXPORT int ctr_spec_remove_mount(ctr_spec *spec, const char *destination, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_remove_mount");
	if (!destination)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_remove_mount: destination is NULL");
	struct json_object *mounts = child_if(spec->root, "mounts", json_type_array);
	bool found = false;
	if (mounts) {
		for (size_t i = 0; i < json_object_array_length(mounts);) {
			if (mount_has_destination(json_object_array_get_idx(mounts, i), destination)) {
				json_object_array_del_idx(mounts, i, 1);
				found = true;
			} else {
				i++;
			}
		}
	}
	if (!found)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: mounts: no mount with destination '%s'",
			       ctr_spec_name(spec), destination);
	return 0;
}

static bool ns_entry_is(struct json_object *e, const char *type)
{
	return string_member_is(e, "type", type);
}

static int check_ns_type(const char *fn, const char *type, ctr_error **err)
{
	if (!type || oci_namespace_type_from_name(type) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: unknown namespace '%s': use one of pid, network, mount, ipc, uts, user, "
			       "cgroup, time",
			       fn, type ? type : "(null)");
	return 0;
}

CTR_EXPORT int ctr_spec_set_namespace(ctr_spec *spec, const char *type, const char *path, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_namespace");
	int r = check_ns_type("ctr_spec_set_namespace", type, err);
	if (r < 0)
		return r;
	if (path && path[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_spec_set_namespace: path '%s' is not absolute: give a namespace file such "
			       "as /proc/PID/ns/%s",
			       path, type);
	struct json_object *linux_, *nss;
	r = child_object(spec, spec->root, "linux", "linux", &linux_, err);
	if (r < 0)
		return r;
	r = child_array(spec, linux_, "linux.namespaces", "namespaces", &nss, err);
	if (r < 0)
		return r;
	size_t n = json_object_array_length(nss);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(nss, i);
		if (!ns_entry_is(e, type))
			continue;
		if (path)
			return set_owned(e, "path", json_object_new_string(path), err);
		json_object_object_del(e, "path");
		return 0;
	}
	struct json_object *e = json_object_new_object();
	if (!e)
		return ctr_err_nomem(err);
	r = set_owned(e, "type", json_object_new_string(type), err);
	if (r == 0 && path)
		r = set_owned(e, "path", json_object_new_string(path), err);
	if (r == 0 && json_object_array_add(nss, e) < 0)
		r = ctr_err_nomem(err);
	if (r < 0)
		json_object_put(e);
	return r;
}

CTR_EXPORT int ctr_spec_remove_namespace(ctr_spec *spec, const char *type, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_remove_namespace");
	int r = check_ns_type("ctr_spec_remove_namespace", type, err);
	if (r < 0)
		return r;
	struct json_object *nss =
		child_if(child_if(spec->root, "linux", json_type_object), "namespaces", json_type_array);
	if (!nss)
		return 0;
	for (size_t i = 0; i < json_object_array_length(nss);) {
		if (ns_entry_is(json_object_array_get_idx(nss, i), type))
			json_object_array_del_idx(nss, i, 1);
		else
			i++;
	}
	return 0;
}

CTR_EXPORT int ctr_spec_set_annotation(ctr_spec *spec, const char *key, const char *value, ctr_error **err)
{
	CHECK_SPEC("ctr_spec_set_annotation");
	if (!key || !*key)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_set_annotation: key is empty");
	struct json_object *ann = NULL;
	if (!value) {
		if ((ann = child_if(spec->root, "annotations", json_type_object)))
			json_object_object_del(ann, key);
		return 0;
	}
	int r = child_object(spec, spec->root, "annotations", "annotations", &ann, err);
	if (r < 0)
		return r;
	return set_owned(ann, key, json_object_new_string(value), err);
}

CTR_EXPORT const char *ctr_spec_get_annotation(const ctr_spec *spec, const char *key)
{
	if (!spec || !key)
		return NULL;
	struct json_object *v = child_if(child_if(spec->root, "annotations", json_type_object), key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

CTR_EXPORT int ctr_spec_foreach_annotation(const ctr_spec *spec,
					   int (*fn)(const char *key, const char *value, void *ud), void *ud)
{
	struct json_object *ann = spec && fn ? child_if(spec->root, "annotations", json_type_object) : NULL;
	if (!ann)
		return 0;
	json_object_object_foreach(ann, k, v) {
		if (!json_object_is_type(v, json_type_string))
			continue;
		int r = fn(k, json_object_get_string(v), ud);
		if (r)
			return r;
	}
	return 0;
}

CTR_EXPORT int ctr_spec_get_terminal(const ctr_spec *spec)
{
	struct json_object *proc = spec ? child_if(spec->root, "process", json_type_object) : NULL;
	struct json_object *t = child_if(proc, "terminal", json_type_boolean);
	return t && json_object_get_boolean(t) ? 1 : 0;
}

CTR_EXPORT const char *ctr_spec_get_env(const ctr_spec *spec, const char *name)
{
	struct json_object *proc = spec && name ? child_if(spec->root, "process", json_type_object) : NULL;
	struct json_object *env = child_if(proc, "env", json_type_array);
	if (!env)
		return NULL;
	size_t nlen = strlen(name), n = json_object_array_length(env);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(env, i);
		/* "NAME=value" only: an entry "NAME" without '=' sets nothing (getenv(3) skips it too) */
		const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
		if (s && strncmp(s, name, nlen) == 0 && s[nlen] == '=')
			return s + nlen + 1;
	}
	return NULL;
}

CTR_EXPORT const char *ctr_spec_oci_version(const ctr_spec *spec)
{
	struct json_object *v = spec ? child_if(spec->root, "ociVersion", json_type_string) : NULL;
	return v ? json_object_get_string(v) : NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * registries.conf(5): which registries a reference may be pulled from.
 *
 * The files are TOML.  A small parser here reads the subset registries.conf
 * and its drop-ins use (comments; [tables] and [[arrays of tables]] with bare
 * or quoted, dotted keys; basic and literal strings; booleans; integers;
 * arrays, also over several lines; inline tables) into a json-c tree, and
 * anything else is an error naming the file and line.  The tree is then read
 * as version 2 (unqualified-search-registries, short-name-mode, [aliases],
 * [[registry]] with prefix, location, insecure, blocked, [[registry.mirror]]
 * with location, insecure, pull-from-mirror, and mirror-by-digest-only) or
 * version 1 ([registries.search], [registries.insecure], [registries.block]).
 * Keys we do not know are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "image/registry.h"

#define CONF_MAX (4u << 20)
#define NEST_MAX 32

/* ---- the TOML subset ---- */

struct toml {
	const char *p, *end;
	const char *what;
	unsigned line;
	ctr_error **err;
	int depth;
};

static int terr(struct toml *t, const char *fmt, ...) CTR_PRINTF(2, 3);
static int terr(struct toml *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctr_err(t->err, EINVAL, CTR_E_PARSE, "%s:%u: %s", t->what, t->line, msg);
}

static bool at_end(struct toml *t)
{
	return t->p >= t->end;
}

/* spaces and tabs */
static void skip_ws(struct toml *t)
{
	while (!at_end(t) && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static void skip_comment(struct toml *t)
{
	if (!at_end(t) && *t->p == '#')
		while (!at_end(t) && *t->p != '\n')
			t->p++;
}

/* spaces, newlines and comments (between lines, inside arrays) */
static void skip_all(struct toml *t)
{
	for (;;) {
		skip_ws(t);
		skip_comment(t);
		if (!at_end(t) && *t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n')
			t->p++;
		if (at_end(t) || *t->p != '\n')
			return;
		t->p++;
		t->line++;
	}
}

/* After a value or header: only a comment may follow on the line. */
static int end_of_line(struct toml *t)
{
	skip_ws(t);
	skip_comment(t);
	if (!at_end(t) && *t->p == '\r')
		t->p++;
	if (at_end(t))
		return 0;
	if (*t->p != '\n')
		return terr(t, "unexpected '%c' after the value (one key = value per line)", *t->p);
	t->p++;
	t->line++;
	return 0;
}

static int put_utf8(char *o, size_t *n, unsigned long cp)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | (cp >> 6));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | (cp >> 12));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | (cp >> 18));
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

/* A basic "..." or literal '...' string (one line); *out malloc'd. */
static int parse_string(struct toml *t, char **out)
{
	char q = *t->p;
	if (t->p + 2 < t->end && t->p[1] == q && t->p[2] == q)
		return terr(t, "multi-line strings (%c%c%c) are not supported here", q, q, q);
	t->p++;
	const char *start = t->p;
	while (!at_end(t) && *t->p != q && *t->p != '\n') {
		if (q == '"' && *t->p == '\\' && t->p + 1 < t->end)
			t->p++;
		t->p++;
	}
	if (at_end(t) || *t->p != q)
		return terr(t, "unterminated string");
	size_t raw = (size_t)(t->p - start);
	t->p++;
	char *o = malloc(raw + 1);
	size_t n = 0;
	if (!o)
		return ctr_err_nomem(t->err);
	for (size_t i = 0; i < raw; i++) {
		char c = start[i];
		if ((unsigned char)c < 0x20 && c != '\t') {
			free(o);
			return terr(t, "control character in a string");
		}
		if (q == '\'' || c != '\\') {
			o[n++] = c;
			continue;
		}
		char e = start[++i];
		switch (e) {
		case 'b': o[n++] = '\b'; break;
		case 't': o[n++] = '\t'; break;
		case 'n': o[n++] = '\n'; break;
		case 'f': o[n++] = '\f'; break;
		case 'r': o[n++] = '\r'; break;
		case '"': o[n++] = '"'; break;
		case '\\': o[n++] = '\\'; break;
		case 'u':
		case 'U': {
			size_t digits = e == 'u' ? 4 : 8;
			unsigned long cp = 0;
			if (i + digits >= raw) {
				free(o);
				return terr(t, "short \\%c escape", e);
			}
			for (size_t k = 1; k <= digits; k++) {
				char h = start[i + k];
				int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
									: h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
				if (v < 0) {
					free(o);
					return terr(t, "bad \\%c escape", e);
				}
				cp = cp * 16 + (unsigned long)v;
			}
			i += digits;
			if (put_utf8(o, &n, cp) < 0) {
				free(o);
				return terr(t, "\\%c escape is not a valid character (or is NUL)", e);
			}
			break;
		}
		default:
			free(o);
			return terr(t, "unknown escape \\%c", e ? e : '?');
		}
	}
	o[n] = '\0';
	*out = o;
	return 0;
}

static bool bare_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* One key component (bare or quoted). */
static int parse_key_part(struct toml *t, char **out)
{
	skip_ws(t);
	if (at_end(t))
		return terr(t, "a key is missing");
	if (*t->p == '"' || *t->p == '\'')
		return parse_string(t, out);
	const char *s = t->p;
	while (!at_end(t) && bare_key_char(*t->p))
		t->p++;
	if (t->p == s)
		return terr(t, "expected a key, got '%c'", *t->p);
	if (!(*out = strndup(s, (size_t)(t->p - s))))
		return ctr_err_nomem(t->err);
	return 0;
}

/* A dotted key: a.b."c d" -> up to NEST_MAX parts */
static int parse_key(struct toml *t, char **parts, size_t *n)
{
	*n = 0;
	for (;;) {
		if (*n == NEST_MAX)
			return terr(t, "a key with more than %d parts", NEST_MAX);
		int r = parse_key_part(t, &parts[*n]);
		if (r < 0)
			return r;
		(*n)++;
		skip_ws(t);
		if (at_end(t) || *t->p != '.')
			return 0;
		t->p++;
	}
}

static void free_parts(char **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
}

static int parse_value(struct toml *t, struct json_object **out);

static int parse_inline_table(struct toml *t, struct json_object **out);

/* Insert v at the dotted key path below tbl, creating intermediate tables; v is taken over. */
static int insert(struct toml *t, struct json_object *tbl, char **parts, size_t n, struct json_object *v)
{
	for (size_t i = 0; i + 1 < n; i++) {
		struct json_object *sub;
		if (json_object_object_get_ex(tbl, parts[i], &sub)) {
			if (!json_object_is_type(sub, json_type_object)) {
				json_object_put(v);
				return terr(t, "'%s' is not a table", parts[i]);
			}
		} else {
			if (!(sub = json_object_new_object())) {
				json_object_put(v);
				return ctr_err_nomem(t->err);
			}
			json_object_object_add(tbl, parts[i], sub);
		}
		tbl = sub;
	}
	if (json_object_object_get_ex(tbl, parts[n - 1], NULL)) {
		json_object_put(v);
		return terr(t, "'%s' is defined twice", parts[n - 1]);
	}
	json_object_object_add(tbl, parts[n - 1], v);
	return 0;
}

static int parse_array(struct toml *t, struct json_object **out)
{
	struct json_object *a = json_object_new_array();
	if (!a)
		return ctr_err_nomem(t->err);
	t->p++; /* [ */
	if (++t->depth > NEST_MAX) {
		json_object_put(a);
		return terr(t, "values nested deeper than %d", NEST_MAX);
	}
	for (;;) {
		skip_all(t);
		if (at_end(t)) {
			json_object_put(a);
			return terr(t, "unterminated array");
		}
		if (*t->p == ']') {
			t->p++;
			break;
		}
		struct json_object *v;
		int r = parse_value(t, &v);
		if (r < 0) {
			json_object_put(a);
			return r;
		}
		json_object_array_add(a, v);
		skip_all(t);
		if (at_end(t)) {
			json_object_put(a);
			return terr(t, "unterminated array");
		}
		if (*t->p == ',') {
			t->p++;
			continue;
		}
		if (!at_end(t) && *t->p == ']') {
			t->p++;
			break;
		}
		json_object_put(a);
		return terr(t, "expected ',' or ']' in an array");
	}
	t->depth--;
	*out = a;
	return 0;
}

static int parse_inline_table(struct toml *t, struct json_object **out)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return ctr_err_nomem(t->err);
	t->p++; /* { */
	if (++t->depth > NEST_MAX) {
		json_object_put(o);
		return terr(t, "values nested deeper than %d", NEST_MAX);
	}
	skip_ws(t);
	if (!at_end(t) && *t->p == '}') {
		t->p++;
		t->depth--;
		*out = o;
		return 0;
	}
	for (;;) {
		char *parts[NEST_MAX];
		size_t n;
		struct json_object *v;
		int r = parse_key(t, parts, &n);
		if (r < 0) {
			free_parts(parts, n);
			json_object_put(o);
			return r;
		}
		skip_ws(t);
		if (at_end(t) || *t->p != '=') {
			free_parts(parts, n);
			json_object_put(o);
			return terr(t, "expected '=' after a key");
		}
		t->p++;
		skip_ws(t);
		if ((r = parse_value(t, &v)) < 0 || (r = insert(t, o, parts, n, v)) < 0) {
			free_parts(parts, n);
			json_object_put(o);
			return r;
		}
		free_parts(parts, n);
		skip_ws(t);
		if (!at_end(t) && *t->p == ',') {
			t->p++;
			continue;
		}
		if (!at_end(t) && *t->p == '}') {
			t->p++;
			break;
		}
		json_object_put(o);
		return terr(t, "expected ',' or '}' in an inline table (inline tables stay on one line)");
	}
	t->depth--;
	*out = o;
	return 0;
}

static int parse_value(struct toml *t, struct json_object **out)
{
	skip_ws(t);
	if (at_end(t) || *t->p == '\n' || *t->p == '#')
		return terr(t, "a value is missing");
	char c = *t->p;
	if (c == '"' || c == '\'') {
		char *s;
		int r = parse_string(t, &s);
		if (r < 0)
			return r;
		*out = json_object_new_string(s);
		free(s);
		return *out ? 0 : ctr_err_nomem(t->err);
	}
	if (c == '[')
		return parse_array(t, out);
	if (c == '{')
		return parse_inline_table(t, out);
	const char *s = t->p;
	while (!at_end(t) && (bare_key_char(*t->p) || *t->p == '+' || *t->p == '.'))
		t->p++;
	size_t n = (size_t)(t->p - s);
	if (n == 4 && !memcmp(s, "true", 4))
		*out = json_object_new_boolean(1);
	else if (n == 5 && !memcmp(s, "false", 5))
		*out = json_object_new_boolean(0);
	else {
		char num[32];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 1 < sizeof(num); i++)
			if (s[i] != '_')
				num[k++] = s[i];
		num[k] = '\0';
		char *end;
		errno = 0;
		long long v = strtoll(num, &end, 10);
		if (!n || k >= sizeof(num) - 1 || *end || errno || end == num)
			return terr(t, "'%.*s' is not a value this file may hold (strings, booleans, integers, arrays, "
				    "inline tables)", (int)(n > 60 ? 60 : n ? n : 1), s);
		*out = json_object_new_int64(v);
	}
	return *out ? 0 : ctr_err_nomem(t->err);
}

/* Walk (creating) a header path; arrays of tables are entered at their last element. */
static int header_walk(struct toml *t, struct json_object *root, char **parts, size_t n, bool array,
		       struct json_object **out)
{
	struct json_object *cur = root;
	for (size_t i = 0; i < n; i++) {
		struct json_object *sub = NULL;
		bool last = i + 1 == n;
		if (!json_object_object_get_ex(cur, parts[i], &sub)) {
			sub = last && array ? json_object_new_array() : json_object_new_object();
			if (!sub)
				return ctr_err_nomem(t->err);
			json_object_object_add(cur, parts[i], sub);
		}
		if (last && array) {
			if (!json_object_is_type(sub, json_type_array))
				return terr(t, "[[%s]]: '%s' is not an array of tables", parts[0], parts[i]);
			struct json_object *o = json_object_new_object();
			if (!o)
				return ctr_err_nomem(t->err);
			json_object_array_add(sub, o);
			sub = o;
		} else if (json_object_is_type(sub, json_type_array)) {
			size_t len = json_object_array_length(sub);
			sub = len ? json_object_array_get_idx(sub, len - 1) : NULL;
			if (!sub || !json_object_is_type(sub, json_type_object))
				return terr(t, "'%s' is not a table", parts[i]);
		} else if (!json_object_is_type(sub, json_type_object)) {
			return terr(t, "'%s' is not a table", parts[i]);
		}
		cur = sub;
	}
	*out = cur;
	return 0;
}

static int toml_parse(const char *buf, size_t len, const char *what, struct json_object **out, ctr_error **err)
{
	if (len > CONF_MAX)
		return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: larger than %u bytes", what, CONF_MAX);
	if (len && memchr(buf, '\0', len))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: NUL byte: not a text file", what);
	struct toml t = { .p = buf, .end = buf + len, .what = what, .line = 1, .err = err };
	struct json_object *root = json_object_new_object(), *cur;
	if (!root)
		return ctr_err_nomem(err);
	cur = root;
	int r = 0;
	char *parts[NEST_MAX];
	size_t n = 0;
	for (;;) {
		skip_all(&t);
		if (at_end(&t))
			break;
		n = 0;
		if (*t.p == '[') {
			bool array = t.p + 1 < t.end && t.p[1] == '[';
			t.p += array ? 2 : 1;
			if ((r = parse_key(&t, parts, &n)) < 0)
				goto fail_parts;
			skip_ws(&t);
			if (t.end - t.p < (array ? 2 : 1) || t.p[0] != ']' || (array && t.p[1] != ']')) {
				r = terr(&t, "expected '%s' to close the table header", array ? "]]" : "]");
				goto fail_parts;
			}
			t.p += array ? 2 : 1;
			if ((r = header_walk(&t, root, parts, n, array, &cur)) < 0 || (r = end_of_line(&t)) < 0)
				goto fail_parts;
			free_parts(parts, n);
			continue;
		}
		struct json_object *v;
		if ((r = parse_key(&t, parts, &n)) < 0)
			goto fail_parts;
		skip_ws(&t);
		if (at_end(&t) || *t.p != '=') {
			r = terr(&t, "expected '=' after the key '%s'", parts[n - 1]);
			goto fail_parts;
		}
		t.p++;
		if ((r = parse_value(&t, &v)) < 0 || (r = insert(&t, cur, parts, n, v)) < 0 || (r = end_of_line(&t)) < 0)
			goto fail_parts;
		free_parts(parts, n);
	}
	*out = root;
	return 0;
fail_parts:
	free_parts(parts, n);
	json_object_put(root);
	return r;
}

/* ---- reading the tree ---- */

static void mirror_free(struct regconf_mirror *m)
{
	free(m->location);
}

static void registry_free(struct regconf_registry *g)
{
	free(g->prefix);
	free(g->location);
	for (size_t i = 0; i < g->n_mirrors; i++)
		mirror_free(&g->mirrors[i]);
	free(g->mirrors);
	memset(g, 0, sizeof(*g));
}

void regconf_free(struct regconf *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->search && c->search[i]; i++)
		free(c->search[i]);
	free(c->search);
	for (size_t i = 0; i < c->n_regs; i++)
		registry_free(&c->regs[i]);
	free(c->regs);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].value);
	}
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

/* A member of the expected type, or absent (*v NULL). */
static int get(struct json_object *o, const char *key, json_type ty, const char *what, const char *path,
	       struct json_object **v, ctr_error **err)
{
	*v = NULL;
	struct json_object *x;
	if (!json_object_object_get_ex(o, key, &x))
		return 0;
	if (!json_object_is_type(x, ty))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s%s%s: expected %s", what, path, *path ? "." : "", key,
			       ty == json_type_string ? "a string" : ty == json_type_boolean ? "true or false"
				: ty == json_type_array ? "an array" : "a table");
	*v = x;
	return 0;
}

static int get_str(struct json_object *o, const char *key, const char *what, const char *path, char **out,
		   ctr_error **err)
{
	struct json_object *v;
	int r = get(o, key, json_type_string, what, path, &v, err);
	if (r < 0 || !v)
		return r;
	if (!(*out = strdup(json_object_get_string(v))))
		return ctr_err_nomem(err);
	return 0;
}

static int get_bool(struct json_object *o, const char *key, const char *what, const char *path, bool *out,
		    ctr_error **err)
{
	struct json_object *v;
	int r = get(o, key, json_type_boolean, what, path, &v, err);
	if (r == 0 && v)
		*out = json_object_get_boolean(v);
	return r;
}

/* An array of strings as a NULL-terminated vector. */
static int get_strv(struct json_object *o, const char *key, const char *what, const char *path, char ***out,
		    bool *set, ctr_error **err)
{
	struct json_object *v;
	int r = get(o, key, json_type_array, what, path, &v, err);
	if (set)
		*set = v != NULL;
	if (r < 0 || !v)
		return r;
	size_t n = json_object_array_length(v);
	char **sv = calloc(n + 1, sizeof(*sv));
	if (!sv)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string) || !(sv[i] = strdup(json_object_get_string(e)))) {
			for (size_t k = 0; k < i; k++)
				free(sv[k]);
			free(sv);
			return json_object_is_type(e, json_type_string)
				       ? ctr_err_nomem(err)
				       : ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s%s%s[%zu]: expected a string", what,
						 path, *path ? "." : "", key, i);
		}
	}
	*out = sv;
	return 0;
}

/* host[:port][/path] (no scheme, no tag) or "*.host" for a prefix. */
static int check_location(const char *s, bool wildcard_ok, const char *what, const char *path, ctr_error **err)
{
	if (!*s)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: empty", what, path);
	if (strstr(s, "://"))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: '%s': give host[:port][/namespace], without a scheme",
			       what, path, s);
	if (!strncmp(s, "*.", 2)) {
		if (!wildcard_ok || strchr(s, '/'))
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: '%s': a wildcard is only allowed as a prefix of "
				       "a host name (\"*.example.com\")", what, path, s);
		return 0;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '*')
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: '%s' is not host[:port][/namespace]", what, path, s);
	size_t n = strlen(s);
	if (s[n - 1] == '/')
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: '%s' must not end with '/'", what, path, s);
	return 0;
}

static int add_registry(struct regconf *c, struct regconf_registry *g, ctr_error **err)
{
	for (size_t i = 0; i < c->n_regs; i++)
		if (!strcmp(c->regs[i].prefix, g->prefix)) { /* a later file replaces it */
			registry_free(&c->regs[i]);
			c->regs[i] = *g;
			return 0;
		}
	struct regconf_registry *nv = realloc(c->regs, (c->n_regs + 1) * sizeof(*nv));
	if (!nv)
		return ctr_err_nomem(err);
	c->regs = nv;
	c->regs[c->n_regs++] = *g;
	return 0;
}

static int read_registry(struct json_object *o, const char *what, const char *path, struct regconf_registry *g,
			 ctr_error **err)
{
	struct json_object *mirrors;
	bool by_digest = false;
	int r;
	memset(g, 0, sizeof(*g));
	if (!json_object_is_type(o, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: expected a table", what, path);
	if ((r = get_str(o, "prefix", what, path, &g->prefix, err)) < 0 ||
	    (r = get_str(o, "location", what, path, &g->location, err)) < 0 ||
	    (r = get_bool(o, "insecure", what, path, &g->insecure, err)) < 0 ||
	    (r = get_bool(o, "blocked", what, path, &g->blocked, err)) < 0 ||
	    (r = get_bool(o, "mirror-by-digest-only", what, path, &by_digest, err)) < 0 ||
	    (r = get(o, "mirror", json_type_array, what, path, &mirrors, err)) < 0)
		goto fail;
	if (g->location && !*g->location) {
		free(g->location);
		g->location = NULL;
	}
	if (!g->prefix && !g->location) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: needs a prefix or a location", what, path);
		goto fail;
	}
	if (!g->prefix && !(g->prefix = strdup(g->location))) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	char sub[128];
	snprintf(sub, sizeof(sub), "%s.prefix", path);
	if ((r = check_location(g->prefix, true, what, sub, err)) < 0)
		goto fail;
	snprintf(sub, sizeof(sub), "%s.location", path);
	if (g->location && (r = check_location(g->location, false, what, sub, err)) < 0)
		goto fail;
	if (g->location && !strncmp(g->prefix, "*.", 2)) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: a wildcard prefix ('%s') cannot have a location", what,
			    path, g->prefix);
		goto fail;
	}
	size_t n = mirrors ? json_object_array_length(mirrors) : 0;
	if (n && !(g->mirrors = calloc(n, sizeof(*g->mirrors)))) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(mirrors, i);
		struct regconf_mirror *mi = &g->mirrors[i];
		char *pf = NULL;
		snprintf(sub, sizeof(sub), "%s.mirror[%zu]", path, i);
		g->n_mirrors = i + 1;
		if (!json_object_is_type(m, json_type_object)) {
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: expected a table", what, sub);
			goto fail;
		}
		if ((r = get_str(m, "location", what, sub, &mi->location, err)) < 0 ||
		    (r = get_bool(m, "insecure", what, sub, &mi->insecure, err)) < 0 ||
		    (r = get_str(m, "pull-from-mirror", what, sub, &pf, err)) < 0)
			goto fail;
		mi->pull_from = by_digest ? REGCONF_PULL_DIGEST_ONLY : REGCONF_PULL_ALL;
		if (pf && !strcmp(pf, "digest-only"))
			mi->pull_from = REGCONF_PULL_DIGEST_ONLY;
		else if (pf && !strcmp(pf, "tag-only"))
			mi->pull_from = REGCONF_PULL_TAG_ONLY;
		else if (pf && *pf && strcmp(pf, "all")) {
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s.pull-from-mirror: '%s': use all, digest-only or "
				    "tag-only", what, sub, pf);
			free(pf);
			goto fail;
		}
		free(pf);
		if (!mi->location) {
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: a mirror needs a location", what, sub);
			goto fail;
		}
		char lsub[160];
		snprintf(lsub, sizeof(lsub), "%s.location", sub);
		if ((r = check_location(mi->location, false, what, lsub, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	registry_free(g);
	return r;
}

/* Version 1: [registries.search|insecure|block] registries = [...] */
static int read_v1(struct regconf *c, struct json_object *regs, const char *what, ctr_error **err)
{
	static const char *const kinds[] = { "search", "insecure", "block" };
	for (size_t k = 0; k < CTR_ARRAY_SIZE(kinds); k++) {
		struct json_object *t;
		char **v = NULL, path[64];
		bool set;
		snprintf(path, sizeof(path), "registries.%s", kinds[k]);
		int r = get(regs, kinds[k], json_type_object, what, "registries", &t, err);
		if (r < 0)
			return r;
		if (!t)
			continue;
		if ((r = get_strv(t, "registries", what, path, &v, &set, err)) < 0)
			return r;
		if (!set)
			continue;
		if (k == 0) {
			for (size_t i = 0; c->search && c->search[i]; i++)
				free(c->search[i]);
			free(c->search);
			c->search = v;
			continue;
		}
		for (size_t i = 0; v[i] && r == 0; i++) {
			struct regconf_registry g = { 0 };
			const struct regconf_registry *old = NULL;
			for (size_t j = 0; j < c->n_regs; j++)
				if (!strcmp(c->regs[j].prefix, v[i]))
					old = &c->regs[j];
			g.insecure = k == 1 || (old && old->insecure);
			g.blocked = k == 2 || (old && old->blocked);
			if ((r = check_location(v[i], true, what, path, err)) < 0)
				break;
			if (!(g.prefix = strdup(v[i]))) {
				r = ctr_err_nomem(err);
				break;
			}
			if ((r = add_registry(c, &g, err)) < 0)
				registry_free(&g);
		}
		for (size_t i = 0; v[i]; i++)
			free(v[i]);
		free(v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_alias(struct regconf *c, const char *name, const char *value, ctr_error **err)
{
	for (size_t i = 0; i < c->n_aliases; i++)
		if (!strcmp(c->aliases[i].name, name)) {
			char *nv = strdup(value);
			if (!nv)
				return ctr_err_nomem(err);
			free(c->aliases[i].value);
			c->aliases[i].value = nv;
			return 0;
		}
	struct regconf_alias *na = realloc(c->aliases, (c->n_aliases + 1) * sizeof(*na));
	if (!na)
		return ctr_err_nomem(err);
	c->aliases = na;
	na[c->n_aliases].name = strdup(name);
	na[c->n_aliases].value = strdup(value);
	if (!na[c->n_aliases].name || !na[c->n_aliases].value) {
		free(na[c->n_aliases].name);
		free(na[c->n_aliases].value);
		return ctr_err_nomem(err);
	}
	c->n_aliases++;
	return 0;
}

int regconf_parse(struct regconf *c, const char *buf, size_t len, const char *what, ctr_error **err)
{
	struct json_object *root = NULL, *v;
	int r = toml_parse(buf, len, what, &root, err);
	if (r < 0)
		return r;
	char **search = NULL, *mode = NULL;
	bool search_set = false;
	if ((r = get_strv(root, "unqualified-search-registries", what, "", &search, &search_set, err)) < 0 ||
	    (r = get_str(root, "short-name-mode", what, "", &mode, err)) < 0)
		goto out;
	for (size_t i = 0; search && search[i]; i++)
		if (strchr(search[i], '/') || (r = check_location(search[i], false, what, "unqualified-search-registries",
								   err)) < 0) {
			if (r == 0)
				r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: unqualified-search-registries: '%s': give "
					    "host[:port] only", what, search[i]);
			goto out;
		}
	if (mode && *mode) {
		if (!strcmp(mode, "enforcing"))
			c->short_mode = REGCONF_SHORT_ENFORCING;
		else if (!strcmp(mode, "permissive"))
			c->short_mode = REGCONF_SHORT_PERMISSIVE;
		else if (!strcmp(mode, "disabled"))
			c->short_mode = REGCONF_SHORT_DISABLED;
		else {
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: short-name-mode: '%s': use enforcing, permissive or "
				    "disabled", what, mode);
			goto out;
		}
	}
	struct json_object *regs = NULL, *v1 = NULL;
	if ((r = get(root, "registry", json_type_array, what, "", &regs, err)) < 0 ||
	    (r = get(root, "registries", json_type_object, what, "", &v1, err)) < 0)
		goto out;
	if (regs && v1) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: mixes the version 1 format ([registries.search] ...) with "
			    "version 2 ([[registry]]): use one", what);
		goto out;
	}
	if (v1 && search_set) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: mixes [registries.search] (version 1) with "
			    "unqualified-search-registries (version 2): use one", what);
		goto out;
	}
	if (search_set) {
		for (size_t i = 0; c->search && c->search[i]; i++)
			free(c->search[i]);
		free(c->search);
		c->search = search;
		search = NULL;
	}
	for (size_t i = 0; regs && i < json_object_array_length(regs); i++) {
		struct regconf_registry g;
		char path[48];
		snprintf(path, sizeof(path), "registry[%zu]", i);
		if ((r = read_registry(json_object_array_get_idx(regs, i), what, path, &g, err)) < 0)
			goto out;
		if ((r = add_registry(c, &g, err)) < 0) {
			registry_free(&g);
			goto out;
		}
	}
	if (v1 && (r = read_v1(c, v1, what, err)) < 0)
		goto out;
	if ((r = get(root, "aliases", json_type_object, what, "", &v, err)) < 0)
		goto out;
	if (v) {
		json_object_object_foreach(v, k, val) {
			if (!json_object_is_type(val, json_type_string)) {
				r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: aliases.\"%s\": expected a string", what, k);
				goto out;
			}
			const char *value = json_object_get_string(val);
			struct img_ref nr, vr;
			ctr_error *e = NULL;
			if (img_ref_parse(k, &nr, &e) < 0 || nr.domain || nr.tag || nr.digest) {
				r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: aliases.\"%s\": the name must be a short name "
					    "without tag or digest%s%s", what, k, e ? ": " : "", e ? ctr_error_message(e) : "");
				ctr_error_free(e);
				img_ref_free(&nr);
				goto out;
			}
			img_ref_free(&nr);
			if (*value) {
				if (img_ref_parse(value, &vr, &e) < 0 || !vr.domain || vr.tag || vr.digest) {
					r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: aliases.\"%s\": '%s' must be a fully "
						    "qualified name (registry/repository) without tag or digest%s%s", what, k,
						    value, e ? ": " : "", e ? ctr_error_message(e) : "");
					ctr_error_free(e);
					img_ref_free(&vr);
					goto out;
				}
				img_ref_free(&vr);
			}
			if ((r = set_alias(c, k, value, err)) < 0)
				goto out;
		}
	}
	r = 0;
out:
	for (size_t i = 0; search && search[i]; i++)
		free(search[i]);
	free(search);
	free(mode);
	json_object_put(root);
	return r;
}

static int load_file(struct regconf *c, const char *path, ctr_error **err)
{
	char *buf = NULL;
	size_t len;
	ctr_error *e = NULL;
	int r = ctr_read_file(path, CONF_MAX, &buf, &len, &e);
	if (r == -ENOENT) {
		ctr_error_free(e);
		return 0;
	}
	if (r < 0) {
		if (err && !*err)
			*err = e;
		else
			ctr_error_free(e);
		return r;
	}
	r = regconf_parse(c, buf, len, path, err);
	free(buf);
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int regconf_load(struct regconf *c, const char *path, ctr_error **err)
{
	char def[PATH_MAX];
	memset(c, 0, sizeof(*c));
	if (!path || !*path)
		path = secure_getenv("CONTAINERS_REGISTRIES_CONF");
	if (!path || !*path) {
		const char *home = secure_getenv("HOME");
		struct stat sb;
		path = "/etc/containers/registries.conf";
		if (geteuid() != 0 && home && *home) {
			snprintf(def, sizeof(def), "%s/.config/containers/registries.conf", home);
			if (stat(def, &sb) == 0)
				path = def;
		}
	}
	int r = load_file(c, path, err);
	if (r < 0)
		return r;
	/* drop-ins: the .conf files of <path>.d, in name order */
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s.d", path) >= (int)sizeof(dir))
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".conf"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(e->d_name))) {
			free(nn ? nn : names);
			closedir(d);
			return ctr_err_nomem(err);
		}
		names = nn;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX + 256];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (r == 0)
			r = load_file(c, p, err);
		free(names[i]);
	}
	free(names);
	return r;
}

/* Does prefix match name ("host/ns/repo")?  Returns the matched length, 0 when not. */
static size_t prefix_match(const char *prefix, const char *name)
{
	if (!strncmp(prefix, "*.", 2)) {
		/* the host part of name ends with ".host" */
		const char *slash = strchr(name, '/');
		size_t hl = slash ? (size_t)(slash - name) : strlen(name), pl = strlen(prefix + 1);
		const char *colon = memchr(name, ':', hl);
		if (colon)
			hl = (size_t)(colon - name);
		if (hl > pl && !strncmp(name + hl - pl, prefix + 1, pl))
			return strlen(prefix);
		return 0;
	}
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n))
		return 0;
	return name[n] == '\0' || name[n] == '/' || name[n] == ':' || name[n] == '@' ? n : 0;
}

const struct regconf_registry *regconf_find(const struct regconf *c, const char *name)
{
	const struct regconf_registry *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < c->n_regs; i++) {
		size_t l = prefix_match(c->regs[i].prefix, name);
		if (l > best_len) {
			best = &c->regs[i];
			best_len = l;
		}
	}
	return best;
}

void reg_candidates_free(struct reg_candidates *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].domain);
		free(c->v[i].path);
		free(c->v[i].name);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Add a candidate at location (host/path, after a rewrite) for the logical name. */
static int add_candidate(struct reg_candidates *cs, const char *location, const char *name, bool insecure,
			 bool mirror, ctr_error **err)
{
	const char *slash = strchr(location, '/');
	if (!slash || !slash[1])
		return ctr_err(err, EINVAL, CTR_E_INVALID, "registries.conf: location '%s' (for %s) names no repository",
			       location, name);
	struct reg_candidate *nv = realloc(cs->v, (cs->n + 1) * sizeof(*nv));
	if (!nv)
		return ctr_err_nomem(err);
	cs->v = nv;
	struct reg_candidate *c = &nv[cs->n];
	memset(c, 0, sizeof(*c));
	c->domain = strndup(location, (size_t)(slash - location));
	c->path = strdup(slash + 1);
	c->name = strdup(name);
	c->insecure = insecure;
	c->mirror = mirror;
	cs->n++;
	if (!c->domain || !c->path || !c->name)
		return ctr_err_nomem(err);
	return 0;
}

/* The candidates of one fully qualified reference (domain set). */
static int candidates_of(const struct regconf *c, const struct img_ref *ref, bool push, struct reg_candidates *cs,
			 ctr_error **err)
{
	char *name = img_ref_name(ref), *full = img_ref_string(ref);
	int r = 0;
	if (!name || !full) {
		r = ctr_err_nomem(err);
		goto out;
	}
	const struct regconf_registry *g = regconf_find(c, full);
	if (g && g->blocked) {
		r = ctr_err(err, EACCES, CTR_E_SYSTEM, "%s: registries.conf blocks it ([[registry]] prefix \"%s\")",
			    full, g->prefix);
		goto out;
	}
	/* the part of the name after the matched prefix, for location rewrites */
	size_t ml = g && strncmp(g->prefix, "*.", 2) ? strlen(g->prefix) : 0;
	const char *rest = ml <= strlen(name) ? name + ml : "";
	char loc[1024];
	if (g && !push) {
		for (size_t i = 0; i < g->n_mirrors; i++) {
			const struct regconf_mirror *m = &g->mirrors[i];
			if ((m->pull_from == REGCONF_PULL_DIGEST_ONLY && !ref->digest) ||
			    (m->pull_from == REGCONF_PULL_TAG_ONLY && ref->digest))
				continue;
			snprintf(loc, sizeof(loc), "%s%s", m->location, ml ? rest : name + strcspn(name, "/"));
			if ((r = add_candidate(cs, loc, full, m->insecure, true, err)) < 0)
				goto out;
		}
	}
	if (g && g->location)
		snprintf(loc, sizeof(loc), "%s%s", g->location, rest);
	else
		snprintf(loc, sizeof(loc), "%s", name);
	r = add_candidate(cs, loc, full, g && g->insecure, false, err);
out:
	free(name);
	free(full);
	return r;
}

int regconf_candidates(const struct regconf *c, const struct img_ref *ref, bool push, struct reg_candidates *out,
		       ctr_error **err)
{
	memset(out, 0, sizeof(*out));
	struct img_ref q = *ref;
	char *tag_default = NULL;
	int r = 0;
	if (!q.tag && !q.digest)
		q.tag = tag_default = strdup("latest");
	if (!q.tag && !q.digest)
		return ctr_err_nomem(err);
	if (q.domain) {
		r = candidates_of(c, &q, push, out, err);
		goto out;
	}
	/* a short name: an alias, else the search registries */
	for (size_t i = 0; i < c->n_aliases; i++) {
		if (strcmp(c->aliases[i].name, ref->path) || !*c->aliases[i].value)
			continue;
		struct img_ref a;
		if ((r = img_ref_parse(c->aliases[i].value, &a, err)) < 0)
			goto out;
		free(a.tag);
		a.tag = q.tag ? strdup(q.tag) : NULL;
		a.digest = q.digest ? strdup(q.digest) : NULL;
		r = (q.tag && !a.tag) || (q.digest && !a.digest) ? ctr_err_nomem(err) : candidates_of(c, &a, push, out, err);
		img_ref_free(&a);
		goto out;
	}
	size_t n = 0;
	while (c->search && c->search[n])
		n++;
	if (!n) {
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    "'%s' is a short name and registries.conf has no unqualified-search-registries (nor an alias "
			    "for it): give the full name, e.g. docker.io/%s", ref->path, ref->path);
		goto out;
	}
	if (n > 1 && (push || c->short_mode == REGCONF_SHORT_ENFORCING)) {
		char list[512] = "";
		size_t off = 0;
		for (size_t i = 0; i < n && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", c->search[i]);
		r = ctr_err(err, EINVAL, CTR_E_INVALID,
			    "'%s' is a short name and %zu registries could serve it (%s)%s: give the full name "
			    "(registry/%s) or add an alias to registries.conf",
			    ref->path, n, list, push ? "" : "; short-name-mode is enforcing", ref->path);
		goto out;
	}
	ctr_error *blocked = NULL;
	for (size_t i = 0; i < n; i++) {
		struct img_ref s = q;
		char *dpath = NULL;
		s.domain = c->search[i];
		if (!strcmp(s.domain, REG_DOCKER_HUB) && !strchr(q.path, '/')) {
			if (asprintf(&dpath, "library/%s", q.path) < 0) {
				r = ctr_err_nomem(err);
				goto out;
			}
			s.path = dpath;
		}
		ctr_error *e = NULL;
		r = candidates_of(c, &s, push, out, &e);
		free(dpath);
		if (r == -EACCES) { /* a blocked search registry is skipped */
			if (!blocked)
				blocked = e;
			else
				ctr_error_free(e);
			r = 0;
			continue;
		}
		if (r < 0) {
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
			ctr_error_free(blocked);
			goto out;
		}
	}
	if (!out->n && blocked) {
		r = -EACCES;
		if (err && !*err)
			*err = blocked;
		else
			ctr_error_free(blocked);
	} else {
		ctr_error_free(blocked);
	}
out:
	free(tag_default);
	if (r < 0)
		reg_candidates_free(out);
	return r;
}

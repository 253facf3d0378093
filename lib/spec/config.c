/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Validation of a config.json tree against the runtime-spec (config.md,
 * config-linux.md) and construction of the typed view of spec/oci.h.
 *
 * Every error names the document and the JSON path of the offending value,
 * e.g. "config.json: linux.namespaces[2].type: unknown namespace 'foo': ...".
 * JSON null is treated as an absent field, as the Go implementations do.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec-internal.h"

/* ---- parse context: document name, JSON path, error sink --------------- */

struct pctx {
	const char *name;
	ctr_error **err;
	bool strict;    /* unknown fields are errors (update's resources), not ignored (config.md) */
	size_t len;
	char path[512];
};

/* Append the formatted text; a path too long for the buffer is cut. */
static size_t path_advance(struct pctx *p, int n)
{
	size_t old = p->len;
	size_t room = sizeof(p->path) - p->len;
	if (n < 0)
		n = 0;
	p->len += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

/* ".key" (or "key" at the top) */
static size_t push_key(struct pctx *p, const char *key)
{
	size_t room = sizeof(p->path) - p->len;
	return path_advance(p, snprintf(p->path + p->len, room, "%s%s", p->len ? "." : "", key));
}

/* "[\"free-form key\"]" for maps whose keys are data (annotations, sysctl) */
static size_t push_map_key(struct pctx *p, const char *key)
{
	size_t room = sizeof(p->path) - p->len;
	return path_advance(p, snprintf(p->path + p->len, room, "[\"%s\"]", key));
}

static size_t push_idx(struct pctx *p, size_t i)
{
	size_t room = sizeof(p->path) - p->len;
	return path_advance(p, snprintf(p->path + p->len, room, "[%zu]", i));
}

static void pop(struct pctx *p, size_t old)
{
	p->len = old;
	p->path[old] = '\0';
}

static int vperr(struct pctx *p, const char *fmt, va_list ap) CTR_PRINTF(2, 0);
static int vperr(struct pctx *p, const char *fmt, va_list ap)
{
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return ctr_err_nomem(p->err);
	int r;
	if (p->len)
		r = ctr_err(p->err, EINVAL, CTR_E_SPEC, "%s: %s: %s", p->name, p->path, msg);
	else
		r = ctr_err(p->err, EINVAL, CTR_E_SPEC, "%s: %s", p->name, msg);
	free(msg);
	return r;
}

static int perr(struct pctx *p, const char *fmt, ...) CTR_PRINTF(2, 3);
static int perr(struct pctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vperr(p, fmt, ap);
	va_end(ap);
	return r;
}

/* perr about obj[key]: the path names the key */
static int perr_at(struct pctx *p, const char *key, const char *fmt, ...) CTR_PRINTF(3, 4);
static int perr_at(struct pctx *p, const char *key, const char *fmt, ...)
{
	size_t old = push_key(p, key);
	va_list ap;
	va_start(ap, fmt);
	int r = vperr(p, fmt, ap);
	va_end(ap);
	pop(p, old);
	return r;
}

static int nomem(struct pctx *p)
{
	return ctr_err_nomem(p->err);
}

/* obj[key], or NULL when absent or JSON null */
static struct json_object *field(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int missing(struct pctx *p, const char *key)
{
	return perr_at(p, key, "required field is missing");
}

static int want_type(struct pctx *p, struct json_object *v, enum json_type t, const char *what)
{
	if (json_object_is_type(v, t))
		return 0;
	return perr(p, "expected %s, got %s", what, spec_json_type_name(v));
}

/* ---- scalar values at the current path ---------------------------------- */

static int str_value(struct pctx *p, struct json_object *v, char **out)
{
	int r = want_type(p, v, json_type_string, "a string");
	if (r < 0)
		return r;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return perr(p, "string contains a NUL character (\\u0000)");
	char *d = strdup(s);
	if (!d)
		return nomem(p);
	*out = d;
	return 0;
}

/* An integer as sign + magnitude: json-c holds it as int64 or uint64. */
static int int_value(struct pctx *p, struct json_object *v, bool *neg, int64_t *sv, uint64_t *uv)
{
	if (json_object_is_type(v, json_type_double))
		/* json_object_to_json_string would write a cache into the (const) tree */
		return perr(p, "expected an integer, got a number with a fraction or exponent (%g)",
			    json_object_get_double(v));
	int r = want_type(p, v, json_type_int, "an integer");
	if (r < 0)
		return r;
	int64_t s = json_object_get_int64(v);
	if (s < 0) {
		*neg = true;
		*sv = s;
		*uv = 0;
	} else {
		*neg = false;
		*uv = json_object_get_uint64(v);
		*sv = *uv > INT64_MAX ? INT64_MAX : (int64_t)*uv;
	}
	return 0;
}

static int range_err(struct pctx *p, bool neg, int64_t sv, uint64_t uv, const char *range)
{
	if (neg)
		return perr(p, "%" PRId64 " is out of range: expected an integer %s", sv, range);
	return perr(p, "%" PRIu64 " is out of range: expected an integer %s", uv, range);
}

static int u64_value(struct pctx *p, struct json_object *v, uint64_t *out)
{
	bool neg = false;
	int64_t sv = 0;
	uint64_t uv = 0;
	int r = int_value(p, v, &neg, &sv, &uv);
	if (r < 0)
		return r;
	if (neg)
		return range_err(p, neg, sv, uv, "from 0 to 18446744073709551615");
	*out = uv;
	return 0;
}

static int u32_value(struct pctx *p, struct json_object *v, uint32_t *out)
{
	bool neg = false;
	int64_t sv = 0;
	uint64_t uv = 0;
	int r = int_value(p, v, &neg, &sv, &uv);
	if (r < 0)
		return r;
	if (neg || uv > UINT32_MAX)
		return range_err(p, neg, sv, uv, "from 0 to 4294967295");
	*out = (uint32_t)uv;
	return 0;
}

static int i64_range_value(struct pctx *p, struct json_object *v, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	int64_t sv = 0;
	uint64_t uv = 0;
	int r = int_value(p, v, &neg, &sv, &uv);
	if (r < 0)
		return r;
	if ((!neg && uv > INT64_MAX) || sv < min || sv > max) {
		char range[96];
		snprintf(range, sizeof(range), "from %" PRId64 " to %" PRId64, min, max);
		return range_err(p, neg, sv, uv, range);
	}
	*out = sv;
	return 0;
}

static int bool_value(struct pctx *p, struct json_object *v, bool *out)
{
	int r = want_type(p, v, json_type_boolean, "a boolean (true or false)");
	if (r < 0)
		return r;
	*out = json_object_get_boolean(v);
	return 0;
}

/* ---- field accessors: push the key, read, pop --------------------------- */

static int opt_str(struct pctx *p, struct json_object *obj, const char *key, char **out)
{
	struct json_object *v = field(obj, key);
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = str_value(p, v, out);
	pop(p, old);
	return r;
}

static int req_str(struct pctx *p, struct json_object *obj, const char *key, char **out)
{
	if (!field(obj, key))
		return missing(p, key);
	return opt_str(p, obj, key, out);
}

static int check_absolute(struct pctx *p, const char *s)
{
	if (s[0] != '/')
		return perr(p, "'%s' is not an absolute path: it must start with '/'", s);
	return 0;
}

typedef int (*str_check_fn)(struct pctx *p, const char *s, const void *data);

static int check_abs_cb(struct pctx *p, const char *s, const void *data)
{
	return check_absolute(p, s);
}

/* check(s) with key pushed: s is the value of obj[key] */
static int check_at(struct pctx *p, const char *key, str_check_fn check, const char *s, const void *data)
{
	size_t old = push_key(p, key);
	int r = check(p, s, data);
	pop(p, old);
	return r;
}

static int req_abs_path(struct pctx *p, struct json_object *obj, const char *key, char **out)
{
	int r = req_str(p, obj, key, out);
	if (r < 0)
		return r;
	return check_at(p, key, check_abs_cb, *out, NULL);
}

static int opt_bool(struct pctx *p, struct json_object *obj, const char *key, bool *out, bool *has)
{
	struct json_object *v = field(obj, key);
	if (has)
		*has = v != NULL;
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = bool_value(p, v, out);
	pop(p, old);
	return r;
}

static int opt_u32(struct pctx *p, struct json_object *obj, const char *key, uint32_t *out, bool *has)
{
	struct json_object *v = field(obj, key);
	if (has)
		*has = v != NULL;
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = u32_value(p, v, out);
	pop(p, old);
	return r;
}

static int req_u32(struct pctx *p, struct json_object *obj, const char *key, uint32_t *out)
{
	if (!field(obj, key))
		return missing(p, key);
	return opt_u32(p, obj, key, out, NULL);
}

static int opt_u64(struct pctx *p, struct json_object *obj, const char *key, uint64_t *out, bool *has)
{
	struct json_object *v = field(obj, key);
	if (has)
		*has = v != NULL;
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = u64_value(p, v, out);
	pop(p, old);
	return r;
}

static int req_u64(struct pctx *p, struct json_object *obj, const char *key, uint64_t *out)
{
	if (!field(obj, key))
		return missing(p, key);
	return opt_u64(p, obj, key, out, NULL);
}

static int opt_i64(struct pctx *p, struct json_object *obj, const char *key, int64_t min, int64_t max,
		   int64_t *out, bool *has)
{
	struct json_object *v = field(obj, key);
	if (has)
		*has = v != NULL;
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = i64_range_value(p, v, min, max, out);
	pop(p, old);
	return r;
}

/* obj[key] must have type t when present; *out NULL when absent. */
static int opt_typed(struct pctx *p, struct json_object *obj, const char *key, enum json_type t,
		     const char *what, struct json_object **out)
{
	struct json_object *v = field(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	size_t old = push_key(p, key);
	int r = want_type(p, v, t, what);
	pop(p, old);
	if (r == 0)
		*out = v;
	return r;
}

static int opt_object(struct pctx *p, struct json_object *obj, const char *key, struct json_object **out)
{
	return opt_typed(p, obj, key, json_type_object, "an object", out);
}

static int opt_array(struct pctx *p, struct json_object *obj, const char *key, struct json_object **out)
{
	return opt_typed(p, obj, key, json_type_array, "an array", out);
}

/*
 * obj[key] as a NULL-terminated string array; each element checked by
 * check (may be NULL) with the element's path pushed.  Absent: *out NULL.
 */
static int opt_strv(struct pctx *p, struct json_object *obj, const char *key, char ***out, size_t *n_out,
		    str_check_fn check, const void *data)
{
	struct json_object *a;
	int r = opt_array(p, obj, key, &a);
	if (r < 0 || !a)
		return r;
	size_t n = json_object_array_length(a);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return nomem(p);
	*out = v;
	*n_out = 0;
	size_t old = push_key(p, key);
	for (size_t i = 0; i < n; i++) {
		size_t old2 = push_idx(p, i);
		r = str_value(p, json_object_array_get_idx(a, i), &v[i]);
		if (r == 0) {
			*n_out = i + 1;
			if (check)
				r = check(p, v[i], data);
		}
		pop(p, old2);
		if (r < 0)
			break;
	}
	pop(p, old);
	return r;
}

static int check_env_cb(struct pctx *p, const char *s, const void *data)
{
	const char *eq = strchr(s, '=');
	if (!eq)
		return perr(p, "'%s' has no '=': environment entries are NAME=VALUE", s);
	if (eq == s)
		return perr(p, "'%s' has an empty variable name: entries are NAME=VALUE", s);
	return 0;
}

static int check_nonempty_cb(struct pctx *p, const char *s, const void *data)
{
	if (!*s)
		return perr(p, "empty string");
	return 0;
}

/* data: a NULL-terminated list of allowed names; what = its description */
struct name_set {
	const char *what;
	const char *const *names;
};

static bool in_set(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return true;
	return false;
}

static int check_set_cb(struct pctx *p, const char *s, const void *data)
{
	const struct name_set *set = data;
	if (in_set(set->names, s))
		return 0;
	/* list the choices in the message so the fix is at hand */
	char list[1024];
	size_t off = 0;
	list[0] = '\0';
	for (size_t i = 0; set->names[i] && off < sizeof(list); i++) {
		int n = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", set->names[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return perr(p, "unknown %s '%s': use one of %s", set->what, s, list);
}

/* ---- freeing ------------------------------------------------------------ */

static void strv_free_n(char **v)
{
	ctr_strv_free(v);
}

static void mount_free_fields(struct oci_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	strv_free_n(m->options);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

static void process_free_fields(struct oci_process *p)
{
	free(p->user.additional_gids);
	free(p->user.username);
	strv_free_n(p->args);
	free(p->command_line);
	strv_free_n(p->env);
	free(p->cwd);
	strv_free_n(p->capabilities.bounding);
	strv_free_n(p->capabilities.effective);
	strv_free_n(p->capabilities.inheritable);
	strv_free_n(p->capabilities.permitted);
	strv_free_n(p->capabilities.ambient);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	process_free_fields(p);
	free(p);
}

static void hook_list_free(struct oci_hook_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->hooks[i].path);
		strv_free_n(l->hooks[i].args);
		strv_free_n(l->hooks[i].env);
	}
	free(l->hooks);
}

static void seccomp_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	strv_free_n(s->architectures);
	strv_free_n(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];
		strv_free_n(sc->names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	free(s);
}

void oci_config_free(struct oci_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->oci_version);
	free(cfg->root_path);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		mount_free_fields(&cfg->mounts[i]);
	free(cfg->mounts);
	oci_process_free(cfg->process);
	free(cfg->hostname);
	free(cfg->domainname);
	hook_list_free(&cfg->hooks.prestart);
	hook_list_free(&cfg->hooks.create_runtime);
	hook_list_free(&cfg->hooks.create_container);
	hook_list_free(&cfg->hooks.start_container);
	hook_list_free(&cfg->hooks.poststart);
	hook_list_free(&cfg->hooks.poststop);
	for (size_t i = 0; i < cfg->n_annotations; i++) {
		free(cfg->annotation_keys[i]);
		free(cfg->annotation_values[i]);
	}
	free(cfg->annotation_keys);
	free(cfg->annotation_values);

	struct oci_linux *l = &cfg->linux_;
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	json_object_put(l->resources);
	for (size_t i = 0; i < l->n_sysctl; i++) {
		free(l->sysctl[i].key);
		free(l->sysctl[i].value);
	}
	free(l->sysctl);
	seccomp_free(l->seccomp);
	free(l->rootfs_propagation);
	strv_free_n(l->masked_paths);
	strv_free_n(l->readonly_paths);
	free(l->mount_label);
	free(l->personality_domain);
	strv_free_n(l->personality_flags);
	for (size_t i = 0; i < l->n_time_offsets; i++)
		free(l->time_offsets[i].clock);
	free(l->time_offsets);
	if (l->intel_rdt) {
		free(l->intel_rdt->clos_id);
		free(l->intel_rdt->l3_cache_schema);
		free(l->intel_rdt->mem_bw_schema);
		strv_free_n(l->intel_rdt->schemata);
		free(l->intel_rdt);
	}
	free(l->memory_policy);
	for (size_t i = 0; i < l->n_net_devices; i++) {
		free(l->net_devices[i].host_name);
		free(l->net_devices[i].name);
	}
	free(l->net_devices);
	free(cfg);
}

/* ---- arrays of objects -------------------------------------------------- */

/*
 * obj[key] must be an array of objects; allocates n zeroed elements of size
 * elem and sets *count to n (zeroed elements free cleanly on error).
 */
static int object_array(struct pctx *p, struct json_object *obj, const char *key, size_t elem,
			struct json_object **arr, void **out, size_t *count)
{
	int r = opt_array(p, obj, key, arr);
	if (r < 0 || !*arr)
		return r;
	size_t n = json_object_array_length(*arr);
	if (n == 0)
		return 0;
	void *v = calloc(n, elem);
	if (!v)
		return nomem(p);
	*out = v;
	*count = n;
	size_t old = push_key(p, key);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t old2 = push_idx(p, i);
		r = want_type(p, json_object_array_get_idx(*arr, i), json_type_object, "an object");
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_id_mappings(struct pctx *p, struct json_object *obj, const char *key,
			     struct oci_id_mapping **out, size_t *n)
{
	struct json_object *arr;
	int r = object_array(p, obj, key, sizeof(**out), &arr, (void **)out, n);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, key);
	for (size_t i = 0; i < *n && r == 0; i++) {
		struct json_object *m = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = req_u32(p, m, "containerID", &(*out)[i].container_id);
		if (r == 0)
			r = req_u32(p, m, "hostID", &(*out)[i].host_id);
		if (r == 0)
			r = req_u32(p, m, "size", &(*out)[i].size);
		if (r == 0 && (*out)[i].size == 0)
			r = perr(p, "size is 0: a mapping covers at least one id");
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

/* ---- process ------------------------------------------------------------ */

static const char *const cap_set_names[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};

/*
 * Names are kept as given: config.md wants a capability that "cannot be mapped
 * to a relevant kernel interface, or cannot be granted" logged as a warning,
 * not refused, so lib/linux warns about those and leaves them out.
 */
static int parse_capabilities(struct pctx *p, struct json_object *obj, struct oci_capabilities *caps)
{
	struct json_object *c;
	int r = opt_object(p, obj, "capabilities", &c);
	if (r < 0 || !c)
		return r;
	caps->present = true;
	char ***sets[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
			  &caps->ambient};
	size_t *counts[] = {&caps->n_bounding, &caps->n_effective, &caps->n_inheritable, &caps->n_permitted,
			    &caps->n_ambient};
	size_t old = push_key(p, "capabilities");
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cap_set_names) && r == 0; i++)
		r = opt_strv(p, c, cap_set_names[i], sets[i], counts[i], NULL, NULL);
	pop(p, old);
	return r;
}

static int parse_rlimits(struct pctx *p, struct json_object *obj, struct oci_process *proc)
{
	struct json_object *arr;
	int r = object_array(p, obj, "rlimits", sizeof(*proc->rlimits), &arr, (void **)&proc->rlimits,
			     &proc->n_rlimits);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, "rlimits");
	for (size_t i = 0; i < proc->n_rlimits && r == 0; i++) {
		struct oci_rlimit *rl = &proc->rlimits[i];
		struct json_object *o = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = req_str(p, o, "type", &rl->type);
		if (r == 0) {
			rl->resource = oci_rlimit_from_name(rl->type);
			size_t old3 = push_key(p, "type");
			if (rl->resource < 0)
				r = perr(p, "unknown rlimit '%s': use a getrlimit(2) name such as RLIMIT_NOFILE",
					 rl->type);
			for (size_t j = 0; j < i && r == 0; j++)
				if (proc->rlimits[j].resource == rl->resource)
					r = perr(p, "'%s' is also set by rlimits[%zu]: give each rlimit once",
						 rl->type, j);
			pop(p, old3);
		}
		if (r == 0)
			r = req_u64(p, o, "soft", &rl->soft);
		if (r == 0)
			r = req_u64(p, o, "hard", &rl->hard);
		if (r == 0 && rl->soft > rl->hard)
			r = perr(p, "soft limit %" PRIu64 " is above the hard limit %" PRIu64
				 ": setrlimit(2) refuses that",
				 rl->soft, rl->hard);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static const char *const ioprio_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL};
static const char *const sched_policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
					     "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL};
static const char *const sched_flags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
					  "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
					  "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
					  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};

/* A string field checked against a set, not kept (the JSON is the source). */
static int check_str_in_set(struct pctx *p, struct json_object *obj, const char *key, bool required,
			    const struct name_set *set)
{
	char *s = NULL;
	int r = required ? req_str(p, obj, key, &s) : opt_str(p, obj, key, &s);
	if (r == 0 && s)
		r = check_at(p, key, check_set_cb, s, set);
	free(s);
	return r;
}

/* ioPriority, scheduler, execCPUAffinity: checked for types, kept in JSON only. */
static int check_process_extras(struct pctx *p, struct json_object *obj)
{
	struct json_object *o;
	int r = opt_object(p, obj, "ioPriority", &o);
	if (r == 0 && o) {
		size_t old = push_key(p, "ioPriority");
		static const struct name_set set = {"I/O priority class", ioprio_classes};
		int64_t prio;
		r = check_str_in_set(p, o, "class", true, &set);
		if (r == 0)
			r = opt_i64(p, o, "priority", 0, 7, &prio, NULL);
		pop(p, old);
	}
	if (r == 0)
		r = opt_object(p, obj, "scheduler", &o);
	if (r == 0 && o) {
		size_t old = push_key(p, "scheduler");
		static const struct name_set pset = {"scheduling policy", sched_policies};
		static const struct name_set fset = {"scheduler flag", sched_flags};
		int64_t i64;
		uint64_t u64;
		char **flags = NULL;
		size_t nflags = 0;
		r = check_str_in_set(p, o, "policy", true, &pset);
		if (r == 0)
			r = opt_i64(p, o, "nice", -20, 19, &i64, NULL);
		if (r == 0)
			r = opt_i64(p, o, "priority", INT32_MIN, INT32_MAX, &i64, NULL);
		if (r == 0)
			r = opt_strv(p, o, "flags", &flags, &nflags, check_set_cb, &fset);
		ctr_strv_free(flags);
		if (r == 0)
			r = opt_u64(p, o, "runtime", &u64, NULL);
		if (r == 0)
			r = opt_u64(p, o, "deadline", &u64, NULL);
		if (r == 0)
			r = opt_u64(p, o, "period", &u64, NULL);
		pop(p, old);
	}
	if (r == 0)
		r = opt_object(p, obj, "execCPUAffinity", &o);
	if (r == 0 && o) {
		size_t old = push_key(p, "execCPUAffinity");
		char *s = NULL;
		r = opt_str(p, o, "initial", &s);
		free(s);
		s = NULL;
		if (r == 0)
			r = opt_str(p, o, "final", &s);
		free(s);
		pop(p, old);
	}
	return r;
}

static int parse_user(struct pctx *p, struct json_object *obj, struct oci_user *u)
{
	struct json_object *o;
	int r = opt_object(p, obj, "user", &o);
	if (r < 0)
		return r;
	/* config.md: user, with uid and gid, is REQUIRED on POSIX platforms */
	if (!o)
		return missing(p, "user");
	size_t old = push_key(p, "user");
	r = req_u32(p, o, "uid", &u->uid);
	if (r == 0)
		r = req_u32(p, o, "gid", &u->gid);
	if (r == 0)
		r = opt_u32(p, o, "umask", &u->umask, &u->has_umask);
	if (r == 0 && u->has_umask && u->umask > 0777)
		r = perr_at(p, "umask", "%#o is not a umask: it takes permission bits only (0 to 0777)",
			    u->umask);
	struct json_object *arr;
	if (r == 0)
		r = opt_array(p, o, "additionalGids", &arr);
	if (r == 0 && arr && json_object_array_length(arr)) {
		size_t n = json_object_array_length(arr);
		u->additional_gids = calloc(n, sizeof(uint32_t));
		if (!u->additional_gids) {
			r = nomem(p);
		} else {
			u->n_additional_gids = n;
			size_t old2 = push_key(p, "additionalGids");
			for (size_t i = 0; i < n && r == 0; i++) {
				size_t old3 = push_idx(p, i);
				r = u32_value(p, json_object_array_get_idx(arr, i), &u->additional_gids[i]);
				pop(p, old3);
			}
			pop(p, old2);
		}
	}
	if (r == 0)
		r = opt_str(p, o, "username", &u->username);
	pop(p, old);
	return r;
}

/* The body of a process object; the path points at it. */
static int parse_process_body(struct pctx *p, struct json_object *o, struct oci_process *proc)
{
	int r = want_type(p, o, json_type_object, "an object");
	if (r < 0)
		return r;
	r = opt_bool(p, o, "terminal", &proc->terminal, NULL);
	struct json_object *cs;
	if (r == 0)
		r = opt_object(p, o, "consoleSize", &cs);
	if (r == 0 && cs) {
		size_t old = push_key(p, "consoleSize");
		proc->has_console_size = true;
		r = req_u32(p, cs, "height", &proc->console_height);
		if (r == 0)
			r = req_u32(p, cs, "width", &proc->console_width);
		pop(p, old);
	}
	if (r == 0)
		r = parse_user(p, o, &proc->user);
	if (r == 0 && !field(o, "args"))
		r = missing(p, "args");
	if (r == 0)
		r = opt_strv(p, o, "args", &proc->args, &proc->n_args, NULL, NULL);
	if (r == 0 && proc->n_args == 0)
		r = perr_at(p, "args", "empty: give at least the program to run");
	if (r == 0)
		r = opt_str(p, o, "commandLine", &proc->command_line);
	if (r == 0)
		r = opt_strv(p, o, "env", &proc->env, &proc->n_env, check_env_cb, NULL);
	if (r == 0)
		r = req_abs_path(p, o, "cwd", &proc->cwd);
	if (r == 0)
		r = parse_capabilities(p, o, &proc->capabilities);
	if (r == 0)
		r = parse_rlimits(p, o, proc);
	if (r == 0)
		r = opt_bool(p, o, "noNewPrivileges", &proc->no_new_privileges, NULL);
	if (r == 0)
		r = opt_str(p, o, "apparmorProfile", &proc->apparmor_profile);
	int64_t oom = 0;
	if (r == 0)
		r = opt_i64(p, o, "oomScoreAdj", -1000, 1000, &oom, &proc->has_oom_score_adj);
	proc->oom_score_adj = (int)oom;
	if (r == 0)
		r = opt_str(p, o, "selinuxLabel", &proc->selinux_label);
	if (r == 0)
		r = check_process_extras(p, o);
	return r;
}

int oci_process_from_json(struct json_object *obj, const char *name, struct oci_process **out,
			  ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "oci_process_from_json: out is NULL");
	*out = NULL;
	struct pctx p = {.name = name ? name : "process.json", .err = err};
	if (!obj)
		return perr(&p, "expected a process object, got nothing");
	struct oci_process *proc = calloc(1, sizeof(*proc));
	if (!proc)
		return ctr_err_nomem(err);
	int r = parse_process_body(&p, obj, proc);
	if (r < 0) {
		oci_process_free(proc);
		return r;
	}
	*out = proc;
	return 0;
}

int oci_process_from_buffer(const char *buf, size_t len, const char *name, struct oci_process **out,
			    ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "oci_process_from_buffer: out is NULL");
	*out = NULL;
	if (!name)
		name = "process.json";
	struct json_object *root = NULL;
	int r = spec_json_parse(buf, len, name, &root, err);
	if (r < 0)
		return r;
	r = oci_process_from_json(root, name, out, err);
	json_object_put(root);
	return r;
}

/* ---- mounts, hooks, annotations ----------------------------------------- */

/*
 * config.md: on Linux a destination "MAY be a relative path, in which case it
 * MUST be interpreted as relative to "/"" (deprecated, for old tools): the
 * typed view holds it with its "/", so everything after sees an absolute path.
 */
static int parse_mount_destination(struct pctx *p, struct json_object *o, char **out)
{
	int r = req_str(p, o, "destination", out);
	if (r < 0 || (*out)[0] == '/')
		return r;
	if (!(*out)[0])
		return perr_at(p, "destination", "empty: give the path in the container, e.g. \"/data\"");
	char *abs = NULL;
	if (asprintf(&abs, "/%s", *out) < 0)
		return nomem(p);
	free(*out);
	*out = abs;
	return 0;
}

static int parse_mounts(struct pctx *p, struct json_object *root, struct oci_config *cfg)
{
	struct json_object *arr;
	int r = object_array(p, root, "mounts", sizeof(*cfg->mounts), &arr, (void **)&cfg->mounts,
			     &cfg->n_mounts);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, "mounts");
	for (size_t i = 0; i < cfg->n_mounts && r == 0; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		struct json_object *o = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = parse_mount_destination(p, o, &m->destination);
		if (r == 0)
			r = opt_str(p, o, "type", &m->type);
		if (r == 0)
			r = opt_str(p, o, "source", &m->source);
		if (r == 0)
			r = opt_strv(p, o, "options", &m->options, &m->n_options, NULL, NULL);
		if (r == 0)
			r = parse_id_mappings(p, o, "uidMappings", &m->uid_mappings, &m->n_uid_mappings);
		if (r == 0)
			r = parse_id_mappings(p, o, "gidMappings", &m->gid_mappings, &m->n_gid_mappings);
		if (r == 0 && (m->n_uid_mappings != 0) != (m->n_gid_mappings != 0))
			r = perr(p, "uidMappings and gidMappings go together: an idmapped mount needs both");
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_hook_list(struct pctx *p, struct json_object *hooks, const char *key, struct oci_hook_list *l)
{
	struct json_object *arr;
	int r = object_array(p, hooks, key, sizeof(*l->hooks), &arr, (void **)&l->hooks, &l->n);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, key);
	for (size_t i = 0; i < l->n && r == 0; i++) {
		struct oci_hook *h = &l->hooks[i];
		struct json_object *o = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = req_abs_path(p, o, "path", &h->path);
		if (r == 0)
			r = opt_strv(p, o, "args", &h->args, &h->n_args, NULL, NULL);
		if (r == 0)
			r = opt_strv(p, o, "env", &h->env, &h->n_env, check_env_cb, NULL);
		int64_t t = 0;
		if (r == 0)
			r = opt_i64(p, o, "timeout", 1, INT32_MAX, &t, &h->has_timeout);
		h->timeout = (int)t;
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_hooks(struct pctx *p, struct json_object *root, struct oci_hooks *hooks)
{
	struct json_object *o;
	int r = opt_object(p, root, "hooks", &o);
	if (r < 0 || !o)
		return r;
	size_t old = push_key(p, "hooks");
	r = parse_hook_list(p, o, "prestart", &hooks->prestart);
	if (r == 0)
		r = parse_hook_list(p, o, "createRuntime", &hooks->create_runtime);
	if (r == 0)
		r = parse_hook_list(p, o, "createContainer", &hooks->create_container);
	if (r == 0)
		r = parse_hook_list(p, o, "startContainer", &hooks->start_container);
	if (r == 0)
		r = parse_hook_list(p, o, "poststart", &hooks->poststart);
	if (r == 0)
		r = parse_hook_list(p, o, "poststop", &hooks->poststop);
	pop(p, old);
	return r;
}

/*
 * obj[key] as an object of strings, into parallel arrays sorted by key.
 */
static int parse_string_map(struct pctx *p, struct json_object *obj, const char *key, char ***keys_out,
			    char ***vals_out, size_t *n_out)
{
	struct json_object *o;
	int r = opt_object(p, obj, key, &o);
	if (r < 0 || !o)
		return r;
	size_t n = (size_t)json_object_object_length(o);
	if (n == 0)
		return 0;
	char **keys = calloc(n, sizeof(char *)), **vals = calloc(n, sizeof(char *));
	*keys_out = keys;
	*vals_out = vals;
	if (!keys || !vals)
		return nomem(p);
	size_t old = push_key(p, key);
	size_t i = 0;
	json_object_object_foreach(o, k, v)
	{
		size_t old2 = push_map_key(p, k);
		*n_out = i + 1; /* so a failure below frees what was allocated */
		if (!*k)
			r = perr(p, "empty key");
		if (r == 0)
			r = str_value(p, v, &vals[i]);
		if (r == 0 && !(keys[i] = strdup(k)))
			r = nomem(p);
		pop(p, old2);
		if (r < 0)
			break;
		i++;
	}
	pop(p, old);
	if (r < 0)
		return r;
	/* insertion sort: maps are small, and this keeps keys/vals paired */
	for (size_t a = 1; a < n; a++) {
		char *kk = keys[a], *vv = vals[a];
		size_t b = a;
		while (b > 0 && strcmp(keys[b - 1], kk) > 0) {
			keys[b] = keys[b - 1];
			vals[b] = vals[b - 1];
			b--;
		}
		keys[b] = kk;
		vals[b] = vv;
	}
	return 0;
}

/* "1.x.y" with optional "-pre" / "+build": the major must be 1. */
static int check_oci_version(struct pctx *p, const char *v)
{
	const char *s = v;
	int parts = 0;
	for (;;) {
		if (*s < '0' || *s > '9')
			break;
		while (*s >= '0' && *s <= '9')
			s++;
		parts++;
		if (parts == 3 || *s != '.')
			break;
		s++;
	}
	if (parts != 3 || (*s && *s != '-' && *s != '+') || ((*s == '-' || *s == '+') && !s[1]))
		return perr(p, "'%s' is not a version: expected MAJOR.MINOR.PATCH such as \"%s\"", v,
			    CTR_OCI_VERSION);
	if (v[0] != '1' || v[1] != '.')
		return perr(p, "version '%s' is not supported: this runtime implements runtime-spec 1.x "
			    "(up to %s)", v, CTR_OCI_VERSION);
	return 0;
}

/* MAJOR.MINOR.PATCH of a checked version, and whether it has a pre-release ("-rc.1") */
static void version_parts(const char *v, unsigned long n[3], bool *pre)
{
	char *end;
	for (int i = 0; i < 3; i++) {
		n[i] = strtoul(v, &end, 10);
		v = *end == '.' ? end + 1 : end;
	}
	*pre = *end == '-';
}

/* Is v (a checked version) newer than the runtime-spec this runtime implements? (SemVer precedence:
 * "1.3.1-rc.1" is newer than 1.3.0, "1.3.0-rc.1" older; build metadata "+x" does not count) */
static bool version_newer(const char *v)
{
	unsigned long a[3], b[3];
	bool apre, bpre;
	version_parts(v, a, &apre);
	version_parts(CTR_OCI_VERSION, b, &bpre);
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] > b[i];
	return !apre && bpre;
}

/*
 * The fields of runtime-spec 1.3.0's config (schema/config-schema.json,
 * config-linux.json, defs*.json) this parser knows.  A config that declares
 * a newer version is accepted only when it uses none but these: a field
 * added later may ask for something this runtime would silently not do.
 * (Up to 1.3.0, unknown fields are ignored, as config.md "Extensibility" asks.)
 */
enum kf_kind {
	KF_LEAF, /* a value, an array of values, a map of strings, or another platform's section */
	KF_OBJ,	 /* an object with the fields of sub */
	KF_ARR,	 /* an array of objects with the fields of sub */
	KF_MAP,	 /* an object with free keys whose values are objects with the fields of sub */
};
struct kf {
	const char *key;
	enum kf_kind kind;
	const struct kf *sub;
};
#define L(k) {k, KF_LEAF, NULL}
#define O(k, s) {k, KF_OBJ, s}
#define A(k, s) {k, KF_ARR, s}
#define M(k, s) {k, KF_MAP, s}
static const struct kf kf_hook[] = {L("path"), L("args"), L("env"), L("timeout"), {0}};
static const struct kf kf_hooks[] = {A("prestart", kf_hook),	   A("createRuntime", kf_hook),
				     A("createContainer", kf_hook), A("startContainer", kf_hook),
				     A("poststart", kf_hook),	   A("poststop", kf_hook),
				     {0}};
static const struct kf kf_idmap[] = {L("containerID"), L("hostID"), L("size"), {0}};
static const struct kf kf_mount[] = {L("destination"), L("source"), L("options"), L("type"),
				     A("uidMappings", kf_idmap), A("gidMappings", kf_idmap), {0}};
static const struct kf kf_root[] = {L("path"), L("readonly"), {0}};
static const struct kf kf_console[] = {L("height"), L("width"), {0}};
static const struct kf kf_user[] = {L("uid"), L("gid"), L("umask"), L("additionalGids"), L("username"), {0}};
static const struct kf kf_caps[] = {L("bounding"), L("permitted"), L("effective"), L("inheritable"), L("ambient"), {0}};
static const struct kf kf_ioprio[] = {L("class"), L("priority"), {0}};
static const struct kf kf_sched[] = {L("policy"),  L("nice"),	  L("priority"), L("flags"),
				     L("runtime"), L("deadline"), L("period"),	 {0}};
static const struct kf kf_rlimit[] = {L("type"), L("soft"), L("hard"), {0}};
static const struct kf kf_affinity[] = {L("initial"), L("final"), {0}};
static const struct kf kf_process[] = {
	L("args"),	      L("commandLine"),	    O("consoleSize", kf_console), L("cwd"),
	L("env"),	      L("terminal"),	    O("user", kf_user),		  O("capabilities", kf_caps),
	L("apparmorProfile"), L("oomScoreAdj"),	    L("selinuxLabel"),		  O("ioPriority", kf_ioprio),
	L("noNewPrivileges"), O("scheduler", kf_sched), A("rlimits", kf_rlimit), O("execCPUAffinity", kf_affinity),
	{0}};
static const struct kf kf_device[] = {L("type"), L("path"), L("fileMode"), L("major"), L("minor"), L("uid"), L("gid"), {0}};
static const struct kf kf_netdev[] = {L("name"), {0}};
static const struct kf kf_ns[] = {L("type"), L("path"), {0}};
static const struct kf kf_devcg[] = {L("allow"), L("type"), L("major"), L("minor"), L("access"), {0}};
static const struct kf kf_pids[] = {L("limit"), {0}};
static const struct kf kf_wdev[] = {L("major"), L("minor"), L("weight"), L("leafWeight"), {0}};
static const struct kf kf_rate[] = {L("major"), L("minor"), L("rate"), {0}};
static const struct kf kf_blkio[] = {L("weight"),
				     L("leafWeight"),
				     A("throttleReadBpsDevice", kf_rate),
				     A("throttleWriteBpsDevice", kf_rate),
				     A("throttleReadIOPSDevice", kf_rate),
				     A("throttleWriteIOPSDevice", kf_rate),
				     A("weightDevice", kf_wdev),
				     {0}};
static const struct kf kf_cpu[] = {L("cpus"),	       L("mems"),	     L("period"), L("quota"), L("burst"),
				   L("realtimePeriod"), L("realtimeRuntime"), L("shares"), L("idle"),  {0}};
static const struct kf kf_huge[] = {L("pageSize"), L("limit"), {0}};
static const struct kf kf_mem[] = {L("kernel"),	   L("kernelTCP"),	  L("limit"),
				   L("reservation"), L("swap"),		  L("swappiness"),
				   L("disableOOMKiller"), L("useHierarchy"), L("checkBeforeUpdate"),
				   {0}};
static const struct kf kf_prio[] = {L("name"), L("priority"), {0}};
static const struct kf kf_netcg[] = {L("classID"), A("priorities", kf_prio), {0}};
static const struct kf kf_rdma[] = {L("hcaHandles"), L("hcaObjects"), {0}};
static const struct kf kf_resources[] = {L("unified"),	       A("devices", kf_devcg), O("pids", kf_pids),
					 O("blockIO", kf_blkio), O("cpu", kf_cpu),	     A("hugepageLimits", kf_huge),
					 O("memory", kf_mem),	       O("network", kf_netcg), M("rdma", kf_rdma),
					 {0}};
static const struct kf kf_scarg[] = {L("index"), L("value"), L("valueTwo"), L("op"), {0}};
static const struct kf kf_syscall[] = {L("names"), L("action"), L("errnoRet"), A("args", kf_scarg), {0}};
static const struct kf kf_seccomp[] = {L("defaultAction"), L("defaultErrnoRet"),  L("flags"),
				       L("listenerPath"),  L("listenerMetadata"), L("architectures"),
				       A("syscalls", kf_syscall), {0}};
static const struct kf kf_rdt[] = {L("closID"),	       L("schemata"),  L("l3CacheSchema"), L("memBwSchema"),
				   L("enableMonitoring"), L("enableCMT"), L("enableMBM"),     {0}};
static const struct kf kf_mpol[] = {L("mode"), L("nodes"), L("flags"), {0}};
static const struct kf kf_pers[] = {L("domain"), L("flags"), {0}};
static const struct kf kf_toff[] = {L("secs"), L("nanosecs"), {0}};
static const struct kf kf_toffs[] = {O("boottime", kf_toff), O("monotonic", kf_toff), {0}};
static const struct kf kf_linux[] = {
	A("devices", kf_device),   M("netDevices", kf_netdev), A("uidMappings", kf_idmap), A("gidMappings", kf_idmap),
	A("namespaces", kf_ns),	   O("resources", kf_resources), L("cgroupsPath"),	   L("rootfsPropagation"),
	O("seccomp", kf_seccomp), L("sysctl"),		     L("maskedPaths"),		   L("readonlyPaths"),
	L("mountLabel"),	   O("intelRdt", kf_rdt),	     O("memoryPolicy", kf_mpol), O("personality", kf_pers),
	O("timeOffsets", kf_toffs), {0}};
static const struct kf kf_config[] = {L("ociVersion"), O("hooks", kf_hooks), L("annotations"), L("hostname"),
				      L("domainname"), A("mounts", kf_mount), O("root", kf_root),
				      O("process", kf_process), O("linux", kf_linux),
				      /* the other platforms' sections: not read on Linux */
				      L("solaris"), L("windows"), L("vm"), L("zos"), L("freebsd"), {0}};
#undef L
#undef O
#undef A
#undef M

static int check_known_fields(struct pctx *p, struct json_object *o, const struct kf *t, const char *version);

static int check_known_value(struct pctx *p, struct json_object *v, const struct kf *f, const char *version)
{
	int r = 0;
	if (f->kind == KF_OBJ && json_object_is_type(v, json_type_object))
		return check_known_fields(p, v, f->sub, version);
	if (f->kind == KF_ARR && json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v) && r == 0; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			size_t old = push_idx(p, i);
			if (json_object_is_type(e, json_type_object))
				r = check_known_fields(p, e, f->sub, version);
			pop(p, old);
		}
	}
	if (f->kind == KF_MAP && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, e)
		{
			size_t old = push_map_key(p, k);
			if (json_object_is_type(e, json_type_object))
				r = check_known_fields(p, e, f->sub, version);
			pop(p, old);
			if (r < 0)
				break;
		}
	}
	return r;
}

static int check_known_fields(struct pctx *p, struct json_object *o, const struct kf *t, const char *version)
{
	int r = 0;
	json_object_object_foreach(o, k, v)
	{
		if (json_object_is_type(v, json_type_null))
			continue; /* null is an absent field, here as everywhere */
		const struct kf *f = t;
		while (f->key && strcmp(f->key, k))
			f++;
		if (!f->key)
			return perr_at(p, k, "unknown field in a config of runtime-spec %s, newer than the %s this "
				       "runtime implements: it may ask for something this runtime would not do; "
				       "remove it, or use a runtime that implements runtime-spec %s",
				       version, CTR_OCI_VERSION, version);
		size_t old = push_key(p, k);
		r = check_known_value(p, v, f, version);
		pop(p, old);
		if (r < 0)
			break;
	}
	return r;
}

/* ---- linux -------------------------------------------------------------- */

static const char *const ns_names[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL};

static int parse_namespaces(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *arr;
	int r = object_array(p, lo, "namespaces", sizeof(*l->namespaces), &arr, (void **)&l->namespaces,
			     &l->n_namespaces);
	if (r < 0 || !arr)
		return r;
	static const struct name_set set = {"namespace", ns_names};
	size_t old = push_key(p, "namespaces");
	for (size_t i = 0; i < l->n_namespaces && r == 0; i++) {
		struct oci_namespace *ns = &l->namespaces[i];
		struct json_object *o = json_object_array_get_idx(arr, i);
		char *type = NULL;
		size_t old2 = push_idx(p, i);
		r = req_str(p, o, "type", &type);
		if (r == 0) {
			size_t old3 = push_key(p, "type");
			r = check_set_cb(p, type, &set);
			if (r == 0) {
				ns->type = (enum oci_ns_type)oci_namespace_type_from_name(type);
				ns->clone_flag = oci_namespace_clone_flag(ns->type);
				for (size_t j = 0; j < i && r == 0; j++)
					if (l->namespaces[j].type == ns->type)
						r = perr(p, "namespace '%s' is also given by namespaces[%zu]: list "
							 "each type once", type, j);
			}
			pop(p, old3);
		}
		free(type);
		if (r == 0)
			r = opt_str(p, o, "path", &ns->path);
		if (r == 0 && ns->path)
			r = check_at(p, "path", check_abs_cb, ns->path, NULL);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_devices(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *arr;
	int r = object_array(p, lo, "devices", sizeof(*l->devices), &arr, (void **)&l->devices, &l->n_devices);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, "devices");
	for (size_t i = 0; i < l->n_devices && r == 0; i++) {
		struct oci_device *d = &l->devices[i];
		struct json_object *o = json_object_array_get_idx(arr, i);
		d->major = d->minor = -1;
		size_t old2 = push_idx(p, i);
		r = req_abs_path(p, o, "path", &d->path);
		char *type = NULL;
		if (r == 0)
			r = req_str(p, o, "type", &type);
		if (r == 0) {
			if (strcmp(type, "c") && strcmp(type, "b") && strcmp(type, "u") && strcmp(type, "p")) {
				r = perr_at(p, "type", "unknown device type '%s': use c (character), b (block), "
					    "u (unbuffered character) or p (FIFO)", type);
			} else {
				d->type = type[0];
			}
		}
		free(type);
		bool has_major = false, has_minor = false;
		if (r == 0)
			r = opt_i64(p, o, "major", 0, UINT32_MAX, &d->major, &has_major);
		if (r == 0)
			r = opt_i64(p, o, "minor", 0, UINT32_MAX, &d->minor, &has_minor);
		if (r == 0 && d->type != 'p' && (!has_major || !has_minor))
			r = missing(p, has_major ? "minor" : "major");
		if (!has_major)
			d->major = -1;
		if (!has_minor)
			d->minor = -1;
		if (r == 0)
			r = opt_u32(p, o, "fileMode", &d->file_mode, &d->has_file_mode);
		/*
		 * podman (and runc's libcontainer) write the whole st_mode of the
		 * host node, type bits included (020666 for /dev/fuse); runc
		 * accepts that.  The type bits are kept apart (the create warns
		 * when they contradict "type", which decides) and masked off.
		 */
		if (r == 0 && d->has_file_mode && d->file_mode > 0177777)
			r = perr_at(p, "fileMode", "%#o has bits beyond the file type and permission bits "
				    "(0177777): give the permissions, e.g. 0666", d->file_mode);
		if (r == 0 && d->has_file_mode) {
			d->file_mode_type = d->file_mode & 0170000;
			d->file_mode &= 07777;
		}
		if (r == 0)
			r = opt_u32(p, o, "uid", &d->uid, &d->has_uid);
		if (r == 0)
			r = opt_u32(p, o, "gid", &d->gid, &d->has_gid);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static const char *const seccomp_actions[] = {
	"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
	"SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",	   "SCMP_ACT_LOG",	   "SCMP_ACT_NOTIFY", NULL};
static const char *const seccomp_arches[] = {
	"SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",	"SCMP_ARCH_X32",	 "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64",	 "SCMP_ARCH_MIPS",	"SCMP_ARCH_MIPS64",	 "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64",	"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",	"SCMP_ARCH_S390",	 "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64",	"SCMP_ARCH_RISCV64",	 "SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K",	 "SCMP_ARCH_SH",	"SCMP_ARCH_SHEB",	 NULL};
static const char *const seccomp_flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
static const char *const seccomp_ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	      "SCMP_CMP_EQ",
					  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL};

static int parse_seccomp_syscall(struct pctx *p, struct json_object *o, struct oci_seccomp_syscall *sc)
{
	static const struct name_set aset = {"seccomp action", seccomp_actions};
	static const struct name_set oset = {"seccomp operator", seccomp_ops};
	int r = 0;
	if (!field(o, "names"))
		return missing(p, "names");
	r = opt_strv(p, o, "names", &sc->names, &sc->n_names, check_nonempty_cb, NULL);
	if (r == 0 && sc->n_names == 0)
		r = perr_at(p, "names", "empty: list at least one system call");
	if (r == 0)
		r = req_str(p, o, "action", &sc->action);
	if (r == 0)
		r = check_at(p, "action", check_set_cb, sc->action, &aset);
	if (r == 0)
		r = opt_u32(p, o, "errnoRet", &sc->errno_ret, &sc->has_errno_ret);
	struct json_object *arr;
	if (r == 0)
		r = object_array(p, o, "args", sizeof(*sc->args), &arr, (void **)&sc->args, &sc->n_args);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, "args");
	for (size_t i = 0; i < sc->n_args && r == 0; i++) {
		struct oci_seccomp_arg *a = &sc->args[i];
		struct json_object *ao = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = req_u32(p, ao, "index", &a->index);
		if (r == 0 && a->index > 5)
			r = perr_at(p, "index", "%u is not an argument index: system calls take arguments 0 to 5",
				    a->index);
		if (r == 0)
			r = req_u64(p, ao, "value", &a->value);
		if (r == 0)
			r = opt_u64(p, ao, "valueTwo", &a->value_two, NULL);
		if (r == 0)
			r = req_str(p, ao, "op", &a->op);
		if (r == 0)
			r = check_at(p, "op", check_set_cb, a->op, &oset);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_seccomp(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "seccomp", &o);
	if (r < 0 || !o)
		return r;
	struct oci_seccomp *s = calloc(1, sizeof(*s));
	if (!s)
		return nomem(p);
	l->seccomp = s;
	static const struct name_set aset = {"seccomp action", seccomp_actions};
	static const struct name_set archset = {"seccomp architecture", seccomp_arches};
	static const struct name_set fset = {"seccomp flag", seccomp_flags};
	size_t old = push_key(p, "seccomp");
	r = req_str(p, o, "defaultAction", &s->default_action);
	if (r == 0) {
		size_t old2 = push_key(p, "defaultAction");
		r = check_set_cb(p, s->default_action, &aset);
		if (r == 0 && strcmp(s->default_action, "SCMP_ACT_NOTIFY") == 0)
			r = perr(p, "SCMP_ACT_NOTIFY cannot be the default action: the runtime itself would "
				 "block on its own system calls; use it in syscalls[] entries");
		pop(p, old2);
	}
	if (r == 0)
		r = opt_u32(p, o, "defaultErrnoRet", &s->default_errno_ret, &s->has_default_errno_ret);
	if (r == 0)
		r = opt_strv(p, o, "architectures", &s->architectures, &s->n_architectures, check_set_cb, &archset);
	if (r == 0)
		r = opt_strv(p, o, "flags", &s->flags, &s->n_flags, check_set_cb, &fset);
	if (r == 0)
		r = opt_str(p, o, "listenerPath", &s->listener_path);
	if (r == 0 && s->listener_path)
		r = check_at(p, "listenerPath", check_abs_cb, s->listener_path, NULL);
	if (r == 0)
		r = opt_str(p, o, "listenerMetadata", &s->listener_metadata);
	struct json_object *arr = NULL;
	if (r == 0)
		r = object_array(p, o, "syscalls", sizeof(*s->syscalls), &arr, (void **)&s->syscalls,
				 &s->n_syscalls);
	if (r == 0 && arr) {
		size_t old2 = push_key(p, "syscalls");
		for (size_t i = 0; i < s->n_syscalls && r == 0; i++) {
			size_t old3 = push_idx(p, i);
			r = parse_seccomp_syscall(p, json_object_array_get_idx(arr, i), &s->syscalls[i]);
			if (r == 0 && !s->listener_path && strcmp(s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
				r = perr_at(p, "action", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath: set the "
					    "path of the socket that receives the notify fd");
			pop(p, old3);
		}
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int parse_rootfs_propagation(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	int r = opt_str(p, lo, "rootfsPropagation", &l->rootfs_propagation);
	if (r < 0 || !l->rootfs_propagation)
		return r;
	if (spec_propagation_from_name(l->rootfs_propagation, &l->rootfs_propagation_flags))
		return 0;
	return perr_at(p, "rootfsPropagation", "unknown propagation '%s': use one of private, shared, slave, "
		       "unbindable (or rprivate, rshared, rslave, runbindable)", l->rootfs_propagation);
}

static int parse_personality(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "personality", &o);
	if (r < 0 || !o)
		return r;
	l->has_personality = true;
	size_t old = push_key(p, "personality");
	r = req_str(p, o, "domain", &l->personality_domain);
	if (r == 0 && strcmp(l->personality_domain, "LINUX") && strcmp(l->personality_domain, "LINUX32"))
		r = perr_at(p, "domain", "unknown execution domain '%s': use LINUX or LINUX32",
			    l->personality_domain);
	if (r == 0)
		r = opt_strv(p, o, "flags", &l->personality_flags, &l->n_personality_flags, NULL, NULL);
	pop(p, old);
	return r;
}

static int parse_time_offsets(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "timeOffsets", &o);
	if (r < 0 || !o)
		return r;
	size_t n = (size_t)json_object_object_length(o);
	if (n == 0)
		return 0;
	l->time_offsets = calloc(n, sizeof(*l->time_offsets));
	if (!l->time_offsets)
		return nomem(p);
	size_t old = push_key(p, "timeOffsets");
	json_object_object_foreach(o, k, v)
	{
		size_t old2 = push_key(p, k);
		if (strcmp(k, "monotonic") && strcmp(k, "boottime"))
			r = perr(p, "unknown clock '%s': time namespaces offset monotonic and boottime", k);
		if (r == 0)
			r = want_type(p, v, json_type_object, "an object");
		struct oci_time_offset *t = &l->time_offsets[l->n_time_offsets];
		if (r == 0 && !(t->clock = strdup(k)))
			r = nomem(p);
		if (r == 0)
			l->n_time_offsets++;
		if (r == 0)
			r = opt_i64(p, v, "secs", INT64_MIN, INT64_MAX, &t->secs, NULL);
		int64_t ns = 0;
		if (r == 0)
			r = opt_i64(p, v, "nanosecs", 0, 999999999, &ns, NULL);
		t->nanosecs = (uint32_t)ns;
		pop(p, old2);
		if (r < 0)
			break;
	}
	pop(p, old);
	return r;
}

/* a string without a newline (a line of resctrl's schemata file) */
static int check_line_cb(struct pctx *p, const char *s, const void *data)
{
	if (strchr(s, '\n'))
		return perr(p, "contains a newline: each value is one line of the schemata file");
	return 0;
}

/* linux.intelRdt: checked and kept; lib/linux refuses it (no resctrl support) */
static int parse_intel_rdt(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "intelRdt", &o);
	if (r < 0 || !o)
		return r;
	struct oci_intel_rdt *rdt = calloc(1, sizeof(*rdt));
	if (!rdt)
		return nomem(p);
	l->intel_rdt = rdt;
	size_t old = push_key(p, "intelRdt");
	r = opt_str(p, o, "closID", &rdt->clos_id);
	/* a directory name in the resctrl filesystem, or "/" for its root (the default CLOS) */
	if (r == 0 && rdt->clos_id && strcmp(rdt->clos_id, "/") &&
	    (!rdt->clos_id[0] || strchr(rdt->clos_id, '/') || !strcmp(rdt->clos_id, ".") ||
	     !strcmp(rdt->clos_id, "..") || strchr(rdt->clos_id, '\n')))
		r = perr_at(p, "closID", "'%s' is not a resctrl group name: use a plain directory name, or \"/\" "
			    "for the default group", rdt->clos_id);
	if (r == 0)
		r = opt_str(p, o, "l3CacheSchema", &rdt->l3_cache_schema);
	if (r == 0 && rdt->l3_cache_schema)
		r = check_at(p, "l3CacheSchema", check_line_cb, rdt->l3_cache_schema, NULL);
	if (r == 0)
		r = opt_str(p, o, "memBwSchema", &rdt->mem_bw_schema);
	if (r == 0 && rdt->mem_bw_schema && strncmp(rdt->mem_bw_schema, "MB:", 3))
		r = perr_at(p, "memBwSchema", "'%s' does not start with \"MB:\"", rdt->mem_bw_schema);
	if (r == 0 && rdt->mem_bw_schema)
		r = check_at(p, "memBwSchema", check_line_cb, rdt->mem_bw_schema, NULL);
	if (r == 0)
		r = opt_strv(p, o, "schemata", &rdt->schemata, &rdt->n_schemata, check_line_cb, NULL);
	if (r == 0)
		r = opt_bool(p, o, "enableMonitoring", &rdt->enable_monitoring, NULL);
	/* runtime-spec 1.2's enableCMT/enableMBM (replaced by enableMonitoring in 1.3.0): type-checked */
	static const char *const old_bools[] = {"enableCMT", "enableMBM"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(old_bools) && r == 0; i++) {
		bool b = false;
		r = opt_bool(p, o, old_bools[i], &b, NULL);
		rdt->enable_monitoring |= b;
	}
	pop(p, old);
	return r;
}

/* ---- linux.memoryPolicy (runtime-spec 1.3.0) ----------------------------- */

static const char *const mpol_modes[] = {
	[OCI_MPOL_DEFAULT] = "MPOL_DEFAULT",
	[OCI_MPOL_PREFERRED] = "MPOL_PREFERRED",
	[OCI_MPOL_BIND] = "MPOL_BIND",
	[OCI_MPOL_INTERLEAVE] = "MPOL_INTERLEAVE",
	[OCI_MPOL_LOCAL] = "MPOL_LOCAL",
	[OCI_MPOL_PREFERRED_MANY] = "MPOL_PREFERRED_MANY",
	[OCI_MPOL_WEIGHTED_INTERLEAVE] = "MPOL_WEIGHTED_INTERLEAVE",
	NULL,
};
static const char *const mpol_flags[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL};
static const unsigned mpol_flag_bits[] = {OCI_MPOL_F_NUMA_BALANCING, OCI_MPOL_F_RELATIVE_NODES,
					  OCI_MPOL_F_STATIC_NODES};

const char *const *oci_memory_policy_modes(void)
{
	return mpol_modes;
}

const char *const *oci_memory_policy_flags(void)
{
	return mpol_flags;
}

/* "0-3,7" into the mask: a comma-separated list of node numbers and ranges */
static int parse_node_list(struct pctx *p, const char *s, struct oci_memory_policy *mp)
{
	const unsigned long bits = 8 * sizeof(unsigned long);
	const char *c = s;
	long highest = -1;
	while (*c) {
		unsigned long a, b;
		char *end;
		if (*c < '0' || *c > '9')
			goto bad;
		a = strtoul(c, &end, 10);
		b = a;
		c = end;
		if (*c == '-') {
			c++;
			if (*c < '0' || *c > '9')
				goto bad;
			b = strtoul(c, &end, 10);
			c = end;
		}
		if (*c && *c != ',')
			goto bad;
		if (*c == ',' && !c[1])
			goto bad;
		if (*c)
			c++;
		if (a > b)
			return perr(p, "'%s': the range %lu-%lu runs backwards", s, a, b);
		if (b >= OCI_MPOL_MAX_NODES)
			return perr(p, "'%s': node %lu is above the highest node this runtime handles (%d)", s, b,
				    OCI_MPOL_MAX_NODES - 1);
		for (unsigned long n = a; n <= b; n++)
			mp->nodemask[n / bits] |= 1ul << (n % bits);
		if ((long)b > highest)
			highest = (long)b;
	}
	if (highest >= 0) {
		mp->has_nodes = true;
		mp->maxnode = (unsigned long)highest + 2;
	}
	return 0;
bad:
	return perr(p, "'%s' is not a node list: use node numbers and ranges such as \"0-3,7\"", s);
}

static int parse_memory_policy(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "memoryPolicy", &o);
	if (r < 0 || !o)
		return r;
	struct oci_memory_policy *mp = calloc(1, sizeof(*mp));
	if (!mp)
		return nomem(p);
	l->memory_policy = mp;
	size_t old = push_key(p, "memoryPolicy");
	char *mode = NULL, *nodes = NULL, **flags = NULL;
	size_t n_flags = 0;
	static const struct name_set mode_set = {"memory policy mode", mpol_modes};
	static const struct name_set flag_set = {"memory policy flag", mpol_flags};
	r = req_str(p, o, "mode", &mode);
	if (r == 0)
		r = check_at(p, "mode", check_set_cb, mode, &mode_set);
	if (r == 0)
		for (int i = 0; mpol_modes[i]; i++)
			if (!strcmp(mode, mpol_modes[i]))
				mp->mode = i;
	if (r == 0)
		r = opt_strv(p, o, "flags", &flags, &n_flags, check_set_cb, &flag_set);
	for (size_t i = 0; r == 0 && i < n_flags; i++)
		for (size_t j = 0; j < CTR_ARRAY_SIZE(mpol_flag_bits); j++)
			if (!strcmp(flags[i], mpol_flags[j]))
				mp->mode_flags |= mpol_flag_bits[j];
	if (r == 0)
		r = opt_str(p, o, "nodes", &nodes);
	if (r == 0 && nodes) {
		size_t old2 = push_key(p, "nodes");
		r = parse_node_list(p, nodes, mp);
		pop(p, old2);
	}
	/* set_mempolicy(2)'s rules, so that a config the kernel would refuse fails here, by name */
	if (r == 0 && (mp->mode == OCI_MPOL_DEFAULT || mp->mode == OCI_MPOL_LOCAL) && mp->has_nodes)
		r = perr_at(p, "nodes", "'%s': %s takes no nodes: remove nodes or use MPOL_BIND, MPOL_PREFERRED, ...",
			    nodes, mode);
	if (r == 0 && !mp->has_nodes && mp->mode != OCI_MPOL_DEFAULT && mp->mode != OCI_MPOL_LOCAL &&
	    mp->mode != OCI_MPOL_PREFERRED)
		r = perr_at(p, "nodes", "%s needs at least one node: give nodes such as \"0\" or \"0-1\"", mode);
	if (r == 0 && (mp->mode_flags & OCI_MPOL_F_STATIC_NODES) && (mp->mode_flags & OCI_MPOL_F_RELATIVE_NODES))
		r = perr_at(p, "flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other: keep one");
	if (r == 0 && (mp->mode_flags & (OCI_MPOL_F_STATIC_NODES | OCI_MPOL_F_RELATIVE_NODES)) && !mp->has_nodes &&
	    mp->mode != OCI_MPOL_DEFAULT)
		r = perr_at(p, "flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES need nodes (%s has none)",
			    mode);
	if (r == 0 && (mp->mode_flags & OCI_MPOL_F_NUMA_BALANCING) && mp->mode != OCI_MPOL_BIND &&
	    mp->mode != OCI_MPOL_PREFERRED_MANY)
		r = perr_at(p, "flags", "MPOL_F_NUMA_BALANCING works with MPOL_BIND or MPOL_PREFERRED_MANY, not %s",
			    mode);
	pop(p, old);
	free(mode);
	free(nodes);
	strv_free_n(flags);
	return r;
}

/* ---- linux.resources: checked for types, kept as JSON for the cgroup code */

enum rkind { RK_U64, RK_I64, RK_U16, RK_STR, RK_BOOL };

struct rfield {
	const char *key;
	enum rkind kind;
};

static int check_fields(struct pctx *p, struct json_object *o, const struct rfield *f, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct json_object *v = field(o, f[i].key);
		if (!v)
			continue;
		size_t old = push_key(p, f[i].key);
		uint64_t u;
		int64_t s;
		bool b;
		char *str = NULL;
		switch (f[i].kind) {
		case RK_U64: r = u64_value(p, v, &u); break;
		case RK_I64: r = i64_range_value(p, v, INT64_MIN, INT64_MAX, &s); break;
		case RK_U16: r = i64_range_value(p, v, 0, UINT16_MAX, &s); break;
		case RK_STR: r = str_value(p, v, &str); free(str); break;
		case RK_BOOL: r = bool_value(p, v, &b); break;
		}
		pop(p, old);
	}
	return r;
}

/* Each element of obj[key] is an object whose fields are checked. */
static int check_object_array(struct pctx *p, struct json_object *o, const char *key, const struct rfield *f,
			      size_t n, const char *const *required)
{
	struct json_object *arr;
	int r = opt_array(p, o, key, &arr);
	if (r < 0 || !arr)
		return r;
	size_t old = push_key(p, key);
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		size_t old2 = push_idx(p, i);
		r = want_type(p, e, json_type_object, "an object");
		for (size_t j = 0; required && required[j] && r == 0; j++)
			if (!field(e, required[j]))
				r = missing(p, required[j]);
		if (r == 0)
			r = check_fields(p, e, f, n);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

static int check_sub(struct pctx *p, struct json_object *res, const char *key, const struct rfield *f, size_t n,
		     struct json_object **sub)
{
	int r = opt_object(p, res, key, sub);
	if (r < 0 || !*sub)
		return r;
	size_t old = push_key(p, key);
	r = check_fields(p, *sub, f, n);
	pop(p, old);
	return r;
}

static int check_device_cgroup_rule(struct pctx *p, struct json_object *e)
{
	char *s = NULL;
	int r = 0;
	if (!field(e, "allow"))
		return missing(p, "allow");
	if ((r = opt_str(p, e, "type", &s)) == 0 && s && strcmp(s, "a") && strcmp(s, "c") && strcmp(s, "b"))
		r = perr_at(p, "type", "unknown device type '%s': use a (all), c (character) or b (block)", s);
	free(s);
	s = NULL;
	if (r == 0 && (r = opt_str(p, e, "access", &s)) == 0 && s && s[strspn(s, "rwm")])
		r = perr_at(p, "access", "'%s' is not an access mode: combine r (read), w (write) and m (mknod)",
			    s);
	free(s);
	return r;
}

/* Levenshtein distance of two short names, capped: for "did you mean". */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];
	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * With p->strict: every member of o must be one of known (NULL-terminated).
 * config.json ignores unknown properties (config.md); a resources update
 * refuses them, since a misspelt field would silently change nothing.
 */
static int strict_keys(struct pctx *p, struct json_object *o, const char *const *known)
{
	if (!p->strict || !json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		const char *best = NULL;
		size_t bd = SIZE_MAX, i;
		for (i = 0; known[i]; i++) {
			if (!strcmp(known[i], k))
				break;
			size_t d = name_distance(k, known[i]);
			if (d < bd) {
				bd = d;
				best = known[i];
			}
		}
		if (known[i])
			continue;
		char list[512] = "";
		size_t len = 0;
		for (size_t j = 0; known[j] && len < sizeof(list); j++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "", known[j]);
		if (best && bd <= 2)
			return perr_at(p, k, "unknown field: did you mean '%s'? (known here: %s)", best, list);
		return perr_at(p, k, "unknown field (known here: %s)", list);
	}
	return 0;
}

/* strict_keys for each object element of o[key] (an array) */
static int strict_elems(struct pctx *p, struct json_object *o, const char *key, const char *const *known)
{
	struct json_object *arr = field(o, key);
	if (!p->strict || !arr || !json_object_is_type(arr, json_type_array))
		return 0;
	size_t old = push_key(p, key);
	int r = 0;
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		size_t old2 = push_idx(p, i);
		r = strict_keys(p, json_object_array_get_idx(arr, i), known);
		pop(p, old2);
	}
	pop(p, old);
	return r;
}

/* strict_keys for the object o[key] */
static int strict_sub(struct pctx *p, struct json_object *o, const char *key, const char *const *known)
{
	struct json_object *sub = field(o, key);
	if (!p->strict || !sub)
		return 0;
	size_t old = push_key(p, key);
	int r = strict_keys(p, sub, known);
	pop(p, old);
	return r;
}

/* The members of linux.resources (runtime-spec 1.2) for a strict check. */
static int strict_resources(struct pctx *p, struct json_object *res)
{
	static const char *const top[] = {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits",
					  "network", "rdma", "unified", NULL};
	static const char *const dev[] = {"allow", "type", "major", "minor", "access", NULL};
	static const char *const mem[] = {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
					  "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL};
	static const char *const cpu[] = {"shares", "quota", "burst", "period", "realtimeRuntime",
					  "realtimePeriod", "cpus", "mems", "idle", NULL};
	static const char *const pids[] = {"limit", NULL};
	static const char *const blkio[] = {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice",
					    "throttleWriteBpsDevice", "throttleReadIOPSDevice",
					    "throttleWriteIOPSDevice", NULL};
	static const char *const wdev[] = {"major", "minor", "weight", "leafWeight", NULL};
	static const char *const rate[] = {"major", "minor", "rate", NULL};
	static const char *const huge[] = {"pageSize", "limit", NULL};
	static const char *const net[] = {"classID", "priorities", NULL};
	static const char *const prio[] = {"name", "priority", NULL};
	static const char *const rdma[] = {"hcaHandles", "hcaObjects", NULL};
	static const char *const throttles[] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
						"throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
	int r = strict_keys(p, res, top);
	if (r == 0)
		r = strict_elems(p, res, "devices", dev);
	if (r == 0)
		r = strict_sub(p, res, "memory", mem);
	if (r == 0)
		r = strict_sub(p, res, "cpu", cpu);
	if (r == 0)
		r = strict_sub(p, res, "pids", pids);
	if (r == 0)
		r = strict_sub(p, res, "blockIO", blkio);
	struct json_object *sub = field(res, "blockIO");
	if (r == 0 && sub) {
		size_t old = push_key(p, "blockIO");
		r = strict_elems(p, sub, "weightDevice", wdev);
		for (size_t i = 0; i < CTR_ARRAY_SIZE(throttles) && r == 0; i++)
			r = strict_elems(p, sub, throttles[i], rate);
		pop(p, old);
	}
	if (r == 0)
		r = strict_elems(p, res, "hugepageLimits", huge);
	if (r == 0)
		r = strict_sub(p, res, "network", net);
	if (r == 0 && (sub = field(res, "network"))) {
		size_t old = push_key(p, "network");
		r = strict_elems(p, sub, "priorities", prio);
		pop(p, old);
	}
	if (r == 0 && (sub = field(res, "rdma")) && json_object_is_type(sub, json_type_object)) {
		size_t old = push_key(p, "rdma");
		json_object_object_foreach(sub, k, v)
		{
			size_t old2 = push_map_key(p, k);
			r = strict_keys(p, v, rdma);
			pop(p, old2);
			if (r < 0)
				break;
		}
		pop(p, old);
	}
	return r;
}

static int check_resources(struct pctx *p, struct json_object *res)
{
	static const struct rfield dev_f[] = {{"allow", RK_BOOL}, {"type", RK_STR}, {"major", RK_I64},
					      {"minor", RK_I64}, {"access", RK_STR}};
	static const struct rfield mem_f[] = {{"limit", RK_I64},	 {"reservation", RK_I64},
					      {"swap", RK_I64},		 {"kernel", RK_I64},
					      {"kernelTCP", RK_I64},	 {"swappiness", RK_U64},
					      {"disableOOMKiller", RK_BOOL}, {"useHierarchy", RK_BOOL},
					      {"checkBeforeUpdate", RK_BOOL}};
	static const struct rfield cpu_f[] = {{"shares", RK_U64}, {"quota", RK_I64},	  {"burst", RK_U64},
					      {"period", RK_U64}, {"realtimeRuntime", RK_I64},
					      {"realtimePeriod", RK_U64}, {"cpus", RK_STR}, {"mems", RK_STR},
					      {"idle", RK_I64}};
	static const struct rfield pids_f[] = {{"limit", RK_I64}};
	static const struct rfield blkio_f[] = {{"weight", RK_U16}, {"leafWeight", RK_U16}};
	static const struct rfield wdev_f[] = {{"major", RK_I64}, {"minor", RK_I64}, {"weight", RK_U16},
					       {"leafWeight", RK_U16}};
	static const struct rfield rate_f[] = {{"major", RK_I64}, {"minor", RK_I64}, {"rate", RK_U64}};
	static const struct rfield huge_f[] = {{"pageSize", RK_STR}, {"limit", RK_U64}};
	static const struct rfield net_f[] = {{"classID", RK_U64}};
	static const struct rfield prio_f[] = {{"name", RK_STR}, {"priority", RK_U64}};
	static const struct rfield rdma_f[] = {{"hcaHandles", RK_U64}, {"hcaObjects", RK_U64}};
	static const char *const mm_req[] = {"major", "minor", NULL};
	static const char *const rate_req[] = {"major", "minor", "rate", NULL};
	static const char *const huge_req[] = {"pageSize", "limit", NULL};

	struct json_object *sub, *arr;
	int r = opt_array(p, res, "devices", &arr);
	if (r == 0 && arr) {
		size_t old = push_key(p, "devices");
		for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
			struct json_object *e = json_object_array_get_idx(arr, i);
			size_t old2 = push_idx(p, i);
			r = want_type(p, e, json_type_object, "an object");
			if (r == 0)
				r = check_fields(p, e, dev_f, CTR_ARRAY_SIZE(dev_f));
			if (r == 0)
				r = check_device_cgroup_rule(p, e);
			pop(p, old2);
		}
		pop(p, old);
	}
	if (r == 0)
		r = check_sub(p, res, "memory", mem_f, CTR_ARRAY_SIZE(mem_f), &sub);
	if (r == 0)
		r = check_sub(p, res, "cpu", cpu_f, CTR_ARRAY_SIZE(cpu_f), &sub);
	if (r == 0)
		r = check_sub(p, res, "pids", pids_f, CTR_ARRAY_SIZE(pids_f), &sub);
	if (r == 0 && sub && !field(sub, "limit")) {
		size_t old = push_key(p, "pids");
		r = missing(p, "limit");
		pop(p, old);
	}
	if (r == 0)
		r = check_sub(p, res, "blockIO", blkio_f, CTR_ARRAY_SIZE(blkio_f), &sub);
	if (r == 0 && sub) {
		size_t old = push_key(p, "blockIO");
		static const char *const throttles[] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
							"throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
		r = check_object_array(p, sub, "weightDevice", wdev_f, CTR_ARRAY_SIZE(wdev_f), mm_req);
		for (size_t i = 0; i < CTR_ARRAY_SIZE(throttles) && r == 0; i++)
			r = check_object_array(p, sub, throttles[i], rate_f, CTR_ARRAY_SIZE(rate_f), rate_req);
		pop(p, old);
	}
	if (r == 0)
		r = check_object_array(p, res, "hugepageLimits", huge_f, CTR_ARRAY_SIZE(huge_f), huge_req);
	if (r == 0)
		r = check_sub(p, res, "network", net_f, CTR_ARRAY_SIZE(net_f), &sub);
	if (r == 0 && sub) {
		size_t old = push_key(p, "network");
		r = check_object_array(p, sub, "priorities", prio_f, CTR_ARRAY_SIZE(prio_f), NULL);
		pop(p, old);
	}
	if (r == 0)
		r = opt_object(p, res, "rdma", &sub);
	if (r == 0 && sub) {
		size_t old = push_key(p, "rdma");
		json_object_object_foreach(sub, k, v)
		{
			size_t old2 = push_map_key(p, k);
			r = want_type(p, v, json_type_object, "an object");
			if (r == 0)
				r = check_fields(p, v, rdma_f, CTR_ARRAY_SIZE(rdma_f));
			pop(p, old2);
			if (r < 0)
				break;
		}
		pop(p, old);
	}
	if (r == 0)
		r = opt_object(p, res, "unified", &sub);
	if (r == 0 && sub) {
		size_t old = push_key(p, "unified");
		json_object_object_foreach(sub, k, v)
		{
			size_t old2 = push_map_key(p, k);
			r = want_type(p, v, json_type_string, "a string");
			pop(p, old2);
			if (r < 0)
				break;
		}
		pop(p, old);
	}
	return r;
}

int oci_resources_check(struct json_object *res, const char *name, bool strict, ctr_error **err)
{
	struct pctx p = {.name = name ? name : "resources", .err = err, .strict = strict};
	if (!res || !json_object_is_type(res, json_type_object))
		return perr(&p, "expected a JSON object (a runtime-spec linux.resources), got %s",
			    res ? spec_json_type_name(res) : "nothing");
	int r = check_resources(&p, res);
	if (r == 0)
		r = strict_resources(&p, res);
	return r;
}

static bool has_ns(const struct oci_linux *l, enum oci_ns_type t, bool new_only)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == t)
			return !new_only || !l->namespaces[i].path;
	return false;
}

static int parse_sysctl(struct pctx *p, struct json_object *lo, struct oci_linux *l);

/*
 * A network interface name as the kernel takes it (dev_valid_name): 1 to 15
 * bytes, not "." or "..", no '/', ':' or white space; with a template, one
 * "%d" (dev_alloc_name) and no other '%'.
 */
static int check_ifname(struct pctx *p, const char *s, bool template)
{
	const char *pct = strchr(s, '%');
	bool bad = !*s || strlen(s) >= 16 || !strcmp(s, ".") || !strcmp(s, "..");
	for (const char *c = s; *c && !bad; c++)
		bad = *c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r');
	if (pct && (!template || pct[1] != 'd' || strchr(pct + 2, '%')))
		bad = true;
	if (bad)
		return perr(p, "'%s' is not a network interface name: 1 to 15 characters, not \".\" or \"..\", "
			    "without '/', ':' or spaces%s", s,
			    template ? "; \"%d\" once, for the kernel to number it" : "");
	return 0;
}

/* linux.netDevices (runtime-spec 1.3.0): host interface -> name in the container, sorted by host name */
static int parse_net_devices(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	struct json_object *o;
	int r = opt_object(p, lo, "netDevices", &o);
	if (r < 0 || !o)
		return r;
	size_t n = (size_t)json_object_object_length(o);
	if (n == 0)
		return 0;
	if (!(l->net_devices = calloc(n, sizeof(*l->net_devices))))
		return nomem(p);
	size_t old = push_key(p, "netDevices");
	json_object_object_foreach(o, k, v)
	{
		size_t old2 = push_map_key(p, k);
		struct oci_net_device *d = &l->net_devices[l->n_net_devices];
		r = check_ifname(p, k, false);
		if (r == 0)
			r = want_type(p, v, json_type_object, "an object");
		if (r == 0 && !(d->host_name = strdup(k)))
			r = nomem(p);
		if (r == 0) {
			l->n_net_devices++;
			r = opt_str(p, v, "name", &d->name);
		}
		if (r == 0 && d->name) {
			size_t old3 = push_key(p, "name");
			r = check_ifname(p, d->name, true);
			pop(p, old3);
		}
		if (r == 0 && !d->name && !(d->name = strdup(k)))
			r = nomem(p);
		pop(p, old2);
		if (r < 0)
			break;
	}
	/* two devices may not ask for the same (literal) name */
	for (size_t i = 0; r == 0 && i < l->n_net_devices; i++)
		for (size_t j = i + 1; r == 0 && j < l->n_net_devices; j++)
			if (!strcmp(l->net_devices[i].name, l->net_devices[j].name) &&
			    !strstr(l->net_devices[i].name, "%d"))
				r = perr(p, "'%s' and '%s' both become '%s' in the container: give them different names "
					 "(or a \"%%d\" template)", l->net_devices[i].host_name,
					 l->net_devices[j].host_name, l->net_devices[i].name);
	pop(p, old);
	/* sorted by host name, so the order of the moves does not depend on the JSON's */
	for (size_t a2 = 1; r == 0 && a2 < l->n_net_devices; a2++) {
		struct oci_net_device t = l->net_devices[a2];
		size_t b = a2;
		while (b > 0 && strcmp(l->net_devices[b - 1].host_name, t.host_name) > 0) {
			l->net_devices[b] = l->net_devices[b - 1];
			b--;
		}
		l->net_devices[b] = t;
	}
	return r;
}

static int parse_linux(struct pctx *p, struct json_object *root, struct oci_config *cfg)
{
	struct json_object *lo;
	int r = opt_object(p, root, "linux", &lo);
	if (r < 0 || !lo)
		return r;
	cfg->has_linux = true;
	struct oci_linux *l = &cfg->linux_;
	size_t old = push_key(p, "linux");
	r = parse_namespaces(p, lo, l);
	if (r == 0)
		r = parse_id_mappings(p, lo, "uidMappings", &l->uid_mappings, &l->n_uid_mappings);
	if (r == 0)
		r = parse_id_mappings(p, lo, "gidMappings", &l->gid_mappings, &l->n_gid_mappings);
	if (r == 0 && (l->n_uid_mappings || l->n_gid_mappings) && !has_ns(l, OCI_NS_USER, false))
		r = perr_at(p, l->n_uid_mappings ? "uidMappings" : "gidMappings",
			    "id mappings need a user namespace: add {\"type\": \"user\"} to linux.namespaces");
	if (r == 0)
		r = parse_devices(p, lo, l);
	if (r == 0)
		r = opt_str(p, lo, "cgroupsPath", &l->cgroups_path);
	struct json_object *res;
	if (r == 0)
		r = opt_object(p, lo, "resources", &res);
	if (r == 0 && res) {
		size_t old2 = push_key(p, "resources");
		r = check_resources(p, res);
		pop(p, old2);
		/*
		 * A deep copy, not a reference: the typed view then outlives
		 * later edits of the spec, and validating a const spec from
		 * several threads does not touch json-c's non-atomic refcounts.
		 */
		if (r == 0 && (json_object_deep_copy(res, &l->resources, NULL) < 0 || !l->resources))
			r = nomem(p);
	}
	if (r == 0)
		r = parse_sysctl(p, lo, l);
	if (r == 0)
		r = parse_seccomp(p, lo, l);
	if (r == 0)
		r = parse_rootfs_propagation(p, lo, l);
	if (r == 0)
		r = opt_strv(p, lo, "maskedPaths", &l->masked_paths, &l->n_masked_paths, check_abs_cb, NULL);
	if (r == 0)
		r = opt_strv(p, lo, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths, check_abs_cb, NULL);
	if (r == 0)
		r = opt_str(p, lo, "mountLabel", &l->mount_label);
	if (r == 0)
		r = parse_personality(p, lo, l);
	if (r == 0)
		r = parse_time_offsets(p, lo, l);
	if (r == 0 && l->n_time_offsets && !has_ns(l, OCI_NS_TIME, true))
		r = perr_at(p, "timeOffsets", "time offsets need a new time namespace: add {\"type\": \"time\"} "
			    "(without a path) to linux.namespaces");
	if (r == 0)
		r = parse_intel_rdt(p, lo, l);
	if (r == 0)
		r = parse_memory_policy(p, lo, l);
	if (r == 0)
		r = parse_net_devices(p, lo, l);
	pop(p, old);
	return r;
}

static int parse_sysctl(struct pctx *p, struct json_object *lo, struct oci_linux *l)
{
	char **keys = NULL, **vals = NULL;
	size_t n = 0;
	int r = parse_string_map(p, lo, "sysctl", &keys, &vals, &n);
	if (r == 0 && n) {
		l->sysctl = calloc(n, sizeof(*l->sysctl));
		if (!l->sysctl)
			r = nomem(p);
	}
	if (r == 0) {
		for (size_t i = 0; i < n; i++) {
			l->sysctl[i].key = keys[i];
			l->sysctl[i].value = vals[i];
		}
		l->n_sysctl = n;
	} else {
		for (size_t i = 0; i < n; i++) {
			free(keys[i]);
			free(vals[i]);
		}
	}
	free(keys);
	free(vals);
	return r;
}

int oci_config_from_spec(const ctr_spec *spec, struct oci_config **out, ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "oci_config_from_spec: out is NULL");
	*out = NULL;
	if (!spec)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "oci_config_from_spec: spec is NULL");
	struct json_object *root = ctr_spec_json(spec);
	struct pctx p = {.name = ctr_spec_name(spec), .err = err};
	struct pctx *pp = &p;
	if (!json_object_is_type(root, json_type_object))
		return perr(pp, "expected a JSON object at the top level, got %s", spec_json_type_name(root));
	struct oci_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return ctr_err_nomem(err);

	int r = req_str(pp, root, "ociVersion", &cfg->oci_version);
	if (r == 0) {
		size_t old = push_key(pp, "ociVersion");
		r = check_oci_version(pp, cfg->oci_version);
		pop(pp, old);
	}
	struct json_object *ro = NULL;
	if (r == 0)
		r = opt_object(pp, root, "root", &ro);
	if (r == 0 && !ro)
		r = perr(pp, "root: required field is missing: on Linux the config names the container's root "
			 "filesystem, e.g. \"root\": {\"path\": \"rootfs\"}");
	if (r == 0) {
		size_t old = push_key(pp, "root");
		r = req_str(pp, ro, "path", &cfg->root_path);
		if (r == 0 && !cfg->root_path[0])
			r = perr_at(pp, "path", "empty: give the rootfs directory, relative to the bundle or "
				    "absolute");
		if (r == 0)
			r = opt_bool(pp, ro, "readonly", &cfg->root_readonly, NULL);
		pop(pp, old);
	}
	if (r == 0)
		r = parse_mounts(pp, root, cfg);
	struct json_object *po = NULL;
	if (r == 0)
		po = field(root, "process");
	if (r == 0 && po) {
		cfg->process = calloc(1, sizeof(*cfg->process));
		if (!cfg->process) {
			r = nomem(pp);
		} else {
			size_t old = push_key(pp, "process");
			r = parse_process_body(pp, po, cfg->process);
			pop(pp, old);
		}
	}
	if (r == 0)
		r = opt_str(pp, root, "hostname", &cfg->hostname);
	if (r == 0)
		r = opt_str(pp, root, "domainname", &cfg->domainname);
	if (r == 0)
		r = parse_hooks(pp, root, &cfg->hooks);
	if (r == 0)
		r = parse_string_map(pp, root, "annotations", &cfg->annotation_keys, &cfg->annotation_values,
				     &cfg->n_annotations);
	if (r == 0)
		r = parse_linux(pp, root, cfg);
	/*
	 * Setting hostname/domainname without a UTS namespace of the
	 * container's would rename the host: an error.  A UTS namespace
	 * joined by path counts, as with runc: CRI engines put every
	 * container of a pod in the sandbox's UTS namespace and still set
	 * the (same) hostname in each container's config.
	 */
	if (r == 0 && version_newer(cfg->oci_version))
		r = check_known_fields(pp, root, kf_config, cfg->oci_version);
	static const char *const uts_keys[] = {"hostname", "domainname"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(uts_keys) && r == 0; i++) {
		const char *v = i ? cfg->domainname : cfg->hostname;
		if (v && *v && !has_ns(&cfg->linux_, OCI_NS_UTS, false))
			r = perr_at(pp, uts_keys[i], "setting the %s needs a UTS namespace of the container's, or "
				    "it would change the host's: add {\"type\": \"uts\"} to linux.namespaces, or "
				    "remove %s", uts_keys[i], uts_keys[i]);
	}
	if (r < 0) {
		oci_config_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

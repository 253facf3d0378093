/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GPU requests: Docker's --gpus syntax and NVIDIA's image variables
 * (NVIDIA_VISIBLE_DEVICES, NVIDIA_DRIVER_CAPABILITIES), resolved into the
 * devices of one backend with the driver capabilities as options.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel-internal.h"
#include "spec/oci.h"

#define GPUS_MAX_TEXT 4096

static const struct {
	const char *name;
	unsigned cap;
} cap_names[] = {
	{ "compute", CTR_GPU_CAP_COMPUTE }, { "utility", CTR_GPU_CAP_UTILITY }, { "graphics", CTR_GPU_CAP_GRAPHICS },
	{ "video", CTR_GPU_CAP_VIDEO },     { "display", CTR_GPU_CAP_DISPLAY }, { "compat32", CTR_GPU_CAP_COMPAT32 },
	{ "ngx", CTR_GPU_CAP_NGX },
};

/* The backends --gpus may name, with their kinds; without a driver, the first with devices wins. */
static const struct {
	const char *driver;
	const char *kind;
} gpu_kinds[] = {
	{ "nvidia", "nvidia.com/gpu" }, { "amd", "amd.com/gpu" },	     { "dxg", "dxg/gpu" },
	{ "virtio-gpu", "virtio-gpu/gpu" }, { "dri", "dri/render" },
};

static bool bad_char(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

int accel_caps_parse(const char *s, size_t len, const char *where, unsigned *out, ctr_error **err)
{
	unsigned caps = 0;
	size_t i = 0;

	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		/* the toolkit trims each entry and skips empty ones */
		size_t a = i, b = j;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (b > a) {
			bool known = false;
			if (b - a == 3 && memcmp(s + a, "all", 3) == 0) {
				caps |= CTR_GPU_CAP_ALL;
				known = true;
			}
			for (size_t k = 0; !known && k < CTR_ARRAY_SIZE(cap_names); k++)
				if (strlen(cap_names[k].name) == b - a && memcmp(s + a, cap_names[k].name, b - a) == 0) {
					caps |= cap_names[k].cap;
					known = true;
				}
			if (!known && bad_char(s + a, b - a))
				return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: control characters in a driver capability", where);
			if (!known)
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "%s: unknown driver capability '%.*s': use all, compute, utility, graphics, video, display, compat32 or ngx",
					       where, (int)(b - a > 64 ? 64 : b - a), s + a);
		}
		i = j + 1;
	}
	*out = caps;
	return 0;
}

/* ---- the request object ---- */

static ctr_gpu_request *request_new(void)
{
	ctr_gpu_request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->devices = calloc(1, sizeof(char *));
	if (!r->devices) {
		free(r);
		return NULL;
	}
	r->caps = CTR_GPU_CAP_DEFAULT;
	return r;
}

CTR_EXPORT void ctr_gpu_request_free(ctr_gpu_request *req)
{
	if (!req)
		return;
	ctr_strv_free(req->devices);
	ctr_strv_free(req->options);
	free(req->driver);
	free(req);
}

CTR_EXPORT int ctr_gpu_request_count(const ctr_gpu_request *req)
{
	return req ? req->count : 0;
}

CTR_EXPORT const char *const *ctr_gpu_request_devices(const ctr_gpu_request *req)
{
	static const char *const none[] = { NULL };

	return req && req->devices ? (const char *const *)req->devices : none;
}

CTR_EXPORT const char *ctr_gpu_request_driver(const ctr_gpu_request *req)
{
	return req ? req->driver : NULL;
}

CTR_EXPORT unsigned ctr_gpu_request_capabilities(const ctr_gpu_request *req)
{
	return req ? req->caps : 0;
}

/* ---- Docker's --gpus ---- */

/*
 * The next CSV field of s[*at..len) into a malloc'ed string, as Go's
 * encoding/csv reads it: a quoted field ("a,b", with "" for a quote) or a
 * plain one without quotes.  *quoted tells which.
 */
static int csv_field(const char *s, size_t len, size_t *at, char **out, bool *quoted, ctr_error **err)
{
	size_t i = *at, n = 0;
	char *f = malloc(len - i + 1);

	if (!f)
		return ctr_err_nomem(err);
	*quoted = i < len && s[i] == '"';
	if (*quoted) {
		for (i++;; i++) {
			if (i >= len) {
				free(f);
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "--gpus: a quoted field has no closing quote: write \"device=0,2\" with both quotes");
			}
			if (s[i] == '"') {
				if (i + 1 < len && s[i + 1] == '"') {
					f[n++] = '"';
					i++;
					continue;
				}
				i++;
				break;
			}
			f[n++] = s[i];
		}
		if (i < len && s[i] != ',') {
			free(f);
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "--gpus: text after the closing quote of a field: quote the whole field, e.g. \"capabilities=compute,utility\"");
		}
	} else {
		for (; i < len && s[i] != ','; i++) {
			if (s[i] == '"') {
				free(f);
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "--gpus: a quote inside a field: quote the whole field instead, e.g. \"device=0,2\"");
			}
			f[n++] = s[i];
		}
	}
	f[n] = '\0';
	*at = i < len ? i + 1 : len + 1; /* past the comma; len + 1: no more fields */
	*out = f;
	return 0;
}

static int parse_count(const char *v, int *out, ctr_error **err)
{
	char *end;
	long n;

	if (strcmp(v, "all") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n > INT_MAX || n < INT_MIN || v[0] == ' ' || v[0] == '\t')
		return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: invalid count '%s': give all or a number", v);
	*out = n < 0 ? -1 : (int)n;
	return 0;
}

/* Split a list value on commas into *v; empty items are refused. */
static int add_list(char ***v, const char *val, const char *what, ctr_error **err)
{
	const char *s = val;

	for (;;) {
		size_t n = strcspn(s, ",");
		char *item;
		if (n == 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: an empty %s in '%s'", what, val);
		item = strndup(s, n);
		if (!item || strv_append(v, item) < 0) {
			free(item);
			return ctr_err_nomem(err);
		}
		free(item);
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

/* Docker's capability names: the driver capabilities, and gpu/nvidia/amd that pick a driver. */
static int add_caps(ctr_gpu_request *req, char **names, ctr_error **err)
{
	for (size_t i = 0; names && names[i]; i++) {
		const char *c = names[i];
		const char *drv = strcmp(c, "nvidia") == 0 ? "nvidia" : strcmp(c, "amd") == 0 ? "amd" : NULL;
		unsigned m;
		int r;

		if (strcmp(c, "gpu") == 0)
			continue;
		if (drv) {
			if (req->driver && strcmp(req->driver, drv) != 0)
				return ctr_err(err, EINVAL, CTR_E_INVALID,
					       "--gpus: capability %s asks for driver %s, but the request names driver %s", c, drv,
					       req->driver);
			if (!req->driver && !(req->driver = strdup(drv)))
				return ctr_err_nomem(err);
			continue;
		}
		if ((r = accel_caps_parse(c, strlen(c), "--gpus capabilities", &m, err)) < 0)
			return r;
		if (!m)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: a blank capability in capabilities=");
		req->caps = req->caps_given ? req->caps | m : m;
		req->caps_given = true;
	}
	return 0;
}

CTR_EXPORT int ctr_gpu_request_parse(const char *buf, size_t len, ctr_gpu_request **out, ctr_error **err)
{
	ctr_gpu_request *req = NULL;
	char **caps = NULL, *field = NULL, **keys_seen = NULL;
	size_t at = 0;
	bool count_seen = false;
	const char *list = NULL; /* the list key a bare field continues */
	int r = 0;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_gpu_request_parse: NULL argument");
	*out = NULL;
	if (!buf || len == 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: empty request: give all, a number, or device=ID");
	if (len > GPUS_MAX_TEXT)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: request longer than %d bytes", GPUS_MAX_TEXT);
	if (bad_char(buf, len) || memchr(buf, '\0', len))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: control characters in the request");
	if (!(req = request_new()))
		return ctr_err_nomem(err);
	while (r == 0 && at <= len) {
		bool quoted;
		char *eq, *key, *val;

		if ((r = csv_field(buf, len, &at, &field, &quoted, err)) < 0)
			break;
		eq = strchr(field, '=');
		if (!eq && list) {
			/* device=0,2 without quotes: the bare field continues the list */
			r = strcmp(list, "device") == 0 ? add_list(&req->devices, field, "device id", err)
							: add_list(&caps, field, "capability", err);
			free(field);
			field = NULL;
			continue;
		}
		key = field;
		val = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		/* Docker's rule: a key (a bare field is its own key) once; a bare field counts as count= */
		if (accel_strv_contains(keys_seen, key) || (eq && strcmp(key, "count") == 0 && count_seen)) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: '%s' can be given only once", key);
			break;
		}
		if (strv_append(&keys_seen, key) < 0) {
			r = ctr_err_nomem(err);
			break;
		}
		if (!eq)
			key = (char *)"count";
		list = NULL;
		if (strcmp(key, "count") == 0) {
			r = parse_count(val ? val : field, &req->count, err);
			count_seen = true;
		} else if (strcmp(key, "driver") == 0) {
			if (!*val || bad_char(val, strlen(val)))
				r = ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: empty driver: name nvidia, amd, dxg, virtio-gpu or dri");
			else if (req->driver && strcmp(req->driver, val) != 0)
				r = ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: driver=%s, but a capability asks for %s", val,
					    req->driver);
			else if (!req->driver && !(req->driver = strdup(val)))
				r = ctr_err_nomem(err);
		} else if (strcmp(key, "device") == 0) {
			r = add_list(&req->devices, val, "device id", err);
			list = "device";
		} else if (strcmp(key, "capabilities") == 0) {
			r = add_list(&caps, val, "capability", err);
			list = "capabilities";
		} else if (strcmp(key, "options") == 0) {
			r = add_list(&req->options, val, "option", err);
			for (size_t i = 0; r == 0 && req->options && req->options[i]; i++)
				if (!strchr(req->options[i], '='))
					r = ctr_err(err, EINVAL, CTR_E_INVALID, "--gpus: option '%s' is not KEY=VALUE",
						    req->options[i]);
		} else {
			r = ctr_err(err, EINVAL, CTR_E_INVALID,
				    "--gpus: unexpected key '%s': use count, device, driver, capabilities or options", key);
		}
		free(field);
		field = NULL;
	}
	free(field);
	ctr_strv_free(keys_seen);
	if (r == 0)
		r = add_caps(req, caps, err);
	ctr_strv_free(caps);
	if (r == 0 && count_seen && req->devices[0])
		r = ctr_err(err, EINVAL, CTR_E_INVALID,
			    "--gpus: give either a count or device=ID, not both (as Docker: cannot set both Count and DeviceIDs)");
	if (r < 0) {
		ctr_gpu_request_free(req);
		return r;
	}
	if (!count_seen && !req->devices[0])
		req->count = 1;
	req->void_ = count_seen && req->count == 0;
	*out = req;
	return 0;
}

/* ---- NVIDIA_VISIBLE_DEVICES ---- */

CTR_EXPORT int ctr_gpu_request_from_env(const char *visible, const char *capabilities, ctr_gpu_request **out,
					ctr_error **err)
{
	ctr_gpu_request *req;
	int r = 0;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_gpu_request_from_env: NULL argument");
	*out = NULL;
	if (!visible)
		return 0;
	if (strlen(visible) > GPUS_MAX_TEXT || bad_char(visible, strlen(visible)))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "NVIDIA_VISIBLE_DEVICES: too long or with control characters");
	if (!(req = request_new()) || !(req->driver = strdup("nvidia"))) {
		ctr_gpu_request_free(req);
		return ctr_err_nomem(err);
	}
	if (strcmp(visible, "all") == 0)
		req->count = -1;
	else if (strcmp(visible, "none") == 0)
		req->none = true;
	else if (!*visible || strcmp(visible, "void") == 0)
		req->void_ = true;
	else if ((r = add_list(&req->devices, visible, "device id", err)) < 0)
		ctr_err_prefix(err, "NVIDIA_VISIBLE_DEVICES=%s", visible);
	if (r == 0 && capabilities && *capabilities) {
		unsigned m;
		if (strlen(capabilities) > GPUS_MAX_TEXT)
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "NVIDIA_DRIVER_CAPABILITIES: too long");
		else if ((r = accel_caps_parse(capabilities, strlen(capabilities), "NVIDIA_DRIVER_CAPABILITIES", &m, err)) == 0 && m) {
			req->caps = m;
			req->caps_given = true;
		}
	}
	if (r < 0) {
		ctr_gpu_request_free(req);
		return r;
	}
	*out = req;
	return 0;
}

/* ---- the canonical text ---- */

/* Append a CSV field, quoted when it holds a comma or a quote. */
static void put_field(FILE *f, bool *first, const char *text)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	if (!strpbrk(text, ",\"")) {
		fputs(text, f);
		return;
	}
	fputc('"', f);
	for (const char *c = text; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

static int join_field(FILE *f, bool *first, const char *key, char *const *items)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);

	if (!m)
		return -ENOMEM;
	fprintf(m, "%s=", key);
	for (size_t i = 0; items && items[i]; i++)
		fprintf(m, "%s%s", i ? "," : "", items[i]);
	if (fclose(m) != 0) {
		free(s);
		return -ENOMEM;
	}
	put_field(f, first, s);
	free(s);
	return 0;
}

CTR_EXPORT int ctr_gpu_request_format(const ctr_gpu_request *req, char **out, ctr_error **err)
{
	char *s = NULL, **caps = NULL;
	size_t n = 0;
	bool first = true;
	FILE *f;
	int r = 0;

	if (!req || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_gpu_request_format: NULL argument");
	if (!(f = open_memstream(&s, &n)))
		return ctr_err_nomem(err);
	if (req->devices[0])
		r = join_field(f, &first, "device", req->devices);
	else if (req->count < 0)
		put_field(f, &first, "count=all");
	else {
		char c[32];
		snprintf(c, sizeof(c), "count=%d", req->void_ || req->none ? 0 : req->count);
		put_field(f, &first, c);
	}
	if (r == 0 && req->driver) {
		char *d = NULL;
		if (asprintf(&d, "driver=%s", req->driver) < 0)
			r = -ENOMEM;
		else
			put_field(f, &first, d);
		free(d);
	}
	if (r == 0 && req->caps_given) {
		if (req->caps == CTR_GPU_CAP_ALL)
			r = strv_append(&caps, "all");
		for (size_t i = 0; r == 0 && req->caps != CTR_GPU_CAP_ALL && i < CTR_ARRAY_SIZE(cap_names); i++)
			if (req->caps & cap_names[i].cap)
				r = strv_append(&caps, cap_names[i].name);
		if (r == 0)
			r = join_field(f, &first, "capabilities", caps);
	}
	if (r == 0 && req->options)
		r = join_field(f, &first, "options", req->options);
	ctr_strv_free(caps);
	if (fclose(f) != 0 || r < 0 || !s) {
		free(s);
		return ctr_err_nomem(err);
	}
	*out = s;
	return 0;
}

/* ---- resolution ---- */

static bool is_index(const char *name)
{
	return *name && strspn(name, "0123456789") == strlen(name) && strlen(name) < 9;
}

/* The kind a request's driver names, or the first kind with devices. */
static int pick_kind(ctr_accel_registry *reg, const ctr_gpu_request *req, const char **kind, ctr_error **err)
{
	if (req->driver) {
		for (size_t i = 0; i < CTR_ARRAY_SIZE(gpu_kinds); i++)
			if (strcmp(req->driver, gpu_kinds[i].driver) == 0 || strcmp(req->driver, gpu_kinds[i].kind) == 0) {
				*kind = gpu_kinds[i].kind;
				return 0;
			}
		/* a CDI kind (vendor/class) names itself */
		if (strchr(req->driver, '/')) {
			*kind = req->driver;
			return 0;
		}
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "--gpus: unknown driver '%s': use nvidia, amd, dxg, virtio-gpu, dri, or a CDI kind such as vendor.com/gpu",
			       req->driver);
	}
	for (size_t i = 0; i < CTR_ARRAY_SIZE(gpu_kinds); i++)
		for (size_t k = 0; k < reg->n_devs; k++)
			if (strcmp(reg->devs[k]->kind, gpu_kinds[i].kind) == 0) {
				*kind = gpu_kinds[i].kind;
				return 0;
			}
	return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
		       "--gpus: no GPU on this host (no NVIDIA, AMD, WSL, virtio-gpu or DRI device): `ctr-demo devices` lists what there is");
}

static int cmp_index(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '='), *y = strrchr(*(char *const *)b, '=');

	return atoi(x + 1) - atoi(y + 1);
}

/* The device names a request gives for kind. */
static int pick_devices(ctr_accel_registry *reg, const ctr_gpu_request *req, const char *kind, char ***names,
			ctr_error **err)
{
	char **idx = NULL, *all = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t k = 0; k < reg->n_devs; k++) {
		const struct ctr_accel_device *d = reg->devs[k];
		if (strcmp(d->kind, kind) != 0)
			continue;
		if (strcmp(d->name, "all") == 0)
			all = d->qualified;
		else if (is_index(d->name) && (r = strv_append(&idx, d->qualified)) < 0)
			goto nomem;
	}
	n = ctr_strv_len((const char *const *)idx);
	if (n > 1)
		qsort(idx, n, sizeof(*idx), cmp_index);
	if (req->devices[0]) {
		for (size_t i = 0; req->devices[i]; i++)
			if (strv_appendf(names, "%s=%s", kind, req->devices[i]) < 0)
				goto nomem;
	} else if (req->count < 0) {
		if (all)
			r = strv_append(names, all);
		for (size_t i = 0; r == 0 && !all && i < n; i++)
			r = strv_append(names, idx[i]);
		if (r < 0)
			goto nomem;
		if (!*names)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "--gpus: no %s device on this host", kind);
	} else if (req->count > 0) {
		if ((size_t)req->count > n) {
			r = n == 0 && all ? ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
						    "--gpus: %s gives its GPUs only as a whole (%s): ask for all", kind, all)
					  : ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
						    "--gpus: %d GPU(s) asked for, this host has %zu of kind %s", req->count, n, kind);
		}
		for (size_t i = 0; r == 0 && i < (size_t)req->count; i++)
			if (strv_append(names, idx[i]) < 0)
				goto nomem;
	}
	ctr_strv_free(idx);
	return r;
nomem:
	ctr_strv_free(idx);
	return ctr_err_nomem(err);
}

CTR_EXPORT int ctr_accel_registry_gpu_edits(ctr_accel_registry *reg, const ctr_gpu_request *req,
					    ctr_container_edits **out, char ***devices, ctr_error **err)
{
	struct accel_opts o = { .caps = req ? req->caps : 0, .caps_given = true };
	const char *kind = NULL, *extra[2] = { NULL, NULL };
	char **names = NULL;
	int r;

	if (!reg || !req || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_gpu_edits: NULL argument");
	if (devices)
		*devices = NULL;
	if (req->void_) {
		/* no GPU, no driver */
		if (devices && !(*devices = calloc(1, sizeof(char *))))
			return ctr_err_nomem(err);
		if ((r = ctr_container_edits_new(out, err)) < 0 && devices) {
			free(*devices);
			*devices = NULL;
		}
		return r;
	}
	if ((r = pick_kind(reg, req, &kind, err)) < 0)
		return r;
	if (req->none)
		extra[0] = kind;
	else if ((r = pick_devices(reg, req, kind, &names, err)) < 0)
		return r;
	r = accel_registry_resolve(reg, (const char *const *)names, extra, &o, out, err);
	if (r == 0 && devices) {
		*devices = names ? names : calloc(1, sizeof(char *));
		names = NULL;
		if (!*devices) {
			ctr_container_edits_free(*out);
			*out = NULL;
			r = ctr_err_nomem(err);
		}
	}
	ctr_strv_free(names);
	return r;
}

CTR_EXPORT int ctr_spec_add_gpus(ctr_spec *spec, ctr_accel_registry *reg, const ctr_gpu_request *req, ctr_error **err)
{
	ctr_container_edits *e = NULL;
	int r;

	if (!spec || !reg || !req)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_add_gpus: NULL argument");
	if ((r = ctr_accel_registry_gpu_edits(reg, req, &e, NULL, err)) < 0)
		return r;
	r = ctr_container_edits_apply(e, spec, err);
	ctr_container_edits_free(e);
	return r;
}

/* The value of name in process.env (the last one wins, as execve's reader sees it), or NULL. */
static const char *env_value(struct json_object *root, const char *name)
{
	struct json_object *proc, *env;
	const char *v = NULL;
	size_t l = strlen(name);

	if (!json_object_object_get_ex(root, "process", &proc) || !json_object_object_get_ex(proc, "env", &env) ||
	    !json_object_is_type(env, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
		if (kv && strncmp(kv, name, l) == 0 && kv[l] == '=')
			v = kv + l + 1;
	}
	return v;
}

CTR_EXPORT int ctr_accel_apply_gpu_env(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err)
{
	struct json_object *root;
	ctr_gpu_request *req = NULL;
	char *vis = NULL, *caps = NULL;
	const char *v;
	int r;

	if (!spec || !reg)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_apply_gpu_env: NULL argument");
	root = ctr_spec_json(spec);
	if (!(v = env_value(root, "NVIDIA_VISIBLE_DEVICES")))
		return 0;
	/* copies: applying the edits rewrites process.env */
	vis = strdup(v);
	v = env_value(root, "NVIDIA_DRIVER_CAPABILITIES");
	caps = v ? strdup(v) : NULL;
	if (!vis || (v && !caps)) {
		free(vis);
		free(caps);
		return ctr_err_nomem(err);
	}
	r = ctr_gpu_request_from_env(vis, caps, &req, err);
	if (r == 0 && req)
		r = ctr_spec_add_gpus(spec, reg, req, err);
	/* the values come from the image: echoed only when they hold no control characters */
	if (r < 0 && !bad_char(vis, strlen(vis)) && (!caps || !bad_char(caps, strlen(caps))) &&
	    strlen(vis) + (caps ? strlen(caps) : 0) < 512)
		ctr_err_prefix(err, "%s: process.env NVIDIA_VISIBLE_DEVICES=%s%s%s", ctr_spec_name(spec), vis,
			       caps ? " NVIDIA_DRIVER_CAPABILITIES=" : "", caps ? caps : "");
	else if (r < 0)
		ctr_err_prefix(err, "%s: process.env NVIDIA_VISIBLE_DEVICES", ctr_spec_name(spec));
	ctr_gpu_request_free(req);
	free(vis);
	free(caps);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container edits (CDI containerEdits) and applying them to a spec as the
 * CDI reference implementation does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "accel/accel-internal.h"
#include "spec/oci.h"

static const char *const edit_arrays[] = {
	"env", "deviceNodes", "mounts", "hooks", "additionalGids", "netDevices",
};

CTR_EXPORT int ctr_container_edits_new(ctr_container_edits **out, ctr_error **err)
{
	ctr_container_edits *e;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_new: out is NULL");
	e = calloc(1, sizeof(*e));
	if (!e)
		return ctr_err_nomem(err);
	e->obj = json_object_new_object();
	if (!e->obj) {
		free(e);
		return ctr_err_nomem(err);
	}
	*out = e;
	return 0;
}

CTR_EXPORT void ctr_container_edits_free(ctr_container_edits *edits)
{
	if (!edits)
		return;
	json_object_put(edits->obj);
	free(edits);
}

/* The array or object (t) under key; absent or of another type: a new empty one. NULL on ENOMEM. */
static struct json_object *get_typed(struct json_object *obj, const char *key, json_type t)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, t))
		return v;
	v = t == json_type_array ? json_object_new_array() : json_object_new_object();
	if (!v)
		return NULL;
	if (json_object_object_add(obj, key, v) < 0) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

static struct json_object *get_array(struct json_object *obj, const char *key)
{
	return get_typed(obj, key, json_type_array);
}

static struct json_object *get_object(struct json_object *obj, const char *key)
{
	return get_typed(obj, key, json_type_object);
}

/* Append val (reference taken over) to the array key of obj. */
static int append_owned(struct json_object *obj, const char *key, struct json_object *val)
{
	struct json_object *a;

	if (!val)
		return -ENOMEM;
	a = get_array(obj, key);
	if (!a || json_object_array_add(a, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int add_str(struct json_object *o, const char *key, const char *val)
{
	struct json_object *s = json_object_new_string(val);

	if (!s || json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

CTR_EXPORT int ctr_container_edits_add_env(ctr_container_edits *edits, const char *keyval, ctr_error **err)
{
	if (!edits || !keyval)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_add_env: NULL argument");
	if (!strchr(keyval, '=') || keyval[0] == '=')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "environment entry '%s' is not KEY=VALUE: give it as \"NAME=value\"", keyval);
	if (append_owned(edits->obj, "env", json_object_new_string(keyval)) < 0)
		return ctr_err_nomem(err);
	return 0;
}

static bool valid_permissions(const char *p)
{
	for (; *p; p++)
		if (*p != 'r' && *p != 'w' && *p != 'm')
			return false;
	return true;
}

CTR_EXPORT int ctr_container_edits_add_device_node(ctr_container_edits *edits, const char *path,
						   const char *host_path, const char *permissions,
						   ctr_error **err)
{
	struct json_object *d;

	if (!edits || !path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_add_device_node: NULL argument");
	if (path[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "device node path '%s' is not absolute: give the path in the container, e.g. /dev/dri/renderD128",
			       path);
	if (permissions && !valid_permissions(permissions))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "device node %s: permissions '%s' must be a subset of \"rwm\"", path, permissions);
	d = json_object_new_object();
	if (!d || add_str(d, "path", path) < 0 || (host_path && add_str(d, "hostPath", host_path) < 0) ||
	    (permissions && add_str(d, "permissions", permissions) < 0)) {
		json_object_put(d);
		return ctr_err_nomem(err);
	}
	if (append_owned(edits->obj, "deviceNodes", d) < 0)
		return ctr_err_nomem(err);
	return 0;
}

CTR_EXPORT int ctr_container_edits_add_mount(ctr_container_edits *edits, const char *host_path,
					     const char *container_path, const char *type,
					     const char *const *options, ctr_error **err)
{
	struct json_object *m;

	if (!edits || !host_path || !container_path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_add_mount: NULL argument");
	if (container_path[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID, "mount destination '%s' is not absolute",
			       container_path);
	m = json_object_new_object();
	if (!m || add_str(m, "hostPath", host_path) < 0 || add_str(m, "containerPath", container_path) < 0 ||
	    (type && add_str(m, "type", type) < 0)) {
		json_object_put(m);
		return ctr_err_nomem(err);
	}
	if (options) {
		struct json_object *o = oci_json_strv(options);
		if (!o || json_object_object_add(m, "options", o) < 0) {
			json_object_put(o);
			json_object_put(m);
			return ctr_err_nomem(err);
		}
	}
	if (append_owned(edits->obj, "mounts", m) < 0)
		return ctr_err_nomem(err);
	return 0;
}

static const char *const hook_names[] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static bool valid_hook_name(const char *n)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(hook_names); i++)
		if (strcmp(n, hook_names[i]) == 0)
			return true;
	return false;
}

CTR_EXPORT int ctr_container_edits_add_hook(ctr_container_edits *edits, const char *hook_name, const char *path,
					    const char *const *args, const char *const *env, int timeout,
					    ctr_error **err)
{
	struct json_object *h;

	if (!edits || !hook_name || !path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_add_hook: NULL argument");
	if (!valid_hook_name(hook_name))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "unknown hook name '%s': use prestart, createRuntime, createContainer, startContainer, poststart or poststop",
			       hook_name);
	if (path[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID, "hook path '%s' is not absolute", path);
	if (timeout < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "hook %s: timeout %d is negative", path, timeout);
	h = json_object_new_object();
	if (!h || add_str(h, "hookName", hook_name) < 0 || add_str(h, "path", path) < 0) {
		json_object_put(h);
		return ctr_err_nomem(err);
	}
	if (args && (json_object_object_add(h, "args", oci_json_strv(args)) < 0 ||
		     !json_object_object_get(h, "args"))) {
		json_object_put(h);
		return ctr_err_nomem(err);
	}
	if (env && (json_object_object_add(h, "env", oci_json_strv(env)) < 0 || !json_object_object_get(h, "env"))) {
		json_object_put(h);
		return ctr_err_nomem(err);
	}
	if (timeout > 0 && json_object_object_add(h, "timeout", json_object_new_int(timeout)) < 0) {
		json_object_put(h);
		return ctr_err_nomem(err);
	}
	if (append_owned(edits->obj, "hooks", h) < 0)
		return ctr_err_nomem(err);
	return 0;
}

CTR_EXPORT int ctr_container_edits_add_gid(ctr_container_edits *edits, unsigned gid, ctr_error **err)
{
	if (!edits)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_add_gid: NULL argument");
	if (append_owned(edits->obj, "additionalGids", json_object_new_int64(gid)) < 0)
		return ctr_err_nomem(err);
	return 0;
}

int edits_merge_json(ctr_container_edits *dst, struct json_object *src, const char *source, ctr_error **err)
{
	struct json_object *v;

	if (!src)
		return 0;
	for (size_t k = 0; k < CTR_ARRAY_SIZE(edit_arrays); k++) {
		if (!json_object_object_get_ex(src, edit_arrays[k], &v) || !json_object_is_type(v, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *c = NULL;
			if (json_object_deep_copy(json_object_array_get_idx(v, i), &c, NULL) < 0)
				return ctr_err_nomem(err);
			if (source && strcmp(edit_arrays[k], "deviceNodes") == 0 &&
			    json_object_is_type(c, json_type_object) &&
			    !json_object_object_get_ex(c, EDITS_SOURCE_KEY, NULL) && add_str(c, EDITS_SOURCE_KEY, source) < 0) {
				json_object_put(c);
				return ctr_err_nomem(err);
			}
			if (append_owned(dst->obj, edit_arrays[k], c) < 0)
				return ctr_err_nomem(err);
		}
	}
	if (json_object_object_get_ex(src, "intelRdt", &v) && v) {
		struct json_object *c = NULL;
		if (json_object_deep_copy(v, &c, NULL) < 0 || json_object_object_add(dst->obj, "intelRdt", c) < 0) {
			json_object_put(c);
			return ctr_err_nomem(err);
		}
	}
	return 0;
}

CTR_EXPORT int ctr_container_edits_append(ctr_container_edits *dst, const ctr_container_edits *src, ctr_error **err)
{
	if (!dst || !src)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_append: NULL argument");
	if (dst == src)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_append: dst and src are the same");
	return edits_merge_json(dst, src->obj, NULL, err);
}

CTR_EXPORT int ctr_container_edits_to_json(const ctr_container_edits *edits, char **out, ctr_error **err)
{
	struct json_object *c = NULL, *nodes;
	const char *s;
	char *r;

	if (!edits || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_to_json: NULL argument");
	if (json_object_deep_copy(edits->obj, &c, NULL) < 0)
		return ctr_err_nomem(err);
	if (json_object_object_get_ex(c, "deviceNodes", &nodes))
		for (size_t i = 0; i < json_object_array_length(nodes); i++)
			json_object_object_del(json_object_array_get_idx(nodes, i), EDITS_SOURCE_KEY);
	s = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = s ? strdup(s) : NULL;
	json_object_put(c);
	if (!r)
		return ctr_err_nomem(err);
	*out = r;
	return 0;
}

/* ---- apply ---- */

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static bool jhas(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v && !json_object_is_type(v, json_type_null);
}

static int apply_env(struct json_object *root, struct json_object *env)
{
	struct json_object *proc = get_object(root, "process"), *penv;

	if (!proc || !(penv = get_array(proc, "env")))
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
		size_t klen = strcspn(kv, "=");
		bool done = false;

		for (size_t j = 0; j < json_object_array_length(penv); j++) {
			const char *cur = json_object_get_string(json_object_array_get_idx(penv, j));
			if (cur && strncmp(cur, kv, klen) == 0 && (cur[klen] == '=' || cur[klen] == '\0')) {
				struct json_object *s = json_object_new_string(kv);
				if (!s || json_object_array_put_idx(penv, j, s) < 0) {
					json_object_put(s);
					return -ENOMEM;
				}
				done = true;
				break;
			}
		}
		if (!done && append_owned(proc, "env", json_object_new_string(kv)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Remove the elements of array a (under obj[key]) for which keep() is false. */
static int filter_array(struct json_object *obj, const char *key, bool (*drop)(struct json_object *, const void *),
			const void *arg)
{
	struct json_object *a, *n;

	if (!json_object_object_get_ex(obj, key, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	n = json_object_new_array();
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (drop(e, arg))
			continue;
		if (json_object_array_add(n, json_object_get(e)) < 0) {
			json_object_put(e);
			json_object_put(n);
			return -ENOMEM;
		}
	}
	if (json_object_object_add(obj, key, n) < 0) {
		json_object_put(n);
		return -ENOMEM;
	}
	return 0;
}

static bool same_path(struct json_object *e, const void *path)
{
	const char *p = jstr(e, "path");

	return p && strcmp(p, path) == 0;
}

static bool same_destination(struct json_object *e, const void *path)
{
	const char *p = jstr(e, "destination");

	return p && strcmp(p, path) == 0;
}

static int apply_device_node(struct json_object *root, struct json_object *dn, ctr_error **err)
{
	const char *path = jstr(dn, "path"), *host = jstr(dn, "hostPath"), *type = jstr(dn, "type");
	const char *perm = jstr(dn, "permissions"), *source = jstr(dn, EDITS_SOURCE_KEY);
	struct json_object *lin, *dev, *res, *rule, *v;
	int64_t major, minor;
	char t;
	uint32_t mode = 0;
	bool have_mode = false;

	if (!path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s%sdevice node without a path", source ? source : "",
			       source ? ": " : "");
	if (!host || !*host)
		host = path;
	t = type && *type ? type[0] : 0;
	if (json_object_object_get_ex(dn, "fileMode", &v) && json_object_is_type(v, json_type_int)) {
		mode = (uint32_t)json_object_get_int64(v);
		have_mode = true;
	}
	major = jhas(dn, "major") ? json_object_get_int64(json_object_object_get(dn, "major")) : 0;
	minor = jhas(dn, "minor") ? json_object_get_int64(json_object_object_get(dn, "minor")) : 0;
	/* The reference fills in what is missing from the host node; a node
	 * whose type and numbers are all given (or a fifo) is not stat'ed. */
	if (!(t && (major != 0 || t == 'p'))) {
		struct stat st;
		char ht;

		if (stat(host, &st) < 0)
			return ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
				       "%s%sdevice node %s: host node %s: %s: check that the driver is loaded, or fix hostPath in the spec",
				       source ? source : "", source ? ": " : "", path, host, strerror(errno));
		if (S_ISCHR(st.st_mode))
			ht = 'c';
		else if (S_ISBLK(st.st_mode))
			ht = 'b';
		else if (S_ISFIFO(st.st_mode))
			ht = 'p';
		else
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "%s%sdevice node %s: host path %s is not a device node", source ? source : "",
				       source ? ": " : "", path, host);
		if (t && !(t == 'u' && ht == 'c') && t != ht)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "%s%sdevice node %s: type '%c' given but host node %s is of type '%c'",
				       source ? source : "", source ? ": " : "", path, t, host, ht);
		if (!t)
			t = ht;
		if (ht != 'p') {
			major = major(st.st_rdev);
			minor = minor(st.st_rdev);
		}
		if (!have_mode) {
			mode = st.st_mode & 07777;
			have_mode = true;
		}
	}
	lin = get_object(root, "linux");
	if (!lin || filter_array(lin, "devices", same_path, path) < 0)
		return ctr_err_nomem(err);
	dev = json_object_new_object();
	if (!dev || add_str(dev, "path", path) < 0 || add_str(dev, "type", (char[]){ t, 0 }) < 0)
		goto nomem;
	if (t != 'p' && (json_object_object_add(dev, "major", json_object_new_int64(major)) < 0 ||
			 json_object_object_add(dev, "minor", json_object_new_int64(minor)) < 0))
		goto nomem;
	if (have_mode && json_object_object_add(dev, "fileMode", json_object_new_int64(mode)) < 0)
		goto nomem;
	if (jhas(dn, "uid") && json_object_object_add(dev, "uid", json_object_get(json_object_object_get(dn, "uid"))) < 0)
		goto nomem;
	if (jhas(dn, "gid") && json_object_object_add(dev, "gid", json_object_get(json_object_object_get(dn, "gid"))) < 0)
		goto nomem;
	if (append_owned(lin, "devices", dev) < 0)
		return ctr_err_nomem(err);
	dev = NULL;
	if (t == 'p')
		return 0;
	res = get_object(lin, "resources");
	rule = json_object_new_object();
	if (!res || !rule || json_object_object_add(rule, "allow", json_object_new_boolean(1)) < 0 ||
	    add_str(rule, "type", (char[]){ t == 'u' ? 'c' : t, 0 }) < 0 ||
	    json_object_object_add(rule, "major", json_object_new_int64(major)) < 0 ||
	    json_object_object_add(rule, "minor", json_object_new_int64(minor)) < 0 ||
	    add_str(rule, "access", perm && *perm ? perm : "rwm") < 0) {
		json_object_put(rule);
		return ctr_err_nomem(err);
	}
	if (append_owned(res, "devices", rule) < 0)
		return ctr_err_nomem(err);
	return 0;
nomem:
	json_object_put(dev);
	return ctr_err_nomem(err);
}

static size_t path_parts(const char *p)
{
	/* filepath.Clean(p) split on "/": leading "/" gives an empty first part. */
	size_t n = 1;
	const char *s = p;

	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		n++;
		while (*s && *s != '/')
			s++;
	}
	if (p[0] == '/' && n == 1)
		n = 2; /* "/" -> ["", ""] */
	return n;
}

static int cmp_mounts(const void *a, const void *b)
{
	struct json_object *ma = *(struct json_object *const *)a, *mb = *(struct json_object *const *)b;
	const char *da = jstr(ma, "destination"), *db = jstr(mb, "destination");
	size_t pa = path_parts(da ? da : ""), pb = path_parts(db ? db : "");

	return pa < pb ? -1 : pa > pb;
}

/* A stable sort: insertion sort on the (short) mount list. */
static int sort_mounts(struct json_object *root)
{
	struct json_object *a, *n, **v;
	size_t len;

	if (!json_object_object_get_ex(root, "mounts", &a) || !json_object_is_type(a, json_type_array))
		return 0;
	len = json_object_array_length(a);
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *x = json_object_array_get_idx(a, i);
		size_t j = i;
		while (j > 0 && cmp_mounts(&v[j - 1], &x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	n = json_object_new_array();
	if (!n) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++)
		if (json_object_array_add(n, json_object_get(v[i])) < 0) {
			json_object_put(v[i]);
			json_object_put(n);
			free(v);
			return -ENOMEM;
		}
	free(v);
	if (json_object_object_add(root, "mounts", n) < 0) {
		json_object_put(n);
		return -ENOMEM;
	}
	return 0;
}

static int apply_mount(struct json_object *root, struct json_object *m)
{
	const char *dst = jstr(m, "containerPath"), *src = jstr(m, "hostPath"), *type = jstr(m, "type");
	struct json_object *om, *opts;

	if (filter_array(root, "mounts", same_destination, dst) < 0)
		return -ENOMEM;
	om = json_object_new_object();
	if (!om || add_str(om, "destination", dst) < 0 || add_str(om, "source", src) < 0 ||
	    (type && *type && add_str(om, "type", type) < 0))
		goto nomem;
	if (json_object_object_get_ex(m, "options", &opts) &&
	    json_object_object_add(om, "options", json_object_get(opts)) < 0)
		goto nomem;
	return append_owned(root, "mounts", om);
nomem:
	json_object_put(om);
	return -ENOMEM;
}

static int apply_hook(struct json_object *root, struct json_object *h)
{
	struct json_object *hooks = get_object(root, "hooks"), *oh, *v;
	static const char *const copy[] = { "path", "args", "env", "timeout" };

	if (!hooks)
		return -ENOMEM;
	oh = json_object_new_object();
	if (!oh)
		return -ENOMEM;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(copy); i++)
		if (json_object_object_get_ex(h, copy[i], &v) && v &&
		    json_object_object_add(oh, copy[i], json_object_get(v)) < 0) {
			json_object_put(oh);
			return -ENOMEM;
		}
	return append_owned(hooks, jstr(h, "hookName"), oh);
}

static int apply_gid(struct json_object *root, int64_t gid)
{
	struct json_object *proc, *user, *g;

	if (gid == 0)
		return 0;
	proc = get_object(root, "process");
	user = proc ? get_object(proc, "user") : NULL;
	g = user ? get_array(user, "additionalGids") : NULL;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(g); i++)
		if (json_object_get_int64(json_object_array_get_idx(g, i)) == gid)
			return 0;
	return append_owned(user, "additionalGids", json_object_new_int64(gid));
}

static int apply_netdev(struct json_object *root, struct json_object *nd)
{
	struct json_object *lin = get_object(root, "linux"), *nds, *o;
	const char *host = jstr(nd, "hostInterfaceName"), *name = jstr(nd, "name");

	nds = lin ? get_object(lin, "netDevices") : NULL;
	if (!nds || !host)
		return -ENOMEM;
	o = json_object_new_object();
	if (!o || (name && add_str(o, "name", name) < 0) || json_object_object_add(nds, host, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/* Apply edits to a JSON tree (a copy of the spec's). */
static int apply_to_tree(const ctr_container_edits *edits, struct json_object *root, ctr_error **err)
{
	struct json_object *v;
	bool mounts = false;

	if (json_object_object_get_ex(edits->obj, "env", &v) && apply_env(root, v) < 0)
		return ctr_err_nomem(err);
	if (json_object_object_get_ex(edits->obj, "deviceNodes", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			int r = apply_device_node(root, json_object_array_get_idx(v, i), err);
			if (r < 0)
				return r;
		}
	if (json_object_object_get_ex(edits->obj, "mounts", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (apply_mount(root, json_object_array_get_idx(v, i)) < 0)
				return ctr_err_nomem(err);
			mounts = true;
		}
	if (mounts && sort_mounts(root) < 0)
		return ctr_err_nomem(err);
	if (json_object_object_get_ex(edits->obj, "hooks", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (apply_hook(root, json_object_array_get_idx(v, i)) < 0)
				return ctr_err_nomem(err);
	if (json_object_object_get_ex(edits->obj, "additionalGids", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (apply_gid(root, json_object_get_int64(json_object_array_get_idx(v, i))) < 0)
				return ctr_err_nomem(err);
	if (json_object_object_get_ex(edits->obj, "intelRdt", &v) && v) {
		struct json_object *lin = get_object(root, "linux");
		if (!lin || json_object_object_add(lin, "intelRdt", json_object_get(v)) < 0)
			return ctr_err_nomem(err);
	}
	if (json_object_object_get_ex(edits->obj, "netDevices", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (apply_netdev(root, json_object_array_get_idx(v, i)) < 0)
				return ctr_err_nomem(err);
	return 0;
}

CTR_EXPORT int ctr_container_edits_apply(const ctr_container_edits *edits, ctr_spec *spec, ctr_error **err)
{
	struct json_object *root, *copy = NULL;
	int r;

	if (!edits || !spec)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_apply: NULL argument");
	root = ctr_spec_json(spec);
	if (!root)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_edits_apply: spec has no document");
	/* Work on a copy so that the spec is unchanged on error, then move the
	 * top-level members over (edits only ever add or replace members). */
	if (json_object_deep_copy(root, &copy, NULL) < 0)
		return ctr_err_nomem(err);
	r = apply_to_tree(edits, copy, err);
	if (r < 0) {
		ctr_err_prefix(err, "%s", ctr_spec_name(spec));
		json_object_put(copy);
		return r;
	}
	json_object_object_foreach(copy, key, val) {
		if (json_object_object_add(root, key, json_object_get(val)) < 0) {
			json_object_put(val);
			json_object_put(copy);
			return ctr_err_nomem(err);
		}
	}
	json_object_put(copy);
	return 0;
}

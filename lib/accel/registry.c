/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The accelerator registry: backends (the built-in cdi, dri, virtio-gpu and
 * nvidia, run-time registered ones, plugins), their discovered devices, and
 * the resolution of "vendor/class=name" requests into container edits.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/accel-internal.h"
#include "spec/oci.h"

/* ---- small helpers ---- */

int strv_append(char ***v, const char *s)
{
	size_t n = ctr_strv_len((const char *const *)*v);
	char **nv = realloc(*v, (n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(s ? s : "");
	if (!nv[n]) {
		nv[n] = NULL;
		return -ENOMEM;
	}
	nv[n + 1] = NULL;
	return 0;
}

int strv_appendf(char ***v, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = strv_append(v, s);
	free(s);
	return r;
}

char *accel_host_path(const char *root, const char *path)
{
	char *r;
	size_t rl = strlen(root);

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (asprintf(&r, "%.*s%s%s", (int)rl, root, path[0] == '/' ? "" : "/", path) < 0)
		return NULL;
	return r;
}

char *accel_read_trim(const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	if (ctr_read_file(path, 65536, &buf, &len, NULL) < 0)
		return NULL;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return buf;
}

/* ---- devices ---- */

static void device_free(struct ctr_accel_device *d)
{
	if (!d)
		return;
	free(d->backend);
	free(d->qualified);
	free(d->kind);
	free(d->name);
	free(d->vendor);
	free(d->driver);
	free(d->pci);
	ctr_strv_free(d->nodes);
	ctr_strv_free(d->caps);
	free(d);
}

static void devices_clear(ctr_accel_registry *reg)
{
	for (size_t i = 0; i < reg->n_devs; i++)
		device_free(reg->devs[i]);
	free(reg->devs);
	reg->devs = NULL;
	reg->n_devs = 0;
}

CTR_EXPORT int ctr_accel_device_info_init_sized(ctr_accel_device_info *info, size_t size)
{
	ctr_accel_device_info def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(info, size, &def, sizeof(def));
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		*fail = true;
	return r;
}

CTR_EXPORT int ctr_accel_discovery_add(ctr_accel_discovery *disc, const ctr_accel_device_info *uinfo,
				       ctr_error **err)
{
	ctr_accel_device_info info;
	struct ctr_accel_device *d, **nd;
	const char *slash;
	bool fail = false;
	char *v = NULL, *c = NULL;
	int r;

	if (!disc || !uinfo)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_discovery_add: NULL argument");
	if ((r = ctr_copy_options(&info, sizeof(info), uinfo, uinfo->size, "ctr_accel_device_info", err)) < 0)
		return r;
	if (!info.kind || !info.name || !(slash = strchr(info.kind, '/')))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "backend %s: a device needs a kind \"vendor/class\" and a name",
			       disc->backend->ops.name);
	v = strndup(info.kind, (size_t)(slash - info.kind));
	c = strdup(slash + 1);
	if (!v || !c) {
		free(v);
		free(c);
		return ctr_err_nomem(err);
	}
	r = cdi_validate_vendor(v, err);
	if (r == 0)
		r = cdi_validate_class(c, err);
	if (r == 0)
		r = cdi_validate_device_name(info.name, err);
	free(v);
	free(c);
	if (r < 0) {
		ctr_err_prefix(err, "backend %s: device %s=%s", disc->backend->ops.name, info.kind, info.name);
		return r;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return ctr_err_nomem(err);
	d->backend = dup_or_null(disc->backend->ops.name, &fail);
	d->kind = dup_or_null(info.kind, &fail);
	d->name = dup_or_null(info.name, &fail);
	d->vendor = dup_or_null(info.vendor, &fail);
	d->driver = dup_or_null(info.driver, &fail);
	d->pci = dup_or_null(info.pci_address, &fail);
	if (asprintf(&d->qualified, "%s=%s", info.kind, info.name) < 0) {
		d->qualified = NULL;
		fail = true;
	}
	d->nodes = info.nodes ? ctr_strv_dup(info.nodes) : calloc(1, sizeof(char *));
	d->caps = info.capabilities ? ctr_strv_dup(info.capabilities) : calloc(1, sizeof(char *));
	if (fail || !d->nodes || !d->caps) {
		device_free(d);
		return ctr_err_nomem(err);
	}
	for (size_t i = 0; i < disc->reg->n_devs; i++)
		if (strcmp(disc->reg->devs[i]->qualified, d->qualified) == 0) {
			r = ctr_err(err, EEXIST, CTR_E_EXISTS, "backend %s: device %s is already provided by backend %s",
				    d->backend, d->qualified, disc->reg->devs[i]->backend);
			device_free(d);
			return r;
		}
	nd = realloc(disc->reg->devs, (disc->reg->n_devs + 1) * sizeof(*nd));
	if (!nd) {
		device_free(d);
		return ctr_err_nomem(err);
	}
	disc->reg->devs = nd;
	nd[disc->reg->n_devs++] = d;
	return 0;
}

/* ---- the cdi backend ---- */

static int cdi_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_registry *reg = data;

	for (size_t i = 0; i < reg->cdi.n_entries; i++) {
		struct cdi_entry *e = &reg->cdi.entries[i];
		struct json_object *nodes = NULL;
		ctr_accel_device_info info;
		char **paths = NULL;
		int r = 0;

		if (e->hidden)
			continue;
		ctr_accel_device_info_init(&info);
		info.kind = e->spec->kind;
		info.name = e->dev->name;
		info.vendor = e->spec->vendor;
		if (json_object_object_get_ex(e->dev->edits, "deviceNodes", &nodes))
			for (size_t j = 0; j < json_object_array_length(nodes) && r == 0; j++) {
				struct json_object *n = json_object_array_get_idx(nodes, j), *hp, *p;
				if (json_object_object_get_ex(n, "hostPath", &hp) && json_object_get_string_len(hp))
					r = strv_append(&paths, json_object_get_string(hp));
				else if (json_object_object_get_ex(n, "path", &p))
					r = strv_append(&paths, json_object_get_string(p));
			}
		info.nodes = (const char *const *)paths;
		if (r == 0)
			r = ctr_accel_discovery_add(disc, &info, err);
		else
			r = ctr_err_nomem(err);
		ctr_strv_free(paths);
		if (r < 0 && r != -EEXIST)
			return r;
		if (r == -EEXIST && err && *err) {
			ctr_error_free(*err);
			*err = NULL;
		}
	}
	return 0;
}

/* Resolved through the cache directly (see registry_edits); not used for CDI requests. */
static int cdi_edits_cb(void *data, const char *host_root, const char *request, ctr_container_edits *edits,
			ctr_error **err)
{
	ctr_accel_registry *reg = data;
	struct cdi_entry *e = cdi_cache_find(&reg->cdi, request);
	char *src;
	int r;

	if (!e || e->hidden)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "CDI device %s not found", request);
	if (asprintf(&src, "%s: device %s", e->spec->path, request) < 0)
		return ctr_err_nomem(err);
	r = edits_merge_json(edits, e->spec->edits, src, err);
	if (r == 0)
		r = edits_merge_json(edits, e->dev->edits, src, err);
	free(src);
	return r;
}

static const ctr_accel_backend_ops cdi_ops = {
	.abi_version = CTR_ACCEL_BACKEND_ABI,
	.size = sizeof(ctr_accel_backend_ops),
	.name = "cdi",
	.discover = cdi_discover,
	.edits = cdi_edits_cb,
};

/* ---- registry ---- */

CTR_EXPORT int ctr_accel_registry_options_init_sized(ctr_accel_registry_options *opts, size_t size)
{
	ctr_accel_registry_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(opts, size, &def, sizeof(def));
}

static int default_cdi_dirs(char ***out)
{
	const char *x;
	int r;

	if ((r = strv_append(out, "/etc/cdi")) < 0 || (r = strv_append(out, "/var/run/cdi")) < 0)
		return r;
	if (geteuid() != 0) {
		if ((x = secure_getenv("XDG_CONFIG_HOME")) && x[0] == '/')
			r = strv_appendf(out, "%s/cdi", x);
		else if ((x = secure_getenv("HOME")) && x[0] == '/')
			r = strv_appendf(out, "%s/.config/cdi", x);
		if (r < 0)
			return r;
		if ((x = secure_getenv("XDG_RUNTIME_DIR")) && x[0] == '/' && (r = strv_appendf(out, "%s/cdi", x)) < 0)
			return r;
	}
	return 0;
}

static struct accel_backend *find_backend(const ctr_accel_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n_backends; i++)
		if (strcmp(reg->backends[i].ops.name, name) == 0)
			return &reg->backends[i];
	return NULL;
}

static int run_discover(ctr_accel_registry *reg, struct accel_backend *b)
{
	ctr_accel_discovery disc = { .reg = reg, .backend = b };
	ctr_error *e = NULL;
	int r;

	if (!b->ops.discover)
		return 0;
	r = b->ops.discover(b->data, reg->host_root, &disc, &e);
	if (r < 0) {
		if (r == -ENOMEM) {
			ctr_error_free(e);
			return r;
		}
		r = strv_appendf(&reg->errors, "backend %s: %s", b->ops.name,
				 e ? ctr_error_message(e) : "discovery failed");
		ctr_error_free(e);
		return r;
	}
	ctr_error_free(e);
	return 0;
}

static int add_backend(ctr_accel_registry *reg, const ctr_accel_backend_ops *uops, void *data, void *dl,
		       ctr_error **err)
{
	ctr_accel_backend_ops ops;
	struct accel_backend *nb;
	int r;

	if (!uops)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_add_backend: NULL ops");
	if (uops->abi_version != CTR_ACCEL_BACKEND_ABI)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "backend %s: built for accelerator backend ABI %u, this libctr speaks ABI %u: rebuild it against this libctr's <ctr/accel.h>",
			       uops->name ? uops->name : "(unnamed)", uops->abi_version, CTR_ACCEL_BACKEND_ABI);
	if ((r = ctr_copy_options(&ops, sizeof(ops), uops, uops->size, "ctr_accel_backend_ops", err)) < 0)
		return r;
	if (!ops.name || !ops.name[0] || strchr(ops.name, '/') || strchr(ops.name, '='))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "backend name '%s' is empty or holds '/' or '='",
			       ops.name ? ops.name : "(null)");
	if (!ops.edits)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "backend %s: the edits callback is required", ops.name);
	if (find_backend(reg, ops.name))
		return ctr_err(err, EEXIST, CTR_E_EXISTS, "backend %s is already registered: pick another name",
			       ops.name);
	nb = realloc(reg->backends, (reg->n_backends + 1) * sizeof(*nb));
	if (!nb)
		return ctr_err_nomem(err);
	reg->backends = nb;
	nb[reg->n_backends++] = (struct accel_backend){ .ops = ops, .data = data, .dl = dl };
	return 0;
}

CTR_EXPORT int ctr_accel_registry_add_backend(ctr_accel_registry *reg, const ctr_accel_backend_ops *ops, void *data,
					      ctr_error **err)
{
	int r;

	if (!reg)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_add_backend: NULL registry");
	r = add_backend(reg, ops, data, NULL, err);
	if (r < 0)
		return r;
	r = run_discover(reg, &reg->backends[reg->n_backends - 1]);
	return r < 0 ? ctr_err_nomem(err) : 0;
}

CTR_EXPORT int ctr_accel_registry_load_plugin(ctr_accel_registry *reg, const char *path, ctr_error **err)
{
	ctr_accel_plugin_entry_fn fn;
	const ctr_accel_backend_ops *ops;
	void *dl, *data = NULL;
	int r;

	if (!reg || !path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_load_plugin: NULL argument");
	/* RTLD_LOCAL: a plugin's symbols do not leak into the host process. */
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "plugin %s: cannot load: %s", path, dlerror());
	*(void **)&fn = dlsym(dl, CTR_ACCEL_PLUGIN_ENTRY);
	if (!fn) {
		dlclose(dl);
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "plugin %s: no %s() entry point: is it a libctr accelerator plugin?", path,
			       CTR_ACCEL_PLUGIN_ENTRY);
	}
	ops = fn(&data);
	if (!ops) {
		dlclose(dl);
		return ctr_err(err, ENODEV, CTR_E_UNSUPPORTED, "plugin %s: its entry point declined to run on this host",
			       path);
	}
	r = add_backend(reg, ops, data, dl, err);
	if (r < 0) {
		if (ops->abi_version == CTR_ACCEL_BACKEND_ABI && ops->destroy)
			ops->destroy(data);
		ctr_err_prefix(err, "plugin %s", path);
		dlclose(dl);
		return r;
	}
	r = run_discover(reg, &reg->backends[reg->n_backends - 1]);
	return r < 0 ? ctr_err_nomem(err) : 0;
}

static int load_plugins(ctr_accel_registry *reg, ctr_error **err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	int r = 0;

	if (!reg->plugin_dir)
		return 0;
	d = opendir(reg->plugin_dir);
	if (!d)
		return strv_appendf(&reg->errors, "plugin directory %s: %s", reg->plugin_dir, strerror(errno)) < 0
			       ? ctr_err_nomem(err) : 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l > 3 && strcmp(de->d_name + l - 3, ".so") == 0 &&
		    strv_append(&names, de->d_name) < 0) {
			r = ctr_err_nomem(err);
			break;
		}
	}
	closedir(d);
	for (size_t i = 0; r == 0 && names && names[i]; i++) {
		char *p;
		ctr_error *e = NULL;
		if (asprintf(&p, "%s/%s", reg->plugin_dir, names[i]) < 0) {
			r = ctr_err_nomem(err);
			break;
		}
		if (ctr_accel_registry_load_plugin(reg, p, &e) < 0 && strv_append(&reg->errors, ctr_error_message(e)) < 0)
			r = ctr_err_nomem(err);
		ctr_error_free(e);
		free(p);
	}
	ctr_strv_free(names);
	return r;
}

void accel_nvidia_check_cdi(ctr_accel_registry *reg);

CTR_EXPORT int ctr_accel_registry_refresh(ctr_accel_registry *reg, ctr_error **err)
{
	int r;

	if (!reg)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_refresh: NULL registry");
	devices_clear(reg);
	ctr_strv_free(reg->errors);
	reg->errors = calloc(1, sizeof(char *));
	if (!reg->errors)
		return ctr_err_nomem(err);
	if ((r = cdi_cache_load(&reg->cdi, reg->cdi_dirs, &reg->errors, err)) < 0)
		return r;
	accel_nvidia_check_cdi(reg);
	for (size_t i = 0; i < reg->n_backends; i++)
		if (run_discover(reg, &reg->backends[i]) < 0)
			return ctr_err_nomem(err);
	return 0;
}

/* nvidia before dxg: on a host with a native driver, nvidia.com/gpu is the nvidia backend's */
static const struct accel_builtin_ops *const builtin_backends[] = {
	&accel_nvidia_builtin,
	&accel_dxg_builtin,
	&accel_amd_builtin,
	&accel_dri_builtin,
	&accel_virtgpu_builtin,
};

int accel_builtin_edits(const struct accel_builtin_ops *b, ctr_accel_registry *reg, const char *request,
			ctr_container_edits *e, ctr_error **err)
{
	struct accel_opts o = { 0 };
	char *kind, *eq = strchr(request, '=');
	char *const reqs[] = { (char *)request, NULL };
	int r;

	if (!eq)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s' is not vendor/class=name", request);
	kind = strndup(request, (size_t)(eq - request));
	if (!kind)
		return ctr_err_nomem(err);
	r = b->device_edits(reg, request, &o, e, err);
	if (r == 0 && b->common_edits)
		r = b->common_edits(reg, kind, reqs, &o, e, err);
	free(kind);
	return r;
}

CTR_EXPORT int ctr_accel_registry_new(ctr_context *ctx, ctr_accel_registry **out,
				      const ctr_accel_registry_options *uopts, ctr_error **err)
{
	ctr_accel_registry_options opts;
	ctr_accel_registry *reg;
	int r;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_new: out is NULL");
	ctr_accel_registry_options_init(&opts);
	if (uopts && (r = ctr_copy_options(&opts, sizeof(opts), uopts, uopts->size, "ctr_accel_registry_options",
					   err)) < 0)
		return r;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return ctr_err_nomem(err);
	reg->ctx = ctx;
	reg->host_root = strdup(opts.host_root ? opts.host_root : "/");
	reg->plugin_dir = opts.plugin_dir ? strdup(opts.plugin_dir) : NULL;
	if (!reg->host_root || (opts.plugin_dir && !reg->plugin_dir))
		goto nomem;
	if (opts.cdi_dirs) {
		reg->cdi_dirs = ctr_strv_dup(opts.cdi_dirs);
		if (!reg->cdi_dirs)
			goto nomem;
	} else if (default_cdi_dirs(&reg->cdi_dirs) < 0) {
		goto nomem;
	}
	if ((r = add_backend(reg, &cdi_ops, reg, NULL, err)) < 0)
		goto fail;
	reg->backends[0].builtin_cdi = true;
	for (size_t i = 0; !opts.no_builtin && i < CTR_ARRAY_SIZE(builtin_backends); i++) {
		if ((r = add_backend(reg, builtin_backends[i]->ops, reg, NULL, err)) < 0)
			goto fail;
		reg->backends[reg->n_backends - 1].builtin = builtin_backends[i];
	}
	reg->gpus_from_env = opts.gpus_from_env != 0;
	if ((r = ctr_accel_registry_refresh(reg, err)) < 0)
		goto fail;
	if ((r = load_plugins(reg, err)) < 0)
		goto fail;
	ctr_debug(ctx, "accel: %zu backends, %zu devices", reg->n_backends, reg->n_devs);
	*out = reg;
	return 0;
nomem:
	r = ctr_err_nomem(err);
fail:
	ctr_accel_registry_free(reg);
	return r;
}

CTR_EXPORT void ctr_accel_registry_free(ctr_accel_registry *reg)
{
	if (!reg)
		return;
	devices_clear(reg);
	for (size_t i = 0; i < reg->n_backends; i++) {
		struct accel_backend *b = &reg->backends[i];
		if (b->ops.destroy)
			b->ops.destroy(b->data);
		if (b->dl)
			dlclose(b->dl);
	}
	free(reg->backends);
	cdi_cache_clear(&reg->cdi);
	ctr_strv_free(reg->errors);
	ctr_strv_free(reg->cdi_dirs);
	free(reg->host_root);
	free(reg->plugin_dir);
	free(reg);
}

void accel_registry_set_virtgpu_probe(ctr_accel_registry *reg, const struct virtgpu_probe_ops *ops)
{
	if (ops)
		reg->virtgpu_probe = *ops;
	else
		memset(&reg->virtgpu_probe, 0, sizeof(reg->virtgpu_probe));
}

CTR_EXPORT int ctr_accel_registry_errors(const ctr_accel_registry *reg, char ***out, ctr_error **err)
{
	char **v;

	if (!reg || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_errors: NULL argument");
	v = reg->errors ? ctr_strv_dup((const char *const *)reg->errors) : calloc(1, sizeof(char *));
	if (!v)
		return ctr_err_nomem(err);
	*out = v;
	return 0;
}

CTR_EXPORT int ctr_accel_registry_backends(const ctr_accel_registry *reg, char ***out, ctr_error **err)
{
	char **v = NULL;

	if (!reg || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_backends: NULL argument");
	v = calloc(1, sizeof(char *));
	if (!v)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < reg->n_backends; i++)
		if (strv_append(&v, reg->backends[i].ops.name) < 0) {
			ctr_strv_free(v);
			return ctr_err_nomem(err);
		}
	*out = v;
	return 0;
}

CTR_EXPORT size_t ctr_accel_registry_device_count(const ctr_accel_registry *reg)
{
	return reg ? reg->n_devs : 0;
}

CTR_EXPORT const ctr_accel_device *ctr_accel_registry_device(const ctr_accel_registry *reg, size_t i)
{
	return reg && i < reg->n_devs ? reg->devs[i] : NULL;
}

static const char *const empty_strv[] = { NULL };

CTR_EXPORT const char *ctr_accel_device_backend(const ctr_accel_device *d) { return d ? d->backend : NULL; }
CTR_EXPORT const char *ctr_accel_device_name(const ctr_accel_device *d) { return d ? d->qualified : NULL; }
CTR_EXPORT const char *ctr_accel_device_vendor(const ctr_accel_device *d) { return d ? d->vendor : NULL; }
CTR_EXPORT const char *ctr_accel_device_driver(const ctr_accel_device *d) { return d ? d->driver : NULL; }
CTR_EXPORT const char *ctr_accel_device_pci_address(const ctr_accel_device *d) { return d ? d->pci : NULL; }

CTR_EXPORT const char *const *ctr_accel_device_nodes(const ctr_accel_device *d)
{
	return d && d->nodes ? (const char *const *)d->nodes : empty_strv;
}

CTR_EXPORT const char *const *ctr_accel_device_capabilities(const ctr_accel_device *d)
{
	return d && d->caps ? (const char *const *)d->caps : empty_strv;
}

/* ---- requests ---- */

/* The devices of one kind of a built-in backend named in one resolution. */
struct kind_group {
	struct accel_backend *b;
	char *kind;
	char **requests;
};

struct resolution {
	const struct cdi_spec **seen;    /* CDI specs whose spec-level edits are in */
	size_t n_seen;
	struct kind_group *groups;
	size_t n_groups;
};

static void resolution_clear(struct resolution *res)
{
	for (size_t i = 0; i < res->n_groups; i++) {
		free(res->groups[i].kind);
		ctr_strv_free(res->groups[i].requests);
	}
	free(res->groups);
	free(res->seen);
	memset(res, 0, sizeof(*res));
}

static struct kind_group *group_for(struct resolution *res, struct accel_backend *b, const char *kind)
{
	struct kind_group *g;

	for (size_t i = 0; i < res->n_groups; i++)
		if (res->groups[i].b == b && strcmp(res->groups[i].kind, kind) == 0)
			return &res->groups[i];
	g = realloc(res->groups, (res->n_groups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	res->groups = g;
	g = &g[res->n_groups];
	*g = (struct kind_group){ .b = b, .kind = strdup(kind), .requests = calloc(1, sizeof(char *)) };
	if (!g->kind || !g->requests) {
		free(g->kind);
		free(g->requests);
		return NULL;
	}
	res->n_groups++;
	return g;
}

/* The backend that reported devices of kind (not "cdi"), or NULL; *known: any device of the kind. */
static struct accel_backend *backend_of_kind(ctr_accel_registry *reg, const char *kind, bool *known)
{
	*known = false;
	for (size_t i = 0; i < reg->n_devs; i++) {
		if (strcmp(reg->devs[i]->kind, kind) != 0)
			continue;
		*known = true;
		if (strcmp(reg->devs[i]->backend, "cdi") != 0)
			return find_backend(reg, reg->devs[i]->backend);
	}
	return NULL;
}

static int resolve_one(ctr_accel_registry *reg, const char *req, const struct accel_opts *o,
		       ctr_container_edits *edits, struct resolution *res, ctr_error **err)
{
	struct cdi_entry *e;
	struct accel_backend *b = NULL;
	char *vendor = NULL, *class_ = NULL, *kind = NULL;
	bool kind_known = false;
	int r;

	if ((r = ctr_cdi_parse_name(req, &vendor, &class_, NULL, err)) < 0)
		return r;
	r = asprintf(&kind, "%s/%s", vendor, class_);
	free(vendor);
	free(class_);
	if (r < 0)
		return ctr_err_nomem(err);
	e = cdi_cache_find(&reg->cdi, req);
	if (e && !e->hidden) {
		char *src;
		bool spec_done = false;

		free(kind);
		if (asprintf(&src, "%s: device %s", e->spec->path, req) < 0)
			return ctr_err_nomem(err);
		/* spec-level edits once per spec file, then the device's */
		for (size_t i = 0; i < res->n_seen; i++)
			if (res->seen[i] == e->spec)
				spec_done = true;
		r = 0;
		if (!spec_done) {
			const struct cdi_spec **ns = realloc(res->seen, (res->n_seen + 1) * sizeof(*ns));
			if (!ns) {
				free(src);
				return ctr_err_nomem(err);
			}
			res->seen = ns;
			ns[res->n_seen++] = e->spec;
			r = edits_merge_json(edits, e->spec->edits, src, err);
		}
		if (r >= 0)
			r = edits_merge_json(edits, e->dev->edits, src, err);
		free(src);
		return r < 0 ? r : 0;
	}
	b = backend_of_kind(reg, kind, &kind_known);
	if (!b) {
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    kind_known ? "unknown device '%s': kind %s has no such device; `ctr-demo devices` lists them"
				       : "unknown device '%s': no CDI spec or backend provides kind %s; `ctr-demo devices` lists what there is",
			    req, kind);
		free(kind);
		return r;
	}
	if (b->builtin) {
		/* the device's own edits now; the kind's shared ones once, at the end */
		struct kind_group *g = group_for(res, b, kind);
		free(kind);
		if (!g || strv_append(&g->requests, req) < 0)
			return ctr_err_nomem(err);
		r = b->builtin->device_edits(reg, req, o, edits, err);
	} else {
		free(kind);
		r = b->ops.edits(b->data, reg->host_root, req, edits, err);
	}
	if (r < 0)
		ctr_err_prefix(err, "backend %s", b->ops.name);
	return r < 0 ? r : 0;
}

int accel_registry_resolve(ctr_accel_registry *reg, const char *const *requests, const char *const *extra_kinds,
			   const struct accel_opts *o, ctr_container_edits **out, ctr_error **err)
{
	ctr_container_edits *edits = NULL;
	struct resolution res = { 0 };
	int r = 0;

	if ((r = ctr_container_edits_new(&edits, err)) < 0)
		return r;
	for (size_t i = 0; requests && requests[i] && r == 0; i++)
		r = resolve_one(reg, requests[i], o, edits, &res, err);
	for (size_t i = 0; r == 0 && extra_kinds && extra_kinds[i]; i++) {
		bool known;
		struct accel_backend *b = backend_of_kind(reg, extra_kinds[i], &known);
		if (!b || !b->builtin)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
				    known ? "the driver of %s without a device: its devices come from a CDI spec here, which has no such part; name a device"
					  : "no backend of this host provides %s: `ctr-demo devices` lists what there is",
				    extra_kinds[i]);
		else if (!group_for(&res, b, extra_kinds[i]))
			r = ctr_err_nomem(err);
	}
	for (size_t i = 0; r == 0 && i < res.n_groups; i++) {
		struct kind_group *g = &res.groups[i];
		if (g->b->builtin->common_edits &&
		    (r = g->b->builtin->common_edits(reg, g->kind, g->requests, o, edits, err)) < 0)
			ctr_err_prefix(err, "backend %s", g->b->ops.name);
	}
	resolution_clear(&res);
	if (r < 0) {
		ctr_container_edits_free(edits);
		return r;
	}
	*out = edits;
	return 0;
}

CTR_EXPORT int ctr_accel_registry_edits(ctr_accel_registry *reg, const char *const *requests,
					ctr_container_edits **out, ctr_error **err)
{
	struct accel_opts o = { 0 };

	if (!reg || !requests || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_edits: NULL argument");
	return accel_registry_resolve(reg, requests, NULL, &o, out, err);
}

CTR_EXPORT int ctr_spec_add_device(ctr_spec *spec, ctr_accel_registry *reg, const char *request, ctr_error **err)
{
	const char *reqs[2] = { request, NULL };
	ctr_container_edits *e = NULL;
	int r;

	if (!spec || !reg || !request)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_spec_add_device: NULL argument");
	if ((r = ctr_accel_registry_edits(reg, reqs, &e, err)) < 0)
		return r;
	r = ctr_container_edits_apply(e, spec, err);
	ctr_container_edits_free(e);
	return r;
}

#define CDI_ANNOTATION_PREFIX "cdi.k8s.io/"

static int apply_cdi_annotations(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err);

CTR_EXPORT int ctr_accel_apply_annotations(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err)
{
	int r;

	if (!spec || !reg)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_apply_annotations: NULL argument");
	r = apply_cdi_annotations(spec, reg, err);
	if (r == 0 && reg->gpus_from_env)
		r = ctr_accel_apply_gpu_env(spec, reg, err);
	return r;
}

static int apply_cdi_annotations(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err)
{
	struct json_object *ann;
	char **reqs = NULL, **keys = NULL;
	ctr_container_edits *e = NULL;
	int r = 0;

	if (!json_object_object_get_ex(ctr_spec_json(spec), "annotations", &ann) ||
	    !json_object_is_type(ann, json_type_object))
		return 0;
	json_object_object_foreach(ann, key, val) {
		(void)val;
		if (strncmp(key, CDI_ANNOTATION_PREFIX, strlen(CDI_ANNOTATION_PREFIX)) == 0 && strv_append(&keys, key) < 0)
			goto nomem;
	}
	if (!keys)
		return 0;
	/* a deterministic order: by annotation key */
	for (size_t i = 1; keys[i]; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (size_t i = 0; keys[i]; i++) {
		const char *v = json_object_get_string(json_object_object_get(ann, keys[i]));
		char *copy, *tok, *save = NULL;

		if (!v || !(copy = strdup(v)))
			goto nomem;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (*tok && strv_append(&reqs, tok) < 0) {
				free(copy);
				goto nomem;
			}
		}
		free(copy);
	}
	if (reqs) {
		r = ctr_accel_registry_edits(reg, (const char *const *)reqs, &e, err);
		if (r == 0)
			r = ctr_container_edits_apply(e, spec, err);
		if (r < 0)
			ctr_err_prefix(err, "%s: annotations " CDI_ANNOTATION_PREFIX "*", ctr_spec_name(spec));
	}
	ctr_container_edits_free(e);
	ctr_strv_free(reqs);
	ctr_strv_free(keys);
	return r;
nomem:
	ctr_strv_free(reqs);
	ctr_strv_free(keys);
	return ctr_err_nomem(err);
}

/* ---- CDI output ---- */

static void strip_sources(struct json_object *edits)
{
	struct json_object *nodes;

	if (json_object_object_get_ex(edits, "deviceNodes", &nodes))
		for (size_t i = 0; i < json_object_array_length(nodes); i++)
			json_object_object_del(json_object_array_get_idx(nodes, i), EDITS_SOURCE_KEY);
}

static const char *vstr(int v)
{
	static const char *const s[] = { "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0" };
	static const int n[] = { CDI_V(0, 3, 0), CDI_V(0, 4, 0), CDI_V(0, 5, 0), CDI_V(0, 6, 0),
				 CDI_V(0, 7, 0), CDI_V(0, 8, 0), CDI_V(1, 0, 0), CDI_V(1, 1, 0) };
	for (size_t i = 0; i < CTR_ARRAY_SIZE(n); i++)
		if (n[i] == v)
			return s[i];
	return "1.1.0";
}

/* A device's edits for a CDI spec: a built-in backend's own part, or everything. */
static int device_cdi_edits(ctr_accel_registry *reg, struct accel_backend *b, const struct ctr_accel_device *d,
			    ctr_container_edits *e, ctr_error **err)
{
	struct accel_opts o = { 0 };

	if (b->builtin_cdi)
		return cdi_edits_cb(reg, reg->host_root, d->qualified, e, err);
	if (b->builtin)
		return b->builtin->device_edits(reg, d->qualified, &o, e, err);
	return b->ops.edits(b->data, reg->host_root, d->qualified, e, err);
}

/* A built-in backend's shared edits of kind, over all its devices of the kind, as the spec-level containerEdits. */
static int kind_cdi_edits(ctr_accel_registry *reg, struct accel_backend *b, const char *kind,
			  struct json_object *doc, ctr_error **err)
{
	struct accel_opts o = { 0 };
	ctr_container_edits *e = NULL;
	char **names = calloc(1, sizeof(char *));
	int r;

	if (!names)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < reg->n_devs; i++)
		if (strcmp(reg->devs[i]->backend, b->ops.name) == 0 && strcmp(reg->devs[i]->kind, kind) == 0 &&
		    strv_append(&names, reg->devs[i]->qualified) < 0) {
			ctr_strv_free(names);
			return ctr_err_nomem(err);
		}
	r = ctr_container_edits_new(&e, err);
	if (r == 0)
		r = b->builtin->common_edits(reg, kind, names, &o, e, err);
	ctr_strv_free(names);
	if (r == 0 && json_object_object_length(e->obj) > 0) {
		strip_sources(e->obj);
		if (json_object_object_add(doc, "containerEdits", json_object_get(e->obj)) < 0)
			r = ctr_err_nomem(err);
	}
	ctr_container_edits_free(e);
	return r;
}

/* The CDI documents of a backend's devices (of kind, or all), as a JSON array. */
static int cdi_docs(ctr_accel_registry *reg, const char *backend, const char *kind, struct json_object **out,
		    ctr_error **err)
{
	struct accel_backend *b;
	struct json_object *docs = NULL;
	int r = 0;

	if (!reg || !backend || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_write_cdi: NULL argument");
	b = find_backend(reg, backend);
	if (!b)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "no backend named '%s': `ctr-demo devices` lists them", backend);
	docs = json_object_new_array();
	if (!docs)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < reg->n_devs; i++) {
		struct ctr_accel_device *d = reg->devs[i];
		struct json_object *doc = NULL, *devs, *dev;
		ctr_container_edits *e = NULL;

		if (strcmp(d->backend, backend) != 0 || (kind && strcmp(d->kind, kind) != 0))
			continue;
		for (size_t j = 0; j < json_object_array_length(docs); j++) {
			struct json_object *x = json_object_array_get_idx(docs, j);
			if (strcmp(json_object_get_string(json_object_object_get(x, "kind")), d->kind) == 0)
				doc = x;
		}
		if (!doc) {
			doc = json_object_new_object();
			if (!doc || json_object_array_add(docs, doc) < 0) {
				json_object_put(doc);
				goto nomem;
			}
			if (json_object_object_add(doc, "cdiVersion", json_object_new_string("0.3.0")) < 0 ||
			    json_object_object_add(doc, "kind", json_object_new_string(d->kind)) < 0 ||
			    json_object_object_add(doc, "devices", json_object_new_array()) < 0)
				goto nomem;
			if (b->builtin && b->builtin->common_edits && (r = kind_cdi_edits(reg, b, d->kind, doc, err)) < 0) {
				ctr_err_prefix(err, "backend %s: kind %s", backend, d->kind);
				goto fail;
			}
		}
		if ((r = ctr_container_edits_new(&e, err)) < 0)
			goto fail;
		if ((r = device_cdi_edits(reg, b, d, e, err)) < 0) {
			ctr_container_edits_free(e);
			ctr_err_prefix(err, "backend %s: device %s", backend, d->qualified);
			goto fail;
		}
		strip_sources(e->obj);
		devs = json_object_object_get(doc, "devices");
		dev = json_object_new_object();
		if (!dev || json_object_object_add(dev, "name", json_object_new_string(d->name)) < 0 ||
		    json_object_object_add(dev, "containerEdits", json_object_get(e->obj)) < 0 ||
		    json_object_array_add(devs, dev) < 0) {
			json_object_put(dev);
			ctr_container_edits_free(e);
			goto nomem;
		}
		ctr_container_edits_free(e);
	}
	if (json_object_array_length(docs) == 0) {
		json_object_put(docs);
		return kind ? ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "backend %s found no device of kind %s on this host",
				      backend, kind)
			    : ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "backend %s found no device on this host", backend);
	}
	for (size_t j = 0; j < json_object_array_length(docs); j++) {
		struct json_object *x = json_object_array_get_idx(docs, j);
		if (json_object_object_add(x, "cdiVersion", json_object_new_string(vstr(cdi_minimum_version(x)))) < 0)
			goto nomem;
	}
	*out = docs;
	return 0;
nomem:
	r = ctr_err_nomem(err);
fail:
	json_object_put(docs);
	return r;
}

static char *docs_text(struct json_object *docs)
{
	const char *s = json_object_to_json_string_ext(
		json_object_array_length(docs) == 1 ? json_object_array_get_idx(docs, 0) : docs,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? strdup(s) : NULL;
}

CTR_EXPORT int ctr_accel_registry_write_cdi_kind(ctr_accel_registry *reg, const char *backend, const char *kind,
						 char **out, ctr_error **err)
{
	struct json_object *docs = NULL;
	int r;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_write_cdi: NULL argument");
	if ((r = cdi_docs(reg, backend, kind, &docs, err)) < 0)
		return r;
	*out = docs_text(docs);
	json_object_put(docs);
	return *out ? 0 : ctr_err_nomem(err);
}

CTR_EXPORT int ctr_accel_registry_write_cdi(ctr_accel_registry *reg, const char *backend, char **out,
					    ctr_error **err)
{
	return ctr_accel_registry_write_cdi_kind(reg, backend, NULL, out, err);
}

/* mkdir -p of the directory part of path */
static int make_parents(const char *path, ctr_error **err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "%s: path too long", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			return ctr_err_sys(err, e, "%s: cannot make the directory %s", path, buf);
		}
		*p = '/';
	}
	return 0;
}

CTR_EXPORT int ctr_accel_registry_write_cdi_file(ctr_accel_registry *reg, const char *backend, const char *kind,
						 const char *path, ctr_error **err)
{
	struct json_object *docs = NULL;
	char *text = NULL, *dir = NULL, tmp[NAME_MAX + 1] = "";
	const char *base;
	bool created = false;
	int dfd = -1, fd = -1, r;
	size_t len, done = 0;

	if (!path || !*path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_write_cdi_file: no path");
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strlen(base) > NAME_MAX - 16)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: not a file name for a CDI spec (e.g. /etc/cdi/nvidia.json)",
			       path);
	if ((r = cdi_docs(reg, backend, kind, &docs, err)) < 0)
		return r;
	if (json_object_array_length(docs) > 1) {
		char kinds[512] = "";
		for (size_t j = 0; j < json_object_array_length(docs); j++) {
			const char *x = json_object_get_string(json_object_object_get(json_object_array_get_idx(docs, j), "kind"));
			if (j)
				strncat(kinds, ", ", sizeof(kinds) - strlen(kinds) - 1);
			strncat(kinds, x, sizeof(kinds) - strlen(kinds) - 1);
		}
		json_object_put(docs);
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: backend %s has devices of several kinds (%s) and a CDI spec file holds one: name the kind",
			       path, backend, kinds);
	}
	text = docs_text(docs);
	json_object_put(docs);
	if (!text)
		return ctr_err_nomem(err);
	len = strlen(text);
	if (len && text[len - 1] != '\n') {
		char *t = realloc(text, len + 2);
		if (!t) {
			free(text);
			return ctr_err_nomem(err);
		}
		text = t;
		text[len++] = '\n';
		text[len] = '\0';
	}
	dir = strdup(path);
	if (!dir) {
		free(text);
		return ctr_err_nomem(err);
	}
	if (strrchr(dir, '/'))
		*(strrchr(dir, '/') == dir ? dir + 1 : strrchr(dir, '/')) = '\0';
	else
		strcpy(dir, ".");
	if ((r = make_parents(path, err)) < 0)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = ctr_err_sys(err, errno, "%s: directory %s", path, dir);
		goto out;
	}
	/* a new, hidden file that CDI loaders skip (no .json/.yaml suffix) until the rename */
	for (int tries = 0;; tries++) {
		unsigned rnd = 0;
		if (getentropy(&rnd, sizeof(rnd)) < 0)
			rnd = (unsigned)getpid() * 2654435761u + (unsigned)tries;
		snprintf(tmp, sizeof(tmp), ".%s.tmp-%08x", base, rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST || tries >= 16)
			break;
	}
	if (fd < 0) {
		r = ctr_err_sys(err, errno, "%s: cannot create a temporary file in %s", path, dir);
		goto out;
	}
	created = true;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = ctr_err_sys(err, w < 0 ? errno : EIO, "%s: write", path);
			goto out;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		r = ctr_err_sys(err, errno, "%s: fsync", path);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = ctr_err_sys(err, errno, "%s: close", path);
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = ctr_err_sys(err, errno, "%s: rename", path);
		goto out;
	}
	created = false;
	if (fsync(dfd) < 0 && errno != EINVAL) {
		r = ctr_err_sys(err, errno, "%s: fsync of %s", path, dir);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0) {
		if (created)
			unlinkat(dfd, tmp, 0);
		close(dfd);
	}
	free(dir);
	free(text);
	return r;
}

CTR_EXPORT int ctr_accel_registry_check_cdi(ctr_accel_registry *reg, const char *buf, size_t len, const char *name,
					    ctr_error **err)
{
	struct cdi_spec *s = NULL;
	char *why = NULL;
	int r;

	if (!reg || !buf)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_registry_check_cdi: NULL argument");
	if (!name)
		name = "cdi spec";
	if ((r = cdi_spec_parse(buf, len, name, &s, err)) < 0)
		return r;
	r = accel_cdi_spec_stale(reg->host_root, s, &why);
	if (r < 0)
		r = ctr_err_nomem(err);
	else if (r > 0)
		r = ctr_err(err, ESTALE, CTR_E_STATE,
			    "%s: stale CDI spec: %s; regenerate it: ctr-demo cdi generate --backend %s --kind %s --output %s (or nvidia-ctk cdi generate --output=%s)",
			    name, why, strstr(why, "WSL") ? "dxg" : "nvidia", s->kind, name, name);
	free(why);
	cdi_spec_free(s);
	return r;
}

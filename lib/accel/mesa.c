/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mesa: the graphics stack of a DRI GPU, taken from the host for the GPU's
 * kernel driver, for the graphics capability of the dri, virtio-gpu and amd
 * backends: the Vulkan ICD files (radeon_icd.x86_64.json, virtio_icd...,
 * with the drivers they name), Mesa's implicit layers (device select), the
 * GLVND EGL vendor file 50_mesa.json with libEGL_mesa, libGLX_mesa, and the
 * DRI drivers (radeonsi_dri.so, virtio_gpu_dri.so, ...), each with the
 * libraries it needs (resolved through the host's ld.so cache, glibc left to
 * the image).  Everything is mounted read-only at its host path, so the
 * loaders in the container find it where they look; the image's glibc must
 * be as new as the host's.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel-internal.h"

struct mesa_driver {
	const char *kernel;              /* the kernel's DRM driver */
	const char *icds[3];             /* Vulkan ICD file stems */
	const char *dri[4];              /* DRI driver names: <name>_dri.so */
};

static const struct mesa_driver mesa_drivers[] = {
	{ "amdgpu", { "radeon_icd" }, { "radeonsi" } },
	{ "radeon", { NULL }, { "r600", "r300" } },
	{ "i915", { "intel_icd", "intel_hasvk_icd" }, { "iris", "crocus", "i965" } },
	{ "xe", { "intel_icd" }, { "iris" } },
	{ "virtio_gpu", { "virtio_icd" }, { "virtio_gpu" } },
	{ "nouveau", { "nouveau_icd" }, { "nouveau" } },
	{ "msm", { "freedreno_icd" }, { "msm", "kgsl" } },
	{ "panfrost", { "panfrost_icd" }, { "panfrost" } },
	{ "panthor", { "panfrost_icd" }, { "panthor" } },
	{ "v3d", { "broadcom_icd" }, { "v3d" } },
	{ "vc4", { NULL }, { "vc4" } },
	{ "asahi", { "asahi_icd" }, { "asahi" } },
	{ "lima", { NULL }, { "lima" } },
	{ "etnaviv", { NULL }, { "etnaviv" } },
	{ "vmwgfx", { NULL }, { "vmwgfx" } },
};

static const char *const vk_dirs[] = { "/usr/share/vulkan", "/etc/vulkan" };

const char *accel_vulkan_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__i386__)
	return "i686";
#else
	return NULL;
#endif
}

/* The library a loader JSON file names ("ICD" or "layer"), as a path to add, or NULL. */
static char *json_library(const char *host_root, const struct accel_ldcache *c, const char *json_path,
			  const char *section, ctr_error **err)
{
	char *hp = accel_host_path(host_root, json_path), *buf = NULL, *dir, *r = NULL;
	struct json_object *root = NULL, *sec, *lp;
	const char *lib;
	size_t len;

	if (!hp || ctr_read_file(hp, 1 << 20, &buf, &len, err) < 0) {
		free(hp);
		return NULL;
	}
	free(hp);
	root = json_tokener_parse(buf);
	free(buf);
	if (!root || !json_object_object_get_ex(root, section, &sec) || !json_object_object_get_ex(sec, "library_path", &lp) ||
	    !(lib = json_object_get_string(lp)) || !*lib) {
		json_object_put(root);
		ctr_err(err, EINVAL, CTR_E_PARSE, "%s%s: no %s.library_path", strcmp(host_root, "/") ? host_root : "",
			json_path, section);
		return NULL;
	}
	if (lib[0] == '/') {
		r = strdup(lib);
	} else if (strchr(lib, '/')) {
		/* relative to the JSON file */
		dir = strdup(json_path);
		if (dir && asprintf(&r, "%s/%s", dirname(dir), lib) < 0)
			r = NULL;
		free(dir);
	} else {
		const char *p = accel_ldcache_lookup(c, ACCEL_ARCH_NATIVE, lib);
		r = p ? strdup(p) : NULL;
		if (!p)
			ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: %s is not in the host's ld.so cache", json_path, lib);
	}
	json_object_put(root);
	return r;
}

/* A loader JSON file and the library it names. */
static int add_json(const char *host_root, const struct accel_ldcache *c, struct accel_libset *set, const char *path,
		    const char *section, ctr_error **err)
{
	char *lib = json_library(host_root, c, path, section, err);
	int r;

	if (!lib)
		return -EINVAL;
	if (!accel_host_is_file(host_root, lib)) {
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s names %s, which is not on the host: reinstall Mesa", path, lib);
		free(lib);
		return r;
	}
	/* only a shared object goes into the container, whatever a loader file names */
	{
		char *hp = accel_host_path(host_root, lib), **needed = NULL;
		r = hp ? accel_elf_needed(hp, &needed) : -ENOMEM;
		free(hp);
		ctr_strv_free(needed);
		if (r == -EINVAL)
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s names %s, which is not an ELF shared object: reinstall Mesa",
				    path, lib);
		else if (r == -ENOMEM)
			r = ctr_err_nomem(err);
		else
			r = 0;
		if (r < 0) {
			free(lib);
			return r;
		}
	}
	/* the library by the path or soname the file gives, its soname link and folder for ldconfig */
	r = accel_libset_add_file(set, path);
	if (r == 0)
		r = accel_libset_add_closure(host_root, c, ACCEL_ARCH_NATIVE, set, lib);
	free(lib);
	return r < 0 ? ctr_err_nomem(err) : 0;
}

static int add_icds(const char *host_root, const struct accel_ldcache *c, const struct mesa_driver *d,
		    struct accel_libset *set, int *found, ctr_error **err)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(d->icds) && d->icds[i]; i++)
		for (size_t k = 0; k < CTR_ARRAY_SIZE(vk_dirs); k++) {
			char *a = NULL, *b = NULL;
			const char *hit = NULL;
			int r = 0;
			if (asprintf(&a, "%s/icd.d/%s.%s.json", vk_dirs[k], d->icds[i], accel_vulkan_arch() ? accel_vulkan_arch() : "none") < 0 ||
			    asprintf(&b, "%s/icd.d/%s.json", vk_dirs[k], d->icds[i]) < 0) {
				free(a);
				return ctr_err_nomem(err);
			}
			hit = accel_host_is_file(host_root, a) ? a : accel_host_is_file(host_root, b) ? b : NULL;
			if (hit && (r = add_json(host_root, c, set, hit, "ICD", err)) == 0)
				(*found)++;
			free(a);
			free(b);
			if (r < 0)
				return r;
		}
	return 0;
}

/* Mesa's implicit layers (VkLayer_MESA_*): device select, overlay. */
static int add_layers(const char *host_root, const struct accel_ldcache *c, struct accel_libset *set, ctr_error **err)
{
	int r = 0;

	for (size_t k = 0; r == 0 && k < CTR_ARRAY_SIZE(vk_dirs); k++) {
		char *dir = NULL, *hp;
		DIR *d;
		struct dirent *de;
		if (asprintf(&dir, "%s/implicit_layer.d", vk_dirs[k]) < 0)
			return ctr_err_nomem(err);
		hp = accel_host_path(host_root, dir);
		d = hp ? opendir(hp) : NULL;
		while (r == 0 && d && (de = readdir(d))) {
			char *p = NULL;
			size_t l = strlen(de->d_name);
			if (strncmp(de->d_name, "VkLayer_MESA", 12) != 0 || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
				continue;
			if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
				r = ctr_err_nomem(err);
			else if (accel_host_is_file(host_root, p))
				r = add_json(host_root, c, set, p, "layer", err);
			free(p);
		}
		if (d)
			closedir(d);
		free(hp);
		free(dir);
	}
	return r;
}

/* GLVND's Mesa vendor (EGL through 50_mesa.json, GLX by name) and the DRI drivers beside it. */
static int add_gl(const char *host_root, const struct accel_ldcache *c, const struct mesa_driver *const *drivers,
		  size_t n, struct accel_libset *set, int *found, ctr_error **err)
{
	static const char *const egl_vendor[] = { "/usr/share/glvnd/egl_vendor.d/50_mesa.json",
						  "/etc/glvnd/egl_vendor.d/50_mesa.json" };
	const char *glx = accel_ldcache_lookup(c, ACCEL_ARCH_NATIVE, "libGLX_mesa.so.0");
	const char *egl = accel_ldcache_lookup(c, ACCEL_ARCH_NATIVE, "libEGL_mesa.so.0");
	const char *anchor = glx ? glx : egl;
	char *real, *libdir = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < CTR_ARRAY_SIZE(egl_vendor); i++)
		if (accel_host_is_file(host_root, egl_vendor[i])) {
			r = add_json(host_root, c, set, egl_vendor[i], "ICD", err);
			break;
		}
	if (r == 0 && glx && accel_libset_add_closure(host_root, c, ACCEL_ARCH_NATIVE, set, glx) < 0)
		r = ctr_err_nomem(err);
	if (r < 0 || !anchor)
		return r;
	/* the DRI drivers live in <libdir>/dri */
	real = accel_resolve_in_root(host_root, anchor);
	if (!real)
		return ctr_err_nomem(err);
	libdir = dirname(real);
	for (size_t i = 0; r == 0 && i < n; i++)
		for (size_t k = 0; r == 0 && k < CTR_ARRAY_SIZE(drivers[i]->dri) && drivers[i]->dri[k]; k++) {
			char *p = NULL;
			if (asprintf(&p, "%s/dri/%s_dri.so", libdir, drivers[i]->dri[k]) < 0)
				r = ctr_err_nomem(err);
			else if (accel_host_is_file(host_root, p)) {
				(*found)++;
				if (accel_libset_add_plugin(host_root, c, ACCEL_ARCH_NATIVE, set, p) < 0)
					r = ctr_err_nomem(err);
			}
			free(p);
		}
	/* Mesa >= 24.3 loads its GBM backend from <libdir>/gbm */
	if (r == 0) {
		char *p = NULL;
		if (asprintf(&p, "%s/gbm/dri_gbm.so", libdir) < 0)
			r = ctr_err_nomem(err);
		else if (accel_host_is_file(host_root, p) && accel_libset_add_plugin(host_root, c, ACCEL_ARCH_NATIVE, set, p) < 0)
			r = ctr_err_nomem(err);
		free(p);
	}
	free(real);
	return r;
}

int accel_mesa_edits(const char *host_root, char *const *drivers, ctr_container_edits *e, ctr_error **err)
{
	const struct mesa_driver *want[CTR_ARRAY_SIZE(mesa_drivers)];
	struct accel_libset set = { 0 };
	struct accel_ldcache cache;
	size_t n = 0;
	int found = 0, r;

	for (size_t i = 0; drivers && drivers[i]; i++) {
		const struct mesa_driver *d = NULL;
		for (size_t k = 0; k < CTR_ARRAY_SIZE(mesa_drivers); k++)
			if (strcmp(mesa_drivers[k].kernel, drivers[i]) == 0)
				d = &mesa_drivers[k];
		if (!d)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "the graphics capability: Mesa has no driver for kernel driver %s%s", drivers[i],
				       strcmp(drivers[i], "nvidia") == 0 || strcmp(drivers[i], "nvidia-drm") == 0
					       ? " (NVIDIA GPUs: ask the nvidia backend, --gpus driver=nvidia)" : "");
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= want[k] == d;
		if (!dup)
			want[n++] = d;
	}
	if (!n)
		return 0;
	if ((r = accel_ldcache_open(host_root, &cache, err)) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_icds(host_root, &cache, want[i], &set, &found, err);
	if (r == 0 && found)
		r = add_layers(host_root, &cache, &set, err);
	if (r == 0)
		r = add_gl(host_root, &cache, want, n, &set, &found, err);
	accel_ldcache_close(&cache);
	if (r == 0 && !found)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    "the graphics capability: no Mesa driver for %s on this host (no Vulkan ICD file in %s%s/icd.d, no %s_dri.so): install Mesa (mesa-vulkan-drivers, libgl1-mesa-dri)",
			    want[0]->kernel, strcmp(host_root, "/") ? host_root : "", vk_dirs[0],
			    want[0]->dri[0] ? want[0]->dri[0] : want[0]->kernel);
	if (r == 0)
		r = accel_libset_edits(host_root, &set, e, err);
	accel_libset_free(&set);
	return r;
}

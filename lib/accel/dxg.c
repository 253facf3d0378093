/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dxg: GPU paravirtualisation of WSL2 and Docker Desktop.  The Windows host
 * hands its GPUs to the Linux VM through /dev/dxg (the dxgkrnl driver); the
 * user-space side lives in /usr/lib/wsl/lib (libdxcore, libd3d12,
 * libd3d12core, and NVIDIA's libcuda and nvidia-smi stubs) and in the
 * driver stores /usr/lib/wsl/drivers/<store>/ that the Windows drivers
 * publish (NVIDIA's holds libcuda.so.1.1, libnvidia-ml.so.1, nvidia-smi).
 *
 * Devices: dxg/gpu=all (any vendor: /dev/dxg with /usr/lib/wsl, for D3D12,
 * DirectML and Mesa's d3d12/dozen drivers) and, when an NVIDIA driver store
 * is there and no native driver or CDI spec provides it, nvidia.com/gpu=all
 * with exactly the edits `nvidia-ctk cdi generate --mode wsl` writes: the
 * GPU-PV device has no per-GPU nodes, so "all" is the only device.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accel/accel-internal.h"

#define WSL_LIB "/usr/lib/wsl/lib"
#define WSL_DRIVERS "/usr/lib/wsl/drivers"

/* nvidia-ctk's requiredDriverStoreFiles, in its order */
static const char *const nv_store_files[] = {
	"libcuda.so.1.1", "libcuda_loader.so", "libnvidia-ptxjitcompiler.so.1", "libnvidia-ml.so.1",
	"libnvidia-ml_loader.so", "libnvdxgdmal.so.1", "nvcubins.bin", "nvidia-smi",
};

/* The driver stores, sorted: "/usr/lib/wsl/drivers/<store>" each. */
static int list_stores(const char *host_root, char ***out)
{
	char *dir = accel_host_path(host_root, WSL_DRIVERS);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int r = dir ? 0 : -ENOMEM;

	while (r == 0 && d && (de = readdir(d))) {
		char *p = NULL;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, WSL_DRIVERS "/%s", de->d_name) < 0)
			r = -ENOMEM;
		else {
			char *hp = accel_host_path(host_root, p);
			struct stat st;
			if (!hp)
				r = -ENOMEM;
			else if (stat(hp, &st) == 0 && S_ISDIR(st.st_mode))
				r = strv_append(out, p);
			free(hp);
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	for (size_t i = 1; r == 0 && *out && (*out)[i]; i++)
		for (size_t j = i; j > 0 && strcmp((*out)[j - 1], (*out)[j]) > 0; j--) {
			char *t = (*out)[j];
			(*out)[j] = (*out)[j - 1];
			(*out)[j - 1] = t;
		}
	return r;
}

char *accel_dxg_nvidia_store(const char *host_root)
{
	char **stores = NULL, *found = NULL;

	if (list_stores(host_root, &stores) < 0)
		return NULL;
	for (size_t i = 0; !found && stores && stores[i]; i++) {
		char *p = NULL;
		if (asprintf(&p, "%s/libcuda.so.1.1", stores[i]) >= 0 && accel_host_is_file(host_root, p))
			found = strdup(stores[i]);
		free(p);
	}
	ctr_strv_free(stores);
	return found;
}

char *accel_dxg_spec_store(const struct cdi_spec *s)
{
	char **paths = NULL, *store = NULL;
	size_t pl = strlen(WSL_DRIVERS) + 1;

	if (accel_spec_mount_paths(s, &paths) < 0)
		return NULL;
	for (size_t i = 0; !store && paths && paths[i]; i++) {
		const char *p = paths[i], *end;
		if (strncmp(p, WSL_DRIVERS "/", pl) == 0 && (end = strchr(p + pl, '/')) && end > p + pl)
			store = strndup(p, (size_t)(end - p));
	}
	ctr_strv_free(paths);
	return store;
}

/* ---- discovery ---- */

static bool reported(const ctr_accel_registry *reg, const char *qualified)
{
	for (size_t i = 0; i < reg->n_devs; i++)
		if (strcmp(reg->devs[i]->qualified, qualified) == 0)
			return true;
	return false;
}

static int dxg_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_registry *reg = data;
	ctr_accel_device_info info;
	char *node = NULL, *store = NULL, **stores = NULL, **caps = NULL;
	const char *nodes[2];
	int r;

	if (!accel_host_is_chr(host_root, "/dev/dxg"))
		return 0;
	node = accel_host_path(host_root, "/dev/dxg");
	if (!node || list_stores(host_root, &stores) < 0 || strv_appendf(&caps, "driver-stores=%zu", ctr_strv_len((const char *const *)stores)) < 0) {
		r = ctr_err_nomem(err);
		goto out;
	}
	store = accel_dxg_nvidia_store(host_root);
	if (store && strv_appendf(&caps, "nvidia-store=%s", store) < 0) {
		r = ctr_err_nomem(err);
		goto out;
	}
	nodes[0] = node;
	nodes[1] = NULL;
	ctr_accel_device_info_init(&info);
	info.kind = "dxg/gpu";
	info.name = "all";
	info.vendor = "microsoft";
	info.driver = "dxgkrnl";
	info.nodes = nodes;
	info.capabilities = (const char *const *)caps;
	r = ctr_accel_discovery_add(disc, &info, err);
	/* a native driver or a current CDI spec takes nvidia.com/gpu first */
	if (r == 0 && store && !reported(reg, "nvidia.com/gpu=all")) {
		info.kind = "nvidia.com/gpu";
		info.vendor = "nvidia";
		r = ctr_accel_discovery_add(disc, &info, err);
	}
out:
	free(node);
	free(store);
	ctr_strv_free(stores);
	ctr_strv_free(caps);
	return r;
}

/* ---- edits ---- */

static int dxg_device_edits(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
			    ctr_container_edits *e, ctr_error **err)
{
	const char *sel = strchr(request, '=');

	(void)o;
	if (!sel || (strncmp(request, "dxg/gpu=", 8) != 0 && strncmp(request, "nvidia.com/gpu=", 15) != 0))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the dxg backend serves dxg/gpu and nvidia.com/gpu",
			       request);
	if (strcmp(sel + 1, "all") != 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "'%s': with GPU paravirtualisation (WSL2, /dev/dxg) every GPU comes through one device: ask for all",
			       request);
	if (!accel_host_is_chr(reg->host_root, "/dev/dxg"))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': %s/dev/dxg is missing: this is not a WSL2 host",
			       request, strcmp(reg->host_root, "/") ? reg->host_root : "");
	return accel_add_node_stat(reg->host_root, e, "/dev/dxg", false, err);
}

/* nvidia-ctk's mount order: by depth, then by path */
static int mount_depth(const char *p)
{
	int n = 0;

	for (; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	return n;
}

static void sort_paths(char **v)
{
	for (size_t i = 1; v && v[i]; i++)
		for (size_t j = i; j > 0; j--) {
			int a = mount_depth(v[j - 1]), b = mount_depth(v[j]);
			if (a < b || (a == b && strcmp(v[j - 1], v[j]) <= 0))
				break;
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* lib?*.so* as nvidia-ctk's isLibName sees it */
static bool is_lib_name(const char *path)
{
	const char *b = strrchr(path, '/'), *so;

	b = b ? b + 1 : path;
	if (strncmp(b, "lib", 3) != 0 || !b[3] || !(so = strstr(b + 4, ".so")))
		return false;
	/* the last ".so" is followed by nothing or by ".N" */
	for (const char *n = so; (n = strstr(n + 1, ".so"));)
		so = n;
	return so[3] == '\0' || so[3] == '.';
}

static bool glob_match(const char *name)
{
	size_t l = strlen(name);

	return strstr(name, ".so") || (l > 4 && strcmp(name + l - 4, ".bin") == 0) ||
	       (l > 4 && strcmp(name + l - 4, ".dll") == 0);
}

/* What `nvidia-ctk cdi generate --mode wsl` puts in the spec-level edits. */
static int nvidia_wsl_edits(const char *host_root, ctr_container_edits *e, ctr_error **err)
{
	char *store = accel_dxg_nvidia_store(host_root), **mounts = NULL, **dirs = NULL, **links = NULL, *smi = NULL;
	char *hp = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	if (!store)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "no NVIDIA driver store in %s%s (no libcuda.so.1.1): install the NVIDIA driver on the Windows host",
			       strcmp(host_root, "/") ? host_root : "", WSL_DRIVERS);
	if (accel_host_is_file(host_root, WSL_LIB "/libdxcore.so") && strv_append(&mounts, WSL_LIB "/libdxcore.so") < 0)
		goto nomem;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_store_files); i++) {
		char *p = NULL;
		if (asprintf(&p, "%s/%s", store, nv_store_files[i]) < 0)
			goto nomem;
		if (accel_host_is_file(host_root, p)) {
			if (strv_append(&mounts, p) < 0) {
				free(p);
				goto nomem;
			}
			if (strcmp(nv_store_files[i], "nvidia-smi") == 0)
				smi = strdup(p);
			else if (is_lib_name(p) && !accel_strv_contains(dirs, store) && strv_append(&dirs, store) < 0) {
				free(p);
				goto nomem;
			}
		}
		free(p);
	}
	if (accel_strv_contains(mounts, WSL_LIB "/libdxcore.so") && strv_append(&dirs, WSL_LIB) < 0)
		goto nomem;
	/* the rest of the store: *.so*, *.bin, *.dll */
	hp = accel_host_path(host_root, store);
	d = hp ? opendir(hp) : NULL;
	while (d && (de = readdir(d))) {
		char *p = NULL;
		bool required = false;
		if (de->d_name[0] == '.' || !glob_match(de->d_name))
			continue;
		for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_store_files); i++)
			if (strcmp(de->d_name, nv_store_files[i]) == 0)
				required = true;
		if (required)
			continue;
		if (asprintf(&p, "%s/%s", store, de->d_name) < 0)
			goto nomem;
		if (accel_host_is_file(host_root, p) && strv_append(&mounts, p) < 0) {
			free(p);
			goto nomem;
		}
		free(p);
	}
	sort_paths(mounts);
	for (size_t i = 0; r == 0 && mounts && mounts[i]; i++)
		r = accel_add_ro_bind(host_root, e, mounts[i], err);
	if (r == 0 && smi) {
		char *l = NULL;
		if (asprintf(&l, "%s::/usr/bin/nvidia-smi", smi) < 0 || strv_append(&links, l) < 0) {
			free(l);
			goto nomem;
		}
		free(l);
		r = accel_cdi_hook(e, "create-symlinks", "--link", links, err);
	}
	if (r == 0 && dirs)
		r = accel_cdi_hook(e, "update-ldcache", "--folder", dirs, err);
	if (r == 0)
		r = ctr_container_edits_add_env(e, "NVIDIA_VISIBLE_DEVICES=void", err);
	goto out;
nomem:
	r = ctr_err_nomem(err);
out:
	if (d)
		closedir(d);
	free(hp);
	free(store);
	free(smi);
	ctr_strv_free(mounts);
	ctr_strv_free(dirs);
	ctr_strv_free(links);
	return r;
}

/* Any vendor: /usr/lib/wsl whole, with its lib folder in the container's ld cache. */
static int dxg_vendor_edits(const char *host_root, ctr_container_edits *e, ctr_error **err)
{
	static char *const lib[] = { (char *)WSL_LIB, NULL };
	int r = 0;

	if (accel_host_exists(host_root, WSL_LIB))
		r = accel_add_ro_bind(host_root, e, WSL_LIB, err);
	if (r == 0 && accel_host_exists(host_root, WSL_DRIVERS))
		r = accel_add_ro_bind(host_root, e, WSL_DRIVERS, err);
	if (r == 0 && accel_host_exists(host_root, WSL_LIB))
		r = accel_cdi_hook(e, "update-ldcache", "--folder", lib, err);
	return r;
}

static int dxg_common_edits(ctr_accel_registry *reg, const char *kind, char *const *requests,
			    const struct accel_opts *o, ctr_container_edits *e, ctr_error **err)
{
	(void)requests;
	(void)o;
	if (strcmp(kind, "nvidia.com/gpu") == 0)
		return nvidia_wsl_edits(reg->host_root, e, err);
	return dxg_vendor_edits(reg->host_root, e, err);
}

ACCEL_DEFINE_BUILTIN(accel_dxg_builtin, "dxg", dxg_discover, dxg_device_edits, dxg_common_edits);

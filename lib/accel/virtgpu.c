/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-gpu: the DRI GPUs whose driver is virtio_gpu (Linux guests of
 * libkrun/krunkit, QEMU, crosvm), with their capabilities probed through
 * DRM_IOCTL_VIRTGPU_GETPARAM on the render node.  The probe goes through
 * struct virtgpu_probe_ops so tests can answer it without the driver.
 *
 * Requests: virtio-gpu/gpu=all|<index>|<pci address>.  When the host offers
 * the Venus capset, the container gets the environment Mesa's Venus Vulkan
 * driver needs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/accel-internal.h"

/* From the kernel's include/uapi/drm/virtgpu_drm.h (not shipped by Debian's
 * linux-libc-dev): the ABI is stable. */
struct ctr_drm_virtgpu_getparam {
	uint64_t param;
	uint64_t value; /* user pointer to an int */
};
#define CTR_DRM_IOCTL_VIRTGPU_GETPARAM _IOWR('d', 0x40 + 0x03, struct ctr_drm_virtgpu_getparam)

enum {
	VIRTGPU_PARAM_3D_FEATURES = 1,
	VIRTGPU_PARAM_CAPSET_QUERY_FIX = 2,
	VIRTGPU_PARAM_RESOURCE_BLOB = 3,
	VIRTGPU_PARAM_HOST_VISIBLE = 4,
	VIRTGPU_PARAM_CROSS_DEVICE = 5,
	VIRTGPU_PARAM_CONTEXT_INIT = 6,
	VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS = 7,
};

static const struct {
	int id;
	const char *name;
} capsets[] = {
	{ 1, "virgl" }, { 2, "virgl2" }, { 3, "gfxstream-vulkan" }, { 4, "venus" },
	{ 5, "cross-domain" }, { 6, "drm" },
};

#define CAPSET_VENUS 4

static int kernel_getparam(void *data, const char *node, uint64_t param, uint64_t *value)
{
	struct ctr_drm_virtgpu_getparam gp;
	int v = 0, fd, r = 0;

	(void)data;
	fd = open(node, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	gp.param = param;
	gp.value = (uint64_t)(uintptr_t)&v;
	if (ioctl(fd, CTR_DRM_IOCTL_VIRTGPU_GETPARAM, &gp) < 0)
		r = -errno;
	close(fd);
	if (r == 0)
		*value = (uint64_t)(unsigned)v;
	return r;
}

struct virtgpu_caps {
	bool probed;
	int probe_errno;
	uint64_t features_3d, blob, host_visible, context_init, capset_mask;
};

static void probe(const ctr_accel_registry *reg, const struct dri_gpu *g, struct virtgpu_caps *c)
{
	const struct dri_node *render = NULL;
	int (*fn)(void *, const char *, uint64_t, uint64_t *) =
		reg->virtgpu_probe.getparam ? reg->virtgpu_probe.getparam : kernel_getparam;
	int r;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].render)
			render = &g->nodes[i];
	if (!render && g->n_nodes)
		render = &g->nodes[0];
	if (!render)
		return;
	r = fn(reg->virtgpu_probe.data, render->dev_path, VIRTGPU_PARAM_3D_FEATURES, &c->features_3d);
	if (r < 0) {
		c->probe_errno = -r;
		return;
	}
	c->probed = true;
	/* older kernels lack the later params: treat an error as "no" */
	if (fn(reg->virtgpu_probe.data, render->dev_path, VIRTGPU_PARAM_RESOURCE_BLOB, &c->blob) < 0)
		c->blob = 0;
	if (fn(reg->virtgpu_probe.data, render->dev_path, VIRTGPU_PARAM_HOST_VISIBLE, &c->host_visible) < 0)
		c->host_visible = 0;
	if (fn(reg->virtgpu_probe.data, render->dev_path, VIRTGPU_PARAM_CONTEXT_INIT, &c->context_init) < 0)
		c->context_init = 0;
	if (fn(reg->virtgpu_probe.data, render->dev_path, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS, &c->capset_mask) < 0)
		c->capset_mask = 0;
}

static int caps_strv(const struct virtgpu_caps *c, char ***out)
{
	char buf[256] = "";
	int r;

	if (!c->probed)
		return strv_appendf(out, "probe=failed: %s", strerror(c->probe_errno ? c->probe_errno : ENODEV));
	if ((r = strv_appendf(out, "3d=%s", c->features_3d ? "yes" : "no")) < 0 ||
	    (r = strv_appendf(out, "blob=%s", c->blob ? "yes" : "no")) < 0 ||
	    (r = strv_appendf(out, "host-visible=%s", c->host_visible ? "yes" : "no")) < 0 ||
	    (r = strv_appendf(out, "context-init=%s", c->context_init ? "yes" : "no")) < 0)
		return r;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(capsets); i++)
		if (c->capset_mask & (1ull << capsets[i].id)) {
			if (buf[0])
				strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, capsets[i].name, sizeof(buf) - strlen(buf) - 1);
		}
	return strv_appendf(out, "capsets=%s", buf);
}

static int virtgpu_scan(const char *host_root, struct dri_gpu **out, size_t *n, ctr_error **err)
{
	struct dri_gpu *g;
	size_t m, k = 0;
	int r = dri_scan(host_root, &g, &m, err);

	if (r < 0)
		return r;
	/* keep only virtio_gpu ones, renumbered */
	for (size_t i = 0; i < m; i++) {
		if (g[i].driver && strcmp(g[i].driver, "virtio_gpu") == 0) {
			struct dri_gpu t = g[k];
			g[k] = g[i];
			g[i] = t;
			g[k].index = (int)k;
			k++;
		}
	}
	for (size_t i = k; i < m; i++) {
		/* free the others' contents; the array itself goes with the kept ones */
		struct dri_gpu *x = &g[i];
		for (size_t j = 0; j < x->n_nodes; j++) {
			free(x->nodes[j].name);
			free(x->nodes[j].dev_path);
			free(x->nodes[j].container_path);
			free(x->nodes[j].by_path);
			free(x->nodes[j].by_path_target);
		}
		free(x->nodes);
		free(x->pci);
		free(x->vendor_id);
		free(x->device_id);
		free(x->vendor);
		free(x->driver);
		free(x->sys_device);
	}
	*out = g;
	*n = k;
	return 0;
}

static int virtgpu_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_registry *reg = data;
	struct dri_gpu *g;
	size_t n;
	int r;

	if ((r = virtgpu_scan(host_root, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct virtgpu_caps c;
		char **nodes = NULL, **caps = NULL;

		probe(reg, &g[i], &c);
		for (size_t j = 0; j < g[i].n_nodes && r == 0; j++)
			r = strv_append(&nodes, g[i].nodes[j].dev_path);
		if (r == 0)
			r = caps_strv(&c, &caps);
		if (r < 0) {
			ctr_strv_free(nodes);
			r = ctr_err_nomem(err);
			break;
		}
		r = dri_gpu_report(disc, &g[i], "virtio-gpu/gpu", nodes, caps, err);
	}
	dri_gpus_free(g, n);
	return r;
}

static int virtgpu_device_edits(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
				ctr_container_edits *e, ctr_error **err)
{
	const char *host_root = reg->host_root, *sel = strchr(request, '=');
	struct dri_gpu *g;
	size_t n, hits = 0;
	bool venus = false;
	int r;

	(void)o;
	if (!sel || strncmp(request, "virtio-gpu/gpu=", 15) != 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the virtio-gpu backend serves virtio-gpu/gpu", request);
	sel++;
	if ((r = virtgpu_scan(host_root, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		char idx[16];
		struct virtgpu_caps c;

		snprintf(idx, sizeof(idx), "%d", g[i].index);
		if (strcmp(sel, "all") != 0 && strcmp(sel, idx) != 0 && !(g[i].pci && strcasecmp(sel, g[i].pci) == 0))
			continue;
		hits++;
		probe(reg, &g[i], &c);
		if (c.probed && (c.capset_mask & (1ull << CAPSET_VENUS)))
			venus = true;
		/* render node for Vulkan/GL; the card node too, for KMS clients (krunkit's display) */
		r = dri_gpu_edits(host_root, &g[i], true, e, err);
	}
	dri_gpus_free(g, n);
	if (r == 0 && hits == 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': no virtio-gpu device matches '%s' (all, an index or a PCI address)",
			       request, sel);
	if (r == 0 && venus && accel_vulkan_arch()) {
		char *icd;
		/* Mesa's Venus driver is the virtio ICD; point the loader at it
		 * (VK_DRIVER_FILES for loaders >= 1.3.207, VK_ICD_FILENAMES before). */
		if (asprintf(&icd, "/usr/share/vulkan/icd.d/virtio_icd.%s.json", accel_vulkan_arch()) < 0)
			return ctr_err_nomem(err);
		char *a = NULL, *b = NULL;
		if (asprintf(&a, "VK_DRIVER_FILES=%s", icd) < 0 || asprintf(&b, "VK_ICD_FILENAMES=%s", icd) < 0) {
			free(a);
			free(icd);
			return ctr_err_nomem(err);
		}
		free(icd);
		r = ctr_container_edits_add_env(e, a, err);
		if (r == 0)
			r = ctr_container_edits_add_env(e, b, err);
		free(a);
		free(b);
	}
	return r;
}

/* With the graphics capability: the host's Mesa for virtio_gpu (virgl, Venus). */
static int virtgpu_common_edits(ctr_accel_registry *reg, const char *kind, char *const *requests,
				const struct accel_opts *o, ctr_container_edits *e, ctr_error **err)
{
	(void)kind;
	return dri_graphics_edits(reg, requests, o, true, e, err);
}

ACCEL_DEFINE_BUILTIN(accel_virtgpu_builtin, "virtio-gpu", virtgpu_discover, virtgpu_device_edits, virtgpu_common_edits);

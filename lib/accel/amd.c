/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * amd: AMD GPUs for ROCm.  Discovery reads the KFD topology
 * (/sys/class/kfd/kfd/topology/nodes/N/properties: the GPU nodes are the
 * ones with SIMDs and a DRM render minor), the PCI address each node's
 * location_id and domain encode, and the partition mode sysfs shows on the
 * PCI device (current_compute_partition, current_memory_partition): a GPU
 * split into compute partitions (XCPs, e.g. CPX on an MI300) has one KFD
 * node and one render node per partition, and each partition is a device.
 * Devices are numbered as AMD's container toolkit numbers them: by PCI
 * address, then render minor.
 *
 * Requests: amd.com/gpu=<index>|<unique id (0x...)>|<PCI address>|all give
 * the render node (and the card node of a whole GPU) of each device, with
 * /dev/kfd shared by all of them; the nodes' groups (render, video) join
 * the process's additional gids.  With the graphics capability the host's
 * Mesa for amdgpu comes along.
 */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel-internal.h"

#define KFD_NODES "/sys/class/kfd/kfd/topology/nodes"

struct amd_gpu {
	char pci[16];                    /* "0000:03:00.0" */
	uint64_t unique_id;
	bool has_unique_id;
	int render_minor;
	unsigned gfx_target;             /* gfx_target_version, e.g. 90402 */
	char *partition;                 /* "cpx_nps1" or NULL */
	int index;
};

static void gpus_free(struct amd_gpu *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].partition);
	free(g);
}

/* "name value" lines; false when name is absent */
static bool prop(const char *text, const char *name, uint64_t *v)
{
	size_t l = strlen(name);

	for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
		if (strncmp(s, name, l) == 0 && (s[l] == ' ' || s[l] == '\t')) {
			char *end;
			errno = 0;
			*v = strtoull(s + l + 1, &end, 10);
			return errno == 0 && end != s + l + 1;
		}
	return false;
}

static char *lower_trim(char *s)
{
	for (char *c = s; s && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

static char *partition_of(const char *host_root, const char *pci)
{
	char *p = NULL, *hp, *cp = NULL, *mp = NULL, *r = NULL;

	if (asprintf(&p, "/sys/bus/pci/devices/%s/current_compute_partition", pci) < 0)
		return NULL;
	hp = accel_host_path(host_root, p);
	cp = hp ? lower_trim(accel_read_trim(hp)) : NULL;
	free(hp);
	free(p);
	if (asprintf(&p, "/sys/bus/pci/devices/%s/current_memory_partition", pci) < 0) {
		free(cp);
		return NULL;
	}
	hp = accel_host_path(host_root, p);
	mp = hp ? lower_trim(accel_read_trim(hp)) : NULL;
	free(hp);
	free(p);
	/* AMD's container toolkit names it compute_memory ("cpx_nps1") */
	if ((cp || mp) && asprintf(&r, "%s_%s", cp ? cp : "", mp ? mp : "") < 0)
		r = NULL;
	free(cp);
	free(mp);
	return r;
}

static int cmp_gpu(const void *a, const void *b)
{
	const struct amd_gpu *x = a, *y = b;
	int c = strcmp(x->pci, y->pci);

	return c ? c : x->render_minor - y->render_minor;
}

static int amd_scan(const char *host_root, struct amd_gpu **out, size_t *n_out, ctr_error **err)
{
	char *dir = accel_host_path(host_root, KFD_NODES);
	struct amd_gpu *g = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (!dir)
		return ctr_err_nomem(err);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char *p = NULL, *text;
		uint64_t simd = 0, minor = 0, loc = 0, dom = 0, v;
		struct amd_gpu *ng;

		if (de->d_name[0] == '.' || asprintf(&p, "%s/%s/properties", dir, de->d_name) < 0)
			continue;
		text = accel_read_trim(p);
		free(p);
		if (!text)
			continue;
		/* CPU nodes have no SIMDs; a GPU without a render node is not for us */
		if (!prop(text, "simd_count", &simd) || simd == 0 || !prop(text, "drm_render_minor", &minor) ||
		    minor == 0 || minor > 0xfffff || !prop(text, "location_id", &loc)) {
			free(text);
			continue;
		}
		prop(text, "domain", &dom);
		ng = realloc(g, (n + 1) * sizeof(*ng));
		if (!ng) {
			free(text);
			r = ctr_err_nomem(err);
			break;
		}
		g = ng;
		ng = &g[n++];
		memset(ng, 0, sizeof(*ng));
		snprintf(ng->pci, sizeof(ng->pci), "%04x:%02x:%02x.%x", (unsigned)(dom & 0xffff),
			 (unsigned)((loc >> 8) & 0xff), (unsigned)((loc >> 3) & 0x1f), (unsigned)(loc & 7));
		ng->render_minor = (int)minor;
		ng->has_unique_id = prop(text, "unique_id", &ng->unique_id);
		if (prop(text, "gfx_target_version", &v))
			ng->gfx_target = (unsigned)v;
		free(text);
		ng->partition = partition_of(host_root, ng->pci);
	}
	if (d)
		closedir(d);
	free(dir);
	if (r < 0) {
		gpus_free(g, n);
		return r;
	}
	if (n)
		qsort(g, n, sizeof(*g), cmp_gpu);
	for (size_t i = 0; i < n; i++)
		g[i].index = (int)i;
	*out = g;
	*n_out = n;
	return 0;
}

/* gfx_target_version 90402 -> "gfx942", 90010 -> "gfx90a", 110000 -> "gfx1100" */
static void gfx_name(unsigned v, char *buf, size_t n)
{
	snprintf(buf, n, "gfx%u%x%x", v / 10000, (v / 100) % 100, v % 100);
}

static int amd_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	struct amd_gpu *g;
	size_t n;
	int r;

	(void)data;
	if ((r = amd_scan(host_root, &g, &n, err)) < 0)
		return r;
	if (n && !accel_host_is_chr(host_root, "/dev/kfd")) {
		gpus_free(g, n);
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "the KFD topology lists %zu AMD GPU(s) but %s/dev/kfd is missing: load amdgpu (modprobe amdgpu) and check udev",
			       n, strcmp(host_root, "/") ? host_root : "");
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		ctr_accel_device_info info;
		char name[16], node[48], *hnode, gfx[32], **caps = NULL;
		const char *nodes[3];

		snprintf(name, sizeof(name), "%d", g[i].index);
		snprintf(node, sizeof(node), "/dev/dri/renderD%d", g[i].render_minor);
		hnode = accel_host_path(host_root, node);
		gfx_name(g[i].gfx_target, gfx, sizeof(gfx));
		if (!hnode || (g[i].has_unique_id && strv_appendf(&caps, "uuid=0x%" PRIx64, g[i].unique_id) < 0) ||
		    (g[i].gfx_target && strv_appendf(&caps, "gfx-target=%s", gfx) < 0) ||
		    (g[i].partition && strv_appendf(&caps, "partition=%s", g[i].partition) < 0)) {
			free(hnode);
			ctr_strv_free(caps);
			r = ctr_err_nomem(err);
			break;
		}
		nodes[0] = hnode;
		nodes[1] = NULL;
		ctr_accel_device_info_init(&info);
		info.kind = "amd.com/gpu";
		info.name = name;
		info.vendor = "amd";
		info.driver = "amdgpu";
		info.pci_address = g[i].pci;
		info.nodes = nodes;
		info.capabilities = (const char *const *)caps;
		r = ctr_accel_discovery_add(disc, &info, err);
		free(hnode);
		ctr_strv_free(caps);
	}
	if (r == 0 && n) {
		ctr_accel_device_info info;
		ctr_accel_device_info_init(&info);
		info.kind = "amd.com/gpu";
		info.name = "all";
		info.vendor = "amd";
		info.driver = "amdgpu";
		r = ctr_accel_discovery_add(disc, &info, err);
	}
	gpus_free(g, n);
	return r;
}

static bool selects(const struct amd_gpu *g, const char *sel)
{
	char idx[16];

	snprintf(idx, sizeof(idx), "%d", g->index);
	if (strcmp(sel, "all") == 0 || strcmp(sel, idx) == 0 || strcasecmp(sel, g->pci) == 0)
		return true;
	if (g->has_unique_id) {
		/* the unique id in hex, with or without 0x; a short decimal number is an index only */
		const char *h = (sel[0] == '0' && (sel[1] == 'x' || sel[1] == 'X')) ? sel + 2 : sel;
		size_t digits = strspn(sel, "0123456789");
		char *end;
		uint64_t v;
		if (!*h || !isxdigit((unsigned char)*h) || (h == sel && digits == strlen(sel) && digits <= 4))
			return false;
		errno = 0;
		v = strtoull(h, &end, 16);
		return errno == 0 && *end == '\0' && v == g->unique_id;
	}
	return false;
}

/* The render node, and the card node when the render node's DRM device has one (a whole GPU). */
static int gpu_nodes(const char *host_root, const struct amd_gpu *g, ctr_container_edits *e, ctr_error **err)
{
	struct dri_gpu *dg;
	char node[48];
	size_t n;
	int r;

	snprintf(node, sizeof(node), "/dev/dri/renderD%d", g->render_minor);
	if ((r = dri_scan(host_root, &dg, &n, err)) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool mine = false;
		for (size_t j = 0; j < dg[i].n_nodes; j++)
			if (dg[i].nodes[j].render && dg[i].nodes[j].index == g->render_minor)
				mine = true;
		for (size_t j = 0; mine && r == 0 && j < dg[i].n_nodes; j++)
			if (!dg[i].nodes[j].render)
				r = accel_add_node_stat(host_root, e, dg[i].nodes[j].container_path, true, err);
	}
	dri_gpus_free(dg, n);
	if (r == 0)
		r = accel_add_node_stat(host_root, e, node, true, err);
	return r;
}

static int amd_device_edits(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
			    ctr_container_edits *e, ctr_error **err)
{
	const char *sel = strchr(request, '=');
	struct amd_gpu *g;
	size_t n, hits = 0;
	int r;

	(void)o;
	if (!sel || strncmp(request, "amd.com/gpu=", 12) != 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the amd backend serves amd.com/gpu", request);
	sel++;
	if ((r = amd_scan(reg->host_root, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (selects(&g[i], sel)) {
			hits++;
			r = gpu_nodes(reg->host_root, &g[i], e, err);
		}
	gpus_free(g, n);
	if (r == 0 && hits == 0)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    "'%s': no AMD GPU matches '%s' (all, an index, a unique id such as 0x1a2b3c4d5e6f7081, or a PCI address)",
			    request, sel);
	return r;
}

static int amd_common_edits(ctr_accel_registry *reg, const char *kind, char *const *requests,
			    const struct accel_opts *o, ctr_container_edits *e, ctr_error **err)
{
	static char *const amdgpu[] = { (char *)"amdgpu", NULL };
	int r;

	(void)kind;
	(void)requests;
	if (!accel_host_is_chr(reg->host_root, "/dev/kfd"))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s/dev/kfd is missing: load amdgpu (modprobe amdgpu)",
			       strcmp(reg->host_root, "/") ? reg->host_root : "");
	r = accel_add_node_stat(reg->host_root, e, "/dev/kfd", true, err);
	if (r == 0 && o->caps_given && (o->caps & (CTR_GPU_CAP_GRAPHICS | CTR_GPU_CAP_DISPLAY)))
		r = accel_mesa_edits(reg->host_root, amdgpu, e, err);
	return r;
}

ACCEL_DEFINE_BUILTIN(accel_amd_builtin, "amd", amd_discover, amd_device_edits, amd_common_edits);

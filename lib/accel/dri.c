/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRI: GPUs discovered from sysfs (/sys/class/drm: cardN and renderDN, the
 * PCI device behind them, its vendor and driver) and /dev/dri, all beneath a
 * host root so tests can point it at a fake tree.
 *
 * Requests: dri/render=all|<index>|<pci address>|<vendor>|<driver> gives the
 * render nodes; dri/card=... gives the card nodes as well.  The host group
 * of each node (video, render) joins the process's additional gids.  With
 * the graphics capability (a GPU request's), the host's Mesa for the GPUs'
 * kernel drivers comes along (mesa.c).
 */
#include <ctype.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/accel-internal.h"

/*
 * Resolve one symlink level by hand: sysfs links are relative in a real
 * tree, but a fake tree may hold absolute ones, which must be rebased on the
 * host root instead of escaping to the real /sys.
 */
static char *resolve_link(const char *host_root, const char *link)
{
	char target[PATH_MAX], *dir, *r = NULL;
	ssize_t n = readlink(link, target, sizeof(target) - 1);

	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/') {
		char *a = accel_host_path(host_root, target), *c = a ? realpath(a, NULL) : NULL;
		if (c) {
			free(a);
			return c;
		}
		return a;
	}
	dir = strdup(link);
	if (!dir)
		return NULL;
	if (asprintf(&r, "%s/%s", dirname(dir), target) < 0)
		r = NULL;
	free(dir);
	/* canonical, so that card0 and renderD128 of one GPU compare equal */
	if (r) {
		char *c = realpath(r, NULL);
		if (c) {
			free(r);
			r = c;
		}
	}
	return r;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool is_pci_address(const char *s)
{
	unsigned a, b, c, d;
	int n = 0;

	return sscanf(s, "%4x:%2x:%2x.%1x%n", &a, &b, &c, &d, &n) == 4 && s[n] == '\0' && strlen(s) == 12;
}

static const char *vendor_name(const char *id)
{
	static const struct {
		const char *id, *name;
	} v[] = {
		{ "0x8086", "intel" }, { "0x1002", "amd" }, { "0x10de", "nvidia" },
		{ "0x1af4", "virtio" }, { "0x1a03", "aspeed" }, { "0x1234", "qemu" },
		{ "0x15ad", "vmware" }, { "0x5143", "qualcomm" },
	};

	for (size_t i = 0; id && i < CTR_ARRAY_SIZE(v); i++)
		if (strcasecmp(id, v[i].id) == 0)
			return v[i].name;
	return id;
}

void dri_gpus_free(struct dri_gpu *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++) {
		for (size_t j = 0; j < g[i].n_nodes; j++) {
			free(g[i].nodes[j].name);
			free(g[i].nodes[j].dev_path);
			free(g[i].nodes[j].container_path);
			free(g[i].nodes[j].by_path);
			free(g[i].nodes[j].by_path_target);
		}
		free(g[i].nodes);
		free(g[i].pci);
		free(g[i].vendor_id);
		free(g[i].device_id);
		free(g[i].vendor);
		free(g[i].driver);
		free(g[i].sys_device);
	}
	free(g);
}

static int node_kind(const char *name, bool *render, int *index)
{
	const char *p;

	if (strncmp(name, "renderD", 7) == 0) {
		p = name + 7;
		*render = true;
	} else if (strncmp(name, "card", 4) == 0) {
		p = name + 4;
		*render = false;
	} else {
		return -1;
	}
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return -1; /* card0-DP-1 and the like are connectors */
	*index = atoi(p);
	return 0;
}

static int cmp_gpu(const void *a, const void *b)
{
	const struct dri_gpu *x = a, *y = b;

	if (x->pci && y->pci)
		return strcmp(x->pci, y->pci);
	if (x->pci || y->pci)
		return x->pci ? -1 : 1;
	return strcmp(x->sys_device, y->sys_device);
}

static int cmp_node(const void *a, const void *b)
{
	const struct dri_node *x = a, *y = b;

	if (x->render != y->render)
		return x->render ? 1 : -1;
	return x->index - y->index;
}

/* by-path links: /dev/dri/by-path/pci-0000:00:02.0-render -> ../renderD128 */
static void find_by_path(const char *host_root, struct dri_node *node)
{
	char *dir = accel_host_path(host_root, "/dev/dri/by-path");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *lp, tgt[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.' || asprintf(&lp, "%s/%s", dir, de->d_name) < 0)
			continue;
		n = readlink(lp, tgt, sizeof(tgt) - 1);
		free(lp);
		if (n < 0)
			continue;
		tgt[n] = '\0';
		if (strcmp(base_name(tgt), node->name) == 0) {
			if (asprintf(&node->by_path, "/dev/dri/by-path/%s", de->d_name) < 0)
				node->by_path = NULL;
			node->by_path_target = strdup(tgt);
			break;
		}
	}
	if (d)
		closedir(d);
	free(dir);
}

int dri_scan(const char *host_root, struct dri_gpu **out, size_t *n_out, ctr_error **err)
{
	char *cls = accel_host_path(host_root, "/sys/class/drm");
	struct dri_gpu *g = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (!cls)
		return ctr_err_nomem(err);
	d = opendir(cls);
	if (!d) {
		free(cls);
		return errno == ENOENT ? 0 : ctr_err_sys(err, errno, "%s/sys/class/drm", host_root);
	}
	while ((de = readdir(d))) {
		bool render;
		int index;
		char *link = NULL, *dev = NULL, *drv = NULL, *tmp = NULL;
		struct dri_gpu *gpu = NULL;
		struct dri_node *nn;

		if (de->d_name[0] == '.' || node_kind(de->d_name, &render, &index) < 0)
			continue;
		if (asprintf(&link, "%s/%s/device", cls, de->d_name) < 0) {
			r = ctr_err_nomem(err);
			break;
		}
		dev = resolve_link(host_root, link);
		free(link);
		if (!dev)
			continue; /* a node without a device (e.g. a virtual one) */
		for (size_t i = 0; i < n; i++)
			if (strcmp(g[i].sys_device, dev) == 0)
				gpu = &g[i];
		if (!gpu) {
			struct dri_gpu *ng = realloc(g, (n + 1) * sizeof(*ng));
			if (!ng) {
				free(dev);
				r = ctr_err_nomem(err);
				break;
			}
			g = ng;
			gpu = &g[n++];
			memset(gpu, 0, sizeof(*gpu));
			gpu->sys_device = dev;
			dev = NULL;
			if (is_pci_address(base_name(gpu->sys_device))) {
				gpu->pci = strdup(base_name(gpu->sys_device));
			} else {
				/* a virtio device (virtio0) sits below its PCI function */
				char *par = strdup(gpu->sys_device), *slash = par ? strrchr(par, '/') : NULL;
				if (slash) {
					*slash = '\0';
					if (is_pci_address(base_name(par)))
						gpu->pci = strdup(base_name(par));
				}
				free(par);
			}
			if (asprintf(&tmp, "%s/vendor", gpu->sys_device) >= 0) {
				gpu->vendor_id = accel_read_trim(tmp);
				free(tmp);
			}
			if (asprintf(&tmp, "%s/device", gpu->sys_device) >= 0) {
				gpu->device_id = accel_read_trim(tmp);
				free(tmp);
			}
			if (asprintf(&tmp, "%s/driver", gpu->sys_device) >= 0) {
				drv = resolve_link(host_root, tmp);
				free(tmp);
				if (drv)
					gpu->driver = strdup(base_name(drv));
				free(drv);
			}
			if (gpu->vendor_id)
				gpu->vendor = strdup(vendor_name(gpu->vendor_id));
		}
		free(dev);
		nn = realloc(gpu->nodes, (gpu->n_nodes + 1) * sizeof(*nn));
		if (!nn) {
			r = ctr_err_nomem(err);
			break;
		}
		gpu->nodes = nn;
		nn = &gpu->nodes[gpu->n_nodes++];
		memset(nn, 0, sizeof(*nn));
		nn->name = strdup(de->d_name);
		nn->render = render;
		nn->index = index;
		if (asprintf(&nn->container_path, "/dev/dri/%s", de->d_name) < 0)
			nn->container_path = NULL;
		nn->dev_path = nn->container_path ? accel_host_path(host_root, nn->container_path) : NULL;
		if (!nn->name || !nn->container_path || !nn->dev_path) {
			r = ctr_err_nomem(err);
			break;
		}
		find_by_path(host_root, nn);
	}
	closedir(d);
	free(cls);
	if (r < 0) {
		dri_gpus_free(g, n);
		return r;
	}
	if (n)
		qsort(g, n, sizeof(*g), cmp_gpu);
	for (size_t i = 0; i < n; i++) {
		g[i].index = (int)i;
		if (g[i].n_nodes)
			qsort(g[i].nodes, g[i].n_nodes, sizeof(*g[i].nodes), cmp_node);
	}
	*out = g;
	*n_out = n;
	return 0;
}

int dri_gpu_edits(const char *host_root, const struct dri_gpu *g, bool cards, ctr_container_edits *e,
		  ctr_error **err)
{
	int r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct dri_node *nd = &g->nodes[i];
		struct stat st;

		if (!nd->render && !cards)
			continue;
		if (stat(nd->dev_path, &st) < 0)
			return ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
				       "DRI node %s of GPU %s (driver %s) is listed in sysfs but %s: %s: check udev and the driver",
				       nd->container_path, g->pci ? g->pci : g->sys_device, g->driver ? g->driver : "?",
				       nd->dev_path, strerror(errno));
		if ((r = ctr_container_edits_add_device_node(e, nd->container_path, nd->dev_path, "rwm", err)) < 0)
			return r;
		/* the node's group (video, render) so a non-root process may open it */
		if (st.st_gid != 0 && (r = ctr_container_edits_add_gid(e, (unsigned)st.st_gid, err)) < 0)
			return r;
	}
	return 0;
}

int dri_gpu_report(ctr_accel_discovery *disc, const struct dri_gpu *g, const char *kind, char **nodes,
		   char **caps, ctr_error **err)
{
	ctr_accel_device_info info;
	char name[16];
	int r;

	snprintf(name, sizeof(name), "%d", g->index);
	ctr_accel_device_info_init(&info);
	info.kind = kind;
	info.name = name;
	info.vendor = g->vendor;
	info.driver = g->driver;
	info.pci_address = g->pci;
	info.nodes = (const char *const *)nodes;
	info.capabilities = (const char *const *)caps;
	r = ctr_accel_discovery_add(disc, &info, err);
	ctr_strv_free(nodes);
	ctr_strv_free(caps);
	return r;
}

/* ---- the dri backend ---- */

static bool gpu_has(const struct dri_gpu *g, bool render)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].render == render)
			return true;
	return false;
}

static int dri_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	struct dri_gpu *g;
	size_t n;
	int r;

	(void)data;
	if ((r = dri_scan(host_root, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		for (int card = 0; card < 2 && r == 0; card++) {
			char **nodes = NULL, **caps = NULL;

			if (!gpu_has(&g[i], !card))
				continue;
			for (size_t j = 0; j < g[i].n_nodes && r == 0; j++)
				if (g[i].nodes[j].render || card)
					r = strv_append(&nodes, g[i].nodes[j].dev_path);
			if (r == 0 && g[i].vendor_id)
				r = strv_appendf(&caps, "vendor-id=%s", g[i].vendor_id);
			if (r == 0 && g[i].device_id)
				r = strv_appendf(&caps, "device-id=%s", g[i].device_id);
			for (size_t j = 0; j < g[i].n_nodes && r == 0; j++)
				if (g[i].nodes[j].by_path && (g[i].nodes[j].render || card))
					r = strv_appendf(&caps, "by-path=%s", g[i].nodes[j].by_path);
			if (r < 0) {
				ctr_strv_free(nodes);
				ctr_strv_free(caps);
				r = ctr_err_nomem(err);
				break;
			}
			r = dri_gpu_report(disc, &g[i], card ? "dri/card" : "dri/render", nodes, caps, err);
		}
	}
	dri_gpus_free(g, n);
	return r;
}

static bool gpu_matches(const struct dri_gpu *g, const char *sel)
{
	char idx[16];

	snprintf(idx, sizeof(idx), "%d", g->index);
	return strcmp(sel, "all") == 0 || strcmp(sel, idx) == 0 || (g->pci && strcasecmp(sel, g->pci) == 0) ||
	       (g->vendor && strcasecmp(sel, g->vendor) == 0) || (g->vendor_id && strcasecmp(sel, g->vendor_id) == 0) ||
	       (g->driver && strcmp(sel, g->driver) == 0);
}

static int dri_device_edits(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
			    ctr_container_edits *e, ctr_error **err)
{
	const char *host_root = reg->host_root, *eq = strchr(request, '='), *sel;
	bool cards = strncmp(request, "dri/card=", 9) == 0;
	struct dri_gpu *g;
	size_t n, hits = 0;
	int r;

	(void)o;
	if (!eq || (!cards && strncmp(request, "dri/render=", 11) != 0))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the dri backend serves dri/render and dri/card",
			       request);
	sel = eq + 1;
	if ((r = dri_scan(host_root, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!gpu_matches(&g[i], sel) || !gpu_has(&g[i], !cards))
			continue;
		hits++;
		r = dri_gpu_edits(host_root, &g[i], cards, e, err);
	}
	dri_gpus_free(g, n);
	if (r == 0 && hits == 0)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    "'%s': no GPU matches '%s' (use all, an index, a PCI address, a vendor or a driver name)", request,
			    sel);
	return r;
}

int dri_request_drivers(const char *host_root, char *const *requests, bool virtio_only, char ***drivers,
			ctr_error **err)
{
	struct dri_gpu *g;
	size_t n;
	int r;

	if ((r = dri_scan(host_root, &g, &n, err)) < 0)
		return r;
	for (size_t k = 0; r == 0 && requests && requests[k]; k++) {
		const char *sel = strchr(requests[k], '=');
		int idx = 0;
		if (!sel)
			continue;
		for (size_t i = 0; r == 0 && i < n; i++) {
			bool virtio = g[i].driver && strcmp(g[i].driver, "virtio_gpu") == 0;
			char num[16];
			if (virtio_only && !virtio)
				continue;
			/* virtio-gpu numbers its own GPUs */
			snprintf(num, sizeof(num), "%d", virtio_only ? idx++ : g[i].index);
			if (!g[i].driver || !(strcmp(sel + 1, "all") == 0 || strcmp(sel + 1, num) == 0 ||
					      (virtio_only ? (g[i].pci && strcasecmp(sel + 1, g[i].pci) == 0)
							   : gpu_matches(&g[i], sel + 1))))
				continue;
			if (!accel_strv_contains(*drivers, g[i].driver) && strv_append(drivers, g[i].driver) < 0)
				r = ctr_err_nomem(err);
		}
	}
	dri_gpus_free(g, n);
	return r;
}

int dri_graphics_edits(ctr_accel_registry *reg, char *const *requests, const struct accel_opts *o, bool virtio_only,
		       ctr_container_edits *e, ctr_error **err)
{
	char **drivers = NULL;
	int r;

	if (!o->caps_given || !(o->caps & (CTR_GPU_CAP_GRAPHICS | CTR_GPU_CAP_DISPLAY)))
		return 0;
	r = dri_request_drivers(reg->host_root, requests, virtio_only, &drivers, err);
	if (r == 0 && drivers)
		r = accel_mesa_edits(reg->host_root, drivers, e, err);
	ctr_strv_free(drivers);
	return r;
}

static int dri_common_edits(ctr_accel_registry *reg, const char *kind, char *const *requests,
			    const struct accel_opts *o, ctr_container_edits *e, ctr_error **err)
{
	(void)kind;
	return dri_graphics_edits(reg, requests, o, false, e, err);
}

ACCEL_DEFINE_BUILTIN(accel_dri_builtin, "dri", dri_discover, dri_device_edits, dri_common_edits);

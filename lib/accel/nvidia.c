/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nvidia: NVIDIA GPUs.  A current CDI spec for nvidia.com (as written by
 * `nvidia-ctk cdi generate`) is served by the cdi backend.  When there is
 * none, or it is stale (the driver version in its library paths differs
 * from /proc/driver/nvidia/version), the edits are generated from the host:
 * /dev/nvidiaN, nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset,
 * nvidia-caps (MIG), the GPU's DRI nodes, the driver's libraries found
 * through the ld.so cache, its firmware, and tools such as nvidia-smi.
 *
 * Devices: nvidia.com/gpu=<index> per GPU (index in PCI order), =<GPU UUID>,
 * =all, and nvidia.com/gpu=<index>:<gi>:<ci> per MIG compute instance.
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

#define NVIDIA_HOOK "/usr/bin/nvidia-cdi-hook"

/* A driver version: digits.digits[.digits] */
static bool is_driver_version(const char *s, size_t n)
{
	size_t dots = 0;

	if (n == 0 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return dots >= 1 && dots <= 2;
}

/* The version in /proc/driver/nvidia/version, e.g. "550.54.14"; NULL when no driver. */
static char *driver_version(const char *host_root)
{
	char *p = accel_host_path(host_root, "/proc/driver/nvidia/version"), *buf, *r = NULL;
	const char *s;

	buf = p ? accel_read_trim(p) : NULL;
	free(p);
	if (!buf)
		return NULL;
	s = strstr(buf, "Kernel Module");
	for (s = s ? s : buf; *s && *s != '\n'; s++) {
		size_t n = strcspn(s, " \t\n");
		if (n && is_driver_version(s, n) && (s == buf || isspace((unsigned char)s[-1]))) {
			r = strndup(s, n);
			break;
		}
	}
	free(buf);
	return r;
}

struct nv_mig {
	int gi, ci;
	int gi_minor, ci_minor; /* nvidia-cap minors */
};

struct nv_gpu {
	char *pci;
	char *uuid;
	char *model;
	int minor;
	int index;
	struct nv_mig *mig;
	size_t n_mig;
};

struct nv_host {
	char *version;
	struct nv_gpu *gpus;
	size_t n;
};

static void nv_host_free(struct nv_host *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->gpus[i].pci);
		free(h->gpus[i].uuid);
		free(h->gpus[i].model);
		free(h->gpus[i].mig);
	}
	free(h->gpus);
	free(h->version);
	memset(h, 0, sizeof(*h));
}

static char *info_field(const char *text, const char *key)
{
	const char *s = text;
	size_t kl = strlen(key);

	while (s && *s) {
		if (strncmp(s, key, kl) == 0 && s[kl] == ':') {
			const char *v = s + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return strndup(v, strcspn(v, "\n"));
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return NULL;
}

/* "DeviceFileMinor: 12" in a capability access file */
static int cap_minor(const char *path)
{
	char *t = accel_read_trim(path), *v;
	int m = -1;

	if (!t)
		return -1;
	v = info_field(t, "DeviceFileMinor");
	if (v)
		m = atoi(v);
	free(v);
	free(t);
	return m;
}

static int add_mig(const char *host_root, struct nv_gpu *g)
{
	char *base, *p;
	DIR *d;
	struct dirent *de;

	if (asprintf(&p, "/proc/driver/nvidia/capabilities/gpu%d/mig", g->minor) < 0)
		return -ENOMEM;
	base = accel_host_path(host_root, p);
	free(p);
	if (!base)
		return -ENOMEM;
	d = opendir(base);
	while (d && (de = readdir(d))) {
		int gi;
		char *gidir, *acc;
		DIR *d2;
		struct dirent *de2;

		if (sscanf(de->d_name, "gi%d", &gi) != 1 || asprintf(&gidir, "%s/%s", base, de->d_name) < 0)
			continue;
		if (asprintf(&acc, "%s/access", gidir) < 0) {
			free(gidir);
			continue;
		}
		int gim = cap_minor(acc);
		free(acc);
		d2 = opendir(gidir);
		while (d2 && (de2 = readdir(d2))) {
			int ci;
			struct nv_mig *nm;
			if (sscanf(de2->d_name, "ci%d", &ci) != 1 || asprintf(&acc, "%s/%s/access", gidir, de2->d_name) < 0)
				continue;
			int cim = cap_minor(acc);
			free(acc);
			if (gim < 0 || cim < 0)
				continue;
			nm = realloc(g->mig, (g->n_mig + 1) * sizeof(*nm));
			if (!nm)
				break;
			g->mig = nm;
			g->mig[g->n_mig++] = (struct nv_mig){ .gi = gi, .ci = ci, .gi_minor = gim, .ci_minor = cim };
		}
		if (d2)
			closedir(d2);
		free(gidir);
	}
	if (d)
		closedir(d);
	free(base);
	/* stable order: gi, ci */
	for (size_t i = 1; i < g->n_mig; i++)
		for (size_t j = i; j > 0 && (g->mig[j - 1].gi > g->mig[j].gi ||
					     (g->mig[j - 1].gi == g->mig[j].gi && g->mig[j - 1].ci > g->mig[j].ci)); j--) {
			struct nv_mig t = g->mig[j];
			g->mig[j] = g->mig[j - 1];
			g->mig[j - 1] = t;
		}
	return 0;
}

static int cmp_nv(const void *a, const void *b)
{
	return strcmp(((const struct nv_gpu *)a)->pci, ((const struct nv_gpu *)b)->pci);
}

static int nv_scan(const char *host_root, struct nv_host *h, ctr_error **err)
{
	char *dir;
	DIR *d;
	struct dirent *de;

	memset(h, 0, sizeof(*h));
	h->version = driver_version(host_root);
	if (!h->version)
		return 0;
	dir = accel_host_path(host_root, "/proc/driver/nvidia/gpus");
	d = dir ? opendir(dir) : NULL;
	while (d && (de = readdir(d))) {
		char *p, *text, *m;
		struct nv_gpu *ng;

		if (de->d_name[0] == '.' || asprintf(&p, "%s/%s/information", dir, de->d_name) < 0)
			continue;
		text = accel_read_trim(p);
		free(p);
		if (!text)
			continue;
		ng = realloc(h->gpus, (h->n + 1) * sizeof(*ng));
		if (!ng) {
			free(text);
			break;
		}
		h->gpus = ng;
		ng = &h->gpus[h->n++];
		memset(ng, 0, sizeof(*ng));
		ng->pci = info_field(text, "Bus Location");
		if (!ng->pci)
			ng->pci = strdup(de->d_name);
		ng->uuid = info_field(text, "GPU UUID");
		ng->model = info_field(text, "Model");
		m = info_field(text, "Device Minor");
		ng->minor = m ? atoi(m) : -1;
		free(m);
		free(text);
		if (!ng->pci || ng->minor < 0) {
			free(ng->pci);
			free(ng->uuid);
			free(ng->model);
			h->n--;
			continue;
		}
		for (char *c = ng->pci; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (add_mig(host_root, ng) < 0) {
			closedir(d);
			free(dir);
			nv_host_free(h);
			return ctr_err_nomem(err);
		}
	}
	if (d)
		closedir(d);
	free(dir);
	if (h->n)
		qsort(h->gpus, h->n, sizeof(*h->gpus), cmp_nv);
	for (size_t i = 0; i < h->n; i++)
		h->gpus[i].index = (int)i;
	return 0;
}

/* ---- ld.so.cache ---- */

struct ld_entry_new {
	int32_t flags;
	uint32_t key, value;
	uint32_t osversion;
	uint64_t hwcap;
};

#define LD_MAGIC_OLD "ld.so-1.7.0"
#define LD_MAGIC_NEW "glibc-ld.so.cache"
#define LD_VERSION_NEW "1.1"

static bool native_arch(int32_t flags)
{
#if defined(__x86_64__)
	return (flags & 0xff00) == 0x0300;
#elif defined(__aarch64__)
	return (flags & 0xff00) == 0x0a00;
#else
	(void)flags;
	return true;
#endif
}

/*
 * The library paths of the ld.so cache under host_root whose soname starts
 * with one of prefixes (glibc's "new" format, alone or after the old one).
 */
static int ldcache_find(const char *host_root, const char *const *prefixes, char ***out, ctr_error **err)
{
	char *p = accel_host_path(host_root, "/etc/ld.so.cache"), *buf = NULL;
	size_t len = 0, off = 0;
	uint32_t nlibs;
	int r;

	if (!p)
		return ctr_err_nomem(err);
	r = ctr_read_file(p, 64u << 20, &buf, &len, err);
	if (r < 0) {
		ctr_err_prefix(err, "the ld.so cache");
		free(p);
		return r;
	}
	if (len >= 16 && memcmp(buf, LD_MAGIC_OLD, strlen(LD_MAGIC_OLD)) == 0) {
		uint32_t nold;
		memcpy(&nold, buf + 12, 4);
		off = 16 + (size_t)nold * 12;
		off = (off + 7) & ~(size_t)7;
	}
	if (len < off + 48 || memcmp(buf + off, LD_MAGIC_NEW LD_VERSION_NEW, 20) != 0) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE,
			    "%s: not a glibc ld.so cache (format 1.1): run ldconfig on the host", p);
		goto out;
	}
	memcpy(&nlibs, buf + off + 20, 4);
	if (nlibs > (len - off - 48) / sizeof(struct ld_entry_new)) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: truncated ld.so cache: run ldconfig on the host", p);
		goto out;
	}
	for (uint32_t i = 0; i < nlibs; i++) {
		struct ld_entry_new e;
		const char *key, *val;

		memcpy(&e, buf + off + 48 + (size_t)i * sizeof(e), sizeof(e));
		if (off + e.key >= len || off + e.value >= len || !native_arch(e.flags))
			continue;
		key = buf + off + e.key;
		val = buf + off + e.value;
		if (!memchr(key, '\0', len - off - e.key) || !memchr(val, '\0', len - off - e.value))
			continue;
		for (size_t k = 0; prefixes[k]; k++)
			if (strncmp(key, prefixes[k], strlen(prefixes[k])) == 0) {
				bool dup = false;
				for (size_t j = 0; *out && (*out)[j]; j++)
					if (strcmp((*out)[j], val) == 0)
						dup = true;
				if (!dup && strv_append(out, val) < 0) {
					r = ctr_err_nomem(err);
					goto out;
				}
				break;
			}
	}
	r = 0;
out:
	free(buf);
	free(p);
	return r;
}

/* Follow symlinks of the last component within host_root; returns the path without the root. */
static char *resolve_in_root(const char *host_root, const char *path)
{
	char *cur = strdup(path);

	for (int hops = 0; cur && hops < 16; hops++) {
		char *hp = accel_host_path(host_root, cur), tgt[PATH_MAX], *nx, *dir;
		struct stat st;
		ssize_t n;

		if (!hp || lstat(hp, &st) < 0 || !S_ISLNK(st.st_mode)) {
			free(hp);
			return cur;
		}
		n = readlink(hp, tgt, sizeof(tgt) - 1);
		free(hp);
		if (n < 0)
			return cur;
		tgt[n] = '\0';
		if (tgt[0] == '/') {
			nx = strdup(tgt);
		} else {
			dir = strdup(cur);
			nx = NULL;
			if (dir && asprintf(&nx, "%s/%s", dirname(dir), tgt) < 0)
				nx = NULL;
			free(dir);
		}
		free(cur);
		cur = nx;
	}
	return cur;
}

static const char *const nv_lib_prefixes[] = {
	"libnvidia-", "libcuda.so", "libcudadebugger.so", "libnvcuvid.so", "libnvoptix.so",
	"libGLX_nvidia.so", "libEGL_nvidia.so", "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so",
	"libvdpau_nvidia.so", NULL,
};

static const char *const nv_tools[] = {
	"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server",
};

static const char *const nv_control_nodes[] = {
	"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset",
};

static bool host_exists(const char *host_root, const char *path)
{
	char *hp = accel_host_path(host_root, path);
	bool r = hp && access(hp, F_OK) == 0;

	free(hp);
	return r;
}

static int add_node(const char *host_root, ctr_container_edits *e, const char *path, ctr_error **err)
{
	char *hp = accel_host_path(host_root, path);
	int r;

	if (!hp)
		return ctr_err_nomem(err);
	r = ctr_container_edits_add_device_node(e, path, strcmp(hp, path) ? hp : NULL, "rwm", err);
	free(hp);
	return r;
}

static int add_ro_bind(const char *host_root, ctr_container_edits *e, const char *path, ctr_error **err)
{
	static const char *const opts[] = { "ro", "nosuid", "nodev", "rbind", "rprivate", NULL };
	char *hp = accel_host_path(host_root, path);
	int r;

	if (!hp)
		return ctr_err_nomem(err);
	r = ctr_container_edits_add_mount(e, hp, path, "bind", opts, err);
	free(hp);
	return r;
}

/* What every nvidia request needs: control nodes, libraries, firmware, tools, hooks. */
/* A createContainer hook: nvidia-cdi-hook verb, then "flag item" for each item. */
static int add_cdi_hook(ctr_container_edits *e, const char *verb, const char *flag, char *const *items,
			ctr_error **err)
{
	char **args = NULL;
	int r = strv_append(&args, "nvidia-cdi-hook");

	if (r == 0)
		r = strv_append(&args, verb);
	for (size_t i = 0; r == 0 && items[i]; i++)
		if ((r = strv_append(&args, flag)) == 0)
			r = strv_append(&args, items[i]);
	r = r < 0 ? ctr_err_nomem(err)
		  : ctr_container_edits_add_hook(e, "createContainer", NVIDIA_HOOK, (const char *const *)args, NULL, 0,
						 err);
	ctr_strv_free(args);
	return r;
}

static int common_edits(const char *host_root, const struct nv_host *h, ctr_container_edits *e, ctr_error **err)
{
	char **libs = NULL, **dirs = NULL, **links = NULL;
	int r = 0;

	for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_control_nodes) && r == 0; i++)
		if (host_exists(host_root, nv_control_nodes[i]))
			r = add_node(host_root, e, nv_control_nodes[i], err);
	if (r == 0 && !host_exists(host_root, "/dev/nvidiactl"))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "%s/dev/nvidiactl is missing: load the nvidia module (modprobe nvidia) or run nvidia-modprobe",
			       strcmp(host_root, "/") ? host_root : "");
	if (r == 0)
		r = ldcache_find(host_root, nv_lib_prefixes, &libs, err);
	for (size_t i = 0; r == 0 && libs && libs[i]; i++) {
		char *real = resolve_in_root(host_root, libs[i]);
		const char *rb, *lb;
		char *d;

		if (!real) {
			r = ctr_err_nomem(err);
			break;
		}
		/* only the libraries of the running driver: libfoo.so.<version> */
		rb = strrchr(real, '/');
		rb = rb ? rb + 1 : real;
		lb = strrchr(libs[i], '/');
		lb = lb ? lb + 1 : libs[i];
		{
			size_t rl = strlen(rb), vl = strlen(h->version);
			if (rl <= vl + 1 || strcmp(rb + rl - vl, h->version) != 0 || rb[rl - vl - 1] != '.') {
				free(real);
				continue;
			}
		}
		r = add_ro_bind(host_root, e, real, err);
		if (r == 0 && strcmp(lb, rb) != 0) {
			/* the soname link the cache names, e.g. libcuda.so.1 -> libcuda.so.550.54.14 */
			r = strv_appendf(&links, "%s::%s", rb, libs[i]) < 0 ? ctr_err_nomem(err) : 0;
		}
		d = strdup(real);
		if (r == 0 && d) {
			char *dn = dirname(d);
			bool have = false;
			for (size_t k = 0; dirs && dirs[k]; k++)
				if (strcmp(dirs[k], dn) == 0)
					have = true;
			if (!have && strv_append(&dirs, dn) < 0)
				r = ctr_err_nomem(err);
		} else if (!d && r == 0) {
			r = ctr_err_nomem(err);
		}
		free(d);
		free(real);
	}
	/* GSP firmware of this driver version */
	if (r == 0) {
		char *fw;
		if (asprintf(&fw, "/lib/firmware/nvidia/%s", h->version) < 0)
			r = ctr_err_nomem(err);
		else {
			if (host_exists(host_root, fw))
				r = add_ro_bind(host_root, e, fw, err);
			free(fw);
		}
	}
	for (size_t i = 0; r == 0 && i < CTR_ARRAY_SIZE(nv_tools); i++) {
		static const char *const bindirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
		for (size_t k = 0; k < CTR_ARRAY_SIZE(bindirs); k++) {
			char *p;
			if (asprintf(&p, "%s/%s", bindirs[k], nv_tools[i]) < 0) {
				r = ctr_err_nomem(err);
				break;
			}
			if (host_exists(host_root, p)) {
				/* a bind mount follows a symlinked source */
				r = add_ro_bind(host_root, e, p, err);
				free(p);
				break;
			}
			free(p);
		}
	}
	if (r == 0 && links)
		r = add_cdi_hook(e, "create-symlinks", "--link", links, err);
	if (r == 0 && dirs)
		r = add_cdi_hook(e, "update-ldcache", "--folder", dirs, err);
	if (r == 0)
		r = ctr_container_edits_add_env(e, "NVIDIA_VISIBLE_DEVICES=void", err);
	ctr_strv_free(libs);
	ctr_strv_free(dirs);
	ctr_strv_free(links);
	return r;
}

static int gpu_edits(const char *host_root, const struct nv_gpu *g, ctr_container_edits *e, ctr_error **err)
{
	char p[64];
	struct dri_gpu *dg;
	size_t n;
	int r;

	snprintf(p, sizeof(p), "/dev/nvidia%d", g->minor);
	if ((r = add_node(host_root, e, p, err)) < 0)
		return r;
	/* the GPU's DRI nodes (nvidia-drm), matched by PCI address */
	if ((r = dri_scan(host_root, &dg, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		if (dg[i].pci && strcasecmp(dg[i].pci, g->pci) == 0)
			r = dri_gpu_edits(host_root, &dg[i], true, e, err);
	dri_gpus_free(dg, n);
	return r;
}

static int mig_edits(const char *host_root, const struct nv_gpu *g, const struct nv_mig *m, ctr_container_edits *e,
		     ctr_error **err)
{
	char p[64];
	int r;

	snprintf(p, sizeof(p), "/dev/nvidia%d", g->minor);
	if ((r = add_node(host_root, e, p, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "/dev/nvidia-caps/nvidia-cap%d", m->gi_minor);
	if ((r = add_node(host_root, e, p, err)) < 0)
		return r;
	snprintf(p, sizeof(p), "/dev/nvidia-caps/nvidia-cap%d", m->ci_minor);
	return add_node(host_root, e, p, err);
}

/* ---- CDI freshness ---- */

/* The driver version a CDI spec was generated for: from lib*.so.<version> mount paths. */
static char *spec_driver_version(struct cdi_spec *s)
{
	struct json_object *lists[2] = { s->edits, NULL };

	for (size_t d = 0; d <= s->n_devices; d++) {
		struct json_object *ed = d == 0 ? s->edits : s->devices[d - 1].edits, *mounts;
		(void)lists;
		if (!ed || !json_object_object_get_ex(ed, "mounts", &mounts))
			continue;
		for (size_t i = 0; i < json_object_array_length(mounts); i++) {
			struct json_object *hp;
			const char *path, *b, *so;
			if (!json_object_object_get_ex(json_object_array_get_idx(mounts, i), "hostPath", &hp))
				continue;
			path = json_object_get_string(hp);
			b = strrchr(path, '/');
			b = b ? b + 1 : path;
			if (strncmp(b, "lib", 3) != 0 || !(so = strstr(b, ".so.")))
				continue;
			so += 4;
			if (is_driver_version(so, strlen(so)))
				return strdup(so);
		}
	}
	return NULL;
}

void accel_nvidia_check_cdi(ctr_accel_registry *reg);
void accel_nvidia_check_cdi(ctr_accel_registry *reg)
{
	char *ver = driver_version(reg->host_root);
	bool any = false, stale = false;

	reg->nvidia_cdi_fresh = false;
	if (!ver)
		return; /* no driver: CDI specs are served as they are */
	for (size_t i = 0; i < reg->cdi.n_specs; i++) {
		struct cdi_spec *s = reg->cdi.specs[i];
		char *sv;
		if (strcmp(s->vendor, "nvidia.com") != 0)
			continue;
		any = true;
		sv = spec_driver_version(s);
		if (sv && strcmp(sv, ver) != 0) {
			stale = true;
			strv_appendf(&reg->errors,
				     "%s: stale NVIDIA CDI spec: generated for driver %s, the host runs %s; devices are generated from the host (rerun nvidia-ctk cdi generate)",
				     s->path, sv, ver);
		}
		free(sv);
	}
	if (stale)
		for (size_t i = 0; i < reg->cdi.n_entries; i++)
			if (strcmp(reg->cdi.entries[i].spec->vendor, "nvidia.com") == 0)
				reg->cdi.entries[i].hidden = true;
	reg->nvidia_cdi_fresh = any && !stale;
	free(ver);
}

/* ---- the backend ---- */

static int nv_discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_registry *reg = data;
	struct nv_host h;
	int r;

	if (reg->nvidia_cdi_fresh)
		return 0; /* the cdi backend lists nvidia.com devices from the spec */
	if ((r = nv_scan(host_root, &h, err)) < 0)
		return r;
	for (size_t i = 0; i < h.n && r == 0; i++) {
		const struct nv_gpu *g = &h.gpus[i];
		ctr_accel_device_info info;
		char name[64], node[64], **caps = NULL;
		const char *nodes[] = { node, NULL };

		snprintf(name, sizeof(name), "%d", g->index);
		snprintf(node, sizeof(node), "/dev/nvidia%d", g->minor);
		if ((g->uuid && strv_appendf(&caps, "uuid=%s", g->uuid) < 0) ||
		    (g->model && strv_appendf(&caps, "model=%s", g->model) < 0) ||
		    strv_appendf(&caps, "driver-version=%s", h.version) < 0 ||
		    strv_appendf(&caps, "mig-devices=%zu", g->n_mig) < 0) {
			ctr_strv_free(caps);
			r = ctr_err_nomem(err);
			break;
		}
		ctr_accel_device_info_init(&info);
		info.kind = "nvidia.com/gpu";
		info.name = name;
		info.vendor = "nvidia";
		info.driver = "nvidia";
		info.pci_address = g->pci;
		info.nodes = nodes;
		info.capabilities = (const char *const *)caps;
		r = ctr_accel_discovery_add(disc, &info, err);
		for (size_t m = 0; m < g->n_mig && r == 0; m++) {
			char cap1[64], cap2[64];
			const char *mn[] = { node, cap1, cap2, NULL };
			snprintf(name, sizeof(name), "%d:%d:%d", g->index, g->mig[m].gi, g->mig[m].ci);
			snprintf(cap1, sizeof(cap1), "/dev/nvidia-caps/nvidia-cap%d", g->mig[m].gi_minor);
			snprintf(cap2, sizeof(cap2), "/dev/nvidia-caps/nvidia-cap%d", g->mig[m].ci_minor);
			info.name = name;
			info.nodes = mn;
			info.capabilities = NULL;
			r = ctr_accel_discovery_add(disc, &info, err);
		}
		ctr_strv_free(caps);
	}
	if (r == 0 && h.n) {
		ctr_accel_device_info info;
		ctr_accel_device_info_init(&info);
		info.kind = "nvidia.com/gpu";
		info.name = "all";
		info.vendor = "nvidia";
		info.driver = "nvidia";
		r = ctr_accel_discovery_add(disc, &info, err);
	}
	nv_host_free(&h);
	return r;
}

static int nv_edits(void *data, const char *host_root, const char *request, ctr_container_edits *e, ctr_error **err)
{
	const char *sel = strchr(request, '=');
	struct nv_host h;
	size_t hits = 0;
	int r;

	(void)data;
	if (!sel || strncmp(request, "nvidia.com/gpu=", 15) != 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the nvidia backend serves nvidia.com/gpu", request);
	sel++;
	if ((r = nv_scan(host_root, &h, err)) < 0)
		return r;
	if (!h.version) {
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "'%s': no NVIDIA driver on this host (%s/proc/driver/nvidia/version is missing)", request,
			       strcmp(host_root, "/") ? host_root : "");
	}
	for (size_t i = 0; i < h.n && r == 0; i++) {
		const struct nv_gpu *g = &h.gpus[i];
		char idx[16];

		snprintf(idx, sizeof(idx), "%d", g->index);
		if (strcmp(sel, "all") == 0 || strcmp(sel, idx) == 0 || (g->uuid && strcmp(sel, g->uuid) == 0) ||
		    strcasecmp(sel, g->pci) == 0) {
			hits++;
			r = gpu_edits(host_root, g, e, err);
			continue;
		}
		for (size_t m = 0; m < g->n_mig && r == 0; m++) {
			char mn[48];
			snprintf(mn, sizeof(mn), "%d:%d:%d", g->index, g->mig[m].gi, g->mig[m].ci);
			if (strcmp(sel, mn) == 0) {
				hits++;
				r = mig_edits(host_root, g, &g->mig[m], e, err);
			}
		}
	}
	if (r == 0 && hits == 0)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			    "'%s': no NVIDIA GPU matches '%s' (all, an index, a GPU UUID, a PCI address or index:gi:ci)",
			    request, sel);
	if (r == 0)
		r = common_edits(host_root, &h, e, err);
	nv_host_free(&h);
	return r;
}

const ctr_accel_backend_ops accel_nvidia_ops = {
	.abi_version = CTR_ACCEL_BACKEND_ABI,
	.size = sizeof(ctr_accel_backend_ops),
	.name = "nvidia",
	.discover = nv_discover,
	.edits = nv_edits,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nvidia: NVIDIA GPUs.  A current CDI spec for nvidia.com (as written by
 * `nvidia-ctk cdi generate`) is served by the cdi backend.  When there is
 * none, or it is stale (the driver version in its library paths differs
 * from /proc/driver/nvidia/version), the edits are generated from the host:
 * /dev/nvidiaN, nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset,
 * nvidia-caps (MIG), the GPU's DRI nodes, the driver's libraries found
 * through the ld.so cache, its firmware, tools such as nvidia-smi, the IPC
 * sockets of its daemons, and the Vulkan, EGL and OpenCL vendor files.
 * The driver capabilities (CTR_GPU_CAP_*) choose among them as
 * libnvidia-container does; --device requests get all of them, as a CDI
 * spec from nvidia-ctk does.
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

char *accel_nvidia_driver_version(const char *host_root)
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
	h->version = accel_nvidia_driver_version(host_root);
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

/* ---- what each driver capability brings (libnvidia-container's lists) ---- */

struct nv_class {
	const char *name;                /* a soname prefix, up to and including ".so" */
	unsigned caps;                   /* the capabilities that select it */
};

#define CAP_COMPUTE_ANY (CTR_GPU_CAP_COMPUTE | CTR_GPU_CAP_VIDEO)
#define CAP_GRAPHICS_ANY (CTR_GPU_CAP_GRAPHICS | CTR_GPU_CAP_DISPLAY)

static const struct nv_class nv_libs[] = {
	{ "libnvidia-ml.so", CTR_GPU_CAP_UTILITY },
	{ "libnvidia-cfg.so", CTR_GPU_CAP_UTILITY },
	{ "libnvidia-nscq.so", CTR_GPU_CAP_UTILITY },
	{ "libcuda.so", CAP_COMPUTE_ANY },
	{ "libcudadebugger.so", CAP_COMPUTE_ANY },
	{ "libnvidia-opencl.so", CAP_COMPUTE_ANY },
	{ "libnvidia-gpucomp.so", CAP_COMPUTE_ANY },
	{ "libnvidia-ptxjitcompiler.so", CAP_COMPUTE_ANY },
	{ "libnvidia-fatbinaryloader.so", CAP_COMPUTE_ANY },
	{ "libnvidia-allocator.so", CAP_COMPUTE_ANY | CAP_GRAPHICS_ANY },
	{ "libnvidia-compiler.so", CAP_COMPUTE_ANY },
	{ "libnvidia-pkcs11.so", CAP_COMPUTE_ANY },
	{ "libnvidia-pkcs11-openssl3.so", CAP_COMPUTE_ANY },
	{ "libnvidia-nvvm.so", CAP_COMPUTE_ANY },
	{ "libnvidia-tileiras.so", CAP_COMPUTE_ANY },
	{ "libvdpau_nvidia.so", CTR_GPU_CAP_VIDEO },
	{ "libnvidia-encode.so", CTR_GPU_CAP_VIDEO },
	{ "libnvidia-opticalflow.so", CTR_GPU_CAP_VIDEO },
	{ "libnvcuvid.so", CTR_GPU_CAP_VIDEO },
	{ "libnvidia-eglcore.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-glcore.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-tls.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-glsi.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-fbc.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-ifr.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-rtcore.so", CAP_GRAPHICS_ANY },
	{ "libnvoptix.so", CAP_GRAPHICS_ANY },
	{ "libGLX_nvidia.so", CAP_GRAPHICS_ANY },
	{ "libEGL_nvidia.so", CAP_GRAPHICS_ANY },
	{ "libGLESv2_nvidia.so", CAP_GRAPHICS_ANY },
	{ "libGLESv1_CM_nvidia.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-glvkspirv.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-cbl.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-vulkan-producer.so", CAP_GRAPHICS_ANY },
	/* non-GLVND OpenGL libraries, only NVIDIA's (named with the driver version) */
	{ "libGL.so", CAP_GRAPHICS_ANY },
	{ "libEGL.so", CAP_GRAPHICS_ANY },
	{ "libGLESv1_CM.so", CAP_GRAPHICS_ANY },
	{ "libGLESv2.so", CAP_GRAPHICS_ANY },
	{ "libnvidia-ngx.so", CTR_GPU_CAP_NGX },
};

/* EGL platform libraries: versioned on their own, not with the driver */
static const char *const nv_egl_platform_libs[] = {
	"libnvidia-egl-gbm.so.", "libnvidia-egl-wayland.so.", "libnvidia-egl-wayland2.so.", "libnvidia-egl-xcb.so.",
	"libnvidia-egl-xlib.so.",
};

static const struct nv_class nv_bins[] = {
	{ "nvidia-smi", CTR_GPU_CAP_UTILITY },
	{ "nvidia-debugdump", CTR_GPU_CAP_UTILITY },
	{ "nvidia-persistenced", CTR_GPU_CAP_UTILITY },
	{ "nv-fabricmanager", CTR_GPU_CAP_UTILITY },
	{ "nvidia-cuda-mps-control", CTR_GPU_CAP_COMPUTE },
	{ "nvidia-cuda-mps-server", CTR_GPU_CAP_COMPUTE },
};

static const struct nv_class nv_ipcs[] = {
	{ "/var/run/nvidia-persistenced/socket", CTR_GPU_CAP_UTILITY },
	{ "/var/run/nvidia-fabricmanager/socket", CTR_GPU_CAP_UTILITY },
	{ "/tmp/nvidia-mps", CTR_GPU_CAP_COMPUTE },
};

/*
 * Vendor files, found under /etc or /usr/share on the host and put at the
 * container path the loaders read (nvidia-ctk's choice): Vulkan files in
 * /etc/vulkan, EGL files in /usr/share.
 */
struct nv_config {
	const char *rel;                 /* below /etc or /usr/share */
	const char *container;           /* the container path */
	unsigned caps;
};

static const struct nv_config nv_configs[] = {
	{ "vulkan/icd.d/nvidia_icd.json", "/etc/vulkan/icd.d/nvidia_icd.json", CAP_GRAPHICS_ANY },
#if defined(__x86_64__)
	{ "vulkan/icd.d/nvidia_icd.x86_64.json", "/etc/vulkan/icd.d/nvidia_icd.x86_64.json", CAP_GRAPHICS_ANY },
#elif defined(__aarch64__)
	{ "vulkan/icd.d/nvidia_icd.aarch64.json", "/etc/vulkan/icd.d/nvidia_icd.aarch64.json", CAP_GRAPHICS_ANY },
#endif
	{ "vulkan/implicit_layer.d/nvidia_layers.json", "/etc/vulkan/implicit_layer.d/nvidia_layers.json", CAP_GRAPHICS_ANY },
	{ "vulkan/icd.d/nvidia_layers.json", "/etc/vulkan/icd.d/nvidia_layers.json", CAP_GRAPHICS_ANY },
	{ "glvnd/egl_vendor.d/10_nvidia.json", "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", CAP_GRAPHICS_ANY },
	{ "egl/egl_external_platform.d/15_nvidia_gbm.json", "/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json",
	  CAP_GRAPHICS_ANY },
	{ "egl/egl_external_platform.d/10_nvidia_wayland.json",
	  "/usr/share/egl/egl_external_platform.d/10_nvidia_wayland.json", CAP_GRAPHICS_ANY },
	{ "egl/egl_external_platform.d/09_nvidia_wayland2.json",
	  "/usr/share/egl/egl_external_platform.d/09_nvidia_wayland2.json", CAP_GRAPHICS_ANY },
	{ "egl/egl_external_platform.d/20_nvidia_xcb.json", "/usr/share/egl/egl_external_platform.d/20_nvidia_xcb.json",
	  CAP_GRAPHICS_ANY },
	{ "egl/egl_external_platform.d/20_nvidia_xlib.json", "/usr/share/egl/egl_external_platform.d/20_nvidia_xlib.json",
	  CAP_GRAPHICS_ANY },
	{ "nvidia/nvoptix.bin", "/usr/share/nvidia/nvoptix.bin", CAP_GRAPHICS_ANY },
	{ "X11/xorg.conf.d/10-nvidia.conf", "/usr/share/X11/xorg.conf.d/10-nvidia.conf", CTR_GPU_CAP_DISPLAY },
	{ "X11/xorg.conf.d/nvidia-drm-outputclass.conf", "/usr/share/X11/xorg.conf.d/nvidia-drm-outputclass.conf",
	  CTR_GPU_CAP_DISPLAY },
	{ "OpenCL/vendors/nvidia.icd", "/etc/OpenCL/vendors/nvidia.icd", CAP_COMPUTE_ANY },
};

static const char *const xorg_dirs[] = {
	"/usr/lib/xorg/modules/drivers", "/usr/lib/xorg/modules/extensions", "/usr/lib/xorg/modules/updates/drivers",
	"/usr/lib/xorg/modules/updates/extensions", "/usr/lib64/xorg/modules/drivers",
	"/usr/lib64/xorg/modules/extensions",
};

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

static unsigned caps_of(const struct accel_opts *o)
{
	return o && o->caps_given ? o->caps : CTR_GPU_CAP_ALL;
}

/* The class of a library by its soname (the base name of the cache's path), or NULL. */
static const struct nv_class *lib_class(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_libs); i++) {
		size_t l = strlen(nv_libs[i].name);
		if (strncmp(b, nv_libs[i].name, l) == 0 && (b[l] == '.' || b[l] == '\0'))
			return &nv_libs[i];
	}
	return NULL;
}

static bool has_version_suffix(const char *path, const char *version)
{
	const char *b = strrchr(path, '/');
	size_t bl, vl = strlen(version);

	b = b ? b + 1 : path;
	bl = strlen(b);
	return bl > vl + 1 && strcmp(b + bl - vl, version) == 0 && b[bl - vl - 1] == '.';
}

/* The driver's libraries the capabilities select, of one architecture, into set. */
static int select_libs(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch, const char *version,
		       unsigned caps, struct accel_libset *set)
{
	const char *prefixes[CTR_ARRAY_SIZE(nv_libs) + CTR_ARRAY_SIZE(nv_egl_platform_libs) + 2];
	char **paths = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_libs); i++)
		if (nv_libs[i].caps & caps)
			prefixes[n++] = nv_libs[i].name;
	if (caps & CAP_GRAPHICS_ANY)
		for (size_t i = 0; i < CTR_ARRAY_SIZE(nv_egl_platform_libs); i++)
			prefixes[n++] = nv_egl_platform_libs[i];
	if (caps == CTR_GPU_CAP_ALL)
		prefixes[n++] = "libnvidia-"; /* and whatever a newer driver adds */
	prefixes[n] = NULL;
	if (n == 0)
		return 0;
	if ((r = accel_ldcache_find(c, arch, prefixes, &paths)) < 0)
		return r;
	for (size_t i = 0; r == 0 && paths && paths[i]; i++) {
		const struct nv_class *cl = lib_class(paths[i]);
		bool platform = false;
		char *real;

		for (size_t k = 0; k < CTR_ARRAY_SIZE(nv_egl_platform_libs); k++)
			if (strstr(paths[i], nv_egl_platform_libs[k]))
				platform = true;
		if (cl && !(cl->caps & caps))
			continue;
		real = accel_resolve_in_root(host_root, paths[i]);
		if (!real) {
			r = -ENOMEM;
			break;
		}
		/* only the libraries of the running driver: libfoo.so.<version> (not Mesa's libEGL.so.1) */
		if (platform || has_version_suffix(real, version))
			r = accel_libset_add(host_root, set, paths[i]);
		free(real);
	}
	ctr_strv_free(paths);
	return r;
}

/* Symlinks the graphics libraries need beyond their sonames (gbm backend, vulkan producer, X module). */
static int graphics_links(const struct accel_libset *set, const char *version, unsigned caps, char ***links)
{
	for (size_t i = 0; set->files && set->files[i]; i++) {
		const char *f = set->files[i], *b = strrchr(f, '/');
		char *dir = strndup(f, (size_t)(b - f)), *l = NULL;
		int r = 0;

		if (!dir)
			return -ENOMEM;
		b++;
		if (strncmp(b, "libnvidia-allocator.so.", 23) == 0 && strcmp(b + 23, version) == 0 && (caps & CAP_GRAPHICS_ANY))
			r = asprintf(&l, "../libnvidia-allocator.so.1::%s/gbm/nvidia-drm_gbm.so", dir);
		else if (strncmp(b, "libnvidia-vulkan-producer.so.", 29) == 0 && strcmp(b + 29, version) == 0)
			r = asprintf(&l, "%s::%s/libnvidia-vulkan-producer.so", b, dir);
		else if (strncmp(b, "libglxserver_nvidia.so.", 23) == 0 && strcmp(b + 23, version) == 0)
			r = asprintf(&l, "%s::%s/libglxserver_nvidia.so", b, dir);
		free(dir);
		if (r < 0)
			return -ENOMEM;
		if (l && !accel_strv_contains(*links, l) && strv_append(links, l) < 0) {
			free(l);
			return -ENOMEM;
		}
		free(l);
	}
	return 0;
}

/* The shared edits of every nvidia request: control nodes, libraries, firmware, tools, vendor files, hooks. */
static int common_edits(const char *host_root, const struct nv_host *h, unsigned caps, ctr_container_edits *e,
			ctr_error **err)
{
	static const char *const ipc_opts[] = { "noexec", "nosuid", "nodev", "rbind", "rprivate", NULL };
	static const char *const ro_opts[] = { "ro", "nosuid", "nodev", "rbind", "rprivate", NULL };
	struct accel_libset set = { 0 };
	struct accel_ldcache cache;
	int r = 0;

	if (!accel_host_exists(host_root, "/dev/nvidiactl"))
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "%s/dev/nvidiactl is missing: load the nvidia module (modprobe nvidia) or run nvidia-modprobe",
			       strcmp(host_root, "/") ? host_root : "");
	r = add_node(host_root, e, "/dev/nvidiactl", err);
	if (r == 0 && (caps & CAP_COMPUTE_ANY)) {
		if (accel_host_exists(host_root, "/dev/nvidia-uvm"))
			r = add_node(host_root, e, "/dev/nvidia-uvm", err);
		if (r == 0 && accel_host_exists(host_root, "/dev/nvidia-uvm-tools"))
			r = add_node(host_root, e, "/dev/nvidia-uvm-tools", err);
	}
	if (r == 0 && (caps & CTR_GPU_CAP_DISPLAY) && accel_host_exists(host_root, "/dev/nvidia-modeset"))
		r = add_node(host_root, e, "/dev/nvidia-modeset", err);
	if (r < 0)
		return r;

	if ((r = accel_ldcache_open(host_root, &cache, err)) < 0)
		return r;
	r = select_libs(host_root, &cache, ACCEL_ARCH_NATIVE, h->version, caps, &set);
	if (r == 0 && (caps & CTR_GPU_CAP_COMPAT32))
		r = select_libs(host_root, &cache, ACCEL_ARCH_32, h->version, caps & ~CTR_GPU_CAP_COMPAT32, &set);
	accel_ldcache_close(&cache);
	/* the X driver and GLX module of this driver */
	for (size_t i = 0; r == 0 && (caps & CTR_GPU_CAP_DISPLAY) && i < CTR_ARRAY_SIZE(xorg_dirs); i++) {
		char *p = NULL;
		if (asprintf(&p, "%s/nvidia_drv.so", xorg_dirs[i]) < 0)
			r = -ENOMEM;
		else if (accel_host_is_file(host_root, p))
			r = accel_libset_add_file(&set, p);
		free(p);
		if (r == 0 && asprintf(&p, "%s/libglxserver_nvidia.so.%s", xorg_dirs[i], h->version) < 0)
			r = -ENOMEM;
		else if (r == 0) {
			if (accel_host_is_file(host_root, p))
				r = accel_libset_add_file(&set, p);
			free(p);
		}
	}
	/* GSP firmware of this driver version */
	if (r == 0) {
		char *fw = NULL;
		if (asprintf(&fw, "/lib/firmware/nvidia/%s", h->version) < 0)
			r = -ENOMEM;
		else if (accel_host_exists(host_root, fw))
			r = accel_libset_add_file(&set, fw);
		free(fw);
	}
	for (size_t i = 0; r == 0 && i < CTR_ARRAY_SIZE(nv_bins); i++) {
		static const char *const bindirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
		if (!(nv_bins[i].caps & caps))
			continue;
		for (size_t k = 0; r == 0 && k < CTR_ARRAY_SIZE(bindirs); k++) {
			char *p = NULL;
			if (asprintf(&p, "%s/%s", bindirs[k], nv_bins[i].name) < 0) {
				r = -ENOMEM;
				break;
			}
			/* a bind mount follows a symlinked source */
			if (accel_host_exists(host_root, p)) {
				r = accel_libset_add_file(&set, p);
				free(p);
				break;
			}
			free(p);
		}
	}
	if (r == 0)
		r = graphics_links(&set, h->version, caps, &set.links);
	if (r < 0) {
		accel_libset_free(&set);
		return ctr_err_nomem(err);
	}
	r = accel_libset_edits(host_root, &set, e, err);
	accel_libset_free(&set);
	/* vendor files at the paths the loaders read */
	for (size_t i = 0; r == 0 && i < CTR_ARRAY_SIZE(nv_configs); i++) {
		static const char *const roots[] = { "/etc", "/usr/share" };
		if (!(nv_configs[i].caps & caps))
			continue;
		for (size_t k = 0; r == 0 && k < CTR_ARRAY_SIZE(roots); k++) {
			char *p = NULL, *hp;
			if (asprintf(&p, "%s/%s", roots[k], nv_configs[i].rel) < 0) {
				r = ctr_err_nomem(err);
				break;
			}
			hp = accel_host_is_file(host_root, p) ? accel_host_path(host_root, p) : NULL;
			free(p);
			if (hp) {
				r = ctr_container_edits_add_mount(e, hp, nv_configs[i].container, NULL, ro_opts, err);
				free(hp);
				break;
			}
		}
	}
	/* the daemons' sockets (writable: connect() needs it) */
	for (size_t i = 0; r == 0 && i < CTR_ARRAY_SIZE(nv_ipcs); i++) {
		char *hp;
		if (!(nv_ipcs[i].caps & caps) || !accel_host_exists(host_root, nv_ipcs[i].name))
			continue;
		if (!(hp = accel_host_path(host_root, nv_ipcs[i].name)))
			return ctr_err_nomem(err);
		r = ctr_container_edits_add_mount(e, hp, nv_ipcs[i].name, NULL, ipc_opts, err);
		free(hp);
	}
	if (r == 0)
		r = ctr_container_edits_add_env(e, "NVIDIA_VISIBLE_DEVICES=void", err);
	return r;
}

static int gpu_edits(const char *host_root, const struct nv_gpu *g, unsigned caps, ctr_container_edits *e,
		     ctr_error **err)
{
	char p[64];
	struct dri_gpu *dg;
	size_t n;
	int r;

	snprintf(p, sizeof(p), "/dev/nvidia%d", g->minor);
	if ((r = add_node(host_root, e, p, err)) < 0)
		return r;
	if (!(caps & CAP_GRAPHICS_ANY))
		return 0;
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

char *accel_nvidia_spec_driver_version(const struct cdi_spec *s)
{
	/*
	 * The version of libcuda or NVML, else the one most lib*.so.<version>
	 * mounts carry (EGL platform libraries have versions of their own).
	 */
	char **paths = NULL, **seen = NULL, *best = NULL;
	size_t *counts = NULL, n = 0, top = 0;
	bool fail = false;

	if (accel_spec_mount_paths(s, &paths) < 0)
		return NULL;
	for (size_t i = 0; !fail && paths && paths[i]; i++) {
		const char *b = strrchr(paths[i], '/'), *so;
		size_t k;

		b = b ? b + 1 : paths[i];
		if (strncmp(b, "lib", 3) != 0 || !(so = strstr(b, ".so.")) || !is_driver_version(so + 4, strlen(so + 4)))
			continue;
		so += 4;
		/* the CUDA driver and NVML always carry the driver's version */
		if (strncmp(b, "libcuda.so.", 11) == 0 || strncmp(b, "libnvidia-ml.so.", 16) == 0) {
			best = (char *)so;
			top = SIZE_MAX;
			break;
		}
		for (k = 0; k < n && strcmp(seen[k], so) != 0; k++)
			;
		if (k == n) {
			size_t *nc = realloc(counts, (n + 1) * sizeof(*nc));
			if (nc)
				counts = nc;
			if (!nc || strv_append(&seen, so) < 0) {
				fail = true;
				break;
			}
			counts[n++] = 0;
		}
		if (++counts[k] > top) {
			top = counts[k];
			best = seen[k];
		}
	}
	best = best && !fail ? strdup(best) : NULL;
	ctr_strv_free(seen);
	ctr_strv_free(paths);
	free(counts);
	return best;
}

int accel_cdi_spec_stale(const char *host_root, const struct cdi_spec *s, char **why)
{
	char *ver, *sv, *store, *ss;
	int r = 0;

	*why = NULL;
	if (strcmp(s->vendor, "nvidia.com") != 0)
		return 0;
	if ((ver = accel_nvidia_driver_version(host_root))) {
		sv = accel_nvidia_spec_driver_version(s);
		if (sv && strcmp(sv, ver) != 0)
			r = asprintf(why, "generated for NVIDIA driver %s, the host runs %s", sv, ver) < 0 ? -ENOMEM : 1;
		free(sv);
		free(ver);
		return r;
	}
	if ((store = accel_dxg_nvidia_store(host_root))) {
		ss = accel_dxg_spec_store(s);
		if (ss && strcmp(ss, store) != 0)
			r = asprintf(why, "generated for the WSL driver store %s, the host's NVIDIA driver is in %s", ss, store) < 0
				    ? -ENOMEM : 1;
		free(ss);
		free(store);
	}
	return r;
}

void accel_nvidia_check_cdi(ctr_accel_registry *reg);
void accel_nvidia_check_cdi(ctr_accel_registry *reg)
{
	bool any = false;

	reg->nvidia_cdi_fresh = false;
	for (size_t i = 0; i < reg->cdi.n_specs; i++) {
		struct cdi_spec *s = reg->cdi.specs[i];
		char *why = NULL;
		int st = accel_cdi_spec_stale(reg->host_root, s, &why);

		if (strcmp(s->vendor, "nvidia.com") != 0)
			continue;
		if (st <= 0) {
			any = true;
			continue;
		}
		strv_appendf(&reg->errors,
			     "%s: stale CDI spec: %s; its devices are generated from the host instead: regenerate it: ctr-demo cdi generate --backend %s --kind %s --output %s",
			     s->path, why, strstr(why, "WSL") ? "dxg" : "nvidia", s->kind, s->path);
		free(why);
		for (size_t k = 0; k < reg->cdi.n_entries; k++)
			if (reg->cdi.entries[k].spec == s)
				reg->cdi.entries[k].hidden = true;
	}
	reg->nvidia_cdi_fresh = any;
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

static int nv_device_edits(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
			   ctr_container_edits *e, ctr_error **err)
{
	const char *host_root = reg->host_root, *sel = strchr(request, '=');
	unsigned caps = caps_of(o);
	struct nv_host h;
	size_t hits = 0;
	int r;

	if (!sel || strncmp(request, "nvidia.com/gpu=", 15) != 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s': the nvidia backend serves nvidia.com/gpu", request);
	sel++;
	if ((r = nv_scan(host_root, &h, err)) < 0)
		return r;
	if (!h.version)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "'%s': no NVIDIA driver on this host (%s/proc/driver/nvidia/version is missing)", request,
			       strcmp(host_root, "/") ? host_root : "");
	for (size_t i = 0; i < h.n && r == 0; i++) {
		const struct nv_gpu *g = &h.gpus[i];
		char idx[16];

		snprintf(idx, sizeof(idx), "%d", g->index);
		if (strcmp(sel, "all") == 0 || strcmp(sel, idx) == 0 || (g->uuid && strcasecmp(sel, g->uuid) == 0) ||
		    strcasecmp(sel, g->pci) == 0) {
			hits++;
			r = gpu_edits(host_root, g, caps, e, err);
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
	nv_host_free(&h);
	return r;
}

static int nv_common_edits(ctr_accel_registry *reg, const char *kind, char *const *requests, const struct accel_opts *o,
			   ctr_container_edits *e, ctr_error **err)
{
	struct nv_host h;
	int r;

	(void)kind;
	(void)requests;
	if ((r = nv_scan(reg->host_root, &h, err)) < 0)
		return r;
	if (!h.version)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "no NVIDIA driver on this host (%s/proc/driver/nvidia/version is missing)",
			    strcmp(reg->host_root, "/") ? reg->host_root : "");
	else
		r = common_edits(reg->host_root, &h, caps_of(o), e, err);
	nv_host_free(&h);
	return r;
}

ACCEL_DEFINE_BUILTIN(accel_nvidia_builtin, "nvidia", nv_discover, nv_device_edits, nv_common_edits);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the accel module: the edits model (kept as a CDI
 * containerEdits JSON object), the CDI parser and cache, the registry and
 * the built-in backends.  Not installed, not used outside lib/accel.
 */
#ifndef CTR_LIB_ACCEL_INTERNAL_H
#define CTR_LIB_ACCEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "internal.h"
#include "ctr/accel.h"

/* Largest CDI spec file read. */
#define CDI_MAX_FILE (4u * 1024 * 1024)
/* Deepest nesting accepted in a CDI document. */
#define CDI_MAX_DEPTH 32

/*
 * Edits are a CDI containerEdits object: env, deviceNodes, mounts, hooks,
 * additionalGids, intelRdt, netDevices.  Device nodes may carry a private
 * "x-ctr-source" string (the spec file and device they came from) used in
 * error messages and dropped by ctr_container_edits_to_json().
 */
struct ctr_container_edits {
	struct json_object *obj;
};

#define EDITS_SOURCE_KEY "x-ctr-source"

/* Append a (validated) containerEdits JSON object; source tags its device nodes (may be NULL). */
int edits_merge_json(ctr_container_edits *dst, struct json_object *src, const char *source, ctr_error **err);

/* ---- CDI ---- */

/* Versions as a comparable number: major*10000 + minor*100 + patch. */
#define CDI_V(a, b, c) ((a) * 10000 + (b) * 100 + (c))

struct cdi_device {
	char *name;                      /* device name within the kind */
	struct json_object *edits;       /* containerEdits (owned ref) */
};

struct cdi_spec {
	char *path;                      /* file, or the name given */
	char *version;                   /* cdiVersion as written */
	char *vendor;
	char *class_;
	char *kind;                      /* vendor/class */
	int priority;                    /* index of its directory */
	struct json_object *root;        /* whole document (owned ref) */
	struct json_object *edits;       /* spec-level containerEdits or NULL (borrowed from root) */
	struct cdi_device *devices;
	size_t n_devices;
};

/*
 * Parse JSON or YAML (chosen by content: a document whose first
 * non-blank character is '{' is JSON) into a JSON tree.
 */
int cdi_parse_tree(const char *buf, size_t len, const char *name, struct json_object **out, ctr_error **err);
/* Parse and validate a whole CDI spec. */
int cdi_spec_parse(const char *buf, size_t len, const char *name, struct cdi_spec **out, ctr_error **err);
void cdi_spec_free(struct cdi_spec *s);
/* The minimum cdiVersion the fields of a spec tree need (CDI_V number). */
int cdi_minimum_version(struct json_object *root);
/* Name rules of the reference parser. */
int cdi_validate_vendor(const char *vendor, ctr_error **err);
int cdi_validate_class(const char *class_, ctr_error **err);
int cdi_validate_device_name(const char *name, ctr_error **err);
/* Validate one containerEdits object; where names the JSON path for messages. */
int cdi_validate_edits(struct json_object *edits, const char *name, const char *where, ctr_error **err);

/* CDI cache: the devices of the spec files of a list of directories. */
struct cdi_entry {
	char *qualified;                 /* vendor/class=name */
	struct cdi_spec *spec;           /* borrowed from the cache */
	struct cdi_device *dev;          /* borrowed */
	bool hidden;                     /* dropped (e.g. a stale nvidia spec) */
};

struct cdi_cache {
	struct cdi_spec **specs;
	size_t n_specs;
	struct cdi_entry *entries;
	size_t n_entries;
};

/* Load every *.json / *.yaml of dirs (lowest priority first); file errors go to errors (strv append). */
int cdi_cache_load(struct cdi_cache *c, char *const *dirs, char ***errors, ctr_error **err);
void cdi_cache_clear(struct cdi_cache *c);
struct cdi_entry *cdi_cache_find(struct cdi_cache *c, const char *qualified);

/* ---- registry ---- */

/* Options of one resolution of requests into edits. */
struct accel_opts {
	unsigned caps;                   /* CTR_GPU_CAP_* */
	bool caps_given;                 /* false: each backend's default (nvidia: all; the others: none) */
};

/*
 * What a built-in backend has beyond ctr_accel_backend_ops: its edits split
 * into a per-device part and a part shared by the devices of one kind (a CDI
 * spec's spec-level containerEdits: driver libraries, control nodes), which a
 * resolution applies once however many devices of the kind it names, and
 * both honour the options (driver capabilities).
 */
struct accel_builtin_ops {
	const ctr_accel_backend_ops *ops;
	int (*device_edits)(ctr_accel_registry *reg, const char *request, const struct accel_opts *o,
			    ctr_container_edits *e, ctr_error **err);
	/* requests: the fully-qualified names of the kind in this resolution (may be empty) */
	int (*common_edits)(ctr_accel_registry *reg, const char *kind, char *const *requests, const struct accel_opts *o,
			    ctr_container_edits *e, ctr_error **err);
};

/* ops.edits of a built-in backend: device then common edits with the default options. */
int accel_builtin_edits(const struct accel_builtin_ops *b, ctr_accel_registry *reg, const char *request,
			ctr_container_edits *e, ctr_error **err);

/*
 * Define a built-in backend `sym` named bname: its ops (whose edits callback
 * is accel_builtin_edits() over it; data is the registry) and its split edits.
 */
#define ACCEL_DEFINE_BUILTIN(sym, bname, discover_fn, device_fn, common_fn)                                     \
	static int sym##_edits_cb(void *data, const char *host_root, const char *request, ctr_container_edits *e, \
				  ctr_error **err)                                                             \
	{                                                                                                       \
		(void)host_root;                                                                                \
		return accel_builtin_edits(&sym, data, request, e, err);                                        \
	}                                                                                                       \
	static const ctr_accel_backend_ops sym##_ops = {                                                        \
		.abi_version = CTR_ACCEL_BACKEND_ABI,                                                           \
		.size = sizeof(ctr_accel_backend_ops),                                                          \
		.name = bname,                                                                                  \
		.discover = discover_fn,                                                                        \
		.edits = sym##_edits_cb,                                                                        \
	};                                                                                                      \
	const struct accel_builtin_ops sym = { .ops = &sym##_ops, .device_edits = device_fn, .common_edits = common_fn }

struct accel_backend {
	ctr_accel_backend_ops ops;
	void *data;
	void *dl;                        /* dlopen handle of a plugin, or NULL */
	bool builtin_cdi;
	const struct accel_builtin_ops *builtin; /* NULL for plugins and run-time backends */
};

struct ctr_accel_device {
	char *backend;
	char *qualified;
	char *kind;
	char *name;
	char *vendor;
	char *driver;
	char *pci;
	char **nodes;
	char **caps;
};

struct ctr_accel_discovery {
	ctr_accel_registry *reg;
	struct accel_backend *backend;
};

/*
 * The virtio-gpu capability probe: tests answer it without a kernel driver.
 * getparam returns 0 and sets *value, or a negative errno.
 */
struct virtgpu_probe_ops {
	int (*getparam)(void *data, const char *node, uint64_t param, uint64_t *value);
	void *data;
};

struct ctr_accel_registry {
	ctr_context *ctx;
	char *host_root;
	char **cdi_dirs;
	char *plugin_dir;
	struct accel_backend *backends;
	size_t n_backends;
	struct ctr_accel_device **devs;
	size_t n_devs;
	char **errors;                   /* NULL-terminated */
	struct cdi_cache cdi;
	struct virtgpu_probe_ops virtgpu_probe;
	bool nvidia_cdi_fresh;           /* a current nvidia.com CDI spec serves nvidia requests */
	bool gpus_from_env;              /* ctr_accel_registry_options.gpus_from_env */
};

/*
 * Resolve requests with options.  extra_kinds: kinds whose common edits are
 * wanted even when no request names them (NVIDIA_VISIBLE_DEVICES=none: the
 * driver without a GPU); may be NULL.
 */
int accel_registry_resolve(ctr_accel_registry *reg, const char *const *requests, const char *const *extra_kinds,
			   const struct accel_opts *o, ctr_container_edits **out, ctr_error **err);

/* Append a formatted message to a NULL-terminated vector; -ENOMEM. */
int strv_appendf(char ***v, const char *fmt, ...) CTR_PRINTF(2, 3);
int strv_append(char ***v, const char *s);

/* Join root and an absolute path ("/" root gives the path unchanged). */
char *accel_host_path(const char *root, const char *path);
/* Read a small sysfs-like file, trimmed; NULL when absent. */
char *accel_read_trim(const char *path);

/* Built-in backends. */
extern const struct accel_builtin_ops accel_dri_builtin;
extern const struct accel_builtin_ops accel_virtgpu_builtin;
extern const struct accel_builtin_ops accel_nvidia_builtin;
extern const struct accel_builtin_ops accel_dxg_builtin;
extern const struct accel_builtin_ops accel_amd_builtin;

/* ---- NVIDIA driver versions and CDI freshness (nvidia.c, dxg.c) ---- */

/* The version in /proc/driver/nvidia/version, e.g. "550.54.14"; NULL when no driver. */
char *accel_nvidia_driver_version(const char *host_root);
/* The driver version a CDI spec was generated for (its lib*.so.<version> mounts), or NULL. */
char *accel_nvidia_spec_driver_version(const struct cdi_spec *s);
/* The WSL driver store of the NVIDIA GPU ("/usr/lib/wsl/drivers/<store>", the one with libcuda.so.1.1), or NULL. */
char *accel_dxg_nvidia_store(const char *host_root);
/* The WSL driver store a CDI spec's mounts name, or NULL. */
char *accel_dxg_spec_store(const struct cdi_spec *s);
/*
 * Whether spec s was generated for another driver than the host's: 1 with
 * *why set (malloc'ed: "generated for driver X, the host runs Y"), 0 when it
 * is current or records no driver, -ENOMEM.
 */
int accel_cdi_spec_stale(const char *host_root, const struct cdi_spec *s, char **why);

/* ---- host libraries (libs.c) ---- */

#define ACCEL_NVIDIA_CDI_HOOK "/usr/bin/nvidia-cdi-hook"

enum accel_arch { ACCEL_ARCH_NATIVE, ACCEL_ARCH_32 };

/* The ld.so cache of a host root, read whole. */
struct accel_ldcache {
	char *buf;
	size_t len, off;
	uint32_t n;
};

int accel_ldcache_open(const char *host_root, struct accel_ldcache *c, ctr_error **err);
void accel_ldcache_close(struct accel_ldcache *c);
/* Append (deduplicated) the paths whose soname starts with one of prefixes; -ENOMEM. */
int accel_ldcache_find(const struct accel_ldcache *c, enum accel_arch arch, const char *const *prefixes, char ***out);
/* The path the cache gives for an exact soname, or NULL. */
const char *accel_ldcache_lookup(const struct accel_ldcache *c, enum accel_arch arch, const char *soname);

bool accel_strv_contains(char *const *v, const char *s);
/* Follow symlinks of path within host_root; returns the path without the root (malloc'ed). */
char *accel_resolve_in_root(const char *host_root, const char *path);
bool accel_host_exists(const char *host_root, const char *path);
bool accel_host_is_chr(const char *host_root, const char *path);
bool accel_host_is_file(const char *host_root, const char *path);
/* The DT_NEEDED sonames of an ELF file (NULL when none); -errno, -EINVAL for a malformed file. */
int accel_elf_needed(const char *path, char ***out);

/*
 * Files to put in a container at their host paths: libraries (with the
 * soname links the cache names and their folders for ldconfig) and plain
 * files (ICD JSON files, binaries).
 */
struct accel_libset {
	char **files;                    /* real files, paths without the host root */
	char **links;                    /* "target::link" for create-symlinks */
	char **dirs;                     /* library folders for update-ldcache */
	char **seen;                     /* closure bookkeeping */
};

void accel_libset_free(struct accel_libset *s);
int accel_libset_add_file(struct accel_libset *s, const char *path);
/* A library by the path the cache gives (a soname link or the file); -ENOMEM. */
int accel_libset_add(const char *host_root, struct accel_libset *s, const char *path);
/* A library and its DT_NEEDED closure resolved through c, less glibc (the image's); -ENOMEM. */
int accel_libset_add_closure(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch,
			     struct accel_libset *s, const char *path);
/* A module loaded by path (a Vulkan ICD, a DRI driver): the file as it is, and its closure. */
int accel_libset_add_plugin(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch,
			    struct accel_libset *s, const char *path);
/* Read-only binds of the files, then create-symlinks and update-ldcache hooks. */
int accel_libset_edits(const char *host_root, const struct accel_libset *s, ctr_container_edits *e, ctr_error **err);
/* The containerPath of every mount of a spec (spec-level and devices'), or NULL when none; -ENOMEM. */
int accel_spec_mount_paths(const struct cdi_spec *s, char ***out);
/* A read-only bind of host_root+path at path (ro, nosuid, nodev, rbind, rprivate). */
int accel_add_ro_bind(const char *host_root, ctr_container_edits *e, const char *path, ctr_error **err);
/* A createContainer hook "nvidia-cdi-hook VERB [FLAG ITEM]..." as nvidia-ctk writes it. */
int accel_cdi_hook(ctr_container_edits *e, const char *verb, const char *flag, char *const *items, ctr_error **err);
/*
 * A device node as nvidia-ctk and amd-ctk describe it: path, hostPath when it
 * differs, major, minor, fileMode, permissions "rwm", gid, from the host
 * node; and the node's group as an additional gid when the node is not
 * world read-writable.
 */
int accel_add_node_stat(const char *host_root, ctr_container_edits *e, const char *path, bool with_type,
			ctr_error **err);

/* ---- Mesa (mesa.c): the graphics stack of DRI GPUs, by kernel driver ---- */

/*
 * The host's Mesa for GPUs driven by drivers (kernel driver names such as
 * "amdgpu", "i915", "virtio_gpu"): Vulkan ICD files and their drivers, the
 * Mesa implicit layers, the EGL vendor file, libEGL_mesa and libGLX_mesa,
 * the DRI drivers, each with its dependency closure.
 */
int accel_mesa_edits(const char *host_root, char *const *drivers, ctr_container_edits *e, ctr_error **err);
/* The name Vulkan ICD files carry for this machine ("x86_64"), or NULL. */
const char *accel_vulkan_arch(void);

/* ---- GPU requests (gpus.c) ---- */

struct ctr_gpu_request {
	int count;                       /* -1: all; 0 with devices, or none */
	char **devices;                  /* device ids, NULL-terminated (never NULL) */
	char *driver;                    /* NULL: the first backend with GPUs */
	unsigned caps;                   /* CTR_GPU_CAP_*; CTR_GPU_CAP_DEFAULT when none was given */
	bool caps_given;
	bool void_;                      /* NVIDIA_VISIBLE_DEVICES=void (or empty): nothing at all */
	bool none;                       /* NVIDIA_VISIBLE_DEVICES=none: the driver, no GPU */
	char **options;                  /* Docker's options=K=V,..., kept, unused */
};

/* Parse a capability list ("compute,utility", "all"); where names it in errors. */
int accel_caps_parse(const char *s, size_t len, const char *where, unsigned *out, ctr_error **err);

/* Replace the virtio-gpu probe (tests). */
void accel_registry_set_virtgpu_probe(ctr_accel_registry *reg, const struct virtgpu_probe_ops *ops);

/* The native NVIDIA hook verbs with the host's /proc read beneath host_root (tests). */
int accel_native_hook(const char *host_root, const char *path, const char *const *args, const char *state, size_t len,
		      ctr_error **err);

/* ---- DRI helpers shared by dri, virtio-gpu and nvidia ---- */
struct dri_node {
	char *name;                      /* "card0", "renderD128" */
	char *dev_path;                  /* host path of the node (with host root) */
	char *container_path;            /* "/dev/dri/renderD128" */
	char *by_path;                   /* "/dev/dri/by-path/pci-0000:00:02.0-render" or NULL */
	char *by_path_target;            /* "../renderD128" */
	bool render;
	int index;                       /* N of cardN / renderDN */
};

struct dri_gpu {
	char *pci;                       /* "0000:00:02.0" or NULL */
	char *vendor_id;                 /* "0x8086" */
	char *device_id;
	char *vendor;                    /* "intel", "amd", "nvidia", "virtio", or vendor_id */
	char *driver;                    /* "i915" or NULL */
	char *sys_device;                /* host path of the sysfs device dir */
	struct dri_node *nodes;
	size_t n_nodes;
	int index;                       /* order of discovery */
};

int dri_scan(const char *host_root, struct dri_gpu **out, size_t *n, ctr_error **err);
void dri_gpus_free(struct dri_gpu *g, size_t n);
/* Add one GPU's nodes (render only unless cards) and the by-path links as edits. */
int dri_gpu_edits(const char *host_root, const struct dri_gpu *g, bool cards, ctr_container_edits *e,
		  ctr_error **err);
/*
 * The kernel drivers of the GPUs that requests ("dri/render=amd",
 * "virtio-gpu/gpu=0") name, appended to drivers without duplicates;
 * virtio_only: the virtio-gpu backend's numbering and selectors.
 */
int dri_request_drivers(const char *host_root, char *const *requests, bool virtio_only, char ***drivers,
			ctr_error **err);
/* With the graphics (or display) capability: the host's Mesa for the requested GPUs' drivers. */
int dri_graphics_edits(ctr_accel_registry *reg, char *const *requests, const struct accel_opts *o, bool virtio_only,
		       ctr_container_edits *e, ctr_error **err);
/* Report one GPU, named by its index, as a device of kind; frees nodes and caps. */
int dri_gpu_report(ctr_accel_discovery *disc, const struct dri_gpu *g, const char *kind, char **nodes,
		   char **caps, ctr_error **err);

#endif

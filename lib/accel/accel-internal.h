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

struct accel_backend {
	ctr_accel_backend_ops ops;
	void *data;
	void *dl;                        /* dlopen handle of a plugin, or NULL */
	bool builtin_cdi;
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
};

/* Append a formatted message to a NULL-terminated vector; -ENOMEM. */
int strv_appendf(char ***v, const char *fmt, ...) CTR_PRINTF(2, 3);
int strv_append(char ***v, const char *s);

/* Join root and an absolute path ("/" root gives the path unchanged). */
char *accel_host_path(const char *root, const char *path);
/* Read a small sysfs-like file, trimmed; NULL when absent. */
char *accel_read_trim(const char *path);

/* Built-in backends. */
extern const ctr_accel_backend_ops accel_dri_ops;
extern const ctr_accel_backend_ops accel_virtgpu_ops;
extern const ctr_accel_backend_ops accel_nvidia_ops;

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
/* Report one GPU, named by its index, as a device of kind; frees nodes and caps. */
int dri_gpu_report(ctr_accel_discovery *disc, const struct dri_gpu *g, const char *kind, char **nodes,
		   char **caps, ctr_error **err);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/accel.h
 * Accelerators: pluggable device backends, CDI, container edits.
 *
 * A registry holds backends.  A backend discovers devices on a host root
 * (normally "/", a fake tree in tests) and turns a request such as
 * "nvidia.com/gpu=all", "dri/render=0" or "virtio-gpu/gpu=all" into container
 * edits.  The edit model is CDI's containerEdits: environment, device nodes,
 * mounts, hooks, additional gids, intelRdt and netDevices.  The built-in
 * backends are "cdi" (spec files in /etc/cdi and /var/run/cdi), "nvidia",
 * "dxg" (WSL2 and Docker Desktop GPU paravirtualisation, /dev/dxg), "amd"
 * (ROCm: /dev/kfd and render nodes, amd.com/gpu), "dri" and "virtio-gpu";
 * others register at run time with ctr_accel_registry_add_backend() or as
 * plugins (shared objects in a plugin directory exporting
 * ctr_accel_plugin_entry()).
 *
 * GPUs can also be asked for the way Docker's --gpus does
 * (ctr_gpu_request_parse(), ctr_spec_add_gpus()), with NVIDIA's driver
 * capabilities choosing the driver libraries, and, when the caller opts in,
 * by the NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES variables of
 * the container's environment.
 *
 * A registry is not locked internally: use one per thread or serialize calls.
 * Backends' callbacks run in the calling thread.  Plugins are shared objects
 * loaded with dlopen() into the calling process: a plugin directory must be
 * as trusted as the program.
 */
#ifndef CTR_ACCEL_H
#define CTR_ACCEL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "context.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A set of backends and the devices they discovered. */
typedef struct ctr_accel_registry ctr_accel_registry;

/** One discovered device; borrowed from its registry, valid until the next refresh or free. */
typedef struct ctr_accel_device ctr_accel_device;

/** Container edits (CDI containerEdits). */
typedef struct ctr_container_edits ctr_container_edits;

/** The sink a backend's discover callback reports devices into. */
typedef struct ctr_accel_discovery ctr_accel_discovery;

/** Version of ctr_accel_backend_ops and of the plugin entry point this header describes. */
#define CTR_ACCEL_BACKEND_ABI 1

/** Name of the function a plugin exports, see ctr_accel_plugin_entry_fn. */
#define CTR_ACCEL_PLUGIN_ENTRY "ctr_accel_plugin_entry"

/**
 * The callbacks of a backend.  The registry copies the struct; the strings
 * it points to must outlive the registry (string literals in practice).
 */
typedef struct ctr_accel_backend_ops {
	/** CTR_ACCEL_BACKEND_ABI of the header the backend was built with; others are refused. */
	unsigned abi_version;
	/** sizeof(ctr_accel_backend_ops) */
	size_t size;
	/** backend name, e.g. "acme"; unique in a registry */
	const char *name;
	/**
	 * Discover the devices under host_root and report each with
	 * ctr_accel_discovery_add().  May be NULL (a backend without a listing).
	 * Return 0 or a negative errno (setting *err).
	 */
	int (*discover)(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err);
	/**
	 * Add to edits what the container needs for request, a fully-qualified
	 * "vendor/class=name" whose vendor/class the backend reported.  Return
	 * 0, -ENOENT when no such device exists (with *err set), or another
	 * negative errno.
	 */
	int (*edits)(void *data, const char *host_root, const char *request, ctr_container_edits *edits,
		     ctr_error **err);
	/** Called when the registry is freed; may be NULL. */
	void (*destroy)(void *data);
} ctr_accel_backend_ops;

/**
 * The entry point a plugin exports under the name CTR_ACCEL_PLUGIN_ENTRY.
 * It returns the plugin's ops (with abi_version set to the
 * CTR_ACCEL_BACKEND_ABI it was built with) and stores its data pointer in
 * *data.  It returns NULL when the plugin cannot run on this host.
 */
typedef const ctr_accel_backend_ops *(*ctr_accel_plugin_entry_fn)(void **data);

/** A device as a backend reports it, see ctr_accel_discovery_add(). */
typedef struct ctr_accel_device_info {
	size_t size;                       /**< sizeof(ctr_accel_device_info) */
	const char *kind;                  /**< "vendor/class", e.g. "dri/render"; required */
	const char *name;                  /**< device name within the kind, e.g. "0"; required */
	const char *vendor;                /**< hardware vendor, e.g. "intel" or "0x8086"; may be NULL */
	const char *driver;                /**< kernel driver, e.g. "i915"; may be NULL */
	const char *pci_address;           /**< e.g. "0000:00:02.0"; may be NULL */
	const char *const *nodes;          /**< host device node paths, NULL-terminated; may be NULL */
	const char *const *capabilities;   /**< "key=value" strings, NULL-terminated; may be NULL */
} ctr_accel_device_info;

/**
 * Initialise a device info struct (every field NULL), for a struct of `size`
 * bytes: the caller's sizeof(ctr_accel_device_info), which the library
 * records in the size field.  Fields beyond `size` (a caller built against
 * older headers) are never written; the library uses their defaults.  Call it
 * through ctr_accel_device_info_init(), which passes sizeof.
 *
 * @param info the struct to fill
 * @param size its size: sizeof(ctr_accel_device_info) as the caller was compiled
 * @return 0, or -EINVAL when info is NULL or size is smaller than the size field
 */
int ctr_accel_device_info_init_sized(ctr_accel_device_info *info, size_t size);

/**
 * Initialise a device info struct (every field NULL):
 * ctr_accel_device_info_init_sized(info, sizeof(*info)).
 *
 * @param info the struct to fill
 */
static inline void ctr_accel_device_info_init(ctr_accel_device_info *info)
{
	(void)ctr_accel_device_info_init_sized(info, sizeof(*info));
}

/**
 * Report one device from a discover callback.  The strings are copied.
 *
 * @param disc the sink given to the callback
 * @param info the device
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for a missing or invalid kind/name, -ENOMEM
 */
int ctr_accel_discovery_add(ctr_accel_discovery *disc, const ctr_accel_device_info *info, ctr_error **err);

/** Options for ctr_accel_registry_new(); initialise with ctr_accel_registry_options_init(). */
typedef struct ctr_accel_registry_options {
	size_t size;                 /**< sizeof(ctr_accel_registry_options), set by the init function */
	const char *host_root;       /**< root of the host tree to discover in; NULL: "/" */
	/**
	 * CDI spec directories, lowest priority first, NULL-terminated; NULL:
	 * /etc/cdi and /var/run/cdi (plus $XDG_CONFIG_HOME/cdi and
	 * $XDG_RUNTIME_DIR/cdi when not running as root).  Relative to the
	 * process, not to host_root.
	 */
	const char *const *cdi_dirs;
	const char *plugin_dir;      /**< directory of backend plugins (*.so); NULL: none */
	int no_builtin;              /**< nonzero: register no built-in backend except "cdi" */
	/**
	 * Nonzero: ctr_accel_apply_annotations() (and so ctr_container_create()
	 * with this registry) also honours NVIDIA_VISIBLE_DEVICES and
	 * NVIDIA_DRIVER_CAPABILITIES in the spec's process.env, as
	 * ctr_accel_apply_gpu_env() does.  Zero (the default): they are plain
	 * variables and give no GPU.  Since 0.2; 64 bits wide so that it starts
	 * after 0.1's size (lib/libctr.sym: a struct grows only after it).
	 */
	int64_t gpus_from_env;
} ctr_accel_registry_options;

/**
 * Initialise registry options to their defaults, for a struct of `size`
 * bytes: the caller's sizeof(ctr_accel_registry_options), which the library
 * records in the size field.  Fields beyond `size` (a caller built against
 * older headers) are never written; the library uses their defaults.  Call it
 * through ctr_accel_registry_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_accel_registry_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_accel_registry_options_init_sized(ctr_accel_registry_options *opts, size_t size);

/**
 * Initialise registry options to their defaults:
 * ctr_accel_registry_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_accel_registry_options_init(ctr_accel_registry_options *opts)
{
	(void)ctr_accel_registry_options_init_sized(opts, sizeof(*opts));
}

/**
 * Create a registry with the built-in backends and the plugins of
 * opts->plugin_dir, and run discovery.  A plugin that cannot be loaded, or a
 * CDI spec file that is broken, does not fail the call: it is skipped and its
 * error is listed by ctr_accel_registry_errors().  Plugins are loaded with
 * dlopen() into the calling process and run in it: a plugin directory must
 * be as trusted as the program itself.
 *
 * @param ctx  the context (for logging); must outlive the registry
 * @param out  receives the registry; free it with ctr_accel_registry_free()
 * @param opts options, or NULL for defaults
 * @param err  receives an error on failure; may be NULL
 * @return 0; -E2BIG for options from newer headers that set unknown fields;
 *         -ENOMEM
 */
int ctr_accel_registry_new(ctr_context *ctx, ctr_accel_registry **out, const ctr_accel_registry_options *opts,
			   ctr_error **err);

/**
 * Free a registry, calling each backend's destroy, then dlclose() of each
 * plugin it loaded.
 *
 * @param reg the registry; NULL is allowed
 */
void ctr_accel_registry_free(ctr_accel_registry *reg);

/**
 * Register a backend at run time and run its discovery.
 *
 * @param reg  the registry
 * @param ops  the callbacks (copied)
 * @param data passed to every callback
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for a bad name or ABI version, -EEXIST for a name in use, -ENOMEM
 */
int ctr_accel_registry_add_backend(ctr_accel_registry *reg, const ctr_accel_backend_ops *ops, void *data,
				   ctr_error **err);

/**
 * Load one plugin file (dlopen() into the calling process) and register
 * its backend.
 *
 * @param reg  the registry
 * @param path the shared object
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL (CTR_E_INVALID) when it cannot be loaded, exports no
 *         entry point or was built for another CTR_ACCEL_BACKEND_ABI; -ENODEV
 *         (CTR_E_UNSUPPORTED) when its entry point declines this host;
 *         -EEXIST when its backend's name is in use
 */
int ctr_accel_registry_load_plugin(ctr_accel_registry *reg, const char *path, ctr_error **err);

/**
 * Rescan CDI spec directories and rerun every backend's discovery.
 *
 * @param reg the registry
 * @param err receives an error on failure; may be NULL
 * @return 0 (broken spec files and failing backends are listed by
 *         ctr_accel_registry_errors()) or -ENOMEM
 */
int ctr_accel_registry_refresh(ctr_accel_registry *reg, ctr_error **err);

/**
 * The non-fatal errors of the last discovery (broken spec files, conflicting
 * devices, plugins refused), one message each.
 *
 * @param reg the registry
 * @param out receives a NULL-terminated array; free with ctr_strv_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_accel_registry_errors(const ctr_accel_registry *reg, char ***out, ctr_error **err);

/**
 * The names of the registered backends.
 *
 * @param reg the registry
 * @param out receives a NULL-terminated array; free with ctr_strv_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_accel_registry_backends(const ctr_accel_registry *reg, char ***out, ctr_error **err);

/**
 * The number of discovered devices.
 *
 * @param reg the registry
 * @return the count
 */
size_t ctr_accel_registry_device_count(const ctr_accel_registry *reg);

/**
 * The i-th discovered device.
 *
 * @param reg the registry
 * @param i   0 to ctr_accel_registry_device_count() - 1
 * @return the device, borrowed from the registry (valid until the next
 *         refresh or free), or NULL when i is out of range
 */
const ctr_accel_device *ctr_accel_registry_device(const ctr_accel_registry *reg, size_t i);

/**
 * The backend that reported the device, e.g. "dri".
 *
 * @param dev the device
 * @return the string, owned by the registry
 */
const char *ctr_accel_device_backend(const ctr_accel_device *dev);
/**
 * The fully-qualified name "vendor/class=name".
 *
 * @param dev the device
 * @return the string, owned by the registry
 */
const char *ctr_accel_device_name(const ctr_accel_device *dev);
/**
 * The hardware vendor.
 *
 * @param dev the device
 * @return the string, owned by the registry, or NULL when unknown
 */
const char *ctr_accel_device_vendor(const ctr_accel_device *dev);
/**
 * The kernel driver.
 *
 * @param dev the device
 * @return the string, owned by the registry, or NULL when unknown
 */
const char *ctr_accel_device_driver(const ctr_accel_device *dev);
/**
 * The PCI address.
 *
 * @param dev the device
 * @return the string, owned by the registry, or NULL when unknown
 */
const char *ctr_accel_device_pci_address(const ctr_accel_device *dev);
/**
 * The host device nodes of a device.
 *
 * @param dev the device
 * @return a NULL-terminated array owned by the registry (never NULL itself)
 */
const char *const *ctr_accel_device_nodes(const ctr_accel_device *dev);
/**
 * The capabilities of a device as "key=value" strings.
 *
 * @param dev the device
 * @return a NULL-terminated array owned by the registry (never NULL itself)
 */
const char *const *ctr_accel_device_capabilities(const ctr_accel_device *dev);

/**
 * Resolve requests ("vendor/class=name") into one set of edits, in order.
 * Spec-level CDI edits are included once per spec file.
 *
 * @param reg      the registry
 * @param requests NULL-terminated fully-qualified names, or a backend's
 *                 selectors such as "nvidia.com/gpu=all"
 * @param out      receives the edits; free with ctr_container_edits_free()
 * @param err      receives an error on failure; may be NULL
 * @return 0; -EINVAL for a malformed name; -ENOENT (CTR_E_NOT_FOUND) for
 *         an unknown device; a backend's own error
 */
int ctr_accel_registry_edits(ctr_accel_registry *reg, const char *const *requests, ctr_container_edits **out,
			     ctr_error **err);

/**
 * One call: resolve request and apply its edits to spec (see
 * ctr_container_edits_apply()).  The spec is left unchanged on error.
 *
 * @param spec    the spec
 * @param reg     the registry
 * @param request a device name, as for ctr_accel_registry_edits()
 * @param err     receives an error on failure; may be NULL
 * @return 0; the errors of ctr_accel_registry_edits() and
 *         ctr_container_edits_apply()
 */
int ctr_spec_add_device(ctr_spec *spec, ctr_accel_registry *reg, const char *request, ctr_error **err);

/**
 * Apply the devices requested by the spec's CDI annotations
 * ("cdi.k8s.io/KEY": "vendor/class=name[,vendor/class=name...]").
 * A spec without such annotations is left unchanged, as it is on error.  When
 * the registry was made with ctr_accel_registry_options.gpus_from_env, the
 * GPUs the spec's environment asks for are applied too (see
 * ctr_accel_apply_gpu_env()).
 *
 * @param spec the spec
 * @param reg  the registry
 * @param err  receives an error on failure; may be NULL
 * @return 0; the errors of ctr_spec_add_device() for a named device
 */
int ctr_accel_apply_annotations(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err);

/**
 * Write the devices of one backend as a CDI spec (JSON, cdiVersion as low as
 * the fields allow), one document per kind; kinds are joined into a JSON
 * array when the backend has several.
 *
 * @param reg     the registry
 * @param backend a backend's name
 * @param out     receives the JSON text; free with ctr_free()
 * @param err     receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) for an unknown backend or one
 *         without devices
 */
int ctr_accel_registry_write_cdi(ctr_accel_registry *reg, const char *backend, char **out, ctr_error **err);

/**
 * Like ctr_accel_registry_write_cdi(), for one kind of the backend's devices
 * ("nvidia.com/gpu"); kind NULL: all of them.  Since 0.2.
 *
 * @param reg     the registry
 * @param backend a backend's name
 * @param kind    a kind of its devices ("vendor/class"), or NULL for all
 * @param out     receives the JSON text; free with ctr_free()
 * @param err     receives an error on failure; may be NULL
 * @return 0; -EINVAL (CTR_E_INVALID) for a NULL reg, backend or out;
 *         -ENOENT (CTR_E_NOT_FOUND) for an unknown backend, or one without
 *         devices (of that kind); -ENOMEM; a backend's own error while it
 *         describes its devices
 */
int ctr_accel_registry_write_cdi_kind(ctr_accel_registry *reg, const char *backend, const char *kind, char **out,
				      ctr_error **err);

/**
 * Write one kind of a backend's devices as a CDI spec file, atomically: a
 * new temporary file (O_EXCL) in the same directory, written, fsync'ed and
 * renamed over path, then the directory fsync'ed; on any error nothing is
 * left behind and an existing file is unchanged.  Missing parent
 * directories are made (0755).  The file is JSON, mode 0644.  kind may be
 * NULL when the backend has one kind of device.  Since 0.2.
 *
 * @param reg     the registry
 * @param backend a backend's name
 * @param kind    the kind of devices to write ("vendor/class"); NULL when the backend has only one
 * @param path    the file to write (e.g. /etc/cdi/nvidia.json)
 * @param err     receives an error on failure; may be NULL
 * @return 0; -EINVAL (CTR_E_INVALID) for a NULL or empty path, a path that
 *         names no file, or a backend with several kinds and kind NULL;
 *         -ENOENT (CTR_E_NOT_FOUND) as for ctr_accel_registry_write_cdi_kind();
 *         -ENAMETOOLONG; -ENOMEM; or the errno of the mkdir, open, write,
 *         fsync or rename that failed (CTR_E_SYSTEM, naming the path)
 */
int ctr_accel_registry_write_cdi_file(ctr_accel_registry *reg, const char *backend, const char *kind,
				      const char *path, ctr_error **err);

/**
 * Whether a CDI spec still matches the host it is used on: an nvidia.com
 * spec records the NVIDIA driver it was generated for (the version in the
 * names of its libraries, or on WSL the driver store folder), and one made
 * for another driver is stale.  Specs that record no driver are current.
 *
 * @param reg  the registry (its host root is where the driver is looked for)
 * @param buf  the spec (JSON or YAML); need not be NUL-terminated
 * @param len  its length
 * @param name what to call it in messages (its file name); NULL: "cdi spec"
 * @param err  receives an error on failure; may be NULL
 * @return 0 when current, -ESTALE (CTR_E_STATE) with a message naming both
 *         drivers and the command that regenerates the spec, -EINVAL for a
 *         NULL reg or buf or a spec that does not parse, -ENOMEM.  Since 0.2.
 */
int ctr_accel_registry_check_cdi(ctr_accel_registry *reg, const char *buf, size_t len, const char *name,
				 ctr_error **err);

/* ---- GPU requests: Docker's --gpus, NVIDIA_VISIBLE_DEVICES ---- */

/**
 * NVIDIA driver capabilities (NVIDIA_DRIVER_CAPABILITIES, Docker's
 * --gpus capabilities=...): which parts of the driver a container gets, as
 * libnvidia-container chooses them.  compute: libcuda, OpenCL, PTX JIT and
 * the MPS binaries, /dev/nvidia-uvm; utility: NVML and nvidia-smi; video:
 * the codec libraries (and compute); graphics: OpenGL, EGL, Vulkan with
 * their ICD and vendor files, the GPU's DRI nodes; display: graphics, the
 * X driver and /dev/nvidia-modeset; compat32: the 32-bit libraries of the
 * others; ngx: NGX.  The dri, virtio-gpu, amd and dxg backends honour
 * graphics (and display): the host's Mesa for the GPU's kernel driver.
 */
enum {
	CTR_GPU_CAP_COMPUTE = 1u << 0,
	CTR_GPU_CAP_UTILITY = 1u << 1,
	CTR_GPU_CAP_GRAPHICS = 1u << 2,
	CTR_GPU_CAP_VIDEO = 1u << 3,
	CTR_GPU_CAP_DISPLAY = 1u << 4,
	CTR_GPU_CAP_COMPAT32 = 1u << 5,
	CTR_GPU_CAP_NGX = 1u << 6,
	/** "all" */
	CTR_GPU_CAP_ALL = (1u << 7) - 1,
	/** what a request without capabilities gets, as nvidia-container-toolkit: compute,utility */
	CTR_GPU_CAP_DEFAULT = CTR_GPU_CAP_COMPUTE | CTR_GPU_CAP_UTILITY
};

/** A request for GPUs. */
typedef struct ctr_gpu_request ctr_gpu_request;

/**
 * Parse a GPU request the way Docker's --gpus does: a CSV list of
 * "count=N|all" (or a bare N or all), "device=ID[,ID...]" (indices, GPU
 * UUIDs, PCI addresses, MIG "gpu:gi:ci"), "driver=NAME" (nvidia, amd, dxg,
 * virtio-gpu or dri; default: the first backend with GPUs, in that order),
 * "capabilities=CAP[,CAP...]" (the CTR_GPU_CAP_* names plus Docker's
 * "gpu", "nvidia" and "amd") and "options=K=V[,...]".  A field may be
 * quoted ("device=0,2"); unlike Docker, a bare field after device= or
 * capabilities= continues its list, so device=0,2 needs no quotes.  With
 * neither count nor device, one GPU is asked for.
 *
 * @param buf the text (need not be NUL-terminated)
 * @param len its length
 * @param out receives the request; free with ctr_gpu_request_free()
 * @param err receives an error on failure; may be NULL
 * @return 0, -EINVAL (CTR_E_INVALID) with a message naming the field (also
 *         for an empty or NULL text and a NULL out), or -ENOMEM
 */
int ctr_gpu_request_parse(const char *buf, size_t len, ctr_gpu_request **out, ctr_error **err);

/**
 * The request NVIDIA's images make through their environment:
 * NVIDIA_VISIBLE_DEVICES ("all", "none": the driver but no GPU, "void" or
 * empty: nothing, or a list of indices, UUIDs and MIG devices) and
 * NVIDIA_DRIVER_CAPABILITIES ("all" or a list; unset or empty:
 * compute,utility).
 *
 * @param visible_devices the value of NVIDIA_VISIBLE_DEVICES; NULL: unset
 * @param driver_capabilities the value of NVIDIA_DRIVER_CAPABILITIES; NULL: unset
 * @param out receives the request, or NULL when visible_devices is unset; free with
 *            ctr_gpu_request_free()
 * @param err receives an error on failure; may be NULL
 * @return 0, -EINVAL (CTR_E_INVALID) with a message naming the variable (also
 *         for a NULL out), or -ENOMEM
 */
int ctr_gpu_request_from_env(const char *visible_devices, const char *driver_capabilities, ctr_gpu_request **out,
			     ctr_error **err);

/**
 * Free a request.
 *
 * @param req the request; NULL is allowed
 */
void ctr_gpu_request_free(ctr_gpu_request *req);

/**
 * The number of GPUs asked for.
 *
 * @param req the request
 * @return -1 for all, 0 when devices are named (or none is asked for, or req is NULL), else N
 */
int ctr_gpu_request_count(const ctr_gpu_request *req);

/**
 * The devices named (device=...).
 *
 * @param req the request
 * @return a NULL-terminated list owned by the request (empty, never NULL, when none are named or req is NULL)
 */
const char *const *ctr_gpu_request_devices(const ctr_gpu_request *req);

/**
 * The driver named (driver=...).
 *
 * @param req the request
 * @return the driver, owned by the request, or NULL for the first backend with GPUs (or a NULL req)
 */
const char *ctr_gpu_request_driver(const ctr_gpu_request *req);

/**
 * The driver capabilities asked for.
 *
 * @param req the request
 * @return CTR_GPU_CAP_* bits (CTR_GPU_CAP_DEFAULT when none were given; 0 for a NULL req)
 */
unsigned ctr_gpu_request_capabilities(const ctr_gpu_request *req);

/**
 * The request in the canonical form ctr_gpu_request_parse() reads back,
 * e.g. "count=all,capabilities=compute,utility" (lists quoted).
 *
 * @param req the request
 * @param out receives the text; free with ctr_free()
 * @param err receives an error on failure; may be NULL
 * @return 0, -EINVAL (CTR_E_INVALID) for a NULL req or out, or -ENOMEM
 */
int ctr_gpu_request_format(const ctr_gpu_request *req, char **out, ctr_error **err);

/**
 * Resolve a GPU request into edits: the backend (driver, or the first of
 * nvidia.com/gpu, amd.com/gpu, dxg/gpu, virtio-gpu/gpu, dri/render with
 * devices), its devices (all, the first N by index, or the ones named) and
 * the driver capabilities.
 *
 * @param reg     the registry
 * @param req     the request
 * @param out     receives the edits; free with ctr_container_edits_free()
 * @param devices receives the fully-qualified device names chosen
 *                (free with ctr_strv_free()); may be NULL
 * @param err     receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when the host has no GPU of the
 *         kind, no such GPU, or fewer than asked for; -EINVAL
 *         (CTR_E_INVALID) for a NULL argument, an unknown driver or a
 *         malformed device name; -ENOMEM; a backend's own error
 */
int ctr_accel_registry_gpu_edits(ctr_accel_registry *reg, const ctr_gpu_request *req, ctr_container_edits **out,
				 char ***devices, ctr_error **err);

/**
 * One call: resolve a GPU request (ctr_accel_registry_gpu_edits()) and
 * apply its edits to spec (ctr_container_edits_apply()).  The spec is left
 * unchanged on error.
 *
 * @param spec the spec
 * @param reg  the registry
 * @param req  the request
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL for a NULL argument; the errors of
 *         ctr_accel_registry_gpu_edits() and ctr_container_edits_apply()
 */
int ctr_spec_add_gpus(ctr_spec *spec, ctr_accel_registry *reg, const ctr_gpu_request *req, ctr_error **err);

/**
 * Give the container the GPUs its environment asks for: the
 * NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES of process.env (see
 * ctr_gpu_request_from_env(), driver nvidia).  Call it only when the user
 * asked for it: an image's variables are not a grant.  A spec without
 * NVIDIA_VISIBLE_DEVICES is left unchanged.
 *
 * @param spec the spec whose process.env is read and which gets the edits
 * @param reg  the registry
 * @param err  receives an error on failure (prefixed with the spec's name and the variables); may be NULL
 * @return 0; -EINVAL for a NULL argument; -ENOMEM; the errors of
 *         ctr_gpu_request_from_env() and ctr_spec_add_gpus()
 */
int ctr_accel_apply_gpu_env(ctr_spec *spec, ctr_accel_registry *reg, ctr_error **err);

/**
 * Parse and validate a CDI spec held in memory (JSON or YAML) against the
 * CDI specification: versions 0.3.0 to 1.1.0, names, minimum version for the
 * fields used, edits.
 *
 * @param buf  the text (need not be NUL-terminated)
 * @param len  its length
 * @param name what to call it in error messages (NULL: "cdi spec")
 * @param err  receives an error on failure; may be NULL
 * @return 0 or -EINVAL with a message naming the field
 */
int ctr_cdi_validate_buffer(const char *buf, size_t len, const char *name, ctr_error **err);

/**
 * Like ctr_cdi_validate_buffer() on a file (JSON or YAML, by content).
 *
 * @param path the file
 * @param err  receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such file; -EINVAL
 *         with a message naming the file and the field
 */
int ctr_cdi_validate_file(const char *path, ctr_error **err);

/**
 * Check a fully-qualified device name "vendor/class=name" with the CDI
 * reference parser's rules, and split it.
 *
 * @param qualified the name
 * @param vendor    receives the vendor; free with ctr_free(); may be NULL
 * @param class_    receives the class; free with ctr_free(); may be NULL
 * @param name      receives the device name; free with ctr_free(); may be NULL
 * @param err       receives an error on failure; may be NULL
 * @return 0 or -EINVAL with a message saying which part is wrong
 */
int ctr_cdi_parse_name(const char *qualified, char **vendor, char **class_, char **name, ctr_error **err);

/**
 * New, empty edits.
 *
 * @param out receives the edits; free with ctr_container_edits_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_container_edits_new(ctr_container_edits **out, ctr_error **err);

/**
 * Free edits.
 *
 * @param edits the edits; NULL is allowed
 */
void ctr_container_edits_free(ctr_container_edits *edits);

/**
 * Add an environment variable (a later one for the same key wins).
 *
 * @param edits  the edits
 * @param keyval "KEY=VALUE"
 * @param err    receives an error on failure; may be NULL
 * @return 0, -EINVAL for a string without '=' or with an empty key, -ENOMEM
 */
int ctr_container_edits_add_env(ctr_container_edits *edits, const char *keyval, ctr_error **err);

/**
 * Add a device node.  Its type, major, minor and mode are taken from the
 * host node (host_path, or path when host_path is NULL) when the edits are
 * applied.
 *
 * @param edits       the edits
 * @param path        the path in the container (absolute)
 * @param host_path   the node on the host; NULL: path
 * @param permissions cgroup access, a subset of "rwm"; NULL: "rwm"
 * @param err         receives an error on failure; may be NULL
 * @return 0, -EINVAL for a relative path or bad permissions, -ENOMEM
 */
int ctr_container_edits_add_device_node(ctr_container_edits *edits, const char *path, const char *host_path,
					const char *permissions, ctr_error **err);

/**
 * Add a mount.
 *
 * @param edits          the edits
 * @param host_path      source on the host
 * @param container_path destination in the container (absolute)
 * @param type           filesystem type; NULL: "bind" when options hold "bind"/"rbind", else none
 * @param options        NULL-terminated mount options; may be NULL
 * @param err            receives an error on failure; may be NULL
 * @return 0, -EINVAL for a relative destination, -ENOMEM
 */
int ctr_container_edits_add_mount(ctr_container_edits *edits, const char *host_path, const char *container_path,
				  const char *type, const char *const *options, ctr_error **err);

/**
 * Add a hook.
 *
 * @param edits     the edits
 * @param hook_name prestart, createRuntime, createContainer, startContainer, poststart or poststop
 * @param path      absolute path of the program
 * @param args      argv, NULL-terminated; may be NULL
 * @param env       "K=V" strings, NULL-terminated; may be NULL
 * @param timeout   seconds; 0: none
 * @param err       receives an error on failure; may be NULL
 * @return 0, -EINVAL for an unknown hook name, a relative path or a
 *         negative timeout, -ENOMEM
 */
int ctr_container_edits_add_hook(ctr_container_edits *edits, const char *hook_name, const char *path,
				 const char *const *args, const char *const *env, int timeout, ctr_error **err);

/**
 * Add an additional gid for the container process (0 and duplicates are
 * dropped on apply).
 *
 * @param edits the edits
 * @param gid   the group id
 * @param err   receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_container_edits_add_gid(ctr_container_edits *edits, unsigned gid, ctr_error **err);

/**
 * Append all of src to dst.
 *
 * @param dst the edits to extend
 * @param src the edits to copy from (unchanged)
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM (dst is then unchanged)
 */
int ctr_container_edits_append(ctr_container_edits *dst, const ctr_container_edits *src, ctr_error **err);

/**
 * The edits as a CDI containerEdits JSON object.
 *
 * @param edits the edits
 * @param out   receives the JSON text; free with ctr_free()
 * @param err   receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_container_edits_to_json(const ctr_container_edits *edits, char **out, ctr_error **err);

/**
 * Apply edits to a spec the way the CDI reference implementation does:
 * environment overridden by key; device nodes stat'ed on the host for type,
 * major/minor and mode, added to linux.devices and as cgroup rules to
 * linux.resources.devices; mounts replace same-destination mounts and all
 * mounts are sorted parents-first; hooks appended; additional gids appended
 * without duplicates or 0; intelRdt and netDevices set.  The spec is left
 * unchanged on error.
 *
 * @param edits the edits
 * @param spec  the spec to change
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) for a host device node that does not
 *         exist; -EINVAL for one that is not a device node or a spec whose
 *         fields have the wrong type; -ENOMEM
 */
int ctr_container_edits_apply(const ctr_container_edits *edits, ctr_spec *spec, ctr_error **err);

/**
 * Whether libctr runs a hook natively: path names nvidia-cdi-hook or
 * nvidia-ctk ("nvidia-ctk hook VERB"), that program is not installed, and
 * the verb is one of create-symlinks, update-ldcache, chmod,
 * enable-cuda-compat, disable-device-node-modification.  The hook runner
 * calls ctr_accel_hook_run_native() instead of executing such a hook.
 *
 * @param path the hook's path
 * @param args the hook's args (args[0] is the program name), NULL-terminated
 * @return 1 or 0
 */
int ctr_accel_hook_is_native(const char *path, const char *const *args);

/**
 * Run an NVIDIA hook verb inside libctr.  Container paths are resolved
 * beneath the rootfs (openat2 RESOLVE_IN_ROOT); the rootfs comes from the
 * bundle's config.json named by the state.
 *
 * @param path  the hook's path
 * @param args  the hook's args (args[0] is the program name), NULL-terminated
 * @param state the OCI state JSON the hook would read on stdin
 * @param len   its length
 * @param err   receives an error on failure; may be NULL
 * @return 0, -EINVAL for a malformed hook or state, -ENOTSUP for another verb, ...
 */
int ctr_accel_hook_run_native(const char *path, const char *const *args, const char *state, size_t len,
			      ctr_error **err);

#ifdef __cplusplus
}
#endif
#endif

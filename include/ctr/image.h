/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/image.h
 * OCI images: sources, a local image store, unpacking and image-to-spec conversion.
 *
 * Sources are named as containers-transports(5) names them:
 *  - `oci:<dir>[:<tag>]`            an OCI image layout directory
 *  - `oci-archive:<file>[:<tag>]`   a tar archive of an OCI image layout
 *  - `docker-archive:<file>[:<tag>]` a `docker save` archive (legacy
 *                                    manifest.json + repositories, or the newer
 *                                    ones that are also OCI layouts)
 * Without a tag a source must hold exactly one image for the host's platform.
 * Every blob read is verified for size and digest, every layer for its DiffID.
 *
 * The store (default /var/lib/ctr) keeps manifests, configs and layer blobs
 * by digest and each layer extracted once, keyed by its ChainID, so that a
 * container's rootfs is an overlayfs mount of the image's layers.  Several
 * processes may use one store at the same time: imports lock and rename
 * atomically, and a crash leaves nothing that a later run trusts.
 *
 * A store handle may be used from one thread at a time.  Import and unpack
 * start threads for the duration of the call: one that reads, decompresses
 * and checks the digests of the layer stream, and up to
 * ctr_image_options.writer_threads that write the files (all with every
 * signal blocked, all joined before the call returns).  The progress
 * callback is called from the calling thread.
 */
#ifndef CTR_IMAGE_H
#define CTR_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "context.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A local image store. */
typedef struct ctr_image_store ctr_image_store;

/** The default store directory. */
#define CTR_IMAGE_STORE_DEFAULT "/var/lib/ctr"

/** Progress of one layer, given to ctr_image_progress_fn. */
typedef struct ctr_image_progress {
	size_t size;          /**< sizeof(ctr_image_progress) */
	unsigned layer;       /**< 0-based index of the layer */
	unsigned n_layers;    /**< layers in the image */
	const char *digest;   /**< the layer blob's digest */
	int64_t total;        /**< the blob's size in bytes, -1 when unknown */
	uint64_t bytes_in;    /**< blob bytes read so far */
	uint64_t bytes_out;   /**< uncompressed bytes so far */
	uint64_t entries;     /**< tar entries so far */
	int cached;           /**< nonzero: the layer is in the store already and is not extracted again */
	int done;             /**< nonzero: this is the last report for this layer */
	int phase;            /**< what the layer is going through: a ctr_image_phase (when size covers it) */
} ctr_image_progress;

/** The phases of a layer in ctr_image_progress.phase. */
typedef enum ctr_image_phase {
	CTR_IMAGE_PHASE_WAIT = 0,    /**< not started yet, or waiting for another import of the same layer */
	CTR_IMAGE_PHASE_COPY = 1,    /**< its blob is copied into the store and verified (bytes_in of total) */
	CTR_IMAGE_PHASE_EXTRACT = 2, /**< its blob is read (bytes_in of total), unpacked and verified */
	CTR_IMAGE_PHASE_DONE = 3     /**< in the store (or unpacked); with cached, nothing was done */
} ctr_image_phase;

/** Progress callback; a nonzero return cancels the operation (-ECANCELED). */
typedef int (*ctr_image_progress_fn)(void *userdata, const ctr_image_progress *p);

/** Options for import and unpack; initialise with ctr_image_options_init(). */
typedef struct ctr_image_options {
	size_t size;                     /**< sizeof(ctr_image_options), set by the init function */
	ctr_image_progress_fn progress;  /**< NULL: no reports */
	void *progress_userdata;         /**< passed to progress */
	const volatile int *cancel;      /**< when it points at a nonzero value the operation stops with -ECANCELED */
	const char *platform;            /**< "os/arch[/variant]" to select from a multi-platform index; NULL: the host's */
	int writer_threads;              /**< threads that create and write a layer's files while its tar stream is
					  *   read (entries still take effect in archive order): 0 = one per online
					  *   CPU, at most 4; -1 = none (the calling thread does it, the decompression
					  *   and digests still run on one more thread); 1 to 8 = that many */
} ctr_image_options;

/**
 * Initialise image options to their defaults, for a struct of `size` bytes:
 * the caller's sizeof(ctr_image_options), which the library records in the
 * size field.  Fields beyond `size` (a caller built against older headers)
 * are never written; the library uses their defaults.  Call it through
 * ctr_image_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_image_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_image_options_init_sized(ctr_image_options *opts, size_t size);

/**
 * Initialise image options to their defaults:
 * ctr_image_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_image_options_init(ctr_image_options *opts)
{
	(void)ctr_image_options_init_sized(opts, sizeof(*opts));
}

/**
 * Open (creating it when missing) an image store.  Temporary directories
 * left by a crashed import are removed.  The store holds an fd of its
 * directory and one of its lock file.
 *
 * @param ctx  the context (for logging); must outlive the store
 * @param out  receives the store; free it with ctr_image_store_free()
 * @param dir  the store directory; NULL: CTR_IMAGE_STORE_DEFAULT
 * @param err  receives an error on failure; may be NULL
 * @return 0 or the errno of the mkdir or open that failed (CTR_E_SYSTEM, the
 *         message names the directory)
 */
int ctr_image_store_open(ctr_context *ctx, ctr_image_store **out, const char *dir, ctr_error **err);

/**
 * Close a store (the images stay on disk).
 *
 * @param store the store; NULL is allowed
 */
void ctr_image_store_free(ctr_image_store *store);

/**
 * The store directory.
 *
 * @param store the store
 * @return the directory, owned by the store
 */
const char *ctr_image_store_dir(const ctr_image_store *store);

/**
 * Import an image from a source into the store under a name (an existing
 * image of that name is replaced).  Layers already in the store are not
 * extracted again.  On failure the store holds no new image record and no
 * partial layer.  Uses up to opts->writer_threads threads (see
 * ctr_image_options).
 *
 * @param store  the store
 * @param source a source name, e.g. "oci:/srv/busybox:latest"
 * @param name   the name to store it under; NULL: derived from the source (its tag, an oci-archive's
 *               org.opencontainers.image.ref.name, docker's RepoTags, or the file name)
 * @param opts   options, or NULL
 * @param err    receives an error on failure; may be NULL
 * @return 0, -EINVAL for a bad source name or document, -EBADMSG for a digest, size or DiffID mismatch,
 *         -ENOENT when the source or tag does not exist, -ECANCELED, another negative errno
 */
int ctr_image_import(ctr_image_store *store, const char *source, const char *name, const ctr_image_options *opts,
		     ctr_error **err);

/**
 * ctr_image_import(), telling the name the image was stored under: the
 * name given, else the one derived from the source (the tag, an
 * oci-archive's org.opencontainers.image.ref.name annotation, docker's
 * RepoTags, or the file name).
 *
 * @param stored_name receives that name on success; free with ctr_free(); may be NULL
 */
int ctr_image_import_named(ctr_image_store *store, char **stored_name, const char *source, const char *name,
			   const ctr_image_options *opts, ctr_error **err);

/**
 * The names of the stored images.
 *
 * @param store the store
 * @param names receives a NULL-terminated sorted array; free with ctr_strv_free()
 * @param err   receives an error on failure; may be NULL
 * @return 0, or -EINVAL (CTR_E_PARSE) for a damaged images.json
 */
int ctr_image_list(ctr_image_store *store, char ***names, ctr_error **err);

/**
 * A stored image as JSON: name, source, manifest and config digests, the
 * layers (digest, DiffID, ChainID, size) and the image config.
 *
 * @param store the store
 * @param name  a stored image
 * @param out   receives the JSON; free with ctr_free()
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such image;
 *         -EINVAL (CTR_E_PARSE) for a damaged record
 */
int ctr_image_inspect(ctr_image_store *store, const char *name, char **out, ctr_error **err);

/**
 * Remove an image record (its layers stay until ctr_image_prune()).  An
 * image that a live container's rootfs uses is not removed unless flags has
 * CTR_IMAGE_REMOVE_FORCE; the container keeps its layers either way.
 *
 * @param store the store
 * @param name  a stored image
 * @param flags 0 or CTR_IMAGE_REMOVE_FORCE
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND); -EBUSY (CTR_E_STATE, naming the container)
 */
int ctr_image_remove_ex(ctr_image_store *store, const char *name, unsigned flags, ctr_error **err);

/** Remove even when a live container uses the image. */
#define CTR_IMAGE_REMOVE_FORCE (1u << 0)

/** ctr_image_remove_ex() without flags. */
int ctr_image_remove(ctr_image_store *store, const char *name, ctr_error **err);

/**
 * Remove blobs and layers that no image and no container references, and
 * temporary files of crashed imports.
 *
 * @param store   the store
 * @param removed receives how many blobs and layers were removed; may be NULL
 * @param err     receives an error on failure; may be NULL
 * @return 0 or the errno of a removal that failed
 */
int ctr_image_prune(ctr_image_store *store, unsigned *removed, ctr_error **err);

/**
 * Unpack an image into a plain directory (layers applied in order,
 * whiteouts applied).  dir is created when missing and must be empty.
 * Uses up to opts->writer_threads threads (see ctr_image_options).
 *
 * @param ctx    the context
 * @param store  the store holding `ref`; may be NULL when `ref` is a source name
 * @param ref    a source name ("oci:...") or, with a store, a stored image's name
 * @param dir    the target directory
 * @param opts   options, or NULL
 * @param err    receives an error on failure; may be NULL
 * @return 0; -ENOTEMPTY (CTR_E_EXISTS) when dir is not empty; -ENOENT
 *         (CTR_E_NOT_FOUND) for a missing source, tag or image; -EINVAL for a
 *         bad source name or document; -EBADMSG for a digest, size or DiffID
 *         mismatch; -ECANCELED when the progress callback or opts->cancel
 *         stopped it; an errno of the filesystem (a layer entry the kernel
 *         refuses); what was written is removed on failure
 */
int ctr_image_unpack(ctr_context *ctx, ctr_image_store *store, const char *ref, const char *dir,
		     const ctr_image_options *opts, ctr_error **err);

/** Options for ctr_image_spec(); initialise with ctr_image_spec_options_init(). */
typedef struct ctr_image_spec_options {
	size_t size;                    /**< sizeof(ctr_image_spec_options), set by the init function */
	const char *const *args;        /**< NULL-terminated; replaces the image's Cmd (the Entrypoint stays); NULL: Cmd */
	const char *const *entrypoint;  /**< NULL-terminated; replaces the Entrypoint (and drops Cmd unless args); NULL: the image's */
	const char *user;               /**< replaces the image's User; NULL: the image's */
} ctr_image_spec_options;

/**
 * Initialise image spec options to their defaults, for a struct of `size`
 * bytes: the caller's sizeof(ctr_image_spec_options), which the library
 * records in the size field.  Fields beyond `size` (a caller built against
 * older headers) are never written; the library uses their defaults.  Call it
 * through ctr_image_spec_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_image_spec_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_image_spec_options_init_sized(ctr_image_spec_options *opts, size_t size);

/**
 * Initialise image spec options to their defaults:
 * ctr_image_spec_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_image_spec_options_init(ctr_image_spec_options *opts)
{
	(void)ctr_image_spec_options_init_sized(opts, sizeof(*opts));
}

/**
 * A runtime spec for a stored image, converted as the image-spec's
 * conversion.md says: process.args from Entrypoint + Cmd, Env merged over
 * the defaults, WorkingDir, User resolved through the image's own
 * /etc/passwd and /etc/group (read inside the image's layers, never the
 * host's), and ExposedPorts, Volumes, StopSignal, labels, os and
 * architecture as annotations (org.opencontainers.image.exposedPorts,
 * .volumes, .stopSignal, ...).  root.path is "rootfs"; create with
 * ctr_create_options.image to run it on the image's rootfs.
 *
 * @param store the store
 * @param name  a stored image
 * @param opts  overrides, or NULL
 * @param out   receives the spec; free with ctr_spec_free()
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) for an unknown image, or a User
 *         that the image's /etc/passwd or /etc/group does not name; -EINVAL
 *         for a damaged image config
 */
int ctr_image_spec(ctr_image_store *store, const char *name, const ctr_image_spec_options *opts, ctr_spec **out,
		   ctr_error **err);

#ifdef __cplusplus
}
#endif
#endif

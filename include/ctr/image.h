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
 *  - `docker://[host[:port]/]repo[:tag|@digest]` an image in a registry (the
 *                                    OCI distribution API); without a host,
 *                                    Docker Hub (docker.io/library/...)
 * Without a tag a source must hold exactly one image for the host's platform.
 * Every blob read is verified for size and digest, every layer for its DiffID.
 *
 * Registries: ctr_image_pull() also takes names without docker:// and short
 * names ("busybox"), which registries.conf(5) resolves (aliases, then
 * unqualified-search-registries as its short-name-mode allows); its
 * [[registry]] tables remap locations, add mirrors (tried first), mark
 * registries insecure (plain http or unverified TLS) or blocked.
 * Credentials come from ctr_image_options.creds, .authfile, else
 * $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json
 * (`/run/containers/<uid>/auth.json`), ~/.config/containers/auth.json,
 * ~/.docker/config.json, with their credential helpers (docker-credential-*);
 * TLS uses the system CAs plus `/etc/containers/certs.d/<host>/` (*.crt, and
 * a client `<name>.cert` with `<name>.key`).  Layers download a few at once;
 * each is verified, decompressed and extracted as it arrives, with no copy
 * of the blob on disk besides the store's own.  libcurl is loaded on first
 * use.
 *
 * The store (default /var/lib/ctr) keeps manifests, configs and layer blobs
 * by digest and each layer extracted once, keyed by its ChainID, so that a
 * container's rootfs is an overlayfs mount of the image's layers.  Several
 * processes may use one store at the same time: imports lock and rename
 * atomically, and a crash leaves nothing that a later run trusts.
 *
 * A store handle may be used from one thread at a time.  Import and unpack
 * start threads for the duration of the call: per layer one that reads,
 * decompresses and checks the digests of the layer stream, and up to
 * ctr_image_options.writer_threads that write the files; an import into
 * the store and a pull extract up to ctr_image_options.max_transfers layers
 * at once, each on a thread of its own (all with every signal blocked, all
 * joined before the call returns).  The progress callback is called from
 * the calling thread.
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
	/* added in 0.2: present when size covers them */
	int phase;            /**< what the layer is going through: a ctr_image_phase; the last report (done)
			       *   keeps the phase the layer ended in */
	unsigned attempt;     /**< with CTR_IMAGE_PHASE_RETRYING: the number of the retry; else 0 */
} ctr_image_progress;

/** What happens to a layer (ctr_image_progress.phase). */
typedef enum ctr_image_phase {
	CTR_IMAGE_PHASE_WAITING = 0,     /**< not started yet: the first report of each layer, and while it is
					  *   queued behind other layers' transfers (ctr_image_options.max_transfers) */
	CTR_IMAGE_PHASE_COPYING = 1,     /**< import: its blob is copied from the source into the store and
					  *   verified; bytes_in counts the bytes copied */
	CTR_IMAGE_PHASE_EXTRACTING = 2,  /**< its blob is read from a local file (the source, or the store's
					  *   copy), verified and applied; bytes_in counts the bytes read */
	CTR_IMAGE_PHASE_DOWNLOADING = 3, /**< downloaded and, as the bytes arrive, verified and applied; bytes_in
					  *   counts the bytes received */
	CTR_IMAGE_PHASE_RETRYING = 4,    /**< the transfer broke or the registry asked to wait (429, 5xx): it
					  *   resumes where it stopped (attempt says which retry) */
	CTR_IMAGE_PHASE_UPLOADING = 5,   /**< push: sent to the registry; bytes_in counts the bytes sent */
	CTR_IMAGE_PHASE_EXISTS = 6       /**< nothing to transfer: the store has the layer already (import and
					  *   pull, with cached set), or the registry has the blob or mounted it
					  *   from the repository the image came from (push) */
} ctr_image_phase;

/**
 * Progress callback; a nonzero return cancels the operation (-ECANCELED).
 * It is called on the thread that called the operation only, also while
 * layers transfer on the library's own threads (about ten times a second).
 */
typedef int (*ctr_image_progress_fn)(void *userdata, const ctr_image_progress *p);

/** Options for import, pull, push and unpack; initialise with ctr_image_options_init(). */
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
	/* added in 0.2, for registries (docker:// references, pull, push) */
	const char *authfile;            /**< the credentials file (containers-auth.json(5) format) to use instead
					  *   of the default ones; NULL: the defaults (see above) */
	const char *creds;               /**< "user[:password]" for the registry; overrides every auth file */
	const char *cert_dir;            /**< a directory of *.crt CAs and `<name>.cert`/`<name>.key` client
					  *   certificates to use instead of `certs.d/<host>`; NULL: certs.d */
	const char *registries_conf;     /**< registries.conf (its `<path>.d` drop-ins are read too); NULL:
					  *   $CONTAINERS_REGISTRIES_CONF, ~/.config/containers/registries.conf
					  *   (not root), /etc/containers/registries.conf */
	int tls_skip_verify;             /**< nonzero: do not verify registries' TLS certificates and allow plain
					  *   http (as --tls-verify=false); 0: as registries.conf says */
	unsigned max_transfers;          /**< layers transferred at once: downloaded and extracted by a pull,
					  *   extracted by an import into the store (a flat unpack goes one layer
					  *   at a time); 0: 3; more than 16 count as 16 */
	uint64_t chunk_size;             /**< push: upload each blob in PATCH requests of this many bytes;
					  *   0: one PUT per blob */
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
 * extracted again.  A docker:// source is pulled (ctr_image_pull()).  On
 * failure the store holds no new image record and no partial layer.  Up to
 * opts->max_transfers layers are extracted at once, each with up to
 * opts->writer_threads writer threads (see ctr_image_options); a blob the
 * store lacks is written into it as its layer's extraction reads and
 * verifies it (the blob of a layer the store has already is copied alone).
 *
 * @param store  the store
 * @param source a source name, e.g. "oci:/srv/busybox:latest" or "docker://quay.io/org/app:1"
 * @param name   the name to store it under; NULL: derived from the source (its tag, an oci-archive's
 *               org.opencontainers.image.ref.name, docker's RepoTags, or the file name; for
 *               docker:// the full reference)
 * @param opts   options, or NULL
 * @param err    receives an error on failure; may be NULL
 * @return 0, -EINVAL for a bad source name or document, or a name that is empty, longer than 1024
 *         bytes or holds control characters; -EBADMSG for a digest, size or DiffID mismatch;
 *         -ENOENT when the source or tag does not exist; -ECANCELED; -ENOSPC when the store's
 *         filesystem is full (naming the file); for docker://, the errors of ctr_image_pull();
 *         another negative errno
 */
int ctr_image_import(ctr_image_store *store, const char *source, const char *name, const ctr_image_options *opts,
		     ctr_error **err);

/**
 * ctr_image_import(), telling the name the image was stored under: the
 * name given, else the one derived from the source (the tag, an
 * oci-archive's org.opencontainers.image.ref.name annotation, docker's
 * RepoTags, or the file name; for docker:// the full reference).
 *
 * @param store       the store
 * @param stored_name receives that name on success (NULL on failure); free with ctr_free(); may be NULL
 * @param source      a source name, as for ctr_image_import()
 * @param name        the name to store it under; NULL: derived from the source
 * @param opts        options, or NULL
 * @param err         receives an error on failure; may be NULL
 * @return 0, or the errors of ctr_image_import(); -ENOMEM when the name cannot be copied (the image
 *         is stored then)
 */
int ctr_image_import_named(ctr_image_store *store, char **stored_name, const char *source, const char *name,
			   const ctr_image_options *opts, ctr_error **err);

/**
 * Pull an image from a registry into the store.  ref is
 * "[docker://][host[:port]/]repo[:tag|@digest]"; without docker:// a short
 * name is resolved through registries.conf (with docker:// it means Docker
 * Hub).  Mirrors are tried first; an index picks opts->platform (default:
 * the host's).  Layers the store has (by ChainID) are not downloaded, blobs
 * it has are not downloaded again; up to opts->max_transfers layers
 * download at once, each verified, decompressed and extracted while it
 * arrives (a broken connection resumes with a Range request; 429 and 5xx
 * are retried, honouring Retry-After).  On failure or cancel the store is
 * as before.
 *
 * @param store        the store
 * @param stored_name  receives the name the image is stored under (free with ctr_free()); may be NULL
 * @param ref          the reference
 * @param name         the name to store it under; NULL: the full reference ("docker.io/library/busybox:latest")
 * @param opts         options, or NULL
 * @param err          receives an error on failure; may be NULL
 * @return 0; -EINVAL for a bad reference, a bad name, an ambiguous short name or a bad
 *         registries.conf (naming the file and line); -ENOENT when no registry has it (or no image for
 *         the platform); -EACCES when the registry refuses the credentials, or registries.conf blocks
 *         it; -EBADMSG for a digest, size or DiffID mismatch; -EFBIG for a manifest or config larger
 *         than allowed (4 MiB); -ENOTSUP for a Docker schema 1 manifest or an artifact that is no
 *         image; -EPROTO for a TLS failure or an answer that breaks the distribution API;
 *         -EHOSTUNREACH (name not resolved), -ECONNREFUSED, -ETIMEDOUT, -ECONNRESET after the retries;
 *         -EAGAIN when the registry keeps answering 429 or asks to wait more than 60 s; -ELIBACC when
 *         libcurl cannot be loaded; -ECANCELED; -ENOSPC or another errno of the store's filesystem
 */
int ctr_image_pull(ctr_image_store *store, char **stored_name, const char *ref, const char *name,
		   const ctr_image_options *opts, ctr_error **err);

/**
 * Push a stored image to a registry: its layer blobs (skipped when the
 * registry has them, mounted from the repository the image was pulled from
 * when that is on the same registry), its config, then its manifest under
 * dest's tag (default "latest").  Blobs go in one PUT each, or in
 * opts->chunk_size PATCH requests.
 *
 * @param store the store
 * @param name  a stored image
 * @param dest  "[docker://]host[:port]/repo[:tag|@digest]" (a digest must be the image's manifest's)
 * @param opts  options (registry settings, chunk_size, progress with phase UPLOADING or EXISTS), or NULL
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) for no such image, or a blob the store lacks; -EINVAL for a bad
 *         destination or a digest that is not the image's; -EACCES when the registry refuses the
 *         credentials or registries.conf blocks it; -ECANCELED; the network and protocol errors of
 *         ctr_image_pull(); another negative errno
 */
int ctr_image_push(ctr_image_store *store, const char *name, const char *dest, const ctr_image_options *opts,
		   ctr_error **err);

/**
 * The stored image a reference names, without contacting a registry: the
 * full reference ("docker.io/library/busybox:latest") and, for a short
 * name, each name registries.conf would try.
 *
 * @param store       the store
 * @param stored_name receives the stored image's name (free with ctr_free()); NULL on failure
 * @param ref         a stored name, or a reference as for ctr_image_pull()
 * @param opts        options (registries_conf is read), or NULL
 * @param err         receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when the store has none of them (or a short name and
 *         registries.conf has no search registries); -EINVAL for a NULL argument, a bad reference or
 *         a bad registries.conf; -EACCES when registries.conf blocks every candidate; -ENOMEM; the
 *         errno of reading registries.conf
 */
int ctr_image_lookup(ctr_image_store *store, char **stored_name, const char *ref, const ctr_image_options *opts,
		     ctr_error **err);

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

/**
 * ctr_image_remove_ex() without flags.
 *
 * @param store the store
 * @param name  a stored image
 * @param err   receives an error on failure; may be NULL
 * @return as ctr_image_remove_ex()
 */
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
 * @param ref    a source name ("oci:...", "docker://...": streamed from the registry) or, with a store, a
 *               stored image's name
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

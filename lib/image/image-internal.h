/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the image module shared by manifest.c (the index, manifest
 * and config parsers), source.c (OCI layouts and archives), store.c (the
 * layer store) and convert.c (image config -> runtime spec).  Not installed.
 */
#ifndef CTR_LIB_IMAGE_IMAGE_INTERNAL_H
#define CTR_LIB_IMAGE_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "internal.h"
#include "ctr/image.h"
#include "image/layer.h"

struct json_object;

/* Largest index, manifest or config document read into memory. */
#define IMG_DOC_MAX (4u * 1024 * 1024)
/* Deepest chain of nested indexes followed. */
#define IMG_INDEX_DEPTH 8

#define IMG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMG_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMG_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMG_MT_TAR "application/vnd.oci.image.layer.v1.tar"

/* A descriptor (descriptor.md) with the fields we use. */
struct img_desc {
	char *media_type;
	char *digest;
	int64_t size;
	char *ref_name;  /* annotations["org.opencontainers.image.ref.name"], NULL: none */
	bool has_platform;
	char *os, *arch, *variant;
	char *path;      /* docker-archive: the file in the archive; NULL: blobs/<alg>/<hex> */
};

enum img_kind { IMG_KIND_UNKNOWN = 0, IMG_KIND_INDEX, IMG_KIND_MANIFEST };

struct img_index {
	struct img_desc *m;
	size_t n;
};

struct img_manifest {
	struct img_desc config;
	struct img_desc *layers;
	size_t n_layers;
};

struct img_config {
	struct json_object *root; /* the whole document */
	char *os, *arch, *variant;
	char **diff_ids;          /* NULL-terminated */
	size_t n_diff_ids;
};

/* One image of a docker-save manifest.json. */
struct img_docker_entry {
	char *config;      /* path of the config in the archive */
	char **repo_tags;  /* NULL-terminated, may be empty */
	char **layers;     /* NULL-terminated paths of the layer tars */
	size_t n_layers;
};

struct img_docker_manifest {
	struct img_docker_entry *e;
	size_t n;
};

/* ---- manifest.c: parsers over (buf, len); what names the document in errors ---- */
int img_json_parse(const char *buf, size_t len, const char *what, bool want_array, struct json_object **out,
		   ctr_error **err);
/* What kind of document a media type is (index or manifest); IMG_KIND_UNKNOWN otherwise. */
enum img_kind img_media_kind(const char *media_type);
/* A layer media type we can apply (tar, gzip, zstd; OCI, docker and nondistributable). */
bool img_layer_media_ok(const char *media_type);
int img_parse_index(const char *buf, size_t len, const char *what, struct img_index *out, ctr_error **err);
int img_parse_manifest(const char *buf, size_t len, const char *what, struct img_manifest *out, ctr_error **err);
int img_parse_config(const char *buf, size_t len, const char *what, struct img_config *out, ctr_error **err);
int img_parse_docker_manifest(const char *buf, size_t len, const char *what, struct img_docker_manifest *out,
			      ctr_error **err);
/* The kind a document says it is in its own mediaType (index.json has "manifests", a manifest "layers"). */
enum img_kind img_doc_kind(const char *buf, size_t len);
void img_desc_free(struct img_desc *d);
void img_index_free(struct img_index *x);
void img_manifest_free(struct img_manifest *m);
void img_config_free(struct img_config *c);
void img_docker_manifest_free(struct img_docker_manifest *m);

/* A manifest and config this runtime can run: one DiffID per layer, os linux. */
int img_check_runnable(const struct img_manifest *m, const struct img_config *cfg, const char *what, ctr_error **err);
/* The host platform: "linux", GOARCH name ("amd64", "arm64", ...) and variant ("" when none). */
void img_host_platform(const char **os, const char **arch, const char **variant);
/*
 * How well a descriptor's platform fits os/arch/variant: -1 not at all,
 * higher is better (an exact variant beats a compatible older one).
 */
int img_platform_score(const struct img_desc *d, const char *os, const char *arch, const char *variant);

/*
 * ChainIDs (config.md): chain[0] = diff_ids[0],
 * chain[i] = sha256(chain[i-1] + " " + diff_ids[i]).  out gets n strings.
 */
int img_chain_ids(char *const *diff_ids, size_t n, char ***out, ctr_error **err);

/* ---- source.c ---- */

struct img_source;
/*
 * Open a source named as containers-transports(5) does and resolve its
 * manifest and config for the platform (NULL: the host's), both verified.
 * Archives are extracted into a private directory under tmp_parent
 * (NULL: $TMPDIR or /var/tmp), removed by img_source_free().
 */
int img_source_open(ctr_context *ctx, const char *ref, const char *platform, const char *tmp_parent,
		    struct img_source **out, ctr_error **err);
void img_source_free(struct img_source *s);
/* Is ref a source name (transport:...)? */
bool img_is_source_name(const char *ref);
/* Resolved documents (owned by the source). */
const struct img_manifest *img_source_manifest(const struct img_source *s);
const struct img_config *img_source_config(const struct img_source *s);
void img_source_docs(const struct img_source *s, const char **manifest, size_t *manifest_len,
		     const char **manifest_digest, const char **config, size_t *config_len);
/* A name to store the image under when the caller gives none. */
const char *img_source_default_name(const struct img_source *s);
/* Open a blob for reading (O_RDONLY|O_CLOEXEC), resolved inside the layout. */
int img_source_open_blob(struct img_source *s, const struct img_desc *d, int *fd, ctr_error **err);

/* ---- shared by store.c and source.c ---- */

/*
 * Apply each layer of a manifest, in order, read from open_blob, flat
 * (whiteouts applied) into root_fd.  Reports progress and honours
 * cancellation as the options say.
 */
typedef int (*img_blob_open_fn)(void *ud, const struct img_desc *d, int *fd, ctr_error **err);
int img_apply_layers_flat(int root_fd, const struct img_manifest *m, const struct img_config *cfg,
			  img_blob_open_fn open_blob, void *ud, const ctr_image_options *o, ctr_error **err);
/* Progress bridge: one ctr_layer_opts callback per layer. */
struct img_progress_ctx {
	const ctr_image_options *o;
	ctr_image_progress p;
};
int img_layer_progress(void *ud, const struct ctr_layer_stats *st);
int img_report(struct img_progress_ctx *pc);

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) below root_fd (O_CLOEXEC added): a fd or -errno. */
int img_open_in(int root_fd, const char *path, int flags);
/* Remove dirfd/relpath ("a/b/name") recursively: the parent is opened without following symlinks. */
int img_rm_path(int dirfd, const char *relpath, ctr_error **err);
/* mkdir -p with mode for the missing parts. */
int img_mkdir_p(const char *path, unsigned mode, ctr_error **err);

/* ---- store.c ---- */

struct ctr_image_store {
	ctr_context *ctx;
	char *dir;
	int dirfd;
	int lock_fd;   /* <dir>/lock: shared while importing or mounting, exclusive while pruning */
};

/* One layer of a stored image. */
struct img_layer_rec {
	char *digest, *diff_id, *chain_id, *media_type;
	int64_t size;
};

/* A stored image (an entry of <dir>/images.json). */
struct img_record {
	char *name, *source, *manifest, *config, *imported;
	struct img_layer_rec *layers;
	size_t n_layers;
};

void img_record_free(struct img_record *r);
/*
 * A lease file (leases/<name>): the container's state dir, the ChainIDs its
 * rootfs uses, one a line, then IMG_LEASE_IMAGE and the image's name
 * (leases written before that line existed have no such line).
 */
#define IMG_LEASE_IMAGE "image="
/* Load the record of a stored image: -ENOENT (CTR_E_NOT_FOUND) when there is none. */
int img_store_record(ctr_image_store *st, const char *name, struct img_record *out, ctr_error **err);
/* Read a stored blob (manifest, config), verified against its digest. */
int img_store_read_blob(ctr_image_store *st, const char *digest, char **out, size_t *len, ctr_error **err);
/* Open a stored blob for reading. */
int img_store_open_blob(ctr_image_store *st, const char *digest, int *fd, ctr_error **err);
/* "layers/sha256/<hex>" of a ChainID (relative to the store dir). */
int img_layer_dir(const char *chain_id, char *buf, size_t n);
/* flock with EINTR retries; -errno. */
int img_flock(int fd, int op);
/* Apply a stored image's layers flat into root_fd (unpack, and the copy fallback of the rootfs). */
int img_store_apply_flat(ctr_image_store *st, const struct img_record *rec, int root_fd, const ctr_image_options *o,
			 ctr_error **err);
/* The caller's options (of any struct size the size protocol allows), checked. */
int img_options_copy(ctr_image_options *o, const ctr_image_options *opts, ctr_error **err);
/* The store lock: LOCK_SH while importing or reading, LOCK_EX for prune. */
int img_store_lock(ctr_image_store *st, int op, ctr_error **err);
void img_store_unlock(ctr_image_store *st);
/* "sha256:abc" -> "<top>/sha256/abc" (relative to the store dir). */
int img_digest_path(const char *top, const char *digest, char *buf, size_t n);
bool img_exists_at(int dirfd, const char *p);
/* A private, locked temporary directory (or file with is_file) under tmp/; name gets "tmp/<...>". */
int img_store_make_tmp(ctr_image_store *st, const char *prefix, bool is_file, char *name, size_t n, int *fd,
		       ctr_error **err);

/*
 * Work in progress under <store>/tmp (locked by its fd, so a crashed
 * import's leftovers are told apart), renamed to final only when the whole
 * image is verified.
 */
struct img_pending {
	char tmp[PATH_MAX];   /* relative to the store dir; "" when nothing is pending */
	char final[PATH_MAX];
	int fd;               /* the tmp entry (dir or file), holding its lock */
	int lock_fd;          /* the per-layer lock (layers), -1 for blobs */
};
/* A pending blobs/<digest> file (fd open for writing). */
int img_pending_blob(ctr_image_store *st, const char *digest, struct img_pending *p, ctr_error **err);
/*
 * Take the layer's lock (waiting for another import of it) and make its
 * pending directory; *exists (nothing pending, lock released) when the store
 * has the layer by then.
 */
int img_pending_layer(ctr_image_store *st, const char *chain, struct img_pending *p, bool *exists, ctr_error **err);
/* Rename into place (commit, unless final exists already) or remove the tmp entry. */
void img_pending_end(ctr_image_store *st, struct img_pending *p, bool commit);
/* Close its fds (releasing its locks); after img_pending_end. */
void img_pending_close(struct img_pending *p);
/* A name an image may be stored under: 1 to 1024 characters, no control characters. */
int img_check_name(const char *name, ctr_error **err);
/* Add (or replace) the record of an image whose blobs and layers are all in place. */
int img_store_add_record(ctr_image_store *st, const char *name, const char *source, const char *mdigest,
			 const struct img_manifest *m, const struct img_config *cfg, char **chains, ctr_error **err);

/* ---- pull.c: registries ---- */
/* ctr_image_pull (and ctr_image_import of a docker:// reference). */
int img_pull(ctr_image_store *st, char **stored_name, const char *ref, const char *name, const ctr_image_options *o,
	     ctr_error **err);
/* A registry image resolved (manifest and config fetched and verified), for an unpack without a store. */
struct img_remote;
int img_remote_open(ctr_context *ctx, const char *ref, const ctr_image_options *o, struct img_remote **out,
		    ctr_error **err);
/* Stream its layers, in order, flat into root_fd. */
int img_remote_apply_flat(struct img_remote *rm, int root_fd, ctr_error **err);
void img_remote_free(struct img_remote *rm);
/*
 * An import's extraction: layer i of m into root_fds[i] (its pending layer
 * dir; < 0: the store has it) from the blob open_blob(ud, i) opens (on the
 * worker that extracts it, so that only as many blobs are open as layers
 * extract), the blob also written to tee_fds[i] where >= 0 (its pending
 * copy in the store), on up to o->max_transfers threads, progress reported
 * and cancel watched on this thread.  name is the source, for messages.
 * The first failure stops the others.
 */
int img_extract_layers(ctr_image_store *st, const ctr_image_options *o, const char *name, const struct img_manifest *m,
		       char *const *diff_ids, const int *root_fds, const int *tee_fds,
		       int (*open_blob)(void *ud, size_t i, int *fd, ctr_error **err), void *ud, ctr_error **err);

/* ---- rootfs.c ---- */
/*
 * A detached overlay mount (fsmount, not attached anywhere) of a stored
 * image's layers; with img_fd >= 0 its "upper" and "work" dirs are the
 * upper and work dirs, else it is read-only (at least two layers then).
 * *mnt_out receives the mount's fd.  -errno when the kernel refuses (the
 * caller falls back).
 */
int img_overlay_detached(ctr_image_store *st, const struct img_record *rec, int img_fd, const char *img_dir,
			 int *mnt_out);

/* ---- convert.c ---- */
/* Find a file of the image (e.g. "etc/passwd") in its stacked layer dirs, top first. */
int img_read_image_file(ctr_image_store *st, const struct img_record *rec, const char *path, char **out,
			size_t *len, ctr_error **err);

#endif

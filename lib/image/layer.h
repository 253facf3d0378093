/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One layer blob (image-spec layer.md) -> a directory: streaming
 * verification, decompression and fd-relative extraction that cannot
 * escape the root.  Internal to libctr.
 */
#ifndef CTR_LIB_IMAGE_LAYER_H
#define CTR_LIB_IMAGE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr/error.h"

enum ctr_whiteout_mode {
	CTR_WHITEOUT_APPLY,  /* flat unpack: .wh.x deletes x in the root, .wh..wh..opq empties the dir
			      * (lower-layer content only) */
	CTR_WHITEOUT_OVERLAY /* layer store: record them as overlayfs does (0/0 char device;
			      * trusted.overlay.opaque="y" xattr), so the layer dir is an overlay lower */
};

struct ctr_layer_desc {
	const char *media_type; /* selects tar / gzip / zstd (incl. docker's and *.nondistributable.* types);
				 * checked against the magic bytes; NULL: detected from the magic bytes */
	const char *digest;     /* blob digest, verified while streaming; NULL: not checked */
	int64_t size;           /* blob size, verified; -1: unknown */
	const char *diff_id;    /* DiffID of the uncompressed tar (config rootfs.diff_ids[i]); NULL: not checked */
	const char *name;       /* for messages, e.g. "layer 2 (sha256:4f5e...)" */
};

struct ctr_layer_stats {
	uint64_t bytes_in, bytes_out, entries;
};

struct ctr_layer_opts {
	size_t size;
	enum ctr_whiteout_mode whiteouts;
	bool unprivileged; /* not root: refuse device nodes with a clear error, no chown (ownership of the caller) */
	int (*progress)(void *ud, const struct ctr_layer_stats *st); /* non-zero return cancels (-ECANCELED) */
	void *progress_ud;
	const volatile int *cancel; /* non-zero cancels (-ECANCELED) */
	uint64_t max_bytes;         /* limit on the uncompressed stream (decompression bombs); 0: none */
	int writers; /* threads that create and write regular files while the tar stream is parsed:
		      * 0: one per online CPU, at most 4; -1: none (the extracting thread does it all);
		      * 1 to 8: that many (more are taken as 8).  Entries still take effect in archive order. */
	unsigned writer_delay_us; /* tests only: each writer job starts this late, so the parser runs
				   * well ahead of the writers and every wait for them is exercised */
	bool zlib_only;           /* tests only: gzip through zlib where isa-l loads (its fallback) */
	bool tee;                 /* every byte of the blob is also written to tee_fd as it is read (an
				   * import's copy into the store: the blob is read and hashed once); by
				   * the thread that hashes the blob, so layer->digest is required.  The
				   * copy is the verified blob only when the apply succeeds */
	int tee_fd;
};

void ctr_layer_opts_init(struct ctr_layer_opts *o);

/*
 * Stream the blob from blob_fd (any readable fd: file, pipe), verify size,
 * digest and DiffID (reading past the tar end-of-archive blocks and trailing
 * padding to the real end of the stream) and extract into root_fd
 * (O_DIRECTORY).  Every path resolved inside root_fd (openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS or an fd walk); nothing can be read
 * or written outside.  On error the root holds a partial layer: the caller
 * extracts into a fresh directory and removes it (ctr_rm_tree_at).
 * o may be NULL (defaults); st may be NULL.
 */
int ctr_layer_apply(int root_fd, int blob_fd, const struct ctr_layer_desc *layer, const struct ctr_layer_opts *o,
		    struct ctr_layer_stats *st, ctr_error **err);

/* Remove dirfd/name recursively without following symlinks (fd-relative). ENOENT is success. */
int ctr_rm_tree_at(int dirfd, const char *name, ctr_error **err);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of layer extraction: the decoding stream that a second thread
 * runs (read, verify the blob, decompress, hash the DiffID) and that
 * libarchive reads from on the extracting thread.
 */
#ifndef CTR_LIB_IMAGE_LAYER_INTERNAL_H
#define CTR_LIB_IMAGE_LAYER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr/error.h"
#include "image/layer.h"

struct archive;
struct layer_stream;

/*
 * Start the decoding thread on blob_fd.  lname names the layer in messages.
 * The blob size, digest and DiffID of desc are verified when the stream ends
 * (layer_stream_finish).
 */
int layer_stream_start(struct layer_stream **out, int blob_fd, const struct ctr_layer_desc *desc, const char *lname,
		       uint64_t max_bytes, const volatile int *cancel, ctr_error **err);

/* libarchive read callback; client data is the struct layer_stream. */
ssize_t layer_stream_read(struct archive *a, void *ud, const void **buf);

/* Copy the decompressed bytes [off, off+len) if the stream still holds them (the last two buffers). */
bool layer_stream_peek(struct layer_stream *s, uint64_t off, void *out, size_t len);

/*
 * After the tar end-of-archive at decompressed offset pos: check that the
 * rest of the stream is zero padding, read it to its real end, wait for the
 * thread and report its verdict (decompression, size, digest, DiffID).
 */
int layer_stream_finish(struct layer_stream *s, uint64_t pos, ctr_error **err);

/* The thread's own error, if it failed (ownership moves to *err); 0 when none. */
int layer_stream_take_error(struct layer_stream *s, ctr_error **err);

/* Stop the thread (if running) and free everything; NULL is allowed. */
void layer_stream_free(struct layer_stream *s);

void layer_stream_counts(struct layer_stream *s, uint64_t *in, uint64_t *out);

#endif

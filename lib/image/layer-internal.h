/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of layer extraction: the decoding stream (a thread that reads
 * and decompresses, two hasher threads for the blob digest and the DiffID)
 * that libarchive reads from on the extracting thread, its reference-counted
 * buffers that writer jobs may hold instead of copying the bytes, and the
 * queue of the writer threads that create the regular files.
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
 * (layer_stream_finish).  Of o: max_bytes, cancel, zlib_only.
 */
int layer_stream_start(struct layer_stream **out, int blob_fd, const struct ctr_layer_desc *desc, const char *lname,
		       const struct ctr_layer_opts *o, ctr_error **err);

/* libarchive read callback; client data is the struct layer_stream. */
ssize_t layer_stream_read(struct archive *a, void *ud, const void **buf);

/*
 * The stream's buffers are shared by reference: a decoded buffer goes to the
 * DiffID hasher and to libarchive, and libarchive hands out pointers into it
 * (the data of an entry), so a writer job can hold the buffer instead of
 * copying the bytes.  The buffer is reused once every holder let go.
 */
struct layer_buf;

/*
 * On the extracting thread: hold the stream buffer that contains
 * [p, p+len) (a data block libarchive just returned), or NULL when the
 * bytes are not in one of the buffers libarchive may still look at (its own
 * copy buffer): then the caller copies them.  p stays valid until
 * layer_buf_release, on any thread.  Holders must not wait for the stream
 * (they would keep the buffers it needs): a writer job only writes.
 */
struct layer_buf *layer_stream_hold(struct layer_stream *s, const void *p, size_t len);
void layer_buf_release(struct layer_buf *b);

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

/* Stop the threads (if running) and free everything; every layer_buf must be released first.  NULL is allowed. */
void layer_stream_free(struct layer_stream *s);

void layer_stream_counts(struct layer_stream *s, uint64_t *in, uint64_t *out);

/* ---- writer threads (layer-pool.c) ---- */

struct layer_pool;

/* A unit of work; embed it first in the real job. */
struct layer_job {
	struct layer_job *next;
	size_t bytes; /* counted against the queue's byte budget */
};

/*
 * Start nthreads writer threads (signals blocked) that take jobs in queue
 * order and call run(job), which owns and frees the job; after a job failed
 * or the pool is being freed, queued jobs go to drop() instead.  The parser
 * waits in layer_pool_push while more than max_bytes are queued.  delay_us
 * (tests): each job starts that late.
 */
int layer_pool_start(struct layer_pool **out, unsigned nthreads, size_t max_bytes, unsigned delay_us,
		     int (*run)(struct layer_job *j, ctr_error **err), void (*drop)(struct layer_job *j),
		     const char *lname, ctr_error **err);

/* Queue j.  After a job failed: j is dropped and the first job's error is returned (moved to *err). */
int layer_pool_push(struct layer_pool *p, struct layer_job *j, ctr_error **err);

/* Wait until every queued job has run; the first job error, if any.  NULL p: 0. */
int layer_pool_drain(struct layer_pool *p, ctr_error **err);

/* Drop what is queued, wait for running jobs and the threads, free.  NULL is allowed. */
void layer_pool_free(struct layer_pool *p);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoding half of layer extraction.  A thread reads the blob with
 * large reads and decompresses it (isa-l's igzip or zlib for gzip, libzstd
 * for zstd, or nothing); two more threads hash what it read (blob digest)
 * and what it decoded (DiffID).  Inflating and hashing each run at about the
 * same rate, so hashing on the decoding thread would make it the slowest
 * stage of an unpack; here each stage runs on whichever core is free.  The
 * extracting thread takes the decoded buffers in order (libarchive reads
 * them) and may pass them on to writer jobs by reference (layer_stream_hold).
 *
 * Buffers: NBUF of BUFSZ bytes, for the compressed input and the decoded
 * output alike, each with a reference count: the decoding thread's, a
 * hasher's, libarchive's (the current and the previous buffer) and one per
 * writer job that points into it.  The last one to let go puts it back on
 * the free list.  Nothing that holds a buffer waits for the decoding thread
 * except libarchive's two, so the decoding thread always gets one back.
 *
 * With a tee (ctr_layer_opts.tee) the blob hasher also writes what it
 * hashed to the tee's fd, in order: an import's copy into the store costs
 * no second read and no second hash, and not the decoding thread's time.
 *
 * The decoding thread reads the stream to its real end, so the DiffID
 * covers the tar end-of-archive blocks and the padding; it waits for both
 * hashers before it reports size, digest and DiffID (layer_stream_finish).
 */
#include "image/layer-internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <zlib.h>
#include <zstd.h>
#ifdef CTR_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "image/digest.h"
#include "internal.h"

#ifdef CTR_HAVE_ISAL
/*
 * isa-l's inflate (about twice zlib's speed) is opened on first use (dlopen),
 * as libcrypto is (digest.c): only a gzip layer needs it, and loading it cost
 * every process that starts with libctr (ctr-demo's each command, an
 * engine's each runtime call) a library's mapping and relocation.  Without
 * it, zlib inflates.
 */
#define LIBISAL_SONAME "libisal.so.2"
static struct {
	void (*init)(struct inflate_state *);
	void (*reset)(struct inflate_state *);
	int (*inflate)(struct inflate_state *);
} isal_fn;
static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

static void isal_load(void)
{
	static const char *const names[3] = {"isal_inflate_init", "isal_inflate_reset", "isal_inflate"};
	void *f[3];
	char why[160]; /* not kept: without isa-l zlib inflates */
	if (ctr_dl_open(LIBISAL_SONAME, names, f, 3, why, sizeof(why)) < 0)
		return;
	memcpy(&isal_fn.init, &f[0], sizeof(f[0]));
	memcpy(&isal_fn.reset, &f[1], sizeof(f[1]));
	memcpy(&isal_fn.inflate, &f[2], sizeof(f[2])); /* last: its presence says the table is whole */
}

static bool have_isal(void)
{
	pthread_once(&isal_once, isal_load);
	return isal_fn.inflate != NULL;
}
#endif

/*
 * 32 buffers of 1 MiB: 2 for the decoding thread, 2 for libarchive, a few
 * in the hashers' queues and in the ring, and up to the writers' queue
 * budget (layer.c, QUEUE_BYTES) held by writer jobs.
 */
#define NBUF 32
#define BUFSZ (1u << 20)

enum kind { K_AUTO, K_TAR, K_GZIP, K_ZSTD };

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_GZIP:
		return "gzip";
	case K_ZSTD:
		return "zstd";
	case K_TAR:
		return "uncompressed tar";
	default:
		return "auto";
	}
}

struct layer_buf {
	unsigned char *data;
	size_t len;
	int refs; /* atomic */
	struct layer_stream *s;
};

/* A hasher thread: digests the buffers queued to it, in order. */
struct hasher {
	struct layer_stream *s;
	struct ctr_digest *d;
	pthread_t thread;
	bool started;
	pthread_cond_t cv; /* with s->mu: a buffer was queued, or closed/abort */
	struct layer_buf *q[NBUF];
	unsigned qhead, qcount;
	bool closed; /* nothing more comes: finish what is queued and stop */
};

struct layer_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv_free; /* a buffer came back (the decoding thread waits), or abort */
	pthread_cond_t cv_ring; /* a decoded buffer, or done (the extracting thread waits) */
	pthread_t thread;
	bool started;

	struct layer_buf bufs[NBUF];
	struct layer_buf *freel[NBUF];
	unsigned nfree;
	struct layer_buf *ring[NBUF]; /* decoded buffers, oldest first */
	unsigned rhead, rcount;
	bool done;  /* producer finished (end of stream or error) */
	bool abort; /* consumer gave up */
	int rc;
	ctr_error *error;
	struct hasher hblob, hdiff;

	/* consumer side: the buffers libarchive may still look at */
	struct layer_buf *cur, *prev;
	uint64_t cur_off, prev_off, given;

	/* producer side */
	int fd;
	enum kind kind;
	const char *lname;
	const struct ctr_layer_desc *desc;
	uint64_t max_bytes;
	const volatile int *cancel;
	struct layer_buf *inb; /* the compressed input being decoded */
	size_t in_pos, in_len;
	bool in_eof;
	struct ctr_digest blob, diff;
	bool check_blob, check_diff, diff_is_blob;
	uint64_t bytes_in, bytes_out; /* read with __atomic by the consumer */
	int64_t want_size;
	bool member_done; /* gzip: between members */
	size_t zret;      /* zstd: last hint, 0 at a frame end */
	z_stream z;
	bool z_init;
	ZSTD_DStream *zs;
	bool zlib_only;
	int tee_fd;     /* >= 0: the blob hasher writes the blob here too */
	bool decode_failed; /* the decoder refused the data (producer only) */
	int tee_failed; /* atomic: a write to tee_fd failed (the error is recorded): stop reading */
#ifdef CTR_HAVE_ISAL
	struct inflate_state *isal; /* NULL: zlib inflates */
#endif
};

static int kind_of(const char *mt, enum kind *k, const char *lname, ctr_error **err)
{
	*k = K_AUTO;
	if (!mt || !*mt)
		return 0;
	size_t n = strlen(mt);
#define ENDS(s) (n >= sizeof(s) - 1 && !strcmp(mt + n - (sizeof(s) - 1), s))
	if (ENDS("+gzip") || ENDS(".tar.gzip") || ENDS("tar.gz"))
		*k = K_GZIP;
	else if (ENDS("+zstd") || ENDS(".tar.zstd"))
		*k = K_ZSTD;
	else if (ENDS(".tar") || !strcmp(mt, "application/x-tar"))
		*k = K_TAR;
#undef ENDS
	if (*k == K_AUTO || (!strstr(mt, "layer") && !strstr(mt, "rootfs") && strcmp(mt, "application/x-tar")))
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "%s: media type '%.200s' is not a layer type this library unpacks "
			       "(application/vnd.oci.image.layer.v1.tar[+gzip|+zstd] and docker's "
			       "application/vnd.docker.image.rootfs.diff.tar.gzip)",
			       lname, mt);
	return 0;
}

static enum kind kind_of_magic(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return K_GZIP;
	if (n >= 4 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd && p[0] == 0x28)
		return K_ZSTD;
	/* zstd skippable frame 0x184D2A5? (little endian) */
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return K_ZSTD;
	return K_TAR;
}

/* ---- producer ---- */

/* Record the thread's first error (e is taken over); returns -errnum. */
static int set_error(struct layer_stream *s, ctr_error *e, int errnum)
{
	pthread_mutex_lock(&s->mu);
	if (!s->error)
		s->error = e;
	else
		ctr_error_free(e);
	if (!s->rc)
		s->rc = -errnum;
	pthread_mutex_unlock(&s->mu);
	return -errnum;
}

static int fail(struct layer_stream *s, int errnum, const char *fmt, ...) CTR_PRINTF(3, 4);
static int fail(struct layer_stream *s, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctr_error *e = NULL;
	ctr_verr(&e, errnum, errnum == ENOMEM ? CTR_E_NOMEM : CTR_E_INVALID, fmt, ap);
	va_end(ap);
	return set_error(s, e, errnum);
}

/* ---- buffers ---- */

/* A free buffer for the decoding thread (one reference, empty), or NULL when the consumer gave up.
 * The free list is a stack: the buffers used last, still in the cache and mapped, come back first. */
static struct layer_buf *buf_get(struct layer_stream *s)
{
	pthread_mutex_lock(&s->mu);
	while (!s->nfree && !s->abort)
		pthread_cond_wait(&s->cv_free, &s->mu);
	struct layer_buf *b = s->abort ? NULL : s->freel[--s->nfree];
	pthread_mutex_unlock(&s->mu);
	if (b) {
		b->len = 0;
		__atomic_store_n(&b->refs, 1, __ATOMIC_RELAXED);
		/* allocated on first use: a small layer touches a few buffers only (NULL data: out of memory) */
		if (!b->data)
			b->data = malloc(BUFSZ);
	}
	return b;
}

/* With s->mu held: the last reference is gone, the buffer is free again. */
static void buf_free_locked(struct layer_buf *b)
{
	struct layer_stream *s = b->s;
	s->freel[s->nfree++] = b;
	pthread_cond_signal(&s->cv_free);
}

static void buf_unref(struct layer_buf *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		pthread_mutex_lock(&b->s->mu);
		buf_free_locked(b);
		pthread_mutex_unlock(&b->s->mu);
	}
}

/* With s->mu held. */
static void buf_unref_locked(struct layer_buf *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		buf_free_locked(b);
}

void layer_buf_release(struct layer_buf *b)
{
	buf_unref(b);
}

/* ---- hashers ---- */

static void *hasher_main(void *arg)
{
	struct hasher *h = arg;
	struct layer_stream *s = h->s;
	/* named for per-thread profiles (top -H, /proc/PID/task/TID/comm) */
	prctl(PR_SET_NAME, h == &s->hblob ? "ctr-sha-blob" : "ctr-sha-diffid");
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!h->qcount && !h->closed && !s->abort)
			pthread_cond_wait(&h->cv, &s->mu);
		if (!h->qcount || s->abort)
			break;
		struct layer_buf *b = h->q[h->qhead];
		h->qhead = (h->qhead + 1) % NBUF;
		h->qcount--;
		pthread_mutex_unlock(&s->mu);
		ctr_digest_update(h->d, b->data, b->len);
		if (h == &s->hblob && s->tee_fd >= 0 && !__atomic_load_n(&s->tee_failed, __ATOMIC_RELAXED)) {
			int wr = ctr_write_all(s->tee_fd, b->data, b->len, -1);
			if (wr < 0) {
				ctr_error *e = NULL;
				ctr_err_sys(&e, -wr, "%s: writing the store's copy of the blob", s->lname);
				set_error(s, e, -wr);
				__atomic_store_n(&s->tee_failed, 1, __ATOMIC_RELAXED);
			}
		}
		pthread_mutex_lock(&s->mu);
		buf_unref_locked(b);
	}
	/* the consumer gave up: what is left is not hashed */
	for (; h->qcount; h->qcount--, h->qhead = (h->qhead + 1) % NBUF)
		buf_unref_locked(h->q[h->qhead]);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int hasher_start(struct layer_stream *s, struct hasher *h, struct ctr_digest *d)
{
	h->s = s;
	h->d = d;
	/* signals stay blocked: the thread inherits the decoding thread's mask */
	int r = pthread_create(&h->thread, NULL, hasher_main, h);
	if (r) {
		ctr_error *e = NULL;
		ctr_err_sys(&e, r, "%s: cannot start a digest thread", s->lname);
		return set_error(s, e, r);
	}
	h->started = true;
	return 0;
}

/* Queue b (a full buffer the decoding thread no longer writes) for h; h holds its own reference. */
static void hasher_push(struct hasher *h, struct layer_buf *b)
{
	struct layer_stream *s = h->s;
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->mu);
	/* a buffer is queued at most once, so NBUF slots always suffice */
	h->q[(h->qhead + h->qcount++) % NBUF] = b;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&s->mu);
}

/* No more buffers for h: wait until it hashed what it has (or dropped it on abort). */
static void hasher_stop(struct hasher *h)
{
	if (!h->started)
		return;
	struct layer_stream *s = h->s;
	pthread_mutex_lock(&s->mu);
	h->closed = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(h->thread, NULL);
	h->started = false;
}

/*
 * Read into b (from b->len on) once, or (full) until it is full or the
 * stream ends; counts and checks the blob size.  0 bytes read: s->in_eof.
 */
static int read_into(struct layer_stream *s, struct layer_buf *b, bool full)
{
	while (b->len < BUFSZ) {
		if (ctr_cancelled(s->cancel))
			return fail(s, ECANCELED, "%s: cancelled", s->lname);
		if (__atomic_load_n(&s->tee_failed, __ATOMIC_RELAXED))
			return -EIO; /* the error the blob hasher recorded comes first */
		ssize_t r = read(s->fd, b->data + b->len, BUFSZ - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			ctr_error *er = NULL;
			ctr_err_sys(&er, e, "%s: reading the blob", s->lname);
			return set_error(s, er, e);
		}
		if (r == 0) {
			s->in_eof = true;
			return 0;
		}
		b->len += (size_t)r;
		uint64_t total = __atomic_add_fetch(&s->bytes_in, (uint64_t)r, __ATOMIC_RELAXED);
		if (s->want_size >= 0 && total > (uint64_t)s->want_size)
			return fail(s, EBADMSG,
				    "%s: size mismatch: the blob is longer than the %" PRId64
				    " bytes its descriptor says; the blob is corrupt or not the one the manifest names",
				    s->lname, s->want_size);
		if (!full)
			return 0;
	}
	return 0;
}

/* The next compressed input buffer (one read), queued for the blob hasher. */
static int read_more(struct layer_stream *s)
{
	buf_unref(s->inb);
	s->inb = NULL;
	s->in_pos = s->in_len = 0;
	struct layer_buf *b = buf_get(s);
	if (!b)
		return -ECANCELED; /* the consumer gave up: nobody reads the error */
	s->inb = b;
	int r = read_into(s, b, false);
	if (r < 0)
		return r;
	s->in_len = b->len;
	if (b->len && s->check_blob)
		hasher_push(&s->hblob, b);
	return 0;
}

static int gzip_member_start(struct layer_stream *s)
{
#ifdef CTR_HAVE_ISAL
	if (s->isal) {
		isal_fn.reset(s->isal);
		s->isal->crc_flag = ISAL_GZIP;
		return 0;
	}
#endif
	int r = s->z_init ? inflateReset(&s->z) : inflateInit2(&s->z, 16 + MAX_WBITS);
	if (r != Z_OK)
		return fail(s, r == Z_MEM_ERROR ? ENOMEM : EIO, "%s: zlib: cannot start inflating", s->lname);
	s->z_init = true;
	return 0;
}

/* One decompression step; *prog tells whether it consumed or produced anything. */
static int gzip_step(struct layer_stream *s, unsigned char *out, size_t cap, size_t *olen, bool *prog)
{
	size_t avail = s->in_len - s->in_pos;
	const unsigned char *in = s->inb->data; /* read_more made one, possibly empty */
	if (s->member_done) {
		if (!avail)
			return 0;
		if (in[s->in_pos] != 0x1f)
			return fail(s, EBADMSG,
				    "%s: trailing data after the gzip stream at compressed offset %" PRIu64
				    " (byte 0x%02x is not a gzip member header)",
				    s->lname, __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED) - avail,
				    in[s->in_pos]);
		int r = gzip_member_start(s);
		if (r < 0)
			return r;
		s->member_done = false;
	}
#ifdef CTR_HAVE_ISAL
	if (s->isal) {
		struct inflate_state *st = s->isal;
		st->next_in = (uint8_t *)(uintptr_t)(in + s->in_pos);
		st->avail_in = (uint32_t)avail;
		st->next_out = out + *olen;
		st->avail_out = (uint32_t)(cap - *olen);
		int r = isal_fn.inflate(st);
		size_t used = avail - st->avail_in, made = (cap - *olen) - st->avail_out;
		s->in_pos += used;
		*olen += made;
		*prog = used || made;
		if (r < 0) {
			const char *why = r == ISAL_INCORRECT_CHECKSUM	  ? "CRC or length check failed"
					  : r == ISAL_INVALID_WRAPPER	  ? "invalid gzip header"
					  : r == ISAL_UNSUPPORTED_METHOD ? "unsupported compression method"
									 : "invalid deflate data";
			return fail(s, EBADMSG, "%s: gzip: %s (isa-l error %d) near compressed offset %" PRIu64,
				    s->lname, why, r,
				    __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED) - (s->in_len - s->in_pos));
		}
		if (st->block_state == ISAL_BLOCK_FINISH)
			s->member_done = true;
		return 0;
	}
#endif
	s->z.next_in = (Bytef *)(uintptr_t)(in + s->in_pos);
	s->z.avail_in = (uInt)avail;
	s->z.next_out = out + *olen;
	s->z.avail_out = (uInt)(cap - *olen);
	int r = inflate(&s->z, Z_NO_FLUSH);
	size_t used = avail - s->z.avail_in, made = (cap - *olen) - s->z.avail_out;
	s->in_pos += used;
	*olen += made;
	*prog = used || made;
	if (r == Z_STREAM_END) {
		s->member_done = true;
		return 0;
	}
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	if (r == Z_MEM_ERROR)
		return fail(s, ENOMEM, "%s: zlib: out of memory", s->lname);
	return fail(s, EBADMSG, "%s: gzip: %s near compressed offset %" PRIu64, s->lname,
		    s->z.msg ? s->z.msg : "invalid data",
		    __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED) - (s->in_len - s->in_pos));
}

static int zstd_step(struct layer_stream *s, unsigned char *out, size_t cap, size_t *olen, bool *prog)
{
	ZSTD_inBuffer ib = {s->inb->data + s->in_pos, s->in_len - s->in_pos, 0};
	ZSTD_outBuffer ob = {out, cap, *olen};
	size_t r = ZSTD_decompressStream(s->zs, &ob, &ib);
	*prog = ib.pos || ob.pos != *olen;
	s->in_pos += ib.pos;
	*olen = ob.pos;
	if (ZSTD_isError(r))
		return fail(s, EBADMSG, "%s: zstd: %s near compressed offset %" PRIu64, s->lname,
			    ZSTD_getErrorName(r),
			    __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED) - (s->in_len - s->in_pos));
	if (*prog)
		s->zret = r; /* a call that did nothing (no input left) says nothing about the frame */
	return 0;
}

/* Decode into out (cap bytes) as far as the compressed stream goes; *end at its real end. */
static int fill(struct layer_stream *s, unsigned char *out, size_t cap, size_t *olen, bool *end)
{
	*olen = 0;
	while (*olen < cap) {
		if (s->in_pos == s->in_len && !s->in_eof) {
			int r = read_more(s);
			if (r < 0)
				return r;
		}
		bool prog = false;
		int r = s->kind == K_GZIP ? gzip_step(s, out, cap, olen, &prog) : zstd_step(s, out, cap, olen, &prog);
		if (r < 0) {
			s->decode_failed = r == -EBADMSG;
			return r;
		}
		if (prog)
			continue;
		if (s->in_pos < s->in_len)
			return fail(s, EIO, "%s: %s decoder made no progress", s->lname, kind_name(s->kind));
		if (!s->in_eof)
			continue;
		/* all input read and nothing more comes out */
		bool complete = (s->kind == K_GZIP && s->member_done) || (s->kind == K_ZSTD && s->zret == 0);
		if (!complete) {
			s->decode_failed = true;
			return fail(s, EBADMSG, "%s: the %s stream is truncated (it ends after %" PRIu64 " bytes)",
				    s->lname, kind_name(s->kind), __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED));
		}
		*end = true;
		return 0;
	}
	return 0;
}

/*
 * The whole blob read (its hasher stopped): its size and, when checked,
 * its digest against the descriptor's (into got when it is not NULL).
 * 0, or -EBADMSG and *e.
 */
static int check_blob_end(struct layer_stream *s, char *got, size_t gotsz, ctr_error **e)
{
	uint64_t in = __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED);
	if (s->want_size >= 0 && in != (uint64_t)s->want_size)
		return ctr_err(e, EBADMSG, CTR_E_INVALID,
			       "%s: size mismatch: expected %" PRId64 " bytes, got %" PRIu64
			       "; the blob is truncated or not the one the manifest names",
			       s->lname, s->want_size, in);
	if (!s->check_blob)
		return 0;
	char what[256];
	snprintf(what, sizeof(what), "%s: blob", s->lname);
	return ctr_digest_finish(&s->blob, what, got, gotsz, e) < 0 ? -EBADMSG : 0;
}

static int verify_end(struct layer_stream *s)
{
	const char *lname = s->lname;
	ctr_error *e = NULL;
	char blob_got[CTR_DIGEST_STR_MAX] = "";
	if (check_blob_end(s, blob_got, sizeof(blob_got), &e) < 0)
		goto out_err;
	if (s->check_diff) {
		char what[256];
		snprintf(what, sizeof(what), "%s: DiffID (uncompressed tar, from the image config)", lname);
		if (s->diff_is_blob) {
			/* uncompressed layer: the DiffID is the blob digest, hashed once */
			if (strcmp(blob_got, s->desc->diff_id) != 0) {
				ctr_err(&e, EBADMSG, CTR_E_INVALID, "%s: digest mismatch: expected %s, got %s", what,
					s->desc->diff_id, blob_got);
				goto out_err;
			}
		} else if (ctr_digest_finish(&s->diff, what, NULL, 0, &e) < 0) {
			goto out_err;
		}
	}
	return 0;
out_err:
	return set_error(s, e, EBADMSG);
}

/*
 * The decoder refused the data.  When the blob is not the one its
 * descriptor names (its size or digest), that is the cause to report, not
 * what the decoder made of the wrong bytes: the rest of the blob is read
 * and hashed to tell, as a copy would have.  Only from a file: a stream (a
 * download) is not read on for the sake of a message.  A blob that is the
 * descriptor's and does not decode keeps the decoder's error.
 */
static void explain_decode_error(struct layer_stream *s)
{
	struct stat st;
	if (!s->check_blob || fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	while (!s->in_eof)
		if (read_more(s) < 0)
			return; /* cancelled, a read error, longer than its size: the first error stands */
	hasher_stop(&s->hblob);
	ctr_error *e = NULL;
	if (check_blob_end(s, NULL, 0, &e) == 0)
		return;
	pthread_mutex_lock(&s->mu);
	const char *was = s->error ? ctr_error_message(s->error) : "";
	size_t n = strlen(s->lname);
	if (!strncmp(was, s->lname, n) && !strncmp(was + n, ": ", 2))
		was += n + 2;
	ctr_error *both = NULL;
	ctr_err(&both, EBADMSG, CTR_E_INVALID, "%s (and its data does not decode: %s)", ctr_error_message(e), was);
	ctr_error_free(e);
	ctr_error_free(s->error);
	s->error = both;
	s->rc = -EBADMSG;
	pthread_mutex_unlock(&s->mu);
}

static int producer_init(struct layer_stream *s)
{
	struct layer_buf *b = buf_get(s);
	if (!b)
		return -ECANCELED;
	if (!b->data)
		return fail(s, ENOMEM, "%s: out of memory", s->lname);
	s->inb = b;
	/* the first bytes decide the decoder, checked against the media type (a pipe may give fewer) */
	while (!s->in_eof && b->len < 4) {
		int r = read_into(s, b, false);
		if (r < 0)
			return r;
	}
	s->in_len = b->len;
	enum kind magic = kind_of_magic(b->data, b->len);
	if (s->kind == K_AUTO)
		s->kind = magic;
	else if (s->kind != magic)
		return fail(s, EBADMSG,
			    "%s: the media type '%.200s' says %s but the blob starts with %s data; "
			    "the manifest and the blob disagree",
			    s->lname, s->desc->media_type, kind_name(s->kind), kind_name(magic));
	if (s->kind == K_GZIP) {
#ifdef CTR_HAVE_ISAL
		if (!s->zlib_only && have_isal()) {
			s->isal = calloc(1, sizeof(*s->isal));
			if (!s->isal)
				return fail(s, ENOMEM, "%s: out of memory", s->lname);
			isal_fn.init(s->isal);
		}
#endif
		int r = gzip_member_start(s);
		if (r < 0)
			return r;
	} else if (s->kind == K_ZSTD) {
		s->zs = ZSTD_createDStream();
		if (!s->zs)
			return fail(s, ENOMEM, "%s: out of memory", s->lname);
		ZSTD_initDStream(s->zs);
	}
	if (s->check_diff && s->kind == K_TAR && s->check_blob && s->blob.alg == s->diff.alg) {
		s->diff_is_blob = true;
		ctr_digest_free(&s->diff);
	}
	int r = 0;
	if (s->check_blob)
		r = hasher_start(s, &s->hblob, &s->blob);
	if (r == 0 && s->check_diff && !s->diff_is_blob)
		r = hasher_start(s, &s->hdiff, &s->diff);
	if (r < 0)
		return r;
	/* an uncompressed stream reads on into this buffer (produce_tar), which is queued once full */
	if (s->kind != K_TAR && b->len && s->check_blob)
		hasher_push(&s->hblob, b);
	return 0;
}

/* b (decoded, the producer's reference) to the DiffID hasher and to the consumer. */
static int deliver(struct layer_stream *s, struct layer_buf *b)
{
	uint64_t total = __atomic_add_fetch(&s->bytes_out, b->len, __ATOMIC_RELAXED);
	if (s->max_bytes && total > s->max_bytes) {
		buf_unref(b);
		return fail(s, EFBIG,
			    "%s: the uncompressed layer exceeds the limit of %" PRIu64
			    " bytes (a decompression bomb?); raise ctr_layer_opts.max_bytes if it is genuine",
			    s->lname, s->max_bytes);
	}
	if (s->check_diff && !s->diff_is_blob)
		hasher_push(&s->hdiff, b);
	pthread_mutex_lock(&s->mu);
	s->ring[(s->rhead + s->rcount++) % NBUF] = b;
	pthread_cond_signal(&s->cv_ring);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* An uncompressed stream: read straight into the buffer the consumer gets, no copy. */
static int produce_tar(struct layer_stream *s, bool *end)
{
	struct layer_buf *b = s->inb; /* the first one, from producer_init */
	s->inb = NULL;
	if (!b && !(b = buf_get(s)))
		return -ECANCELED;
	if (!b->data) {
		buf_unref(b);
		return fail(s, ENOMEM, "%s: out of memory", s->lname);
	}
	int r = s->in_eof ? 0 : read_into(s, b, true);
	*end = s->in_eof;
	if (r < 0 || !b->len) {
		buf_unref(b);
		return r;
	}
	if (s->check_blob)
		hasher_push(&s->hblob, b);
	return deliver(s, b);
}

static int produce_decoded(struct layer_stream *s, bool *end)
{
	struct layer_buf *b = buf_get(s);
	if (!b)
		return -ECANCELED;
	if (!b->data) {
		buf_unref(b);
		return fail(s, ENOMEM, "%s: out of memory", s->lname);
	}
	size_t n = 0;
	int r = fill(s, b->data, BUFSZ, &n, end);
	b->len = n;
	if (r < 0 || !n) {
		buf_unref(b);
		return r;
	}
	return deliver(s, b);
}

static void *producer(void *arg)
{
	struct layer_stream *s = arg;
	prctl(PR_SET_NAME, "ctr-layer-read");
	int r = producer_init(s);
	bool end = false;
	while (r == 0 && !end)
		r = s->kind == K_TAR ? produce_tar(s, &end) : produce_decoded(s, &end);
	if (r < 0 && s->decode_failed)
		explain_decode_error(s);
	buf_unref(s->inb);
	s->inb = NULL;
	/* every byte hashed (or, after an abort, dropped) before the verdict */
	hasher_stop(&s->hblob);
	hasher_stop(&s->hdiff);
	if (r == 0)
		verify_end(s);
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_cond_broadcast(&s->cv_ring);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- consumer ---- */

/* Next decoded buffer, or NULL at the end (done); libarchive's previous buffer is let go. */
static struct layer_buf *next_buffer(struct layer_stream *s)
{
	buf_unref(s->prev);
	s->prev = s->cur;
	s->prev_off = s->cur_off;
	s->cur = NULL;
	pthread_mutex_lock(&s->mu);
	while (!s->rcount && !s->done)
		pthread_cond_wait(&s->cv_ring, &s->mu);
	struct layer_buf *b = NULL;
	if (s->rcount) {
		b = s->ring[s->rhead];
		s->rhead = (s->rhead + 1) % NBUF;
		s->rcount--;
	}
	pthread_mutex_unlock(&s->mu);
	if (b) {
		s->cur = b;
		s->cur_off = s->given;
		s->given += b->len;
	}
	return b;
}

ssize_t layer_stream_read(struct archive *a, void *ud, const void **buf)
{
	struct layer_stream *s = ud;
	struct layer_buf *b = next_buffer(s);
	if (b) {
		*buf = b->data;
		return (ssize_t)b->len;
	}
	pthread_mutex_lock(&s->mu);
	int rc = s->rc;
	pthread_mutex_unlock(&s->mu);
	if (rc) {
		archive_set_error(a, -rc, "the layer stream failed");
		return -1;
	}
	*buf = NULL;
	return 0;
}

static bool buf_has(const struct layer_buf *b, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)b->data;
	return a >= lo && len <= b->len && a - lo <= b->len - len;
}

struct layer_buf *layer_stream_hold(struct layer_stream *s, const void *p, size_t len)
{
	struct layer_buf *b = s->cur && buf_has(s->cur, p, len)	   ? s->cur
			      : s->prev && buf_has(s->prev, p, len) ? s->prev
								     : NULL;
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED); /* the caller's reference keeps it alive */
	return b;
}

bool layer_stream_peek(struct layer_stream *s, uint64_t off, void *out, size_t len)
{
	unsigned char *o = out;
	while (len) {
		/* the run of bytes from off that one of the two buffers holds */
		const unsigned char *src = NULL;
		size_t avail = 0;
		if (s->cur && off >= s->cur_off && off < s->cur_off + s->cur->len) {
			src = s->cur->data + (off - s->cur_off);
			avail = (size_t)(s->cur_off + s->cur->len - off);
		} else if (s->prev && off >= s->prev_off && off < s->prev_off + s->prev->len) {
			src = s->prev->data + (off - s->prev_off);
			avail = (size_t)(s->prev_off + s->prev->len - off);
		} else {
			return false;
		}
		size_t n = avail < len ? avail : len;
		memcpy(o, src, n);
		o += n;
		off += n;
		len -= n;
	}
	return true;
}

static bool all_zero(const unsigned char *p, size_t n, size_t *at)
{
	for (size_t i = 0; i < n; i++)
		if (p[i]) {
			*at = i;
			return false;
		}
	return true;
}

static void join(struct layer_stream *s)
{
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->abort = true;
	pthread_cond_broadcast(&s->cv_free);
	pthread_cond_broadcast(&s->hblob.cv);
	pthread_cond_broadcast(&s->hdiff.cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->started = false;
}

int layer_stream_take_error(struct layer_stream *s, ctr_error **err)
{
	pthread_mutex_lock(&s->mu);
	int rc = s->rc;
	ctr_error *e = s->error;
	s->error = NULL;
	pthread_mutex_unlock(&s->mu);
	if (!rc)
		return 0;
	if (err && !*err)
		*err = e;
	else
		ctr_error_free(e);
	return rc;
}

int layer_stream_finish(struct layer_stream *s, uint64_t pos, ctr_error **err)
{
	/* the bytes libarchive did not consume after the end-of-archive blocks */
	uint64_t garbage_at = UINT64_MAX;
	unsigned char chunk[4096];
	for (uint64_t p = pos; p < s->given && garbage_at == UINT64_MAX;) {
		size_t n = s->given - p < sizeof(chunk) ? (size_t)(s->given - p) : sizeof(chunk);
		size_t at;
		if (!layer_stream_peek(s, p, chunk, n))
			break;
		if (!all_zero(chunk, n, &at))
			garbage_at = p + at;
		p += n;
	}
	while (garbage_at == UINT64_MAX) {
		struct layer_buf *b = next_buffer(s);
		if (!b)
			break;
		size_t at;
		if (!all_zero(b->data, b->len, &at))
			garbage_at = s->cur_off + at;
	}
	if (garbage_at != UINT64_MAX) {
		join(s);
		int rc = layer_stream_take_error(s, err);
		if (rc)
			return rc;
		return ctr_err(err, EBADMSG, CTR_E_INVALID,
			       "%s: trailing data after the tar end-of-archive blocks at offset %" PRIu64
			       " (only zero padding may follow)",
			       s->lname, garbage_at);
	}
	pthread_join(s->thread, NULL);
	s->started = false;
	return layer_stream_take_error(s, err);
}

void layer_stream_counts(struct layer_stream *s, uint64_t *in, uint64_t *out)
{
	*in = __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED);
	*out = __atomic_load_n(&s->bytes_out, __ATOMIC_RELAXED);
}

void layer_stream_free(struct layer_stream *s)
{
	if (!s)
		return;
	join(s);
	for (int i = 0; i < NBUF; i++)
		free(s->bufs[i].data);
	ctr_digest_free(&s->blob);
	ctr_digest_free(&s->diff);
	if (s->z_init)
		inflateEnd(&s->z);
	if (s->zs)
		ZSTD_freeDStream(s->zs);
#ifdef CTR_HAVE_ISAL
	free(s->isal);
#endif
	ctr_error_free(s->error);
	pthread_cond_destroy(&s->cv_free);
	pthread_cond_destroy(&s->cv_ring);
	pthread_cond_destroy(&s->hblob.cv);
	pthread_cond_destroy(&s->hdiff.cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int layer_stream_start(struct layer_stream **out, int blob_fd, const struct ctr_layer_desc *desc, const char *lname,
		       const struct ctr_layer_opts *o, ctr_error **err)
{
	*out = NULL;
	enum kind k;
	int r = kind_of(desc->media_type, &k, lname, err);
	if (r < 0)
		return r;
	struct layer_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return ctr_err_nomem(err);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv_free, NULL);
	pthread_cond_init(&s->cv_ring, NULL);
	pthread_cond_init(&s->hblob.cv, NULL);
	pthread_cond_init(&s->hdiff.cv, NULL);
	s->hblob.s = s->hdiff.s = s;
	s->fd = blob_fd;
	s->kind = k;
	s->lname = lname;
	s->desc = desc;
	s->max_bytes = o->max_bytes;
	s->cancel = o->cancel;
	s->zlib_only = o->zlib_only;
	s->tee_fd = o->tee ? o->tee_fd : -1;
	s->want_size = desc->size;
	for (int i = NBUF; i-- > 0;) {
		s->bufs[i].s = s;
		s->freel[s->nfree++] = &s->bufs[i];
	}
	if (desc->digest) {
		r = ctr_digest_begin(&s->blob, desc->digest, err);
		if (r < 0)
			goto fail_prefix;
		s->check_blob = true;
	} else if (s->tee_fd >= 0) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "a copy of the blob (tee) needs its digest");
		goto fail_prefix;
	}
	if (desc->diff_id) {
		r = ctr_digest_begin(&s->diff, desc->diff_id, err);
		if (r < 0)
			goto fail_prefix;
		s->check_diff = true;
	}
	/* the thread takes no signals: they stay with the caller's threads */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&s->thread, NULL, producer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		ctr_err_sys(err, r, "%s: cannot start the decompression thread", lname);
		layer_stream_free(s);
		return -r;
	}
	s->started = true;
	*out = s;
	return 0;
fail_prefix:
	ctr_err_prefix(err, "%s", lname);
	layer_stream_free(s);
	return r;
}

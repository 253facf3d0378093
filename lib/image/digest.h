/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming digests for OCI content (image-spec descriptor.md, "Digests"):
 * sha256 and sha512 through OpenSSL EVP.  Internal to libctr.
 */
#ifndef CTR_LIB_IMAGE_DIGEST_H
#define CTR_LIB_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr/error.h"

enum ctr_digest_alg { CTR_DIGEST_SHA256 = 1, CTR_DIGEST_SHA512 = 2 };

/* Longest "alg:hex" text, including the NUL: "sha512:" + 128 hex + NUL. */
#define CTR_DIGEST_STR_MAX 136

struct ctr_digest {
	void *ctx; /* EVP_MD_CTX */
	enum ctr_digest_alg alg;
	unsigned char want[64];
	size_t want_len;
	bool has_want;
	uint64_t bytes;
};

/*
 * Parse "sha256:<64 lowercase hex>" / "sha512:<128 lowercase hex>" per the
 * image-spec grammar; other registered or unknown algorithms give a clear
 * error (-EINVAL, or -ENOTSUP for a well-formed but unsupported algorithm).
 * raw receives the binary digest (64 bytes room); alg, raw and raw_len may be NULL.
 */
int ctr_digest_parse(const char *digest, enum ctr_digest_alg *alg, unsigned char *raw, size_t *raw_len,
		     ctr_error **err);

/* Start a digest; expected NULL: compute sha256 only (no comparison at finish). */
int ctr_digest_begin(struct ctr_digest *d, const char *expected, ctr_error **err);
/* Start a digest of the given algorithm without an expected value. */
int ctr_digest_begin_alg(struct ctr_digest *d, enum ctr_digest_alg alg, ctr_error **err);

void ctr_digest_update(struct ctr_digest *d, const void *buf, size_t len);

/*
 * Finish; a mismatch gives ctr_err(EBADMSG, ...)
 * "<what>: digest mismatch: expected sha256:..., got sha256:...".
 * If got != NULL writes "alg:hex" (<= CTR_DIGEST_STR_MAX bytes incl. NUL).
 * Frees the context.
 */
int ctr_digest_finish(struct ctr_digest *d, const char *what, char *got, size_t got_size, ctr_error **err);

/* Safe after finish, and on a zeroed struct. */
void ctr_digest_free(struct ctr_digest *d);

/*
 * Digest a whole buffer (manifests, configs) and compare with expected;
 * expected_size >= 0 is compared with len first.
 */
int ctr_digest_check_buf(const void *buf, size_t len, const char *expected, int64_t expected_size, const char *what,
			 ctr_error **err);

#endif

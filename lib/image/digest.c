/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming digests (image-spec descriptor.md "Digests") over OpenSSL EVP.
 * EVP picks the SHA-NI / AVX2 code paths of this CPU by itself.
 */
#include "image/digest.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "internal.h"

static const char hexdig[] = "0123456789abcdef";

/*
 * libcrypto is opened on first use (dlopen) instead of being linked: mapping
 * and relocating it costs about 1.2 ms per process, which every ctr-demo call
 * and every program linking libctr would pay even when it never digests a
 * blob (the container lifecycle, whose create+start+delete is ~15 ms in all).
 * The table is filled once under pthread_once and only read afterwards.
 */
#if OPENSSL_VERSION_MAJOR != 3
#error "the soname below is OpenSSL 3's"
#endif
#define LIBCRYPTO_SONAME "libcrypto.so.3"

static struct {
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *);
	int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);
	int (*update)(EVP_MD_CTX *, const void *, size_t);
	int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
	const EVP_MD *(*sha256)(void);
	const EVP_MD *(*sha512)(void);
	char why[160];
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void crypto_load(void)
{
	void *f[7];
	static const char *const names[7] = { "EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_DigestInit_ex",
					      "EVP_DigestUpdate", "EVP_DigestFinal_ex", "EVP_sha256", "EVP_sha512" };
	if (ctr_dl_open(LIBCRYPTO_SONAME, names, f, 7, crypto.why, sizeof(crypto.why)) < 0)
		return;
	memcpy(&crypto.ctx_free, &f[1], sizeof(f[1]));
	memcpy(&crypto.init, &f[2], sizeof(f[2]));
	memcpy(&crypto.update, &f[3], sizeof(f[3]));
	memcpy(&crypto.final, &f[4], sizeof(f[4]));
	memcpy(&crypto.sha256, &f[5], sizeof(f[5]));
	memcpy(&crypto.sha512, &f[6], sizeof(f[6]));
	memcpy(&crypto.ctx_new, &f[0], sizeof(f[0])); /* last: its presence says the table is whole */
}

static int crypto_get(ctr_error **err)
{
	(void)pthread_once(&crypto_once, crypto_load);
	if (crypto.ctx_new)
		return 0;
	return ctr_err(err, ELIBACC, CTR_E_UNSUPPORTED,
		       "digests need OpenSSL's %s, which could not be loaded (%s): install libssl3",
		       LIBCRYPTO_SONAME, crypto.why);
}

static const EVP_MD *alg_md(enum ctr_digest_alg alg)
{
	return alg == CTR_DIGEST_SHA512 ? crypto.sha512() : crypto.sha256();
}

static const char *alg_name(enum ctr_digest_alg alg)
{
	return alg == CTR_DIGEST_SHA512 ? "sha512" : "sha256";
}

static void to_text(enum ctr_digest_alg alg, const unsigned char *raw, size_t len, char *out, size_t out_size)
{
	const char *name = alg_name(alg);
	size_t n = strlen(name);
	if (out_size < n + 2 + 2 * len) {
		if (out_size)
			out[0] = '\0';
		return;
	}
	memcpy(out, name, n);
	out[n++] = ':';
	for (size_t i = 0; i < len; i++) {
		out[n++] = hexdig[raw[i] >> 4];
		out[n++] = hexdig[raw[i] & 15];
	}
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* algorithm-component per the grammar: [a-z0-9]+ joined by [+._-] */
static bool valid_alg_text(const char *s, size_t n)
{
	if (n == 0)
		return false;
	bool prev_sep = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool sep = c == '+' || c == '.' || c == '_' || c == '-';
		if (sep) {
			if (prev_sep)
				return false;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			return false;
		}
		prev_sep = sep;
	}
	return !prev_sep;
}

int ctr_digest_parse(const char *digest, enum ctr_digest_alg *alg, unsigned char *raw, size_t *raw_len,
		     ctr_error **err)
{
	if (!digest)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "digest: missing (want \"sha256:<64 hex digits>\")");
	const char *colon = strchr(digest, ':');
	if (!colon || !valid_alg_text(digest, (size_t)(colon - digest)) || !colon[1])
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "digest '%.150s': not of the form <algorithm>:<encoded> (e.g. \"sha256:<64 hex digits>\")",
			       digest);
	size_t alen = (size_t)(colon - digest);
	enum ctr_digest_alg a;
	size_t want;
	if (alen == 6 && !memcmp(digest, "sha256", 6)) {
		a = CTR_DIGEST_SHA256;
		want = 32;
	} else if (alen == 6 && !memcmp(digest, "sha512", 6)) {
		a = CTR_DIGEST_SHA512;
		want = 64;
	} else {
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "digest '%.150s': algorithm '%.*s' is not supported (sha256 and sha512 are)", digest,
			       (int)(alen > 32 ? 32 : alen), digest);
	}
	const char *hex = colon + 1;
	size_t hlen = strlen(hex);
	if (hlen != want * 2)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "digest '%.150s': %s needs %zu hex digits, got %zu", digest,
			       alg_name(a), want * 2, hlen);
	unsigned char tmp[64];
	for (size_t i = 0; i < want; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "digest '%.150s': the encoded part must be lowercase hex [0-9a-f]", digest);
		tmp[i] = (unsigned char)(hi << 4 | lo);
	}
	if (alg)
		*alg = a;
	if (raw)
		memcpy(raw, tmp, want);
	if (raw_len)
		*raw_len = want;
	return 0;
}

int ctr_digest_begin_alg(struct ctr_digest *d, enum ctr_digest_alg alg, ctr_error **err)
{
	memset(d, 0, sizeof(*d));
	d->alg = alg;
	int r = crypto_get(err);
	if (r < 0)
		return r;
	EVP_MD_CTX *ctx = crypto.ctx_new();
	if (!ctx)
		return ctr_err_nomem(err);
	if (crypto.init(ctx, alg_md(alg), NULL) != 1) {
		crypto.ctx_free(ctx);
		return ctr_err(err, EIO, CTR_E_SYSTEM, "OpenSSL: cannot start a %s digest", alg_name(alg));
	}
	d->ctx = ctx;
	return 0;
}

int ctr_digest_begin(struct ctr_digest *d, const char *expected, ctr_error **err)
{
	enum ctr_digest_alg alg = CTR_DIGEST_SHA256;
	unsigned char raw[64];
	size_t len = 0;
	if (expected) {
		int r = ctr_digest_parse(expected, &alg, raw, &len, err);
		if (r < 0) {
			memset(d, 0, sizeof(*d));
			return r;
		}
	}
	int r = ctr_digest_begin_alg(d, alg, err);
	if (r < 0)
		return r;
	if (expected) {
		memcpy(d->want, raw, len);
		d->want_len = len;
		d->has_want = true;
	}
	return 0;
}

void ctr_digest_update(struct ctr_digest *d, const void *buf, size_t len)
{
	d->bytes += len;
	if (d->ctx && len)
		crypto.update(d->ctx, buf, len);
}

int ctr_digest_finish(struct ctr_digest *d, const char *what, char *got, size_t got_size, ctr_error **err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!d->ctx)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: digest was not started", what ? what : "blob");
	int ok = crypto.final(d->ctx, md, &mdlen);
	crypto.ctx_free(d->ctx);
	d->ctx = NULL;
	if (ok != 1)
		return ctr_err(err, EIO, CTR_E_SYSTEM, "%s: OpenSSL: cannot finish the %s digest", what ? what : "blob",
			       alg_name(d->alg));
	char text[CTR_DIGEST_STR_MAX];
	to_text(d->alg, md, mdlen, text, sizeof(text));
	if (got && got_size)
		snprintf(got, got_size, "%s", text);
	if (d->has_want && (d->want_len != mdlen || memcmp(d->want, md, mdlen) != 0)) {
		char want[CTR_DIGEST_STR_MAX];
		to_text(d->alg, d->want, d->want_len, want, sizeof(want));
		return ctr_err(err, EBADMSG, CTR_E_INVALID,
			       "%s: digest mismatch: expected %s, got %s (%" PRIu64
			       " bytes); the blob is corrupt or not the one the manifest names",
			       what ? what : "blob", want, text, d->bytes);
	}
	return 0;
}

void ctr_digest_free(struct ctr_digest *d)
{
	if (d && d->ctx) {
		crypto.ctx_free(d->ctx);
		d->ctx = NULL;
	}
}

int ctr_digest_check_buf(const void *buf, size_t len, const char *expected, int64_t expected_size, const char *what,
			 ctr_error **err)
{
	if (expected_size >= 0 && (uint64_t)expected_size != (uint64_t)len)
		return ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: size mismatch: expected %" PRId64 " bytes, got %zu",
			       what ? what : "blob", expected_size, len);
	struct ctr_digest d;
	int r = ctr_digest_begin(&d, expected, err);
	if (r < 0) {
		if (what)
			ctr_err_prefix(err, "%s", what);
		return r;
	}
	ctr_digest_update(&d, buf, len);
	return ctr_digest_finish(&d, what, NULL, 0, err);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiled seccomp filter cache: BPF programs that libseccomp made for a
 * profile, kept under <state_root>/.seccomp-cache so that the next container
 * with the same profile loads them instead of compiling again.  See
 * seccomp-cache.c for the format and the checks that keep it tamper-proof.
 */
#ifndef CTR_LIB_LINUX_SECCOMP_CACHE_H
#define CTR_LIB_LINUX_SECCOMP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "spec/oci.h"

#define CTR_SECCOMP_KEY_LEN 32 /* sha256 */

/* SHA-256 (seccomp-sha256.c): streaming, and of concatenated parts. */
struct ctr_sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed */
	unsigned char buf[64];
	size_t fill;
};
void ctr_sha256_init(struct ctr_sha256 *s);
void ctr_sha256_update(struct ctr_sha256 *s, const void *data, size_t len);
void ctr_sha256_final(struct ctr_sha256 *s, unsigned char out[CTR_SECCOMP_KEY_LEN]);
void ctr_sha256(const void *const parts[], const size_t lens[], size_t n, unsigned char out[CTR_SECCOMP_KEY_LEN]);

/*
 * The key of a profile: sha256 over a format tag, the libseccomp version, the
 * kernel's release and version, the native architecture and a canonical
 * encoding of every field of the profile that shapes the program (all but
 * listenerPath and listenerMetadata).
 */
void ctr_seccomp_cache_key(const struct oci_seccomp *sc, unsigned char key[CTR_SECCOMP_KEY_LEN]);

/*
 * Look the key up: 1 with *bpf (malloc'ed struct sock_filter[]) and *n_insns
 * set when a trustworthy entry exists, 0 when not (missing, or any doubt
 * about it: wrong owner, mode, size, link count, checksum), -ENOMEM.
 */
int ctr_seccomp_cache_get(const ctr_context *ctx, const unsigned char key[CTR_SECCOMP_KEY_LEN], void **bpf,
			  size_t *n_insns);

/* Store a program (best effort: failures are logged at debug level and ignored). */
void ctr_seccomp_cache_put(const ctr_context *ctx, const unsigned char key[CTR_SECCOMP_KEY_LEN], const void *bpf,
			   size_t n_insns);

#endif

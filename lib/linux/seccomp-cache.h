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

#include "internal.h"

#define CTR_SECCOMP_KEY_LEN 32 /* sha256 */

/*
 * The key of a profile: sha256 over a format tag, the libseccomp version, the
 * kernel's release and version, the native architecture and the profile's
 * JSON bytes.
 */
void ctr_seccomp_cache_key(const char *json, size_t len, unsigned char key[CTR_SECCOMP_KEY_LEN]);

/* SHA-256 of the concatenated parts (seccomp-sha256.c). */
void ctr_sha256(const void *const parts[], const size_t lens[], size_t n, unsigned char out[CTR_SECCOMP_KEY_LEN]);

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process part of a plan (struct ctr_proc) and the startContainer hooks,
 * flattened into one buffer for the init stub (init/ctr-init.c).
 *
 * The runtime builds everything in its own process (allocating, parsing
 * JSON, compiling seccomp); the container process execs the sealed stub
 * before it waits for start, so the stub gets what it still has to do
 * (wait for start, run startContainer hooks, drop credentials, load seccomp,
 * exec the program) in this buffer, through a sealed memfd.  The format is
 * explicit (fixed-width little-endian fields, length-prefixed strings), not
 * a struct copy: the stub may be built against another libc.
 */
#ifndef CTR_LIB_LINUX_PROC_BLOB_H
#define CTR_LIB_LINUX_PROC_BLOB_H

#include <stddef.h>

#include "linux/lifecycle.h"

#define CTR_BLOB_MAGIC "ctrinit2"
#define CTR_BLOB_MAX (64u << 20)

/* Flatten p (and hooks, may be NULL) into a malloc'd buffer.  0 or -ENOMEM. */
int ctr_proc_pack(const struct ctr_proc *p, const struct ctr_sighook_list *hooks, char **out, size_t *len);

/*
 * Read a buffer made by ctr_proc_pack into p and hooks.  Strings point into
 * buf (which must stay alive); vectors are malloc'd: free with
 * ctr_proc_unpacked_free.  0, -EINVAL for a malformed buffer, -ENOMEM.
 */
int ctr_proc_unpack(char *buf, size_t len, struct ctr_proc *p, struct ctr_sighook_list *hooks);
void ctr_proc_unpacked_free(struct ctr_proc *p, struct ctr_sighook_list *hooks);

#endif

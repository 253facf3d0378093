/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A new user namespace's id maps, written by the runtime (root) or by newuidmap/newgidmap (rootless). */
#ifndef CTR_LIB_LINUX_USERNS_H
#define CTR_LIB_LINUX_USERNS_H

#include <sys/types.h>

#include "internal.h"

/*
 * Write /proc/<pid>/uid_map and gid_map ("inside outside size\n" lines).
 * Unprivileged callers write a mapping of their own id themselves (denying
 * setgroups first for gid_map) and use newuidmap/newgidmap for anything else.
 */
int ctr_userns_write_maps(pid_t pid, const char *uid_map, const char *gid_map, ctr_error **err);

#endif

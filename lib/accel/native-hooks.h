/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/accel/native-hooks.h: what the lifecycle's hook runner (lib/linux/hooks.c) calls in lib/accel. */
#ifndef CTR_LIB_ACCEL_NATIVE_HOOKS_H
#define CTR_LIB_ACCEL_NATIVE_HOOKS_H

#include <sys/types.h>

#include "internal.h"

/*
 * The native verb dispatcher (lib/accel/hooks-native.c) on an open root:
 * rootfd is an O_PATH directory fd of the container's root in its mount
 * namespace, pid the container process (its mount namespace for
 * disable-device-node-modification).  args is the hook's argv.
 */
int accel_native_hook_at(const char *host_root, const char *path, const char *const *args, int rootfd, pid_t pid,
			 ctr_error **err);

#endif

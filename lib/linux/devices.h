/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev in the container: the default devices (config-linux.md "Default
 * Devices"), linux.devices, and the standard symlinks.
 */
#ifndef CTR_LIB_LINUX_DEVICES_H
#define CTR_LIB_LINUX_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include "internal.h"
#include "spec/oci.h"

struct ctr_dev_plan;

/*
 * Build the plan before clone (allocates, validates): the six default devices
 * (null, zero, full, random, urandom, tty) unless linux.devices overrides the
 * path, then linux.devices, then the symlinks /dev/fd, /dev/stdin, /dev/stdout,
 * /dev/stderr, /dev/ptmx -> pts/ptmx, and /dev/core -> /proc/kcore only if asked.
 * in_userns: mknod is not allowed, so devices are bind-mounted from the host
 * node with the same major/minor (the host path found under /dev).
 * (Nothing asks for /dev/core today: it is not created.  A symlink is left
 * out when linux.devices has its path.  An existing file at a linux.devices
 * path that is not the same device is an error, as the spec requires; the
 * same device is recreated.  fileMode absent: 0666; uid/gid absent: 0.)
 */
int ctr_dev_plan_build(const struct oci_config *cfg, bool in_userns, struct ctr_dev_plan **out,
		       ctr_error **err);

/*
 * A warning for each linux.devices entry whose fileMode carried file type
 * bits that contradict its "type" (e.g. S_IFBLK on a "c" device).  Type bits
 * that agree (podman's 020666 on a "c" device) are accepted silently; the
 * "type" field decides either way.
 */
void ctr_dev_warn_file_modes(const ctr_context *ctx, const struct oci_config *cfg);

/*
 * Apply in the container process before pivot_root.  rootfd is an O_PATH or
 * directory fd of the rootfs; paths are resolved beneath it without following
 * symlinks out of it.  Async-signal-safe.  Returns 0 or -errno with errbuf set,
 * e.g. "linux.devices[2] (/dev/fuse): mknod: Operation not permitted".
 */
int ctr_dev_plan_apply(const struct ctr_dev_plan *plan, int rootfd, char *errbuf, size_t errlen);

/* Whether an entry of plan is dir (relative to the rootfs), below it or above it. */
bool ctr_dev_plan_under(const struct ctr_dev_plan *plan, const char *dir);

void ctr_dev_plan_free(struct ctr_dev_plan *plan);

#endif

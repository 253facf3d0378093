/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The working directory of a container run from an image: an image's
 * WorkingDir need not exist in its layers (docker and podman create it), so
 * process.cwd is made in the rootfs when missing, owned by the process's
 * user (mode 0755; missing parents root-owned, 0755).  Every component is
 * resolved beneath the rootfs fd with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) and made with mkdirat() in the resolved parent,
 * so an image's symlinks (absolute, or ".." out of the root) resolve as in
 * the container and nothing is ever made outside it.
 */
#ifndef CTR_LIB_LINUX_WORKDIR_H
#define CTR_LIB_LINUX_WORKDIR_H

#include "internal.h"
#include "spec/oci.h"

/* Make cfg->process->cwd beneath rootfs when it is missing (only when from_image); 0 or -errno. */
int ctr_workdir_create(const struct oci_config *cfg, const char *rootfs, bool from_image, ctr_error **err);

#endif

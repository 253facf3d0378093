/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A container's rootfs from a stored image, for the container lifecycle:
 * create mounts it inside the container's state dir, delete (also after a
 * crash half-way through create) unmounts and removes it.
 */
#ifndef CTR_LIB_IMAGE_ROOTFS_H
#define CTR_LIB_IMAGE_ROOTFS_H

#include "internal.h"
#include "ctr/image.h"

/*
 * Mount the image's layers as an overlay at <state_dir>/image/rootfs (upper
 * and work dirs beside it), or unpack them there flat when overlayfs is not
 * available.  A lease in the store keeps prune from removing the layers
 * while the state dir exists.  *rootfs receives the absolute path.  On
 * failure nothing is left (no mount, no image dir, no lease).
 */
int ctr_image_rootfs_mount(ctr_image_store *store, const char *image, int state_dirfd, const char *state_dir,
			   char **rootfs, ctr_error **err);

/* Undo ctr_image_rootfs_mount (also a partial one); nothing to do when the state dir has no image dir. */
void ctr_image_rootfs_release(const ctr_context *ctx, int state_dirfd, const char *state_dir);

#endif

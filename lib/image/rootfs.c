/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A container's rootfs from a stored image: an overlayfs of the image's
 * layer dirs (top layer first) with the upper and work dirs in the
 * container's state dir, made with the new mount API (fsopen, fsconfig
 * "lowerdir+" one layer at a time, each given as an O_PATH fd where the
 * kernel accepts one (6.13), else as a path (6.8), so no option string
 * limits the depth; fsmount; move_mount onto an O_PATH fd of the target).
 * Before 6.8, or when a path is over fsconfig's 256 bytes on 6.8-6.12:
 * mount(2) with the classic "lowerdir=a:b,upperdir=,workdir=" string, the
 * dirs named by /proc/self/fd paths.  Where overlayfs is missing the layers
 * are unpacked flat into the state dir instead.
 *
 * State dir layout: image/rootfs (the mount point or the flat copy),
 * image/upper, image/work, image/lease (the path of our lease in the store).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/layer.h"
#include "image/rootfs.h"

/* Write the lease: the state dir, then the ChainIDs it uses. */
static int write_lease(ctr_image_store *st, const struct img_record *rec, const char *state_dir, char *lease,
		       size_t n, ctr_error **err)
{
	snprintf(lease, n, "%s/leases/lease.XXXXXX", st->dir);
	int fd = mkostemp(lease, O_CLOEXEC);
	if (fd < 0)
		return ctr_err_sys(err, errno, "%s: create a lease", lease);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(lease);
		return ctr_err_nomem(err);
	}
	fprintf(f, "%s\n", state_dir);
	for (size_t i = 0; i < rec->n_layers; i++)
		fprintf(f, "%s\n", rec->layers[i].chain_id);
	if (fclose(f) != 0) {
		unlink(lease);
		return ctr_err_sys(err, errno ? errno : EIO, "%s: write the lease", lease);
	}
	return 0;
}

/*
 * One directory option of the overlay: by fd where the kernel takes one
 * (FSCONFIG_SET_FD: no path lookup, no length limit; overlayfs since Linux
 * 6.13), else by path (FSCONFIG_SET_STRING, which fsconfig caps at 256
 * bytes).  6.8 to 6.12 know "lowerdir+" but refuse an fd for it with
 * EBADF (an O_PATH fd) or EINVAL; *by_fd remembers the answer for the
 * following layers.
 */
static int set_dir(int fs, const char *key, int at, const char *name, const char *path, bool *by_fd)
{
	int r = 0;
	if (*by_fd) {
		int fd = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, key, NULL, fd);
		int e = errno;
		close(fd);
		if (r == 0)
			return 0;
		if (e != EINVAL && e != EBADF)
			return -e;
		*by_fd = false;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, path, 0) < 0)
		return -errno;
	return 0;
}

/* The overlay through the new mount API and "lowerdir+" (Linux 6.8), detached: *mnt_out. */
int img_overlay_detached(ctr_image_store *st, const struct img_record *rec, int img_fd, const char *img_dir,
			 int *mnt_out)
{
	int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC), r = 0;
	char p[2 * PATH_MAX + 16];
	bool by_fd = true;
	if (fs < 0)
		return -errno; /* no overlayfs: the caller falls back */
	/* "lowerdir+" appends one layer at a time, top layer first */
	for (size_t i = rec->n_layers; i-- > 0;) {
		char ld[PATH_MAX - 16];
		img_layer_dir(rec->layers[i].chain_id, ld, sizeof(ld));
		snprintf(p, sizeof(p), "%s/%s", st->dir, ld);
		if ((r = set_dir(fs, "lowerdir+", st->dirfd, ld, p, &by_fd)) < 0)
			goto out;
	}
	if (img_fd >= 0) {
		snprintf(p, sizeof(p), "%s/upper", img_dir);
		if ((r = set_dir(fs, "upperdir", img_fd, "upper", p, &by_fd)) < 0)
			goto out;
		snprintf(p, sizeof(p), "%s/work", img_dir);
		if ((r = set_dir(fs, "workdir", img_fd, "work", p, &by_fd)) < 0)
			goto out;
	}
	int mnt;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, img_fd >= 0 ? 0 : MOUNT_ATTR_RDONLY)) < 0) {
		r = -errno;
		goto out;
	}
	*mnt_out = mnt;
out:
	if (r < 0)
		ctr_debug(st->ctx, "overlay for image '%s' (fsconfig lowerdir+): %s", rec->name, strerror(-r));
	close(fs);
	return r;
}

/*
 * Kernels before 6.8 (no "lowerdir+"): mount(2) with the classic option
 * string, each directory named by the /proc/self/fd path of an O_PATH fd
 * opened here (short, and no path of the store is looked up again by
 * string), target included.  The string is limited to a page: about 200
 * layers.
 */
static int overlay_mount_legacy(ctr_image_store *st, const struct img_record *rec, int imgfd, const char *img_dir)
{
	size_t nfd = rec->n_layers + 3, len = 0, cap = 4096;
	if (!rec->n_layers)
		return -EINVAL; /* an overlay needs a lower dir */
	int *fds = malloc(nfd * sizeof(int)), r = 0;
	char *opts = malloc(cap);
	if (!fds || !opts) {
		free(fds);
		free(opts);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nfd; i++)
		fds[i] = -1;
	/* top layer first, then upper, work and the target */
	for (size_t k = 0; k < nfd && r == 0; k++) {
		char ld[PATH_MAX];
		int at = imgfd;
		const char *name = k == rec->n_layers ? "upper" : k == rec->n_layers + 1 ? "work" : "rootfs";
		if (k < rec->n_layers) {
			img_layer_dir(rec->layers[rec->n_layers - 1 - k].chain_id, ld, sizeof(ld));
			at = st->dirfd;
			name = ld;
		}
		if ((fds[k] = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			r = -errno;
	}
	for (size_t k = 0; k < nfd - 1 && r == 0; k++) {
		const char *pre = k == 0 ? "lowerdir=" : k < rec->n_layers ? ":" : k == rec->n_layers ? ",upperdir=" : ",workdir=";
		int n = snprintf(opts + len, cap - len, "%s/proc/self/fd/%d", pre, fds[k]);
		if (n < 0 || (size_t)n >= cap - len)
			r = -E2BIG;
		else
			len += (size_t)n;
	}
	if (r == 0) {
		char target[64];
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fds[nfd - 1]);
		if (mount("overlay", target, "overlay", 0, opts) < 0)
			r = -errno;
	}
	if (r < 0)
		ctr_debug(st->ctx, "overlay for image '%s' (mount(2), lowerdir=) in %s: %s", rec->name, img_dir,
			  strerror(-r));
	for (size_t i = 0; i < nfd; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(opts);
	return r;
}

/* The overlay, attached at <img_dir>/rootfs: the new mount API, else mount(2). */
static int overlay_mount(ctr_image_store *st, const struct img_record *rec, int imgfd, const char *img_dir,
			 ctr_error **err)
{
	int mnt = -1, target, r = img_overlay_detached(st, rec, imgfd, img_dir, &mnt);
	if (r < 0)
		return overlay_mount_legacy(st, rec, imgfd, img_dir);
	target = openat(imgfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 || syscall(SYS_move_mount, mnt, "", target, "",
				  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = ctr_err_sys(err, errno, "%s/rootfs: attach the overlay", img_dir);
	if (target >= 0)
		close(target);
	close(mnt);
	return r;
}

int ctr_image_rootfs_mount(ctr_image_store *st, const char *image, int state_dirfd, const char *state_dir,
			   char **rootfs, ctr_error **err)
{
	struct img_record rec = { 0 };
	char img_dir[PATH_MAX], lease[PATH_MAX] = "";
	int r, imgfd = -1;
	bool made_dir = false;
	if (!st || !image)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "create from an image: both image_store and image are needed");
	if ((r = img_flock(st->lock_fd, LOCK_SH)) < 0)
		return ctr_err_sys(err, -r, "image store %s: lock", st->dir);
	if ((r = img_store_record(st, image, &rec, err)) < 0)
		goto out;
	for (size_t i = 0; i < rec.n_layers; i++) {
		char ld[PATH_MAX];
		struct stat sb;
		if (img_layer_dir(rec.layers[i].chain_id, ld, sizeof(ld)) < 0 || fstatat(st->dirfd, ld, &sb, 0) < 0) {
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s': layer %zu (%s) is missing from the store "
				    "%s: import the image again", image, i + 1, rec.layers[i].chain_id, st->dir);
			goto out;
		}
	}
	snprintf(img_dir, sizeof(img_dir), "%s/image", state_dir);
	if (mkdirat(state_dirfd, "image", 0700) < 0) {
		r = ctr_err_sys(err, errno, "%s: mkdir", img_dir);
		goto out;
	}
	made_dir = true;
	imgfd = openat(state_dirfd, "image", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (imgfd < 0 || mkdirat(imgfd, "rootfs", 0755) < 0 || mkdirat(imgfd, "upper", 0755) < 0 ||
	    mkdirat(imgfd, "work", 0700) < 0) {
		r = ctr_err_sys(err, errno, "%s: make rootfs, upper and work", img_dir);
		goto out;
	}
	if ((r = write_lease(st, &rec, state_dir, lease, sizeof(lease), err)) < 0)
		goto out;
	{
		char lp[PATH_MAX + 8];
		snprintf(lp, sizeof(lp), "%s/lease", img_dir);
		if ((r = ctr_write_file_atomic(lp, lease, strlen(lease), 0600, err)) < 0)
			goto out;
	}
	r = overlay_mount(st, &rec, imgfd, img_dir, err);
	if (r < 0 && !(err && *err)) {
		/*
		 * overlayfs unavailable or refused these dirs: a flat copy.  Said at
		 * the info level only: a CLI's stderr may be the container's own, and
		 * the copy is a working rootfs, not a fault
		 */
		ctr_log(st->ctx, CTR_LOG_INFO, "image '%s': overlayfs mount failed (%s): unpacking the layers into %s/rootfs",
			image, strerror(-r), img_dir);
		int rfd = openat(imgfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (rfd < 0) {
			r = ctr_err_sys(err, errno, "%s/rootfs: open", img_dir);
			goto out;
		}
		ctr_image_options o;
		ctr_image_options_init(&o);
		r = img_store_apply_flat(st, &rec, rfd, &o, err);
		close(rfd);
	}
	if (r < 0)
		goto out;
	if (asprintf(rootfs, "%s/rootfs", img_dir) < 0) {
		*rootfs = NULL;
		r = ctr_err_nomem(err);
	}
out:
	if (imgfd >= 0)
		close(imgfd);
	if (r < 0 && lease[0])
		(void)unlink(lease);
	if (r < 0 && made_dir) /* only an image dir we made */
		ctr_image_rootfs_release(st->ctx, state_dirfd, state_dir);
	(void)flock(st->lock_fd, LOCK_UN);
	img_record_free(&rec);
	return r;
}

void ctr_image_rootfs_release(const ctr_context *ctx, int state_dirfd, const char *state_dir)
{
	char p[PATH_MAX], lease[PATH_MAX];
	struct stat sb;
	if (fstatat(state_dirfd, "image", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	/* umount2 takes a path: the state dir is ours (root-owned, 0711) and the name fixed */
	snprintf(p, sizeof(p), "%s/image/rootfs", state_dir);
	while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	int fd = openat(state_dirfd, "image/lease", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, lease, sizeof(lease) - 1);
		close(fd);
		if (n > 0) {
			lease[n] = '\0';
			/* only a lease file of an image store */
			if (strstr(lease, "/leases/lease.") && unlink(lease) < 0 && errno != ENOENT)
				ctr_warn(ctx, "%s: remove the image lease: %s", lease, strerror(errno));
		}
	}
	ctr_error *e = NULL;
	if (ctr_rm_tree_at(state_dirfd, "image", &e) < 0)
		ctr_warn(ctx, "%s/image: %s", state_dir, ctr_error_message(e));
	ctr_error_free(e);
}

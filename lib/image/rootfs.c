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
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
	/* the whole text, then one checked write: stdio's buffering would hide which write failed and why */
	size_t cap = strlen(state_dir) + 2 + strlen(IMG_LEASE_IMAGE) + strlen(rec->name) + 1, len = 0;
	for (size_t i = 0; i < rec->n_layers; i++)
		cap += strlen(rec->layers[i].chain_id) + 1;
	char *txt = malloc(cap);
	if (!txt) {
		close(fd);
		unlink(lease);
		return ctr_err_nomem(err);
	}
	len += (size_t)snprintf(txt + len, cap - len, "%s\n", state_dir);
	for (size_t i = 0; i < rec->n_layers; i++)
		len += (size_t)snprintf(txt + len, cap - len, "%s\n", rec->layers[i].chain_id);
	/* the image's name, so that image rm can tell it is in use */
	len += (size_t)snprintf(txt + len, cap - len, IMG_LEASE_IMAGE "%s\n", rec->name);
	int r = ctr_write_all(fd, txt, len, -1);
	free(txt);
	if (r < 0 || (close(fd) < 0 && errno != EINTR)) {
		int e = r < 0 ? -r : errno;
		if (r < 0)
			close(fd);
		unlink(lease);
		return ctr_err_sys(err, e, "%s: write the lease", lease);
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
static int overlay_detached_new(ctr_image_store *st, const struct img_record *rec, int img_fd, const char *img_dir,
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
 * string).  The string is limited to a page: about 200 layers.  The lower
 * dirs top first, then (imgfd >= 0) upper and work; fds[] (n_layers + 2
 * entries, -1 when unused) are closed by the caller (close_fds).
 */
static int legacy_opts(ctr_image_store *st, const struct img_record *rec, int imgfd, int *fds, char *opts,
		       size_t cap)
{
	size_t n = rec->n_layers + (imgfd >= 0 ? 2 : 0), len = 0;
	if (!rec->n_layers)
		return -EINVAL; /* an overlay needs a lower dir */
	for (size_t k = 0; k < n; k++) {
		char ld[PATH_MAX];
		int at = imgfd;
		const char *name = k == rec->n_layers ? "upper" : "work";
		if (k < rec->n_layers) {
			img_layer_dir(rec->layers[rec->n_layers - 1 - k].chain_id, ld, sizeof(ld));
			at = st->dirfd;
			name = ld;
		}
		if ((fds[k] = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
		const char *pre = k == 0 ? "lowerdir=" : k < rec->n_layers ? ":" : k == rec->n_layers ? ",upperdir=" : ",workdir=";
		int w = snprintf(opts + len, cap - len, "%s/proc/self/fd/%d", pre, fds[k]);
		if (w < 0 || (size_t)w >= cap - len)
			return -E2BIG;
		len += (size_t)w;
	}
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

static int *new_fds(size_t n)
{
	int *fds = malloc(n * sizeof(int));
	for (size_t i = 0; fds && i < n; i++)
		fds[i] = -1;
	return fds;
}

/* The classic mount(2) at <img_dir>/rootfs (its /proc/self/fd path). */
static int overlay_mount_legacy(ctr_image_store *st, const struct img_record *rec, int imgfd, const char *img_dir)
{
	size_t nfd = rec->n_layers + 2;
	int *fds = new_fds(nfd), target = -1, r;
	char opts[4096], tp[64];
	if (!fds)
		return -ENOMEM;
	r = legacy_opts(st, rec, imgfd, fds, opts, sizeof(opts));
	if (r == 0 && (target = openat(imgfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0) {
		snprintf(tp, sizeof(tp), "/proc/self/fd/%d", target);
		if (mount("overlay", tp, "overlay", 0, opts) < 0)
			r = -errno;
	}
	if (r < 0)
		ctr_debug(st->ctx, "overlay for image '%s' (mount(2), lowerdir=) in %s: %s", rec->name, img_dir,
			  strerror(-r));
	if (target >= 0)
		close(target);
	close_fds(fds, nfd);
	return r;
}

/*
 * A detached read-only overlay (no upper dir) before 6.8: a child mounts it
 * with mount(2) in a private copy of the mount namespace, over the store's
 * directory (seen by no one else), clones it with open_tree() and passes the
 * clone back over a socket; the namespace goes with the child.  overlayfs
 * takes only lower dirs of the mounter's namespace (before 6.8 "failed to
 * clone lowerpath" otherwise), so the child opens them again by path in its
 * copy, onto the fd numbers the option string names.  The child runs system
 * calls only (the caller may have other threads).
 */
static int overlay_detached_legacy(ctr_image_store *st, const struct img_record *rec, int *mnt_out)
{
	size_t nfd = rec->n_layers;
	int *fds = new_fds(nfd), sv[2] = {-1, -1}, r, status = 0;
	char opts[4096], *paths = malloc(nfd * PATH_MAX);
	if (!fds || !paths) {
		free(paths);
		free(fds);
		return -ENOMEM;
	}
	/* the lower dirs' paths, top first, one PATH_MAX slot each, for the child */
	for (size_t k = 0; k < nfd; k++) {
		char ld[PATH_MAX - 16];
		img_layer_dir(rec->layers[rec->n_layers - 1 - k].chain_id, ld, sizeof(ld));
		snprintf(paths + k * PATH_MAX, PATH_MAX, "%s/%s", st->dir, ld);
	}
	if ((r = legacy_opts(st, rec, -1, fds, opts, sizeof(opts))) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = r < 0 ? r : -errno;
		free(paths);
		close_fds(fds, nfd);
		return r;
	}
	pid_t pid = fork();
	int fork_errno = errno;
	if (pid == 0) {
		int t, d;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		for (size_t k = 0; k < nfd; k++) {
			int f = open(paths + k * PATH_MAX, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (f < 0 || dup3(f, fds[k], O_CLOEXEC) < 0)
				_exit(1);
			close(f);
		}
		if (mount("overlay", st->dir, "overlay", MS_RDONLY, opts) < 0 ||
		    (d = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		    (t = (int)syscall(SYS_open_tree, d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) < 0)
			_exit(1);
		char cbuf[CMSG_SPACE(sizeof(int))] = {0}, byte = 'm';
		struct iovec iov = {&byte, 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &t, sizeof(int));
		_exit(sendmsg(sv[1], &mh, MSG_NOSIGNAL) == 1 ? 0 : 2);
	}
	close(sv[1]);
	free(paths);
	close_fds(fds, nfd);
	r = pid < 0 ? -fork_errno : -EIO;
	if (pid > 0) {
		char cbuf[CMSG_SPACE(sizeof(int))], byte;
		struct iovec iov = {&byte, 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		ssize_t got;
		do
			got = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
		while (got < 0 && errno == EINTR);
		struct cmsghdr *c = got == 1 ? CMSG_FIRSTHDR(&mh) : NULL;
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(mnt_out, CMSG_DATA(c), sizeof(int));
			r = 0;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(sv[0]);
	if (r < 0)
		ctr_debug(st->ctx, "overlay for image '%s' (mount(2) in a private namespace): %s", rec->name,
			  strerror(-r));
	return r;
}

/*
 * The overlay, detached (a mount fd: nothing in the mount tree): the new
 * mount API, else, read-only (img_fd < 0), mount(2) in a child's namespace.
 * With upper and work dirs the caller attaches it (overlay_mount).
 */
int img_overlay_detached(ctr_image_store *st, const struct img_record *rec, int img_fd, const char *img_dir,
			 int *mnt_out)
{
	int r = overlay_detached_new(st, rec, img_fd, img_dir, mnt_out);
	if (r < 0 && img_fd < 0)
		r = overlay_detached_legacy(st, rec, mnt_out);
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

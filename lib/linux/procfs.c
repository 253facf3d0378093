/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trusted procfs access; see procfs.h.  Async-signal-safe. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "linux/procfs.h"
#include "linux/sigsafe.h"

#define PROC_ROOT_INO 1
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
/* symlinks the fallback walk follows at most (self -> N, net -> self/net, ...) */
#define MAX_FOLLOWS 8

bool ctr_fd_on_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int ctr_procfs_root(void)
{
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (!ctr_fd_on_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != PROC_ROOT_INO) {
		close(fd);
		return -EXDEV; /* not procfs, or not its root: something is mounted over /proc */
	}
	return fd;
}

/* Is this path component ".."? (p points at it, n is its length) */
static bool is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

/* Relative, not empty, no ".." component: what every caller passes; anything else is a bug or an attack. */
static bool rel_ok(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/' || ss_strlen(rel) >= 1024)
		return false;
	for (const char *p = rel; *p;) {
		const char *e = p;
		while (*e && *e != '/')
			e++;
		if (is_dotdot(p, (size_t)(e - p)))
			return false;
		p = *e ? e + 1 : e;
	}
	return true;
}

/*
 * The mount id of fd: statx(STATX_MNT_ID) (Linux 5.8), else the "mnt_id:"
 * line of self/fdinfo/<fd> (3.15) read beneath proc_root.  0 or -errno.
 */
static int mnt_id_of(int proc_root, int fd, uint64_t *out)
{
	struct statx stx;
	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID)) {
		*out = stx.stx_mnt_id;
		return 0;
	}
	char path[64], buf[512];
	ss_fmt(path, sizeof(path), "self/fdinfo/%d", fd);
	int info = openat(proc_root, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (info < 0)
		return -errno;
	ssize_t n = read(info, buf, sizeof(buf) - 1);
	close(info);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (const char *l = buf; *l;) {
		if (!ss_strncmp(l, "mnt_id:", 7)) {
			const char *d = l + 7;
			while (*d == ' ' || *d == '\t')
				d++;
			uint64_t v = 0;
			if (*d < '0' || *d > '9')
				return -EIO;
			while (*d >= '0' && *d <= '9')
				v = v * 10 + (uint64_t)(*d++ - '0');
			*out = v;
			return 0;
		}
		while (*l && *l != '\n')
			l++;
		if (*l)
			l++;
	}
	return -ENOTSUP; /* before Linux 3.15: no way to tell a bind mount within procfs */
}

/*
 * Before openat2 (Linux 5.6): walk rel one component at a time with
 * O_NOFOLLOW, refusing a step onto another mount (its device, or its mount
 * id, differs from the root's: a procfs file bound over another one has the
 * same device) and every symlink except those directly in the root on the
 * way ("self", "thread-self", "net": plain procfs symlinks whose targets are
 * relative and stay beneath the root), as openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS and O_NOFOLLOW does.  The magic links live in
 * /proc/<pid>/ and are never followed.
 */
static int open_walk(int proc_root, const char *rel, int flags)
{
	if (!rel_ok(rel))
		return -EINVAL;
	struct stat rs;
	uint64_t root_mnt = 0;
	bool have_mnt;
	int r;
	if (fstat(proc_root, &rs) < 0)
		return -errno;
	r = mnt_id_of(proc_root, proc_root, &root_mnt);
	if (r < 0 && r != -ENOTSUP)
		return r;
	have_mnt = r == 0;

	char path[1024], comp[256];
	ss_strlcpy(path, rel, sizeof(path));
	int dir = proc_root, follows = 0;
	const char *p = path;
	for (;;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(comp) || is_dotdot(p, n)) {
			r = n >= sizeof(comp) ? -ENAMETOOLONG : -EINVAL;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		while (*e == '/')
			e++;
		bool last = !*e;
		int oflags = (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC;
		struct stat st;
		if (dir == proc_root && !last && fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			/* a symlink in the root: splice its (relative, ".."-free) target in front of the rest */
			char target[256], rest[1024];
			ssize_t tl = readlinkat(dir, comp, target, sizeof(target) - 1);
			if (tl <= 0 || ++follows > MAX_FOLLOWS) {
				r = tl < 0 ? -errno : -ELOOP;
				goto fail;
			}
			target[tl] = '\0';
			if (!rel_ok(target)) {
				r = -EXDEV;
				goto fail;
			}
			ss_strlcpy(rest, e, sizeof(rest));
			ss_strlcpy(path, target, sizeof(path));
			if (*rest) {
				ss_strlcat(path, "/", sizeof(path));
				if (ss_strlcat(path, rest, sizeof(path)) >= sizeof(path)) {
					r = -ENAMETOOLONG;
					goto fail;
				}
			}
			p = path;
			continue;
		}
		int fd = openat(dir, comp, oflags);
		if (fd < 0) {
			r = -errno;
			/* O_NOFOLLOW on a symlink: ELOOP at the end, ENOTDIR (O_DIRECTORY) on the way */
			if (r == -ENOTDIR && fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				r = -ELOOP;
			goto fail;
		}
		uint64_t mnt = 0;
		if (fstat(fd, &st) < 0 || st.st_dev != rs.st_dev ||
		    (have_mnt && (mnt_id_of(proc_root, fd, &mnt) < 0 || mnt != root_mnt))) {
			close(fd);
			r = -EXDEV;
			goto fail;
		}
		if (dir != proc_root)
			close(dir);
		dir = fd;
		if (last)
			return fd;
		p = e;
	}
fail:
	if (dir != proc_root)
		close(dir);
	return r;
}

/* The opened fd is a procfs file, and not a symlink (an O_PATH|O_NOFOLLOW open of a magic link). */
static int checked(int fd)
{
	struct stat st;
	if (fd < 0)
		return fd;
	int r = !ctr_fd_on_procfs(fd) ? -EXDEV : fstat(fd, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : 0;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ctr_procfs_open(int proc_root, const char *rel, int flags)
{
	if (!rel_ok(rel))
		return -EINVAL;
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
	int fd = (int)syscall(SYS_openat2, proc_root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		return checked(open_walk(proc_root, rel, flags));
	return checked(fd < 0 ? -errno : fd);
}

int ctr_procfs_open_fallback(int proc_root, const char *rel, int flags)
{
	return checked(open_walk(proc_root, rel, flags));
}

int ctr_procfs_write(int proc_root, const char *rel, const char *val, size_t len)
{
	int fd = ctr_procfs_open(proc_root, rel, O_WRONLY);
	if (fd < 0)
		return fd;
	/* one write: procfs files take their value in one go (a short write is an error) */
	ssize_t w;
	do
		w = write(fd, val, len);
	while (w < 0 && errno == EINTR);
	int r = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
	close(fd);
	return r;
}

int ctr_procfs_write_pid(int proc_root, pid_t pid, const char *file, const char *val, size_t len)
{
	char rel[128];
	if (pid <= 0)
		return -EINVAL;
	ss_fmt(rel, sizeof(rel), "%d/%s", (int)pid, file);
	int root = proc_root >= 0 ? proc_root : ctr_procfs_root();
	if (root < 0)
		return root;
	int r = ctr_procfs_write(root, rel, val, len);
	if (proc_root < 0)
		close(root);
	return r;
}

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

/* Before openat2: walk component by component without following symlinks, staying on the root's device. */
static int open_walk(int proc_root, const char *rel, int flags)
{
	struct stat rs;
	char comp[256];
	if (fstat(proc_root, &rs) < 0)
		return -errno;
	int dir = fcntl(proc_root, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return -errno;
	const char *p = rel;
	for (;;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(comp) || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(dir);
			return n >= sizeof(comp) ? -ENAMETOOLONG : -EINVAL;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		while (*e == '/')
			e++;
		bool last = !*e;
		/* "self" and "thread-self" are the only symlinks we accept: resolve them by hand */
		char num[64];
		if (!ss_strcmp(comp, "self") || !ss_strcmp(comp, "thread-self")) {
			long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
			if (comp[0] == 's')
				ss_fmt(num, sizeof(num), "%ld", pid);
			else
				ss_fmt(num, sizeof(num), "%ld/task/%ld", pid, tid);
			int sub = open_walk(dir, num, last ? flags : O_PATH | O_DIRECTORY);
			close(dir);
			if (sub < 0 || last)
				return sub;
			dir = sub;
			p = e;
			continue;
		}
		int fd = openat(dir, comp, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
		int err = errno;
		close(dir);
		if (fd < 0)
			return -err;
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_dev != rs.st_dev) {
			close(fd);
			return -EXDEV;
		}
		if (last)
			return fd;
		dir = fd;
		p = e;
	}
}

int ctr_procfs_open(int proc_root, const char *rel, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
	int fd = (int)syscall(SYS_openat2, proc_root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(proc_root, rel, flags);
	else if (fd < 0)
		fd = -errno;
	if (fd < 0)
		return fd;
	if (!ctr_fd_on_procfs(fd)) {
		close(fd);
		return -EXDEV;
	}
	return fd;
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
	ss_fmt(rel, sizeof(rel), "%d/%s", (int)pid, file);
	int root = proc_root >= 0 ? proc_root : ctr_procfs_root();
	if (root < 0)
		return root;
	int r = ctr_procfs_write(root, rel, val, len);
	if (proc_root < 0)
		close(root);
	return r;
}

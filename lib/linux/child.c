/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container process, from clone3() to execve().  Everything here is
 * async-signal-safe: raw syscalls, the ss_* helpers and the plan that the
 * parent built before clone.  No malloc, no stdio, no locks, no glibc
 * wrappers that talk to other threads (setresuid & co go through syscall()
 * because glibc's wrappers broadcast to every thread of the caller, which
 * do not exist in this copy of the process).
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/sched.h>

#include "linux/lifecycle.h"
#include "linux/sigsafe.h"
#include "linux/terminal.h"


static int fail(char *eb, size_t n, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *eb, size_t n, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t len = ss_vfmt(eb, n, fmt, ap);
	va_end(ap);
	ss_fmt(eb + len, n - len, ": %s", ss_strerror(e));
	return -(e > 0 ? e : EIO);
}

/* The wording engines match on: podman maps "executable file not found" and
 * "no such file or directory" to 127, "permission denied" to 126. */
static int check_program(const struct ctr_proc *proc, char *eb, size_t n)
{
	char found[PATH_MAX];
	const char *file = proc->argv[0];
	int r = ss_lookpath(file, proc->envp, found, sizeof(found));
	if (r == 0)
		return 0;
	bool has_slash = false;
	for (const char *c = file; *c; c++)
		has_slash |= *c == '/';
	if (r == -ENOENT && !has_slash)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": executable file not found in $PATH", file);
	else if (r == -ENOENT)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": stat %s: no such file or directory", file, file);
	else if (r == -EACCES || r == -EPERM)
		ss_fmt(eb, n, "process.args[0]: exec: \"%s\": permission denied", file);
	else
		return fail(eb, n, -r, "process.args[0]: exec: \"%s\"", file);
	return r;
}

pid_t ctr_clone3(uint64_t flags, int *pidfd, int exit_signal)
{
	return ctr_clone3_cg(flags, pidfd, exit_signal, -1);
}

pid_t ctr_clone3_cg(uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd)
{
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = flags | (pidfd ? CLONE_PIDFD : 0);
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = (uint64_t)exit_signal;
	if (cgroup_fd >= 0) {
		/* the child is born in the container's cgroup: no move and no round trip after */
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
		return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
#if !defined(__s390__) && !defined(__s390x__)
	/*
	 * clone3 is refused with ENOSYS by some seccomp profiles (container
	 * engines' defaults) and tools such as valgrind: clone() does the same
	 * for the flags that fit in 32 bits (all but CLONE_NEWTIME); with a NULL
	 * stack the child runs on a copy of ours, as with fork.
	 */
	if (pid < 0 && errno == ENOSYS && !(flags >> 32) && !(flags & CSIGNAL))
		pid = (pid_t)syscall(SYS_clone, (unsigned long)(a.flags | (uint64_t)exit_signal), NULL, pidfd,
				     NULL, NULL);
#endif
	return pid;
}

int ctr_fd_set_cloexec(int fd, bool on)
{
	int f = fcntl(fd, F_GETFD);
	if (f < 0)
		return -errno;
	f = on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, f) < 0 ? -errno : 0;
}

int ctr_msg_send(int fd, int type, int errnum, int pid, const void *payload, size_t len)
{
	struct ctr_msg h;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.err = errnum;
	h.pid = pid;
	h.len = (int)len;
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len ? 2 : 1;
	for (;;) {
		ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (r >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Receive one message into buf; returns the type, 0 on EOF, -errno. */
static int msg_recv(int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t r = recv(fd, buf, size, 0);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)r < sizeof(struct ctr_msg))
			return -EPROTO;
		struct ctr_msg h;
		memcpy(&h, buf, sizeof(h));
		return h.type;
	}
}

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/*
 * Open (O_PATH) the mount target rel beneath rootfd, creating missing
 * directories (and an empty file as the last component when file is set).
 * Every lookup is openat2(RESOLVE_IN_ROOT) from the rootfs, and each new entry
 * is made with mkdirat() in a parent resolved that way, so a symlink in the
 * rootfs cannot send us outside it.
 */
static int open_target(int rootfd, const char *rel, bool file, const char *label, char *eb, size_t n)
{
	if (!*rel) {
		int d = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
		return d < 0 ? fail(eb, n, errno, "%s: dup", label) : d;
	}
	int fd = sys_openat2(rootfd, rel, O_PATH | O_CLOEXEC, IN_ROOT);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return fail(eb, n, errno, "%s: open %s in the rootfs", label, rel);
	char buf[PATH_MAX];
	if (ss_strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf))
		return fail(eb, n, ENAMETOOLONG, "%s", label);
	size_t len = ss_strlen(buf);
	size_t start = 0;
	while (start < len) {
		size_t end = start;
		while (end < len && buf[end] != '/')
			end++;
		if (end == start) { /* "//" */
			start = end + 1;
			continue;
		}
		bool last = end >= len;
		char saved = buf[end];
		buf[end] = '\0';
		int cfd = sys_openat2(rootfd, buf, O_PATH | O_CLOEXEC, IN_ROOT);
		if (cfd < 0 && errno == ENOENT) {
			int pfd;
			if (start == 0) {
				pfd = rootfd;
			} else {
				buf[start - 1] = '\0';
				pfd = sys_openat2(rootfd, buf, O_PATH | O_CLOEXEC, IN_ROOT);
				buf[start - 1] = '/';
				if (pfd < 0)
					return fail(eb, n, errno, "%s: open the parent of %s", label, rel);
			}
			int r;
			if (last && file) {
				r = openat(pfd, buf + start, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(pfd, buf + start, 0755);
			}
			int e = errno;
			if (pfd != rootfd)
				close(pfd);
			if (r < 0 && e != EEXIST)
				return fail(eb, n, e, "%s: create %s in the rootfs", label, buf);
			cfd = sys_openat2(rootfd, buf, O_PATH | O_CLOEXEC, IN_ROOT);
		}
		if (cfd < 0)
			return fail(eb, n, errno, "%s: open %s in the rootfs", label, buf);
		buf[end] = saved;
		if (last)
			return cfd;
		close(cfd);
		start = end + 1;
	}
	/* rel ended with '/' */
	fd = sys_openat2(rootfd, rel, O_PATH | O_CLOEXEC, IN_ROOT);
	return fd >= 0 ? fd : fail(eb, n, errno, "%s: open %s in the rootfs", label, rel);
}

static void fd_path(char *buf, size_t n, int fd)
{
	ss_fmt(buf, n, "/proc/self/fd/%d", fd);
}

/* Flags the kernel locks on a mount seen from a less privileged user ns: keep them on remount. */
static unsigned long locked_flags(const char *path)
{
	/* statfs(2) itself, not statvfs(3), which may read /proc/mounts with stdio */
	struct statfs sf;
	unsigned long f = 0;
	if (statfs(path, &sf) < 0)
		return 0;
	if (sf.f_flags & ST_NOSUID)
		f |= MS_NOSUID;
	if (sf.f_flags & ST_NODEV)
		f |= MS_NODEV;
	if (sf.f_flags & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sf.f_flags & ST_RDONLY)
		f |= MS_RDONLY;
	if (sf.f_flags & ST_NOATIME)
		f |= MS_NOATIME;
	if (sf.f_flags & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sf.f_flags & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int remount_bind(const char *path, unsigned long flags)
{
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(path), NULL) == 0)
		return 0;
	return -errno;
}

/* Unescape mountinfo's octal escapes (\040 for a space) in place. */
static void mi_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * Remount read-only every mount below dir (after an rbind, the submounts keep
 * their own flags).  Reads /proc/self/mountinfo with a stack buffer.
 */
static int remount_below_ro(const char *dir, const char *label, char *eb, size_t n)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(eb, n, errno, "%s: open /proc/self/mountinfo", label);
	char buf[8192];
	size_t have = 0, dl = ss_strlen(dir);
	int r = 0;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = fail(eb, n, errno, "%s: read /proc/self/mountinfo", label);
			break;
		}
		have += (size_t)got;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			*nl = '\0';
			/* fields: id parent major:minor root mountpoint ... */
			char *f = line;
			for (int i = 0; i < 4 && f; i++) {
				f = memchr(f, ' ', (size_t)(nl - f));
				if (f)
					f++;
			}
			if (f) {
				char *end = memchr(f, ' ', (size_t)(nl - f));
				if (end) {
					*end = '\0';
					mi_unescape(f);
					if (!ss_strncmp(f, dir, dl) && f[dl] == '/') {
						int e = remount_bind(f, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
						if (e < 0 && e != -ENOENT) {
							r = fail(eb, n, -e, "%s: remount %s read-only", label, f);
							break;
						}
					}
				}
			}
			line = nl + 1;
		}
		if (r < 0)
			break;
		size_t left = have - (size_t)(line - buf);
		if (got == 0 || (left == have && have == sizeof(buf) - 1))
			break; /* EOF, or a line longer than the buffer */
		memmove(buf, line, left);
		have = left;
	}
	close(fd);
	return r;
}

/*
 * "tmpcopyup": copy the tree under src (the rootfs directory the tmpfs now
 * hides, opened before the mount) into dst (the new tmpfs): directories,
 * regular files, symlinks, with their mode and owner, as runc and crun do.
 * getdents64 and fd-relative calls only (async-signal-safe); depth-bounded.
 */
struct ss_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int copy_tree(int src, int dst, int depth, const char *label, char *eb, size_t n)
{
	char buf[2048];
	if (depth > 32)
		return fail(eb, n, ELOOP, "%s: tmpcopyup: directory tree too deep", label);
	for (;;) {
		long got = syscall(SYS_getdents64, src, buf, sizeof(buf));
		if (got < 0)
			return fail(eb, n, errno, "%s: tmpcopyup: read the directory", label);
		if (got == 0)
			return 0;
		for (long off = 0; off < got;) {
			struct ss_dirent64 *d = (struct ss_dirent64 *)(buf + off);
			off += d->reclen;
			const char *nm = d->name;
			if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
				continue;
			struct stat st;
			if (fstatat(src, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
				return fail(eb, n, errno, "%s: tmpcopyup: stat %s", label, nm);
			int r = 0;
			if (S_ISDIR(st.st_mode)) {
				if (mkdirat(dst, nm, st.st_mode & 07777) < 0 && errno != EEXIST)
					return fail(eb, n, errno, "%s: tmpcopyup: mkdir %s", label, nm);
				int s2 = openat(src, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				int d2 = openat(dst, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (s2 < 0 || d2 < 0)
					r = fail(eb, n, errno, "%s: tmpcopyup: open %s", label, nm);
				else
					r = copy_tree(s2, d2, depth + 1, label, eb, n);
				if (s2 >= 0)
					close(s2);
				if (d2 >= 0)
					close(d2);
			} else if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t l = readlinkat(src, nm, target, sizeof(target) - 1);
				if (l < 0)
					return fail(eb, n, errno, "%s: tmpcopyup: readlink %s", label, nm);
				target[l] = '\0';
				if (symlinkat(target, dst, nm) < 0)
					return fail(eb, n, errno, "%s: tmpcopyup: symlink %s", label, nm);
			} else if (S_ISREG(st.st_mode)) {
				int in = openat(src, nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
				int out = in < 0 ? -1
						 : openat(dst, nm, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
							  st.st_mode & 07777);
				if (in < 0 || out < 0)
					r = fail(eb, n, errno, "%s: tmpcopyup: open %s", label, nm);
				char data[4096];
				ssize_t k;
				while (r == 0 && (k = read(in, data, sizeof(data))) != 0) {
					if (k < 0 && errno == EINTR)
						continue;
					if (k < 0 || ss_write_all(out, data, (size_t)k) < 0)
						r = fail(eb, n, errno, "%s: tmpcopyup: copy %s", label, nm);
				}
				if (in >= 0)
					close(in);
				if (out >= 0)
					close(out);
			} else {
				continue; /* device nodes, fifos, sockets: not copied, as with crun */
			}
			if (r < 0)
				return r;
			/* an owner the user namespace does not map stays the creator's */
			if (fchownat(dst, nm, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL &&
			    errno != EPERM)
				return fail(eb, n, errno, "%s: tmpcopyup: chown %s", label, nm);
			if (S_ISDIR(st.st_mode) && fchmodat(dst, nm, st.st_mode & 07777, 0) < 0)
				return fail(eb, n, errno, "%s: tmpcopyup: chmod %s", label, nm);
		}
	}
}

/*
 * CTR_MNT_CGROUP_V1: a tmpfs at the target, then for each hierarchy the
 * container's own cgroup (its line in /proc/self/cgroup: the process is in
 * its cgroups by now) bound from the host's mount of that hierarchy, with
 * the mount's flags, and the host's symlinks.  path is the target's
 * /proc/self/fd path; the tmpfs is looked up again from rootfd.
 */
static int mount_cgroup_v1(const struct ctr_mnt *m, int rootfd, const char *path, char *eb, size_t n)
{
	char cg[8192], src[PATH_MAX], fdp[64];
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = 0;
	if (mount("tmpfs", path, "tmpfs", fl, "mode=755") < 0)
		return fail(eb, n, errno, "%s: mount tmpfs for the cgroup hierarchies", m->label);
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, cg, sizeof(cg) - 1);
	if (fd >= 0)
		close(fd);
	if (len < 0)
		return fail(eb, n, errno, "%s: read /proc/self/cgroup", m->label);
	cg[len] = '\0';
	int dfd = open_target(rootfd, m->dst, false, m->label, eb, n);
	if (dfd < 0)
		return dfd;
	for (size_t i = 0; i < m->n_cg_subs && r == 0; i++) {
		const struct ctr_cg_sub *s = &m->cg_subs[i];
		if (s->link) {
			if (symlinkat(s->link, dfd, s->name) < 0 && errno != EEXIST)
				r = fail(eb, n, errno, "%s: symlink %s", m->label, s->name);
			continue;
		}
		/* find "id:<ctrls>:<path>\n"; src = host mount + path */
		const char *cgpath = NULL, *end = NULL;
		size_t cl = ss_strlen(s->ctrls);
		for (const char *l = cg; *l && !cgpath;) {
			const char *nl = l, *c1 = l;
			while (*nl && *nl != '\n')
				nl++;
			while (c1 < nl && *c1 != ':')
				c1++;
			if (c1 + 1 + cl < nl && !ss_strncmp(c1 + 1, s->ctrls, cl) && c1[1 + cl] == ':') {
				cgpath = c1 + 2 + cl;
				end = nl;
			}
			l = *nl ? nl + 1 : nl;
		}
		if (!cgpath)
			continue; /* not in this hierarchy: nothing to show */
		size_t hl = ss_strlcpy(src, s->host_mnt, sizeof(src));
		if (hl + (size_t)(end - cgpath) >= sizeof(src)) {
			r = fail(eb, n, ENAMETOOLONG, "%s: %s", m->label, s->host_mnt);
			break;
		}
		memcpy(src + hl, cgpath, (size_t)(end - cgpath));
		src[hl + (size_t)(end - cgpath)] = '\0';
		if (mkdirat(dfd, s->name, 0755) < 0 && errno != EEXIST) {
			r = fail(eb, n, errno, "%s: mkdir %s", m->label, s->name);
			break;
		}
		int sfd = openat(dfd, s->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			r = fail(eb, n, errno, "%s: open %s", m->label, s->name);
			break;
		}
		fd_path(fdp, sizeof(fdp), sfd);
		if (m->cg_own_ns) {
			/* /proc/self/cgroup is relative to the namespace now: a new mount of the
			 * hierarchy is rooted at the container's cgroup, a bind would not be */
			bool v2 = !*s->ctrls;
			if (mount("cgroup", fdp, v2 ? "cgroup2" : "cgroup", fl, v2 ? NULL : s->ctrls) < 0)
				r = fail(eb, n, errno, "%s: mount the %s hierarchy in the cgroup namespace", m->label,
					 v2 ? "cgroup2" : s->ctrls);
		} else if (mount(src, fdp, NULL, MS_BIND, NULL) < 0) {
			r = fail(eb, n, errno, "%s: bind %s", m->label, src);
		}
		close(sfd);
		if (r == 0 && (sfd = openat(dfd, s->name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			/* reopened: the fd above is below the new mount */
			fd_path(fdp, sizeof(fdp), sfd);
			int e = remount_bind(fdp, m->flags | fl);
			close(sfd);
			if (e < 0)
				r = fail(eb, n, -e, "%s: remount %s with the mount options", m->label, s->name);
		}
	}
	close(dfd);
	if (r == 0 && (m->flags & MS_RDONLY)) {
		int tfd = open_target(rootfd, m->dst, false, m->label, eb, n);
		if (tfd < 0)
			return tfd;
		fd_path(fdp, sizeof(fdp), tfd);
		if (mount(NULL, fdp, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755") < 0)
			r = fail(eb, n, errno, "%s: remount the tmpfs read-only", m->label);
		close(tfd);
	}
	return r;
}

/*
 * Mounts use the /proc/self/fd/N path of a target opened safely beneath the
 * rootfs: mount(2) follows that magic link to the very dentry we resolved,
 * so the target cannot be swapped for a symlink pointing out of the rootfs.
 */
static int do_mount(const struct ctr_mnt *m, int rootfd, char *eb, size_t n)
{
	char path[64];
	int tfd = open_target(rootfd, m->dst, m->file_target, m->label, eb, n);
	if (tfd < 0)
		return tfd;
	fd_path(path, sizeof(path), tfd);
	int r = 0;
	bool remount = false;
	switch (m->kind) {
	case CTR_MNT_BIND:
		if (mount(m->src, path, NULL, MS_BIND | (m->rec ? MS_REC : 0), NULL) < 0)
			r = fail(eb, n, errno, "%s: mount bind %s", m->label, m->src);
		remount = m->ro_remount;
		break;
	case CTR_MNT_IDMAP:
		if (move_mount(m->tree_fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			r = fail(eb, n, errno, "%s: move the idmapped mount of %s into place", m->label, m->src);
		remount = m->ro_remount;
		break;
	case CTR_MNT_SYSFS_BIND:
		if (mount("/sys", path, NULL, MS_BIND | MS_REC, NULL) < 0)
			r = fail(eb, n, errno, "%s: rbind /sys (sysfs in a user namespace without its own network namespace)",
				 m->label);
		remount = m->ro_remount;
		break;
	case CTR_MNT_CGROUP_V1:
		r = mount_cgroup_v1(m, rootfd, path, eb, n);
		break;
	case CTR_MNT_CGROUP:
		if (mount("cgroup2", path, "cgroup2", m->flags, NULL) < 0) {
			/* refused (a user namespace without its own cgroup namespace): show the
			 * host's hierarchies, every one of them read-only */
			if (mount("/sys/fs/cgroup", path, NULL, MS_BIND | MS_REC, NULL) < 0) {
				r = fail(eb, n, errno, "%s: mount cgroup2, then rbind /sys/fs/cgroup", m->label);
			} else {
				char real[PATH_MAX];
				int tfd2 = open_target(rootfd, m->dst, false, m->label, eb, n);
				if (tfd2 < 0) {
					r = tfd2;
					break;
				}
				char p2[64];
				fd_path(p2, sizeof(p2), tfd2);
				ssize_t rl = readlink(p2, real, sizeof(real) - 1);
				close(tfd2);
				if (rl < 0) {
					r = fail(eb, n, errno, "%s: readlink %s", m->label, p2);
					break;
				}
				real[rl] = '\0';
				if ((r = remount_below_ro(real, m->label, eb, n)) < 0)
					break;
				remount = true;
			}
		}
		break;
	default: {
		int below = -1;
		if (m->copyup && (below = openat(tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			r = fail(eb, n, errno, "%s: tmpcopyup: open the directory to copy", m->label);
			break;
		}
		if (mount(m->src ? m->src : (m->type ? m->type : "none"), path, m->type, m->flags, m->data) < 0)
			r = fail(eb, n, errno, "%s: mount %s %s", m->label, m->type ? m->type : "(no type)",
				 m->src ? m->src : "");
		if (r == 0 && below >= 0) {
			/* the fd we had points below the new mount: look the tmpfs up again */
			int top = open_target(rootfd, m->dst, false, m->label, eb, n);
			int topd = top < 0 ? -1 : openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (top >= 0 && topd < 0)
				r = fail(eb, n, errno, "%s: tmpcopyup: open the new tmpfs", m->label);
			else
				r = top < 0 ? top : copy_tree(below, topd, 0, m->label, eb, n);
			if (top >= 0)
				close(top);
			if (topd >= 0)
				close(topd);
		}
		if (below >= 0)
			close(below);
		break;
	}
	}
	close(tfd);
	if (r < 0)
		return r;
	if (!remount && !m->propagation)
		return 0;
	/* reopen: the fd we had points below the new mount, not at it */
	tfd = open_target(rootfd, m->dst, false, m->label, eb, n);
	if (tfd < 0)
		return tfd;
	fd_path(path, sizeof(path), tfd);
	if (remount) {
		unsigned long fl = m->flags;
		if (m->kind == CTR_MNT_CGROUP)
			fl |= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		if ((r = remount_bind(path, fl)) < 0)
			r = fail(eb, n, -r, "%s: remount with the mount options", m->label);
	}
	if (r == 0 && m->propagation && mount(NULL, path, NULL, m->propagation, NULL) < 0)
		r = fail(eb, n, errno, "%s: set propagation", m->label);
	close(tfd);
	return r;
}

static int write_file(const char *path, const char *val, char *eb, size_t n, const char *what)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(eb, n, errno, "%s: open %s", what, path);
	int r = ss_write_all(fd, val, ss_strlen(val));
	close(fd);
	return r < 0 ? fail(eb, n, -r, "%s: write %s", what, path) : 0;
}

static int mask_paths(const struct ctr_plan *p, char *eb, size_t n)
{
	/*
	 * Path-based mounts after pivot_root: nothing of the container has run
	 * yet, so nobody can race us on these paths; O_NOFOLLOW tells symlinks
	 * apart, which are not masked (they resolve inside the container anyway).
	 */
	for (size_t i = 0; i < p->n_masked; i++) {
		const char *path = p->masked[i];
		struct stat st;
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(eb, n, errno, "linux.maskedPaths[%zu] (%s): stat", i, path);
		}
		int r;
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0");
		else
			r = mount("/dev/null", path, NULL, MS_BIND, NULL);
		if (r < 0 && errno != ENOENT)
			return fail(eb, n, errno, "linux.maskedPaths[%zu] (%s): mount", i, path);
	}
	for (size_t i = 0; i < p->n_readonly; i++) {
		const char *path = p->readonly[i];
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(eb, n, errno, "linux.readonlyPaths[%zu] (%s): bind", i, path);
		}
		int r = remount_bind(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
		if (r < 0)
			return fail(eb, n, -r, "linux.readonlyPaths[%zu] (%s): remount read-only", i, path);
	}
	return 0;
}

static int capset_sets(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

#define ADMIN (1ull << CAP_SYS_ADMIN)

/*
 * Loading a seccomp filter without no_new_privs takes CAP_SYS_ADMIN, and the
 * filter is loaded last (ctr_proc_exec): when the final capabilities lack it,
 * ctr_proc_apply keeps it in the effective and permitted sets and
 * ctr_proc_exec drops it right after the load.
 */
static bool seccomp_needs_admin(const struct ctr_proc *p)
{
	if (!p->seccomp_filter || p->nnp)
		return false;
	if (p->has_caps)
		return !(p->cap_eff & ADMIN);
	return p->uid != 0; /* root keeps every capability, anyone else loses them at setresuid */
}

int ctr_proc_terminal(const struct ctr_proc *p, char *eb, size_t n)
{
	int r;
	if (p->setsid && !p->terminal)
		(void)setsid();
	if (p->terminal && p->console_sock >= 0) {
		if ((r = ctr_term_child_setup(p->console_sock, p->has_console_size, p->rows, p->cols, eb, n)) < 0)
			return r;
		/* the init's pty is the container's /dev/console (config-linux.md "Default Devices") */
		if (p->bind_console && (r = ctr_term_bind_console(0, "/dev/console", eb, n)) < 0)
			return r;
	}
	return 0;
}

int ctr_proc_apply(const struct ctr_proc *p, char *eb, size_t n)
{
	int r;
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (syscall(SYS_prlimit64, 0, p->rlimits[i].resource, &p->rlimits[i].lim, NULL) < 0)
			return fail(eb, n, errno, "process.rlimits[%zu]: setrlimit", i);
	bool cwd_done = chdir(p->cwd) == 0;
	if (p->has_personality && personality(p->personality) < 0)
		return fail(eb, n, errno, "linux.personality: personality");
	if (p->has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->ioprio) < 0)
		return fail(eb, n, errno, "process.ioPriority: ioprio_set");
	if (p->has_sched && syscall(SYS_sched_setattr, 0, &p->sched, 0) < 0)
		return fail(eb, n, errno, "process.scheduler: sched_setattr");
	if (p->has_cpus_final && sched_setaffinity(0, sizeof(p->cpus_final), &p->cpus_final) < 0)
		return fail(eb, n, errno, "process.execCPUAffinity.final: sched_setaffinity");
	/* the seccomp filter is loaded by ctr_proc_exec; see there for CAP_SYS_ADMIN */
	bool admin = seccomp_needs_admin(p);
	if (admin && !p->has_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(eb, n, errno, "prctl(PR_SET_KEEPCAPS)");
	if (p->has_caps) {
		for (int c = 0; c <= p->last_cap; c++)
			if (!(p->cap_bnd & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return fail(eb, n, errno, "process.capabilities.bounding: drop capability %d", c);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return fail(eb, n, errno, "prctl(PR_SET_KEEPCAPS)");
	}
	/* raw syscalls: glibc's wrappers would try to signal threads this process does not have */
	if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0 && !(errno == EPERM && p->n_groups == 0))
		return fail(eb, n, errno, "process.user.additionalGids: setgroups");
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		return fail(eb, n, errno, "process.user.gid: setresgid %u (is it mapped in the user namespace?)",
			    (unsigned)p->gid);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		return fail(eb, n, errno, "process.user.uid: setresuid %u (is it mapped in the user namespace?)",
			    (unsigned)p->uid);
	if (admin && !p->has_caps && (r = capset_sets(ADMIN, ADMIN, 0)) < 0)
		return fail(eb, n, -r, "keep CAP_SYS_ADMIN to load the seccomp filter: capset");
	if (p->has_caps) {
		uint64_t extra = admin ? ADMIN : 0;
		if ((r = capset_sets(p->cap_eff | extra, p->cap_prm | extra, p->cap_inh)) < 0)
			return fail(eb, n, -r, "process.capabilities: capset");
		/* an ambient capability the kernel refuses (not also permitted and
		 * inheritable: EPERM) is skipped, as runc and crun do */
		for (int c = 0; c <= p->last_cap; c++)
			if ((p->cap_amb & (1ull << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 &&
			    errno != EPERM)
				return fail(eb, n, errno, "process.capabilities.ambient: raise capability %d", c);
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (!cwd_done && chdir(p->cwd) < 0)
		return fail(eb, n, errno, "process.cwd: chdir %s", p->cwd);
	if (p->has_umask)
		umask(p->umask);
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(eb, n, errno, "process.noNewPrivileges: prctl");
	/* fds 3 .. 3+preserve_fds-1 go to the program; everything else closes at exec */
	for (int fd = 3; fd < 3 + p->preserve_fds; fd++)
		(void)ctr_fd_set_cloexec(fd, false);
	if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0u, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS)
		return fail(eb, n, errno, "close_range");
	return 0;
}

int ctr_proc_exec(const struct ctr_proc *p, char *eb, size_t n)
{
	int r;
	/* the LSM label applies at execve (procfs of the container: it must mount /proc) */
	if (p->lsm_path && (r = write_file(p->lsm_path, p->lsm_value, eb, n, "process LSM label")) < 0)
		return r;
	/*
	 * The seccomp filter comes last, right before execve, for every process
	 * (init after the start request, exec): the profile is the user program's,
	 * and may deny or notify what the runtime still does before it (waiting
	 * for start, accept4, recv, mounts, setresuid, ...).  After it only these
	 * system calls run: with SCMP_ACT_NOTIFY, sendmsg of the listener fd (the
	 * profile may not notify sendmsg, plan time checks that) and recvfrom of
	 * the runtime's word that the agent has it; capset when CAP_SYS_ADMIN was
	 * kept only to load the filter; execve.  A notified recvfrom, capset or
	 * execve is fine: the agent has the listener by then.  A recvfrom that
	 * the profile denies goes on to execve: if the runtime could not reach
	 * the agent it kills this process.
	 */
	int listener = -1;
	if ((r = ctr_seccomp_load(p, &listener, eb, n)) < 0)
		return r;
	if (listener >= 0) {
		if (p->notify_sock < 0)
			return fail(eb, n, EINVAL, "linux.seccomp: no channel to pass the listener fd on");
		if ((r = ctr_seccomp_send_listener(p->notify_sock, listener)) < 0)
			return fail(eb, n, -r, "linux.seccomp: pass the listener fd to the runtime (does the profile "
				    "deny sendmsg?)");
		/* the program must not run before the agent can answer for it */
		char go;
		ssize_t got;
		while ((got = recv(p->notify_sock, &go, 1, 0)) < 0 && errno == EINTR)
			;
		if (got == 0)
			_exit(127); /* the runtime gave up (and kills us) */
	}
	/*
	 * Drop the CAP_SYS_ADMIN kept for the load.  Belt and braces: it was only
	 * added to the effective and permitted sets, which execve does not carry
	 * over (the new permitted set comes from the inheritable, bounding and
	 * ambient sets and the file's), so a profile that denies capset, or an
	 * agent that answers it without running it, leaves nothing behind.
	 */
	if (seccomp_needs_admin(p))
		(void)(p->has_caps ? capset_sets(p->cap_eff, p->cap_prm, p->cap_inh) : capset_sets(0, 0, 0));
	r = ss_execvpe(p->argv[0], p->argv, p->envp);
	return fail(eb, n, -r, "exec %s", p->argv[0]);
}

/* Place the requested fds on 0, 1, 2 (through temporary copies so they cannot clobber each other). */
static int setup_stdio(const int stdio[3], char *eb, size_t n)
{
	int tmp[3] = {-1, -1, -1};
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0 && stdio[i] != i) {
			tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
			if (tmp[i] < 0)
				return fail(eb, n, errno, "stdio: dup fd %d", stdio[i]);
		}
	for (int i = 0; i < 3; i++)
		if (tmp[i] >= 0) {
			if (dup3(tmp[i], i, 0) < 0)
				return fail(eb, n, errno, "stdio: dup onto fd %d", i);
			close(tmp[i]);
		} else if (stdio[i] == i) {
			(void)ctr_fd_set_cloexec(i, false);
		}
	return 0;
}

static void reset_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	sigset_t all;
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
}

/* After PR_SET_PDEATHSIG: if the creator died before it took effect, the sync socket is hung up. */
static void die_if_orphan(int sync_fd)
{
	struct pollfd pfd = {sync_fd, POLLRDHUP, 0};
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP)))
		_exit(1);
}

static int wait_go(struct ctr_plan *p, char *eb, size_t n, const char *what)
{
	int t = msg_recv(p->sync_fd, p->msgbuf, CTR_MSG_MAX);
	if (t == CTR_MSG_GO)
		return 0;
	if (t == 0)
		_exit(1); /* the parent gave up: nothing to report to */
	return fail(eb, n, t < 0 ? -t : EPROTO, "%s: waiting for the runtime", what);
}

/*
 * A createContainer hook that is an NVIDIA verb libctr runs itself: that code
 * is not async-signal-safe, so the runtime runs it against our mount
 * namespace (through /proc/<pid>/root) while we wait.  Its GO carries the
 * state again, which keeps msgbuf as the next hooks read it.
 */
static int native_hook(void *arg, size_t idx, char *eb, size_t n)
{
	struct ctr_plan *p = arg;
	int r = ctr_msg_send(p->sync_fd, CTR_MSG_NATIVE_HOOK, 0, (int)idx, NULL, 0);
	if (r < 0)
		return fail(eb, n, -r, "hooks.createContainer[%zu]: ask the runtime", idx);
	return wait_go(p, eb, n, "hooks.createContainer (run by the runtime)");
}

static int child_setup(struct ctr_plan *p, char *eb, size_t n)
{
	int r;
	static const int ns_order[] = {OCI_NS_USER, OCI_NS_PID, OCI_NS_TIME, OCI_NS_NETWORK, OCI_NS_IPC,
				       OCI_NS_UTS, OCI_NS_CGROUP, OCI_NS_MOUNT};
	static const char *const ns_names[] = {
		[OCI_NS_PID] = "pid", [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount", [OCI_NS_IPC] = "ipc",
		[OCI_NS_UTS] = "uts", [OCI_NS_USER] = "user",	      [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
	};

	if ((r = setup_stdio(p->proc.stdio, eb, n)) < 0)
		return r;
	/* the container's cgroups before any namespace (and so before the cgroup ns) */
	if ((r = ctr_cgroup_join_self(p->cg_fds, p->n_cg_fds, eb, n)) < 0)
		return r;
	/* a joined user namespace first: the others are owned by it */
	if (p->ns_fds[OCI_NS_USER] >= 0 && setns(p->ns_fds[OCI_NS_USER], CLONE_NEWUSER) < 0)
		return fail(eb, n, errno, "linux.namespaces (user): setns");
	if (p->userns_new) {
		if ((r = wait_go(p, eb, n, "user namespace maps")) < 0)
			return r;
	}
	if (p->has_userns) {
		if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
			return fail(eb, n, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
	}
	for (size_t i = 1; i < CTR_ARRAY_SIZE(ns_order); i++) {
		int t = ns_order[i];
		if (p->ns_fds[t] >= 0 && setns(p->ns_fds[t], p->ns_flag[t]) < 0)
			return fail(eb, n, errno, "linux.namespaces (%s): setns", ns_names[t]);
	}
	/* in the container's cgroups (joined at the top, or moved by the runtime): now its cgroup ns roots there */
	if (p->cg_unshare && unshare(CLONE_NEWCGROUP) < 0)
		return fail(eb, n, errno, "linux.namespaces (cgroup): unshare");
	if (p->join_pid_or_time) {
		/*
		 * setns() into a pid or time namespace only applies to children: fork
		 * the real init as a sibling (CLONE_PARENT keeps the caller its parent),
		 * tell the caller its pid and leave.
		 */
		if (p->time_new) {
			if (unshare(CLONE_NEWTIME) < 0)
				return fail(eb, n, errno, "linux.namespaces (time): unshare");
			if (p->time_offsets &&
			    (r = write_file("/proc/self/timens_offsets", p->time_offsets, eb, n, "linux.timeOffsets")) < 0)
				return r;
		}
		pid_t pid = ctr_clone3(CLONE_PARENT | p->late_flags, NULL, 0);
		if (pid < 0)
			return fail(eb, n, errno, "clone3 into the joined pid namespace");
		if (pid > 0) {
			(void)ctr_msg_send(p->sync_fd, CTR_MSG_PID, 0, pid, NULL, 0);
			_exit(0);
		}
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			return fail(eb, n, errno, "prctl(PR_SET_PDEATHSIG)");
		die_if_orphan(p->sync_fd);
	}

	/* the rootfs: make the tree a slave (or as rootfsPropagation asks), bind the rootfs on itself */
	unsigned long prop = MS_REC | MS_SLAVE;
	if (p->root_prop & (MS_PRIVATE))
		prop = p->root_prop | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return fail(eb, n, errno, "make the mount tree private");
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(eb, n, errno, "root.path: bind %s onto itself", p->rootfs);
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail(eb, n, errno, "root.path: open %s", p->rootfs);
	/* a cgroup mount in a cgroup namespace of its own mounts the hierarchies rooted at it */
	bool own_cgns = p->cg_unshare || p->ns_fds[OCI_NS_CGROUP] >= 0 ||
			((p->clone_flags | p->late_flags) & CLONE_NEWCGROUP);
	for (size_t i = 0; i < p->n_mnts; i++) {
		p->mnts[i].cg_own_ns = own_cgns;
		if ((r = do_mount(&p->mnts[i], rootfd, eb, n)) < 0)
			return r;
	}
	if (p->dev && (r = ctr_dev_plan_apply(p->dev, rootfd, eb, n)) < 0)
		return r;
	if (p->hostname && sethostname(p->hostname, ss_strlen(p->hostname)) < 0)
		return fail(eb, n, errno, "hostname: sethostname '%s'", p->hostname);
	if (p->domainname && setdomainname(p->domainname, ss_strlen(p->domainname)) < 0)
		return fail(eb, n, errno, "domainname: setdomainname '%s'", p->domainname);
	/* /proc/sys entries of namespaced sysctls act on the writer's namespaces: ours */
	for (size_t i = 0; i < p->n_sysctl; i++)
		if ((r = write_file(p->sysctl_path[i], p->sysctl_value[i], eb, n, "linux.sysctl")) < 0)
			return r;
	size_t state_len = 0;
	if (p->want_hooks_msg) {
		if ((r = ctr_msg_send(p->sync_fd, CTR_MSG_HOOKS, 0, 0, NULL, 0)) < 0)
			return fail(eb, n, -r, "hooks: ask the runtime");
		if ((r = wait_go(p, eb, n, "hooks.prestart/createRuntime")) < 0)
			return r;
		struct ctr_msg h;
		memcpy(&h, p->msgbuf, sizeof(h));
		state_len = (size_t)h.len;
		if (p->hk_create_container.n &&
		    (r = ctr_sighooks_run_native(&p->hk_create_container, p->msgbuf + sizeof(h), state_len,
						 native_hook, p, eb, n)) < 0)
			return r;
	}

	if (fchdir(rootfd) < 0)
		return fail(eb, n, errno, "root.path: chdir %s", p->rootfs);
	if (p->no_pivot) {
		/* for roots on ramfs, where pivot_root is refused: move the rootfs over / and chroot */
		if (mount(p->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return fail(eb, n, errno, "root.path: move %s to /", p->rootfs);
		if (chroot(".") < 0)
			return fail(eb, n, errno, "root.path: chroot");
	} else {
		int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (oldroot < 0)
			return fail(eb, n, errno, "open the old root");
		if (syscall(SYS_pivot_root, ".", ".") < 0) {
			int e = errno;
			close(oldroot);
			return fail(eb, n, e, "root.path: pivot_root %s (a rootfs on ramfs/initramfs needs no_pivot)",
				    p->rootfs);
		}
		/*
		 * The old root now sits on top of the new one.  Go to it by fd (what
		 * "." is after pivot_root is not a kernel promise) so that making it a
		 * slave, which keeps its unmount from reaching the host, touches only
		 * the old tree and not the container's mounts (rshared ones stay shared).
		 */
		if (fchdir(oldroot) < 0) {
			int e = errno;
			close(oldroot);
			return fail(eb, n, e, "chdir to the old root");
		}
		close(oldroot);
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return fail(eb, n, errno, "make the old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return fail(eb, n, errno, "detach the old root");
	}
	if (chdir("/") < 0)
		return fail(eb, n, errno, "chdir /");
	close(rootfd);
	if (p->root_prop && !(p->root_prop & MS_PRIVATE) && mount(NULL, "/", NULL, p->root_prop, NULL) < 0)
		return fail(eb, n, errno, "linux.rootfsPropagation: set on /");
	if (p->readonly_root) {
		if ((r = remount_bind("/", MS_RDONLY)) < 0)
			return fail(eb, n, -r, "root.readonly: remount / read-only");
	}
	if ((r = mask_paths(p, eb, n)) < 0)
		return r;
	if (p->keyring_name && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring_name) < 0 &&
	    errno != EPERM && errno != ENOSYS && errno != EACCES && errno != EDQUOT)
		return fail(eb, n, errno, "join a new session keyring");
	/* the pty master reaches the console socket during create, as with runc */
	if ((r = ctr_proc_terminal(&p->proc, eb, n)) < 0)
		return r;
	bool deferred = p->hk_start_container.n > 0;
	if (!deferred && (r = ctr_proc_apply(&p->proc, eb, n)) < 0)
		return r;
	/*
	 * Like runc, find the program now, as the user that will run it, so that
	 * create fails (and engines report 127/126) instead of start.  With
	 * startContainer hooks the check waits: a hook may provide the program.
	 */
	if (!deferred && (r = check_program(&p->proc, eb, n)) < 0)
		return r;
	if ((r = ctr_msg_send(p->sync_fd, CTR_MSG_CREATED, 0, 0, NULL, 0)) < 0)
		return fail(eb, n, -r, "report created");
	if ((r = wait_go(p, eb, n, "create")) < 0)
		return r;
	(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	struct ctr_msg h;
	memcpy(&h, p->msgbuf, sizeof(h));
	state_len = (size_t)h.len;
	close(p->sync_fd);

	/* created: wait for start */
	for (;;) {
		int c = accept4(p->start_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(126);
		}
		char word[16];
		ssize_t got = recv(c, word, sizeof(word) - 1, 0);
		if (got != 5 || ss_strncmp(word, "start", 5) != 0) {
			close(c);
			continue;
		}
		p->proc.notify_sock = c;
		if (deferred) {
			r = ctr_sighooks_run(&p->hk_start_container, p->msgbuf + sizeof(h), state_len, eb, n);
			if (r == 0)
				r = ctr_proc_apply(&p->proc, eb, n);
		}
		if (r == 0)
			r = ctr_proc_exec(&p->proc, eb, n);
		(void)ctr_msg_send(c, CTR_MSG_ERROR, -r, 0, eb, ss_strlen(eb));
		_exit(127);
	}
}

void ctr_child_main(struct ctr_plan *p)
{
	char eb[CTR_ERRBUF];
	eb[0] = '\0';
	reset_signals();
	if (p->parent_sync_fd >= 0)
		close(p->parent_sync_fd);
	if (p->state_lock_fd >= 0)
		close(p->state_lock_fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	die_if_orphan(p->sync_fd);
	int r = child_setup(p, eb, sizeof(eb));
	(void)ctr_msg_send(p->sync_fd, CTR_MSG_ERROR, -r, 0, eb, ss_strlen(eb));
	_exit(1);
}

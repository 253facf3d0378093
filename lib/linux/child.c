/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container process, from clone3() to the exec of the init stub.
 * Everything here is async-signal-safe: raw syscalls, the ss_* helpers and
 * the plan that the parent built before clone.  No malloc, no stdio, no
 * locks, no glibc wrappers that talk to other threads (setresuid & co go
 * through syscall() because glibc's wrappers broadcast to every thread of
 * the caller, which do not exist in this copy of the process).
 *
 * The order is the security model's (DESIGN.md, README "Security model"):
 *  1. right after clone: non-dumpable, default signals, every fd of the
 *     caller's process closed but the ones the plan names (close_range);
 *  2. cgroups, namespaces, the rootfs and its mounts, devices, sysctls,
 *     masked and read-only paths, the pty, all before pivot_root and by fd:
 *     paths from the config or the image are resolved beneath the rootfs
 *     with openat2(RESOLVE_IN_ROOT), procfs is the caller's own (opened
 *     before any setns, checked: linux/procfs.h);
 *  3. pivot_root, then exec of the sealed init stub (init/ctr-init.c),
 *     which waits for start holding nothing of the host and drops
 *     credentials as late as possible.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/resource.h>
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
#include "linux/procfs.h"
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

/* clone3's arguments: flags, a pidfd in *pidfd when asked, CLONE_INTO_CGROUP when cgroup_fd >= 0 */
static void clone_args_init(struct clone_args *a, uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags | (pidfd ? CLONE_PIDFD : 0) | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
	a->pidfd = (uint64_t)(uintptr_t)pidfd;
	a->exit_signal = (uint64_t)exit_signal;
	a->cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;
}

pid_t ctr_clone3(uint64_t flags, int *pidfd, int exit_signal)
{
	return ctr_clone3_cg(flags, pidfd, exit_signal, -1);
}

#ifdef CTR_TSAN
/*
 * ThreadSanitizer builds only.  A raw clone3 bypasses the runtime's fork
 * handling, so the child could inherit one of TSan's internal mutexes held
 * by another thread at that instant and hang in its first intercepted call
 * (seen in tests/security/tsan.sh: an exec helper stuck in write() ->
 * __tsan::FdRelease -> Mutex::Lock, about one run in forty).  glibc's clone()
 * is intercepted (TSan takes its locks around it, as for fork), and its
 * child longjmps back into tsan_clone's frame, still intact in the child's
 * copy of this stack, to return 0 as fork does.  What clone() cannot do
 * (CLONE_INTO_CGROUP, flags above 32 bits, CLONE_NEWTIME) is ENOSYS, which
 * the callers handle as they do a seccomp profile that refuses clone3.
 */
struct tsan_clone {
	jmp_buf back;
	char stack[16384] __attribute__((aligned(16)));
};

static int tsan_clone_child(void *arg)
{
	longjmp(((struct tsan_clone *)arg)->back, 1);
}

static pid_t tsan_clone(uint64_t flags, int *pidfd, int exit_signal)
{
	if ((flags >> 32) || (flags & CSIGNAL)) {
		errno = ENOSYS;
		return -1;
	}
	struct tsan_clone t;
	if (setjmp(t.back))
		return 0;
	return clone(tsan_clone_child, t.stack + sizeof(t.stack), (int)(flags | (unsigned)exit_signal), &t, pidfd);
}
#endif

pid_t ctr_clone3_cg(uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd)
{
#ifdef CTR_TSAN
	if (cgroup_fd >= 0) {
		errno = ENOSYS;
		return -1;
	}
	return tsan_clone(flags | (pidfd ? CLONE_PIDFD : 0), pidfd, exit_signal);
#endif
	struct clone_args a;
	clone_args_init(&a, flags, pidfd, exit_signal, cgroup_fd);
	if (cgroup_fd >= 0) /* the child is born in the container's cgroup: no move and no round trip after */
		return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
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

#if defined(__x86_64__) && !defined(CTR_TSAN)
/*
 * long ctr_clone3_raw(struct clone_args *a, size_t size, int (*fn)(void *), void *arg): the child
 * starts on the stack clone3 gave it with the registers of the call, so fn
 * and arg ride in r8 and r9 (the syscall clobbers rax, rcx and r11 only);
 * it calls fn(arg) with a zeroed frame pointer and exits with its return.
 * The parent returns clone3's result (the pid or -errno).  Not in
 * ThreadSanitizer builds, whose clone interception this would bypass.
 */
long ctr_clone3_raw(struct clone_args *a, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl ctr_clone3_raw\n"
	".hidden ctr_clone3_raw\n"
	".type ctr_clone3_raw, @function\n"
	"ctr_clone3_raw:\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n" /* SYS_clone3 */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n" /* SYS_exit */
	"	syscall\n"
	"	hlt\n"
	".size ctr_clone3_raw, .-ctr_clone3_raw\n");
#define CTR_HAVE_CLONE3_RAW 1
#endif

pid_t ctr_clone3_fn(uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd, void *stack, size_t stack_size,
		    int (*fn)(void *), void *arg)
{
#ifdef CTR_HAVE_CLONE3_RAW
	struct clone_args a;
	clone_args_init(&a, flags, pidfd, exit_signal, cgroup_fd);
	a.stack = (uint64_t)(uintptr_t)stack;
	a.stack_size = stack_size;
	long r = ctr_clone3_raw(&a, sizeof(a), fn, arg);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
#else
	(void)flags, (void)pidfd, (void)exit_signal, (void)cgroup_fd, (void)stack, (void)stack_size, (void)fn,
		(void)arg;
	errno = ENOSYS;
	return -1;
#endif
}

bool ctr_clone3_fn_works(void)
{
#ifdef CTR_HAVE_CLONE3_RAW
	/* 1 yes, 0 no, -1 not asked yet: clone3 with a size below its first version is EINVAL where it exists */
	static int works = -1;
	int w = __atomic_load_n(&works, __ATOMIC_RELAXED);
	if (w < 0) {
		w = syscall(SYS_clone3, NULL, (size_t)0) < 0 && errno == EINVAL;
		__atomic_store_n(&works, w, __ATOMIC_RELAXED);
	}
	return w == 1;
#else
	return false;
#endif
}

int ctr_fd_set_cloexec(int fd, bool on)
{
	int f = fcntl(fd, F_GETFD);
	if (f < 0)
		return -errno;
	f = on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, f) < 0 ? -errno : 0;
}

/* Compare a relative path from the config with want, ignoring "//", "/./" and a trailing '/'. */
static bool path_is(const char *p, const char *want)
{
	for (;;) {
		while (*p == '/' || (p[0] == '.' && (p[1] == '/' || !p[1])))
			p++;
		while (*want == '/')
			want++;
		if (!*p || !*want)
			return !*p && !*want;
		while (*p && *p != '/' && *p == *want) {
			p++;
			want++;
		}
		if ((*p && *p != '/') || (*want && *want != '/'))
			return false;
	}
}

/*
 * runc's list of files inside /proc that a mount may cover (what lxcfs
 * provides): every other target on procfs is refused, whatever path led
 * there (a symlink in the rootfs included), so no mount can hide or redirect
 * a kernel interface.
 */
static bool proc_target_allowed(const char *dst)
{
	static const char *const ok[] = {
		"proc",		 "proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat",
		"proc/swaps",	 "proc/uptime",	 "proc/loadavg",   "proc/slabinfo", "proc/net/dev",
		"proc/sys/kernel/ns_last_pid",
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(ok); i++)
		if (path_is(dst, ok[i]))
			return true;
	return false;
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
	/* the usual case, only the last component missing (dev/pts on a new /dev): made in its parent */
	char *slash = buf + len;
	while (slash > buf && slash[-1] != '/')
		slash--;
	if (slash > buf + 1 && slash[0] && slash[-2] != '/') {
		slash[-1] = '\0';
		int pfd = sys_openat2(rootfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC, IN_ROOT);
		slash[-1] = '/';
		if (pfd >= 0) {
			int r;
			if (file) {
				r = openat(pfd, slash, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(pfd, slash, 0755);
			}
			int e = errno;
			close(pfd);
			if (r < 0 && e != EEXIST)
				return fail(eb, n, e, "%s: create %s in the rootfs", label, rel);
			fd = sys_openat2(rootfd, rel, O_PATH | O_CLOEXEC, IN_ROOT);
			return fd >= 0 ? fd : fail(eb, n, errno, "%s: open %s in the rootfs", label, rel);
		}
	}
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
 * A bind of the host's src (a cgroup of the container) with flags (MS_RDONLY,
 * MS_NOSUID, MS_NODEV, MS_NOEXEC) onto name below dir: cloned, given its
 * flags while detached and attached once (open_tree, mount_setattr,
 * move_mount; the last component is not followed), where mount(MS_BIND) and
 * a remount attach it writable first and take the namespace lock twice.
 * -ENOSYS or -EPERM (a flag a user namespace locks): nothing was attached,
 * the caller binds and remounts.
 */
uint64_t ctr_mount_attrs(unsigned long flags)
{
	return ((flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0) | ((flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
	       ((flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) | ((flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
}

static int bind_cgroup_ro(const char *src, int dir, const char *name, unsigned long flags)
{
	struct mount_attr a;
	memset(&a, 0, sizeof(a));
	a.attr_set = ctr_mount_attrs(flags);
	int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	int r = 0;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0 ||
	    move_mount(tree, "", dir, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = -errno;
	close(tree);
	return r;
}

/*
 * CTR_MNT_CGROUP_V1: a tmpfs at the target, then for each hierarchy the
 * container's own cgroup (its line in /proc/self/cgroup: the process is in
 * its cgroups by now) bound from the host's mount of that hierarchy, with
 * the mount's flags, and the host's symlinks.  Where the runtime made all
 * of that as a detached tree while we set up (m->cg_tree_fd, from the late
 * go: container.c, cg_v1_tree), it is attached at target (the O_PATH fd
 * of the target resolved beneath the rootfs) in one step instead.  path is
 * the target's /proc/self/fd path; the tmpfs is looked up again from rootfd.
 */
static int mount_cgroup_v1(const struct ctr_mnt *m, int rootfd, int target, const char *path, char *eb, size_t n)
{
	char cg[8192], src[PATH_MAX], fdp[64];
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = 0;
	if (m->cg_tree_fd >= 0) {
		/* all of it made by the runtime while we set up (container.c, cg_v1_tree): attached in one step */
		if (move_mount(m->cg_tree_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return fail(eb, n, errno, "%s: attach the cgroup hierarchies' tmpfs", m->label);
		return 0;
	}
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
		if (!m->cg_own_ns) {
			int e = bind_cgroup_ro(src, dfd, s->name, m->flags | fl);
			if (e == 0)
				continue;
			if (e != -ENOSYS && e != -EPERM) {
				r = fail(eb, n, -e, "%s: bind %s", m->label, src);
				break;
			}
			/* no new mount API, or flags a user namespace locks: bind, then remount */
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
	if (ctr_fd_on_procfs(tfd) && !proc_target_allowed(m->dst)) {
		close(tfd);
		ss_fmt(eb, n,
		       "%s: the target is inside /proc: mounts there could hide or redirect kernel interfaces, so "
		       "only /proc itself and the files lxcfs provides (/proc/cpuinfo, /proc/meminfo, /proc/stat, "
		       "/proc/uptime, ...) may be covered",
		       m->label);
		return -EPERM;
	}
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
		r = mount_cgroup_v1(m, rootfd, tfd, path, eb, n);
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

/* ---- what nothing in the container may see: fds, procfs, the runtime's binary ---- */

/* close_range(2) (Linux 5.9), or close() over the range up to the fd limit. */
static void close_fds(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0 || errno != ENOSYS)
		return;
	struct rlimit rl;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) < 0)
		rl.rlim_max = 1u << 20;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1u << 20))
		rl.rlim_max = 1u << 20;
	for (unsigned long fd = lo; fd <= hi && fd < rl.rlim_max; fd++)
		(void)close((int)fd);
}

int ctr_fds_isolate_begin(int maxfd, int floor)
{
	int base = maxfd + 1 > floor ? maxfd + 1 : floor;
	if (base < 3)
		base = 3;
	/* nothing we keep is at or above base: free it all, so the copies land in one block */
	close_fds((unsigned)base, ~0u);
	return base;
}

int ctr_fds_move(int *fd, int base)
{
	if (*fd < 0)
		return 0;
	int nf = fcntl(*fd, F_DUPFD_CLOEXEC, base);
	if (nf < 0)
		return -errno;
	*fd = nf;
	return 0;
}

void ctr_fds_isolate_end(int base)
{
	/* the originals and everything else of the caller's process below base */
	close_fds(3, (unsigned)base - 1);
}

int ctr_fds_place_preserved(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (dup3(fds[i], 3 + i, 0) < 0)
			return -errno;
		close(fds[i]);
		fds[i] = 3 + i;
	}
	return 0;
}

/* Place the requested fds on 0, 1, 2 (through temporary copies so they cannot clobber each other). */
int ctr_fds_setup_stdio(const int stdio[3], char *eb, size_t n)
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

void ctr_child_reset_signals(void)
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

/*
 * Exec the sealed init stub (init/ctr-init.c, from a sealed memfd: see
 * init-stub.c): from here on /proc/<pid>/exe of this process is that memfd,
 * which nothing can write, and none of the caller's memory is left.  fds are
 * passed by number after the mode; they lose FD_CLOEXEC only for the execve.
 */
int ctr_exec_init_stub(int init_fd, const char *mode, const int *fds, size_t nfds, char *eb, size_t n)
{
	char num[8][16];
	char *argv[8 + 3];
	char *envp[] = {NULL};
	if (nfds > 8)
		return fail(eb, n, E2BIG, "exec the init stub");
	argv[0] = (char *)"ctr-init";
	argv[1] = (char *)mode;
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			(void)ctr_fd_set_cloexec(fds[i], false);
		ss_fmt(num[i], sizeof(num[i]), "%d", fds[i]);
		argv[2 + i] = num[i];
	}
	argv[2 + nfds] = NULL;
	syscall(SYS_execveat, init_fd, "", argv, envp, AT_EMPTY_PATH);
	int e = errno;
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			(void)ctr_fd_set_cloexec(fds[i], true);
	if (e == EACCES || e == EPERM)
		return fail(eb, n, e, "exec libctr's init stub from its sealed memfd (is vm.memfd_noexec 2, or "
				      "does an LSM forbid executing memfds?)");
	return fail(eb, n, e, "exec libctr's init stub");
}

/*
 * Mount a fresh mount (tree: an fd from fsmount or open_tree) onto target,
 * both by fd; the fallback for kernels without the new mount API (before
 * 5.2) names them through the host's /proc/self/fd, which is safe here only
 * because this runs before pivot_root, while /proc is the caller's procfs.
 */
static int move_onto(int tree, int target)
{
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * A read-only empty tmpfs on target (a masked directory).  The first one is
 * made (fsopen, fsmount) and kept in *empty; the next are clones of it
 * (open_tree): one superblock for all, each mount read-only, nosuid,
 * nodev, noexec as the first (a clone keeps the mount's flags), which
 * spares a superblock per further masked directory.
 */
static int mask_dir(int target, int *empty)
{
	if (*empty >= 0) {
		int tree = open_tree(*empty, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (tree < 0)
			return -errno;
		int r = move_onto(tree, target);
		close(tree);
		return r;
	}
	int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		if (errno != ENOSYS)
			return -errno;
		char path[64];
		fd_path(path, sizeof(path), target);
		return mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") < 0 ? -errno : 0;
	}
	int r = 0, mfd = -1;
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mfd = fsmount(fsfd, FSMOUNT_CLOEXEC,
			   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		r = -errno;
	close(fsfd);
	if (r == 0)
		r = move_onto(mfd, target);
	if (r == 0)
		*empty = mfd;
	else if (mfd >= 0)
		close(mfd);
	return r;
}

/* The null device (devnull: verified char 1:3) on target (a masked file). */
static int mask_file(int devnull, int target)
{
	int tree = open_tree(devnull, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0) {
		if (errno != ENOSYS)
			return -errno;
		char src[64], dst[64];
		fd_path(src, sizeof(src), devnull);
		fd_path(dst, sizeof(dst), target);
		return mount(src, dst, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
	}
	int r = move_onto(tree, target);
	close(tree);
	return r;
}

/* A read-only recursive bind of target (rel beneath rootfd) onto itself (a read-only path). */
static int make_readonly(int rootfd, const char *rel, int target)
{
	int tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree >= 0) {
		struct mount_attr a;
		memset(&a, 0, sizeof(a));
		a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
		int r = 0;
		if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
			r = -errno;
		if (r == 0)
			r = move_onto(tree, target);
		close(tree);
		if (r != -ENOSYS)
			return r;
	} else if (errno != ENOSYS) {
		return -errno;
	}
	/* no mount_setattr (before 5.12): bind through the host's /proc/self/fd, then remount the new bind */
	char path[64];
	fd_path(path, sizeof(path), target);
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	int top = sys_openat2(rootfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC,
			      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (top < 0)
		return -errno;
	fd_path(path, sizeof(path), top);
	int r = remount_bind(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	close(top);
	return r;
}

/* The i-th of linux.maskedPaths then linux.readonlyPaths (mask_paths). */
static int mask_path(const struct ctr_plan *p, size_t i, int rootfd, int devnull, int *empty, char *eb, size_t n)
{
	bool masked = i < p->n_masked;
	size_t k = masked ? i : i - p->n_masked;
	const char *path = masked ? p->masked[k] : p->readonly[k];
	const char *what = masked ? "linux.maskedPaths" : "linux.readonlyPaths";
	const char *rel = path;
	while (*rel == '/')
		rel++;
	int t = sys_openat2(rootfd, *rel ? rel : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC,
			    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (t < 0 && errno == ENOENT)
		return 0;
	if (t < 0 && errno == ELOOP) {
		ss_fmt(eb, n, "%s[%zu] (%s): a symlink in the rootfs is on the way: refusing to follow it; "
			      "give the real path",
		       what, k, path);
		return -ELOOP;
	}
	if (t < 0)
		return fail(eb, n, errno, "%s[%zu] (%s): open in the rootfs", what, k, path);
	struct stat st;
	int r = fstat(t, &st) < 0 ? -errno : 0;
	if (r == 0 && S_ISLNK(st.st_mode)) {
		close(t);
		ss_fmt(eb, n, "%s[%zu] (%s): a symlink in the rootfs: refusing to follow it", what, k, path);
		return -ELOOP;
	}
	if (r == 0)
		r = !masked ? make_readonly(rootfd, *rel ? rel : ".", t)
		    : S_ISDIR(st.st_mode) ? mask_dir(t, empty) : mask_file(devnull, t);
	close(t);
	if (r < 0)
		return fail(eb, n, -r, "%s[%zu] (%s): %s", what, k, path, masked ? "mask" : "make read-only");
	return 0;
}

/*
 * linux.maskedPaths and linux.readonlyPaths, before pivot_root, by fd: each
 * path is opened beneath the rootfs with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS), so a symlink the image puts on the way is refused
 * (never followed), and the mask is the host's null device (opened and
 * checked to be char 1:3 before the container's mounts), not whatever the
 * rootfs has at /dev/null (CVE-2025-31133).
 */
static int mask_paths(const struct ctr_plan *p, int rootfd, int devnull, char *eb, size_t n)
{
	int empty = -1, r = 0; /* the empty tmpfs of the masked directories (mask_dir) */
	for (size_t i = 0; r == 0 && i < p->n_masked + p->n_readonly; i++)
		r = mask_path(p, i, rootfd, devnull, &empty, eb, n);
	if (empty >= 0)
		close(empty);
	return r;
}

/* The host's /dev/null, checked to be the null device: the source of every masked file. */
static int open_null(char *eb, size_t n)
{
	int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(eb, n, errno, "open the host's /dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		ss_fmt(eb, n, "the host's /dev/null is not the null device (char 1:3): refusing to mask with it");
		return -EINVAL;
	}
	return fd;
}

/* ---- the container's init: from clone to the stub ---- */

/* After PR_SET_PDEATHSIG: if the creator died before it took effect, the sync socket is hung up. */
static void die_if_orphan(int sync_fd)
{
	struct pollfd pfd = {sync_fd, POLLRDHUP, 0};
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP)))
		ss_exit(1);
}

static int wait_go(struct ctr_plan *p, char *eb, size_t n, const char *what)
{
	int t = ctr_msg_recv(p->sync_fd, p->msgbuf, CTR_MSG_MAX);
	if (t == CTR_MSG_GO)
		return 0;
	if (t == 0)
		ss_exit(1); /* the parent gave up: nothing to report to */
	return fail(eb, n, t < 0 ? -t : EPROTO, "%s: waiting for the runtime", what);
}

/*
 * The runtime makes the v1 cgroups (on a pure v2 host: writes the resources
 * and attaches the device program) while we set up (plan->cg_wait, see
 * ctr_cgroup_prepare); its go carries their tasks files, opened for writing,
 * and we join them as at the top of child_setup ("0" into each: the runtime
 * writing our pid would take cgroup_threadgroup_rwsem, an RCU grace
 * period).  Done before the first mount that shows cgroups, and in any case
 * before the hooks and the stub: nothing of the container runs outside its
 * cgroups.
 */
static int cgroups_ready(struct ctr_plan *p, char *eb, size_t n)
{
	if (!p->cg_wait)
		return 0;
	p->cg_wait = false;
	int fds[CTR_MSG_MAX_FDS];
	size_t nfds = 0;
	int t = ctr_msg_recv_fds(p->sync_fd, p->msgbuf, CTR_MSG_MAX, fds, CTR_MSG_MAX_FDS, &nfds);
	int r = 0;
	struct ctr_msg h;
	memcpy(&h, p->msgbuf, sizeof(h));
	/* the cgroup mount, made by the runtime: the last fd (the rest are tasks files) */
	if (t == CTR_MSG_GO && (h.err & CTR_GO_CG_TREE) && nfds > 0)
		p->cg_tree_fd = fds[--nfds];
	/* the caller's affinity again, before the cpuset join (which keeps within it, as for any child) */
	if (t == CTR_MSG_GO && p->parent_cpu >= 0 && sched_setaffinity(0, sizeof(p->affinity), &p->affinity) < 0)
		r = fail(eb, n, errno, "set the caller's CPU affinity back");
	if (t == CTR_MSG_GO && r == 0)
		r = ctr_cgroup_join_files(fds, nfds, eb, n);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (t == 0)
		ss_exit(1); /* the parent gave up: nothing to report to */
	if (t != CTR_MSG_GO)
		return fail(eb, n, t < 0 ? -t : EPROTO, "the container's cgroups: waiting for the runtime");
	return r;
}

bool ctr_mnt_shows_cgroups(const struct ctr_mnt *m)
{
	return m->kind == CTR_MNT_CGROUP || m->kind == CTR_MNT_CGROUP_V1 ||
	       (m->src && !ss_strncmp(m->src, "/sys/fs/cgroup", 14));
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

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* A /proc path from the plan ("/proc/sys/..."), relative to the procfs root. */
static const char *proc_rel(const char *path)
{
	return !ss_strncmp(path, "/proc/", 6) ? path + 6 : path;
}

/*
 * What follows the mounts: the devices, the host and domain names, the
 * sysctls, and (mask) the masked and read-only paths, which otherwise come
 * after the hooks' message.
 */
static int after_mounts(struct ctr_plan *p, int rootfd, int proc_root, bool mask, int devnull, char *eb, size_t n)
{
	int r;
	if (p->dev && (r = ctr_dev_plan_apply(p->dev, rootfd, eb, n)) < 0)
		return r;
	if (p->hostname && sethostname(p->hostname, ss_strlen(p->hostname)) < 0)
		return fail(eb, n, errno, "hostname: sethostname '%s'", p->hostname);
	if (p->domainname && setdomainname(p->domainname, ss_strlen(p->domainname)) < 0)
		return fail(eb, n, errno, "domainname: setdomainname '%s'", p->domainname);
	/* /proc/sys entries of namespaced sysctls act on the writer's namespaces: ours */
	for (size_t i = 0; i < p->n_sysctl; i++)
		if ((r = ctr_procfs_write(proc_root, proc_rel(p->sysctl_path[i]), p->sysctl_value[i],
					  ss_strlen(p->sysctl_value[i]))) < 0)
			return fail(eb, n, -r, "linux.sysctl: write %s", p->sysctl_path[i]);
	return mask ? mask_paths(p, rootfd, devnull, eb, n) : 0;
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

	if ((r = ctr_fds_setup_stdio(p->proc.stdio, eb, n)) < 0)
		return r;
	for (int i = 0; i < 3; i++)
		close_fd(&p->proc.stdio[i]);
	/*
	 * The caller's procfs and null device, opened while this process still
	 * sees the caller's mounts (before any setns): every procfs write below
	 * goes through proc_root (linux/procfs.h), every masked file is devnull.
	 */
	int proc_root = ctr_procfs_root();
	if (proc_root < 0)
		return fail(eb, n, -proc_root, "open the host's /proc (is procfs mounted there, uncovered?)");
	int devnull = -1;
	if (p->n_masked && (devnull = open_null(eb, n)) < 0)
		return devnull;
	/* the container's cgroups before any namespace (and so before the cgroup ns) */
	if ((r = ctr_cgroup_join_self(p->cg_fds, p->n_cg_fds, eb, n)) < 0)
		return r;
	for (size_t i = 0; i < p->n_cg_fds; i++)
		close_fd(&p->cg_fds[i]);
	/* a joined user namespace first: the others are owned by it */
	if (p->ns_fds[OCI_NS_USER] >= 0 && setns(p->ns_fds[OCI_NS_USER], CLONE_NEWUSER) < 0)
		return fail(eb, n, errno, "linux.namespaces (user): setns");
	close_fd(&p->ns_fds[OCI_NS_USER]);
	if (p->userns_new) {
		/*
		 * An unprivileged caller writes our uid_map and gid_map only while it
		 * can open our /proc files, i.e. while we are dumpable (runc's nsexec
		 * does the same): nothing else is in this new user namespace yet,
		 * nothing of the host is open, and only the caller's own uid could look.
		 */
		if (p->maps_by_user)
			(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if ((r = ctr_msg_send(p->sync_fd, CTR_MSG_USERNS, 0, 0, NULL, 0)) < 0)
			return fail(eb, n, -r, "user namespace maps: ask the runtime");
		r = wait_go(p, eb, n, "user namespace maps");
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (r < 0)
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
		close_fd(&p->ns_fds[t]);
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
			    (r = ctr_procfs_write(proc_root, "self/timens_offsets", p->time_offsets,
						  ss_strlen(p->time_offsets))) < 0)
				return fail(eb, n, -r, "linux.timeOffsets: write /proc/self/timens_offsets");
		}
		pid_t pid = ctr_clone3(CLONE_PARENT | p->late_flags, NULL, 0);
		if (pid < 0)
			return fail(eb, n, errno, "clone3 into the joined pid namespace");
		if (pid > 0) {
			(void)ctr_msg_send(p->sync_fd, CTR_MSG_PID, 0, pid, NULL, 0);
			ss_exit(0);
		}
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			return fail(eb, n, errno, "prctl(PR_SET_PDEATHSIG)");
		die_if_orphan(p->sync_fd);
		/* a mount namespace new with this clone (a joined user namespace owns it, see plan.c):
		 * the null device of its copy of the mounts, the only one that can be cloned onto
		 * masked paths */
		if (devnull >= 0 && (p->late_flags & CLONE_NEWNS)) {
			close_fd(&devnull);
			if ((devnull = open_null(eb, n)) < 0)
				return devnull;
		}
	}

	/* the rootfs: make the tree a slave (or as rootfsPropagation asks), bind the rootfs on itself */
	if (!p->no_mntns) {
		unsigned long prop = MS_REC | MS_SLAVE;
		if (p->root_prop & (MS_PRIVATE))
			prop = p->root_prop | MS_REC;
		if (mount(NULL, "/", NULL, prop, NULL) < 0)
			return fail(eb, n, errno, "make the mount tree private");
	}
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(eb, n, errno, "root.path: bind %s onto itself", p->rootfs);
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail(eb, n, errno, "root.path: open %s", p->rootfs);
	if (p->no_mntns) {
		/*
		 * In the caller's mount namespace (config-linux.md: not listed,
		 * inherited): the bind's creation (and its removal at delete)
		 * propagates like any mount, but it is made private at once, so the
		 * container's mounts below it stay out of every other namespace; the
		 * runtime learns its mount id to unmount exactly it at delete.
		 */
		if (mount(NULL, p->rootfs, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
			return fail(eb, n, errno, "root.path: make the bind of %s private", p->rootfs);
		struct statx stx;
		if (statx(rootfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
			return fail(eb, n, errno ? errno : ENOSYS, "root.path: the mount id of the bind of %s",
				    p->rootfs);
		if ((r = ctr_msg_send(p->sync_fd, CTR_MSG_ROOTFS_MNT, 0, (int)stx.stx_mnt_id, NULL, 0)) < 0)
			return fail(eb, n, -r, "root.path: tell the runtime");
	}
	/* a cgroup mount in a cgroup namespace of its own mounts the hierarchies rooted at it */
	bool own_cgns = ctr_plan_own_cgroup_ns(p);
	/*
	 * The mounts, in their order.  Those that show cgroups wait for the
	 * runtime's late go (cgroups_ready); when they come last and touch
	 * nothing of the devices, masked and read-only paths (cg_mnts_from,
	 * container.c), the steps after the mounts come first, so that the go
	 * has arrived by the time they are mounted.
	 */
	bool cg_last = p->cg_wait && p->cg_mnts_from < p->n_mnts;
	for (size_t i = 0; i < p->n_mnts; i++) {
		if (cg_last && i == p->cg_mnts_from && (r = after_mounts(p, rootfd, proc_root, true, devnull, eb, n)) < 0)
			return r;
		p->mnts[i].cg_own_ns = own_cgns;
		if (ctr_mnt_shows_cgroups(&p->mnts[i]) && (r = cgroups_ready(p, eb, n)) < 0)
			return r;
		p->mnts[i].cg_tree_fd = -1;
		if (p->mnts[i].kind == CTR_MNT_CGROUP_V1 && !own_cgns) {
			p->mnts[i].cg_tree_fd = p->cg_tree_fd;
			p->cg_tree_fd = -1;
		}
		r = do_mount(&p->mnts[i], rootfd, eb, n);
		close_fd(&p->mnts[i].cg_tree_fd);
		if (r < 0)
			return r;
		close_fd(&p->mnts[i].tree_fd);
	}
	if (!cg_last && (r = after_mounts(p, rootfd, proc_root, false, devnull, eb, n)) < 0)
		return r;
	if ((r = cgroups_ready(p, eb, n)) < 0)
		return r;
	close_fd(&p->cg_tree_fd); /* a tree no mount took (none expected): not the container's */
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
	if (!cg_last && (r = mask_paths(p, rootfd, devnull, eb, n)) < 0)
		return r;
	close_fd(&devnull);
	/* the pty, from the container's devpts, before pivot_root (the master reaches the console socket) */
	if (p->proc.setsid && !p->proc.terminal)
		(void)setsid();
	if (p->proc.terminal && p->proc.console_sock >= 0) {
		if ((r = ctr_term_child_setup(rootfd, p->proc.console_sock, p->proc.has_console_size, p->proc.rows,
					      p->proc.cols, eb, n)) < 0)
			return r;
		/* the init's pty is the container's /dev/console (config-linux.md "Default Devices") */
		int devfd = sys_openat2(rootfd, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC,
					RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		if (devfd < 0)
			return fail(eb, n, errno, "process.terminal: open /dev in the rootfs (a symlink there is "
						  "refused)");
		r = ctr_term_bind_console(0, devfd, "console", eb, n);
		close(devfd);
		if (r < 0)
			return r;
	}
	close_fd(&p->proc.console_sock);
	/* the LSM label's attr file, through the caller's procfs; written by the stub at exec */
	int lsm_fd = -1;
	if (p->proc.lsm_attr && (lsm_fd = ctr_procfs_open(proc_root, p->proc.lsm_attr, O_WRONLY)) < 0)
		return fail(eb, n, -lsm_fd, "process LSM label: open /proc/%s", p->proc.lsm_attr);
	close_fd(&proc_root);

	if (fchdir(rootfd) < 0)
		return fail(eb, n, errno, "root.path: chdir %s", p->rootfs);
	if (p->no_mntns) {
		/* no pivot_root in the caller's mount namespace: chroot, as crun does (a process with
		 * CAP_SYS_CHROOT can leave a chroot: README, "Without a mount namespace") */
		if (chroot(".") < 0)
			return fail(eb, n, errno, "root.path: chroot %s", p->rootfs);
	} else if (p->no_pivot) {
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
	if (p->keyring_name && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring_name) < 0 &&
	    errno != EPERM && errno != ENOSYS && errno != EACCES && errno != EDQUOT)
		return fail(eb, n, errno, "join a new session keyring");
	/* what is left (wait for start, hooks, credentials, seccomp, execve) is the stub's */
	int fds[] = {p->blob_fd, p->sync_fd, p->start_fd, lsm_fd};
	return ctr_exec_init_stub(p->init_fd, "init", fds, CTR_ARRAY_SIZE(fds), eb, n);
}

/* Every fd the container process keeps: pass 0 finds the highest, pass 1 moves each above base. */
struct fd_walk {
	int max, base, err;
	bool move;
};

static void slot(struct fd_walk *w, int *fd)
{
	if (*fd < 0)
		return;
	if (!w->move) {
		if (*fd > w->max)
			w->max = *fd;
	} else if (w->err == 0) {
		w->err = ctr_fds_move(fd, w->base);
	}
}

static void walk_slots(struct ctr_plan *p, struct fd_walk *w)
{
	slot(w, &p->sync_fd);
	slot(w, &p->start_fd);
	slot(w, &p->init_fd);
	slot(w, &p->blob_fd);
	slot(w, &p->proc.console_sock);
	for (int i = 0; i < 3; i++)
		slot(w, &p->proc.stdio[i]);
	for (int i = 0; i < OCI_NS_COUNT; i++)
		slot(w, &p->ns_fds[i]);
	for (size_t i = 0; i < p->n_cg_fds; i++)
		slot(w, &p->cg_fds[i]);
	for (size_t i = 0; i < p->n_mnts; i++)
		slot(w, &p->mnts[i].tree_fd);
	for (int i = 0; i < p->n_preserved; i++)
		slot(w, &p->preserved[i]);
}

void ctr_child_main(struct ctr_plan *p)
{
	p->cg_tree_fd = -1;
	ss_child_begin();
	char eb[CTR_ERRBUF];
	eb[0] = '\0';
	/*
	 * First, before anything else: nobody but the host's root may read this
	 * process's memory, fds or exe through /proc, or ptrace it, from now
	 * until the stub execs the program (the stub keeps it so).  A child that
	 * shares the caller's memory (shared_vm) leaves the flag alone: it
	 * belongs to the memory, so it would change the caller's; such a child
	 * only enters namespaces new with it, where nothing else runs before the
	 * stub, so what could reach it through /proc could reach the caller.
	 */
	if (!p->shared_vm)
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/*
	 * Started on the runtime's CPU (preempting it): off it, before the long
	 * steps, so that the runtime's late cgroups run beside our setup rather
	 * than after it (create_cgroups_late).  Raw getcpu: no vDSO or rseq
	 * state of the caller's thread is trusted here.
	 */
	unsigned cpu;
	if (p->parent_cpu >= 0 && syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 && (int)cpu == p->parent_cpu)
		(void)sched_setaffinity(0, sizeof(p->affinity_other), &p->affinity_other);
	/*
	 * The new network namespace, taken off clone3 (plan.c): the longest step
	 * of this process, so the first, before anything that could see a netns
	 * (an error is reported once the sync socket is in place, below).
	 */
	int net_err = 0, ipc_err = 0;
	if (p->net_unshare && (p->net_spare_fd >= 0 ? setns(p->net_spare_fd, CLONE_NEWNET) : unshare(CLONE_NEWNET)) < 0)
		net_err = errno;
	/* the IPC namespace made ahead, in place of clone3's: before the mqueue mount and the sysctls */
	if (p->ipc_spare_fd >= 0 && setns(p->ipc_spare_fd, CLONE_NEWIPC) < 0)
		ipc_err = errno;
	ctr_child_reset_signals();
	/*
	 * Keep only what the plan names; every other fd of the caller's process
	 * (other threads' sockets and pipes, the state dir, O_CLOEXEC or not) is
	 * closed now, not at execve: a created container holds nothing of its
	 * creator, and two creates in one process never hold each other's
	 * sync sockets.
	 */
	struct fd_walk w = {-1, 0, 0, false};
	walk_slots(p, &w);
	w.base = ctr_fds_isolate_begin(w.max, 3 + p->n_preserved);
	w.move = true;
	walk_slots(p, &w);
	ctr_fds_isolate_end(w.base);
	int r = w.err;
	if (r == 0)
		r = ctr_fds_place_preserved(p->preserved, p->n_preserved);
	if (r < 0)
		ss_exit(1);
	p->parent_sync_fd = p->state_lock_fd = -1; /* closed with the rest */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		ss_exit(1);
	die_if_orphan(p->sync_fd);
	/* the buffer for the runtime's messages (a go may carry the state for the hooks): mapped
	 * here, not allocated by the runtime before the clone, which would then unmap it per create;
	 * a child sharing the caller's memory has one from the runtime (a mapping of its own would
	 * stay in the caller's memory) */
	void *mb = p->shared_vm ? p->msgbuf
				: mmap(NULL, CTR_MSG_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mb == MAP_FAILED)
		r = fail(eb, sizeof(eb), errno, "map a buffer for the runtime's messages");
	else if ((p->msgbuf = mb), net_err)
		r = fail(eb, sizeof(eb), net_err, "linux.namespaces (network): %s",
			 p->net_spare_fd >= 0 ? "setns into the one made ahead" : "unshare");
	else if (ipc_err)
		r = fail(eb, sizeof(eb), ipc_err, "linux.namespaces (ipc): setns into the one made ahead");
	else
		r = child_setup(p, eb, sizeof(eb));
	(void)ctr_msg_send(p->sync_fd, CTR_MSG_ERROR, -r, 0, eb, ss_strlen(eb));
	ss_exit(1);
}

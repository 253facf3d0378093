/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcheck.so: an LD_PRELOAD module that reports what a given object
 * (FDCHECK_OBJECT, a substring of its path, e.g. "libctr.so") does in the
 * process that would harm the program embedding it:
 *  - every file descriptor it creates without FD_CLOEXEC: such an fd leaks
 *    into every program another thread of the embedding process runs;
 *  - every thread it starts that can take a signal of the process (its
 *    signal mask does not block every signal at its start): the host's
 *    handlers would then run on a library thread.
 *
 * It wraps the libc calls that make descriptors (open*, openat*, creat,
 * dup*, fcntl(F_DUPFD), socket, socketpair, pipe*, eventfd,
 * memfd_create, mkstemp/mkostemp, fopen, recvmsg's SCM_RIGHTS, epoll,
 * signalfd, timerfd, inotify, the mount API's fsopen/fsmount/open_tree),
 * finds the caller's object with dladdr() and appends one line per
 * offender to FDCHECK_LOG: "FUNC fd N from OBJECT+0xOFFSET"; and
 * pthread_create, whose threads check their mask when they start:
 * "pthread_create fd SIGNAL from OBJECT+0xOFFSET".  Descriptors
 * made in child processes (after clone, before exec: stdio set-up is meant
 * to be inherited) are not checked.  Raw syscall() calls are not seen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t owner;
static const char *object;
static int logfd = -1;

__attribute__((constructor)) static void fdcheck_init(void)
{
	const char *log = getenv("FDCHECK_LOG");
	owner = (pid_t)syscall(SYS_getpid);
	object = getenv("FDCHECK_OBJECT");
	if (log && object && *object)
		logfd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/* the caller's object when it is the one checked, else NULL */
static const char *checked_object(void *caller, unsigned long *off)
{
	Dl_info di;
	if (!dladdr(caller, &di) || !di.dli_fname || !strstr(di.dli_fname, object))
		return NULL;
	*off = (unsigned long)((char *)caller - (char *)di.dli_fbase);
	return di.dli_fname;
}

static void report(const char *fn, int n, const char *obj, unsigned long off)
{
	char line[600];
	int k = snprintf(line, sizeof(line), "%s fd %d from %s+%#lx\n", fn, n, obj, off);
	if (k > 0)
		(void)!write(logfd, line, (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1);
}

static void check(int fd, const char *fn, void *caller)
{
	int saved = errno;
	unsigned long off;
	const char *obj;

	if (fd < 0 || logfd < 0 || (pid_t)syscall(SYS_getpid) != owner)
		goto out;
	long fl = syscall(SYS_fcntl, fd, F_GETFD);
	if (fl < 0 || (fl & FD_CLOEXEC))
		goto out;
	if ((obj = checked_object(caller, &off)))
		report(fn, fd, obj, off);
out:
	errno = saved;
}

/* the next definition of name (libc's), looked up once */
#define REAL(name)                                                      \
	static __typeof__(&name) real_##name;                           \
	if (!real_##name)                                               \
		real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

#define CALLER __builtin_extract_return_addr(__builtin_return_address(0))

/* open-like calls with an optional mode */
#define WRAP_OPEN(name)                                                            \
	int name(const char *path, int flags, ...);                                \
	int name(const char *path, int flags, ...)                                 \
	{                                                                          \
		va_list ap;                                                        \
		va_start(ap, flags);                                               \
		mode_t mode = (mode_t)va_arg(ap, unsigned);                       \
		va_end(ap);                                                        \
		REAL(name);                       \
		int fd = real_##name(path, flags, mode);                           \
		check(fd, #name, CALLER);                                          \
		return fd;                                                         \
	}
WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name)                                                          \
	int name(int dirfd, const char *path, int flags, ...);                     \
	int name(int dirfd, const char *path, int flags, ...)                      \
	{                                                                          \
		va_list ap;                                                        \
		va_start(ap, flags);                                               \
		mode_t mode = (mode_t)va_arg(ap, unsigned);                       \
		va_end(ap);                                                        \
		REAL(name);                  \
		int fd = real_##name(dirfd, path, flags, mode);                    \
		check(fd, #name, CALLER);                                          \
		return fd;                                                         \
	}
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

#define WRAP_FCNTL(name)                                                           \
	int name(int fd, int cmd, ...);                                            \
	int name(int fd, int cmd, ...)                                             \
	{                                                                          \
		va_list ap;                                                        \
		va_start(ap, cmd);                                                 \
		void *arg = va_arg(ap, void *);                                    \
		va_end(ap);                                                        \
		REAL(name);                                \
		int r = real_##name(fd, cmd, arg);                                 \
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)                      \
			check(r, #name "(F_DUPFD)", CALLER);                       \
		return r;                                                          \
	}
WRAP_FCNTL(fcntl)
WRAP_FCNTL(fcntl64)

/* calls whose return value is the new fd: NAME(PARAMS) forwarded as ARGS */
#define WRAP_FD(name, params, args)                                                \
	int name params;                                                           \
	int name params                                                            \
	{                                                                          \
		REAL(name);                                         \
		int nfd = real_##name args;                                        \
		check(nfd, #name, CALLER);                                         \
		return nfd;                                                        \
	}
WRAP_FD(creat, (const char *p, mode_t m), (p, m))
WRAP_FD(creat64, (const char *p, mode_t m), (p, m))
WRAP_FD(dup, (int fd), (fd))
WRAP_FD(dup2, (int a, int b), (a, b))
WRAP_FD(dup3, (int a, int b, int f), (a, b, f))
WRAP_FD(socket, (int d, int t, int p), (d, t, p))
WRAP_FD(eventfd, (unsigned v, int f), (v, f))
WRAP_FD(memfd_create, (const char *n, unsigned f), (n, f))
WRAP_FD(mkstemp, (char *t), (t))
WRAP_FD(mkstemp64, (char *t), (t))
WRAP_FD(mkostemp, (char *t, int f), (t, f))
WRAP_FD(mkostemp64, (char *t, int f), (t, f))
WRAP_FD(epoll_create, (int n), (n))
WRAP_FD(epoll_create1, (int f), (f))
WRAP_FD(signalfd, (int fd, const void *m, int f), (fd, m, f))
WRAP_FD(timerfd_create, (int c, int f), (c, f))
WRAP_FD(inotify_init, (void), ())
WRAP_FD(inotify_init1, (int f), (f))
WRAP_FD(fsopen, (const char *n, unsigned f), (n, f))
WRAP_FD(fsmount, (int fd, unsigned f, unsigned a), (fd, f, a))
WRAP_FD(open_tree, (int d, const char *p, unsigned f), (d, p, f))

/* calls that fill an array of two */
#define WRAP_PAIR(name, params, args, sv)                                          \
	int name params;                                                           \
	int name params                                                            \
	{                                                                          \
		REAL(name);                                         \
		int r = real_##name args;                                          \
		if (r == 0) {                                                      \
			check(sv[0], #name, CALLER);                               \
			check(sv[1], #name, CALLER);                               \
		}                                                                  \
		return r;                                                          \
	}
WRAP_PAIR(pipe, (int p[2]), (p), p)
WRAP_PAIR(pipe2, (int p[2], int f), (p, f), p)
WRAP_PAIR(socketpair, (int d, int t, int pr, int sv[2]), (d, t, pr, sv), sv)

#define WRAP_FOPEN(name)                                                           \
	FILE *name(const char *p, const char *m);                                  \
	FILE *name(const char *p, const char *m)                                   \
	{                                                                          \
		REAL(name);                \
		FILE *f = real_##name(p, m);                                       \
		if (f)                                                             \
			check(fileno(f), #name, CALLER);                           \
		return f;                                                          \
	}
WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

ssize_t recvmsg(int s, struct msghdr *mh, int flags);
ssize_t recvmsg(int s, struct msghdr *mh, int flags)
{
	REAL(recvmsg);
	ssize_t n = real_recvmsg(s, mh, flags);
	if (n >= 0 && mh->msg_control)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
					check(fd, "recvmsg(SCM_RIGHTS)", CALLER);
				}
	return n;
}

/* threads: the start routine of a thread the object starts checks its mask first */
struct start {
	void *(*fn)(void *);
	void *arg;
	const char *obj;
	unsigned long off;
};

static void *checked_start(void *p)
{
	struct start st = *(struct start *)p;
	sigset_t cur;
	free(p);
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0)
		for (int sig = 1; sig < NSIG; sig++) {
			if (sig == SIGKILL || sig == SIGSTOP || (sig > 31 && sig < SIGRTMIN))
				continue; /* not blockable, or the C library's own */
			if (!sigismember(&cur, sig)) {
				report("pthread_create", sig, st.obj, st.off);
				break;
			}
		}
	return st.fn(st.arg);
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	REAL(pthread_create);
	unsigned long off;
	const char *obj = logfd >= 0 ? checked_object(CALLER, &off) : NULL;
	struct start *st = obj ? malloc(sizeof(*st)) : NULL;
	if (!st)
		return real_pthread_create(t, a, fn, arg);
	*st = (struct start){fn, arg, obj, off};
	int r = real_pthread_create(t, a, checked_start, st);
	if (r)
		free(st);
	return r;
}

/*
 * json-c between fork and exec: libctr's processes that run between clone()
 * and execve() (the container process, exec helpers, hook and helper
 * children) must never call into json-c: it takes glibc's locale lock
 * (duplocale/newlocale), which another thread of the embedding program may
 * hold at the moment of the clone, so the child would hang for ever.  Each
 * call in a process other than the one hostcheck.so was loaded into is
 * reported as "json-c FUNC fd -1 from CALLER".
 */
struct json_object;
struct json_tokener;

static void json_in_child(const char *fn, void *caller)
{
	int saved = errno;
	unsigned long off = 0;
	Dl_info di;
	if (logfd >= 0 && (pid_t)syscall(SYS_getpid) != owner) {
		const char *obj = dladdr(caller, &di) && di.dli_fname ? di.dli_fname : "?";
		if (di.dli_fbase)
			off = (unsigned long)((char *)caller - (char *)di.dli_fbase);
		char name[80];
		snprintf(name, sizeof(name), "json-c:%s", fn);
		report(name, -1, obj, off);
	}
	errno = saved;
}

#define WRAP_JSON(ret, name, params, args)                                              \
	ret name params;                                                                \
	ret name params                                                                 \
	{                                                                               \
		static ret(*real) params;                                               \
		if (!real)                                                              \
			real = (ret(*) params)dlsym(RTLD_NEXT, #name);                  \
		json_in_child(#name, CALLER);                                           \
		return real args;                                                       \
	}
WRAP_JSON(struct json_tokener *, json_tokener_new, (void), ())
WRAP_JSON(struct json_object *, json_tokener_parse, (const char *s), (s))
WRAP_JSON(struct json_object *, json_tokener_parse_ex, (struct json_tokener *t, const char *s, int n), (t, s, n))
WRAP_JSON(struct json_object *, json_object_new_object, (void), ())
WRAP_JSON(struct json_object *, json_object_new_string, (const char *s), (s))
WRAP_JSON(const char *, json_object_to_json_string_length, (struct json_object *o, int f, size_t *l), (o, f, l))
WRAP_JSON(int, json_object_put, (struct json_object *o), (o))

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Async-signal-safe helpers for code that runs in a container process after
 * clone() and before execve(): no malloc, no stdio, no locks, only syscalls
 * and stack buffers.  A multi-threaded host process stays safe because the
 * child never touches state another thread may hold a lock on.
 */
#ifndef CTR_LIB_LINUX_SIGSAFE_H
#define CTR_LIB_LINUX_SIGSAFE_H

#include <stdarg.h>
#include <stddef.h>

/* strlen/strcmp/memcpy equivalents that never call into anything unsafe. */
size_t ss_strlen(const char *s);
int ss_strcmp(const char *a, const char *b);
int ss_strncmp(const char *a, const char *b, size_t n);
size_t ss_strlcpy(char *dst, const char *src, size_t size);
size_t ss_strlcat(char *dst, const char *src, size_t size);

/*
 * Minimal snprintf: %s %d %i %u %ld %lu %lld %llu %x %lx %o %c %% and %m (strerror of the
 * saved errno given as the *errnum* argument of ss_fmt_errno).  Always NUL-terminates; returns
 * the length written.
 */
size_t ss_vfmt(char *buf, size_t size, const char *fmt, va_list ap);
size_t ss_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * ss_fmt with %m taken from errnum instead of errno (errno may have been
 * changed by the calls made since the failure).  Also accepted by all three:
 * flags '-', '0', '+', ' ', a width and a precision (digits or '*'), the
 * length modifiers hh h l ll z j t, and %X %p.  An unknown conversion is
 * printed as written.  %m in ss_vfmt/ss_fmt is the errno at entry.
 */
size_t ss_fmt_errno(char *buf, size_t size, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A static description of an errno value ("No such file or directory"); never NULL. */
const char *ss_strerror(int errnum);

/* Write all of buf to fd, retrying on EINTR; returns 0 or -errno. */
int ss_write_all(int fd, const void *buf, size_t len);

/*
 * execve() with a PATH search when file has no '/': PATH comes from envp
 * ("PATH=..."), default "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".
 * Returns only on failure, with -errno (the most meaningful errno of the search).
 */
int ss_execvpe(const char *file, char *const argv[], char *const envp[]);

/*
 * Find what ss_execvpe() would execute, without executing it: the first
 * candidate on the PATH (from envp) that is a regular file the caller may
 * execute.  out receives its path.  Returns 0, -ENOENT when nothing was found,
 * -EACCES when a candidate exists but may not be executed.
 */
int ss_lookpath(const char *file, char *const envp[], char *out, size_t outlen);

/*
 * Mark every fd from lo up close-on-exec: close_range(CLOSE_RANGE_CLOEXEC)
 * (Linux 5.11), else fcntl() on each fd up to the fd limit (at most 2^20).
 * Returns 0 or -errno.
 */
int ss_cloexec_from(unsigned lo);

/*
 * The wait status the pidfd kept of a process reaped by someone else (a
 * SIGCHLD handler that calls waitpid(-1), or SIGCHLD set to SIG_IGN):
 * PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15.  The kernel records it
 * when the process is released, a little after the pidfd turned readable
 * and a waitid saw it go; until then the info comes without its exit part,
 * so it is asked again, briefly (about 100 ms in all: a zombie whose parent
 * never reaps it stays so).  0 and *wstatus, or -ECHILD (gone without one:
 * an older kernel, no such ioctl).
 */
int ss_pidfd_exit_wstatus(int pidfd, int *wstatus);

/*
 * Leave a process the library cloned (never the caller's): exit_group(2)
 * itself, so no atexit handler and no sanitizer interceptor runs in a copy
 * of the caller's process (ThreadSanitizer's _exit would report the
 * caller's threads as leaked, and change the exit status).
 */
__attribute__((noreturn)) void ss_exit(int code);

/*
 * The first call in a process the library clones without exec'ing at once:
 * under ThreadSanitizer, stop tracking memory accesses here (the caller's
 * other threads do not exist in this copy, so every access would look like
 * a race).  Nothing in other builds.
 */
void ss_child_begin(void);

/* an AddressSanitizer build (the same two ways) */
#if defined(__SANITIZE_ADDRESS__)
#define CTR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTR_ASAN 1
#endif
#endif

/* a ThreadSanitizer build (gcc defines the first, clang has the feature) */
#if defined(__SANITIZE_THREAD__)
#define CTR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CTR_TSAN 1
#endif
#endif

#endif

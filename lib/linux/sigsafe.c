/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Async-signal-safe helpers (see sigsafe.h).  Everything here runs in a
 * process created with clone() from a possibly multi-threaded host, before
 * execve(): no malloc, no stdio, no locale, no locks.  The string helpers are
 * written out by hand rather than taken from libc so that nothing (ifunc
 * resolution aside, which is done at load time) can reach libc state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/close_range.h>

#include "linux/sigsafe.h"

size_t ss_strlen(const char *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	while (s[n])
		n++;
	return n;
}

int ss_strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (int)*x - (int)*y;
}

int ss_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (; n; n--, x++, y++) {
		if (*x != *y)
			return (int)*x - (int)*y;
		if (!*x)
			return 0;
	}
	return 0;
}

/* BSD semantics: copies at most size-1 bytes, always terminates when size > 0,
 * returns strlen(src) so that truncation shows as a return value >= size. */
size_t ss_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = ss_strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
		dst[n] = '\0';
	}
	return len;
}

/* BSD semantics: returns the length of the string it tried to create. */
size_t ss_strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = 0;
	while (dlen < size && dst[dlen])
		dlen++;
	if (dlen == size) /* dst not terminated within size: nothing to append to */
		return size + ss_strlen(src);
	return dlen + ss_strlcpy(dst + dlen, src, size - dlen);
}

/*
 * Errno descriptions, the glibc wording, for EPERM (1) up to EOWNERDEAD
 * (130).  A static table because strerror() may touch the locale and
 * strerror_r() is not on the async-signal-safe list.
 */
static const char *const errno_text[] = {
	[EPERM] = "Operation not permitted",
	[ENOENT] = "No such file or directory",
	[ESRCH] = "No such process",
	[EINTR] = "Interrupted system call",
	[EIO] = "Input/output error",
	[ENXIO] = "No such device or address",
	[E2BIG] = "Argument list too long",
	[ENOEXEC] = "Exec format error",
	[EBADF] = "Bad file descriptor",
	[ECHILD] = "No child processes",
	[EAGAIN] = "Resource temporarily unavailable",
	[ENOMEM] = "Cannot allocate memory",
	[EACCES] = "Permission denied",
	[EFAULT] = "Bad address",
	[ENOTBLK] = "Block device required",
	[EBUSY] = "Device or resource busy",
	[EEXIST] = "File exists",
	[EXDEV] = "Invalid cross-device link",
	[ENODEV] = "No such device",
	[ENOTDIR] = "Not a directory",
	[EISDIR] = "Is a directory",
	[EINVAL] = "Invalid argument",
	[ENFILE] = "Too many open files in system",
	[EMFILE] = "Too many open files",
	[ENOTTY] = "Inappropriate ioctl for device",
	[ETXTBSY] = "Text file busy",
	[EFBIG] = "File too large",
	[ENOSPC] = "No space left on device",
	[ESPIPE] = "Illegal seek",
	[EROFS] = "Read-only file system",
	[EMLINK] = "Too many links",
	[EPIPE] = "Broken pipe",
	[EDOM] = "Numerical argument out of domain",
	[ERANGE] = "Numerical result out of range",
	[EDEADLOCK] = "Resource deadlock avoided",
	[ENAMETOOLONG] = "File name too long",
	[ENOLCK] = "No locks available",
	[ENOSYS] = "Function not implemented",
	[ENOTEMPTY] = "Directory not empty",
	[ELOOP] = "Too many levels of symbolic links",
	[ENOMSG] = "No message of desired type",
	[EIDRM] = "Identifier removed",
	[ECHRNG] = "Channel number out of range",
	[EL2NSYNC] = "Level 2 not synchronized",
	[EL3HLT] = "Level 3 halted",
	[EL3RST] = "Level 3 reset",
	[ELNRNG] = "Link number out of range",
	[EUNATCH] = "Protocol driver not attached",
	[ENOCSI] = "No CSI structure available",
	[EL2HLT] = "Level 2 halted",
	[EBADE] = "Invalid exchange",
	[EBADR] = "Invalid request descriptor",
	[EXFULL] = "Exchange full",
	[ENOANO] = "No anode",
	[EBADRQC] = "Invalid request code",
	[EBADSLT] = "Invalid slot",
	[EBFONT] = "Bad font file format",
	[ENOSTR] = "Device not a stream",
	[ENODATA] = "No data available",
	[ETIME] = "Timer expired",
	[ENOSR] = "Out of streams resources",
	[ENONET] = "Machine is not on the network",
	[ENOPKG] = "Package not installed",
	[EREMOTE] = "Object is remote",
	[ENOLINK] = "Link has been severed",
	[EADV] = "Advertise error",
	[ESRMNT] = "Srmount error",
	[ECOMM] = "Communication error on send",
	[EPROTO] = "Protocol error",
	[EMULTIHOP] = "Multihop attempted",
	[EDOTDOT] = "RFS specific error",
	[EBADMSG] = "Bad message",
	[EOVERFLOW] = "Value too large for defined data type",
	[ENOTUNIQ] = "Name not unique on network",
	[EBADFD] = "File descriptor in bad state",
	[EREMCHG] = "Remote address changed",
	[ELIBACC] = "Can not access a needed shared library",
	[ELIBBAD] = "Accessing a corrupted shared library",
	[ELIBSCN] = ".lib section in a.out corrupted",
	[ELIBMAX] = "Attempting to link in too many shared libraries",
	[ELIBEXEC] = "Cannot exec a shared library directly",
	[EILSEQ] = "Invalid or incomplete multibyte or wide character",
	[ERESTART] = "Interrupted system call should be restarted",
	[ESTRPIPE] = "Streams pipe error",
	[EUSERS] = "Too many users",
	[ENOTSOCK] = "Socket operation on non-socket",
	[EDESTADDRREQ] = "Destination address required",
	[EMSGSIZE] = "Message too long",
	[EPROTOTYPE] = "Protocol wrong type for socket",
	[ENOPROTOOPT] = "Protocol not available",
	[EPROTONOSUPPORT] = "Protocol not supported",
	[ESOCKTNOSUPPORT] = "Socket type not supported",
	[ENOTSUP] = "Operation not supported",
	[EPFNOSUPPORT] = "Protocol family not supported",
	[EAFNOSUPPORT] = "Address family not supported by protocol",
	[EADDRINUSE] = "Address already in use",
	[EADDRNOTAVAIL] = "Cannot assign requested address",
	[ENETDOWN] = "Network is down",
	[ENETUNREACH] = "Network is unreachable",
	[ENETRESET] = "Network dropped connection on reset",
	[ECONNABORTED] = "Software caused connection abort",
	[ECONNRESET] = "Connection reset by peer",
	[ENOBUFS] = "No buffer space available",
	[EISCONN] = "Transport endpoint is already connected",
	[ENOTCONN] = "Transport endpoint is not connected",
	[ESHUTDOWN] = "Cannot send after transport endpoint shutdown",
	[ETOOMANYREFS] = "Too many references: cannot splice",
	[ETIMEDOUT] = "Connection timed out",
	[ECONNREFUSED] = "Connection refused",
	[EHOSTDOWN] = "Host is down",
	[EHOSTUNREACH] = "No route to host",
	[EALREADY] = "Operation already in progress",
	[EINPROGRESS] = "Operation now in progress",
	[ESTALE] = "Stale file handle",
	[EUCLEAN] = "Structure needs cleaning",
	[ENOTNAM] = "Not a XENIX named type file",
	[ENAVAIL] = "No XENIX semaphores available",
	[EISNAM] = "Is a named type file",
	[EREMOTEIO] = "Remote I/O error",
	[EDQUOT] = "Disk quota exceeded",
	[ENOMEDIUM] = "No medium found",
	[EMEDIUMTYPE] = "Wrong medium type",
	[ECANCELED] = "Operation canceled",
	[ENOKEY] = "Required key not available",
	[EKEYEXPIRED] = "Key has expired",
	[EKEYREVOKED] = "Key has been revoked",
	[EKEYREJECTED] = "Key was rejected by service",
	[EOWNERDEAD] = "Owner died",
};

const char *ss_strerror(int errnum)
{
	if (errnum == 0)
		return "Success";
	if (errnum > 0 && (size_t)errnum < sizeof(errno_text) / sizeof(errno_text[0]) && errno_text[errnum])
		return errno_text[errnum];
	/* No buffer to print the number into: callers that need it print it beside. */
	return "Unknown error";
}

/* ---- formatter ---- */

struct out {
	char *buf;
	size_t size; /* capacity including the NUL */
	size_t len;  /* bytes stored; always < size when size > 0 */
};

static void put_c(struct out *o, char c)
{
	if (o->size && o->len < o->size - 1)
		o->buf[o->len++] = c;
}

static void put_n(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_c(o, s[i]);
}

static void put_pad(struct out *o, char c, long n)
{
	for (; n > 0; n--)
		put_c(o, c);
}

/* Put n bytes of s padded to width (right-aligned unless left). */
static void put_field(struct out *o, const char *s, size_t n, long width, bool left)
{
	long pad = width > (long)n ? width - (long)n : 0;
	if (!left)
		put_pad(o, ' ', pad);
	put_n(o, s, n);
	if (left)
		put_pad(o, ' ', pad);
}

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

static void put_number(struct out *o, unsigned long long v, bool neg, unsigned base, bool upper, bool left,
		       bool zero, long width, long prec, char plus)
{
	char digits[32];
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t nd = 0;

	do {
		digits[nd++] = set[v % base];
		v /= base;
	} while (v && nd < sizeof(digits));
	if (prec == 0 && nd == 1 && digits[0] == '0')
		nd = 0; /* "%.0d" of 0 prints nothing, as printf does */

	char sign = neg ? '-' : plus;
	long zeros = prec > (long)nd ? prec - (long)nd : 0;
	long body = (long)nd + zeros + (sign ? 1 : 0);
	long pad = width > body ? width - body : 0;
	if (zero && !left && prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!left)
		put_pad(o, ' ', pad);
	if (sign)
		put_c(o, sign);
	put_pad(o, '0', zeros);
	while (nd)
		put_c(o, digits[--nd]);
	if (left)
		put_pad(o, ' ', pad);
}

static size_t vfmt(char *buf, size_t size, int errnum, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *p = fmt; p && *p; p++) {
		if (*p != '%') {
			put_c(&o, *p);
			continue;
		}
		const char *start = p++;
		bool left = false, zero = false;
		char plus = 0;
		long width = -1, prec = -1;

		for (;; p++) {
			if (*p == '-')
				left = true;
			else if (*p == '0')
				zero = true;
			else if (*p == '+')
				plus = '+';
			else if (*p == ' ') {
				if (!plus)
					plus = ' ';
			} else if (*p == '#')
				; /* accepted, no alternate forms */
			else
				break;
		}
		if (*p == '*') {
			int w = va_arg(ap, int);
			if (w < 0) {
				left = true;
				w = w == INT_MIN ? INT_MAX : -w;
			}
			width = w;
			p++;
		} else {
			for (width = 0; *p >= '0' && *p <= '9'; p++)
				if (width < 100000)
					width = width * 10 + (*p - '0');
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				int pr = va_arg(ap, int);
				prec = pr < 0 ? -1 : pr;
				p++;
			} else {
				for (prec = 0; *p >= '0' && *p <= '9'; p++)
					if (prec < 100000)
						prec = prec * 10 + (*p - '0');
			}
		}
		enum len_mod lm = LEN_NONE;
		if (*p == 'h') {
			lm = LEN_H;
			if (*++p == 'h') {
				lm = LEN_HH;
				p++;
			}
		} else if (*p == 'l') {
			lm = LEN_L;
			if (*++p == 'l') {
				lm = LEN_LL;
				p++;
			}
		} else if (*p == 'z') {
			lm = LEN_Z;
			p++;
		} else if (*p == 'j') {
			lm = LEN_J;
			p++;
		} else if (*p == 't') {
			lm = LEN_T;
			p++;
		}

		switch (*p) {
		case '%':
			put_c(&o, '%');
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_field(&o, &c, 1, width, left);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = 0;
			/* bounded: with a precision the string need not be terminated */
			while ((prec < 0 || (long)n < prec) && s[n])
				n++;
			put_field(&o, s, n, width, left);
			break;
		}
		case 'm': {
			const char *s = ss_strerror(errnum);
			put_field(&o, s, ss_strlen(s), width, left);
			break;
		}
		case 'd':
		case 'i': {
			long long v;
			switch (lm) {
			case LEN_L: v = va_arg(ap, long); break;
			case LEN_LL: v = va_arg(ap, long long); break;
			case LEN_Z: v = va_arg(ap, ssize_t); break;
			case LEN_J: v = va_arg(ap, intmax_t); break;
			case LEN_T: v = va_arg(ap, ptrdiff_t); break;
			case LEN_HH: v = (signed char)va_arg(ap, int); break;
			case LEN_H: v = (short)va_arg(ap, int); break;
			default: v = va_arg(ap, int); break;
			}
			unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
			put_number(&o, mag, v < 0, 10, false, left, zero, width, prec, plus);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v;
			switch (lm) {
			case LEN_L: v = va_arg(ap, unsigned long); break;
			case LEN_LL: v = va_arg(ap, unsigned long long); break;
			case LEN_Z: v = va_arg(ap, size_t); break;
			case LEN_J: v = va_arg(ap, uintmax_t); break;
			case LEN_T: v = (unsigned long long)va_arg(ap, ptrdiff_t); break;
			case LEN_HH: v = (unsigned char)va_arg(ap, unsigned); break;
			case LEN_H: v = (unsigned short)va_arg(ap, unsigned); break;
			default: v = va_arg(ap, unsigned); break;
			}
			unsigned base = *p == 'o' ? 8 : *p == 'u' ? 10 : 16;
			put_number(&o, v, false, base, *p == 'X', left, zero, width, prec, 0);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			put_n(&o, "0x", 2);
			put_number(&o, v, false, 16, false, left, false, width > 2 ? width - 2 : -1, -1, 0);
			break;
		}
		default:
			/* unknown conversion (or the format ended): print it as written */
			put_n(&o, start, (size_t)(p - start) + (*p ? 1 : 0));
			if (!*p)
				p--;
			break;
		}
	}
	if (size)
		buf[o.len] = '\0';
	return o.len;
}

size_t ss_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	/* %m is the errno at entry, like glibc's printf */
	return vfmt(buf, size, errno, fmt, ap);
}

size_t ss_fmt(char *buf, size_t size, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	size_t n = vfmt(buf, size, saved, fmt, ap);
	va_end(ap);
	return n;
}

size_t ss_fmt_errno(char *buf, size_t size, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = vfmt(buf, size, errnum, fmt, ap);
	va_end(ap);
	return n;
}

int ss_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- PATH search ---- */

#define SS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_path(char *const envp[])
{
	if (envp)
		for (size_t i = 0; envp[i]; i++)
			if (ss_strncmp(envp[i], "PATH=", 5) == 0)
				return envp[i] + 5;
	return SS_DEFAULT_PATH;
}

/*
 * Like glibc's execvpe() with these differences, all on purpose:
 *  - PATH comes from envp (the environment the program will get), not from
 *    the caller's environ, because the caller is the runtime, not the
 *    container;
 *  - a file found but refused with ENOEXEC (no #! line, unknown format) is
 *    NOT retried with /bin/sh: a container image need not have a shell and
 *    silently running something else under sh hides the real error;
 *  - an empty PATH element means the current directory, as POSIX says.
 * Errors that mean "not here" (ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT,
 * ELOOP, ENAMETOOLONG) and EACCES move on to the next element; any other
 * error (ENOEXEC, E2BIG, ETXTBSY, ENOMEM, ...) is about the file that was
 * found and is returned at once.  At the end: EACCES if any candidate gave
 * it, else ENOENT.
 */
/*
 * Walk file along the PATH of envp: try(candidate) for each, in order.  try
 * returns 0 to stop with success, -EAGAIN to go on, or another -errno to stop
 * with that error.  A file with a '/' is tried as it is.  out holds the last
 * candidate.
 */
static int walk_path(const char *file, char *const envp[], char *out, size_t outlen,
		     int (*try)(const char *cand, void *arg), void *arg)
{
	if (!file || !*file)
		return -ENOENT;
	for (const char *c = file; *c; c++)
		if (*c == '/') {
			if (ss_strlcpy(out, file, outlen) >= outlen)
				return -ENAMETOOLONG;
			int r = try(out, arg);
			return r == -EAGAIN ? -ENOENT : r;
		}
	size_t flen = ss_strlen(file);
	if (flen > NAME_MAX)
		return -ENAMETOOLONG;
	const char *path = env_path(envp);
	for (const char *p = path;; p++) {
		const char *end = p;
		while (*end && *end != ':')
			end++;
		size_t dlen = (size_t)(end - p);
		if (dlen + 1 + flen + 1 <= outlen) {
			size_t n = 0;
			if (dlen == 0)
				out[n++] = '.';
			for (size_t i = 0; i < dlen; i++)
				out[n++] = p[i];
			out[n++] = '/';
			for (size_t i = 0; i < flen; i++)
				out[n++] = file[i];
			out[n] = '\0';
			int r = try(out, arg);
			if (r != -EAGAIN)
				return r;
		}
		if (!*end)
			break;
		p = end;
	}
	return -ENOENT;
}

struct exec_args {
	char *const *argv;
	char *const *envp;
	bool seen_eacces;
	int last_errno;
};

static int try_exec(const char *cand, void *arg)
{
	struct exec_args *a = arg;
	execve(cand, a->argv, a->envp);
	a->last_errno = errno;
	switch (errno) {
	case EACCES:
		a->seen_eacces = true;
		return -EAGAIN;
	case ENOENT:
	case ENOTDIR:
	case ESTALE:
	case ENODEV:
	case ETIMEDOUT:
	case ELOOP:
	case ENAMETOOLONG:
		return -EAGAIN;
	default:
		return -errno;
	}
}

int ss_execvpe(const char *file, char *const argv[], char *const envp[])
{
	static char *const empty_env[] = { NULL };
	struct exec_args a = { argv, envp ? envp : empty_env, false, 0 };
	char cand[PATH_MAX];
	bool direct = false;

	for (const char *c = file ? file : ""; *c; c++)
		direct |= *c == '/';
	int r = walk_path(file, envp, cand, sizeof(cand), try_exec, &a);
	/* a path with a '/' is not searched: its own error is the answer */
	if (direct && r == -ENOENT && a.last_errno)
		return -a.last_errno;
	return r == -ENOENT && a.seen_eacces ? -EACCES : r;
}

/* 0 when path names a regular file the caller may execute, else -errno. */
static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return -errno;
	return 0;
}

static int try_lookup(const char *cand, void *arg)
{
	bool *seen_eacces = arg;
	int r = check_exec(cand);
	if (r == -EACCES || r == -EPERM)
		*seen_eacces = true;
	return r == 0 ? 0 : -EAGAIN;
}

int ss_lookpath(const char *file, char *const envp[], char *out, size_t outlen)
{
	bool seen_eacces = false;
	int r = walk_path(file, envp, out, outlen, try_lookup, &seen_eacces);
	return r == -ENOENT && seen_eacces ? -EACCES : r;
}

void ss_exit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

#ifdef CTR_TSAN
void __tsan_ignore_thread_begin(void);
#endif

int ss_cloexec_from(unsigned lo)
{
	if (syscall(SYS_close_range, lo, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* before 5.11 (EINVAL: the flag is unknown) or 5.9 (ENOSYS) */
	struct rlimit rl;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) < 0 || rl.rlim_max == RLIM_INFINITY ||
	    rl.rlim_max > (1u << 20))
		rl.rlim_max = 1u << 20;
	for (unsigned long fd = lo; fd < rl.rlim_max; fd++) {
		int f = fcntl((int)fd, F_GETFD);
		if (f >= 0 && !(f & FD_CLOEXEC) && fcntl((int)fd, F_SETFD, f | FD_CLOEXEC) < 0)
			return -errno;
	}
	return 0;
}

void ss_child_begin(void)
{
#ifdef CTR_TSAN
	__tsan_ignore_thread_begin();
#endif
}

/* struct pidfd_info of <linux/pidfd.h>, first version (PIDFD_INFO_SIZE_VER0 = 64 bytes). */
struct ss_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define SS_PIDFD_GET_INFO _IOWR(0xFF, 11, struct ss_pidfd_info)
#define SS_PIDFD_INFO_EXIT (1ULL << 3)

int ss_pidfd_exit_wstatus(int pidfd, int *wstatus)
{
	for (long wait_ns = 20000, waited = 0;; waited += wait_ns, wait_ns *= 2) {
		struct ss_pidfd_info info;
		char *p = (char *)&info;
		for (size_t i = 0; i < sizeof(info); i++)
			p[i] = 0;
		info.mask = SS_PIDFD_INFO_EXIT;
		if (ioctl(pidfd, SS_PIDFD_GET_INFO, &info) < 0)
			return -ECHILD;
		if (info.mask & SS_PIDFD_INFO_EXIT) {
			*wstatus = info.exit_code;
			return 0;
		}
		if (waited >= 100000000L)
			return -ECHILD;
		struct timespec ts = {0, wait_ns};
		nanosleep(&ts, NULL);
	}
}

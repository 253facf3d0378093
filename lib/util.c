/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int ctr_init_options(void *opts, size_t size, const void *def, size_t def_size)
{
	if (!opts || size < sizeof(size_t))
		return -EINVAL;
	memcpy(opts, def, size < def_size ? size : def_size);
	if (size > def_size)
		memset((unsigned char *)opts + def_size, 0, size - def_size);
	memcpy(opts, &size, sizeof(size));
	return 0;
}

int ctr_copy_options(void *dst, size_t dst_size, const void *src, size_t src_size, const char *what,
		     ctr_error **err)
{
	if (src_size < sizeof(size_t))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: size field is %zu: call the _init() function before filling it in", what,
			       src_size);
	if (src_size > dst_size) {
		const unsigned char *tail = (const unsigned char *)src + dst_size;
		for (size_t i = 0; i < src_size - dst_size; i++)
			if (tail[i])
				return ctr_err(err, E2BIG, CTR_E_INVALID,
					       "%s: the caller's struct (%zu bytes) sets fields this library "
					       "(%zu bytes) does not know: use a newer libctr",
					       what, src_size, dst_size);
		src_size = dst_size;
	}
	/* dst holds the defaults already; overwrite the part the caller knows */
	memcpy(dst, src, src_size);
	*(size_t *)dst = dst_size;
	return 0;
}

/* read fd from its current offset to EOF (at most max bytes) into a NUL-terminated buffer; fd stays open */
static int read_fd(int fd, const char *path, size_t max, char **out, size_t *len, ctr_error **err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return ctr_err_nomem(err);
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return ctr_err(err, EFBIG, CTR_E_INVALID, "%s: file is larger than %zu bytes",
					       path, max);
			}
			cap *= 2;
			if (cap > max)
				cap = max;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return ctr_err_nomem(err);
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			return ctr_err_sys(err, e, "%s: read", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int ctr_read_file(const char *path, size_t max, char **out, size_t *len, ctr_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM, "%s: %s", path,
			       strerror(errno));
	int r = read_fd(fd, path, max, out, len, err);
	close(fd);
	return r;
}

#define MOUNTINFO "/proc/self/mountinfo"
#define MOUNTINFO_MAX ((size_t)16 << 20)

/*
 * The context's copy of the mount table (ctr_context.mi_*), for
 * ctr_host_snap_read: read again only when poll() on the open file says the
 * table changed (the kernel reports every mount, unmount and change of a
 * mount's flags in the namespace as POLLPRI, proc(5)), or the file would
 * now show another table: the process is in another mount namespace, has
 * another root (the paths are relative to the opener's) or is a forked
 * child (the file is its parent's).  Reading it costs 25-30 us here (the
 * kernel renders every mount); the checks (two stats, getpid and the poll)
 * about 2.  A malloc'ed copy in *out.
 */
static int mountinfo_cached(ctr_context *ctx, char **out, size_t *len, ctr_error **err)
{
	struct stat ns, root;
	int r = 0;
	if (stat("/proc/self/ns/mnt", &ns) < 0 || stat("/", &root) < 0)
		return ctr_read_file(MOUNTINFO, MOUNTINFO_MAX, out, len, err);
	pid_t pid = getpid();
	pthread_mutex_lock(&ctx->mi_lock);
	if (ctx->mi_fd < 0 || ctx->mi_ns != ns.st_ino || ctx->mi_root_dev != root.st_dev ||
	    ctx->mi_root_ino != root.st_ino || ctx->mi_pid != pid) {
		if (ctx->mi_fd >= 0)
			close(ctx->mi_fd);
		free(ctx->mi_text);
		ctx->mi_text = NULL;
		ctx->mi_ns = ns.st_ino;
		ctx->mi_root_dev = root.st_dev;
		ctx->mi_root_ino = root.st_ino;
		ctx->mi_pid = pid;
		/* opened before it is read: a change after the open is reported by the next poll */
		if ((ctx->mi_fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			r = ctr_err_sys(err, errno, "%s", MOUNTINFO);
	} else {
		struct pollfd p = {.fd = ctx->mi_fd, .events = POLLPRI};
		/* an event (or an error) means read again: poll took the event, a change
		 * from here on is reported next time */
		if (poll(&p, 1, 0) != 0) {
			free(ctx->mi_text);
			ctx->mi_text = NULL;
		}
	}
	if (r == 0 && !ctx->mi_text) {
		if (lseek(ctx->mi_fd, 0, SEEK_SET) < 0)
			r = ctr_err_sys(err, errno, "%s: seek", MOUNTINFO);
		else
			r = read_fd(ctx->mi_fd, MOUNTINFO, MOUNTINFO_MAX, &ctx->mi_text, &ctx->mi_len, err);
	}
	if (r == 0 && !(*out = malloc(ctx->mi_len + 1)))
		r = ctr_err_nomem(err);
	if (r == 0) {
		memcpy(*out, ctx->mi_text, ctx->mi_len + 1);
		*len = ctx->mi_len;
	}
	pthread_mutex_unlock(&ctx->mi_lock);
	return r;
}

int ctr_host_cache_fd(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->mi_lock);
	int fd = ctx->mi_fd;
	pthread_mutex_unlock(&ctx->mi_lock);
	return fd;
}

void ctr_host_cache_fini(ctr_context *ctx)
{
	if (ctx->mi_fd >= 0)
		close(ctx->mi_fd);
	ctx->mi_fd = -1;
	free(ctx->mi_text);
	ctx->mi_text = NULL;
	pthread_mutex_destroy(&ctx->mi_lock);
}

int ctr_host_snap_read(struct ctr_host_snap *snap, const char *which, char **out, size_t *len, ctr_error **err)
{
	bool mi = !strcmp(which, "mountinfo");
	const char *path = mi ? MOUNTINFO : "/proc/self/cgroup";
	size_t max = mi ? MOUNTINFO_MAX : (size_t)1 << 20;
	if (!snap)
		return ctr_read_file(path, max, out, len, err);
	char **text = mi ? &snap->mountinfo : &snap->cgroup;
	size_t *tlen = mi ? &snap->mountinfo_len : &snap->cgroup_len;
	int r;
	if (!*text && (r = mi && snap->ctx ? mountinfo_cached(snap->ctx, text, tlen, err)
					   : ctr_read_file(path, max, text, tlen, err)) < 0)
		return r;
	if (!(*out = malloc(*tlen + 1)))
		return ctr_err_nomem(err);
	memcpy(*out, *text, *tlen + 1);
	*len = *tlen;
	return 0;
}

void ctr_host_snap_free(struct ctr_host_snap *snap)
{
	free(snap->mountinfo);
	free(snap->cgroup);
	memset(snap, 0, sizeof(*snap));
}

void ctr_sb_add(struct ctr_sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 512) + n;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ctr_sb_puts(struct ctr_sbuf *b, const char *s)
{
	ctr_sb_add(b, s, strlen(s));
}

void ctr_sb_printf(struct ctr_sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		/* only short numbers and names go through here */
		b->oom = true;
		return;
	}
	ctr_sb_add(b, tmp, (size_t)n);
}

void ctr_sb_json_str(struct ctr_sbuf *b, const char *s)
{
	if (!s)
		s = "";
	ctr_sb_add(b, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		ctr_sb_add(b, run, (size_t)(s - run));
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		ctr_sb_puts(b, esc);
		run = s + 1;
	}
	ctr_sb_add(b, run, (size_t)(s - run));
	ctr_sb_add(b, "\"", 1);
}

int ctr_write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t w = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

static int getrandom_u64(void *arg, uint64_t *out)
{
	(void)arg;
	ssize_t n;
	do
		n = getrandom(out, sizeof(*out), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*out) ? 0 : n < 0 ? -errno : -EIO;
}

/* How many temporary names are tried before giving up on EEXIST (64 random bits each). */
#define ATOMIC_TRIES 16

int ctr_write_file_atomic_rnd(int dirfd, const char *dir, const char *name, const void *buf, size_t len,
			      unsigned mode, unsigned flags, int (*rnd)(void *arg, uint64_t *out), void *arg,
			      ctr_error **err)
{
	char tmp[NAME_MAX + 1];
	int fd = -1, r;
	for (int i = 0; fd < 0; i++) {
		uint64_t bits;
		if (i == ATOMIC_TRIES)
			return ctr_err(err, EEXIST, CTR_E_SYSTEM,
				       "%s/%s: %d temporary names were taken: remove the files named .%s.tmp.* there",
				       dir, name, ATOMIC_TRIES, name);
		if ((r = rnd(arg, &bits)) < 0)
			return ctr_err_sys(err, -r, "%s/%s: random bits for a temporary name", dir, name);
		int n = snprintf(tmp, sizeof(tmp), ".%s.tmp.%016llx", name, (unsigned long long)bits);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "%s/%s: name too long", dir, name);
		/* O_EXCL: never an existing file (nor a hard link to one), never through a symlink */
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return ctr_err_sys(err, errno, "%s/%s: create", dir, tmp);
	}
	const char *what = "write";
	int e = -ctr_write_all(fd, buf, len, -1);
	if (!e && (flags & CTR_WRITE_FSYNC) && fsync(fd) < 0 && errno != EINVAL) {
		e = errno;
		what = "fsync";
	}
	if (close(fd) < 0 && !e && errno != EINTR) {
		e = errno;
		what = "close";
	}
	if (!e && renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		return ctr_err_sys(err, e, "%s/%s: rename", dir, name);
	}
	if (e) {
		unlinkat(dirfd, tmp, 0);
		return ctr_err_sys(err, e, "%s/%s: %s", dir, tmp, what);
	}
	return 0;
}

int ctr_write_file_atomic_at(int dirfd, const char *dir, const char *name, const void *buf, size_t len, unsigned mode,
			     unsigned flags, ctr_error **err)
{
	return ctr_write_file_atomic_rnd(dirfd, dir, name, buf, len, mode, flags, getrandom_u64, NULL, err);
}

int ctr_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode, ctr_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return ctr_err(err, EISDIR, CTR_E_INVALID, "%s: not a file name", path);
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "%s: path too long", path);
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	/* the temporary file and the rename in one directory, whatever happens to its path meanwhile */
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ctr_err_sys(err, errno, "%s: open", dir);
	int r = ctr_write_file_atomic_at(dfd, dir, name, buf, len, mode, CTR_WRITE_FSYNC, err);
	close(dfd);
	return r;
}

size_t ctr_strv_len(const char *const *v)
{
	size_t n = 0;
	if (v)
		while (v[n])
			n++;
	return n;
}

char **ctr_strv_dup(const char *const *v)
{
	if (!v)
		return NULL;
	size_t n = ctr_strv_len(v);
	char **r = calloc(n + 1, sizeof(char *));
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		r[i] = strdup(v[i]);
		if (!r[i]) {
			ctr_strv_free(r);
			return NULL;
		}
	}
	return r;
}

int ctr_validate_id(const char *id, ctr_error **err)
{
	if (!id || !*id)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "container id is empty");
	size_t n = strlen(id);
	if (n > 1024)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "container id is longer than 1024 bytes");
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '_' || c == '.' || c == '-' || c == '+'));
		if (!ok)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "container id '%s': character %zu is not allowed: use letters, digits "
				       "and '_', '.', '-', '+' (not first)",
				       id, i + 1);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ctr_list_dir_with(const char *dir, const char *marker, const char *what, char ***out, ctr_error **err)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap + 1, sizeof(char *));
	if (!v)
		return ctr_err_nomem(err);
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*out = v;
			return 0;
		}
		int e = errno;
		free(v);
		return ctr_err_sys(err, e, "%s %s: opendir", what, dir);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", e->d_name, marker);
		if (faccessat(dirfd(d), path, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			cap *= 2;
			char **nv = realloc(v, (cap + 1) * sizeof(char *));
			if (!nv)
				goto nomem;
			v = nv;
		}
		if (!(v[n] = strdup(e->d_name)))
			goto nomem;
		v[++n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	*out = v;
	return 0;
nomem:
	closedir(d);
	v[n] = NULL;
	ctr_strv_free(v);
	return ctr_err_nomem(err);
}

char *ctr_find_program(const char *name)
{
	const char *path = secure_getenv("PATH");
	char *dirs = NULL, *save = NULL, *found = NULL;
	if (!name || !*name || strchr(name, '/'))
		return NULL;
	if (asprintf(&dirs, "%s:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin", path ? path : "") < 0)
		return NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand;
		struct stat st;
		if (d[0] != '/' || asprintf(&cand, "%s/%s", d, name) < 0)
			continue;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

int ctr_dl_open(const char *soname, const char *const *names, void **syms, size_t n, char *why, size_t why_len)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(why, why_len, "%s", e ? e : "dlopen failed");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!(syms[i] = dlsym(h, names[i]))) {
			snprintf(why, why_len, "%s has no %s", soname, names[i]);
			return -1;
		}
	return 0;
}

bool ctr_path_nested(const char *a, const char *b)
{
	while (*a == '/')
		a++;
	while (*b == '/')
		b++;
	size_t la = strlen(a), lb = strlen(b);
	while (la && a[la - 1] == '/')
		la--;
	while (lb && b[lb - 1] == '/')
		lb--;
	size_t m = la < lb ? la : lb;
	if (!m)
		return true; /* the root is above everything */
	if (strncmp(a, b, m) != 0)
		return false;
	/* the shorter one ends at a component boundary of the longer one */
	return la == lb || (la > lb ? a[m] : b[m]) == '/';
}

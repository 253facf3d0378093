/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Layer extraction (image-spec layer.md): libarchive parses the tar stream
 * that layer-stream.c decodes on a second thread; this file creates the
 * entries fd-relatively.  Every parent directory is opened with openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS (symlinks and ".." stay inside the
 * root) and the final component is created with *at() calls that do not
 * follow symlinks, so no entry can read or write outside the root.  The
 * last parent is cached (entries come grouped by directory) and dropped as
 * soon as an entry replaces one of its path components.  Regular files are
 * created and written by writer threads (layer-pool.c) in the directory fd
 * their parser resolved; an entry that touches a queued path waits for
 * them (see job_on_path and do_entry), so the tree is the archive order's.
 * A writer job points into the decoded stream buffers that libarchive hands
 * out and holds them (layer_stream_hold) instead of copying the bytes.
 */
#include "image/layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/layer-internal.h"
#include "internal.h"

/* ---- the set of paths this layer wrote (whiteouts only apply to lower layers) ---- */

#define W_WRITTEN 1u
#define W_ANCESTOR 2u
#define W_JOB 4u /* a regular file handed to the writer threads: it may not exist yet */

struct pset {
	char **key;
	unsigned char *flag;
	size_t cap, n;
};

static uint64_t hash_path(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static size_t pset_slot(const struct pset *s, const char *p, size_t n)
{
	size_t i = (size_t)hash_path(p, n) & (s->cap - 1);
	while (s->key[i] && !(strlen(s->key[i]) == n && !memcmp(s->key[i], p, n)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static unsigned pset_get(const struct pset *s, const char *p, size_t n)
{
	if (!s->cap)
		return 0;
	size_t i = pset_slot(s, p, n);
	return s->key[i] ? s->flag[i] : 0;
}

/* Add flags to p; returns the flags it had before, or -ENOMEM. */
static int pset_add(struct pset *s, const char *p, size_t n, unsigned f)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		struct pset ns = {calloc(nc, sizeof(char *)), calloc(nc, 1), nc, s->n};
		if (!ns.key || !ns.flag) {
			free(ns.key);
			free(ns.flag);
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->key[i]) {
				size_t j = pset_slot(&ns, s->key[i], strlen(s->key[i]));
				ns.key[j] = s->key[i];
				ns.flag[j] = s->flag[i];
			}
		free(s->key);
		free(s->flag);
		*s = ns;
	}
	size_t i = pset_slot(s, p, n);
	if (s->key[i]) {
		unsigned old = s->flag[i];
		s->flag[i] |= (unsigned char)f;
		return (int)old;
	}
	s->key[i] = strndup(p, n);
	if (!s->key[i])
		return -ENOMEM;
	s->flag[i] = (unsigned char)f;
	s->n++;
	return 0;
}

static void pset_free(struct pset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->key[i]);
	free(s->key);
	free(s->flag);
}

/* ---- extraction state ---- */

/* A parent directory fd shared by the extracting thread's cache and the queued file jobs in it. */
struct pdir {
	int fd;
	int refs; /* atomic */
};

static struct pdir *pdir_ref(struct pdir *d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

static void pdir_unref(struct pdir *d)
{
	if (d && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		close(d->fd);
		free(d);
	}
}

struct dirmeta {
	char *path;
	struct timespec ts[2];
	mode_t mode;
	bool chmod; /* unprivileged: the final mode comes after the children */
};

struct whiteout {
	char *path; /* the whited-out path, or the opaque directory */
	bool opaque;
};

struct x {
	int root;
	const char *lname;
	struct ctr_layer_opts o;
	struct layer_stream *s;
	struct archive *a;
	/* the cached parent directory */
	char cpath[PATH_MAX];
	size_t clen;
	struct pdir *cdir;
	gid_t cgid;
	bool csgid;
	mode_t umask;
	uid_t euid;
	gid_t egid;
	struct pset w;
	struct dirmeta *dirs;
	size_t ndirs, cdirs;
	struct whiteout *wh;
	size_t nwh, cwh;
	const char *ename; /* raw entry name, for messages */
	char last[256];    /* a copy of it that outlives libarchive's entry */
	char path[PATH_MAX];
	size_t plen;
	struct ctr_layer_stats st;
	struct layer_pool *pool; /* the writer threads, started at the first regular file */
	unsigned nwriters;       /* 0: none, write on this thread */
};

static int entry_err(struct x *x, ctr_error **err, int errnum, const char *fmt, ...) CTR_PRINTF(4, 5);
static int entry_err(struct x *x, ctr_error **err, int errnum, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctr_err(err, errnum, errnum == ENOMEM ? CTR_E_NOMEM : CTR_E_INVALID, "%s: entry '%.200s': %s",
		       x->lname, x->ename ? x->ename : "", msg);
}

/* The message of a failed system call on an entry; also used by the writer threads (no struct x there). */
static int name_sys(const char *lname, const char *ename, ctr_error **err, int errnum, const char *what)
{
	return ctr_err(err, errnum, CTR_E_SYSTEM, "%s: entry '%.200s': %s: %s", lname, ename ? ename : "", what,
		       strerror(errnum));
}

static int entry_sys(struct x *x, ctr_error **err, int errnum, const char *what)
{
	return name_sys(x->lname, x->ename, err, errnum, what);
}

/* openat2 inside the root: symlinks and ".." cannot leave it, /proc magic links refused. */
static int in_root(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int i = 0; i < 32; i++) {
		long fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a rename raced with the lookup; the kernel asks to retry */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/*
 * Normalise a tar name into a path relative to the root: empty and "."
 * components dropped, ".." removes the previous component and stops at the
 * root (as RESOLVE_IN_ROOT treats it), a leading "/" ignored.
 */
static int norm_path(const char *in, char *out, size_t outsz, size_t *outlen)
{
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *q = p;
		while (*q && *q != '/')
			q++;
		size_t n = (size_t)(q - p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (n > NAME_MAX)
				return -ENAMETOOLONG;
			if (o + 1 + n + 1 > outsz)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = q;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static size_t parent_len(const char *path, size_t len)
{
	while (len > 0 && path[len - 1] != '/')
		len--;
	return len ? len - 1 : 0;
}

static void cache_drop(struct x *x)
{
	pdir_unref(x->cdir);
	x->cdir = NULL;
}

/* Make fd (owned from here on) the cached directory path (len); returns fd, or -ENOMEM. */
static int cache_set(struct x *x, const char *path, size_t len, int fd, ctr_error **err)
{
	cache_drop(x);
	struct pdir *d = malloc(sizeof(*d));
	if (!d) {
		close(fd);
		return ctr_err_nomem(err);
	}
	*d = (struct pdir){fd, 1};
	struct stat st;
	x->csgid = false;
	x->cgid = x->egid;
	if (fstat(fd, &st) == 0) {
		x->csgid = (st.st_mode & S_ISGID) != 0;
		x->cgid = st.st_gid;
	}
	memcpy(x->cpath, path, len);
	x->cpath[len] = '\0';
	x->clen = len;
	x->cdir = d;
	return fd;
}

/* An entry at path (len) was replaced: a cached parent under it may be stale. */
static void cache_invalidate(struct x *x, const char *path, size_t len)
{
	if (x->cdir && x->clen >= len && !memcmp(x->cpath, path, len) &&
	    (x->clen == len || x->cpath[len] == '/' || len == 0))
		cache_drop(x);
}

static int name_remove_at(const char *lname, const char *ename, int pfd, const char *name, ctr_error **err)
{
	if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return name_sys(lname, ename, err, errno, "cannot replace the existing file");
	int r = ctr_rm_tree_at(pfd, name, err);
	if (r < 0)
		ctr_err_prefix(err, "%s: entry '%.200s': replacing a directory", lname, ename);
	return r;
}

static int remove_at(struct x *x, int pfd, const char *name, ctr_error **err)
{
	return name_remove_at(x->lname, x->ename, pfd, name, err);
}

/* Open the directory path (len) inside the root, creating missing components (mode 0755). */
static int make_dirs(struct x *x, const char *path, size_t len, ctr_error **err)
{
	char buf[PATH_MAX];
	int cur = in_root(x->root, "", O_PATH | O_DIRECTORY);
	if (cur < 0)
		return entry_sys(x, err, -cur, "cannot open the root");
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		memcpy(buf, path, j);
		buf[j] = '\0';
		int fd = in_root(x->root, buf, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT || fd == -ENOTDIR) {
			/* cur is the resolved parent: create the component there */
			char name[NAME_MAX + 1];
			memcpy(name, path + i, j - i);
			name[j - i] = '\0';
			if (mkdirat(cur, name, 0755) < 0) {
				struct stat st;
				if (errno != EEXIST || fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
					int e = errno;
					close(cur);
					return entry_sys(x, err, e, "cannot create a parent directory");
				}
				/* a non-directory (or a dangling symlink) is in the way: replace it */
				int r = remove_at(x, cur, name, err);
				if (r < 0 || mkdirat(cur, name, 0755) < 0) {
					int e = errno;
					close(cur);
					return r < 0 ? r : entry_sys(x, err, e, "cannot create a parent directory");
				}
			}
			fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
		}
		close(cur);
		if (fd < 0)
			return entry_sys(x, err, -fd, "cannot open a parent directory");
		cur = fd;
		i = j + 1;
	}
	return cur;
}

/*
 * Is path (len), or one of its ancestors, a regular file queued for the
 * writers in this layer?  Then it may not exist yet, or may be about to
 * replace what is there: resolving through it must wait for the writers.
 */
static bool job_on_path(const struct x *x, const char *path, size_t len)
{
	for (size_t i = 1; i <= len; i++)
		if ((i == len || path[i] == '/') && (pset_get(&x->w, path, i) & W_JOB))
			return true;
	return false;
}

/* Wait for the writer threads (their first error) when path (len) resolves through a queued file. */
static int wait_path(struct x *x, const char *path, size_t len, ctr_error **err)
{
	return x->pool && job_on_path(x, path, len) ? layer_pool_drain(x->pool, err) : 0;
}

/* The parent directory of x->path, from the cache or resolved (and created) inside the root. */
static int open_parent(struct x *x, size_t plen, ctr_error **err)
{
	if (x->cdir && x->clen == plen && !memcmp(x->cpath, x->path, plen))
		return x->cdir->fd;
	int r = wait_path(x, x->path, plen, err);
	if (r < 0)
		return r;
	char buf[PATH_MAX];
	memcpy(buf, x->path, plen);
	buf[plen] = '\0';
	int fd = in_root(x->root, buf, O_PATH | O_DIRECTORY);
	if (fd == -ENOENT || fd == -ENOTDIR)
		fd = make_dirs(x, buf, plen, err);
	else if (fd < 0)
		return entry_sys(x, err, -fd, "cannot resolve the parent directory inside the root");
	if (fd < 0)
		return fd;
	return cache_set(x, buf, plen, fd, err);
}

static int mark_written(struct x *x, unsigned flags, ctr_error **err)
{
	int r = pset_add(&x->w, x->path, x->plen, flags);
	if (r < 0)
		return ctr_err_nomem(err);
	size_t n = x->plen;
	while (n > 0) {
		n = parent_len(x->path, n);
		if (n == 0)
			break;
		r = pset_add(&x->w, x->path, n, W_ANCESTOR);
		if (r < 0)
			return ctr_err_nomem(err);
		if (r & W_ANCESTOR)
			break; /* its ancestors are marked already */
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
	if (!archive_entry_mtime_is_set(e)) {
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1].tv_nsec = UTIME_OMIT;
	}
}

static int entry_owner(struct x *x, struct archive_entry *e, uid_t *uid, gid_t *gid, ctr_error **err)
{
	int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);
	if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
		return entry_err(x, err, EINVAL, "owner %" PRId64 ":%" PRId64 " is not a valid uid:gid", u, g);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* Would a new inode in the cached parent need a chown to get uid:gid? */
static bool need_chown(const struct x *x, uid_t uid, gid_t gid)
{
	if (x->o.unprivileged)
		return false;
	return uid != x->euid || gid != (x->csgid ? x->cgid : x->egid);
}

#ifndef SYS_setxattrat
#define SYS_setxattrat 463 /* Linux 6.13 */
#endif
struct ctr_xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

/* setxattrat(2) on pfd/name without following a symlink: xattrs of symlinks and nodes, which have no fd to write */
static int xattr_at(int pfd, const char *fname, const char *name, const void *val, size_t sz)
{
	struct ctr_xattr_args a = {(uint64_t)(uintptr_t)val, (uint32_t)sz, 0};
	return (int)syscall(SYS_setxattrat, pfd, fname, AT_SYMLINK_NOFOLLOW, name, &a, sizeof(a));
}

/* The entry's xattrs on fd, or (fd < 0) on pfd/fname itself. */
static int set_xattrs(struct x *x, int fd, int pfd, const char *fname, struct archive_entry *e, ctr_error **err)
{
	const char *name;
	const void *val;
	size_t sz;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &sz) == ARCHIVE_OK) {
		/* overlayfs metadata from an archive could forge whiteouts, redirects or opaque dirs */
		if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
			continue;
		if ((fd >= 0 ? fsetxattr(fd, name, val, sz, 0) : xattr_at(pfd, fname, name, val, sz)) == 0)
			continue;
		int e2 = errno;
		if (fd < 0 && (e2 == ENOSYS || e2 == EPERM))
			continue; /* a kernel before 6.13, or a namespace the kernel keeps off symlinks and nodes */
		bool kernel_says = !strncmp(name, "trusted.", 8) || !strncmp(name, "security.", 9);
		if (!strcmp(name, "security.capability") && !x->o.unprivileged)
			return entry_sys(x, err, e2, "cannot set the security.capability xattr (file capabilities)");
		if (kernel_says && (e2 == EPERM || e2 == EACCES || e2 == ENOTSUP || e2 == EINVAL))
			continue; /* as the kernel allows: unprivileged or an LSM that refuses it */
		if (e2 == ENOTSUP)
			continue; /* the file system has no such xattrs */
		char what[300];
		snprintf(what, sizeof(what), "cannot set the xattr '%.200s'", name);
		return entry_sys(x, err, e2, what);
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n, off_t off, bool at)
{
	const char *p = buf;
	while (n) {
		ssize_t w = at ? pwrite(fd, p, n, off) : write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int archive_fail(struct x *x, ctr_error **err, const char *when)
{
	int rc = layer_stream_take_error(x->s, err);
	if (rc)
		return rc;
	int e = archive_errno(x->a);
	const char *msg = archive_error_string(x->a);
	return ctr_err(err, e > 0 ? e : EBADMSG, CTR_E_INVALID, "%s: %s '%.200s': %s", x->lname, when,
		       x->ename ? x->ename : "", msg ? msg : "damaged tar archive");
}

/* ---- regular files: written here, or queued for the writer threads ---- */

#define WHOLE_MAX (1u << 20)    /* files up to this size are queued whole: a writer creates and fills them */
#define CHUNK (1u << 20)        /* larger ones are created here and written by the writers in jobs of this much */
#define QUEUE_BYTES (16u << 20) /* the parser waits while this much is queued (stream buffers the jobs hold) */

/* What a regular file gets besides its bytes, decided on the extracting thread. */
struct fmeta {
	int64_t size;
	struct timespec ts[2];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	bool chown, chmod;
};

static int file_meta(struct x *x, struct archive_entry *e, struct fmeta *m, ctr_error **err)
{
	m->mode = archive_entry_perm(e) & 07777;
	m->size = archive_entry_size(e);
	if (m->size < 0)
		m->size = 0;
	if (x->o.max_bytes && (uint64_t)m->size > x->o.max_bytes)
		return entry_err(x, err, EFBIG, "size %" PRId64 " exceeds the limit of %" PRIu64 " bytes", m->size,
				 x->o.max_bytes);
	int r = entry_owner(x, e, &m->uid, &m->gid, err);
	if (r < 0)
		return r;
	m->chown = need_chown(x, m->uid, m->gid);
	/* unless the create mode (u+rw added, the umask's bits taken) is already right */
	m->chmod = (((m->mode & 0777) | 0600) & ~x->umask) != m->mode;
	entry_times(e, m->ts);
	return 0;
}

/* Create pfd/name for writing, replacing what is there; returns the fd. */
static int file_create(const char *lname, const char *ename, int pfd, const char *name, mode_t mode,
		       ctr_error **err)
{
	int fl = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(pfd, name, fl, (mode & 0777) | 0600);
	if (fd < 0 && errno == EEXIST) {
		int r = name_remove_at(lname, ename, pfd, name, err);
		if (r < 0)
			return r;
		fd = openat(pfd, name, fl, (mode & 0777) | 0600);
	}
	if (fd < 0)
		return name_sys(lname, ename, err, errno, "cannot create the file");
	return fd;
}

/* After the data (end: where it stops): a sparse file's trailing hole, owner, mode. */
static int file_owner_mode(const char *lname, const char *ename, int fd, const struct fmeta *m, int64_t end,
			   ctr_error **err)
{
	if (m->size > end && ftruncate(fd, m->size) < 0)
		return name_sys(lname, ename, err, errno, "cannot extend the sparse file");
	if (m->chown && fchown(fd, m->uid, m->gid) < 0)
		return name_sys(lname, ename, err, errno, "cannot change the owner");
	if (m->chmod && fchmod(fd, m->mode) < 0)
		return name_sys(lname, ename, err, errno, "cannot set the mode");
	return 0;
}

/* The times last, then close fd (in every case). */
static int file_close(const char *lname, const char *ename, int fd, const struct fmeta *m, ctr_error **err)
{
	if (futimens(fd, m->ts) < 0) {
		int e = errno;
		close(fd);
		return name_sys(lname, ename, err, e, "cannot set the times");
	}
	if (close(fd) < 0 && errno != EINTR)
		return name_sys(lname, ename, err, errno, "cannot write the file");
	return 0;
}

/* A written file without xattrs: file_owner_mode, then file_close (fd is closed in every case). */
static int file_finish(const char *lname, const char *ename, int fd, const struct fmeta *m, int64_t end,
		       ctr_error **err)
{
	int r = file_owner_mode(lname, ename, fd, m, end, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return file_close(lname, ename, fd, m, err);
}

/* The entry's next block of data: 1 with buf/n/off set (n > 0), 0 at its end, or the error. */
static int next_block(struct x *x, const void **buf, size_t *n, la_int64_t *off, ctr_error **err)
{
	for (;;) {
		int ar = archive_read_data_block(x->a, buf, n, off);
		if (ar == ARCHIVE_EOF)
			return 0;
		if (ar < ARCHIVE_WARN)
			return archive_fail(x, err, "reading the data of entry");
		if (*n)
			return 1;
	}
}

/* The whole file on this thread, streamed from libarchive. */
static int do_file_here(struct x *x, struct archive_entry *e, const struct fmeta *m, int pfd, const char *name,
			ctr_error **err)
{
	int fd = file_create(x->lname, x->ename, pfd, name, m->mode, err);
	if (fd < 0)
		return fd;
	off_t pos = 0;
	int r;
	const void *buf;
	size_t n;
	la_int64_t off;
	while ((r = next_block(x, &buf, &n, &off, err)) > 0) {
		r = write_all(fd, buf, n, off, off != pos);
		if (r < 0) {
			r = entry_sys(x, err, -r, "cannot write the file");
			break;
		}
		pos = off + (off_t)n;
	}
	if (!r)
		r = file_owner_mode(x->lname, x->ename, fd, m, pos, err);
	/* xattrs after the data: a write clears security.capability */
	if (!r)
		r = set_xattrs(x, fd, -1, NULL, e, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return file_close(x->lname, x->ename, fd, m, err);
}

/* A large file written in chunks by any writer; whoever lets go last finishes it. */
struct wfile {
	int refs;   /* atomic: the parser's, and one per queued chunk */
	int failed; /* atomic: a chunk failed or the parser gave up: close it unfinished */
	int fd;
	int64_t end; /* where the data ends, set by the parser before it lets go */
	struct fmeta m;
	const char *lname;
	char ename[256];
};

static int wfile_unref(struct wfile *w, ctr_error **err)
{
	if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL))
		return 0;
	int r = 0;
	if (__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE))
		close(w->fd);
	else
		r = file_finish(w->lname, w->ename, w->fd, &w->m, w->end, err);
	free(w);
	return r;
}

/*
 * A piece of a file's data: a run of bytes in a stream buffer the job holds
 * (no copy), or its own copy (buf NULL) when libarchive handed out bytes
 * from a buffer of its own.
 */
struct seg {
	int64_t off; /* in the file */
	const unsigned char *p;
	size_t len;
	struct layer_buf *buf;
};

#define MAXSEG 8

/*
 * A job for the writers: a whole small file (dir/name), or a run of chunks
 * of a large one (wf).  A small file whose data came in more than MAXSEG
 * pieces (a sparse file) is copied into flat instead: its size in bytes,
 * holes as zeros.
 */
struct fjob {
	struct layer_job j;
	struct pdir *dir;
	struct wfile *wf;
	struct fmeta m;
	const char *lname; /* a whole file's names for messages (a chunk's are its wfile's) */
	unsigned nseg;
	struct seg seg[MAXSEG];
	unsigned char *flat;
	char name[NAME_MAX + 1];
	char ename[256];
};

static void seg_release(struct seg *g)
{
	if (g->buf)
		layer_buf_release(g->buf);
	else
		free((void *)(uintptr_t)g->p);
	g->buf = NULL;
	g->p = NULL;
}

static void fjob_free(struct fjob *j)
{
	for (unsigned i = 0; i < j->nseg; i++)
		seg_release(&j->seg[i]);
	free(j->flat);
	free(j);
}

/* Write the job's pieces at their offsets, runs of adjacent ones with one pwritev; *end: where the data ends. */
static int write_segs(int fd, const struct fjob *j, int64_t *end)
{
	unsigned i = 0;
	while (i < j->nseg) {
		struct iovec iov[MAXSEG];
		unsigned n = 0;
		int64_t off = j->seg[i].off, at = off;
		size_t total = 0;
		for (; i < j->nseg && j->seg[i].off == at; i++, n++) {
			iov[n].iov_base = (void *)(uintptr_t)j->seg[i].p;
			iov[n].iov_len = j->seg[i].len;
			at += (int64_t)j->seg[i].len;
			total += j->seg[i].len;
		}
		struct iovec *v = iov;
		while (total) {
			ssize_t w = pwritev(fd, v, (int)n, (off_t)off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += w;
			total -= (size_t)w;
			/* a short write: skip what went out */
			while (n && (size_t)w >= v->iov_len) {
				w -= (ssize_t)v->iov_len;
				v++;
				n--;
			}
			if (n) {
				v->iov_base = (char *)v->iov_base + w;
				v->iov_len -= (size_t)w;
			}
		}
		if (at > *end)
			*end = at;
	}
	return 0;
}

static int fjob_run(struct layer_job *lj, ctr_error **err)
{
	struct fjob *j = (struct fjob *)lj;
	int r;
	int64_t end = 0;
	if (j->wf) {
		struct wfile *w = j->wf;
		r = write_segs(w->fd, j, &end);
		if (r < 0) {
			__atomic_store_n(&w->failed, 1, __ATOMIC_RELEASE);
			r = name_sys(w->lname, w->ename, err, -r, "cannot write the file");
		}
		int r2 = wfile_unref(w, r < 0 ? NULL : err);
		if (!r)
			r = r2;
	} else {
		int fd = file_create(j->lname, j->ename, j->dir->fd, j->name, j->m.mode, err);
		r = fd < 0 ? fd : 0;
		if (fd >= 0) {
			if (j->flat) {
				r = write_all(fd, j->flat, (size_t)j->m.size, 0, false);
				end = j->m.size;
			} else {
				r = write_segs(fd, j, &end);
			}
			if (r < 0) {
				close(fd);
				r = name_sys(j->lname, j->ename, err, -r, "cannot write the file");
			} else {
				r = file_finish(j->lname, j->ename, fd, &j->m, end, err);
			}
		}
		pdir_unref(j->dir);
	}
	fjob_free(j);
	return r;
}

static void fjob_drop(struct layer_job *lj)
{
	struct fjob *j = (struct fjob *)lj;
	if (j->wf) {
		__atomic_store_n(&j->wf->failed, 1, __ATOMIC_RELEASE);
		wfile_unref(j->wf, NULL);
	} else {
		pdir_unref(j->dir);
	}
	fjob_free(j);
}

static struct fjob *fjob_new(ctr_error **err)
{
	struct fjob *j = calloc(1, sizeof(*j));
	if (!j) {
		ctr_err_nomem(err);
		return NULL;
	}
	j->j.bytes = sizeof(*j);
	return j;
}

/*
 * Add n bytes at file offset off to j: held in the stream buffer they are
 * in, or copied.  1: the job has no room for another piece (nothing added).
 */
static int fjob_add(struct x *x, struct fjob *j, const void *p, size_t n, int64_t off, ctr_error **err)
{
	if (j->nseg == MAXSEG)
		return 1;
	struct seg *g = &j->seg[j->nseg];
	g->off = off;
	g->len = n;
	g->buf = layer_stream_hold(x->s, p, n);
	if (g->buf) {
		g->p = p;
	} else {
		void *c = malloc(n);
		if (!c)
			return ctr_err_nomem(err);
		memcpy(c, p, n);
		g->p = c;
	}
	j->nseg++;
	j->j.bytes += n;
	return 0;
}

/* A small file in too many pieces: copy them into one buffer of its size (holes as zeros). */
static int fjob_flatten(struct fjob *j, size_t size, ctr_error **err)
{
	j->flat = calloc(1, size ? size : 1);
	if (!j->flat)
		return ctr_err_nomem(err);
	for (unsigned i = 0; i < j->nseg; i++) {
		memcpy(j->flat + j->seg[i].off, j->seg[i].p, j->seg[i].len);
		seg_release(&j->seg[i]);
	}
	j->nseg = 0;
	j->j.bytes = sizeof(*j) + size;
	return 0;
}

/* A small file: created and written by a writer, from the stream's buffers (no copy where possible). */
static int queue_whole(struct x *x, const struct fmeta *m, const char *name, ctr_error **err)
{
	size_t size = (size_t)m->size;
	struct fjob *j = fjob_new(err);
	if (!j)
		return -ENOMEM;
	j->lname = x->lname;
	snprintf(j->ename, sizeof(j->ename), "%s", x->ename ? x->ename : "");
	size_t pos = 0;
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;
	while ((r = next_block(x, &buf, &n, &off, err)) > 0) {
		if (off < 0 || (size_t)off < pos || (size_t)off > size || n > size - (size_t)off) {
			fjob_free(j);
			return entry_err(x, err, EBADMSG, "data beyond the size of %zu bytes in its header", size);
		}
		r = j->flat ? 0 : fjob_add(x, j, buf, n, off, err);
		if (r == 1)
			r = fjob_flatten(j, size, err);
		if (r < 0) {
			fjob_free(j);
			return r;
		}
		if (j->flat)
			memcpy(j->flat + off, buf, n);
		pos = (size_t)off + n;
	}
	if (r < 0) {
		fjob_free(j);
		return r;
	}
	j->m = *m;
	j->dir = pdir_ref(x->cdir);
	memcpy(j->name, name, strlen(name) + 1);
	return layer_pool_push(x->pool, &j->j, err);
}

/* A large file: created here (so later entries find it), its data written by the writers in chunks. */
static int queue_chunks(struct x *x, const struct fmeta *m, int pfd, const char *name, ctr_error **err)
{
	int fd = file_create(x->lname, x->ename, pfd, name, m->mode, err);
	if (fd < 0)
		return fd;
	struct wfile *w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return ctr_err_nomem(err);
	}
	w->refs = 1;
	w->fd = fd;
	w->m = *m;
	w->lname = x->lname;
	snprintf(w->ename, sizeof(w->ename), "%s", x->ename ? x->ename : "");
	struct fjob *j = NULL;
	int64_t end = 0;
	int r = 0;
	const void *p;
	size_t n;
	la_int64_t off;
	while ((r = next_block(x, &p, &n, &off, err)) > 0) {
		/* a job is pushed when it holds CHUNK bytes or MAXSEG pieces */
		if (j && (j->j.bytes - sizeof(*j) >= CHUNK || j->nseg == MAXSEG)) {
			r = layer_pool_push(x->pool, &j->j, err);
			j = NULL;
			if (r < 0)
				break;
		}
		if (!j) {
			if (!(j = fjob_new(err))) {
				r = -ENOMEM;
				break;
			}
			__atomic_add_fetch(&w->refs, 1, __ATOMIC_RELAXED);
			j->wf = w;
		}
		r = fjob_add(x, j, p, n, off, err);
		if (r < 0)
			break;
		if (off + (int64_t)n > end)
			end = off + (int64_t)n;
	}
	if (j && !r)
		r = layer_pool_push(x->pool, &j->j, err);
	else if (j)
		fjob_drop(&j->j);
	if (r < 0)
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELEASE);
	w->end = end;
	int r2 = wfile_unref(w, r < 0 ? NULL : err);
	return r < 0 ? r : r2;
}

/* A regular file; *queued: handed to the writers (it may not exist yet when this returns). */
static int do_file(struct x *x, struct archive_entry *e, int pfd, const char *name, bool *queued, ctr_error **err)
{
	struct fmeta m;
	int r = file_meta(x, e, &m, err);
	if (r < 0)
		return r;
	/* xattrs go on after the data and are read from libarchive's entry: such files stay here */
	if (!x->nwriters || archive_entry_xattr_count(e) > 0)
		return do_file_here(x, e, &m, pfd, name, err);
	if (!x->pool) {
		r = layer_pool_start(&x->pool, x->nwriters, QUEUE_BYTES, x->o.writer_delay_us, fjob_run, fjob_drop,
				     x->lname, err);
		if (r < 0)
			return r;
	}
	*queued = true;
	return (uint64_t)m.size <= WHOLE_MAX ? queue_whole(x, &m, name, err) : queue_chunks(x, &m, pfd, name, err);
}

/* Room for one more element in *arr (n used, *cap allocated); false when out of memory. */
static bool grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	void **a = arr;
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 32;
	void *na = realloc(*a, nc * elem);
	if (!na)
		return false;
	*a = na;
	*cap = nc;
	return true;
}

static int add_dirmeta(struct x *x, struct archive_entry *e, mode_t mode, bool chmod_late, ctr_error **err)
{
	if (!grow(&x->dirs, x->ndirs, &x->cdirs, sizeof(*x->dirs)))
		return ctr_err_nomem(err);
	struct dirmeta *d = &x->dirs[x->ndirs];
	d->path = strndup(x->path, x->plen);
	if (!d->path)
		return ctr_err_nomem(err);
	entry_times(e, d->ts);
	d->mode = mode;
	d->chmod = chmod_late;
	x->ndirs++;
	return 0;
}

static int do_dir(struct x *x, struct archive_entry *e, int pfd, const char *name, ctr_error **err)
{
	mode_t mode = archive_entry_perm(e) & 07777;
	uid_t uid = 0;
	gid_t gid = 0;
	int r = entry_owner(x, e, &uid, &gid, err);
	if (r < 0)
		return r;
	int fd;
	if (!*name) {
		fd = in_root(x->root, "", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return entry_sys(x, err, -fd, "cannot open the root");
	} else {
		if (mkdirat(pfd, name, 0700) < 0) {
			struct stat st;
			if (errno != EEXIST || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				return entry_sys(x, err, errno, "cannot create the directory");
			if (!S_ISDIR(st.st_mode)) {
				r = remove_at(x, pfd, name, err);
				if (r < 0)
					return r;
				if (mkdirat(pfd, name, 0700) < 0)
					return entry_sys(x, err, errno, "cannot create the directory");
			}
		}
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return entry_sys(x, err, errno, "cannot open the directory");
	}
	if (!x->o.unprivileged && fchown(fd, uid, gid) < 0) {
		close(fd);
		return entry_sys(x, err, errno, "cannot change the owner");
	}
	/* unprivileged: keep u+rwx until the children are in, then set the mode */
	bool late = x->o.unprivileged && (mode & 0700) != 0700;
	if (fchmod(fd, late ? (mode | 0700) : mode) < 0) {
		close(fd);
		return entry_sys(x, err, errno, "cannot set the mode");
	}
	r = set_xattrs(x, fd, -1, NULL, e, err);
	if (r == 0)
		r = add_dirmeta(x, e, mode, late, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	/* its children come next: make it the cached parent */
	cache_invalidate(x, x->path, x->plen);
	r = cache_set(x, x->path, x->plen, fd, err);
	return r < 0 ? r : 0;
}

/* Owner, mode (not for symlinks), xattrs and times of pfd/name, which has no fd of its own. */
static int meta_at(struct x *x, struct archive_entry *e, int pfd, const char *name, uid_t uid, gid_t gid,
		   bool chmod, ctr_error **err)
{
	if (need_chown(x, uid, gid) && fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_sys(x, err, errno, "cannot change the owner");
	/* a node just created in a directory this thread holds: not a symlink, so fchmodat may follow */
	if (chmod && fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
		return entry_sys(x, err, errno, "cannot set the mode");
	int r = set_xattrs(x, -1, pfd, name, e, err);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_sys(x, err, errno, "cannot set the times");
	return 0;
}

static int do_symlink(struct x *x, struct archive_entry *e, int pfd, const char *name, ctr_error **err)
{
	const char *target = archive_entry_symlink(e);
	if (!target)
		target = archive_entry_symlink_utf8(e);
	if (!target || !*target)
		return entry_err(x, err, EINVAL, "symlink without a target");
	uid_t uid = 0;
	gid_t gid = 0;
	int r = entry_owner(x, e, &uid, &gid, err);
	if (r < 0)
		return r;
	if (symlinkat(target, pfd, name) < 0) {
		if (errno != EEXIST)
			return entry_sys(x, err, errno, "cannot create the symlink");
		r = remove_at(x, pfd, name, err);
		if (r < 0)
			return r;
		if (symlinkat(target, pfd, name) < 0)
			return entry_sys(x, err, errno, "cannot create the symlink");
	}
	return meta_at(x, e, pfd, name, uid, gid, false, err);
}

static int do_hardlink(struct x *x, const char *link, int pfd, const char *name, ctr_error **err)
{
	char t[PATH_MAX];
	size_t tlen;
	if (norm_path(link, t, sizeof(t), &tlen) < 0)
		return entry_err(x, err, ENAMETOOLONG, "hardlink target name too long");
	if (!tlen)
		return entry_err(x, err, EINVAL, "hardlink to the root directory");
	if (tlen == x->plen && !memcmp(t, x->path, tlen))
		return entry_err(x, err, EINVAL, "hardlink to itself");
	int r = wait_path(x, t, tlen, err); /* the target may still be in the writers' queue */
	if (r < 0)
		return r;
	size_t tp = parent_len(t, tlen);
	const char *tname = t + (tp ? tp + 1 : 0);
	char tparent[PATH_MAX];
	memcpy(tparent, t, tp);
	tparent[tp] = '\0';
	/* the target's parent resolved inside the root, its last component not followed */
	int tfd = in_root(x->root, tparent, O_PATH | O_DIRECTORY);
	if (tfd < 0)
		return entry_err(x, err, -tfd == ENOENT ? ENOENT : -tfd,
				 "hardlink target '%.200s': %s (it must be an earlier entry or in a lower layer)", link,
				 strerror(-tfd));
	r = 0;
	for (int tries = 0; tries < 2; tries++) {
		if (linkat(tfd, tname, pfd, name, 0) == 0) {
			r = 0;
			break;
		}
		int e = errno;
		if (e == EEXIST && tries == 0) {
			struct stat a, b;
			if (fstatat(tfd, tname, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
			    fstatat(pfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino)
				break; /* already that file */
			r = remove_at(x, pfd, name, err);
			if (r < 0)
				break;
			continue;
		}
		if (e == ENOENT)
			r = entry_err(x, err, ENOENT,
				      "hardlink target '%.200s' does not exist (it must be an earlier entry or in a lower layer)",
				      link);
		else if (e == EPERM)
			r = entry_err(x, err, EPERM, "hardlink target '%.200s' is a directory or may not be linked",
				      link);
		else
			r = entry_sys(x, err, e, "cannot create the hardlink");
		break;
	}
	close(tfd);
	return r;
}

static int do_node(struct x *x, struct archive_entry *e, int pfd, const char *name, ctr_error **err)
{
	mode_t type = archive_entry_filetype(e);
	mode_t mode = archive_entry_perm(e) & 07777;
	dev_t dev = 0;
	if (type == AE_IFCHR || type == AE_IFBLK) {
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (x->o.unprivileged)
			return entry_err(x, err, EPERM,
					 "%s device node %u:%u: creating device nodes needs root (CAP_MKNOD); "
					 "unpack as root, or use an image without device nodes",
					 type == AE_IFCHR ? "character" : "block", major(dev), minor(dev));
	}
	uid_t uid = 0;
	gid_t gid = 0;
	int r = entry_owner(x, e, &uid, &gid, err);
	if (r < 0)
		return r;
	if (mknodat(pfd, name, type | (mode & 0777), dev) < 0) {
		if (errno != EEXIST)
			return entry_sys(x, err, errno, "cannot create the node");
		r = remove_at(x, pfd, name, err);
		if (r < 0)
			return r;
		if (mknodat(pfd, name, type | (mode & 0777), dev) < 0)
			return entry_sys(x, err, errno, "cannot create the node");
	}
	return meta_at(x, e, pfd, name, uid, gid, true, err);
}

static int add_whiteout(struct x *x, const char *base, ctr_error **err)
{
	size_t pl = parent_len(x->path, x->plen);
	bool opaque = !strcmp(base, ".wh..wh..opq");
	if (!opaque && !strncmp(base, ".wh..wh.", 8))
		return 0; /* aufs metadata (.wh..wh.plnk, ...): not content */
	const char *victim = base + 4;
	if (!opaque && (!*victim || !strcmp(victim, ".") || !strcmp(victim, "..")))
		return entry_err(x, err, EINVAL, "whiteout '%s' names no file", base);
	if (!grow(&x->wh, x->nwh, &x->cwh, sizeof(*x->wh)))
		return ctr_err_nomem(err);
	char *p;
	if (opaque)
		p = strndup(x->path, pl);
	else if (asprintf(&p, "%.*s%s%s", (int)pl, x->path, pl ? "/" : "", victim) < 0)
		p = NULL;
	if (!p)
		return ctr_err_nomem(err);
	x->wh[x->nwh++] = (struct whiteout){p, opaque};
	return 0;
}

/* Check the raw typeflag of the header libarchive just read: it maps unknown types to regular files. */
static int check_typeflag(struct x *x, ctr_error **err)
{
	la_int64_t pos = archive_filter_bytes(x->a, 0);
	unsigned char h[512];
	if (pos < 512 || !layer_stream_peek(x->s, (uint64_t)pos - 512, h, sizeof(h)))
		return 0;
	unsigned long sum = 0;
	long ssum = 0;
	for (int i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		sum += c;
		ssum += (signed char)c;
	}
	unsigned long want = 0;
	int i = 148;
	while (i < 156 && h[i] == ' ')
		i++;
	if (i == 156 || h[i] < '0' || h[i] > '7')
		return 0;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned long)(h[i] - '0');
	if (want != sum && (long)want != ssum)
		return 0; /* not a plain header block (GNU sparse extension blocks): nothing to check */
	unsigned char t = h[156];
	if (t == 0 || (t >= '0' && t <= '7') || t == 'S' || t == 'D')
		return 0;
	return entry_err(x, err, EBADMSG, "unknown tar entry type '%c' (0x%02x); refusing to guess what it is",
			 t >= 0x20 && t < 0x7f ? t : '?', t);
}

static int do_entry(struct x *x, struct archive_entry *e, ctr_error **err)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	if (!raw)
		return ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: an entry has no readable name", x->lname);
	snprintf(x->last, sizeof(x->last), "%s", raw);
	x->ename = x->last;
	int r = check_typeflag(x, err);
	if (r < 0)
		return r;
	if (norm_path(raw, x->path, sizeof(x->path), &x->plen) < 0)
		return entry_err(x, err, ENAMETOOLONG, "name too long (a component over %d bytes or a path over %d)",
				 NAME_MAX, PATH_MAX - 1);
	size_t pl = parent_len(x->path, x->plen);
	const char *base = x->path + (pl ? pl + 1 : 0);
	mode_t type = archive_entry_filetype(e);
	const char *link = archive_entry_hardlink(e);
	if (!link)
		link = archive_entry_hardlink_utf8(e);

	if (!strncmp(base, ".wh.", 4))
		return add_whiteout(x, base, err);
	/*
	 * The writers may still be creating this path (an entry written twice)
	 * or something under it (children before their directory's entry):
	 * wait for them, so entries take effect in archive order.
	 */
	if (x->pool && (pset_get(&x->w, x->path, x->plen) & (W_JOB | W_ANCESTOR))) {
		r = layer_pool_drain(x->pool, err);
		if (r < 0)
			return r;
	}
	if (!x->plen) {
		if (type != AE_IFDIR || link)
			return entry_err(x, err, EINVAL, "a non-directory entry names the root directory");
		return do_dir(x, e, -1, "", err);
	}
	int pfd = open_parent(x, pl, err);
	if (pfd < 0)
		return pfd;
	char name[NAME_MAX + 1];
	size_t bl = strlen(base); /* <= NAME_MAX: norm_path checked every component */
	memcpy(name, base, bl + 1);
	bool queued = false;
	if (link) {
		r = do_hardlink(x, link, pfd, name, err);
	} else {
		switch (type) {
		case AE_IFREG:
			r = do_file(x, e, pfd, name, &queued, err);
			break;
		case AE_IFDIR:
			r = do_dir(x, e, pfd, name, err);
			break;
		case AE_IFLNK:
			r = do_symlink(x, e, pfd, name, err);
			break;
		case AE_IFCHR:
		case AE_IFBLK:
		case AE_IFIFO:
			r = do_node(x, e, pfd, name, err);
			break;
		default:
			r = entry_err(x, err, EBADMSG, "unsupported entry type (mode 0%o)", (unsigned)type);
		}
	}
	if (r < 0)
		return r;
	if (type != AE_IFDIR || link)
		cache_invalidate(x, x->path, x->plen);
	return mark_written(x, queued ? W_WRITTEN | W_JOB : W_WRITTEN, err);
}

/* ---- whiteouts, after all entries of the layer ---- */

static bool is_dir_at(int root, const char *path)
{
	int fd = in_root(root, path, O_PATH | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Remove from dir everything this layer did not write (lower-layer content), keeping what it did. */
static int prune(struct x *x, char *path, size_t len, ctr_error **err)
{
	int fd = in_root(x->root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return 0;
	if (fd < 0)
		return ctr_err(err, -fd, CTR_E_SYSTEM, "%s: opaque directory '%.200s': %s", x->lname, path,
			       strerror(-fd));
	/* names first, then the work: no directory stream stays open while recursing; close-on-exec
	 * like every fd (another thread of the caller may fork and exec meanwhile) */
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return ctr_err_sys(err, e, "%s: opaque directory '%.200s'", x->lname, path);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!grow(&names, n, &cap, sizeof(*names))) {
			r = ctr_err_nomem(err);
			break;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = ctr_err_nomem(err);
			break;
		}
		n++;
	}
	closedir(d);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t nl = strlen(names[i]);
		if (len + 1 + nl >= PATH_MAX)
			continue;
		size_t cl = len;
		if (cl)
			path[cl++] = '/';
		memcpy(path + cl, names[i], nl);
		cl += nl;
		path[cl] = '\0';
		if (pset_get(&x->w, path, cl)) {
			if (is_dir_at(x->root, path))
				r = prune(x, path, cl, err);
		} else {
			r = ctr_rm_tree_at(fd, names[i], err);
			if (r < 0)
				ctr_err_prefix(err, "%s: opaque directory", x->lname);
		}
		path[len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(fd);
	return r;
}

static int apply_whiteout(struct x *x, const struct whiteout *w, ctr_error **err)
{
	char path[PATH_MAX];
	size_t len = strlen(w->path);
	memcpy(path, w->path, len + 1);
	unsigned flags = pset_get(&x->w, path, len);
	bool overlay = x->o.whiteouts == CTR_WHITEOUT_OVERLAY;
	if (w->opaque || flags) {
		/* an opaque dir, or a whiteout of a directory this layer also writes: hide the lower content */
		if (!w->opaque && !is_dir_at(x->root, path))
			return 0; /* this layer wrote a non-directory there: it wins */
		if (!overlay)
			return prune(x, path, len, err);
		x->ename = w->path;
		memcpy(x->path, path, len + 1);
		x->plen = len;
		int fd = len ? make_dirs(x, path, len, err) : in_root(x->root, "", O_PATH | O_DIRECTORY);
		if (fd < 0)
			return len ? fd : entry_sys(x, err, -fd, "cannot open the root");
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		if (dfd < 0)
			return entry_sys(x, err, errno, "cannot open the opaque directory");
		/* unprivileged overlay mounts (userxattr) read the user.* name */
		const char *xn = x->o.unprivileged ? "user.overlay.opaque" : "trusted.overlay.opaque";
		int r = fsetxattr(dfd, xn, "y", 1, 0);
		int e = errno;
		close(dfd);
		if (r < 0)
			return entry_sys(x, err, e, "cannot mark the directory opaque (overlay xattr)");
		return 0;
	}
	size_t pl = parent_len(path, len);
	const char *name = path + (pl ? pl + 1 : 0);
	char parent[PATH_MAX];
	memcpy(parent, path, pl);
	parent[pl] = '\0';
	x->ename = w->path;
	if (!overlay) {
		int pfd = in_root(x->root, parent, O_PATH | O_DIRECTORY);
		if (pfd == -ENOENT || pfd == -ENOTDIR)
			return 0; /* nothing below to hide */
		if (pfd < 0)
			return entry_sys(x, err, -pfd, "whiteout: cannot resolve the parent");
		int r = ctr_rm_tree_at(pfd, name, err);
		close(pfd);
		if (r < 0)
			ctr_err_prefix(err, "%s: whiteout '%.200s'", x->lname, w->path);
		return r;
	}
	memcpy(x->path, path, len + 1);
	x->plen = len;
	int pfd = pl ? make_dirs(x, parent, pl, err) : in_root(x->root, "", O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pl ? pfd : entry_sys(x, err, -pfd, "cannot open the root");
	/* overlayfs's whiteout: a 0/0 character device (allowed unprivileged since Linux 5.8) */
	int r = mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0));
	if (r < 0 && errno == EEXIST) {
		r = remove_at(x, pfd, name, err);
		if (r == 0)
			r = mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0));
		else {
			close(pfd);
			return r;
		}
	}
	int e = errno;
	close(pfd);
	if (r < 0)
		return entry_sys(x, err, e, "cannot create the overlay whiteout");
	return 0;
}

static int finish_dirs(struct x *x, ctr_error **err)
{
	/* deepest last-created first, so a parent's final mode cannot lock its children out */
	for (size_t i = x->ndirs; i-- > 0;) {
		struct dirmeta *d = &x->dirs[i];
		int fd = in_root(x->root, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
			continue; /* replaced or removed by a later entry */
		x->ename = d->path;
		if (fd < 0)
			return entry_sys(x, err, -fd, "cannot reopen the directory to set its times");
		int r = 0;
		if (d->chmod && fchmod(fd, d->mode) < 0)
			r = entry_sys(x, err, errno, "cannot set the mode");
		if (!r && futimens(fd, d->ts) < 0)
			r = entry_sys(x, err, errno, "cannot set the times");
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

static mode_t current_umask(void)
{
	/* reading it from /proc leaves the process umask alone (umask(2) would change it) */
	char *buf = NULL;
	size_t len;
	mode_t m = 0777; /* unknown: chmod every file */
	if (ctr_read_file("/proc/self/status", 1 << 16, &buf, &len, NULL) == 0) {
		const char *p = strstr(buf, "\nUmask:");
		if (p)
			m = (mode_t)strtoul(p + 7, NULL, 8) & 0777;
	}
	free(buf);
	return m;
}

static int report(struct x *x, bool force)
{
	uint64_t in, out;
	layer_stream_counts(x->s, &in, &out);
	bool due = force || (x->st.entries & 63) == 0 || out - x->st.bytes_out >= (1u << 22);
	x->st.bytes_in = in;
	if (!due)
		return 0;
	x->st.bytes_out = out;
	if (x->o.progress && x->o.progress(x->o.progress_ud, &x->st))
		return -ECANCELED;
	return 0;
}

static int extract(struct x *x, ctr_error **err)
{
	for (;;) {
		if (ctr_cancelled(x->o.cancel))
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled", x->lname);
		struct archive_entry *e;
		int ar = archive_read_next_header(x->a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN || ar == ARCHIVE_RETRY)
			return archive_fail(x, err, x->ename ? "the tar header after entry" : "the first tar header");
		int r = do_entry(x, e, err);
		if (r < 0)
			return r;
		x->st.entries++;
		if (report(x, false) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled by the progress callback",
				       x->lname);
	}
	/* every file written before the whiteouts and directory times */
	int r = layer_pool_drain(x->pool, err);
	if (r < 0)
		return r;
	/* the end-of-archive marker: a stream that just stops at an entry boundary is truncated */
	la_int64_t pos = archive_filter_bytes(x->a, 0);
	unsigned char blk[512];
	bool zero = false;
	if (pos >= 512 && layer_stream_peek(x->s, (uint64_t)pos - 512, blk, sizeof(blk))) {
		zero = true;
		for (size_t i = 0; i < sizeof(blk); i++)
			zero = zero && !blk[i];
	}
	r = layer_stream_finish(x->s, pos < 0 ? 0 : (uint64_t)pos, err);
	if (r < 0)
		return r;
	if (!zero)
		return ctr_err(err, EBADMSG, CTR_E_INVALID,
			       "%s: the tar stream ends without its end-of-archive blocks after %" PRId64
			       " bytes (truncated)",
			       x->lname, (int64_t)pos);
	cache_drop(x);
	for (size_t i = 0; i < x->nwh; i++) {
		r = apply_whiteout(x, &x->wh[i], err);
		if (r < 0)
			return r;
	}
	r = finish_dirs(x, err);
	if (r < 0)
		return r;
	return report(x, true) < 0
		       ? ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled by the progress callback", x->lname)
		       : 0;
}

void ctr_layer_opts_init(struct ctr_layer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
}

int ctr_layer_apply(int root_fd, int blob_fd, const struct ctr_layer_desc *layer, const struct ctr_layer_opts *uo,
		    struct ctr_layer_stats *st, ctr_error **err)
{
	if (!layer)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_layer_apply: no layer descriptor");
	struct x x = {.root = root_fd};
	x.lname = layer->name ? layer->name : layer->digest ? layer->digest : "layer";
	ctr_layer_opts_init(&x.o);
	if (uo) {
		int r = ctr_copy_options(&x.o, sizeof(x.o), uo, uo->size, "ctr_layer_opts", err);
		if (r < 0)
			return r;
	}
	if (x.o.whiteouts != CTR_WHITEOUT_APPLY && x.o.whiteouts != CTR_WHITEOUT_OVERLAY)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: ctr_layer_opts.whiteouts: unknown mode %d", x.lname,
			       (int)x.o.whiteouts);
	struct stat rst;
	if (fstat(root_fd, &rst) < 0 || !S_ISDIR(rst.st_mode))
		return ctr_err(err, ENOTDIR, CTR_E_INVALID, "%s: the target is not an open directory", x.lname);
	x.euid = geteuid();
	x.egid = getegid();
	x.umask = current_umask();
	if (x.o.writers < -1)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: ctr_layer_opts.writers: %d (0: one per CPU, -1: none, 1 to 8: that many)", x.lname,
			       x.o.writers);
	if (x.o.writers > 0) {
		x.nwriters = (unsigned)x.o.writers; /* layer_pool_start takes more than 8 as 8 */
	} else if (x.o.writers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		x.nwriters = n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
	}
	int r = layer_stream_start(&x.s, blob_fd, layer, x.lname, &x.o, err);
	if (r < 0)
		return r;
	x.a = archive_read_new();
	if (!x.a) {
		r = ctr_err_nomem(err);
		goto out;
	}
	/* a tar reader only: the stream is decompressed already, so no libarchive filters */
	archive_read_support_format_tar(x.a);
	if (archive_read_open(x.a, x.s, NULL, layer_stream_read, NULL) != ARCHIVE_OK) {
		r = layer_stream_take_error(x.s, err);
		if (!r)
			r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: not a tar archive: %s", x.lname,
				    archive_error_string(x.a) ? archive_error_string(x.a) : "unrecognised format");
		goto out;
	}
	r = extract(&x, err);
out:
	layer_pool_free(x.pool); /* stops the writers (a failed apply drops what is queued) */
	if (st) {
		layer_stream_counts(x.s, &x.st.bytes_in, &x.st.bytes_out);
		*st = x.st;
	}
	if (x.a)
		archive_read_free(x.a);
	layer_stream_free(x.s);
	cache_drop(&x);
	pset_free(&x.w);
	for (size_t i = 0; i < x.ndirs; i++)
		free(x.dirs[i].path);
	free(x.dirs);
	for (size_t i = 0; i < x.nwh; i++)
		free(x.wh[i].path);
	free(x.wh);
	return r;
}

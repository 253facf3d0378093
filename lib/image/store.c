/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image store.  Layout under the store directory:
 *
 *   lock                 flock: shared by imports and rootfs mounts, exclusive for prune
 *   images.lock          flock: exclusive while images.json is rewritten
 *   images.json          {"images": {name: record}}, written atomically
 *   blobs/<alg>/<hex>    manifests, configs and layer blobs, content-addressed
 *   layers/<alg>/<hex>   each layer extracted once, keyed by its ChainID
 *                        (config.md), with overlayfs whiteouts, so it is an
 *                        overlay lowerdir
 *   locks/<hex>.lock     flock per layer while it is extracted
 *   leases/<name>        a container rootfs that uses layers: its state dir
 *                        and ChainIDs; prune keeps them while the state dir lives
 *   tmp/                 work in progress, each entry flock'ed by its owner;
 *                        an entry nobody holds is a crash's leftover and removed
 *
 * Nothing is trusted until it is renamed into place: a blob after its size
 * and digest were checked, a layer after it was extracted completely and its
 * DiffID matched, an image after all its layers and blobs exist.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "image/digest.h"
#include "image/layer.h"
#include "image/registry.h"

CTR_EXPORT int ctr_image_options_init_sized(ctr_image_options *o, size_t size)
{
	ctr_image_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(o, size, &def, sizeof(def));
}

/* The caller's options (of any struct size the size protocol allows), checked. */
int img_options_copy(ctr_image_options *o, const ctr_image_options *opts, ctr_error **err)
{
	int r = ctr_copy_options(o, sizeof(*o), opts, opts->size, "ctr_image_options", err);
	if (r < 0)
		return r;
	if (o->writer_threads < -1)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_image_options.writer_threads: %d (0: one per CPU, -1: none, 1 to 8: that many)",
			       o->writer_threads);
	return 0;
}

int img_flock(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* "sha256:abc" -> "<top>/sha256/abc" */
int img_digest_path(const char *top, const char *digest, char *buf, size_t n)
{
	const char *colon = strchr(digest, ':');
	if (!colon || strchr(colon + 1, '/') || !colon[1])
		return -EINVAL;
	int w = snprintf(buf, n, "%s/%.*s/%s", top, (int)(colon - digest), digest, colon + 1);
	return w > 0 && (size_t)w < n ? 0 : -ENAMETOOLONG;
}

int img_layer_dir(const char *chain_id, char *buf, size_t n)
{
	return img_digest_path("layers", chain_id, buf, n);
}


/* A directory stream of a store subdirectory; NULL when it cannot be opened. */
static DIR *open_sub(ctr_image_store *st, const char *sub)
{
	int fd = openat(st->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* Remove tmp/ entries that nobody holds a lock on (left by a crash). */
static unsigned clean_tmp(ctr_image_store *st)
{
	unsigned removed = 0;
	DIR *d = open_sub(st, "tmp");
	if (!d)
		return 0;
	int fd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int efd = openat(fd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (efd < 0)
			continue;
		if (flock(efd, LOCK_EX | LOCK_NB) == 0) {
			ctr_error *err = NULL;
			if (ctr_rm_tree_at(fd, e->d_name, &err) < 0)
				ctr_warn(st->ctx, "%s/tmp/%s: %s", st->dir, e->d_name, ctr_error_message(err));
			else
				removed++;
			ctr_error_free(err);
		}
		close(efd);
	}
	closedir(d);
	return removed;
}

CTR_EXPORT int ctr_image_store_open(ctr_context *ctx, ctr_image_store **out, const char *dir, ctr_error **err)
{
	static const char *const subdirs[] = { "blobs", "blobs/sha256", "blobs/sha512", "layers", "layers/sha256",
					       "layers/sha512", "locks", "leases", "tmp" };
	int r;
	if (!ctx || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_store_open: NULL argument");
	if (!dir)
		dir = CTR_IMAGE_STORE_DEFAULT;
	if (!*dir)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "image store: the directory name is empty");
	ctr_image_store *st = calloc(1, sizeof(*st));
	if (!st)
		return ctr_err_nomem(err);
	st->ctx = ctx;
	st->dirfd = st->lock_fd = -1;
	if (!(st->dir = realpath(dir, NULL))) {
		if (errno != ENOENT || (r = img_mkdir_p(dir, 0700, err)) < 0 || !(st->dir = realpath(dir, NULL))) {
			r = ctr_err_sys(err, errno, "image store %s: create it or pick another with --store", dir);
			goto fail;
		}
	}
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		r = ctr_err_sys(err, errno, "image store %s: open", st->dir);
		goto fail;
	}
	for (size_t i = 0; i < CTR_ARRAY_SIZE(subdirs); i++)
		if (mkdirat(st->dirfd, subdirs[i], 0700) < 0 && errno != EEXIST) {
			r = ctr_err_sys(err, errno, "image store %s: mkdir %s", st->dir, subdirs[i]);
			goto fail;
		}
	st->lock_fd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		r = ctr_err_sys(err, errno, "image store %s: open the lock file", st->dir);
		goto fail;
	}
	/* crashed imports' leftovers, only while no import runs: an import holds the store
	 * lock shared from before it makes a temp entry until it is done with it */
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		clean_tmp(st);
		img_store_unlock(st);
	}
	*out = st;
	return 0;
fail:
	ctr_image_store_free(st);
	return r;
}

CTR_EXPORT void ctr_image_store_free(ctr_image_store *st)
{
	if (!st)
		return;
	if (st->dirfd >= 0)
		close(st->dirfd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->dir);
	free(st);
}

CTR_EXPORT const char *ctr_image_store_dir(const ctr_image_store *st)
{
	return st ? st->dir : NULL;
}

int img_store_lock(ctr_image_store *st, int op, ctr_error **err)
{
	int r = img_flock(st->lock_fd, op);
	return r < 0 ? ctr_err_sys(err, -r, "image store %s: lock", st->dir) : 0;
}

void img_store_unlock(ctr_image_store *st)
{
	(void)flock(st->lock_fd, LOCK_UN);
}

/* A private, locked temporary directory (or file with is_file) under tmp/. */
int img_store_make_tmp(ctr_image_store *st, const char *prefix, bool is_file, char *name, size_t n, int *fd,
		    ctr_error **err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tmp/%s.XXXXXX", st->dir, prefix);
	if (is_file) {
		*fd = mkostemp(path, O_CLOEXEC);
		if (*fd < 0)
			return ctr_err_sys(err, errno, "%s: create", path);
	} else {
		if (!mkdtemp(path))
			return ctr_err_sys(err, errno, "%s: mkdtemp", path);
		*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd < 0) {
			int e = errno;
			rmdir(path);
			return ctr_err_sys(err, e, "%s: open", path);
		}
	}
	/* held until we are done: a concurrent clean_tmp() leaves it alone */
	(void)img_flock(*fd, LOCK_EX);
	snprintf(name, n, "tmp/%s", strrchr(path, '/') + 1);
	return 0;
}

/* ---- records ---- */

void img_record_free(struct img_record *r)
{
	free(r->name);
	free(r->source);
	free(r->manifest);
	free(r->config);
	free(r->imported);
	for (size_t i = 0; i < r->n_layers; i++) {
		free(r->layers[i].digest);
		free(r->layers[i].diff_id);
		free(r->layers[i].chain_id);
		free(r->layers[i].media_type);
	}
	free(r->layers);
	memset(r, 0, sizeof(*r));
}

/* images.json -> its "images" object (a new empty one when the file is missing). */
static int load_images(ctr_image_store *st, struct json_object **root, struct json_object **images, ctr_error **err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/images.json", st->dir);
	int r = ctr_read_file(path, 64u << 20, &buf, &len, err);
	if (r == -ENOENT) {
		if (err && *err) {
			ctr_error_free(*err);
			*err = NULL;
		}
		*root = json_object_new_object();
		*images = json_object_new_object();
		if (!*root || !*images) {
			json_object_put(*root);
			json_object_put(*images);
			return ctr_err_nomem(err);
		}
		json_object_object_add(*root, "images", *images);
		return 0;
	}
	if (r < 0)
		return r;
	r = img_json_parse(buf, len, path, false, root, err);
	free(buf);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(*root, "images", images) || !json_object_is_type(*images, json_type_object)) {
		json_object_put(*root);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: images: expected an object; the store is damaged: "
			       "remove the file and import the images again", path);
	}
	return 0;
}

static int save_images(ctr_image_store *st, struct json_object *root, ctr_error **err)
{
	char path[PATH_MAX];
	size_t len;
	snprintf(path, sizeof(path), "%s/images.json", st->dir);
	const char *txt = json_object_to_json_string_length(root, JSON_C_TO_STRING_PRETTY, &len);
	if (!txt)
		return ctr_err_nomem(err);
	return ctr_write_file_atomic(path, txt, len, 0600, err);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int record_from_json(const char *name, struct json_object *o, struct img_record *rec, ctr_error **err)
{
	struct json_object *ls;
	memset(rec, 0, sizeof(*rec));
	const char *m = jstr(o, "manifest"), *c = jstr(o, "config");
	if (!m || !c || !json_object_object_get_ex(o, "layers", &ls) || !json_object_is_type(ls, json_type_array))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "images.json: images.%s: damaged record: remove the image "
			       "and import it again", name);
	rec->name = strdup(name);
	rec->manifest = strdup(m);
	rec->config = strdup(c);
	rec->source = jstr(o, "source") ? strdup(jstr(o, "source")) : NULL;
	rec->imported = jstr(o, "imported") ? strdup(jstr(o, "imported")) : NULL;
	rec->n_layers = json_object_array_length(ls);
	rec->layers = calloc(rec->n_layers + 1, sizeof(*rec->layers));
	if (!rec->name || !rec->manifest || !rec->config || !rec->layers)
		goto oom;
	for (size_t i = 0; i < rec->n_layers; i++) {
		struct json_object *l = json_object_array_get_idx(ls, i), *sz;
		const char *d = jstr(l, "digest"), *di = jstr(l, "diffID"), *ch = jstr(l, "chainID"),
			   *mt = jstr(l, "mediaType");
		if (!d || !di || !ch || !mt) {
			img_record_free(rec);
			return ctr_err(err, EINVAL, CTR_E_PARSE, "images.json: images.%s.layers[%zu]: damaged record",
				       name, i);
		}
		rec->layers[i].digest = strdup(d);
		rec->layers[i].diff_id = strdup(di);
		rec->layers[i].chain_id = strdup(ch);
		rec->layers[i].media_type = strdup(mt);
		rec->layers[i].size = json_object_object_get_ex(l, "size", &sz) ? json_object_get_int64(sz) : -1;
		if (!rec->layers[i].digest || !rec->layers[i].diff_id || !rec->layers[i].chain_id ||
		    !rec->layers[i].media_type)
			goto oom;
	}
	return 0;
oom:
	img_record_free(rec);
	return ctr_err_nomem(err);
}

int img_store_record(ctr_image_store *st, const char *name, struct img_record *out, ctr_error **err)
{
	struct json_object *root, *images, *o;
	int r = load_images(st, &root, &images, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(images, name, &o))
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s' is not in the store %s: import it first "
			    "(ctr-demo image import <source> %s), or see 'ctr-demo image ls'", name, st->dir, name);
	else
		r = record_from_json(name, o, out, err);
	json_object_put(root);
	return r;
}

int img_store_open_blob(ctr_image_store *st, const char *digest, int *fd, ctr_error **err)
{
	char p[PATH_MAX];
	if (img_digest_path("blobs", digest, p, sizeof(p)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "blob '%s': bad digest", digest);
	*fd = openat(st->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
			       "%s/%s: %s (the store lost a blob: import the image again)", st->dir, p, strerror(errno));
	return 0;
}

int img_store_read_blob(ctr_image_store *st, const char *digest, char **out, size_t *len, ctr_error **err)
{
	char p[PATH_MAX];
	if (img_digest_path("blobs", digest, p, sizeof(p)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "blob '%s': bad digest", digest);
	char full[PATH_MAX + 8];
	snprintf(full, sizeof(full), "%s/%s", st->dir, p);
	int r = ctr_read_file(full, IMG_DOC_MAX, out, len, err);
	if (r < 0)
		return r;
	if ((r = ctr_digest_check_buf(*out, *len, digest, -1, full, err)) < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* ---- import ---- */

bool img_exists_at(int dirfd, const char *p)
{
	struct stat s;
	return fstatat(dirfd, p, &s, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * What an import adds, kept under tmp/ (locked) until every layer and blob
 * of the image is complete and verified; then renamed into place at once,
 * so a failed import leaves the store as it was (struct img_pending).
 */
struct txn {
	struct img_pending *v;
	size_t n;
};

static struct img_pending *txn_add(struct txn *t, ctr_error **err)
{
	struct img_pending *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv) {
		ctr_err_nomem(err);
		return NULL;
	}
	t->v = nv;
	struct img_pending *p = &nv[t->n++];
	memset(p, 0, sizeof(*p));
	p->fd = p->lock_fd = -1;
	return p;
}

/* Is final already in the store or pending in this import? */
static const struct img_pending *txn_find(const struct txn *t, const char *final)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].final, final))
			return &t->v[i];
	return NULL;
}

void img_pending_end(ctr_image_store *st, struct img_pending *p, bool commit)
{
	if (p->tmp[0]) {
		if (commit && !img_exists_at(st->dirfd, p->final) && renameat(st->dirfd, p->tmp, st->dirfd, p->final) == 0)
			p->tmp[0] = '\0';
		if (p->tmp[0]) {
			ctr_error *e = NULL;
			if (img_rm_path(st->dirfd, p->tmp, &e) < 0)
				ctr_warn(st->ctx, "%s/%s: %s", st->dir, p->tmp, ctr_error_message(e));
			ctr_error_free(e);
			p->tmp[0] = '\0';
		}
	}
}

void img_pending_close(struct img_pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	p->fd = p->lock_fd = -1;
}

static void txn_end(ctr_image_store *st, struct txn *t, bool commit)
{
	for (size_t i = 0; i < t->n; i++)
		img_pending_end(st, &t->v[i], commit);
	for (size_t i = 0; i < t->n; i++)
		img_pending_close(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* A verified small document (manifest, config) as a pending blob. */
static int put_blob_buf(ctr_image_store *st, struct txn *t, const char *digest, const char *buf, size_t len,
			ctr_error **err)
{
	char p[PATH_MAX];
	struct img_pending *pe;
	int r;
	if (img_digest_path("blobs", digest, p, sizeof(p)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "blob '%s': bad digest", digest);
	if (img_exists_at(st->dirfd, p) || txn_find(t, p))
		return 0;
	if (!(pe = txn_add(t, err)))
		return -ENOMEM;
	if ((r = img_pending_blob(st, digest, pe, err)) < 0)
		return r;
	if ((r = ctr_write_all(pe->fd, buf, len, -1)) < 0)
		return ctr_err_sys(err, -r, "%s/%s: write", st->dir, pe->tmp);
	return 0;
}

/* Copy a layer blob from the source as a pending blob, checking its size and digest on the way. */
static int put_blob_fd(ctr_image_store *st, struct txn *t, const struct img_desc *d, int src, const char *what,
		       struct img_progress_ctx *pc, ctr_error **err)
{
	char p[PATH_MAX];
	int r;
	struct ctr_digest dg = { 0 };
	static const size_t bufsz = 1u << 20;
	char *buf = NULL;
	struct img_pending *pe;
	if (img_digest_path("blobs", d->digest, p, sizeof(p)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: bad digest '%s'", what, d->digest);
	if (!(pe = txn_add(t, err)))
		return -ENOMEM;
	if ((r = img_pending_blob(st, d->digest, pe, err)) < 0)
		return r;
	if (!(buf = malloc(bufsz)))
		return ctr_err_nomem(err);
	if ((r = ctr_digest_begin(&dg, d->digest, err)) < 0)
		goto out;
	pc->p.phase = CTR_IMAGE_PHASE_COPYING;
	pc->p.bytes_in = 0;
	if (img_report(pc) < 0) {
		r = ctr_err(err, ECANCELED, CTR_E_INVALID, "import cancelled");
		goto out;
	}
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(src, buf, bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ctr_err_sys(err, errno, "%s: read", what);
			goto out;
		}
		if (n == 0)
			break;
		ctr_digest_update(&dg, buf, (size_t)n);
		total += (uint64_t)n;
		if ((r = ctr_write_all(pe->fd, buf, (size_t)n, -1)) < 0) {
			r = ctr_err_sys(err, -r, "%s/%s: write", st->dir, pe->tmp);
			goto out;
		}
		pc->p.bytes_in = total;
		if (img_report(pc) < 0) {
			r = ctr_err(err, ECANCELED, CTR_E_INVALID, "import cancelled");
			goto out;
		}
	}
	if (d->size >= 0 && total != (uint64_t)d->size) {
		r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: size mismatch: expected %lld bytes, got %llu", what,
			    (long long)d->size, (unsigned long long)total);
		goto out;
	}
	r = ctr_digest_finish(&dg, what, NULL, 0, err);
out:
	ctr_digest_free(&dg);
	free(buf);
	return r;
}

int img_pending_layer(ctr_image_store *st, const char *chain, struct img_pending *p, bool *exists, ctr_error **err)
{
	char ldir[PATH_MAX], lockp[PATH_MAX];
	int r;
	memset(p, 0, sizeof(*p));
	p->fd = p->lock_fd = -1;
	*exists = false;
	if (img_layer_dir(chain, ldir, sizeof(ldir)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "bad chain id '%.150s'", chain);
	snprintf(lockp, sizeof(lockp), "locks/%s.lock", strchr(chain, ':') + 1);
	p->lock_fd = openat(st->dirfd, lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->lock_fd < 0)
		return ctr_err_sys(err, errno, "%s/%s: open", st->dir, lockp);
	if ((r = img_flock(p->lock_fd, LOCK_EX)) < 0) {
		img_pending_close(p);
		return ctr_err_sys(err, -r, "%s/%s: lock", st->dir, lockp);
	}
	if (img_exists_at(st->dirfd, ldir)) { /* another process extracted it while we waited */
		img_pending_close(p);
		*exists = true;
		return 0;
	}
	snprintf(p->final, sizeof(p->final), "%s", ldir);
	return img_store_make_tmp(st, "layer", false, p->tmp, sizeof(p->tmp), &p->fd, err);
}

int img_pending_blob(ctr_image_store *st, const char *digest, struct img_pending *p, ctr_error **err)
{
	char bp[PATH_MAX];
	memset(p, 0, sizeof(*p));
	p->fd = p->lock_fd = -1;
	if (img_digest_path("blobs", digest, bp, sizeof(bp)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "blob '%.150s': bad digest", digest);
	snprintf(p->final, sizeof(p->final), "%s", bp);
	return img_store_make_tmp(st, "blob", true, p->tmp, sizeof(p->tmp), &p->fd, err);
}

/* Where an import's extraction reads layer i's blob: the store's copy, or the source's (see below). */
struct import_blobs {
	ctr_image_store *st;
	struct img_source *src;
	const struct img_manifest *m;
	bool *from_source;
};

static int import_open_blob(void *ud, size_t i, int *fd, ctr_error **err)
{
	struct import_blobs *ib = ud;
	const struct img_desc *d = &ib->m->layers[i];
	if (ib->from_source[i])
		return img_source_open_blob(ib->src, d, fd, err);
	return img_store_open_blob(ib->st, d->digest, fd, err);
}

static char *now_utc(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

int img_store_add_record(ctr_image_store *st, const char *name, const char *source, const char *mdigest,
		      const struct img_manifest *m, const struct img_config *cfg, char **chains, ctr_error **err)
{
	char lockp[PATH_MAX];
	snprintf(lockp, sizeof(lockp), "%s/images.lock", st->dir);
	int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600), r;
	if (lfd < 0)
		return ctr_err_sys(err, errno, "%s: open", lockp);
	if ((r = img_flock(lfd, LOCK_EX)) < 0) {
		close(lfd);
		return ctr_err_sys(err, -r, "%s: lock", lockp);
	}
	struct json_object *root, *images, *rec = NULL, *ls = NULL;
	char *now = now_utc();
	if ((r = load_images(st, &root, &images, err)) < 0)
		goto out;
	rec = json_object_new_object();
	ls = json_object_new_array();
	if (!rec || !ls || !now)
		goto oom;
	json_object_object_add(rec, "source", json_object_new_string(source));
	json_object_object_add(rec, "manifest", json_object_new_string(mdigest));
	json_object_object_add(rec, "config", json_object_new_string(m->config.digest));
	json_object_object_add(rec, "imported", json_object_new_string(now));
	for (size_t i = 0; i < m->n_layers; i++) {
		struct json_object *l = json_object_new_object();
		if (!l)
			goto oom;
		json_object_object_add(l, "mediaType", json_object_new_string(m->layers[i].media_type));
		json_object_object_add(l, "digest", json_object_new_string(m->layers[i].digest));
		json_object_object_add(l, "size", json_object_new_int64(m->layers[i].size));
		json_object_object_add(l, "diffID", json_object_new_string(cfg->diff_ids[i]));
		json_object_object_add(l, "chainID", json_object_new_string(chains[i]));
		json_object_array_add(ls, l);
	}
	json_object_object_add(rec, "layers", ls);
	ls = NULL;
	json_object_object_add(images, name, rec);
	rec = NULL;
	r = save_images(st, root, err);
	json_object_put(root);
	goto out;
oom:
	json_object_put(root);
	r = ctr_err_nomem(err);
out:
	json_object_put(rec);
	json_object_put(ls);
	free(now);
	close(lfd);
	return r;
}

int img_check_name(const char *name, ctr_error **err)
{
	if (!name || !*name || strlen(name) > 1024)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "image name '%s': must be 1 to 1024 characters",
			       name ? name : "(null)");
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "image name: control characters are not allowed");
	return 0;
}

CTR_EXPORT int ctr_image_import(ctr_image_store *st, const char *source, const char *name,
				const ctr_image_options *opts, ctr_error **err)
{
	return ctr_image_import_named(st, NULL, source, name, opts, err);
}

CTR_EXPORT int ctr_image_import_named(ctr_image_store *st, char **stored_name, const char *source, const char *name,
				      const ctr_image_options *opts, ctr_error **err)
{
	ctr_image_options o;
	struct img_source *src = NULL;
	char tmpdir[PATH_MAX], **chains = NULL;
	/* per layer: its pending dir (-1: the store has it), the pending copy of its blob (-1: none) */
	int r, *roots = NULL, *tees = NULL;
	struct import_blobs ib = { .st = st };
	ctr_image_options_init(&o);
	if (stored_name)
		*stored_name = NULL;
	if (!st || !source)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_import: NULL argument");
	if (opts && (r = img_options_copy(&o, opts, err)) < 0)
		return r;
	if (img_is_registry_ref(source))
		return img_pull(st, stored_name, source, name, &o, err);
	if (!img_is_source_name(source))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s' is not a source name: use oci:<dir>[:<tag>], "
			       "oci-archive:<file>[:<tag>], docker-archive:<file>[:<name:tag>] or "
			       "docker://[host/]repo[:tag]", source);
	if (name && (r = img_check_name(name, err)) < 0)
		return r;
	if ((r = img_store_lock(st, LOCK_SH, err)) < 0)
		return r;
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", st->dir);
	if ((r = img_source_open(st->ctx, source, o.platform, tmpdir, &src, err)) < 0)
		goto out;
	const struct img_manifest *m = img_source_manifest(src);
	const struct img_config *cfg = img_source_config(src);
	if ((r = img_chain_ids(cfg->diff_ids, cfg->n_diff_ids, &chains, err)) < 0)
		goto out;
	struct img_progress_ctx pc = { .o = &o };
	struct txn t = { 0 };
	pc.p.size = sizeof(pc.p);
	pc.p.n_layers = (unsigned)m->n_layers;
	ib.src = src;
	ib.m = m;
	if (m->n_layers && (!(roots = malloc(m->n_layers * sizeof(*roots))) ||
			    !(tees = malloc(m->n_layers * sizeof(*tees))) ||
			    !(ib.from_source = calloc(m->n_layers, sizeof(*ib.from_source))))) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	for (size_t i = 0; i < m->n_layers; i++)
		roots[i] = tees[i] = -1;
	/*
	 * Here, in order: each layer that the store lacks locked and its
	 * pending dir made; the blobs of layers it has copied in.  Then the
	 * layers are extracted on several threads.
	 */
	for (size_t i = 0; i < m->n_layers; i++) {
		char lname[128], ldir[PATH_MAX], bp[PATH_MAX];
		const struct img_desc *d = &m->layers[i];
		snprintf(lname, sizeof(lname), "%s: layer %zu (%.19s)", source, i + 1, d->digest);
		pc.p.layer = (unsigned)i;
		pc.p.digest = d->digest;
		pc.p.total = d->size;
		pc.p.bytes_in = pc.p.bytes_out = pc.p.entries = 0;
		pc.p.cached = pc.p.done = 0;
		pc.p.phase = CTR_IMAGE_PHASE_WAITING;
		if (img_report(&pc) < 0) {
			r = ctr_err(err, ECANCELED, CTR_E_INVALID, "import cancelled");
			goto fail;
		}
		if (img_layer_dir(chains[i], ldir, sizeof(ldir)) < 0 || img_digest_path("blobs", d->digest, bp, sizeof(bp)) < 0) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: bad digest", lname);
			goto fail;
		}
		bool exists = img_exists_at(st->dirfd, ldir);
		bool blob_stored = img_exists_at(st->dirfd, bp), blob_pending = txn_find(&t, bp) != NULL;
		if (!exists) {
			struct img_pending *pe = txn_add(&t, err);
			if (!pe) {
				r = -ENOMEM;
				goto fail;
			}
			/* the layer's lock is held until the import ends: a concurrent import of it waits, then finds it */
			if ((r = img_pending_layer(st, chains[i], pe, &exists, err)) < 0)
				goto fail;
			roots[i] = exists ? -1 : pe->fd;
		}
		if (exists) {
			/* the store has the layer: its blob is copied and verified here, unless it is there */
			if (!blob_stored && !blob_pending) {
				int fd;
				if ((r = img_source_open_blob(src, d, &fd, err)) < 0)
					goto fail;
				r = put_blob_fd(st, &t, d, fd, lname, &pc, err);
				close(fd);
				if (r < 0)
					goto fail;
			}
			continue;
		}
		/*
		 * The blob the extraction reads: the store's, or the source's (a
		 * blob pending in this import may still be being written).  A blob
		 * the store lacks is copied into it by the extraction as it reads
		 * and verifies it (tee): one read, one hash.
		 */
		if (blob_stored)
			continue;
		ib.from_source[i] = true;
		if (!blob_pending) {
			struct img_pending *pb = txn_add(&t, err);
			if (!pb) {
				r = -ENOMEM;
				goto fail;
			}
			if ((r = img_pending_blob(st, d->digest, pb, err)) < 0)
				goto fail;
			tees[i] = pb->fd;
		}
	}
	if ((r = img_extract_layers(st, &o, source, m, cfg->diff_ids, roots, tees, import_open_blob, &ib, err)) < 0)
		goto fail;
	const char *mbuf, *mdig, *cbuf;
	size_t mlen, clen;
	img_source_docs(src, &mbuf, &mlen, &mdig, &cbuf, &clen);
	if ((r = put_blob_buf(st, &t, m->config.digest, cbuf, clen, err)) < 0 ||
	    (r = put_blob_buf(st, &t, mdig, mbuf, mlen, err)) < 0)
		goto fail;
	txn_end(st, &t, true);
	const char *final = name ? name : img_source_default_name(src);
	if ((r = img_check_name(final, err)) < 0 ||
	    (r = img_store_add_record(st, final, source, mdig, m, cfg, chains, err)) < 0)
		goto out;
	if (stored_name && !(*stored_name = strdup(final)))
		r = ctr_err_nomem(err);
	goto out;
fail:
	txn_end(st, &t, false);
out:
	free(roots);
	free(tees);
	free(ib.from_source);
	img_store_unlock(st);
	for (size_t i = 0; chains && chains[i]; i++)
		free(chains[i]);
	free(chains);
	img_source_free(src);
	return r;
}

/* ---- list, inspect, remove ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

CTR_EXPORT int ctr_image_list(ctr_image_store *st, char ***names, ctr_error **err)
{
	struct json_object *root, *images;
	if (!st || !names)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_list: NULL argument");
	int r = load_images(st, &root, &images, err);
	if (r < 0)
		return r;
	size_t n = (size_t)json_object_object_length(images), i = 0;
	char **v = calloc(n + 1, sizeof(*v));
	if (!v) {
		json_object_put(root);
		return ctr_err_nomem(err);
	}
	json_object_object_foreach(images, k, val) {
		(void)val;
		if (!(v[i++] = strdup(k))) {
			json_object_put(root);
			ctr_strv_free(v);
			return ctr_err_nomem(err);
		}
	}
	json_object_put(root);
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	return 0;
}

CTR_EXPORT int ctr_image_inspect(ctr_image_store *st, const char *name, char **out, ctr_error **err)
{
	struct json_object *root, *images, *rec, *doc = NULL, *cfg = NULL;
	char *cbuf = NULL;
	size_t clen;
	if (!st || !name || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_inspect: NULL argument");
	int r = load_images(st, &root, &images, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(images, name, &rec)) {
		json_object_put(root);
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s' is not in the store %s", name, st->dir);
	}
	const char *cd = jstr(rec, "config");
	if (!cd) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "images.json: images.%s: no config digest", name);
		goto out;
	}
	if ((r = img_store_read_blob(st, cd, &cbuf, &clen, err)) < 0 ||
	    (r = img_json_parse(cbuf, clen, cd, false, &cfg, err)) < 0)
		goto out;
	if (!(doc = json_object_new_object())) {
		r = ctr_err_nomem(err);
		goto out;
	}
	json_object_object_add(doc, "name", json_object_new_string(name));
	json_object_object_foreach(rec, k, v) json_object_object_add(doc, k, json_object_get(v));
	json_object_object_add(doc, "image", cfg);
	cfg = NULL;
	const char *txt = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!txt || !(*out = strdup(txt)))
		r = ctr_err_nomem(err);
out:
	free(cbuf);
	json_object_put(cfg);
	json_object_put(doc);
	json_object_put(root);
	return r;
}

/*
 * The state dir of a live container whose rootfs is the image (its lease
 * names it; a lease of an older version without the name: the same
 * ChainIDs), into user (n bytes); 0 when none, 1 when found.
 */
static int image_user(ctr_image_store *st, const char *name, char *user, size_t n)
{
	struct img_record rec = { 0 };
	if (img_store_record(st, name, &rec, NULL) < 0)
		return 0;
	DIR *d = open_sub(st, "leases");
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[PATH_MAX], rootfs[PATH_MAX + 8], *buf = NULL;
		size_t len;
		struct stat sb;
		snprintf(p, sizeof(p), "%s/leases/%s", st->dir, e->d_name);
		if (ctr_read_file(p, 1u << 20, &buf, &len, NULL) < 0)
			continue;
		char *save = NULL, *dir = strtok_r(buf, "\n", &save), *line;
		snprintf(rootfs, sizeof(rootfs), "%s/image", dir ? dir : "/nonexistent");
		if (dir && dir[0] == '/' && stat(rootfs, &sb) == 0) {
			size_t i = 0;
			bool named = false, same = true;
			while ((line = strtok_r(NULL, "\n", &save))) {
				if (!strncmp(line, IMG_LEASE_IMAGE, strlen(IMG_LEASE_IMAGE))) {
					named = true;
					found = !strcmp(line + strlen(IMG_LEASE_IMAGE), name);
					break;
				}
				same = same && i < rec.n_layers && !strcmp(line, rec.layers[i].chain_id);
				i++;
			}
			if (!named && same && i == rec.n_layers && i > 0)
				found = 1;
			if (found)
				snprintf(user, n, "%s", dir);
		}
		free(buf);
	}
	if (d)
		closedir(d);
	img_record_free(&rec);
	return found;
}

CTR_EXPORT int ctr_image_remove(ctr_image_store *st, const char *name, ctr_error **err)
{
	return ctr_image_remove_ex(st, name, 0, err);
}

CTR_EXPORT int ctr_image_remove_ex(ctr_image_store *st, const char *name, unsigned flags, ctr_error **err)
{
	char lockp[PATH_MAX], user[PATH_MAX] = "";
	if (!st || !name)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_remove: NULL argument");
	if (flags & ~CTR_IMAGE_REMOVE_FORCE)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_remove_ex: unknown flags %#x", flags);
	if (!(flags & CTR_IMAGE_REMOVE_FORCE) && image_user(st, name, user, sizeof(user))) {
		const char *id = strrchr(user, '/');
		return ctr_err(err, EBUSY, CTR_E_STATE, "image '%s' is used by the container '%s' (state dir %s): delete "
			       "the container first, or force the removal (the container keeps its layers until it is "
			       "deleted)", name, id ? id + 1 : user, user);
	}
	snprintf(lockp, sizeof(lockp), "%s/images.lock", st->dir);
	int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600), r;
	if (lfd < 0)
		return ctr_err_sys(err, errno, "%s: open", lockp);
	(void)img_flock(lfd, LOCK_EX);
	struct json_object *root, *images;
	if ((r = load_images(st, &root, &images, err)) == 0) {
		if (!json_object_object_get_ex(images, name, NULL))
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s' is not in the store %s", name, st->dir);
		else {
			json_object_object_del(images, name);
			r = save_images(st, root, err);
		}
		json_object_put(root);
	}
	close(lfd);
	return r;
}

/* ---- prune ---- */

struct strset {
	char **v;
	size_t n, cap;
};

static int set_add(struct strset *s, const char *x)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		char **nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	if (!(s->v[s->n] = strdup(x)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static bool set_has(const struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return true;
	return false;
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Leases of live containers: their ChainIDs are kept; stale leases are removed. */
static int lease_refs(ctr_image_store *st, struct strset *keep, unsigned *removed)
{
	DIR *d = open_sub(st, "leases");
	if (!d)
		return 0;
	int fd = dirfd(d);
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d)) && r == 0) {
		if (e->d_name[0] == '.')
			continue;
		char p[PATH_MAX], *buf = NULL;
		size_t len;
		snprintf(p, sizeof(p), "%s/leases/%s", st->dir, e->d_name);
		if (ctr_read_file(p, 1u << 20, &buf, &len, NULL) < 0)
			continue;
		char *save = NULL, *line = strtok_r(buf, "\n", &save);
		char rootfs[PATH_MAX];
		struct stat sb;
		snprintf(rootfs, sizeof(rootfs), "%s/image", line ? line : "/nonexistent");
		if (!line || line[0] != '/' || stat(rootfs, &sb) < 0) {
			if (unlinkat(fd, e->d_name, 0) == 0)
				(*removed)++;
		} else {
			while ((line = strtok_r(NULL, "\n", &save)) && r == 0)
				if (strncmp(line, IMG_LEASE_IMAGE, strlen(IMG_LEASE_IMAGE)))
					r = set_add(keep, line);
		}
		free(buf);
	}
	closedir(d);
	return r;
}

static unsigned sweep(ctr_image_store *st, const char *top, const char *alg, const struct strset *keep)
{
	char sub[64];
	unsigned removed = 0;
	snprintf(sub, sizeof(sub), "%s/%s", top, alg);
	DIR *d = open_sub(st, sub);
	if (!d)
		return 0;
	int fd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char dg[CTR_DIGEST_STR_MAX + 272];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dg, sizeof(dg), "%s:%s", alg, e->d_name);
		if (set_has(keep, dg))
			continue;
		ctr_error *err = NULL;
		if (ctr_rm_tree_at(fd, e->d_name, &err) < 0)
			ctr_warn(st->ctx, "%s/%s/%s: %s", st->dir, sub, e->d_name, ctr_error_message(err));
		else
			removed++;
		ctr_error_free(err);
		if (!strcmp(top, "layers")) {
			char lockp[PATH_MAX];
			snprintf(lockp, sizeof(lockp), "locks/%s.lock", e->d_name);
			(void)unlinkat(st->dirfd, lockp, 0);
		}
	}
	closedir(d);
	return removed;
}

CTR_EXPORT int ctr_image_prune(ctr_image_store *st, unsigned *removed, ctr_error **err)
{
	struct json_object *root, *images;
	struct strset keep = { 0 };
	unsigned n = 0;
	int r;
	if (!st)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_prune: NULL store");
	if ((r = img_store_lock(st, LOCK_EX, err)) < 0)
		return r;
	if ((r = load_images(st, &root, &images, err)) < 0)
		goto out;
	json_object_object_foreach(images, k, v) {
		struct img_record rec;
		if ((r = record_from_json(k, v, &rec, err)) < 0)
			break;
		r = set_add(&keep, rec.manifest) | set_add(&keep, rec.config);
		for (size_t i = 0; i < rec.n_layers && r == 0; i++)
			r = set_add(&keep, rec.layers[i].digest) | set_add(&keep, rec.layers[i].chain_id);
		img_record_free(&rec);
		if (r < 0) {
			r = ctr_err_nomem(err);
			break;
		}
	}
	json_object_put(root);
	if (r < 0)
		goto out;
	if (lease_refs(st, &keep, &n) < 0) {
		r = ctr_err_nomem(err);
		goto out;
	}
	n += clean_tmp(st);
	n += sweep(st, "blobs", "sha256", &keep) + sweep(st, "blobs", "sha512", &keep);
	n += sweep(st, "layers", "sha256", &keep) + sweep(st, "layers", "sha512", &keep);
	if (removed)
		*removed = n;
out:
	set_free(&keep);
	img_store_unlock(st);
	return r;
}

/* ---- unpack ---- */

static int store_blob_open(void *ud, const struct img_desc *d, int *fd, ctr_error **err)
{
	return img_store_open_blob(ud, d->digest, fd, err);
}

static int source_blob_open(void *ud, const struct img_desc *d, int *fd, ctr_error **err)
{
	return img_source_open_blob(ud, d, fd, err);
}

int img_store_apply_flat(ctr_image_store *st, const struct img_record *rec, int root_fd, const ctr_image_options *o,
			 ctr_error **err)
{
	struct img_manifest m = { 0 };
	struct img_config cfg = { 0 };
	int r = 0;
	if (rec->n_layers && !(m.layers = calloc(rec->n_layers, sizeof(*m.layers))))
		return ctr_err_nomem(err);
	if (!(cfg.diff_ids = calloc(rec->n_layers + 1, sizeof(char *)))) {
		free(m.layers);
		return ctr_err_nomem(err);
	}
	/* borrowed strings: only the arrays are freed below */
	for (size_t i = 0; i < rec->n_layers; i++) {
		m.layers[i].media_type = rec->layers[i].media_type;
		m.layers[i].digest = rec->layers[i].digest;
		m.layers[i].size = rec->layers[i].size;
		cfg.diff_ids[i] = rec->layers[i].diff_id;
	}
	m.n_layers = rec->n_layers;
	cfg.n_diff_ids = rec->n_layers;
	r = img_apply_layers_flat(root_fd, &m, &cfg, store_blob_open, st, o, err);
	free(m.layers);
	free(cfg.diff_ids);
	return r;
}

/* Remove everything inside dirfd (after a failed unpack). */
static void empty_dir(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	rewinddir(d); /* the dup shares the offset of an fd that was read before */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			ctr_error *err = NULL;
			(void)ctr_rm_tree_at(dirfd, e->d_name, &err);
			ctr_error_free(err);
		}
	closedir(d);
}

CTR_EXPORT int ctr_image_unpack(ctr_context *ctx, ctr_image_store *st, const char *ref, const char *dir,
				const ctr_image_options *opts, ctr_error **err)
{
	ctr_image_options o;
	int r, dfd = -1;
	bool created = false;
	ctr_image_options_init(&o);
	if (!ctx || !ref || !dir)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_unpack: NULL argument");
	if (opts && (r = img_options_copy(&o, opts, err)) < 0)
		return r;
	bool is_remote = img_is_registry_ref(ref), is_src = is_remote || img_is_source_name(ref);
	if (!is_src && !st)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s' is not a source name (oci:, oci-archive:, "
			       "docker-archive:, docker://) and no store was given to look it up in", ref);
	struct img_source *src = NULL;
	struct img_remote *rm = NULL;
	struct img_record rec = { 0 };
	/* resolve (and verify the documents) before touching the target */
	if (is_remote)
		r = img_remote_open(ctx, ref, &o, &rm, err);
	else if (is_src)
		r = img_source_open(ctx, ref, o.platform, NULL, &src, err);
	else
		r = img_store_record(st, ref, &rec, err);
	if (r < 0)
		return r;
	struct stat sb;
	if (stat(dir, &sb) < 0) {
		/* created when missing (parents too); only the target itself is removed on failure */
		if ((r = img_mkdir_p(dir, 0755, err)) < 0)
			goto out;
		created = true;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = ctr_err_sys(err, errno, "unpack target %s: open (it must be a directory, not a symlink)", dir);
		goto out;
	}
	{
		int fd2 = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
		DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
		struct dirent *e;
		bool empty = true;
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = false;
		if (d)
			closedir(d);
		else if (fd2 >= 0)
			close(fd2);
		if (!empty) {
			close(dfd);
			dfd = -1;
			r = ctr_err(err, ENOTEMPTY, CTR_E_EXISTS, "unpack target %s is not empty: give a new or empty "
				    "directory", dir);
			goto out;
		}
	}
	if (is_remote)
		r = img_remote_apply_flat(rm, dfd, err);
	else if (is_src)
		r = img_apply_layers_flat(dfd, img_source_manifest(src), img_source_config(src), source_blob_open, src,
					  &o, err);
	else if ((r = img_store_lock(st, LOCK_SH, err)) == 0) { /* no prune while we read its blobs */
		r = img_store_apply_flat(st, &rec, dfd, &o, err);
		img_store_unlock(st);
	}
	if (r < 0) {
		empty_dir(dfd);
		if (created)
			(void)rmdir(dir);
	}
out:
	if (dfd >= 0)
		close(dfd);
	img_source_free(src);
	img_remote_free(rm);
	img_record_free(&rec);
	return r;
}

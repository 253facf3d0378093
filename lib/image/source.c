/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image sources, named as containers-transports(5) names them:
 * oci:<dir>[:<tag>], oci-archive:<file>[:<tag>], docker-archive:<file>[:<ref>].
 *
 * An OCI layout (image-layout.md) is read in place: oci-layout, index.json
 * (nested indexes followed, tags from org.opencontainers.image.ref.name, the
 * host's platform picked from multi-platform indexes, unknown media types
 * skipped), blobs/<alg>/<hex>.  An archive is first extracted into a private
 * directory, writing only below it (every component created or opened with
 * O_NOFOLLOW, ".." refused), then read like a layout.  docker-save archives
 * are read through their manifest.json (legacy <id>/layer.tar and the newer
 * blobs/sha256/... both), and an OCI manifest is synthesized for them so the
 * store keeps every image the same way.
 *
 * Every file inside a layout or extracted archive is opened with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink in a hostile
 * layout cannot make us read a host file.  Every document is checked
 * against its descriptor's size and digest before it is parsed.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "image/digest.h"
#include "image/layer.h"

struct img_source {
	ctr_context *ctx;
	char *ref;            /* as given, for messages */
	char *path;           /* the layout dir or archive file */
	char *tag;            /* NULL: none */
	char *tmpdir;         /* extracted archive, removed at free; NULL for oci: */
	int root_fd;          /* the layout root (or extracted archive) */
	char *default_name;
	char *manifest;       /* the manifest document (synthesized for docker-archive) */
	size_t manifest_len;
	char manifest_digest[CTR_DIGEST_STR_MAX];
	char *config;
	size_t config_len;
	struct img_manifest m;
	struct img_config cfg;
};

static const char *const transports[] = { "oci:", "oci-archive:", "docker-archive:" };

bool img_is_source_name(const char *ref)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(transports); i++)
		if (!strncmp(ref, transports[i], strlen(transports[i])))
			return true;
	return false;
}

int img_open_in(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

static int read_fd_all(int fd, size_t max, const char *what, char **out, size_t *len, ctr_error **err)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	if (!b)
		return ctr_err_nomem(err);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(b);
				return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: larger than %zu bytes: not an image document",
					       what, max);
			}
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				return ctr_err_nomem(err);
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			return ctr_err_sys(err, e, "%s: read", what);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(b);
		return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: larger than %zu bytes: not an image document", what, max);
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static int read_in(struct img_source *s, const char *path, char **out, size_t *len, ctr_error **err)
{
	char what[PATH_MAX + 64];
	snprintf(what, sizeof(what), "%s/%s", s->path, path);
	int fd = img_open_in(s->root_fd, path, O_RDONLY);
	if (fd < 0)
		return ctr_err(err, -fd, -fd == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM, "%s: %s", what,
			       strerror(-fd));
	int r = read_fd_all(fd, IMG_DOC_MAX, what, out, len, err);
	close(fd);
	return r;
}

static int blob_path(const struct img_desc *d, char *buf, size_t n)
{
	if (d->path)
		return snprintf(buf, n, "%s", d->path) < (int)n ? 0 : -ENAMETOOLONG;
	const char *colon = strchr(d->digest, ':');
	if (!colon)
		return -EINVAL;
	int w = snprintf(buf, n, "blobs/%.*s/%s", (int)(colon - d->digest), d->digest, colon + 1);
	return w > 0 && (size_t)w < n ? 0 : -ENAMETOOLONG;
}

int img_source_open_blob(struct img_source *s, const struct img_desc *d, int *out, ctr_error **err)
{
	char p[PATH_MAX];
	if (blob_path(d, p, sizeof(p)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: blob %s: bad digest", s->ref, d->digest);
	int fd = img_open_in(s->root_fd, p, O_RDONLY);
	if (fd < 0)
		return ctr_err(err, -fd, -fd == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
			       "%s/%s: %s (the layout lacks a blob its manifest names)", s->path, p, strerror(-fd));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s/%s: not a regular file", s->path, p);
	}
	if (d->size >= 0 && st.st_size != d->size) {
		close(fd);
		return ctr_err(err, EBADMSG, CTR_E_INVALID, "%s/%s: size mismatch: expected %lld bytes (descriptor), "
			       "got %lld", s->path, p, (long long)d->size, (long long)st.st_size);
	}
	*out = fd;
	return 0;
}

/* Read a small blob (index, manifest, config) and verify its size and digest. */
static int read_blob(struct img_source *s, const struct img_desc *d, const char *what, char **out, size_t *len,
		     ctr_error **err)
{
	int fd, r;
	if ((r = img_source_open_blob(s, d, &fd, err)) < 0)
		return r;
	r = read_fd_all(fd, IMG_DOC_MAX, what, out, len, err);
	close(fd);
	if (r < 0)
		return r;
	if ((r = ctr_digest_check_buf(*out, *len, d->digest, d->size, what, err)) < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* ---- archive extraction into the private directory ---- */

/* Open (creating when mk) the directory parent of path's last component; sets *last. */
static int walk_parent(int root_fd, char *path, bool mk, int *out, const char **last)
{
	int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	char *save = NULL, *comp = strtok_r(path, "/", &save), *next;
	*last = NULL;
	while (comp) {
		next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, "..")) {
			close(fd);
			return -EPERM;
		}
		if (!strcmp(comp, ".")) {
			comp = next;
			continue;
		}
		if (!next) {
			*last = comp;
			break;
		}
		if (mk && mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			return -e;
		}
		int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (nfd < 0)
			return -e;
		fd = nfd;
		comp = next;
	}
	*out = fd;
	return 0;
}

static int extract_entry(struct archive *a, struct archive_entry *e, int root_fd, const char *apath, ctr_error **err)
{
	char *p = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	char *hl = archive_entry_hardlink(e) ? strdup(archive_entry_hardlink(e)) : NULL;
	const char *last = NULL;
	int pfd = -1, r = 0, fd = -1;
	mode_t type = archive_entry_filetype(e);
	if (!p || (archive_entry_hardlink(e) && !hl)) {
		r = ctr_err_nomem(err);
		goto out;
	}
	const char *name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
	if ((r = walk_parent(root_fd, p, true, &pfd, &last)) < 0) {
		r = ctr_err(err, -r, CTR_E_INVALID, "%s: entry '%s': %s (an archive entry must stay inside the "
			    "archive: no '..', no symlinked directories)", apath, name, strerror(-r));
		goto out;
	}
	if (!last) /* "." or "" */
		goto out;
	if (hl) {
		int tfd;
		const char *tlast;
		if ((r = walk_parent(root_fd, hl, false, &tfd, &tlast)) < 0 || !tlast) {
			r = ctr_err(err, r < 0 ? -r : EINVAL, CTR_E_INVALID, "%s: hardlink '%s': bad target", apath, name);
			goto out;
		}
		r = linkat(tfd, tlast, pfd, last, 0) < 0 ? -errno : 0;
		close(tfd);
		if (r < 0)
			r = ctr_err_sys(err, -r, "%s: hardlink '%s'", apath, name);
		goto out;
	}
	if (type == AE_IFDIR) {
		if (mkdirat(pfd, last, 0700) < 0 && errno != EEXIST)
			r = ctr_err_sys(err, errno, "%s: directory '%s'", apath, name);
		goto out;
	}
	if (type == AE_IFLNK) {
		/* only ever followed by openat2(RESOLVE_IN_ROOT) of this directory */
		if (symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", pfd, last) < 0)
			r = ctr_err_sys(err, errno, "%s: symlink '%s'", apath, name);
		goto out;
	}
	if (type != AE_IFREG)
		goto out; /* devices, fifos: never part of a layout */
	fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = ctr_err_sys(err, errno, "%s: entry '%s'", apath, name);
		goto out;
	}
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int ar = archive_read_data_block(a, &buf, &n, &off);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = ctr_err(err, EIO, CTR_E_INVALID, "%s: entry '%s': %s", apath, name, archive_error_string(a));
			goto out;
		}
		if ((r = ctr_write_all(fd, buf, n, (off_t)off)) < 0) {
			r = ctr_err_sys(err, -r, "%s: write '%s'", apath, name);
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	free(p);
	free(hl);
	return r;
}

static int extract_archive(struct img_source *s, const char *tmp_parent, ctr_error **err)
{
	int r;
	const char *parent = tmp_parent ? tmp_parent : secure_getenv("TMPDIR");
	if (!parent || !*parent)
		parent = "/var/tmp";
	if (asprintf(&s->tmpdir, "%s/ctr-src.XXXXXX", parent) < 0) {
		s->tmpdir = NULL;
		return ctr_err_nomem(err);
	}
	if (!mkdtemp(s->tmpdir)) {
		r = ctr_err_sys(err, errno, "%s: make a temporary directory for the archive", s->tmpdir);
		free(s->tmpdir);
		s->tmpdir = NULL;
		return r;
	}
	s->root_fd = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return ctr_err_sys(err, errno, "%s: open", s->tmpdir);
	/* held while we use it: a store's clean-up of crashed imports leaves it alone */
	(void)img_flock(s->root_fd, LOCK_EX);
	int afd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (afd < 0)
		return ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM, "%s: %s", s->path,
			       strerror(errno));
	struct archive *a = archive_read_new();
	if (!a) {
		close(afd);
		return ctr_err_nomem(err);
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open_fd(a, afd, 1 << 16) != ARCHIVE_OK) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: not a tar archive: %s", s->path, archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: bad archive: %s", s->path, archive_error_string(a));
			goto out;
		}
		if ((r = extract_entry(a, e, s->root_fd, s->path, err)) < 0)
			goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	close(afd);
	return r;
}

/* ---- OCI layout ---- */

static int tags_of(const struct img_index *x, char *buf, size_t n)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < x->n; i++)
		if (x->m[i].ref_name && off < n) {
			int w = snprintf(buf + off, n - off, "%s%s", off ? ", " : "", x->m[i].ref_name);
			if (w > 0)
				off += (size_t)w;
		}
	return (int)off;
}

struct pick {
	const char *os, *arch, *variant;
	struct img_desc best;
	int score;
};

static int pick_in_index(struct img_source *s, const struct img_index *x, const char *what, int depth,
			 struct pick *pk, ctr_error **err);

static int consider(struct img_source *s, const struct img_desc *d, const char *what, int depth, struct pick *pk,
		    ctr_error **err)
{
	enum img_kind k = img_media_kind(d->media_type);
	if (k == IMG_KIND_MANIFEST) {
		int sc = img_platform_score(d, pk->os, pk->arch, pk->variant);
		if (sc > pk->score) {
			img_desc_free(&pk->best);
			pk->best.media_type = strdup(d->media_type);
			pk->best.digest = strdup(d->digest);
			pk->best.size = d->size;
			if (!pk->best.media_type || !pk->best.digest)
				return ctr_err_nomem(err);
			pk->score = sc;
		}
		return 0;
	}
	if (k != IMG_KIND_INDEX)
		return 0; /* unknown media types are skipped, as image-index.md asks */
	if (d->has_platform && img_platform_score(d, pk->os, pk->arch, pk->variant) < 0)
		return 0;
	if (depth >= IMG_INDEX_DEPTH)
		return ctr_err(err, ELOOP, CTR_E_INVALID, "%s: indexes nested deeper than %d", what, IMG_INDEX_DEPTH);
	char *buf = NULL, sub[256];
	size_t len;
	struct img_index nx;
	snprintf(sub, sizeof(sub), "index %.80s", d->digest);
	int r = read_blob(s, d, sub, &buf, &len, err);
	if (r < 0)
		return r;
	r = img_parse_index(buf, len, sub, &nx, err);
	free(buf);
	if (r < 0)
		return r;
	r = pick_in_index(s, &nx, sub, depth + 1, pk, err);
	img_index_free(&nx);
	return r;
}

static int pick_in_index(struct img_source *s, const struct img_index *x, const char *what, int depth,
			 struct pick *pk, ctr_error **err)
{
	for (size_t i = 0; i < x->n; i++) {
		int r = consider(s, &x->m[i], what, depth, pk, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * An oci-archive without a tag: the default name is the archive's
 * org.opencontainers.image.ref.name (the one the index's images share), as
 * podman load and ctr images import name it.  A full reference
 * ("docker.io/library/busybox:1.36", "busybox:latest") is taken as it is; a
 * bare tag ("1.36") becomes <file name>:<tag> like an explicit tag.  A name
 * with control characters is not used (the file name stays).
 */
static int name_from_ref_annotation(struct img_source *s, const struct img_index *top, ctr_error **err)
{
	const char *ref = NULL;
	for (size_t i = 0; i < top->n; i++) {
		const char *n = top->m[i].ref_name;
		if (img_media_kind(top->m[i].media_type) == IMG_KIND_UNKNOWN || !n || !*n)
			continue;
		if (ref && strcmp(ref, n))
			return 0; /* images of different names: no one name for the import */
		ref = n;
	}
	if (!ref || strlen(ref) > 1024)
		return 0;
	for (const char *p = ref; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	char *n = NULL;
	if (strchr(ref, ':') || strchr(ref, '/'))
		n = strdup(ref);
	else {
		const char *base = strrchr(s->path, '/');
		base = base && base[1] ? base + 1 : s->path;
		if (asprintf(&n, "%s:%s", base, ref) < 0)
			n = NULL;
	}
	if (!n)
		return ctr_err_nomem(err);
	free(s->default_name);
	s->default_name = n;
	return 0;
}

static int resolve_oci(struct img_source *s, const char *platform, ctr_error **err)
{
	char *buf = NULL, what[PATH_MAX + 32];
	size_t len;
	struct json_object *lo = NULL, *v;
	int r;
	snprintf(what, sizeof(what), "%s/oci-layout", s->path);
	if ((r = read_in(s, "oci-layout", &buf, &len, err)) < 0) {
		if (r == -ENOENT)
			ctr_err_prefix(err, "%s: not an OCI image layout (no oci-layout file)", s->ref);
		return r;
	}
	r = img_json_parse(buf, len, what, false, &lo, err);
	free(buf);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(lo, "imageLayoutVersion", &v) || !json_object_is_type(v, json_type_string) ||
	    strncmp(json_object_get_string(v), "1.", 2)) {
		json_object_put(lo);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: imageLayoutVersion: must be a string \"1.x.y\"", what);
	}
	json_object_put(lo);

	struct img_index top;
	snprintf(what, sizeof(what), "%s/index.json", s->path);
	if ((r = read_in(s, "index.json", &buf, &len, err)) < 0)
		return r;
	r = img_parse_index(buf, len, what, &top, err);
	free(buf);
	if (r < 0)
		return r;

	struct pick pk = { .score = -1 };
	char *pl = NULL;
	if (platform) {
		if (!(pl = strdup(platform))) {
			img_index_free(&top);
			return ctr_err_nomem(err);
		}
		char *save = NULL;
		pk.os = strtok_r(pl, "/", &save);
		pk.arch = strtok_r(NULL, "/", &save);
		pk.variant = strtok_r(NULL, "/", &save);
		if (!pk.variant)
			pk.variant = "";
		if (!pk.os || !pk.arch) {
			free(pl);
			img_index_free(&top);
			return ctr_err(err, EINVAL, CTR_E_INVALID, "platform '%s': use os/arch[/variant], e.g. linux/amd64",
				       platform);
		}
	} else
		img_host_platform(&pk.os, &pk.arch, &pk.variant);

	char tags[512];
	if (s->tag) {
		const struct img_desc *hit = NULL;
		for (size_t i = 0; i < top.n; i++)
			if (top.m[i].ref_name && !strcmp(top.m[i].ref_name, s->tag) &&
			    img_media_kind(top.m[i].media_type) != IMG_KIND_UNKNOWN) {
				hit = &top.m[i];
				break;
			}
		if (!hit) {
			tags_of(&top, tags, sizeof(tags));
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: no image tagged '%s' in %s/index.json (tags: %s)",
				    s->ref, s->tag, s->path, *tags ? tags : "none");
		} else
			r = consider(s, hit, what, 1, &pk, err);
	} else {
		size_t images = 0;
		for (size_t i = 0; i < top.n; i++)
			if (img_media_kind(top.m[i].media_type) != IMG_KIND_UNKNOWN)
				images++;
		bool multi_platform = images > 1;
		for (size_t i = 0; i < top.n && multi_platform; i++)
			if (img_media_kind(top.m[i].media_type) != IMG_KIND_UNKNOWN && !top.m[i].has_platform)
				multi_platform = false;
		if (images > 1 && !multi_platform) {
			tags_of(&top, tags, sizeof(tags));
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: the layout holds %zu images: name one with %s:<tag> "
				    "(tags: %s)", s->ref, images, s->ref, *tags ? tags : "none");
		} else
			r = pick_in_index(s, &top, what, 0, &pk, err);
		if (r == 0 && s->tmpdir && (r = name_from_ref_annotation(s, &top, err)) < 0)
			goto index_done;
	}
index_done:
	img_index_free(&top);
	if (r == 0 && pk.score < 0)
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: no image for the platform %s/%s%s%s", s->ref, pk.os,
			    pk.arch, *pk.variant ? "/" : "", pk.variant);
	free(pl);
	if (r < 0) {
		img_desc_free(&pk.best);
		return r;
	}
	snprintf(what, sizeof(what), "manifest %.80s", pk.best.digest);
	r = read_blob(s, &pk.best, what, &s->manifest, &s->manifest_len, err);
	if (r == 0)
		snprintf(s->manifest_digest, sizeof(s->manifest_digest), "%s", pk.best.digest);
	img_desc_free(&pk.best);
	if (r < 0 || (r = img_parse_manifest(s->manifest, s->manifest_len, what, &s->m, err)) < 0)
		return r;
	snprintf(what, sizeof(what), "config %.80s", s->m.config.digest);
	if ((r = read_blob(s, &s->m.config, what, &s->config, &s->config_len, err)) < 0)
		return r;
	return img_parse_config(s->config, s->config_len, what, &s->cfg, err);
}

/* ---- docker-save archives ---- */

/* RepoTags may say "busybox:latest" or "docker.io/library/busybox:latest". */
static bool tag_matches(const char *have, const char *want)
{
	if (!strcmp(have, want))
		return true;
	static const char *const prefixes[] = { "docker.io/library/", "docker.io/", "localhost/" };
	for (size_t i = 0; i < CTR_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(have, prefixes[i], n) && !strcmp(have + n, want))
			return true;
	}
	if (!strchr(want, ':')) {
		size_t n = strlen(want);
		const char *p = strstr(have, want);
		if (p && !strcmp(p + n, ":latest") && (p == have || p[-1] == '/'))
			return true;
	}
	return false;
}

static int synth_manifest(struct img_source *s, const struct img_docker_entry *de, ctr_error **err)
{
	struct json_object *m = json_object_new_object(), *c = json_object_new_object(), *ls = json_object_new_array();
	int r = 0;
	if (!m || !c || !ls)
		goto oom;
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(IMG_MT_OCI_MANIFEST));
	json_object_object_add(c, "mediaType", json_object_new_string(IMG_MT_OCI_CONFIG));
	json_object_object_add(c, "digest", json_object_new_string(s->m.config.digest));
	json_object_object_add(c, "size", json_object_new_int64(s->m.config.size));
	json_object_object_add(m, "config", c);
	c = NULL;
	for (size_t i = 0; i < de->n_layers; i++) {
		struct json_object *l = json_object_new_object();
		if (!l)
			goto oom;
		json_object_object_add(l, "mediaType", json_object_new_string(IMG_MT_TAR));
		json_object_object_add(l, "digest", json_object_new_string(s->m.layers[i].digest));
		json_object_object_add(l, "size", json_object_new_int64(s->m.layers[i].size));
		json_object_array_add(ls, l);
	}
	json_object_object_add(m, "layers", ls);
	ls = NULL;
	size_t len;
	const char *txt = json_object_to_json_string_length(m, JSON_C_TO_STRING_PLAIN, &len);
	if (!txt || !(s->manifest = strdup(txt)))
		goto oom;
	s->manifest_len = len;
	struct ctr_digest d = { 0 };
	if ((r = ctr_digest_begin(&d, NULL, err)) < 0)
		goto out;
	ctr_digest_update(&d, s->manifest, len);
	r = ctr_digest_finish(&d, "manifest", s->manifest_digest, sizeof(s->manifest_digest), err);
	goto out;
oom:
	r = ctr_err_nomem(err);
out:
	json_object_put(m);
	json_object_put(c);
	json_object_put(ls);
	return r;
}

static int resolve_docker(struct img_source *s, ctr_error **err)
{
	char *buf = NULL, what[PATH_MAX + 32];
	size_t len;
	struct img_docker_manifest dm;
	int r;
	snprintf(what, sizeof(what), "%s: manifest.json", s->path);
	ctr_error *e = NULL;
	if ((r = read_in(s, "manifest.json", &buf, &len, &e)) < 0) {
		int fd = r == -ENOENT ? img_open_in(s->root_fd, "oci-layout", O_RDONLY) : -1;
		if (fd < 0) {
			/* neither docker's manifest.json nor an OCI layout */
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
			return r;
		}
		close(fd);
		ctr_error_free(e);
		return resolve_oci(s, NULL, err);
	}
	r = img_parse_docker_manifest(buf, len, what, &dm, err);
	free(buf);
	if (r < 0)
		return r;
	const struct img_docker_entry *de = NULL;
	if (s->tag) {
		for (size_t i = 0; i < dm.n && !de; i++)
			for (size_t j = 0; dm.e[i].repo_tags && dm.e[i].repo_tags[j]; j++)
				if (tag_matches(dm.e[i].repo_tags[j], s->tag)) {
					de = &dm.e[i];
					break;
				}
		if (!de)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: no image tagged '%s' in manifest.json", s->ref,
				    s->tag);
	} else if (dm.n != 1)
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: the archive holds %zu images: name one with %s:<name:tag>",
			    s->ref, dm.n, s->ref);
	else
		de = &dm.e[0];
	if (r < 0)
		goto out;
	if (!s->tag && de->repo_tags && de->repo_tags[0]) { /* named as docker named it */
		char *n = strdup(de->repo_tags[0]);
		if (!n) {
			r = ctr_err_nomem(err);
			goto out;
		}
		free(s->default_name);
		s->default_name = n;
	}
	/* the config: a file in the archive, its digest computed */
	s->m.config.path = strdup(de->config);
	s->m.config.media_type = strdup(IMG_MT_OCI_CONFIG);
	if (!s->m.config.path || !s->m.config.media_type) {
		r = ctr_err_nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "%s: %s", s->path, de->config);
	if ((r = read_in(s, de->config, &s->config, &s->config_len, err)) < 0)
		goto out;
	{
		struct ctr_digest d = { 0 };
		char got[CTR_DIGEST_STR_MAX];
		if ((r = ctr_digest_begin(&d, NULL, err)) < 0)
			goto out;
		ctr_digest_update(&d, s->config, s->config_len);
		if ((r = ctr_digest_finish(&d, what, got, sizeof(got), err)) < 0)
			goto out;
		if (!(s->m.config.digest = strdup(got))) {
			r = ctr_err_nomem(err);
			goto out;
		}
		s->m.config.size = (int64_t)s->config_len;
	}
	if ((r = img_parse_config(s->config, s->config_len, what, &s->cfg, err)) < 0)
		goto out;
	if (s->cfg.n_diff_ids != de->n_layers) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: rootfs.diff_ids has %zu entries but manifest.json lists %zu "
			    "layers", what, s->cfg.n_diff_ids, de->n_layers);
		goto out;
	}
	/* docker save writes uncompressed layer tars: the blob digest is the DiffID */
	if (de->n_layers && !(s->m.layers = calloc(de->n_layers, sizeof(*s->m.layers)))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < de->n_layers; i++) {
		struct img_desc *l = &s->m.layers[i];
		s->m.n_layers = i + 1;
		struct stat st;
		l->path = strdup(de->layers[i]);
		l->digest = strdup(s->cfg.diff_ids[i]);
		l->media_type = strdup(IMG_MT_TAR);
		if (!l->path || !l->digest || !l->media_type) {
			r = ctr_err_nomem(err);
			goto out;
		}
		int fd = img_open_in(s->root_fd, l->path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = ctr_err(err, fd < 0 ? -fd : errno, CTR_E_NOT_FOUND, "%s: layer %s: %s", s->path, l->path,
				    strerror(fd < 0 ? -fd : errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
		l->size = st.st_size;
	}
	r = synth_manifest(s, de, err);
out:
	img_docker_manifest_free(&dm);
	return r;
}

/* ---- the source ---- */

static int split_ref(struct img_source *s, const char *ref, const char **transport, ctr_error **err)
{
	const char *colon = strchr(ref, ':');
	if (!colon || !img_is_source_name(ref))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s' is not a source name: use oci:<dir>[:<tag>], "
			       "oci-archive:<file>[:<tag>] or docker-archive:<file>[:<name:tag>]", ref);
	*transport = ref;
	const char *rest = colon + 1;
	const char *c2 = strchr(rest, ':');
	s->path = c2 ? strndup(rest, (size_t)(c2 - rest)) : strdup(rest);
	if (!s->path)
		return ctr_err_nomem(err);
	if (c2 && c2[1] && !(s->tag = strdup(c2 + 1)))
		return ctr_err_nomem(err);
	if (!*s->path)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s': the path is empty", ref);
	/* the default name: the tag, else the last path component */
	const char *base = strrchr(s->path, '/');
	base = base && base[1] ? base + 1 : s->path;
	if (s->tag)
		s->default_name = strchr(s->tag, ':') || !strncmp(ref, "docker", 6) ? strdup(s->tag)
										 : NULL;
	if (!s->default_name && asprintf(&s->default_name, "%s%s%s", base, s->tag ? ":" : "", s->tag ? s->tag : "") < 0) {
		s->default_name = NULL;
		return ctr_err_nomem(err);
	}
	return 0;
}

int img_source_open(ctr_context *ctx, const char *ref, const char *platform, const char *tmp_parent,
		    struct img_source **out, ctr_error **err)
{
	struct img_source *s = calloc(1, sizeof(*s));
	const char *tr = ref;
	int r;
	if (!s)
		return ctr_err_nomem(err);
	s->ctx = ctx;
	s->root_fd = -1;
	if (!(s->ref = strdup(ref))) {
		free(s);
		return ctr_err_nomem(err);
	}
	if ((r = split_ref(s, ref, &tr, err)) < 0)
		goto fail;
	if (!strncmp(tr, "oci:", 4)) {
		s->root_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->root_fd < 0) {
			r = ctr_err(err, errno, errno == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
				    "%s: %s: %s (an oci: source is an OCI layout directory)", ref, s->path, strerror(errno));
			goto fail;
		}
		r = resolve_oci(s, platform, err);
	} else {
		if ((r = extract_archive(s, tmp_parent, err)) < 0)
			goto fail;
		r = !strncmp(tr, "oci-archive:", 12) ? resolve_oci(s, platform, err) : resolve_docker(s, err);
	}
	if (r < 0)
		goto fail;
	if ((r = img_check_runnable(&s->m, &s->cfg, ref, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	img_source_free(s);
	return r;
}

void img_source_free(struct img_source *s)
{
	if (!s)
		return;
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->tmpdir) {
		ctr_error *e = NULL;
		if (img_rm_path(AT_FDCWD, s->tmpdir, &e) < 0)
			ctr_warn(s->ctx, "%s: %s", s->tmpdir, ctr_error_message(e));
		ctr_error_free(e);
	}
	free(s->tmpdir);
	free(s->ref);
	free(s->path);
	free(s->tag);
	free(s->default_name);
	free(s->manifest);
	free(s->config);
	img_manifest_free(&s->m);
	img_config_free(&s->cfg);
	free(s);
}

const struct img_manifest *img_source_manifest(const struct img_source *s)
{
	return &s->m;
}

const struct img_config *img_source_config(const struct img_source *s)
{
	return &s->cfg;
}

void img_source_docs(const struct img_source *s, const char **manifest, size_t *manifest_len,
		     const char **manifest_digest, const char **config, size_t *config_len)
{
	*manifest = s->manifest;
	*manifest_len = s->manifest_len;
	*manifest_digest = s->manifest_digest;
	*config = s->config;
	*config_len = s->config_len;
}

const char *img_source_default_name(const struct img_source *s)
{
	return s->default_name;
}

int img_rm_path(int dirfd, const char *relpath, ctr_error **err)
{
	const char *slash = strrchr(relpath, '/');
	if (!slash)
		return ctr_rm_tree_at(dirfd, relpath, err);
	char *parent = strndup(relpath, (size_t)(slash - relpath));
	if (!parent)
		return ctr_err_nomem(err);
	int pfd = openat(dirfd, *parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = pfd < 0 ? (errno == ENOENT ? 0 : ctr_err_sys(err, errno, "%s: open", parent))
			: ctr_rm_tree_at(pfd, slash + 1, err);
	if (pfd >= 0)
		close(pfd);
	free(parent);
	return r;
}

int img_mkdir_p(const char *path, unsigned mode, ctr_error **err)
{
	char *p = strdup(path);
	if (!p)
		return ctr_err_nomem(err);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int e = errno;
			*q = '/';
			int r = ctr_err_sys(err, e, "%s: mkdir", p);
			free(p);
			return r;
		}
		*q = '/';
	}
	int r = 0;
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		r = ctr_err_sys(err, errno, "%s: mkdir", p);
	free(p);
	return r;
}

/* ---- progress, shared by import and unpack ---- */

int img_report(struct img_progress_ctx *pc)
{
	if (ctr_cancelled(pc->o->cancel))
		return -ECANCELED;
	if (pc->o->progress && pc->o->progress(pc->o->progress_userdata, &pc->p))
		return -ECANCELED;
	return 0;
}

int img_layer_progress(void *ud, const struct ctr_layer_stats *st)
{
	struct img_progress_ctx *pc = ud;
	pc->p.bytes_in = st->bytes_in;
	pc->p.bytes_out = st->bytes_out;
	pc->p.entries = st->entries;
	return img_report(pc) ? 1 : 0;
}

static void layer_name(const struct img_manifest *m, size_t i, char *buf, size_t n)
{
	const char *d = m->layers[i].digest;
	snprintf(buf, n, "layer %zu (%.19s)", i + 1, d);
}

int img_apply_layers_flat(int root_fd, const struct img_manifest *m, const struct img_config *cfg,
			  img_blob_open_fn open_blob, void *ud, const ctr_image_options *o, ctr_error **err)
{
	struct img_progress_ctx pc = { .o = o };
	pc.p.size = sizeof(pc.p);
	pc.p.n_layers = (unsigned)m->n_layers;
	for (size_t i = 0; i < m->n_layers; i++) {
		char name[64];
		int fd, r;
		layer_name(m, i, name, sizeof(name));
		struct ctr_layer_desc ld = {
			.media_type = m->layers[i].media_type,
			.digest = m->layers[i].digest,
			.size = m->layers[i].size,
			.diff_id = cfg->diff_ids[i],
			.name = name,
		};
		struct ctr_layer_opts lo;
		ctr_layer_opts_init(&lo);
		lo.whiteouts = CTR_WHITEOUT_APPLY;
		lo.unprivileged = geteuid() != 0;
		lo.progress = img_layer_progress;
		lo.progress_ud = &pc;
		lo.cancel = o->cancel;
		lo.writers = o->writer_threads;
		pc.p.layer = (unsigned)i;
		pc.p.digest = m->layers[i].digest;
		pc.p.total = m->layers[i].size;
		pc.p.bytes_in = pc.p.bytes_out = pc.p.entries = 0;
		pc.p.done = 0;
		pc.p.phase = CTR_IMAGE_PHASE_WAITING;
		if ((r = img_report(&pc)) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "unpack cancelled");
		pc.p.phase = CTR_IMAGE_PHASE_EXTRACTING;
		if ((r = open_blob(ud, &m->layers[i], &fd, err)) < 0)
			return r;
		r = ctr_layer_apply(root_fd, fd, &ld, &lo, NULL, err);
		close(fd);
		if (r < 0)
			return r;
		pc.p.done = 1; /* the phase stays EXTRACTING */
		if (img_report(&pc) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "unpack cancelled");
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pulls and pushes: a registry reference is resolved (registries.conf:
 * aliases, search registries, mirrors, locations, blocked), its manifest
 * fetched (an index picks the platform), its config fetched (or read from
 * the store), then its layers streamed.
 *
 * Streaming: each layer that must be downloaded gets a pipe.  A download
 * thread writes the blob's bytes, as libcurl receives them, into the pipe
 * (and, pulling into a store, into the store's pending blob file); the
 * worker thread runs ctr_layer_apply on the pipe's read end, so the bytes
 * are hashed, decompressed, hashed again (DiffID) and extracted while they
 * arrive, by the same code that unpacks local layouts.  Nothing is trusted
 * until ctr_layer_apply has verified size, digest and DiffID: a broken
 * connection resumes with Range where the pipe stopped (the hash runs on),
 * a wrong byte fails the digest.  Up to max_transfers layers run at once
 * (each into its own pending layer directory; a flat unpack goes one layer
 * at a time, in order).  Progress is reported and cancel checked on the
 * calling thread only.  An import from a local source extracts its layers
 * on the same workers (img_extract_layers): one layer's unpack leaves a
 * core idle while its inflate is the slowest stage, and another layer's
 * fills it.
 *
 * Everything lands under the store's tmp/ first and is renamed into place
 * only when every layer and blob of the image is verified: a failed or
 * cancelled pull leaves the store as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "image/layer.h"
#include "image/registry.h"

#define DEFAULT_TRANSFERS 3
#define MAX_TRANSFERS 16
#define PIPE_BYTES (1 << 20)

/* ---- resolving a reference ---- */

struct img_remote {
	ctr_context *ctx;
	ctr_image_options o;
	struct reg_client c;
	bool client_ok;
	struct img_ref ref;
	char *name;   /* the logical name: "docker.io/library/busybox:latest" */
	char *source; /* "docker://" + name, recorded as the image's source */
	struct reg_repo repo;
	char *manifest;
	size_t manifest_len;
	char manifest_digest[CTR_DIGEST_STR_MAX];
	char *config;
	size_t config_len;
	struct img_manifest m;
	struct img_config cfg;
};

void img_remote_free(struct img_remote *rm)
{
	if (!rm)
		return;
	img_ref_free(&rm->ref);
	free(rm->name);
	free(rm->source);
	free(rm->repo.path);
	free(rm->repo.mount_from);
	free(rm->manifest);
	free(rm->config);
	img_manifest_free(&rm->m);
	img_config_free(&rm->cfg);
	if (rm->client_ok)
		reg_client_fini(&rm->c);
	free(rm);
}

struct platform {
	char *buf;
	const char *os, *arch, *variant;
	bool given;
};

static int platform_parse(const char *platform, struct platform *p, ctr_error **err)
{
	memset(p, 0, sizeof(*p));
	if (!platform) {
		img_host_platform(&p->os, &p->arch, &p->variant);
		return 0;
	}
	if (!(p->buf = strdup(platform)))
		return ctr_err_nomem(err);
	char *save = NULL;
	p->os = strtok_r(p->buf, "/", &save);
	p->arch = strtok_r(NULL, "/", &save);
	p->variant = strtok_r(NULL, "/", &save);
	if (!p->variant)
		p->variant = "";
	p->given = true;
	if (!p->os || !p->arch) {
		free(p->buf);
		p->buf = NULL;
		return ctr_err(err, EINVAL, CTR_E_INVALID, "platform '%s': use os/arch[/variant], e.g. linux/amd64",
			       platform);
	}
	return 0;
}

/* The best manifest of an index (nested indexes fetched by digest and followed). */
static int pick(struct img_remote *rm, struct reg_http *h, const char *buf, size_t len, const char *what, int depth,
		const struct platform *pf, struct img_desc *best, int *score, ctr_error **err)
{
	struct img_index x;
	int r = img_parse_index(buf, len, what, &x, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < x.n && r == 0; i++) {
		const struct img_desc *d = &x.m[i];
		enum img_kind k = img_media_kind(d->media_type);
		if (k == IMG_KIND_MANIFEST) {
			int sc = img_platform_score(d, pf->os, pf->arch, pf->variant);
			if (sc > *score) {
				img_desc_free(best);
				best->media_type = strdup(d->media_type);
				best->digest = strdup(d->digest);
				best->size = d->size;
				if (!best->media_type || !best->digest)
					r = ctr_err_nomem(err);
				*score = sc;
			}
		} else if (k == IMG_KIND_INDEX) {
			if (d->has_platform && img_platform_score(d, pf->os, pf->arch, pf->variant) < 0)
				continue;
			if (depth >= IMG_INDEX_DEPTH) {
				r = ctr_err(err, ELOOP, CTR_E_INVALID, "%s: indexes nested deeper than %d", what, IMG_INDEX_DEPTH);
				break;
			}
			char *sub = NULL, *mt = NULL, dg[CTR_DIGEST_STR_MAX], sw[256];
			size_t sl;
			snprintf(sw, sizeof(sw), "index %.80s", d->digest);
			if ((r = reg_get_manifest(&rm->repo, h, d->digest, &sub, &sl, &mt, dg, err)) < 0)
				break;
			free(mt);
			if ((int64_t)sl != d->size)
				r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: size mismatch: the index says %" PRId64
					    " bytes, the registry sent %zu", sw, d->size, sl);
			else
				r = pick(rm, h, sub, sl, sw, depth + 1, pf, best, score, err);
			free(sub);
		}
		/* other media types (artifacts, attestations) are skipped, as image-index.md asks */
	}
	img_index_free(&x);
	return r;
}

/* Fetch and check manifest (following an index) and config from the chosen repository. */
static int fetch_docs(struct img_remote *rm, ctr_image_store *st, struct reg_http *h, const char *reference,
		      ctr_error **err)
{
	char *buf = NULL, *mt = NULL, what[1024];
	size_t len;
	int r;
	struct platform pf;
	snprintf(what, sizeof(what), "%s", rm->name);
	if ((r = reg_get_manifest(&rm->repo, h, reference, &buf, &len, &mt, rm->manifest_digest, err)) < 0)
		return r;
	enum img_kind k = img_media_kind(mt);
	if (k == IMG_KIND_UNKNOWN)
		k = img_doc_kind(buf, len);
	if ((r = platform_parse(rm->o.platform, &pf, err)) < 0)
		goto out;
	if (k == IMG_KIND_INDEX) {
		struct img_desc best = { 0 };
		int score = -1;
		r = pick(rm, h, buf, len, what, 1, &pf, &best, &score, err);
		free(buf);
		buf = NULL;
		free(mt);
		mt = NULL;
		if (r == 0 && score < 0)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: no image for the platform %s/%s%s%s (pick one with "
				    "--platform os/arch[/variant])", what, pf.os, pf.arch, *pf.variant ? "/" : "", pf.variant);
		if (r == 0)
			r = reg_get_manifest(&rm->repo, h, best.digest, &buf, &len, &mt, rm->manifest_digest, err);
		if (r == 0 && (int64_t)len != best.size)
			r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: manifest %.80s: size mismatch: the index says %" PRId64
				    " bytes, the registry sent %zu", what, best.digest, best.size, len);
		img_desc_free(&best);
		if (r < 0)
			goto out;
	} else if (k != IMG_KIND_MANIFEST) {
		r = ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "%s: '%s' is not an image manifest or index (an artifact?)",
			    what, mt ? mt : "a document without a media type");
		goto out;
	}
	char mwhat[1200];
	snprintf(mwhat, sizeof(mwhat), "%s: manifest %.80s", what, rm->manifest_digest);
	if ((r = img_parse_manifest(buf, len, mwhat, &rm->m, err)) < 0)
		goto out;
	rm->manifest = buf;
	rm->manifest_len = len;
	buf = NULL;
	/* the config: the store's copy (verified) when it has one, else the registry's */
	snprintf(mwhat, sizeof(mwhat), "%s: config %.80s", what, rm->m.config.digest);
	char bp[PATH_MAX];
	ctr_error *e = NULL;
	r = -ENOENT;
	if (st && img_digest_path("blobs", rm->m.config.digest, bp, sizeof(bp)) == 0 && img_exists_at(st->dirfd, bp))
		r = img_store_read_blob(st, rm->m.config.digest, &rm->config, &rm->config_len, &e);
	ctr_error_free(e);
	if (r < 0 && (r = reg_get_blob_buf(&rm->repo, h, &rm->m.config, &rm->config, &rm->config_len, err)) < 0)
		goto out;
	if ((r = img_parse_config(rm->config, rm->config_len, mwhat, &rm->cfg, err)) < 0)
		goto out;
	if ((r = img_check_runnable(&rm->m, &rm->cfg, what, err)) < 0)
		goto out;
	if (k != IMG_KIND_INDEX && strcmp(rm->cfg.arch, pf.arch)) {
		if (pf.given)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: a single-platform image for %s/%s, not %s/%s", what,
				    rm->cfg.os, rm->cfg.arch, pf.os, pf.arch);
		else
			ctr_warn(rm->ctx, "%s: the image is for %s/%s, this host is %s/%s", what, rm->cfg.os, rm->cfg.arch,
				 pf.os, pf.arch);
	}
out:
	free(pf.buf);
	free(buf);
	free(mt);
	return r;
}

/* Resolve ref: try each candidate registries.conf gives until one has it. */
static int remote_open(ctr_context *ctx, ctr_image_store *st, const char *ref, const ctr_image_options *o,
		       struct img_remote **out, ctr_error **err)
{
	struct img_remote *rm = calloc(1, sizeof(*rm));
	struct regconf conf;
	struct reg_candidates cs = { 0 };
	struct reg_http *h = NULL;
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *ef = NULL;
	int r;
	memset(&conf, 0, sizeof(conf));
	if (!rm)
		return ctr_err_nomem(err);
	rm->ctx = ctx;
	rm->o = *o;
	if ((r = img_ref_parse(ref, &rm->ref, err)) < 0 || (r = regconf_load(&conf, o->registries_conf, err)) < 0 ||
	    (r = regconf_candidates(&conf, &rm->ref, false, &cs, err)) < 0)
		goto out;
	if ((r = reg_client_init(&rm->c, ctx, o, o->cancel, err)) < 0)
		goto out;
	rm->client_ok = true;
	if ((r = reg_http_new(&h, rm->c.share, err)) < 0)
		goto out;
	const char *reference = rm->ref.digest ? rm->ref.digest : rm->ref.tag ? rm->ref.tag : "latest";
	if (!(ef = open_memstream(&errs, &errs_len))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	r = -ENOENT;
	for (size_t i = 0; i < cs.n; i++) {
		const struct reg_candidate *cd = &cs.v[i];
		struct reg_endpoint *ep;
		ctr_error *e = NULL;
		ctr_debug(ctx, "%s: trying %s/%s%s", ref, cd->domain, cd->path, cd->mirror ? " (mirror)" : "");
		r = reg_endpoint_get(&rm->c, h, cd->domain, cd->insecure, &ep, &e);
		if (r == 0) {
			free(rm->repo.path);
			free(rm->name);
			rm->repo = (struct reg_repo){ .c = &rm->c, .ep = ep, .path = strdup(cd->path) };
			rm->name = strdup(cd->name);
			if (!rm->repo.path || !rm->name)
				r = ctr_err_nomem(&e);
			else
				r = fetch_docs(rm, st, h, reference, &e);
		}
		if (r == 0) {
			ctr_error_free(e);
			break;
		}
		if (r == -ECANCELED || i + 1 == cs.n || cs.n == 1) {
			/* the last (or only) candidate's error; with several, all of them */
			if (cs.n > 1 && r != -ECANCELED) {
				fprintf(ef, "%s%s/%s: %s", i ? "; " : "", cd->domain, cd->path, ctr_error_message(e));
				fclose(ef);
				ef = NULL;
				ctr_err(err, -r, r == -ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
					"%s: no registry could serve it: %s", ref, errs ? errs : "");
				ctr_error_free(e);
			} else if (err && !*err) {
				*err = e;
			} else {
				ctr_error_free(e);
			}
			goto out;
		}
		/* a mirror that lacks it, a registry that refuses: the next candidate */
		fprintf(ef, "%s%s/%s: %s", i ? "; " : "", cd->domain, cd->path, ctr_error_message(e));
		ctr_error_free(e);
		img_manifest_free(&rm->m);
		img_config_free(&rm->cfg);
		free(rm->manifest);
		free(rm->config);
		rm->manifest = rm->config = NULL;
	}
	if (r == 0 && asprintf(&rm->source, "%s%s", REG_TRANSPORT, rm->name) < 0) {
		rm->source = NULL;
		r = ctr_err_nomem(err);
	}
out:
	if (ef)
		fclose(ef);
	free(errs);
	reg_http_free(h);
	reg_candidates_free(&cs);
	regconf_free(&conf);
	if (r < 0) {
		img_remote_free(rm);
		return r;
	}
	*out = rm;
	return 0;
}

int img_remote_open(ctr_context *ctx, const char *ref, const ctr_image_options *o, struct img_remote **out,
		    ctr_error **err)
{
	return remote_open(ctx, NULL, ref, o, out, err);
}

/* ---- streaming layers ---- */

enum job_kind { J_CACHED, J_LOCAL, J_DOWNLOAD };
enum job_state { JS_QUEUED, JS_RUNNING, JS_DONE };

struct puller;

struct job {
	struct puller *pl;
	size_t i;
	enum job_kind kind;
	const struct img_desc *d;
	const char *diff_id;
	char lname[256];
	struct img_pending layer, blob; /* store mode */
	int root_fd;  /* >= 0: extract here instead of layer.fd (an import's pending layer, not ours) */
	int tee_fd;   /* >= 0: the import's pending copy of the blob, written as it is read (not ours) */
	/* progress, written by the job's threads (atomics), read by the calling thread */
	uint64_t net, out, entries;
	int phase;
	unsigned attempt;
	/* under pl->mu */
	enum job_state state;
	int rc;
	ctr_error *err;
};

struct puller {
	struct img_remote *rm; /* NULL: an import, local jobs only */
	const char *name;      /* the image, for messages */
	/* an import: opens layer i's blob (on a worker: only as many are open as run) */
	int (*open_blob)(void *ud, size_t i, int *fd, ctr_error **err);
	void *open_ud;
	ctr_image_store *st; /* NULL: flat */
	int flat_fd;
	const ctr_image_options *o;
	struct job *jobs;
	size_t n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	volatile int stop; /* cancel for everything running: layer applies and downloads */
	size_t next;
	int first_rc;
	ctr_error *first_err;
};

/* A new phase is reported at once (the calling thread wakes), not at its next tick. */
static void set_phase(struct job *j, int phase, unsigned attempt)
{
	__atomic_store_n(&j->attempt, attempt, __ATOMIC_RELAXED);
	__atomic_store_n(&j->phase, phase, __ATOMIC_RELAXED);
	pthread_mutex_lock(&j->pl->mu);
	pthread_cond_broadcast(&j->pl->cv);
	pthread_mutex_unlock(&j->pl->mu);
}

static int job_progress(void *ud, const struct ctr_layer_stats *st)
{
	struct job *j = ud;
	__atomic_store_n(&j->out, st->bytes_out, __ATOMIC_RELAXED);
	__atomic_store_n(&j->entries, st->entries, __ATOMIC_RELAXED);
	if (j->kind == J_LOCAL)
		__atomic_store_n(&j->net, st->bytes_in, __ATOMIC_RELAXED);
	return ctr_cancelled(&j->pl->stop) ? 1 : 0;
}

struct dl {
	struct job *j;
	struct reg_http *h;
	int fd;      /* the pipe's write end */
	int blob_fd; /* the store's pending blob, -1 for none */
	uint64_t blob_off;
	int rc;
	ctr_error *err;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int dl_data(void *ud, const void *buf, size_t n)
{
	struct dl *d = ud;
	struct job *j = d->j;
	if (ctr_cancelled(&j->pl->stop))
		return -ECANCELED;
	if (d->blob_fd >= 0) {
		int r = write_all(d->blob_fd, buf, n);
		if (r < 0) {
			ctr_err_sys(&d->err, -r, "%s: writing the blob into the store (%s/%s)", j->lname,
				    j->pl->st->dir, j->blob.tmp);
			return r;
		}
	}
	/* EPIPE when the extraction stopped (its own error says why); SIGPIPE is blocked in this thread */
	int r = write_all(d->fd, buf, n);
	if (r < 0)
		return r;
	__atomic_add_fetch(&j->net, n, __ATOMIC_RELAXED);
	if (__atomic_load_n(&j->phase, __ATOMIC_RELAXED) != CTR_IMAGE_PHASE_DOWNLOADING)
		set_phase(j, CTR_IMAGE_PHASE_DOWNLOADING, 0);
	return 0;
}

static void dl_retrying(void *ud, unsigned attempt, const char *why, unsigned wait_s)
{
	struct dl *d = ud;
	(void)why;
	(void)wait_s;
	set_phase(d->j, CTR_IMAGE_PHASE_RETRYING, attempt);
}

static void *dl_main(void *arg)
{
	struct dl *d = arg;
	struct reg_blob_cb cb = { .data = dl_data, .retrying = dl_retrying, .ud = d };
	d->rc = reg_get_blob(&d->j->pl->rm->repo, d->h, d->j->d, &cb, &d->err);
	close(d->fd); /* the end of the stream for the extraction */
	d->fd = -1;
	return NULL;
}

static int run_job(struct job *j, struct reg_http *h, ctr_error **err)
{
	struct puller *pl = j->pl;
	bool flat = !pl->st;
	struct ctr_layer_desc ld = {
		.media_type = j->d->media_type, .digest = j->d->digest, .size = j->d->size, .diff_id = j->diff_id,
		.name = j->lname,
	};
	struct ctr_layer_opts lo;
	ctr_layer_opts_init(&lo);
	lo.whiteouts = flat ? CTR_WHITEOUT_APPLY : CTR_WHITEOUT_OVERLAY;
	lo.unprivileged = geteuid() != 0;
	lo.progress = job_progress;
	lo.progress_ud = j;
	lo.cancel = &pl->stop;
	lo.writers = pl->o->writer_threads;
	int root = flat ? pl->flat_fd : j->root_fd >= 0 ? j->root_fd : j->layer.fd, r;
	if (j->kind == J_LOCAL) {
		int bfd;
		lo.tee = j->tee_fd >= 0;
		lo.tee_fd = j->tee_fd;
		set_phase(j, CTR_IMAGE_PHASE_EXTRACTING, 0);
		r = pl->open_blob ? pl->open_blob(pl->open_ud, j->i, &bfd, err)
				  : img_store_open_blob(pl->st, j->d->digest, &bfd, err);
		if (r < 0)
			return r;
		r = ctr_layer_apply(root, bfd, &ld, &lo, NULL, err);
		close(bfd);
		return r;
	}
	set_phase(j, CTR_IMAGE_PHASE_DOWNLOADING, 0);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ctr_err_sys(err, errno, "%s: pipe", j->lname);
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES); /* larger writes, fewer wakeups; the default works too */
	struct dl d = { .j = j, .h = h, .fd = p[1], .blob_fd = flat ? -1 : j->blob.fd };
	pthread_t t;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread takes no signals (SIGPIPE included) */
	int pr = pthread_create(&t, NULL, dl_main, &d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pr) {
		close(p[0]);
		close(p[1]);
		return ctr_err_sys(err, pr, "%s: cannot start the download thread", j->lname);
	}
	ctr_error *ae = NULL;
	r = ctr_layer_apply(root, p[0], &ld, &lo, NULL, &ae);
	close(p[0]); /* a download still running gets EPIPE */
	pthread_join(t, NULL);
	if (r < 0 && d.rc < 0 && d.rc != -EPIPE && d.err) {
		/* the download's failure is the cause; the extraction only saw the stream end */
		ctr_error_free(ae);
		if (err && !*err)
			*err = d.err;
		else
			ctr_error_free(d.err);
		return d.rc;
	}
	ctr_error_free(d.err);
	if (r < 0) {
		if (err && !*err)
			*err = ae;
		else
			ctr_error_free(ae);
	}
	return r;
}

static void *worker(void *arg)
{
	struct puller *pl = arg;
	struct reg_http *h = NULL;
	ctr_error *he = NULL;
	int hr = pl->rm ? reg_http_new(&h, pl->rm->c.share, &he) : 0;
	for (;;) {
		struct job *j = NULL;
		pthread_mutex_lock(&pl->mu);
		while (!ctr_cancelled(&pl->stop) && pl->next < pl->n && pl->jobs[pl->next].kind == J_CACHED)
			pl->next++;
		if (!ctr_cancelled(&pl->stop) && pl->next < pl->n) {
			j = &pl->jobs[pl->next++];
			j->state = JS_RUNNING;
		}
		pthread_mutex_unlock(&pl->mu);
		if (!j)
			break;
		ctr_error *e = NULL;
		int r;
		if (hr < 0) {
			r = hr;
			e = he;
			he = NULL;
			if (!e)
				ctr_err(&e, -hr, CTR_E_SYSTEM, "%s: no HTTP handle", j->lname);
		} else {
			r = run_job(j, h, &e);
		}
		pthread_mutex_lock(&pl->mu);
		j->state = JS_DONE;
		j->rc = r;
		if (r < 0) {
			if (!pl->first_err && !(ctr_cancelled(&pl->stop) && r == -ECANCELED)) {
				pl->first_rc = r;
				pl->first_err = e;
				e = NULL;
			}
			ctr_cancel_set(&pl->stop);
		}
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
		ctr_error_free(e);
	}
	ctr_error_free(he);
	reg_http_free(h);
	pthread_mutex_lock(&pl->mu);
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

struct shown {
	uint64_t net, out, entries;
	int phase;
	unsigned attempt;
	bool started, done;
};

/*
 * Run the jobs on up to max_transfers workers; report progress and watch
 * for cancel on this thread.  0 when every job succeeded.
 */
static int run_jobs(struct puller *pl, ctr_error **err)
{
	const ctr_image_options *o = pl->o;
	unsigned want = o->max_transfers ? o->max_transfers : DEFAULT_TRANSFERS, nthreads = 0;
	size_t todo = 0;
	for (size_t i = 0; i < pl->n; i++)
		todo += pl->jobs[i].kind != J_CACHED;
	if (want > MAX_TRANSFERS)
		want = MAX_TRANSFERS;
	if (!pl->st)
		want = 1; /* flat: in order */
	if (want > todo)
		want = (unsigned)todo;
	pthread_t threads[MAX_TRANSFERS];
	struct shown *sh = calloc(pl->n ? pl->n : 1, sizeof(*sh));
	bool user_cancel = false;
	int r = 0;
	if (!sh)
		return ctr_err_nomem(err);
	if (pl->rm)
		pl->rm->c.cancel = &pl->stop; /* downloads stop with the jobs */
	if (ctr_cancelled(o->cancel))
		user_cancel = true;
	for (unsigned i = 0; i < want && !user_cancel; i++) {
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		int e = pthread_create(&threads[nthreads], NULL, worker, pl);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (e) {
			if (!nthreads) {
				free(sh);
				return ctr_err_sys(err, e, "cannot start a transfer thread");
			}
			break; /* fewer workers do it */
		}
		nthreads++;
	}
	ctr_image_progress p;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.n_layers = (unsigned)pl->n;
	bool first = true; /* the first round reports every layer at once */
	for (;;) {
		bool all_done = true;
		pthread_mutex_lock(&pl->mu);
		for (size_t i = 0; i < pl->n; i++)
			if (pl->jobs[i].kind != J_CACHED && pl->jobs[i].state != JS_DONE &&
			    !(ctr_cancelled(&pl->stop) && pl->jobs[i].state == JS_QUEUED))
				all_done = false;
		if (nthreads == 0)
			all_done = true;
		if (!all_done && !first) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&pl->cv, &pl->mu, &ts);
		}
		first = false;
		enum job_state states[pl->n ? pl->n : 1];
		int rcs[pl->n ? pl->n : 1];
		for (size_t i = 0; i < pl->n; i++) {
			states[i] = pl->jobs[i].state;
			rcs[i] = pl->jobs[i].rc;
		}
		pthread_mutex_unlock(&pl->mu);
		if (!user_cancel && ctr_cancelled(o->cancel)) {
			user_cancel = true;
			ctr_cancel_set(&pl->stop);
		}
		for (size_t i = 0; i < pl->n && !user_cancel && !ctr_cancelled(&pl->stop); i++) {
			struct job *j = &pl->jobs[i];
			struct shown *s = &sh[i];
			if (s->done)
				continue;
			p.layer = (unsigned)i;
			p.digest = j->d->digest;
			p.total = j->d->size;
			p.cached = j->kind == J_CACHED;
			p.attempt = 0;
			if (j->kind == J_CACHED) {
				p.phase = CTR_IMAGE_PHASE_EXISTS;
				p.bytes_in = p.bytes_out = p.entries = 0;
				p.done = 1;
			} else {
				p.phase = states[i] == JS_QUEUED ? CTR_IMAGE_PHASE_WAITING
								 : __atomic_load_n(&j->phase, __ATOMIC_RELAXED);
				p.attempt = __atomic_load_n(&j->attempt, __ATOMIC_RELAXED);
				p.bytes_in = __atomic_load_n(&j->net, __ATOMIC_RELAXED);
				p.bytes_out = __atomic_load_n(&j->out, __ATOMIC_RELAXED);
				p.entries = __atomic_load_n(&j->entries, __ATOMIC_RELAXED);
				p.done = states[i] == JS_DONE && rcs[i] == 0;
			}
			bool changed = !s->started || p.done || s->net != p.bytes_in || s->out != p.bytes_out ||
				       s->entries != p.entries || s->phase != p.phase || s->attempt != p.attempt;
			if (!changed)
				continue;
			/*
			 * A job that went through its whole phase between two looks: the
			 * phase is still reported, once, before the last report, so that
			 * the caller sees every phase a layer went through (a layer
			 * extracted on the calling thread always showed it).
			 */
			if (p.done && !p.cached && p.phase != s->phase && o->progress) {
				p.done = 0;
				bool stop = o->progress(o->progress_userdata, &p) != 0;
				p.done = 1;
				if (stop) {
					user_cancel = true;
					ctr_cancel_set(&pl->stop);
					break;
				}
			}
			s->started = true;
			s->done = p.done;
			s->net = p.bytes_in;
			s->out = p.bytes_out;
			s->entries = p.entries;
			s->phase = p.phase;
			s->attempt = p.attempt;
			if (o->progress && o->progress(o->progress_userdata, &p)) {
				user_cancel = true;
				ctr_cancel_set(&pl->stop);
			}
		}
		if (all_done)
			break;
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(sh);
	if (user_cancel) {
		ctr_error_free(pl->first_err);
		pl->first_err = NULL;
		return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: %s cancelled", pl->name, pl->rm ? "pull" : "import");
	}
	if (pl->first_err || pl->first_rc) {
		r = pl->first_rc ? pl->first_rc : -EIO;
		if (err && !*err)
			*err = pl->first_err;
		else
			ctr_error_free(pl->first_err);
		pl->first_err = NULL;
		return r;
	}
	return 0;
}

static int puller_setup(struct puller *pl, struct img_remote *rm, ctr_image_store *st, int flat_fd,
			const ctr_image_options *o, const char *name, const struct img_manifest *m,
			char *const *diff_ids, ctr_error **err)
{
	memset(pl, 0, sizeof(*pl));
	pl->rm = rm;
	pl->name = name;
	pl->st = st;
	pl->flat_fd = flat_fd;
	pl->o = o;
	pl->n = m->n_layers;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv, NULL);
	if (pl->n && !(pl->jobs = calloc(pl->n, sizeof(*pl->jobs))))
		return ctr_err_nomem(err);
	for (size_t i = 0; i < pl->n; i++) {
		struct job *j = &pl->jobs[i];
		j->pl = pl;
		j->i = i;
		j->kind = J_DOWNLOAD;
		j->d = &m->layers[i];
		j->diff_id = diff_ids[i];
		j->layer.fd = j->layer.lock_fd = j->blob.fd = j->blob.lock_fd = -1;
		j->root_fd = j->tee_fd = -1;
		snprintf(j->lname, sizeof(j->lname), "%s: layer %zu (%.19s)", name, i + 1, j->d->digest);
	}
	return 0;
}

static int puller_init(struct puller *pl, struct img_remote *rm, ctr_image_store *st, int flat_fd,
		       const ctr_image_options *o, ctr_error **err)
{
	return puller_setup(pl, rm, st, flat_fd, o, rm->name, &rm->m, rm->cfg.diff_ids, err);
}

static void puller_fini(struct puller *pl, bool commit)
{
	for (size_t i = 0; i < pl->n && pl->st; i++) {
		img_pending_end(pl->st, &pl->jobs[i].blob, commit);
		img_pending_end(pl->st, &pl->jobs[i].layer, commit);
	}
	for (size_t i = 0; i < pl->n; i++) {
		img_pending_close(&pl->jobs[i].blob);
		img_pending_close(&pl->jobs[i].layer);
	}
	free(pl->jobs);
	ctr_error_free(pl->first_err);
	pthread_cond_destroy(&pl->cv);
	pthread_mutex_destroy(&pl->mu);
}

int img_remote_apply_flat(struct img_remote *rm, int root_fd, ctr_error **err)
{
	struct puller pl;
	int r = puller_init(&pl, rm, NULL, root_fd, &rm->o, err);
	if (r == 0)
		r = run_jobs(&pl, err);
	puller_fini(&pl, false);
	return r;
}

int img_extract_layers(ctr_image_store *st, const ctr_image_options *o, const char *name, const struct img_manifest *m,
		       char *const *diff_ids, const int *root_fds, const int *tee_fds,
		       int (*open_blob)(void *ud, size_t i, int *fd, ctr_error **err), void *ud, ctr_error **err)
{
	struct puller pl;
	int r = puller_setup(&pl, NULL, st, -1, o, name, m, diff_ids, err);
	for (size_t i = 0; r == 0 && i < m->n_layers; i++) {
		pl.jobs[i].kind = root_fds[i] < 0 ? J_CACHED : J_LOCAL;
		pl.jobs[i].root_fd = root_fds[i];
		pl.jobs[i].tee_fd = tee_fds[i];
	}
	pl.open_blob = open_blob;
	pl.open_ud = ud;
	if (r == 0)
		r = run_jobs(&pl, err);
	puller_fini(&pl, false);
	return r;
}

/* A small verified document (manifest, config) into the store, unless it is there. */
static int put_doc(ctr_image_store *st, struct img_pending *p, const char *digest, const char *buf, size_t len,
		   ctr_error **err)
{
	char bp[PATH_MAX];
	memset(p, 0, sizeof(*p));
	p->fd = p->lock_fd = -1;
	if (img_digest_path("blobs", digest, bp, sizeof(bp)) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "blob '%.150s': bad digest", digest);
	if (img_exists_at(st->dirfd, bp))
		return 0;
	int r = img_pending_blob(st, digest, p, err);
	if (r == 0 && (r = write_all(p->fd, buf, len)) < 0)
		r = ctr_err_sys(err, -r, "%s/%s: write", st->dir, p->tmp);
	return r;
}

int img_pull(ctr_image_store *st, char **stored_name, const char *ref, const char *name, const ctr_image_options *o,
	     ctr_error **err)
{
	struct img_remote *rm = NULL;
	char **chains = NULL;
	struct puller pl;
	struct img_pending docs[2];
	bool pl_ok = false, locked = false;
	int r;
	memset(docs, 0, sizeof(docs));
	docs[0].fd = docs[0].lock_fd = docs[1].fd = docs[1].lock_fd = -1;
	if (name && (r = img_check_name(name, err)) < 0)
		return r;
	if ((r = remote_open(st->ctx, st, ref, o, &rm, err)) < 0)
		return r;
	if ((r = img_chain_ids(rm->cfg.diff_ids, rm->cfg.n_diff_ids, &chains, err)) < 0)
		goto out;
	if ((r = img_store_lock(st, LOCK_SH, err)) < 0)
		goto out;
	locked = true;
	if ((r = puller_init(&pl, rm, st, -1, o, err)) < 0)
		goto out;
	pl_ok = true;
	/* what each layer needs: nothing (in the store), an extraction of the stored blob, a download */
	for (size_t i = 0; i < pl.n; i++) {
		struct job *j = &pl.jobs[i];
		char bp[PATH_MAX];
		bool exists;
		if (ctr_cancelled(o->cancel)) {
			r = ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: pull cancelled", rm->name);
			goto out;
		}
		if ((r = img_pending_layer(st, chains[i], &j->layer, &exists, err)) < 0)
			goto out;
		if (exists) {
			j->kind = J_CACHED;
			continue;
		}
		if (img_digest_path("blobs", j->d->digest, bp, sizeof(bp)) < 0) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: bad digest", j->lname);
			goto out;
		}
		if (img_exists_at(st->dirfd, bp))
			j->kind = J_LOCAL;
		else if ((r = img_pending_blob(st, j->d->digest, &j->blob, err)) < 0)
			goto out;
	}
	if ((r = run_jobs(&pl, err)) < 0)
		goto out;
	if ((r = put_doc(st, &docs[0], rm->m.config.digest, rm->config, rm->config_len, err)) < 0 ||
	    (r = put_doc(st, &docs[1], rm->manifest_digest, rm->manifest, rm->manifest_len, err)) < 0)
		goto out;
	/* everything verified: into place, then the record */
	for (size_t i = 0; i < 2; i++)
		img_pending_end(st, &docs[i], true);
	for (size_t i = 0; i < pl.n; i++) {
		img_pending_end(st, &pl.jobs[i].blob, true);
		img_pending_end(st, &pl.jobs[i].layer, true);
	}
	const char *stored = name ? name : rm->name;
	if ((r = img_store_add_record(st, stored, rm->source, rm->manifest_digest, &rm->m, &rm->cfg, chains, err)) < 0)
		goto out;
	if (stored_name && !(*stored_name = strdup(stored)))
		r = ctr_err_nomem(err);
out:
	for (size_t i = 0; i < 2; i++) {
		img_pending_end(st, &docs[i], false);
		img_pending_close(&docs[i]);
	}
	if (pl_ok)
		puller_fini(&pl, false);
	if (locked)
		img_store_unlock(st);
	for (size_t i = 0; chains && chains[i]; i++)
		free(chains[i]);
	free(chains);
	img_remote_free(rm);
	return r;
}

CTR_EXPORT int ctr_image_pull(ctr_image_store *st, char **stored_name, const char *ref, const char *name,
			      const ctr_image_options *opts, ctr_error **err)
{
	ctr_image_options o;
	int r;
	if (stored_name)
		*stored_name = NULL;
	if (!st || !ref)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_pull: NULL argument");
	ctr_image_options_init(&o);
	if (opts && (r = img_options_copy(&o, opts, err)) < 0)
		return r;
	return img_pull(st, stored_name, ref, name, &o, err);
}

CTR_EXPORT int ctr_image_lookup(ctr_image_store *st, char **stored_name, const char *ref,
				const ctr_image_options *opts, ctr_error **err)
{
	ctr_image_options o;
	struct img_ref pr;
	struct regconf conf;
	struct reg_candidates cs = { 0 };
	struct img_record rec;
	int r;
	if (!st || !ref || !stored_name)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_lookup: NULL argument");
	*stored_name = NULL;
	ctr_image_options_init(&o);
	if (opts && (r = img_options_copy(&o, opts, err)) < 0)
		return r;
	/* a name stored as given */
	if (!img_is_registry_ref(ref) && img_store_record(st, ref, &rec, NULL) == 0) {
		img_record_free(&rec);
		return (*stored_name = strdup(ref)) ? 0 : ctr_err_nomem(err);
	}
	if ((r = img_ref_parse(ref, &pr, err)) < 0)
		return r;
	if ((r = regconf_load(&conf, o.registries_conf, err)) == 0 &&
	    (r = regconf_candidates(&conf, &pr, false, &cs, err)) == 0) {
		r = -ENOENT;
		for (size_t i = 0; i < cs.n && r == -ENOENT; i++)
			if (img_store_record(st, cs.v[i].name, &rec, NULL) == 0) {
				img_record_free(&rec);
				r = (*stored_name = strdup(cs.v[i].name)) ? 0 : ctr_err_nomem(err);
			}
		if (r == -ENOENT)
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: not in the store %s (pull it first)", ref,
				    ctr_image_store_dir(st));
	}
	reg_candidates_free(&cs);
	regconf_free(&conf);
	img_ref_free(&pr);
	return r;
}

/* ---- push ---- */

struct push_progress {
	const ctr_image_options *o;
	ctr_image_progress p;
	double last;
	bool cancel;
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int push_report(struct push_progress *pp, bool force)
{
	const ctr_image_options *o = pp->o;
	if (ctr_cancelled(o->cancel))
		pp->cancel = true;
	double t = mono_s();
	if (!pp->cancel && o->progress && (force || t - pp->last >= 0.1)) {
		pp->last = t;
		if (o->progress(o->progress_userdata, &pp->p))
			pp->cancel = true;
	}
	return pp->cancel ? -ECANCELED : 0;
}

static int push_sent(void *ud, uint64_t n)
{
	struct push_progress *pp = ud;
	pp->p.bytes_in = n;
	return push_report(pp, false) < 0 ? 1 : 0;
}

/* The image came from dest's registry: its repository there, to mount blobs from. */
static char *mount_source(const struct img_record *rec, const struct img_ref *dest)
{
	struct img_ref src;
	char *from = NULL;
	if (!rec->source || !img_is_registry_ref(rec->source) || img_ref_parse(rec->source, &src, NULL) < 0)
		return NULL;
	if (src.domain && dest->domain && !strcmp(src.domain, dest->domain) && strcmp(src.path, dest->path))
		from = strdup(src.path);
	img_ref_free(&src);
	return from;
}

/* One blob of the stored image to the registry; phase EXISTS or UPLOADING. */
static int push_blob(struct reg_repo *rp, struct reg_http *h, ctr_image_store *st, const char *digest, int64_t size,
		     struct push_progress *pp, ctr_error **err)
{
	int r = reg_blob_exists(rp, h, digest, err);
	if (r < 0)
		return r;
	pp->p.total = size;
	pp->p.bytes_in = 0;
	pp->p.digest = digest;
	pp->p.done = 0;
	if (r == 1) {
		pp->p.phase = CTR_IMAGE_PHASE_EXISTS;
		pp->p.done = 1;
		return push_report(pp, true) < 0 ? ctr_err(err, ECANCELED, CTR_E_INVALID, "push cancelled") : 0;
	}
	int fd;
	if ((r = img_store_open_blob(st, digest, &fd, err)) < 0) {
		ctr_err_prefix(err, "the store lacks blob %.80s (its layer came from an image with the same content): "
			       "remove the image, prune, and pull or import it again", digest);
		return r;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || (size >= 0 && sb.st_size != size)) {
		close(fd);
		return ctr_err(err, EBADMSG, CTR_E_INVALID, "%s/blobs/...%.80s: the stored blob's size is not the "
			       "descriptor's %" PRId64 " bytes: the store is damaged", st->dir, digest, size);
	}
	pp->p.phase = CTR_IMAGE_PHASE_UPLOADING;
	if (push_report(pp, true) < 0) {
		close(fd);
		return ctr_err(err, ECANCELED, CTR_E_INVALID, "push cancelled");
	}
	bool mounted = false;
	r = reg_put_blob(rp, h, fd, digest, (uint64_t)sb.st_size, pp->o->chunk_size, &mounted, push_sent, pp, err);
	close(fd);
	if (r < 0) {
		if (pp->cancel && r == -ECANCELED) {
			if (err && *err) {
				ctr_error_free(*err);
				*err = NULL;
			}
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "push cancelled");
		}
		return r;
	}
	pp->p.phase = mounted ? CTR_IMAGE_PHASE_EXISTS : CTR_IMAGE_PHASE_UPLOADING;
	pp->p.bytes_in = mounted ? 0 : (uint64_t)sb.st_size;
	pp->p.done = 1;
	return push_report(pp, true) < 0 ? ctr_err(err, ECANCELED, CTR_E_INVALID, "push cancelled") : 0;
}

CTR_EXPORT int ctr_image_push(ctr_image_store *st, const char *name, const char *dest, const ctr_image_options *opts,
			      ctr_error **err)
{
	ctr_image_options o;
	struct img_record rec = { 0 };
	struct img_ref dr = { 0 };
	struct regconf conf;
	struct reg_candidates cs = { 0 };
	struct reg_client c;
	bool client_ok = false, locked = false;
	struct reg_http *h = NULL;
	struct reg_repo rp = { 0 };
	char *manifest = NULL, *mt = NULL;
	size_t mlen;
	int r;
	memset(&conf, 0, sizeof(conf));
	if (!st || !name || !dest)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_push: NULL argument");
	ctr_image_options_init(&o);
	if (opts && (r = img_options_copy(&o, opts, err)) < 0)
		return r;
	if ((r = img_store_record(st, name, &rec, err)) < 0)
		return r;
	if ((r = img_ref_parse(dest, &dr, err)) < 0 || (r = regconf_load(&conf, o.registries_conf, err)) < 0 ||
	    (r = regconf_candidates(&conf, &dr, true, &cs, err)) < 0)
		goto out;
	if (dr.digest && strcmp(dr.digest, rec.manifest)) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: the image's manifest is %s, not the digest given", dest,
			    rec.manifest);
		goto out;
	}
	/* no prune while we read the blobs */
	if ((r = img_store_lock(st, LOCK_SH, err)) < 0)
		goto out;
	locked = true;
	if ((r = img_store_read_blob(st, rec.manifest, &manifest, &mlen, err)) < 0)
		goto out;
	{
		struct json_object *j = NULL, *v;
		if ((r = img_json_parse(manifest, mlen, rec.manifest, false, &j, err)) < 0)
			goto out;
		mt = strdup(json_object_object_get_ex(j, "mediaType", &v) && json_object_is_type(v, json_type_string)
				    ? json_object_get_string(v) : IMG_MT_OCI_MANIFEST);
		json_object_put(j);
		if (!mt) {
			r = ctr_err_nomem(err);
			goto out;
		}
	}
	if ((r = reg_client_init(&c, st->ctx, &o, o.cancel, err)) < 0)
		goto out;
	client_ok = true;
	if ((r = reg_http_new(&h, c.share, err)) < 0)
		goto out;
	const struct reg_candidate *cd = &cs.v[0];
	struct reg_endpoint *ep;
	if ((r = reg_endpoint_get(&c, h, cd->domain, cd->insecure, &ep, err)) < 0)
		goto out;
	rp.c = &c;
	rp.ep = ep;
	rp.path = strdup(cd->path);
	rp.push = true;
	rp.mount_from = mount_source(&rec, &dr);
	if (!rp.path) {
		r = ctr_err_nomem(err);
		goto out;
	}
	struct push_progress pp = { .o = &o };
	pp.p.size = sizeof(pp.p);
	pp.p.n_layers = (unsigned)rec.n_layers;
	for (size_t i = 0; i < rec.n_layers; i++) {
		pp.p.layer = (unsigned)i;
		if ((r = push_blob(&rp, h, st, rec.layers[i].digest, rec.layers[i].size, &pp, err)) < 0)
			goto out;
	}
	/* the config (not a layer: no progress of its own) */
	struct push_progress quiet = { .o = &(ctr_image_options){ .size = sizeof(ctr_image_options),
								   .cancel = o.cancel } };
	quiet.p.size = sizeof(quiet.p);
	if ((r = push_blob(&rp, h, st, rec.config, -1, &quiet, err)) < 0)
		goto out;
	const char *tag = dr.digest ? dr.digest : dr.tag ? dr.tag : "latest";
	r = reg_put_manifest(&rp, h, tag, mt, manifest, mlen, err);
out:
	if (locked)
		img_store_unlock(st);
	free(rp.path);
	free(rp.mount_from);
	reg_http_free(h);
	if (client_ok)
		reg_client_fini(&c);
	free(manifest);
	free(mt);
	reg_candidates_free(&cs);
	regconf_free(&conf);
	img_ref_free(&dr);
	img_record_free(&rec);
	return r;
}

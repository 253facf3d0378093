/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI distribution-spec client: endpoints (scheme, TLS from
 * containers-certs.d(5), the auth challenge learnt from GET /v2/), the
 * token flow (RFC 6750 Bearer tokens from the challenge's realm, service and
 * scope, fetched with the registry's credentials or anonymously, cached per
 * scope until they expire) and Basic auth, and the API's requests: manifests,
 * blobs (streamed, resumed with Range after a broken connection, retried
 * with backoff on 429 and 5xx as Retry-After says), blob existence, uploads
 * (cross-repository mount, monolithic or chunked) and manifest uploads.
 *
 * A registry is not trusted: documents are capped (IMG_DOC_MAX), every byte
 * is verified against the digest that names it (by the caller for streamed
 * blobs), a blob longer than its descriptor stops the transfer, tokens and
 * header values we send back are checked for control characters, the
 * Authorization header only ever goes to the registry's own scheme and host,
 * and a token realm must be https unless the registry is configured
 * insecure.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h> /* struct curl_slist only: libcurl itself is reached through http.c */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/digest.h"
#include "image/image-internal.h"
#include "image/registry.h"

#define CERT_FILE_MAX (1u << 20)
#define MAX_WAIT_S 60 /* longest Retry-After we honour; longer is an error */

struct reg_token {
	char *scope;
	char *token;
	time_t expires;
};

struct reg_endpoint {
	char *host;      /* as contacted: "127.0.0.1:5000", "registry-1.docker.io" */
	char *name_host; /* the registry's name (credentials, certs.d): "docker.io" */
	char *base;      /* "https://host" or "http://host" */
	bool verify, allow_http;
	char *ca_blob;
	size_t ca_len;
	char *client_cert, *client_key;
	char certs_from[PATH_MAX];
	/* under the client's mutex */
	struct reg_challenge ch;
	bool creds_loaded;
	struct reg_creds creds;
	struct reg_token *tokens;
	size_t n_tokens;
};

const char *reg_endpoint_host(const struct reg_endpoint *ep)
{
	return ep->name_host;
}

static void endpoint_free(struct reg_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->host);
	free(ep->name_host);
	free(ep->base);
	free(ep->ca_blob);
	free(ep->client_cert);
	free(ep->client_key);
	reg_challenge_free(&ep->ch);
	reg_creds_free(&ep->creds);
	for (size_t i = 0; i < ep->n_tokens; i++) {
		free(ep->tokens[i].scope);
		if (ep->tokens[i].token)
			explicit_bzero(ep->tokens[i].token, strlen(ep->tokens[i].token));
		free(ep->tokens[i].token);
	}
	free(ep->tokens);
	free(ep);
}

int reg_client_init(struct reg_client *c, ctr_context *ctx, const ctr_image_options *o, const volatile int *cancel,
		    ctr_error **err)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->o = *o;
	c->cancel = cancel;
	c->max_retries = 5;
	pthread_mutex_init(&c->mu, NULL);
	struct reg_http *h;
	int r = reg_http_new(&h, NULL, err); /* loads libcurl, or says why not */
	if (r < 0) {
		pthread_mutex_destroy(&c->mu);
		return r;
	}
	reg_http_free(h);
	c->share = reg_http_share_new();
	return 0;
}

void reg_client_fini(struct reg_client *c)
{
	for (size_t i = 0; i < c->n_eps; i++)
		endpoint_free(c->eps[i]);
	free(c->eps);
	reg_http_share_free(c->share);
	pthread_mutex_destroy(&c->mu);
	memset(c, 0, sizeof(*c));
}

static bool cancelled(struct reg_client *c)
{
	return ctr_cancelled(c->cancel);
}

/* Sleep ms milliseconds, waking early for a cancel; -ECANCELED then. */
static int nap(struct reg_client *c, unsigned ms)
{
	while (ms) {
		if (cancelled(c))
			return -ECANCELED;
		unsigned step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, (long)step * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= step;
	}
	return cancelled(c) ? -ECANCELED : 0;
}

static int hdr(struct curl_slist **l, ctr_error **err, const char *fmt, ...) CTR_PRINTF(3, 4);
static int hdr(struct curl_slist **l, ctr_error **err, const char *fmt, ...)
{
	char *line;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ctr_err_nomem(err);
	struct curl_slist *nl = reg_slist_add(*l, "%s", line);
	explicit_bzero(line, (size_t)n);
	free(line);
	if (!nl)
		return ctr_err_nomem(err);
	*l = nl;
	return 0;
}

/* Printable ASCII without spaces: safe to put into a header. */
static bool header_safe(const char *s, size_t max)
{
	size_t n = 0;
	for (; *s; s++, n++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || n >= max)
			return false;
	return n > 0;
}

/* A registry's JSON error ({"errors":[{"code","message"}]}) or a short text body, made printable, for messages. */
static void error_text(const struct reg_resp *rs, char *out, size_t n)
{
	out[0] = '\0';
	if (!rs->body || !rs->body_len)
		return;
	struct json_object *j = json_tokener_parse(rs->body), *errs, *e0, *v;
	const char *code = NULL, *msg = NULL;
	if (j && json_object_object_get_ex(j, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
	    (e0 = json_object_array_get_idx(errs, 0)) && json_object_is_type(e0, json_type_object)) {
		if (json_object_object_get_ex(e0, "code", &v) && json_object_is_type(v, json_type_string))
			code = json_object_get_string(v);
		if (json_object_object_get_ex(e0, "message", &v) && json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
	}
	if (code || msg)
		snprintf(out, n, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	else if (!j)
		snprintf(out, n, "%.*s", (int)(rs->body_len > 200 ? 200 : rs->body_len), rs->body);
	json_object_put(j);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
}

/* ---- endpoints: TLS material, ping ---- */

static int read_small(const char *path, char **out, size_t *len)
{
	ctr_error *e = NULL;
	int r = ctr_read_file(path, CERT_FILE_MAX, out, len, &e);
	ctr_error_free(e);
	return r;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

/*
 * containers-certs.d(5): each <dir>/<name>.crt is a CA added to the system's, a
 * <name>.cert with its <name>.key is a client certificate.
 */
static int load_cert_dir(struct reg_endpoint *ep, const char *dir, ctr_error **err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : ctr_err_sys(err, errno, "%s: open", dir);
	snprintf(ep->certs_from, sizeof(ep->certs_from), "%s", dir);
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d)) && r == 0) {
		char p[PATH_MAX];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (ends_with(e->d_name, ".crt")) {
			char *buf;
			size_t len;
			if (read_small(p, &buf, &len) < 0) {
				r = ctr_err_sys(err, errno ? errno : EIO, "%s: read", p);
				break;
			}
			char *nb = realloc(ep->ca_blob, ep->ca_len + len + 2);
			if (!nb) {
				free(buf);
				r = ctr_err_nomem(err);
				break;
			}
			ep->ca_blob = nb;
			memcpy(nb + ep->ca_len, buf, len);
			ep->ca_len += len;
			nb[ep->ca_len++] = '\n';
			nb[ep->ca_len] = '\0';
			free(buf);
		} else if (ends_with(e->d_name, ".cert")) {
			char key[PATH_MAX];
			snprintf(key, sizeof(key), "%.*s.key", (int)(strlen(p) - 5), p);
			if (access(key, R_OK) < 0) {
				r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: client certificate without its key %s "
					    "(containers-certs.d(5) pairs <name>.cert with <name>.key)", p, key);
				break;
			}
			if (ep->client_cert) {
				r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s: more than one client certificate (%s and %s)",
					    dir, ep->client_cert, p);
				break;
			}
			if (!(ep->client_cert = strdup(p)) || !(ep->client_key = strdup(key)))
				r = ctr_err_nomem(err);
		} else if (ends_with(e->d_name, ".key")) {
			char cert[PATH_MAX];
			snprintf(cert, sizeof(cert), "%.*s.cert", (int)(strlen(p) - 4), p);
			if (access(cert, R_OK) < 0)
				r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: key without its client certificate %s", p,
					    cert);
		}
	}
	closedir(d);
	return r;
}

static int endpoint_tls(struct reg_client *c, struct reg_endpoint *ep, ctr_error **err)
{
	if (c->o.cert_dir)
		return load_cert_dir(ep, c->o.cert_dir, err);
	char dirs[3][PATH_MAX];
	size_t n = 0;
	const char *home = secure_getenv("HOME");
	if (geteuid() != 0 && home && *home)
		snprintf(dirs[n++], PATH_MAX, "%s/.config/containers/certs.d/%s", home, ep->name_host);
	snprintf(dirs[n++], PATH_MAX, "/etc/containers/certs.d/%s", ep->name_host);
	snprintf(dirs[n++], PATH_MAX, "/etc/docker/certs.d/%s", ep->name_host);
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			return load_cert_dir(ep, dirs[i], err);
	}
	return 0;
}

static void base_req(struct reg_endpoint *ep, struct reg_req *rq, const char *url)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = "GET";
	rq->url = url;
	rq->body_fd = -1;
	rq->verify = ep->verify;
	rq->allow_http = ep->allow_http;
	rq->ca_blob = ep->ca_blob;
	rq->ca_blob_len = ep->ca_len;
	rq->client_cert = ep->client_cert;
	rq->client_key = ep->client_key;
}

static int xfer_cancel(void *ud, uint64_t up, uint64_t down)
{
	(void)up;
	(void)down;
	return cancelled(ud) ? 1 : 0;
}

/* GET /v2/: is it a registry, which scheme, which auth. Called with c->mu held. */
static int ping(struct reg_client *c, struct reg_http *h, struct reg_endpoint *ep, bool insecure, ctr_error **err)
{
	const char *schemes[2] = { "https", insecure ? "http" : NULL };
	ctr_error *first = NULL;
	int r = 0, first_r = 0;
	for (size_t i = 0; i < 2 && schemes[i]; i++) {
		char url[512];
		struct reg_req rq;
		struct reg_resp rs;
		bool transient;
		free(ep->base);
		if (asprintf(&ep->base, "%s://%s", schemes[i], ep->host) < 0) {
			ep->base = NULL;
			return ctr_err_nomem(err);
		}
		snprintf(url, sizeof(url), "%s/v2/", ep->base);
		base_req(ep, &rq, url);
		rq.max_body = REG_ERROR_BODY_MAX;
		rq.xfer = xfer_cancel;
		rq.xfer_ud = c;
		ctr_error *e = NULL;
		unsigned tries = 0;
		for (;;) {
			r = reg_http_do(h, &rq, &rs, &transient, &e);
			if (r < 0 && transient && tries++ < 2 && r != -ECANCELED && nap(c, 500u << tries) == 0) {
				ctr_error_free(e);
				e = NULL;
				reg_resp_free(&rs);
				continue;
			}
			break;
		}
		if (r < 0) {
			reg_resp_free(&rs);
			if (!first) {
				first = e;
				first_r = r;
			} else {
				ctr_error_free(e);
			}
			if (r == -ECANCELED)
				break;
			continue;
		}
		if (rs.status == 401 && rs.www_auth) {
			reg_challenge_free(&ep->ch);
			if (reg_challenge_parse(rs.www_auth, strlen(rs.www_auth), &ep->ch) < 0) {
				r = ctr_err(err, EPROTO, CTR_E_INVALID, "%s: a WWW-Authenticate header this client cannot "
					    "use: '%.200s'", url, rs.www_auth);
				reg_resp_free(&rs);
				break;
			}
		} else if (rs.status != 200 && rs.status != 401) {
			char et[256];
			error_text(&rs, et, sizeof(et));
			r = ctr_err(err, EPROTO, CTR_E_INVALID, "%s: HTTP %ld%s%s: not a registry speaking the OCI "
				    "distribution API", url, rs.status, *et ? ": " : "", et);
			reg_resp_free(&rs);
			break;
		}
		reg_resp_free(&rs);
		if (i == 1)
			ctr_warn(c->ctx, "registry %s: using plain http (it is configured insecure)", ep->host);
		ctr_error_free(first);
		return 0;
	}
	if (first) {
		/*
		 * A registry that requires a client certificate refuses one without
		 * it with a TLS alert or, in TLS 1.3 where the client's first write
		 * may follow the handshake, by resetting the connection.
		 */
		const char *msg = ctr_error_message(first);
		bool wants_cert = !ep->client_cert && (first_r == -ECONNRESET ||
						       (first_r == -EPROTO && msg && strstr(msg, "certificate required")));
		if (wants_cert)
			ctr_err_prefix(&first, "registry %s (a registry that requires a TLS client certificate refuses or "
				       "resets a connection without one: give it as <name>.cert and <name>.key in "
				       "certs.d/%s or the --cert-dir directory)", ep->host, ep->name_host);
		else if (first_r == -EPROTO && !c->o.tls_skip_verify && !insecure)
			ctr_err_prefix(&first, "registry %s (use --tls-verify=false, or insecure = true in registries.conf, "
				       "only for a registry you trust without TLS)", ep->host);
		else
			ctr_err_prefix(&first, "registry %s", ep->host);
		if (err && !*err)
			*err = first;
		else
			ctr_error_free(first);
	}
	return r < 0 ? r : -EIO;
}

int reg_endpoint_get(struct reg_client *c, struct reg_http *h, const char *host, bool insecure,
		     struct reg_endpoint **out, ctr_error **err)
{
	int r = 0;
	insecure = insecure || c->o.tls_skip_verify;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n_eps; i++)
		if (!strcmp(c->eps[i]->name_host, host)) {
			*out = c->eps[i];
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
	struct reg_endpoint *ep = calloc(1, sizeof(*ep));
	struct reg_endpoint **nv = realloc(c->eps, (c->n_eps + 1) * sizeof(*nv));
	if (!ep || !nv) {
		free(ep);
		if (nv)
			c->eps = nv;
		pthread_mutex_unlock(&c->mu);
		return ctr_err_nomem(err);
	}
	c->eps = nv;
	ep->name_host = strdup(host);
	ep->host = strdup(!strcmp(host, REG_DOCKER_HUB) ? REG_DOCKER_HUB_HOST : host);
	ep->verify = !insecure;
	ep->allow_http = insecure;
	if (!ep->name_host || !ep->host)
		r = ctr_err_nomem(err);
	if (r == 0)
		r = endpoint_tls(c, ep, err);
	if (r == 0)
		r = ping(c, h, ep, insecure, err);
	if (r < 0) {
		endpoint_free(ep);
		pthread_mutex_unlock(&c->mu);
		return r;
	}
	if (ep->certs_from[0])
		ctr_debug(c->ctx, "registry %s: certificates from %s", host, ep->certs_from);
	c->eps[c->n_eps++] = ep;
	*out = ep;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* ---- auth ---- */

static int load_creds(struct reg_client *c, struct reg_endpoint *ep, const char *repo, ctr_error **err)
{
	if (ep->creds_loaded)
		return 0;
	int r = reg_creds_lookup(c->o.creds, c->o.authfile, ep->name_host, repo, &ep->creds, err);
	if (r < 0)
		return r;
	ep->creds_loaded = true;
	if (ep->creds.user)
		ctr_debug(c->ctx, "registry %s: credentials from %s", ep->name_host, ep->creds.from);
	return 0;
}

/* The scopes a repository's requests need, space-separated. */
static int scopes_of(const struct reg_repo *r, char *buf, size_t n)
{
	int w = snprintf(buf, n, "repository:%s:%s%s%s%s", r->path, r->push ? "pull,push" : "pull",
			 r->mount_from ? " repository:" : "", r->mount_from ? r->mount_from : "",
			 r->mount_from ? ":pull" : "");
	return w > 0 && (size_t)w < n ? 0 : -ENAMETOOLONG;
}

/* Parse a token response. */
static int parse_token(const struct reg_resp *rs, const char *realm, char **token, long *expires_in, ctr_error **err)
{
	struct json_object *j, *v;
	int r = img_json_parse(rs->body ? rs->body : "", rs->body_len, realm, false, &j, err);
	if (r < 0)
		return r;
	const char *t = NULL;
	if (json_object_object_get_ex(j, "token", &v) && json_object_is_type(v, json_type_string))
		t = json_object_get_string(v);
	if ((!t || !*t) && json_object_object_get_ex(j, "access_token", &v) && json_object_is_type(v, json_type_string))
		t = json_object_get_string(v);
	*expires_in = 60; /* the token spec's default */
	if (json_object_object_get_ex(j, "expires_in", &v) && json_object_is_type(v, json_type_int)) {
		int64_t e = json_object_get_int64(v);
		if (e > 0 && e < 365L * 24 * 3600)
			*expires_in = (long)e;
	}
	if (!t || !header_safe(t, 64u << 10)) {
		json_object_put(j);
		return ctr_err(err, EPROTO, CTR_E_INVALID, "%s: the token server's answer holds no usable token "
			       "(\"token\" or \"access_token\": printable, at most 64 KiB)", realm);
	}
	*token = strdup(t);
	json_object_put(j);
	return *token ? 0 : ctr_err_nomem(err);
}

/* Fetch a token for scopes from the challenge's realm.  Called with c->mu held. */
static int fetch_token(struct reg_client *c, struct reg_http *h, struct reg_endpoint *ep, const char *scopes,
		       const char *repo, char **token, long *expires_in, ctr_error **err)
{
	const struct reg_challenge *ch = &ep->ch;
	int r = load_creds(c, ep, repo, err);
	if (r < 0)
		return r;
	if (strncmp(ch->realm, "https://", 8) && !(ep->allow_http && !strncmp(ch->realm, "http://", 7)))
		return ctr_err(err, EPROTO, CTR_E_SYSTEM, "registry %s: token realm '%.200s' is not an https URL "
			       "(credentials are never sent over plain http to a registry not configured insecure)",
			       ep->name_host, ch->realm);
	/* realm?service=S&scope=A&scope=B (each scope its own parameter) */
	char *url = NULL, *q = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	if (!f)
		return ctr_err_nomem(err);
	bool first = !strchr(ch->realm, '?');
	if (ch->service) {
		char *s = reg_url_escape(ch->service);
		fprintf(f, "%cservice=%s", first ? '?' : '&', s ? s : "");
		free(s);
		first = false;
	}
	char *sc = strdup(scopes), *save = NULL;
	for (char *t = sc ? strtok_r(sc, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save)) {
		char *s = reg_url_escape(t);
		fprintf(f, "%cscope=%s", first ? '?' : '&', s ? s : "");
		free(s);
		first = false;
	}
	free(sc);
	if (fclose(f) != 0 || asprintf(&url, "%s%s", ch->realm, q ? q : "") < 0) {
		free(q);
		return ctr_err_nomem(err);
	}
	free(q);
	struct reg_req rq;
	struct reg_resp rs;
	struct curl_slist *hl = NULL;
	char *form = NULL;
	bool transient;
	base_req(ep, &rq, url);
	rq.max_body = REG_TOKEN_MAX;
	rq.follow = true;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = c;
	if (ep->creds.user && ep->creds.identity) {
		/* an identity (refresh) token: the OAuth2 form post of the token spec */
		char *svc = reg_url_escape(ch->service ? ch->service : ""), *scp = reg_url_escape(scopes),
		     *tok = reg_url_escape(ep->creds.secret);
		if (!svc || !scp || !tok ||
		    asprintf(&form, "grant_type=refresh_token&client_id=libctr&service=%s&scope=%s&refresh_token=%s", svc,
			     scp, tok) < 0)
			form = NULL;
		free(svc);
		free(scp);
		if (tok)
			explicit_bzero(tok, strlen(tok));
		free(tok);
		if (!form) {
			free(url);
			return ctr_err_nomem(err);
		}
		rq.url = ch->realm;
		rq.method = "POST";
		rq.body = form;
		rq.body_len = strlen(form);
		if ((r = hdr(&hl, err, "Content-Type: application/x-www-form-urlencoded")) < 0)
			goto out;
	} else if (ep->creds.user) {
		char *pair = NULL, *b = NULL;
		if (asprintf(&pair, "%s:%s", ep->creds.user, ep->creds.secret) < 0 ||
		    !(b = reg_base64_encode(pair, strlen(pair)))) {
			r = ctr_err_nomem(err);
		} else {
			r = hdr(&hl, err, "Authorization: Basic %s", b);
		}
		if (pair)
			explicit_bzero(pair, strlen(pair));
		free(pair);
		if (b)
			explicit_bzero(b, strlen(b));
		free(b);
		if (r < 0)
			goto out;
	}
	rq.headers = hl;
	for (unsigned tries = 0;; tries++) {
		r = reg_http_do(h, &rq, &rs, &transient, err);
		if ((r < 0 && transient) || (r == 0 && (rs.status == 429 || rs.status >= 500))) {
			if (tries < c->max_retries && nap(c, 500u << tries) == 0) {
				if (r < 0 && err && *err) {
					ctr_error_free(*err);
					*err = NULL;
				}
				reg_resp_free(&rs);
				continue;
			}
		}
		break;
	}
	if (r < 0) {
		ctr_err_prefix(err, "registry %s: token server", ep->name_host);
		goto out;
	}
	if (rs.status == 401 || rs.status == 403) {
		char et[256];
		error_text(&rs, et, sizeof(et));
		r = ctr_err(err, EACCES, CTR_E_SYSTEM, "registry %s: the token server %.200s refused %s%s%s%s (HTTP %ld)%s",
			    ep->name_host, ch->realm, ep->creds.user ? "the credentials from " : "an anonymous token",
			    ep->creds.user ? ep->creds.from : "", *et ? ": " : "", et, rs.status,
			    ep->creds.user ? "" : ": log in (an auth file, --authfile or --creds user:password)");
	} else if (rs.status != 200) {
		char et[256];
		error_text(&rs, et, sizeof(et));
		r = ctr_err(err, EPROTO, CTR_E_INVALID, "registry %s: token server %.200s: HTTP %ld%s%s", ep->name_host,
			    ch->realm, rs.status, *et ? ": " : "", et);
	} else {
		r = parse_token(&rs, ch->realm, token, expires_in, err);
	}
	reg_resp_free(&rs);
out:
	reg_slist_free(hl);
	if (form) {
		explicit_bzero(form, strlen(form));
		free(form);
	}
	free(url);
	return r;
}

/* "Authorization: ..." for a request of repo r (NULL: none needed or possible). */
static int auth_line(struct reg_repo *rp, struct reg_http *h, bool refresh, char **line, ctr_error **err)
{
	struct reg_client *c = rp->c;
	struct reg_endpoint *ep = rp->ep;
	char scopes[1024];
	int r = 0;
	*line = NULL;
	if (scopes_of(rp, scopes, sizeof(scopes)) < 0)
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "repository name too long");
	pthread_mutex_lock(&c->mu);
	if (ep->ch.scheme == REG_AUTH_BASIC) {
		if ((r = load_creds(c, ep, rp->path, err)) == 0 && ep->creds.user && !ep->creds.identity) {
			char *pair = NULL, *b = NULL;
			if (asprintf(&pair, "%s:%s", ep->creds.user, ep->creds.secret) < 0 ||
			    !(b = reg_base64_encode(pair, strlen(pair))) || asprintf(line, "Authorization: Basic %s", b) < 0) {
				*line = NULL;
				r = ctr_err_nomem(err);
			}
			if (pair)
				explicit_bzero(pair, strlen(pair));
			free(pair);
			if (b)
				explicit_bzero(b, strlen(b));
			free(b);
		}
	} else if (ep->ch.scheme == REG_AUTH_BEARER) {
		time_t now = time(NULL);
		struct reg_token *hit = NULL;
		for (size_t i = 0; i < ep->n_tokens; i++)
			if (!strcmp(ep->tokens[i].scope, scopes))
				hit = &ep->tokens[i];
		if (hit && (refresh || hit->expires <= now)) {
			explicit_bzero(hit->token, strlen(hit->token));
			free(hit->token);
			hit->token = NULL;
		}
		if (!hit || !hit->token) {
			char *tok = NULL;
			long exp = 0;
			r = fetch_token(c, h, ep, scopes, rp->path, &tok, &exp, err);
			if (r == 0 && !hit) {
				struct reg_token *nv = realloc(ep->tokens, (ep->n_tokens + 1) * sizeof(*nv));
				if (!nv || !(nv[ep->n_tokens].scope = strdup(scopes))) {
					if (nv)
						ep->tokens = nv;
					free(tok);
					r = ctr_err_nomem(err);
				} else {
					ep->tokens = nv;
					hit = &nv[ep->n_tokens++];
					hit->token = NULL;
				}
			}
			if (r == 0) {
				hit->token = tok;
				/* a little early, so a token does not run out in flight */
				hit->expires = now + (exp > 20 ? exp - 10 : exp);
				ctr_debug(c->ctx, "registry %s: token for '%s', valid %ld s", ep->name_host, scopes, exp);
			}
		}
		if (r == 0 && asprintf(line, "Authorization: Bearer %s", hit->token) < 0) {
			*line = NULL;
			r = ctr_err_nomem(err);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* Retry-After: seconds or an HTTP-date; -1 when absent or unreadable. */
static long retry_after(const char *v)
{
	if (!v || !*v)
		return -1;
	char *end;
	errno = 0;
	long s = strtol(v, &end, 10);
	if (!errno && end != v && *end == '\0')
		return s < 0 ? 0 : s;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!p)
		return -1;
	time_t t = timegm(&tm), now = time(NULL);
	return t > now ? (long)(t - now) : 0;
}

/* Does url go to the endpoint's own scheme and host (and so may carry its Authorization)? */
static bool same_origin(const struct reg_endpoint *ep, const char *url)
{
	size_t n = strlen(ep->base);
	return !strncmp(url, ep->base, n) && (url[n] == '/' || url[n] == '\0' || url[n] == '?');
}

/*
 * One API request with auth: a 401 refreshes the token (or learns the
 * challenge) and tries once more; with retry, 429/5xx are retried with
 * backoff, and so are broken connections of requests without a sink (a
 * sink's caller resumes from the bytes it got).  0 with the response,
 * whatever its status.
 */
static int api(struct reg_repo *rp, struct reg_http *h, struct reg_req *rq, struct curl_slist *base_headers,
	       struct reg_resp *rs, bool retry, void (*waiting)(void *, unsigned, const char *, unsigned), void *wud,
	       ctr_error **err)
{
	struct reg_client *c = rp->c;
	bool reauthed = false;
	unsigned attempt = 0;
	for (;;) {
		if (cancelled(c))
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled", rq->url);
		char *line = NULL;
		struct curl_slist *hl = NULL;
		int r = 0;
		if (same_origin(rp->ep, rq->url) && (r = auth_line(rp, h, false, &line, err)) < 0)
			return r;
		for (struct curl_slist *b = base_headers; b && r == 0; b = b->next)
			r = hdr(&hl, err, "%s", b->data);
		if (r == 0 && line)
			r = hdr(&hl, err, "%s", line);
		if (line) {
			explicit_bzero(line, strlen(line));
			free(line);
		}
		if (r < 0) {
			reg_slist_free(hl);
			return r;
		}
		rq->headers = hl;
		bool transient = false;
		ctr_error *e = NULL;
		r = reg_http_do(h, rq, rs, &transient, &e);
		rq->headers = NULL;
		reg_slist_free(hl);
		const char *why = NULL;
		char whybuf[160];
		long wait_s = -1;
		if (r < 0) {
			/* a streamed body may have reached the sink: its caller resumes from what it got */
			if (!(retry && transient && !rq->sink) || attempt >= c->max_retries) {
				if (err && !*err)
					*err = e;
				else
					ctr_error_free(e);
				return r;
			}
			snprintf(whybuf, sizeof(whybuf), "%s", ctr_error_message(e));
			why = whybuf;
			ctr_error_free(e);
		} else if (rs->status == 401 && !reauthed) {
			/* a new challenge (first contact, another realm) or an expired token */
			reauthed = true;
			if (rs->www_auth) {
				struct reg_challenge ch;
				if (reg_challenge_parse(rs->www_auth, strlen(rs->www_auth), &ch) == 0) {
					pthread_mutex_lock(&c->mu);
					reg_challenge_free(&rp->ep->ch);
					rp->ep->ch = ch;
					pthread_mutex_unlock(&c->mu);
				}
			}
			char *l2 = NULL;
			if (same_origin(rp->ep, rq->url) && (r = auth_line(rp, h, true, &l2, err)) < 0) {
				reg_resp_free(rs);
				return r;
			}
			if (l2) {
				explicit_bzero(l2, strlen(l2));
				free(l2);
			}
			reg_resp_free(rs);
			continue;
		} else if (retry && (rs->status == 429 || rs->status == 500 || rs->status == 502 || rs->status == 503 ||
				     rs->status == 504)) {
			if (attempt >= c->max_retries)
				return 0; /* the caller reports the status */
			wait_s = retry_after(rs->retry_after);
			if (wait_s > MAX_WAIT_S) {
				long ra = wait_s;
				reg_resp_free(rs);
				return ctr_err(err, EAGAIN, CTR_E_SYSTEM, "%s: HTTP 429/5xx with Retry-After %ld s (more than "
					       "the %d s this client waits): try again later", rq->url, ra, MAX_WAIT_S);
			}
			snprintf(whybuf, sizeof(whybuf), "HTTP %ld%s", rs->status,
				 rs->status == 429 ? " (too many requests)" : "");
			why = whybuf;
			reg_resp_free(rs);
		} else {
			return 0;
		}
		unsigned ms = wait_s >= 0 ? (unsigned)wait_s * 1000u : (500u << (attempt < 5 ? attempt : 5));
		attempt++;
		ctr_debug(c->ctx, "%s: %s; attempt %u in %u ms", rq->url, why, attempt + 1, ms);
		if (waiting)
			waiting(wud, attempt, why, (ms + 999) / 1000);
		if (nap(c, ms) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled", rq->url);
	}
}

/* An error for a final response status we did not expect. */
static int status_error(struct reg_repo *rp, const char *what, const struct reg_resp *rs, ctr_error **err)
{
	char et[256];
	error_text(rs, et, sizeof(et));
	if (rs->status == 401 || rs->status == 403) {
		struct reg_endpoint *ep = rp->ep;
		pthread_mutex_lock(&rp->c->mu);
		bool have = ep->creds.user != NULL;
		pthread_mutex_unlock(&rp->c->mu);
		return ctr_err(err, EACCES, CTR_E_SYSTEM,
			       "%s: HTTP %ld%s%s: %s", what, rs->status, *et ? ": " : "", et,
			       have ? "the registry refused the credentials (check them)"
				    : "the registry wants credentials: log in (an auth file: $REGISTRY_AUTH_FILE, "
				      "$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json), or give --authfile or "
				      "--creds user:password");
	}
	if (rs->status == 404)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: not found (HTTP 404%s%s)", what, *et ? ": " : "", et);
	if (rs->status == 429)
		return ctr_err(err, EAGAIN, CTR_E_SYSTEM, "%s: HTTP 429 (too many requests) after %u retries%s%s", what,
			       rp->c->max_retries, *et ? ": " : "", et);
	return ctr_err(err, EPROTO, CTR_E_SYSTEM, "%s: HTTP %ld%s%s", what, rs->status, *et ? ": " : "", et);
}

/* ---- pull ---- */

static const char *const accept_manifests =
	"Accept: " IMG_MT_OCI_INDEX ", " IMG_MT_OCI_MANIFEST ", " IMG_MT_DOCKER_LIST ", " IMG_MT_DOCKER_MANIFEST;

int reg_get_manifest(struct reg_repo *rp, struct reg_http *h, const char *reference, char **buf, size_t *len,
		     char **media_type, char digest[static 136], ctr_error **err)
{
	char url[2048], what[1024];
	struct reg_req rq;
	struct reg_resp rs;
	struct curl_slist *bh = NULL;
	int r;
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", rp->ep->base, rp->path, reference);
	snprintf(what, sizeof(what), "%s/%s%s%s", rp->ep->name_host, rp->path, strchr(reference, ':') ? "@" : ":",
		 reference);
	if ((r = hdr(&bh, err, "%s", accept_manifests)) < 0)
		return r;
	base_req(rp->ep, &rq, url);
	rq.max_body = IMG_DOC_MAX;
	rq.follow = true;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = rp->c;
	r = api(rp, h, &rq, bh, &rs, true, NULL, NULL, err);
	reg_slist_free(bh);
	if (r < 0) {
		if (r == -EFBIG)
			ctr_err_prefix(err, "%s: manifest", what);
		return r;
	}
	if (rs.status != 200) {
		r = status_error(rp, what, &rs, err);
		if (rs.status == 404)
			ctr_err_prefix(err, "manifest unknown");
		reg_resp_free(&rs);
		return r;
	}
	char *mt = NULL;
	if (rs.content_type) {
		size_t n = strcspn(rs.content_type, "; ");
		mt = strndup(rs.content_type, n);
		if (!mt) {
			reg_resp_free(&rs);
			return ctr_err_nomem(err);
		}
	}
	if (mt && (!strcmp(mt, "application/vnd.docker.distribution.manifest.v1+json") ||
		   !strcmp(mt, "application/vnd.docker.distribution.manifest.v1+prettyjws"))) {
		r = ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "%s: a Docker schema 1 manifest (%s): deprecated and not "
			    "supported; push the image again with a current tool", what, mt);
		goto fail;
	}
	/* the bytes: a digest reference verifies them; a tag's Docker-Content-Digest must match them */
	const char *verify = strchr(reference, ':') ? reference : NULL;
	if (verify && (r = ctr_digest_check_buf(rs.body ? rs.body : "", rs.body_len, verify, -1, what, err)) < 0)
		goto fail;
	if (rs.docker_digest && (!verify || strcmp(rs.docker_digest, verify))) {
		ctr_error *e = NULL;
		if (ctr_digest_check_buf(rs.body ? rs.body : "", rs.body_len, rs.docker_digest, -1, what, &e) < 0) {
			r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: the manifest does not match the registry's own "
				    "Docker-Content-Digest header (%s)", what, ctr_error_message(e));
			ctr_error_free(e);
			goto fail;
		}
	}
	{
		struct ctr_digest d;
		enum ctr_digest_alg alg = CTR_DIGEST_SHA256;
		if (verify)
			ctr_digest_parse(verify, &alg, NULL, NULL, NULL);
		if ((r = ctr_digest_begin_alg(&d, alg, err)) < 0)
			goto fail;
		ctr_digest_update(&d, rs.body ? rs.body : "", rs.body_len);
		if ((r = ctr_digest_finish(&d, what, digest, 136, err)) < 0)
			goto fail;
	}
	*buf = rs.body ? rs.body : strdup("");
	*len = rs.body_len;
	rs.body = NULL;
	*media_type = mt;
	reg_resp_free(&rs);
	return *buf ? 0 : ctr_err_nomem(err);
fail:
	free(mt);
	reg_resp_free(&rs);
	return r;
}

int reg_get_blob_buf(struct reg_repo *rp, struct reg_http *h, const struct img_desc *d, char **buf, size_t *len,
		     ctr_error **err)
{
	char url[2048], what[1024];
	struct reg_req rq;
	struct reg_resp rs;
	snprintf(what, sizeof(what), "%s/%s@%s", rp->ep->name_host, rp->path, d->digest);
	if (d->size > (int64_t)IMG_DOC_MAX)
		return ctr_err(err, EFBIG, CTR_E_INVALID, "%s: the descriptor says %" PRId64 " bytes, more than the %u an "
			       "image document may have", what, d->size, IMG_DOC_MAX);
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", rp->ep->base, rp->path, d->digest);
	base_req(rp->ep, &rq, url);
	rq.max_body = d->size >= 0 ? (size_t)d->size : IMG_DOC_MAX;
	if (!rq.max_body)
		rq.max_body = 1; /* an empty blob: anything at all is too much */
	rq.follow = true;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = rp->c;
	int r = api(rp, h, &rq, NULL, &rs, true, NULL, NULL, err);
	if (r < 0) {
		if (r == -EFBIG)
			ctr_err_prefix(err, "%s: longer than its descriptor's %" PRId64 " bytes", what, d->size);
		return r;
	}
	if (rs.status != 200) {
		r = status_error(rp, what, &rs, err);
		reg_resp_free(&rs);
		return r;
	}
	if ((r = ctr_digest_check_buf(rs.body ? rs.body : "", rs.body_len, d->digest, d->size, what, err)) < 0) {
		reg_resp_free(&rs);
		return r;
	}
	*buf = rs.body ? rs.body : strdup("");
	*len = rs.body_len;
	rs.body = NULL;
	reg_resp_free(&rs);
	return *buf ? 0 : ctr_err_nomem(err);
}

/* The bytes of one blob attempt on their way to the caller. */
struct blob_sink {
	const struct reg_blob_cb *cb;
	struct reg_resp *rs;
	uint64_t off;     /* bytes delivered so far (all attempts) */
	uint64_t skip;    /* a 200 answer to a Range request: bytes to drop first */
	int64_t size;
	bool checked;
	bool range_asked;
	ctr_error *e;
	const char *what;
};

/* "bytes START-END/TOTAL" -> START */
static bool range_start(const char *cr, uint64_t *start)
{
	if (!cr)
		return false;
	while (*cr == ' ')
		cr++;
	if (!strncasecmp(cr, "bytes", 5))
		cr += 5;
	while (*cr == ' ' || *cr == '=')
		cr++;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(cr, &end, 10);
	if (errno || end == cr || *end != '-')
		return false;
	*start = v;
	return true;
}

static int blob_data(void *ud, const void *buf, size_t n)
{
	struct blob_sink *s = ud;
	if (!s->checked) {
		s->checked = true;
		if (s->range_asked && s->rs->status == 206) {
			uint64_t st;
			if (!range_start(s->rs->content_range, &st) || st != s->off) {
				ctr_err(&s->e, EPROTO, CTR_E_INVALID, "%s: asked to resume at byte %" PRIu64 ", the registry "
					"answered with Content-Range '%.80s'", s->what, s->off,
					s->rs->content_range ? s->rs->content_range : "(none)");
				return -EPROTO;
			}
		} else if (s->range_asked) {
			s->skip = s->off; /* the whole blob again: drop what we have */
		}
	}
	const char *p = buf;
	if (s->skip) {
		size_t k = n < s->skip ? n : (size_t)s->skip;
		s->skip -= k;
		p += k;
		n -= k;
		if (!n)
			return 0;
	}
	if (s->size >= 0 && s->off + n > (uint64_t)s->size) {
		ctr_err(&s->e, EBADMSG, CTR_E_INVALID, "%s: the registry sends more than the %" PRId64 " bytes the "
			"descriptor says; the blob is not the one the manifest names", s->what, s->size);
		return -EBADMSG;
	}
	int r = s->cb->data(s->cb->ud, p, n);
	if (r < 0)
		return r;
	s->off += n;
	return 0;
}

int reg_get_blob(struct reg_repo *rp, struct reg_http *h, const struct img_desc *d, const struct reg_blob_cb *cb,
		 ctr_error **err)
{
	struct reg_client *c = rp->c;
	char url[2048], what[1024];
	struct blob_sink s = { .cb = cb, .size = d->size, .what = what };
	unsigned fails = 0;
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", rp->ep->base, rp->path, d->digest);
	snprintf(what, sizeof(what), "%s/%s@%.19s", rp->ep->name_host, rp->path, d->digest);
	for (;;) {
		struct reg_req rq;
		struct reg_resp rs;
		struct curl_slist *bh = NULL;
		int r = 0;
		uint64_t before = s.off;
		if (s.size >= 0 && s.off == (uint64_t)s.size && s.size > 0)
			return 0;
		if (s.off && (r = hdr(&bh, err, "Range: bytes=%" PRIu64 "-", s.off)) < 0)
			return r;
		base_req(rp->ep, &rq, url);
		rq.follow = true;
		rq.sink = blob_data;
		rq.sink_ud = &s;
		rq.xfer = xfer_cancel;
		rq.xfer_ud = c;
		s.rs = &rs;
		s.checked = false;
		s.skip = 0;
		s.range_asked = s.off > 0;
		ctr_error *e = NULL;
		r = api(rp, h, &rq, bh, &rs, true, cb->retrying, cb->ud, &e);
		reg_slist_free(bh);
		if (s.e) { /* the sink's own verdict (hostile or broken registry) */
			ctr_error_free(e);
			reg_resp_free(&rs);
			r = -ctr_error_errno(s.e);
			if (err && !*err)
				*err = s.e;
			else
				ctr_error_free(s.e);
			return r;
		}
		if (r < 0 && r != -ECONNRESET && r != -ETIMEDOUT && r != -ECONNREFUSED) {
			/* not a broken connection: the consumer stopped, cancel, TLS, ... */
			reg_resp_free(&rs);
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
			return r;
		}
		bool broken = r < 0;
		if (!broken) {
			if (rs.status == 416 && s.size >= 0 && s.off == (uint64_t)s.size) {
				reg_resp_free(&rs);
				return 0;
			}
			if (rs.status != 200 && rs.status != 206) {
				ctr_error_free(e);
				r = status_error(rp, what, &rs, err);
				if (rs.status == 404)
					ctr_err_prefix(err, "blob unknown");
				reg_resp_free(&rs);
				return r;
			}
			if (s.size < 0 || s.off == (uint64_t)s.size) {
				ctr_error_free(e);
				reg_resp_free(&rs);
				return 0;
			}
			/* a response that ended early without a transport error (a proxy's chunked stream) */
			broken = true;
			ctr_error_free(e);
			e = NULL;
			ctr_err(&e, ECONNRESET, CTR_E_SYSTEM, "%s: the response ended after %" PRIu64 " of %" PRId64 " bytes",
				what, s.off, s.size);
		}
		reg_resp_free(&rs);
		/* a broken transfer: resume from what was delivered */
		if (s.off > before)
			fails = 0;
		if (++fails > c->max_retries) {
			ctr_err_prefix(&e, "%s: gave up after %u attempts without progress", what, fails);
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
			return -ECONNRESET;
		}
		unsigned ms = 500u << (fails - 1 < 4 ? fails - 1 : 4);
		char why[200];
		snprintf(why, sizeof(why), "%s", e ? ctr_error_message(e) : "the connection broke");
		ctr_debug(c->ctx, "%s: %s; resuming at byte %" PRIu64 " in %u ms", what, why, s.off, ms);
		ctr_error_free(e);
		if (cb->retrying)
			cb->retrying(cb->ud, fails, why, (ms + 999) / 1000);
		if (nap(c, ms) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled", what);
	}
}

/* ---- push ---- */

int reg_blob_exists(struct reg_repo *rp, struct reg_http *h, const char *digest, ctr_error **err)
{
	char url[2048], what[1024];
	struct reg_req rq;
	struct reg_resp rs;
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", rp->ep->base, rp->path, digest);
	snprintf(what, sizeof(what), "%s/%s@%.19s", rp->ep->name_host, rp->path, digest);
	base_req(rp->ep, &rq, url);
	rq.method = "HEAD";
	rq.follow = true;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = rp->c;
	int r = api(rp, h, &rq, NULL, &rs, true, NULL, NULL, err);
	if (r < 0)
		return r;
	r = rs.status == 200 ? 1 : rs.status == 404 ? 0 : status_error(rp, what, &rs, err);
	reg_resp_free(&rs);
	return r;
}

/* An absolute URL for a Location header (absolute, or a path on the endpoint). */
static char *resolve_location(const struct reg_endpoint *ep, const char *loc)
{
	char *u;
	if (!loc || !*loc)
		return NULL;
	for (const char *p = loc; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return NULL;
	if (!strncmp(loc, "https://", 8) || (ep->allow_http && !strncmp(loc, "http://", 7)))
		return strdup(loc);
	if (loc[0] != '/' || loc[1] == '/')
		return NULL;
	return asprintf(&u, "%s%s", ep->base, loc) < 0 ? NULL : u;
}

struct upload_progress {
	int (*sent)(void *ud, uint64_t n);
	void *ud;
	uint64_t base;
	struct reg_client *c;
};

static int upload_xfer(void *ud, uint64_t up, uint64_t down)
{
	struct upload_progress *u = ud;
	(void)down;
	if (cancelled(u->c))
		return 1;
	return u->sent && u->sent(u->ud, u->base + up) ? 1 : 0;
}

/* POST .../blobs/uploads/ (with mount): 201 mounted, 202 with an upload URL. */
static int start_upload(struct reg_repo *rp, struct reg_http *h, const char *digest, bool mount, char **upload,
			bool *mounted, ctr_error **err)
{
	char url[2048];
	struct reg_req rq;
	struct reg_resp rs;
	if (mount)
		snprintf(url, sizeof(url), "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", rp->ep->base, rp->path, digest,
			 rp->mount_from);
	else
		snprintf(url, sizeof(url), "%s/v2/%s/blobs/uploads/", rp->ep->base, rp->path);
	base_req(rp->ep, &rq, url);
	rq.method = "POST";
	rq.max_body = REG_ERROR_BODY_MAX;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = rp->c;
	*mounted = false;
	*upload = NULL;
	int r = api(rp, h, &rq, NULL, &rs, true, NULL, NULL, err);
	if (r < 0)
		return r;
	if (mount && rs.status == 201) {
		*mounted = true;
	} else if (rs.status == 202) {
		if (!(*upload = resolve_location(rp->ep, rs.location)))
			r = ctr_err(err, EPROTO, CTR_E_INVALID, "%s: the registry started an upload without a usable "
				    "Location ('%.200s')", url, rs.location ? rs.location : "");
	} else {
		char what[1024];
		snprintf(what, sizeof(what), "%s/%s: start a blob upload", rp->ep->name_host, rp->path);
		r = status_error(rp, what, &rs, err);
	}
	reg_resp_free(&rs);
	return r;
}

/* upload URL + digest query parameter */
static char *with_digest(const char *upload, const char *digest)
{
	char *u;
	char *esc = reg_url_escape(digest);
	if (!esc)
		return NULL;
	int w = asprintf(&u, "%s%cdigest=%s", upload, strchr(upload, '?') ? '&' : '?', esc);
	free(esc);
	return w < 0 ? NULL : u;
}

static int upload_once(struct reg_repo *rp, struct reg_http *h, int fd, const char *digest, uint64_t size,
		       uint64_t chunk, bool *mounted, struct upload_progress *up, ctr_error **err)
{
	char *upload = NULL, what[1024];
	int r = start_upload(rp, h, digest, rp->mount_from != NULL, &upload, mounted, err);
	if (r < 0 || *mounted)
		return r;
	snprintf(what, sizeof(what), "%s/%s@%.19s: upload", rp->ep->name_host, rp->path, digest);
	uint64_t off = 0;
	struct reg_req rq;
	struct reg_resp rs;
	struct curl_slist *bh = NULL;
	if (chunk) {
		while (off < size) {
			uint64_t n = size - off < chunk ? size - off : chunk;
			bh = NULL;
			if ((r = hdr(&bh, err, "Content-Type: application/octet-stream")) < 0 ||
			    (r = hdr(&bh, err, "Content-Range: %" PRIu64 "-%" PRIu64, off, off + n - 1)) < 0 ||
			    (r = hdr(&bh, err, "Expect:")) < 0)
				goto out;
			base_req(rp->ep, &rq, upload);
			rq.method = "PATCH";
			rq.body_fd = fd;
			rq.body_off = off;
			rq.body_size = n;
			rq.max_body = REG_ERROR_BODY_MAX;
			up->base = off;
			rq.xfer = upload_xfer;
			rq.xfer_ud = up;
			r = api(rp, h, &rq, bh, &rs, false, NULL, NULL, err);
			reg_slist_free(bh);
			bh = NULL;
			if (r < 0)
				goto out;
			if (rs.status != 202) {
				r = status_error(rp, what, &rs, err);
				reg_resp_free(&rs);
				goto out;
			}
			char *next = resolve_location(rp->ep, rs.location);
			reg_resp_free(&rs);
			if (next) {
				free(upload);
				upload = next;
			}
			off += n;
		}
	}
	char *put = with_digest(upload, digest);
	if (!put) {
		r = ctr_err_nomem(err);
		goto out;
	}
	if ((r = hdr(&bh, err, "Content-Type: application/octet-stream")) < 0 || (r = hdr(&bh, err, "Expect:")) < 0) {
		free(put);
		goto out;
	}
	base_req(rp->ep, &rq, put);
	rq.method = "PUT";
	if (!chunk) {
		rq.body_fd = fd;
		rq.body_off = 0;
		rq.body_size = size;
		up->base = 0;
		rq.xfer = upload_xfer;
		rq.xfer_ud = up;
	} else {
		rq.xfer = xfer_cancel;
		rq.xfer_ud = rp->c;
	}
	rq.max_body = REG_ERROR_BODY_MAX;
	r = api(rp, h, &rq, bh, &rs, false, NULL, NULL, err);
	free(put);
	if (r == 0) {
		if (rs.status != 201 && rs.status != 204)
			r = status_error(rp, what, &rs, err);
		else if (rs.docker_digest && strcmp(rs.docker_digest, digest))
			r = ctr_err(err, EBADMSG, CTR_E_INVALID, "%s: the registry stored it as %.100s", what,
				    rs.docker_digest);
		reg_resp_free(&rs);
	}
out:
	reg_slist_free(bh);
	free(upload);
	return r;
}

int reg_put_blob(struct reg_repo *rp, struct reg_http *h, int fd, const char *digest, uint64_t size, uint64_t chunk,
		 bool *mounted, int (*sent)(void *ud, uint64_t n), void *ud, ctr_error **err)
{
	struct upload_progress up = { .sent = sent, .ud = ud, .c = rp->c };
	for (unsigned attempt = 0;; attempt++) {
		ctr_error *e = NULL;
		int r = upload_once(rp, h, fd, digest, size, chunk, mounted, &up, &e);
		bool again = (r == -ECONNRESET || r == -ETIMEDOUT || r == -ECONNREFUSED) && attempt < rp->c->max_retries;
		if (!again) {
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
			return r;
		}
		ctr_debug(rp->c->ctx, "%s: %s; uploading again", digest, ctr_error_message(e));
		ctr_error_free(e);
		if (nap(rp->c, 500u << (attempt < 4 ? attempt : 4)) < 0)
			return ctr_err(err, ECANCELED, CTR_E_INVALID, "upload of %s cancelled", digest);
	}
}

int reg_put_manifest(struct reg_repo *rp, struct reg_http *h, const char *reference, const char *media_type,
		     const char *buf, size_t len, ctr_error **err)
{
	char url[2048], what[1024];
	struct reg_req rq;
	struct reg_resp rs;
	struct curl_slist *bh = NULL;
	int r;
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", rp->ep->base, rp->path, reference);
	snprintf(what, sizeof(what), "%s/%s%s%s: manifest upload", rp->ep->name_host, rp->path,
		 strchr(reference, ':') ? "@" : ":", reference);
	if ((r = hdr(&bh, err, "Content-Type: %s", media_type)) < 0 || (r = hdr(&bh, err, "Expect:")) < 0) {
		reg_slist_free(bh);
		return r;
	}
	base_req(rp->ep, &rq, url);
	rq.method = "PUT";
	rq.body = buf;
	rq.body_len = len;
	rq.max_body = REG_ERROR_BODY_MAX;
	rq.xfer = xfer_cancel;
	rq.xfer_ud = rp->c;
	r = api(rp, h, &rq, bh, &rs, true, NULL, NULL, err);
	reg_slist_free(bh);
	if (r < 0)
		return r;
	if (rs.status != 201 && rs.status != 200 && rs.status != 202)
		r = status_error(rp, what, &rs, err);
	reg_resp_free(&rs);
	return r;
}

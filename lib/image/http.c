/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP for the registry client: one request over a libcurl easy handle
 * (HTTP/1.1 or HTTP/2 over TLS, keep-alive through the handle and a shared
 * connection cache, redirects when asked).
 *
 * libcurl is opened on first use (dlopen), as libcrypto is in digest.c:
 * Debian's libcurl pulls in OpenSSL, nghttp2, libssh2, GSSAPI, LDAP, RTMP
 * and more, about 3 ms of loading and relocation for every process that
 * links libctr (the CLI's create+start+delete is ~15 ms), while only pulls
 * and pushes need it.  Only the headers are used at build time.  The table
 * is filled once under pthread_once and only read afterwards.
 *
 * What a registry sends back is hostile input: bodies are collected up to a
 * limit the caller gives (or streamed to its sink, which counts), headers
 * are kept only for the final response of a redirect chain, an error
 * response's body never reaches a sink, and redirects stay on https (http
 * only for registries configured insecure).  libcurl itself does not send
 * the Authorization header to another host than the one asked.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image/registry.h"

#define LIBCURL_SONAME "libcurl.so.4"
#define STR2(x) #x
#define STR(x) STR2(x)
#define USER_AGENT "libctr/" STR(CTR_VERSION_MAJOR) "." STR(CTR_VERSION_MINOR) "." STR(CTR_VERSION_MICRO)
/* CURLOPT_PROTOCOLS_STR and friends */
#define LIBCURL_MIN 0x075500
#define LIBCURL_MIN_TEXT "7.85.0"

static struct {
	CURLcode (*global_init)(long);
	curl_version_info_data *(*version_info)(CURLversion);
	CURL *(*easy_init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
	void (*reset)(CURL *);
	const char *(*strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLSH *(*share_init)(void);
	CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
	CURLSHcode (*share_cleanup)(CURLSH *);
	bool ok;
	char why[200];
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;

static void cu_load(void)
{
	static const char *const names[] = {
		"curl_global_init",   "curl_version_info", "curl_easy_init",	 "curl_easy_setopt",
		"curl_easy_perform",  "curl_easy_getinfo", "curl_easy_cleanup",	 "curl_easy_reset",
		"curl_easy_strerror", "curl_slist_append", "curl_slist_free_all", "curl_share_init",
		"curl_share_setopt",  "curl_share_cleanup",
	};
	void *f[CTR_ARRAY_SIZE(names)];
	if (ctr_dl_open(LIBCURL_SONAME, names, f, CTR_ARRAY_SIZE(names), cu.why, sizeof(cu.why)) < 0)
		return;
	memcpy(&cu.global_init, &f[0], sizeof(f[0]));
	memcpy(&cu.version_info, &f[1], sizeof(f[1]));
	memcpy(&cu.easy_init, &f[2], sizeof(f[2]));
	memcpy(&cu.setopt, &f[3], sizeof(f[3]));
	memcpy(&cu.perform, &f[4], sizeof(f[4]));
	memcpy(&cu.getinfo, &f[5], sizeof(f[5]));
	memcpy(&cu.cleanup, &f[6], sizeof(f[6]));
	memcpy(&cu.reset, &f[7], sizeof(f[7]));
	memcpy(&cu.strerror, &f[8], sizeof(f[8]));
	memcpy(&cu.slist_append, &f[9], sizeof(f[9]));
	memcpy(&cu.slist_free_all, &f[10], sizeof(f[10]));
	memcpy(&cu.share_init, &f[11], sizeof(f[11]));
	memcpy(&cu.share_setopt, &f[12], sizeof(f[12]));
	memcpy(&cu.share_cleanup, &f[13], sizeof(f[13]));
	curl_version_info_data *v = cu.version_info(CURLVERSION_NOW);
	if (!v || v->version_num < LIBCURL_MIN) {
		snprintf(cu.why, sizeof(cu.why), "libcurl %s is older than %s", v && v->version ? v->version : "?",
			 LIBCURL_MIN_TEXT);
		return;
	}
	if (!(v->features & CURL_VERSION_SSL)) {
		snprintf(cu.why, sizeof(cu.why), "libcurl %s was built without TLS", v->version);
		return;
	}
	/* thread-safe since 7.84 (CURL_VERSION_THREADSAFE); done once here in any case */
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(cu.why, sizeof(cu.why), "curl_global_init failed");
		return;
	}
	cu.ok = true;
}

static int cu_get(ctr_error **err)
{
	(void)pthread_once(&cu_once, cu_load);
	if (cu.ok)
		return 0;
	return ctr_err(err, ELIBACC, CTR_E_UNSUPPORTED,
		       "registries need libcurl (%s, %s or newer, with TLS), which could not be loaded (%s): "
		       "install libcurl4",
		       LIBCURL_SONAME, LIBCURL_MIN_TEXT, cu.why);
}

/* ---- the share handle: DNS, TLS sessions, connections ---- */

struct share {
	CURLSH *sh;
	pthread_mutex_t mu[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct share *s = ud;
	(void)h;
	(void)access;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&s->mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct share *s = ud;
	(void)h;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&s->mu[data]);
}

void *reg_http_share_new(void)
{
	if (cu_get(NULL) < 0)
		return NULL;
	struct share *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->mu[i], NULL);
	if (!(s->sh = cu.share_init())) {
		free(s);
		return NULL;
	}
	cu.share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	cu.share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	cu.share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	cu.share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	cu.share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	cu.share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	return s;
}

void reg_http_share_free(void *share)
{
	struct share *s = share;
	if (!s)
		return;
	cu.share_cleanup(s->sh);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->mu[i]);
	free(s);
}

/* ---- one handle ---- */

struct reg_http {
	CURL *curl;
	struct share *share;
	char errbuf[CURL_ERROR_SIZE];
	/* per request */
	const struct reg_req *rq;
	struct reg_resp *rs;
	uint64_t up_off;   /* body bytes given to curl */
	size_t cap;        /* collected body capacity */
	int sink_rc;       /* the sink's return when it stopped the transfer */
	bool body_is_error; /* the response is not 2xx: its body is kept for the message, not sunk */
	bool status_known;
};

int reg_http_new(struct reg_http **out, void *share, ctr_error **err)
{
	int r = cu_get(err);
	if (r < 0)
		return r;
	struct reg_http *h = calloc(1, sizeof(*h));
	if (!h)
		return ctr_err_nomem(err);
	if (!(h->curl = cu.easy_init())) {
		free(h);
		return ctr_err_nomem(err);
	}
	h->share = share;
	*out = h;
	return 0;
}

void reg_http_free(struct reg_http *h)
{
	if (!h)
		return;
	cu.cleanup(h->curl);
	free(h);
}

struct curl_slist *reg_slist_add(struct curl_slist *l, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	struct curl_slist *nl = cu_get(NULL) < 0 ? NULL : cu.slist_append(l, line);
	explicit_bzero(line, (size_t)n); /* may hold a token */
	free(line);
	return nl;
}

void reg_slist_free(struct curl_slist *l)
{
	if (l)
		cu.slist_free_all(l);
}

/* Forget the headers of an earlier response of the chain (a redirect, a 100 Continue). */
static void resp_reset_headers(struct reg_resp *r)
{
	free(r->content_type);
	free(r->docker_digest);
	free(r->location);
	free(r->www_auth);
	free(r->retry_after);
	free(r->content_range);
	free(r->range);
	r->content_type = r->docker_digest = r->location = r->www_auth = r->retry_after = r->content_range =
		r->range = NULL;
	r->content_length = -1;
}

void reg_resp_free(struct reg_resp *r)
{
	if (!r)
		return;
	resp_reset_headers(r);
	free(r->body);
	free(r->url);
	free(r->primary_ip);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

static void set_header(char **slot, const char *v, size_t n, bool append)
{
	if (*slot && append) {
		/* several WWW-Authenticate headers: keep them as one comma-separated list */
		size_t old = strlen(*slot);
		char *nv = realloc(*slot, old + 2 + n + 1);
		if (!nv)
			return;
		memcpy(nv + old, ", ", 2);
		memcpy(nv + old + 2, v, n);
		nv[old + 2 + n] = '\0';
		*slot = nv;
		return;
	}
	free(*slot);
	*slot = strndup(v, n);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct reg_http *h = ud;
	size_t n = size * nitems, len = n;
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		resp_reset_headers(h->rs);
		h->status_known = false;
		return n;
	}
	const char *colon = memchr(buf, ':', len);
	if (!colon)
		return n;
	size_t klen = (size_t)(colon - buf);
	const char *v = colon + 1;
	size_t vlen = len - klen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
		{ "content-type", offsetof(struct reg_resp, content_type) },
		{ "docker-content-digest", offsetof(struct reg_resp, docker_digest) },
		{ "location", offsetof(struct reg_resp, location) },
		{ "www-authenticate", offsetof(struct reg_resp, www_auth) },
		{ "retry-after", offsetof(struct reg_resp, retry_after) },
		{ "content-range", offsetof(struct reg_resp, content_range) },
		{ "range", offsetof(struct reg_resp, range) },
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(keep); i++)
		if (strlen(keep[i].name) == klen && !strncasecmp(buf, keep[i].name, klen)) {
			set_header((char **)((char *)h->rs + keep[i].off), v, vlen, !strcmp(keep[i].name, "www-authenticate"));
			return n;
		}
	if (klen == 14 && !strncasecmp(buf, "content-length", 14)) {
		char tmp[32];
		if (vlen < sizeof(tmp)) {
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			char *end;
			errno = 0;
			long long cl = strtoll(tmp, &end, 10);
			if (!errno && *end == '\0' && cl >= 0 && end != tmp)
				h->rs->content_length = cl;
		}
	}
	return n;
}

static int collect(struct reg_http *h, const char *buf, size_t n, size_t max)
{
	struct reg_resp *rs = h->rs;
	if (rs->body_len + n > max) {
		rs->body_too_big = true;
		return -1;
	}
	if (rs->body_len + n + 1 > h->cap) {
		size_t nc = h->cap ? h->cap : 4096;
		while (nc < rs->body_len + n + 1)
			nc *= 2;
		char *nb = realloc(rs->body, nc);
		if (!nb)
			return -1;
		rs->body = nb;
		h->cap = nc;
	}
	memcpy(rs->body + rs->body_len, buf, n);
	rs->body_len += n;
	rs->body[rs->body_len] = '\0';
	return 0;
}

static size_t on_write(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct reg_http *h = ud;
	size_t n = size * nmemb;
	if (!h->status_known) {
		long code = 0;
		cu.getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
		h->rs->status = code; /* the sink looks at it (206 or 200) */
		h->body_is_error = code < 200 || code > 299;
		h->status_known = true;
	}
	if (h->body_is_error || !h->rq->sink) {
		size_t max = h->body_is_error && h->rq->max_body < REG_ERROR_BODY_MAX ? REG_ERROR_BODY_MAX
										      : h->rq->max_body;
		if (!max) /* nobody wants it */
			return n;
		if (collect(h, buf, n, max) < 0)
			return h->body_is_error ? n : 0; /* an oversized error body is cut, not an error */
		return n;
	}
	int r = h->rq->sink(h->rq->sink_ud, buf, n);
	if (r < 0) {
		h->sink_rc = r;
		return 0;
	}
	return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct reg_http *h = ud;
	const struct reg_req *rq = h->rq;
	size_t want = size * nitems;
	uint64_t total = rq->body_fd >= 0 ? rq->body_size : rq->body_len;
	if (h->up_off >= total)
		return 0;
	if (want > total - h->up_off)
		want = (size_t)(total - h->up_off);
	if (rq->body_fd < 0) {
		memcpy(buf, (const char *)rq->body + h->up_off, want);
		h->up_off += want;
		return want;
	}
	ssize_t r;
	do
		r = pread(rq->body_fd, buf, want, (off_t)(rq->body_off + h->up_off));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	h->up_off += (uint64_t)r;
	return (size_t)r;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct reg_http *h = ud;
	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	h->up_off = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct reg_http *h = ud;
	(void)dltotal;
	(void)ultotal;
	return h->rq->xfer(h->rq->xfer_ud, (uint64_t)ulnow, (uint64_t)dlnow) ? 1 : 0;
}

static int set_opts(struct reg_http *h, const struct reg_req *rq)
{
	CURL *c = h->curl;
	CURLcode e = CURLE_OK;
#define SET(opt, val)                                   \
	do {                                            \
		if (e == CURLE_OK)                      \
			e = cu.setopt(c, opt, val);     \
	} while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_PROTOCOLS_STR, rq->allow_http ? "http,https" : "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, rq->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, rq->follow ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, 8L);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_CONNECTTIMEOUT, 30L);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
	SET(CURLOPT_LOW_SPEED_TIME, rq->low_speed_time > 0 ? rq->low_speed_time : 60L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_SSL_VERIFYPEER, rq->verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, rq->verify ? 2L : 0L);
	if (rq->ca_blob) {
		struct curl_blob b = { .data = (void *)rq->ca_blob, .len = rq->ca_blob_len, .flags = CURL_BLOB_COPY };
		SET(CURLOPT_CAINFO_BLOB, &b);
	}
	if (rq->client_cert)
		SET(CURLOPT_SSLCERT, rq->client_cert);
	if (rq->client_key)
		SET(CURLOPT_SSLKEY, rq->client_key);
	if (h->share)
		SET(CURLOPT_SHARE, h->share->sh);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, h);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, h);
	if (rq->xfer) {
		SET(CURLOPT_XFERINFOFUNCTION, on_xfer);
		SET(CURLOPT_XFERINFODATA, h);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
	if (rq->max_body && !rq->sink)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_body);
	if (rq->sink) /* blobs: larger reads, fewer calls into the sink */
		SET(CURLOPT_BUFFERSIZE, 256L * 1024);
	bool has_body = rq->body_fd >= 0 || rq->body;
	const char *m = rq->method ? rq->method : "GET";
	if (!strcmp(m, "GET")) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(m, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, h);
		SET(CURLOPT_SEEKFUNCTION, on_seek);
		SET(CURLOPT_SEEKDATA, h);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)(rq->body_fd >= 0 ? rq->body_size : rq->body_len));
		SET(CURLOPT_CUSTOMREQUEST, m);
	} else if (!strcmp(m, "POST")) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	} else {
		/* PUT, PATCH, DELETE without a body: Content-Length: 0 */
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, h);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		SET(CURLOPT_CUSTOMREQUEST, m);
	}
	SET(CURLOPT_HTTPHEADER, rq->headers);
#undef SET
	return e == CURLE_OK ? 0 : (int)e;
}

static int result(struct reg_http *h, const struct reg_req *rq, struct reg_resp *rs, CURLcode e, bool *transient,
		  ctr_error **err);

int reg_http_do(struct reg_http *h, const struct reg_req *rq, struct reg_resp *rs, bool *transient,
		ctr_error **err)
{
	*transient = false;
	memset(rs, 0, sizeof(*rs));
	rs->content_length = -1;
	cu.reset(h->curl); /* keeps the connection, DNS and TLS session caches */
	h->rq = rq;
	h->rs = rs;
	h->up_off = 0;
	h->cap = 0;
	h->sink_rc = 0;
	h->body_is_error = false;
	h->status_known = false;
	h->errbuf[0] = '\0';
	int oe = set_opts(h, rq);
	if (oe)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "%s: libcurl refused an option: %s", rq->url,
			       cu.strerror((CURLcode)oe));
	CURLcode e = cu.perform(h->curl);
	int r = result(h, rq, rs, e, transient, err);
	if (r < 0)
		reg_resp_free(rs); /* a failed transfer leaves no response to free */
	return r;
}

static int result(struct reg_http *h, const struct reg_req *rq, struct reg_resp *rs, CURLcode e, bool *transient,
		  ctr_error **err)
{
	char *url = NULL, *ip = NULL;
	cu.getinfo(h->curl, CURLINFO_EFFECTIVE_URL, &url);
	cu.getinfo(h->curl, CURLINFO_PRIMARY_IP, &ip);
	rs->url = url ? strdup(url) : NULL;
	rs->primary_ip = ip ? strdup(ip) : NULL;
	cu.getinfo(h->curl, CURLINFO_RESPONSE_CODE, &rs->status);
	const char *where = rs->url ? rs->url : rq->url;
	const char *detail = h->errbuf[0] ? h->errbuf : cu.strerror(e);
	switch (e) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		if (h->sink_rc < 0)
			return h->sink_rc; /* the sink set its own error */
		if (rs->body_too_big)
			return ctr_err(err, EFBIG, CTR_E_INVALID, "%s: the response is larger than %zu bytes", where,
				       rq->max_body);
		return ctr_err(err, ENOMEM, CTR_E_NOMEM, "%s: out of memory for the response", where);
	case CURLE_FILESIZE_EXCEEDED:
		rs->body_too_big = true;
		return ctr_err(err, EFBIG, CTR_E_INVALID, "%s: the response is larger than %zu bytes", where,
			       rq->max_body);
	case CURLE_ABORTED_BY_CALLBACK:
		return ctr_err(err, ECANCELED, CTR_E_INVALID, "%s: cancelled", where);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return ctr_err(err, EHOSTUNREACH, CTR_E_SYSTEM, "%s: %s", where, detail);
	case CURLE_COULDNT_CONNECT:
		*transient = true;
		return ctr_err(err, ECONNREFUSED, CTR_E_SYSTEM, "%s: %s", where, detail);
	case CURLE_OPERATION_TIMEDOUT:
		*transient = true;
		return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM, "%s: %s", where, detail);
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		*transient = true;
		return ctr_err(err, ECONNRESET, CTR_E_SYSTEM, "%s: %s", where, detail);
	case CURLE_READ_ERROR:
	case CURLE_SEND_FAIL_REWIND:
		return ctr_err(err, EIO, CTR_E_SYSTEM, "%s: reading the upload: %s", where, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return ctr_err(err, EPROTO, CTR_E_SYSTEM, "%s: TLS: %s", where, detail);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return ctr_err(err, EPROTO, CTR_E_INVALID, "%s: %s (plain http is used only for registries marked "
			       "insecure)", where, detail);
	case CURLE_TOO_MANY_REDIRECTS:
		return ctr_err(err, ELOOP, CTR_E_INVALID, "%s: %s", where, detail);
	case CURLE_OUT_OF_MEMORY:
		return ctr_err_nomem(err);
	default:
		return ctr_err(err, EIO, CTR_E_SYSTEM, "%s: %s", where, detail);
	}
}

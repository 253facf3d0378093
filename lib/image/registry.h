/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registries (the OCI distribution-spec) for the image module: image
 * references (docker://), registries.conf, credentials, the HTTP client over
 * libcurl and the distribution API.  Internal to libctr.
 *
 *   reference.c   references (distribution's grammar), Docker Hub's rules
 *   regconf.c     registries.conf(5) and registries.conf.d: search
 *                 registries, aliases, short-name-mode, [[registry]]
 *                 prefixes, locations, mirrors, insecure, blocked (a TOML
 *                 subset parser)
 *   regauth.c     credentials: --creds, auth files (containers-auth.json(5),
 *                 docker's config.json), credential helpers; base64;
 *                 WWW-Authenticate challenges
 *   http.c        libcurl, opened on first use (dlopen), and one request
 *   registry.c    endpoints, TLS (certs.d), auth flows and token cache,
 *                 manifests, blobs with resume and retries, uploads
 *   pull.c        ctr_image_pull / push / unpack of docker:// references
 */
#ifndef CTR_LIB_IMAGE_REGISTRY_H
#define CTR_LIB_IMAGE_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"
#include "ctr/image.h"

struct img_desc;

/* The transport prefix of registry references. */
#define REG_TRANSPORT "docker://"
/* Docker Hub: the name users write, and the host that serves it. */
#define REG_DOCKER_HUB "docker.io"
#define REG_DOCKER_HUB_HOST "registry-1.docker.io"
/* Limits on what a registry sends us (hostile registries). */
#define REG_TOKEN_MAX (1u << 20)       /* a token response */
#define REG_ERROR_BODY_MAX (64u << 10) /* an error response body kept for the message */

/* ---- reference.c ---- */

struct img_ref {
	char *domain; /* "docker.io", "quay.io", "127.0.0.1:5000"; NULL for a short name */
	char *path;   /* "library/busybox" ("library/" added for Docker Hub) */
	char *tag;    /* NULL: none */
	char *digest; /* NULL: none */
};

/*
 * Parse a reference (distribution's grammar: [domain[:port]/]path[:tag][@digest],
 * lowercase path components, tags of at most 128 characters), with or without
 * the docker:// prefix.  A name whose first component has no '.' or ':' and
 * is not "localhost" is a short name (domain NULL).  docker.io names of one
 * component get "library/"; "index.docker.io" is "docker.io".
 */
int img_ref_parse(const char *s, struct img_ref *out, ctr_error **err);
void img_ref_free(struct img_ref *r);
/* "domain/path[:tag][@digest]" (a short name without domain): malloc'd, NULL when out of memory. */
char *img_ref_string(const struct img_ref *r);
/* "domain/path" */
char *img_ref_name(const struct img_ref *r);
/* Does s name a registry image (docker://...)? */
bool img_is_registry_ref(const char *s);

/* ---- regconf.c ---- */

enum regconf_short_mode { REGCONF_SHORT_PERMISSIVE = 0, REGCONF_SHORT_ENFORCING, REGCONF_SHORT_DISABLED };
enum regconf_mirror_pull { REGCONF_PULL_ALL = 0, REGCONF_PULL_DIGEST_ONLY, REGCONF_PULL_TAG_ONLY };

struct regconf_mirror {
	char *location;
	bool insecure;
	enum regconf_mirror_pull pull_from;
};

struct regconf_registry {
	char *prefix;   /* "host[:port][/ns...]" or "*.host" */
	char *location; /* NULL: the prefix itself */
	bool insecure, blocked;
	struct regconf_mirror *mirrors;
	size_t n_mirrors;
};

struct regconf_alias {
	char *name, *value; /* value "" erases an alias of an earlier file */
};

struct regconf {
	char **search; /* unqualified-search-registries, NULL-terminated (may be empty) */
	enum regconf_short_mode short_mode;
	struct regconf_registry *regs;
	size_t n_regs;
	struct regconf_alias *aliases;
	size_t n_aliases;
};

/*
 * Parse one registries.conf document (version 2, or version 1's
 * [registries.search|insecure|block]) over (buf, len) and merge it into c:
 * a later file's unqualified-search-registries and short-name-mode replace
 * the earlier ones, its [[registry]] tables replace those of the same prefix,
 * its aliases are added or replace (or, with "", erase) earlier ones.
 * what names the file in errors ("<what>:<line>: ...").
 */
int regconf_parse(struct regconf *c, const char *buf, size_t len, const char *what, ctr_error **err);
/*
 * The configuration a pull uses: path (NULL: $CONTAINERS_REGISTRIES_CONF, else
 * ~/.config/containers/registries.conf when not root and it exists, else
 * /etc/containers/registries.conf), then the *.conf files of "<path>.d" in
 * name order.  Missing files are no error.
 */
int regconf_load(struct regconf *c, const char *path, ctr_error **err);
void regconf_free(struct regconf *c);
/* The [[registry]] with the longest prefix matching name ("domain/path..."), NULL: none. */
const struct regconf_registry *regconf_find(const struct regconf *c, const char *name);

/* One place to try for a reference, in order: mirrors first, then the (remapped) primary location. */
struct reg_candidate {
	char *domain;     /* the host to contact ("host[:port]") */
	char *path;       /* the repository there */
	char *name;       /* the logical name the image is stored under ("docker.io/library/busybox:1") */
	bool insecure;
	bool mirror;
};

struct reg_candidates {
	struct reg_candidate *v;
	size_t n;
};

/*
 * The candidates for a reference: a short name is resolved through the
 * aliases, else (short-name-mode permitting) each unqualified-search
 * registry; each name then through its [[registry]] (blocked: an error
 * naming the file's prefix; location rewritten; mirrors first, as
 * pull-from-mirror allows).  push: no mirrors and no short-name search with
 * more than one registry.
 */
int regconf_candidates(const struct regconf *c, const struct img_ref *ref, bool push, struct reg_candidates *out,
		       ctr_error **err);
void reg_candidates_free(struct reg_candidates *c);

/* ---- regauth.c ---- */

struct reg_creds {
	char *user;
	char *secret;        /* the password, or an identity (refresh) token when identity */
	bool identity;
	char from[256];      /* where they came from, for messages ("--creds", "/root/.docker/config.json") */
};

void reg_creds_free(struct reg_creds *c);
/*
 * Credentials for a registry host and repository: creds ("user[:password]")
 * when given; else authfile when given (only it); else $REGISTRY_AUTH_FILE,
 * ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/<uid>/auth.json),
 * ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, ${DOCKER_CONFIG:-~/.docker}/config.json.
 * In each file: credHelpers[host], the most specific auths key
 * ("host/ns/repo", "host/ns", "host"; docker's "https://index.docker.io/v1/"
 * for docker.io), credsStore.  Nothing found: 0 with out->user NULL.
 */
int reg_creds_lookup(const char *creds, const char *authfile, const char *host, const char *repo,
		     struct reg_creds *out, ctr_error **err);
/*
 * Look host/repo up in one auth file (JSON) without running anything: the
 * credentials, or in *helper (malloc'd) the credential helper to ask
 * (credHelpers[host], else credsStore when no auths key matched).
 */
int reg_authfile_find(const char *buf, size_t len, const char *what, const char *host, const char *repo,
		      struct reg_creds *out, char **helper, ctr_error **err);
/* Parse one auth file (JSON) and look the host/repo up in it; helpers are run as needed. */
int reg_creds_from_authfile(const char *buf, size_t len, const char *what, const char *host, const char *repo,
			    struct reg_creds *out, ctr_error **err);
/* Run docker-credential-<helper> get for host. 0 with out->user NULL: the helper has none. */
int reg_creds_helper(const char *helper, const char *host, struct reg_creds *out, ctr_error **err);

/* RFC 4648 base64 (with padding); decode refuses anything else.  Results malloc'd and NUL-terminated. */
char *reg_base64_encode(const void *buf, size_t len);
int reg_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

struct reg_challenge {
	enum { REG_AUTH_NONE = 0, REG_AUTH_BASIC, REG_AUTH_BEARER } scheme;
	char *realm, *service, *scope;
};
/* Parse a WWW-Authenticate value (RFC 7235); Bearer is preferred over Basic.  -EINVAL: nothing usable. */
int reg_challenge_parse(const char *buf, size_t len, struct reg_challenge *out);
void reg_challenge_free(struct reg_challenge *c);
/* Percent-encode for a URL query (RFC 3986 unreserved kept). */
char *reg_url_escape(const char *s);

/* ---- http.c ---- */

struct reg_http; /* one connection's worth of state (a CURL easy handle) */

struct reg_resp {
	long status;
	char *content_type, *docker_digest, *location, *www_auth, *retry_after, *content_range, *range;
	int64_t content_length; /* -1: not given */
	char *body;             /* collected body (max_body > 0), NUL-terminated */
	size_t body_len;
	bool body_too_big;
	char *url;              /* the effective URL (after redirects) */
	char *primary_ip;
};
void reg_resp_free(struct reg_resp *r);

struct reg_req {
	const char *method; /* GET, HEAD, POST, PUT, PATCH, DELETE */
	const char *url;
	struct curl_slist *headers;
	/* request body: in memory, or from a file (pread) */
	const void *body;
	size_t body_len;
	int body_fd;        /* -1: none */
	uint64_t body_off, body_size;
	/* response body: collected up to max_body, or streamed to sink */
	size_t max_body;
	int (*sink)(void *ud, const void *buf, size_t n); /* <0 stops the transfer */
	void *sink_ud;
	bool follow;        /* follow redirects (GET, HEAD) */
	bool allow_http;    /* plain http allowed (insecure registries), also for redirects */
	/* TLS */
	bool verify;
	const char *ca_blob;   /* PEM added to the system CAs; NULL: none */
	size_t ca_blob_len;
	const char *client_cert, *client_key;
	/* progress and cancel: called often during the transfer; nonzero aborts */
	int (*xfer)(void *ud, uint64_t up, uint64_t down);
	void *xfer_ud;
	long low_speed_time; /* seconds below 1 KiB/s before the transfer is abandoned; 0: 60 */
};

/* libcurl is loaded (dlopen) and initialised on first use; -ELIBACC with a message when it cannot be. */
int reg_http_new(struct reg_http **out, void *share, ctr_error **err);
void reg_http_free(struct reg_http *h);
/* A curl share handle for DNS, TLS sessions and connections between threads; NULL when unavailable. */
void *reg_http_share_new(void);
void reg_http_share_free(void *share);
struct curl_slist *reg_slist_add(struct curl_slist *l, const char *fmt, ...) CTR_PRINTF(2, 3);
void reg_slist_free(struct curl_slist *l);
/*
 * Perform one request.  Returns 0 when an HTTP response came (whatever its
 * status; free rs), or a negative errno with err set (and rs empty) when the
 * transfer failed:
 * -ECONNREFUSED/-EHOSTUNREACH/-ETIMEDOUT/-ECONNRESET/-EPROTO for network
 * and TLS trouble (see *transient), -ECANCELED when xfer or the sink said
 * stop (the sink's own error is kept when it set one).
 */
int reg_http_do(struct reg_http *h, const struct reg_req *rq, struct reg_resp *rs, bool *transient,
		ctr_error **err);

/* ---- registry.c ---- */

struct reg_endpoint; /* a registry host as we reach it: scheme, TLS, credentials, tokens */

struct reg_client {
	ctr_context *ctx;
	ctr_image_options o;       /* the caller's options (registry fields) */
	pthread_mutex_t mu;        /* endpoints and their token caches */
	void *share;               /* curl share handle */
	struct reg_endpoint **eps;
	size_t n_eps;
	unsigned max_retries;      /* attempts after the first for transient failures */
	const volatile int *cancel;
};

int reg_client_init(struct reg_client *c, ctr_context *ctx, const ctr_image_options *o, const volatile int *cancel,
		    ctr_error **err);
void reg_client_fini(struct reg_client *c);
/* The endpoint for host (made and pinged on first use: scheme, auth challenge). */
int reg_endpoint_get(struct reg_client *c, struct reg_http *h, const char *host, bool insecure,
		     struct reg_endpoint **out, ctr_error **err);
const char *reg_endpoint_host(const struct reg_endpoint *ep);

/* A repository on an endpoint with the scopes its requests need. */
struct reg_repo {
	struct reg_client *c;
	struct reg_endpoint *ep;
	char *path;        /* repository name on the endpoint */
	bool push;         /* scope pull,push */
	char *mount_from;  /* push: another repository of the same endpoint to mount blobs from (scope pull) */
};

/*
 * GET a manifest or index by tag or digest (Accept: OCI and Docker v2 schema 2
 * types), at most IMG_DOC_MAX bytes.  With a digest reference the bytes are
 * verified against it; a Docker-Content-Digest header must match the bytes.
 * *digest receives "sha256:..." of the bytes.  -ENOENT when the registry
 * does not have it.
 */
int reg_get_manifest(struct reg_repo *r, struct reg_http *h, const char *reference, char **buf, size_t *len,
		     char **media_type, char digest[static 136], ctr_error **err);
/* GET a small blob (a config) fully into memory, verified against d's size and digest. */
int reg_get_blob_buf(struct reg_repo *r, struct reg_http *h, const struct img_desc *d, char **buf, size_t *len,
		     ctr_error **err);

/* Events of a blob download, for progress. */
struct reg_blob_cb {
	int (*data)(void *ud, const void *buf, size_t n); /* the next bytes, in order, exactly once; <0 stops */
	void (*retrying)(void *ud, unsigned attempt, const char *why, unsigned wait_s);
	void *ud;
};
/*
 * GET a blob and hand its bytes to cb->data in order.  A broken transfer
 * resumes with Range from the bytes already delivered (a server that
 * ignores Range is skipped ahead); 429 and 5xx are retried with backoff,
 * honouring Retry-After.  More bytes than d->size stop it.  The caller
 * verifies the digest (the bytes go through its hash).
 */
int reg_get_blob(struct reg_repo *r, struct reg_http *h, const struct img_desc *d, const struct reg_blob_cb *cb,
		 ctr_error **err);

/* push: does the repository have the blob?  1 yes, 0 no, <0 error. */
int reg_blob_exists(struct reg_repo *r, struct reg_http *h, const char *digest, ctr_error **err);
/*
 * Upload a blob from fd (size bytes, verified digest): a cross-repository
 * mount first when r->mount_from is set (*mounted = true when the registry
 * did it), else a POST and one PUT (chunk == 0) or PATCH chunks of chunk
 * bytes and a closing PUT.  sent is called with the bytes sent so far.
 */
int reg_put_blob(struct reg_repo *r, struct reg_http *h, int fd, const char *digest, uint64_t size, uint64_t chunk,
		 bool *mounted, int (*sent)(void *ud, uint64_t n), void *ud, ctr_error **err);
int reg_put_manifest(struct reg_repo *r, struct reg_http *h, const char *reference, const char *media_type,
		     const char *buf, size_t len, ctr_error **err);

#endif

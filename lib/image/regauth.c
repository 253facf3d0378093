/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registry credentials and the pieces of HTTP authentication that are not
 * the HTTP client: auth files (containers-auth.json(5) and docker's
 * config.json, which share the "auths" / "credHelpers" / "credsStore"
 * format), credential helpers (docker-credential-<name>, run with
 * posix_spawn), base64, WWW-Authenticate challenges (RFC 7235) and URL
 * query escaping.  Every parser takes (buf, len) and trusts nothing in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "image/registry.h"

extern char **environ;

#define AUTHFILE_MAX (4u << 20)
#define HELPER_OUT_MAX (1u << 20)
#define HELPER_TIMEOUT_MS 60000

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_base64_encode(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n = 4 * ((len + 2) / 3);
	char *o = malloc(n + 1), *q = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		*q++ = b64[v >> 18 & 63];
		*q++ = b64[v >> 12 & 63];
		*q++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*q++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*q = '\0';
	return o;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int reg_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
	if (len % 4)
		return -EINVAL;
	unsigned char *o = malloc(len / 4 * 3 + 1);
	size_t n = 0;
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		bool last = i + 4 == len;
		for (int k = 0; k < 4; k++) {
			v[k] = b64val(s[i + k]);
			if (v[k] < 0 && !(last && k >= 2 && s[i + k] == '=')) {
				free(o);
				return -EINVAL;
			}
		}
		if (v[2] < 0 && v[3] >= 0) {
			free(o);
			return -EINVAL;
		}
		o[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			o[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			o[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	o[n] = '\0';
	*out = o;
	*out_len = n;
	return 0;
}

/* ---- URL query escaping ---- */

char *reg_url_escape(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(3 * n + 1), *q = o;
	if (!o)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~') {
			*q++ = (char)*p;
		} else {
			static const char hx[] = "0123456789ABCDEF";
			*q++ = '%';
			*q++ = hx[*p >> 4];
			*q++ = hx[*p & 15];
		}
	}
	*q = '\0';
	return o;
}

/* ---- WWW-Authenticate ---- */

static bool tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

struct lex {
	const char *p, *end;
};

static void lws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
		l->p++;
}

static size_t token(struct lex *l, const char **s)
{
	*s = l->p;
	while (l->p < l->end && tchar(*l->p))
		l->p++;
	return (size_t)(l->p - *s);
}

/* quoted-string with \-escapes; *out malloc'd */
static int quoted(struct lex *l, char **out)
{
	if (l->p >= l->end || *l->p != '"')
		return -EINVAL;
	l->p++;
	char *o = malloc((size_t)(l->end - l->p) + 1);
	size_t n = 0;
	if (!o)
		return -ENOMEM;
	while (l->p < l->end && *l->p != '"') {
		if (*l->p == '\\' && l->p + 1 < l->end)
			l->p++;
		if ((unsigned char)*l->p < 0x20 && *l->p != '\t') {
			free(o);
			return -EINVAL;
		}
		o[n++] = *l->p++;
	}
	if (l->p >= l->end) {
		free(o);
		return -EINVAL;
	}
	l->p++;
	o[n] = '\0';
	*out = o;
	return 0;
}

void reg_challenge_free(struct reg_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

int reg_challenge_parse(const char *buf, size_t len, struct reg_challenge *out)
{
	struct lex l = { buf, buf + len };
	struct reg_challenge best = { 0 }, cur = { 0 };
	int r = 0;
	memset(out, 0, sizeof(*out));
	for (;;) {
		lws(&l);
		while (l.p < l.end && *l.p == ',') { /* empty list elements */
			l.p++;
			lws(&l);
		}
		if (l.p >= l.end)
			break;
		const char *scheme;
		size_t sl = token(&l, &scheme);
		if (!sl) {
			r = -EINVAL;
			break;
		}
		reg_challenge_free(&cur);
		cur.scheme = sl == 6 && !strncasecmp(scheme, "bearer", 6) ? REG_AUTH_BEARER
			     : sl == 5 && !strncasecmp(scheme, "basic", 5) ? REG_AUTH_BASIC : REG_AUTH_NONE;
		/* auth-params until the next challenge */
		for (;;) {
			lws(&l);
			const char *save = l.p, *name;
			size_t nl = token(&l, &name);
			lws(&l);
			if (!nl || l.p >= l.end || *l.p != '=') {
				/* a token68, or the next challenge's scheme */
				if (nl && (l.p >= l.end || *l.p == ',')) {
					/* token68 of this challenge */
					if (l.p < l.end)
						l.p++;
					continue;
				}
				l.p = save;
				break;
			}
			l.p++; /* = */
			lws(&l);
			char *val = NULL;
			if (l.p < l.end && *l.p == '"') {
				if ((r = quoted(&l, &val)) < 0)
					goto out;
			} else {
				const char *v;
				size_t vl = token(&l, &v);
				if (!(val = strndup(v, vl))) {
					r = -ENOMEM;
					goto out;
				}
			}
			char **slot = nl == 5 && !strncasecmp(name, "realm", 5)     ? &cur.realm
				      : nl == 7 && !strncasecmp(name, "service", 7) ? &cur.service
				      : nl == 5 && !strncasecmp(name, "scope", 5)   ? &cur.scope
										    : NULL;
			if (slot) {
				free(*slot);
				*slot = val;
			} else {
				free(val);
			}
			lws(&l);
			if (l.p < l.end && *l.p == ',') {
				l.p++;
				continue;
			}
			if (l.p < l.end) { /* garbage */
				r = -EINVAL;
				goto out;
			}
			break;
		}
		if (cur.scheme == REG_AUTH_BEARER && best.scheme != REG_AUTH_BEARER) {
			reg_challenge_free(&best);
			best = cur;
			memset(&cur, 0, sizeof(cur));
		} else if (cur.scheme == REG_AUTH_BASIC && best.scheme == REG_AUTH_NONE) {
			reg_challenge_free(&best);
			best = cur;
			memset(&cur, 0, sizeof(cur));
		}
		if (l.p >= l.end)
			break;
		if (l.p == l.end || !tchar(*l.p)) {
			r = -EINVAL;
			break;
		}
	}
out:
	reg_challenge_free(&cur);
	if (r == 0 && best.scheme == REG_AUTH_BEARER && !best.realm)
		r = -EINVAL; /* a Bearer challenge says where to get the token */
	if (r == 0 && best.scheme == REG_AUTH_NONE)
		r = -EINVAL;
	if (r < 0) {
		reg_challenge_free(&best);
		return r;
	}
	*out = best;
	return 0;
}

/* ---- credentials ---- */

void reg_creds_free(struct reg_creds *c)
{
	if (!c)
		return;
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->user);
	free(c->secret);
	memset(c, 0, sizeof(*c));
}

static bool valid_helper_name(const char *h)
{
	if (!*h || strlen(h) > 64)
		return false;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return false;
	return h[0] != '.';
}

/* Read fd to EOF (at most max) into *out; the deadline is shared. */
static int read_all_until(int fd, int err_fd, size_t max, char **out, size_t *len, char **errs, size_t *elen,
			  struct timespec *deadline)
{
	size_t cap = 4096, ecap = 1024;
	char *b = malloc(cap + 1), *e = malloc(ecap + 1);
	size_t n = 0, en = 0;
	bool open_o = true, open_e = true;
	int r = 0;
	if (!b || !e) {
		free(b);
		free(e);
		return -ENOMEM;
	}
	while (open_o || open_e) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd p[2] = { { open_o ? fd : -1, POLLIN, 0 }, { open_e ? err_fd : -1, POLLIN, 0 } };
		int pr = poll(p, 2, (int)(ms > 1000 ? 1000 : ms));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			r = -errno;
			break;
		}
		if (open_o && p[0].revents) {
			if (n == cap) {
				if (cap >= max) {
					r = -EFBIG;
					break;
				}
				char *nb = realloc(b, cap * 2 + 1);
				if (!nb) {
					r = -ENOMEM;
					break;
				}
				b = nb;
				cap *= 2;
			}
			ssize_t k = read(fd, b + n, cap - n);
			if (k < 0 && errno != EINTR && errno != EAGAIN) {
				r = -errno;
				break;
			}
			if (k == 0)
				open_o = false;
			if (k > 0)
				n += (size_t)k;
		}
		if (open_e && p[1].revents) {
			char tmp[512];
			ssize_t k = read(err_fd, tmp, sizeof(tmp));
			if (k <= 0 && !(k < 0 && (errno == EINTR || errno == EAGAIN)))
				open_e = false;
			for (ssize_t i = 0; i < k && en < ecap; i++)
				e[en++] = tmp[i];
		}
	}
	b[n] = '\0';
	e[en] = '\0';
	if (r < 0) {
		free(b);
		free(e);
		return r;
	}
	*out = b;
	*len = n;
	*errs = e;
	*elen = en;
	return 0;
}

int reg_creds_helper(const char *helper, const char *host, struct reg_creds *out, ctr_error **err)
{
	char prog[128];
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 }, r = 0;
	pid_t pid = -1;
	char *buf = NULL, *ebuf = NULL;
	size_t len = 0, elen = 0;
	memset(out, 0, sizeof(*out));
	if (!valid_helper_name(helper))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "credential helper '%.64s': not a valid helper name "
			       "(letters, digits, '-', '_', '.')", helper);
	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	/* in[0] is the helper's stdin, in[1] ours */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(o, O_CLOEXEC) < 0 ||
	    pipe2(e, O_CLOEXEC) < 0) {
		r = ctr_err_sys(err, errno, "%s: pipe", prog);
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	/* the helper gets default signal handling and an empty mask, whatever the embedder set */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *const argv[] = { prog, (char *)"get", NULL };
	/* found as ctr_find_program says: a set-id embedder never runs one from its caller's $PATH */
	char *exe = ctr_find_program(prog);
	int sr = exe ? posix_spawn(&pid, exe, &fa, &at, argv, environ) : ENOENT;
	free(exe);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	in[0] = o[1] = e[1] = -1;
	if (sr) {
		pid = -1;
		r = ctr_err(err, sr, sr == ENOENT ? CTR_E_NOT_FOUND : CTR_E_SYSTEM,
			    "credential helper %s (named in an auth file for %s): %s%s", prog, host, strerror(sr),
			    sr == ENOENT ? " (it is not in PATH, /usr/local/bin, /usr/bin or /bin)" : "");
		goto out;
	}
	/* the server on stdin (a socket: a helper that exits early makes send fail, never SIGPIPE us) */
	(void)send(in[1], host, strlen(host), MSG_NOSIGNAL);
	close(in[1]);
	in[1] = -1;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HELPER_TIMEOUT_MS / 1000;
	r = read_all_until(o[0], e[0], HELPER_OUT_MAX, &buf, &len, &ebuf, &elen, &deadline);
	if (r < 0)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (r < 0) {
		r = ctr_err(err, -r, CTR_E_SYSTEM, "credential helper %s get (for %s): %s", prog, host,
			    r == -ETIMEDOUT ? "no answer within 60 s" : strerror(-r));
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		const char *why = ebuf && *ebuf ? ebuf : buf && *buf ? buf : "";
		if (strcasestr(why, "credentials not found") || strcasestr(buf ? buf : "", "credentials not found")) {
			r = 0; /* the helper has nothing for this host */
			goto out;
		}
		size_t wl = strlen(why);
		while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '\r'))
			wl--;
		r = ctr_err(err, EACCES, CTR_E_SYSTEM, "credential helper %s get (for %s) failed (%s %d)%s%.*s", prog,
			    host, WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			    wl ? ": " : "", (int)(wl > 300 ? 300 : wl), why);
		goto out;
	}
	struct json_object *j = NULL, *u, *s;
	char what[160];
	snprintf(what, sizeof(what), "%s get (for %s)", prog, host);
	if ((r = img_json_parse(buf, len, what, false, &j, err)) < 0)
		goto out;
	if (!json_object_object_get_ex(j, "Username", &u) || !json_object_is_type(u, json_type_string) ||
	    !json_object_object_get_ex(j, "Secret", &s) || !json_object_is_type(s, json_type_string)) {
		json_object_put(j);
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: the answer has no Username and Secret strings", what);
		goto out;
	}
	const char *user = json_object_get_string(u);
	out->identity = !strcmp(user, "<token>");
	out->user = strdup(out->identity ? "" : user);
	out->secret = strdup(json_object_get_string(s));
	snprintf(out->from, sizeof(out->from), "credential helper %s", prog);
	json_object_put(j);
	if (!out->user || !out->secret) {
		reg_creds_free(out);
		r = ctr_err_nomem(err);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	free(ebuf);
	return r;
}

/* An auths key as containers-auth.json(5) normalizes it: no scheme; a legacy "https://host/v1/" is host. */
static char *norm_key(const char *k)
{
	bool legacy = false;
	if (!strncmp(k, "https://", 8)) {
		k += 8;
		legacy = true;
	} else if (!strncmp(k, "http://", 7)) {
		k += 7;
		legacy = true;
	}
	size_t n = legacy ? strcspn(k, "/") : strlen(k);
	while (n && k[n - 1] == '/')
		n--;
	if (n == 15 && !strncmp(k, "index.docker.io", 15))
		return strdup(REG_DOCKER_HUB);
	if (n == 20 && !strncmp(k, "registry-1.docker.io", 20))
		return strdup(REG_DOCKER_HUB);
	return strndup(k, n);
}

static int creds_from_entry(struct json_object *e, const char *what, const char *key, struct reg_creds *out,
			    ctr_error **err)
{
	struct json_object *a, *it;
	if (!json_object_is_type(e, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: auths.\"%s\": expected an object", what, key);
	const char *auth = json_object_object_get_ex(e, "auth", &a) && json_object_is_type(a, json_type_string)
				   ? json_object_get_string(a) : "";
	const char *ident = json_object_object_get_ex(e, "identitytoken", &it) && json_object_is_type(it, json_type_string)
				    ? json_object_get_string(it) : "";
	unsigned char *dec = NULL;
	size_t dl = 0;
	if (*auth) {
		if (reg_base64_decode(auth, strlen(auth), &dec, &dl) < 0)
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: auths.\"%s\".auth: not base64 of \"user:password\"",
				       what, key);
		char *colon = memchr(dec, ':', dl);
		if (!colon || memchr(dec, '\0', dl)) {
			explicit_bzero(dec, dl);
			free(dec);
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: auths.\"%s\".auth: the decoded value is not "
				       "\"user:password\"", what, key);
		}
		*colon = '\0';
		out->user = strdup((char *)dec);
		out->secret = strdup(colon + 1);
		explicit_bzero(dec, dl);
		free(dec);
	}
	if (*ident && (!out->user || !*out->user)) {
		free(out->user);
		free(out->secret);
		out->user = strdup("");
		out->secret = strdup(ident);
		out->identity = true;
	}
	if ((out->user || out->secret) && (!out->user || !out->secret)) {
		reg_creds_free(out);
		return ctr_err_nomem(err);
	}
	snprintf(out->from, sizeof(out->from), "%s", what);
	return 0;
}

int reg_authfile_find(const char *buf, size_t len, const char *what, const char *host, const char *repo,
		      struct reg_creds *out, char **helper, ctr_error **err)
{
	struct json_object *root, *auths = NULL, *helpers = NULL, *store = NULL, *v;
	memset(out, 0, sizeof(*out));
	*helper = NULL;
	int r = img_json_parse(buf, len, what, false, &root, err);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(root, "credHelpers", &helpers) && !json_object_is_type(helpers, json_type_object))
		helpers = NULL;
	if (helpers && json_object_object_get_ex(helpers, host, &v)) {
		if (!json_object_is_type(v, json_type_string))
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: credHelpers.\"%s\": expected a string", what, host);
		else if (!(*helper = strdup(json_object_get_string(v))))
			r = ctr_err_nomem(err);
		goto out;
	}
	if (json_object_object_get_ex(root, "auths", &auths) && !json_object_is_type(auths, json_type_object)) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: auths: expected an object", what);
		goto out;
	}
	if (auths) {
		/* the most specific key: host/ns/repo, host/ns, ..., host */
		char want[1024];
		snprintf(want, sizeof(want), "%s%s%s", host, repo && *repo ? "/" : "", repo ? repo : "");
		for (;;) {
			json_object_object_foreach(auths, k, e) {
				char *nk = norm_key(k);
				if (!nk) {
					r = ctr_err_nomem(err);
					goto out;
				}
				bool hit = !strcmp(nk, want);
				free(nk);
				if (hit) {
					r = creds_from_entry(e, what, k, out, err);
					goto out;
				}
			}
			char *slash = strrchr(want, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
	}
	if (json_object_object_get_ex(root, "credsStore", &store) && json_object_is_type(store, json_type_string) &&
	    *json_object_get_string(store) && !(*helper = strdup(json_object_get_string(store))))
		r = ctr_err_nomem(err);
out:
	json_object_put(root);
	return r;
}

int reg_creds_from_authfile(const char *buf, size_t len, const char *what, const char *host, const char *repo,
			    struct reg_creds *out, ctr_error **err)
{
	char *helper = NULL;
	int r = reg_authfile_find(buf, len, what, host, repo, out, &helper, err);
	if (r == 0 && helper)
		r = reg_creds_helper(helper, host, out, err);
	free(helper);
	return r;
}

static int try_file(const char *path, const char *host, const char *repo, bool must_exist, struct reg_creds *out,
		    ctr_error **err)
{
	char *buf = NULL;
	size_t len;
	ctr_error *e = NULL;
	int r = ctr_read_file(path, AUTHFILE_MAX, &buf, &len, &e);
	if (r == -ENOENT && !must_exist) {
		ctr_error_free(e);
		return 0;
	}
	if (r < 0) {
		if (err && !*err)
			*err = e;
		else
			ctr_error_free(e);
		return r;
	}
	r = reg_creds_from_authfile(buf, len, path, host, repo, out, err);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

int reg_creds_lookup(const char *creds, const char *authfile, const char *host, const char *repo,
		     struct reg_creds *out, ctr_error **err)
{
	memset(out, 0, sizeof(*out));
	if (creds) {
		const char *colon = strchr(creds, ':');
		if (!*creds || colon == creds)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "--creds: give user[:password]");
		out->user = colon ? strndup(creds, (size_t)(colon - creds)) : strdup(creds);
		out->secret = strdup(colon ? colon + 1 : "");
		snprintf(out->from, sizeof(out->from), "--creds");
		if (!out->user || !out->secret) {
			reg_creds_free(out);
			return ctr_err_nomem(err);
		}
		return 0;
	}
	if (authfile)
		return try_file(authfile, host, repo, true, out, err);
	char paths[4][PATH_MAX];
	size_t n = 0;
	const char *env = secure_getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		return try_file(env, host, repo, true, out, err);
	const char *rt = secure_getenv("XDG_RUNTIME_DIR"), *home = secure_getenv("HOME"),
		   *xc = secure_getenv("XDG_CONFIG_HOME"),
		   *dc = secure_getenv("DOCKER_CONFIG");
	if (rt && *rt)
		snprintf(paths[n++], PATH_MAX, "%s/containers/auth.json", rt);
	else
		snprintf(paths[n++], PATH_MAX, "/run/containers/%u/auth.json", (unsigned)geteuid());
	if (xc && *xc)
		snprintf(paths[n++], PATH_MAX, "%s/containers/auth.json", xc);
	else if (home && *home)
		snprintf(paths[n++], PATH_MAX, "%s/.config/containers/auth.json", home);
	if (dc && *dc)
		snprintf(paths[n++], PATH_MAX, "%s/config.json", dc);
	else if (home && *home)
		snprintf(paths[n++], PATH_MAX, "%s/.docker/config.json", home);
	for (size_t i = 0; i < n; i++) {
		int r = try_file(paths[i], host, repo, false, out, err);
		if (r < 0 || out->user)
			return r;
	}
	return 0;
}

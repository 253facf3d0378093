/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image references as distribution's reference grammar defines them:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port], host a DNS name, an IPv4 address or [IPv6]
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain when it holds a '.' or a ':', is
 * "localhost", or has an uppercase letter (as docker decides).  A name
 * without one is a short name; with the docker:// transport it means Docker
 * Hub (containers-transports(5)), without it registries.conf resolves it.
 * Docker Hub's single-component names live under "library/".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/registry.h"

#define NAME_MAX_LEN 255

bool img_is_registry_ref(const char *s)
{
	return s && !strncmp(s, REG_TRANSPORT, strlen(REG_TRANSPORT));
}

void img_ref_free(struct img_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

static bool alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: alnum runs joined by ".", "_", "__" or "-"+ */
static bool valid_component(const char *s, size_t n)
{
	if (!n || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
		return false;
	for (size_t i = 0; i < n;) {
		if (alnum_lower(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !alnum_lower(s[j]))
			j++;
		size_t run = j - i;
		const char *sep = s + i;
		bool ok = (run == 1 && (*sep == '.' || *sep == '_')) || (run == 2 && sep[0] == '_' && sep[1] == '_');
		if (!ok) {
			ok = true;
			for (size_t k = 0; k < run; k++)
				ok = ok && sep[k] == '-';
		}
		if (!ok)
			return false;
		i = j;
	}
	return true;
}

static bool valid_host(const char *s, size_t n)
{
	if (!n)
		return false;
	if (s[0] == '[') { /* [IPv6] */
		if (n < 3 || s[n - 1] != ']')
			return false;
		for (size_t i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				return false;
		return true;
	}
	/* domain-component ('.' domain-component)*; IPv4 fits this too */
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		size_t len = i - start;
		const char *c = s + start;
		if (!len || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[len - 1]))
			return false;
		for (size_t k = 0; k < len; k++)
			if (!isalnum((unsigned char)c[k]) && c[k] != '-')
				return false;
		start = i + 1;
	}
	return true;
}

static bool valid_domain(const char *s, size_t n)
{
	/* host [":" port]; an IPv6 host keeps its colons inside the brackets */
	const char *colon = NULL;
	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (!rb)
			return false;
		if ((size_t)(rb - s) + 1 < n) {
			if (rb[1] != ':')
				return false;
			colon = rb + 1;
		}
	} else {
		colon = memchr(s, ':', n);
	}
	size_t hlen = colon ? (size_t)(colon - s) : n;
	if (!valid_host(s, hlen))
		return false;
	if (colon) {
		size_t plen = n - hlen - 1;
		if (!plen || plen > 5)
			return false;
		for (size_t i = 0; i < plen; i++)
			if (!isdigit((unsigned char)colon[1 + i]))
				return false;
	}
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		bool w = isalnum((unsigned char)c) || c == '_';
		if (!(w || (i > 0 && (c == '.' || c == '-'))))
			return false;
	}
	return true;
}

/* Is the first component a domain (docker's rule)? */
static bool looks_like_domain(const char *s, size_t n)
{
	if (n == 9 && !memcmp(s, "localhost", 9))
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return true;
	return false;
}

int img_ref_parse(const char *in, struct img_ref *out, ctr_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!in)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "image reference: missing");
	bool transport = img_is_registry_ref(in);
	const char *s = transport ? in + strlen(REG_TRANSPORT) : in;
	size_t len = strlen(s);
	if (!len)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "image reference '%s': the name is empty", in);
	if (len > 4096)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "image reference: longer than 4096 characters");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "image reference '%.200s': spaces and control characters are not allowed", in);
	char *buf = strdup(s), *name = buf;
	int r = 0;
	if (!buf)
		return ctr_err_nomem(err);
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if ((r = ctr_digest_parse(at + 1, NULL, NULL, NULL, err)) < 0) {
			ctr_err_prefix(err, "image reference '%.200s'", in);
			goto out;
		}
		if (!(out->digest = strdup(at + 1)))
			goto oom;
	}
	char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		if (!valid_tag(colon + 1)) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID,
				    "image reference '%.200s': tag '%.200s' is not valid (letters, digits, '_', and '.' "
				    "or '-' after the first character; at most 128)",
				    in, colon + 1);
			goto out;
		}
		if (!(out->tag = strdup(colon + 1)))
			goto oom;
	}
	char *first = strchr(name, '/');
	const char *path = name;
	if (first && looks_like_domain(name, (size_t)(first - name))) {
		if (!valid_domain(name, (size_t)(first - name))) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID,
				    "image reference '%.200s': '%.*s' is not a valid registry host[:port]", in,
				    (int)(first - name), name);
			goto out;
		}
		if (!(out->domain = strndup(name, (size_t)(first - name))))
			goto oom;
		path = first + 1;
	}
	/* the path: lowercase components */
	size_t plen = strlen(path);
	if (!plen) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "image reference '%.200s': no repository name", in);
		goto out;
	}
	for (const char *c = path;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (!valid_component(c, n)) {
			bool upper = false;
			for (size_t k = 0; k < n; k++)
				upper = upper || (c[k] >= 'A' && c[k] <= 'Z');
			r = ctr_err(err, EINVAL, CTR_E_INVALID,
				    "image reference '%.200s': repository component '%.*s' is not valid%s", in, (int)n, c,
				    upper ? " (repository names must be lowercase)"
					  : " (lowercase letters and digits, separated by '.', '_', '__' or '-')");
			goto out;
		}
		if (!e)
			break;
		c = e + 1;
	}
	if (!out->domain && transport && !(out->domain = strdup(REG_DOCKER_HUB)))
		goto oom;
	if (out->domain && !strcmp(out->domain, "index.docker.io")) {
		free(out->domain);
		if (!(out->domain = strdup(REG_DOCKER_HUB)))
			goto oom;
	}
	if (out->domain && !strcmp(out->domain, REG_DOCKER_HUB) && !strchr(path, '/')) {
		if (asprintf(&out->path, "library/%s", path) < 0) {
			out->path = NULL;
			goto oom;
		}
	} else if (!(out->path = strdup(path)))
		goto oom;
	if ((out->domain ? strlen(out->domain) + 1 : 0) + strlen(out->path) > NAME_MAX_LEN) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "image reference '%.200s': the name is longer than %d characters",
			    in, NAME_MAX_LEN);
		goto out;
	}
	goto out;
oom:
	r = ctr_err_nomem(err);
out:
	free(buf);
	if (r < 0)
		img_ref_free(out);
	return r;
}

char *img_ref_name(const struct img_ref *r)
{
	char *s;
	if (asprintf(&s, "%s%s%s", r->domain ? r->domain : "", r->domain ? "/" : "", r->path) < 0)
		return NULL;
	return s;
}

char *img_ref_string(const struct img_ref *r)
{
	char *s;
	if (asprintf(&s, "%s%s%s%s%s%s%s", r->domain ? r->domain : "", r->domain ? "/" : "", r->path,
		     r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		return NULL;
	return s;
}

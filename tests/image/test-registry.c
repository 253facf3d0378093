/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests (no root, no network) of the registry parsers and policies:
 * references (distribution's grammar, Docker Hub's rules), registries.conf
 * (the TOML subset, version 1 and 2, drop-in merging, errors with file and
 * line) and the candidates it gives a reference (aliases, search registries
 * and short-name-mode, locations, mirrors and pull-from-mirror, wildcard
 * prefixes, blocked), auth files (most specific key, legacy docker keys,
 * identity tokens, helpers named but not run), WWW-Authenticate challenges,
 * base64 and URL escaping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "image/image-internal.h"
#include "image/registry.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void ref_ok(const char *in, const char *domain, const char *path, const char *tag, const char *digest)
{
	struct img_ref r;
	ctr_error *e = NULL;
	if (img_ref_parse(in, &r, &e) < 0)
		fail_msg("'%s': %s", in, ctr_error_message(e));
	if (domain)
		assert_string_equal(r.domain, domain);
	else
		assert_null(r.domain);
	assert_string_equal(r.path, path);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	img_ref_free(&r);
}

static void ref_bad(const char *in, const char *want)
{
	struct img_ref r;
	ctr_error *e = NULL;
	int rc = img_ref_parse(in, &r, &e);
	if (rc == 0)
		fail_msg("'%s' parsed", in);
	assert_non_null(e);
	if (!strstr(ctr_error_message(e), want))
		fail_msg("'%s': want '%s' in '%s'", in, want, ctr_error_message(e));
	assert_int_equal(ctr_error_errno(e), -rc);
	ctr_error_free(e);
}

static void references(void **state)
{
	(void)state;
	ref_ok("docker://busybox", "docker.io", "library/busybox", NULL, NULL);
	ref_ok("docker://busybox:1.36", "docker.io", "library/busybox", "1.36", NULL);
	ref_ok("busybox", NULL, "busybox", NULL, NULL);
	ref_ok("myorg/app:v1", NULL, "myorg/app", "v1", NULL);
	ref_ok("docker://myorg/app", "docker.io", "myorg/app", NULL, NULL);
	ref_ok("docker.io/alpine", "docker.io", "library/alpine", NULL, NULL);
	ref_ok("index.docker.io/alpine:3", "docker.io", "library/alpine", "3", NULL);
	ref_ok("localhost/app", "localhost", "app", NULL, NULL);
	ref_ok("localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", NULL);
	ref_ok("127.0.0.1:5000/x@sha256:" H64, "127.0.0.1:5000", "x", NULL, "sha256:" H64);
	ref_ok("quay.io/a/b:tag@sha256:" H64, "quay.io", "a/b", "tag", "sha256:" H64);
	ref_ok("[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL);
	ref_ok("Registry.Example/app", "Registry.Example", "app", NULL, NULL); /* uppercase: a domain */
	ref_ok("r.io/a__b/c-d/e.f/g--h", "r.io", "a__b/c-d/e.f/g--h", NULL, NULL);
	ref_bad("docker://", "the name is empty");
	ref_bad("r.io/App", "must be lowercase");
	ref_bad("r.io/a//b", "is not valid");
	ref_bad("r.io/a_/b", "is not valid");
	ref_bad("r.io/a:-tag", "tag '-tag' is not valid");
	ref_bad("r.io/a@sha256:abc", "sha256 needs 64 hex digits");
	ref_bad("r.io/a@md5:" H64, "not supported");
	ref_bad("bad_host.io:x/a", "not a valid registry host");
	ref_bad("r.io:99999999/a", "not a valid registry host");
	ref_bad("r.io/a b", "spaces and control characters");
	ref_bad("r.io/a\n", "spaces and control characters");
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "r.io/", 5);
	ref_bad(longname, "longer than 255");
	struct img_ref r;
	assert_int_equal(img_ref_parse("docker://busybox", &r, NULL), 0);
	char *s = img_ref_string(&r);
	assert_string_equal(s, "docker.io/library/busybox");
	free(s);
	img_ref_free(&r);
}

static void conf_err(const char *doc, const char *want)
{
	struct regconf c;
	ctr_error *e = NULL;
	memset(&c, 0, sizeof(c));
	int r = regconf_parse(&c, doc, strlen(doc), "r.conf", &e);
	if (r == 0)
		fail_msg("parsed: %s", doc);
	if (!strstr(ctr_error_message(e), want))
		fail_msg("want '%s' in '%s'", want, ctr_error_message(e));
	assert_int_equal(ctr_error_errno(e), -r);
	ctr_error_free(e);
	regconf_free(&c);
}

static void conf_parse(void **state)
{
	(void)state;
	struct regconf c;
	ctr_error *e = NULL;
	memset(&c, 0, sizeof(c));
	const char *doc = "# comment\n"
			  "unqualified-search-registries = [ \"a.io\", # inline comment\n"
			  "   'b.io:5000' ,]\n"
			  "short-name-mode=\"enforcing\"\n"
			  "[aliases]\n"
			  "  \"tool\" = \"quay.io/org/tool\"\n"
			  "  \"x/y\" = \"r.io/x/y\"\n"
			  "[[registry]]\n"
			  "prefix = \"example.com/foo\"\n"
			  "location = \"internal.io/bar\"\n"
			  "insecure = true\n"
			  "[[registry.mirror]]\n"
			  "location = \"m0.local/mfoo\"\n"
			  "[[registry.mirror]]\n"
			  "location = \"m1.local/mfoo\"\n"
			  "pull-from-mirror = \"digest-only\"\n"
			  "[[registry]]\n"
			  "location = \"blocked.io\"\n"
			  "blocked = true\n"
			  "[[registry]]\n"
			  "prefix = \"*.wild.io\"\n"
			  "insecure = true\n"
			  "mirror = [ { location = \"mw.io\", insecure = true } ]\n"
			  "unknown-key = 12_000\n";
	if (regconf_parse(&c, doc, strlen(doc), "r.conf", &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	assert_string_equal(c.search[0], "a.io");
	assert_string_equal(c.search[1], "b.io:5000");
	assert_null(c.search[2]);
	assert_int_equal(c.short_mode, REGCONF_SHORT_ENFORCING);
	assert_int_equal(c.n_aliases, 2);
	assert_int_equal(c.n_regs, 3);
	assert_string_equal(c.regs[0].prefix, "example.com/foo");
	assert_string_equal(c.regs[0].location, "internal.io/bar");
	assert_true(c.regs[0].insecure);
	assert_int_equal(c.regs[0].n_mirrors, 2);
	assert_int_equal(c.regs[0].mirrors[1].pull_from, REGCONF_PULL_DIGEST_ONLY);
	assert_string_equal(c.regs[1].prefix, "blocked.io");
	assert_true(c.regs[1].blocked);
	assert_int_equal(c.regs[2].n_mirrors, 1);
	assert_true(c.regs[2].mirrors[0].insecure);
	/* longest prefix; a repository prefix matches only at a separator */
	assert_ptr_equal(regconf_find(&c, "example.com/foo/img:1"), &c.regs[0]);
	assert_null(regconf_find(&c, "example.com/foobar/img"));
	assert_ptr_equal(regconf_find(&c, "x.wild.io/a"), &c.regs[2]);
	assert_null(regconf_find(&c, "wild.io/a"));
	/* a drop-in: replaces the search list and a registry of the same prefix, erases an alias */
	const char *drop = "unqualified-search-registries = [\"c.io\"]\n"
			   "[aliases]\n\"tool\" = \"\"\n"
			   "[[registry]]\nprefix = \"example.com/foo\"\nblocked = true\n";
	if (regconf_parse(&c, drop, strlen(drop), "d.conf", &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	assert_string_equal(c.search[0], "c.io");
	assert_null(c.search[1]);
	assert_int_equal(c.n_regs, 3);
	assert_true(c.regs[0].blocked);
	assert_null(c.regs[0].location);
	assert_string_equal(c.aliases[0].value, "");
	regconf_free(&c);

	/* version 1 */
	memset(&c, 0, sizeof(c));
	const char *v1 = "[registries.search]\nregistries = ['r1.io', 'r2.io']\n"
			 "[registries.insecure]\nregistries = ['r3.io']\n[registries.block]\nregistries = ['r4.io']\n";
	if (regconf_parse(&c, v1, strlen(v1), "v1.conf", &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	assert_string_equal(c.search[1], "r2.io");
	assert_true(regconf_find(&c, "r3.io/x")->insecure);
	assert_true(regconf_find(&c, "r4.io/x")->blocked);
	regconf_free(&c);

	conf_err("a = [\n\"x\"\n", "r.conf:3: unterminated array");
	conf_err("\n\nkey = \"unterminated\n", "r.conf:3: unterminated string");
	conf_err("a = 1\na = 2\n", "r.conf:2: 'a' is defined twice");
	conf_err("a = \"\"\"x\"\"\"\n", "multi-line strings");
	conf_err("a = 1 b = 2\n", "r.conf:1: unexpected 'b'");
	conf_err("a = nope\n", "'nope' is not a value");
	conf_err("[table\n", "expected ']'");
	conf_err("a = \"\\q\"\n", "unknown escape");
	conf_err("a = \"\\u0000\"\n", "not a valid character");
	conf_err("short-name-mode = \"strict\"\n", "short-name-mode: 'strict'");
	conf_err("unqualified-search-registries = [1]\n", "unqualified-search-registries[0]: expected a string");
	conf_err("unqualified-search-registries = [\"a.io/ns\"]\n", "give host[:port] only");
	conf_err("[[registry]]\ninsecure = true\n", "registry[0]: needs a prefix or a location");
	conf_err("[[registry]]\nprefix = \"https://r.io\"\n", "without a scheme");
	conf_err("[[registry]]\nprefix = \"*.r.io\"\nlocation = \"x.io\"\n", "wildcard prefix");
	conf_err("[[registry]]\nprefix = \"r.io\"\n[[registry.mirror]]\ninsecure = true\n", "a mirror needs a location");
	conf_err("[[registry]]\nprefix = \"r.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"x\"\n",
		 "pull-from-mirror: 'x'");
	conf_err("[aliases]\n\"r.io/x\" = \"q.io/x\"\n", "must be a short name");
	conf_err("[aliases]\n\"x\" = \"x\"\n", "must be a fully qualified name");
	conf_err("[aliases]\n\"x\" = \"q.io/x:tag\"\n", "without tag or digest");
	conf_err("[registries.search]\nregistries = ['a']\n[[registry]]\nprefix = \"b.io\"\n", "mixes the version 1");
	conf_err("a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		 "nested deeper");
}

static void cands_expect(const char *conf, const char *ref, bool push, const char *want, const char *err_want)
{
	struct regconf c;
	struct img_ref r;
	struct reg_candidates cs;
	ctr_error *e = NULL;
	memset(&c, 0, sizeof(c));
	if (regconf_parse(&c, conf, strlen(conf), "r.conf", &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	if (img_ref_parse(ref, &r, &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	int rc = regconf_candidates(&c, &r, push, &cs, &e);
	if (err_want) {
		if (rc == 0)
			fail_msg("%s: candidates, want an error '%s'", ref, err_want);
		if (!strstr(ctr_error_message(e), err_want))
			fail_msg("want '%s' in '%s'", err_want, ctr_error_message(e));
		ctr_error_free(e);
	} else {
		if (rc < 0)
			fail_msg("%s: %s", ref, ctr_error_message(e));
		char got[2048] = "";
		size_t off = 0;
		for (size_t i = 0; i < cs.n; i++)
			off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s/%s%s%s=%s", i ? " " : "", cs.v[i].domain,
						cs.v[i].path, cs.v[i].insecure ? "(i)" : "", cs.v[i].mirror ? "(m)" : "",
						cs.v[i].name);
		assert_string_equal(got, want);
		reg_candidates_free(&cs);
	}
	img_ref_free(&r);
	regconf_free(&c);
}

static void candidates(void **state)
{
	(void)state;
	const char *conf = "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
			   "[aliases]\n\"tool\" = \"quay.io/org/tool\"\n"
			   "[[registry]]\nprefix = \"example.com/foo\"\nlocation = \"internal.io/bar\"\n"
			   "[[registry.mirror]]\nlocation = \"m0.local/mfoo\"\n"
			   "[[registry.mirror]]\nlocation = \"m1.local/mfoo\"\ninsecure = true\n"
			   "pull-from-mirror = \"digest-only\"\n"
			   "[[registry]]\nprefix = \"docker.io/library/busybox\"\n"
			   "[[registry.mirror]]\nlocation = \"hub-mirror.local/bb\"\npull-from-mirror = \"tag-only\"\n"
			   "[[registry]]\nlocation = \"blocked.io\"\nblocked = true\n"
			   "[[registry]]\nprefix = \"*.wild.io\"\ninsecure = true\n";
	cands_expect(conf, "example.com/foo/img:1", false,
		     "m0.local/mfoo/img(m)=example.com/foo/img:1 internal.io/bar/img=example.com/foo/img:1", NULL);
	cands_expect(conf, "example.com/foo/img@sha256:" H64, false,
		     "m0.local/mfoo/img(m)=example.com/foo/img@sha256:" H64 " m1.local/mfoo/img(i)(m)=example.com/foo/img@sha256:"
		     H64 " internal.io/bar/img=example.com/foo/img@sha256:" H64, NULL);
	cands_expect(conf, "example.com/foo/img:1", true, "internal.io/bar/img=example.com/foo/img:1", NULL);
	cands_expect(conf, "tool:2", false, "quay.io/org/tool=quay.io/org/tool:2", NULL);
	cands_expect(conf, "busybox", false,
		     "hub-mirror.local/bb(m)=docker.io/library/busybox:latest docker.io/library/busybox=docker.io/library/busybox:latest "
		     "quay.io/busybox=quay.io/busybox:latest", NULL);
	cands_expect(conf, "docker://busybox@sha256:" H64, false,
		     "docker.io/library/busybox=docker.io/library/busybox@sha256:" H64, NULL);
	cands_expect(conf, "x.wild.io/app", false, "x.wild.io/app(i)=x.wild.io/app:latest", NULL);
	cands_expect(conf, "blocked.io/x", false, NULL, "registries.conf blocks it ([[registry]] prefix \"blocked.io\")");
	cands_expect(conf, "busybox", true, NULL, "2 registries could serve it");
	cands_expect("unqualified-search-registries = [\"a.io\", \"b.io\"]\nshort-name-mode = \"enforcing\"\n", "x", false,
		     NULL, "short-name-mode is enforcing");
	cands_expect("unqualified-search-registries = [\"blocked.io\", \"b.io\"]\n"
		     "[[registry]]\nlocation = \"blocked.io\"\nblocked = true\n", "x", false, "b.io/x=b.io/x:latest", NULL);
	cands_expect("", "x", false, NULL, "has no unqualified-search-registries");
}

static void auth_find(const char *doc, const char *host, const char *repo, const char *want_user, const char *want_secret,
		      const char *want_helper, bool identity)
{
	struct reg_creds c;
	char *helper = NULL;
	ctr_error *e = NULL;
	if (reg_authfile_find(doc, strlen(doc), "auth.json", host, repo, &c, &helper, &e) < 0)
		fail_msg("%s", ctr_error_message(e));
	if (want_helper)
		assert_string_equal(helper, want_helper);
	else
		assert_null(helper);
	if (want_user) {
		assert_string_equal(c.user, want_user);
		assert_string_equal(c.secret, want_secret);
		assert_int_equal(c.identity, identity);
	} else {
		assert_null(c.user);
	}
	free(helper);
	reg_creds_free(&c);
}

static void authfiles(void **state)
{
	(void)state;
	/* dXNlcjpwYXNz = user:pass, b3RoZXI6c2VjcmV0Om11Y2g= = other:secret:much */
	const char *doc = "{\"auths\":{\"r.io\":{\"auth\":\"dXNlcjpwYXNz\"},"
			  "\"r.io/team\":{\"auth\":\"b3RoZXI6c2VjcmV0Om11Y2g=\"},"
			  "\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNz\"},"
			  "\"t.io\":{\"auth\":\"\",\"identitytoken\":\"refresh-x\"}},"
			  "\"credHelpers\":{\"h.io\":\"secretservice\"},\"credsStore\":\"desktop\"}";
	auth_find(doc, "r.io", "app", "user", "pass", NULL, false);
	auth_find(doc, "r.io", "team/app", "other", "secret:much", NULL, false);
	auth_find(doc, "r.io", "teams/app", "user", "pass", NULL, false);
	auth_find(doc, "docker.io", "library/busybox", "user", "pass", NULL, false);
	auth_find(doc, "t.io", "x", "", "refresh-x", NULL, true);
	auth_find(doc, "h.io", "x", NULL, NULL, "secretservice", false);
	auth_find(doc, "other.io", "x", NULL, NULL, "desktop", false);
	auth_find("{}", "r.io", "x", NULL, NULL, NULL, false);
	struct reg_creds c;
	char *helper = NULL;
	ctr_error *e = NULL;
	const char *bad[] = { "{\"auths\":[]}", "{\"auths\":{\"r.io\":{\"auth\":\"!!!!\"}}}",
			      "{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}", "{\"credHelpers\":{\"r.io\":1}}", "[" };
	const char *why[] = { "auths: expected an object", "not base64", "is not \"user:password\"", "expected a string",
			      "auth.json" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = reg_authfile_find(bad[i], strlen(bad[i]), "auth.json", "r.io", "x", &c, &helper, &e);
		assert_true(r < 0);
		if (!strstr(ctr_error_message(e), why[i]))
			fail_msg("want '%s' in '%s'", why[i], ctr_error_message(e));
		ctr_error_free(e);
		e = NULL;
		assert_null(helper);
	}
	/* --creds */
	assert_int_equal(reg_creds_lookup("u:p:q", NULL, "r.io", "x", &c, NULL), 0);
	assert_string_equal(c.user, "u");
	assert_string_equal(c.secret, "p:q");
	reg_creds_free(&c);
	assert_true(reg_creds_lookup(":p", NULL, "r.io", "x", &c, NULL) < 0);
	/* a helper name that could be a path is refused before anything runs */
	assert_int_equal(reg_creds_helper("../../bin/sh", "r.io", &c, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "not a valid helper name"));
	ctr_error_free(e);
}

static void challenges(void **state)
{
	(void)state;
	struct reg_challenge c;
	const char *h = "Bearer realm=\"https://auth.io/token\",service=\"registry.io\",scope=\"repository:a/b:pull\"";
	assert_int_equal(reg_challenge_parse(h, strlen(h), &c), 0);
	assert_int_equal(c.scheme, REG_AUTH_BEARER);
	assert_string_equal(c.realm, "https://auth.io/token");
	assert_string_equal(c.service, "registry.io");
	assert_string_equal(c.scope, "repository:a/b:pull");
	reg_challenge_free(&c);
	h = "Basic realm=\"x\", Bearer realm=\"https://a\" , service=svc";
	assert_int_equal(reg_challenge_parse(h, strlen(h), &c), 0);
	assert_int_equal(c.scheme, REG_AUTH_BEARER);
	assert_string_equal(c.service, "svc");
	reg_challenge_free(&c);
	h = "basic REALM=\"a \\\"quoted\\\" realm\"";
	assert_int_equal(reg_challenge_parse(h, strlen(h), &c), 0);
	assert_int_equal(c.scheme, REG_AUTH_BASIC);
	assert_string_equal(c.realm, "a \"quoted\" realm");
	reg_challenge_free(&c);
	const char *bad[] = { "", "Bearer", "Bearer service=\"x\"", "Negotiate abc", "Bearer realm=\"unterminated",
			      "Bearer realm=\"a\" garbage=", "=\"x\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (reg_challenge_parse(bad[i], strlen(bad[i]), &c) == 0)
			fail_msg("'%s' parsed", bad[i]);
}

static void base64_and_escape(void **state)
{
	(void)state;
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char *e = reg_base64_encode(in[i], strlen(in[i]));
		assert_string_equal(e, out[i]);
		unsigned char *d;
		size_t n;
		assert_int_equal(reg_base64_decode(e, strlen(e), &d, &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		free(d);
		free(e);
	}
	unsigned char *d;
	size_t n;
	assert_int_equal(reg_base64_decode("Zm9", 3, &d, &n), -EINVAL);
	assert_int_equal(reg_base64_decode("Zm=v", 4, &d, &n), -EINVAL);
	assert_int_equal(reg_base64_decode("Z===", 4, &d, &n), -EINVAL);
	assert_int_equal(reg_base64_decode("Zm9v\n", 5, &d, &n), -EINVAL);
	char *u = reg_url_escape("repository:a/b:pull,push ~x");
	assert_string_equal(u, "repository%3Aa%2Fb%3Apull%2Cpush%20~x");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(references), cmocka_unit_test(conf_parse),	    cmocka_unit_test(candidates),
		cmocka_unit_test(authfiles),  cmocka_unit_test(challenges),	    cmocka_unit_test(base64_and_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

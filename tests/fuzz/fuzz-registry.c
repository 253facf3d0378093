/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the registry parsers, all over (buf, len) from a
 * registry, a registries.conf or an auth file: the first byte picks one.
 *   0  an image reference (then, parsed, its candidates under a fixed registries.conf)
 *   1  a registries.conf document (then the candidates it gives a few references)
 *   2  a WWW-Authenticate header
 *   3  an auth file (looked up for two hosts; helpers are named, never run)
 *   4  base64
 * Checks: failures return a negative errno with an error object (where the
 * parser has one) and leave nothing allocated; successes are well formed
 * (a reference re-parses to itself, every candidate has a domain and a path,
 * a Bearer challenge has a realm).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry.h"

#define FUZZ_NAME "fuzz-registry"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_conf[] = "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
				 "[aliases]\n\"tool\" = \"quay.io/org/tool\"\n"
				 "[[registry]]\nprefix = \"example.com\"\nlocation = \"internal.io/x\"\n"
				 "[[registry.mirror]]\nlocation = \"m.local\"\n";

static void check_candidates(const struct regconf *c, const struct img_ref *r)
{
	struct reg_candidates cs;
	ctr_error *e = NULL;
	for (int push = 0; push < 2; push++) {
		int rc = regconf_candidates(c, r, push, &cs, &e);
		if (rc < 0) {
			check(cs.n == 0 && cs.v == NULL, "no candidates on failure");
			check_error(rc, e);
			e = NULL;
			continue;
		}
		check(cs.n > 0, "success gives a candidate");
		for (size_t i = 0; i < cs.n; i++)
			check(cs.v[i].domain && *cs.v[i].domain && cs.v[i].path && *cs.v[i].path && cs.v[i].name,
			      "a candidate has a domain, a path and a name");
		reg_candidates_free(&cs);
	}
}

static void fuzz_ref(const char *s)
{
	struct img_ref r;
	ctr_error *e = NULL;
	int rc = img_ref_parse(s, &r, &e);
	if (rc < 0) {
		check(!r.domain && !r.path && !r.tag && !r.digest, "no reference on failure");
		check_error(rc, e);
		return;
	}
	check(r.path && *r.path, "a reference has a path");
	char *str = img_ref_string(&r);
	check(str != NULL, "a reference prints");
	if (r.domain) {
		struct img_ref again;
		check(img_ref_parse(str, &again, NULL) == 0, "a printed reference parses");
		char *s2 = img_ref_string(&again);
		check(s2 && !strcmp(s2, str), "a printed reference parses to itself");
		free(s2);
		img_ref_free(&again);
	}
	free(str);
	struct regconf c;
	memset(&c, 0, sizeof(c));
	check(regconf_parse(&c, fixed_conf, sizeof(fixed_conf) - 1, "fixed", NULL) == 0, "the fixed conf parses");
	check_candidates(&c, &r);
	regconf_free(&c);
	img_ref_free(&r);
}

static void fuzz_conf(const char *buf, size_t len)
{
	struct regconf c;
	ctr_error *e = NULL;
	memset(&c, 0, sizeof(c));
	int rc = regconf_parse(&c, buf, len, "fuzz.conf", &e);
	if (rc < 0) {
		check_error(rc, e);
		regconf_free(&c);
		return;
	}
	for (size_t i = 0; i < c.n_regs; i++)
		check(c.regs[i].prefix && *c.regs[i].prefix, "a registry has a prefix");
	static const char digest_ref[] = "example.com/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef01"
					 "23456789abcdef";
	const char *const refs[] = { "busybox", "tool:1", digest_ref, "docker://alpine", "r.io:5000/x/y:z" };
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct img_ref r;
		check(img_ref_parse(refs[i], &r, NULL) == 0, "a fixed reference parses");
		check_candidates(&c, &r);
		img_ref_free(&r);
	}
	regconf_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	char *z = malloc(len + 1); /* a NUL-terminated copy for the string parsers */
	if (!z)
		return 0;
	memcpy(z, buf, len);
	z[len] = '\0';
	switch (data[0] % 5) {
	case 0:
		fuzz_ref(z);
		break;
	case 1:
		fuzz_conf(buf, len);
		break;
	case 2: {
		struct reg_challenge c;
		if (reg_challenge_parse(buf, len, &c) == 0) {
			check(c.scheme == REG_AUTH_BASIC || c.scheme == REG_AUTH_BEARER, "a known scheme");
			check(c.scheme != REG_AUTH_BEARER || c.realm, "a Bearer challenge has a realm");
			reg_challenge_free(&c);
		}
		break;
	}
	case 3: {
		static const char *const hosts[] = { "r.io", "docker.io" };
		for (size_t i = 0; i < 2; i++) {
			struct reg_creds c;
			char *helper = NULL;
			ctr_error *e = NULL;
			int rc = reg_authfile_find(buf, len, "fuzz.json", hosts[i], "a/b", &c, &helper, &e);
			if (rc < 0) {
				check(!c.user && !c.secret && !helper, "nothing on failure");
				check_error(rc, e);
				continue;
			}
			check(!c.user || c.secret, "a user comes with a secret");
			free(helper);
			reg_creds_free(&c);
		}
		break;
	}
	case 4: {
		unsigned char *d;
		size_t n;
		if (reg_base64_decode(buf, len, &d, &n) == 0) {
			char *e = reg_base64_encode(d, n);
			check(e && strlen(e) == len && !memcmp(e, buf, len), "base64 round-trips");
			free(e);
			free(d);
		}
		break;
	}
	}
	free(z);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp module's pieces that need no container: SHA-256 against the
 * FIPS 180-2 examples and libcrypto, the compiled-filter cache (round trip,
 * one entry per key, entries that must not be trusted), and the profile
 * checks with their messages.  Real containers: tests/integration/seccomp.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "internal.h"
#include "linux/lifecycle.h"
#include "linux/seccomp-cache.h"

static void hexstr(const unsigned char *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha_one(const char *msg, const char *want)
{
	unsigned char d[32];
	char h[65];
	const void *parts[] = {msg};
	const size_t lens[] = {strlen(msg)};
	ctr_sha256(parts, lens, 1, d);
	hexstr(d, h);
	assert_string_equal(h, want);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	sha_one("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha_one("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_one("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a' in uneven pieces */
	static char a[1000000];
	memset(a, 'a', sizeof(a));
	const void *parts[] = {a, a + 1, a + 64, a + 1000};
	const size_t lens[] = {1, 63, 936, sizeof(a) - 1000};
	unsigned char d[32];
	char h[65];
	ctr_sha256(parts, lens, 4, d);
	hexstr(d, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* every length 0..300 (all padding cases), split in two at every 37th byte, against libcrypto */
static void test_sha256_vs_libcrypto(void **state)
{
	(void)state;
	unsigned char buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		unsigned char want[32], got[32];
		unsigned wl = 0;
		assert_int_equal(EVP_Digest(buf, len, want, &wl, EVP_sha256(), NULL), 1);
		size_t cut = len ? (len * 37) % len : 0;
		const void *parts[] = {buf, buf + cut};
		const size_t lens[] = {cut, len - cut};
		ctr_sha256(parts, lens, 2, got);
		assert_memory_equal(got, want, 32);
	}
}

struct cache_env {
	char dir[64];
	ctr_context ctx;
};

static int cache_setup(void **state)
{
	struct cache_env *e = calloc(1, sizeof(*e));
	strcpy(e->dir, "/tmp/ctr-seccomp-unit.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->ctx.state_root = e->dir;
	*state = e;
	return 0;
}

static int cache_teardown(void **state)
{
	struct cache_env *e = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static const struct sock_filter prog[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	BPF_STMT(BPF_RET | BPF_K, 0x7fff0000),
};

static void entry_path(struct cache_env *e, const unsigned char key[32], char *out, size_t n)
{
	char h[65];
	hexstr(key, h);
	snprintf(out, n, "%s/.seccomp-cache/%s", e->dir, h);
}

static void test_cache_round_trip(void **state)
{
	struct cache_env *e = *state;
	unsigned char k1[32], k2[32];
	struct oci_seccomp a = {.default_action = (char *)"SCMP_ACT_ALLOW"}, b = {.default_action = (char *)"SCMP_ACT_LOG"};
	ctr_seccomp_cache_key(&a, k1);
	ctr_seccomp_cache_key(&b, k2);
	assert_memory_not_equal(k1, k2, 32);
	void *bpf = NULL;
	size_t n = 0;
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k1, &bpf, &n), 0);
	ctr_seccomp_cache_put(&e->ctx, k1, prog, 2);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k1, &bpf, &n), 1);
	assert_int_equal(n, 2);
	assert_memory_equal(bpf, prog, sizeof(prog));
	free(bpf);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k2, &bpf, &n), 0);
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/.seccomp-cache", e->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	entry_path(e, k1, p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 8 + 4 + 4 + 32 + 32 + (off_t)sizeof(prog));
}

/* an entry whose checksum, key, mode, type or links are wrong is a miss */
static void test_cache_distrust(void **state)
{
	struct cache_env *e = *state;
	unsigned char k[32];
	struct oci_seccomp a = {.default_action = (char *)"SCMP_ACT_ALLOW"}, b = {.default_action = (char *)"SCMP_ACT_LOG"};
	ctr_seccomp_cache_key(&a, k);
	char p[256], lnk[300];
	entry_path(e, k, p, sizeof(p));
	void *bpf = NULL;
	size_t n = 0;

	ctr_seccomp_cache_put(&e->ctx, k, prog, 2);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x06", 1, 80), 1); /* first byte of the program */
	close(fd);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 0);

	ctr_seccomp_cache_put(&e->ctx, k, prog, 2);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 1);
	free(bpf);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 0);

	ctr_seccomp_cache_put(&e->ctx, k, prog, 2);
	snprintf(lnk, sizeof(lnk), "%s.link", p);
	assert_int_equal(link(p, lnk), 0);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 0);
	unlink(lnk);

	/* a symlink in the entry's place is not followed */
	unlink(p);
	ctr_seccomp_cache_put(&e->ctx, k, prog, 2);
	snprintf(lnk, sizeof(lnk), "%s.real", p);
	assert_int_equal(rename(p, lnk), 0);
	assert_int_equal(symlink(lnk, p), 0);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 0);
	unlink(p);
	unlink(lnk);

	/* another key's entry renamed into place */
	unsigned char k2[32];
	ctr_seccomp_cache_key(&b, k2);
	ctr_seccomp_cache_put(&e->ctx, k2, prog, 2);
	char p2[256];
	entry_path(e, k2, p2, sizeof(p2));
	assert_int_equal(rename(p2, p), 0);
	assert_int_equal(ctr_seccomp_cache_get(&e->ctx, k, &bpf, &n), 0);
}

static int key_of(const char *json, unsigned char key[32])
{
	ctr_spec *spec = NULL;
	struct oci_config *cfg = NULL;
	int r = ctr_spec_load_buffer(&spec, json, strlen(json), "config.json", NULL);
	if (r == 0)
		r = oci_config_from_spec(spec, &cfg, NULL);
	if (r == 0)
		ctr_seccomp_cache_key(cfg->linux_.seccomp, key);
	oci_config_free(cfg);
	ctr_spec_free(spec);
	return r;
}

#define KEYCFG(sc) "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":" sc "}}"

/* the key follows what shapes the program, not how the JSON is spelled */
static void test_cache_key(void **state)
{
	(void)state;
	unsigned char base[32], k[32];
	assert_int_equal(key_of(KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],"
				       "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,\"value\":9,"
				       "\"op\":\"SCMP_CMP_EQ\"}]}]}"),
				base),
			 0);
	/* other key order and spacing, a listener: same program, same key */
	assert_int_equal(key_of(KEYCFG("{ \"syscalls\": [ { \"args\": [ { \"op\": \"SCMP_CMP_EQ\", \"value\": 9, "
				       "\"index\": 1 } ], \"errnoRet\": 1, \"action\": \"SCMP_ACT_ERRNO\", \"names\": "
				       "[ \"kill\" ] } ], \"listenerPath\": \"/x.sock\", \"defaultAction\": "
				       "\"SCMP_ACT_ALLOW\" }"),
				k),
			 0);
	assert_memory_equal(k, base, 32);
	/* each of these changes the program: another key */
	static const char *const other[] = {
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],\"action\":"
		       "\"SCMP_ACT_ERRNO\",\"errnoRet\":2,\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],\"action\":"
		       "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],\"action\":"
		       "\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,\"value\":9,\"valueTwo\":1,"
		       "\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],\"action\":"
		       "\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_GE\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"tkill\"],\"action\":"
		       "\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":[{"
		       "\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,"
		       "\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		KEYCFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":[{"
		       "\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,"
		       "\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		assert_int_equal(key_of(other[i], k), 0);
		if (!memcmp(k, base, 32))
			fail_msg("profile %zu has the same key as the base one", i);
	}
}

static int build(const char *json, struct ctr_proc *proc, ctr_error **err)
{
	ctr_spec *spec = NULL;
	struct oci_config *cfg = NULL;
	memset(proc, 0, sizeof(*proc));
	int r = ctr_spec_load_buffer(&spec, json, strlen(json), "config.json", err);
	if (r == 0)
		r = oci_config_from_spec(spec, &cfg, err);
	if (r == 0)
		r = ctr_seccomp_build(NULL, cfg->linux_.seccomp, proc, err);
	oci_config_free(cfg);
	ctr_spec_free(spec);
	return r;
}

#define CFG(sc) "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":" sc "}}"

static void expect_error(const char *json, const char *want)
{
	struct ctr_proc proc;
	ctr_error *err = NULL;
	assert_true(build(json, &proc, &err) < 0);
	char got[1024];
	snprintf(got, sizeof(got), "%s", ctr_error_message(err));
	ctr_error_free(err);
	free(proc.seccomp_filter);
	if (!strstr(got, want))
		fail_msg("want '%s' in '%s'", want, got);
}

static void test_profile_checks(void **state)
{
	(void)state;
	struct ctr_proc proc;
	ctr_error *err = NULL;
	assert_int_equal(build(CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\","
				   "\"no_such_call\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":30}]}"),
			       &proc, &err),
			 0);
	assert_non_null(proc.seccomp_filter);
	assert_true(proc.seccomp_len > 2);
	assert_false(proc.seccomp_listener);
	free(proc.seccomp_filter);
	const char *notify = CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x.sock\","
				 "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
	uint32_t unotif = SECCOMP_RET_USER_NOTIF;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &unotif) == 0) {
		assert_int_equal(build(notify, &proc, &err), 0);
		assert_true(proc.seccomp_listener);
		free(proc.seccomp_filter);
	} else { /* no seccomp user notification here (valgrind answers ENOSYS): the error says so */
		expect_error(notify, "linux.seccomp.syscalls[0].action: this kernel does not support SCMP_ACT_NOTIFY");
	}
	expect_error(CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],"
			 "\"action\":\"SCMP_ACT_LOG\",\"errnoRet\":1}]}"),
		     "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_LOG does not return an errno");
	expect_error(CFG("{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}"),
		     "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL does not return an errno");
	expect_error(CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x.sock\",\"syscalls\":[{"
			 "\"names\":[\"read\",\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"),
		     "linux.seccomp.syscalls[0].names[1]: sendmsg cannot be SCMP_ACT_NOTIFY");
	expect_error(CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"kill\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
			 "{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
			 "{\"index\":3,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":4,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
			 "{\"index\":5,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		     "linux.seccomp.syscalls[0].args: 7 conditions, at most 6");
	expect_error(CFG("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"m\"}"),
		     "linux.seccomp.listenerMetadata: set without listenerPath");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_vs_libcrypto),
		cmocka_unit_test_setup_teardown(test_cache_round_trip, cache_setup, cache_teardown),
		cmocka_unit_test_setup_teardown(test_cache_distrust, cache_setup, cache_teardown),
		cmocka_unit_test(test_profile_checks),
		cmocka_unit_test(test_cache_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/linux/sigsafe.c: string helpers, the formatter, strerror, write_all, execvpe. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/sigsafe.h"

static void test_strings(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(ss_strlen(""), 0);
	assert_int_equal(ss_strlen("abc"), 3);
	assert_int_equal(ss_strlen(NULL), 0);
	assert_true(ss_strcmp("abc", "abc") == 0);
	assert_true(ss_strcmp("abc", "abd") < 0);
	assert_true(ss_strcmp("abd", "abc") > 0);
	assert_true(ss_strcmp("ab", "abc") < 0);
	assert_true(ss_strcmp("\xff", "a") > 0); /* unsigned compare, like strcmp */
	assert_true(ss_strncmp("abcx", "abcy", 3) == 0);
	assert_true(ss_strncmp("abcx", "abcy", 4) < 0);
	assert_true(ss_strncmp("ab", "ab", 10) == 0);
	assert_true(ss_strncmp("a", "b", 0) == 0);

	assert_int_equal(ss_strlcpy(buf, "hello", sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(ss_strlcpy(buf, "hello world", sizeof(buf)), 11);
	assert_string_equal(buf, "hello w");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ss_strlcpy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'x'); /* size 0 touches nothing */
	assert_int_equal(ss_strlcpy(buf, "abc", 1), 3);
	assert_string_equal(buf, "");

	ss_strlcpy(buf, "ab", sizeof(buf));
	assert_int_equal(ss_strlcat(buf, "cd", sizeof(buf)), 4);
	assert_string_equal(buf, "abcd");
	assert_int_equal(ss_strlcat(buf, "efghij", sizeof(buf)), 10);
	assert_string_equal(buf, "abcdefg");
	memset(buf, 'x', sizeof(buf)); /* not terminated within size */
	assert_int_equal(ss_strlcat(buf, "ab", sizeof(buf)), sizeof(buf) + 2);
}

static void test_fmt_basic(void **state)
{
	(void)state;
	char buf[256];
	size_t n;

	n = ss_fmt(buf, sizeof(buf), "plain");
	assert_int_equal(n, 5);
	assert_string_equal(buf, "plain");

	ss_fmt(buf, sizeof(buf), "%s|%d|%i|%u|%%|%c", "str", -42, 7, 42u, 'Z');
	assert_string_equal(buf, "str|-42|7|42|%|Z");

	ss_fmt(buf, sizeof(buf), "%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	char want[256];
	snprintf(want, sizeof(want), "%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	assert_string_equal(buf, want);

	ss_fmt(buf, sizeof(buf), "%x %lx %o %X", 0xbeefu, 0xdeadbeefcafeUL, 0755u, 0xabcu);
	assert_string_equal(buf, "beef deadbeefcafe 755 ABC");

	ss_fmt(buf, sizeof(buf), "%d %d %u", INT_MIN, INT_MAX, UINT_MAX);
	snprintf(want, sizeof(want), "%d %d %u", INT_MIN, INT_MAX, UINT_MAX);
	assert_string_equal(buf, want);

	ss_fmt(buf, sizeof(buf), "%zu %zd %hhu %hd", (size_t)123456789, (ssize_t)-5, (unsigned char)250,
	       (short)-300);
	assert_string_equal(buf, "123456789 -5 250 -300");

	const char *volatile null_str = NULL;
	ss_fmt(buf, sizeof(buf), "%s", null_str);
	assert_string_equal(buf, "(null)");

	ss_fmt(buf, sizeof(buf), "[%5d|%-5d|%05d|%.3d|%5s|%-5s|%.2s|%.*s|%*d]", 42, 42, -42, 7, "ab", "ab",
	       "abcdef", 3, "xyzzy", 4, 9);
	snprintf(want, sizeof(want), "[%5d|%-5d|%05d|%.3d|%5s|%-5s|%.2s|%.*s|%*d]", 42, 42, -42, 7, "ab", "ab",
		 "abcdef", 3, "xyzzy", 4, 9);
	assert_string_equal(buf, want);

	ss_fmt(buf, sizeof(buf), "%#o %04x %+d % d", 8u, 0xau, 5, 5);
	assert_string_equal(buf, "10 000a +5  5");

	int x;
	ss_fmt(buf, sizeof(buf), "%p", (void *)&x);
	snprintf(want, sizeof(want), "%p", (void *)&x);
	assert_string_equal(buf, want);
}

static void test_fmt_truncation(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	size_t n = ss_fmt(buf, sizeof(buf), "%s-%d", "abcdef", 12345);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcdef-");
	n = ss_fmt(buf, 1, "%s", "abc");
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	buf[0] = 'q';
	n = ss_fmt(buf, 0, "%s", "abc");
	assert_int_equal(n, 0);
	assert_int_equal(buf[0], 'q'); /* size 0: nothing written */
	/* huge width is bounded by the buffer */
	char big[16];
	n = ss_fmt(big, sizeof(big), "%99999d", 1);
	assert_int_equal(n, 15);
	/* an unknown conversion and a trailing '%' print as written */
	char b2[32];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	ss_fmt_errno(b2, sizeof(b2), 0, "a%qb%");
#pragma GCC diagnostic pop
	assert_string_equal(b2, "a%qb%");
}

static void test_fmt_errno(void **state)
{
	(void)state;
	char buf[128];
	errno = ENOENT;
	ss_fmt(buf, sizeof(buf), "open: %m");
	assert_string_equal(buf, "open: No such file or directory");
	errno = 0;
	ss_fmt_errno(buf, sizeof(buf), EACCES, "x %s: %m (%d)", "y", EACCES);
	assert_string_equal(buf, "x y: Permission denied (13)");
}

static void test_strerror(void **state)
{
	(void)state;
	/* the table must agree with glibc for every errno it knows */
	for (int e = 1; e <= EOWNERDEAD; e++) {
		const char *s = ss_strerror(e);
		assert_non_null(s);
		if (e == 41 || e == 58) /* unused numbers on Linux */
			continue;
		assert_string_equal(s, strerror(e));
	}
	assert_string_equal(ss_strerror(0), "Success");
	assert_string_equal(ss_strerror(-1), "Unknown error");
	assert_string_equal(ss_strerror(100000), "Unknown error");
	assert_string_equal(ss_strerror(EOWNERDEAD), "Owner died");
}

static void test_write_all(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ss_write_all(p[1], "hello", 5), 0);
	char buf[8] = { 0 };
	assert_int_equal(read(p[0], buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	close(p[0]);
	close(p[1]);
	assert_int_equal(ss_write_all(p[1], "x", 1), -EBADF);
}

/* Run ss_execvpe in a child; return the child's exit code (or 200 + -errno on failure). */
static int run_execvpe(const char *file, char *const argv[], char *const envp[], int *err_out)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r = ss_execvpe(file, argv, envp);
		int e = -r;
		(void)!write(p[1], &e, sizeof(e));
		_exit(99);
	}
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof(e));
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*err_out = n == (ssize_t)sizeof(e) ? e : 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_script(const char *path, const char *body, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_execvpe(void **state)
{
	(void)state;
	char dir[] = "/tmp/ss-exec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char d1[PATH_MAX], d2[PATH_MAX], d3[PATH_MAX], pathvar[3 * PATH_MAX + 16], f[PATH_MAX + 16];
	snprintf(d1, sizeof(d1), "%s/a", dir);
	snprintf(d2, sizeof(d2), "%s/b", dir);
	snprintf(d3, sizeof(d3), "%s/c", dir);
	assert_int_equal(mkdir(d1, 0755), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	assert_int_equal(mkdir(d3, 0755), 0);
	/* a/prog is not executable (EACCES), b/prog exits 7, c/noexec has no #! (ENOEXEC) */
	snprintf(f, sizeof(f), "%s/prog", d1);
	write_script(f, "#!/bin/sh\nexit 3\n", 0644);
	snprintf(f, sizeof(f), "%s/prog", d2);
	write_script(f, "#!/bin/sh\nexit 7\n", 0755);
	snprintf(f, sizeof(f), "%s/onlyhere", d1);
	write_script(f, "#!/bin/sh\nexit 3\n", 0644);
	snprintf(f, sizeof(f), "%s/noexec", d3);
	write_script(f, "exit 5\n", 0755);

	int e;
	char *argv[] = { "prog", NULL };
	snprintf(pathvar, sizeof(pathvar), "PATH=/nonexistent:%s:%s", d1, d2);
	char *envp[] = { pathvar, NULL };
	/* EACCES in a/ is skipped, b/prog runs */
	assert_int_equal(run_execvpe("prog", argv, envp, &e), 7);

	/* only a non-executable candidate: EACCES wins over ENOENT */
	assert_int_equal(run_execvpe("onlyhere", argv, envp, &e), 99);
	assert_int_equal(e, EACCES);

	/* nowhere: ENOENT */
	assert_int_equal(run_execvpe("does-not-exist", argv, envp, &e), 99);
	assert_int_equal(e, ENOENT);

	/* ENOEXEC is returned, not retried with /bin/sh */
	snprintf(pathvar, sizeof(pathvar), "PATH=%s:%s", d3, d2);
	assert_int_equal(run_execvpe("noexec", argv, envp, &e), 99);
	assert_int_equal(e, ENOEXEC);

	/* a name with '/' is not searched */
	snprintf(f, sizeof(f), "%s/prog", d2);
	assert_int_equal(run_execvpe(f, argv, envp, &e), 7);
	assert_int_equal(run_execvpe("b/prog", argv, envp, &e), 99);
	assert_int_equal(e, ENOENT);

	/* no PATH in envp: the default PATH finds /bin/true */
	char *noenv[] = { "FOO=bar", NULL };
	char *targv[] = { "true", NULL };
	assert_int_equal(run_execvpe("true", targv, noenv, &e), 0);
	assert_int_equal(run_execvpe("true", targv, NULL, &e), 0);

	/* empty file name */
	assert_int_equal(run_execvpe("", argv, envp, &e), 99);
	assert_int_equal(e, ENOENT);

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Differential test against glibc's snprintf over random formats of the
 * supported subset (flags - 0 + space, width, precision, hh h l ll z, d i u
 * x X o s c), with truncation at random buffer sizes.
 */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_fmt_differential(void **state)
{
	(void)state;
	static const long long specials[] = { 0, 1, -1, 7, -42, 255, 256, 65535, -32768, INT_MAX, INT_MIN,
					       (long long)UINT_MAX, LLONG_MAX, LLONG_MIN };
	static const char *const strs[] = { "", "a", "hello", "with space", "0123456789abcdef" };
	for (int iter = 0; iter < 20000; iter++) {
		char fmt[64];
		size_t f = 0;
		fmt[f++] = '<';
		fmt[f++] = '%';
		static const char conv_set[] = "diuxXosc";
		char conv = conv_set[rnd() % (sizeof(conv_set) - 1)];
		bool text = conv == 's' || conv == 'c';
		if (rnd() % 3 == 0)
			fmt[f++] = '-';
		if (!text && rnd() % 3 == 0)
			fmt[f++] = '0';
		if ((conv == 'd' || conv == 'i') && rnd() % 4 == 0)
			fmt[f++] = rnd() % 2 ? '+' : ' ';
		if (rnd() % 2)
			f += (size_t)snprintf(fmt + f, sizeof(fmt) - f, "%d", (int)(rnd() % 30));
		if (conv != 'c' && rnd() % 3 == 0)
			f += (size_t)snprintf(fmt + f, sizeof(fmt) - f, ".%d", (int)(rnd() % 25));
		static const char *const mods[] = { "", "hh", "h", "l", "ll", "z" };
		const char *mod = text ? "" : mods[rnd() % 6];
		f += (size_t)snprintf(fmt + f, sizeof(fmt) - f, "%s%c>", mod, conv);

		long long v = rnd() % 2 ? specials[rnd() % (sizeof(specials) / sizeof(specials[0]))] : (long long)rnd();
		const char *sv = strs[rnd() % (sizeof(strs) / sizeof(strs[0]))];
		size_t size = rnd() % 4 == 0 ? (size_t)(rnd() % 12) : 128;
		char want[128], got[128];
		memset(want, 'W', sizeof(want));
		memset(got, 'W', sizeof(got));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat"
		int wn;
		size_t gn;
		if (conv == 's') {
			wn = snprintf(want, size, fmt, sv);
			gn = ss_fmt(got, size, fmt, sv);
		} else if (conv == 'c') {
			wn = snprintf(want, size, fmt, (int)('A' + (v & 15)));
			gn = ss_fmt(got, size, fmt, (int)('A' + (v & 15)));
		} else if (!strcmp(mod, "l") || !strcmp(mod, "z")) {
			wn = snprintf(want, size, fmt, (long)v);
			gn = ss_fmt(got, size, fmt, (long)v);
		} else if (!strcmp(mod, "ll")) {
			wn = snprintf(want, size, fmt, v);
			gn = ss_fmt(got, size, fmt, v);
		} else {
			wn = snprintf(want, size, fmt, (int)v);
			gn = ss_fmt(got, size, fmt, (int)v);
		}
#pragma GCC diagnostic pop
		size_t wlen = size == 0 ? 0 : ((size_t)wn < size ? (size_t)wn : size - 1);
		if (gn != wlen || memcmp(got, want, size ? wlen + 1 : 1) != 0)
			fail_msg("format '%s' (size %zu, v %lld, s '%s'): glibc '%.*s' ours '%.*s' (%zu)", fmt, size,
				 v, sv, (int)wlen, want, (int)gn, got, gn);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),	      cmocka_unit_test(test_fmt_basic),
		cmocka_unit_test(test_fmt_truncation), cmocka_unit_test(test_fmt_errno),
		cmocka_unit_test(test_strerror),      cmocka_unit_test(test_write_all),
		cmocka_unit_test(test_execvpe),
		cmocka_unit_test(test_fmt_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr_write_file_atomic (lib/util.c), which writes every state file, lease,
 * network and pid file: the temporary file is created with O_EXCL |
 * O_NOFOLLOW under an unpredictable name, so what another user planted in
 * the directory (a symlink or a hard link at the predictable name the
 * previous version used, "<path>.tmp.<pid>" and ".<name>.tmp.<pid>") is
 * neither followed, truncated nor renamed into place; a taken name is
 * retried under another; nothing is left behind on an error.  The retry
 * cases choose the names through ctr_write_file_atomic_rnd, the internal
 * entry point that takes the random bits from the test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctr-atomic.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0)
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static const char *get(const char *name)
{
	static char buf[256];
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* The directory's entries, sorted, space-separated. */
static const char *entries(void)
{
	static char out[1024];
	struct dirent **v;
	int n = scandir(dir, &v, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, "..")) {
			if (out[0])
				strcat(out, " ");
			strcat(out, v[i]->d_name);
		}
		free(v[i]);
	}
	free(v);
	return out;
}

static void plant_symlink(const char *name, const char *target)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(symlink(target, p), 0);
}

static void plant_hardlink(const char *name, const char *target)
{
	char p[256], t[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	snprintf(t, sizeof(t), "%s/%s", dir, target);
	assert_int_equal(link(t, p), 0);
}

static int dirfd_of_dir(void)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Both entry points write name in dir; err is checked to be unset. */
static void write_both(const char *name, const char *text)
{
	char path[256];
	ctr_error *err = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int r = ctr_write_file_atomic(path, text, strlen(text), 0600, &err);
	if (r < 0)
		fail_msg("ctr_write_file_atomic: %s", ctr_error_message(err));
	assert_string_equal(get(name), text);
	int dfd = dirfd_of_dir();
	r = ctr_write_file_atomic_at(dfd, dir, name, "2", 1, 0600, 0, &err);
	close(dfd);
	if (r < 0)
		fail_msg("ctr_write_file_atomic_at: %s", ctr_error_message(err));
	assert_string_equal(get(name), "2");
}

/* A symlink at the old predictable names: followed never, and the write still succeeds. */
static void test_symlink_at_old_name(void **state)
{
	(void)state;
	char old1[64], old2[64];
	snprintf(old1, sizeof(old1), "state.json.tmp.%ld", (long)getpid());
	snprintf(old2, sizeof(old2), ".state.json.tmp.%ld", (long)getpid());
	put("victim", "keep");
	plant_symlink(old1, "victim");
	plant_symlink(old2, "victim");
	write_both("state.json", "new");
	assert_string_equal(get("victim"), "keep");
	char expect[256];
	snprintf(expect, sizeof(expect), "%s state.json %s victim", old2, old1);
	assert_string_equal(entries(), expect);
}

/* A hard link to another file at the old names: never truncated, never renamed into place. */
static void test_hardlink_at_old_name(void **state)
{
	(void)state;
	char old1[64], old2[64];
	snprintf(old1, sizeof(old1), "state.json.tmp.%ld", (long)getpid());
	snprintf(old2, sizeof(old2), ".state.json.tmp.%ld", (long)getpid());
	put("victim", "keep");
	plant_hardlink(old1, "victim");
	plant_hardlink(old2, "victim");
	write_both("state.json", "new");
	assert_string_equal(get("victim"), "keep");
	assert_string_equal(get(old1), "keep");
	struct stat a, b;
	char p[256];
	snprintf(p, sizeof(p), "%s/victim", dir);
	assert_int_equal(stat(p, &a), 0);
	snprintf(p, sizeof(p), "%s/state.json", dir);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(b.st_mode & 07777, 0600);
}

/* Random bits from a list; the last one repeats. */
struct seq {
	const uint64_t *v;
	size_t n, at, calls;
};

static int seq_rnd(void *arg, uint64_t *out)
{
	struct seq *s = arg;
	*out = s->v[s->at < s->n ? s->at : s->n - 1];
	s->at++;
	s->calls++;
	return 0;
}

static void tmpname(char *buf, size_t size, const char *name, uint64_t bits)
{
	snprintf(buf, size, ".%s.tmp.%016llx", name, (unsigned long long)bits);
}

/* Names that are taken (a file, a symlink) are skipped for fresh ones; the planted files stay as they were. */
static void test_taken_names_retried(void **state)
{
	(void)state;
	const uint64_t bits[] = {0xa, 0xa, 0xb, 0xc};
	struct seq s = {bits, 4, 0, 0};
	char a[64], b[64], c[64], expect[256];
	tmpname(a, sizeof(a), "f", 0xa);
	tmpname(b, sizeof(b), "f", 0xb);
	tmpname(c, sizeof(c), "f", 0xc);
	put(a, "planted");
	put("victim", "keep");
	plant_symlink(b, "victim");
	put("f", "old");
	int dfd = dirfd_of_dir();
	ctr_error *err = NULL;
	int r = ctr_write_file_atomic_rnd(dfd, dir, "f", "new", 3, 0600, CTR_WRITE_FSYNC, seq_rnd, &s, &err);
	close(dfd);
	if (r < 0)
		fail_msg("%s", ctr_error_message(err));
	assert_int_equal(s.calls, 4);
	assert_string_equal(get("f"), "new");
	assert_string_equal(get(a), "planted");
	assert_string_equal(get("victim"), "keep");
	snprintf(expect, sizeof(expect), "%s %s f victim", a, b);
	assert_string_equal(entries(), expect);
}

/* Every name taken: a clear error, the old file and the planted one untouched. */
static void test_names_exhausted(void **state)
{
	(void)state;
	const uint64_t bits[] = {0x5};
	struct seq s = {bits, 1, 0, 0};
	char a[64], expect[256];
	tmpname(a, sizeof(a), "f", 0x5);
	put(a, "planted");
	put("f", "old");
	int dfd = dirfd_of_dir();
	ctr_error *err = NULL;
	int r = ctr_write_file_atomic_rnd(dfd, dir, "f", "new", 3, 0600, 0, seq_rnd, &s, &err);
	close(dfd);
	assert_int_equal(r, -EEXIST);
	assert_non_null(strstr(ctr_error_message(err), "temporary names were taken: remove the files named .f.tmp.*"));
	ctr_error_free(err);
	assert_string_equal(get("f"), "old");
	assert_string_equal(get(a), "planted");
	snprintf(expect, sizeof(expect), "%s f", a);
	assert_string_equal(entries(), expect);
}

static int fail_rnd(void *arg, uint64_t *out)
{
	(void)arg;
	(void)out;
	return -EIO;
}

/* Errors leave nothing behind: a failed rename (the target is a directory), no random bits. */
static void test_errors_leave_nothing(void **state)
{
	(void)state;
	char path[256];
	ctr_error *err = NULL;
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	put("sub/x", "x");
	int r = ctr_write_file_atomic(path, "new", 3, 0600, &err);
	assert_true(r < 0);
	assert_non_null(strstr(ctr_error_message(err), "sub: rename"));
	ctr_error_free(err);
	err = NULL;
	assert_string_equal(entries(), "sub");
	int dfd = dirfd_of_dir();
	r = ctr_write_file_atomic_rnd(dfd, dir, "f", "new", 3, 0600, 0, fail_rnd, NULL, &err);
	close(dfd);
	assert_int_equal(r, -EIO);
	ctr_error_free(err);
	err = NULL;
	assert_string_equal(entries(), "sub");
	/* a directory of the path that is missing: an error naming it, nothing made */
	snprintf(path, sizeof(path), "%s/missing/f", dir);
	r = ctr_write_file_atomic(path, "new", 3, 0600, &err);
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(ctr_error_message(err), "/missing: open"));
	ctr_error_free(err);
	assert_string_equal(entries(), "sub");
	snprintf(path, sizeof(path), "%s/sub/x", dir);
	assert_int_equal(unlink(path), 0);
}

/* Names without a directory part, and "." or "..", which are not files. */
static void test_names(void **state)
{
	(void)state;
	char cwd[PATH_MAX];
	ctr_error *err = NULL;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	int r = ctr_write_file_atomic("plain", "p", 1, 0644, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	assert_string_equal(get("plain"), "p");
	char path[256];
	snprintf(path, sizeof(path), "%s/..", dir);
	assert_int_equal(ctr_write_file_atomic(path, "p", 1, 0644, &err), -EISDIR);
	ctr_error_free(err);
	err = NULL;
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(ctr_write_file_atomic(path, "p", 1, 0644, &err), -EISDIR);
	ctr_error_free(err);
	assert_string_equal(entries(), "plain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_symlink_at_old_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardlink_at_old_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taken_names_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Layer extraction against the real kernel: the hostile corpus written by
 * mk-layers.py (each case must fail or stay contained, and nothing outside
 * the root may change), every entry type with ownership, modes, xattrs and
 * times, whiteouts and opaque directories in both modes (the overlay one
 * mounted for real), gzip/zstd/plain/multi-member/pipe, sha256/sha512,
 * digest, size and DiffID mismatches, cancellation and ctr_rm_tree_at.
 *
 *   test-layer MK-LAYERS.PY
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "image/digest.h"
#include "image/layer.h"
#include "internal.h"

static char tmp[PATH_MAX], corpus[PATH_MAX], outside[PATH_MAX], root[PATH_MAX], tag[32];
static int tmpfd = -1;
static bool is_root;

/* ---- helpers ---- */

static void path_of(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
	assert_true(n > 0 && n < PATH_MAX);
}

static void fresh_root(void)
{
	ctr_error *e = NULL;
	assert_int_equal(ctr_rm_tree_at(tmpfd, "root", &e), 0);
	assert_int_equal(mkdirat(tmpfd, "root", 0755), 0);
}

/* Apply one blob from the corpus into dir; returns the result and the message in msg. */
static int apply_into(const char *dir, const char *file, const struct ctr_layer_desc *tmpl,
		      const struct ctr_layer_opts *o, char *msg, size_t msz)
{
	char p[PATH_MAX];
	path_of(p, corpus, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rfd >= 0);
	struct ctr_layer_desc d = {.size = -1, .name = file};
	if (tmpl)
		d = *tmpl;
	if (!d.name)
		d.name = file;
	ctr_error *e = NULL;
	struct ctr_layer_stats st;
	int r = ctr_layer_apply(rfd, fd, &d, o, &st, &e);
	if (msg)
		snprintf(msg, msz, "%s", r < 0 ? ctr_error_message(e) : "");
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(-r, ctr_error_errno(e));
	}
	ctr_error_free(e);
	close(fd);
	close(rfd);
	return r;
}

static void apply_ok(const char *dir, const char *file, const struct ctr_layer_opts *o)
{
	char msg[1024];
	int r = apply_into(dir, file, NULL, o, msg, sizeof(msg));
	if (r != 0)
		fail_msg("%s: %s", file, msg);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char p[PATH_MAX];
	path_of(p, dir, name);
	char *buf = NULL;
	size_t n = 0;
	if (ctr_read_file(p, 1 << 24, &buf, &n, NULL) < 0)
		return NULL;
	if (len)
		*len = n;
	return buf;
}

static void assert_content(const char *dir, const char *name, const char *want)
{
	char *got = slurp(dir, name, NULL);
	if (!got)
		fail_msg("%s/%s: missing", dir, name);
	assert_string_equal(got, want);
	free(got);
}

static void assert_missing(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	path_of(p, dir, name);
	if (lstat(p, &st) == 0)
		fail_msg("%s exists but must not", p);
	assert_int_equal(errno, ENOENT);
}

static struct stat lst(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	path_of(p, dir, name);
	if (lstat(p, &st) < 0)
		fail_msg("%s: %s", p, strerror(errno));
	return st;
}

/* A listing of a tree with everything that an escape could change. */
static char *snap_buf;
static size_t snap_len;
static int snap_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char line[PATH_MAX + 256];
	int n = snprintf(line, sizeof(line), "%s %o %u:%u %lld %ld.%ld %lu\n", p, st->st_mode, st->st_uid, st->st_gid,
			 (long long)st->st_size, (long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (unsigned long)st->st_nlink);
	char *nb = realloc(snap_buf, snap_len + (size_t)n + 1);
	assert_non_null(nb);
	snap_buf = nb;
	memcpy(snap_buf + snap_len, line, (size_t)n + 1);
	snap_len += (size_t)n;
	if (S_ISREG(st->st_mode)) {
		char *c = NULL;
		size_t len = 0;
		if (ctr_read_file(p, 1 << 20, &c, &len, NULL) == 0) {
			nb = realloc(snap_buf, snap_len + len + 2);
			assert_non_null(nb);
			snap_buf = nb;
			memcpy(snap_buf + snap_len, c, len);
			snap_len += len;
			snap_buf[snap_len++] = '\n';
			snap_buf[snap_len] = '\0';
			free(c);
		}
	}
	return 0;
}

static char *snapshot(void)
{
	snap_buf = NULL;
	snap_len = 0;
	assert_int_equal(nftw(outside, snap_one, 16, FTW_PHYS), 0);
	/* host files a hostile entry aims at */
	const char *host[] = {"/etc/shadow", "/etc/passwd", "/etc", "/tmp", "/"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(host); i++) {
		struct stat st;
		if (lstat(host[i], &st) == 0) {
			if (S_ISDIR(st.st_mode))
				st.st_mtim.tv_sec = 0, st.st_mtim.tv_nsec = 0, st.st_size = 0, st.st_nlink = 0;
			snap_one(host[i], &st, 0, NULL);
		}
	}
	return snap_buf;
}

static void assert_no_escape(void)
{
	const char *dirs[] = {"", "/tmp", "/etc", outside};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(dirs); i++) {
		char p[PATH_MAX];
		int n = snprintf(p, sizeof(p), "%s/ctr-escape-%s", dirs[i], tag);
		assert_true(n < (int)sizeof(p));
		struct stat st;
		if (lstat(p, &st) == 0)
			fail_msg("escape: %s was created", p);
	}
	char p[PATH_MAX];
	path_of(p, outside, "pwned");
	struct stat st;
	if (lstat(p, &st) == 0)
		fail_msg("escape: %s was created", p);
}

static void digest_file(const char *file, enum ctr_digest_alg alg, char *out)
{
	char p[PATH_MAX];
	path_of(p, corpus, file);
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(ctr_read_file(p, 1 << 26, &buf, &len, NULL), 0);
	struct ctr_digest d;
	assert_int_equal(ctr_digest_begin_alg(&d, alg, NULL), 0);
	ctr_digest_update(&d, buf, len);
	assert_int_equal(ctr_digest_finish(&d, "test", out, CTR_DIGEST_STR_MAX, NULL), 0);
	free(buf);
}

static off_t file_size(const char *file)
{
	return lst(corpus, file).st_size;
}

/* ---- the hostile corpus ---- */

static void test_hostile(void **state)
{
	char list[PATH_MAX];
	path_of(list, corpus, "hostile.txt");
	FILE *f = fopen(list, "re");
	assert_non_null(f);
	char line[1024];
	int n = 0;
	char *before = snapshot();
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *name = strtok(line, "|"), *opts = strtok(NULL, "|"), *expect = strtok(NULL, "|"),
		     *files = strtok(NULL, "|");
		assert_non_null(files);
		struct ctr_layer_opts o;
		ctr_layer_opts_init(&o);
		if (strstr(opts, "unprivileged"))
			o.unprivileged = true;
		if (strstr(opts, "overlay")) {
			if (!is_root) {
				printf("# %s: skipped (needs root for trusted.* xattrs)\n", name);
				continue;
			}
			o.whiteouts = CTR_WHITEOUT_OVERLAY;
		}
		char *mx = strstr(opts, "max=");
		if (mx)
			o.max_bytes = strtoull(mx + 4, NULL, 10);
		fresh_root();
		int r = 0;
		char msg[1024] = "";
		char *save = NULL;
		for (char *file = strtok_r(files, ",", &save); file && r == 0; file = strtok_r(NULL, ",", &save))
			r = apply_into(root, file, NULL, &o, msg, sizeof(msg));
		if (!strcmp(expect, "ok")) {
			if (r != 0)
				fail_msg("%s: expected to be contained, failed: %s", name, msg);
		} else {
			if (r == 0)
				fail_msg("%s: expected to fail (%s), succeeded", name, expect + 5);
			if (!strstr(msg, expect + 5))
				fail_msg("%s: error '%s' lacks '%s'", name, msg, expect + 5);
			/* the error names the layer */
			if (!strstr(msg, ".tar"))
				fail_msg("%s: error '%s' does not name the layer", name, msg);
		}
		char *after = snapshot();
		if (strcmp(before, after) != 0)
			fail_msg("%s: something outside the root changed:\nbefore:\n%s\nafter:\n%s", name, before, after);
		free(after);
		assert_no_escape();
		printf("# hostile %s: %s%s\n", name, r ? "refused: " : "contained", msg);
		n++;
		/* specific containment checks */
		if (!strcmp(name, "symlink-replaced-later-layer") || !strcmp(name, "symlink-replaced-same-layer")) {
			const char *x = name[17] == 'l' ? "x" : "y";
			assert_true(S_ISREG(lst(root, x).st_mode));
			assert_content(root, x, "pwned");
		}
		if (!strcmp(name, "forged-overlay-xattr") && is_root) {
			char p[PATH_MAX], v[8];
			path_of(p, root, "o");
			assert_true(lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)) < 0);
		}
		if (!strcmp(name, "abs-path")) {
			/* absolute names land inside the root */
			char in[64];
			snprintf(in, sizeof(in), "etc/ctr-escape-%s", tag);
			assert_content(root, in, "pwned");
		}
	}
	fclose(f);
	free(before);
	assert_true(n >= 30);
	fresh_root();
}

/* ---- every entry type ---- */

static void check_types(const char *r, bool privileged)
{
	struct stat st = lst(r, "dir");
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mtim.tv_sec, 1000000001); /* set after its children were written */
	if (privileged) {
		assert_int_equal(st.st_mode & 07777, 02775);
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
	}
	st = lst(r, "dir/file"); /* before reading it: relatime would update the atime */
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_mtim.tv_sec, 1000000002);
	assert_int_equal(st.st_atim.tv_sec, 1000000003);
	assert_int_equal(st.st_atim.tv_nsec, 500000000);
	assert_int_equal(st.st_nlink, 2);
	assert_content(r, "dir/file", "content\n");
	struct stat h = lst(r, "dir/hard");
	assert_int_equal(h.st_ino, st.st_ino);
	char p[PATH_MAX], v[64];
	path_of(p, r, "dir/file");
	ssize_t n = lgetxattr(p, "user.test", v, sizeof(v));
	if (n >= 0) {
		assert_int_equal(n, 5);
		assert_memory_equal(v, "hello", 5);
	} else {
		assert_int_equal(errno, ENOTSUP);
	}
	if (privileged) {
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
		assert_int_equal(lst(r, "dir/suid").st_mode & 07777, 04755);
		st = lst(r, "dir/sgid");
		assert_int_equal(st.st_mode & 07777, 02711);
		assert_int_equal(st.st_uid, 10);
		assert_int_equal(st.st_gid, 20);
		path_of(p, r, "dir/cap");
		unsigned char cap[20];
		n = lgetxattr(p, "security.capability", cap, sizeof(cap));
		assert_int_equal(n, 20);
		assert_int_equal(cap[0], 1);	 /* effective */
		assert_int_equal(cap[3], 2);	 /* VFS_CAP_REVISION_2 */
		assert_int_equal(cap[4], 0x00); /* permitted: CAP_NET_RAW (13) */
		assert_int_equal(cap[5], 0x20);
		st = lst(r, "dir/null");
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(major(st.st_rdev), 1);
		assert_int_equal(minor(st.st_rdev), 3);
		assert_int_equal(st.st_mode & 07777, 0666);
		st = lst(r, "dir/loop");
		assert_true(S_ISBLK(st.st_mode));
		assert_int_equal(major(st.st_rdev), 7);
		st = lst(r, "dir/fifo");
		assert_int_equal(st.st_uid, 7);
		assert_int_equal(st.st_gid, 8);
		st = lst(r, "dir/link");
		assert_int_equal(st.st_uid, 1234);
		/* xattrs of a symlink and a fifo: setxattrat (Linux 6.13) */
		struct utsname u;
		int maj = 0, mnr = 0;
		if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &mnr) == 2 && (maj > 6 || (maj == 6 && mnr >= 13))) {
			char xv[32];
			path_of(p, r, "dir/link");
			assert_int_equal(lgetxattr(p, "trusted.ctr-test", xv, sizeof(xv)), 12);
			assert_memory_equal(xv, "on-a-symlink", 12);
			path_of(p, r, "dir/fifo");
			assert_int_equal(lgetxattr(p, "trusted.ctr-test", xv, sizeof(xv)), 4);
			assert_memory_equal(xv, "fifo", 4);
		}
	}
	assert_int_equal(lst(r, "sticky").st_mode & 07777, 01777);
	st = lst(r, "dir/link");
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_mtim.tv_sec, 1000000004);
	path_of(p, r, "dir/link");
	char t[16] = "";
	assert_int_equal(readlink(p, t, sizeof(t) - 1), 4);
	assert_string_equal(t, "file");
	st = lst(r, "dir/fifo");
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_content(r, "implicit/parent/file", "deep");
	assert_content(r, "dir/empty", "");
	assert_content(r, "replace", "second");
	st = lst(r, "dir2");
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(st.st_mtim.tv_sec, 1000000005);
	assert_content(r, "dir2/inside", "i");
	assert_int_equal(lst(r, ".").st_mtim.tv_sec, 1111111111);
}

static void test_types(void **state)
{
	if (!is_root)
		skip();
	const char *files[] = {"types.tar", "types.tar.gz", "types.tar.zst", "multi.tar.gz"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(files); i++) {
		fresh_root();
		apply_ok(root, files[i], NULL);
		check_types(root, true);
	}
	fresh_root();
}

static void test_unprivileged(void **state)
{
	/* as a caller without privileges says: no chown, no device nodes, late modes for 0555 dirs */
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	o.unprivileged = true;
	fresh_root();
	char msg[1024];
	assert_int_equal(apply_into(root, "types.tar", NULL, &o, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "dir/null"));
	assert_non_null(strstr(msg, "needs root"));
	fresh_root();
	apply_ok(root, "lower.tar", &o);
	assert_content(root, "c/kept/lowerf", "l");
	fresh_root();
}

static void test_sparse(void **state)
{
	fresh_root();
	apply_ok(root, "sparse.tar", NULL);
	size_t len = 0;
	char *c = slurp(root, "_sparse", &len);
	assert_non_null(c);
	assert_int_equal(len, 8 << 20);
	assert_memory_equal(c + (4 << 20), "middle", 6);
	assert_memory_equal(c + (8 << 20) - 3, "end", 3);
	free(c);
	assert_true(lst(root, "_sparse").st_blocks * 512 < (1 << 20));
	fresh_root();
}

/* Feed the blob through a pipe: no size, no seeking. */
static void test_pipe(void **state)
{
	if (!is_root)
		skip();
	fresh_root();
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[PATH_MAX];
		path_of(path, corpus, "types.tar.gz");
		int fd = open(path, O_RDONLY);
		char buf[333]; /* small writes: the magic check and the decoder see short reads */
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	char dg[CTR_DIGEST_STR_MAX];
	digest_file("types.tar.gz", CTR_DIGEST_SHA256, dg);
	struct ctr_layer_desc d = {"application/vnd.oci.image.layer.v1.tar+gzip", dg, -1, NULL, "piped layer"};
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ctr_error *e = NULL;
	int r = ctr_layer_apply(rfd, p[0], &d, NULL, NULL, &e);
	if (r)
		fail_msg("%s", ctr_error_message(e));
	close(rfd);
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	check_types(root, true);
	fresh_root();
}

/* ---- whiteouts ---- */

static void check_merged(const char *r)
{
	assert_content(r, "a/keep", "k");
	assert_missing(r, "a/gone");
	assert_missing(r, "a/.wh.gone");
	assert_missing(r, "a/.wh..wh.plnk");
	assert_missing(r, "b");
	assert_missing(r, "c/old");
	assert_missing(r, "c/olddir");
	assert_content(r, "c/new", "n");
	assert_content(r, "c/kept/upperf", "u");
	assert_missing(r, "c/kept/lowerf");
	assert_content(r, "e", "upper-e"); /* the same layer's whiteout does not hide it */
	assert_content(r, "f/upper", "u");
	assert_missing(r, "f/lower");
	assert_missing(r, ".wh.nothing-there");
	assert_missing(r, "nothing-there");
}

static void test_whiteouts_apply(void **state)
{
	fresh_root();
	apply_ok(root, "lower.tar", NULL);
	apply_ok(root, "upper.tar", NULL);
	check_merged(root);
	fresh_root();
}

static void test_whiteouts_overlay(void **state)
{
	if (!is_root)
		skip();
	char lower[PATH_MAX], upper[PATH_MAX], merged[PATH_MAX];
	path_of(lower, tmp, "ovl-lower");
	path_of(upper, tmp, "ovl-upper");
	path_of(merged, tmp, "ovl-merged");
	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	assert_int_equal(mkdir(merged, 0755), 0);
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	o.whiteouts = CTR_WHITEOUT_OVERLAY;
	apply_ok(lower, "lower.tar", &o);
	apply_ok(upper, "upper.tar", &o);
	/* the layer directory holds overlayfs's own whiteouts */
	struct stat st = lst(upper, "a/gone");
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	assert_true(S_ISCHR(lst(upper, "b").st_mode));
	assert_missing(upper, "a/.wh.gone");
	char p[PATH_MAX], v[4];
	path_of(p, upper, "c");
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	path_of(p, upper, "f");
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_content(upper, "e", "upper-e");
	/* and the kernel reads them so */
	char opts[3 * PATH_MAX];
	assert_true(snprintf(opts, sizeof(opts), "lowerdir=%s:%s", upper, lower) < (int)sizeof(opts));
	if (mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0) {
		int e = errno;
		printf("# overlay mount: %s (overlay checks skipped)\n", strerror(e));
		assert_true(e == ENODEV || e == EPERM || e == EINVAL);
	} else {
		check_merged(merged);
		assert_int_equal(umount2(merged, MNT_DETACH), 0);
	}
	ctr_error *e = NULL;
	assert_int_equal(ctr_rm_tree_at(tmpfd, "ovl-lower", &e), 0);
	assert_int_equal(ctr_rm_tree_at(tmpfd, "ovl-upper", &e), 0);
	assert_int_equal(ctr_rm_tree_at(tmpfd, "ovl-merged", &e), 0);
}

/* ---- verification ---- */

static void expect_fail(const char *file, const struct ctr_layer_desc *d, int errnum, const char *s1, const char *s2)
{
	fresh_root();
	char msg[1024];
	int r = apply_into(root, file, d, NULL, msg, sizeof(msg));
	if (r != -errnum)
		fail_msg("%s: expected -%d, got %d (%s)", file, errnum, r, msg);
	if (s1 && !strstr(msg, s1))
		fail_msg("'%s' lacks '%s'", msg, s1);
	if (s2 && !strstr(msg, s2))
		fail_msg("'%s' lacks '%s'", msg, s2);
}

static void test_digests(void **state)
{
	char blob256[CTR_DIGEST_STR_MAX], blob512[CTR_DIGEST_STR_MAX], diff256[CTR_DIGEST_STR_MAX],
		diff512[CTR_DIGEST_STR_MAX];
	digest_file("lower.tar", CTR_DIGEST_SHA256, diff256);
	digest_file("lower.tar", CTR_DIGEST_SHA512, diff512);
	/* a gzip blob of lower.tar */
	char src[PATH_MAX], dst[PATH_MAX];
	path_of(src, corpus, "lower.tar");
	path_of(dst, corpus, "lower.tar.gz");
	char cmd[3 * PATH_MAX];
	assert_true(snprintf(cmd, sizeof(cmd), "gzip -n -c '%s' > '%s'", src, dst) < (int)sizeof(cmd));
	assert_int_equal(system(cmd), 0);
	digest_file("lower.tar.gz", CTR_DIGEST_SHA256, blob256);
	digest_file("lower.tar.gz", CTR_DIGEST_SHA512, blob512);
	assert_int_equal(strlen(blob512), 7 + 128);
	int64_t size = file_size("lower.tar.gz");
	const char *gz = "application/vnd.oci.image.layer.v1.tar+gzip";

	struct ctr_layer_desc d = {gz, blob256, size, diff256, "layer 1 (lower)"};
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar.gz", &d, NULL, NULL, 0), 0);
	struct ctr_layer_desc d512 = {gz, blob512, size, diff512, "layer 1 (sha512)"};
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar.gz", &d512, NULL, NULL, 0), 0);
	assert_content(root, "c/kept/lowerf", "l");
	/* uncompressed: the blob digest is the DiffID */
	struct ctr_layer_desc dt = {"application/vnd.oci.image.layer.v1.tar", diff256, file_size("lower.tar"), diff256,
				    "plain"};
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar", &dt, NULL, NULL, 0), 0);
	dt.diff_id = diff512;
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar", &dt, NULL, NULL, 0), 0);

	/* digest mismatch: both the expected and the computed digest in the message */
	char wrong[CTR_DIGEST_STR_MAX];
	snprintf(wrong, sizeof(wrong), "sha256:%064d", 0);
	struct ctr_layer_desc bad = d;
	bad.digest = wrong;
	expect_fail("lower.tar.gz", &bad, EBADMSG, wrong, blob256);
	expect_fail("lower.tar.gz", &bad, EBADMSG, "layer 1 (lower)", "digest mismatch");
	bad = d512;
	snprintf(wrong, sizeof(wrong), "sha512:%0128d", 0);
	bad.digest = wrong;
	expect_fail("lower.tar.gz", &bad, EBADMSG, wrong, blob512);
	/* DiffID mismatch */
	bad = d;
	snprintf(wrong, sizeof(wrong), "sha256:%064d", 1);
	bad.diff_id = wrong;
	expect_fail("lower.tar.gz", &bad, EBADMSG, "DiffID", diff256);
	bad = dt;
	bad.diff_id = wrong;
	expect_fail("lower.tar", &bad, EBADMSG, "DiffID", wrong);
	/* size mismatch, either way */
	bad = d;
	bad.size = size + 1;
	expect_fail("lower.tar.gz", &bad, EBADMSG, "size mismatch", NULL);
	bad.size = size - 1;
	expect_fail("lower.tar.gz", &bad, EBADMSG, "size mismatch", NULL);
	/* media type against magic bytes, unknown media types, digest syntax */
	bad = d;
	bad.media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
	expect_fail("lower.tar.gz", &bad, EBADMSG, "zstd", "gzip");
	bad.media_type = "application/vnd.oci.image.layer.v1.tar";
	expect_fail("lower.tar.gz", &bad, EBADMSG, "uncompressed tar", "gzip");
	bad.media_type = "application/vnd.docker.image.rootfs.diff.tar.gzip";
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar.gz", &bad, NULL, NULL, 0), 0);
	bad.media_type = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar.gz", &bad, NULL, NULL, 0), 0);
	bad.media_type = "application/vnd.example.layer.v1.squashfs";
	expect_fail("lower.tar.gz", &bad, ENOTSUP, "squashfs", NULL);
	bad = d;
	bad.digest = "sha256:ABC";
	expect_fail("lower.tar.gz", &bad, EINVAL, "sha256:ABC", NULL);
	bad.digest = "md5:d41d8cd98f00b204e9800998ecf8427e";
	expect_fail("lower.tar.gz", &bad, ENOTSUP, "md5", NULL);
	fresh_root();
}

static void test_digest_api(void **state)
{
	ctr_error *e = NULL;
	const char *empty256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	assert_int_equal(ctr_digest_check_buf("", 0, empty256, 0, "empty", &e), 0);
	assert_int_equal(ctr_digest_check_buf("x", 1, empty256, -1, "config", &e), -EBADMSG);
	assert_non_null(strstr(ctr_error_message(e), "config: digest mismatch: expected sha256:e3b0"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_digest_check_buf("", 0, empty256, 3, "manifest", &e), -EBADMSG);
	assert_non_null(strstr(ctr_error_message(e), "size mismatch"));
	ctr_error_free(e);
	e = NULL;
	enum ctr_digest_alg alg;
	unsigned char raw[64];
	size_t rl;
	assert_int_equal(ctr_digest_parse(empty256, &alg, raw, &rl, NULL), 0);
	assert_int_equal(alg, CTR_DIGEST_SHA256);
	assert_int_equal(rl, 32);
	assert_int_equal(raw[0], 0xe3);
	const char *bad[] = {"", "sha256", "sha256:", ":abc", "SHA256:e3b0", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
			     "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "sha256+:ab", "a..b:cd"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(bad); i++) {
		assert_true(ctr_digest_parse(bad[i], NULL, NULL, NULL, &e) < 0);
		assert_non_null(e);
		ctr_error_free(e);
		e = NULL;
	}
	assert_int_equal(ctr_digest_parse("blake3:abcd", NULL, NULL, NULL, &e), -ENOTSUP);
	ctr_error_free(e);
	struct ctr_digest z;
	memset(&z, 0, sizeof(z));
	ctr_digest_free(&z);
	struct ctr_digest d;
	assert_int_equal(ctr_digest_begin(&d, NULL, NULL), 0);
	ctr_digest_update(&d, "abc", 3);
	char got[CTR_DIGEST_STR_MAX];
	assert_int_equal(ctr_digest_finish(&d, "abc", got, sizeof(got), NULL), 0);
	assert_string_equal(got, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ctr_digest_free(&d);
}

/* ---- cancellation, progress, removal ---- */

static int count_progress(void *ud, const struct ctr_layer_stats *st)
{
	int *n = ud;
	(*n)++;
	return *n >= 2;
}

static void test_cancel(void **state)
{
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	volatile int cancel = 1;
	o.cancel = &cancel;
	char msg[512];
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar", NULL, &o, msg, sizeof(msg)), -ECANCELED);
	ctr_layer_opts_init(&o);
	int n = 0;
	o.progress = count_progress;
	o.progress_ud = &n;
	fresh_root();
	/* lower.tar has 16 entries: the first report comes at entry 64 or at the end */
	assert_int_equal(apply_into(root, "lower.tar", NULL, &o, msg, sizeof(msg)), 0);
	assert_int_equal(n, 1);
	/* an options struct from a newer caller with unknown fields set is refused */
	struct {
		struct ctr_layer_opts o;
		int extra;
	} big = {.extra = 1};
	ctr_layer_opts_init(&big.o);
	big.o.size = sizeof(big);
	assert_int_equal(apply_into(root, "lower.tar", NULL, &big.o, msg, sizeof(msg)), -E2BIG);
	fresh_root();
}

static void test_rm_tree(void **state)
{
	/* deeper than the fd limit, with a symlink to a directory outside that must not be followed */
	assert_int_equal(mkdirat(tmpfd, "deep", 0755), 0);
	int fd = openat(tmpfd, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 1500; i++) {
		assert_int_equal(mkdirat(fd, "d", 0700), 0);
		if (i % 100 == 0) {
			assert_int_equal(symlinkat(outside, fd, "out"), 0);
			int f = openat(fd, "file", O_CREAT | O_WRONLY | O_CLOEXEC, 0);
			assert_true(f >= 0);
			close(f);
		}
		int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	close(fd);
	char *before = snapshot();
	ctr_error *e = NULL;
	int r = ctr_rm_tree_at(tmpfd, "deep", &e);
	if (r)
		fail_msg("%s", ctr_error_message(e));
	struct stat st;
	assert_true(fstatat(tmpfd, "deep", &st, AT_SYMLINK_NOFOLLOW) < 0);
	char *after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(ctr_rm_tree_at(tmpfd, "deep", &e), 0); /* ENOENT is success */
	assert_int_equal(ctr_rm_tree_at(tmpfd, "../x", &e), -EINVAL);
	ctr_error_free(e);
}

static int run_generator(const char *script)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("python3", "python3", script, corpus, outside, tag, (char *)NULL);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-layer MK-LAYERS.PY\n");
		return 2;
	}
	is_root = geteuid() == 0;
	snprintf(tmp, sizeof(tmp), "/tmp/ctr-layer-test-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(tag, sizeof(tag), "%d", (int)getpid());
	path_of(corpus, tmp, "corpus");
	path_of(outside, tmp, "outside");
	path_of(root, tmp, "root");
	/* the sentinel tree that hostile entries aim at */
	mkdir(outside, 0755);
	mkdirat(tmpfd, "outside/sub", 0755);
	int f = openat(tmpfd, "outside/secret", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (f < 0 || write(f, "secret\n", 7) != 7) {
		perror("sentinel");
		return 1;
	}
	close(f);
	symlinkat("/etc", tmpfd, "outside/sub/etc");
	mkdirat(tmpfd, "root", 0755);
	int g = run_generator(argv[1]);
	if (g != 0) {
		fprintf(stderr, "%s failed (%d)\n", argv[1], g);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_whiteouts_apply),
		cmocka_unit_test(test_whiteouts_overlay),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_digest_api),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_rm_tree),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	ctr_error *e = NULL;
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s", strrchr(tmp, '/') + 1);
	int t = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctr_rm_tree_at(t, name, &e) < 0)
		fprintf(stderr, "cleanup: %s\n", ctr_error_message(e));
	ctr_error_free(e);
	close(t);
	close(tmpfd);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Layer extraction against the real kernel: the hostile corpus written by
 * mk-layers.py (each case must fail or stay contained, and nothing outside
 * the root may change), every entry type with ownership, modes, xattrs and
 * times, whiteouts and opaque directories in both modes (the overlay one
 * mounted for real), gzip/zstd/plain/multi-member/pipe, sha256/sha512,
 * digest, size and DiffID mismatches, cancellation and ctr_rm_tree_at.
 *
 * The writer threads: every ordering case of order.txt gives the same tree
 * with none, 1, 2, 4 and the default number, a full disk fails naming the
 * entry, cancellation stops them; every file of a 27 MB layer has its bytes
 * whichever the decoder and the number of writers (they hold the stream's
 * buffers).  --writers N runs the whole suite with N (the default number
 * otherwise; meson runs it with -1 as well).
 *
 *   test-layer MK-LAYERS.PY [--writers N]
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "image/digest.h"
#include "image/layer.h"
#include "internal.h"

static char tmp[PATH_MAX], corpus[PATH_MAX], outside[PATH_MAX], root[PATH_MAX], tag[32];
static int tmpfd = -1;
static bool is_root;
static int writers; /* --writers N: ctr_layer_opts.writers for the whole suite (0: the default) */

static void opts_init(struct ctr_layer_opts *o)
{
	ctr_layer_opts_init(o);
	o->writers = writers;
}

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
	struct ctr_layer_opts def;
	if (!o) {
		opts_init(&def);
		o = &def;
	}
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

/* A case list that mk-layers.py wrote (hostile.txt, order.txt). */
static FILE *open_cases(const char *file)
{
	char list[PATH_MAX];
	path_of(list, corpus, file);
	FILE *f = fopen(list, "re");
	assert_non_null(f);
	return f;
}

/* The next case of the list: its n '|'-separated fields (all present) in field[]; false at the end. */
static bool next_case(FILE *f, char *line, int size, char **field, size_t n)
{
	if (!fgets(line, size, f))
		return false;
	line[strcspn(line, "\n")] = '\0';
	for (size_t i = 0; i < n; i++)
		assert_non_null(field[i] = strtok(i ? NULL : line, "|"));
	return true;
}

/* ---- the hostile corpus ---- */

static void test_hostile(void **state)
{
	FILE *f = open_cases("hostile.txt");
	char line[1024];
	int n = 0;
	char *before = snapshot();
	char *fl[4];
	while (next_case(f, line, sizeof(line), fl, 4)) {
		char *name = fl[0], *opts = fl[1], *expect = fl[2], *files = fl[3];
		struct ctr_layer_opts o;
		opts_init(&o);
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
	opts_init(&o);
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
	struct ctr_layer_opts o;
	opts_init(&o);
	int r = ctr_layer_apply(rfd, p[0], &d, &o, NULL, &e);
	if (r)
		fail_msg("%s", ctr_error_message(e));
	close(rfd);
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	check_types(root, true);
	fresh_root();
}

/*
 * A tee (an import's copy of the blob into the store): every byte read, in
 * order, and nothing else; it needs the digest; a write that fails fails
 * the apply, naming the copy.
 */
static void test_tee(void **state)
{
	if (!is_root)
		skip(); /* the corpus's device nodes */
	char dg[CTR_DIGEST_STR_MAX], blob[PATH_MAX], copy[PATH_MAX], cmd[3 * PATH_MAX];
	digest_file("types.tar.gz", CTR_DIGEST_SHA256, dg);
	path_of(blob, corpus, "types.tar.gz");
	path_of(copy, corpus, "tee-copy");
	struct ctr_layer_desc d = {"application/vnd.oci.image.layer.v1.tar+gzip", dg, file_size("types.tar.gz"), NULL,
				   "teed layer"};
	for (int w = 0; w < 2; w++) {
		fresh_root();
		struct ctr_layer_opts o;
		opts_init(&o);
		o.tee = true;
		o.tee_fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(o.tee_fd >= 0);
		if (w) { /* the copy opened read-only: its writes fail */
			close(o.tee_fd);
			o.tee_fd = open(copy, O_RDONLY | O_CLOEXEC);
		}
		char msg[1024];
		int r = apply_into(root, "types.tar.gz", &d, &o, msg, sizeof(msg));
		close(o.tee_fd);
		if (!w) {
			if (r)
				fail_msg("%s", msg);
			check_types(root, true);
			assert_true(snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", blob, copy) < (int)sizeof(cmd));
			assert_int_equal(system(cmd), 0);
		} else {
			assert_int_equal(r, -EBADF);
			if (!strstr(msg, "teed layer: writing the store's copy of the blob"))
				fail_msg("'%s'", msg);
		}
	}
	/* no digest, no tee: the copy would be of bytes nobody checked */
	struct ctr_layer_desc nd = d;
	nd.digest = NULL;
	struct ctr_layer_opts o;
	opts_init(&o);
	o.tee = true;
	o.tee_fd = open(copy, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(o.tee_fd >= 0);
	fresh_root();
	char msg[1024];
	assert_int_equal(apply_into(root, "types.tar.gz", &nd, &o, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "needs its digest"));
	close(o.tee_fd);
	unlink(copy);
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
	opts_init(&o);
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
	/*
	 * A blob that starts at the fd's offset, inside a larger file: the
	 * blob's digest covers the blob's bytes only, and a file that goes on
	 * past the blob is a size mismatch.
	 */
	{
		char gzp[PATH_MAX], pre[PATH_MAX];
		path_of(gzp, corpus, "lower.tar.gz");
		path_of(pre, corpus, "prefixed.gz");
		assert_true(snprintf(cmd, sizeof(cmd), "{ head -c 5000 /dev/zero; cat '%s'; } > '%s'", gzp, pre) <
			    (int)sizeof(cmd));
		assert_int_equal(system(cmd), 0);
		for (int tail = 0; tail < 2; tail++) {
			if (tail) {
				assert_true(snprintf(cmd, sizeof(cmd), "printf x >> '%s'", pre) < (int)sizeof(cmd));
				assert_int_equal(system(cmd), 0);
			}
			for (int wrong_digest = 0; wrong_digest < 2; wrong_digest++) {
				fresh_root();
				int fd = open(pre, O_RDONLY | O_CLOEXEC);
				assert_true(fd >= 0);
				assert_int_equal(lseek(fd, 5000, SEEK_SET), 5000);
				int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				assert_true(rfd >= 0);
				struct ctr_layer_desc dp = d;
				snprintf(wrong, sizeof(wrong), "sha256:%064d", 2);
				if (wrong_digest)
					dp.digest = wrong;
				struct ctr_layer_opts o;
				opts_init(&o);
				struct ctr_layer_stats st;
				ctr_error *e = NULL;
				int r = ctr_layer_apply(rfd, fd, &dp, &o, &st, &e);
				close(fd);
				close(rfd);
				if (!tail && !wrong_digest) {
					assert_int_equal(r, 0);
					assert_int_equal(st.bytes_in, (uint64_t)size);
					assert_content(root, "c/kept/lowerf", "l");
				} else {
					assert_int_equal(r, -EBADMSG);
					const char *msg = ctr_error_message(e);
					if (tail)
						assert_non_null(strstr(msg, "size mismatch"));
					else
						assert_true(strstr(msg, "digest mismatch") && strstr(msg, blob256));
				}
				ctr_error_free(e);
			}
		}
		unlink(pre);
	}
	/*
	 * A byte of the deflate data changed: read from a file, the blob is
	 * read to its end and its digest names the cause (the decoder's
	 * complaint after it); a blob whose digest is its descriptor's and
	 * that does not decode keeps the decoder's error alone.
	 */
	{
		char gzp[PATH_MAX], cor[PATH_MAX], cord[CTR_DIGEST_STR_MAX];
		path_of(gzp, corpus, "lower.tar.gz");
		path_of(cor, corpus, "corrupt.tar.gz");
		assert_true(snprintf(cmd, sizeof(cmd),
				     "cp '%s' '%s' && printf '\\377\\377\\377\\377' | dd of='%s' bs=1 seek=40 conv=notrunc status=none",
				     gzp, cor, cor) < (int)sizeof(cmd));
		assert_int_equal(system(cmd), 0);
		digest_file("corrupt.tar.gz", CTR_DIGEST_SHA256, cord);
		expect_fail("corrupt.tar.gz", &d, EBADMSG, "digest mismatch", "does not decode: gzip: ");
		expect_fail("corrupt.tar.gz", &d, EBADMSG, blob256, cord);
		bad = d;
		bad.digest = cord;
		expect_fail("corrupt.tar.gz", &bad, EBADMSG, "layer 1 (lower): gzip: ", NULL);
		char msg[1024];
		fresh_root();
		assert_int_equal(apply_into(root, "corrupt.tar.gz", &bad, NULL, msg, sizeof(msg)), -EBADMSG);
		assert_null(strstr(msg, "digest mismatch"));
		unlink(cor);
	}
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
	opts_init(&o);
	volatile int cancel = 1;
	o.cancel = &cancel;
	char msg[512];
	fresh_root();
	assert_int_equal(apply_into(root, "lower.tar", NULL, &o, msg, sizeof(msg)), -ECANCELED);
	opts_init(&o);
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
	opts_init(&big.o);
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

/* ---- the writer threads: same tree as the extracting thread alone ---- */

/* A sorted listing of a tree with everything extraction decides: type, mode,
 * owner, size, times, links, hardlink groups, user.* xattrs and a hash of the
 * whole content.  Directory times that no entry gave (implicit parents: the
 * time of extraction) are left out. */
struct tl {
	char *line;
	ino_t ino;
	bool linked; /* a non-directory with more than one link */
};
static struct tl *tl_line;
static size_t tl_n, tl_cap, tl_skip;
static int tree_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	const char *rel = strlen(p) >= tl_skip ? p + tl_skip : ""; /* the root itself: "" */
	char extra[PATH_MAX + 128] = "";
	if (S_ISREG(st->st_mode)) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		uint64_t h = 1469598103934665603ull;
		unsigned char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++)
				h = (h ^ buf[i]) * 1099511628211ull;
		assert_true(n == 0);
		close(fd);
		snprintf(extra, sizeof(extra), "h=%016llx", (unsigned long long)h);
	} else if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX] = "";
		assert_true(readlink(p, t, sizeof(t) - 1) >= 0);
		snprintf(extra, sizeof(extra), "-> %s", t);
	}
	char xl[1024] = "", xa[256] = "";
	ssize_t xn = llistxattr(p, xl, sizeof(xl));
	for (const char *nm = xl; xn > 0 && nm < xl + xn; nm += strlen(nm) + 1) {
		if (strncmp(nm, "user.", 5))
			continue;
		char v[64] = "";
		ssize_t vn = lgetxattr(p, nm, v, sizeof(v) - 1);
		size_t l = strlen(xa);
		if (l < sizeof(xa))
			snprintf(xa + l, sizeof(xa) - l, " %.60s=%.*s", nm, (int)(vn > 0 ? vn : 0), v);
	}
	bool dir = S_ISDIR(st->st_mode);
	long mt = (long)st->st_mtim.tv_sec;
	if (dir && mt > 1500000000)
		mt = 0;
	char line[2 * PATH_MAX + 512];
	int n = snprintf(line, sizeof(line), "%s %o %u:%u %lld %ld.%ld %lu %s%s", *rel ? rel : ".", st->st_mode,
			 st->st_uid, st->st_gid, dir ? 0LL : (long long)st->st_size, mt, dir ? 0L : st->st_mtim.tv_nsec,
			 dir ? 0UL : (unsigned long)st->st_nlink, extra, xa);
	assert_true(n > 0 && n < (int)sizeof(line));
	if (tl_n == tl_cap) {
		tl_cap = tl_cap ? tl_cap * 2 : 256;
		tl_line = realloc(tl_line, tl_cap * sizeof(*tl_line));
		assert_non_null(tl_line);
	}
	tl_line[tl_n++] = (struct tl){strdup(line), st->st_ino, !dir && st->st_nlink > 1};
	return 0;
}

static int cmp_tl(const void *a, const void *b)
{
	return strcmp(((const struct tl *)a)->line, ((const struct tl *)b)->line);
}

/* The listing as one string; a hardlinked file names the first path of its inode. */
static char *tree_listing(const char *dir)
{
	tl_n = 0;
	tl_skip = strlen(dir) + 1;
	assert_int_equal(nftw(dir, tree_one, 16, FTW_PHYS), 0);
	qsort(tl_line, tl_n, sizeof(*tl_line), cmp_tl);
	size_t len = 1;
	for (size_t i = 0; i < tl_n; i++)
		len += 2 * strlen(tl_line[i].line) + 16;
	char *out = malloc(len);
	assert_non_null(out);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < tl_n; i++) {
		const char *group = NULL;
		for (size_t k = 0; tl_line[i].linked && k < i && !group; k++)
			if (tl_line[k].linked && tl_line[k].ino == tl_line[i].ino)
				group = tl_line[k].line;
		int gl = group ? (int)strcspn(group, " ") : 0;
		o += (size_t)sprintf(out + o, "%s%s%.*s\n", tl_line[i].line, group ? " link-of " : "", gl,
				     group ? group : "");
	}
	for (size_t i = 0; i < tl_n; i++)
		free(tl_line[i].line);
	return out;
}

/* Apply a comma list of layers into dir with n writers; the result, the message in msg. */
static int apply_layers(const char *dir, const char *files, int n, unsigned delay_us, char *msg, size_t msz)
{
	char list[1024];
	snprintf(list, sizeof(list), "%s", files);
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	o.writers = n;
	o.writer_delay_us = delay_us;
	int r = 0;
	char *save = NULL;
	msg[0] = '\0';
	for (char *f = strtok_r(list, ",", &save); f && r == 0; f = strtok_r(NULL, ",", &save))
		r = apply_into(dir, f, NULL, &o, msg, msz);
	return r;
}

/* What some ordering cases must give, whatever the number of writers (the archive order's result). */
static const struct {
	const char *kase, *path, *content;
} order_content[] = {
	{"dup-small", "a", "333"},
	{"dup-big", "b2", "after"},
	{"big-then-small", "c", "small"},
	{"file-to-dir", "p/q", "q"},
	{"file-to-symlink", "s", "t"},
	{"symlink-to-file", "s2", "own"},
	{"symlink-to-file", "t2", "t"},
	{"implicit-parents", "i/sub/f2", "2"},
	{"implicit-parents", "j/k/l/m", "m"},
	{"file-under-file", "ff/g", "y"},
	{"hardlinks", "h/f", "new"},
	{"hardlinks", "h/l", "data"},
	{"setgid-late", "g/c1", "1"},
	{"setgid-late", "g/c2", "2"},
	{"dir-to-file", "d", "file"},
	{"xattr-after-queued", "x", "xa"},
	{"xattr-after-queued", "x2", "plain"},
	{"over-budget", "after2", "2"},
	{"lower-dir-upper-file", "L", "now a file"},
	{"lower-dir-upper-file", "N/z", "z"},
	{"lower-dir-upper-file", "w/new", "n"},
};

static const struct {
	const char *kase, *path;
	off_t size;
} order_size[] = {
	{"dup-big", "b", 5 << 19},
	{"small-then-big", "c", 3 << 20},
	{"chunk-edges", "e/1m+1", (1 << 20) + 1},
	{"chunk-edges", "e/2m-1", (2 << 20) - 1},
	{"hardlinks", "h/big", (2 << 20) + 5},
	{"many-small", "m29/f099", 6 * ((29 * 100 + 99) % 1500)}, /* "29/99;" repeated */
	{"over-budget", "huge", 20 << 20},
	{"over-budget", "huge2", (17 << 20) + 3},
	{"lower-dir-upper-file", "w/big", (1 << 20) + 7},
};

static void check_order_case(const char *name, const char *r)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(order_content); i++)
		if (!strcmp(name, order_content[i].kase))
			assert_content(r, order_content[i].path, order_content[i].content);
	for (size_t i = 0; i < CTR_ARRAY_SIZE(order_size); i++)
		if (!strcmp(name, order_size[i].kase))
			assert_int_equal(lst(r, order_size[i].path).st_size, order_size[i].size);
	if (!strcmp(name, "dup-big")) {
		size_t len = 0;
		char *c = slurp(r, "b", &len);
		assert_non_null(c);
		assert_memory_equal(c, "b2:0000000000:", 14);
		assert_memory_equal(c + 4096 * 600, "b2:0000000600:", 14);
		free(c);
	}
	if (!strcmp(name, "chunk-edges")) {
		size_t len = 0;
		char *c = slurp(r, "e/1m+1", &len);
		assert_non_null(c);
		assert_memory_equal(c + (1 << 20), "e", 1); /* the last byte: block 256 starts "e2:" */
		free(c);
	}
	if (!strcmp(name, "symlink-to-file"))
		assert_true(S_ISREG(lst(r, "s2").st_mode));
	if (!strcmp(name, "hardlinks")) {
		assert_int_equal(lst(r, "h/l2").st_ino, lst(r, "h/l").st_ino);
		assert_int_equal(lst(r, "h/bl").st_ino, lst(r, "h/big").st_ino);
	}
	if (!strcmp(name, "setgid-late") && is_root) {
		struct stat st = lst(r, "g");
		assert_int_equal(st.st_mode & 07777, 02775);
		assert_int_equal(st.st_gid, 6);
		assert_int_equal(st.st_mtim.tv_sec, 1000000008);
	}
	if (!strcmp(name, "many-small"))
		assert_int_equal(lst(r, "m07").st_mtim.tv_sec, 1000000107); /* after 100 files were written in it */
	if (!strcmp(name, "lower-dir-upper-file")) {
		assert_missing(r, "M/a");
		assert_missing(r, "w/old");
	}
}

static void test_writers(void **state)
{
	FILE *f = open_cases("order.txt");
	char line[1024];
	int ncase = 0;
	const int counts[] = {-1, 1, 2, 4, 0};
	/* on a tmpfs as root: creating thousands of files right after deleting
	 * thousands crawls on ext4 (it skips inodes deleted in the last minutes,
	 * reading the inode table for each), 3 s a run instead of 0.1 */
	assert_int_equal(mkdirat(tmpfd, "writers", 0755), 0);
	char wdir[PATH_MAX];
	path_of(wdir, tmp, "writers");
	bool tmpfs = is_root && mount("tmpfs", wdir, "tmpfs", 0, "size=512m,mode=0755") == 0;
	int wfd = open(wdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(wfd >= 0);
	char *fl[3];
	while (next_case(f, line, sizeof(line), fl, 3)) {
		char *name = fl[0], *expect = fl[1], *files = fl[2];
		if (!is_root && (!strcmp(name, "types") || !strcmp(name, "setgid-late")))
			continue;
		char *want = NULL, want_msg[1024] = "";
		int want_r = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (size_t i = 0; i < CTR_ARRAY_SIZE(counts); i++) {
			char rel[PATH_MAX], dir[PATH_MAX];
			snprintf(rel, sizeof(rel), "writers/%s.%zu", name, i);
			assert_int_equal(mkdirat(tmpfd, rel, 0755), 0);
			path_of(dir, tmp, rel);
			char msg[1024];
			/* 1 and 2 writers start each job 2 ms late: the parser is far ahead of
			 * them, so an entry that does not wait for a queued path shows (not
			 * for the 3,000 files of many-small: seconds, and nothing waits there) */
			unsigned delay = (counts[i] == 1 || counts[i] == 2) && strcmp(name, "many-small") ? 2000 : 0;
			int r = apply_layers(dir, files, counts[i], delay, msg, sizeof(msg));
			if (!strcmp(expect, "ok") && r != 0)
				fail_msg("%s (writers %d): %s", name, counts[i], msg);
			if (strcmp(expect, "ok") && (r == 0 || !strstr(msg, expect + 5)))
				fail_msg("%s (writers %d): expected '%s', got %d '%s'", name, counts[i], expect + 5, r, msg);
			char *got = tree_listing(dir);
			if (r == 0)
				check_order_case(name, dir);
			if (i == 0) {
				want = got;
				want_r = r;
				snprintf(want_msg, sizeof(want_msg), "%s", msg);
				continue;
			}
			/* after a failure the tree is partial: which files the writers finished may differ */
			if (r == 0 && strcmp(want, got))
				fail_msg("%s: writers %d give another tree than none:\n--- none\n%s--- %d writers\n%s", name,
					 counts[i], want, counts[i], got);
			assert_int_equal(r, want_r);
			assert_string_equal(msg, want_msg);
			free(got);
		}
		free(want);
		for (size_t i = 0; i < CTR_ARRAY_SIZE(counts); i++) {
			char rel[PATH_MAX];
			snprintf(rel, sizeof(rel), "%s.%zu", name, i);
			ctr_error *e = NULL;
			assert_int_equal(ctr_rm_tree_at(wfd, rel, &e), 0);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("# writers %s: same result with -1, 1, 2, 4 and the default (%ld ms)%s%s\n", name,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		       want_r ? ", refused: " : "", want_msg);
		ncase++;
	}
	fclose(f);
	assert_true(ncase >= 15);
	free(tl_line);
	tl_line = NULL;
	tl_n = tl_cap = 0;
	close(wfd);
	if (tmpfs)
		assert_int_equal(umount2(wdir, 0), 0); /* nothing left open there */
	assert_int_equal(unlinkat(tmpfd, "writers", AT_REMOVEDIR), 0);
}

/*
 * Every byte where it belongs: writer jobs hold the stream's decoded buffers
 * instead of copying them, and the buffers go round again once everyone let
 * go.  content.tar (gzip, zstd, plain, plain from a pipe in odd-sized
 * writes) with the blob digest and DiffID checked, then each file's sha256
 * and size against content.txt; 1 and 2 writers start each job late, so the
 * parser runs far ahead and the writers hold many buffers at once.
 */
static void check_content(const char *dir, const char *label)
{
	FILE *f = open_cases("content.txt");
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char path[256], hex[65];
		long long size;
		assert_int_equal(sscanf(line, "%255s %64s %lld", path, hex, &size), 3);
		size_t len = 0;
		char *c = slurp(dir, path, &len);
		if (!c)
			fail_msg("%s: %s is missing", label, path);
		struct ctr_digest d;
		char got[CTR_DIGEST_STR_MAX];
		assert_int_equal(ctr_digest_begin(&d, NULL, NULL), 0);
		ctr_digest_update(&d, c, len);
		assert_int_equal(ctr_digest_finish(&d, path, got, sizeof(got), NULL), 0);
		if ((long long)len != size || strcmp(got + 7, hex))
			fail_msg("%s: %s: %zu bytes, %s; the layer has %lld bytes, sha256:%s", label, path, len, got, size,
				 hex);
		free(c);
		n++;
	}
	fclose(f);
	assert_true(n > 150);
}

/* A child that writes the corpus file to a pipe in writes of chunk bytes; the read end. */
static int pipe_feed(const char *file, size_t chunk, pid_t *pid)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char path[PATH_MAX], buf[8192];
		path_of(path, corpus, file);
		int fd = open(path, O_RDONLY);
		ssize_t n;
		while ((n = read(fd, buf, chunk < sizeof(buf) ? chunk : sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static int stop_at_3(void *ud, const struct ctr_layer_stats *st)
{
	return ++*(int *)ud >= 3;
}

static void test_content(void **state)
{
	char diff[CTR_DIGEST_STR_MAX], gz[CTR_DIGEST_STR_MAX], zst[CTR_DIGEST_STR_MAX];
	digest_file("content.tar", CTR_DIGEST_SHA256, diff);
	digest_file("content.tar.gz", CTR_DIGEST_SHA256, gz);
	digest_file("content.tar.zst", CTR_DIGEST_SHA256, zst);
	const struct {
		const char *file, *mt, *digest;
	} blobs[] = {
		{"content.tar.gz", "application/vnd.oci.image.layer.v1.tar+gzip", gz},
		{"content.tar.zst", "application/vnd.oci.image.layer.v1.tar+zstd", zst},
		{"content.tar", "application/vnd.oci.image.layer.v1.tar", diff},
	};
	/* the writer counts: all of them for gzip, fewer for the others (the same code after the decoder) */
	const int counts[] = {-1, 1, 2, 4, 0};
	char cdir[PATH_MAX];
	path_of(cdir, tmp, "content");
	assert_int_equal(mkdir(cdir, 0755), 0);
	bool tmpfs = is_root && mount("tmpfs", cdir, "tmpfs", 0, "size=256m,mode=0755") == 0;
	for (size_t b = 0; b < CTR_ARRAY_SIZE(blobs) + 1; b++) {
		bool piped = b == CTR_ARRAY_SIZE(blobs);
		size_t bi = piped ? 2 : b;
		for (size_t i = 0; i < CTR_ARRAY_SIZE(counts); i++) {
			if (b > 0 && counts[i] != 1 && counts[i] != 0)
				continue;
			if (writers && counts[i] != writers)
				continue; /* the suite runs with one count (layer-serial) */
			char rel[64], dir[PATH_MAX], label[256];
			snprintf(rel, sizeof(rel), "%zu.%zu", b, i);
			path_of(dir, cdir, rel);
			assert_int_equal(mkdir(dir, 0755), 0);
			snprintf(label, sizeof(label), "%s%s, writers %d", blobs[bi].file, piped ? " from a pipe" : "",
				 counts[i]);
			struct ctr_layer_desc d = {blobs[bi].mt, blobs[bi].digest, piped ? -1 : file_size(blobs[bi].file),
						   diff, label};
			struct ctr_layer_opts o;
			ctr_layer_opts_init(&o);
			o.writers = counts[i];
			o.writer_delay_us = counts[i] == 1 || counts[i] == 2 ? 2000 : 0;
			char msg[1024];
			int r;
			if (piped) {
				pid_t pid;
				int fd = pipe_feed(blobs[bi].file, 4000, &pid);
				int rfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				ctr_error *e = NULL;
				r = ctr_layer_apply(rfd, fd, &d, &o, NULL, &e);
				snprintf(msg, sizeof(msg), "%s", r < 0 ? ctr_error_message(e) : "");
				ctr_error_free(e);
				close(rfd);
				close(fd);
				int status;
				waitpid(pid, &status, 0);
			} else {
				r = apply_into(dir, blobs[bi].file, &d, &o, msg, sizeof(msg));
			}
			if (r != 0)
				fail_msg("%s: %s", label, msg);
			check_content(dir, label);
			int cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ctr_error *e = NULL;
			assert_int_equal(ctr_rm_tree_at(cfd, rel, &e), 0);
			close(cfd);
		}
	}
	/*
	 * gzip through zlib, isa-l's fallback where libisal.so.2 does not load
	 * (it is opened on first use): the same tree; and a byte flipped in the
	 * deflate data, refused by either inflater with the layer named
	 */
	{
		char dir[PATH_MAX], msg[1024], src[PATH_MAX], bad[PATH_MAX];
		path_of(dir, cdir, "zlib");
		assert_int_equal(mkdir(dir, 0755), 0);
		struct ctr_layer_desc d = {blobs[0].mt, gz, file_size(blobs[0].file), diff, "through zlib"};
		struct ctr_layer_opts o;
		ctr_layer_opts_init(&o);
		o.zlib_only = true;
		if (apply_into(dir, blobs[0].file, &d, &o, msg, sizeof(msg)) != 0)
			fail_msg("content.tar.gz through zlib: %s", msg);
		check_content(dir, "content.tar.gz through zlib");
		int cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ctr_error *e = NULL;
		assert_int_equal(ctr_rm_tree_at(cfd, "zlib", &e), 0);
		path_of(src, corpus, "content.tar.gz");
		path_of(bad, corpus, "content-flipped.tar.gz");
		int in = open(src, O_RDONLY | O_CLOEXEC), out = open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(in >= 0 && out >= 0);
		off_t n = file_size("content.tar.gz");
		char *buf = malloc((size_t)n);
		assert_non_null(buf);
		assert_int_equal(read(in, buf, (size_t)n), n);
		buf[n / 2] ^= 0x5a;
		assert_int_equal(write(out, buf, (size_t)n), n);
		free(buf);
		close(in);
		close(out);
		d.digest = NULL; /* not the blob's digest: the inflater must see the damage */
		for (int z = 0; z < 2; z++) {
			assert_int_equal(mkdir(dir, 0755), 0);
			o.zlib_only = z;
			d.name = z ? "flipped, zlib" : "flipped";
			if (apply_into(dir, "content-flipped.tar.gz", &d, &o, msg, sizeof(msg)) != -EBADMSG)
				fail_msg("a flipped byte (%s): expected -EBADMSG, got '%s'", d.name, msg);
			if (!strstr(msg, d.name) || (!strstr(msg, "gzip: ") && !strstr(msg, "DiffID")))
				fail_msg("a flipped byte (%s): '%s' names neither the layer's gzip error nor its DiffID",
					 d.name, msg);
			assert_int_equal(ctr_rm_tree_at(cfd, "zlib", &e), 0);
		}
		close(cfd);
		assert_int_equal(unlink(bad), 0);
	}
	/* a failed digest or DiffID, and a cancel, while the hashers and the writers are busy: the error, no hang */
	const int fcounts[] = {-1, 1, 0};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(fcounts); i++) {
		struct ctr_layer_opts o;
		ctr_layer_opts_init(&o);
		o.writers = fcounts[i];
		o.writer_delay_us = fcounts[i] == 1 ? 500 : 0;
		char wrong[CTR_DIGEST_STR_MAX], msg[1024];
		snprintf(wrong, sizeof(wrong), "sha256:%064d", 0);
		struct ctr_layer_desc d = {blobs[0].mt, wrong, file_size(blobs[0].file), diff, "content"};
		assert_int_equal(apply_into(cdir, blobs[0].file, &d, &o, msg, sizeof(msg)), -EBADMSG);
		assert_non_null(strstr(msg, "digest mismatch"));
		assert_non_null(strstr(msg, gz));
		d.digest = gz;
		d.diff_id = wrong;
		assert_int_equal(apply_into(cdir, blobs[0].file, &d, &o, msg, sizeof(msg)), -EBADMSG);
		assert_non_null(strstr(msg, "DiffID"));
		d.diff_id = diff;
		int n = 0;
		o.progress = stop_at_3;
		o.progress_ud = &n;
		assert_int_equal(apply_into(cdir, blobs[0].file, &d, &o, msg, sizeof(msg)), -ECANCELED);
		assert_int_equal(n, 3);
		int cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ctr_error *e = NULL;
		assert_int_equal(ctr_rm_tree_at(cfd, "c", &e), 0);
		close(cfd);
	}
	if (tmpfs)
		assert_int_equal(umount2(cdir, 0), 0); /* no writer holds a file open there */
	assert_int_equal(rmdir(cdir), 0);
}

/* A full disk under the writers: the first failure is the error, it names the entry, nothing hangs. */
static int cancel_early(void *ud, const struct ctr_layer_stats *st)
{
	return ++*(int *)ud >= 2;
}

static void test_writers_enospc(void **state)
{
	if (!is_root)
		skip();
	char small[PATH_MAX];
	path_of(small, tmp, "small-fs");
	assert_int_equal(mkdir(small, 0755), 0);
	assert_int_equal(mount("tmpfs", small, "tmpfs", 0, "size=1m"), 0);
	const struct {
		const char *file, *entry;
	} cases[] = {{"enospc-big.tar", "big/file"}, {"enospc-small.tar", "small/f"}};
	const int counts[] = {-1, 1, 4};
	for (size_t c = 0; c < CTR_ARRAY_SIZE(cases); c++)
		for (size_t i = 0; i < CTR_ARRAY_SIZE(counts); i++) {
			char msg[1024];
			struct ctr_layer_opts o;
			ctr_layer_opts_init(&o);
			o.writers = counts[i];
			int r = apply_into(small, cases[c].file, NULL, &o, msg, sizeof(msg));
			if (r != -ENOSPC || !strstr(msg, cases[c].entry) || !strstr(msg, cases[c].file))
				fail_msg("%s (writers %d): expected ENOSPC naming %s, got %d '%s'", cases[c].file, counts[i],
					 cases[c].entry, r, msg);
			printf("# full disk, %d writers: %s\n", counts[i], msg);
			int sfd = open(small, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ctr_error *e = NULL;
			assert_int_equal(ctr_rm_tree_at(sfd, cases[c].entry[0] == 'b' ? "big" : "small", &e), 0);
			close(sfd);
		}
	assert_int_equal(umount2(small, 0), 0); /* no writer holds a file open there */
	assert_int_equal(rmdir(small), 0);
	/* cancelled from the progress callback while the writers have work queued */
	for (size_t i = 0; i < CTR_ARRAY_SIZE(counts); i++) {
		struct ctr_layer_opts o;
		ctr_layer_opts_init(&o);
		o.writers = counts[i];
		int n = 0;
		o.progress = cancel_early;
		o.progress_ud = &n;
		fresh_root();
		char msg[1024];
		assert_int_equal(apply_into(root, "order-many-small.0.tar", NULL, &o, msg, sizeof(msg)), -ECANCELED);
		assert_int_equal(n, 2);
	}
	fresh_root();
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
	if (argc == 4 && !strcmp(argv[2], "--writers"))
		writers = atoi(argv[3]);
	else if (argc != 2) {
		fprintf(stderr, "usage: test-layer MK-LAYERS.PY [--writers N]\n");
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
	if (symlinkat("/etc", tmpfd, "outside/sub/etc") < 0) {
		perror("sentinel symlink");
		return 1;
	}
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
		cmocka_unit_test(test_tee),
		cmocka_unit_test(test_digest_api),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_rm_tree),
		cmocka_unit_test(test_writers),
		cmocka_unit_test(test_writers_enospc),
		cmocka_unit_test(test_content),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	/* a failed test leaves its mounts behind */
	const char *mnt[] = {"writers", "small-fs", "ovl-merged", "content"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(mnt); i++) {
		char p[PATH_MAX];
		path_of(p, tmp, mnt[i]);
		umount2(p, MNT_DETACH);
	}
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

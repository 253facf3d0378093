/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/devices.c: plans applied to real directories under /tmp with
 * real device nodes (needs CAP_MKNOD; skipped with 77 without it unless
 * CTR_TESTS_MUST_RUN=1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "internal.h"
#include "need-root.h"
#include "linux/devices.h"

static char root[64];

static void need_root(void)
{
	need_root_for("mknod, mount namespaces");
}

static int setup_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ctr-dev-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown_root(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *rp(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", root, rel);
	return b;
}

static int open_root(void)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int build_apply(struct oci_device *devs, size_t n, bool userns, char *msg, size_t msglen)
{
	struct oci_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.has_linux = true;
	cfg.linux_.devices = devs;
	cfg.linux_.n_devices = n;
	struct ctr_dev_plan *plan = NULL;
	ctr_error *err = NULL;
	int r = ctr_dev_plan_build(&cfg, userns, &plan, &err);
	if (r < 0) {
		snprintf(msg, msglen, "%s", ctr_error_message(err));
		ctr_error_free(err);
		return r;
	}
	int fd = open_root();
	int before = 0, after = 0;
	for (int i = 0; i < 1024; i++)
		before += fcntl(i, F_GETFD) >= 0;
	r = ctr_dev_plan_apply(plan, fd, msg, msglen);
	for (int i = 0; i < 1024; i++)
		after += fcntl(i, F_GETFD) >= 0;
	if (before != after)
		fail_msg("apply leaked %d fds", after - before);
	close(fd);
	ctr_dev_plan_free(plan);
	return r;
}

static void check_node(const char *rel, mode_t type, unsigned maj, unsigned min, mode_t perm, uid_t uid, gid_t gid)
{
	struct stat st;
	assert_int_equal(lstat(rp(rel), &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	if (type != S_IFIFO) {
		assert_int_equal(major(st.st_rdev), maj);
		assert_int_equal(minor(st.st_rdev), min);
	}
	assert_int_equal(st.st_mode & 07777, perm);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

static void check_link(const char *rel, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(rp(rel), buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void test_defaults_and_devices(void **state)
{
	(void)state;
	need_root();
	char msg[1024];
	struct oci_device devs[] = {
		{ .path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229, .has_file_mode = true,
		  .file_mode = 0600, .has_uid = true, .uid = 1000, .has_gid = true, .gid = 1001 },
		{ .path = "/dev/sub/dir/loopx", .type = 'b', .major = 7, .minor = 0 },
		{ .path = "/dev/myfifo", .type = 'p', .major = -1, .minor = -1, .has_file_mode = true,
		  .file_mode = 0640 },
		/* overrides the default /dev/null; fileMode with type bits (S_IFCHR|0600) */
		{ .path = "/dev/null", .type = 'c', .major = 1, .minor = 3, .has_file_mode = true,
		  .file_mode = 020600 },
		/* '..' cannot leave the root: this is <root>/tmp/dotdot */
		{ .path = "/dev/../../../tmp/./dotdot", .type = 'u', .major = 1, .minor = 5 },
		/* outside /dev, as the spec allows */
		{ .path = "/opt/devs//zero2", .type = 'c', .major = 1, .minor = 5, .has_file_mode = true,
		  .file_mode = 0444 },
	};
	mode_t old = umask(022);
	int r = build_apply(devs, CTR_ARRAY_SIZE(devs), false, msg, sizeof(msg));
	assert_int_equal(umask(old), 022); /* restored */
	if (r < 0)
		fail_msg("apply: %s", msg);

	check_node("dev/null", S_IFCHR, 1, 3, 0600, 0, 0);
	check_node("dev/zero", S_IFCHR, 1, 5, 0666, 0, 0);
	check_node("dev/full", S_IFCHR, 1, 7, 0666, 0, 0);
	check_node("dev/random", S_IFCHR, 1, 8, 0666, 0, 0);
	check_node("dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0);
	check_node("dev/tty", S_IFCHR, 5, 0, 0666, 0, 0);
	check_node("dev/fuse", S_IFCHR, 10, 229, 0600, 1000, 1001);
	check_node("dev/sub/dir/loopx", S_IFBLK, 7, 0, 0666, 0, 0);
	check_node("dev/myfifo", S_IFIFO, 0, 0, 0640, 0, 0);
	check_node("tmp/dotdot", S_IFCHR, 1, 5, 0666, 0, 0);
	check_node("opt/devs/zero2", S_IFCHR, 1, 5, 0444, 0, 0);
	struct stat st;
	assert_int_equal(stat(rp("dev/sub/dir"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);

	check_link("dev/fd", "/proc/self/fd");
	check_link("dev/stdin", "/proc/self/fd/0");
	check_link("dev/stdout", "/proc/self/fd/1");
	check_link("dev/stderr", "/proc/self/fd/2");
	check_link("dev/ptmx", "pts/ptmx");
	assert_int_equal(lstat(rp("dev/core"), &st), -1);

	/* the nodes work: /dev/zero reads zeros */
	int fd = open(rp("dev/zero"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char b[4] = { 1, 1, 1, 1 };
	assert_int_equal(read(fd, b, 4), 4);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	close(fd);

	/* applying again replaces what is there (same devices, same symlinks) */
	r = build_apply(devs, CTR_ARRAY_SIZE(devs), false, msg, sizeof(msg));
	if (r < 0)
		fail_msg("second apply: %s", msg);
	check_node("dev/fuse", S_IFCHR, 10, 229, 0600, 1000, 1001);
}

static void test_ptmx_device_overrides_symlink(void **state)
{
	(void)state;
	need_root();
	char msg[1024];
	struct oci_device devs[] = {
		{ .path = "/dev/ptmx", .type = 'c', .major = 5, .minor = 2 },
	};
	assert_int_equal(build_apply(devs, 1, false, msg, sizeof(msg)), 0);
	check_node("dev/ptmx", S_IFCHR, 5, 2, 0666, 0, 0);
}

static void test_existing_entries(void **state)
{
	(void)state;
	need_root();
	char msg[1024];
	assert_int_equal(mkdir(rp("dev"), 0755), 0);
	/* a regular file at a default device path is replaced */
	int fd = open(rp("dev/null"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	/* a different file at a linux.devices path is an error (spec MUST) */
	fd = open(rp("dev/fuse"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	struct oci_device fuse = { .path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229 };
	assert_int_equal(build_apply(&fuse, 1, false, msg, sizeof(msg)), -EEXIST);
	assert_non_null(strstr(msg, "linux.devices[0] (/dev/fuse): the rootfs already has a different file"));
	check_node("dev/null", S_IFCHR, 1, 3, 0666, 0, 0);

	/* the same device is replaced, with the mode asked for */
	assert_int_equal(unlink(rp("dev/fuse")), 0);
	assert_int_equal(mknod(rp("dev/fuse"), S_IFCHR | 0600, makedev(10, 229)), 0);
	fuse.has_file_mode = true;
	fuse.file_mode = 0660;
	assert_int_equal(build_apply(&fuse, 1, false, msg, sizeof(msg)), 0);
	check_node("dev/fuse", S_IFCHR, 10, 229, 0660, 0, 0);

	/* a directory is never removed */
	assert_int_equal(unlink(rp("dev/tty")), 0);
	assert_int_equal(mkdir(rp("dev/tty"), 0755), 0);
	assert_int_equal(build_apply(NULL, 0, false, msg, sizeof(msg)), -EEXIST);
	assert_string_equal(msg, "default device /dev/tty: a directory exists at that path in the rootfs: "
				 "remove it from the rootfs or choose another path");
	assert_int_equal(rmdir(rp("dev/tty")), 0);
}

/* a set-group-ID /dev (a rootfs may ship one): a node made there takes the directory's group, so
 * one asked for as root:root is still chowned (devices.c skips the chown only when the new node
 * is owned as asked) */
static void test_setgid_dev_dir(void **state)
{
	(void)state;
	need_root();
	char msg[1024];
	assert_int_equal(mkdir(rp("dev"), 0755), 0);
	assert_int_equal(chown(rp("dev"), 0, 5), 0);
	assert_int_equal(chmod(rp("dev"), 02755), 0);
	struct oci_device mine = { .path = "/dev/mine", .type = 'c', .major = 1, .minor = 3, .has_gid = true, .gid = 5 };
	assert_int_equal(build_apply(&mine, 1, false, msg, sizeof(msg)), 0);
	check_node("dev/null", S_IFCHR, 1, 3, 0666, 0, 0);
	check_node("dev/zero", S_IFCHR, 1, 5, 0666, 0, 0);
	check_node("dev/mine", S_IFCHR, 1, 3, 0666, 0, 5);
}

static bool dir_is_empty(const char *path)
{
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", path);
	return system(cmd) == 0;
}

static void test_hostile_symlinks(void **state)
{
	(void)state;
	need_root();
	char msg[1024];
	char outside[] = "/tmp/ctr-outside-XXXXXX";
	assert_non_null(mkdtemp(outside));

	/* rootfs/dev -> /tmp/outside-XXXX (absolute): resolved inside the root, where it does not exist */
	assert_int_equal(symlink(outside, rp("dev")), 0);
	struct oci_device d = { .path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229 };
	int r = build_apply(&d, 1, false, msg, sizeof(msg));
	assert_true(r < 0);
	assert_non_null(strstr(msg, "default device /dev/null: create the parent directory"));
	assert_true(dir_is_empty(outside));

	/* when the target exists inside the root, the nodes land there */
	char inside[PATH_MAX];
	snprintf(inside, sizeof(inside), "%s%s", root, outside);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", inside);
	assert_int_equal(system(cmd), 0);
	r = build_apply(&d, 1, false, msg, sizeof(msg));
	if (r < 0)
		fail_msg("apply: %s", msg);
	assert_true(dir_is_empty(outside));
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/fuse", inside);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	/* a relative symlink climbing out: rootfs/dev -> ../../../../../tmp/outside-XXXX */
	assert_int_equal(unlink(rp("dev")), 0);
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "../../../../../../..%s", outside);
	assert_int_equal(symlink(rel, rp("dev")), 0);
	r = build_apply(&d, 1, false, msg, sizeof(msg));
	if (r < 0)
		fail_msg("apply: %s", msg);
	assert_true(dir_is_empty(outside));

	/* a symlink as the device's own name is replaced, not followed */
	assert_int_equal(unlink(rp("dev")), 0);
	assert_int_equal(mkdir(rp("dev"), 0755), 0);
	char victim[PATH_MAX + 16];
	snprintf(victim, sizeof(victim), "%s/victim", outside);
	assert_int_equal(symlink(victim, rp("dev/full")), 0);
	r = build_apply(NULL, 0, false, msg, sizeof(msg));
	if (r < 0)
		fail_msg("apply: %s", msg);
	check_node("dev/full", S_IFCHR, 1, 7, 0666, 0, 0);
	assert_true(dir_is_empty(outside));

	/* a '..'-laden device path stays inside */
	struct oci_device dd = { .path = "/../../../../..", .type = 'c', .major = 1, .minor = 3 };
	dd.path = (char *)"/dev/../../..//..//tmp/../ctr-dotdot";
	r = build_apply(&dd, 1, false, msg, sizeof(msg));
	if (r < 0)
		fail_msg("apply: %s", msg);
	check_node("ctr-dotdot", S_IFCHR, 1, 3, 0666, 0, 0);
	assert_int_equal(access("/ctr-dotdot", F_OK), -1);
	assert_int_equal(access("/tmp/ctr-dotdot", F_OK), -1);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
	assert_int_equal(system(cmd), 0);
}

static void test_build_errors(void **state)
{
	(void)state;
	struct {
		struct oci_device d[2];
		size_t n;
		const char *want;
	} cases[] = {
		{ { { .path = "dev/x", .type = 'c', .major = 1, .minor = 3 } }, 1, "linux.devices[0].path: 'dev/x' is not an absolute path" },
		{ { { .path = "/dev/x", .type = 'z', .major = 1, .minor = 3 } }, 1, "linux.devices[0].type: 'z' is not a device type" },
		{ { { .path = "/dev/x", .type = 'c', .major = 4096, .minor = 3 } }, 1, "major:minor 4096:3 is out of range" },
		{ { { .path = "/dev/x", .type = 'b', .major = -1, .minor = 3 } }, 1, "major:minor -1:3 is out of range" },
		{ { { .path = "/dev/..", .type = 'c', .major = 1, .minor = 3 } }, 1, "names the root directory" },
		{ { { .path = "/dev/x", .type = 'c', .major = 1, .minor = 3 },
		    { .path = "/dev//./x", .type = 'c', .major = 1, .minor = 5 } }, 2, "linux.devices[1].path: '/dev//./x' is also linux.devices[0]" },
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cases); i++) {
		struct oci_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.linux_.devices = cases[i].d;
		cfg.linux_.n_devices = cases[i].n;
		struct ctr_dev_plan *plan = (struct ctr_dev_plan *)1;
		ctr_error *err = NULL;
		assert_int_equal(ctr_dev_plan_build(&cfg, false, &plan, &err), -EINVAL);
		assert_null(plan);
		assert_int_equal(ctr_error_code_of(err), CTR_E_SPEC);
		if (!strstr(ctr_error_message(err), cases[i].want))
			fail_msg("case %zu: got '%s'", i, ctr_error_message(err));
		ctr_error_free(err);
	}
	/* no config: the defaults alone */
	struct ctr_dev_plan *plan = NULL;
	assert_int_equal(ctr_dev_plan_build(NULL, false, &plan, NULL), 0);
	assert_non_null(plan);
	ctr_dev_plan_free(plan);
	ctr_dev_plan_free(NULL);
	char eb[8];
	assert_int_equal(ctr_dev_plan_apply(NULL, -1, eb, sizeof(eb)), 0);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * In a forked child: a new user namespace mapping root to our own uid (what
 * a process may map for itself), then a private mount namespace owned by it.
 * mknod of devices is refused there, as in a real rootless container.
 */
static int enter_userns(void)
{
	char umap[32], gmap[32];
	snprintf(umap, sizeof(umap), "0 %u 1", (unsigned)geteuid());
	snprintf(gmap, sizeof(gmap), "0 %u 1", (unsigned)getegid());
	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	if (write_str("/proc/self/setgroups", "deny") < 0 || write_str("/proc/self/uid_map", umap) < 0 ||
	    write_str("/proc/self/gid_map", gmap) < 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return 0;
}

static void test_userns_plan(void **state)
{
	(void)state;
	/* a user namespace: no root needed */
	/* a device the host does not have: refused at build time, naming it */
	struct oci_device missing = { .path = "/dev/nonexistent-dev", .type = 'c', .major = 4000, .minor = 77 };
	struct oci_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.linux_.devices = &missing;
	cfg.linux_.n_devices = 1;
	struct ctr_dev_plan *plan = NULL;
	ctr_error *err = NULL;
	assert_int_equal(ctr_dev_plan_build(&cfg, true, &plan, &err), -ENODEV);
	assert_non_null(strstr(ctr_error_message(err), "linux.devices[0] (/dev/nonexistent-dev): in a user namespace"));
	assert_non_null(strstr(ctr_error_message(err), "4000:77"));
	ctr_error_free(err);
	err = NULL;

	/*
	 * The bind path, in a real user namespace: the nodes are the host's,
	 * found by path or by number.
	 */
	struct oci_device devs[] = {
		{ .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
		{ .path = "/dev/zero-by-number", .type = 'c', .major = 1, .minor = 5 },
		{ .path = "/dev/fifo", .type = 'p', .major = -1, .minor = -1, .has_file_mode = true, .file_mode = 0600 },
	};
	/* /dev/zero-by-number: found as /dev/char/1:5 with udev, else by scanning /dev */
	cfg.linux_.n_devices = 3;
	cfg.linux_.devices = devs;
	assert_int_equal(ctr_dev_plan_build(&cfg, true, &plan, &err), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[1024];
		if (enter_userns() < 0)
			_exit(10);
		int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* a plan made without in_userns fails there, and says what to do */
		struct ctr_dev_plan *noplan = NULL;
		struct oci_config none;
		memset(&none, 0, sizeof(none));
		if (ctr_dev_plan_build(&none, false, &noplan, NULL) < 0)
			_exit(18);
		int r = ctr_dev_plan_apply(noplan, fd, msg, sizeof(msg));
		ctr_dev_plan_free(noplan);
		if (r != -EPERM || !strstr(msg, "default device /dev/null: mknod: Operation not permitted (")) {
			fprintf(stderr, "expected EPERM, got %d: %s\n", r, msg);
			_exit(19);
		}
		r = ctr_dev_plan_apply(plan, fd, msg, sizeof(msg));
		if (r < 0) {
			fprintf(stderr, "apply: %s\n", msg);
			_exit(11);
		}
		struct stat st;
		if (stat(rp("dev/null"), &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
			_exit(12);
		if (stat(rp("dev/tty"), &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 0))
			_exit(13);
		if (cfg.linux_.n_devices == 3 &&
		    (stat(rp("dev/zero-by-number"), &st) < 0 || st.st_rdev != makedev(1, 5)))
			_exit(14);
		if (stat(rp("dev/fifo"), &st) < 0 || !S_ISFIFO(st.st_mode) || (st.st_mode & 07777) != 0600)
			_exit(15);
		/* the bind is the host's node: writing to it works */
		int w = open(rp("dev/null"), O_WRONLY | O_CLOEXEC);
		if (w < 0 || write(w, "x", 1) != 1)
			_exit(16);
		/* a second apply (files left from the first) is accepted */
		if (umount2(rp("dev/null"), MNT_DETACH) < 0)
			_exit(17);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* outside that namespace only the empty bind targets are left */
	struct stat st;
	assert_int_equal(lstat(rp("dev/null"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);

	/* and a later run over them works */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[1024];
		if (enter_userns() < 0)
			_exit(10);
		int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctr_dev_plan_apply(plan, fd, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "apply: %s\n", msg);
			_exit(11);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ctr_dev_plan_free(plan);
}

/* Make the given syscalls fail with ENOSYS in this process, as an old kernel or a container profile does. */
static void deny_enosys(const int *nrs, size_t n)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		_exit(30);
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), nrs[i], 0) < 0)
			_exit(31);
	if (seccomp_load(f) < 0)
		_exit(32);
	seccomp_release(f);
}

/* Without openat2 the fallback walk refuses symlinks rather than follow them. */
static void test_no_openat2_fallback(void **state)
{
	(void)state;
	need_root();
	char outside[] = "/tmp/ctr-outside-XXXXXX";
	assert_non_null(mkdtemp(outside));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[1024];
		const int nrs[] = { SCMP_SYS(openat2) };
		deny_enosys(nrs, 1);
		struct oci_device d = { .path = "/dev/a/b/fuse", .type = 'c', .major = 10, .minor = 229 };
		if (build_apply(&d, 1, false, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "apply: %s\n", msg);
			_exit(1);
		}
		struct stat st;
		if (lstat(rp("dev/a/b/fuse"), &st) < 0 || !S_ISCHR(st.st_mode) || lstat(rp("dev/null"), &st) < 0)
			_exit(2);
		/* rootfs/opt -> /tmp/outside: refused (ELOOP/ENOTDIR), nothing created outside */
		if (symlink(outside, rp("opt")) < 0)
			_exit(3);
		struct oci_device o = { .path = "/opt/fuse", .type = 'c', .major = 10, .minor = 229 };
		if (build_apply(&o, 1, false, msg, sizeof(msg)) >= 0)
			_exit(4);
		if (!strstr(msg, "linux.devices[0] (/opt/fuse): open the parent directory"))
			_exit(5);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(dir_is_empty(outside));
	assert_int_equal(rmdir(outside), 0);
}

/* Without open_tree/move_mount the bind goes through mount(2) and /proc/self/fd. */
static void test_no_new_mount_api_fallback(void **state)
{
	(void)state;
	/* a user namespace: no root needed */
	struct oci_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct ctr_dev_plan *plan = NULL;
	assert_int_equal(ctr_dev_plan_build(&cfg, true, &plan, NULL), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[1024];
		if (enter_userns() < 0)
			_exit(10);
		const int nrs[] = { SCMP_SYS(open_tree), SCMP_SYS(move_mount) };
		deny_enosys(nrs, 2);
		int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctr_dev_plan_apply(plan, fd, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "apply: %s\n", msg);
			_exit(11);
		}
		struct stat st;
		if (stat(rp("dev/urandom"), &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 9))
			_exit(12);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ctr_dev_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test_setup_teardown(test_defaults_and_devices, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_ptmx_device_overrides_symlink, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_existing_entries, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_setgid_dev_dir, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_hostile_symlinks, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_userns_plan, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_no_openat2_fallback, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_no_new_mount_api_fallback, setup_root, teardown_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/procfs.c against the real procfs: the checked root (refused when
 * /proc is a tmpfs or a procfs subdirectory bound over it), files opened
 * beneath it (self/, thread-self/, <pid>/, sys/, net/ through the root's
 * symlink), and what it refuses: a path that crosses a mount (a procfs file
 * bound over another one, the redirect of CVE-2025-52881; a procfs or a
 * tmpfs directory over a procfs directory), magic links (self/fd/N,
 * self/exe, self/root/...), a symlink at the end, "..", absolute paths.  Every case runs twice:
 * through openat2 and through the walk used on kernels without it.  The
 * cases that mount run in a forked child in a private mount namespace, so
 * the host's /proc is never touched; they need root (skipped otherwise, a
 * failure with CTR_TESTS_MUST_RUN=1).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "need-root.h"

#include "linux/procfs.h"
#include "linux/userns.h"

typedef int (*open_fn)(int, const char *, int);
static const open_fn variants[] = {ctr_procfs_open, ctr_procfs_open_fallback};
static const char *const variant_names[] = {"openat2", "fallback walk"};

static pid_t main_pid;

/* A failed cmocka test in the test process; in a forked child: print and exit 1. */
#define CHECK(cond, ...)                                                                                  \
	do {                                                                                              \
		if (!(cond)) {                                                                            \
			char msg_[512];                                                                   \
			snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                        \
			if (getpid() == main_pid)                                                         \
				fail_msg("%s: %s", #cond, msg_);                                          \
			fprintf(stderr, "%s:%d: failed: %s: %s\n", __FILE__, __LINE__, #cond, msg_);      \
			_exit(1);                                                                         \
		}                                                                                         \
	} while (0)

static void need_root(void)
{
	need_root_for("mount namespaces");
}

/* Run fn in a forked child in a private mount namespace; the test passes when it exits 0. */
static void in_mntns(void (*fn)(void))
{
	need_root();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		CHECK(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
		CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / rprivate: %s", strerror(errno));
		fn();
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void bind(const char *src, const char *dst)
{
	CHECK(mount(src, dst, NULL, MS_BIND, NULL) == 0, "bind %s over %s: %s", src, dst, strerror(errno));
}

/* The whole of fd's file (small procfs files) as a string in buf. */
static const char *slurp(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* The value after "Key:\t" in a status file. */
static long status_field(const char *status, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\n%s:", key);
	const char *p = strstr(status, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

/* Open rel with every variant: each must succeed with an fd on procfs; returns the openat2 one's text. */
static void opens(int root, const char *rel, int flags, char *text, size_t size)
{
	for (size_t v = 0; v < 2; v++) {
		int fd = variants[v](root, rel, flags);
		CHECK(fd >= 0, "%s: open %s: %s", variant_names[v], rel, strerror(-fd));
		CHECK(ctr_fd_on_procfs(fd), "%s: %s is not on procfs", variant_names[v], rel);
		if (text && v == 0)
			slurp(fd, text, size);
		close(fd);
	}
}

/* Every variant must refuse rel with one of the two errnos (e2 may equal e1). */
static void refuses(int root, const char *rel, int flags, int e1, int e2)
{
	for (size_t v = 0; v < 2; v++) {
		int fd = variants[v](root, rel, flags);
		if (fd >= 0)
			close(fd);
		CHECK(fd == -e1 || fd == -e2, "%s: open \"%s\" gave %d (%s), want -%d or -%d", variant_names[v], rel,
		      fd, fd < 0 ? strerror(-fd) : "an fd", e1, e2);
	}
}

/* ---- the root ---- */

static void test_root_is_procfs(void **state)
{
	(void)state;
	int root = ctr_procfs_root();
	assert_true(root >= 0);
	assert_true(ctr_fd_on_procfs(root));
	struct stat st;
	assert_int_equal(fstat(root, &st), 0);
	assert_int_equal(st.st_ino, 1);
	close(root);
}

static void root_tmpfs(void)
{
	CHECK(mount("tmpfs", "/proc", "tmpfs", 0, NULL) == 0, "tmpfs on /proc: %s", strerror(errno));
	int r = ctr_procfs_root();
	CHECK(r == -EXDEV, "a tmpfs /proc gave %d, want -EXDEV", r);
}

static void test_root_tmpfs_refused(void **state)
{
	(void)state;
	in_mntns(root_tmpfs);
}

static void root_covered(void)
{
	/* procfs, but not its root: a pid directory, then /proc/sys, bound over /proc */
	bind("/proc/self", "/proc");
	int r = ctr_procfs_root();
	CHECK(r == -EXDEV, "/proc/self over /proc gave %d, want -EXDEV", r);
	CHECK(umount2("/proc", MNT_DETACH) == 0, "umount: %s", strerror(errno));
	bind("/proc/sys", "/proc");
	r = ctr_procfs_root();
	CHECK(r == -EXDEV, "/proc/sys over /proc gave %d, want -EXDEV", r);
}

static void test_root_covered_refused(void **state)
{
	(void)state;
	in_mntns(root_covered);
}

/* ---- what it opens ---- */

static void test_open_accepts(void **state)
{
	(void)state;
	char text[8192], rel[64], host[256];
	int root = ctr_procfs_root();
	assert_true(root >= 0);
	pid_t pid = getpid();

	opens(root, "self/status", O_RDONLY, text, sizeof(text));
	assert_int_equal(status_field(text, "Pid"), pid);
	opens(root, "thread-self/status", O_RDONLY, text, sizeof(text));
	assert_int_equal(status_field(text, "Pid"), syscall(SYS_gettid));
	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	opens(root, rel, O_RDONLY, text, sizeof(text));
	assert_int_equal(status_field(text, "Pid"), pid);
	opens(root, "self/fdinfo", O_RDONLY | O_DIRECTORY, NULL, 0);
	opens(root, "self/attr", O_PATH | O_DIRECTORY, NULL, 0);
	/* empty and "." components are harmless */
	opens(root, "self//./status", O_RDONLY, text, sizeof(text));
	assert_int_equal(status_field(text, "Pid"), pid);

	opens(root, "sys/kernel/hostname", O_RDONLY, text, sizeof(text));
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_true(!strncmp(text, host, strlen(host)) && text[strlen(host)] == '\n');
	/* the root's plain symlinks: net -> self/net, mounts -> self/mounts */
	opens(root, "net/dev", O_RDONLY, text, sizeof(text));
	assert_non_null(strstr(text, "Inter-|"));
	close(root);
}

static void test_open_refuses_names(void **state)
{
	(void)state;
	int root = ctr_procfs_root();
	assert_true(root >= 0);
	/* "..", absolute, empty: never what a caller means */
	refuses(root, "..", O_RDONLY, EINVAL, EINVAL);
	refuses(root, "../proc/self/status", O_RDONLY, EINVAL, EINVAL);
	refuses(root, "sys/../self/status", O_RDONLY, EINVAL, EINVAL);
	refuses(root, "self/..", O_PATH, EINVAL, EINVAL);
	refuses(root, "/proc/self/status", O_RDONLY, EINVAL, EINVAL);
	refuses(root, "/etc/passwd", O_RDONLY, EINVAL, EINVAL);
	refuses(root, "", O_RDONLY, EINVAL, EINVAL);
	/* magic links, at the end and on the way, also as O_PATH */
	refuses(root, "self/fd/0", O_RDONLY, ELOOP, EXDEV);
	refuses(root, "self/fd/0", O_PATH, ELOOP, EXDEV);
	refuses(root, "self/exe", O_RDONLY, ELOOP, EXDEV);
	refuses(root, "self/exe", O_PATH, ELOOP, EXDEV);
	refuses(root, "self/cwd", O_PATH, ELOOP, EXDEV);
	refuses(root, "self/cwd", O_PATH | O_DIRECTORY, ELOOP, ENOTDIR); /* openat2: O_DIRECTORY on the link itself */
	refuses(root, "self/root/etc/passwd", O_RDONLY, ELOOP, EXDEV);
	refuses(root, "thread-self/root/etc", O_PATH, ELOOP, EXDEV);
	refuses(root, "self/ns/net", O_RDONLY, ELOOP, EXDEV);
	refuses(root, "self/no-such-file", O_RDONLY, ENOENT, ENOENT);
	/* a symlink at the end is never followed, not even a plain one (mounts -> self/mounts) */
	refuses(root, "mounts", O_RDONLY, ELOOP, ELOOP);
	refuses(root, "self", O_PATH, ELOOP, ELOOP);
	close(root);
}

/* ---- mounts beneath it ---- */

static void bind_file(void)
{
	int root = ctr_procfs_root();
	CHECK(root >= 0, "root: %s", strerror(-root));
	/* the CVE-2025-52881 redirect: a write meant for one sysctl lands on another */
	bind("/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname");
	refuses(root, "sys/kernel/domainname", O_RDONLY, EXDEV, EXDEV);
	refuses(root, "sys/kernel/domainname", O_WRONLY, EXDEV, EXDEV);
	opens(root, "sys/kernel/hostname", O_RDONLY, NULL, 0);
	/* a root taken after the mount is no different */
	close(root);
	root = ctr_procfs_root();
	CHECK(root >= 0, "root: %s", strerror(-root));
	refuses(root, "sys/kernel/domainname", O_RDONLY, EXDEV, EXDEV);
	close(root);
}

static void test_bind_over_file_refused(void **state)
{
	(void)state;
	in_mntns(bind_file);
}

static void bind_dir(void)
{
	int root = ctr_procfs_root();
	CHECK(root >= 0, "root: %s", strerror(-root));
	/* procfs over procfs: same device, another mount (the walk needs the mount id) */
	bind("/proc/sys/fs", "/proc/sys/vm");
	refuses(root, "sys/vm/file-max", O_RDONLY, EXDEV, EXDEV);
	refuses(root, "sys/vm", O_PATH | O_DIRECTORY, EXDEV, EXDEV);
	opens(root, "sys/fs/file-max", O_RDONLY, NULL, 0);
	/* another filesystem over a directory on the way */
	CHECK(mount("tmpfs", "/proc/sys/kernel", "tmpfs", 0, NULL) == 0, "tmpfs: %s", strerror(errno));
	int fd = open("/proc/sys/kernel/hostname", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "a fake hostname file: %s", strerror(errno));
	close(fd);
	refuses(root, "sys/kernel/hostname", O_RDONLY, EXDEV, EXDEV);
	close(root);
}

static void test_bind_over_dir_refused(void **state)
{
	(void)state;
	in_mntns(bind_dir);
}

/* A child that waits to be killed: a process whose procfs files we may write. */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void read_path(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	slurp(fd, buf, size);
	close(fd);
}

static void write_redirect(void)
{
	pid_t pid = sleeper();
	char path[64], src[64], buf[64];
	int r = ctr_procfs_write_pid(-1, pid, "oom_score_adj", "123", 3);
	CHECK(r == 0, "write oom_score_adj: %s", strerror(-r));
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	read_path(path, buf, sizeof(buf));
	CHECK(!strcmp(buf, "123\n"), "oom_score_adj reads '%s'", buf);

	/* comm bound over oom_score_adj: the write must not rename the process */
	snprintf(src, sizeof(src), "/proc/%d/comm", (int)pid);
	bind(src, path);
	r = ctr_procfs_write_pid(-1, pid, "oom_score_adj", "500", 3);
	CHECK(r == -EXDEV, "write through a bind mount gave %d, want -EXDEV", r);
	int root = ctr_procfs_root();
	CHECK(root >= 0, "root: %s", strerror(-root));
	snprintf(path, sizeof(path), "%d/oom_score_adj", (int)pid);
	int fd = ctr_procfs_open_fallback(root, path, O_WRONLY);
	CHECK(fd == -EXDEV, "fallback walk through a bind mount gave %d, want -EXDEV", fd);
	close(root);
	read_path(src, buf, sizeof(buf));
	CHECK(strcmp(buf, "500\n") != 0, "the process was renamed to '%s'", buf);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_write_pid_and_redirect(void **state)
{
	(void)state;
	in_mntns(write_redirect);
}

/*
 * The walk resolves "self" and "thread-self" by reading them: in a new pid
 * namespace with the host's /proc our pid there (1) names another process.
 */
static void foreign_pidns(void)
{
	CHECK(unshare(CLONE_NEWPID) == 0, "unshare(CLONE_NEWPID): %s", strerror(errno));
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char self[32], text[8192];
		ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
		CHECK(n > 0, "readlink /proc/self: %s", strerror(errno));
		self[n] = '\0';
		CHECK(getpid() == 1, "not pid 1 in the new pid namespace");
		int root = ctr_procfs_root();
		CHECK(root >= 0, "root: %s", strerror(-root));
		for (size_t v = 0; v < 2; v++) {
			const char *rels[] = {"self/status", "thread-self/status"};
			for (size_t k = 0; k < 2; k++) {
				int fd = variants[v](root, rels[k], O_RDONLY);
				CHECK(fd >= 0, "%s: %s: %s", variant_names[v], rels[k], strerror(-fd));
				slurp(fd, text, sizeof(text));
				close(fd);
				CHECK(status_field(text, "Pid") == atol(self), "%s: %s is pid %ld, we are %s",
				      variant_names[v], rels[k], status_field(text, "Pid"), self);
			}
		}
		close(root);
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child in the new pid namespace failed");
}

static void test_self_in_foreign_pidns(void **state)
{
	(void)state;
	in_mntns(foreign_pidns);
}

/*
 * lib/linux/userns.c writes uid_map and gid_map through the checked procfs:
 * a file bound over the new user namespace's uid_map is refused, not
 * written (it would be renamed here: comm is bound over it).
 */
static void userns_maps(void)
{
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char c;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	char c, path[64], src[64], buf[64], before[64];
	CHECK(read(ready[0], &c, 1) == 1, "the child did not make its user namespace");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(src, sizeof(src), "/proc/%d/comm", (int)pid);
	read_path(src, before, sizeof(before));
	bind(src, path);
	ctr_error *err = NULL;
	int r = ctr_userns_write_maps(pid, "0 0 1\n", "0 0 1\n", &err);
	CHECK(r == -EXDEV, "write the maps through a bind mount gave %d (%s), want -EXDEV", r,
	      err ? ctr_error_message(err) : "no error");
	CHECK(strstr(ctr_error_message(err), "uid_map: refusing to write"), "message: %s", ctr_error_message(err));
	ctr_error_free(err);
	err = NULL;
	read_path(src, buf, sizeof(buf));
	CHECK(!strcmp(buf, before), "the process was renamed from '%s' to '%s'", before, buf);
	/* without the mount the same call maps the ids */
	CHECK(umount2(path, MNT_DETACH) == 0, "umount %s: %s", path, strerror(errno));
	r = ctr_userns_write_maps(pid, "0 0 1\n", "0 0 1\n", &err);
	CHECK(r == 0, "write the maps: %s", err ? ctr_error_message(err) : "?");
	read_path(path, buf, sizeof(buf));
	CHECK(strstr(buf, "0          0          1"), "uid_map reads '%s'", buf);
	(void)!write(go[1], "g", 1);
	waitpid(pid, NULL, 0);
}

static void test_userns_maps_through_checked_procfs(void **state)
{
	(void)state;
	in_mntns(userns_maps);
}

int main(void)
{
	main_pid = getpid();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_is_procfs),
		cmocka_unit_test(test_root_tmpfs_refused),
		cmocka_unit_test(test_root_covered_refused),
		cmocka_unit_test(test_open_accepts),
		cmocka_unit_test(test_open_refuses_names),
		cmocka_unit_test(test_bind_over_file_refused),
		cmocka_unit_test(test_bind_over_dir_refused),
		cmocka_unit_test(test_write_pid_and_redirect),
		cmocka_unit_test(test_self_in_foreign_pidns),
		cmocka_unit_test(test_userns_maps_through_checked_procfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

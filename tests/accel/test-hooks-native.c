/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NVIDIA hook verbs libctr runs natively, on a real bundle: symlinks
 * (and that they stay in the rootfs), chmod, ldconfig over a real library,
 * CUDA forward compat, and the params file bound over in the mount
 * namespace of a real process.  Needs root (ldconfig -r chroots, mount);
 * skips otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "ctr/ctr.h"
#include "accel/accel-internal.h"
#include "common.h"

struct bundle {
	char *dir;
	char rootfs[PATH_MAX];
	char state[PATH_MAX + 128];
};

static void bundle_new(struct bundle *b, pid_t pid)
{
	b->dir = make_tmpdir();
	write_at(b->dir, "config.json", "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}}");
	snprintf(b->rootfs, sizeof(b->rootfs), "%s/rootfs", b->dir);
	mkdir_p(b->rootfs);
	snprintf(b->state, sizeof(b->state),
		 "{\"ociVersion\":\"1.2.0\",\"id\":\"t\",\"status\":\"creating\",\"pid\":%d,\"bundle\":\"%s\"}", (int)pid, b->dir);
}

static void bundle_free(struct bundle *b)
{
	rm_rf(b->dir);
	free(b->dir);
}

static int run_hook(struct bundle *b, const char *host_root, const char *const *args, ctr_error **e)
{
	return accel_native_hook(host_root, "/usr/bin/nvidia-cdi-hook", args, b->state, strlen(b->state), e);
}

static bool is_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: skipping\n");
		return false;
	}
	return true;
}

static void test_is_native(void **state)
{
	const char *a1[] = { "nvidia-cdi-hook", "create-symlinks", "--link", "a::/b", NULL };
	const char *a2[] = { "nvidia-ctk", "--debug", "hook", "chmod", "--mode", "755", "--path", "/x", NULL };
	const char *a3[] = { "nvidia-cdi-hook", "frobnicate", NULL };
	const char *a4[] = { "true", NULL };

	(void)state;
	if (access("/usr/bin/nvidia-cdi-hook", X_OK) == 0)
		skip(); /* the real tool is installed: it runs instead */
	assert_int_equal(ctr_accel_hook_is_native("/usr/bin/nvidia-cdi-hook", a1), 1);
	assert_int_equal(ctr_accel_hook_is_native("/usr/local/bin/nvidia-ctk", a2), 1);
	assert_int_equal(ctr_accel_hook_is_native("/usr/bin/nvidia-cdi-hook", a3), 0);
	assert_int_equal(ctr_accel_hook_is_native("/bin/true", a4), 0);
	assert_int_equal(ctr_accel_hook_is_native("/bin/nvidia-cdi-hook-other", a1), 0);
}

static void test_symlinks_chmod(void **state)
{
	struct bundle b;
	char p[PATH_MAX], t[PATH_MAX], escape[64];
	ssize_t n;
	struct stat st;
	ctr_error *e = NULL;

	(void)state;
	bundle_new(&b, 0);
	snprintf(escape, sizeof(escape), "/tmp/ctr-accel-escape-%d", (int)getpid());
	/* a hostile image: a link to the host's /tmp */
	symlink_at(b.rootfs, "/tmp", "evil");
	snprintf(p, sizeof(p), "%s/tmp", b.rootfs);
	mkdir_p(p);
	write_at(b.rootfs, "dev/x", "");
	{
		char l3[PATH_MAX];
		snprintf(l3, sizeof(l3), "t::/evil/%s", escape + 5);
		const char *args[] = { "nvidia-cdi-hook", "create-symlinks", "--link",
				       "libcuda.so.550.54.14::/usr/lib/x86_64-linux-gnu/libcuda.so.1",
				       "--link=../card1::/dev/dri/by-path/pci-0000:41:00.0-card", "--link", l3, NULL };
		if (run_hook(&b, "/", args, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
	}
	snprintf(p, sizeof(p), "%s/usr/lib/x86_64-linux-gnu/libcuda.so.1", b.rootfs);
	n = readlink(p, t, sizeof(t) - 1);
	assert_true(n > 0);
	t[n] = '\0';
	assert_string_equal(t, "libcuda.so.550.54.14");
	snprintf(p, sizeof(p), "%s/dev/dri/by-path/pci-0000:41:00.0-card", b.rootfs);
	n = readlink(p, t, sizeof(t) - 1);
	assert_true(n > 0);
	/* the link through /evil landed in the rootfs, not on the host */
	assert_int_equal(lstat(escape, &st), -1);
	snprintf(p, sizeof(p), "%s%s", b.rootfs, escape);
	assert_int_equal(lstat(p, &st), 0);
	/* running it again is fine (links exist) */
	{
		const char *args[] = { "nvidia-cdi-hook", "create-symlinks", "--link",
				       "libcuda.so.550.54.14::/usr/lib/x86_64-linux-gnu/libcuda.so.1", NULL };
		assert_int_equal(run_hook(&b, "/", args, NULL), 0);
	}
	{
		const char *args[] = { "nvidia-cdi-hook", "chmod", "--mode", "0604", "--path", "/dev/x", NULL };
		if (run_hook(&b, "/", args, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
		snprintf(p, sizeof(p), "%s/dev/x", b.rootfs);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0604);
	}
	{
		const char *args[] = { "nvidia-cdi-hook", "chmod", "--mode", "9", "--path", "/dev/x", NULL };
		assert_int_equal(run_hook(&b, "/", args, &e), -EINVAL);
		ctr_error_free(e);
		e = NULL;
	}
	{
		const char *args[] = { "nvidia-cdi-hook", "create-symlinks", "--link", "nocolons", NULL };
		assert_int_equal(run_hook(&b, "/", args, &e), -EINVAL);
		assert_non_null(strstr(ctr_error_message(e), "target::link"));
		ctr_error_free(e);
		e = NULL;
	}
	{
		const char *args[] = { "nvidia-cdi-hook", "frobnicate", NULL };
		assert_int_equal(run_hook(&b, "/", args, &e), -ENOTSUP);
		ctr_error_free(e);
	}
	bundle_free(&b);
}

static void test_ldcache_compat(void **state)
{
	struct bundle b;
	char cmd[PATH_MAX * 2], p[PATH_MAX];
	char *cache = NULL;
	size_t len = 0;
	struct stat st;
	ctr_error *e = NULL;

	(void)state;
	if (!is_root())
		skip();
	bundle_new(&b, 0);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/usr/lib/x86_64-linux-gnu' && echo 'int f;' | cc -shared -fPIC -x c - -Wl,-soname,libcuda.so.1 "
		 "-o '%s/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14'",
		 b.rootfs, b.rootfs);
	assert_int_equal(system(cmd), 0);
	write_at(b.rootfs, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
	{
		const char *args[] = { "nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu", NULL };
		if (run_hook(&b, "/", args, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
	}
	snprintf(p, sizeof(p), "%s/etc/ld.so.cache", b.rootfs);
	assert_int_equal(ctr_read_file(p, 1 << 20, &cache, &len, NULL), 0);
	assert_non_null(memmem(cache, len, "libcuda.so.1", 12));
	free(cache);
	snprintf(p, sizeof(p), "%s/etc/ld.so.conf.d/00-nvcr-libctr.conf", b.rootfs);
	assert_int_equal(stat(p, &st), 0);
	/* CUDA forward compat: used only when newer than the host driver */
	write_at(b.rootfs, "usr/local/cuda/compat/libcuda.so.560.28.03", "");
	snprintf(p, sizeof(p), "%s/etc/ld.so.conf.d/00-compat-libctr.conf", b.rootfs);
	{
		const char *args[] = { "nvidia-cdi-hook", "enable-cuda-compat", "--host-driver-version", "570.86.10", NULL };
		assert_int_equal(run_hook(&b, "/", args, NULL), 0);
		assert_int_equal(stat(p, &st), -1);
	}
	{
		const char *args[] = { "nvidia-cdi-hook", "enable-cuda-compat", "--host-driver-version=550.54.14", NULL };
		assert_int_equal(run_hook(&b, "/", args, NULL), 0);
		assert_int_equal(stat(p, &st), 0);
	}
	bundle_free(&b);
}

static void test_disable_modification(void **state)
{
	int go[2], ready[2];
	char c = 0, p[PATH_MAX], *host = NULL, *params = NULL;
	size_t len = 0;
	struct bundle b;
	pid_t pid;
	ctr_error *e = NULL;

	(void)state;
	if (!is_root())
		skip();
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a "container": its own mount namespace with an nvidia params file */
		FILE *f;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/proc/driver", "tmpfs", 0, NULL) < 0 || mkdir("/proc/driver/nvidia", 0755) < 0 ||
		    !(f = fopen("/proc/driver/nvidia/params", "w")))
			_exit(1);
		fputs("ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\n", f);
		fclose(f);
		alarm(30); /* never outlive a failed test */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		skip(); /* no mount namespaces or tmpfs here */
	}
	host = make_tmpdir();
	write_at(host, "proc/driver/nvidia/params", "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nEnableMSI: 1\n");
	bundle_new(&b, pid);
	{
		const char *args[] = { "nvidia-cdi-hook", "disable-device-node-modification", NULL };
		if (run_hook(&b, host, args, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
	}
	snprintf(p, sizeof(p), "/proc/%d/root/proc/driver/nvidia/params", (int)pid);
	assert_int_equal(ctr_read_file(p, 65536, &params, &len, NULL), 0);
	assert_non_null(strstr(params, "ModifyDeviceFiles: 0"));
	assert_non_null(strstr(params, "EnableMSI: 1"));
	assert_null(strstr(params, "ModifyDeviceFiles: 1"));
	free(params);
	assert_int_equal(write(go[1], "g", 1), 1);
	waitpid(pid, NULL, 0);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	bundle_free(&b);
	rm_rf(host);
	free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_native),
		cmocka_unit_test(test_symlinks_chmod),
		cmocka_unit_test(test_ldcache_compat),
		cmocka_unit_test(test_disable_modification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

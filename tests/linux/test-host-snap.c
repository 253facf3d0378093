/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context's copy of the mount table (ctr_host_snap_read with a context,
 * lib/util.c), which create reads instead of /proc/self/mountinfo when the
 * table has not changed: it must never be stale.  Against the real kernel:
 * a mount and an unmount in the process's mount namespace show in the next
 * read (the poll event), a move to another mount namespace too (unshare
 * after the first read: the old file would only report changes in the old
 * namespace), a chroot in a forked child (the paths are relative to the
 * opener's root), and an unchanged table reads back the same text as the
 * file.
 * The process moves itself into a private mount namespace, so the host's
 * table is never touched; root only (skipped otherwise, a failure with
 * CTR_TESTS_MUST_RUN=1).
 */
#include <errno.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "need-root.h"


/* the mount table through the context's copy, as create reads it */
static char *snap_text(ctr_context *ctx)
{
	struct ctr_host_snap snap = {.ctx = ctx};
	char *out = NULL;
	size_t len = 0;
	ctr_error *err = NULL;
	if (ctr_host_snap_read(&snap, "mountinfo", &out, &len, &err) < 0)
		fail_msg("%s", ctr_error_message(err));
	assert_int_equal(strlen(out), len);
	ctr_host_snap_free(&snap);
	return out;
}

static char *file_text(void)
{
	char *out = NULL;
	ctr_error *err = NULL;
	if (ctr_read_file("/proc/self/mountinfo", 1 << 24, &out, NULL, &err) < 0)
		fail_msg("%s", ctr_error_message(err));
	return out;
}

/* " <dir> " as mountinfo's fifth field shows it */
static bool shows(const char *text, const char *dir)
{
	char pat[400];
	snprintf(pat, sizeof(pat), " %s ", dir);
	return strstr(text, pat) != NULL;
}

static void test_cache_follows_changes(void **state)
{
	(void)state;
	need_root_for("unshare, mount, chroot");
	char base[] = "/tmp/ctr-host-snap.XXXXXX";
	assert_non_null(mkdtemp(base));
	char a[300], b[300];
	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);

	ctr_context *ctx = NULL;
	ctr_context_options o;
	ctr_context_options_init(&o);
	o.state_root = base;
	ctr_error *err = NULL;
	if (ctr_context_new(&ctx, &o, &err) < 0)
		fail_msg("%s", ctr_error_message(err));

	/* first read in the host's namespace; unchanged, the copy is the file's text */
	char *t1 = snap_text(ctx), *f1 = file_text();
	assert_string_equal(t1, f1);
	char *t2 = snap_text(ctx);
	assert_string_equal(t2, f1);
	assert_false(shows(t1, a));

	/* another mount namespace, then a mount in it: the copy made in the old one must go */
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mount("ctr-snap-a", a, "tmpfs", 0, "size=64k"), 0);
	char *t3 = snap_text(ctx), *f3 = file_text();
	assert_true(shows(t3, a));
	assert_string_equal(t3, f3);

	/* a mount and an unmount in the same namespace: each shows in the next read */
	assert_int_equal(mount("ctr-snap-b", b, "tmpfs", 0, "size=64k"), 0);
	char *t4 = snap_text(ctx);
	assert_true(shows(t4, b));
	assert_true(shows(t4, a));
	assert_int_equal(umount2(a, 0), 0);
	char *t5 = snap_text(ctx), *f5 = file_text();
	assert_false(shows(t5, a));
	assert_true(shows(t5, b));
	assert_string_equal(t5, f5);
	/* a change of a mount's flags is a change of the table too */
	assert_int_equal(mount(NULL, b, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
	char *t6 = snap_text(ctx), *f6 = file_text();
	assert_string_equal(t6, f6);
	assert_string_not_equal(t6, t5);
	assert_int_equal(umount2(b, 0), 0);
	char *t7 = snap_text(ctx);
	assert_false(shows(t7, b));

	/*
	 * Another root (chroot, in a forked child: this process keeps its own):
	 * mountinfo's paths are relative to the root of whoever opened it, so the
	 * copy must follow the child's new root, with the same namespace and no
	 * mount changed.  The child also is another process than the opener.
	 */
	char r[300], rproc[320];
	snprintf(r, sizeof(r), "%s/root", base);
	snprintf(rproc, sizeof(rproc), "%s/proc", r);
	assert_int_equal(mkdir(r, 0700), 0);
	assert_int_equal(mount("ctr-snap-root", r, "tmpfs", 0, "size=64k"), 0);
	assert_int_equal(mkdir(rproc, 0555), 0);
	assert_int_equal(mount("proc", rproc, "proc", 0, NULL), 0);
	char *t8 = snap_text(ctx); /* the event of those mounts taken */
	assert_true(shows(t8, rproc));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chroot(r) < 0 || chdir("/") < 0)
			_exit(2);
		char *in = snap_text(ctx), *want = file_text();
		/* the new root's view: "/proc" is the procfs, the old path shows nowhere */
		_exit(!strcmp(in, want) && shows(in, "/proc") && !shows(in, rproc) ? 0 : 1);
	}
	int status = -1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(umount2(rproc, 0), 0);
	assert_int_equal(umount2(r, 0), 0);
	(void)rmdir(r);
	free(t8);

	ctr_context_free(ctx);
	free(t1);
	free(f1);
	free(t2);
	free(t3);
	free(f3);
	free(t4);
	free(t5);
	free(f5);
	free(t6);
	free(f6);
	free(t7);
	(void)rmdir(a);
	(void)rmdir(b);
	(void)rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_follows_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

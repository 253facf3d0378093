/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a live container handle holds in the embedding process, as
 * ctr/container.h documents it: a handle from create holds its state
 * directory, the init's pidfd and one O_PATH fd per cgroup directory of the
 * container (each v1 controller hierarchy and the unified one); a handle
 * from load holds the state directory and the pidfd, and opens cgroup
 * directories when a call needs them; the context holds the init stub's
 * memfd and /proc/self/mountinfo (its check for a changed mount table)
 * from its first create on.  Everything goes with free and delete.
 *
 * ctr_context_warm makes the context's two ahead, on a thread: they appear
 * without a create, a create after it makes no second pair, a create that
 * passes fds waits for the thread, and an fd of the thread's that landed in
 * a hole of the caller's preserve_fds range is refused, never passed on.
 *
 * Usage: handle-fds STATE_ROOT BUNDLE   (TAP; root)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

struct fds {
	int total, cgroup, state, pidfd, memfd, mountinfo;
};

/* The fds of this process, by kind; id: the container whose cgroup dirs and state dir count. */
static struct fds count(const char *id, const char *state_dir)
{
	struct fds f = {0};
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[300], l[4096];
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(p, l, sizeof(l) - 1);
		l[k > 0 ? k : 0] = '\0';
		f.total++;
		size_t ll = strlen(l), il = strlen(id);
		if (!strncmp(l, "/sys/fs/cgroup/", 15) && ll > il && !strcmp(l + ll - il, id) && l[ll - il - 1] == '/')
			f.cgroup++;
		else if (!strcmp(l, state_dir))
			f.state++;
		else if (!strcmp(l, "anon_inode:[pidfd]"))
			f.pidfd++;
		else if (!strncmp(l, "/memfd:ctr-init", 15))
			f.memfd++;
		else if (!strncmp(l, "/proc/", 6) && strstr(l, "/mountinfo"))
			f.mountinfo++;
	}
	if (d)
		closedir(d);
	return f;
}

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_container *c = NULL, *c2 = NULL;
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	char state_dir[4096];
	static const char *const args[] = {"sleep", "60", NULL};
	const char *id = "handle-fds";

	if (argc < 3) {
		fprintf(stderr, "usage: handle-fds STATE_ROOT BUNDLE\n");
		return 2;
	}
	snprintf(state_dir, sizeof(state_dir), "%s/%s", argv[1], id);
	if (host_open(argv[1], argv[2], &ctx, &spec) < 0)
		return 1;
	if (ctr_spec_set_args(spec, args, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	o.stdio_fds[0] = o.stdio_fds[1] = o.stdio_fds[2] = open("/dev/null", O_RDWR | O_CLOEXEC);

	struct fds base = count(id, state_dir);
	if (ctr_container_create(ctx, &c, id, spec, &o, &err) < 0 || ctr_container_start(c, &err) < 0) {
		printf("Bail out! create: %s\n", ctr_error_message(err));
		return 1;
	}
	close(o.stdio_fds[0]);
	struct fds made = count(id, state_dir);
	int added = made.total - (base.total - 1); /* the /dev/null fd is closed now */
	printf("# a created handle: %d fds (state dir %d, pidfd %d, cgroup dirs %d), the context's init stub memfd %d "
	       "and mount table %d\n",
	       added - made.memfd - made.mountinfo, made.state, made.pidfd, made.cgroup, made.memfd, made.mountinfo);
	ok(made.state == 1 && made.pidfd == 1, "a created handle holds its state directory and the init's pidfd");
	ok(made.cgroup >= 1, "and one O_PATH fd per cgroup directory of the container (%d)", made.cgroup);
	ok(made.memfd == 1, "the context holds the init stub's memfd");
	ok(made.mountinfo == 1, "and /proc/self/mountinfo, to see whether the mount table changed");
	ok(added == made.state + made.pidfd + made.cgroup + made.memfd + made.mountinfo, "nothing else (%d fds added)",
	   added);

	if (ctr_container_load(ctx, &c2, id, &err) < 0) {
		printf("Bail out! load: %s\n", ctr_error_message(err));
		return 1;
	}
	ctr_container_status(c2);
	struct fds loaded = count(id, state_dir);
	ok(loaded.total - made.total == 2 && loaded.state == 2 && loaded.pidfd == 2,
	   "a loaded handle holds its state directory and the pidfd (%d fds added)", loaded.total - made.total);
	uint64_t kills;
	if (ctr_container_oom_kills(c2, &kills, &err) < 0) {
		printf("# oom_kills: %s\n", ctr_error_message(err));
		ctr_error_free(err);
		err = NULL;
	}
	struct fds used = count(id, state_dir);
	ok(used.total - loaded.total <= made.cgroup,
	   "a call through the cgroups opens at most the container's cgroup directories (%d)",
	   used.total - loaded.total);
	ctr_container_free(c2);
	struct fds freed = count(id, state_dir);
	ok(freed.total == made.total, "ctr_container_free gives back all of the loaded handle's fds");

	if (ctr_container_delete(c, CTR_DELETE_FORCE, &err) < 0)
		printf("# delete: %s\n", ctr_error_message(err));
	ctr_container_free(c);
	struct fds after = count(id, state_dir);
	ok(after.total == base.total - 1 + 2,
	   "delete and free give back the handle's fds (the memfd and mountinfo stay with the context)");
	ctr_context_free(ctx);
	ctr_spec_free(spec);
	struct fds end = count(id, state_dir);
	ok(end.total == base.total - 1 && end.mountinfo == 0 && end.memfd == 0,
	   "ctr_context_free gives back the memfd and mountinfo");
	ctr_error_free(err);
	err = NULL;
	spec = NULL;
	ctx = NULL;

	/* ---- ctr_context_warm ---- */
	if (host_open(argv[1], argv[2], &ctx, &spec) < 0)
		return 1;
	struct fds wbase = count(id, state_dir);
	ctr_context_warm(ctx);
	ctr_context_warm(ctx); /* a second call does nothing */
	struct fds warm = wbase;
	for (int i = 0; i < 2000 && (warm.memfd < 1 || warm.mountinfo < 1); i++) {
		usleep(1000);
		warm = count(id, state_dir);
	}
	ok(warm.memfd == 1 && warm.mountinfo == 1 && warm.total == wbase.total + 2,
	   "ctr_context_warm: the context's memfd and mount table, without a create (%d fds added)",
	   warm.total - wbase.total);
	ctr_context_free(ctx);
	ctr_spec_free(spec);
	struct fds wfreed = count(id, state_dir);
	ok(wfreed.total == wbase.total && wfreed.memfd == 0 && wfreed.mountinfo == 0,
	   "ctr_context_free after ctr_context_warm gives them back");

	/* the caller's fds 3 and 5 open, 4 a hole: the thread's first fd (the mount table) lands on 4 */
	if (host_open(argv[1], argv[2], &ctx, &spec) < 0)
		return 1;
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int lo = fcntl(nul, F_DUPFD_CLOEXEC, 10); /* above the range */
	close(nul);
	int fd3 = dup3(lo, 3, O_CLOEXEC), fd5 = dup3(lo, 5, O_CLOEXEC);
	close(lo);
	close(4);
	bool hole = fd3 == 3 && fd5 == 5 && fcntl(4, F_GETFD) < 0;
	ctr_context_warm(ctx);
	ctr_create_options po;
	ctr_create_options_init(&po);
	po.bundle = argv[2];
	po.preserve_fds = 3;
	po.stdio_fds[0] = po.stdio_fds[1] = po.stdio_fds[2] = fd3;
	int r = ctr_container_create(ctx, &c, "handle-fds-hole", spec, &po, &err);
	char hole_dir[4200];
	snprintf(hole_dir, sizeof(hole_dir), "%s/handle-fds-hole", argv[1]);
	ok(hole && r == -EBADF && err && strstr(ctr_error_message(err), "fd 4 is not the caller's") &&
	       access(hole_dir, F_OK) < 0,
	   "preserve_fds over a hole the warm thread's fd took: refused, naming fd 4, nothing left (%s)",
	   err ? ctr_error_message(err) : "created");
	if (r == 0) {
		ctr_container_delete(c, CTR_DELETE_FORCE, NULL);
		ctr_container_free(c);
	}
	ctr_error_free(err);
	err = NULL;
	close(fd3);
	close(fd5);
	ctr_context_free(ctx);
	ctr_spec_free(spec);
	ctr_error_free(err);
	return tap_done();
}

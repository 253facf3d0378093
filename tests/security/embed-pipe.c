/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * embed-pipe STATE_ROOT BUNDLE ID: an embedding program (issue 12, item 1:
 * "a created container holds a copy of every fd of the embedding process").
 *
 * It holds a pipe (O_CLOEXEC, as every fd of a careful program), creates a
 * container through libctr without starting it, closes the pipe's write end
 * and looks whether the read end sees EOF at once: it must, since the
 * container process may not keep any fd of the embedder.  Then it reports,
 * seen from the host, what the created init holds (/proc/PID/fd) and what its
 * /proc/PID/exe is (never the embedder's binary), starts the container, waits
 * for it and deletes it.  Output lines (key=value):
 *   eof-at-create=yes|no     EOF within 100 ms of closing the write end
 *   eof-after-start=yes|no   EOF once the container was started
 *   self-exe=PATH            this program
 *   init-exe=LINK            readlink of the created init's /proc/PID/exe
 *   init-exe-same=yes|no     the init's executable is this very file (dev+ino)
 *   init-fd=N TARGET         one line per fd of the created init
 *   exit=N                   the container's exit status
 * Exit status: 0 when every libctr call succeeded, 1 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctr/ctr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, ctr_error *err)
{
	fprintf(stderr, "embed-pipe: %s: %s\n", what, err ? ctr_error_message(err) : strerror(errno));
	ctr_error_free(err);
	return 1;
}

/* EOF on fd within ms milliseconds (the write end is closed everywhere) */
static int eof_within(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, ms) <= 0)
		return 0;
	char c;
	return read(fd, &c, 1) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: embed-pipe STATE_ROOT BUNDLE ID\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctr_error *err = NULL;
	ctr_context *ctx = NULL;
	ctr_context_options co;
	ctr_context_options_init(&co);
	co.state_root = argv[1];
	if (ctr_context_new(&ctx, &co, &err) < 0)
		return fail("context", err);

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail("pipe2", NULL);

	char cfg[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/config.json", argv[2]);
	ctr_spec *spec = NULL;
	if (ctr_spec_load_file(&spec, cfg, &err) < 0)
		return fail(cfg, err);
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	ctr_container *c = NULL;
	if (ctr_container_create(ctx, &c, argv[3], spec, &o, &err) < 0)
		return fail("create", err);
	ctr_spec_free(spec);

	close(pfd[1]);
	int eof = eof_within(pfd[0], 100);
	printf("eof-at-create=%s\n", eof ? "yes" : "no");

	char link[PATH_MAX], path[64];
	ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	printf("self-exe=%s\n", link);
	pid_t pid = ctr_container_pid(c);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	printf("init-exe=%s\n", n < 0 ? strerror(errno) : link);
	struct stat a, b;
	printf("init-exe-same=%s\n",
	       stat("/proc/self/exe", &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
		       ? "yes" : "no");
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p2[384];
		snprintf(p2, sizeof(p2), "%s/%s", path, de->d_name);
		n = readlink(p2, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = '\0';
		printf("init-fd=%s %s\n", de->d_name, link);
	}
	if (d)
		closedir(d);

	if (ctr_container_start(c, &err) < 0)
		return fail("start", err);
	if (!eof)
		printf("eof-after-start=%s\n", eof_within(pfd[0], 2000) ? "yes" : "no");
	int status = -1;
	if (ctr_container_wait(c, &status, 20000, &err) < 0)
		return fail("wait", err);
	printf("exit=%d\n", status);
	if (ctr_container_delete(c, CTR_DELETE_FORCE, &err) < 0)
		return fail("delete", err);
	ctr_container_free(c);
	ctr_context_free(ctx);
	close(pfd[0]);
	return 0;
}

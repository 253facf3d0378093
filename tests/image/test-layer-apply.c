/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Apply layer blobs to a directory with ctr_layer_apply: the driver of the
 * layer tests and of tests/bench/unpack.sh (until ctr-demo image unpack).
 *
 *   test-layer-apply [options] ROOT BLOB [BLOB...]
 *     --media-type T   media type of the following blobs (default: from the magic bytes)
 *     --digest D       blob digest of the next blob (sha256:... / sha512:...)
 *     --size N         blob size of the next blob
 *     --diff-id D      DiffID of the next blob
 *     --overlay        CTR_WHITEOUT_OVERLAY (default APPLY)
 *     --unprivileged   as an unprivileged caller
 *     --max-bytes N    uncompressed limit
 *     --stdin          read the (single) blob from a pipe fed from the file
 *     --stats          print bytes/entries
 *     --writers N      writer threads (ctr_layer_opts.writers: 0 per CPU, -1 none)
 * ROOT is created if missing.  Exit 0 on success, 1 with the error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/layer.h"
#include "internal.h"

static int pipe_from(const char *path, pid_t *pid)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

int main(int argc, char **argv)
{
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	const char *mt = NULL, *digest = NULL, *diff = NULL;
	int64_t size = -1;
	bool use_pipe = false, stats = false;
	int i = 1;
	const char *root = NULL;
	int rootfd = -1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--media-type") && i + 1 < argc)
			mt = argv[++i];
		else if (!strcmp(a, "--digest") && i + 1 < argc)
			digest = argv[++i];
		else if (!strcmp(a, "--diff-id") && i + 1 < argc)
			diff = argv[++i];
		else if (!strcmp(a, "--size") && i + 1 < argc)
			size = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(a, "--max-bytes") && i + 1 < argc)
			o.max_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--writers") && i + 1 < argc)
			o.writers = atoi(argv[++i]);
		else if (!strcmp(a, "--overlay"))
			o.whiteouts = CTR_WHITEOUT_OVERLAY;
		else if (!strcmp(a, "--unprivileged"))
			o.unprivileged = true;
		else if (!strcmp(a, "--stdin"))
			use_pipe = true;
		else if (!strcmp(a, "--stats"))
			stats = true;
		else if (a[0] == '-') {
			fprintf(stderr, "test-layer-apply: unknown option %s\n", a);
			return 2;
		} else if (!root) {
			root = a;
			mkdir(root, 0755);
			rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (rootfd < 0) {
				fprintf(stderr, "test-layer-apply: %s: %s\n", root, strerror(errno));
				return 2;
			}
		} else {
			pid_t pid = -1;
			int fd = use_pipe ? pipe_from(a, &pid) : open(a, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				fprintf(stderr, "test-layer-apply: %s: %s\n", a, strerror(errno));
				return 2;
			}
			struct ctr_layer_desc d = {mt, digest, size, diff, a};
			struct ctr_layer_stats st;
			ctr_error *err = NULL;
			int r = ctr_layer_apply(rootfd, fd, &d, &o, &st, &err);
			close(fd);
			if (pid > 0)
				waitpid(pid, NULL, 0);
			if (r < 0) {
				fprintf(stderr, "%s\n", ctr_error_message(err));
				ctr_error_free(err);
				return 1;
			}
			if (stats)
				printf("%s: %" PRIu64 " bytes in, %" PRIu64 " bytes out, %" PRIu64 " entries\n", a,
				       st.bytes_in, st.bytes_out, st.entries);
			digest = diff = NULL;
			size = -1;
		}
	}
	if (rootfd < 0) {
		fprintf(stderr, "usage: test-layer-apply [options] ROOT BLOB...\n");
		return 2;
	}
	close(rootfd);
	return 0;
}

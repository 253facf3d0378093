/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for layer extraction: the input is applied as a blob (its
 * magic bytes pick tar, gzip or zstd) and, gzip-compressed, as a gzip layer,
 * into a scratch root under /tmp that is removed after each input.  Checks:
 * the error contract on failure, and that nothing next to the root (a
 * sentinel file and the scratch directory's listing) changed.  Runs as an
 * unprivileged caller would (no device nodes, no chown) with a 64 MiB
 * limit, so a fuzzer cannot fill the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ctr/ctr.h"
#include "image/layer.h"

#define FUZZ_NAME "fuzz-layer"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static int basefd = -1;

static void setup(void)
{
	if (basefd >= 0)
		return;
	snprintf(base, sizeof(base), "/tmp/ctr-fuzz-layer-%d", (int)getpid());
	mkdir(base, 0700);
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	check(basefd >= 0, "scratch directory opens");
	int f = openat(basefd, "sentinel", O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	check(f >= 0 && write(f, "sentinel", 8) == 8, "sentinel written");
	close(f);
}

static void cleanup(void)
{
	if (basefd < 0)
		return;
	ctr_rm_tree_at(basefd, "root", NULL);
	unlinkat(basefd, "sentinel", 0);
	close(basefd);
	rmdir(base);
}

/* Only "root" and an intact "sentinel" may be in the scratch directory. */
static void check_outside(void)
{
	char buf[16] = "";
	int f = openat(basefd, "sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	check(f >= 0, "sentinel still a file");
	check(read(f, buf, sizeof(buf)) == 8 && !memcmp(buf, "sentinel", 8), "sentinel unchanged");
	close(f);
	int d = dup(basefd);
	DIR *dir = fdopendir(d);
	check(dir != NULL, "scratch listing");
	rewinddir(dir);
	struct dirent *de;
	while ((de = readdir(dir)))
		check(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "root") ||
			      !strcmp(de->d_name, "sentinel"),
		      "nothing created next to the root");
	closedir(dir);
}

static void apply(const void *buf, size_t len, const char *media_type)
{
	check(mkdirat(basefd, "root", 0755) == 0, "fresh root");
	int root = openat(basefd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	check(root >= 0, "root opens");
	int fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
	check(fd >= 0, "memfd");
	check(len == 0 || write(fd, buf, len) == (ssize_t)len, "memfd written");
	lseek(fd, 0, SEEK_SET);
	struct ctr_layer_opts o;
	ctr_layer_opts_init(&o);
	o.unprivileged = true;
	o.max_bytes = 64u << 20;
	o.whiteouts = len && (((const uint8_t *)buf)[0] & 1) ? CTR_WHITEOUT_OVERLAY : CTR_WHITEOUT_APPLY;
	o.writers = len && (((const uint8_t *)buf)[0] & 2) ? -1 : 2; /* the writer threads, or none */
	struct ctr_layer_desc d = {media_type, NULL, (int64_t)len, NULL, "fuzz layer"};
	ctr_error *e = NULL;
	struct ctr_layer_stats st;
	int r = ctr_layer_apply(root, fd, &d, &o, &st, &e);
	if (r < 0)
		check_error(r, e);
	else
		check(e == NULL && st.bytes_in == len, "success reads the whole blob");
	close(fd);
	close(root);
	check_outside();
	check(ctr_rm_tree_at(basefd, "root", NULL) == 0, "the root is removed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (basefd < 0) {
		setup();
		atexit(cleanup);
	}
	apply(data, size, NULL);

	/* the same bytes as a gzip layer */
	z_stream z = {0};
	check(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate init");
	size_t cap = deflateBound(&z, size) + 64;
	unsigned char *gz = malloc(cap);
	check(gz != NULL, "allocation");
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)size;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	check(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	apply(gz, n, "application/vnd.oci.image.layer.v1.tar+gzip");
	free(gz);
	return 0;
}

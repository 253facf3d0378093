/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regression driver for fuzz targets built without libFuzzer: runs every
 * file named on the command line, or every file in a named directory,
 * through LLVMFuzzerTestOneInput.  A crash or abort fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_fd(int fd, const char *name)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			fprintf(stderr, "%s: read: %s\n", name, strerror(err));
			free(buf);
			return -err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	/* an exact-size copy so ASan sees reads past the end */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int run_path(int atfd, const char *path, const char *shown, unsigned *count)
{
	int fd = openat(atfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", shown, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", shown, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -1;
		}
		int ret = 0;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", shown, de->d_name);
			if (run_path(dirfd(d), de->d_name, sub, count) < 0)
				ret = -1;
		}
		closedir(d);
		return ret;
	}
	int r = run_fd(fd, shown);
	close(fd);
	if (r == 0)
		(*count)++;
	return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	unsigned count = 0;
	int ret = 0;
	for (int i = 1; i < argc; i++)
		if (run_path(AT_FDCWD, argv[i], argv[i], &count) < 0)
			ret = 1;
	printf("%u inputs run\n", count);
	if (count == 0) {
		fprintf(stderr, "no inputs found\n");
		return 1;
	}
	return ret;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the accel tests: temp trees and files. */
#ifndef CTR_TESTS_ACCEL_COMMON_H
#define CTR_TESTS_ACCEL_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* test paths live under /tmp: truncation cannot happen */
#ifndef __clang__ /* clang has no -Wformat-truncation */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static inline void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

/* p = dir/name, with its parent directories made */
static inline void parent_at(char p[PATH_MAX], const char *dir, const char *name)
{
	char d[PATH_MAX];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = '\0';
	mkdir_p(d);
}

static inline void write_at(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	parent_at(p, dir, name);
	f = fopen(p, "w");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", p, strerror(errno));
		abort();
	}
	fputs(content, f);
	fclose(f);
}

static inline void symlink_at(const char *dir, const char *target, const char *name)
{
	char p[PATH_MAX];

	parent_at(p, dir, name);
	unlink(p);
	if (symlink(target, p) < 0) {
		fprintf(stderr, "symlink %s: %s\n", p, strerror(errno));
		abort();
	}
}

/* mknod a char device under dir; returns -errno (EPERM when not root) */
static inline int mknod_at(const char *dir, const char *name, unsigned major_, unsigned minor_, gid_t gid)
{
	char p[PATH_MAX];

	parent_at(p, dir, name);
	unlink(p);
	if (mknod(p, S_IFCHR | 0666, makedev(major_, minor_)) < 0)
		return -errno;
	if (gid && chown(p, 0, gid) < 0)
		return -errno;
	return 0;
}

static inline char *make_tmpdir(void)
{
	char *t = strdup("/tmp/ctr-accel-XXXXXX");

	if (!t || !mkdtemp(t))
		abort();
	return t;
}

static inline void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (!dir || strncmp(dir, "/tmp/ctr-accel-", 15) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif

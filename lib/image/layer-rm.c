/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr_rm_tree_at: remove a tree fd-relatively without following symlinks.
 * It walks down holding one directory fd at a time (a hostile layer can nest
 * directories deeper than the fd limit) and comes back up through "..",
 * checking at each step that ".." is the directory it came from.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer.h"
#include "internal.h"

struct level {
	char *name; /* this directory's name in its parent */
	dev_t pdev; /* the parent's identity, checked when climbing back */
	ino_t pino;
};

static void free_levels(struct level *lv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lv[i].name);
	free(lv);
}

/* Unlink every non-directory in cur; *sub receives the name of one subdirectory (malloc'd) or NULL. */
static int sweep(int cur, char **sub, ctr_error **err)
{
	*sub = NULL;
	int dfd = openat(cur, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ctr_err_sys(err, errno, "removing a tree: cannot open a directory");
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return ctr_err_sys(err, e, "removing a tree: fdopendir");
	}
	int ret = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && unlinkat(cur, de->d_name, 0) == 0)
			continue;
		if (de->d_type != DT_DIR && errno != EISDIR && errno != ENOENT) {
			ret = ctr_err_sys(err, errno, "removing a tree: unlink '%.200s'", de->d_name);
			break;
		}
		if (de->d_type != DT_DIR && errno == ENOENT)
			continue;
		*sub = strdup(de->d_name);
		if (!*sub)
			ret = ctr_err_nomem(err);
		break;
	}
	if (!ret && !*sub && errno)
		ret = ctr_err_sys(err, errno, "removing a tree: readdir");
	closedir(d);
	return ret;
}

int ctr_rm_tree_at(int dirfd, const char *name, ctr_error **err)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_rm_tree_at: '%s' is not a plain name in the directory",
			       name ? name : "(null)");
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return ctr_err_sys(err, errno, "cannot remove '%.200s'", name);
	int cur = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cur < 0)
		return errno == ENOENT ? 0 : ctr_err_sys(err, errno, "cannot remove '%.200s'", name);
	struct level *lv = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	for (;;) {
		char *sub;
		ret = sweep(cur, &sub, err);
		if (ret < 0)
			break;
		if (sub) {
			struct stat pst;
			if (fstat(cur, &pst) < 0) {
				ret = ctr_err_sys(err, errno, "removing '%.200s'", name);
				free(sub);
				break;
			}
			int child = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (child < 0) {
				int e = errno;
				if (e == ENOTDIR || e == ELOOP) {
					/* it changed under us from a directory to something else */
					if (unlinkat(cur, sub, 0) == 0) {
						free(sub);
						continue;
					}
					e = errno;
				}
				ret = ctr_err_sys(err, e, "removing '%.200s': cannot open '%.200s'", name, sub);
				free(sub);
				break;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct level *nl = realloc(lv, nc * sizeof(*nl));
				if (!nl) {
					close(child);
					free(sub);
					ret = ctr_err_nomem(err);
					break;
				}
				lv = nl;
				cap = nc;
			}
			lv[n++] = (struct level){sub, pst.st_dev, pst.st_ino};
			close(cur);
			cur = child;
			continue;
		}
		/* cur is empty */
		if (n == 0)
			break;
		int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st;
		if (parent < 0 || fstat(parent, &st) < 0 || st.st_dev != lv[n - 1].pdev ||
		    st.st_ino != lv[n - 1].pino) {
			ret = ctr_err(err, EIO, CTR_E_SYSTEM,
				      "removing '%.200s': the tree was moved while it was being removed", name);
			if (parent >= 0)
				close(parent);
			break;
		}
		close(cur);
		cur = parent;
		n--;
		if (unlinkat(cur, lv[n].name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			ret = ctr_err_sys(err, errno, "removing '%.200s': rmdir '%.200s'", name, lv[n].name);
			free(lv[n].name);
			break;
		}
		free(lv[n].name);
	}
	close(cur);
	free_levels(lv, n);
	if (ret < 0)
		return ret;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return ctr_err_sys(err, errno, "cannot remove the directory '%.200s'", name);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * process.cwd made for containers run from an image (see workdir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/workdir.h"

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* The host id of a container id through the mappings (none: the same id); -1 when unmapped. */
static long long map_id(const struct oci_id_mapping *m, size_t n, uint32_t id)
{
	if (!n)
		return id;
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return (long long)m[i].host_id + (id - m[i].container_id);
	return -1;
}

int ctr_workdir_create(const struct oci_config *cfg, const char *rootfs, bool from_image, ctr_error **err)
{
	const struct oci_process *p = cfg ? cfg->process : NULL;
	if (!from_image || !p || !p->cwd || !rootfs)
		return 0;
	const char *cwd = p->cwd;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ctr_err_sys(err, errno, "image rootfs %s", rootfs);
	int fd = open_in_root(rootfd, cwd);
	if (fd >= 0 || fd != -ENOENT) {
		close(rootfd);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		return ctr_err_sys(err, -fd, "process.cwd '%s' (the image's WorkingDir)%s", cwd,
				   fd == -ENOTDIR ? ": exists in the image but is not a directory" : "");
	}
	long long huid = map_id(cfg->linux_.uid_mappings, cfg->linux_.n_uid_mappings, p->user.uid);
	long long hgid = map_id(cfg->linux_.gid_mappings, cfg->linux_.n_gid_mappings, p->user.gid);
	if (huid < 0 || hgid < 0) {
		close(rootfd);
		return ctr_err(err, EINVAL, CTR_E_SPEC, "process.cwd '%s' must be made for user %u:%u, which "
			       "linux.uidMappings/gidMappings do not map", cwd, p->user.uid, p->user.gid);
	}
	/* component by component: the resolved parent, then mkdirat in it */
	size_t len = strlen(cwd);
	char *prefix = malloc(len + 1);
	if (!prefix) {
		close(rootfd);
		return ctr_err_nomem(err);
	}
	int parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 0), r = 0;
	bool made_last = false;
	size_t i = 0;
	while (parent >= 0 && i < len) {
		while (cwd[i] == '/')
			i++;
		if (!cwd[i])
			break;
		size_t end = i;
		while (end < len && cwd[end] != '/')
			end++;
		memcpy(prefix, cwd, end);
		prefix[end] = '\0';
		char comp[256];
		if (end - i >= sizeof(comp)) {
			r = ctr_err(err, ENAMETOOLONG, CTR_E_SPEC, "process.cwd '%s': a component is too long", cwd);
			break;
		}
		memcpy(comp, cwd + i, end - i);
		comp[end - i] = '\0';
		made_last = false;
		int next = open_in_root(rootfd, prefix);
		if (next == -ENOENT) {
			if (mkdirat(parent, comp, 0755) < 0) {
				/* EEXIST for a name that does not resolve: a symlink to nowhere in the image */
				r = ctr_err_sys(err, errno, "process.cwd '%s' (the image's WorkingDir): cannot make '%s'%s",
						cwd, prefix, errno == EEXIST ? ": it is a symbolic link to a path the image "
						"does not have" : " in the image's rootfs");
				break;
			}
			made_last = true;
			/* the umask may have taken bits away; the dir is new and nothing runs in the rootfs yet */
			if (fchmodat(parent, comp, 0755, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP) {
				r = ctr_err_sys(err, errno, "process.cwd '%s': chmod '%s'", cwd, prefix);
				break;
			}
			next = open_in_root(rootfd, prefix);
		}
		if (next < 0) {
			r = ctr_err_sys(err, -next, "process.cwd '%s' (the image's WorkingDir): %s%s", cwd, prefix,
					next == -ENOTDIR ? ": exists in the image but is not a directory" : "");
			break;
		}
		close(parent);
		parent = next;
		i = end;
	}
	if (parent < 0 && r == 0)
		r = ctr_err_sys(err, errno, "image rootfs %s", rootfs);
	if (r == 0 && made_last && fchownat(parent, "", (uid_t)huid, (gid_t)hgid, AT_EMPTY_PATH) < 0)
		r = ctr_err_sys(err, errno, "process.cwd '%s': chown to the process's user %u:%u", cwd, p->user.uid,
				p->user.gid);
	if (parent >= 0)
		close(parent);
	close(rootfd);
	free(prefix);
	return r;
}

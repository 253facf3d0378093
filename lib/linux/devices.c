/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev in the container (config-linux.md "Devices", "Default Devices";
 * runtime-linux.md "Dev symbolic links").
 *
 * ctr_dev_plan_build() runs in the runtime before clone: it validates
 * linux.devices, merges the default devices, normalises every path into one
 * relative to the rootfs, and (in a user namespace, where mknod of a device is
 * not allowed) finds the host node to bind-mount.  ctr_dev_plan_apply() runs
 * in the container process before pivot_root with async-signal-safe calls
 * only; every path is resolved beneath the rootfs fd with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so a hostile rootfs
 * (rootfs/dev -> /tmp/outside) cannot make us create anything outside it, and
 * the node itself is made with *at() calls relative to the resolved parent.
 *
 * Choices the spec leaves open:
 *  - fileMode absent: 0666 (the default devices' mode); its type bits are
 *    ignored, the type comes from "type".  The process umask is set to 0 while
 *    applying so that the mode is exactly the one asked for;
 *  - uid/gid absent: 0 (root in the container);
 *  - an existing entry at a linux.devices path that is the same device (type
 *    and major:minor) is replaced so that mode and owner are as asked; a
 *    different one is an error (config-linux.md: "If a file already exists at
 *    path that does not match the requested device, the runtime MUST generate
 *    an error").  Default devices and symlinks replace whatever non-directory
 *    is there;
 *  - in a user namespace the host node is bind-mounted: it keeps the host's
 *    mode and owner (changing them would change the host's node).  The node
 *    is the same path on the host, udev's /dev/char|block/MAJ:MIN, or any
 *    node with that number in the host's /dev;
 *  - /dev/core -> /proc/kcore is not created (exposes kernel memory layout to
 *    a privileged container; podman does not create it either).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/devices.h"
#include "linux/sigsafe.h"

enum dev_kind {
	DEV_NODE,    /* mknod c/b */
	DEV_FIFO,    /* mknod p */
	DEV_BIND,    /* empty file + bind mount of host_path (user namespace) */
	DEV_SYMLINK, /* symlink to target */
};

struct dev_entry {
	enum dev_kind kind;
	char *label;     /* for messages: "linux.devices[2] (/dev/fuse)", "default device /dev/null" */
	char *parent;    /* relative to the rootfs, normalised, "" for the rootfs itself */
	char *name;      /* last component */
	mode_t mode;     /* S_IFCHR/S_IFBLK/S_IFIFO | permission bits */
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	bool strict;     /* from linux.devices: an existing different entry is an error */
	char *target;    /* DEV_SYMLINK */
	char *host_path; /* DEV_BIND */
};

struct ctr_dev_plan {
	struct dev_entry *e;
	size_t n;
	size_t cap;
};

static const struct {
	const char *path;
	unsigned major, minor;
} default_devices[] = {
	{ "/dev/null", 1, 3 },	  { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
	const char *path;
	const char *target;
} default_symlinks[] = {
	{ "/dev/fd", "/proc/self/fd" },	      { "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
	{ "/dev/ptmx", "pts/ptmx" },
};

/* Largest numbers the kernel's dev_t encoding takes (MINORBITS = 20). */
#define DEV_MAJOR_MAX 4095
#define DEV_MINOR_MAX 1048575

/*
 * Normalise an absolute container path lexically into a path relative to the
 * rootfs: no empty, "." or ".." components ("..", clamped at the root as the
 * kernel does for RESOLVE_IN_ROOT).  Symlinks inside the rootfs are still
 * resolved by the kernel, beneath the root, when applying.  Returns a new
 * string ("" for the root itself) or NULL on ENOMEM.
 */
static char *normalize_rel(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = p;
		while (*end && *end != '/')
			end++;
		size_t cl = (size_t)(end - p);
		if (cl == 1 && p[0] == '.') {
			/* skip */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the '/' before the dropped component */
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, cl);
			o += cl;
		}
		p = end;
	}
	out[o] = '\0';
	return out;
}

static void entry_free(struct dev_entry *d)
{
	free(d->label);
	free(d->parent);
	free(d->name);
	free(d->target);
	free(d->host_path);
}

bool ctr_dev_plan_under(const struct ctr_dev_plan *plan, const char *dir)
{
	for (size_t i = 0; plan && i < plan->n; i++) {
		char path[PATH_MAX];
		const struct dev_entry *d = &plan->e[i];
		snprintf(path, sizeof(path), "%s%s%s", d->parent, *d->parent ? "/" : "", d->name);
		if (ctr_path_nested(path, dir))
			return true;
	}
	return false;
}

void ctr_dev_plan_free(struct ctr_dev_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		entry_free(&plan->e[i]);
	free(plan->e);
	free(plan);
}

/* Append an entry (taking ownership of the strings in *d, also on failure). */
static int plan_add(struct ctr_dev_plan *plan, struct dev_entry *d, ctr_error **err)
{
	if (plan->n == plan->cap) {
		size_t cap = plan->cap ? plan->cap * 2 : 16;
		struct dev_entry *ne = realloc(plan->e, cap * sizeof(*ne));
		if (!ne) {
			entry_free(d);
			return ctr_err_nomem(err);
		}
		plan->e = ne;
		plan->cap = cap;
	}
	plan->e[plan->n++] = *d;
	return 0;
}

/* Split a normalised relative path into parent and name (both new strings). */
static int split_rel(const char *rel, char **parent, char **name)
{
	const char *slash = strrchr(rel, '/');
	if (slash) {
		*parent = strndup(rel, (size_t)(slash - rel));
		*name = strdup(slash + 1);
	} else {
		*parent = strdup("");
		*name = strdup(rel);
	}
	if (!*parent || !*name) {
		free(*parent);
		free(*name);
		*parent = *name = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool host_node_matches(const char *path, mode_t type, dev_t rdev)
{
	struct stat st;
	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == rdev;
}

/*
 * Look for a node of this type and number under dir (the host's /dev), files
 * of a directory before its subdirectories, depth levels down.  Virtual
 * filesystems mounted there hold no device nodes worth a walk.
 */
static bool scan_for_node(const char *dir, int depth, mode_t type, dev_t rdev, char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	for (int pass = 0; pass < 2 && !found; pass++) {
		rewinddir(d);
		struct dirent *de;
		while (!found && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			int n = snprintf(out, outlen, "%s/%s", dir, de->d_name);
			if (n < 0 || (size_t)n >= outlen)
				continue;
			if (pass == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
				found = true;
			else if (pass == 1 && S_ISDIR(st.st_mode) && depth > 0 && strcmp(de->d_name, "pts") &&
				 strcmp(de->d_name, "shm") && strcmp(de->d_name, "mqueue") &&
				 strcmp(de->d_name, "hugepages")) {
				char sub[PATH_MAX];
				snprintf(sub, sizeof(sub), "%s", out);
				found = scan_for_node(sub, depth - 1, type, rdev, out, outlen);
			}
		}
	}
	closedir(d);
	return found;
}

/*
 * In a user namespace: find a host node with this type and number to
 * bind-mount: the same path on the host when it is under /dev, else udev's
 * /dev/char/MAJ:MIN or /dev/block/MAJ:MIN, else any node with that number in
 * the host's /dev (3 levels deep).  Returns the canonical path.
 */
static int find_host_node(const char *label, const char *cpath, mode_t type, dev_t rdev, char **out,
			  ctr_error **err)
{
	char by_num[64];
	snprintf(by_num, sizeof(by_num), "/dev/%s/%u:%u", type == S_IFBLK ? "block" : "char", major(rdev),
		 minor(rdev));
	const char *cands[2] = { strncmp(cpath, "/dev/", 5) == 0 ? cpath : NULL, by_num };
	for (size_t i = 0; i < 2; i++) {
		if (!cands[i] || !host_node_matches(cands[i], type, rdev))
			continue;
		*out = realpath(cands[i], NULL);
		if (!*out)
			return errno == ENOMEM ? ctr_err_nomem(err)
					       : ctr_err_sys(err, errno, "%s: resolve the host node %s", label, cands[i]);
		return 0;
	}
	char found[PATH_MAX];
	if (scan_for_node("/dev", 3, type, rdev, found, sizeof(found))) {
		*out = strdup(found);
		return *out ? 0 : ctr_err_nomem(err);
	}
	return ctr_err(err, ENODEV, CTR_E_NOT_FOUND,
		       "%s: in a user namespace devices cannot be created with mknod and are bind-mounted from "
		       "the host, but the host's /dev has no %s device %u:%u: create the node on the host or "
		       "drop the device from the config",
		       label, type == S_IFBLK ? "block" : "character", major(rdev), minor(rdev));
}

/* Build one device entry (node, fifo or bind). */
static int add_device(struct ctr_dev_plan *plan, char *label, const char *cpath, const char *rel, char type,
		      int64_t maj, int64_t min, uint32_t mode, uint32_t uid, uint32_t gid, bool strict,
		      bool in_userns, ctr_error **err)
{
	struct dev_entry d;
	memset(&d, 0, sizeof(d));
	d.label = label;
	d.strict = strict;
	d.uid = uid;
	d.gid = gid;
	int r;
	if (split_rel(rel, &d.parent, &d.name) < 0) {
		entry_free(&d);
		return ctr_err_nomem(err);
	}
	if (type == 'p') {
		d.kind = DEV_FIFO;
		d.mode = S_IFIFO | (mode & 07777);
	} else {
		mode_t t = type == 'b' ? S_IFBLK : S_IFCHR;
		d.mode = t | (mode & 07777);
		d.rdev = makedev((unsigned)maj, (unsigned)min);
		if (in_userns) {
			d.kind = DEV_BIND;
			if ((r = find_host_node(label, cpath, t, d.rdev, &d.host_path, err)) < 0) {
				entry_free(&d);
				return r;
			}
		} else {
			d.kind = DEV_NODE;
		}
	}
	return plan_add(plan, &d, err);
}

static int add_symlink(struct ctr_dev_plan *plan, const char *cpath, const char *target, ctr_error **err)
{
	struct dev_entry d;
	memset(&d, 0, sizeof(d));
	d.kind = DEV_SYMLINK;
	char *rel = normalize_rel(cpath);
	if (!rel || asprintf(&d.label, "symlink %s", cpath) < 0) {
		d.label = NULL;
		free(rel);
		return ctr_err_nomem(err);
	}
	d.target = strdup(target);
	int r = split_rel(rel, &d.parent, &d.name);
	free(rel);
	if (r < 0 || !d.target) {
		entry_free(&d);
		return ctr_err_nomem(err);
	}
	return plan_add(plan, &d, err);
}

/* Whether one of the n strings in v is s. */
static bool strv_n_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void ctr_dev_warn_file_modes(const ctr_context *ctx, const struct oci_config *cfg)
{
	for (size_t i = 0; cfg && i < cfg->linux_.n_devices; i++) {
		const struct oci_device *d = &cfg->linux_.devices[i];
		uint32_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		if (d->has_file_mode && d->file_mode_type && d->file_mode_type != want)
			ctr_warn(ctx,
				 "config.json: linux.devices[%zu].fileMode: the file type bits %#o contradict "
				 "\"type\": \"%c\" (%#o); the node is made as \"type\" says, mode %#o",
				 i, (unsigned)d->file_mode_type, d->type, (unsigned)want, (unsigned)d->file_mode);
	}
}

int ctr_dev_plan_build(const struct oci_config *cfg, bool in_userns, struct ctr_dev_plan **out,
		       ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_dev_plan_build: out is NULL");
	*out = NULL;
	const struct oci_device *devs = cfg ? cfg->linux_.devices : NULL;
	size_t ndev = cfg && devs ? cfg->linux_.n_devices : 0;
	int r = 0;

	struct ctr_dev_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return ctr_err_nomem(err);

	/* normalised paths of linux.devices, to find overrides and duplicates */
	char **rels = calloc(ndev + 1, sizeof(char *));
	if (!rels) {
		free(plan);
		return ctr_err_nomem(err);
	}

	for (size_t i = 0; i < ndev; i++) {
		const struct oci_device *d = &devs[i];
		if (!d->path || d->path[0] != '/') {
			r = ctr_err(err, EINVAL, CTR_E_SPEC,
				    "config.json: linux.devices[%zu].path: '%s' is not an absolute path: give the "
				    "full path in the container, e.g. /dev/fuse",
				    i, d->path ? d->path : "");
			goto fail;
		}
		rels[i] = normalize_rel(d->path);
		if (!rels[i]) {
			r = ctr_err_nomem(err);
			goto fail;
		}
		const char *last = strrchr(rels[i], '/');
		last = last ? last + 1 : rels[i];
		if (!*last) {
			r = ctr_err(err, EINVAL, CTR_E_SPEC,
				    "config.json: linux.devices[%zu].path: '%s' names the root directory: give the "
				    "device's path, e.g. /dev/fuse",
				    i, d->path);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(rels[j], rels[i]) == 0) {
				r = ctr_err(err, EINVAL, CTR_E_SPEC,
					    "config.json: linux.devices[%zu].path: '%s' is also linux.devices[%zu]: "
					    "give each device its own path",
					    i, d->path, j);
				goto fail;
			}
		switch (d->type) {
		case 'c':
		case 'b':
		case 'u':
			if (d->major < 0 || d->major > DEV_MAJOR_MAX || d->minor < 0 || d->minor > DEV_MINOR_MAX) {
				r = ctr_err(err, EINVAL, CTR_E_SPEC,
					    "config.json: linux.devices[%zu] (%s): major:minor %lld:%lld is out of "
					    "range: major must be 0..%d and minor 0..%d",
					    i, d->path, (long long)d->major, (long long)d->minor, DEV_MAJOR_MAX,
					    DEV_MINOR_MAX);
				goto fail;
			}
			break;
		case 'p':
			break;
		default:
			r = ctr_err(err, EINVAL, CTR_E_SPEC,
				    "config.json: linux.devices[%zu].type: '%c' is not a device type: use c, b, u "
				    "or p",
				    i, d->type ? d->type : '?');
			goto fail;
		}
	}

	for (size_t k = 0; k < CTR_ARRAY_SIZE(default_devices); k++) {
		const char *rel = default_devices[k].path + 1;
		if (strv_n_has(rels, ndev, rel))
			continue; /* linux.devices overrides the default */
		char *label = NULL;
		if (asprintf(&label, "default device %s", default_devices[k].path) < 0) {
			r = ctr_err_nomem(err);
			goto fail;
		}
		r = add_device(plan, label, default_devices[k].path, rel, 'c', default_devices[k].major,
			       default_devices[k].minor, 0666, 0, 0, false, in_userns, err);
		if (r < 0)
			goto fail;
	}

	for (size_t i = 0; i < ndev; i++) {
		const struct oci_device *d = &devs[i];
		char *label = NULL;
		if (asprintf(&label, "linux.devices[%zu] (%s)", i, d->path) < 0) {
			r = ctr_err_nomem(err);
			goto fail;
		}
		r = add_device(plan, label, d->path, rels[i], d->type == 'u' ? 'c' : d->type, d->major, d->minor,
			       d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0,
			       d->has_gid ? d->gid : 0, true, in_userns, err);
		if (r < 0)
			goto fail;
	}

	for (size_t k = 0; k < CTR_ARRAY_SIZE(default_symlinks); k++) {
		const char *rel = default_symlinks[k].path + 1;
		if (strv_n_has(rels, ndev, rel))
			continue; /* linux.devices overrides the default */
		if ((r = add_symlink(plan, default_symlinks[k].path, default_symlinks[k].target, err)) < 0)
			goto fail;
	}

	for (size_t i = 0; i < ndev; i++)
		free(rels[i]);
	free(rels);
	*out = plan;
	return 0;

fail:
	for (size_t i = 0; i < ndev; i++)
		free(rels[i]);
	free(rels);
	ctr_dev_plan_free(plan);
	return r;
}

/* ---- apply: async-signal-safe from here on ---- */

/*
 * Open a directory beneath rootfd.  openat2(RESOLVE_IN_ROOT) resolves
 * symlinks and ".." as if rootfd were "/", so nothing outside the rootfs is
 * reached; RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd-style jumps.  Where
 * openat2 is missing (Linux < 5.6, or a seccomp profile answering ENOSYS)
 * walk component by component with O_NOFOLLOW: safe, but a rootfs whose
 * device directories are symlinks is refused there instead of followed.
 */
static int open_dir_beneath(int rootfd, const char *rel, int *out)
{
	struct open_how how;
	char *hp = (char *)&how;
	for (size_t i = 0; i < sizeof(how); i++)
		hp[i] = 0;
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	long fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
	if (fd >= 0) {
		*out = (int)fd;
		return 0;
	}
	if (errno != ENOSYS)
		return -errno;

	int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	char comp[NAME_MAX + 1];
	for (const char *p = rel; *p;) {
		const char *end = p;
		while (*end && *end != '/')
			end++;
		size_t cl = (size_t)(end - p);
		if (cl > NAME_MAX) {
			close(cur);
			return -ENAMETOOLONG;
		}
		for (size_t i = 0; i < cl; i++)
			comp[i] = p[i];
		comp[cl] = '\0';
		int nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(cur);
		if (nfd < 0)
			return -e;
		cur = nfd;
		p = *end ? end + 1 : end;
	}
	*out = cur;
	return 0;
}

/*
 * Open the directory rel beneath rootfd, creating missing components (0755,
 * root-owned in the container).  rel is normalised (no "." or "..").
 */
static int mkdir_open_beneath(int rootfd, const char *rel, int *out, const char **what)
{
	int r = open_dir_beneath(rootfd, rel, out);
	if (r != -ENOENT) {
		if (r < 0)
			*what = "open the parent directory";
		return r;
	}

	char buf[PATH_MAX];
	if (ss_strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf)) {
		*what = "open the parent directory";
		return -ENAMETOOLONG;
	}
	int parent;
	if ((r = open_dir_beneath(rootfd, "", &parent)) < 0) {
		*what = "open the rootfs";
		return r;
	}
	size_t len = ss_strlen(buf);
	size_t start = 0;
	while (start < len) {
		size_t end = start;
		while (end < len && buf[end] != '/')
			end++;
		buf[end] = '\0';
		int fd;
		r = open_dir_beneath(rootfd, buf, &fd);
		if (r == -ENOENT) {
			/* the component name alone, relative to the parent we resolved */
			if (mkdirat(parent, buf + start, 0755) < 0 && errno != EEXIST) {
				r = -errno;
				close(parent);
				*what = "create the parent directory";
				return r;
			}
			r = open_dir_beneath(rootfd, buf, &fd);
		}
		if (r < 0) {
			close(parent);
			*what = r == -ENOENT ? "create the parent directory (a dangling symlink in the way?)"
					     : "open the parent directory";
			return r;
		}
		close(parent);
		parent = fd;
		if (end < len)
			buf[end] = '/';
		start = end + 1;
	}
	*out = parent;
	return 0;
}

static int bind_host_node(const struct dev_entry *d, int dirfd, const char **what)
{
	int fd = openat(dirfd, d->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0) {
		*what = "create the bind-mount target";
		return -errno;
	}
	close(fd);
	int target = openat(dirfd, d->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0) {
		*what = "open the bind-mount target";
		return -errno;
	}
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, d->host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree >= 0) {
		long r = syscall(SYS_move_mount, tree, "", target, "",
				 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		int e = errno;
		close(tree);
		close(target);
		if (r < 0) {
			*what = "bind-mount the host node (move_mount)";
			return -e;
		}
		return 0;
	}
	if (errno != ENOSYS) {
		int e = errno;
		close(target);
		*what = "bind-mount the host node (open_tree)";
		return -e;
	}
	/*
	 * No new mount API (Linux < 5.2): mount(2) needs a path; name the
	 * target through its O_PATH fd's /proc/self/fd entry so that the
	 * target is still the file we just created beneath the rootfs.
	 */
	char fdpath[64];
	ss_fmt(fdpath, sizeof(fdpath), "/proc/self/fd/%d", target);
	int r = mount(d->host_path, fdpath, NULL, MS_BIND, NULL);
	int e = errno;
	close(target);
	if (r < 0) {
		*what = "bind-mount the host node";
		return -e;
	}
	return 0;
}

/* Is the existing entry (st) the device d asks for? */
static bool same_device(const struct dev_entry *d, const struct stat *st)
{
	if ((st->st_mode & S_IFMT) != (d->mode & S_IFMT))
		return false;
	return S_ISFIFO(st->st_mode) || st->st_rdev == d->rdev;
}

/*
 * The directory the entries go into, kept open from one entry to the next
 * of the same parent (the defaults are eleven entries of /dev): opened
 * beneath the rootfs once, and the owner a node made in it gets (ours, the
 * directory's group when it is set-group-ID), learnt once.  Making an entry
 * in it changes nothing of what its path resolves to, and an entry whose
 * parent is another path opens that.
 */
struct dev_dir {
	const char *parent; /* the parent the fd was opened for (an entry's string); NULL: none */
	int fd;
	bool owner_known;
	uid_t uid;
	gid_t gid;
};

static void dev_dir_close(struct dev_dir *dir)
{
	if (dir->fd >= 0)
		close(dir->fd);
	dir->fd = -1;
	dir->parent = NULL;
	dir->owner_known = false;
}

/* Make d in dirfd: 0, -EEXIST when something is at its name, or another -errno (*what says the step). */
static int make_entry(const struct dev_entry *d, int dirfd, const char **what)
{
	switch (d->kind) {
	case DEV_NODE:
	case DEV_FIFO:
		*what = "mknod";
		return mknodat(dirfd, d->name, d->mode, d->rdev) < 0 ? -errno : 0;
	case DEV_BIND:
		return bind_host_node(d, dirfd, what);
	case DEV_SYMLINK:
		*what = "symlink";
		return symlinkat(d->target, dirfd, d->name) < 0 ? -errno : 0;
	}
	return 0;
}

/* Something is at d's name: an error when it must not be replaced (the whole message in errbuf,
 * *what NULL), else removed (0). */
static int clear_existing(const struct dev_entry *d, int dirfd, char *errbuf, size_t errlen, const char **what)
{
	struct stat st;
	if (fstatat(dirfd, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		*what = "stat";
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		*what = NULL;
		ss_fmt(errbuf, errlen,
		       "%s: a directory exists at that path in the rootfs: remove it from the rootfs or "
		       "choose another path",
		       d->label);
		return -EEXIST;
	}
	if (d->strict && d->kind != DEV_SYMLINK) {
		/* in a user namespace an empty file is what an earlier run left as bind target */
		bool same = same_device(d, &st) || (d->kind == DEV_BIND && S_ISREG(st.st_mode) && st.st_size == 0);
		if (!same) {
			*what = NULL;
			ss_fmt(errbuf, errlen,
			       "%s: the rootfs already has a different file at that path (mode 0%o, "
			       "device %u:%u): remove it from the rootfs or change the device's path",
			       d->label, (unsigned)st.st_mode, major(st.st_rdev), minor(st.st_rdev));
			return -EEXIST;
		}
	}
	if (unlinkat(dirfd, d->name, 0) < 0) {
		*what = "remove the existing entry";
		return -errno;
	}
	return 0;
}

/* The owner mknodat gives a node in dir: our fs ids (the euid and egid here: no setfsuid), the
 * directory's group when it is set-group-ID. */
static int dir_owner(struct dev_dir *dir, const char **what)
{
	if (dir->owner_known)
		return 0;
	struct stat st;
	if (fstat(dir->fd, &st) < 0) {
		*what = "stat the parent directory";
		return -errno;
	}
	dir->uid = geteuid();
	dir->gid = (st.st_mode & S_ISGID) ? st.st_gid : getegid();
	dir->owner_known = true;
	return 0;
}

static int apply_one(const struct dev_entry *d, int rootfd, struct dev_dir *dir, char *errbuf, size_t errlen)
{
	const char *what = "";
	int r = 0;

	if (!dir->parent || strcmp(dir->parent, d->parent)) {
		dev_dir_close(dir);
		if ((r = mkdir_open_beneath(rootfd, d->parent, &dir->fd, &what)) < 0)
			goto fail;
		dir->parent = d->parent;
	}
	/* made at once, and only when something is there already checked and replaced: a new
	 * /dev has nothing, a stat of every name first was a system call each for nothing */
	r = make_entry(d, dir->fd, &what);
	if (r == -EEXIST) {
		if ((r = clear_existing(d, dir->fd, errbuf, errlen, &what)) < 0) {
			if (!what)
				return r; /* the message says it all */
			goto fail;
		}
		r = make_entry(d, dir->fd, &what);
	}
	if (r == -EPERM && d->kind == DEV_NODE) {
		ss_fmt_errno(errbuf, errlen, EPERM,
			     "%s: mknod: %m (the runtime lacks CAP_MKNOD or a device cgroup "
			     "refuses it: run the container with a user namespace to bind-mount "
			     "the host's node instead)",
			     d->label);
		return r;
	}
	if (r < 0)
		goto fail;
	if (d->kind == DEV_NODE || d->kind == DEV_FIFO) {
		/* a node already owned as asked (root's in the usual case) needs no chown */
		if ((r = dir_owner(dir, &what)) < 0)
			goto fail;
		if ((d->uid != dir->uid || d->gid != dir->gid) &&
		    fchownat(dir->fd, d->name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			what = "chown";
			goto fail;
		}
	}
	return 0;

fail:
	ss_fmt_errno(errbuf, errlen, -r, "%s: %s: %m", d->label, what);
	return r;
}

int ctr_dev_plan_apply(const struct ctr_dev_plan *plan, int rootfd, char *errbuf, size_t errlen)
{
	if (errlen)
		errbuf[0] = '\0';
	if (!plan)
		return 0;
	/* exact modes for nodes and directories; the container process is single-threaded here */
	mode_t old = umask(0);
	int r = 0;
	struct dev_dir dir = {NULL, -1, false, 0, 0};
	for (size_t i = 0; i < plan->n && r == 0; i++)
		r = apply_one(&plan->e[i], rootfd, &dir, errbuf, errlen);
	dev_dir_close(&dir);
	umask(old);
	return r;
}

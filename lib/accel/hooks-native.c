/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hook verbs NVIDIA's CDI specs use (nvidia-cdi-hook / nvidia-ctk hook):
 * create-symlinks, update-ldcache, chmod, enable-cuda-compat and
 * disable-device-node-modification, implemented in libctr so a spec works
 * on a host without nvidia-container-toolkit.  Every path inside the
 * container is resolved with openat2(RESOLVE_IN_ROOT) from an fd of the
 * rootfs, so a hostile image cannot point them at the host.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/accel-internal.h"
#include "accel/native-hooks.h"
#include "linux/process.h"
#include "linux/sigsafe.h"

extern char **environ;

static int root_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* mkdir -p of dir inside the root; returns an O_PATH fd of it */
static int root_mkdirs(int rootfd, const char *dir, ctr_error **err)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);
	int fd;

	if (len >= sizeof(buf))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "path %s is too long", dir);
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char save = *p, *slash;
			int parent;

			*p = '\0';
			slash = strrchr(buf, '/');
			if (slash == buf)
				parent = root_open(rootfd, "/", O_PATH | O_DIRECTORY, 0);
			else {
				*slash = '\0';
				parent = root_open(rootfd, buf, O_PATH | O_DIRECTORY, 0);
				*slash = '/';
			}
			if (parent < 0)
				return ctr_err_sys(err, -parent, "%s: parent of %s", dir, buf);
			if (slash[1] && mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST) {
				int e = errno;
				close(parent);
				return ctr_err_sys(err, e, "mkdir %s in the container", buf);
			}
			close(parent);
			*p = save;
			if (!save)
				break;
		}
	}
	fd = root_open(rootfd, buf, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return ctr_err_sys(err, -fd, "open %s in the container", buf);
	return fd;
}

/* Split "/a/b/c" into a directory fd (created) and the base name. */
static int root_parent(int rootfd, const char *path, const char **base, ctr_error **err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || !slash || !slash[1])
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%s' is not an absolute path to a file", path);
	if ((size_t)(slash - path) >= sizeof(dir))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "path %s is too long", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*base = slash + 1;
	return root_mkdirs(rootfd, dir[0] ? dir : "/", err);
}

/* Values of repeated "--name value" or "--name=value" options. */
static int opt_values(const char *const *args, const char *name, char ***out)
{
	size_t nl = strlen(name);

	for (size_t i = 0; args[i]; i++) {
		const char *v = NULL;
		if (strcmp(args[i], name) == 0 && args[i + 1])
			v = args[++i];
		else if (strncmp(args[i], name, nl) == 0 && args[i][nl] == '=')
			v = args[i] + nl + 1;
		if (v && strv_append(out, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int verb_create_symlinks(int rootfd, const char *const *args, ctr_error **err)
{
	char **links = NULL;
	int r = 0;

	if (opt_values(args, "--link", &links) < 0)
		return ctr_err_nomem(err);
	for (size_t i = 0; links && links[i] && r == 0; i++) {
		char *sep = strstr(links[i], "::"), tgt[PATH_MAX];
		const char *base;
		int dfd;
		ssize_t n;

		if (!sep || sep == links[i] || !sep[2]) {
			r = ctr_err(err, EINVAL, CTR_E_INVALID, "create-symlinks: --link '%s' is not target::link", links[i]);
			break;
		}
		*sep = '\0';
		dfd = root_parent(rootfd, sep + 2, &base, err);
		if (dfd < 0) {
			r = dfd;
			break;
		}
		if (symlinkat(links[i], dfd, base) < 0) {
			if (errno == EEXIST && (n = readlinkat(dfd, base, tgt, sizeof(tgt) - 1)) >= 0) {
				tgt[n] = '\0';
				/* an image may already ship the link; another target is left alone as nvidia-cdi-hook does */
			} else if (errno != EEXIST) {
				r = ctr_err_sys(err, errno, "create-symlinks: %s -> %s in the container", sep + 2, links[i]);
			}
		}
		close(dfd);
	}
	ctr_strv_free(links);
	return r;
}

static int verb_chmod(int rootfd, const char *const *args, ctr_error **err)
{
	char **modes = NULL, **paths = NULL, *end;
	unsigned long mode;
	int r = 0;

	if (opt_values(args, "--mode", &modes) < 0 || opt_values(args, "--path", &paths) < 0) {
		ctr_strv_free(modes);
		ctr_strv_free(paths);
		return ctr_err_nomem(err);
	}
	if (!modes || !modes[0] || modes[1]) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "chmod: give exactly one --mode");
		goto out;
	}
	mode = strtoul(modes[0], &end, 8);
	if (*end || mode > 07777) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "chmod: --mode '%s' is not an octal mode", modes[0]);
		goto out;
	}
	for (size_t i = 0; paths && paths[i] && r == 0; i++) {
		char proc[64];
		int fd = root_open(rootfd, paths[i], O_PATH | O_NOFOLLOW, 0);

		if (fd < 0) {
			r = ctr_err_sys(err, -fd, "chmod: %s in the container", paths[i]);
			break;
		}
		/* fchmod() refuses O_PATH fds; the fd's /proc link names exactly the inode resolved in the root */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, (mode_t)mode) < 0)
			r = ctr_err_sys(err, errno, "chmod: %s in the container", paths[i]);
		close(fd);
	}
out:
	ctr_strv_free(modes);
	ctr_strv_free(paths);
	return r;
}

static int write_in_root(int rootfd, const char *path, const char *content, ctr_error **err)
{
	const char *base;
	int dfd = root_parent(rootfd, path, &base, err), fd;
	size_t len = strlen(content);

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(dfd);
	if (fd < 0)
		return ctr_err_sys(err, errno, "write %s in the container", path);
	if (write(fd, content, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;
		close(fd);
		return ctr_err_sys(err, e, "write %s in the container", path);
	}
	close(fd);
	return 0;
}

static const char *find_ldconfig(void)
{
	static const char *const c[] = { "/sbin/ldconfig.real", "/sbin/ldconfig", "/usr/sbin/ldconfig", "/usr/bin/ldconfig" };

	for (size_t i = 0; i < CTR_ARRAY_SIZE(c); i++)
		if (access(c[i], X_OK) == 0)
			return c[i];
	return NULL;
}

static int verb_update_ldcache(int rootfd, const char *rootfs, const char *const *args, ctr_error **err)
{
	char **folders = NULL, *conf = NULL, **argv = NULL;
	const char *ldconfig = find_ldconfig();
	size_t clen = 0;
	FILE *m;
	int r;

	if (opt_values(args, "--folder", &folders) < 0)
		return ctr_err_nomem(err);
	m = open_memstream(&conf, &clen);
	if (!m) {
		ctr_strv_free(folders);
		return ctr_err_nomem(err);
	}
	fputs("# written by libctr (update-ldcache)\n", m);
	for (size_t i = 0; folders && folders[i]; i++)
		fprintf(m, "%s\n", folders[i]);
	if (fclose(m) != 0) {
		free(conf);
		ctr_strv_free(folders);
		return ctr_err_nomem(err);
	}
	r = folders ? write_in_root(rootfd, "/etc/ld.so.conf.d/00-nvcr-libctr.conf", conf, err) : 0;
	free(conf);
	if (r < 0)
		goto out;
	if (!ldconfig) {
		r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "update-ldcache: no ldconfig on the host: install libc-bin");
		goto out;
	}
	/* the host's ldconfig with -r: it chroots into the rootfs itself and
	 * writes the container's /etc/ld.so.cache; the folders are given too
	 * in case the image's ld.so.conf does not include ld.so.conf.d */
	if (strv_append(&argv, ldconfig) < 0 || strv_append(&argv, "-r") < 0 || strv_append(&argv, rootfs) < 0) {
		r = ctr_err_nomem(err);
		goto out;
	}
	for (size_t i = 0; folders && folders[i]; i++)
		if (strv_append(&argv, folders[i]) < 0) {
			r = ctr_err_nomem(err);
			goto out;
		}
	/* none of the caller's fds, a fixed environment, a pidfd: whatever the host does with SIGCHLD */
	int hpidfd = -1, code = -1;
	r = ctr_spawn_helper(ldconfig, argv, -1, STDERR_FILENO, &hpidfd);
	if (r < 0) {
		r = ctr_err_sys(err, -r, "update-ldcache: run %s", ldconfig);
		goto out;
	}
	r = ctr_pidfd_exit_status(hpidfd, -1, &code);
	close(hpidfd);
	if (r < 0) {
		r = ctr_err_sys(err, -r, "update-ldcache: wait for %s (its exit status was taken by another reaper "
				"of this process's children, on a kernel before 6.15)", ldconfig);
		goto out;
	}
	if (code != 0)
		r = ctr_err(err, EIO, CTR_E_HOOK, "update-ldcache: %s -r %s failed (exit code %d)", ldconfig, rootfs, code);
out:
	ctr_strv_free(argv);
	ctr_strv_free(folders);
	return r;
}

/* enable-cuda-compat: prefer the image's CUDA forward-compat libcuda when it is newer than the host driver */
static int verb_enable_cuda_compat(int rootfd, const char *const *args, ctr_error **err)
{
	char **ver = NULL;
	int dfd, host_major, best = -1, r = 0;
	DIR *d;
	struct dirent *de;

	if (opt_values(args, "--host-driver-version", &ver) < 0)
		return ctr_err_nomem(err);
	if (!ver || !ver[0] || !isdigit((unsigned char)ver[0][0])) {
		ctr_strv_free(ver);
		return ctr_err(err, EINVAL, CTR_E_INVALID, "enable-cuda-compat: --host-driver-version is required");
	}
	host_major = atoi(ver[0]);
	ctr_strv_free(ver);
	dfd = root_open(rootfd, "/usr/local/cuda/compat", O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return 0; /* no compat libraries in the image: nothing to do */
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return ctr_err_sys(err, errno, "enable-cuda-compat: /usr/local/cuda/compat");
	}
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "libcuda.so.", 11) == 0 && isdigit((unsigned char)de->d_name[11]) &&
		    strchr(de->d_name + 11, '.')) {
			int m = atoi(de->d_name + 11);
			if (m > best)
				best = m;
		}
	closedir(d);
	if (best > host_major)
		r = write_in_root(rootfd, "/etc/ld.so.conf.d/00-compat-libctr.conf", "/usr/local/cuda/compat\n", err);
	return r;
}

/*
 * disable-device-node-modification: the container sees a copy of
 * /proc/driver/nvidia/params with ModifyDeviceFiles: 0, so the user-space
 * driver never tries to create or chmod device nodes.  The copy is a file
 * on a detached tmpfs (fsopen/fsmount), cloned with open_tree() and
 * attached over the file with move_mount() in the container's mount
 * namespace: a plain bind mount of a memfd is refused across namespaces.
 */
static int verb_disable_modification(const char *host_root, pid_t pid, int rootfd, ctr_error **err)
{
	char *hp = accel_host_path(host_root, "/proc/driver/nvidia/params"), *params = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	int fs = -1, mnt = -1, fd = -1, nsfd = -1, tfd = -1, r, status;
	char nspath[64];
	pid_t child;
	FILE *m;

	if (!hp)
		return ctr_err_nomem(err);
	r = ctr_read_file(hp, 1 << 20, &params, &len, err);
	free(hp);
	if (r < 0)
		return r;
	m = open_memstream(&out, &olen);
	if (!m) {
		free(params);
		return ctr_err_nomem(err);
	}
	for (char *line = params, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (strncmp(line, "ModifyDeviceFiles:", 18) == 0)
			fputs("ModifyDeviceFiles: 0\n", m);
		else
			fprintf(m, "%s\n", line);
	}
	free(params);
	if (fclose(m) != 0)
		return ctr_err_nomem(err);
	if (pid <= 0) {
		free(out);
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "disable-device-node-modification: the container state has no pid");
	}
	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0)) < 0) {
		r = ctr_err_sys(err, errno, "disable-device-node-modification: a tmpfs for the params copy");
		goto out;
	}
	fd = openat(mnt, "params", O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0 || write(fd, out, olen) != (ssize_t)olen) {
		r = ctr_err_sys(err, errno ? errno : EIO, "disable-device-node-modification: write the params copy");
		goto out;
	}
	/* with the container's root open (maybe before pivot_root), the target is found beneath it */
	if (rootfd >= 0 && (tfd = root_open(rootfd, "/proc/driver/nvidia/params", O_PATH, 0)) < 0) {
		r = ctr_err_sys(err, -tfd, "disable-device-node-modification: /proc/driver/nvidia/params in the container");
		goto out;
	}
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", (int)pid);
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = ctr_err_sys(err, errno, "disable-device-node-modification: %s", nspath);
		goto out;
	}
	/*
	 * Only system calls in the child (async-signal-safe).  open_tree() clones
	 * a mount of the caller's own namespace only before Linux 6.15, not the
	 * detached tmpfs: the child attaches it in a private copy of the
	 * caller's namespace first (over "/", never seen outside), clones the
	 * file from there, then moves the clone into the container's namespace.
	 */
	int cpidfd = -1, code = -1;
	child = ctr_clone3(0, &cpidfd, SIGCHLD);
	if (child < 0) {
		r = ctr_err_sys(err, errno, "disable-device-node-modification: clone");
		goto out;
	}
	if (child == 0) {
		int t;
		ss_child_begin();
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    syscall(SYS_move_mount, mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			ss_exit(13);
		t = (int)syscall(SYS_open_tree, mnt, "params", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (t < 0)
			ss_exit(12);
		if (setns(nsfd, CLONE_NEWNS) < 0)
			ss_exit(10);
		if (tfd >= 0 ? syscall(SYS_move_mount, t, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0
			     : syscall(SYS_move_mount, t, "", AT_FDCWD, "/proc/driver/nvidia/params", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			ss_exit(errno == ENOENT ? 11 : 12);
		ss_exit(0);
	}
	if (ctr_pidfd_exit_status(cpidfd, -1, &code) < 0)
		code = -1;
	close(cpidfd);
	status = code >= 0 && code < 128 ? code << 8 : 0x7f;
	if (code != 0)
		r = ctr_err(err, EIO, CTR_E_HOOK,
			    "disable-device-node-modification: cannot put the params copy over /proc/driver/nvidia/params in the container (%s)",
			    WIFEXITED(status) && WEXITSTATUS(status) == 10   ? "setns failed"
			    : WIFEXITED(status) && WEXITSTATUS(status) == 11 ? "the container has no such file"
			    : WIFEXITED(status) && WEXITSTATUS(status) == 13 ? "a private mount namespace for the copy failed"
									     : "mount failed");
out:
	free(out);
	if (fd >= 0)
		close(fd);
	if (mnt >= 0)
		close(mnt);
	if (fs >= 0)
		close(fs);
	if (nsfd >= 0)
		close(nsfd);
	if (tfd >= 0)
		close(tfd);
	return r;
}

/* The verb of an NVIDIA hook argv, or NULL: nvidia-cdi-hook VERB ... / nvidia-ctk hook VERB ... */
static const char *hook_verb(const char *path, const char *const *args, size_t *at)
{
	const char *b = strrchr(path, '/');
	size_t i = 1;

	b = b ? b + 1 : path;
	if (!args || !args[0])
		return NULL;
	if (strcmp(b, "nvidia-ctk") == 0) {
		while (args[i] && args[i][0] == '-')
			i++;
		if (!args[i] || strcmp(args[i], "hook") != 0)
			return NULL;
		i++;
	} else if (strcmp(b, "nvidia-cdi-hook") != 0) {
		return NULL;
	}
	while (args[i] && args[i][0] == '-')
		i++; /* global flags such as --debug */
	*at = i;
	return args[i];
}

static const char *const native_verbs[] = {
	"create-symlinks", "update-ldcache", "chmod", "enable-cuda-compat", "disable-device-node-modification",
};

CTR_EXPORT int ctr_accel_hook_is_native(const char *path, const char *const *args)
{
	size_t at;
	const char *verb;

	if (!path)
		return 0;
	verb = hook_verb(path, args, &at);
	for (size_t i = 0; verb && i < CTR_ARRAY_SIZE(native_verbs); i++)
		if (strcmp(verb, native_verbs[i]) == 0)
			return access(path, X_OK) != 0; /* the real tool, when installed, runs instead */
	return 0;
}

/* The rootfs and pid from an OCI state: bundle/config.json's root.path. */
static int state_rootfs(const char *state, size_t len, char **rootfs, pid_t *pid, ctr_error **err)
{
	struct json_object *st = NULL, *v, *cfg = NULL, *root, *p;
	const char *bundle;
	char *cfgpath = NULL, *buf = NULL;
	size_t blen;
	int r;

	if ((r = cdi_parse_tree(state, len, "container state", &st, err)) < 0)
		return r;
	*pid = json_object_object_get_ex(st, "pid", &v) ? (pid_t)json_object_get_int(v) : 0;
	if (!json_object_object_get_ex(st, "bundle", &v) || !(bundle = json_object_get_string(v)) || bundle[0] != '/') {
		json_object_put(st);
		return ctr_err(err, EINVAL, CTR_E_INVALID, "container state: no absolute 'bundle'");
	}
	if (asprintf(&cfgpath, "%s/config.json", bundle) < 0) {
		json_object_put(st);
		return ctr_err_nomem(err);
	}
	r = ctr_read_file(cfgpath, 16u << 20, &buf, &blen, err);
	if (r == 0) {
		cfg = json_tokener_parse(buf);
		if (!cfg || !json_object_object_get_ex(cfg, "root", &root) || !json_object_object_get_ex(root, "path", &p))
			r = ctr_err(err, EINVAL, CTR_E_SPEC, "%s: no root.path", cfgpath);
		else if (json_object_get_string(p)[0] == '/')
			r = (*rootfs = strdup(json_object_get_string(p))) ? 0 : ctr_err_nomem(err);
		else if (asprintf(rootfs, "%s/%s", bundle, json_object_get_string(p)) < 0)
			r = ctr_err_nomem(err);
	}
	json_object_put(cfg);
	json_object_put(st);
	free(buf);
	free(cfgpath);
	return r;
}

/*
 * Run a verb on an open root.  rootfs_path names the same root for the host's
 * ldconfig, which takes a path (-r) and chroots into it itself; by_fd: the
 * root was opened in the container's mount namespace (maybe before
 * pivot_root), so disable-device-node-modification resolves its target
 * beneath rootfd instead of by path after setns.
 */
static int run_verb(const char *host_root, const char *path, const char *const *args, int rootfd,
		    const char *rootfs_path, pid_t pid, bool by_fd, ctr_error **err)
{
	size_t at = 0;
	const char *verb = hook_verb(path, args, &at);
	const char *const *vargs;

	if (!verb)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "hook %s is not an nvidia-cdi-hook or nvidia-ctk hook", path);
	vargs = args + at + 1;
	if (strcmp(verb, "create-symlinks") == 0)
		return verb_create_symlinks(rootfd, vargs, err);
	if (strcmp(verb, "chmod") == 0)
		return verb_chmod(rootfd, vargs, err);
	if (strcmp(verb, "update-ldcache") == 0)
		return verb_update_ldcache(rootfd, rootfs_path, vargs, err);
	if (strcmp(verb, "enable-cuda-compat") == 0)
		return verb_enable_cuda_compat(rootfd, vargs, err);
	if (strcmp(verb, "disable-device-node-modification") == 0)
		return verb_disable_modification(host_root, pid, by_fd ? rootfd : -1, err);
	return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
		       "hook verb '%s' is not implemented in libctr: install nvidia-container-toolkit (nvidia-cdi-hook)", verb);
}

int accel_native_hook_at(const char *host_root, const char *path, const char *const *args, int rootfd, pid_t pid,
			 ctr_error **err)
{
	char self[64];

	if (!path || !args || rootfd < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "accel_native_hook_at: NULL argument");
	/* ldconfig gets the very root we resolved, through our fd's /proc link */
	snprintf(self, sizeof(self), "/proc/%d/fd/%d", (int)getpid(), rootfd);
	return run_verb(host_root, path, args, rootfd, self, pid, true, err);
}

int accel_native_hook(const char *host_root, const char *path, const char *const *args, const char *state, size_t len,
		      ctr_error **err)
{
	char *rootfs = NULL;
	pid_t pid = 0;
	size_t at = 0;
	int rootfd, r;

	if (!path || !args || !state)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_accel_hook_run_native: NULL argument");
	if (!hook_verb(path, args, &at))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "hook %s is not an nvidia-cdi-hook or nvidia-ctk hook", path);
	if ((r = state_rootfs(state, len, &rootfs, &pid, err)) < 0)
		return r;
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = ctr_err_sys(err, errno, "hook %s: container rootfs %s", path, rootfs);
		free(rootfs);
		return r;
	}
	r = run_verb(host_root, path, args, rootfd, rootfs, pid, false, err);
	close(rootfd);
	free(rootfs);
	return r;
}

CTR_EXPORT int ctr_accel_hook_run_native(const char *path, const char *const *args, const char *state, size_t len,
					 ctr_error **err)
{
	return accel_native_hook("/", path, args, state, len, err);
}

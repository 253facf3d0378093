/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container lifecycle (runtime-spec runtime.md): create, start, state,
 * kill, wait, delete, list, run.  This file is the caller's side; the
 * container process runs child.c.
 *
 * State lives in <state_root>/<id>/: state.json (our record, written
 * atomically: "creating" as soon as the init exists, then "created", then
 * "running"), config.json (the spec as given, for hooks and kill in another
 * process) and start.sock (the start channel the init listens on).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/lifecycle.h"
#include "linux/proc-blob.h"
#include "linux/procfs.h"
#include "linux/sigsafe.h"
#include "linux/userns.h"
#include "linux/container-internal.h"
#include "linux/cgroup.h"
#include "linux/terminal.h"
#include "linux/home.h"
#include "linux/workdir.h"
#include "net/net.h"
#include "image/rootfs.h"

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

CTR_EXPORT const char *ctr_status_name(ctr_status status)
{
	switch (status) {
	case CTR_STATUS_CREATING:
		return "creating";
	case CTR_STATUS_CREATED:
		return "created";
	case CTR_STATUS_RUNNING:
		return "running";
	case CTR_STATUS_STOPPED:
		return "stopped";
	case CTR_STATUS_PAUSED:
		return "paused";
	default:
		return "unknown";
	}
}

static ctr_status status_from_name(const char *s)
{
	if (!s)
		return CTR_STATUS_UNKNOWN;
	for (int i = CTR_STATUS_CREATING; i <= CTR_STATUS_PAUSED; i++)
		if (!strcmp(s, ctr_status_name((ctr_status)i)))
			return (ctr_status)i;
	return CTR_STATUS_UNKNOWN;
}

CTR_EXPORT int ctr_create_options_init_sized(ctr_create_options *opts, size_t size)
{
	ctr_create_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	def.stdio_fds[0] = def.stdio_fds[1] = def.stdio_fds[2] = -1;
	return ctr_init_options(opts, size, &def, sizeof(def));
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks), 0 when gone; *zombie when state Z/X. */
unsigned long long ctr_pid_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p += 2; /* state, field 3 */
	if (zombie)
		*zombie = *p == 'Z' || *p == 'X';
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	char *out;
	clock_gettime(CLOCK_REALTIME, &ts);
	/*
	 * UTC fields by hand (days to civil date, proleptic Gregorian): glibc's
	 * gmtime_r and strftime load the local time zone first (/etc/localtime,
	 * six system calls per process) for a stamp that never uses it.
	 */
	long long secs = (long long)ts.tv_sec, days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;                                    /* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* [0, 365] */
	long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);
	if (asprintf(&out, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", y, m, d, rem / 3600, rem % 3600 / 60,
		     rem % 60, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

/* Write a state file atomically without fsync: the state root is normally tmpfs, and a
 * machine crash takes the containers with it anyway. */
static int write_state_file(int dirfd, const char *dir, const char *name, const char *buf, size_t len,
			    ctr_error **err)
{
	/* an O_EXCL temporary file under an unpredictable name: see ctr_write_file_atomic */
	return ctr_write_file_atomic_at(dirfd, dir, name, buf, len, 0600, 0, err);
}

static json_object *annotations_json(const struct ctr_container *c)
{
	if (c->annotations)
		return json_object_get(c->annotations);
	return json_object_new_object();
}

/*
 * state.json, written by hand: a json-c object per field and its serializer
 * were most of the user time of a state write, and create and start write it
 * three or four times.  Read back with json-c (load_state).
 */
int ctr_container_save_state(struct ctr_container *c, ctr_error **err)
{
	struct ctr_sbuf b = {0};
	/* our record: the config's version (the state document gives ours, see state_doc) */
	ctr_sb_puts(&b, "{\"ociVersion\":");
	ctr_sb_json_str(&b, c->oci_version ? c->oci_version : CTR_OCI_VERSION);
	ctr_sb_puts(&b, ",\"id\":");
	ctr_sb_json_str(&b, c->id);
	ctr_sb_printf(&b, ",\"pid\":%d,\"pidStartTime\":%llu,\"status\":\"%s\",\"bundle\":", (int)c->pid,
		      (unsigned long long)c->start_time, ctr_status_name(c->recorded));
	ctr_sb_json_str(&b, c->bundle);
	ctr_sb_puts(&b, ",\"rootfs\":");
	ctr_sb_json_str(&b, c->rootfs);
	ctr_sb_puts(&b, ",\"created\":");
	ctr_sb_json_str(&b, c->created);
	ctr_sb_printf(&b, ",\"owner\":\"\",\"ownPidNamespace\":%s", c->own_pidns ? "true" : "false");
	if (c->cfg) {
		c->hook_flags_known = true;
		c->no_poststart = c->cfg->hooks.poststart.n == 0;
		c->no_poststop = c->cfg->hooks.poststop.n == 0;
	}
	if (c->hook_flags_known) /* lets start/delete in another process skip parsing config.json when there are no hooks */
		ctr_sb_printf(&b, ",\"poststartHooks\":%s,\"poststopHooks\":%s", c->no_poststart ? "false" : "true",
			      c->no_poststop ? "false" : "true");
	ctr_sb_puts(&b, ",\"annotations\":");
	if (c->annotations) {
		size_t n = 0;
		const char *a = json_object_to_json_string_length(c->annotations, JSON_C_TO_STRING_PLAIN, &n);
		if (a)
			ctr_sb_add(&b, a, n);
		else
			b.oom = true;
	} else {
		ctr_sb_add(&b, "{}", 2);
	}
	if (c->cg) {
		ctr_sb_puts(&b, ",\"cgroups\":");
		ctr_cgroup_write_json(c->cg, &b);
	}
	if (c->rootfs_mnt_id > 0)
		ctr_sb_printf(&b, ",\"rootfsMountId\":%d", c->rootfs_mnt_id);
	ctr_sb_add(&b, "}", 1);
	int r = b.oom ? ctr_err_nomem(err) : write_state_file(c->dirfd, c->dir, "state.json", b.s, b.len, err);
	free(b.s);
	return r;
}

/* The runtime-spec state document, with the status given. */
static int state_doc(struct ctr_container *c, ctr_status st, char **out, size_t *outlen, ctr_error **err)
{
	json_object *o = json_object_new_object();
	if (!o)
		return ctr_err_nomem(err);
	/* runtime.md: the version of the runtime-spec the state complies with: ours, not the config's */
	json_object_object_add(o, "ociVersion", json_object_new_string(CTR_OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "status", json_object_new_string(ctr_status_name(st)));
	if (st != CTR_STATUS_STOPPED && c->pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(c->pid));
	json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
	json_object_object_add(o, "annotations", annotations_json(c));
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *d = s ? strdup(s) : NULL;
	json_object_put(o);
	if (!d)
		return ctr_err_nomem(err);
	*out = d;
	if (outlen)
		*outlen = len;
	return 0;
}

static struct ctr_container *container_new(ctr_context *ctx, const char *id)
{
	struct ctr_container *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ctx = ctx;
	c->pidfd = c->dirfd = c->console_fd = -1;
	c->stdio_pipes[0] = c->stdio_pipes[1] = c->stdio_pipes[2] = -1;
	c->exit_status = -1;
	if (!(c->id = strdup(id)) || asprintf(&c->dir, "%s/%s", ctx->state_root, id) < 0) {
		c->dir = NULL;
		ctr_container_free(c);
		return NULL;
	}
	return c;
}

CTR_EXPORT void ctr_container_free(ctr_container *c)
{
	if (!c)
		return;
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->dirfd >= 0)
		close(c->dirfd);
	if (c->console_fd >= 0)
		close(c->console_fd);
	for (int i = 0; i < 3; i++)
		if (c->stdio_pipes[i] >= 0)
			close(c->stdio_pipes[i]);
	free(c->id);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->oci_version);
	if (c->annotations)
		json_object_put(c->annotations);
	oci_config_free(c->cfg);
	ctr_spec_free(c->spec);
	ctr_cgroup_free(c->cg);
	free(c);
}

int ctr_container_lock(struct ctr_container *c, ctr_error **err)
{
	while (flock(c->dirfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return ctr_err_sys(err, errno, "%s: lock", c->dir);
	}
	return 0;
}

void ctr_container_unlock(struct ctr_container *c)
{
	(void)flock(c->dirfd, LOCK_UN);
}

/*
 * A container without a mount namespace had its rootfs bound (privately) in
 * the caller's mount namespace: unmount that bind, and with it every mount
 * the container made below it, once its processes are gone.  Only when the
 * top mount at the rootfs is still that bind (its mount id), so a retried
 * delete, or a create that failed before the bind, never unmounts anything
 * else (an image's overlay at the same path).
 */
static void release_rootfs_bind(struct ctr_container *c)
{
	if (c->rootfs_mnt_id <= 0 || !c->rootfs || !*c->rootfs)
		return;
	struct statx stx;
	if (statx(AT_FDCWD, c->rootfs, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID) &&
	    (int)stx.stx_mnt_id == c->rootfs_mnt_id && umount2(c->rootfs, MNT_DETACH) < 0)
		ctr_warn(c->ctx, "container '%s': unmount the bind of its rootfs %s: %s", c->id, c->rootfs,
			 strerror(errno));
	c->rootfs_mnt_id = 0;
}

/* Remove the state directory and what we put in it (a rootfs from an image is released first). */
static void remove_state(struct ctr_container *c)
{
	if (c->dirfd < 0)
		return;
	ctr_image_rootfs_release(c->ctx, c->dirfd, c->dir); /* idempotent: nothing when already released */
	DIR *d = fdopendir(fcntl(c->dirfd, F_DUPFD_CLOEXEC, 3));
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				(void)unlinkat(c->dirfd, e->d_name, 0);
		closedir(d);
	}
	if (rmdir(c->dir) < 0 && errno != ENOENT)
		ctr_warn(c->ctx, "%s: rmdir: %s", c->dir, strerror(errno));
}

/* The unix socket path of a file in the state dir: long paths go through /proc/self/fd. */
static int sock_addr(struct ctr_container *c, const char *name, struct sockaddr_un *sa, ctr_error **err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", c->dir, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", c->dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "%s/%s: socket path too long", c->dir, name);
	return 0;
}

static bool pidfd_exited(int pidfd)
{
	struct pollfd p = {pidfd, POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

CTR_EXPORT ctr_status ctr_container_status(ctr_container *c)
{
	if (!c)
		return CTR_STATUS_UNKNOWN;
	/* another process may have started it: re-read the recorded status */
	if (c->dirfd >= 0) {
		int fd = openat(c->dirfd, "state.json", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[512];
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				char *p = strstr(buf, "\"status\":\"");
				if (p) {
					p += 10;
					char *q = strchr(p, '"');
					if (q) {
						*q = '\0';
						ctr_status s = status_from_name(p);
						if (s != CTR_STATUS_UNKNOWN)
							c->recorded = s;
					}
				}
			}
		}
	}
	bool alive;
	if (c->pidfd >= 0)
		alive = !pidfd_exited(c->pidfd);
	else if (c->pid > 0) {
		bool z = false;
		alive = ctr_pid_start_time(c->pid, &z) == c->start_time && !z;
	} else
		alive = false;
	if (!alive)
		return CTR_STATUS_STOPPED;
	return c->recorded == CTR_STATUS_UNKNOWN ? CTR_STATUS_STOPPED : c->recorded;
}

CTR_EXPORT const char *ctr_container_id(const ctr_container *c)
{
	return c ? c->id : NULL;
}

CTR_EXPORT pid_t ctr_container_pid(const ctr_container *c)
{
	return c ? c->pid : 0;
}

CTR_EXPORT int ctr_container_pidfd(ctr_container *c)
{
	return c ? c->pidfd : -1;
}

CTR_EXPORT const char *ctr_container_bundle(const ctr_container *c)
{
	return c ? c->bundle : NULL;
}

CTR_EXPORT const char *ctr_container_rootfs(const ctr_container *c)
{
	return c ? c->rootfs : NULL;
}

CTR_EXPORT const char *ctr_container_created(const ctr_container *c)
{
	return c ? c->created : NULL;
}

CTR_EXPORT int ctr_container_take_stdio(ctr_container *c, int fds[3])
{
	if (!c || !fds)
		return -EINVAL;
	bool any = false;
	for (int i = 0; i < 3; i++) {
		fds[i] = c->stdio_pipes[i];
		any |= fds[i] >= 0;
		c->stdio_pipes[i] = -1;
	}
	return any ? 0 : -ENOENT;
}

/* Three pipes: mine[] the caller's ends (stdin's write end, stdout's and stderr's read ends), theirs[] the container's. */
int ctr_stdio_pipes(int mine[3], int theirs[3], ctr_error **err)
{
	for (int i = 0; i < 3; i++)
		mine[i] = theirs[i] = -1;
	for (int i = 0; i < 3; i++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			int e = errno;
			for (int k = 0; k < i; k++) {
				close(mine[k]);
				close(theirs[k]);
				mine[k] = theirs[k] = -1;
			}
			return ctr_err_sys(err, e, "stdio pipes");
		}
		mine[i] = i == 0 ? p[1] : p[0];
		theirs[i] = i == 0 ? p[0] : p[1];
	}
	return 0;
}

CTR_EXPORT int ctr_container_take_console(ctr_container *c)
{
	if (!c)
		return -1;
	int fd = c->console_fd;
	c->console_fd = -1;
	return fd;
}

CTR_EXPORT int ctr_container_state_json(ctr_container *c, char **out, ctr_error **err)
{
	if (!c || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_state_json: NULL argument");
	return state_doc(c, ctr_container_status(c), out, NULL, err);
}

/* The spec and typed config, loaded from config.json when this handle did not create it. */
int ctr_container_config(ctr_container *c, const struct oci_config **out, ctr_error **err)
{
	int r;
	if (!c->spec) {
		char *path;
		if (asprintf(&path, "%s/config.json", c->dir) < 0)
			return ctr_err_nomem(err);
		r = ctr_spec_load_file(&c->spec, path, err);
		free(path);
		if (r < 0)
			return r;
	}
	if (!c->cfg && (r = oci_config_from_spec(c->spec, &c->cfg, err)) < 0)
		return r;
	*out = c->cfg;
	return 0;
}

CTR_EXPORT int ctr_container_spec(ctr_container *c, ctr_spec **out, ctr_error **err)
{
	if (!c || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_spec: NULL argument");
	const struct oci_config *cfg;
	int r = ctr_container_config(c, &cfg, err);
	if (r < 0)
		return r;
	return ctr_spec_copy(out, c->spec, err);
}

static int open_state_dir(struct ctr_container *c, ctr_error **err)
{
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		if (errno == ENOENT)
			return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' does not exist (no %s)", c->id,
				       c->dir);
		return ctr_err_sys(err, errno, "%s: open", c->dir);
	}
	return 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int set_str(char **dst, const char *src)
{
	char *d = strdup(src ? src : "");
	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/*
 * (Re)read state.json.  A state directory without a readable state.json is
 * what a creator that died right after mkdir leaves: it loads as "creating"
 * with no process, so that delete can remove it.
 */
static int load_state(struct ctr_container *c, ctr_error **err)
{
	char *buf = NULL, path[PATH_MAX];
	size_t len = 0;
	ctr_error *e = NULL;
	json_object *o = NULL;
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	int r = ctr_read_file(path, 1 << 24, &buf, &len, &e);
	if (r < 0 && r != -ENOENT) {
		if (err && !*err)
			*err = e;
		else
			ctr_error_free(e);
		return r;
	}
	ctr_error_free(e);
	if (buf) {
		json_tokener *tok = json_tokener_new();
		o = tok ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
		if (tok)
			json_tokener_free(tok);
		free(buf);
		if (o && !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			o = NULL;
		}
		if (!o)
			ctr_warn(c->ctx, "%s: not a valid state file: the container loads as 'creating' with no process",
				 path);
	}
	json_object *v;
	c->pid = 0;
	c->start_time = 0;
	c->recorded = CTR_STATUS_CREATING;
	if (o) {
		if (json_object_object_get_ex(o, "pid", &v))
			c->pid = json_object_get_int(v);
		if (json_object_object_get_ex(o, "pidStartTime", &v))
			c->start_time = json_object_get_uint64(v);
		if (json_object_object_get_ex(o, "ownPidNamespace", &v))
			c->own_pidns = json_object_get_boolean(v);
		if (json_object_object_get_ex(o, "rootfsMountId", &v))
			c->rootfs_mnt_id = json_object_get_int(v);
		json_object *v2;
		if (json_object_object_get_ex(o, "poststartHooks", &v) &&
		    json_object_object_get_ex(o, "poststopHooks", &v2)) {
			c->hook_flags_known = true;
			c->no_poststart = !json_object_get_boolean(v);
			c->no_poststop = !json_object_get_boolean(v2);
		}
		c->recorded = status_from_name(jstr(o, "status"));
	}
	if (set_str(&c->bundle, o ? jstr(o, "bundle") : NULL) < 0 ||
	    set_str(&c->rootfs, o ? jstr(o, "rootfs") : NULL) < 0 ||
	    set_str(&c->created, o ? jstr(o, "created") : NULL) < 0 ||
	    (o && jstr(o, "ociVersion") && set_str(&c->oci_version, jstr(o, "ociVersion")) < 0)) {
		if (o)
			json_object_put(o);
		return ctr_err_nomem(err);
	}
	if (c->annotations)
		json_object_put(c->annotations);
	c->annotations = NULL;
	if (o && json_object_object_get_ex(o, "annotations", &v))
		c->annotations = json_object_get(v);
	ctr_cgroup_free(c->cg);
	c->cg = NULL;
	if (o && json_object_object_get_ex(o, "cgroups", &v) && ctr_cgroup_from_json(v, &c->cg, err) < 0) {
		json_object_put(o);
		return -EINVAL;
	}
	if (o)
		json_object_put(o);
	/* a pidfd, checked against the recorded start time so a reused pid is not taken for ours */
	if (c->pidfd >= 0 && !c->is_parent) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	if (c->pid > 0 && c->pidfd < 0) {
		int fd = sys_pidfd_open(c->pid);
		if (fd >= 0) {
			bool z = false;
			if (ctr_pid_start_time(c->pid, &z) == c->start_time)
				c->pidfd = fd;
			else
				close(fd);
		}
	}
	return 0;
}

CTR_EXPORT int ctr_container_load(ctr_context *ctx, ctr_container **out, const char *id, ctr_error **err)
{
	int r;
	if (!ctx || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_load: NULL argument");
	if ((r = ctr_validate_id(id, err)) < 0)
		return r;
	struct ctr_container *c = container_new(ctx, id);
	if (!c)
		return ctr_err_nomem(err);
	if ((r = open_state_dir(c, err)) < 0 || (r = load_state(c, err)) < 0) {
		ctr_container_free(c);
		return r;
	}
	*out = c;
	return 0;
}

/* ---- create ---- */

/*
 * The state root and its missing parents, 0700 as runc makes them: engines
 * pass a root such as /run/containerd/runc/<namespace> whose parent may not
 * exist yet (runc's MkdirAll).
 */
static int make_state_root(const char *root, ctr_error **err)
{
	if (mkdir(root, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return ctr_err_sys(err, errno, "state root %s: mkdir", root);
	char *p = strdup(root);
	if (!p)
		return ctr_err_nomem(err);
	int r = 0;
	for (char *s = p + 1; r == 0; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			r = ctr_err_sys(err, errno, "state root %s: mkdir %s", root, p);
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

static int open_console(const char *path, int *out, ctr_error **err)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "console socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctr_err_sys(err, errno, "console socket: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return ctr_err_sys(err, e, "console socket %s: connect (is something listening?)", path);
	}
	*out = fd;
	return 0;
}

static void kill_and_reap(int pidfd, pid_t pid)
{
	if (pidfd >= 0) {
		(void)sys_pidfd_send_signal(pidfd, SIGKILL);
		siginfo_t si;
		while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	} else if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

/* Where a hook's NVIDIA verbs (run by libctr itself) find the container's root. */
enum hook_root { ROOT_NONE, ROOT_ROOTFS, ROOT_PIVOTED };

/*
 * Run hooks of the runtime namespace with the state in status st.  The
 * NVIDIA hook verbs libctr runs itself act on the container's root: before
 * pivot_root (ROOT_ROOTFS) its rootfs in its mount namespace, after it
 * (ROOT_PIVOTED) its /.
 */
static int run_hooks(struct ctr_container *c, const char *kind, const struct oci_hook_list *l, ctr_status st,
		     enum hook_root where, ctr_error **err)
{
	if (!l->n)
		return 0;
	char *state;
	int r = state_doc(c, st, &state, NULL, err);
	if (r < 0)
		return r;
	struct ctr_hook_root root = {c->pid, where == ROOT_ROOTFS ? c->rootfs : NULL};
	r = ctr_hooks_run_in(c->ctx, kind, l, state, where != ROOT_NONE && c->pid > 0 ? &root : NULL, err);
	free(state);
	return r;
}

/* runtime.md step 13: every poststop hook runs; a failure is a warning and the lifecycle goes on. */
static void run_poststop(struct ctr_container *c, const struct oci_config *cfg)
{
	if (!cfg->hooks.poststop.n)
		return;
	char *state;
	ctr_error *e = NULL;
	if (state_doc(c, CTR_STATUS_STOPPED, &state, NULL, &e) < 0) {
		ctr_warn(c->ctx, "container '%s': poststop hooks: %s", c->id, ctr_error_message(e));
		ctr_error_free(e);
		return;
	}
	(void)ctr_hooks_run_all(c->ctx, "poststop", &cfg->hooks.poststop, state, NULL);
	free(state);
}

/*
 * One message from the container process: 1, 0 on EOF, -errno.  A seccomp
 * listener fd it passes (CTR_MSG_SECCOMP_FD) lands in *listener when asked
 * for, else it is closed.
 */
static int recv_msg_fd(int fd, char **buf, struct ctr_msg *h, int *listener)
{
	int lfd = -1;
	if (listener)
		*listener = -1;
	/* small messages only (CTR_MSG_UP_MAX): a heap buffer, not a mapping to make and unmap per create */
	if (!*buf && !(*buf = malloc(CTR_MSG_UP_MAX)))
		return -ENOMEM;
	ssize_t n = ctr_seccomp_recv(fd, *buf, CTR_MSG_UP_MAX - 1, &lfd);
	if (lfd >= 0) {
		if (listener)
			*listener = lfd;
		else
			close(lfd);
	}
	if (n <= 0)
		return (int)n;
	if ((size_t)n < sizeof(*h))
		return -EPROTO;
	memcpy(h, *buf, sizeof(*h));
	(*buf)[n] = '\0';
	return 1;
}

static int recv_msg(int fd, char **buf, struct ctr_msg *h)
{
	return recv_msg_fd(fd, buf, h, NULL);
}

static int child_status_msg(pid_t pid, int pidfd, char *buf, size_t n)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	/* its sync channel closes as it exits, a moment before its status is there */
	struct pollfd pfd = {pidfd, POLLIN, 0};
	if (pidfd >= 0)
		(void)poll(&pfd, 1, 200);
	int r = pidfd >= 0 ? waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG)
			   : waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
	if (r == 0 && si.si_pid) {
		if (si.si_code == CLD_EXITED)
			snprintf(buf, n, "exited with status %d", si.si_status);
		else
			snprintf(buf, n, "killed by signal %d", si.si_status);
	} else
		snprintf(buf, n, "closed the sync channel");
	return 0;
}

/* The state goes to the container's hooks in one SOCK_SEQPACKET message: keep it well under the socket buffer. */
static int check_state_len(struct ctr_container *c, size_t len, ctr_error **err)
{
	if (len > CTR_MSG_STATE_MAX)
		return ctr_err(err, E2BIG, CTR_E_INVALID,
			       "container '%s': the state passed to createContainer/startContainer hooks is %zu bytes, "
			       "more than %d: use fewer or shorter annotations",
			       c->id, len, CTR_MSG_STATE_MAX);
	return 0;
}

/*
 * The pid of the container's init as processes in its pid namespace see it
 * (the last field of NSpid in /proc/<pid>/status): what the hooks that run
 * in the container's namespaces get in their state.
 */
static pid_t pid_in_container(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pid;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return pid;
	buf[n] = '\0';
	char *l = strstr(buf, "\nNSpid:");
	if (!l)
		return pid;
	l += 8;
	char *end = strchr(l, '\n');
	if (end)
		*end = '\0';
	char *last = strrchr(l, '\t');
	long v = strtol(last ? last + 1 : l, NULL, 10);
	return v > 0 ? (pid_t)v : pid;
}

/* The state document for hooks that run in the container's namespaces: their pid is the container's view. */
static int state_doc_inside(struct ctr_container *c, ctr_status st, char **out, size_t *len, ctr_error **err)
{
	pid_t host = c->pid;
	c->pid = pid_in_container(host);
	int r = state_doc(c, st, out, len, err);
	c->pid = host;
	return r;
}

/* ctr_create_options.timeout_ms: wait for the container process until the deadline, else -ETIMEDOUT. */
static int create_deadline(struct ctr_container *c, int fd, int64_t deadline, int64_t timeout_ms, ctr_error **err)
{
	int r = ctr_wait_readable(fd, deadline);
	if (r == -ETIMEDOUT)
		return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM,
			       "container '%s': create took longer than %lld ms (timeout_ms): the container process is "
			       "killed and everything undone",
			       c->id, (long long)timeout_ms);
	return r < 0 ? ctr_err_sys(err, -r, "container '%s': wait for the container process", c->id) : 0;
}

/*
 * One create, in the order it happens.  Each step below takes the run and
 * returns 0 or a negative errno with *err set; do_create undoes what was done
 * when one fails.  Steps after the clone fail "with a child": the caller kills
 * and reaps it before the cgroups go.
 */
struct create_run {
	struct ctr_container *c;
	const struct ctr_create_options *o;
	const struct oci_config *cfg;
	struct ctr_plan plan;
	int sv[2];		/* sync channel: ours, the child's */
	int console_parent;	/* the pty master arrives here when no console socket was given */
	int devnull;		/* CTR_CREATE_STDIO_INHERIT_NONE */
	int pidfd;
	pid_t pid, first_pid;	/* the init; the process cloned (an intermediate when joining a pid ns) */
	char *msgbuf;
	char *state;		/* the state document the hooks inside get */
	size_t state_len;
	bool hooks_started;	/* prestart/createRuntime ran: poststop runs on failure */
	bool cg_parent_enters;
	bool cg_late;			/* the v1 cgroups (pure v2: the resources) come after the clone
					 * (create_cgroups_late) */
	struct ctr_cg_layout layout;	/* the host's cgroups (read once: the plan's cgroup mount, the cgroups) */
	struct ctr_netdevs *netdevs;
	int64_t deadline;
	int cg_fds[CTR_CG_MAX_HIER];
	const struct ctr_net_taken *net_taken; /* the lease ctr_net_prepare took, for ctr_net_setup */
	struct ctr_host_snap snap;	/* /proc/self/mountinfo and cgroup, read once for the plan and the cgroups */
	bool late_done;			/* the late step ran during the spawn (spawn_shared_vm): its result */
	int late_r;
	ctr_error *late_err;
	bool go_sent;			/* CTR_CREATE_START's go queued before the stub's CREATED (early_go) */
};

static int sync_failed(ctr_error **err, int r)
{
	return ctr_err_sys(err, -r, "sync with the container process");
}

/* the plan, the stdio and console ends, the start and sync channels, the sealed init and its blob */
static int create_plan(struct create_run *run, int **preserved, ctr_error **err)
{
	struct ctr_container *c = run->c;
	const struct ctr_create_options *o = run->o;
	struct ctr_plan *plan = &run->plan;
	int r;

	/* the host's cgroup hierarchies, parsed once for the cgroup mount's plan and the cgroups */
	struct ctr_cg_sources src = {.snap = &run->snap};
	if ((r = ctr_cg_layout_load(&src, &run->layout, err)) < 0 ||
	    (r = ctr_plan_build(c->ctx, run->cfg, ctr_spec_json(c->spec), c->id, c->bundle, c->rootfs, o->flags,
				&run->layout, plan, err)) < 0)
		return r;
	if (plan->net_unshare)
		plan->net_spare_fd = ctr_ns_spare_take(c->ctx, CTR_SPARE_NET);
	/* a new IPC namespace made ahead: the child enters it instead of clone3 making one */
	if (plan->ipc_ahead && (plan->ipc_spare_fd = ctr_ns_spare_take(c->ctx, CTR_SPARE_IPC)) >= 0)
		plan->clone_flags &= ~(uint64_t)CLONE_NEWIPC;
	c->own_pidns = ((plan->clone_flags | plan->late_flags) & CLONE_NEWPID) != 0;
	for (int i = 0; i < 3; i++) {
		plan->proc.stdio[i] = o->stdio_fds[i];
		if (o->stdio_fds[i] < 0 && (o->flags & CTR_CREATE_STDIO_INHERIT_NONE)) {
			if (run->devnull < 0 && (run->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
				return ctr_err_sys(err, errno, "/dev/null: open");
			plan->proc.stdio[i] = run->devnull;
		}
	}
	/* the caller's fds, copied at the top of ctr_container_create: the child puts them on 3.. */
	plan->preserved = *preserved;
	plan->n_preserved = o->preserve_fds;
	*preserved = NULL;
	plan->proc.preserve_fds = o->preserve_fds;
	plan->maps_by_user = geteuid() != 0;
	if (plan->proc.terminal) {
		if (o->console_socket) {
			if ((r = open_console(o->console_socket, &plan->proc.console_sock, err)) < 0)
				return r;
		} else {
			int cp[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)
				return ctr_err_sys(err, errno, "console socketpair");
			run->console_parent = cp[0];
			plan->proc.console_sock = cp[1];
		}
	}
	/* the start channel: the init accepts on it once created */
	struct sockaddr_un sa;
	if ((r = sock_addr(c, "start.sock", &sa, err)) < 0)
		return r;
	plan->state_lock_fd = c->dirfd;
	plan->start_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (plan->start_fd < 0 || bind(plan->start_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(plan->start_fd, 4) < 0)
		return ctr_err_sys(err, errno, "%s/start.sock: create the start socket", c->dir);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, run->sv) < 0)
		return ctr_err_sys(err, errno, "sync socketpair");
	plan->sync_fd = run->sv[1];
	plan->parent_sync_fd = run->sv[0];
	/* the init stub, and what it still has to do, as sealed memfds */
	if ((plan->init_fd = ctr_init_stub_fd(c->ctx, err)) < 0) {
		r = plan->init_fd;
		plan->init_fd = -1;
		return r;
	}
	char *blob;
	size_t blen;
	if (ctr_proc_pack(&plan->proc, &plan->hk_start_container, &blob, &blen) < 0)
		return ctr_err_nomem(err);
	plan->blob_fd = ctr_sealed_memfd("ctr-init-plan", blob, blen, err);
	free(blob);
	return plan->blob_fd < 0 ? plan->blob_fd : 0;
}

/* 0 once the kernel refused to mount on a detached tree (older ones do: EINVAL): the child mounts instead */
static int cg_tree_works = 1;

/*
 * The "cgroup" mount of a v1 or hybrid host (child.c, mount_cgroup_v1: a
 * tmpfs, the container's own cgroup of each hierarchy bound in with the
 * mount's flags, the host's symlinks), made here as a detached tree once
 * the cgroups exist, beside the child's setup, which then attaches it with
 * one move_mount: about 140 us of mounts (15 to 17 us each bind, under the
 * namespace lock) off the child's path to its program.  The sources are
 * the directories the child joins (cg->h[].dir), which is what its own
 * /proc/self/cgroup would name.  Only without a user namespace (a tree of
 * the initial one attached in the child's) and without a cgroup namespace
 * of its own (there the child mounts each hierarchy anew, rooted at its
 * cgroup), for a single such mount whose every hierarchy is one of the
 * container's; -1 (nothing made) otherwise or on any error: the child
 * mounts as before.  A kernel that cannot mount on a detached tree
 * (6.18 can; older kernels refuse with EINVAL) is asked once per process.
 */
static int cg_v1_tree(const struct create_run *run)
{
	const struct ctr_plan *p = &run->plan;
	const struct ctr_cgroup *cg = run->c->cg;
	if (!cg || !__atomic_load_n(&cg_tree_works, __ATOMIC_RELAXED) || p->has_userns || p->userns_new ||
	    ctr_plan_own_cgroup_ns(p))
		return -1;
	const struct ctr_mnt *m = NULL;
	for (size_t i = 0; i < p->n_mnts; i++) {
		if (p->mnts[i].kind != CTR_MNT_CGROUP_V1)
			continue;
		if (m)
			return -1;
		m = &p->mnts[i];
	}
	if (!m)
		return -1;
	const char *src[CTR_CG_MAX_HIER * 2];
	if (m->n_cg_subs > CTR_ARRAY_SIZE(src))
		return -1;
	for (size_t k = 0; k < m->n_cg_subs; k++) {
		const struct ctr_cg_sub *s = &m->cg_subs[k];
		src[k] = NULL;
		if (s->link)
			continue;
		size_t ml = strlen(s->host_mnt);
		for (size_t i = 0; i < cg->n && !src[k]; i++)
			if (cg->h[i].name && !strcmp(cg->h[i].name, s->ctrls) && !strncmp(cg->h[i].dir, s->host_mnt, ml) &&
			    (cg->h[i].dir[ml] == '/' || !cg->h[i].dir[ml]))
				src[k] = cg->h[i].dir;
		if (!src[k])
			return -1; /* a hierarchy it is not in: the child binds what its /proc/self/cgroup says */
	}
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), tree = -1;
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (tree = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)ctr_mount_attrs(fl))) < 0) {
		if (fs >= 0)
			close(fs);
		return -1;
	}
	close(fs);
	struct mount_attr a;
	memset(&a, 0, sizeof(a));
	a.attr_set = ctr_mount_attrs(m->flags | fl);
	for (size_t k = 0; k < m->n_cg_subs; k++) {
		const struct ctr_cg_sub *s = &m->cg_subs[k];
		if (s->link) {
			if (symlinkat(s->link, tree, s->name) < 0)
				goto fail;
			continue;
		}
		if (mkdirat(tree, s->name, 0755) < 0)
			goto fail;
		int b = open_tree(AT_FDCWD, src[k], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (b < 0)
			goto fail;
		int e = mount_setattr(b, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0 ||
				move_mount(b, "", tree, s->name, MOVE_MOUNT_F_EMPTY_PATH) < 0
			? errno
			: 0;
		close(b);
		if (e == EINVAL)
			__atomic_store_n(&cg_tree_works, 0, __ATOMIC_RELAXED);
		if (e)
			goto fail;
	}
	if (m->flags & MS_RDONLY) {
		struct mount_attr ro;
		memset(&ro, 0, sizeof(ro));
		ro.attr_set = MOUNT_ATTR_RDONLY;
		if (mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
			goto fail;
	}
	return tree;
fail:
	close(tree); /* a detached tree goes with its last fd */
	return -1;
}

/*
 * The late step: the v1 cgroups (none on a pure v2 host) and the resources,
 * then the child's go with the tasks files of those it joins (opened here:
 * the child only writes "0" to each, no lookups on its path).  This work and the child's setup only overlap on
 * two CPUs, and a new process often starts on its parent's: queued behind
 * us, or, half the time here, preempting us at once, so that this work
 * waited for the child's network namespace (about 420 us).  So the child
 * starts on another CPU of the caller's affinity (it moves itself there
 * first thing when it finds itself on ours, ctr_child_main; we move it when
 * it is still queued), and takes the caller's affinity back at the go.
 */
static int create_cgroups_late(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	struct ctr_plan *plan = &run->plan;
	int r;
	/* a child still queued on our CPU goes to another now (one that preempted us moved itself) */
	if (plan->parent_cpu >= 0 && sched_getcpu() == plan->parent_cpu)
		(void)sched_setaffinity(run->pid, sizeof(plan->affinity_other), &plan->affinity_other);
	size_t n = 0;
	int files[CTR_CG_MAX_HIER + 1];
	if ((r = ctr_cgroup_prepare_rest(c, &run->layout, run->cfg, run->o->flags, files, &n, err)) < 0)
		return r;
	int tree = cg_v1_tree(run);
	if (tree >= 0)
		files[n++] = tree; /* the last fd, as CTR_GO_CG_TREE says */
	r = ctr_msg_send_fds(run->sv[0], CTR_MSG_GO, tree >= 0 ? CTR_GO_CG_TREE : 0, files, n);
	for (size_t i = 0; i < n; i++)
		close(files[i]);
	/* the child is gone already (a failed mount): what it said is read next, as the error */
	if (r == -EPIPE || r == -ECONNRESET)
		return 0;
	return r < 0 ? sync_failed(err, r) : 0;
}

/* Whether one of paths[0..n) is dir, below it or above it. */
static bool any_nested(char *const *paths, size_t n, const char *dir)
{
	for (size_t k = 0; k < n; k++)
		if (ctr_path_nested(paths[k], dir))
			return true;
	return false;
}

/*
 * Where the mounts that wait for the late go (those showing cgroups) may
 * come after the devices, the host and domain names, the sysctls and the
 * masked and read-only paths (child.c, after_mounts), so that the child
 * does that work while the runtime makes the cgroups rather than wait for
 * the go first (about 150 us here): when they are the last mounts and the
 * only ones showing cgroups, no hooks' message comes between, and none of
 * those paths is at, below or above one of their destinations (a path
 * masked below /sys/fs/cgroup is masked after the mount it is in).
 * Nothing else of the setup depends on that order.  n_mnts: in their place.
 */
static size_t cg_mounts_last(const struct ctr_plan *p)
{
	size_t from = p->n_mnts;
	if (!p->cg_wait || p->want_hooks_msg)
		return p->n_mnts;
	while (from > 0 && ctr_mnt_shows_cgroups(&p->mnts[from - 1]))
		from--;
	for (size_t j = 0; j < from; j++)
		if (ctr_mnt_shows_cgroups(&p->mnts[j]))
			return p->n_mnts;
	for (size_t j = from; j < p->n_mnts; j++) {
		const char *d = p->mnts[j].dst;
		if (any_nested(p->masked, p->n_masked, d) || any_nested(p->readonly, p->n_readonly, d) ||
		    ctr_dev_plan_under(p->dev, d))
			return p->n_mnts;
	}
	return from;
}

/*
 * Whether the child may share our memory until it execs the init stub
 * (spawn_shared_vm).  Only where it needs nothing of us while it sets up
 * but the late go: no user namespace (maps), no intermediate process, no
 * hooks run by the runtime, a mount namespace of its own; and where every
 * namespace is new (none joined: see child.c on the dumpable flag).  Not
 * with a timeout (ctr_create_options.timeout_ms): the calling thread sleeps
 * until the child's exec, so the deadline could not stop a setup that hangs
 * (a bind mount from a stuck FUSE or NFS server); a forked child is killed
 * when it runs out.  Not in sanitizer builds: they follow memory and stacks
 * per thread, and a second task on the same memory, on a stack they do not
 * know, is not one they follow.  (Where such a clone is refused, by a
 * seccomp profile, create_spawn falls back to the fork; valgrind makes it
 * a fork itself, which the child's setup does not mind: with only new
 * namespaces nothing else can reach it through /proc.)
 */
static bool shared_vm_ok(const struct create_run *run)
{
#if defined(CTR_TSAN) || defined(CTR_ASAN)
	(void)run;
	return false;
#else
	const struct ctr_plan *p = &run->plan;
	if (run->o->timeout_ms > 0 || p->has_userns || p->userns_new || p->join_pid_or_time || p->want_hooks_msg ||
	    p->no_mntns || p->hk_create_container.n || (p->clone_flags >> 32) || (p->clone_flags & CSIGNAL))
		return false;
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (p->ns_fds[i] >= 0)
			return false;
	return true;
#endif
}

static int shared_vm_child(void *plan)
{
	ctr_child_main(plan);
}

/* a failed late step of the spawn (run->late_done): its error, handed to the caller */
static int late_failed(struct create_run *run, ctr_error **err)
{
	if (err && !*err) {
		*err = run->late_err;
		run->late_err = NULL;
	}
	return run->late_r;
}

/* the late step on a thread of its own while the spawning thread waits for the child's exec */
static void *late_cgroups_thread(void *arg)
{
	struct create_run *run = arg;
	run->late_r = create_cgroups_late(run, &run->late_err);
	/* the child waits for the go: a hang-up makes it leave, and so the spawn return */
	if (run->late_r < 0)
		(void)shutdown(run->sv[0], SHUT_RDWR);
	return NULL;
}

#define SHARED_VM_STACK (512 * 1024)

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/*
 * Spawn the child sharing our memory, as posix_spawn does (clone with
 * CLONE_VM | CLONE_VFORK): the calling thread sleeps until the child has
 * exec'd the init stub (or died), so nothing of the caller's runs on the
 * memory the child writes (errno, in this thread's TLS: the only thing of
 * the caller's the child writes).  What a fork costs is gone: no copy of
 * the caller's page tables (which grows with the embedder's memory), no
 * copy-on-write fault in the child's setup or in the caller after it (about
 * 40 and 60 per container here, 2.4-6.3 us each when a page is copied), no
 * address space for the stub's exec to tear down.  The child gets a copy
 * of the plan to write to (it moves and closes fds in it) and a stack of its
 * own with a guard page below, in one mapping removed once it is gone from
 * our memory; it maps nothing itself.  Signals are
 * blocked across the clone (the child resets their actions before it
 * unblocks them: it has its own copy of the table).  The late cgroups step,
 * which the runtime runs beside the child's setup, runs on a thread of its
 * own meanwhile (or, when no thread can be made, before the clone: the go
 * waits in the socket).  Returns the pid or -1 with errno; run->late_done
 * says whether the late step ran (its result in late_r).
 */
static pid_t spawn_shared_vm(struct create_run *run)
{
	struct ctr_plan *plan = &run->plan;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t copy = align16(sizeof(*plan)) + align16(plan->n_mnts * sizeof(plan->mnts[0])) +
		      align16(plan->n_cg_fds * sizeof(int)) + align16((size_t)plan->n_preserved * sizeof(int));
	size_t total = page + SHARED_VM_STACK + CTR_MSG_MAX + ((copy + page - 1) & ~(page - 1));
	char *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		       -1, 0);
	if (m == MAP_FAILED)
		return -1;
	if (mprotect(m, page, PROT_NONE) < 0) {
		int e = errno;
		munmap(m, total);
		errno = e;
		return -1;
	}
	char *top = m + page + SHARED_VM_STACK;
	char *cp = top + CTR_MSG_MAX;
	struct ctr_plan *pc = (struct ctr_plan *)(void *)cp;
	*pc = *plan;
	cp += align16(sizeof(*plan));
	pc->msgbuf = top;
	pc->mnts = (struct ctr_mnt *)(void *)cp;
	if (plan->n_mnts)
		memcpy(pc->mnts, plan->mnts, plan->n_mnts * sizeof(plan->mnts[0]));
	cp += align16(plan->n_mnts * sizeof(plan->mnts[0]));
	pc->cg_fds = (int *)(void *)cp;
	if (plan->n_cg_fds)
		memcpy(pc->cg_fds, plan->cg_fds, plan->n_cg_fds * sizeof(int));
	cp += align16(plan->n_cg_fds * sizeof(int));
	pc->preserved = (int *)(void *)cp;
	if (plan->n_preserved)
		memcpy(pc->preserved, plan->preserved, (size_t)plan->n_preserved * sizeof(int));

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	bool thread = false;
	if (run->cg_late) {
		/* made with every signal blocked, as the caller's signals must never run on it */
		thread = pthread_create(&t, NULL, late_cgroups_thread, run) == 0;
		if (!thread)
			late_cgroups_thread(run);
		run->late_done = true;
	}
	int pidfd = -1;
	pid_t pid = -1;
	int cgfd = ctr_cgroup_v2_fd(run->c->cg);
	if (run->late_done && !thread && run->late_r < 0) /* made here and failed: no child to wait for it */
		errno = -run->late_r;
	else if (cgfd >= 0)
		/* born in its cgroup (ctr_cgroup_prepare left the v2 one to the clone: ctr_clone3_fn_works);
		 * a refusal (ENOSYS: a seccomp filter loaded since) makes the caller fall back to a fork */
		pid = ctr_clone3_fn(plan->clone_flags | CLONE_VM | CLONE_VFORK, &pidfd, SIGCHLD, cgfd, m + page,
				    SHARED_VM_STACK, shared_vm_child, pc);
	else
		pid = clone(shared_vm_child, top,
			    (int)(plan->clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD) | SIGCHLD, pc, &pidfd);
	int e = errno;
	if (thread)
		pthread_join(t, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(m, total);
	if (pid > 0)
		run->pidfd = pidfd;
	errno = e;
	return pid;
}

/* into the cgroups and the namespaces: the clone, then our copies of the child's ends closed */
static int create_spawn(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	struct ctr_plan *plan = &run->plan;
	int r;
	pid_t pid;

	/* cgroups last before the clone: the process is in them before its cgroup ns and execve;
	 * ctr_cgroup_prepare saves the state (status creating) as soon as their paths are known,
	 * so delete after a crash from there on removes them.  Where it can, the v1 hierarchies
	 * (on a pure v2 host the resources: the device program, the limits) come after the clone
	 * instead, while the child sets up (create_cgroups_late). */
	c->recorded = CTR_STATUS_CREATING;
	plan->shared_vm = shared_vm_ok(run);
	if ((r = ctr_cgroup_prepare(c, run->cfg, run->o->flags, plan, &run->layout, run->cg_fds, &run->cg_parent_enters,
				    &run->cg_late, err)) < 0)
		return r;
	plan->parent_cpu = -1;
	plan->cg_mnts_from = cg_mounts_last(plan);
	if (plan->shared_vm) {
		pid = spawn_shared_vm(run);
		if (pid > 0)
			goto spawned;
		/* the late step failed (the child, if any, left at the hang-up) */
		if (run->late_done && run->late_r < 0)
			return late_failed(run, err);
		/* refused (a seccomp profile): a fork as below; its child
		 * finds the go of a late step already made waiting in the socket */
		plan->shared_vm = false;
	}
	if (run->cg_late && !run->late_done) {
		int cpu = sched_getcpu();
		if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof(plan->affinity), &plan->affinity) == 0 &&
		    CPU_ISSET(cpu, &plan->affinity) && CPU_COUNT(&plan->affinity) > 1) {
			plan->parent_cpu = cpu;
			plan->affinity_other = plan->affinity;
			CPU_CLR(cpu, &plan->affinity_other);
		}
	}
	pid = ctr_clone3_cg(plan->clone_flags, &run->pidfd, SIGCHLD, ctr_cgroup_v2_fd(c->cg));
	if (pid < 0 && errno == ENOSYS && ctr_cgroup_v2_fd(c->cg) >= 0) {
		/* clone3 refused (a seccomp profile, valgrind): the child joins the cgroup itself
		 * (every hierarchy made first: the late step is for a process cloned into its cgroup) */
		if (run->cg_late && !run->late_done) {
			if ((r = ctr_cgroup_create_late(c, &run->layout, run->cfg, run->o->flags, err)) < 0)
				return r;
			run->cg_late = plan->cg_wait = false;
			/* no go to take the caller's affinity back at: the child stays where it starts */
			plan->parent_cpu = -1;
		}
		if ((r = ctr_cgroup_plan_self_join(c, plan, run->cg_fds, false, &run->cg_parent_enters, err)) < 0)
			return r;
		pid = ctr_clone3(plan->clone_flags, &run->pidfd, SIGCHLD);
	}
	if (pid < 0 && errno == EPERM && geteuid() != 0 && !plan->has_userns)
		return ctr_err(err, EPERM, CTR_E_SPEC,
			       "config.json: linux.namespaces: uid %u may not create namespaces without a user namespace: "
			       "add {\"type\": \"user\"} with uidMappings/gidMappings (ctr-demo spec --rootless writes "
			       "such a configuration), or run as root",
			       (unsigned)geteuid());
	if (pid < 0)
		return ctr_err_sys(err, errno, "clone3 the container process (namespaces 0x%llx)",
				   (unsigned long long)plan->clone_flags);
	if (pid == 0)
		ctr_child_main(plan);
spawned:
	run->pid = run->first_pid = pid;
	close(run->sv[1]);
	run->sv[1] = -1;
	plan->sync_fd = -1;
	plan->parent_sync_fd = -1;
	ctr_preserve_fds_free(plan->preserved, plan->n_preserved);
	plan->preserved = NULL;
	close(plan->start_fd);
	plan->start_fd = -1;
	if (plan->proc.console_sock >= 0) {
		close(plan->proc.console_sock);
		plan->proc.console_sock = -1;
	}
	return 0;
}

/* a new user namespace: its maps, written when the child says it is ready (dumpable for an
 * unprivileged caller, see child.c); rootless: directly for the caller's own id, else
 * newuidmap/newgidmap */
static int create_map_ids(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	struct ctr_msg h;
	int r, got;

	if ((r = create_deadline(c, run->sv[0], run->deadline, run->o->timeout_ms, err)) < 0)
		return r;
	got = recv_msg(run->sv[0], &run->msgbuf, &h);
	if (got <= 0 || h.type != CTR_MSG_USERNS) {
		if (got > 0 && h.type == CTR_MSG_ERROR)
			return ctr_err(err, h.err > 0 ? h.err : EIO, CTR_E_CHILD, "container '%s': %s", c->id,
				       run->msgbuf + sizeof(h));
		return got < 0 ? sync_failed(err, got)
			       : ctr_err(err, EPROTO, CTR_E_CHILD,
					 "container '%s': the container process did not reach its user namespace", c->id);
	}
	if ((r = ctr_userns_write_maps(run->pid, run->plan.uid_map, run->plan.gid_map, err)) < 0)
		return r;
	if ((r = ctr_msg_send(run->sv[0], CTR_MSG_GO, 0, 0, NULL, 0)) < 0)
		return sync_failed(err, r);
	return 0;
}

/* the init's pid and start time, recorded (status creating) so delete after a crash finds it */
static int create_record_pid(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	c->pid = run->pid;
	c->start_time = ctr_pid_start_time(run->pid, NULL);
	c->recorded = CTR_STATUS_CREATING;
	return ctr_container_save_state(c, err);
}

/*
 * One message of the child's setup.  Returns 1 when it said CTR_MSG_CREATED,
 * 0 for the next message, negative on failure.
 */
static int create_setup_msg(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	const struct oci_config *cfg = run->cfg;
	int fd = run->sv[0];
	struct ctr_msg h;
	int r, lfd = -1;

	if ((r = create_deadline(c, fd, run->deadline, run->o->timeout_ms, err)) < 0)
		return r;
	int got = recv_msg_fd(fd, &run->msgbuf, &h, &lfd);
	if (got < 0)
		return sync_failed(err, got);
	if (lfd >= 0) {
		/* a filter loaded at create (no no_new_privs): its listener goes to the agent now */
		char *st = NULL;
		r = state_doc(c, CTR_STATUS_CREATING, &st, NULL, err);
		if (r == 0)
			r = ctr_seccomp_notify_send(cfg->linux_.seccomp, CTR_OCI_VERSION, st, c->pid, lfd, err);
		free(st);
		close(lfd);
		if (r < 0)
			return r;
		(void)send(fd, "g", 1, MSG_NOSIGNAL); /* the agent has it */
		return 0;
	}
	if (got == 0) {
		char why[64];
		child_status_msg(run->pid, run->pidfd, why, sizeof(why));
		return ctr_err(err, EIO, CTR_E_CHILD, "container '%s': the container process %s during setup", c->id,
			       why);
	}
	switch (h.type) {
	case CTR_MSG_ERROR:
		return ctr_err(err, h.err > 0 ? h.err : EIO, CTR_E_CHILD, "container '%s': %s", c->id,
			       run->msgbuf + sizeof(h));
	case CTR_MSG_PID: {
		/* the intermediate process (joined pid/time ns) forked the real init and exits */
		siginfo_t si;
		while (waitid((idtype_t)P_PIDFD, (id_t)run->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		close(run->pidfd);
		run->pid = h.pid;
		run->pidfd = sys_pidfd_open(run->pid);
		if (run->pidfd < 0)
			return ctr_err_sys(err, errno, "pidfd_open %d", (int)run->pid);
		return create_record_pid(run, err);
	}
	case CTR_MSG_HOOKS:
		run->hooks_started = true;
		/* linux.netDevices into its network namespace, from ours, before the hooks see it */
		if ((r = ctr_net_devices_move(c->ctx, cfg, run->pid, &run->netdevs, err)) < 0)
			return r;
		/* status "created" (the state after step 2, as crun sends it); the rootfs is not pivoted yet */
		if ((r = run_hooks(c, "prestart", &cfg->hooks.prestart, CTR_STATUS_CREATED, ROOT_ROOTFS, err)) < 0 ||
		    (r = run_hooks(c, "createRuntime", &cfg->hooks.create_runtime, CTR_STATUS_CREATED, ROOT_ROOTFS,
				   err)) < 0)
			return r;
		free(run->state);
		run->state = NULL;
		if ((r = state_doc_inside(c, CTR_STATUS_CREATED, &run->state, &run->state_len, err)) < 0 ||
		    (r = check_state_len(c, run->state_len, err)) < 0)
			return r;
		if ((r = ctr_msg_send(fd, CTR_MSG_GO, 0, 0, run->state, run->state_len)) < 0)
			return sync_failed(err, r);
		return 0;
	case CTR_MSG_NATIVE_HOOK: {
		if (!run->state || h.pid < 0 || (size_t)h.pid >= cfg->hooks.create_container.n)
			break;
		/* a createContainer NVIDIA verb: run here against the container's mount namespace */
		struct ctr_hook_root root = {run->pid, c->rootfs};
		if ((r = ctr_hook_run_native_at("createContainer", (size_t)h.pid,
						&cfg->hooks.create_container.hooks[h.pid], &root, err)) < 0)
			return r;
		if ((r = ctr_msg_send(fd, CTR_MSG_GO, 0, 0, run->state, run->state_len)) < 0)
			return sync_failed(err, r);
		return 0;
	}
	case CTR_MSG_ROOTFS_MNT:
		if (!run->plan.no_mntns || h.pid <= 0)
			break;
		/* recorded before anything is mounted below it: delete after a crash unmounts it */
		c->rootfs_mnt_id = h.pid;
		return ctr_container_save_state(c, err);
	case CTR_MSG_CREATED:
		return 1;
	}
	return ctr_err(err, EPROTO, CTR_E_CHILD, "container '%s': unexpected message %d from the container process",
		       c->id, h.type);
}

/*
 * The init's answer to "start": EOF once it exec'd (0), or an error message
 * (its length).  Before that it may pass the seccomp listener fd
 * (SCMP_ACT_NOTIFY), which goes to linux.seccomp.listenerPath at once: the
 * program may already wait in a notified system call.  When that fails the
 * container is killed (pidfd: the handle's, or during a create with
 * CTR_CREATE_START the create's, which the handle gets only at its end) and
 * -ECANCELED returned with *err set.
 */
static ssize_t start_reply(struct ctr_container *c, int pidfd, int fd, char *msg, size_t size, ctr_error **err)
{
	for (;;) {
		int lfd;
		ssize_t n = ctr_seccomp_recv(fd, msg, size, &lfd);
		if (lfd < 0)
			return n;
		const struct oci_config *cfg = NULL;
		char *state = NULL;
		int r = ctr_container_config(c, &cfg, err);
		if (r == 0)
			r = state_doc(c, CTR_STATUS_CREATED, &state, NULL, err);
		if (r == 0)
			r = ctr_seccomp_notify_send(cfg->linux_.seccomp, CTR_OCI_VERSION, state, c->pid, lfd, err);
		free(state);
		/* kill before the last listener fd closes: a notified call in the program would
		 * then fail with ENOSYS and let it run on without the agent */
		if (r < 0)
			(void)sys_pidfd_send_signal(pidfd, SIGKILL);
		close(lfd);
		if (r < 0) {
			ctr_err_prefix(err, "container '%s': start", c->id);
			return -ECANCELED;
		}
		(void)send(fd, "g", 1, MSG_NOSIGNAL); /* the agent has it: the program may run */
	}
}

/* A hook failed at start: kill what is left, undo create, run the poststop hooks (warnings only). */
static void destroy_after_failure(struct ctr_container *c)
{
	ctr_error *e = NULL;
	if (ctr_container_delete(c, CTR_DELETE_FORCE, &e) < 0)
		ctr_warn(c->ctx, "container '%s': destroy after a failed hook: %s", c->id, ctr_error_message(e));
	ctr_error_free(e);
}

/* The init's answer to start (start_reply) as the start's result: 0, or the error in *err;
 * *hook_failed for a startContainer hook's failure (the container is then destroyed). */
static int start_answer(struct ctr_container *c, int pidfd, int fd, bool *hook_failed, ctr_error **err)
{
	char msg[sizeof(struct ctr_msg) + CTR_ERRBUF + 1];
	*hook_failed = false;
	ssize_t n = start_reply(c, pidfd, fd, msg, sizeof(msg) - 1, err);
	if (n == 0)
		return 0;
	if (n == -ECANCELED)
		return err && *err ? -(*err)->errnum : -EIO;
	if (n < 0)
		return ctr_err_sys(err, errno, "container '%s': start", c->id);
	if ((size_t)n < sizeof(struct ctr_msg))
		return ctr_err(err, EPROTO, CTR_E_CHILD, "container '%s': start: short reply", c->id);
	struct ctr_msg h;
	memcpy(&h, msg, sizeof(h));
	msg[n] = '\0';
	*hook_failed = h.type == CTR_MSG_HOOK_ERROR;
	return ctr_err(err, h.err > 0 ? h.err : EIO, *hook_failed ? CTR_E_HOOK : CTR_E_CHILD, "container '%s': start: %s",
		       c->id, msg + sizeof(h));
}

/* Started (its state says running): the next create's spare namespaces, the poststart hooks */
static int after_start(struct ctr_container *c, ctr_error **err)
{
	/* while it runs: the next create's network and IPC namespaces, for a context that makes them
	 * one after another (lib/linux/netns-spare.c) */
	ctr_netns_spare_refill(c->ctx);
	const struct oci_config *cfg = NULL;
	if (c->hook_flags_known && c->no_poststart && !c->cfg)
		return 0;
	/* runtime-spec 1.3.0, step 9: a failing poststart hook is an error: the container is stopped
	 * and destroyed (step 12), then the poststop hooks run */
	int r;
	if ((r = ctr_container_config(c, &cfg, err)) < 0 ||
	    (r = run_hooks(c, "poststart", &cfg->hooks.poststart, CTR_STATUS_RUNNING, ROOT_PIVOTED, err)) < 0) {
		ctr_err_prefix(err, "container '%s' (stopped and deleted)", c->id);
		destroy_after_failure(c);
		return r;
	}
	return 0;
}

/*
 * CTR_CREATE_START where the runtime has nothing to do between the stub's
 * CREATED and the go (no network to set up, oomScoreAdj to write, pty to
 * receive, state for startContainer hooks to send), and the stub sends
 * nothing else before CREATED (no seccomp listener at create; a child that
 * shares our memory has no hooks, intermediate process or timeout, see
 * shared_vm_ok, and has exec'd the stub or died by the time its spawn
 * returns): the go is queued as soon as the state has the pid and
 * config.json is written, so the stub finds it when it has said CREATED
 * instead of waiting for our wake-up and answer (one hand-off between the
 * two CPUs, 20-40 us here).  Nothing of the container runs earlier than
 * before: the stub reads the go only after its own checks.  A stub that
 * failed instead reports an error (read next) and never reads it.
 */
static int early_go(struct create_run *run, ctr_error **err)
{
	const struct ctr_plan *p = &run->plan;
	const struct oci_config *cfg = run->cfg;
	/* (a pty to receive, console_parent, comes only with a terminal) */
	if (!(run->o->flags & CTR_CREATE_START) || !p->shared_vm || run->o->network || p->proc.terminal ||
	    p->hk_start_container.n || p->proc.seccomp_listener || (cfg->process && cfg->process->has_oom_score_adj))
		return 0;
	int r = ctr_msg_send(run->sv[0], CTR_MSG_GO, CTR_GO_START, 0, NULL, 0);
	if (r == -EPIPE || r == -ECONNRESET)
		return 0; /* the child is gone: what it said is read next, as the error */
	if (r < 0)
		return sync_failed(err, r);
	run->go_sent = true;
	return 0;
}

/* the init said CREATED and waits: network, oomScoreAdj, console; the go (with the state for its
 * startContainer hooks) unless early_go queued it; then the state and the pid file */
static int create_finish(struct create_run *run, ctr_error **err)
{
	struct ctr_container *c = run->c;
	const struct ctr_create_options *o = run->o;
	const struct oci_config *cfg = run->cfg;
	pid_t pid = run->pid;
	int r;

	if (o->network && (r = ctr_net_setup(c->ctx, o->network, c->id, pid, run->net_taken, err)) < 0)
		return r;
	if (cfg->process && cfg->process->has_oom_score_adj) {
		char val[32];
		int n = snprintf(val, sizeof(val), "%d", cfg->process->oom_score_adj);
		if ((r = ctr_procfs_write_pid(-1, pid, "oom_score_adj", val, (size_t)n)) < 0)
			return ctr_err_sys(err, -r, "config.json: process.oomScoreAdj: write /proc/%d/oom_score_adj",
					   (int)pid);
	}
	if (run->console_parent >= 0) {
		int m = -1;
		if ((r = ctr_term_recv_fd(run->console_parent, &m, err)) < 0) {
			ctr_err_prefix(err, "process.terminal: receive the pty master");
			return r;
		}
		c->console_fd = m;
	}
	c->recorded = CTR_STATUS_CREATED;
	free(run->state);
	run->state = NULL;
	run->state_len = 0;
	if (run->plan.hk_start_container.n &&
	    ((r = state_doc_inside(c, CTR_STATUS_CREATED, &run->state, &run->state_len, err)) < 0 ||
	     (r = check_state_len(c, run->state_len, err)) < 0))
		return r;
	/*
	 * The go first: the stub has nothing left but to wait for start, and it
	 * wakes while we write the state (a failure from here on still kills it,
	 * and create fails).  It cleared PR_SET_PDEATHSIG before it said
	 * CREATED: once the go is queued (it reads it before our end's hangup)
	 * we may return, and our caller exit.
	 *
	 * CTR_CREATE_START: the go starts it (startContainer hooks, then the
	 * program), and it answers on this socket as on a start connection.
	 * The state says running already while it execs: the create holds the
	 * state lock until it returns, and a failure removes the state.
	 */
	bool start = (o->flags & CTR_CREATE_START) != 0;
	if (!run->go_sent &&
	    (r = ctr_msg_send(run->sv[0], CTR_MSG_GO, start ? CTR_GO_START : 0, 0, run->state, run->state_len)) < 0)
		return sync_failed(err, r);
	if (start)
		c->recorded = CTR_STATUS_RUNNING;
	if ((r = ctr_container_save_state(c, err)) < 0)
		return r;
	if (o->pid_file) {
		char val[32];
		int n = snprintf(val, sizeof(val), "%d", (int)pid);
		if ((r = ctr_write_file_atomic(o->pid_file, val, (size_t)n, 0644, err)) < 0)
			return r;
	}
	if (start) {
		/* timeout_ms bounds the start too (startContainer hooks, the exec): part of this create */
		bool hook_failed;
		if ((r = create_deadline(c, run->sv[0], run->deadline, o->timeout_ms, err)) < 0 ||
		    (r = start_answer(c, run->pidfd, run->sv[0], &hook_failed, err)) < 0) {
			/* undone as a delete after a failed start would: the poststop hooks run (step 13) */
			run->hooks_started = true;
			return r;
		}
	}
	return 0;
}

/* what the run still holds, success or not (the child's pidfd is the container's on success) */
static void create_run_release(struct create_run *run)
{
	if (run->pidfd >= 0)
		close(run->pidfd);
	for (int i = 0; i < 2; i++)
		if (run->sv[i] >= 0)
			close(run->sv[i]);
	/* the plan's copies of the sync ends are the run's */
	run->plan.sync_fd = -1;
	run->plan.parent_sync_fd = -1;
	if (run->console_parent >= 0)
		close(run->console_parent);
	if (run->devnull >= 0)
		close(run->devnull);
	free(run->msgbuf);
	free(run->state);
	ctr_error_free(run->late_err);
	ctr_net_devices_free(run->netdevs);
	ctr_cg_layout_free(&run->layout);
	ctr_plan_free(&run->plan);
	ctr_host_snap_free(&run->snap);
}

/* The container's config.json: the handle's private copy of the spec, serialized in place
 * (a handle is used by one thread at a time, so json-c's cached text in it races with nobody). */
static int write_config(struct ctr_container *c, ctr_error **err)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(ctr_spec_json(c->spec),
							  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return s ? write_state_file(c->dirfd, c->dir, "config.json", s, len, err) : ctr_err_nomem(err);
}

static int do_create(struct ctr_container *c, const struct ctr_create_options *o,
		     const struct ctr_net_taken *net_taken, int **preserved, bool *poststop, ctr_error **err)
{
	int r;
	struct create_run run = {
		.c = c,
		.o = o,
		.net_taken = net_taken,
		.cfg = c->cfg,
		.sv = {-1, -1},
		.console_parent = -1,
		.devnull = -1,
		.pidfd = -1,
		.deadline = ctr_deadline(o->timeout_ms),
		.snap = {.ctx = c->ctx},
	};

	if ((r = create_plan(&run, preserved, err)) < 0 || (r = create_spawn(&run, err)) < 0)
		goto fail;
	if (run.late_done && run.late_r < 0) {
		r = late_failed(&run, err);
		goto fail_kill;
	}
	if (run.cg_late && !run.late_done && (r = create_cgroups_late(&run, err)) < 0)
		goto fail_kill;
	if (run.cg_parent_enters && (r = ctr_cgroup_enter(c->cg, run.pid, err)) < 0)
		goto fail_kill;
	if (run.plan.userns_new && (r = create_map_ids(&run, err)) < 0)
		goto fail_kill;
	if (!run.plan.join_pid_or_time && (r = create_record_pid(&run, err)) < 0)
		goto fail_kill;
	/* while the child sets up its mounts: config.json for later commands (exec, delete's hooks) */
	if ((r = write_config(c, err)) < 0 || (r = early_go(&run, err)) < 0)
		goto fail_kill;
	while ((r = create_setup_msg(&run, err)) == 0)
		;
	if (r < 0 || (r = create_finish(&run, err)) < 0)
		goto fail_kill;
	c->pidfd = run.pidfd;
	run.pidfd = -1;
	c->is_parent = true;
	create_run_release(&run);
	return 0;

fail_kill:
	ctr_net_devices_undo(c->ctx, run.netdevs); /* before the kill: the devices must not die with the namespace */
	kill_and_reap(run.pidfd, run.pid);
	if (run.first_pid != run.pid && run.first_pid > 0)
		(void)waitpid(run.first_pid, NULL, WNOHANG);
	release_rootfs_bind(c);
	/* runtime.md: a failed prestart/createRuntime/createContainer hook continues the lifecycle at
	 * step 12 (destroy); the caller runs the poststop hooks once everything is undone (step 13) */
	*poststop = run.hooks_started;
fail:
	if (c->cg) {
		/* the processes are gone: their cgroups go too */
		ctr_error *e = NULL;
		if (ctr_cgroup_destroy(c->cg, &e) < 0)
			ctr_warn(c->ctx, "container '%s': %s", c->id, ctr_error_message(e));
		ctr_error_free(e);
		ctr_cgroup_free(c->cg);
		c->cg = NULL;
	}
	create_run_release(&run);
	return r;
}

CTR_EXPORT int ctr_container_create(ctr_context *ctx, ctr_container **out, const char *id, const ctr_spec *spec,
				    const ctr_create_options *opts, ctr_error **err)
{
	int r;
	struct ctr_create_options o;
	ctr_create_options_init(&o);
	if (!ctx || !out || !spec)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_create: NULL argument");
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_create_options", err)) < 0)
		return r;
	if ((r = ctr_validate_id(id, err)) < 0)
		return r;
	if ((o.flags & CTR_CREATE_STDIO_PIPES) && (o.stdio_fds[0] >= 0 || o.stdio_fds[1] >= 0 || o.stdio_fds[2] >= 0))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_create_options: CTR_CREATE_STDIO_PIPES with stdio_fds set: give one or the other");
	/* the caller's fds 3..3+preserve_fds-1, before the library opens any of its own */
	int *preserved = NULL;
	bool poststop = false;
	struct ctr_net_taken *net_taken = NULL;
	int child_ends[3] = {-1, -1, -1}; /* CTR_CREATE_STDIO_PIPES: the container's ends, closed when create returns */
	if ((r = ctr_preserve_fds_snapshot(ctx, o.preserve_fds, NULL, 0, &preserved, err)) < 0)
		return r;
	struct ctr_container *c = container_new(ctx, id);
	if (!c) {
		ctr_preserve_fds_free(preserved, o.preserve_fds);
		return ctr_err_nomem(err);
	}
	if ((r = ctr_spec_copy(&c->spec, spec, err)) < 0)
		goto out;
	if ((o.flags & CTR_CREATE_STDIO_PIPES) && (r = ctr_stdio_pipes(c->stdio_pipes, child_ends, err)) < 0)
		goto out;
	if (o.flags & CTR_CREATE_STDIO_PIPES)
		for (int i = 0; i < 3; i++)
			o.stdio_fds[i] = child_ends[i];
	/* CDI annotations edit the private copy, so the caller's spec is untouched */
	if (o.accel && (r = ctr_accel_apply_annotations(c->spec, o.accel, err)) < 0) {
		ctr_err_prefix(err, "config.json: annotations");
		goto out;
	}
	/* the network mode's namespace and the names files, on the private copy too */
	if (o.network && (r = ctr_container_net_edit_spec(ctx, o.network, c->spec, c->dir, err)) < 0)
		goto out;
	if ((r = oci_config_from_spec(c->spec, &c->cfg, err)) < 0)
		goto out;
	c->bundle = realpath(o.bundle ? o.bundle : ".", NULL);
	if (!c->bundle) {
		r = ctr_err_sys(err, errno, "bundle %s", o.bundle ? o.bundle : ".");
		goto out;
	}
	if (o.image && !o.image_store) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_create_options: image '%s' given without image_store", o.image);
		goto out;
	}
	if (!o.image && !c->cfg->root_path) {
		r = ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: root.path: required on Linux");
		goto out;
	}
	if (!o.image) { /* with an image, the rootfs is mounted in the state dir below */
		char *p;
		if (c->cfg->root_path[0] == '/')
			p = strdup(c->cfg->root_path);
		else if (asprintf(&p, "%s/%s", c->bundle, c->cfg->root_path) < 0)
			p = NULL;
		if (!p) {
			r = ctr_err_nomem(err);
			goto out;
		}
		c->rootfs = realpath(p, NULL);
		if (!c->rootfs) {
			r = ctr_err_sys(err, errno, "config.json: root.path: %s", p);
			free(p);
			goto out;
		}
		free(p);
	}
	if (!(c->created = now_rfc3339()) ||
	    (c->cfg->oci_version && !(c->oci_version = strdup(c->cfg->oci_version)))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	if (c->cfg->n_annotations) {
		c->annotations = json_object_new_object();
		if (!c->annotations) {
			r = ctr_err_nomem(err);
			goto out;
		}
		for (size_t i = 0; i < c->cfg->n_annotations; i++)
			json_object_object_add(c->annotations, c->cfg->annotation_keys[i],
					       json_object_new_string(c->cfg->annotation_values[i]));
	}
	if ((r = make_state_root(ctx->state_root, err)) < 0)
		goto out;
	if (mkdir(c->dir, 0711) < 0) {
		if (errno == EEXIST)
			r = ctr_err(err, EEXIST, CTR_E_EXISTS, "container '%s' already exists: delete it first or pick "
				    "another id", id);
		else
			r = ctr_err_sys(err, errno, "%s: mkdir", c->dir);
		goto out;
	}
	if ((r = open_state_dir(c, err)) < 0) {
		(void)rmdir(c->dir);
		goto out;
	}
	if ((r = ctr_container_lock(c, err)) < 0 ||
	    (o.network && (r = ctr_net_prepare(ctx, o.network, id, c->dir, c->cfg->hostname, &net_taken, err)) < 0) ||
	    (o.image && (r = ctr_image_rootfs_mount(o.image_store, o.image, c->dirfd, c->dir, &c->rootfs, err)) < 0) ||
	    (r = ctr_home_set_config(c->cfg, c->rootfs, err)) < 0 ||
	    (r = ctr_workdir_create(c->cfg, c->rootfs, o.image != NULL, err)) < 0 ||
	    (r = do_create(c, &o, net_taken, &preserved, &poststop, err)) < 0) {
		ctr_net_taken_settle(net_taken); /* the announcement done before it is undone */
		if (o.network)
			ctr_net_teardown(ctx, c->dir, id);
		if (poststop) {
			ctr_image_rootfs_release(ctx, c->dirfd, c->dir);
			run_poststop(c, c->cfg);
		}
		remove_state(c);
		goto out;
	}
	ctr_container_unlock(c);
	for (int i = 0; i < 3; i++)
		if (child_ends[i] >= 0)
			close(child_ends[i]);
	ctr_net_taken_free(net_taken);
	/* CTR_CREATE_START: started in create_finish; a failing poststart hook destroyed it */
	if ((o.flags & CTR_CREATE_START) && (r = after_start(c, err)) < 0) {
		ctr_container_free(c);
		return r;
	}
	*out = c;
	return 0;
out:
	for (int i = 0; i < 3; i++)
		if (child_ends[i] >= 0)
			close(child_ends[i]);
	ctr_net_taken_free(net_taken);
	ctr_preserve_fds_free(preserved, o.preserve_fds);
	ctr_container_free(c);
	return r;
}

/* ---- start, kill, wait, delete ---- */

CTR_EXPORT int ctr_container_start(ctr_container *c, ctr_error **err)
{
	int r;
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_start: NULL container");
	if ((r = ctr_container_lock(c, err)) < 0)
		return r;
	ctr_status st = ctr_container_status(c);
	if (st != CTR_STATUS_CREATED) {
		ctr_container_unlock(c);
		return ctr_err(err, EBUSY, CTR_E_STATE, "container '%s' is %s: start needs a created container", c->id,
			       ctr_status_name(st));
	}
	struct sockaddr_un sa;
	if ((r = sock_addr(c, "start.sock", &sa, err)) < 0) {
		ctr_container_unlock(c);
		return r;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = ctr_err_sys(err, errno, "container '%s': connect to %s", c->id, sa.sun_path);
		if (fd >= 0)
			close(fd);
		ctr_container_unlock(c);
		return r;
	}
	if (send(fd, "start", 5, MSG_NOSIGNAL) != 5) {
		r = ctr_err_sys(err, errno, "container '%s': send start", c->id);
		close(fd);
		ctr_container_unlock(c);
		return r;
	}
	bool hook_failed;
	r = start_answer(c, c->pidfd, fd, &hook_failed, err);
	close(fd);
	if (r < 0) {
		/* the init exits 127: record nothing, status reads stopped */
		ctr_container_unlock(c);
		/* runtime.md step 7: a failed startContainer hook stops the container and continues at
		 * step 12: it is destroyed (and the poststop hooks run) */
		if (hook_failed)
			destroy_after_failure(c);
		return r;
	}
	c->recorded = CTR_STATUS_RUNNING;
	r = ctr_container_save_state(c, err);
	ctr_container_unlock(c);
	return r < 0 ? r : after_start(c, err);
}

static int ns_inode(pid_t pid, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	ssize_t l = readlink(path, buf, n - 1);
	if (l < 0)
		return -errno;
	buf[l] = '\0';
	return 0;
}

/* Signal every process of the container: same pid ns, or (shared pid ns) descendants of init. */
static int kill_all(struct ctr_container *c, int signo, ctr_error **err)
{
	char want[64], have[64];
	int r = 0;
	if (ns_inode(c->pid, want, sizeof(want)) < 0)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return ctr_err_sys(err, errno, "/proc: opendir");
	size_t cap = 256, n = 0;
	pid_t *pids = malloc(cap * sizeof(pid_t)), *ppids = malloc(cap * sizeof(pid_t));
	if (!pids || !ppids) {
		closedir(d);
		free(pids);
		free(ppids);
		return ctr_err_nomem(err);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long p = strtol(e->d_name, &end, 10);
		if (*end || p <= 0)
			continue;
		if (c->own_pidns) {
			if (ns_inode((pid_t)p, have, sizeof(have)) == 0 && !strcmp(have, want))
				(void)kill((pid_t)p, signo);
			continue;
		}
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", p);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t l = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (l <= 0)
			continue;
		buf[l] = '\0';
		char *q = strrchr(buf, ')');
		if (!q)
			continue;
		if (n == cap) {
			cap *= 2;
			pid_t *a = realloc(pids, cap * sizeof(pid_t)), *b = a ? realloc(ppids, cap * sizeof(pid_t)) : NULL;
			if (a)
				pids = a;
			if (b)
				ppids = b;
			if (!a || !b) {
				r = ctr_err_nomem(err);
				break;
			}
		}
		pids[n] = (pid_t)p;
		ppids[n] = (pid_t)strtol(q + 4, NULL, 10);
		n++;
	}
	closedir(d);
	if (!c->own_pidns && r == 0) {
		/* mark descendants of init by repeated passes */
		char *mark = calloc(n ? n : 1, 1);
		if (!mark)
			r = ctr_err_nomem(err);
		for (bool changed = true; mark && changed;) {
			changed = false;
			for (size_t i = 0; i < n; i++) {
				if (mark[i])
					continue;
				bool desc = ppids[i] == c->pid;
				for (size_t j = 0; !desc && j < n; j++)
					desc = mark[j] && pids[j] == ppids[i];
				if (desc) {
					mark[i] = 1;
					changed = true;
				}
			}
		}
		for (size_t i = 0; mark && i < n; i++)
			if (mark[i])
				(void)kill(pids[i], signo);
		free(mark);
		(void)sys_pidfd_send_signal(c->pidfd, signo);
	}
	free(pids);
	free(ppids);
	return r;
}

CTR_EXPORT int ctr_container_kill(ctr_container *c, int signo, unsigned flags, ctr_error **err)
{
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_kill: NULL container");
	/* 0 checks that the container's processes exist, as kill(2) does */
	if (signo < 0 || signo >= NSIG)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "signal %d is not valid: use 0 to %d", signo, NSIG - 1);
	ctr_status st = ctr_container_status(c);
	/* as runc: with --all a stopped container's cgroup may still hold processes (no pid namespace) */
	if (st == CTR_STATUS_STOPPED && (flags & CTR_KILL_ALL) && c->cg)
		return ctr_cgroup_kill(c->cg, signo, err);
	/* "container not running" is runc's wording, which containerd's shim matches to take the
	 * process as already gone */
	if (st != CTR_STATUS_CREATED && st != CTR_STATUS_RUNNING && st != CTR_STATUS_PAUSED)
		return ctr_err(err, ESRCH, CTR_E_STATE,
			       "container '%s': container not running (it is %s; kill needs a created or running "
			       "container)",
			       c->id, ctr_status_name(st));
	if ((flags & CTR_KILL_ALL) && c->cg)
		return ctr_cgroup_kill(c->cg, signo, err); /* every process of its cgroup, also those that left its pid ns */
	if ((flags & CTR_KILL_ALL) && !(c->own_pidns && signo == SIGKILL))
		return kill_all(c, signo, err);
	if (sys_pidfd_send_signal(c->pidfd, signo) < 0)
		return ctr_err_sys(err, errno, "container '%s': send signal %d", c->id, signo);
	return 0;
}

CTR_EXPORT int ctr_container_wait(ctr_container *c, int *exit_status, int timeout_ms, ctr_error **err)
{
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_wait: NULL container");
	if (c->reaped) {
		if (exit_status)
			*exit_status = c->exit_status;
		return 0;
	}
	if (c->pidfd < 0)
		return ctr_err(err, ECHILD, CTR_E_STATE,
			       "container '%s': its init was gone before this handle was loaded, and its exit status "
			       "with it",
			       c->id);
	int code, r = ctr_pidfd_exit_status(c->pidfd, timeout_ms, &code);
	if (r == -ETIMEDOUT)
		return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM, "container '%s': still running after %d ms", c->id,
			       timeout_ms);
	if (r == -ECHILD)
		return ctr_err(err, ECHILD, CTR_E_SYSTEM,
			       "container '%s' exited, but its exit status is gone: %s", c->id,
			       c->is_parent ? "another reaper took it (this process ignores SIGCHLD or reaps every "
					      "child), and this kernel (before 6.15) keeps no copy on the pidfd"
					    : "it was its creator's to collect");
	if (r < 0)
		return ctr_err_sys(err, -r, "container '%s': wait for its init", c->id);
	c->exit_status = code;
	c->reaped = true;
	if (exit_status)
		*exit_status = c->exit_status;
	return 0;
}

CTR_EXPORT int ctr_process_wait_timeout(int pidfd, int *exit_status, int timeout_ms, ctr_error **err)
{
	int code, r = ctr_pidfd_exit_status(pidfd, timeout_ms, &code);
	if (r == -ETIMEDOUT)
		return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM, "the process of pidfd %d still runs after %d ms", pidfd,
			       timeout_ms);
	if (r == -ECHILD)
		return ctr_err(err, ECHILD, CTR_E_SYSTEM,
			       "the process of pidfd %d exited, but its exit status is gone: another reaper took "
			       "it (this process ignores SIGCHLD or reaps every child) and this kernel (before "
			       "6.15) keeps no copy on the pidfd; or it was not this process's child",
			       pidfd);
	if (r < 0)
		return ctr_err_sys(err, -r, "wait for the process of pidfd %d", pidfd);
	if (exit_status)
		*exit_status = code;
	return 0;
}

CTR_EXPORT int ctr_process_wait(int pidfd, int *exit_status, ctr_error **err)
{
	return ctr_process_wait_timeout(pidfd, exit_status, -1, err);
}

static int do_delete(ctr_container *c, unsigned flags, int64_t timeout_ms, ctr_error **err);

CTR_EXPORT int ctr_container_delete(ctr_container *c, unsigned flags, ctr_error **err)
{
	return do_delete(c, flags, 0, err);
}

CTR_EXPORT int ctr_container_delete_timeout(ctr_container *c, unsigned flags, int64_t timeout_ms, ctr_error **err)
{
	if (timeout_ms < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_delete_timeout: timeout_ms %lld is negative",
			       (long long)timeout_ms);
	return do_delete(c, flags, timeout_ms, err);
}

/* The container's init is gone (0), or the deadline came first (-ETIMEDOUT: the state is kept). */
static int wait_gone(ctr_container *c, int64_t deadline, int64_t timeout_ms, ctr_error **err)
{
	if (c->pidfd < 0)
		return 0;
	int r = deadline ? ctr_wait_readable(c->pidfd, deadline) : 0;
	if (!deadline) {
		struct pollfd p = {c->pidfd, POLLIN, 0};
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	}
	if (r == -ETIMEDOUT)
		return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM,
			       "delete container '%s': its init did not die within %lld ms of SIGKILL (a process in "
			       "uninterruptible sleep?): the state is kept, delete again",
			       c->id, (long long)timeout_ms);
	return 0;
}

static int do_delete(ctr_container *c, unsigned flags, int64_t timeout_ms, ctr_error **err)
{
	int r;
	int64_t deadline = ctr_deadline(timeout_ms);
	if (!c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_delete: NULL container");
	if (c->dirfd < 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' was deleted already", c->id);
	if ((r = ctr_container_lock(c, err)) < 0)
		return r;
	/* the handle may predate a create that was still running when it was loaded */
	if (!c->is_parent && (r = load_state(c, err)) < 0) {
		ctr_container_unlock(c);
		return r;
	}
	ctr_status st = ctr_container_status(c);
	if ((st == CTR_STATUS_RUNNING || st == CTR_STATUS_PAUSED) && !(flags & CTR_DELETE_FORCE)) {
		ctr_container_unlock(c);
		return ctr_err(err, EBUSY, CTR_E_STATE,
			       "container '%s' is %s: stop it first or delete with force", c->id, ctr_status_name(st));
	}
	if (st == CTR_STATUS_CREATED && !(flags & (CTR_DELETE_FORCE | CTR_DELETE_CREATED))) {
		ctr_container_unlock(c);
		return ctr_err(err, EBUSY, CTR_E_STATE,
			       "container '%s' is created, not stopped (runtime.md deletes only stopped containers): "
			       "kill it first, or delete with force",
			       c->id);
	}
	if (st != CTR_STATUS_STOPPED && c->pidfd >= 0) {
		/* created, creating (a crashed creator) or forced: kill everything of it */
		ctr_error *e = NULL;
		if (!c->own_pidns)
			(void)kill_all(c, SIGKILL, &e);
		ctr_error_free(e);
		(void)sys_pidfd_send_signal(c->pidfd, SIGKILL);
		/* a task the v1 freezer holds dies only once thawed (v2's lets SIGKILL through):
		 * thawed after the signal, so that nothing of it runs again */
		if (st == CTR_STATUS_PAUSED && c->cg) {
			e = NULL;
			(void)ctr_cgroup_freeze(c->cg, false, &e);
			ctr_error_free(e);
		}
		if ((r = wait_gone(c, deadline, timeout_ms, err)) < 0) {
			ctr_container_unlock(c);
			return r;
		}
	}
	if (c->cg) {
		/* what is left in its cgroups (a frozen process only dies once thawed), then the cgroups;
		 * those of a stopped one are empty as a rule: the one holding its processes removed
		 * first, there is nothing to kill (with the pids cgroup of a v1 host, the kill would
		 * read cgroup.procs and scan for cgroups below it: about 30 us of every run) */
		if (st != CTR_STATUS_STOPPED || !ctr_cgroup_remove_if_empty(c->cg)) {
			ctr_error *ce = NULL;
			(void)ctr_cgroup_kill(c->cg, SIGKILL, &ce);
			ctr_error_free(ce);
			ce = NULL;
			if (st == CTR_STATUS_PAUSED)
				(void)ctr_cgroup_freeze(c->cg, false, &ce);
			ctr_error_free(ce);
		}
		if (c->is_parent && !c->reaped) {
			if ((r = wait_gone(c, deadline, timeout_ms, err)) < 0) {
				ctr_container_unlock(c);
				return r;
			}
			(void)ctr_container_wait(c, NULL, 0, NULL);
		}
		if ((r = ctr_cgroup_destroy(c->cg, err)) < 0) {
			ctr_container_unlock(c);
			ctr_err_prefix(err, "delete container '%s' (the state is kept: delete again)", c->id);
			return r;
		}
	}
	if (c->is_parent && !c->reaped)
		(void)ctr_container_wait(c, NULL, 0, NULL);
	ctr_net_teardown(c->ctx, c->dir, c->id); /* veth, lease, published ports (lib/net) */
	release_rootfs_bind(c);                  /* no mount namespace: its mounts in ours */
	ctr_image_rootfs_release(c->ctx, c->dirfd, c->dir); /* a rootfs from an image, if any */
	/* runtime.md step 13, once everything create did is undone (step 12) */
	const struct oci_config *cfg;
	ctr_error *e = NULL;
	if (c->recorded != CTR_STATUS_CREATING && !(c->hook_flags_known && c->no_poststop && !c->cfg)) {
		if (ctr_container_config(c, &cfg, &e) < 0)
			ctr_warn(c->ctx, "container '%s': poststop hooks: %s", c->id, ctr_error_message(e));
		else
			run_poststop(c, cfg);
		ctr_error_free(e);
	}
	remove_state(c);
	ctr_container_unlock(c);
	close(c->dirfd);
	c->dirfd = -1;
	if (c->pidfd >= 0 && !c->is_parent) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	return 0;
}

CTR_EXPORT int ctr_container_list(ctr_context *ctx, char ***ids, ctr_error **err)
{
	if (!ctx || !ids)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_container_list: NULL argument");
	return ctr_list_dir_with(ctx->state_root, "state.json", "state root", ids, err);
}

CTR_EXPORT int ctr_run(ctr_context *ctx, const char *id, const ctr_spec *spec, const ctr_create_options *opts,
		       int *exit_status, ctr_error **err)
{
	ctr_container *c = NULL;
	/* started by its create (CTR_CREATE_START): no round trip of a separate start */
	struct ctr_create_options o;
	ctr_create_options_init(&o);
	int r;
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_create_options", err)) < 0)
		return r;
	o.flags |= CTR_CREATE_START;
	if ((r = ctr_container_create(ctx, &c, id, spec, &o, err)) < 0)
		return r;
	if ((r = ctr_container_wait(c, exit_status, -1, err)) < 0) {
		(void)ctr_container_delete(c, CTR_DELETE_FORCE, NULL);
		ctr_container_free(c);
		return r;
	}
	r = ctr_container_delete(c, CTR_DELETE_FORCE, err);
	ctr_container_free(c);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HOME from the container's /etc/passwd (see home.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/home.h"
#include "linux/procfs.h"

char *ctr_home_lookup(const char *passwd, size_t len, uid_t uid)
{
	const char *p = passwd, *end = passwd ? passwd + len : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		/* name:password:uid:gid:gecos:home:shell */
		const char *f[7] = { 0 }, *q = p;
		size_t fl[7] = { 0 };
		int k = 0;
		while (k < 7) {
			const char *c = memchr(q, ':', (size_t)(eol - q));
			f[k] = q;
			fl[k] = (size_t)((c ? c : eol) - q);
			k++;
			if (!c)
				break;
			q = c + 1;
		}
		if (k >= 6 && p[0] != '#' && fl[2] > 0 && fl[2] <= 10) {
			unsigned long long v = 0;
			size_t i;
			for (i = 0; i < fl[2] && f[2][i] >= '0' && f[2][i] <= '9'; i++)
				v = v * 10 + (unsigned)(f[2][i] - '0');
			if (i == fl[2] && v == (unsigned long long)uid)
				return fl[5] ? strndup(f[5], fl[5]) : strdup("/");
		}
		p = nl ? nl + 1 : end;
	}
	return strdup("/");
}

/*
 * etc/passwd beneath rootfd: *buf NULL (and 0) when there is none (no file,
 * or a path that leaves nothing to read); an error for what must not be
 * read (not a regular file, too big).  what names the root for messages.
 */
static int read_passwd(int rootfd, const char *what, char **buf, size_t *len, ctr_error **err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	*buf = NULL;
	*len = 0;
	int fd = (int)syscall(SYS_openat2, rootfd, "etc/passwd", &how, sizeof(how));
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR || e == ELOOP)
			return 0;
		return ctr_err_sys(err, e, "%s/etc/passwd: open", what);
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0) {
		r = ctr_err_sys(err, errno, "%s/etc/passwd: fstat", what);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "%s/etc/passwd is not a regular file: HOME cannot be looked "
			    "up; set HOME in process.env", what);
		goto out;
	}
	if ((uint64_t)st.st_size > CTR_HOME_PASSWD_MAX) {
		r = ctr_err(err, EFBIG, CTR_E_INVALID, "%s/etc/passwd is larger than %u MiB: HOME is not looked up "
			    "in it; set HOME in process.env", what, CTR_HOME_PASSWD_MAX >> 20);
		goto out;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	char *b = malloc(cap + 1);
	if (!b) {
		r = ctr_err_nomem(err);
		goto out;
	}
	/* the size may change under us: never read past what was allocated */
	while (n < cap) {
		ssize_t k = read(fd, b + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = ctr_err_sys(err, errno, "%s/etc/passwd: read", what);
			free(b);
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
out:
	close(fd);
	return r;
}

static bool has_home(char *const *env, size_t n)
{
	for (size_t i = 0; env && i < n && env[i]; i++)
		if (!strncmp(env[i], "HOME=", 5))
			return true;
	return false;
}

/* "HOME=<home of uid>" from beneath rootfd; malloc'd into *out. */
static int home_entry(int rootfd, const char *what, uid_t uid, char **out, ctr_error **err)
{
	char *pw = NULL, *home = NULL;
	size_t len = 0;
	int r = read_passwd(rootfd, what, &pw, &len, err);
	if (r < 0)
		return r;
	home = ctr_home_lookup(pw, len, uid);
	free(pw);
	if (!home || asprintf(out, "HOME=%s", home) < 0) {
		free(home);
		*out = NULL;
		return ctr_err_nomem(err);
	}
	free(home);
	return 0;
}

int ctr_home_set_config(struct oci_config *cfg, const char *rootfs, ctr_error **err)
{
	struct oci_process *p = cfg ? cfg->process : NULL;
	if (!p || !rootfs || has_home(p->env, p->n_env))
		return 0;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ctr_err_sys(err, errno, "config.json: root.path: %s", rootfs);
	char *e = NULL;
	int r = home_entry(rootfd, rootfs, p->user.uid, &e, err);
	close(rootfd);
	if (r < 0) {
		ctr_err_prefix(err, "process.env has no HOME");
		return r;
	}
	char **nv = realloc(p->env, (p->n_env + 2) * sizeof(*nv));
	if (!nv) {
		free(e);
		return ctr_err_nomem(err);
	}
	nv[p->n_env++] = e;
	nv[p->n_env] = NULL;
	p->env = nv;
	return 0;
}

int ctr_home_set_exec_env(pid_t init_pid, int init_pidfd, uid_t uid, char ***envp, char ***owned, ctr_error **err)
{
	size_t n = ctr_strv_len((const char *const *)*envp);
	if (has_home(*envp, n))
		return 0;
	char what[64], rel[32];
	snprintf(what, sizeof(what), "/proc/%d/root", (int)init_pid);
	snprintf(rel, sizeof(rel), "%d", (int)init_pid);
	/* a checked procfs, its <pid> dir without crossing mounts, then the root magic link on purpose */
	int proc = ctr_procfs_root();
	if (proc < 0)
		return ctr_err_sys(err, -proc, "exec: HOME: /proc");
	int piddir = ctr_procfs_open(proc, rel, O_PATH | O_DIRECTORY);
	close(proc);
	if (piddir < 0)
		return ctr_err_sys(err, -piddir, "exec: HOME: /proc/%d", (int)init_pid);
	int rootfd = openat(piddir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int e = errno;
	close(piddir);
	if (rootfd < 0)
		return ctr_err_sys(err, e, "exec: HOME: %s", what);
	/* the init still lives, so the pid was not reused before the open: rootfd is its root */
	if (init_pidfd < 0 || syscall(SYS_pidfd_send_signal, init_pidfd, 0, NULL, 0) < 0) {
		close(rootfd);
		return ctr_err(err, ESRCH, CTR_E_STATE, "exec: the container's init (pid %d) is gone", (int)init_pid);
	}
	char *entry = NULL;
	int r = home_entry(rootfd, what, uid, &entry, err);
	close(rootfd);
	if (r < 0) {
		ctr_err_prefix(err, "exec: the process's env has no HOME");
		return r;
	}
	/* one block: the pointers, then the string */
	size_t elen = strlen(entry) + 1;
	char **nv = malloc((n + 2) * sizeof(*nv) + elen);
	if (!nv) {
		free(entry);
		return ctr_err_nomem(err);
	}
	char *s = (char *)(nv + n + 2);
	memcpy(s, entry, elen);
	free(entry);
	for (size_t i = 0; i < n; i++)
		nv[i] = (*envp)[i];
	nv[n] = s;
	nv[n + 1] = NULL;
	free(*owned);
	*owned = nv;
	*envp = nv;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing a new user namespace's uid_map and gid_map from the runtime's side.
 *
 * Root writes them directly.  An unprivileged user may write directly only a
 * single mapping of its own id (and, for gid_map, only after denying
 * setgroups); every other mapping (a range of subordinate ids, as podman or
 * `--uidmap` ask for) goes through the set-uid helpers newuidmap/newgidmap
 * of the uidmap package, which check /etc/subuid and /etc/subgid, as runc and
 * crun do.  When the helper is missing the error says what to install.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "linux/userns.h"
#include "linux/lifecycle.h"

extern char **environ;

/* Through the checked procfs (procfs.h): a bind mount over the file or over /proc is refused, never written. */
static int write_proc_map(pid_t pid, const char *file, const char *text, ctr_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int r = ctr_procfs_write_pid(-1, pid, file, text, strlen(text));
	if (r == 0)
		return 0;
	if (r == -EXDEV)
		return ctr_err(err, EXDEV, CTR_E_SYSTEM, "%s: %s", path, CTR_PROCFS_EXDEV_HINT);
	if (!strcmp(file, "setgroups"))
		return ctr_err_sys(err, -r, "%s: write \"%s\"", path, text);
	return ctr_err_sys(err, -r, "config.json: linux.%s: write %s (check the mapping ranges exist on the host)",
			   !strcmp(file, "uid_map") ? "uidMappings" : "gidMappings", path);
}

/* The map is a single line "X <own> 1": an unprivileged user may write it itself. */
static bool only_own_id(const char *text, unsigned own)
{
	unsigned inside, outside, size;
	int used = 0;
	if (sscanf(text, "%u %u %u\n%n", &inside, &outside, &size, &used) != 3)
		return false;
	return outside == own && size == 1 && text[used] == '\0';
}

/* /etc/subuid and /etc/subgid name the user (by login name) whose ranges they list */
static const char *user_name(unsigned uid, char *buf, size_t len)
{
	struct passwd pw, *p = NULL;
	char tmp[1024];
	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &p) == 0 && p)
		snprintf(buf, len, "user %s", p->pw_name);
	else
		snprintf(buf, len, "uid %u", uid);
	return buf;
}

/*
 * newuidmap PID inside outside size ...: argv from the map text.  Its stderr
 * goes into the error message.
 */
static int run_helper(pid_t pid, bool gid, const char *text, ctr_error **err)
{
	const char *helper = gid ? "newgidmap" : "newuidmap", *field = gid ? "gidMappings" : "uidMappings";
	const char *subfile = gid ? "/etc/subgid" : "/etc/subuid";
	unsigned own = gid ? (unsigned)getegid() : (unsigned)geteuid(), first_in = 0, first_out = 0, first_n = 0;
	char who[300];
	/* name the first range that is not the caller's own id: that is what needs the helper */
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, "%u %u %u", &first_in, &first_out, &first_n) == 3 && (first_out != own || first_n != 1))
			break;
	user_name((unsigned)geteuid(), who, sizeof(who));
	char *exe = ctr_find_program(helper);
	if (!exe)
		return ctr_err(err, EPERM, CTR_E_UNSUPPORTED,
			       "config.json: linux.%s: %s %u -> %u (size %u) needs %s (package uidmap) and a range "
			       "in %s for %s: install uidmap and add the range, or map only your own id (%u)",
			       field, gid ? "gid" : "uid", first_in, first_out, first_n, helper, subfile, who, own);

	/* argv: helper pid (3 numbers per line) NULL */
	size_t lines = 0;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	char **argv = calloc(3 + 3 * lines + 1, sizeof(char *));
	char *copy = strdup(text), pidbuf[24];
	int r = 0, pfd[2] = {-1, -1};
	if (!argv || !copy) {
		r = ctr_err_nomem(err);
		goto out;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	size_t n = 0;
	argv[n++] = exe;
	argv[n++] = pidbuf;
	char *save = NULL;
	for (char *tok = strtok_r(copy, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (n < 2 + 3 * lines)
			argv[n++] = tok;
	argv[n] = NULL;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = ctr_err_sys(err, errno, "%s: pipe", helper);
		goto out;
	}
	/* no fd but its stderr pipe, a fixed environment (it is set-uid), a pidfd to wait on */
	int hpidfd = -1;
	int e = -ctr_spawn_helper(exe, argv, -1, pfd[1], &hpidfd);
	close(pfd[1]);
	pfd[1] = -1;
	if (e) {
		r = ctr_err_sys(err, e, "config.json: linux.%s: run %s", field, exe);
		goto out;
	}
	char msg[512];
	size_t len = 0;
	ssize_t k;
	while (len < sizeof(msg) - 1 && (k = read(pfd[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		len += (size_t)k;
	}
	msg[len] = '\0';
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	int code = -1;
	e = ctr_pidfd_exit_status(hpidfd, -1, &code);
	close(hpidfd);
	if (e < 0)
		r = ctr_err_sys(err, -e,
				"config.json: linux.%s: whether %s succeeded is unknown (its exit status was taken by "
				"another reaper of this process's children: SIGCHLD ignored or a waitpid(-1) handler, "
				"on a kernel before 6.15)",
				field, helper);
	else if (code != 0)
		r = ctr_err(err, EPERM, CTR_E_SPEC,
			    "config.json: linux.%s: %s %u -> %u (size %u): %s failed (%s): check that %s gives %s "
			    "that range",
			    field, gid ? "gid" : "uid", first_in, first_out, first_n, helper,
			    *msg ? msg : "no message", subfile, who);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(argv);
	free(copy);
	free(exe);
	return r;
}

int ctr_userns_write_maps(pid_t pid, const char *uid_map, const char *gid_map, ctr_error **err)
{
	int r;
	if (geteuid() == 0)
		return (r = write_proc_map(pid, "uid_map", uid_map, err)) < 0 ? r
									 : write_proc_map(pid, "gid_map", gid_map, err);
	if (only_own_id(uid_map, (unsigned)geteuid()))
		r = write_proc_map(pid, "uid_map", uid_map, err);
	else
		r = run_helper(pid, false, uid_map, err);
	if (r < 0)
		return r;
	if (only_own_id(gid_map, (unsigned)getegid())) {
		/* without CAP_SETGID over the parent ns, gid_map needs setgroups denied first */
		if ((r = write_proc_map(pid, "setgroups", "deny", err)) < 0)
			return r;
		return write_proc_map(pid, "gid_map", gid_map, err);
	}
	/* newgidmap leaves setgroups allowed: the container may set its additional gids */
	return run_helper(pid, true, gid_map, err);
}

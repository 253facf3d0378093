/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `exec`: run another process in a container.  As runc does, the process is
 * the container's own configured process with the command-line changes
 * applied (args, cwd, env, user, additional gids, capabilities, no new
 * privileges, AppArmor profile, SELinux label, terminal), or the process
 * object of a -p process.json taken as it is.  We build that process object
 * here and hand it to ctr_container_exec() as JSON, so every runc flag maps
 * onto a runtime-spec field that the library applies.
 *
 * Exit codes: the process's own exit code (128+signal when killed), and 1
 * for command-line mistakes and when the exec itself fails (runc uses 255
 * for the latter; see CLI_EXIT_EXEC_FAILED).
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

struct exec_args {
	const char *console_socket, *cwd, *user, *process, *pid_file, *process_label, *apparmor;
	struct strv env, gids, caps, cgroup;
	bool tty, detach, no_new_privs, ignore_paused;
	int preserve_fds;
};

static char *read_file(struct cli *cli, const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;

	if (!f) {
		cli_error(cli, "cannot read the process file %s (-p/--process): %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f) || b.oom) {
		cli_error(cli, "cannot read the process file %s (-p/--process): %s", path,
			  b.oom ? "out of memory" : strerror(errno));
		fclose(f);
		buf_free(&b);
		return NULL;
	}
	fclose(f);
	if (!b.s)
		buf_add(&b, "", 0);
	*len = b.len;
	return b.s;
}

static int parse_u32(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT_MAX || s[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

static json_object *get_or_add(json_object *obj, const char *key, json_type type)
{
	json_object *v;
	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, type))
		return v;
	v = type == json_type_array ? json_object_new_array() : json_object_new_object();
	if (v)
		json_object_object_add(obj, key, v);
	return v;
}

static bool array_has_string(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(arr, i));
		if (e && !strcmp(e, s))
			return true;
	}
	return false;
}

/* The container's process with the command-line changes; NULL after reporting an error. */
static json_object *process_from_flags(struct cli *cli, ctr_container *c, struct exec_args *a, char **cmd,
				       int ncmd, const struct opt *opts)
{
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	char *js = NULL;
	json_object *root = NULL, *proc = NULL, *v;

	if (ctr_container_spec(c, &spec, &err) < 0 || ctr_spec_to_json(spec, &js, NULL, 0, &err) < 0) {
		cli_error_ctr(cli, err, "exec failed");
		goto fail;
	}
	root = json_tokener_parse(js);
	if (!root) {
		cli_error(cli, "exec failed: the container's configuration does not parse as JSON");
		goto fail;
	}
	if (!json_object_object_get_ex(root, "process", &v) || !json_object_is_type(v, json_type_object)) {
		cli_error(cli, "exec failed: the container's configuration has no process object; "
			  "give the whole process with -p process.json");
		goto fail;
	}
	proc = json_object_get(v);

	json_object *args = json_object_new_array();
	for (int i = 0; i < ncmd; i++)
		json_object_array_add(args, json_object_new_string(cmd[i]));
	json_object_object_add(proc, "args", args);

	if (a->cwd && *a->cwd)
		json_object_object_add(proc, "cwd", json_object_new_string(a->cwd));
	if (a->apparmor && *a->apparmor)
		json_object_object_add(proc, "apparmorProfile", json_object_new_string(a->apparmor));
	if (a->process_label && *a->process_label)
		json_object_object_add(proc, "selinuxLabel", json_object_new_string(a->process_label));

	if (a->caps.n) {
		/*
		 * As runc since CVE-2022-29162: bounding, effective and permitted
		 * only.  In the inheritable set (and so the ambient one) a capability
		 * would survive an execve of an unprivileged program and reach a
		 * process that the container's config never gave it.
		 */
		static const char *const sets[] = { "bounding", "effective", "permitted" };
		json_object *caps = get_or_add(proc, "capabilities", json_type_object);
		for (size_t k = 0; caps && k < sizeof(sets) / sizeof(sets[0]); k++) {
			json_object *set = get_or_add(caps, sets[k], json_type_array);
			for (size_t i = 0; set && i < a->caps.n; i++)
				if (!array_has_string(set, a->caps.v[i]))
					json_object_array_add(set, json_object_new_string(a->caps.v[i]));
		}
	}

	if (a->env.n) {
		json_object *env = get_or_add(proc, "env", json_type_array);
		for (size_t i = 0; env && i < a->env.n; i++) {
			const char *kv = a->env.v[i], *eq = strchr(kv, '=');
			if (!eq || eq == kv) {
				cli_error(cli, "invalid --env '%s': expected KEY=VALUE", kv);
				goto fail;
			}
			size_t klen = (size_t)(eq - kv) + 1;
			size_t j, n = json_object_array_length(env);
			for (j = 0; j < n; j++) {
				const char *e = json_object_get_string(json_object_array_get_idx(env, j));
				if (e && !strncmp(e, kv, klen))
					break;
			}
			if (j < n)
				json_object_array_put_idx(env, j, json_object_new_string(kv));
			else
				json_object_array_add(env, json_object_new_string(kv));
		}
	}

	/* Like runc: exec has no terminal unless -t asks for one. */
	json_object_object_add(proc, "terminal", json_object_new_boolean(a->tty));
	json_object_object_del(proc, "consoleSize");
	struct winsize ws;
	if (a->tty && !a->detach &&
	    (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) &&
	    ws.ws_row && ws.ws_col) {
		/* the pty gets our size before the program runs; SIGWINCH keeps it in step afterwards */
		json_object *cs = json_object_new_object();
		if (cs) {
			json_object_object_add(cs, "height", json_object_new_int64(ws.ws_row));
			json_object_object_add(cs, "width", json_object_new_int64(ws.ws_col));
			json_object_object_add(proc, "consoleSize", cs);
		}
	}
	if (cli_opt_find(opts, "no-new-privs")->is_set)
		json_object_object_add(proc, "noNewPrivileges", json_object_new_boolean(a->no_new_privs));

	if (a->user && *a->user) {
		json_object *user = get_or_add(proc, "user", json_type_object);
		char *u = strdup(a->user), *colon;
		unsigned uid, gid;
		if (!u || !user) {
			free(u);
			cli_error(cli, "out of memory");
			goto fail;
		}
		colon = strchr(u, ':');
		if (colon)
			*colon = '\0';
		if (parse_u32(u, &uid) < 0 || (colon && parse_u32(colon + 1, &gid) < 0)) {
			cli_error(cli, "invalid --user '%s': expected <uid>[:<gid>] as numbers", a->user);
			free(u);
			goto fail;
		}
		json_object_object_add(user, "uid", json_object_new_int64(uid));
		if (colon)
			json_object_object_add(user, "gid", json_object_new_int64(gid));
		free(u);
	}
	if (a->gids.n) {
		json_object *user = get_or_add(proc, "user", json_type_object);
		json_object *ag = user ? get_or_add(user, "additionalGids", json_type_array) : NULL;
		for (size_t i = 0; ag && i < a->gids.n; i++) {
			char *list = strdup(a->gids.v[i]), *save = NULL;
			if (!list) {
				cli_error(cli, "out of memory");
				goto fail;
			}
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				unsigned gid;
				if (parse_u32(t, &gid) < 0) {
					cli_error(cli, "invalid --additional-gids '%s': expected a number", t);
					free(list);
					goto fail;
				}
				json_object_array_add(ag, json_object_new_int64(gid));
			}
			free(list);
		}
	}
	json_object_put(root);
	ctr_free(js);
	ctr_spec_free(spec);
	return proc;
fail:
	json_object_put(proc);
	json_object_put(root);
	ctr_free(js);
	ctr_spec_free(spec);
	return NULL;
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
	struct exec_args a = { 0 };
	struct opt opts[] = {
		{ "console-socket", 0, OPT_STRING, &a.console_socket,
		  "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
		  "console's pseudoterminal", NULL, false },
		{ "cwd", 0, OPT_STRING, &a.cwd, "current working directory in the container", NULL, false },
		{ "env", 'e', OPT_STRV, &a.env, "set environment variables", NULL, false },
		{ "tty", 't', OPT_BOOL, &a.tty, "allocate a pseudo-TTY", NULL, false },
		{ "user", 'u', OPT_STRING, &a.user, "UID (format: <uid>[:<gid>])", NULL, false },
		{ "additional-gids", 'g', OPT_STRV, &a.gids, "additional gids", NULL, false },
		{ "process", 'p', OPT_STRING, &a.process, "path to the process.json", NULL, false },
		{ "detach", 'd', OPT_BOOL, &a.detach, "detach from the container's process", NULL, false },
		{ "pid-file", 0, OPT_STRING, &a.pid_file, "specify the file to write the process id to", NULL, false },
		{ "process-label", 0, OPT_STRING, &a.process_label,
		  "set the asm process label for the process commonly used with selinux", NULL, false },
		{ "apparmor", 0, OPT_STRING, &a.apparmor, "set the apparmor profile for the process", NULL, false },
		{ "no-new-privs", 0, OPT_BOOL, &a.no_new_privs, "set the no new privileges value for the process", NULL,
		  false },
		{ "cap", 'c', OPT_STRV, &a.caps, "add a capability to the bounding, effective and permitted sets (not the inheritable or ambient set)", NULL, false },
		{ "preserve-fds", 0, OPT_INT, &a.preserve_fds,
		  "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", "0", false },
		{ "cgroup", 0, OPT_STRV, &a.cgroup,
		  "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>. "
		  "(not supported by this build)", NULL, false },
		{ "ignore-paused", 0, OPT_BOOL, &a.ignore_paused,
		  "allow exec in a paused container (the process starts when it is resumed)", NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"exec", "execute new process inside the container",
		"[command options] <container-id> <command> [command options]  || -p process.json <container-id>\n\n"
		"Where \"<container-id>\" is the name for the instance of the container and\n"
		"\"<command>\" is the command to be executed in the container.\n"
		"\"<command>\" can't be empty unless a \"-p\" flag provided.\n\n"
		"EXAMPLE:\nFor example, if the container is configured to run the linux ps command the\n"
		"following will output a list of processes running in the container:\n\n"
		"       # " CLI_NAME " exec <container-id> ps",
		NULL, false
	};
	char **pos = NULL, *pbuf = NULL;
	int npos, r, status = CLI_EXIT_EXEC_FAILED, master = -1, pidfd = -1;
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	json_object *proc = NULL;
	char *sock = NULL;
	pid_t pid = 0;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r) {
		free(a.env.v), free(a.gids.v), free(a.caps.v), free(a.cgroup.v);
		return r < 0;
	}
	if (npos < 1) {
		status = cli_usage_error(cli, "requires a container id");
		goto out;
	}
	const char *id = pos[0];
	char **cmd = pos + 1;
	int ncmd = npos - 1;
	if (ncmd > 0 && !strcmp(cmd[0], "--")) { /* "exec ID -- cmd": the "--" only ends our flags */
		cmd++;
		ncmd--;
	}
	if (a.cgroup.n) {
		cli_error(cli, "exec failed: --cgroup %s: an exec'd process joins the container's own cgroups; "
			  "a sub-cgroup of them is not supported: leave out --cgroup", a.cgroup.v[0]);
		goto out;
	}
	if (!a.process && ncmd == 0) {
		cli_error(cli, "exec failed: process args cannot be empty: give a command after the container id, "
			  "or the whole process with -p process.json");
		goto out;
	}
	if (!cli_context(cli))
		goto out;
	/* the init stub's memfd made while the container's state loads */
	ctr_context_warm(cli->ctx);
	if (ctr_container_load(cli->ctx, &c, id, &err) < 0) {
		cli_error_ctr(cli, err, "exec failed");
		goto out;
	}

	if (ctr_container_status(c) == CTR_STATUS_PAUSED && !a.ignore_paused) {
		cli_error(cli, "exec failed: container '%s' is paused: resume it first ('" CLI_NAME " resume %s'), or "
			  "give --ignore-paused (the process then starts when the container is resumed)", id, id);
		goto out;
	}

	const char *process_json;
	bool terminal;
	if (a.process) {
		size_t len;
		pbuf = read_file(cli, a.process, &len);
		if (!pbuf)
			goto out;
		json_tokener *tok = json_tokener_new();
		proc = tok ? json_tokener_parse_ex(tok, pbuf, (int)len) : NULL;
		if (!proc || !json_object_is_type(proc, json_type_object)) {
			cli_error(cli, "exec failed: %s (-p/--process): %s", a.process,
				  !tok ? "out of memory"
				  : proc ? "expected a runtime-spec process object"
					 : json_tokener_error_desc(json_tokener_get_error(tok)));
			json_tokener_free(tok);
			goto out;
		}
		json_tokener_free(tok);
		process_json = pbuf;
	} else {
		proc = process_from_flags(cli, c, &a, cmd, ncmd, opts);
		if (!proc)
			goto out;
		process_json = json_object_to_json_string_ext(proc, JSON_C_TO_STRING_PLAIN);
	}
	json_object *t;
	terminal = json_object_object_get_ex(proc, "terminal", &t) && json_object_get_boolean(t);

	if (terminal && a.detach && !a.console_socket) {
		cli_error(cli, "exec failed: cannot allocate tty if " CLI_NAME " will detach without setting console "
			  "socket: give --console-socket");
		goto out;
	}
	if (!terminal && a.console_socket) {
		cli_error(cli, "exec failed: cannot use console socket if " CLI_NAME " will not allocate tty: add -t");
		goto out;
	}

	ctr_exec_options o;
	ctr_exec_options_init(&o);
	o.process_json = process_json;
	o.tty = terminal ? 1 : 0;
	if (a.console_socket && !(sock = cli_abspath(a.console_socket))) {
		cli_error(cli, "out of memory");
		goto out;
	}
	o.console_socket = sock;
	if (cli_check_preserved(cli, a.preserve_fds))
		goto out;
	o.preserve_fds = a.preserve_fds;
	if (a.ignore_paused)
		o.flags |= CTR_EXEC_IGNORE_PAUSED;
	cli_debug(cli, "exec in '%s': %s, terminal %s%s", id, a.process ? a.process : cmd[0],
		  terminal ? "yes" : "no", a.detach ? ", detached" : "");
	if (ctr_container_exec(c, &o, &pid, &pidfd, &err) < 0) {
		cli_error_ctr(cli, err, "exec failed");
		goto out;
	}
	cli_debug(cli, "exec in '%s': pid %d", id, (int)pid);
	master = o.console_fd;
	if (a.pid_file && cli_write_pid_file(cli, a.pid_file, pid) < 0)
		goto out; /* the process runs on; a supervisor without its pid file cannot track it */
	if (a.detach) {
		status = 0;
		goto out;
	}

	if (master >= 0)
		cli_tty_raw(); /* before our handlers: a SIGTTOU here is ours, not the process's */
	if (cli_signals_setup(cli) < 0)
		goto out;
	struct io_proxy p = { .master = master, .pidfd = pidfd, .pid = pid, .c = NULL, .sig_pidfd = pidfd };
	r = cli_proxy_run(cli, &p);
	cli_tty_restore();
	cli_signals_reset();
	if (r < 0)
		goto out;
	if (ctr_process_wait(pidfd, &status, &err) < 0) {
		cli_error_ctr(cli, err, "exec failed: waiting for the process");
		status = CLI_EXIT_EXEC_FAILED;
	}
out:
	if (master >= 0)
		close(master);
	if (pidfd >= 0)
		close(pidfd);
	json_object_put(proc);
	free(pbuf);
	free(sock);
	ctr_container_free(c);
	free(a.env.v), free(a.gids.v), free(a.caps.v), free(a.cgroup.v);
	free(pos);
	return status;
}

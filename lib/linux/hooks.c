/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OCI lifecycle hooks (config.md "POSIX-platform Hooks", runtime.md
 * "Lifecycle"): preparing hooks, and running them from the runtime's own
 * process; the core that runs one hook is hooks-core.c.
 *
 * One async-signal-safe core runs a single hook; it serves both the hooks
 * that run in the runtime namespace from normal code (ctr_hooks_run) and the
 * createContainer/startContainer hooks that run from the container process
 * after clone (ctr_sighooks_run).  Running the normal path through the same
 * core costs nothing and means the sig-safe path is exercised by every
 * prestart/createRuntime/poststart/poststop hook too.
 *
 * How one hook runs:
 *  - the state JSON goes into a pipe before the hook starts, as much as the
 *    pipe holds (grown with F_SETPIPE_SZ for large states).  With the read end
 *    still open in this process that write can neither block nor raise
 *    SIGPIPE; whatever did not fit is written after the start, non-blocking,
 *    in the same poll loop that waits for the hook, with SIGPIPE blocked in
 *    this thread (a hook that does not read stdin makes the write fail with
 *    EPIPE, which is not an error: the spec does not require hooks to read it);
 *  - the hook is started with clone3(CLONE_PIDFD) so that it is waited for
 *    through a pidfd: no PID reuse race, and poll() gives the timeout;
 *  - an exec failure comes back through a CLOEXEC pipe as an errno;
 *  - the hook's stdout and stderr are the caller's stderr, so its output
 *    shows where the runtime logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel/native-hooks.h"
#include "linux/hooks.h"
#include "linux/sigsafe.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void ctr_sighooks_free(struct ctr_sighook_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct ctr_sighook *h = &l->hooks[i];
		free(h->path);
		ctr_strv_free(h->argv);
		ctr_strv_free(h->envp);
	}
	free(l->hooks);
	l->hooks = NULL;
	l->n = 0;
}

/* Copy n strings into a new NULL-terminated vector. */
static char **strv_copy_n(char *const *v, size_t n)
{
	char **r = calloc(n + 1, sizeof(char *));
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		r[i] = strdup(v[i] ? v[i] : "");
		if (!r[i]) {
			ctr_strv_free(r);
			return NULL;
		}
	}
	return r;
}

int ctr_sighooks_prepare(const char *kind, const struct oci_hook_list *hooks, struct ctr_sighook_list *out,
			 ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_sighooks_prepare: out is NULL");
	out->hooks = NULL;
	out->n = 0;
	out->kind = kind ? kind : "hook";
	if (!hooks || hooks->n == 0)
		return 0;

	out->hooks = calloc(hooks->n, sizeof(*out->hooks));
	if (!out->hooks)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < hooks->n; i++) {
		const struct oci_hook *src = &hooks->hooks[i];
		struct ctr_sighook *h = &out->hooks[i];
		out->n = i + 1;
		if (!src->path || src->path[0] != '/') {
			ctr_sighooks_free(out);
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: hooks.%s[%zu].path: '%s' is not an absolute path: give the "
				       "hook's full path",
				       out->kind, i, src->path ? src->path : "");
		}
		h->path = strdup(src->path);
		if (src->args && src->n_args > 0)
			h->argv = strv_copy_n(src->args, src->n_args);
		else
			h->argv = strv_copy_n(&src->path, 1); /* spec: argv = {path} when args is absent */
		/* spec: env is the hook's whole environment; absent means an empty one */
		h->envp = strv_copy_n(src->env, src->env ? src->n_env : 0);
		if (!h->path || !h->argv || !h->envp) {
			ctr_sighooks_free(out);
			return ctr_err_nomem(err);
		}
		h->native = ctr_accel_hook_is_native(h->path, (const char *const *)h->argv) == 1;
		if (src->has_timeout)
			h->timeout_ms = src->timeout > INT_MAX / 1000 ? INT_MAX : src->timeout * 1000;
		else
			h->timeout_ms = -1;
		if (src->has_timeout && src->timeout <= 0) {
			ctr_sighooks_free(out);
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: hooks.%s[%zu].timeout: %d is not a positive number of "
				       "seconds: give a value > 0 or leave it out",
				       out->kind, i, src->timeout);
		}
	}
	return 0;
}

/* The container's root for the native verbs: /proc/<pid>/root, then the rootfs beneath it. */
static int open_hook_root(const struct ctr_hook_root *root, ctr_error **err)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)root->pid);
	/* the magic link leads into the container's mount namespace: that is the point here */
	int pfd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return ctr_err_sys(err, errno, "open %s (the container process)", proc);
	if (!root->rootfs)
		return pfd;
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, pfd, root->rootfs, &how, sizeof(how));
	int e = errno;
	close(pfd);
	if (fd < 0)
		return ctr_err_sys(err, e, "open the rootfs %s in the container's mount namespace", root->rootfs);
	return fd;
}

int ctr_hook_run_native_at(const char *kind, size_t idx, const struct oci_hook *hook,
			   const struct ctr_hook_root *root, ctr_error **err)
{
	char **argv = NULL;
	int r;
	if (hook->args && hook->n_args)
		argv = strv_copy_n(hook->args, hook->n_args);
	else
		argv = strv_copy_n(&hook->path, 1);
	if (!argv)
		return ctr_err_nomem(err);
	int rootfd = open_hook_root(root, err);
	if (rootfd < 0)
		r = rootfd;
	else
		r = accel_native_hook_at("/", hook->path, (const char *const *)argv, rootfd, root->pid, err);
	if (r < 0) {
		const char *verb = argv[1] && !strcmp(argv[1], "hook") && argv[2] ? argv[2] : argv[1] ? argv[1] : "";
		ctr_err_prefix(err, "hooks.%s[%zu] (%s %s, run by libctr)", kind, idx, hook->path, verb);
		if (err && *err)
			(*err)->code = CTR_E_HOOK;
	}
	if (rootfd >= 0)
		close(rootfd);
	ctr_strv_free(argv);
	return r;
}

int ctr_hooks_run(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		  const char *state_json, ctr_error **err)
{
	return ctr_hooks_run_in(ctx, kind, hooks, state_json, NULL, err);
}

static int run_list(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks, const char *state_json,
		    const struct ctr_hook_root *root, bool keep_going, ctr_error **err)
{
	struct ctr_sighook_list l;
	int r, failed = 0;

	if (!hooks || hooks->n == 0)
		return 0;
	r = ctr_sighooks_prepare(kind, hooks, &l, err);
	if (r < 0)
		return r;

	size_t errlen = PATH_MAX + 512;
	char *errbuf = malloc(errlen);
	if (!errbuf) {
		ctr_sighooks_free(&l);
		return ctr_err_nomem(err);
	}
	size_t len = state_json ? strlen(state_json) : 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct ctr_sighook *h = &l.hooks[i];
		bool hook_failed;
		if (h->native) {
			ctr_debug(ctx, "hooks.%s[%zu]: %s is absent: libctr runs the verb", l.kind, i, h->path);
			if (root)
				r = ctr_hook_run_native_at(l.kind, i, &hooks->hooks[i], root, err);
			else if ((r = ctr_accel_hook_run_native(h->path, (const char *const *)h->argv,
								  state_json ? state_json : "", len, err)) < 0)
				ctr_err_prefix(err, "hooks.%s[%zu] (%s, run by libctr)", l.kind, i, h->path);
			if (r < 0 && keep_going) {
				ctr_warn(ctx, "%s", ctr_error_message(err ? *err : NULL));
				if (err) {
					ctr_error_free(*err);
					*err = NULL;
				}
				failed++;
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			continue;
		}
		ctr_debug(ctx, "hooks.%s[%zu]: running %s (%zu args, %zu env, timeout %ds)", l.kind, i, h->path,
			  ctr_strv_len((const char *const *)h->argv), ctr_strv_len((const char *const *)h->envp),
			  h->timeout_ms < 0 ? 0 : h->timeout_ms / 1000);
		errbuf[0] = '\0';
		r = ctr_sighook_run_one(l.kind, i, h, state_json ? state_json : "", len, NULL, &hook_failed, errbuf,
					errlen);
		if (r < 0 && keep_going) {
			/* runtime.md step 13: a failing poststop hook is a warning; the others still run */
			ctr_warn(ctx, "%s", errbuf);
			failed++;
			r = 0;
			continue;
		}
		if (r < 0) {
			ctr_debug(ctx, "%s", errbuf);
			r = ctr_err(err, -r, hook_failed ? CTR_E_HOOK : CTR_E_SYSTEM, "%s", errbuf);
			break;
		}
		ctr_debug(ctx, "hooks.%s[%zu] (%s): exited with status 0", l.kind, i, h->path);
	}
	free(errbuf);
	ctr_sighooks_free(&l);
	return r < 0 ? r : failed;
}

int ctr_hooks_run_in(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		     const char *state_json, const struct ctr_hook_root *root, ctr_error **err)
{
	return run_list(ctx, kind, hooks, state_json, root, false, err);
}

int ctr_hooks_run_all(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		      const char *state_json, const struct ctr_hook_root *root)
{
	ctr_error *e = NULL;
	int r = run_list(ctx, kind, hooks, state_json, root, true, &e);
	if (r < 0)
		ctr_warn(ctx, "%s", ctr_error_message(e));
	ctr_error_free(e);
	return r < 0 ? 1 : r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI lifecycle hooks (config.md "POSIX-platform Hooks"). */
#ifndef CTR_LIB_LINUX_HOOKS_H
#define CTR_LIB_LINUX_HOOKS_H

#include <stddef.h>
#include "internal.h"
#include "spec/oci.h"

/*
 * Run a list of hooks in the runtime namespace from the calling process, in
 * order, each with the state JSON on its stdin, hook.env as its whole
 * environment, hook.args as argv (argv = {path} when args is empty), and its
 * timeout (SIGKILL when it expires).  The hook's stdout/stderr go to the
 * caller's stderr.  Stops at the first failure: a non-zero exit, a signal, a
 * timeout or an exec failure give CTR_E_HOOK naming the kind, index and path,
 * e.g. "hooks.createRuntime[1] (/usr/bin/foo): exited with status 3".
 *
 * kind is the config.json name: "prestart", "createRuntime", "poststart", ...
 *
 * Return values (both paths): 0; -ETIMEDOUT (timed out, killed); -ECANCELED
 * (non-zero exit or killed by a signal); the exec errno (-ENOENT, -EACCES,
 * -ENOEXEC, ...) when the hook could not be started; any other -errno is the
 * runtime's own failure (pipe, clone3, ...) and comes as CTR_E_SYSTEM.  The
 * hook gets default signal dispositions, an empty signal mask and only fds
 * 0-2; its stdout and stderr are the caller's stderr (/dev/null if closed).
 */
int ctr_hooks_run(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		  const char *state_json, ctr_error **err);

/*
 * A hook prepared for the container process (createContainer and
 * startContainer run in the container's namespaces): built before clone,
 * run after it with async-signal-safe code only.
 */
struct ctr_sighook {
	char *path;
	char **argv;     /* NULL-terminated, never empty */
	char **envp;     /* NULL-terminated, maybe empty */
	int timeout_ms;  /* -1: none */
};

struct ctr_sighook_list {
	struct ctr_sighook *hooks;
	size_t n;
	const char *kind;
};

/* Build from the config (allocates; call before clone). */
int ctr_sighooks_prepare(const char *kind, const struct oci_hook_list *hooks, struct ctr_sighook_list *out,
			 ctr_error **err);
void ctr_sighooks_free(struct ctr_sighook_list *l);

/*
 * Run prepared hooks from the container process: fork (clone3 with a pidfd),
 * feed state on stdin through a pipe, wait with the timeout.  Async-signal-safe.
 * Returns 0, or -errno with errbuf holding "hooks.createContainer[0] (/bin/x): exited with status 1".
 */
int ctr_sighooks_run(const struct ctr_sighook_list *l, const char *state, size_t state_len, char *errbuf,
		     size_t errlen);

#endif

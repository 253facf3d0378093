/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI lifecycle hooks (config.md "POSIX-platform Hooks"). */
#ifndef CTR_LIB_LINUX_HOOKS_H
#define CTR_LIB_LINUX_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
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
 * Where the NVIDIA hook verbs libctr runs itself (a hook whose path is
 * nvidia-cdi-hook or nvidia-ctk and does not exist: create-symlinks,
 * update-ldcache, chmod, enable-cuda-compat, disable-device-node-modification)
 * find the container: the root is reached through /proc/<pid>/root, so what
 * the verbs see and change is the container's mount namespace (its bind
 * mounts included), and every path is resolved beneath it with
 * openat2(RESOLVE_IN_ROOT).
 */
struct ctr_hook_root {
	pid_t pid;           /* the container process */
	const char *rootfs;  /* before pivot_root: the rootfs path in its mount namespace; NULL: pivoted */
};

/*
 * ctr_hooks_run, with native verbs run against root (NULL: they find the
 * rootfs through the state's bundle, as ctr_accel_hook_run_native does).
 */
int ctr_hooks_run_in(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		     const char *state_json, const struct ctr_hook_root *root, ctr_error **err);

/*
 * Every hook of the list, each failure logged as a warning (through ctx's log
 * function) and the next hook run anyway, as runtime.md wants for poststop
 * (step 13).  Returns how many failed.
 */
int ctr_hooks_run_all(const ctr_context *ctx, const char *kind, const struct oci_hook_list *hooks,
		      const char *state_json, const struct ctr_hook_root *root);

/*
 * Run one hook that ctr_sighooks_prepare() marked native, in the runtime:
 * the parent side of a createContainer hook.  Errors read
 * "hooks.createContainer[0] (/usr/bin/nvidia-cdi-hook create-symlinks): ...".
 */
int ctr_hook_run_native_at(const char *kind, size_t idx, const struct oci_hook *hook,
			   const struct ctr_hook_root *root, ctr_error **err);

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
	bool native;     /* an NVIDIA hook verb whose binary is absent: the runtime runs it (see above) */
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

/*
 * What the hook process does between its fork and its execve: pre_exec(arg)
 * returns 0, or -1 with errno set (the hook then fails with that exec error).
 * The init stub uses it to give startContainer hooks the container
 * process's user, capabilities, no_new_privs and seccomp filter.
 */
struct ctr_hook_exec {
	int (*pre_exec)(void *arg);
	void *arg;
};

/* Run one prepared hook (x may be NULL); *hook_failed as for the lists.  Async-signal-safe. */
int ctr_sighook_run_one(const char *kind, size_t idx, const struct ctr_sighook *h, const char *state, size_t len,
			const struct ctr_hook_exec *x, bool *hook_failed, char *errbuf, size_t errlen);

/* ctr_sighooks_run with x applied in every hook process (no native hooks). */
int ctr_sighooks_run_as(const struct ctr_sighook_list *l, const char *state, size_t state_len,
			const struct ctr_hook_exec *x, char *errbuf, size_t errlen);

/*
 * Like ctr_sighooks_run, but a hook marked native is handed to run_native
 * (async-signal-safe: the container process asks the runtime over its sync
 * socket and waits), in list order with the others.  run_native NULL: a
 * native hook is an error naming the hook (the verb needs the runtime).
 */
int ctr_sighooks_run_native(const struct ctr_sighook_list *l, const char *state, size_t state_len,
			    int (*run_native)(void *arg, size_t idx, char *errbuf, size_t errlen), void *arg,
			    char *errbuf, size_t errlen);

#endif

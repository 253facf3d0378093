/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/process.h: process primitives that any module may use (lib/accel
 * runs ldconfig and its hook verbs with them), together with procfs.h and
 * sigsafe.h.  They know nothing of containers: the lifecycle's own headers
 * (container-internal.h, lifecycle.h, hooks.h, cgroup.h, ...) are included
 * only inside lib/linux (tests/unit/layering.sh checks).
 */
#ifndef CTR_LIB_LINUX_PROCESS_H
#define CTR_LIB_LINUX_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* clone3 wrapper: returns the pid in the parent (pidfd in *pidfd when asked), 0 in the child. */
pid_t ctr_clone3(uint64_t flags, int *pidfd, int exit_signal);
/* The same with CLONE_INTO_CGROUP when cgroup_fd >= 0 (no clone() fallback then: ENOSYS). */
pid_t ctr_clone3_cg(uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd);
/*
 * clone3 for a child that runs fn(arg) on its own stack [stack, stack +
 * stack_size) and exits with its return value, as glibc's clone() but with
 * clone3's flags (CLONE_INTO_CGROUP when cgroup_fd >= 0): what a child
 * sharing the caller's memory (CLONE_VM | CLONE_VFORK) needs to be born in
 * its cgroup.  The pid in the parent (pidfd in *pidfd when asked), or -1
 * with errno: ENOSYS where clone3 is refused or this architecture has no
 * trampoline (ctr_clone3_fn_works says which beforehand).
 */
pid_t ctr_clone3_fn(uint64_t flags, int *pidfd, int exit_signal, int cgroup_fd, void *stack, size_t stack_size,
		    int (*fn)(void *), void *arg);
/* Whether ctr_clone3_fn can work here: a trampoline for this architecture and clone3 not refused (asked once). */
bool ctr_clone3_fn_works(void);
/*
 * wait.c: the exit code (exit status, or 128 + signal) of the process of
 * pidfd, independent of the host's SIGCHLD policy: waitid() when it is our
 * unreaped child, else what the pidfd kept (Linux 6.15); timeout_ms -1
 * waits, 0 polls.  0; -ETIMEDOUT; -ECHILD when someone else reaped it and the
 * kernel kept no status; another -errno.
 */
int ctr_pidfd_exit_status(int pidfd, int timeout_ms, int *code);
/* A deadline timeout_ms from now on CLOCK_MONOTONIC (0: none), and waiting for fd to be readable until it: 0 or -ETIMEDOUT. */
int64_t ctr_deadline(int64_t timeout_ms);
int ctr_wait_readable(int fd, int64_t deadline);
/*
 * Run a helper program (newuidmap, ldconfig): our child with a pidfd, stdio
 * /dev/null but out_fd/err_fd (-1: /dev/null), no other fd of the caller, a
 * fixed PATH-only environment, default signals.  0 with *pidfd_out, or -errno.
 */
int ctr_spawn_helper(const char *path, char *const argv[], int out_fd, int err_fd, int *pidfd_out);

/* Set FD_CLOEXEC off/on; async-signal-safe. */
int ctr_fd_set_cloexec(int fd, bool on);

#endif

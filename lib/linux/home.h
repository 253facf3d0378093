/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HOME for the container's processes, as runc sets it: when process.env has
 * no HOME, the home directory of the process's uid in the container's own
 * /etc/passwd, "/" when the file or the user is not there.  The file is
 * read beneath the container's root by fd (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS, O_NONBLOCK, a regular file of at most
 * CTR_HOME_PASSWD_MAX bytes), never through a joined path string, so a
 * hostile image's symlinks, FIFOs or huge files cannot reach or stall the
 * host.  Podman and containerd leave HOME to the runtime this way.
 */
#ifndef CTR_LIB_LINUX_HOME_H
#define CTR_LIB_LINUX_HOME_H

#include <sys/types.h>

#include "internal.h"
#include "spec/oci.h"

#define CTR_HOME_PASSWD_MAX (4u << 20)

/* The home of uid in passwd text (len bytes): malloc'd; "/" when not found or empty; NULL: ENOMEM. */
char *ctr_home_lookup(const char *passwd, size_t len, uid_t uid);

/*
 * create: add HOME to cfg->process->env when it has none, from the passwd
 * file beneath rootfs (the directory the container's root will be).  Only
 * the typed config changes (the process the init runs); config.json as
 * given stays as it is, so an exec as another user gets its own HOME.
 */
int ctr_home_set_config(struct oci_config *cfg, const char *rootfs, ctr_error **err);

/*
 * exec: when *envp has no HOME, a new environment with HOME for uid from
 * the passwd file beneath /proc/<init_pid>/root (init_pidfd proves the pid
 * is still the container's init).  The new array replaces *envp and *owned
 * (one allocation: free(*owned) frees it and the HOME string; the previous
 * *owned, an array whose strings are borrowed, is freed).
 */
int ctr_home_set_exec_env(pid_t init_pid, int init_pidfd, uid_t uid, char ***envp, char ***owned, ctr_error **err);

#endif

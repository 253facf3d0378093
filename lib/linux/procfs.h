/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Trusted procfs access.  Every write the runtime makes to procfs (uid_map,
 * gid_map, setgroups, oom_score_adj, sysctls, LSM labels, timens_offsets)
 * goes through these helpers instead of a path string:
 *  - the root is opened once and checked to be the root of a procfs mount
 *    (fstatfs PROC_SUPER_MAGIC and inode PROC_ROOT_INO), so a fake /proc from
 *    an image or a tmpfs a config mounts there is refused;
 *  - files beneath it are opened with openat2(RESOLVE_BENEATH |
 *    RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS): a bind mount over a procfs
 *    file (the redirect of CVE-2025-52881: /proc/self/attr/exec or a sysctl
 *    made to point at /proc/sys/kernel/core_pattern) is a mount crossing and
 *    fails with EXDEV, and /proc/<pid>/fd/N or exe links are never followed;
 *  - rel is relative and has no ".." component (-EINVAL otherwise);
 *  - the opened file is checked again to be on procfs and not a symlink (an
 *    O_PATH|O_NOFOLLOW open would otherwise hand out a magic link itself).
 * On kernels without openat2 (before 5.6) the fallback is openat(O_NOFOLLOW)
 * on each component with the device and the mount id (statx STATX_MNT_ID, or
 * fdinfo's mnt_id before 5.8) of every step compared to the root's; the only
 * symlinks it follows are those directly in the root on the way (self,
 * thread-self, net), by reading them, since their targets depend on the pid
 * namespace of the procfs and not on the caller's.
 *
 * Everything here is async-signal-safe (raw system calls, stack buffers), so
 * the container process uses it between clone and execve too.
 */
#ifndef CTR_LIB_LINUX_PROCFS_H
#define CTR_LIB_LINUX_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Open "/proc" (O_PATH) and check that it is the root of a procfs mount: the fd or -errno. */
int ctr_procfs_root(void);
/* Open rel (no leading '/') beneath proc_root as described above: the fd (O_CLOEXEC) or -errno. */
int ctr_procfs_open(int proc_root, const char *rel, int flags);
/* The pre-openat2 walk that ctr_procfs_open uses on ENOSYS, with the same checks (for the tests). */
int ctr_procfs_open_fallback(int proc_root, const char *rel, int flags);
/* Open rel, write all of val, close: 0 or -errno. */
int ctr_procfs_write(int proc_root, const char *rel, const char *val, size_t len);
/* The same for /proc/<pid>/<file>, opening the root itself (proc_root < 0) or using the one given. */
int ctr_procfs_write_pid(int proc_root, pid_t pid, const char *file, const char *val, size_t len);
/* What -EXDEV from these means, for error messages. */
#define CTR_PROCFS_EXDEV_HINT                                                                              \
	"refusing to write: it is not a file of the real procfs (something is mounted over /proc or over "   \
	"the file); remove that mount"
/* Whether fd is a file on procfs. */
bool ctr_fd_on_procfs(int fd);

#endif

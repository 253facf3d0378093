/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * process.terminal: the pty made inside the container (so that it belongs to
 * the container's devpts instance) and handed to the runtime's caller over
 * the console socket with SCM_RIGHTS, as runc's --console-socket does.
 */
#ifndef CTR_LIB_LINUX_TERMINAL_H
#define CTR_LIB_LINUX_TERMINAL_H

#include <stddef.h>

#include "internal.h"

/*
 * In the container process, with /dev/pts mounted (newinstance) and /dev/ptmx -> pts/ptmx in the
 * container's root (rootfd: an O_PATH fd of it, before or after pivot_root): open its dev/ptmx with
 * openat2(RESOLVE_IN_ROOT) and check it is the pty multiplexer (char 5:2), unlock (TIOCSPTLCK 0),
 * get the slave with ioctl(TIOCGPTPEER) (fallback TIOCGPTN + dev/pts/N beneath rootfd, no symlinks),
 * set the window size when has_size
 * (TIOCSWINSZ), send the master over sockfd with SCM_RIGHTS, close the master, make the slave the
 * controlling terminal (setsid, TIOCSCTTY) and dup it to 0,1,2.  Async-signal-safe; returns 0 or -errno
 * with errbuf set.
 *
 * The message that carries the master has "/dev/ptmx" as its data, as runc sends, so console-socket
 * listeners written for runc (conmon, containerd's shim) read it unchanged.  A caller that is already
 * a session leader keeps its session (setsid's EPERM is accepted then).
 */
int ctr_term_child_setup(int rootfd, int sockfd, int has_size, unsigned rows, unsigned cols, char *errbuf,
			 size_t errlen);

/* Receive one fd sent with SCM_RIGHTS (normal code); -EBADMSG and a clear error if none came. */
int ctr_term_recv_fd(int sockfd, int *fd_out, ctr_error **err);

/* Send one fd with SCM_RIGHTS (async-signal-safe). */
int ctr_term_send_fd(int sockfd, int fd);

/*
 * config-linux.md "Default Devices": /dev/console is the pty when process.terminal is set.  Bind-mount
 * the terminal open on ptyfd (after ctr_term_child_setup: 0) onto name in the directory dirfd (the
 * container's /dev, opened beneath its root without symlinks; name normally "console"), creating
 * an empty file there first when nothing is there.  A symlink, directory or any other non-file at
 * name is refused, never followed (CVE-2025-52565).  fd-based (open_tree(ptyfd, AT_EMPTY_PATH) +
 * move_mount), so no /dev/pts/N path is looked up.  Async-signal-safe; 0 or -errno with errbuf set.
 */
int ctr_term_bind_console(int ptyfd, int dirfd, const char *name, char *errbuf, size_t errlen);

#endif

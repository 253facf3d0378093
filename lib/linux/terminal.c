/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * process.terminal (see terminal.h).  The pty is made by the container
 * process itself, from the container's own devpts instance (its /dev/ptmx,
 * looked up beneath the container's root by fd), so that the container
 * cannot reach the host's ptys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <termios.h>
#include <unistd.h>

#include "linux/lifecycle.h"
#include "linux/sigsafe.h"
#include "linux/terminal.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* The data runc sends beside the fd; console-socket listeners expect a name. */
static const char ptmx_name[] = "/dev/ptmx";

/* 0 or -errno; the fd goes with the first byte (a stream socket may split the name) */
static int send_fd_with(int sockfd, int fd, const void *data, size_t len)
{
	ssize_t w = ctr_send_with_fd(sockfd, data, len, fd);
	return w < 0 ? (int)w : 0;
}

int ctr_term_send_fd(int sockfd, int fd)
{
	/* stream sockets carry ancillary data only with at least one byte of data */
	static const char nul = '\0';
	return send_fd_with(sockfd, fd, &nul, 1);
}

int ctr_term_recv_fd(int sockfd, int *fd_out, ctr_error **err)
{
	if (!fd_out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_term_recv_fd: fd_out is NULL");
	*fd_out = -1;

	char data[4096];
	int fds[CTR_MSG_MAX_FDS];
	size_t nfds = 0;
	bool cut = false;
	ssize_t n = ctr_recv_fds(sockfd, data, sizeof(data), fds, CTR_MSG_MAX_FDS, &nfds, &cut);
	if (n < 0)
		return ctr_err_sys(err, (int)-n, "terminal: receive the pty master from the console socket");
	if (cut || nfds > 1) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		if (cut)
			return ctr_err(err, EBADMSG, CTR_E_CHILD,
				       "terminal: the message on the console socket carried more fds than expected "
				       "(truncated): the peer must send exactly one fd");
		return ctr_err(err, EBADMSG, CTR_E_CHILD,
			       "terminal: %zu fds came on the console socket where one was expected", nfds);
	}
	if (!nfds) {
		if (n == 0)
			return ctr_err(err, EBADMSG, CTR_E_CHILD,
				       "terminal: the console socket was closed before a pty master arrived: the "
				       "container process failed to set up its terminal (see its error)");
		return ctr_err(err, EBADMSG, CTR_E_CHILD,
			       "terminal: a message of %zd bytes came on the console socket without an fd "
			       "(SCM_RIGHTS): the peer must send the pty master with it",
			       n);
	}
	*fd_out = fds[0];
	return 0;
}

static int fail(char *errbuf, size_t errlen, int e, const char *what)
{
	ss_fmt_errno(errbuf, errlen, e, "process.terminal: %s: %m", what);
	return -e;
}

static int open_beneath(int rootfd, const char *rel, int flags, uint64_t resolve)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/*
 * The peer of master.  TIOCGPTPEER (Linux 4.13) opens it from the master
 * itself; the fallback opens dev/pts/N beneath the container's root without
 * following any symlink, and checks it is the master's peer.
 */
static int open_peer(int rootfd, int master, char *errbuf, size_t errlen)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0)
		return slave;
	if (errno != EINVAL && errno != ENOTTY)
		return fail(errbuf, errlen, errno, "ioctl(TIOCGPTPEER)");

	unsigned int n = 0;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return fail(errbuf, errlen, errno, "ioctl(TIOCGPTN)");
	char path[64];
	ss_fmt(path, sizeof(path), "dev/pts/%u", n);
	slave = open_beneath(rootfd, path, O_RDWR | O_NOCTTY,
			     RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (slave < 0) {
		int e = errno;
		ss_fmt_errno(errbuf, errlen, e, "process.terminal: open /%s: %m", path);
		return -e;
	}
	/* the peer of pty n is devpts' node n: check the device number and the filesystem */
	struct stat st;
	struct statfs sf;
	unsigned maj = 0, idx = ~0u;
	if (fstat(slave, &st) == 0 && S_ISCHR(st.st_mode)) {
		maj = major(st.st_rdev);
		idx = (maj - 136) * 256 + minor(st.st_rdev);
		if (maj == 136)
			idx = minor(st.st_rdev);
	}
	if (maj < 136 || maj > 143 || idx != n || fstatfs(slave, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC) {
		close(slave);
		ss_fmt(errbuf, errlen, "process.terminal: /%s is not the pty's peer", path);
		return -EINVAL;
	}
	return slave;
}

int ctr_term_child_setup(int rootfd, int sockfd, int has_size, unsigned rows, unsigned cols, char *errbuf,
			 size_t errlen)
{
	int r;
	if (errlen)
		errbuf[0] = '\0';

	/* the container's /dev/ptmx (normally a symlink to pts/ptmx), never leaving its root */
	int master = open_beneath(rootfd, "dev/ptmx", O_RDWR | O_NOCTTY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (master < 0)
		return fail(errbuf, errlen, errno,
			    "open /dev/ptmx (mount devpts with newinstance,ptmxmode=0666 on /dev/pts and link "
			    "/dev/ptmx to pts/ptmx)");
	struct stat st;
	if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
		close(master);
		ss_fmt(errbuf, errlen, "process.terminal: /dev/ptmx in the container is not the pty multiplexer "
				       "(character device 5:2)");
		return -EINVAL;
	}
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
		r = fail(errbuf, errlen, errno, "unlock the pty (TIOCSPTLCK)");
		close(master);
		return r;
	}
	int slave = open_peer(rootfd, master, errbuf, errlen);
	if (slave < 0) {
		close(master);
		return slave;
	}
	if (has_size) {
		struct winsize ws;
		char *wp = (char *)&ws;
		for (size_t i = 0; i < sizeof(ws); i++)
			wp[i] = 0;
		ws.ws_row = (unsigned short)(rows > 0xffff ? 0xffff : rows);
		ws.ws_col = (unsigned short)(cols > 0xffff ? 0xffff : cols);
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0) {
			r = fail(errbuf, errlen, errno, "consoleSize: set the window size (TIOCSWINSZ)");
			goto out;
		}
	}
	r = send_fd_with(sockfd, master, ptmx_name, sizeof(ptmx_name) - 1);
	if (r < 0) {
		r = fail(errbuf, errlen, -r, "send the pty master over the console socket");
		goto out;
	}
	close(master);
	master = -1;

	if (setsid() < 0) {
		/* already a session leader (e.g. the caller did setsid): keep that session */
		if (errno != EPERM || getsid(0) != getpid()) {
			r = fail(errbuf, errlen, errno, "setsid");
			goto out;
		}
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		r = fail(errbuf, errlen, errno, "make the pty the controlling terminal (TIOCSCTTY)");
		goto out;
	}
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0) {
			r = fail(errbuf, errlen, errno, "dup the pty onto stdin/stdout/stderr");
			goto out;
		}
	r = 0;
out:
	if (master >= 0)
		close(master);
	if (slave > 2)
		close(slave);
	return r;
}

int ctr_term_bind_console(int ptyfd, int dirfd, const char *name, char *errbuf, size_t errlen)
{
	if (errlen)
		errbuf[0] = '\0';
	/*
	 * The target is looked up in dirfd without following a symlink: a
	 * symlink the rootfs puts there (CVE-2025-52565: /dev/console pointing at
	 * a procfs file) is refused, never followed, and nothing is created
	 * through it.
	 */
	int target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 && errno == ENOENT) {
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0) {
			int e = errno;
			ss_fmt_errno(errbuf, errlen, e, "process.terminal: /dev/%s: create the bind-mount target: %m",
				     name);
			return -e;
		}
		close(fd);
		target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (target < 0) {
		int e = errno;
		ss_fmt_errno(errbuf, errlen, e, "process.terminal: /dev/%s: open: %m", name);
		return -e;
	}
	struct stat st;
	if (fstat(target, &st) < 0) {
		int e = errno;
		close(target);
		ss_fmt_errno(errbuf, errlen, e, "process.terminal: /dev/%s: stat: %m", name);
		return -e;
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		close(target);
		ss_fmt(errbuf, errlen,
		       "process.terminal: /dev/%s is a %s in the rootfs: remove it so the pty can be mounted there",
		       name, S_ISLNK(st.st_mode) ? "symlink" : S_ISDIR(st.st_mode) ? "directory" : "special file");
		return -EEXIST;
	}
	int tree = (int)syscall(SYS_open_tree, ptyfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	int r = 0, e = 0;
	if (tree >= 0) {
		if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		    0) {
			e = errno;
			r = -1;
		}
		close(tree);
	} else if (errno == ENOSYS) {
		/*
		 * No new mount API (Linux < 5.2): mount(2) takes paths; name both
		 * ends through /proc/self/fd so that no /dev/pts/N lookup happens.
		 * The container process binds the console before pivot_root, while
		 * /proc is still the host's own procfs, which nothing in the
		 * container can cover.
		 */
		char src[64], dst[64];
		ss_fmt(src, sizeof(src), "/proc/self/fd/%d", ptyfd);
		ss_fmt(dst, sizeof(dst), "/proc/self/fd/%d", target);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
			e = errno;
			r = -1;
		}
	} else {
		e = errno;
		r = -1;
	}
	close(target);
	if (r < 0) {
		ss_fmt_errno(errbuf, errlen, e, "process.terminal: bind-mount the pty onto /dev/%s: %m", name);
		return -e;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slow-agent SOCKET LOG HOLDFILE: a seccomp notify agent that can hold a
 * process in the middle of its setup (tests/security, CVE-2016-9962).
 *
 * Listens on the unix socket SOCKET (linux.seccomp.listenerPath) and accepts
 * any number of connections, each bringing one container process state with
 * its listener fd (SCM_RIGHTS): the container's init and every exec'd
 * process get their own.  Every notification is answered with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE (the system call runs), at once, except
 * that while the file HOLDFILE exists the first notification that arrives is
 * held (one at a time) until HOLDFILE is removed: the process that made it
 * stays blocked in that system call, after the runtime loaded its filter and
 * before its execve returns.  LOG gets "listener", "held pid=P nr=N"
 * (pid as the agent sees it: the host's) and "released pid=P" lines.
 * Exits on SIGTERM or after 120 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/seccomp.h>

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

#define MAXFD 64

static FILE *logf_;

static void answer(int fd, __u64 id)
{
	struct seccomp_notif_resp resp;
	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static int take_listener(int ls)
{
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	static char buf[65536];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	close(c);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	fprintf(logf_, "listener\n");
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: slow-agent SOCKET LOG HOLDFILE\n");
		return 2;
	}
	const char *hold = argv[3];
	logf_ = fopen(argv[2], "a");
	if (!logf_)
		return perror(argv[2]), 1;
	setvbuf(logf_, NULL, _IOLBF, 0);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 16) < 0)
		return perror("listen"), 1;

	struct pollfd p[MAXFD + 1];
	int nfd = 0;
	int held_fd = -1;
	__u64 held_id = 0;
	unsigned held_pid = 0;
	time_t start = time(NULL);
	while (time(NULL) - start < 120) {
		p[0] = (struct pollfd){ls, POLLIN, 0};
		int r = poll(p, (nfds_t)nfd + 1, held_fd >= 0 ? 20 : 500);
		if (r < 0 && errno != EINTR)
			return perror("poll"), 1;
		if (held_fd >= 0 && access(hold, F_OK) != 0) {
			answer(held_fd, held_id);
			fprintf(logf_, "released pid=%u\n", held_pid);
			held_fd = -1;
		}
		if (r <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = take_listener(ls);
			if (fd >= 0 && nfd < MAXFD)
				p[++nfd] = (struct pollfd){fd, POLLIN, 0};
			else if (fd >= 0)
				close(fd);
		}
		for (int i = 1; i <= nfd; i++) {
			if (p[i].revents & POLLIN) {
				struct seccomp_notif req;
				memset(&req, 0, sizeof(req));
				if (ioctl(p[i].fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
					continue;
				if (held_fd < 0 && access(hold, F_OK) == 0) {
					held_fd = p[i].fd;
					held_id = req.id;
					held_pid = req.pid;
					fprintf(logf_, "held pid=%u nr=%d\n", req.pid, req.data.nr);
				} else {
					answer(p[i].fd, req.id);
				}
			} else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				if (p[i].fd == held_fd)
					held_fd = -1;
				close(p[i].fd);
				p[i] = p[nfd--];
				i--;
			}
		}
	}
	return 0;
}

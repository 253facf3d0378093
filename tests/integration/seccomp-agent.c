/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp-agent SOCKET STATEFILE ERRNO: a minimal seccomp notify agent for
 * test-seccomp.sh.  Listens on the unix socket SOCKET (linux.seccomp.
 * listenerPath), receives one container process state with the listener fd
 * (SCM_RIGHTS), writes the state to STATEFILE and then answers every
 * notification: with -ERRNO, or with success (0) without running the system
 * call when ERRNO is 0.  Each answered notification appends "nr <N>" to
 * STATEFILE.log.  Exits when the filter has no users left.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/seccomp.h>

static int die(const char *what)
{
	fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: seccomp-agent SOCKET STATEFILE ERRNO\n");
		return 2;
	}
	int answer = atoi(argv[3]);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		return die("listen");
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return die("accept");
	static char buf[65536];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return die("recvmsg");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "seccomp-agent: no fd in the message\n");
		return 1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(c);
	close(ls);
	FILE *f = fopen(argv[2], "w");
	if (!f)
		return die(argv[2]);
	fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	char logpath[4096];
	snprintf(logpath, sizeof(logpath), "%s.log", argv[2]);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 30000) <= 0)
			return die("poll (timeout)");
		if (!(p.revents & POLLIN))
			return 0; /* POLLHUP: the filter's processes are gone */
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return die("SECCOMP_IOCTL_NOTIF_RECV");
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = answer ? -answer : 0;
		resp.val = 0;
		FILE *l = fopen(logpath, "a");
		if (l) {
			fprintf(l, "nr %d\n", req.data.nr);
			fclose(l);
		}
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			return die("SECCOMP_IOCTL_NOTIF_SEND");
	}
}

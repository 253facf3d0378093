/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conform-api STATE-ROOT COMMAND [ID]: the library API for the runtime.md
 * rules that ctr-demo's command line answers the runc way.
 *
 *   delete ID   ctr_container_delete(c, 0) (no force): exit 0 when it deleted
 *               the container, 1 with the error on stderr when it refused
 *   load-null   ctr_container_load() without an id: exit 1 with the error
 *               when it refused, 0 when it returned a container
 *
 * conform-api agent SOCKET OUT ERRNO: a seccomp agent that checks how the
 * runtime talks to it (config-linux.md "The Container Process State").  It
 * accepts one connection on SOCKET, reads until the runtime closes it,
 * writes the payload to OUT and one line per message to OUT.meta ("msg N
 * fds K", then "eof" when the runtime closed the connection, or "no-eof"),
 * then answers every notification of the first fd with -ERRNO until the
 * filter has no users.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include <ctr/ctr.h>

static int agent(const char *sock, const char *out, int answer)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0) {
		perror("conform-api agent: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	struct pollfd lp = {ls, POLLIN, 0};
	int c = poll(&lp, 1, 30000) == 1 ? accept4(ls, NULL, NULL, SOCK_CLOEXEC) : -1;
	if (c < 0) {
		perror("conform-api agent: accept");
		return 1;
	}
	char meta_path[4096];
	snprintf(meta_path, sizeof(meta_path), "%s.meta", out);
	FILE *data = fopen(out, "w"), *meta = fopen(meta_path, "w");
	if (!data || !meta) {
		perror(out);
		return 1;
	}
	int seccomp_fd = -1;
	for (int i = 1;; i++) {
		struct pollfd cp = {c, POLLIN, 0};
		if (poll(&cp, 1, 10000) != 1) {
			fprintf(meta, "no-eof\n");
			break;
		}
		static char buf[65536];
		char cbuf[CMSG_SPACE(16 * sizeof(int))];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(meta, n == 0 ? "eof\n" : "error\n");
			break;
		}
		int nfds = 0;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t j = 0; j < k; j++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + j * sizeof(int), sizeof(int));
				if (seccomp_fd < 0)
					seccomp_fd = fd;
				else
					close(fd);
				nfds++;
			}
		}
		fprintf(meta, "msg %d fds %d\n", i, nfds);
		fwrite(buf, 1, (size_t)n, data);
	}
	fclose(data);
	fclose(meta);
	close(c);
	close(ls);
	while (seccomp_fd >= 0) {
		struct pollfd p = {seccomp_fd, POLLIN, 0};
		if (poll(&p, 1, 30000) <= 0 || !(p.revents & POLLIN))
			break; /* POLLHUP: the filter's processes are gone */
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		if (ioctl(seccomp_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -answer;
		if (ioctl(seccomp_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "agent"))
		return agent(argv[2], argv[3], atoi(argv[4]));
	if (argc < 3 || (!strcmp(argv[2], "delete") && argc < 4)) {
		fprintf(stderr, "usage: conform-api STATE-ROOT delete ID | load-null\n"
				"       conform-api agent SOCKET OUT ERRNO\n");
		return 2;
	}
	ctr_context_options o;
	ctr_context_options_init(&o);
	o.state_root = argv[1];
	ctr_context *ctx = NULL;
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	int r = ctr_context_new(&ctx, &o, &err);
	if (r == 0 && !strcmp(argv[2], "delete")) {
		r = ctr_container_load(ctx, &c, argv[3], &err);
		if (r == 0)
			r = ctr_container_delete(c, 0, &err);
	} else if (r == 0 && !strcmp(argv[2], "load-null")) {
		r = ctr_container_load(ctx, &c, NULL, &err);
	} else if (r == 0) {
		fprintf(stderr, "conform-api: unknown command '%s'\n", argv[2]);
		r = -1;
	}
	if (r < 0 && err)
		fprintf(stderr, "conform-api: %s\n", ctr_error_message(err));
	ctr_container_free(c);
	ctr_error_free(err);
	ctr_context_free(ctx);
	return r < 0 ? 1 : 0;
}

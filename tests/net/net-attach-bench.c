/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net-attach-bench NET_DIR NETWORK NETNS_PATH N [PUBLISH [check]]
 *
 * Attach the network namespace NETNS_PATH to NETWORK (a bridge network of
 * NET_DIR, made with `ctr-demo network create`) and detach it again, N times,
 * through the public API (ctr_network_attach_netns / ctr_network_detach_netns:
 * veth with its peer born as eth0 in the namespace, IPAM lease, addresses,
 * routes, published port PUBLISH when given).  Prints the mean milliseconds
 * of one attach+detach on stdout, and the attach and detach parts on stderr.
 * Used by tests/bench/network.sh.
 *
 * With "check": right after every attach, eth0 must exist in the namespace,
 * and right after every detach neither eth0 there nor any vc* link (the host
 * end) in the caller's namespace may exist (detach returns before the
 * kernel's final freeing of the veth, not before its unregistration).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A NETLINK_ROUTE socket in the namespace nsfd (the main thread goes there and back). */
static int nl_in(int nsfd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;
	if (self >= 0 && setns(nsfd, CLONE_NEWNET) == 0) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (setns(self, CLONE_NEWNET) < 0) {
			perror("setns back");
			exit(1);
		}
	}
	if (self >= 0)
		close(self);
	return fd;
}

/* 1: the link exists, 0: it does not, -1: error */
static int link_exists(int fd, const char *name)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attr[64];
	} req = {0};
	size_t nl = strlen(name) + 1;
	struct rtattr *a = (struct rtattr *)req.attr;
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i)) + RTA_SPACE(nl);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.i.ifi_family = AF_UNSPEC;
	a->rta_type = IFLA_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(nl);
	memcpy(RTA_DATA(a), name, nl);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -1;
	char buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		return -1;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type == RTM_NEWLINK)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)NLMSG_DATA(h))->error == -ENODEV)
		return 0;
	return -1;
}

static int host_end_left(void)
{
	struct if_nameindex *v = if_nameindex(), *p;
	int left = 0;
	for (p = v; p && p->if_index; p++)
		left |= !strncmp(p->if_name, "vc", 2);
	if_freenameindex(v);
	return left;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s NET_DIR NETWORK NETNS_PATH N [PUBLISH]\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[4]);
	int nsfd = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		perror(argv[3]);
		return 1;
	}
	ctr_context *ctx = NULL;
	ctr_network *net = NULL;
	ctr_error *err = NULL;
	if (ctr_context_new(&ctx, NULL, &err) < 0 || ctr_network_open(ctx, argv[1], &net, argv[2], &err) < 0) {
		fprintf(stderr, "net-attach-bench: %s\n", ctr_error_message(err));
		return 1;
	}
	ctr_net_options o;
	ctr_net_options_init(&o);
	const char *publish[] = {argc > 5 ? argv[5] : NULL, NULL};
	o.publish = publish;
	bool check = argc > 6 && !strcmp(argv[6], "check");
	int cfd = check ? nl_in(nsfd) : -1, eth0[1] = {0};
	if (check && cfd < 0) {
		perror("netlink socket in the namespace");
		return 1;
	}
	double t_attach = 0, t_detach = 0;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int r = ctr_network_attach_netns(net, "bench", nsfd, &o, &err);
		double t1 = now_ms();
		if (check && r == 0) {
			eth0[0] = link_exists(cfd, "eth0");
			t1 = now_ms();
		}
		if (r == 0)
			r = ctr_network_detach_netns(net, "bench", &err);
		double t2 = now_ms();
		if (check && r == 0 && (eth0[0] != 1 || link_exists(cfd, "eth0") != 0 || host_end_left())) {
			fprintf(stderr, "net-attach-bench: iteration %d: eth0 after attach %d, after detach %d, host end "
				"left %d\n", i, eth0[0], link_exists(cfd, "eth0"), host_end_left());
			return 1;
		}
		if (r < 0) {
			fprintf(stderr, "net-attach-bench: iteration %d: %s\n", i, ctr_error_message(err));
			return 1;
		}
		t_attach += t1 - t0;
		t_detach += t2 - t1;
	}
	if (n > 0) {
		printf("%.3f\n", (t_attach + t_detach) / n);
		fprintf(stderr, "net-attach-bench: attach %.3f ms, detach %.3f ms (mean of %d)\n", t_attach / n,
			t_detach / n, n);
	}
	ctr_network_free(net);
	ctr_context_free(ctx);
	close(nsfd);
	return 0;
}

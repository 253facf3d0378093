/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net-attach-bench NET_DIR NETWORK NETNS_PATH N [PUBLISH]
 *
 * Attach the network namespace NETNS_PATH to NETWORK (a bridge network of
 * NET_DIR, made with `ctr-demo network create`) and detach it again, N times,
 * through the public API (ctr_network_attach_netns / ctr_network_detach_netns:
 * veth with its peer born as eth0 in the namespace, IPAM lease, addresses,
 * routes, published port PUBLISH when given).  Prints the mean milliseconds
 * of one attach+detach on stdout, and the attach and detach parts on stderr.
 * Used by tests/bench/network.sh.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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
	double t_attach = 0, t_detach = 0;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int r = ctr_network_attach_netns(net, "bench", nsfd, &o, &err);
		double t1 = now_ms();
		if (r == 0)
			r = ctr_network_detach_netns(net, "bench", &err);
		double t2 = now_ms();
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

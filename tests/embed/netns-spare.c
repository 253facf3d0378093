/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A context that runs containers one after another keeps one network and
 * one IPC namespace ready for the next (lib/linux/netns-spare.c).  What the
 * embedder and the containers see, through the API only:
 *
 *  - every container has a fresh network namespace: not the host's, with lo
 *    alone, down and without addresses, although each container
 *    (CAP_NET_ADMIN) brings its lo up and gives it an address before it
 *    exits: nothing of an earlier one;
 *  - and a fresh IPC namespace: not the host's, its /dev/mqueue (the mqueue
 *    instance of its own IPC namespace) empty, although each container
 *    creates a POSIX message queue there before it exits;
 *  - from the third create on, those namespaces are the ones the context
 *    held (nsfs fds in this process, net:[INODE] and ipc:[INODE], the
 *    container's /proc/self/ns/net and ipc the same), made while the
 *    previous container ran;
 *  - the context holds at most one fd of each kind, and none once freed.
 *
 * Usage: netns-spare STATE_ROOT BUNDLE   (TAP; root)
 */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

#define RUNS 5

/* The fds of this process on namespaces of a kind ("net:[", "ipc:["): how many, and the link of the last one. */
static int ns_fds(const char *kind, char *link, size_t len)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (link && len)
		link[0] = '\0';
	while (d && (e = readdir(d))) {
		char p[300], l[256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(p, l, sizeof(l) - 1);
		if (k <= 0)
			continue;
		l[k] = '\0';
		if (!strncmp(l, kind, strlen(kind))) {
			n++;
			if (link && len) {
				size_t m = strlen(l) < len - 1 ? strlen(l) : len - 1;
				memcpy(link, l, m);
				link[m] = '\0';
			}
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Read fd to EOF (10 s at most). */
static void slurp(int fd, char *b, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 10000) <= 0)
			break;
		ssize_t r = read(fd, b + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
}

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	int started = host_start(argc, argv, "netns-spare", &ctx, &spec);
	if (started)
		return started;
	/* what it finds, then what it leaves for whoever comes next in its namespace */
	static const char *const args[] = {
		"/bin/sh", "-c",
		"readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; echo mq: $(ls /dev/mqueue);"
		"echo devs: $(ls /sys/class/net); busybox ip -o addr | grep -v -e 127.0.0.1/ -e ::1/;"
		"busybox ip -o link show lo | grep -q -e 'state UP' -e ',UP' && echo lo-up;"
		"busybox ip link set lo up && busybox ip addr add 10.9.9.9/32 dev lo && echo changed;"
		"touch /dev/mqueue/ctr-spare-q && test -e /dev/mqueue/ctr-spare-q && echo mq-made",
		NULL};
	if (ctr_spec_set_args(spec, args, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	char host[64] = "", host_ipc[64] = "", seen[64], seen_ipc[64];
	ssize_t k = readlink("/proc/self/ns/net", host, sizeof(host) - 1);
	host[k > 0 ? k : 0] = '\0';
	k = readlink("/proc/self/ns/ipc", host_ipc, sizeof(host_ipc) - 1);
	host_ipc[k > 0 ? k : 0] = '\0';
	int max_fds = 0, max_ipc = 0;
	for (int i = 0; i < RUNS; i++) {
		char spare[64] = "", spare_ipc[64] = "";
		if (i >= 2) {
			/* made by the previous start while its container ran: wait for them (2 s at most) */
			for (int t = 0; t < 200 && (ns_fds("net:[", spare, sizeof(spare)) == 0 ||
						    ns_fds("ipc:[", spare_ipc, sizeof(spare_ipc)) == 0);
			     t++) {
				struct timespec ts = {0, 10 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
			ok(spare[0] != '\0', "run %d: the context holds a network namespace for it (%s)", i + 1,
			   spare[0] ? spare : "none");
			ok(spare_ipc[0] != '\0', "run %d: and an IPC namespace (%s)", i + 1,
			   spare_ipc[0] ? spare_ipc : "none");
		}
		char id[32];
		snprintf(id, sizeof(id), "netns-spare-%d", i);
		ctr_create_options o;
		ctr_create_options_init(&o);
		o.bundle = argv[2];
		o.flags = CTR_CREATE_STDIO_PIPES;
		ctr_container *c = NULL;
		int fds[3] = {-1, -1, -1}, status = -1;
		if (ctr_container_create(ctx, &c, id, spec, &o, &err) < 0 || ctr_container_take_stdio(c, fds) < 0 ||
		    ctr_container_start(c, &err) < 0) {
			printf("Bail out! run %d: %s\n", i + 1, ctr_error_message(err));
			return 1;
		}
		close(fds[0]);
		char out[4096], errout[1024];
		slurp(fds[1], out, sizeof(out));
		slurp(fds[2], errout, sizeof(errout));
		close(fds[1]);
		close(fds[2]);
		int n = ns_fds("net:[", NULL, 0);
		if (n > max_fds)
			max_fds = n;
		n = ns_fds("ipc:[", NULL, 0);
		if (n > max_ipc)
			max_ipc = n;
		ok(ctr_container_wait(c, &status, 10000, &err) == 0 && status == 0, "run %d: exit 0 (%s)", i + 1,
		   errout);
		ok(ctr_container_delete(c, 0, &err) == 0, "run %d: delete", i + 1);
		ctr_container_free(c);

		char *nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		snprintf(seen, sizeof(seen), "%.63s", out);
		const char *rest = nl ? nl + 1 : "";
		nl = strchr(rest, '\n');
		snprintf(seen_ipc, sizeof(seen_ipc), "%.*s", nl ? (int)(nl - rest) : 0, rest);
		rest = nl ? nl + 1 : "";
		/* (an earlier container's namespace number may come back once that namespace is gone:
		 * what it held, below, tells a fresh one from a reused one) */
		ok(!strncmp(seen, "net:[", 5) && strcmp(seen, host), "run %d: not the host's network namespace (%s; host %s)",
		   i + 1, seen, host);
		ok(!strncmp(seen_ipc, "ipc:[", 5) && strcmp(seen_ipc, host_ipc),
		   "run %d: not the host's IPC namespace (%s; host %s)", i + 1, seen_ipc, host_ipc);
		ok(!strncmp(rest, "mq:\n", 4), "run %d: its /dev/mqueue empty: no queue of an earlier container",
		   i + 1);
		ok(strstr(rest, "mq-made") != NULL, "run %d: it could make a message queue there", i + 1);
		rest = strchr(rest, '\n') ? strchr(rest, '\n') + 1 : "";
		ok(!strncmp(rest, "devs: lo\n", 9), "run %d: lo alone in /sys/class/net", i + 1);
		ok(!strstr(rest, "10.9.9.9") && !strstr(rest, "lo-up") && !strstr(rest, "inet "),
		   "run %d: lo down, with its loopback addresses only: nothing of an earlier container", i + 1);
		ok(strstr(rest, "changed") != NULL, "run %d: it could change its namespace (lo up, 10.9.9.9)", i + 1);
		if (i >= 2) {
			ok(!strcmp(seen, spare), "run %d: its network namespace is the one the context held (%s)",
			   i + 1, spare);
			ok(!strcmp(seen_ipc, spare_ipc), "run %d: its IPC namespace is the one the context held (%s)",
			   i + 1, spare_ipc);
		}
	}
	ok(max_fds <= 1, "the context held one network namespace fd at most (%d)", max_fds);
	ok(max_ipc <= 1, "and one IPC namespace fd at most (%d)", max_ipc);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	ok(ns_fds("net:[", NULL, 0) == 0 && ns_fds("ipc:[", NULL, 0) == 0, "none once the context is freed");
	return tap_done();
}

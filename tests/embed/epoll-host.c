/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An event-loop host (issue 14): one thread, one epoll loop, 20 containers
 * at once, each exiting with its own code, seen through their pidfds; then
 * exec'd processes, with and without a pidfd.  Run under each SIGCHLD
 * policy a daemon may have:
 *
 *   default  SIGCHLD at its default disposition
 *   ignore   SIGCHLD set to SIG_IGN (the kernel reaps children itself)
 *   reaper   a SIGCHLD handler that reaps every child (waitpid(-1, WNOHANG))
 *
 * Checked: every exit code is the container's (never -1 or an error), an
 * exec'd process's code through ctr_process_wait_timeout, an exec without a
 * pidfd leaves no zombie of ours (it would pin the pid namespace: a kill
 * and wait then complete at once), delete works, nothing is left.
 *
 * Usage: epoll-host STATE_ROOT BUNDLE MODE   (TAP; root)
 */
#include <errno.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

#define N 20

static void reap_all(int sig)
{
	(void)sig;
	int e = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = e;
}

/* Zombie children of this process right now. */
static int zombies(void)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = '\0';
		char *q = strrchr(buf, ')');
		char st;
		int ppid;
		if (q && sscanf(q + 2, "%c %d", &st, &ppid) == 2 && st == 'Z' && ppid == getpid())
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: epoll-host STATE_ROOT BUNDLE default|ignore|reaper\n");
		return 2;
	}
	const char *mode = argv[3];
	if (!strcmp(mode, "ignore")) {
		signal(SIGCHLD, SIG_IGN);
	} else if (!strcmp(mode, "reaper")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = reap_all;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
	}
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	ctr_spec *spec = NULL;
	if (host_open(argv[1], argv[2], &ctx, &spec) < 0)
		return 1;

	/* --- 20 containers at once, one epoll loop --- */
	ctr_container *c[N] = {0};
	int ep = epoll_create1(EPOLL_CLOEXEC), created = 0, started = 0;
	for (int i = 0; i < N; i++) {
		char id[64], script[64];
		snprintf(id, sizeof(id), "ep-%s-%d", mode, i);
		snprintf(script, sizeof(script), "sleep 0.%d; exit %d", i % 5, i + 1);
		const char *args[] = {"sh", "-c", script, NULL};
		ctr_create_options o;
		ctr_create_options_init(&o);
		o.bundle = argv[2];
		o.flags = CTR_CREATE_STDIO_INHERIT_NONE;
		if (ctr_spec_set_args(spec, args, &err) < 0 || ctr_container_create(ctx, &c[i], id, spec, &o, &err) < 0) {
			printf("# create %s: %s\n", id, ctr_error_message(err));
			ctr_error_free(err);
			err = NULL;
			continue;
		}
		created++;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ctr_container_pidfd(c[i]), &ev) == 0 && ctr_container_start(c[i], &err) == 0)
			started++;
		else {
			printf("# start %s: %s\n", id, ctr_error_message(err));
			ctr_error_free(err);
			err = NULL;
		}
	}
	ok(created == N && started == N, "%s: %d containers created and started (%d, %d)", mode, N, created, started);
	int done = 0, right = 0;
	double t0 = now();
	while (done < started && now() - t0 < 60) {
		struct epoll_event evs[8];
		int k = epoll_wait(ep, evs, 8, 1000);
		for (int j = 0; j < k; j++) {
			int i = (int)evs[j].data.u32, code = -2;
			epoll_ctl(ep, EPOLL_CTL_DEL, ctr_container_pidfd(c[i]), NULL);
			if (ctr_container_wait(c[i], &code, 0, &err) < 0) {
				printf("# wait %d: %s\n", i, ctr_error_message(err));
				ctr_error_free(err);
				err = NULL;
			}
			done++;
			right += code == i + 1;
			if (code != i + 1)
				printf("# container %d: exit code %d, want %d\n", i, code, i + 1);
		}
	}
	ok(done == N, "%s: the epoll loop saw all %d exit (%d)", mode, N, done);
	ok(right == N, "%s: every exit code is the container's own (%d of %d)", mode, right, N);
	int deleted = 0;
	for (int i = 0; i < N; i++) {
		if (c[i] && ctr_container_delete(c[i], 0, &err) == 0)
			deleted++;
		else if (c[i]) {
			printf("# delete %d: %s\n", i, ctr_error_message(err));
			ctr_error_free(err);
			err = NULL;
		}
		ctr_container_free(c[i]);
	}
	ok(deleted == N, "%s: all deleted without force (stopped)", mode);

	/* --- exec: the code through the pidfd; without a pidfd, no zombie of ours --- */
	const char *long_args[] = {"sleep", "1000", NULL};
	ctr_container *lc = NULL;
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = argv[2];
	o.flags = CTR_CREATE_STDIO_INHERIT_NONE;
	char id[64];
	snprintf(id, sizeof(id), "ep-%s-exec", mode);
	if (ctr_spec_set_args(spec, long_args, &err) < 0 || ctr_container_create(ctx, &lc, id, spec, &o, &err) < 0 ||
	    ctr_container_start(lc, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	ctr_exec_options eo;
	ctr_exec_options_init(&eo);
	const char *xa[] = {"sh", "-c", "exit 42", NULL};
	eo.args = xa;
	pid_t xp;
	int xfd = -1, code = -2;
	int r = ctr_container_exec(lc, &eo, &xp, &xfd, &err);
	ok(r == 0, "%s: exec with a pidfd starts (%s)", mode, r ? ctr_error_message(err) : "ok");
	if (r == 0) {
		r = ctr_process_wait_timeout(xfd, &code, 10000, &err);
		ok(r == 0 && code == 42, "%s: the exec'd process's exit code through its pidfd: %d (%s)", mode, code,
		   r ? ctr_error_message(err) : "ok");
		close(xfd);
	}
	ctr_error_free(err);
	err = NULL;
	const char *qa[] = {"true", NULL};
	eo.args = qa;
	int started_nopidfd = 0;
	for (int i = 0; i < 10; i++)
		started_nopidfd += ctr_container_exec(lc, &eo, &xp, NULL, NULL) == 0;
	ok(started_nopidfd == 10, "%s: 10 execs without a pidfd start (%d)", mode, started_nopidfd);
	usleep(300000);
	ok(zombies() == 0, "%s: no zombie of ours after them (%d)", mode, zombies());
	double t1 = now();
	r = ctr_container_kill(lc, SIGKILL, 0, &err);
	if (r == 0)
		r = ctr_container_wait(lc, &code, 5000, &err);
	ok(r == 0 && code == 137, "%s: killed, its wait returns at once with 137 (%d, %.2f s%s%s)", mode, code, now() - t1,
	   r ? ": " : "", r ? ctr_error_message(err) : "");
	ctr_error_free(err);
	err = NULL;
	r = ctr_container_delete(lc, 0, &err);
	ok(r == 0, "%s: deleted (%s)", mode, r ? ctr_error_message(err) : "ok");
	ctr_error_free(err);
	err = NULL;
	ctr_container_free(lc);

	/* --- an OOM kill seen through ctr_container_event_fd, in the same loop --- */
	if (!strcmp(mode, "default")) {
		const char *oa[] = {"sh", "-c", "sleep 0.3; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1", NULL};
		ctr_container *oc = NULL;
		snprintf(id, sizeof(id), "ep-oom");
		int efd = -1;
		if (ctr_spec_set_args(spec, oa, &err) < 0 || ctr_container_create(ctx, &oc, id, spec, &o, &err) < 0 ||
		    ctr_container_update(oc, "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}", &err) < 0 ||
		    ctr_container_event_fd(oc, &efd, &err) < 0 || ctr_container_start(oc, &err) < 0) {
			ok(0, "oom: create, event fd, start (%s)", ctr_error_message(err));
		} else {
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
			epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
			uint64_t kills = 0;
			int k = epoll_wait(ep, &ev, 1, 10000);
			ok(k == 1 && ev.data.u32 == 1, "oom: the event fd polls readable when the 64 MiB dd hits the 16 MiB limit");
			ok(ctr_container_event_clear(efd, &err) == 0, "oom: the event is cleared");
			/* the event comes as the cgroup hits the OOM condition, before the kill is counted */
			(void)ctr_container_wait(oc, &code, 10000, NULL);
			int kr = ctr_container_oom_kills(oc, &kills, &err);
			ok(kr == 0 && kills >= 1, "oom: ctr_container_oom_kills says %llu", (unsigned long long)kills);
			(void)ctr_container_delete(oc, CTR_DELETE_FORCE, NULL);
		}
		if (efd >= 0)
			close(efd);
		ctr_error_free(err);
		err = NULL;
		ctr_container_free(oc);
	}
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	close(ep);
	return tap_done();
}

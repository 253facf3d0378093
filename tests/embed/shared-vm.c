/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A create's container process shares the embedder's memory until it execs
 * the init stub (lib/linux/container.c, spawn_shared_vm), as posix_spawn's
 * child does.  What the embedder must find unchanged, for RUNS containers
 * that way and RUNS more forked as before (a create timeout makes the
 * runtime fork: its deadline can kill a forked child):
 *
 *  - the process stays dumpable: the flag belongs to the memory, so a child
 *    sharing it that cleared it (as a forked one does for itself) would
 *    clear the embedder's;
 *  - no mapping is left (/proc/self/maps has as many lines after the
 *    containers as after the first): the child's stack and buffers are the
 *    runtime's, removed once the child has exec'd;
 *  - the embedder's SIGUSR1 handler and its signal mask are as they were,
 *    and SIGUSR1 sent to the process all along (another thread) runs the
 *    handler here, never kills anything;
 *  - another thread's errno is its own: a thread failing open() on a
 *    missing file all along always finds ENOENT (the child's failing calls
 *    write errno in the spawning thread's, which sleeps until the exec);
 *  - the containers run (exit 0) and the context's fds are as before;
 *  - the path really differs: the embedder's minor page faults per create
 *    (copy-on-write after a fork), printed for both, fewer when shared.
 *
 * Usage: shared-vm STATE_ROOT BUNDLE   (TAP; root)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "host.h"
#include "tap.h"

#define RUNS 20

/* built with the library's flags: a sanitizer build of the tests is one of the library */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static atomic_int usr1_seen;
static atomic_bool stop;
static atomic_long errno_wrong, errno_checks, kills_sent;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_seen, 1);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int n = 0, ch;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own */
}

static void *errno_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		errno = 0;
		int fd = open("/nonexistent/ctr-shared-vm", O_RDONLY);
		if (fd >= 0)
			close(fd);
		else if (errno != ENOENT)
			atomic_fetch_add(&errno_wrong, 1);
		atomic_fetch_add(&errno_checks, 1);
	}
	return NULL;
}

static void *signal_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		kill(getpid(), SIGUSR1);
		atomic_fetch_add(&kills_sent, 1);
		usleep(200);
	}
	return NULL;
}

/* RUNS containers of /bin/true (forked with a create timeout); the embedder's minor faults per
 * container, or -1 */
static double run_some(ctr_context *ctx, const ctr_spec *spec, const char *bundle, const char *mode, bool fork)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	for (int i = 0; i < RUNS; i++) {
		char id[64];
		snprintf(id, sizeof(id), "shared-vm-%s-%d", mode, i);
		ctr_create_options o;
		ctr_create_options_init(&o);
		o.bundle = bundle;
		o.flags = CTR_CREATE_STDIO_INHERIT_NONE;
		o.timeout_ms = fork ? 60000 : 0;
		ctr_container *c = NULL;
		ctr_error *err = NULL;
		int status = -1;
		if (ctr_container_create(ctx, &c, id, spec, &o, &err) < 0 || ctr_container_start(c, &err) < 0 ||
		    ctr_container_wait(c, &status, 10000, &err) < 0 || ctr_container_delete(c, 0, &err) < 0) {
			printf("# %s %d: %s\n", mode, i, ctr_error_message(err));
			ctr_error_free(err);
			if (c)
				(void)ctr_container_delete(c, CTR_DELETE_FORCE, NULL);
			ctr_container_free(c);
			return -1;
		}
		ctr_container_free(c);
		if (status != 0) {
			printf("# %s %d: exit %d\n", mode, i, status);
			return -1;
		}
	}
	getrusage(RUSAGE_SELF, &b);
	return (double)(b.ru_minflt - a.ru_minflt) / RUNS;
}

int main(int argc, char **argv)
{
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	int started = host_start(argc, argv, "shared-vm", &ctx, &spec);
	if (started)
		return started;
	static const char *const args[] = {"/bin/true", NULL};
	ctr_error *err = NULL;
	if (ctr_spec_set_args(spec, args, &err) < 0) {
		printf("Bail out! %s\n", ctr_error_message(err));
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t mask, mask_after;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);

	/* a first round: the context's lazily made fds and mappings exist after it */
	if (run_some(ctx, spec, argv[2], "warm", false) < 0 || run_some(ctx, spec, argv[2], "warmfork", true) < 0) {
		printf("Bail out! the first containers failed\n");
		return 1;
	}
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "dumpable after the first containers");
	pthread_t te, ts;
	pthread_create(&te, NULL, errno_thread, NULL);
	pthread_create(&ts, NULL, signal_thread, NULL);
	/* the threads' stacks exist from here on (joined, glibc keeps them); the context's spare
	 * namespaces, made after each start, are ready after a moment */
	usleep(200 * 1000);
	int maps0 = count_lines("/proc/self/maps"), fds0 = count_fds();
	double shared = run_some(ctx, spec, argv[2], "shared", false);
	double forked = run_some(ctx, spec, argv[2], "fork", true);
	atomic_store(&stop, true);
	pthread_join(te, NULL);
	pthread_join(ts, NULL);

	ok(shared >= 0, "%d containers spawned sharing the memory ran and exited 0", RUNS);
	ok(forked >= 0, "%d more forked", RUNS);
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "the process is still dumpable");
	usleep(200 * 1000);
	int maps1 = count_lines("/proc/self/maps"), fds1 = count_fds();
#if SANITIZED
	/* the sanitizer's allocator maps more as it goes */
	ok(1, "(a sanitizer build: %d lines in /proc/self/maps, %d before, not compared)", maps1, maps0);
#else
	ok(maps1 == maps0, "no mapping left: %d lines in /proc/self/maps, %d before", maps1, maps0);
#endif
	ok(fds1 == fds0, "no fd left: %d, %d before", fds1, fds0);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	ok(now.sa_handler == on_usr1, "the SIGUSR1 handler is the embedder's");
	pthread_sigmask(SIG_BLOCK, NULL, &mask_after);
	ok(sigismember(&mask_after, SIGUSR2) && !sigismember(&mask_after, SIGUSR1) &&
		   !sigismember(&mask_after, SIGTERM),
	   "the calling thread's signal mask is as it was");
	ok(atomic_load(&usr1_seen) > 0, "SIGUSR1 ran the handler here (%d of %ld sent)", atomic_load(&usr1_seen),
	   atomic_load(&kills_sent));
	ok(atomic_load(&errno_wrong) == 0, "another thread's errno was always its own (%ld wrong of %ld)",
	   atomic_load(&errno_wrong), atomic_load(&errno_checks));
	printf("# minor faults of this process per container: %.1f shared, %.1f with a fork\n", shared, forked);
#if SANITIZED
	/* the library forks in the sanitizer builds (lib/linux/container.c, shared_vm_ok) */
	ok(shared >= 0 && forked >= 0, "(a sanitizer build: every child is forked, no fault count to compare)");
#else
	ok(shared >= 0 && forked >= 0 && shared < forked / 2,
	   "fewer than half the page faults here when the child shares the memory");
#endif
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return tap_done();
}

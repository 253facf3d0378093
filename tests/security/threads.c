/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * threads STATE_ROOT BUNDLE [THREADS [PER_THREAD [STALL_S]]]: one embedding
 * process, many threads running containers at once (issue 12, found item 1 and Deliver).
 *
 * Each of THREADS threads (default 8) creates, starts, execs into, waits for
 * and deletes PER_THREAD containers (default 50) one after the other: the
 * first half of the threads share one ctr_context, the other half have one
 * each.  A container's program is `sh -c 'read x; exit 0'` with a pipe of
 * this thread as its stdin (O_CLOEXEC, like every fd here): it lives until
 * the thread closes the pipe's write end, after the exec'd /bin/true has
 * been waited for.  Every return value and exit status is checked (both
 * programs must exit 0).  Every context is warmed (ctr_context_warm) just
 * before the threads start, so its thread makes the init stub's memfd and
 * reads the mount table while the first creates need them.
 *
 * The attack this guards against: a created container's process holding a
 * copy of every fd of the embedder until start.  Then each new init holds
 * the other threads' sync sockets and pipes, and creates that wait for EOF
 * deadlock (today's main hangs on the first creates), and a container never
 * sees EOF on its stdin pipe.
 *
 * A watchdog fails the test instead of hanging: when no container finished
 * for STALL_S seconds (default 30), it prints what each thread was doing and
 * exits 1.  Output is TAP, one line per thread.  The caller (threads.sh)
 * removes whatever a failed run left in STATE_ROOT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctr/ctr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	int idx;
	pthread_t th;
	ctr_context *ctx;
	const char *bundle;
	int per_thread;
	atomic_int done;     /* containers finished */
	atomic_int step;     /* what it does now, for the watchdog */
	char error[1024];    /* first failure */
};

static const char *const step_names[] = {"starting", "create", "start", "exec", "wait exec", "close stdin",
					 "wait", "delete", "finished"};
enum { S_BEGIN, S_CREATE, S_START, S_EXEC, S_WAIT_EXEC, S_CLOSE, S_WAIT, S_DELETE, S_END };

static atomic_int total_done;

static void *work(void *arg)
{
	struct worker *w = arg;
	ctr_error *err = NULL;
	ctr_spec *spec = NULL;
	char cfg[4096], id[64];
	const char *what = "load the spec";

	snprintf(cfg, sizeof(cfg), "%s/config.json", w->bundle);
	if (ctr_spec_load_file(&spec, cfg, &err) < 0)
		goto fail;
	for (int i = 0; i < w->per_thread; i++) {
		int pfd[2] = {-1, -1}, ex_pidfd = -1, status = -1;
		ctr_container *c = NULL;
		snprintf(id, sizeof(id), "sec%d-th%d-%d", (int)getpid(), w->idx, i);
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			snprintf(w->error, sizeof(w->error), "%s: pipe2: %s", id, strerror(errno));
			break;
		}
		ctr_create_options o;
		ctr_create_options_init(&o);
		o.bundle = w->bundle;
		o.stdio_fds[0] = pfd[0];
		atomic_store(&w->step, S_CREATE);
		what = "create";
		if (ctr_container_create(w->ctx, &c, id, spec, &o, &err) < 0)
			goto fail_c;
		close(pfd[0]);
		pfd[0] = -1;
		atomic_store(&w->step, S_START);
		what = "start";
		if (ctr_container_start(c, &err) < 0)
			goto fail_c;
		atomic_store(&w->step, S_EXEC);
		what = "exec /bin/true";
		static const char *const args[] = {"/bin/true", NULL};
		ctr_exec_options eo;
		ctr_exec_options_init(&eo);
		eo.args = args;
		if (ctr_container_exec(c, &eo, NULL, &ex_pidfd, &err) < 0)
			goto fail_c;
		atomic_store(&w->step, S_WAIT_EXEC);
		what = "wait for the exec'd /bin/true";
		if (ctr_process_wait(ex_pidfd, &status, &err) < 0)
			goto fail_c;
		close(ex_pidfd);
		ex_pidfd = -1;
		if (status != 0) {
			snprintf(w->error, sizeof(w->error), "%s: the exec'd /bin/true exited %d", id, status);
			goto fail_cleanup;
		}
		atomic_store(&w->step, S_CLOSE);
		close(pfd[1]);
		pfd[1] = -1;
		atomic_store(&w->step, S_WAIT);
		what = "wait (the container's stdin pipe is closed: it must exit)";
		if (ctr_container_wait(c, &status, 20000, &err) < 0)
			goto fail_c;
		if (status != 0) {
			snprintf(w->error, sizeof(w->error), "%s: the container exited %d", id, status);
			goto fail_cleanup;
		}
		atomic_store(&w->step, S_DELETE);
		what = "delete";
		if (ctr_container_delete(c, 0, &err) < 0)
			goto fail_c;
		ctr_container_free(c);
		atomic_fetch_add(&w->done, 1);
		atomic_fetch_add(&total_done, 1);
		continue;
	fail_c:
		snprintf(w->error, sizeof(w->error), "%s: %s: %s", id, what,
			 err ? ctr_error_message(err) : "failed without an error");
		ctr_error_free(err);
		err = NULL;
	fail_cleanup:
		if (c)
			(void)ctr_container_delete(c, CTR_DELETE_FORCE, NULL);
		ctr_container_free(c);
		if (pfd[0] >= 0)
			close(pfd[0]);
		if (pfd[1] >= 0)
			close(pfd[1]);
		if (ex_pidfd >= 0)
			close(ex_pidfd);
		break;
	}
	ctr_spec_free(spec);
	atomic_store(&w->step, S_END);
	return NULL;
fail:
	snprintf(w->error, sizeof(w->error), "%s: %s", what, err ? ctr_error_message(err) : "failed");
	ctr_error_free(err);
	atomic_store(&w->step, S_END);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* each of our threads: where it waits in the kernel (the watchdog's report of a hang) */
static void dump_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		char path[300], wchan[128] = "", sc[256] = "";
		FILE *f;
		snprintf(path, sizeof(path), "/proc/self/task/%s/wchan", de->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/syscall", de->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(sc, sizeof(sc), f))
				sc[0] = '\0';
			sc[strcspn(sc, "\n")] = '\0';
			fclose(f);
		}
		printf("#   task %s: wchan %s, syscall %s\n", de->d_name, wchan, sc);
	}
	if (d)
		closedir(d);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: threads STATE_ROOT BUNDLE [THREADS [PER_THREAD [STALL_S]]]\n");
		return 2;
	}
	int nthreads = argc > 3 ? atoi(argv[3]) : 8;
	int per = argc > 4 ? atoi(argv[4]) : 50;
	int stall = argc > 5 ? atoi(argv[5]) : 30;
	if (nthreads < 2 || nthreads > 64 || per < 1 || stall < 1) {
		fprintf(stderr, "threads: bad THREADS (2..64), PER_THREAD or STALL_S\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctr_error *err = NULL;
	ctr_context_options co;
	ctr_context_options_init(&co);
	co.state_root = argv[1];
	ctr_context *shared = NULL;
	if (ctr_context_new(&shared, &co, &err) < 0) {
		printf("Bail out! context: %s\n", ctr_error_message(err));
		return 1;
	}
	struct worker *w = calloc((size_t)nthreads, sizeof(*w));
	if (!w)
		return 1;
	for (int i = 0; i < nthreads; i++) {
		w[i].idx = i;
		w[i].bundle = argv[2];
		w[i].per_thread = per;
		if (i < nthreads / 2) {
			w[i].ctx = shared;
		} else if (ctr_context_new(&w[i].ctx, &co, &err) < 0) {
			printf("Bail out! context: %s\n", ctr_error_message(err));
			return 1;
		}
	}
	for (int i = 0; i < nthreads; i++)
		ctr_context_warm(w[i].ctx); /* the shared one's second call does nothing */
	double t0 = now();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0) {
			printf("Bail out! pthread_create failed\n");
			return 1;
		}

	/* the watchdog: progress at least every `stall` seconds */
	int last = 0;
	double last_t = now();
	for (;;) {
		int running = 0;
		for (int i = 0; i < nthreads; i++)
			running += atomic_load(&w[i].step) != S_END;
		if (!running)
			break;
		usleep(100 * 1000);
		int d = atomic_load(&total_done);
		if (d != last) {
			last = d;
			last_t = now();
		} else if (now() - last_t > stall) {
			printf("not ok 1 - watchdog: no container finished in %d s; %d of %d done after %.1f s (a hang)\n",
			       stall, d, nthreads * per, now() - t0);
			for (int i = 0; i < nthreads; i++)
				printf("#   thread %d (%s context): %d done, now in %s%s%s\n", i,
				       w[i].ctx == shared ? "shared" : "own", atomic_load(&w[i].done),
				       step_names[atomic_load(&w[i].step)], w[i].error[0] ? ", error: " : "", w[i].error);
			dump_tasks();
			printf("1..1\n");
			fflush(stdout);
			_exit(1); /* threads are stuck in the library: no join; the caller cleans up */
		}
	}
	int failed = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		int d = atomic_load(&w[i].done);
		if (d == per && !w[i].error[0]) {
			printf("ok %d - thread %d (%s context): %d containers created, started, exec'd into, waited for "
			       "and deleted\n", i + 1, i, w[i].ctx == shared ? "shared" : "own", d);
		} else {
			failed = 1;
			printf("not ok %d - thread %d (%s context): %d of %d containers\n#   %s\n", i + 1, i,
			       w[i].ctx == shared ? "shared" : "own", d, per, w[i].error);
		}
	}
	printf("# %d containers in %.1f s\n1..%d\n", nthreads * per, now() - t0, nthreads);
	for (int i = nthreads / 2; i < nthreads; i++)
		ctr_context_free(w[i].ctx);
	ctr_context_free(shared);
	free(w);
	return failed;
}

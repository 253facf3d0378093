/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A spare network namespace for the next create of a context that runs
 * containers one after another (an embedding daemon).
 *
 * A new network namespace is the dearest step of a container's setup: the
 * child's unshare(CLONE_NEWNET) takes about 290 us here (every pernet
 * subsystem sets up), and much longer when it waits behind the teardown of
 * the previous container's namespace (cleanup_net holds what a new one
 * needs: in-process runs measured a mean of 656 us for a median of 287).
 * It is also the one step that needs nothing of the container: a namespace
 * made by a thread of the runtime, owned by the same user namespace, with
 * nothing in it, is what the child's unshare would make.  So once a context
 * has made two containers with a new network namespace, each start makes
 * the next one in the background (a short-lived thread: unshare on that
 * thread only, then an fd of /proc/thread-self/ns/net), while the started
 * container runs; the next create takes it (waiting for the thread if it is
 * still at it) and its child setns()es into it instead of unsharing.  One
 * spare at most; without one the child unshares as before.  The thread
 * stays where the scheduler puts it, mostly on the starting thread's CPU,
 * which then waits for the container (moving it to another CPU, as the
 * child moves itself, made the started container share its CPU with the
 * thread: in-process runs 2.91 -> 3.21 ms).  ctr-demo makes
 * one container per process and so never makes a spare.  (Making one at the
 * top of every create was measured too, and dropped: the runtime reaches
 * the clone about 200 us after it has the config, sooner than a namespace
 * is made, and the child's unshare already runs beside the runtime's late
 * cgroups.)
 *
 * Only for the plans whose child would unshare the network namespace itself
 * (plan.c: no user namespace, no intermediate process), i.e. for root in the
 * caller's user namespace: a namespace made by another thread of the same
 * process is owned by the same user namespace (a multithreaded process
 * cannot change its user namespace).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "internal.h"

void ctr_netns_spare_init(ctr_context *ctx)
{
	pthread_mutex_init(&ctx->netns_lock, NULL);
	pthread_cond_init(&ctx->netns_cond, NULL);
	ctx->netns_spare = -1;
	ctx->netns_creates = 0;
	ctx->netns_refilling = ctx->netns_thread_live = ctx->netns_closing = false;
}

static void *make_spare(void *arg)
{
	ctr_context *ctx = arg;
	int fd = -1;
	/* this thread's network namespace only; the fd keeps it once the thread is gone */
	if (unshare(CLONE_NEWNET) == 0)
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	pthread_mutex_lock(&ctx->netns_lock);
	if (fd >= 0 && !ctx->netns_closing && ctx->netns_spare < 0) {
		ctx->netns_spare = fd;
		fd = -1;
	}
	ctx->netns_refilling = false;
	pthread_cond_broadcast(&ctx->netns_cond);
	pthread_mutex_unlock(&ctx->netns_lock);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* With the lock held: a thread making one, unless there is one or a thread at it already. */
static void start_locked(ctr_context *ctx)
{
	if (ctx->netns_spare >= 0 || ctx->netns_refilling || ctx->netns_closing)
		return;
	/* the last thread has finished (refilling is false) and needs the lock no more: reap it */
	if (ctx->netns_thread_live) {
		pthread_join(ctx->netns_thread, NULL);
		ctx->netns_thread_live = false;
	}
	/* no signal of the caller's is ever handled on this thread; a small stack.  Made under
	 * the lock, which the thread takes only to hand over its namespace. */
	pthread_attr_t attr;
	sigset_t all;
	sigfillset(&all);
	if (pthread_attr_init(&attr) == 0) {
		if (pthread_attr_setstacksize(&attr, 64 * 1024) == 0 && pthread_attr_setsigmask_np(&attr, &all) == 0 &&
		    pthread_create(&ctx->netns_thread, &attr, make_spare, ctx) == 0)
			ctx->netns_thread_live = ctx->netns_refilling = true;
		pthread_attr_destroy(&attr);
	}
}

int ctr_netns_spare_take(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->netns_lock);
	while (ctx->netns_refilling && !ctx->netns_closing)
		pthread_cond_wait(&ctx->netns_cond, &ctx->netns_lock);
	int fd = ctx->netns_spare;
	ctx->netns_spare = -1;
	if (ctx->netns_creates < 2)
		ctx->netns_creates++;
	pthread_mutex_unlock(&ctx->netns_lock);
	return fd;
}

void ctr_netns_spare_refill(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->netns_lock);
	if (ctx->netns_creates >= 2)
		start_locked(ctx);
	pthread_mutex_unlock(&ctx->netns_lock);
}

void ctr_netns_spare_fini(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->netns_lock);
	ctx->netns_closing = true;
	bool join = ctx->netns_thread_live;
	pthread_t t = ctx->netns_thread;
	ctx->netns_thread_live = false;
	pthread_mutex_unlock(&ctx->netns_lock);
	if (join)
		pthread_join(t, NULL);
	if (ctx->netns_spare >= 0)
		close(ctx->netns_spare);
	ctx->netns_spare = -1;
	pthread_cond_destroy(&ctx->netns_cond);
	pthread_mutex_destroy(&ctx->netns_lock);
}

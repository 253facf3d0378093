/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Spare network and IPC namespaces for the next create of a context that
 * runs containers one after another (an embedding daemon).
 *
 * A new network namespace is the dearest step of a container's setup: the
 * child's unshare(CLONE_NEWNET) takes about 290 us here (every pernet
 * subsystem sets up), and much longer when it waits behind the teardown of
 * the previous container's namespace (cleanup_net holds what a new one
 * needs: in-process runs measured a mean of 656 us for a median of 287).
 * A new IPC namespace costs clone3 about 35 us more (its mqueue instance is
 * a kernel mount), on the critical path of every create; entering one made
 * ahead costs the child 7-9 us.  Both are steps that need nothing of the
 * container: a namespace made by a thread of the runtime, owned by the same
 * user namespace, with nothing in it, is what the child's unshare or clone3
 * would make (an IPC namespace starts with the kernel's default limits,
 * whoever makes it and when).  So once a context has made two containers
 * with a new namespace of a kind, each start makes the next one in the
 * background (a short-lived thread: one unshare on that thread only, then
 * an fd of /proc/thread-self/ns/<kind> each), while the started container
 * runs; the next create takes it (waiting for the thread if it is still at
 * it) and its child setns()es into it instead.  One spare of each kind at
 * most; without one the child makes its own as before.  The thread
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
 * Only for the plans whose child would make the namespace itself (plan.c:
 * no user namespace, no intermediate process), i.e. for root in the
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

static const struct {
	int flag;
	const char *path;
} kinds[CTR_SPARE_KINDS] = {
	[CTR_SPARE_NET] = {CLONE_NEWNET, "/proc/thread-self/ns/net"},
	[CTR_SPARE_IPC] = {CLONE_NEWIPC, "/proc/thread-self/ns/ipc"},
};

void ctr_netns_spare_init(ctr_context *ctx)
{
	pthread_mutex_init(&ctx->netns_lock, NULL);
	pthread_cond_init(&ctx->netns_cond, NULL);
	for (int k = 0; k < CTR_SPARE_KINDS; k++) {
		ctx->ns_spare[k] = -1;
		ctx->ns_creates[k] = 0;
	}
	ctx->ns_making = 0;
	ctx->netns_refilling = ctx->netns_thread_live = ctx->netns_closing = false;
}

static void *make_spare(void *arg)
{
	ctr_context *ctx = arg;
	int fds[CTR_SPARE_KINDS], flags = 0;
	/* which kinds: set under the lock before the thread was made, not changed while it runs */
	unsigned making = ctx->ns_making;
	for (int k = 0; k < CTR_SPARE_KINDS; k++) {
		fds[k] = -1;
		if (making & (1u << k))
			flags |= kinds[k].flag;
	}
	/* this thread's namespaces only; the fds keep them once the thread is gone */
	if (unshare(flags) == 0)
		for (int k = 0; k < CTR_SPARE_KINDS; k++)
			if (making & (1u << k))
				fds[k] = open(kinds[k].path, O_RDONLY | O_CLOEXEC);
	pthread_mutex_lock(&ctx->netns_lock);
	for (int k = 0; k < CTR_SPARE_KINDS; k++)
		if (fds[k] >= 0 && !ctx->netns_closing && ctx->ns_spare[k] < 0) {
			ctx->ns_spare[k] = fds[k];
			fds[k] = -1;
		}
	ctx->ns_making = 0;
	ctx->netns_refilling = false;
	pthread_cond_broadcast(&ctx->netns_cond);
	pthread_mutex_unlock(&ctx->netns_lock);
	for (int k = 0; k < CTR_SPARE_KINDS; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return NULL;
}

/* With the lock held: a thread making the kinds the context uses and has no spare of, unless
 * a thread is at it already. */
static void start_locked(ctr_context *ctx)
{
	unsigned want = 0;
	for (int k = 0; k < CTR_SPARE_KINDS; k++)
		if (ctx->ns_creates[k] >= 2 && ctx->ns_spare[k] < 0)
			want |= 1u << k;
	if (!want || ctx->netns_refilling || ctx->netns_closing)
		return;
	/* the last thread has finished (refilling is false) and needs the lock no more: reap it */
	if (ctx->netns_thread_live) {
		pthread_join(ctx->netns_thread, NULL);
		ctx->netns_thread_live = false;
	}
	/* no signal of the caller's is ever handled on this thread; a small stack.  Made under
	 * the lock, which the thread takes only to hand over its namespaces. */
	pthread_attr_t attr;
	sigset_t all;
	sigfillset(&all);
	ctx->ns_making = want;
	if (pthread_attr_init(&attr) == 0) {
		if (pthread_attr_setstacksize(&attr, 64 * 1024) == 0 && pthread_attr_setsigmask_np(&attr, &all) == 0 &&
		    pthread_create(&ctx->netns_thread, &attr, make_spare, ctx) == 0)
			ctx->netns_thread_live = ctx->netns_refilling = true;
		pthread_attr_destroy(&attr);
	}
	if (!ctx->netns_refilling)
		ctx->ns_making = 0;
}

int ctr_ns_spare_take(ctr_context *ctx, enum ctr_spare_kind kind)
{
	pthread_mutex_lock(&ctx->netns_lock);
	while (ctx->netns_refilling && !ctx->netns_closing)
		pthread_cond_wait(&ctx->netns_cond, &ctx->netns_lock);
	int fd = ctx->ns_spare[kind];
	ctx->ns_spare[kind] = -1;
	if (ctx->ns_creates[kind] < 2)
		ctx->ns_creates[kind]++;
	pthread_mutex_unlock(&ctx->netns_lock);
	return fd;
}

void ctr_ns_spare_fds(ctr_context *ctx, int out[CTR_SPARE_KINDS])
{
	pthread_mutex_lock(&ctx->netns_lock);
	for (int k = 0; k < CTR_SPARE_KINDS; k++)
		out[k] = ctx->ns_spare[k];
	pthread_mutex_unlock(&ctx->netns_lock);
}

void ctr_netns_spare_refill(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->netns_lock);
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
	for (int k = 0; k < CTR_SPARE_KINDS; k++) {
		if (ctx->ns_spare[k] >= 0)
			close(ctx->ns_spare[k]);
		ctx->ns_spare[k] = -1;
	}
	pthread_cond_destroy(&ctx->netns_cond);
	pthread_mutex_destroy(&ctx->netns_lock);
}

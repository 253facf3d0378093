/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The writer threads of layer extraction.  The kernel's work of creating a
 * file (inode allocation, directory entry, copying the bytes into the page
 * cache, times) is most of an unpack; one thread doing all of it leaves the
 * other cores idle.  The extracting thread parses the tar stream and queues
 * regular files (or chunks of large ones) here; any writer thread runs
 * them.  layer.c decides what may run out of order (see there); this file
 * is only the queue: bounded by bytes, first error wins, drain and stop.
 */
#include "image/layer-internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

#define MAX_THREADS 8

struct layer_pool {
	pthread_mutex_t mu;
	pthread_cond_t work;  /* a job was queued, or stop */
	pthread_cond_t done;  /* a job finished: room in the budget, maybe idle */
	struct layer_job *head, *tail;
	size_t queued_bytes, max_bytes;
	unsigned pending; /* queued + running */
	unsigned delay_us;
	bool stop;
	ctr_error *error;
	int rc; /* the first job error; < 0: failed, queued jobs are dropped */
	int (*run)(struct layer_job *j, ctr_error **err);
	void (*drop)(struct layer_job *j);
	pthread_t th[MAX_THREADS];
	unsigned nth;
};

static void *writer(void *arg)
{
	struct layer_pool *p = arg;
	prctl(PR_SET_NAME, "ctr-layer-write"); /* for per-thread profiles */
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->head)
			break; /* stop, and nothing left */
		struct layer_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued_bytes -= j->bytes;
		bool skip = p->rc < 0 || p->stop;
		pthread_mutex_unlock(&p->mu);

		ctr_error *e = NULL;
		int r = 0;
		if (skip) {
			p->drop(j);
		} else {
			if (p->delay_us)
				usleep(p->delay_us);
			r = p->run(j, &e); /* frees j */
		}

		pthread_mutex_lock(&p->mu);
		if (r < 0 && p->rc >= 0) {
			p->rc = r;
			p->error = e;
			e = NULL;
		}
		ctr_error_free(e);
		p->pending--;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int layer_pool_start(struct layer_pool **out, unsigned nthreads, size_t max_bytes, unsigned delay_us,
		     int (*run)(struct layer_job *j, ctr_error **err), void (*drop)(struct layer_job *j),
		     const char *lname, ctr_error **err)
{
	*out = NULL;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	struct layer_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return ctr_err_nomem(err);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->max_bytes = max_bytes;
	p->delay_us = delay_us;
	p->run = run;
	p->drop = drop;
	/* signals stay with the caller's threads, as for the decoding thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		r = pthread_create(&p->th[i], NULL, writer, p);
		if (r)
			break;
		p->nth++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->nth) {
		layer_pool_free(p);
		return ctr_err_sys(err, r, "%s: cannot start a writer thread", lname);
	}
	/* fewer threads than asked (a thread limit): the ones that started do the work */
	*out = p;
	return 0;
}

/* With p->mu held: the first job error (0: none), its message moved to *err. */
static int take_error(struct layer_pool *p, ctr_error **err)
{
	if (p->error && err && !*err) {
		*err = p->error;
		p->error = NULL;
	}
	return p->rc;
}

int layer_pool_push(struct layer_pool *p, struct layer_job *j, ctr_error **err)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	/* one job always fits, however large: the budget only makes the parser wait */
	while (p->rc >= 0 && p->queued_bytes && p->queued_bytes + j->bytes > p->max_bytes)
		pthread_cond_wait(&p->done, &p->mu);
	if (p->rc < 0) {
		int r = take_error(p, err);
		pthread_mutex_unlock(&p->mu);
		p->drop(j);
		return r;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued_bytes += j->bytes;
	p->pending++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int layer_pool_drain(struct layer_pool *p, ctr_error **err)
{
	if (!p)
		return 0;
	pthread_mutex_lock(&p->mu);
	while (p->pending)
		pthread_cond_wait(&p->done, &p->mu);
	int r = take_error(p, err);
	pthread_mutex_unlock(&p->mu);
	return r;
}

void layer_pool_free(struct layer_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true; /* queued jobs are dropped, running ones finish */
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	/* no thread left to drop what is still queued (none started at all) */
	for (struct layer_job *j = p->head, *n; j; j = n) {
		n = j->next;
		p->drop(j);
	}
	ctr_error_free(p->error);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The init stub (init/ctr-init.c), embedded in the library, as a sealed
 * memfd the container processes exec.
 *
 * Design (the binary-overwrite class, CVE-2019-5736): a container process
 * starts as a clone of the calling program, so until it execs something,
 * /proc/<pid>/exe is the caller's binary (ctr-demo, or a daemon, or python)
 * and a process in the container that could open it could write it.  Every
 * container process is therefore non-dumpable from clone on and, once the
 * runtime's part of its setup is done, execs this stub from a memfd sealed
 * against writing, growing and shrinking (F_SEAL_WRITE | F_SEAL_GROW |
 * F_SEAL_SHRINK | F_SEAL_SEAL): its /proc/<pid>/exe can be opened but never
 * written, and the caller's memory is gone.  runc re-execs a sealed memfd
 * copy of itself; crun a sealed memfd clone of itself.  A library cannot
 * copy its caller (it may be python), so it carries a program of its own:
 * a static executable of a few dozen KiB, made at build time.
 *
 * One memfd per context, made on first use and shared by its containers,
 * or ahead by ctr_context_warm's thread (with the mount table's copy).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/lifecycle.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* made at build time from init/ctr-init.c (lib/linux/init/embed.py) */
extern const unsigned char ctr_init_stub_bin[];
extern const size_t ctr_init_stub_len;

static int memfd(const char *name, bool exec)
{
	/* Linux 6.3 wants executability said explicitly; older kernels refuse the flags (EINVAL) */
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | (exec ? MFD_EXEC : MFD_NOEXEC_SEAL));
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

static int fill_and_seal(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0 &&
	    (errno != EINVAL ||
	     fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0))
		return -errno;
	return 0;
}

int ctr_sealed_memfd(const char *name, const void *data, size_t len, ctr_error **err)
{
	int fd = memfd(name, false);
	if (fd < 0)
		return ctr_err_sys(err, errno, "memfd_create %s", name);
	int r = fill_and_seal(fd, data, len);
	if (r < 0) {
		close(fd);
		return ctr_err_sys(err, -r, "%s: fill and seal the memfd", name);
	}
	return fd;
}

int ctr_init_stub_fd(ctr_context *ctx, ctr_error **err)
{
	int r;
	pthread_mutex_lock(&ctx->init_lock);
	if (ctx->init_fd >= 0) {
		r = ctx->init_fd;
		pthread_mutex_unlock(&ctx->init_lock);
		return r;
	}
	int fd = memfd("ctr-init", true);
	if (fd < 0) {
		r = ctr_err_sys(err, errno, "memfd_create for libctr's init stub");
	} else if ((r = fill_and_seal(fd, ctr_init_stub_bin, ctr_init_stub_len)) < 0 ||
		   (fchmod(fd, 0555) < 0 && (r = -errno) < 0)) {
		close(fd);
		r = ctr_err_sys(err, -r, "seal libctr's init stub in its memfd");
	} else {
		ctx->init_fd = r = fd;
	}
	pthread_mutex_unlock(&ctx->init_lock);
	return r;
}

/* ctr_context_warm's thread: what a create or exec keeps in the context, made ahead */
static void *warm_main(void *arg)
{
	ctr_context *ctx = arg;
	ctr_error *e = NULL;
	/* failures are not kept: the create or exec that needs either makes it again and reports;
	 * the mount table first, as a create reads it first (its cgroup layout) */
	struct ctr_host_snap snap = {.ctx = ctx};
	char *text = NULL;
	size_t len;
	if (ctr_host_snap_read(&snap, "mountinfo", &text, &len, &e) == 0)
		free(text);
	ctr_error_free(e);
	ctr_host_snap_free(&snap);
	e = NULL;
	(void)ctr_init_stub_fd(ctx, &e);
	ctr_error_free(e);
	pthread_mutex_lock(&ctx->init_lock);
	ctx->warm_done = true;
	pthread_cond_broadcast(&ctx->warm_cond);
	pthread_mutex_unlock(&ctx->init_lock);
	return NULL;
}

CTR_EXPORT void ctr_context_warm(ctr_context *ctx)
{
	if (!ctx)
		return;
	/* with one CPU the thread would only take turns with the caller */
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) < 2)
		return;
	pthread_mutex_lock(&ctx->init_lock);
	pthread_attr_t attr;
	if (!ctx->warm_live && ctx->init_fd < 0 && pthread_attr_init(&attr) == 0) {
		/* every signal blocked: the caller's handlers never run on it; a small stack */
		sigset_t all;
		sigfillset(&all);
		/* on another CPU: left to the scheduler, a new thread was queued beside its creator
		 * and first ran when the caller slept (in the clone), after the create had made both */
		int cur = sched_getcpu();
		if (cur >= 0 && cur < CPU_SETSIZE && CPU_ISSET(cur, &set)) {
			CPU_CLR(cur, &set);
			(void)pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ctx->warm_live = pthread_attr_setsigmask_np(&attr, &all) == 0 &&
				 pthread_attr_setstacksize(&attr, 64 * 1024) == 0 &&
				 pthread_create(&ctx->warm_thread, &attr, warm_main, ctx) == 0;
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&ctx->init_lock);
}

void ctr_context_warm_fini(ctr_context *ctx)
{
	if (ctx->warm_live)
		pthread_join(ctx->warm_thread, NULL);
}

void ctr_context_warm_wait(ctr_context *ctx)
{
	pthread_mutex_lock(&ctx->init_lock);
	while (ctx->warm_live && !ctx->warm_done)
		pthread_cond_wait(&ctx->warm_cond, &ctx->init_lock);
	pthread_mutex_unlock(&ctx->init_lock);
}

void ctr_preserve_fds_free(int *fds, int n)
{
	for (int i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

int ctr_preserve_fds_snapshot(ctr_context *ctx, int n, const int *lib_fds, size_t n_lib, int **out,
			      ctr_error **err)
{
	*out = NULL;
	if (n < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "preserve_fds is negative (%d): give 0 or more", n);
	if (n == 0)
		return 0;
	if (n > 65536)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "preserve_fds %d is more than 65536", n);
	int *fds = malloc((size_t)n * sizeof(int));
	if (!fds)
		return ctr_err_nomem(err);
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	/* the context's own fds (the init stub's memfd, the mount table's file, the spare namespaces):
	 * a caller who passes a range with a hole in it must not hand one of them to the container */
	int ctx_fds[2 + CTR_SPARE_KINDS];
	for (size_t k = 0; k < CTR_ARRAY_SIZE(ctx_fds); k++)
		ctx_fds[k] = -1;
	if (ctx) {
		ctr_context_warm_wait(ctx); /* its fds are open, the numbers known */
		pthread_mutex_lock(&ctx->init_lock);
		ctx_fds[0] = ctx->init_fd;
		pthread_mutex_unlock(&ctx->init_lock);
		ctx_fds[1] = ctr_host_cache_fd(ctx);
		ctr_ns_spare_fds(ctx, ctx_fds + 2);
	}
	for (int i = 0; i < n; i++) {
		int fd = 3 + i;
		bool lib = false;
		for (size_t k = 0; k < CTR_ARRAY_SIZE(ctx_fds); k++)
			lib |= fd == ctx_fds[k];
		for (size_t k = 0; k < n_lib; k++)
			lib |= fd == lib_fds[k];
		if (lib) {
			ctr_preserve_fds_free(fds, n);
			return ctr_err(err, EBADF, CTR_E_INVALID,
				       "preserve_fds %d: fd %d is not the caller's (libctr holds it: its init stub, its copy "
				       "of the mount table, a spare namespace or the container handle): open the fds to "
				       "pass before the library's, or pass fewer",
				       n, fd);
		}
		/* copies above the range: a copy must never take the number of a missing fd we check next */
		fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3 + n);
		if (fds[i] < 0) {
			int e = errno;
			ctr_preserve_fds_free(fds, n);
			if (e == EBADF)
				return ctr_err(err, EBADF, CTR_E_INVALID,
					       "preserve_fds %d: fd %d is not open in the calling process: pass only "
					       "fds 3..%d that are open",
					       n, fd, 2 + n);
			return ctr_err_sys(err, e, "preserve_fds: dup fd %d", fd);
		}
	}
	*out = fds;
	return 0;
}

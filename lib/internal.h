/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal helpers shared by every module: errors, logging, small utilities. */
#ifndef CTR_LIB_INTERNAL_H
#define CTR_LIB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctr/ctr.h"

#define CTR_EXPORT __attribute__((visibility("default")))
#define CTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CTR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ctr_error {
	int errnum;
	ctr_error_code code;
	char *message;
};

/* the namespaces a context makes ahead for its next create (lib/linux/netns-spare.c) */
enum ctr_spare_kind { CTR_SPARE_NET, CTR_SPARE_IPC, CTR_SPARE_KINDS };

struct ctr_context {
	char *state_root;
	ctr_log_fn log_fn;
	void *log_userdata;
	int log_level;
	void *userdata;
	/* the sealed init stub's memfd (lib/linux/init-stub.c), made on first use; -1 until then */
	pthread_mutex_t init_lock;
	int init_fd;
	/* spare network and IPC namespaces for the next create (lib/linux/netns-spare.c) */
	pthread_mutex_t netns_lock;
	pthread_cond_t netns_cond;	/* a refill finished */
	pthread_t netns_thread;
	int ns_spare[CTR_SPARE_KINDS];	/* -1: none */
	unsigned ns_creates[CTR_SPARE_KINDS]; /* creates with a new one, up to 2: spares from the second on */
	unsigned ns_making;		/* the kinds (1 << kind) the thread is making */
	bool netns_refilling;		/* a thread is making them */
	bool netns_thread_live;		/* netns_thread is to be joined */
	bool netns_closing;		/* ctr_context_free: no more */
	/* the host's mount table, read again only when it changed (ctr_host_snap_read, lib/util.c) */
	pthread_mutex_t mi_lock;
	int mi_fd;			/* /proc/self/mountinfo, open; -1 until the first create */
	ino_t mi_ns;			/* the mount namespace it was opened in, */
	dev_t mi_root_dev;		/* the root directory it was opened under */
	ino_t mi_root_ino;
	pid_t mi_pid;			/* and by which process */
	char *mi_text;			/* its text when last read; NULL: read it */
	size_t mi_len;
	/* ctr_context_warm's thread (with init_lock): started, finished */
	pthread_t warm_thread;
	pthread_cond_t warm_cond;
	bool warm_live, warm_done;
};
/* lib/util.c: close the mount table's file and free its copy */
void ctr_host_cache_fini(ctr_context *ctx);
/* lib/util.c: the mount table's open file (-1: none yet), a library fd no caller may pass on */
int ctr_host_cache_fd(ctr_context *ctx);
/* lib/linux/init-stub.c: ctr_context_warm's thread: wait until it (if any) has opened its fds;
 * join it (ctr_context_free, which destroys warm_cond after) */
void ctr_context_warm_wait(ctr_context *ctx);
void ctr_context_warm_fini(ctr_context *ctx);
/* lib/linux/netns-spare.c: take the spare of a kind (waiting for one being made; -1: none) for a
 * create whose child makes a new namespace of that kind; refill after a start */
void ctr_netns_spare_init(ctr_context *ctx);
void ctr_netns_spare_fini(ctr_context *ctx);
int ctr_ns_spare_take(ctr_context *ctx, enum ctr_spare_kind kind);
void ctr_netns_spare_refill(ctr_context *ctx);
/* the spares' fds now (-1: none of that kind), library fds no caller may pass on */
void ctr_ns_spare_fds(ctr_context *ctx, int out[CTR_SPARE_KINDS]);

/* Whether paths a and b (leading and trailing '/' ignored, "" the root) are the same, or one is
 * below the other, component by component. */
bool ctr_path_nested(const char *a, const char *b);

/*
 * Set *err (when err is not NULL and *err is NULL) and return -errnum.
 * errnum is a positive errno value.  The message is printf-formatted.
 */
int ctr_err(ctr_error **err, int errnum, ctr_error_code code, const char *fmt, ...) CTR_PRINTF(4, 5);
int ctr_verr(ctr_error **err, int errnum, ctr_error_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Like ctr_err with CTR_E_SYSTEM, appending ": strerror(errnum)". */
int ctr_err_sys(ctr_error **err, int errnum, const char *fmt, ...) CTR_PRINTF(3, 4);
/* -ENOMEM with CTR_E_NOMEM. */
int ctr_err_nomem(ctr_error **err);
/* Prefix an existing error's message with "prefix: ". */
void ctr_err_prefix(ctr_error **err, const char *fmt, ...) CTR_PRINTF(2, 3);

void ctr_log(const ctr_context *ctx, ctr_log_level level, const char *fmt, ...) CTR_PRINTF(3, 4);
#define ctr_debug(ctx, ...) ctr_log(ctx, CTR_LOG_DEBUG, __VA_ARGS__)
#define ctr_info(ctx, ...) ctr_log(ctx, CTR_LOG_INFO, __VA_ARGS__)
#define ctr_warn(ctx, ...) ctr_log(ctx, CTR_LOG_WARNING, __VA_ARGS__)

/*
 * The body of every *_init_sized(): fill the caller's struct of `size` bytes
 * with the first bytes of the library's defaults `def` (def_size bytes, the
 * size field included), zeroes beyond def_size, and the caller's size in the
 * size field.  Nothing beyond `size` is written.  0, or -EINVAL for a NULL
 * opts or a size smaller than the size field.
 */
int ctr_init_options(void *opts, size_t size, const void *def, size_t def_size);

/*
 * Copy the first opts->size bytes of a caller's options struct into a local
 * struct of our size that holds the defaults already (so the fields of a
 * smaller struct from an older caller keep their defaults), refusing a larger
 * one whose unknown tail is not zero.
 */
int ctr_copy_options(void *dst, size_t dst_size, const void *src, size_t src_size, const char *what,
		     ctr_error **err);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int ctr_read_file(const char *path, size_t max, char **out, size_t *len, ctr_error **err);

/*
 * /proc/self/mountinfo and /proc/self/cgroup, read at most once for one
 * create: the plan (the cgroup mount's hierarchies) and the cgroup layout
 * parse the same text, and reading mountinfo costs about 28 us here (the
 * kernel renders every mount).  Zero-initialised; ctr_host_snap_free after.
 */
struct ctr_host_snap {
	ctr_context *ctx; /* the mount table from this context's copy (re-read when it changed); NULL: read it */
	char *mountinfo, *cgroup;
	size_t mountinfo_len, cgroup_len;
};
/* A malloc'ed, NUL-terminated copy of /proc/self/<which> ("mountinfo" or
 * "cgroup") for the caller to cut up, read on snap's first use (snap NULL:
 * read now, no snapshot). */
int ctr_host_snap_read(struct ctr_host_snap *snap, const char *which, char **out, size_t *len, ctr_error **err);
void ctr_host_snap_free(struct ctr_host_snap *snap);
/*
 * Write all of buf to fd (at off with pwrite, or at the file offset when off
 * is -1), retrying short writes and EINTR: 0, or -errno of the write that
 * failed.  A short write leaves errno untouched, so "write() != len" must
 * never be reported with errno: on a full file system the short write comes
 * first and only the next one says ENOSPC.  A write that makes no progress
 * without an error is -EIO.
 */
int ctr_write_all(int fd, const void *buf, size_t len, off_t off);
/*
 * Write a file atomically: a new temporary file in the same directory, fsync,
 * rename over path.  The temporary file is created with O_CREAT | O_EXCL |
 * O_NOFOLLOW under an unpredictable name (".<name>.tmp.<64 random bits>",
 * another name on EEXIST), so a symlink, a hard link or a file planted in
 * the directory is never followed, truncated or renamed into place; it is
 * removed on every error.
 */
int ctr_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode, ctr_error **err);
/* The same for name in the directory dirfd (dir names it in errors); CTR_WRITE_FSYNC fsyncs before the rename. */
#define CTR_WRITE_FSYNC 1u
int ctr_write_file_atomic_at(int dirfd, const char *dir, const char *name, const void *buf, size_t len, unsigned mode,
			     unsigned flags, ctr_error **err);
/* For the tests: the random bits of each temporary name from rnd (0 or -errno) instead of getrandom(). */
int ctr_write_file_atomic_rnd(int dirfd, const char *dir, const char *name, const void *buf, size_t len,
			      unsigned mode, unsigned flags, int (*rnd)(void *arg, uint64_t *out), void *arg,
			      ctr_error **err);

/*
 * A growing string for documents written by hand where json-c's object tree
 * costs more than the document (state.json, leases.json, /etc/hosts): once
 * out of memory, oom is set and adds do nothing (check it once at the end);
 * s is NUL-terminated.  Free s with free().
 */
struct ctr_sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};
void ctr_sb_add(struct ctr_sbuf *b, const char *s, size_t n);
void ctr_sb_puts(struct ctr_sbuf *b, const char *s);
/* for short pieces (numbers, fixed names): more than 255 bytes sets oom */
void ctr_sb_printf(struct ctr_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string: '"', '\\' and the control characters escaped, every other byte as it is (json-c's
 * own printer does the same; a path need not be UTF-8); NULL as "" */
void ctr_sb_json_str(struct ctr_sbuf *b, const char *s);

/* Duplicate a NULL-terminated string vector; NULL in gives NULL out (not an error). */
char **ctr_strv_dup(const char *const *v);
size_t ctr_strv_len(const char *const *v);

/*
 * The entries of dir (not starting with '.') that hold a file `marker`
 * (containers: state.json, networks: network.json), sorted, NULL-terminated;
 * a missing dir gives an empty list.  `what` names dir in errors.
 */
int ctr_list_dir_with(const char *dir, const char *marker, const char *what, char ***out, ctr_error **err);

/*
 * An optional library opened on first use (libcrypto, libcurl, isa-l,
 * libnftnl: each only some commands need, and a linked library is mapped and
 * relocated by every process at every start): dlopen soname (RTLD_NOW,
 * RTLD_LOCAL) and look up the n symbols names into syms (POSIX: a function
 * pointer is copied out of dlsym's void * with memcpy).  0, or -1 with why
 * saying what failed (the handle then stays open: dlclose is not safe
 * against other users).  Callers run it once, under pthread_once.
 */
int ctr_dl_open(const char *soname, const char *const *names, void **syms, size_t n, char *why, size_t why_len);

/*
 * A cancel flag (ctr_image_options.cancel, set by the caller from another
 * thread or a signal handler; a pull's own stop flag, set by whichever of its
 * threads fails first) is polled by workers without a lock: every access is
 * atomic (relaxed: the flag only asks them to stop, it publishes no data).
 */
static inline bool ctr_cancelled(const volatile int *flag)
{
	return flag && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}
static inline void ctr_cancel_set(volatile int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
}

/* Validate a container id. */
int ctr_validate_id(const char *id, ctr_error **err);
/*
 * The absolute path of the program name (no '/') that a helper run by the
 * library is: the first executable <dir>/name for dir in $PATH, then in
 * /usr/local/bin, /usr/bin, /usr/sbin, /bin, /sbin; malloc'ed, or NULL.  $PATH
 * is read with secure_getenv(): a set-id program embedding libctr never runs
 * a helper from a directory its caller named.  Relative $PATH entries are
 * skipped.
 */
char *ctr_find_program(const char *name);

#endif

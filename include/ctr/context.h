/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/context.h
 * The library context: state root, logging, user data.
 *
 * A context holds no hidden global state; several contexts may live in one
 * process.  Threads: after ctr_context_new() the only things a context
 * changes are the init stub's memfd, its copy of the mount table and its
 * spare network and IPC namespaces, each under a lock of its own, so
 * several threads may use one context at the same time for calls on
 * different handles (each handle by one thread at a time); its log callback
 * may then be called from those threads at once.  ctr_context_set_log_level()
 * and ctr_context_free() must not run while another thread uses the
 * context.  Handles made from a context (containers, registries, stores,
 * networks) must be freed before it.
 *
 * A context holds the init stub's sealed memfd (see README "Security
 * model") from its first container create or exec on (or from
 * ctr_context_warm(), which makes it and reads the mount table below on a
 * thread of the context ahead of the first create), and, once it has
 * created two containers with a new network namespace (root, no user
 * namespace), one more: a network namespace made by a thread of the
 * context while a started container runs, for the next create's child to
 * enter instead of making its own (about 290 us of every create, more
 * behind the teardown of the previous one's); likewise, after two with a
 * new IPC namespace, an IPC namespace (about 35 us of clone3, for 7-9 of
 * setns; an IPC namespace starts empty with the kernel's default limits
 * whoever makes it).  From its first create it also keeps
 * /proc/self/mountinfo open and the text it last read: the next create
 * reads the table again only when poll() on that file says it changed, or
 * the file would show another table (another mount namespace or root
 * directory, a forked child); reading it costs about 25 us here.
 * ctr_context_free() joins those threads and closes them all.
 */
#ifndef CTR_CONTEXT_H
#define CTR_CONTEXT_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The library context. */
typedef struct ctr_context ctr_context;

/** Log levels, with syslog's numbers. */
typedef enum ctr_log_level {
	CTR_LOG_ERROR = 3,
	CTR_LOG_WARNING = 4,
	CTR_LOG_INFO = 6,
	CTR_LOG_DEBUG = 7
} ctr_log_level;

/**
 * Log callback.  Called from the thread that made the library call, never
 * from a container process.
 *
 * @param userdata the log_userdata given in ctr_context_options
 * @param level    severity of the message
 * @param msg      the message, without a trailing newline
 */
typedef void (*ctr_log_fn)(void *userdata, ctr_log_level level, const char *msg);

/** Options for ctr_context_new(); initialise with ctr_context_options_init(). */
typedef struct ctr_context_options {
	size_t size;             /**< sizeof(ctr_context_options), set by the init function */
	const char *state_root;  /**< where container state lives; NULL: "/run/ctr" for root, else $XDG_RUNTIME_DIR/ctr (or /run/user/UID/ctr) */
	ctr_log_fn log_fn;       /**< log callback; NULL: no logging */
	void *log_userdata;      /**< passed to log_fn */
	int log_level;           /**< highest ctr_log_level delivered; 0: CTR_LOG_WARNING */
	void *userdata;          /**< opaque pointer for the caller, see ctr_context_userdata() */
} ctr_context_options;

/**
 * Initialise context options to their defaults, for a struct of `size` bytes:
 * the caller's sizeof(ctr_context_options), which the library records in the
 * size field.  Fields beyond `size` (a caller built against older headers)
 * are never written; the library uses their defaults.  Call it through
 * ctr_context_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_context_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_context_options_init_sized(ctr_context_options *opts, size_t size);

/**
 * Initialise context options to their defaults:
 * ctr_context_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_context_options_init(ctr_context_options *opts)
{
	(void)ctr_context_options_init_sized(opts, sizeof(*opts));
}

/**
 * Create a context.  Nothing is created on disk: the state root is made
 * when the first container is.
 *
 * @param out  receives the context
 * @param opts options, or NULL for defaults
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL (CTR_E_INVALID) for a state root (or, without one, a
 *         $XDG_RUNTIME_DIR) that is not absolute; -E2BIG for options from
 *         newer headers that set fields this library does not know;
 *         -EACCES (CTR_E_INVALID) when no state root is given, the caller is
 *         not root, $XDG_RUNTIME_DIR is unset and /run/user/UID is not its
 *         directory; -ENOMEM
 */
int ctr_context_new(ctr_context **out, const ctr_context_options *opts, ctr_error **err);

/**
 * Start making, on a thread of the context placed on another CPU than the
 * caller's, what container creates and execs keep in it (the init stub's
 * sealed memfd and the copy of the mount table, see above), and return at
 * once.  For a program that creates or execs a container right after
 * making its context, such as a runtime's command line: the first create
 * otherwise makes them on its own path before the clone (about 100 us
 * here), while the second CPU idles; made here, they are ready by the time
 * the caller has loaded its config.  A create or exec that comes first
 * makes or waits for them under the context's locks, as it would without
 * this call.  Does nothing when the context has them already, when called
 * again, or when the process may run on one CPU only (the thread would
 * only take turns with the caller).  A create or exec that passes fds (preserve_fds) waits for the
 * thread to finish, so that an fd it opens is never taken for the
 * caller's.  Failures are not reported here: the create or exec that
 * needs the memfd makes it and reports them.  ctr_context_free() waits
 * for the thread.  Thread-safe.
 *
 * @param ctx the context; NULL does nothing
 */
void ctr_context_warm(ctr_context *ctx);

/**
 * Free a context (containers and other state on disk are untouched).
 *
 * @param ctx the context; NULL is allowed
 */
void ctr_context_free(ctr_context *ctx);

/**
 * The state root of a context.
 *
 * @param ctx the context
 * @return the absolute directory, owned by the context
 */
const char *ctr_context_state_root(const ctr_context *ctx);

/**
 * The caller's pointer given at creation (ctr_context_options.userdata).
 *
 * @param ctx the context
 * @return the pointer, NULL when none was given
 */
void *ctr_context_userdata(const ctr_context *ctx);

/**
 * Change the log level of a context.  Not while another thread uses it.
 *
 * @param ctx   the context
 * @param level the highest ctr_log_level delivered; 0: CTR_LOG_WARNING
 */
void ctr_context_set_log_level(ctr_context *ctx, int level);

#ifdef __cplusplus
}
#endif
#endif

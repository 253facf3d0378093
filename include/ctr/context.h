/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/context.h
 * The library context: state root, logging, user data.
 *
 * A context holds no hidden global state; several contexts may live in one
 * process.  A context is not locked internally: use one per thread, or
 * serialize calls on it.  Container handles made from a context must be freed
 * before the context.
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
	const char *state_root;  /**< where container state lives; NULL: "/run/ctr" for root, else $XDG_RUNTIME_DIR/ctr (or /run/user/<uid>/ctr) */
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

/** Initialise context options to their defaults: ctr_context_options_init_sized(opts, sizeof(*opts)). */
static inline void ctr_context_options_init(ctr_context_options *opts)
{
	(void)ctr_context_options_init_sized(opts, sizeof(*opts));
}

/**
 * Create a context.
 *
 * @param out  receives the context
 * @param opts options, or NULL for defaults
 * @param err  receives an error on failure; may be NULL
 * @return 0 or a negative errno
 */
int ctr_context_new(ctr_context **out, const ctr_context_options *opts, ctr_error **err);

/** Free a context; NULL is allowed. */
void ctr_context_free(ctr_context *ctx);

/** The state root of the context (owned by the context). */
const char *ctr_context_state_root(const ctr_context *ctx);

/** The userdata pointer given at creation. */
void *ctr_context_userdata(const ctr_context *ctx);

/** Change the log level of a context. */
void ctr_context_set_log_level(ctr_context *ctx, int level);

#ifdef __cplusplus
}
#endif
#endif

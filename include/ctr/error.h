/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/error.h
 * Per-call error objects.
 *
 * Every fallible function returns 0 on success (or a documented
 * non-negative value) or a negative errno value, and takes a
 * `ctr_error **err` as its last argument.  When `err` is not NULL, `*err` is
 * NULL and the call fails, `*err` receives a newly allocated error object
 * that the caller frees with ctr_error_free(); an `*err` that is already set
 * is left alone (the first error wins).  There is no thread-local "last
 * error".
 *
 * Each function's documentation lists the errno values a caller can act on.
 * Besides those, any of them may return -ENOMEM (code CTR_E_NOMEM) when
 * memory runs out and -EINVAL (CTR_E_INVALID) for a NULL handle or a NULL
 * required argument; a function that makes system calls may return the
 * errno of one that failed (CTR_E_SYSTEM, the message names the call and
 * the path).  Errors are values, never process state: the library does not
 * print, exit or abort on them.
 */
#ifndef CTR_ERROR_H
#define CTR_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/** An error: an errno value, a stable code and a human-readable message. */
typedef struct ctr_error ctr_error;

/** Stable error codes; new codes are only ever appended. */
typedef enum ctr_error_code {
	CTR_E_OK = 0,          /**< no error */
	CTR_E_INVALID = 1,     /**< an argument or option is invalid */
	CTR_E_NOMEM = 2,       /**< out of memory */
	CTR_E_SYSTEM = 3,      /**< a system call failed; see ctr_error_errno() */
	CTR_E_PARSE = 4,       /**< a document is not well-formed JSON */
	CTR_E_SPEC = 5,        /**< a config.json is well-formed but violates the runtime-spec */
	CTR_E_NOT_FOUND = 6,   /**< a container, file or entry does not exist */
	CTR_E_EXISTS = 7,      /**< a container with that id already exists */
	CTR_E_STATE = 8,       /**< the operation is not allowed in the container's current state */
	CTR_E_HOOK = 9,        /**< a lifecycle hook failed or timed out */
	CTR_E_UNSUPPORTED = 10,/**< the kernel or build lacks what the request needs */
	CTR_E_CHILD = 11       /**< the container process failed during setup */
} ctr_error_code;

/**
 * The errno value behind an error.
 *
 * @param e the error; may be NULL
 * @return the positive errno (the negation of what the failed call
 *         returned), 0 for a NULL error
 */
int ctr_error_errno(const ctr_error *e);

/**
 * The stable code of an error.
 *
 * @param e the error; may be NULL
 * @return its code, CTR_E_OK for a NULL error
 */
ctr_error_code ctr_error_code_of(const ctr_error *e);

/**
 * The message, with context, e.g.
 * "config.json: linux.namespaces[2].type: unknown namespace 'foo'".
 *
 * @param e the error; may be NULL
 * @return the message, owned by the error object; "" for a NULL error
 */
const char *ctr_error_message(const ctr_error *e);

/**
 * A short name for a code, e.g. "spec" for CTR_E_SPEC.
 *
 * @param code an error code
 * @return a static string; "unknown" for a value that is not a code
 */
const char *ctr_error_code_name(ctr_error_code code);

/**
 * Free an error object.
 *
 * @param e the error; NULL is allowed
 */
void ctr_error_free(ctr_error *e);

/**
 * Free memory (strings, buffers) that the library handed to the caller.
 *
 * @param p what the library returned; NULL is allowed
 */
void ctr_free(void *p);

/**
 * Free a NULL-terminated array of strings that the library handed to the
 * caller, and its strings.
 *
 * @param v the array; NULL is allowed
 */
void ctr_strv_free(char **v);

#ifdef __cplusplus
}
#endif
#endif

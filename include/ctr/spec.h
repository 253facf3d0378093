/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/spec.h
 * OCI runtime-spec configuration (config.json) handles.
 *
 * A spec handle holds a whole config.json.  Fields this library does not know
 * are kept and written back unchanged by ctr_spec_to_json().  Loading checks
 * that the document is well-formed and that every known field has the type
 * and value the runtime-spec requires; errors name the JSON path, e.g.
 * "config.json: process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'".
 *
 * A spec handle may be used from one thread at a time; specs are
 * independent of each other and of any context.
 */
#ifndef CTR_SPEC_H
#define CTR_SPEC_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An OCI runtime configuration. */
typedef struct ctr_spec ctr_spec;

/**
 * A new spec with the defaults `runc spec` writes: /bin/sh in a rootfs
 * directory named "rootfs", new pid/network/ipc/uts/mount/cgroup namespaces,
 * the standard mounts, masked and readonly paths.  Unlike runc, process.terminal
 * is false (so a non-interactive run works without a console) and the
 * hostname is "ctr".
 *
 * @param out receives the spec; free it with ctr_spec_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_spec_new_default(ctr_spec **out, ctr_error **err);

/**
 * Parse and validate a config.json held in memory.
 *
 * @param out  receives the spec; free it with ctr_spec_free()
 * @param buf  the JSON text (need not be NUL-terminated)
 * @param len  its length in bytes
 * @param name what to call the document in error messages (NULL: "config.json")
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL with CTR_E_PARSE for text that is not JSON, with
 *         CTR_E_SPEC for a document that breaks the runtime-spec (the
 *         message names the JSON path); -ENOMEM
 */
int ctr_spec_load_buffer(ctr_spec **out, const char *buf, size_t len, const char *name,
			 ctr_error **err);

/**
 * Read, parse and validate a config.json file.  Errors name the file.
 *
 * @param out  receives the spec; free it with ctr_spec_free()
 * @param path path of the file
 * @param err  receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such file; -EFBIG
 *         for a file over 16 MiB; another errno of open or read
 *         (CTR_E_SYSTEM); the errors of ctr_spec_load_buffer()
 */
int ctr_spec_load_file(ctr_spec **out, const char *path, ctr_error **err);

/**
 * A deep copy of a spec.
 *
 * @param out  receives the copy; free it with ctr_spec_free()
 * @param spec the spec
 * @param err  receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_spec_copy(ctr_spec **out, const ctr_spec *spec, ctr_error **err);

/**
 * Free a spec.
 *
 * @param spec the spec; NULL is allowed
 */
void ctr_spec_free(ctr_spec *spec);

/**
 * Validate the spec as it is now (after setters).  ctr_container_create()
 * does this too.
 *
 * @param spec the spec
 * @param err  receives an error on failure; may be NULL
 * @return 0, or -EINVAL (CTR_E_SPEC) with a message naming the JSON path
 */
int ctr_spec_validate(const ctr_spec *spec, ctr_error **err);

/**
 * Validate a runtime-spec linux.resources object given as JSON (what
 * ctr_container_update() takes) with the same typed checks as config.json
 * (types, ranges, required members), and also refuse unknown fields, since
 * in an update a misspelt field ("limt") would silently change nothing.
 * Errors name the document and the path: "res.json: memory.limit: expected
 * an integer, got string" (CTR_E_PARSE when it is not JSON, else
 * CTR_E_SPEC).
 *
 * @param json the document; need not be NUL-terminated
 * @param len  its length in bytes
 * @param name the document's name for messages (a file name, "-" for
 *             stdin); NULL: "resources"
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL with CTR_E_PARSE for a document that is not a JSON
 *         object, CTR_E_SPEC for a field of the wrong type or range or an
 *         unknown one, CTR_E_INVALID for a NULL json with a nonzero len;
 *         -EFBIG (CTR_E_PARSE) for a document too large to parse; -ENOMEM
 */
int ctr_resources_validate(const char *json, size_t len, const char *name, ctr_error **err);

/**
 * Serialize to JSON, unknown fields included.
 *
 * @param spec   the spec
 * @param out    receives a NUL-terminated string, free it with ctr_free()
 * @param len    receives the length without the NUL; may be NULL
 * @param pretty nonzero for indented output
 * @param err    receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_spec_to_json(const ctr_spec *spec, char **out, size_t *len, int pretty, ctr_error **err);

/**
 * Write the spec as JSON to a file, atomically: a new temporary file in the
 * same directory (O_EXCL, unpredictable name), then rename over path.
 *
 * @param spec the spec
 * @param path the file, created with mode 0644 or replaced
 * @param err  receives an error on failure; may be NULL
 * @return 0 or the errno of the write that failed (CTR_E_SYSTEM, the
 *         message names the file); nothing is left behind on failure
 */
int ctr_spec_save_file(const ctr_spec *spec, const char *path, ctr_error **err);

/**
 * Set process.args.
 *
 * @param spec the spec
 * @param argv a NULL-terminated array with at least one element
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for an empty argv or a spec whose process is not an
 *         object, -ENOMEM
 */
int ctr_spec_set_args(ctr_spec *spec, const char *const *argv, ctr_error **err);

/**
 * Set (or replace) one variable in process.env.
 *
 * @param spec  the spec
 * @param name  the name, without '='
 * @param value the value; NULL: ""
 * @param err   receives an error on failure; may be NULL
 * @return 0, -EINVAL for an empty name or one with '=', -ENOMEM
 */
int ctr_spec_set_env(ctr_spec *spec, const char *name, const char *value, ctr_error **err);

/**
 * Remove a variable from process.env; a missing one is not an error.
 *
 * @param spec the spec
 * @param name the name, without '='
 * @param err  receives an error on failure; may be NULL
 * @return 0 or -EINVAL for an empty name or one with '='
 */
int ctr_spec_unset_env(ctr_spec *spec, const char *name, ctr_error **err);

/**
 * Set process.cwd.
 *
 * @param spec the spec
 * @param cwd  an absolute path in the container
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for a relative path, -ENOMEM
 */
int ctr_spec_set_cwd(ctr_spec *spec, const char *cwd, ctr_error **err);

/**
 * Set process.user.uid and process.user.gid.
 *
 * @param spec the spec
 * @param uid  the user id in the container
 * @param gid  the group id in the container
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for (unsigned)-1, -ENOMEM
 */
int ctr_spec_set_user(ctr_spec *spec, unsigned uid, unsigned gid, ctr_error **err);

/**
 * Set process.terminal.
 *
 * @param spec     the spec
 * @param terminal nonzero: the process gets a pty (see
 *                 ctr_create_options.console_socket)
 * @param err      receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_spec_set_terminal(ctr_spec *spec, int terminal, ctr_error **err);

/**
 * Set hostname.
 *
 * @param spec     the spec
 * @param hostname at most 64 bytes; NULL removes it
 * @param err      receives an error on failure; may be NULL
 * @return 0, -EINVAL for a longer name, -ENOMEM
 */
int ctr_spec_set_hostname(ctr_spec *spec, const char *hostname, ctr_error **err);

/**
 * Set root.path and root.readonly.
 *
 * @param spec     the spec
 * @param path     the root filesystem, absolute or relative to the bundle
 * @param readonly nonzero: mount it read-only
 * @param err      receives an error on failure; may be NULL
 * @return 0, -EINVAL for an empty path, -ENOMEM
 */
int ctr_spec_set_root(ctr_spec *spec, const char *path, int readonly, ctr_error **err);

/**
 * Add a mount, replacing any mount with the same destination.
 *
 * @param spec        the spec
 * @param destination absolute path in the container
 * @param type        filesystem type, e.g. "tmpfs" or "bind"; may be NULL
 * @param source      source; may be NULL
 * @param options     NULL-terminated mount options, e.g. {"rbind","ro",NULL}; may be NULL
 * @param err         receives an error on failure; may be NULL
 * @return 0, -EINVAL for a relative destination, -ENOMEM
 */
int ctr_spec_add_mount(ctr_spec *spec, const char *destination, const char *type,
		       const char *source, const char *const *options, ctr_error **err);

/**
 * Remove the mount with this destination.
 *
 * @param spec        the spec
 * @param destination its destination
 * @param err         receives an error on failure; may be NULL
 * @return 0, -ENOENT (CTR_E_NOT_FOUND) when there is none
 */
int ctr_spec_remove_mount(ctr_spec *spec, const char *destination, ctr_error **err);

/**
 * Add or change a namespace in linux.namespaces.
 *
 * @param spec the spec
 * @param type "pid", "network", "mount", "ipc", "uts", "user", "cgroup" or "time"
 * @param path a namespace file to join, or NULL for a new namespace
 * @param err  receives an error on failure; may be NULL
 * @return 0, -EINVAL for an unknown type, -ENOMEM
 */
int ctr_spec_set_namespace(ctr_spec *spec, const char *type, const char *path, ctr_error **err);

/**
 * Remove a namespace type from linux.namespaces: the container shares the
 * runtime's.  A type that is not there is not an error.
 *
 * @param spec the spec
 * @param type as for ctr_spec_set_namespace()
 * @param err  receives an error on failure; may be NULL
 * @return 0 or -EINVAL for an unknown type
 */
int ctr_spec_remove_namespace(ctr_spec *spec, const char *type, ctr_error **err);

/**
 * Set an annotation.
 *
 * @param spec  the spec
 * @param key   a non-empty key
 * @param value the value; NULL removes the annotation
 * @param err   receives an error on failure; may be NULL
 * @return 0, -EINVAL for an empty key, -ENOMEM
 */
int ctr_spec_set_annotation(ctr_spec *spec, const char *key, const char *value, ctr_error **err);

/**
 * Read an annotation.
 *
 * @param spec the spec
 * @param key  the key
 * @return the value owned by the spec (valid until the next change), or
 *         NULL when there is none
 */
const char *ctr_spec_get_annotation(const ctr_spec *spec, const char *key);

/**
 * Call @p fn for each annotation whose value is a string, in the spec's
 * order, until it returns non-zero.
 *
 * @param spec the spec
 * @param fn   called with the key and the value (both owned by the spec;
 *             @p fn must not change the spec) and @p ud
 * @param ud   passed to @p fn
 * @return 0 when @p fn returned 0 for every annotation (or there are none),
 *         else the first non-zero value it returned
 */
int ctr_spec_foreach_annotation(const ctr_spec *spec,
				int (*fn)(const char *key, const char *value, void *ud), void *ud);

/**
 * process.terminal of the spec.
 *
 * @param spec the spec
 * @return 1 when process.terminal is true, 0 when it is false or absent
 */
int ctr_spec_get_terminal(const ctr_spec *spec);

/**
 * The value of a variable in process.env: the first entry that sets it, as
 * getenv(3) in the container finds it.
 *
 * @param spec the spec
 * @param name the variable's name
 * @return the value (the text after "NAME="), owned by the spec and valid
 *         until the next change, or NULL when no entry sets it
 */
const char *ctr_spec_get_env(const ctr_spec *spec, const char *name);

/**
 * The ociVersion of the spec.
 *
 * @param spec the spec
 * @return the version string, owned by the spec
 */
const char *ctr_spec_oci_version(const ctr_spec *spec);

#ifdef __cplusplus
}
#endif
#endif

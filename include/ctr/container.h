/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/container.h
 * Container lifecycle: create, start, state, kill, wait, exec, delete.
 *
 * The lifecycle follows the OCI runtime-spec's runtime.md.  ctr_container_create()
 * prepares everything and leaves the container process blocked just before it
 * executes the user program; ctr_container_start() releases it.  State is kept
 * under the context's state root, so another process (a CLI, a restarted
 * daemon) can load the container with ctr_container_load() and start, query,
 * signal, exec into or delete it.
 *
 * The process that creates a container is the parent of the container's init
 * process, so it can reap it with ctr_container_wait().
 *
 * A handle may be used from one thread at a time.
 *
 * File descriptors a handle holds in the calling process (all close-on-exec):
 *  - from ctr_container_create(): the container's state directory, a pidfd
 *    of its init, and one O_PATH descriptor per cgroup directory of the
 *    container: one per cgroup v1 hierarchy it is placed in plus the
 *    unified one (on a hybrid host with every v1 controller mounted, about
 *    10), so about 12 in all;
 *  - from ctr_container_load(): the state directory and the pidfd (2); a
 *    call that works through the cgroups (pause, resume, update, pids,
 *    stats, oom_kills, kill with CTR_KILL_ALL, delete) opens the cgroup
 *    directories it needs and keeps them until the handle is freed;
 *  - the context holds one more, the init stub's sealed memfd, from its
 *    first create or exec until ctr_context_free() (and /proc/self/mountinfo
 *    from its first create, network and IPC namespaces made ahead for the
 *    next create, see ctr/context.h).
 * ctr_container_free() closes them all (ctr_container_take_console()'s fd
 * excepted: it is the caller's).  A process that keeps thousands of
 * containers should keep their ids and load a handle when it needs one, or
 * raise RLIMIT_NOFILE.
 */
#ifndef CTR_CONTAINER_H
#define CTR_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "context.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A container. */
typedef struct ctr_container ctr_container;

/** Container status, as the runtime-spec's state names it. */
typedef enum ctr_status {
	CTR_STATUS_UNKNOWN = 0,
	CTR_STATUS_CREATING = 1, /**< create has begun but not finished (or crashed) */
	CTR_STATUS_CREATED = 2,  /**< set up; the user program has not been started */
	CTR_STATUS_RUNNING = 3,  /**< the user program runs */
	CTR_STATUS_STOPPED = 4,  /**< the container process has exited */
	CTR_STATUS_PAUSED = 5    /**< frozen (cgroup freezer) */
} ctr_status;

/**
 * The runtime-spec name of a status.
 *
 * @param status a status
 * @return "creating", "created", "running", "stopped" or "paused"; "unknown"
 *         for CTR_STATUS_UNKNOWN or another value (a static string)
 */
const char *ctr_status_name(ctr_status status);

/** Flags for ctr_create_options.flags. */
enum ctr_create_flag {
	CTR_CREATE_NO_PIVOT = 1u << 0,       /**< use MS_MOVE + chroot instead of pivot_root (for ramfs roots) */
	CTR_CREATE_NO_NEW_KEYRING = 1u << 1, /**< do not give the container its own session keyring */
	CTR_CREATE_STDIO_INHERIT_NONE = 1u << 2, /**< do not inherit the caller's stdio when stdio_fds are -1; use /dev/null */
	CTR_CREATE_SYSTEMD_CGROUP = 1u << 3, /**< read linux.cgroupsPath as systemd's "slice:prefix:name" (runc's --systemd-cgroup), mapped to the cgroupfs layout systemd uses */
	CTR_CREATE_STDIO_PIPES = 1u << 4, /**< since 0.2: the container's stdin, stdout and stderr are pipes whose other ends ctr_container_take_stdio() gives (stdio_fds must be -1) */
	/**
	 * since 0.2: start the container as part of the create (runc's and
	 * crun's `run`): create returns with the program running, as create
	 * then ctr_container_start() would leave it, the startContainer and
	 * poststart hooks run, without the round trip of a separate start.
	 * A start that fails (the program cannot be executed, a
	 * startContainer or poststart hook fails) fails the create, which then
	 * leaves nothing behind and runs the poststop hooks.  With
	 * process.terminal the program may write to the pty before the
	 * caller takes its master (ctr_container_take_console()).
	 */
	CTR_CREATE_START = 1u << 5
};

/** Options for ctr_container_create(); initialise with ctr_create_options_init(). */
typedef struct ctr_create_options {
	size_t size;                /**< sizeof(ctr_create_options), set by the init function */
	const char *bundle;         /**< bundle directory: root.path is relative to it; NULL: cwd */
	const char *console_socket; /**< AF_UNIX socket path that receives the pty master (SCM_RIGHTS) when process.terminal is set */
	const char *pid_file;       /**< write the init's host pid here */
	int stdio_fds[3];           /**< fds to use as the container's stdin/out/err; -1: inherit the caller's */
	int preserve_fds;           /**< pass this many extra fds (3 .. 3+n-1) to the container */
	unsigned flags;             /**< CTR_CREATE_* flags */
	/**
	 * When set, the devices named by the spec's CDI annotations
	 * ("cdi.k8s.io/<key>": "vendor/class=name,...") are resolved through
	 * this registry (see ctr/accel.h, ctr_accel_apply_annotations()) and
	 * applied to the container's copy of the spec at create, before it is
	 * validated; an unknown device fails the create.  NULL: the annotations
	 * are ignored.  Borrowed for the duration of the call.
	 */
	struct ctr_accel_registry *accel;
	/**
	 * The container's network (see ctr/network.h, ctr_net_request_new()):
	 * "none" (a new network namespace with only loopback, up), "host" (the
	 * runtime's namespace), "container:<id>" (that container's), or a
	 * bridge network, attached after the container process exists and
	 * before create returns, with /etc/hosts, /etc/hostname and
	 * /etc/resolv.conf bind-mounted from the state directory (bridge and
	 * none; none's resolv.conf is the host's, as podman's).  Delete detaches it, also after a crash
	 * half-way through create.  NULL: the spec's namespaces as they are.
	 * Borrowed for the duration of the call.
	 */
	const struct ctr_net_request *network;
	/**
	 * With image: the container's rootfs is the stored image `image` of
	 * this store (see ctr/image.h), mounted at create as an overlay of its
	 * layers (a flat copy where overlayfs is missing) inside the state
	 * dir, in place of the spec's root.path; delete unmounts and removes
	 * it.  Get a matching spec from ctr_image_spec().  Borrowed for the
	 * duration of the call.
	 */
	struct ctr_image_store *image_store;
	const char *image;           /**< a stored image's name; NULL: the spec's root.path */
	/**
	 * Since 0.2: the longest create may wait for the container process
	 * (its setup, the createContainer hooks run there; with
	 * CTR_CREATE_START also the startContainer hooks and the exec of the
	 * program) in milliseconds; when
	 * it runs out, the process is killed, everything undone and create
	 * fails with -ETIMEDOUT.  0: no limit.  The hooks of the runtime
	 * namespace keep their own timeouts.
	 */
	int64_t timeout_ms;
} ctr_create_options;

/**
 * Initialise create options to their defaults (stdio_fds -1, everything else
 * 0 or NULL), for a struct of `size` bytes: the caller's
 * sizeof(ctr_create_options), which the library records in the size field.
 * Fields beyond `size` (a caller built against older headers) are never
 * written; the library uses their defaults.  Call it through
 * ctr_create_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_create_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_create_options_init_sized(ctr_create_options *opts, size_t size);

/**
 * Initialise create options to their defaults (stdio_fds -1, everything else 0 or NULL):
 * ctr_create_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_create_options_init(ctr_create_options *opts)
{
	(void)ctr_create_options_init_sized(opts, sizeof(*opts));
}

/**
 * Create a container: namespaces, rootfs, mounts, devices, cgroups,
 * network, accelerators, hooks (prestart, createRuntime, createContainer),
 * leaving the container process blocked before it executes the user
 * program (or, with CTR_CREATE_START, started).  On failure nothing is left
 * behind: no process, state directory, mount, cgroup, veth or lease.
 *
 * The calling process becomes the parent of the container's init (see
 * ctr_container_wait()).  The caller's fds other than opts->stdio_fds and
 * the preserve_fds range are never seen by the container.
 *
 * @param ctx  the context
 * @param out  receives the container handle; free it with ctr_container_free()
 * @param id   container id: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 1024 bytes
 * @param spec the configuration (copied; the caller keeps ownership)
 * @param opts options, or NULL for defaults
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EEXIST (CTR_E_EXISTS) when the id is taken; -EINVAL with
 *         CTR_E_INVALID for a bad id or option, CTR_E_SPEC for a spec this
 *         host cannot run as written (the message names the JSON path);
 *         -E2BIG for options from newer headers that set unknown fields;
 *         -ENOENT for a missing bundle, rootfs, image or network (the
 *         message names it); -ENOTSUP (CTR_E_UNSUPPORTED) for what this kernel lacks;
 *         CTR_E_HOOK when a hook fails or times out; CTR_E_CHILD with the
 *         errno of the step that failed in the container process; -EACCES or
 *         -EPERM without the privileges the spec needs; with
 *         CTR_CREATE_START also what ctr_container_start() returns
 */
int ctr_container_create(ctr_context *ctx, ctr_container **out, const char *id,
			 const ctr_spec *spec, const ctr_create_options *opts, ctr_error **err);

/**
 * Load a container that exists under the context's state root (created by
 * this or another process).  The handle holds the state directory and a
 * pidfd of the init while it is alive.
 *
 * @param ctx the context
 * @param out receives the handle; free it with ctr_container_free()
 * @param id  the container id
 * @param err receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such container;
 *         -EINVAL for a bad id or an unreadable state (the message names the
 *         file)
 */
int ctr_container_load(ctr_context *ctx, ctr_container **out, const char *id, ctr_error **err);

/**
 * Start a created container: the init executes the user program (its
 * user, capabilities, seccomp filter and the startContainer hooks are
 * applied first), then the poststart hooks run in the caller.
 *
 * @param c   the container
 * @param err receives an error on failure; may be NULL
 * @return 0; -EBUSY (CTR_E_STATE) when it is not in the created state;
 *         CTR_E_CHILD with the errno of the step that failed in the
 *         container (the program could not be executed); CTR_E_HOOK when a
 *         startContainer or poststart hook failed: the container is then
 *         stopped and deleted, and its poststop hooks run (runtime-spec
 *         1.3.0, steps 7 and 9)
 */
int ctr_container_start(ctr_container *c, ctr_error **err);

/**
 * Refresh and return the status: reads the state file (another process may
 * have started or paused the container) and whether the init is alive.
 *
 * @param c the container
 * @return the status; CTR_STATUS_UNKNOWN for a NULL handle
 */
ctr_status ctr_container_status(ctr_container *c);

/**
 * The container id.
 *
 * @param c the container
 * @return the id, owned by the handle
 */
const char *ctr_container_id(const ctr_container *c);

/**
 * The init process's pid in the caller's pid namespace.
 *
 * @param c the container
 * @return the pid, 0 when it has none (created by nobody or deleted)
 */
pid_t ctr_container_pid(const ctr_container *c);

/**
 * A pidfd of the init process.  Poll it for POLLIN (or add it to an epoll
 * set) to learn, without blocking, when the container exits; then
 * ctr_container_wait() returns at once.
 *
 * @param c the container
 * @return the fd, owned by the handle (do not close it), or -1 when the
 *         process is gone or the handle has none
 */
int ctr_container_pidfd(ctr_container *c);

/**
 * The absolute bundle path.
 *
 * @param c the container
 * @return the path, owned by the handle
 */
const char *ctr_container_bundle(const ctr_container *c);

/**
 * The absolute rootfs path.
 *
 * @param c the container
 * @return the path, owned by the handle
 */
const char *ctr_container_rootfs(const ctr_container *c);

/**
 * The creation time.
 *
 * @param c the container
 * @return RFC 3339 with nanoseconds, UTC, owned by the handle
 */
const char *ctr_container_created(const ctr_container *c);

/**
 * The state as the runtime-spec defines it (ociVersion, id, status, pid,
 * bundle, annotations), as JSON.
 *
 * @param c   the container
 * @param out receives the JSON; free with ctr_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_container_state_json(ctr_container *c, char **out, ctr_error **err);

/**
 * The container's configuration as it was at create time.
 *
 * @param c   the container
 * @param out receives a copy; free with ctr_spec_free()
 * @param err receives an error on failure; may be NULL
 * @return 0; the errors of ctr_spec_load_file() for a handle from
 *         ctr_container_load() (it reads the bundle's config.json)
 */
int ctr_container_spec(ctr_container *c, ctr_spec **out, ctr_error **err);

/** Flags for ctr_container_kill(). */
enum ctr_kill_flag {
	CTR_KILL_ALL = 1u << 0 /**< signal every process of the container, not only init */
};

/**
 * Send a signal to the container's init (through its pidfd), or to all its
 * processes with CTR_KILL_ALL.
 *
 * @param c     the container
 * @param signo the signal number
 * @param flags 0 or CTR_KILL_ALL
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ESRCH (CTR_E_STATE) when the container is not created,
 *         running or paused; -EINVAL for a signal number out of 0..NSIG-1
 */
int ctr_container_kill(ctr_container *c, int signo, unsigned flags, ctr_error **err);

/**
 * Wait for the init process to exit, and reap it when the caller is its
 * parent.  An event loop polls ctr_container_pidfd() for POLLIN (readable
 * once the init exited) and then calls this with timeout 0.  As for
 * ctr_process_wait_timeout(), the status does not depend on the calling
 * program's SIGCHLD policy (Linux 6.15 keeps it on the pidfd).
 *
 * @param c           the container
 * @param exit_status receives the exit code (0-255), or 128+signal when it was killed; may be NULL
 * @param timeout_ms  -1 to wait forever, 0 to poll, else at most this long
 * @param err         receives an error on failure; may be NULL
 * @return 0; -ETIMEDOUT when it still runs after timeout_ms; -ECHILD
 *         (CTR_E_SYSTEM or CTR_E_STATE) when its status is gone: another
 *         reaper took it on a kernel before 6.15, or the init had exited
 *         before this handle was loaded
 */
int ctr_container_wait(ctr_container *c, int *exit_status, int timeout_ms, ctr_error **err);

/** Options for ctr_container_exec(); initialise with ctr_exec_options_init(). */
typedef struct ctr_exec_options {
	size_t size;                 /**< sizeof(ctr_exec_options), set by the init function */
	const char *process_json;    /**< a runtime-spec "process" object as JSON; NULL: the container's process with the fields below */
	const char *const *args;     /**< NULL-terminated argv; overrides process args */
	const char *const *env;      /**< NULL-terminated "K=V" entries added to (or replacing in) the env */
	const char *cwd;             /**< working directory; NULL: the process's */
	const char *user;            /**< "uid[:gid]"; NULL: the process's */
	int tty;                     /**< -1: as the process says; 0 no; 1 allocate a pty */
	const char *console_socket;  /**< where to send the pty master; NULL with tty: see ctr_exec_options.console_fd */
	int stdio_fds[3];            /**< -1: inherit the caller's */
	int preserve_fds;            /**< extra fds to pass (3 .. 3+n-1) */
	int console_fd;              /**< out: with tty and no console_socket, receives the pty master (caller closes it) */
	uint64_t flags;              /**< CTR_EXEC_* (since 0.2; 64 bits so that it starts after 0.1's size) */
	/**
	 * Since 0.2: the longest exec may wait for the new process to start
	 * (its setup, a seccomp agent) in milliseconds; when it runs out the
	 * process is killed and exec fails with -ETIMEDOUT.  0: no limit.
	 */
	int64_t timeout_ms;
	/**
	 * Since 0.2, out: with CTR_EXEC_STDIO_PIPES, the caller's ends of the
	 * process's stdin (write end), stdout and stderr (read ends); the
	 * caller closes them.  -1 otherwise.
	 */
	int stdio_pipes[3];
	int reserved_0_2;            /**< zero */
} ctr_exec_options;

/**
 * Exec into a paused container too (refused otherwise): the process joins
 * the frozen cgroup, so it runs only once the container is resumed, and
 * ctr_container_exec() returns when it has started (runc's --ignore-paused).
 */
#define CTR_EXEC_IGNORE_PAUSED (1u << 0)
/** Since 0.2: the process's stdin, stdout and stderr are pipes; their other ends come back in stdio_pipes (stdio_fds must be -1). */
#define CTR_EXEC_STDIO_PIPES (1u << 1)

/**
 * Initialise exec options to their defaults (stdio_fds, tty and console_fd
 * -1, everything else 0 or NULL), for a struct of `size` bytes: the caller's
 * sizeof(ctr_exec_options), which the library records in the size field.
 * Fields beyond `size` (a caller built against older headers) are never
 * written; the library uses their defaults.  Call it through
 * ctr_exec_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_exec_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_exec_options_init_sized(ctr_exec_options *opts, size_t size);

/**
 * Initialise exec options to their defaults (stdio_fds, tty and console_fd -1, everything else 0 or NULL):
 * ctr_exec_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_exec_options_init(ctr_exec_options *opts)
{
	(void)ctr_exec_options_init_sized(opts, sizeof(*opts));
}

/**
 * Run an additional process in a running (or created) container, in all its
 * namespaces and cgroups, with its rootfs, user, capabilities, seccomp
 * filter and environment (as opts change them).  With pidfd non-NULL the
 * process is a child of the caller, which reaps it (ctr_process_wait(),
 * waitid(P_PIDFD)).  With pidfd NULL it is not: it is reparented like any
 * orphan, to the nearest child subreaper among the caller's ancestors (the
 * caller itself if it set PR_SET_CHILD_SUBREAPER) or to the init of the
 * caller's pid namespace, and the caller is left no zombie.
 *
 * @param c       the container
 * @param opts    options, or NULL to run the container's own process again;
 *                opts->console_fd is written when its size covers it
 * @param pid     receives the process's pid; may be NULL
 * @param pidfd   receives a pidfd for it, which the caller closes; may be NULL
 * @param err     receives an error on failure; may be NULL
 * @return 0 once the program has been executed; -ESRCH (CTR_E_STATE) when
 *         the container is not created or running; -EINVAL for bad options
 *         or process JSON; CTR_E_CHILD with the errno of the step that failed
 *         in the new process (execve included: -ENOENT for a missing program)
 */
int ctr_container_exec(ctr_container *c, ctr_exec_options *opts, pid_t *pid, int *pidfd,
		       ctr_error **err);

/**
 * Wait for a process returned by ctr_container_exec() (or any pidfd) to
 * exit, and reap it when it is the caller's child.  An event loop polls the
 * pidfd for POLLIN (readable once the process exited) and then calls this
 * with timeout 0.
 *
 * The exit status does not depend on the calling program's SIGCHLD policy:
 * when SIGCHLD is ignored or a handler reaps every child (waitpid(-1)), the
 * status is read from the pidfd (Linux 6.15 keeps it there); on an older
 * kernel it is then gone, and this says so (-ECHILD) instead of making one up.
 *
 * @param pidfd       the pidfd
 * @param exit_status receives the exit code, or 128+signal; may be NULL
 * @param timeout_ms  -1: wait; 0: only look; else the longest wait
 * @param err         receives an error on failure; may be NULL
 * @return 0; -ETIMEDOUT (CTR_E_SYSTEM) when it still runs; -ECHILD when its
 *         status is gone (see above, or it is not the caller's child on a
 *         kernel before 6.15); -EBADF or -EINVAL for an fd that is not a pidfd
 */
int ctr_process_wait_timeout(int pidfd, int *exit_status, int timeout_ms, ctr_error **err);

/**
 * ctr_process_wait_timeout(pidfd, exit_status, -1, err).
 *
 * @param pidfd       the pidfd
 * @param exit_status receives the exit code, or 128+signal; may be NULL
 * @param err         receives an error on failure; may be NULL
 * @return as ctr_process_wait_timeout() (never -ETIMEDOUT)
 */
int ctr_process_wait(int pidfd, int *exit_status, ctr_error **err);

/** Flags for ctr_container_delete(). */
enum ctr_delete_flag {
	CTR_DELETE_FORCE = 1u << 0,  /**< kill a created, running or paused container first */
	CTR_DELETE_CREATED = 1u << 1 /**< also delete a created (never started) container, killing its init:
				      *   runc's `delete` does this without --force and containerd's shim relies on it */
};

/**
 * Delete a container: everything create did is undone (also after a crash
 * half-way through create), then the poststop hooks run (a failing one is
 * logged as a warning and the others still run), and the state is removed.
 * As runtime.md says, only a stopped container may be deleted: a created,
 * running or paused one needs CTR_DELETE_FORCE (a created one also
 * CTR_DELETE_CREATED).  The handle stays valid until ctr_container_free().
 *
 * @param c     the container
 * @param flags 0, CTR_DELETE_FORCE, CTR_DELETE_CREATED
 * @param err   receives an error on failure; may be NULL
 * @return 0; -EBUSY (CTR_E_STATE) when it is not stopped and the flags do not
 *         allow it; -ENOENT (CTR_E_NOT_FOUND) when it was deleted already
 */
int ctr_container_delete(ctr_container *c, unsigned flags, ctr_error **err);

/**
 * ctr_container_delete() with a bound on how long it waits for the
 * container's processes to die after SIGKILL (one stuck in uninterruptible
 * sleep would make it wait for ever); poststop hooks keep their own
 * timeouts.
 *
 * @param c          the container
 * @param flags      as for ctr_container_delete()
 * @param timeout_ms the longest wait in milliseconds; 0: no limit
 * @param err        receives an error on failure; may be NULL
 * @return as ctr_container_delete(); -ETIMEDOUT (CTR_E_SYSTEM) when the
 *         processes outlived the timeout: nothing was removed, delete again;
 *         -EINVAL for a negative timeout
 */
int ctr_container_delete_timeout(ctr_container *c, unsigned flags, int64_t timeout_ms, ctr_error **err);

/**
 * Free a handle (the container itself is untouched) and close the fds it
 * holds.
 *
 * @param c the handle; NULL is allowed
 */
void ctr_container_free(ctr_container *c);

/**
 * With CTR_CREATE_STDIO_PIPES, the caller's ends of the container's stdin
 * (write end), stdout and stderr (read ends).  Ownership passes to the
 * caller (it closes them); later calls give -1s.  Since 0.2.
 *
 * @param c   the container (created by this handle)
 * @param fds receives the three fds; -1 each when there are none
 * @return 0; -ENOENT when the handle has none (no flag, or taken already)
 */
int ctr_container_take_stdio(ctr_container *c, int fds[3]);

/**
 * With process.terminal and no console socket, the pty master that create
 * received from the container.
 *
 * @param c the container
 * @return the fd, whose ownership passes to the caller (it closes it), or
 *         -1 when there is none or it was taken already
 */
int ctr_container_take_console(ctr_container *c);

/**
 * List the ids of the containers under the state root.
 *
 * @param ctx the context
 * @param ids receives a NULL-terminated sorted array; free with ctr_strv_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 (an empty list when the state root does not exist) or the errno
 *         of reading the state root
 */
int ctr_container_list(ctr_context *ctx, char ***ids, ctr_error **err);

/* ---- through the container's cgroups ---- */

/**
 * Freeze every process of a running container (cgroup v1 freezer and/or v2
 * cgroup.freeze; returns once they are frozen).  The status becomes
 * CTR_STATUS_PAUSED.
 *
 * @param c   the container
 * @param err receives an error on failure; may be NULL
 * @return 0; -EBUSY (CTR_E_STATE) when it is not running; -ENOTSUP
 *         (CTR_E_UNSUPPORTED) when it has no cgroup
 */
int ctr_container_pause(ctr_container *c, ctr_error **err);

/**
 * Thaw a paused container; the status becomes CTR_STATUS_RUNNING again.
 *
 * @param c   the container
 * @param err receives an error on failure; may be NULL
 * @return 0; -EBUSY (CTR_E_STATE) when it is not paused; -ENOTSUP
 *         (CTR_E_UNSUPPORTED) when it has no cgroup
 */
int ctr_container_resume(ctr_container *c, ctr_error **err);

/**
 * Change the resources of a live container.
 *
 * @param c              the container
 * @param resources_json a runtime-spec linux.resources object as JSON; the members given are applied
 *                       (memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified, devices)
 * @param err            receives an error on failure; may be NULL
 * @return 0; -EINVAL with CTR_E_PARSE for text that is not JSON, with
 *         CTR_E_INVALID for a value the runtime-spec or the kernel refuses;
 *         -ESRCH (CTR_E_STATE) when the container is not live; -ENOTSUP
 *         (CTR_E_UNSUPPORTED) when it has no cgroup or the host lacks the
 *         controller
 */
int ctr_container_update(ctr_container *c, const char *resources_json, ctr_error **err);

/**
 * The pids (in the caller's pid namespace) of every process in the
 * container's cgroup and the cgroups below it, sorted.
 *
 * @param c    the container
 * @param pids receives the array; free with ctr_free()
 * @param n    receives the count
 * @param err  receives an error on failure; may be NULL
 * @return 0; -ENOTSUP (CTR_E_UNSUPPORTED) when it has no cgroup
 */
int ctr_container_pids(ctr_container *c, pid_t **pids, size_t *n, ctr_error **err);

/**
 * Resource usage as JSON, in the shape of the "data" of runc's `events
 * --stats` (cpu, memory, pids, blkio, hugetlb).
 *
 * @param c   the container
 * @param out receives the JSON; free with ctr_free()
 * @param err receives an error on failure; may be NULL
 * @return 0; -ENOTSUP (CTR_E_UNSUPPORTED) when it has no cgroup
 */
int ctr_container_stats_json(ctr_container *c, char **out, ctr_error **err);

/**
 * How many processes of the container the kernel's OOM killer has killed
 * (cgroup v2 memory.events oom_kill, v1 memory.oom_control oom_kill).
 *
 * @param c     the container
 * @param count receives the count
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOTSUP (CTR_E_UNSUPPORTED) when it has no memory cgroup
 */
int ctr_container_oom_kills(ctr_container *c, uint64_t *count, ctr_error **err);

/**
 * A file descriptor that becomes readable (POLLIN) when the container's
 * cgroups report an event, for an event loop: an OOM kill on cgroup v1
 * (an eventfd registered for memory.oom_control) and v2, and on v2 any
 * change of memory.events or cgroup.events (populated, frozen).  After it
 * polls readable, call ctr_container_event_clear() on it, then read what
 * changed: ctr_container_oom_kills(), ctr_container_status().  The caller
 * owns the fd (close-on-exec) and closes it; it stays valid, and silent,
 * after the container is deleted.
 *
 * @param c   the container (created here or loaded)
 * @param fd  receives the fd
 * @param err receives an error on failure; may be NULL
 * @return 0; -ENOTSUP (CTR_E_UNSUPPORTED) when the container has no cgroup
 *         (or, on v1, no memory cgroup); another -errno from inotify,
 *         eventfd or the cgroup files
 */
int ctr_container_event_fd(ctr_container *c, int *fd, ctr_error **err);

/**
 * Consume what made an fd of ctr_container_event_fd() readable, so that it
 * polls readable again only for the next event.
 *
 * @param fd  the fd
 * @param err receives an error on failure; may be NULL
 * @return 0, or the -errno of the read
 */
int ctr_container_event_clear(int fd, ctr_error **err);

/**
 * The runtime-spec features document (features.md) of this build and host:
 * OCI versions, hooks, mount options, namespaces, capabilities, cgroup,
 * seccomp, AppArmor, SELinux, Intel RDT.
 *
 * @param out receives the JSON; free with ctr_free()
 * @param err receives an error on failure; may be NULL
 * @return 0 or -ENOMEM
 */
int ctr_features_json(char **out, ctr_error **err);

/**
 * Create, start, wait for and delete a container: `runc run` as one call.
 * Blocks until the container exits.  The create starts it
 * (CTR_CREATE_START is added to opts->flags).
 *
 * @param ctx         the context
 * @param id          container id
 * @param spec        the configuration
 * @param opts        create options, or NULL
 * @param exit_status receives the exit code, or 128+signal
 * @param err         receives an error on failure; may be NULL
 * @return 0 once the container ran and was deleted (whatever its exit
 *         status); the errors of ctr_container_create(),
 *         ctr_container_start() and ctr_container_delete()
 */
int ctr_run(ctr_context *ctx, const char *id, const ctr_spec *spec,
	    const ctr_create_options *opts, int *exit_status, ctr_error **err);

#ifdef __cplusplus
}
#endif
#endif

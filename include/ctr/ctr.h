/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/ctr.h
 * libctr umbrella header: include this one.
 *
 * @mainpage libctr: the embedding contract
 *
 * libctr runs OCI containers from a program that links it
 * (`pkg-config --cflags --libs ctr`, or `--static` with libctr.a).  This
 * page says what the library does in the calling process; each header says
 * the rest (ctr/container.h the lifecycle, ctr/error.h the error rules).
 *
 * @section abi Versions and ABI
 *
 * The soname is libctr.so.CTR_VERSION_MAJOR; every exported symbol has a
 * version node per release (LIBCTR_0.1, LIBCTR_0.2, ...) and a program built
 * against an older release runs on a newer one.  Structs with fields
 * (options, ctr_accel_device_info, ctr_port_mapping, ctr_accel_backend_ops)
 * begin with their size and only grow at their end: initialise them with
 * their _init() function (an inline function that passes the caller's
 * sizeof to the library's *_init_sized()), or set `size` to sizeof yourself;
 * the library never writes beyond the caller's size and uses its defaults
 * for fields the caller's headers did not have.  ctr_version_number() and
 * ctr_has_feature() tell a binding what the loaded library can do.
 *
 * @section threads Threads
 *
 * There is no global state: calls on different handles may run in
 * different threads at once.  A handle (container, spec, registry, store,
 * network, edits, request) may be used by one thread at a time.  A context
 * may be shared by threads (see ctr/context.h).  Callbacks (log, image
 * progress, backend callbacks) run in the thread that made the call, never
 * in a container process.
 *
 * The library starts threads only for the duration of a call or of a
 * handle, never behind the caller's back, all with every signal blocked
 * where they run the library's own code:
 *  - image import and unpack: one thread that reads and decompresses the
 *    layer stream and up to ctr_image_options.writer_threads (at most 8)
 *    that write files, joined before the call returns;
 *  - network attach (at create, ctr_network_attach_netns(),
 *    ctr_network_attach_container()): a thread that enters the target
 *    network namespace to open a netlink socket, joined at once;
 *  - create of a container process that shares the caller's memory (see
 *    below) on a v1 or hybrid cgroup host, as root without user or cgroup
 *    namespaces: a thread that makes the container's v1 cgroups while the
 *    container process sets up, joined before that process is done;
 *  - create on a bridge network: a thread that appends the new container's
 *    names to the /etc/hosts of the others on the network while the
 *    container is set up, joined before ctr_container_create() returns;
 *  - network detach: a thread of the network handle that waits for the
 *    kernel to free the veth pair, joined by the next detach or
 *    ctr_network_free();
 *  - start, in a context that has created two containers with a new
 *    network or IPC namespace (and no user namespace): a thread of the
 *    context that makes the next create's namespaces of those kinds while
 *    the started container runs (one unshare on that thread alone; each
 *    namespace is held by an fd of the context until a create takes it),
 *    joined by the next start or ctr_context_free().
 *
 * @section procs Child processes and SIGCHLD
 *
 * The library never installs a signal handler, never changes a signal's
 * disposition or the caller's signal mask (a call that writes to a hook's
 * stdin blocks SIGPIPE in the calling thread while it does and restores
 * the mask; create blocks every signal in the calling thread while a
 * container process that shares its memory sets up, and restores the
 * mask), and never waits for a process it did not make: it waits by
 * pidfd or by pid, never waitpid(-1).  Every process it clones is
 * non-dumpable, closes every fd of the caller but the ones meant for it,
 * runs only async-signal-safe code until it executes a program, and is
 * cloned with SIGCHLD as its exit signal, so a host's SIGCHLD handler sees
 * it.  The library takes exit statuses through pidfds: waitid(P_PIDFD)
 * while the process is still the caller's unreaped child, else what the
 * kernel kept for the pidfd (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux
 * 6.15).  So a host that reaps all its children (a SIGCHLD handler calling
 * waitpid(-1), or SIGCHLD set to SIG_IGN) still gets true exit statuses
 * from ctr_container_wait() and ctr_process_wait() on such kernels; on
 * older ones, when the host reaped first, they fail with -ECHILD saying so
 * and never report a made-up status.
 *
 * The processes, and who reaps them:
 *  - a container's init: cloned by ctr_container_create(), a child of the
 *    caller until it exits; ctr_container_wait(), ctr_container_delete() or
 *    ctr_run() reap it.  As posix_spawn's child, it shares the caller's
 *    memory until it executes the init stub, on a stack of its own, while
 *    the calling thread waits (it writes nothing else of the caller's and
 *    leaves the process's dumpable flag alone); it is forked instead with
 *    a user namespace, a joined namespace, a new time namespace, hooks run
 *    by the runtime, no mount namespace or a create timeout;
 *  - a process of ctr_container_exec(): cloned by a short-lived helper
 *    (reaped before the call returns); with a pidfd asked for, a child of
 *    the caller, who reaps it with ctr_process_wait() on the pidfd (or
 *    waitid()); without, an orphan the kernel reparents to the caller's
 *    nearest child subreaper or its pid namespace's init, never left as the
 *    caller's zombie;
 *  - hooks (prestart, createRuntime, poststart and poststop run in the
 *    runtime's namespaces as the caller's user; createContainer and
 *    startContainer in the container, with its credentials): each a child
 *    of the caller, reaped before the call returns, killed at its timeout;
 *  - helper programs, each waited for before the call returns: newuidmap
 *    and newgidmap (package uidmap, looked for in $PATH, then /usr/bin,
 *    /usr/sbin, /bin, /sbin) for user namespace mappings other than the
 *    caller's own id; the host's ldconfig (/sbin/ldconfig) with `-r ROOTFS`
 *    for the update-ldcache verb of an NVIDIA CDI hook that libctr runs
 *    itself (ctr_accel_hook_is_native()); a short-lived process that enters
 *    a container's mount namespace for such a hook's
 *    disable-device-node-modification verb; a process in a new user
 *    namespace while a create prepares id-mapped mounts.
 * Every container process executes libctr's init stub (a static program
 * embedded in the library, run from a sealed memfd) before the user's
 * program, so no container process keeps a copy of the caller's memory.
 *
 * @section fork fork()
 *
 * Between its own clone() and execve() libctr runs only async-signal-safe
 * code (system calls and stack buffers: no malloc, no locks, no json-c,
 * whose glibc locale calls would deadlock on a lock another thread of the
 * caller holds at the moment of the clone), in the container's processes,
 * the exec helpers, hooks and helper programs alike; so a multi-threaded
 * program may call it from any thread.
 *
 * A process that forks must not call libctr in the child before it
 * executes a program, when the parent has other threads: as for every
 * library that takes locks or allocates, only async-signal-safe functions
 * are safe there.  Handles are not shared with a forked child: use them in
 * the process that made them (or load the container again in the child,
 * after exec).
 *
 * @section fds File descriptors
 *
 * Every fd the library opens in the caller's process is close-on-exec.
 * Between calls it holds: two to four per context (the init stub's memfd,
 * from its first create or exec; /proc/self/mountinfo, from its first
 * create, to learn whether the mount table changed since the last one; a
 * network and an IPC namespace made ahead for the next create, see
 * Threads), the fds
 * of each container handle (see
 * ctr/container.h: about 12 for a created container on a host with every
 * cgroup v1 controller, 2 for a loaded one), 2 per image store (its
 * directory and lock file).  Calls return fds the caller owns only where
 * they say so (ctr_container_exec()'s pidfd, ctr_container_take_console(),
 * ctr_exec_options.console_fd).  The caller's own fds reach a container
 * only as the stdio and preserve_fds it names.
 *
 * @section env Environment
 *
 * The library reads only these variables of the calling process, and only
 * for these defaults (an explicit option always wins).  It reads every one
 * with secure_getenv(): a set-id program that embeds libctr never takes them
 * from its caller, and the defaults in parentheses apply.
 *  - `XDG_RUNTIME_DIR`: the default state root of a caller that is not root
 *    (`$XDG_RUNTIME_DIR/ctr`), and a CDI spec directory of such a caller
 *    (`$XDG_RUNTIME_DIR/cdi`);
 *  - `XDG_CONFIG_HOME`, else `HOME`: a CDI spec directory of a caller that is
 *    not root (`$XDG_CONFIG_HOME/cdi`, `$HOME/.config/cdi`);
 *  - `TMPDIR`: where an image archive is unpacked while it is imported
 *    (default /var/tmp);
 *  - `PATH`: where the helper programs newuidmap and newgidmap and the
 *    registries' credential helpers (docker-credential-NAME) are looked for
 *    (then /usr/local/bin, /usr/bin, /usr/sbin, /bin, /sbin);
 *  - for registries (ctr_image_pull(), ctr_image_push(), docker:// sources),
 *    unless ctr_image_options names the file: `REGISTRY_AUTH_FILE`, then
 *    `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME` (else `HOME`) and `DOCKER_CONFIG`
 *    (else `HOME`) for the credential files; `CONTAINERS_REGISTRIES_CONF`,
 *    else `HOME` (a caller that is not root) for registries.conf; `HOME` (not
 *    root) for `~/.config/containers/certs.d`.
 * No other variable changes what the library does: it has no debug or test
 * switches in the environment.
 */
#ifndef CTR_CTR_H
#define CTR_CTR_H

#include "version.h"
#include "error.h"
#include "context.h"
#include "spec.h"
#include "container.h"
#include "accel.h"
#include "network.h"
#include "image.h"
#include "console.h"

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/console.h
 * Terminals for programs that run a container (or an exec'd process) in
 * the foreground: relay a pty master (ctr_container_take_console(),
 * ctr_exec_options.console_fd) to the caller's terminal or streams, follow
 * window size changes, and put the caller's terminal in raw mode and back.
 *
 * The library installs no signal handler: the caller forwards signals and
 * calls ctr_console_resize() when it gets SIGWINCH.  A relay is used by one
 * thread at a time; it fits an event loop (ctr_console_relay_run() with a
 * timeout of 0 and the caller's own fds as wake fds).
 */
#ifndef CTR_CONSOLE_H
#define CTR_CONSOLE_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A relay between a pty master and an input and an output fd. */
typedef struct ctr_console_relay ctr_console_relay;

/**
 * Make a relay: what the pty master gives is written to out_fd, what
 * in_fd gives is written to the master.  When in_fd reaches end of file
 * and is not a terminal, the relay passes that on as the pty's end-of-file
 * character (as a user typing ^D would), so `echo x | prog` style input ends
 * the program's input.  The master is made non-blocking; the fds stay the
 * caller's (the relay does not close them).
 *
 * @param out    receives the relay
 * @param master the pty master
 * @param in_fd  where input comes from (e.g. 0); -1: none
 * @param out_fd where output goes (e.g. 1)
 * @param err    receives an error on failure; may be NULL
 * @return 0; -EINVAL for a bad fd; -ENOMEM
 */
int ctr_console_relay_new(ctr_console_relay **out, int master, int in_fd, int out_fd, ctr_error **err);

/**
 * Relay until the pty is closed (every process holding its slave gone),
 * one of the wake fds is readable, or the timeout passes.
 *
 * @param r         the relay
 * @param wake_fds  fds to poll for POLLIN besides the relay's own (the
 *                  caller's signal pipe, a pidfd); may be NULL
 * @param n_wake    how many
 * @param timeout_ms -1: no timeout; 0: relay what is there and return
 * @param which     receives the index in wake_fds that is readable, or -1; may be NULL
 * @param err       receives an error on failure; may be NULL
 * @return 1 when the pty is closed (what it held was written out); 0 when
 *         a wake fd is readable or the timeout passed; -errno (poll or a
 *         write to out_fd that failed)
 */
int ctr_console_relay_run(ctr_console_relay *r, const int *wake_fds, size_t n_wake, int timeout_ms, int *which,
			  ctr_error **err);

/**
 * Write out what the pty master holds now, without waiting (after the
 * process exited, its last output).
 *
 * @param r the relay
 * @return 0, or -errno of a failed write
 */
int ctr_console_relay_flush(ctr_console_relay *r);

/**
 * Free a relay (the fds are the caller's and stay open).
 *
 * @param r the relay; NULL is allowed
 */
void ctr_console_relay_free(ctr_console_relay *r);

/**
 * Give the pty master the window size of the terminal tty_fd (or of 1 when
 * tty_fd is not a terminal): at the start and on each SIGWINCH.
 *
 * @param master the pty master
 * @param tty_fd the caller's terminal, e.g. 0
 * @return 0; -ENOTTY when neither tty_fd nor 1 is a terminal; another -errno
 */
int ctr_console_resize(int master, int tty_fd);

/** The saved mode of a terminal, for ctr_console_restore(). */
typedef struct ctr_console_mode ctr_console_mode;

/**
 * Put the terminal fd in raw mode (no echo, no line editing, no signals
 * from keys: they go to the container's terminal) and save its mode.
 *
 * @param fd    the caller's terminal, e.g. 0
 * @param saved receives the saved mode (free it with ctr_console_restore())
 * @param err   receives an error on failure; may be NULL
 * @return 0; -ENOTTY when fd is not a terminal; another -errno
 */
int ctr_console_raw(int fd, ctr_console_mode **saved, ctr_error **err);

/**
 * Put the terminal back in its saved mode and free the saved mode; NULL
 * is allowed (nothing to restore).
 *
 * @param saved what ctr_console_raw() saved
 */
void ctr_console_restore(ctr_console_mode *saved);

#ifdef __cplusplus
}
#endif
#endif

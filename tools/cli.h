/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: a runc-compatible command line on top of libctr's public API.
 * Declarations shared by the files of tools/.  Nothing here reaches into
 * lib/: the CLI is a consumer of <ctr/ctr.h> like any other program.
 */
#ifndef CTR_TOOLS_CLI_H
#define CTR_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ctr/ctr.h>

#define CLI_NAME "ctr-demo"

/*
 * Exit code when exec fails before the process runs.  runc 1.1 uses 255
 * here; we use 1 like every other failure of this CLI (0 success, 1
 * failure, the process's own code otherwise), which is what our users and
 * tests expect; engines read the error text from --log, not the code.
 */
#define CLI_EXIT_EXEC_FAILED 1

struct strv {
	const char **v; /* NULL-terminated, strings borrowed from argv */
	size_t n;
};

/* Global options (those before the command). */
struct cli {
	const char *root;        /* --root */
	const char *log_path;    /* --log */
	bool log_json;           /* --log-format json */
	bool debug;              /* --debug */
	bool systemd_cgroup;     /* --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name" (CTR_CREATE_SYSTEMD_CGROUP) */
	const char *rootless;    /* --rootless true|false|auto */
	const char *criu;        /* --criu: accepted, unused */
	int log_fd;              /* the --log file, -1 when none */
	ctr_context *ctx;        /* made on first use by cli_context() */
	const char *cmd;         /* the command being run, for messages */
	char *root_alloc;        /* the absolute --root we made, freed at exit */
	const char *host_root;   /* --host-root or $CTR_HOST_ROOT: where device discovery looks; NULL: / */
	struct strv cdi_dirs;    /* --cdi-spec-dir, repeatable; empty: the library's defaults */
	ctr_accel_registry *reg; /* made on first use by cli_registry() */
	bool gpus_from_env;      /* run/create --gpus-from-env: the registry honours NVIDIA_VISIBLE_DEVICES */
	const char *net_dir;     /* --net-dir: network definitions; NULL: $CTR_NET_DIR or the library's default */
	const char *store;       /* --store: the image store directory; NULL: the library's default */
	ctr_image_store *image_store; /* opened on first use by cli_store() */
	int first_closed_fd;     /* the first fd >= 3 that was not open when we started (with --preserve-fds) */
};

/*
 * --preserve-fds N passes the fds 3..3+N-1 we were started with: 0, or 1
 * with an error naming the first of them that was not open then (an fd we
 * opened since, such as the --log file, must never pass for one of them).
 */
int cli_check_preserved(struct cli *cli, int n);

/* ---- option parsing (opts.c) ---- */

enum opt_kind {
	OPT_BOOL,   /* bool *: --flag, --flag=true|false */
	OPT_STRING, /* const char **: --flag value, --flag=value */
	OPT_INT,    /* int *: a non-negative decimal number */
	OPT_STRV,   /* struct strv *: may be repeated */
};

struct opt {
	const char *name;   /* long name, without dashes */
	char short_name;    /* 0: none */
	enum opt_kind kind;
	void *target;
	const char *help;
	const char *def;    /* default shown in --help, NULL: none */
	bool is_set;        /* out: the flag appeared on the command line */
};

struct cmd_desc {
	const char *name;
	const char *summary;      /* one line, for the command list */
	const char *usage;        /* after "ctr-demo <name> " */
	const char *description;  /* may be NULL */
	bool flags_anywhere;      /* flags may follow positional arguments (not for exec) */
};

/*
 * Parse argv (argv[0] is the command name) against opts (terminated by an
 * entry with name NULL).  Positional arguments are collected into *pos and *npos
 * (borrowed from argv).  Returns 0, 1 when --help was given (help printed),
 * or -1 after printing an error.
 */
int cli_parse(struct cli *cli, const struct cmd_desc *cmd, struct opt *opts, int argc, char **argv,
	      char ***pos, int *npos);
void cli_print_cmd_help(FILE *f, const struct cmd_desc *cmd, const struct opt *opts);
/* docker's RAMInBytes: "512m", "1g", "4096", "1.5GiB"; "-1" stays -1.  0 or -1 when not a size. */
int cli_parse_bytes(const char *s, int64_t *out);
const struct opt *cli_opt_find(const struct opt *opts, const char *name);

/* ---- errors and logging (ctr-demo.c) ---- */

/* Report an error: "ctr-demo: msg" on stderr (a JSON entry with --log-format json and no --log), and an error entry in --log. */
void cli_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a library error, optionally with a prefix (NULL: none); frees err. */
void cli_error_ctr(struct cli *cli, ctr_error *err, const char *prefix);
/* A warning in the log (or stderr when there is no --log). */
void cli_warn(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With --debug: what ctr-demo does, step by step, where warnings go. */
void cli_debug(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The context for the --root state root; NULL after reporting an error. */
ctr_context *cli_context(struct cli *cli);
/* Wrong number of positional arguments: prints an error, returns 1. */
int cli_usage_error(struct cli *cli, const char *what);

/* ---- JSON output (json-out.c) ---- */

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal escaped as Go's encoding/json does (HTML-safe). */
void buf_json_str(struct buf *b, const char *s);
/* A quoted string as Go's strconv.Quote writes it (for text logs). */
void buf_go_quote(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* A table of ncols columns (at most 16), printed with aligned columns (json-out.c). */
struct table {
	size_t ncols;
	char **cells; /* nrows * ncols, copied */
	size_t nrows, cap;
	bool oom;
};
void table_row(struct table *t, const char *const *cells);
void table_print(FILE *f, const struct table *t);
void table_free(struct table *t);
struct json_object;
/* A listing's output: arr as pretty JSON, or the table; both freed.  0, or 1 after reporting an error. */
int cli_print_listing(struct cli *cli, bool json, struct json_object *arr, struct table *t);

/* Time as RFC 3339 with nanoseconds, trailing zeros trimmed like Go's RFC3339Nano. */
char *cli_go_time(const char *rfc3339);

/* ---- terminal and signal forwarding (tty.c) ---- */

struct io_proxy {
	int master;          /* pty master to proxy, -1: none */
	int pidfd;           /* process to watch */
	pid_t pid;           /* its pid, for messages */
	ctr_container *c;    /* signals go to the container's init (run) ... */
	int sig_pidfd;       /* ... or to this pidfd (exec) when c is NULL */
};

/* Catch forwardable signals into a self-pipe (after the process exists). */
int cli_signals_setup(struct cli *cli);
/* Restore default dispositions. */
void cli_signals_reset(void);
/*
 * Proxy the terminal (if master >= 0) and forward signals until the process
 * behind pidfd exits.  Returns 0 or -1 after reporting an error.
 */
int cli_proxy_run(struct cli *cli, struct io_proxy *p);
/* Put stdin in raw mode when it is a terminal (restored by cli_tty_restore). */
void cli_tty_raw(void);
void cli_tty_restore(void);
/*
 * Whether we have a terminal to connect a container's pty to: stdin, stdout
 * or stderr is one, or the controlling terminal (/dev/tty) opens; when not,
 * errno says why /dev/tty did not.
 */
bool cli_have_terminal(void);
/* Copy the window size of our terminal to the pty master. */
void cli_tty_resize(int master);

/* ---- commands (commands.c, exec.c) ---- */

int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_state(struct cli *cli, int argc, char **argv);
int cmd_kill(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_spec(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_devices(struct cli *cli, int argc, char **argv);
int cmd_cdi(struct cli *cli, int argc, char **argv);
/* cgroup-cmds.c */
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_resume(struct cli *cli, int argc, char **argv);
int cmd_ps(struct cli *cli, int argc, char **argv);
int cmd_update(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_features(struct cli *cli, int argc, char **argv);

/* network.c */
int cmd_network(struct cli *cli, int argc, char **argv);

/* ---- networks (network.c) ---- */

/* The network flags of create and run. */
struct net_args {
	const char *network;  /* --network name|none|host|container:id */
	struct strv publish;  /* -p/--publish, repeatable */
	const char *ip, *ip6; /* --ip, --ip6 */
	struct strv aliases;  /* --alias, repeatable */
};

#define NET_OPTS(n)                                                                                       \
	{ "network", 0, OPT_STRING, &(n).network,                                                        \
	  "the container's network: a bridge network's name (see '" CLI_NAME " network'), none, host "   \
	  "or container:<id>", NULL, false },                                                             \
	{ "publish", 'p', OPT_STRV, &(n).publish,                                                        \
	  "publish a port, repeatable: [hostip:]hostport[-end]:containerport[-end][/tcp|udp]", NULL,      \
	  false },                                                                                        \
	{ "ip", 0, OPT_STRING, &(n).ip, "a static IPv4 address in the network", NULL, false },            \
	{ "ip6", 0, OPT_STRING, &(n).ip6, "a static IPv6 address in the network", NULL, false },          \
	{ "alias", 0, OPT_STRV, &(n).aliases, "another name of the container in the network, repeatable", \
	  NULL, false }

/* The request for ctr_create_options.network from the flags (*out NULL: none given); -1 after an error. */
int cli_net_request(struct cli *cli, const struct net_args *a, ctr_net_request **out);
int cmd_image(struct cli *cli, int argc, char **argv);

/* The image store for --store (image.c); NULL after reporting an error. */
ctr_image_store *cli_store(struct cli *cli);

/* ---- registries (registry.c) ---- */

/* The registry flags of pull, push, import, unpack and run/create --image. */
struct reg_args {
	const char *authfile, *creds, *cert_dir, *registries_conf;
	bool tls_verify;
	const char *pull; /* run/create --image: always|missing|never */
};
#define REG_ARGS_INIT { NULL, NULL, NULL, NULL, true, NULL }
#define REG_OPTS(a)                                                                                          \
	{ "authfile", 0, OPT_STRING, &(a).authfile,                                                         \
	  "registry credentials file (containers-auth.json(5)); default: $REGISTRY_AUTH_FILE, "              \
	  "$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json ...", NULL, false },                 \
	{ "creds", 0, OPT_STRING, &(a).creds, "registry credentials user[:password]", NULL, false },         \
	{ "cert-dir", 0, OPT_STRING, &(a).cert_dir,                                                         \
	  "a directory of *.crt CAs and *.cert/*.key client certificates for the registry",                   \
	  "/etc/containers/certs.d/<host>", false },                                                         \
	{ "tls-verify", 0, OPT_BOOL, &(a).tls_verify,                                                       \
	  "verify the registry's TLS certificate and require https (--tls-verify=false: neither)", "true",   \
	  false },                                                                                            \
	{ "registries-conf", 0, OPT_STRING, &(a).registries_conf,                                           \
	  "registries.conf to use (and its .d directory)", "$CONTAINERS_REGISTRIES_CONF or "                  \
	  "/etc/containers/registries.conf", false }

/* Copy the flags into image options. */
void cli_reg_apply(const struct reg_args *a, ctr_image_options *o);

/* ---- the transfer display (progress.c) ---- */

/* auto: redrawn lines on a terminal, nothing otherwise; plain: a line per layer when it is done; none */
enum progress_mode { PROGRESS_AUTO, PROGRESS_PLAIN, PROGRESS_NONE };

/* -q and --progress, of import, unpack, pull and push. */
struct progress_args {
	bool quiet;
	const char *progress;
};
#define PROGRESS_ARGS_INIT { false, "auto" }
#define PROGRESS_OPTS(a)                                                                                      \
	{ "quiet", 'q', OPT_BOOL, &(a).quiet, "no progress output (--progress none)", NULL, false },         \
	{ "progress", 0, OPT_STRING, &(a).progress,                                                          \
	  "auto (a line per layer with its phase, rate and ETA, redrawn on a terminal; nothing when stderr "  \
	  "is not one), plain (one line per layer when it is done: logs) or none", "auto", false }
/* The mode -q and --progress ask for; -1 after reporting an invalid --progress. */
int cli_progress_mode(struct cli *cli, const struct progress_args *a, enum progress_mode *mode);

/* What the display knows of a layer. */
struct layer_view {
	char digest[20];
	int64_t total;
	uint64_t in, out, entries, rate_bytes;
	int phase;
	unsigned attempt;
	bool seen, cached, done, moved;
	double rate, rate_t, phase_t, start_t, done_t;
};
struct cli_progress {
	bool tty, plain;
	unsigned n, drawn, committed; /* layers; lines of the redrawn block; layers printed for good */
	struct layer_view *v;
	double last;
};
/* Set o's progress callback (for the mode) and cancel flag (SIGINT, SIGTERM). */
void cli_progress_init(struct cli_progress *pr, ctr_image_options *o, enum progress_mode mode);
/* Final redraw; signals back to their defaults. */
void cli_progress_end(struct cli_progress *pr);
/* "12.5 MiB" */
void cli_human_size(char *buf, size_t n, double v);

/* The transfer flags of import, pull and unpack. */
struct xfer_args {
	const char *platform;
	int threads, transfers;
	struct progress_args pg;
};
#define XFER_ARGS_INIT { NULL, -1, 0, PROGRESS_ARGS_INIT }
#define XFER_OPTS(a)                                                                                         \
	{ "platform", 0, OPT_STRING, &(a).platform, "os/arch[/variant] to pick from a multi-platform image",   \
	  "the host's", false },                                                                              \
	{ "max-transfers", 0, OPT_INT, &(a).transfers,                                                        \
	  "layers downloaded (pull) or extracted (import) at once (at most 16)", "3", false },                \
	{ "writer-threads", 0, OPT_INT, &(a).threads,                                                         \
	  "threads that write the files of a layer while it is read (0: none, 1 to 8)",                       \
	  "one per CPU, at most 4", false },                                                                  \
	PROGRESS_OPTS((a).pg)
/*
 * Copy them into image options (--writer-threads 0 is the API's -1: none)
 * and set *mode from -q and --progress; -1 after reporting an invalid one.
 */
int cli_xfer_apply(struct cli *cli, const struct xfer_args *a, ctr_image_options *o, enum progress_mode *mode);

int cli_image_pull(struct cli *cli, int argc, char **argv);
int cli_image_push(struct cli *cli, int argc, char **argv);
/*
 * run/create --image of a registry reference: the stored image it names,
 * pulled first as the policy says (always, missing, never; NULL: missing).
 * *name is malloc'd.  0, or 1 after reporting an error.
 */
int cli_image_from_registry(struct cli *cli, const char *ref, const char *policy, const struct reg_args *ra,
			    char **name);

/*
 * run/create --image: a source is imported first, a registry reference
 * pulled as reg->pull says; *spec receives the image's spec with args (may
 * be NULL/empty) replacing its Cmd and ir's --user and --entrypoint (ir may
 * be NULL), *name the stored image's name (malloc'd; the caller frees it,
 * also after an error).  Returns 0 or 1 after reporting an error.
 */
struct image_run_args;
int cli_image_spec(struct cli *cli, const char *ref, const struct reg_args *reg, const char *const *args,
		   struct image_run_args *ir, ctr_spec **spec, char **name);

/* ---- run/create --image: podman's defaults and flags (image-run.c) ---- */

struct image_run_args {
	struct strv env, cap_add, cap_drop, sysctl, volumes, tmpfs;
	const char *user, *workdir, *entrypoint, *hostname, *memory, *cpus, *pids_limit;
	bool read_only, tty, interactive;
	char **entrypoint_v; /* --entrypoint parsed */
};

#define IMAGE_RUN_OPTS(r)                                                                                  \
	{ "env", 'e', OPT_STRV, &(r).env, "with --image: set an environment variable, repeatable: NAME=value, " \
	  "or NAME for this process's value", NULL, false },                                               \
	{ "user", 'u', OPT_STRING, &(r).user, "with --image: the user (name or uid[:group or gid]), looked up " \
	  "in the image's /etc/passwd and /etc/group", NULL, false },                                       \
	{ "workdir", 'w', OPT_STRING, &(r).workdir, "with --image: the working directory (made when missing)",  \
	  NULL, false },                                                                                   \
	{ "entrypoint", 0, OPT_STRING, &(r).entrypoint, "with --image: replace the image's Entrypoint: a "      \
	  "command, or a JSON array; \"\" for none", NULL, false },                                          \
	{ "cap-add", 0, OPT_STRV, &(r).cap_add, "with --image: add a capability (NET_ADMIN, ALL), repeatable",  \
	  NULL, false },                                                                                   \
	{ "cap-drop", 0, OPT_STRV, &(r).cap_drop, "with --image: drop a capability (NET_RAW, ALL), repeatable", \
	  NULL, false },                                                                                   \
	{ "sysctl", 0, OPT_STRV, &(r).sysctl, "with --image: a namespaced sysctl, name=value, repeatable",      \
	  NULL, false },                                                                                   \
	{ "read-only", 0, OPT_BOOL, &(r).read_only, "with --image: a read-only root (tmpfs on /run, /tmp and " \
	  "/var/tmp)", NULL, false },                                                                       \
	{ "volume", 'v', OPT_STRV, &(r).volumes, "with --image: bind mount /host/path:/in/container[:ro], "     \
	  "repeatable", NULL, false },                                                                      \
	{ "tmpfs", 0, OPT_STRV, &(r).tmpfs, "with --image: a tmpfs at /path[:options], repeatable", NULL,       \
	  false },                                                                                         \
	{ "tty", 't', OPT_BOOL, &(r).tty, "with --image: allocate a terminal (process.terminal)", NULL, false }, \
	{ "interactive", 'i', OPT_BOOL, &(r).interactive, "with --image: keep stdin (without it the container " \
	  "reads /dev/null)", NULL, false },                                                                \
	{ "hostname", 0, OPT_STRING, &(r).hostname, "with --image: the hostname (default: the container's "    \
	  "name)", NULL, false },                                                                           \
	{ "memory", 0, OPT_STRING, &(r).memory, "with --image: a memory limit, e.g. 512m", NULL, false },       \
	{ "cpus", 0, OPT_STRING, &(r).cpus, "with --image: CPUs to allow, e.g. 1.5", NULL, false },             \
	{ "pids-limit", 0, OPT_STRING, &(r).pids_limit, "with --image: at most this many processes", NULL,      \
	  false }

/* The image-only flags given without --image: an error (-1) naming the first. */
int cli_image_run_check(struct cli *cli, const struct opt *opts, bool image);
/* --user and --entrypoint into the image spec options; -1 after reporting an error. */
int cli_image_run_spec_options(struct cli *cli, struct image_run_args *r, ctr_image_spec_options *so);
/*
 * The defaults and flags on an image's spec (hostname = id unless
 * --hostname, HOSTNAME, env, workdir, terminal, caps, mounts, sysctls,
 * resources; ping_group_range with own_netns).  -1 after reporting an error.
 */
int cli_image_run_apply(struct cli *cli, const struct image_run_args *r, const char *id, bool own_netns,
			ctr_spec **spec);
void cli_image_run_free(struct image_run_args *r);

struct json_object;
/* --device /dev/x[:/dev/y][:rwm]: the host node as a linux.devices entry and a device cgroup rule; -1 after an error. */
int cli_host_device(struct cli *cli, struct json_object *root, const char *spec);
/* Edit *spec as JSON with fn, then load it again (validated, errors naming what); -1 after an error. */
int cli_spec_edit_json(struct cli *cli, ctr_spec **spec, const char *what,
		       int (*fn)(struct cli *cli, struct json_object *root, void *ud), void *ud);

/* The accelerator registry for --host-root and --cdi-spec-dir (devices.c); NULL after reporting an error. */
ctr_accel_registry *cli_registry(struct cli *cli);

/* Write a pid file atomically (temporary file and rename), as runc does: no newline. */
int cli_write_pid_file(struct cli *cli, const char *path, pid_t pid);
/* An absolute version of path (relative to the cwd); malloc'd, NULL on ENOMEM. */
char *cli_abspath(const char *path);
/* Parse a signal: "KILL", "SIGKILL", "kill", "9", "RTMIN+3".  -1 when unknown. */
int cli_parse_signal(const char *s);

#endif

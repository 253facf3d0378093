/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lifecycle commands: create, run, start, state, kill, delete, list, spec.
 * Flags, output formats and exit codes follow runc 1.1 so that engines that
 * drive runc (podman through conmon, containerd's runc shim) can drive us.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char *pos_id(struct cli *cli, char **pos, int npos, int max)
{
	if (npos < 1) {
		cli_usage_error(cli, "requires a container id");
		return NULL;
	}
	if (npos > max) {
		char what[256];
		snprintf(what, sizeof(what), "takes %s, got an extra argument '%s'",
			 max == 1 ? "exactly 1 argument (the container id)" : "at most 2 arguments", pos[max]);
		cli_usage_error(cli, what);
		return NULL;
	}
	return pos[0];
}

/* Load a container, reporting "does not exist" the way runc does. */
static int load(struct cli *cli, const char *id, ctr_container **c, bool quiet_enoent)
{
	ctr_context *ctx = cli_context(cli);
	ctr_error *err = NULL;
	if (!ctx)
		return -EINVAL;
	int r = ctr_container_load(ctx, c, id, &err);
	if (r < 0) {
		if (r == -ENOENT && quiet_enoent)
			ctr_error_free(err);
		else
			cli_error_ctr(cli, err, NULL);
	}
	return r;
}

/* ------------------------------------------------------------ create, run */

struct create_args {
	const char *bundle;
	const char *console_socket;
	const char *pid_file;
	bool no_pivot, no_new_keyring, detach, keep, no_subreaper;
	int preserve_fds;
	struct strv devices; /* --device, repeatable */
	struct strv gpus;    /* --gpus, repeatable (Docker's syntax) */
	bool gpus_from_env;  /* --gpus-from-env */
	struct net_args net; /* --network, -p, --ip, --ip6, --alias */
	const char *image;   /* --image: a source or a stored image instead of a bundle */
	struct reg_args reg; /* --pull and the registry flags, for --image */
	const char *name;    /* --name: the container id with --image */
	bool rm;             /* --rm: delete after exit (run's default unless --keep) */
	const char *const *cmd; /* with --image: the positional arguments, replacing the image's Cmd */
	struct image_run_args ir; /* with --image: -e, -u, -w, --entrypoint, ... (image-run.c) */
};

static void create_args_free(struct create_args *a)
{
	free(a->devices.v);
	free(a->gpus.v);
	free(a->net.publish.v);
	free(a->net.aliases.v);
	cli_image_run_free(&a->ir);
}

#define CREATE_OPTS(a)                                                                                    \
	{ "bundle", 'b', OPT_STRING, &(a).bundle,                                                        \
	  "path to the root of the bundle directory, defaults to the current directory", NULL, false },  \
	{ "console-socket", 0, OPT_STRING, &(a).console_socket,                                          \
	  "path to an AF_UNIX socket which will receive a file descriptor referencing the master end "    \
	  "of the console's pseudoterminal", NULL, false },                                               \
	{ "pid-file", 0, OPT_STRING, &(a).pid_file, "specify the file to write the process id to", NULL, \
	  false },                                                                                        \
	{ "no-pivot", 0, OPT_BOOL, &(a).no_pivot,                                                        \
	  "do not use pivot root to jail process inside rootfs.  This should be used whenever the "       \
	  "rootfs is on top of a ramdisk", NULL, false },                                                 \
	{ "no-new-keyring", 0, OPT_BOOL, &(a).no_new_keyring,                                            \
	  "do not create a new session keyring for the container.  This will cause the container to "     \
	  "inherit the calling processes session key", NULL, false },                                     \
	{ "preserve-fds", 0, OPT_INT, &(a).preserve_fds,                                                  \
	  "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", "0",  \
	  false },                                                                                        \
	{ "device", 0, OPT_STRV, &(a).devices,                                                           \
	  "add a device, repeatable: a host node /dev/x[:/dev/y][:rwm], or a fully-qualified name such "  \
	  "as dri/render=all, dri/render=0, nvidia.com/gpu=all or a CDI spec's vendor/class=name (see '"  \
	  CLI_NAME " devices'); the spec's cdi.k8s.io annotations are honoured too", NULL, false },       \
	{ "gpus", 0, OPT_STRV, &(a).gpus,                                                                \
	  "add GPUs as Docker's --gpus does, repeatable: all, a count, \"device=0,2\", device=UUID, "      \
	  "driver=nvidia|amd|dxg|virtio-gpu|dri, capabilities=compute,utility,graphics,video,display,"     \
	  "compat32,ngx (NVIDIA's driver capabilities; default compute,utility)", NULL, false },          \
	{ "gpus-from-env", 0, OPT_BOOL, &(a).gpus_from_env,                                              \
	  "give the container the GPUs its NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES ask for " \
	  "(as the NVIDIA runtime does for its images); without this flag they are plain variables",       \
	  NULL, false },                                                                                  \
	{ "image", 0, OPT_STRING, &(a).image,                                                            \
	  "run an image instead of a bundle: a source (oci:<dir>[:<tag>], oci-archive:<file>[:<tag>], "    \
	  "docker-archive:<file>[:<name:tag>]) imported into --store first, a registry's "                 \
	  "docker://[host/]repo[:tag] pulled as --pull says, or a stored image's name; "                    \
	  "the positional arguments (after --) replace the image's Cmd", NULL, false },                    \
	{ "name", 0, OPT_STRING, &(a).name, "with --image: the container id (default: image-<pid>)",     \
	  NULL, false }, \
	{ "pull", 0, OPT_STRING, &(a).reg.pull,                                                          \
	  "with --image: pull the image from a registry: always, missing (the default for docker://) "     \
	  "or never; given, a plain name (busybox, quay.io/x/y:1) is a registry reference too", NULL,     \
	  false },                                                                                        \
	REG_OPTS((a).reg), \
	NET_OPTS((a).net), \
	IMAGE_RUN_OPTS((a).ir)

#define ID_USAGE                                                                                          \
	"\n\nWhere \"<container-id>\" is your name for the instance of the container that you\n"        \
	"are starting. The name you provide for the container instance must be unique on\nyour host."

static int cdi_annotation(const char *key, const char *value, void *ud)
{
	(void)value;
	(void)ud;
	return !strncmp(key, "cdi.k8s.io/", 11);
}

/*
 * An image that asks for GPUs through NVIDIA_VISIBLE_DEVICES (every CUDA
 * image does) gets none unless the user says so: say how, on stderr.
 */
static void spec_gpu_env_note(struct cli *cli, const ctr_spec *spec)
{
	const char *v = ctr_spec_get_env(spec, "NVIDIA_VISIBLE_DEVICES");
	if (!v || !*v || !strcmp(v, "void"))
		return;
	/* the value is the image's: no control characters onto the terminal */
	char shown[80];
	size_t k = 0;
	for (const char *c = v; *c && k < sizeof(shown) - 4; c++)
		shown[k++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
	memcpy(shown + k, strlen(v) > k ? "..." : "", strlen(v) > k ? 4 : 1);
	fprintf(stderr, CLI_NAME " %s: note: the container's environment has NVIDIA_VISIBLE_DEVICES=%s; it gets no "
		"GPU from it unless --gpus-from-env is given (or ask with --gpus)\n", cli->cmd, shown);
}

/*
 * The container id: the positional argument, or with --image the --name
 * (default image-<pid>) while the positional arguments are the command.
 */
static const char *image_id(struct cli *cli, struct create_args *a, char **pos, int npos, char *gen, size_t n)
{
	if (!a->image) {
		if (a->name) {
			cli_usage_error(cli, "takes --name only with --image (the id is the positional argument)");
			return NULL;
		}
		return pos_id(cli, pos, npos, 1);
	}
	a->cmd = (const char *const *)pos;
	if (a->name)
		return a->name;
	snprintf(gen, n, "image-%d", (int)getpid());
	return gen;
}

/* --device /dev/...: every host node of the list into the spec */
static int host_devices(struct cli *cli, json_object *root, void *ud)
{
	const struct strv *devs = ud;
	for (size_t i = 0; i < devs->n; i++)
		if (devs->v[i][0] == '/' && cli_host_device(cli, root, devs->v[i]) < 0)
			return -1;
	return 0;
}

/*
 * Load the bundle's config.json and create the container.  *terminal
 * receives process.terminal.  With started (run) and no terminal the
 * create starts it too (CTR_CREATE_START: no round trip of a separate
 * start), after before_start (if any) ran; *started says whether it did.
 * Returns 0 or 1 after reporting an error.
 */
static int do_create(struct cli *cli, const char *id, struct create_args *a, ctr_container **out,
		     int *terminal, bool *started, int (*before_start)(struct cli *cli, const struct create_args *a))
{
	ctr_context *ctx = cli_context(cli);
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	char *bundle = NULL, *config = NULL, *pid_file = NULL, *sock = NULL;
	ctr_net_request *net = NULL;
	int rc = 1, devnull = -1;

	char *image = NULL;
	if (!ctx)
		return 1;
	/* the init stub's memfd and the mount table read while config.json loads (ctr/context.h) */
	ctr_context_warm(ctx);
	bundle = realpath(a->bundle ? a->bundle : ".", NULL);
	if (!bundle) {
		cli_error(cli, "bundle directory %s: %s (--bundle names the directory holding config.json)",
			  a->bundle ? a->bundle : ".", strerror(errno));
		return 1;
	}
	/* with an image and no --network: "none", a namespace of its own with loopback up, as podman's */
	struct net_args net_a = a->net;
	if (a->image && !net_a.network)
		net_a.network = "none";
	if (a->image) {
		/* the spec and the rootfs come from the image (image.c), then podman's defaults and flags */
		bool own_netns = strcmp(net_a.network, "host") && strncmp(net_a.network, "container:", 10);
		if (cli_image_spec(cli, a->image, &a->reg, a->cmd, &a->ir, &spec, &image) ||
		    cli_image_run_apply(cli, &a->ir, id, own_netns, &spec) < 0 || !(config = strdup(a->image)))
			goto out;
	} else if (asprintf(&config, "%s/config.json", bundle) < 0) {
		config = NULL;
		cli_error(cli, "out of memory");
		goto out;
	} else if (ctr_spec_load_file(&spec, config, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		goto out;
	}
	if (a->image)
		cli_debug(cli, "create '%s' from the image '%s' (store %s), network %s", id, image,
			  ctr_image_store_dir(cli->image_store), net_a.network);
	else
		cli_debug(cli, "create '%s' from the bundle %s (config %s)%s%s", id, bundle, config,
			  net_a.network ? ", network " : "", net_a.network ? net_a.network : "");
	*terminal = ctr_spec_get_terminal(spec);
	if (*terminal && a->detach && !a->console_socket) {
		cli_error(cli, "cannot allocate tty if " CLI_NAME " will detach without setting console socket: "
			  "give --console-socket, or set process.terminal to false in %s", config);
		goto out;
	}
	/*
	 * runc's rule: a foreground run with a terminal and no console socket
	 * needs a terminal of ours to connect the pty to: stdin, stdout or
	 * stderr, or the controlling terminal.  Without one the container
	 * would wait for input nobody can type (an interactive shell ignores
	 * the TERM a timeout sends): refuse before anything is created.
	 */
	if (*terminal && !a->detach && !a->console_socket && !cli_have_terminal()) {
		cli_error(cli, "process.terminal is true but there is no terminal to connect it to: stdin, stdout and "
			  "stderr are not terminals and " CLI_NAME " has no controlling terminal (/dev/tty: %s): run it "
			  "from a terminal, set process.terminal to false in %s, or give --detach with --console-socket",
			  strerror(errno), config);
		goto out;
	}
	if (!*terminal && a->console_socket) {
		cli_error(cli, "cannot use console socket if " CLI_NAME " will not allocate tty: "
			  "process.terminal is false in %s", config);
		goto out;
	}
	/* Socket activation ($LISTEN_FDS for us): hand the sockets on, as runc does. */
	int preserve = a->preserve_fds;
	const char *lfds = getenv("LISTEN_FDS"), *lpid = getenv("LISTEN_PID");
	if (lfds && lpid && atoi(lpid) == (int)getpid() && atoi(lfds) > 0) {
		preserve += atoi(lfds);
		if (ctr_spec_set_env(spec, "LISTEN_FDS", lfds, &err) < 0 ||
		    ctr_spec_set_env(spec, "LISTEN_PID", "1", &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			goto out;
		}
	}

	/*
	 * Devices: --device requests and the spec's CDI annotations need the
	 * registry; discovery is only run when the container asks for devices.
	 */
	ctr_accel_registry *reg = NULL;
	cli->gpus_from_env = a->gpus_from_env;
	size_t n_named = 0;
	for (size_t i = 0; i < a->devices.n; i++)
		n_named += a->devices.v[i][0] != '/';
	if (n_named < a->devices.n) {
		/* host nodes into the spec */
		if (cli_spec_edit_json(cli, &spec, config, host_devices, &a->devices) < 0)
			goto out;
	}
	if (n_named || a->gpus.n || a->gpus_from_env || ctr_spec_foreach_annotation(spec, cdi_annotation, NULL)) {
		reg = cli_registry(cli);
		if (!reg)
			goto out;
	} else {
		spec_gpu_env_note(cli, spec);
	}
	for (size_t i = 0; i < a->gpus.n; i++) {
		ctr_gpu_request *req = NULL;
		const char *g = a->gpus.v[i];
		if (ctr_gpu_request_parse(g, strlen(g), &req, &err) < 0 || ctr_spec_add_gpus(spec, reg, req, &err) < 0) {
			char *pfx = NULL;
			if (asprintf(&pfx, "--gpus %s", g) < 0)
				pfx = NULL;
			cli_error_ctr(cli, err, pfx);
			free(pfx);
			ctr_gpu_request_free(req);
			goto out;
		}
		ctr_gpu_request_free(req);
	}
	for (size_t i = 0; i < a->devices.n; i++) {
		if (a->devices.v[i][0] == '/')
			continue; /* a host node, added above */
		if (ctr_spec_add_device(spec, reg, a->devices.v[i], &err) < 0) {
			char *pfx = NULL;
			if (asprintf(&pfx, "--device %s", a->devices.v[i]) < 0)
				pfx = NULL;
			cli_error_ctr(cli, err, pfx);
			free(pfx);
			goto out;
		}
	}

	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = bundle;
	o.accel = reg;
	if (cli_net_request(cli, &net_a, &net) < 0)
		goto out;
	o.network = net;
	if (image) {
		o.image_store = cli->image_store;
		o.image = image;
	}
	if (a->console_socket && !(sock = cli_abspath(a->console_socket)))
		goto oom;
	if (a->pid_file && !(pid_file = cli_abspath(a->pid_file)))
		goto oom;
	o.console_socket = sock;
	o.pid_file = pid_file;
	if (cli_check_preserved(cli, preserve))
		goto out;
	o.preserve_fds = preserve;
	/* as podman: without -i (or -t) an image's container reads /dev/null, not our stdin */
	if (a->image && !a->ir.interactive && !a->ir.tty) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0) {
			cli_error(cli, "/dev/null: %s", strerror(errno));
			goto out;
		}
		o.stdio_fds[0] = devnull;
	}
	if (a->no_pivot)
		o.flags |= CTR_CREATE_NO_PIVOT;
	if (a->no_new_keyring)
		o.flags |= CTR_CREATE_NO_NEW_KEYRING;
	if (cli->systemd_cgroup)
		o.flags |= CTR_CREATE_SYSTEMD_CGROUP;
	/* with a terminal, run takes the pty master and sizes it before the start */
	if (started && !*terminal) {
		if (before_start && before_start(cli, a) < 0)
			goto out;
		o.flags |= CTR_CREATE_START;
	}
	cli_debug(cli, "create '%s': terminal %s, %d extra fds, flags %#x", id,
		  !*terminal ? "no" : sock ? "to the console socket" : "proxied by " CLI_NAME, preserve, o.flags);
	if (ctr_container_create(ctx, out, id, spec, &o, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		goto out;
	}
	if (started)
		*started = (o.flags & CTR_CREATE_START) != 0;
	cli_debug(cli, "created '%s': init pid %d %s, state in %s/%s", id, (int)ctr_container_pid(*out),
		  (o.flags & CTR_CREATE_START) ? "started" : "waits for start", ctr_context_state_root(ctx), id);
	rc = 0;
	goto out;
oom:
	cli_error(cli, "out of memory");
out:
	if (devnull >= 0)
		close(devnull);
	ctr_net_request_free(net);
	ctr_spec_free(spec);
	free(image);
	free(bundle);
	free(config);
	free(pid_file);
	free(sock);
	return rc;
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
	struct create_args a = { .reg = REG_ARGS_INIT };
	struct opt opts[] = { CREATE_OPTS(a), { 0 } };
	const struct cmd_desc desc = {
		"create", "create a container", "[command options] <container-id>" ID_USAGE,
		"The create command creates an instance of a container for a bundle. The bundle\n"
		"is a directory with a specification file named \"config.json\" and a root\n"
		"filesystem.\n\n"
		"The specification file includes an args parameter. The args parameter is used\n"
		"to specify command(s) that get run when the container is started. To change the\n"
		"command(s) that get executed on start, edit the args parameter of the spec. See\n"
		"\"" CLI_NAME " spec --help\" for more explanation.",
		true
	};
	char **pos = NULL;
	int npos, r, terminal;
	ctr_container *c = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r) {
		create_args_free(&a);
		return r < 0;
	}
	char gen[32];
	const char *id = cli_image_run_check(cli, opts, a.image != NULL) < 0 ? NULL
										: image_id(cli, &a, pos, npos, gen, sizeof(gen));
	a.detach = true; /* create always returns with the container waiting */
	r = id ? do_create(cli, id, &a, &c, &terminal, NULL, NULL) : 1;
	ctr_container_free(c);
	free(pos);
	create_args_free(&a);
	return r;
}

/* run in the foreground, started by the create: what the start needs first (see cmd_run) */
static int run_before_start(struct cli *cli, const struct create_args *a)
{
	if (!a->no_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return cli_signals_setup(cli);
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct create_args a = { .reg = REG_ARGS_INIT };
	struct opt opts[] = {
		CREATE_OPTS(a),
		{ "detach", 'd', OPT_BOOL, &a.detach, "detach from the container's process", NULL, false },
		{ "keep", 0, OPT_BOOL, &a.keep, "do not delete the container after it exits", NULL, false },
		{ "rm", 0, OPT_BOOL, &a.rm, "delete the container after it exits (the default; overrides --keep)",
		  NULL, false },
		{ "no-subreaper", 0, OPT_BOOL, &a.no_subreaper,
		  "disable the use of the subreaper used to reap reparented processes", NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"run", "create and run a container", "[command options] <container-id>" ID_USAGE,
		"The run command creates an instance of a container for a bundle. The bundle\n"
		"is a directory with a specification file named \"config.json\" and a root\n"
		"filesystem.\n\n"
		"The specification file includes an args parameter. The args parameter is used\n"
		"to specify command(s) that get run when the container is started. To change the\n"
		"command(s) that get executed on start, edit the args parameter of the spec. See\n"
		"\"" CLI_NAME " spec --help\" for more explanation.",
		true
	};
	char **pos = NULL;
	int npos, r, terminal = 0, status = 1, master = -1;
	ctr_container *c = NULL;
	ctr_error *err = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r) {
		create_args_free(&a);
		return r < 0;
	}
	char gen[32];
	const char *id = cli_image_run_check(cli, opts, a.image != NULL) < 0 ? NULL
										: image_id(cli, &a, pos, npos, gen, sizeof(gen));
	/* without a terminal the create starts it (CTR_CREATE_START): in the foreground with our
	 * signal forwarding and subreaper in place first */
	bool started = false;
	if (!id || do_create(cli, id, &a, &c, &terminal, &started, a.detach ? NULL : run_before_start)) {
		cli_signals_reset();
		free(pos);
		create_args_free(&a);
		return 1;
	}

	cli_debug(cli, "%s '%s' %s", started ? "started" : "start", id, a.detach ? "detached" : "in the foreground");
	if (a.detach) {
		if (!started && ctr_container_start(c, &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			err = NULL;
			/* a failed startContainer or poststart hook has deleted it already (runtime.md) */
			if (ctr_container_delete(c, CTR_DELETE_FORCE, &err) < 0 &&
			    ctr_error_code_of(err) != CTR_E_NOT_FOUND)
				cli_error_ctr(cli, err, "cleaning up after the failed start");
			else
				ctr_error_free(err);
			status = 1;
		} else {
			status = 0;
			if (a.image) /* as podman run -d: the id it made, for the next command */
				printf("%s\n", id);
		}
		goto out;
	}

	/* Foreground: we are init's parent; proxy its terminal and forward signals. */
	if (terminal && !a.console_socket) {
		master = ctr_container_take_console(c);
		if (master < 0) {
			cli_error(cli, "process.terminal is set but the library handed over no pty master");
			goto fail_delete;
		}
	}
	if (!started) {
		if (!a.no_subreaper)
			prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		if (master >= 0) {
			cli_tty_resize(master); /* before start, so the program sees the right size at once */
			cli_tty_raw();      /* before our handlers: a SIGTTOU here is ours, not the container's */
		}
		if (cli_signals_setup(cli) < 0) {
			cli_tty_restore();
			goto fail_delete;
		}
		if (ctr_container_start(c, &err) < 0) {
			cli_tty_restore();
			cli_error_ctr(cli, err, NULL);
			err = NULL;
			goto fail_delete;
		}
	}
	struct io_proxy p = {
		.master = master,
		.pidfd = ctr_container_pidfd(c),
		.pid = ctr_container_pid(c),
		.c = c,
		.sig_pidfd = -1,
	};
	if (cli_proxy_run(cli, &p) < 0) {
		cli_tty_restore();
		goto fail_delete;
	}
	cli_tty_restore();
	if (ctr_container_wait(c, &status, -1, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		status = 1;
	} else if (status < 0) {
		cli_error(cli, "the exit status of container %s could not be learnt", id);
		status = 1;
	}
	/* our handlers stay until we exit: a signal from here on is swallowed, so that the
	 * cleanup completes (with the default action it would stop half-way and leave the state) */
	cli_debug(cli, "'%s' exited with status %d%s", id, status, !a.keep || a.rm ? "; deleting it" : "; kept (--keep)");
	if ((!a.keep || a.rm) && ctr_container_delete(c, CTR_DELETE_FORCE, &err) < 0)
		cli_error_ctr(cli, err, "deleting the container after it exited");
	goto out;

fail_delete:
	/* a failed startContainer or poststart hook has deleted it already (runtime.md) */
	if (ctr_container_delete(c, CTR_DELETE_FORCE, &err) < 0 && ctr_error_code_of(err) != CTR_E_NOT_FOUND)
		cli_error_ctr(cli, err, "cleaning up after the failure");
	else
		ctr_error_free(err);
	status = 1;
out:
	if (master >= 0)
		close(master);
	ctr_container_free(c);
	free(pos);
	create_args_free(&a);
	return status;
}

/* --------------------------------------------------------- start, kill, delete */

int cmd_start(struct cli *cli, int argc, char **argv)
{
	const struct cmd_desc desc = {
		"start", "executes the user defined process in a created container", "<container-id>" ID_USAGE,
		"The start command executes the user defined process in a created container.", true
	};
	struct opt opts[] = { { 0 } };
	char **pos = NULL;
	int npos, r;
	ctr_container *c = NULL;
	ctr_error *err = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	const char *id = pos_id(cli, pos, npos, 1);
	r = 1;
	if (id && load(cli, id, &c, false) == 0) {
		cli_debug(cli, "start '%s': release its init (pid %d) to exec process.args", id, (int)ctr_container_pid(c));
		if (ctr_container_start(c, &err) < 0)
			cli_error_ctr(cli, err, NULL);
		else
			r = 0;
	}
	ctr_container_free(c);
	free(pos);
	return r;
}

int cmd_kill(struct cli *cli, int argc, char **argv)
{
	bool all = false;
	struct opt opts[] = {
		{ "all", 'a', OPT_BOOL, &all, "send the specified signal to all processes inside the container", NULL,
		  false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"kill", "kill sends the specified signal (default: SIGTERM) to the container's init process",
		"[command options] <container-id> [signal]\n\n"
		"Where \"<container-id>\" is the name for the instance of the container and\n"
		"\"[signal]\" is the signal to be sent to the init process.\n\n"
		"EXAMPLE:\nFor example, if the container id is \"ubuntu01\" the following will send a \"KILL\"\n"
		"signal to the init process of the \"ubuntu01\" container:\n\n       # " CLI_NAME " kill ubuntu01 KILL",
		NULL, true
	};
	char **pos = NULL;
	int npos, r;
	ctr_container *c = NULL;
	ctr_error *err = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	const char *id = pos_id(cli, pos, npos, 2);
	r = 1;
	if (!id)
		goto out;
	const char *sname = npos > 1 ? pos[1] : "SIGTERM";
	int sig = cli_parse_signal(sname);
	if (sig < 0) {
		cli_error(cli, "unknown signal '%s': give a name such as TERM, SIGKILL or HUP, or a number", sname);
		goto out;
	}
	if (load(cli, id, &c, false) < 0)
		goto out;
	cli_debug(cli, "kill '%s': signal %d to %s", id, sig, all ? "every process in its cgroup" : "its init");
	if (ctr_container_kill(c, sig, all ? CTR_KILL_ALL : 0, &err) < 0)
		cli_error_ctr(cli, err, NULL);
	else
		r = 0;
out:
	ctr_container_free(c);
	free(pos);
	return r;
}

int cmd_delete(struct cli *cli, int argc, char **argv)
{
	bool force = false;
	struct opt opts[] = {
		{ "force", 'f', OPT_BOOL, &force, "Forcibly deletes the container if it is still running (uses SIGKILL)",
		  NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"delete", "delete any resources held by the container often used with detached container",
		"[command options] <container-id>\n\n"
		"Where \"<container-id>\" is the name for the instance of the container.\n\n"
		"EXAMPLE:\nFor example, if the container id is \"ubuntu01\" and " CLI_NAME " list currently shows the\n"
		"status of \"ubuntu01\" as \"stopped\" the following will delete resources held for\n"
		"\"ubuntu01\" removing \"ubuntu01\" from the " CLI_NAME " list of containers:\n\n       # " CLI_NAME
		" delete ubuntu01",
		NULL, true
	};
	char **pos = NULL;
	int npos, r;
	ctr_container *c = NULL;
	ctr_error *err = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	const char *id = pos_id(cli, pos, npos, 1);
	r = 1;
	if (!id)
		goto out;
	int l = load(cli, id, &c, force);
	if (l == -ENOENT && force) {
		r = 0; /* like runc: --force on a container that is gone is not an error */
		goto out;
	}
	if (l < 0)
		goto out;
	ctr_status st = ctr_container_status(c);
	cli_debug(cli, "delete '%s' (%s)%s", id, ctr_status_name(st), force ? ": --force kills what still runs" : "");
	if (!force && (st == CTR_STATUS_RUNNING || st == CTR_STATUS_PAUSED)) {
		cli_error(cli, "cannot delete container '%s': it is %s: stop it first ('" CLI_NAME " kill %s'), or "
			  "delete it with --force ('" CLI_NAME " delete --force %s')", id, ctr_status_name(st), id, id);
		goto out;
	}
	/* runc's delete: a created (never started) container goes without --force (containerd's shim
	 * deletes created tasks so); the library itself follows runtime.md and needs the flag */
	if (ctr_container_delete(c, CTR_DELETE_CREATED | (force ? CTR_DELETE_FORCE : 0), &err) < 0)
		cli_error_ctr(cli, err, NULL);
	else
		r = 0;
out:
	ctr_container_free(c);
	free(pos);
	return r;
}

/* ------------------------------------------------------------- state, list */

/* Sorted annotations of a container from its state JSON (or its config); NULL when none. */
static json_object *container_annotations(ctr_container *c, char **oci_version)
{
	char *js = NULL;
	json_object *root = NULL, *ann = NULL, *v;

	*oci_version = NULL;
	if (ctr_container_state_json(c, &js, NULL) == 0) {
		root = json_tokener_parse(js);
		ctr_free(js);
		if (root && json_object_object_get_ex(root, "ociVersion", &v) && json_object_is_type(v, json_type_string))
			*oci_version = strdup(json_object_get_string(v));
		if (root && json_object_object_get_ex(root, "annotations", &v) && json_object_is_type(v, json_type_object))
			ann = json_object_get(v);
		json_object_put(root);
	}
	if (!ann) {
		ctr_spec *spec = NULL;
		if (ctr_container_spec(c, &spec, NULL) == 0 && ctr_spec_to_json(spec, &js, NULL, 0, NULL) == 0) {
			root = json_tokener_parse(js);
			ctr_free(js);
			if (root && json_object_object_get_ex(root, "annotations", &v) &&
			    json_object_is_type(v, json_type_object))
				ann = json_object_get(v);
			if (!*oci_version && root && json_object_object_get_ex(root, "ociVersion", &v) &&
			    json_object_is_type(v, json_type_string))
				*oci_version = strdup(json_object_get_string(v));
			json_object_put(root);
		}
		ctr_spec_free(spec);
	}
	if (ann && json_object_object_length(ann) == 0) {
		json_object_put(ann);
		ann = NULL;
	}
	return ann;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's map[string]string marshalling: keys sorted bytewise. */
static void add_annotations(struct buf *b, json_object *ann, const char *ind)
{
	size_t n = (size_t)json_object_object_length(ann), k = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys) {
		b->oom = true;
		return;
	}
	json_object_object_foreach(ann, key, val)
	{
		(void)val;
		keys[k++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	buf_puts(b, "{");
	for (k = 0; k < n; k++) {
		json_object *v = NULL;
		json_object_object_get_ex(ann, keys[k], &v);
		if (k)
			buf_puts(b, ",");
		if (ind)
			buf_printf(b, "\n%s    ", ind);
		buf_json_str(b, keys[k]);
		buf_puts(b, ind ? ": " : ":");
		buf_json_str(b, v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
	}
	if (ind)
		buf_printf(b, "\n%s  ", ind);
	buf_puts(b, "}");
	free(keys);
}

/*
 * A container's state as runc's containerState marshals it; pretty adds
 * MarshalIndent's newlines and two-space indent.
 */
static void state_json(struct buf *b, ctr_container *c, ctr_status st, const char *owner, bool pretty)
{
	char *oci = NULL;
	json_object *ann = container_annotations(c, &oci);
	char *created = cli_go_time(ctr_container_created(c));
	const char *nl = pretty ? "\n  " : "", *sep = pretty ? ": " : ":";
	pid_t pid = st == CTR_STATUS_STOPPED ? 0 : ctr_container_pid(c);

	buf_printf(b, "{%s\"ociVersion\"%s", nl, sep);
	buf_json_str(b, oci ? oci : CTR_OCI_VERSION);
	buf_printf(b, ",%s\"id\"%s", nl, sep);
	buf_json_str(b, ctr_container_id(c));
	buf_printf(b, ",%s\"pid\"%s%d", nl, sep, (int)pid);
	buf_printf(b, ",%s\"status\"%s", nl, sep);
	buf_json_str(b, ctr_status_name(st));
	buf_printf(b, ",%s\"bundle\"%s", nl, sep);
	buf_json_str(b, ctr_container_bundle(c) ? ctr_container_bundle(c) : "");
	buf_printf(b, ",%s\"rootfs\"%s", nl, sep);
	buf_json_str(b, ctr_container_rootfs(c) ? ctr_container_rootfs(c) : "");
	buf_printf(b, ",%s\"created\"%s", nl, sep);
	buf_json_str(b, created ? created : "");
	if (ann) {
		buf_printf(b, ",%s\"annotations\"%s", nl, sep);
		add_annotations(b, ann, pretty ? "" : NULL);
	}
	buf_printf(b, ",%s\"owner\"%s", nl, sep);
	buf_json_str(b, owner);
	buf_puts(b, pretty ? "\n}" : "}");
	json_object_put(ann);
	free(oci);
	free(created);
}

int cmd_state(struct cli *cli, int argc, char **argv)
{
	const struct cmd_desc desc = {
		"state", "output the state of a container",
		"<container-id>\n\nWhere \"<container-id>\" is your name for the instance of the container.",
		"The state command outputs current state information for the\ninstance of a container.", true
	};
	struct opt opts[] = { { 0 } };
	char **pos = NULL;
	int npos, r;
	ctr_container *c = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	const char *id = pos_id(cli, pos, npos, 1);
	r = 1;
	if (id && load(cli, id, &c, false) == 0) {
		struct buf b = { 0 };
		state_json(&b, c, ctr_container_status(c), "", true);
		if (b.oom) {
			cli_error(cli, "out of memory");
		} else {
			/* runc writes the document without a trailing newline */
			fwrite(b.s, 1, b.len, stdout);
			r = 0;
		}
		buf_free(&b);
	}
	ctr_container_free(c);
	free(pos);
	return r;
}

/* The owner of the container's state directory, as runc reports it. */
static char *owner_of(struct cli *cli, const char *id)
{
	char *path = NULL, *out = NULL;
	struct stat st;
	uid_t uid = geteuid();

	if (asprintf(&path, "%s/%s", ctr_context_state_root(cli->ctx), id) >= 0) {
		if (stat(path, &st) == 0)
			uid = st.st_uid;
		free(path);
	}
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		out = strdup(res->pw_name);
	else if (asprintf(&out, "#%u", (unsigned)uid) < 0)
		out = NULL;
	return out;
}

struct row {
	char *cells[6];
};

/* Go's text/tabwriter as runc sets it up: minwidth 12, padding 3, spaces; the last cell unpadded. */
static void print_table(struct row *rows, size_t n)
{
	size_t w[5];
	for (int k = 0; k < 5; k++) {
		w[k] = 12;
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(rows[i].cells[k]) + 3;
			if (l > w[k])
				w[k] = l;
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 5; k++)
			printf("%-*s", (int)w[k], rows[i].cells[k]);
		printf("%s\n", rows[i].cells[5]);
	}
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	const char *format = "table";
	bool quiet = false;
	struct opt opts[] = {
		{ "format", 'f', OPT_STRING, &format, "select one of: table or json", "\"table\"", false },
		{ "quiet", 'q', OPT_BOOL, &quiet, "display only container IDs", NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"list", "lists containers started by " CLI_NAME " with the given root",
		"[command options]\n\nWhere the given root is specified via the global option \"--root\"\n"
		"(default: \"/run/ctr\").\n\nEXAMPLE 1:\nTo list containers created via the default \"--root\":\n"
		"       # " CLI_NAME " list\n\nEXAMPLE 2:\nTo list containers created using a non-default value for "
		"\"--root\":\n       # " CLI_NAME " --root value list",
		NULL, true
	};
	char **pos = NULL, **ids = NULL;
	int npos, r;
	ctr_error *err = NULL;
	struct row *rows = NULL;
	size_t nrows = 0;
	struct buf js = { 0 };

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	r = 1;
	if (npos > 0) {
		char what[256];
		snprintf(what, sizeof(what), "takes no arguments, got '%s'", pos[0]);
		cli_usage_error(cli, what);
		goto out;
	}
	bool json = !strcmp(format, "json");
	if (!json && strcmp(format, "table")) {
		cli_error(cli, "invalid format option '%s' for --format: use 'table' or 'json'", format);
		goto out;
	}
	if (!cli_context(cli))
		goto out;
	if (ctr_container_list(cli->ctx, &ids, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		goto out;
	}
	size_t n = 0;
	while (ids[n])
		n++;
	rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		cli_error(cli, "out of memory");
		goto out;
	}
	if (!quiet && !json) {
		static const char *const hdr[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
		for (int k = 0; k < 6; k++)
			rows[nrows].cells[k] = strdup(hdr[k]);
		nrows++;
	}
	if (json)
		buf_puts(&js, "[");
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		ctr_container *c = NULL;
		if (ctr_container_load(cli->ctx, &c, ids[i], &err) < 0) {
			/* gone meanwhile, or half-created by a process that is still at it: skip, as runc does */
			if (ctr_error_errno(err) != ENOENT)
				cli_warn(cli, "skipping container %s: %s", ids[i], ctr_error_message(err));
			ctr_error_free(err);
			err = NULL;
			continue;
		}
		if (quiet) {
			printf("%s\n", ids[i]);
			ctr_container_free(c);
			continue;
		}
		ctr_status st = ctr_container_status(c);
		char *owner = owner_of(cli, ids[i]);
		if (json) {
			if (shown++)
				buf_puts(&js, ",");
			state_json(&js, c, st, owner ? owner : "", false);
		} else {
			struct row *row = &rows[nrows++];
			row->cells[0] = strdup(ids[i]);
			if (asprintf(&row->cells[1], "%d", st == CTR_STATUS_STOPPED ? 0 : (int)ctr_container_pid(c)) < 0)
				row->cells[1] = NULL;
			row->cells[2] = strdup(ctr_status_name(st));
			row->cells[3] = strdup(ctr_container_bundle(c) ? ctr_container_bundle(c) : "");
			row->cells[4] = cli_go_time(ctr_container_created(c));
			row->cells[5] = strdup(owner ? owner : "");
		}
		free(owner);
		ctr_container_free(c);
	}
	if (quiet) {
		r = 0;
		goto out;
	}
	if (json) {
		/* Go encodes an empty (nil) slice as null */
		if (!shown)
			printf("null\n");
		else if (buf_puts(&js, "]\n"), js.oom)
			cli_error(cli, "out of memory");
		else
			fputs(js.s, stdout);
		r = js.oom;
		goto out;
	}
	for (size_t i = 0; i < nrows; i++)
		for (int k = 0; k < 6; k++)
			if (!rows[i].cells[k]) {
				cli_error(cli, "out of memory");
				goto out;
			}
	print_table(rows, nrows);
	r = 0;
out:
	if (rows)
		for (size_t i = 0; i < nrows; i++)
			for (int k = 0; k < 6; k++)
				free(rows[i].cells[k]);
	free(rows);
	buf_free(&js);
	ctr_strv_free(ids);
	free(pos);
	return r;
}

/* -------------------------------------------------------------------- spec */

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/*
 * The edits `runc spec --rootless` makes: a user namespace mapping the
 * caller's ids to root, no network namespace, no mounts under /sys but a
 * read-only rbind of the host's /sys, no uid=/gid= mount options, and no
 * cgroup resources.
 */
static int make_rootless(json_object *root)
{
	json_object *linux_, *ns, *mounts, *v;
	if (!json_object_object_get_ex(root, "linux", &linux_)) {
		linux_ = json_object_new_object();
		if (!linux_)
			return -ENOMEM;
		json_object_object_add(root, "linux", linux_);
	}
	json_object *new_ns = json_object_new_array();
	if (!new_ns)
		return -ENOMEM;
	if (json_object_object_get_ex(linux_, "namespaces", &ns)) {
		for (size_t i = 0; i < json_object_array_length(ns); i++) {
			json_object *e = json_object_array_get_idx(ns, i), *t;
			const char *type = json_object_object_get_ex(e, "type", &t) ? json_object_get_string(t) : "";
			if (!strcmp(type, "network") || !strcmp(type, "user"))
				continue;
			json_object_array_add(new_ns, json_object_get(e));
		}
	}
	json_object *user = json_object_new_object();
	json_object_object_add(user, "type", json_object_new_string("user"));
	json_object_array_add(new_ns, user);
	json_object_object_add(linux_, "namespaces", new_ns);

	const char *maps[2] = { "uidMappings", "gidMappings" };
	for (int k = 0; k < 2; k++) {
		json_object *arr = json_object_new_array(), *m = json_object_new_object();
		json_object_object_add(m, "containerID", json_object_new_int64(0));
		json_object_object_add(m, "hostID", json_object_new_int64(k ? getegid() : geteuid()));
		json_object_object_add(m, "size", json_object_new_int64(1));
		json_object_array_add(arr, m);
		json_object_object_add(linux_, maps[k], arr);
	}
	json_object_object_del(linux_, "resources");

	json_object *new_mounts = json_object_new_array();
	if (json_object_object_get_ex(root, "mounts", &mounts)) {
		for (size_t i = 0; i < json_object_array_length(mounts); i++) {
			json_object *m = json_object_array_get_idx(mounts, i), *d, *opts;
			const char *dst = json_object_object_get_ex(m, "destination", &d) ? json_object_get_string(d) : "";
			if (has_prefix(dst, "/sys"))
				continue;
			if (json_object_object_get_ex(m, "options", &opts)) {
				json_object *kept = json_object_new_array();
				for (size_t j = 0; j < json_object_array_length(opts); j++) {
					const char *o = json_object_get_string(json_object_array_get_idx(opts, j));
					if (o && !has_prefix(o, "uid=") && !has_prefix(o, "gid="))
						json_object_array_add(kept, json_object_new_string(o));
				}
				json_object_object_add(m, "options", kept);
			}
			json_object_array_add(new_mounts, json_object_get(m));
		}
	}
	json_object *sys = json_object_new_object(), *sopts = json_object_new_array();
	static const char *const so[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
	json_object_object_add(sys, "destination", json_object_new_string("/sys"));
	json_object_object_add(sys, "type", json_object_new_string("none"));
	json_object_object_add(sys, "source", json_object_new_string("/sys"));
	for (size_t j = 0; j < 5; j++)
		json_object_array_add(sopts, json_object_new_string(so[j]));
	json_object_object_add(sys, "options", sopts);
	json_object_array_add(new_mounts, sys);
	json_object_object_add(root, "mounts", new_mounts);
	(void)v;
	return 0;
}

int cmd_spec(struct cli *cli, int argc, char **argv)
{
	const char *bundle = NULL;
	bool rootless = false;
	struct opt opts[] = {
		{ "bundle", 'b', OPT_STRING, &bundle, "path to the root of the bundle directory", NULL, false },
		{ "rootless", 0, OPT_BOOL, &rootless, "generate a configuration for a rootless container", NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"spec", "create a new specification file", "[command options] [arguments...]",
		"The spec command creates the new specification file named \"config.json\" for\nthe bundle.\n\n"
		"The spec generated is just a starter file. Editing of the spec is required to\n"
		"achieve desired results. For example, the newly generated spec includes an args\n"
		"parameter that is initially set to call the \"sh\" command when the container is\n"
		"started. Calling \"sh\" may work for an ubuntu container or busybox, but will not\n"
		"work for containers that do not include the \"sh\" program.\n\n"
		"You can pass the parameter --rootless to this command to generate a proper\n"
		"rootless spec file.",
		true
	};
	char **pos = NULL, *path = NULL, *js = NULL;
	int npos, r;
	ctr_spec *spec = NULL, *edited = NULL;
	ctr_error *err = NULL;
	json_object *root = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	r = 1;
	if (asprintf(&path, "%s/config.json", bundle && *bundle ? bundle : ".") < 0) {
		path = NULL;
		cli_error(cli, "out of memory");
		goto out;
	}
	struct stat st;
	if (bundle && *bundle && stat(bundle, &st) < 0) {
		cli_error(cli, "bundle directory %s (--bundle): %s", bundle, strerror(errno));
		goto out;
	}
	if (bundle && *bundle && !S_ISDIR(st.st_mode)) {
		cli_error(cli, "bundle %s (--bundle) is not a directory", bundle);
		goto out;
	}
	if (lstat(path, &st) == 0) {
		cli_error(cli, "File config.json exists. Remove it first");
		goto out;
	}
	if (ctr_spec_new_default(&spec, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		goto out;
	}
	if (rootless) {
		if (ctr_spec_to_json(spec, &js, NULL, 0, &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			goto out;
		}
		root = json_tokener_parse(js);
		if (!root || make_rootless(root) < 0) {
			cli_error(cli, "cannot turn the default configuration into a rootless one: %s",
				  root ? "out of memory" : "the library produced JSON that does not parse");
			goto out;
		}
		const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
		if (ctr_spec_load_buffer(&edited, txt, strlen(txt), "rootless config.json", &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			goto out;
		}
		ctr_spec_free(spec);
		spec = edited;
		edited = NULL;
	}
	if (ctr_spec_save_file(spec, path, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		goto out;
	}
	r = 0;
out:
	json_object_put(root);
	ctr_free(js);
	ctr_spec_free(spec);
	ctr_spec_free(edited);
	free(path);
	free(pos);
	return r;
}

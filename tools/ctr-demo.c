/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: an OCI runtime with runc's command line, so that podman,
 * containerd's runc shim and people used to runc can drive libctr.
 *
 * This file holds the global flags, command dispatch, help and version; the
 * error/log plumbing the commands share is in cli.c.  Calls go one way: from
 * here to the commands (cmd_* in cli.h), never back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Commands runc has that this build does not implement: a clear refusal. */
static int cmd_unsupported(struct cli *cli, int argc, char **argv)
{
	cli_error(cli, "'%s' is not supported by this build of " CLI_NAME " (libctr %s); "
		  "supported commands: create, start, run, state, kill, delete, exec, list, spec, pause, resume, ps, update, events, features, devices, cdi, network, image",
		  argv[0], ctr_version());
	return 1;
}

struct command {
	const char *name;
	const char *summary;
	int (*fn)(struct cli *cli, int argc, char **argv);
};

static const struct command commands[] = {
	{ "cdi", "list, validate or generate CDI (Container Device Interface) specs", cmd_cdi },
	{ "checkpoint", "checkpoint a running container (not supported by this build)", cmd_unsupported },
	{ "create", "create a container", cmd_create },
	{ "devices", "list the accelerator devices (GPUs) the backends discovered", cmd_devices },
	{ "delete", "delete any resources held by the container often used with detached container", cmd_delete },
	{ "events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics", cmd_events },
	{ "exec", "execute new process inside the container", cmd_exec },
	{ "kill", "kill sends the specified signal (default: SIGTERM) to the container's init process", cmd_kill },
	{ "list", "lists containers started by " CLI_NAME " with the given root", cmd_list },
	{ "network", "create, list, inspect or remove container networks", cmd_network },
	{ "pause", "pause suspends all processes inside the container", cmd_pause },
	{ "ps", "ps displays the processes running inside a container", cmd_ps },
	{ "restore", "restore a container from a previous checkpoint (not supported by this build)", cmd_unsupported },
	{ "resume", "resumes all processes that have been previously paused", cmd_resume },
	{ "image", "import, list, inspect, remove, prune or unpack OCI images (see --store)", cmd_image },
	{ "run", "create and run a container", cmd_run },
	{ "spec", "create a new specification file", cmd_spec },
	{ "start", "executes the user defined process in a created container", cmd_start },
	{ "state", "output the state of a container", cmd_state },
	{ "update", "update container resource constraints", cmd_update },
	{ "features", "show the enabled features", cmd_features },
	{ NULL, NULL, NULL },
};

static void print_version(void)
{
	printf(CLI_NAME " version %s\nspec: %s\nlibctr: %s\n", ctr_version(), CTR_OCI_VERSION, ctr_version());
}

static void print_help(void)
{
	printf("NAME:\n   " CLI_NAME " - Open Container Initiative runtime built on libctr\n\n"
	       CLI_NAME " runs containers packaged as OCI bundles: a directory with a config.json\n"
	       "and a root filesystem.  Its command line is runc's, so container engines can use\n"
	       "it as their OCI runtime.\n\n"
	       "To start a new instance of a container:\n\n"
	       "    # " CLI_NAME " run [ -b bundle ] <container-id>\n\n"
	       "USAGE:\n   " CLI_NAME " [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\nspec: %s\n\nCOMMANDS:\n", ctr_version(), CTR_OCI_VERSION);
	for (const struct command *c = commands; c->name; c++)
		printf("   %-11s %s\n", c->name, c->summary);
	printf("   %-11s %s\n", "help, h", "Shows a list of commands or help for one command");
	printf("\nGLOBAL OPTIONS:\n"
	       "   --debug             enable debug logging\n"
	       "   --log value         set the log file to write " CLI_NAME " logs to (default is '/dev/stderr')\n"
	       "   --log-format value  set the log format ('text' (default), or 'json') (default: \"text\")\n"
	       "   --root value        root directory for storage of container state (this should be located in tmpfs) (default: \"/run/ctr\", or \"$XDG_RUNTIME_DIR/ctr\" when not root)\n"
	       "   --criu value        path to the criu binary used for checkpoint and restore (accepted, unused) (default: \"criu\")\n"
	       "   --systemd-cgroup    enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"\n"
	       "   --rootless value    ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")\n"
	       "   --cdi-spec-dir value  a CDI spec directory, repeatable, lowest priority first; replaces the defaults\n"
	       "                       (default: /etc/cdi and /var/run/cdi)\n"
	       "   --host-root value   root of the host tree device discovery reads (sysfs, /dev, /proc/driver/nvidia,\n"
	       "                       ld.so.cache), e.g. a fake tree for tests; also $CTR_HOST_ROOT (default: \"/\")\n"
	       "   --net-dir value     directory of the network definitions; also $CTR_NET_DIR\n"
	       "                       (default: \"" CTR_NETWORK_DIR_DEFAULT "\")\n"
	       "   --store value       the image store (image commands, run/create --image) (default: \"" CTR_IMAGE_STORE_DEFAULT "\")\n"
	       "   --help, -h          show help\n"
	       "   --version, -v       print the version\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Go's ParseBool for the global bool flags. */
static int global_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
	    !strcmp(v, "TRUE") || !strcmp(v, "True")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") ||
	    !strcmp(v, "FALSE") || !strcmp(v, "False")) {
		*out = false;
		return 0;
	}
	return -1;
}

static int finish(struct cli *cli, int rc)
{
	cli_tty_restore();
	ctr_accel_registry_free(cli->reg);
	ctr_image_store_free(cli->image_store);
	ctr_context_free(cli->ctx);
	free(cli->cdi_dirs.v);
	if (cli->log_fd >= 0)
		close(cli->log_fd);
	free(cli->root_alloc);
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = {
		.root = NULL, /* the library's default: /run/ctr, or $XDG_RUNTIME_DIR/ctr when not root */
		.rootless = "auto",
		.criu = "criu",
		.log_fd = -1,
		.cmd = "",
	};
	const char *log_format = "text";
	int i;

	/*
	 * A daemon may start us with stdio closed.  Fill 0-2 with /dev/null (as
	 * Go programs such as runc get from their runtime), so that neither our
	 * log file nor a library fd lands there and is taken for stdio by the
	 * container.  Meant as stdio, so not O_CLOEXEC.
	 */
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}

	/* which of the fds --preserve-fds may name were open before we opened any of ours */
	cli.first_closed_fd = -1;
	for (i = 1; i < argc; i++) {
		long n = -1;
		if (!strcmp(argv[i], "--preserve-fds") && i + 1 < argc)
			n = strtol(argv[i + 1], NULL, 10);
		else if (!strncmp(argv[i], "--preserve-fds=", 15))
			n = strtol(argv[i] + 15, NULL, 10);
		for (long fd = 3; n > 0 && fd < 3 + n && cli.first_closed_fd < 0 && fd < 65536 + 3; fd++)
			if (fcntl((int)fd, F_GETFD) < 0 && errno == EBADF)
				cli.first_closed_fd = (int)fd;
	}

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		const char *name = a + 1 + (a[1] == '-');
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const char *val = eq ? eq + 1 : NULL;
#define IS(n) (nlen == strlen(n) && !strncmp(name, n, nlen))
		if (IS("help") || IS("h")) {
			print_help();
			return 0;
		}
		if (IS("version") || IS("v")) {
			print_version();
			return 0;
		}
		if (IS("debug") || IS("systemd-cgroup")) {
			bool b;
			if (global_bool(val, &b) < 0) {
				cli_error(&cli, "invalid value '%s' for flag '%.*s': use true or false", val,
					  (int)(name - a + nlen), a);
				return finish(&cli, 1);
			}
			if (IS("debug"))
				cli.debug = b;
			else
				cli.systemd_cgroup = b;
			continue;
		}
		if (IS("root") || IS("log") || IS("log-format") || IS("rootless") || IS("criu") || IS("host-root") ||
		    IS("cdi-spec-dir") || IS("net-dir") || IS("store")) {
			if (!val) {
				if (i + 1 >= argc) {
					cli_error(&cli, "flag '%s' needs a value: see '" CLI_NAME " --help'", a);
					return finish(&cli, 1);
				}
				val = argv[++i];
			}
			if (IS("root"))
				cli.root = val;
			else if (IS("log"))
				cli.log_path = val;
			else if (IS("log-format"))
				log_format = val;
			else if (IS("rootless"))
				cli.rootless = val;
			else if (IS("host-root"))
				cli.host_root = val;
			else if (IS("net-dir"))
				cli.net_dir = val;
			else if (IS("store"))
				cli.store = val;
			else if (IS("cdi-spec-dir")) {
				const char **nv = realloc(cli.cdi_dirs.v, (cli.cdi_dirs.n + 2) * sizeof(*nv));
				if (!nv) {
					cli_error(&cli, "out of memory");
					return finish(&cli, 1);
				}
				nv[cli.cdi_dirs.n++] = val;
				nv[cli.cdi_dirs.n] = NULL;
				cli.cdi_dirs.v = nv;
			}
			else
				cli.criu = val;
			continue;
		}
#undef IS
		cli_error(&cli, "unknown global flag '%.*s': see '" CLI_NAME " --help'", (int)(name - a + nlen), a);
		return finish(&cli, 1);
	}

	if (!cli.host_root) {
		const char *hr = getenv("CTR_HOST_ROOT");
		if (hr && *hr)
			cli.host_root = hr;
	}
	if (strcmp(log_format, "text") && strcmp(log_format, "json")) {
		cli_error(&cli, "invalid --log-format '%s': use 'text' or 'json'", log_format);
		return finish(&cli, 1);
	}
	cli.log_json = !strcmp(log_format, "json");
	if (strcmp(cli.rootless, "true") && strcmp(cli.rootless, "false") && strcmp(cli.rootless, "auto")) {
		cli_error(&cli, "invalid --rootless '%s': use 'true', 'false' or 'auto'", cli.rootless);
		return finish(&cli, 1);
	}
	if (cli.root && !*cli.root) {
		cli_error(&cli, "--root must not be empty: give the directory for container state, e.g. /run/ctr");
		return finish(&cli, 1);
	}
	/* runc makes the root absolute; so do we, so a later cwd does not matter */
	if (cli.root) {
		char *root_abs = cli_abspath(cli.root);
		if (!root_abs) {
			cli_error(&cli, "out of memory");
			return finish(&cli, 1);
		}
		cli.root = cli.root_alloc = root_abs;
	}
	if (cli.log_path && *cli.log_path) {
		cli.log_fd = open(cli.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (cli.log_fd < 0) {
			cli_error(&cli, "cannot open the log file %s (--log): %s", cli.log_path, strerror(errno));
			return finish(&cli, 1);
		}
	}

	if (i >= argc) {
		print_help();
		return finish(&cli, 0);
	}
	const char *name = argv[i];
	if (!strcmp(name, "help") || !strcmp(name, "h")) {
		if (i + 1 >= argc) {
			print_help();
			return finish(&cli, 0);
		}
		const struct command *c = find_command(argv[i + 1]);
		if (!c) {
			cli_error(&cli, "no help topic for '%s': see '" CLI_NAME " --help'", argv[i + 1]);
			return finish(&cli, 1);
		}
		char *hargv[] = { argv[i + 1], (char *)"--help", NULL };
		cli.cmd = c->name;
		return finish(&cli, c->fn(&cli, 2, hargv));
	}
	const struct command *c = find_command(name);
	if (!c) {
		/* exit 3, as runc's command line library exits for a command it does not know */
		cli_error(&cli, "unknown command '%s': see '" CLI_NAME " --help'", name);
		return finish(&cli, 3);
	}
	cli.cmd = c->name;
	cli_debug(&cli, "%s %s (libctr %s, runtime-spec %s): state root %s, log %s (%s)%s%s", CLI_NAME, c->name,
		  ctr_version(), CTR_OCI_VERSION, cli.root ? cli.root : "the default (/run/ctr, or $XDG_RUNTIME_DIR/ctr)",
		  cli.log_path && *cli.log_path ? cli.log_path : "stderr", cli.log_json ? "json" : "text",
		  cli.store ? ", image store " : "", cli.store ? cli.store : "");
	int rc = c->fn(&cli, argc - i, argv + i);
	cli_debug(&cli, "%s %s: exit status %d", CLI_NAME, c->name, rc);
	return finish(&cli, rc);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: accelerators.  "devices" lists what every backend discovered,
 * "cdi list|validate|generate" works on CDI specs, and cli_registry() gives
 * create/run the registry that resolves --device requests and the spec's
 * cdi.k8s.io annotations.  Discovery looks under --host-root (or
 * $CTR_HOST_ROOT), so tests can point it at a fake host tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

ctr_accel_registry *cli_registry(struct cli *cli)
{
	if (cli->reg)
		return cli->reg;
	ctr_context *ctx = cli_context(cli);
	if (!ctx)
		return NULL;
	ctr_accel_registry_options o;
	ctr_error *err = NULL;
	ctr_accel_registry_options_init(&o);
	o.host_root = cli->host_root;
	o.gpus_from_env = cli->gpus_from_env;
	if (cli->cdi_dirs.n)
		o.cdi_dirs = cli->cdi_dirs.v;
	if (ctr_accel_registry_new(ctx, &cli->reg, &o, &err) < 0) {
		cli_error_ctr(cli, err, "discovering devices");
		cli->reg = NULL;
	}
	return cli->reg;
}

/* The registry's non-fatal errors (skipped spec files, refused plugins) on stderr. */
static void report_registry_errors(struct cli *cli, ctr_accel_registry *reg)
{
	char **errs = NULL;
	ctr_error *err = NULL;
	if (ctr_accel_registry_errors(reg, &errs, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return;
	}
	for (char **e = errs; e && *e; e++)
		fprintf(stderr, CLI_NAME ": skipped: %s\n", *e);
	ctr_strv_free(errs);
}

static void join(struct buf *b, const char *const *v, const char *sep)
{
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			buf_puts(b, sep);
		buf_puts(b, v[i]);
	}
}

static void json_strv(struct buf *b, const char *const *v)
{
	buf_puts(b, "[");
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			buf_puts(b, ",");
		buf_json_str(b, v[i]);
	}
	buf_puts(b, "]");
}

static void json_str_or_null(struct buf *b, const char *s)
{
	if (s)
		buf_json_str(b, s);
	else
		buf_puts(b, "null");
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

/*
 * Print the devices (of backend, or all when NULL) as a table or JSON.
 * Returns the number printed, or -1 after reporting an error.
 */
static int print_devices(struct cli *cli, ctr_accel_registry *reg, const char *backend, bool json,
			 bool with_backend)
{
	struct buf b = { 0 };
	size_t n = ctr_accel_registry_device_count(reg);
	int count = 0;

	if (json)
		buf_puts(&b, "[");
	else if (with_backend)
		buf_printf(&b, "%-28s %-11s %-9s %-11s %-13s %-30s %s\n", "NAME", "BACKEND", "VENDOR", "DRIVER",
			   "PCI", "NODES", "CAPABILITIES");
	for (size_t i = 0; i < n; i++) {
		const ctr_accel_device *d = ctr_accel_registry_device(reg, i);
		const char *be = ctr_accel_device_backend(d);
		if (backend && strcmp(be, backend))
			continue;
		if (json) {
			buf_puts(&b, count ? ",\n  {" : "\n  {");
			buf_puts(&b, "\"name\":");
			buf_json_str(&b, ctr_accel_device_name(d));
			buf_puts(&b, ",\"backend\":");
			buf_json_str(&b, be);
			buf_puts(&b, ",\"vendor\":");
			json_str_or_null(&b, ctr_accel_device_vendor(d));
			buf_puts(&b, ",\"driver\":");
			json_str_or_null(&b, ctr_accel_device_driver(d));
			buf_puts(&b, ",\"pciAddress\":");
			json_str_or_null(&b, ctr_accel_device_pci_address(d));
			buf_puts(&b, ",\"nodes\":");
			json_strv(&b, ctr_accel_device_nodes(d));
			buf_puts(&b, ",\"capabilities\":");
			json_strv(&b, ctr_accel_device_capabilities(d));
			buf_puts(&b, "}");
		} else if (with_backend) {
			struct buf nodes = { 0 }, caps = { 0 };
			join(&nodes, ctr_accel_device_nodes(d), ",");
			join(&caps, ctr_accel_device_capabilities(d), ",");
			if (nodes.oom || caps.oom)
				b.oom = true;
			buf_printf(&b, "%-28s %-11s %-9s %-11s %-13s %-30s %s\n", ctr_accel_device_name(d), be,
				   dash(ctr_accel_device_vendor(d)), dash(ctr_accel_device_driver(d)),
				   dash(ctr_accel_device_pci_address(d)), dash(nodes.s), dash(caps.s));
			buf_free(&nodes);
			buf_free(&caps);
		} else {
			buf_printf(&b, "%s\n", ctr_accel_device_name(d));
		}
		count++;
	}
	if (json)
		buf_puts(&b, count ? "\n]\n" : "]\n");
	if (b.oom) {
		buf_free(&b);
		cli_error(cli, "out of memory");
		return -1;
	}
	fputs(b.s ? b.s : "", stdout);
	buf_free(&b);
	return count;
}

static int check_backend(struct cli *cli, ctr_accel_registry *reg, const char *backend)
{
	char **names = NULL;
	ctr_error *err = NULL;
	if (ctr_accel_registry_backends(reg, &names, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return -1;
	}
	int found = 0;
	struct buf b = { 0 };
	for (char **n = names; n && *n; n++) {
		if (!strcmp(*n, backend))
			found = 1;
		buf_puts(&b, n == names ? "" : ", ");
		buf_puts(&b, *n);
	}
	if (!found)
		cli_error(cli, "unknown backend '%s' (--backend): the registered backends are %s", backend,
			  b.s ? b.s : "none");
	buf_free(&b);
	ctr_strv_free(names);
	return found ? 0 : -1;
}

/*
 * A usage error of a command or subcommand named in full ("cdi list"):
 * cli_usage_error() would put the command ('cdi') in front of it again.
 */
static int usage_error(struct cli *cli, const char *name, const char *what)
{
	cli_error(cli, "'%s' %s: see '" CLI_NAME " %s --help'", name, what, cli->cmd);
	return 1;
}

/*
 * The start of a listing command (devices, cdi list): parse its flags, refuse
 * positional arguments and a --format other than table or json, and open the
 * registry.  NULL with *rc set to the command's exit status when it is done
 * (--help, or an error already reported).
 */
static ctr_accel_registry *open_listing(struct cli *cli, const struct cmd_desc *desc, struct opt *opts,
					int argc, char **argv, const char *const *format, int *rc)
{
	char **pos = NULL;
	int npos;
	int r = cli_parse(cli, desc, opts, argc, argv, &pos, &npos);
	if (r) {
		*rc = r < 0;
		return NULL;
	}
	free(pos);
	*rc = 1;
	if (npos) {
		*rc = usage_error(cli, desc->name, "takes no arguments");
		return NULL;
	}
	if (strcmp(*format, "table") && strcmp(*format, "json")) {
		cli_error(cli, "invalid --format '%s': use 'table' or 'json'", *format);
		return NULL;
	}
	return cli_registry(cli);
}

int cmd_devices(struct cli *cli, int argc, char **argv)
{
	const char *backend = NULL, *format = "table";
	struct opt opts[] = {
		{ "backend", 0, OPT_STRING, &backend, "list only the devices of this backend (cdi, nvidia, dxg, amd, dri, virtio-gpu, or a plugin's)", NULL, false },
		{ "format", 'f', OPT_STRING, &format, "output format: table or json", "table", false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"devices", "list the accelerator devices every backend discovered", "[command options]",
		"The devices command lists the devices the accelerator backends (cdi, nvidia,\n"
		"dxg, amd, dri, virtio-gpu and plugins) discovered on the host: fully-qualified name,\n"
		"backend, vendor, driver, PCI address, device nodes and capabilities.  Any of\n"
		"the names can be given to \"run --device\" or \"create --device\".\n\n"
		"Discovery reads the host root given by the global --host-root flag (or the\n"
		"CTR_HOST_ROOT environment variable; default /) and the CDI spec directories\n"
		"given by --cdi-spec-dir (default /etc/cdi and /var/run/cdi).  Spec files that\n"
		"were skipped are reported on stderr, stale NVIDIA specs (made for another\n"
		"driver) with the command that regenerates them.",
		true
	};
	int rc;
	ctr_accel_registry *reg = open_listing(cli, &desc, opts, argc, argv, &format, &rc);
	if (!reg)
		return rc;
	if (backend && check_backend(cli, reg, backend) < 0)
		return 1;
	report_registry_errors(cli, reg);
	return print_devices(cli, reg, backend, !strcmp(format, "json"), true) < 0;
}

static int cdi_list(struct cli *cli, int argc, char **argv)
{
	const char *format = "table";
	struct opt opts[] = {
		{ "format", 'f', OPT_STRING, &format, "output format: table (one name a line) or json", "table", false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"cdi list", "list the CDI devices", "[command options]",
		"Lists the fully-qualified names (vendor/class=name) of the devices declared by\n"
		"the CDI spec files in the spec directories (--cdi-spec-dir, default /etc/cdi\n"
		"and /var/run/cdi).  Files that were skipped, and devices dropped as conflicting,\n"
		"are reported on stderr with their errors.",
		true
	};
	int rc;
	ctr_accel_registry *reg = open_listing(cli, &desc, opts, argc, argv, &format, &rc);
	if (!reg)
		return rc;
	report_registry_errors(cli, reg);
	bool json = !strcmp(format, "json");
	return print_devices(cli, reg, "cdi", json, json) < 0;
}

static int cdi_validate(struct cli *cli, int argc, char **argv)
{
	struct opt opts[] = { { 0 } };
	const struct cmd_desc desc = {
		"cdi validate", "validate a CDI spec file", "<file>",
		"Checks a CDI spec file (JSON or YAML) against the CDI specification: versions\n"
		"0.3.0 to 1.1.0, device names, the minimum cdiVersion for the fields used, and\n"
		"the container edits; then that a spec made for an NVIDIA driver (nvidia.com)\n"
		"was made for the driver this host runs (see --host-root): a stale spec is\n"
		"reported with the command that regenerates it.  Prints \"ok\" and exits 0, or\n"
		"prints the error naming the file and field and exits 1.",
		true
	};
	char **pos = NULL;
	int npos, r;
	ctr_error *err = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	if (npos != 1) {
		free(pos);
		return usage_error(cli, "cdi validate", "needs exactly one file");
	}
	r = ctr_cdi_validate_file(pos[0], &err);
	if (r < 0) {
		free(pos);
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	/* valid, but is it for this host's driver? */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(pos[0], "re");
	if (f) {
		FILE *m = open_memstream(&buf, &len);
		char chunk[8192];
		size_t n;
		while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		if (m)
			fclose(m);
		fclose(f);
	}
	ctr_accel_registry *reg = buf ? cli_registry(cli) : NULL;
	if (!buf || !reg) {
		if (!buf)
			cli_error(cli, "%s: cannot read it again: %s", pos[0], strerror(errno));
		free(buf);
		free(pos);
		return 1;
	}
	r = ctr_accel_registry_check_cdi(reg, buf, len, pos[0], &err);
	free(buf);
	free(pos);
	if (r < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int cdi_generate(struct cli *cli, int argc, char **argv)
{
	const char *backend = NULL, *kind = NULL, *output = NULL;
	struct opt opts[] = {
		{ "backend", 0, OPT_STRING, &backend, "the backend whose devices to write: nvidia, dxg, amd, dri or virtio-gpu", NULL, false },
		{ "kind", 0, OPT_STRING, &kind, "only the devices of this kind, e.g. nvidia.com/gpu (a backend may have several)", NULL, false },
		{ "output", 'o', OPT_STRING, &output, "write the spec to this file, atomically (e.g. /etc/cdi/nvidia.json), instead of stdout", NULL, false },
		{ 0 }
	};
	const struct cmd_desc desc = {
		"cdi generate", "write a backend's devices as a CDI spec", "--backend nvidia|dxg|amd|dri|virtio-gpu [--kind K] [--output FILE]",
		"Writes the devices one backend discovered on the host (see --host-root) as a\n"
		"CDI spec in JSON, for instance to install in /etc/cdi for other runtimes.  The\n"
		"edits every device of a kind shares (driver libraries, hooks) are the spec's\n"
		"containerEdits, as nvidia-ctk writes them.  On stdout, a backend with several\n"
		"kinds of devices gives a JSON array of specs; --output writes one spec (name\n"
		"the kind with --kind when there are several) to a new temporary file in the\n"
		"same directory, fsyncs it and renames it over FILE, so a reader sees the old\n"
		"spec or the new one, never a part.",
		true
	};
	char **pos = NULL;
	int npos, r;
	ctr_error *err = NULL;
	char *out = NULL;

	r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	free(pos);
	if (npos)
		return usage_error(cli, "cdi generate", "takes no arguments");
	if (!backend) {
		cli_error(cli, "'cdi generate' needs --backend: nvidia, dxg, amd, dri or virtio-gpu");
		return 1;
	}
	ctr_accel_registry *reg = cli_registry(cli);
	if (!reg)
		return 1;
	if (check_backend(cli, reg, backend) < 0)
		return 1;
	if (output) {
		if (ctr_accel_registry_write_cdi_file(reg, backend, kind, output, &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			return 1;
		}
		return 0;
	}
	if (ctr_accel_registry_write_cdi_kind(reg, backend, kind, &out, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	fputs(out, stdout);
	if (out[0] && out[strlen(out) - 1] != '\n')
		fputc('\n', stdout);
	ctr_free(out);
	return 0;
}

int cmd_cdi(struct cli *cli, int argc, char **argv)
{
	static const char help[] =
		"NAME:\n   " CLI_NAME " cdi - work with Container Device Interface specs\n\n"
		"USAGE:\n   " CLI_NAME " cdi command [command options] [arguments...]\n\n"
		"COMMANDS:\n"
		"   list       list the CDI devices found in the spec directories\n"
		"   validate   validate a CDI spec file\n"
		"   generate   write a backend's devices as a CDI spec (--backend nvidia|dxg|amd|dri|virtio-gpu\n"
		"              [--kind K] [--output FILE])\n\n"
		"The spec directories are /etc/cdi and /var/run/cdi unless the global flag\n"
		"--cdi-spec-dir is given (repeatable, lowest priority first).\n";

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (!strcmp(argv[1], "list"))
		return cdi_list(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate"))
		return cdi_validate(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "generate"))
		return cdi_generate(cli, argc - 1, argv + 1);
	cli_error(cli, "unknown cdi command '%s': use list, validate or generate", argv[1]);
	return 1;
}

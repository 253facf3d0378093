/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: images.  "image import|ls|rm|inspect|prune|unpack" work on the
 * store named by the global --store (default /var/lib/ctr); cli_store()
 * opens it for run/create --image.  Progress goes to stderr: a bar that
 * redraws itself on a terminal, one plain line per layer otherwise.
 * Ctrl-C cancels an import or unpack cleanly (the library removes what it
 * had begun).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

ctr_image_store *cli_store(struct cli *cli)
{
	if (cli->image_store)
		return cli->image_store;
	ctr_context *ctx = cli_context(cli);
	ctr_error *err = NULL;
	if (!ctx)
		return NULL;
	if (ctr_image_store_open(ctx, &cli->image_store, cli->store, &err) < 0) {
		cli_error_ctr(cli, err, "--store");
		cli->image_store = NULL;
	}
	return cli->image_store;
}

/* ---- commands ---- */

static bool is_registry(const char *ref)
{
	return !strncmp(ref, "docker://", 9);
}

static bool is_source(const char *ref)
{
	return !strncmp(ref, "oci:", 4) || !strncmp(ref, "oci-archive:", 12) || !strncmp(ref, "docker-archive:", 15) ||
	       is_registry(ref);
}

/* import <source> [<name>] and unpack <source-or-name> <dir>: --platform, -q, progress on stderr. */
static int image_transfer(struct cli *cli, int argc, char **argv, bool unpack)
{
	struct xfer_args xa = XFER_ARGS_INIT;
	struct reg_args ra = REG_ARGS_INIT;
	struct opt opts[] = { XFER_OPTS(xa), REG_OPTS(ra), { 0 } };
	const struct cmd_desc import_desc = {
		"image import", "import an image into the store", "[command options] <source> [<name>]",
		"Sources: oci:<dir>[:<tag>], oci-archive:<file>[:<tag>], docker-archive:<file>[:<name:tag>],\n"
		"docker://[host[:port]/]repo[:tag|@digest] (a registry: see 'image pull').\n"
		"Without <name> the image is stored under its tag (or the file's name).  Layers the\n"
		"store has already are not extracted again.",
		true
	};
	const struct cmd_desc unpack_desc = {
		"image unpack", "unpack an image into a plain directory", "[command options] <source-or-name> <dir>",
		"<dir> is created when missing and must be empty.  A source (oci:..., oci-archive:...,\n"
		"docker-archive:..., docker://...: streamed from the registry) needs no store; a name is\n"
		"looked up in --store.",
		true
	};
	char **pos = NULL;
	int npos, r = cli_parse(cli, unpack ? &unpack_desc : &import_desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	if (unpack ? npos != 2 : npos < 1 || npos > 2) {
		free(pos);
		return cli_usage_error(cli, unpack ? "needs <source-or-name> and <dir>"
						   : "needs <source> and an optional <name>");
	}
	ctr_context *ctx = cli_context(cli);
	ctr_image_store *st = NULL;
	ctr_image_options o;
	struct cli_progress pr;
	ctr_error *err = NULL;
	r = 1;
	if (!ctx || ((!unpack || !is_source(pos[0])) && !(st = cli_store(cli))))
		goto out;
	ctr_image_options_init(&o);
	cli_xfer_apply(&xa, &o);
	cli_reg_apply(&ra, &o);
	cli_progress_init(&pr, &o, xa.quiet);
	int tr = unpack ? ctr_image_unpack(ctx, st, pos[0], pos[1], &o, &err)
			: ctr_image_import(st, pos[0], npos > 1 ? pos[1] : NULL, &o, &err);
	cli_progress_end(&pr);
	if (tr < 0)
		cli_error_ctr(cli, err, NULL);
	else
		r = 0;
out:
	free(pos);
	return r;
}

/* ls and prune: flags only, then the store; NULL with *rc set (0 after --help) when there is nothing to do. */
static ctr_image_store *no_args_store(struct cli *cli, const struct cmd_desc *desc, struct opt *opts, int argc,
				      char **argv, int *rc)
{
	char **pos = NULL;
	int npos, r = cli_parse(cli, desc, opts, argc, argv, &pos, &npos);
	*rc = r < 0;
	if (r)
		return NULL;
	free(pos);
	if (npos) {
		*rc = cli_usage_error(cli, "takes no arguments");
		return NULL;
	}
	*rc = 1;
	return cli_store(cli);
}

static int image_ls(struct cli *cli, int argc, char **argv)
{
	bool quiet = false;
	struct opt opts[] = { { "quiet", 'q', OPT_BOOL, &quiet, "names only", NULL, false }, { 0 } };
	const struct cmd_desc desc = { "image ls", "list the stored images", "[command options]", NULL, true };
	char **names = NULL;
	int rc;
	ctr_image_store *st = no_args_store(cli, &desc, opts, argc, argv, &rc);
	ctr_error *err = NULL;
	if (!st)
		return rc;
	if (ctr_image_list(st, &names, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	if (!quiet)
		printf("%-40s %s\n", "NAME", "SOURCE");
	for (char **n = names; *n; n++) {
		if (quiet) {
			printf("%s\n", *n);
			continue;
		}
		/* the source is in the inspect document; ls shows the name only when it cannot be read */
		char *js = NULL;
		const char *src = "";
		char *s0 = NULL;
		if (ctr_image_inspect(st, *n, &js, NULL) == 0) {
			const char *k = strstr(js, "\"source\"");
			const char *q = k ? strchr(k + 8, '"') : NULL;
			const char *e = q ? strchr(q + 1, '"') : NULL;
			if (q && e && (s0 = strndup(q + 1, (size_t)(e - q - 1))))
				src = s0;
		}
		printf("%-40s %s\n", *n, src);
		free(s0);
		ctr_free(js);
	}
	ctr_strv_free(names);
	return 0;
}

/* Commands that take exactly one image name: rm, inspect. */
static int image_one(struct cli *cli, int argc, char **argv, bool inspect)
{
	struct opt opts[] = { { 0 } };
	const struct cmd_desc desc = { inspect ? "image inspect" : "image rm",
				       inspect ? "show a stored image as JSON" : "remove an image from the store",
				       "<name>",
				       inspect ? NULL : "Its layers stay until 'image prune'.", true };
	char **pos = NULL;
	int npos, r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	if (npos != 1) {
		free(pos);
		return cli_usage_error(cli, "needs exactly one image name");
	}
	ctr_image_store *st = cli_store(cli);
	ctr_error *err = NULL;
	char *js = NULL;
	r = 1;
	if (!st)
		;
	else if (inspect ? ctr_image_inspect(st, pos[0], &js, &err) < 0 : ctr_image_remove(st, pos[0], &err) < 0)
		cli_error_ctr(cli, err, NULL);
	else {
		if (js)
			printf("%s\n", js);
		r = 0;
	}
	ctr_free(js);
	free(pos);
	return r;
}

static int image_prune(struct cli *cli, int argc, char **argv)
{
	struct opt opts[] = { { 0 } };
	const struct cmd_desc desc = { "image prune", "remove layers and blobs no image or container uses", "", NULL,
				       true };
	int rc;
	ctr_image_store *st = no_args_store(cli, &desc, opts, argc, argv, &rc);
	ctr_error *err = NULL;
	unsigned n = 0;
	if (!st)
		return rc;
	if (ctr_image_prune(st, &n, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	printf("removed %u\n", n);
	return 0;
}

int cmd_image(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name, *summary;
	} subs[] = {
		{ "import", "import an image from a source into the store" },
		{ "pull", "pull an image from a registry into the store" },
		{ "push", "push a stored image to a registry" },
		{ "ls", "list the stored images" },
		{ "rm", "remove an image from the store" },
		{ "inspect", "show a stored image as JSON" },
		{ "prune", "remove layers and blobs no image or container uses" },
		{ "unpack", "unpack a source or a stored image into a plain directory" },
	};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "USAGE:\n   " CLI_NAME " [--store <dir>] image <command> [arguments...]\n\nCOMMANDS:\n");
		for (size_t i = 0; i < N_ELEMS(subs); i++)
			fprintf(f, "   %-8s %s\n", subs[i].name, subs[i].summary);
		fprintf(f, "\nThe store is --store (default " CTR_IMAGE_STORE_DEFAULT ").\n");
		return argc < 2;
	}
	const char *s = argv[1];
	if (!strcmp(s, "import"))
		return image_transfer(cli, argc - 1, argv + 1, false);
	if (!strcmp(s, "pull"))
		return cli_image_pull(cli, argc - 1, argv + 1);
	if (!strcmp(s, "push"))
		return cli_image_push(cli, argc - 1, argv + 1);
	if (!strcmp(s, "ls") || !strcmp(s, "list"))
		return image_ls(cli, argc - 1, argv + 1);
	if (!strcmp(s, "rm") || !strcmp(s, "remove"))
		return image_one(cli, argc - 1, argv + 1, false);
	if (!strcmp(s, "inspect"))
		return image_one(cli, argc - 1, argv + 1, true);
	if (!strcmp(s, "prune"))
		return image_prune(cli, argc - 1, argv + 1);
	if (!strcmp(s, "unpack"))
		return image_transfer(cli, argc - 1, argv + 1, true);
	cli_error(cli, "unknown image command '%s': see '" CLI_NAME " image --help'", s);
	return 1;
}

/*
 * run/create --image: import a source first (stored under the source's own
 * name, so a second run finds its layers), pull a registry reference as
 * --pull says, then a spec from the image with args replacing its Cmd.
 * Returns 0, or 1 after reporting an error.
 */
int cli_image_spec(struct cli *cli, const char *ref, const struct reg_args *ra, const char *const *args,
		   ctr_spec **spec, char **name)
{
	ctr_image_store *st = cli_store(cli);
	ctr_error *err = NULL;
	*name = NULL;
	if (!st)
		return 1;
	if (is_registry(ref) || (ra->pull && !is_source(ref))) {
		/* a registry reference; with --pull also a plain name ("busybox", "quay.io/x/y:1") */
		if (cli_image_from_registry(cli, ref, ra->pull, ra, name))
			return 1;
	} else if (is_source(ref)) {
		ctr_image_options o;
		struct cli_progress pr;
		ctr_image_options_init(&o);
		cli_reg_apply(ra, &o);
		cli_progress_init(&pr, &o, !isatty(STDERR_FILENO)); /* plain output stays the container's */
		int r = ctr_image_import(st, ref, ref, &o, &err);
		cli_progress_end(&pr);
		if (r < 0) {
			cli_error_ctr(cli, err, "--image");
			return 1;
		}
	}
	if (!*name && !(*name = strdup(ref))) {
		cli_error(cli, "out of memory");
		return 1;
	}
	ctr_image_spec_options so;
	ctr_image_spec_options_init(&so);
	so.args = args && args[0] ? args : NULL;
	if (ctr_image_spec(st, *name, &so, spec, &err) < 0) {
		cli_error_ctr(cli, err, "--image");
		free(*name);
		*name = NULL;
		return 1;
	}
	return 0;
}

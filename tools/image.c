/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: images.  "image import|ls|rm|inspect|prune|unpack" work on the
 * store named by the global --store (default /var/lib/ctr); cli_store()
 * opens it for run/create --image.  Progress goes to stderr (progress.c).
 * Ctrl-C cancels an import or unpack cleanly (the library removes what it
 * had begun).
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
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
		"Without <name> the image is stored under its tag, an oci-archive's ref.name annotation,\n"
		"docker's RepoTags or the file's name (a docker:// reference: its full name).  Layers\n"
		"the store has already are not extracted again.",
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
	enum progress_mode mode;
	ctr_error *err = NULL;
	r = 1;
	if (!ctx || ((!unpack || !is_source(pos[0])) && !(st = cli_store(cli))))
		goto out;
	ctr_image_options_init(&o);
	cli_reg_apply(&ra, &o);
	if (cli_xfer_apply(cli, &xa, &o, &mode) < 0)
		goto out;
	if (unpack)
		cli_debug(cli, "unpack %s into %s", pos[0], pos[1]);
	else
		cli_debug(cli, "import %s into the store %s%s%s", pos[0], ctr_image_store_dir(st),
			  npos > 1 ? " as " : "", npos > 1 ? pos[1] : "");
	cli_progress_init(&pr, &o, mode);
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

/* "2024-05-01T10:20:30.123Z" -> "2024-05-01 10:20:30"; "" -> "-" */
static void short_time(char *out, size_t n, const char *t)
{
	if (!t || strlen(t) < 19) {
		snprintf(out, n, "%s", t && *t ? t : "-");
		return;
	}
	snprintf(out, n, "%.10s %.8s", t, t + 11);
}

static int image_ls(struct cli *cli, int argc, char **argv)
{
	bool quiet = false;
	const char *format = "table";
	struct opt opts[] = {
		{ "quiet", 'q', OPT_BOOL, &quiet, "names only", NULL, false },
		{ "format", 'f', OPT_STRING, &format, "table or json", "table", false },
		{ 0 },
	};
	const struct cmd_desc desc = { "image ls", "list the stored images", "[command options]",
				       "ID is the image config's digest (12 hex digits, as docker and podman show it),\n"
				       "SIZE the layers' blobs in the store, CREATED the image config's time.",
				       true };
	char **names = NULL;
	int rc;
	ctr_image_store *st = no_args_store(cli, &desc, opts, argc, argv, &rc);
	ctr_error *err = NULL;
	if (!st)
		return rc;
	bool json = !strcmp(format, "json");
	if (!json && strcmp(format, "table")) {
		cli_error(cli, "invalid --format '%s' for 'image ls': use table or json", format);
		return 1;
	}
	if (ctr_image_list(st, &names, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	struct table t = { .ncols = 5 };
	json_object *arr = json_object_new_array();
	static const char *const hdr[] = { "NAME", "ID", "SIZE", "CREATED", "SOURCE" };
	table_row(&t, hdr);
	rc = 0;
	for (char **n = names; *n; n++) {
		if (quiet) {
			printf("%s\n", *n);
			continue;
		}
		char *js = NULL;
		if (ctr_image_inspect(st, *n, &js, &err) < 0) {
			/* removed meanwhile by another process: not an error of this listing */
			if (ctr_error_errno(err) != ENOENT) {
				cli_error_ctr(cli, err, NULL);
				rc = 1;
			} else
				ctr_error_free(err);
			err = NULL;
			continue;
		}
		json_object *doc = json_tokener_parse(js), *v, *layers, *img;
		ctr_free(js);
		const char *cfg = doc && json_object_object_get_ex(doc, "config", &v) ? json_object_get_string(v) : "";
		const char *src = doc && json_object_object_get_ex(doc, "source", &v) ? json_object_get_string(v) : "";
		const char *created = doc && json_object_object_get_ex(doc, "image", &img) &&
					      json_object_object_get_ex(img, "created", &v)
					      ? json_object_get_string(v)
					      : "";
		uint64_t size = 0;
		if (doc && json_object_object_get_ex(doc, "layers", &layers))
			for (size_t i = 0; i < json_object_array_length(layers); i++)
				if (json_object_object_get_ex(json_object_array_get_idx(layers, i), "size", &v))
					size += (uint64_t)json_object_get_int64(v);
		const char *hex = strchr(cfg, ':') ? strchr(cfg, ':') + 1 : cfg;
		char id[13], sz[32], when[64];
		snprintf(id, sizeof(id), "%.12s", hex);
		cli_human_size(sz, sizeof(sz), (double)size);
		short_time(when, sizeof(when), created);
		if (json) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(*n));
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "digest", json_object_new_string(cfg));
			json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
			json_object_object_add(o, "created", json_object_new_string(created));
			json_object_object_add(o, "source", json_object_new_string(src));
			json_object_array_add(arr, o);
		} else {
			const char *row[] = { *n, id, sz, when, src };
			table_row(&t, row);
		}
		json_object_put(doc);
	}
	if (quiet) {
		table_free(&t);
		json_object_put(arr);
	} else if (cli_print_listing(cli, json, arr, &t))
		rc = 1;
	ctr_strv_free(names);
	return rc;
}

/* Commands that take exactly one image name: rm, inspect. */
static int image_one(struct cli *cli, int argc, char **argv, bool inspect)
{
	bool force = false;
	struct opt opts[] = {
		{ "force", 'f', OPT_BOOL, &force, "remove it even when a container uses it (the container keeps "
		  "its layers)", NULL, false },
		{ 0 },
	};
	const struct cmd_desc desc = { inspect ? "image inspect" : "image rm",
				       inspect ? "show a stored image as JSON" : "remove an image from the store",
				       inspect ? "<name>" : "[--force] <name>",
				       inspect ? NULL : "Its layers stay until 'image prune'.  An image a live container "
				       "uses is kept unless --force.", true };
	if (inspect)
		opts[0] = opts[1];
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
	else if (inspect ? ctr_image_inspect(st, pos[0], &js, &err) < 0
			 : ctr_image_remove_ex(st, pos[0], force ? CTR_IMAGE_REMOVE_FORCE : 0, &err) < 0) {
		if (!inspect && ctr_error_errno(err) == EBUSY) {
			cli_error(cli, "%s: 'image rm --force' removes it anyway", ctr_error_message(err));
			ctr_error_free(err);
		} else
			cli_error_ctr(cli, err, NULL);
	} else {
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
 * run/create --image: import a source first (stored under the name import
 * gives it: the tag, the archive's ref.name, RepoTags or the file name, as
 * podman load does), pull a registry reference as --pull says, then a spec
 * from the image with args replacing its Cmd and ir's --user and
 * --entrypoint.  *name receives the stored image's name (malloc'd).
 * Returns 0, or 1 after reporting an error.
 */
int cli_image_spec(struct cli *cli, const char *ref, const struct reg_args *reg, const char *const *args,
		   struct image_run_args *ir, ctr_spec **spec, char **name)
{
	ctr_image_store *st = cli_store(cli);
	ctr_error *err = NULL;
	*name = NULL;
	if (!st)
		return 1;
	if (is_registry(ref) || (reg->pull && !is_source(ref))) {
		/* a registry reference; with --pull also a plain name ("busybox", "quay.io/x/y:1") */
		if (cli_image_from_registry(cli, ref, reg->pull, reg, name))
			return 1;
	} else if (is_source(ref)) {
		ctr_image_options o;
		struct cli_progress pr;
		char *stored = NULL;
		ctr_image_options_init(&o);
		cli_reg_apply(reg, &o);
		cli_debug(cli, "import %s into the store %s", ref, ctr_image_store_dir(st));
		cli_progress_init(&pr, &o, PROGRESS_AUTO); /* on a terminal only: the output is the container's */
		int r = ctr_image_import_named(st, &stored, ref, NULL, &o, &err);
		cli_progress_end(&pr);
		if (r < 0) {
			cli_error_ctr(cli, err, "--image");
			return 1;
		}
		*name = strdup(stored);
		ctr_free(stored);
		if (!*name) {
			cli_error(cli, "out of memory");
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
	if (ir && cli_image_run_spec_options(cli, ir, &so) < 0)
		return 1;
	if (ctr_image_spec(st, *name, &so, spec, &err) < 0) {
		cli_error_ctr(cli, err, "--image");
		free(*name);
		*name = NULL;
		return 1;
	}
	return 0;
}

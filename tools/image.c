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

/* ---- progress ---- */

static volatile int cancelled;

static void on_sigint(int sig)
{
	(void)sig;
	cancelled = 1;
}

struct progress {
	bool tty;
	double last; /* seconds of the last redraw */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t n, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	while (v >= 1024 && u + 1 < N_ELEMS(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static int on_progress(void *ud, const ctr_image_progress *p)
{
	struct progress *pr = ud;
	char in[32], out[32], tot[32];
	human(in, sizeof(in), (double)p->bytes_in);
	human(out, sizeof(out), (double)p->bytes_out);
	human(tot, sizeof(tot), p->total >= 0 ? (double)p->total : 0);
	const char *d = p->digest ? p->digest : "";
	if (pr->tty) {
		double t = now_s();
		if (!p->done && t - pr->last < 0.1)
			return 0;
		pr->last = t;
		int width = 30, fill = 0;
		if (p->total > 0)
			fill = (int)((double)p->bytes_in * width / (double)p->total);
		if (p->done || p->cached)
			fill = width;
		if (fill > width)
			fill = width;
		fprintf(stderr, "\r\033[Klayer %u/%u %.19s [%.*s%*s] %s/%s %llu entries%s", p->layer + 1, p->n_layers,
			d, fill, "##############################", width - fill, "", in, tot,
			(unsigned long long)p->entries, p->cached ? " (cached)" : "");
		if (p->done)
			fputc('\n', stderr);
	} else if (p->done) {
		fprintf(stderr, "layer %u/%u %s: %s, %s unpacked, %llu entries%s\n", p->layer + 1, p->n_layers, d,
			tot, out, (unsigned long long)p->entries, p->cached ? " (cached, nothing extracted)" : "");
	}
	return 0;
}

static void progress_opts(ctr_image_options *o, struct progress *pr, const char *platform, int threads)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ctr_image_options_init(o);
	pr->tty = isatty(STDERR_FILENO);
	pr->last = 0;
	o->progress = on_progress;
	o->progress_userdata = pr;
	o->cancel = &cancelled;
	o->platform = platform;
	if (threads >= 0) /* --writer-threads 0: none, the API's -1 */
		o->writer_threads = threads ? threads : -1;
}

/* ---- commands ---- */

static bool is_source(const char *ref)
{
	return !strncmp(ref, "oci:", 4) || !strncmp(ref, "oci-archive:", 12) || !strncmp(ref, "docker-archive:", 15);
}

/* import <source> [<name>] and unpack <source-or-name> <dir>: --platform, -q, progress on stderr. */
static int image_transfer(struct cli *cli, int argc, char **argv, bool unpack)
{
	const char *platform = NULL;
	bool quiet = false;
	int threads = -1;
	struct opt opts[] = {
		{ "platform", 0, OPT_STRING, &platform, "os/arch[/variant] to pick from a multi-platform index",
		  "the host's", false },
		{ "writer-threads", 0, OPT_INT, &threads,
		  "threads that write the files of a layer while it is read (0: none, 1 to 8)",
		  "one per CPU, at most 4", false },
		{ "quiet", 'q', OPT_BOOL, &quiet, "no progress output", NULL, false },
		{ 0 }
	};
	const struct cmd_desc import_desc = {
		"image import", "import an image into the store", "[command options] <source> [<name>]",
		"Sources: oci:<dir>[:<tag>], oci-archive:<file>[:<tag>], docker-archive:<file>[:<name:tag>].\n"
		"Without <name> the image is stored under its tag (or the file's name).  Layers the\n"
		"store has already are not extracted again.",
		true
	};
	const struct cmd_desc unpack_desc = {
		"image unpack", "unpack an image into a plain directory", "[command options] <source-or-name> <dir>",
		"<dir> is created when missing and must be empty.  A source (oci:..., oci-archive:...,\n"
		"docker-archive:...) needs no store; a name is looked up in --store.",
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
	struct progress pr;
	ctr_error *err = NULL;
	r = 1;
	if (!ctx || ((!unpack || !is_source(pos[0])) && !(st = cli_store(cli))))
		goto out;
	progress_opts(&o, &pr, platform, threads);
	if (quiet)
		o.progress = NULL;
	if (unpack)
		cli_debug(cli, "unpack %s into %s", pos[0], pos[1]);
	else
		cli_debug(cli, "import %s into the store %s%s%s", pos[0], ctr_image_store_dir(st),
			  npos > 1 ? " as " : "", npos > 1 ? pos[1] : "");
	if (unpack ? ctr_image_unpack(ctx, st, pos[0], pos[1], &o, &err) < 0
		   : ctr_image_import(st, pos[0], npos > 1 ? pos[1] : NULL, &o, &err) < 0)
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
 * podman load does), then a spec from the image with args replacing its
 * Cmd.  *name receives the stored image's name (malloc'd).  Returns 0, or 1
 * after reporting an error.
 */
int cli_image_spec(struct cli *cli, const char *ref, const char *const *args, struct image_run_args *ra,
		   ctr_spec **spec, char **name)
{
	ctr_image_store *st = cli_store(cli);
	ctr_error *err = NULL;
	*name = NULL;
	if (!st)
		return 1;
	if (is_source(ref)) {
		ctr_image_options o;
		struct progress pr;
		char *stored = NULL;
		progress_opts(&o, &pr, NULL, -1);
		if (!pr.tty)
			o.progress = NULL; /* plain output stays the container's */
		int r = ctr_image_import_named(st, &stored, ref, NULL, &o, &err);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (r < 0) {
			cli_error_ctr(cli, err, "--image");
			return 1;
		}
		*name = strdup(stored);
		ctr_free(stored);
	} else {
		*name = strdup(ref);
	}
	if (!*name) {
		cli_error(cli, "out of memory");
		return 1;
	}
	ctr_image_spec_options so;
	ctr_image_spec_options_init(&so);
	so.args = args && args[0] ? args : NULL;
	if (ra && cli_image_run_spec_options(cli, ra, &so) < 0)
		return 1;
	if (ctr_image_spec(st, *name, &so, spec, &err) < 0) {
		cli_error_ctr(cli, err, "--image");
		return 1;
	}
	return 0;
}

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

/* ---- progress ---- */

static volatile int cancelled;

static void on_sigint(int sig)
{
	(void)sig;
	cancelled = 1;
}

enum progress_mode { PROGRESS_AUTO, PROGRESS_PLAIN, PROGRESS_NONE };

struct progress {
	bool tty;            /* redraw a line on stderr */
	bool plain;          /* one line per layer when it is done */
	double last;         /* seconds of the last redraw */
	double phase_start;  /* when this layer's phase began */
	double layer_start;  /* when this layer began */
	int phase;
	bool moved;          /* this phase had a report with bytes in (drawn at once: it has a rate) */
	unsigned layer;
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

static void human_time(char *buf, size_t n, double s)
{
	if (s < 60)
		snprintf(buf, n, "%.0fs", s < 1 ? 1 : s);
	else if (s < 3600)
		snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, n, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

static const char *phase_label(int phase)
{
	switch (phase) {
	case CTR_IMAGE_PHASE_COPY:
		return "copying";
	case CTR_IMAGE_PHASE_EXTRACT:
		return "extracting";
	case CTR_IMAGE_PHASE_DONE:
		return "done";
	}
	return "waiting";
}

/*
 * On a terminal: one redrawn line per layer, "layer 2/3 sha256:... copying
 * [####    ] 12.0 MiB/30.0 MiB 8.5 MiB/s ETA 3s", then what it came to.  Not
 * on a terminal: nothing, unless --progress plain asks for one line per
 * layer (logs, CI).
 */
static int on_progress(void *ud, const ctr_image_progress *p)
{
	struct progress *pr = ud;
	double t = now_s();
	int phase = p->size >= offsetof(ctr_image_progress, phase) + sizeof(p->phase) ? p->phase
										     : CTR_IMAGE_PHASE_EXTRACT;
	if (p->layer != pr->layer || !pr->layer_start) {
		pr->layer = p->layer;
		pr->layer_start = t;
		pr->phase = -1;
	}
	bool new_phase = phase != pr->phase, first_move = false;
	if (new_phase) {
		pr->phase = phase;
		pr->phase_start = t;
		pr->moved = false;
	}
	if (!pr->moved && p->bytes_in > 0)
		pr->moved = first_move = true;
	char in[32], out[32], tot[32];
	human(in, sizeof(in), (double)p->bytes_in);
	human(out, sizeof(out), (double)p->bytes_out);
	human(tot, sizeof(tot), p->total >= 0 ? (double)p->total : 0);
	const char *d = p->digest ? p->digest : "";
	if (pr->tty) {
		if (!p->done && !new_phase && !first_move && t - pr->last < 0.1)
			return 0;
		pr->last = t;
		if (p->done) {
			char took[32];
			human_time(took, sizeof(took), t - pr->layer_start);
			if (p->cached)
				fprintf(stderr, "\r\033[Klayer %u/%u %.19s: in the store already (cached)\n", p->layer + 1,
					p->n_layers, d);
			else
				fprintf(stderr, "\r\033[Klayer %u/%u %.19s: done: %s, %s unpacked, %llu entries in %s\n",
					p->layer + 1, p->n_layers, d, tot, out, (unsigned long long)p->entries, took);
			return 0;
		}
		int width = 24, fill = 0;
		if (p->total > 0)
			fill = (int)((double)p->bytes_in * width / (double)p->total);
		if (fill > width)
			fill = width;
		double el = t - pr->phase_start, rate = el > 0.001 ? (double)p->bytes_in / el : 0;
		char rs[32] = "", eta[48] = "";
		if (rate > 0) {
			human(rs, sizeof(rs), rate);
			strcat(rs, "/s");
			if (p->total > 0 && (uint64_t)p->total > p->bytes_in) {
				char e[32];
				human_time(e, sizeof(e), (double)((uint64_t)p->total - p->bytes_in) / rate);
				snprintf(eta, sizeof(eta), " ETA %s", e);
			}
		}
		fprintf(stderr, "\r\033[Klayer %u/%u %.19s %-10s [%.*s%*s] %s/%s %s%s", p->layer + 1, p->n_layers, d,
			phase_label(phase), fill, "########################", width - fill, "", in, tot, rs, eta);
		if (phase == CTR_IMAGE_PHASE_EXTRACT)
			fprintf(stderr, " %llu entries", (unsigned long long)p->entries);
	} else if (pr->plain && p->done) {
		fprintf(stderr, "layer %u/%u %s: %s, %s unpacked, %llu entries%s\n", p->layer + 1, p->n_layers, d,
			tot, out, (unsigned long long)p->entries, p->cached ? " (cached, nothing extracted)" : "");
	}
	return 0;
}

static void progress_opts(ctr_image_options *o, struct progress *pr, const char *platform, int threads,
			  enum progress_mode mode)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ctr_image_options_init(o);
	memset(pr, 0, sizeof(*pr));
	pr->tty = mode == PROGRESS_AUTO && isatty(STDERR_FILENO);
	pr->plain = mode == PROGRESS_PLAIN;
	pr->phase = -1;
	o->progress = pr->tty || pr->plain ? on_progress : NULL;
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
	const char *progress = "auto";
	int threads = -1;
	struct opt opts[] = {
		{ "platform", 0, OPT_STRING, &platform, "os/arch[/variant] to pick from a multi-platform index",
		  "the host's", false },
		{ "writer-threads", 0, OPT_INT, &threads,
		  "threads that write the files of a layer while it is read (0: none, 1 to 8)",
		  "one per CPU, at most 4", false },
		{ "quiet", 'q', OPT_BOOL, &quiet, "no progress output (--progress none)", NULL, false },
		{ "progress", 0, OPT_STRING, &progress,
		  "auto (a line per layer with its phase, rate and ETA, redrawn on a terminal; nothing when stderr "
		  "is not one), plain (one line per layer when it is done: logs) or none", "auto", false },
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
	enum progress_mode mode = quiet || !strcmp(progress, "none") ? PROGRESS_NONE
				  : !strcmp(progress, "plain")		 ? PROGRESS_PLAIN
									 : PROGRESS_AUTO;
	if (strcmp(progress, "auto") && strcmp(progress, "plain") && strcmp(progress, "none")) {
		cli_error(cli, "invalid --progress '%s' for '%s': use auto, plain or none", progress, cli->cmd);
		goto out;
	}
	progress_opts(&o, &pr, platform, threads, mode);
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
		human(sz, sizeof(sz), (double)size);
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
		progress_opts(&o, &pr, NULL, -1, PROGRESS_AUTO); /* on a terminal only: output is the container's */
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

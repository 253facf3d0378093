/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: registries.  "image pull <ref>" and "image push <name> <ref>",
 * the registry flags they share with import, unpack and run/create --image
 * (--authfile, --creds, --cert-dir, --tls-verify, --registries-conf), the
 * --pull policy of run/create --image, and the transfer display: on a
 * terminal one line per layer, redrawn in place, with its phase, a bar,
 * bytes, rate and ETA; otherwise one plain line per finished layer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- flags ---- */

void cli_reg_apply(const struct reg_args *a, ctr_image_options *o)
{
	o->authfile = a->authfile;
	o->creds = a->creds;
	o->cert_dir = a->cert_dir;
	o->registries_conf = a->registries_conf;
	o->tls_skip_verify = !a->tls_verify;
}

void cli_xfer_apply(const struct xfer_args *a, ctr_image_options *o)
{
	o->platform = a->platform;
	o->max_transfers = (unsigned)a->transfers;
	if (a->threads >= 0)
		o->writer_threads = a->threads ? a->threads : -1;
}

/* ---- the display ---- */

static volatile int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

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
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static const char *phase_name(const struct layer_view *v)
{
	if (!v->seen)
		return "waiting";
	if (v->cached)
		return "cached";
	if (v->done)
		return v->phase == CTR_IMAGE_PHASE_EXISTS ? "exists" : v->phase == CTR_IMAGE_PHASE_UPLOADING ? "pushed"
												   : "done";
	switch (v->phase) {
	case CTR_IMAGE_PHASE_WAITING:
		return "waiting";
	case CTR_IMAGE_PHASE_DOWNLOADING:
		return "downloading";
	case CTR_IMAGE_PHASE_RETRYING:
		return "retrying";
	case CTR_IMAGE_PHASE_UPLOADING:
		return "uploading";
	case CTR_IMAGE_PHASE_EXISTS:
		return "exists";
	default:
		return "extracting";
	}
}

static void draw_line(const struct layer_view *v, unsigned i, unsigned n)
{
	char in[32], tot[32], rate[32], eta[32] = "";
	int width = 24, fill = 0;
	human(in, sizeof(in), (double)v->in);
	human(tot, sizeof(tot), v->total >= 0 ? (double)v->total : 0);
	human(rate, sizeof(rate), v->rate);
	if (v->total > 0)
		fill = (int)((double)v->in * width / (double)v->total);
	if (v->done || v->cached)
		fill = width;
	if (fill > width)
		fill = width;
	if (!v->done && !v->cached && v->rate > 0 && v->total > 0 && (uint64_t)v->total > v->in) {
		double s = (double)((uint64_t)v->total - v->in) / v->rate;
		if (s < 360000)
			snprintf(eta, sizeof(eta), " ETA %d:%02d", (int)s / 60, (int)s % 60);
	}
	char retry[32] = "";
	if (!v->done && v->phase == CTR_IMAGE_PHASE_RETRYING)
		snprintf(retry, sizeof(retry), " #%u", v->attempt);
	fprintf(stderr, "\r\033[K%2u/%u %.19s %-11s%s [%.*s%*s] %s/%s", i + 1, n, v->digest, phase_name(v), retry, fill,
		"########################", width - fill, "", in, tot);
	if (!v->done && !v->cached && v->rate > 0)
		fprintf(stderr, " %s/s%s", rate, eta);
	if (v->entries)
		fprintf(stderr, " %llu files", (unsigned long long)v->entries);
	fputc('\n', stderr);
}

static void redraw(struct cli_progress *pr)
{
	if (pr->drawn)
		fprintf(stderr, "\033[%uA", pr->drawn);
	for (unsigned i = 0; i < pr->n; i++)
		draw_line(&pr->v[i], i, pr->n);
	pr->drawn = pr->n;
	fflush(stderr);
}

static int on_progress(void *ud, const ctr_image_progress *p)
{
	struct cli_progress *pr = ud;
	if (p->n_layers > pr->n) {
		struct layer_view *nv = realloc(pr->v, p->n_layers * sizeof(*nv));
		if (!nv)
			return 0;
		memset(nv + pr->n, 0, (p->n_layers - pr->n) * sizeof(*nv));
		pr->v = nv;
		pr->n = p->n_layers;
	}
	if (p->layer >= pr->n)
		return 0;
	struct layer_view *v = &pr->v[p->layer];
	double t = now_s();
	v->seen = true;
	bool has_phase = p->size >= offsetof(ctr_image_progress, phase) + sizeof(p->phase);
	snprintf(v->digest, sizeof(v->digest), "%s", p->digest ? p->digest : "");
	v->total = p->total;
	v->phase = has_phase ? p->phase : CTR_IMAGE_PHASE_EXTRACTING;
	v->attempt = has_phase ? p->attempt : 0;
	v->cached = p->cached;
	v->entries = p->entries;
	v->out = p->bytes_out;
	/* the rate over windows of at least half a second, smoothed */
	if (!v->rate_t) {
		v->rate_t = t;
		v->rate_bytes = p->bytes_in;
	} else if (t - v->rate_t >= 0.5) {
		double r = (double)(p->bytes_in - v->rate_bytes) / (t - v->rate_t);
		v->rate = v->rate > 0 ? 0.6 * r + 0.4 * v->rate : r;
		v->rate_t = t;
		v->rate_bytes = p->bytes_in;
	}
	v->in = p->bytes_in;
	bool newly_done = p->done && !v->done;
	v->done = p->done;
	if (pr->tty) {
		if (newly_done || t - pr->last >= 0.1) {
			pr->last = t;
			redraw(pr);
		}
	} else if (newly_done) {
		char tot[32], out[32];
		human(tot, sizeof(tot), p->total >= 0 ? (double)p->total : 0);
		human(out, sizeof(out), (double)p->bytes_out);
		if (v->phase == CTR_IMAGE_PHASE_UPLOADING || v->phase == CTR_IMAGE_PHASE_EXISTS)
			fprintf(stderr, "layer %u/%u %s: %s, %s\n", p->layer + 1, p->n_layers, v->digest[0] ? p->digest : "",
				tot, v->phase == CTR_IMAGE_PHASE_EXISTS ? "already in the registry" : "pushed");
		else
			fprintf(stderr, "layer %u/%u %s: %s, %s unpacked, %llu entries%s\n", p->layer + 1, p->n_layers,
				p->digest ? p->digest : "", tot, out, (unsigned long long)p->entries,
				p->cached ? " (cached, nothing extracted)" : "");
	}
	return 0;
}

void cli_progress_init(struct cli_progress *pr, ctr_image_options *o, bool quiet)
{
	struct sigaction sa = { 0 };
	memset(pr, 0, sizeof(*pr));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pr->tty = isatty(STDERR_FILENO);
	o->cancel = &cancelled;
	if (!quiet) {
		o->progress = on_progress;
		o->progress_userdata = pr;
	}
}

void cli_progress_end(struct cli_progress *pr)
{
	if (pr->tty && pr->n)
		redraw(pr);
	free(pr->v);
	pr->v = NULL;
	pr->n = pr->drawn = 0;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* ---- commands ---- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024ull * 1024 * 1024;
	else if (*end)
		return -1;
	if (mul > 1 && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int cli_image_pull(struct cli *cli, int argc, char **argv)
{
	struct xfer_args xa = XFER_ARGS_INIT;
	struct reg_args ra = REG_ARGS_INIT;
	struct opt opts[] = { XFER_OPTS(xa), REG_OPTS(ra), { 0 } };
	const struct cmd_desc desc = {
		"image pull", "pull an image from a registry into the store", "[command options] <ref> [<name>]",
		"<ref> is [docker://][host[:port]/]repo[:tag|@digest].  Without docker:// a short name\n"
		"(\"busybox\") is resolved through registries.conf (aliases, unqualified-search-registries);\n"
		"with it, or with a host, the name is used as given (docker.io: Docker Hub).  The image is\n"
		"stored under <name>, else its full name (docker.io/library/busybox:latest).  Layers the\n"
		"store has are not downloaded again.  Ctrl-C cancels and leaves the store as it was.",
		true
	};
	char **pos = NULL;
	int npos, r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	if (npos < 1 || npos > 2) {
		free(pos);
		return cli_usage_error(cli, "needs <ref> and an optional <name>");
	}
	ctr_image_store *st = cli_store(cli);
	ctr_image_options o;
	struct cli_progress pr;
	ctr_error *err = NULL;
	char *stored = NULL;
	r = 1;
	if (!st)
		goto out;
	ctr_image_options_init(&o);
	cli_reg_apply(&ra, &o);
	cli_xfer_apply(&xa, &o);
	cli_progress_init(&pr, &o, xa.quiet);
	int pr_rc = ctr_image_pull(st, &stored, pos[0], npos > 1 ? pos[1] : NULL, &o, &err);
	cli_progress_end(&pr);
	if (pr_rc < 0) {
		cli_error_ctr(cli, err, NULL);
	} else {
		printf("%s\n", stored);
		r = 0;
	}
out:
	ctr_free(stored);
	free(pos);
	return r;
}

int cli_image_push(struct cli *cli, int argc, char **argv)
{
	bool quiet = false;
	const char *chunk = NULL;
	struct reg_args ra = REG_ARGS_INIT;
	struct opt opts[] = {
		{ "chunk-size", 0, OPT_STRING, &chunk, "upload blobs in PATCH requests of this size (e.g. 16M)",
		  "one PUT per blob", false },
		{ "quiet", 'q', OPT_BOOL, &quiet, "no progress output", NULL, false },
		REG_OPTS(ra),
		{ 0 }
	};
	const struct cmd_desc desc = {
		"image push", "push a stored image to a registry", "[command options] <name> <ref>",
		"<ref> is [docker://]host[:port]/repo[:tag] (tag default: latest).  Blobs the registry has\n"
		"are not sent again; blobs of an image pulled from the same registry are mounted from its\n"
		"repository.",
		true
	};
	char **pos = NULL;
	int npos, r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r)
		return r < 0;
	if (npos != 2) {
		free(pos);
		return cli_usage_error(cli, "needs <name> and <ref>");
	}
	ctr_image_store *st = cli_store(cli);
	ctr_image_options o;
	struct cli_progress pr;
	ctr_error *err = NULL;
	r = 1;
	if (!st)
		goto out;
	ctr_image_options_init(&o);
	cli_reg_apply(&ra, &o);
	if (chunk && (parse_size(chunk, &o.chunk_size) < 0 || !o.chunk_size)) {
		r = cli_usage_error(cli, "--chunk-size: give a size such as 5242880, 512k or 16M");
		goto out;
	}
	cli_progress_init(&pr, &o, quiet);
	int pr_rc = ctr_image_push(st, pos[0], pos[1], &o, &err);
	cli_progress_end(&pr);
	if (pr_rc < 0)
		cli_error_ctr(cli, err, NULL);
	else
		r = 0;
out:
	free(pos);
	return r;
}

/*
 * run/create --image with a registry reference: the stored image it names,
 * pulled first as the policy says (always, missing, never).  *name receives
 * the stored name (malloc'd).  0, or 1 after reporting an error.
 */
int cli_image_from_registry(struct cli *cli, const char *ref, const char *policy, const struct reg_args *ra,
			    char **name)
{
	ctr_image_store *st = cli_store(cli);
	ctr_image_options o;
	ctr_error *err = NULL;
	char *stored = NULL;
	if (!st)
		return 1;
	if (!policy)
		policy = "missing";
	if (strcmp(policy, "always") && strcmp(policy, "missing") && strcmp(policy, "never")) {
		cli_error(cli, "--pull '%s': use always, missing or never", policy);
		return 1;
	}
	ctr_image_options_init(&o);
	cli_reg_apply(ra, &o);
	if (strcmp(policy, "always") && ctr_image_lookup(st, &stored, ref, &o, &err) == 0) {
		*name = stored;
		return 0;
	}
	if (!strcmp(policy, "never")) {
		cli_error_ctr(cli, err, "--pull never");
		return 1;
	}
	ctr_error_free(err);
	err = NULL;
	struct cli_progress pr;
	cli_progress_init(&pr, &o, !isatty(STDERR_FILENO)); /* plain output stays the container's */
	int r = ctr_image_pull(st, &stored, ref, NULL, &o, &err);
	cli_progress_end(&pr);
	if (r < 0) {
		cli_error_ctr(cli, err, "--image");
		return 1;
	}
	*name = stored;
	return 0;
}

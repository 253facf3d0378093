/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: the transfer display of image import, unpack, pull, push and
 * run/create --image, on stderr.
 *
 * --progress auto (the default): on a terminal, one line per layer with its
 * phase (waiting, copying into the store, extracting, downloading,
 * retrying, uploading), a bar, bytes, rate, ETA and entries, redrawn in
 * place; a layer that is done, and every layer before it, becomes a
 * permanent line saying what it came to ("done: ...", "in the store
 * already (cached)", "pushed", "already in the registry").  Layers that
 * transfer at once (a pull's --max-transfers) each keep their line; no more
 * lines are redrawn than the terminal has rows.  Nothing when stderr is not
 * a terminal.  --progress plain: one line per layer when it is done (logs,
 * CI).  --progress none (-q): nothing.  SIGINT and SIGTERM cancel (the
 * library removes what it had begun).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

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

void cli_human_size(char *buf, size_t n, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
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

int cli_progress_mode(struct cli *cli, const struct progress_args *a, enum progress_mode *mode)
{
	const char *p = a->progress ? a->progress : "auto";
	if (!strcmp(p, "auto"))
		*mode = PROGRESS_AUTO;
	else if (!strcmp(p, "plain"))
		*mode = PROGRESS_PLAIN;
	else if (!strcmp(p, "none"))
		*mode = PROGRESS_NONE;
	else {
		cli_error(cli, "invalid --progress '%s' for '%s': use auto, plain or none", p, cli->cmd);
		return -1;
	}
	if (a->quiet)
		*mode = PROGRESS_NONE;
	return 0;
}

static const char *phase_label(int phase)
{
	switch (phase) {
	case CTR_IMAGE_PHASE_COPYING:
		return "copying";
	case CTR_IMAGE_PHASE_EXTRACTING:
		return "extracting";
	case CTR_IMAGE_PHASE_DOWNLOADING:
		return "downloading";
	case CTR_IMAGE_PHASE_RETRYING:
		return "retrying";
	case CTR_IMAGE_PHASE_UPLOADING:
		return "uploading";
	case CTR_IMAGE_PHASE_EXISTS:
		return "exists";
	default:
		return "waiting";
	}
}

static bool is_push(int phase)
{
	return phase == CTR_IMAGE_PHASE_UPLOADING || phase == CTR_IMAGE_PHASE_EXISTS;
}

/*
 * The bytes per second of the phase: smoothed over half-second windows,
 * else its average so far (a fast local copy shows its first megabyte
 * within a millisecond: that is its rate).
 */
static double layer_rate(const struct layer_view *v, double t)
{
	if (v->rate > 0)
		return v->rate;
	double el = t - v->phase_t;
	return el > 1e-6 && v->in > 0 ? (double)v->in / el : 0;
}

/* "layer 2/3 sha256:0123456789ab copying     [#####   ] 12.0 MiB/30.0 MiB 8.5 MiB/s ETA 3s" */
static void draw_active(const struct layer_view *v, unsigned i, unsigned n, double t)
{
	char in[32], tot[32], label[32], rs[32] = "", eta[48] = "";
	int width = 24, fill = 0;
	cli_human_size(in, sizeof(in), (double)v->in);
	cli_human_size(tot, sizeof(tot), v->total >= 0 ? (double)v->total : 0);
	if (v->total > 0)
		fill = (int)((double)v->in * width / (double)v->total);
	if (fill > width)
		fill = width;
	if (v->phase == CTR_IMAGE_PHASE_RETRYING)
		snprintf(label, sizeof(label), "retrying #%u", v->attempt);
	else
		snprintf(label, sizeof(label), "%s", v->seen ? phase_label(v->phase) : "waiting");
	double rate = layer_rate(v, t);
	if (rate > 0 && v->phase != CTR_IMAGE_PHASE_WAITING && v->phase != CTR_IMAGE_PHASE_RETRYING) {
		cli_human_size(rs, sizeof(rs), rate);
		strcat(rs, "/s");
		if (v->total > 0 && (uint64_t)v->total > v->in) {
			char e[32];
			human_time(e, sizeof(e), (double)((uint64_t)v->total - v->in) / rate);
			snprintf(eta, sizeof(eta), " ETA %s", e);
		}
	}
	fprintf(stderr, "\r\033[Klayer %u/%u %.19s %-11s [%.*s%*s] %s/%s", i + 1, n, v->digest, label, fill,
		"########################", width - fill, "", in, tot);
	if (rs[0])
		fprintf(stderr, " %s%s", rs, eta);
	if (v->entries || v->phase == CTR_IMAGE_PHASE_EXTRACTING)
		fprintf(stderr, " %llu entries", (unsigned long long)v->entries);
	fputc('\n', stderr);
}

/* What a layer came to: "layer 2/3 sha256:0123456789ab: done: 30.0 MiB, 80.0 MiB unpacked, 912 entries in 4s" */
static void draw_done(const struct layer_view *v, unsigned i, unsigned n)
{
	char tot[32], out[32], took[32];
	cli_human_size(tot, sizeof(tot), v->total >= 0 ? (double)v->total : 0);
	cli_human_size(out, sizeof(out), (double)v->out);
	human_time(took, sizeof(took), v->done_t - v->start_t);
	fprintf(stderr, "\r\033[Klayer %u/%u %.19s: ", i + 1, n, v->digest);
	if (v->cached)
		fprintf(stderr, "in the store already (cached)\n");
	else if (v->phase == CTR_IMAGE_PHASE_EXISTS)
		fprintf(stderr, "already in the registry (%s)\n", tot);
	else if (v->phase == CTR_IMAGE_PHASE_UPLOADING)
		fprintf(stderr, "pushed: %s in %s\n", tot, took);
	else
		fprintf(stderr, "done: %s, %s unpacked, %llu entries in %s\n", tot, out, (unsigned long long)v->entries,
			took);
}

/*
 * Redraw the block: the lines drawn last time are overwritten; layers done
 * in order become permanent lines above it, the others (up to the last one
 * reported) are redrawn, no more than the terminal's rows.
 */
static void redraw(struct cli_progress *pr, double t)
{
	struct winsize ws;
	unsigned rows = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3 ? ws.ws_row - 1u : 23u;
	if (pr->drawn)
		fprintf(stderr, "\r\033[%uA\033[J", pr->drawn);
	while (pr->committed < pr->n && pr->v[pr->committed].done) {
		draw_done(&pr->v[pr->committed], pr->committed, pr->n);
		pr->committed++;
	}
	unsigned last = pr->committed;
	for (unsigned i = pr->committed; i < pr->n; i++)
		if (pr->v[i].seen)
			last = i + 1;
	unsigned lines = last - pr->committed, shown = lines > rows ? rows - 1 : lines;
	for (unsigned i = 0; i < shown; i++)
		draw_active(&pr->v[pr->committed + i], pr->committed + i, pr->n, t);
	if (shown < lines)
		fprintf(stderr, "\r\033[K  ... %u more layers\n", lines - shown);
	pr->drawn = shown + (shown < lines);
	fflush(stderr);
}

static void plain_line(const struct layer_view *v, const ctr_image_progress *p)
{
	char tot[32], out[32];
	cli_human_size(tot, sizeof(tot), p->total >= 0 ? (double)p->total : 0);
	cli_human_size(out, sizeof(out), (double)p->bytes_out);
	const char *d = p->digest ? p->digest : "";
	if (!v->cached && is_push(v->phase))
		fprintf(stderr, "layer %u/%u %s: %s, %s\n", p->layer + 1, p->n_layers, d, tot,
			v->phase == CTR_IMAGE_PHASE_EXISTS ? "already in the registry" : "pushed");
	else
		fprintf(stderr, "layer %u/%u %s: %s, %s unpacked, %llu entries%s\n", p->layer + 1, p->n_layers, d, tot,
			out, (unsigned long long)p->entries, p->cached ? " (cached, nothing extracted)" : "");
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
	/* phase and attempt came with 0.2's struct; an older library's reports are extractions */
	bool has_phase = p->size >= offsetof(ctr_image_progress, attempt) + sizeof(p->attempt);
	int phase = has_phase ? p->phase : CTR_IMAGE_PHASE_EXTRACTING;
	bool first = !v->seen, new_phase = first || phase != v->phase, first_move = false;
	if (first)
		v->start_t = t;
	v->seen = true;
	snprintf(v->digest, sizeof(v->digest), "%s", p->digest ? p->digest : "");
	if (new_phase || p->bytes_in < v->rate_bytes) {
		v->phase = phase;
		v->phase_t = v->rate_t = t;
		v->rate = 0;
		v->rate_bytes = p->bytes_in;
		v->moved = false;
	} else if (t - v->rate_t >= 0.5) {
		/* the rate over windows of at least half a second, smoothed */
		double r = (double)(p->bytes_in - v->rate_bytes) / (t - v->rate_t);
		v->rate = v->rate > 0 ? 0.6 * r + 0.4 * v->rate : r;
		v->rate_t = t;
		v->rate_bytes = p->bytes_in;
	}
	if (!v->moved && p->bytes_in > 0)
		v->moved = first_move = true;
	v->attempt = has_phase ? p->attempt : 0;
	v->total = p->total;
	v->cached = p->cached;
	v->entries = p->entries;
	v->out = p->bytes_out;
	v->in = p->bytes_in;
	bool newly_done = p->done && !v->done;
	if (newly_done)
		v->done_t = t;
	v->done = p->done;
	if (pr->tty) {
		/* at once for what changes the picture (a new phase, the first bytes, a layer done), else 10 a second */
		if (newly_done || new_phase || first_move || t - pr->last >= 0.1) {
			pr->last = t;
			redraw(pr, t);
		}
	} else if (pr->plain && newly_done) {
		plain_line(v, p);
	}
	return 0;
}

void cli_progress_init(struct cli_progress *pr, ctr_image_options *o, enum progress_mode mode)
{
	struct sigaction sa = { 0 };
	memset(pr, 0, sizeof(*pr));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pr->tty = mode == PROGRESS_AUTO && isatty(STDERR_FILENO);
	pr->plain = mode == PROGRESS_PLAIN;
	o->cancel = &cancelled;
	if (pr->tty || pr->plain) {
		o->progress = on_progress;
		o->progress_userdata = pr;
	}
}

void cli_progress_end(struct cli_progress *pr)
{
	if (pr->tty && pr->n)
		redraw(pr, now_s());
	free(pr->v);
	pr->v = NULL;
	pr->n = pr->drawn = pr->committed = 0;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

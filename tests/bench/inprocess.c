/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inprocess: what an embedding daemon pays per container.  One process runs
 * N containers of a bundle through the API (ctr_container_create, _start,
 * _wait, _delete; one context, the spec loaded once), N more started by the
 * create (CTR_CREATE_START, then _wait and _delete: "api-start"), and execs a runtime's
 * `run` N times on the same bundle (crun, and ctr-demo when given), in
 * rounds so a noisy machine slows both alike.  Prints per container the
 * mean, standard deviation and median in ms of each, and the ratios.
 *
 *   inprocess [-n N] [-r ROUNDS] [--check RATIO] --bundle DIR --root DIR
 *             [--crun PATH --crun-root DIR] [--ctr-demo PATH --ctr-demo-root DIR]
 *
 * --check exits 1 when api/crun exceeds RATIO.  Needs root; run by
 * tests/bench/inprocess.sh (private mount namespace, state roots on tmpfs).
 * Not part of the test suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "bench.h"

extern char **environ;

struct series {
	const char *name;
	double *ms;
	int n;
};

/* one container through the API; the time it took, or -1 (message on stderr) */
static double api_one(ctr_context *ctx, const ctr_spec *spec, const char *bundle, unsigned flags, int i)
{
	char id[64];
	snprintf(id, sizeof(id), "inproc-%d", i);
	ctr_create_options o;
	ctr_create_options_init(&o);
	o.bundle = bundle;
	o.flags = flags;
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	int status = -1;
	double t0 = now_ms();
	if (ctr_container_create(ctx, &c, id, spec, &o, &err) < 0 ||
	    (!(flags & CTR_CREATE_START) && ctr_container_start(c, &err) < 0) ||
	    ctr_container_wait(c, &status, -1, &err) < 0 || ctr_container_delete(c, 0, &err) < 0) {
		fprintf(stderr, "inprocess: container %s: %s\n", id, ctr_error_message(err));
		ctr_error_free(err);
		if (c)
			(void)ctr_container_delete(c, CTR_DELETE_FORCE, NULL);
		ctr_container_free(c);
		return -1;
	}
	double t = now_ms() - t0;
	ctr_container_free(c);
	if (status != 0) {
		fprintf(stderr, "inprocess: container %s exited with %d\n", id, status);
		return -1;
	}
	return t;
}

/* `BIN --root ROOT run -b BUNDLE ID`, timed from spawn to reaping */
static double exec_one(const char *bin, const char *root, const char *bundle, const char *prefix, int i)
{
	char id[64];
	snprintf(id, sizeof(id), "%s-%d", prefix, i);
	char *argv[] = {(char *)bin, "--root", (char *)root, "run", "-b", (char *)bundle, id, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	double t0 = now_ms();
	int e = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		fprintf(stderr, "inprocess: %s: %s\n", bin, strerror(e));
		return -1;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	double t = now_ms() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "inprocess: %s --root %s run -b %s %s failed (status %#x)\n", bin, root, bundle, id, st);
		return -1;
	}
	return t;
}

static void summary(const struct series *s)
{
	double mean = 0, var = 0;
	for (int i = 0; i < s->n; i++)
		mean += s->ms[i];
	mean /= s->n;
	for (int i = 0; i < s->n; i++)
		var += (s->ms[i] - mean) * (s->ms[i] - mean);
	double *v = malloc((size_t)s->n * sizeof(double));
	if (!v)
		return;
	memcpy(v, s->ms, (size_t)s->n * sizeof(double));
	qsort(v, (size_t)s->n, sizeof(double), cmp_double);
	printf("%-10s %9.3f %9.3f %9.3f %9.3f\n", s->name, mean, s->n > 1 ? sqrt(var / (s->n - 1)) : 0, v[s->n / 2],
	       v[s->n - 1 - s->n / 10]);
	free(v);
}

static double mean_of(const struct series *s)
{
	double m = 0;
	for (int i = 0; i < s->n; i++)
		m += s->ms[i];
	return m / s->n;
}

int main(int argc, char **argv)
{
	int n = 200, rounds = 10;
	double check = 0;
	const char *bundle = NULL, *root = NULL, *crun = NULL, *crun_root = NULL, *demo = NULL, *demo_root = NULL;
	static const struct option lo[] = {
		{"bundle", required_argument, NULL, 'b'},   {"root", required_argument, NULL, 'R'},
		{"crun", required_argument, NULL, 'c'},     {"crun-root", required_argument, NULL, 'C'},
		{"ctr-demo", required_argument, NULL, 'd'}, {"ctr-demo-root", required_argument, NULL, 'D'},
		{"check", required_argument, NULL, 'k'},    {NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "n:r:", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'b': bundle = optarg; break;
		case 'R': root = optarg; break;
		case 'c': crun = optarg; break;
		case 'C': crun_root = optarg; break;
		case 'd': demo = optarg; break;
		case 'D': demo_root = optarg; break;
		case 'k': check = atof(optarg); break;
		default: return 2;
		}
	}
	if (!bundle || !root || n < 2 || rounds < 1 || rounds > n || (crun && !crun_root) || (demo && !demo_root)) {
		fprintf(stderr, "usage: inprocess [-n N>=2] [-r ROUNDS] [--check RATIO] --bundle DIR --root DIR "
				"[--crun PATH --crun-root DIR] [--ctr-demo PATH --ctr-demo-root DIR]\n");
		return 2;
	}
	char config[4096];
	snprintf(config, sizeof(config), "%s/config.json", bundle);
	ctr_context_options co;
	ctr_context_options_init(&co);
	co.state_root = root;
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	if (ctr_context_new(&ctx, &co, &err) < 0 || ctr_spec_load_file(&spec, config, &err) < 0) {
		fprintf(stderr, "inprocess: %s\n", ctr_error_message(err));
		return 1;
	}
	struct series api = {"api", calloc((size_t)n, sizeof(double)), 0};
	struct series cr = {"crun", calloc((size_t)n, sizeof(double)), 0};
	struct series dm = {"ctr-demo", calloc((size_t)n, sizeof(double)), 0};
	struct series as = {"api-start", calloc((size_t)n, sizeof(double)), 0};
	if (!api.ms || !cr.ms || !dm.ms || !as.ms)
		return 1;
	/* a warm-up of each, untimed */
	if (api_one(ctx, spec, bundle, 0, -1) < 0 || api_one(ctx, spec, bundle, CTR_CREATE_START, -1) < 0 || (crun && exec_one(crun, crun_root, bundle, "crun", -1) < 0) ||
	    (demo && exec_one(demo, demo_root, bundle, "demo", -1) < 0))
		return 1;
	for (int r = 0; r < rounds; r++) {
		int per = n / rounds + (r < n % rounds);
		for (int i = 0; i < per; i++, api.n++)
			if ((api.ms[api.n] = api_one(ctx, spec, bundle, 0, api.n)) < 0)
				return 1;
		for (int i = 0; i < per; i++, as.n++)
			if ((as.ms[as.n] = api_one(ctx, spec, bundle, CTR_CREATE_START, as.n)) < 0)
				return 1;
		for (int i = 0; crun && i < per; i++, cr.n++)
			if ((cr.ms[cr.n] = exec_one(crun, crun_root, bundle, "crun", cr.n)) < 0)
				return 1;
		for (int i = 0; demo && i < per; i++, dm.n++)
			if ((dm.ms[dm.n] = exec_one(demo, demo_root, bundle, "demo", dm.n)) < 0)
				return 1;
	}
	printf("%-10s %9s %9s %9s %9s\n", "per-ctr", "mean_ms", "stddev", "median", "p90");
	summary(&api);
	summary(&as);
	if (crun)
		summary(&cr);
	if (demo)
		summary(&dm);
	int status = 0;
	if (crun) {
		double ratio = mean_of(&api) / mean_of(&cr);
		printf("api/crun = %.3f%s\n", ratio, check > 0 ? "" : " (issue 16's target: <= 0.35)");
		if (check > 0 && ratio > check) {
			fprintf(stderr, "inprocess: --check: api/crun = %.3f > %.3f\n", ratio, check);
			status = 1;
		}
		printf("api-start/crun = %.3f\n", mean_of(&as) / mean_of(&cr));
	}
	printf("api-start/api = %.3f\n", mean_of(&as) / mean_of(&api));
	if (demo)
		printf("api/ctr-demo = %.3f\n", mean_of(&api) / mean_of(&dm));
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return status;
}

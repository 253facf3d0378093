/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timeit: run several commands in turn, round after round, so that a noisy
 * machine slows them all alike; print per command its mean, standard
 * deviation, median, 10th and 90th percentile in milliseconds and the peak
 * resident set (wait4's ru_maxrss: the largest of the command and the
 * processes it waited for, what GNU time's %M reports).
 *
 *   timeit [-n RUNS] [-w WARMUP] [-s SEED] NAME=COMMAND...
 *
 * COMMAND is split at spaces (no quoting: benchmark paths have none) and run
 * without a shell, stdout to /dev/null.  A command that fails stops
 * everything: its name and status go to stderr and the exit status is 1.
 * The commands run in a new random order each round (-s SEED, default 1, so
 * that a run can be repeated): a command run right after another one that
 * does much the same work finds the caches warm for it, and in a fixed order
 * that favours whichever comes second, every round.  (A fixed order made one
 * ctr-demo binary 0.95 of the time of the same binary run before it.)
 * Output: one line per command,
 *   NAME MEAN SD MEDIAN P10 P90 MAXRSS_KIB
 * Used by tests/bench/lifecycle.sh; not part of the test suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

struct cmd {
	char *name;
	char **argv;
	double *ms;
	long maxrss;
};

static char **split(char *s)
{
	size_t n = 0, cap = 8;
	char **v = malloc(cap * sizeof(*v)), *save = NULL;
	for (char *t = strtok_r(s, " ", &save); v && t; t = strtok_r(NULL, " ", &save)) {
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[n++] = t;
	}
	if (v)
		v[n] = NULL;
	return v;
}

/* one run: the elapsed time, or a negative value when the command failed */
static double run(struct cmd *c, const posix_spawn_file_actions_t *fa)
{
	pid_t pid;
	double t0 = now_ms();
	int e = posix_spawn(&pid, c->argv[0], fa, NULL, c->argv, environ);
	if (e) {
		fprintf(stderr, "timeit: %s: %s: %s\n", c->name, c->argv[0], strerror(e));
		return -1;
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			return -1;
		}
	double t = now_ms() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "timeit: %s failed (%s %d): %s\n", c->name, WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), c->argv[0]);
		return -1;
	}
	if (ru.ru_maxrss > c->maxrss)
		c->maxrss = ru.ru_maxrss;
	return t;
}

/* order: 0..n-1 in a random order (Fisher-Yates) */
static void shuffle(int *order, int n)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(drand48() * (i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

int main(int argc, char **argv)
{
	int n = 100, warm = 5, opt;
	long seed = 1;
	while ((opt = getopt(argc, argv, "n:w:s:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'w')
			warm = atoi(optarg);
		else if (opt == 's')
			seed = atol(optarg);
		else
			return 2;
	}
	int nc = argc - optind;
	if (n < 2 || warm < 0 || nc < 1) {
		fprintf(stderr, "usage: timeit [-n RUNS>=2] [-w WARMUP] [-s SEED] NAME=COMMAND...\n");
		return 2;
	}
	srand48(seed);
	int *order = calloc((size_t)nc, sizeof(int));
	if (!order)
		return 1;
	struct cmd *cmds = calloc((size_t)nc, sizeof(*cmds));
	if (!cmds)
		return 1;
	for (int i = 0; i < nc; i++) {
		char *eq = strchr(argv[optind + i], '=');
		if (!eq || eq == argv[optind + i]) {
			fprintf(stderr, "timeit: '%s' is not NAME=COMMAND\n", argv[optind + i]);
			return 2;
		}
		*eq = '\0';
		cmds[i].name = argv[optind + i];
		cmds[i].argv = split(eq + 1);
		cmds[i].ms = calloc((size_t)n, sizeof(double));
		if (!cmds[i].argv || !cmds[i].argv[0] || !cmds[i].ms) {
			fprintf(stderr, "timeit: %s: no command\n", cmds[i].name);
			return 2;
		}
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (int r = 0; r < warm; r++)
		for (int i = 0; i < nc; i++)
			if (run(&cmds[i], &fa) < 0)
				return 1;
	for (int i = 0; i < nc; i++)
		cmds[i].maxrss = 0;
	for (int r = 0; r < n; r++) {
		shuffle(order, nc);
		for (int k = 0; k < nc; k++) {
			struct cmd *c = &cmds[order[k]];
			if ((c->ms[r] = run(c, &fa)) < 0)
				return 1;
		}
	}
	for (int i = 0; i < nc; i++) {
		double *v = cmds[i].ms, mean = 0, var = 0;
		for (int r = 0; r < n; r++)
			mean += v[r];
		mean /= n;
		for (int r = 0; r < n; r++)
			var += (v[r] - mean) * (v[r] - mean);
		qsort(v, (size_t)n, sizeof(double), cmp_double);
		printf("%s %.3f %.3f %.3f %.3f %.3f %ld\n", cmds[i].name, mean, sqrt(var / (n - 1)), v[n / 2], v[n / 10],
		       v[n - 1 - n / 10], cmds[i].maxrss);
	}
	return 0;
}

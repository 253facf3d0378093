/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The commands that act through a container's cgroups: pause, resume, ps,
 * update, events, and features.  Flags and output follow runc 1.1
 * (containerd's shim reads `ps --format json` and `events --stats`).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Parse the one container id and load it; NULL after reporting an error. */
static ctr_container *load_one(struct cli *cli, char **pos, int npos, int max)
{
	if (npos < 1) {
		cli_usage_error(cli, "requires a container id");
		return NULL;
	}
	if (npos > max) {
		char what[256];
		snprintf(what, sizeof(what), "takes exactly 1 argument (the container id), got an extra argument '%s'",
			 pos[max]);
		cli_usage_error(cli, what);
		return NULL;
	}
	ctr_context *ctx = cli_context(cli);
	ctr_container *c = NULL;
	ctr_error *err = NULL;
	if (!ctx)
		return NULL;
	if (ctr_container_load(ctx, &c, pos[0], &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return NULL;
	}
	return c;
}

/* cli_parse; -1 to go on, else the exit status (after --help or a usage error) */
static int parse(struct cli *cli, const struct cmd_desc *desc, struct opt *opts, int argc, char **argv, char ***pos,
		 int *npos)
{
	int r = cli_parse(cli, desc, opts, argc, argv, pos, npos);
	if (!r)
		return -1;
	free(*pos);
	*pos = NULL;
	return r < 0;
}

static int pause_resume(struct cli *cli, int argc, char **argv, bool pause)
{
	struct opt opts[] = {{0}};
	const struct cmd_desc desc = {
		pause ? "pause" : "resume",
		pause ? "pause suspends all processes inside the container"
		      : "resumes all processes that have been previously paused",
		"<container-id>\n\nWhere \"<container-id>\" is the name for the instance of the container to be "
		"paused or resumed.",
		NULL, true};
	char **pos = NULL;
	int npos, r = parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r >= 0)
		return r;
	ctr_container *c = load_one(cli, pos, npos, 1);
	ctr_error *err = NULL;
	r = 1;
	if (c && (pause ? ctr_container_pause(c, &err) : ctr_container_resume(c, &err)) < 0)
		cli_error_ctr(cli, err, NULL);
	else if (c)
		r = 0;
	ctr_container_free(c);
	free(pos);
	return r;
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
	return pause_resume(cli, argc, argv, true);
}

int cmd_resume(struct cli *cli, int argc, char **argv)
{
	return pause_resume(cli, argc, argv, false);
}

/* ---- ps ---- */

/* runc: run ps(1) with the arguments after the id (default -ef) and keep the header and our pids' lines */
static int ps_table(struct cli *cli, const pid_t *pids, size_t n, char **args, int nargs)
{
	const char *argv[64];
	int k = 0;
	argv[k++] = "ps";
	if (nargs == 0)
		argv[k++] = "-ef";
	for (int i = 0; i < nargs && k < 63; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		cli_error(cli, "ps: pipe: %s", strerror(errno));
		return 1;
	}
	pid_t child = fork();
	if (child < 0) {
		cli_error(cli, "ps: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return 1;
	}
	if (child == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp("ps", (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int pid_col = -1, first = 1, rc = 0;
	while (f && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", line);
		if (first) {
			first = 0;
			int col = 0;
			for (char *t = strtok(copy, " \t"); t; t = strtok(NULL, " \t"), col++)
				if (!strcmp(t, "PID"))
					pid_col = col;
			if (pid_col < 0) {
				cli_error(cli, "couldn't find PID field in ps output");
				rc = 1;
				break;
			}
			printf("%s\n", line);
			continue;
		}
		if (!*line)
			continue;
		int col = 0;
		char *t = strtok(copy, " \t");
		for (; t && col < pid_col; col++)
			t = strtok(NULL, " \t");
		if (!t)
			continue;
		long v = strtol(t, NULL, 10);
		for (size_t i = 0; i < n; i++)
			if (pids[i] == (pid_t)v) {
				printf("%s\n", line);
				break;
			}
	}
	free(line);
	if (f)
		fclose(f);
	int st;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (!rc && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		cli_error(cli, "ps %s failed (exit status %d)", nargs ? args[0] : "-ef", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		rc = 1;
	}
	return rc;
}

int cmd_ps(struct cli *cli, int argc, char **argv)
{
	const char *format = "table";
	struct opt opts[] = {
		{"format", 'f', OPT_STRING, &format, "select one of: table or json", "table", false},
		{0},
	};
	const struct cmd_desc desc = {
		"ps", "ps displays the processes running inside a container",
		"[command options] <container-id> [ps options]", NULL, false};
	char **pos = NULL;
	int npos, r = parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r >= 0)
		return r;
	r = 1;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		cli_error(cli, "invalid format option '%s': use table or json", format);
		free(pos);
		return 1;
	}
	ctr_container *c = load_one(cli, pos, npos > 0 ? 1 : npos, 1);
	pid_t *pids = NULL;
	size_t n = 0;
	ctr_error *err = NULL;
	if (c && ctr_container_pids(c, &pids, &n, &err) < 0)
		cli_error_ctr(cli, err, NULL);
	else if (c && !strcmp(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		r = 0;
	} else if (c)
		r = ps_table(cli, pids, n, pos + 1, npos - 1);
	ctr_free(pids);
	ctr_container_free(c);
	free(pos);
	return r;
}

/* ---- update ---- */

static json_object *obj_member(json_object *o, const char *k)
{
	json_object *v;
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_object))
		return v;
	v = json_object_new_object();
	json_object_object_add(o, k, v);
	return v;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	size_t n;
	while (b && (n = fread(b + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	if (b)
		b[len] = '\0';
	return b;
}

int cmd_update(struct cli *cli, int argc, char **argv)
{
	const char *resources = NULL, *v[16] = {0}, *pids_s = NULL;
	enum { BLKIO, PERIOD, QUOTA, SHARE, SHARES, RTPERIOD, RTRUNTIME, CPUS, MEMS, KMEM, KMEMTCP, MEM, MEMRES, SWAP, PIDS };
	struct opt opts[] = {
		{"resources", 'r', OPT_STRING, &resources,
		 "path to the file containing the resources to update or '-' to read from the standard input", NULL, false},
		{"blkio-weight", 0, OPT_STRING, &v[BLKIO], "Specifies per cgroup weight, range is from 10 to 1000", NULL, false},
		{"cpu-period", 0, OPT_STRING, &v[PERIOD], "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", NULL, false},
		{"cpu-quota", 0, OPT_STRING, &v[QUOTA], "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", NULL, false},
		{"cpu-share", 0, OPT_STRING, &v[SHARE], "CPU shares (relative weight vs. other containers)", NULL, false},
		{"cpu-shares", 0, OPT_STRING, &v[SHARES], "the same as --cpu-share", NULL, false},
		{"cpu-rt-period", 0, OPT_STRING, &v[RTPERIOD], "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default", NULL, false},
		{"cpu-rt-runtime", 0, OPT_STRING, &v[RTRUNTIME], "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period", NULL, false},
		{"cpuset-cpus", 0, OPT_STRING, &v[CPUS], "CPU(s) to use", NULL, false},
		{"cpuset-mems", 0, OPT_STRING, &v[MEMS], "Memory node(s) to use", NULL, false},
		{"kernel-memory", 0, OPT_STRING, &v[KMEM], "(obsoleted; do not use)", NULL, false},
		{"kernel-memory-tcp", 0, OPT_STRING, &v[KMEMTCP], "(obsoleted; do not use)", NULL, false},
		{"memory", 0, OPT_STRING, &v[MEM], "Memory limit (in bytes)", NULL, false},
		{"memory-reservation", 0, OPT_STRING, &v[MEMRES], "Memory reservation or soft_limit (in bytes)", NULL, false},
		{"memory-swap", 0, OPT_STRING, &v[SWAP], "Total memory usage (memory + swap); set '-1' to enable unlimited swap", NULL, false},
		{"pids-limit", 0, OPT_STRING, &pids_s, "Maximum number of pids allowed in the container", NULL, false},
		{0},
	};
	const struct cmd_desc desc = {
		"update", "update container resource constraints",
		"[command options] <container-id>\n\nThe accepted format of --resources is a runtime-spec "
		"linux.resources object, e.g.:\n\n{\n  \"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0},\n  "
		"\"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"cpus\": \"\", \"mems\": \"\"},\n  "
		"\"blockIO\": {\"weight\": 0},\n  \"pids\": {\"limit\": 0}\n}",
		NULL, true};
	char **pos = NULL;
	int npos, r = parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r >= 0)
		return r;
	ctr_container *c = NULL;
	json_object *res = NULL;
	ctr_error *err = NULL;
	r = 1;
	if (resources) {
		FILE *f = strcmp(resources, "-") ? fopen(resources, "re") : stdin;
		if (!f) {
			cli_error(cli, "open %s (--resources): %s", resources, strerror(errno));
			goto out;
		}
		char *text = read_all(f);
		if (f != stdin)
			fclose(f);
		if (!text) {
			cli_error(cli, "out of memory");
			goto out;
		}
		/* the library's checks of linux.resources, naming this file: types, ranges, unknown fields */
		if (ctr_resources_validate(text, strlen(text), strcmp(resources, "-") ? resources : "- (stdin)",
					   &err) < 0) {
			free(text);
			cli_error_ctr(cli, err, NULL);
			goto out;
		}
		res = json_tokener_parse(text);
		free(text);
		if (!res) {
			cli_error(cli, "out of memory");
			goto out;
		}
	} else if (!(res = json_object_new_object())) {
		cli_error(cli, "out of memory");
		goto out;
	}
	static const struct {
		int idx;
		const char *group, *key;
		bool bytes, str;
	} map[] = {
		{BLKIO, "blockIO", "weight", false, false},      {PERIOD, "cpu", "period", false, false},
		{QUOTA, "cpu", "quota", false, false},           {SHARE, "cpu", "shares", false, false},
		{SHARES, "cpu", "shares", false, false},         {RTPERIOD, "cpu", "realtimePeriod", false, false},
		{RTRUNTIME, "cpu", "realtimeRuntime", false, false}, {CPUS, "cpu", "cpus", false, true},
		{MEMS, "cpu", "mems", false, true},              {KMEM, "memory", "kernel", true, false},
		{KMEMTCP, "memory", "kernelTCP", true, false},   {MEM, "memory", "limit", true, false},
		{MEMRES, "memory", "reservation", true, false},  {SWAP, "memory", "swap", true, false},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *s = v[map[i].idx];
		if (!s)
			continue;
		json_object *g = obj_member(res, map[i].group);
		if (map[i].str) {
			json_object_object_add(g, map[i].key, json_object_new_string(s));
			continue;
		}
		int64_t val;
		char *end;
		if (map[i].bytes) {
			if (cli_parse_bytes(s, &val) < 0) {
				cli_error(cli, "invalid value for %s.%s: '%s' (bytes, e.g. 512m, 1g or -1)", map[i].group,
					  map[i].key, s);
				goto out;
			}
		} else {
			errno = 0;
			val = strtoll(s, &end, 10);
			if (errno || end == s || *end) {
				cli_error(cli, "invalid value for %s.%s: '%s' (a number)", map[i].group, map[i].key, s);
				goto out;
			}
		}
		json_object_object_add(g, map[i].key, json_object_new_int64(val));
	}
	if (pids_s) {
		char *end;
		errno = 0;
		long long p = strtoll(pids_s, &end, 10);
		if (errno || end == pids_s || *end) {
			cli_error(cli, "invalid value for --pids-limit: '%s'", pids_s);
			goto out;
		}
		json_object_object_add(obj_member(res, "pids"), "limit", json_object_new_int64(p));
	}
	if (!(c = load_one(cli, pos, npos, 1)))
		goto out;
	if (ctr_container_update(c, json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN), &err) < 0)
		cli_error_ctr(cli, err, NULL);
	else
		r = 0;
out:
	json_object_put(res);
	ctr_container_free(c);
	free(pos);
	return r;
}

/* ---- events ---- */

/* Go durations: "5s", "100ms", "1m30s", "2h" */
static int parse_duration_ms(const char *s, long long *ms)
{
	double total = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		double unit;
		if (!strncmp(p, "ms", 2)) {
			unit = 1;
			p += 2;
		} else if (!strncmp(p, "us", 2) || !strncmp(p, "µs", 3)) {
			unit = 0.001;
			p += p[0] == 'u' ? 2 : 3;
		} else if (!strncmp(p, "ns", 2)) {
			unit = 0.000001;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else
			return -1;
		total += v * unit;
	}
	*ms = (long long)total;
	return total > 0 ? 0 : -1;
}

static int print_event(struct cli *cli, ctr_container *c, const char *type, bool stats)
{
	char *data = NULL;
	ctr_error *err = NULL;
	if (stats && ctr_container_stats_json(c, &data, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return -1;
	}
	struct buf b = {0};
	buf_puts(&b, "{\"type\":");
	buf_json_str(&b, type);
	buf_puts(&b, ",\"id\":");
	buf_json_str(&b, ctr_container_id(c));
	if (data) {
		buf_puts(&b, ",\"data\":");
		buf_puts(&b, data);
	}
	buf_puts(&b, "}\n");
	ctr_free(data);
	if (b.oom) {
		buf_free(&b);
		cli_error(cli, "out of memory");
		return -1;
	}
	fwrite(b.s, 1, b.len, stdout);
	fflush(stdout);
	buf_free(&b);
	return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
	const char *interval = "5s";
	bool stats = false;
	struct opt opts[] = {
		{"interval", 0, OPT_STRING, &interval, "set the stats collection interval", "5s", false},
		{"stats", 0, OPT_BOOL, &stats, "display the container's stats then exit", NULL, false},
		{0},
	};
	const struct cmd_desc desc = {
		"events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
		"[command options] <container-id>\n\nThe events command displays information about the container. By "
		"default the\ninformation is displayed once every 5 seconds.",
		NULL, true};
	char **pos = NULL;
	int npos, r = parse(cli, &desc, opts, argc, argv, &pos, &npos);
	if (r >= 0)
		return r;
	r = 1;
	long long ms;
	if (parse_duration_ms(interval, &ms) < 0) {
		cli_error(cli, "duration interval must be greater than 0 (a Go duration such as 5s or 500ms), not '%s'",
			  interval);
		free(pos);
		return 1;
	}
	ctr_container *c = load_one(cli, pos, npos, 1);
	if (!c)
		goto out;
	ctr_status st = ctr_container_status(c);
	if (st == CTR_STATUS_STOPPED) {
		cli_error(cli, "container with id %s is not running", ctr_container_id(c));
		goto out;
	}
	if (stats) {
		r = print_event(cli, c, "stats", true) < 0;
		goto out;
	}
	/* OOM kills are polled from the counter (cheap); stats go out every interval */
	uint64_t ooms = 0, now;
	ctr_error *err = NULL;
	if (ctr_container_oom_kills(c, &ooms, &err) < 0) {
		ctr_error_free(err);
		err = NULL;
	}
	struct timespec last, t;
	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		int pfd = ctr_container_pidfd(c);
		struct pollfd p = {pfd, POLLIN, 0};
		int tick = ms < 200 ? (int)ms : 200;
		if (pfd >= 0 ? poll(&p, 1, tick) > 0 : (usleep((useconds_t)tick * 1000), ctr_container_status(c) == CTR_STATUS_STOPPED))
			break;
		if (ctr_container_oom_kills(c, &now, &err) == 0 && now > ooms) {
			for (; ooms < now; ooms++)
				if (print_event(cli, c, "oom", false) < 0)
					goto out;
		}
		ctr_error_free(err);
		err = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long long el = (t.tv_sec - last.tv_sec) * 1000LL + (t.tv_nsec - last.tv_nsec) / 1000000;
		if (el >= ms) {
			last = t;
			if (print_event(cli, c, "stats", true) < 0)
				goto out;
		}
	}
	/* a last look: the OOM kill may be what ended it */
	if (ctr_container_oom_kills(c, &now, &err) == 0)
		for (; ooms < now; ooms++)
			(void)print_event(cli, c, "oom", false);
	ctr_error_free(err);
	r = 0;
out:
	ctr_container_free(c);
	free(pos);
	return r;
}

/* ---- features ---- */

int cmd_features(struct cli *cli, int argc, char **argv)
{
	struct opt opts[] = {{0}};
	const struct cmd_desc desc = {"features", "show the enabled features",
				      "\n\nShow the enabled features.\nThe result is parsable as a JSON.\nSee "
				      "https://github.com/opencontainers/runtime-spec/blob/main/features.md for the type "
				      "definition.",
				      NULL, true};
	char **pos = NULL;
	int npos, r = cli_parse(cli, &desc, opts, argc, argv, &pos, &npos);
	free(pos);
	if (r)
		return r < 0;
	if (npos) {
		cli_usage_error(cli, "takes no arguments");
		return 1;
	}
	char *json = NULL;
	ctr_error *err = NULL;
	if (ctr_features_json(&json, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return 1;
	}
	printf("%s\n", json);
	ctr_free(json);
	return 0;
}

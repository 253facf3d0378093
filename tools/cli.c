/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every command file shares: errors, warnings and debug messages (to
 * stderr and, with --log, to the log file in runc's text or JSON format,
 * which engines read the last error from), the library context with its log
 * callback, and small helpers (absolute paths, pid files, signal names).
 * ctr-demo.c dispatches to the commands; the commands call only this file
 * and each other's declared helpers in cli.h, never back into ctr-demo.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------- messages */

static const char *level_name(ctr_log_level level)
{
	switch (level) {
	case CTR_LOG_ERROR:
		return "error";
	case CTR_LOG_WARNING:
		return "warning";
	case CTR_LOG_INFO:
		return "info";
	case CTR_LOG_DEBUG:
		return "debug";
	}
	return "info";
}

/* One log entry in runc's (logrus's) format, written with a single write(2). */
static void log_write(int fd, bool json, const char *level, const char *msg)
{
	struct buf b = { 0 };
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json) {
		buf_printf(&b, "{\"level\":\"%s\",\"msg\":", level);
		buf_json_str(&b, msg);
		buf_printf(&b, ",\"time\":\"%s\"}\n", ts);
	} else {
		buf_printf(&b, "time=\"%s\" level=%s msg=", ts, level);
		buf_go_quote(&b, msg);
		buf_puts(&b, "\n");
	}
	if (!b.oom) {
		ssize_t r;
		do
			r = write(fd, b.s, b.len);
		while (r < 0 && errno == EINTR);
	}
	buf_free(&b);
}

/*
 * Where a message goes, each as one line:
 *  - with --log FILE: an entry in runc's format (text or JSON) in the file,
 *    and errors also on stderr as "ctr-demo: msg" (as runc's fatal prints
 *    them: engines show stderr, and read the file);
 *  - without --log, with --log-format json: one JSON entry on stderr, as
 *    runc's logger writes it there;
 *  - without either: "ctr-demo: msg" for errors, "ctr-demo: warning: msg"
 *    and "ctr-demo: debug: msg" on stderr.
 * A warning or debug message is written once per process: the library may
 * repeat one for the same fault (a broken state file read twice).
 */
static bool seen_before(ctr_log_level level, const char *m)
{
	static uint64_t seen[64];
	static size_t n_seen;
	if (level == CTR_LOG_ERROR)
		return false;
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)level;
	for (const char *p = m; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i] == h)
			return true;
	if (n_seen < 64)
		seen[n_seen++] = h;
	return false;
}

static void emit(struct cli *cli, ctr_log_level level, const char *m)
{
	if (seen_before(level, m))
		return;
	if (cli->log_fd >= 0) {
		log_write(cli->log_fd, cli->log_json, level_name(level), m);
		if (level == CTR_LOG_ERROR)
			fprintf(stderr, CLI_NAME ": %s\n", m);
		return;
	}
	if (cli->log_json) {
		log_write(STDERR_FILENO, true, level_name(level), m);
		return;
	}
	fprintf(stderr, CLI_NAME ": %s%s%s\n", level == CTR_LOG_ERROR ? "" : level_name(level),
		level == CTR_LOG_ERROR ? "" : ": ", m);
}

__attribute__((format(printf, 3, 0))) static void vreport(struct cli *cli, ctr_log_level level, const char *fmt,
						     va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	emit(cli, level, msg ? msg : "out of memory while formatting a message");
	free(msg);
}

void cli_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cli, CTR_LOG_ERROR, fmt, ap);
	va_end(ap);
}

void cli_warn(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cli, CTR_LOG_WARNING, fmt, ap);
	va_end(ap);
}

void cli_debug(struct cli *cli, const char *fmt, ...)
{
	if (!cli->debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(cli, CTR_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

int cli_check_preserved(struct cli *cli, int n)
{
	if (n <= 0 || cli->first_closed_fd < 0 || cli->first_closed_fd >= 3 + n)
		return 0;
	cli_error(cli, "--preserve-fds %d: fd %d is not open in the process that started " CLI_NAME
		  " (it passes the fds 3..%d it was started with): open them, or pass fewer",
		  n, cli->first_closed_fd, 2 + n);
	return 1;
}

void cli_error_ctr(struct cli *cli, ctr_error *err, const char *prefix)
{
	const char *m = ctr_error_message(err);
	if (!*m)
		m = "unknown error (the library reported none)";
	if (prefix)
		cli_error(cli, "%s: %s", prefix, m);
	else
		cli_error(cli, "%s", m);
	ctr_error_free(err);
}

int cli_usage_error(struct cli *cli, const char *what)
{
	cli_error(cli, "'%s' %s: see '" CLI_NAME " %s --help'", cli->cmd, what, cli->cmd);
	return 1;
}

/* Library log messages: where ours go (see emit). */
static void log_cb(void *userdata, ctr_log_level level, const char *msg)
{
	emit(userdata, level, msg);
}

ctr_context *cli_context(struct cli *cli)
{
	if (cli->ctx)
		return cli->ctx;
	ctr_context_options o;
	ctr_error *err = NULL;
	ctr_context_options_init(&o);
	o.state_root = cli->root;
	o.log_fn = log_cb;
	o.log_userdata = cli;
	o.log_level = cli->debug ? CTR_LOG_DEBUG : CTR_LOG_WARNING;
	if (ctr_context_new(&cli->ctx, &o, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		cli->ctx = NULL;
	}
	return cli->ctx;
}

/* ---------------------------------------------------------------- helpers */

char *cli_abspath(const char *path)
{
	char cwd[PATH_MAX];
	char *out = NULL;
	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return strdup(path); /* let the kernel resolve it relative to the cwd later */
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int cli_write_pid_file(struct cli *cli, const char *path, pid_t pid)
{
	char *abs = cli_abspath(path), *tmp = NULL;
	char num[32];
	int fd = -1, rc = -1;

	if (!abs)
		goto oom;
	/* A temporary file beside the target and rename(2): readers never see a partial pid. */
	char *slash = strrchr(abs, '/');
	if (asprintf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - abs), abs, slash + 1) < 0) {
		tmp = NULL;
		goto oom;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		cli_error(cli, "cannot write the pid file %s (--pid-file): %s", abs, strerror(errno));
		goto out;
	}
	int len = snprintf(num, sizeof(num), "%d", (int)pid);
	if (write(fd, num, (size_t)len) != len || fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		cli_error(cli, "cannot write the pid file %s (--pid-file): %s", abs, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, abs) < 0) {
		cli_error(cli, "cannot rename %s to the pid file %s (--pid-file): %s", tmp, abs, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	cli_error(cli, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(abs);
	return rc;
}

int cli_parse_signal(const char *s)
{
	char up[64];
	size_t i;

	if (!s || !*s)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;
		long v = strtol(s, &end, 10);
		return (*end || v < 0 || v > SIGRTMAX) ? -1 : (int)v; /* 0 probes, as kill(2) */
	}
	for (i = 0; s[i] && i < sizeof(up) - 1; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	up[i] = '\0';
	const char *n = up;
	if (!strncmp(n, "SIG", 3))
		n += 3;
	if (!strncmp(n, "RTMIN", 5) || !strncmp(n, "RTMAX", 5)) {
		bool min = n[4] == 'N';
		int off = 0;
		if (n[5]) {
			char *end;
			if ((min && n[5] != '+') || (!min && n[5] != '-'))
				return -1;
			off = (int)strtol(n + 6, &end, 10);
			if (*end || !n[6])
				return -1;
		}
		int v = min ? SIGRTMIN + off : SIGRTMAX - off;
		return (v < SIGRTMIN || v > SIGRTMAX) ? -1 : v;
	}
	for (int k = 1; k < 32; k++) {
		const char *abbrev = sigabbrev_np(k);
		if (abbrev && !strcmp(abbrev, n))
			return k;
	}
	if (!strcmp(n, "IOT"))
		return SIGABRT;
	if (!strcmp(n, "CLD"))
		return SIGCHLD;
	if (!strcmp(n, "POLL"))
		return SIGIO;
	return -1;
}

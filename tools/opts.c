/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Command-line parsing with the conventions runc's CLI library (urfave/cli on
 * Go's flag package) accepts: "--flag value", "--flag=value", the same with a
 * single dash ("-root /x"), short aliases ("-b dir"), bool flags with an
 * optional "=true|false", "--" to end the flags, and flags after positional
 * arguments for every command but exec (whose command line is the process's).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct opt *cli_opt_find(const struct opt *opts, const char *name)
{
	for (const struct opt *o = opts; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static struct opt *find_opt(struct opt *opts, const char *name, size_t len)
{
	for (struct opt *o = opts; o->name; o++) {
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
		if (len == 1 && o->short_name && o->short_name == name[0])
			return o;
	}
	return NULL;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int set_value(struct cli *cli, const struct cmd_desc *cmd, struct opt *o, const char *flag,
		     const char *val)
{
	switch (o->kind) {
	case OPT_BOOL: {
		bool b;
		if (parse_bool(val, &b) < 0) {
			cli_error(cli, "invalid value '%s' for flag '%s' of '%s': use true or false", val, flag,
				  cmd->name);
			return -1;
		}
		*(bool *)o->target = b;
		break;
	}
	case OPT_STRING:
		*(const char **)o->target = val;
		break;
	case OPT_INT: {
		char *end;
		errno = 0;
		long v = strtol(val, &end, 10);
		if (!*val || *end || errno || v < 0 || v > INT_MAX) {
			cli_error(cli, "invalid value '%s' for flag '%s' of '%s': expected a non-negative number",
				  val, flag, cmd->name);
			return -1;
		}
		*(int *)o->target = (int)v;
		break;
	}
	case OPT_STRV: {
		struct strv *sv = o->target;
		const char **nv = realloc(sv->v, (sv->n + 2) * sizeof(*nv));
		if (!nv) {
			cli_error(cli, "out of memory");
			return -1;
		}
		nv[sv->n++] = val;
		nv[sv->n] = NULL;
		sv->v = nv;
		break;
	}
	}
	o->is_set = true;
	return 0;
}

static int unknown_flag(struct cli *cli, const struct cmd_desc *cmd, const char *arg, size_t len)
{
	cli_error(cli, "unknown flag '%.*s' for '%s': see '" CLI_NAME " %s --help'", (int)len, arg, cmd->name,
		  cmd->name);
	return -1;
}

int cli_parse(struct cli *cli, const struct cmd_desc *cmd, struct opt *opts, int argc, char **argv,
	      char ***pos, int *npos)
{
	char **p = calloc((size_t)argc + 1, sizeof(*p));
	int n = 0;
	bool flags_done = false;

	cli->cmd = cmd->name; /* "image ls", not "image": messages name the exact subcommand */

	if (!p) {
		cli_error(cli, "out of memory");
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (flags_done || a[0] != '-' || a[1] == '\0') {
			p[n++] = argv[i];
			if (!cmd->flags_anywhere)
				flags_done = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			flags_done = true;
			continue;
		}
		const char *name = a + 1 + (a[1] == '-');
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		size_t flen = (size_t)(name - a) + nlen;

		if ((nlen == 4 && !strncmp(name, "help", 4)) || (nlen == 1 && name[0] == 'h')) {
			cli_print_cmd_help(stdout, cmd, opts);
			free(p);
			return 1;
		}
		struct opt *o = find_opt(opts, name, nlen);
		if (!o && a[1] != '-' && !eq && nlen > 1) {
			/* Grouped short flags, "-dt": every one a bool but perhaps the last. */
			size_t k;
			for (k = 0; k < nlen; k++) {
				struct opt *so = find_opt(opts, name + k, 1);
				if (!so || (so->kind != OPT_BOOL && k + 1 < nlen))
					break;
			}
			if (k < nlen)
				return free(p), unknown_flag(cli, cmd, a, flen);
			for (k = 0; k < nlen; k++) {
				struct opt *so = find_opt(opts, name + k, 1);
				char flag[3] = { '-', name[k], 0 };
				if (so->kind == OPT_BOOL) {
					if (set_value(cli, cmd, so, flag, "true") < 0)
						return free(p), -1;
				} else {
					if (i + 1 >= argc) {
						cli_error(cli, "flag '%s' of '%s' needs a value: see '" CLI_NAME
							  " %s --help'", flag, cmd->name, cmd->name);
						return free(p), -1;
					}
					if (set_value(cli, cmd, so, flag, argv[++i]) < 0)
						return free(p), -1;
				}
			}
			continue;
		}
		if (!o)
			return free(p), unknown_flag(cli, cmd, a, flen);

		char flag[256];
		snprintf(flag, sizeof(flag), "%.*s", (int)flen, a);
		if (o->kind == OPT_BOOL) {
			if (set_value(cli, cmd, o, flag, eq ? eq + 1 : "true") < 0)
				return free(p), -1;
			continue;
		}
		const char *val;
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc) {
				cli_error(cli, "flag '%s' of '%s' needs a value: see '" CLI_NAME " %s --help'", flag,
					  cmd->name, cmd->name);
				return free(p), -1;
			}
			val = argv[++i];
		}
		if (set_value(cli, cmd, o, flag, val) < 0)
			return free(p), -1;
	}
	*pos = p;
	*npos = n;
	return 0;
}

static void print_indented(FILE *f, const char *text)
{
	const char *s = text;
	bool first = true;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		fprintf(f, "%s%.*s\n", first ? "   " : "", (int)len, s);
		first = false;
		s += len + (nl ? 1 : 0);
	}
}

void cli_print_cmd_help(FILE *f, const struct cmd_desc *cmd, const struct opt *opts)
{
	fprintf(f, "NAME:\n   " CLI_NAME " %s - %s\n\nUSAGE:\n   " CLI_NAME " %s %s\n", cmd->name, cmd->summary,
		cmd->name, cmd->usage);
	if (cmd->description) {
		fputs("\nDESCRIPTION:\n", f);
		print_indented(f, cmd->description);
	}
	if (!opts || !opts->name)
		return;

	char cols[64][96];
	size_t width = strlen("--help, -h"), k = 0;
	for (const struct opt *o = opts; o->name && k < 64; o++, k++) {
		const char *v = o->kind == OPT_BOOL ? "" : " value";
		if (o->short_name)
			snprintf(cols[k], sizeof(cols[k]), "--%s%s, -%c%s", o->name, v, o->short_name, v);
		else
			snprintf(cols[k], sizeof(cols[k]), "--%s%s", o->name, v);
		if (strlen(cols[k]) > width)
			width = strlen(cols[k]);
	}
	fputs("\nOPTIONS:\n", f);
	k = 0;
	for (const struct opt *o = opts; o->name && k < 64; o++, k++) {
		fprintf(f, "   %-*s  %s", (int)width, cols[k], o->help);
		if (o->def)
			fprintf(f, " (default: %s)", o->def);
		fputc('\n', f);
	}
	fprintf(f, "   %-*s  %s\n", (int)width, "--help, -h", "show help");
}

/* docker's RAMInBytes: "512m", "1g", "4096", "1.5GiB"; -1 stays -1 */
int cli_parse_bytes(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno)
		return -1;
	if (v == -1 && !*end) {
		*out = -1;
		return 0;
	}
	while (*end == ' ')
		end++;
	double mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1024.0; end++; break;
	case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
	case 'p': case 'P': mul = 1024.0 * 1024 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v < 0)
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

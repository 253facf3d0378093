/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo: registries.  "image pull <ref>" and "image push <name> <ref>",
 * the registry flags they share with import, unpack and run/create --image
 * (--authfile, --creds, --cert-dir, --tls-verify, --registries-conf), the
 * transfer flags of import, unpack and pull, and the --pull policy of
 * run/create --image.  The transfer display is progress.c's.
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

int cli_xfer_apply(struct cli *cli, const struct xfer_args *a, ctr_image_options *o, enum progress_mode *mode)
{
	o->platform = a->platform;
	o->max_transfers = (unsigned)a->transfers;
	if (a->threads >= 0)
		o->writer_threads = a->threads ? a->threads : -1;
	return cli_progress_mode(cli, &a->pg, mode);
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
	enum progress_mode mode;
	ctr_error *err = NULL;
	char *stored = NULL;
	r = 1;
	if (!st)
		goto out;
	ctr_image_options_init(&o);
	cli_reg_apply(&ra, &o);
	if (cli_xfer_apply(cli, &xa, &o, &mode) < 0)
		goto out;
	cli_debug(cli, "pull %s into the store %s%s%s", pos[0], ctr_image_store_dir(st), npos > 1 ? " as " : "",
		  npos > 1 ? pos[1] : "");
	cli_progress_init(&pr, &o, mode);
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
	struct progress_args pg = PROGRESS_ARGS_INIT;
	const char *chunk = NULL;
	struct reg_args ra = REG_ARGS_INIT;
	struct opt opts[] = {
		{ "chunk-size", 0, OPT_STRING, &chunk, "upload blobs in PATCH requests of this size (e.g. 16M)",
		  "one PUT per blob", false },
		PROGRESS_OPTS(pg),
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
	enum progress_mode mode;
	ctr_error *err = NULL;
	r = 1;
	if (!st || cli_progress_mode(cli, &pg, &mode) < 0)
		goto out;
	ctr_image_options_init(&o);
	cli_reg_apply(&ra, &o);
	if (chunk && (parse_size(chunk, &o.chunk_size) < 0 || !o.chunk_size)) {
		r = cli_usage_error(cli, "--chunk-size: give a size such as 5242880, 512k or 16M");
		goto out;
	}
	cli_debug(cli, "push %s from the store %s to %s", pos[0], ctr_image_store_dir(st), pos[1]);
	cli_progress_init(&pr, &o, mode);
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
	cli_debug(cli, "pull %s into the store %s (--pull %s)", ref, ctr_image_store_dir(st), policy);
	cli_progress_init(&pr, &o, PROGRESS_AUTO); /* on a terminal only: the output is the container's */
	int r = ctr_image_pull(st, &stored, ref, NULL, &o, &err);
	cli_progress_end(&pr);
	if (r < 0) {
		cli_error_ctr(cli, err, "--image");
		return 1;
	}
	*name = stored;
	return 0;
}

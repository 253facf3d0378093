/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netdev-driver: ctr_net_devices_move (lib/net/netdev.c) from the command
 * line, for tests/net/netdev.sh before the create path calls it.  Acts from
 * the network namespace it runs in.
 *
 *   netdev-driver PID CONFIG.JSON [undo]
 *
 * Moves CONFIG's linux.netDevices into the network namespace of PID; with
 * "undo", moves them back right after (what a create that fails later does).
 * Warnings go to stderr prefixed "warning: "; on failure prints the error
 * and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr/ctr.h"
#include "net/net.h"
#include "spec/oci.h"

static void log_cb(void *ud, ctr_log_level level, const char *msg)
{
	fprintf(stderr, "%s%s\n", level == CTR_LOG_WARNING ? "warning: " : "", msg);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (argc == 4 && strcmp(argv[3], "undo")) || argc > 4) {
		fprintf(stderr, "usage: netdev-driver PID CONFIG.JSON [undo]\n");
		return 2;
	}
	ctr_context_options o;
	ctr_context_options_init(&o);
	o.log_fn = log_cb;
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	struct oci_config *cfg = NULL;
	struct ctr_netdevs *moved = NULL;
	ctr_error *err = NULL;
	int r = ctr_context_new(&ctx, &o, &err);
	if (r == 0)
		r = ctr_spec_load_file(&spec, argv[2], &err);
	if (r == 0)
		r = oci_config_from_spec(spec, &cfg, &err);
	if (r == 0)
		r = ctr_net_devices_move(ctx, cfg, (pid_t)atoi(argv[1]), &moved, &err);
	if (r == 0 && argc == 4)
		ctr_net_devices_undo(ctx, moved);
	if (r < 0)
		fprintf(stderr, "%s\n", ctr_error_message(err));
	ctr_net_devices_free(moved);
	oci_config_free(cfg);
	ctr_spec_free(spec);
	ctr_error_free(err);
	ctr_context_free(ctx);
	return r < 0 ? 1 : 0;
}

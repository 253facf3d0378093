/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/net/net.h: what the container lifecycle (lib/linux/container.c) calls. */
#ifndef CTR_LIB_NET_NET_H
#define CTR_LIB_NET_NET_H

#include <sys/types.h>

#include "internal.h"
#include "ctr/network.h"

/*
 * Before the config is typed: the network namespace of the mode (new, none
 * for host, the other container's), and for bridge/none the bind mounts of
 * /etc/hosts, /etc/hostname (and /etc/resolv.conf) from files in state_dir.
 */
int ctr_net_edit_spec(ctr_context *ctx, const ctr_net_request *req, ctr_spec *spec, const char *state_dir,
		      ctr_error **err);
/*
 * Before the container process exists, with the state dir made: record the
 * request (<state_dir>/network.json, so that delete undoes a crash from here
 * on), take the IPAM lease and write hosts, hostname, resolv.conf.
 */
int ctr_net_prepare(ctr_context *ctx, const ctr_net_request *req, const char *id, const char *state_dir,
		    const char *hostname, ctr_error **err);
/* Once the container process exists: loopback up, veth, addresses, routes, published ports. */
int ctr_net_setup(ctr_context *ctx, const ctr_net_request *req, const char *id, pid_t pid, ctr_error **err);
/* At delete or after a failed create: undo whatever <state_dir>/network.json records; never fails. */
void ctr_net_teardown(ctr_context *ctx, const char *state_dir, const char *id);

#endif

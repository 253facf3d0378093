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

/*
 * linux.netDevices (runtime-spec 1.3.0): move the config's host interfaces
 * into the network namespace of the container process pid, renamed as asked
 * (a "%d" template numbered), with their permanent addresses of global scope,
 * up.  Call it in create once the container process exists in its network
 * namespace and before the prestart hooks (which may expect the devices), in
 * the runtime's network namespace (the one the devices are in).  On failure
 * (an error naming the device: no such device, its name taken in the
 * container, no network namespace of its own) nothing is left moved.  *out
 * (NULL when the config has none) records what moved: a create that fails
 * later calls ctr_net_devices_undo (which moves them back) before it kills
 * the container process, and ctr_net_devices_free in any case.  A created
 * container keeps its devices: the kernel returns physical ones to the
 * initial namespace when the container's goes away (config-linux.md).
 */
struct oci_config;
struct ctr_netdevs;
int ctr_net_devices_move(const ctr_context *ctx, const struct oci_config *cfg, pid_t pid, struct ctr_netdevs **out,
			 ctr_error **err);
/* Move back what ctr_net_devices_move moved (a failed create); problems are warnings. NULL is allowed. */
void ctr_net_devices_undo(const ctr_context *ctx, struct ctr_netdevs *moved);
void ctr_net_devices_free(struct ctr_netdevs *moved);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/net.h: what the container lifecycle (lib/linux/container.c,
 * container-net.c) calls.  The network layer knows containers only by what
 * the lifecycle hands it (an id, a state dir, a pid or a network namespace
 * fd): it never loads a container (tests/unit/layering.sh checks).
 */
#ifndef CTR_LIB_NET_NET_H
#define CTR_LIB_NET_NET_H

#include <sys/types.h>

#include "internal.h"
#include "ctr/network.h"

/* The id of the container whose network namespace mode container:<id> joins; NULL for other modes. */
const char *ctr_net_request_container(const ctr_net_request *req);
/*
 * Before the config is typed: the network namespace of the mode (new, none
 * for host, join_netns for container:<id>, which the lifecycle resolved),
 * and for bridge/none the bind mounts of /etc/hosts, /etc/hostname (and
 * /etc/resolv.conf) from files in state_dir.
 */
int ctr_net_edit_spec(const ctr_net_request *req, ctr_spec *spec, const char *state_dir, const char *join_netns,
		      ctr_error **err);
/* The lease ctr_net_prepare took, handed to ctr_net_setup of the same create. */
struct ctr_net_taken;
/* Wait until the other containers' hosts files name the new one (ctr_net_prepare tells them on a thread of
 * its own, beside the rest of create), and tell its warnings; before undoing the attachment, and before
 * create returns (no thread of libctr outlives the call).  Again: nothing. */
void ctr_net_taken_settle(struct ctr_net_taken *t);
/* Settle and free. */
void ctr_net_taken_free(struct ctr_net_taken *t);
/*
 * Before the container process exists, with the state dir made: record the
 * request (<state_dir>/network.json, so that delete undoes a crash from here
 * on), take the IPAM lease and write hosts, hostname, resolv.conf.  *taken
 * (bridge networks; NULL for the other modes) is the lease, for ctr_net_setup:
 * it need not read every lease of the network again.
 */
int ctr_net_prepare(ctr_context *ctx, const ctr_net_request *req, const char *id, const char *state_dir,
		    const char *hostname, struct ctr_net_taken **taken, ctr_error **err);
/* Once the container process exists: loopback up, veth, addresses, routes, published ports (a bridge
 * network: from taken, the lease ctr_net_prepare took; EINVAL without it). */
int ctr_net_setup(ctr_context *ctx, const ctr_net_request *req, const char *id, pid_t pid,
		  const struct ctr_net_taken *taken, ctr_error **err);
/* At delete or after a failed create: undo whatever <state_dir>/network.json records; never fails. */
void ctr_net_teardown(ctr_context *ctx, const char *state_dir, const char *id);
/*
 * Attach a created or running container, known by id, state dir and its
 * network namespace, to n: the record <state_dir>/network.json first (so
 * delete undoes a crash), then lease, veth and ports; on failure nothing is
 * left.  -EEXIST when the container has a network already.
 */
int ctr_net_attach_state(ctr_network *n, const char *id, const char *state_dir, int netns_fd,
			 const ctr_net_options *opts, ctr_error **err);
/* Undo ctr_net_attach_state (or an attach at create) and remove the record; -ENOENT: not attached to n. */
int ctr_net_detach_state(ctr_network *n, const char *id, const char *state_dir, ctr_error **err);

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

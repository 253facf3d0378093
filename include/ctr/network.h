/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file ctr/network.h
 * Container networks: named bridge networks with IPv4/IPv6 subnets, address
 * management (IPAM), published ports, and the network a container gets at
 * create time.
 *
 * A network definition lives in a network directory (NULL selects
 * CTR_NETWORK_DIR_DEFAULT): `<dir>/<name>/network.json` and the leases in
 * `<dir>/<name>/leases.json`, changed under an flock so that several
 * processes and threads can attach at once.  Links and addresses are set over
 * rtnetlink, the firewall over nftables, both in the network namespace of the
 * calling thread: run the caller in the network namespace that should hold the
 * bridge.
 *
 * A network handle may be used from one thread at a time; several handles
 * (in one process or several) may attach and detach at the same time.
 * Attaching starts a short-lived thread to open a netlink socket inside the
 * target network namespace; detaching leaves a thread that waits for the
 * kernel to free the veth pair, joined by the next detach or by
 * ctr_network_free().
 */
#ifndef CTR_NETWORK_H
#define CTR_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where network definitions live when no directory is given. */
#define CTR_NETWORK_DIR_DEFAULT "/var/lib/ctr/networks"

/** A bridge network. */
typedef struct ctr_network ctr_network;

/** Options for ctr_network_create(); initialise with ctr_network_options_init(). */
typedef struct ctr_network_options {
	size_t size;                 /**< sizeof(ctr_network_options), set by the init function */
	const char *const *subnets;  /**< NULL-terminated CIDRs, at most one IPv4 and one IPv6; NULL or empty: 10.89.0.0/24 */
	const char *gateway;         /**< gateway of the IPv4 subnet; NULL: its first address */
	const char *gateway6;        /**< gateway of the IPv6 subnet; NULL: its first address */
	unsigned mtu;                /**< 0: 1500 */
	int internal;                /**< nonzero: no masquerade, no forwarding out of the network */
} ctr_network_options;

/**
 * Initialise network options to their defaults, for a struct of `size` bytes:
 * the caller's sizeof(ctr_network_options), which the library records in the
 * size field.  Fields beyond `size` (a caller built against older headers)
 * are never written; the library uses their defaults.  Call it through
 * ctr_network_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_network_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_network_options_init_sized(ctr_network_options *opts, size_t size);

/**
 * Initialise network options to their defaults:
 * ctr_network_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_network_options_init(ctr_network_options *opts)
{
	(void)ctr_network_options_init_sized(opts, sizeof(*opts));
}

/**
 * Create a network: its definition, its bridge (up, with a MAC address derived
 * from the name and the gateway addresses) and its firewall entries.  A subnet
 * that overlaps another network or a route of the host is refused.
 * On failure nothing is left behind.
 *
 * @param ctx     the context (logging)
 * @param net_dir the network directory, NULL: CTR_NETWORK_DIR_DEFAULT
 * @param out     receives the handle; may be NULL
 * @param name    [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 bytes
 * @param opts    options, or NULL for defaults
 * @param err     receives an error on failure; may be NULL
 * @return 0; -EEXIST (CTR_E_EXISTS) when it exists; -EADDRINUSE
 *         (CTR_E_EXISTS) when a subnet overlaps; -EINVAL for a bad name,
 *         subnet, gateway or MTU; -EPERM without CAP_NET_ADMIN; another errno
 *         of netlink or nftables (CTR_E_SYSTEM)
 */
int ctr_network_create(ctr_context *ctx, const char *net_dir, ctr_network **out, const char *name,
		       const ctr_network_options *opts, ctr_error **err);

/**
 * Open an existing network.
 *
 * @param ctx     the context (logging)
 * @param net_dir the network directory, NULL: CTR_NETWORK_DIR_DEFAULT
 * @param out     receives the handle; free it with ctr_network_free()
 * @param name    the network's name
 * @param err     receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such network;
 *         -EINVAL for a bad name or a damaged definition
 */
int ctr_network_open(ctr_context *ctx, const char *net_dir, ctr_network **out, const char *name, ctr_error **err);

/**
 * Delete a network: its bridge, firewall entries and definition.  Leases of
 * containers that no longer exist are reclaimed first.  The handle stays
 * valid until ctr_network_free().
 *
 * @param n   the network
 * @param err receives an error on failure; may be NULL
 * @return 0; -EBUSY (CTR_E_STATE) when containers or attachments still use
 *         it (the message names them)
 */
int ctr_network_delete(ctr_network *n, ctr_error **err);

/**
 * List the networks of a directory.
 *
 * @param ctx     the context
 * @param net_dir the network directory, NULL: CTR_NETWORK_DIR_DEFAULT
 * @param names   receives a NULL-terminated sorted array; free with ctr_strv_free()
 * @param err     receives an error on failure; may be NULL
 * @return 0 (an empty list when the directory does not exist) or the errno
 *         of reading it
 */
int ctr_network_list(ctr_context *ctx, const char *net_dir, char ***names, ctr_error **err);

/**
 * The network as JSON: name, bridge, mac, mtu, internal, subnets (subnet,
 * gateway) and the attached containers (id, addresses, aliases, ports).
 *
 * @param n   the network
 * @param out receives the JSON; free with ctr_free()
 * @param err receives an error on failure; may be NULL
 * @return 0; -EINVAL (CTR_E_PARSE) for damaged leases
 */
int ctr_network_inspect_json(ctr_network *n, char **out, ctr_error **err);

/**
 * Rebuild the firewall (the nftables table libctr owns) from every network of
 * net_dir and its leases, in one batch: after `nft flush ruleset` or a
 * firewall reload.
 *
 * @param ctx     the context
 * @param net_dir the network directory, NULL: CTR_NETWORK_DIR_DEFAULT
 * @param err     receives an error on failure; may be NULL
 * @return 0 or the errno of nftables (CTR_E_SYSTEM); -EPERM without
 *         CAP_NET_ADMIN
 */
int ctr_network_reload(ctr_context *ctx, const char *net_dir, ctr_error **err);

/**
 * The network's name.
 *
 * @param n the network
 * @return the name, owned by the handle
 */
const char *ctr_network_name(const ctr_network *n);

/**
 * The bridge interface's name.
 *
 * @param n the network
 * @return the name, owned by the handle
 */
const char *ctr_network_bridge(const ctr_network *n);

/**
 * Free a handle (the network itself is untouched).  Waits for the kernel
 * to finish freeing the veth pairs that detaches through this handle
 * removed (see ctr_network_detach_netns()) and joins the thread that waited
 * for it.
 *
 * @param n the handle; NULL is allowed
 */
void ctr_network_free(ctr_network *n);

/** Transport protocols of a published port. */
enum ctr_port_protocol {
	CTR_PORT_TCP = 6,  /**< IPPROTO_TCP */
	CTR_PORT_UDP = 17  /**< IPPROTO_UDP */
};

/** A published port, as ctr_port_mapping_parse() reads it. */
typedef struct ctr_port_mapping {
	size_t size;              /**< the caller's sizeof(ctr_port_mapping), set by the parser */
	char host_ip[46];         /**< "" for every host address, else an IPv4 or IPv6 address */
	uint16_t host_port;       /**< first host port */
	uint16_t host_port_end;   /**< last host port (== host_port for one port) */
	uint16_t container_port;  /**< first container port */
	uint16_t container_port_end; /**< last container port; the two ranges have the same length */
	int protocol;             /**< CTR_PORT_TCP or CTR_PORT_UDP */
} ctr_port_mapping;

/**
 * Parse a published port: `[hostip:]hostport[-end]:containerport[-end][/tcp|udp]`,
 * also `containerport[-end][/proto]` (the same host port) and `[v6addr]:hostport:...`.
 * Call it through ctr_port_mapping_parse(), which passes sizeof(*out).
 *
 * @param buf  the text (not necessarily NUL-terminated)
 * @param len  its length
 * @param out  receives the mapping: its first `size` bytes are written (the
 *             fields that fit), out->size is set to `size`
 * @param size sizeof(ctr_port_mapping) as the caller was compiled
 * @param err  receives an error on failure; may be NULL
 * @return 0, or -EINVAL with a message naming the part that is wrong (or
 *         saying that out is NULL or size smaller than the size field)
 */
int ctr_port_mapping_parse_sized(const char *buf, size_t len, ctr_port_mapping *out, size_t size, ctr_error **err);

/**
 * Parse a published port:
 * ctr_port_mapping_parse_sized(buf, len, out, sizeof(*out), err).
 *
 * @param buf the text (not necessarily NUL-terminated)
 * @param len its length
 * @param out receives the mapping
 * @param err receives an error on failure; may be NULL
 * @return 0, or -EINVAL with a message naming the part that is wrong
 */
static inline int ctr_port_mapping_parse(const char *buf, size_t len, ctr_port_mapping *out, ctr_error **err)
{
	return ctr_port_mapping_parse_sized(buf, len, out, sizeof(*out), err);
}

/** Options for attaching a container to a network; initialise with ctr_net_options_init(). */
typedef struct ctr_net_options {
	size_t size;                 /**< sizeof(ctr_net_options), set by the init function */
	const char *net_dir;         /**< network directory; NULL: CTR_NETWORK_DIR_DEFAULT */
	const char *ipv4;            /**< static IPv4 address; NULL: allocate */
	const char *ipv6;            /**< static IPv6 address; NULL: allocate */
	const char *const *aliases;  /**< NULL-terminated extra names in the network's /etc/hosts; may be NULL */
	const char *const *publish;  /**< NULL-terminated published ports (ctr_port_mapping_parse() syntax); may be NULL */
	const char *hostname;        /**< the container's host name in /etc/hosts and /etc/hostname; NULL: the spec's, else the id */
} ctr_net_options;

/**
 * Initialise attach options to their defaults, for a struct of `size` bytes:
 * the caller's sizeof(ctr_net_options), which the library records in the size
 * field.  Fields beyond `size` (a caller built against older headers) are
 * never written; the library uses their defaults.  Call it through
 * ctr_net_options_init(), which passes sizeof.
 *
 * @param opts the struct to fill
 * @param size its size: sizeof(ctr_net_options) as the caller was compiled
 * @return 0, or -EINVAL when opts is NULL or size is smaller than the size field
 */
int ctr_net_options_init_sized(ctr_net_options *opts, size_t size);

/**
 * Initialise attach options to their defaults:
 * ctr_net_options_init_sized(opts, sizeof(*opts)).
 *
 * @param opts the struct to fill
 */
static inline void ctr_net_options_init(ctr_net_options *opts)
{
	(void)ctr_net_options_init_sized(opts, sizeof(*opts));
}

/** The network a container gets at create (ctr_create_options.network). */
typedef struct ctr_net_request ctr_net_request;

/**
 * Make a network request for ctr_create_options.network.
 *
 * @param out  receives the request; free with ctr_net_request_free()
 * @param mode "none" (a new network namespace with loopback only), "host" (the
 *             runtime's network namespace), "container:ID" (join that
 *             container's), or the name of a bridge network
 * @param opts attach options (bridge networks), or NULL; copied
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EINVAL for a bad mode, address or port, or for addresses,
 *         aliases or ports with a mode that is not a bridge network; -E2BIG
 *         for options from newer headers that set unknown fields
 */
int ctr_net_request_new(ctr_net_request **out, const char *mode, const ctr_net_options *opts, ctr_error **err);

/**
 * Free a request.
 *
 * @param req the request; NULL is allowed
 */
void ctr_net_request_free(ctr_net_request *req);

/**
 * Attach a network namespace to a network without a container, as a CNI
 * plugin's ADD does: a veth pair whose peer is eth0 in the namespace, an
 * address from the network's IPAM, default routes, published ports.  The
 * lease is kept under id until ctr_network_detach_netns().  On failure
 * nothing is left behind.  A short-lived thread of the call enters the
 * namespace to open a netlink socket there (the calling thread's namespaces
 * never change).
 *
 * @param n        the network
 * @param id       a unique name for the attachment ([A-Za-z0-9][A-Za-z0-9_.-]*)
 * @param netns_fd an open network namespace (e.g. /run/netns/NAME or /proc/PID/ns/net)
 * @param opts     options (net_dir and hostname are ignored), or NULL
 * @param err      receives an error on failure; may be NULL
 * @return 0; -EEXIST (CTR_E_EXISTS) for an id attached already;
 *         -EADDRINUSE (CTR_E_EXISTS) for a static address or a host port in
 *         use; -ENOSPC when the subnet has no free address; -EINVAL for a bad id, address
 *         or port; another errno of netlink or nftables (CTR_E_SYSTEM)
 */
int ctr_network_attach_netns(ctr_network *n, const char *id, int netns_fd, const ctr_net_options *opts,
			     ctr_error **err);

/**
 * Undo ctr_network_attach_netns(): veth, published ports, lease.  Returns
 * once the kernel has unregistered the veth pair (neither end, nor its
 * addresses, routes or bridge port, is left); the kernel's final freeing of
 * it (an RCU barrier, ~15-20 ms) is waited for by a thread of the handle,
 * joined by a later detach or ctr_network_free().
 *
 * @param n   the network
 * @param id  the attachment's id
 * @param err receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when there is no such attachment
 */
int ctr_network_detach_netns(ctr_network *n, const char *id, ctr_error **err);

struct ctr_container;

/**
 * Attach a created or running container (one that got no bridge network at
 * create) to a network: as at create, but /etc/hosts etc. are not mounted
 * into it.  ctr_container_delete() detaches it.  On failure nothing is left
 * behind.
 *
 * @param n    the network
 * @param c    the container
 * @param opts options (net_dir is ignored), or NULL
 * @param err  receives an error on failure; may be NULL
 * @return 0; -EEXIST (CTR_E_EXISTS) when it has a bridge network already;
 *         -ESRCH (CTR_E_STATE) when it is not created or running; the errors
 *         of ctr_network_attach_netns()
 */
int ctr_network_attach_container(ctr_network *n, struct ctr_container *c, const ctr_net_options *opts,
				 ctr_error **err);

/**
 * Detach a container attached by ctr_network_attach_container() (or at
 * create).
 *
 * @param n   the network
 * @param c   the container
 * @param err receives an error on failure; may be NULL
 * @return 0; -ENOENT (CTR_E_NOT_FOUND) when it is not attached to this
 *         network or was deleted
 */
int ctr_network_detach_container(ctr_network *n, struct ctr_container *c, ctr_error **err);

#ifdef __cplusplus
}
#endif
#endif

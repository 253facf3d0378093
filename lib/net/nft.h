/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/nft.h: libctr's own nftables table (libnftnl over libmnl), one per
 * network namespace where it runs (the calls act on the caller's netns).
 *
 * Table "ctr" in family inet.  Its rules are static and only reference named
 * sets and maps; adding or removing a network or a container's published
 * ports changes set/map elements only, all of one call in one netlink batch
 * (all or nothing).
 *
 *   chain prerouting  (nat, dstnat)   fib daddr type local jump ports
 *   chain output      (nat, -100)     fib daddr type local jump ports
 *   chain ports                       dnat through @dnat4_addr, @dnat4_any, @dnat6_addr, @dnat6_any
 *   chain postrouting (nat, srcnat)   hairpin + localhost masquerade, outbound masquerade of @nets4/@nets6
 *   chain forward     (filter, 0)     internal bridges dropped, established/related, subnets, DNATed accepted
 *
 * Localhost access works for 127.0.0.1 (route_localnet on the bridge), not for
 * [::1]: IPv6 never routes the loopback address off the host.  Hairpin (a
 * container reaching its own published port through a host address) needs
 * hairpin mode on the container's bridge port when br_netfilter is active
 * (bridge-nf-call-iptables=1): the DNATed frame is then bridged back out of
 * the port it came in on.
 */
#ifndef CTR_NET_NFT_H
#define CTR_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr/error.h"

#define CTR_NFT_TABLE "ctr"
#define CTR_NFT_MAX_SUBNETS 4

struct ctr_nft_net {            /* a bridge network as the firewall sees it */
	const char *name;           /* network name */
	const char *bridge;         /* bridge interface name */
	bool internal;              /* no outbound NAT, no forwarding out */
	struct {
		int family;             /* AF_INET / AF_INET6 */
		unsigned char addr[16]; /* network byte order; 4 bytes used for AF_INET */
		unsigned prefix;
	} subnets[CTR_NFT_MAX_SUBNETS];
	size_t n_subnets;
};

struct ctr_nft_port {           /* one published port (ranges kept as ranges, expanded here) */
	int family;                 /* AF_INET / AF_INET6 */
	uint8_t proto;              /* IPPROTO_TCP / IPPROTO_UDP / IPPROTO_SCTP */
	unsigned char host_ip[16];  /* all-zero: any host address; 4 bytes used for AF_INET */
	uint16_t host_port, host_port_end;       /* range, end == start (or 0) for one port */
	unsigned char container_ip[16];
	uint16_t container_port;    /* host_port + i maps to container_port + i */
	const char *owner;          /* optional (container id): stored as the elements' comment and
	                               named in the EADDRINUSE message of a conflicting publication */
};

/* Create (idempotently) table "ctr" (inet) with its chains, sets and maps.
 * Clear error when nf_tables is missing ("modprobe nf_tables"). */
int ctr_nft_init(ctr_error **err);
/* Add/remove a network: its subnets join the masquerade/forward sets (not when
 * internal: its bridge joins the internal sets, whose traffic is not forwarded).
 * Element changes only; creates the table first when it is missing.  Also sets
 * net.ipv4.conf.<bridge>.route_localnet=1 (localhost access to published ports). */
int ctr_nft_network_add(const struct ctr_nft_net *n, ctr_error **err);
int ctr_nft_network_remove(const struct ctr_nft_net *n, ctr_error **err);
/* Add/remove published ports of one container: DNAT map elements (used from
 * prerouting for remote and from output for local/localhost clients; hairpin
 * masquerade is a static rule).  An element that exists with another target
 * -> -EADDRINUSE "port tcp/8080 is already published by ...".  All of a call's
 * elements go in one netlink batch (all or nothing).  Adding an identical
 * element again is not an error; remove deletes only the elements whose
 * target matches and ignores missing ones (so it cleans up after a crash). */
int ctr_nft_ports_add(const struct ctr_nft_port *p, size_t n, ctr_error **err);
int ctr_nft_ports_remove(const struct ctr_nft_port *p, size_t n, ctr_error **err);
/*
 * A netlink socket to nf_tables kept open for several calls (the _in
 * variants; the plain calls open and close their own).  Closing a socket
 * through which elements were deleted waits for the kernel to free them
 * (nf_tables flushes its destroy work: an RCU grace period, ~10 ms on a busy
 * host), so a caller with other slow work (deleting a veth also waits for
 * RCU) closes the session after it, and the two waits overlap.  One thread at
 * a time.
 */
struct ctr_nft;
int ctr_nft_open(struct ctr_nft **out, ctr_error **err);
void ctr_nft_close(struct ctr_nft *s); /* NULL is allowed */
int ctr_nft_ports_add_in(struct ctr_nft *s, const struct ctr_nft_port *p, size_t n, ctr_error **err);
int ctr_nft_ports_remove_in(struct ctr_nft *s, const struct ctr_nft_port *p, size_t n, ctr_error **err);
/* Rebuild the whole table from the given state (after a firewall reload /
 * nft flush ruleset), in one batch. */
int ctr_nft_rebuild(const struct ctr_nft_net *nets, size_t n_nets, const struct ctr_nft_port *ports,
		    size_t n_ports, ctr_error **err);
/* Delete the table (when the last network is removed); no error when it is absent. */
int ctr_nft_fini(ctr_error **err);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/net internals: rtnetlink (netlink.c), IPAM (ipam.c), names (names.c), networks (network.c). */
#ifndef CTR_LIB_NET_INTERNAL_H
#define CTR_LIB_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "ctr/network.h"

/* ---- addresses ---- */

struct ctr_ipnet {
	int family;              /* AF_INET / AF_INET6 */
	unsigned char addr[16];  /* network address (subnets) or host address */
	unsigned prefix;
};

/* Parse "a.b.c.d/n" or "x::/n" (buf, len); the host bits must be zero when strict. */
int ctr_ipnet_parse(const char *buf, size_t len, bool strict, struct ctr_ipnet *out, ctr_error **err);
/* Parse an address without prefix; family 0: either. */
int ctr_ip_parse(const char *buf, size_t len, int family, int *fam_out, unsigned char out[16]);
/* Text of an address (INET6_ADDRSTRLEN bytes at least). */
void ctr_ip_str(int family, const unsigned char *a, char *buf, size_t n);
/* a in net? */
bool ctr_ipnet_contains(const struct ctr_ipnet *net, const unsigned char *a);
/* Do the two prefixes share an address? */
bool ctr_ipnet_overlap(const struct ctr_ipnet *a, const struct ctr_ipnet *b);
size_t ctr_ip_len(int family);

/* ---- network definitions ---- */

#define CTR_NET_NAME_MAX 64

struct ctr_subnet {
	struct ctr_ipnet net;
	unsigned char gateway[16];
};

struct ctr_netdef {
	char *name;
	char *bridge;
	unsigned char mac[6];
	unsigned mtu;
	bool internal;
	size_t n_subnets;        /* at most one per family */
	struct ctr_subnet subnets[2];
	char *created;
};

void ctr_netdef_free(struct ctr_netdef *d);
int ctr_netdef_parse(const char *buf, size_t len, struct ctr_netdef *d, ctr_error **err);
int ctr_netdef_to_json(const struct ctr_netdef *d, char **out, ctr_error **err);
const struct ctr_subnet *ctr_netdef_subnet(const struct ctr_netdef *d, int family);

/* ---- IPAM (ipam.c) ---- */

struct ctr_lease {
	char *id;                /* container id (or attachment id) */
	char *state_dir;         /* the container's state dir; NULL: never reclaimed (netns attachments) */
	char *host_if;           /* host end of the veth pair */
	char *hostname;
	char **aliases;          /* NULL-terminated, may be NULL */
	bool has_v4, has_v6;
	unsigned char ipv4[16], ipv6[16];
	ctr_port_mapping *ports;
	size_t n_ports;
};

struct ctr_leases {
	struct ctr_lease *v;
	size_t n;
	unsigned char last4[16], last6[16]; /* round robin: the search starts after the last allocated */
	bool has_last4, has_last6;
};

void ctr_lease_clear(struct ctr_lease *l);
void ctr_leases_free(struct ctr_leases *ls);
int ctr_leases_parse(const char *buf, size_t len, struct ctr_leases *out, ctr_error **err);
int ctr_leases_to_json(const struct ctr_leases *ls, char **out, size_t *len, ctr_error **err);

/* flock(LOCK_EX) on a fresh O_CLOEXEC fd of path (created); release by closing *fd. */
int ctr_net_lock_path(const char *path, int *fd, ctr_error **err);
/* Read a file (at most 64 MiB): -ENOENT without an error when it is missing. */
int ctr_net_read(const char *path, char **buf, size_t *len, ctr_error **err);
/* A held per-network lock (flock on <dir>/lock, one fd per operation). */
int ctr_ipam_lock(const char *netdir, int *fd, ctr_error **err);
void ctr_ipam_unlock(int fd);
int ctr_ipam_load(const char *netdir, struct ctr_leases *ls, ctr_error **err);
int ctr_ipam_save(const char *netdir, const struct ctr_leases *ls, ctr_error **err);

/*
 * Remove the leases whose container state dir is gone (its container no longer
 * exists); move them to *gone (may be NULL: freed).
 */
void ctr_ipam_reclaim(struct ctr_leases *ls, struct ctr_leases *gone);

/*
 * Allocate the addresses of req (static ones checked, the others picked round
 * robin) and append it to ls (which takes req's fields).  -EADDRINUSE when a
 * static address is taken, -ENOSPC when the subnet is full.  Call with the lock.
 */
int ctr_ipam_assign(const struct ctr_netdef *d, struct ctr_leases *ls, struct ctr_lease *req, bool want_v4,
		    bool want_v6, ctr_error **err);

/*
 * ctr_leases_parse's reader of the canonical layout (what ctr_leases_to_json
 * writes; no json-c): 1 when it read buf into out, 0 when buf is anything
 * else (out holds a partial read: ctr_leases_free it), -ENOMEM.
 */
int ctr_leases_parse_canonical(const char *buf, size_t len, struct ctr_leases *out);

/* Index of the lease of id, -1 when none. */
ssize_t ctr_leases_find(const struct ctr_leases *ls, const char *id);

/* ---- rtnetlink (netlink.c) ---- */

struct ctr_nl;  /* a NETLINK_ROUTE socket bound in one network namespace */

/* Open in the calling thread's namespace (nsfd < 0) or in nsfd's (through a short-lived thread). */
int ctr_nl_open(int nsfd, struct ctr_nl **out, ctr_error **err);
void ctr_nl_close(struct ctr_nl *nl);

/*
 * A request on nl's buffer (NLM_F_REQUEST | flags, the next sequence number),
 * and its exchange: send, then the ACK, or cb over every message of a dump.
 * 0 or -errno (the kernel's answer).  For the request builders of lib/net.
 */
struct nlmsghdr;
struct nlmsghdr *ctr_nl_msg(struct ctr_nl *nl, int type, int flags);
int ctr_nl_talk(struct ctr_nl *nl, struct nlmsghdr *nlh, int (*cb)(const struct nlmsghdr *, void *), void *data);

/* A link by name (index 0) or by index (name NULL): 0 with q->index 0 when there is none, or -errno. */
struct ctr_nl_link {
	unsigned index;
	unsigned flags;          /* IFF_* */
};
int ctr_nl_link_query(struct ctr_nl *nl, const char *name, unsigned index, struct ctr_nl_link *q);

/* ifindex of a link, 0 when there is none. */
int ctr_nl_ifindex(struct ctr_nl *nl, const char *name, unsigned *index, ctr_error **err);
/* Create the bridge if it is missing (*created says so), with mac, mtu, up. */
int ctr_nl_bridge_ensure(struct ctr_nl *nl, const char *name, const unsigned char mac[6], unsigned mtu,
			 unsigned *index, bool *created, ctr_error **err);
/* Add an address (IFA_F_NODAD for IPv6); an existing one is kept. */
int ctr_nl_addr_add(struct ctr_nl *nl, unsigned index, int family, const unsigned char *addr, unsigned prefix,
		    ctr_error **err);
/* Delete a link by name; a missing one is not an error. */
int ctr_nl_link_del(struct ctr_nl *nl, const char *name, ctr_error **err);
/*
 * Delete a link by name (a missing one is not an error) and return once the
 * kernel unregistered it (it is gone from every view: name, bridge port,
 * addresses, routes); the kernel's final freeing (an rcu_barrier, ~15-20 ms)
 * goes on in a thread put on *list, which then runs after(arg) (after may be
 * NULL; it runs exactly once, also on failure).  Join with ctr_nl_del_reap.
 */
struct ctr_nl_del;
int ctr_nl_link_del_start(const char *name, void (*after)(void *), void *arg, struct ctr_nl_del **list,
			  ctr_error **err);
/* Join and free the finished deletions of *list (all of them, waiting, when wait). */
void ctr_nl_del_reap(struct ctr_nl_del **list, bool wait);
/* Move the deletions of the list from onto *to. */
void ctr_nl_del_splice(struct ctr_nl_del **to, struct ctr_nl_del *from);
/* Set a link up (and its MTU when mtu > 0). */
int ctr_nl_link_up(struct ctr_nl *nl, unsigned index, unsigned mtu, ctr_error **err);
/* No IPv6 link-local address on a link (by index, or by name when index is 0); call it before the link
 * has a carrier.  A kernel without IPv6 is not an error. */
int ctr_nl_link_no_ll6(struct ctr_nl *nl, unsigned index, const char *name, ctr_error **err);
/* A veth pair: host end `host_if` (master `master`, up, mtu, no IPv6 link-local address), peer `peer` born
 * in nsfd's namespace. */
int ctr_nl_veth_add(struct ctr_nl *nl, const char *host_if, unsigned master, unsigned mtu, const char *peer,
		    int nsfd, ctr_error **err);
/* Hairpin mode on a bridge port (published ports reached from their own container). */
int ctr_nl_port_hairpin(struct ctr_nl *nl, unsigned index, ctr_error **err);
/* A default route via gw on the link. */
int ctr_nl_default_route(struct ctr_nl *nl, unsigned index, int family, const unsigned char *gw, ctr_error **err);
/* The first route of the main table that overlaps net (not a default route); ENOENT: none. */
int ctr_nl_route_overlap(struct ctr_nl *nl, const struct ctr_ipnet *net, struct ctr_ipnet *route, char *dev,
			 size_t devlen, ctr_error **err);
/* Write the sysctl /proc/sys/<key> ("net/ipv4/ip_forward") through the checked procfs (linux/procfs.h),
 * in the caller's network namespace for net/; nothing when it has the value already. */
int ctr_net_sysctl(const char *key, const char *value, ctr_error **err);

/* ---- names (names.c) ---- */

/* /etc/hosts text for lease `self` (may be NULL: localhost only) and the other leases of its network. */
int ctr_names_hosts(const struct ctr_netdef *d, const struct ctr_leases *ls, const struct ctr_lease *self,
		    const char *hostname, char **out, size_t *len, ctr_error **err);
/* /etc/resolv.conf from the host's (buf, len) without 127.x / ::1 nameservers; fallbacks when none is left. */
int ctr_names_resolv(const char *host, size_t len, bool want_v6, char **out, size_t *outlen, ctr_error **err);
/* Append the lines of `joined` (one of ls) to <state_dir>/hosts of every other holder that has one; the
 * caller holds the IPAM lock of the network directory dir. */
void ctr_names_announce(const ctr_context *ctx, const char *dir, const struct ctr_netdef *d,
			const struct ctr_leases *ls, const struct ctr_lease *joined);
/* The same as a job that needs nothing of its arguments once made (NULL: out of memory), run on any thread
 * (ctr_names_announce_run; take_lock: it takes dir's IPAM lock itself, for a job run after the caller let
 * it go), then finished by the thread that may call ctx's log callback (its warnings told, the job freed). */
struct ctr_announce;
struct ctr_announce *ctr_names_announce_job(const char *dir, const struct ctr_netdef *d, const struct ctr_leases *ls,
					   const struct ctr_lease *joined);
void ctr_names_announce_run(struct ctr_announce *a, bool take_lock);
void ctr_names_announce_finish(const ctr_context *ctx, struct ctr_announce *a);
void ctr_names_announce_free(struct ctr_announce *a);
/* Remove the lines of `gone` (no longer in ls) from <state_dir>/hosts of every holder that has one. */
void ctr_names_withdraw(const ctr_context *ctx, const struct ctr_netdef *d, const struct ctr_leases *ls,
			const struct ctr_lease *gone);
/* Write a file of the state dir in place (it may be bind-mounted: keep the inode). */
int ctr_names_write(const char *dir, const char *name, const char *buf, size_t len, ctr_error **err);

#endif

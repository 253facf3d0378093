/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink over libmnl: bridges, veth pairs, addresses, routes; no `ip`
 * binary.  A socket belongs to the network namespace it was created in, so
 * to talk to a container's namespace we create the socket in a short-lived
 * thread that setns()'d into it (setns on a thread changes only that thread;
 * the caller's namespaces stay untouched).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "linux/procfs.h"
#include "net/net-internal.h"
#include "net/mnl-dl.h"

struct ctr_nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[16384];
};

struct open_arg {
	int nsfd;
	struct mnl_socket *sock;
	int err;
	const char *step;
};

static void *open_in_ns(void *p)
{
	struct open_arg *a = p;
	if (a->nsfd >= 0 && setns(a->nsfd, CLONE_NEWNET) < 0) {
		a->err = errno;
		a->step = "setns";
		return NULL;
	}
	a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!a->sock) {
		a->err = errno;
		a->step = "socket";
	}
	return NULL;
}

/* libmnl, opened on first use (net/mnl-dl.h) */
#define CTR_MNL_DEF(f) __typeof__(f##_dl) f##_dl;
CTR_MNL_FUNCS(CTR_MNL_DEF)
#undef CTR_MNL_DEF
static pthread_once_t mnl_once = PTHREAD_ONCE_INIT;
static bool mnl_ok;
static char mnl_why[256];

static void mnl_load(void)
{
#define CTR_MNL_NAME(f) #f,
	static const char *const names[] = {CTR_MNL_FUNCS(CTR_MNL_NAME)};
#undef CTR_MNL_NAME
	void *f[CTR_ARRAY_SIZE(names)];
	if (ctr_dl_open(CTR_MNL_SONAME, names, f, CTR_ARRAY_SIZE(names), mnl_why, sizeof(mnl_why)) < 0)
		return;
	size_t i = 0;
#define CTR_MNL_SET(fn) memcpy(&fn##_dl, &f[i++], sizeof(void *));
	CTR_MNL_FUNCS(CTR_MNL_SET)
#undef CTR_MNL_SET
	mnl_ok = true;
}

int ctr_mnl_need(ctr_error **err)
{
	pthread_once(&mnl_once, mnl_load);
	if (mnl_ok)
		return 0;
	return ctr_err(err, ELIBACC, CTR_E_UNSUPPORTED,
		       "networks (netlink): cannot load libmnl: %s (install it: apt-get install libmnl0)", mnl_why);
}

int ctr_nl_open(int nsfd, struct ctr_nl **out, ctr_error **err)
{
	int r = ctr_mnl_need(err);
	if (r < 0)
		return r;
	struct ctr_nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return ctr_err_nomem(err);
	struct open_arg a = {nsfd, NULL, 0, NULL};
	if (nsfd >= 0) {
		/* no signal of the host process is ever handled on this thread */
		pthread_t t;
		pthread_attr_t attr;
		sigset_t all;
		sigfillset(&all);
		int e = pthread_attr_init(&attr);
		if (e == 0) {
			e = pthread_attr_setsigmask_np(&attr, &all);
			if (e == 0)
				e = pthread_create(&t, &attr, open_in_ns, &a);
			pthread_attr_destroy(&attr);
		}
		if (e) {
			free(nl);
			return ctr_err_sys(err, e, "netlink: start a thread to enter the network namespace");
		}
		pthread_join(t, NULL);
	} else
		open_in_ns(&a);
	if (!a.sock) {
		free(nl);
		return ctr_err_sys(err, a.err, "netlink: %s%s", a.step,
				   nsfd >= 0 ? " (in the container's network namespace)" : "");
	}
	nl->sock = a.sock;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		free(nl);
		return ctr_err_sys(err, e, "netlink: bind");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	*out = nl;
	return 0;
}

void ctr_nl_close(struct ctr_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

static struct nlmsghdr *nl_msg(struct ctr_nl *nl, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send and wait for the ACK (or run cb over a dump). Returns 0 or -errno. */
static int nl_talk(struct ctr_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq;
	/* NLM_F_DUMP shares bits with NLM_F_EXCL/NLM_F_CREATE: a dump is a GET with both bits */
	bool dump = (nlh->nlmsg_type == RTM_GETROUTE || nlh->nlmsg_type == RTM_GETLINK ||
		     nlh->nlmsg_type == RTM_GETADDR) && (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		int r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

struct nlmsghdr *ctr_nl_msg(struct ctr_nl *nl, int type, int flags)
{
	return nl_msg(nl, type, flags);
}

int ctr_nl_talk(struct ctr_nl *nl, struct nlmsghdr *nlh, int (*cb)(const struct nlmsghdr *, void *), void *data)
{
	return nl_talk(nl, nlh, cb, data);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctr_nl_link *q = data;
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	q->index = (unsigned)ifm->ifi_index;
	q->flags = ifm->ifi_flags;
	return MNL_CB_OK;
}

int ctr_nl_link_query(struct ctr_nl *nl, const char *name, unsigned index, struct ctr_nl_link *q)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* only what we use: no statistics (IFLA_EXT_MASK 0) */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
	q->index = 0;
	q->flags = 0;
	int r = nl_talk(nl, nlh, link_cb, q);
	return r == -ENODEV ? 0 : r;
}

static int link_get(struct ctr_nl *nl, const char *name, unsigned *index, unsigned *flags, ctr_error **err)
{
	struct ctr_nl_link q;
	int r = ctr_nl_link_query(nl, name, 0, &q);
	if (r < 0)
		return ctr_err_sys(err, -r, "netlink: look up link %s", name);
	*index = q.index;
	if (flags)
		*flags = q.flags;
	return 0;
}

int ctr_nl_ifindex(struct ctr_nl *nl, const char *name, unsigned *index, ctr_error **err)
{
	return link_get(nl, name, index, NULL, err);
}

static int missing_module(ctr_error **err, int e, const char *kind, const char *name)
{
	if (e == EOPNOTSUPP || e == EAFNOSUPPORT || e == ENOENT)
		return ctr_err(err, EOPNOTSUPP, CTR_E_UNSUPPORTED,
			       "create %s link %s: the kernel has no %s support: load it with `modprobe %s`", kind,
			       name, kind, kind);
	return ctr_err_sys(err, e, "netlink: create %s link %s", kind, name);
}

int ctr_nl_bridge_ensure(struct ctr_nl *nl, const char *name, const unsigned char mac[6], unsigned mtu,
			 unsigned *index, bool *created, ctr_error **err)
{
	int r;
	unsigned flags = 0;
	*created = false;
	if ((r = link_get(nl, name, index, &flags, err)) < 0)
		return r;
	if (*index && (flags & IFF_UP))
		return 0;
	if (*index == 0) {
		struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
		if (mtu)
			mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
		mnl_attr_nest_end(nlh, li);
		r = nl_talk(nl, nlh, NULL, NULL);
		if (r < 0 && r != -EEXIST)
			return missing_module(err, -r, "bridge", name);
		*created = r == 0;
		if ((r = ctr_nl_ifindex(nl, name, index, err)) < 0)
			return r;
		if (*index == 0)
			return ctr_err(err, ENODEV, CTR_E_SYSTEM, "bridge %s vanished right after its creation", name);
	}
	return ctr_nl_link_up(nl, *index, 0, err);
}

int ctr_nl_link_up(struct ctr_nl *nl, unsigned index, unsigned mtu, ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return ctr_err_sys(err, -r, "netlink: set link %u up", index);
	return 0;
}

int ctr_nl_addr_add(struct ctr_nl *nl, unsigned index, int family, const unsigned char *addr, unsigned prefix,
		    ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	size_t alen = ctr_ip_len(family);
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (family == AF_INET6) {
		/* no duplicate address detection: IPAM owns the subnet, and DAD would keep the
		 * address tentative (unusable) for a second after create */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	} else {
		unsigned char bcast[4];
		memcpy(bcast, addr, 4);
		uint32_t m = prefix ? htonl(~0u << (32 - prefix)) : 0, a;
		memcpy(&a, bcast, 4);
		a |= ~m;
		if (prefix < 31)
			mnl_attr_put(nlh, IFA_BROADCAST, 4, &a);
	}
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0 && r != -EEXIST) {
		char s[64];
		ctr_ip_str(family, addr, s, sizeof(s));
		return ctr_err_sys(err, -r, "netlink: add address %s/%u to link %u", s, prefix, index);
	}
	return 0;
}

static int link_del_req(struct ctr_nl *nl, const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	int r = nl_talk(nl, nlh, NULL, NULL);
	return r == -ENODEV ? 0 : r;
}

int ctr_nl_link_del(struct ctr_nl *nl, const char *name, ctr_error **err)
{
	int r = link_del_req(nl, name);
	return r < 0 ? ctr_err_sys(err, -r, "netlink: delete link %s", name) : 0;
}

/*
 * No IPv6 link-local address on the link (addrgenmode none), set while it has
 * no carrier, before addrconf makes one.  A link-local address brings
 * duplicate address detection, MLD reports and router solicitations, all
 * multicast, which a bridge without a querier floods to every port: each
 * join cost every container on the network a packet to process, and the
 * addrconf and MLD workers held RTNL while the next join waited for it (at
 * 400 containers on one network a tenth of a create's CPU was spent spinning
 * on that mutex).  The attribute is refused at creation (the kernel checks
 * it against the device's IPv6 state, which does not exist yet), hence a
 * message of its own.  A kernel without IPv6 has nothing to turn off.
 */
int ctr_nl_link_no_ll6(struct ctr_nl *nl, unsigned index, const char *name, ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	if (!index)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0 && r != -EAFNOSUPPORT) {
		if (index)
			return ctr_err_sys(err, -r, "netlink: addrgenmode none on link %u", index);
		return ctr_err_sys(err, -r, "netlink: addrgenmode none on link %s", name);
	}
	return 0;
}

int ctr_nl_veth_add(struct ctr_nl *nl, const char *host_if, unsigned master, unsigned mtu, const char *peer,
		    int nsfd, ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_if);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pi = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's own ifinfomsg, then its attributes: born in the container's namespace */
	struct ifinfomsg *pifm = mnl_nlmsg_get_payload_tail(nlh);
	memset(pifm, 0, sizeof(*pifm));
	pifm->ifi_family = AF_UNSPEC;
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifm));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(nlh, pi);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r == -EEXIST)
		return ctr_err(err, EEXIST, CTR_E_EXISTS,
			       "create veth %s (peer %s): a link with one of these names exists already (delete the "
			       "stale one, or the container has a network already)", host_if, peer);
	if (r < 0)
		return missing_module(err, -r, "veth", host_if);
	/* a bridge port needs no address of its own; the peer is still down, so no carrier yet */
	return ctr_nl_link_no_ll6(nl, 0, host_if, err);
}

int ctr_nl_port_hairpin(struct ctr_nl *nl, unsigned index, ctr_error **err)
{
	/* as `ip link set X type bridge_slave hairpin on`: a DNATed frame may leave by the port it came in */
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	struct nlattr *sd = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(nlh, sd);
	mnl_attr_nest_end(nlh, li);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return ctr_err_sys(err, -r, "netlink: set hairpin mode on bridge port %u", index);
	return 0;
}

int ctr_nl_default_route(struct ctr_nl *nl, unsigned index, int family, const unsigned char *gw, ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, ctr_ip_len(family), gw);
	mnl_attr_put_u32(nlh, RTA_OIF, index);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r < 0 && r != -EEXIST) {
		char s[64];
		ctr_ip_str(family, gw, s, sizeof(s));
		return ctr_err_sys(err, -r, "netlink: add default route via %s", s);
	}
	return 0;
}

struct route_q {
	const struct ctr_ipnet *want;
	bool found;
	struct ctr_ipnet route;
	unsigned oif;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_q *q = data;
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (q->found || rtm->rtm_family != q->want->family || rtm->rtm_dst_len == 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	struct ctr_ipnet rt = {rtm->rtm_family, {0}, rtm->rtm_dst_len};
	unsigned table = rtm->rtm_table, oif = 0;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == ctr_ip_len(rt.family))
				memcpy(rt.addr, mnl_attr_get_payload(a), ctr_ip_len(rt.family));
			break;
		case RTA_TABLE:
			table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			oif = mnl_attr_get_u32(a);
			break;
		}
	}
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	/* the kernel's own link-local and multicast routes are not host networks */
	if (rt.family == AF_INET6 && rt.addr[0] == 0xfe && (rt.addr[1] & 0xc0) == 0x80)
		return MNL_CB_OK;
	if (ctr_ipnet_overlap(&rt, q->want)) {
		q->found = true;
		q->route = rt;
		q->oif = oif;
	}
	return MNL_CB_OK;
}

int ctr_nl_route_overlap(struct ctr_nl *nl, const struct ctr_ipnet *net, struct ctr_ipnet *route, char *dev,
			 size_t devlen, ctr_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)net->family;
	struct route_q q = {net, false, {0}, 0};
	int r = nl_talk(nl, nlh, route_cb, &q);
	if (r < 0)
		return ctr_err_sys(err, -r, "netlink: dump the routes");
	if (!q.found)
		return -ENOENT;
	*route = q.route;
	char name[IF_NAMESIZE] = "?";
	if (q.oif && !if_indextoname(q.oif, name))
		snprintf(name, sizeof(name), "#%u", q.oif);
	snprintf(dev, devlen, "%s", name);
	return 0;
}

int ctr_net_sysctl(const char *key, const char *value, ctr_error **err)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "sys/%s", key);
	/* through the checked procfs: a file mounted over the sysctl is refused, never written */
	int root = ctr_procfs_root();
	int fd = root < 0 ? root : ctr_procfs_open(root, rel, O_RDWR);
	if (root >= 0)
		close(root);
	if (fd == -EXDEV)
		return ctr_err(err, EXDEV, CTR_E_SYSTEM, "sysctl /proc/%s: %s", rel, CTR_PROCFS_EXDEV_HINT);
	if (fd < 0)
		return ctr_err_sys(err, -fd, "sysctl /proc/%s: open", rel);
	char cur[32];
	ssize_t n = read(fd, cur, sizeof(cur) - 1);
	size_t vl = strlen(value);
	if (n > 0 && (size_t)n >= vl && !memcmp(cur, value, vl) && (cur[vl] == '\n' || (size_t)n == vl)) {
		close(fd);
		return 0;
	}
	ssize_t w = pwrite(fd, value, vl, 0);
	int e = errno;
	close(fd);
	if (w != (ssize_t)vl)
		return ctr_err_sys(err, w < 0 ? e : EIO, "sysctl /proc/%s: write %s", rel, value);
	return 0;
}

/*
 * Deleting a veth pair: the kernel unlists both ends, detaches the bridge port
 * and drops their addresses and routes under RTNL within a few hundred
 * microseconds and says so with an RTM_DELLINK notification, but the
 * RTM_DELLINK request itself returns only after netdev_run_todo() waited for
 * an rcu_barrier() and the last references (~15-20 ms on a 250 Hz lazy-RCU
 * kernel), work no caller can observe.  So a helper thread sends the request
 * and waits for that end, and the caller returns as soon as the notification
 * of the link's unregistration arrived (or the thread finished first, with
 * its result).  The thread also runs `after` (closing the nf_tables session,
 * whose close waits for RCU as well).  The caller joins it later
 * (ctr_nl_del_reap).
 */
struct ctr_nl_del {
	struct ctr_nl_del *next;
	pthread_t thread;
	struct ctr_nl *nl;
	char name[IF_NAMESIZE];
	int efd;                 /* eventfd: written when the thread is done */
	int result;              /* the request's result (0, -errno), set before efd is written */
	void (*after)(void *);
	void *arg;
};

static void *link_del_thread(void *p)
{
	struct ctr_nl_del *d = p;
	__atomic_store_n(&d->result, link_del_req(d->nl, d->name), __ATOMIC_RELEASE);
	if (d->after)
		d->after(d->arg);
	d->after = NULL;
	uint64_t one = 1;
	while (write(d->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

struct unreg_q {
	const char *name;
	bool gone;
};

static int unreg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct unreg_q *q = data;
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	/* the bridge also sends an AF_BRIDGE RTM_DELLINK for the port: wait for the link's own */
	if (nlh->nlmsg_type != RTM_DELLINK || ifm->ifi_family != AF_UNSPEC)
		return MNL_CB_OK;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifm)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING) &&
		    !strcmp(mnl_attr_get_str(a), q->name))
			q->gone = true;
	}
	return MNL_CB_OK;
}

static void del_free(struct ctr_nl_del *d)
{
	if (d->after)
		d->after(d->arg);
	ctr_nl_close(d->nl);
	if (d->efd >= 0)
		close(d->efd);
	free(d);
}

int ctr_nl_link_del_start(const char *name, void (*after)(void *), void *arg, struct ctr_nl_del **list,
			  ctr_error **err)
{
	int r;
	struct mnl_socket *mon = NULL;
	struct ctr_nl_del *d = calloc(1, sizeof(*d));
	if (!d) {
		if (after)
			after(arg);
		return ctr_err_nomem(err);
	}
	d->efd = -1;
	d->after = after;
	d->arg = arg;
	snprintf(d->name, sizeof(d->name), "%s", name);
	if ((r = ctr_nl_open(-1, &d->nl, err)) < 0)
		goto fail;
	/* subscribed before the request is sent: the notification cannot be missed */
	mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	d->efd = eventfd(0, EFD_CLOEXEC);
	/* a small stack, and no signal of the host process is ever handled on this thread */
	pthread_attr_t attr;
	sigset_t all;
	sigfillset(&all);
	bool sync = !mon || d->efd < 0 || mnl_socket_bind(mon, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0 ||
		    pthread_attr_init(&attr) != 0;
	if (!sync) {
		sync = pthread_attr_setstacksize(&attr, 256 * 1024) != 0 || pthread_attr_setsigmask_np(&attr, &all) != 0 ||
		       pthread_create(&d->thread, &attr, link_del_thread, d) != 0;
		pthread_attr_destroy(&attr);
	}
	if (sync) {
		/* no thread or no monitor (fds or threads exhausted): delete and wait here */
		if (mon)
			mnl_socket_close(mon);
		r = link_del_req(d->nl, d->name);
		del_free(d);
		return r < 0 ? ctr_err_sys(err, -r, "netlink: delete link %s", name) : 0;
	}
	struct unreg_q q = {d->name, false};
	struct pollfd pf[2] = {{mnl_socket_get_fd(mon), POLLIN, 0}, {d->efd, POLLIN, 0}};
	bool done = false;
	while (!q.gone && !done) {
		if (poll(pf, 2, -1) < 0) {
			if (errno != EINTR)
				done = true; /* join the thread: it waits for the end */
			continue;
		}
		if (pf[1].revents)
			done = true;
		if (pf[0].fd >= 0 && pf[0].revents) {
			char buf[8192];
			ssize_t n;
			while ((n = recv(pf[0].fd, buf, sizeof(buf), 0)) > 0)
				(void)mnl_cb_run(buf, (size_t)n, 0, 0, unreg_cb, &q);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				pf[0].fd = -1; /* ENOBUFS (a storm of link events): wait for the thread */
		}
	}
	mnl_socket_close(mon);
	if (done) {
		pthread_join(d->thread, NULL);
		r = __atomic_load_n(&d->result, __ATOMIC_ACQUIRE);
		del_free(d);
		return r < 0 ? ctr_err_sys(err, -r, "netlink: delete link %s", name) : 0;
	}
	d->next = *list;
	*list = d;
	return 0;
fail:
	del_free(d);
	return r;
}

void ctr_nl_del_splice(struct ctr_nl_del **to, struct ctr_nl_del *from)
{
	while (from) {
		struct ctr_nl_del *next = from->next;
		from->next = *to;
		*to = from;
		from = next;
	}
}

void ctr_nl_del_reap(struct ctr_nl_del **list, bool wait)
{
	while (*list) {
		struct ctr_nl_del *d = *list;
		if (!wait && pthread_tryjoin_np(d->thread, NULL) != 0) {
			list = &d->next;
			continue;
		}
		if (wait)
			pthread_join(d->thread, NULL);
		*list = d->next;
		del_free(d);
	}
}

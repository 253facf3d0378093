/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.netDevices (runtime-spec 1.3.0, config-linux.md "Network Devices"):
 * move named interfaces of the runtime's network namespace into the
 * container's, renamed as asked, with their permanent global addresses, up.
 *
 * Per device, in the order of the (sorted) config:
 *  1. find it in the runtime's namespace and note its permanent addresses of
 *     global scope (moving an interface flushes its addresses), its flags;
 *  2. pick its name in the container: the name asked for, or with a "%d"
 *     template the lowest free number (the kernel's dev_alloc_name rule),
 *     and refuse when a device of that name is there already;
 *  3. move it (RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME: one request);
 *  4. in the container's namespace: the addresses again, then up.
 * Any failure moves the devices moved so far back, under their old names,
 * with their addresses and up/down state: a failed create leaves the host as
 * it was.  Past create the runtime never moves them (config-linux.md: "The
 * runtime MUST NOT attempt to move the interface out of the namespace before
 * deletion"); the kernel returns physical devices to the initial namespace
 * and destroys virtual ones when the container's namespace goes away.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "net/net-internal.h"
#include "net/mnl-dl.h"
#include "net/net.h"
#include "spec/oci.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif

struct nd_addr {
	unsigned char family, prefix;
	uint32_t flags;                  /* the settable IFA_F_* bits it had */
	bool has_local, has_address, has_bcast;
	unsigned char local[16], address[16], bcast[4];
};

struct nd_dev {
	char host_name[IFNAMSIZ];        /* its name in the runtime's namespace */
	char name[IFNAMSIZ];             /* its name in the container's */
	unsigned host_index;
	bool was_up;
	struct nd_addr *addrs;
	size_t n_addrs;
};

struct ctr_netdevs {
	int host_ns, ctr_ns;             /* network namespace fds, -1 when closed */
	struct nd_dev *devs;             /* the devices moved, in order */
	size_t n;
};

/* ---- netlink queries ---- */

struct names_q {
	char (*v)[IFNAMSIZ];
	size_t n, cap;
	int err;
};

static int names_cb(const struct nlmsghdr *nlh, void *data)
{
	struct names_q *q = data;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(a) != IFLA_IFNAME || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			continue;
		if (q->n == q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 16;
			void *v = realloc(q->v, cap * sizeof(*q->v));
			if (!v) {
				q->err = -ENOMEM;
				return MNL_CB_OK;
			}
			q->v = v;
			q->cap = cap;
		}
		snprintf(q->v[q->n++], IFNAMSIZ, "%s", mnl_attr_get_str(a));
	}
	return MNL_CB_OK;
}

/* The names of every link of nl's namespace (free q->v). */
static int link_names(struct ctr_nl *nl, struct names_q *q)
{
	struct nlmsghdr *nlh = ctr_nl_msg(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
	memset(q, 0, sizeof(*q));
	int r = ctr_nl_talk(nl, nlh, names_cb, q);
	return r < 0 ? r : q->err;
}

/* the IFA_F_* bits RTM_NEWADDR takes and that describe the address, not its state */
#define ND_ADDR_FLAGS (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

struct addrs_q {
	unsigned index;
	struct nd_addr *v;
	size_t n;
	int err;
};

static int addrs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addrs_q *q = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_index != q->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	struct nd_addr a;
	memset(&a, 0, sizeof(a));
	a.family = ifa->ifa_family;
	a.prefix = ifa->ifa_prefixlen;
	uint32_t flags = ifa->ifa_flags;
	size_t alen = a.family == AF_INET ? 4 : 16;
	struct nlattr *at;
	mnl_attr_for_each(at, nlh, sizeof(*ifa))
	{
		uint16_t t = mnl_attr_get_type(at);
		uint16_t len = mnl_attr_get_payload_len(at);
		if (t == IFA_FLAGS && len == 4)
			flags = mnl_attr_get_u32(at);
		else if (t == IFA_LOCAL && len == alen) {
			memcpy(a.local, mnl_attr_get_payload(at), alen);
			a.has_local = true;
		} else if (t == IFA_ADDRESS && len == alen) {
			memcpy(a.address, mnl_attr_get_payload(at), alen);
			a.has_address = true;
		} else if (t == IFA_BROADCAST && len == 4) {
			memcpy(a.bcast, mnl_attr_get_payload(at), 4);
			a.has_bcast = true;
		}
	}
	/* config-linux.md: "all permanent IP addresses (IFA_F_PERMANENT flag) of any family with global scope" */
	if (!(flags & IFA_F_PERMANENT) || (!a.has_local && !a.has_address))
		return MNL_CB_OK;
	a.flags = flags & ND_ADDR_FLAGS;
	void *v = realloc(q->v, (q->n + 1) * sizeof(*q->v));
	if (!v) {
		q->err = -ENOMEM;
		return MNL_CB_OK;
	}
	q->v = v;
	q->v[q->n++] = a;
	return MNL_CB_OK;
}

static int addrs_of(struct ctr_nl *nl, unsigned index, struct nd_addr **out, size_t *n)
{
	struct nlmsghdr *nlh = ctr_nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	struct addrs_q q = {index, NULL, 0, 0};
	int r = ctr_nl_talk(nl, nlh, addrs_cb, &q);
	if (r == 0)
		r = q.err;
	if (r < 0) {
		free(q.v);
		return r;
	}
	*out = q.v;
	*n = q.n;
	return 0;
}

static int addr_add(struct ctr_nl *nl, unsigned index, const struct nd_addr *a)
{
	struct nlmsghdr *nlh = ctr_nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = (unsigned char)(a->flags & 0xff);
	size_t alen = a->family == AF_INET ? 4 : 16;
	if (a->has_local)
		mnl_attr_put(nlh, IFA_LOCAL, alen, a->local);
	if (a->has_address)
		mnl_attr_put(nlh, IFA_ADDRESS, alen, a->address);
	if (a->has_bcast)
		mnl_attr_put(nlh, IFA_BROADCAST, 4, a->bcast);
	if (a->flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	int r = ctr_nl_talk(nl, nlh, NULL, NULL);
	return r == -EEXIST ? 0 : r;
}

static int link_set_up(struct ctr_nl *nl, unsigned index, bool up)
{
	struct nlmsghdr *nlh = ctr_nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	ifm->ifi_flags = up ? IFF_UP : 0;
	ifm->ifi_change = IFF_UP;
	return ctr_nl_talk(nl, nlh, NULL, NULL);
}

/* move link index of nl's namespace into nsfd's, named name there */
static int link_move(struct ctr_nl *nl, unsigned index, int nsfd, const char *name)
{
	struct nlmsghdr *nlh = ctr_nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return ctr_nl_talk(nl, nlh, NULL, NULL);
}

/* ---- names ---- */

/*
 * The name in the container: tmpl itself, or with a "%d" the lowest number
 * that makes a name no link there has (the kernel's own rule for templates).
 * Names other devices of this config took count as taken too.
 */
static int pick_name(const char *tmpl, const struct names_q *taken, const struct ctr_netdevs *m, char out[IFNAMSIZ])
{
	const char *pct = strstr(tmpl, "%d");
	if (!pct) {
		snprintf(out, IFNAMSIZ, "%s", tmpl);
		return 0;
	}
	for (unsigned i = 0; i < 100000; i++) {
		int w = snprintf(out, IFNAMSIZ, "%.*s%u%s", (int)(pct - tmpl), tmpl, i, pct + 2);
		if (w < 0 || w >= IFNAMSIZ)
			return -ENFILE;
		bool used = false;
		for (size_t k = 0; k < taken->n && !used; k++)
			used = !strcmp(taken->v[k], out);
		for (size_t k = 0; k < m->n && !used; k++)
			used = !strcmp(m->devs[k].name, out);
		if (!used)
			return 0;
	}
	return -ENFILE;
}

/* ---- undo ---- */

/* Move every device of m back to the runtime's namespace under its old name, with its addresses and state. */
static void move_back(const ctr_context *ctx, struct ctr_netdevs *m, struct ctr_nl *host, struct ctr_nl *ctr)
{
	for (size_t i = m->n; i-- > 0;) {
		struct nd_dev *d = &m->devs[i];
		struct ctr_nl_link q;
		int r = ctr_nl_link_query(ctr, d->name, 0, &q);
		if (r == 0 && !q.index)
			r = -ENODEV;
		if (r == 0)
			r = link_move(ctr, q.index, m->host_ns, d->host_name);
		if (r == 0)
			r = ctr_nl_link_query(host, d->host_name, 0, &q);
		for (size_t k = 0; r == 0 && k < d->n_addrs; k++)
			r = addr_add(host, q.index, &d->addrs[k]);
		if (r == 0 && d->was_up)
			r = link_set_up(host, q.index, true);
		if (r < 0)
			ctr_warn(ctx, "linux.netDevices[\"%s\"]: move it back from the container (as %s): %s", d->host_name,
				 d->name, strerror(-r));
	}
}

void ctr_net_devices_free(struct ctr_netdevs *m)
{
	if (!m)
		return;
	if (m->host_ns >= 0)
		close(m->host_ns);
	if (m->ctr_ns >= 0)
		close(m->ctr_ns);
	for (size_t i = 0; i < m->n; i++)
		free(m->devs[i].addrs);
	free(m->devs);
	free(m);
}

void ctr_net_devices_undo(const ctr_context *ctx, struct ctr_netdevs *m)
{
	if (!m || !m->n)
		return;
	struct ctr_nl *host = NULL, *ctr = NULL;
	ctr_error *e = NULL;
	if (ctr_nl_open(-1, &host, &e) < 0 || ctr_nl_open(m->ctr_ns, &ctr, &e) < 0)
		ctr_warn(ctx, "linux.netDevices: move the devices back: %s", ctr_error_message(e));
	else
		move_back(ctx, m, host, ctr);
	ctr_error_free(e);
	ctr_nl_close(host);
	ctr_nl_close(ctr);
	for (size_t i = 0; i < m->n; i++)
		free(m->devs[i].addrs);
	m->n = 0;
}

/* ---- the move ---- */

/* fd of a network namespace, checked to be one (nsfs, NS_GET_NSTYPE) */
static int open_netns(const char *path, int *out, ctr_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctr_err_sys(err, errno, "linux.netDevices: open %s", path);
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return ctr_err(err, EINVAL, CTR_E_SYSTEM, "linux.netDevices: %s is not a network namespace", path);
	}
	*out = fd;
	return 0;
}

/* one device: find, name, move, address, up (recorded in m as soon as it moved) */
static int move_one(struct ctr_netdevs *m, const struct oci_net_device *nd, struct ctr_nl *host, struct ctr_nl *ctr,
		    ctr_error **err)
{
	struct nd_dev d;
	struct ctr_nl_link q;
	memset(&d, 0, sizeof(d));
	snprintf(d.host_name, sizeof(d.host_name), "%s", nd->host_name);
	int r = ctr_nl_link_query(host, nd->host_name, 0, &q);
	if (r < 0)
		return ctr_err_sys(err, -r, "config.json: linux.netDevices[\"%s\"]: look it up", nd->host_name);
	if (!q.index)
		return ctr_err(err, ENODEV, CTR_E_NOT_FOUND,
			       "config.json: linux.netDevices[\"%s\"]: there is no network interface '%s' in the "
			       "runtime's network namespace (ip link lists them): fix the name or remove the entry",
			       nd->host_name, nd->host_name);
	d.host_index = q.index;
	d.was_up = (q.flags & IFF_UP) != 0;
	if ((r = addrs_of(host, q.index, &d.addrs, &d.n_addrs)) < 0)
		return ctr_err_sys(err, -r, "config.json: linux.netDevices[\"%s\"]: read its addresses", nd->host_name);
	struct names_q taken;
	if ((r = link_names(ctr, &taken)) < 0) {
		free(taken.v);
		free(d.addrs);
		return ctr_err_sys(err, -r, "linux.netDevices: list the container's network interfaces");
	}
	r = pick_name(nd->name, &taken, m, d.name);
	bool clash = false;
	for (size_t k = 0; r == 0 && k < taken.n && !clash; k++)
		clash = !strcmp(taken.v[k], d.name);
	free(taken.v);
	if (r < 0 || clash) {
		free(d.addrs);
		if (r < 0)
			return ctr_err(err, ENFILE, CTR_E_SPEC,
				       "config.json: linux.netDevices[\"%s\"].name: no free name for the template '%s'",
				       nd->host_name, nd->name);
		/* config-linux.md: "If a network device with the specified name already exists in the
		 * container namespace, the runtime MUST generate an error" */
		return ctr_err(err, EEXIST, CTR_E_EXISTS,
			       "config.json: linux.netDevices[\"%s\"]: the container's network namespace has a device "
			       "named '%s' already: choose another name, or a template such as \"%s%%d\"",
			       nd->host_name, d.name, strcmp(d.name, "lo") ? d.name : "eth");
	}
	/* from the move on, the device is ours to put back */
	struct nd_dev *v = realloc(m->devs, (m->n + 1) * sizeof(*v));
	if (!v) {
		free(d.addrs);
		return ctr_err_nomem(err);
	}
	m->devs = v;
	r = link_move(host, d.host_index, m->ctr_ns, d.name);
	if (r < 0) {
		/* the kernel moves first and renames after: a failed rename leaves it moved under its old name */
		struct ctr_nl_link still;
		if (ctr_nl_link_query(host, NULL, d.host_index, &still) == 0 && still.index) {
			free(d.addrs);
			return ctr_err_sys(err, -r, "config.json: linux.netDevices[\"%s\"]: move it into the container "
					   "as '%s'", nd->host_name, d.name);
		}
		snprintf(d.name, sizeof(d.name), "%s", d.host_name);
		m->devs[m->n++] = d;
		return ctr_err_sys(err, -r, "config.json: linux.netDevices[\"%s\"]: rename it in the container",
				   nd->host_name);
	}
	m->devs[m->n++] = d;
	if ((r = ctr_nl_link_query(ctr, d.name, 0, &q)) == 0 && !q.index)
		r = -ENODEV;
	for (size_t k = 0; r == 0 && k < d.n_addrs; k++)
		r = addr_add(ctr, q.index, &d.addrs[k]);
	/* config-linux.md: "The runtime MUST set the network device state to "up" after moving it" */
	if (r == 0)
		r = link_set_up(ctr, q.index, true);
	if (r < 0)
		return ctr_err_sys(err, -r, "config.json: linux.netDevices[\"%s\"]: addresses and up, in the container "
				   "as '%s'", nd->host_name, d.name);
	return 0;
}

int ctr_net_devices_move(const ctr_context *ctx, const struct oci_config *cfg, pid_t pid, struct ctr_netdevs **out,
			 ctr_error **err)
{
	const struct oci_linux *l = &cfg->linux_;
	*out = NULL;
	if (!l->n_net_devices)
		return 0;
	bool has_netns = false;
	for (size_t i = 0; i < l->n_namespaces; i++)
		has_netns |= l->namespaces[i].type == OCI_NS_NETWORK;
	if (!has_netns)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.netDevices: the container has no network namespace of its own to move "
			       "them into: add {\"type\": \"network\"} to linux.namespaces");
	struct ctr_netdevs *m = calloc(1, sizeof(*m));
	if (!m)
		return ctr_err_nomem(err);
	m->host_ns = m->ctr_ns = -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int r = open_netns("/proc/thread-self/ns/net", &m->host_ns, err);
	if (r == 0)
		r = open_netns(path, &m->ctr_ns, err);
	struct stat a, b;
	if (r == 0 && (fstat(m->host_ns, &a) < 0 || fstat(m->ctr_ns, &b) < 0))
		r = ctr_err_sys(err, errno, "linux.netDevices: stat the network namespaces");
	if (r == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		r = ctr_err(err, EINVAL, CTR_E_SPEC,
			    "config.json: linux.netDevices: the container's network namespace is the runtime's own "
			    "(joined by path): the devices are there already; give it a network namespace of its own");
	struct ctr_nl *host = NULL, *ctr = NULL;
	if (r == 0)
		r = ctr_nl_open(-1, &host, err);
	if (r == 0)
		r = ctr_nl_open(m->ctr_ns, &ctr, err);
	for (size_t i = 0; r == 0 && i < l->n_net_devices; i++)
		r = move_one(m, &l->net_devices[i], host, ctr, err);
	if (r < 0 && host && ctr)
		move_back(ctx, m, host, ctr);
	ctr_nl_close(host);
	ctr_nl_close(ctr);
	if (r < 0) {
		ctr_net_devices_free(m);
		return r;
	}
	*out = m;
	return 0;
}

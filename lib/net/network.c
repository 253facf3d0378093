/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bridge networks (create, open, delete, list, inspect), published port
 * specs, and attaching a network namespace: IPAM lease first (it is also the
 * record of what is about to be created: host veth name and ports, so that a
 * crash half-way is undone by detach), then the veth pair with its peer born
 * in the namespace, addresses and routes inside it, then the firewall.
 *
 * Layout of a network directory:
 *   <net_dir>/.lock                 flock while networks are created/deleted
 *   <net_dir>/<name>/network.json   the definition
 *   <net_dir>/<name>/leases.json    IPAM state (ipam.c)
 *   <net_dir>/<name>/lock           flock while leases change
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "net/net-internal.h"
#include "net/net.h"
#include "net/nft.h"

struct ctr_network {
	ctr_context *ctx;
	char *net_dir;   /* the network directory */
	char *dir;       /* <net_dir>/<name> */
	struct ctr_netdef def;
	pthread_mutex_t lock;       /* guards pending: one handle may detach from several threads */
	struct ctr_nl_del *pending; /* veth deletions whose kernel-side freeing goes on (netlink.c) */
};

struct ctr_net_request {
	enum { REQ_NONE, REQ_HOST, REQ_BRIDGE, REQ_CONTAINER } mode;
	char *target;    /* network name or container id */
	char *net_dir;
	bool has_v4, has_v6;
	unsigned char ipv4[16], ipv6[16];
	char **aliases;
	char *hostname;
	ctr_port_mapping *ports;
	size_t n_ports;
};

CTR_EXPORT int ctr_network_options_init_sized(ctr_network_options *opts, size_t size)
{
	ctr_network_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(opts, size, &def, sizeof(def));
}

CTR_EXPORT int ctr_net_options_init_sized(ctr_net_options *opts, size_t size)
{
	ctr_net_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(opts, size, &def, sizeof(def));
}

CTR_EXPORT const char *ctr_network_name(const ctr_network *n)
{
	return n ? n->def.name : NULL;
}

CTR_EXPORT const char *ctr_network_bridge(const ctr_network *n)
{
	return n ? n->def.bridge : NULL;
}

CTR_EXPORT void ctr_network_free(ctr_network *n)
{
	if (!n)
		return;
	ctr_nl_del_reap(&n->pending, true);
	pthread_mutex_destroy(&n->lock);
	ctr_netdef_free(&n->def);
	free(n->net_dir);
	free(n->dir);
	free(n);
}

static int validate_name(const char *name, ctr_error **err)
{
	size_t len = name ? strlen(name) : 0;
	bool ok = len > 0 && len <= CTR_NET_NAME_MAX &&
		  ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
		   (name[0] >= '0' && name[0] <= '9'));
	for (size_t i = 1; ok && i < len; i++)
		ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", name[i]) != NULL;
	if (!ok)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "network name '%s' is not valid: use [A-Za-z0-9][A-Za-z0-9_.-]*, at most %d bytes",
			       name ? name : "(null)", CTR_NET_NAME_MAX);
	if (!strcmp(name, "none") || !strcmp(name, "host") || !strcmp(name, "bridge"))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "network name '%s' is reserved (none and host are network modes): pick another name", name);
	return 0;
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int mkdir_p(const char *path, ctr_error **err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "%s: path too long", path);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				return ctr_err_sys(err, errno, "network directory %s: mkdir", tmp);
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int lock_net_dir(const char *net_dir, int *fd, ctr_error **err)
{
	int r = mkdir_p(net_dir, err);
	if (r < 0)
		return r;
	char path[4096];
	snprintf(path, sizeof(path), "%s/.lock", net_dir);
	return ctr_net_lock_path(path, fd, err);
}

static int load_def(const char *dir, const char *name, struct ctr_netdef *d, ctr_error **err)
{
	char path[4096], *buf;
	size_t len;
	snprintf(path, sizeof(path), "%s/network.json", dir);
	int r = ctr_net_read(path, &buf, &len, err);
	if (r == -ENOENT)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND,
			       "network '%s' does not exist (no %s): create it with `network create %s`", name, path, name);
	if (r < 0)
		return r;
	r = ctr_netdef_parse(buf, len, d, err);
	free(buf);
	if (r < 0)
		ctr_err_prefix(err, "%s", path);
	return r;
}

static int network_new(ctr_context *ctx, const char *net_dir, const char *name, struct ctr_network **out,
		       ctr_error **err)
{
	/* -ENOMEM spelled out: callers then see that a failure leaves *out unset */
	struct ctr_network *n = calloc(1, sizeof(*n));
	if (!n) {
		ctr_err_nomem(err);
		return -ENOMEM;
	}
	n->ctx = ctx;
	pthread_mutex_init(&n->lock, NULL);
	if (!(n->net_dir = strdup(net_dir ? net_dir : CTR_NETWORK_DIR_DEFAULT)) ||
	    asprintf(&n->dir, "%s/%s", n->net_dir, name) < 0) {
		n->dir = NULL;
		ctr_network_free(n);
		ctr_err_nomem(err);
		return -ENOMEM;
	}
	*out = n;
	return 0;
}

CTR_EXPORT int ctr_network_open(ctr_context *ctx, const char *net_dir, ctr_network **out, const char *name,
				ctr_error **err)
{
	int r;
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_open: NULL argument");
	if ((r = validate_name(name, err)) < 0)
		return r;
	struct ctr_network *n;
	if ((r = network_new(ctx, net_dir, name, &n, err)) < 0)
		return r;
	if ((r = load_def(n->dir, name, &n->def, err)) < 0) {
		ctr_network_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static void nft_net_of(const struct ctr_netdef *d, struct ctr_nft_net *o)
{
	memset(o, 0, sizeof(*o));
	o->name = d->name;
	o->bridge = d->bridge;
	o->internal = d->internal;
	size_t n = d->n_subnets < CTR_ARRAY_SIZE(d->subnets) ? d->n_subnets : CTR_ARRAY_SIZE(d->subnets);
	for (size_t i = 0; i < n && i < CTR_NFT_MAX_SUBNETS; i++) {
		o->subnets[i].family = d->subnets[i].net.family;
		memcpy(o->subnets[i].addr, d->subnets[i].net.addr, 16);
		o->subnets[i].prefix = d->subnets[i].net.prefix;
	}
	o->n_subnets = n;
}

/* The bridge with its gateway addresses, forwarding and firewall; *created when it was missing. */
static int bridge_up(ctr_context *ctx, const struct ctr_netdef *d, struct ctr_nl *nl, unsigned *index, bool *created,
		     ctr_error **err)
{
	int r;
	if ((r = ctr_nl_bridge_ensure(nl, d->bridge, d->mac, d->mtu, index, created, err)) < 0)
		return r;
	if (!*created)
		return 0;
	for (size_t i = 0; i < d->n_subnets; i++) {
		const struct ctr_subnet *sn = &d->subnets[i];
		if ((r = ctr_nl_addr_add(nl, *index, sn->net.family, sn->gateway, sn->net.prefix, err)) < 0)
			goto fail;
		if (d->internal)
			continue;
		if (sn->net.family == AF_INET)
			r = ctr_net_sysctl("net/ipv4/ip_forward", "1", err);
		else
			r = ctr_net_sysctl("net/ipv6/conf/all/forwarding", "1", err);
		if (r < 0)
			goto fail;
	}
	struct ctr_nft_net nn;
	nft_net_of(d, &nn);
	if ((r = ctr_nft_network_add(&nn, err)) < 0)
		goto fail;
	return 0;
fail:
	(void)ctr_nl_link_del(nl, d->bridge, NULL);
	*created = false;
	ctr_debug(ctx, "network '%s': bridge %s removed after a failure", d->name, d->bridge);
	return r;
}

static int count_networks(const char *net_dir, const char *except)
{
	char **v = NULL;
	int n = 0;
	if (ctr_list_dir_with(net_dir, "network.json", "network directory", &v, NULL) < 0)
		return 0;
	for (size_t i = 0; v[i]; i++)
		n += !except || strcmp(v[i], except) != 0;
	ctr_strv_free(v);
	return n;
}

/* A subnet of d that overlaps another network of net_dir (-EADDRINUSE) */
static int check_overlap_networks(const char *net_dir, const struct ctr_netdef *d, ctr_error **err)
{
	DIR *dd = opendir(net_dir);
	if (!dd)
		return 0;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(dd))) {
		char p[4096];
		if (e->d_name[0] == '.' || !strcmp(e->d_name, d->name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", net_dir, e->d_name);
		struct ctr_netdef o;
		ctr_error *le = NULL;
		if (load_def(p, e->d_name, &o, &le) < 0) {
			ctr_error_free(le);
			continue;
		}
		for (size_t i = 0; r == 0 && i < d->n_subnets; i++)
			for (size_t k = 0; r == 0 && k < o.n_subnets; k++)
				if (ctr_ipnet_overlap(&d->subnets[i].net, &o.subnets[k].net)) {
					char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
					ctr_ip_str(d->subnets[i].net.family, d->subnets[i].net.addr, a, sizeof(a));
					ctr_ip_str(o.subnets[k].net.family, o.subnets[k].net.addr, b, sizeof(b));
					r = ctr_err(err, EADDRINUSE, CTR_E_EXISTS,
						    "subnet %s/%u overlaps network '%s' (%s/%u): pick another --subnet", a,
						    d->subnets[i].net.prefix, o.name, b, o.subnets[k].net.prefix);
				}
		ctr_netdef_free(&o);
	}
	closedir(dd);
	return r;
}

static int check_overlap_routes(struct ctr_nl *nl, const struct ctr_netdef *d, ctr_error **err)
{
	for (size_t i = 0; i < d->n_subnets; i++) {
		struct ctr_ipnet rt;
		char dev[32];
		int r = ctr_nl_route_overlap(nl, &d->subnets[i].net, &rt, dev, sizeof(dev), err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		ctr_ip_str(rt.family, d->subnets[i].net.addr, a, sizeof(a));
		ctr_ip_str(rt.family, rt.addr, b, sizeof(b));
		return ctr_err(err, EADDRINUSE, CTR_E_EXISTS,
			       "subnet %s/%u overlaps the host route %s/%u on %s: pick another --subnet", a,
			       d->subnets[i].net.prefix, b, rt.prefix, dev);
	}
	return 0;
}

static int build_def(const char *name, const ctr_network_options *o, struct ctr_netdef *d, ctr_error **err)
{
	int r;
	memset(d, 0, sizeof(*d));
	if (!(d->name = strdup(name)))
		return ctr_err_nomem(err);
	uint64_t h = fnv1a(name, 0xcbf29ce484222325ull);
	if (asprintf(&d->bridge, "ctr%08llx", (unsigned long long)(h & 0xffffffffull)) < 0) {
		d->bridge = NULL;
		return ctr_err_nomem(err);
	}
	/* pinned MAC: the bridge keeps one address instead of taking the lowest port's */
	d->mac[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		d->mac[i] = (unsigned char)(h >> (8 * (i + 1)));
	d->mtu = o->mtu ? o->mtu : 1500;
	if (d->mtu < 68 || d->mtu > 65535)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "MTU %u is out of range: use 68 to 65535", d->mtu);
	d->internal = o->internal != 0;
	static const char *const def_subnets[] = {"10.89.0.0/24", NULL};
	const char *const *subs = o->subnets && o->subnets[0] ? o->subnets : def_subnets;
	for (size_t i = 0; subs[i]; i++) {
		struct ctr_ipnet net;
		if ((r = ctr_ipnet_parse(subs[i], strlen(subs[i]), true, &net, err)) < 0) {
			ctr_err_prefix(err, "subnet");
			return r;
		}
		if (ctr_netdef_subnet(d, net.family))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "subnet %s: a network has at most one %s subnet",
				       subs[i], net.family == AF_INET ? "IPv4" : "IPv6");
		if ((net.family == AF_INET && net.prefix > 30) || (net.family == AF_INET6 && net.prefix > 126))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "subnet %s is too small: use at most /%d", subs[i],
				       net.family == AF_INET ? 30 : 126);
		struct ctr_subnet *sn = &d->subnets[d->n_subnets++];
		sn->net = net;
		const char *gw = net.family == AF_INET ? o->gateway : o->gateway6;
		if (gw) {
			if (ctr_ip_parse(gw, strlen(gw), net.family, NULL, sn->gateway) < 0 ||
			    !ctr_ipnet_contains(&net, sn->gateway))
				return ctr_err(err, EINVAL, CTR_E_INVALID, "gateway %s is not an address in subnet %s", gw,
					       subs[i]);
		} else {
			memcpy(sn->gateway, net.addr, 16);
			sn->gateway[ctr_ip_len(net.family) - 1] |= 1;
		}
	}
	if (o->gateway && !ctr_netdef_subnet(d, AF_INET))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "gateway %s: the network has no IPv4 subnet", o->gateway);
	if (o->gateway6 && !ctr_netdef_subnet(d, AF_INET6))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "gateway %s: the network has no IPv6 subnet", o->gateway6);
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(d->created = strdup(buf)))
		return ctr_err_nomem(err);
	return 0;
}

static void remove_net_files(const char *dir)
{
	char p[4096];
	static const char *const files[] = {"network.json", "leases.json", "lock"};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

CTR_EXPORT int ctr_network_create(ctr_context *ctx, const char *net_dir, ctr_network **out, const char *name,
				  const ctr_network_options *opts, ctr_error **err)
{
	int r, lock = -1;
	ctr_network_options o;
	ctr_network_options_init(&o);
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_network_options", err)) < 0)
		return r;
	if ((r = validate_name(name, err)) < 0)
		return r;
	struct ctr_network *n;
	if ((r = network_new(ctx, net_dir, name, &n, err)) < 0)
		return r;
	struct ctr_nl *nl = NULL;
	bool made_dir = false, made_bridge = false;
	if ((r = build_def(name, &o, &n->def, err)) < 0)
		goto fail;
	if ((r = lock_net_dir(n->net_dir, &lock, err)) < 0)
		goto fail;
	if (mkdir(n->dir, 0700) < 0) {
		if (errno == EEXIST)
			r = ctr_err(err, EEXIST, CTR_E_EXISTS, "network '%s' exists already (%s): delete it first or pick "
				    "another name", name, n->dir);
		else
			r = ctr_err_sys(err, errno, "%s: mkdir", n->dir);
		goto fail;
	}
	made_dir = true;
	if ((r = check_overlap_networks(n->net_dir, &n->def, err)) < 0 || (r = ctr_nl_open(-1, &nl, err)) < 0 ||
	    (r = check_overlap_routes(nl, &n->def, err)) < 0)
		goto fail;
	unsigned index;
	if ((r = bridge_up(ctx, &n->def, nl, &index, &made_bridge, err)) < 0)
		goto fail;
	char *js, path[4096];
	if ((r = ctr_netdef_to_json(&n->def, &js, err)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/network.json", n->dir);
	r = ctr_write_file_atomic(path, js, strlen(js), 0600, err);
	free(js);
	if (r < 0)
		goto fail;
	ctr_nl_close(nl);
	ctr_ipam_unlock(lock);
	if (out)
		*out = n;
	else
		ctr_network_free(n);
	return 0;
fail:
	if (made_bridge) {
		struct ctr_nft_net nn;
		nft_net_of(&n->def, &nn);
		(void)ctr_nft_network_remove(&nn, NULL);
		(void)ctr_nl_link_del(nl, n->def.bridge, NULL);
	}
	if (made_dir)
		remove_net_files(n->dir);
	ctr_nl_close(nl);
	ctr_ipam_unlock(lock);
	ctr_network_free(n);
	return r;
}

/* nft port entries of a lease: one per family it has an address in (host_ip picks one). */
static int nft_ports_of(const struct ctr_lease *l, struct ctr_nft_port **out, size_t *n, ctr_error **err)
{
	*out = NULL;
	*n = 0;
	if (!l->n_ports)
		return 0;
	struct ctr_nft_port *v = calloc(l->n_ports * 2, sizeof(*v));
	if (!v)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < l->n_ports; i++) {
		const ctr_port_mapping *p = &l->ports[i];
		int hfam = 0;
		unsigned char hip[16] = {0};
		if (p->host_ip[0])
			(void)ctr_ip_parse(p->host_ip, strlen(p->host_ip), 0, &hfam, hip);
		for (int f = 0; f < 2; f++) {
			int fam = f ? AF_INET6 : AF_INET;
			if ((hfam && hfam != fam) || (fam == AF_INET && !l->has_v4) || (fam == AF_INET6 && !l->has_v6))
				continue;
			struct ctr_nft_port *q = &v[(*n)++];
			q->family = fam;
			q->proto = (uint8_t)p->protocol;
			memcpy(q->host_ip, hip, 16);
			q->host_port = p->host_port;
			q->host_port_end = p->host_port_end;
			memcpy(q->container_ip, fam == AF_INET ? l->ipv4 : l->ipv6, 16);
			q->container_port = p->container_port;
			q->owner = l->id;
		}
	}
	*out = v;
	return 0;
}

static void nft_close_cb(void *s)
{
	ctr_nft_close(s);
}

/*
 * Undo a lease's links and firewall elements (the lease itself is the
 * caller's).  pending non-NULL: the veth deletion returns once the kernel
 * unregistered it and its final freeing goes on in a thread put there.
 */
static void lease_undo(ctr_context *ctx, struct ctr_nl *nl, const struct ctr_lease *l, struct ctr_nl_del **pending)
{
	ctr_error *e = NULL;
	struct ctr_nft_port *p;
	struct ctr_nft *fw = NULL;
	size_t n;
	/*
	 * The elements go first, through a session closed only after the link is
	 * deleted: closing a netfilter socket through which elements were deleted
	 * waits for nf_tables to free them (an RCU grace period), and so does the
	 * veth's unregistration; in this order the two waits overlap (-10 ms).
	 */
	if (nft_ports_of(l, &p, &n, &e) == 0 && n &&
	    (ctr_nft_open(&fw, &e) < 0 || ctr_nft_ports_remove_in(fw, p, n, &e) < 0))
		ctr_warn(ctx, "'%s': remove published ports: %s", l->id, ctr_error_message(e));
	ctr_error_free(e);
	free(p);
	e = NULL;
	if (l->host_if && pending) {
		if (ctr_nl_link_del_start(l->host_if, nft_close_cb, fw, pending, &e) < 0)
			ctr_warn(ctx, "'%s': %s", l->id, ctr_error_message(e));
		ctr_error_free(e);
		return;
	}
	if (l->host_if && nl && ctr_nl_link_del(nl, l->host_if, &e) < 0)
		ctr_warn(ctx, "'%s': %s", l->id, ctr_error_message(e));
	ctr_error_free(e);
	ctr_nft_close(fw);
}

/* Reclaim leases of vanished containers (ls loaded, lock held): their links and ports go too. */
static void reclaim(struct ctr_network *n, struct ctr_nl *nl, struct ctr_leases *ls)
{
	struct ctr_leases gone = {0};
	ctr_ipam_reclaim(ls, &gone);
	for (size_t i = 0; i < gone.n; i++) {
		ctr_info(n->ctx, "network '%s': reclaimed the lease of '%s' (its state dir %s is gone)", n->def.name,
			 gone.v[i].id, gone.v[i].state_dir);
		lease_undo(n->ctx, nl, &gone.v[i], NULL);
	}
	ctr_leases_free(&gone);
}

CTR_EXPORT int ctr_network_delete(ctr_network *n, ctr_error **err)
{
	int r, dlock = -1, lock = -1;
	if (!n)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_delete: NULL network");
	struct ctr_nl *nl = NULL;
	struct ctr_leases ls = {0};
	if ((r = lock_net_dir(n->net_dir, &dlock, err)) < 0 || (r = ctr_ipam_lock(n->dir, &lock, err)) < 0 ||
	    (r = ctr_ipam_load(n->dir, &ls, err)) < 0 || (r = ctr_nl_open(-1, &nl, err)) < 0)
		goto out;
	reclaim(n, nl, &ls);
	if (ls.n) {
		char list[512] = "";
		for (size_t i = 0; i < ls.n && strlen(list) < 400; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s'%s'", i ? ", " : "", ls.v[i].id);
		(void)ctr_ipam_save(n->dir, &ls, NULL);
		r = ctr_err(err, EBUSY, CTR_E_STATE, "network '%s' is used by %s: delete %s first", n->def.name, list,
			    ls.n > 1 ? "them" : "it");
		goto out;
	}
	struct ctr_nft_net nn;
	nft_net_of(&n->def, &nn);
	ctr_error *e = NULL;
	if (ctr_nft_network_remove(&nn, &e) < 0)
		ctr_warn(n->ctx, "network '%s': %s", n->def.name, ctr_error_message(e));
	ctr_error_free(e);
	if ((r = ctr_nl_link_del(nl, n->def.bridge, err)) < 0)
		goto out;
	remove_net_files(n->dir);
	if (count_networks(n->net_dir, n->def.name) == 0) {
		e = NULL;
		if (ctr_nft_fini(&e) < 0)
			ctr_warn(n->ctx, "network '%s': %s", n->def.name, ctr_error_message(e));
		ctr_error_free(e);
	}
out:
	ctr_leases_free(&ls);
	ctr_nl_close(nl);
	ctr_ipam_unlock(lock);
	ctr_ipam_unlock(dlock);
	return r;
}

CTR_EXPORT int ctr_network_list(ctr_context *ctx, const char *net_dir, char ***names, ctr_error **err)
{
	(void)ctx;
	if (!names)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_list: NULL argument");
	return ctr_list_dir_with(net_dir ? net_dir : CTR_NETWORK_DIR_DEFAULT, "network.json", "network directory", names,
				 err);
}

CTR_EXPORT int ctr_network_inspect_json(ctr_network *n, char **out, ctr_error **err)
{
	int r, lock = -1;
	if (!n || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_inspect_json: NULL argument");
	char *def = NULL, *leases = NULL;
	struct ctr_leases ls = {0};
	if ((r = ctr_ipam_lock(n->dir, &lock, err)) < 0 || (r = ctr_ipam_load(n->dir, &ls, err)) < 0)
		goto out;
	ctr_ipam_unlock(lock);
	lock = -1;
	if ((r = ctr_netdef_to_json(&n->def, &def, err)) < 0 || (r = ctr_leases_to_json(&ls, &leases, NULL, err)) < 0)
		goto out;
	json_object *o = json_tokener_parse(def), *l = json_tokener_parse(leases), *v;
	if (!o || !l) {
		json_object_put(o);
		json_object_put(l);
		r = ctr_err_nomem(err);
		goto out;
	}
	json_object_object_add(o, "containers",
			       json_object_object_get_ex(l, "leases", &v) ? json_object_get(v) : json_object_new_array());
	json_object_put(l);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(o);
	r = *out ? 0 : ctr_err_nomem(err);
out:
	ctr_ipam_unlock(lock);
	free(def);
	free(leases);
	ctr_leases_free(&ls);
	return r;
}

/* ---- published ports ---- */

static int parse_range(const char *s, size_t len, uint16_t *a, uint16_t *b)
{
	unsigned long v[2] = {0, 0};
	int k = 0;
	size_t digits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-' && k == 0 && digits) {
			k = 1;
			digits = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || ++digits > 5)
			return -EINVAL;
		v[k] = v[k] * 10 + (unsigned long)(s[i] - '0');
	}
	if (!digits)
		return -EINVAL;
	if (k == 0)
		v[1] = v[0];
	if (v[0] < 1 || v[0] > 65535 || v[1] < v[0] || v[1] > 65535)
		return -EINVAL;
	*a = (uint16_t)v[0];
	*b = (uint16_t)v[1];
	return 0;
}

static int port_mapping_parse(const char *buf, size_t len, ctr_port_mapping *out, ctr_error **err)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->protocol = CTR_PORT_TCP;
	const char *s = buf, *end = buf + len;
#define PORT_ERR(...) ctr_err(err, EINVAL, CTR_E_INVALID, "published port '%.*s': " __VA_ARGS__)
	const char *slash = memrchr(s, '/', len);
	if (slash) {
		size_t pl = (size_t)(end - slash - 1);
		if (pl == 3 && !memcmp(slash + 1, "tcp", 3))
			out->protocol = CTR_PORT_TCP;
		else if (pl == 3 && !memcmp(slash + 1, "udp", 3))
			out->protocol = CTR_PORT_UDP;
		else
			return PORT_ERR("unknown protocol '%.*s': use tcp or udp", (int)len, buf, (int)pl, slash + 1);
		end = slash;
	}
	const char *hp = NULL, *hpe = NULL;
	if (s < end && *s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));
		if (!rb || rb + 1 >= end || rb[1] != ':')
			return PORT_ERR("write it as [ipv6]:hostport:containerport", (int)len, buf);
		size_t al = (size_t)(rb - s - 1);
		unsigned char a[16];
		if (al >= sizeof(out->host_ip) || ctr_ip_parse(s + 1, al, AF_INET6, NULL, a) < 0)
			return PORT_ERR("'%.*s' is not an IPv6 address", (int)len, buf, (int)al, s + 1);
		memcpy(out->host_ip, s + 1, al);
		s = rb + 2;
		const char *c = memchr(s, ':', (size_t)(end - s));
		if (!c)
			return PORT_ERR("write it as [ipv6]:hostport:containerport", (int)len, buf);
		hp = s;
		hpe = c;
		s = c + 1;
	} else {
		const char *c1 = memchr(s, ':', (size_t)(end - s));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
			return PORT_ERR("too many ':': write an IPv6 host address in brackets, [::1]:8080:80", (int)len, buf);
		if (c2) {
			size_t al = (size_t)(c1 - s);
			unsigned char a[16];
			if (al >= sizeof(out->host_ip) || ctr_ip_parse(s, al, AF_INET, NULL, a) < 0)
				return PORT_ERR("'%.*s' is not an IPv4 address", (int)len, buf, (int)al, s);
			memcpy(out->host_ip, s, al);
			hp = c1 + 1;
			hpe = c2;
			s = c2 + 1;
		} else if (c1) {
			hp = s;
			hpe = c1;
			s = c1 + 1;
		}
	}
	if (parse_range(s, (size_t)(end - s), &out->container_port, &out->container_port_end) < 0)
		return PORT_ERR("container port '%.*s' must be 1-65535 or a range a-b", (int)len, buf, (int)(end - s), s);
	if (!hp) {
		out->host_port = out->container_port;
		out->host_port_end = out->container_port_end;
	} else {
		if (hp == hpe)
			return PORT_ERR("a host port is required (random host ports are not supported)", (int)len, buf);
		if (parse_range(hp, (size_t)(hpe - hp), &out->host_port, &out->host_port_end) < 0)
			return PORT_ERR("host port '%.*s' must be 1-65535 or a range a-b", (int)len, buf, (int)(hpe - hp),
					hp);
	}
	if (out->host_port_end - out->host_port != out->container_port_end - out->container_port)
		return PORT_ERR("the host and container port ranges have different lengths", (int)len, buf);
#undef PORT_ERR
	return 0;
}

CTR_EXPORT int ctr_port_mapping_parse_sized(const char *buf, size_t len, ctr_port_mapping *out, size_t size,
					    ctr_error **err)
{
	ctr_port_mapping m;
	int r;

	if (!buf || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_port_mapping_parse: NULL argument");
	if (size < sizeof(size_t))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "ctr_port_mapping_parse: size %zu is smaller than the size field: pass sizeof(ctr_port_mapping)",
			       size);
	if ((r = port_mapping_parse(buf, len, &m, err)) < 0)
		return r;
	/* the fields that fit in the caller's struct, and its size */
	return ctr_init_options(out, size, &m, sizeof(m));
}

/* ---- requests ---- */

CTR_EXPORT void ctr_net_request_free(ctr_net_request *req)
{
	if (!req)
		return;
	free(req->target);
	free(req->net_dir);
	ctr_strv_free(req->aliases);
	free(req->hostname);
	free(req->ports);
	free(req);
}

/* Fill the attach fields of a request from options. */
static int req_fill(struct ctr_net_request *q, const ctr_net_options *o, ctr_error **err)
{
	if (o->ipv4) {
		if (ctr_ip_parse(o->ipv4, strlen(o->ipv4), AF_INET, NULL, q->ipv4) < 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "--ip %s: not an IPv4 address", o->ipv4);
		q->has_v4 = true;
	}
	if (o->ipv6) {
		if (ctr_ip_parse(o->ipv6, strlen(o->ipv6), AF_INET6, NULL, q->ipv6) < 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "--ip6 %s: not an IPv6 address", o->ipv6);
		q->has_v6 = true;
	}
	for (size_t i = 0; o->aliases && o->aliases[i]; i++) {
		const char *a = o->aliases[i];
		if (!*a || strpbrk(a, " \t\n#"))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "alias '%s' is not a host name", a);
	}
	if (o->aliases && !(q->aliases = ctr_strv_dup(o->aliases)))
		return ctr_err_nomem(err);
	if (o->hostname && !(q->hostname = strdup(o->hostname)))
		return ctr_err_nomem(err);
	size_t np = ctr_strv_len(o->publish);
	if (np && !(q->ports = calloc(np, sizeof(*q->ports))))
		return ctr_err_nomem(err);
	for (size_t i = 0; i < np; i++) {
		int r = ctr_port_mapping_parse(o->publish[i], strlen(o->publish[i]), &q->ports[i], err);
		if (r < 0)
			return r;
		q->n_ports++;
	}
	return 0;
}

CTR_EXPORT int ctr_net_request_new(ctr_net_request **out, const char *mode, const ctr_net_options *opts,
				   ctr_error **err)
{
	int r;
	ctr_net_options o;
	ctr_net_options_init(&o);
	if (!out || !mode)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_net_request_new: NULL argument");
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_net_options", err)) < 0)
		return r;
	struct ctr_net_request *q = calloc(1, sizeof(*q));
	if (!q)
		return ctr_err_nomem(err);
	if (!strcmp(mode, "none"))
		q->mode = REQ_NONE;
	else if (!strcmp(mode, "host"))
		q->mode = REQ_HOST;
	else if (!strncmp(mode, "container:", 10)) {
		q->mode = REQ_CONTAINER;
		if ((r = ctr_validate_id(mode + 10, err)) < 0) {
			ctr_err_prefix(err, "network mode '%s'", mode);
			goto fail;
		}
		if (!(q->target = strdup(mode + 10))) {
			r = ctr_err_nomem(err);
			goto fail;
		}
	} else {
		q->mode = REQ_BRIDGE;
		if ((r = validate_name(mode, err)) < 0)
			goto fail;
		if (!(q->target = strdup(mode))) {
			r = ctr_err_nomem(err);
			goto fail;
		}
	}
	if (!(q->net_dir = strdup(o.net_dir ? o.net_dir : CTR_NETWORK_DIR_DEFAULT))) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	if (q->mode != REQ_BRIDGE && (o.ipv4 || o.ipv6 || (o.publish && o.publish[0]) || (o.aliases && o.aliases[0]))) {
		r = ctr_err(err, EINVAL, CTR_E_INVALID,
			    "network mode '%s': addresses, aliases and published ports need a bridge network", mode);
		goto fail;
	}
	if ((r = req_fill(q, &o, err)) < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	ctr_net_request_free(q);
	return r;
}

/* ---- attaching a network namespace ---- */

/* Host end of the veth pair: a hash of the attachment (id, network), so a crash leaves a findable name. */
static int host_if_name(const char *net, const char *id, char **out)
{
	uint64_t h = fnv1a(id, fnv1a(net, 0xcbf29ce484222325ull) ^ 0x5a);
	return asprintf(out, "vc%012llx", (unsigned long long)(h & 0xffffffffffffull)) < 0 ? -ENOMEM : 0;
}

/* Does a lease of ls publish one of l's host ports (same protocol, overlapping range, same or any address)? */
static bool ports_held(const struct ctr_leases *ls, const struct ctr_lease *l)
{
	for (size_t i = 0; i < l->n_ports; i++) {
		const ctr_port_mapping *p = &l->ports[i];
		for (size_t j = 0; j < ls->n; j++)
			for (size_t k = 0; k < ls->v[j].n_ports; k++) {
				const ctr_port_mapping *o = &ls->v[j].ports[k];
				if (o->protocol == p->protocol && o->host_port <= p->host_port_end &&
				    p->host_port <= o->host_port_end &&
				    (!o->host_ip[0] || !p->host_ip[0] || !strcmp(o->host_ip, p->host_ip)))
					return true;
			}
	}
	return false;
}

static void reclaim_now(struct ctr_network *n, struct ctr_leases *ls)
{
	struct ctr_nl *nl = NULL;
	if (ctr_nl_open(-1, &nl, NULL) == 0) {
		reclaim(n, nl, ls);
		ctr_nl_close(nl);
	}
}

/* The addresses the request asks for (static ones, or none: IPAM picks) into a lease to be assigned. */
static void addrs_as_asked(struct ctr_lease *l, const struct ctr_net_request *q)
{
	l->has_v4 = q->has_v4;
	l->has_v6 = q->has_v6;
	memcpy(l->ipv4, q->ipv4, 16);
	memcpy(l->ipv6, q->ipv6, 16);
}

/* Take a lease for id (lock held inside); on success *out is a copy of it. */
static int lease_take(struct ctr_network *n, const struct ctr_net_request *q, const char *id, const char *state_dir,
		      const char *hostname, struct ctr_lease *out, struct ctr_announce **job, ctr_error **err)
{
	int r, lock = -1;
	struct ctr_leases ls = {0};
	struct ctr_lease l = {0};
	memset(out, 0, sizeof(*out));
	if (!(l.id = strdup(id)) || (state_dir && !(l.state_dir = strdup(state_dir))) ||
	    host_if_name(n->def.name, id, &l.host_if) < 0 || (hostname && !(l.hostname = strdup(hostname))) ||
	    (q->aliases && !(l.aliases = ctr_strv_dup((const char *const *)q->aliases)))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	if (q->n_ports) {
		if (!(l.ports = calloc(q->n_ports, sizeof(*l.ports)))) {
			r = ctr_err_nomem(err);
			goto out;
		}
		memcpy(l.ports, q->ports, q->n_ports * sizeof(*l.ports));
		l.n_ports = q->n_ports;
	}
	addrs_as_asked(&l, q);
	if ((r = ctr_ipam_lock(n->dir, &lock, err)) < 0 || (r = ctr_ipam_load(n->dir, &ls, err)) < 0)
		goto out;
	/*
	 * The leases of containers whose state dir is gone are reclaimed when
	 * they stand in the way of this one: one of its host ports, or (after
	 * an assignment failed) its id or address, or a full subnet.  Not on
	 * every attach: that was a stat per container on the network (and a
	 * netlink socket) in every create, a cost growing with the network.
	 * A vanished lease in nobody's way holds an address no one is given and
	 * a name in the others' hosts files that no container answers to.
	 */
	bool reclaimed = false;
	if (ls.n && ports_held(&ls, &l)) {
		reclaim_now(n, &ls);
		reclaimed = true;
	}
	r = ctr_ipam_assign(&n->def, &ls, &l, true, true, err);
	if (r < 0 && !reclaimed && (r == -EEXIST || r == -EADDRINUSE || r == -ENOSPC) && ls.n) {
		size_t before = ls.n;
		reclaim_now(n, &ls);
		if (ls.n < before) {
			/* as asked, not as the failed try left it (an address picked for one family) */
			addrs_as_asked(&l, q);
			if (err) {
				ctr_error_free(*err);
				*err = NULL;
			}
			r = ctr_ipam_assign(&n->def, &ls, &l, true, true, err);
		}
	}
	if (r < 0)
		goto out;
	if ((r = ctr_ipam_save(n->dir, &ls, err)) < 0)
		goto out;
	struct ctr_lease *mine = &ls.v[ls.n - 1];
	/* a copy for the caller */
	if (!(out->id = strdup(mine->id)) || (mine->state_dir && !(out->state_dir = strdup(mine->state_dir))) ||
	    !(out->host_if = strdup(mine->host_if)) || (mine->hostname && !(out->hostname = strdup(mine->hostname)))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	out->has_v4 = mine->has_v4;
	out->has_v6 = mine->has_v6;
	memcpy(out->ipv4, mine->ipv4, 16);
	memcpy(out->ipv6, mine->ipv6, 16);
	if (mine->n_ports) {
		if (!(out->ports = calloc(mine->n_ports, sizeof(*out->ports)))) {
			r = ctr_err_nomem(err);
			goto out;
		}
		memcpy(out->ports, mine->ports, mine->n_ports * sizeof(*out->ports));
		out->n_ports = mine->n_ports;
	}
	if (state_dir) {
		/* this container's names, and the others' hosts files learn about it */
		char *txt;
		size_t len;
		if ((r = ctr_names_hosts(&n->def, &ls, mine, NULL, &txt, &len, err)) < 0)
			goto out;
		r = ctr_names_write(state_dir, "hosts", txt, len, err);
		free(txt);
		if (r < 0)
			goto out;
		/* the others' hosts files: now (under this lock), or as a job the caller runs later */
		if (!job || !(*job = ctr_names_announce_job(n->dir, &n->def, &ls, mine)))
			ctr_names_announce(n->ctx, n->dir, &n->def, &ls, mine);
	}
out:
	if (r < 0)
		ctr_lease_clear(out);
	ctr_lease_clear(&l);
	ctr_leases_free(&ls);
	ctr_ipam_unlock(lock);
	return r;
}

/* Drop the lease of id (with state_dir, only when it is that container's: another state
 * root may have a container of the same id on the network); *out gets it. */
static int lease_drop(struct ctr_network *n, const char *id, const char *state_dir, struct ctr_lease *out,
		      ctr_error **err)
{
	int r, lock = -1;
	struct ctr_leases ls = {0};
	memset(out, 0, sizeof(*out));
	if ((r = ctr_ipam_lock(n->dir, &lock, err)) < 0 || (r = ctr_ipam_load(n->dir, &ls, err)) < 0)
		goto out;
	ssize_t i = ctr_leases_find(&ls, id);
	if (i < 0 || (state_dir && ls.v[i].state_dir && strcmp(state_dir, ls.v[i].state_dir))) {
		r = -ENOENT;
		goto out;
	}
	*out = ls.v[i];
	memmove(&ls.v[i], &ls.v[i + 1], (ls.n - (size_t)i - 1) * sizeof(*ls.v));
	ls.n--;
	if ((r = ctr_ipam_save(n->dir, &ls, err)) < 0) {
		ctr_lease_clear(out);
		goto out;
	}
	ctr_names_withdraw(n->ctx, &n->def, &ls, out);
out:
	ctr_leases_free(&ls);
	ctr_ipam_unlock(lock);
	return r;
}

/*
 * A test hook at each step of an attach: tests/net/net-crash.sh kills the
 * runtime there to check that delete cleans up after a crash.  Only a
 * test-only program defines ctr_test_net_step() (tests/net/test-hooks.c,
 * linked with the internal archive into ctr-demo-testhooks).  Here it is a
 * weak, hidden, undefined symbol: the link of libctr.so resolves it to NULL
 * and leaves no dynamic reference, so nothing an embedder or the
 * environment does can reach it in the installed library.
 */
void ctr_test_net_step(const char *step) __attribute__((weak, visibility("hidden")));

static void test_step(const char *step)
{
	if (ctr_test_net_step)
		ctr_test_net_step(step);
}

/* Links, addresses, routes and ports of a lease in the namespace nsfd. */
static int lease_wire(struct ctr_network *n, const struct ctr_lease *l, int nsfd, ctr_error **err)
{
	int r;
	struct ctr_nl *nl = NULL, *cnl = NULL;
	struct ctr_nft_port *ports = NULL;
	size_t np = 0;
	unsigned br, eth;
	bool created;
	if ((r = ctr_nl_open(-1, &nl, err)) < 0 || (r = bridge_up(n->ctx, &n->def, nl, &br, &created, err)) < 0 ||
	    (r = ctr_nl_veth_add(nl, l->host_if, br, n->def.mtu, "eth0", nsfd, err)) < 0)
		goto out;
	if (l->n_ports) {
		unsigned hi;
		if ((r = ctr_nl_ifindex(nl, l->host_if, &hi, err)) < 0 || (hi && (r = ctr_nl_port_hairpin(nl, hi, err)) < 0))
			goto out;
	}
	test_step("veth");
	if ((r = ctr_nl_open(nsfd, &cnl, err)) < 0 || (r = ctr_nl_link_up(cnl, 1, 0, err)) < 0 ||
	    (r = ctr_nl_ifindex(cnl, "eth0", &eth, err)) < 0)
		goto out;
	if (!eth) {
		r = ctr_err(err, ENODEV, CTR_E_SYSTEM, "network '%s': eth0 did not appear in the namespace", n->def.name);
		goto out;
	}
	/* a network without IPv6 gives eth0 no IPv6 link-local address either: its DAD, MLD and router
	 * solicitations would reach every container on the bridge (ctr_nl_link_no_ll6); as docker */
	if (!l->has_v6 && (r = ctr_nl_link_no_ll6(cnl, eth, NULL, err)) < 0)
		goto out;
	if (l->has_v4 && (r = ctr_nl_addr_add(cnl, eth, AF_INET, l->ipv4, ctr_netdef_subnet(&n->def, AF_INET)->net.prefix,
					      err)) < 0)
		goto out;
	if (l->has_v6 && (r = ctr_nl_addr_add(cnl, eth, AF_INET6, l->ipv6,
					      ctr_netdef_subnet(&n->def, AF_INET6)->net.prefix, err)) < 0)
		goto out;
	if ((r = ctr_nl_link_up(cnl, eth, 0, err)) < 0)
		goto out;
	/* an internal network leads nowhere: no default route (as netavark) */
	if (l->has_v4 && !n->def.internal &&
	    (r = ctr_nl_default_route(cnl, eth, AF_INET, ctr_netdef_subnet(&n->def, AF_INET)->gateway, err)) < 0)
		goto out;
	if (l->has_v6 && !n->def.internal &&
	    (r = ctr_nl_default_route(cnl, eth, AF_INET6, ctr_netdef_subnet(&n->def, AF_INET6)->gateway, err)) < 0)
		goto out;
	test_step("addr");
	if ((r = nft_ports_of(l, &ports, &np, err)) < 0)
		goto out;
	if (np && (r = ctr_nft_ports_add(ports, np, err)) < 0)
		goto out;
	test_step("ports");
out:
	if (r < 0 && nl)
		(void)ctr_nl_link_del(nl, l->host_if, NULL);
	free(ports);
	ctr_nl_close(cnl);
	ctr_nl_close(nl);
	return r;
}

static int attach(struct ctr_network *n, const struct ctr_net_request *q, const char *id, const char *state_dir,
		  const char *hostname, int nsfd, ctr_error **err)
{
	struct ctr_lease l;
	int r = lease_take(n, q, id, state_dir, hostname, &l, NULL, err);
	if (r < 0)
		return r;
	if (nsfd >= 0 && (r = lease_wire(n, &l, nsfd, err)) < 0) {
		struct ctr_lease d;
		if (lease_drop(n, id, state_dir, &d, NULL) == 0)
			ctr_lease_clear(&d);
	}
	ctr_lease_clear(&l);
	return r;
}

static int detach(struct ctr_network *n, const char *id, const char *state_dir, ctr_error **err)
{
	struct ctr_lease l;
	int r = lease_drop(n, id, state_dir, &l, err);
	if (r < 0)
		return r;
	struct ctr_nl_del *mine = NULL;
	pthread_mutex_lock(&n->lock);
	ctr_nl_del_reap(&n->pending, false);
	pthread_mutex_unlock(&n->lock);
	lease_undo(n->ctx, NULL, &l, &mine);
	pthread_mutex_lock(&n->lock);
	ctr_nl_del_splice(&n->pending, mine);
	pthread_mutex_unlock(&n->lock);
	ctr_lease_clear(&l);
	return 0;
}

CTR_EXPORT int ctr_network_attach_netns(ctr_network *n, const char *id, int netns_fd, const ctr_net_options *opts,
					ctr_error **err)
{
	int r;
	ctr_net_options o;
	ctr_net_options_init(&o);
	if (!n || netns_fd < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_attach_netns: NULL network or bad fd");
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_net_options", err)) < 0)
		return r;
	if ((r = ctr_validate_id(id, err)) < 0)
		return r;
	struct ctr_net_request q = {0};
	o.hostname = NULL;
	if ((r = req_fill(&q, &o, err)) == 0)
		r = attach(n, &q, id, NULL, NULL, netns_fd, err);
	ctr_strv_free(q.aliases);
	free(q.hostname);
	free(q.ports);
	return r;
}

CTR_EXPORT int ctr_network_detach_netns(ctr_network *n, const char *id, ctr_error **err)
{
	if (!n || !id)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_detach_netns: NULL argument");
	int r = detach(n, id, NULL, err);
	if (r == -ENOENT)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "'%s' is not attached to network '%s'", id, n->def.name);
	return r;
}

CTR_EXPORT int ctr_network_reload(ctr_context *ctx, const char *net_dir, ctr_error **err)
{
	char **names = NULL;
	int r = ctr_network_list(ctx, net_dir, &names, err);
	if (r < 0)
		return r;
	size_t nn = ctr_strv_len((const char *const *)names), np = 0;
	struct ctr_network **nets = calloc(nn + 1, sizeof(*nets));
	struct ctr_leases *ls = calloc(nn + 1, sizeof(*ls));
	struct ctr_nft_net *nft = calloc(nn + 1, sizeof(*nft));
	struct ctr_nft_port *ports = NULL;
	if (!nets || !ls || !nft) {
		r = ctr_err_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		int lock = -1;
		if ((r = ctr_network_open(ctx, net_dir, &nets[i], names[i], err)) < 0 ||
		    (r = ctr_ipam_lock(nets[i]->dir, &lock, err)) < 0)
			goto out;
		r = ctr_ipam_load(nets[i]->dir, &ls[i], err);
		ctr_ipam_unlock(lock);
		if (r < 0)
			goto out;
		nft_net_of(&nets[i]->def, &nft[i]);
		for (size_t k = 0; k < ls[i].n; k++) {
			struct ctr_nft_port *p;
			size_t n;
			if ((r = nft_ports_of(&ls[i].v[k], &p, &n, err)) < 0)
				goto out;
			struct ctr_nft_port *v = n ? realloc(ports, (np + n) * sizeof(*v)) : ports;
			if (n && !v) {
				free(p);
				r = ctr_err_nomem(err);
				goto out;
			}
			ports = v;
			if (n)
				memcpy(ports + np, p, n * sizeof(*p));
			np += n;
			free(p);
		}
	}
	r = nn ? ctr_nft_rebuild(nft, nn, ports, np, err) : ctr_nft_fini(err);
out:
	for (size_t i = 0; nets && ls && i < nn; i++) {
		ctr_network_free(nets[i]);
		ctr_leases_free(&ls[i]);
	}
	free(nets);
	free(ls);
	free(nft);
	free(ports);
	ctr_strv_free(names);
	return r;
}

/* ---- the container lifecycle's side (net.h) ---- */

static const char *const mode_names[] = {"none", "host", "bridge", "container"};

const char *ctr_net_request_container(const ctr_net_request *q)
{
	return q->mode == REQ_CONTAINER ? q->target : NULL;
}

int ctr_net_edit_spec(const ctr_net_request *q, ctr_spec *spec, const char *state_dir, const char *join_netns,
		      ctr_error **err)
{
	int r;
	if (q->mode == REQ_HOST) {
		r = ctr_spec_remove_namespace(spec, "network", err);
		return r == -ENOENT ? 0 : r;
	}
	if (q->mode == REQ_CONTAINER) {
		if (!join_netns)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "network mode container:%s: no namespace to join",
				       q->target);
		return ctr_spec_set_namespace(spec, "network", join_netns, err);
	}
	if ((r = ctr_spec_set_namespace(spec, "network", NULL, err)) < 0)
		return r;
	static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
	static const char *const bind_opts[] = {"bind", "rprivate", NULL};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(files); i++) {
		char src[4096], dst[64];
		snprintf(src, sizeof(src), "%s/%s", state_dir, files[i]);
		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		if ((r = ctr_spec_add_mount(spec, dst, "bind", src, bind_opts, err)) < 0)
			return r;
	}
	return 0;
}

static int write_record(const char *state_dir, const ctr_net_request *q, ctr_error **err)
{
	json_object *o = json_object_new_object();
	if (!o)
		return ctr_err_nomem(err);
	json_object_object_add(o, "mode", json_object_new_string(mode_names[q->mode]));
	if (q->target)
		json_object_object_add(o, q->mode == REQ_BRIDGE ? "network" : "container", json_object_new_string(q->target));
	json_object_object_add(o, "netDir", json_object_new_string(q->net_dir));
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char path[4096];
	snprintf(path, sizeof(path), "%s/network.json", state_dir);
	int r = s ? ctr_write_file_atomic(path, s, len, 0600, err) : ctr_err_nomem(err);
	json_object_put(o);
	return r;
}

/* The container's resolv.conf: the host's, without nameservers on the host's loopback. */
static int write_resolv(ctr_context *ctx, const char *state_dir, bool want_v6, ctr_error **err)
{
	char *host = NULL, *txt = NULL;
	size_t hlen = 0, len;
	ctr_error *e = NULL;
	if (ctr_read_file("/etc/resolv.conf", 1 << 20, &host, &hlen, &e) < 0) {
		ctr_debug(ctx, "%s", ctr_error_message(e));
		ctr_error_free(e);
	}
	int r = ctr_names_resolv(host, hlen, want_v6, &txt, &len, err);
	if (r == 0)
		r = ctr_names_write(state_dir, "resolv.conf", txt, len, err);
	free(host);
	free(txt);
	return r;
}

struct ctr_net_taken {
	struct ctr_lease lease;
	ctr_context *ctx;
	struct ctr_announce *job; /* the others' hosts files learn the new container's names */
	pthread_t announcer;      /* running job, when started is set */
	bool started;
};

static void *announce_main(void *arg)
{
	ctr_names_announce_run(arg, true);
	return NULL;
}

/*
 * Run the announcement beside the rest of create (a thread of its own, all
 * signals blocked so that none of the embedder's handlers runs on it); in
 * the calling thread when no thread can be made.
 */
static void announce_start(struct ctr_net_taken *t)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t->started = pthread_create(&t->announcer, NULL, announce_main, t->job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!t->started)
		ctr_names_announce_run(t->job, true);
}

void ctr_net_taken_settle(struct ctr_net_taken *t)
{
	if (!t || !t->job)
		return;
	if (t->started)
		pthread_join(t->announcer, NULL);
	t->started = false;
	ctr_names_announce_finish(t->ctx, t->job);
	t->job = NULL;
}

void ctr_net_taken_free(struct ctr_net_taken *t)
{
	if (!t)
		return;
	ctr_net_taken_settle(t);
	ctr_lease_clear(&t->lease);
	free(t);
}

int ctr_net_prepare(ctr_context *ctx, const ctr_net_request *q, const char *id, const char *state_dir,
		    const char *hostname, struct ctr_net_taken **taken, ctr_error **err)
{
	int r;
	*taken = NULL;
	if (q->mode != REQ_BRIDGE && q->mode != REQ_NONE)
		return 0;
	const char *h = q->hostname ? q->hostname : hostname ? hostname : id;
	char hl[300];
	int hn = snprintf(hl, sizeof(hl), "%s\n", h);
	if ((r = ctr_names_write(state_dir, "hostname", hl, (size_t)hn, err)) < 0)
		return r;
	if (q->mode == REQ_NONE) {
		char *txt;
		size_t len;
		if ((r = ctr_names_hosts(NULL, NULL, NULL, h, &txt, &len, err)) < 0)
			return r;
		r = ctr_names_write(state_dir, "hosts", txt, len, err);
		free(txt);
		/* present even without a network, as podman makes it: programs expect the file */
		return r < 0 ? r : write_resolv(ctx, state_dir, false, err);
	}
	/* the record first: a crash from here on is undone by delete */
	if ((r = write_record(state_dir, q, err)) < 0)
		return r;
	struct ctr_network *n;
	if ((r = ctr_network_open(ctx, q->net_dir, &n, q->target, err)) < 0)
		return r;
	struct ctr_net_taken *t = calloc(1, sizeof(*t));
	if (!t) {
		ctr_network_free(n);
		return ctr_err_nomem(err);
	}
	t->ctx = ctx;
	r = lease_take(n, q, id, state_dir, h, &t->lease, &t->job, err);
	if (r == 0 && t->job)
		announce_start(t);
	if (r == 0)
		r = write_resolv(ctx, state_dir, t->lease.has_v6, err);
	if (r == 0)
		*taken = t;
	else
		ctr_net_taken_free(t);
	ctr_network_free(n);
	return r;
}

int ctr_net_setup(ctr_context *ctx, const ctr_net_request *q, const char *id, pid_t pid,
		  const struct ctr_net_taken *taken, ctr_error **err)
{
	if (q->mode != REQ_BRIDGE && q->mode != REQ_NONE)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return ctr_err_sys(err, errno, "container '%s': open %s", id, path);
	int r;
	if (q->mode == REQ_NONE) {
		struct ctr_nl *nl;
		if ((r = ctr_nl_open(nsfd, &nl, err)) == 0) {
			r = ctr_nl_link_up(nl, 1, 0, err); /* lo is ifindex 1 in every namespace */
			ctr_nl_close(nl);
		}
		close(nsfd);
		return r;
	}
	/* the lease this create's ctr_net_prepare took (no second read of every lease of the network) */
	struct ctr_network *n;
	if (!taken)
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "container '%s': network setup without the lease of its create",
			    id);
	else if ((r = ctr_network_open(ctx, q->net_dir, &n, q->target, err)) == 0) {
		r = lease_wire(n, &taken->lease, nsfd, err);
		ctr_network_free(n);
	}
	close(nsfd);
	return r;
}

void ctr_net_teardown(ctr_context *ctx, const char *state_dir, const char *id)
{
	char path[4096], *buf = NULL;
	size_t len;
	ctr_error *e = NULL;
	snprintf(path, sizeof(path), "%s/network.json", state_dir);
	if (ctr_read_file(path, 1 << 20, &buf, &len, &e) < 0) {
		ctr_error_free(e);
		return; /* no bridge network */
	}
	json_object *o = json_tokener_parse(buf);
	free(buf);
	json_object *v;
	const char *net = NULL, *dir = NULL;
	if (o && json_object_object_get_ex(o, "network", &v))
		net = json_object_get_string(v);
	if (o && json_object_object_get_ex(o, "netDir", &v))
		dir = json_object_get_string(v);
	struct ctr_network *n = NULL;
	if (net && dir && ctr_network_open(ctx, dir, &n, net, &e) == 0) {
		int r = detach(n, id, state_dir, &e);
		if (r < 0 && r != -ENOENT)
			ctr_warn(ctx, "container '%s': network '%s': %s", id, net, ctr_error_message(e));
		ctr_network_free(n);
	} else if (net)
		ctr_warn(ctx, "container '%s': network '%s': %s", id, net, ctr_error_message(e));
	ctr_error_free(e);
	json_object_put(o);
	(void)unlink(path);
}

/* ---- attaching a container that exists (the lifecycle's lib/linux/container-net.c) ---- */

int ctr_net_attach_state(ctr_network *n, const char *id, const char *state_dir, int netns_fd,
			 const ctr_net_options *opts, ctr_error **err)
{
	int r;
	ctr_net_options o;
	ctr_net_options_init(&o);
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_net_options", err)) < 0)
		return r;
	char rec[4200];
	if (snprintf(rec, sizeof(rec), "%s/network.json", state_dir) >= (int)sizeof(rec))
		return ctr_err(err, ENAMETOOLONG, CTR_E_INVALID, "container '%s': state dir path too long", id);
	if (access(rec, F_OK) == 0)
		return ctr_err(err, EEXIST, CTR_E_EXISTS,
			       "container '%s' has a network already (%s): a container is on one bridge network", id, rec);
	struct ctr_net_request q = {.mode = REQ_BRIDGE, .target = n->def.name, .net_dir = n->net_dir};
	/* the record first, as at create: delete undoes a crash from here on */
	if ((r = req_fill(&q, &o, err)) == 0 && (r = write_record(state_dir, &q, err)) == 0 &&
	    (r = attach(n, &q, id, state_dir, o.hostname, netns_fd, err)) < 0)
		(void)unlink(rec);
	ctr_strv_free(q.aliases);
	free(q.hostname);
	free(q.ports);
	return r;
}

int ctr_net_detach_state(ctr_network *n, const char *id, const char *state_dir, ctr_error **err)
{
	char rec[4200];
	int r = detach(n, id, state_dir, err);
	if (r == -ENOENT)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' is not attached to network '%s'", id,
			       n->def.name);
	snprintf(rec, sizeof(rec), "%s/network.json", state_dir);
	(void)unlink(rec);
	return r;
}

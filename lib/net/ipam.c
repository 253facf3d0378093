/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPAM: address arithmetic, network definitions and the per-network lease
 * file (<netdir>/leases.json), changed under an flock on <netdir>/lock taken
 * on a fresh O_CLOEXEC fd per operation, so that processes and threads
 * serialize the same way (flock locks belong to the open file description).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>

#include "net/net-internal.h"

/* ---- addresses ---- */

size_t ctr_ip_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

int ctr_ip_parse(const char *buf, size_t len, int family, int *fam_out, unsigned char out[16])
{
	char s[INET6_ADDRSTRLEN + 1];
	if (len == 0 || len >= sizeof(s))
		return -EINVAL;
	memcpy(s, buf, len);
	s[len] = '\0';
	memset(out, 0, 16);
	int f = strchr(s, ':') ? AF_INET6 : AF_INET;
	if ((family && family != f) || inet_pton(f, s, out) != 1)
		return -EINVAL;
	if (fam_out)
		*fam_out = f;
	return 0;
}

void ctr_ip_str(int family, const unsigned char *a, char *buf, size_t n)
{
	if (!inet_ntop(family, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

int ctr_ipnet_parse(const char *buf, size_t len, bool strict, struct ctr_ipnet *out, ctr_error **err)
{
	const char *slash = memchr(buf, '/', len);
	if (!slash)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s' is not a CIDR subnet: write it as 10.89.0.0/24 or fd00::/64",
			       (int)len, buf);
	memset(out, 0, sizeof(*out));
	if (ctr_ip_parse(buf, (size_t)(slash - buf), 0, &out->family, out->addr) < 0)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s': '%.*s' is not an IPv4 or IPv6 address", (int)len,
			       buf, (int)(slash - buf), buf);
	unsigned max = out->family == AF_INET ? 32 : 128, p = 0;
	const char *q = slash + 1, *end = buf + len;
	if (q == end || end - q > 3)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s': the prefix length must be 0 to %u", (int)len, buf, max);
	for (; q < end; q++) {
		if (*q < '0' || *q > '9')
			return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s': the prefix length must be 0 to %u", (int)len,
				       buf, max);
		p = p * 10 + (unsigned)(*q - '0');
	}
	if (p > max)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s': the prefix length must be 0 to %u", (int)len, buf, max);
	out->prefix = p;
	if (strict) {
		struct ctr_ipnet m = *out;
		for (unsigned i = p; i < max; i++)
			m.addr[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
		if (memcmp(m.addr, out->addr, 16)) {
			char s[INET6_ADDRSTRLEN];
			ctr_ip_str(m.family, m.addr, s, sizeof(s));
			return ctr_err(err, EINVAL, CTR_E_INVALID, "'%.*s' has host bits set: did you mean %s/%u?", (int)len,
				       buf, s, p);
		}
	}
	return 0;
}

static bool prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++) {
		unsigned m = 0x80u >> (i % 8);
		if ((a[i / 8] & m) != (b[i / 8] & m))
			return false;
	}
	return true;
}

bool ctr_ipnet_contains(const struct ctr_ipnet *net, const unsigned char *a)
{
	return prefix_eq(net->addr, a, net->prefix);
}

bool ctr_ipnet_overlap(const struct ctr_ipnet *a, const struct ctr_ipnet *b)
{
	if (a->family != b->family)
		return false;
	return prefix_eq(a->addr, b->addr, a->prefix < b->prefix ? a->prefix : b->prefix);
}

/* a += 1, wrapping inside the host part of net. */
static void host_next(const struct ctr_ipnet *net, unsigned char *a)
{
	unsigned bits = (unsigned)ctr_ip_len(net->family) * 8;
	for (int i = (int)bits - 1; i >= (int)net->prefix; i--) {
		unsigned m = 0x80u >> (i % 8);
		if (a[i / 8] & m)
			a[i / 8] &= (unsigned char)~m;
		else {
			a[i / 8] |= (unsigned char)m;
			return;
		}
	}
}

static bool host_all(const struct ctr_ipnet *net, const unsigned char *a, bool ones)
{
	unsigned bits = (unsigned)ctr_ip_len(net->family) * 8;
	for (unsigned i = net->prefix; i < bits; i++)
		if (!!(a[i / 8] & (0x80u >> (i % 8))) != ones)
			return false;
	return true;
}

/* ---- network definitions ---- */

void ctr_netdef_free(struct ctr_netdef *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->bridge);
	free(d->created);
	memset(d, 0, sizeof(*d));
}

const struct ctr_subnet *ctr_netdef_subnet(const struct ctr_netdef *d, int family)
{
	for (size_t i = 0; i < d->n_subnets; i++)
		if (d->subnets[i].net.family == family)
			return &d->subnets[i];
	return NULL;
}

static const char *jget_str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *parse_json(const char *buf, size_t len, const char *what, ctr_error **err)
{
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		ctr_err_nomem(err);
		return NULL;
	}
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success || !json_object_is_type(o, json_type_object)) {
		if (o)
			json_object_put(o);
		ctr_err(err, EINVAL, CTR_E_PARSE, "%s: not a JSON object (%s): delete or repair the file", what,
			json_tokener_error_desc(je));
		return NULL;
	}
	return o;
}

int ctr_netdef_parse(const char *buf, size_t len, struct ctr_netdef *d, ctr_error **err)
{
	memset(d, 0, sizeof(*d));
	json_object *o = parse_json(buf, len, "network.json", err), *v;
	if (!o)
		return -EINVAL;
	int r = -EINVAL;
	const char *name = jget_str(o, "name"), *br = jget_str(o, "bridge"), *mac = jget_str(o, "mac"),
		   *created = jget_str(o, "created");
	if (!name || !br || !mac) {
		ctr_err(err, EINVAL, CTR_E_PARSE, "network.json: name, bridge and mac are required");
		goto out;
	}
	if (!(d->name = strdup(name)) || !(d->bridge = strdup(br)) || (created && !(d->created = strdup(created)))) {
		r = ctr_err_nomem(err);
		goto out;
	}
	unsigned m[6];
	if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
		ctr_err(err, EINVAL, CTR_E_PARSE, "network.json: mac: '%s' is not a MAC address", mac);
		goto out;
	}
	for (int i = 0; i < 6; i++)
		d->mac[i] = (unsigned char)m[i];
	if (json_object_object_get_ex(o, "mtu", &v))
		d->mtu = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "internal", &v))
		d->internal = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "subnets", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(v, i);
			const char *sub = jget_str(s, "subnet"), *gw = jget_str(s, "gateway");
			if (!sub || !gw || d->n_subnets == CTR_ARRAY_SIZE(d->subnets)) {
				ctr_err(err, EINVAL, CTR_E_PARSE, "network.json: subnets[%zu]: needs subnet and gateway (at most 2)", i);
				goto out;
			}
			struct ctr_subnet *sn = &d->subnets[d->n_subnets];
			if (ctr_ipnet_parse(sub, strlen(sub), true, &sn->net, err) < 0 ||
			    ctr_ip_parse(gw, strlen(gw), sn->net.family, NULL, sn->gateway) < 0) {
				ctr_err(err, EINVAL, CTR_E_PARSE, "network.json: subnets[%zu]: bad subnet or gateway", i);
				goto out;
			}
			d->n_subnets++;
		}
	}
	r = 0;
out:
	json_object_put(o);
	if (r < 0)
		ctr_netdef_free(d);
	return r;
}

static json_object *ip_json(int family, const unsigned char *a)
{
	char s[INET6_ADDRSTRLEN];
	ctr_ip_str(family, a, s, sizeof(s));
	return json_object_new_string(s);
}

static json_object *netdef_json(const struct ctr_netdef *d)
{
	json_object *o = json_object_new_object(), *subs = json_object_new_array();
	char mac[32], s[64];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2], d->mac[3],
		 d->mac[4], d->mac[5]);
	if (!o || !subs) {
		json_object_put(o);
		json_object_put(subs);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "bridge", json_object_new_string(d->bridge));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "mtu", json_object_new_int((int)d->mtu));
	json_object_object_add(o, "internal", json_object_new_boolean(d->internal));
	for (size_t i = 0; i < d->n_subnets; i++) {
		const struct ctr_subnet *sn = &d->subnets[i];
		json_object *j = json_object_new_object();
		char a[INET6_ADDRSTRLEN];
		ctr_ip_str(sn->net.family, sn->net.addr, a, sizeof(a));
		snprintf(s, sizeof(s), "%s/%u", a, sn->net.prefix);
		json_object_object_add(j, "subnet", json_object_new_string(s));
		json_object_object_add(j, "gateway", ip_json(sn->net.family, sn->gateway));
		json_object_array_add(subs, j);
	}
	json_object_object_add(o, "subnets", subs);
	if (d->created)
		json_object_object_add(o, "created", json_object_new_string(d->created));
	return o;
}

static int dump_json(json_object *o, char **out, size_t *len, ctr_error **err)
{
	size_t l;
	const char *s = o ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &l) : NULL;
	char *d = s ? strdup(s) : NULL;
	json_object_put(o);
	if (!d)
		return ctr_err_nomem(err);
	*out = d;
	if (len)
		*len = l;
	return 0;
}

int ctr_netdef_to_json(const struct ctr_netdef *d, char **out, ctr_error **err)
{
	return dump_json(netdef_json(d), out, NULL, err);
}

/* ---- leases ---- */

void ctr_lease_clear(struct ctr_lease *l)
{
	free(l->id);
	free(l->state_dir);
	free(l->host_if);
	free(l->hostname);
	ctr_strv_free(l->aliases);
	free(l->ports);
	memset(l, 0, sizeof(*l));
}

void ctr_leases_free(struct ctr_leases *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		ctr_lease_clear(&ls->v[i]);
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

ssize_t ctr_leases_find(const struct ctr_leases *ls, const char *id)
{
	for (size_t i = 0; i < ls->n; i++)
		if (!strcmp(ls->v[i].id, id))
			return (ssize_t)i;
	return -1;
}

static int dup_opt(char **dst, const char *s)
{
	if (!s)
		return 0;
	return (*dst = strdup(s)) ? 0 : -ENOMEM;
}

static int lease_parse(json_object *j, size_t i, struct ctr_lease *l, ctr_error **err)
{
	json_object *v;
	const char *id = jget_str(j, "id"), *s;
	if (!id)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "leases.json: leases[%zu]: id is required", i);
	if (dup_opt(&l->id, id) < 0 || dup_opt(&l->state_dir, jget_str(j, "stateDir")) < 0 ||
	    dup_opt(&l->host_if, jget_str(j, "hostInterface")) < 0 || dup_opt(&l->hostname, jget_str(j, "hostname")) < 0)
		return ctr_err_nomem(err);
	if ((s = jget_str(j, "ipv4"))) {
		if (ctr_ip_parse(s, strlen(s), AF_INET, NULL, l->ipv4) < 0)
			return ctr_err(err, EINVAL, CTR_E_PARSE, "leases.json: leases[%zu].ipv4: bad address '%s'", i, s);
		l->has_v4 = true;
	}
	if ((s = jget_str(j, "ipv6"))) {
		if (ctr_ip_parse(s, strlen(s), AF_INET6, NULL, l->ipv6) < 0)
			return ctr_err(err, EINVAL, CTR_E_PARSE, "leases.json: leases[%zu].ipv6: bad address '%s'", i, s);
		l->has_v6 = true;
	}
	if (json_object_object_get_ex(j, "aliases", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (!(l->aliases = calloc(n + 1, sizeof(char *))))
			return ctr_err_nomem(err);
		for (size_t k = 0; k < n; k++)
			if (!(l->aliases[k] = strdup(json_object_get_string(json_object_array_get_idx(v, k)))))
				return ctr_err_nomem(err);
	}
	if (json_object_object_get_ex(j, "ports", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (n && !(l->ports = calloc(n, sizeof(*l->ports))))
			return ctr_err_nomem(err);
		for (size_t k = 0; k < n; k++) {
			const char *p = json_object_get_string(json_object_array_get_idx(v, k));
			ctr_error *e = NULL;
			if (!p || ctr_port_mapping_parse(p, strlen(p), &l->ports[k], &e) < 0) {
				int r = ctr_err(err, EINVAL, CTR_E_PARSE, "leases.json: leases[%zu].ports[%zu]: %s", i, k,
						ctr_error_message(e));
				ctr_error_free(e);
				return r;
			}
			l->n_ports++;
		}
	}
	return 0;
}

/*
 * The canonical leases.json (what ctr_leases_to_json writes: its layout, the
 * known keys, strings without escapes) is read without json-c, whose object
 * tree took 0.7 ms for 450 leases on every attach and detach (this: a tenth).
 * Anything else, a value that does not check out included, is left to
 * json-c (the same result, and its errors).
 */
struct lcur {
	const char *p, *e;
};

static bool lc_lit(struct lcur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->e - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* a string without escapes or control characters; *s (not terminated) and *n */
static bool lc_str(struct lcur *c, const char **s, size_t *n)
{
	if (c->p >= c->e || *c->p != '"')
		return false;
	const char *q = c->p + 1;
	while (q < c->e && *q != '"') {
		if ((unsigned char)*q < 0x20)
			return false;
		q++;
	}
	if (q >= c->e)
		return false;
	*s = c->p + 1;
	*n = (size_t)(q - *s);
	c->p = q + 1;
	return true;
}

/* ["a", "b"] into a NULL-terminated copy: 1, 0 (not canonical), -ENOMEM */
static int lc_strv(struct lcur *c, char ***out)
{
	size_t n = 0, cap = 4;
	char **v = calloc(cap + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	int r = 1;
	if (!lc_lit(c, "["))
		r = 0;
	for (bool first = true; r == 1 && !lc_lit(c, "]"); first = false) {
		const char *s;
		size_t len;
		if ((!first && !lc_lit(c, ", ")) || !lc_str(c, &s, &len)) {
			r = 0;
			break;
		}
		if (n == cap) {
			char **g = realloc(v, (2 * cap + 1) * sizeof(char *));
			if (!g) {
				r = -ENOMEM;
				break;
			}
			v = g;
			cap *= 2;
		}
		if (!(v[n] = strndup(s, len))) {
			r = -ENOMEM;
			break;
		}
		v[++n] = NULL;
	}
	if (r == 1)
		*out = v;
	else
		ctr_strv_free(v);
	return r;
}

static int lc_set(char **dst, const char *s, size_t n)
{
	free(*dst);
	return (*dst = strndup(s, n)) ? 1 : -ENOMEM;
}

static int lc_lease(struct lcur *c, struct ctr_lease *l)
{
	if (!lc_lit(c, "{"))
		return 0;
	for (bool first = true; !lc_lit(c, "}"); first = false) {
		const char *k, *v;
		size_t kn, vn;
		int r = 1;
		if ((!first && !lc_lit(c, ", ")) || !lc_str(c, &k, &kn) || !lc_lit(c, ": "))
			return 0;
#define KEY(s) (kn == sizeof(s) - 1 && !memcmp(k, s, kn))
		if (KEY("aliases")) {
			char **a = NULL;
			if ((r = lc_strv(c, &a)) == 1) {
				ctr_strv_free(l->aliases);
				l->aliases = a;
			}
		} else if (KEY("ports")) {
			char **a = NULL;
			if ((r = lc_strv(c, &a)) < 1)
				return r;
			size_t n = 0;
			while (a[n])
				n++;
			ctr_port_mapping *ports = n ? calloc(n, sizeof(*ports)) : NULL;
			for (size_t i = 0; r == 1 && i < n; i++)
				if (!ports || ctr_port_mapping_parse(a[i], strlen(a[i]), &ports[i], NULL) < 0)
					r = ports ? 0 : -ENOMEM;
			ctr_strv_free(a);
			if (r < 1) {
				free(ports);
				return r;
			}
			free(l->ports);
			l->ports = ports;
			l->n_ports = n;
		} else if (!lc_str(c, &v, &vn)) {
			return 0;
		} else if (KEY("id")) {
			r = lc_set(&l->id, v, vn);
		} else if (KEY("stateDir")) {
			r = lc_set(&l->state_dir, v, vn);
		} else if (KEY("hostInterface")) {
			r = lc_set(&l->host_if, v, vn);
		} else if (KEY("hostname")) {
			r = lc_set(&l->hostname, v, vn);
		} else if (KEY("ipv4") || KEY("ipv6")) {
			bool v4 = KEY("ipv4");
			if (ctr_ip_parse(v, vn, v4 ? AF_INET : AF_INET6, NULL, v4 ? l->ipv4 : l->ipv6) < 0)
				return 0;
			*(v4 ? &l->has_v4 : &l->has_v6) = true;
		} else {
			return 0;
		}
#undef KEY
		if (r < 1)
			return r;
	}
	return l->id ? 1 : 0;
}

int ctr_leases_parse_canonical(const char *buf, size_t len, struct ctr_leases *out)
{
	struct lcur c = {buf, buf + len};
	const char *s;
	size_t n;
	if (memchr(buf, '\\', len) || !lc_lit(&c, "{\n"))
		return 0;
	if (lc_lit(&c, "  \"last4\": ")) {
		if (!lc_str(&c, &s, &n) || !lc_lit(&c, ",\n"))
			return 0;
		out->has_last4 = ctr_ip_parse(s, n, AF_INET, NULL, out->last4) == 0;
	}
	if (lc_lit(&c, "  \"last6\": ")) {
		if (!lc_str(&c, &s, &n) || !lc_lit(&c, ",\n"))
			return 0;
		out->has_last6 = ctr_ip_parse(s, n, AF_INET6, NULL, out->last6) == 0;
	}
	if (!lc_lit(&c, "  \"leases\": ["))
		return 0;
	if (!lc_lit(&c, "]\n}\n")) {
		size_t cap = 0;
		for (bool first = true; !lc_lit(&c, "\n  ]\n}\n"); first = false) {
			if (!lc_lit(&c, first ? "\n    " : ",\n    "))
				return 0;
			if (out->n == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct ctr_lease *g = realloc(out->v, nc * sizeof(*g));
				if (!g)
					return -ENOMEM;
				out->v = g;
				cap = nc;
			}
			memset(&out->v[out->n], 0, sizeof(out->v[0]));
			out->n++;
			int r = lc_lease(&c, &out->v[out->n - 1]);
			if (r < 1)
				return r;
		}
	}
	return c.p == c.e ? 1 : 0;
}

int ctr_leases_parse(const char *buf, size_t len, struct ctr_leases *out, ctr_error **err)
{
	memset(out, 0, sizeof(*out));
	int fast = ctr_leases_parse_canonical(buf, len, out);
	if (fast == 1)
		return 0;
	ctr_leases_free(out);
	if (fast < 0)
		return ctr_err_nomem(err);
	json_object *o = parse_json(buf, len, "leases.json", err), *v;
	if (!o)
		return -EINVAL;
	int r = 0;
	const char *s;
	if ((s = jget_str(o, "last4")) && ctr_ip_parse(s, strlen(s), AF_INET, NULL, out->last4) == 0)
		out->has_last4 = true;
	if ((s = jget_str(o, "last6")) && ctr_ip_parse(s, strlen(s), AF_INET6, NULL, out->last6) == 0)
		out->has_last6 = true;
	if (json_object_object_get_ex(o, "leases", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (n && !(out->v = calloc(n, sizeof(*out->v)))) {
			r = ctr_err_nomem(err);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			out->n++;
			if ((r = lease_parse(json_object_array_get_idx(v, i), i, &out->v[i], err)) < 0)
				goto out;
		}
	}
out:
	json_object_put(o);
	if (r < 0)
		ctr_leases_free(out);
	return r;
}

static void port_str(const ctr_port_mapping *p, char *buf, size_t n)
{
	char hp[16], cp[16];
	if (p->host_port_end != p->host_port)
		snprintf(hp, sizeof(hp), "%u-%u", p->host_port, p->host_port_end);
	else
		snprintf(hp, sizeof(hp), "%u", p->host_port);
	if (p->container_port_end != p->container_port)
		snprintf(cp, sizeof(cp), "%u-%u", p->container_port, p->container_port_end);
	else
		snprintf(cp, sizeof(cp), "%u", p->container_port);
	bool v6 = strchr(p->host_ip, ':') != NULL;
	snprintf(buf, n, "%s%s%s%s%s:%s/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", p->host_ip[0] ? ":" : "", hp, cp,
		 p->protocol == CTR_PORT_UDP ? "udp" : "tcp");
}

/*
 * leases.json is written directly, one lease a line, not through json-c's
 * object tree: every create and delete on a network rewrites it, and with
 * 500 containers json-c took 0.6 ms to build and print the tree (this: a
 * tenth of it).  ctr_leases_parse reads it back with json-c.
 */
/* ,"key":"value" (the first member of an object without the comma) */
static void jb_member(struct ctr_sbuf *b, bool first, const char *key, const char *val)
{
	ctr_sb_puts(b, first ? "\"" : ", \"");
	ctr_sb_puts(b, key);
	ctr_sb_puts(b, "\": ");
	ctr_sb_json_str(b, val);
}

static void jb_ip(struct ctr_sbuf *b, const char *key, int family, const unsigned char *a)
{
	char s[INET6_ADDRSTRLEN];
	ctr_ip_str(family, a, s, sizeof(s));
	jb_member(b, false, key, s);
}

static void lease_write(struct ctr_sbuf *b, const struct ctr_lease *l)
{
	ctr_sb_puts(b, "{");
	jb_member(b, true, "id", l->id);
	if (l->state_dir)
		jb_member(b, false, "stateDir", l->state_dir);
	if (l->host_if)
		jb_member(b, false, "hostInterface", l->host_if);
	if (l->hostname)
		jb_member(b, false, "hostname", l->hostname);
	if (l->has_v4)
		jb_ip(b, "ipv4", AF_INET, l->ipv4);
	if (l->has_v6)
		jb_ip(b, "ipv6", AF_INET6, l->ipv6);
	if (l->aliases) {
		ctr_sb_puts(b, ", \"aliases\": [");
		for (size_t k = 0; l->aliases[k]; k++) {
			if (k)
				ctr_sb_puts(b, ", ");
			ctr_sb_json_str(b, l->aliases[k]);
		}
		ctr_sb_puts(b, "]");
	}
	if (l->n_ports) {
		ctr_sb_puts(b, ", \"ports\": [");
		for (size_t k = 0; k < l->n_ports; k++) {
			char s[128];
			port_str(&l->ports[k], s, sizeof(s));
			if (k)
				ctr_sb_puts(b, ", ");
			ctr_sb_json_str(b, s);
		}
		ctr_sb_puts(b, "]");
	}
	ctr_sb_puts(b, "}");
}

int ctr_leases_to_json(const struct ctr_leases *ls, char **out, size_t *len, ctr_error **err)
{
	struct ctr_sbuf b = {0};
	ctr_sb_puts(&b, "{\n");
	char s[INET6_ADDRSTRLEN];
	if (ls->has_last4) {
		ctr_ip_str(AF_INET, ls->last4, s, sizeof(s));
		ctr_sb_puts(&b, "  \"last4\": ");
		ctr_sb_json_str(&b, s);
		ctr_sb_puts(&b, ",\n");
	}
	if (ls->has_last6) {
		ctr_ip_str(AF_INET6, ls->last6, s, sizeof(s));
		ctr_sb_puts(&b, "  \"last6\": ");
		ctr_sb_json_str(&b, s);
		ctr_sb_puts(&b, ",\n");
	}
	ctr_sb_puts(&b, "  \"leases\": [");
	for (size_t i = 0; i < ls->n; i++) {
		ctr_sb_puts(&b, i ? ",\n    " : "\n    ");
		lease_write(&b, &ls->v[i]);
	}
	ctr_sb_puts(&b, ls->n ? "\n  ]\n}\n" : "]\n}\n");
	if (b.oom) {
		free(b.s);
		return ctr_err_nomem(err);
	}
	*out = b.s;
	if (len)
		*len = b.len;
	return 0;
}

/* ---- the lock and the file ---- */

int ctr_net_lock_path(const char *path, int *fd, ctr_error **err)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return ctr_err_sys(err, errno, "%s: open", path);
	while (flock(f, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(f);
			return ctr_err_sys(err, e, "%s: lock", path);
		}
	}
	*fd = f;
	return 0;
}

int ctr_ipam_lock(const char *netdir, int *fd, ctr_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/lock", netdir);
	if (access(netdir, F_OK) < 0 && errno == ENOENT)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: the network does not exist (no such directory)", netdir);
	return ctr_net_lock_path(path, fd, err);
}

void ctr_ipam_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int ctr_net_read(const char *path, char **buf, size_t *len, ctr_error **err)
{
	ctr_error *e = NULL;
	int r = ctr_read_file(path, 64u << 20, buf, len, &e);
	if (r < 0 && r != -ENOENT && err && !*err) {
		*err = e;
		e = NULL;
	}
	ctr_error_free(e);
	return r;
}

int ctr_ipam_load(const char *netdir, struct ctr_leases *ls, ctr_error **err)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/leases.json", netdir);
	int r = ctr_net_read(path, &buf, &len, err);
	if (r == -ENOENT) {
		memset(ls, 0, sizeof(*ls));
		return 0;
	}
	if (r < 0)
		return r;
	r = ctr_leases_parse(buf, len, ls, err);
	free(buf);
	if (r < 0)
		ctr_err_prefix(err, "%s", path);
	return r;
}

int ctr_ipam_save(const char *netdir, const struct ctr_leases *ls, ctr_error **err)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	int r = ctr_leases_to_json(ls, &buf, &len, err);
	if (r < 0)
		return r;
	/*
	 * Atomically (temporary file, rename) but without fsync: what a lease
	 * describes (veth pairs, addresses in a container's namespace) does not
	 * outlive a machine crash either, and after a reboot the leases of
	 * containers whose state is gone are reclaimed.  An fsync here would be
	 * most of the cost of an attach.
	 */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "leases.json.tmp.%d.%ld", (int)getpid(), (long)syscall(SYS_gettid));
	snprintf(path, sizeof(path), "%s/leases.json", netdir);
	r = ctr_names_write(netdir, tmp, buf, len, err);
	free(buf);
	if (r < 0)
		return r;
	char tpath[4096];
	snprintf(tpath, sizeof(tpath), "%s/%s", netdir, tmp);
	if (rename(tpath, path) < 0) {
		r = ctr_err_sys(err, errno, "%s: rename to %s", tpath, path);
		(void)unlink(tpath);
	}
	return r;
}

static bool lease_vanished(const struct ctr_lease *l)
{
	if (!l->state_dir)
		return false;
	struct stat st;
	return stat(l->state_dir, &st) < 0 && errno == ENOENT;
}

void ctr_ipam_reclaim(struct ctr_leases *ls, struct ctr_leases *gone)
{
	size_t k = 0;
	for (size_t i = 0; i < ls->n; i++) {
		if (!lease_vanished(&ls->v[i])) {
			ls->v[k++] = ls->v[i];
			continue;
		}
		struct ctr_lease *g = gone ? realloc(gone->v, (gone->n + 1) * sizeof(*g)) : NULL;
		if (g) {
			gone->v = g;
			gone->v[gone->n++] = ls->v[i];
		} else
			ctr_lease_clear(&ls->v[i]);
	}
	ls->n = k;
}

static bool addr_used(const struct ctr_leases *ls, int family, const unsigned char *a)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct ctr_lease *l = &ls->v[i];
		if (family == AF_INET && l->has_v4 && !memcmp(l->ipv4, a, 4))
			return true;
		if (family == AF_INET6 && l->has_v6 && !memcmp(l->ipv6, a, 16))
			return true;
	}
	return false;
}

static const char *addr_owner(const struct ctr_leases *ls, int family, const unsigned char *a)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct ctr_lease *l = &ls->v[i];
		if ((family == AF_INET && l->has_v4 && !memcmp(l->ipv4, a, 4)) ||
		    (family == AF_INET6 && l->has_v6 && !memcmp(l->ipv6, a, 16)))
			return l->id;
	}
	return "?";
}

static bool usable(const struct ctr_subnet *sn, const unsigned char *a)
{
	if (!ctr_ipnet_contains(&sn->net, a) || host_all(&sn->net, a, false))
		return false;
	if (sn->net.family == AF_INET && host_all(&sn->net, a, true))
		return false; /* broadcast */
	return memcmp(a, sn->gateway, ctr_ip_len(sn->net.family)) != 0;
}

static int assign_one(const struct ctr_netdef *d, const struct ctr_subnet *sn, struct ctr_leases *ls,
		      unsigned char *addr, bool is_static, ctr_error **err)
{
	int fam = sn->net.family;
	char s[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	ctr_ip_str(fam, sn->net.addr, net, sizeof(net));
	if (is_static) {
		ctr_ip_str(fam, addr, s, sizeof(s));
		if (!ctr_ipnet_contains(&sn->net, addr))
			return ctr_err(err, EINVAL, CTR_E_INVALID, "address %s is not in network '%s' (%s/%u)", s, d->name,
				       net, sn->net.prefix);
		if (!usable(sn, addr))
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "address %s is the network's %s address in '%s' (%s/%u): pick another one", s,
				       memcmp(addr, sn->gateway, ctr_ip_len(fam)) ? "network or broadcast" : "gateway",
				       d->name, net, sn->net.prefix);
		if (addr_used(ls, fam, addr))
			return ctr_err(err, EADDRINUSE, CTR_E_EXISTS,
				       "address %s is already in use by container '%s' in network '%s': pick another one or "
				       "delete that container", s, addr_owner(ls, fam, addr), d->name);
		return 0;
	}
	/* round robin from the last allocation; among n+4 consecutive candidates at least one is free */
	unsigned bits = (unsigned)ctr_ip_len(fam) * 8 - sn->net.prefix;
	unsigned long long size = bits >= 63 ? ~0ull : 1ull << bits, tries = ls->n + 4;
	if (tries > size)
		tries = size;
	unsigned char a[16];
	bool *has_last = fam == AF_INET ? &ls->has_last4 : &ls->has_last6;
	unsigned char *last = fam == AF_INET ? ls->last4 : ls->last6;
	memcpy(a, *has_last && ctr_ipnet_contains(&sn->net, last) ? last : sn->gateway, 16);
	for (unsigned long long t = 0; t < tries; t++) {
		host_next(&sn->net, a);
		if (usable(sn, a) && !addr_used(ls, fam, a)) {
			memcpy(addr, a, 16);
			memcpy(last, a, 16);
			*has_last = true;
			return 0;
		}
	}
	return ctr_err(err, ENOSPC, CTR_E_SYSTEM,
		       "network '%s' (%s/%u) has no free address left: delete containers or use a larger subnet", d->name,
		       net, sn->net.prefix);
}

int ctr_ipam_assign(const struct ctr_netdef *d, struct ctr_leases *ls, struct ctr_lease *req, bool want_v4,
		    bool want_v6, ctr_error **err)
{
	int r;
	if (ctr_leases_find(ls, req->id) >= 0)
		return ctr_err(err, EEXIST, CTR_E_EXISTS, "'%s' is attached to network '%s' already", req->id, d->name);
	const struct ctr_subnet *s4 = ctr_netdef_subnet(d, AF_INET), *s6 = ctr_netdef_subnet(d, AF_INET6);
	if (req->has_v4 && !s4)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "network '%s' has no IPv4 subnet for a static IPv4 address",
			       d->name);
	if (req->has_v6 && !s6)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "network '%s' has no IPv6 subnet for a static IPv6 address",
			       d->name);
	struct ctr_leases save = *ls; /* the round robin marks, restored on failure */
	if (s4 && (want_v4 || req->has_v4)) {
		if ((r = assign_one(d, s4, ls, req->ipv4, req->has_v4, err)) < 0)
			goto fail;
		req->has_v4 = true;
	}
	if (s6 && (want_v6 || req->has_v6)) {
		if ((r = assign_one(d, s6, ls, req->ipv6, req->has_v6, err)) < 0)
			goto fail;
		req->has_v6 = true;
	}
	struct ctr_lease *v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (!v) {
		r = ctr_err_nomem(err);
		goto fail;
	}
	ls->v = v;
	ls->v[ls->n++] = *req;
	memset(req, 0, sizeof(*req));
	return 0;
fail:
	memcpy(ls->last4, save.last4, 16);
	memcpy(ls->last6, save.last6, 16);
	ls->has_last4 = save.has_last4;
	ls->has_last6 = save.has_last6;
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests (no root) of lib/net: subnets and addresses, the published port
 * parser, IPAM (round robin, static, in use, full, reclaim, the lease file,
 * concurrent threads under the lock) and the names files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/net-internal.h"

static void test_ipnet_parse(void **state)
{
	(void)state;
	struct ctr_ipnet n;
	ctr_error *e = NULL;
	assert_int_equal(ctr_ipnet_parse("10.1.2.0/24", 11, true, &n, NULL), 0);
	assert_int_equal(n.family, AF_INET);
	assert_int_equal(n.prefix, 24);
	assert_int_equal(n.addr[2], 2);
	assert_int_equal(ctr_ipnet_parse("fd00:1::/64", 11, true, &n, NULL), 0);
	assert_int_equal(n.family, AF_INET6);
	assert_int_equal(ctr_ipnet_parse("10.1.2.3/24", 11, true, &n, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "did you mean 10.1.2.0/24"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_ipnet_parse("10.1.2.0/33", 11, true, &n, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "prefix length"));
	ctr_error_free(e);
	assert_int_equal(ctr_ipnet_parse("10.1.2.0", 8, true, &n, NULL), -EINVAL);
	assert_int_equal(ctr_ipnet_parse("nonsense/8", 10, true, &n, NULL), -EINVAL);
	/* (buf, len): the text need not end there */
	assert_int_equal(ctr_ipnet_parse("10.0.0.0/8XYZ", 10, true, &n, NULL), 0);
	assert_int_equal(n.prefix, 8);
}

static void test_overlap(void **state)
{
	(void)state;
	struct ctr_ipnet a, b;
	assert_int_equal(ctr_ipnet_parse("10.0.0.0/16", 11, true, &a, NULL), 0);
	assert_int_equal(ctr_ipnet_parse("10.0.5.0/24", 11, true, &b, NULL), 0);
	assert_true(ctr_ipnet_overlap(&a, &b));
	assert_true(ctr_ipnet_overlap(&b, &a));
	assert_int_equal(ctr_ipnet_parse("10.1.0.0/24", 11, true, &b, NULL), 0);
	assert_false(ctr_ipnet_overlap(&a, &b));
	assert_int_equal(ctr_ipnet_parse("fd00::/64", 9, true, &b, NULL), 0);
	assert_false(ctr_ipnet_overlap(&a, &b));
}

static void port_ok(const char *s, const char *ip, unsigned hp, unsigned hpe, unsigned cp, unsigned cpe, int proto)
{
	ctr_port_mapping m;
	ctr_error *e = NULL;
	int r = ctr_port_mapping_parse(s, strlen(s), &m, &e);
	if (r < 0)
		fail_msg("%s: %s", s, ctr_error_message(e));
	assert_string_equal(m.host_ip, ip);
	assert_int_equal(m.host_port, hp);
	assert_int_equal(m.host_port_end, hpe);
	assert_int_equal(m.container_port, cp);
	assert_int_equal(m.container_port_end, cpe);
	assert_int_equal(m.protocol, proto);
	assert_int_equal(m.size, sizeof(m));
}

static void port_bad(const char *s, const char *msg)
{
	ctr_port_mapping m;
	ctr_error *e = NULL;
	assert_int_equal(ctr_port_mapping_parse(s, strlen(s), &m, &e), -EINVAL);
	if (!strstr(ctr_error_message(e), msg))
		fail_msg("%s: '%s' does not say '%s'", s, ctr_error_message(e), msg);
	ctr_error_free(e);
}

static void test_ports(void **state)
{
	(void)state;
	port_ok("8080:80", "", 8080, 8080, 80, 80, CTR_PORT_TCP);
	port_ok("80", "", 80, 80, 80, 80, CTR_PORT_TCP);
	port_ok("53/udp", "", 53, 53, 53, 53, CTR_PORT_UDP);
	port_ok("127.0.0.1:8080:80/tcp", "127.0.0.1", 8080, 8080, 80, 80, CTR_PORT_TCP);
	port_ok("9000-9009:7000-7009/udp", "", 9000, 9009, 7000, 7009, CTR_PORT_UDP);
	port_ok("[::1]:8443:443", "::1", 8443, 8443, 443, 443, CTR_PORT_TCP);
	port_ok("10.0.0.1:1-2:3-4", "10.0.0.1", 1, 2, 3, 4, CTR_PORT_TCP);
	port_bad("8080:80/sctp", "unknown protocol 'sctp'");
	port_bad("8080:0", "container port '0'");
	port_bad("65536:80", "host port '65536'");
	port_bad("9000-9001:80", "different lengths");
	port_bad("9001-9000:80-81", "host port");
	port_bad("::1:80:80", "too many ':'");
	port_bad("1.2.3:80:80", "not an IPv4 address");
	port_bad("[::1:80:80", "[ipv6]:hostport:containerport");
	port_bad(":80", "a host port is required");
	port_bad("", "container port");
	/* (buf, len) */
	ctr_port_mapping m;
	assert_int_equal(ctr_port_mapping_parse("8080:80/udpXX", 11, &m, NULL), 0);
	assert_int_equal(m.protocol, CTR_PORT_UDP);
}

static void def_init(struct ctr_netdef *d, const char *sub4, const char *sub6)
{
	memset(d, 0, sizeof(*d));
	d->name = strdup("t");
	d->bridge = strdup("ctrt");
	d->mtu = 1500;
	const char *subs[] = {sub4, sub6};
	for (int i = 0; i < 2; i++) {
		if (!subs[i])
			continue;
		struct ctr_subnet *sn = &d->subnets[d->n_subnets++];
		assert_int_equal(ctr_ipnet_parse(subs[i], strlen(subs[i]), true, &sn->net, NULL), 0);
		memcpy(sn->gateway, sn->net.addr, 16);
		sn->gateway[ctr_ip_len(sn->net.family) - 1] |= 1;
	}
}

static char *ip4(const struct ctr_lease *l)
{
	static char s[64];
	ctr_ip_str(AF_INET, l->ipv4, s, sizeof(s));
	return s;
}

static int take(const struct ctr_netdef *d, struct ctr_leases *ls, const char *id, const char *stat, ctr_error **e)
{
	struct ctr_lease l = {0};
	l.id = strdup(id);
	if (stat) {
		l.has_v4 = true;
		inet_pton(AF_INET, stat, l.ipv4);
	}
	int r = ctr_ipam_assign(d, ls, &l, true, true, e);
	ctr_lease_clear(&l);
	return r;
}

static void test_assign(void **state)
{
	(void)state;
	struct ctr_netdef d;
	def_init(&d, "10.5.0.0/29", "fd05::/64");
	struct ctr_leases ls = {0};
	ctr_error *e = NULL;
	/* .0 network, .1 gateway, .7 broadcast: .2 to .6 */
	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof(id), "c%d", i);
		assert_int_equal(take(&d, &ls, id, NULL, NULL), 0);
		char want[16];
		snprintf(want, sizeof(want), "10.5.0.%d", i + 2);
		assert_string_equal(ip4(&ls.v[i]), want);
		assert_true(ls.v[i].has_v6);
	}
	assert_int_equal(take(&d, &ls, "full", NULL, &e), -ENOSPC);
	assert_non_null(strstr(ctr_error_message(e), "no free address"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(take(&d, &ls, "c1", NULL, &e), -EEXIST);
	ctr_error_free(e);
	e = NULL;
	/* free c2 (.4): round robin continues after the last (.6) and wraps to .4 */
	ctr_lease_clear(&ls.v[2]);
	memmove(&ls.v[2], &ls.v[3], 2 * sizeof(*ls.v));
	ls.n--;
	assert_int_equal(take(&d, &ls, "n", NULL, NULL), 0);
	assert_string_equal(ip4(&ls.v[ls.n - 1]), "10.5.0.4");
	ctr_leases_free(&ls);

	/* static: taken, gateway, broadcast, outside */
	assert_int_equal(take(&d, &ls, "s1", "10.5.0.5", NULL), 0);
	assert_string_equal(ip4(&ls.v[0]), "10.5.0.5");
	assert_int_equal(take(&d, &ls, "s2", "10.5.0.5", &e), -EADDRINUSE);
	assert_non_null(strstr(ctr_error_message(e), "already in use by container 's1'"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(take(&d, &ls, "s2", "10.5.0.1", &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "gateway"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(take(&d, &ls, "s2", "10.5.0.7", &e), -EINVAL);
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(take(&d, &ls, "s2", "10.6.0.2", &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "not in network"));
	ctr_error_free(e);
	/* a dynamic one skips the static .5 */
	assert_int_equal(take(&d, &ls, "d1", NULL, NULL), 0);
	assert_int_equal(take(&d, &ls, "d2", NULL, NULL), 0);
	assert_int_equal(take(&d, &ls, "d3", NULL, NULL), 0);
	assert_int_equal(take(&d, &ls, "d4", NULL, NULL), 0);
	for (size_t i = 1; i < ls.n; i++)
		assert_string_not_equal(ip4(&ls.v[i]), "10.5.0.5");
	ctr_leases_free(&ls);
	ctr_netdef_free(&d);
}

static void test_lease_file(void **state)
{
	(void)state;
	struct ctr_netdef d;
	def_init(&d, "10.6.0.0/24", "fd06::/64");
	struct ctr_leases ls = {0};
	struct ctr_lease l = {0};
	l.id = strdup("a");
	l.state_dir = strdup("/nonexistent/state/a");
	l.host_if = strdup("vc1");
	l.hostname = strdup("ha");
	const char *al[] = {"web", "db", NULL};
	l.aliases = ctr_strv_dup(al);
	l.ports = calloc(1, sizeof(*l.ports));
	assert_int_equal(ctr_port_mapping_parse("127.0.0.1:8080:80/udp", 21, l.ports, NULL), 0);
	l.n_ports = 1;
	assert_int_equal(ctr_ipam_assign(&d, &ls, &l, true, true, NULL), 0);
	assert_int_equal(take(&d, &ls, "b", NULL, NULL), 0);
	char *js;
	size_t len;
	assert_int_equal(ctr_leases_to_json(&ls, &js, &len, NULL), 0);
	struct ctr_leases back;
	assert_int_equal(ctr_leases_parse(js, len, &back, NULL), 0);
	free(js);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].id, "a");
	assert_string_equal(back.v[0].host_if, "vc1");
	assert_string_equal(back.v[0].aliases[1], "db");
	assert_int_equal(back.v[0].n_ports, 1);
	assert_int_equal(back.v[0].ports[0].host_port, 8080);
	assert_string_equal(back.v[0].ports[0].host_ip, "127.0.0.1");
	assert_int_equal(back.v[0].ports[0].protocol, CTR_PORT_UDP);
	assert_memory_equal(back.v[1].ipv6, ls.v[1].ipv6, 16);
	assert_true(back.has_last4 && back.has_last6);
	/* reclaim: "a" names a state dir that does not exist, "b" none (never reclaimed) */
	struct ctr_leases gone = {0};
	ctr_ipam_reclaim(&back, &gone);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.v[0].id, "b");
	assert_int_equal(gone.n, 1);
	assert_string_equal(gone.v[0].id, "a");
	ctr_leases_free(&gone);
	ctr_leases_free(&back);
	ctr_leases_free(&ls);
	/* bad documents */
	ctr_error *e = NULL;
	assert_int_equal(ctr_leases_parse("{\"leases\":[{}]}", 15, &back, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "id is required"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_leases_parse("[1]", 3, &back, &e), -EINVAL);
	ctr_error_free(e);
	e = NULL;
	const char *bad = "{\"leases\":[{\"id\":\"x\",\"ipv4\":\"1.2.3\"}]}";
	assert_int_equal(ctr_leases_parse(bad, strlen(bad), &back, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "bad address"));
	ctr_error_free(e);
	ctr_netdef_free(&d);
}

/* leases.json is printed by hand: every byte of a string survives the round trip through json-c */
static void test_lease_file_strings(void **state)
{
	(void)state;
	static const char odd[] = "/run/a \"q\" b\\c\n\t\x01\x1f\x7f \xc3\xa9 \xff/";
	struct ctr_leases ls = {0};
	ls.v = calloc(2, sizeof(*ls.v));
	assert_non_null(ls.v);
	ls.v[0].id = strdup("a");
	ls.v[0].state_dir = strdup(odd);
	ls.v[0].hostname = strdup("h\"x");
	const char *al[] = {"w\\1", "", NULL};
	ls.v[0].aliases = ctr_strv_dup(al);
	ls.v[1].id = strdup("b");
	ls.n = 2;
	char *js;
	size_t len;
	assert_int_equal(ctr_leases_to_json(&ls, &js, &len, NULL), 0);
	assert_int_equal(strlen(js), len);
	struct ctr_leases back;
	assert_int_equal(ctr_leases_parse(js, len, &back, NULL), 0);
	free(js);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].state_dir, odd);
	assert_string_equal(back.v[0].hostname, "h\"x");
	assert_string_equal(back.v[0].aliases[0], "w\\1");
	assert_string_equal(back.v[0].aliases[1], "");
	assert_null(back.v[0].aliases[2]);
	assert_false(back.v[0].has_v4 || back.v[1].has_v6 || back.has_last4);
	assert_null(back.v[1].state_dir);
	ctr_leases_free(&back);
	/* no leases at all */
	ls.n = 0;
	assert_int_equal(ctr_leases_to_json(&ls, &js, &len, NULL), 0);
	assert_int_equal(ctr_leases_parse(js, len, &back, NULL), 0);
	assert_int_equal(back.n, 0);
	free(js);
	ctr_leases_free(&back);
	ls.n = 2;
	ctr_leases_free(&ls);
}

static void leases_equal(const struct ctr_leases *a, const struct ctr_leases *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->has_last4, b->has_last4);
	assert_int_equal(a->has_last6, b->has_last6);
	assert_memory_equal(a->last4, b->last4, 4);
	assert_memory_equal(a->last6, b->last6, 16);
	for (size_t i = 0; i < a->n; i++) {
		const struct ctr_lease *x = &a->v[i], *y = &b->v[i];
		assert_string_equal(x->id, y->id);
#define OPT(f) assert_true((!x->f && !y->f) || (x->f && y->f && !strcmp(x->f, y->f)))
		OPT(state_dir);
		OPT(host_if);
		OPT(hostname);
#undef OPT
		assert_int_equal(x->has_v4, y->has_v4);
		assert_int_equal(x->has_v6, y->has_v6);
		assert_memory_equal(x->ipv4, y->ipv4, 4);
		assert_memory_equal(x->ipv6, y->ipv6, 16);
		assert_int_equal(!x->aliases, !y->aliases);
		for (size_t k = 0; x->aliases && (x->aliases[k] || y->aliases[k]); k++) {
			assert_non_null(x->aliases[k]);
			assert_non_null(y->aliases[k]);
			assert_string_equal(x->aliases[k], y->aliases[k]);
		}
		assert_int_equal(x->n_ports, y->n_ports);
		if (x->n_ports)
			assert_memory_equal(x->ports, y->ports, x->n_ports * sizeof(*x->ports));
	}
}

/* a copy of s with every "from" replaced by "to" */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += fl)
		n++;
	char *out = malloc(strlen(s) + n * tl + 1), *o = out;
	assert_non_null(out);
	for (const char *p = s, *q; *p; p = q + fl) {
		if (!(q = strstr(p, from))) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
	}
	*o = '\0';
	return out;
}

/*
 * leases.json as libctr writes it is read without json-c (ipam.c); what it
 * reads must be what json-c reads from the same leases laid out otherwise
 * (the fallback), for every kind of lease, and anything not quite canonical
 * (a key it does not know, a value that does not check out, a cut file) goes
 * to json-c, which gives the same result or the same error.
 */
static void test_lease_file_canonical(void **state)
{
	(void)state;
	struct ctr_netdef d;
	def_init(&d, "10.7.0.0/22", "fd07::/64");
	struct ctr_leases ls = {0};
	for (int i = 0; i < 300; i++) {
		struct ctr_lease l = {0};
		char id[32], sd[64], hi[16];
		snprintf(id, sizeof(id), "c%d", i);
		snprintf(sd, sizeof(sd), "/run/ctr/c%d", i);
		snprintf(hi, sizeof(hi), "vc%d", i);
		l.id = strdup(id);
		if (i % 5)
			l.state_dir = strdup(sd);
		if (i % 7)
			l.host_if = strdup(hi);
		if (i % 3)
			l.hostname = strdup(id);
		if (i % 4 == 1) {
			const char *al[] = {"web", id, NULL};
			l.aliases = ctr_strv_dup(al);
		} else if (i % 4 == 2) {
			const char *al[] = {NULL};
			l.aliases = ctr_strv_dup(al);
		}
		if (i % 6 == 1) {
			l.ports = calloc(2, sizeof(*l.ports));
			char p[64];
			snprintf(p, sizeof(p), "%d:80/tcp", 20000 + i);
			assert_int_equal(ctr_port_mapping_parse(p, strlen(p), &l.ports[0], NULL), 0);
			snprintf(p, sizeof(p), "[::1]:%d-%d:53-54/udp", 30000 + 2 * i, 30001 + 2 * i);
			assert_int_equal(ctr_port_mapping_parse(p, strlen(p), &l.ports[1], NULL), 0);
			l.n_ports = 2;
		}
		assert_int_equal(ctr_ipam_assign(&d, &ls, &l, i % 2 == 0, i % 3 != 2, NULL), 0);
	}
	char *js;
	size_t len;
	assert_int_equal(ctr_leases_to_json(&ls, &js, &len, NULL), 0);
	struct ctr_leases fast, slow;
	assert_int_equal(ctr_leases_parse(js, len, &fast, NULL), 0);
	struct ctr_leases tmp;
	memset(&tmp, 0, sizeof(tmp));
	assert_int_equal(ctr_leases_parse_canonical(js, len, &tmp), 1);
	ctr_leases_free(&tmp);
	/* the same document laid out otherwise: json-c reads it */
	char *other = replace_all(js, "\n    {", "\n     {");
	memset(&tmp, 0, sizeof(tmp));
	assert_int_equal(ctr_leases_parse_canonical(other, strlen(other), &tmp), 0);
	ctr_leases_free(&tmp);
	assert_int_equal(ctr_leases_parse(other, strlen(other), &slow, NULL), 0);
	leases_equal(&fast, &ls);
	leases_equal(&fast, &slow);
	ctr_leases_free(&slow);
	free(other);
	/* an unknown key: ignored, as json-c does */
	other = replace_all(js, "{\"id\": \"c7\"", "{\"id\": \"c7\", \"extra\": \"x\"");
	memset(&tmp, 0, sizeof(tmp));
	assert_int_equal(ctr_leases_parse_canonical(other, strlen(other), &tmp), 0);
	ctr_leases_free(&tmp);
	assert_int_equal(ctr_leases_parse(other, strlen(other), &slow, NULL), 0);
	leases_equal(&fast, &slow);
	ctr_leases_free(&slow);
	free(other);
	/* a bad address in canonical layout: json-c's error */
	ctr_error *e = NULL;
	other = replace_all(js, "\"ipv4\": \"10.7.0.", "\"ipv4\": \"10.7.0.999");
	assert_int_equal(ctr_leases_parse(other, strlen(other), &slow, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "bad address"));
	ctr_error_free(e);
	free(other);
	/* every cut of the file (a crash mid-write is not one: the file is renamed into place) */
	for (size_t cut = 0; cut < len; cut += 97) {
		memset(&tmp, 0, sizeof(tmp));
		assert_int_equal(ctr_leases_parse_canonical(js, cut, &tmp), 0);
		ctr_leases_free(&tmp);
		e = NULL;
		int r = ctr_leases_parse(js, cut, &slow, &e);
		assert_int_equal(r, -EINVAL);
		ctr_error_free(e);
	}
	ctr_leases_free(&fast);
	ctr_leases_free(&ls);
	free(js);
	ctr_netdef_free(&d);
}

struct worker {
	const char *dir;
	const struct ctr_netdef *d;
	int first, n, failures;
};

static void *work(void *p)
{
	struct worker *w = p;
	for (int i = 0; i < w->n; i++) {
		int fd;
		struct ctr_leases ls;
		char id[32];
		snprintf(id, sizeof(id), "t%d", w->first + i);
		if (ctr_ipam_lock(w->dir, &fd, NULL) < 0) {
			w->failures++;
			continue;
		}
		if (ctr_ipam_load(w->dir, &ls, NULL) < 0 || take(w->d, &ls, id, NULL, NULL) < 0 ||
		    ctr_ipam_save(w->dir, &ls, NULL) < 0)
			w->failures++;
		ctr_leases_free(&ls);
		ctr_ipam_unlock(fd);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctr-ipam.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct ctr_netdef d;
	def_init(&d, "10.7.0.0/24", NULL);
	enum { T = 8, PER = 20 };
	pthread_t t[T];
	struct worker w[T];
	for (int i = 0; i < T; i++) {
		w[i] = (struct worker){dir, &d, i * PER, PER, 0};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	struct ctr_leases ls;
	assert_int_equal(ctr_ipam_load(dir, &ls, NULL), 0);
	assert_int_equal(ls.n, T * PER);
	for (size_t i = 0; i < ls.n; i++)
		for (size_t k = i + 1; k < ls.n; k++)
			assert_memory_not_equal(ls.v[i].ipv4, ls.v[k].ipv4, 4);
	ctr_leases_free(&ls);
	ctr_netdef_free(&d);
	char p[64];
	snprintf(p, sizeof(p), "%s/leases.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock", dir);
	unlink(p);
	rmdir(dir);
}

static void test_names(void **state)
{
	(void)state;
	const char host[] = "# comment\nsearch example.com\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
			    "nameserver ::1\noptions edns0\n";
	char *out;
	size_t len;
	assert_int_equal(ctr_names_resolv(host, sizeof(host) - 1, false, &out, &len, NULL), 0);
	assert_string_equal(out, "# comment\nsearch example.com\nnameserver 10.0.0.2\noptions edns0\n");
	free(out);
	const char lo[] = "nameserver 127.0.0.53\nsearch x\n";
	assert_int_equal(ctr_names_resolv(lo, sizeof(lo) - 1, true, &out, &len, NULL), 0);
	assert_non_null(strstr(out, "search x\n"));
	assert_non_null(strstr(out, "nameserver 8.8.8.8\n"));
	assert_non_null(strstr(out, "nameserver 2001:4860:4860::8888\n"));
	assert_null(strstr(out, "127.0.0.53"));
	free(out);
	assert_int_equal(ctr_names_resolv(NULL, 0, false, &out, &len, NULL), 0);
	assert_string_equal(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	free(out);

	struct ctr_netdef d;
	def_init(&d, "10.8.0.0/24", NULL);
	struct ctr_leases ls = {0};
	assert_int_equal(take(&d, &ls, "a", NULL, NULL), 0);
	assert_int_equal(take(&d, &ls, "b", NULL, NULL), 0);
	const char *al[] = {"web", NULL};
	ls.v[1].aliases = ctr_strv_dup(al);
	ls.v[1].hostname = strdup("hb");
	assert_int_equal(ctr_names_hosts(&d, &ls, &ls.v[0], "ha", &out, &len, NULL), 0);
	assert_non_null(strstr(out, "127.0.0.1\tlocalhost"));
	assert_non_null(strstr(out, "\n10.8.0.2\tha a\n"));
	assert_non_null(strstr(out, "\n10.8.0.3\thb b web\n"));
	assert_non_null(strstr(out, "\n10.8.0.1\thost.containers.internal\n"));
	assert_int_equal(strlen(out), len);
	free(out);
	ctr_leases_free(&ls);
	ctr_netdef_free(&d);
}

static void put(const char *dir, const char *name, const char *txt)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/hosts", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(txt, f);
	fclose(f);
}

static char *get(const char *dir, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s/hosts", dir, name);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* a departure drops only the departed's lines from the peers' hosts files */
static void test_withdraw(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctr-names.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct ctr_netdef d;
	def_init(&d, "10.8.0.0/24", NULL);
	struct ctr_leases ls = {0};
	const char *ids[] = {"gone", "p1", "p2", "p3"};
	char sd[4][256];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(take(&d, &ls, ids[i], NULL, NULL), 0);
		snprintf(sd[i], sizeof(sd[i]), "%s/%s", dir, ids[i]);
		ls.v[i].state_dir = strdup(sd[i]);
	}
	/* p1: the departed's line twice, once as the last line without its newline, and a line of its own */
	put(dir, "p1", "127.0.0.1\tlocalhost\n10.8.0.2\tgone\n10.8.0.3\tp1\n10.9.9.9 custom\n"
		       "10.8.0.20\tgoner\n10.8.0.2\tgone");
	/* p2: too large to read; rewritten from the leases */
	char p[1100];
	put(dir, "p2", "");
	snprintf(p, sizeof(p), "%s/p2/hosts", dir);
	assert_int_equal(truncate(p, (5 << 20)), 0);
	/* p3 has no hosts file: none is made */
	snprintf(p, sizeof(p), "%s/p3", dir);
	mkdir(p, 0700);
	struct ctr_lease gone = ls.v[0];
	memmove(&ls.v[0], &ls.v[1], (ls.n - 1) * sizeof(*ls.v));
	ls.n--;
	ctr_names_withdraw(NULL, &d, &ls, &gone);
	assert_string_equal(get(dir, "p1"), "127.0.0.1\tlocalhost\n10.8.0.3\tp1\n10.9.9.9 custom\n10.8.0.20\tgoner\n");
	char *want;
	size_t len;
	assert_int_equal(ctr_names_hosts(&d, &ls, &ls.v[1], NULL, &want, &len, NULL), 0);
	assert_string_equal(get(dir, "p2"), want);
	assert_null(strstr(want, "gone"));
	free(want);
	assert_null(get(dir, "p3"));
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/hosts", sd[i]);
		unlink(p);
		rmdir(sd[i]);
	}
	rmdir(dir);
	ctr_lease_clear(&gone);
	ctr_leases_free(&ls);
	ctr_netdef_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipnet_parse), cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_ports),       cmocka_unit_test(test_assign),
		cmocka_unit_test(test_lease_file),  cmocka_unit_test(test_lease_file_strings),
		cmocka_unit_test(test_lease_file_canonical),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_names),       cmocka_unit_test(test_withdraw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

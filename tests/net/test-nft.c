/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/nft.c against the real kernel, in a network namespace of its own
 * (unshare(CLONE_NEWNET) in this process, so the host's firewall is never
 * touched).  The table is read back with `nft -j list table inet ctr`: its
 * tables, sets, chains and rules with their handles make a "layout" string
 * that element changes must leave alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "internal.h"
#include "net/nft.h"

static void sh(const char *fmt, ...) CTR_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("'%s' exited %d", cmd, rc);
}

static char *run_out(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	pclose(f);
	return buf;
}

/* Call fn for every object (table, set, map, chain, rule) of
 * `nft -j list table inet ctr`; -1 when there is no table. */
typedef void (*object_fn)(const char *kind, json_object *obj, void *data);

static int each_object(object_fn fn, void *data)
{
	char *out = run_out("nft -j list table inet ctr 2>/dev/null");
	json_object *j = out[0] ? json_tokener_parse(out) : NULL, *arr;
	free(out);
	if (!j)
		return -1;
	assert_true(json_object_object_get_ex(j, "nftables", &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object_object_foreach(json_object_array_get_idx(arr, i), kind, obj) {
			if (strcmp(kind, "metainfo"))
				fn(kind, obj, data);
		}
	}
	json_object_put(j);
	return 0;
}

struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) CTR_PRINTF(2, 3);
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static const char *member(json_object *obj, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "";
}

static void layout_cb(const char *kind, json_object *obj, void *data)
{
	text_add(data, "%s:%s:%s ", kind, !strcmp(kind, "rule") ? member(obj, "chain") : member(obj, "name"),
		 member(obj, "handle"));
}

/* "table:ctr:1 set:nets4:1 ... rule:ports:10 ..." (elements left out) */
static char *layout(void)
{
	struct text t = { 0 };
	text_add(&t, "%s", "");
	each_object(layout_cb, &t);
	return t.s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void summary_cb(const char *kind, json_object *obj, void *data)
{
	json_object *elem = NULL, *expr = NULL;
	json_object_object_get_ex(obj, "expr", &expr);
	text_add(data, "%s:%s:%s", kind, member(obj, "name"), expr ? json_object_to_json_string(expr) : "");
	if (json_object_object_get_ex(obj, "elem", &elem)) {
		size_t n = json_object_array_length(elem);
		char **v = calloc(n + 1, sizeof(*v));
		assert_non_null(v);
		for (size_t k = 0; k < n; k++)
			v[k] = strdup(json_object_to_json_string(json_object_array_get_idx(elem, k)));
		qsort(v, n, sizeof(*v), cmp_str);
		for (size_t k = 0; k < n; k++) {
			text_add(data, " %s", v[k]);
			free(v[k]);
		}
		free(v);
	}
	text_add(data, "\n");
}

/* Objects by kind and name, with each set's elements sorted: equal for two
 * tables with the same content, whatever their handles and hash order. */
static char *summary(void)
{
	struct text t = { 0 };
	text_add(&t, "%s", "");
	each_object(summary_cb, &t);
	return t.s;
}

struct count {
	const char *kind, *set;
	int n;
};

static void count_cb(const char *kind, json_object *obj, void *data)
{
	struct count *c = data;
	json_object *elem;
	if (c->kind)
		c->n += !strcmp(kind, c->kind);
	else if ((!strcmp(kind, "set") || !strcmp(kind, "map")) && !strcmp(member(obj, "name"), c->set) &&
		 json_object_object_get_ex(obj, "elem", &elem))
		c->n = (int)json_object_array_length(elem);
}

/* Number of objects of a kind; -1 without table. */
static int count_kind(const char *kind)
{
	struct count c = { .kind = kind };
	return each_object(count_cb, &c) < 0 ? -1 : c.n;
}

/* Number of elements of a set or map (an interval counts once); -1 without table. */
static int n_elems(const char *set)
{
	struct count c = { .set = set };
	return each_object(count_cb, &c) < 0 ? -1 : c.n;
}

/* The table with its handles, as text. */
static char *table_now(void)
{
	return run_out("nft -a list table inet ctr 2>&1");
}

static void assert_table_is(const char *before)
{
	char *now = table_now();
	assert_string_equal(before, now);
	free(now);
}

static struct ctr_nft_net mknet(const char *name, const char *bridge, bool internal, const char *v4, unsigned p4,
				const char *v6, unsigned p6)
{
	struct ctr_nft_net n = { .name = name, .bridge = bridge, .internal = internal };
	if (v4) {
		n.subnets[n.n_subnets].family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, v4, n.subnets[n.n_subnets].addr), 1);
		n.subnets[n.n_subnets++].prefix = p4;
	}
	if (v6) {
		n.subnets[n.n_subnets].family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, v6, n.subnets[n.n_subnets].addr), 1);
		n.subnets[n.n_subnets++].prefix = p6;
	}
	return n;
}

static struct ctr_nft_port mkport(const char *proto, const char *hip, unsigned hp, unsigned hpe, const char *cip,
				  unsigned cp, const char *owner)
{
	struct ctr_nft_port p = { .proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP,
				  .host_port = (uint16_t)hp, .host_port_end = (uint16_t)hpe,
				  .container_port = (uint16_t)cp, .owner = owner };
	p.family = strchr(cip, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.family, cip, p.container_ip), 1);
	if (hip)
		assert_int_equal(inet_pton(p.family, hip, p.host_ip), 1);
	return p;
}

#define OK(call)                                                                            \
	do {                                                                                \
		ctr_error *e_ = NULL;                                                       \
		int r_ = (call);                                                            \
		if (r_ != 0)                                                                \
			fail_msg("%s: %d %s", #call, r_, ctr_error_message(e_));            \
		ctr_error_free(e_);                                                         \
	} while (0)

/* call must fail with -errnum; the message must contain each of the strings */
static void expect_fail(int ret, ctr_error *e, int errnum, const char *const *parts)
{
	assert_int_equal(ret, -errnum);
	assert_non_null(e);
	assert_int_equal(ctr_error_errno(e), errnum);
	for (; parts && *parts; parts++)
		if (!strstr(ctr_error_message(e), *parts))
			fail_msg("message '%s' lacks '%s'", ctr_error_message(e), *parts);
	ctr_error_free(e);
}
#define FAILS(errnum, call, ...)                                                            \
	do {                                                                                \
		ctr_error *e = NULL;                                                        \
		static const char *const parts_[] = { __VA_ARGS__, NULL };                  \
		int r_ = (call);                                                            \
		expect_fail(r_, e, errnum, parts_);                                         \
	} while (0)

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test-nft needs root\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	if (system("ip link set lo up && ip link add br0 type bridge && ip link add br1 type bridge && "
		   "ip link add bri type bridge") != 0)
		return -1;
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	return system("nft flush ruleset") == 0 ? 0 : -1;
}

static void test_init_idempotent(void **state)
{
	(void)state;
	assert_int_equal(count_kind("table"), -1);
	OK(ctr_nft_init(&e_));
	char *l1 = layout();
	assert_non_null(strstr(l1, "table:ctr:"));
	assert_non_null(strstr(l1, "rule:postrouting:"));
	assert_int_equal(count_kind("rule"), 19);
	assert_int_equal(count_kind("chain"), 5);
	assert_int_equal(count_kind("set") + count_kind("map"), 8);
	OK(ctr_nft_init(&e_));
	char *l2 = layout();
	assert_string_equal(l1, l2);
	free(l1);
	free(l2);
	OK(ctr_nft_fini(&e_));
	assert_int_equal(count_kind("table"), -1);
	OK(ctr_nft_fini(&e_)); /* absent: fine */
}

static void test_elements_only(void **state)
{
	(void)state;
	OK(ctr_nft_init(&e_));
	char *before = layout();
	struct ctr_nft_net n1 = mknet("n1", "br0", false, "10.88.0.0", 24, "fd00:88::", 64);
	struct ctr_nft_net ni = mknet("ni", "bri", true, "10.89.0.7", 24, NULL, 0);
	OK(ctr_nft_network_add(&n1, &e_));
	OK(ctr_nft_network_add(&n1, &e_)); /* again: no error, no change */
	OK(ctr_nft_network_add(&ni, &e_));
	assert_int_equal(n_elems("nets4"), 1);
	assert_int_equal(n_elems("nets6"), 1);
	assert_int_equal(n_elems("internal_ifs"), 1);
	assert_int_equal(n_elems("internal_self"), 1);
	char *rl = run_out("cat /proc/sys/net/ipv4/conf/br0/route_localnet");
	assert_string_equal(rl, "1\n");
	free(rl);

	struct ctr_nft_port p[] = {
		mkport("tcp", NULL, 8080, 0, "10.88.0.2", 80, "c1"),
		mkport("udp", "127.0.0.1", 5353, 5355, "10.88.0.2", 53, "c1"),
		mkport("tcp", NULL, 8080, 8080, "fd00:88::2", 80, "c1"),
		mkport("tcp", "fd00:51::2", 8443, 0, "fd00:88::2", 443, "c1"),
	};
	OK(ctr_nft_ports_add(p, 4, &e_));
	OK(ctr_nft_ports_add(p, 4, &e_)); /* identical again: no error */
	assert_int_equal(n_elems("dnat4_any"), 1);
	assert_int_equal(n_elems("dnat4_addr"), 3);
	assert_int_equal(n_elems("dnat6_any"), 1);
	assert_int_equal(n_elems("dnat6_addr"), 1);
	char *after = layout();
	assert_string_equal(before, after);
	free(after);

	OK(ctr_nft_ports_remove(p, 4, &e_));
	OK(ctr_nft_ports_remove(p, 4, &e_)); /* gone already: fine */
	assert_int_equal(n_elems("dnat4_any"), 0);
	assert_int_equal(n_elems("dnat4_addr"), 0);
	assert_int_equal(n_elems("dnat6_any"), 0);
	assert_int_equal(n_elems("dnat6_addr"), 0);
	OK(ctr_nft_network_remove(&n1, &e_));
	OK(ctr_nft_network_remove(&ni, &e_));
	OK(ctr_nft_network_remove(&ni, &e_));
	assert_int_equal(n_elems("nets4"), 0);
	assert_int_equal(n_elems("nets6"), 0);
	assert_int_equal(n_elems("internal_ifs"), 0);
	after = layout();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

static void test_missing_table_created(void **state)
{
	(void)state;
	/* elements on a flushed ruleset: the table comes back in the same batch */
	struct ctr_nft_port p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
	OK(ctr_nft_ports_add(&p, 1, &e_));
	assert_int_equal(count_kind("rule"), 19);
	assert_int_equal(n_elems("dnat4_any"), 1);
	/* removing from a missing table is not an error and creates nothing */
	sh("nft flush ruleset");
	OK(ctr_nft_ports_remove(&p, 1, &e_));
	assert_int_equal(count_kind("table"), -1);
}

static void test_conflicts(void **state)
{
	(void)state;
	struct ctr_nft_port a = mkport("tcp", NULL, 8080, 0, "10.88.0.2", 80, "c1");
	OK(ctr_nft_ports_add(&a, 1, &e_));
	char *before = table_now();

	struct ctr_nft_port b = mkport("tcp", NULL, 8080, 0, "10.88.0.3", 80, "c2");
	FAILS(EADDRINUSE, ctr_nft_ports_add(&b, 1, &e), "tcp/8080 is already published by 'c1'", "10.88.0.2:80");
	/* a specific host address against an any-address publication, inside a range */
	struct ctr_nft_port c[] = {
		mkport("tcp", NULL, 9000, 0, "10.88.0.3", 90, "c2"),
		mkport("tcp", "10.1.2.3", 8070, 8090, "10.88.0.3", 80, "c2"),
	};
	FAILS(EADDRINUSE, ctr_nft_ports_add(c, 2, &e), "published port [1]", "tcp/10.1.2.3:8080",
	      "already published by 'c1'");
	/* all or nothing: 9000 of the same call was not published */
	assert_table_is(before);
	/* two entries of one request */
	struct ctr_nft_port d[] = {
		mkport("udp", NULL, 53, 0, "10.88.0.3", 53, "c2"),
		mkport("udp", NULL, 50, 60, "10.88.0.4", 53, "c2"),
	};
	FAILS(EADDRINUSE, ctr_nft_ports_add(d, 2, &e), "published ports [", "udp/53 is published twice");
	/* no clash: other protocol, other family, other host port */
	struct ctr_nft_port f[] = {
		mkport("udp", NULL, 8080, 0, "10.88.0.3", 80, "c2"),
		mkport("tcp", NULL, 8080, 0, "fd00:88::3", 80, "c2"),
		mkport("tcp", "10.1.2.3", 8081, 0, "10.88.0.3", 80, "c2"),
	};
	OK(ctr_nft_ports_add(f, 3, &e_));
	/* removing c2's 8080 with c1's key does not take c1's publication */
	struct ctr_nft_port g = mkport("tcp", NULL, 8080, 0, "10.88.0.9", 80, "c9");
	OK(ctr_nft_ports_remove(&g, 1, &e_));
	assert_int_equal(n_elems("dnat4_any"), 2);
	free(before);
}

static void test_bad_input(void **state)
{
	(void)state;
	OK(ctr_nft_init(&e_));
	char *before = table_now();
	struct ctr_nft_port p = mkport("tcp", NULL, 8080, 8079, "10.88.0.2", 80, "c1");
	FAILS(EINVAL, ctr_nft_ports_add(&p, 1, &e), "published port [0]", "8080-8079");
	p = mkport("tcp", NULL, 1000, 1600, "10.88.0.2", 65000, "c1");
	FAILS(EINVAL, ctr_nft_ports_add(&p, 1, &e), "container port range");
	p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
	p.proto = IPPROTO_ICMP;
	FAILS(EINVAL, ctr_nft_ports_add(&p, 1, &e), "protocol 1");
	p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
	memset(p.container_ip, 0, sizeof(p.container_ip));
	FAILS(EINVAL, ctr_nft_ports_add(&p, 1, &e), "no container address");
	struct ctr_nft_net n = mknet("n1", "br0", false, "10.88.0.0", 33, NULL, 0);
	FAILS(EINVAL, ctr_nft_network_add(&n, &e), "network 'n1'", "/33");
	n = mknet("n1", "this-name-is-too-long", false, "10.88.0.0", 24, NULL, 0);
	FAILS(EINVAL, ctr_nft_network_add(&n, &e), "bridge name 'this-name-is-too-long'");
	n = mknet("n1", "nosuchbr", false, "10.88.0.0", 24, NULL, 0);
	FAILS(ENOENT, ctr_nft_network_add(&n, &e), "route_localnet", "nosuchbr");
	assert_table_is(before);
	free(before);
}

static void test_overlap(void **state)
{
	(void)state;
	struct ctr_nft_net n1 = mknet("n1", "br0", false, "10.88.0.0", 24, NULL, 0);
	OK(ctr_nft_network_add(&n1, &e_));
	char *before = table_now();
	struct ctr_nft_net n2 = mknet("n2", "br1", false, "10.0.0.0", 8, "fd00:99::", 64);
	FAILS(EEXIST, ctr_nft_network_add(&n2, &e), "network 'n2'", "10.0.0.0/8 overlaps", "network 'n1'");
	n2 = mknet("n2", "br1", false, "10.88.0.0", 24, NULL, 0); /* same subnet, other network */
	FAILS(EEXIST, ctr_nft_network_add(&n2, &e), "network 'n2'", "overlaps", "network 'n1'");
	assert_table_is(before);
	char *rl = run_out("cat /proc/sys/net/ipv4/conf/br1/route_localnet");
	assert_string_equal(rl, "0\n"); /* restored */
	free(rl);
	/* n2 removing "its" copy of n1's subnet takes nothing */
	OK(ctr_nft_network_remove(&n2, &e_));
	assert_int_equal(n_elems("nets4"), 1);
	/* adjacent subnets do not overlap */
	n2 = mknet("n2", "br1", false, "10.88.1.0", 24, NULL, 0);
	OK(ctr_nft_network_add(&n2, &e_));
	assert_int_equal(n_elems("nets4"), 2);
	free(before);
}

static void test_batch_atomic(void **state)
{
	(void)state;
	struct ctr_nft_net n1 = mknet("n1", "br0", false, "10.88.0.0", 24, NULL, 0);
	struct ctr_nft_port p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
	OK(ctr_nft_network_add(&n1, &e_));
	OK(ctr_nft_ports_add(&p, 1, &e_));
	char *before = table_now();
	/* state whose second network overlaps the first: the kernel refuses an
	 * element late in the batch, after the old table was deleted and the new
	 * one filled; the whole transaction goes, the old table stays */
	struct ctr_nft_net nets[] = { mknet("n1", "br0", false, "10.88.0.0", 24, "fd00:88::", 64),
				      mknet("n2", "br1", false, "10.88.0.128", 25, NULL, 0) };
	struct ctr_nft_port ports[] = { p, mkport("udp", NULL, 53, 0, "10.88.0.3", 53, "c2") };
	FAILS(EEXIST, ctr_nft_rebuild(nets, 2, ports, 2, &e), "rebuild", "elements of set nets4");
	assert_table_is(before);
	free(before);
}

static void test_rebuild(void **state)
{
	(void)state;
	struct ctr_nft_net nets[] = {
		mknet("n1", "br0", false, "10.88.0.0", 24, "fd00:88::", 64),
		mknet("ni", "bri", true, "10.89.0.0", 24, NULL, 0),
		/* a network whose bridge is not there (yet): its elements all the same */
		mknet("n3", "gonebr", false, "10.90.0.0", 24, NULL, 0),
	};
	struct ctr_nft_port ports[] = {
		mkport("tcp", NULL, 8080, 0, "10.88.0.2", 80, "c1"),
		mkport("udp", NULL, 7000, 7099, "fd00:88::3", 7000, "c2"),
	};
	OK(ctr_nft_network_add(&nets[0], &e_));
	OK(ctr_nft_network_add(&nets[1], &e_));
	OK(ctr_nft_ports_add(ports, 2, &e_));
	OK(ctr_nft_rebuild(nets, 3, ports, 2, &e_));
	assert_int_equal(n_elems("nets4"), 2);
	char *want = summary();
	/* stale extra element that the rebuild must drop */
	struct ctr_nft_port stale = mkport("tcp", NULL, 1234, 0, "10.88.0.9", 80, "gone");
	OK(ctr_nft_ports_add(&stale, 1, &e_));
	OK(ctr_nft_rebuild(nets, 3, ports, 2, &e_));
	char *got = summary();
	assert_string_equal(want, got);
	free(got);
	sh("nft flush ruleset");
	assert_int_equal(count_kind("table"), -1);
	OK(ctr_nft_rebuild(nets, 3, ports, 2, &e_));
	got = summary();
	assert_string_equal(want, got);
	assert_int_equal(n_elems("dnat6_any"), 100);
	free(got);
	free(want);
}

static void test_foreign_table(void **state)
{
	(void)state;
	sh("nft add table inet ctr");
	struct ctr_nft_port p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
	FAILS(EEXIST, ctr_nft_ports_add(&p, 1, &e), "not made by this libctr", "network reload");
	FAILS(EEXIST, ctr_nft_init(&e), "not made by this libctr");
	assert_int_equal(count_kind("rule"), 0);
	OK(ctr_nft_rebuild(NULL, 0, &p, 1, &e_)); /* the way out */
	assert_int_equal(count_kind("rule"), 19);
	assert_int_equal(n_elems("dnat4_any"), 1);
}

static void test_large_range(void **state)
{
	(void)state;
	/* 20000 elements: many element messages in one batch larger than the
	 * default socket buffer */
	struct ctr_nft_port p = mkport("tcp", NULL, 20000, 39999, "10.88.0.2", 20000, "big");
	OK(ctr_nft_ports_add(&p, 1, &e_));
	assert_int_equal(n_elems("dnat4_any"), 20000);
	struct ctr_nft_port q = mkport("tcp", NULL, 39999, 0, "10.88.0.3", 80, "other");
	FAILS(EADDRINUSE, ctr_nft_ports_add(&q, 1, &e), "tcp/39999", "'big'");
	OK(ctr_nft_ports_remove(&p, 1, &e_));
	assert_int_equal(n_elems("dnat4_any"), 0);
}

static void test_session(void **state)
{
	(void)state;
	struct ctr_nft *s = NULL;
	OK(ctr_nft_open(&s, &e_));
	struct ctr_nft_port a = mkport("tcp", NULL, 8080, 0, "10.88.0.2", 80, "c1");
	struct ctr_nft_port b = mkport("tcp", NULL, 8080, 0, "10.88.0.3", 80, "c2");
	OK(ctr_nft_ports_add_in(s, &a, 1, &e_)); /* creates the table on the way */
	assert_int_equal(count_kind("rule"), 19);
	FAILS(EADDRINUSE, ctr_nft_ports_add_in(s, &b, 1, &e), "already published by 'c1'");
	/* the session still works after a failed call */
	OK(ctr_nft_ports_remove_in(s, &a, 1, &e_));
	assert_int_equal(n_elems("dnat4_any"), 0);
	OK(ctr_nft_ports_add_in(s, &b, 1, &e_));
	assert_int_equal(n_elems("dnat4_any"), 1);
	ctr_nft_close(s);
	ctr_nft_close(NULL);
	FAILS(EINVAL, ctr_nft_ports_add_in(NULL, &a, 1, &e), "no session");
}

static void test_not_permitted(void **state)
{
	(void)state;
	/* without CAP_NET_ADMIN (an unprivileged uid) the error says what is missing */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		struct ctr_nft_port p = mkport("tcp", NULL, 80, 0, "10.88.0.2", 80, "c1");
		ctr_error *e = NULL;
		int r = ctr_nft_ports_add(&p, 1, &e);
		_exit(r == -EPERM && strstr(ctr_error_message(e), "CAP_NET_ADMIN") ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(count_kind("table"), -1);
}

static void test_concurrent(void **state)
{
	(void)state;
	/* 8 processes publish different ports and 4 the same one, all at once
	 * on a missing table: one table with one set of rules, 8 + 1 elements,
	 * and exactly one winner of the contested port */
	enum { N_DISTINCT = 8, N_SAME = 4 };
	pid_t pids[N_DISTINCT + N_SAME];
	for (int i = 0; i < N_DISTINCT + N_SAME; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char ip[32], owner[16];
			snprintf(ip, sizeof(ip), "10.88.0.%d", 10 + i);
			snprintf(owner, sizeof(owner), "p%d", i);
			struct ctr_nft_port p = mkport("tcp", NULL, i < N_DISTINCT ? 10000 + (unsigned)i : 7777, 0, ip,
						       80, owner);
			ctr_error *e = NULL;
			int r = ctr_nft_ports_add(&p, 1, &e);
			if (r < 0 && r != -EADDRINUSE)
				fprintf(stderr, "child %d: %s\n", i, ctr_error_message(e));
			_exit(r == 0 ? 0 : r == -EADDRINUSE ? 3 : 1);
		}
	}
	int winners = 0;
	for (int i = 0; i < N_DISTINCT + N_SAME; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		if (i < N_DISTINCT)
			assert_int_equal(WEXITSTATUS(st), 0);
		else if (WEXITSTATUS(st) == 0)
			winners++;
		else
			assert_int_equal(WEXITSTATUS(st), 3);
	}
	assert_int_equal(winners, 1);
	assert_int_equal(count_kind("table"), 1);
	assert_int_equal(count_kind("rule"), 19);
	assert_int_equal(n_elems("dnat4_any"), N_DISTINCT + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_idempotent, test_setup),
		cmocka_unit_test_setup(test_elements_only, test_setup),
		cmocka_unit_test_setup(test_missing_table_created, test_setup),
		cmocka_unit_test_setup(test_conflicts, test_setup),
		cmocka_unit_test_setup(test_bad_input, test_setup),
		cmocka_unit_test_setup(test_overlap, test_setup),
		cmocka_unit_test_setup(test_batch_atomic, test_setup),
		cmocka_unit_test_setup(test_rebuild, test_setup),
		cmocka_unit_test_setup(test_foreign_table, test_setup),
		cmocka_unit_test_setup(test_large_range, test_setup),
		cmocka_unit_test_setup(test_session, test_setup),
		cmocka_unit_test_setup(test_not_permitted, test_setup),
		cmocka_unit_test_setup(test_concurrent, test_setup),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP test-nft needs root (a network namespace of its own)\n");
		return getenv("CTR_TESTS_MUST_RUN") && !strcmp(getenv("CTR_TESTS_MUST_RUN"), "1") ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, group_setup, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libctr's nftables table, spoken to directly over nfnetlink with libnftnl
 * (no nft binary, no libnftables).  See nft.h for the layout.
 *
 * Every change is one NFNL_MSG_BATCH_BEGIN ... END batch: nf_tables applies a
 * batch as one transaction, so a failing element leaves the table untouched.
 * The kernel processes a batch synchronously inside sendmsg(), so all of its
 * answers are queued on our socket when sendto() returns and are read back
 * with MSG_DONTWAIT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "internal.h"
#include "linux/procfs.h"
#include "net/mnl-dl.h"
#include "net/nft.h"
#include "net/nftnl-dl.h"

/* libnftnl, opened on first use (net/nftnl-dl.h) */
static pthread_once_t nftnl_once = PTHREAD_ONCE_INIT;
static bool nftnl_ok;
static char nftnl_why[256];

static void nftnl_load(void)
{
#define CTR_NFTNL_NAME(f) #f,
	static const char *const names[] = {CTR_NFTNL_FUNCS(CTR_NFTNL_NAME)};
#undef CTR_NFTNL_NAME
	void *f[CTR_ARRAY_SIZE(names)];
	if (ctr_dl_open(CTR_NFTNL_SONAME, names, f, CTR_ARRAY_SIZE(names), nftnl_why, sizeof(nftnl_why)) < 0)
		return;
	size_t i = 0;
#define CTR_NFTNL_SET(fn) memcpy(&fn##_dl, &f[i++], sizeof(void *));
	CTR_NFTNL_FUNCS(CTR_NFTNL_SET)
#undef CTR_NFTNL_SET
	nftnl_ok = true;
}

/* Every entry point that may reach libnftnl asks first: 0, or an error naming the library. */
static int nftnl_need(ctr_error **err)
{
	pthread_once(&nftnl_once, nftnl_load);
	if (nftnl_ok)
		return 0;
	return ctr_err(err, ELIBACC, CTR_E_UNSUPPORTED,
		       "nftables (NAT, published ports): cannot load libnftnl: %s (install it: apt-get install "
		       "libnftnl11)",
		       nftnl_why);
}

/* The table's comment doubles as its layout version: a table "ctr" with
 * another comment was not made by this code and is not patched blindly. */
#define LAYOUT_COMMENT "managed by libctr (layout 1): do not edit; rebuild with ctr-demo network reload"

/* nft's datatype numbers (nftables src/datatype.h), so that `nft list` prints
 * the sets' keys as addresses, protocols and ports. */
enum { T_IPADDR = 7, T_IP6ADDR = 8, T_INET_PROTO = 12, T_INET_SERVICE = 13, T_IFNAME = 41 };
#define CAT2(a, b) (((a) << 6) | (b))
#define CAT3(a, b, c) (((((a) << 6) | (b)) << 6) | (c))

enum { S_NETS4, S_NETS6, S_INT_IFS, S_INT_SELF, S_D4A, S_D4ANY, S_D6A, S_D6ANY, S_COUNT };

static const struct set_def {
	const char *name;
	uint32_t flags, key_type, key_len, data_type, data_len;
} set_defs[S_COUNT] = {
	/* subnets of the non-internal networks: masqueraded, forwarded, hairpin */
	[S_NETS4] = { "nets4", NFT_SET_INTERVAL, T_IPADDR, 4, 0, 0 },
	[S_NETS6] = { "nets6", NFT_SET_INTERVAL, T_IP6ADDR, 16, 0, 0 },
	/* bridges of internal networks: nothing routed in or out */
	[S_INT_IFS] = { "internal_ifs", 0, T_IFNAME, IFNAMSIZ, 0, 0 },
	/* (bridge . bridge) of internal networks: bridged traffic seen by the
	 * forward hook when br_netfilter is loaded stays allowed */
	[S_INT_SELF] = { "internal_self", 0, CAT2(T_IFNAME, T_IFNAME), 2 * IFNAMSIZ, 0, 0 },
	/* published ports: (host addr . proto . port) or (proto . port) -> (addr . port) */
	[S_D4A] = { "dnat4_addr", NFT_SET_MAP, CAT3(T_IPADDR, T_INET_PROTO, T_INET_SERVICE), 12,
		    CAT2(T_IPADDR, T_INET_SERVICE), 8 },
	[S_D4ANY] = { "dnat4_any", NFT_SET_MAP, CAT2(T_INET_PROTO, T_INET_SERVICE), 8,
		      CAT2(T_IPADDR, T_INET_SERVICE), 8 },
	[S_D6A] = { "dnat6_addr", NFT_SET_MAP, CAT3(T_IP6ADDR, T_INET_PROTO, T_INET_SERVICE), 24,
		    CAT2(T_IP6ADDR, T_INET_SERVICE), 20 },
	[S_D6ANY] = { "dnat6_any", NFT_SET_MAP, CAT2(T_INET_PROTO, T_INET_SERVICE), 8,
		      CAT2(T_IP6ADDR, T_INET_SERVICE), 20 },
};

/* ---- elements ---------------------------------------------------------- */

struct elem {
	uint8_t set;
	uint8_t klen, dlen;
	uint8_t skip;           /* already present (add) or absent (remove) */
	uint8_t sub;            /* networks: index of the subnet it came from */
	uint32_t flags;         /* NFT_SET_ELEM_INTERVAL_END */
	uint32_t src;           /* index of the caller's entry it came from */
	unsigned char key[2 * IFNAMSIZ];
	unsigned char data[20];
	const char *comment;    /* owner; points into the caller's data or into owned[] */
};

struct elems {
	struct elem *v;
	size_t n, cap;
	char **owned;           /* comments read back from the kernel */
	size_t n_owned;
};

static void elems_free(struct elems *es)
{
	for (size_t i = 0; i < es->n_owned; i++)
		free(es->owned[i]);
	free(es->owned);
	free(es->v);
	memset(es, 0, sizeof(*es));
}

/* v with room for n + 1 items of size (capacity *cap, doubled as needed);
 * NULL (v untouched) when out of memory. */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(v, c * size);
	if (p)
		*cap = c;
	return p;
}

static struct elem *elems_push(struct elems *es)
{
	struct elem *v = grow(es->v, &es->cap, es->n, sizeof(*v));
	if (!v)
		return NULL;
	es->v = v;
	struct elem *e = &es->v[es->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void elems_sort(struct elems *es, int (*cmp)(const void *, const void *))
{
	if (es->n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(es->v, es->n, sizeof(*es->v), cmp);
}

/* ---- the netlink socket ------------------------------------------------ */

struct ctr_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char *rbuf;
};

enum { RBUF_SIZE = 32768 }; /* libmnl's MNL_SOCKET_DUMP_SIZE, newer than 1.0.4 */

static bool errno_is_missing_feature(int e)
{
	return e == ENOENT || e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == EAFNOSUPPORT;
}

/* ctr_err_sys() for nf_tables calls, with what to do about EPERM. */
static int nft_err_sys(ctr_error **err, int e, const char *fmt, ...) CTR_PRINTF(3, 4);
static int nft_err_sys(ctr_error **err, int e, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ctr_err(err, e, CTR_E_SYSTEM, "%s: %s%s", what, strerror(e),
		       e == EPERM || e == EACCES ? " (changing the firewall needs CAP_NET_ADMIN over this network "
						   "namespace: run as root)" : "");
}

static int nft_open(struct ctr_nft *s, ctr_error **err)
{
	memset(s, 0, sizeof(*s));
	int r = ctr_mnl_need(err);
	if (r < 0)
		return r;
	s->rbuf = malloc(RBUF_SIZE);
	if (!s->rbuf)
		return ctr_err_nomem(err);
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->nl) {
		int e = errno;
		free(s->rbuf);
		if (errno_is_missing_feature(e))
			return ctr_err(err, e, CTR_E_UNSUPPORTED,
				       "nftables: netlink netfilter socket: %s: the kernel lacks nfnetlink "
				       "(modprobe nfnetlink nf_tables)", strerror(e));
		return nft_err_sys(err, e, "nftables: netlink netfilter socket");
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(s->nl);
		free(s->rbuf);
		return nft_err_sys(err, e, "nftables: bind netlink netfilter socket");
	}
	/* acks without a copy of the (possibly large) request */
	int one = 1;
	(void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

static void nft_close(struct ctr_nft *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->rbuf);
	memset(s, 0, sizeof(*s));
}

/* Send one request (a GET) and run cb over the answers until done/ack. */
static int nft_query(struct ctr_nft *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->rbuf, RBUF_SIZE);
		if (n < 0)
			return -errno;
		int ret = mnl_cb_run(s->rbuf, (size_t)n, seq, s->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* ---- batches ----------------------------------------------------------- */

struct msginfo {
	uint32_t seq;
	char what[64];          /* "chain postrouting", "elements of set nets4" */
	char mods[64];          /* kernel modules the message needs */
};

struct batch {
	char *buf;
	size_t len, cap;
	uint32_t seq;
	struct msginfo *info;
	size_t n_info, cap_info;
	struct nlmsghdr *last;  /* the last message, which gets NLM_F_ACK */
};

/* Room reserved for each message; element messages carry at most
 * ELEMS_PER_MSG elements of < 400 bytes each. */
enum { MSG_ROOM = 128 * 1024, ELEMS_PER_MSG = 128 };

static void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->info);
	memset(b, 0, sizeof(*b));
}

static int batch_reserve(struct batch *b)
{
	if (b->cap - b->len >= MSG_ROOM)
		return 0;
	size_t cap = b->cap ? b->cap * 2 : 2 * MSG_ROOM;
	while (cap - b->len < MSG_ROOM)
		cap *= 2;
	char *buf = realloc(b->buf, cap);
	if (!buf)
		return -ENOMEM;
	/* keep b->last valid across the move */
	if (b->last)
		b->last = (struct nlmsghdr *)(buf + ((char *)b->last - b->buf));
	b->buf = buf;
	b->cap = cap;
	return 0;
}

static struct msginfo *batch_info(struct batch *b, uint32_t seq)
{
	struct msginfo *v = grow(b->info, &b->cap_info, b->n_info, sizeof(*v));
	if (!v)
		return NULL;
	b->info = v;
	struct msginfo *mi = &b->info[b->n_info++];
	memset(mi, 0, sizeof(*mi));
	mi->seq = seq;
	return mi;
}

static int batch_start(struct batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	if (batch_reserve(b) < 0)
		return -ENOMEM;
	b->seq = seq;
	struct msginfo *mi = batch_info(b, b->seq);
	if (!mi)
		return -ENOMEM;
	snprintf(mi->what, sizeof(mi->what), "nf_tables batch");
	snprintf(mi->mods, sizeof(mi->mods), "nf_tables");
	struct nlmsghdr *nlh = nftnl_batch_begin(b->buf, b->seq++);
	b->len += nlh->nlmsg_len;
	return 0;
}

/* A new message of the nf_tables subsystem at the end of the batch; the
 * caller fills it and calls batch_commit(). */
static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type, uint16_t flags, const char *mods,
				  const char *fmt, ...) CTR_PRINTF(5, 6);
static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type, uint16_t flags, const char *mods,
				  const char *fmt, ...)
{
	if (batch_reserve(b) < 0)
		return NULL;
	struct msginfo *mi = batch_info(b, b->seq);
	if (!mi)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(mi->what, sizeof(mi->what), fmt, ap);
	va_end(ap);
	snprintf(mi->mods, sizeof(mi->mods), "%s", mods ? mods : "");
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_INET, flags, b->seq++);
}

static void batch_commit(struct batch *b, struct nlmsghdr *nlh)
{
	b->last = nlh;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static const struct msginfo *batch_find(const struct batch *b, uint32_t seq)
{
	for (size_t i = 0; i < b->n_info; i++)
		if (b->info[i].seq == seq)
			return &b->info[i];
	return NULL;
}

/*
 * Send the batch.  Returns 0, or -errno of the first failing message with
 * *failed pointing at its description (NULL when the failure is not tied to
 * one message); the error object is left to the caller, who knows what the
 * elements mean, except for failures that are not about a message.
 */
static int batch_send(struct ctr_nft *s, struct batch *b, const struct msginfo **failed, ctr_error **err)
{
	*failed = NULL;
	if (batch_reserve(b) < 0)
		return ctr_err_nomem(err);
	/* at least one answer tells that the batch was processed */
	if (b->last)
		b->last->nlmsg_flags |= NLM_F_ACK;
	struct nlmsghdr *end = nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += end->nlmsg_len;

	int fd = mnl_socket_get_fd(s->nl);
	if (b->len > 128 * 1024) {
		/* netlink refuses a message larger than the send buffer; root may
		 * raise it past wmem_max (we need CAP_NET_ADMIN for nf_tables anyway) */
		int sz = (int)(b->len + 4096);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		sz = 4 * 1024 * 1024;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (mnl_socket_sendto(s->nl, b->buf, b->len) < 0)
		return nft_err_sys(err, errno, "nftables: send batch of %zu bytes", b->len);

	int first = 0;
	uint32_t first_seq = 0;
	size_t answers = 0;
	for (;;) {
		ssize_t n = recv(fd, s->rbuf, RBUF_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return nft_err_sys(err, errno, "nftables: read the answers to a batch");
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)s->rbuf;
		int len = (int)n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			answers++;
			const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
			if (ne->error && (!first || nlh->nlmsg_seq < first_seq)) {
				first = -ne->error;
				first_seq = nlh->nlmsg_seq;
			}
		}
	}
	if (first) {
		*failed = batch_find(b, first_seq);
		return -first;
	}
	if (answers == 0)
		return ctr_err(err, EPROTO, CTR_E_SYSTEM, "nftables: no answer to a batch of %zu bytes", b->len);
	return 0;
}

/* The error for a failed message of the table's layout. */
static int layout_error(int ret, const struct msginfo *mi, ctr_error **err)
{
	int e = -ret;
	const char *what = mi ? mi->what : "batch";
	if (mi && mi->mods[0] && errno_is_missing_feature(e))
		return ctr_err(err, e, CTR_E_UNSUPPORTED,
			       "nftables: table inet " CTR_NFT_TABLE ": %s: %s: the kernel lacks a module it needs "
			       "(modprobe %s)", what, strerror(e), mi->mods);
	return nft_err_sys(err, e, "nftables: table inet " CTR_NFT_TABLE ": %s", what);
}

/* ---- the table's layout ------------------------------------------------ */

/* A rule under construction: expressions are appended, allocation failures
 * remembered; mods collects the kernel modules its expressions need. */
struct rb {
	struct nftnl_rule *r;
	bool oom;
	char mods[64];
};

static struct nftnl_expr *rb_expr(struct rb *rb, const char *name, const char *mod)
{
	if (rb->oom)
		return NULL;
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	if (!e) {
		rb->oom = true;
		return NULL;
	}
	nftnl_rule_add_expr(rb->r, e);
	if (mod && !strstr(rb->mods, mod)) {
		size_t l = strlen(rb->mods);
		snprintf(rb->mods + l, sizeof(rb->mods) - l, "%s%s", l ? " " : "", mod);
	}
	return e;
}

static void r_meta(struct rb *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(rb, "meta", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void r_payload(struct rb *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(rb, "payload", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

static void r_cmp(struct rb *rb, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "cmp", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		rb->oom = true;
}

static void r_bitwise(struct rb *rb, uint32_t reg, const void *mask, uint32_t len)
{
	static const unsigned char zero[16];
	struct nftnl_expr *e = rb_expr(rb, "bitwise", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
		rb->oom = true;
}

static void r_lookup(struct rb *rb, uint32_t sreg, int set, int dreg, bool inv)
{
	struct nftnl_expr *e = rb_expr(rb, "lookup", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set_defs[set].name) < 0)
		rb->oom = true;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set + 1);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

static void r_verdict(struct rb *rb, int verdict, const char *chain)
{
	struct nftnl_expr *e = rb_expr(rb, "immediate", NULL);
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		rb->oom = true;
}

/* meta nfproto ipv4|ipv6 */
static void r_nfproto(struct rb *rb, bool v6)
{
	uint8_t p = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	r_meta(rb, NFT_META_NFPROTO, NFT_REG32_00);
	r_cmp(rb, NFT_REG32_00, NFT_CMP_EQ, &p, 1);
}

/* ip/ip6 saddr|daddr [!=] @set */
static void r_addr_in(struct rb *rb, bool v6, bool daddr, int set, bool inv)
{
	uint32_t off = v6 ? (daddr ? 24 : 8) : (daddr ? 16 : 12);
	r_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, off, v6 ? 16 : 4, NFT_REG32_00);
	r_lookup(rb, NFT_REG32_00, set, -1, inv);
}

/* ct status dnat */
static void r_ct_dnat(struct rb *rb)
{
	uint32_t mask = IPS_DST_NAT, zero = 0;
	struct nftnl_expr *e = rb_expr(rb, "ct", "nft_ct");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG32_00);
	r_bitwise(rb, NFT_REG32_00, &mask, 4);
	r_cmp(rb, NFT_REG32_00, NFT_CMP_NEQ, &zero, 4);
}

/* fib daddr type local */
static void r_fib_local(struct rb *rb)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = rb_expr(rb, "fib", "nft_fib_inet");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG32_00);
	r_cmp(rb, NFT_REG32_00, NFT_CMP_EQ, &local, 4);
}

static void r_masq(struct rb *rb)
{
	rb_expr(rb, "masq", "nft_masq");
}

/*
 * dnat through one of the port maps.  The key is a concatenation whose
 * fields each take whole 32-bit registers: [addr] . l4proto . th dport; the
 * map's value (addr . port) lands in the registers from REG32_00 on.
 */
static void r_dnat_map(struct rb *rb, bool v6, bool with_addr, int set)
{
	uint32_t reg = NFT_REG32_00;
	r_nfproto(rb, v6);
	if (with_addr) {
		r_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, v6 ? 16 : 4, reg);
		reg += v6 ? 4 : 1;
	}
	r_meta(rb, NFT_META_L4PROTO, reg);
	r_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg + 1);
	r_lookup(rb, NFT_REG32_00, set, NFT_REG32_00, false);
	struct nftnl_expr *e = rb_expr(rb, "nat", "nft_nat nf_nat");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, v6 ? NFT_REG32_04 : NFT_REG32_01);
}

/* The rules; those marked "per family" are made once for IPv4 and once for IPv6. */
enum rule_id {
	R_JUMP_PORTS,   /* fib daddr type local jump ports */
	R_DNAT_ADDR,    /* per family: dnat to (daddr . l4proto . dport) map @dnat{4,6}_addr */
	R_DNAT_ANY,     /* per family: dnat to (l4proto . dport) map @dnat{4,6}_any */
	R_HAIRPIN,      /* per family: ct status dnat, saddr and daddr in @nets: masquerade */
	R_LOCALHOST4,   /* ct status dnat, saddr 127.0.0.0/8, daddr in @nets4: masquerade */
	R_MASQ,         /* per family: saddr in @nets, daddr not: masquerade */
	R_INT_SELF,     /* iifname . oifname in @internal_self: accept */
	R_INT_IN,       /* iifname in @internal_ifs: drop */
	R_INT_OUT,      /* oifname in @internal_ifs: drop */
	R_ESTABLISHED,  /* ct state established,related: accept */
	R_FROM,         /* per family: saddr in @nets: accept */
	R_DNATED,       /* per family: ct status dnat, daddr in @nets: accept */
};

struct rule_def {
	enum rule_id id;
	bool v6;
};

static void rule_body(struct rb *rb, struct rule_def r)
{
	static const unsigned char lo4_mask[4] = { 255, 0, 0, 0 }, lo4[4] = { 127, 0, 0, 0 };
	bool v6 = r.v6;
	int nets = v6 ? S_NETS6 : S_NETS4;
	switch (r.id) {
	case R_JUMP_PORTS:
		r_fib_local(rb);
		r_verdict(rb, NFT_JUMP, "ports");
		break;
	case R_DNAT_ADDR:
		r_dnat_map(rb, v6, true, v6 ? S_D6A : S_D4A);
		break;
	case R_DNAT_ANY:
		r_dnat_map(rb, v6, false, v6 ? S_D6ANY : S_D4ANY);
		break;
	case R_HAIRPIN:
		/* a container reaching a published port through a host address:
		 * the answer must come back through the host to be un-NATed */
		r_nfproto(rb, v6);
		r_ct_dnat(rb);
		r_addr_in(rb, v6, false, nets, false);
		r_addr_in(rb, v6, true, nets, false);
		r_masq(rb);
		break;
	case R_LOCALHOST4:
		/* 127.0.0.1:port from the host: DNATed in output, then the source
		 * must become the bridge's address (route_localnet lets it leave).
		 * IPv6 has no route_localnet: [::1] is not DNATed off the host. */
		r_nfproto(rb, false);
		r_ct_dnat(rb);
		r_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_00);
		r_bitwise(rb, NFT_REG32_00, lo4_mask, 4);
		r_cmp(rb, NFT_REG32_00, NFT_CMP_EQ, lo4, 4);
		r_addr_in(rb, false, true, S_NETS4, false);
		r_masq(rb);
		break;
	case R_MASQ:
		/* outbound: from a network's subnet to anything outside the networks */
		r_nfproto(rb, v6);
		r_addr_in(rb, v6, false, nets, false);
		r_addr_in(rb, v6, true, nets, true);
		r_masq(rb);
		break;
	case R_INT_SELF:
		r_meta(rb, NFT_META_IIFNAME, NFT_REG32_00);
		r_meta(rb, NFT_META_OIFNAME, NFT_REG32_04);
		r_lookup(rb, NFT_REG32_00, S_INT_SELF, -1, false);
		r_verdict(rb, NF_ACCEPT, NULL);
		break;
	case R_INT_IN:
	case R_INT_OUT:
		r_meta(rb, r.id == R_INT_IN ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_REG32_00);
		r_lookup(rb, NFT_REG32_00, S_INT_IFS, -1, false);
		r_verdict(rb, NF_DROP, NULL);
		break;
	case R_ESTABLISHED: {
		uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;
		struct nftnl_expr *e = rb_expr(rb, "ct", "nft_ct");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG32_00);
		}
		r_bitwise(rb, NFT_REG32_00, &mask, 4);
		r_cmp(rb, NFT_REG32_00, NFT_CMP_NEQ, &zero, 4);
		r_verdict(rb, NF_ACCEPT, NULL);
		break;
	}
	case R_FROM:
	case R_DNATED:
		r_nfproto(rb, v6);
		if (r.id == R_DNATED)
			r_ct_dnat(rb);
		r_addr_in(rb, v6, r.id == R_DNATED, nets, false);
		r_verdict(rb, NF_ACCEPT, NULL);
		break;
	}
}

#define V4(id) { id, false }
#define V6(id) { id, true }
static const struct chain_def {
	const char *name;
	const char *type;       /* NULL: regular chain */
	uint32_t hook;
	int32_t prio;
	struct rule_def rules[8];
	size_t n_rules;
} chain_defs[] = {
	{ "ports", NULL, 0, 0, { V4(R_DNAT_ADDR), V4(R_DNAT_ANY), V6(R_DNAT_ADDR), V6(R_DNAT_ANY) }, 4 },
	{ "prerouting", "nat", NF_INET_PRE_ROUTING, -100, { V4(R_JUMP_PORTS) }, 1 },
	{ "output", "nat", NF_INET_LOCAL_OUT, -100, { V4(R_JUMP_PORTS) }, 1 },
	{ "postrouting", "nat", NF_INET_POST_ROUTING, 100,
	  { V4(R_HAIRPIN), V4(R_LOCALHOST4), V4(R_MASQ), V6(R_HAIRPIN), V6(R_MASQ) }, 5 },
	{ "forward", "filter", NF_INET_FORWARD, 0,
	  { V4(R_INT_SELF), V4(R_INT_IN), V4(R_INT_OUT), V4(R_ESTABLISHED), V4(R_FROM), V4(R_DNATED), V6(R_FROM),
	    V6(R_DNATED) }, 8 },
};

static int put_comment(struct nlmsghdr *nlh, uint16_t attr_table_userdata)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!ud)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, LAYOUT_COMMENT)) {
		nftnl_udata_buf_free(ud);
		return -ENOMEM;
	}
	mnl_attr_put(nlh, attr_table_userdata, nftnl_udata_buf_len(ud), nftnl_udata_buf_data(ud));
	nftnl_udata_buf_free(ud);
	return 0;
}

/* NEWTABLE (+ flags), optionally with the layout comment */
static int add_table_msg(struct batch *b, uint16_t type, uint16_t flags, bool comment)
{
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	int ret = -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, CTR_NFT_TABLE) < 0)
		goto out;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	struct nlmsghdr *nlh = batch_msg(b, type, flags | NLM_F_ACK, "nf_tables", "%s table",
					 type == NFT_MSG_DELTABLE ? "delete" : "create");
	if (!nlh)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (comment && (ret = put_comment(nlh, NFTA_TABLE_USERDATA)) < 0)
		goto out;
	batch_commit(b, nlh);
	ret = 0;
out:
	nftnl_table_free(t);
	return ret;
}

static int add_set_msg(struct batch *b, int idx)
{
	const struct set_def *d = &set_defs[idx];
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	int ret = -ENOMEM;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, CTR_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, d->name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)idx + 1);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	if (d->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
	}
	struct nlmsghdr *nlh = batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, "nf_tables",
					 "set %s", d->name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_commit(b, nlh);
	ret = 0;
out:
	nftnl_set_free(s);
	return ret;
}

static int add_chain_msg(struct batch *b, const struct chain_def *d)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	int ret = -ENOMEM;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, CTR_NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name) < 0)
		goto out;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (d->type) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type) < 0)
			goto out;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	bool nat = d->type && !strcmp(d->type, "nat");
	struct nlmsghdr *nlh = batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK,
					 nat ? "nft_chain_nat nf_nat" : "nf_tables", "chain %s%s%s",
					 d->name, d->type ? " type " : "", d->type ? d->type : "");
	if (!nlh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_commit(b, nlh);
	ret = 0;
out:
	nftnl_chain_free(c);
	return ret;
}

static int add_rule_msg(struct batch *b, const struct chain_def *cd, size_t i)
{
	struct rb rb = { .r = nftnl_rule_alloc() };
	if (!rb.r)
		return -ENOMEM;
	int ret = -ENOMEM;
	if (nftnl_rule_set_str(rb.r, NFTNL_RULE_TABLE, CTR_NFT_TABLE) < 0 ||
	    nftnl_rule_set_str(rb.r, NFTNL_RULE_CHAIN, cd->name) < 0)
		goto out;
	nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	rule_body(&rb, cd->rules[i]);
	if (rb.oom)
		goto out;
	struct nlmsghdr *nlh = batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
					 rb.mods[0] ? rb.mods : "nf_tables", "rule %zu of chain %s", i + 1,
					 cd->name);
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, rb.r);
	batch_commit(b, nlh);
	ret = 0;
out:
	nftnl_rule_free(rb.r);
	return ret;
}

/* The table (with flags, e.g. NLM_F_EXCL), its sets, chains and rules. */
static int add_layout(struct batch *b, uint16_t table_flags)
{
	int ret = add_table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | table_flags, true);
	for (int i = 0; ret == 0 && i < S_COUNT; i++)
		ret = add_set_msg(b, i);
	for (size_t c = 0; ret == 0 && c < CTR_ARRAY_SIZE(chain_defs); c++)
		ret = add_chain_msg(b, &chain_defs[c]);
	for (size_t c = 0; ret == 0 && c < CTR_ARRAY_SIZE(chain_defs); c++)
		for (size_t i = 0; ret == 0 && i < chain_defs[c].n_rules; i++)
			ret = add_rule_msg(b, &chain_defs[c], i);
	return ret;
}

/* ---- element messages -------------------------------------------------- */

static int put_elem(struct nftnl_set *s, const struct elem *e)
{
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();
	if (!se)
		return -ENOMEM;
	if (nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->key, e->klen) < 0 ||
	    (e->dlen && nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, e->data, e->dlen) < 0))
		goto oom;
	if (e->flags)
		nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS, e->flags);
	if (e->comment && e->comment[0]) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		if (!ud)
			goto oom;
		char c[NFTNL_UDATA_COMMENT_MAXLEN];
		snprintf(c, sizeof(c), "%s", e->comment);
		bool ok = nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, c) &&
			  nftnl_set_elem_set(se, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
					     nftnl_udata_buf_len(ud)) == 0;
		nftnl_udata_buf_free(ud);
		if (!ok)
			goto oom;
	}
	nftnl_set_elem_add(s, se);
	return 0;
oom:
	nftnl_set_elem_free(se);
	return -ENOMEM;
}

/* NEWSETELEM/DELSETELEM messages for the elements of es not marked skip,
 * ELEMS_PER_MSG per message, grouped by set. */
static int add_elem_msgs(struct batch *b, const struct elems *es, uint16_t type)
{
	for (int set = 0; set < S_COUNT; set++) {
		size_t i = 0;
		for (;;) {
			while (i < es->n && (es->v[i].set != set || es->v[i].skip))
				i++;
			if (i == es->n)
				break;
			struct nftnl_set *s = nftnl_set_alloc();
			if (!s)
				return -ENOMEM;
			int ret = 0;
			if (nftnl_set_set_str(s, NFTNL_SET_TABLE, CTR_NFT_TABLE) < 0 ||
			    nftnl_set_set_str(s, NFTNL_SET_NAME, set_defs[set].name) < 0)
				ret = -ENOMEM;
			nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
			for (size_t k = 0; ret == 0 && k < ELEMS_PER_MSG && i < es->n; i++) {
				if (es->v[i].set != set || es->v[i].skip)
					continue;
				ret = put_elem(s, &es->v[i]);
				k++;
			}
			struct nlmsghdr *nlh = NULL;
			if (ret == 0)
				nlh = batch_msg(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, NULL,
						"elements of set %s", set_defs[set].name);
			if (nlh) {
				nftnl_set_elems_nlmsg_build_payload(nlh, s);
				batch_commit(b, nlh);
			}
			nftnl_set_free(s);
			if (ret < 0 || !nlh)
				return -ENOMEM;
		}
	}
	return 0;
}

/* ---- reading the kernel's state ---------------------------------------- */

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT) {
		const char *v = nftnl_udata_get(attr);
		uint8_t len = nftnl_udata_len(attr);
		if (len > 0 && v[len - 1] == '\0')
			*(const char **)data = v;
	}
	return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	char **comment = data;
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 && nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
		uint32_t len = 0;
		const void *ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		const char *c = NULL;
		nftnl_udata_parse(ud, len, comment_cb, &c); /* table and element comments share type 0 */
		free(*comment);
		*comment = strdup(c ? c : "");
	} else if (!*comment) {
		*comment = strdup("");
	}
	nftnl_table_free(t);
	return *comment ? MNL_CB_OK : MNL_CB_ERROR;
}

/* 1: table is ours, 0: missing, -EEXIST (with error): someone else's. */
static int table_state(struct ctr_nft *s, ctr_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return ctr_err_nomem(err);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, CTR_NFT_TABLE) < 0) {
		nftnl_table_free(t);
		return ctr_err_nomem(err);
	}
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, s->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	char *comment = NULL;
	int ret = nft_query(s, nlh, table_cb, &comment);
	if (ret == -ENOENT) {
		free(comment);
		return 0;
	}
	if (ret < 0) {
		free(comment);
		if (ret == -ENOMEM)
			return ctr_err_nomem(err);
		if (errno_is_missing_feature(-ret) || ret == -EINVAL)
			return ctr_err(err, -ret, CTR_E_UNSUPPORTED,
				       "nftables: read table inet " CTR_NFT_TABLE ": %s: is nf_tables available? "
				       "(modprobe nf_tables)", strerror(-ret));
		return nft_err_sys(err, -ret, "nftables: read table inet " CTR_NFT_TABLE);
	}
	if (comment && !strcmp(comment, LAYOUT_COMMENT)) {
		free(comment);
		return 1;
	}
	ret = ctr_err(err, EEXIST, CTR_E_STATE,
		      "nftables: table inet " CTR_NFT_TABLE " exists but was not made by this libctr "
		      "(comment '%s', expected '%s'); delete it (nft delete table inet " CTR_NFT_TABLE
		      ") or rebuild it (ctr-demo network reload)", comment ? comment : "", LAYOUT_COMMENT);
	free(comment);
	return ret;
}

struct read_ctx {
	struct nftnl_set *s;
};

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *rc = data;
	return nftnl_set_elems_nlmsg_parse(nlh, rc->s) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Append the elements of one of our sets to out (a missing set or table
 * reads as empty). */
static int read_set(struct ctr_nft *s, int set, struct elems *out, ctr_error **err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct read_ctx rc = { .s = nftnl_set_alloc() };
	if (!rc.s)
		return ctr_err_nomem(err);
	int ret = -ENOMEM;
	if (nftnl_set_set_str(rc.s, NFTNL_SET_TABLE, CTR_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(rc.s, NFTNL_SET_NAME, set_defs[set].name) < 0)
		goto out;
	nftnl_set_set_u32(rc.s, NFTNL_SET_FAMILY, NFPROTO_INET);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, s->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, rc.s);
	ret = nft_query(s, nlh, elems_cb, &rc);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(rc.s);
	if (!it) {
		ret = -ENOMEM;
		goto out;
	}
	for (struct nftnl_set_elem *se = nftnl_set_elems_iter_next(it); se; se = nftnl_set_elems_iter_next(it)) {
		uint32_t klen = 0, dlen = 0, ulen = 0;
		const void *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
		const void *dat = nftnl_set_elem_get(se, NFTNL_SET_ELEM_DATA, &dlen);
		const void *ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);
		struct elem *e = elems_push(out);
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		e->set = (uint8_t)set;
		e->klen = (uint8_t)(klen <= sizeof(e->key) ? klen : sizeof(e->key));
		if (key)
			memcpy(e->key, key, e->klen);
		e->dlen = (uint8_t)(dlen <= sizeof(e->data) ? dlen : sizeof(e->data));
		if (dat)
			memcpy(e->data, dat, e->dlen);
		if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS))
			e->flags = nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
		if (ud) {
			const char *c = NULL;
			nftnl_udata_parse(ud, ulen, comment_cb, &c);
			if (c) {
				char **owned = realloc(out->owned, (out->n_owned + 1) * sizeof(*owned));
				if (!owned || !(owned[out->n_owned] = strdup(c))) {
					if (owned)
						out->owned = owned;
					ret = -ENOMEM;
					break;
				}
				out->owned = owned;
				e->comment = owned[out->n_owned++];
			}
		}
	}
	nftnl_set_elems_iter_destroy(it);
out:
	nftnl_set_free(rc.s);
	if (ret == -ENOMEM)
		return ctr_err_nomem(err);
	if (ret < 0)
		return nft_err_sys(err, -ret, "nftables: read the elements of set %s in table inet " CTR_NFT_TABLE,
				   set_defs[set].name);
	return 0;
}

/* ---- formatting -------------------------------------------------------- */

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	}
	return NULL;
}

static bool set_is_v6(int set)
{
	return set == S_D6A || set == S_D6ANY || set == S_NETS6;
}

/* offset of the proto field in a port map key */
static size_t port_key_off(int set)
{
	return set == S_D4A ? 4 : set == S_D6A ? 16 : 0;
}

static uint16_t elem_port(const struct elem *e)
{
	size_t off = port_key_off(e->set) + 4;
	return (uint16_t)(e->key[off] << 8 | e->key[off + 1]);
}

/* "tcp/8080", "tcp/10.0.0.1:8080", "tcp/[::1]:8080" */
static void fmt_hostport(char *buf, size_t len, const struct elem *e)
{
	char a[INET6_ADDRSTRLEN] = "";
	bool v6 = set_is_v6(e->set);
	bool addr = e->set == S_D4A || e->set == S_D6A;
	const char *p = proto_name(e->key[port_key_off(e->set)]);
	if (addr)
		inet_ntop(v6 ? AF_INET6 : AF_INET, e->key, a, sizeof(a));
	snprintf(buf, len, "%s/%s%s%s%s%u", p ? p : "?", addr && v6 ? "[" : "", a, addr && v6 ? "]" : "",
		 addr ? ":" : "", elem_port(e));
}

/* "10.88.0.5:80", "[fd00::5]:80" */
static void fmt_target(char *buf, size_t len, const struct elem *e)
{
	char a[INET6_ADDRSTRLEN] = "";
	bool v6 = set_is_v6(e->set);
	inet_ntop(v6 ? AF_INET6 : AF_INET, e->data, a, sizeof(a));
	size_t off = v6 ? 16 : 4;
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", e->data[off] << 8 | e->data[off + 1]);
}

/* ---- ports -> elements ------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int port_elems(const struct ctr_nft_port *p, size_t n, struct elems *out, ctr_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const struct ctr_nft_port *q = &p[i];
		bool v6 = q->family == AF_INET6;
		size_t alen = v6 ? 16 : 4;
		uint16_t end = q->host_port_end ? q->host_port_end : q->host_port;
		const char *pn = proto_name(q->proto);
		if (q->family != AF_INET && q->family != AF_INET6)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "published port [%zu]: family %d: use AF_INET or AF_INET6", i, q->family);
		if (!pn)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "published port [%zu]: protocol %u: use tcp, udp or sctp", i, q->proto);
		if (q->host_port == 0 || end < q->host_port)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "published port [%zu]: host port range %u-%u: give 1-65535, start <= end",
				       i, q->host_port, end);
		if (q->container_port == 0 || (unsigned)q->container_port + (end - q->host_port) > 65535)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "published port [%zu]: %s/%u-%u -> container port %u: the container port range "
				       "must lie within 1-65535", i, pn, q->host_port, end, q->container_port);
		if (all_zero(q->container_ip, alen))
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "published port [%zu]: %s/%u: no container address", i, pn, q->host_port);
		bool any = all_zero(q->host_ip, alen);
		int set = v6 ? (any ? S_D6ANY : S_D6A) : (any ? S_D4ANY : S_D4A);
		size_t off = port_key_off(set);
		for (unsigned hp = q->host_port; hp <= end; hp++) {
			struct elem *e = elems_push(out);
			if (!e)
				return ctr_err_nomem(err);
			unsigned cp = q->container_port + (hp - q->host_port);
			e->set = (uint8_t)set;
			e->src = (uint32_t)i;
			e->klen = (uint8_t)set_defs[set].key_len;
			e->dlen = (uint8_t)set_defs[set].data_len;
			if (!any)
				memcpy(e->key, q->host_ip, alen);
			e->key[off] = q->proto;
			e->key[off + 4] = (unsigned char)(hp >> 8);
			e->key[off + 5] = (unsigned char)hp;
			memcpy(e->data, q->container_ip, alen);
			e->data[alen] = (unsigned char)(cp >> 8);
			e->data[alen + 1] = (unsigned char)cp;
			e->comment = q->owner;
		}
	}
	return 0;
}

/* Sort key: family, proto, port: publications that may clash share it. */
static uint32_t clash_key(const struct elem *e)
{
	return (uint32_t)set_is_v6(e->set) << 24 | (uint32_t)e->key[port_key_off(e->set)] << 16 | elem_port(e);
}

static int cmp_clash(const void *a, const void *b)
{
	uint32_t x = clash_key(a), y = clash_key(b);
	return x < y ? -1 : x > y;
}

static bool same_elem(const struct elem *a, const struct elem *b)
{
	return a->set == b->set && a->klen == b->klen && !memcmp(a->key, b->key, a->klen) &&
	       (a->flags & NFT_SET_ELEM_INTERVAL_END) == (b->flags & NFT_SET_ELEM_INTERVAL_END);
}

static bool same_target(const struct elem *a, const struct elem *b)
{
	return a->dlen == b->dlen && !memcmp(a->data, b->data, a->dlen);
}

/* Two publications of one proto/port clash when they go to different
 * targets and their host addresses overlap (equal, or one of them any). */
static bool clashes(const struct elem *a, const struct elem *b)
{
	if (same_target(a, b))
		return false;
	bool a_any = a->set == S_D4ANY || a->set == S_D6ANY, b_any = b->set == S_D4ANY || b->set == S_D6ANY;
	return a_any || b_any || same_elem(a, b);
}

static int clash_error(const struct elem *w, const struct elem *h, bool in_request, ctr_error **err)
{
	char hp[80], t1[64], t2[64];
	fmt_hostport(hp, sizeof(hp), w);
	fmt_target(t1, sizeof(t1), w);
	fmt_target(t2, sizeof(t2), h);
	char hp2[80];
	fmt_hostport(hp2, sizeof(hp2), h);
	if (in_request)
		return ctr_err(err, EADDRINUSE, CTR_E_EXISTS,
			       "published ports [%u] and [%u]: port %s is published twice (to %s and to %s); "
			       "give each host port once", h->src, w->src, hp, t2, t1);
	return ctr_err(err, EADDRINUSE, CTR_E_EXISTS,
		       "published port [%u]: port %s is already published%s%s%s (%s -> %s); choose another host "
		       "port or remove that publication", w->src, hp, h->comment ? " by '" : "",
		       h->comment ? h->comment : "", h->comment ? "'" : "", hp2, t2);
}

/* Refuse clashes inside the request (after sorting it) and drop duplicates. */
static int check_request(struct elems *want, ctr_error **err)
{
	elems_sort(want, cmp_clash);
	for (size_t i = 0; i < want->n; i++) {
		for (size_t j = i + 1; j < want->n && clash_key(&want->v[j]) == clash_key(&want->v[i]); j++) {
			if (clashes(&want->v[i], &want->v[j]))
				return clash_error(&want->v[j], &want->v[i], true, err);
			if (same_elem(&want->v[i], &want->v[j]))
				want->v[j].skip = 1;
		}
	}
	return 0;
}

static const struct elem *find_clash_group(const struct elems *have, const struct elem *w, size_t *count)
{
	size_t lo = 0, hi = have->n;
	uint32_t k = clash_key(w);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (clash_key(&have->v[mid]) < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < have->n && clash_key(&have->v[end]) == k)
		end++;
	*count = end - lo;
	return have->v + lo;
}

/* ---- route_localnet ---------------------------------------------------- */

/* The bridge's route_localnet; old receives the previous value ('0'/'1').
 * missing_ok: a bridge that does not exist (yet) is no error. */
static int set_route_localnet(const char *bridge, char value, char *old, bool missing_ok, ctr_error **err)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "sys/net/ipv4/conf/%s/route_localnet", bridge);
	if (old)
		*old = value;
	/* sysctls have no fd-relative API worth the name: the path is built from
	 * a validated interface name and opened through the checked procfs, so a
	 * file mounted over it is refused, never written */
	int root = ctr_procfs_root();
	int fd = root < 0 ? root : ctr_procfs_open(root, rel, O_RDWR);
	if (root >= 0)
		close(root);
	if (fd == -ENOENT && missing_ok)
		return 0;
	if (fd == -EXDEV)
		return ctr_err(err, EXDEV, CTR_E_SYSTEM, "/proc/%s: %s", rel, CTR_PROCFS_EXDEV_HINT);
	if (fd < 0)
		return ctr_err_sys(err, -fd, "/proc/%s (localhost access to published ports needs it; does the bridge "
				   "'%s' exist?)", rel, bridge);
	char cur = '0';
	if (read(fd, &cur, 1) != 1)
		cur = '0';
	if (old)
		*old = cur;
	int ret = 0;
	if (cur != value && pwrite(fd, &value, 1, 0) != 1)
		ret = ctr_err_sys(err, errno, "write %c to /proc/%s", value, rel);
	close(fd);
	return ret;
}

/* ---- networks -> elements ---------------------------------------------- */

static int check_bridge(const struct ctr_nft_net *n, ctr_error **err)
{
	const char *name = n->name ? n->name : "?";
	if (!n->bridge || !n->bridge[0] || strlen(n->bridge) >= IFNAMSIZ || strchr(n->bridge, '/') ||
	    !strcmp(n->bridge, ".") || !strcmp(n->bridge, ".."))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "network '%s': bridge name '%s' is not a valid interface name (1-%d characters, no '/')",
			       name, n->bridge ? n->bridge : "", IFNAMSIZ - 1);
	if (n->n_subnets > CTR_NFT_MAX_SUBNETS)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "network '%s': %zu subnets, at most %d", name,
			       n->n_subnets, CTR_NFT_MAX_SUBNETS);
	return 0;
}

static int net_elems(const struct ctr_nft_net *n, uint32_t src, struct elems *out, ctr_error **err)
{
	int ret = check_bridge(n, err);
	if (ret < 0)
		return ret;
	if (n->internal) {
		struct elem *e = elems_push(out), *f = e ? elems_push(out) : NULL;
		if (!f)
			return ctr_err_nomem(err);
		e = f - 1;
		e->set = S_INT_IFS;
		e->src = src;
		e->klen = IFNAMSIZ;
		memcpy(e->key, n->bridge, strlen(n->bridge));
		f->set = S_INT_SELF;
		f->src = src;
		f->klen = 2 * IFNAMSIZ;
		memcpy(f->key, n->bridge, strlen(n->bridge));
		memcpy(f->key + IFNAMSIZ, n->bridge, strlen(n->bridge));
		return 0;
	}
	for (size_t i = 0; i < n->n_subnets; i++) {
		int fam = n->subnets[i].family;
		unsigned prefix = n->subnets[i].prefix, alen = fam == AF_INET6 ? 16 : 4;
		if ((fam != AF_INET && fam != AF_INET6) || prefix == 0 || prefix > alen * 8)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "network '%s': subnet [%zu]: family %d prefix /%u: give AF_INET with /1-/32 "
				       "or AF_INET6 with /1-/128", n->name ? n->name : "?", i, fam, prefix);
		unsigned char start[16], last[16];
		for (unsigned b = 0; b < alen; b++) {
			unsigned bits = prefix > b * 8 ? (prefix - b * 8 >= 8 ? 8 : prefix - b * 8) : 0;
			unsigned char mask = (unsigned char)(0xff00 >> bits);
			start[b] = n->subnets[i].addr[b] & mask;
			last[b] = start[b] | (unsigned char)~mask;
		}
		/* the interval's end element is the first address after it
		 * (none when the subnet reaches the top of the address space) */
		bool carry = true;
		for (int b = (int)alen - 1; b >= 0 && carry; b--)
			carry = ++last[b] == 0;
		int set = fam == AF_INET6 ? S_NETS6 : S_NETS4;
		for (int k = 0; k < (carry ? 1 : 2); k++) {
			struct elem *e = elems_push(out);
			if (!e)
				return ctr_err_nomem(err);
			e->set = (uint8_t)set;
			e->src = src;
			e->sub = (uint8_t)i;
			e->klen = (uint8_t)alen;
			memcpy(e->key, k ? last : start, alen);
			e->flags = k ? NFT_SET_ELEM_INTERVAL_END : 0;
			e->comment = k ? NULL : n->name; /* whose subnet it is */
		}
	}
	return 0;
}

static bool net_has_v4(const struct ctr_nft_net *n)
{
	for (size_t i = 0; i < n->n_subnets && i < CTR_NFT_MAX_SUBNETS; i++)
		if (n->subnets[i].family == AF_INET)
			return true;
	return false;
}

/* ---- the operations ---------------------------------------------------- */

/* Read our sets that es touches, into have. */
static int read_touched(struct ctr_nft *s, const struct elems *es, struct elems *have, ctr_error **err)
{
	bool touched[S_COUNT] = { false };
	for (size_t i = 0; i < es->n; i++)
		touched[es->v[i].set] = true;
	for (int set = 0; set < S_COUNT; set++) {
		int ret = touched[set] ? read_set(s, set, have, err) : 0;
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Mark the elements of want that are (add) or are not (remove) there already. */
static void mark_present(struct elems *want, const struct elems *have, bool add)
{
	for (size_t i = 0; i < want->n; i++) {
		if (want->v[i].skip)
			continue;
		bool found = false;
		for (size_t j = 0; j < have->n && !found; j++)
			found = same_elem(&want->v[i], &have->v[j]) &&
				(!want->v[i].dlen || same_target(&want->v[i], &have->v[j]));
		want->v[i].skip = add ? found : !found;
	}
}

static size_t n_live(const struct elems *es)
{
	size_t n = 0;
	for (size_t i = 0; i < es->n; i++)
		n += !es->v[i].skip;
	return n;
}

/*
 * One batch of es's live elements as type, with the layout first when the
 * table is missing.  Most calls find the table there, so the first batch goes
 * without asking; an element message failing with ENOENT (no such table or
 * set) makes us look.  fail() turns a failure on an element message into an
 * error (or -EAGAIN: read again and retry).
 */
typedef int (*elem_fail_fn)(int ret, const struct msginfo *mi, const void *ctx, ctr_error **err);

static int apply(struct ctr_nft *s, const struct elems *es, uint16_t type, elem_fail_fn fail, const void *ctx,
		 ctr_error **err)
{
	bool known = n_live(es) == 0; /* init: look first */
	int state = 1;
	for (;;) {
		if (known && (state = table_state(s, err)) < 0)
			return state;
		if (state == 0 && type == NFT_MSG_DELSETELEM)
			return 0; /* nothing to remove from a table that is not there */
		if (n_live(es) == 0 && state == 1)
			return 0;
		struct batch b;
		int ret = batch_start(&b, s->seq);
		if (ret == 0 && state == 0)
			ret = add_layout(&b, NLM_F_EXCL);
		if (ret == 0)
			ret = add_elem_msgs(&b, es, type);
		if (ret < 0) {
			batch_free(&b);
			return ctr_err_nomem(err);
		}
		const struct msginfo *mi = NULL;
		ret = batch_send(s, &b, &mi, err);
		s->seq = b.seq;
		bool elem_msg = mi && !strncmp(mi->what, "elements", 8);
		if (ret == -ENOENT && elem_msg && !known) {
			batch_free(&b);
			known = true;
			continue;
		}
		if (ret < 0 && mi) {
			if (elem_msg)
				ret = fail(ret, mi, ctx, err);
			else if (state == 0 && mi->seq == b.info[1].seq && ret == -EEXIST)
				ret = -EAGAIN; /* another process created the table meanwhile */
			else
				ret = layout_error(ret, mi, err);
		}
		batch_free(&b);
		return ret;
	}
}

/* apply(), again when another process raced us (table created or elements
 * changed between our read and our batch); prepare() reads what it needs,
 * more on a later attempt. */
typedef int (*prepare_fn)(struct ctr_nft *s, struct elems *want, const void *ctx, int attempt, ctr_error **err);

/* Read and drop whatever a failed earlier call of a session left queued. */
static void nft_drain(struct ctr_nft *s)
{
	while (recv(mnl_socket_get_fd(s->nl), s->rbuf, RBUF_SIZE, MSG_DONTWAIT) > 0)
		;
}

/* session: the caller's socket, or NULL for one of our own for this call. */
static int apply_retry(struct ctr_nft *session, struct elems *want, uint16_t type, prepare_fn prepare,
		       elem_fail_fn fail, const void *ctx, ctr_error **err)
{
	struct ctr_nft own, *s = session ? session : &own;
	int ret = session ? 0 : nft_open(&own, err);
	if (ret < 0)
		return ret;
	if (session)
		nft_drain(s);
	for (int attempt = 0; attempt < 3; attempt++) {
		for (size_t i = 0; i < want->n; i++)
			want->v[i].skip = 0;
		ret = prepare ? prepare(s, want, ctx, attempt, err) : 0;
		if (ret < 0)
			break;
		ret = apply(s, want, type, fail, ctx, err);
		if (ret != -EAGAIN)
			break;
	}
	if (ret == -EAGAIN)
		ret = ctr_err(err, EAGAIN, CTR_E_SYSTEM,
			      "nftables: table inet " CTR_NFT_TABLE " kept changing under us; try again");
	if (!session)
		nft_close(&own);
	return ret;
}

int ctr_nft_init(ctr_error **err)
{
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct elems none = { 0 };
	return apply_retry(NULL, &none, NFT_MSG_NEWSETELEM, NULL, NULL, NULL, err);
}

/* --- networks --- */

static int net_fail(int ret, const struct msginfo *mi, const void *ctx, ctr_error **err)
{
	const struct ctr_nft_net *n = ctx;
	if (ret == -ENOENT)
		return -EAGAIN; /* an element we saw went away meanwhile */
	if (ret == -EEXIST || ret == -ENOTEMPTY || ret == -EBUSY)
		return ctr_err(err, EEXIST, CTR_E_EXISTS,
			       "network '%s': %s: a subnet overlaps one already in table inet " CTR_NFT_TABLE
			       " (another network uses it; remove that network or choose another subnet)",
			       n->name ? n->name : "?", mi->what);
	return nft_err_sys(err, -ret, "network '%s': nftables: %s", n->name ? n->name : "?", mi->what);
}

/* Interval elements of a nets set in address order, an interval's end before
 * the next one's start at the same address. */
static int cmp_interval_elem(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->klen);
	if (c)
		return c;
	return (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) - (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
}

/* key a < key b, where NULL is past the top of the address space */
static bool key_lt(const unsigned char *a, const unsigned char *b, size_t len)
{
	return a && (!b || memcmp(a, b, len) < 0);
}

/*
 * For each subnet of want (a start element, then its end element unless the
 * subnet reaches the top): find the interval of have it overlaps.  add:
 * identical and ours (same network name) -> skip, any other overlap -> error;
 * remove: skip unless an identical interval of ours is there.
 */
static int match_subnets(struct elems *want, struct elems *have, const struct ctr_nft_net *n, bool add,
			 ctr_error **err)
{
	elems_sort(have, cmp_interval_elem);
	for (size_t i = 0; i < want->n; i++) {
		struct elem *w0 = &want->v[i], *w1 = NULL;
		if (w0->set != S_NETS4 && w0->set != S_NETS6)
			continue;
		if (i + 1 < want->n && want->v[i + 1].set == w0->set && (want->v[i + 1].flags & NFT_SET_ELEM_INTERVAL_END))
			w1 = &want->v[++i];
		const unsigned char *ws = w0->key, *we = w1 ? w1->key : NULL;
		bool mine = false;
		for (size_t j = 0; j < have->n; j++) {
			const struct elem *h0 = &have->v[j], *h1 = NULL;
			if (h0->set != w0->set || (h0->flags & NFT_SET_ELEM_INTERVAL_END))
				continue;
			if (j + 1 < have->n && have->v[j + 1].set == h0->set &&
			    (have->v[j + 1].flags & NFT_SET_ELEM_INTERVAL_END))
				h1 = &have->v[j + 1];
			const unsigned char *hs = h0->key, *he = h1 ? h1->key : NULL;
			if (!(key_lt(ws, he, w0->klen) && key_lt(hs, we, w0->klen)))
				continue;
			bool same = !memcmp(ws, hs, w0->klen) && (we && he ? !memcmp(we, he, w0->klen) : we == he);
			bool ours = !h0->comment || (n->name && !strcmp(h0->comment, n->name));
			if (same && ours) {
				mine = true;
				continue;
			}
			if (add) {
				char a[INET6_ADDRSTRLEN] = "", b[INET6_ADDRSTRLEN] = "";
				int fam = w0->set == S_NETS6 ? AF_INET6 : AF_INET;
				inet_ntop(fam, ws, a, sizeof(a));
				inet_ntop(fam, hs, b, sizeof(b));
				return ctr_err(err, EEXIST, CTR_E_EXISTS,
					       "network '%s': subnet [%u] %s/%u overlaps the subnet at %s of network '%s' "
					       "in table inet " CTR_NFT_TABLE "; choose another subnet or remove that network",
					       n->name ? n->name : "?", w0->sub, a, n->subnets[w0->sub].prefix, b,
					       h0->comment ? h0->comment : "?");
			}
		}
		w0->skip = add ? mine : !mine;
		if (w1)
			w1->skip = w0->skip;
	}
	return 0;
}

static int net_prepare(struct ctr_nft *s, struct elems *want, const void *ctx, bool add, ctr_error **err)
{
	struct elems have = { 0 };
	int ret = read_touched(s, want, &have, err);
	if (ret == 0) {
		/* the internal sets: plain elements; the subnets: intervals */
		mark_present(want, &have, add);
		ret = match_subnets(want, &have, ctx, add, err);
	}
	elems_free(&have);
	return ret;
}

static int net_prepare_add(struct ctr_nft *s, struct elems *want, const void *ctx, int attempt, ctr_error **err)
{
	return net_prepare(s, want, ctx, true, err);
}

static int net_prepare_remove(struct ctr_nft *s, struct elems *want, const void *ctx, int attempt, ctr_error **err)
{
	return net_prepare(s, want, ctx, false, err);
}

int ctr_nft_network_add(const struct ctr_nft_net *n, ctr_error **err)
{
	if (!n)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_network_add: no network");
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct elems want = { 0 };
	int ret = net_elems(n, 0, &want, err);
	char old = '1';
	bool localnet = ret == 0 && !n->internal && net_has_v4(n);
	if (localnet)
		ret = set_route_localnet(n->bridge, '1', &old, false, err);
	if (ret == 0) {
		ret = apply_retry(NULL, &want, NFT_MSG_NEWSETELEM, net_prepare_add, net_fail, n, err);
		if (ret < 0 && localnet && old != '1')
			(void)set_route_localnet(n->bridge, old, NULL, true, NULL);
	}
	elems_free(&want);
	return ret;
}

int ctr_nft_network_remove(const struct ctr_nft_net *n, ctr_error **err)
{
	if (!n)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_network_remove: no network");
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct elems want = { 0 };
	int ret = net_elems(n, 0, &want, err);
	if (ret == 0)
		ret = apply_retry(NULL, &want, NFT_MSG_DELSETELEM, net_prepare_remove, net_fail, n, err);
	elems_free(&want);
	return ret;
}

/* --- ports --- */

static int ports_fail(int ret, const struct msginfo *mi, const void *ctx, ctr_error **err)
{
	/* a clash that appeared between our read and our batch: read again */
	if (ret == -EEXIST || ret == -EBUSY || ret == -ENOENT)
		return -EAGAIN;
	return nft_err_sys(err, -ret, "published ports: nftables: %s", mi->what);
}

/*
 * The maps that may hold a clash: first only the other map of each family
 * (any address against one address: the kernel cannot see that clash), the
 * kernel refusing an element with the same key and another target; after
 * such a refusal (attempt > 0) also the maps we write to, for the message.
 */
static int ports_prepare_add(struct ctr_nft *s, struct elems *want, const void *ctx, int attempt, ctr_error **err)
{
	struct elems have = { 0 };
	int ret = check_request(want, err);
	if (ret == 0 && attempt > 0)
		ret = read_touched(s, want, &have, err);
	if (ret == 0) {
		/* the other map of the family may hold a clashing publication */
		bool touched[S_COUNT] = { false };
		for (size_t i = 0; i < want->n; i++)
			touched[want->v[i].set] = true;
		for (int set = S_D4A; set < S_COUNT && ret == 0; set++) {
			int partner = set == S_D4A ? S_D4ANY : set == S_D4ANY ? S_D4A : set == S_D6A ? S_D6ANY : S_D6A;
			if (touched[partner] && !(attempt > 0 && touched[set]))
				ret = read_set(s, set, &have, err);
		}
	}
	if (ret == 0) {
		elems_sort(&have, cmp_clash);
		for (size_t i = 0; i < want->n && ret == 0; i++) {
			struct elem *w = &want->v[i];
			size_t cnt;
			const struct elem *h = find_clash_group(&have, w, &cnt);
			for (size_t j = 0; j < cnt && ret == 0; j++) {
				if (clashes(w, &h[j]))
					ret = clash_error(w, &h[j], false, err);
				else if (same_elem(w, &h[j]))
					w->skip = 1;
			}
		}
	}
	elems_free(&have);
	return ret;
}

static int ports_prepare_remove(struct ctr_nft *s, struct elems *want, const void *ctx, int attempt, ctr_error **err)
{
	struct elems have = { 0 };
	int ret = read_touched(s, want, &have, err);
	if (ret == 0) {
		elems_sort(&have, cmp_clash);
		for (size_t i = 0; i < want->n; i++) {
			struct elem *w = &want->v[i];
			size_t cnt;
			const struct elem *h = find_clash_group(&have, w, &cnt);
			bool found = false;
			for (size_t j = 0; j < cnt && !found; j++)
				found = same_elem(w, &h[j]) && same_target(w, &h[j]);
			/* only our own publication goes, not another container's */
			w->skip = !found;
		}
	}
	elems_free(&have);
	return ret;
}

static int ports_apply(struct ctr_nft *session, const struct ctr_nft_port *p, size_t n, bool add, ctr_error **err)
{
	if (n && !p)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "published ports: %zu ports but no array", n);
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct elems want = { 0 };
	int ret = port_elems(p, n, &want, err);
	if (ret == 0 && want.n)
		ret = apply_retry(session, &want, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
				  add ? ports_prepare_add : ports_prepare_remove, ports_fail, p, err);
	elems_free(&want);
	return ret;
}

int ctr_nft_ports_add(const struct ctr_nft_port *p, size_t n, ctr_error **err)
{
	return ports_apply(NULL, p, n, true, err);
}

int ctr_nft_ports_remove(const struct ctr_nft_port *p, size_t n, ctr_error **err)
{
	return ports_apply(NULL, p, n, false, err);
}

int ctr_nft_ports_add_in(struct ctr_nft *s, const struct ctr_nft_port *p, size_t n, ctr_error **err)
{
	if (!s)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_ports_add_in: no session");
	return ports_apply(s, p, n, true, err);
}

int ctr_nft_ports_remove_in(struct ctr_nft *s, const struct ctr_nft_port *p, size_t n, ctr_error **err)
{
	if (!s)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_ports_remove_in: no session");
	return ports_apply(s, p, n, false, err);
}

int ctr_nft_open(struct ctr_nft **out, ctr_error **err)
{
	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_open: no out pointer");
	*out = NULL;
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct ctr_nft *s = calloc(1, sizeof(*s));
	if (!s)
		return ctr_err_nomem(err);
	int ret = nft_open(s, err);
	if (ret < 0) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void ctr_nft_close(struct ctr_nft *s)
{
	if (!s)
		return;
	nft_close(s);
	free(s);
}

/* --- whole table --- */

static int rebuild_fail(int ret, const struct msginfo *mi, const void *ctx, ctr_error **err)
{
	if (ret == -EEXIST || ret == -ENOTEMPTY || ret == -EBUSY)
		return ctr_err(err, EEXIST, CTR_E_EXISTS,
			       "nftables rebuild: %s: two networks overlap or two publications clash in the state "
			       "given", mi->what);
	return nft_err_sys(err, -ret, "nftables rebuild: %s", mi->what);
}

int ctr_nft_rebuild(const struct ctr_nft_net *nets, size_t n_nets, const struct ctr_nft_port *ports,
		    size_t n_ports, ctr_error **err)
{
	if ((n_nets && !nets) || (n_ports && !ports))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_nft_rebuild: no networks or ports");
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct elems want = { 0 };
	int ret = 0;
	for (size_t i = 0; i < n_nets && ret == 0; i++) {
		ret = net_elems(&nets[i], (uint32_t)i, &want, err);
		if (ret < 0)
			ctr_err_prefix(err, "networks[%zu]", i);
	}
	if (ret == 0) {
		struct elems pe = { 0 };
		ret = port_elems(ports, n_ports, &pe, err);
		if (ret == 0)
			ret = check_request(&pe, err);
		for (size_t i = 0; i < pe.n && ret == 0; i++) {
			struct elem *e = elems_push(&want);
			if (!e)
				ret = ctr_err_nomem(err);
			else
				*e = pe.v[i];
		}
		elems_free(&pe);
	}

	/* route_localnet first, restored when the batch fails; a bridge that
	 * is not there (after a reboot, say) gets it when its network code
	 * brings it back and calls ctr_nft_network_add() */
	char *old = n_nets ? calloc(n_nets, 1) : NULL;
	if (ret == 0 && n_nets && !old)
		ret = ctr_err_nomem(err);
	size_t set_upto = 0;
	for (; ret == 0 && set_upto < n_nets; set_upto++) {
		old[set_upto] = '1';
		if (!nets[set_upto].internal && net_has_v4(&nets[set_upto]))
			ret = set_route_localnet(nets[set_upto].bridge, '1', &old[set_upto], true, err);
	}

	struct ctr_nft s = { 0 };
	if (ret == 0)
		ret = nft_open(&s, err);
	if (ret == 0) {
		struct batch b;
		/* create-then-delete makes the delete succeed whether or not the
		 * table exists; then the whole table anew, all in one transaction */
		int r = batch_start(&b, s.seq);
		if (r == 0)
			r = add_table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, false);
		if (r == 0)
			r = add_table_msg(&b, NFT_MSG_DELTABLE, 0, false);
		if (r == 0)
			r = add_layout(&b, 0);
		if (r == 0)
			r = add_elem_msgs(&b, &want, NFT_MSG_NEWSETELEM);
		if (r < 0) {
			ret = ctr_err_nomem(err);
		} else {
			const struct msginfo *mi = NULL;
			ret = batch_send(&s, &b, &mi, err);
			if (ret < 0 && mi)
				ret = !strncmp(mi->what, "elements", 8) ? rebuild_fail(ret, mi, NULL, err)
									: layout_error(ret, mi, err);
		}
		batch_free(&b);
		nft_close(&s);
	}
	if (ret < 0)
		for (size_t i = 0; i < set_upto && old; i++)
			if (old[i] != '1')
				(void)set_route_localnet(nets[i].bridge, old[i], NULL, true, NULL);
	free(old);
	elems_free(&want);
	return ret;
}

int ctr_nft_fini(ctr_error **err)
{
	if (nftnl_need(err) < 0)
		return -ELIBACC;
	struct ctr_nft s;
	int ret = nft_open(&s, err);
	if (ret < 0)
		return ret;
	struct batch b;
	ret = batch_start(&b, s.seq);
	if (ret == 0)
		ret = add_table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, false);
	if (ret == 0)
		ret = add_table_msg(&b, NFT_MSG_DELTABLE, 0, false);
	if (ret < 0) {
		ret = ctr_err_nomem(err);
	} else {
		const struct msginfo *mi = NULL;
		ret = batch_send(&s, &b, &mi, err);
		if (ret < 0 && mi)
			ret = layout_error(ret, mi, err);
	}
	batch_free(&b);
	nft_close(&s);
	return ret;
}

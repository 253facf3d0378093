/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/mnl-dl.h: libmnl, opened on first use (dlopen) instead of linked,
 * as libnftnl is (net/nftnl-dl.h).  Only networks use it (rtnetlink and
 * nftables), and a linked library is mapped and relocated by every process
 * that links libctr, at every start: about 40 us of each `ctr-demo run` of a
 * container without a network, which never opens a netlink socket.
 *
 * Included by netlink.c, netdev.c and nft.c after <libmnl/libmnl.h>: each
 * function they call becomes a pointer of that function's own type
 * (__typeof__, so the compiler checks every call against libmnl's
 * prototypes; one definition, in netlink.c) and its name a macro for the
 * pointer (libmnl's own macros, mnl_attr_for_each, expand to them too).
 * ctr_mnl_need() opens the library once (its SONAME: the ABI the headers
 * describe) and fills them, or says why not: ctr_nl_open and nft_open ask
 * it before their first call, and every other call takes a socket that one
 * of them opened.
 */
#ifndef CTR_NET_MNL_DL_H
#define CTR_NET_MNL_DL_H

#include <ctr/error.h>

#define CTR_MNL_SONAME "libmnl.so.0"

#define CTR_MNL_FUNCS(X) \
	X(mnl_attr_get_payload) \
	X(mnl_attr_get_payload_len) \
	X(mnl_attr_get_str) \
	X(mnl_attr_get_type) \
	X(mnl_attr_get_u32) \
	X(mnl_attr_nest_end) \
	X(mnl_attr_nest_start) \
	X(mnl_attr_next) \
	X(mnl_attr_ok) \
	X(mnl_attr_put) \
	X(mnl_attr_put_strz) \
	X(mnl_attr_put_u32) \
	X(mnl_attr_put_u8) \
	X(mnl_attr_validate) \
	X(mnl_cb_run) \
	X(mnl_nlmsg_get_payload) \
	X(mnl_nlmsg_get_payload_offset) \
	X(mnl_nlmsg_get_payload_tail) \
	X(mnl_nlmsg_next) \
	X(mnl_nlmsg_ok) \
	X(mnl_nlmsg_put_extra_header) \
	X(mnl_nlmsg_put_header) \
	X(mnl_socket_bind) \
	X(mnl_socket_close) \
	X(mnl_socket_get_fd) \
	X(mnl_socket_get_portid) \
	X(mnl_socket_open2) \
	X(mnl_socket_recvfrom) \
	X(mnl_socket_sendto) \
	X(mnl_socket_setsockopt)

#define CTR_MNL_PTR(f) extern __typeof__(f) *f##_dl;
CTR_MNL_FUNCS(CTR_MNL_PTR)
#undef CTR_MNL_PTR

/* 0 once libmnl is loaded, or an error naming it and its package. */
int ctr_mnl_need(ctr_error **err);

#define mnl_attr_get_payload (*mnl_attr_get_payload_dl)
#define mnl_attr_get_payload_len (*mnl_attr_get_payload_len_dl)
#define mnl_attr_get_str (*mnl_attr_get_str_dl)
#define mnl_attr_get_type (*mnl_attr_get_type_dl)
#define mnl_attr_get_u32 (*mnl_attr_get_u32_dl)
#define mnl_attr_nest_end (*mnl_attr_nest_end_dl)
#define mnl_attr_nest_start (*mnl_attr_nest_start_dl)
#define mnl_attr_next (*mnl_attr_next_dl)
#define mnl_attr_ok (*mnl_attr_ok_dl)
#define mnl_attr_put (*mnl_attr_put_dl)
#define mnl_attr_put_strz (*mnl_attr_put_strz_dl)
#define mnl_attr_put_u32 (*mnl_attr_put_u32_dl)
#define mnl_attr_put_u8 (*mnl_attr_put_u8_dl)
#define mnl_attr_validate (*mnl_attr_validate_dl)
#define mnl_cb_run (*mnl_cb_run_dl)
#define mnl_nlmsg_get_payload (*mnl_nlmsg_get_payload_dl)
#define mnl_nlmsg_get_payload_offset (*mnl_nlmsg_get_payload_offset_dl)
#define mnl_nlmsg_get_payload_tail (*mnl_nlmsg_get_payload_tail_dl)
#define mnl_nlmsg_next (*mnl_nlmsg_next_dl)
#define mnl_nlmsg_ok (*mnl_nlmsg_ok_dl)
#define mnl_nlmsg_put_extra_header (*mnl_nlmsg_put_extra_header_dl)
#define mnl_nlmsg_put_header (*mnl_nlmsg_put_header_dl)
#define mnl_socket_bind (*mnl_socket_bind_dl)
#define mnl_socket_close (*mnl_socket_close_dl)
#define mnl_socket_get_fd (*mnl_socket_get_fd_dl)
#define mnl_socket_get_portid (*mnl_socket_get_portid_dl)
#define mnl_socket_open2 (*mnl_socket_open2_dl)
#define mnl_socket_recvfrom (*mnl_socket_recvfrom_dl)
#define mnl_socket_sendto (*mnl_socket_sendto_dl)
#define mnl_socket_setsockopt (*mnl_socket_setsockopt_dl)

#endif

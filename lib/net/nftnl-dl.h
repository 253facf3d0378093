/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/nftnl-dl.h: libnftnl, opened on first use (dlopen) instead of
 * linked, as libcrypto (image/digest.c), libcurl (image/http.c) and isa-l
 * (image/layer-stream.c) are.  Only NAT and published ports need it, and a
 * linked library is mapped and relocated by every process that links
 * libctr, at every start (`ctr-demo run` included).
 *
 * Included by nft.c alone, after libnftnl's headers: each function nft.c
 * calls becomes a pointer of that function's own type (__typeof__, so the
 * compiler checks every call against libnftnl's prototypes), and its name a
 * macro for the pointer.  nft.c's nftnl_need() opens the library once (its
 * SONAME: the ABI the headers describe; ctr_dl_open) and fills them, or says
 * why not.
 */
#ifndef CTR_NET_NFTNL_DL_H
#define CTR_NET_NFTNL_DL_H

#define CTR_NFTNL_SONAME "libnftnl.so.11"

#define CTR_NFTNL_FUNCS(X) \
	X(nftnl_batch_begin) \
	X(nftnl_batch_end) \
	X(nftnl_chain_alloc) \
	X(nftnl_chain_free) \
	X(nftnl_chain_nlmsg_build_payload) \
	X(nftnl_chain_set_s32) \
	X(nftnl_chain_set_str) \
	X(nftnl_chain_set_u32) \
	X(nftnl_expr_alloc) \
	X(nftnl_expr_set) \
	X(nftnl_expr_set_str) \
	X(nftnl_expr_set_u32) \
	X(nftnl_nlmsg_build_hdr) \
	X(nftnl_rule_add_expr) \
	X(nftnl_rule_alloc) \
	X(nftnl_rule_free) \
	X(nftnl_rule_nlmsg_build_payload) \
	X(nftnl_rule_set_str) \
	X(nftnl_rule_set_u32) \
	X(nftnl_set_alloc) \
	X(nftnl_set_elem_add) \
	X(nftnl_set_elem_alloc) \
	X(nftnl_set_elem_free) \
	X(nftnl_set_elem_get) \
	X(nftnl_set_elem_get_u32) \
	X(nftnl_set_elem_is_set) \
	X(nftnl_set_elem_set) \
	X(nftnl_set_elem_set_u32) \
	X(nftnl_set_elems_iter_create) \
	X(nftnl_set_elems_iter_destroy) \
	X(nftnl_set_elems_iter_next) \
	X(nftnl_set_elems_nlmsg_build_payload) \
	X(nftnl_set_elems_nlmsg_parse) \
	X(nftnl_set_free) \
	X(nftnl_set_nlmsg_build_payload) \
	X(nftnl_set_set_str) \
	X(nftnl_set_set_u32) \
	X(nftnl_table_alloc) \
	X(nftnl_table_free) \
	X(nftnl_table_get_data) \
	X(nftnl_table_is_set) \
	X(nftnl_table_nlmsg_build_payload) \
	X(nftnl_table_nlmsg_parse) \
	X(nftnl_table_set_str) \
	X(nftnl_table_set_u32) \
	X(nftnl_udata_buf_alloc) \
	X(nftnl_udata_buf_data) \
	X(nftnl_udata_buf_free) \
	X(nftnl_udata_buf_len) \
	X(nftnl_udata_get) \
	X(nftnl_udata_len) \
	X(nftnl_udata_parse) \
	X(nftnl_udata_put_strz) \
	X(nftnl_udata_type)

#define CTR_NFTNL_PTR(f) static __typeof__(f) *f##_dl;
CTR_NFTNL_FUNCS(CTR_NFTNL_PTR)
#undef CTR_NFTNL_PTR

#define nftnl_batch_begin (*nftnl_batch_begin_dl)
#define nftnl_batch_end (*nftnl_batch_end_dl)
#define nftnl_chain_alloc (*nftnl_chain_alloc_dl)
#define nftnl_chain_free (*nftnl_chain_free_dl)
#define nftnl_chain_nlmsg_build_payload (*nftnl_chain_nlmsg_build_payload_dl)
#define nftnl_chain_set_s32 (*nftnl_chain_set_s32_dl)
#define nftnl_chain_set_str (*nftnl_chain_set_str_dl)
#define nftnl_chain_set_u32 (*nftnl_chain_set_u32_dl)
#define nftnl_expr_alloc (*nftnl_expr_alloc_dl)
#define nftnl_expr_set (*nftnl_expr_set_dl)
#define nftnl_expr_set_str (*nftnl_expr_set_str_dl)
#define nftnl_expr_set_u32 (*nftnl_expr_set_u32_dl)
#define nftnl_nlmsg_build_hdr (*nftnl_nlmsg_build_hdr_dl)
#define nftnl_rule_add_expr (*nftnl_rule_add_expr_dl)
#define nftnl_rule_alloc (*nftnl_rule_alloc_dl)
#define nftnl_rule_free (*nftnl_rule_free_dl)
#define nftnl_rule_nlmsg_build_payload (*nftnl_rule_nlmsg_build_payload_dl)
#define nftnl_rule_set_str (*nftnl_rule_set_str_dl)
#define nftnl_rule_set_u32 (*nftnl_rule_set_u32_dl)
#define nftnl_set_alloc (*nftnl_set_alloc_dl)
#define nftnl_set_elem_add (*nftnl_set_elem_add_dl)
#define nftnl_set_elem_alloc (*nftnl_set_elem_alloc_dl)
#define nftnl_set_elem_free (*nftnl_set_elem_free_dl)
#define nftnl_set_elem_get (*nftnl_set_elem_get_dl)
#define nftnl_set_elem_get_u32 (*nftnl_set_elem_get_u32_dl)
#define nftnl_set_elem_is_set (*nftnl_set_elem_is_set_dl)
#define nftnl_set_elem_set (*nftnl_set_elem_set_dl)
#define nftnl_set_elem_set_u32 (*nftnl_set_elem_set_u32_dl)
#define nftnl_set_elems_iter_create (*nftnl_set_elems_iter_create_dl)
#define nftnl_set_elems_iter_destroy (*nftnl_set_elems_iter_destroy_dl)
#define nftnl_set_elems_iter_next (*nftnl_set_elems_iter_next_dl)
#define nftnl_set_elems_nlmsg_build_payload (*nftnl_set_elems_nlmsg_build_payload_dl)
#define nftnl_set_elems_nlmsg_parse (*nftnl_set_elems_nlmsg_parse_dl)
#define nftnl_set_free (*nftnl_set_free_dl)
#define nftnl_set_nlmsg_build_payload (*nftnl_set_nlmsg_build_payload_dl)
#define nftnl_set_set_str (*nftnl_set_set_str_dl)
#define nftnl_set_set_u32 (*nftnl_set_set_u32_dl)
#define nftnl_table_alloc (*nftnl_table_alloc_dl)
#define nftnl_table_free (*nftnl_table_free_dl)
#define nftnl_table_get_data (*nftnl_table_get_data_dl)
#define nftnl_table_is_set (*nftnl_table_is_set_dl)
#define nftnl_table_nlmsg_build_payload (*nftnl_table_nlmsg_build_payload_dl)
#define nftnl_table_nlmsg_parse (*nftnl_table_nlmsg_parse_dl)
#define nftnl_table_set_str (*nftnl_table_set_str_dl)
#define nftnl_table_set_u32 (*nftnl_table_set_u32_dl)
#define nftnl_udata_buf_alloc (*nftnl_udata_buf_alloc_dl)
#define nftnl_udata_buf_data (*nftnl_udata_buf_data_dl)
#define nftnl_udata_buf_free (*nftnl_udata_buf_free_dl)
#define nftnl_udata_buf_len (*nftnl_udata_buf_len_dl)
#define nftnl_udata_get (*nftnl_udata_get_dl)
#define nftnl_udata_len (*nftnl_udata_len_dl)
#define nftnl_udata_parse (*nftnl_udata_parse_dl)
#define nftnl_udata_put_strz (*nftnl_udata_put_strz_dl)
#define nftnl_udata_type (*nftnl_udata_type_dl)

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The entry points of released ABIs that the current headers no longer
 * declare, kept for the binaries built against them (lib/libctr.sym).
 *
 * LIBCTR_0.1's *_init() functions and ctr_port_mapping_parse() wrote the
 * library's own sizeof into the caller's struct: a binary built against 0.1
 * running on a library whose struct has grown would have its stack
 * overwritten.  Since 0.2 the headers define those names as static inline
 * functions that pass the caller's sizeof to the *_init_sized() ones; the
 * 0.1 symbols stay here, under their 0.1 version only (`name@LIBCTR_0.1`,
 * not the default version, so new programs cannot link to them), and pass
 * the size the structs had in 0.1.  New code never calls these.
 */
#include <stddef.h>

#include "internal.h"

/*
 * sizeof(type) as a release whose last field was `field` had it: the end of
 * that field rounded up to the struct's alignment.  Fields are only ever
 * appended (lib/libctr.sym), so the offsets of the fields a release had do
 * not change.
 */
#define SIZE_THROUGH(type, field)                                                                 \
	((offsetof(type, field) + sizeof(((type *)0)->field) + _Alignof(type) - 1) / _Alignof(type) * \
	 _Alignof(type))

/* The 0.1 name of an _init() function: NAME@LIBCTR_0.1, implemented as NAME_0_1. */
#define COMPAT_INIT_0_1(type, name, last)                                        \
	CTR_EXPORT void name##_0_1(type *opts);                                  \
	__asm__(".symver " #name "_0_1, " #name "@LIBCTR_0.1");                  \
	CTR_EXPORT void name##_0_1(type *opts)                                   \
	{                                                                        \
		(void)name##_sized(opts, SIZE_THROUGH(type, last));              \
	}

COMPAT_INIT_0_1(ctr_context_options, ctr_context_options_init, userdata)
COMPAT_INIT_0_1(ctr_create_options, ctr_create_options_init, image)
COMPAT_INIT_0_1(ctr_exec_options, ctr_exec_options_init, console_fd)
COMPAT_INIT_0_1(ctr_image_options, ctr_image_options_init, writer_threads)
COMPAT_INIT_0_1(ctr_image_spec_options, ctr_image_spec_options_init, user)
COMPAT_INIT_0_1(ctr_network_options, ctr_network_options_init, internal)
COMPAT_INIT_0_1(ctr_net_options, ctr_net_options_init, hostname)
COMPAT_INIT_0_1(ctr_accel_registry_options, ctr_accel_registry_options_init, no_builtin)
COMPAT_INIT_0_1(ctr_accel_device_info, ctr_accel_device_info_init, capabilities)

CTR_EXPORT int ctr_port_mapping_parse_0_1(const char *buf, size_t len, ctr_port_mapping *out, ctr_error **err);
__asm__(".symver ctr_port_mapping_parse_0_1, ctr_port_mapping_parse@LIBCTR_0.1");
CTR_EXPORT int ctr_port_mapping_parse_0_1(const char *buf, size_t len, ctr_port_mapping *out, ctr_error **err)
{
	return ctr_port_mapping_parse_sized(buf, len, out, SIZE_THROUGH(ctr_port_mapping, protocol), err);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The options structs' size protocol, through the installed API only
 * (libctr.so): an *_init_sized() call writes exactly the caller's size (a
 * caller built against older headers has a smaller struct, one built
 * against newer headers a larger one) and records it, the fields that fit
 * get their defaults, the bytes beyond are never touched; the functions
 * that take the struct use their defaults for the fields the caller's size
 * leaves out and never read past it; a larger struct with a set unknown
 * tail is refused saying so.  The same for ctr_port_mapping_parse().
 *
 * On 0.1 the _init() functions took no size and wrote the library's own
 * sizeof: a caller one release older had its stack overwritten.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ctr/ctr.h>

#define GUARD 0xA5
#define SLACK 64 /* a caller this many bytes newer than the library, and the guard zone */

struct options_case {
	const char *name;
	size_t size; /* the library's (this header's) sizeof */
	int (*init)(void *p, size_t size);
	void (*check_defaults)(const void *p);
};

#define ADAPT(type, fn) \
	static int fn##_adapt(void *p, size_t size) { return fn##_sized((type *)p, size); }
ADAPT(ctr_context_options, ctr_context_options_init)
ADAPT(ctr_create_options, ctr_create_options_init)
ADAPT(ctr_exec_options, ctr_exec_options_init)
ADAPT(ctr_image_options, ctr_image_options_init)
ADAPT(ctr_image_spec_options, ctr_image_spec_options_init)
ADAPT(ctr_network_options, ctr_network_options_init)
ADAPT(ctr_net_options, ctr_net_options_init)
ADAPT(ctr_accel_registry_options, ctr_accel_registry_options_init)
ADAPT(ctr_accel_device_info, ctr_accel_device_info_init)

static void create_defaults(const void *p)
{
	const ctr_create_options *o = p;
	assert_int_equal(o->stdio_fds[0], -1);
	assert_int_equal(o->stdio_fds[1], -1);
	assert_int_equal(o->stdio_fds[2], -1);
	assert_null(o->bundle);
	assert_int_equal(o->preserve_fds, 0);
	assert_null(o->image);
}

static void exec_defaults(const void *p)
{
	const ctr_exec_options *o = p;
	assert_int_equal(o->stdio_fds[0], -1);
	assert_int_equal(o->stdio_fds[2], -1);
	assert_int_equal(o->tty, -1);
	assert_int_equal(o->console_fd, -1);
	assert_null(o->args);
}

static const struct options_case cases[] = {
#define CASE(type, fn, defaults) {#type, sizeof(type), fn##_adapt, defaults}
	CASE(ctr_context_options, ctr_context_options_init, NULL),
	CASE(ctr_create_options, ctr_create_options_init, create_defaults),
	CASE(ctr_exec_options, ctr_exec_options_init, exec_defaults),
	CASE(ctr_image_options, ctr_image_options_init, NULL),
	CASE(ctr_image_spec_options, ctr_image_spec_options_init, NULL),
	CASE(ctr_network_options, ctr_network_options_init, NULL),
	CASE(ctr_net_options, ctr_net_options_init, NULL),
	CASE(ctr_accel_registry_options, ctr_accel_registry_options_init, NULL),
	CASE(ctr_accel_device_info, ctr_accel_device_info_init, NULL),
#undef CASE
};

static size_t size_field(const unsigned char *p)
{
	size_t s;
	memcpy(&s, p, sizeof(s));
	return s;
}

/* Every size from the size field alone to SLACK bytes more than the library knows. */
static void test_init_sizes(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct options_case *k = &cases[c];
		unsigned char ref[1024], buf[1024 + 2 * SLACK];
		assert_true(k->size <= sizeof(ref));
		assert_int_equal(k->init(ref, k->size), 0);
		assert_int_equal(size_field(ref), k->size);
		if (k->check_defaults)
			k->check_defaults(ref);
		for (size_t s = sizeof(size_t); s <= k->size + SLACK; s++) {
			memset(buf, GUARD, sizeof(buf));
			if (k->init(buf, s) != 0)
				fail_msg("%s: init with size %zu failed", k->name, s);
			if (size_field(buf) != s)
				fail_msg("%s: init with size %zu recorded %zu", k->name, s, size_field(buf));
			size_t known = s < k->size ? s : k->size;
			if (memcmp(buf + sizeof(size_t), ref + sizeof(size_t), known - sizeof(size_t)))
				fail_msg("%s: init with size %zu: the fields that fit are not the defaults", k->name, s);
			for (size_t i = known; i < s; i++)
				if (buf[i] != 0)
					fail_msg("%s: init with size %zu: byte %zu of a newer caller's tail is not 0", k->name,
						 s, i);
			for (size_t i = s; i < s + SLACK; i++)
				if (buf[i] != GUARD)
					fail_msg("%s: init with size %zu wrote byte %zu, beyond the caller's struct", k->name,
						 s, i);
		}
		assert_int_equal(k->init(NULL, k->size), -EINVAL);
		memset(buf, GUARD, sizeof(buf));
		assert_int_equal(k->init(buf, sizeof(size_t) - 1), -EINVAL);
		for (size_t i = 0; i < SLACK; i++)
			assert_int_equal(buf[i], GUARD);
	}
}

/* The inline _init() of the header passes this compilation unit's sizeof. */
static void test_inline_init(void **state)
{
	(void)state;
	struct {
		ctr_exec_options o;
		unsigned char guard[SLACK];
	} s;
	memset(&s, GUARD, sizeof(s));
	ctr_exec_options_init(&s.o);
	assert_int_equal(s.o.size, sizeof(s.o));
	exec_defaults(&s.o);
	for (size_t i = 0; i < SLACK; i++)
		assert_int_equal(s.guard[i], GUARD);
}

/*
 * An older caller's struct ends before userdata: the library does not read
 * the bytes beyond it (here a pointer left in the caller's memory) and uses
 * the default.
 */
static void test_short_struct_defaults(void **state)
{
	(void)state;
	ctr_context_options o;
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	ctr_context_options_init_sized(&o, offsetof(ctr_context_options, userdata));
	o.state_root = "/run/ctr-test-options";
	o.userdata = &o; /* beyond the caller's size: not part of its struct */
	assert_int_equal(ctr_context_new(&ctx, &o, &err), 0);
	assert_null(ctr_context_userdata(ctx));
	assert_string_equal(ctr_context_state_root(ctx), "/run/ctr-test-options");
	ctr_context_free(ctx);

	ctr_context_options_init(&o);
	o.userdata = &o;
	assert_int_equal(ctr_context_new(&ctx, &o, &err), 0);
	assert_ptr_equal(ctr_context_userdata(ctx), &o);
	ctr_context_free(ctx);
}

/* A newer caller's struct: accepted when its unknown tail is zero, refused with E2BIG otherwise. */
static void test_newer_caller(void **state)
{
	(void)state;
	struct {
		ctr_context_options o;
		uint64_t newer_field;
	} s;
	ctr_context *ctx = NULL;
	ctr_error *err = NULL;
	assert_int_equal(ctr_context_options_init_sized(&s.o, sizeof(s)), 0);
	assert_int_equal(s.o.size, sizeof(s));
	assert_int_equal(s.newer_field, 0);
	assert_int_equal(ctr_context_new(&ctx, &s.o, &err), 0);
	ctr_context_free(ctx);
	s.newer_field = 1;
	assert_int_equal(ctr_context_new(&ctx, &s.o, &err), -E2BIG);
	assert_null(ctx);
	assert_non_null(strstr(ctr_error_message(err), "ctr_context_options"));
	assert_non_null(strstr(ctr_error_message(err), "use a newer libctr"));
	ctr_error_free(err);
	err = NULL;
	s.o.size = 3; /* not initialised through _init() */
	assert_int_equal(ctr_context_new(&ctx, &s.o, &err), -EINVAL);
	assert_non_null(strstr(ctr_error_message(err), "_init()"));
	ctr_error_free(err);
}

static void test_port_mapping(void **state)
{
	(void)state;
	struct {
		ctr_port_mapping m;
		unsigned char guard[SLACK];
	} s;
	ctr_error *err = NULL;
	const char *text = "127.0.0.1:8080-8081:80-81/udp";
	size_t short_size = offsetof(ctr_port_mapping, protocol); /* a caller without the protocol field */

	memset(&s, GUARD, sizeof(s));
	assert_int_equal(ctr_port_mapping_parse(text, strlen(text), &s.m, &err), 0);
	assert_int_equal(s.m.size, sizeof(s.m));
	assert_string_equal(s.m.host_ip, "127.0.0.1");
	assert_int_equal(s.m.host_port, 8080);
	assert_int_equal(s.m.host_port_end, 8081);
	assert_int_equal(s.m.container_port, 80);
	assert_int_equal(s.m.container_port_end, 81);
	assert_int_equal(s.m.protocol, CTR_PORT_UDP);
	for (size_t i = 0; i < SLACK; i++)
		assert_int_equal(s.guard[i], GUARD);

	memset(&s, GUARD, sizeof(s));
	assert_int_equal(ctr_port_mapping_parse_sized(text, strlen(text), &s.m, short_size, &err), 0);
	assert_int_equal(s.m.size, short_size);
	assert_int_equal(s.m.container_port_end, 81);
	for (size_t i = short_size; i < sizeof(s); i++)
		assert_int_equal(((unsigned char *)&s)[i], GUARD);

	/* an error leaves the caller's struct as it was */
	memset(&s, GUARD, sizeof(s));
	assert_int_equal(ctr_port_mapping_parse("80/sctp", 7, &s.m, &err), -EINVAL);
	assert_non_null(strstr(ctr_error_message(err), "sctp"));
	ctr_error_free(err);
	err = NULL;
	for (size_t i = 0; i < sizeof(s); i++)
		assert_int_equal(((unsigned char *)&s)[i], GUARD);
	assert_int_equal(ctr_port_mapping_parse_sized("80", 2, &s.m, 4, &err), -EINVAL);
	assert_non_null(strstr(ctr_error_message(err), "size"));
	ctr_error_free(err);
}

/*
 * The 0.1 entry points stay for binaries built against 0.1, under their
 * 0.1 version only, and write no more than the library's current struct.
 * (tests/embed/old-abi.sh runs a binary built from the 0.1 headers.)
 */
static void test_compat_symbols(void **state)
{
	(void)state;
	static const char *const names[] = {
		"ctr_context_options_init", "ctr_create_options_init", "ctr_exec_options_init",
		"ctr_image_options_init", "ctr_image_spec_options_init", "ctr_network_options_init",
		"ctr_net_options_init", "ctr_accel_registry_options_init", "ctr_accel_device_info_init",
		"ctr_port_mapping_parse",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!dlvsym(RTLD_DEFAULT, names[i], "LIBCTR_0.1"))
			fail_msg("%s@LIBCTR_0.1 is missing: binaries built against 0.1 no longer load", names[i]);
	void (*init01)(ctr_create_options *) =
		(void (*)(ctr_create_options *))dlvsym(RTLD_DEFAULT, "ctr_create_options_init", "LIBCTR_0.1");
	struct {
		ctr_create_options o;
		unsigned char guard[SLACK];
	} s;
	memset(&s, GUARD, sizeof(s));
	init01(&s.o);
	assert_true(s.o.size >= offsetof(ctr_create_options, image) + sizeof(s.o.image));
	assert_true(s.o.size <= sizeof(s.o));
	create_defaults(&s.o);
	for (size_t i = 0; i < SLACK; i++)
		assert_int_equal(s.guard[i], GUARD);
	assert_non_null(dlvsym(RTLD_DEFAULT, "ctr_create_options_init_sized", "LIBCTR_0.2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sizes),
		cmocka_unit_test(test_inline_init),
		cmocka_unit_test(test_short_struct_defaults),
		cmocka_unit_test(test_newer_caller),
		cmocka_unit_test(test_port_mapping),
		cmocka_unit_test(test_compat_symbols),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

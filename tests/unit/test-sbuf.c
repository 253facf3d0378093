/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct ctr_sbuf (lib/util.c): the documents written by hand (state.json,
 * leases.json) are read back with json-c, so every string must survive
 * ctr_sb_json_str and json-c's parser byte for byte.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void round_trip(const char *s)
{
	struct ctr_sbuf b = {0};
	ctr_sb_puts(&b, "{\"k\":");
	ctr_sb_json_str(&b, s);
	ctr_sb_puts(&b, "}");
	assert_false(b.oom);
	assert_int_equal(strlen(b.s), b.len);
	json_object *o = json_tokener_parse(b.s), *v;
	if (!o)
		fail_msg("json-c cannot parse %s", b.s);
	assert_true(json_object_object_get_ex(o, "k", &v));
	assert_string_equal(json_object_get_string(v), s);
	json_object_put(o);
	free(b.s);
}

static void test_json_strings(void **state)
{
	(void)state;
	round_trip("");
	round_trip("plain");
	round_trip("/run/ctr/a b/\"quoted\"/back\\slash/");
	round_trip("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"); /* UTF-8 as it is */
	round_trip("tab\there\nnewline\rcr\bbs\fff");
	char all[128];
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	round_trip(all); /* every control character, DEL and the printable ones */

	/* what it writes: the short escapes json-c reads, \u00XX for the rest */
	struct ctr_sbuf b = {0};
	ctr_sb_json_str(&b, "a\"b\\c\x01\x1f\x7f/");
	assert_string_equal(b.s, "\"a\\\"b\\\\c\\u0001\\u001f\\u007f/\"");
	b.len = 0;
	ctr_sb_json_str(&b, NULL);
	assert_string_equal(b.s, "\"\"");
	free(b.s);
}

static void test_growth_and_printf(void **state)
{
	(void)state;
	struct ctr_sbuf b = {0};
	char chunk[1000];
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 100; i++)
		ctr_sb_add(&b, chunk, sizeof(chunk));
	assert_false(b.oom);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.s[b.len], '\0');
	b.len = 0;
	ctr_sb_printf(&b, "%d:%llu:%s", -5, 18446744073709551615ULL, "end");
	assert_false(b.oom);
	assert_string_equal(b.s, "-5:18446744073709551615:end");
	/* longer than its stack buffer: refused as out of memory, never cut short */
	char big[400];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ctr_sb_printf(&b, "%s", big);
	assert_true(b.oom);
	ctr_sb_puts(&b, "more");
	assert_string_equal(b.s, "-5:18446744073709551615:end");
	free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_growth_and_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

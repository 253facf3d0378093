/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation failure injection for lib/spec: the test links with
 * -Wl,--wrap for malloc, calloc, realloc and strdup, so every allocation
 * the library makes itself (json-c's own are not covered) can be made to
 * fail in turn.  Each failure must give -ENOMEM (or, for allocations on an
 * error path, the original error), never a crash; run under valgrind it
 * must not leak.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctr/ctr.h"
#include "spec/oci.h"
#include "full-config.h"
#include "../oom-inject.h"

/* Load, serialize, build the typed view and parse mount options. */
static int exercise(void)
{
	ctr_spec *s = NULL;
	int r = ctr_spec_load_buffer(&s, full_config, strlen(full_config), NULL, NULL);
	if (r < 0)
		return r;
	char *text = NULL;
	r = ctr_spec_to_json(s, &text, NULL, 1, NULL);
	ctr_free(text);
	struct oci_config *cfg = NULL;
	if (r == 0)
		r = oci_config_from_spec(s, &cfg, NULL);
	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
		struct oci_mount_opts o;
		r = oci_mount_parse_options(&cfg->mounts[i], &o, NULL);
		if (r == 0)
			free(o.data);
	}
	oci_config_free(cfg);
	const char *argv[] = {"a", "b", NULL};
	const char *opts[] = {"ro", NULL};
	if (r == 0)
		r = ctr_spec_set_args(s, argv, NULL);
	if (r == 0)
		r = ctr_spec_set_env(s, "K", "V", NULL);
	if (r == 0)
		r = ctr_spec_add_mount(s, "/m", "tmpfs", "tmpfs", opts, NULL);
	if (r == 0)
		r = ctr_spec_set_namespace(s, "ipc", "/proc/1/ns/ipc", NULL);
	if (r == 0)
		r = ctr_spec_set_annotation(s, "k", "v", NULL);
	ctr_spec *c = NULL;
	if (r == 0)
		r = ctr_spec_copy(&c, s, NULL);
	ctr_spec_free(c);
	ctr_spec_free(s);

	struct oci_process *p = NULL;
	static const char proc[] = "{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1]},"
				   "\"env\":[\"A=1\"],\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1}]}";
	if (r == 0)
		r = oci_process_from_buffer(proc, strlen(proc), NULL, &p, NULL);
	oci_process_free(p);
	return r;
}

static void test_every_allocation_fails_cleanly(void **state)
{
	unsigned long n = oom_try_every_allocation(exercise, 100000);
	assert_true(n > 50);
	print_message("# %lu allocation points tried\n", n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_cleanly),
	};
	return cmocka_run_group_tests_name("spec-oom", tests, NULL, NULL);
}

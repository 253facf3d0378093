/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation failure injection for lib/accel (same pattern as
 * tests/unit/test-spec-oom.c): every allocation the library makes itself
 * through malloc/calloc/realloc/strdup fails in turn while a registry loads
 * CDI specs (JSON and YAML), resolves requests, applies them to a spec and
 * writes CDI.  Each failure must give -ENOMEM, never a crash or a wrong
 * answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctr/ctr.h"
#include "common.h"
#include "../oom-inject.h"

static char *dir;

static int exercise(void)
{
	const char *dirs[] = { dir, NULL };
	const char *reqs[] = { "v.com/gpu=a", "v.com/gpu=b", "y.com/x=0", NULL };
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_container_edits *ed = NULL;
	ctr_spec *s = NULL;
	char *out = NULL;
	int r;

	ctr_accel_registry_options_init(&o);
	o.host_root = dir;
	o.cdi_dirs = dirs;
	o.no_builtin = 1;
	r = ctr_accel_registry_new(NULL, &reg, &o, NULL);
	if (r == 0)
		r = ctr_accel_registry_edits(reg, reqs, &ed, NULL);
	if (r == 0)
		r = ctr_spec_new_default(&s, NULL);
	if (r == 0)
		r = ctr_container_edits_apply(ed, s, NULL);
	if (r == 0)
		r = ctr_container_edits_to_json(ed, &out, NULL);
	ctr_free(out);
	out = NULL;
	if (r == 0)
		r = ctr_accel_registry_write_cdi(reg, "cdi", &out, NULL);
	ctr_free(out);
	ctr_container_edits_free(ed);
	ctr_spec_free(s);
	ctr_accel_registry_free(reg);
	return r;
}

static void test_every_allocation_fails_cleanly(void **state)
{
	unsigned long n;

	(void)state;
	n = oom_try_every_allocation(exercise, 200000);
	assert_true(n > 50);
	print_message("# %lu allocation points tried\n", n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_cleanly),
	};
	int r;

	dir = make_tmpdir();
	write_at(dir, "gpu.json",
		 "{\"cdiVersion\":\"0.7.0\",\"kind\":\"v.com/gpu\","
		 "\"containerEdits\":{\"env\":[\"SPEC=1\"],\"hooks\":[{\"hookName\":\"createContainer\",\"path\":\"/bin/true\",\"args\":[\"true\"]}]},"
		 "\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"DEV=a\"],\"additionalGids\":[44],"
		 "\"deviceNodes\":[{\"path\":\"/dev/gpu-a\",\"hostPath\":\"/dev/null\"}],"
		 "\"mounts\":[{\"hostPath\":\"/tmp\",\"containerPath\":\"/opt/x\",\"options\":[\"bind\"]}]}},"
		 "{\"name\":\"b\",\"containerEdits\":{\"env\":[\"DEV=b\"],\"deviceNodes\":[{\"path\":\"/dev/gpu-b\",\"hostPath\":\"/dev/zero\"}]}}]}");
	write_at(dir, "x.yaml",
		 "cdiVersion: \"1.1.0\"\nkind: y.com/x\ndevices:\n- name: \"0\"\n  containerEdits:\n    env: [X=1]\n"
		 "    netDevices: [{hostInterfaceName: eth9, name: net0}]\n    intelRdt: {closID: c}\n");
	r = cmocka_run_group_tests_name("accel-oom", tests, NULL, NULL);
	rm_rf(dir);
	free(dir);
	return r;
}

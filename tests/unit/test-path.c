/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr_path_nested (lib/util.c): whether two rootfs-relative paths are the
 * same or one is below the other, component by component.  create uses it
 * to decide whether the mounts that wait for the late cgroups may come after
 * the masked, read-only and device paths (lib/linux/container.c,
 * cg_mounts_last): a wrong "no" would mask a path before the mount that then
 * covers it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

static void nested(void **state)
{
	(void)state;
	static const char *const yes[][2] = {
		{"sys/fs/cgroup", "sys/fs/cgroup"},
		{"/sys/fs/cgroup/pids", "sys/fs/cgroup"},
		{"sys/fs/cgroup", "/sys/fs/cgroup/pids/"},
		{"/sys", "sys/fs/cgroup"},
		{"sys/fs/cgroup//", "/sys/fs/cgroup"},
		{"", "sys/fs/cgroup"},
		{"/", "dev/null"},
		{"dev", "/"},
	};
	static const char *const no[][2] = {
		{"sys/fs/cgroupx", "sys/fs/cgroup"},
		{"sys/fs/cgroup", "sys/fs/cgroupx/pids"},
		{"/proc/keys", "sys/fs/cgroup"},
		{"dev/null", "dev/nul"},
		{"sys/firmware", "sys/fs"},
		{"/sys/fs/cgroup2", "/sys/fs/cgroup"},
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!ctr_path_nested(yes[i][0], yes[i][1]))
			fail_msg("'%s' and '%s' are nested", yes[i][0], yes[i][1]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (ctr_path_nested(no[i][0], no[i][1]) || ctr_path_nested(no[i][1], no[i][0]))
			fail_msg("'%s' and '%s' are not nested", no[i][0], no[i][1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

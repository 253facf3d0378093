/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cmocka cases of tests/linux that need root (mknod, mount namespaces,
 * the real cgroupfs): skipped without it, a failure when
 * CTR_TESTS_MUST_RUN=1 (CI), so that a run as root never passes them by.
 * Include after <cmocka.h>.
 */
#ifndef CTR_TESTS_NEED_ROOT_H
#define CTR_TESTS_NEED_ROOT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void need_root_for(const char *why)
{
	if (geteuid() == 0)
		return;
	const char *must = getenv("CTR_TESTS_MUST_RUN");
	if (must && !strcmp(must, "1"))
		fail_msg("this case needs root (%s; CTR_TESTS_MUST_RUN=1)", why);
	skip();
}

#endif

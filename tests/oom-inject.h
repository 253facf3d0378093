/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation failure injection for a cmocka test linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup: every
 * allocation the library makes itself (json-c's own are not covered) can be
 * made to fail in turn.  Include it in exactly one file of a test program.
 */
#ifndef CTR_TESTS_OOM_INJECT_H
#define CTR_TESTS_OOM_INJECT_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* fail the allocation numbered fail_at (1-based); 0: never */
static unsigned long fail_at, count;
static bool failed;

static bool should_fail(void)
{
	if (fail_at && ++count == fail_at) {
		failed = true;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return should_fail() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

static void arm(unsigned long n)
{
	fail_at = n;
	count = 0;
	failed = false;
}

/*
 * exercise() must succeed with no failure injected; then each allocation it
 * makes, up to max, fails in turn and it must give 0 or -ENOMEM.  Returns
 * one past the number of allocation points tried.
 */
static unsigned long oom_try_every_allocation(int (*exercise)(void), unsigned long max)
{
	unsigned long n;

	arm(0);
	assert_int_equal(exercise(), 0);
	for (n = 1; n < max; n++) {
		arm(n);
		int r = exercise();
		if (!failed)
			break; /* every allocation point has been tried */
		if (r != 0 && r != -ENOMEM)
			fail_msg("allocation %lu failed: got %d, want -ENOMEM", n, r);
	}
	arm(0);
	return n;
}

#endif

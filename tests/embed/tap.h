/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TAP output for the host programs of tests/embed: ok(cond, fmt, ...), then tap_done(). */
#ifndef CTR_TESTS_EMBED_TAP_H
#define CTR_TESTS_EMBED_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tap_failed |= !cond;
}

/* the plan line; the exit status */
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed;
}

#endif

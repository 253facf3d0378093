/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Invariant checks shared by the fuzz targets.  Define FUZZ_NAME (the
 * target's name, for the message) before including this header.
 */
#ifndef CTR_FUZZ_CHECK_H
#define CTR_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "ctr/ctr.h"

/* abort() makes libFuzzer (and the corpus driver) report the input */
static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, FUZZ_NAME ": invariant broken: %s\n", what);
		abort();
	}
}

/* A failure's contract: negative errno, an error object that says so; frees e. */
static void check_error(int r, ctr_error *e)
{
	check(r < 0, "failure returns a negative errno");
	check(e != NULL, "failure sets *err");
	check(ctr_error_message(e)[0] != '\0', "error message is not empty");
	check(ctr_error_errno(e) == -r, "error errno matches the return value");
	ctr_error_free(e);
}

#endif

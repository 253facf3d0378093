/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the benchmark programs (timeit.c, inprocess.c) share. */
#ifndef CTR_BENCH_H
#define CTR_BENCH_H

#include <time.h>

/* CLOCK_MONOTONIC in milliseconds */
static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort of doubles, ascending */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#endif

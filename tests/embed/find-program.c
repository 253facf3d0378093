/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* find-program NAME: what ctr_find_program (lib/util.c) picks for NAME, for setid-path.sh. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char *p = ctr_find_program(argv[1]);
	printf("%s\n", p ? p : "(none)");
	free(p);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The positive control of fd-cloexec.sh: one dup() without close-on-exec and one fd with it. */
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	int a = dup(1);
	int b = fcntl(1, F_DUPFD_CLOEXEC, 0);
	close(a);
	close(b);
	return a < 0 || b < 0;
}

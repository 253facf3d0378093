/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test hooks of the library's internals, linked only into
 * ctr-demo-testhooks (tools/ctr-demo with the internal archive instead of
 * libctr.so).  The installed library has no way to reach them.
 *
 * ctr_test_net_step (lib/net/network.c): at the step named by
 * $CTR_TEST_NET_PAUSE ("veth", "addr" or "ports") of an attach, create the
 * file $CTR_TEST_NET_PAUSE_FILE and sleep 60 s, so that net-crash.sh can
 * kill the runtime there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void ctr_test_net_step(const char *step);

void ctr_test_net_step(const char *step)
{
	const char *s = getenv("CTR_TEST_NET_PAUSE");
	if (!s || strcmp(s, step))
		return;
	const char *f = getenv("CTR_TEST_NET_PAUSE_FILE");
	if (f) {
		int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	struct timespec ts = {60, 0};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

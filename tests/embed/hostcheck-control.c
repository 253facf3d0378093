/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The positive control of host-hygiene.sh: one dup() without close-on-exec
 * and one fd with it, one thread that can take signals and one that cannot.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	int a = dup(1);
	int b = fcntl(1, F_DUPFD_CLOEXEC, 0);
	close(a);
	close(b);
	pthread_t t1, t2;
	sigset_t all, old;
	int r = pthread_create(&t1, NULL, nothing, NULL);
	if (r == 0)
		pthread_join(t1, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r2 = pthread_create(&t2, NULL, nothing, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r2 == 0)
		pthread_join(t2, NULL);
	return a < 0 || b < 0 || r || r2;
}

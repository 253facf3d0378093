/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * noclone3 [--vm] PROGRAM [ARG...]: run PROGRAM with clone3 refused (ENOSYS),
 * as an old kernel or an engine's seccomp profile refuses it.  cgroups.sh
 * runs ctr-demo under it to reach create's fallback from clone3 with
 * CLONE_INTO_CGROUP (the child joins every cgroup itself).  --vm: clone
 * with CLONE_VM and CLONE_VFORK but not CLONE_THREAD (a process sharing the
 * caller's memory, as posix_spawn makes one) refused too (EPERM); threads and
 * other CLONE_VM tasks (LeakSanitizer's) still allowed: create then falls
 * back from its shared-memory child to a fork.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	bool vm = argc > 1 && !strcmp(argv[1], "--vm");
	if (vm) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: noclone3 [--vm] PROGRAM [ARG...]\n");
		return 2;
	}
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
	    (vm && seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM | CLONE_VFORK | CLONE_THREAD,
					    CLONE_VM | CLONE_VFORK)) < 0) ||
	    seccomp_load(f) < 0) {
		fprintf(stderr, "noclone3: cannot load the seccomp filter\n");
		return 2;
	}
	seccomp_release(f);
	execv(argv[1], argv + 1);
	perror("noclone3: exec");
	return 127;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/proc-blob.c: the plan the runtime hands the init stub.  Every
 * field survives the trip; a truncated, extended or corrupted buffer is
 * refused as a whole (the stub then reports a malformed plan), never read
 * past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "linux/proc-blob.h"

static char *argv_[] = {"/bin/sh", "-c", "echo hi", NULL};
static char *envp_[] = {"PATH=/bin", "A=b c", NULL};
static gid_t groups_[] = {10, 20, 30};
static struct ctr_rlim rl_[] = {{RLIMIT_NOFILE, {1024, 4096}}, {RLIMIT_CORE, {0, RLIM_INFINITY}}};
static unsigned char filter_[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static char *hargv_[] = {"/hook", "x", NULL};
static char *henv_[] = {"H=1", NULL};
static char *hargv2_[] = {"/hook2", NULL};
static char *henv2_[] = {NULL};

static void fill(struct ctr_proc *p, struct ctr_sighook_list *h, struct ctr_sighook hooks[2])
{
	memset(p, 0, sizeof(*p));
	p->argv = argv_;
	p->envp = envp_;
	p->cwd = (char *)"/work dir";
	p->uid = 1000;
	p->gid = 1001;
	p->groups = groups_;
	p->n_groups = 3;
	p->has_umask = true;
	p->umask = 027;
	p->nnp = true;
	p->has_caps = true;
	p->cap_bnd = 0x1fffefffffull;
	p->cap_eff = 1;
	p->cap_prm = 3;
	p->cap_inh = 0;
	p->cap_amb = 2;
	p->last_cap = 40;
	p->rlimits = rl_;
	p->n_rlimits = 2;
	p->preserve_fds = 4;
	p->seccomp_filter = filter_;
	p->seccomp_len = 2;
	p->seccomp_flags = 5;
	p->seccomp_listener = true;
	p->has_personality = true;
	p->personality = 8;
	p->has_ioprio = true;
	p->ioprio = (2 << 13) | 4;
	p->has_sched = true;
	p->sched.size = 48;
	p->sched.policy = 1;
	p->sched.nice = -5;
	p->sched.priority = 7;
	p->has_cpus_final = true;
	CPU_ZERO(&p->cpus_final);
	CPU_SET(1, &p->cpus_final);
	p->lsm_value = (char *)"exec my-profile";
	hooks[0] = (struct ctr_sighook){"/hook", hargv_, henv_, 5000, false};
	hooks[1] = (struct ctr_sighook){"/hook2", hargv2_, henv2_, -1, false};
	h->hooks = hooks;
	h->n = 2;
	h->kind = "startContainer";
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct ctr_proc p, q;
	struct ctr_sighook_list h, qh;
	struct ctr_sighook hooks[2];
	fill(&p, &h, hooks);
	char *buf;
	size_t len;
	assert_int_equal(ctr_proc_pack(&p, &h, &buf, &len), 0);
	assert_int_equal(ctr_proc_unpack(buf, len, &q, &qh), 0);
	for (int i = 0; argv_[i]; i++)
		assert_string_equal(q.argv[i], argv_[i]);
	assert_null(q.argv[3]);
	assert_string_equal(q.envp[1], "A=b c");
	assert_null(q.envp[2]);
	assert_string_equal(q.cwd, "/work dir");
	assert_int_equal(q.uid, 1000);
	assert_int_equal(q.gid, 1001);
	assert_int_equal(q.n_groups, 3);
	assert_int_equal(q.groups[2], 30);
	assert_true(q.has_umask && q.umask == 027 && q.nnp && q.has_caps);
	assert_int_equal(q.cap_bnd, p.cap_bnd);
	assert_int_equal(q.cap_eff, 1);
	assert_int_equal(q.cap_prm, 3);
	assert_int_equal(q.cap_amb, 2);
	assert_int_equal(q.last_cap, 40);
	assert_int_equal(q.n_rlimits, 2);
	assert_int_equal(q.rlimits[1].resource, RLIMIT_CORE);
	assert_true(q.rlimits[1].lim.rlim_max == RLIM_INFINITY);
	assert_int_equal(q.preserve_fds, 4);
	assert_int_equal(q.seccomp_len, 2);
	assert_memory_equal(q.seccomp_filter, filter_, 16);
	assert_int_equal(q.seccomp_flags, 5);
	assert_true(q.seccomp_listener && q.has_personality && q.personality == 8);
	assert_true(q.has_ioprio && q.ioprio == ((2 << 13) | 4));
	assert_true(q.has_sched && q.sched.size == 48 && q.sched.policy == 1 && q.sched.nice == -5 &&
		    q.sched.priority == 7);
	assert_true(q.has_cpus_final && CPU_ISSET(1, &q.cpus_final) && !CPU_ISSET(0, &q.cpus_final));
	assert_string_equal(q.lsm_value, "exec my-profile");
	assert_int_equal(q.notify_sock, -1);
	assert_int_equal(q.console_sock, -1);
	assert_int_equal(qh.n, 2);
	assert_string_equal(qh.hooks[0].path, "/hook");
	assert_string_equal(qh.hooks[0].argv[1], "x");
	assert_string_equal(qh.hooks[0].envp[0], "H=1");
	assert_int_equal(qh.hooks[0].timeout_ms, 5000);
	assert_null(qh.hooks[1].envp[0]);
	assert_int_equal(qh.hooks[1].timeout_ms, -1);
	ctr_proc_unpacked_free(&q, &qh);
	free(buf);
}

static void test_minimal(void **state)
{
	(void)state;
	struct ctr_proc p, q;
	struct ctr_sighook_list qh;
	memset(&p, 0, sizeof(p));
	char *empty[] = {NULL};
	p.argv = argv_;
	p.envp = empty;
	p.cwd = (char *)"/";
	char *buf;
	size_t len;
	assert_int_equal(ctr_proc_pack(&p, NULL, &buf, &len), 0);
	assert_int_equal(ctr_proc_unpack(buf, len, &q, &qh), 0);
	assert_null(q.seccomp_filter);
	assert_null(q.lsm_value);
	assert_null(q.envp[0]);
	assert_int_equal(qh.n, 0);
	ctr_proc_unpacked_free(&q, &qh);
	free(buf);
}

/* Every truncation, a byte more, and every single flipped byte of the header fields: refused or intact. */
static void test_hostile(void **state)
{
	(void)state;
	struct ctr_proc p, q;
	struct ctr_sighook_list h, qh;
	struct ctr_sighook hooks[2];
	fill(&p, &h, hooks);
	char *buf;
	size_t len;
	assert_int_equal(ctr_proc_pack(&p, &h, &buf, &len), 0);
	for (size_t cut = 0; cut < len; cut++) {
		char *c = malloc(cut ? cut : 1);
		memcpy(c, buf, cut);
		assert_int_equal(ctr_proc_unpack(c, cut, &q, &qh), -EINVAL);
		free(c);
	}
	char *longer = malloc(len + 1);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(ctr_proc_unpack(longer, len + 1, &q, &qh), -EINVAL);
	free(longer);
	for (size_t i = 0; i < len; i++) {
		char *c = malloc(len);
		memcpy(c, buf, len);
		c[i] ^= (char)0xa5;
		int r = ctr_proc_unpack(c, len, &q, &qh);
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0) {
			/* a flipped value that still parses: strings stay inside the buffer and terminated */
			for (size_t k = 0; q.argv[k]; k++)
				assert_true(q.argv[k] >= c && q.argv[k] < c + len);
			ctr_proc_unpacked_free(&q, &qh);
		}
		free(c);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

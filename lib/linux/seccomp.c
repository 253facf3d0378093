/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.seccomp (config-linux.md "Seccomp"): the filter is compiled to BPF
 * with libseccomp in the caller's process, before clone; the container
 * process only loads the finished program with the seccomp() syscall, which
 * is async-signal-safe.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "linux/lifecycle.h"
#include "linux/sigsafe.h"

static int parse_action(const char *name, bool has_ret, uint32_t ret, const char *where, uint32_t *out,
			ctr_error **err)
{
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(has_ret ? ret : EPERM);
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(has_ret ? ret : EPERM);
	else if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "config.json: %s: SCMP_ACT_NOTIFY (seccomp user notification) is not supported by "
			       "this runtime yet",
			       where);
	else
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s: unknown action '%s'", where, name);
	return 0;
}

static int parse_op(const char *op, enum scmp_compare *out)
{
	static const struct {
		const char *n;
		enum scmp_compare v;
	} ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
		   {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
		   {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i].n)) {
			*out = ops[i].v;
			return 0;
		}
	return -1;
}

static int add_rule(scmp_filter_ctx fctx, uint32_t act, int nr, const struct oci_seccomp_syscall *s,
		    const char *where, ctr_error **err)
{
	struct scmp_arg_cmp cmp[6];
	size_t n = s->n_args;
	if (n > 6)
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.args: at most 6 conditions", where);
	bool same_index = false;
	for (size_t i = 0; i < n; i++) {
		enum scmp_compare op;
		if (parse_op(s->args[i].op, &op) < 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.args[%zu].op: unknown operator '%s'",
				       where, i, s->args[i].op);
		if (s->args[i].index > 5)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.args[%zu].index: must be 0..5", where,
				       i);
		cmp[i] = SCMP_CMP(s->args[i].index, op, s->args[i].value, s->args[i].value_two);
		for (size_t j = 0; j < i; j++)
			if (s->args[j].index == s->args[i].index)
				same_index = true;
	}
	int r;
	if (!same_index) {
		r = seccomp_rule_add_array(fctx, act, nr, (unsigned)n, cmp);
	} else {
		/* several conditions on one argument: libseccomp cannot AND them; as runc, add one rule each */
		r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			r = seccomp_rule_add_array(fctx, act, nr, 1, &cmp[i]);
	}
	/* -EEXIST: the rule's action equals the default action, nothing to add */
	if (r < 0 && r != -EEXIST)
		return ctr_err(err, -r, CTR_E_SPEC, "config.json: %s: seccomp_rule_add: %s", where, strerror(-r));
	return 0;
}

int ctr_seccomp_build(const struct oci_seccomp *sc, struct ctr_proc *out, ctr_error **err)
{
	int r;
	uint32_t defact;
	if ((r = parse_action(sc->default_action ? sc->default_action : "", sc->has_default_errno_ret,
			      sc->default_errno_ret, "linux.seccomp.defaultAction", &defact, err)) < 0)
		return r;
	if (sc->listener_path)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "config.json: linux.seccomp.listenerPath: seccomp user notification is not supported by "
			       "this runtime yet");
	scmp_filter_ctx fctx = seccomp_init(defact);
	if (!fctx)
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: linux.seccomp: seccomp_init failed");
	unsigned flags = 0;
	/* NO_NEW_PRIVS is process.noNewPrivileges' business, not the filter's */
	seccomp_attr_set(fctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; i < sc->n_architectures; i++) {
		char name[64];
		const char *a = sc->architectures[i];
		if (!strncmp(a, "SCMP_ARCH_", 10))
			a += 10;
		size_t k = 0;
		for (; a[k] && k < sizeof(name) - 1; k++)
			name[k] = (char)tolower((unsigned char)a[k]);
		name[k] = '\0';
		uint32_t tok = seccomp_arch_resolve_name(name);
		if (!tok) {
			r = ctr_err(err, EINVAL, CTR_E_SPEC,
				    "config.json: linux.seccomp.architectures[%zu]: unknown architecture '%s'", i,
				    sc->architectures[i]);
			goto out;
		}
		r = seccomp_arch_add(fctx, tok);
		if (r < 0 && r != -EEXIST) {
			r = ctr_err(err, -r, CTR_E_SPEC, "config.json: linux.seccomp.architectures[%zu] (%s): %s", i,
				    sc->architectures[i], strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < sc->n_flags; i++) {
		const char *f = sc->flags[i];
		if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC"))
			; /* the container process has one thread */
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
			; /* only meaningful with user notification */
		else {
			r = ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: linux.seccomp.flags[%zu]: unknown flag '%s'",
				    i, f);
			goto out;
		}
	}
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		char where[64];
		snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
		uint32_t act;
		if ((r = parse_action(s->action ? s->action : "", s->has_errno_ret, s->errno_ret, where, &act, err)) <
		    0)
			goto out;
		for (size_t j = 0; j < s->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(s->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* a syscall this kernel/arch does not know: nothing to filter */
			if ((r = add_rule(fctx, act, nr, s, where, err)) < 0)
				goto out;
		}
	}
	/* compile to BPF through a memfd and keep the program in memory for the child */
	int mfd = memfd_create("ctr-seccomp", MFD_CLOEXEC);
	if (mfd < 0) {
		r = ctr_err_sys(err, errno, "linux.seccomp: memfd_create");
		goto out;
	}
	r = seccomp_export_bpf(fctx, mfd);
	if (r < 0) {
		close(mfd);
		r = ctr_err(err, -r, CTR_E_SPEC, "config.json: linux.seccomp: compile the filter: %s", strerror(-r));
		goto out;
	}
	struct stat st;
	if (fstat(mfd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(mfd);
		r = ctr_err(err, E2BIG, CTR_E_SPEC, "config.json: linux.seccomp: the compiled filter is too large");
		goto out;
	}
	void *buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(mfd);
		r = ctr_err_nomem(err);
		goto out;
	}
	if (pread(mfd, buf, (size_t)st.st_size, 0) != st.st_size) {
		int e = errno;
		close(mfd);
		free(buf);
		r = ctr_err_sys(err, e ? e : EIO, "linux.seccomp: read the compiled filter");
		goto out;
	}
	close(mfd);
	out->seccomp_filter = buf;
	out->seccomp_len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	out->seccomp_flags = flags;
	r = 0;
out:
	seccomp_release(fctx);
	return r;
}

int ctr_seccomp_load(const struct ctr_proc *p, char *eb, size_t n)
{
	if (!p->seccomp_filter)
		return 0;
	struct sock_fprog prog = {p->seccomp_len, (struct sock_filter *)p->seccomp_filter};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) < 0) {
		int e = errno;
		ss_fmt(eb, n, "linux.seccomp: load the filter: %s", ss_strerror(e));
		return -e;
	}
	return 0;
}

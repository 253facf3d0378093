/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.seccomp (config-linux.md "Seccomp"): the filter is compiled to BPF
 * with libseccomp in the caller's process, before clone (or read from the
 * compiled-filter cache, seccomp-cache.c); the container process only loads
 * the finished program with the seccomp() syscall, which is
 * async-signal-safe.  Where it loads it is explained in child.c
 * (ctr_proc_exec): after the start request, right before execve.
 *
 * SCMP_ACT_NOTIFY: the filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER;
 * the container process passes the listener fd back to the runtime on the
 * channel that asked it to exec (start, exec), and the runtime sends it to
 * linux.seccomp.listenerPath with the container process state
 * (ctr_seccomp_notify_send).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "linux/lifecycle.h"
#include "linux/seccomp-cache.h"
#include "linux/sigsafe.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

enum { ACT_PLAIN, ACT_ERRNO, ACT_TRACE, ACT_NOTIFY };

static const struct {
	const char *name;
	uint32_t act;
	int kind;
} actions[] = {
	/* SCMP_ACT_KILL is libseccomp's name for killing the thread */
	{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, ACT_PLAIN},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACT_PLAIN},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACT_PLAIN},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACT_PLAIN},
	{"SCMP_ACT_ERRNO", 0, ACT_ERRNO},
	{"SCMP_ACT_TRACE", 0, ACT_TRACE},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACT_PLAIN},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG, ACT_PLAIN},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, ACT_NOTIFY},
};

/*
 * The libseccomp action of an OCI action name.  errnoRet is only for the
 * actions that return something (runtime-spec: "When the action doesn't
 * support an errno, the runtime MUST print an error and fail"); its default
 * is EPERM.
 */
static int parse_action(const char *name, bool has_ret, uint32_t ret, const char *where, const char *retfield,
			uint32_t *out, int *kind, ctr_error **err)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(actions); i++) {
		if (strcmp(name, actions[i].name))
			continue;
		*kind = actions[i].kind;
		if (has_ret && actions[i].kind != ACT_ERRNO && actions[i].kind != ACT_TRACE)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: %s.%s: %s does not return an errno: remove %s or use "
				       "SCMP_ACT_ERRNO/SCMP_ACT_TRACE",
				       where, retfield, name, retfield);
		if (has_ret && ret > 0xffff)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.%s: %u is out of range (0..65535)",
				       where, retfield, ret);
		if (actions[i].kind == ACT_ERRNO)
			*out = SCMP_ACT_ERRNO(has_ret ? ret : EPERM);
		else if (actions[i].kind == ACT_TRACE)
			*out = SCMP_ACT_TRACE(has_ret ? ret : EPERM);
		else
			*out = actions[i].act;
		return 0;
	}
	return ctr_err(err, EINVAL, CTR_E_SPEC,
		       "config.json: %s.action: unknown action '%s': use one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
		       "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, "
		       "SCMP_ACT_LOG, SCMP_ACT_NOTIFY",
		       where, name);
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

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t arch_token(const char *a)
{
	char name[64];
	if (!strncmp(a, "SCMP_ARCH_", 10))
		a += 10;
	size_t k = 0;
	for (; a[k] && k < sizeof(name) - 1; k++)
		name[k] = (char)tolower((unsigned char)a[k]);
	name[k] = '\0';
	return seccomp_arch_resolve_name(name);
}

/* Does the kernel know this seccomp(2) flag?  An unknown flag is EINVAL; a known one reaches the NULL program: EFAULT. */
static bool kernel_has_flag(unsigned flag)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/*
 * Actions newer than seccomp itself (LOG 4.14, KILL_PROCESS 4.14, USER_NOTIF 5.0) are asked of the
 * kernel, so that a profile using one it lacks fails naming the action, not a libseccomp EINVAL.
 * checked/missing: bit per kind already asked / found missing.
 */
static int check_action_avail(uint32_t act, const char *name, const char *where, unsigned *checked,
			      unsigned *missing, ctr_error **err)
{
	static const uint32_t newer[] = {SCMP_ACT_LOG, SCMP_ACT_KILL_PROCESS, SCMP_ACT_NOTIFY};
	for (unsigned i = 0; i < CTR_ARRAY_SIZE(newer); i++) {
		if (act != newer[i])
			continue;
		if (!(*checked & (1u << i))) {
			uint32_t a = act;
			*checked |= 1u << i;
			if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) < 0)
				*missing |= 1u << i;
		}
		if (*missing & (1u << i))
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "config.json: %s: this kernel does not support %s: use another action", where, name);
	}
	return 0;
}

static int cmp_list(const struct oci_seccomp_syscall *s, const char *where, struct scmp_arg_cmp cmp[6], bool *same_index,
		    ctr_error **err)
{
	if (s->n_args > 6)
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.args: %zu conditions, at most 6 are possible",
			       where, s->n_args);
	*same_index = false;
	for (size_t i = 0; i < s->n_args; i++) {
		enum scmp_compare op;
		if (parse_op(s->args[i].op ? s->args[i].op : "", &op) < 0)
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: %s.args[%zu].op: unknown operator '%s': use SCMP_CMP_NE, "
				       "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or "
				       "SCMP_CMP_MASKED_EQ",
				       where, i, s->args[i].op ? s->args[i].op : "");
		if (s->args[i].index > 5)
			return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: %s.args[%zu].index: %u is not 0..5", where,
				       i, s->args[i].index);
		/* MASKED_EQ: value is the mask, valueTwo the datum, as in libseccomp and runc */
		cmp[i] = SCMP_CMP(s->args[i].index, op, s->args[i].value, s->args[i].value_two);
		for (size_t j = 0; j < i; j++)
			if (s->args[j].index == s->args[i].index)
				*same_index = true;
	}
	return 0;
}

static int add_rule(scmp_filter_ctx fctx, uint32_t act, int nr, const char *name, const struct oci_seccomp_syscall *s,
		    const char *where, ctr_error **err)
{
	struct scmp_arg_cmp cmp[6];
	bool same_index;
	int r = cmp_list(s, where, cmp, &same_index, err);
	if (r < 0)
		return r;
	if (!same_index) {
		r = seccomp_rule_add_array(fctx, act, nr, (unsigned)s->n_args, cmp);
	} else {
		/* several conditions on one argument: libseccomp cannot AND them; as runc, add one rule each */
		r = 0;
		for (size_t i = 0; i < s->n_args && r == 0; i++)
			r = seccomp_rule_add_array(fctx, act, nr, 1, &cmp[i]);
	}
	if (r < 0)
		return ctr_err(err, -r, CTR_E_SPEC, "config.json: %s: system call '%s': seccomp_rule_add: %s", where,
			       name, strerror(-r));
	return 0;
}

/*
 * Everything that can be wrong with the profile, checked without libseccomp's
 * compiler, so that a profile whose program comes from the cache is checked
 * as much as one that is compiled.  Sets the load flags and whether the
 * filter needs a listener.
 */
static int check_profile(const struct oci_seccomp *sc, uint32_t *defact, struct ctr_proc *out, ctr_error **err)
{
	int r, kind;
	bool notify = false;
	unsigned checked = 0, missing = 0;
	if ((r = parse_action(sc->default_action ? sc->default_action : "", sc->has_default_errno_ret,
			      sc->default_errno_ret, "linux.seccomp", "defaultErrnoRet", defact, &kind, err)) < 0 ||
	    (r = check_action_avail(*defact, sc->default_action, "linux.seccomp.defaultAction", &checked, &missing,
				    err)) < 0)
		return r;
	if (kind == ACT_NOTIFY)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action: "
			       "the runtime's own system calls would wait for the listener");
	for (size_t i = 0; i < sc->n_architectures; i++)
		if (!arch_token(sc->architectures[i]))
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.seccomp.architectures[%zu]: unknown architecture '%s': use a "
				       "name such as SCMP_ARCH_X86_64",
				       i, sc->architectures[i]);
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		char where[64];
		uint32_t act;
		struct scmp_arg_cmp cmp[6];
		bool same;
		snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
		char wact[80];
		snprintf(wact, sizeof(wact), "%s.action", where);
		if ((r = parse_action(s->action ? s->action : "", s->has_errno_ret, s->errno_ret, where, "errnoRet",
				      &act, &kind, err)) < 0 ||
		    (r = cmp_list(s, where, cmp, &same, err)) < 0)
			return r;
		for (size_t j = 0; kind == ACT_NOTIFY && j < s->n_names; j++)
			if (!strcmp(s->names[j], "sendmsg"))
				return ctr_err(err, EINVAL, CTR_E_SPEC,
					       "config.json: %s.names[%zu]: sendmsg cannot be SCMP_ACT_NOTIFY: the "
					       "container process passes the listener fd to the runtime with sendmsg "
					       "after loading the filter; use another action for it",
					       where, j);
		if ((r = check_action_avail(act, s->action, wact, &checked, &missing, err)) < 0)
			return r;
		notify |= kind == ACT_NOTIFY;
	}
	if (sc->listener_metadata && !sc->listener_path)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.seccomp.listenerMetadata: set without listenerPath (runtime-spec: MUST "
			       "NOT): add listenerPath or remove it");
	if (notify && !sc->listener_path)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY: the path of the "
			       "unix socket that receives the listener fd");
	unsigned flags = 0;
	static const struct {
		const char *name;
		unsigned flag;
	} known[] = {{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
		     {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
		     {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		     {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV}};
	for (size_t i = 0; i < sc->n_flags; i++) {
		size_t k = 0;
		while (k < CTR_ARRAY_SIZE(known) && strcmp(sc->flags[i], known[k].name))
			k++;
		if (k == CTR_ARRAY_SIZE(known))
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.seccomp.flags[%zu]: unknown flag '%s': use "
				       "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW "
				       "or SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
				       i, sc->flags[i]);
		/* WAIT_KILLABLE_RECV is about the listener: without SCMP_ACT_NOTIFY rules there is none */
		if (known[k].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify)
			continue;
		/* the kernel takes WAIT_KILLABLE_RECV only together with NEW_LISTENER */
		if (!kernel_has_flag(known[k].flag | (known[k].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
							      ? SECCOMP_FILTER_FLAG_NEW_LISTENER
							      : 0)))
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "config.json: linux.seccomp.flags[%zu]: this kernel does not support %s: remove it",
				       i, sc->flags[i]);
		flags |= known[k].flag;
	}
	/* TSYNC and NEW_LISTENER only go together with TSYNC_ESRCH (the container process has one thread) */
	if (notify && (flags & SECCOMP_FILTER_FLAG_TSYNC))
		flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	out->seccomp_flags = flags;
	out->seccomp_listener = notify;
	return 0;
}

static int compile(const ctr_context *ctx, const struct oci_seccomp *sc, uint32_t defact, void **prog, size_t *n_insns,
		   ctr_error **err)
{
	int r;
	scmp_filter_ctx fctx = seccomp_init(defact);
	if (!fctx)
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: linux.seccomp.defaultAction: seccomp_init failed");
	/* NO_NEW_PRIVS is process.noNewPrivileges' business, not the filter's */
	seccomp_attr_set(fctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; i < sc->n_architectures; i++) {
		r = seccomp_arch_add(fctx, arch_token(sc->architectures[i]));
		if (r < 0 && r != -EEXIST) {
			r = ctr_err(err, -r, CTR_E_SPEC, "config.json: linux.seccomp.architectures[%zu] (%s): %s", i,
				    sc->architectures[i], strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		char where[64];
		uint32_t act;
		int kind;
		snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
		if ((r = parse_action(s->action ? s->action : "", s->has_errno_ret, s->errno_ret, where, "errnoRet",
				      &act, &kind, err)) < 0)
			goto out;
		if (act == defact)
			continue; /* the default does it already (libseccomp refuses such rules) */
		for (size_t j = 0; j < s->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(s->names[j]);
			if (nr == __NR_SCMP_ERROR) {
				/* runtime-spec: a name this kernel/libseccomp does not know is not an error */
				ctr_debug(ctx, "config.json: %s.names[%zu]: unknown system call '%s' skipped", where, j,
					  s->names[j]);
				continue;
			}
			if ((r = add_rule(fctx, act, nr, s->names[j], s, where, err)) < 0)
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
	struct stat st;
	if (r < 0) {
		r = ctr_err(err, -r, CTR_E_SPEC, "config.json: linux.seccomp: compile the filter: %s", strerror(-r));
	} else if (fstat(mfd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
		   st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		r = ctr_err(err, E2BIG, CTR_E_SPEC,
			    "config.json: linux.seccomp: the compiled filter is larger than the kernel's %d instructions: "
			    "use fewer rules",
			    BPF_MAXINSNS);
	} else if (!(*prog = malloc((size_t)st.st_size))) {
		r = ctr_err_nomem(err);
	} else if (pread(mfd, *prog, (size_t)st.st_size, 0) != st.st_size) {
		r = ctr_err_sys(err, errno ? errno : EIO, "linux.seccomp: read the compiled filter");
		free(*prog);
		*prog = NULL;
	} else {
		*n_insns = (size_t)st.st_size / sizeof(struct sock_filter);
		r = 0;
	}
	close(mfd);
out:
	seccomp_release(fctx);
	return r;
}

int ctr_seccomp_build(const ctr_context *ctx, const struct oci_seccomp *sc, struct ctr_proc *out, ctr_error **err)
{
	int r;
	uint32_t defact;
	if ((r = check_profile(sc, &defact, out, err)) < 0)
		return r;
	unsigned char key[CTR_SECCOMP_KEY_LEN];
	bool cache = false;
	void *prog = NULL;
	size_t n = 0;
	if (ctx && ctx->state_root) {
		ctr_seccomp_cache_key(sc, key);
		cache = true;
		if ((r = ctr_seccomp_cache_get(ctx, key, &prog, &n)) < 0)
			return ctr_err_nomem(err);
	}
	if (!prog) {
		if ((r = compile(ctx, sc, defact, &prog, &n, err)) < 0)
			return r;
		if (cache)
			ctr_seccomp_cache_put(ctx, key, prog, n);
	}
	out->seccomp_filter = prog;
	out->seccomp_len = (unsigned short)n;
	return 0;
}

int ctr_seccomp_notify_send(const struct oci_seccomp *sc, const char *oci_version, const char *state_json, pid_t pid,
			    int fd, ctr_error **err)
{
	if (!sc || !sc->listener_path)
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.seccomp.listenerPath: missing, but the container process made a "
			       "seccomp listener");
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sc->listener_path) >= sizeof(sa.sun_path))
		return ctr_err(err, ENAMETOOLONG, CTR_E_SPEC,
			       "config.json: linux.seccomp.listenerPath: '%s' is longer than a unix socket path can be",
			       sc->listener_path);
	strcpy(sa.sun_path, sc->listener_path);
	/* config-linux.md "Seccomp" and runtime.md "Container Process State" */
	json_object *o = json_object_new_object(), *fds = json_object_new_array(), *st = NULL;
	if (!o || !fds) {
		json_object_put(o);
		json_object_put(fds);
		return ctr_err_nomem(err);
	}
	json_object_object_add(o, "ociVersion", json_object_new_string(oci_version ? oci_version : CTR_OCI_VERSION));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(pid));
	if (sc->listener_metadata)
		json_object_object_add(o, "metadata", json_object_new_string(sc->listener_metadata));
	if (!(st = json_tokener_parse(state_json))) {
		json_object_put(o);
		return ctr_err_nomem(err);
	}
	json_object_object_add(o, "state", st);
	size_t len;
	const char *doc = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	int r = 0;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!doc)
		r = ctr_err_nomem(err);
	else if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = ctr_err_sys(err, errno, "config.json: linux.seccomp.listenerPath: connect to %s (is the seccomp "
				"agent listening?)", sc->listener_path);
	else {
		ssize_t w = ctr_send_with_fd(s, doc, len, fd);
		if (w != (ssize_t)len)
			r = ctr_err_sys(err, w < 0 ? (int)-w : EIO, "config.json: linux.seccomp.listenerPath: send the "
					"container process state and the listener fd to %s", sc->listener_path);
	}
	if (s >= 0)
		close(s);
	json_object_put(o);
	return r;
}

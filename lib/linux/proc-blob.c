/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Flattening struct ctr_proc for the init stub; see proc-blob.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/proc-blob.h"

/* ---- writer (the runtime's process) ---- */

struct wbuf {
	char *b;
	size_t len, cap;
	bool failed;
};

static void put(struct wbuf *w, const void *p, size_t n)
{
	if (w->failed || n == 0)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		char *nb = realloc(w->b, cap);
		if (!nb) {
			w->failed = true;
			return;
		}
		w->b = nb;
		w->cap = cap;
	}
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(w, b, 8);
}

/* A string: length + 1 (0 for NULL), then the bytes and the NUL. */
static void put_str(struct wbuf *w, const char *s)
{
	if (!s) {
		put_u64(w, 0);
		return;
	}
	size_t n = strlen(s) + 1;
	put_u64(w, n);
	put(w, s, n);
}

static void put_strv(struct wbuf *w, char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	put_u64(w, n);
	for (size_t i = 0; i < n; i++)
		put_str(w, v[i]);
}

static void put_bytes(struct wbuf *w, const void *p, size_t n)
{
	put_u64(w, n);
	put(w, p, n);
}

int ctr_proc_pack(const struct ctr_proc *p, const struct ctr_sighook_list *hooks, char **out, size_t *len)
{
	struct wbuf w = {0};
	put(&w, CTR_BLOB_MAGIC, 8);
	put_strv(&w, p->argv);
	put_strv(&w, p->envp);
	put_str(&w, p->cwd);
	put_u64(&w, p->uid);
	put_u64(&w, p->gid);
	put_u64(&w, p->n_groups);
	for (size_t i = 0; i < p->n_groups; i++)
		put_u64(&w, p->groups[i]);
	put_u64(&w, p->has_umask);
	put_u64(&w, p->umask);
	put_u64(&w, p->nnp);
	put_u64(&w, p->has_caps);
	put_u64(&w, p->cap_bnd);
	put_u64(&w, p->cap_eff);
	put_u64(&w, p->cap_prm);
	put_u64(&w, p->cap_inh);
	put_u64(&w, p->cap_amb);
	put_u64(&w, (uint64_t)(int64_t)p->last_cap);
	put_u64(&w, p->n_rlimits);
	for (size_t i = 0; i < p->n_rlimits; i++) {
		put_u64(&w, (uint64_t)(int64_t)p->rlimits[i].resource);
		put_u64(&w, p->rlimits[i].lim.rlim_cur);
		put_u64(&w, p->rlimits[i].lim.rlim_max);
	}
	put_u64(&w, p->preserve_fds > 0 ? (uint64_t)p->preserve_fds : 0);
	/* struct sock_filter is the kernel's 8-byte layout on every libc */
	put_bytes(&w, p->seccomp_filter, p->seccomp_filter ? (size_t)p->seccomp_len * 8 : 0);
	put_u64(&w, p->seccomp_flags);
	put_u64(&w, p->seccomp_listener);
	put_u64(&w, p->has_personality);
	put_u64(&w, p->personality);
	put_u64(&w, p->has_ioprio);
	put_u64(&w, (uint64_t)(int64_t)p->ioprio);
	put_u64(&w, p->has_sched);
	put_u64(&w, p->sched.size);
	put_u64(&w, p->sched.policy);
	put_u64(&w, p->sched.flags);
	put_u64(&w, (uint64_t)(int64_t)p->sched.nice);
	put_u64(&w, p->sched.priority);
	put_u64(&w, p->sched.runtime);
	put_u64(&w, p->sched.deadline);
	put_u64(&w, p->sched.period);
	put_u64(&w, p->has_cpus_final);
	put_bytes(&w, &p->cpus_final, p->has_cpus_final ? sizeof(p->cpus_final) : 0);
	put_u64(&w, p->has_mempolicy);
	put_u64(&w, (uint64_t)(int64_t)p->mempolicy_mode);
	put_u64(&w, p->mempolicy_maxnode);
	for (size_t i = 0; i < CTR_ARRAY_SIZE(p->mempolicy_nodes); i++)
		put_u64(&w, p->mempolicy_nodes[i]);
	put_str(&w, p->lsm_value);
	size_t nh = hooks ? hooks->n : 0;
	put_u64(&w, nh);
	for (size_t i = 0; i < nh; i++) {
		const struct ctr_sighook *h = &hooks->hooks[i];
		put_str(&w, h->path);
		put_strv(&w, h->argv);
		put_strv(&w, h->envp);
		put_u64(&w, (uint64_t)(int64_t)h->timeout_ms);
	}
	put(&w, CTR_BLOB_MAGIC, 8); /* trailer: a truncated buffer is refused */
	if (w.failed || w.len > CTR_BLOB_MAX) {
		free(w.b);
		return -ENOMEM;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

/* ---- reader (the init stub) ---- */

struct rbuf {
	char *b;
	size_t len, off;
	bool bad;
};

static uint64_t get_u64(struct rbuf *r)
{
	if (r->bad || r->len - r->off < 8) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)(unsigned char)r->b[r->off + (size_t)i] << (8 * i);
	r->off += 8;
	return v;
}

static void *get_raw(struct rbuf *r, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	void *p = r->b + r->off;
	r->off += n;
	return p;
}

static char *get_str(struct rbuf *r)
{
	uint64_t n = get_u64(r);
	if (n == 0)
		return NULL;
	char *s = get_raw(r, n);
	if (s && s[n - 1] != '\0') {
		r->bad = true;
		return NULL;
	}
	return s;
}

static char **get_strv(struct rbuf *r)
{
	uint64_t n = get_u64(r);
	if (r->bad || n > (r->len - r->off) / 8) {
		r->bad = true;
		return NULL;
	}
	char **v = calloc(n + 1, sizeof(char *));
	if (!v) {
		r->bad = true;
		return NULL;
	}
	for (uint64_t i = 0; i < n; i++) {
		v[i] = get_str(r);
		if (!v[i])
			r->bad = true;
	}
	return v;
}

static void *get_bytes(struct rbuf *r, size_t *n)
{
	uint64_t len = get_u64(r);
	*n = (size_t)len;
	return len ? get_raw(r, len) : NULL;
}

void ctr_proc_unpacked_free(struct ctr_proc *p, struct ctr_sighook_list *hooks)
{
	if (p) {
		free(p->argv);
		free(p->envp);
		free(p->groups);
		free(p->rlimits);
		p->argv = p->envp = NULL;
		p->groups = NULL;
		p->rlimits = NULL;
	}
	if (hooks) {
		for (size_t i = 0; i < hooks->n && hooks->hooks; i++) {
			free(hooks->hooks[i].argv);
			free(hooks->hooks[i].envp);
		}
		free(hooks->hooks);
		hooks->hooks = NULL;
		hooks->n = 0;
	}
}

int ctr_proc_unpack(char *buf, size_t len, struct ctr_proc *p, struct ctr_sighook_list *hooks)
{
	struct rbuf r = {buf, len, 0, false};
	memset(p, 0, sizeof(*p));
	memset(hooks, 0, sizeof(*hooks));
	hooks->kind = "startContainer";
	p->console_sock = p->notify_sock = -1;
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
	char *magic = get_raw(&r, 8);
	if (!magic || memcmp(magic, CTR_BLOB_MAGIC, 8))
		return -EINVAL;
	p->argv = get_strv(&r);
	p->envp = get_strv(&r);
	p->cwd = get_str(&r);
	p->uid = (uid_t)get_u64(&r);
	p->gid = (gid_t)get_u64(&r);
	uint64_t ng = get_u64(&r);
	if (!r.bad && ng <= 65536 && ng <= (r.len - r.off) / 8) {
		p->groups = calloc(ng ? ng : 1, sizeof(gid_t));
		if (!p->groups)
			r.bad = true;
		for (uint64_t i = 0; p->groups && i < ng; i++)
			p->groups[i] = (gid_t)get_u64(&r);
		p->n_groups = (size_t)ng;
	} else {
		r.bad = true;
	}
	p->has_umask = get_u64(&r) != 0;
	p->umask = (mode_t)get_u64(&r);
	p->nnp = get_u64(&r) != 0;
	p->has_caps = get_u64(&r) != 0;
	p->cap_bnd = get_u64(&r);
	p->cap_eff = get_u64(&r);
	p->cap_prm = get_u64(&r);
	p->cap_inh = get_u64(&r);
	p->cap_amb = get_u64(&r);
	p->last_cap = (int)(int64_t)get_u64(&r);
	if (p->last_cap < 0 || p->last_cap > 63)
		r.bad = true;
	uint64_t nr = get_u64(&r);
	if (!r.bad && nr <= 64) {
		p->rlimits = calloc(nr ? nr : 1, sizeof(*p->rlimits));
		if (!p->rlimits)
			r.bad = true;
		for (uint64_t i = 0; p->rlimits && i < nr; i++) {
			p->rlimits[i].resource = (int)(int64_t)get_u64(&r);
			p->rlimits[i].lim.rlim_cur = (rlim_t)get_u64(&r);
			p->rlimits[i].lim.rlim_max = (rlim_t)get_u64(&r);
		}
		p->n_rlimits = (size_t)nr;
	} else {
		r.bad = true;
	}
	uint64_t pf = get_u64(&r);
	p->preserve_fds = pf > 65536 ? (r.bad = true, 0) : (int)pf;
	size_t flen;
	p->seccomp_filter = get_bytes(&r, &flen);
	if (flen % 8 || flen / 8 > 0xffff)
		r.bad = true;
	p->seccomp_len = (unsigned short)(flen / 8);
	p->seccomp_flags = (unsigned)get_u64(&r);
	p->seccomp_listener = get_u64(&r) != 0;
	p->has_personality = get_u64(&r) != 0;
	p->personality = (unsigned long)get_u64(&r);
	p->has_ioprio = get_u64(&r) != 0;
	p->ioprio = (int)(int64_t)get_u64(&r);
	p->has_sched = get_u64(&r) != 0;
	p->sched.size = (uint32_t)get_u64(&r);
	p->sched.policy = (uint32_t)get_u64(&r);
	p->sched.flags = get_u64(&r);
	p->sched.nice = (int32_t)(int64_t)get_u64(&r);
	p->sched.priority = (uint32_t)get_u64(&r);
	p->sched.runtime = get_u64(&r);
	p->sched.deadline = get_u64(&r);
	p->sched.period = get_u64(&r);
	p->has_cpus_final = get_u64(&r) != 0;
	size_t clen;
	void *cpus = get_bytes(&r, &clen);
	if (p->has_cpus_final) {
		if (!cpus || clen != sizeof(p->cpus_final))
			r.bad = true;
		else
			memcpy(&p->cpus_final, cpus, clen);
	}
	p->has_mempolicy = get_u64(&r) != 0;
	p->mempolicy_mode = (int)(int64_t)get_u64(&r);
	p->mempolicy_maxnode = (unsigned long)get_u64(&r);
	if (p->mempolicy_maxnode > 8 * sizeof(p->mempolicy_nodes) + 1)
		r.bad = true;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(p->mempolicy_nodes); i++)
		p->mempolicy_nodes[i] = (unsigned long)get_u64(&r);
	p->lsm_value = get_str(&r);
	uint64_t nh = get_u64(&r);
	if (!r.bad && nh <= 4096) {
		hooks->hooks = calloc(nh ? nh : 1, sizeof(*hooks->hooks));
		if (!hooks->hooks)
			r.bad = true;
		for (uint64_t i = 0; hooks->hooks && i < nh && !r.bad; i++) {
			struct ctr_sighook *h = &hooks->hooks[i];
			hooks->n = (size_t)i + 1;
			h->path = get_str(&r);
			h->argv = get_strv(&r);
			h->envp = get_strv(&r);
			h->timeout_ms = (int)(int64_t)get_u64(&r);
			if (!h->path || !h->argv || !h->argv[0])
				r.bad = true;
		}
	} else {
		r.bad = true;
	}
	magic = get_raw(&r, 8);
	if (!r.bad && (!magic || memcmp(magic, CTR_BLOB_MAGIC, 8) || r.off != r.len))
		r.bad = true;
	if (!r.bad && (!p->argv || !p->argv[0] || !p->envp || !p->cwd))
		r.bad = true;
	if (r.bad) {
		ctr_proc_unpacked_free(p, hooks);
		return -EINVAL;
	}
	return 0;
}

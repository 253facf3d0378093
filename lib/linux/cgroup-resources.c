/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.resources -> cgroup files, for v1 and v2 (config-linux.md and the
 * conversions runc 1.1 and crun use for v2: cpu.weight from shares, io.weight
 * from blkio weights, memory.swap.max = swap - limit), applying them with
 * rollback, and the stats of runc's `events --stats`.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup.h"
#include "linux/cgroup-devices.h"

struct wlist {
	struct ctr_cg_write *w;
	size_t n, cap;
	unsigned v1, v2;
	bool has_v2;
	const char *v2_note;
	ctr_error **err;
	int r;
};

static struct json_object *member(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static bool get_i64(struct json_object *o, const char *k, int64_t *out)
{
	struct json_object *v = member(o, k);
	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool get_u64(struct json_object *o, const char *k, uint64_t *out)
{
	struct json_object *v = member(o, k);
	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

/* Where a controller's files go: 1 v1, 2 v2, 0 nowhere. */
static int where(const struct wlist *l, unsigned ctrl)
{
	if (l->v1 & ctrl)
		return 1;
	if (l->v2 & ctrl)
		return 2;
	return 0;
}

static struct ctr_cg_write *add(struct wlist *l, unsigned ctrl, bool v2, const char *field, const char *file,
				const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static struct ctr_cg_write *add(struct wlist *l, unsigned ctrl, bool v2, const char *field, const char *file,
				const char *fmt, ...)
{
	if (l->r < 0)
		return NULL;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct ctr_cg_write *nw = realloc(l->w, nc * sizeof(*nw));
		if (!nw) {
			l->r = ctr_err_nomem(l->err);
			return NULL;
		}
		l->w = nw;
		l->cap = nc;
	}
	struct ctr_cg_write *w = &l->w[l->n++];
	memset(w, 0, sizeof(*w));
	w->ctrl = ctrl;
	w->v2 = v2;
	snprintf(w->field, sizeof(w->field), "linux.resources.%s", field);
	snprintf(w->file, sizeof(w->file), "%s", file);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->value, sizeof(w->value), fmt, ap);
	va_end(ap);
	return w;
}

static int missing(struct wlist *l, const char *field, unsigned ctrl)
{
	if (l->r < 0)
		return l->r;
	/* controllers cgroup v2 has, when the container's v2 cgroup lacks one for a reason create noted */
	const unsigned v2_kinds = CTR_CGC_CPU | CTR_CGC_CPUSET | CTR_CGC_MEMORY | CTR_CGC_IO | CTR_CGC_PIDS |
				  CTR_CGC_HUGETLB | CTR_CGC_RDMA | CTR_CGC_MISC | CTR_CGC_PERF;
	if (l->v2_note && (ctrl & v2_kinds) && !(l->v1 & ctrl))
		return l->r = ctr_err(l->err, ENOTSUP, CTR_E_UNSUPPORTED,
				      "config.json: linux.resources.%s: the container's cgroup has no %s controller: %s",
				      field, ctr_cg_ctrl_name(ctrl, true), l->v2_note);
	return l->r = ctr_err(l->err, ENOTSUP, CTR_E_UNSUPPORTED,
			      "config.json: linux.resources.%s: this host has no %s cgroup controller for the container "
			      "(not mounted, or not enabled in the parent's cgroup.subtree_control): drop the field",
			      field, ctr_cg_ctrl_name(ctrl, false));
}

static int bad(struct wlist *l, const char *field, const char *why)
{
	if (l->r < 0)
		return l->r;
	return l->r = ctr_err(l->err, EINVAL, CTR_E_SPEC, "config.json: linux.resources.%s: %s", field, why);
}

/* v2 "max" for a negative limit */
static void v2_limit(char *buf, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(buf, n, "max");
	else
		snprintf(buf, n, "%" PRId64, v);
}

static void map_memory(struct wlist *l, struct json_object *m)
{
	int64_t limit = 0, resv = 0, swap = 0, kernel = 0, tcp = 0;
	uint64_t swappiness = 0;
	bool has_limit = get_i64(m, "limit", &limit) && limit != 0;
	bool has_resv = get_i64(m, "reservation", &resv) && resv != 0;
	bool has_swap = get_i64(m, "swap", &swap) && swap != 0;
	bool has_kernel = get_i64(m, "kernel", &kernel) && kernel != 0;
	bool has_tcp = get_i64(m, "kernelTCP", &tcp) && tcp != 0;
	bool has_swappiness = get_u64(m, "swappiness", &swappiness);
	struct json_object *oom = member(m, "disableOOMKiller"), *hier = member(m, "useHierarchy");
	bool any = has_limit || has_resv || has_swap || has_kernel || has_tcp || has_swappiness ||
		   (oom && json_object_get_boolean(oom)) || hier;
	if (!any)
		return;
	int at = where(l, CTR_CGC_MEMORY);
	if (!at) {
		missing(l, "memory", CTR_CGC_MEMORY);
		return;
	}
	char v[64];
	if (at == 1) {
		if (has_limit) {
			struct ctr_cg_write *w = add(l, CTR_CGC_MEMORY, false, "memory.limit", "memory.limit_in_bytes",
						     "%" PRId64, limit);
			if (w && has_swap)
				w->swap_pair = true;
		}
		if (has_swap)
			add(l, CTR_CGC_MEMORY, false, "memory.swap", "memory.memsw.limit_in_bytes", "%" PRId64, swap);
		if (has_resv)
			add(l, CTR_CGC_MEMORY, false, "memory.reservation", "memory.soft_limit_in_bytes", "%" PRId64,
			    resv);
		struct ctr_cg_write *w;
		/* kernel memory limits are gone from kernels >= 6.1 (runc warns and goes on): skip when absent */
		if (has_kernel && (w = add(l, CTR_CGC_MEMORY, false, "memory.kernel", "memory.kmem.limit_in_bytes",
					   "%" PRId64, kernel)))
			w->optional = true;
		if (has_tcp)
			add(l, CTR_CGC_MEMORY, false, "memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes", "%" PRId64,
			    tcp);
		if (has_swappiness) {
			if (swappiness > 100)
				bad(l, "memory.swappiness", "must be between 0 and 100");
			add(l, CTR_CGC_MEMORY, false, "memory.swappiness", "memory.swappiness", "%" PRIu64, swappiness);
		}
		if (oom && json_object_get_boolean(oom))
			add(l, CTR_CGC_MEMORY, false, "memory.disableOOMKiller", "memory.oom_control", "1");
		/* always 1 on kernels >= 5.x where writing it is refused or absent: skip when absent */
		if (hier && (w = add(l, CTR_CGC_MEMORY, false, "memory.useHierarchy", "memory.use_hierarchy", "%d",
				     json_object_get_boolean(hier) ? 1 : 0)))
			w->optional = true;
		return;
	}
	if (has_limit) {
		v2_limit(v, sizeof(v), limit);
		add(l, CTR_CGC_MEMORY, true, "memory.limit", "memory.max", "%s", v);
	}
	if (has_resv) {
		v2_limit(v, sizeof(v), resv);
		add(l, CTR_CGC_MEMORY, true, "memory.reservation", "memory.low", "%s", v);
	}
	/* runc's ConvertMemorySwapToCgroupV2Value: OCI swap is memory+swap, v2 swap.max is swap alone */
	if (has_swap || (has_limit && limit == -1)) {
		if (swap == -1 || (limit == -1 && swap == 0))
			add(l, CTR_CGC_MEMORY, true, "memory.swap", "memory.swap.max", "max");
		else if (!has_limit || limit < 0)
			bad(l, "memory.swap", "a swap limit needs memory.limit as well on cgroup v2");
		else if (swap < limit)
			bad(l, "memory.swap", "memory+swap (swap) must be >= memory.limit");
		else
			add(l, CTR_CGC_MEMORY, true, "memory.swap", "memory.swap.max", "%" PRId64, swap - limit);
	}
	if (has_swappiness && swappiness > 100)
		bad(l, "memory.swappiness", "must be between 0 and 100");
	/* kernel, kernelTCP, swappiness, disableOOMKiller and useHierarchy have no v2 file (runc and crun ignore them) */
}

/* runc 1.1's ConvertCPUSharesToCgroupV2Value */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static void map_cpu(struct wlist *l, struct json_object *c)
{
	uint64_t shares = 0, period = 0, rtperiod = 0, burst = 0;
	int64_t quota = 0, rtruntime = 0, idle = 0;
	bool has_shares = get_u64(c, "shares", &shares) && shares != 0;
	bool has_quota = get_i64(c, "quota", &quota) && quota != 0;
	bool has_period = get_u64(c, "period", &period) && period != 0;
	bool has_burst = get_u64(c, "burst", &burst);
	bool has_rtr = get_i64(c, "realtimeRuntime", &rtruntime) && rtruntime != 0;
	bool has_rtp = get_u64(c, "realtimePeriod", &rtperiod) && rtperiod != 0;
	bool has_idle = get_i64(c, "idle", &idle);
	struct json_object *cpus = member(c, "cpus"), *mems = member(c, "mems");
	const char *scpus = cpus ? json_object_get_string(cpus) : "", *smems = mems ? json_object_get_string(mems) : "";
	if (has_shares || has_quota || has_period || has_burst || has_rtr || has_rtp || has_idle) {
		int at = where(l, CTR_CGC_CPU);
		if (!at)
			missing(l, "cpu", CTR_CGC_CPU);
		else if (at == 1) {
			if (has_shares)
				add(l, CTR_CGC_CPU, false, "cpu.shares", "cpu.shares", "%" PRIu64, shares);
			if (has_period)
				add(l, CTR_CGC_CPU, false, "cpu.period", "cpu.cfs_period_us", "%" PRIu64, period);
			if (has_quota)
				add(l, CTR_CGC_CPU, false, "cpu.quota", "cpu.cfs_quota_us", "%" PRId64, quota);
			if (has_burst)
				add(l, CTR_CGC_CPU, false, "cpu.burst", "cpu.cfs_burst_us", "%" PRIu64, burst);
			/* the period first: a runtime above the current period is refused */
			if (has_rtp)
				add(l, CTR_CGC_CPU, false, "cpu.realtimePeriod", "cpu.rt_period_us", "%" PRIu64, rtperiod);
			if (has_rtr)
				add(l, CTR_CGC_CPU, false, "cpu.realtimeRuntime", "cpu.rt_runtime_us", "%" PRId64,
				    rtruntime);
			if (has_idle)
				add(l, CTR_CGC_CPU, false, "cpu.idle", "cpu.idle", "%" PRId64, idle);
		} else {
			if (has_shares)
				add(l, CTR_CGC_CPU, true, "cpu.shares", "cpu.weight", "%" PRIu64, shares_to_weight(shares));
			if (has_quota || has_period) {
				char q[32] = "max";
				if (quota > 0)
					snprintf(q, sizeof(q), "%" PRId64, quota);
				add(l, CTR_CGC_CPU, true, has_quota ? "cpu.quota" : "cpu.period", "cpu.max", "%s %" PRIu64, q,
				    has_period ? period : 100000);
			}
			if (has_burst)
				add(l, CTR_CGC_CPU, true, "cpu.burst", "cpu.max.burst", "%" PRIu64, burst);
			if (has_rtr || has_rtp)
				bad(l, has_rtr ? "cpu.realtimeRuntime" : "cpu.realtimePeriod",
				    "cgroup v2 has no realtime cpu controls: drop the field");
			if (has_idle)
				add(l, CTR_CGC_CPU, true, "cpu.idle", "cpu.idle", "%" PRId64, idle);
		}
	}
	if (*scpus || *smems) {
		int at = where(l, CTR_CGC_CPUSET);
		if (!at)
			missing(l, *scpus ? "cpu.cpus" : "cpu.mems", CTR_CGC_CPUSET);
		if (at && *scpus)
			add(l, CTR_CGC_CPUSET, at == 2, "cpu.cpus", "cpuset.cpus", "%s", scpus);
		if (at && *smems)
			add(l, CTR_CGC_CPUSET, at == 2, "cpu.mems", "cpuset.mems", "%s", smems);
	}
}

static void map_pids(struct wlist *l, struct json_object *p)
{
	int64_t lim;
	if (!get_i64(p, "limit", &lim) || lim == 0)
		return;
	int at = where(l, CTR_CGC_PIDS);
	if (!at) {
		missing(l, "pids.limit", CTR_CGC_PIDS);
		return;
	}
	if (lim < 0)
		add(l, CTR_CGC_PIDS, at == 2, "pids.limit", "pids.max", "max");
	else
		add(l, CTR_CGC_PIDS, at == 2, "pids.limit", "pids.max", "%" PRId64, lim);
}

/* runc's convertBlkIOToIOWeightValue: [10, 1000] -> [1, 10000] */
static uint64_t blkio_to_io_weight(uint64_t w)
{
	return w ? 1 + (w - 10) * 9999 / 990 : 0;
}

static void map_blkio(struct wlist *l, struct json_object *b)
{
	static const struct {
		const char *key, *v1, *v2;
	} thr[] = {
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
	};
	uint64_t weight = 0, leaf = 0;
	bool has_w = get_u64(b, "weight", &weight) && weight != 0;
	bool has_leaf = get_u64(b, "leafWeight", &leaf) && leaf != 0;
	struct json_object *wd = member(b, "weightDevice");
	size_t nwd = wd && json_object_is_type(wd, json_type_array) ? json_object_array_length(wd) : 0;
	size_t nthr = 0;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(thr); i++) {
		struct json_object *a = member(b, thr[i].key);
		nthr += a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	}
	if (!has_w && !has_leaf && !nwd && !nthr)
		return;
	int at = where(l, CTR_CGC_IO);
	if (!at) {
		missing(l, "blockIO", CTR_CGC_IO);
		return;
	}
	if ((has_w && (weight < 10 || weight > 1000)) || (has_leaf && (leaf < 10 || leaf > 1000)))
		bad(l, has_w ? "blockIO.weight" : "blockIO.leafWeight", "must be between 10 and 1000");
	struct ctr_cg_write *w;
	if (has_w) {
		if (at == 1) {
			if ((w = add(l, CTR_CGC_IO, false, "blockIO.weight", "blkio.weight", "%" PRIu64, weight))) {
				snprintf(w->alt_file, sizeof(w->alt_file), "blkio.bfq.weight");
				snprintf(w->alt_value, sizeof(w->alt_value), "%" PRIu64, weight);
			}
		} else if ((w = add(l, CTR_CGC_IO, true, "blockIO.weight", "io.bfq.weight", "%" PRIu64, weight))) {
			snprintf(w->alt_file, sizeof(w->alt_file), "io.weight");
			snprintf(w->alt_value, sizeof(w->alt_value), "default %" PRIu64, blkio_to_io_weight(weight));
		}
	}
	if (has_leaf) {
		if (at == 2)
			bad(l, "blockIO.leafWeight", "cgroup v2 has no leaf weight: drop the field");
		else
			add(l, CTR_CGC_IO, false, "blockIO.leafWeight", "blkio.leaf_weight", "%" PRIu64, leaf);
	}
	for (size_t i = 0; i < nwd; i++) {
		struct json_object *e = json_object_array_get_idx(wd, i);
		int64_t maj = 0, min = 0;
		uint64_t dw = 0, dl = 0;
		char field[64];
		snprintf(field, sizeof(field), "blockIO.weightDevice[%zu]", i);
		if (!get_i64(e, "major", &maj) || !get_i64(e, "minor", &min)) {
			bad(l, field, "major and minor are required");
			continue;
		}
		if (get_u64(e, "weight", &dw) && dw) {
			if (at == 1) {
				if ((w = add(l, CTR_CGC_IO, false, field, "blkio.weight_device", "%" PRId64 ":%" PRId64 " %" PRIu64,
					     maj, min, dw))) {
					snprintf(w->alt_file, sizeof(w->alt_file), "blkio.bfq.weight_device");
					snprintf(w->alt_value, sizeof(w->alt_value), "%s", w->value);
				}
			} else if ((w = add(l, CTR_CGC_IO, true, field, "io.bfq.weight", "%" PRId64 ":%" PRId64 " %" PRIu64,
					    maj, min, dw))) {
				snprintf(w->alt_file, sizeof(w->alt_file), "io.weight");
				snprintf(w->alt_value, sizeof(w->alt_value), "%" PRId64 ":%" PRId64 " %" PRIu64, maj, min,
					 blkio_to_io_weight(dw));
			}
		}
		if (get_u64(e, "leafWeight", &dl) && dl) {
			if (at == 2)
				bad(l, field, "leafWeight: cgroup v2 has no leaf weight: drop the field");
			else
				add(l, CTR_CGC_IO, false, field, "blkio.leaf_weight_device",
				    "%" PRId64 ":%" PRId64 " %" PRIu64, maj, min, dl);
		}
	}
	for (size_t t = 0; t < CTR_ARRAY_SIZE(thr); t++) {
		struct json_object *a = member(b, thr[t].key);
		size_t na = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
		for (size_t i = 0; i < na; i++) {
			struct json_object *e = json_object_array_get_idx(a, i);
			int64_t maj = 0, min = 0;
			uint64_t rate = 0;
			char field[80];
			snprintf(field, sizeof(field), "blockIO.%s[%zu]", thr[t].key, i);
			if (!get_i64(e, "major", &maj) || !get_i64(e, "minor", &min) || !get_u64(e, "rate", &rate)) {
				bad(l, field, "major, minor and rate are required");
				continue;
			}
			if (at == 1)
				add(l, CTR_CGC_IO, false, field, thr[t].v1, "%" PRId64 ":%" PRId64 " %" PRIu64, maj, min,
				    rate);
			else if (rate == 0)
				add(l, CTR_CGC_IO, true, field, "io.max", "%" PRId64 ":%" PRId64 " %s=max", maj, min,
				    thr[t].v2);
			else
				add(l, CTR_CGC_IO, true, field, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64, maj, min,
				    thr[t].v2, rate);
		}
	}
}

static void map_hugetlb(struct wlist *l, struct json_object *a)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *ps = member(e, "pageSize");
		uint64_t limit = 0;
		char field[64];
		snprintf(field, sizeof(field), "hugepageLimits[%zu]", i);
		const char *size = ps ? json_object_get_string(ps) : NULL;
		if (!size || !*size || strspn(size, "0123456789") == 0 ||
		    strspn(size + strspn(size, "0123456789"), "KMGB") != strlen(size + strspn(size, "0123456789"))) {
			bad(l, field, "pageSize must look like \"2MB\" or \"1GB\"");
			continue;
		}
		if (!get_u64(e, "limit", &limit)) {
			bad(l, field, "limit is required");
			continue;
		}
		int at = where(l, CTR_CGC_HUGETLB);
		if (!at) {
			missing(l, field, CTR_CGC_HUGETLB);
			continue;
		}
		char file[64];
		snprintf(file, sizeof(file), at == 1 ? "hugetlb.%s.limit_in_bytes" : "hugetlb.%s.max", size);
		add(l, CTR_CGC_HUGETLB, at == 2, field, file, "%" PRIu64, limit);
	}
}

static void map_network(struct wlist *l, struct json_object *n)
{
	uint64_t classid;
	if (get_u64(n, "classID", &classid)) {
		if (!(l->v1 & CTR_CGC_NET_CLS))
			missing(l, "network.classID", CTR_CGC_NET_CLS);
		else
			add(l, CTR_CGC_NET_CLS, false, "network.classID", "net_cls.classid", "%" PRIu64, classid);
	}
	struct json_object *pr = member(n, "priorities");
	size_t np = pr && json_object_is_type(pr, json_type_array) ? json_object_array_length(pr) : 0;
	for (size_t i = 0; i < np; i++) {
		struct json_object *e = json_object_array_get_idx(pr, i), *name = member(e, "name");
		uint64_t prio = 0;
		char field[64];
		snprintf(field, sizeof(field), "network.priorities[%zu]", i);
		if (!name || !get_u64(e, "priority", &prio)) {
			bad(l, field, "name and priority are required");
			continue;
		}
		if (!(l->v1 & CTR_CGC_NET_PRIO)) {
			missing(l, field, CTR_CGC_NET_PRIO);
			continue;
		}
		add(l, CTR_CGC_NET_PRIO, false, field, "net_prio.ifpriomap", "%s %" PRIu64, json_object_get_string(name),
		    prio);
	}
}

static void map_rdma(struct wlist *l, struct json_object *r)
{
	if (!json_object_is_type(r, json_type_object))
		return;
	json_object_object_foreach(r, dev, lim)
	{
		char field[128], val[200] = "";
		size_t vl = 0;
		uint64_t h, o;
		snprintf(field, sizeof(field), "rdma.%s", dev);
		if (get_u64(lim, "hcaHandles", &h))
			vl += (size_t)snprintf(val + vl, sizeof(val) - vl, " hca_handle=%" PRIu64, h);
		if (get_u64(lim, "hcaObjects", &o))
			vl += (size_t)snprintf(val + vl, sizeof(val) - vl, " hca_object=%" PRIu64, o);
		if (!vl)
			continue;
		int at = where(l, CTR_CGC_RDMA);
		if (!at) {
			missing(l, field, CTR_CGC_RDMA);
			continue;
		}
		add(l, CTR_CGC_RDMA, at == 2, field, "rdma.max", "%s%s", dev, val);
	}
}

static void map_unified(struct wlist *l, struct json_object *u)
{
	if (!json_object_is_type(u, json_type_object) || json_object_object_length(u) == 0)
		return;
	if (!l->has_v2) {
		bad(l, "unified", "this host has cgroup v1 only: the unified (cgroup v2) keys cannot be applied; drop them");
		return;
	}
	json_object_object_foreach(u, key, val)
	{
		char field[128];
		snprintf(field, sizeof(field), "unified.%s", key);
		const char *dot = strchr(key, '.');
		if (!dot || dot == key || strchr(key, '/') || !strcmp(key, "..") ||
		    strlen(key) >= sizeof(((struct ctr_cg_write *)0)->file)) {
			bad(l, field, "not a cgroup v2 file name (controller.file)");
			continue;
		}
		if (!json_object_is_type(val, json_type_string)) {
			bad(l, field, "the value must be a string");
			continue;
		}
		unsigned ctrl = ctr_cg_ctrl_bit(key, (size_t)(dot - key));
		if (!strncmp(key, "cgroup.", 7))
			ctrl = 0;
		else if (!ctrl) {
			bad(l, field, "unknown controller");
			continue;
		}
		if (ctrl && !(l->v2 & ctrl)) {
			missing(l, field, ctrl);
			continue;
		}
		add(l, ctrl, true, field, key, "%s", json_object_get_string(val));
	}
}

int ctr_cg_resources_writes(struct json_object *resources, unsigned v1_ctrls, unsigned v2_ctrls, bool has_v2,
			    struct ctr_cg_write **out, size_t *n, ctr_error **err)
{
	return ctr_cg_resources_writes_note(resources, v1_ctrls, v2_ctrls, has_v2, NULL, out, n, err);
}

int ctr_cg_resources_writes_note(struct json_object *resources, unsigned v1_ctrls, unsigned v2_ctrls, bool has_v2,
				 const char *v2_note, struct ctr_cg_write **out, size_t *n, ctr_error **err)
{
	struct wlist l = {NULL, 0, 0, v1_ctrls, v2_ctrls, has_v2, v2_note, err, 0};
	*out = NULL;
	*n = 0;
	if (!resources)
		return 0;
	if (!json_object_is_type(resources, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_SPEC, "config.json: linux.resources: must be an object");
	static const struct {
		const char *key;
		void (*map)(struct wlist *, struct json_object *);
	} groups[] = {
		{"memory", map_memory},	      {"cpu", map_cpu},		{"pids", map_pids},  {"blockIO", map_blkio},
		{"hugepageLimits", map_hugetlb}, {"network", map_network}, {"rdma", map_rdma}, {"unified", map_unified},
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(groups); i++) {
		struct json_object *v = member(resources, groups[i].key);
		if (v)
			groups[i].map(&l, v);
	}
	if (l.r < 0) {
		free(l.w);
		return l.r;
	}
	*out = l.w;
	*n = l.n;
	return 0;
}

/* ---- apply ---- */

static int dir_of(struct ctr_cgroup *cg, const struct ctr_cg_write *w)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].v2 == w->v2 && (w->v2 || (cg->h[i].ctrls & w->ctrl))) {
			if (cg->h[i].fd < 0)
				cg->h[i].fd = open(cg->h[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			return cg->h[i].fd >= 0 ? (int)i : -1;
		}
	return -1;
}

static int do_write(struct ctr_cgroup *cg, const struct ctr_cg_write *w, ctr_error **err)
{
	int i = dir_of(cg, w);
	if (i < 0)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "config.json: %s: the container has no %s cgroup",
			       w->field, w->v2 ? "unified" : ctr_cg_ctrl_name(w->ctrl, false));
	int r = ctr_cg_write_file(cg->h[i].fd, w->file, w->value);
	if (r == -ENOENT && w->alt_file[0]) {
		r = ctr_cg_write_file(cg->h[i].fd, w->alt_file, w->alt_value);
		if (r < 0)
			return ctr_err_sys(err, -r, "config.json: %s: write '%s' to %s/%s", w->field, w->alt_value,
					   cg->h[i].dir, w->alt_file);
		return 0;
	}
	if (r == -ENOENT && w->optional)
		return 0;
	if (r == -ENOENT)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "config.json: %s: %s/%s does not exist: the kernel or the parent cgroup does not "
			       "provide it (enable the controller or drop the field)",
			       w->field, cg->h[i].dir, w->file);
	if (r < 0)
		return ctr_err_sys(err, -r, "config.json: %s: write '%s' to %s/%s", w->field, w->value, cg->h[i].dir,
				   w->file);
	return 0;
}

static int read_u64_at(struct ctr_cgroup *cg, unsigned ctrl, bool v2, const char *file, uint64_t *out)
{
	struct ctr_cg_write probe = {.ctrl = ctrl, .v2 = v2};
	int i = dir_of(cg, &probe);
	if (i < 0)
		return -ENOENT;
	char buf[64];
	int fd = openat(cg->h[i].fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*out = strtoull(buf, NULL, 10);
	return 0;
}

/* memory.checkBeforeUpdate: refuse a limit below what the container uses now */
static int check_before_update(struct ctr_cgroup *cg, struct json_object *resources, ctr_error **err)
{
	struct json_object *m = member(resources, "memory"), *chk = member(m, "checkBeforeUpdate");
	int64_t limit;
	if (!chk || !json_object_get_boolean(chk) || !get_i64(m, "limit", &limit) || limit <= 0)
		return 0;
	uint64_t usage;
	if (read_u64_at(cg, CTR_CGC_MEMORY, false, "memory.usage_in_bytes", &usage) < 0 &&
	    read_u64_at(cg, CTR_CGC_MEMORY, true, "memory.current", &usage) < 0)
		return 0;
	if ((uint64_t)limit < usage)
		return ctr_err(err, EBUSY, CTR_E_INVALID,
			       "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64
			       " and checkBeforeUpdate is set",
			       limit, usage);
	return 0;
}

int ctr_cgroup_apply(struct ctr_cgroup *cg, const struct oci_config *cfg, struct json_object *resources,
		     bool update, ctr_error **err)
{
	unsigned v1 = 0, v2 = 0;
	bool has_v2 = false;
	const char *note = NULL;
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].v2) {
			v2 |= cg->h[i].ctrls;
			has_v2 = true;
			note = cg->h[i].note;
		} else
			v1 |= cg->h[i].ctrls;
	}
	struct ctr_cg_write *w = NULL;
	size_t n = 0;
	int r = ctr_cg_resources_writes_note(resources, v1, v2, has_v2, note, &w, &n, err);
	if (r < 0)
		return r;
	if (update && (r = check_before_update(cg, resources, err)) < 0) {
		free(w);
		return r;
	}
	for (size_t k = 0; k < n && r == 0; k++) {
		ctr_error *e = NULL;
		r = do_write(cg, &w[k], &e);
		if (r == -EINVAL && w[k].swap_pair && k + 1 < n) {
			/* raising memory above the current memory+swap limit: the swap limit goes first */
			ctr_error_free(e);
			e = NULL;
			if ((r = do_write(cg, &w[k + 1], &e)) == 0)
				r = do_write(cg, &w[k], &e);
			k++;
		}
		if (r < 0) {
			if (err && !*err)
				*err = e;
			else
				ctr_error_free(e);
		}
	}
	free(w);
	if (r < 0)
		return r;
	struct json_object *devs = member(resources, "devices");
	if (!update || devs) {
		struct ctr_dev_rule *rules = NULL;
		size_t nr = 0;
		if ((r = ctr_cgdev_rules_build(cfg, devs, &rules, &nr, err)) < 0)
			return r;
		/*
		 * A v1/v2 hybrid host with the devices controller on v1: that
		 * controller enforces the rules exactly (ctr_cgdev_apply_v1 refuses
		 * what it cannot express), and the kernel checks both it and any
		 * cgroup2 device program, so a program on the unified cgroup would
		 * only repeat the same rules.  Loading one is the dearest step of a
		 * create here (BPF_PROG_LOAD: about 530 us, longer than the nine
		 * v1 mkdirs together), so there is none, as with runc and crun on
		 * such hosts.  An update still replaces one that an older libctr
		 * attached, so that it never keeps refusing what the update allows.
		 */
		bool v1_devices = false;
		for (size_t i = 0; i < cg->n; i++)
			if (!cg->h[i].v2 && (cg->h[i].ctrls & CTR_CGC_DEVICES))
				v1_devices = true;
		for (size_t i = 0; i < cg->n && r == 0; i++) {
			if (cg->h[i].fd < 0 && (cg->h[i].fd = open(cg->h[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
				continue;
			if (!cg->h[i].v2 && (cg->h[i].ctrls & CTR_CGC_DEVICES) && geteuid() == 0) {
				/* v1 device rules need CAP_SYS_ADMIN: a rootless runtime (also with a
				 * delegated cgroup) skips them as runc and crun do; its container is
				 * in a user namespace, where mknod is refused and only host nodes
				 * bind-mounted by the runtime exist */
				r = ctr_cgdev_apply_v1(cg->h[i].fd, rules, nr, err);
			} else if (cg->h[i].v2 && geteuid() == 0 && (!v1_devices || update)) {
				/* bpf(BPF_PROG_ATTACH) refuses O_PATH fds: open the directory for reading */
				int d = open(cg->h[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (d < 0)
					r = ctr_err_sys(err, errno, "%s: open", cg->h[i].dir);
				else {
					r = ctr_cgdev_apply_v2(d, rules, nr, v1_devices, err);
					close(d);
				}
			}
		}
		free(rules);
	}
	return r;
}

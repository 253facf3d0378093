/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container stats from the cgroup files of v1 and v2, in the shape of
 * runc 1.1's `events --stats` data (libcontainer's types.Stats): cpu,
 * memory, pids, blkio, hugetlb.  A controller the container lacks leaves
 * its member empty.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup.h"

struct src {
	struct ctr_cgroup *cg;
	int fd;  /* the hierarchy's dir fd, -1: none */
	bool v2;
};

/* The hierarchy that holds ctrl: v1 first, then the unified one. */
static struct src find(struct ctr_cgroup *cg, unsigned ctrl)
{
	struct src s = {cg, -1, false};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < cg->n; i++)
			if (cg->h[i].v2 == (pass == 1) && (cg->h[i].ctrls & ctrl)) {
				if (cg->h[i].fd < 0)
					cg->h[i].fd = open(cg->h[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (cg->h[i].fd < 0)
					continue;
				s.fd = cg->h[i].fd;
				s.v2 = cg->h[i].v2;
				return s;
			}
	return s;
}

static char *slurp(int dirfd, const char *file)
{
	if (dirfd < 0)
		return NULL;
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	while (b) {
		ssize_t n = read(fd, b + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (b)
		b[len] = '\0';
	return b;
}

static bool read_u64(int dirfd, const char *file, uint64_t *out)
{
	char *b = slurp(dirfd, file);
	if (!b)
		return false;
	bool ok = b[0] >= '0' && b[0] <= '9';
	*out = ok ? strtoull(b, NULL, 10) : UINT64_MAX; /* "max" */
	ok = ok || !strncmp(b, "max", 3);
	free(b);
	return ok;
}

/* "key value" lines */
static bool kv(const char *buf, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*out = strtoull(p + kl + 1, NULL, 10);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void put_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static json_object *raw_map(const char *buf)
{
	json_object *o = json_object_new_object();
	for (const char *p = buf; o && p && *p;) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		if (sp && (!nl || sp < nl)) {
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
			put_u64(o, key, strtoull(sp + 1, NULL, 10));
		}
		p = nl ? nl + 1 : NULL;
	}
	return o;
}

static json_object *cpu_stats(struct ctr_cgroup *cg)
{
	json_object *cpu = json_object_new_object(), *usage = json_object_new_object(), *thr = json_object_new_object();
	struct src s = find(cg, CTR_CGC_CPU);
	char *st = slurp(s.fd, "cpu.stat");
	uint64_t v;
	if (s.v2 && st) {
		if (kv(st, "usage_usec", &v))
			put_u64(usage, "total", v * 1000);
		if (kv(st, "system_usec", &v))
			put_u64(usage, "kernel", v * 1000);
		if (kv(st, "user_usec", &v))
			put_u64(usage, "user", v * 1000);
		if (kv(st, "throttled_usec", &v) && v)
			put_u64(thr, "throttledTime", v * 1000);
	} else {
		struct src a = find(cg, CTR_CGC_CPUACCT);
		char *cs = slurp(a.fd, "cpuacct.stat"), *pc = slurp(a.fd, "cpuacct.usage_percpu");
		long hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
		if (read_u64(a.fd, "cpuacct.usage", &v))
			put_u64(usage, "total", v);
		if (pc) {
			json_object *arr = json_object_new_array();
			for (char *p = pc, *end; arr && *p; p = end) {
				uint64_t x = strtoull(p, &end, 10);
				if (end == p)
					break;
				json_object_array_add(arr, json_object_new_uint64(x));
			}
			json_object_object_add(usage, "percpu", arr);
		}
		if (cs && kv(cs, "system", &v))
			put_u64(usage, "kernel", v * 1000000000ull / (uint64_t)hz);
		if (cs && kv(cs, "user", &v))
			put_u64(usage, "user", v * 1000000000ull / (uint64_t)hz);
		if (st && kv(st, "throttled_time", &v) && v)
			put_u64(thr, "throttledTime", v);
		free(cs);
		free(pc);
	}
	if (!json_object_object_get_ex(usage, "kernel", NULL))
		put_u64(usage, "kernel", 0);
	if (!json_object_object_get_ex(usage, "user", NULL))
		put_u64(usage, "user", 0);
	if (st && kv(st, "nr_periods", &v) && v)
		put_u64(thr, "periods", v);
	if (st && kv(st, "nr_throttled", &v) && v)
		put_u64(thr, "throttledPeriods", v);
	free(st);
	json_object_object_add(cpu, "usage", usage);
	json_object_object_add(cpu, "throttling", thr);
	return cpu;
}

/* {"limit":..,"usage":..,"max":..,"failcnt":..} from v1 files with a prefix */
static json_object *mem_entry_v1(int fd, const char *prefix)
{
	json_object *e = json_object_new_object();
	char f[96];
	uint64_t v;
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	put_u64(e, "limit", read_u64(fd, f, &v) ? v : 0);
	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	if (read_u64(fd, f, &v) && v)
		put_u64(e, "usage", v);
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	if (read_u64(fd, f, &v) && v)
		put_u64(e, "max", v);
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	put_u64(e, "failcnt", read_u64(fd, f, &v) ? v : 0);
	return e;
}

static json_object *memory_stats(struct ctr_cgroup *cg)
{
	json_object *m = json_object_new_object();
	struct src s = find(cg, CTR_CGC_MEMORY);
	if (s.fd < 0)
		return m;
	char *st = slurp(s.fd, "memory.stat");
	uint64_t v;
	if (!s.v2) {
		if (st && kv(st, "cache", &v) && v)
			put_u64(m, "cache", v);
		json_object_object_add(m, "usage", mem_entry_v1(s.fd, "memory"));
		json_object_object_add(m, "swap", mem_entry_v1(s.fd, "memory.memsw"));
		json_object_object_add(m, "kernel", mem_entry_v1(s.fd, "memory.kmem"));
		json_object_object_add(m, "kernelTCP", mem_entry_v1(s.fd, "memory.kmem.tcp"));
	} else {
		json_object *u = json_object_new_object(), *sw = json_object_new_object();
		char *ev = slurp(s.fd, "memory.events");
		put_u64(u, "limit", read_u64(s.fd, "memory.max", &v) ? v : 0);
		if (read_u64(s.fd, "memory.current", &v) && v)
			put_u64(u, "usage", v);
		if (read_u64(s.fd, "memory.peak", &v) && v)
			put_u64(u, "max", v);
		put_u64(u, "failcnt", ev && kv(ev, "max", &v) ? v : 0);
		put_u64(sw, "limit", read_u64(s.fd, "memory.swap.max", &v) ? v : 0);
		if (read_u64(s.fd, "memory.swap.current", &v) && v)
			put_u64(sw, "usage", v);
		put_u64(sw, "failcnt", 0);
		if (st && kv(st, "file", &v) && v)
			put_u64(m, "cache", v);
		json_object_object_add(m, "usage", u);
		json_object_object_add(m, "swap", sw);
		json_object *k = json_object_new_object(), *kt = json_object_new_object();
		put_u64(k, "limit", 0);
		put_u64(k, "failcnt", 0);
		put_u64(kt, "limit", 0);
		put_u64(kt, "failcnt", 0);
		json_object_object_add(m, "kernel", k);
		json_object_object_add(m, "kernelTCP", kt);
		free(ev);
	}
	if (st)
		json_object_object_add(m, "raw", raw_map(st));
	free(st);
	return m;
}

static json_object *pids_stats(struct ctr_cgroup *cg)
{
	json_object *p = json_object_new_object();
	struct src s = find(cg, CTR_CGC_PIDS);
	uint64_t v;
	if (read_u64(s.fd, "pids.current", &v) && v)
		put_u64(p, "current", v);
	if (read_u64(s.fd, "pids.max", &v) && v != UINT64_MAX)
		put_u64(p, "limit", v);
	return p;
}

static void blk_entry(json_object *arr, unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_object *e = json_object_new_object();
	put_u64(e, "major", maj);
	put_u64(e, "minor", min);
	json_object_object_add(e, "op", json_object_new_string(op));
	put_u64(e, "value", v);
	json_object_array_add(arr, e);
}

/* v1 "maj:min Op value" lines */
static json_object *blk_v1(int fd, const char *file)
{
	char *b = slurp(fd, file);
	if (!b)
		return NULL;
	json_object *arr = json_object_new_array();
	char *save = NULL; /* strtok_r: the library may run in many threads */
	for (char *line = strtok_r(b, "\n", &save); arr && line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[32];
		unsigned long long v;
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
			blk_entry(arr, maj, min, op, v);
	}
	free(b);
	return arr;
}

/* runc omits empty blkio lists */
static void add_entries(json_object *o, const char *key, json_object *arr)
{
	if (arr && json_object_array_length(arr))
		json_object_object_add(o, key, arr);
	else
		json_object_put(arr);
}

static json_object *blkio_stats(struct ctr_cgroup *cg)
{
	json_object *b = json_object_new_object();
	struct src s = find(cg, CTR_CGC_IO);
	if (s.fd < 0)
		return b;
	if (!s.v2) {
		json_object *a = blk_v1(s.fd, "blkio.throttle.io_service_bytes_recursive"),
			    *c = blk_v1(s.fd, "blkio.throttle.io_serviced_recursive");
		add_entries(b, "ioServiceBytesRecursive", a);
		add_entries(b, "ioServicedRecursive", c);
		return b;
	}
	char *st = slurp(s.fd, "io.stat");
	json_object *bytes = json_object_new_array(), *ios = json_object_new_array();
	char *save = NULL;
	for (char *line = st ? strtok_r(st, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		if (sscanf(line, "%u:%u", &maj, &min) != 2)
			continue;
		uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
		for (char *tok = strchr(line, ' '); tok; tok = strchr(tok + 1, ' ')) {
			unsigned long long x;
			if (sscanf(tok, " rbytes=%llu", &x) == 1)
				rb = x;
			else if (sscanf(tok, " wbytes=%llu", &x) == 1)
				wb = x;
			else if (sscanf(tok, " rios=%llu", &x) == 1)
				ri = x;
			else if (sscanf(tok, " wios=%llu", &x) == 1)
				wi = x;
		}
		blk_entry(bytes, maj, min, "Read", rb);
		blk_entry(bytes, maj, min, "Write", wb);
		blk_entry(ios, maj, min, "Read", ri);
		blk_entry(ios, maj, min, "Write", wi);
	}
	free(st);
	add_entries(b, "ioServiceBytesRecursive", bytes);
	add_entries(b, "ioServicedRecursive", ios);
	return b;
}

/* "0-3,5" as [0,1,2,3,5] */
static json_object *cpu_list(const char *s)
{
	json_object *a = json_object_new_array();
	while (a && s && *s && *s != '\n') {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (end == s)
			break;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long i = lo; i <= hi && i - lo < 65536; i++)
			json_object_array_add(a, json_object_new_uint64(i));
		s = *end == ',' ? end + 1 : end;
	}
	return a;
}

static json_object *cpuset_stats(struct ctr_cgroup *cg)
{
	json_object *o = json_object_new_object();
	struct src s = find(cg, CTR_CGC_CPUSET);
	char *c = slurp(s.fd, s.v2 ? "cpuset.cpus.effective" : "cpuset.cpus");
	char *m = slurp(s.fd, s.v2 ? "cpuset.mems.effective" : "cpuset.mems");
	if (c)
		json_object_object_add(o, "cpus", cpu_list(c));
	if (m)
		json_object_object_add(o, "mems", cpu_list(m));
	free(c);
	free(m);
	return o;
}

static json_object *hugetlb_stats(struct ctr_cgroup *cg)
{
	json_object *h = json_object_new_object();
	struct src s = find(cg, CTR_CGC_HUGETLB);
	if (s.fd < 0)
		return h;
	int dfd = openat(s.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return h;
	}
	struct dirent *e;
	const char *suffix = s.v2 ? ".current" : ".usage_in_bytes";
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (strncmp(e->d_name, "hugetlb.", 8) || l <= 8 + sl || strcmp(e->d_name + l - sl, suffix) ||
		    memchr(e->d_name + 8, '.', l - 8 - sl))
			continue;
		char size[32], f[96];
		snprintf(size, sizeof(size), "%.*s", (int)(l - 8 - sl), e->d_name + 8);
		json_object *x = json_object_new_object();
		uint64_t v;
		if (read_u64(s.fd, e->d_name, &v) && v)
			put_u64(x, "usage", v);
		snprintf(f, sizeof(f), s.v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", size);
		if (!s.v2 && read_u64(s.fd, f, &v) && v)
			put_u64(x, "max", v);
		if (s.v2) {
			snprintf(f, sizeof(f), "hugetlb.%s.events", size);
			char *ev = slurp(s.fd, f);
			put_u64(x, "failcnt", ev && kv(ev, "max", &v) ? v : 0);
			free(ev);
		} else {
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
			put_u64(x, "failcnt", read_u64(s.fd, f, &v) ? v : 0);
		}
		json_object_object_add(h, size, x);
	}
	closedir(d);
	return h;
}

int ctr_cgroup_stats(struct ctr_cgroup *cg, struct json_object **out, ctr_error **err)
{
	json_object *o = json_object_new_object();
	if (!o)
		return ctr_err_nomem(err);
	json_object_object_add(o, "cpu", cpu_stats(cg));
	json_object_object_add(o, "cpuset", cpuset_stats(cg));
	json_object_object_add(o, "memory", memory_stats(cg));
	json_object_object_add(o, "pids", pids_stats(cg));
	json_object_object_add(o, "blkio", blkio_stats(cg));
	json_object_object_add(o, "hugetlb", hugetlb_stats(cg));
	json_object_object_add(o, "intel_rdt", json_object_new_object());
	json_object_object_add(o, "network_interfaces", NULL);
	*out = o;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/cgroup*.c against fake cgroupfs trees in a temporary directory
 * (pure v2 with cgroup.controllers and cgroup.subtree_control, pure v1, and
 * the v1/v2 hybrid), with fake mountinfo and /proc/self/cgroup files: layout
 * detection, every cgroupsPath form, every resource's file and value on v1
 * and v2, rollback of a failed write, refused fields.  Runs as any user;
 * as root also the v1 freezer and kill paths on the real cgroupfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "internal.h"
#include "linux/cgroup.h"
#include "spec/oci.h"

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[8192];
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void mk(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void unlink_rel(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	assert_int_equal(unlink(p), 0);
}

static bool exists(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	return access(p, F_OK) == 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ctr-test-cgroup.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* the three layouts; files for the resources the tests write are made later */
static void fake_v2(void)
{
	char mi[512];
	mk("cg");
	put("cg/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put("cg/cgroup.subtree_control", "");
	snprintf(mi, sizeof(mi),
		 "22 1 0:21 / /proc rw - proc proc rw\n"
		 "30 22 0:26 / %s/cg rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", tmp);
	put("mountinfo", mi);
	put("self", "0::/user.slice/me.scope\n");
}

static const char *const v1_ctrls[] = {"cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "freezer", "hugetlb",
				       "net_cls,net_prio", "rdma"};

static void fake_v1(bool hybrid)
{
	char mi[4096], line[512];
	size_t len = 0;
	mk("cg");
	mi[0] = '\0';
	for (size_t i = 0; i < sizeof(v1_ctrls) / sizeof(v1_ctrls[0]); i++) {
		char d[64];
		snprintf(d, sizeof(d), "cg/%s", v1_ctrls[i]);
		mk(d);
		snprintf(line, sizeof(line), "%zu 25 0:%zu / %s/%s rw - cgroup cgroup rw,%s\n", 40 + i, 30 + i, tmp, d,
			 v1_ctrls[i]);
		len += (size_t)snprintf(mi + len, sizeof(mi) - len, "%s", line);
	}
	snprintf(line, sizeof(line), "60 25 0:50 / %s/cg/systemd rw - cgroup cgroup rw,xattr,name=systemd\n", tmp);
	len += (size_t)snprintf(mi + len, sizeof(mi) - len, "%s", line);
	mk("cg/systemd");
	put("cg/cpuset/cpuset.cpus", "0-3\n");
	put("cg/cpuset/cpuset.mems", "0\n");
	if (hybrid) {
		mk("cg/unified");
		put("cg/unified/cgroup.controllers", "hugetlb\n");
		put("cg/unified/cgroup.subtree_control", "");
		snprintf(line, sizeof(line), "70 25 0:60 / %s/cg/unified rw - cgroup2 cgroup2 rw\n", tmp);
		len += (size_t)snprintf(mi + len, sizeof(mi) - len, "%s", line);
	}
	/* a mount of another tree that must not count */
	len += (size_t)snprintf(mi + len, sizeof(mi) - len, "80 25 0:70 / /elsewhere rw - cgroup cgroup rw,devices\n");
	put("mountinfo", mi);
	put("self", "9:name=systemd:/\n8:rdma:/\n7:net_cls,net_prio:/\n6:hugetlb:/\n5:freezer:/\n4:blkio:/\n"
		    "3:pids:/\n2:memory:/mem/own\n1:cpu,cpuacct:/\n0::/\n");
}

static void load(struct ctr_cg_layout *l)
{
	char root[128], mi[128], self[128];
	snprintf(root, sizeof(root), "%s/cg", tmp);
	snprintf(mi, sizeof(mi), "%s/mountinfo", tmp);
	snprintf(self, sizeof(self), "%s/self", tmp);
	struct ctr_cg_sources src = {root, mi, self};
	ctr_error *err = NULL;
	int r = ctr_cg_layout_load(&src, l, &err);
	if (r < 0)
		fail_msg("%s", ctr_error_message(err));
}

static void test_layout_v2(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	fake_v2();
	load(&l);
	assert_int_equal(l.mode, CTR_CG_V2);
	assert_int_equal(l.n, 1);
	assert_true(l.h[0].v2);
	assert_string_equal(l.h[0].self, "/user.slice/me.scope");
	assert_int_equal(l.h[0].ctrls, CTR_CGC_CPUSET | CTR_CGC_CPU | CTR_CGC_IO | CTR_CGC_MEMORY | CTR_CGC_HUGETLB |
						CTR_CGC_PIDS | CTR_CGC_RDMA | CTR_CGC_MISC);
	/* writable: the resources may come after the clone (root only) */
	assert_false(l.h[0].ro);
	assert_int_equal(ctr_cgroup_can_defer(&l), geteuid() == 0);
	ctr_cg_layout_free(&l);
	/* a read-only cgroup2 (a container's view): create goes on without cgroups, nothing deferred */
	char mi[512];
	snprintf(mi, sizeof(mi),
		 "22 1 0:21 / /proc rw - proc proc rw\n"
		 "30 22 0:26 / %s/cg ro,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", tmp);
	put("mountinfo", mi);
	load(&l);
	assert_int_equal(l.mode, CTR_CG_V2);
	assert_true(l.h[0].ro);
	assert_false(ctr_cgroup_can_defer(&l));
	ctr_cg_layout_free(&l);
}

static void test_layout_v1_hybrid(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	fake_v1(false);
	load(&l);
	assert_int_equal(l.mode, CTR_CG_V1);
	assert_int_equal(l.n, 10); /* 9 controller mounts + name=systemd; /elsewhere is outside the root */
	bool seen_mem = false;
	for (size_t i = 0; i < l.n; i++) {
		assert_false(l.h[i].v2);
		if (l.h[i].ctrls == CTR_CGC_MEMORY) {
			seen_mem = true;
			assert_string_equal(l.h[i].self, "/mem/own");
		}
		if (!strcmp(l.h[i].name, "cpu,cpuacct"))
			assert_int_equal(l.h[i].ctrls, CTR_CGC_CPU | CTR_CGC_CPUACCT);
		if (!strcmp(l.h[i].name, "name=systemd"))
			assert_int_equal(l.h[i].ctrls, 0);
	}
	assert_true(seen_mem);
	/* every hierarchy writable: the v1 cgroups may come after the clone (root only) */
	for (size_t i = 0; i < l.n; i++)
		assert_false(l.h[i].ro);
	assert_int_equal(ctr_cgroup_can_defer(&l), geteuid() == 0);
	ctr_cg_layout_free(&l);
	/* read-only, by the mount's options or by the superblock's: what statvfs would say */
	{
		char *mi = strdup(get("mountinfo")), *ro = malloc(strlen(mi) + 64), *o = ro;
		assert_non_null(mi);
		assert_non_null(ro);
		for (char *line = mi, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			char *at;
			if (strstr(line, "/cg/memory ") && (at = strstr(line, " rw - ")))
				o += sprintf(o, "%.*s ro,nosuid - %s\n", (int)(at - line), line, at + 6);
			else if ((at = strstr(line, " cgroup rw,pids")))
				o += sprintf(o, "%.*s cgroup ro,pids\n", (int)(at - line), line);
			else
				o += sprintf(o, "%s\n", line);
		}
		put("mountinfo", ro);
		load(&l);
		size_t n_ro = 0;
		for (size_t i = 0; i < l.n; i++) {
			bool want = l.h[i].ctrls == CTR_CGC_MEMORY || l.h[i].ctrls == CTR_CGC_PIDS;
			assert_int_equal(l.h[i].ro, want);
			n_ro += l.h[i].ro;
		}
		assert_int_equal(n_ro, 2);
		assert_false(ctr_cgroup_can_defer(&l));
		ctr_cg_layout_free(&l);
		free(mi);
		free(ro);
	}
	teardown(NULL);
	setup(NULL);
	fake_v1(true);
	load(&l);
	assert_int_equal(l.mode, CTR_CG_HYBRID);
	assert_int_equal(l.n, 11);
	assert_true(l.h[10].v2);
	assert_int_equal(l.h[10].ctrls, CTR_CGC_HUGETLB);
	assert_string_equal(l.h[10].self, "/");
	ctr_cg_layout_free(&l);
	/* cgroup2 mounted later over the whole tree hides the v1 mounts below it: pure v2 */
	char *mi = strdup(get("mountinfo")), line[256];
	snprintf(line, sizeof(line), "90 25 0:80 / %s/cg rw - cgroup2 cgroup2 rw\n", tmp);
	char *both = NULL;
	assert_true(asprintf(&both, "%s%s", mi, line) > 0);
	put("mountinfo", both);
	put("cg/cgroup.controllers", "memory pids\n");
	load(&l);
	assert_int_equal(l.mode, CTR_CG_V2);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.h[0].ctrls, CTR_CGC_MEMORY | CTR_CGC_PIDS);
	ctr_cg_layout_free(&l);
	free(mi);
	free(both);
}

static void path_is(const char *spec, bool systemd, const char *self, const char *want)
{
	char *p = NULL;
	ctr_error *err = NULL;
	int r = ctr_cg_resolve_path(spec, systemd, "c1", self, &p, &err);
	if (r < 0)
		fail_msg("%s: %s", spec ? spec : "(null)", ctr_error_message(err));
	assert_string_equal(p, want);
	free(p);
}

static void path_fails(const char *spec, bool systemd, const char *msg)
{
	char *p = NULL;
	ctr_error *err = NULL;
	assert_int_equal(ctr_cg_resolve_path(spec, systemd, "c1", "/", &p, &err), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(ctr_error_message(err), msg));
	ctr_error_free(err);
}

static void test_paths(void **state)
{
	(void)state;
	path_is(NULL, false, "/x", "/ctr/c1");
	path_is("", false, "/x", "/ctr/c1");
	path_is("/a/b", false, "/x", "/a/b");
	path_is("//a/./b/", false, "/x", "/a/b");
	path_is("a/b", false, "/own/cg", "/own/cg/a/b");
	path_is("a", false, "/", "/a");
	path_is("system.slice:docker:abc", true, "/", "/system.slice/docker-abc.scope");
	path_is("a-b-c.slice:pre:n", true, "/", "/a.slice/a-b.slice/a-b-c.slice/pre-n.scope");
	path_is("-.slice:pre:n", true, "/", "/pre-n.scope");
	path_is(":pre:n", true, "/", "/system.slice/pre-n.scope");
	path_is("user.slice:pre:sub.slice", true, "/", "/user.slice/sub.slice");
	path_is("user.slice::n", true, "/", "/user.slice/n.scope");
	path_is(NULL, true, "/", "/system.slice/ctr-c1.scope");
	path_fails("/a/../b", false, "'..' is not allowed");
	path_fails("a/b", true, "systemd form");
	path_fails("notaslice:p:n", true, "must be a name ending in .slice");
	path_fails("a--b.slice:p:n", true, "empty part");
	path_fails("/", false, "root cgroup");
}

struct want {
	const char *file, *value;
	bool v2;
};

static void writes_are(const char *res_json, unsigned v1, unsigned v2, bool has_v2, const struct want *want, size_t n)
{
	json_object *res = json_tokener_parse(res_json);
	assert_non_null(res);
	struct ctr_cg_write *w = NULL;
	size_t got = 0;
	ctr_error *err = NULL;
	int r = ctr_cg_resources_writes(res, v1, v2, has_v2, &w, &got, &err);
	if (r < 0)
		fail_msg("%s: %s", res_json, ctr_error_message(err));
	for (size_t i = 0; i < got && i < n; i++) {
		if (strcmp(w[i].file, want[i].file) || strcmp(w[i].value, want[i].value) || w[i].v2 != want[i].v2)
			fail_msg("%s: write %zu: got %s%s='%s', want %s%s='%s'", res_json, i, w[i].v2 ? "v2:" : "",
				 w[i].file, w[i].value, want[i].v2 ? "v2:" : "", want[i].file, want[i].value);
	}
	assert_int_equal(got, n);
	free(w);
	json_object_put(res);
}

static void writes_fail(const char *res_json, unsigned v1, unsigned v2, bool has_v2, const char *msg)
{
	json_object *res = json_tokener_parse(res_json);
	struct ctr_cg_write *w = NULL;
	size_t got = 0;
	ctr_error *err = NULL;
	assert_true(ctr_cg_resources_writes(res, v1, v2, has_v2, &w, &got, &err) < 0);
	assert_null(w);
	if (!strstr(ctr_error_message(err), msg))
		fail_msg("%s: error '%s' does not contain '%s'", res_json, ctr_error_message(err), msg);
	ctr_error_free(err);
	json_object_put(res);
}

#define ALL1 (CTR_CGC_CPU | CTR_CGC_CPUACCT | CTR_CGC_CPUSET | CTR_CGC_MEMORY | CTR_CGC_IO | CTR_CGC_PIDS | \
	      CTR_CGC_HUGETLB | CTR_CGC_NET_CLS | CTR_CGC_NET_PRIO | CTR_CGC_RDMA | CTR_CGC_DEVICES | CTR_CGC_FREEZER)
#define ALL2 (CTR_CGC_CPU | CTR_CGC_CPUSET | CTR_CGC_MEMORY | CTR_CGC_IO | CTR_CGC_PIDS | CTR_CGC_HUGETLB | CTR_CGC_RDMA)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_map_memory(void **state)
{
	(void)state;
	const char *m = "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728, "
			"\"kernel\": 1048576, \"kernelTCP\": 2097152, \"swappiness\": 10, \"disableOOMKiller\": true, "
			"\"useHierarchy\": true, \"checkBeforeUpdate\": true}}";
	static const struct want w1[] = {
		{"memory.limit_in_bytes", "67108864", false},	     {"memory.memsw.limit_in_bytes", "134217728", false},
		{"memory.soft_limit_in_bytes", "33554432", false},    {"memory.kmem.limit_in_bytes", "1048576", false},
		{"memory.kmem.tcp.limit_in_bytes", "2097152", false}, {"memory.swappiness", "10", false},
		{"memory.oom_control", "1", false},		     {"memory.use_hierarchy", "1", false},
	};
	writes_are(m, ALL1, 0, false, w1, N(w1));
	/* v2: swap.max is swap - limit; kernel*, swappiness, OOM killer and hierarchy have no file */
	static const struct want w2[] = {
		{"memory.max", "67108864", true}, {"memory.low", "33554432", true}, {"memory.swap.max", "67108864", true}};
	writes_are(m, 0, ALL2, true, w2, N(w2));
	static const struct want w3[] = {{"memory.max", "max", true}, {"memory.swap.max", "max", true}};
	writes_are("{\"memory\": {\"limit\": -1}}", 0, ALL2, true, w3, N(w3));
	writes_are("{\"memory\": {\"limit\": 100, \"swap\": -1}}", 0, ALL2, true,
		   (const struct want[]){{"memory.max", "100", true}, {"memory.swap.max", "max", true}}, 2);
	writes_are("{\"memory\": {}}", 0, 0, false, NULL, 0); /* nothing asked: no controller needed */
	writes_are("{\"memory\": {\"limit\": 0}}", 0, 0, false, NULL, 0);
	writes_fail("{\"memory\": {\"limit\": 100, \"swap\": 50}}", 0, ALL2, true, "linux.resources.memory.swap");
	writes_fail("{\"memory\": {\"swap\": 50}}", 0, ALL2, true, "needs memory.limit");
	writes_fail("{\"memory\": {\"swappiness\": 101}}", ALL1, 0, false, "linux.resources.memory.swappiness");
	writes_fail("{\"memory\": {\"limit\": 100}}", ALL1 & ~CTR_CGC_MEMORY, 0, false,
		    "linux.resources.memory: this host has no memory cgroup controller");
}

static void test_map_cpu(void **state)
{
	(void)state;
	const char *c = "{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"burst\": 1000, "
			"\"realtimeRuntime\": 950, \"realtimePeriod\": 1000, \"cpus\": \"0-1\", \"mems\": \"0\", "
			"\"idle\": 1}}";
	static const struct want w1[] = {
		{"cpu.shares", "1024", false},	  {"cpu.cfs_period_us", "100000", false}, {"cpu.cfs_quota_us", "50000", false},
		{"cpu.cfs_burst_us", "1000", false}, {"cpu.rt_period_us", "1000", false},  {"cpu.rt_runtime_us", "950", false},
		{"cpu.idle", "1", false},	  {"cpuset.cpus", "0-1", false},	  {"cpuset.mems", "0", false},
	};
	writes_are(c, ALL1, 0, false, w1, N(w1));
	writes_fail(c, 0, ALL2, true, "no realtime cpu controls");
	/* runc 1.1: weight = 1 + (shares - 2) * 9999 / 262142 */
	static const struct want w2[] = {{"cpu.weight", "39", true}, {"cpu.max", "50000 100000", true},
					 {"cpu.max.burst", "1000", true}, {"cpu.idle", "1", true},
					 {"cpuset.cpus", "0-1", true}, {"cpuset.mems", "0", true}};
	writes_are("{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"burst\": 1000, \"idle\": 1, "
		   "\"cpus\": \"0-1\", \"mems\": \"0\"}}",
		   0, ALL2, true, w2, N(w2));
	writes_are("{\"cpu\": {\"shares\": 2}}", 0, ALL2, true, (const struct want[]){{"cpu.weight", "1", true}}, 1);
	writes_are("{\"cpu\": {\"shares\": 262144}}", 0, ALL2, true,
		   (const struct want[]){{"cpu.weight", "10000", true}}, 1);
	writes_are("{\"cpu\": {\"quota\": -1}}", 0, ALL2, true,
		   (const struct want[]){{"cpu.max", "max 100000", true}}, 1);
	writes_are("{\"cpu\": {\"period\": 20000}}", 0, ALL2, true,
		   (const struct want[]){{"cpu.max", "max 20000", true}}, 1);
	writes_fail("{\"cpu\": {\"cpus\": \"0\"}}", CTR_CGC_CPU, 0, false,
		    "linux.resources.cpu.cpus: this host has no cpuset cgroup controller");
}

static void test_map_other(void **state)
{
	(void)state;
	writes_are("{\"pids\": {\"limit\": 10}}", ALL1, 0, false, (const struct want[]){{"pids.max", "10", false}}, 1);
	writes_are("{\"pids\": {\"limit\": -1}}", 0, ALL2, true, (const struct want[]){{"pids.max", "max", true}}, 1);
	const char *b = "{\"blockIO\": {\"weight\": 500, \"leafWeight\": 300, "
			"\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 100, \"leafWeight\": 50}], "
			"\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}], "
			"\"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 2097152}], "
			"\"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}], "
			"\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 0}]}}";
	static const struct want w1[] = {
		{"blkio.weight", "500", false},
		{"blkio.leaf_weight", "300", false},
		{"blkio.weight_device", "8:0 100", false},
		{"blkio.leaf_weight_device", "8:0 50", false},
		{"blkio.throttle.read_bps_device", "8:0 1048576", false},
		{"blkio.throttle.write_bps_device", "8:0 2097152", false},
		{"blkio.throttle.read_iops_device", "8:16 100", false},
		{"blkio.throttle.write_iops_device", "8:16 0", false},
	};
	writes_are(b, ALL1, 0, false, w1, N(w1));
	writes_fail(b, 0, ALL2, true, "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight");
	static const struct want w2[] = {
		{"io.bfq.weight", "500", true},
		{"io.bfq.weight", "8:0 100", true},
		{"io.max", "8:0 rbps=1048576", true},
		{"io.max", "8:0 wbps=2097152", true},
		{"io.max", "8:16 riops=100", true},
		{"io.max", "8:16 wiops=max", true},
	};
	writes_are("{\"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 100}], "
		   "\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}], "
		   "\"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 2097152}], "
		   "\"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}], "
		   "\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 0}]}}",
		   0, ALL2, true, w2, N(w2));
	{
		/* io.weight when the kernel has no BFQ: the blkio range converted */
		json_object *res = json_tokener_parse("{\"blockIO\": {\"weight\": 500}}");
		struct ctr_cg_write *w;
		size_t n;
		assert_int_equal(ctr_cg_resources_writes(res, 0, ALL2, true, &w, &n, NULL), 0);
		assert_string_equal(w[0].alt_file, "io.weight");
		assert_string_equal(w[0].alt_value, "default 4950");
		free(w);
		json_object_put(res);
	}
	writes_fail("{\"blockIO\": {\"weight\": 5}}", ALL1, 0, false, "between 10 and 1000");
	const char *h = "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}, "
			"{\"pageSize\": \"1GB\", \"limit\": 0}]}";
	writes_are(h, ALL1, 0, false,
		   (const struct want[]){{"hugetlb.2MB.limit_in_bytes", "4194304", false},
					 {"hugetlb.1GB.limit_in_bytes", "0", false}},
		   2);
	/* hybrid: hugetlb only in the unified hierarchy gets the v2 names */
	writes_are(h, ALL1 & ~CTR_CGC_HUGETLB, CTR_CGC_HUGETLB, true,
		   (const struct want[]){{"hugetlb.2MB.max", "4194304", true}, {"hugetlb.1GB.max", "0", true}}, 2);
	writes_fail("{\"hugepageLimits\": [{\"pageSize\": \"2XB\", \"limit\": 1}]}", ALL1, 0, false,
		    "linux.resources.hugepageLimits[0]: pageSize");
	writes_are("{\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]}}",
		   ALL1, 0, false,
		   (const struct want[]){{"net_cls.classid", "1048577", false}, {"net_prio.ifpriomap", "eth0 5", false}},
		   2);
	writes_fail("{\"network\": {\"classID\": 1}}", 0, ALL2, true,
		    "linux.resources.network.classID: this host has no net_cls");
	writes_are("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}}}", 0, ALL2, true,
		   (const struct want[]){{"rdma.max", "mlx5_1 hca_handle=3 hca_object=10000", true}}, 1);
	writes_are("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}", ALL1, 0, false,
		   (const struct want[]){{"rdma.max", "mlx5_1 hca_handle=3", false}}, 1);
	writes_are("{\"unified\": {\"memory.high\": \"1000000\", \"cgroup.max.depth\": \"3\"}}", 0, ALL2, true,
		   (const struct want[]){{"memory.high", "1000000", true}, {"cgroup.max.depth", "3", true}}, 2);
	writes_fail("{\"unified\": {\"memory.high\": \"1\"}}", ALL1, 0, false, "cgroup v1 only");
	writes_fail("{\"unified\": {\"memory.high\": \"1\"}}", ALL1, CTR_CGC_HUGETLB, true,
		    "linux.resources.unified.memory.high: this host has no memory");
	writes_fail("{\"unified\": {\"../x\": \"1\"}}", 0, ALL2, true, "not a cgroup v2 file name");
	writes_fail("{\"unified\": {\"bogus.x\": \"1\"}}", 0, ALL2, true, "unknown controller");
}

static struct oci_config *config(const char *linux_json)
{
	char doc[2048];
	snprintf(doc, sizeof(doc),
		 "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"true\"], \"user\": {\"uid\": 0, \"gid\": 0}, "
		 "\"cwd\": \"/\"}, \"linux\": %s}",
		 linux_json);
	ctr_spec *spec = NULL;
	struct oci_config *cfg = NULL;
	ctr_error *err = NULL;
	if (ctr_spec_load_buffer(&spec, doc, strlen(doc), "config.json", &err) < 0 ||
	    oci_config_from_spec(spec, &cfg, &err) < 0)
		fail_msg("%s", ctr_error_message(err));
	ctr_spec_free(spec);
	return cfg;
}

/* Create in a fake v1 tree: directories, files written, cpuset copied; the same with a failing write rolls back. */
static void test_create_v1(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	fake_v1(false);
	load(&l);
	/* the kernel's files of the container's memory and pids cgroups (a fake cgroupfs has none) */
	mk("cg/memory/mem");
	mk("cg/memory/mem/own");
	mk("cg/memory/mem/own/box");
	put("cg/memory/mem/own/box/memory.limit_in_bytes", "");
	put("cg/memory/mem/own/box/memory.memsw.limit_in_bytes", "");
	mk("cg/pids/box");
	put("cg/pids/box/pids.max", "");
	mk("cg/cpuset/box");
	put("cg/cpuset/box/cpuset.cpus", "\n");
	put("cg/cpuset/box/cpuset.mems", "\n");
	struct oci_config *cfg = config("{\"cgroupsPath\": \"box\", \"resources\": {\"memory\": {\"limit\": 1000, "
					"\"swap\": 2000}, \"pids\": {\"limit\": 5}}}");
	struct ctr_cgroup *cg = NULL;
	ctr_error *err = NULL;
	if (ctr_cgroup_create(&l, cfg, "c1", false, &cg, &err) < 0)
		fail_msg("%s", ctr_error_message(err));
	assert_non_null(cg);
	assert_int_equal(cg->mode, CTR_CG_V1);
	assert_string_equal(get("cg/memory/mem/own/box/memory.limit_in_bytes"), "1000");
	assert_string_equal(get("cg/memory/mem/own/box/memory.memsw.limit_in_bytes"), "2000");
	assert_string_equal(get("cg/pids/box/pids.max"), "5");
	assert_string_equal(get("cg/cpuset/box/cpuset.cpus"), "0-3\n"); /* copied from the parent */
	assert_true(exists("cg/freezer/box"));
	assert_true(exists("cg/systemd/box"));
	/* the record survives state.json */
	struct ctr_sbuf sb = {0};
	ctr_cgroup_write_json(cg, &sb);
	assert_false(sb.oom);
	json_object *rec = json_tokener_parse(sb.s);
	assert_non_null(rec);
	struct ctr_cgroup *back = NULL;
	assert_int_equal(ctr_cgroup_from_json(rec, &back, NULL), 0);
	assert_int_equal(back->n, cg->n);
	assert_int_equal(back->mode, CTR_CG_V1);
	for (size_t i = 0; i < cg->n; i++) {
		assert_string_equal(back->h[i].name, cg->h[i].name);
		assert_string_equal(back->h[i].dir, cg->h[i].dir);
		assert_int_equal(back->h[i].ctrls, cg->h[i].ctrls);
		assert_int_equal(back->h[i].v2, cg->h[i].v2);
		assert_int_equal(back->h[i].existed, cg->h[i].existed);
	}
	json_object_put(rec);
	free(sb.s);
	ctr_cgroup_free(back);
	/* freeze through the v1 freezer (the fake file echoes the state) */
	put("cg/freezer/box/freezer.state", "THAWED\n");
	assert_int_equal(ctr_cgroup_freeze(cg, true, NULL), 0);
	assert_string_equal(get("cg/freezer/box/freezer.state"), "FROZEN");
	assert_int_equal(ctr_cgroup_freeze(cg, false, NULL), 0);
	assert_string_equal(get("cg/freezer/box/freezer.state"), "THAWED");
	/* pids of the cgroup and its children */
	put("cg/pids/box/cgroup.procs", "30\n10\n");
	mk("cg/pids/box/sub");
	put("cg/pids/box/sub/cgroup.procs", "20\n");
	pid_t *pids;
	size_t n;
	assert_int_equal(ctr_cgroup_pids(cg, &pids, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[1], 20);
	assert_int_equal(pids[2], 30);
	free(pids);
	/* an update writes the new value */
	json_object *upd = json_tokener_parse("{\"pids\": {\"limit\": 9}}");
	assert_int_equal(ctr_cgroup_apply(cg, NULL, upd, true, NULL), 0);
	assert_string_equal(get("cg/pids/box/pids.max"), "9");
	json_object_put(upd);
	/* OOM kills from memory.oom_control */
	put("cg/memory/mem/own/box/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	uint64_t ooms = 0;
	assert_int_equal(ctr_cgroup_oom_kills(cg, &ooms, NULL), 0);
	assert_int_equal(ooms, 2);
	ctr_cgroup_free(cg);
	oci_config_free(cfg);

	/* a write that fails (no such file in the fresh cgroup): create fails and removes what it made */
	cfg = config("{\"cgroupsPath\": \"/new/deep/box2\", \"resources\": {\"pids\": {\"limit\": 5}}}");
	cg = NULL;
	err = NULL;
	assert_true(ctr_cgroup_create(&l, cfg, "c2", false, &cg, &err) < 0);
	assert_null(cg);
	assert_non_null(strstr(ctr_error_message(err), "linux.resources.pids.limit"));
	ctr_error_free(err);
	for (size_t i = 0; i < sizeof(v1_ctrls) / sizeof(v1_ctrls[0]); i++) {
		char d[128];
		snprintf(d, sizeof(d), "cg/%s/new", v1_ctrls[i]);
		if (exists(d))
			fail_msg("%s left behind after a failed create", d);
	}
	assert_false(exists("cg/systemd/new"));
	oci_config_free(cfg);
	/* a refused field: nothing is made either */
	cfg = config("{\"cgroupsPath\": \"/new2\", \"resources\": {\"unified\": {\"memory.high\": \"1\"}}}");
	err = NULL;
	assert_true(ctr_cgroup_create(&l, cfg, "c3", false, &cg, &err) < 0);
	assert_non_null(strstr(ctr_error_message(err), "linux.resources.unified"));
	ctr_error_free(err);
	assert_false(exists("cg/memory/new2"));
	assert_false(exists("cg/pids/new2"));
	oci_config_free(cfg);
	ctr_cg_layout_free(&l);
}

/* Create in a fake v2 tree: controllers delegated down the path, v2 files written, rollback. */
static void test_create_v2(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	fake_v2();
	load(&l);
	mk("cg/sys.slice");
	put("cg/sys.slice/cgroup.subtree_control", "");
	mk("cg/sys.slice/ctr-x.scope");
	put("cg/sys.slice/ctr-x.scope/memory.max", "");
	put("cg/sys.slice/ctr-x.scope/memory.swap.max", "");
	put("cg/sys.slice/ctr-x.scope/cpu.weight", "");
	put("cg/sys.slice/ctr-x.scope/cpu.max", "");
	put("cg/sys.slice/ctr-x.scope/hugetlb.2MB.max", "");
	put("cg/sys.slice/ctr-x.scope/io.weight", "");
	put("cg/sys.slice/ctr-x.scope/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n");
	struct oci_config *cfg = config(
		"{\"cgroupsPath\": \"sys.slice:ctr:x\", \"resources\": {\"memory\": {\"limit\": 1048576, \"swap\": 3145728}, "
		"\"cpu\": {\"shares\": 1024, \"quota\": 20000}, \"blockIO\": {\"weight\": 1000}, "
		"\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}}");
	struct ctr_cgroup *cg = NULL;
	ctr_error *err = NULL;
	if (geteuid() != 0) {
		if (ctr_cgroup_create(&l, cfg, "x", true, &cg, &err) < 0)
			fail_msg("%s", ctr_error_message(err));
	} else {
		/* as root create attaches a BPF program, which a tmpfs directory refuses: build the handle by hand */
		cg = calloc(1, sizeof(*cg));
		cg->mode = CTR_CG_V2;
		cg->n = 1;
		cg->h[0].v2 = true;
		cg->h[0].ctrls = l.h[0].ctrls;
		cg->h[0].name = strdup("");
		assert_int_equal(asprintf(&cg->h[0].dir, "%s/cg/sys.slice/ctr-x.scope", tmp) > 0, 1);
		cg->h[0].fd = -1;
		if (ctr_cgroup_apply(cg, cfg, cfg->linux_.resources, true, &err) < 0)
			fail_msg("%s", ctr_error_message(err));
	}
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/memory.max"), "1048576");
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/memory.swap.max"), "2097152");
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/cpu.weight"), "39");
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/cpu.max"), "20000 100000");
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/io.weight"), "default 10000"); /* no io.bfq.weight */
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/hugetlb.2MB.max"), "2097152");
	uint64_t ooms = 0;
	assert_int_equal(ctr_cgroup_oom_kills(cg, &ooms, NULL), 0);
	assert_int_equal(ooms, 1);
	/* cgroup.freeze and its cgroup.events */
	put("cg/sys.slice/ctr-x.scope/cgroup.freeze", "0");
	put("cg/sys.slice/ctr-x.scope/cgroup.events", "populated 1\nfrozen 1\n");
	assert_int_equal(ctr_cgroup_freeze(cg, true, NULL), 0);
	assert_string_equal(get("cg/sys.slice/ctr-x.scope/cgroup.freeze"), "1");
	ctr_cgroup_free(cg);
	oci_config_free(cfg);

	/* a fresh cgroup: the ancestors delegate the controllers; memory.max missing fails, and it is removed */
	cfg = config("{\"cgroupsPath\": \"/a/b\", \"resources\": {\"memory\": {\"limit\": 1048576}}}");
	cg = NULL;
	err = NULL;
	assert_true(ctr_cgroup_create(&l, cfg, "y", false, &cg, &err) < 0);
	assert_non_null(strstr(ctr_error_message(err), "linux.resources.memory.limit"));
	ctr_error_free(err);
	assert_false(exists("cg/a"));
	assert_string_equal(get("cg/cgroup.subtree_control"), "+cpu +cpuset +memory +io +pids +hugetlb +rdma +misc");
	oci_config_free(cfg);
	ctr_cg_layout_free(&l);
}

/*
 * cgroup v2's no-internal-processes rule: a relative cgroupsPath puts the
 * container below the caller's own cgroup, which holds processes.  Its
 * cgroup.subtree_control must stay untouched (enabling cpu, cpuset or pids
 * there turned it "domain threaded" and the container's cgroup "domain
 * invalid"), the container's cgroup has the controllers it really has, and
 * a resource that needs a missing one fails naming the field, the cgroup
 * and what to delegate.  An empty ancestor gets only the controllers it
 * does not enable yet.
 */
static void test_create_v2_internal_procs(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	fake_v2();
	load(&l);
	mk("cg/user.slice");
	put("cg/user.slice/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put("cg/user.slice/cgroup.subtree_control", "cpu memory\n");
	put("cg/user.slice/cgroup.procs", "");
	mk("cg/user.slice/me.scope");
	put("cg/user.slice/me.scope/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put("cg/user.slice/me.scope/cgroup.subtree_control", "");
	put("cg/user.slice/me.scope/cgroup.procs", "4242\n4243\n");
	/* the container's cgroup as the kernel makes it below a parent that enables nothing */
	mk("cg/user.slice/me.scope/box");
	put("cg/user.slice/me.scope/box/cgroup.controllers", "");
	put("cg/user.slice/me.scope/box/cgroup.procs", "");
	struct oci_config *cfg = config("{\"cgroupsPath\": \"box\", \"resources\": {\"memory\": {\"limit\": 1048576}}}");
	struct ctr_cgroup *cg = NULL;
	ctr_error *err = NULL;
	assert_true(ctr_cgroup_create(&l, cfg, "x", false, &cg, &err) < 0);
	const char *m = ctr_error_message(err);
	if (!strstr(m, "linux.resources.memory") || !strstr(m, "no memory controller") ||
	    !strstr(m, "user.slice/me.scope holds processes") || !strstr(m, "Delegate=yes"))
		fail_msg("unexpected error: %s", m);
	ctr_error_free(err);
	assert_string_equal(get("cg/user.slice/me.scope/cgroup.subtree_control"), "");
	/* the empty ancestors: only what each lacked */
	assert_string_equal(get("cg/cgroup.subtree_control"), "+cpu +cpuset +memory +io +pids +hugetlb +rdma +misc");
	assert_string_equal(get("cg/user.slice/cgroup.subtree_control"), "+cpuset +io +pids +hugetlb +rdma +misc");
	oci_config_free(cfg);

	/* a cgroup namespace's root (it has a cgroup.type file, the real root has none) holding
	 * processes: the mount's root, but the rule applies to it */
	put("cg/cgroup.type", "domain\n");
	put("cg/cgroup.procs", "1\n");
	put("cg/cgroup.subtree_control", "");
	mk("cg/nsbox");
	put("cg/nsbox/cgroup.controllers", "");
	cfg = config("{\"cgroupsPath\": \"/nsbox\", \"resources\": {\"pids\": {\"limit\": 10}}}");
	err = NULL;
	assert_true(ctr_cgroup_create(&l, cfg, "x", false, &cg, &err) < 0);
	if (!strstr(ctr_error_message(err), "linux.resources.pids") || !strstr(ctr_error_message(err), "holds processes"))
		fail_msg("unexpected error: %s", ctr_error_message(err));
	ctr_error_free(err);
	assert_string_equal(get("cg/cgroup.subtree_control"), "");
	oci_config_free(cfg);
	unlink_rel("cg/cgroup.type");
	put("cg/cgroup.procs", "");

	/* without resources the container goes there, with no controller */
	cfg = config("{\"cgroupsPath\": \"box\"}");
	err = NULL;
	if (geteuid() != 0) {
		if (ctr_cgroup_create(&l, cfg, "x", false, &cg, &err) < 0)
			fail_msg("%s", ctr_error_message(err));
		assert_int_equal(cg->h[0].ctrls, 0);
		assert_string_equal(get("cg/user.slice/me.scope/cgroup.subtree_control"), "");
		ctr_cgroup_free(cg);
	}
	oci_config_free(cfg);
	ctr_cg_layout_free(&l);
}

/*
 * The v1 paths this hybrid host would otherwise not run (pause and kill go
 * through the unified cgroup here): the real /sys/fs/cgroup without its
 * cgroup2 mount, a forked child moved in, frozen and thawed by the v1
 * freezer, signalled by freeze-signal-thaw, then the cgroups removed.
 * Root and a v1 freezer hierarchy needed, else skipped.
 */
static void test_real_v1(void **state)
{
	(void)state;
	struct ctr_cg_layout l;
	ctr_error *err = NULL;
	if (geteuid() != 0 || ctr_cg_layout_load(NULL, &l, &err) < 0) {
		ctr_error_free(err);
		skip();
	}
	size_t k = 0;
	bool freezer = false;
	for (size_t i = 0; i < l.n; i++) {
		if (l.h[i].v2) {
			free(l.h[i].name);
			free(l.h[i].mount);
			free(l.h[i].self);
			continue;
		}
		freezer |= (l.h[i].ctrls & CTR_CGC_FREEZER) != 0;
		l.h[k++] = l.h[i];
	}
	l.n = k;
	if (!freezer) {
		ctr_cg_layout_free(&l);
		skip();
	}
	l.mode = CTR_CG_V1;
	char linux_json[128], path[160];
	snprintf(linux_json, sizeof(linux_json), "{\"cgroupsPath\": \"/ctrtest-unit-%d/c\"}", (int)getpid());
	struct oci_config *cfg = config(linux_json);
	struct ctr_cgroup *cg = NULL;
	if (ctr_cgroup_create(&l, cfg, "c", false, &cg, &err) < 0)
		fail_msg("%s", ctr_error_message(err));
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test, whatever fails */
		for (;;)
			pause();
	}
	assert_int_equal(ctr_cgroup_enter(cg, child, NULL), 0);
	pid_t *pids;
	size_t n;
	assert_int_equal(ctr_cgroup_pids(cg, &pids, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], child);
	free(pids);
	assert_int_equal(ctr_cgroup_freeze(cg, true, NULL), 0);
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].ctrls & CTR_CGC_FREEZER) {
			snprintf(path, sizeof(path), "%s/freezer.state", cg->h[i].dir);
			FILE *f = fopen(path, "r");
			char st[32] = "";
			assert_non_null(fgets(st, sizeof(st), f));
			fclose(f);
			assert_string_equal(st, "FROZEN\n");
		}
	assert_int_equal(ctr_cgroup_freeze(cg, false, NULL), 0);
	/* no cgroup.kill without the unified cgroup: freeze, signal every pid, thaw */
	assert_int_equal(ctr_cgroup_kill(cg, SIGTERM, NULL), 0);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_int_equal(ctr_cgroup_destroy(cg, NULL), 0);
	for (size_t i = 0; i < cg->n; i++) {
		assert_int_equal(access(cg->h[i].dir, F_OK), -1);
		snprintf(path, sizeof(path), "%s", cg->h[i].dir);
		*strrchr(path, '/') = '\0';
		(void)rmdir(path);
	}
	ctr_cgroup_free(cg);
	oci_config_free(cfg);
	ctr_cg_layout_free(&l);
}

/* Rootless on the real cgroupfs: an unprivileged uid gets no cgroup without resources, a clear error with them. */
static void test_real_rootless(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct ctr_cg_layout l;
		ctr_error *err = NULL;
		char linux_json[160];
		snprintf(linux_json, sizeof(linux_json), "{\"cgroupsPath\": \"/ctrtest-rootless-%d\"}", (int)getpid());
		struct oci_config *plain = config(linux_json);
		snprintf(linux_json, sizeof(linux_json),
			 "{\"cgroupsPath\": \"/ctrtest-rootless-%d\", \"resources\": {\"memory\": {\"limit\": 1048576}}}",
			 (int)getpid());
		struct oci_config *res = config(linux_json);
		if (ctr_cg_layout_load(NULL, &l, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		struct ctr_cgroup *cg = (struct ctr_cgroup *)1;
		if (ctr_cgroup_create(&l, plain, "c", false, &cg, &err) != 0 || cg != NULL)
			_exit(3);
		if (ctr_cgroup_create(&l, res, "c", false, &cg, &err) != -EPERM || cg != NULL ||
		    !strstr(ctr_error_message(err), "linux.resources: cgroups are not delegated to uid 65534"))
			_exit(4);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_v1_hybrid, setup, teardown),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_map_memory),
		cmocka_unit_test(test_map_cpu),
		cmocka_unit_test(test_map_other),
		cmocka_unit_test_setup_teardown(test_create_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_v2_internal_procs, setup, teardown),
		cmocka_unit_test(test_real_rootless),
		cmocka_unit_test(test_real_v1),
	};
	/* the real v1 freezer exists only on v1 and hybrid hosts: a pure v2 host (cgroup2 at
	 * /sys/fs/cgroup) has nothing to run it on, and its v2 paths are tested for real there */
	struct statfs sf;
	size_t n = sizeof(tests) / sizeof(tests[0]);
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		n--;
	return _cmocka_run_group_tests("test-cgroup", tests, n, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CDI: names, every supported version in JSON and YAML, the minimum version
 * the fields need, malformed specs, directories (priority, conflicts,
 * broken files, no recursion), and edits applied to a spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "ctr/ctr.h"
#include "spec/oci.h"
#include "common.h"


static const char *const versions[] = { "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0" };

static int validate(const char *text, char *msg, size_t msglen)
{
	ctr_error *e = NULL;
	int r = ctr_cdi_validate_buffer(text, strlen(text), "t.json", &e);

	if (msg)
		snprintf(msg, msglen, "%s", ctr_error_message(e));
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(ctr_error_errno(e), -r);
	}
	ctr_error_free(e);
	return r;
}

static void expect_ok(const char *text)
{
	char m[512];

	if (validate(text, m, sizeof(m)) != 0)
		fail_msg("expected valid, got: %s\n%s", m, text);
}

static void expect_bad(const char *text, const char *needle)
{
	char m[512];

	if (validate(text, m, sizeof(m)) == 0)
		fail_msg("expected invalid (%s):\n%s", needle, text);
	if (!strstr(m, needle))
		fail_msg("message '%s' lacks '%s'", m, needle);
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"nvidia.com/gpu=0", "vendor.com/class=all", "a/b=c", "acme.io/fpga_x-1=dev:0.1", "a-b.c/d.e=0",
		"x/y=GPU-1234-abcd",
	};
	static const char *const bad[] = {
		"nvidia.com/gpu", "nvidia.com=gpu", "/gpu=0", "nvidia.com/=0", "nvidia.com/gpu=",
		"1vendor/gpu=0", "vendor-/gpu=0", "vendor/1gpu=0", "vendor/gpu-=0", "vendor/gpu=-0",
		"vendor/gpu=0-", "ven dor/gpu=0", "vendor/gp u=0", "vendor/gpu=a b", "vendor/gpu=a/b",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		char *v = NULL, *c = NULL, *n = NULL;
		ctr_error *e = NULL;
		if (ctr_cdi_parse_name(good[i], &v, &c, &n, &e) != 0)
			fail_msg("%s: %s", good[i], ctr_error_message(e));
		ctr_free(v);
		ctr_free(c);
		ctr_free(n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ctr_error *e = NULL;
		if (ctr_cdi_parse_name(bad[i], NULL, NULL, NULL, &e) != -EINVAL)
			fail_msg("accepted bad name %s", bad[i]);
		assert_non_null(strstr(ctr_error_message(e), bad[i]) ? e : (strstr(bad[i], "=") ? e : e));
		ctr_error_free(e);
	}
}

static void test_versions_json_yaml(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(*versions); i++) {
		char j[1024], y[1024];
		snprintf(j, sizeof(j),
			 "{\"cdiVersion\":\"%s\",\"kind\":\"vendor.com/device\",\"devices\":[{\"name\":\"dev0\","
			 "\"containerEdits\":{\"env\":[\"A=1\"],\"deviceNodes\":[{\"path\":\"/dev/null\"}]}}],"
			 "\"containerEdits\":{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"options\":[\"bind\"]}],"
			 "\"hooks\":[{\"hookName\":\"createContainer\",\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}]}}",
			 versions[i]);
		expect_ok(j);
		snprintf(y, sizeof(y),
			 "---\ncdiVersion: \"%s\"\nkind: vendor.com/device\ndevices:\n- name: dev0\n  containerEdits:\n"
			 "    env: [\"A=1\"]\n    deviceNodes:\n    - path: /dev/null\n      fileMode: 0644\n      major: 1\n      minor: 3\n"
			 "      type: c\ncontainerEdits:\n  mounts:\n  - hostPath: /a\n    containerPath: /b\n    options: [bind]\n",
			 versions[i]);
		expect_ok(y);
	}
	expect_bad("{\"cdiVersion\":\"0.2.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"x\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		   "unsupported version");
	expect_bad("{\"cdiVersion\":\"2.0.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"x\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		   "unsupported version");
	expect_ok("cdiVersion: 1.0.0\nkind: v.com/d\ndevices:\n- name: x\n  containerEdits: {env: [A=1]}\n");
	expect_bad("cdiVersion: 1.0\nkind: v.com/d\ndevices:\n- name: x\n  containerEdits: {env: [A=1]}\n",
		   "expected a string"); /* unquoted 1.0.0 is a string in YAML, 1.0 a number */
}

/* A field, the version it needs, and the version just below. */
static void test_minimum_version(void **state)
{
	static const struct {
		const char *kind, *dev, *edits, *top, *need, *below;
	} cases[] = {
		{ "v.com/d", "x", "\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"type\":\"bind\"}]", "", "0.4.0", "0.3.0" },
		{ "v.com/d", "x", "\"deviceNodes\":[{\"path\":\"/dev/x\",\"hostPath\":\"/dev/null\"}]", "", "0.5.0", "0.4.0" },
		{ "v.com/d", "0x", "\"env\":[\"A=1\"]", "", "0.5.0", "0.4.0" },
		{ "v.com/d", "x", "\"env\":[\"A=1\"]", ",\"annotations\":{\"a\":\"b\"}", "0.6.0", "0.5.0" },
		{ "v.com/d.e", "x", "\"env\":[\"A=1\"]", "", "0.6.0", "0.5.0" },
		{ "v.com/d", "x", "\"additionalGids\":[5]", "", "0.7.0", "0.6.0" },
		{ "v.com/d", "x", "\"intelRdt\":{\"closID\":\"c\"}", "", "0.7.0", "0.6.0" },
		{ "v.com/d", "x", "\"intelRdt\":{\"closID\":\"c\",\"schemata\":[\"L3:0=f\"]}", "", "1.1.0", "1.0.0" },
		{ "v.com/d", "x", "\"intelRdt\":{\"enableMonitoring\":true}", "", "1.1.0", "1.0.0" },
		{ "v.com/d", "x", "\"netDevices\":[{\"hostInterfaceName\":\"eth1\",\"name\":\"net0\"}]", "", "1.1.0", "1.0.0" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char t[1024];
		snprintf(t, sizeof(t),
			 "{\"cdiVersion\":\"%s\",\"kind\":\"%s\",\"devices\":[{\"name\":\"%s\",\"containerEdits\":{%s}}]%s}",
			 cases[i].need, cases[i].kind, cases[i].dev, cases[i].edits, cases[i].top);
		expect_ok(t);
		snprintf(t, sizeof(t),
			 "{\"cdiVersion\":\"%s\",\"kind\":\"%s\",\"devices\":[{\"name\":\"%s\",\"containerEdits\":{%s}}]%s}",
			 cases[i].below, cases[i].kind, cases[i].dev, cases[i].edits, cases[i].top);
		char needle[64];
		snprintf(needle, sizeof(needle), "at least version %s", cases[i].need);
		expect_bad(t, needle);
	}
	/* spec-level edits count too */
	expect_bad("{\"cdiVersion\":\"0.6.0\",\"kind\":\"v.com/d\",\"containerEdits\":{\"additionalGids\":[1]},"
		   "\"devices\":[{\"name\":\"x\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "at least version 0.7.0");
}

#define DEV(edits) "{\"cdiVersion\":\"1.1.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"x\",\"containerEdits\":{" edits "}}]}"

static void test_malformed(void **state)
{
	(void)state;
	expect_bad("", "empty document");
	expect_bad("{\"cdiVersion\":\"1.0.0\",", "invalid JSON");
	expect_bad("{\"cdiVersion\":\"1.0.0\"} x", "t.json");
	expect_bad("cdiVersion: [1\n", "line");
	expect_bad("- a\n- b\n", "expected an object");
	expect_bad("{\"kind\":\"v.com/d\",\"devices\":[]}", "cdiVersion: missing");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"devices\":[]}", "kind: missing");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"vcom\",\"devices\":[]}", "not vendor/class");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\"}", "devices: missing");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\",\"devices\":[]}", "no device");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"x\"}]}", "containerEdits: missing");
	expect_bad(DEV(""), "no edits");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"x\",\"containerEdits\":{\"env\":[\"A=1\"]}},"
		   "{\"name\":\"x\",\"containerEdits\":{\"env\":[\"A=2\"]}}]}", "defined twice");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\",\"bogus\":1,\"devices\":[]}", "unknown field 'bogus'");
	expect_bad(DEV("\"env\":[\"NOEQUALS\"]"), "invalid environment variable");
	expect_bad(DEV("\"deviceNodes\":[{\"path\":\"dev/null\"}]"), "not an absolute path");
	expect_bad(DEV("\"deviceNodes\":[{\"path\":\"/dev/null\",\"permissions\":\"rwx\"}]"), "invalid permissions");
	expect_bad(DEV("\"deviceNodes\":[{\"path\":\"/dev/null\",\"type\":\"z\"}]"), "invalid device type");
	expect_bad(DEV("\"deviceNodes\":[{\"path\":\"/dev/null\",\"major\":-1}]"), "out of range");
	expect_bad(DEV("\"deviceNodes\":[{\"hostPath\":\"/dev/null\"}]"), "path: missing");
	expect_bad(DEV("\"hooks\":[{\"hookName\":\"preStart\",\"path\":\"/bin/true\"}]"), "invalid hook name");
	expect_bad(DEV("\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"true\"}]"), "not an absolute path");
	expect_bad(DEV("\"mounts\":[{\"hostPath\":\"/a\"}]"), "containerPath: missing");
	expect_bad(DEV("\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"options\":\"ro\"}]"), "array of strings");
	expect_bad(DEV("\"additionalGids\":[-1]"), "out of range");
	expect_bad(DEV("\"additionalGids\":[\"5\"]"), "expected an integer");
	expect_bad(DEV("\"netDevices\":[{\"hostInterfaceName\":\"eth/0\",\"name\":\"n\"}]"), "not a valid interface name");
	expect_bad(DEV("\"netDevices\":[{\"hostInterfaceName\":\"a\",\"name\":\"n\"},{\"hostInterfaceName\":\"b\",\"name\":\"n\"}]"),
		   "repeats");
	expect_bad(DEV("\"intelRdt\":{\"closID\":\"../x\"}"), "invalid CLOS id");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/1d\",\"devices\":[]}", "must start with a letter");
	expect_bad("{\"cdiVersion\":\"1.0.0\",\"kind\":\"v.com/d\",\"devices\":[{\"name\":\"-x\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		   "must start with a letter or digit");
	/* YAML specifics: alias bombs are bounded, duplicate keys refused, binary refused */
	expect_bad("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
		   "more than");
	expect_bad("cdiVersion: \"1.0.0\"\ncdiVersion: \"1.0.0\"\n", "duplicate");
	{
		const char nul[] = "{\"cdiVersion\":\"1.0.0\"\0}";
		ctr_error *e = NULL;
		assert_int_equal(ctr_cdi_validate_buffer(nul, sizeof(nul) - 1, "n.json", &e), -EINVAL);
		ctr_error_free(e);
	}
}

/* ---- directories ---- */

#define SPEC_J(ver, kind, devs) "{\"cdiVersion\":\"" ver "\",\"kind\":\"" kind "\",\"devices\":[" devs "]}"
#define D_ENV(name, env) "{\"name\":\"" name "\",\"containerEdits\":{\"env\":[\"" env "\"]}}"

static ctr_accel_registry *registry_for(const char *root, const char *const *dirs)
{
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_error *e = NULL;

	ctr_accel_registry_options_init(&o);
	o.host_root = root;
	o.cdi_dirs = dirs;
	o.no_builtin = 1;
	if (ctr_accel_registry_new(NULL, &reg, &o, &e) != 0)
		fail_msg("registry: %s", ctr_error_message(e));
	return reg;
}

static bool has_device(const ctr_accel_registry *reg, const char *q)
{
	for (size_t i = 0; i < ctr_accel_registry_device_count(reg); i++)
		if (strcmp(ctr_accel_device_name(ctr_accel_registry_device(reg, i)), q) == 0)
			return true;
	return false;
}

static bool errors_have(const ctr_accel_registry *reg, const char *a, const char *b)
{
	char **v = NULL;
	bool found = false;

	assert_int_equal(ctr_accel_registry_errors(reg, &v, NULL), 0);
	for (size_t i = 0; v[i]; i++)
		if (strstr(v[i], a) && (!b || strstr(v[i], b)))
			found = true;
	ctr_strv_free(v);
	return found;
}

static char *env_of(ctr_accel_registry *reg, const char *req)
{
	const char *reqs[] = { req, NULL };
	ctr_container_edits *ed = NULL;
	ctr_error *e = NULL;
	char *json = NULL;

	if (ctr_accel_registry_edits(reg, reqs, &ed, &e) != 0)
		fail_msg("%s: %s", req, ctr_error_message(e));
	assert_int_equal(ctr_container_edits_to_json(ed, &json, NULL), 0);
	ctr_container_edits_free(ed);
	return json;
}

static void test_directories(void **state)
{
	char *t = make_tmpdir(), d1[PATH_MAX], d2[PATH_MAX];
	const char *dirs[] = { d1, d2, NULL };
	ctr_accel_registry *reg;
	char *j;

	(void)state;
	snprintf(d1, sizeof(d1), "%s/etc/cdi", t);
	snprintf(d2, sizeof(d2), "%s/var/run/cdi", t);
	write_at(d1, "a.json", SPEC_J("0.3.0", "v.com/d", D_ENV("one", "FROM=etc") "," D_ENV("two", "FROM=etc-a")));
	/* same directory, same device: 'two' is dropped and reported */
	write_at(d1, "b.yaml", "cdiVersion: \"0.6.0\"\nkind: v.com/d\ndevices:\n- name: two\n  containerEdits:\n    env: [FROM=etc-b]\n"
			       "- name: three\n  containerEdits:\n    env: [FROM=etc-b]\n");
	write_at(d1, "broken.json", "{\"cdiVersion\":\"1.0.0\",\"kind\":");
	write_at(d1, "lowversion.yaml", "cdiVersion: \"0.3.0\"\nkind: v.com/low\ndevices:\n- name: x\n  containerEdits:\n"
					"    additionalGids: [44]\n");
	write_at(d1, "ignored.txt", SPEC_J("1.0.0", "v.com/txt", D_ENV("x", "A=1")));
	write_at(d1, "sub/nested.json", SPEC_J("1.0.0", "v.com/nested", D_ENV("x", "A=1")));
	mkdir_p(d1);
	{
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/dir.json", d1);
		mkdir(p, 0755);
	}
	/* later directory wins */
	write_at(d2, "override.json", SPEC_J("1.0.0", "v.com/d", D_ENV("one", "FROM=run")));
	reg = registry_for(t, dirs);
	assert_true(has_device(reg, "v.com/d=one"));
	assert_false(has_device(reg, "v.com/d=two"));
	assert_true(has_device(reg, "v.com/d=three"));
	assert_false(has_device(reg, "v.com/txt=x"));
	assert_false(has_device(reg, "v.com/nested=x"));
	assert_false(has_device(reg, "v.com/low=x"));
	assert_true(errors_have(reg, "broken.json", "invalid JSON"));
	assert_true(errors_have(reg, "lowversion.yaml", "at least version 0.7.0"));
	assert_true(errors_have(reg, "conflicting device 'v.com/d=two'", "a.json"));
	j = env_of(reg, "v.com/d=one");
	assert_non_null(strstr(j, "FROM=run"));
	ctr_free(j);
	j = env_of(reg, "v.com/d=three");
	assert_non_null(strstr(j, "FROM=etc-b"));
	ctr_free(j);
	{
		const char *reqs[] = { "v.com/d=two", NULL };
		ctr_container_edits *ed = NULL;
		ctr_error *e = NULL;
		assert_int_equal(ctr_accel_registry_edits(reg, reqs, &ed, &e), -ENOENT);
		ctr_error_free(e);
		e = NULL;
		reqs[0] = "not a name";
		assert_int_equal(ctr_accel_registry_edits(reg, reqs, &ed, &e), -EINVAL);
		assert_non_null(strstr(ctr_error_message(e), "vendor/class=name"));
		ctr_error_free(e);
	}
	/* a conflict in a lower directory is overridden by a later directory */
	write_at(d2, "two.json", SPEC_J("1.0.0", "v.com/d", D_ENV("two", "FROM=run-two")));
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	assert_true(has_device(reg, "v.com/d=two"));
	ctr_accel_registry_free(reg);
	rm_rf(t);
	free(t);
}

/* ---- applying edits ---- */

static ctr_spec *default_spec(void)
{
	ctr_spec *s = NULL;

	assert_int_equal(ctr_spec_new_default(&s, NULL), 0);
	return s;
}

static struct json_object *jpath(ctr_spec *s, const char *a, const char *b, const char *c)
{
	struct json_object *o = ctr_spec_json(s);

	if (a && !json_object_object_get_ex(o, a, &o))
		return NULL;
	if (b && !json_object_object_get_ex(o, b, &o))
		return NULL;
	if (c && !json_object_object_get_ex(o, c, &o))
		return NULL;
	return o;
}

static int count_str(struct json_object *a, const char *s)
{
	int n = 0;

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			n++;
	return n;
}

static void test_apply(void **state)
{
	char *t = make_tmpdir(), d1[PATH_MAX];
	const char *dirs[] = { d1, NULL };
	ctr_accel_registry *reg;
	ctr_spec *s = default_spec();
	ctr_error *e = NULL;
	struct json_object *a;
	const char *reqs[] = { "v.com/gpu=a", "v.com/gpu=b", NULL };
	ctr_container_edits *ed = NULL;

	(void)state;
	snprintf(d1, sizeof(d1), "%s/cdi", t);
	write_at(d1, "gpu.json",
		 "{\"cdiVersion\":\"0.7.0\",\"kind\":\"v.com/gpu\","
		 "\"containerEdits\":{\"env\":[\"SPEC=1\",\"PATH=/spec\"],\"hooks\":[{\"hookName\":\"createContainer\",\"path\":\"/bin/spec-hook\"}],"
		 "\"mounts\":[{\"hostPath\":\"/lib\",\"containerPath\":\"/usr/lib/a/b\",\"options\":[\"ro\",\"bind\"]}]},"
		 "\"devices\":["
		 "{\"name\":\"a\",\"containerEdits\":{\"env\":[\"DEV=a\"],\"additionalGids\":[0,44,44],"
		 "\"deviceNodes\":[{\"path\":\"/dev/gpu-a\",\"hostPath\":\"/dev/null\",\"permissions\":\"rw\"}],"
		 "\"mounts\":[{\"hostPath\":\"/tmp\",\"containerPath\":\"/proc\",\"options\":[\"bind\"]}]}},"
		 "{\"name\":\"b\",\"containerEdits\":{\"env\":[\"DEV=b\"],\"additionalGids\":[44,45],"
		 "\"deviceNodes\":[{\"path\":\"/dev/gpu-b\",\"hostPath\":\"/dev/zero\"}],"
		 "\"mounts\":[{\"hostPath\":\"/etc\",\"containerPath\":\"/usr\",\"options\":[\"bind\"]}]}},"
		 "{\"name\":\"missing\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/nope\",\"hostPath\":\"/dev/ctr-test-no-such-node\"}]}}"
		 "]}");
	reg = registry_for(t, dirs);
	if (ctr_accel_registry_edits(reg, reqs, &ed, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	if (ctr_container_edits_apply(ed, s, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	ctr_container_edits_free(ed);
	/* env: overridden by key, spec-level once */
	a = jpath(s, "process", "env", NULL);
	assert_int_equal(count_str(a, "SPEC=1"), 1);
	assert_int_equal(count_str(a, "PATH=/spec"), 1);
	assert_int_equal(count_str(a, "DEV=b"), 1);
	assert_int_equal(count_str(a, "DEV=a"), 0);
	for (size_t i = 0; i < json_object_array_length(a); i++)
		assert_false(strncmp(json_object_get_string(json_object_array_get_idx(a, i)), "PATH=/usr", 9) == 0);
	/* hooks: the spec-level one once */
	a = jpath(s, "hooks", "createContainer", NULL);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 1);
	/* gids: no 0, no duplicates */
	a = jpath(s, "process", "user", "additionalGids");
	assert_int_equal(json_object_array_length(a), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(a, 0)), 44);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(a, 1)), 45);
	/* devices stat'ed on the host: /dev/null is c 1:3, /dev/zero c 1:5 */
	a = jpath(s, "linux", "devices", NULL);
	assert_non_null(a);
	{
		bool na = false, nb = false;
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *d = json_object_array_get_idx(a, i);
			const char *p = json_object_get_string(json_object_object_get(d, "path"));
			if (strcmp(p, "/dev/gpu-a") == 0) {
				na = true;
				assert_string_equal(json_object_get_string(json_object_object_get(d, "type")), "c");
				assert_int_equal(json_object_get_int(json_object_object_get(d, "major")), 1);
				assert_int_equal(json_object_get_int(json_object_object_get(d, "minor")), 3);
				assert_int_equal(json_object_get_int(json_object_object_get(d, "fileMode")), 0666);
			}
			if (strcmp(p, "/dev/gpu-b") == 0) {
				nb = true;
				assert_int_equal(json_object_get_int(json_object_object_get(d, "minor")), 5);
			}
		}
		assert_true(na && nb);
	}
	a = jpath(s, "linux", "resources", "devices");
	{
		bool rw = false, rwm = false;
		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			struct json_object *r = json_object_array_get_idx(a, i);
			const char *acc = json_object_get_string(json_object_object_get(r, "access"));
			if (json_object_get_int(json_object_object_get(r, "minor")) == 3 && strcmp(acc, "rw") == 0)
				rw = true;
			if (json_object_get_int(json_object_object_get(r, "minor")) == 5 && strcmp(acc, "rwm") == 0)
				rwm = true;
		}
		assert_true(rw && rwm);
	}
	/* mounts: /proc replaced (one), sorted parents-first */
	a = jpath(s, "mounts", NULL, NULL);
	{
		size_t prev = 0, nproc = 0;
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *dst = json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "destination"));
			size_t parts = 0;
			for (const char *c = dst; *c; c++)
				parts += *c == '/';
			assert_true(parts >= prev);
			prev = parts;
			if (strcmp(dst, "/proc") == 0) {
				nproc++;
				assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "source")), "/tmp");
			}
		}
		assert_int_equal(nproc, 1);
	}
	assert_int_equal(ctr_spec_validate(s, &e), 0);
	/* a missing host node fails, naming the spec file and the device, and leaves the spec unchanged */
	{
		char *before = NULL, *after = NULL;
		assert_int_equal(ctr_spec_to_json(s, &before, NULL, 0, NULL), 0);
		assert_int_equal(ctr_spec_add_device(s, reg, "v.com/gpu=missing", &e), -ENOENT);
		assert_non_null(strstr(ctr_error_message(e), "gpu.json"));
		assert_non_null(strstr(ctr_error_message(e), "v.com/gpu=missing"));
		assert_non_null(strstr(ctr_error_message(e), "/dev/ctr-test-no-such-node"));
		ctr_error_free(e);
		e = NULL;
		assert_int_equal(ctr_spec_to_json(s, &after, NULL, 0, NULL), 0);
		assert_string_equal(before, after);
		ctr_free(before);
		ctr_free(after);
	}
	ctr_spec_free(s);
	/* CDI annotations */
	s = default_spec();
	assert_int_equal(ctr_spec_set_annotation(s, "cdi.k8s.io/test", "v.com/gpu=a", NULL), 0);
	assert_int_equal(ctr_spec_set_annotation(s, "other", "v.com/gpu=b", NULL), 0);
	if (ctr_accel_apply_annotations(s, reg, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	a = jpath(s, "process", "env", NULL);
	assert_int_equal(count_str(a, "DEV=a"), 1);
	assert_int_equal(count_str(a, "DEV=b"), 0);
	ctr_spec_free(s);
	ctr_accel_registry_free(reg);
	rm_rf(t);
	free(t);
}

/* ---- run-time backends and CDI output ---- */

static int acme_discover(void *data, const char *root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_device_info info;
	const char *nodes[] = { "/dev/null", NULL };
	const char *caps[] = { "speed=fast", NULL };

	(void)data;
	(void)root;
	ctr_accel_device_info_init(&info);
	info.kind = "acme.io/fpga";
	info.name = "0";
	info.vendor = "acme";
	info.driver = "acme_fpga";
	info.pci_address = "0000:03:00.0";
	info.nodes = nodes;
	info.capabilities = caps;
	return ctr_accel_discovery_add(disc, &info, err);
}

static int acme_edits(void *data, const char *root, const char *req, ctr_container_edits *e, ctr_error **err)
{
	int r;
	const char *opts[] = { "ro", "bind", NULL };

	(void)data;
	(void)root;
	if (strcmp(req, "acme.io/fpga=0") != 0)
		{ ctr_error_free(err ? *err : NULL); (void)req; return -ENOENT; }
	if ((r = ctr_container_edits_add_device_node(e, "/dev/fpga0", "/dev/null", NULL, err)) < 0 ||
	    (r = ctr_container_edits_add_env(e, "ACME=1", err)) < 0 ||
	    (r = ctr_container_edits_add_mount(e, "/usr/lib", "/opt/acme", NULL, opts, err)) < 0 ||
	    (r = ctr_container_edits_add_gid(e, 27, err)) < 0)
		return r;
	return 0;
}

static void test_runtime_backend(void **state)
{
	char *t = make_tmpdir();
	const char *dirs[] = { t, NULL };
	ctr_accel_registry *reg = registry_for(t, dirs);
	ctr_accel_backend_ops ops = { .abi_version = CTR_ACCEL_BACKEND_ABI, .size = sizeof(ops), .name = "acme",
				      .discover = acme_discover, .edits = acme_edits };
	ctr_error *e = NULL;
	const ctr_accel_device *d;
	char *cdi = NULL;
	ctr_spec *s;

	(void)state;
	if (ctr_accel_registry_add_backend(reg, &ops, NULL, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(ctr_accel_registry_add_backend(reg, &ops, NULL, &e), -EEXIST);
	ctr_error_free(e);
	e = NULL;
	ops.name = "acme2";
	ops.abi_version = CTR_ACCEL_BACKEND_ABI + 1;
	assert_int_equal(ctr_accel_registry_add_backend(reg, &ops, NULL, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "ABI"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_accel_registry_device_count(reg), 1);
	d = ctr_accel_registry_device(reg, 0);
	assert_string_equal(ctr_accel_device_name(d), "acme.io/fpga=0");
	assert_string_equal(ctr_accel_device_backend(d), "acme");
	assert_string_equal(ctr_accel_device_vendor(d), "acme");
	assert_string_equal(ctr_accel_device_driver(d), "acme_fpga");
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:03:00.0");
	assert_string_equal(ctr_accel_device_nodes(d)[0], "/dev/null");
	assert_string_equal(ctr_accel_device_capabilities(d)[0], "speed=fast");
	assert_null(ctr_accel_registry_device(reg, 1));
	s = default_spec();
	if (ctr_spec_add_device(s, reg, "acme.io/fpga=0", &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(ctr_spec_validate(s, NULL), 0);
	ctr_spec_free(s);
	if (ctr_accel_registry_write_cdi(reg, "acme", &cdi, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	if (ctr_cdi_validate_buffer(cdi, strlen(cdi), "generated", &e) != 0)
		fail_msg("%s\n%s", ctr_error_message(e), cdi);
	assert_non_null(strstr(cdi, "\"cdiVersion\":\"0.7.0\"") ? cdi : strstr(cdi, "0.7.0"));
	assert_null(strstr(cdi, "x-ctr-source"));
	ctr_free(cdi);
	assert_int_equal(ctr_accel_registry_write_cdi(reg, "nope", &cdi, &e), -ENOENT);
	ctr_error_free(e);
	ctr_accel_registry_free(reg);
	rm_rf(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_versions_json_yaml),
		cmocka_unit_test(test_minimum_version),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_runtime_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/cgroup-devices.c: the rule list built from real configs
 * (defaults, linux.devices, linux.resources.devices with wildcards and
 * resets) and the errors for bad entries; the cgroup v2 device program run
 * through an interpreter against the rules for every device and access the
 * rules tell apart.  No root needed; the rules are enforced for real by
 * tests/integration/test-devices-cgroup.sh.
 */
#include <linux/bpf.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "internal.h"
#include "linux/cgroup-devices.h"

struct built {
	struct ctr_dev_rule *rules;
	size_t n;
	struct oci_config *cfg;
	ctr_spec *spec;
	char *msg;
	int r;
};

/* Build the rules of a config whose "linux" object is linux_json. */
static void build(struct built *b, const char *linux_json)
{
	char doc[4096];
	ctr_error *err = NULL;
	memset(b, 0, sizeof(*b));
	snprintf(doc, sizeof(doc),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
		 "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, "
		 "\"linux\": %s}", linux_json);
	assert_int_equal(ctr_spec_load_buffer(&b->spec, doc, strlen(doc), "config.json", &err), 0);
	assert_int_equal(oci_config_from_spec(b->spec, &b->cfg, &err), 0);
	struct json_object *devs = NULL;
	if (b->cfg->linux_.resources)
		json_object_object_get_ex(b->cfg->linux_.resources, "devices", &devs);
	b->r = ctr_cgdev_rules_build(b->cfg, devs, &b->rules, &b->n, &err);
	if (err)
		b->msg = strdup(ctr_error_message(err));
	ctr_error_free(err);
}

static void built_free(struct built *b)
{
	free(b->rules);
	free(b->msg);
	oci_config_free(b->cfg);
	ctr_spec_free(b->spec);
}

/* The rules of a JSON array alone (no config: an update). */
static int build_array(const char *json, struct ctr_dev_rule **rules, size_t *n, char **msg)
{
	struct json_object *arr = json_tokener_parse(json);
	ctr_error *err = NULL;
	assert_non_null(arr);
	int r = ctr_cgdev_rules_build(NULL, arr, rules, n, &err);
	*msg = err ? strdup(ctr_error_message(err)) : NULL;
	ctr_error_free(err);
	json_object_put(arr);
	return r;
}

static char *fmt(const struct ctr_dev_rule *r)
{
	static char buf[8][64];
	static int i;
	char *b = buf[i++ % 8];
	snprintf(b, 64, "%s ", r->allow ? "allow" : "deny");
	ctr_cgdev_rule_format(r, b + strlen(b), 64 - strlen(b));
	return b;
}

/* Is the last rule that matches c/b maj:min with access bit `bit` an allow? (no match: deny) */
static bool allowed(const struct ctr_dev_rule *rules, size_t n, char type, int64_t maj, int64_t min, unsigned bit)
{
	for (size_t i = n; i-- > 0;) {
		const struct ctr_dev_rule *r = &rules[i];
		if ((r->type == 'a' || r->type == type) && (r->major < 0 || r->major == maj) &&
		    (r->minor < 0 || r->minor == min) && (r->access & bit))
			return r->allow;
	}
	return false;
}

/*
 * The program ctr_cgdev_prog_build emits, run on one device: the subset of
 * eBPF it uses (64- and 32-bit ALU, loads from the context, 64-bit
 * constants, exit).  A jump or anything else fails the test: the program is
 * straight-line by design (the verifier's cost, see build_prog).
 */
static int run_prog(const struct bpf_insn *p, size_t len, const uint32_t ctx[3])
{
	uint64_t r[11] = {0};
	for (size_t pc = 0; pc < len; pc++) {
		const struct bpf_insn *in = &p[pc];
		uint8_t cls = BPF_CLASS(in->code);
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
			assert_true(pc + 1 < len);
			r[in->dst_reg] = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)p[pc + 1].imm << 32;
			pc++;
			continue;
		}
		if (in->code == (BPF_LDX | BPF_W | BPF_MEM)) {
			assert_int_equal(in->src_reg, BPF_REG_1);
			assert_true(in->off >= 0 && in->off <= 8 && in->off % 4 == 0);
			r[in->dst_reg] = ctx[in->off / 4];
			continue;
		}
		if (in->code == (BPF_JMP | BPF_EXIT)) {
			assert_true(r[0] <= 1);
			return (int)r[0];
		}
		if (cls != BPF_ALU64 && cls != BPF_ALU)
			fail_msg("instruction %zu: opcode 0x%02x is not one the device program uses", pc, in->code);
		uint64_t a = r[in->dst_reg];
		uint64_t b = BPF_SRC(in->code) == BPF_X ? r[in->src_reg] : (uint64_t)(int64_t)in->imm;
		if (cls == BPF_ALU) {
			a = (uint32_t)a;
			b = (uint32_t)b;
		}
		switch (BPF_OP(in->code)) {
		case BPF_MOV: a = b; break;
		case BPF_AND: a &= b; break;
		case BPF_OR: a |= b; break;
		case BPF_XOR: a ^= b; break;
		case BPF_SUB: a -= b; break;
		case BPF_NEG: a = -a; break;
		case BPF_LSH: a <<= (b & (cls == BPF_ALU ? 31 : 63)); break;
		case BPF_RSH: a >>= (b & (cls == BPF_ALU ? 31 : 63)); break;
		case BPF_ARSH:
			if (cls == BPF_ALU)
				a = (uint32_t)((int32_t)a >> (b & 31));
			else
				a = (uint64_t)((int64_t)a >> (b & 63));
			break;
		default: fail_msg("instruction %zu: ALU op 0x%02x is not one the device program uses", pc, in->code);
		}
		r[in->dst_reg] = cls == BPF_ALU ? (uint32_t)a : a;
	}
	fail_msg("the device program runs off its end");
	return -1;
}

/* What the rules say for one device and a BPF_DEVCG_ACC_* set (bits beyond the three: never allowed). */
static int rules_say(const struct ctr_dev_rule *rules, size_t n, char type, int64_t maj, int64_t min, unsigned acc)
{
	static const struct {
		unsigned bpf, ctr;
	} bits[] = {{BPF_DEVCG_ACC_READ, CTR_DEV_READ}, {BPF_DEVCG_ACC_WRITE, CTR_DEV_WRITE},
		    {BPF_DEVCG_ACC_MKNOD, CTR_DEV_MKNOD}};
	if (!acc)
		return 0;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(bits); i++)
		if (acc & bits[i].bpf) {
			if (!allowed(rules, n, type, maj, min, bits[i].ctr))
				return 0;
			acc &= ~bits[i].bpf;
		}
	return acc ? 0 : 1;
}

static void add_num(int64_t *v, size_t *n, size_t cap, int64_t x)
{
	if (x < 0 || x > UINT32_MAX)
		return;
	for (size_t i = 0; i < *n; i++)
		if (v[i] == x)
			return;
	if (*n < cap)
		v[(*n)++] = x;
}

/*
 * The program of the rules against the rules themselves, for every device
 * they tell apart (each major and minor they name, its neighbours, 0 and the
 * largest) of both types and a type no rule names, and every access set
 * (with a bit the kernel does not define yet).
 */
static void check_prog(const struct ctr_dev_rule *rules, size_t n)
{
	size_t len = 0;
	struct bpf_insn *p = ctr_cgdev_prog_build(rules, n, &len);
	assert_non_null(p);
	assert_true(len <= 32 + n * CTR_CGDEV_INSNS_PER_RULE);
	int64_t majs[256], mins[256];
	size_t nmaj = 0, nmin = 0;
	const int64_t edge[] = {0, 1, 4095, 32767, 32768, 65535, 1048575, UINT32_MAX};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(edge); i++) {
		add_num(majs, &nmaj, 256, edge[i] > 32767 ? 4095 : edge[i]);
		add_num(mins, &nmin, 256, edge[i]);
	}
	for (size_t i = 0; i < n; i++)
		for (int d = -1; d <= 1; d++) {
			add_num(majs, &nmaj, 256, rules[i].major < 0 ? -1 : rules[i].major + d);
			add_num(mins, &nmin, 256, rules[i].minor < 0 ? -1 : rules[i].minor + d);
		}
	static const struct {
		uint32_t bpf;
		char type;
	} types[] = {{BPF_DEVCG_DEV_CHAR, 'c'}, {BPF_DEVCG_DEV_BLOCK, 'b'}, {3, 'x'}, {0x102, 'x'}};
	size_t checked = 0;
	for (size_t t = 0; t < CTR_ARRAY_SIZE(types); t++)
		for (size_t a = 0; a < nmaj; a++)
			for (size_t m = 0; m < nmin; m++)
				for (unsigned acc = 0; acc < 16; acc++) {
					uint32_t ctx[3] = {types[t].bpf | acc << 16, (uint32_t)majs[a], (uint32_t)mins[m]};
					int want = rules_say(rules, n, types[t].type, majs[a], mins[m], acc);
					int got = run_prog(p, len, ctx);
					if (got != want)
						fail_msg("%c %" PRId64 ":%" PRId64 " access 0x%x: the program says %d, the rules %d",
							 types[t].type, majs[a], mins[m], acc, got, want);
					checked++;
				}
	assert_true(checked > 0);
	free(p);
}

static void test_defaults(void **state)
{
	(void)state;
	struct built b;
	build(&b, "{}");
	assert_int_equal(b.r, 0);
	const char *want[] = {"allow c *:* m", "allow b *:* m", "allow c 1:3 rwm", "allow c 1:5 rwm",
			      "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm", "allow c 5:0 rwm",
			      "allow c 5:1 rwm", "allow c 5:2 rwm", "allow c 136:* rwm"};
	assert_int_equal(b.n, CTR_ARRAY_SIZE(want));
	for (size_t i = 0; i < b.n; i++)
		assert_string_equal(fmt(&b.rules[i]), want[i]);
	/* what the defaults mean: null opens, /dev/mem (1:1) and a disk (8:0) do not, mknod of anything does */
	assert_true(allowed(b.rules, b.n, 'c', 1, 3, CTR_DEV_WRITE));
	assert_true(allowed(b.rules, b.n, 'c', 136, 7, CTR_DEV_READ));
	assert_false(allowed(b.rules, b.n, 'c', 1, 1, CTR_DEV_READ));
	assert_false(allowed(b.rules, b.n, 'b', 8, 0, CTR_DEV_READ));
	assert_true(allowed(b.rules, b.n, 'b', 8, 0, CTR_DEV_MKNOD));
	check_prog(b.rules, b.n);
	built_free(&b);
}

static void test_linux_devices_and_resources(void **state)
{
	(void)state;
	struct built b;
	/* podman's shape: deny all first, then the allows it wants; linux.devices adds fuse */
	build(&b, "{\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229},"
		  "{\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0},"
		  "{\"path\": \"/dev/fifo\", \"type\": \"p\"}],"
		  "\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
		  "{\"allow\": true, \"type\": \"c\", \"major\": 10, \"access\": \"r\"},"
		  "{\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"w\"},"
		  "{\"allow\": false, \"type\": \"b\", \"major\": 8, \"minor\": 0}]}}");
	assert_int_equal(b.r, 0);
	/* 11 defaults + fuse + sda (the fifo needs no rule), the reset + 13 again, 3 more */
	assert_int_equal(b.n, 13 + 1 + 13 + 3);
	assert_string_equal(fmt(&b.rules[11]), "allow c 10:229 rwm");
	assert_string_equal(fmt(&b.rules[12]), "allow b 8:0 rwm");
	assert_string_equal(fmt(&b.rules[13]), "deny a");
	assert_string_equal(fmt(&b.rules[27]), "allow c 10:* r");
	assert_string_equal(fmt(&b.rules[28]), "deny c 1:3 w");
	assert_string_equal(fmt(&b.rules[29]), "deny b 8:0 rwm");
	/* later rules win */
	assert_true(allowed(b.rules, b.n, 'c', 1, 3, CTR_DEV_READ));     /* the reset kept null */
	assert_false(allowed(b.rules, b.n, 'c', 1, 3, CTR_DEV_WRITE));   /* ... and the deny took w */
	assert_true(allowed(b.rules, b.n, 'c', 10, 229, CTR_DEV_WRITE)); /* linux.devices kept */
	assert_true(allowed(b.rules, b.n, 'c', 10, 200, CTR_DEV_READ));  /* the major wildcard */
	assert_false(allowed(b.rules, b.n, 'c', 10, 200, CTR_DEV_WRITE));
	assert_false(allowed(b.rules, b.n, 'b', 8, 0, CTR_DEV_READ));    /* resources beat linux.devices */
	check_prog(b.rules, b.n);
	built_free(&b);
}

static void test_wildcards(void **state)
{
	(void)state;
	struct ctr_dev_rule *rules;
	size_t n;
	char *msg;
	/* type absent: all; access absent or "": rwm; numbers absent or -1: any; "a" ignores numbers */
	assert_int_equal(build_array("[{\"allow\": true}, {\"allow\": false, \"type\": \"c\", \"major\": -1, "
				     "\"minor\": 5, \"access\": \"\"}, {\"allow\": true, \"type\": \"a\", "
				     "\"major\": 4, \"minor\": 4, \"access\": \"m\"}]", &rules, &n, &msg), 0);
	assert_int_equal(n, 11 + 3);
	assert_string_equal(fmt(&rules[11]), "allow a");
	assert_int_equal(rules[11].access, CTR_DEV_ALL);
	assert_string_equal(fmt(&rules[12]), "deny c *:5 rwm");
	assert_int_equal(rules[13].major, -1);
	assert_int_equal(rules[13].minor, -1);
	assert_int_equal(rules[13].access, CTR_DEV_MKNOD);
	assert_true(allowed(rules, n, 'b', 8, 0, CTR_DEV_READ));
	assert_false(allowed(rules, n, 'c', 1, 5, CTR_DEV_READ));
	assert_true(allowed(rules, n, 'c', 1, 5, CTR_DEV_MKNOD));
	check_prog(rules, n);
	free(rules);
	assert_null(msg);
}

static void test_many_resets(void **state)
{
	(void)state;
	struct ctr_dev_rule *rules;
	size_t n;
	char *msg;
	/* each reset copies the 11 defaults again: the list grows past its first allocation */
	const char *deny_all = "{\"allow\": false, \"access\": \"rwm\"}";
	char json[1024] = "[";
	for (int i = 0; i < 8; i++)
		snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s%s", i ? ", " : "", deny_all);
	strcat(json, "]");
	assert_int_equal(build_array(json, &rules, &n, &msg), 0);
	assert_int_equal(n, 11 + 8 * 12);
	for (size_t k = 0; k < 8; k++) {
		const struct ctr_dev_rule *blk = rules + 11 + k * 12;
		assert_string_equal(fmt(&blk[0]), "deny a");
		for (size_t i = 0; i < 11; i++)
			assert_string_equal(fmt(&blk[1 + i]), fmt(&rules[i]));
	}
	assert_true(allowed(rules, n, 'c', 1, 3, CTR_DEV_WRITE));
	assert_false(allowed(rules, n, 'c', 1, 1, CTR_DEV_READ));
	check_prog(rules, n);
	free(rules);
}

/* Rules no config builds but the program must still get right: partial access, order, edges. */
static void test_prog_edges(void **state)
{
	(void)state;
	static const struct ctr_dev_rule rules[] = {
		{true, 'a', -1, -1, CTR_DEV_ALL},                  /* allow everything ... */
		{false, 'c', -1, 5, CTR_DEV_READ | CTR_DEV_WRITE}, /* ... but c *:5 rw */
		{true, 'c', 4, 5, CTR_DEV_READ},                   /* ... except reading c 4:5 */
		{false, 'b', 7, -1, CTR_DEV_MKNOD},                /* no mknod of b 7:* */
		{true, 'c', 32768, 0, CTR_DEV_ALL},                /* majors beyond the key: match nothing */
		{true, 'c', 4096, (int64_t)UINT32_MAX + 1, CTR_DEV_ALL},
		{false, 'a', 4095, -1, CTR_DEV_WRITE},             /* "a" with a major */
		{true, 'b', 0, 0, CTR_DEV_WRITE},
		{false, 'c', 1, 3, 0},                             /* names nothing: decides nothing */
	};
	check_prog(rules, CTR_ARRAY_SIZE(rules));
	/* no rule: everything denied; a single deny-all: the same */
	check_prog(NULL, 0);
	check_prog(rules, 1);
	static const struct ctr_dev_rule deny_all = {false, 'a', -1, -1, CTR_DEV_ALL};
	check_prog(&deny_all, 1);
}

static void test_bad_entries(void **state)
{
	(void)state;
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{"[{\"allow\": true, \"access\": \"rwx\"}]", "linux.resources.devices[0].access: 'rwx' is not an access mode"},
		{"[{\"allow\": true}, {\"allow\": true, \"access\": 7}]", "linux.resources.devices[1].access: '7' is not an access mode"},
		{"[{\"allow\": true}, {\"allow\": true}, {\"type\": \"c\"}]", "linux.resources.devices[2].allow: required, true or false"},
		{"[{\"allow\": true, \"type\": \"u\"}]", "linux.resources.devices[0].type: 'u' is not a device type"},
		{"[{\"allow\": true, \"type\": \"c\", \"major\": -2}]", "linux.resources.devices[0].major: -2 is out of range"},
		{"[{\"allow\": true, \"type\": \"c\", \"minor\": \"3\"}]", "linux.resources.devices[0].minor: must be an integer"},
		{"[7]", "linux.resources.devices[0]: must be an object"},
		{"{}", "linux.resources.devices: must be an array"},
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cases); i++) {
		struct ctr_dev_rule *rules = (void *)1;
		size_t n = 99;
		char *msg;
		assert_int_equal(build_array(cases[i].json, &rules, &n, &msg), -EINVAL);
		assert_null(rules);
		assert_int_equal(n, 0);
		assert_non_null(msg);
		if (strncmp(msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got '%s', want '%s...'", i, msg, cases[i].msg);
		free(msg);
	}
}

static void test_config_validation_names_path(void **state)
{
	(void)state;
	/* the spec module validates linux.resources.devices at load time with the same path */
	const char *doc = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"resources\": "
			  "{\"devices\": [{\"allow\": true}, {\"allow\": true, \"access\": \"rwq\"}]}}}";
	ctr_spec *spec = NULL;
	struct oci_config *cfg = NULL;
	ctr_error *err = NULL;
	int r = ctr_spec_load_buffer(&spec, doc, strlen(doc), "config.json", &err);
	if (r == 0)
		r = oci_config_from_spec(spec, &cfg, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(ctr_error_message(err), "linux.resources.devices[1].access"));
	ctr_error_free(err);
	ctr_spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_linux_devices_and_resources),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_many_resets),
		cmocka_unit_test(test_prog_edges),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_config_validation_names_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of lib/spec: loading, validation, typed view, round trip, setters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "ctr/ctr.h"
#include "spec/oci.h"
#include "full-config.h"

#define BASE "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}"
#define PROC(body) BASE ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}," body "}}"
#define LINUX(body) BASE ",\"linux\":{" body "}}"

static ctr_spec *load_ok(const char *json)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	int r = ctr_spec_load_buffer(&s, json, strlen(json), NULL, &e);
	if (r != 0)
		fail_msg("load failed: %s", ctr_error_message(e));
	ctr_error_free(e);
	return s;
}

static struct oci_config *config_ok(const ctr_spec *s)
{
	struct oci_config *cfg = NULL;
	ctr_error *e = NULL;
	int r = oci_config_from_spec(s, &cfg, &e);
	if (r != 0)
		fail_msg("config failed: %s", ctr_error_message(e));
	ctr_error_free(e);
	return cfg;
}

/* ---- valid configs ------------------------------------------------------ */

static void test_default_spec(void **state)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	assert_int_equal(ctr_spec_new_default(&s, &e), 0);
	assert_null(e);
	assert_int_equal(ctr_spec_validate(s, &e), 0);
	assert_string_equal(ctr_spec_oci_version(s), CTR_OCI_VERSION);
	struct oci_config *cfg = config_ok(s);
	assert_string_equal(cfg->root_path, "rootfs");
	assert_true(cfg->root_readonly);
	assert_string_equal(cfg->hostname, "ctr");
	assert_non_null(cfg->process);
	assert_false(cfg->process->terminal);
	assert_int_equal(cfg->process->n_args, 1);
	assert_string_equal(cfg->process->args[0], "sh");
	assert_null(cfg->process->args[1]);
	assert_int_equal(cfg->process->n_env, 2);
	assert_string_equal(cfg->process->env[1], "TERM=xterm");
	assert_string_equal(cfg->process->cwd, "/");
	assert_true(cfg->process->capabilities.present);
	assert_int_equal(cfg->process->capabilities.n_bounding, 3);
	assert_int_equal(cfg->process->capabilities.n_ambient, 0);
	assert_null(cfg->process->capabilities.ambient);
	assert_int_equal(cfg->process->n_rlimits, 1);
	assert_int_equal(cfg->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(cfg->process->rlimits[0].soft, 1024);
	assert_true(cfg->process->no_new_privileges);
	assert_int_equal(cfg->n_mounts, 7);
	assert_string_equal(cfg->mounts[6].destination, "/sys/fs/cgroup");
	assert_true(cfg->has_linux);
	assert_int_equal(cfg->linux_.n_namespaces, 6);
	assert_int_equal(cfg->linux_.namespaces[0].type, OCI_NS_PID);
	assert_int_equal(cfg->linux_.namespaces[0].clone_flag, CLONE_NEWPID);
	assert_true(cfg->linux_.n_masked_paths >= 10);
	assert_int_equal(cfg->linux_.n_readonly_paths, 5);
	oci_config_free(cfg);

	/* the serialized default loads back */
	char *text = NULL;
	assert_int_equal(ctr_spec_to_json(s, &text, NULL, 1, &e), 0);
	ctr_spec *s2 = load_ok(text);
	assert_true(json_object_equal(ctr_spec_json(s), ctr_spec_json(s2)));
	ctr_free(text);
	ctr_spec_free(s2);
	ctr_spec_free(s);
}

static void test_full_config(void **state)
{
	ctr_spec *s = load_ok(full_config);
	struct oci_config *cfg = config_ok(s);
	assert_string_equal(cfg->oci_version, "1.2.0");
	assert_string_equal(cfg->root_path, "/var/lib/rootfs");
	assert_false(cfg->root_readonly);

	assert_int_equal(cfg->n_mounts, 2);
	struct oci_mount *m = &cfg->mounts[1];
	assert_string_equal(m->type, "bind");
	assert_int_equal(m->n_options, 5);
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->uid_mappings[0].host_id, 100000);
	assert_int_equal(m->gid_mappings[0].size, 65536);

	struct oci_process *p = cfg->process;
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->env[2], "X=a=b");
	assert_string_equal(p->cwd, "/home/user");
	assert_int_equal(p->capabilities.n_bounding, 3);
	assert_int_equal(p->capabilities.n_inheritable, 0);
	assert_non_null(p->capabilities.inheritable);
	assert_string_equal(p->capabilities.ambient[0], "CAP_NET_ADMIN");
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "ctr-default");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");

	assert_string_equal(cfg->hostname, "box");
	assert_string_equal(cfg->domainname, "example.org");
	assert_int_equal(cfg->hooks.prestart.n, 1);
	assert_string_equal(cfg->hooks.prestart.hooks[0].path, "/usr/bin/pre");
	assert_int_equal(cfg->hooks.prestart.hooks[0].n_args, 2);
	assert_int_equal(cfg->hooks.prestart.hooks[0].n_env, 1);
	assert_true(cfg->hooks.prestart.hooks[0].has_timeout);
	assert_int_equal(cfg->hooks.prestart.hooks[0].timeout, 5);
	assert_int_equal(cfg->hooks.create_runtime.n, 1);
	assert_int_equal(cfg->hooks.create_container.n, 1);
	assert_int_equal(cfg->hooks.start_container.n, 1);
	assert_int_equal(cfg->hooks.poststart.n, 1);
	assert_int_equal(cfg->hooks.poststop.n, 2);
	assert_false(cfg->hooks.poststop.hooks[1].has_timeout);

	assert_int_equal(cfg->n_annotations, 2);
	assert_string_equal(cfg->annotation_keys[0], "org.example.a");
	assert_string_equal(cfg->annotation_values[0], "1");
	assert_string_equal(cfg->annotation_keys[1], "org.example.b");

	struct oci_linux *l = &cfg->linux_;
	assert_int_equal(l->n_namespaces, 8);
	assert_int_equal(l->namespaces[1].type, OCI_NS_NETWORK);
	assert_string_equal(l->namespaces[1].path, "/var/run/netns/x");
	assert_null(l->namespaces[0].path);
	assert_int_equal(l->namespaces[7].type, OCI_NS_TIME);
	assert_int_equal(l->namespaces[7].clone_flag, 0x80);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->n_gid_mappings, 1);
	assert_int_equal(l->n_time_offsets, 2);
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(l->time_offsets[i].clock, "boottime") == 0)
			assert_int_equal(l->time_offsets[i].secs, -5);
		else
			assert_int_equal(l->time_offsets[i].secs, 86400);
	}
	assert_int_equal(l->n_devices, 2);
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].has_file_mode);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_int_equal(l->devices[1].type, 'p');
	assert_int_equal(l->devices[1].major, -1);
	assert_false(l->devices[1].has_uid);
	assert_string_equal(l->cgroups_path, "/ctr/test");
	assert_non_null(l->resources);
	struct json_object *pids = NULL, *lim = NULL;
	assert_true(json_object_object_get_ex(l->resources, "pids", &pids));
	assert_true(json_object_object_get_ex(pids, "limit", &lim));
	assert_int_equal(json_object_get_int64(lim), 128);
	assert_int_equal(l->n_sysctl, 2);
	assert_string_equal(l->sysctl[0].key, "kernel.shmmax");
	assert_string_equal(l->sysctl[1].value, "1");
	assert_non_null(l->seccomp);
	assert_string_equal(l->seccomp->default_action, "SCMP_ACT_ERRNO");
	assert_true(l->seccomp->has_default_errno_ret);
	assert_int_equal(l->seccomp->n_architectures, 2);
	assert_int_equal(l->seccomp->n_flags, 1);
	assert_string_equal(l->seccomp->listener_path, "/run/seccomp.sock");
	assert_int_equal(l->seccomp->n_syscalls, 4);
	assert_int_equal(l->seccomp->syscalls[0].n_names, 2);
	assert_int_equal(l->seccomp->syscalls[1].n_args, 2);
	assert_int_equal(l->seccomp->syscalls[1].args[1].value, 255);
	assert_int_equal(l->seccomp->syscalls[1].args[1].value_two, 4);
	assert_string_equal(l->seccomp->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
	assert_true(l->seccomp->syscalls[3].has_errno_ret);
	assert_int_equal(l->seccomp->syscalls[3].errno_ret, 13);
	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(l->rootfs_propagation_flags, MS_SLAVE | MS_REC);
	assert_int_equal(l->n_masked_paths, 1);
	assert_int_equal(l->n_readonly_paths, 1);
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(l->has_personality);
	assert_string_equal(l->personality_domain, "LINUX32");
	assert_int_equal(l->n_personality_flags, 0);
	assert_non_null(l->intel_rdt);
	assert_string_equal(l->intel_rdt->clos_id, "guaranteed");
	assert_string_equal(l->intel_rdt->l3_cache_schema, "L3:0=7f0");
	assert_null(l->intel_rdt->mem_bw_schema);
	assert_true(l->intel_rdt->enable_monitoring);
	assert_null(l->memory_policy);
	assert_int_equal(l->n_net_devices, 0);
	oci_config_free(cfg);
	ctr_spec_free(s);
}

static void test_minimal_and_variants(void **state)
{
	static const char *const ok[] = {
		BASE "}",
		"\n\t {\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"r\"}} \n\r\n",
		"{\"ociVersion\":\"1.1.0+dirty\",\"root\":{\"path\":\"r\"},\"hostname\":null}",
		/* limits of 64-bit integers, big numbers inside strings and doubles are fine */
		BASE ",\"x\":[18446744073709551615,-9223372036854775808,\"99999999999999999999999\\\"1\",1e400,-0]}",
		/* empty hostname is not a request to set one */
		BASE ",\"hostname\":\"\"}",
		/* uts joined by path and no hostname */
		LINUX("\"namespaces\":[{\"type\":\"uts\",\"path\":\"/proc/1/ns/uts\"}]"),
		/* a hostname in a joined UTS namespace (a pod's sandbox), as CRI engines write */
		BASE ",\"hostname\":\"h\",\"linux\":{\"namespaces\":[{\"type\":\"uts\",\"path\":\"/proc/1/ns/uts\"}]}}",
		/* no process at all (allowed by config.md: process is OPTIONAL for create) */
		BASE ",\"process\":null}",
		PROC("\"user\":{\"uid\":4294967294,\"gid\":0}"),
		LINUX("\"rootfsPropagation\":\"private\""),
		LINUX("\"resources\":{}"),
		LINUX("\"netDevices\":{\"eth1\":{\"name\":\"ctr0\"},\"eth2\":{}}"),
		/* capabilities the runtime cannot map are warned about by lib/linux, not refused here */
		PROC("\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_FOO\"],\"ambient\":[\"chown\"]}"),
		/* unknown fields: ignored up to the implemented version (config.md "Extensibility") */
		"{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\",\"x\":1},\"newThing\":{},\"linux\":{\"y\":[]}}",
		"{\"ociVersion\":\"1.3.0+build.5\",\"root\":{\"path\":\"r\"},\"newThing\":{}}",
		"{\"ociVersion\":\"1.3.0-rc.1\",\"root\":{\"path\":\"r\"},\"newThing\":{}}",
		"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":null,\"newThing\":{}}",
		/* newer: only known fields (null counts as absent; other platforms' sections are not read) */
		"{\"ociVersion\":\"1.4.0\",\"root\":{\"path\":\"r\",\"readonly\":true},\"newThing\":null,"
		"\"windows\":{\"newWindowsThing\":1},\"annotations\":{\"any.key\":\"v\"},"
		"\"linux\":{\"sysctl\":{\"net.x\":\"1\"},\"netDevices\":{\"eth9\":{\"name\":\"n%d\"}},"
		"\"resources\":{\"unified\":{\"new.file\":\"1\"},\"rdma\":{\"mlx\":{\"hcaHandles\":1}}},"
		"\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\"}}}",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ctr_spec *s = load_ok(ok[i]);
		ctr_spec_free(s);
	}
}

/* podman writes the host node's whole st_mode: 020666 (8630) for /dev/fuse */
static void test_device_file_mode_type_bits(void **state)
{
	(void)state;
	ctr_spec *s = load_ok(LINUX("\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
				    "\"minor\":229,\"fileMode\":8630},{\"path\":\"/dev/b\",\"type\":\"b\","
				    "\"major\":7,\"minor\":0,\"fileMode\":432}]"));
	struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_from_spec(s, &cfg, NULL), 0);
	assert_int_equal(cfg->linux_.devices[0].file_mode, 0666);
	assert_int_equal(cfg->linux_.devices[0].file_mode_type, 020000);
	assert_int_equal(cfg->linux_.devices[1].file_mode, 0660);
	assert_int_equal(cfg->linux_.devices[1].file_mode_type, 0);
	oci_config_free(cfg);
	ctr_spec_free(s);
}

/* update's resources: config.json's checks plus no unknown fields, named after the document */
static void test_resources_validate(void **state)
{
	(void)state;
	static const struct {
		const char *json, *msg; /* msg NULL: valid */
		ctr_error_code code;
	} cases[] = {
		{"{}", NULL, CTR_E_OK},
		{"{\"memory\":{\"limit\":1048576,\"swap\":-1},\"pids\":{\"limit\":5},\"cpu\":{\"cpus\":\"0\"},"
		 "\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":10}]},"
		 "\"rdma\":{\"mlx\":{\"hcaHandles\":1}},\"unified\":{\"io.max\":\"x\"}}", NULL, CTR_E_OK},
		{"{\"memory\":{\"limit\":\"big\"}}", "r.json: memory.limit: expected an integer, got string", CTR_E_SPEC},
		{"{\"memory\":{\"limt\":1}}", "r.json: memory.limt: unknown field: did you mean 'limit'?", CTR_E_SPEC},
		{"{\"pid\":{\"limit\":1}}", "r.json: pid: unknown field: did you mean 'pids'?", CTR_E_SPEC},
		{"{\"zzzzzz\":1}", "r.json: zzzzzz: unknown field (known here: devices, memory,", CTR_E_SPEC},
		{"{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"wieght\":1}]}}",
		 "r.json: blockIO.weightDevice[0].wieght: unknown field: did you mean 'weight'?", CTR_E_SPEC},
		{"{\"rdma\":{\"mlx\":{\"handles\":1}}}", "r.json: rdma[\"mlx\"].handles: unknown field", CTR_E_SPEC},
		{"{\"pids\":{}}", "r.json: pids.limit: required field is missing", CTR_E_SPEC},
		{"[]", "r.json: expected a JSON object", CTR_E_SPEC},
		{"{\"pids\":", "r.json:", CTR_E_PARSE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctr_error *e = NULL;
		int r = ctr_resources_validate(cases[i].json, strlen(cases[i].json), "r.json", &e);
		if (!cases[i].msg) {
			if (r != 0)
				fail_msg("case %zu: %s", i, ctr_error_message(e));
			continue;
		}
		assert_int_equal(r, -EINVAL);
		assert_int_equal(ctr_error_code_of(e), cases[i].code);
		if (!strstr(ctr_error_message(e), cases[i].msg))
			fail_msg("case %zu: want '%s' in '%s'", i, cases[i].msg, ctr_error_message(e));
		ctr_error_free(e);
	}
	/* config.json ignores unknown fields inside linux.resources, as config.md asks */
	ctr_spec *s = load_ok(LINUX("\"resources\":{\"memory\":{\"limt\":1},\"x\":{}}"));
	ctr_spec_free(s);
}

/* ---- broken configs ----------------------------------------------------- */

struct bad_case {
	const char *json;
	ctr_error_code code;
	const char *msg; /* a substring of the message */
};

static const struct bad_case bad_cases[] = {
	/* not JSON */
	{"", CTR_E_PARSE, "config.json: empty document"},
	{"{\"ociVersion\":", CTR_E_PARSE, "unexpected end"},
	{"{\"a\":1,}", CTR_E_PARSE, "line 1"},
	{BASE "} trailing", CTR_E_PARSE, "unexpected data after the end"},
	{BASE "}{}", CTR_E_PARSE, "unexpected data after the end"},
	{"[1,2]", CTR_E_SPEC, "expected a JSON object at the top level, got array"},
	{"{\"a\":'x'}", CTR_E_PARSE, "invalid JSON"},
	{"{\"a\":\"\xff\xfe\"}", CTR_E_PARSE, "invalid JSON"},
	/* integers beyond 64 bits are not silently saturated */
	{PROC("\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":18446744073709551616}]"), CTR_E_PARSE,
	 "integer 18446744073709551616 does not fit in 64 bits"},
	{PROC("\"oomScoreAdj\":-9223372036854775809"), CTR_E_PARSE, "integer -9223372036854775809 does not fit"},
	{BASE ",\"x\":[\"99999999999999999999999\", 1]}x", CTR_E_PARSE, "unexpected data after the end"},
	/* ociVersion */
	{"{\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "config.json: ociVersion: required field is missing"},
	{"{\"ociVersion\":1,\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "ociVersion: expected a string, got number"},
	{"{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "ociVersion: version '2.0.0' is not supported"},
	{"{\"ociVersion\":\"1.0\",\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "ociVersion: '1.0' is not a version"},
	{"{\"ociVersion\":\"1.2.0-\",\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "is not a version"},
	/* root */
	{"{\"ociVersion\":\"1.2.0\"}", CTR_E_SPEC, "config.json: root: required field is missing"},
	{"{\"ociVersion\":\"1.2.0\",\"root\":{}}", CTR_E_SPEC, "root.path: required field is missing"},
	{"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"\"}}", CTR_E_SPEC, "root.path: empty"},
	{"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}", CTR_E_SPEC,
	 "root.readonly: expected a boolean (true or false), got string"},
	{"{\"ociVersion\":\"1.2.0\",\"root\":[]}", CTR_E_SPEC, "root: expected an object, got array"},
	/* mounts */
	{BASE ",\"mounts\":{}}", CTR_E_SPEC, "mounts: expected an array, got object"},
	{BASE ",\"mounts\":[1]}", CTR_E_SPEC, "mounts[0]: expected an object, got number"},
	{BASE ",\"mounts\":[{\"type\":\"tmpfs\"}]}", CTR_E_SPEC, "mounts[0].destination: required field is missing"},
	{BASE ",\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"\"}]}", CTR_E_SPEC,
	 "mounts[1].destination: empty"},
	{BASE ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",3]}]}", CTR_E_SPEC,
	 "mounts[0].options[1]: expected a string, got number"},
	{BASE ",\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]}]}", CTR_E_SPEC,
	 "mounts[0].uidMappings[0].size: required field is missing"},
	{BASE ",\"mounts\":[{\"destination\":\"/a\\u0000b\"}]}", CTR_E_SPEC, "mounts[0].destination: string contains a NUL"},
	/* process */
	{BASE ",\"process\":[]}", CTR_E_SPEC, "config.json: process: expected an object, got array"},
	{BASE ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}", CTR_E_SPEC, "process.user: required field is missing"},
	{BASE ",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}}", CTR_E_SPEC, "process.args: required field is missing"},
	{BASE ",\"process\":{\"args\":[],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}}", CTR_E_SPEC, "process.args: empty"},
	{BASE ",\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}}}", CTR_E_SPEC, "process.cwd: required field is missing"},
	{PROC("\"cwd\":\"tmp\""), CTR_E_SPEC, "process.cwd: 'tmp' is not an absolute path"},
	{PROC("\"env\":[\"A=1\",\"NOEQUALS\"]"), CTR_E_SPEC, "process.env[1]: 'NOEQUALS' has no '='"},
	{PROC("\"env\":[\"=x\"]"), CTR_E_SPEC, "process.env[0]: '=x' has an empty variable name"},
	{PROC("\"user\":{\"uid\":0}"), CTR_E_SPEC, "process.user.gid: required field is missing"},
	{PROC("\"user\":{\"uid\":-1,\"gid\":0}"), CTR_E_SPEC, "process.user.uid: -1 is out of range"},
	{PROC("\"user\":{\"uid\":4294967296,\"gid\":0}"), CTR_E_SPEC, "process.user.uid: 4294967296 is out of range"},
	{PROC("\"user\":{\"uid\":1.5,\"gid\":0}"), CTR_E_SPEC, "process.user.uid: expected an integer, got a number with a fraction or exponent (1.5)"},
	{PROC("\"user\":{\"uid\":0,\"gid\":0,\"umask\":4096}"), CTR_E_SPEC, "process.user.umask"},
	{PROC("\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"x\"]}"), CTR_E_SPEC,
	 "process.user.additionalGids[1]: expected an integer, got string"},
	{PROC("\"terminal\":1"), CTR_E_SPEC, "process.terminal: expected a boolean"},
	{PROC("\"consoleSize\":{\"height\":1}"), CTR_E_SPEC, "process.consoleSize.width: required field is missing"},
	{PROC("\"capabilities\":{\"ambient\":[7]}"), CTR_E_SPEC, "process.capabilities.ambient[0]: expected a string"},
	{PROC("\"capabilities\":{\"effective\":\"CAP_CHOWN\"}"), CTR_E_SPEC, "process.capabilities.effective: expected an array"},
	{PROC("\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]"), CTR_E_SPEC,
	 "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'"},
	{PROC("\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1}]"),
	 CTR_E_SPEC, "process.rlimits[1].type: 'RLIMIT_CORE' is also set by rlimits[0]"},
	{PROC("\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":2,\"hard\":1}]"), CTR_E_SPEC,
	 "process.rlimits[0]: soft limit 2 is above the hard limit 1"},
	{PROC("\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1}]"), CTR_E_SPEC, "process.rlimits[0].soft: required field is missing"},
	{PROC("\"oomScoreAdj\":1001"), CTR_E_SPEC, "process.oomScoreAdj: 1001 is out of range: expected an integer from -1000 to 1000"},
	{PROC("\"oomScoreAdj\":-1001"), CTR_E_SPEC, "process.oomScoreAdj: -1001 is out of range"},
	{PROC("\"noNewPrivileges\":\"true\""), CTR_E_SPEC, "process.noNewPrivileges: expected a boolean"},
	{PROC("\"apparmorProfile\":[]"), CTR_E_SPEC, "process.apparmorProfile: expected a string, got array"},
	{PROC("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_X\"}"), CTR_E_SPEC, "process.ioPriority.class: unknown I/O priority class"},
	{PROC("\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"nice\":40}"), CTR_E_SPEC, "process.scheduler.nice: 40 is out of range"},
	/* hostname / domainname need a UTS namespace of the container (new or joined) */
	{BASE ",\"hostname\":\"h\"}", CTR_E_SPEC, "config.json: hostname: setting the hostname needs a UTS namespace of the container"},
	{BASE ",\"domainname\":\"d\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}", CTR_E_SPEC,
	 "domainname: setting the domainname needs a UTS namespace of the container"},
	{BASE ",\"hostname\":5}", CTR_E_SPEC, "hostname: expected a string, got number"},
	/* hooks */
	{BASE ",\"hooks\":[]}", CTR_E_SPEC, "hooks: expected an object, got array"},
	{BASE ",\"hooks\":{\"prestart\":[{\"args\":[]}]}}", CTR_E_SPEC, "hooks.prestart[0].path: required field is missing"},
	{BASE ",\"hooks\":{\"createRuntime\":[{\"path\":\"bin/x\"}]}}", CTR_E_SPEC, "hooks.createRuntime[0].path: 'bin/x' is not an absolute path"},
	{BASE ",\"hooks\":{\"createContainer\":[{\"path\":\"/x\",\"args\":[1]}]}}", CTR_E_SPEC, "hooks.createContainer[0].args[0]: expected a string"},
	{BASE ",\"hooks\":{\"startContainer\":[{\"path\":\"/x\",\"env\":[\"X\"]}]}}", CTR_E_SPEC, "hooks.startContainer[0].env[0]: 'X' has no '='"},
	{BASE ",\"hooks\":{\"poststart\":[{\"path\":\"/x\",\"timeout\":0}]}}", CTR_E_SPEC, "hooks.poststart[0].timeout: 0 is out of range"},
	{BASE ",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":1.5}]}}", CTR_E_SPEC, "hooks.poststop[0].timeout: expected an integer"},
	/* annotations */
	{BASE ",\"annotations\":{\"a\":1}}", CTR_E_SPEC, "annotations[\"a\"]: expected a string, got number"},
	{BASE ",\"annotations\":[]}", CTR_E_SPEC, "annotations: expected an object, got array"},
	{BASE ",\"annotations\":{\"\":\"x\"}}", CTR_E_SPEC, "empty key"},
	/* linux.namespaces */
	{LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"foo\"}]"), CTR_E_SPEC,
	 "config.json: linux.namespaces[2].type: unknown namespace 'foo': use one of pid, network, mount, ipc, uts, user, cgroup, time"},
	{LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]"), CTR_E_SPEC, "linux.namespaces[1].type: namespace 'pid' is also given"},
	{LINUX("\"namespaces\":[{\"path\":\"/x\"}]"), CTR_E_SPEC, "linux.namespaces[0].type: required field is missing"},
	{LINUX("\"namespaces\":[{\"type\":\"net\"}]"), CTR_E_SPEC, "unknown namespace 'net'"},
	{LINUX("\"namespaces\":[{\"type\":\"ipc\",\"path\":\"proc/1/ns/ipc\"}]"), CTR_E_SPEC, "linux.namespaces[0].path: 'proc/1/ns/ipc' is not an absolute path"},
	/* mappings need a user namespace */
	{LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]"), CTR_E_SPEC,
	 "linux.uidMappings: id mappings need a user namespace"},
	{LINUX("\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]"), CTR_E_SPEC,
	 "linux.gidMappings: id mappings need a user namespace"},
	{LINUX("\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":0}]"), CTR_E_SPEC,
	 "linux.uidMappings[0]: size is 0"},
	/* devices */
	{LINUX("\"devices\":[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,\"minor\":3}]"), CTR_E_SPEC, "linux.devices[0].path: 'dev/x' is not an absolute path"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"z\",\"major\":1,\"minor\":3}]"), CTR_E_SPEC, "linux.devices[0].type: unknown device type 'z'"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"minor\":3}]"), CTR_E_SPEC, "linux.devices[0].major: required field is missing"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":3}]"), CTR_E_SPEC, "linux.devices[0].minor: required field is missing"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"major\":3,\"minor\":1}]"), CTR_E_SPEC, "linux.devices[0].type: required field is missing"},
	/* 0200666: a bit above the type bits (podman's 020666 is fine: test_device_file_mode_type_bits) */
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":66998}]"), CTR_E_SPEC, "linux.devices[0].fileMode: 0202666 has bits beyond the file type and permission bits"},
	{LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":3,\"uid\":\"root\"}]"), CTR_E_SPEC, "linux.devices[0].uid: expected an integer, got string"},
	/* resources, sysctl */
	{LINUX("\"resources\":[]"), CTR_E_SPEC, "linux.resources: expected an object, got array"},
	{LINUX("\"resources\":{\"memory\":{\"limit\":\"1G\"}}"), CTR_E_SPEC, "linux.resources.memory.limit: expected an integer, got string"},
	{LINUX("\"resources\":{\"pids\":{}}"), CTR_E_SPEC, "linux.resources.pids.limit: required field is missing"},
	{LINUX("\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}"), CTR_E_SPEC, "linux.resources.devices[0].allow: required field is missing"},
	{LINUX("\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}"), CTR_E_SPEC, "linux.resources.devices[0].access: 'rwx' is not an access mode"},
	{LINUX("\"resources\":{\"blockIO\":{\"weight\":70000}}"), CTR_E_SPEC, "linux.resources.blockIO.weight: 70000 is out of range"},
	{LINUX("\"resources\":{\"unified\":{\"memory.max\":1}}"), CTR_E_SPEC, "linux.resources.unified[\"memory.max\"]: expected a string"},
	{LINUX("\"sysctl\":{\"net.ipv4.ip_forward\":1}"), CTR_E_SPEC, "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got number"},
	{LINUX("\"cgroupsPath\":false"), CTR_E_SPEC, "linux.cgroupsPath: expected a string, got boolean"},
	/* seccomp */
	{LINUX("\"seccomp\":{}"), CTR_E_SPEC, "linux.seccomp.defaultAction: required field is missing"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_FOO\"}"), CTR_E_SPEC, "linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_FOO'"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}"), CTR_E_SPEC,
	 "linux.seccomp.architectures[0]: unknown seccomp architecture 'x86_64'"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"TSYNC\"]}"), CTR_E_SPEC, "linux.seccomp.flags[0]: unknown seccomp flag"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].names: required field is missing"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].names: empty"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",\"\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].names[1]: empty string"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].action: required field is missing"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	       "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'SCMP_CMP_FOO'"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	       "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].args[0].index: 6 is not an argument index"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	       "\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].args[0].value: required field is missing"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"), CTR_E_SPEC,
	 "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
	{LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}"), CTR_E_SPEC,
	 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
	/* propagation, paths, personality, timeOffsets, intelRdt */
	{LINUX("\"rootfsPropagation\":\"recursive\""), CTR_E_SPEC, "linux.rootfsPropagation: unknown propagation 'recursive'"},
	{LINUX("\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]"), CTR_E_SPEC, "linux.maskedPaths[1]: 'proc/keys' is not an absolute path"},
	{LINUX("\"readonlyPaths\":[\"sys\"]"), CTR_E_SPEC, "linux.readonlyPaths[0]: 'sys' is not an absolute path"},
	{LINUX("\"mountLabel\":1"), CTR_E_SPEC, "linux.mountLabel: expected a string"},
	{LINUX("\"personality\":{\"domain\":\"LINUX64\"}"), CTR_E_SPEC, "linux.personality.domain: unknown execution domain 'LINUX64'"},
	{LINUX("\"personality\":{}"), CTR_E_SPEC, "linux.personality.domain: required field is missing"},
	{LINUX("\"timeOffsets\":{\"monotonic\":{\"secs\":1}}"), CTR_E_SPEC, "linux.timeOffsets: time offsets need a new time namespace"},
	{LINUX("\"namespaces\":[{\"type\":\"time\"}],\"timeOffsets\":{\"realtime\":{\"secs\":1}}"), CTR_E_SPEC,
	 "linux.timeOffsets.realtime: unknown clock 'realtime'"},
	{LINUX("\"namespaces\":[{\"type\":\"time\"}],\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}"), CTR_E_SPEC,
	 "linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range"},
	{LINUX("\"intelRdt\":{\"closID\":7}"), CTR_E_SPEC, "linux.intelRdt.closID: expected a string, got number"},
	{BASE ",\"linux\":[]}", CTR_E_SPEC, "config.json: linux: expected an object, got array"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":5}}"), CTR_E_SPEC, "linux.netDevices[\"eth1\"].name: expected a string, got number"},
	{LINUX("\"netDevices\":{\"eth1\":[]}"), CTR_E_SPEC, "linux.netDevices[\"eth1\"]: expected an object, got array"},
	{LINUX("\"netDevices\":{\"eth/1\":{}}"), CTR_E_SPEC, "linux.netDevices[\"eth/1\"]: 'eth/1' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth%d\":{}}"), CTR_E_SPEC, "linux.netDevices[\"eth%d\"]: 'eth%d' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"a-name-that-is-too-long\"}}"), CTR_E_SPEC,
	 "linux.netDevices[\"eth1\"].name: 'a-name-that-is-too-long' is not a network interface name: 1 to 15"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"..\"}}"), CTR_E_SPEC, "'..' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"n%d%d\"}}"), CTR_E_SPEC, "'n%d%d' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"n%s\"}}"), CTR_E_SPEC, "'n%s' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"a b\"}}"), CTR_E_SPEC, "'a b' is not a network interface name"},
	{LINUX("\"netDevices\":{\"eth1\":{\"name\":\"x\"},\"eth2\":{\"name\":\"x\"}}"), CTR_E_SPEC,
	 "linux.netDevices: 'eth1' and 'eth2' both become 'x' in the container"},
	{LINUX("\"netDevices\":{\"eth1\":{},\"eth2\":{\"name\":\"eth1\"}}"), CTR_E_SPEC, "both become 'eth1'"},
	/* intelRdt */
	{LINUX("\"intelRdt\":{\"closID\":\"../x\"}"), CTR_E_SPEC, "linux.intelRdt.closID: '../x' is not a resctrl group name"},
	{LINUX("\"intelRdt\":{\"memBwSchema\":\"L3:0=1\"}"), CTR_E_SPEC, "linux.intelRdt.memBwSchema: 'L3:0=1' does not start with \"MB:\""},
	{LINUX("\"intelRdt\":{\"schemata\":[\"L3:0=1\\nMB:0=1\"]}"), CTR_E_SPEC, "linux.intelRdt.schemata[0]: contains a newline"},
	{LINUX("\"intelRdt\":{\"enableMonitoring\":1}"), CTR_E_SPEC, "linux.intelRdt.enableMonitoring: expected a boolean"},
	/* memoryPolicy */
	{LINUX("\"memoryPolicy\":{}"), CTR_E_SPEC, "linux.memoryPolicy.mode: required field is missing"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_X\"}"), CTR_E_SPEC,
	 "linux.memoryPolicy.mode: unknown memory policy mode 'MPOL_X': use one of MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}"), CTR_E_SPEC, "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"\"}"), CTR_E_SPEC, "MPOL_INTERLEAVE needs at least one node"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_DEFAULT\",\"nodes\":\"0\"}"), CTR_E_SPEC,
	 "linux.memoryPolicy.nodes: '0': MPOL_DEFAULT takes no nodes"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\",\"nodes\":\"1-2\"}"), CTR_E_SPEC, "MPOL_LOCAL takes no nodes"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0-\"}"), CTR_E_SPEC,
	 "linux.memoryPolicy.nodes: '0-' is not a node list"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"1,\"}"), CTR_E_SPEC, "'1,' is not a node list"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\" 1\"}"), CTR_E_SPEC, "' 1' is not a node list"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"3-1\"}"), CTR_E_SPEC, "the range 3-1 runs backwards"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"1024\"}"), CTR_E_SPEC,
	 "node 1024 is above the highest node this runtime handles (1023)"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"99999999999999999999999\"}"), CTR_E_SPEC, "is above the highest node"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_X\"]}"), CTR_E_SPEC,
	 "linux.memoryPolicy.flags[0]: unknown memory policy flag 'MPOL_F_X'"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_STATIC_NODES\",\"MPOL_F_RELATIVE_NODES\"]}"),
	 CTR_E_SPEC, "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_PREFERRED\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}"), CTR_E_SPEC,
	 "need nodes (MPOL_PREFERRED has none)"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_NUMA_BALANCING\"]}"), CTR_E_SPEC,
	 "MPOL_F_NUMA_BALANCING works with MPOL_BIND or MPOL_PREFERRED_MANY, not MPOL_INTERLEAVE"},
	{LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":0}"), CTR_E_SPEC, "linux.memoryPolicy.nodes: expected a string"},
	/* a config newer than runtime-spec 1.3.0 may use only the fields this parser knows */
	{"{\"ociVersion\":\"1.4.0\",\"root\":{\"path\":\"r\"},\"newThing\":{}}", CTR_E_SPEC,
	 "config.json: newThing: unknown field in a config of runtime-spec 1.4.0, newer than the 1.3.0 this runtime implements"},
	{"{\"ociVersion\":\"1.3.1-rc.1\",\"root\":{\"path\":\"r\",\"idmap\":true}}", CTR_E_SPEC,
	 "config.json: root.idmap: unknown field in a config of runtime-spec 1.3.1-rc.1"},
	{"{\"ociVersion\":\"1.4.0\",\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"x\":1}]}",
	 CTR_E_SPEC, "mounts[1].x: unknown field"},
	{"{\"ociVersion\":\"1.10.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"netDevices\":{\"eth0\":{\"mtu\":9000}}}}", CTR_E_SPEC,
	 "linux.netDevices[\"eth0\"].mtu: unknown field"},
	{"{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", CTR_E_SPEC, "version '2.0.0' is not supported"},
	{"{\"ociVersion\":\"1.4.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"rdma\":{\"mlx\":{\"hcaHandles\":1,\"x\":2}}}}}",
	 CTR_E_SPEC, "linux.resources.rdma[\"mlx\"].x: unknown field"},
	{"{\"ociVersion\":\"1.4.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
	 "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1,\"unit\":\"b\"}]}}",
	 CTR_E_SPEC, "process.rlimits[0].unit: unknown field"},
};

static void test_bad_configs(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		ctr_spec *s = NULL;
		ctr_error *e = NULL;
		int r = ctr_spec_load_buffer(&s, c->json, strlen(c->json), NULL, &e);
		if (r != -EINVAL || !e || ctr_error_code_of(e) != c->code || ctr_error_errno(e) != EINVAL ||
		    !strstr(ctr_error_message(e), c->msg))
			fail_msg("case %zu: %s\n  want code %s, message containing \"%s\"\n  got r=%d code %s: \"%s\"", i,
				 c->json, ctr_error_code_name(c->code), c->msg, r, ctr_error_code_name(ctr_error_code_of(e)),
				 ctr_error_message(e));
		assert_null(s);
		ctr_error_free(e);
	}
}

static void test_load_buffer_edges(void **state)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	/* not NUL-terminated: the length bounds the document */
	const char text[] = BASE "}XXXX";
	assert_int_equal(ctr_spec_load_buffer(&s, text, strlen(text) - 4, NULL, &e), 0);
	ctr_spec_free(s);
	s = NULL;
	/* embedded NUL */
	const char nul[] = BASE "}\0 ";
	assert_int_equal(ctr_spec_load_buffer(&s, nul, sizeof(nul) - 1, "bundle/config.json", &e), -EINVAL);
	assert_int_equal(ctr_error_code_of(e), CTR_E_PARSE);
	assert_non_null(strstr(ctr_error_message(e), "bundle/config.json: NUL byte at offset"));
	ctr_error_free(e);
	e = NULL;
	/* depth limit */
	size_t depth = 200;
	char *deep = malloc(depth * 2 + 16);
	assert_non_null(deep);
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (size_t i = 0; i < depth; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	assert_int_equal(ctr_spec_load_buffer(&s, deep, n, NULL, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "nested deeper than"));
	free(deep);
	ctr_error_free(e);
	e = NULL;
	/* errors name the line and column */
	const char two[] = "{\n  \"ociVersion\": \"1.2.0\",\n  oops\n}";
	assert_int_equal(ctr_spec_load_buffer(&s, two, strlen(two), NULL, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "line 3"));
	ctr_error_free(e);
	e = NULL;
	/* NULL err is allowed */
	assert_int_equal(ctr_spec_load_buffer(&s, "[]", 2, NULL, NULL), -EINVAL);
	assert_int_equal(ctr_spec_load_buffer(NULL, "{}", 2, NULL, NULL), -EINVAL);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/ctr-spec-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	/* missing file: the error names it */
	assert_int_equal(ctr_spec_load_file(&s, path, &e), -ENOENT);
	assert_int_equal(ctr_error_code_of(e), CTR_E_NOT_FOUND);
	assert_non_null(strstr(ctr_error_message(e), path));
	ctr_error_free(e);
	e = NULL;

	/* save, load back, equal */
	ctr_spec *full = load_ok(full_config);
	assert_int_equal(ctr_spec_save_file(full, path, &e), 0);
	assert_int_equal(ctr_spec_load_file(&s, path, &e), 0);
	assert_true(json_object_equal(ctr_spec_json(full), ctr_spec_json(s)));
	assert_string_equal(ctr_spec_name(s), path);
	ctr_spec_free(s);
	s = NULL;

	/* a broken file: the error names the file path and the JSON path */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(PROC("\"cwd\":\"rel\""), f);
	fclose(f);
	assert_int_equal(ctr_spec_load_file(&s, path, &e), -EINVAL);
	char want[512];
	snprintf(want, sizeof(want), "%s: process.cwd:", path);
	assert_non_null(strstr(ctr_error_message(e), want));
	ctr_error_free(e);
	e = NULL;

	/* larger than the limit */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 17 * 1024 * 1024), 0);
	fclose(f);
	assert_int_equal(ctr_spec_load_file(&s, path, &e), -EFBIG);
	assert_non_null(strstr(ctr_error_message(e), path));
	ctr_error_free(e);
	unlink(path);
	rmdir(dir);
	ctr_spec_free(full);
}

/* ---- round trip --------------------------------------------------------- */

static void test_round_trip(void **state)
{
	ctr_spec *s = load_ok(full_config);
	for (int pretty = 0; pretty <= 1; pretty++) {
		char *text = NULL;
		size_t len = 0;
		ctr_error *e = NULL;
		assert_int_equal(ctr_spec_to_json(s, &text, &len, pretty, &e), 0);
		assert_int_equal(strlen(text), len);
		/* paths are not escaped */
		assert_non_null(strstr(text, "/var/lib/rootfs"));
		assert_null(strstr(text, "\\/"));
		/* unknown fields, top-level and nested, survive */
		assert_non_null(strstr(text, "x-top-unknown"));
		assert_non_null(strstr(text, "x-root-unknown"));
		assert_non_null(strstr(text, "x-process-unknown"));
		assert_non_null(strstr(text, "x-resources-unknown"));
		assert_non_null(strstr(text, "x-linux-unknown"));
		assert_non_null(strstr(text, "18446744073709551615"));
		ctr_spec *s2 = load_ok(text);
		assert_true(json_object_equal(ctr_spec_json(s), ctr_spec_json(s2)));
		struct json_object *orig = json_tokener_parse(full_config);
		assert_true(json_object_equal(orig, ctr_spec_json(s2)));
		json_object_put(orig);
		ctr_free(text);
		ctr_spec_free(s2);
	}
	/* copy is deep */
	ctr_spec *c = NULL;
	assert_int_equal(ctr_spec_copy(&c, s, NULL), 0);
	assert_true(json_object_equal(ctr_spec_json(s), ctr_spec_json(c)));
	assert_int_equal(ctr_spec_set_hostname(c, "other", NULL), 0);
	assert_false(json_object_equal(ctr_spec_json(s), ctr_spec_json(c)));
	ctr_spec_free(c);
	ctr_spec_free(s);
}

/* ---- setters ------------------------------------------------------------ */

static const char *jget(const ctr_spec *s, const char *pointer)
{
	struct json_object *o = NULL;
	if (json_pointer_get(ctr_spec_json(s), pointer, &o) < 0)
		return NULL;
	return json_object_get_string(o);
}

static size_t jlen(const ctr_spec *s, const char *pointer)
{
	struct json_object *o = NULL;
	if (json_pointer_get(ctr_spec_json(s), pointer, &o) < 0)
		return (size_t)-1;
	return json_object_array_length(o);
}

static void test_setters_process(void **state)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	assert_int_equal(ctr_spec_new_default(&s, NULL), 0);

	const char *argv[] = {"/bin/echo", "hello", NULL};
	assert_int_equal(ctr_spec_set_args(s, argv, &e), 0);
	assert_int_equal(jlen(s, "/process/args"), 2);
	assert_string_equal(jget(s, "/process/args/1"), "hello");
	const char *empty[] = {NULL};
	assert_int_equal(ctr_spec_set_args(s, empty, &e), -EINVAL);
	assert_int_equal(ctr_error_code_of(e), CTR_E_INVALID);
	ctr_error_free(e);
	e = NULL;

	assert_int_equal(ctr_spec_set_env(s, "FOO", "bar", NULL), 0);
	assert_int_equal(jlen(s, "/process/env"), 3);
	assert_string_equal(jget(s, "/process/env/2"), "FOO=bar");
	assert_int_equal(ctr_spec_set_env(s, "TERM", "dumb", NULL), 0);
	assert_int_equal(jlen(s, "/process/env"), 3);
	assert_string_equal(jget(s, "/process/env/1"), "TERM=dumb");
	assert_int_equal(ctr_spec_set_env(s, "FO", "x", NULL), 0); /* prefix of FOO is another variable */
	assert_int_equal(jlen(s, "/process/env"), 4);
	assert_string_equal(ctr_spec_get_env(s, "FOO"), "bar");
	assert_string_equal(ctr_spec_get_env(s, "FO"), "x");
	assert_string_equal(ctr_spec_get_env(s, "TERM"), "dumb");
	assert_null(ctr_spec_get_env(s, "F"));
	assert_null(ctr_spec_get_env(s, "FOOB"));
	assert_int_equal(ctr_spec_set_env(s, "A=B", "x", NULL), -EINVAL);
	assert_int_equal(ctr_spec_set_env(s, "", "x", NULL), -EINVAL);
	assert_int_equal(ctr_spec_unset_env(s, "FOO", NULL), 0);
	assert_int_equal(jlen(s, "/process/env"), 3);
	assert_string_equal(jget(s, "/process/env/2"), "FO=x");
	assert_int_equal(ctr_spec_unset_env(s, "NOPE", NULL), 0);
	assert_int_equal(jlen(s, "/process/env"), 3);

	assert_int_equal(ctr_spec_set_cwd(s, "/work", NULL), 0);
	assert_string_equal(jget(s, "/process/cwd"), "/work");
	assert_int_equal(ctr_spec_set_cwd(s, "work", NULL), -EINVAL);
	assert_int_equal(ctr_spec_set_user(s, 1000, 100, NULL), 0);
	assert_string_equal(jget(s, "/process/user/uid"), "1000");
	assert_string_equal(jget(s, "/process/user/gid"), "100");
	assert_int_equal(ctr_spec_get_terminal(s), 0);
	assert_int_equal(ctr_spec_set_terminal(s, 1, NULL), 0);
	assert_string_equal(jget(s, "/process/terminal"), "true");
	assert_int_equal(ctr_spec_get_terminal(s), 1);
	assert_int_equal(ctr_spec_set_root(s, "/srv/root", 0, NULL), 0);
	assert_string_equal(jget(s, "/root/path"), "/srv/root");
	assert_string_equal(jget(s, "/root/readonly"), "false");
	assert_int_equal(ctr_spec_set_root(s, "", 0, NULL), -EINVAL);
	assert_int_equal(ctr_spec_validate(s, &e), 0);

	struct oci_config *cfg = config_ok(s);
	assert_int_equal(cfg->process->user.uid, 1000);
	assert_true(cfg->process->terminal);
	oci_config_free(cfg);
	ctr_spec_free(s);

	/* ctr_spec_get_env: an empty value is a value; an entry without '=' (loading refuses one, so it
	 * is put into the tree directly) sets nothing and is never read past its end */
	s = load_ok(PROC("\"env\":[\"A=1\",\"B=\"]"));
	assert_string_equal(ctr_spec_get_env(s, "A"), "1");
	assert_string_equal(ctr_spec_get_env(s, "B"), "");
	json_object *proc = NULL, *env = NULL;
	assert_true(json_object_object_get_ex(ctr_spec_json(s), "process", &proc));
	assert_true(json_object_object_get_ex(proc, "env", &env));
	json_object_array_put_idx(env, 0, json_object_new_string("C"));
	json_object_array_add(env, json_object_new_string("C=2"));
	assert_string_equal(ctr_spec_get_env(s, "C"), "2");
	assert_null(ctr_spec_get_env(s, "A"));
	ctr_spec_free(s);

	/* setters create what is missing */
	s = load_ok(BASE "}");
	assert_int_equal(ctr_spec_set_env(s, "A", "1", NULL), 0);
	assert_string_equal(jget(s, "/process/env/0"), "A=1");
	assert_int_equal(ctr_spec_validate(s, &e), -EINVAL); /* process without user, args and cwd */
	assert_non_null(strstr(ctr_error_message(e), "config.json: process.user: required field is missing"));
	ctr_error_free(e);
	e = NULL;
	ctr_spec_free(s);

	/* a field of the wrong type is reported, not overwritten */
	s = NULL;
	struct json_object *root = json_tokener_parse(BASE ",\"process\":[]}");
	assert_non_null(root);
	ctr_spec_new_default(&s, NULL);
	json_object_object_add(ctr_spec_json(s), "process", json_object_new_array());
	json_object_put(root);
	assert_int_equal(ctr_spec_set_cwd(s, "/", &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "process: expected an object, got array"));
	ctr_error_free(e);
	ctr_spec_free(s);
}

static void test_setters_hostname_mounts(void **state)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	assert_int_equal(ctr_spec_new_default(&s, NULL), 0);

	assert_int_equal(ctr_spec_set_hostname(s, "web", NULL), 0);
	assert_string_equal(jget(s, "/hostname"), "web");
	assert_int_equal(ctr_spec_set_hostname(s, NULL, NULL), 0);
	assert_null(jget(s, "/hostname"));

	size_t n = jlen(s, "/mounts");
	const char *opts[] = {"rbind", "ro", NULL};
	assert_int_equal(ctr_spec_add_mount(s, "/data", "bind", "/srv", opts, NULL), 0);
	assert_int_equal(jlen(s, "/mounts"), n + 1);
	assert_string_equal(jget(s, "/mounts/7/source"), "/srv");
	assert_string_equal(jget(s, "/mounts/7/options/1"), "ro");
	/* replace keeps the position */
	assert_int_equal(ctr_spec_add_mount(s, "/dev/shm", "tmpfs", "shm", NULL, NULL), 0);
	assert_int_equal(jlen(s, "/mounts"), n + 1);
	assert_string_equal(jget(s, "/mounts/3/destination"), "/dev/shm");
	assert_null(jget(s, "/mounts/3/options"));
	assert_int_equal(ctr_spec_add_mount(s, "rel", NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ctr_spec_remove_mount(s, "/data", NULL), 0);
	assert_int_equal(jlen(s, "/mounts"), n);
	assert_int_equal(ctr_spec_remove_mount(s, "/data", &e), -ENOENT);
	assert_int_equal(ctr_error_code_of(e), CTR_E_NOT_FOUND);
	assert_non_null(strstr(ctr_error_message(e), "/data"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_spec_validate(s, &e), 0);
	ctr_spec_free(s);

	/* mounts array created when absent */
	s = load_ok(BASE "}");
	assert_int_equal(ctr_spec_add_mount(s, "/tmp", "tmpfs", NULL, NULL, NULL), 0);
	assert_int_equal(jlen(s, "/mounts"), 1);
	assert_null(jget(s, "/mounts/0/source"));
	ctr_spec_free(s);
}

/* ctr_spec_foreach_annotation's callback: "key=value;" into seen, stop (7) at the stop_at'th */
struct ann_walk {
	char seen[256];
	int n, stop_at;
};

static int ann_collect(const char *key, const char *value, void *ud)
{
	struct ann_walk *w = ud;
	size_t l = strlen(w->seen);
	snprintf(w->seen + l, sizeof(w->seen) - l, "%s=%s;", key, value);
	return ++w->n == w->stop_at ? 7 : 0;
}

static void test_setters_namespaces_annotations(void **state)
{
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	assert_int_equal(ctr_spec_new_default(&s, NULL), 0);
	size_t n = jlen(s, "/linux/namespaces");

	assert_int_equal(ctr_spec_set_namespace(s, "user", NULL, NULL), 0);
	assert_int_equal(jlen(s, "/linux/namespaces"), n + 1);
	assert_int_equal(ctr_spec_set_namespace(s, "network", "/var/run/netns/a", NULL), 0);
	assert_int_equal(jlen(s, "/linux/namespaces"), n + 1);
	assert_string_equal(jget(s, "/linux/namespaces/1/path"), "/var/run/netns/a");
	assert_int_equal(ctr_spec_set_namespace(s, "network", NULL, NULL), 0);
	assert_null(jget(s, "/linux/namespaces/1/path"));
	assert_int_equal(ctr_spec_set_namespace(s, "foo", NULL, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "unknown namespace 'foo'"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_spec_set_namespace(s, "ipc", "rel", NULL), -EINVAL);
	assert_int_equal(ctr_spec_validate(s, NULL), 0);

	assert_int_equal(ctr_spec_remove_namespace(s, "user", NULL), 0);
	assert_int_equal(jlen(s, "/linux/namespaces"), n);
	assert_int_equal(ctr_spec_remove_namespace(s, "time", NULL), 0);
	/* removing uts while the hostname is set makes the spec invalid */
	assert_int_equal(ctr_spec_remove_namespace(s, "uts", NULL), 0);
	assert_int_equal(ctr_spec_validate(s, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "config.json: hostname: setting the hostname needs a UTS namespace of the container"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_spec_set_hostname(s, NULL, NULL), 0);
	assert_int_equal(ctr_spec_validate(s, NULL), 0);

	assert_null(ctr_spec_get_annotation(s, "a"));
	assert_int_equal(ctr_spec_set_annotation(s, "org.example/a", "1", NULL), 0);
	assert_string_equal(ctr_spec_get_annotation(s, "org.example/a"), "1");
	assert_int_equal(ctr_spec_set_annotation(s, "org.example/a", "2", NULL), 0);
	assert_string_equal(ctr_spec_get_annotation(s, "org.example/a"), "2");
	assert_int_equal(ctr_spec_set_annotation(s, "org.example/a", NULL, NULL), 0);
	assert_null(ctr_spec_get_annotation(s, "org.example/a"));
	assert_int_equal(ctr_spec_set_annotation(s, "", "x", NULL), -EINVAL);
	assert_int_equal(ctr_spec_validate(s, NULL), 0);
	/* the annotations in order, until the callback says stop */
	assert_int_equal(ctr_spec_set_annotation(s, "org.example/a", "1", NULL), 0);
	assert_int_equal(ctr_spec_set_annotation(s, "cdi.k8s.io/x", "v/gpu=0", NULL), 0);
	assert_int_equal(ctr_spec_set_annotation(s, "org.example/b", "2", NULL), 0);
	struct ann_walk w = {0};
	assert_int_equal(ctr_spec_foreach_annotation(s, ann_collect, &w), 0);
	assert_string_equal(w.seen, "org.example/a=1;cdi.k8s.io/x=v/gpu=0;org.example/b=2;");
	w.stop_at = 2;
	w.seen[0] = '\0';
	w.n = 0;
	assert_int_equal(ctr_spec_foreach_annotation(s, ann_collect, &w), 7);
	assert_string_equal(w.seen, "org.example/a=1;cdi.k8s.io/x=v/gpu=0;");
	assert_int_equal(ctr_spec_foreach_annotation(s, NULL, NULL), 0);
	for (const char *k = "org.example/a\0cdi.k8s.io/x\0org.example/b\0"; *k; k += strlen(k) + 1)
		assert_int_equal(ctr_spec_set_annotation(s, k, NULL, NULL), 0);
	w.stop_at = 0;
	w.seen[0] = '\0';
	w.n = 0;
	assert_int_equal(ctr_spec_foreach_annotation(s, ann_collect, &w), 0);
	assert_int_equal(w.n, 0);

	/* the namespace list is created when absent */
	ctr_spec_free(s);
	s = load_ok(BASE "}");
	assert_int_equal(ctr_spec_set_namespace(s, "time", NULL, NULL), 0);
	assert_string_equal(jget(s, "/linux/namespaces/0/type"), "time");
	assert_int_equal(ctr_spec_remove_namespace(s, "pid", NULL), 0);
	ctr_spec_free(s);

	/* NULL-safety */
	ctr_spec_free(NULL);
	assert_null(ctr_spec_get_annotation(NULL, "a"));
	assert_null(ctr_spec_oci_version(NULL));
	assert_null(ctr_spec_get_env(NULL, "A"));
	assert_int_equal(ctr_spec_get_terminal(NULL), 0);
	assert_int_equal(ctr_spec_foreach_annotation(NULL, ann_collect, NULL), 0);
	assert_int_equal(ctr_spec_set_hostname(NULL, "x", NULL), -EINVAL);
}

/* ---- process.json and mount options ------------------------------------- */

static void test_process_json(void **state)
{
	struct oci_process *p = NULL;
	ctr_error *e = NULL;
	const char ok[] = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],\"terminal\":false,"
			  "\"user\":{\"uid\":5,\"gid\":6},\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}";
	assert_int_equal(oci_process_from_buffer(ok, strlen(ok), NULL, &p, &e), 0);
	assert_int_equal(p->n_args, 2);
	assert_string_equal(p->cwd, "/tmp");
	assert_int_equal(p->user.gid, 6);
	assert_int_equal(p->capabilities.n_bounding, 1);
	oci_process_free(p);
	p = NULL;

	const char bad[] = "{\"args\":[\"ls\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},\"rlimits\":[{\"type\":\"RLIMIT_X\",\"soft\":1,\"hard\":1}]}";
	assert_int_equal(oci_process_from_buffer(bad, strlen(bad), "proc.json", &p, &e), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(ctr_error_message(e), "proc.json: rlimits[0].type: unknown rlimit 'RLIMIT_X'"));
	ctr_error_free(e);
	e = NULL;
	const char noargs[] = "{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}";
	assert_int_equal(oci_process_from_buffer(noargs, strlen(noargs), NULL, &p, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "process.json: args: required field is missing"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(oci_process_from_buffer("[", 1, NULL, &p, &e), -EINVAL);
	assert_int_equal(ctr_error_code_of(e), CTR_E_PARSE);
	ctr_error_free(e);
	oci_process_free(NULL);
}

static void parse_opts(const char *type, const char *const *opts, struct oci_mount_opts *out)
{
	struct oci_mount m = {.destination = (char *)"/x", .type = (char *)type, .options = (char **)opts,
			      .n_options = 0};
	while (opts && opts[m.n_options])
		m.n_options++;
	ctr_error *e = NULL;
	assert_int_equal(oci_mount_parse_options(&m, out, &e), 0);
}

static void test_mount_options(void **state)
{
	struct oci_mount_opts o;
	const char *tmpfs[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	parse_opts("tmpfs", tmpfs, &o);
	assert_int_equal(o.flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(o.data, "mode=755,size=65536k");
	assert_false(o.bind);
	free(o.data);

	const char *bind[] = {"rbind", "ro", "rslave", "nodev", "noexec", NULL};
	parse_opts("none", bind, &o);
	assert_true(o.bind);
	assert_true(o.recursive);
	assert_int_equal(o.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NODEV | MS_NOEXEC);
	assert_int_equal(o.propagation, MS_SLAVE | MS_REC);
	assert_null(o.data);

	parse_opts("bind", NULL, &o);
	assert_true(o.bind);
	assert_false(o.recursive);
	assert_int_equal(o.flags, MS_BIND);

	const char *flip[] = {"ro", "rw", "nosuid", "suid", "noatime", "atime", "sync", "async", "dev", "exec",
			      "mand", "nomand", "diratime", "norelatime", "nostrictatime", NULL};
	parse_opts("ext4", flip, &o);
	assert_int_equal(o.flags, 0);
	assert_true(o.clear & MS_RDONLY);
	assert_true(o.clear & MS_NOSUID);
	assert_true(o.clear & MS_NOATIME);
	assert_true(o.clear & MS_SYNCHRONOUS);
	assert_true(o.clear & MS_NODEV);
	assert_true(o.clear & MS_NOEXEC);
	assert_true(o.clear & MS_MANDLOCK);
	assert_true(o.clear & MS_NODIRATIME);
	assert_true(o.clear & MS_RELATIME);
	assert_true(o.clear & MS_STRICTATIME);

	const char *more[] = {"dirsync", "remount", "mand", "nodiratime", "relatime", "lazytime", "sync",
			      "private", "shared", "idmap", "defaults", "uid=1", NULL};
	parse_opts("ext4", more, &o);
	assert_int_equal(o.flags, MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NODIRATIME | MS_RELATIME | MS_LAZYTIME |
					  MS_SYNCHRONOUS);
	assert_int_equal(o.propagation, MS_SHARED);
	assert_true(o.idmap);
	assert_false(o.idmap_recursive);
	assert_string_equal(o.data, "uid=1");
	free(o.data);

	const char *prop[] = {"bind", "rprivate", "ridmap", "unbindable", NULL};
	parse_opts(NULL, prop, &o);
	assert_int_equal(o.propagation, MS_UNBINDABLE);
	assert_true(o.idmap);
	assert_true(o.idmap_recursive);
	const char *p2[] = {"rshared", NULL}, *p3[] = {"slave", NULL}, *p4[] = {"runbindable", NULL},
		   *p5[] = {"private", NULL};
	parse_opts(NULL, p2, &o);
	assert_int_equal(o.propagation, MS_SHARED | MS_REC);
	parse_opts(NULL, p3, &o);
	assert_int_equal(o.propagation, MS_SLAVE);
	parse_opts(NULL, p4, &o);
	assert_int_equal(o.propagation, MS_UNBINDABLE | MS_REC);
	parse_opts(NULL, p5, &o);
	assert_int_equal(o.propagation, MS_PRIVATE);
	assert_int_equal(oci_mount_parse_options(NULL, &o, NULL), -EINVAL);
}

/* runtime-spec 1.3.0: memoryPolicy, netDevices, relative mount destinations, the new mount options */
static void test_spec_1_3(void **state)
{
	ctr_spec *s = load_ok(LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0-2,7,64-65\","
				    "\"flags\":[\"MPOL_F_STATIC_NODES\",\"MPOL_F_NUMA_BALANCING\"]},"
				    "\"netDevices\":{\"eth2\":{\"name\":\"net%d\"},\"eth1\":{},\"eth0\":{\"name\":\"ctr0\"}}"));
	struct oci_config *cfg = config_ok(s);
	const struct oci_memory_policy *mp = cfg->linux_.memory_policy;
	assert_non_null(mp);
	assert_int_equal(mp->mode, OCI_MPOL_BIND);
	assert_int_equal(mp->mode_flags, OCI_MPOL_F_STATIC_NODES | OCI_MPOL_F_NUMA_BALANCING);
	assert_true(mp->has_nodes);
	assert_int_equal(mp->maxnode, 67);
	const unsigned long bits = 8 * sizeof(unsigned long);
	for (unsigned long n = 0; n < OCI_MPOL_MAX_NODES; n++) {
		bool want = n <= 2 || n == 7 || n == 64 || n == 65;
		assert_int_equal(!!(mp->nodemask[n / bits] & (1ul << (n % bits))), want);
	}
	/* sorted by host name; a missing name is the host's */
	assert_int_equal(cfg->linux_.n_net_devices, 3);
	assert_string_equal(cfg->linux_.net_devices[0].host_name, "eth0");
	assert_string_equal(cfg->linux_.net_devices[0].name, "ctr0");
	assert_string_equal(cfg->linux_.net_devices[1].host_name, "eth1");
	assert_string_equal(cfg->linux_.net_devices[1].name, "eth1");
	assert_string_equal(cfg->linux_.net_devices[2].name, "net%d");
	oci_config_free(cfg);
	ctr_spec_free(s);

	/* modes without nodes */
	static const char *const modes[] = {"MPOL_DEFAULT", "MPOL_LOCAL", "MPOL_PREFERRED"};
	static const int nums[] = {OCI_MPOL_DEFAULT, OCI_MPOL_LOCAL, OCI_MPOL_PREFERRED};
	for (size_t i = 0; i < 3; i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), LINUX("\"memoryPolicy\":{\"mode\":\"%s\",\"nodes\":\"\"}"), modes[i]);
		s = load_ok(buf);
		cfg = config_ok(s);
		assert_int_equal(cfg->linux_.memory_policy->mode, nums[i]);
		assert_false(cfg->linux_.memory_policy->has_nodes);
		assert_int_equal(cfg->linux_.memory_policy->maxnode, 0);
		oci_config_free(cfg);
		ctr_spec_free(s);
	}
	s = load_ok(LINUX("\"memoryPolicy\":{\"mode\":\"MPOL_WEIGHTED_INTERLEAVE\",\"nodes\":\"1023\",\"flags\":[\"MPOL_F_RELATIVE_NODES\"]}"));
	cfg = config_ok(s);
	assert_int_equal(cfg->linux_.memory_policy->mode, OCI_MPOL_WEIGHTED_INTERLEAVE);
	assert_int_equal(cfg->linux_.memory_policy->mode_flags, OCI_MPOL_F_RELATIVE_NODES);
	assert_int_equal(cfg->linux_.memory_policy->maxnode, 1025);
	assert_true(cfg->linux_.memory_policy->nodemask[1023 / bits] & (1ul << (1023 % bits)));
	oci_config_free(cfg);
	ctr_spec_free(s);
	assert_string_equal(oci_memory_policy_modes()[OCI_MPOL_PREFERRED_MANY], "MPOL_PREFERRED_MANY");
	assert_null(oci_memory_policy_modes()[7]);
	assert_string_equal(oci_memory_policy_flags()[2], "MPOL_F_STATIC_NODES");
	assert_null(oci_memory_policy_flags()[3]);

	/* config.md: a relative destination "MUST be interpreted as relative to /" */
	s = load_ok(BASE ",\"mounts\":[{\"destination\":\"data/x\",\"type\":\"tmpfs\"},{\"destination\":\"/abs\"}]}");
	cfg = config_ok(s);
	assert_string_equal(cfg->mounts[0].destination, "/data/x");
	assert_string_equal(cfg->mounts[1].destination, "/abs");
	oci_config_free(cfg);
	ctr_spec_free(s);

	/* iversion, noiversion, silent, loud (MUST options of config.md) are flags, not fs data */
	struct oci_mount_opts o;
	const char *v[] = {"iversion", "silent", NULL};
	parse_opts("tmpfs", v, &o);
	assert_int_equal(o.flags, (1ul << 23) | (1ul << 15));
	assert_null(o.data);
	const char *nv[] = {"iversion", "noiversion", "silent", "loud", NULL};
	parse_opts("tmpfs", nv, &o);
	assert_int_equal(o.flags, 0);
	assert_int_equal(o.clear, (1ul << 23) | (1ul << 15));
	assert_null(o.data);
}

static void test_name_tables(void **state)
{
	assert_int_equal(oci_capability_from_name("CAP_CHOWN"), 0);
	assert_int_equal(oci_capability_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(oci_capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(oci_capability_from_name("CAP_FOO"), -1);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	assert_int_equal(oci_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(oci_namespace_type_from_name("network"), OCI_NS_NETWORK);
	assert_int_equal(oci_namespace_type_from_name("net"), -1);
	assert_string_equal(oci_namespace_type_name(OCI_NS_CGROUP), "cgroup");
	assert_null(oci_namespace_type_name(OCI_NS_COUNT));
	assert_int_equal(oci_namespace_clone_flag(OCI_NS_MOUNT), CLONE_NEWNS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_spec),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_and_variants),
		cmocka_unit_test(test_device_file_mode_type_bits),
		cmocka_unit_test(test_resources_validate),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_load_buffer_edges),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_setters_process),
		cmocka_unit_test(test_setters_hostname_mounts),
		cmocka_unit_test(test_setters_namespaces_annotations),
		cmocka_unit_test(test_process_json),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_spec_1_3),
		cmocka_unit_test(test_name_tables),
	};
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}

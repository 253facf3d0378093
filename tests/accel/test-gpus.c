/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GPUs everywhere: Docker's --gpus parser and NVIDIA's image variables
 * (no root); then, on fake hosts made by fake-gpu-host.sh (root, mknod):
 * NVIDIA driver capabilities one by one, WSL2 (dxg) against what
 * `nvidia-ctk cdi generate --mode wsl` writes for the same tree, field by
 * field, AMD ROCm with a partitioned GPU, Mesa for DRI and virtio-gpu,
 * GPU requests resolved into devices, stale CDI specs and the atomic
 * spec file writer.
 *
 * argv[1]: tests/accel/fake-gpu-host.sh
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "ctr/ctr.h"
#include "accel/accel-internal.h"
#include "spec/oci.h"
#include "common.h"
#include "edits-check.h"

static const char *fake_host_script;

#define NV "550.54.14"
#define L "/usr/lib/x86_64-linux-gnu"

/* ---- the parser ---- */

struct parse_case {
	const char *in;
	int count;
	const char *devices;             /* joined with ',' ; "" none */
	const char *driver;
	unsigned caps;
	bool caps_given;
	const char *options;             /* joined */
};

static char *joined(const char *const *v)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; v && v[i]; i++)
		n += strlen(v[i]) + 1;
	s = calloc(1, n);
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

static void check_request(const struct parse_case *c, const ctr_gpu_request *req)
{
	char *d = joined(ctr_gpu_request_devices(req)), *o = joined((const char *const *)req->options);

	if (ctr_gpu_request_count(req) != c->count || strcmp(d, c->devices) != 0 ||
	    (c->driver ? !ctr_gpu_request_driver(req) || strcmp(c->driver, ctr_gpu_request_driver(req))
		       : ctr_gpu_request_driver(req) != NULL) ||
	    ctr_gpu_request_capabilities(req) != c->caps || req->caps_given != c->caps_given ||
	    strcmp(o, c->options ? c->options : "") != 0)
		fail_msg("%s: got count %d devices '%s' driver %s caps %#x (given %d) options '%s'", c->in,
			 ctr_gpu_request_count(req), d, ctr_gpu_request_driver(req) ? ctr_gpu_request_driver(req) : "-",
			 ctr_gpu_request_capabilities(req), req->caps_given, o);
	free(d);
	free(o);
}

#define CU (CTR_GPU_CAP_COMPUTE | CTR_GPU_CAP_UTILITY)

static const struct parse_case good[] = {
	/* Docker's own test cases (opts/gpus_test.go) */
	{ "all", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "-1", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "count=all", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "count=-1", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "driver=nvidia,\"capabilities=compute,utility\",\"options=foo=bar,baz=qux\"", 1, "", "nvidia", CU, true,
	  "foo=bar,baz=qux" },
	{ "1,driver=nvidia,\"capabilities=compute,utility\",\"options=foo=bar,baz=qux\"", 1, "", "nvidia", CU, true,
	  "foo=bar,baz=qux" },
	{ "count=1,driver=nvidia,\"capabilities=compute,utility\",\"options=foo=bar,baz=qux\"", 1, "", "nvidia", CU, true,
	  "foo=bar,baz=qux" },
	{ "driver=nvidia,\"capabilities=compute,utility\",\"options=foo=bar,baz=qux\",count=1", 1, "", "nvidia", CU, true,
	  "foo=bar,baz=qux" },
	/* the forms of the issue: N, "device=0,2", device=UUID,capabilities=compute,utility */
	{ "2", 2, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "0", 0, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "\"device=0,2\"", 0, "0,2", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "device=0,2", 0, "0,2", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "device=GPU-66666666-7777-8888-9999-000000000000,capabilities=compute,utility", 0,
	  "GPU-66666666-7777-8888-9999-000000000000", NULL, CU, true, NULL },
	{ "device=0:1:0", 0, "0:1:0", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	/* with neither count nor device: one GPU */
	{ "capabilities=graphics", 1, "", NULL, CTR_GPU_CAP_GRAPHICS, true, NULL },
	{ "all,capabilities=all", -1, "", NULL, CTR_GPU_CAP_ALL, true, NULL },
	{ "all,\"capabilities=graphics,display,compat32\"", -1, "", NULL,
	  CTR_GPU_CAP_GRAPHICS | CTR_GPU_CAP_DISPLAY | CTR_GPU_CAP_COMPAT32, true, NULL },
	/* gpu adds nothing (Docker appends it); nvidia and amd pick the driver */
	{ "all,capabilities=gpu", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "all,capabilities=nvidia,compute", -1, "", "nvidia", CTR_GPU_CAP_COMPUTE, true, NULL },
	{ "count=2,capabilities=amd", 2, "", "amd", CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "all,driver=dxg", -1, "", "dxg", CTR_GPU_CAP_DEFAULT, false, NULL },
	{ "\"device=a\"\"b\"", 0, "a\"b", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
	/* as Docker: a later bare count replaces an earlier one */
	{ "1,all", -1, "", NULL, CTR_GPU_CAP_DEFAULT, false, NULL },
};

static const struct {
	const char *in, *error;
} bad[] = {
	{ "count=invalid-integer", "invalid count 'invalid-integer'" },
	{ "", "empty request" },
	{ "all,", "invalid count ''" },
	{ "count=2,device=1", "either a count or device=ID" },
	{ "2,device=1", "either a count or device=ID" },
	{ "count=1,count=2", "'count' can be given only once" },
	{ "all,all", "'all' can be given only once" },
	{ "driver=nvidia,driver=amd", "'driver' can be given only once" },
	{ "foo=bar", "unexpected key 'foo'" },
	{ "\"device=0,2", "no closing quote" },
	{ "\"device=0\"x", "text after the closing quote" },
	{ "device=\"0\"", "a quote inside a field" },
	{ "device=", "an empty device id" },
	{ "device=0,,1", "an empty device id" },
	{ "capabilities=foo", "unknown driver capability 'foo'" },
	{ "capabilities= ", "a blank capability" },
	{ "capabilities=compute,2", "unknown driver capability '2'" },
	{ "capabilities=nvidia,amd", "asks for driver amd" },
	{ "driver=amd,capabilities=nvidia", "asks for driver nvidia" },
	{ "driver=", "empty driver" },
	{ "options=foo", "option 'foo' is not KEY=VALUE" },
	{ "count=99999999999", "invalid count" },
	{ "all\nall", "control characters" },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ctr_gpu_request *req = NULL, *again = NULL;
		ctr_error *e = NULL;
		char *text = NULL;

		if (ctr_gpu_request_parse(good[i].in, strlen(good[i].in), &req, &e) != 0)
			fail_msg("%s: %s", good[i].in, ctr_error_message(e));
		check_request(&good[i], req);
		/* the canonical form reads back to the same request */
		assert_int_equal(ctr_gpu_request_format(req, &text, NULL), 0);
		if (ctr_gpu_request_parse(text, strlen(text), &again, &e) != 0)
			fail_msg("%s -> %s: %s", good[i].in, text, ctr_error_message(e));
		struct parse_case c2 = good[i];
		c2.in = text;
		check_request(&c2, again);
		ctr_free(text);
		ctr_gpu_request_free(req);
		ctr_gpu_request_free(again);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ctr_gpu_request *req = (ctr_gpu_request *)&req;
		ctr_error *e = NULL;
		int r = ctr_gpu_request_parse(bad[i].in, strlen(bad[i].in), &req, &e);

		if (r != -EINVAL || req != NULL || !e || !strstr(ctr_error_message(e), bad[i].error))
			fail_msg("'%s': want -EINVAL with '%s', got %d '%s'", bad[i].in, bad[i].error, r,
				 e ? ctr_error_message(e) : "(no error)");
		ctr_error_free(e);
	}
	/* a length, not a C string */
	{
		ctr_gpu_request *req = NULL;
		assert_int_equal(ctr_gpu_request_parse("allXYZ", 3, &req, NULL), 0);
		assert_int_equal(ctr_gpu_request_count(req), -1);
		ctr_gpu_request_free(req);
	}
}

static void test_from_env(void **state)
{
	ctr_gpu_request *req = NULL;
	ctr_error *e = NULL;

	(void)state;
	assert_int_equal(ctr_gpu_request_from_env(NULL, "compute", &req, NULL), 0);
	assert_null(req);
	assert_int_equal(ctr_gpu_request_from_env("all", NULL, &req, NULL), 0);
	assert_int_equal(ctr_gpu_request_count(req), -1);
	assert_string_equal(ctr_gpu_request_driver(req), "nvidia");
	assert_int_equal(ctr_gpu_request_capabilities(req), CTR_GPU_CAP_DEFAULT);
	ctr_gpu_request_free(req);
	assert_int_equal(ctr_gpu_request_from_env("0,GPU-66666666-7777-8888-9999-000000000000", "compute, video", &req, NULL),
			 0);
	check_request(&(struct parse_case){ "env", 0, "0,GPU-66666666-7777-8888-9999-000000000000", "nvidia",
					    CTR_GPU_CAP_COMPUTE | CTR_GPU_CAP_VIDEO, true, NULL },
		      req);
	ctr_gpu_request_free(req);
	assert_int_equal(ctr_gpu_request_from_env("none", "all", &req, NULL), 0);
	assert_true(req->none && !req->void_);
	assert_int_equal(ctr_gpu_request_capabilities(req), CTR_GPU_CAP_ALL);
	ctr_gpu_request_free(req);
	assert_int_equal(ctr_gpu_request_from_env("void", "", &req, NULL), 0);
	assert_true(req->void_);
	assert_int_equal(ctr_gpu_request_capabilities(req), CTR_GPU_CAP_DEFAULT);
	ctr_gpu_request_free(req);
	assert_int_equal(ctr_gpu_request_from_env("", NULL, &req, NULL), 0);
	assert_true(req->void_);
	ctr_gpu_request_free(req);
	assert_int_equal(ctr_gpu_request_from_env("all", "compute,telepathy", &req, &e), -EINVAL);
	assert_null(req);
	assert_non_null(strstr(ctr_error_message(e), "NVIDIA_DRIVER_CAPABILITIES: unknown driver capability 'telepathy'"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_gpu_request_from_env("0,,1", NULL, &req, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "NVIDIA_VISIBLE_DEVICES=0,,1"));
	ctr_error_free(e);
}

/* ---- fake hosts ---- */

/* A fake host of kind under a new temporary directory, or NULL (skip) without root. */
static char *fake_host(const char *kind)
{
	char *root = make_tmpdir(), cmd[PATH_MAX * 2];
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' >/dev/null", fake_host_script, kind, root);
	st = system(cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		print_message("%s: mknod not permitted (not root): skipping\n", kind);
		rm_rf(root);
		free(root);
		return NULL;
	}
	if (st != 0)
		fail_msg("%s failed (status %d)", cmd, st);
	return root;
}

static ctr_accel_registry *host_registry(const char *root, bool gpus_from_env)
{
	char cdi[PATH_MAX];
	const char *dirs[] = { cdi, NULL };
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_error *e = NULL;

	snprintf(cdi, sizeof(cdi), "%s/etc/cdi", root);
	ctr_accel_registry_options_init(&o);
	o.host_root = root;
	o.cdi_dirs = dirs;
	o.gpus_from_env = gpus_from_env;
	if (ctr_accel_registry_new(NULL, &reg, &o, &e) != 0)
		fail_msg("registry: %s", ctr_error_message(e));
	return reg;
}

/* The edits for a --gpus request, parsed; *names gets the devices chosen. */
static struct json_object *gpu_edits(ctr_accel_registry *reg, const char *gpus, char ***names)
{
	ctr_gpu_request *req = NULL;
	ctr_container_edits *ed = NULL;
	ctr_error *e = NULL;
	char *json = NULL;
	struct json_object *o;

	if (ctr_gpu_request_parse(gpus, strlen(gpus), &req, &e) != 0 ||
	    ctr_accel_registry_gpu_edits(reg, req, &ed, names, &e) != 0)
		fail_msg("--gpus %s: %s", gpus, ctr_error_message(e));
	assert_int_equal(ctr_container_edits_to_json(ed, &json, NULL), 0);
	o = json_tokener_parse(json);
	assert_non_null(o);
	ctr_free(json);
	ctr_container_edits_free(ed);
	ctr_gpu_request_free(req);
	return o;
}

/* The edits NVIDIA's variables give. */
static struct json_object *env_edits(ctr_accel_registry *reg, const char *visible, const char *caps)
{
	ctr_gpu_request *req = NULL;
	ctr_container_edits *x = NULL;
	ctr_error *e = NULL;
	char *json = NULL;
	struct json_object *o;

	if (ctr_gpu_request_from_env(visible, caps, &req, &e) != 0 || ctr_accel_registry_gpu_edits(reg, req, &x, NULL, &e) != 0)
		fail_msg("NVIDIA_VISIBLE_DEVICES=%s: %s", visible, ctr_error_message(e));
	assert_int_equal(ctr_container_edits_to_json(x, &json, NULL), 0);
	o = json_tokener_parse(json);
	assert_non_null(o);
	ctr_free(json);
	ctr_container_edits_free(x);
	ctr_gpu_request_free(req);
	return o;
}

/* The error a --gpus request gives (must fail). */
static void gpu_error(ctr_accel_registry *reg, const char *gpus, int want, const char *msg)
{
	ctr_gpu_request *req = NULL;
	ctr_container_edits *ed = (ctr_container_edits *)&ed;
	ctr_error *e = NULL;
	int r;

	assert_int_equal(ctr_gpu_request_parse(gpus, strlen(gpus), &req, NULL), 0);
	r = ctr_accel_registry_gpu_edits(reg, req, &ed, NULL, &e);
	if (r != want || !e || !strstr(ctr_error_message(e), msg))
		fail_msg("--gpus %s: want %d '%s', got %d '%s'", gpus, want, msg, r, e ? ctr_error_message(e) : "");
	ctr_error_free(e);
	ctr_gpu_request_free(req);
}

static bool has_link(struct json_object *ed, const char *link)
{
	return has_str(ed, "hooks", link);
}

/* ---- NVIDIA: the driver capabilities one by one ---- */

enum { ANY_COMPUTE = CTR_GPU_CAP_COMPUTE | CTR_GPU_CAP_VIDEO, ANY_GRAPHICS = CTR_GPU_CAP_GRAPHICS | CTR_GPU_CAP_DISPLAY };

/* what a container path needs: present iff caps & want (ALWAYS: every set; 0: never) */
#define ALWAYS 0x10000u
static const struct {
	const char *path;
	unsigned want;
	bool node;
} nv_expect[] = {
	{ "/dev/nvidia0", ALWAYS, true },
	{ "/dev/nvidia1", ALWAYS, true },
	{ "/dev/nvidiactl", ALWAYS, true },
	{ "/dev/nvidia-uvm", ANY_COMPUTE, true },
	{ "/dev/nvidia-uvm-tools", ANY_COMPUTE, true },
	{ "/dev/nvidia-modeset", CTR_GPU_CAP_DISPLAY, true },
	{ "/dev/dri/card1", ANY_GRAPHICS, true },
	{ "/dev/dri/renderD128", ANY_GRAPHICS, true },
	{ L "/libcuda.so." NV, ANY_COMPUTE, false },
	{ L "/libnvidia-ptxjitcompiler.so." NV, ANY_COMPUTE, false },
	{ L "/libnvidia-opencl.so." NV, ANY_COMPUTE, false },
	{ L "/libnvidia-allocator.so." NV, ANY_COMPUTE | ANY_GRAPHICS, false },
	{ L "/libnvidia-ml.so." NV, CTR_GPU_CAP_UTILITY, false },
	{ L "/libnvidia-encode.so." NV, CTR_GPU_CAP_VIDEO, false },
	{ L "/libnvcuvid.so." NV, CTR_GPU_CAP_VIDEO, false },
	{ L "/libGLX_nvidia.so." NV, ANY_GRAPHICS, false },
	{ L "/libEGL_nvidia.so." NV, ANY_GRAPHICS, false },
	{ L "/libnvidia-glcore.so." NV, ANY_GRAPHICS, false },
	{ L "/libnvidia-eglcore.so." NV, ANY_GRAPHICS, false },
	{ L "/libnvidia-egl-gbm.so.1.1.1", ANY_GRAPHICS, false },
	{ L "/libnvidia-ngx.so." NV, CTR_GPU_CAP_NGX, false },
	{ L "/libnvidia-old.so.535.104.05", 0, false },
	{ L "/libz-not-nvidia.so.1.0", 0, false },
	{ "/usr/bin/nvidia-smi", CTR_GPU_CAP_UTILITY, false },
	{ "/usr/bin/nvidia-debugdump", CTR_GPU_CAP_UTILITY, false },
	{ "/usr/bin/nvidia-cuda-mps-control", CTR_GPU_CAP_COMPUTE, false },
	{ "/var/run/nvidia-persistenced/socket", CTR_GPU_CAP_UTILITY, false },
	{ "/lib/firmware/nvidia/" NV, ALWAYS, false },
	{ "/etc/vulkan/icd.d/nvidia_icd.json", ANY_GRAPHICS, false },
	{ "/etc/vulkan/implicit_layer.d/nvidia_layers.json", ANY_GRAPHICS, false },
	{ "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", ANY_GRAPHICS, false },
	{ "/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json", ANY_GRAPHICS, false },
	{ "/etc/OpenCL/vendors/nvidia.icd", ANY_COMPUTE, false },
	{ "/usr/lib/xorg/modules/drivers/nvidia_drv.so", CTR_GPU_CAP_DISPLAY, false },
};

static void check_nvidia_caps(struct json_object *ed, const char *what, unsigned caps)
{
	bool cuda32 = (caps & CTR_GPU_CAP_COMPAT32) && (caps & ANY_COMPUTE);
	bool glx32 = (caps & CTR_GPU_CAP_COMPAT32) && (caps & ANY_GRAPHICS);

	for (size_t i = 0; i < sizeof(nv_expect) / sizeof(*nv_expect); i++) {
		bool want = nv_expect[i].want == ALWAYS || (nv_expect[i].want & caps);
		bool got = nv_expect[i].node ? has_node(ed, nv_expect[i].path) : has_mount(ed, nv_expect[i].path);
		if (want != got)
			fail_msg("%s: %s should %sbe there\n%s", what, nv_expect[i].path, want ? "" : "not ",
				 json_object_to_json_string(ed));
	}
	if (has_mount(ed, "/usr/lib/i386-linux-gnu/libcuda.so." NV) != cuda32 ||
	    has_mount(ed, "/usr/lib/i386-linux-gnu/libGLX_nvidia.so." NV) != glx32)
		fail_msg("%s: 32-bit libraries wrong\n%s", what, json_object_to_json_string(ed));
	/* the soname links the cache names, and the gbm backend with graphics */
	if (has_link(ed, "libcuda.so." NV "::" L "/libcuda.so.1") != !!(caps & ANY_COMPUTE) ||
	    has_link(ed, "../libnvidia-allocator.so.1::" L "/gbm/nvidia-drm_gbm.so") != !!(caps & ANY_GRAPHICS))
		fail_msg("%s: links wrong\n%s", what, json_object_to_json_string(json_object_object_get(ed, "hooks")));
	assert_true(has_str(ed, "env", "NVIDIA_VISIBLE_DEVICES=void"));
	/* the render group only with the DRI nodes */
	assert_int_equal(has_gid(ed, 993), !!(caps & ANY_GRAPHICS));
}

static void test_nvidia_caps(void **state)
{
	static const struct {
		const char *gpus;
		unsigned caps;
	} cases[] = {
		{ "all,capabilities=compute", CTR_GPU_CAP_COMPUTE },
		{ "all,capabilities=utility", CTR_GPU_CAP_UTILITY },
		{ "all,capabilities=video", CTR_GPU_CAP_VIDEO },
		{ "all,capabilities=graphics", CTR_GPU_CAP_GRAPHICS },
		{ "all,capabilities=display", CTR_GPU_CAP_DISPLAY },
		{ "all,capabilities=ngx", CTR_GPU_CAP_NGX },
		{ "all,capabilities=compat32", CTR_GPU_CAP_COMPAT32 },
		{ "all,\"capabilities=compat32,compute\"", CTR_GPU_CAP_COMPAT32 | CTR_GPU_CAP_COMPUTE },
		{ "all,\"capabilities=compat32,graphics\"", CTR_GPU_CAP_COMPAT32 | CTR_GPU_CAP_GRAPHICS },
		{ "all", CTR_GPU_CAP_DEFAULT },
		{ "all,capabilities=all", CTR_GPU_CAP_ALL },
	};
	char *root = fake_host("nvidia");
	ctr_accel_registry *reg;
	struct json_object *ed;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ed = gpu_edits(reg, cases[i].gpus, NULL);
		check_nvidia_caps(ed, cases[i].gpus, cases[i].caps);
		json_object_put(ed);
	}
	/* NVIDIA_DRIVER_CAPABILITIES subsets go the same way */
	ed = env_edits(reg, "all", "video,display");
	check_nvidia_caps(ed, "NVIDIA_DRIVER_CAPABILITIES=video,display", CTR_GPU_CAP_VIDEO | CTR_GPU_CAP_DISPLAY);
	json_object_put(ed);
	/* --device keeps giving everything, as a CDI spec from nvidia-ctk does */
	ed = edits_for(reg, "nvidia.com/gpu=all");
	check_nvidia_caps(ed, "--device nvidia.com/gpu=all", CTR_GPU_CAP_ALL);
	json_object_put(ed);
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- GPU requests resolved into devices ---- */

static void test_requests(void **state)
{
	char *root = fake_host("nvidia"), **names = NULL;
	ctr_accel_registry *reg;
	struct json_object *ed;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	ed = gpu_edits(reg, "1", &names);
	assert_true(has_node(ed, "/dev/nvidia0") && !has_node(ed, "/dev/nvidia1"));
	assert_string_equal(names[0], "nvidia.com/gpu=0");
	assert_null(names[1]);
	ctr_strv_free(names);
	json_object_put(ed);
	ed = gpu_edits(reg, "2", &names);
	assert_true(has_node(ed, "/dev/nvidia0") && has_node(ed, "/dev/nvidia1"));
	assert_string_equal(names[1], "nvidia.com/gpu=1");
	ctr_strv_free(names);
	json_object_put(ed);
	ed = gpu_edits(reg, "device=1", NULL);
	assert_true(!has_node(ed, "/dev/nvidia0") && has_node(ed, "/dev/nvidia1") && has_node(ed, "/dev/nvidiactl"));
	json_object_put(ed);
	ed = gpu_edits(reg, "device=GPU-66666666-7777-8888-9999-000000000000,capabilities=compute,utility", NULL);
	assert_true(!has_node(ed, "/dev/nvidia0") && has_node(ed, "/dev/nvidia1"));
	json_object_put(ed);
	ed = gpu_edits(reg, "\"device=0,1\",driver=nvidia", &names);
	assert_true(has_node(ed, "/dev/nvidia0") && has_node(ed, "/dev/nvidia1"));
	/* the shared edits once, however many devices: one update-ldcache hook */
	{
		const char *h = json_object_to_json_string(json_object_object_get(ed, "hooks"));
		const char *a = strstr(h, "update-ldcache");
		assert_non_null(a);
		assert_null(strstr(a + 1, "update-ldcache"));
	}
	ctr_strv_free(names);
	json_object_put(ed);
	/* count 0: nothing at all */
	ed = gpu_edits(reg, "0", &names);
	assert_null(names[0]);
	assert_int_equal(json_object_object_length(ed), 0);
	ctr_strv_free(names);
	json_object_put(ed);
	gpu_error(reg, "3", -ENOENT, "3 GPU(s) asked for, this host has 2 of kind nvidia.com/gpu");
	gpu_error(reg, "device=7", -ENOENT, "no NVIDIA GPU matches '7'");
	gpu_error(reg, "all,driver=amd", -ENOENT, "no amd.com/gpu device on this host");
	gpu_error(reg, "all,driver=ati", -EINVAL, "unknown driver 'ati'");
	/* NVIDIA_VISIBLE_DEVICES=none: the driver, no GPU */
	ed = env_edits(reg, "none", NULL);
	assert_true(has_node(ed, "/dev/nvidiactl") && !has_node(ed, "/dev/nvidia0") && !has_node(ed, "/dev/nvidia1"));
	assert_true(has_mount(ed, L "/libcuda.so." NV));
	json_object_put(ed);
	/* an image's variable with escape sequences is refused without echoing them */
	{
		ctr_accel_registry *r2 = host_registry(root, true);
		ctr_spec *s = NULL;
		ctr_error *e = NULL;
		assert_int_equal(ctr_spec_new_default(&s, NULL), 0);
		assert_int_equal(ctr_spec_set_env(s, "NVIDIA_VISIBLE_DEVICES", "\033]0;owned\007", NULL), 0);
		assert_int_equal(ctr_accel_apply_annotations(s, r2, &e), -EINVAL);
		assert_null(strchr(ctr_error_message(e), '\033'));
		assert_non_null(strstr(ctr_error_message(e), "process.env NVIDIA_VISIBLE_DEVICES"));
		ctr_error_free(e);
		ctr_spec_free(s);
		ctr_accel_registry_free(r2);
	}
	/* the spec's environment: only with the registry's opt-in */
	for (int opt = 0; opt < 2; opt++) {
		ctr_accel_registry *r2 = host_registry(root, opt);
		ctr_spec *s = NULL;
		const char *j;
		assert_int_equal(ctr_spec_new_default(&s, NULL), 0);
		assert_int_equal(ctr_spec_set_env(s, "NVIDIA_VISIBLE_DEVICES", "1", NULL), 0);
		assert_int_equal(ctr_spec_set_env(s, "NVIDIA_DRIVER_CAPABILITIES", "utility", NULL), 0);
		assert_int_equal(ctr_accel_apply_annotations(s, r2, NULL), 0);
		j = json_object_to_json_string(ctr_spec_json(s));
		if (opt) {
			assert_non_null(strstr(j, "\\/dev\\/nvidia1\""));
			assert_null(strstr(j, "\\/dev\\/nvidia0\""));
			assert_non_null(strstr(j, "libnvidia-ml.so." NV));
			assert_null(strstr(j, "libcuda.so." NV));
			assert_non_null(strstr(j, "NVIDIA_VISIBLE_DEVICES=void"));
		} else {
			assert_null(strstr(j, "nvidia1"));
			assert_non_null(strstr(j, "NVIDIA_VISIBLE_DEVICES=1"));
		}
		ctr_spec_free(s);
		ctr_accel_registry_free(r2);
	}
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- WSL2 / GPU-PV ---- */

/*
 * Compare got with want field by field; the message names the first
 * difference by its JSON path.
 */
static void compare_json(const char *path, struct json_object *want, struct json_object *got)
{
	char sub[512];

	if (json_object_get_type(want) != json_object_get_type(got))
		fail_msg("%s: want %s, got %s", path, json_object_to_json_string(want), json_object_to_json_string(got));
	switch (json_object_get_type(want)) {
	case json_type_object: {
		json_object_object_foreach(want, k, v) {
			struct json_object *g = NULL;
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (!json_object_object_get_ex(got, k, &g))
				fail_msg("%s: missing (want %s)", sub, json_object_to_json_string(v));
			compare_json(sub, v, g);
		}
		json_object_object_foreach(got, k2, v2) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k2);
			if (!json_object_object_get_ex(want, k2, NULL))
				fail_msg("%s: not in nvidia-ctk's output: %s", sub, json_object_to_json_string(v2));
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(want) || i < json_object_array_length(got); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (i >= json_object_array_length(got) || i >= json_object_array_length(want))
				fail_msg("%s: want %zu elements, got %zu", path, json_object_array_length(want),
					 json_object_array_length(got));
			compare_json(sub, json_object_array_get_idx(want, i), json_object_array_get_idx(got, i));
		}
		break;
	default:
		if (!json_object_equal(want, got))
			fail_msg("%s: want %s, got %s", path, json_object_to_json_string(want),
				 json_object_to_json_string(got));
	}
}

/* Replace every "@R@" in t by root. */
static char *with_root(const char *t, const char *root)
{
	size_t n = strlen(t) + 1;
	char *out;

	for (const char *p = t; (p = strstr(p, "@R@")); p += 3)
		n += strlen(root);
	out = calloc(1, n);
	for (const char *p = t, *q; *p; p = q + 3) {
		if (!(q = strstr(p, "@R@"))) {
			strcat(out, p);
			break;
		}
		strncat(out, p, (size_t)(q - p));
		strcat(out, root);
	}
	return out;
}

#define STORE "/usr/lib/wsl/drivers/nv_dispi.inf_amd64_7cc7738d8e428783"
#define RO "[\"ro\", \"nosuid\", \"nodev\", \"rbind\", \"rprivate\"]"
#define M(p) "{\"hostPath\": \"@R@" p "\", \"containerPath\": \"" p "\", \"options\": " RO "}"

/*
 * What `nvidia-ctk cdi generate --mode wsl --driver-root R --dev-root R`
 * writes for the fake WSL tree (nvidia-container-toolkit's
 * pkg/nvcdi/lib-wsl.go and driver-wsl.go): one device, all, with /dev/dxg
 * described from the node; the spec-level edits mount libdxcore.so, the
 * required files of the NVIDIA driver store and its other *.so*, *.bin and
 * *.dll files (sorted by depth, then path), link nvidia-smi into /usr/bin,
 * add the store and /usr/lib/wsl/lib to the ld cache, and set
 * NVIDIA_VISIBLE_DEVICES=void.
 */
static const char nvidia_ctk_wsl[] =
	"{\"cdiVersion\": \"0.5.0\", \"kind\": \"nvidia.com/gpu\","
	" \"devices\": [{\"name\": \"all\", \"containerEdits\": {\"deviceNodes\": [{\"path\": \"/dev/dxg\","
	" \"hostPath\": \"@R@/dev/dxg\", \"major\": 239, \"minor\": 0, \"fileMode\": 438, \"permissions\": \"rwm\"}]}}],"
	" \"containerEdits\": {"
	"  \"env\": [\"NVIDIA_VISIBLE_DEVICES=void\"],"
	"  \"hooks\": ["
	"   {\"hookName\": \"createContainer\", \"path\": \"/usr/bin/nvidia-cdi-hook\", \"args\": [\"nvidia-cdi-hook\","
	"    \"create-symlinks\", \"--link\", \"" STORE "/nvidia-smi::/usr/bin/nvidia-smi\"], \"env\": [\"NVIDIA_CTK_DEBUG=false\"]},"
	"   {\"hookName\": \"createContainer\", \"path\": \"/usr/bin/nvidia-cdi-hook\", \"args\": [\"nvidia-cdi-hook\","
	"    \"update-ldcache\", \"--folder\", \"" STORE "\", \"--folder\", \"/usr/lib/wsl/lib\"], \"env\": [\"NVIDIA_CTK_DEBUG=false\"]}],"
	"  \"mounts\": [" M("/usr/lib/wsl/lib/libdxcore.so") ", " M(STORE "/libcuda.so.1.1") ", "
	M(STORE "/libcuda_loader.so") ", " M(STORE "/libnvdxgdmal.so.1") ", " M(STORE "/libnvidia-gpucomp.so.1") ", "
	M(STORE "/libnvidia-ml.so.1") ", " M(STORE "/libnvidia-ml_loader.so") ", " M(STORE "/libnvidia-ptxjitcompiler.so.1") ", "
	M(STORE "/libnvwgf2umx.so") ", " M(STORE "/nvcubins.bin") ", " M(STORE "/nvidia-smi") ", " M(STORE "/nvwgf2umx.dll")
	"]}}";

static void test_dxg(void **state)
{
	char *root = fake_host("wsl"), *out = NULL, *want_text, p[PATH_MAX], q[PATH_MAX];
	ctr_accel_registry *reg;
	const ctr_accel_device *d;
	struct json_object *want, *got, *ed;
	ctr_error *e = NULL;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	d = find_dev(reg, "dxg/gpu=all");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "dxg");
	assert_true(has_cap(d, "driver-stores=2"));
	assert_true(has_cap(d, "nvidia-store=" STORE));
	d = find_dev(reg, "nvidia.com/gpu=all");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "dxg");
	assert_null(find_dev(reg, "nvidia.com/gpu=0"));

	/* the same spec nvidia-ctk's WSL mode writes, field by field */
	if (ctr_accel_registry_write_cdi_kind(reg, "dxg", "nvidia.com/gpu", &out, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(ctr_cdi_validate_buffer(out, strlen(out), "wsl.json", NULL), 0);
	want_text = with_root(nvidia_ctk_wsl, root);
	want = json_tokener_parse(want_text);
	assert_non_null(want);
	got = json_tokener_parse(out);
	compare_json("spec", want, got);
	json_object_put(want);
	json_object_put(got);
	free(want_text);
	ctr_free(out);

	/* any vendor: /dev/dxg with /usr/lib/wsl */
	ed = edits_for(reg, "dxg/gpu=all");
	assert_true(has_node(ed, "/dev/dxg"));
	assert_true(has_mount(ed, "/usr/lib/wsl/lib") && has_mount(ed, "/usr/lib/wsl/drivers"));
	assert_true(has_str(ed, "hooks", "\"--folder\",\"/usr/lib/wsl/lib\""));
	json_object_put(ed);
	/* --gpus: all picks nvidia.com/gpu (here dxg's); a count cannot be honoured */
	ed = gpu_edits(reg, "all", NULL);
	assert_true(has_node(ed, "/dev/dxg") && has_mount(ed, STORE "/libcuda.so.1.1"));
	json_object_put(ed);
	ed = gpu_edits(reg, "all,driver=dxg", NULL);
	assert_true(has_mount(ed, "/usr/lib/wsl/lib") && !has_mount(ed, STORE "/libcuda.so.1.1"));
	json_object_put(ed);
	gpu_error(reg, "1", -ENOENT, "gives its GPUs only as a whole (nvidia.com/gpu=all): ask for all");
	gpu_error(reg, "device=0", -ENOENT, "every GPU comes through one device: ask for all");

	/* a spec written for a store that is gone (the Windows driver was updated) is stale */
	snprintf(p, sizeof(p), "%s/etc/cdi/nvidia.json", root);
	if (ctr_accel_registry_write_cdi_file(reg, "dxg", "nvidia.com/gpu", p, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	assert_string_equal(ctr_accel_device_backend(find_dev(reg, "nvidia.com/gpu=all")), "cdi");
	snprintf(q, sizeof(q), "%s" STORE, root);
	snprintf(p, sizeof(p), "%s/usr/lib/wsl/drivers/nv_dispi.inf_amd64_0000000000000001", root);
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	assert_string_equal(ctr_accel_device_backend(find_dev(reg, "nvidia.com/gpu=all")), "dxg");
	{
		char **errs = NULL, *buf = NULL;
		size_t len;
		snprintf(p, sizeof(p), "%s/etc/cdi/nvidia.json", root);
		assert_int_equal(ctr_accel_registry_errors(reg, &errs, NULL), 0);
		assert_non_null(errs[0]);
		assert_non_null(strstr(errs[0], "stale CDI spec: generated for the WSL driver store " STORE));
		assert_non_null(strstr(errs[0], "ctr-demo cdi generate --backend dxg --kind nvidia.com/gpu --output"));
		ctr_strv_free(errs);
		assert_int_equal(ctr_read_file(p, 1 << 20, &buf, &len, NULL), 0);
		assert_int_equal(ctr_accel_registry_check_cdi(reg, buf, len, p, &e), -ESTALE);
		assert_non_null(strstr(ctr_error_message(e), "nv_dispi.inf_amd64_0000000000000001"));
		ctr_error_free(e);
		free(buf);
	}
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- AMD ROCm ---- */

#define MI300_UUID "0x6681fc69e07d5161"

static void test_amd(void **state)
{
	char *root = fake_host("amd"), **names = NULL, *out = NULL;
	ctr_accel_registry *reg;
	const ctr_accel_device *d;
	struct json_object *ed;
	ctr_error *e = NULL;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	d = find_dev(reg, "amd.com/gpu=0");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "amd");
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:03:00.0");
	assert_true(has_cap(d, "uuid=0xb3ff7b9b35b3ba86"));
	assert_true(has_cap(d, "gfx-target=gfx90a"));
	d = find_dev(reg, "amd.com/gpu=1");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:c1:00.0");
	assert_true(has_cap(d, "partition=cpx_nps1"));
	assert_true(has_cap(d, "gfx-target=gfx942"));
	assert_non_null(strstr(ctr_accel_device_nodes(d)[0], "/dev/dri/renderD129"));
	d = find_dev(reg, "amd.com/gpu=2");
	assert_non_null(d);
	assert_non_null(strstr(ctr_accel_device_nodes(d)[0], "/dev/dri/renderD130"));
	assert_null(find_dev(reg, "amd.com/gpu=3"));
	assert_non_null(find_dev(reg, "amd.com/gpu=all"));

	/* a whole GPU: its card and render nodes, /dev/kfd, the render group */
	ed = edits_for(reg, "amd.com/gpu=0");
	assert_true(has_node(ed, "/dev/dri/card0") && has_node(ed, "/dev/dri/renderD128") && has_node(ed, "/dev/kfd"));
	assert_int_equal(count_nodes(ed), 3);
	assert_true(has_gid(ed, 993) && has_gid(ed, 44));
	assert_true(has_str(ed, "deviceNodes", "\"type\":\"c\""));
	json_object_put(ed);
	/* a partition on its platform device: its render node only */
	ed = edits_for(reg, "amd.com/gpu=2");
	assert_true(has_node(ed, "/dev/dri/renderD130") && has_node(ed, "/dev/kfd"));
	assert_int_equal(count_nodes(ed), 2);
	json_object_put(ed);
	/* the unique id or the PCI address: both partitions of the MI300X */
	static const char *const mi300[] = { ("amd.com/gpu=" MI300_UUID), "amd.com/gpu=6681FC69E07D5161",
					     "amd.com/gpu=0000:c1:00.0" };
	for (size_t i = 0; i < sizeof(mi300) / sizeof(*mi300); i++) {
		ed = edits_for(reg, mi300[i]);
		assert_true(has_node(ed, "/dev/dri/renderD129") && has_node(ed, "/dev/dri/renderD130"));
		assert_false(has_node(ed, "/dev/dri/renderD128"));
		json_object_put(ed);
	}
	/* --gpus: AMD is the only kind here; a count takes the first by index */
	ed = gpu_edits(reg, "2", &names);
	assert_string_equal(names[0], "amd.com/gpu=0");
	assert_string_equal(names[1], "amd.com/gpu=1");
	assert_null(names[2]);
	assert_true(has_node(ed, "/dev/dri/renderD128") && has_node(ed, "/dev/dri/renderD129"));
	assert_false(has_node(ed, "/dev/dri/renderD130"));
	ctr_strv_free(names);
	json_object_put(ed);
	ed = gpu_edits(reg, "device=" MI300_UUID ",driver=amd", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD129") && !has_node(ed, "/dev/dri/card0"));
	json_object_put(ed);
	gpu_error(reg, "device=0x1234", -ENOENT, "no AMD GPU matches '0x1234'");
	/* a CDI spec as amd-ctk names it */
	if (ctr_accel_registry_write_cdi_kind(reg, "amd", NULL, &out, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(ctr_cdi_validate_buffer(out, strlen(out), "amd.json", NULL), 0);
	assert_non_null(strstr(out, "\"kind\":\"amd.com/gpu\""));
	ed = json_tokener_parse(out);
	assert_true(has_node(json_object_object_get(ed, "containerEdits"), "/dev/kfd"));
	json_object_put(ed);
	ctr_free(out);
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- Mesa for DRI and virtio-gpu ---- */

static void test_mesa(void **state)
{
	static const char *const amd_files[] = {
		"/usr/share/vulkan/icd.d/radeon_icd.x86_64.json", L "/libvulkan_radeon.so", L "/libdrm_amdgpu.so.1.0.0",
		L "/libdrm.so.2.4.0", L "/libLLVM-15.so.1", "/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json",
		L "/libVkLayer_MESA_device_select.so", "/usr/share/glvnd/egl_vendor.d/50_mesa.json", L "/libEGL_mesa.so.0.0.0",
		L "/libgbm.so.1.0.0", L "/libglapi.so.0.0.0", L "/libGLX_mesa.so.0.0.0", L "/dri/radeonsi_dri.so",
		L "/libgallium-24.2.8.so",
	};
	static const char *const not_amd[] = {
		"/usr/share/vulkan/icd.d/intel_icd.x86_64.json", L "/libvulkan_intel.so", L "/dri/iris_dri.so",
		L "/libdrm_intel.so.1.0.0", "/usr/share/vulkan/icd.d/virtio_icd.x86_64.json", L "/libvulkan_virtio.so",
		L "/dri/virtio_gpu_dri.so", "/usr/share/vulkan/implicit_layer.d/VkLayer_other_vendor.json", L "/libunrelated.so.3",
	};
	char *root = fake_host("mesa");
	ctr_accel_registry *reg;
	struct json_object *ed;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	ed = gpu_edits(reg, "driver=dri,device=amd,capabilities=graphics", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD129"));
	assert_false(has_node(ed, "/dev/dri/renderD128"));
	for (size_t i = 0; i < sizeof(amd_files) / sizeof(*amd_files); i++)
		if (!has_mount(ed, amd_files[i]))
			fail_msg("missing %s\n%s", amd_files[i], json_object_to_json_string(ed));
	for (size_t i = 0; i < sizeof(not_amd) / sizeof(*not_amd); i++)
		if (has_mount(ed, not_amd[i]))
			fail_msg("%s should not be there", not_amd[i]);
	/* the soname links and the folder for ldconfig; glibc is the image's */
	assert_true(has_link(ed, "libdrm_amdgpu.so.1.0.0::" L "/libdrm_amdgpu.so.1"));
	assert_true(has_link(ed, "libEGL_mesa.so.0.0.0::" L "/libEGL_mesa.so.0"));
	assert_true(has_str(ed, "hooks", "update-ldcache"));
	assert_false(has_str(ed, "mounts", "libc.so"));
	json_object_put(ed);
	/* without the graphics capability, the render node only (as --device) */
	ed = gpu_edits(reg, "driver=dri,device=amd", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD129"));
	assert_false(json_object_object_get_ex(ed, "mounts", NULL));
	json_object_put(ed);
	ed = edits_for(reg, "dri/render=amd");
	assert_false(json_object_object_get_ex(ed, "mounts", NULL));
	json_object_put(ed);
	/* Intel: anv and iris */
	ed = gpu_edits(reg, "driver=dri,device=i915,capabilities=graphics", NULL);
	assert_true(has_mount(ed, L "/libvulkan_intel.so") && has_mount(ed, L "/dri/iris_dri.so") &&
		    has_mount(ed, L "/libdrm_intel.so.1.0.0"));
	assert_false(has_mount(ed, L "/libvulkan_radeon.so"));
	json_object_put(ed);
	/* virtio-gpu: Venus and virgl */
	ed = gpu_edits(reg, "all,driver=virtio-gpu,capabilities=graphics", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD130"));
	assert_true(has_mount(ed, "/usr/share/vulkan/icd.d/virtio_icd.x86_64.json") &&
		    has_mount(ed, L "/libvulkan_virtio.so") && has_mount(ed, L "/dri/virtio_gpu_dri.so"));
	assert_false(has_mount(ed, L "/libvulkan_radeon.so"));
	json_object_put(ed);
	/* without a driver: virtio-gpu comes before plain DRI */
	ed = gpu_edits(reg, "all,capabilities=graphics", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD130") && !has_node(ed, "/dev/dri/renderD128"));
	json_object_put(ed);
	/* all DRI GPUs: both drivers' Mesa */
	ed = gpu_edits(reg, "all,driver=dri,capabilities=graphics", NULL);
	assert_true(has_node(ed, "/dev/dri/renderD128") && has_node(ed, "/dev/dri/renderD129"));
	assert_true(has_mount(ed, L "/libvulkan_radeon.so") && has_mount(ed, L "/libvulkan_intel.so") &&
		    has_mount(ed, L "/libvulkan_virtio.so"));
	json_object_put(ed);
	/* a loader file that names something else than a shared object: refused, nothing mounted */
	write_at(root, "usr/share/vulkan/icd.d/radeon_icd.x86_64.json",
		 "{\"ICD\": {\"library_path\": \"/usr/share/glvnd/egl_vendor.d/50_mesa.json\"}, \"file_format_version\": \"1.0.0\"}");
	gpu_error(reg, "driver=dri,device=amd,capabilities=graphics", -EINVAL, "which is not an ELF shared object");
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- CDI spec files: atomic writes, stale specs ---- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_spec_files(void **state)
{
	char *root = fake_host("nvidia"), dir[PATH_MAX], p[PATH_MAX], *buf = NULL;
	ctr_accel_registry *reg;
	ctr_error *e = NULL;
	struct stat st1, st2;
	size_t len;

	(void)state;
	if (!root)
		skip();
	reg = host_registry(root, false);
	snprintf(dir, sizeof(dir), "%s/out/cdi", root);
	snprintf(p, sizeof(p), "%s/nvidia.json", dir);
	/* the directory is made; the file is one valid spec */
	if (ctr_accel_registry_write_cdi_file(reg, "nvidia", NULL, p, &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(ctr_cdi_validate_file(p, NULL), 0);
	assert_int_equal(stat(p, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0644);
	assert_int_equal(ctr_read_file(p, 1 << 20, &buf, &len, NULL), 0);
	assert_true(len > 0 && buf[len - 1] == '\n');
	/* spec-level edits as nvidia-ctk writes them, the GPUs' nodes per device */
	{
		struct json_object *o = json_tokener_parse(buf), *ce = json_object_object_get(o, "containerEdits");
		assert_true(has_node(ce, "/dev/nvidiactl") && has_mount(ce, L "/libcuda.so." NV));
		assert_false(has_node(ce, "/dev/nvidia0"));
		json_object_put(o);
	}
	/* fresh: the check passes */
	assert_int_equal(ctr_accel_registry_check_cdi(reg, buf, len, p, NULL), 0);
	/* written again: a new file renamed over the old one */
	assert_int_equal(ctr_accel_registry_write_cdi_file(reg, "nvidia", "nvidia.com/gpu", p, NULL), 0);
	assert_int_equal(stat(p, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	assert_int_equal(count_entries(dir), 1);
	/* failures leave nothing behind and the old file as it was */
	assert_int_equal(ctr_accel_registry_write_cdi_file(reg, "nosuch", NULL, p, &e), -ENOENT);
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_accel_registry_write_cdi_file(reg, "dri", NULL, p, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "several kinds (dri/render, dri/card)"));
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(ctr_accel_registry_write_cdi_file(reg, "nvidia", NULL, dir, &e) < 0, 1);
	ctr_error_free(e);
	e = NULL;
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(stat(p, &st1), 0);
	assert_true(st1.st_ino == st2.st_ino);
	/* the driver is updated: the spec is stale, and the message says how to regenerate it */
	write_at(root, "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  560.35.03  Fri Aug 16 2024\n");
	assert_int_equal(ctr_accel_registry_check_cdi(reg, buf, len, p, &e), -ESTALE);
	assert_int_equal(ctr_error_code_of(e), CTR_E_STATE);
	assert_non_null(strstr(ctr_error_message(e), "generated for NVIDIA driver " NV ", the host runs 560.35.03"));
	assert_non_null(strstr(ctr_error_message(e), "ctr-demo cdi generate --backend nvidia --kind nvidia.com/gpu --output"));
	ctr_error_free(e);
	/* the driver's version is libcuda's, however many EGL platform libraries (1.1.1) the spec mounts */
	{
		static const char egl[] =
			"{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gpu\",\"devices\":[{\"name\":\"all\","
			"\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/nvidia0\"}]}}],\"containerEdits\":{\"mounts\":["
			"{\"hostPath\":\"/l/libnvidia-egl-gbm.so.1.1.1\",\"containerPath\":\"/l/libnvidia-egl-gbm.so.1.1.1\"},"
			"{\"hostPath\":\"/l/libnvidia-egl-wayland.so.1.1.1\",\"containerPath\":\"/l/libnvidia-egl-wayland.so.1.1.1\"},"
			"{\"hostPath\":\"/l/libcuda.so.560.35.03\",\"containerPath\":\"/l/libcuda.so.560.35.03\"}]}}";
		assert_int_equal(ctr_accel_registry_check_cdi(reg, egl, strlen(egl), "egl.json", NULL), 0);
	}
	/* a spec of another vendor records no driver: current */
	{
		static const char other[] = "{\"cdiVersion\":\"0.5.0\",\"kind\":\"vendor.com/gpu\",\"devices\":[{\"name\":\"a\","
					    "\"containerEdits\":{\"env\":[\"A=1\"]}}]}";
		assert_int_equal(ctr_accel_registry_check_cdi(reg, other, strlen(other), "other.json", NULL), 0);
	}
	free(buf);
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_from_env),
		cmocka_unit_test(test_nvidia_caps),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_dxg),
		cmocka_unit_test(test_amd),
		cmocka_unit_test(test_mesa),
		cmocka_unit_test(test_spec_files),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s fake-gpu-host.sh\n", argv[0]);
		return 2;
	}
	fake_host_script = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}

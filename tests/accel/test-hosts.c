/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dri, virtio-gpu and nvidia backends against fake host trees: sysfs,
 * /proc/driver/nvidia, a real ld.so.cache made by ldconfig over real ELF
 * libraries, and real device nodes made with mknod (so this needs root;
 * without it the tests skip).
 */
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


/* ---- Intel + AMD ---- */

static void pci_device(const char *root, const char *pci, const char *vendor, const char *device, const char *driver,
		       bool absolute_link)
{
	char p[PATH_MAX], t[PATH_MAX];

	snprintf(p, sizeof(p), "sys/devices/pci0000:00/%s/vendor", pci);
	snprintf(t, sizeof(t), "%s\n", vendor);
	write_at(root, p, t);
	snprintf(p, sizeof(p), "sys/devices/pci0000:00/%s/device", pci);
	snprintf(t, sizeof(t), "%s\n", device);
	write_at(root, p, t);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/%s", root, driver);
	mkdir_p(p);
	snprintf(p, sizeof(p), "sys/devices/pci0000:00/%s/driver", pci);
	if (absolute_link)
		snprintf(t, sizeof(t), "/sys/bus/pci/drivers/%s", driver);
	else
		snprintf(t, sizeof(t), "../../../bus/pci/drivers/%s", driver);
	symlink_at(root, t, p);
}

static void drm_node(const char *root, const char *name, const char *sysdev, unsigned minor_, gid_t gid)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "sys/class/drm/%s/device", name);
	symlink_at(root, sysdev, p);
	snprintf(p, sizeof(p), "dev/dri/%s", name);
	assert_int_equal(mknod_at(root, p, 226, minor_, gid), 0);
}

static void make_dri_host(const char *root)
{
	char p[PATH_MAX];

	pci_device(root, "0000:00:02.0", "0x8086", "0x46a6", "i915", true);
	pci_device(root, "0000:03:00.0", "0x1002", "0x73bf", "amdgpu", false);
	drm_node(root, "card0", "/sys/devices/pci0000:00/0000:00:02.0", 0, 44);
	drm_node(root, "renderD128", "/sys/devices/pci0000:00/0000:00:02.0", 128, 993);
	drm_node(root, "card1", "/sys/devices/pci0000:00/0000:03:00.0", 1, 44);
	drm_node(root, "renderD129", "/sys/devices/pci0000:00/0000:03:00.0", 129, 993);
	/* a connector: not a node */
	snprintf(p, sizeof(p), "%s/sys/class/drm/card0-DP-1", root);
	mkdir_p(p);
	symlink_at(root, "../renderD128", "dev/dri/by-path/pci-0000:00:02.0-render");
	symlink_at(root, "../card0", "dev/dri/by-path/pci-0000:00:02.0-card");
}

static void test_dri(void **state)
{
	char *root = make_tmpdir(), cdi[PATH_MAX], host[PATH_MAX];
	ctr_accel_registry *reg;
	const ctr_accel_device *d;
	struct json_object *ed;
	ctr_spec *s = NULL;
	ctr_error *e = NULL;

	(void)state;
	if (!need_root(root)) {
		rm_rf(root);
		free(root);
		skip();
	}
	make_dri_host(root);
	snprintf(cdi, sizeof(cdi), "%s/etc/cdi", root);
	reg = registry_at(root, cdi);
	d = find_dev(reg, "dri/render=0");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "dri");
	assert_string_equal(ctr_accel_device_vendor(d), "intel");
	assert_string_equal(ctr_accel_device_driver(d), "i915");
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:00:02.0");
	snprintf(host, sizeof(host), "%s/dev/dri/renderD128", root);
	assert_string_equal(ctr_accel_device_nodes(d)[0], host);
	assert_null(ctr_accel_device_nodes(d)[1]);
	assert_true(has_cap(d, "by-path=/dev/dri/by-path/pci-0000:00:02.0-render"));
	assert_true(has_cap(d, "vendor-id=0x8086"));
	d = find_dev(reg, "dri/render=1");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_vendor(d), "amd");
	assert_string_equal(ctr_accel_device_driver(d), "amdgpu");
	assert_non_null(find_dev(reg, "dri/card=0"));
	assert_non_null(find_dev(reg, "dri/card=1"));
	assert_null(find_dev(reg, "dri/render=2"));
	/* the virtio-gpu and nvidia backends see nothing here */
	assert_null(find_dev(reg, "virtio-gpu/gpu=0"));
	assert_null(find_dev(reg, "nvidia.com/gpu=all"));

	ed = edits_for(reg, "dri/render=all");
	assert_int_equal(count_nodes(ed), 2);
	assert_true(has_node(ed, "/dev/dri/renderD128") && has_node(ed, "/dev/dri/renderD129"));
	assert_false(has_node(ed, "/dev/dri/card0"));
	assert_true(has_gid(ed, 993));
	assert_false(has_gid(ed, 44));
	json_object_put(ed);
	static const char *const amd[] = { "dri/render=1", "dri/render=amd", "dri/render=amdgpu", "dri/render=0000:03:00.0",
					   "dri/render=0x1002" };
	for (size_t i = 0; i < sizeof(amd) / sizeof(*amd); i++) {
		ed = edits_for(reg, amd[i]);
		assert_int_equal(count_nodes(ed), 1);
		assert_true(has_node(ed, "/dev/dri/renderD129"));
		json_object_put(ed);
	}
	ed = edits_for(reg, "dri/card=i915");
	assert_int_equal(count_nodes(ed), 2);
	assert_true(has_node(ed, "/dev/dri/card0") && has_node(ed, "/dev/dri/renderD128"));
	assert_true(has_gid(ed, 44) && has_gid(ed, 993));
	json_object_put(ed);
	{
		const char *reqs[] = { "dri/render=nouveau", NULL };
		ctr_container_edits *x = NULL;
		assert_int_equal(ctr_accel_registry_edits(reg, reqs, &x, &e), -ENOENT);
		assert_non_null(strstr(ctr_error_message(e), "no GPU matches 'nouveau'"));
		ctr_error_free(e);
		e = NULL;
	}
	/* into a spec: real major/minor from the mknod'ed nodes */
	assert_int_equal(ctr_spec_new_default(&s, NULL), 0);
	if (ctr_spec_add_device(s, reg, "dri/render=intel", &e) != 0)
		fail_msg("%s", ctr_error_message(e));
	{
		struct json_object *lin = json_object_object_get(ctr_spec_json(s), "linux");
		const char *j = json_object_to_json_string_ext(json_object_object_get(lin, "devices"), JSON_C_TO_STRING_PLAIN);
		assert_non_null(strstr(j, "\"major\":226"));
		assert_non_null(strstr(j, "\"minor\":128"));
		assert_null(strstr(j, "\"minor\":129"));
	}
	assert_int_equal(ctr_spec_validate(s, NULL), 0);
	ctr_spec_free(s);
	/* CDI output of the backend is a valid CDI spec */
	{
		char *out = NULL;
		if (ctr_accel_registry_write_cdi(reg, "dri", &out, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
		assert_non_null(strstr(out, "dri/render"));
		/* two kinds (dri/render, dri/card): an array of two CDI documents */
		struct json_object *docs = json_tokener_parse(out);
		assert_non_null(docs);
		assert_true(json_object_is_type(docs, json_type_array));
		assert_int_equal(json_object_array_length(docs), 2);
		for (size_t i = 0; i < 2; i++) {
			const char *one = json_object_to_json_string(json_object_array_get_idx(docs, i));
			if (ctr_cdi_validate_buffer(one, strlen(one), "dri.json", &e) != 0)
				fail_msg("%s\n%s", ctr_error_message(e), one);
		}
		json_object_put(docs);
		ctr_free(out);
	}
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- virtio-gpu guest ---- */

struct fake_virtgpu {
	int calls;
	uint64_t capsets;
	bool fail;
};

static int fake_getparam(void *data, const char *node, uint64_t param, uint64_t *value)
{
	struct fake_virtgpu *f = data;

	f->calls++;
	if (f->fail)
		return -ENOTTY;
	if (!strstr(node, "/dev/dri/renderD128"))
		fail_msg("probe on %s", node);
	switch (param) {
	case 1: *value = 1; return 0;           /* 3D features */
	case 3: *value = 1; return 0;           /* blob */
	case 4: *value = 0; return 0;           /* host visible */
	case 6: *value = 1; return 0;           /* context init */
	case 7: *value = f->capsets; return 0;  /* capset ids */
	default: return -EINVAL;
	}
}

static void test_virtio_gpu(void **state)
{
	char *root = make_tmpdir(), cdi[PATH_MAX];
	ctr_accel_registry *reg;
	const ctr_accel_device *d;
	struct json_object *ed;
	struct fake_virtgpu f = { .capsets = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) };
	struct virtgpu_probe_ops ops = { .getparam = fake_getparam, .data = &f };

	(void)state;
	if (!need_root(root)) {
		rm_rf(root);
		free(root);
		skip();
	}
	write_at(root, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x1af4\n");
	write_at(root, "sys/devices/pci0000:00/0000:00:01.0/virtio0/vendor", "0x1af4\n");
	write_at(root, "sys/devices/pci0000:00/0000:00:01.0/virtio0/device", "0x0010\n");
	mkdir_p(strcat(strcpy(cdi, root), "/sys/bus/virtio/drivers/virtio_gpu"));
	symlink_at(root, "../../../../bus/virtio/drivers/virtio_gpu", "sys/devices/pci0000:00/0000:00:01.0/virtio0/driver");
	drm_node(root, "card0", "../../../devices/pci0000:00/0000:00:01.0/virtio0", 0, 44);
	drm_node(root, "renderD128", "../../../devices/pci0000:00/0000:00:01.0/virtio0", 128, 993);
	snprintf(cdi, sizeof(cdi), "%s/etc/cdi", root);
	reg = registry_at(root, cdi);
	accel_registry_set_virtgpu_probe(reg, &ops);
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	assert_true(f.calls > 0);
	d = find_dev(reg, "virtio-gpu/gpu=0");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_driver(d), "virtio_gpu");
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:00:01.0");
	assert_true(has_cap(d, "3d=yes"));
	assert_true(has_cap(d, "blob=yes"));
	assert_true(has_cap(d, "context-init=yes"));
	assert_true(has_cap(d, "capsets=virgl,virgl2,venus,cross-domain,drm"));
	/* the same GPU is also a plain DRI device */
	assert_non_null(find_dev(reg, "dri/render=0"));
	ed = edits_for(reg, "virtio-gpu/gpu=all");
	assert_true(has_node(ed, "/dev/dri/renderD128") && has_node(ed, "/dev/dri/card0"));
	assert_true(has_str(ed, "env", "VK_DRIVER_FILES=/usr/share/vulkan/icd.d/virtio_icd."));
	json_object_put(ed);
	/* without Venus there is no Vulkan environment; a failed probe is reported */
	f.capsets = 1u << 2;
	ed = edits_for(reg, "virtio-gpu/gpu=0");
	assert_false(has_str(ed, "env", "VK_DRIVER_FILES"));
	json_object_put(ed);
	f.fail = true;
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	d = find_dev(reg, "virtio-gpu/gpu=0");
	assert_non_null(d);
	assert_non_null(strstr(ctr_accel_device_capabilities(d)[0], "probe=failed"));
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

/* ---- NVIDIA: two GPUs, MIG on the first ---- */

#define NV_VER "550.54.14"

static void make_lib(const char *root, const char *dir, const char *file, const char *soname)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s%s' && echo 'int ctr_fake_%d;' | cc -shared -fPIC -x c - -Wl,-soname,%s -o '%s%s/%s'",
		 root, dir, (int)strlen(file), soname, root, dir, file);
	if (system(cmd) != 0)
		fail_msg("cannot build %s: %s", file, cmd);
}

static bool make_nvidia_host(const char *root)
{
	char cmd[PATH_MAX * 2];
	const char *lib = "/usr/lib/x86_64-linux-gnu";

	write_at(root, "proc/driver/nvidia/version",
		 "NVRM version: NVIDIA UNIX x86_64 Kernel Module  " NV_VER "  Thu Feb 22 01:44:30 UTC 2024\n"
		 "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
	write_at(root, "proc/driver/nvidia/gpus/0000:41:00.0/information",
		 "Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ:   \t\t 100\nGPU UUID: \t GPU-11111111-2222-3333-4444-555555555555\n"
		 "Video BIOS: \t 92.00.45.00.06\nBus Type: \t PCIe\nDMA Size: \t 47 bits\nDevice Minor: \t 0\n"
		 "Bus Location: \t 0000:41:00.0\n");
	write_at(root, "proc/driver/nvidia/gpus/0000:81:00.0/information",
		 "Model: \t\t NVIDIA A100-SXM4-40GB\nGPU UUID: \t GPU-66666666-7777-8888-9999-000000000000\n"
		 "Device Minor: \t 1\nBus Location: \t 0000:81:00.0\n");
	write_at(root, "proc/driver/nvidia/capabilities/gpu0/mig/gi1/access", "DeviceFileMinor: 12\nDeviceFileMode: 292\n");
	write_at(root, "proc/driver/nvidia/capabilities/gpu0/mig/gi1/ci0/access", "DeviceFileMinor: 13\nDeviceFileMode: 292\n");
	assert_int_equal(mknod_at(root, "dev/nvidia0", 195, 0, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia1", 195, 1, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidiactl", 195, 255, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia-modeset", 195, 254, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia-uvm", 510, 0, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia-uvm-tools", 510, 1, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia-caps/nvidia-cap12", 511, 12, 0), 0);
	assert_int_equal(mknod_at(root, "dev/nvidia-caps/nvidia-cap13", 511, 13, 0), 0);
	/* nvidia-drm exposes the first GPU as card1/renderD128 */
	pci_device(root, "0000:41:00.0", "0x10de", "0x20b0", "nvidia", false);
	drm_node(root, "card1", "/sys/devices/pci0000:00/0000:41:00.0", 1, 44);
	drm_node(root, "renderD128", "/sys/devices/pci0000:00/0000:41:00.0", 128, 993);
	make_lib(root, lib, "libcuda.so." NV_VER, "libcuda.so.1");
	make_lib(root, lib, "libnvidia-ml.so." NV_VER, "libnvidia-ml.so.1");
	make_lib(root, lib, "libnvidia-old.so.535.0.0", "libnvidia-old.so.1");
	make_lib(root, lib, "libz-not-nvidia.so.1.0", "libz-not-nvidia.so.1");
	write_at(root, "etc/ld.so.conf", "/usr/lib/x86_64-linux-gnu\n");
	snprintf(cmd, sizeof(cmd), "ldconfig -r '%s' -C /etc/ld.so.cache 2>/dev/null", root);
	if (system(cmd) != 0) {
		print_message("ldconfig -r failed: skipping\n");
		return false;
	}
	write_at(root, "usr/bin/nvidia-smi", "#!/bin/sh\necho fake nvidia-smi\n");
	write_at(root, "lib/firmware/nvidia/" NV_VER "/gsp_ga10x.bin", "fw");
	return true;
}

static void test_nvidia(void **state)
{
	char *root = make_tmpdir(), cdi[PATH_MAX], p[PATH_MAX];
	ctr_accel_registry *reg;
	const ctr_accel_device *d;
	struct json_object *ed;
	char **errs = NULL;

	(void)state;
	if (!need_root(root) || !make_nvidia_host(root)) {
		rm_rf(root);
		free(root);
		skip();
	}
	snprintf(cdi, sizeof(cdi), "%s/etc/cdi", root);
	reg = registry_at(root, cdi);
	d = find_dev(reg, "nvidia.com/gpu=0");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "nvidia");
	assert_string_equal(ctr_accel_device_pci_address(d), "0000:41:00.0");
	assert_true(has_cap(d, "uuid=GPU-11111111-2222-3333-4444-555555555555"));
	assert_true(has_cap(d, "driver-version=" NV_VER));
	assert_true(has_cap(d, "mig-devices=1"));
	assert_non_null(find_dev(reg, "nvidia.com/gpu=1"));
	assert_non_null(find_dev(reg, "nvidia.com/gpu=0:1:0"));
	assert_non_null(find_dev(reg, "nvidia.com/gpu=all"));

	ed = edits_for(reg, "nvidia.com/gpu=all");
	static const char *const nodes[] = { "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-uvm",
					     "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/dri/card1",
					     "/dev/dri/renderD128" };
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
		if (!has_node(ed, nodes[i]))
			fail_msg("missing node %s in %s", nodes[i], json_object_to_json_string(ed));
	assert_false(has_node(ed, "/dev/nvidia-caps/nvidia-cap12"));
	assert_true(has_mount(ed, "/usr/lib/x86_64-linux-gnu/libcuda.so." NV_VER));
	assert_true(has_mount(ed, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so." NV_VER));
	assert_false(has_mount(ed, "/usr/lib/x86_64-linux-gnu/libnvidia-old.so.535.0.0"));
	assert_false(has_mount(ed, "/usr/lib/x86_64-linux-gnu/libz-not-nvidia.so.1.0"));
	assert_true(has_mount(ed, "/usr/bin/nvidia-smi"));
	assert_true(has_mount(ed, "/lib/firmware/nvidia/" NV_VER));
	assert_true(has_str(ed, "hooks", "libcuda.so." NV_VER "::/usr/lib/x86_64-linux-gnu/libcuda.so.1"));
	assert_true(has_str(ed, "hooks", "update-ldcache"));
	json_object_put(ed);

	ed = edits_for(reg, "nvidia.com/gpu=0:1:0");
	assert_true(has_node(ed, "/dev/nvidia0") && has_node(ed, "/dev/nvidia-caps/nvidia-cap12") &&
		    has_node(ed, "/dev/nvidia-caps/nvidia-cap13") && has_node(ed, "/dev/nvidiactl"));
	assert_false(has_node(ed, "/dev/nvidia1"));
	json_object_put(ed);
	ed = edits_for(reg, "nvidia.com/gpu=GPU-66666666-7777-8888-9999-000000000000");
	assert_true(has_node(ed, "/dev/nvidia1"));
	assert_false(has_node(ed, "/dev/nvidia0"));
	json_object_put(ed);

	/* our CDI output validates, and served from /etc/cdi it is fresh: the cdi backend takes over */
	{
		char *out = NULL;
		ctr_error *e = NULL;
		if (ctr_accel_registry_write_cdi(reg, "nvidia", &out, &e) != 0)
			fail_msg("%s", ctr_error_message(e));
		assert_int_equal(ctr_cdi_validate_buffer(out, strlen(out), "nvidia.json", NULL), 0);
		write_at(cdi, "nvidia.json", out);
		ctr_free(out);
	}
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	d = find_dev(reg, "nvidia.com/gpu=all");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "cdi");
	ed = edits_for(reg, "nvidia.com/gpu=1");
	assert_true(has_node(ed, "/dev/nvidia1"));
	json_object_put(ed);

	/* a stale spec (another driver version in its library paths) is set aside */
	snprintf(p, sizeof(p), "%s/nvidia.json", cdi);
	unlink(p);
	write_at(cdi, "nvidia.yaml",
		 "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: all\n  containerEdits:\n"
		 "    deviceNodes:\n    - path: /dev/nvidia0\n"
		 "containerEdits:\n  mounts:\n  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05\n"
		 "    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05\n    options: [ro, nosuid, nodev, bind]\n");
	assert_int_equal(ctr_accel_registry_refresh(reg, NULL), 0);
	d = find_dev(reg, "nvidia.com/gpu=all");
	assert_non_null(d);
	assert_string_equal(ctr_accel_device_backend(d), "nvidia");
	assert_int_equal(ctr_accel_registry_errors(reg, &errs, NULL), 0);
	assert_non_null(errs[0]);
	assert_non_null(strstr(errs[0], "stale"));
	assert_non_null(strstr(errs[0], "535.104.05"));
	ctr_strv_free(errs);
	ctr_accel_registry_free(reg);
	rm_rf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dri),
		cmocka_unit_test(test_virtio_gpu),
		cmocka_unit_test(test_nvidia),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

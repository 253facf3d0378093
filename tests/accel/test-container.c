/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Real containers through the public API: an Intel+AMD DRI host (fake
 * sysfs, nodes made with mknod) and a container given dri/render=amd must
 * see exactly the AMD render node, be able to open it, hold the node's
 * group, and see no other GPU node (nor be able to make one).  The fake
 * render nodes carry the numbers of /dev/null and /dev/zero so that opening
 * them works without a GPU driver.  The process has runc's default
 * capabilities, so it cannot mknod a node it was not given.  argv[1]: the busybox bundle.  Root only
 * (exit 77 otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <ctr/ctr.h>
#include "common.h"

#define CHECK(c)                                                                             \
	do {                                                                                 \
		if (!(c)) {                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			failed = 1;                                                          \
			goto out;                                                            \
		}                                                                            \
	} while (0)

static int ctr_read_file_for_test(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 65536;

	if (!f)
		return -errno;
	*out = calloc(1, cap + 1);
	*len = *out ? fread(*out, 1, cap, f) : 0;
	fclose(f);
	return *out ? 0 : -ENOMEM;
}

/* Show what the container wrote, as TAP comments. */
static void print_said(const char *who, const char *out)
{
	printf("# %s said:\n", who);
	for (const char *l = out, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		printf("#   %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
		if (nl)
			nl++;
	}
}

static void gpu(const char *root, const char *pci, const char *vendor, const char *driver)
{
	char p[PATH_MAX], t[PATH_MAX];

	snprintf(p, sizeof(p), "sys/devices/pci0000:00/%s/vendor", pci);
	snprintf(t, sizeof(t), "%s\n", vendor);
	write_at(root, p, t);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/%s", root, driver);
	mkdir_p(p);
	snprintf(p, sizeof(p), "sys/devices/pci0000:00/%s/driver", pci);
	snprintf(t, sizeof(t), "../../../bus/pci/drivers/%s", driver);
	symlink_at(root, t, p);
}

static int node(const char *root, const char *name, const char *pci, unsigned ma, unsigned mi, gid_t gid)
{
	char p[PATH_MAX], t[PATH_MAX];

	snprintf(p, sizeof(p), "sys/class/drm/%s/device", name);
	snprintf(t, sizeof(t), "/sys/devices/pci0000:00/%s", pci);
	symlink_at(root, t, p);
	snprintf(p, sizeof(p), "dev/dri/%s", name);
	return mknod_at(root, p, ma, mi, gid);
}

static int nvidia_scenario(const char *bundle);

int main(int argc, char **argv)
{
	char *host = NULL, *work = NULL, cmd[PATH_MAX * 3], rootfs[PATH_MAX], cfg[PATH_MAX], res[PATH_MAX];
	const char *dirs[] = { "/nonexistent-ctr-cdi", NULL };
	const char *script[] = { "/bin/sh", "-c",
				 "exec >/result 2>&1; ls /dev/dri; "
				 "test -c /dev/dri/renderD129 && echo HAVE-129; "
				 "test -e /dev/dri/renderD128 && echo HAVE-128; "
				 "test -e /dev/dri/card0 -o -e /dev/dri/card1 && echo HAVE-CARD; "
				 "echo data > /dev/dri/renderD129 && echo OPEN-129-OK; "
				 "mknod /dev/dri/stolen c 1 5 2>/dev/null && echo MKNOD-OK; "
				 "echo GROUPS $(id -G); echo DONE",
				 NULL };
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_error *e = NULL;
	char *out = NULL;
	size_t len;
	int status = -1, failed = 0;
	char id[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s <busybox-bundle>\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	host = make_tmpdir();
	work = make_tmpdir();
	gpu(host, "0000:00:02.0", "0x8086", "i915");
	gpu(host, "0000:03:00.0", "0x1002", "amdgpu");
	if (node(host, "card0", "0000:00:02.0", 1, 7, 44) < 0 || node(host, "renderD128", "0000:00:02.0", 1, 5, 993) < 0 ||
	    node(host, "card1", "0000:03:00.0", 1, 7, 44) < 0 || node(host, "renderD129", "0000:03:00.0", 1, 3, 993) < 0) {
		fprintf(stderr, "mknod failed\n");
		failed = 1;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "cp -a '%s/rootfs' '%s/rootfs'", argv[1], work);
	CHECK(system(cmd) == 0);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", work);
	snprintf(cfg, sizeof(cfg), "%s/config.json", argv[1]);

	ctr_context_options co;
	ctr_context_options_init(&co);
	co.state_root = work;
	CHECK(ctr_context_new(&ctx, &co, &e) == 0);
	ctr_accel_registry_options_init(&o);
	o.host_root = host;
	o.cdi_dirs = dirs;
	CHECK(ctr_accel_registry_new(ctx, &reg, &o, &e) == 0);
	/* runc's default capabilities (no CAP_MKNOD), as engines give containers */
	{
		char *text = NULL, *at, *buf;
		size_t tl = 0;
		static const char caps[] =
			"\"capabilities\": {\"bounding\": [\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
			"\"effective\": [\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
			"\"permitted\": [\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]}, ";
		CHECK(ctr_read_file_for_test(cfg, &text, &tl) == 0);
		at = strstr(text, "\"noNewPrivileges\"");
		CHECK(at != NULL);
		buf = malloc(tl + sizeof(caps) + 1);
		CHECK(buf != NULL);
		memcpy(buf, text, (size_t)(at - text));
		strcpy(buf + (at - text), caps);
		strcat(buf, at);
		free(text);
		int lr = ctr_spec_load_buffer(&spec, buf, strlen(buf), cfg, &e);
		free(buf);
		CHECK(lr == 0);
	}
	CHECK(ctr_spec_set_root(spec, rootfs, 0, &e) == 0);
	CHECK(ctr_spec_set_args(spec, script, &e) == 0);
	CHECK(ctr_spec_add_device(spec, reg, "dri/render=amd", &e) == 0);
	snprintf(id, sizeof(id), "accel-%d", (int)getpid());
	if (ctr_run(ctx, id, spec, NULL, &status, &e) != 0) {
		fprintf(stderr, "run: %s\n", ctr_error_message(e));
		failed = 1;
		goto out;
	}
	snprintf(res, sizeof(res), "%s/result", rootfs);
	CHECK(ctr_read_file_for_test(res, &out, &len) == 0);
	print_said("container", out);
	CHECK(strstr(out, "DONE"));
	CHECK(strstr(out, "HAVE-129"));
	CHECK(strstr(out, "OPEN-129-OK"));
	CHECK(!strstr(out, "HAVE-128"));
	CHECK(!strstr(out, "HAVE-CARD"));
	CHECK(!strstr(out, "MKNOD-OK"));
	CHECK(strstr(out, " 993"));
	CHECK(status == 0);
out:
	if (e)
		fprintf(stderr, "error: %s\n", ctr_error_message(e));
	ctr_error_free(e);
	free(out);
	ctr_spec_free(spec);
	ctr_accel_registry_free(reg);
	ctr_context_free(ctx);
	rm_rf(host);
	rm_rf(work);
	free(host);
	free(work);
	printf("1..2\n%s 1 - container sees exactly the requested DRI node\n", failed ? "not ok" : "ok");
	{
		int nf = nvidia_scenario(argv[1]);
		printf("%s 2 - container sees exactly the requested NVIDIA GPU, its libraries and tools\n",
		       nf ? "not ok" : "ok");
		failed |= nf;
	}
	return failed;
}

/* Drop "hooks" from every containerEdits of a CDI document (see nvidia_scenario). */
static void strip_hooks(struct json_object *doc)
{
	struct json_object *devs, *ed;

	if (json_object_object_get_ex(doc, "containerEdits", &ed))
		json_object_object_del(ed, "hooks");
	if (json_object_object_get_ex(doc, "devices", &devs))
		for (size_t i = 0; i < json_object_array_length(devs); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(devs, i), "containerEdits", &ed))
				json_object_object_del(ed, "hooks");
}

/*
 * An NVIDIA host with two GPUs; the container asks for the second.  The
 * device nodes carry the numbers of /dev/null, /dev/zero, ... so they open
 * without the driver; the libraries are real ELF files built here and found
 * through an ld.so.cache made by ldconfig.  The nvidia backend's edits are
 * written as a CDI spec without their hooks (the lifecycle does not run the
 * native hook verbs yet; they are tested in accel-hooks-native) and served
 * by the cdi backend.
 */
static int nvidia_scenario(const char *bundle)
{
	char *host = make_tmpdir(), *work = make_tmpdir(), cmd[PATH_MAX * 3], rootfs[PATH_MAX], cdi[PATH_MAX],
	     res[PATH_MAX];
	const char *dirs[] = { cdi, NULL };
	const char *lib = "/usr/lib/x86_64-linux-gnu";
	const char *script[] = { "/bin/sh", "-c",
				 "exec >/result 2>&1; ls /dev; "
				 "test -c /dev/nvidia1 && echo HAVE-1; test -e /dev/nvidia0 && echo HAVE-0; "
				 "test -c /dev/nvidiactl && echo HAVE-CTL; "
				 "echo x > /dev/nvidia1 && echo OPEN-1-OK; "
				 "test -f /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14 && echo HAVE-LIBCUDA; "
				 "test -e /usr/lib/x86_64-linux-gnu/libnvidia-old.so.535.0.0 && echo HAVE-OLD; "
				 "/usr/bin/nvidia-smi; echo VISIBLE=$NVIDIA_VISIBLE_DEVICES; echo DONE",
				 NULL };
	ctr_context_options co;
	ctr_accel_registry_options o;
	ctr_context *ctx = NULL;
	ctr_accel_registry *reg = NULL;
	ctr_spec *spec = NULL;
	ctr_error *e = NULL;
	char *out = NULL, *text = NULL, id[64];
	size_t len;
	int status = -1, failed = 0;
	struct json_object *docs = NULL;

	snprintf(cdi, sizeof(cdi), "%s/etc/cdi", host);
	write_at(host, "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22\n");
	write_at(host, "proc/driver/nvidia/gpus/0000:41:00.0/information",
		 "Model: \t A100\nGPU UUID: \t GPU-aaaa\nDevice Minor: \t 0\nBus Location: \t 0000:41:00.0\n");
	write_at(host, "proc/driver/nvidia/gpus/0000:81:00.0/information",
		 "Model: \t A100\nGPU UUID: \t GPU-bbbb\nDevice Minor: \t 1\nBus Location: \t 0000:81:00.0\n");
	CHECK(mknod_at(host, "dev/nvidia0", 1, 5, 0) == 0);
	CHECK(mknod_at(host, "dev/nvidia1", 1, 3, 0) == 0);
	CHECK(mknod_at(host, "dev/nvidiactl", 1, 7, 0) == 0);
	CHECK(mknod_at(host, "dev/nvidia-uvm", 1, 9, 0) == 0);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p '%s%s'; cd '%s%s'; "
		 "echo 'int a;' | cc -shared -fPIC -x c - -Wl,-soname,libcuda.so.1 -o libcuda.so.550.54.14; "
		 "echo 'int b;' | cc -shared -fPIC -x c - -Wl,-soname,libnvidia-ml.so.1 -o libnvidia-ml.so.550.54.14; "
		 "echo 'int c;' | cc -shared -fPIC -x c - -Wl,-soname,libnvidia-old.so.1 -o libnvidia-old.so.535.0.0; "
		 "mkdir -p '%s/etc'; echo /usr/lib/x86_64-linux-gnu > '%s/etc/ld.so.conf'; "
		 "ldconfig -r '%s' -C /etc/ld.so.cache",
		 host, lib, host, lib, host, host, host);
	CHECK(system(cmd) == 0);
	write_at(host, "usr/bin/nvidia-smi", "#!/bin/sh\necho NVIDIA-SMI-RAN\n");
	snprintf(cmd, sizeof(cmd), "chmod 755 '%s/usr/bin/nvidia-smi' && cp -a '%s/rootfs' '%s/rootfs'", host, bundle, work);
	CHECK(system(cmd) == 0);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", work);

	ctr_context_options_init(&co);
	co.state_root = work;
	CHECK(ctr_context_new(&ctx, &co, &e) == 0);
	ctr_accel_registry_options_init(&o);
	o.host_root = host;
	o.cdi_dirs = dirs;
	CHECK(ctr_accel_registry_new(ctx, &reg, &o, &e) == 0);
	CHECK(ctr_accel_registry_write_cdi(reg, "nvidia", &text, &e) == 0);
	docs = json_tokener_parse(text);
	CHECK(docs != NULL);
	strip_hooks(docs);
	write_at(cdi, "nvidia.json", json_object_to_json_string(docs));
	CHECK(ctr_accel_registry_refresh(reg, &e) == 0);
	snprintf(cmd, sizeof(cmd), "%s/config.json", bundle);
	CHECK(ctr_spec_load_file(&spec, cmd, &e) == 0);
	CHECK(ctr_spec_set_root(spec, rootfs, 0, &e) == 0);
	CHECK(ctr_spec_set_args(spec, script, &e) == 0);
	CHECK(ctr_spec_add_device(spec, reg, "nvidia.com/gpu=1", &e) == 0);
	snprintf(id, sizeof(id), "accel-nv-%d", (int)getpid());
	if (ctr_run(ctx, id, spec, NULL, &status, &e) != 0) {
		fprintf(stderr, "run: %s\n", ctr_error_message(e));
		failed = 1;
		goto out;
	}
	snprintf(res, sizeof(res), "%s/result", rootfs);
	CHECK(ctr_read_file_for_test(res, &out, &len) == 0);
	print_said("nvidia container", out);
	CHECK(strstr(out, "DONE"));
	CHECK(strstr(out, "HAVE-1"));
	CHECK(strstr(out, "HAVE-CTL"));
	CHECK(strstr(out, "OPEN-1-OK"));
	CHECK(!strstr(out, "HAVE-0"));
	CHECK(strstr(out, "HAVE-LIBCUDA"));
	CHECK(!strstr(out, "HAVE-OLD"));
	CHECK(strstr(out, "NVIDIA-SMI-RAN"));
	CHECK(strstr(out, "VISIBLE=void"));
	CHECK(status == 0);
out:
	if (e)
		fprintf(stderr, "error: %s\n", ctr_error_message(e));
	ctr_error_free(e);
	json_object_put(docs);
	ctr_free(text);
	free(out);
	ctr_spec_free(spec);
	ctr_accel_registry_free(reg);
	ctr_context_free(ctx);
	rm_rf(host);
	rm_rf(work);
	free(host);
	free(work);
	return failed;
}

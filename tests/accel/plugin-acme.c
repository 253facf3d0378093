/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A third-party accelerator backend built as a plugin: one versioned entry
 * point, public API only.  Built twice: as is, and with ACME_BAD_ABI to
 * claim an ABI version this libctr does not speak.
 */
#include <errno.h>
#include <string.h>

#include <ctr/ctr.h>

#ifdef ACME_BAD_ABI
#define ACME_ABI (CTR_ACCEL_BACKEND_ABI + 41)
#define ACME_NAME "acme-future"
#else
#define ACME_ABI CTR_ACCEL_BACKEND_ABI
#define ACME_NAME "acme-plugin"
#endif

const ctr_accel_backend_ops *ctr_accel_plugin_entry(void **data);

static int acme_discover(void *data, const char *root, ctr_accel_discovery *disc, ctr_error **err)
{
	ctr_accel_device_info info;
	const char *nodes[] = { "/dev/null", NULL };
	const char *caps[] = { "lanes=8", NULL };

	(void)root;
	ctr_accel_device_info_init(&info);
	info.kind = "acme.example/npu";
	info.name = "0";
	info.vendor = (const char *)data;
	info.driver = "acme_npu";
	info.nodes = nodes;
	info.capabilities = caps;
	return ctr_accel_discovery_add(disc, &info, err);
}

static int acme_edits(void *data, const char *root, const char *request, ctr_container_edits *edits, ctr_error **err)
{
	int r;

	(void)data;
	(void)root;
	if (strcmp(request, "acme.example/npu=0") != 0)
		return -ENOENT;
	if ((r = ctr_container_edits_add_device_node(edits, "/dev/npu0", "/dev/null", "rw", err)) < 0)
		return r;
	return ctr_container_edits_add_env(edits, "ACME_NPU=0", err);
}

static const ctr_accel_backend_ops acme_ops = {
	.abi_version = ACME_ABI,
	.size = sizeof(ctr_accel_backend_ops),
	.name = ACME_NAME,
	.discover = acme_discover,
	.edits = acme_edits,
};

__attribute__((visibility("default"))) const ctr_accel_backend_ops *ctr_accel_plugin_entry(void **data)
{
	static char vendor[] = "acme";

	*data = vendor;
	return &acme_ops;
}

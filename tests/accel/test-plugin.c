/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plugins through the public API of libctr.so: a plugin directory with a
 * good plugin and one built for another backend ABI (refused, reported).
 * argv[1] is the plugin directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctr/ctr.h>

#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			return 1;                                                        \
		}                                                                        \
	} while (0)

int main(int argc, char **argv)
{
	const char *dirs[] = { "/nonexistent-ctr-cdi", NULL };
	ctr_accel_registry_options o;
	ctr_accel_registry *reg = NULL;
	ctr_error *e = NULL;
	char **errs = NULL, **backends = NULL, *json = NULL;
	const char *reqs[] = { "acme.example/npu=0", NULL };
	ctr_container_edits *ed = NULL;
	const ctr_accel_device *d = NULL;
	int refused = 0, found = 0;
	char path[4096];

	CHECK(argc == 2);
	ctr_accel_registry_options_init(&o);
	o.cdi_dirs = dirs;
	o.plugin_dir = argv[1];
	o.no_builtin = 1;
	if (ctr_accel_registry_new(NULL, &reg, &o, &e) != 0) {
		fprintf(stderr, "registry: %s\n", ctr_error_message(e));
		return 1;
	}
	CHECK(ctr_accel_registry_backends(reg, &backends, NULL) == 0);
	for (size_t i = 0; backends[i]; i++) {
		found += strcmp(backends[i], "acme-plugin") == 0;
		CHECK(strcmp(backends[i], "acme-future") != 0);
	}
	CHECK(found == 1);
	ctr_strv_free(backends);
	CHECK(ctr_accel_registry_errors(reg, &errs, NULL) == 0);
	for (size_t i = 0; errs[i]; i++) {
		printf("# registry error: %s\n", errs[i]);
		if (strstr(errs[i], "acme-future") && strstr(errs[i], "ABI 42") && strstr(errs[i], "rebuild"))
			refused++;
	}
	ctr_strv_free(errs);
	CHECK(refused == 1);
	CHECK(ctr_accel_registry_device_count(reg) == 1);
	d = ctr_accel_registry_device(reg, 0);
	CHECK(strcmp(ctr_accel_device_name(d), "acme.example/npu=0") == 0);
	CHECK(strcmp(ctr_accel_device_backend(d), "acme-plugin") == 0);
	CHECK(strcmp(ctr_accel_device_vendor(d), "acme") == 0);
	CHECK(ctr_accel_registry_edits(reg, reqs, &ed, &e) == 0);
	CHECK(ctr_container_edits_to_json(ed, &json, NULL) == 0);
	CHECK(strstr(json, "ACME_NPU=0") != NULL);
	ctr_free(json);
	ctr_container_edits_free(ed);
	/* loading the refused one directly gives the error to the caller */
	snprintf(path, sizeof(path), "%s/libaccel-plugin-acme-badabi.so", argv[1]);
	CHECK(ctr_accel_registry_load_plugin(reg, path, &e) == -EINVAL);
	CHECK(strstr(ctr_error_message(e), "ABI") != NULL);
	ctr_error_free(e);
	e = NULL;
	snprintf(path, sizeof(path), "%s/no-such-plugin.so", argv[1]);
	CHECK(ctr_accel_registry_load_plugin(reg, path, &e) == -EINVAL);
	ctr_error_free(e);
	ctr_accel_registry_free(reg);
	printf("1..1\nok 1 - plugins\n");
	return 0;
}

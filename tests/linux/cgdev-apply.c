/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test driver for lib/linux/cgroup-devices.c, used by
 * tests/integration/test-devices-cgroup.sh against the real cgroupfs:
 *   cgdev-apply v1|v2 CGROUP_DIR 'RESOURCES_DEVICES_JSON'
 *       the default rules then the JSON array (linux.resources.devices),
 *       written to a v1 devices cgroup or attached as a v2 program
 *   cgdev-apply progs CGROUP_DIR
 *       prints the ids and names of the device programs attached to a cgroup2 dir
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup-devices.h"

static int progs(int dirfd)
{
	struct ctr_cgdev_prog *v;
	size_t n;
	ctr_error *err = NULL;
	if (ctr_cgdev_v2_query(dirfd, &v, &n, &err) < 0) {
		fprintf(stderr, "cgdev-apply: %s\n", ctr_error_message(err));
		ctr_error_free(err);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%u %s\n", v[i].id, v[i].name);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s v1|v2 DIR JSON | progs DIR\n", argv[0]);
		return 2;
	}
	int dirfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "progs"))
		return progs(dirfd);
	if (argc < 4)
		return 2;
	struct json_object *arr = json_tokener_parse(argv[3]);
	if (!arr) {
		fprintf(stderr, "bad JSON: %s\n", argv[3]);
		return 2;
	}
	ctr_error *err = NULL;
	struct ctr_dev_rule *rules = NULL;
	size_t n = 0;
	int r = ctr_cgdev_rules_build(NULL, arr, &rules, &n, &err);
	if (r == 0)
		r = !strcmp(argv[1], "v1") ? ctr_cgdev_apply_v1(dirfd, rules, n, &err)
					   : ctr_cgdev_apply_v2(dirfd, rules, n, false, &err);
	if (r < 0)
		fprintf(stderr, "cgdev-apply: %s\n", ctr_error_message(err));
	ctr_error_free(err);
	free(rules);
	json_object_put(arr);
	close(dirfd);
	return r < 0 ? 1 : 0;
}

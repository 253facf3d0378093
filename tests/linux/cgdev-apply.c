/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test driver for lib/linux/cgroup-devices.c, used by
 * tests/integration/test-devices-cgroup.sh against the real cgroupfs:
 *   cgdev-apply v1|v2 CGROUP_DIR 'RESOURCES_DEVICES_JSON'
 *       the default rules then the JSON array (linux.resources.devices),
 *       written to a v1 devices cgroup or attached as a v2 program
 *   cgdev-apply progs CGROUP_DIR
 *       prints the names of the device programs attached to a cgroup2 dir
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup-devices.h"

static int progs(int dirfd)
{
	uint32_t ids[64];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)dirfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uintptr_t)ids;
	a.query.prog_cnt = 64;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof(a)) < 0) {
		perror("BPF_PROG_QUERY");
		return 1;
	}
	for (uint32_t i = 0; i < a.query.prog_cnt; i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		int fd = (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &g, sizeof(g));
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		memset(&g, 0, sizeof(g));
		g.info.bpf_fd = (uint32_t)fd;
		g.info.info_len = sizeof(info);
		g.info.info = (uintptr_t)&info;
		if (fd < 0 || syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &g, sizeof(g)) < 0) {
			perror("bpf prog info");
			return 1;
		}
		printf("%u %s\n", ids[i], info.name);
		close(fd);
	}
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
					   : ctr_cgdev_apply_v2(dirfd, rules, n, &err);
	if (r < 0)
		fprintf(stderr, "cgdev-apply: %s\n", ctr_error_message(err));
	ctr_error_free(err);
	free(rules);
	json_object_put(arr);
	close(dirfd);
	return r < 0 ? 1 : 0;
}

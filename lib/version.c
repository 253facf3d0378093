/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define STR2(x) #x
#define STR(x) STR2(x)

CTR_EXPORT const char *ctr_version(void)
{
	return STR(CTR_VERSION_MAJOR) "." STR(CTR_VERSION_MINOR) "." STR(CTR_VERSION_MICRO);
}

CTR_EXPORT unsigned ctr_version_number(void)
{
	return CTR_VERSION_NUMBER;
}

static int have_ns(const char *name)
{
	char path[64] = "/proc/self/ns/";
	strncat(path, name, sizeof(path) - strlen(path) - 1);
	return access(path, F_OK) == 0;
}

CTR_EXPORT int ctr_has_feature(const char *name)
{
	static const char *const always[] = { "spec", "lifecycle", "exec", "terminal", "hooks", "pidfd" };
	static const struct {
		const char *feature, *ns;
	} ns[] = {
		{ "namespaces.pid", "pid" },   { "namespaces.network", "net" }, { "namespaces.mount", "mnt" },
		{ "namespaces.ipc", "ipc" },   { "namespaces.uts", "uts" },	{ "namespaces.user", "user" },
		{ "namespaces.cgroup", "cgroup" }, { "namespaces.time", "time" },
	};
	if (!name)
		return 0;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(always); i++)
		if (strcmp(name, always[i]) == 0)
			return 1;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(ns); i++)
		if (strcmp(name, ns[i].feature) == 0)
			return have_ns(ns[i].ns);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name tables of the runtime-spec: namespaces, capabilities, rlimits. */
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/spec-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* linux/sched.h, Linux 5.6 */
#endif

static const struct {
	const char *name;
	int flag;
} ns_table[OCI_NS_COUNT] = {
	[OCI_NS_PID] = {"pid", CLONE_NEWPID},		[OCI_NS_NETWORK] = {"network", CLONE_NEWNET},
	[OCI_NS_MOUNT] = {"mount", CLONE_NEWNS},	[OCI_NS_IPC] = {"ipc", CLONE_NEWIPC},
	[OCI_NS_UTS] = {"uts", CLONE_NEWUTS},		[OCI_NS_USER] = {"user", CLONE_NEWUSER},
	[OCI_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [OCI_NS_TIME] = {"time", CLONE_NEWTIME},
};

int oci_namespace_type_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (strcmp(ns_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *oci_namespace_type_name(enum oci_ns_type type)
{
	return (unsigned)type < OCI_NS_COUNT ? ns_table[type].name : NULL;
}

int oci_namespace_clone_flag(enum oci_ns_type type)
{
	return (unsigned)type < OCI_NS_COUNT ? ns_table[type].flag : 0;
}

/* Indexed by the kernel's capability number (linux/capability.h). */
static const char *const cap_names[] = {
	"CAP_CHOWN",		"CAP_DAC_OVERRIDE",	"CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID",		"CAP_KILL",		"CAP_SETGID",	       "CAP_SETUID",
	"CAP_SETPCAP",		"CAP_LINUX_IMMUTABLE",	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",	"CAP_NET_RAW",		"CAP_IPC_LOCK",	       "CAP_IPC_OWNER",
	"CAP_SYS_MODULE",	"CAP_SYS_RAWIO",	"CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",	"CAP_SYS_ADMIN",	"CAP_SYS_BOOT",	       "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",	"CAP_SYS_TIME",		"CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
	"CAP_LEASE",		"CAP_AUDIT_WRITE",	"CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",	"CAP_MAC_ADMIN",	"CAP_SYSLOG",	       "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",	"CAP_AUDIT_READ",	"CAP_PERFMON",	       "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int oci_capability_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(cap_names); i++)
		if (strcmp(cap_names[i], name) == 0)
			return (int)i;
	return -1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{"RLIMIT_AS", RLIMIT_AS},		{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},		{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},		{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},		{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},		{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

int oci_rlimit_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

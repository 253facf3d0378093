/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal typed model of an OCI runtime-spec config.json (Linux).
 *
 * The spec handle (struct ctr_spec) keeps the JSON tree as the source of
 * truth so unknown fields survive a round trip; oci_config_from_spec()
 * validates that tree and produces this typed, owned view that lib/linux
 * consumes.  Every pointer here is owned by the struct and released by
 * oci_config_free().  String arrays are NULL-terminated with a count beside.
 * Optional scalars carry a has_ flag.
 */
#ifndef CTR_LIB_SPEC_OCI_H
#define CTR_LIB_SPEC_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr/error.h"
#include "ctr/spec.h"

struct json_object;

struct oci_mount {
	char *destination;   /* absolute, required (a relative one is taken relative to "/" and stored with it) */
	char *type;          /* may be NULL */
	char *source;        /* may be NULL */
	char **options;      /* may be NULL */
	size_t n_options;
	/* uid/gid mappings for idmapped mounts */
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_rlimit {
	int resource;        /* RLIMIT_* number, resolved from the "type" name */
	char *type;          /* the name as given, e.g. "RLIMIT_NOFILE" */
	uint64_t soft;
	uint64_t hard;
};

struct oci_capabilities {
	/* each NULL when absent; capability names as given, e.g. "CAP_CHOWN" */
	char **bounding;   size_t n_bounding;
	char **effective;  size_t n_effective;
	char **inheritable;size_t n_inheritable;
	char **permitted;  size_t n_permitted;
	char **ambient;    size_t n_ambient;
	bool present;      /* process.capabilities exists */
};

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;      /* Windows only in the spec; kept, unused */
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height;
	uint32_t console_width;
	struct oci_user user;
	char **args;         /* required for start; at least one element */
	size_t n_args;
	char *command_line;  /* Windows; kept, unused */
	char **env;          /* "K=V" */
	size_t n_env;
	char *cwd;           /* absolute, required */
	struct oci_capabilities capabilities;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *selinux_label;
	/* ioPriority, scheduler, execCPUAffinity: stored raw in JSON, not typed yet */
};

struct oci_hook {
	char *path;          /* absolute */
	char **args;         /* may be NULL */
	size_t n_args;
	char **env;          /* may be NULL */
	size_t n_env;
	bool has_timeout;
	int timeout;         /* seconds, > 0 */
};

struct oci_hook_list {
	struct oci_hook *hooks;
	size_t n;
};

struct oci_hooks {
	struct oci_hook_list prestart;
	struct oci_hook_list create_runtime;
	struct oci_hook_list create_container;
	struct oci_hook_list start_container;
	struct oci_hook_list poststart;
	struct oci_hook_list poststop;
};

enum oci_ns_type {
	OCI_NS_PID = 0,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

struct oci_namespace {
	enum oci_ns_type type;
	int clone_flag;      /* CLONE_NEWPID, ... */
	char *path;          /* NULL: create a new one */
};

struct oci_device {
	char *path;          /* absolute, in the container */
	char type;           /* 'c', 'b', 'u' or 'p' */
	int64_t major;       /* -1 when absent (allowed only for 'p') */
	int64_t minor;
	bool has_file_mode;
	uint32_t file_mode;  /* the permission bits (07777) */
	uint32_t file_mode_type; /* the S_IFMT bits fileMode carried (podman writes 020666); 0: none */
	bool has_uid;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
};

struct oci_sysctl {
	char *key;
	char *value;
};

struct oci_time_offset {
	char *clock;         /* "monotonic" or "boottime" */
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value;
	uint64_t value_two;
	char *op;            /* SCMP_CMP_NE, ... */
};

struct oci_seccomp_syscall {
	char **names;
	size_t n_names;
	char *action;        /* SCMP_ACT_* */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures;
	size_t n_architectures;
	char **flags;
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

/* linux.netDevices (runtime-spec 1.3.0): a host interface to move into the container's network namespace */
struct oci_net_device {
	char *host_name;     /* the map's key: the interface in the runtime's network namespace */
	char *name;          /* its name in the container: "name" when given, else host_name; a trailing
				"%d" (one, anywhere in the name) lets the kernel pick the number */
};

/* linux.intelRdt: validated and kept (create refuses it: lib/linux has no resctrl support) */
struct oci_intel_rdt {
	char *clos_id;       /* NULL when absent */
	char *l3_cache_schema;
	char *mem_bw_schema; /* starts with "MB:" */
	char **schemata;     /* lines of the schemata file, no newline in any */
	size_t n_schemata;
	bool enable_monitoring;
};

/*
 * linux.memoryPolicy (runtime-spec 1.3.0), checked against set_mempolicy(2)'s
 * rules and ready for it:
 *   set_mempolicy(mp->mode | mp->mode_flags, mp->has_nodes ? mp->nodemask : NULL,
 *                 mp->has_nodes ? mp->maxnode : 0)
 * The numbers are linux/mempolicy.h's (OCI_MPOL_* below, since older headers
 * lack the newer modes).
 */
enum {
	OCI_MPOL_DEFAULT = 0,
	OCI_MPOL_PREFERRED = 1,
	OCI_MPOL_BIND = 2,
	OCI_MPOL_INTERLEAVE = 3,
	OCI_MPOL_LOCAL = 4,
	OCI_MPOL_PREFERRED_MANY = 5,
	OCI_MPOL_WEIGHTED_INTERLEAVE = 6,
};
#define OCI_MPOL_F_NUMA_BALANCING (1u << 13)
#define OCI_MPOL_F_RELATIVE_NODES (1u << 14)
#define OCI_MPOL_F_STATIC_NODES (1u << 15)
/* Highest node number + 1 a nodes list may name (the kernel's MAX_NUMNODES is 1024 at most on x86-64). */
#define OCI_MPOL_MAX_NODES 1024

struct oci_memory_policy {
	int mode;            /* OCI_MPOL_DEFAULT .. OCI_MPOL_WEIGHTED_INTERLEAVE */
	unsigned mode_flags; /* OR of OCI_MPOL_F_*: OR them into mode for set_mempolicy */
	bool has_nodes;      /* nodes named at least one node */
	/* bit n of the mask (word n / bits-per-long, bit n % bits-per-long) = node n */
	unsigned long nodemask[OCI_MPOL_MAX_NODES / (8 * sizeof(unsigned long))];
	unsigned long maxnode; /* highest node named + 2: the kernel reads maxnode - 1 bits */
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	/* linux.resources is kept as JSON (validated for types) for the cgroup code */
	struct json_object *resources;   /* deep copy owned by the config (put by oci_config_free); NULL when absent */
	struct oci_sysctl *sysctl;
	size_t n_sysctl;
	struct oci_seccomp *seccomp;     /* NULL when absent */
	char *rootfs_propagation;        /* NULL, "private", "shared", "slave", "unbindable" (r-variants allowed) */
	unsigned long rootfs_propagation_flags; /* MS_* value resolved from the string, 0 when NULL */
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
	bool has_personality;
	char *personality_domain;        /* "LINUX" or "LINUX32" */
	char **personality_flags;
	size_t n_personality_flags;
	struct oci_time_offset *time_offsets;
	size_t n_time_offsets;
	struct oci_intel_rdt *intel_rdt; /* NULL when absent */
	struct oci_memory_policy *memory_policy; /* NULL when absent */
	struct oci_net_device *net_devices; /* sorted by host_name */
	size_t n_net_devices;
};

struct oci_config {
	char *oci_version;
	char *root_path;                 /* as given (relative to the bundle or absolute); NULL when absent */
	bool root_readonly;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_process *process;     /* NULL when absent */
	char *hostname;
	char *domainname;
	struct oci_hooks hooks;
	char **annotation_keys;          /* parallel arrays, sorted by key */
	char **annotation_values;
	size_t n_annotations;
	struct oci_linux linux_;         /* zeroed when "linux" is absent */
	bool has_linux;
};

/* Parse options for a mount: flags, propagation, extra data for the fs. */
struct oci_mount_opts {
	unsigned long flags;        /* MS_* to set */
	unsigned long clear;        /* MS_* explicitly cleared (e.g. "rw", "suid") */
	unsigned long propagation;  /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) or 0 */
	bool bind;                  /* "bind" or "rbind" (or type "bind") */
	bool recursive;             /* "rbind" */
	bool idmap;                 /* "idmap"/"ridmap" */
	bool idmap_recursive;       /* "ridmap": apply the idmap to every mount of the tree */
	bool tmpcopyup;             /* "tmpcopyup" (runc/crun extension, podman sends it): a tmpfs starts with
				       a copy of what the rootfs has at its destination */
	char *data;                 /* comma-joined options the kernel fs gets, NULL when none */
};

/*
 * Validate the spec's JSON and build the typed view.
 * Errors name the document and the JSON path ("config.json: mounts[3].destination: ...").
 */
int oci_config_from_spec(const ctr_spec *spec, struct oci_config **out, ctr_error **err);
void oci_config_free(struct oci_config *cfg);

/*
 * Check a linux.resources object as config.json's is checked; strict: also
 * refuse unknown fields (an update).  Errors are "<name>: <path>: ...".
 */
int oci_resources_check(struct json_object *res, const char *name, bool strict, ctr_error **err);

/*
 * Parse a standalone "process" object (for exec -p process.json).
 * name is used in error messages.
 */
int oci_process_from_json(struct json_object *obj, const char *name, struct oci_process **out,
			  ctr_error **err);
int oci_process_from_buffer(const char *buf, size_t len, const char *name,
			    struct oci_process **out, ctr_error **err);
void oci_process_free(struct oci_process *p);

/* Parse a mount's options array; fs data is returned in out->data (free with free()). */
int oci_mount_parse_options(const struct oci_mount *m, struct oci_mount_opts *out, ctr_error **err);

/* Access to the JSON tree inside a spec (borrowed). */
struct json_object *ctr_spec_json(const ctr_spec *spec);
/* The name used in error messages for this spec ("config.json" or the file path). */
const char *ctr_spec_name(const ctr_spec *spec);

/*
 * Name tables shared with lib/linux (added by the spec module).
 * Each returns -1 for an unknown name.
 */
/* "pid", "network", ... -> enum oci_ns_type */
int oci_namespace_type_from_name(const char *name);
/* enum oci_ns_type -> "pid", "network", ...; NULL when out of range */
const char *oci_namespace_type_name(enum oci_ns_type type);
/* enum oci_ns_type -> CLONE_NEW*; 0 when out of range */
int oci_namespace_clone_flag(enum oci_ns_type type);
/* "CAP_CHOWN" -> 0, ... (the kernel's capability number) */
int oci_capability_from_name(const char *name);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, ... */
int oci_rlimit_from_name(const char *name);

/* linux.memoryPolicy's mode and flag names this parser knows (NULL-terminated; for the features document) */
const char *const *oci_memory_policy_modes(void);
const char *const *oci_memory_policy_flags(void);

/* A new JSON array of the NULL-terminated strings v (NULL: empty); NULL when out of memory. */
struct json_object *oci_json_strv(const char *const *v);

#endif

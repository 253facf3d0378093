/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container lifecycle on Linux: the flat plan that create builds in the
 * caller's process (allocating, validating) and that the container process
 * then applies with async-signal-safe code only, and the process setup shared
 * by the container's init and by exec.
 */
#ifndef CTR_LIB_LINUX_LIFECYCLE_H
#define CTR_LIB_LINUX_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "internal.h"
#include "spec/oci.h"
#include "linux/devices.h"
#include "linux/hooks.h"
#include "linux/process.h"

struct json_object;

/* Messages on the create-time sync socket (SOCK_SEQPACKET, one message per packet). */
enum ctr_msg_type {
	CTR_MSG_GO = 1,      /* parent -> child: continue (maps written / hooks done) */
	CTR_MSG_PID,         /* child -> parent: pid of the real init (joined pid/time ns) */
	CTR_MSG_HOOKS,       /* child -> parent: run prestart + createRuntime hooks now */
	CTR_MSG_CREATED,     /* init stub -> parent: set up, waiting for start */
	CTR_MSG_ERROR,       /* child -> parent: setup failed; err + text */
	CTR_MSG_EXECED,      /* unused on the wire: EOF after exec */
	CTR_MSG_SECCOMP_FD,  /* child -> runtime (start/exec channel): the seccomp listener fd (SCM_RIGHTS) */
	CTR_MSG_NATIVE_HOOK, /* child -> parent: run createContainer hook <pid field> natively (an NVIDIA verb), then GO */
	CTR_MSG_USERNS,      /* child -> parent: in its new user namespace, ready for the maps (then GO) */
	CTR_MSG_HOOK_ERROR,  /* init stub -> starter: a startContainer hook failed; err + text */
	CTR_MSG_ROOTFS_MNT,  /* child -> parent: no mount namespace: the mount id (pid field) of its rootfs bind */
};

struct ctr_msg {
	int type;
	int err;             /* positive errno for CTR_MSG_ERROR; CTR_GO_* flags in the stub's go */
	int pid;
	int len;             /* bytes of payload after the header (state JSON, error text) */
};

/* The stub's go (create_finish): start at once (CTR_CREATE_START), answering on the sync socket
 * as it would on a start connection, instead of waiting for one */
#define CTR_GO_START 1
/* The late go (cgroups_ready): its last fd is the v1 cgroup mount, made by the runtime as a
 * detached tree (container.c, cg_v1_tree), for the child to attach in one step */
#define CTR_GO_CG_TREE 2

#define CTR_MSG_MAX (256 * 1024)
/* what the child and the stub send the runtime: a header and at most an error text (CTR_ERRBUF) */
#define CTR_MSG_UP_MAX (16 * 1024)
#define CTR_MSG_STATE_MAX (128 * 1024) /* state JSON sent to the child, below the default socket buffer */
#define CTR_ERRBUF 1024

enum ctr_mnt_kind {
	CTR_MNT_FS = 0,     /* mount(source, target, type, flags, data) */
	CTR_MNT_BIND,       /* bind (recursive or not), then remount for flags */
	CTR_MNT_SYSFS_BIND, /* sysfs in a user ns without a net ns: rbind the host's /sys */
	CTR_MNT_CGROUP,     /* cgroup2 where possible, else rbind of the host's /sys/fs/cgroup */
	CTR_MNT_IDMAP,      /* idmapped bind: a detached tree made in the parent, moved into place */
	CTR_MNT_CGROUP_V1,  /* v1/hybrid host: tmpfs with the container's own cgroup of each hierarchy bound in */
};

/* One entry of /sys/fs/cgroup on a v1 or hybrid host (CTR_MNT_CGROUP_V1). */
struct ctr_cg_sub {
	char *name;           /* entry under the mount point: "memory", "unified", "cpu" (a symlink) */
	char *link;           /* symlink target (e.g. "cpu,cpuacct"); NULL for a hierarchy */
	char *ctrls;          /* the hierarchy's field in /proc/self/cgroup: "memory", "name=systemd", "" (v2) */
	char *host_mnt;       /* where the host mounts the hierarchy: "/sys/fs/cgroup/memory" */
};

struct ctr_mnt {
	char *label;          /* "mounts[3] (/data)" for messages */
	char *src;            /* may be NULL */
	char *dst;            /* relative to the rootfs, no leading '/', "" for the root */
	char *type;           /* may be NULL */
	char *data;           /* may be NULL */
	unsigned long flags;  /* MS_* without MS_BIND/MS_REC */
	unsigned long propagation;
	int kind;
	bool rec;
	bool file_target;     /* create an empty file (bind of a non-directory) */
	bool ro_remount;      /* bind with flags: needs a remount */
	int tree_fd;          /* CTR_MNT_IDMAP: open_tree() clone with MOUNT_ATTR_IDMAP set; -1 otherwise */
	bool copyup;          /* tmpfs with "tmpcopyup": copy the rootfs's files at dst into it */
	struct ctr_cg_sub *cg_subs; /* CTR_MNT_CGROUP_V1 */
	size_t n_cg_subs;
	bool cg_own_ns;       /* CTR_MNT_CGROUP_V1, set by the child: it has its own cgroup namespace */
	int cg_tree_fd;       /* CTR_MNT_CGROUP_V1, set by the child: the tree the late go brought, or -1 */
};

/* A mount that shows the container's cgroups: a cgroup mount, or a bind from the host's cgroupfs
 * (child.c; async-signal-safe, the child asks it too). */
bool ctr_mnt_shows_cgroups(const struct ctr_mnt *m);

struct ctr_rlim {
	int resource;
	struct rlimit lim;
};

/* Process setup shared by init and exec; built in the parent, applied in the child. */
struct ctr_proc {
	char **argv;
	char **envp;
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t n_groups;
	bool has_umask;
	mode_t umask;
	bool nnp;
	bool has_caps;
	uint64_t cap_bnd, cap_eff, cap_prm, cap_inh, cap_amb;
	int last_cap;
	struct ctr_rlim *rlimits;
	size_t n_rlimits;
	bool terminal;
	bool has_console_size;
	unsigned short rows, cols;
	int console_sock;     /* connected socket that receives the pty master; -1 */
	bool bind_console;    /* init: bind the pty onto /dev/console */
	int stdio[3];         /* fds to place on 0,1,2 in the child; -1: keep */
	int preserve_fds;
	bool setsid;
	void *seccomp_filter;        /* compiled BPF (struct sock_filter[]), NULL: none */
	unsigned short seccomp_len;  /* instructions */
	unsigned seccomp_flags;      /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool seccomp_listener;       /* SCMP_ACT_NOTIFY rules: load with NEW_LISTENER, pass the fd on */
	int notify_sock;             /* where the listener fd goes (start/exec channel); -1: none */
	bool has_personality;
	unsigned long personality;   /* linux.personality */
	bool has_ioprio;
	int ioprio;                  /* process.ioPriority: class << 13 | priority */
	bool has_sched;
	struct {                     /* process.scheduler, struct sched_attr's layout */
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t priority;
		uint64_t runtime, deadline, period;
	} sched;
	bool has_cpus_initial, has_cpus_final;
	cpu_set_t cpus_initial, cpus_final; /* process.execCPUAffinity (exec) */
	bool has_mempolicy;          /* linux.memoryPolicy: set_mempolicy(mempolicy_mode, nodemask, maxnode) */
	int mempolicy_mode;          /* mode | mode flags */
	unsigned long mempolicy_maxnode;
	unsigned long mempolicy_nodes[16]; /* 1024 nodes */
	const char *lsm_attr;        /* "thread-self/attr/..." beneath procfs, written before execve; NULL: none */
	char *lsm_value;             /* "exec <profile>" (AppArmor) or the SELinux label */
};

struct ctr_plan {
	const char *id;
	char *rootfs;
	uint64_t clone_flags;          /* CLONE_NEW* to create */
	int ns_fds[OCI_NS_COUNT];      /* joined namespaces, -1 when none */
	int ns_flag[OCI_NS_COUNT];     /* CLONE_NEW* of each slot */
	bool join_pid_or_time;         /* needs the intermediate process (joined pid/time ns, new time ns) */
	uint64_t late_flags;           /* CLONE_NEWPID moved to the intermediate's clone (an init cannot CLONE_PARENT) */
	bool time_new;                 /* unshare(CLONE_NEWTIME) in the intermediate, then write the offsets */
	char *time_offsets;            /* text for /proc/self/timens_offsets, NULL: none */
	bool userns_new;
	bool maps_by_user;             /* an unprivileged caller writes the maps: dumpable while it does */
	bool has_userns;               /* new or joined */
	char *uid_map, *gid_map;       /* text for /proc/<pid>/{uid,gid}_map */
	unsigned long root_prop;       /* rootfsPropagation, 0: default (rslave) */
	struct ctr_mnt *mnts;
	size_t n_mnts;
	struct ctr_dev_plan *dev;
	char *hostname, *domainname;
	char **sysctl_path, **sysctl_value;
	size_t n_sysctl;
	struct ctr_sighook_list hk_create_container, hk_start_container;
	bool want_hooks_msg;           /* prestart/createRuntime/createContainer hooks exist */
	bool readonly_root, no_pivot;
	bool no_mntns;                 /* no mount namespace: mounts in the caller's, under a private bind of the
					* rootfs (its mount id reported, CTR_MSG_ROOTFS_MNT), entered with chroot */
	char *keyring_name;            /* NULL: do not join a new session keyring */
	char **masked;
	size_t n_masked;
	char **readonly;
	size_t n_readonly;
	int sync_fd;                   /* child's end of the sync socketpair */
	int parent_sync_fd;            /* the parent's end: the child closes it first */
	int state_lock_fd;             /* the parent's flock'ed state dir: the child closes it first, or a
					* creator killed before it unlocks would leave the lock held by the
					* init for good (flock belongs to the open file description) */
	int start_fd;                  /* listening start socket */
	int init_fd;                   /* the sealed init stub (init-stub.c), exec'd once set up */
	int blob_fd;                   /* sealed memfd with the process and startContainer hooks for the stub */
	int *preserved;                /* copies of the caller's fds 3..3+n_preserved-1, taken before anything else */
	int n_preserved;
	int *cg_fds;                   /* cgroup dirs (O_PATH) the child joins itself ("0" to cgroup.procs) first */
	size_t n_cg_fds;
	bool cg_unshare;               /* CLONE_NEWCGROUP taken off clone: unshare it once in the cgroups */
	bool net_unshare;              /* CLONE_NEWNET taken off clone: the child unshares it first (plan.c) */
	int net_spare_fd;              /* with net_unshare: a new one made ahead to setns() into instead, or -1
					* (netns-spare.c) */
	bool ipc_ahead;                /* CLONE_NEWIPC in a plan net_unshare's conditions allow (plan.c): the
					* IPC namespace may be one made ahead */
	int ipc_spare_fd;              /* with ipc_ahead, a new IPC namespace made ahead (netns-spare.c):
					* CLONE_NEWIPC taken off clone3, the child setns()es into it first;
					* -1: clone3 makes one */
	size_t cg_mnts_from;           /* with cg_wait, the mounts from this one on (all of them showing
					* cgroups) come after the devices, sysctls and masked paths, so
					* that the go has come by then (container.c, cg_mounts_last);
					* n_mnts: in their place */
	int cg_tree_fd;                /* the child's: the v1 cgroup mount's tree from the late go
					* (CTR_GO_CG_TREE), until attached; -1 */
	bool cg_wait;                  /* the runtime makes the v1 cgroups (pure v2: applies the resources)
					* after the clone: wait for its go (with their tasks files) before
					* anything that needs them (see child.c) */
	int parent_cpu;                /* with cg_wait, -1 or the CPU the runtime cloned us on: we (or the runtime)
					* move to affinity_other, and take affinity back at the go */
	cpu_set_t affinity;            /* the caller's thread's */
	cpu_set_t affinity_other;      /* affinity without parent_cpu (not empty) */
	char *msgbuf;                  /* CTR_MSG_MAX bytes, for the child to receive into: mapped by the child
					* itself (child.c), not by the runtime before the clone; with
					* shared_vm, part of the mapping the runtime made for the child */
	bool shared_vm;                /* the child shares the caller's memory until it execs the init stub
					* (container.c, spawn_shared_vm): it writes only to its own copy of
					* the plan and to its stack, maps nothing, and leaves the dumpable
					* flag (the memory's, so the caller's) alone */
	struct ctr_proc proc;
};

/* A new cgroup namespace: in the clone, or unshared by the child once in its cgroups. */
static inline bool ctr_plan_new_cgroup_ns(const struct ctr_plan *p)
{
	return p->cg_unshare || ((p->clone_flags | p->late_flags) & CLONE_NEWCGROUP);
}

/* A cgroup namespace of the container's own, new or joined: a cgroup mount there mounts each
 * hierarchy anew, rooted at the container's cgroup (child.c), instead of binding the host's. */
static inline bool ctr_plan_own_cgroup_ns(const struct ctr_plan *p)
{
	return ctr_plan_new_cgroup_ns(p) || p->ns_flag[OCI_NS_CGROUP] != 0;
}

/* mount_setattr(2)'s MOUNT_ATTR_* for the MS_RDONLY, MS_NOSUID, MS_NODEV and MS_NOEXEC of flags
 * (child.c).  Async-signal-safe. */
uint64_t ctr_mount_attrs(unsigned long flags);

struct ctr_cg_layout;
/* Build the plan from a typed config (allocates).  rootfs is absolute; cgl
 * the host's cgroup hierarchies (linux/cgroup.h, ctr_cg_layout_load), for a
 * "cgroup" mount. */
int ctr_plan_build(const ctr_context *ctx, const struct oci_config *cfg, struct json_object *spec_json,
		   const char *id, const char *bundle, const char *rootfs, unsigned flags,
		   const struct ctr_cg_layout *cgl, struct ctr_plan *plan, ctr_error **err);
void ctr_plan_free(struct ctr_plan *plan);

/* Build the process part (also for exec). Does not open the console socket. */
int ctr_proc_build(const struct oci_process *p, const char *what, struct ctr_proc *out, ctr_error **err);
void ctr_proc_free(struct ctr_proc *p);

/*
 * Compile linux.seccomp to BPF into out->seccomp_* (parent side; through the
 * compiled-filter cache under ctx's state root, none when ctx is NULL); the
 * init stub loads it (ctr_proc_seccomp).
 */
int ctr_seccomp_build(const ctr_context *ctx, const struct oci_seccomp *sc, struct ctr_proc *out, ctr_error **err);
/*
 * Child side: pass the listener fd on sock as a CTR_MSG_SECCOMP_FD message;
 * 0 or -errno.  The runtime answers with one byte once the agent has it.
 */
int ctr_seccomp_send_listener(int sock, int fd);
/*
 * Runtime side: receive one message from the start/exec channel into buf;
 * *listener is the fd of a CTR_MSG_SECCOMP_FD message, else -1 (any other fd
 * is closed).  Returns the length (0: EOF) or -errno.
 */
ssize_t ctr_seccomp_recv(int sock, char *buf, size_t size, int *listener);
/*
 * Runtime side: send the container process state (runtime.md) built from
 * state_json (the container's state document), pid and the listener fd to
 * linux.seccomp.listenerPath.
 */
int ctr_seccomp_notify_send(const struct oci_seccomp *sc, const char *oci_version, const char *state_json, pid_t pid,
			    int fd, ctr_error **err);

/*
 * process.ioPriority, process.scheduler and process.execCPUAffinity, which the
 * typed model keeps in JSON only: read from the process object (may be NULL).
 */
int ctr_proc_add_extras(struct json_object *process, const char *what, struct ctr_proc *out, ctr_error **err);

/* The container-level settings that every process of the container gets (seccomp, personality). */
int ctr_proc_add_linux(const ctr_context *ctx, const struct oci_config *cfg, struct ctr_proc *out, ctr_error **err);

/* Capability number from "CAP_CHOWN"; -1 when unknown. */
int ctr_cap_from_name(const char *name);

/*
 * Child side (async-signal-safe).  ctr_child_main never returns: it execs the
 * init stub or _exit()s.
 */
__attribute__((noreturn)) void ctr_child_main(struct ctr_plan *plan);

/*
 * proc-apply.c, run by the init stub: ctr_proc_apply sets up rlimits,
 * scheduling, user, capabilities, umask, nnp and, as `what` asks, cwd and the
 * fds the program gets; ctr_proc_check_program finds the program as the
 * process's user would (errors worded as engines expect); ctr_proc_seccomp
 * loads the filter, drops the CAP_SYS_ADMIN kept for it and hands a
 * listener to the runtime on sock (then waits for its word);
 * ctr_proc_seccomp_early says whether that must happen right after the
 * credentials (no no_new_privs, CAP_SYS_ADMIN not kept); ctr_proc_exec
 * writes the LSM label on lsm_fd (-1: none), loads seccomp unless loaded
 * and execs.  They return -errno with errbuf set on failure.
 * ctr_proc_hook_seccomp(struct ctr_hook_filter *) is a ctr_hook_exec.pre_exec:
 * a hook process gets the container process's filter (without a listener).
 */
#define CTR_APPLY_CWD 1u
#define CTR_APPLY_FDS 2u
int ctr_proc_apply(const struct ctr_proc *p, unsigned what, char *errbuf, size_t errlen);
int ctr_proc_check_program(const struct ctr_proc *p, char *errbuf, size_t errlen);
bool ctr_proc_seccomp_early(const struct ctr_proc *p);
int ctr_proc_seccomp(const struct ctr_proc *p, int sock, char *errbuf, size_t errlen);
int ctr_proc_exec(const struct ctr_proc *p, int lsm_fd, bool seccomp_loaded, char *errbuf, size_t errlen);
struct ctr_hook_filter {
	const struct ctr_proc *proc;
	bool loaded;
};
int ctr_proc_hook_seccomp(void *filter);

/* Send a message (header + payload) on a SEQPACKET socket; async-signal-safe. */
int ctr_msg_send(int fd, int type, int errnum, int pid, const void *payload, size_t len);
/* Receive one message into buf (an fd sent with it is closed): its type, 0 on EOF, -errno (-EPROTO: malformed).
 * Async-signal-safe. */
int ctr_msg_recv(int fd, char *buf, size_t size);
/* The most fds one message carries (ctr_msg_send_fds): the cgroup hierarchies' tasks files. */
#define CTR_MSG_MAX_FDS 24
/* Send a message of type (no payload, flags in its err field) with n fds attached (SCM_RIGHTS); 0 or
 * -errno.  Async-signal-safe. */
int ctr_msg_send_fds(int sock, int type, int flags, const int *fds, size_t n);
/* Receive one message into buf and up to max fds (*n of them; the rest closed): its type, 0 on EOF, -errno
 * (-EPROTO: malformed or control data cut).  Async-signal-safe. */
int ctr_msg_recv_fds(int sock, char *buf, size_t size, int *fds, size_t max, size_t *n);
/*
 * The one receiver of fds (SCM_RIGHTS) on libctr's sockets, the layouts above
 * and the console socket's (terminal.c) on top: one packet (or a stream's
 * next bytes) into buf and up to max of the fds it carries (*n; the others
 * closed, room for CTR_MSG_MAX_FDS): bytes, 0 on EOF, -errno; *cut when
 * control data was cut.  Async-signal-safe.
 */
ssize_t ctr_recv_fds(int sock, char *buf, size_t size, int *fds, size_t max, size_t *n, bool *cut);
/* Receive one message into buf and the fd it carries (SCM_RIGHTS) into *fd (-1: none): bytes, 0 on EOF, -errno. */
ssize_t ctr_recv_with_fd(int sock, char *buf, size_t size, int *fd);
/* Send buf with fd attached (SCM_RIGHTS): bytes sent or -errno.  Async-signal-safe. */
ssize_t ctr_send_with_fd(int sock, const void *buf, size_t len, int fd);

/*
 * Fd hygiene right after clone (async-signal-safe): ctr_fds_isolate_begin
 * closes every fd above both maxfd (the highest fd to keep) and floor, and
 * returns base; ctr_fds_move moves one fd to keep to a new number >= base
 * (close-on-exec); ctr_fds_isolate_end closes 3..base-1 (the originals and
 * everything else).  ctr_fds_place_preserved dups fds[i] onto 3+i (without
 * close-on-exec) and closes fds[i]; ctr_fds_setup_stdio puts stdio[i] on i.
 */
int ctr_fds_isolate_begin(int maxfd, int floor);
int ctr_fds_move(int *fd, int base);
void ctr_fds_isolate_end(int base);
int ctr_fds_place_preserved(int *fds, int n);
int ctr_fds_setup_stdio(const int stdio[3], char *errbuf, size_t errlen);
void ctr_child_reset_signals(void);
/* execveat the stub (init_fd) as "ctr-init <mode> <fds...>"; returns only on failure (-errno, errbuf). */
int ctr_exec_init_stub(int init_fd, const char *mode, const int *fds, size_t nfds, char *errbuf, size_t errlen);

/*
 * The sealed init stub (init-stub.c): an fd of a sealed memfd holding the
 * stub, made once per context; and a sealed memfd holding blob (for the
 * stub's plan).  Both return the fd or -errno with *err set.
 */
int ctr_init_stub_fd(ctr_context *ctx, ctr_error **err);
int ctr_sealed_memfd(const char *name, const void *data, size_t len, ctr_error **err);
/*
 * The caller's fds 3..3+n-1, each dup'ed (close-on-exec) into out[i], taken
 * at the start of a create or exec before the library opens anything; an fd
 * that is not open, or that the library holds (the context's init stub, mount
 * table and spare namespaces, the handle's fds in lib_fds), is an error
 * naming it.  Waits for ctr_context_warm's thread to have opened its fds.
 */
int ctr_preserve_fds_snapshot(ctr_context *ctx, int n, const int *lib_fds, size_t n_lib, int **out,
			      ctr_error **err);
void ctr_preserve_fds_free(int *fds, int n);

/* Async-signal-safe: move the caller into each cgroup dir (write "0" to its cgroup.procs); 0 or -errno. */
int ctr_cgroup_join_self(const int *fds, size_t n, char *errbuf, size_t errlen);
/* The same, by each hierarchy's tasks (or cgroup.procs) file, opened for writing by the runtime
 * (ctr_cgroup_open_join_files): no lookup in the container process.  Async-signal-safe. */
int ctr_cgroup_join_files(const int *fds, size_t n, char *errbuf, size_t errlen);

#endif

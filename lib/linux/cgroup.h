/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control groups for containers (runtime-spec config-linux.md "Control
 * groups"): the host's layout detected at run time (pure v2, pure v1, or the
 * v1/v2 hybrid where v1 controllers sit under <root>/<ctrl> and cgroup2 is
 * mounted at <root>/unified), placement by linux.cgroupsPath, the mapping of
 * linux.resources to cgroup files for each version, freeze, kill, stats.
 *
 * The layout reads a mountinfo file and a /proc/<pid>/cgroup file and only
 * considers mounts under a cgroup root; all three are parameters so that the
 * tests can point them at a fake cgroupfs tree.
 */
#ifndef CTR_LIB_LINUX_CGROUP_H
#define CTR_LIB_LINUX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "spec/oci.h"

struct json_object;

enum ctr_cg_mode {
	CTR_CG_NONE = 0, /* no cgroup filesystem under the root */
	CTR_CG_V1,       /* v1 hierarchies only */
	CTR_CG_HYBRID,   /* v1 hierarchies plus a cgroup2 mount (usually <root>/unified) */
	CTR_CG_V2,       /* the unified hierarchy mounted at the root */
};

/* Controllers, as bits. */
enum {
	CTR_CGC_CPU = 1u << 0,
	CTR_CGC_CPUACCT = 1u << 1,
	CTR_CGC_CPUSET = 1u << 2,
	CTR_CGC_MEMORY = 1u << 3,
	CTR_CGC_DEVICES = 1u << 4,
	CTR_CGC_FREEZER = 1u << 5,
	CTR_CGC_IO = 1u << 6, /* blkio on v1, io on v2 */
	CTR_CGC_PIDS = 1u << 7,
	CTR_CGC_HUGETLB = 1u << 8,
	CTR_CGC_NET_CLS = 1u << 9,
	CTR_CGC_NET_PRIO = 1u << 10,
	CTR_CGC_RDMA = 1u << 11,
	CTR_CGC_MISC = 1u << 12,
	CTR_CGC_PERF = 1u << 13,
};

#define CTR_CG_MAX_HIER 24

/* One mounted hierarchy. */
struct ctr_cg_hier {
	bool v2;
	unsigned ctrls;  /* v1: the controllers bound to it; v2: those in the root's cgroup.controllers */
	char *name;      /* v1: the super options' controller list ("cpu,cpuacct", "name=systemd"); v2: "" */
	char *mount;     /* where it is mounted */
	char *self;      /* the caller's cgroup in it ("/" when unknown) */
	bool ro;         /* mounted read-only (the mount's or the superblock's options say "ro") */
};

struct ctr_cg_layout {
	enum ctr_cg_mode mode;
	size_t n;
	struct ctr_cg_hier h[CTR_CG_MAX_HIER];
};

/* Paths of the layout's inputs; NULL members take the defaults. */
struct ctr_cg_sources {
	const char *root;        /* /sys/fs/cgroup */
	const char *mountinfo;   /* /proc/self/mountinfo */
	const char *proc_cgroup; /* /proc/self/cgroup */
	struct ctr_host_snap *snap; /* without the two paths: the create's reads of them (internal.h) */
};

int ctr_cg_layout_load(const struct ctr_cg_sources *src, struct ctr_cg_layout *out, ctr_error **err);
void ctr_cg_layout_free(struct ctr_cg_layout *l);

/*
 * The cgroup path (without a mount point) for linux.cgroupsPath: absolute
 * paths as they are, relative ones below the caller's own cgroup in each
 * hierarchy (so the result may differ per hierarchy: "self" is that
 * hierarchy's own path), systemd's "slice:prefix:name" (with systemd set)
 * as the cgroupfs layout systemd makes: "a-b.slice" -> /a.slice/a-b.slice,
 * the unit prefix-name.scope.  NULL or "": /ctr/<id>.  *out is malloc'd.
 */
int ctr_cg_resolve_path(const char *cgroups_path, bool systemd, const char *id, const char *self, char **out,
			ctr_error **err);

/* A container's cgroups: one directory per hierarchy. */
struct ctr_cgroup {
	enum ctr_cg_mode mode;
	size_t n;
	bool no_clone_into; /* create: the process joins its v2 cgroup itself, not by clone3 (see ctr_cgroup_prepare) */
	struct {
		bool v2;
		unsigned ctrls;
		char *name;  /* the hierarchy's name (see ctr_cg_hier) */
		char *dir;   /* absolute directory of the container's cgroup */
		int fd;      /* O_PATH directory fd, -1 when not open */
		int created; /* how many path components create made (removed on rollback), 0 after */
		char *note;  /* v2, at create: why some controllers are not in the cgroup (for errors), or NULL */
		bool existed; /* there before create (or not looked at yet, cg_look): someone else's, destroy leaves it */
	} h[CTR_CG_MAX_HIER];
};

/*
 * Make the container's cgroups (mkdir in every hierarchy, cpuset
 * initialised from the parent on v1, controllers enabled in the ancestors'
 * cgroup.subtree_control on v2), apply resources (may be NULL) and the
 * device rules.  Not root and the cgroup not writable: *out is NULL and 0 is
 * returned when nothing is asked of cgroups, else an error.  On failure
 * every directory made is removed.
 */
int ctr_cgroup_create(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id, bool systemd,
		      struct ctr_cgroup **out, ctr_error **err);
/*
 * The same, calling record(ud, cg) once each directory is named and looked
 * at (there already: someone else's) and before any is made, so the caller
 * can note them in its state (a creator killed half-way through the mkdirs
 * or while the resources are applied then leaves a state that delete cleans
 * up).  A record failure fails the create; after any failure cg is freed
 * (what was made removed), so the caller must forget it.
 */
int ctr_cgroup_create_recorded(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id,
			       bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err),
			       void *ud, struct ctr_cgroup **out, ctr_error **err);
/*
 * create in two steps, so that the v1 hierarchies' mkdirs and every resource
 * write overlap the container process's own setup: ctr_cgroup_create_v2_first
 * looks at and records the unified cgroup (as ctr_cgroup_create_recorded;
 * nothing is recorded on a host without one) and makes only that one (the
 * one clone3 puts the process into), ctr_cgroup_create_rest looks at and
 * records the v1 ones, if any, makes them, then applies the resources (the
 * process joins the v1 ones itself, see ctr_cgroup_prepare).  So the stat
 * of each v1 directory and the state write before their mkdirs (about 75 us
 * on a pure v1 host) come off the path to the clone.  On a pure v2 host the
 * second step is the resources alone: the device program's load (BPF_PROG_LOAD, the verifier
 * and the JIT: about 160 us in a fresh process) and the limits' writes.
 * Only where ctr_cgroup_can_defer (root; v1 hierarchies, or a pure v2 host;
 * none of them read-only: no going on without cgroups half-way).  After a
 * failure of create_rest cg stays the caller's, to destroy once the process
 * is gone.
 */
bool ctr_cgroup_can_defer(const struct ctr_cg_layout *l);
int ctr_cgroup_create_v2_first(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id,
			       bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err),
			       void *ud, struct ctr_cgroup **out, ctr_error **err);
int ctr_cgroup_create_rest(struct ctr_cgroup *cg, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			   bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err), void *ud,
			   ctr_error **err);
/* Remove the container's cgroups (each leaf, with child cgroups the container made; retries on EBUSY). */
int ctr_cgroup_destroy(struct ctr_cgroup *cg, ctr_error **err);
/*
 * Delete's first try: remove the cgroup that holds every process of the
 * container (the one ctr_cgroup_pids() lists, and ctr_cgroup_kill() kills
 * in), alone.  1 when it is gone: it was empty with no cgroup below it, so a
 * kill would have found nothing; 0 when it is busy, was not the container's
 * own, or there is none: kill, then ctr_cgroup_destroy().
 */
int ctr_cgroup_remove_if_empty(struct ctr_cgroup *cg);
void ctr_cgroup_free(struct ctr_cgroup *cg);

/* Write pid into every hierarchy's cgroup.procs. */
int ctr_cgroup_enter(struct ctr_cgroup *cg, pid_t pid, ctr_error **err);
/*
 * Open every hierarchy's dir (O_PATH, owned by cg; the unified one too unless
 * skip_v2) into fds (CTR_CG_MAX_HIER entries) for ctr_cgroup_join_self().
 */
int ctr_cgroup_fds(struct ctr_cgroup *cg, bool skip_v2, int *fds, size_t *n, ctr_error **err);
/* Each dir's tasks file (cgroup.procs where there is none), opened for writing into out (the caller
 * closes them; none left open on failure): ctr_cgroup_join_files() writes "0" to each. */
int ctr_cgroup_open_join_files(const int *dirfds, size_t n, int *out, ctr_error **err);
/* The unified cgroup's fd on pure v2 and hybrid hosts (for clone3 CLONE_INTO_CGROUP), else -1 (also with no_clone_into). */
int ctr_cgroup_v2_fd(const struct ctr_cgroup *cg);

/* The record kept in state.json, appended to b: {"mode": "...", "paths": {"memory": {"dir":
 * "/sys/fs/cgroup/memory/ctr/x", "ctrls": 8, "v2": false}, ...}} (read by ctr_cgroup_from_json). */
void ctr_cgroup_write_json(const struct ctr_cgroup *cg, struct ctr_sbuf *b);
int ctr_cgroup_from_json(struct json_object *o, struct ctr_cgroup **out, ctr_error **err);

/* Apply linux.resources (or an update's resources object); devices go to the devices hierarchy or the eBPF program. */
int ctr_cgroup_apply(struct ctr_cgroup *cg, const struct oci_config *cfg, struct json_object *resources,
		     bool update, ctr_error **err);

/* One file write that a resource maps to. */
struct ctr_cg_write {
	unsigned ctrl;     /* the controller that owns the file (CTR_CGC_*), 0: the unified hierarchy itself */
	bool v2;           /* write to the v2 (unified) cgroup */
	char file[64];
	char value[256];
	char field[96];    /* the JSON path, for messages */
	char alt_file[64];   /* when file is missing (ENOENT): write alt_value here instead; "": none */
	char alt_value[256];
	bool optional;     /* a missing file is skipped (e.g. memory.kmem.limit_in_bytes on new kernels) */
	bool swap_pair;    /* v1 memory.limit_in_bytes followed by memory.memsw.limit_in_bytes: on EINVAL write memsw first */
};

/*
 * The writes that resources maps to (pure, no I/O).  Each resource goes to
 * the v1 hierarchy of its controller when v1_ctrls has it, else to the
 * unified hierarchy (v2 file names and values) when v2_ctrls has it, else it
 * is an error naming the field.  has_v2: a unified hierarchy exists (for
 * linux.resources.unified).  Devices are not included (see cgroup-devices.h).
 */
int ctr_cg_resources_writes(struct json_object *resources, unsigned v1_ctrls, unsigned v2_ctrls, bool has_v2,
			    struct ctr_cg_write **out, size_t *n, ctr_error **err);
/* The same; v2_note (may be NULL) says why a v2 controller is missing, in the error that names the field. */
int ctr_cg_resources_writes_note(struct json_object *resources, unsigned v1_ctrls, unsigned v2_ctrls, bool has_v2,
				 const char *v2_note, struct ctr_cg_write **out, size_t *n, ctr_error **err);

/* Freeze (and wait until frozen) or thaw every freezer the cgroup has. */
int ctr_cgroup_freeze(struct ctr_cgroup *cg, bool frozen, ctr_error **err);
/* Signal every process: cgroup.kill for SIGKILL on v2 when present, else freeze, signal each pid, thaw. */
int ctr_cgroup_kill(struct ctr_cgroup *cg, int signo, ctr_error **err);
/* Every pid in the cgroup and its descendants (sorted); free *pids. */
int ctr_cgroup_pids(struct ctr_cgroup *cg, pid_t **pids, size_t *n, ctr_error **err);
/* Stats as runc's `events --stats` "data" object. */
int ctr_cgroup_stats(struct ctr_cgroup *cg, struct json_object **out, ctr_error **err);
/*
 * A pollable fd (the caller's) readable when the container's cgroup reports
 * an event: v2, an inotify watch of memory.events and cgroup.events
 * (IN_MODIFY); v1, an eventfd registered for memory.oom_control.
 */
int ctr_cgroup_event_fd(struct ctr_cgroup *cg, int *out, ctr_error **err);

/* The number of OOM kills (v2 memory.events oom_kill, v1 memory.oom_control oom_kill). */
int ctr_cgroup_oom_kills(struct ctr_cgroup *cg, uint64_t *count, ctr_error **err);

struct ctr_container;
struct ctr_plan;
/*
 * create: make the container's cgroups (the host's layout l, which the caller
 * loaded for the plan and keeps; linux.cgroupsPath, CTR_CREATE_SYSTEMD_CGROUP
 * in flags) into c->cg and set the plan up so the
 * process is in them before its cgroup namespace and execve: pure v2 clones
 * into the cgroup (ctr_cgroup_v2_fd); else the child joins them itself
 * (fds, CTR_CG_MAX_HIER entries, must outlive the clone), or with a new user
 * namespace *parent_enters says the runtime must write its pid first.
 * CLONE_NEWCGROUP moves to an unshare after the join.  On hybrid hosts the
 * unified cgroup comes by clone3 and the v1 ones by the join.
 */
int ctr_cgroup_prepare(struct ctr_container *c, const struct oci_config *cfg, unsigned flags, struct ctr_plan *plan,
		       const struct ctr_cg_layout *l, int *fds, bool *parent_enters, bool *late, ctr_error **err);
/*
 * *late (root without user or cgroup namespaces or the intermediate process,
 * on a host with v1 hierarchies or a pure v2 one): only the unified cgroup
 * (hybrid, pure v2) is made and plan->cg_wait set; after the clone (l still
 * held), while the child sets
 * up its mounts, ctr_cgroup_prepare_rest makes the v1 cgroups, applies the
 * resources and opens the tasks files of those the child joins for writing
 * into files (CTR_CG_MAX_HIER entries, *n of them, none on a pure v2 host
 * where clone3 put it into its cgroup; the caller's to close), which the
 * caller sends the child with its go to join by (ctr_cgroup_join_files: no
 * lookup on the child's path).  What the child allocates before the move
 * (mounts, as the new namespaces of any v1 join after clone3) is charged to
 * the caller's memory cgroup, and its mknods of the devices come before the
 * device program or v1 rules may; nothing of the container runs before the
 * resources are applied.
 */
int ctr_cgroup_prepare_rest(struct ctr_container *c, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			    unsigned flags, int *files, size_t *n, ctr_error **err);
/* Its first part: ctr_cgroup_create_rest of c->cg, recorded in c's state (the ENOSYS fallback's, before a fork). */
int ctr_cgroup_create_late(struct ctr_container *c, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			   unsigned flags, ctr_error **err);
/* The join set-up of ctr_cgroup_prepare (all hierarchies when clone3 into the cgroup is refused: ENOSYS). */
int ctr_cgroup_plan_self_join(struct ctr_container *c, struct ctr_plan *plan, int *fds, bool skip_v2,
			      bool *parent_enters, ctr_error **err);

/* Write val to dirfd/file (O_TRUNC, as runc); 0 or -errno. */
int ctr_cg_write_file(int dirfd, const char *file, const char *val);

/* Controller name <-> bit. */
unsigned ctr_cg_ctrl_bit(const char *name, size_t len);
const char *ctr_cg_ctrl_name(unsigned bit, bool v2);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control groups: layout detection, placement, removal, freezing, killing,
 * listing the pids.  The mapping of linux.resources and the stats are in
 * cgroup-resources.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup.h"
#include "linux/lifecycle.h"
#include "linux/sigsafe.h"

static const struct {
	const char *v1, *v2;
	unsigned bit;
} ctrl_names[] = {
	{"cpu", "cpu", CTR_CGC_CPU},
	{"cpuacct", NULL, CTR_CGC_CPUACCT},
	{"cpuset", "cpuset", CTR_CGC_CPUSET},
	{"memory", "memory", CTR_CGC_MEMORY},
	{"devices", NULL, CTR_CGC_DEVICES},
	{"freezer", NULL, CTR_CGC_FREEZER},
	{"blkio", "io", CTR_CGC_IO},
	{"pids", "pids", CTR_CGC_PIDS},
	{"hugetlb", "hugetlb", CTR_CGC_HUGETLB},
	{"net_cls", NULL, CTR_CGC_NET_CLS},
	{"net_prio", NULL, CTR_CGC_NET_PRIO},
	{"rdma", "rdma", CTR_CGC_RDMA},
	{"misc", "misc", CTR_CGC_MISC},
	{"perf_event", "perf_event", CTR_CGC_PERF},
};

unsigned ctr_cg_ctrl_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(ctrl_names); i++) {
		const char *a = ctrl_names[i].v1, *b = ctrl_names[i].v2;
		if ((strlen(a) == len && !strncmp(a, name, len)) || (b && strlen(b) == len && !strncmp(b, name, len)))
			return ctrl_names[i].bit;
	}
	return 0;
}

const char *ctr_cg_ctrl_name(unsigned bit, bool v2)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(ctrl_names); i++)
		if (ctrl_names[i].bit == bit)
			return v2 && ctrl_names[i].v2 ? ctrl_names[i].v2 : ctrl_names[i].v1;
	return "?";
}

/* A space-separated controller list ("cpu io memory") as bits. */
static unsigned ctrls_from_list(const char *s)
{
	unsigned bits = 0;
	while (*s) {
		if (*s == '+')
			s++;
		size_t n = strcspn(s, " \t\n,");
		if (n)
			bits |= ctr_cg_ctrl_bit(s, n);
		s += n;
		if (*s)
			s++;
	}
	return bits;
}

void ctr_cg_layout_free(struct ctr_cg_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->h[i].name);
		free(l->h[i].mount);
		free(l->h[i].self);
	}
	l->n = 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

static bool under_root(const char *mnt, const char *root)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(mnt, root, n) && (mnt[n] == '\0' || mnt[n] == '/');
}

/* The caller's cgroup of a hierarchy from /proc/self/cgroup's "id:ctrls:path" lines. */
static char *self_path(char *pc, const struct ctr_cg_hier *h)
{
	for (char *line = pc; line && *line;) {
		char *nl = strchr(line, '\n');
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 && (!nl || c2 < nl)) {
			size_t nlen = (size_t)(c2 - c1 - 1);
			bool match = h->v2 ? nlen == 0 && !strncmp(line, "0:", 2)
					   : nlen == strlen(h->name) && !strncmp(c1 + 1, h->name, nlen);
			if (match) {
				char *end = nl ? nl : c2 + strlen(c2);
				char save = *end;
				*end = '\0';
				static const char deleted[] = " (deleted)";
				size_t l = strlen(c2 + 1);
				if (l > sizeof(deleted) - 1 && !strcmp(c2 + 1 + l - (sizeof(deleted) - 1), deleted))
					c2[1 + l - (sizeof(deleted) - 1)] = '\0';
				char *d = strdup(c2 + 1);
				*end = save;
				return d;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return strdup("/");
}

static int read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return (int)n;
}

/* whether the comma-separated list has the option (a mountinfo field; NULL: no) */
static bool has_opt(const char *list, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && !strncmp(p, opt, n))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

int ctr_cg_layout_load(const struct ctr_cg_sources *src, struct ctr_cg_layout *out, ctr_error **err)
{
	const char *root = src && src->root ? src->root : "/sys/fs/cgroup";
	const char *mi = src && src->mountinfo ? src->mountinfo : NULL;
	const char *pcg = src && src->proc_cgroup ? src->proc_cgroup : NULL;
	struct ctr_host_snap *snap = src ? src->snap : NULL;
	char *buf = NULL, *pc = NULL;
	size_t len = 0, pclen = 0;
	int r;
	memset(out, 0, sizeof(*out));
	if ((r = mi ? ctr_read_file(mi, 1 << 24, &buf, &len, err) : ctr_host_snap_read(snap, "mountinfo", &buf, &len, err)) <
	    0)
		return r;
	if ((r = pcg ? ctr_read_file(pcg, 1 << 20, &pc, &pclen, err) : ctr_host_snap_read(snap, "cgroup", &pc, &pclen, err)) <
	    0) {
		free(buf);
		return r;
	}
	/* every mount (mountpoint, fstype, super options), in the order of the file */
	struct mnt {
		char *mnt, *fstype, *super;
		bool ro;
	} *m = NULL;
	size_t nm = 0, cap = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		char *f[6] = {0}, *save = NULL, *p = line;
		for (int i = 0; i < 6; i++, p = NULL)
			f[i] = strtok_r(p, " ", &save);
		char *fstype = strtok_r(sep + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save); /* source */
		char *super = strtok_r(NULL, " ", &save);
		if (!f[4] || !fstype)
			continue;
		if (nm == cap) {
			struct mnt *nmv = realloc(m, (cap = cap ? cap * 2 : 64) * sizeof(*m));
			if (!nmv) {
				free(m);
				free(buf);
				free(pc);
				return ctr_err_nomem(err);
			}
			m = nmv;
		}
		unescape_octal(f[4]);
		m[nm++] = (struct mnt){f[4], fstype, super, has_opt(f[5], "ro") || has_opt(super, "ro")};
	}
	bool v2_at_root = false, have_v1 = false;
	for (size_t k = 0; k < nm; k++) {
		char *fstype = m[k].fstype, *super = m[k].super, *mp = m[k].mnt, *save = NULL;
		if (strcmp(fstype, "cgroup2") && strcmp(fstype, "cgroup"))
			continue;
		/* a later mount on it or on a directory above it hides it (cgroup2 mounted over the v1 tmpfs) */
		bool hidden = false;
		for (size_t j = k + 1; j < nm && !hidden; j++)
			hidden = under_root(m[k].mnt, m[j].mnt);
		if (hidden)
			continue;
		bool v2 = !strcmp(fstype, "cgroup2");
		if (!under_root(mp, root))
			continue;
		if (out->n == CTR_CG_MAX_HIER)
			break;
		bool dup = false;
		for (size_t i = 0; i < out->n; i++)
			dup |= !strcmp(out->h[i].mount, mp);
		if (dup)
			continue;
		struct ctr_cg_hier *h = &out->h[out->n];
		h->v2 = v2;
		h->ro = m[k].ro;
		h->name = NULL;
		if (v2) {
			h->name = strdup("");
			char cbuf[512];
			h->mount = strdup(mp);
			if (h->mount) {
				int d = open(h->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (d >= 0 && read_small(d, "cgroup.controllers", cbuf, sizeof(cbuf)) >= 0)
					h->ctrls = ctrls_from_list(cbuf);
				if (d >= 0)
					close(d);
			}
			if (under_root(root, mp))
				v2_at_root = true;
		} else {
			/* the super options: "rw,cpu,cpuacct" or "rw,name=systemd": keep the controllers and name= */
			char names[256] = "";
			size_t nl = 0;
			for (char *o = super ? strtok_r(super, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
				unsigned bit = ctr_cg_ctrl_bit(o, strlen(o));
				if (bit || !strncmp(o, "name=", 5)) {
					h->ctrls |= bit;
					nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s%s", nl ? "," : "", o);
					if (nl >= sizeof(names))
						nl = sizeof(names) - 1;
				}
			}
			h->name = strdup(names);
			h->mount = strdup(mp);
			have_v1 = true;
		}
		if (!h->name || !h->mount || !(h->self = self_path(pc, h))) {
			out->n++;
			ctr_cg_layout_free(out);
			free(m);
			free(buf);
			free(pc);
			return ctr_err_nomem(err);
		}
		out->n++;
	}
	free(m);
	free(buf);
	free(pc);
	bool any_v2 = false;
	for (size_t i = 0; i < out->n; i++)
		any_v2 |= out->h[i].v2;
	if (v2_at_root && !have_v1)
		out->mode = CTR_CG_V2;
	else if (have_v1)
		out->mode = any_v2 ? CTR_CG_HYBRID : CTR_CG_V1;
	else
		out->mode = any_v2 ? CTR_CG_V2 : CTR_CG_NONE;
	return 0;
}

/* ---- paths ---- */

static int systemd_path(const char *spec, const char *id, char **out, ctr_error **err)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':'))
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.cgroupsPath: '%s' is not of the systemd form \"slice:prefix:name\" "
			       "(drop --systemd-cgroup for a cgroupfs path)",
			       spec);
	char *slice = strndup(spec, (size_t)(c1 - spec)), *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	const char *name = *(c2 + 1) ? c2 + 1 : id;
	size_t cap = strlen(spec) * 3 + strlen(id) + 64;
	char *p = malloc(cap);
	if (!slice || !prefix || !p) {
		free(slice);
		free(prefix);
		free(p);
		return ctr_err_nomem(err);
	}
	size_t len = 0;
	p[0] = '\0';
	const char *s = *slice ? slice : "system.slice";
	size_t sl = strlen(s);
	if (strcmp(s, "-.slice")) {
		if (sl < 7 || strcmp(s + sl - 6, ".slice") || strchr(s, '/')) {
			int r = ctr_err(err, EINVAL, CTR_E_SPEC,
					"config.json: linux.cgroupsPath: the slice '%s' must be a name ending in .slice", s);
			free(slice);
			free(prefix);
			free(p);
			return r;
		}
		/* "a-b-c.slice" sits in /a.slice/a-b.slice/a-b-c.slice */
		size_t base = sl - 6;
		for (size_t i = 0; i <= base; i++) {
			if (i == base || s[i] == '-') {
				if (i == 0 || s[i - 1] == '-' || (i < base && s[i + 1] == '.')) {
					if (i == base)
						break;
					int r = ctr_err(err, EINVAL, CTR_E_SPEC,
							"config.json: linux.cgroupsPath: slice '%s': empty part between dashes",
							s);
					free(slice);
					free(prefix);
					free(p);
					return r;
				}
				len += (size_t)snprintf(p + len, cap - len, "/%.*s.slice", (int)i, s);
			}
		}
	}
	size_t nl = strlen(name);
	if (nl > 6 && !strcmp(name + nl - 6, ".slice"))
		len += (size_t)snprintf(p + len, cap - len, "/%s", name);
	else if (*prefix)
		len += (size_t)snprintf(p + len, cap - len, "/%s-%s.scope", prefix, name);
	else
		len += (size_t)snprintf(p + len, cap - len, "/%s.scope", name);
	free(slice);
	free(prefix);
	*out = p;
	return 0;
}

/* Collapse "//", drop "." and refuse ".." so a path cannot leave the hierarchy. */
static int clean_path(char *p, const char *orig, ctr_error **err)
{
	char *w = p;
	for (char *r = p; *r;) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		size_t n = strcspn(r, "/");
		if (n == 1 && r[0] == '.') {
			r += n;
			continue;
		}
		if (n == 2 && r[0] == '.' && r[1] == '.')
			return ctr_err(err, EINVAL, CTR_E_SPEC,
				       "config.json: linux.cgroupsPath: '%s': '..' is not allowed", orig);
		*w++ = '/';
		memmove(w, r, n);
		w += n;
		r += n;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
	return 0;
}

int ctr_cg_resolve_path(const char *cgroups_path, bool systemd, const char *id, const char *self, char **out,
			ctr_error **err)
{
	char *p = NULL;
	int r;
	if (!cgroups_path || !*cgroups_path) {
		if (systemd)
			r = systemd_path(":ctr:", id, &p, err);
		else
			r = asprintf(&p, "/ctr/%s", id) < 0 ? ctr_err_nomem(err) : 0;
	} else if (systemd)
		r = systemd_path(cgroups_path, id, &p, err);
	else if (cgroups_path[0] == '/')
		r = (p = strdup(cgroups_path)) ? 0 : ctr_err_nomem(err);
	else
		r = asprintf(&p, "%s/%s", self && *self ? self : "/", cgroups_path) < 0 ? ctr_err_nomem(err) : 0;
	if (r < 0)
		return r;
	if ((r = clean_path(p, cgroups_path ? cgroups_path : "", err)) < 0) {
		free(p);
		return r;
	}
	if (!strcmp(p, "/")) {
		free(p);
		return ctr_err(err, EINVAL, CTR_E_SPEC,
			       "config.json: linux.cgroupsPath: '%s' is the root cgroup: give the container its own",
			       cgroups_path ? cgroups_path : "");
	}
	*out = p;
	return 0;
}

/* ---- create, enter, destroy ---- */

void ctr_cgroup_free(struct ctr_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->h[i].name);
		free(cg->h[i].dir);
		free(cg->h[i].note);
		if (cg->h[i].fd >= 0)
			close(cg->h[i].fd);
	}
	free(cg);
}

int ctr_cg_write_file(int dirfd, const char *file, const char *val)
{
	int fd = openat(dirfd, file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(val);
	ssize_t w;
	do
		w = write(fd, val, len);
	while (w < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (w < 0)
		return -e;
	return (size_t)w == len ? 0 : -EIO;
}

/* Remove the last `levels` components of dir (deepest first), stopping at the first that will not go. */
static void remove_levels(const char *dir, int levels)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dir);
	for (int i = 0; i < levels; i++) {
		if (rmdir(p) < 0)
			return;
		char *s = strrchr(p, '/');
		if (!s || s == p)
			return;
		*s = '\0';
	}
}

/*
 * v1 cpuset: a new cgroup starts with no cpus and mems; copy the parent's so
 * a process can join.  own_parent (libctr's default parent, /ctr): also set
 * the parent's cgroup.clone_children, so the kernel copies them into the
 * next containers' cpusets at mkdir (two writes that rebuild the scheduler
 * domains' accounting fewer per create; other controllers ignore the flag).
 */
static int cpuset_init(const char *dir, bool own_parent, ctr_error **err)
{
	char parent[PATH_MAX], buf[4096];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *s = strrchr(parent, '/');
	if (!s)
		return 0;
	*s = '\0';
	int pd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC), d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; pd >= 0 && d >= 0 && i < 2 && r == 0; i++) {
		char cur[64];
		int n = read_small(d, files[i], cur, sizeof(cur));
		if (n > 0 && cur[0] != '\n')
			continue; /* set already */
		if (read_small(pd, files[i], buf, sizeof(buf)) < 0)
			continue;
		if (own_parent && i == 0)
			(void)ctr_cg_write_file(pd, "cgroup.clone_children", "1");
		int w = ctr_cg_write_file(d, files[i], buf);
		if (w < 0 && w != -ENOENT) /* ENOENT: not a cpuset directory after all (fake trees in tests) */
			r = ctr_err_sys(err, -w, "%s/%s: copy the parent's value", dir, files[i]);
	}
	if (pd >= 0)
		close(pd);
	if (d >= 0)
		close(d);
	return r;
}

/* The v2 names of ctrls, each after pre, separated by sep: "+cpu +memory" for
 * cgroup.subtree_control ("+", " "), "cpu, memory" for messages ("", ", ") */
static void ctrl_list(char *buf, size_t size, unsigned ctrls, const char *pre, const char *sep)
{
	size_t el = 0;
	buf[0] = '\0';
	for (unsigned b = 1; b <= CTR_CGC_PERF; b <<= 1)
		if ((ctrls & b) && el < size)
			el += (size_t)snprintf(buf + el, size - el, "%s%s%s", el ? sep : "", pre, ctr_cg_ctrl_name(b, true));
}

/* A v2 cgroup's controller file ("cgroup.controllers", "cgroup.subtree_control") as bits; -errno. */
static int read_ctrls(int dfd, const char *file, unsigned *out)
{
	char buf[512];
	int n = read_small(dfd, file, buf, sizeof(buf));
	if (n < 0)
		return n;
	*out = ctrls_from_list(buf);
	return 0;
}

/* 1 when the v2 cgroup holds processes (cgroup.procs not empty), 0 when not or unknown. */
static int holds_procs(int dfd)
{
	char buf[16];
	int n = read_small(dfd, "cgroup.procs", buf, sizeof(buf));
	return n > 0 && buf[0] >= '0' && buf[0] <= '9';
}

/*
 * v2: enable ctrls in the cgroup.subtree_control of the cgroup at dir (the
 * parent of a component of the container's path), so that its children get
 * them.  Only the controllers the cgroup has (cgroup.controllers) and does
 * not enable yet are written, and a cgroup that holds processes is never
 * written, the root cgroup excepted: cgroup v2's no-internal-processes rule
 * refuses the domain controllers there, and the threaded ones (cpu, cpuset,
 * pids) it would accept turn the cgroup "domain threaded" and its new
 * children "domain invalid", where no process can go (clone3 then fails
 * with EOPNOTSUPP).  What cannot be enabled is said in *note (malloc'd,
 * the first such cgroup only): the resource writes that need it then fail
 * naming the field and this reason.
 */
static void enable_below(const char *dir, bool is_root, unsigned ctrls, char **note)
{
	int pd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pd < 0)
		return;
	unsigned avail = ctrls, on = 0;
	if (read_ctrls(pd, "cgroup.controllers", &avail) < 0)
		avail = ctrls; /* not a cgroupfs (a fake tree): try them all */
	(void)read_ctrls(pd, "cgroup.subtree_control", &on);
	unsigned want = ctrls & avail & ~on;
	char list[256], names[256];
	/* the mount's root is the real root cgroup only without a cgroup.type file
	 * (a cgroup namespace's root has one, and the rule applies to it) */
	if (is_root && faccessat(pd, "cgroup.type", F_OK, 0) == 0)
		is_root = false;
	if (want && !is_root && holds_procs(pd)) {
		if (!*note) {
			ctrl_list(names, sizeof(names), want, "", ", ");
			if (asprintf(note,
				     "%s holds processes, so cgroup v2 does not let its children have the %s "
				     "controller(s) (the no-internal-processes rule); libctr does not move them: give "
				     "linux.cgroupsPath a cgroup whose parent holds no processes and has the controllers "
				     "in its cgroup.subtree_control (run the caller in a leaf cgroup of a delegated "
				     "subtree, e.g. systemd's Delegate=yes, and the container in a sibling)",
				     dir, names) < 0)
				*note = NULL;
		}
		want = 0;
	}
	if (want) {
		ctrl_list(list, sizeof(list), want, "+", " ");
		unsigned refused = 0;
		int e = 0;
		if (ctr_cg_write_file(pd, "cgroup.subtree_control", list) < 0) {
			/* one refused (cpu while a realtime task is in the cgroup): the others alone */
			for (unsigned b = 1; b <= CTR_CGC_PERF; b <<= 1) {
				if (!(want & b))
					continue;
				ctrl_list(list, sizeof(list), b, "+", " ");
				int w = ctr_cg_write_file(pd, "cgroup.subtree_control", list);
				if (w < 0) {
					refused |= b;
					e = -w;
				}
			}
		}
		if (refused && !*note) {
			ctrl_list(names, sizeof(names), refused, "", ", ");
			if (asprintf(note, "%s/cgroup.subtree_control refused %s (%s)%s", dir, names, strerror(e),
				     e == EACCES || e == EPERM ? ": the cgroup is not delegated to this user" : "") < 0)
				*note = NULL;
		}
	}
	close(pd);
}

/*
 * mkdir -p of path below mount, counting the components we made.  v2: in
 * each ancestor below the mount the controllers are enabled for the next
 * component (enable_below), and *ctrls becomes what the new cgroup really
 * has (its cgroup.controllers), *note why some are missing.  v1 cpuset dirs
 * get the parent's cpus and mems.
 */
static int make_dirs(const char *mount, const char *path, bool v2, unsigned *ctrls, bool is_cpuset, bool own_parent,
		     char **dir, int *created, char **note, ctr_error **err)
{
	char full[PATH_MAX];
	int n = snprintf(full, sizeof(full), "%s%s", mount, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return ctr_err(err, ENAMETOOLONG, CTR_E_SPEC, "config.json: linux.cgroupsPath: %s%s: too long", mount,
			       path);
	*created = 0;
	/* v1, the usual case of a parent that exists: the leaf at once, not a mkdir per level */
	if (!v2 && mkdir(full, 0755) == 0) {
		*created = 1;
		int r = is_cpuset ? cpuset_init(full, own_parent, err) : 0;
		if (r == 0 && !(*dir = strdup(full)))
			r = ctr_err_nomem(err);
		if (r < 0) {
			remove_levels(full, 1);
			*created = 0;
		}
		return r;
	}
	size_t ml = strlen(mount);
	for (char *s = full + ml + 1;; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		char save = *s;
		*s = '\0';
		if (v2 && *ctrls) {
			/* the parent of this component must delegate the controllers */
			char *slash = strrchr(full, '/');
			*slash = '\0';
			enable_below(full, (size_t)(slash - full) <= ml, *ctrls, note);
			*slash = '/';
		}
		if (mkdir(full, 0755) == 0) {
			(*created)++;
			if (is_cpuset) {
				int r = cpuset_init(full, last && own_parent, err);
				if (r < 0) {
					remove_levels(full, *created);
					*created = 0;
					return r;
				}
			}
		} else if (errno != EEXIST) {
			int e = errno;
			remove_levels(full, *created);
			*created = 0;
			return ctr_err_sys(err, e, "config.json: linux.cgroupsPath: mkdir %s", full);
		} else if (last && is_cpuset) {
			int r = cpuset_init(full, own_parent, err);
			if (r < 0)
				return r;
		}
		*s = save;
		if (last)
			break;
	}
	if (v2) {
		/* what the container's cgroup really has (a fake tree has no such file: keep the layout's) */
		int d = open(full, O_PATH | O_DIRECTORY | O_CLOEXEC);
		unsigned have;
		if (d >= 0 && read_ctrls(d, "cgroup.controllers", &have) == 0)
			*ctrls = have;
		if (d >= 0)
			close(d);
	}
	if (!(*dir = strdup(full))) {
		remove_levels(full, *created);
		*created = 0;
		return ctr_err_nomem(err);
	}
	return 0;
}

static bool resources_requested(struct json_object *res)
{
	if (!res)
		return false;
	json_object_object_foreach(res, k, v)
	{
		(void)k;
		if (json_object_is_type(v, json_type_null))
			continue;
		if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0)
			continue;
		if (json_object_is_type(v, json_type_object) && json_object_object_length(v) == 0)
			continue;
		return true;
	}
	return false;
}

static void rollback(struct ctr_cgroup *cg)
{
	for (size_t i = cg->n; i-- > 0;) {
		if (cg->h[i].fd >= 0) {
			close(cg->h[i].fd);
			cg->h[i].fd = -1;
		}
		if (cg->h[i].created)
			remove_levels(cg->h[i].dir, cg->h[i].created);
		cg->h[i].created = 0;
	}
}

int ctr_cgroup_create(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id, bool systemd,
		      struct ctr_cgroup **out, ctr_error **err)
{
	return ctr_cgroup_create_recorded(l, cfg, id, systemd, NULL, NULL, out, err);
}

static int open_dir(struct ctr_cgroup *cg, size_t i)
{
	if (cg->h[i].fd < 0)
		cg->h[i].fd = open(cg->h[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cg->h[i].fd;
}

/* which hierarchies a step of create makes */
enum cg_sel { CG_ALL, CG_V2_ONLY, CG_V1_ONLY };

static bool selected(bool v2, enum cg_sel sel)
{
	return sel == CG_ALL || (sel == CG_V2_ONLY) == v2;
}

/*
 * Whether each selected hierarchy's directory is there already (someone
 * else's: destroy leaves it), then cg recorded by the caller (record, when
 * given and a hierarchy is selected), before any of those directories is
 * made: a creator killed half-way through the mkdirs leaves a state that
 * delete cleans up (destroy takes a missing leaf as removed).
 */
static int cg_look(struct ctr_cgroup *cg, enum cg_sel sel, int (*record)(void *, struct ctr_cgroup *, ctr_error **),
		   void *ud, ctr_error **err)
{
	bool any = false;
	/* runtime.md Delete: resources "not created by this container, MUST NOT be deleted": a cgroup
	 * that is there already (a cgroupsPath someone made) is used, and left by destroy */
	for (size_t i = 0; i < cg->n; i++) {
		if (!selected(cg->h[i].v2, sel))
			continue;
		struct stat st;
		cg->h[i].existed = stat(cg->h[i].dir, &st) == 0 && S_ISDIR(st.st_mode);
		any = true;
	}
	return any && record ? record(ud, cg, err) : 0;
}

/*
 * The first step of every create: cg with each hierarchy's directory (not
 * made yet), then cg_look for those of sel: the others (CG_V2_ONLY: the v1
 * ones, made by the late step) are looked at and recorded by
 * ctr_cgroup_create_rest, off the path to the clone.  On failure cg is
 * freed and *out NULL.
 */
static int cg_begin(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id, bool systemd,
		    enum cg_sel sel, int (*record)(void *, struct ctr_cgroup *, ctr_error **), void *ud,
		    struct ctr_cgroup **out, ctr_error **err)
{
	struct ctr_cgroup *cg = calloc(1, sizeof(*cg));
	*out = NULL;
	if (!cg)
		return ctr_err_nomem(err);
	cg->mode = l->mode;
	int r = 0;
	for (size_t i = 0; i < l->n && r == 0; i++) {
		const struct ctr_cg_hier *h = &l->h[i];
		cg->h[i].fd = -1;
		cg->h[i].v2 = h->v2;
		cg->h[i].ctrls = h->ctrls;
		/* not ours until cg_look has seen it missing: a create that fails before the late step
		 * looks at the v1 ones leaves them, as it never made them */
		cg->h[i].existed = true;
		cg->n = i + 1;
		char *path = NULL;
		if (!(cg->h[i].name = strdup(h->name)))
			r = ctr_err_nomem(err);
		else if ((r = ctr_cg_resolve_path(cfg->linux_.cgroups_path, systemd, id, h->self, &path, err)) == 0 &&
			 asprintf(&cg->h[i].dir, "%s%s", h->mount, path) < 0) {
			cg->h[i].dir = NULL;
			r = ctr_err_nomem(err);
		}
		free(path);
	}
	if (r == 0)
		r = cg_look(cg, sel, record, ud, err);
	if (r < 0) {
		ctr_cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

/*
 * mkdir the selected hierarchies' cgroups (the dirs cg_begin named: mount
 * point, then the path below it) and open them.  -EROFS, or -EACCES
 * and -EPERM when not root: the cgroupfs is not ours to write (the caller
 * decides whether to go on without cgroups); nothing made is removed here.
 */
static int cg_make(struct ctr_cgroup *cg, const struct ctr_cg_layout *l, const struct oci_config *cfg, bool systemd,
		   enum cg_sel sel, ctr_error **err)
{
	/* the default path (/ctr/<id>, ctr_cg_resolve_path): its parent is libctr's */
	bool default_path = !systemd && (!cfg->linux_.cgroups_path || !*cfg->linux_.cgroups_path);
	for (size_t i = 0; i < l->n; i++) {
		const struct ctr_cg_hier *h = &l->h[i];
		if (!selected(h->v2, sel))
			continue;
		char *dir = NULL;
		int r = make_dirs(h->mount, cg->h[i].dir + strlen(h->mount), h->v2, &cg->h[i].ctrls,
				  !h->v2 && (h->ctrls & CTR_CGC_CPUSET), default_path, &dir, &cg->h[i].created,
				  &cg->h[i].note, err);
		if (r < 0)
			return r;
		free(cg->h[i].dir);
		cg->h[i].dir = dir;
		cg->h[i].fd = open(cg->h[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cg->h[i].fd < 0)
			return ctr_err_sys(err, errno, "%s: open", cg->h[i].dir);
	}
	return 0;
}

static bool not_ours(int r)
{
	return r == -EROFS || ((r == -EACCES || r == -EPERM) && geteuid() != 0);
}

int ctr_cgroup_create_recorded(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id,
			       bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err),
			       void *ud, struct ctr_cgroup **out, ctr_error **err)
{
	struct json_object *res = cfg->linux_.resources;
	bool want = resources_requested(res);
	*out = NULL;
	if (l->mode == CTR_CG_NONE) {
		if (want)
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "config.json: linux.resources: no cgroup filesystem is mounted on this host: "
				       "mount one or drop linux.resources");
		return 0;
	}
	struct ctr_cgroup *cg = NULL;
	int r = cg_begin(l, cfg, id, systemd, CG_ALL, record, ud, &cg, err);
	if (r == 0 && (r = cg_make(cg, l, cfg, systemd, CG_ALL, err)) < 0 && not_ours(r)) {
		/*
		 * rootless without delegation (or a read-only cgroupfs, as in a
		 * container): go on without cgroups unless something is asked of them
		 */
		ctr_error_free(err ? *err : NULL);
		if (err)
			*err = NULL;
		rollback(cg);
		ctr_cgroup_free(cg);
		*out = NULL; /* record may have put cg there */
		if (want)
			return ctr_err(err, EPERM, CTR_E_UNSUPPORTED,
				       "config.json: linux.resources: cgroups are not delegated to uid %u "
				       "(or the cgroup filesystem is read-only); drop linux.resources or run "
				       "in a delegated cgroup (systemd-run --user --scope -p Delegate=yes)",
				       (unsigned)geteuid());
		return 0;
	}
	if (r == 0)
		r = ctr_cgroup_apply(cg, cfg, res, false, err);
	if (r < 0) {
		if (cg) {
			rollback(cg);
			ctr_cgroup_free(cg);
		}
		return r;
	}
	*out = cg;
	return 0;
}

bool ctr_cgroup_can_defer(const struct ctr_cg_layout *l)
{
	bool any = false;
	if (geteuid() != 0)
		return false;
	/* no cgroup filesystem (CTR_CG_NONE): no hierarchy, nothing to defer */
	for (size_t i = 0; i < l->n; i++) {
		/* a hybrid's unified hierarchy is made before the clone and never decides */
		if (l->h[i].v2 && l->mode != CTR_CG_V2)
			continue;
		/* a read-only hierarchy (a container's view) is the case create goes on without cgroups
		 * (the mount table's flags: what statvfs would say, without a call per hierarchy) */
		if (l->h[i].ro)
			return false;
		any = true;
	}
	return any;
}

int ctr_cgroup_create_v2_first(const struct ctr_cg_layout *l, const struct oci_config *cfg, const char *id,
			       bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err),
			       void *ud, struct ctr_cgroup **out, ctr_error **err)
{
	int r = cg_begin(l, cfg, id, systemd, CG_V2_ONLY, record, ud, out, err);
	if (r == 0 && (r = cg_make(*out, l, cfg, systemd, CG_V2_ONLY, err)) < 0) {
		rollback(*out);
		ctr_cgroup_free(*out);
		*out = NULL;
	}
	return r;
}

int ctr_cgroup_create_rest(struct ctr_cgroup *cg, const struct ctr_cg_layout *l, const struct oci_config *cfg,
			   bool systemd, int (*record)(void *ud, struct ctr_cgroup *cg, ctr_error **err), void *ud,
			   ctr_error **err)
{
	int r = cg_look(cg, CG_V1_ONLY, record, ud, err);
	if (r == 0)
		r = cg_make(cg, l, cfg, systemd, CG_V1_ONLY, err);
	return r < 0 ? r : ctr_cgroup_apply(cg, cfg, cfg->linux_.resources, false, err);
}

int ctr_cgroup_v2_fd(const struct ctr_cgroup *cg)
{
	if (!cg || cg->no_clone_into || (cg->mode != CTR_CG_V2 && cg->mode != CTR_CG_HYBRID))
		return -1;
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].v2)
			return cg->h[i].fd;
	return -1;
}

int ctr_cgroup_enter(struct ctr_cgroup *cg, pid_t pid, ctr_error **err)
{
	char val[32];
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int fd = open_dir(cg, i);
		int r = fd < 0 ? -errno : ctr_cg_write_file(fd, "cgroup.procs", val);
		if (r < 0)
			return ctr_err_sys(err, -r, "%s/cgroup.procs: move pid %d into the container's cgroup",
					   cg->h[i].dir, (int)pid);
	}
	return 0;
}

/* rmdir a cgroup after its children (a container may make its own). */
static int rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		int s = rm_tree(sub);
		if (s < 0 && !r)
			r = s;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return r;
}

int ctr_cgroup_destroy(struct ctr_cgroup *cg, ctr_error **err)
{
	if (!cg)
		return 0;
	int r = 0;
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].fd >= 0) {
			close(cg->h[i].fd);
			cg->h[i].fd = -1;
		}
		if (cg->h[i].existed)
			continue;
		/* processes that were killed leave their cgroup a moment after they are reaped */
		int s = rmdir(cg->h[i].dir) == 0 || errno == ENOENT ? 0 : -errno;
		for (int tries = 0; s == -EBUSY && tries < 200; tries++) {
			/* busy: child cgroups the container made, or processes still leaving */
			s = rm_tree(cg->h[i].dir);
			if (s != -EBUSY)
				break;
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (s < 0 && !r)
			r = ctr_err_sys(err, -s, "%s: remove the container's cgroup", cg->h[i].dir);
	}
	return r;
}

/* ---- the state.json record ---- */

static const char *mode_name(enum ctr_cg_mode m)
{
	return m == CTR_CG_V1 ? "v1" : m == CTR_CG_HYBRID ? "hybrid" : m == CTR_CG_V2 ? "v2" : "none";
}

void ctr_cgroup_write_json(const struct ctr_cgroup *cg, struct ctr_sbuf *b)
{
	ctr_sb_printf(b, "{\"mode\":\"%s\",\"paths\":{", mode_name(cg->mode));
	for (size_t i = 0; i < cg->n; i++) {
		if (i)
			ctr_sb_add(b, ",", 1);
		ctr_sb_json_str(b, cg->h[i].v2 ? "unified" : cg->h[i].name);
		ctr_sb_puts(b, ":{\"dir\":");
		ctr_sb_json_str(b, cg->h[i].dir);
		ctr_sb_printf(b, ",\"ctrls\":%u,\"v2\":%s%s}", cg->h[i].ctrls, cg->h[i].v2 ? "true" : "false",
			      cg->h[i].existed ? ",\"existed\":true" : "");
	}
	ctr_sb_add(b, "}}", 2);
}

int ctr_cgroup_from_json(struct json_object *o, struct ctr_cgroup **out, ctr_error **err)
{
	json_object *m, *paths;
	*out = NULL;
	if (!json_object_object_get_ex(o, "mode", &m) || !json_object_object_get_ex(o, "paths", &paths) ||
	    !json_object_is_type(paths, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "state.json: cgroups: missing mode or paths");
	struct ctr_cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return ctr_err_nomem(err);
	const char *ms = json_object_get_string(m);
	cg->mode = !strcmp(ms, "v1") ? CTR_CG_V1 : !strcmp(ms, "hybrid") ? CTR_CG_HYBRID : !strcmp(ms, "v2") ? CTR_CG_V2 : CTR_CG_NONE;
	json_object_object_foreach(paths, k, v)
	{
		json_object *d, *c, *b;
		if (cg->n == CTR_CG_MAX_HIER || !json_object_object_get_ex(v, "dir", &d) ||
		    !json_object_object_get_ex(v, "ctrls", &c) || !json_object_object_get_ex(v, "v2", &b))
			continue;
		size_t i = cg->n++;
		cg->h[i].fd = -1;
		cg->h[i].v2 = json_object_get_boolean(b);
		cg->h[i].ctrls = (unsigned)json_object_get_int64(c);
		json_object *e;
		cg->h[i].existed = json_object_object_get_ex(v, "existed", &e) && json_object_get_boolean(e);
		cg->h[i].name = strdup(cg->h[i].v2 ? "" : k);
		cg->h[i].dir = strdup(json_object_get_string(d));
		if (!cg->h[i].name || !cg->h[i].dir) {
			ctr_cgroup_free(cg);
			return ctr_err_nomem(err);
		}
	}
	*out = cg;
	return 0;
}

/* ---- freeze, kill, pids ---- */

static ssize_t find_hier(struct ctr_cgroup *cg, unsigned ctrl, bool v2)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].v2 == v2 && (ctrl == 0 || (cg->h[i].ctrls & ctrl)))
			return (ssize_t)i;
	return -1;
}

static int wait_frozen(struct ctr_cgroup *cg, size_t i, bool v2, bool frozen, ctr_error **err)
{
	int fd = open_dir(cg, i);
	char buf[512];
	for (int tries = 0; tries < 2000; tries++) {
		int n = read_small(fd, v2 ? "cgroup.events" : "freezer.state", buf, sizeof(buf));
		if (n < 0)
			return ctr_err_sys(err, -n, "%s/%s: read", cg->h[i].dir, v2 ? "cgroup.events" : "freezer.state");
		if (v2) {
			char *f = strstr(buf, "frozen ");
			if (f && (f[7] == '1') == frozen)
				return 0;
		} else if (!strncmp(buf, frozen ? "FROZEN" : "THAWED", 6))
			return 0;
		if (!v2 && frozen && tries % 50 == 49) /* v1 may stay FREEZING: ask again, as runc does */
			(void)ctr_cg_write_file(fd, "freezer.state", "FROZEN");
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return ctr_err(err, ETIMEDOUT, CTR_E_SYSTEM, "%s: the cgroup did not become %s within 2 seconds", cg->h[i].dir,
		       frozen ? "frozen" : "thawed");
}

int ctr_cgroup_freeze(struct ctr_cgroup *cg, bool frozen, ctr_error **err)
{
	ssize_t v1 = find_hier(cg, CTR_CGC_FREEZER, false), v2 = find_hier(cg, 0, true);
	if (v2 >= 0 && open_dir(cg, (size_t)v2) >= 0 && faccessat(cg->h[v2].fd, "cgroup.freeze", F_OK, 0) < 0)
		v2 = -1; /* before 5.2 */
	if (v1 < 0 && v2 < 0)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "the container has no freezer (no v1 freezer hierarchy and no cgroup.freeze)");
	/*
	 * One freezer only: a task held by the v1 freezer never reaches the point
	 * where the v2 freezer stops it (and the reverse), so using both hangs.
	 * On hybrid hosts the v2 one (it also reports frozen through cgroup.events).
	 */
	bool use_v2 = v2 >= 0;
	ssize_t i = use_v2 ? v2 : v1;
	int fd = open_dir(cg, (size_t)i), r;
	const char *file = use_v2 ? "cgroup.freeze" : "freezer.state";
	const char *val = use_v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	if (fd < 0 || (r = ctr_cg_write_file(fd, file, val)) < 0)
		return ctr_err_sys(err, fd < 0 ? errno : -r, "%s/%s: write %s", cg->h[i].dir, file, val);
	return wait_frozen(cg, (size_t)i, use_v2, frozen, err);
}

static int add_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	long p;
	while (fscanf(f, "%ld", &p) == 1) {
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			pid_t *np = realloc(*pids, nc * sizeof(pid_t));
			if (!np) {
				fclose(f);
				return -ENOMEM;
			}
			*pids = np;
			*cap = nc;
		}
		(*pids)[(*n)++] = (pid_t)p;
	}
	fclose(f);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int r = 0;
	while (!r && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = add_pids(path, pids, n, cap);
	}
	closedir(d);
	return r;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

/* the cgroup that holds every process of the container: the unified one on v2 and hybrid; else any
 * v1 hierarchy (prefer pids); -1 when there is none */
static ssize_t procs_hier(struct ctr_cgroup *cg)
{
	ssize_t i = find_hier(cg, 0, true);
	if (i < 0)
		i = find_hier(cg, CTR_CGC_PIDS, false);
	if (i < 0)
		i = find_hier(cg, 0, false);
	return i;
}

int ctr_cgroup_remove_if_empty(struct ctr_cgroup *cg)
{
	ssize_t i = procs_hier(cg);
	if (i < 0 || cg->h[i].existed)
		return 0;
	if (cg->h[i].fd >= 0) {
		close(cg->h[i].fd);
		cg->h[i].fd = -1;
	}
	return rmdir(cg->h[i].dir) == 0 || errno == ENOENT;
}

int ctr_cgroup_pids(struct ctr_cgroup *cg, pid_t **pids, size_t *n, ctr_error **err)
{
	ssize_t i = procs_hier(cg);
	*pids = NULL;
	*n = 0;
	if (i < 0)
		return 0;
	size_t cap = 0;
	int r = add_pids(cg->h[i].dir, pids, n, &cap);
	if (r < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return r == -ENOMEM ? ctr_err_nomem(err) : ctr_err_sys(err, -r, "%s: list the pids", cg->h[i].dir);
	}
	if (*n > 1)
		qsort(*pids, *n, sizeof(pid_t), cmp_pid);
	return 0;
}

int ctr_cgroup_kill(struct ctr_cgroup *cg, int signo, ctr_error **err)
{
	ssize_t v2 = find_hier(cg, 0, true);
	if (signo == SIGKILL && v2 >= 0 && open_dir(cg, (size_t)v2) >= 0 &&
	    ctr_cg_write_file(cg->h[v2].fd, "cgroup.kill", "1") == 0)
		return 0;
	/* an empty cgroup (the usual case at delete) stays empty: only a member can fork into it */
	pid_t *pids = NULL;
	size_t n = 0;
	if (ctr_cgroup_pids(cg, &pids, &n, NULL) == 0 && n == 0)
		return 0;
	free(pids);
	pids = NULL;
	n = 0;
	/* freeze so that nothing forks between listing and signalling, then thaw to deliver (freezing
	 * costs: the v1 freezer flips a static key, patching kernel text on every CPU) */
	ctr_error *fe = NULL;
	bool frozen = ctr_cgroup_freeze(cg, true, &fe) == 0;
	ctr_error_free(fe);
	int r = ctr_cgroup_pids(cg, &pids, &n, err);
	for (size_t k = 0; r == 0 && k < n; k++)
		if (kill(pids[k], signo) < 0 && errno != ESRCH) {
			r = ctr_err_sys(err, errno, "kill pid %d with signal %d", (int)pids[k], signo);
			break;
		}
	free(pids);
	if (frozen) {
		ctr_error *te = NULL;
		int t = ctr_cgroup_freeze(cg, false, &te);
		if (t < 0 && r == 0) {
			if (err && !*err)
				*err = te;
			else
				ctr_error_free(te);
			return t;
		}
		ctr_error_free(te);
	}
	return r;
}

static uint64_t key_value(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

int ctr_cgroup_oom_kills(struct ctr_cgroup *cg, uint64_t *count, ctr_error **err)
{
	char buf[1024];
	*count = 0;
	ssize_t i = find_hier(cg, CTR_CGC_MEMORY, true);
	const char *file = "memory.events";
	if (i < 0) {
		i = find_hier(cg, CTR_CGC_MEMORY, false);
		file = "memory.oom_control";
	}
	if (i < 0)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "the container has no memory cgroup: OOM kills cannot be counted");
	int fd = open_dir(cg, (size_t)i);
	int n = fd < 0 ? -errno : read_small(fd, file, buf, sizeof(buf));
	if (n < 0)
		return ctr_err_sys(err, -n, "%s/%s: read", cg->h[i].dir, file);
	*count = key_value(buf, "oom_kill");
	return 0;
}

int ctr_cgroup_event_fd(struct ctr_cgroup *cg, int *out, ctr_error **err)
{
	ssize_t i = find_hier(cg, CTR_CGC_MEMORY, true), any2 = find_hier(cg, 0, true);
	if (i >= 0 || (any2 >= 0 && find_hier(cg, CTR_CGC_MEMORY, false) < 0)) {
		/* cgroup v2: the kernel reports a change of an "events" file to inotify as IN_MODIFY */
		size_t h = (size_t)(i >= 0 ? i : any2);
		int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (fd < 0)
			return ctr_err_sys(err, errno, "inotify_init1");
		static const char *const files[] = {"memory.events", "cgroup.events"};
		int watched = 0;
		for (size_t k = 0; k < CTR_ARRAY_SIZE(files); k++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", cg->h[h].dir, files[k]);
			if (inotify_add_watch(fd, path, IN_MODIFY) >= 0)
				watched++;
			else if (errno != ENOENT) {
				int e = errno;
				close(fd);
				return ctr_err_sys(err, e, "%s: watch it", path);
			}
		}
		if (!watched) {
			close(fd);
			return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
				       "%s: no memory.events nor cgroup.events to watch", cg->h[h].dir);
		}
		*out = fd;
		return 0;
	}
	i = find_hier(cg, CTR_CGC_MEMORY, false);
	if (i < 0)
		return ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED,
			       "the container has no memory cgroup: there are no OOM events to watch");
	/* cgroup v1: an eventfd registered for memory.oom_control through cgroup.event_control */
	int dfd = open_dir(cg, (size_t)i);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ofd = dfd < 0 ? -1 : openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	int cfd = dfd < 0 ? -1 : openat(dfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
	int r = 0;
	if (efd < 0 || ofd < 0 || cfd < 0) {
		r = ctr_err_sys(err, errno, "%s: memory.oom_control, cgroup.event_control", cg->h[i].dir);
	} else {
		char line[64];
		int n = snprintf(line, sizeof(line), "%d %d", efd, ofd);
		if (write(cfd, line, (size_t)n) != n)
			r = ctr_err_sys(err, errno, "%s/cgroup.event_control: register an eventfd for OOM", cg->h[i].dir);
	}
	if (ofd >= 0)
		close(ofd);
	if (cfd >= 0)
		close(cfd);
	if (r < 0) {
		if (efd >= 0)
			close(efd);
		return r;
	}
	*out = efd;
	return 0;
}

/*
 * Joining a cgroup, async-signal-safe (the container process and the exec
 * helper join after clone).  Both are single-threaded (cloned without
 * CLONE_THREAD), so moving this thread moves the whole process: on a v1
 * hierarchy through "tasks", because "0" written there migrates only the
 * caller and the kernel then skips the global cgroup_threadgroup_rwsem, whose
 * write lock cgroup.procs takes and which waits for an RCU grace period
 * (milliseconds on a busy host, the largest single cost of a create).  A v2
 * cgroup has no "tasks" file: its cgroup.procs is written.
 *
 * The file a process joins a cgroup by: v1's tasks, or cgroup.procs where there is none (v2).
 */
static int open_join_file(int dirfd, const char **file)
{
	*file = "tasks";
	int fd = openat(dirfd, *file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = openat(dirfd, *file = "cgroup.procs", O_WRONLY | O_CLOEXEC);
	return fd;
}

static int join_by(int fd, const char *file, size_t i, char *errbuf, size_t errlen)
{
	ssize_t w = fd < 0 ? -1 : write(fd, "0", 1);
	if (w == 1)
		return 0;
	int e = errno;
	ss_fmt(errbuf, errlen, "join the container's cgroup (%s of hierarchy %zu): %s", file, i, ss_strerror(e));
	return -(e ? e : EIO);
}

/*
 * A v1 cpuset join sets the joiner's CPU affinity to the cpuset's CPUs on
 * kernels before 6.2 (since then the kernel keeps what sched_setaffinity
 * asked for, within the cpuset): the affinity the process had is asked for
 * again after the joins, so that a container has its caller's affinity
 * (within its cpuset) on every kernel.  Nothing when the joins left it alone
 * (6.2 and later, or no cpuset); the kernel keeps the result within the
 * cpuset, and an affinity with no CPU of it leaves the cpuset's.
 * Async-signal-safe.
 */
static void affinity_back(const cpu_set_t *before)
{
	cpu_set_t now;
	if (sched_getaffinity(0, sizeof(now), &now) == 0 && !CPU_EQUAL(&now, before))
		(void)sched_setaffinity(0, sizeof(*before), before);
}

/* Join each of fds: cgroup dirs (dirs: their join file opened here) or join files already open. */
static int join_all(const int *fds, size_t n, bool dirs, char *errbuf, size_t errlen)
{
	cpu_set_t before;
	bool have = n && sched_getaffinity(0, sizeof(before), &before) == 0;
	for (size_t i = 0; i < n; i++) {
		const char *file = "tasks or cgroup.procs";
		int fd = dirs ? open_join_file(fds[i], &file) : fds[i];
		int r = join_by(fd, file, i, errbuf, errlen);
		if (dirs && fd >= 0)
			close(fd);
		if (r < 0)
			return r;
	}
	if (have)
		affinity_back(&before);
	return 0;
}

int ctr_cgroup_join_self(const int *fds, size_t n, char *errbuf, size_t errlen)
{
	return join_all(fds, n, true, errbuf, errlen);
}

int ctr_cgroup_join_files(const int *fds, size_t n, char *errbuf, size_t errlen)
{
	return join_all(fds, n, false, errbuf, errlen);
}

int ctr_cgroup_open_join_files(const int *dirfds, size_t n, int *out, ctr_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *file;
		if ((out[i] = open_join_file(dirfds[i], &file)) < 0) {
			int e = errno;
			for (size_t k = 0; k < i; k++)
				close(out[k]);
			return ctr_err_sys(err, e, "open %s of the container's cgroup (hierarchy %zu)", file, i);
		}
	}
	return 0;
}

/* Open every hierarchy's dir (O_PATH) and list the fds (owned by cg) for ctr_cgroup_join_self. */
int ctr_cgroup_fds(struct ctr_cgroup *cg, bool skip_v2, int *fds, size_t *n, ctr_error **err)
{
	*n = 0;
	for (size_t i = 0; cg && i < cg->n; i++) {
		if (skip_v2 && cg->h[i].v2)
			continue;
		if (open_dir(cg, i) < 0)
			return ctr_err_sys(err, errno, "%s: open the container's cgroup", cg->h[i].dir);
		fds[(*n)++] = cg->h[i].fd;
	}
	return 0;
}

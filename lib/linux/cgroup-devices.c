/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device access control through cgroups (config-linux.md "Allowed Device
 * Cgroup").
 *
 * The rules are evaluated on top of deny-by-default, last match wins, bit by
 * bit: an access (any of read, write, mknod) is allowed when the last rule that
 * matches the device and names that access is an allow rule.
 *
 * cgroup v2 has no devices files: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * decides.  We emit it with raw bpf(2) (no libbpf): the program takes the
 * rules from the last to the first keeping the access bits decided so far,
 * so it is exactly the semantics above, and it does so without a branch
 * (build_prog: the verifier's cost is a create's on a cgroup v2 host).
 *
 * cgroup v1 keeps an exception list in the kernel: "a" to devices.deny resets
 * it to deny-by-default, each allow adds an exception, each deny removes the
 * exception with exactly the same type/major/minor.  We run the rules through
 * that model and write the resulting list, which means last-match-wins,
 * except that v1 cannot deny a device that an earlier wildcard allows (c *:*
 * rw, then deny c 1:3 w): such a list is refused with an error rather than
 * enforced differently from what it says.  Mknod alone is the exception:
 * every runtime allows mknod of any node (opening it is what the rules
 * guard), so a deny of m under "c *:* m" keeps mknod allowed.  A cgroup
 * that is already deny-by-default (an update) is moved to the new list by
 * adding before removing, so no kept device is refused in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>

#include "linux/cgroup-devices.h"

/* The runtime's default devices: what runc and crun allow. */
static const struct ctr_dev_rule default_rules[] = {
	{true, 'c', -1, -1, CTR_DEV_MKNOD}, /* mknod of any node (opening is guarded) */
	{true, 'b', -1, -1, CTR_DEV_MKNOD},
	{true, 'c', 1, 3, CTR_DEV_ALL},     /* /dev/null */
	{true, 'c', 1, 5, CTR_DEV_ALL},     /* /dev/zero */
	{true, 'c', 1, 7, CTR_DEV_ALL},     /* /dev/full */
	{true, 'c', 1, 8, CTR_DEV_ALL},     /* /dev/random */
	{true, 'c', 1, 9, CTR_DEV_ALL},     /* /dev/urandom */
	{true, 'c', 5, 0, CTR_DEV_ALL},     /* /dev/tty */
	{true, 'c', 5, 1, CTR_DEV_ALL},     /* /dev/console */
	{true, 'c', 5, 2, CTR_DEV_ALL},     /* /dev/ptmx */
	{true, 'c', 136, -1, CTR_DEV_ALL},  /* /dev/pts/N */
};

struct rule_vec {
	struct ctr_dev_rule *v;
	size_t n, cap;
};

/* Append count rules; r may point into rv itself (the base rules again after a reset). */
static int push(struct rule_vec *rv, const struct ctr_dev_rule *r, size_t count)
{
	bool own = rv->v && r >= rv->v && r < rv->v + rv->n;
	size_t at = own ? (size_t)(r - rv->v) : 0;
	if (rv->n + count > rv->cap) {
		size_t cap = rv->cap ? rv->cap : 32;
		while (cap < rv->n + count)
			cap *= 2;
		struct ctr_dev_rule *v = realloc(rv->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rv->v = v;
		rv->cap = cap;
		if (own)
			r = v + at;
	}
	memcpy(rv->v + rv->n, r, count * sizeof(*r));
	rv->n += count;
	return 0;
}

static bool is_deny_all(const struct ctr_dev_rule *r)
{
	return !r->allow && r->type == 'a' && r->access == CTR_DEV_ALL;
}

static int access_from_string(const char *s, unsigned *out)
{
	unsigned a = 0;
	for (; *s; s++) {
		switch (*s) {
		case 'r': a |= CTR_DEV_READ; break;
		case 'w': a |= CTR_DEV_WRITE; break;
		case 'm': a |= CTR_DEV_MKNOD; break;
		default: return -EINVAL;
		}
	}
	*out = a;
	return 0;
}

static int number_field(struct json_object *obj, const char *key, const char *what, int64_t *out,
			ctr_error **err)
{
	struct json_object *v;
	*out = -1;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s.%s: must be an integer (omit it or use -1 for any)",
			       what, key);
	errno = 0;
	int64_t n = json_object_get_int64(v);
	if (errno || n < -1 || n > UINT32_MAX)
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s.%s: %" PRId64 " is out of range: use a device number from 0 to 4294967295, "
			       "or -1 for any", what, key, n);
	*out = n;
	return 0;
}

int ctr_cgdev_rule_from_json(struct json_object *obj, const char *what, struct ctr_dev_rule *out,
			     ctr_error **err)
{
	struct json_object *v;
	if (!json_object_is_type(obj, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "%s: must be an object such as {\"allow\": true, \"type\": \"c\", \"major\": 1, "
			       "\"minor\": 3, \"access\": \"rwm\"}", what);
	if (!json_object_object_get_ex(obj, "allow", &v) || !json_object_is_type(v, json_type_boolean))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s.allow: required, true or false", what);
	out->allow = json_object_get_boolean(v);
	out->type = 'a';
	if (json_object_object_get_ex(obj, "type", &v) && !json_object_is_type(v, json_type_null)) {
		const char *t = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		if (!t || strlen(t) != 1 || !strchr("acb", t[0]))
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "%s.type: '%s' is not a device type: use a (all), c (character) or b (block)",
				       what, json_object_get_string(v));
		out->type = t[0];
	}
	int r = number_field(obj, "major", what, &out->major, err);
	if (r == 0)
		r = number_field(obj, "minor", what, &out->minor, err);
	if (r < 0)
		return r;
	if (out->type == 'a') /* "a" means every device whatever numbers follow, as in devices.allow */
		out->major = out->minor = -1;
	out->access = CTR_DEV_ALL;
	if (json_object_object_get_ex(obj, "access", &v) && !json_object_is_type(v, json_type_null)) {
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		if (!s || access_from_string(s, &out->access) < 0)
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "%s.access: '%s' is not an access mode: combine r (read), w (write) and "
				       "m (mknod), e.g. \"rwm\"", what, json_object_get_string(v));
		if (!out->access) /* "" is what runc reads as all */
			out->access = CTR_DEV_ALL;
	}
	return 0;
}

/* The defaults, then linux.devices (rwm each, fifos need no rule). */
static int base_rules(const struct oci_config *cfg, struct rule_vec *rv)
{
	int r = push(rv, default_rules, CTR_ARRAY_SIZE(default_rules));
	for (size_t i = 0; r == 0 && cfg && i < cfg->linux_.n_devices; i++) {
		const struct oci_device *d = &cfg->linux_.devices[i];
		if (d->type == 'p')
			continue;
		struct ctr_dev_rule dr = {true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, CTR_DEV_ALL};
		r = push(rv, &dr, 1);
	}
	return r;
}

int ctr_cgdev_rules_build(const struct oci_config *cfg, struct json_object *resources_devices,
			  struct ctr_dev_rule **rules, size_t *n, ctr_error **err)
{
	struct rule_vec rv = {0};
	size_t n_base;
	*rules = NULL;
	*n = 0;
	if (base_rules(cfg, &rv) < 0)
		goto nomem;
	n_base = rv.n;
	if (resources_devices && !json_object_is_type(resources_devices, json_type_array)) {
		free(rv.v);
		return ctr_err(err, EINVAL, CTR_E_INVALID, "linux.resources.devices: must be an array of rules");
	}
	for (size_t i = 0; resources_devices && i < json_object_array_length(resources_devices); i++) {
		char what[64];
		struct ctr_dev_rule dr;
		snprintf(what, sizeof(what), "linux.resources.devices[%zu]", i);
		int r = ctr_cgdev_rule_from_json(json_object_array_get_idx(resources_devices, i), what, &dr, err);
		if (r < 0) {
			free(rv.v);
			return r;
		}
		if (push(&rv, &dr, 1) < 0)
			goto nomem;
		/* a reset to deny-by-default keeps the devices every container needs */
		if (is_deny_all(&dr) && push(&rv, rv.v, n_base) < 0)
			goto nomem;
	}
	*rules = rv.v;
	*n = rv.n;
	return 0;
nomem:
	free(rv.v);
	return ctr_err_nomem(err);
}

static const char *access_string(unsigned a, char buf[4])
{
	char *p = buf;
	if (a & CTR_DEV_READ)
		*p++ = 'r';
	if (a & CTR_DEV_WRITE)
		*p++ = 'w';
	if (a & CTR_DEV_MKNOD)
		*p++ = 'm';
	*p = 0;
	return buf;
}

const char *ctr_cgdev_rule_format(const struct ctr_dev_rule *r, char *buf, size_t len)
{
	char acc[4], maj[24], min[24];
	if (r->type == 'a') {
		snprintf(buf, len, "a");
		return buf;
	}
	if (r->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%" PRId64, r->major);
	if (r->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%" PRId64, r->minor);
	snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, access_string(r->access, acc));
	return buf;
}

/* ------------------------------------------------------------------ v1 */

/* Does rule a match every device b matches (type and numbers)? */
static bool covers(const struct ctr_dev_rule *a, const struct ctr_dev_rule *b)
{
	if (a->type != 'a' && a->type != b->type)
		return false;
	if (a->major >= 0 && a->major != b->major)
		return false;
	return a->minor < 0 || a->minor == b->minor;
}

static bool same_match(const struct ctr_dev_rule *a, const struct ctr_dev_rule *b)
{
	return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

static bool overlaps(const struct ctr_dev_rule *a, const struct ctr_dev_rule *b)
{
	return (a->type == 'a' || b->type == 'a' || a->type == b->type) &&
	       (a->major < 0 || b->major < 0 || a->major == b->major) &&
	       (a->minor < 0 || b->minor < 0 || a->minor == b->minor);
}

/* devices.allow and devices.deny, each opened once for all the rules of an apply (a cgroupfs open
 * walks kernfs: a dozen rules cost more in opens and closes than in writes) */
struct rule_files {
	int dirfd;
	int fd[2]; /* [0] devices.deny, [1] devices.allow; -1 until used */
};

static int write_rule(struct rule_files *f, bool allow, const char *line, ctr_error **err)
{
	const char *file = allow ? "devices.allow" : "devices.deny";
	int *fd = &f->fd[allow];
	if (*fd < 0 && (*fd = openat(f->dirfd, file, O_WRONLY | O_CLOEXEC)) < 0)
		return ctr_err_sys(err, errno, "devices cgroup: open %s (is this the devices hierarchy?)", file);
	if (write(*fd, line, strlen(line)) < 0)
		return ctr_err_sys(err, errno, "devices cgroup: write '%s' to %s", line, file);
	return 0;
}

/*
 * Run the rules through the kernel's v1 model and keep the result: the
 * default (deny or allow) and the exception list, which is what gets written.
 * A rule against the default removes the bits it names from the exceptions it
 * covers (the kernel removes only exactly matching ones: the covered narrower
 * ones are written away one by one); one that would have to carve a hole into
 * a broader exception cannot be expressed and is refused, except for mknod,
 * which stays as the broader rule says (opening the node is what is guarded).
 */
static int v1_model(const struct ctr_dev_rule *rules, size_t n, bool *deny_default, struct ctr_dev_rule *ex,
		    size_t *n_ex, ctr_error **err)
{
	*deny_default = true;
	*n_ex = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ctr_dev_rule *r = &rules[i];
		char a[64], acc[4];
		if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == CTR_DEV_ALL) {
			*deny_default = !r->allow;
			*n_ex = 0;
			continue;
		}
		if (r->allow == *deny_default) { /* an exception: add (merge with the same numbers) */
			size_t j = 0;
			while (j < *n_ex && !same_match(&ex[j], r))
				j++;
			if (j == *n_ex)
				ex[(*n_ex)++] = (struct ctr_dev_rule){r->allow, r->type, r->major, r->minor, 0};
			ex[j].access |= r->access;
			continue;
		}
		unsigned lost = 0;
		for (size_t j = 0; j < *n_ex; j++) {
			if (!overlaps(&ex[j], r) || !(ex[j].access & r->access))
				continue;
			if (covers(r, &ex[j]))
				ex[j].access &= ~r->access;
			else
				lost |= ex[j].access & r->access;
		}
		if (lost & ~CTR_DEV_MKNOD)
			return ctr_err(err, EOPNOTSUPP, CTR_E_UNSUPPORTED,
				       "device rule '%s %s': cgroup v1 cannot %s '%s' for part of the devices an "
				       "earlier, broader rule %s: name the devices one by one or use cgroup v2",
				       r->allow ? "allow" : "deny", ctr_cgdev_rule_format(r, a, sizeof(a)),
				       r->allow ? "allow" : "deny", access_string(lost, acc),
				       r->allow ? "denies" : "allows");
		size_t k = 0;
		for (size_t j = 0; j < *n_ex; j++)
			if (ex[j].access)
				ex[k++] = ex[j];
		*n_ex = k;
	}
	return 0;
}

/* One number of a devices.list line: "*" is any. */
static bool list_number(const char **p, int64_t *out)
{
	if (**p == '*') {
		(*p)++;
		*out = -1;
		return true;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(*p, &end, 10);
	if (end == *p || errno || v > UINT32_MAX)
		return false;
	*out = (int64_t)v;
	*p = end;
	return true;
}

/*
 * The cgroup's current exceptions when it is deny-by-default (devices.list
 * lists them; an allow-by-default cgroup shows "a *:* rwm" only).  -1 when it
 * is allow-by-default or the list cannot be read or parsed: then reset.
 */
static int v1_current(int dirfd, struct ctr_dev_rule **out, size_t *n)
{
	char buf[16384];
	int fd = openat(dirfd, "devices.list", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0 || len == (ssize_t)sizeof(buf) - 1)
		return -1;
	buf[len] = '\0';
	size_t cap = 1;
	for (const char *c = buf; *c; c++)
		cap += *c == '\n';
	struct ctr_dev_rule *v = calloc(cap, sizeof(*v));
	if (!v)
		return -1;
	*n = 0;
	for (const char *p = buf; *p;) {
		struct ctr_dev_rule r = {true, p[0], -1, -1, 0};
		if ((r.type != 'c' && r.type != 'b') || p[1] != ' ')
			goto bad; /* "a *:* rwm": allow-by-default */
		p += 2;
		if (!list_number(&p, &r.major) || *p++ != ':' || !list_number(&p, &r.minor) || *p++ != ' ')
			goto bad;
		while (*p && *p != '\n') {
			unsigned a = *p == 'r' ? CTR_DEV_READ : *p == 'w' ? CTR_DEV_WRITE : *p == 'm' ? CTR_DEV_MKNOD : 0;
			if (!a)
				goto bad;
			r.access |= a;
			p++;
		}
		if (*p)
			p++;
		if (*n >= cap)
			goto bad;
		v[(*n)++] = r;
	}
	*out = v;
	return 0;
bad:
	free(v);
	*n = 0;
	return -1;
}

int ctr_cgdev_apply_v1(int dirfd, const struct ctr_dev_rule *rules, size_t n, ctr_error **err)
{
	/* "a" in the v1 files always means all access to everything: a partial one is c and b */
	struct ctr_dev_rule *ex = calloc(2 * n + 1, sizeof(*ex)), *exp = calloc(2 * n + 1, sizeof(*exp));
	if (!ex || !exp) {
		free(ex);
		free(exp);
		return ctr_err_nomem(err);
	}
	size_t n_exp = 0;
	for (size_t i = 0; i < n; i++) {
		exp[n_exp] = rules[i];
		if (rules[i].type == 'a' && rules[i].access != CTR_DEV_ALL) {
			exp[n_exp++].type = 'c';
			exp[n_exp] = rules[i];
			exp[n_exp].type = 'b';
		}
		n_exp++;
	}
	bool deny_default;
	size_t n_ex;
	int r = v1_model(exp, n_exp, &deny_default, ex, &n_ex, err);
	free(exp);
	struct ctr_dev_rule *cur = NULL;
	size_t n_cur = 0;
	/*
	 * Both deny-by-default (an update, or a cgroup under a deny-default
	 * parent): move from the current list to the new one, adding first and
	 * removing after, so the container never loses a device it keeps.
	 * Otherwise reset first, like runc, then write the exceptions.
	 */
	bool transition = r == 0 && deny_default && v1_current(dirfd, &cur, &n_cur) == 0;
	struct rule_files files = {dirfd, {-1, -1}};
	if (r == 0 && !transition)
		r = write_rule(&files, !deny_default, "a", err);
	for (size_t i = 0; r == 0 && i < n_ex; i++) {
		char line[64];
		ctr_cgdev_rule_format(&ex[i], line, sizeof(line));
		r = write_rule(&files, ex[i].allow, line, err);
	}
	for (size_t i = 0; r == 0 && i < n_cur; i++) {
		unsigned keep = 0;
		for (size_t j = 0; j < n_ex; j++)
			if (same_match(&ex[j], &cur[i]))
				keep |= ex[j].access;
		struct ctr_dev_rule gone = cur[i];
		gone.allow = false;
		gone.access &= ~keep;
		if (gone.access) {
			char line[64];
			r = write_rule(&files, false, ctr_cgdev_rule_format(&gone, line, sizeof(line)), err);
		}
	}
	for (int i = 0; i < 2; i++)
		if (files.fd[i] >= 0)
			close(files.fd[i]);
	free(cur);
	free(ex);
	return r;
}

/* ------------------------------------------------------------------ v2 */

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static unsigned bpf_access(unsigned a)
{
	return ((a & CTR_DEV_READ) ? BPF_DEVCG_ACC_READ : 0) | ((a & CTR_DEV_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
	       ((a & CTR_DEV_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* r = the 64-bit constant v (BPF_LD | BPF_IMM | BPF_DW: two instruction slots) */
static size_t emit_imm64(struct bpf_insn *p, size_t k, int reg, uint64_t v)
{
	p[k++] = INSN(BPF_LD | BPF_DW | BPF_IMM, reg, 0, 0, (int32_t)(uint32_t)v);
	p[k++] = INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
	return k;
}

/* dst = all ones when dst == 0, else 0, for dst below 2^63: dst - 1 is negative only for 0 */
static size_t emit_is_zero(struct bpf_insn *p, size_t k, int dst)
{
	p[k++] = INSN(BPF_ALU64 | BPF_SUB | BPF_K, dst, 0, 0, 1);
	p[k++] = INSN(BPF_ALU64 | BPF_ARSH | BPF_K, dst, 0, 0, 63);
	return k;
}

/*
 * Where a device's major, type and minor sit in the key the program compares
 * (see build_prog): below 2^63, which emit_is_zero needs.
 */
#define KEY_MAJOR_SHIFT 48
#define KEY_MAJOR_MASK 0x7fffu
#define KEY_TYPE_SHIFT 32
#define KEY_ALL ((uint64_t)KEY_MAJOR_MASK << KEY_MAJOR_SHIFT | 0xffffull << KEY_TYPE_SHIFT | UINT32_MAX)

/*
 * The program, without a branch: the verifier walks straight-line code once,
 * where the rule walk as compare-and-jump blocks (each block's outcome
 * learnt on each path, so that states did not prune) cost it about 50
 * states and 340 us for runc's default rules, every create on a cgroup v2
 * host; this one (157 instructions) loads in about 60 us.  Per access bit
 * the decision is the one of the last rule that matches the device and
 * names the bit, so:
 *
 *   r4 = key: major << 48 | type << 32 | minor (the type is the 16 bits of
 *        access_type; majors are 12 bits in the kernel, minors 20; a rule
 *        naming a major beyond the key's 15 bits or a minor beyond 32 is
 *        left out: it matches no device)
 *   r3 = the access asked for, r6 = bits allowed, r7 = bits undecided
 *   for each rule from the last: m = all ones when (key & mask) == value,
 *        else 0 (mask: the fields the rule names); the rule decides
 *        t = bits & r7 & m: r7 ^= t, and for an allow r6 |= t
 *   r0 = 1 when something is asked and nothing asked is outside r6, else 0
 *
 * Access bits the kernel may add later are outside every rule's, so they are
 * denied, as is an empty access (the walk's semantics: nothing decided).
 */
static struct bpf_insn *build_prog(const struct ctr_dev_rule *rules, size_t n, size_t *len)
{
	size_t cap = 32 + n * CTR_CGDEV_INSNS_PER_RULE, k = 0;
	struct bpf_insn *p = calloc(cap, sizeof(*p));
	if (!p)
		return NULL;
	p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0); /* access_type */
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	p[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);     /* r3: access */
	p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff); /* type */
	p[k++] = INSN(BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_2, 0, 0, KEY_TYPE_SHIFT);
	p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0); /* major */
	p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_4, 0, 0, (int32_t)KEY_MAJOR_MASK);
	p[k++] = INSN(BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_4, 0, 0, KEY_MAJOR_SHIFT);
	p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0); /* minor */
	p[k++] = INSN(BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_4, BPF_REG_5, 0, 0);
	p[k++] = INSN(BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0); /* r4: key */
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 0);
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_7, 0, 0, -1);
	for (size_t i = n; i-- > 0;) {
		const struct ctr_dev_rule *r = &rules[i];
		uint64_t mask = 0, value = 0;
		if (r->type != 'a') {
			mask |= 0xffffull << KEY_TYPE_SHIFT;
			value |= (uint64_t)(r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) << KEY_TYPE_SHIFT;
		}
		if (r->major >= 0) {
			if (r->major > (int64_t)KEY_MAJOR_MASK)
				continue;
			mask |= (uint64_t)KEY_MAJOR_MASK << KEY_MAJOR_SHIFT;
			value |= (uint64_t)r->major << KEY_MAJOR_SHIFT;
		}
		if (r->minor >= 0) {
			if (r->minor > (int64_t)UINT32_MAX)
				continue;
			mask |= UINT32_MAX;
			value |= (uint64_t)r->minor;
		}
		/* r9 = the bits it names still undecided */
		p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_7, 0, 0);
		p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_9, 0, 0, (int32_t)bpf_access(r->access));
		if (mask) {
			/* r8 = all ones when the device matches, else 0 */
			p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_4, 0, 0);
			if (mask != KEY_ALL) {
				k = emit_imm64(p, k, BPF_REG_0, mask);
				p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
			}
			k = emit_imm64(p, k, BPF_REG_0, value);
			p[k++] = INSN(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
			k = emit_is_zero(p, k, BPF_REG_8);
			p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_X, BPF_REG_9, BPF_REG_8, 0, 0);
		}
		if (r->allow)
			p[k++] = INSN(BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_6, BPF_REG_9, 0, 0);
		p[k++] = INSN(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_9, 0, 0);
	}
	/* r6 = all ones when nothing asked (at most 16 bits) is outside the allowed bits */
	p[k++] = INSN(BPF_ALU64 | BPF_XOR | BPF_K, BPF_REG_6, 0, 0, -1);
	p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0);
	k = emit_is_zero(p, k, BPF_REG_6);
	/* r0 = all ones when something is asked */
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_3, 0, 0);
	k = emit_is_zero(p, k, BPF_REG_0);
	p[k++] = INSN(BPF_ALU64 | BPF_XOR | BPF_K, BPF_REG_0, 0, 0, -1);
	/* both: 1, else 0; the AND with 1 tells the verifier r0 is 0 or 1 */
	p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_X, BPF_REG_0, BPF_REG_6, 0, 0);
	p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 1);
	p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	*len = k;
	return p;
}

struct bpf_insn *ctr_cgdev_prog_build(const struct ctr_dev_rule *rules, size_t n, size_t *len)
{
	return build_prog(rules, n, len);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_prog(const struct bpf_insn *insns, size_t len, ctr_error **err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.expected_attach_type = BPF_CGROUP_DEVICE;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)len;
	a.license = (uintptr_t) "GPL";
	memcpy(a.prog_name, CTR_CGDEV_PROG_NAME, sizeof(CTR_CGDEV_PROG_NAME));
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	int e = errno;
	if (e == EPERM || e == ENOSYS)
		return ctr_err_sys(err, e, "cgroup v2 device program: bpf(BPF_PROG_LOAD) (needs CAP_BPF and "
				   "CAP_SYS_ADMIN, and a kernel with CONFIG_CGROUP_BPF)");
	/* load again with the verifier's log for the message */
	size_t log_len = 65536;
	char *log = calloc(1, log_len);
	if (!log)
		return ctr_err_nomem(err);
	a.log_level = 1;
	a.log_buf = (uintptr_t)log;
	a.log_size = (uint32_t)log_len;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		free(log);
		return fd;
	}
	int r = ctr_err_sys(err, e, "cgroup v2 device program (%zu instructions) refused by the verifier: %s",
			    len, log[0] ? log : "(no log)");
	free(log);
	return r;
}

/* The ids of the device programs attached to the cgroup itself. */
static int query_ids(int cgfd, uint32_t **ids, uint32_t *count, ctr_error **err)
{
	uint32_t cap = 16;
	for (;;) {
		uint32_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return ctr_err_nomem(err);
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.query.target_fd = (uint32_t)cgfd;
		a.query.attach_type = BPF_CGROUP_DEVICE;
		a.query.prog_ids = (uintptr_t)v;
		a.query.prog_cnt = cap;
		if (sys_bpf(BPF_PROG_QUERY, &a) == 0) {
			*ids = v;
			*count = a.query.prog_cnt;
			return 0;
		}
		int e = errno;
		free(v);
		if (e != ENOSPC || cap >= 65536)
			return ctr_err_sys(err, e, "cgroup v2 device program: bpf(BPF_PROG_QUERY)");
		cap *= 4;
	}
}

int ctr_cgdev_v2_query(int cgfd, struct ctr_cgdev_prog **progs, size_t *n, ctr_error **err)
{
	uint32_t *ids = NULL, count = 0;
	*progs = NULL;
	*n = 0;
	int r = query_ids(cgfd, &ids, &count, err);
	if (r < 0)
		return r;
	struct ctr_cgdev_prog *v = calloc(count ? count : 1, sizeof(*v));
	if (!v) {
		free(ids);
		return ctr_err_nomem(err);
	}
	for (uint32_t i = 0; i < count; i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue; /* detached meanwhile */
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = (uint32_t)fd;
		a.info.info_len = sizeof(info);
		a.info.info = (uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0) {
			v[*n].id = ids[i];
			memcpy(v[*n].name, info.name, sizeof(v[*n].name));
			v[*n].name[sizeof(v[*n].name) - 1] = '\0';
			(*n)++;
		}
		close(fd);
	}
	free(ids);
	*progs = v;
	return 0;
}

/* An fd of the first program libctr attached to the cgroup, -1 if none. */
static int find_ours(int cgfd, int *fd, ctr_error **err)
{
	struct ctr_cgdev_prog *progs;
	size_t n;
	int r = ctr_cgdev_v2_query(cgfd, &progs, &n, err);
	*fd = -1;
	for (size_t i = 0; r == 0 && i < n && *fd < 0; i++) {
		if (strcmp(progs[i].name, CTR_CGDEV_PROG_NAME))
			continue;
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = progs[i].id;
		*fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	}
	free(progs);
	return r;
}

/* The rules' program, loaded: its fd, or -errno. */
static int rules_prog(const struct ctr_dev_rule *rules, size_t n, ctr_error **err)
{
	size_t len;
	struct bpf_insn *insns = build_prog(rules, n, &len);
	if (!insns)
		return ctr_err_nomem(err);
	if (len > 1000000) {
		free(insns);
		return ctr_err(err, E2BIG, CTR_E_INVALID, "cgroup v2 device program: %zu rules are too many", n);
	}
	int prog = load_prog(insns, len, err);
	free(insns);
	return prog;
}

int ctr_cgdev_apply_v2(int cgfd, const struct ctr_dev_rule *rules, size_t n, bool replace_only, ctr_error **err)
{
	int old;
	int r = find_ours(cgfd, &old, err);
	if (r < 0 || (replace_only && old < 0))
		return r;
	int prog = rules_prog(rules, n, err);
	if (prog < 0) {
		if (old >= 0)
			close(old);
		return prog;
	}

	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (old >= 0) {
		/* swap in one step: the cgroup is never without our program */
		a.attach_flags |= BPF_F_REPLACE;
		a.replace_bpf_fd = (uint32_t)old;
	}
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		r = ctr_err_sys(err, errno, "cgroup v2 device program: bpf(BPF_PROG_ATTACH%s)",
				old >= 0 ? ", BPF_F_REPLACE" : "");
	/* the cgroup holds the attached program: our fds can go */
	if (old >= 0)
		close(old);
	close(prog);
	return r;
}

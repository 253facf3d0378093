/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-demo run/create --image: podman's defaults and the flags people use
 * with images.  Defaults: the hostname is the container's name (and
 * HOSTNAME is in the environment), the network is "none" when no
 * --network is given (a namespace of its own with loopback up, /etc/hosts,
 * /etc/hostname and /etc/resolv.conf), and a container with a network
 * namespace of its own may ping without CAP_NET_RAW
 * (net.ipv4.ping_group_range "0 2147483647", as Docker sets it).  Flags:
 * -e, -u, -w, --entrypoint, --cap-add/--cap-drop, --sysctl, --read-only,
 * -v (bind), --tmpfs, -t/-i, --hostname, --memory, --cpus, --pids-limit.
 * --device with a host path (/dev/fuse[:/dev/x][:rwm]) works for bundles
 * and images alike.  Each becomes the runtime-spec field podman would
 * write; the library validates the result like any config.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"

/* The flags of this file and the registry flags (REG_OPTS, --pull), for the "only with --image" check. */
static const char *const image_only[] = {
	"env", "user", "workdir", "entrypoint", "cap-add", "cap-drop", "sysctl", "read-only", "volume",
	"tmpfs", "tty", "interactive", "hostname", "memory", "cpus", "pids-limit", "pull", "authfile", "creds",
	"cert-dir", "tls-verify", "registries-conf", NULL,
};

int cli_image_run_check(struct cli *cli, const struct opt *opts, bool image)
{
	if (image)
		return 0;
	for (const char *const *n = image_only; *n; n++) {
		const struct opt *o = cli_opt_find(opts, *n);
		if (o && o->is_set) {
			char what[256];
			snprintf(what, sizeof(what), "takes --%s only with --image (for a bundle, change its config.json)",
				 *n);
			cli_usage_error(cli, what);
			return -1;
		}
	}
	return 0;
}

void cli_image_run_free(struct image_run_args *r)
{
	free(r->env.v);
	free(r->cap_add.v);
	free(r->cap_drop.v);
	free(r->sysctl.v);
	free(r->volumes.v);
	free(r->tmpfs.v);
	if (r->entrypoint_v) {
		for (size_t i = 0; r->entrypoint_v[i]; i++)
			free(r->entrypoint_v[i]);
		free(r->entrypoint_v);
	}
	r->entrypoint_v = NULL;
}

/* --entrypoint: a JSON array of strings, or one command (an empty string: none) */
static int parse_entrypoint(struct cli *cli, struct image_run_args *r)
{
	const char *e = r->entrypoint;
	size_t n = 0;
	json_object *arr = NULL;
	if (e[0] == '[') {
		arr = json_tokener_parse(e);
		if (!arr || !json_object_is_type(arr, json_type_array)) {
			json_object_put(arr);
			cli_error(cli, "invalid --entrypoint '%s': give a command, or a JSON array of strings such as "
				  "'[\"/bin/sh\",\"-c\"]'", e);
			return -1;
		}
		n = json_object_array_length(arr);
	} else if (*e) {
		n = 1;
	}
	r->entrypoint_v = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; r->entrypoint_v && i < n; i++) {
		json_object *v = arr ? json_object_array_get_idx(arr, i) : NULL;
		if (arr && !json_object_is_type(v, json_type_string)) {
			json_object_put(arr);
			cli_error(cli, "invalid --entrypoint '%s': element %zu is not a string", e, i);
			return -1;
		}
		if (!(r->entrypoint_v[i] = strdup(arr ? json_object_get_string(v) : e))) {
			json_object_put(arr);
			cli_error(cli, "out of memory");
			return -1;
		}
	}
	json_object_put(arr);
	if (!r->entrypoint_v) {
		cli_error(cli, "out of memory");
		return -1;
	}
	return 0;
}

int cli_image_run_spec_options(struct cli *cli, struct image_run_args *r, ctr_image_spec_options *so)
{
	if (r->user && !*r->user) {
		cli_error(cli, "invalid --user '': give a user name or uid, optionally with :group or :gid");
		return -1;
	}
	so->user = r->user;
	if (r->entrypoint) {
		if (!r->entrypoint_v && parse_entrypoint(cli, r) < 0)
			return -1;
		so->entrypoint = (const char *const *)r->entrypoint_v;
	}
	return 0;
}

/* ---- capabilities ---- */

/* The capabilities this libctr knows, from its runtime-spec features document; NULL after an error. */
static json_object *known_caps(struct cli *cli, json_object **features)
{
	char *js = NULL;
	ctr_error *err = NULL;
	json_object *lin, *caps;
	if (ctr_features_json(&js, &err) < 0) {
		cli_error_ctr(cli, err, "the capabilities this build knows");
		return NULL;
	}
	*features = json_tokener_parse(js);
	ctr_free(js);
	if (!*features || !json_object_object_get_ex(*features, "linux", &lin) ||
	    !json_object_object_get_ex(lin, "capabilities", &caps) || !json_object_is_type(caps, json_type_array)) {
		cli_error(cli, "the features document has no linux.capabilities");
		return NULL;
	}
	return caps;
}

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN" as caps spells it; "all" -> "ALL"; NULL: unknown */
static const char *cap_name(json_object *caps, const char *s)
{
	char up[64];
	size_t i;
	for (i = 0; s[i] && i < sizeof(up) - 1; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	up[i] = '\0';
	if (!strcmp(up, "ALL"))
		return "ALL";
	const char *n = strncmp(up, "CAP_", 4) ? up : up + 4;
	for (size_t k = 0; k < json_object_array_length(caps); k++) {
		const char *c = json_object_get_string(json_object_array_get_idx(caps, k));
		if (c && !strncmp(c, "CAP_", 4) && !strcmp(c + 4, n))
			return c;
	}
	return NULL;
}

static bool arr_has(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
			return true;
	return false;
}

static json_object *member(json_object *o, const char *key, json_type t)
{
	json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, t))
		return v;
	v = t == json_type_array ? json_object_new_array() : json_object_new_object();
	if (v)
		json_object_object_add(o, key, v);
	return v;
}

/* --cap-drop then --cap-add (so --cap-drop ALL --cap-add X leaves X), on bounding, effective and permitted */
static int edit_caps(struct cli *cli, const struct image_run_args *r, json_object *proc)
{
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	if (!r->cap_drop.n && !r->cap_add.n)
		return 0;
	json_object *features = NULL, *known = known_caps(cli, &features);
	int rc = -1;
	if (!known)
		goto out;
	for (size_t k = 0; k < r->cap_drop.n + r->cap_add.n; k++) {
		const char *given = k < r->cap_drop.n ? r->cap_drop.v[k] : r->cap_add.v[k - r->cap_drop.n];
		if (!cap_name(known, given)) {
			cli_error(cli, "--cap-%s '%s': unknown capability: give a capabilities(7) name such as "
				  "NET_ADMIN (CAP_ optional) or ALL", k < r->cap_drop.n ? "drop" : "add", given);
			goto out;
		}
	}
	json_object *caps = member(proc, "capabilities", json_type_object);
	for (size_t s = 0; caps && s < 3; s++) {
		json_object *old = member(caps, sets[s], json_type_array), *nw = json_object_new_array();
		if (!old || !nw) {
			json_object_put(nw);
			break;
		}
		bool drop_all = false;
		for (size_t k = 0; k < r->cap_drop.n; k++)
			drop_all |= !strcmp(cap_name(known, r->cap_drop.v[k]), "ALL");
		for (size_t i = 0; !drop_all && i < json_object_array_length(old); i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(old, i));
			bool dropped = false;
			for (size_t k = 0; k < r->cap_drop.n; k++)
				dropped |= !strcmp(cap_name(known, r->cap_drop.v[k]), c);
			if (!dropped)
				json_object_array_add(nw, json_object_new_string(c));
		}
		for (size_t k = 0; k < r->cap_add.n; k++) {
			const char *c = cap_name(known, r->cap_add.v[k]);
			bool all = !strcmp(c, "ALL");
			for (size_t a = 0; all && a < json_object_array_length(known); a++) {
				const char *kc = json_object_get_string(json_object_array_get_idx(known, a));
				if (!arr_has(nw, kc))
					json_object_array_add(nw, json_object_new_string(kc));
			}
			if (!all && !arr_has(nw, c))
				json_object_array_add(nw, json_object_new_string(c));
		}
		json_object_object_add(caps, sets[s], nw);
	}
	if (!caps)
		cli_error(cli, "out of memory");
	else
		rc = 0;
out:
	json_object_put(features);
	return rc;
}

/* ---- mounts ---- */

static bool has_mount(json_object *root, const char *dst)
{
	json_object *mounts;
	if (!json_object_object_get_ex(root, "mounts", &mounts) || !json_object_is_type(mounts, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *d;
		if (json_object_object_get_ex(json_object_array_get_idx(mounts, i), "destination", &d) &&
		    !strcmp(json_object_get_string(d), dst))
			return true;
	}
	return false;
}

/* Add (or replace at the same destination) a mount. */
static void add_mount(json_object *root, const char *dst, const char *type, const char *src, json_object *opts)
{
	json_object *mounts = member(root, "mounts", json_type_array), *m = json_object_new_object();
	if (!mounts || !m) {
		json_object_put(m);
		json_object_put(opts);
		return;
	}
	json_object_object_add(m, "destination", json_object_new_string(dst));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", opts);
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *d;
		if (json_object_object_get_ex(json_object_array_get_idx(mounts, i), "destination", &d) &&
		    !strcmp(json_object_get_string(d), dst)) {
			json_object_array_put_idx(mounts, i, m);
			return;
		}
	}
	json_object_array_add(mounts, m);
}

static json_object *strs(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* -v /host/path:/in/container[:ro|rw][,propagation] */
static int add_volume(struct cli *cli, json_object *root, const char *spec)
{
	char *copy = strdup(spec), *save = NULL;
	if (!copy) {
		cli_error(cli, "out of memory");
		return -1;
	}
	char *src = strtok_r(copy, ":", &save), *dst = strtok_r(NULL, ":", &save), *opts = strtok_r(NULL, "", &save);
	int rc = -1;
	char *real = NULL;
	if (!src || !dst || src[0] != '/' || dst[0] != '/') {
		cli_error(cli, "invalid --volume '%s': give /host/path:/path/in/container[:ro]; both absolute (named "
			  "volumes are not supported)", spec);
		goto out;
	}
	if (!(real = realpath(src, NULL))) {
		cli_error(cli, "--volume '%s': the host path %s: %s (bind mounts need an existing file or directory)",
			  spec, src, strerror(errno));
		goto out;
	}
	const char *o[8] = { "rbind", "rw" };
	size_t n = 2;
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		static const char *const prop[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave", NULL };
		if (!strcmp(t, "ro") || !strcmp(t, "rw")) {
			o[1] = !strcmp(t, "ro") ? "ro" : "rw";
			continue;
		}
		size_t k;
		for (k = 0; prop[k] && strcmp(prop[k], t); k++)
			;
		if (!prop[k] || n >= 7) {
			cli_error(cli, "invalid --volume '%s': option '%s': use ro, rw or a propagation (rprivate, "
				  "rshared, rslave, ...)", spec, t);
			goto out;
		}
		o[n++] = prop[k];
	}
	o[n] = NULL;
	add_mount(root, dst, "bind", real, strs(o));
	rc = 0;
out:
	free(real);
	free(copy);
	return rc;
}

/* --tmpfs /dst[:opts]: podman's defaults (rw,noexec,nosuid,nodev), each overridable by its opposite */
static int add_tmpfs(struct cli *cli, json_object *root, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (dst[0] != '/') {
		cli_error(cli, "invalid --tmpfs '%s': give /path/in/container[:options], e.g. /run:size=64m,mode=755",
			  spec);
		return -1;
	}
	const char *o[64] = { "rw", "noexec", "nosuid", "nodev" };
	static const char *const flips[][2] = { { "rw", "ro" }, { "noexec", "exec" }, { "nosuid", "suid" },
						 { "nodev", "dev" } };
	size_t n = 4;
	char *copy = colon ? strdup(colon + 1) : NULL, *save = NULL;
	if (colon && !copy) {
		cli_error(cli, "out of memory");
		return -1;
	}
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		bool flipped = false;
		for (size_t k = 0; k < 4; k++)
			if (!strcmp(t, flips[k][0]) || !strcmp(t, flips[k][1])) {
				o[k] = !strcmp(t, flips[k][0]) ? flips[k][0] : flips[k][1];
				flipped = true;
			}
		if (!flipped && n < 63)
			o[n++] = t;
	}
	o[n] = NULL;
	add_mount(root, dst, "tmpfs", "tmpfs", strs(o));
	free(copy);
	return 0;
}

/* ---- resources ---- */

static int edit_resources(struct cli *cli, const struct image_run_args *r, json_object *lin)
{
	int64_t mem = 0;
	double cpus = 0;
	long long pids = 0;
	char *end;
	if (r->memory && (cli_parse_bytes(r->memory, &mem) < 0 || mem <= 0)) {
		cli_error(cli, "invalid --memory '%s': give a size such as 512m or 1g", r->memory);
		return -1;
	}
	if (r->cpus) {
		errno = 0;
		cpus = strtod(r->cpus, &end);
		if (errno || end == r->cpus || *end || cpus <= 0 || cpus > 1e6) {
			cli_error(cli, "invalid --cpus '%s': give a number of CPUs such as 1.5", r->cpus);
			return -1;
		}
	}
	if (r->pids_limit) {
		errno = 0;
		pids = strtoll(r->pids_limit, &end, 10);
		if (errno || end == r->pids_limit || *end || pids < -1) {
			cli_error(cli, "invalid --pids-limit '%s': give a number of processes (-1: no limit)", r->pids_limit);
			return -1;
		}
	}
	if (!r->memory && !r->cpus && !r->pids_limit)
		return 0;
	json_object *res = member(lin, "resources", json_type_object);
	if (!res)
		return -1;
	if (r->memory)
		json_object_object_add(member(res, "memory", json_type_object), "limit", json_object_new_int64(mem));
	if (r->cpus) {
		/* as docker: a 100 ms period and the quota of that many CPUs in it */
		json_object *cpu = member(res, "cpu", json_type_object);
		json_object_object_add(cpu, "period", json_object_new_int64(100000));
		json_object_object_add(cpu, "quota", json_object_new_int64((int64_t)(cpus * 100000 + 0.5)));
	}
	if (r->pids_limit)
		json_object_object_add(member(res, "pids", json_type_object), "limit", json_object_new_int64(pids));
	return 0;
}

/* ---- devices by host path ---- */

int cli_host_device(struct cli *cli, json_object *root, const char *spec)
{
	char *copy = strdup(spec), *save = NULL;
	if (!copy) {
		cli_error(cli, "out of memory");
		return -1;
	}
	char *host = strtok_r(copy, ":", &save), *cpath = strtok_r(NULL, ":", &save), *perm = strtok_r(NULL, ":", &save);
	int rc = -1;
	struct stat st;
	if (cpath && cpath[0] != '/' && !perm) { /* /dev/x:rw: no container path */
		perm = cpath;
		cpath = NULL;
	}
	if (!cpath)
		cpath = host;
	if (!perm)
		perm = "rwm";
	if (!host || host[0] != '/' || cpath[0] != '/' || !*perm || perm[strspn(perm, "rwm")]) {
		cli_error(cli, "invalid --device '%s': give /dev/<host node>[:/dev/<in container>][:rwm]", spec);
		goto out;
	}
	if (stat(host, &st) < 0) {
		cli_error(cli, "--device '%s': %s: %s", spec, host, strerror(errno));
		goto out;
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
		cli_error(cli, "--device '%s': %s is not a character or block device", spec, host);
		goto out;
	}
	const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
	json_object *lin = member(root, "linux", json_type_object);
	json_object *devs = lin ? member(lin, "devices", json_type_array) : NULL;
	json_object *res = lin ? member(lin, "resources", json_type_object) : NULL;
	json_object *rules = res ? member(res, "devices", json_type_array) : NULL;
	json_object *d = json_object_new_object(), *rule = json_object_new_object();
	if (!devs || !rules || !d || !rule) {
		json_object_put(d);
		json_object_put(rule);
		cli_error(cli, "out of memory");
		goto out;
	}
	json_object_object_add(d, "path", json_object_new_string(cpath));
	json_object_object_add(d, "type", json_object_new_string(type));
	json_object_object_add(d, "major", json_object_new_int64(major(st.st_rdev)));
	json_object_object_add(d, "minor", json_object_new_int64(minor(st.st_rdev)));
	json_object_object_add(d, "fileMode", json_object_new_int64(st.st_mode & 07777));
	json_object_object_add(d, "uid", json_object_new_int64(0));
	json_object_object_add(d, "gid", json_object_new_int64(0));
	json_object_array_add(devs, d);
	json_object_object_add(rule, "allow", json_object_new_boolean(1));
	json_object_object_add(rule, "type", json_object_new_string(type));
	json_object_object_add(rule, "major", json_object_new_int64(major(st.st_rdev)));
	json_object_object_add(rule, "minor", json_object_new_int64(minor(st.st_rdev)));
	json_object_object_add(rule, "access", json_object_new_string(perm));
	json_object_array_add(rules, rule);
	rc = 0;
out:
	free(copy);
	return rc;
}

/* ---- the whole edit ---- */

/* process.env has NAME= already */
static bool env_given(const struct strv *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], name, n) && (env->v[i][n] == '=' || !env->v[i][n]))
			return true;
	return false;
}

int cli_spec_edit_json(struct cli *cli, ctr_spec **spec, const char *what,
		       int (*fn)(struct cli *cli, json_object *root, void *ud), void *ud)
{
	char *js = NULL;
	ctr_error *err = NULL;
	ctr_spec *nw = NULL;
	if (ctr_spec_to_json(*spec, &js, NULL, 0, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return -1;
	}
	json_object *root = json_tokener_parse(js);
	ctr_free(js);
	if (!root) {
		cli_error(cli, "out of memory");
		return -1;
	}
	int rc = fn(cli, root, ud);
	if (rc == 0) {
		size_t len;
		const char *txt = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
		if (!txt) {
			cli_error(cli, "out of memory");
			rc = -1;
		} else if (ctr_spec_load_buffer(&nw, txt, len, what, &err) < 0) {
			cli_error_ctr(cli, err, NULL);
			rc = -1;
		} else {
			ctr_spec_free(*spec);
			*spec = nw;
		}
	}
	json_object_put(root);
	return rc;
}

struct apply_ctx {
	const struct image_run_args *r;
	bool own_netns;
};

static int apply_json(struct cli *cli, json_object *root, void *ud)
{
	const struct apply_ctx *a = ud;
	const struct image_run_args *r = a->r;
	json_object *proc = member(root, "process", json_type_object), *lin = member(root, "linux", json_type_object);
	if (!proc || !lin) {
		cli_error(cli, "out of memory");
		return -1;
	}
	if (edit_caps(cli, r, proc) < 0 || edit_resources(cli, r, lin) < 0)
		return -1;
	/* read-only root: podman's --read-only-tmpfs (a tmpfs on /run, /tmp and /var/tmp) */
	if (r->read_only) {
		static const char *const dirs[] = { "/run", "/tmp", "/var/tmp" };
		static const char *const o[] = { "rw", "nosuid", "nodev", "mode=1777", NULL };
		json_object *rt = member(root, "root", json_type_object);
		if (rt)
			json_object_object_add(rt, "readonly", json_object_new_boolean(1));
		for (size_t i = 0; i < 3; i++)
			if (!has_mount(root, dirs[i]))
				add_mount(root, dirs[i], "tmpfs", "tmpfs", strs(o));
	}
	for (size_t i = 0; i < r->volumes.n; i++)
		if (add_volume(cli, root, r->volumes.v[i]) < 0)
			return -1;
	for (size_t i = 0; i < r->tmpfs.n; i++)
		if (add_tmpfs(cli, root, r->tmpfs.v[i]) < 0)
			return -1;
	json_object *sys = NULL;
	for (size_t i = 0; i < r->sysctl.n; i++) {
		const char *kv = r->sysctl.v[i], *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			cli_error(cli, "invalid --sysctl '%s': give name=value, e.g. net.ipv4.ip_forward=1", kv);
			return -1;
		}
		char *k = strndup(kv, (size_t)(eq - kv));
		if (!k || !(sys = member(lin, "sysctl", json_type_object))) {
			free(k);
			cli_error(cli, "out of memory");
			return -1;
		}
		json_object_object_add(sys, k, json_object_new_string(eq + 1));
		free(k);
	}
	/* ping without CAP_NET_RAW in a network namespace of its own, as Docker and podman allow */
	json_object *v;
	if (a->own_netns && (sys = member(lin, "sysctl", json_type_object)) &&
	    !json_object_object_get_ex(sys, "net.ipv4.ping_group_range", &v))
		json_object_object_add(sys, "net.ipv4.ping_group_range", json_object_new_string("0 2147483647"));
	return 0;
}

int cli_image_run_apply(struct cli *cli, const struct image_run_args *r, const char *id, bool own_netns,
			ctr_spec **spec)
{
	ctr_error *err = NULL;
	const char *h = r->hostname ? r->hostname : id;
	if (ctr_spec_set_hostname(*spec, h, &err) < 0) {
		cli_error_ctr(cli, err, r->hostname ? "--hostname" : "the hostname (the container's name; give --hostname)");
		return -1;
	}
	if (!env_given(&r->env, "HOSTNAME") && ctr_spec_set_env(*spec, "HOSTNAME", h, &err) < 0) {
		cli_error_ctr(cli, err, NULL);
		return -1;
	}
	for (size_t i = 0; i < r->env.n; i++) {
		const char *kv = r->env.v[i], *eq = strchr(kv, '=');
		if (eq == kv || !*kv) {
			cli_error(cli, "invalid --env '%s': give NAME=value, or NAME to pass on this process's value", kv);
			return -1;
		}
		char *k = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);
		const char *val = eq ? eq + 1 : getenv(kv);
		int rr = 0;
		if (!k) {
			cli_error(cli, "out of memory");
			return -1;
		}
		if (val && (rr = ctr_spec_set_env(*spec, k, val, &err)) < 0)
			cli_error_ctr(cli, err, "--env");
		free(k);
		if (rr < 0)
			return -1;
	}
	if (r->workdir) {
		if (r->workdir[0] != '/') {
			cli_error(cli, "invalid --workdir '%s': give an absolute path in the container", r->workdir);
			return -1;
		}
		if (ctr_spec_set_cwd(*spec, r->workdir, &err) < 0) {
			cli_error_ctr(cli, err, "--workdir");
			return -1;
		}
	}
	if (r->tty && ctr_spec_set_terminal(*spec, 1, &err) < 0) {
		cli_error_ctr(cli, err, "--tty");
		return -1;
	}
	struct apply_ctx a = { r, own_netns };
	return cli_spec_edit_json(cli, spec, "the image's spec with the run flags", apply_json, &a);
}

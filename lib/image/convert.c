/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image config -> runtime spec, as the image-spec's conversion.md says.
 *
 * User names are resolved through the image's own /etc/passwd and
 * /etc/group, read in the merged view of its layers: a read-only overlay
 * made with fsmount() and never attached to the mount tree, searched with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so a symlink in the
 * image resolves as in the container and cannot reach a host file.  Where
 * no overlay can be made (not privileged, no overlayfs) the layer dirs are
 * searched from the top instead, an overlay whiteout (0/0 character
 * device) or an opaque parent ending the search; a symlink is then
 * followed only inside its own layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "spec/oci.h"

CTR_EXPORT int ctr_image_spec_options_init_sized(ctr_image_spec_options *o, size_t size)
{
	ctr_image_spec_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(o, size, &def, sizeof(def));
}

static bool is_whiteout(int fd)
{
	struct stat s;
	return fstat(fd, &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0);
}

/* Does a lower layer stay hidden for path in this layer dir (opaque or whited-out parent)? */
static bool hides_below(int ldir, const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = '\0';
		int fd = img_open_in(ldir, p, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			continue;
		char v[4];
		char fp[64];
		snprintf(fp, sizeof(fp), "/proc/self/fd/%d", fd);
		bool hide = is_whiteout(fd) ||
			    (getxattr(fp, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
		close(fd);
		if (hide)
			return true;
	}
	return false;
}

/* Read a regular file (at most 16 MiB) from an open fd. */
static int read_reg(int fd, const char *what, char **out, size_t *len, ctr_error **err)
{
	struct stat s;
	if (fstat(fd, &s) < 0 || !S_ISREG(s.st_mode))
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: not a regular file", what);
	if (s.st_size > (16 << 20))
		return ctr_err(err, EFBIG, CTR_E_INVALID, "%s: larger than 16 MiB", what);
	size_t cap = (size_t)s.st_size, n = 0;
	char *b = malloc(cap + 1);
	if (!b)
		return ctr_err_nomem(err);
	while (n < cap) {
		ssize_t k = read(fd, b + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

int img_read_image_file(ctr_image_store *st, const struct img_record *rec, const char *path, char **out,
			size_t *len, ctr_error **err)
{
	char what[PATH_MAX + 64];
	snprintf(what, sizeof(what), "image '%s': /%s", rec->name, path);
	/* the merged view: a read-only overlay of the layers, detached (never in the mount
	 * tree), so symlinks across layers resolve as in the container */
	int mnt = -1;
	if (rec->n_layers >= 2 && img_overlay_detached(st, rec, -1, NULL, &mnt) == 0) {
		int fd = img_open_in(mnt, path, O_RDONLY);
		close(mnt);
		if (fd < 0)
			return ctr_err(err, -fd, CTR_E_NOT_FOUND, "%s: %s", what, strerror(-fd));
		int r = read_reg(fd, what, out, len, err);
		close(fd);
		return r;
	}
	/* without overlayfs (or one layer): the layer dirs from the top, whiteouts honoured */
	for (size_t i = rec->n_layers; i-- > 0;) {
		char ld[PATH_MAX];
		if (img_layer_dir(rec->layers[i].chain_id, ld, sizeof(ld)) < 0)
			break;
		int ldir = openat(st->dirfd, ld, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ldir < 0)
			return ctr_err_sys(err, errno, "image '%s': layer %s is missing from the store: import the "
					   "image again", rec->name, rec->layers[i].chain_id);
		int fd = img_open_in(ldir, path, O_RDONLY);
		if (fd >= 0) {
			int r = is_whiteout(fd) ? ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "%s: deleted by a layer", what)
						: read_reg(fd, what, out, len, err);
			close(fd);
			close(ldir);
			return r;
		}
		bool stop = fd == -ENOENT && hides_below(ldir, path);
		close(ldir);
		if (stop || (fd != -ENOENT && fd != -ENOTDIR))
			break;
	}
	return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s' has no /%s", rec->name, path);
}

/* A numeric id: all digits, fits in 32 bits. */
static bool parse_id(const char *s, unsigned *out)
{
	if (!*s)
		return false;
	unsigned long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 0xffffffffUL)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

/*
 * Find a line of a passwd/group file whose field 0 (name) is `name`, or
 * whose field id_field is `id` when name is NULL.  fields receive up to n
 * pointers into line (the buffer is modified).
 */
static bool find_entry(char *buf, const char *name, unsigned id, int id_field, char **fields, int n)
{
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		int k = 0;
		char *p = line;
		for (; k < n; k++) {
			fields[k] = p;
			char *c = strchr(p, ':');
			if (!c) {
				k++;
				break;
			}
			*c = '\0';
			p = c + 1;
		}
		for (int j = k; j < n; j++)
			fields[j] = (char *)"";
		unsigned v;
		if (name ? !strcmp(fields[0], name) : (parse_id(fields[id_field], &v) && v == id))
			return true;
	}
	return false;
}

/* User as config.md lists it: user, uid, user:group, uid:gid, uid:group, user:gid. */
static int resolve_user(ctr_image_store *st, const struct img_record *rec, const char *user, unsigned *uid,
			unsigned *gid, unsigned **groups, size_t *n_groups, ctr_error **err)
{
	char *u = strdup(user), *g = NULL, *pw = NULL, *gr = NULL, *f[7];
	size_t pwlen, grlen;
	int r = 0;
	bool have_gid = false;
	*groups = NULL;
	*n_groups = 0;
	if (!u)
		return ctr_err_nomem(err);
	if ((g = strchr(u, ':')))
		*g++ = '\0';
	bool pw_ok = img_read_image_file(st, rec, "etc/passwd", &pw, &pwlen, NULL) == 0;
	bool gr_ok = img_read_image_file(st, rec, "etc/group", &gr, &grlen, NULL) == 0;
	const char *uname = NULL;
	if (parse_id(u, uid)) {
		*gid = 0;
		if (pw_ok) {
			char *copy = strdup(pw);
			if (!copy) {
				r = ctr_err_nomem(err);
				goto out;
			}
			unsigned v;
			if (find_entry(copy, NULL, *uid, 2, f, 7) && parse_id(f[3], &v)) {
				*gid = v;
				uname = NULL;
			}
			free(copy);
		}
	} else {
		if (!pw_ok) {
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s': config.User '%s': the image has no "
				    "/etc/passwd to look the user up in: use a numeric uid", rec->name, user);
			goto out;
		}
		char *copy = strdup(pw);
		if (!copy) {
			r = ctr_err_nomem(err);
			goto out;
		}
		unsigned v, w;
		bool found = find_entry(copy, u, 0, 2, f, 7) && parse_id(f[2], &v) && parse_id(f[3], &w);
		free(copy);
		if (!found) {
			r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s': config.User '%s': no user '%s' in the "
				    "image's /etc/passwd", rec->name, user, u);
			goto out;
		}
		*uid = v;
		*gid = w;
		uname = u;
	}
	if (g && *g) {
		if (parse_id(g, gid))
			have_gid = true;
		else {
			char *copy = gr_ok ? strdup(gr) : NULL;
			unsigned v;
			bool found = copy && find_entry(copy, g, 0, 2, f, 4) && parse_id(f[2], &v);
			free(copy);
			if (!found) {
				r = ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "image '%s': config.User '%s': no group '%s' in "
					    "the image's /etc/group", rec->name, user, g);
				goto out;
			}
			*gid = v;
			have_gid = true;
		}
	}
	/* without an explicit group, the user's supplementary groups from /etc/group apply */
	if (!have_gid && uname && gr_ok) {
		char *save = NULL;
		for (char *line = strtok_r(gr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *ff[4] = { 0 }, *p = line;
			int k;
			for (k = 0; k < 4 && p; k++) {
				ff[k] = p;
				char *c = strchr(p, ':');
				if (c)
					*c++ = '\0';
				p = c;
			}
			unsigned v;
			if (k < 4 || !parse_id(ff[2], &v) || v == *gid)
				continue;
			char *msave = NULL;
			for (char *m = strtok_r(ff[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave))
				if (!strcmp(m, uname)) {
					unsigned *ng = realloc(*groups, (*n_groups + 1) * sizeof(*ng));
					if (!ng) {
						r = ctr_err_nomem(err);
						goto out;
					}
					*groups = ng;
					ng[(*n_groups)++] = v;
					break;
				}
		}
	}
out:
	free(u);
	free(pw);
	free(gr);
	if (r < 0) {
		free(*groups);
		*groups = NULL;
		*n_groups = 0;
	}
	return r;
}

/* The keys of an object joined with commas ("80/tcp,443/tcp"); NULL when empty. */
static char *join_keys(struct json_object *o)
{
	size_t len = 0;
	json_object_object_foreach(o, k, v) {
		(void)v;
		len += strlen(k) + 1;
	}
	if (!len)
		return NULL;
	char *s = calloc(1, len), *p = s;
	if (!s)
		return NULL;
	json_object_object_foreach(o, k2, v2) {
		(void)v2;
		p += sprintf(p, "%s%s", p == s ? "" : ",", k2);
	}
	return s;
}

static struct json_object *cfg_member(struct json_object *c, const char *key, json_type t)
{
	struct json_object *v;
	if (!c || !json_object_object_get_ex(c, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static int annotate(ctr_spec *spec, struct json_object *root, struct json_object *c, ctr_error **err)
{
	static const struct {
		const char *key, *ann;
	} top[] = {
		{ "os", "org.opencontainers.image.os" },
		{ "architecture", "org.opencontainers.image.architecture" },
		{ "variant", "org.opencontainers.image.variant" },
		{ "os.version", "org.opencontainers.image.os.version" },
		{ "author", "org.opencontainers.image.author" },
		{ "created", "org.opencontainers.image.created" },
	};
	int r;
	struct json_object *v;
	/* labels first: the spec's own annotations win on a conflict */
	if ((v = cfg_member(c, "Labels", json_type_object))) {
		json_object_object_foreach(v, k, lv) {
			if (json_object_is_type(lv, json_type_string) &&
			    (r = ctr_spec_set_annotation(spec, k, json_object_get_string(lv), err)) < 0)
				return r;
		}
	}
	for (size_t i = 0; i < CTR_ARRAY_SIZE(top); i++)
		if ((v = cfg_member(root, top[i].key, json_type_string)) &&
		    (r = ctr_spec_set_annotation(spec, top[i].ann, json_object_get_string(v), err)) < 0)
			return r;
	if ((v = cfg_member(c, "StopSignal", json_type_string)) &&
	    (r = ctr_spec_set_annotation(spec, "org.opencontainers.image.stopSignal", json_object_get_string(v), err)) < 0)
		return r;
	static const struct {
		const char *key, *ann;
	} sets[] = {
		{ "ExposedPorts", "org.opencontainers.image.exposedPorts" },
		{ "Volumes", "org.opencontainers.image.volumes" },
	};
	for (size_t i = 0; i < CTR_ARRAY_SIZE(sets); i++) {
		if (!(v = cfg_member(c, sets[i].key, json_type_object)) || !json_object_object_length(v))
			continue;
		char *s = join_keys(v);
		if (!s)
			return ctr_err_nomem(err);
		r = ctr_spec_set_annotation(spec, sets[i].ann, s, err);
		free(s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Append the strings of a JSON array (may be NULL) to v. */
static int push_strs(const char **v, size_t *n, struct json_object *arr)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		v[(*n)++] = json_object_get_string(json_object_array_get_idx(arr, i));
	return 0;
}

static int set_process(ctr_spec *spec, const char *name, struct json_object *c, const ctr_image_spec_options *o,
		       ctr_error **err)
{
	struct json_object *ep = cfg_member(c, "Entrypoint", json_type_array), *cmd = cfg_member(c, "Cmd", json_type_array);
	size_t cap = (ep ? json_object_array_length(ep) : 0) + (cmd ? json_object_array_length(cmd) : 0) +
		     ctr_strv_len(o->args) + ctr_strv_len(o->entrypoint) + 1;
	const char **argv = calloc(cap, sizeof(*argv));
	size_t n = 0;
	int r;
	if (!argv)
		return ctr_err_nomem(err);
	if (o->entrypoint)
		for (size_t i = 0; o->entrypoint[i]; i++)
			argv[n++] = o->entrypoint[i];
	else
		push_strs(argv, &n, ep);
	if (o->args)
		for (size_t i = 0; o->args[i]; i++)
			argv[n++] = o->args[i];
	else if (!o->entrypoint)
		push_strs(argv, &n, cmd);
	if (!n)
		r = ctr_err(err, EINVAL, CTR_E_INVALID, "image '%s' has neither Entrypoint nor Cmd: give the command "
			    "to run", name);
	else
		r = ctr_spec_set_args(spec, argv, err);
	free(argv);
	if (r < 0)
		return r;
	struct json_object *env = cfg_member(c, "Env", json_type_array), *wd;
	for (size_t i = 0; env && i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		const char *eq = strchr(e, '=');
		if (!eq || eq == e)
			return ctr_err(err, EINVAL, CTR_E_INVALID, "image '%s': config.Env[%zu]: '%s' is not NAME=VALUE",
				       name, i, e);
		char *k = strndup(e, (size_t)(eq - e));
		if (!k)
			return ctr_err_nomem(err);
		r = ctr_spec_set_env(spec, k, eq + 1, err);
		free(k);
		if (r < 0)
			return r;
	}
	if ((wd = cfg_member(c, "WorkingDir", json_type_string)) && *json_object_get_string(wd)) {
		const char *w = json_object_get_string(wd);
		char *abs = NULL;
		if (w[0] != '/' && asprintf(&abs, "/%s", w) < 0)
			return ctr_err_nomem(err);
		r = ctr_spec_set_cwd(spec, abs ? abs : w, err);
		free(abs);
		if (r < 0)
			return r;
	}
	return 0;
}

CTR_EXPORT int ctr_image_spec(ctr_image_store *st, const char *name, const ctr_image_spec_options *opts,
			      ctr_spec **out, ctr_error **err)
{
	ctr_image_spec_options o;
	struct img_record rec = { 0 };
	struct json_object *root = NULL;
	char *buf = NULL;
	size_t len;
	ctr_spec *spec = NULL;
	unsigned *groups = NULL;
	size_t n_groups = 0;
	int r;
	ctr_image_spec_options_init(&o);
	if (!st || !name || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_image_spec: NULL argument");
	if (opts && (r = ctr_copy_options(&o, sizeof(o), opts, opts->size, "ctr_image_spec_options", err)) < 0)
		return r;
	if ((r = img_store_record(st, name, &rec, err)) < 0 ||
	    (r = img_store_read_blob(st, rec.config, &buf, &len, err)) < 0 ||
	    (r = img_json_parse(buf, len, rec.config, false, &root, err)) < 0)
		goto out;
	struct json_object *c = cfg_member(root, "config", json_type_object);
	if ((r = ctr_spec_new_default(&spec, err)) < 0 || (r = ctr_spec_set_root(spec, "rootfs", 0, err)) < 0 ||
	    (r = set_process(spec, name, c, &o, err)) < 0 || (r = annotate(spec, root, c, err)) < 0)
		goto out;
	struct json_object *uv = cfg_member(c, "User", json_type_string);
	const char *user = o.user ? o.user : uv ? json_object_get_string(uv) : "";
	if (*user) {
		unsigned uid = 0, gid = 0;
		if ((r = resolve_user(st, &rec, user, &uid, &gid, &groups, &n_groups, err)) < 0 ||
		    (r = ctr_spec_set_user(spec, uid, gid, err)) < 0)
			goto out;
		if (n_groups) {
			struct json_object *proc, *u, *arr = json_object_new_array();
			if (!arr) {
				r = ctr_err_nomem(err);
				goto out;
			}
			for (size_t i = 0; i < n_groups; i++)
				json_object_array_add(arr, json_object_new_int64(groups[i]));
			if (json_object_object_get_ex(ctr_spec_json(spec), "process", &proc) &&
			    json_object_object_get_ex(proc, "user", &u))
				json_object_object_add(u, "additionalGids", arr);
			else
				json_object_put(arr);
		}
	}
	*out = spec;
	spec = NULL;
out:
	free(groups);
	ctr_spec_free(spec);
	json_object_put(root);
	free(buf);
	img_record_free(&rec);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the image-spec's documents, each over (buf, len): image index
 * (image-index.md), image manifest (manifest.md), image config (config.md),
 * and docker-save's manifest.json; platform matching and ChainIDs.
 * Errors name the document and the JSON path ("index.json: manifests[1].digest: ...").
 * Fields we do not know are ignored, as the spec asks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <json-c/json.h>

#include "image/image-internal.h"
#include "image/digest.h"

int img_json_parse(const char *buf, size_t len, const char *what, bool want_array, struct json_object **out,
		   ctr_error **err)
{
	if (!buf && len)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "%s: NULL buffer", what);
	if (len > IMG_DOC_MAX)
		return ctr_err(err, EFBIG, CTR_E_PARSE, "%s: %zu bytes, more than the %u an image document may have",
			       what, len, IMG_DOC_MAX);
	if (len && memchr(buf, '\0', len))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: NUL byte in the document: not JSON text", what);
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		return ctr_err_nomem(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o = json_tokener_parse_ex(tok, buf ? buf : "", (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o) {
		if (je == json_tokener_success || je == json_tokener_continue)
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: the JSON ends early (truncated document?)", what);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: invalid JSON at byte %zu: %s", what, end,
			       json_tokener_error_desc(je));
	}
	for (size_t i = end; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t') {
			json_object_put(o);
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: data after the JSON document at byte %zu",
				       what, i);
		}
	json_type want = want_array ? json_type_array : json_type_object;
	if (!json_object_is_type(o, want)) {
		json_object_put(o);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: expected a JSON %s at the top level", what,
			       want_array ? "array" : "object");
	}
	*out = o;
	return 0;
}

/* Member key of obj with the given type; absent is fine (NULL), a wrong type is an error. */
static int member(struct json_object *obj, const char *key, json_type t, const char *what, const char *path,
		  bool required, struct json_object **out, ctr_error **err)
{
	struct json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s%s%s: required field is missing", what, path,
				       *path ? "." : "", key);
		return 0;
	}
	if (!json_object_is_type(v, t))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s%s%s: expected %s, got %s", what, path,
			       *path ? "." : "", key, json_type_to_name(t), json_type_to_name(json_object_get_type(v)));
	*out = v;
	return 0;
}

static int dup_str(struct json_object *obj, const char *key, const char *what, const char *path, bool required,
		   char **out, ctr_error **err)
{
	struct json_object *v;
	int r = member(obj, key, json_type_string, what, path, required, &v, err);
	if (r < 0 || !v)
		return r;
	if (!(*out = strdup(json_object_get_string(v))))
		return ctr_err_nomem(err);
	return 0;
}

enum img_kind img_media_kind(const char *mt)
{
	if (!mt)
		return IMG_KIND_UNKNOWN;
	if (!strcmp(mt, IMG_MT_OCI_INDEX) || !strcmp(mt, IMG_MT_DOCKER_LIST))
		return IMG_KIND_INDEX;
	if (!strcmp(mt, IMG_MT_OCI_MANIFEST) || !strcmp(mt, IMG_MT_DOCKER_MANIFEST))
		return IMG_KIND_MANIFEST;
	return IMG_KIND_UNKNOWN;
}

bool img_layer_media_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; mt && i < CTR_ARRAY_SIZE(ok); i++)
		if (!strcmp(mt, ok[i]))
			return true;
	return false;
}

void img_desc_free(struct img_desc *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->ref_name);
	free(d->os);
	free(d->arch);
	free(d->variant);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

/* A descriptor at path (e.g. "manifests[2]"): mediaType, digest (checked), size, platform, ref.name. */
static int parse_desc(struct json_object *o, const char *what, const char *path, struct img_desc *d,
		      ctr_error **err)
{
	struct json_object *v, *ann, *plat;
	int r;
	if (!json_object_is_type(o, json_type_object))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: expected a descriptor object", what, path);
	if ((r = dup_str(o, "mediaType", what, path, true, &d->media_type, err)) < 0 ||
	    (r = dup_str(o, "digest", what, path, true, &d->digest, err)) < 0)
		return r;
	if ((r = ctr_digest_parse(d->digest, NULL, NULL, NULL, err)) < 0) {
		ctr_err_prefix(err, "%s: %s.digest", what, path);
		return r;
	}
	if ((r = member(o, "size", json_type_int, what, path, true, &v, err)) < 0)
		return r;
	errno = 0;
	d->size = json_object_get_int64(v);
	if (d->size < 0 || errno)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s.size: must be a non-negative 64-bit integer", what,
			       path);
	if ((r = member(o, "annotations", json_type_object, what, path, false, &ann, err)) < 0)
		return r;
	if (ann) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s.annotations", path);
		if ((r = dup_str(ann, "org.opencontainers.image.ref.name", what, sub, false, &d->ref_name, err)) < 0)
			return r;
	}
	if ((r = member(o, "platform", json_type_object, what, path, false, &plat, err)) < 0)
		return r;
	if (plat) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s.platform", path);
		d->has_platform = true;
		if ((r = dup_str(plat, "os", what, sub, true, &d->os, err)) < 0 ||
		    (r = dup_str(plat, "architecture", what, sub, true, &d->arch, err)) < 0 ||
		    (r = dup_str(plat, "variant", what, sub, false, &d->variant, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_desc_array(struct json_object *arr, const char *what, const char *key, struct img_desc **out,
			    size_t *n, ctr_error **err)
{
	size_t len = json_object_array_length(arr);
	*out = NULL;
	*n = 0;
	if (!len)
		return 0;
	struct img_desc *v = calloc(len, sizeof(*v));
	if (!v)
		return ctr_err_nomem(err);
	*out = v;
	for (size_t i = 0; i < len; i++) {
		char path[64];
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		*n = i + 1;
		int r = parse_desc(json_object_array_get_idx(arr, i), what, path, &v[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_schema(struct json_object *root, const char *what, ctr_error **err)
{
	struct json_object *v;
	int r = member(root, "schemaVersion", json_type_int, what, "", true, &v, err);
	if (r < 0)
		return r;
	if (json_object_get_int64(v) != 2)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: schemaVersion: %lld is not supported: the image-spec "
			       "defines version 2", what, (long long)json_object_get_int64(v));
	return 0;
}

enum img_kind img_doc_kind(const char *buf, size_t len)
{
	struct json_object *root = NULL, *v;
	enum img_kind k = IMG_KIND_UNKNOWN;
	if (img_json_parse(buf, len, "document", false, &root, NULL) < 0)
		return k;
	if (json_object_object_get_ex(root, "mediaType", &v) && json_object_is_type(v, json_type_string))
		k = img_media_kind(json_object_get_string(v));
	if (k == IMG_KIND_UNKNOWN && json_object_object_get_ex(root, "manifests", &v))
		k = IMG_KIND_INDEX;
	else if (k == IMG_KIND_UNKNOWN && json_object_object_get_ex(root, "layers", &v))
		k = IMG_KIND_MANIFEST;
	json_object_put(root);
	return k;
}

int img_parse_index(const char *buf, size_t len, const char *what, struct img_index *out, ctr_error **err)
{
	struct json_object *root, *arr;
	memset(out, 0, sizeof(*out));
	int r = img_json_parse(buf, len, what, false, &root, err);
	if (r < 0)
		return r;
	if ((r = check_schema(root, what, err)) < 0 ||
	    (r = member(root, "manifests", json_type_array, what, "", true, &arr, err)) < 0 ||
	    (r = parse_desc_array(arr, what, "manifests", &out->m, &out->n, err)) < 0) {
		json_object_put(root);
		img_index_free(out);
		return r;
	}
	json_object_put(root);
	return 0;
}

int img_parse_manifest(const char *buf, size_t len, const char *what, struct img_manifest *out, ctr_error **err)
{
	struct json_object *root, *cfg, *arr, *mt;
	memset(out, 0, sizeof(*out));
	int r = img_json_parse(buf, len, what, false, &root, err);
	if (r < 0)
		return r;
	if ((r = check_schema(root, what, err)) < 0 ||
	    (r = member(root, "mediaType", json_type_string, what, "", false, &mt, err)) < 0)
		goto fail;
	if (mt && img_media_kind(json_object_get_string(mt)) != IMG_KIND_MANIFEST) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: mediaType: '%s' is not an image manifest", what,
			    json_object_get_string(mt));
		goto fail;
	}
	if ((r = member(root, "config", json_type_object, what, "", true, &cfg, err)) < 0 ||
	    (r = parse_desc(cfg, what, "config", &out->config, err)) < 0 ||
	    (r = member(root, "layers", json_type_array, what, "", true, &arr, err)) < 0 ||
	    (r = parse_desc_array(arr, what, "layers", &out->layers, &out->n_layers, err)) < 0)
		goto fail;
	if (strcmp(out->config.media_type, IMG_MT_OCI_CONFIG) && strcmp(out->config.media_type, IMG_MT_DOCKER_CONFIG)) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: config.mediaType: '%s' is not a container image config "
			    "(an artifact?): expected %s", what, out->config.media_type, IMG_MT_OCI_CONFIG);
		goto fail;
	}
	for (size_t i = 0; i < out->n_layers; i++)
		if (!img_layer_media_ok(out->layers[i].media_type)) {
			r = ctr_err(err, ENOTSUP, CTR_E_UNSUPPORTED, "%s: layers[%zu].mediaType: '%s' is not a layer type "
				    "this library can apply (tar, tar+gzip, tar+zstd)", what, i,
				    out->layers[i].media_type);
			goto fail;
		}
	json_object_put(root);
	return 0;
fail:
	json_object_put(root);
	img_manifest_free(out);
	return r;
}

static int dup_strv(struct json_object *arr, const char *what, const char *path, char ***out, size_t *n,
		    ctr_error **err)
{
	size_t len = json_object_array_length(arr);
	char **v = calloc(len + 1, sizeof(*v));
	if (!v)
		return ctr_err_nomem(err);
	*out = v;
	if (n)
		*n = len;
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string))
			return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s[%zu]: expected a string", what, path, i);
		if (!(v[i] = strdup(json_object_get_string(e))))
			return ctr_err_nomem(err);
	}
	return 0;
}

/* config.md's execution parameters: check the types we later rely on. */
static int check_config_exec(struct json_object *c, const char *what, ctr_error **err)
{
	static const struct {
		const char *key;
		json_type t;
	} fields[] = {
		{ "User", json_type_string },	 { "WorkingDir", json_type_string }, { "StopSignal", json_type_string },
		{ "Env", json_type_array },	 { "Entrypoint", json_type_array },  { "Cmd", json_type_array },
		{ "ExposedPorts", json_type_object }, { "Volumes", json_type_object },  { "Labels", json_type_object },
	};
	struct json_object *v;
	int r;
	for (size_t i = 0; i < CTR_ARRAY_SIZE(fields); i++) {
		if ((r = member(c, fields[i].key, fields[i].t, what, "config", false, &v, err)) < 0)
			return r;
		if (v && fields[i].t == json_type_array)
			for (size_t j = 0; j < json_object_array_length(v); j++)
				if (!json_object_is_type(json_object_array_get_idx(v, j), json_type_string))
					return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: config.%s[%zu]: expected a string",
						       what, fields[i].key, j);
		if (v && !strcmp(fields[i].key, "Labels")) {
			json_object_object_foreach(v, k, lv) {
				if (!json_object_is_type(lv, json_type_string))
					return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: config.Labels.%s: expected a string",
						       what, k);
			}
		}
	}
	return 0;
}

int img_parse_config(const char *buf, size_t len, const char *what, struct img_config *out, ctr_error **err)
{
	struct json_object *root, *rootfs, *ids, *c, *t;
	memset(out, 0, sizeof(*out));
	int r = img_json_parse(buf, len, what, false, &root, err);
	if (r < 0)
		return r;
	out->root = root;
	if ((r = dup_str(root, "os", what, "", true, &out->os, err)) < 0 ||
	    (r = dup_str(root, "architecture", what, "", true, &out->arch, err)) < 0 ||
	    (r = dup_str(root, "variant", what, "", false, &out->variant, err)) < 0 ||
	    (r = member(root, "rootfs", json_type_object, what, "", true, &rootfs, err)) < 0 ||
	    (r = member(rootfs, "type", json_type_string, what, "rootfs", true, &t, err)) < 0)
		goto fail;
	if (strcmp(json_object_get_string(t), "layers")) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: rootfs.type: '%s': must be 'layers'", what,
			    json_object_get_string(t));
		goto fail;
	}
	if ((r = member(rootfs, "diff_ids", json_type_array, what, "rootfs", true, &ids, err)) < 0 ||
	    (r = dup_strv(ids, what, "rootfs.diff_ids", &out->diff_ids, &out->n_diff_ids, err)) < 0)
		goto fail;
	for (size_t i = 0; i < out->n_diff_ids; i++)
		if ((r = ctr_digest_parse(out->diff_ids[i], NULL, NULL, NULL, err)) < 0) {
			ctr_err_prefix(err, "%s: rootfs.diff_ids[%zu]", what, i);
			goto fail;
		}
	if ((r = member(root, "config", json_type_object, what, "", false, &c, err)) < 0 ||
	    (c && (r = check_config_exec(c, what, err)) < 0))
		goto fail;
	return 0;
fail:
	img_config_free(out);
	return r;
}

/* A docker-archive path: relative, no "..", not empty. */
static int check_archive_path(const char *p, const char *what, const char *path, ctr_error **err)
{
	if (!*p || p[0] == '/' || !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: '%s' is not a relative path inside the archive",
			       what, path, p);
	return 0;
}

int img_parse_docker_manifest(const char *buf, size_t len, const char *what, struct img_docker_manifest *out,
			      ctr_error **err)
{
	struct json_object *root;
	memset(out, 0, sizeof(*out));
	int r = img_json_parse(buf, len, what, true, &root, err);
	if (r < 0)
		return r;
	size_t n = json_object_array_length(root);
	if (!n) {
		json_object_put(root);
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: holds no image", what);
	}
	if (!(out->e = calloc(n, sizeof(*out->e)))) {
		json_object_put(root);
		return ctr_err_nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(root, i), *tags, *layers;
		struct img_docker_entry *e = &out->e[i];
		char path[64];
		out->n = i + 1;
		snprintf(path, sizeof(path), "[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: %s: expected an object", what, path);
			break;
		}
		if ((r = dup_str(o, "Config", what, path, true, &e->config, err)) < 0 ||
		    (r = check_archive_path(e->config, what, "Config", err)) < 0 ||
		    (r = member(o, "RepoTags", json_type_array, what, path, false, &tags, err)) < 0 ||
		    (r = member(o, "Layers", json_type_array, what, path, true, &layers, err)) < 0)
			break;
		if (tags && (r = dup_strv(tags, what, "RepoTags", &e->repo_tags, NULL, err)) < 0)
			break;
		if ((r = dup_strv(layers, what, "Layers", &e->layers, &e->n_layers, err)) < 0)
			break;
		for (size_t j = 0; j < e->n_layers && r == 0; j++)
			r = check_archive_path(e->layers[j], what, "Layers", err);
		if (r < 0)
			break;
	}
	json_object_put(root);
	if (r < 0)
		img_docker_manifest_free(out);
	return r;
}

void img_index_free(struct img_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		img_desc_free(&x->m[i]);
	free(x->m);
	x->m = NULL;
	x->n = 0;
}

void img_manifest_free(struct img_manifest *m)
{
	img_desc_free(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		img_desc_free(&m->layers[i]);
	free(m->layers);
	m->layers = NULL;
	m->n_layers = 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void img_config_free(struct img_config *c)
{
	if (c->root)
		json_object_put(c->root);
	free(c->os);
	free(c->arch);
	free(c->variant);
	strv_free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

void img_docker_manifest_free(struct img_docker_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].config);
		strv_free(m->e[i].repo_tags);
		strv_free(m->e[i].layers);
	}
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

void img_host_platform(const char **os, const char **arch, const char **variant)
{
	struct utsname u;
	*os = "linux";
	*arch = "amd64";
	*variant = "";
	if (uname(&u) < 0)
		return;
	if (!strcmp(u.machine, "aarch64")) {
		*arch = "arm64";
		*variant = "v8";
	} else if (!strncmp(u.machine, "armv7", 5)) {
		*arch = "arm";
		*variant = "v7";
	} else if (!strncmp(u.machine, "armv6", 5)) {
		*arch = "arm";
		*variant = "v6";
	} else if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386"))
		*arch = "386";
	else if (!strcmp(u.machine, "ppc64le") || !strcmp(u.machine, "s390x") || !strcmp(u.machine, "riscv64"))
		*arch = u.machine[0] == 'p' ? "ppc64le" : u.machine[0] == 's' ? "s390x" : "riscv64";
}

/* "v7" -> 7; 0 for none or an unknown form. */
static int variant_num(const char *v)
{
	if (!v || v[0] != 'v' || v[1] < '1' || v[1] > '9')
		return 0;
	return atoi(v + 1);
}

int img_platform_score(const struct img_desc *d, const char *os, const char *arch, const char *variant)
{
	if (!d->has_platform)
		return 1; /* no platform: usable, but a matching one is preferred */
	if (strcmp(d->os, os) || strcmp(d->arch, arch))
		return -1;
	/* the default variants: arm64 is v8, arm v7, amd64 v1 */
	const char *def = !strcmp(arch, "arm64") ? "v8" : !strcmp(arch, "arm") ? "v7" : !strcmp(arch, "amd64") ? "v1" : "";
	const char *dv = d->variant && *d->variant ? d->variant : def;
	if (!variant || !*variant)
		variant = def;
	if (!strcmp(dv, variant))
		return 100;
	/* variants: a host runs older variants of its architecture (arm v7 runs v6 and v5,
	 * amd64 v3 runs v2 and v1); no variant in the descriptor means the baseline */
	int want = variant_num(variant), have = variant_num(dv);
	if (!*dv)
		return 10;
	if (want && have && have <= want)
		return 10 + have;
	return -1;
}

int img_chain_ids(char *const *diff_ids, size_t n, char ***out, ctr_error **err)
{
	char **v = calloc(n + 1, sizeof(*v));
	int r = 0;
	if (!v)
		return ctr_err_nomem(err);
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			v[i] = strdup(diff_ids[0]);
		} else {
			struct ctr_digest d = { 0 };
			char got[CTR_DIGEST_STR_MAX];
			if ((r = ctr_digest_begin(&d, NULL, err)) < 0)
				break;
			ctr_digest_update(&d, v[i - 1], strlen(v[i - 1]));
			ctr_digest_update(&d, " ", 1);
			ctr_digest_update(&d, diff_ids[i], strlen(diff_ids[i]));
			if ((r = ctr_digest_finish(&d, "chain id", got, sizeof(got), err)) < 0)
				break;
			v[i] = strdup(got);
		}
		if (!v[i]) {
			r = ctr_err_nomem(err);
			break;
		}
	}
	if (r < 0) {
		strv_free(v);
		return r;
	}
	*out = v;
	return 0;
}

int img_check_runnable(const struct img_manifest *m, const struct img_config *cfg, const char *what, ctr_error **err)
{
	if (cfg->n_diff_ids != m->n_layers)
		return ctr_err(err, EINVAL, CTR_E_PARSE, "%s: the config has %zu rootfs.diff_ids but the manifest %zu layers",
			       what, cfg->n_diff_ids, m->n_layers);
	if (strcmp(cfg->os, "linux"))
		return ctr_err(err, ENOEXEC, CTR_E_UNSUPPORTED,
			       "%s: the image is for os '%s': this runtime runs linux images", what, cfg->os);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests (no root) of the image documents and helpers: the parsers'
 * errors name the document and the JSON path, unknown fields and media
 * types are tolerated where the image-spec says so, platform matching with
 * variants, ChainIDs against values computed independently (Python's
 * hashlib), and reads inside a layout that cannot leave it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctr/context.h"
#include "ctr/image.h"
#include "image/image-internal.h"

#define H64 "0000000000000000000000000000000000000000000000000000000000000000"
#define MT_MAN "\"application/vnd.oci.image.manifest.v1+json\""

/* Parse with fn and expect failure with a message containing want. */
#define EXPECT_ERR(fn, doc, out, want)                                                                  \
	do {                                                                                            \
		ctr_error *e_ = NULL;                                                                   \
		int r_ = fn(doc, strlen(doc), "doc.json", out, &e_);                                    \
		assert_true(r_ < 0);                                                                    \
		assert_non_null(e_);                                                                    \
		if (!strstr(ctr_error_message(e_), want))                                               \
			fail_msg("want '%s' in '%s'", want, ctr_error_message(e_));                     \
		assert_int_equal(ctr_error_errno(e_), -r_);                                             \
		ctr_error_free(e_);                                                                     \
	} while (0)

static void index_errors(void **state)
{
	struct img_index x;
	(void)state;
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":" MT_MAN ",\"digest\":\"sha256:" H64
		   "\",\"size\":1},{\"mediaType\":" MT_MAN ",\"digest\":\"sha256:abc\",\"size\":1}]}",
		   &x, "doc.json: manifests[1].digest");
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":" MT_MAN ",\"digest\":\"sha256:" H64
		   "\",\"size\":-5}]}", &x, "manifests[0].size");
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":1,\"manifests\":[]}", &x, "schemaVersion");
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":2}", &x, "manifests: required");
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":2,\"manifests\":[]} x", &x, "data after the JSON");
	EXPECT_ERR(img_parse_index, "[]", &x, "expected a JSON object");
	EXPECT_ERR(img_parse_index, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":" MT_MAN ",\"digest\":\"md5:" H64
		   "\",\"size\":1}]}", &x, "manifests[0].digest");
}

static void index_tolerates_unknown(void **state)
{
	struct img_index x;
	ctr_error *e = NULL;
	(void)state;
	const char *doc = "{\"schemaVersion\":2,\"future\":{\"x\":1},\"manifests\":[{\"mediaType\":\"application/x-unknown\","
			  "\"digest\":\"sha256:" H64 "\",\"size\":3,\"annotations\":{\"org.opencontainers.image.ref.name\":"
			  "\"v1\",\"other\":\"x\"},\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";
	assert_int_equal(img_parse_index(doc, strlen(doc), "index.json", &x, &e), 0);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.m[0].ref_name, "v1");
	assert_int_equal(img_media_kind(x.m[0].media_type), IMG_KIND_UNKNOWN);
	assert_true(x.m[0].has_platform);
	assert_string_equal(x.m[0].variant, "v7");
	img_index_free(&x);
}

static void manifest_and_config_errors(void **state)
{
	struct img_manifest m;
	struct img_config c;
	(void)state;
	EXPECT_ERR(img_parse_manifest, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		   "\"digest\":\"sha256:" H64 "\",\"size\":2},\"layers\":[{\"mediaType\":\"application/x-tar+lz4\",\"digest\":"
		   "\"sha256:" H64 "\",\"size\":1}]}", &m, "layers[0].mediaType: 'application/x-tar+lz4'");
	EXPECT_ERR(img_parse_manifest, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.example.artifact\","
		   "\"digest\":\"sha256:" H64 "\",\"size\":2},\"layers\":[]}", &m, "config.mediaType");
	EXPECT_ERR(img_parse_config, "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Env\":[1]},"
		   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", &c, "config.Env[0]: expected a string");
	EXPECT_ERR(img_parse_config, "{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		   "\"diff_ids\":[\"sha256:" H64 "\",\"sha256:12\"]}}", &c, "rootfs.diff_ids[1]");
	EXPECT_ERR(img_parse_config, "{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"blocks\","
		   "\"diff_ids\":[]}}", &c, "rootfs.type");
	EXPECT_ERR(img_parse_config, "{\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", &c,
		   "os: required");
}

static void docker_manifest_paths(void **state)
{
	struct img_docker_manifest dm;
	ctr_error *e = NULL;
	(void)state;
	EXPECT_ERR(img_parse_docker_manifest, "[{\"Config\":\"../x.json\",\"Layers\":[]}]", &dm, "Config");
	EXPECT_ERR(img_parse_docker_manifest, "[{\"Config\":\"x.json\",\"Layers\":[\"a/../../l.tar\"]}]", &dm, "Layers");
	EXPECT_ERR(img_parse_docker_manifest, "[]", &dm, "holds no image");
	const char *ok = "[{\"Config\":\"c.json\",\"RepoTags\":[\"busybox:latest\"],\"Layers\":[\"a..b/layer.tar\"]}]";
	assert_int_equal(img_parse_docker_manifest(ok, strlen(ok), "manifest.json", &dm, &e), 0);
	assert_int_equal(dm.n, 1);
	assert_string_equal(dm.e[0].repo_tags[0], "busybox:latest");
	assert_string_equal(dm.e[0].layers[0], "a..b/layer.tar");
	img_docker_manifest_free(&dm);
}

static void platform_scores(void **state)
{
	(void)state;
	struct img_desc none = { 0 }, amd = { .has_platform = true, .os = "linux", .arch = "amd64" },
			arm64 = { .has_platform = true, .os = "linux", .arch = "arm64", .variant = "v8" },
			v6 = { .has_platform = true, .os = "linux", .arch = "arm", .variant = "v6" },
			v7 = { .has_platform = true, .os = "linux", .arch = "arm", .variant = "v7" },
			v8 = { .has_platform = true, .os = "linux", .arch = "arm", .variant = "v8" },
			win = { .has_platform = true, .os = "windows", .arch = "amd64" };
	assert_true(img_platform_score(&none, "linux", "amd64", "") > 0);
	assert_true(img_platform_score(&amd, "linux", "amd64", "") > img_platform_score(&none, "linux", "amd64", ""));
	assert_int_equal(img_platform_score(&win, "linux", "amd64", ""), -1);
	assert_int_equal(img_platform_score(&amd, "linux", "arm64", ""), -1);
	/* arm64 without a variant is v8 */
	assert_int_equal(img_platform_score(&arm64, "linux", "arm64", ""), 100);
	/* an arm v7 host runs v6 too, prefers v7, and not v8 */
	assert_true(img_platform_score(&v7, "linux", "arm", "v7") > img_platform_score(&v6, "linux", "arm", "v7"));
	assert_true(img_platform_score(&v6, "linux", "arm", "v7") > 0);
	assert_int_equal(img_platform_score(&v8, "linux", "arm", "v7"), -1);
}

static void chain_ids(void **state)
{
	(void)state;
	char *ids[] = { "sha256:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			"sha256:" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
			"sha256:" "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", NULL };
	char **out = NULL;
	ctr_error *e = NULL;
	assert_int_equal(img_chain_ids(ids, 3, &out, &e), 0);
	assert_string_equal(out[0], ids[0]);
	/* python3: sha256((a + " " + b).encode()), then with c */
	assert_string_equal(out[1], "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
	assert_string_equal(out[2], "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
	assert_null(out[3]);
	for (int i = 0; i < 3; i++)
		free(out[i]);
	free(out);
}

static void open_in_stays_inside(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctr-test-source.XXXXXX";
	assert_non_null(mkdtemp(dir));
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	assert_int_equal(symlinkat("/etc/passwd", root, "abs"), 0);
	assert_int_equal(symlinkat("../../../../etc/passwd", root, "rel"), 0);
	/* resolved inside the root, both name a file the layout does not have */
	assert_int_equal(img_open_in(root, "abs", O_RDONLY), -ENOENT);
	assert_int_equal(img_open_in(root, "rel", O_RDONLY), -ENOENT);
	assert_int_equal(img_open_in(root, "../../etc/passwd", O_RDONLY), -ENOENT);
	int fd = openat(root, "real", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = img_open_in(root, "/real", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(img_rm_path(AT_FDCWD, dir, NULL), 0);
	assert_int_equal(access(dir, F_OK), -1);
	close(root);
}

/* ctr_image_options.writer_threads: out of range is refused, naming the field, before anything is made */
static void writer_threads_checked(void **state)
{
	ctr_context *ctx = NULL;
	assert_int_equal(ctr_context_new(&ctx, NULL, NULL), 0);
	char dir[] = "/tmp/ctr-source-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char target[64];
	snprintf(target, sizeof(target), "%s/u", dir);
	ctr_image_options o;
	ctr_image_options_init(&o);
	o.writer_threads = -5;
	ctr_error *e = NULL;
	assert_int_equal(ctr_image_unpack(ctx, NULL, "oci:/nonexistent", target, &o, &e), -EINVAL);
	assert_non_null(strstr(ctr_error_message(e), "ctr_image_options.writer_threads: -5"));
	ctr_error_free(e);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
	ctr_context_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_errors),
		cmocka_unit_test(index_tolerates_unknown),
		cmocka_unit_test(manifest_and_config_errors),
		cmocka_unit_test(docker_manifest_paths),
		cmocka_unit_test(platform_scores),
		cmocka_unit_test(chain_ids),
		cmocka_unit_test(open_in_stays_inside),
		cmocka_unit_test(writer_threads_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

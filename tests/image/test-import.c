/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr_image_import of a local layout whose layers are extracted on several
 * threads at once (ctr_image_options.max_transfers): the progress callback
 * runs on the calling thread only, each layer's first report is WAITING,
 * its EXTRACTING phase is reported however quick, and it ends with one
 * report with done set; the layers a store gets are the same, file for
 * file, with one thread and with several; a bad layer among good ones fails
 * the import naming that layer and leaves the store as it was, whichever
 * layer's thread finishes first; one blob at several places of an image is
 * extracted at each and stored once; a cancel from the callback while
 * layers extract leaves the store as it was too.  The images come from
 * mkimage.py (argv[1]).  Runs as any user (unprivileged extraction).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctr/context.h"
#include "ctr/image.h"

#define NL 6 /* layers of the test image */

static const char *mkimage;
static char tmp[] = "/tmp/ctr-test-import-XXXXXX";

/* The spec file of the image name (tmp/name.json), open for writing: mkimage.py's input. */
static FILE *spec_open(const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.json", tmp, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

/* Close the spec f and build the image name (tmp/name, tagged v1 by the spec) from it. */
static void spec_build(FILE *f, const char *name)
{
	char cmd[3 * PATH_MAX];
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s/%s' '@%s/%s.json'", mkimage, tmp, name, tmp, name);
	assert_int_equal(system(cmd), 0);
}

/* What `sh -c CMD` (CMD formatted) writes to its stdout, whole; it must exit 0. */
static char *output_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *output_of(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(len > 0 && (size_t)len < sizeof(cmd));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - 1 - n, p)) > 0) {
		n += r;
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return buf;
}

/* An image of NL layers of a few hundred files each (they overlap in time); bad: that layer's DiffID is wrong. */
static void make_image(const char *name, int bad)
{
	FILE *f = spec_open(name);
	fprintf(f, "{\"images\":[{\"tag\":\"v1\",\"bad_diffid\":%d,\"layers\":[", bad);
	for (int l = 0; l < NL; l++) {
		fprintf(f, "%s[{\"path\":\"l%d\",\"type\":\"dir\"}", l ? "," : "", l);
		for (int i = 0; i < 300; i++)
			fprintf(f, ",{\"path\":\"l%d/f%d\",\"data\":\"layer %d file %d %0*d\"}", l, i, l, i, 1 + (i * 37) % 900, 0);
		/* the same path in every layer: each layer dir has its own copy */
		fprintf(f, ",{\"path\":\"shared\",\"data\":\"from layer %d\"}]", l);
	}
	fprintf(f, "]}]}\n");
	spec_build(f, name);
}

struct seen {
	pthread_t caller;
	int other_thread;
	int reports[NL];
	int first_phase[NL];
	int done[NL];
	int extracting_shown[NL]; /* reports of the EXTRACTING phase before the layer was done */
	int bad_phase;
	int cancel_after; /* > 0: cancel on the report that extracting layers make, after that many */
	int extracting;
	int max_readers; /* the most layer streams seen at once (their decoding threads) */
};

/* The threads of this process named ctr-layer-read: one per layer being extracted. */
static int readers(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char p[300], comm[32] = "";
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", de->d_name);
		FILE *f = de->d_name[0] != '.' ? fopen(p, "r") : NULL;
		if (f) {
			if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "ctr-layer-read", 14))
				n++;
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return n;
}

static int progress(void *ud, const ctr_image_progress *p)
{
	struct seen *s = ud;
	if (!pthread_equal(pthread_self(), s->caller))
		s->other_thread++;
	if (p->layer >= NL || p->n_layers != NL) {
		s->bad_phase++;
		return 0;
	}
	int n = readers();
	if (n > s->max_readers)
		s->max_readers = n;
	if (!s->reports[p->layer]++)
		s->first_phase[p->layer] = p->phase;
	if (p->phase < CTR_IMAGE_PHASE_WAITING || p->phase > CTR_IMAGE_PHASE_EXISTS)
		s->bad_phase++;
	if (p->done)
		s->done[p->layer]++;
	else if (p->phase == CTR_IMAGE_PHASE_EXTRACTING)
		s->extracting_shown[p->layer]++;
	if (p->phase == CTR_IMAGE_PHASE_EXTRACTING && !p->done && s->cancel_after > 0 &&
	    ++s->extracting >= s->cancel_after)
		return 1;
	return 0;
}

/* Every path under dir with its type, mode, size and content, sorted: a tree's fingerprint. */
static char *tree(const char *dir)
{
	return output_of("cd '%s' && find . -mindepth 1 -printf '%%y %%m %%s %%P\\n' | sort && "
			 "find . -type f -print0 | sort -z | xargs -0 cat",
			 dir);
}

/* The store's files other than its lock files and images.json (which a failed import may create empty). */
static char *store_files(const char *store)
{
	return output_of("cd '%s' && find . -mindepth 1 ! -name '*.lock' ! -name images.json | sort", store);
}

static int import(const char *store_dir, const char *image, unsigned transfers, struct seen *s, ctr_error **err)
{
	ctr_context *ctx = NULL;
	ctr_image_store *st = NULL;
	assert_int_equal(ctr_context_new(&ctx, NULL, NULL), 0);
	assert_int_equal(ctr_image_store_open(ctx, &st, store_dir, NULL), 0);
	ctr_image_options o;
	ctr_image_options_init(&o);
	o.max_transfers = transfers;
	o.progress = progress;
	o.progress_userdata = s;
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "oci:%s/%s:v1", tmp, image);
	s->caller = pthread_self();
	int r = ctr_image_import(st, src, "img", &o, err);
	ctr_image_store_free(st);
	ctr_context_free(ctx);
	return r;
}

static void parallel_same_as_serial(void **state)
{
	(void)state;
	char one[PATH_MAX], many[PATH_MAX];
	snprintf(one, sizeof(one), "%s/store-1", tmp);
	snprintf(many, sizeof(many), "%s/store-6", tmp);
	struct seen s1 = { 0 }, s6 = { 0 };
	ctr_error *e = NULL;
	if (import(one, "good", 1, &s1, &e) < 0)
		fail_msg("import, one thread: %s", ctr_error_message(e));
	if (import(many, "good", NL, &s6, &e) < 0)
		fail_msg("import, %d threads: %s", NL, ctr_error_message(e));
	/*
	 * Informational only: a thread just made by a decoding thread carries
	 * its name until it names itself, and a joined thread lingers in
	 * /proc for a moment, so the count is not exact enough to assert on.
	 */
	print_message("# layer streams seen at once: %d with one transfer, %d with %d\n", s1.max_readers,
		      s6.max_readers, NL);
	struct seen *all[2] = { &s1, &s6 };
	for (int k = 0; k < 2; k++) {
		assert_int_equal(all[k]->other_thread, 0); /* the calling thread only */
		assert_int_equal(all[k]->bad_phase, 0);
		for (int l = 0; l < NL; l++) {
			assert_true(all[k]->reports[l] >= 2);
			assert_int_equal(all[k]->first_phase[l], CTR_IMAGE_PHASE_WAITING);
			assert_int_equal(all[k]->done[l], 1);
			/* every phase a layer went through is reported, however quick */
			assert_true(all[k]->extracting_shown[l] >= 1);
		}
	}
	char a[PATH_MAX + 16], b[PATH_MAX + 16];
	snprintf(a, sizeof(a), "%s/layers", one);
	snprintf(b, sizeof(b), "%s/layers", many);
	char *ta = tree(a), *tb = tree(b);
	assert_true(strlen(ta) > 10000);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	/* a second import extracts nothing: every layer reported cached, once done */
	struct seen s2 = { 0 };
	assert_int_equal(import(many, "good", NL, &s2, NULL), 0);
	for (int l = 0; l < NL; l++)
		assert_int_equal(s2.done[l], 1);
}

static void bad_layer_among_good(void **state)
{
	(void)state;
	for (int bad = 1; bad <= NL; bad += NL - 1) { /* the first and the last layer */
		char name[32], store[PATH_MAX], want[64];
		snprintf(name, sizeof(name), "bad%d", bad);
		make_image(name, bad);
		snprintf(store, sizeof(store), "%s/store-%s", tmp, name);
		/* the store holds the good image's first layers already: they must stay as they are */
		struct seen s0 = { 0 };
		assert_int_equal(import(store, "good", 1, &s0, NULL), 0);
		char *before = store_files(store);
		for (unsigned transfers = 1; transfers <= NL; transfers += NL - 1) {
			struct seen s = { 0 };
			ctr_error *e = NULL;
			int r = import(store, name, transfers, &s, &e);
			assert_true(r < 0);
			assert_non_null(e);
			snprintf(want, sizeof(want), "layer %d (", bad);
			if (!strstr(ctr_error_message(e), want) || !strstr(ctr_error_message(e), "DiffID"))
				fail_msg("want '%s' and 'DiffID' in '%s'", want, ctr_error_message(e));
			ctr_error_free(e);
			assert_int_equal(s.other_thread, 0);
			char *after = store_files(store);
			assert_string_equal(before, after);
			free(after);
		}
		free(before);
	}
}

/*
 * The same blob at several places of one image (docker's builders repeated
 * an empty layer): each place is its own layer (its ChainID differs) and is
 * extracted, the blob goes into the store once, and the extractions that do
 * not copy it read the source's, not a copy still being written.
 */
static void same_blob_twice(void **state)
{
	(void)state;
	char store[PATH_MAX];
	FILE *f = spec_open("twice");
	fprintf(f, "{\"images\":[{\"tag\":\"v1\",\"layers\":[");
	for (int l = 0; l < 5; l++) {
		fprintf(f, "%s[", l ? "," : "");
		for (int i = 0; i < 200; i++) /* layers 0, 2 and 4 the same, 1 and 3 the same */
			fprintf(f, "%s{\"path\":\"f%d\",\"data\":\"%s %d %0*d\"}", i ? "," : "", i, l % 2 ? "odd" : "even", i,
				1 + (i * 53) % 700, 0);
		fprintf(f, "]");
	}
	fprintf(f, "]}]}\n");
	spec_build(f, "twice");
	snprintf(store, sizeof(store), "%s/store-twice", tmp);
	struct seen s = { 0 };
	ctr_error *e = NULL;
	if (import(store, "twice", 5, &s, &e) < 0)
		fail_msg("import: %s", ctr_error_message(e));
	assert_int_equal(s.other_thread, 0);
	/* five layer dirs, two layer blobs (and the config and manifest) */
	char *out = output_of("ls '%s/layers/sha256' | wc -l; ls '%s/blobs/sha256' | wc -l; cat '%s'/layers/sha256/*/f7",
			      store, store, store);
	if (strncmp(out, "5\n4\n", 4) || !strstr(out, "even 7 ") || !strstr(out, "odd 7 "))
		fail_msg("layers, blobs, contents: '%.300s'", out);
	free(out);
	/* the stored blobs are the source's, byte for byte */
	free(output_of("cd '%s/twice/blobs/sha256' && for b in *; do cmp -s \"$b\" '%s/blobs/sha256/'\"$b\" || exit 1; done",
		       tmp, store));
}

static void cancel_while_extracting(void **state)
{
	(void)state;
	char store[PATH_MAX];
	snprintf(store, sizeof(store), "%s/store-cancel", tmp);
	struct seen s0 = { 0 };
	assert_int_equal(import(store, "small", 1, &s0, NULL), 0);
	char *before = store_files(store);
	struct seen s = { .cancel_after = 1 };
	ctr_error *e = NULL;
	int r = import(store, "good", NL, &s, &e);
	assert_int_equal(r, -ECANCELED);
	assert_non_null(e);
	if (!strstr(ctr_error_message(e), "cancelled"))
		fail_msg("want 'cancelled' in '%s'", ctr_error_message(e));
	ctr_error_free(e);
	assert_int_equal(s.other_thread, 0);
	char *after = store_files(store);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmp))
		return -1;
	make_image("good", 0);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
		 "python3 '%s' '%s/small' '{\"images\":[{\"tag\":\"v1\",\"layers\":[[{\"path\":\"a\",\"data\":\"x\"}]]}]}'",
		 mkimage, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 20];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s mkimage.py\n", argv[0]);
		return 2;
	}
	mkimage = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parallel_same_as_serial),
		cmocka_unit_test(bad_layer_among_good),
		cmocka_unit_test(same_blob_twice),
		cmocka_unit_test(cancel_while_extracting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

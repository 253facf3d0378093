/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the config.json model: parse and validate, and for every
 * valid document check that to_json/load_buffer round-trips to an equal
 * tree, that the typed view builds, that the getters (terminal, environment,
 * annotations) agree with it, and that every mount's options parse.  Also feeds the input to the standalone process.json parser.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "ctr/ctr.h"
#include "spec/oci.h"

#define FUZZ_NAME "fuzz-spec"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_annotation(const char *key, const char *value, void *ud)
{
	(void)key;
	(void)value;
	++*(size_t *)ud;
	return 0;
}

/* The getters against the typed view of the same spec. */
static void check_getters(const ctr_spec *s, const struct oci_config *cfg)
{
	check(ctr_spec_get_terminal(s) == (cfg->process && cfg->process->terminal),
	      "ctr_spec_get_terminal agrees with the typed view");
	size_t na = 0;
	check(ctr_spec_foreach_annotation(s, count_annotation, &na) == 0 && na == cfg->n_annotations,
	      "ctr_spec_foreach_annotation walks every annotation");
	for (size_t i = 0; cfg->process && i < cfg->process->n_env; i++) {
		const char *kv = cfg->process->env[i], *eq = strchr(kv, '=');
		size_t nl = eq ? (size_t)(eq - kv) : 0;
		char name[256];
		if (!nl || nl >= sizeof(name))
			continue;
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !(strncmp(cfg->process->env[j], kv, nl + 1) == 0);
		if (!first)
			continue;
		memcpy(name, kv, nl);
		name[nl] = '\0';
		const char *v = ctr_spec_get_env(s, name);
		check(v && strcmp(v, eq + 1) == 0, "ctr_spec_get_env gives the first entry's value");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	ctr_spec *s = NULL;
	ctr_error *e = NULL;
	int r = ctr_spec_load_buffer(&s, buf, size, "fuzz.json", &e);
	if (r < 0) {
		check(s == NULL, "no spec on failure");
		check_error(r, e);
	} else {
		check(e == NULL, "no error on success");
		char *text = NULL;
		size_t len = 0;
		r = ctr_spec_to_json(s, &text, &len, (int)(size & 1), NULL);
		check(r == 0 || r == -ENOMEM, "to_json of a valid spec succeeds");
		if (r == 0) {
			ctr_spec *s2 = NULL;
			r = ctr_spec_load_buffer(&s2, text, len, NULL, &e);
			if (r < 0)
				fprintf(stderr, "reload failed: %s\n%s\n", ctr_error_message(e), text);
			check(r == 0, "serialized spec loads back");
			check(json_object_equal(ctr_spec_json(s), ctr_spec_json(s2)), "round trip gives an equal tree");
			ctr_spec_free(s2);
			ctr_free(text);
		}
		ctr_spec *c = NULL;
		if (ctr_spec_copy(&c, s, NULL) == 0) {
			check(ctr_spec_validate(c, NULL) == 0, "a copy validates");
			/* setters on whatever tree the input built; any result but a crash */
			const char *argv[] = {"x", NULL};
			const char *opts[] = {"rbind", "ro", NULL};
			ctr_spec_set_env(c, "PATH", "/bin", NULL);
			ctr_spec_unset_env(c, "TERM", NULL);
			ctr_spec_set_args(c, argv, NULL);
			ctr_spec_set_cwd(c, "/", NULL);
			ctr_spec_set_user(c, 1, 2, NULL);
			ctr_spec_set_terminal(c, 1, NULL);
			ctr_spec_add_mount(c, "/proc", "bind", "/x", opts, NULL);
			ctr_spec_remove_mount(c, "/dev", NULL);
			ctr_spec_set_namespace(c, "uts", NULL, NULL);
			ctr_spec_remove_namespace(c, "network", NULL);
			ctr_spec_set_hostname(c, "h", NULL);
			ctr_spec_set_annotation(c, "k", "v", NULL);
			(void)ctr_spec_get_annotation(c, "k");
			(void)ctr_spec_oci_version(c);
			ctr_error *ve = NULL;
			r = ctr_spec_validate(c, &ve);
			if (r < 0)
				check_error(r, ve);
			ctr_spec_free(c);
		}
		struct oci_config *cfg = NULL;
		r = oci_config_from_spec(s, &cfg, NULL);
		check(r == 0 || r == -ENOMEM, "typed view of a valid spec builds");
		if (cfg)
			check_getters(s, cfg);
		for (size_t i = 0; cfg && i < cfg->n_mounts; i++) {
			struct oci_mount_opts o;
			if (oci_mount_parse_options(&cfg->mounts[i], &o, NULL) == 0)
				free(o.data);
		}
		oci_config_free(cfg);
		ctr_spec_free(s);
	}

	struct oci_process *p = NULL;
	e = NULL;
	r = oci_process_from_buffer(buf, size, NULL, &p, &e);
	if (r < 0)
		check_error(r, e);
	oci_process_free(p);
	return 0;
}

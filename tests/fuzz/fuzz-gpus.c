/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for GPU requests: Docker's --gpus syntax, then NVIDIA's
 * variables (the first line of the input as NVIDIA_VISIBLE_DEVICES, the
 * rest as NVIDIA_DRIVER_CAPABILITIES).  A parsed request's canonical form
 * parses back to the same request, and formats to the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr/ctr.h"
#include "accel/accel-internal.h"

#define FUZZ_NAME "fuzz-gpus"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_strv(char *const *a, char *const *b)
{
	size_t i = 0;

	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return (!a || !a[i]) && (!b || !b[i]);
}

static void check_request(const ctr_gpu_request *req)
{
	check(ctr_gpu_request_devices(req) != NULL, "devices is never NULL");
	check(ctr_gpu_request_count(req) >= -1, "count is -1, 0 or positive");
	check(!(ctr_gpu_request_devices(req)[0] && ctr_gpu_request_count(req) != 0), "a count or devices, not both");
	check((ctr_gpu_request_capabilities(req) & ~(unsigned)CTR_GPU_CAP_ALL) == 0, "only known capabilities");
	for (const char *const *d = ctr_gpu_request_devices(req); *d; d++)
		check(**d != '\0' && !strchr(*d, ','), "device ids are neither empty nor hold commas");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	ctr_gpu_request *req = NULL, *again = NULL;
	ctr_error *e = NULL;
	char *text = NULL, *text2 = NULL;
	int r = ctr_gpu_request_parse(buf, size, &req, &e);

	if (r < 0) {
		check(req == NULL, "no request on failure");
		check(r != -ENOMEM || e != NULL, "ENOMEM is reported");
		check_error(r, e);
	} else {
		check(e == NULL, "no error on success");
		check_request(req);
		r = ctr_gpu_request_format(req, &text, NULL);
		check(r == 0 || r == -ENOMEM, "a request formats");
		if (r == 0) {
			r = ctr_gpu_request_parse(text, strlen(text), &again, &e);
			if (r < 0)
				fprintf(stderr, "reparse of '%s' failed: %s\n", text, ctr_error_message(e));
			check(r == 0 || r == -ENOMEM, "the canonical form parses");
			if (r == 0) {
				check(ctr_gpu_request_count(again) == ctr_gpu_request_count(req), "count survives");
				check(same_strv((char *const *)ctr_gpu_request_devices(again),
						(char *const *)ctr_gpu_request_devices(req)), "devices survive");
				check((!ctr_gpu_request_driver(again) && !ctr_gpu_request_driver(req)) ||
					      (ctr_gpu_request_driver(again) && ctr_gpu_request_driver(req) &&
					       !strcmp(ctr_gpu_request_driver(again), ctr_gpu_request_driver(req))),
				      "driver survives");
				check(ctr_gpu_request_capabilities(again) == ctr_gpu_request_capabilities(req),
				      "capabilities survive");
				check(same_strv(again->options, req->options), "options survive");
				if (ctr_gpu_request_format(again, &text2, NULL) == 0)
					check(strcmp(text, text2) == 0, "the canonical form is a fixed point");
			}
			ctr_error_free(e);
			e = NULL;
		}
	}
	ctr_free(text);
	ctr_free(text2);
	ctr_gpu_request_free(req);
	ctr_gpu_request_free(again);

	/* NVIDIA_VISIBLE_DEVICES \n NVIDIA_DRIVER_CAPABILITIES */
	const char *nl = memchr(buf, '\n', size);
	char *vis = strndup(buf, nl ? (size_t)(nl - buf) : size);
	char *caps = nl ? strndup(nl + 1, size - (size_t)(nl - buf) - 1) : NULL;
	if (vis && (!nl || caps)) {
		req = NULL;
		e = NULL;
		r = ctr_gpu_request_from_env(vis, caps, &req, &e);
		if (r < 0)
			check_error(r, e);
		else {
			check(req != NULL, "a set variable gives a request");
			check_request(req);
			check(!strcmp(ctr_gpu_request_driver(req), "nvidia"), "the variables ask NVIDIA");
		}
		ctr_gpu_request_free(req);
	}
	free(vis);
	free(caps);
	return 0;
}

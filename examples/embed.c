/* embed.c: run a container from a bundle's config.json with libctr, print its exit code. */
#include <stdio.h>
#include <ctr/ctr.h>

int main(int argc, char **argv)
{
	const char *bundle = argc > 1 ? argv[1] : ".", *args[] = {"echo", "hello from libctr", NULL};
	char path[4096];
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	ctr_create_options opts;
	int status = -1;

	ctr_create_options_init(&opts);
	opts.bundle = bundle;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (ctr_context_new(&ctx, NULL, &err) < 0 || ctr_spec_load_file(&spec, path, &err) < 0 ||
	    ctr_spec_set_args(spec, args, &err) < 0 || ctr_run(ctx, "embed", spec, &opts, &status, &err) < 0)
		fprintf(stderr, "embed: %s\n", ctr_error_message(err));
	else
		printf("exit code %d\n", status);
	ctr_error_free(err);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	return status < 0;
}

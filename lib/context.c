/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CTR_DEFAULT_STATE_ROOT "/run/ctr"

CTR_EXPORT void ctr_context_options_init(ctr_context_options *opts)
{
	if (!opts)
		return;
	memset(opts, 0, sizeof(*opts));
	opts->size = sizeof(*opts);
}

CTR_EXPORT int ctr_context_new(ctr_context **out, const ctr_context_options *user_opts, ctr_error **err)
{
	ctr_context_options opts;
	int r;

	if (!out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_context_new: out is NULL");
	*out = NULL;
	ctr_context_options_init(&opts);
	if (user_opts) {
		r = ctr_copy_options(&opts, sizeof(opts), user_opts, user_opts->size, "ctr_context_options", err);
		if (r < 0)
			return r;
	}
	const char *root = opts.state_root && *opts.state_root ? opts.state_root : CTR_DEFAULT_STATE_ROOT;
	if (root[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "state root '%s' is not an absolute path: give an absolute directory", root);

	ctr_context *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return ctr_err_nomem(err);
	ctx->state_root = strdup(root);
	if (!ctx->state_root) {
		free(ctx);
		return ctr_err_nomem(err);
	}
	/* strip trailing slashes, keep "/" */
	size_t n = strlen(ctx->state_root);
	while (n > 1 && ctx->state_root[n - 1] == '/')
		ctx->state_root[--n] = '\0';
	ctx->log_fn = opts.log_fn;
	ctx->log_userdata = opts.log_userdata;
	ctx->log_level = opts.log_level ? opts.log_level : CTR_LOG_WARNING;
	ctx->userdata = opts.userdata;
	*out = ctx;
	return 0;
}

CTR_EXPORT void ctr_context_free(ctr_context *ctx)
{
	if (!ctx)
		return;
	free(ctx->state_root);
	free(ctx);
}

CTR_EXPORT const char *ctr_context_state_root(const ctr_context *ctx)
{
	return ctx ? ctx->state_root : NULL;
}

CTR_EXPORT void *ctr_context_userdata(const ctr_context *ctx)
{
	return ctx ? ctx->userdata : NULL;
}

CTR_EXPORT void ctr_context_set_log_level(ctr_context *ctx, int level)
{
	if (ctx)
		ctx->log_level = level;
}

void ctr_log(const ctr_context *ctx, ctr_log_level level, const char *fmt, ...)
{
	if (!ctx || !ctx->log_fn || (int)level > ctx->log_level)
		return;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ctx->log_fn(ctx->log_userdata, level, msg);
	free(msg);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CTR_DEFAULT_STATE_ROOT "/run/ctr"

/*
 * The default state root.  Root gets /run/ctr.  An unprivileged caller cannot
 * write there, so, as runc ($XDG_RUNTIME_DIR/runc) and crun do, it gets its
 * own runtime directory: $XDG_RUNTIME_DIR/ctr, or /run/user/<uid>/ctr when
 * the variable is unset but logind made that directory for it.  The result is
 * malloc'ed into *out.  secure_getenv: a set-id program never takes it from its caller.
 */
static int default_state_root(char **out, ctr_error **err)
{
	uid_t uid = geteuid();
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
	char run_user[64];
	struct stat st;
	int n;
	if (uid == 0) {
		n = asprintf(out, "%s", CTR_DEFAULT_STATE_ROOT);
	} else if (xdg && *xdg) {
		if (xdg[0] != '/')
			return ctr_err(err, EINVAL, CTR_E_INVALID,
				       "XDG_RUNTIME_DIR '%s' is not an absolute path: fix it, or give the state root "
				       "(ctr_context_options.state_root, ctr-demo --root)",
				       xdg);
		n = asprintf(out, "%s/ctr", xdg);
	} else {
		snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned)uid);
		if (stat(run_user, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid)
			return ctr_err(err, EACCES, CTR_E_INVALID,
				       "no state root for uid %u: XDG_RUNTIME_DIR is unset and %s does not exist: set "
				       "XDG_RUNTIME_DIR to a directory of yours, or give the state root (ctr-demo --root)",
				       (unsigned)uid, run_user);
		n = asprintf(out, "%s/ctr", run_user);
	}
	if (n < 0) {
		*out = NULL;
		return ctr_err_nomem(err);
	}
	return 0;
}

CTR_EXPORT int ctr_context_options_init_sized(ctr_context_options *opts, size_t size)
{
	ctr_context_options def;

	memset(&def, 0, sizeof(def));
	def.size = sizeof(def);
	return ctr_init_options(opts, size, &def, sizeof(def));
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
	const char *root = opts.state_root && *opts.state_root ? opts.state_root : NULL;
	if (root && root[0] != '/')
		return ctr_err(err, EINVAL, CTR_E_INVALID,
			       "state root '%s' is not an absolute path: give an absolute directory", root);

	ctr_context *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return ctr_err_nomem(err);
	if (!root) {
		if ((r = default_state_root(&ctx->state_root, err)) < 0) {
			free(ctx);
			return r;
		}
	} else if (!(ctx->state_root = strdup(root))) {
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
	ctx->init_fd = -1;
	pthread_mutex_init(&ctx->init_lock, NULL);
	pthread_cond_init(&ctx->warm_cond, NULL);
	ctx->mi_fd = -1;
	pthread_mutex_init(&ctx->mi_lock, NULL);
	ctr_netns_spare_init(ctx);
	*out = ctx;
	return 0;
}

CTR_EXPORT void ctr_context_free(ctr_context *ctx)
{
	if (!ctx)
		return;
	ctr_context_warm_fini(ctx);
	ctr_netns_spare_fini(ctx);
	free(ctx->state_root);
	if (ctx->init_fd >= 0)
		close(ctx->init_fd);
	pthread_cond_destroy(&ctx->warm_cond);
	pthread_mutex_destroy(&ctx->init_lock);
	ctr_host_cache_fini(ctx);
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

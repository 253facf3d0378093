/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const code_names[] = {
	[CTR_E_OK] = "ok",		[CTR_E_INVALID] = "invalid",	   [CTR_E_NOMEM] = "nomem",
	[CTR_E_SYSTEM] = "system",	[CTR_E_PARSE] = "parse",	   [CTR_E_SPEC] = "spec",
	[CTR_E_NOT_FOUND] = "not-found", [CTR_E_EXISTS] = "exists",	   [CTR_E_STATE] = "state",
	[CTR_E_HOOK] = "hook",		[CTR_E_UNSUPPORTED] = "unsupported", [CTR_E_CHILD] = "child",
};

/* Static error for when allocating the error itself fails. */
static const char nomem_msg[] = "out of memory";

CTR_EXPORT int ctr_error_errno(const ctr_error *e)
{
	return e ? e->errnum : 0;
}

CTR_EXPORT ctr_error_code ctr_error_code_of(const ctr_error *e)
{
	return e ? e->code : CTR_E_OK;
}

CTR_EXPORT const char *ctr_error_message(const ctr_error *e)
{
	if (!e)
		return "";
	return e->message ? e->message : nomem_msg;
}

CTR_EXPORT const char *ctr_error_code_name(ctr_error_code code)
{
	if ((unsigned)code < CTR_ARRAY_SIZE(code_names) && code_names[code])
		return code_names[code];
	return "unknown";
}

CTR_EXPORT void ctr_error_free(ctr_error *e)
{
	if (!e)
		return;
	free(e->message);
	free(e);
}

CTR_EXPORT void ctr_free(void *p)
{
	free(p);
}

CTR_EXPORT void ctr_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int ctr_verr(ctr_error **err, int errnum, ctr_error_code code, const char *fmt, va_list ap)
{
	if (errnum <= 0)
		errnum = EIO;
	if (err && !*err) {
		ctr_error *e = calloc(1, sizeof(*e));
		if (e) {
			e->errnum = errnum;
			e->code = code;
			if (vasprintf(&e->message, fmt, ap) < 0)
				e->message = NULL;
			*err = e;
		}
	}
	return -errnum;
}

int ctr_err(ctr_error **err, int errnum, ctr_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ctr_verr(err, errnum, code, fmt, ap);
	va_end(ap);
	return r;
}

int ctr_err_sys(ctr_error **err, int errnum, const char *fmt, ...)
{
	if (errnum <= 0)
		errnum = EIO;
	if (!err || *err)
		return -errnum;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ctr_err_nomem(err);
	int r = ctr_err(err, errnum, errnum == ENOMEM ? CTR_E_NOMEM : CTR_E_SYSTEM, "%s: %s", msg,
			strerror(errnum));
	free(msg);
	return r;
}

int ctr_err_nomem(ctr_error **err)
{
	return ctr_err(err, ENOMEM, CTR_E_NOMEM, "%s", nomem_msg);
}

void ctr_err_prefix(ctr_error **err, const char *fmt, ...)
{
	if (!err || !*err || !(*err)->message)
		return;
	char *pfx = NULL, *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&pfx, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (asprintf(&msg, "%s: %s", pfx, (*err)->message) >= 0) {
		free((*err)->message);
		(*err)->message = msg;
	}
	free(pfx);
}

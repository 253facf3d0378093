/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mount options of config.md "Mounts" as mount(8) and the other runtimes
 * read them: flags for mount(2), propagation, bind, idmap, and the rest as
 * data for the filesystem (e.g. "mode=755,size=65536k").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "spec/spec-internal.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef MS_I_VERSION
#define MS_I_VERSION (1 << 23)
#endif
#ifndef MS_SILENT
#define MS_SILENT (1 << 15)
#endif

static const struct {
	const char *name;
	bool clear;          /* the option clears the flag */
	unsigned long flag;
} flag_options[] = {
	{"ro", false, MS_RDONLY},	      {"rw", true, MS_RDONLY},
	{"nosuid", false, MS_NOSUID},	      {"suid", true, MS_NOSUID},
	{"nodev", false, MS_NODEV},	      {"dev", true, MS_NODEV},
	{"noexec", false, MS_NOEXEC},	      {"exec", true, MS_NOEXEC},
	{"sync", false, MS_SYNCHRONOUS},      {"async", true, MS_SYNCHRONOUS},
	{"dirsync", false, MS_DIRSYNC},	      {"remount", false, MS_REMOUNT},
	{"mand", false, MS_MANDLOCK},	      {"nomand", true, MS_MANDLOCK},
	{"noatime", false, MS_NOATIME},	      {"atime", true, MS_NOATIME},
	{"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
	{"relatime", false, MS_RELATIME},     {"norelatime", true, MS_RELATIME},
	{"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
	{"lazytime", false, MS_LAZYTIME},     {"nolazytime", true, MS_LAZYTIME},
	{"iversion", false, MS_I_VERSION},    {"noiversion", true, MS_I_VERSION},
	{"silent", false, MS_SILENT},	      {"loud", true, MS_SILENT},
};

static const struct {
	const char *name;
	unsigned long propagation;
} propagation_options[] = {
	{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	{"shared", MS_SHARED},	       {"rshared", MS_SHARED | MS_REC},
	{"slave", MS_SLAVE},	       {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

bool spec_propagation_from_name(const char *name, unsigned long *flags)
{
	for (size_t i = 0; i < CTR_ARRAY_SIZE(propagation_options); i++)
		if (strcmp(name, propagation_options[i].name) == 0) {
			*flags = propagation_options[i].propagation;
			return true;
		}
	return false;
}

static int append_data(char **data, size_t *len, const char *opt)
{
	size_t n = strlen(opt);
	char *d = realloc(*data, *len + n + 2);
	if (!d)
		return -ENOMEM;
	if (*len)
		d[(*len)++] = ',';
	memcpy(d + *len, opt, n);
	*len += n;
	d[*len] = '\0';
	*data = d;
	return 0;
}

int oci_mount_parse_options(const struct oci_mount *m, struct oci_mount_opts *out, ctr_error **err)
{
	if (!m || !out)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "oci_mount_parse_options: %s is NULL",
			       m ? "out" : "mount");
	memset(out, 0, sizeof(*out));
	if (m->type && strcmp(m->type, "bind") == 0)
		out->bind = true;
	size_t dlen = 0;
	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		bool done = false;
		if (!o || !*o || strcmp(o, "defaults") == 0)
			continue;
		for (size_t j = 0; j < CTR_ARRAY_SIZE(flag_options) && !done; j++) {
			if (strcmp(o, flag_options[j].name))
				continue;
			unsigned long f = flag_options[j].flag;
			if (flag_options[j].clear) {
				out->flags &= ~f;
				out->clear |= f;
			} else {
				out->flags |= f;
				out->clear &= ~f;
			}
			done = true;
		}
		/* the last propagation option wins, as with mount(8) */
		if (!done && spec_propagation_from_name(o, &out->propagation))
			done = true;
		if (done)
			continue;
		if (strcmp(o, "bind") == 0) {
			out->bind = true;
		} else if (strcmp(o, "rbind") == 0) {
			out->bind = true;
			out->recursive = true;
		} else if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
			out->idmap = true;
			/* ridmap: idmap every mount of an rbind tree (mount_setattr AT_RECURSIVE) */
			if (o[0] == 'r')
				out->idmap_recursive = true;
		} else if (strcmp(o, "tmpcopyup") == 0) {
			out->tmpcopyup = true;
		} else if (append_data(&out->data, &dlen, o) < 0) {
			free(out->data);
			out->data = NULL;
			return ctr_err_nomem(err);
		}
	}
	if (out->bind)
		out->flags |= MS_BIND | (out->recursive ? MS_REC : 0);
	return 0;
}

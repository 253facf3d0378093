/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host libraries for containers: the glibc ld.so cache under a host root,
 * the DT_NEEDED list of an ELF shared object, and a "library set" that
 * collects driver libraries (and their dependency closure) and turns them
 * into edits the way nvidia-ctk does: a read-only bind mount of each real
 * file at its host path, a create-symlinks hook for the soname links and an
 * update-ldcache hook for their folders.  Shared by the nvidia, dxg and
 * Mesa (dri, virtio-gpu, amd) graphics code.
 */
#include <elf.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "accel/accel-internal.h"

/* ---- ld.so.cache ---- */

struct ld_entry_new {
	int32_t flags;
	uint32_t key, value;
	uint32_t osversion;
	uint64_t hwcap;
};

#define LD_MAGIC_OLD "ld.so-1.7.0"
#define LD_MAGIC_NEW "glibc-ld.so.cache"
#define LD_VERSION_NEW "1.1"

int accel_ldcache_open(const char *host_root, struct accel_ldcache *c, ctr_error **err)
{
	char *p = accel_host_path(host_root, "/etc/ld.so.cache");
	uint32_t nlibs;
	int r;

	memset(c, 0, sizeof(*c));
	if (!p)
		return ctr_err_nomem(err);
	r = ctr_read_file(p, 64u << 20, &c->buf, &c->len, err);
	if (r < 0) {
		ctr_err_prefix(err, "the ld.so cache");
		free(p);
		return r;
	}
	if (c->len >= 16 && memcmp(c->buf, LD_MAGIC_OLD, strlen(LD_MAGIC_OLD)) == 0) {
		uint32_t nold;
		memcpy(&nold, c->buf + 12, 4);
		c->off = 16 + (size_t)nold * 12;
		c->off = (c->off + 7) & ~(size_t)7;
	}
	if (c->off > c->len || c->len - c->off < 48 || memcmp(c->buf + c->off, LD_MAGIC_NEW LD_VERSION_NEW, 20) != 0) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: not a glibc ld.so cache (format 1.1): run ldconfig on the host",
			    p);
		goto fail;
	}
	memcpy(&nlibs, c->buf + c->off + 20, 4);
	if (nlibs > (c->len - c->off - 48) / sizeof(struct ld_entry_new)) {
		r = ctr_err(err, EINVAL, CTR_E_PARSE, "%s: truncated ld.so cache: run ldconfig on the host", p);
		goto fail;
	}
	c->n = nlibs;
	free(p);
	return 0;
fail:
	free(p);
	accel_ldcache_close(c);
	return r;
}

void accel_ldcache_close(struct accel_ldcache *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* glibc's FLAG_REQUIRED_MASK values for the architectures we run on */
static bool arch_matches(int32_t flags, enum accel_arch arch)
{
	int32_t req = flags & 0xff00;

	if ((flags & 0xff) != 0x03) /* FLAG_ELF_LIBC6 */
		return false;
#if defined(__x86_64__)
	return arch == ACCEL_ARCH_NATIVE ? req == 0x0300 : req == 0;
#elif defined(__aarch64__)
	return arch == ACCEL_ARCH_NATIVE ? req == 0x0a00 : req == 0x0900;
#else
	(void)req;
	return arch == ACCEL_ARCH_NATIVE;
#endif
}

/* The i-th entry's key and value, or false when it is out of bounds or of another arch. */
static bool entry_at(const struct accel_ldcache *c, uint32_t i, enum accel_arch arch, const char **key,
		     const char **val)
{
	struct ld_entry_new e;
	size_t rest = c->len - c->off;

	memcpy(&e, c->buf + c->off + 48 + (size_t)i * sizeof(e), sizeof(e));
	if (e.key >= rest || e.value >= rest || !arch_matches(e.flags, arch))
		return false;
	*key = c->buf + c->off + e.key;
	*val = c->buf + c->off + e.value;
	return memchr(*key, '\0', rest - e.key) && memchr(*val, '\0', rest - e.value);
}

int accel_ldcache_find(const struct accel_ldcache *c, enum accel_arch arch, const char *const *prefixes, char ***out)
{
	for (uint32_t i = 0; i < c->n; i++) {
		const char *key, *val;

		if (!entry_at(c, i, arch, &key, &val))
			continue;
		for (size_t k = 0; prefixes[k]; k++)
			if (strncmp(key, prefixes[k], strlen(prefixes[k])) == 0) {
				if (!accel_strv_contains(*out, val) && strv_append(out, val) < 0)
					return -ENOMEM;
				break;
			}
	}
	return 0;
}

const char *accel_ldcache_lookup(const struct accel_ldcache *c, enum accel_arch arch, const char *soname)
{
	for (uint32_t i = 0; i < c->n; i++) {
		const char *key, *val;

		if (entry_at(c, i, arch, &key, &val) && strcmp(key, soname) == 0)
			return val;
	}
	return NULL;
}

bool accel_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* ---- paths beneath the host root ---- */

char *accel_resolve_in_root(const char *host_root, const char *path)
{
	char *cur = strdup(path);

	for (int hops = 0; cur && hops < 16; hops++) {
		char *hp = accel_host_path(host_root, cur), tgt[PATH_MAX], *nx, *dir;
		struct stat st;
		ssize_t n;

		if (!hp || lstat(hp, &st) < 0 || !S_ISLNK(st.st_mode)) {
			free(hp);
			return cur;
		}
		n = readlink(hp, tgt, sizeof(tgt) - 1);
		free(hp);
		if (n < 0)
			return cur;
		tgt[n] = '\0';
		if (tgt[0] == '/') {
			nx = strdup(tgt);
		} else {
			dir = strdup(cur);
			nx = NULL;
			if (dir && asprintf(&nx, "%s/%s", dirname(dir), tgt) < 0)
				nx = NULL;
			free(dir);
		}
		free(cur);
		cur = nx;
	}
	return cur;
}

bool accel_host_exists(const char *host_root, const char *path)
{
	char *hp = accel_host_path(host_root, path);
	bool r = hp && access(hp, F_OK) == 0;

	free(hp);
	return r;
}

bool accel_host_is_chr(const char *host_root, const char *path)
{
	char *hp = accel_host_path(host_root, path);
	struct stat st;
	bool r = hp && stat(hp, &st) == 0 && S_ISCHR(st.st_mode);

	free(hp);
	return r;
}

bool accel_host_is_file(const char *host_root, const char *path)
{
	char *hp = accel_host_path(host_root, path);
	struct stat st;
	bool r = hp && stat(hp, &st) == 0 && S_ISREG(st.st_mode);

	free(hp);
	return r;
}

/* ---- ELF: the DT_NEEDED entries of a shared object ---- */

#define ELF_MAX_STRTAB (4u << 20)

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -EINVAL;
}

/* A program header or dynamic entry of either class, widened. */
struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

static int read_phdrs(int fd, bool is64, uint64_t phoff, unsigned phnum, unsigned phentsize, struct phdr *out)
{
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t at = phoff + (uint64_t)i * phentsize;
		if (is64) {
			Elf64_Phdr p;
			if (phentsize < sizeof(p) || pread_all(fd, &p, sizeof(p), at) < 0)
				return -EINVAL;
			out[i] = (struct phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
		} else {
			Elf32_Phdr p;
			if (phentsize < sizeof(p) || pread_all(fd, &p, sizeof(p), at) < 0)
				return -EINVAL;
			out[i] = (struct phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
		}
	}
	return 0;
}

int accel_elf_needed(const char *path, char ***out)
{
	unsigned char ident[EI_NIDENT];
	struct phdr ph[64], *dyn = NULL;
	uint64_t phoff, strtab = 0, strsz = 0, stroff = UINT64_MAX;
	unsigned phnum, phentsize;
	uint64_t *needed = NULL;
	size_t n_needed = 0;
	char *strs = NULL;
	bool is64;
	int fd, r = -EINVAL;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (pread_all(fd, ident, sizeof(ident), 0) < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0 ||
	    (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32) || ident[EI_DATA] != ELFDATA2LSB)
		goto out;
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr eh;
		if (pread_all(fd, &eh, sizeof(eh), 0) < 0)
			goto out;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;
		if (pread_all(fd, &eh, sizeof(eh), 0) < 0)
			goto out;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	}
	if (phnum == 0 || phnum > CTR_ARRAY_SIZE(ph) || read_phdrs(fd, is64, phoff, phnum, phentsize, ph) < 0)
		goto out;
	for (unsigned i = 0; i < phnum; i++)
		if (ph[i].type == PT_DYNAMIC)
			dyn = &ph[i];
	if (!dyn) {
		r = 0; /* static, or not a shared object: no dependencies */
		goto out;
	}
	/* the dynamic entries: DT_NEEDED (string offsets), DT_STRTAB (a vaddr), DT_STRSZ */
	for (uint64_t at = 0, esz = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn); at + esz <= dyn->filesz && at < (1u << 20);
	     at += esz) {
		int64_t tag;
		uint64_t val;
		if (is64) {
			Elf64_Dyn d;
			if (pread_all(fd, &d, sizeof(d), dyn->offset + at) < 0)
				goto out;
			tag = d.d_tag, val = d.d_un.d_val;
		} else {
			Elf32_Dyn d;
			if (pread_all(fd, &d, sizeof(d), dyn->offset + at) < 0)
				goto out;
			tag = d.d_tag, val = d.d_un.d_val;
		}
		if (tag == DT_NULL)
			break;
		if (tag == DT_STRTAB)
			strtab = val;
		else if (tag == DT_STRSZ)
			strsz = val;
		else if (tag == DT_NEEDED) {
			uint64_t *nn = realloc(needed, (n_needed + 1) * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				goto out;
			}
			needed = nn;
			needed[n_needed++] = val;
		}
	}
	if (!n_needed) {
		r = 0;
		goto out;
	}
	/* the string table's file offset, through the PT_LOAD segment holding it */
	for (unsigned i = 0; i < phnum; i++)
		if (ph[i].type == PT_LOAD && strtab >= ph[i].vaddr && strtab - ph[i].vaddr < ph[i].filesz)
			stroff = ph[i].offset + (strtab - ph[i].vaddr);
	if (stroff == UINT64_MAX || strsz == 0 || strsz > ELF_MAX_STRTAB)
		goto out;
	strs = malloc(strsz + 1);
	if (!strs) {
		r = -ENOMEM;
		goto out;
	}
	if (pread_all(fd, strs, strsz, stroff) < 0)
		goto out;
	strs[strsz] = '\0';
	r = 0;
	for (size_t i = 0; i < n_needed && r == 0; i++)
		if (needed[i] < strsz && strs[needed[i]] && !accel_strv_contains(*out, strs + needed[i]))
			r = strv_append(out, strs + needed[i]);
out:
	if (r < 0) {
		ctr_strv_free(*out);
		*out = NULL;
	}
	free(strs);
	free(needed);
	close(fd);
	return r;
}

/* ---- library sets ---- */

void accel_libset_free(struct accel_libset *s)
{
	ctr_strv_free(s->files);
	ctr_strv_free(s->links);
	ctr_strv_free(s->dirs);
	ctr_strv_free(s->seen);
	memset(s, 0, sizeof(*s));
}

int accel_libset_add_file(struct accel_libset *s, const char *path)
{
	if (accel_strv_contains(s->files, path))
		return 0;
	return strv_append(&s->files, path);
}

int accel_libset_add(const char *host_root, struct accel_libset *s, const char *path)
{
	char *real = accel_resolve_in_root(host_root, path), *d;
	const char *rb, *lb;
	int r;

	if (!real)
		return -ENOMEM;
	r = accel_libset_add_file(s, real);
	rb = strrchr(real, '/');
	rb = rb ? rb + 1 : real;
	lb = strrchr(path, '/');
	lb = lb ? lb + 1 : path;
	/* the link the cache names, e.g. libcuda.so.1 -> libcuda.so.550.54.14, in the same folder */
	if (r == 0 && strcmp(lb, rb) != 0) {
		char *link = NULL;
		if (asprintf(&link, "%s::%s", rb, path) < 0)
			r = -ENOMEM;
		else if (!accel_strv_contains(s->links, link))
			r = strv_append(&s->links, link);
		free(link);
	}
	d = r == 0 ? strdup(real) : NULL;
	if (r == 0 && !d)
		r = -ENOMEM;
	if (d) {
		char *dn = dirname(d);
		if (!accel_strv_contains(s->dirs, dn))
			r = strv_append(&s->dirs, dn);
		free(d);
	}
	free(real);
	return r;
}

/* glibc itself and the loader come from the image, never from the host */
static bool from_image(const char *soname)
{
	static const char *const glibc[] = {
		"libc.so.", "libm.so.", "libdl.so.", "libpthread.so.", "librt.so.", "libresolv.so.", "libutil.so.",
		"libmvec.so.", "ld-linux", "ld64.so.", "libBrokenLocale.so.", "libanl.so.", "libnsl.so.", "libcrypt.so.",
	};

	for (size_t i = 0; i < CTR_ARRAY_SIZE(glibc); i++)
		if (strncmp(soname, glibc[i], strlen(glibc[i])) == 0)
			return true;
	return false;
}

/* Libraries from queue (cache paths) and their DT_NEEDED closure; plugin: queue[0] is a file loaded by path. */
static int closure(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch, struct accel_libset *s,
		   char ***qp, bool plugin)
{
	char **queue;
	int r = 0;

	/* breadth first over DT_NEEDED, each soname resolved through the host's cache */
	for (size_t q = 0; r == 0 && (queue = *qp) && queue[q]; q++) {
		char *real, *hp, **needed = NULL;

		if (accel_strv_contains(s->seen, queue[q]))
			continue;
		if ((r = strv_append(&s->seen, queue[q])) < 0)
			break;
		r = plugin && q == 0 ? accel_libset_add_file(s, queue[q]) : accel_libset_add(host_root, s, queue[q]);
		if (r < 0)
			break;
		real = accel_resolve_in_root(host_root, queue[q]);
		hp = real ? accel_host_path(host_root, real) : NULL;
		free(real);
		if (!hp) {
			r = -ENOMEM;
			break;
		}
		r = accel_elf_needed(hp, &needed);
		free(hp);
		if (r == -ENOMEM)
			break;
		r = 0; /* an unreadable or odd file: injected as it is, without dependencies */
		for (size_t i = 0; r == 0 && needed && needed[i]; i++) {
			const char *dep;
			if (from_image(needed[i]) || !(dep = accel_ldcache_lookup(c, arch, needed[i])))
				continue;
			if (!accel_strv_contains(s->seen, dep) && !accel_strv_contains(*qp, dep))
				r = strv_append(qp, dep);
		}
		ctr_strv_free(needed);
	}
	return r;
}

static int add_with_closure(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch,
			    struct accel_libset *s, const char *path, bool plugin)
{
	char **queue = NULL;
	int r = strv_append(&queue, path);

	if (r == 0)
		r = closure(host_root, c, arch, s, &queue, plugin);
	ctr_strv_free(queue);
	return r;
}

int accel_libset_add_closure(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch,
			     struct accel_libset *s, const char *path)
{
	return add_with_closure(host_root, c, arch, s, path, false);
}

int accel_libset_add_plugin(const char *host_root, const struct accel_ldcache *c, enum accel_arch arch,
			    struct accel_libset *s, const char *path)
{
	return add_with_closure(host_root, c, arch, s, path, true);
}

int accel_add_ro_bind(const char *host_root, ctr_container_edits *e, const char *path, ctr_error **err)
{
	static const char *const opts[] = { "ro", "nosuid", "nodev", "rbind", "rprivate", NULL };
	char *hp = accel_host_path(host_root, path);
	int r;

	if (!hp)
		return ctr_err_nomem(err);
	r = ctr_container_edits_add_mount(e, hp, path, NULL, opts, err);
	free(hp);
	return r;
}

int accel_cdi_hook(ctr_container_edits *e, const char *verb, const char *flag, char *const *items, ctr_error **err)
{
	static const char *const env[] = { "NVIDIA_CTK_DEBUG=false", NULL };
	char **args = NULL;
	int r = strv_append(&args, "nvidia-cdi-hook");

	if (r == 0)
		r = strv_append(&args, verb);
	for (size_t i = 0; r == 0 && items && items[i]; i++)
		if (!flag || (r = strv_append(&args, flag)) == 0)
			r = strv_append(&args, items[i]);
	r = r < 0 ? ctr_err_nomem(err)
		  : ctr_container_edits_add_hook(e, "createContainer", ACCEL_NVIDIA_CDI_HOOK, (const char *const *)args,
						 env, 0, err);
	ctr_strv_free(args);
	return r;
}

int accel_libset_edits(const char *host_root, const struct accel_libset *s, ctr_container_edits *e, ctr_error **err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && s->files && s->files[i]; i++)
		r = accel_add_ro_bind(host_root, e, s->files[i], err);
	if (r == 0 && s->links)
		r = accel_cdi_hook(e, "create-symlinks", "--link", s->links, err);
	if (r == 0 && s->dirs)
		r = accel_cdi_hook(e, "update-ldcache", "--folder", s->dirs, err);
	return r;
}

/* ---- device nodes described from the host node ---- */

int accel_add_node_stat(const char *host_root, ctr_container_edits *e, const char *path, bool with_type,
			ctr_error **err)
{
	char *hp = accel_host_path(host_root, path);
	struct json_object *nodes, *n;
	struct stat st;
	int r;

	if (!hp)
		return ctr_err_nomem(err);
	if (stat(hp, &st) < 0 || !S_ISCHR(st.st_mode)) {
		r = errno && !S_ISCHR(st.st_mode) ? errno : ENODEV;
		r = ctr_err(err, r, CTR_E_NOT_FOUND, "%s is not a character device on this host: %s", hp,
			    errno ? strerror(errno) : "wrong file type");
		free(hp);
		return r;
	}
	r = ctr_container_edits_add_device_node(e, path, strcmp(hp, path) ? hp : NULL, "rwm", err);
	free(hp);
	if (r < 0)
		return r;
	nodes = json_object_object_get(e->obj, "deviceNodes");
	n = json_object_array_get_idx(nodes, json_object_array_length(nodes) - 1);
	/* the order nvidia-ctk's spec has: path, hostPath, type, major, minor, fileMode, permissions, gid */
	json_object_object_del(n, "permissions");
	if ((with_type && json_object_object_add(n, "type", json_object_new_string("c")) < 0) ||
	    json_object_object_add(n, "major", json_object_new_int64(major(st.st_rdev))) < 0 ||
	    json_object_object_add(n, "minor", json_object_new_int64(minor(st.st_rdev))) < 0 ||
	    ((st.st_mode & 07777) && json_object_object_add(n, "fileMode", json_object_new_int64(st.st_mode & 07777)) < 0) ||
	    json_object_object_add(n, "permissions", json_object_new_string("rwm")) < 0 ||
	    (st.st_gid && json_object_object_add(n, "gid", json_object_new_int64(st.st_gid)) < 0))
		return ctr_err_nomem(err);
	/* a node the world cannot open needs its group */
	if (st.st_gid && (st.st_mode & 06) != 06)
		return ctr_container_edits_add_gid(e, (unsigned)st.st_gid, err);
	return 0;
}

/* ---- CDI specs ---- */

int accel_spec_mount_paths(const struct cdi_spec *s, char ***out)
{
	*out = NULL;
	for (size_t d = 0; d <= s->n_devices; d++) {
		struct json_object *ed = d == 0 ? s->edits : s->devices[d - 1].edits, *mounts;
		if (!ed || !json_object_object_get_ex(ed, "mounts", &mounts))
			continue;
		for (size_t i = 0; i < json_object_array_length(mounts); i++) {
			struct json_object *cp;
			if (json_object_object_get_ex(json_object_array_get_idx(mounts, i), "containerPath", &cp) &&
			    strv_append(out, json_object_get_string(cp)) < 0) {
				ctr_strv_free(*out);
				*out = NULL;
				return -ENOMEM;
			}
		}
	}
	return 0;
}

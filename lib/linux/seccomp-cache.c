/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compiled seccomp filter cache.  Compiling podman's default profile with
 * libseccomp takes longer than the rest of create+start+delete together, and
 * every container of an engine carries the same profile: compile it once.
 *
 * Key: sha256 of ("ctr-seccomp-cache/2", libseccomp's version, the kernel's
 * release and version (libseccomp's API level follows from them), the native
 * architecture, and a canonical encoding of the parsed profile: every field
 * that shapes the program, in order, strings with their lengths, numbers at
 * full width, optional values with a presence mark.  It does not depend on
 * the JSON's spelling (key order, spaces, number forms), and leaves out only
 * listenerPath and listenerMetadata, which do not change the program.  The
 * load flags (linux.seccomp.flags) are in it too.
 *
 * Layout: <state_root>/.seccomp-cache/ (mode 0700, owned by the euid), one
 * file per key named by its hex digest:
 *     "CTRBPF01" | u32 instructions | u32 0 | key[32] | sha256(program)[32] | program
 *
 * Trust: the directory is opened O_NOFOLLOW and used only when it belongs to
 * the euid with no group/other access (a directory of ours with looser bits
 * is tightened back to 0700; a foreign one is never used).  An entry is opened
 * O_NOFOLLOW|O_NONBLOCK and used only when it is a regular file owned by the
 * euid, mode 0600, one link, exactly the size its header says, with the key
 * it was asked for and a program whose sha256 matches.  Anything else is
 * ignored: the filter is compiled again and a fresh entry replaces the bad
 * one.  Entries are written to an O_EXCL temporary file and renamed into
 * place, so a reader never sees half a file.  No fsync: the state root is
 * normally tmpfs, and a torn entry fails its checksum.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "linux/seccomp-cache.h"

#define CACHE_DIR ".seccomp-cache"
#define MAGIC "CTRBPF01"

struct entry_hdr {
	char magic[8];
	uint32_t n_insns;
	uint32_t reserved;
	unsigned char key[CTR_SECCOMP_KEY_LEN];
	unsigned char sum[CTR_SECCOMP_KEY_LEN];
};

/* Canonical encoding: every string with its length, every number as 8 bytes (host order: the key
 * also holds the architecture), every optional value with a presence byte, every list with its count. */
static void put_u64(struct ctr_sha256 *h, uint64_t v)
{
	ctr_sha256_update(h, &v, sizeof(v));
}

static void put_str(struct ctr_sha256 *h, const char *s)
{
	put_u64(h, s ? strlen(s) + 1 : 0);
	if (s)
		ctr_sha256_update(h, s, strlen(s));
}

static void put_strv(struct ctr_sha256 *h, char *const *v, size_t n)
{
	put_u64(h, n);
	for (size_t i = 0; i < n; i++)
		put_str(h, v[i]);
}

static void put_opt(struct ctr_sha256 *h, bool has, uint64_t v)
{
	put_u64(h, has);
	put_u64(h, has ? v : 0);
}

void ctr_seccomp_cache_key(const struct oci_seccomp *sc, unsigned char key[CTR_SECCOMP_KEY_LEN])
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	char env[512];
	/* the kernel stands in for libseccomp's API level, which it derives from the kernel with
	 * nine probing system calls: cheaper to key on, and it changes whenever the level can */
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	int n = snprintf(env, sizeof(env), "ctr-seccomp-cache/2 libseccomp %u.%u.%u kernel %s %s arch %u",
			 v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.release, u.version,
			 seccomp_arch_native());
	struct ctr_sha256 h;
	ctr_sha256_init(&h);
	ctr_sha256_update(&h, env, (size_t)n + 1);
	put_str(&h, sc->default_action);
	put_opt(&h, sc->has_default_errno_ret, sc->default_errno_ret);
	put_strv(&h, sc->architectures, sc->n_architectures);
	put_strv(&h, sc->flags, sc->n_flags);
	put_u64(&h, sc->n_syscalls);
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct oci_seccomp_syscall *s = &sc->syscalls[i];
		put_strv(&h, s->names, s->n_names);
		put_str(&h, s->action);
		put_opt(&h, s->has_errno_ret, s->errno_ret);
		put_u64(&h, s->n_args);
		for (size_t j = 0; j < s->n_args; j++) {
			put_u64(&h, s->args[j].index);
			put_u64(&h, s->args[j].value);
			put_u64(&h, s->args[j].value_two);
			put_str(&h, s->args[j].op);
		}
	}
	ctr_sha256_final(&h, key);
}

static void hex(const unsigned char key[CTR_SECCOMP_KEY_LEN], char out[2 * CTR_SECCOMP_KEY_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < CTR_SECCOMP_KEY_LEN; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 15];
	}
	out[2 * CTR_SECCOMP_KEY_LEN] = '\0';
}

/* The cache directory, created when missing; -1 when it cannot be trusted or made. */
static int open_dir(const ctr_context *ctx)
{
	int root = open(ctx->state_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		ctr_debug(ctx, "seccomp cache: state root %s: %s: cache not used", ctx->state_root, strerror(errno));
		return -1;
	}
	if (mkdirat(root, CACHE_DIR, 0700) < 0 && errno != EEXIST)
		ctr_debug(ctx, "seccomp cache: %s/" CACHE_DIR ": mkdir: %s", ctx->state_root, strerror(errno));
	int fd = openat(root, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(root);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		ctr_warn(ctx, "seccomp cache: %s/" CACHE_DIR " is not owned by uid %u: not used; remove it",
			 ctx->state_root, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) && fchmod(fd, 0700) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int ctr_seccomp_cache_get(const ctr_context *ctx, const unsigned char key[CTR_SECCOMP_KEY_LEN], void **bpf,
			  size_t *n_insns)
{
	char name[2 * CTR_SECCOMP_KEY_LEN + 1];
	hex(key, name);
	int dfd = open_dir(ctx);
	if (dfd < 0)
		return 0;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		ctr_debug(ctx, "seccomp cache: miss %s", name);
		return 0;
	}
	const char *why = NULL;
	struct stat st;
	struct entry_hdr h;
	void *prog = NULL;
	size_t size = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	else if ((st.st_mode & 07777) != 0600)
		why = "mode is not 0600";
	else if (st.st_nlink != 1)
		why = "has other hard links";
	else if (st.st_size < (off_t)sizeof(h) || read_all(fd, &h, sizeof(h)) < 0)
		why = "short header";
	else if (memcmp(h.magic, MAGIC, 8) || memcmp(h.key, key, CTR_SECCOMP_KEY_LEN))
		why = "wrong magic or key";
	else if (h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
		 st.st_size != (off_t)(sizeof(h) + (size = (size_t)h.n_insns * sizeof(struct sock_filter))))
		why = "size does not match the header";
	else if (!(prog = malloc(size))) {
		close(fd);
		return -ENOMEM;
	} else if (read_all(fd, prog, size) < 0)
		why = "short program";
	else {
		unsigned char sum[CTR_SECCOMP_KEY_LEN];
		const void *parts[] = {prog};
		const size_t lens[] = {size};
		ctr_sha256(parts, lens, 1, sum);
		if (memcmp(sum, h.sum, sizeof(sum)))
			why = "checksum mismatch";
	}
	close(fd);
	if (why) {
		free(prog);
		ctr_warn(ctx, "seccomp cache: %s/" CACHE_DIR "/%s: %s: not used, compiling again", ctx->state_root, name,
			 why);
		return 0;
	}
	ctr_debug(ctx, "seccomp cache: hit %s (%u instructions)", name, h.n_insns);
	*bpf = prog;
	*n_insns = h.n_insns;
	return 1;
}

void ctr_seccomp_cache_put(const ctr_context *ctx, const unsigned char key[CTR_SECCOMP_KEY_LEN], const void *bpf,
			   size_t n_insns)
{
	char name[2 * CTR_SECCOMP_KEY_LEN + 1], tmp[sizeof(name) + 32];
	struct entry_hdr h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, 8);
	h.n_insns = (uint32_t)n_insns;
	memcpy(h.key, key, CTR_SECCOMP_KEY_LEN);
	const void *parts[] = {bpf};
	const size_t lens[] = {n_insns * sizeof(struct sock_filter)};
	ctr_sha256(parts, lens, 1, h.sum);
	hex(key, name);
	int dfd = open_dir(ctx);
	if (dfd < 0)
		return;
	/* per thread: a daemon may create containers with the same profile from several threads */
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)gettid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	const char *step = "create";
	if (fd >= 0) {
		step = "write";
		/* the umask must not leave a mode that the reader refuses */
		bool ok = fchmod(fd, 0600) == 0 && write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
			  write(fd, bpf, lens[0]) == (ssize_t)lens[0];
		close(fd);
		if (ok) {
			step = "rename";
			ok = renameat(dfd, tmp, dfd, name) == 0;
		}
		if (!ok)
			(void)unlinkat(dfd, tmp, 0);
		else
			step = NULL;
	}
	if (step)
		ctr_debug(ctx, "seccomp cache: %s/" CACHE_DIR "/%s: %s: %s", ctx->state_root, tmp, step, strerror(errno));
	else
		ctr_debug(ctx, "seccomp cache: stored %s (%zu instructions)", name, n_insns);
	close(dfd);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names for a container: /etc/hosts, /etc/hostname and /etc/resolv.conf.
 * As podman does, the files live in the container's state dir and are
 * bind-mounted over the rootfs's; we rewrite them in place (same inode) when
 * another container joins or leaves the network, so the bind mounts see it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net-internal.h"

static int sb_done(struct ctr_sbuf *b, char **out, size_t *len, ctr_error **err)
{
	if (b->oom || !b->s) {
		free(b->s);
		return ctr_err_nomem(err);
	}
	*out = b->s;
	if (len)
		*len = b->len;
	return 0;
}

/* One line "addr name1 name2 ..." for a lease's address of a family. */
static void host_line(struct ctr_sbuf *b, int family, const unsigned char *a, const struct ctr_lease *l,
		      const char *hostname)
{
	char s[INET6_ADDRSTRLEN];
	ctr_ip_str(family, a, s, sizeof(s));
	ctr_sb_puts(b, s);
	ctr_sb_puts(b, "\t");
	const char *h = hostname ? hostname : l->hostname;
	if (h) {
		ctr_sb_puts(b, h);
		ctr_sb_puts(b, " ");
	}
	if (!h || strcmp(h, l->id)) {
		ctr_sb_puts(b, l->id);
		ctr_sb_puts(b, " ");
	}
	for (size_t i = 0; l->aliases && l->aliases[i]; i++) {
		ctr_sb_puts(b, l->aliases[i]);
		ctr_sb_puts(b, " ");
	}
	if (!b->oom && b->len)
		b->len--; /* the trailing blank */
	ctr_sb_puts(b, "\n");
}

/* The lines of a lease as the other containers' hosts files have them. */
static void lease_lines(struct ctr_sbuf *b, const struct ctr_lease *l)
{
	if (l->has_v4)
		host_line(b, AF_INET, l->ipv4, l, NULL);
	if (l->has_v6)
		host_line(b, AF_INET6, l->ipv6, l, NULL);
}

int ctr_names_hosts(const struct ctr_netdef *d, const struct ctr_leases *ls, const struct ctr_lease *self,
		    const char *hostname, char **out, size_t *len, ctr_error **err)
{
	struct ctr_sbuf b = {0};
	ctr_sb_puts(&b, "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
		    "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n");
	if (self) {
		if (self->has_v4)
			host_line(&b, AF_INET, self->ipv4, self, hostname);
		if (self->has_v6)
			host_line(&b, AF_INET6, self->ipv6, self, hostname);
	} else if (hostname) {
		ctr_sb_puts(&b, "127.0.1.1\t");
		ctr_sb_puts(&b, hostname);
		ctr_sb_puts(&b, "\n");
	}
	for (size_t i = 0; ls && i < ls->n; i++) {
		const struct ctr_lease *l = &ls->v[i];
		if (!self || strcmp(l->id, self->id))
			lease_lines(&b, l);
	}
	if (d) {
		const struct ctr_subnet *sn = ctr_netdef_subnet(d, AF_INET);
		if (!sn)
			sn = ctr_netdef_subnet(d, AF_INET6);
		if (sn) {
			char s[INET6_ADDRSTRLEN];
			ctr_ip_str(sn->net.family, sn->gateway, s, sizeof(s));
			ctr_sb_puts(&b, s);
			ctr_sb_puts(&b, "\thost.containers.internal\n");
		}
	}
	return sb_done(&b, out, len, err);
}

/* A nameserver on the host's loopback is unreachable from the container's namespace. */
static bool loopback_ns(const char *a, size_t n)
{
	int fam;
	unsigned char ip[16];
	if (ctr_ip_parse(a, n, 0, &fam, ip) < 0) {
		/* "fe80::1%eth0" and the like: a zone names a host link */
		return memchr(a, '%', n) != NULL;
	}
	if (fam == AF_INET)
		return ip[0] == 127;
	static const unsigned char lo6[16] = {[15] = 1};
	return !memcmp(ip, lo6, 16);
}

int ctr_names_resolv(const char *host, size_t len, bool want_v6, char **out, size_t *outlen, ctr_error **err)
{
	struct ctr_sbuf b = {0};
	size_t kept = 0;
	const char *p = host, *end = host ? host + len : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(le - q) > 10 && !strncmp(q, "nameserver", 10) && (q[10] == ' ' || q[10] == '\t')) {
			const char *a = q + 10;
			while (a < le && (*a == ' ' || *a == '\t'))
				a++;
			const char *ae = a;
			while (ae < le && *ae != ' ' && *ae != '\t' && *ae != '\r')
				ae++;
			if (loopback_ns(a, (size_t)(ae - a))) {
				p = nl ? nl + 1 : end;
				continue;
			}
			kept++;
		}
		ctr_sb_add(&b, p, (size_t)(le - p));
		ctr_sb_puts(&b, "\n");
		p = nl ? nl + 1 : end;
	}
	if (!kept) {
		/* as podman without a DNS server of its own: public resolvers */
		ctr_sb_puts(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
		if (want_v6)
			ctr_sb_puts(&b, "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n");
	}
	if (!b.s)
		ctr_sb_puts(&b, "");
	return sb_done(&b, out, outlen, err);
}

int ctr_names_write(const char *dir, const char *name, const char *buf, size_t len, ctr_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* in place, not by rename: the container's bind mount holds the inode */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return ctr_err_sys(err, errno, "%s: open", path);
	size_t off = 0;
	while (off < len) {
		ssize_t w = pwrite(fd, buf + off, len - off, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return ctr_err_sys(err, e, "%s: write", path);
		}
		off += (size_t)w;
	}
	if (ftruncate(fd, (off_t)len) < 0) {
		int e = errno;
		close(fd);
		return ctr_err_sys(err, e, "%s: truncate", path);
	}
	close(fd);
	return 0;
}

/*
 * A container joined: its lines go at the end of every other holder's hosts
 * file, each file opened for appending (never created, never through a
 * symlink), so a join costs one small write per peer instead of rewriting
 * every peer's whole file (N files of N lines: a create at 500 containers
 * took 25 ms instead of 7).  What a container wrote into its own file stays.
 *
 * The work is made a job (everything it needs copied: it outlives the
 * leases) so that create can run it on a thread of its own while the
 * container is set up (ctr_net_prepare): five calls per peer, about 1 ms at
 * 500 containers, then off the create's path on a machine with a CPU to
 * spare.  The job takes the network's IPAM lock itself: a departure
 * rewrites each peer's file under that lock, and an append between its read
 * and its write-back would be lost.
 */
struct ctr_announce {
	char *net;    /* the network's name, for warnings */
	char *dir;    /* its directory (the IPAM lock) */
	char *joined; /* the id that joined */
	char *lines;  /* what goes into the others' files */
	size_t len;
	size_t n;
	char **ids, **paths; /* the other holders and their hosts files */
	struct ctr_sbuf warn; /* warnings, one a line, told by the thread that finishes the job */
};

void ctr_names_announce_free(struct ctr_announce *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->ids[i]);
		free(a->paths[i]);
	}
	free(a->ids);
	free(a->paths);
	free(a->net);
	free(a->dir);
	free(a->joined);
	free(a->lines);
	free(a->warn.s);
	free(a);
}

struct ctr_announce *ctr_names_announce_job(const char *dir, const struct ctr_netdef *d, const struct ctr_leases *ls,
					   const struct ctr_lease *joined)
{
	struct ctr_announce *a = calloc(1, sizeof(*a));
	struct ctr_sbuf b = {0};
	if (!a)
		return NULL;
	lease_lines(&b, joined);
	a->lines = b.s;
	a->len = b.len;
	if (b.oom || !b.s || !(a->net = strdup(d->name)) || !(a->dir = strdup(dir)) ||
	    !(a->joined = strdup(joined->id)) || (ls->n && (!(a->ids = calloc(ls->n, sizeof(char *))) ||
							     !(a->paths = calloc(ls->n, sizeof(char *)))))) {
		ctr_names_announce_free(a);
		return NULL;
	}
	for (size_t i = 0; i < ls->n; i++) {
		const struct ctr_lease *l = &ls->v[i];
		if (!l->state_dir || l == joined || !strcmp(l->id, joined->id))
			continue;
		if (!(a->ids[a->n] = strdup(l->id)) || asprintf(&a->paths[a->n], "%s/hosts", l->state_dir) < 0) {
			a->paths[a->n] = NULL;
			a->n++;
			ctr_names_announce_free(a);
			return NULL;
		}
		a->n++;
	}
	return a;
}

void ctr_names_announce_run(struct ctr_announce *a, bool take_lock)
{
	int lock = -1;
	ctr_error *e = NULL;
	if (take_lock && a->n && ctr_ipam_lock(a->dir, &lock, &e) < 0) {
		/* go on without it: a departure at the same time may drop the line from one file */
		char msg[512];
		snprintf(msg, sizeof(msg), "network '%s': announce '%s' without the lock: %s\n", a->net, a->joined,
			 ctr_error_message(e));
		ctr_sb_puts(&a->warn, msg);
		ctr_error_free(e);
		lock = -1;
	}
	for (size_t i = 0; i < a->n; i++) {
		int fd = open(a->paths[i], O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			if (errno == ENOENT) /* that container is leaving */
				continue;
			goto warn;
		}
		/* a file the container edited may not end in a newline: the lines start on their own */
		off_t end = lseek(fd, 0, SEEK_END);
		char last = '\n';
		bool nl = end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n';
		bool ok = (!nl || write(fd, "\n", 1) == 1) && write(fd, a->lines, a->len) == (ssize_t)a->len;
		int se = errno;
		close(fd);
		if (ok)
			continue;
		errno = se;
	warn:;
		char msg[512 + 4096];
		snprintf(msg, sizeof(msg), "network '%s': add '%s' to the hosts file of '%s': %s: %s\n", a->net,
			 a->joined, a->ids[i], a->paths[i], strerror(errno));
		ctr_sb_puts(&a->warn, msg);
	}
	ctr_ipam_unlock(lock);
}

void ctr_names_announce_finish(const ctr_context *ctx, struct ctr_announce *a)
{
	if (!a)
		return;
	if (a->warn.oom)
		ctr_warn(ctx, "network '%s': the hosts files of the other containers may not name '%s'", a->net,
			 a->joined);
	for (char *line = a->warn.s, *nl; line && *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		ctr_warn(ctx, "%s", line);
	}
	ctr_names_announce_free(a);
}

void ctr_names_announce(const ctr_context *ctx, const char *dir, const struct ctr_netdef *d,
			const struct ctr_leases *ls, const struct ctr_lease *joined)
{
	struct ctr_announce *a = ctr_names_announce_job(dir, d, ls, joined);
	if (!a) {
		ctr_warn(ctx, "network '%s': the hosts files of the other containers do not name '%s': out of memory",
			 d->name, joined->id);
		return;
	}
	ctr_names_announce_run(a, false);
	ctr_names_announce_finish(ctx, a);
}

/* A peer's hosts file larger than this is rewritten from the leases, not read. */
#define HOSTS_FILTER_MAX (4u << 20)

/*
 * Drop the lines in (buf, len) equal to one of the lines in `lines`; the
 * result in place, its length returned.  A last line without its newline is
 * compared as if it had one.
 */
static size_t drop_lines(char *buf, size_t len, const char *lines, size_t llen)
{
	size_t out = 0;
	for (size_t p = 0; p < len;) {
		const char *nl = memchr(buf + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - buf) + 1 : len, n = e - p;
		bool drop = false;
		for (size_t q = 0; q < llen && !drop;) {
			const char *lnl = memchr(lines + q, '\n', llen - q);
			size_t le = lnl ? (size_t)(lnl - lines) + 1 : llen, ln = le - q;
			drop = (ln == n && !memcmp(buf + p, lines + q, n)) ||
			       (!nl && ln == n + 1 && !memcmp(buf + p, lines + q, n));
			q = le;
		}
		if (!drop) {
			memmove(buf + out, buf + p, n);
			out += n;
		}
		p = e;
	}
	return out;
}

/*
 * The lines of `gone` out of one peer's hosts file, in place (same inode):
 * 1 done or nothing to do (no file, or not a regular file: not one libctr
 * wrote), 0 when the file must be rewritten from the leases instead (too
 * large, unreadable), -errno on a failed write.
 */
static int withdraw_one(const char *path, const char *lines, size_t llen)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 1 : 0;
	struct stat st;
	bool reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!reg || st.st_size < 0 || (size_t)st.st_size > HOSTS_FILTER_MAX) {
		close(fd);
		return reg ? 0 : 1; /* too large: rewritten from the leases; not a regular file: not libctr's, left alone */
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	int r = buf ? 1 : 0;
	while (buf && len < cap) { /* to the end, however it changed since fstat, up to cap */
		ssize_t n = pread(fd, buf + len, cap - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? 0 : 1;
			break;
		}
		len += (size_t)n;
	}
	if (r == 1 && len == cap)
		r = 0; /* it grew: the leases' text */
	if (r == 1) {
		size_t out = drop_lines(buf, len, lines, llen);
		if (out != len) {
			ssize_t w = 0;
			for (size_t off = 0; off < out && w >= 0; off += (size_t)w)
				if ((w = pwrite(fd, buf + off, out - off, (off_t)off)) < 0 && errno == EINTR)
					w = 0;
			if (w < 0 || ftruncate(fd, (off_t)out) < 0)
				r = -errno;
		}
	}
	free(buf);
	close(fd);
	return r;
}

/*
 * A container left: its lines go out of every other holder's hosts file.
 * Each file is read and the departed's lines (as ctr_names_announce and
 * ctr_names_hosts wrote them) dropped, so a departure costs one pass over N
 * small files instead of formatting N files of N lines (18 ms of CPU for one
 * delete on a network of 300), and what a container wrote into its own file
 * stays, as on a join.  A file that cannot be read so is rewritten from the
 * leases, as before.
 */
void ctr_names_withdraw(const ctr_context *ctx, const struct ctr_netdef *d, const struct ctr_leases *ls,
			const struct ctr_lease *gone)
{
	struct ctr_sbuf g = {0};
	lease_lines(&g, gone);
	for (size_t i = 0; i < ls->n; i++) {
		const struct ctr_lease *l = &ls->v[i];
		char path[4096];
		if (!l->state_dir)
			continue;
		snprintf(path, sizeof(path), "%s/hosts", l->state_dir);
		int r = g.oom || !g.s ? 0 : withdraw_one(path, g.s, g.len);
		if (r < 0)
			ctr_warn(ctx, "network '%s': remove '%s' from the hosts file of '%s': %s: %s", d->name,
				 gone->id, l->id, path, strerror(-r));
		if (r != 0 || access(path, F_OK) < 0)
			continue;
		char *txt;
		size_t len;
		ctr_error *e = NULL;
		if (ctr_names_hosts(d, ls, l, NULL, &txt, &len, &e) == 0) {
			if (ctr_names_write(l->state_dir, "hosts", txt, len, &e) < 0)
				ctr_warn(ctx, "network '%s': update the hosts file of '%s': %s", d->name, l->id,
					 ctr_error_message(e));
			free(txt);
		}
		ctr_error_free(e);
	}
	free(g.s);
}

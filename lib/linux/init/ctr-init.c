/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-init: libctr's init stub.  A small static program, built with the
 * library and embedded in it (init-stub.c), that every container process
 * execs from a sealed memfd once the runtime's part of its setup is done:
 *
 *   ctr-init init <plan-fd> <sync-fd> <start-fd> <lsm-fd>   the container's init
 *   ctr-init exec <plan-fd> <report-fd> <lsm-fd>            a process exec'd into it
 *
 * Why a separate program: until this exec the container process is a copy of
 * the runtime, or of whatever program embeds libctr: its memory, and
 * /proc/<pid>/exe, the embedder's binary, which a process in the container
 * could open and overwrite (CVE-2019-5736).  After it, /proc/<pid>/exe is a
 * memfd sealed against writes and the address space is this stub's, with
 * nothing of the host in it; a "#!/proc/self/exe" interpreter in the image
 * runs this stub again, which refuses to run without a plan.
 *
 * What it does: it becomes non-dumpable before anything else, reads its plan
 * (linux/proc-blob.h), drops to the process's user and capabilities and
 * enters its cwd; then, for an init, tells the runtime it is created, waits
 * for start and runs the startContainer hooks (which so get the container
 * process's credentials and its seccomp filter); for both, writes the LSM
 * label, loads seccomp (right after the credentials when the filter needs a
 * kept CAP_SYS_ADMIN) and execs the program.  Errors go back to the runtime
 * on the socket it gave.  A container created with CTR_CREATE_START is
 * started by its go: no start connection, the answer on the sync socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/lifecycle.h"
#include "linux/proc-blob.h"
#include "linux/sigsafe.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_WRITE 0x0008
#endif

static void refuse(const char *why)
{
	static const char pre[] = "ctr-init: ";
	static const char post[] = ": this is libctr's container init stub, run only by libctr\n";
	(void)!write(2, pre, sizeof(pre) - 1);
	(void)!write(2, why, strlen(why));
	(void)!write(2, post, sizeof(post) - 1);
	_exit(126);
}

/* An fd number from argv, open, taken close-on-exec again; -1 when "-1". */
static int arg_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < -1 || v > 1 << 20)
		refuse("bad fd argument");
	if (v < 0)
		return -1;
	int f = fcntl((int)v, F_GETFD);
	if (f < 0 || fcntl((int)v, F_SETFD, f | FD_CLOEXEC) < 0)
		refuse("fd argument not open");
	return (int)v;
}

/* The plan: a sealed memfd (the runtime seals it before the clone). */
static char *read_plan(int fd, size_t *len)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > CTR_BLOB_MAX ||
	    seals < 0 || !(seals & F_SEAL_WRITE))
		refuse("the plan fd is not a sealed plan");
	char *buf = malloc((size_t)st.st_size);
	if (!buf)
		refuse("out of memory");
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			refuse("cannot read the plan");
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return buf;
}

/* Report an error on sock and leave (the runtime kills and reaps what is left). */
__attribute__((noreturn)) static void report_as(int sock, int type, int r, const char *eb)
{
	(void)ctr_msg_send(sock, type, -r, 0, eb, strlen(eb));
	_exit(127);
}

__attribute__((noreturn)) static void report(int sock, int r, const char *eb)
{
	report_as(sock, CTR_MSG_ERROR, r, eb);
}

static void run_exec(int argc, char **argv)
{
	char eb[CTR_ERRBUF] = "";
	if (argc != 5)
		refuse("usage: ctr-init exec <plan-fd> <report-fd> <lsm-fd>");
	int plan_fd = arg_fd(argv[2]), sock = arg_fd(argv[3]), lsm_fd = arg_fd(argv[4]);
	size_t len;
	char *buf = read_plan(plan_fd, &len);
	struct ctr_proc p;
	struct ctr_sighook_list hooks;
	if (ctr_proc_unpack(buf, len, &p, &hooks) < 0)
		report(sock, -EINVAL, "the init stub got a malformed plan");
	/* credentials, cwd, fds; the seccomp filter (the kept CAP_SYS_ADMIN dropped at once) before any
	 * wait for the agent: the process never waits with more than the container's own capabilities */
	p.notify_sock = sock; /* the exec'd process passes a seccomp listener fd on its report channel */
	int r = ctr_proc_apply(&p, CTR_APPLY_CWD | CTR_APPLY_FDS, eb, sizeof(eb));
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* a changed uid resets it to suid_dumpable */
	if (r == 0)
		r = ctr_proc_exec(&p, lsm_fd, false, eb, sizeof(eb));
	report(sock, r, eb);
}

/*
 * Start: the startContainer hooks (runtime.md: in the container, after
 * start, before the program, with the container process's user,
 * capabilities, no_new_privs (ours by now) and seccomp), then the program.
 * Errors, and a seccomp listener, go to the starter on sock.
 */
__attribute__((noreturn)) static void start_program(int sock, struct ctr_proc *p, struct ctr_sighook_list *hooks,
						    bool loaded, int lsm_fd, const char *state, size_t state_len)
{
	char eb[CTR_ERRBUF] = "";
	int r;
	p->notify_sock = sock;
	if (hooks->n) {
		struct ctr_hook_filter f = {p, loaded};
		struct ctr_hook_exec x = {ctr_proc_hook_seccomp, &f};
		r = ctr_sighooks_run_as(hooks, state, state_len, &x, eb, sizeof(eb));
		if (r < 0)
			report_as(sock, CTR_MSG_HOOK_ERROR, r, eb);
	}
	r = ctr_proc_exec(p, lsm_fd, loaded, eb, sizeof(eb));
	report(sock, r, eb);
}

static void run_init(int argc, char **argv)
{
	char eb[CTR_ERRBUF] = "";
	if (argc != 6)
		refuse("usage: ctr-init init <plan-fd> <sync-fd> <start-fd> <lsm-fd>");
	int plan_fd = arg_fd(argv[2]), sync_fd = arg_fd(argv[3]), start_fd = arg_fd(argv[4]), lsm_fd = arg_fd(argv[5]);
	size_t len;
	char *buf = read_plan(plan_fd, &len);
	struct ctr_proc p;
	struct ctr_sighook_list hooks;
	if (ctr_proc_unpack(buf, len, &p, &hooks) < 0)
		report(sync_fd, -EINVAL, "the init stub got a malformed plan");
	char *msg = malloc(CTR_MSG_MAX);
	if (!msg)
		report(sync_fd, -ENOMEM, "the init stub: out of memory");
	/*
	 * The process's credentials now, at create (runtime.md lets create apply
	 * process properties but args): the init never waits for start with more
	 * privilege than the container's own processes get, so one of them that
	 * can ptrace it (a config that adds CAP_SYS_PTRACE) gains nothing; the
	 * others cannot reach it at all (non-dumpable, and no host fd, memory or
	 * binary left in it).  As runc, the program is looked up now, as the
	 * user, so that create fails when it is missing (unless a startContainer
	 * hook may still provide it).
	 */
	int r = ctr_proc_apply(&p, CTR_APPLY_CWD | CTR_APPLY_FDS, eb, sizeof(eb));
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* a changed uid resets it to suid_dumpable */
	if (r == 0 && !hooks.n)
		r = ctr_proc_check_program(&p, eb, sizeof(eb));
	/* a filter that needs the kept CAP_SYS_ADMIN is loaded now, and the capability dropped */
	bool loaded = false;
	if (r == 0 && ctr_proc_seccomp_early(&p)) {
		r = ctr_proc_seccomp(&p, sync_fd, eb, sizeof(eb));
		loaded = true;
	}
	if (r < 0)
		report(sync_fd, r, eb);
	/*
	 * The creator may return from create once it has our CREATED, and exit
	 * (ctr-demo create) without taking us along: PR_SET_PDEATHSIG goes
	 * first.  Its death before its go still ends us: the go never comes,
	 * the sync socket hangs up (t == 0 below), we leave.
	 */
	(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	/* created: the runtime's GO carries the state for startContainer hooks (it writes the state file after) */
	r = ctr_msg_send(sync_fd, CTR_MSG_CREATED, 0, 0, NULL, 0);
	if (r < 0)
		_exit(1);
	int t = ctr_msg_recv(sync_fd, msg, CTR_MSG_MAX);
	if (t == 0)
		_exit(1); /* the runtime gave up (and kills us) */
	if (t != CTR_MSG_GO)
		report(sync_fd, t < 0 ? t : -EPROTO, "create: waiting for the runtime");
	struct ctr_msg h;
	memcpy(&h, msg, sizeof(h));
	const char *state = msg + sizeof(h);
	size_t state_len = (size_t)h.len;
	if (h.err & CTR_GO_START) {
		/* created with CTR_CREATE_START: started now, the runtime waits on the sync socket */
		close(start_fd);
		start_program(sync_fd, &p, &hooks, loaded, lsm_fd, state, state_len);
	}
	close(sync_fd);

	/* created: wait for start */
	for (;;) {
		int c = accept4(start_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(126);
		}
		char word[16];
		ssize_t got = recv(c, word, sizeof(word) - 1, 0);
		if (got != 5 || memcmp(word, "start", 5) != 0) {
			close(c);
			continue;
		}
		close(start_fd);
		start_program(c, &p, &hooks, loaded, lsm_fd, state, state_len);
	}
}

int main(int argc, char **argv)
{
	/* first: nothing in the container may read or trace this process (execve made it dumpable again) */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc < 2 || strcmp(argv[0], "ctr-init") != 0)
		refuse("not started by libctr");
	if (!strcmp(argv[1], "init"))
		run_init(argc, argv);
	else if (!strcmp(argv[1], "exec"))
		run_exec(argc, argv);
	refuse("unknown mode");
	return 126;
}

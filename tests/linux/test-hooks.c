/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/linux/hooks.c: ctr_hooks_run (normal code) and ctr_sighooks_run (the
 * async-signal-safe path, run here from a forked child as the container
 * process would).  Real processes, real timeouts.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "internal.h"
#include "linux/hooks.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ctr-hooks-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tmp_path(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", tmpdir, name);
	return b;
}

static char *slurp(const char *path)
{
	char *s = NULL;
	size_t len;
	if (ctr_read_file(path, 16 << 20, &s, &len, NULL) < 0)
		return NULL;
	return s;
}

/* A hook running "sh -c script" (args given), no timeout, empty env. */
static struct oci_hook sh_hook(const char *script)
{
	static char *argvs[32][4];
	static int n;
	char **a = argvs[n++ % 32];
	a[0] = "sh";
	a[1] = "-c";
	a[2] = (char *)script;
	a[3] = NULL;
	struct oci_hook h = { .path = "/bin/sh", .args = a, .n_args = 3 };
	return h;
}

/* Open fds of this process: a hook run must leave as many as it found. */
static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run a hook list through either path.  sigsafe: prepare, fork, run
 * ctr_sighooks_run in the child, send back r and errbuf.
 */
static int run_hooks(bool sigsafe, const char *kind, struct oci_hook *hooks, size_t n, const char *state,
		     char *msg, size_t msglen, ctr_error_code *code)
{
	struct oci_hook_list l = { .hooks = hooks, .n = n };
	msg[0] = '\0';
	if (!sigsafe) {
		ctr_error *err = NULL;
		int fds = count_fds();
		int r = ctr_hooks_run(NULL, kind, &l, state, &err);
		assert_int_equal(count_fds(), fds);
		if (r < 0) {
			assert_non_null(err);
			snprintf(msg, msglen, "%s", ctr_error_message(err));
			if (code)
				*code = ctr_error_code_of(err);
			assert_int_equal(ctr_error_errno(err), -r);
		} else {
			assert_null(err);
		}
		ctr_error_free(err);
		return r;
	}

	struct ctr_sighook_list sl;
	ctr_error *err = NULL;
	assert_int_equal(ctr_sighooks_prepare(kind, &l, &sl, &err), 0);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[1024];
		int fds = count_fds();
		int r = ctr_sighooks_run(&sl, state, strlen(state), buf, sizeof(buf));
		if (count_fds() != fds)
			_exit(3);
		(void)!write(p[1], &r, sizeof(r));
		(void)!write(p[1], buf, strlen(buf) + 1);
		_exit(0);
	}
	close(p[1]);
	int r = 0;
	assert_int_equal(read(p[0], &r, sizeof(r)), sizeof(r));
	char buf[1024] = { 0 };
	size_t got = 0;
	ssize_t k;
	while ((k = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)k;
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(msg, msglen, "%s", buf);
	if (code)
		*code = CTR_E_HOOK;
	ctr_sighooks_free(&sl);
	return r;
}

static void do_order_and_state(bool sigsafe)
{
	char s1[PATH_MAX * 2], s2[PATH_MAX * 2], msg[1024];
	const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
			    "\"bundle\":\"/b\"}";
	unlink(tmp_path("order"));
	snprintf(s1, sizeof(s1), "cat > %s; echo 1 >> %s", tmp_path("state0"), tmp_path("order"));
	snprintf(s2, sizeof(s2), "cat > %s; echo 2 >> %s", tmp_path("state1"), tmp_path("order"));
	struct oci_hook hooks[2] = { sh_hook(s1), sh_hook(s2) };
	assert_int_equal(run_hooks(sigsafe, "createRuntime", hooks, 2, state, msg, sizeof(msg), NULL), 0);
	char *order = slurp(tmp_path("order"));
	assert_non_null(order);
	assert_string_equal(order, "1\n2\n");
	free(order);
	for (int i = 0; i < 2; i++) {
		char *got = slurp(tmp_path(i ? "state1" : "state0"));
		assert_non_null(got);
		assert_string_equal(got, state);
		free(got);
	}
}

static void test_order_and_state(void **st)
{
	(void)st;
	do_order_and_state(false);
}
static void test_sig_order_and_state(void **st)
{
	(void)st;
	do_order_and_state(true);
}

/* Run with fd 2 pointing at a file, return what the hooks wrote to stdout+stderr. */
static char *capture_stderr(bool sigsafe, struct oci_hook *hooks, size_t n, int *r)
{
	char msg[1024];
	const char *out = tmp_path("stderr");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	*r = run_hooks(sigsafe, "prestart", hooks, n, "{}", msg, sizeof(msg), NULL);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	return slurp(out);
}

static void do_env_and_args(bool sigsafe)
{
	int r;
	/* env exactly as given, nothing added; stdout lands in the caller's stderr */
	char *env[] = { "A=1", "B=two words", "PATH=/nowhere", NULL };
	char *args[] = { "env", NULL };
	struct oci_hook h = { .path = "/usr/bin/env", .args = args, .n_args = 1, .env = env, .n_env = 3 };
	char *got = capture_stderr(sigsafe, &h, 1, &r);
	assert_int_equal(r, 0);
	assert_string_equal(got, "A=1\nB=two words\nPATH=/nowhere\n");
	free(got);

	/* no env: an empty environment */
	struct oci_hook h2 = { .path = "/usr/bin/env", .args = args, .n_args = 1 };
	got = capture_stderr(sigsafe, &h2, 1, &r);
	assert_int_equal(r, 0);
	assert_string_equal(got, "");
	free(got);

	/* args are argv, argv[0] included */
	char *args3[] = { "sh", "-c", "echo \"$0|$1|$2\"; echo err >&2", "zero", "one two", NULL };
	struct oci_hook h3 = { .path = "/bin/sh", .args = args3, .n_args = 5 };
	got = capture_stderr(sigsafe, &h3, 1, &r);
	assert_int_equal(r, 0);
	assert_string_equal(got, "zero|one two|\nerr\n");
	free(got);

	/* no args: argv = {path} */
	const char *script = tmp_path("argv0.sh");
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$0 $#\"\n");
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	struct oci_hook h4 = { .path = (char *)script };
	got = capture_stderr(sigsafe, &h4, 1, &r);
	assert_int_equal(r, 0);
	char want[PATH_MAX + 8];
	snprintf(want, sizeof(want), "%s 0\n", script);
	assert_string_equal(got, want);
	free(got);

	/* the hook gets only fds 0, 1 and 2 */
	int leak = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
	assert_true(leak >= 3);
	char *args5[] = { "sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '", NULL };
	struct oci_hook h5 = { .path = "/bin/sh", .args = args5, .n_args = 3 };
	got = capture_stderr(sigsafe, &h5, 1, &r);
	close(leak);
	assert_int_equal(r, 0);
	/* 0 1 2 plus the fd ls used for the directory */
	assert_string_equal(got, "0 1 2 3 ");
	free(got);
}

static void test_env_and_args(void **st)
{
	(void)st;
	do_env_and_args(false);
}
static void test_sig_env_and_args(void **st)
{
	(void)st;
	do_env_and_args(true);
}

static void do_timeout(bool sigsafe)
{
	char msg[1024];
	ctr_error_code code = CTR_E_OK;
	char *args[] = { "sleep", "10", NULL };
	struct oci_hook h = { .path = "/bin/sleep", .args = args, .n_args = 2, .has_timeout = true, .timeout = 1 };
	int64_t t0 = mono_ms();
	int r = run_hooks(sigsafe, "createRuntime", &h, 1, "{}", msg, sizeof(msg), &code);
	int64_t dt = mono_ms() - t0;
	assert_int_equal(r, -ETIMEDOUT);
	assert_int_equal(code, CTR_E_HOOK);
	assert_string_equal(msg, "hooks.createRuntime[0] (/bin/sleep): timed out after 1s");
	assert_true(dt >= 950);
	assert_true(dt < 1500);

	/* a hook that finishes within its timeout is fine */
	char *args2[] = { "sleep", "0.1", NULL };
	struct oci_hook h2 = { .path = "/bin/sleep", .args = args2, .n_args = 2, .has_timeout = true, .timeout = 5 };
	assert_int_equal(run_hooks(sigsafe, "createRuntime", &h2, 1, "{}", msg, sizeof(msg), NULL), 0);
}

static void test_timeout(void **st)
{
	(void)st;
	do_timeout(false);
}
static void test_sig_timeout(void **st)
{
	(void)st;
	do_timeout(true);
}

static void do_failures(bool sigsafe)
{
	char msg[1024];
	ctr_error_code code = CTR_E_OK;
	char marker[PATH_MAX + 32];

	/* non-zero exit, and the list stops there */
	snprintf(marker, sizeof(marker), "touch %s", tmp_path("after-failure"));
	unlink(tmp_path("after-failure"));
	struct oci_hook hooks[3] = { sh_hook("true"), sh_hook("exit 3"), sh_hook(marker) };
	int r = run_hooks(sigsafe, "createRuntime", hooks, 3, "{}", msg, sizeof(msg), &code);
	assert_int_equal(r, -ECANCELED);
	assert_int_equal(code, CTR_E_HOOK);
	assert_string_equal(msg, "hooks.createRuntime[1] (/bin/sh): exited with status 3");
	assert_int_equal(access(tmp_path("after-failure"), F_OK), -1);

	/* killed by a signal */
	struct oci_hook k = sh_hook("kill -9 $$");
	r = run_hooks(sigsafe, "poststart", &k, 1, "{}", msg, sizeof(msg), &code);
	assert_int_equal(r, -ECANCELED);
	assert_string_equal(msg, "hooks.poststart[0] (/bin/sh): killed by signal 9");

	/* missing binary */
	struct oci_hook m = { .path = "/nonexistent/hook" };
	r = run_hooks(sigsafe, "prestart", &m, 1, "{}", msg, sizeof(msg), &code);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(code, CTR_E_HOOK);
	assert_string_equal(msg, "hooks.prestart[0] (/nonexistent/hook): exec: No such file or directory");

	/* not executable */
	const char *ne = tmp_path("notexec");
	FILE *f = fopen(ne, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(ne, 0644);
	struct oci_hook n = { .path = (char *)ne };
	r = run_hooks(sigsafe, "poststop", &n, 1, "{}", msg, sizeof(msg), &code);
	assert_int_equal(r, -EACCES);
	assert_non_null(strstr(msg, "): exec: Permission denied"));
}

static void test_failures(void **st)
{
	(void)st;
	do_failures(false);
}
static void test_sig_failures(void **st)
{
	(void)st;
	do_failures(true);
}

/* A state bigger than a pipe holds: read whole by one hook, ignored by another (no SIGPIPE death). */
static void do_big_state(bool sigsafe)
{
	char msg[1024], s1[PATH_MAX + 32];
	size_t len = 3 << 20;
	char *state = malloc(len + 1);
	assert_non_null(state);
	for (size_t i = 0; i < len; i++)
		state[i] = (char)('a' + i % 26);
	state[len] = '\0';
	snprintf(s1, sizeof(s1), "cat > %s", tmp_path("big"));
	struct oci_hook hooks[2] = { sh_hook(s1), sh_hook("exec <&-; sleep 0.2") };
	assert_int_equal(run_hooks(sigsafe, "createRuntime", hooks, 2, state, msg, sizeof(msg), NULL), 0);
	char *got = slurp(tmp_path("big"));
	assert_non_null(got);
	assert_int_equal(strlen(got), len);
	assert_memory_equal(got, state, len);
	free(got);
	/* a hook that exits at once without reading */
	struct oci_hook q = sh_hook("exit 0");
	assert_int_equal(run_hooks(sigsafe, "createRuntime", &q, 1, state, msg, sizeof(msg), NULL), 0);
	free(state);
}

static void test_big_state(void **st)
{
	(void)st;
	do_big_state(false);
}
static void test_sig_big_state(void **st)
{
	(void)st;
	do_big_state(true);
}

static void test_prepare(void **st)
{
	(void)st;
	struct ctr_sighook_list l;
	ctr_error *err = NULL;
	char *env[] = { "X=1", NULL };
	struct oci_hook hooks[2] = {
		{ .path = "/bin/true", .env = env, .n_env = 1, .has_timeout = true, .timeout = 3 },
		{ .path = "/bin/false" },
	};
	struct oci_hook_list hl = { .hooks = hooks, .n = 2 };
	assert_int_equal(ctr_sighooks_prepare("startContainer", &hl, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kind, "startContainer");
	assert_string_equal(l.hooks[0].argv[0], "/bin/true");
	assert_null(l.hooks[0].argv[1]);
	assert_string_equal(l.hooks[0].envp[0], "X=1");
	assert_null(l.hooks[0].envp[1]);
	assert_int_equal(l.hooks[0].timeout_ms, 3000);
	assert_int_equal(l.hooks[1].timeout_ms, -1);
	assert_null(l.hooks[1].envp[0]);
	ctr_sighooks_free(&l);
	ctr_sighooks_free(&l); /* idempotent */

	/* relative path refused */
	struct oci_hook bad = { .path = "bin/true" };
	struct oci_hook_list bl = { .hooks = &bad, .n = 1 };
	assert_int_equal(ctr_sighooks_prepare("prestart", &bl, &l, &err), -EINVAL);
	assert_non_null(strstr(ctr_error_message(err), "hooks.prestart[0].path"));
	ctr_error_free(err);

	/* an empty list runs nothing */
	char buf[16];
	struct oci_hook_list none = { 0 };
	assert_int_equal(ctr_sighooks_prepare("prestart", &none, &l, NULL), 0);
	assert_int_equal(ctr_sighooks_run(&l, "{}", 2, buf, sizeof(buf)), 0);
	ctr_sighooks_free(&l);
	assert_int_equal(ctr_hooks_run(NULL, "prestart", &none, "{}", NULL), 0);
}

/* clone3 refused with ENOSYS (old kernel, container seccomp profile): clone(CLONE_PIDFD) is used. */
static void test_no_clone3(void **st)
{
	(void)st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
		if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
		    seccomp_load(f) < 0)
			_exit(30);
		char s1[PATH_MAX + 32];
		snprintf(s1, sizeof(s1), "cat > %s", tmp_path("noclone3"));
		struct oci_hook h[2] = { sh_hook(s1), sh_hook("exit 4") };
		struct oci_hook_list l = { .hooks = h, .n = 2 };
		ctr_error *err = NULL;
		int r = ctr_hooks_run(NULL, "prestart", &l, "{\"id\":\"x\"}", &err);
		if (r != -ECANCELED || strcmp(ctr_error_message(err), "hooks.prestart[1] (/bin/sh): exited with status 4"))
			_exit(31);
		ctr_error_free(err);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char *got = slurp(tmp_path("noclone3"));
	assert_non_null(got);
	assert_string_equal(got, "{\"id\":\"x\"}");
	free(got);
}

/* Debug logging names each hook. */
static char logbuf[4096];
static void log_cb(void *ud, ctr_log_level level, const char *msg)
{
	(void)ud;
	(void)level;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static void test_logging(void **st)
{
	(void)st;
	ctr_context_options o;
	ctr_context_options_init(&o);
	o.log_fn = log_cb;
	o.log_level = CTR_LOG_DEBUG;
	ctr_context *ctx = NULL;
	assert_int_equal(ctr_context_new(&ctx, &o, NULL), 0);
	struct oci_hook h = sh_hook("exit 0");
	struct oci_hook_list l = { .hooks = &h, .n = 1 };
	logbuf[0] = '\0';
	assert_int_equal(ctr_hooks_run(ctx, "poststop", &l, "{}", NULL), 0);
	assert_non_null(strstr(logbuf, "hooks.poststop[0]: running /bin/sh"));
	assert_non_null(strstr(logbuf, "hooks.poststop[0] (/bin/sh): exited with status 0"));
	ctr_context_free(ctx);
}

/* A host that reaps every child in a SIGCHLD handler, or ignores SIGCHLD, does not steal the hook's status. */
static volatile sig_atomic_t reaped;
static void reap_all(int sig)
{
	(void)sig;
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped++;
	errno = saved;
}

/* PIDFD_INFO_EXIT (Linux 6.15) is what lets a reaped hook's status be known. */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

static void test_host_sigchld(void **st)
{
	(void)st;
	if (!kernel_at_least(6, 15))
		skip();
	char msg[1024];
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reap_all;
	sa.sa_flags = SA_RESTART;
	struct oci_hook h = sh_hook("sleep 0.1; exit 5");
	struct oci_hook_list l = { .hooks = &h, .n = 1 };

	/* the sig-safe path, in a child that has such a handler (inherited from a host, say) */
	struct ctr_sighook_list sl;
	assert_int_equal(ctr_sighooks_prepare("createContainer", &l, &sl, NULL), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char eb[512];
		if (sigaction(SIGCHLD, &sa, NULL) < 0)
			_exit(20);
		int r = ctr_sighooks_run(&sl, "{}", 2, eb, sizeof(eb));
		if (r != -ECANCELED || strcmp(eb, "hooks.createContainer[0] (/bin/sh): exited with status 5")) {
			fprintf(stderr, "sig-safe with a reaping handler: %d %s\n", r, eb);
			_exit(21);
		}
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ctr_sighooks_free(&sl);

	/* the normal path with the handler in this process, then with SIGCHLD ignored */
	assert_int_equal(sigaction(SIGCHLD, &sa, &old), 0);
	int r = run_hooks(false, "prestart", &h, 1, "{}", msg, sizeof(msg), NULL);
	assert_int_equal(r, -ECANCELED);
	assert_string_equal(msg, "hooks.prestart[0] (/bin/sh): exited with status 5");
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	assert_int_equal(sigaction(SIGCHLD, &sa, NULL), 0);
	r = run_hooks(false, "prestart", &h, 1, "{}", msg, sizeof(msg), NULL);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
	assert_int_equal(r, -ECANCELED);
	assert_string_equal(msg, "hooks.prestart[0] (/bin/sh): exited with status 5");
}

/* Several threads running hooks at once, some not reading a big state (SIGPIPE stays per thread). */
static void *thread_run(void *arg)
{
	(void)arg;
	static const size_t len = 2 << 20;
	char *state = malloc(len + 1);
	if (!state)
		return (void *)1;
	memset(state, 'x', len);
	state[len] = '\0';
	struct oci_hook h[2] = { sh_hook("exit 0"), sh_hook("cat >/dev/null") };
	struct oci_hook_list l = { .hooks = h, .n = 2 };
	intptr_t bad = 0;
	for (int i = 0; i < 5; i++)
		if (ctr_hooks_run(NULL, "poststart", &l, state, NULL) < 0)
			bad++;
	free(state);
	return (void *)bad;
}

static void test_threads(void **st)
{
	(void)st;
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_run, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
}

/* A caller without fds 0-2 (a daemon that closed them): the hook still gets its stdin and a /dev/null stdout. */
static void test_closed_stdio(void **st)
{
	(void)st;
	char s1[PATH_MAX + 64];
	snprintf(s1, sizeof(s1), "cat > %s; echo out; echo err >&2", tmp_path("closed-stdio"));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(0);
		close(1);
		close(2);
		struct oci_hook h = sh_hook(s1);
		struct oci_hook_list l = { .hooks = &h, .n = 1 };
		/* the pipes now land on fds 0-2 in this process */
		_exit(ctr_hooks_run(NULL, "prestart", &l, "{\"s\":1}", NULL) == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char *got = slurp(tmp_path("closed-stdio"));
	assert_non_null(got);
	assert_string_equal(got, "{\"s\":1}");
	free(got);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL); /* a stray SIGPIPE must kill the test, not hide */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_order_and_state),
		cmocka_unit_test(test_sig_order_and_state),
		cmocka_unit_test(test_env_and_args),
		cmocka_unit_test(test_sig_env_and_args),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_sig_timeout),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_sig_failures),
		cmocka_unit_test(test_big_state),
		cmocka_unit_test(test_sig_big_state),
		cmocka_unit_test(test_no_clone3),
		cmocka_unit_test(test_logging),
		cmocka_unit_test(test_host_sigchld),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_closed_stdio),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program as a binary built against an earlier release is: old-abi.sh
 * compiles it with that release's headers (git show) and links it against a
 * stub of that release's symbol node, then runs it on the library of this
 * tree.  Every options struct and the port parser are used with guard bytes
 * behind them: the library must write exactly the caller's struct (its size
 * as the old headers had it) and use its own defaults for what the caller
 * does not know.  With root and a bundle (argv[2]) it also runs a container
 * through ctr_run() and an exec, with the old create and exec options.
 *
 * Usage: old-abi STATE_ROOT [BUNDLE]   (TAP)
 * It uses only what the first release (0.1) declares.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctr/ctr.h>

#include "tap.h"

#define GUARD 0xA5
#define SLACK 64

static int intact(const unsigned char *g)
{
	for (size_t i = 0; i < SLACK; i++)
		if (g[i] != GUARD)
			return 0;
	return 1;
}

/* TYPE s.o followed by SLACK guard bytes; INIT(&s.o); the size and the guard checked. */
#define GUARDED(type, var) \
	struct {           \
		type o;    \
		unsigned char guard[SLACK]; \
	} var;             \
	memset(&var, GUARD, sizeof(var))
#define CHECK_INIT(var, name)                                                                              \
	do {                                                                                               \
		ok(var.o.size == sizeof(var.o), "%s: size is the caller's sizeof (%zu), got %zu", name,   \
		   sizeof(var.o), var.o.size);                                                             \
		ok(intact(var.guard), "%s: nothing written beyond the caller's struct", name);             \
	} while (0)

static int discover(void *data, const char *host_root, ctr_accel_discovery *disc, ctr_error **err)
{
	static const char *const nodes[] = {"/dev/null", NULL};
	GUARDED(ctr_accel_device_info, d);
	(void)data;
	(void)host_root;
	ctr_accel_device_info_init(&d.o);
	CHECK_INIT(d, "ctr_accel_device_info_init");
	d.o.kind = "example.com/thing";
	d.o.name = "0";
	d.o.nodes = nodes;
	return ctr_accel_discovery_add(disc, &d.o, err);
}

static int edits(void *data, const char *host_root, const char *request, ctr_container_edits *e, ctr_error **err)
{
	(void)data;
	(void)host_root;
	(void)request;
	(void)e;
	(void)err;
	return 0;
}

/* ok when r is 0; the error's message as a diagnostic, and the error freed */
static void report(const char *what, int r, ctr_error **err)
{
	ok(r == 0, "%s", what);
	if (r < 0)
		printf("#   %s: %s\n", what, ctr_error_message(*err));
	ctr_error_free(*err);
	*err = NULL;
}

int main(int argc, char **argv)
{
	ctr_error *err = NULL;
	ctr_context *ctx = NULL;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: old-abi STATE_ROOT [BUNDLE]\n");
		return 2;
	}
	printf("# built against libctr %d.%d headers, running on %s\n", CTR_VERSION_MAJOR, CTR_VERSION_MINOR,
	       ctr_version());

	GUARDED(ctr_context_options, co);
	ctr_context_options_init(&co.o);
	CHECK_INIT(co, "ctr_context_options_init");
	co.o.state_root = argv[1];
	co.o.userdata = &co;
	r = ctr_context_new(&ctx, &co.o, &err);
	report("ctr_context_new with the old options", r, &err);
	if (r < 0)
		return 1;
	ok(ctr_context_userdata(ctx) == &co, "ctr_context_userdata is the old struct's last field");

	GUARDED(ctr_port_mapping, pm);
	r = ctr_port_mapping_parse("[::1]:8080:80/udp", 17, &pm.o, &err);
	report("ctr_port_mapping_parse", r, &err);
	CHECK_INIT(pm, "ctr_port_mapping_parse");
	ok(!strcmp(pm.o.host_ip, "::1") && pm.o.host_port == 8080 && pm.o.container_port == 80 &&
		   pm.o.protocol == CTR_PORT_UDP,
	   "ctr_port_mapping_parse: the fields");

	GUARDED(ctr_net_options, no);
	ctr_net_options_init(&no.o);
	CHECK_INIT(no, "ctr_net_options_init");
	static const char *const publish[] = {"8080:80", NULL};
	no.o.publish = publish;
	no.o.hostname = "old";
	ctr_net_request *req = NULL;
	r = ctr_net_request_new(&req, "old-abi-net", &no.o, &err);
	report("ctr_net_request_new with the old options", r, &err);
	ctr_net_request_free(req);

	GUARDED(ctr_network_options, nwo);
	ctr_network_options_init(&nwo.o);
	CHECK_INIT(nwo, "ctr_network_options_init");

	GUARDED(ctr_image_options, io);
	ctr_image_options_init(&io.o);
	CHECK_INIT(io, "ctr_image_options_init");
	GUARDED(ctr_image_spec_options, iso);
	ctr_image_spec_options_init(&iso.o);
	CHECK_INIT(iso, "ctr_image_spec_options_init");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/.old-abi-unpack", argv[1]);
	r = ctr_image_unpack(ctx, NULL, "oci:/nonexistent/old-abi", dir, &io.o, &err);
	ok(r == -ENOENT, "ctr_image_unpack with the old options reaches the source (%d: %s)", r,
	   ctr_error_message(err));
	ctr_error_free(err);
	err = NULL;
	rmdir(dir);

	GUARDED(ctr_accel_registry_options, ro);
	ctr_accel_registry_options_init(&ro.o);
	CHECK_INIT(ro, "ctr_accel_registry_options_init");
	static const char *const no_dirs[] = {NULL};
	ro.o.host_root = "/nonexistent";
	ro.o.cdi_dirs = no_dirs;
	ro.o.no_builtin = 1;
	ctr_accel_registry *reg = NULL;
	r = ctr_accel_registry_new(ctx, &reg, &ro.o, &err);
	report("ctr_accel_registry_new with the old options", r, &err);
	if (r == 0) {
		ctr_accel_backend_ops ops;
		memset(&ops, 0, sizeof(ops));
		ops.abi_version = CTR_ACCEL_BACKEND_ABI;
		ops.size = sizeof(ops);
		ops.name = "old-abi";
		ops.discover = discover;
		ops.edits = edits;
		r = ctr_accel_registry_add_backend(reg, &ops, NULL, &err);
		report("a backend whose discovery fills an old ctr_accel_device_info", r, &err);
		ok(ctr_accel_registry_device_count(reg) == 1, "its device is listed");
		ctr_accel_registry_free(reg);
	}

	GUARDED(ctr_create_options, cr);
	ctr_create_options_init(&cr.o);
	CHECK_INIT(cr, "ctr_create_options_init");
	ok(cr.o.stdio_fds[0] == -1 && cr.o.stdio_fds[1] == -1 && cr.o.stdio_fds[2] == -1,
	   "ctr_create_options_init: stdio_fds -1");
	GUARDED(ctr_exec_options, ex);
	ctr_exec_options_init(&ex.o);
	CHECK_INIT(ex, "ctr_exec_options_init");
	ok(ex.o.tty == -1 && ex.o.console_fd == -1 && ex.o.stdio_fds[1] == -1,
	   "ctr_exec_options_init: tty, console_fd and stdio_fds -1");

	if (argc > 2 && geteuid() == 0) {
		char path[4096];
		ctr_spec *spec = NULL;
		ctr_container *c = NULL;
		int p[2], status = -1;
		snprintf(path, sizeof(path), "%s/config.json", argv[2]);
		r = ctr_spec_load_file(&spec, path, &err);
		report("ctr_spec_load_file", r, &err);
		static const char *const sh[] = {"sh", "-c", "echo run-out; exit 7", NULL};
		if (r == 0)
			r = ctr_spec_set_args(spec, sh, &err);
		if (r == 0 && pipe2(p, O_CLOEXEC) == 0) {
			cr.o.bundle = argv[2];
			cr.o.stdio_fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			cr.o.stdio_fds[1] = p[1];
			r = ctr_run(ctx, "old-abi-run", spec, &cr.o, &status, &err);
			close(p[1]);
			close(cr.o.stdio_fds[0]);
			char buf[64] = "";
			ssize_t k = read(p[0], buf, sizeof(buf) - 1);
			buf[k > 0 ? k : 0] = '\0';
			close(p[0]);
			report("ctr_run with the old create options", r, &err);
			ok(status == 7 && !strcmp(buf, "run-out\n"), "ctr_run: exit status 7 (%d), output 'run-out' ('%.*s')",
			   status, (int)strcspn(buf, "\n"), buf);
			ok(intact(cr.guard), "ctr_run wrote nothing beyond the old create options");
		}
		static const char *const sleeper[] = {"sleep", "60", NULL};
		if (spec) {
			ctr_create_options_init(&cr.o);
			cr.o.bundle = argv[2];
			cr.o.stdio_fds[0] = cr.o.stdio_fds[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
			r = ctr_spec_set_args(spec, sleeper, &err);
			if (r == 0)
				r = ctr_container_create(ctx, &c, "old-abi-exec", spec, &cr.o, &err);
			close(cr.o.stdio_fds[0]);
			if (r == 0)
				r = ctr_container_start(c, &err);
			report("create and start with the old create options", r, &err);
		}
		if (r == 0 && pipe2(p, O_CLOEXEC) == 0) {
			static const char *const args[] = {"sh", "-c", "echo exec-out; exit 5", NULL};
			int pidfd = -1, st = -1;
			pid_t pid = 0;
			ex.o.args = args;
			ex.o.stdio_fds[1] = p[1];
			r = ctr_container_exec(c, &ex.o, &pid, &pidfd, &err);
			close(p[1]);
			report("ctr_container_exec with the old exec options", r, &err);
			char buf[64] = "";
			ssize_t k = read(p[0], buf, sizeof(buf) - 1);
			buf[k > 0 ? k : 0] = '\0';
			close(p[0]);
			if (r == 0) {
				r = ctr_process_wait(pidfd, &st, &err);
				close(pidfd);
			}
			ok(r == 0 && st == 5 && !strcmp(buf, "exec-out\n"), "exec: exit status 5 (%d), output 'exec-out' ('%.*s')",
			   st, (int)strcspn(buf, "\n"), buf);
			ok(ex.o.console_fd == -1, "exec without a tty left console_fd -1");
			ok(intact(ex.guard), "exec wrote nothing beyond the old exec options");
		}
		if (c) {
			r = ctr_container_delete(c, CTR_DELETE_FORCE, &err);
			report("delete", r, &err);
			ctr_container_free(c);
		}
		ctr_spec_free(spec);
	} else {
		printf("# no bundle or not root: containers not run\n");
	}
	ctr_error_free(err);
	ctr_context_free(ctx);
	return tap_done();
}

/*
 * epoll.c: run several containers from one epoll loop, no threads.
 *
 *   ./epoll <bundle> <state-root> [N]      (as root)
 *
 * Each container runs `sh -c 'sleep 0.N; exit N'`; the loop waits on their
 * pidfds (readable once the init exits) and collects each exit code with a
 * non-blocking wait.  SIGCHLD is ignored here, as many daemons do: libctr
 * reads exit statuses from the pidfd, so that is fine (Linux 6.15 keeps
 * them there; before that, a wait says the status is gone).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <ctr/ctr.h>

int main(int argc, char **argv)
{
	const char *bundle = argc > 1 ? argv[1] : ".", *root = argc > 2 ? argv[2] : NULL;
	int n = argc > 3 ? atoi(argv[3]) : 5, failed = 0, running = 0;
	char path[4096], id[64], script[64];
	ctr_context_options co;
	ctr_context *ctx = NULL;
	ctr_spec *spec = NULL;
	ctr_error *err = NULL;
	ctr_container **c = calloc((size_t)n, sizeof(*c));

	signal(SIGCHLD, SIG_IGN);
	ctr_context_options_init(&co);
	co.state_root = root;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!c || ep < 0 || ctr_context_new(&ctx, &co, &err) < 0 || ctr_spec_load_file(&spec, path, &err) < 0) {
		fprintf(stderr, "epoll: %s\n", ctr_error_message(err));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const char *args[] = {"sh", "-c", script, NULL};
		ctr_create_options o;
		ctr_create_options_init(&o);
		o.bundle = bundle;
		snprintf(id, sizeof(id), "epoll-example-%d", i);
		snprintf(script, sizeof(script), "sleep 0.%d; exit %d", i % 10, i);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (ctr_spec_set_args(spec, args, &err) < 0 || ctr_container_create(ctx, &c[i], id, spec, &o, &err) < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, ctr_container_pidfd(c[i]), &ev) < 0 || ctr_container_start(c[i], &err) < 0) {
			fprintf(stderr, "epoll: %s: %s\n", id, ctr_error_message(err));
			return 1;
		}
		running++;
	}
	while (running > 0) {
		struct epoll_event evs[16];
		int k = epoll_wait(ep, evs, 16, -1);
		for (int j = 0; j < k; j++) {
			int i = (int)evs[j].data.u32, code;
			epoll_ctl(ep, EPOLL_CTL_DEL, ctr_container_pidfd(c[i]), NULL);
			if (ctr_container_wait(c[i], &code, 0, &err) < 0 || ctr_container_delete(c[i], 0, &err) < 0) {
				fprintf(stderr, "epoll: %s\n", ctr_error_message(err));
				failed = 1;
			} else {
				printf("container %d exited with %d\n", i, code);
				failed |= code != i;
			}
			ctr_container_free(c[i]);
			running--;
		}
	}
	ctr_error_free(err);
	ctr_spec_free(spec);
	ctr_context_free(ctx);
	close(ep);
	free(c);
	return failed;
}

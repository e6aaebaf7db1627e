/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn.c - creating helper processes.
 *
 * posix_spawn() does the fork and exec (glibc uses clone(CLONE_VFORK), so
 * no copy of the broker's memory runs anything but the exec, and an exec
 * failure comes back as an error instead of a mystery exit). Its file
 * actions give the child exactly the fds it is meant to have (a helper:
 * 0-3; QEMU: 0-2 and its monitor) and close everything above.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "spawn.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MAX_ENV 16

/* Refuse to run a helper that someone other than root or us could have replaced. */
static int check_binary(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (path[0] != '/') {
		snprintf(err, errlen, "%s: helper path is not absolute", path);
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
		snprintf(err, errlen, "%s: not an executable file", path);
		return -EACCES;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "%s: writable by others (mode %o, owner %u): refusing to run it",
			 path, st.st_mode & 07777, st.st_uid);
		return -EPERM;
	}
	return 0;
}

static size_t build_env(const char *const *allow, char **envp, size_t max)
{
	size_t n = 0;

	for (const char *const *a = allow; a && *a && n + 1 < max; a++) {
		size_t len = strlen(*a);

		for (char **e = environ; *e; e++)
			if (strncmp(*e, *a, len) == 0 && (*e)[len] == '=') {
				envp[n++] = *e;
				break;
			}
	}
	envp[n] = NULL;
	return n;
}

#define MAX_MAP 16

/*
 * The file actions dup onto the child's fd numbers in order; a source fd
 * that itself sat in that range could be overwritten before its turn.
 * Such sources are first copied above @top (the copies close on exec).
 */
static int lift_sources(struct ferry_spawn_fd *map, size_t n, int top, int *lifted)
{
	for (size_t i = 0; i < n; i++) {
		lifted[i] = -1;
		if (map[i].parent_fd > top)
			continue;
		lifted[i] = fcntl(map[i].parent_fd, F_DUPFD_CLOEXEC, top + 1);
		if (lifted[i] < 0)
			return -errno;
		map[i].parent_fd = lifted[i];
	}
	return 0;
}

static int file_actions(posix_spawn_file_actions_t *fa, const struct ferry_spawn_fd *map,
			size_t n, int top)
{
	int r;

	if ((r = posix_spawn_file_actions_init(fa)) != 0)
		return -r;
	for (size_t i = 0; i < n; i++)
		if ((r = posix_spawn_file_actions_adddup2(fa, map[i].parent_fd, map[i].child_fd)) != 0)
			goto fail;
	if ((r = posix_spawn_file_actions_addclosefrom_np(fa, top + 1)) != 0)
		goto fail;
	return 0;
fail:
	posix_spawn_file_actions_destroy(fa);
	return -r;
}

static int spawn_attrs(posix_spawnattr_t *at)
{
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	if ((r = posix_spawnattr_init(at)) != 0)
		return -r;
	/* A child starts with default dispositions and nothing blocked. */
	if ((r = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (r = posix_spawnattr_setsigmask(at, &none)) != 0 ||
	    (r = posix_spawnattr_setsigdefault(at, &all)) != 0) {
		posix_spawnattr_destroy(at);
		return -r;
	}
	return 0;
}

/* Complete @in with /dev/null on any of 0-2 it leaves out; return the highest child fd. */
static int full_map(const struct ferry_spawn_fd *in, size_t nin, int devnull,
		    struct ferry_spawn_fd *map, size_t *n)
{
	int top = 2;

	*n = 0;
	for (int fd = 0; fd <= 2; fd++) {
		bool given = false;

		for (size_t i = 0; i < nin; i++)
			given |= in[i].child_fd == fd;
		if (!given)
			map[(*n)++] = (struct ferry_spawn_fd){ devnull, fd };
	}
	for (size_t i = 0; i < nin; i++) {
		map[(*n)++] = in[i];
		if (in[i].child_fd > top)
			top = in[i].child_fd;
	}
	return top;
}

static int do_spawn(const struct ferry_spawn_req *req, const struct ferry_spawn_fd *in,
		    size_t nin, pid_t *pid)
{
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct ferry_spawn_fd map[MAX_MAP];
	int lifted[MAX_MAP];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *envp[MAX_ENV];
	size_t n;
	int top, r;

	if (devnull < 0)
		return -errno;
	if (nin + 3 > MAX_MAP)
		return -E2BIG;
	top = full_map(in, nin, devnull, map, &n);
	build_env(req->env_allow, envp, MAX_ENV);
	r = lift_sources(map, n, top, lifted);
	if (r == 0)
		r = file_actions(&fa, map, n, top);
	if (r == 0 && (r = spawn_attrs(&at)) < 0)
		posix_spawn_file_actions_destroy(&fa);
	if (r == 0) {
		r = -posix_spawn(pid, req->path, &fa, &at, req->argv, envp);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&at);
	}
	for (size_t i = 0; i < n; i++)
		if (lifted[i] >= 0)
			close(lifted[i]);
	return r;
}

int ferry_spawn_process(const struct ferry_spawn_req *req, const struct ferry_spawn_fd *map,
			size_t nmap, struct ferry_child *out, char *err, size_t errlen)
{
	pid_t pid;
	int r;

	out->pid = -1;
	out->pidfd = out->chan_fd = out->err_fd = -1;
	r = check_binary(req->path, err, errlen);
	if (r < 0)
		return r;
	r = do_spawn(req, map, nmap, &pid);
	if (r < 0) {
		snprintf(err, errlen, "spawn %s: %s", req->path, strerror(-r));
		return r;
	}
	out->pid = pid;
	out->pidfd = pidfd_open(pid, 0);
	if (out->pidfd < 0) {
		r = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		out->pid = -1;
		snprintf(err, errlen, "pidfd for %s: %s", req->path, strerror(-r));
		return r;
	}
	fcntl(out->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int ferry_spawn(const struct ferry_spawn_req *req, struct ferry_child *out,
		char *err, size_t errlen)
{
	_cleanup_close_ int mine = -1, theirs = -1, errr = -1, errw = -1;
	struct ferry_spawn_fd map[2];
	int sv[2], ep[2];
	int r;

	out->pid = -1;
	out->pidfd = out->chan_fd = out->err_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "spawn %s: socketpair: %s", req->path, strerror(errno));
		return -errno;
	}
	mine = sv[0];
	theirs = sv[1];
	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "spawn %s: pipe: %s", req->path, strerror(errno));
		return -errno;
	}
	errr = ep[0];
	errw = ep[1];
	map[0] = (struct ferry_spawn_fd){ errw, 2 };
	map[1] = (struct ferry_spawn_fd){ theirs, FERRY_CHANNEL_FD };
	r = ferry_spawn_process(req, map, 2, out, err, errlen);
	if (r < 0)
		return r;
	out->chan_fd = steal_fd(&mine);
	out->err_fd = steal_fd(&errr);
	return 0;
}

void ferry_exit_describe(const siginfo_t *si, char *buf, size_t len)
{
	const char *abbrev;

	switch (si->si_code) {
	case CLD_EXITED:
		snprintf(buf, len, "exited with status %d", si->si_status);
		return;
	case CLD_KILLED:
	case CLD_DUMPED:
		if (si->si_status == SIGSYS) {
			snprintf(buf, len, "killed by seccomp (SIGSYS)");
			return;
		}
		abbrev = sigabbrev_np(si->si_status);
		snprintf(buf, len, "killed by signal %d (SIG%s)%s", si->si_status,
			 abbrev ? abbrev : "?", si->si_code == CLD_DUMPED ? ", core dumped" : "");
		return;
	default:
		snprintf(buf, len, "ended with wait code %d, status %d", si->si_code, si->si_status);
	}
}

int ferry_child_reap(struct ferry_child *c, char *desc, size_t desclen)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG) < 0) {
		/*
		 * Not our child (a QEMU found again after a broker restart): its
		 * pidfd turns readable when it exits, but its status is its
		 * parent's to read.
		 */
		if (errno == ECHILD) {
			snprintf(desc, desclen, "exited (not this broker's child: no status)");
			return 1;
		}
		return -errno;
	}
	if (si.si_pid == 0)
		return 0;
	ferry_exit_describe(&si, desc, desclen);
	return 1;
}

void ferry_child_close(struct ferry_child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->chan_fd >= 0)
		close(c->chan_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->pidfd = c->chan_fd = c->err_fd = -1;
}

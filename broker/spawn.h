/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn.h - the one place the broker creates processes.
 */
#ifndef FERRY_SPAWN_H
#define FERRY_SPAWN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct ferry_spawn_req {
	const char *path;		/* absolute path of the executable */
	char *const *argv;
	const char *const *env_allow;	/* names copied from our environment; NULL-terminated */
};

struct ferry_child {
	pid_t pid;
	int pidfd;	/* readable once the child has exited */
	int chan_fd;	/* our end of the seqpacket channel (child's fd 3) */
	int err_fd;	/* read end of the child's stderr */
};

/*
 * ferry_spawn - start @req->path with a channel on fd 3, /dev/null on 0 and
 * 1, a pipe on 2, no other fd, default signals and an environment of only
 * the allowed names. Return 0 or -errno with @err saying what failed.
 */
int ferry_spawn(const struct ferry_spawn_req *req, struct ferry_child *out,
		char *err, size_t errlen);

/*
 * ferry_child_reap - collect the child's exit status if it has exited.
 * For a process that is not our child, call it only once its pidfd is
 * readable: it then says the process exited, without a status.
 * Return 1 and fill @desc ("exited with status 3", "killed by seccomp
 * (SIGSYS)"), 0 if it still runs, or -errno.
 */
int ferry_child_reap(struct ferry_child *c, char *desc, size_t desclen);

/* Describe a waitid() result in words. */
void ferry_exit_describe(const siginfo_t *si, char *buf, size_t len);

/* One fd the child gets: @parent_fd becomes the child's @child_fd. */
struct ferry_spawn_fd {
	int parent_fd;
	int child_fd;
};

/*
 * ferry_spawn_process - start @path with exactly the fds in @map (0, 1 and
 * 2 among them, or they are /dev/null) and nothing above the highest one,
 * default signals and only the allowed environment; for processes that are
 * not helpers (QEMU). @out gets pid and pidfd; its other fds are -1.
 * Return 0 or -errno with @err set.
 */
int ferry_spawn_process(const struct ferry_spawn_req *req, const struct ferry_spawn_fd *map,
			size_t nmap, struct ferry_child *out, char *err, size_t errlen);

/* Close the child's fds (it is not killed or reaped). */
void ferry_child_close(struct ferry_child *c);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common.h - what every helper shares: argument parsing, the sandbox call,
 * the hello, the requests every helper answers and the message loop.
 */
#ifndef FERRY_HELPER_COMMON_H
#define FERRY_HELPER_COMMON_H

#include "channel.h"
#include "sandbox.h"

/* Exit statuses a broker can tell apart. */
#define FERRY_EXIT_USAGE 2
#define FERRY_EXIT_SANDBOX 3
#define FERRY_EXIT_PROTOCOL 4

/* The syscalls every helper's loop needs; each helper adds its own. */
extern const struct ferry_syscall ferry_helper_base_syscalls[];

struct ferry_helper_def {
	const struct ferry_profile *profile;
	const struct ferry_msg_spec *specs;	/* the helper's own messages */
	size_t nspecs;
	void *ctx;
	/*
	 * Optional: runs once before the sandbox, with the privileges and
	 * the view of the filesystem the helper was started with, to learn
	 * what it could no longer look up under its filter (the host's
	 * SELinux state, say). Nothing from the broker has arrived yet, so
	 * it reads no untrusted input; fds it leaves open are closed by the
	 * sandbox's first stages. Returns 0, or -errno with @err saying what
	 * failed: the helper then exits with FERRY_EXIT_SANDBOX.
	 */
	int (*prepare)(void *ctx, char *err, size_t errlen);
	/*
	 * The helper's own main loop, run after the hello when it waits on
	 * more than the channel; NULL runs ferry_helper_serve(). Returns the
	 * exit status.
	 */
	int (*run)(struct ferry_chan *chan, void *ctx);
};

/*
 * ferry_helper_serve - the default main loop: answer messages, blocking,
 * until the broker closes the channel. Returns 0; dies on a protocol failure.
 */
int ferry_helper_serve(struct ferry_chan *chan, void *ctx);

/*
 * ferry_helper_main - run a helper: parse --user, run its prepare hook,
 * apply the sandbox, say hello on fd 3, then run its main loop (by
 * default: answer messages until the broker closes the channel).
 * Returns the process exit status; dies on a sandbox or protocol failure.
 */
int ferry_helper_main(int argc, char **argv, const struct ferry_helper_def *def);

/*
 * ferry_helper_close_fd - close *@fd (if open) and set it to -1; a socket
 * is first shut down with @how (SHUT_WR: its peer sees EOF after the last
 * byte; SHUT_RDWR: a cancel), unless @how is negative.
 */
void ferry_helper_close_fd(int *fd, bool sock, int how);

#endif

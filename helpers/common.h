/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common.h - what every helper shares: argument parsing, the sandbox call,
 * the hello, the requests every helper answers and the message loop.
 */
#ifndef FERRY_HELPER_COMMON_H
#define FERRY_HELPER_COMMON_H

#include "channel.h"
#include "sandbox.h"

/* The syscalls every helper's loop needs; each helper adds its own. */
extern const struct ferry_syscall ferry_helper_base_syscalls[];

struct ferry_helper_def {
	const struct ferry_profile *profile;
	const struct ferry_msg_spec *specs;	/* the helper's own messages */
	size_t nspecs;
	void *ctx;
};

/*
 * ferry_helper_main - run a helper: parse --user, apply the sandbox, say
 * hello on fd 3, then answer messages until the broker closes the channel.
 * Returns the process exit status; dies on a sandbox or protocol failure.
 */
int ferry_helper_main(int argc, char **argv, const struct ferry_helper_def *def);

#endif

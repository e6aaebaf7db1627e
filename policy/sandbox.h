/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sandbox.h - a helper's sandbox profile and the one sequence that applies it.
 */
#ifndef FERRY_SANDBOX_H
#define FERRY_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* The channel to the broker is always this fd in a helper. */
#define FERRY_CHANNEL_FD 3

/*
 * One allowed syscall and why. @errno_ret non-zero makes the filter answer
 * that errno instead of allowing the call: for syscalls libc merely probes.
 */
struct ferry_syscall {
	const char *name;
	const char *why;
	int errno_ret;
};

struct ferry_cap {
	int cap;
	const char *why;
};

/* RLIM_INFINITY in a field means "leave the inherited limit alone". */
struct ferry_profile {
	const char *name;			/* "ferry-monitor" */
	const struct ferry_cap *keep_caps;	/* ends with { -1 } */
	uint32_t namespaces;			/* FERRY_NS_* to try */
	rlim_t nofile, nproc, fsize;
	const struct ferry_syscall *const *syscalls;	/* lists, NULL-terminated */
};

/* Who a helper becomes when started as root. */
struct ferry_sandbox_ids {
	bool set;
	uint32_t uid, gid;
};

struct ferry_sandbox_report {
	uint32_t namespaces;		/* FERRY_NS_* entered */
	bool empty_root;		/* the mount namespace's root is an empty tmpfs */
	bool bounding_cleared;		/* bounding set holds the keep-set only */
	unsigned filter_syscalls;	/* syscalls the loaded filter allows */
	char notes[256];		/* what best-effort stages could not do */
};

/*
 * ferry_sandbox_apply - run the privilege-drop sequence on the calling
 * process. Must run before the first message is read, while the process
 * is single-threaded.
 * Return 0, or -errno with @err naming the stage that failed; the caller
 * must then exit.
 */
int ferry_sandbox_apply(const struct ferry_profile *p, const struct ferry_sandbox_ids *ids,
			struct ferry_sandbox_report *rep, char *err, size_t errlen);

/* Count the allowed (non-errno) entries of a profile, duplicates refused: -EEXIST. */
int ferry_profile_count_syscalls(const struct ferry_profile *p, const char **dup);

#endif

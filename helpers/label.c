/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-label - sets the owner and SELinux context of fds the broker hands
 * it, on the fd itself, never through a path. The only helper that keeps
 * capabilities, and so the one with the shortest list of syscalls.
 */
#include <linux/capability.h>
#include <sys/resource.h>

#include "common.h"
#include "wire.h"

/* #syscalls beyond the common loop's; grows with fchown and fsetxattr. */
static const struct ferry_syscall label_syscalls[] = {
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const label_lists[] = {
	ferry_helper_base_syscalls, label_syscalls, NULL,
};

static const struct ferry_cap label_caps[] = {
	{ CAP_CHOWN, "give an fd's file to the user QEMU runs as" },
	{ CAP_FOWNER, "set security.selinux on a file this uid does not own" },
	{ -1, NULL },
};

static const struct ferry_profile label_profile = {
	.name = "ferry-label",
	.keep_caps = label_caps,
	/*
	 * No namespaces: in a new user namespace its capabilities would count
	 * only there, where the owners of the host's files are unmapped.
	 */
	.namespaces = 0,
	.nofile = 16,		/* channel and the fds being labelled */
	.nproc = 0,		/* never forks */
	.fsize = 0,		/* writes no file data */
	.syscalls = label_lists,
};

int main(int argc, char **argv)
{
	const struct ferry_helper_def def = { .profile = &label_profile };

	return ferry_helper_main(argc, argv, &def);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-compress - deflates a migration stream into a save file or a
 * tunnel, or inflates one back. A save file may have been tampered with:
 * its compressed body is inflated here, in a jail, never in the broker.
 */
#include <sys/resource.h>

#include "common.h"
#include "wire.h"

/* #syscalls beyond the common loop's; grows with the zlib stream pump. */
static const struct ferry_syscall compress_syscalls[] = {
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const compress_lists[] = {
	ferry_helper_base_syscalls, compress_syscalls, NULL,
};

static const struct ferry_profile compress_profile = {
	.name = "ferry-compress",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	.nofile = 16,		/* channel, input fd, output fd */
	.nproc = 0,		/* never forks */
	.fsize = RLIM_INFINITY,	/* writes save files of any size, through an fd */
	.syscalls = compress_lists,
};

int main(int argc, char **argv)
{
	const struct ferry_helper_def def = { .profile = &compress_profile };

	return ferry_helper_main(argc, argv, &def);
}

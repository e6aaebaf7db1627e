/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-tunnel - pumps migration data between an fd to QEMU and an fd to
 * the peer host. It copies bytes it never interprets: the network and the
 * peer are untrusted, and nothing here parses what they send.
 */
#include <sys/resource.h>

#include "common.h"
#include "wire.h"

/* #syscalls beyond the common loop's; grows with the data pump. */
static const struct ferry_syscall tunnel_syscalls[] = {
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const tunnel_lists[] = {
	ferry_helper_base_syscalls, tunnel_syscalls, NULL,
};

static const struct ferry_profile tunnel_profile = {
	.name = "ferry-tunnel",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	.nofile = 32,		/* channel, and a QEMU fd and a peer fd per stream */
	.nproc = 0,		/* never forks */
	.fsize = 0,		/* writes no files */
	.syscalls = tunnel_lists,
};

int main(int argc, char **argv)
{
	const struct ferry_helper_def def = { .profile = &tunnel_profile };

	return ferry_helper_main(argc, argv, &def);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-monitor - the broker's only contact with a domain's QMP monitor.
 * QEMU may be controlled by its guest, so QMP text is parsed here, in a
 * jail, never in the broker. One monitor helper runs per running domain.
 */
#include <sys/resource.h>

#include "common.h"
#include "wire.h"

/* #syscalls beyond the common loop's; grows with the QMP client. */
static const struct ferry_syscall monitor_syscalls[] = {
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const monitor_lists[] = {
	ferry_helper_base_syscalls, monitor_syscalls, NULL,
};

static const struct ferry_profile monitor_profile = {
	.name = "ferry-monitor",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	.nofile = 16,		/* channel, QMP socket, a few fds in transit */
	.nproc = 0,		/* never forks */
	.fsize = 0,		/* writes no files */
	.syscalls = monitor_lists,
};

int main(int argc, char **argv)
{
	const struct ferry_helper_def def = { .profile = &monitor_profile };

	return ferry_helper_main(argc, argv, &def);
}

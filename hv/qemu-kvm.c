/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-kvm.c - whether this host can run a guest under KVM: the device
 * opens for the caller, and speaks the one stable KVM API there is.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "qemu-argv.h"
#include "util.h"

bool ferry_qemu_kvm_usable(void)
{
	_cleanup_close_ int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	/* KVM_API_VERSION has been 12 since Linux 2.6.22; anything else is not KVM. */
	return fd >= 0 && ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * abi.h - whether a destination definition may take over a running guest.
 *
 * A live migration moves a guest's memory and device state into a QEMU
 * started from another definition: one given for the destination host,
 * where paths and listen addresses may differ. Everything the guest can
 * see must be the same on both sides, as libvirt's
 * virDomainDefCheckABIStability() requires; what only the host sees may
 * differ. docs/domain-xml.md lists both.
 */
#ifndef FERRY_ABI_H
#define FERRY_ABI_H

#include <stddef.h>

#include "domain.h"

/**
 * ferry_domain_abi_check - check a destination definition against the
 * running guest's.
 * @src: the definition the guest runs with (this host's)
 * @dst: the definition the destination QEMU is to be started from
 * @err: on a mismatch, the first one found, naming the element and giving
 *	the source value, then the destination value:
 *	"ABI mismatch: disk 1 (vdb): <target bus>: source has 'virtio',
 *	destination has 'sata'"
 *
 * Both definitions are expected to have passed ferry_domain_validate().
 * Return 0 when the guest cannot tell them apart, -EINVAL otherwise.
 */
int ferry_domain_abi_check(const struct ferry_domain_def *src, const struct ferry_domain_def *dst,
			   char *err, size_t errlen);

#endif

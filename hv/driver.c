/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "driver.h"
#include "util.h"

static const char *const qemu_types[] = { "kvm", "qemu", NULL };

const struct ferry_hv_driver ferry_qemu_driver = {
	.name = "qemu",
	.domain_types = qemu_types,
	.parse = ferry_domain_parse,
	.validate = ferry_domain_validate,
	.format = ferry_domain_format,
	.equal = ferry_domain_equal,
	.free_def = ferry_domain_free,
	.abi_check = ferry_domain_abi_check,
	.accel_usable = ferry_qemu_kvm_usable,
	.build_argv = ferry_qemu_build_argv,
	.free_argv = ferry_qemu_argv_free,
};

static const struct ferry_hv_driver *const drivers[] = { &ferry_qemu_driver };

const struct ferry_hv_driver *ferry_hv_driver_for_type(const char *domain_type)
{
	for (size_t i = 0; domain_type && i < ARRAY_SIZE(drivers); i++)
		for (const char *const *t = drivers[i]->domain_types; *t; t++)
			if (strcmp(*t, domain_type) == 0)
				return drivers[i];
	return NULL;
}

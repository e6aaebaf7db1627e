/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driver.h - the hypervisor drivers, as one table of operations each.
 *
 * Only the qemu driver exists: it parses and formats the domain XML
 * subset of docs/domain-xml.md and turns a definition into a QEMU command
 * line. Launching, the monitor and migration are to be added here as
 * operations of their own when they exist, not before.
 */
#ifndef FERRY_HV_DRIVER_H
#define FERRY_HV_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "abi.h"
#include "domain.h"
#include "qemu-argv.h"

struct ferry_hv_driver {
	const char *name;
	/* The <domain type='...'> values this driver runs; NULL-terminated. */
	const char *const *domain_types;

	int (*parse)(const char *xml, size_t len, struct ferry_domain_def **out,
		     char *err, size_t errlen);
	int (*validate)(const struct ferry_domain_def *def, char *err, size_t errlen);
	int (*format)(const struct ferry_domain_def *def, char **xml_out);
	bool (*equal)(const struct ferry_domain_def *a, const struct ferry_domain_def *b);
	void (*free_def)(struct ferry_domain_def *def);
	/* Before a migration: may @dst take over the guest running as @src? */
	int (*abi_check)(const struct ferry_domain_def *src, const struct ferry_domain_def *dst,
			 char *err, size_t errlen);

	/* Whether the host can accelerate guests (for qemu: KVM). */
	bool (*accel_usable)(void);
	int (*build_argv)(const struct ferry_domain_def *def,
			  const struct ferry_qemu_launch *launch, char ***argv_out,
			  char *err, size_t errlen);
	void (*free_argv)(char **argv);
};

extern const struct ferry_hv_driver ferry_qemu_driver;

/* The driver for a <domain type='...'>, or NULL when none runs it. */
const struct ferry_hv_driver *ferry_hv_driver_for_type(const char *domain_type);

#endif

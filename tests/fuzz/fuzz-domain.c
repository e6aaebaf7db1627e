/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-domain - one domain XML document through the parser. Whatever it
 * accepts must round-trip: format, parse again, compare equal, format
 * again to the same bytes; and must make a QEMU command line. Whatever it
 * refuses must say why. Any broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "qemu-argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct ferry_domain_def *a)
{
	static const struct ferry_qemu_launch launch = {
		.qmp_fd = 3, .private_dir = "/run/ferry/fuzz", .vnc_port = 5900,
	};
	struct ferry_domain_def *b = NULL;
	char *x1 = NULL, *x2 = NULL, **argv = NULL;
	char err[512];

	if (ferry_domain_format(a, &x1) < 0)
		abort();
	if (ferry_domain_parse(x1, strlen(x1), &b, err, sizeof(err)) < 0)
		abort();
	if (!ferry_domain_equal(a, b))
		abort();
	if (ferry_domain_format(b, &x2) < 0 || strcmp(x1, x2) != 0)
		abort();
	if (ferry_qemu_build_argv(a, &launch, &argv, err, sizeof(err)) < 0)
		abort();
	ferry_qemu_argv_free(argv);
	ferry_domain_free(b);
	free(x1);
	free(x2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";

	if (ferry_domain_parse((const char *)data, size, &def, err, sizeof(err)) < 0) {
		if (!err[0] || def)
			abort();
		return 0;
	}
	check_accepted(def);
	ferry_domain_free(def);
	return 0;
}

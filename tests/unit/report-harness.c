/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * report-harness.c - the sandbox report tests' shared helper (see
 * report-harness.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>

#include "report-harness.h"

char *print_report(const char *name, const struct ferry_proc_report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ferry_proc_report_print(f, name, r);
	fclose(f);
	return text;
}

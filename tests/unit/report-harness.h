/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * report-harness.h - what the sandbox report tests share: a report as
 * ferry_proc_report_print() writes it, caught in a string.
 */
#ifndef FERRY_TEST_REPORT_HARNESS_H
#define FERRY_TEST_REPORT_HARNESS_H

#include "broker/report.h"

/* The text printed for @r under @name; the caller frees it. */
char *print_report(const char *name, const struct ferry_proc_report *r);

#endif

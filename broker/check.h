/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check.h - ferryd --check-sandbox: spawn every helper, read what the
 * kernel says about each, and judge it.
 */
#ifndef FERRY_CHECK_H
#define FERRY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "helper.h"
#include "report.h"

/*
 * ferry_check_verdict - is @r what @info's helper must look like?
 * Seccomp filter mode, no_new_privs, empty inheritable and ambient sets,
 * permitted and effective equal to the keep-set (empty when the broker is
 * not @root: there is nothing to keep), and, for a @root broker, a
 * bounding set inside the keep-set.
 * Return true, or false with @why naming the first fault.
 */
bool ferry_check_verdict(const struct ferry_helper_info *info, const struct ferry_proc_report *r,
			 bool root, char *why, size_t whylen);

/*
 * ferry_check_sandbox - the whole --check-sandbox run, printed to @out as
 * text or JSON. Return 0 when every helper passed, 1 when one did not, or
 * -errno when the check itself could not run.
 */
int ferry_check_sandbox(const struct ferry_helper_opts *o, bool json, FILE *out);

#endif

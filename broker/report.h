/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * report.h - what the kernel says about a running process's sandbox.
 *
 * Everything here is read from the live process (/proc/PID/status,
 * /proc/PID/limits, /proc/PID/ns/, and its seccomp filter through
 * ptrace), never from the profile the process was meant to apply.
 */
#ifndef FERRY_REPORT_H
#define FERRY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "filter.h"

#define FERRY_REPORT_NS 8	/* user net ipc mnt pid uts cgroup time */

struct ferry_rlim_value {
	bool valid;
	bool soft_unlimited, hard_unlimited;
	uint64_t soft, hard;
};

struct ferry_proc_report {
	pid_t pid;
	/* /proc/PID/status */
	int seccomp;			/* Seccomp: 0 off, 1 strict, 2 filter; -1 unknown */
	int seccomp_filters;		/* Seccomp_filters; -1 unknown */
	int no_new_privs;		/* NoNewPrivs; -1 unknown */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	bool caps_valid;
	uint32_t uid, gid;		/* real ids from Uid:/Gid: */
	/* /proc/PID/ns/X compared with the broker's own */
	const char *ns_names[FERRY_REPORT_NS];
	int ns_new[FERRY_REPORT_NS];	/* 1 new, 0 shared, -1 unreadable */
	const char *ns_source;		/* "kernel", or "helper" (its hello) */
	/* /proc/PID/limits */
	struct ferry_rlim_value nofile, nproc, core, fsize;
	/* seccomp filter */
	int filter_syscalls;		/* -1 when the filter could not be read */
	const char *filter_source;	/* "kernel" (ptrace) or "helper" (its hello) */
	char filter_note[128];		/* why the kernel's copy was not read */
	char context[256];		/* SELinux context, or "" */
};

/*
 * ferry_proc_status_parse - fill the status fields of @r from the text of
 * /proc/PID/status. Unknown lines are ignored; a known line that does not
 * parse leaves its field unknown. Return 0, or -EINVAL when no known line
 * was found.
 */
int ferry_proc_status_parse(const char *text, struct ferry_proc_report *r);

/* Same for the text of /proc/PID/limits (NOFILE, NPROC, CORE, FSIZE). */
int ferry_proc_limits_parse(const char *text, struct ferry_proc_report *r);

/*
 * ferry_proc_report_read - fill @r for @pid. @helper_filter_syscalls is the
 * helper's own account from its hello, used only when the kernel's copy
 * cannot be read. Return 0 or -errno (the process is gone).
 */
int ferry_proc_report_read(pid_t pid, int helper_filter_syscalls, struct ferry_proc_report *r);

/*
 * ferry_proc_report_ns_fallback - where /proc/PID/ns was unreadable (a
 * non-dumpable helper read by a non-root broker), take the helper's own
 * account from its hello: @claimed is its FERRY_NS_* bits, and it never
 * enters the namespaces those bits cannot name.
 */
void ferry_proc_report_ns_fallback(struct ferry_proc_report *r, uint32_t claimed);

/* Print @r as an indented human-readable block under a "NAME (pid N)" line. */
void ferry_proc_report_print(FILE *out, const char *name, const struct ferry_proc_report *r);

/* @r as a JSON object (caller puts it). */
struct json_object *ferry_proc_report_json(const char *name, const struct ferry_proc_report *r);

#endif

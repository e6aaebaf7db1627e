/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "log.h"

static enum ferry_log_level max_level = FERRY_LOG_INFO;
static const char *ident = "ferry";
static bool to_syslog;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void ferry_log_set_level(enum ferry_log_level level)
{
	max_level = level;
}

void ferry_log_set_ident(const char *name)
{
	ident = name;
}

void ferry_log_use_syslog(bool on)
{
	if (on && !to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = on;
}

void ferry_log(enum ferry_log_level level, const char *func, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (level > max_level)
		return;
	if (to_syslog) {
		char line[2048];

		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		syslog(prio[level], "%s: %s", func, line);
		return;
	}
	fprintf(stderr, "%s: %s: %s: ", ident, level_names[level], func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ferry_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ident);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - one logging path for the broker and the tools. Library code does
 * not log: it returns -errno and leaves a message where its caller can find
 * it. Helpers log through the broker; a helper's last words before it dies
 * go to stderr, which the broker shares with it.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stdbool.h>

enum ferry_log_level { FERRY_LOG_ERR, FERRY_LOG_WARN, FERRY_LOG_INFO, FERRY_LOG_DEBUG };

void ferry_log_set_level(enum ferry_log_level level);
void ferry_log_set_ident(const char *ident);
/* Send lines to syslog (daemon facility) instead of stderr. */
void ferry_log_use_syslog(bool on);
void ferry_log(enum ferry_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "IDENT: message" to stderr and exit(status). For mains only. */
void ferry_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* A line about a domain names it first: "domain 'web1': ...". */
#define log_dom(level, name, fmt, ...) \
	ferry_log(level, __func__, "domain '%s': " fmt, name, ##__VA_ARGS__)

#define log_err(...) ferry_log(FERRY_LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) ferry_log(FERRY_LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...) ferry_log(FERRY_LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) ferry_log(FERRY_LOG_DEBUG, __func__, __VA_ARGS__)

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctl.h - what ferryctl's command files share.
 */
#ifndef FERRY_CTL_H
#define FERRY_CTL_H

#include <stdbool.h>

#include <json-c/json.h>

#include "client.h"

/* "ferryctl: error: ..." on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* @o as pretty JSON on stdout. */
void ctl_print_json(struct json_object *o);
/* A whole file of at most 1 MiB without NUL bytes; 0 or -errno (reported). */
int ctl_read_file(const char *path, char **out);
/* Connect to @uri (NULL: the default URI); 0 or -1 (reported). */
int ctl_connect(const char *uri, int timeout_ms, struct ferry_client **out);

/* The migration commands (client/migrate.c), or -ENOENT for another name. */
int ctl_migration_main(const char *uri, bool json, int timeout_ms, int argc, char **argv);

/* save and restore (client/save.c), or -ENOENT for another name. */
int ctl_save_main(const char *uri, bool json, int timeout_ms, int argc, char **argv);

#endif

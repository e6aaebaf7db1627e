/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save.h - a running domain to a file and back (docs/save-format.md).
 */
#ifndef FERRY_SAVE_H
#define FERRY_SAVE_H

#include <json-c/json.h>

#include "commands.h"

void ferry_cmd_save(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_restore(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);

#define FERRY_SAVE_COMMANDS \
	{ "save-domain", false, ARGS("name:s", "file:s", "compressed:b", "running:b", "paused:b"), \
	  ARGS("name", "file"), ferry_cmd_save }, \
	{ "restore-domain", false, ARGS("file:s", "running:b", "paused:b"), ARGS("file"), \
	  ferry_cmd_restore },

#endif

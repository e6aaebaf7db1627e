/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * commands.h - the command table's row type and what handlers share.
 */
#ifndef FERRY_COMMANDS_H
#define FERRY_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon.h"
#include "domains.h"

typedef void (*command_fn)(struct ferry_daemon *d, struct ferry_client *c, struct json_object *args);

struct command {
	const char *name;
	bool readonly;			/* a query: the read-only socket may use it */
	const char *const *args;	/* "name:T" it takes */
	const char *const *required;	/* names it needs */
	command_fn fn;
};

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

/* Arguments, already checked against the table for presence and type. */
const char *ferry_arg_str(struct json_object *args, const char *key);
bool ferry_arg_bool(struct json_object *args, const char *key);
uint64_t ferry_arg_u64(struct json_object *args, const char *key, uint64_t dflt);

/* The domain named in @args, or NULL after answering DomainNotFound. */
struct ferry_domain *ferry_cmd_domain(struct ferry_daemon *d, struct ferry_client *c,
				      struct json_object *args);
/*
 * The domain named in @args, running (or paused) with a usable monitor and
 * no job, or NULL after answering why not.
 */
struct ferry_domain *ferry_cmd_running_domain(struct ferry_daemon *d, struct ferry_client *c,
					      struct json_object *args);
/* Refuse (and answer) when @dom has a job; false when it has none. */
bool ferry_cmd_busy(struct ferry_domain *dom, struct ferry_client *c);

#endif

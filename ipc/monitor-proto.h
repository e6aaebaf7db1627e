/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-proto.h - the typed payloads of the ferry-monitor messages
 * (FERRY_MSG_MON_*, numbered in wire.h), shared by the broker and the
 * helper. The broker never sees QMP text, only these.
 *
 * Layouts (codec.h fields, in this order):
 *
 *   MON_ATTACH    u32 timeout_ms                   + 1 fd: QEMU's QMP socket
 *   MON_ATTACHED  str version                      "7.2.22"
 *   MON_COMMAND   u32 cmd, u32 timeout_ms, args    args per command, below
 *   MON_RESULT    u32 cmd, result                  result per command, below
 *   MON_EVENT     u32 event, u64 timestamp_us, data per event, below
 *   MON_CLOSED    u32 kind, str reason
 *
 * A timeout of 0 means FERRY_MON_DEFAULT_TIMEOUT_MS. A QMP error is an
 * ERROR reply (i32 -EREMOTEIO, str "CLASS: desc"), not a MON_RESULT.
 *
 * Decoders refuse anything but the exact layout: unknown command or
 * event numbers, bytes left over, strings outside their alphabet or
 * length. Strings they return point into the payload (see codec.h).
 */
#ifndef FERRY_MONITOR_PROTO_H
#define FERRY_MONITOR_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

#define FERRY_MON_DEFAULT_TIMEOUT_MS 30000u

/* Longest strings a payload may carry, NUL excluded. */
#define FERRY_MON_TOKEN_MAX 32u		/* a QAPI enum value: "postmigrate" */
#define FERRY_MON_EVENT_NAME_MAX 64u	/* an event name: "BLOCK_JOB_READY" */
#define FERRY_MON_VERSION_MAX 32u	/* "65535.65535.65535" */
#define FERRY_MON_REASON_MAX 255u	/* MON_CLOSED's reason */

/* Payload bounds, for the channel tables of both ends. */
#define FERRY_MON_ATTACH_LEN 4u
#define FERRY_MON_ATTACHED_MIN (4u + 6u)
#define FERRY_MON_ATTACHED_MAX (4u + FERRY_MON_VERSION_MAX + 1u)
#define FERRY_MON_COMMAND_MIN 8u
#define FERRY_MON_COMMAND_MAX 4096u
#define FERRY_MON_RESULT_MIN 4u
#define FERRY_MON_RESULT_MAX 8192u
#define FERRY_MON_EVENT_MIN 12u
#define FERRY_MON_EVENT_MAX 256u
#define FERRY_MON_CLOSED_MIN (4u + 4u + 2u)
#define FERRY_MON_CLOSED_MAX (4u + 4u + FERRY_MON_REASON_MAX + 1u)

/*
 * Commands: numbered explicitly, never renumbered. 7-15 are kept for
 * more run control, 16-31 for migration: query-migrate,
 * migrate-set-parameters, migrate, migrate_cancel, migrate-incoming,
 * getfd (which will need its own message type: a message type carries an
 * exact fd count) and client_migrate_info.
 */
enum ferry_mon_cmd {
	FERRY_MON_QUERY_STATUS = 1,	/* result: str status, u32 running */
	FERRY_MON_STOP = 2,		/* no args, no result */
	FERRY_MON_CONT = 3,
	FERRY_MON_QUIT = 4,
	FERRY_MON_SYSTEM_POWERDOWN = 5,
	FERRY_MON_SYSTEM_RESET = 6,
};

/* Arguments per command; no command has any yet. */
union ferry_mon_args {
	uint32_t unused;
};

struct ferry_mon_status {
	const char *status;	/* QAPI RunState: "running", "paused", "inmigrate", ... */
	uint32_t running;	/* 0 or 1 */
};

union ferry_mon_ret {
	struct ferry_mon_status status;	/* QUERY_STATUS */
};

struct ferry_mon_command {
	uint32_t cmd;			/* enum ferry_mon_cmd */
	uint32_t timeout_ms;		/* 0: the default */
	union ferry_mon_args args;
};

struct ferry_mon_result {
	uint32_t cmd;
	union ferry_mon_ret ret;
};

/*
 * One command's row: its QMP name and how its arguments and result are
 * laid out. A NULL codec means "nothing": adding a command is one row and
 * a put/get pair for whatever it carries.
 */
struct ferry_mon_cmd_info {
	uint32_t cmd;
	const char *qmp;	/* "query-status" */
	void (*put_args)(struct ferry_wbuf *w, const union ferry_mon_args *a);
	void (*get_args)(struct ferry_rbuf *r, union ferry_mon_args *a);
	void (*put_ret)(struct ferry_wbuf *w, const union ferry_mon_ret *ret);
	void (*get_ret)(struct ferry_rbuf *r, union ferry_mon_ret *ret);
};

/* Events: numbered explicitly, never renumbered. */
enum ferry_mon_event_type {
	FERRY_MON_EV_SHUTDOWN = 1,	/* u32 guest, str reason (QAPI ShutdownCause) */
	FERRY_MON_EV_POWERDOWN = 2,	/* no data */
	FERRY_MON_EV_RESET = 3,
	FERRY_MON_EV_STOP = 4,
	FERRY_MON_EV_RESUME = 5,
	FERRY_MON_EV_MIGRATION = 6,	/* str status (QAPI MigrationStatus) */
	FERRY_MON_EV_MIGRATION_PASS = 7,	/* u64 pass */
	FERRY_MON_EV_OTHER = 8,		/* str name: any event not above, by name only */
};

struct ferry_mon_event {
	uint32_t type;			/* enum ferry_mon_event_type */
	uint64_t timestamp_us;		/* QEMU's wall clock, microseconds since the epoch */
	union {
		struct { uint32_t guest; const char *reason; } shutdown;
		struct { const char *status; } migration;
		struct { uint64_t pass; } migration_pass;
		struct { const char *name; } other;
	} u;
};

/* Why the helper let go of the monitor; it exits right after saying so. */
enum ferry_mon_closed_kind {
	FERRY_MON_CLOSED_EOF = 0,	/* QEMU closed the monitor: exit status 0 */
	FERRY_MON_CLOSED_PROTOCOL = 1,	/* QEMU broke the protocol: exit status 4 */
	FERRY_MON_CLOSED_TIMEOUT = 2,	/* QEMU did not answer in time: exit status 4 */
};

struct ferry_mon_closed {
	uint32_t kind;			/* enum ferry_mon_closed_kind */
	const char *reason;
};

/* NULL for a number that names no command. */
const struct ferry_mon_cmd_info *ferry_mon_cmd_lookup(uint32_t cmd);
/* The command's QMP name, or "unknown". */
const char *ferry_mon_cmd_name(uint32_t cmd);
/* The QMP event name behind a type ("SHUTDOWN"), "OTHER", or "unknown". */
const char *ferry_mon_event_name(uint32_t type);
/* The type for a QMP event name, FERRY_MON_EV_OTHER when it has none. */
uint32_t ferry_mon_event_type(const char *qmp_name);

/* Alphabets: a QAPI enum value is 1-32 of [a-z0-9-]. */
bool ferry_mon_token_ok(const char *s);
/* An event name is 1-64 of [A-Z0-9_]. */
bool ferry_mon_event_name_ok(const char *s);
/* "MAJOR.MINOR.MICRO", each 0-65535 without leading zeros. */
bool ferry_mon_version_ok(const char *s);
/* A reason is 1-255 printable ASCII characters. */
bool ferry_mon_reason_ok(const char *s);

/*
 * Encoders return 0, -EINVAL for a value no decoder would accept (unknown
 * number, string outside its alphabet), or -EMSGSIZE.
 * Decoders return 0, or -EBADMSG with @err naming the field.
 */
int ferry_mon_put_attach(struct ferry_wbuf *w, uint32_t timeout_ms);
int ferry_mon_get_attach(const void *p, size_t len, uint32_t *timeout_ms,
			 char *err, size_t errlen);
int ferry_mon_put_attached(struct ferry_wbuf *w, const char *version);
int ferry_mon_get_attached(const void *p, size_t len, const char **version,
			   char *err, size_t errlen);
int ferry_mon_put_command(struct ferry_wbuf *w, const struct ferry_mon_command *c);
int ferry_mon_get_command(const void *p, size_t len, struct ferry_mon_command *c,
			  char *err, size_t errlen);
int ferry_mon_put_result(struct ferry_wbuf *w, const struct ferry_mon_result *res);
int ferry_mon_get_result(const void *p, size_t len, struct ferry_mon_result *res,
			 char *err, size_t errlen);
int ferry_mon_put_event(struct ferry_wbuf *w, const struct ferry_mon_event *ev);
int ferry_mon_get_event(const void *p, size_t len, struct ferry_mon_event *ev,
			char *err, size_t errlen);
int ferry_mon_put_closed(struct ferry_wbuf *w, const struct ferry_mon_closed *c);
int ferry_mon_get_closed(const void *p, size_t len, struct ferry_mon_closed *c,
			 char *err, size_t errlen);

#endif

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
 * more run control; 16-31 are migration: 16-22 below, the rest kept for
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
	FERRY_MON_MIGRATE_SET_CAPABILITIES = 16,	/* args: struct ferry_mon_mig_caps */
	FERRY_MON_MIGRATE_SET_PARAMETERS = 17,	/* args: struct ferry_mon_mig_params */
	FERRY_MON_MIGRATE = 18,			/* args: str uri */
	FERRY_MON_MIGRATE_INCOMING = 19,	/* args: str uri */
	FERRY_MON_QUERY_MIGRATE = 20,		/* result: struct ferry_mon_migration */
	FERRY_MON_MIGRATE_CANCEL = 21,		/* no args, no result */
	FERRY_MON_MIGRATE_CONTINUE = 22,	/* args: str state (a MigrationStatus) */
};

/* Longest migration strings, NUL excluded. */
#define FERRY_MON_URI_MAX 255u		/* "tcp:[fe80::1]:49152", "unix:/run/..." */
#define FERRY_MON_UNIX_PATH_MAX 107u	/* sun_path less its NUL */
#define FERRY_MON_FD_NAME_MAX 64u	/* "fd:NAME" */
#define FERRY_MON_ERROR_DESC_MAX 255u	/* query-migrate's error-desc, cut to this */
#define FERRY_MON_MAX_CAPS 16u		/* capabilities in one MIGRATE_SET_CAPABILITIES */

/*
 * MIGRATE_SET_CAPABILITIES: u32 count (1-16), then count times
 * (str name, u32 state): a capability name ("events", "postcopy-ram",
 * "pause-before-switchover", ...; 1-32 of [a-z0-9-], each at most once)
 * and 0 or 1.
 */
struct ferry_mon_mig_cap {
	const char *name;
	uint32_t state;
};

struct ferry_mon_mig_caps {
	uint32_t count;
	struct ferry_mon_mig_cap cap[FERRY_MON_MAX_CAPS];
};

/*
 * MIGRATE_SET_PARAMETERS: u32 present (a non-empty set of the bits
 * below), then all four u64 fields in this order; a field whose bit is
 * clear is 0 and is not sent to QEMU.
 */
enum ferry_mon_param_bit {
	FERRY_MON_PARAM_MAX_BANDWIDTH = 1u << 0,	/* bytes/s, at most INT64_MAX */
	FERRY_MON_PARAM_DOWNTIME_LIMIT = 1u << 1,	/* ms, at most 2000000 (QEMU's bound) */
	FERRY_MON_PARAM_MULTIFD_CHANNELS = 1u << 2,	/* 1-255 */
	FERRY_MON_PARAM_MAX_POSTCOPY_BANDWIDTH = 1u << 3,	/* bytes/s, at most INT64_MAX */
};
#define FERRY_MON_PARAM_ALL 0xfu
#define FERRY_MON_DOWNTIME_LIMIT_MAX 2000000u
#define FERRY_MON_MULTIFD_CHANNELS_MAX 255u

struct ferry_mon_mig_params {
	uint32_t present;		/* FERRY_MON_PARAM_* */
	uint64_t max_bandwidth;
	uint64_t downtime_limit;
	uint64_t multifd_channels;
	uint64_t max_postcopy_bandwidth;
};

/* Arguments per command; most commands have none. */
union ferry_mon_args {
	struct ferry_mon_mig_caps caps;		/* MIGRATE_SET_CAPABILITIES */
	struct ferry_mon_mig_params params;	/* MIGRATE_SET_PARAMETERS */
	struct { const char *uri; } migrate;	/* MIGRATE, MIGRATE_INCOMING */
	struct { const char *state; } cont;	/* MIGRATE_CONTINUE: "pre-switchover" */
};

struct ferry_mon_status {
	const char *status;	/* QAPI RunState: "running", "paused", "inmigrate", ... */
	uint32_t running;	/* 0 or 1 */
};

/*
 * QUERY_MIGRATE's result: str status (a MigrationStatus; "none" when
 * QEMU reports none), u32 present (FERRY_MON_MIG_* bits: what QEMU
 * reported), the thirteen u64 fields in bit order (0 when absent), then
 * str error_desc (0-255 printable ASCII bytes; empty when QEMU gave none).
 *
 * QEMU 7.2 says "completed" (and sends the MIGRATION event) before it
 * has computed total-time, downtime and mbps, and reports 0 for each
 * meanwhile: the helper then leaves their bits clear, so "completed
 * without FERRY_MON_MIG_TOTAL_TIME" means "ask again".
 */
enum ferry_mon_mig_bit {
	FERRY_MON_MIG_TOTAL_TIME = 1u << 0,		/* ms since the migration started */
	FERRY_MON_MIG_EXPECTED_DOWNTIME = 1u << 1,	/* ms, while active */
	FERRY_MON_MIG_DOWNTIME = 1u << 2,		/* ms, once completed */
	FERRY_MON_MIG_SETUP_TIME = 1u << 3,		/* ms */
	FERRY_MON_MIG_RAM_TRANSFERRED = 1u << 4,	/* bytes */
	FERRY_MON_MIG_RAM_REMAINING = 1u << 5,		/* bytes */
	FERRY_MON_MIG_RAM_TOTAL = 1u << 6,		/* bytes */
	FERRY_MON_MIG_RAM_DUPLICATE = 1u << 7,		/* zero pages */
	FERRY_MON_MIG_RAM_NORMAL = 1u << 8,		/* whole pages sent */
	FERRY_MON_MIG_RAM_DIRTY_PAGES_RATE = 1u << 9,	/* pages/s */
	FERRY_MON_MIG_RAM_DIRTY_SYNC_COUNT = 1u << 10,	/* passes over RAM */
	FERRY_MON_MIG_RAM_MBPS = 1u << 11,		/* QEMU's float mbps, times 1000 */
	FERRY_MON_MIG_RAM_PAGE_SIZE = 1u << 12,		/* bytes */
};
#define FERRY_MON_MIG_ALL 0x1fffu

struct ferry_mon_migration {
	const char *status;		/* QAPI MigrationStatus: "active", "completed", ... */
	uint32_t present;		/* FERRY_MON_MIG_* */
	uint64_t total_time;
	uint64_t expected_downtime;
	uint64_t downtime;
	uint64_t setup_time;
	uint64_t ram_transferred;
	uint64_t ram_remaining;
	uint64_t ram_total;
	uint64_t ram_duplicate;
	uint64_t ram_normal;
	uint64_t ram_dirty_pages_rate;
	uint64_t ram_dirty_sync_count;
	uint64_t ram_mbps_milli;	/* megabits/s x 1000: 230.554 Mb/s is 230554 */
	uint64_t ram_page_size;
	const char *error_desc;		/* "" when none */
};

union ferry_mon_ret {
	struct ferry_mon_status status;		/* QUERY_STATUS */
	struct ferry_mon_migration migration;	/* QUERY_MIGRATE */
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
 * a put/get pair for whatever it carries. A get may refuse with words of
 * its own (return -EBADMSG with @err filled in); otherwise it latches its
 * failure in @r like any field.
 */
struct ferry_mon_cmd_info {
	uint32_t cmd;
	const char *qmp;	/* "query-status" */
	void (*put_args)(struct ferry_wbuf *w, const union ferry_mon_args *a);
	int (*get_args)(struct ferry_rbuf *r, union ferry_mon_args *a, char *err, size_t errlen);
	void (*put_ret)(struct ferry_wbuf *w, const union ferry_mon_ret *ret);
	int (*get_ret)(struct ferry_rbuf *r, union ferry_mon_ret *ret, char *err, size_t errlen);
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
/* One of QAPI's MigrationStatus values ("none", "setup", ..., "wait-unplug"). */
bool ferry_mon_migration_status_ok(const char *s);

/*
 * ferry_mon_uri_check - may QEMU be told to migrate to or from @uri?
 * Only "tcp:HOST:PORT" (HOST an IPv4 address, a [bracketed] IPv6 address
 * or a host name of [A-Za-z0-9.-] whose last label starts with a letter;
 * PORT 1-65535), "unix:/absolute/path" (at most 107 bytes of
 * [A-Za-z0-9._+/-], no "." or ".." component) and "fd:NAME" (a name
 * passed with getfd: 1-64 of [A-Za-z0-9_-], starting with a letter) are;
 * at most 255 bytes. "exec:" and everything else are refused.
 * Return 0, or -EINVAL with @err saying why, for the broker's log.
 */
int ferry_mon_uri_check(const char *uri, char *err, size_t errlen);

/*
 * Encoders return 0, -EINVAL for a value no decoder would accept (unknown
 * number, string outside its alphabet, a URI ferry_mon_uri_check()
 * refuses), or -EMSGSIZE.
 * Decoders return 0, or -EBADMSG with @err naming the field (or, for a
 * migration URI, saying what is wrong with it).
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * job.h - the one asynchronous job a domain may have at a time: a
 * migration out (Begin to Confirm) or in (Prepare to Finish).
 *
 * A job's phase is written to the domain's status file before the step
 * that phase names takes effect, so a broker that restarts knows what was
 * under way. While a job runs, only the commands its type allows are
 * accepted; the others are refused with the job and phase named.
 */
#ifndef FERRY_JOB_H
#define FERRY_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "server.h"

struct ferry_cookie;
struct ferry_daemon;
struct ferry_p2p;
struct save_op;
enum ferry_job_type {
	FERRY_JOB_NONE,
	FERRY_JOB_MIGRATION_OUT,
	FERRY_JOB_MIGRATION_IN,
	FERRY_JOB_SAVE,
	FERRY_JOB_RESTORE,
};

/* The phases of libvirt's migration protocols v2 and v3. */
enum ferry_job_phase {
	FERRY_PHASE_NONE,
	FERRY_PHASE_PERFORM2,
	FERRY_PHASE_BEGIN3,
	FERRY_PHASE_PERFORM3,
	FERRY_PHASE_PERFORM3_DONE,
	FERRY_PHASE_CONFIRM3_CANCELLED,
	FERRY_PHASE_CONFIRM3,
	FERRY_PHASE_PREPARE,
	FERRY_PHASE_FINISH2,
	FERRY_PHASE_FINISH3,
	FERRY_PHASE_SAVE,
	FERRY_PHASE_RESTORE,
};

/* Migration flags, as the API names them. */
#define FERRY_MIGRATE_LIVE		(1u << 0)
#define FERRY_MIGRATE_PAUSED		(1u << 1)	/* leave the destination paused */
#define FERRY_MIGRATE_PERSIST_DEST	(1u << 2)
#define FERRY_MIGRATE_UNDEFINE_SOURCE	(1u << 3)
#define FERRY_MIGRATE_ABORT_ON_ERROR	(1u << 4)
#define FERRY_MIGRATE_P2P		(1u << 5)	/* the source broker drives the destination */
#define FERRY_MIGRATE_TUNNELLED		(1u << 6)	/* data inside the brokers' connection */
#define FERRY_MIGRATE_PARALLEL		(1u << 7)	/* QEMU's multifd channels */
#define FERRY_MIGRATE_COMPRESSED	(1u << 8)	/* tunnelled streams deflated on the way */
/* What the destination is told of; p2p is the source's business alone. */
#define FERRY_MIGRATE_DEST_FLAGS	(FERRY_MIGRATE_LIVE | FERRY_MIGRATE_PAUSED | \
					 FERRY_MIGRATE_PERSIST_DEST | FERRY_MIGRATE_TUNNELLED | \
					 FERRY_MIGRATE_PARALLEL | FERRY_MIGRATE_COMPRESSED)

/* What query-migrate said last, in the units docs/api.md gives. */
struct ferry_migration_stats {
	char status[24];		/* QEMU's MigrationStatus */
	uint64_t elapsed_ms;		/* since the job began */
	uint64_t total_time_ms, downtime_ms, expected_downtime_ms, setup_time_ms;
	uint64_t ram_total, ram_transferred, ram_remaining;
	uint64_t dirty_pages_rate, iteration, mbps_milli;
	bool have_total_time, have_downtime;
	char error_desc[256];		/* QEMU's word on a failed migration */
};

/* A tunnelled migration's plumbing, on either side (broker/migrate-tunnel.c). */
struct ferry_job_tunnel {
	struct ferry_tunnel *t;		/* the ferry-tunnel helper */
	char token[65];			/* destination: what attaching streams must show */
	unsigned nstreams;		/* the main channel and QEMU's multifd channels */
	int data_fd[8];			/* destination: attached data connections, -1 until then */
	unsigned attached;
	int listen_fd;			/* source: where QEMU connects, -1 when closed */
	unsigned accepted;
	char path[108];			/* the unix socket between QEMU and this broker */
	bool compressed;		/* a ferry-compress between QEMU and each stream */
	struct ferry_compressor *comp[8];
};

struct ferry_job {
	enum ferry_job_type type;
	enum ferry_job_phase phase;
	unsigned flags;			/* FERRY_MIGRATE_* */
	int protocol;			/* 2 or 3 */
	uint64_t started_ns;
	struct ferry_client *owner;	/* migration in: the client whose VM it is (autodestroy) */
	bool was_running;		/* migration out: resume on failure */
	bool abort_requested;
	bool orphaned;			/* its client left: nobody will Confirm */
	bool abandoning;		/* migration in: QEMU is being ended */
	char error[512];		/* the first error; later ones never replace it */
	struct ferry_migration_stats stats;
	uint64_t bandwidth_mib;		/* 0: unlimited */
	uint64_t downtime_ms;		/* 0: QEMU's default */
	char peer_host[256];		/* from the cookie, for logs */

	struct ferry_daemon *d;
	char uri[256];			/* where the data goes (out) or comes in (in) */

	/* While a step waits on QEMU: */
	int timer_fd;			/* query-migrate poll, -1 when idle */
	bool query_pending;		/* a query-migrate is in flight */
	unsigned settle_tries;		/* reads after "completed" until times are filled */
	struct ferry_client *waiter;	/* answered when the step ends */
	struct ferry_cookie *cookie_in;	/* Perform's cookie, kept for Finish's answer */
	struct ferry_p2p *p2p;		/* peer-to-peer: the driver that gets the answers */
	struct ferry_job_tunnel *tun;	/* tunnelled: NULL otherwise */
	struct save_op *save;		/* save or restore: broker/save.c's state */
	unsigned parallel;		/* QEMU's multifd channels; 0: none */
};

const char *ferry_job_type_name(enum ferry_job_type t);
const char *ferry_job_phase_name(enum ferry_job_phase p);

/* Parse the API's flag list; unknown names are refused, naming them. */
int ferry_migrate_flags_parse(struct json_object *list, unsigned *flags, char *err, size_t errlen);

/* Release a job's tunnel: helper, fds, socket (broker/migrate-tunnel.c). */
void ferry_migrate_tunnel_free(struct ferry_daemon *d, struct ferry_job *job);
/* @flags as the API's list of names. */
struct json_object *ferry_migrate_flags_json(unsigned flags);
/* Keep the first error only: Finish and Confirm never overwrite Perform's. */
void ferry_job_error(struct ferry_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The job as a JSON object, for the status file and domain-job-info. */
struct json_object *ferry_job_json(const struct ferry_job *job);
struct json_object *ferry_stats_json(const struct ferry_migration_stats *s);

#endif

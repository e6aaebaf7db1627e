/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domains.h - the broker's domains: definitions kept in the state dir,
 * their state, and the status file that records it durably.
 */
#ifndef FERRY_DOMAINS_H
#define FERRY_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "daemon.h"
#include "hv/seclabel.h"
#include "hv/domain.h"
#include "job.h"

enum ferry_dom_state {
	FERRY_DOM_SHUTOFF,
	FERRY_DOM_RUNNING,
	FERRY_DOM_PAUSED,
};

struct ferry_vm;

struct ferry_domain {
	struct ferry_domain *next;
	struct ferry_domain_def *def;
	struct ferry_domain_def *next_def;	/* defined while running: used from the next start */
	bool persistent;
	enum ferry_dom_state state;
	const char *reason;			/* a string constant, see docs/api.md */
	struct ferry_vm *vm;			/* while QEMU runs */
	struct ferry_job *job;			/* the async job under way, if any */
	struct ferry_migration_stats last_stats;	/* the last finished migration's */
	bool have_last_stats;
	/* SELinux labels while it runs: a dynamic label's MCS pair is its own (vm.c). */
	struct ferry_seclabel_labels labels;
};

const char *ferry_dom_state_name(enum ferry_dom_state s);

/* Create the runtime and state directories, load the host UUID and every definition. */
int ferry_domains_init(struct ferry_daemon *d, char *err, size_t errlen);
void ferry_domains_free(struct ferry_daemon *d);

struct ferry_domain *ferry_domain_lookup(struct ferry_daemon *d, const char *name);

/*
 * ferry_domain_define - parse @xml and make it the domain's persistent
 * definition (a new domain, or a new definition for an existing one of
 * the same UUID). Return 0 or -errno with @err naming the problem.
 */
int ferry_domain_define(struct ferry_daemon *d, const char *xml, size_t len,
			struct ferry_domain **out, char *err, size_t errlen);

/*
 * ferry_domain_incoming - the domain an incoming migration runs as: a new
 * transient one, or a shut-off one of the same name and UUID, whose own
 * definition is kept aside. Takes @def on success. NULL with @err when the
 * name or UUID is taken by something else or the domain is busy.
 */
struct ferry_domain *ferry_domain_incoming(struct ferry_daemon *d, struct ferry_domain_def *def,
					   char *err, size_t errlen);

/* Make the running definition the persistent one (migration's persist-dest). */
int ferry_domain_persist(struct ferry_daemon *d, struct ferry_domain *dom, char *err, size_t errlen);

/* Forget the persistent definition; a running domain lives on as transient. */
int ferry_domain_undefine(struct ferry_daemon *d, struct ferry_domain *dom,
			  char *err, size_t errlen);

/*
 * ferry_domain_set_state - record a state change: status file first, then
 * the log line and a DOMAIN_LIFECYCLE event.
 */
void ferry_domain_set_state(struct ferry_daemon *d, struct ferry_domain *dom,
			    enum ferry_dom_state state, const char *reason);

/* Rewrite the status file (state, pids, monitor health). */
void ferry_domain_write_status(struct ferry_daemon *d, struct ferry_domain *dom);

/* Once shut off: apply a pending definition, drop a transient domain. */
void ferry_domain_stopped(struct ferry_daemon *d, struct ferry_domain *dom);

/* Start, move on, end the domain's job; each writes the status file first. */
struct ferry_job *ferry_job_start(struct ferry_daemon *d, struct ferry_domain *dom,
				  enum ferry_job_type type, enum ferry_job_phase phase, unsigned flags);
void ferry_job_set_phase(struct ferry_daemon *d, struct ferry_domain *dom,
			 enum ferry_job_phase phase);
void ferry_job_end(struct ferry_daemon *d, struct ferry_domain *dom);

/* Paths under the state and runtime dirs. */
void ferry_domain_path(struct ferry_daemon *d, const char *kind, const char *name,
		       char *buf, size_t len);

/* A whole file of at most @max bytes, NUL-terminated (malloc'd), or NULL. */
char *ferry_read_small_file(const char *path, size_t max, size_t *len);

/* recover.c: take charge again of the QEMU processes a stopped broker left running. */
void ferry_domains_recover(struct ferry_daemon *d);

/* Write @data to @path atomically and durably (temp file, fsync, rename). */
int ferry_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

#endif

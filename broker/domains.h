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
#include "hv/domain.h"

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

/* Paths under the state and runtime dirs. */
void ferry_domain_path(struct ferry_daemon *d, const char *kind, const char *name,
		       char *buf, size_t len);

/* Write @data to @path atomically and durably (temp file, fsync, rename). */
int ferry_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate.h - live migration between brokers: libvirt's protocol v3
 * (Begin, Prepare, Perform, Finish, Confirm, with cookies) and v2
 * (DumpXML, Prepare2, Perform2, Finish2), driven by a client that talks
 * to both brokers (managed direct), over QEMU's native data path.
 *
 * Source side: migrate-out.c. Destination side: migrate-in.c. What both
 * use, the QEMU monitor commands and the cookie, here and in migrate.c.
 */
#ifndef FERRY_MIGRATE_H
#define FERRY_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "commands.h"
#include "cookie.h"
#include "job.h"
#include "vm.h"

/* How often a running migration is asked how it goes. */
#define FERRY_MIGRATE_POLL_MS 200

void ferry_cmd_migrate_begin(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_perform(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_perform2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_confirm(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_prepare(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_prepare2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_finish(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_migrate_finish2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_job_info(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_job_abort(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_set_speed(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);
void ferry_cmd_set_downtime(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);

#define FERRY_MIGRATE_COMMANDS \
	{ "migrate-begin", false, ARGS("name:s", "xml:s", "flags:a"), ARGS("name"), \
	  ferry_cmd_migrate_begin }, \
	{ "migrate-prepare", false, ARGS("xml:s", "cookie:s", "flags:a", "parallel:i"), \
	  ARGS("xml", "cookie"), ferry_cmd_migrate_prepare }, \
	{ "tunnel-attach", false, ARGS("name:s", "token:s", "stream:i"), \
	  ARGS("name", "token", "stream"), ferry_cmd_tunnel_attach }, \
	{ "migrate-perform", false, ARGS("name:s", "cookie:s", "uri:s", "flags:a", "bandwidth:i", \
	  "downtime:i", "dconnuri:s", "xml:s", "parallel:i"), ARGS("name"), \
	  ferry_cmd_migrate_perform }, \
	{ "migrate-finish", false, ARGS("name:s", "cookie:s", "flags:a", "cancelled:b"), \
	  ARGS("name"), ferry_cmd_migrate_finish }, \
	{ "migrate-confirm", false, ARGS("name:s", "cookie:s", "flags:a", "cancelled:b"), \
	  ARGS("name"), ferry_cmd_migrate_confirm }, \
	{ "migrate-prepare2", false, ARGS("xml:s", "flags:a", "parallel:i"), ARGS("xml"), \
	  ferry_cmd_migrate_prepare2 }, \
	{ "migrate-perform2", false, ARGS("name:s", "uri:s", "flags:a", "bandwidth:i", "downtime:i", \
	  "parallel:i"), \
	  ARGS("name", "uri"), ferry_cmd_migrate_perform2 }, \
	{ "migrate-finish2", false, ARGS("name:s", "flags:a", "retcode:i"), ARGS("name"), \
	  ferry_cmd_migrate_finish2 }, \
	{ "domain-job-info", true, ARGS("name:s", "completed:b"), ARGS("name"), ferry_cmd_job_info }, \
	{ "domain-job-abort", false, ARGS("name:s"), ARGS("name"), ferry_cmd_job_abort }, \
	{ "migrate-set-speed", false, ARGS("name:s", "bandwidth:i"), ARGS("name", "bandwidth"), \
	  ferry_cmd_set_speed }, \
	{ "migrate-set-downtime", false, ARGS("name:s", "downtime:i"), ARGS("name", "downtime"), \
	  ferry_cmd_set_downtime },

/* migrate.c: what both sides share */

/* Whether this broker speaks protocol @version (ferryd.conf: migration_protocols). */
bool ferry_migrate_speaks(const struct ferry_daemon *d, int version);

/* @a's "flags" list into @flags; false after answering @c why not. */
bool ferry_migrate_flags_arg(struct ferry_client *c, struct json_object *a, unsigned *flags);

/*
 * @a's "parallel" (default 2) when @flags has parallel, else 0; false
 * after answering @c that it is out of range.
 */
bool ferry_migrate_parallel_arg(struct ferry_client *c, struct json_object *a, unsigned flags,
				unsigned *n);

/* Refuse a URI QEMU must never be handed: only tcp: and unix: (never exec:). */
int ferry_migrate_check_uri(const char *uri, char *err, size_t errlen);

/* A cookie about @dom from this host. */
void ferry_migrate_cookie_base(struct ferry_daemon *d, struct ferry_domain *dom,
			       struct ferry_cookie *ck);
/* Add "cookie": XML to @ret. Return 0 or -errno. */
int ferry_migrate_cookie_put(const struct ferry_cookie *ck, struct json_object *ret);
/*
 * ferry_migrate_cookie_get - parse the peer's cookie and check it is from
 * another host and about @name/@uuid. Return 0 or -errno with @err.
 */
int ferry_migrate_cookie_get(struct ferry_daemon *d, const char *text, const char *name,
			     const uint8_t uuid[16], struct ferry_cookie *ck,
			     char *err, size_t errlen);
void ferry_migrate_stats_to_cookie(const struct ferry_migration_stats *s, struct ferry_cookie *ck);
void ferry_migrate_stats_from_cookie(const struct ferry_cookie *ck, struct ferry_migration_stats *s);

/* QEMU's side, through ferry-monitor. Each returns 0 (@cb will run) or -errno. */
int ferry_migrate_set_params(struct ferry_vm *vm, uint64_t bandwidth_mib, uint64_t downtime_ms,
			     ferry_vm_mon_cb cb, void *data);
/* QEMU's multifd capability on, with @channels channels (then @cb). */
int ferry_migrate_set_multifd(struct ferry_vm *vm, unsigned channels, ferry_vm_mon_cb cb, void *data);
int ferry_migrate_start(struct ferry_vm *vm, const char *uri, ferry_vm_mon_cb cb, void *data);
int ferry_migrate_incoming(struct ferry_vm *vm, const char *uri, ferry_vm_mon_cb cb, void *data);
int ferry_migrate_query(struct ferry_vm *vm, ferry_vm_mon_cb cb, void *data);
int ferry_migrate_cancel(struct ferry_vm *vm, ferry_vm_mon_cb cb, void *data);
int ferry_migrate_simple(struct ferry_vm *vm, uint32_t cmd, ferry_vm_mon_cb cb, void *data);
/* query-migrate's answer into @s (elapsed time and status included). */
void ferry_migrate_stats_read(const struct ferry_mon_result *res, struct ferry_migration_stats *s);

/* Progress for whoever listens: a MIGRATION_PROGRESS event. */
void ferry_migrate_progress_event(struct ferry_daemon *d, struct ferry_domain *dom);

/* A periodic timer on the loop (timerfd, under a second); stop with ferry_migrate_timer_stop. */
int ferry_migrate_timer_start(struct ferry_daemon *d, int *fd, unsigned interval_ms,
			      ferry_loop_cb cb, void *data);
void ferry_migrate_timer_stop(struct ferry_daemon *d, int *fd);

/*
 * migrate-out.c, the source's steps for whoever drives them (a client, or
 * migrate-p2p.c). Begin: start the job, return {"xml", "cookie"} or NULL
 * with @err. Perform: QEMU's migration to job->uri; Confirm: end the
 * source, or with @cancelled resume it. Their ends go to job->waiter, or
 * to ferry_p2p_step_done() when job->p2p is set.
 */
struct json_object *ferry_migrate_begin_local(struct ferry_daemon *d, struct ferry_domain *dom,
					      const char *xml_in, unsigned flags,
					      char *err, size_t errlen);
void ferry_migrate_perform_local(struct ferry_daemon *d, struct ferry_domain *dom,
				 struct ferry_client *c);
void ferry_migrate_confirm_local(struct ferry_daemon *d, struct ferry_domain *dom, bool cancelled);

/*
 * migrate-p2p.c: a Perform with the p2p flag: this broker drives the
 * destination broker at "dconnuri" itself.
 */
void ferry_migrate_p2p(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
		       unsigned flags);
/* A local step of a p2p migration ended: @ret its answer, or @error. */
void ferry_p2p_step_done(struct ferry_p2p *p2p, struct json_object *ret, const char *error);

/* migrate-in.c: give up on an incoming VM (killed; Finish answers @why). */
void ferry_migrate_in_abandon(struct ferry_domain *dom, const char *why);

/*
 * migrate-tunnel.c. Destination: a token, a helper for @nstreams streams
 * and QEMU's private socket (job->uri) for the incoming job of @dom.
 * Source: the same for the job migrating @dom out, with @data_fds (taken)
 * already attached to the peer. Both return 0 or -errno with @err.
 */
int ferry_migrate_tunnel_in(struct ferry_daemon *d, struct ferry_domain *dom, unsigned nstreams,
			    char *err, size_t errlen);
int ferry_migrate_tunnel_out(struct ferry_daemon *d, struct ferry_domain *dom, const int *data_fds,
			     unsigned n, char *err, size_t errlen);
void ferry_cmd_tunnel_attach(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a);

/* migrate-out.c: the client driving @dom's migration out is gone. */
void ferry_migrate_out_orphaned(struct ferry_daemon *d, struct ferry_domain *dom);

/* The client closed: end what it owned (autodestroy of incoming VMs). */
void ferry_migrate_client_gone(struct ferry_daemon *d, struct ferry_client *c);

#endif

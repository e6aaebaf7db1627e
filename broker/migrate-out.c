/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate-out.c - the source side of a migration.
 *
 * v3: Begin (job migration-out, phase begin3; the XML and a cookie go to
 * the destination), Perform (phase perform3, written before QEMU's migrate
 * starts; the source ends paused in perform3_done), Confirm (confirm3:
 * QEMU is ended, the VM now lives on the destination; or
 * confirm3_cancelled: the source runs on). v2: Perform2 alone, which ends
 * the source itself when the migration completes.
 *
 * The source is never killed before Confirm says the destination runs,
 * and a failed or cancelled migration leaves it running as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/abi.h"
#include "hv/domain.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "tunnel.h"
#include "util.h"

/* After QEMU says "completed", read again this often for its timings to appear. */
#define SETTLE_TRIES 25

/* A step's end goes to the client waiting on it, or to the peer-to-peer driver. */
static void answer(struct ferry_job *job, struct json_object *ret)
{
	struct ferry_client *c = job->waiter;

	if (job->p2p) {
		ferry_p2p_step_done(job->p2p, ret, NULL);
		json_object_put(ret);
		return;
	}
	job->waiter = NULL;
	if (!c) {
		json_object_put(ret);
		return;
	}
	ferry_client_return(c, ret);
	ferry_client_unref(c);
}

static void answer_error(struct ferry_job *job, const char *cls, const char *msg)
{
	struct ferry_client *c = job->waiter;

	if (job->p2p) {
		ferry_p2p_step_done(job->p2p, NULL, msg);
		return;
	}
	job->waiter = NULL;
	if (!c)
		return;
	ferry_client_error(c, cls, "%s", msg);
	ferry_client_unref(c);
}

/* The XML to send: the caller's destination XML, if ABI-compatible, or ours. */
static int begin_xml(struct ferry_domain *dom, const char *xml_in, char **xml_out,
		     char *err, size_t errlen)
{
	struct ferry_domain_def *dst = NULL;
	int r;

	if (!xml_in)
		return ferry_domain_format(dom->def, xml_out);
	r = ferry_domain_parse(xml_in, strlen(xml_in), &dst, err, errlen);
	if (r == 0)
		r = ferry_domain_abi_check(dom->def, dst, err, errlen);
	if (r == 0)
		r = ferry_domain_format(dst, xml_out);
	ferry_domain_free(dst);
	return r;
}

struct json_object *ferry_migrate_begin_local(struct ferry_daemon *d, struct ferry_domain *dom,
					      const char *xml_in, unsigned flags,
					      char *err, size_t errlen)
{
	struct ferry_cookie ck;
	struct ferry_job *job;
	struct json_object *ret;
	char *xml = NULL;
	char why[900];

	if (begin_xml(dom, xml_in, &xml, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "destination XML: %s", why);
		return NULL;
	}
	job = ferry_job_start(d, dom, FERRY_JOB_MIGRATION_OUT, FERRY_PHASE_BEGIN3, flags);
	if (!job) {
		free(xml);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	job->protocol = 3;
	job->was_running = dom->state == FERRY_DOM_RUNNING;
	ferry_migrate_cookie_base(d, dom, &ck);
	ret = json_object_new_object();
	json_object_object_add(ret, "xml", json_object_new_string(xml));
	free(xml);
	if (ferry_migrate_cookie_put(&ck, ret) < 0) {
		json_object_put(ret);
		ferry_job_end(d, dom);
		snprintf(err, errlen, "cannot write the cookie");
		return NULL;
	}
	return ret;
}

void ferry_cmd_migrate_begin(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom;
	struct json_object *ret;
	char err[1024];
	unsigned flags;

	if (!ferry_migrate_speaks(d, 3)) {
		ferry_client_error(c, "CommandNotFound", "this broker speaks migration protocol 2 only");
		return;
	}
	if (!ferry_migrate_flags_arg(c, a, &flags))
		return;
	if (!(dom = ferry_cmd_running_domain(d, c, a)))
		return;
	ret = ferry_migrate_begin_local(d, dom, ferry_arg_str(a, "xml"), flags, err, sizeof(err));
	if (!ret) {
		ferry_client_error(c, strncmp(err, "destination", 11) ? "InternalError" : "InvalidArgument",
				   "%s", err);
		return;
	}
	dom->job->owner = c;
	ferry_client_return(c, ret);
}

static void perform_failed(struct ferry_daemon *d, struct ferry_domain *dom, const char *why);
static void confirm_cancelled(struct ferry_daemon *d, struct ferry_domain *dom);

/* A QEMU step of Perform answered with @error: the migration fails with it. */
static bool step_failed(struct ferry_domain *dom, const char *step, const char *error)
{
	char why[512];

	if (!error)
		return false;
	snprintf(why, sizeof(why), "%s: %s", step, error);
	perform_failed(dom->job->d, dom, why);
	return true;
}

static void stop_polling(struct ferry_daemon *d, struct ferry_job *job)
{
	ferry_migrate_timer_stop(d, &job->timer_fd);
}

/* v2: the source is ended by Perform itself once the destination has it. */
static void perform2_killed(struct ferry_vm *vm, const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_daemon *d = dom->job->d;
	char err[256];

	if (dom->job->flags & FERRY_MIGRATE_UNDEFINE_SOURCE && dom->persistent)
		ferry_domain_undefine(d, dom, err, sizeof(err));
	answer(dom->job, NULL);
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

static void perform_succeeded(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;
	struct ferry_cookie ck;
	struct json_object *ret;

	stop_polling(d, job);
	log_dom(FERRY_LOG_INFO, dom->def->name, "migration completed in %" PRIu64 " ms, downtime %"
		PRIu64 " ms", job->stats.total_time_ms, job->stats.downtime_ms);
	if (job->protocol == 2) {
		if (!dom->vm || ferry_vm_kill(dom->vm, "migrated", perform2_killed, dom) < 0)
			perform2_killed(dom->vm, NULL, dom);
		return;
	}
	ferry_job_set_phase(d, dom, FERRY_PHASE_PERFORM3_DONE);
	ferry_domain_set_state(d, dom, FERRY_DOM_PAUSED, "migration");
	ferry_migrate_cookie_base(d, dom, &ck);
	ferry_migrate_stats_to_cookie(&job->stats, &ck);
	ret = json_object_new_object();
	ferry_migrate_cookie_put(&ck, ret);
	answer(job, ret);
}

static void on_query(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		     void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	struct ferry_daemon *d = job->d;
	struct ferry_migration_stats *s = &job->stats;
	char why[512];

	job->query_pending = false;
	if (step_failed(dom, "query-migrate", error))
		return;
	ferry_migrate_stats_read(res, s);
	s->elapsed_ms = (ferry_now_ns() - job->started_ns) / 1000000u;
	ferry_migrate_progress_event(d, dom);
	if (strcmp(s->status, "completed") == 0) {
		/* QEMU 7.2 can say completed before it has filled in its timings. */
		if ((!s->have_total_time || !s->have_downtime) && job->settle_tries++ < SETTLE_TRIES)
			return;
		perform_succeeded(d, dom);
	} else if (strcmp(s->status, "failed") == 0 && !job->abort_requested) {
		snprintf(why, sizeof(why), "QEMU reports the migration failed%s%s",
			 s->error_desc[0] ? ": " : "", s->error_desc);
		perform_failed(d, dom, why);
	} else if (strcmp(s->status, "cancelled") == 0 || strcmp(s->status, "failed") == 0) {
		/* An abort closes a tunnel first: QEMU may see its socket go before the cancel. */
		perform_failed(d, dom, job->abort_requested ? "migration cancelled by domain-job-abort"
							    : "migration cancelled");
	}
}

static void on_poll(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	uint64_t n;
	int r;

	if (read(fd, &n, sizeof(n)) < 0 || job->query_pending)
		return;
	if (!dom->vm) {
		perform_failed(job->d, dom, "QEMU exited");
		return;
	}
	r = ferry_migrate_query(dom->vm, on_query, dom);
	if (r < 0)
		perform_failed(job->d, dom, "the monitor is gone");
	else
		job->query_pending = true;
}

static void on_migrate_started(struct ferry_vm *vm, const struct ferry_mon_result *res,
			       const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	int r;

	if (step_failed(dom, "migrate", error))
		return;
	r = ferry_migrate_timer_start(job->d, &job->timer_fd, FERRY_MIGRATE_POLL_MS, on_poll, dom);
	if (r < 0)
		perform_failed(job->d, dom, "cannot start polling the migration");
}

static void on_params_set(struct ferry_vm *vm, const struct ferry_mon_result *res,
			  const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;

	if (step_failed(dom, "migrate-set-parameters", error))
		return;
	ferry_job_set_phase(job->d, dom, job->protocol == 2 ? FERRY_PHASE_PERFORM2
							    : FERRY_PHASE_PERFORM3);
	log_dom(FERRY_LOG_INFO, dom->def->name, "migrating to %s", job->uri);
	if (ferry_migrate_start(vm, job->uri, on_migrate_started, dom) < 0)
		perform_failed(job->d, dom, "the monitor is gone");
}

static void on_multifd_set(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	/* A tunnel applies the cap itself; QEMU must then not cap below it. */
	uint64_t bw = job->tun ? 0 : job->bandwidth_mib;

	if (step_failed(dom, "multifd", error))
		return;
	if (ferry_migrate_set_params(vm, bw, job->downtime_ms, on_params_set, dom) < 0)
		perform_failed(job->d, dom, "the monitor is gone");
}

/* Multifd channels (with --parallel), then bandwidth and downtime. */
static int set_params(struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;

	if (job->parallel)
		return ferry_migrate_set_multifd(dom->vm, job->parallel, on_multifd_set, dom);
	on_multifd_set(dom->vm, NULL, NULL, dom);
	return 0;
}

/* Non-live: the vCPUs stop before the first page is sent. */
static void on_stopped_for_migration(struct ferry_vm *vm, const struct ferry_mon_result *res,
				     const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;

	if (step_failed(dom, "stopping the vCPUs", error))
		return;
	ferry_domain_set_state(job->d, dom, FERRY_DOM_PAUSED, "migration");
	if (set_params(dom) < 0)
		perform_failed(job->d, dom, "the monitor is gone");
}

void ferry_migrate_perform_local(struct ferry_daemon *d, struct ferry_domain *dom, struct ferry_client *c)
{
	struct ferry_job *job = dom->job;
	int r;

	if (c)
		ferry_client_ref(c);
	job->waiter = c;
	job->started_ns = ferry_now_ns();
	memset(&job->stats, 0, sizeof(job->stats));
	if (!(job->flags & FERRY_MIGRATE_LIVE) && dom->state == FERRY_DOM_RUNNING)
		r = ferry_migrate_simple(dom->vm, FERRY_MON_STOP, on_stopped_for_migration, dom);
	else
		r = set_params(dom);
	if (r < 0)
		perform_failed(d, dom, "the monitor is gone");
}

/* v2: the source runs on, as it ran before. */
static void perform2_resumed(struct ferry_vm *vm, const struct ferry_mon_result *res,
			     const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_daemon *d = dom->job->d;

	if (!error)
		ferry_domain_set_state(d, dom, FERRY_DOM_RUNNING, "unpaused");
	answer_error(dom->job, "GenericError", dom->job->error);
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

static void perform_failed(struct ferry_daemon *d, struct ferry_domain *dom, const char *why)
{
	struct ferry_job *job = dom->job;

	stop_polling(d, job);
	ferry_job_error(job, "migration of '%s' failed: %s", dom->def->name, why);
	log_dom(FERRY_LOG_ERR, dom->def->name, "%s", job->error);
	if (job->protocol == 3 && !job->orphaned) {
		/* Confirm (cancelled) resumes the source; the job waits for it. */
		answer_error(job, "GenericError", job->error);
		return;
	}
	if (job->protocol == 3) {
		/* Nobody is left to Confirm: the source runs on as it was. */
		answer_error(job, "GenericError", job->error);
		confirm_cancelled(d, dom);
		return;
	}
	if (dom->vm && job->was_running && dom->state == FERRY_DOM_PAUSED &&
	    ferry_migrate_simple(dom->vm, FERRY_MON_CONT, perform2_resumed, dom) == 0)
		return;
	perform2_resumed(dom->vm, NULL, "not resumed", dom);
}

/* bandwidth, downtime, uri: what Perform and Perform2 take alike. */
static bool perform_args(struct ferry_job *job, struct ferry_client *c, struct json_object *a)
{
	const char *uri = ferry_arg_str(a, "uri");
	char err[256];

	if (ferry_migrate_check_uri(uri, err, sizeof(err)) < 0) {
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return false;
	}
	if (!ferry_migrate_parallel_arg(c, a, job->flags, &job->parallel))
		return false;
	snprintf(job->uri, sizeof(job->uri), "%s", uri);
	job->bandwidth_mib = ferry_arg_u64(a, "bandwidth", job->bandwidth_mib);
	job->downtime_ms = ferry_arg_u64(a, "downtime", job->downtime_ms);
	return true;
}

/*
 * Perform's flags decide who drives: with p2p this broker drives the
 * destination itself (dconnuri); without it the client did Begin and
 * hands over the destination's cookie and URI.
 */
static bool perform_mode(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
			 unsigned *flags)
{
	if (!ferry_migrate_flags_arg(c, a, flags))
		return false;
	if ((*flags & FERRY_MIGRATE_TUNNELLED) && !(*flags & FERRY_MIGRATE_P2P)) {
		ferry_client_error(c, "InvalidArgument", "tunnelled migration needs p2p: the data "
				   "can only travel inside a connection this broker holds to the peer");
		return false;
	}
	if ((*flags & FERRY_MIGRATE_COMPRESSED) && !(*flags & FERRY_MIGRATE_TUNNELLED)) {
		ferry_client_error(c, "InvalidArgument", "compressed migration needs tunnelled: "
				   "ferry-compress works on the tunnel's streams");
		return false;
	}
	if (*flags & FERRY_MIGRATE_P2P) {
		if (!ferry_arg_str(a, "dconnuri")) {
			ferry_client_error(c, "InvalidArgument", "p2p migration needs 'dconnuri', "
					   "the destination broker's URI");
			return false;
		}
		return true;
	}
	if (!ferry_arg_str(a, "cookie") || !ferry_arg_str(a, "uri") || ferry_arg_str(a, "dconnuri")) {
		ferry_client_error(c, "InvalidArgument", "migrate-perform needs 'cookie' and 'uri' "
				   "from Prepare, and takes 'dconnuri' only with the p2p flag");
		return false;
	}
	return true;
}

void ferry_cmd_migrate_perform(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom;
	struct ferry_cookie ck;
	char err[1024];
	unsigned flags;

	if (!perform_mode(d, c, a, &flags))
		return;
	if (flags & FERRY_MIGRATE_P2P) {
		ferry_migrate_p2p(d, c, a, flags);
		return;
	}
	if (!(dom = ferry_cmd_domain(d, c, a)))
		return;
	if (!dom->job || dom->job->type != FERRY_JOB_MIGRATION_OUT ||
	    dom->job->phase != FERRY_PHASE_BEGIN3) {
		ferry_client_error(c, "OperationInvalid", "domain '%s': no migration begun (%s)",
				   dom->def->name, dom->job ? ferry_job_phase_name(dom->job->phase) : "no job");
		return;
	}
	if (!dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is no longer running", dom->def->name);
		return;
	}
	if (ferry_migrate_cookie_get(d, ferry_arg_str(a, "cookie"), dom->def->name, dom->def->uuid,
				     &ck, err, sizeof(err)) < 0) {
		ferry_job_error(dom->job, "%s", err);
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return;
	}
	snprintf(dom->job->peer_host, sizeof(dom->job->peer_host), "%s", ck.hostname);
	if (!perform_args(dom->job, c, a))
		return;
	/* QEMU 7.2's client_migrate_info relocates SPICE clients only: VNC ones are told here. */
	if (ck.features & FERRY_COOKIE_GRAPHICS)
		log_dom(FERRY_LOG_INFO, dom->def->name, "graphics relocation: VNC clients should "
			"reconnect to %s port %d on %s", ck.graphics.listen, ck.graphics.port, ck.hostname);
	dom->job->owner = c;
	ferry_migrate_perform_local(d, dom, c);
}

void ferry_cmd_migrate_perform2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom;
	struct ferry_job *job;
	unsigned flags;

	if (!ferry_migrate_flags_arg(c, a, &flags))
		return;
	if (!(dom = ferry_cmd_running_domain(d, c, a)))
		return;
	job = ferry_job_start(d, dom, FERRY_JOB_MIGRATION_OUT, FERRY_PHASE_PERFORM2, flags);
	if (!job) {
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	job->protocol = 2;
	job->owner = c;
	job->was_running = dom->state == FERRY_DOM_RUNNING;
	if (!perform_args(job, c, a)) {
		ferry_job_end(d, dom);
		return;
	}
	ferry_migrate_perform_local(d, dom, c);
}

static void confirm_killed(struct ferry_vm *vm, const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_daemon *d = dom->job->d;
	char err[256];

	if ((dom->job->flags & FERRY_MIGRATE_UNDEFINE_SOURCE) && dom->persistent &&
	    ferry_domain_undefine(d, dom, err, sizeof(err)) < 0)
		log_dom(FERRY_LOG_WARN, dom->def->name, "undefine after migration: %s", err);
	answer(dom->job, NULL);
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

static void confirm_resumed(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_daemon *d = dom->job->d;

	if (error) {
		char why[600];

		snprintf(why, sizeof(why), "domain '%s': resuming the source: %s", dom->def->name, error);
		answer_error(dom->job, "InternalError", why);
	} else {
		ferry_domain_set_state(d, dom, FERRY_DOM_RUNNING, "unpaused");
		answer(dom->job, NULL);
	}
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

/* The migration did not happen: the source runs on as it was. */
static void confirm_cancelled(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;

	ferry_job_set_phase(d, dom, FERRY_PHASE_CONFIRM3_CANCELLED);
	if (dom->vm && job->was_running && dom->state == FERRY_DOM_PAUSED &&
	    ferry_migrate_simple(dom->vm, FERRY_MON_CONT, confirm_resumed, dom) == 0)
		return;
	answer(job, NULL);
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

void ferry_cmd_migrate_confirm(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, a);
	bool cancelled = ferry_arg_bool(a, "cancelled");
	struct ferry_job *job;

	if (!dom)
		return;
	job = dom->job;
	if (!job || job->type != FERRY_JOB_MIGRATION_OUT || job->protocol != 3) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' has no migration to confirm",
				   dom->def->name);
		return;
	}
	if (job->timer_fd >= 0 || job->waiter || job->p2p) {
		ferry_client_error(c, "OperationInvalid", "domain '%s': the migration is still running: "
				   "abort it first", dom->def->name);
		return;
	}
	if (!cancelled && job->phase != FERRY_PHASE_PERFORM3_DONE) {
		ferry_client_error(c, "OperationInvalid", "domain '%s': the migration has not completed "
				   "(phase %s)", dom->def->name, ferry_job_phase_name(job->phase));
		return;
	}
	ferry_client_ref(c);
	job->waiter = c;
	job->owner = NULL;
	ferry_migrate_confirm_local(d, dom, cancelled);
}

void ferry_migrate_confirm_local(struct ferry_daemon *d, struct ferry_domain *dom, bool cancelled)
{
	if (cancelled) {
		confirm_cancelled(d, dom);
		return;
	}
	ferry_job_set_phase(d, dom, FERRY_PHASE_CONFIRM3);
	if (!dom->vm || ferry_vm_kill(dom->vm, "migrated", confirm_killed, dom) < 0)
		confirm_killed(dom->vm, NULL, dom);
}

static void on_cancel_sent(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct ferry_client *c = data;

	if (error)
		ferry_client_error(c, "GenericError", "migrate_cancel: %s", error);
	else
		ferry_client_return(c, NULL);
	ferry_client_unref(c);
}

static void cancel_qemu(struct ferry_domain *dom, struct ferry_client *c)
{
	if (!dom->vm || ferry_migrate_cancel(dom->vm, on_cancel_sent, c) < 0) {
		ferry_client_error(c, "InternalError", "domain '%s': the monitor is gone", dom->def->name);
		ferry_client_unref(c);
	}
}

struct abort_call {
	struct ferry_daemon *d;
	struct ferry_client *c;
	char name[256];
};

static void on_tunnel_closed(void *data)
{
	struct abort_call *ac = data;
	struct ferry_domain *dom = ferry_domain_lookup(ac->d, ac->name);

	if (dom)
		cancel_qemu(dom, ac->c);
	else
		on_cancel_sent(NULL, NULL, NULL, ac->c);
	free(ac);
}

void ferry_cmd_job_abort(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, a);
	struct ferry_job *job;

	if (!dom)
		return;
	job = dom->job;
	if (!job) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' has no job to abort", dom->def->name);
		return;
	}
	if (job->type != FERRY_JOB_MIGRATION_OUT || job->timer_fd < 0 || !dom->vm) {
		ferry_client_error(c, "OperationInvalid", "domain '%s': job %s in phase %s cannot be "
				   "aborted here%s", dom->def->name, ferry_job_type_name(job->type),
				   ferry_job_phase_name(job->phase),
				   job->type == FERRY_JOB_MIGRATION_IN ? ": abort it on the source" : "");
		return;
	}
	job->abort_requested = true;
	log_dom(FERRY_LOG_INFO, dom->def->name, "aborting the migration");
	ferry_client_ref(c);
	if (job->tun && job->tun->t) {
		/* The tunnel's sockets close first, then QEMU is told. */
		struct abort_call *ac = calloc(1, sizeof(*ac));

		if (ac) {
			ac->d = d;
			ac->c = c;
			snprintf(ac->name, sizeof(ac->name), "%s", dom->def->name);
			ferry_tunnel_cancel(job->tun->t, on_tunnel_closed, ac);
			return;
		}
	}
	cancel_qemu(dom, c);
}

static void on_param_sent(struct ferry_vm *vm, const struct ferry_mon_result *res,
			  const char *error, void *data)
{
	struct ferry_client *c = data;

	if (error)
		ferry_client_error(c, "GenericError", "migrate-set-parameters: %s", error);
	else
		ferry_client_return(c, NULL);
	ferry_client_unref(c);
}

/*
 * Speed and downtime apply at once to a migration under way, and to QEMU
 * for the next one otherwise; a job remembers them for its Perform.
 */
static void set_param(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
		      bool speed)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, a);
	uint64_t v = ferry_arg_u64(a, speed ? "bandwidth" : "downtime", 0);
	char why[512];

	if (!dom)
		return;
	if (!dom->vm || !ferry_vm_monitor_ok(dom->vm, why, sizeof(why))) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' is not running", dom->def->name);
		return;
	}
	if (dom->job && speed)
		dom->job->bandwidth_mib = v;
	else if (dom->job)
		dom->job->downtime_ms = v;
	if (speed && dom->job && dom->job->tun && dom->job->tun->t) {
		/* Tunnelled: the tunnel holds the cap; QEMU stays uncapped. */
		if (ferry_tunnel_set_rate(dom->job->tun->t, v << 20) < 0)
			ferry_client_error(c, "InternalError", "domain '%s': the tunnel is gone",
					   dom->def->name);
		else
			ferry_client_return(c, NULL);
		return;
	}
	ferry_client_ref(c);
	if (ferry_migrate_set_params(dom->vm, speed ? v : UINT64_MAX, speed ? UINT64_MAX : v,
				     on_param_sent, c) < 0) {
		ferry_client_error(c, "InternalError", "domain '%s': the monitor is gone", dom->def->name);
		ferry_client_unref(c);
	}
}

void ferry_cmd_set_speed(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	set_param(d, c, a, true);
}

void ferry_cmd_set_downtime(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	set_param(d, c, a, false);
}

void ferry_cmd_job_info(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, a);
	struct json_object *ret;

	if (!dom)
		return;
	if (ferry_arg_bool(a, "completed")) {
		if (!dom->have_last_stats) {
			ferry_client_error(c, "OperationInvalid", "domain '%s' has no completed job",
					   dom->def->name);
			return;
		}
		ret = ferry_stats_json(&dom->last_stats);
		json_object_object_add(ret, "type", json_object_new_string("completed"));
		ferry_client_return(c, ret);
		return;
	}
	if (!dom->job) {
		ret = json_object_new_object();
		json_object_object_add(ret, "type", json_object_new_string("none"));
		ferry_client_return(c, ret);
		return;
	}
	ret = ferry_stats_json(&dom->job->stats);
	if (dom->job->tun && dom->job->tun->t)
		json_object_object_add(ret, "tunnel_bytes",
				       json_object_new_int64((int64_t)ferry_tunnel_bytes(dom->job->tun->t)));
	json_object_object_add(ret, "type", json_object_new_string(ferry_job_type_name(dom->job->type)));
	json_object_object_add(ret, "phase",
			       json_object_new_string(ferry_job_phase_name(dom->job->phase)));
	ferry_client_return(c, ret);
}

/*
 * The client driving a migration out is gone. Before Perform nothing has
 * happened; during it the migration is cancelled and the source resumed
 * (nobody would Confirm); after it the source stays paused, since the
 * destination may already run the guest: only a Confirm may decide.
 */
void ferry_migrate_out_orphaned(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;

	job->owner = NULL;
	job->orphaned = true;
	if (job->phase == FERRY_PHASE_BEGIN3) {
		log_dom(FERRY_LOG_INFO, dom->def->name, "the client that began the migration is gone");
		ferry_job_end(d, dom);
	} else if (job->timer_fd >= 0 && dom->vm) {
		log_dom(FERRY_LOG_WARN, dom->def->name, "the client driving the migration is gone: "
			"cancelling it");
		job->abort_requested = true;
		if (ferry_migrate_cancel(dom->vm, NULL, NULL) < 0)
			perform_failed(d, dom, "its client is gone");
	} else if (job->phase == FERRY_PHASE_PERFORM3 && !job->waiter) {
		confirm_cancelled(d, dom);
	} else {
		log_dom(FERRY_LOG_WARN, dom->def->name, "the client driving the migration is gone in "
			"phase %s: the source waits, paused, for a Confirm",
			ferry_job_phase_name(job->phase));
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate-in.c - the destination side of a migration.
 *
 * Prepare (job migration-in, phase prepare, written first) starts QEMU
 * with -incoming defer, paused, and has it listen on a port of the
 * configured range; the VM belongs to the client that prepared it, and if
 * that client goes before Finish the VM is destroyed (autodestroy).
 * Finish (finish3 or finish2) waits for the incoming stream to complete,
 * resumes the vCPUs unless asked not to, and answers with the domain; if
 * they cannot run, QEMU is killed and that error is the answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv/domain.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "util.h"

/* How long Finish waits for the last bytes after Perform said it sent them. */
#define FINISH_WAIT_MS 60000

static void answer_done(struct ferry_job *job, struct json_object *ret, const char *error)
{
	struct ferry_client *c = job->waiter;

	job->waiter = NULL;
	if (!c) {
		json_object_put(ret);
		return;
	}
	if (error) {
		json_object_put(ret);
		ferry_client_error(c, "GenericError", "%s", error);
	} else {
		ferry_client_return(c, ret);
	}
	ferry_client_unref(c);
}

/* End the incoming job; the domain goes if it was only ever the migration's. */
static void incoming_over(struct ferry_daemon *d, struct ferry_domain *dom)
{
	ferry_job_end(d, dom);
	ferry_domain_stopped(d, dom);
}

static void incoming_killed(struct ferry_vm *vm, const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;

	answer_done(job, NULL, job->error[0] ? job->error : NULL);
	incoming_over(job->d, dom);
}

/* Give up on the incoming VM: kill it, then answer (with the first error, if any). */
static void incoming_abandon(struct ferry_domain *dom, const char *why)
{
	struct ferry_job *job = dom->job;

	ferry_migrate_timer_stop(job->d, &job->timer_fd);
	if (job->abandoning) {
		/* QEMU is being ended already: its end answers whoever waits by then. */
		if (why)
			ferry_job_error(job, "incoming migration of '%s': %s", dom->def->name, why);
		return;
	}
	job->abandoning = true;
	if (why) {
		struct json_object *ev = json_object_new_object();

		ferry_job_error(job, "incoming migration of '%s': %s", dom->def->name, why);
		log_dom(FERRY_LOG_ERR, dom->def->name, "%s", job->error);
		/* The source may learn why only this way: the domain is gone before its Finish. */
		json_object_object_add(ev, "name", json_object_new_string(dom->def->name));
		json_object_object_add(ev, "error", json_object_new_string(job->error));
		ferry_server_event(&job->d->srv, "MIGRATION_FAILED", ev);
	}
	if (!dom->vm || ferry_vm_kill(dom->vm, "destroyed", incoming_killed, dom) < 0)
		incoming_killed(dom->vm, NULL, dom);
}

void ferry_migrate_in_abandon(struct ferry_domain *dom, const char *why)
{
	incoming_abandon(dom, why);
}

/* A free port of the range on the migration address; 0 when none is. */
static unsigned pick_port(struct ferry_daemon *d)
{
	const struct ferry_config *cfg = &d->cfg;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	if (inet_pton(AF_INET, cfg->migration_address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, cfg->migration_address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		len = sizeof(*in6);
	} else {
		return 0;
	}
	for (unsigned port = cfg->migration_port_min; port <= cfg->migration_port_max; port++) {
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r;

		if (fd < 0)
			return 0;
		if (ss.ss_family == AF_INET)
			in4->sin_port = htons((uint16_t)port);
		else
			in6->sin6_port = htons((uint16_t)port);
		r = bind(fd, (struct sockaddr *)&ss, len);
		close(fd);
		if (r == 0)
			return port;
	}
	return 0;
}

/*
 * Where the guest's display will be once it runs here, for the source to
 * pass on to connected VNC clients (graphics relocation).
 */
static void graphics_relocation(struct ferry_domain *dom, struct ferry_vm *vm, struct ferry_cookie *ck)
{
	const struct ferry_graphics *g = &dom->def->graphics;
	int port = ferry_vm_vnc_port(vm);

	if (!g->present || port <= 0)
		return;
	ck->features |= FERRY_COOKIE_GRAPHICS;
	ck->graphics.type = FERRY_COOKIE_VNC;
	ck->graphics.port = port;
	snprintf(ck->graphics.listen, sizeof(ck->graphics.listen), "%s",
		 g->listen ? g->listen : "127.0.0.1");
}

static void on_incoming_listening(struct ferry_vm *vm, const struct ferry_mon_result *res,
				  const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	struct json_object *ret;
	struct ferry_cookie ck;
	char why[600];

	if (error) {
		snprintf(why, sizeof(why), "migrate-incoming: %s", error);
		incoming_abandon(dom, why);
		return;
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "waiting for the migration on %s", job->uri);
	ret = json_object_new_object();
	json_object_object_add(ret, "uri", json_object_new_string(job->uri));
	if (job->protocol == 3) {
		ferry_migrate_cookie_base(job->d, dom, &ck);
		graphics_relocation(dom, vm, &ck);
		if (job->tun) {
			ck.features |= FERRY_COOKIE_TOKEN;
			snprintf(ck.token, sizeof(ck.token), "%s", job->tun->token);
		}
		ferry_migrate_cookie_put(&ck, ret);
	}
	answer_done(job, ret, NULL);
}

/* With --parallel, QEMU must expect multifd channels before it listens. */
static void on_multifd_set(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct ferry_domain *dom = data;
	char why[600];

	if (error) {
		snprintf(why, sizeof(why), "multifd: %s", error);
		incoming_abandon(dom, why);
		return;
	}
	if (ferry_migrate_incoming(vm, dom->job->uri, on_incoming_listening, dom) < 0)
		incoming_abandon(dom, "the monitor is gone");
}

static void on_incoming_started(struct ferry_vm *vm, const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;

	if (error) {
		ferry_job_error(job, "%s", error);
		answer_done(job, NULL, job->error);
		/* QEMU is gone or going: once it is, the domain goes too if it was transient. */
		ferry_job_end(job->d, dom);
		return;
	}
	if (job->parallel) {
		if (ferry_migrate_set_multifd(vm, job->parallel, on_multifd_set, dom) < 0)
			incoming_abandon(dom, "the monitor is gone");
		return;
	}
	on_multifd_set(vm, NULL, NULL, dom);
}

/* Prepare and Prepare2: what the destination does before any byte arrives. */
static void prepare(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
		    int protocol)
{
	struct ferry_vm_start_opts o = { .incoming = "defer", .done = on_incoming_started };
	struct json_object *flags_arg = NULL;
	struct ferry_domain_def *def = NULL;
	const char *xml = ferry_arg_str(a, "xml");
	struct ferry_domain *dom;
	struct ferry_cookie ck;
	struct ferry_job *job;
	char err[1024];
	unsigned flags, port, parallel;

	json_object_object_get_ex(a, "flags", &flags_arg);
	if (ferry_migrate_flags_parse(flags_arg, &flags, err, sizeof(err)) < 0 ||
	    ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err)) < 0) {
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return;
	}
	if (protocol == 3 && ferry_migrate_cookie_get(d, ferry_arg_str(a, "cookie"), def->name,
						      def->uuid, &ck, err, sizeof(err)) < 0) {
		ferry_domain_free(def);
		ferry_client_error(c, "InvalidArgument", "%s", err);
		return;
	}
	if (!ferry_migrate_parallel_arg(c, a, flags, &parallel)) {
		ferry_domain_free(def);
		return;
	}
	if ((flags & FERRY_MIGRATE_TUNNELLED) && protocol != 3) {
		ferry_domain_free(def);
		ferry_client_error(c, "InvalidArgument", "tunnelled migration needs protocol v3: "
				   "its token travels in Prepare's cookie");
		return;
	}
	port = flags & FERRY_MIGRATE_TUNNELLED ? 1 : pick_port(d);
	if (!port) {
		ferry_domain_free(def);
		ferry_client_error(c, "OperationInvalid", "no free migration port in %u-%u on %s",
				   d->cfg.migration_port_min, d->cfg.migration_port_max,
				   d->cfg.migration_address);
		return;
	}
	dom = ferry_domain_incoming(d, def, err, sizeof(err));
	if (!dom) {
		ferry_domain_free(def);
		ferry_client_error(c, "OperationInvalid", "%s", err);
		return;
	}
	job = ferry_job_start(d, dom, FERRY_JOB_MIGRATION_IN, FERRY_PHASE_PREPARE, flags);
	if (!job) {
		ferry_client_error(c, "InternalError", "out of memory");
		ferry_domain_stopped(d, dom);
		return;
	}
	job->protocol = protocol;
	job->owner = c;
	if (protocol == 3)
		snprintf(job->peer_host, sizeof(job->peer_host), "%s", ck.hostname);
	job->parallel = parallel;
	if ((flags & FERRY_MIGRATE_TUNNELLED) &&
	    ferry_migrate_tunnel_in(d, dom, 1 + job->parallel, err, sizeof(err)) < 0) {
		ferry_client_error(c, "InternalError", "tunnel: %s", err);
		ferry_job_end(d, dom);
		ferry_domain_stopped(d, dom);
		return;
	}
	/* IPv6 literals need brackets in a URI. */
	if (!job->tun)
		snprintf(job->uri, sizeof(job->uri), strchr(d->cfg.migration_address, ':') ?
			 "tcp:[%s]:%u" : "tcp:%s:%u", d->cfg.migration_address, port);
	ferry_client_ref(c);
	job->waiter = c;
	o.data = dom;
	/* From here the callbacks own the domain: it may be gone when this returns. */
	ferry_vm_start(d, dom, &o);
}

void ferry_cmd_migrate_prepare(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	if (!ferry_migrate_speaks(d, 3)) {
		ferry_client_error(c, "CommandNotFound", "this broker speaks migration protocol 2 only");
		return;
	}
	prepare(d, c, a, 3);
}

void ferry_cmd_migrate_prepare2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	if (!ferry_migrate_speaks(d, 2)) {
		ferry_client_error(c, "CommandNotFound", "this broker does not speak migration protocol 2");
		return;
	}
	prepare(d, c, a, 2);
}

/* The domain runs here now: answer Finish with it. */
static void finish_done(struct ferry_daemon *d, struct ferry_domain *dom)
{
	struct ferry_job *job = dom->job;
	struct json_object *ret = json_object_new_object();
	struct ferry_cookie ck;
	char err[512], uuid[FERRY_UUID_STRLEN];

	if ((job->flags & FERRY_MIGRATE_PERSIST_DEST) && ferry_domain_persist(d, dom, err, sizeof(err)) < 0)
		log_dom(FERRY_LOG_WARN, dom->def->name, "persist-dest: %s", err);
	if (job->protocol == 3) {
		ferry_migrate_cookie_base(d, dom, &ck);
		if (job->cookie_in)
			ferry_migrate_stats_from_cookie(job->cookie_in, &job->stats);
		if (job->stats.status[0])
			ferry_migrate_stats_to_cookie(&job->stats, &ck);
		ferry_migrate_cookie_put(&ck, ret);
	}
	/* Finish answers with the domain, never "success" without one. */
	ferry_uuid_format(dom->def->uuid, uuid);
	json_object_object_add(ret, "name", json_object_new_string(dom->def->name));
	json_object_object_add(ret, "uuid", json_object_new_string(uuid));
	json_object_object_add(ret, "state", json_object_new_string(ferry_dom_state_name(dom->state)));
	log_dom(FERRY_LOG_INFO, dom->def->name, "incoming migration complete: %s",
		dom->state == FERRY_DOM_RUNNING ? "running" : "paused");
	job->owner = NULL;
	answer_done(job, ret, NULL);
	ferry_job_end(d, dom);
}

static void on_finish_cont(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct ferry_domain *dom = data;
	char why[600];

	if (error) {
		/* It cannot run here: kill it, and that is Finish's error. */
		snprintf(why, sizeof(why), "resuming the vCPUs on the destination: %s", error);
		incoming_abandon(dom, why);
		return;
	}
	ferry_domain_set_state(dom->job->d, dom, FERRY_DOM_RUNNING, "migrated");
	finish_done(dom->job->d, dom);
}

static void on_finish_query(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	struct ferry_migration_stats s = { 0 };
	char why[600];

	job->query_pending = false;
	if (error) {
		snprintf(why, sizeof(why), "query-migrate: %s", error);
		incoming_abandon(dom, why);
		return;
	}
	ferry_migrate_stats_read(res, &s);
	if (strcmp(s.status, "failed") == 0) {
		snprintf(why, sizeof(why), "QEMU reports it failed%s%s", s.error_desc[0] ? ": " : "",
			 s.error_desc);
		incoming_abandon(dom, why);
		return;
	}
	if (strcmp(s.status, "completed") != 0)
		return;
	ferry_migrate_timer_stop(job->d, &job->timer_fd);
	if (job->flags & FERRY_MIGRATE_PAUSED)
		finish_done(job->d, dom);
	else if (ferry_migrate_simple(vm, FERRY_MON_CONT, on_finish_cont, dom) < 0)
		incoming_abandon(dom, "the monitor is gone");
}

static void on_finish_poll(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 || job->query_pending)
		return;
	if (!dom->vm) {
		incoming_abandon(dom, "QEMU exited");
		return;
	}
	if (ferry_now_ns() - job->started_ns > FINISH_WAIT_MS * 1000000ull) {
		incoming_abandon(dom, "the stream did not complete within 60 s of Finish");
		return;
	}
	if (ferry_migrate_query(dom->vm, on_finish_query, dom) < 0)
		incoming_abandon(dom, "the monitor is gone");
	else
		job->query_pending = true;
}

static void finish(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
		   int protocol)
{
	struct ferry_domain *dom = ferry_cmd_domain(d, c, a);
	struct ferry_job *job;
	bool cancelled;
	char err[1024];

	if (!dom)
		return;
	job = dom->job;
	if (!job || job->type != FERRY_JOB_MIGRATION_IN || job->phase != FERRY_PHASE_PREPARE ||
	    job->protocol != protocol || job->waiter) {
		ferry_client_error(c, "OperationInvalid", "domain '%s' has no prepared v%d migration "
				   "to finish", dom->def->name, protocol);
		return;
	}
	cancelled = protocol == 3 ? ferry_arg_bool(a, "cancelled") : ferry_arg_u64(a, "retcode", 0) != 0;
	ferry_client_ref(c);
	job->waiter = c;
	ferry_job_set_phase(d, dom, protocol == 3 ? FERRY_PHASE_FINISH3 : FERRY_PHASE_FINISH2);
	if (cancelled) {
		log_dom(FERRY_LOG_INFO, dom->def->name, "incoming migration cancelled by the client");
		incoming_abandon(dom, NULL);
		return;
	}
	if (protocol == 3) {
		job->cookie_in = calloc(1, sizeof(*job->cookie_in));
		if (!job->cookie_in ||
		    ferry_migrate_cookie_get(d, ferry_arg_str(a, "cookie"), dom->def->name,
					     dom->def->uuid, job->cookie_in, err, sizeof(err)) < 0) {
			incoming_abandon(dom, job->cookie_in ? err : "out of memory");
			return;
		}
	}
	job->started_ns = ferry_now_ns();
	if (!dom->vm || ferry_migrate_timer_start(d, &job->timer_fd, FERRY_MIGRATE_POLL_MS / 4,
						  on_finish_poll, dom) < 0)
		incoming_abandon(dom, dom->vm ? "cannot poll the incoming migration" : "QEMU exited");
}

void ferry_cmd_migrate_finish(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	finish(d, c, a, 3);
}

void ferry_cmd_migrate_finish2(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	finish(d, c, a, 2);
}

void ferry_migrate_client_gone(struct ferry_daemon *d, struct ferry_client *c)
{
	struct ferry_domain *next;

	for (struct ferry_domain *dom = d->domains; dom; dom = next) {
		struct ferry_job *job = dom->job;

		next = dom->next;
		if (!job || job->owner != c)
			continue;
		job->owner = NULL;
		if (job->type == FERRY_JOB_MIGRATION_IN) {
			log_dom(FERRY_LOG_WARN, dom->def->name, "the client that prepared it is gone: "
				"destroying the incoming VM");
			ferry_job_error(job, "incoming migration of '%s': the client that prepared it "
					"disconnected", dom->def->name);
			incoming_abandon(dom, NULL);
		} else {
			ferry_migrate_out_orphaned(d, dom);
		}
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate-p2p.c - peer-to-peer migration: the client calls Perform on the
 * source alone, and this broker drives the destination broker itself,
 * with its own credentials, over a connection of its own (broker/peer.c).
 *
 * v3: Begin (here) -> Prepare (peer) -> Perform (here) -> Finish (peer)
 * -> Confirm (here). A peer that answers migrate-prepare with
 * CommandNotFound speaks v2 only: Prepare2 and Finish2 are used instead,
 * and this side still keeps the source paused until Finish2 has answered,
 * then ends it (or resumes it if the destination failed).
 *
 * The first error wins and is the client's answer. One case keeps the
 * source paused instead of resuming it: the destination was sent Finish
 * and its answer never came, so it may run the guest already; only an
 * explicit Confirm may then decide which copy lives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "migrate.h"
#include "peer.h"
#include "tunnel.h"
#include "util.h"

/* Prepare starts QEMU on the peer; Finish waits for the stream's last bytes. */
#define PREPARE_TIMEOUT_MS 60000u
#define FINISH_TIMEOUT_MS 90000u

enum p2p_step {
	P2P_PREPARE,
	P2P_PERFORM,
	P2P_FINISH,
	P2P_CONFIRM,
};

struct ferry_p2p {
	struct ferry_daemon *d;
	struct ferry_domain *dom;
	struct ferry_client *client;	/* answered at the end; may be gone by then */
	struct ferry_peer_conn *peer;
	enum p2p_step step;
	int protocol;			/* the peer's: 3, or 2 after a fallback */
	unsigned flags;
	char *xml;			/* Begin's, for Prepare2 after a fallback */
	char *cookie;			/* Begin's, then Perform's */
	char *data_uri;			/* the client's override of Prepare's URI */
	unsigned parallel;		/* QEMU's multifd channels; 0: none */
	bool performed;			/* the data is across: the source stays paused */
	char peer_error[512];		/* the destination's own account of a failure */
	/* Tunnelled: one more connection to the peer per stream. */
	char *dconnuri;
	char token[65];
	unsigned nstreams, nattached;
	struct ferry_peer_conn *data[FERRY_TUNNEL_MAX_STREAMS];
	int data_fd[FERRY_TUNNEL_MAX_STREAMS];
};

static void p2p_free(struct ferry_p2p *p)
{
	if (p->dom && p->dom->job && p->dom->job->p2p == p)
		p->dom->job->p2p = NULL;
	ferry_peer_close(p->peer);
	for (unsigned i = 0; i < FERRY_TUNNEL_MAX_STREAMS; i++) {
		ferry_peer_close(p->data[i]);
		if (p->data_fd[i] >= 0)
			close(p->data_fd[i]);
	}
	free(p->dconnuri);
	if (p->client)
		ferry_client_unref(p->client);
	free(p->xml);
	free(p->cookie);
	free(p->data_uri);
	free(p);
}

/*
 * Answer the client and let go; the job is over or left for a manual
 * Confirm. Success carries the transfer's statistics and the protocol
 * used, since the source domain may be gone by the time anyone asks.
 */
static void p2p_end(struct ferry_p2p *p, const char *error, const struct ferry_migration_stats *st)
{
	struct json_object *ret;

	if (error && p->peer_error[0]) {
		ferry_client_error(p->client, "GenericError", "%s (the destination says: %s)", error,
				   p->peer_error);
	} else if (error) {
		ferry_client_error(p->client, "GenericError", "%s", error);
	} else {
		ret = json_object_new_object();
		if (st)
			json_object_object_add(ret, "statistics", ferry_stats_json(st));
		json_object_object_add(ret, "protocol", json_object_new_int(p->protocol));
		ferry_client_return(p->client, ret);
	}
	p2p_free(p);
}

/* Nothing has happened to the source yet: end the job and say why. */
static void p2p_abandon(struct ferry_p2p *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void p2p_abandon(struct ferry_p2p *p, const char *fmt, ...)
{
	struct ferry_domain *dom;
	struct ferry_job *job = p->dom->job;
	char why[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ferry_job_error(job, "migration of '%s' failed: %s", p->dom->def->name, why);
	log_dom(FERRY_LOG_ERR, p->dom->def->name, "%s", job->error);
	ferry_client_error(p->client, "GenericError", "%s", job->error);
	job->p2p = NULL;
	dom = p->dom;
	p->dom = NULL;
	ferry_job_end(p->d, dom);
	/* A transient domain whose QEMU went meanwhile goes with the job. */
	ferry_domain_stopped(p->d, dom);
	p2p_free(p);
}

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void confirm(struct ferry_p2p *p, bool cancelled)
{
	p->step = P2P_CONFIRM;
	ferry_migrate_confirm_local(p->d, p->dom, cancelled);
}

static void on_finish(struct ferry_peer_conn *peer, struct json_object *ret, const char *cls,
		      const char *desc, void *data)
{
	struct ferry_p2p *p = data;
	struct ferry_job *job = p->dom->job;

	if (!cls) {
		confirm(p, !p->performed);
		return;
	}
	ferry_job_error(job, "migration of '%s' failed: Finish on %s: %s", p->dom->def->name,
			ferry_peer_name(peer), desc);
	if (!p->peer_error[0] && !strstr(job->error, desc))
		snprintf(p->peer_error, sizeof(p->peer_error), "%s", desc);
	log_dom(FERRY_LOG_ERR, p->dom->def->name, "%s", job->error);
	if (p->performed && strncmp(cls, "Peer", 4) == 0) {
		/* The answer is lost, not negative: the guest may run there already. */
		log_dom(FERRY_LOG_WARN, p->dom->def->name, "the source stays paused until a "
			"migrate-confirm says whether the destination runs it");
		job->orphaned = true;
		job->p2p = NULL;
		p2p_end(p, job->error, NULL);
		return;
	}
	confirm(p, true);
}

/* The destination gave up on its side: its reason joins ours in the answer. */
static void on_peer_event(struct ferry_peer_conn *peer, const char *name, struct json_object *data,
			  void *ctx)
{
	struct ferry_p2p *p = ctx;
	const char *dom_name = str_member(data, "name"), *error = str_member(data, "error");

	if (strcmp(name, "MIGRATION_FAILED") == 0 && dom_name && error && p->dom &&
	    strcmp(dom_name, p->dom->def->name) == 0 && !p->peer_error[0])
		snprintf(p->peer_error, sizeof(p->peer_error), "%s", error);
}

/* Finish (or Finish2) on the peer, with Perform's outcome. */
static void finish(struct ferry_p2p *p)
{
	struct json_object *args = json_object_new_object();
	const char *cmd = p->protocol == 3 ? "migrate-finish" : "migrate-finish2";
	int r;

	p->step = P2P_FINISH;
	json_object_object_add(args, "name", json_object_new_string(p->dom->def->name));
	json_object_object_add(args, "flags", ferry_migrate_flags_json(p->flags & FERRY_MIGRATE_DEST_FLAGS));
	if (p->protocol == 3) {
		if (p->performed && p->cookie)
			json_object_object_add(args, "cookie", json_object_new_string(p->cookie));
		json_object_object_add(args, "cancelled", json_object_new_boolean(!p->performed));
	} else {
		json_object_object_add(args, "retcode", json_object_new_int(p->performed ? 0 : 1));
	}
	r = ferry_peer_call(p->peer, cmd, args, FINISH_TIMEOUT_MS, on_finish, p);
	if (r < 0)
		on_finish(p->peer, NULL, "PeerGone", "the connection to the peer is gone", p);
}

void ferry_p2p_step_done(struct ferry_p2p *p, struct json_object *ret, const char *error)
{
	struct ferry_job *job = p->dom->job;
	const char *cookie;

	switch (p->step) {
	case P2P_PERFORM:
		p->performed = !error;
		cookie = str_member(ret, "cookie");
		free(p->cookie);
		p->cookie = cookie ? strdup(cookie) : NULL;
		finish(p);
		return;
	case P2P_CONFIRM:
		/* The job ends right after this; the first error is the answer. */
		job->p2p = NULL;
		p->dom = NULL;
		p2p_end(p, job->error[0] ? job->error : error, &job->stats);
		return;
	default:
		log_dom(FERRY_LOG_ERR, p->dom->def->name, "p2p: a step ended out of turn");
		return;
	}
}

static void perform_go(struct ferry_p2p *p)
{
	/* QEMU may have gone while the peer prepared. */
	if (!p->dom->vm) {
		p2p_abandon(p, "domain '%s' is no longer running", p->dom->def->name);
		return;
	}
	p->step = P2P_PERFORM;
	ferry_migrate_perform_local(p->d, p->dom, NULL);
}

/* Every data connection is attached: the tunnel starts, then QEMU. */
static void tunnel_go(struct ferry_p2p *p)
{
	char err[512];

	if (ferry_migrate_tunnel_out(p->d, p->dom, p->data_fd, p->nstreams, err, sizeof(err)) < 0) {
		for (unsigned i = 0; i < p->nstreams; i++)
			p->data_fd[i] = -1;	/* the job holds them now */
		p2p_abandon(p, "tunnel: %s", err);
		return;
	}
	for (unsigned i = 0; i < p->nstreams; i++)
		p->data_fd[i] = -1;
	log_dom(FERRY_LOG_INFO, p->dom->def->name, "%u tunnelled stream%s attached to %s",
		p->nstreams, p->nstreams == 1 ? "" : "s", ferry_peer_name(p->peer));
	perform_go(p);
}

static void on_attached(struct ferry_peer_conn *conn, struct json_object *ret, const char *cls,
			const char *desc, void *data)
{
	struct ferry_p2p *p = data;
	unsigned i;
	int fd;

	for (i = 0; i < p->nstreams && p->data[i] != conn; i++)
		;
	if (cls) {
		p2p_abandon(p, "attaching tunnel stream %u on %s: %s", i, ferry_peer_name(conn), desc);
		return;
	}
	fd = ferry_peer_take_fd(conn);
	if (fd < 0) {
		p2p_abandon(p, "tunnel stream %u on %s: data came with the answer",
			    i, ferry_peer_name(conn));
		return;
	}
	p->data_fd[i] = fd;
	if (++p->nattached == p->nstreams)
		tunnel_go(p);
}

/* One more connection to the peer per stream, each shown the token. */
static void attach_streams(struct ferry_p2p *p)
{
	char err[1024];

	p->nstreams = 1 + p->dom->job->parallel;
	for (unsigned i = 0; i < p->nstreams; i++) {
		struct json_object *args = json_object_new_object();

		if (ferry_peer_connect(&p->d->loop, p->dconnuri, &p->data[i], err, sizeof(err)) < 0) {
			json_object_put(args);
			p2p_abandon(p, "tunnel stream %u: %s", i, err);
			return;
		}
		json_object_object_add(args, "name", json_object_new_string(p->dom->def->name));
		json_object_object_add(args, "token", json_object_new_string(p->token));
		json_object_object_add(args, "stream", json_object_new_int((int)i));
		if (ferry_peer_call(p->data[i], "tunnel-attach", args, PREPARE_TIMEOUT_MS,
				    on_attached, p) < 0) {
			p2p_abandon(p, "tunnel stream %u: the connection is gone", i);
			return;
		}
	}
}

/* Perform here, to where Prepare said (or where the client said). */
static void perform(struct ferry_p2p *p, struct json_object *ret)
{
	struct ferry_job *job = p->dom->job;
	const char *uri = p->data_uri ? p->data_uri : str_member(ret, "uri");
	struct ferry_cookie ck;
	char err[1024];

	if (!uri) {
		p2p_abandon(p, "Prepare on %s gave no URI", ferry_peer_name(p->peer));
		return;
	}
	if (ferry_migrate_check_uri(uri, err, sizeof(err)) < 0) {
		p2p_abandon(p, "Prepare on %s: %s", ferry_peer_name(p->peer), err);
		return;
	}
	if (p->protocol == 3 &&
	    ferry_migrate_cookie_get(p->d, str_member(ret, "cookie"), p->dom->def->name,
				     p->dom->def->uuid, &ck, err, sizeof(err)) < 0) {
		p2p_abandon(p, "Prepare on %s: %s", ferry_peer_name(p->peer), err);
		return;
	}
	if (p->protocol == 3)
		snprintf(job->peer_host, sizeof(job->peer_host), "%s", ck.hostname);
	if (p->flags & FERRY_MIGRATE_TUNNELLED) {
		if (p->protocol != 3 || !(ck.features & FERRY_COOKIE_TOKEN)) {
			p2p_abandon(p, "Prepare on %s gave no tunnel token%s", ferry_peer_name(p->peer),
				    p->protocol != 3 ? " (a v2 peer cannot tunnel)" : "");
			return;
		}
		snprintf(p->token, sizeof(p->token), "%s", ck.token);
		attach_streams(p);
		return;
	}
	snprintf(job->uri, sizeof(job->uri), "%s", uri);
	perform_go(p);
}

static void prepare2(struct ferry_p2p *p);

static void on_prepare(struct ferry_peer_conn *peer, struct json_object *ret, const char *cls,
		       const char *desc, void *data)
{
	struct ferry_p2p *p = data;

	if (cls && p->protocol == 3 && strcmp(cls, "CommandNotFound") == 0) {
		log_dom(FERRY_LOG_INFO, p->dom->def->name, "%s speaks migration protocol 2 only: "
			"falling back to it", ferry_peer_name(peer));
		prepare2(p);
		return;
	}
	if (cls) {
		p2p_abandon(p, "Prepare on %s: %s", ferry_peer_name(peer), desc);
		return;
	}
	perform(p, ret);
}

static void prepare_call(struct ferry_p2p *p, const char *cmd, struct json_object *args)
{
	json_object_object_add(args, "xml", json_object_new_string(p->xml));
	json_object_object_add(args, "flags", ferry_migrate_flags_json(p->flags & FERRY_MIGRATE_DEST_FLAGS));
	if (p->parallel)
		json_object_object_add(args, "parallel", json_object_new_int((int)p->parallel));
	if (ferry_peer_call(p->peer, cmd, args, PREPARE_TIMEOUT_MS, on_prepare, p) < 0)
		p2p_abandon(p, "%s: the connection is gone", ferry_peer_name(p->peer));
}

static void prepare2(struct ferry_p2p *p)
{
	if (!ferry_migrate_speaks(p->d, 2)) {
		p2p_abandon(p, "%s speaks migration protocol 2 only, this broker does not",
			    ferry_peer_name(p->peer));
		return;
	}
	p->protocol = 2;
	prepare_call(p, "migrate-prepare2", json_object_new_object());
}

static void prepare3(struct ferry_p2p *p)
{
	struct json_object *args = json_object_new_object();

	p->protocol = 3;
	json_object_object_add(args, "cookie", json_object_new_string(p->cookie));
	prepare_call(p, "migrate-prepare", args);
}

/* Begin here: the job, the XML and the cookie the peer's Prepare takes. */
static bool begin(struct ferry_p2p *p, struct json_object *a)
{
	struct json_object *b;
	char err[1024];

	b = ferry_migrate_begin_local(p->d, p->dom, ferry_arg_str(a, "xml"), p->flags, err, sizeof(err));
	if (!b) {
		ferry_client_error(p->client, "InvalidArgument", "%s", err);
		return false;
	}
	p->xml = strdup(str_member(b, "xml"));
	p->cookie = strdup(str_member(b, "cookie"));
	json_object_put(b);
	if (!p->xml || !p->cookie) {
		ferry_job_end(p->d, p->dom);
		ferry_client_error(p->client, "InternalError", "out of memory");
		return false;
	}
	p->dom->job->p2p = p;
	p->dom->job->parallel = p->parallel;
	p->dom->job->bandwidth_mib = ferry_arg_u64(a, "bandwidth", 0);
	p->dom->job->downtime_ms = ferry_arg_u64(a, "downtime", 0);
	return true;
}

void ferry_migrate_p2p(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a,
		       unsigned flags)
{
	const char *dconnuri = ferry_arg_str(a, "dconnuri");
	struct ferry_domain *dom;
	struct ferry_p2p *p;
	char err[1024];

	unsigned parallel;

	if (!ferry_migrate_parallel_arg(c, a, flags, &parallel) ||
	    !(dom = ferry_cmd_running_domain(d, c, a)))
		return;
	p = calloc(1, sizeof(*p));
	if (!p) {
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	p->d = d;
	p->dom = dom;
	p->flags = flags;
	p->parallel = parallel;
	for (unsigned i = 0; i < FERRY_TUNNEL_MAX_STREAMS; i++)
		p->data_fd[i] = -1;
	ferry_client_ref(c);
	p->client = c;
	if (ferry_arg_str(a, "uri") && !(p->data_uri = strdup(ferry_arg_str(a, "uri")))) {
		p2p_end(p, "out of memory", NULL);
		return;
	}
	if (!(p->dconnuri = strdup(dconnuri))) {
		p2p_end(p, "out of memory", NULL);
		return;
	}
	if (!begin(p, a)) {
		p->dom = NULL;
		p2p_free(p);
		return;
	}
	if (ferry_peer_connect(&d->loop, dconnuri, &p->peer, err, sizeof(err)) < 0) {
		p2p_abandon(p, "cannot reach the destination broker: %s", err);
		return;
	}
	ferry_peer_set_event_hook(p->peer, on_peer_event, p);
	log_dom(FERRY_LOG_INFO, dom->def->name, "p2p migration to %s", dconnuri);
	if (ferry_migrate_speaks(d, 3))
		prepare3(p);
	else
		prepare2(p);
}

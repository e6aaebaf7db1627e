/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "helper.h"
#include "log.h"
#include "tunnel-proto.h"
#include "tunnel.h"
#include "util.h"

struct ferry_tunnel {
	struct ferry_helper h;
	char name[128];			/* the domain, for logs */
	unsigned nstreams;
	unsigned done;			/* streams that ended cleanly */
	uint64_t bytes;
	bool failed;			/* the callback ran: no second one */
	bool cancelling;		/* TUNNEL_CLOSE sent: streams end as asked */
	unsigned depth;			/* in a callback: release must not free yet */
	bool released;
	ferry_tunnel_fail_fn fail_cb;
	void *data;
};

static void tunnel_fail(struct ferry_tunnel *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tunnel_fail(struct ferry_tunnel *t, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (t->failed || t->released)
		return;
	t->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_dom(FERRY_LOG_ERR, t->name, "tunnel: %s", why);
	/* The callback may release the tunnel: it is freed after, not under, it. */
	t->depth++;
	if (t->fail_cb)
		t->fail_cb(t, why, t->data);
	t->depth--;
}

static void maybe_free(struct ferry_tunnel *t)
{
	if (!t->released || !t->h.exited || t->depth)
		return;
	ferry_helper_release(&t->h);
	free(t);
}

static void on_event(struct ferry_helper *h, const struct ferry_msg *msg, void *data)
{
	struct ferry_tunnel *t = data;
	struct ferry_tunnel_progress pr;
	struct ferry_tunnel_end end;
	char why[256];

	if (msg->hdr.type == FERRY_MSG_TUNNEL_PROGRESS) {
		if (ferry_tunnel_get_progress(msg->payload, msg->len, &pr, why, sizeof(why)) < 0)
			goto broken;
		t->bytes = pr.bytes;
		return;
	}
	if (ferry_tunnel_get_end(msg->payload, msg->len, &end, why, sizeof(why)) < 0)
		goto broken;
	if (end.index >= t->nstreams) {
		snprintf(why, sizeof(why), "TUNNEL_END for stream %u of %u", end.index, t->nstreams);
		goto broken;
	}
	if (t->cancelling && end.status == -ECANCELED)
		return;
	if (end.status == 0) {
		t->done++;
		log_dom(FERRY_LOG_DEBUG, t->name, "tunnel stream %u done: %llu bytes", end.index,
			(unsigned long long)end.bytes);
		return;
	}
	tunnel_fail(t, "%s, stream %u, after %llu bytes: %s", h->info->name, end.index,
		    (unsigned long long)end.bytes, end.message);
	return;
broken:
	tunnel_fail(t, "%s broke the protocol: %s", h->info->name, why);
	ferry_helper_kill(h);
}

static void on_exit_cb(struct ferry_helper *h, void *data)
{
	struct ferry_tunnel *t = data;

	tunnel_fail(t, "%s", h->error[0] ? h->error : h->exit_desc);
	maybe_free(t);
}

int ferry_tunnel_start(struct ferry_daemon *d, const char *name, unsigned nstreams,
		       ferry_tunnel_fail_fn failed, void *data, struct ferry_tunnel **out,
		       char *err, size_t errlen)
{
	struct ferry_tunnel *t;
	int r;

	if (nstreams == 0 || nstreams > FERRY_TUNNEL_MAX_STREAMS)
		return ferry_err(err, errlen, -EINVAL, "a tunnel carries 1 to %u streams, not %u",
				 FERRY_TUNNEL_MAX_STREAMS, nstreams);
	t = calloc(1, sizeof(*t));
	if (!t)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	r = ferry_helper_start(&d->loop, FERRY_HELPER_TUNNEL, &d->hopts, &t->h, err, errlen);
	if (r < 0) {
		free(t);
		return r;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->nstreams = nstreams;
	t->fail_cb = failed;
	t->data = data;
	t->h.on_event = on_event;
	t->h.event_data = t;
	t->h.on_exit = on_exit_cb;
	t->h.exit_data = t;
	*out = t;
	return 0;
}

static void on_ok(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct ferry_tunnel *t = data;
	char why[300];

	if (!reply || reply->hdr.type == FERRY_MSG_TUNNEL_OK)
		return;	/* a dead helper is reported by its exit */
	ferry_reply_error_text(reply, why, sizeof(why));
	tunnel_fail(t, "%s refused: %s", h->info->name, why);
}

int ferry_tunnel_stream(struct ferry_tunnel *t, unsigned idx, int from, int to)
{
	struct ferry_wbuf w;
	int fds[2] = { from, to };
	int r;

	ferry_wbuf_init(&w);
	r = ferry_tunnel_put_stream(&w, idx, 0);
	if (r == 0)
		r = ferry_helper_call(&t->h, FERRY_MSG_TUNNEL_STREAM, &w, fds, 2, on_ok, t);
	close(from);
	close(to);
	return r;
}

int ferry_tunnel_set_rate(struct ferry_tunnel *t, uint64_t bytes_per_s)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ferry_tunnel_put_rate(&w, bytes_per_s);
	return ferry_helper_call(&t->h, FERRY_MSG_TUNNEL_SET_RATE, &w, NULL, 0, on_ok, t);
}

struct cancel_call {
	void (*done)(void *data);
	void *data;
};

static void on_cancelled(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct cancel_call *c = data;

	c->done(c->data);
	free(c);
}

void ferry_tunnel_cancel(struct ferry_tunnel *t, void (*done)(void *data), void *data)
{
	struct cancel_call *c = calloc(1, sizeof(*c));
	struct ferry_wbuf w;

	t->cancelling = true;
	ferry_wbuf_init(&w);
	if (!c || ferry_helper_call(&t->h, FERRY_MSG_TUNNEL_CLOSE, &w, NULL, 0, on_cancelled, c) < 0) {
		/* It cannot be asked: killing it closes its sockets just as well. */
		free(c);
		ferry_helper_kill(&t->h);
		done(data);
		return;
	}
	c->done = done;
	c->data = data;
}

uint64_t ferry_tunnel_bytes(const struct ferry_tunnel *t)
{
	return t->bytes;
}

unsigned ferry_tunnel_streams_done(const struct ferry_tunnel *t)
{
	return t->done;
}

unsigned ferry_tunnel_nstreams(const struct ferry_tunnel *t)
{
	return t->nstreams;
}

void ferry_tunnel_release(struct ferry_tunnel *t)
{
	if (!t)
		return;
	t->released = true;
	t->fail_cb = NULL;
	ferry_helper_shutdown(&t->h);
	maybe_free(t);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compressor.h"
#include "daemon.h"
#include "helper.h"
#include "log.h"
#include "util.h"

struct ferry_compressor {
	struct ferry_helper h;
	char label[128];
	uint64_t in, out;
	bool ended;			/* a callback ran, or release: no more */
	bool released;
	unsigned depth;			/* in a callback: release must not free yet */
	const struct ferry_compressor_ops *ops;
	void *data;
};

static void end_failed(struct ferry_compressor *c, const char *why)
{
	if (c->ended)
		return;
	c->ended = true;
	log_warn("%s: %s", c->label, why);
	/* The callback may release @c: it is freed after, not under, it. */
	c->depth++;
	c->ops->failed(c, why, c->data);
	c->depth--;
}

static void maybe_free(struct ferry_compressor *c)
{
	if (!c->released || !c->h.exited || c->depth)
		return;
	ferry_helper_release(&c->h);
	free(c);
}

static void on_event(struct ferry_helper *h, const struct ferry_msg *msg, void *data)
{
	struct ferry_compressor *c = data;
	struct ferry_compress_progress pr;
	struct ferry_compress_done dn;
	char why[400];

	if (msg->hdr.type == FERRY_MSG_COMPRESS_PROGRESS) {
		if (ferry_compress_get_progress(msg->payload, msg->len, &pr, why, sizeof(why)) == 0) {
			c->in = pr.bytes_in;
			c->out = pr.bytes_out;
			return;
		}
	} else if (ferry_compress_get_done(msg->payload, msg->len, &dn, why, sizeof(why)) == 0) {
		c->in = dn.bytes_in;
		c->out = dn.bytes_out;
		if (dn.status == 0 && !c->ended) {
			c->ended = true;
			c->depth++;
			c->ops->done(c, dn.bytes_in, dn.bytes_out, c->data);
			c->depth--;
			maybe_free(c);
		} else if (dn.status != 0) {
			snprintf(why, sizeof(why), "%s: %s", h->info->name, dn.message);
			end_failed(c, why);
		}
		return;
	}
	/* A helper that lies about its job is not believed about anything else. */
	end_failed(c, why);
	ferry_helper_kill(h);
}

static void on_exit_cb(struct ferry_helper *h, void *data)
{
	struct ferry_compressor *c = data;

	if (!c->released)
		end_failed(c, h->error[0] ? h->error : h->exit_desc);
	maybe_free(c);
}

static void on_started(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct ferry_compressor *c = data;
	char why[300], msg[400];

	if (!reply || reply->hdr.type == FERRY_MSG_COMPRESS_OK)
		return;	/* a dead helper is reported by its exit */
	ferry_reply_error_text(reply, why, sizeof(why));
	snprintf(msg, sizeof(msg), "%s refused the stream: %s", h->info->name, why);
	end_failed(c, msg);
}

int ferry_compressor_start(struct ferry_daemon *d, const char *label,
			   const struct ferry_compress_start *start, int from, int to,
			   const struct ferry_compressor_ops *ops, void *data,
			   struct ferry_compressor **out, char *err, size_t errlen)
{
	struct ferry_compressor *c = calloc(1, sizeof(*c));
	int fds[2] = { from, to };
	struct ferry_wbuf w;
	int r;

	ferry_wbuf_init(&w);
	r = c ? ferry_compress_put_start(&w, start) : -ENOMEM;
	if (r < 0)
		ferry_err(err, errlen, r, "%s: %s", label, r == -ENOMEM ? "out of memory" :
			  "a compress job the helper would refuse");
	else
		r = ferry_helper_start(&d->loop, FERRY_HELPER_COMPRESS, &d->hopts, &c->h, err, errlen);
	if (r < 0) {
		free(c);
		close(from);
		close(to);
		return r;
	}
	snprintf(c->label, sizeof(c->label), "%s", label);
	c->ops = ops;
	c->data = data;
	c->h.on_event = on_event;
	c->h.event_data = c;
	c->h.on_exit = on_exit_cb;
	c->h.exit_data = c;
	r = ferry_helper_call(&c->h, FERRY_MSG_COMPRESS_START, &w, fds, 2, on_started, c);
	close(from);
	close(to);
	*out = c;
	if (r < 0)
		ferry_helper_kill(&c->h);	/* its exit reports the failure */
	return 0;
}

void ferry_compressor_bytes(const struct ferry_compressor *c, uint64_t *in, uint64_t *out)
{
	*in = c->in;
	*out = c->out;
}

void ferry_compressor_release(struct ferry_compressor *c)
{
	if (!c)
		return;
	c->released = true;
	c->ended = true;
	ferry_helper_shutdown(&c->h);
	maybe_free(c);
}

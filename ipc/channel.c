/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "channel.h"
#include "util.h"

int ferry_chan_init(struct ferry_chan *chan, int fd, const char *peer,
		    const struct ferry_msg_spec *specs, size_t nspecs, void *ctx)
{
	memset(chan, 0, sizeof(*chan));
	chan->fd = fd;
	snprintf(chan->peer, sizeof(chan->peer), "%s", peer);
	chan->specs = specs;
	chan->nspecs = nspecs;
	chan->ctx = ctx;
	chan->next_id = 1;
	/* One byte more than the largest legal packet, so oversize shows. */
	chan->rx = malloc(FERRY_WIRE_MAX_PACKET + 1);
	if (!chan->rx)
		return -ENOMEM;
	return 0;
}

void ferry_chan_close(struct ferry_chan *chan)
{
	if (chan->fd >= 0)
		close(chan->fd);
	chan->fd = -1;
	free(chan->rx);
	chan->rx = NULL;
}

static int fail(struct ferry_chan *chan, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ferry_chan *chan, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(chan->err, sizeof(chan->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *ferry_msg_type_name(const struct ferry_chan *chan, uint16_t type)
{
	if (type == FERRY_MSG_HELLO)
		return "HELLO";
	for (size_t i = 0; i < chan->nspecs; i++)
		if (chan->specs[i].type == type)
			return chan->specs[i].name;
	return "unknown";
}

int ferry_chan_send(struct ferry_chan *chan, uint16_t type, uint32_t id, uint8_t flags,
		    const void *payload, size_t len, const int *fds, unsigned nfds)
{
	struct ferry_wire_hdr hdr = {
		.version = FERRY_WIRE_VERSION, .type = type, .id = id,
		.len = (uint32_t)len, .nfds = (uint8_t)nfds, .flags = flags,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * FERRY_WIRE_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (len > FERRY_WIRE_MAX_PAYLOAD)
		return fail(chan, -EMSGSIZE, "refusing to send %zu payload bytes (limit %u)",
			    len, FERRY_WIRE_MAX_PAYLOAD);
	if (nfds > FERRY_WIRE_MAX_FDS)
		return fail(chan, -EINVAL, "refusing to send %u fds (limit %u)",
			    nfds, FERRY_WIRE_MAX_FDS);
	if (nfds) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(chan->fd, &mh, MSG_NOSIGNAL | (chan->nonblock ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail(chan, -errno, "sending %s: %s",
			    type == FERRY_MSG_HELLO ? "HELLO" : "message", strerror(errno));
	return 0;
}

int ferry_chan_send_hello(struct ferry_chan *chan, const char *self,
			  uint32_t filter_syscalls, uint32_t namespaces)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	ferry_wbuf_init(w);
	ferry_put_u32(w, FERRY_WIRE_VERSION);
	ferry_put_str(w, self);
	ferry_put_u32(w, filter_syscalls);
	ferry_put_u32(w, namespaces);
	r = w->err ? w->err : ferry_chan_send(chan, FERRY_MSG_HELLO, 0, 0, w->data, w->len, NULL, 0);
	free(w);
	return r;
}

int ferry_chan_request(struct ferry_chan *chan, uint16_t type, const struct ferry_wbuf *w,
		       const int *fds, unsigned nfds, uint32_t *id_out)
{
	uint32_t *slot = NULL;
	uint32_t id;
	int r;

	if (w && w->err)
		return fail(chan, w->err, "request payload does not fit");
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING && !slot; i++)
		if (chan->pending[i] == 0)
			slot = &chan->pending[i];
	if (!slot)
		return fail(chan, -EBUSY, "%u requests already pending", FERRY_CHAN_MAX_PENDING);
	id = chan->next_id++;
	if (chan->next_id == 0)
		chan->next_id = 1;
	r = ferry_chan_send(chan, type, id, 0, w ? w->data : NULL, w ? w->len : 0, fds, nfds);
	if (r < 0)
		return r;
	*slot = id;
	if (id_out)
		*id_out = id;
	return 0;
}

int ferry_chan_reply(struct ferry_chan *chan, const struct ferry_msg *req, uint16_t type,
		     const struct ferry_wbuf *w, const int *fds, unsigned nfds)
{
	if (w && w->err)
		return fail(chan, w->err, "reply payload does not fit");
	return ferry_chan_send(chan, type, req->hdr.id, FERRY_WIRE_F_REPLY,
			       w ? w->data : NULL, w ? w->len : 0, fds, nfds);
}

int ferry_chan_reply_error(struct ferry_chan *chan, const struct ferry_msg *req,
			   int err, const char *fmt, ...)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));
	char text[1024];
	va_list ap;
	int r;

	if (!w)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ferry_wbuf_init(w);
	ferry_put_i32(w, err);
	ferry_put_str(w, text);
	r = ferry_chan_reply(chan, req, FERRY_MSG_ERROR, w, NULL, 0);
	free(w);
	return r;
}

void ferry_chan_forget(struct ferry_chan *chan, uint32_t id)
{
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING; i++)
		if (chan->pending[i] == id)
			chan->pending[i] = 0;
}

static const struct ferry_msg_spec hello_spec = {
	FERRY_MSG_HELLO, "HELLO", 16, 64, 0, FERRY_SPEC_EVENT, 0, NULL,
};

static const struct ferry_msg_spec *find_spec(const struct ferry_chan *chan, uint16_t type)
{
	if (type == FERRY_MSG_HELLO)
		return &hello_spec;
	for (size_t i = 0; i < chan->nspecs; i++)
		if (chan->specs[i].type == type)
			return &chan->specs[i];
	return NULL;
}

/* Framing: everything that does not depend on the message table. */
static int check_frame(struct ferry_chan *chan, const struct ferry_wire_hdr *h,
		       size_t len, unsigned nfds, int msg_flags)
{
	if ((msg_flags & MSG_CTRUNC) || nfds > FERRY_WIRE_MAX_FDS)
		return fail(chan, -EPROTO, "control data truncated: more fds than the %u a message may carry",
			    FERRY_WIRE_MAX_FDS);
	if ((msg_flags & MSG_TRUNC) || len > FERRY_WIRE_MAX_PACKET)
		return fail(chan, -EMSGSIZE, "packet of %zu bytes exceeds the %u-byte limit",
			    len, FERRY_WIRE_MAX_PACKET);
	if (len < FERRY_WIRE_HDR_SIZE)
		return fail(chan, -EPROTO, "short packet: %zu bytes, the header alone is %u",
			    len, FERRY_WIRE_HDR_SIZE);
	if (h->version != FERRY_WIRE_VERSION)
		return fail(chan, -EPROTO, "peer speaks wire version %u, this side speaks %u",
			    h->version, FERRY_WIRE_VERSION);
	if (h->len > FERRY_WIRE_MAX_PAYLOAD)
		return fail(chan, -EMSGSIZE, "payload length %u exceeds the %u-byte limit",
			    h->len, FERRY_WIRE_MAX_PAYLOAD);
	if (h->len != len - FERRY_WIRE_HDR_SIZE)
		return fail(chan, -EPROTO, "length mismatch: header says %u payload bytes, packet carries %zu",
			    h->len, len - FERRY_WIRE_HDR_SIZE);
	if (h->nfds != nfds)
		return fail(chan, -EPROTO, "header announces %u fds, %u arrived", h->nfds, nfds);
	if ((h->flags & ~FERRY_WIRE_F_KNOWN) || h->reserved)
		return fail(chan, -EPROTO, "unknown header flags 0x%x, reserved 0x%x",
			    h->flags, h->reserved);
	return 0;
}

/* Take a reply's id off the pending list; refuse one never asked for. */
static int take_pending(struct ferry_chan *chan, const struct ferry_msg_spec *s, uint32_t id)
{
	for (unsigned i = 0; id && i < FERRY_CHAN_MAX_PENDING; i++) {
		if (chan->pending[i] == id) {
			chan->pending[i] = 0;
			return 0;
		}
	}
	return fail(chan, -EPROTO, "%s is a reply to request id %u that was never sent", s->name, id);
}

/* Table: the message's entry, phase, kind, bounds and fd count. */
static int check_spec(struct ferry_chan *chan, const struct ferry_wire_hdr *h,
		      const struct ferry_msg_spec **out)
{
	const struct ferry_msg_spec *s = find_spec(chan, h->type);
	bool is_reply = h->flags & FERRY_WIRE_F_REPLY;

	if (!s)
		return fail(chan, -EPROTO, "unknown message type %u", h->type);
	if (chan->phase == 0 && s != &hello_spec)
		return fail(chan, -EPROTO, "expected HELLO first, got %s", s->name);
	if (chan->phase != 0 && s == &hello_spec)
		return fail(chan, -EPROTO, "second HELLO on an established channel");
	if (chan->phase != 0 && !(s->phases & chan->phase))
		return fail(chan, -EPROTO, "%s is not permitted in phase 0x%x", s->name, chan->phase);
	if (is_reply != (s->kind == FERRY_SPEC_REPLY))
		return fail(chan, -EPROTO, "%s %s the reply flag", s->name,
			    is_reply ? "must not carry" : "lacks");
	if (h->len < s->min_len || h->len > s->max_len)
		return fail(chan, -EBADMSG, "%s payload of %u bytes, expected %u to %u",
			    s->name, h->len, s->min_len, s->max_len);
	if (h->nfds != s->nfds)
		return fail(chan, -EPROTO, "%s carries %u fds, expects exactly %u",
			    s->name, h->nfds, s->nfds);
	if (s->kind == FERRY_SPEC_REQUEST && h->id == 0)
		return fail(chan, -EPROTO, "%s request with id 0", s->name);
	if (s->kind == FERRY_SPEC_EVENT && h->id != 0)
		return fail(chan, -EPROTO, "%s carries id %u, events carry 0", s->name, h->id);
	if (s->kind == FERRY_SPEC_REPLY) {
		int r = take_pending(chan, s, h->id);

		if (r < 0)
			return r;
	}
	*out = s;
	return 0;
}

int ferry_chan_parse(struct ferry_chan *chan, const uint8_t *pkt, size_t len,
		     int *fds, unsigned nfds, int msg_flags, struct ferry_msg *out)
{
	struct ferry_wire_hdr h;
	int r;

	memset(&h, 0, sizeof(h));
	if (len >= sizeof(h))
		memcpy(&h, pkt, sizeof(h));
	r = check_frame(chan, &h, len, nfds, msg_flags);
	if (r == 0)
		r = check_spec(chan, &h, &out->spec);
	if (r < 0) {
		ferry_close_fds(fds, nfds);
		return r;
	}
	out->hdr = h;
	out->payload = pkt + FERRY_WIRE_HDR_SIZE;
	out->len = h.len;
	out->nfds = nfds;
	for (unsigned i = 0; i < FERRY_WIRE_MAX_FDS; i++)
		out->fds[i] = i < nfds ? steal_fd(&fds[i]) : -1;
	return 0;
}

/* Gather SCM_RIGHTS fds; anything else in the control data is refused. */
static int collect_fds(struct ferry_chan *chan, struct msghdr *mh, int *fds, unsigned *nfds)
{
	int r = 0;

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			r = fail(chan, -EPROTO, "unexpected control message (level %d, type %d)",
				 c->cmsg_level, c->cmsg_type);
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < FERRY_WIRE_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (r < 0)
		ferry_close_fds(fds, *nfds);
	return r;
}

/*
 * recvmsg() returns 0 both at EOF and for an empty packet, which a peer
 * can send on purpose; only a hung-up socket is EOF.
 */
static bool peer_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

int ferry_chan_recv(struct ferry_chan *chan, struct ferry_msg *out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FERRY_WIRE_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = chan->rx, .iov_len = FERRY_WIRE_MAX_PACKET + 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	int fds[FERRY_WIRE_MAX_FDS];
	unsigned nfds;
	ssize_t n;
	int r;

	do {
		/* MSG_TRUNC: learn the packet's real length even when it is too long. */
		n = recvmsg(chan->fd, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC |
			    (chan->nonblock ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return -EAGAIN;
		/* The peer exited with our packets unread: that is its EOF. */
		if (errno == ECONNRESET)
			return 0;
		return fail(chan, -errno, "receiving: %s", strerror(errno));
	}
	r = collect_fds(chan, &mh, fds, &nfds);
	if (r < 0)
		return r;
	if (n == 0 && nfds == 0 && peer_hung_up(chan->fd))
		return 0;
	r = ferry_chan_parse(chan, chan->rx, (size_t)n, fds, nfds, mh.msg_flags, out);
	return r < 0 ? r : 1;
}

static int take_hello(struct ferry_chan *chan, const struct ferry_msg *msg)
{
	struct ferry_hello *hp = &chan->peer_hello;
	struct ferry_rbuf rb;
	const char *name;
	char why[128];

	ferry_rbuf_init(&rb, msg->payload, msg->len);
	hp->version = ferry_get_u32(&rb, "version");
	name = ferry_get_str(&rb, "name");
	hp->filter_syscalls = ferry_get_u32(&rb, "filter_syscalls");
	hp->namespaces = ferry_get_u32(&rb, "namespaces");
	if (ferry_get_end(&rb, why, sizeof(why)) < 0)
		return fail(chan, -EBADMSG, "malformed HELLO: %s", why);
	if (hp->version != FERRY_WIRE_VERSION)
		return fail(chan, -EPROTO, "HELLO from %s speaks protocol version %u, this side speaks %u",
			    name, hp->version, FERRY_WIRE_VERSION);
	if (strlen(name) >= sizeof(hp->name))
		return fail(chan, -EBADMSG, "HELLO name of %zu bytes is too long", strlen(name));
	strcpy(hp->name, name);
	chan->phase = FERRY_PHASE_READY;
	return 0;
}

int ferry_chan_dispatch(struct ferry_chan *chan, struct ferry_msg *msg)
{
	int r;

	if (msg->spec->type == FERRY_MSG_HELLO)
		r = take_hello(chan, msg);
	else if (msg->spec->handler)
		r = msg->spec->handler(chan, msg, chan->ctx);
	else
		r = 0;
	ferry_close_fds(msg->fds, msg->nfds);
	return r;
}

int ferry_chan_process(struct ferry_chan *chan)
{
	struct ferry_msg msg;
	int r = ferry_chan_recv(chan, &msg);

	if (r <= 0)
		return r;
	r = ferry_chan_dispatch(chan, &msg);
	return r < 0 ? r : 1;
}

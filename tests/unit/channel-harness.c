/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * channel-harness.c - the channel pair the channel tests drive (see
 * channel-harness.h): the test-only message table and its handlers, fd
 * counting, and the check that a packet was refused.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "channel-harness.h"
#include "util.h"

static void note_call(struct seen *s, const struct ferry_msg *msg)
{
	if (s->calls < ARRAY_SIZE(s->ids))
		s->ids[s->calls] = msg->hdr.id;
	s->calls++;
}

static int on_echo(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	_cleanup_free_ struct ferry_wbuf *w = malloc(sizeof(*w));
	struct seen *s = ctx;
	struct ferry_rbuf rb;
	uint64_t token;
	const char *text;

	ferry_rbuf_init(&rb, msg->payload, msg->len);
	token = ferry_get_u64(&rb, "token");
	text = ferry_get_str(&rb, "text");
	if (ferry_get_end(&rb, chan->err, sizeof(chan->err)) < 0 || !w)
		return -EBADMSG;
	note_call(s, msg);
	s->token = token;
	snprintf(s->text, sizeof(s->text), "%s", text);
	ferry_wbuf_init(w);
	ferry_put_u64(w, token);
	ferry_put_str(w, text);
	return ferry_chan_reply(chan, msg, T_ECHO_REPLY, w, NULL, 0);
}

static int on_echo_reply(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct seen *s = ctx;
	struct ferry_rbuf rb;

	ferry_rbuf_init(&rb, msg->payload, msg->len);
	s->token = ferry_get_u64(&rb, "token");
	snprintf(s->text, sizeof(s->text), "%s", ferry_get_str(&rb, "text"));
	note_call(s, msg);
	return ferry_get_end(&rb, chan->err, sizeof(chan->err));
}

static int on_fail(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	note_call(ctx, msg);
	return ferry_chan_reply_error(chan, msg, -EACCES, "no %s here", "entry");
}

static int on_error(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct seen *s = ctx;
	struct ferry_rbuf rb;

	ferry_rbuf_init(&rb, msg->payload, msg->len);
	s->err = ferry_get_i32(&rb, "errno");
	snprintf(s->text, sizeof(s->text), "%s", ferry_get_str(&rb, "message"));
	note_call(s, msg);
	return ferry_get_end(&rb, chan->err, sizeof(chan->err));
}

static int on_note(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct seen *s = ctx;

	note_call(s, msg);
	return s->fail_with;
}

static int on_fds(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct seen *s = ctx;

	note_call(s, msg);
	s->nfds = msg->nfds;
	if (s->steal)
		s->kept = steal_fd(&msg->fds[msg->nfds - 1]);
	return s->fail_with;
}

#define FDS_SPEC(n) \
	{ T_FDS + (n), "FDS" #n, 0, 0, (n), FERRY_SPEC_EVENT, FERRY_PHASE_READY, on_fds }

/* Both ends use one table: each may send the other anything in it. */
static const struct ferry_msg_spec specs[] = {
	{ FERRY_MSG_ERROR, "ERROR", 5, 2048, 0, FERRY_SPEC_REPLY, FERRY_PHASE_READY, on_error },
	{ T_ECHO, "ECHO", 13, 4096, 0, FERRY_SPEC_REQUEST, FERRY_PHASE_READY, on_echo },
	{ T_ECHO_REPLY, "ECHO_REPLY", 13, 4096, 0, FERRY_SPEC_REPLY, FERRY_PHASE_READY, on_echo_reply },
	{ T_NOTE, "NOTE", 4, 4, 0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_note },
	{ T_LATE, "LATE", 0, 0, 0, FERRY_SPEC_EVENT, T_PHASE_LATE, on_note },
	{ T_BULK, "BULK", 0, FERRY_WIRE_MAX_PAYLOAD, 0, FERRY_SPEC_EVENT, FERRY_PHASE_READY, NULL },
	{ T_FAIL, "FAIL", 0, 0, 0, FERRY_SPEC_REQUEST, FERRY_PHASE_READY, on_fail },
	FDS_SPEC(1), FDS_SPEC(2), FDS_SPEC(3), FDS_SPEC(4),
	FDS_SPEC(5), FDS_SPEC(6), FDS_SPEC(7), FDS_SPEC(8),
};

_Static_assert(FERRY_WIRE_MAX_FDS == 8, "FDS_SPEC table covers 1..8 fds");

const uint8_t zeros[128] = { 0 };

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

int test_file(void)
{
	int fd = memfd_create("ferry-test", 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

void send_hello(struct ferry_chan *from, struct ferry_chan *to,
		const char *name, uint32_t nsys, uint32_t ns)
{
	ck_assert_int_eq(ferry_chan_send_hello(from, name, nsys, ns), 0);
	ck_assert_msg(ferry_chan_process(to) == 1, "HELLO refused: %s", to->err);
}

void pair_open(struct pair *p, bool ready)
{
	size_t nspecs = ARRAY_SIZE(specs);
	int sv[2];

	memset(p, 0, sizeof(*p));
	p->sa.kept = p->sb.kept = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(ferry_chan_init(&p->a, sv[0], "peer-a", specs, nspecs, &p->sa), 0);
	ck_assert_int_eq(ferry_chan_init(&p->b, sv[1], "peer-b", specs, nspecs, &p->sb), 0);
	p->a.nonblock = p->b.nonblock = true;
	if (ready) {
		send_hello(&p->a, &p->b, "ferry-test", 0, 0);
		send_hello(&p->b, &p->a, "ferry-test", 0, 0);
	}
}

void pair_close(struct pair *p)
{
	ferry_chan_close(&p->a);
	ferry_chan_close(&p->b);
}

void expect_refused_at(const char *at, struct ferry_chan *c, int want,
		       const char *w1, const char *w2)
{
	const struct seen *s = c->ctx;
	int r = ferry_chan_process(c);

	ck_assert_msg(r == want, "%s: got %d, want %d (\"%s\")", at, r, want, c->err);
	ck_assert_msg(strstr(c->err, w1), "%s: \"%s\" not in \"%s\"", at, w1, c->err);
	ck_assert_msg(!w2 || strstr(c->err, w2), "%s: \"%s\" not in \"%s\"", at, w2, c->err);
	ck_assert_msg(s->calls == 0, "%s: a refused packet reached a handler", at);
}

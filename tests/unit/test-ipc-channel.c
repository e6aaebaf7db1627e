/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ipc-channel.c - the channel over a real SOCK_SEQPACKET socketpair.
 *
 * One end ("a") plays the peer: it speaks through the channel API or writes
 * packets by hand with sendmsg(), which is how the malformed cases are made.
 * The other end ("b") is the channel under test. Every case counts the
 * entries in /proc/self/fd before and after, and again right after a
 * refusal while the sockets are still open: a refused packet's fds must be
 * closed by the channel itself, not merely dropped when the socket goes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "channel.h"
#include "util.h"

/* Test-only message types, far from the ranges wire.h hands out. */
enum {
	T_ECHO = 200,		/* request: u64 token, str text */
	T_ECHO_REPLY = 201,	/* reply: the same fields back */
	T_NOTE = 202,		/* event: u32 */
	T_LATE = 203,		/* event, empty, permitted only in T_PHASE_LATE */
	T_BULK = 204,		/* event, any size up to the limit */
	T_FAIL = 205,		/* request, empty: always answered by ERROR */
	T_FDS = 210,		/* T_FDS + n, n = 1..8: event carrying n fds */
};

#define T_PHASE_LATE 0x02u
#define MAX_SENT_FDS 16u	/* more than a message may carry, for MSG_CTRUNC */

/* What the handlers saw; each channel's ctx. */
struct seen {
	unsigned calls;
	uint32_t ids[4];
	uint64_t token;
	char text[64];
	int32_t err;
	unsigned nfds;
	bool steal;		/* on_fds keeps its last fd ... */
	int kept;		/* ... here */
	int fail_with;		/* what on_note and on_fds return */
};

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

static const uint8_t zeros[128];

/* Entries in /proc/self/fd, less the one opendir() holds while counting. */
static int count_open_fds(void)
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

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/* A distinct file per call, without FD_CLOEXEC: the receiver must add it. */
static int test_file(void)
{
	int fd = memfd_create("ferry-test", 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

struct pair {
	struct ferry_chan a;	/* the peer, as the test drives it */
	struct ferry_chan b;	/* the channel under test */
	struct seen sa, sb;
};

static void send_hello(struct ferry_chan *from, struct ferry_chan *to,
		       const char *name, uint32_t nsys, uint32_t ns)
{
	ck_assert_int_eq(ferry_chan_send_hello(from, name, nsys, ns), 0);
	ck_assert_msg(ferry_chan_process(to) == 1, "HELLO refused: %s", to->err);
}

/* Never block: a test that expects a packet which is not there fails at once. */
static void pair_open(struct pair *p, bool ready)
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

static void pair_close(struct pair *p)
{
	ferry_chan_close(&p->a);
	ferry_chan_close(&p->b);
}

/* A header as a peer would build it: type, id, len, nfds, flags (, reserved). */
#define HR(t, i, l, n, f, r) { .version = FERRY_WIRE_VERSION, .type = (t), .id = (i), \
			       .len = (l), .nfds = (n), .flags = (f), .reserved = (r) }
#define H(t, i, l, n, f) HR(t, i, l, n, f, 0)

/* Send exactly what the caller says, header claims unchecked. */
static void send_raw(int fd, const void *head, size_t hlen, const void *payload, size_t len,
		     const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_SENT_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov[2] = {
		{ .iov_base = (void *)head, .iov_len = hlen },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	ck_assert_uint_le(nfds, MAX_SENT_FDS);
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
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)(hlen + len));
}

/* The next packet on @c must be refused with @want and a message holding @w1 and @w2. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define expect_refused(c, want, w1, w2) expect_refused_at("line " STR(__LINE__), c, want, w1, w2)
static void expect_refused_at(const char *at, struct ferry_chan *c, int want,
			      const char *w1, const char *w2)
{
	const struct seen *s = c->ctx;
	int r = ferry_chan_process(c);

	ck_assert_msg(r == want, "%s: got %d, want %d (\"%s\")", at, r, want, c->err);
	ck_assert_msg(strstr(c->err, w1), "%s: \"%s\" not in \"%s\"", at, w1, c->err);
	ck_assert_msg(!w2 || strstr(c->err, w2), "%s: \"%s\" not in \"%s\"", at, w2, c->err);
	ck_assert_msg(s->calls == 0, "%s: a refused packet reached a handler", at);
}

/*
 * Send one hand-made packet with @nfds fresh files attached to b (ready:
 * after the HELLO exchange) and expect it refused: return code, message,
 * phase unchanged, and every fd that arrived closed again.
 */
#define refuse(ready, h, payload, len, nfds, want, w1, w2) \
	refuse_at("line " STR(__LINE__), ready, h, payload, len, nfds, want, w1, w2)
static void refuse_at(const char *at, bool ready, const struct ferry_wire_hdr *h,
		      const void *payload, size_t len, unsigned nfds,
		      int want, const char *w1, const char *w2)
{
	int before = count_open_fds();
	int fds[MAX_SENT_FDS];
	struct pair p;
	uint32_t phase;
	int base;

	pair_open(&p, ready);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = test_file();
	base = count_open_fds();
	phase = p.b.phase;
	send_raw(p.a.fd, h, sizeof(*h), payload, len, fds, nfds);
	expect_refused_at(at, &p.b, want, w1, w2);
	ck_assert_msg(count_open_fds() == base, "%s: received fds left open", at);
	ck_assert_uint_eq(p.b.phase, phase);
	ferry_close_fds(fds, nfds);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}

/* A HELLO payload with a version and name of the caller's choosing. */
static struct ferry_wbuf *hello_payload(uint32_t version, const char *name)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(w);
	ferry_wbuf_init(w);
	ferry_put_u32(w, version);
	ferry_put_str(w, name);
	ferry_put_u32(w, 0);
	ferry_put_u32(w, 0);
	ck_assert_int_eq(w->err, 0);
	return w;
}

/* b answers a's request @id with ECHO_REPLY, whatever a's table makes of it. */
static void reply_echo(struct pair *p, uint32_t id, const struct ferry_wbuf *w)
{
	ck_assert_int_eq(ferry_chan_send(&p->b, T_ECHO_REPLY, id, FERRY_WIRE_F_REPLY,
					 w->data, w->len, NULL, 0), 0);
}

static bool is_pending(const struct ferry_chan *c, uint32_t id)
{
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING; i++)
		if (c->pending[i] == id)
			return true;
	return false;
}

/* A u64 token and a string, the payload of ECHO and ECHO_REPLY. */
static struct ferry_wbuf *echo_payload(uint64_t token, const char *text)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(w);
	ferry_wbuf_init(w);
	ferry_put_u64(w, token);
	ferry_put_str(w, text);
	return w;
}

START_TEST(test_hello_both_ways)
{
	int before = count_open_fds();
	struct pair p;

	pair_open(&p, false);
	ck_assert_uint_eq(p.a.phase, 0);
	ck_assert_uint_eq(p.b.phase, 0);
	send_hello(&p.a, &p.b, "ferry-broker", 0, 0);
	ck_assert_uint_eq(p.b.phase, FERRY_PHASE_READY);
	ck_assert_uint_eq(p.a.phase, 0);
	send_hello(&p.b, &p.a, "ferry-monitor", 57, FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_MNT);
	ck_assert_uint_eq(p.a.phase, FERRY_PHASE_READY);

	ck_assert_uint_eq(p.b.peer_hello.version, FERRY_WIRE_VERSION);
	ck_assert_str_eq(p.b.peer_hello.name, "ferry-broker");
	ck_assert_uint_eq(p.b.peer_hello.filter_syscalls, 0);
	ck_assert_uint_eq(p.b.peer_hello.namespaces, 0);
	ck_assert_uint_eq(p.a.peer_hello.version, FERRY_WIRE_VERSION);
	ck_assert_str_eq(p.a.peer_hello.name, "ferry-monitor");
	ck_assert_uint_eq(p.a.peer_hello.filter_syscalls, 57);
	ck_assert_uint_eq(p.a.peer_hello.namespaces, FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_MNT);
	ck_assert_int_eq(ferry_chan_process(&p.a), -EAGAIN);
	ck_assert_int_eq(ferry_chan_process(&p.b), -EAGAIN);
	ck_assert_str_eq(ferry_msg_type_name(&p.b, FERRY_MSG_HELLO), "HELLO");
	ck_assert_str_eq(ferry_msg_type_name(&p.b, T_ECHO_REPLY), "ECHO_REPLY");
	ck_assert_str_eq(ferry_msg_type_name(&p.b, 999), "unknown");
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_request_reply)
{
	int before = count_open_fds();
	_cleanup_free_ struct ferry_wbuf *w = echo_payload(0x0123456789abcdefull, "over the water");
	struct pair p;
	uint32_t id = 0;

	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert(is_pending(&p.a, id));
	ck_assert_int_eq(ferry_chan_process(&p.b), 1);
	ck_assert_uint_eq(p.sb.calls, 1);
	ck_assert_uint_eq(p.sb.ids[0], id);
	ck_assert_uint_eq(p.sb.token, 0x0123456789abcdefull);
	ck_assert_str_eq(p.sb.text, "over the water");

	ck_assert_msg(ferry_chan_process(&p.a) == 1, "reply refused: %s", p.a.err);
	ck_assert_uint_eq(p.sa.calls, 1);
	ck_assert_uint_eq(p.sa.ids[0], id);
	ck_assert_uint_eq(p.sa.token, 0x0123456789abcdefull);
	ck_assert_str_eq(p.sa.text, "over the water");
	ck_assert(!is_pending(&p.a, id));
	ck_assert_int_eq(ferry_chan_process(&p.a), -EAGAIN);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_reply_error)
{
	int before = count_open_fds();
	struct pair p;
	uint32_t id = 0;

	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), 0);
	ck_assert_int_eq(ferry_chan_process(&p.b), 1);
	ck_assert_msg(ferry_chan_process(&p.a) == 1, "ERROR refused: %s", p.a.err);
	ck_assert_uint_eq(p.sa.calls, 1);
	ck_assert_uint_eq(p.sa.ids[0], id);
	ck_assert_int_eq(p.sa.err, -EACCES);
	ck_assert_str_eq(p.sa.text, "no entry here");
	ck_assert(!is_pending(&p.a, id));
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* Replies may come in any order; each matches its own id, and only once. */
START_TEST(test_replies_matched)
{
	int before = count_open_fds();
	_cleanup_free_ struct ferry_wbuf *w = echo_payload(5, "x");
	struct pair p;
	uint32_t id1, id2;

	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id1), 0);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id2), 0);
	ck_assert_uint_ne(id1, id2);
	reply_echo(&p, id2, w);
	reply_echo(&p, id1, w);
	ck_assert_int_eq(ferry_chan_process(&p.a), 1);
	ck_assert(is_pending(&p.a, id1));
	ck_assert(!is_pending(&p.a, id2));
	ck_assert_int_eq(ferry_chan_process(&p.a), 1);
	ck_assert(!is_pending(&p.a, id1));
	ck_assert_uint_eq(p.sa.calls, 2);
	ck_assert_uint_eq(p.sa.ids[0], id2);
	ck_assert_uint_eq(p.sa.ids[1], id1);

	reply_echo(&p, id1, w);
	p.sa.calls = 0;
	expect_refused(&p.a, -EPROTO, "ECHO_REPLY is a reply to request id 1", "never sent");
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_forget)
{
	int before = count_open_fds();
	_cleanup_free_ struct ferry_wbuf *w = echo_payload(9, "y");
	struct pair p;
	uint32_t id1, id2;

	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id1), 0);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id2), 0);
	ferry_chan_forget(&p.a, id1);
	ck_assert(!is_pending(&p.a, id1));
	ck_assert(is_pending(&p.a, id2));
	reply_echo(&p, id2, w);
	reply_echo(&p, id1, w);
	ck_assert_int_eq(ferry_chan_process(&p.a), 1);
	ck_assert_uint_eq(p.sa.ids[0], id2);
	p.sa.calls = 0;
	expect_refused(&p.a, -EPROTO, "reply to request id 1 that was never sent", NULL);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* The pending table is bounded; forgetting one id frees a slot. */
START_TEST(test_pending_full)
{
	int before = count_open_fds();
	struct pair p;
	uint32_t id;

	pair_open(&p, true);
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING; i++) {
		ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), 0);
		ck_assert_uint_eq(id, i + 1);
	}
	ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), -EBUSY);
	ck_assert_ptr_nonnull(strstr(p.a.err, "64 requests already pending"));
	ferry_chan_forget(&p.a, 5);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), 0);
	ck_assert_uint_eq(id, FERRY_CHAN_MAX_PENDING + 1);
	ck_assert(is_pending(&p.a, id));
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* Id 0 means "no request": the counter must step over it when it wraps. */
START_TEST(test_request_ids_skip_zero)
{
	int before = count_open_fds();
	struct pair p;
	uint32_t id;

	pair_open(&p, true);
	p.a.next_id = UINT32_MAX;
	ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), 0);
	ck_assert_uint_eq(id, UINT32_MAX);
	ck_assert_int_eq(ferry_chan_request(&p.a, T_FAIL, NULL, NULL, 0, &id), 0);
	ck_assert_uint_eq(id, 1);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_send_limits)
{
	int before = count_open_fds();
	_cleanup_free_ uint8_t *big = calloc(1, FERRY_WIRE_MAX_PAYLOAD + 1);
	_cleanup_free_ struct ferry_wbuf *w = echo_payload(1, "z");
	int fds[FERRY_WIRE_MAX_FDS + 1];
	struct pair p;
	uint32_t id = 0;

	ck_assert_ptr_nonnull(big);
	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_send(&p.a, T_BULK, 0, 0, big, FERRY_WIRE_MAX_PAYLOAD + 1, NULL, 0),
			 -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(p.a.err, "refusing to send 65537 payload bytes"));
	for (unsigned i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = test_file();
	ck_assert_int_eq(ferry_chan_send(&p.a, T_FDS + 8, 0, 0, NULL, 0, fds, ARRAY_SIZE(fds)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(p.a.err, "refusing to send 9 fds"));
	/* @fds are the caller's: a refused send leaves them open. */
	for (unsigned i = 0; i < ARRAY_SIZE(fds); i++)
		ck_assert(fd_is_open(fds[i]));
	ferry_close_fds(fds, ARRAY_SIZE(fds));
	w->err = -EMSGSIZE;
	ck_assert_int_eq(ferry_chan_request(&p.a, T_ECHO, w, NULL, 0, &id), -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(p.a.err, "request payload does not fit"));
	ck_assert_uint_eq(id, 0);
	ck_assert(!is_pending(&p.a, 1));
	/* Nothing refused went out. */
	ck_assert_int_eq(ferry_chan_process(&p.b), -EAGAIN);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* A packet of exactly the limit is legal; the limit is not off by one. */
START_TEST(test_max_packet_accepted)
{
	int before = count_open_fds();
	_cleanup_free_ uint8_t *big = calloc(1, FERRY_WIRE_MAX_PAYLOAD);
	struct ferry_msg msg;
	struct pair p;

	ck_assert_ptr_nonnull(big);
	pair_open(&p, true);
	big[FERRY_WIRE_MAX_PAYLOAD - 1] = 0x5a;
	ck_assert_int_eq(ferry_chan_send(&p.a, T_BULK, 0, 0, big, FERRY_WIRE_MAX_PAYLOAD, NULL, 0),
			 0);
	ck_assert_msg(ferry_chan_recv(&p.b, &msg) == 1, "refused: %s", p.b.err);
	ck_assert_uint_eq(msg.len, FERRY_WIRE_MAX_PAYLOAD);
	ck_assert_uint_eq(msg.payload[FERRY_WIRE_MAX_PAYLOAD - 1], 0x5a);
	ck_assert_int_eq(ferry_chan_dispatch(&p.b, &msg), 0);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_eof)
{
	int before = count_open_fds();
	struct pair p;

	pair_open(&p, true);
	close(steal_fd(&p.a.fd));
	ck_assert_int_eq(ferry_chan_process(&p.b), 0);
	pair_close(&p);

	/* A peer that exits with our packets unread leaves ECONNRESET: still EOF. */
	pair_open(&p, true);
	ck_assert_int_eq(ferry_chan_send(&p.b, T_NOTE, 0, 0, zeros, 4, NULL, 0), 0);
	close(steal_fd(&p.a.fd));
	ck_assert_int_eq(ferry_chan_process(&p.b), 0);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* A handler's error ends the channel, and the fds it did not take still close. */
START_TEST(test_handler_error)
{
	int before = count_open_fds();
	int fds[2] = { test_file(), test_file() };
	struct pair p;
	int base;

	pair_open(&p, true);
	p.sb.fail_with = -ECANCELED;
	base = count_open_fds();
	ck_assert_int_eq(ferry_chan_send(&p.a, T_FDS + 2, 0, 0, NULL, 0, fds, 2), 0);
	ck_assert_int_eq(ferry_chan_process(&p.b), -ECANCELED);
	ck_assert_uint_eq(p.sb.calls, 1);
	ck_assert_uint_eq(p.sb.nfds, 2);
	ck_assert_int_eq(count_open_fds(), base);
	ferry_close_fds(fds, 2);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* n = 1..8 fds arrive as the same open files, close-on-exec, in order. */
START_TEST(test_pass_fds)
{
	unsigned n = (unsigned)_i;
	int before = count_open_fds();
	int sent[FERRY_WIRE_MAX_FDS];
	struct stat want[FERRY_WIRE_MAX_FDS], got;
	struct ferry_msg msg;
	struct pair p;
	int base;

	pair_open(&p, true);
	for (unsigned i = 0; i < n; i++) {
		sent[i] = test_file();
		ck_assert_int_eq(fstat(sent[i], &want[i]), 0);
		ck_assert_int_eq(fcntl(sent[i], F_GETFD) & FD_CLOEXEC, 0);
	}
	base = count_open_fds();
	ck_assert_int_eq(ferry_chan_send(&p.a, T_FDS + n, 0, 0, NULL, 0, sent, n), 0);
	ck_assert_msg(ferry_chan_recv(&p.b, &msg) == 1, "refused: %s", p.b.err);
	ck_assert_uint_eq(msg.nfds, n);
	ck_assert_uint_eq(msg.spec->type, T_FDS + n);
	ck_assert_int_eq(count_open_fds(), base + (int)n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_ge(msg.fds[i], 0);
		ck_assert_int_eq(fstat(msg.fds[i], &got), 0);
		ck_assert_uint_eq(got.st_dev, want[i].st_dev);
		ck_assert_uint_eq(got.st_ino, want[i].st_ino);
		ck_assert_int_eq(fcntl(msg.fds[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	}
	for (unsigned i = n; i < FERRY_WIRE_MAX_FDS; i++)
		ck_assert_int_eq(msg.fds[i], -1);

	/* The handler keeps the last; dispatch closes the rest. */
	p.sb.steal = true;
	ck_assert_int_eq(ferry_chan_dispatch(&p.b, &msg), 0);
	ck_assert_uint_eq(p.sb.nfds, n);
	ck_assert_int_eq(count_open_fds(), base + 1);
	ck_assert_int_eq(fstat(p.sb.kept, &got), 0);
	ck_assert_uint_eq(got.st_ino, want[n - 1].st_ino);
	close(p.sb.kept);
	ferry_close_fds(sent, n);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

START_TEST(test_bad_short_packet)
{
	int before = count_open_fds();
	int fd = test_file();
	struct pair p;
	int base;

	pair_open(&p, true);
	base = count_open_fds();
	send_raw(p.a.fd, zeros, 8, NULL, 0, &fd, 1);
	expect_refused(&p.b, -EPROTO, "short packet: 8 bytes", "header alone is 16");
	ck_assert_int_eq(count_open_fds(), base);
	close(fd);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/*
 * An empty packet is the shortest short packet, and the peer is still there.
 * Fails at present: ferry_chan_recv() takes recvmsg()'s 0 for EOF without
 * asking whether the peer hung up, so the owner sees a clean exit (the
 * broker then neither flags nor kills the helper) instead of a refusal.
 */
START_TEST(test_bad_empty_packet)
{
	int before = count_open_fds();
	struct pair p;

	pair_open(&p, true);
	ck_assert_int_eq(send(p.a.fd, zeros, 0, MSG_NOSIGNAL), 0);
	expect_refused(&p.b, -EPROTO, "short packet: 0 bytes", NULL);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/*
 * Hand-made packets b must refuse, each well-formed but for one thing: the
 * payload is plen zero bytes, and nfds fresh files ride along.
 */
#define MAXP FERRY_WIRE_MAX_PAYLOAD
#define RE FERRY_WIRE_F_REPLY

static const struct refusal {
	bool early;		/* sent before b has the peer's HELLO */
	struct ferry_wire_hdr h;
	uint32_t plen;
	unsigned nfds;
	int want;
	const char *w1, *w2;
} refusals[] = {
	{ 0, { .version = 2, .type = T_NOTE, .len = 4 }, 4, 0, -EPROTO, "wire version 2", "this side speaks 1" },
	{ 0, H(T_NOTE, 0, 8, 0, 0), 4, 0, -EPROTO, "length mismatch", "says 8 payload bytes, packet carries 4" },
	{ 0, H(T_NOTE, 0, 2, 0, 0), 4, 0, -EPROTO, "length mismatch", "says 2 payload bytes, packet carries 4" },
	/* Longer than the receive buffer: only MSG_TRUNC reveals the real size. */
	{ 0, H(T_BULK, 0, MAXP + 64, 0, 0), MAXP + 64, 1, -EMSGSIZE, "packet of 65616 bytes", "the 65552-byte limit" },
	/* One byte over still fits the buffer: the length check alone must catch it. */
	{ 0, H(T_BULK, 0, MAXP + 1, 0, 0), MAXP + 1, 0, -EMSGSIZE, "packet of 65553 bytes", "the 65552-byte limit" },
	{ 0, H(T_BULK, 0, MAXP + 1, 0, 0), 4, 0, -EMSGSIZE, "payload length 65537", "the 65536-byte limit" },
	{ 0, H(T_BULK, 0, UINT32_MAX, 0, 0), 0, 0, -EMSGSIZE, "payload length 4294967295", "exceeds" },
	{ 0, H(999, 0, 4, 0, 0), 4, 0, -EPROTO, "unknown message type 999", NULL },
	{ 1, H(999, 0, 4, 0, 0), 4, 0, -EPROTO, "unknown message type 999", NULL },
	{ 0, H(T_FDS + 1, 0, 0, 1, 0), 0, 0, -EPROTO, "header announces 1 fds, 0 arrived", NULL },
	{ 0, H(T_NOTE, 0, 4, 0, 0), 4, 1, -EPROTO, "header announces 0 fds, 1 arrived", NULL },
	{ 0, H(T_FDS + 1, 0, 0, 2, 0), 0, 2, -EPROTO, "FDS1 carries 2 fds, expects exactly 1", NULL },
	{ 0, H(T_NOTE, 0, 4, 1, 0), 4, 1, -EPROTO, "NOTE carries 1 fds, expects exactly 0", NULL },
	/* More fds than a message may carry: the kernel truncates the control data. */
	{ 0, H(T_FDS + 8, 0, 0, 12, 0), 0, 12, -EPROTO, "control data truncated", "more fds than the 8" },
	{ 1, H(FERRY_MSG_HELLO, 0, 12, 0, 0), 12, 0, -EBADMSG, "HELLO payload of 12 bytes", "expected 16 to 64" },
	{ 1, H(FERRY_MSG_HELLO, 0, 65, 0, 0), 65, 0, -EBADMSG, "HELLO payload of 65 bytes", "expected 16 to 64" },
	{ 1, H(FERRY_MSG_HELLO, 3, 20, 0, 0), 20, 0, -EPROTO, "HELLO carries id 3, events carry 0", NULL },
	{ 1, H(FERRY_MSG_HELLO, 0, 20, 1, 0), 20, 1, -EPROTO, "HELLO carries 1 fds, expects exactly 0", NULL },
	{ 1, H(T_NOTE, 0, 4, 0, 0), 4, 0, -EPROTO, "expected HELLO first, got NOTE", NULL },
	{ 1, H(T_ECHO, 5, 16, 0, 0), 16, 0, -EPROTO, "expected HELLO first, got ECHO", NULL },
	{ 0, H(T_ECHO_REPLY, 77, 16, 0, RE), 16, 0, -EPROTO, "ECHO_REPLY is a reply to request id 77", "never" },
	{ 0, H(T_ECHO_REPLY, 0, 16, 0, RE), 16, 0, -EPROTO, "reply to request id 0", "never sent" },
	{ 0, H(T_LATE, 0, 0, 0, 0), 0, 0, -EPROTO, "LATE is not permitted in phase 0x1", NULL },
	{ 0, H(T_ECHO, 5, 16, 0, RE), 16, 0, -EPROTO, "ECHO must not carry the reply flag", NULL },
	{ 0, H(T_ECHO_REPLY, 5, 16, 0, 0), 16, 0, -EPROTO, "ECHO_REPLY lacks the reply flag", NULL },
	{ 0, H(T_ECHO, 0, 16, 0, 0), 16, 0, -EPROTO, "ECHO request with id 0", NULL },
	{ 0, H(T_NOTE, 5, 4, 0, 0), 4, 0, -EPROTO, "NOTE carries id 5, events carry 0", NULL },
	{ 0, H(T_NOTE, 0, 4, 0, 0x80), 4, 0, -EPROTO, "unknown header flags 0x80", NULL },
	{ 0, HR(T_NOTE, 0, 4, 0, 0, 0x1234), 4, 0, -EPROTO, "flags 0x0, reserved 0x1234", NULL },
	{ 0, H(T_NOTE, 0, 2, 0, 0), 2, 0, -EBADMSG, "NOTE payload of 2 bytes, expected 4 to 4", NULL },
	{ 0, H(T_NOTE, 0, 8, 0, 0), 8, 0, -EBADMSG, "NOTE payload of 8 bytes, expected 4 to 4", NULL },
};

START_TEST(test_refusal)
{
	const struct refusal *rc = &refusals[_i];
	_cleanup_free_ uint8_t *pl = calloc(1, MAXP + 64);
	char at[32];

	ck_assert_ptr_nonnull(pl);
	snprintf(at, sizeof(at), "refusals[%d]", _i);
	refuse_at(at, !rc->early, &rc->h, pl, rc->plen, rc->nfds, rc->want, rc->w1, rc->w2);
}
END_TEST

START_TEST(test_bad_hello_version)
{
	_cleanup_free_ struct ferry_wbuf *w = hello_payload(7, "ferry-future");
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, (uint32_t)w->len, 0, 0);

	refuse(false, &h, w->data, w->len, 0, -EPROTO, "protocol version 7", "this side speaks 1");
}
END_TEST

START_TEST(test_bad_hello_name_no_nul)
{
	uint8_t pl[19];
	uint32_t v = FERRY_WIRE_VERSION, n = 3, z = 0;
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, sizeof(pl), 0, 0);

	memcpy(pl, &v, 4);
	memcpy(pl + 4, &n, 4);
	memcpy(pl + 8, "abc", 3);
	memcpy(pl + 11, &z, 4);
	memcpy(pl + 15, &z, 4);
	refuse(false, &h, pl, sizeof(pl), 0, -EBADMSG, "malformed HELLO", "field 'name'");
}
END_TEST

START_TEST(test_bad_hello_trailing)
{
	_cleanup_free_ struct ferry_wbuf *w = hello_payload(FERRY_WIRE_VERSION, "ferry-test");
	struct ferry_wire_hdr h;

	ferry_put_u32(w, 0);
	h = (struct ferry_wire_hdr)H(FERRY_MSG_HELLO, 0, (uint32_t)w->len, 0, 0);
	refuse(false, &h, w->data, w->len, 0, -EBADMSG, "malformed HELLO", "4 unexpected bytes");
}
END_TEST

START_TEST(test_bad_hello_name_long)
{
	const char *name = "ferry-a-name-of-forty-bytes-0123456789ab";
	_cleanup_free_ struct ferry_wbuf *w = hello_payload(FERRY_WIRE_VERSION, name);
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, (uint32_t)w->len, 0, 0);

	ck_assert_uint_eq(strlen(name), 40);
	refuse(false, &h, w->data, w->len, 0, -EBADMSG, "HELLO name of 40 bytes is too long", NULL);
}
END_TEST

START_TEST(test_bad_second_hello)
{
	_cleanup_free_ struct ferry_wbuf *w = hello_payload(FERRY_WIRE_VERSION, "ferry-again");
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, (uint32_t)w->len, 0, 0);

	refuse(true, &h, w->data, w->len, 0, -EPROTO, "second HELLO", NULL);
}
END_TEST

/* Control data other than SCM_RIGHTS (here credentials) is refused. */
START_TEST(test_bad_control_message)
{
	int before = count_open_fds();
	int on = 1;
	struct pair p;
	char want[64];

	pair_open(&p, true);
	ck_assert_int_eq(setsockopt(p.b.fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	ck_assert_int_eq(ferry_chan_send(&p.a, T_NOTE, 0, 0, zeros, 4, NULL, 0), 0);
	snprintf(want, sizeof(want), "unexpected control message (level %d, type %d)",
		 SOL_SOCKET, SCM_CREDENTIALS);
	expect_refused(&p.b, -EPROTO, want, NULL);
	pair_close(&p);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

static Suite *channel_suite(void)
{
	Suite *s = suite_create("ipc-channel");
	TCase *ok = tcase_create("exchange");
	TCase *bad = tcase_create("refusals");

	tcase_add_test(ok, test_hello_both_ways);
	tcase_add_test(ok, test_request_reply);
	tcase_add_test(ok, test_reply_error);
	tcase_add_test(ok, test_replies_matched);
	tcase_add_test(ok, test_forget);
	tcase_add_test(ok, test_pending_full);
	tcase_add_test(ok, test_request_ids_skip_zero);
	tcase_add_test(ok, test_send_limits);
	tcase_add_test(ok, test_max_packet_accepted);
	tcase_add_test(ok, test_eof);
	tcase_add_test(ok, test_handler_error);
	tcase_add_loop_test(ok, test_pass_fds, 1, FERRY_WIRE_MAX_FDS + 1);
	suite_add_tcase(s, ok);

	tcase_add_test(bad, test_bad_short_packet);
	tcase_add_test(bad, test_bad_empty_packet);
	tcase_add_loop_test(bad, test_refusal, 0, ARRAY_SIZE(refusals));
	tcase_add_test(bad, test_bad_hello_version);
	tcase_add_test(bad, test_bad_hello_name_no_nul);
	tcase_add_test(bad, test_bad_hello_trailing);
	tcase_add_test(bad, test_bad_hello_name_long);
	tcase_add_test(bad, test_bad_second_hello);
	tcase_add_test(bad, test_bad_control_message);
	suite_add_tcase(s, bad);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(channel_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ipc-channel-refusals.c - what the channel under test ("b") refuses
 * of a peer ("a") that writes packets by hand with sendmsg(): short and
 * oversized packets, lying headers, fds that do not match the table,
 * types out of phase, replies to nothing, malformed HELLOs, foreign
 * control data (the pair is in channel-harness.h).
 *
 * Besides the fd count before and after, every refusal counts again
 * right after it while the sockets are still open: a refused packet's
 * fds must be closed by the channel itself, not merely dropped when the
 * socket goes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "channel-harness.h"
#include "util.h"

#define MAX_SENT_FDS 16u	/* more than a message may carry, for MSG_CTRUNC */

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
 * An empty packet is the shortest short packet, and the peer is still there:
 * recvmsg() returns 0 for it as for EOF, so the channel must ask whether the
 * peer hung up rather than report a clean exit (a broker would then neither
 * flag nor kill the helper).
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

static Suite *refusals_suite(void)
{
	Suite *s = suite_create("ipc-channel-refusals");
	TCase *bad = tcase_create("refusals");

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
	SRunner *sr = srunner_create(refusals_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

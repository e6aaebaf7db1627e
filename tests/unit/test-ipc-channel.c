/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ipc-channel.c - the channel over a real SOCK_SEQPACKET socketpair,
 * used as intended: HELLO both ways, requests matched to their replies
 * and errors, the pending table, the send limits, end of file, a
 * handler's error, and fds passed 1 to 8 at a time. What the channel
 * refuses is in test-ipc-channel-refusals.c; the pair both drive is in
 * channel-harness.h.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "channel-harness.h"
#include "util.h"

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
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

static Suite *channel_suite(void)
{
	Suite *s = suite_create("ipc-channel");
	TCase *ok = tcase_create("exchange");

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tunnel.c - the real ferry-tunnel, under its real sandbox, spawned
 * and spoken to by the broker's own code. The test holds the far ends of
 * every stream: a writer thread feeds "from" with a pseudo-random byte
 * stream (a function of seed and offset), a reader thread drains "to" and
 * compares every byte with what the writer sent at that offset.
 *
 * Cases: bulk data through one and two streams (splice, and the read/write
 * fallback), EOF propagation, the refusals (fd types, access modes, flags,
 * index in use, a ninth stream), cancellation, a reset peer on either
 * side, the rate cap and a change of it mid-stream, the broker hanging up,
 * and the syscall filter: what the pump needs is allowed, little else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mon-harness.h"
#include "tunnel-harness.h"
#include "tunnel-proto.h"
#include "util.h"

#define MIB (1024u * 1024u)
#define DATA_TIMEOUT_MS 120000
/* --- the helper and what it reports -------------------------------------- */

struct tev {
	uint16_t type;
	bool after_reply;		/* arrived after *watch_reply was done */
	struct ferry_tunnel_progress pr;
	struct ferry_tunnel_end end;
	char msg[FERRY_TUNNEL_MESSAGE_MAX + 1];
};

#define MAX_TEV 512
static struct tev tev[MAX_TEV];
static unsigned ntev, nends;
static const struct mon_rec *watch_reply;
static struct ferry_helper helper;
static int fds_before;

static void on_event(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	struct tev *e = &tev[ntev];
	char why[128];

	ck_assert_uint_lt(ntev, MAX_TEV);
	e->type = m->hdr.type;
	e->after_reply = watch_reply && watch_reply->done;
	if (m->hdr.type == FERRY_MSG_TUNNEL_PROGRESS) {
		ck_assert_msg(ferry_tunnel_get_progress(m->payload, m->len, &e->pr, why,
							sizeof(why)) == 0, "%s", why);
	} else {
		ck_assert_uint_eq(m->hdr.type, FERRY_MSG_TUNNEL_END);
		ck_assert_msg(ferry_tunnel_get_end(m->payload, m->len, &e->end, why, sizeof(why)) == 0,
			      "%s", why);
		snprintf(e->msg, sizeof(e->msg), "%s", e->end.message);
		e->end.message = e->msg;
		nends++;
	}
	ntev++;
}

static void setup(void)
{
	struct ferry_helper_opts o;
	char err[512];

	fds_before = mon_count_fds();
	mon_setup();
	ntev = nends = 0;
	watch_reply = NULL;
	ck_assert_msg(ferry_helper_opts_default(&o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_helper_start(&mon_loop, FERRY_HELPER_TUNNEL, &o, &helper,
					 err, sizeof(err)) == 0, "%s", err);
	helper.on_event = on_event;
	ck_assert_msg(ferry_loop_wait(&mon_loop, &helper.ready, MON_TIMEOUT_MS) == 0,
		      "ferry-tunnel gave no HELLO: %s %s", helper.exit_desc, helper.error);
}

/* The broker hangs up; the helper must exit 0 and every fd of the test be closed. */
static void teardown(void)
{
	mon_helper_hangup(&helper, fds_before);
}

static void call(uint16_t type, const struct ferry_wbuf *w, const int *fds, unsigned nfds,
		 struct mon_rec *r)
{
	mon_call_async(&helper, type, w, fds, nfds, r);
	mon_wait(&r->done);
	ck_assert_msg(r->got, "no reply: %s %s", helper.exit_desc, helper.error);
}

static void expect_ok(const struct mon_rec *r)
{
	const char *text = "";

	if (r->type == FERRY_MSG_ERROR)
		mon_expect_error(r, &text);
	ck_assert_msg(r->type == FERRY_MSG_TUNNEL_OK, "reply type %u: %s", r->type, text);
	ck_assert_uint_eq(r->len, 0);
}

static void expect_error(const struct mon_rec *r, int32_t err, const char *text)
{
	const char *got;

	ck_assert_int_eq(mon_expect_error(r, &got), err);
	ck_assert_str_eq(got, text);
}

/* TUNNEL_STREAM with a raw payload; our copies of the fds are closed after. */
static void stream_raw(uint32_t index, uint32_t flags, int from, int to, struct mon_rec *r)
{
	struct ferry_wbuf w;
	int fds[2] = { from, to };

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, index);
	ferry_put_u32(&w, flags);
	call(FERRY_MSG_TUNNEL_STREAM, &w, fds, 2, r);
	close(from);
	close(to);
}

static void stream(uint32_t index, int from, int to)
{
	struct mon_rec r;

	stream_raw(index, 0, from, to, &r);
	expect_ok(&r);
}

/* Stream @index: @w sends @limit bytes of @seed into from[0], @r reads to[0]. */
static void pump_start(uint32_t index, uint64_t seed, uint64_t limit, const int from[2],
		       const int to[2], struct flow *w, struct flow *r)
{
	flow_start(w, writer, from[0], seed, limit, 0);
	flow_start(r, reader, to[0], seed, 0, 0);
	stream(index, from[1], to[1]);
}

static void set_rate(uint64_t rate)
{
	struct ferry_wbuf w;
	struct mon_rec r;

	ferry_wbuf_init(&w);
	ck_assert_int_eq(ferry_tunnel_put_rate(&w, rate), 0);
	call(FERRY_MSG_TUNNEL_SET_RATE, &w, NULL, 0, &r);
	expect_ok(&r);
}

static void tunnel_close(void)
{
	struct mon_rec r;

	watch_reply = &r;
	call(FERRY_MSG_TUNNEL_CLOSE, NULL, NULL, 0, &r);
	watch_reply = NULL;
	expect_ok(&r);
}

/* Wait for @n TUNNEL_END in all, and the TUNNEL_PROGRESS that follows the last. */
static void wait_ends(unsigned n, int timeout_ms)
{
	uint64_t end = ferry_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (nends < n || tev[ntev - 1].type != FERRY_MSG_TUNNEL_PROGRESS) {
		ck_assert_msg(!helper.exited, "%s", helper.exit_desc);
		ck_assert_msg(ferry_now_ns() < end, "%u TUNNEL_END after %d ms, expected %u",
			      nends, timeout_ms, n);
		ferry_loop_run_once(&mon_loop, 50);
	}
}

/* Run the loop until the reader has @n bytes. */
static void wait_read(const struct flow *r, uint64_t n)
{
	uint64_t end = ferry_now_ns() + (uint64_t)DATA_TIMEOUT_MS * 1000000u;

	while (atomic_load(&r->done) < n) {
		ck_assert_msg(!helper.exited, "%s", helper.exit_desc);
		ck_assert_msg(ferry_now_ns() < end, "reader has %llu bytes after %d ms, expected %llu",
			      (unsigned long long)atomic_load(&r->done), DATA_TIMEOUT_MS,
			      (unsigned long long)n);
		ferry_loop_run_once(&mon_loop, 10);
	}
}

/* Run the loop for @ms milliseconds, taking whatever the helper reports. */
static void run_for(int ms)
{
	uint64_t end = ferry_now_ns() + (uint64_t)ms * 1000000u, now;

	while ((now = ferry_now_ns()) < end)
		ferry_loop_run_once(&mon_loop, (int)((end - now) / 1000000u) + 1);
}

/* The one TUNNEL_END of stream @index. */
static const struct ferry_tunnel_end *end_of(uint32_t index)
{
	const struct tev *found = NULL;

	for (unsigned i = 0; i < ntev; i++)
		if (tev[i].type == FERRY_MSG_TUNNEL_END && tev[i].end.index == index) {
			ck_assert_msg(!found, "two TUNNEL_END for stream %u", index);
			found = &tev[i];
		}
	ck_assert_msg(found, "no TUNNEL_END for stream %u", index);
	return &found->end;
}

static void expect_end(uint32_t index, int32_t status, uint64_t bytes, const char *message)
{
	const struct ferry_tunnel_end *e = end_of(index);

	ck_assert_int_eq(e->status, status);
	ck_assert_uint_eq(e->bytes, bytes);
	ck_assert_str_eq(e->message, message);
}

/*
 * Totals never go back; every END is followed at once by a PROGRESS; the
 * last one says @total and 0 open.
 */
static void expect_progress(uint64_t total)
{
	uint64_t last = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < ntev; i++) {
		if (tev[i].type == FERRY_MSG_TUNNEL_END) {
			ck_assert_uint_lt(i + 1, ntev);
			ck_assert_uint_eq(tev[i + 1].type, FERRY_MSG_TUNNEL_PROGRESS);
			continue;
		}
		ck_assert_uint_ge(tev[i].pr.bytes, last);
		last = tev[i].pr.bytes;
		n++;
	}
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(tev[ntev - 1].type, FERRY_MSG_TUNNEL_PROGRESS);
	ck_assert_uint_eq(tev[ntev - 1].pr.bytes, total);
	ck_assert_uint_eq(tev[ntev - 1].pr.open, 0);
}

/* --- bulk data ------------------------------------------------------------ */

/*
 * 256 MiB over unix sockets: every byte arrives, then EOF, and the counts
 * agree. The test keeps a copy of "to", as QEMU or the broker might: the
 * reader sees EOF only because the helper shuts its side down.
 */
START_TEST(one_stream_256m)
{
	const uint64_t n = 256ull * MIB;
	struct flow w, r;
	int from[2], to[2], to_copy;

	link_open(UNIX, true, from);
	link_open(UNIX, false, to);
	to_copy = keep_copy(to[1]);
	pump_start(0, 1, n, from, to, &w, &r);
	wait_ends(1, DATA_TIMEOUT_MS);
	flow_join(&w);
	flow_join(&r);
	close(to_copy);
	ck_assert_int_eq(w.err, 0);
	expect_read_all(&r, n);
	expect_end(0, 0, n, "end of stream");
	expect_progress(n);
}
END_TEST

/* Two streams at once, one of sockets and one of pipes, under indices 2 and 5. */
START_TEST(two_streams)
{
	const uint64_t n = 128ull * MIB;
	struct flow w[2], r[2];
	int from[2][2], to[2][2];

	for (int i = 0; i < 2; i++) {
		link_open(i ? PIPE : UNIX, true, from[i]);
		link_open(i ? PIPE : UNIX, false, to[i]);
	}
	pump_start(2, 2, n, from[0], to[0], &w[0], &r[0]);
	pump_start(5, 5, n + 12345, from[1], to[1], &w[1], &r[1]);
	wait_ends(2, DATA_TIMEOUT_MS);
	for (int i = 0; i < 2; i++) {
		flow_join(&w[i]);
		flow_join(&r[i]);
	}
	expect_read_all(&r[0], n);
	expect_read_all(&r[1], n + 12345);
	expect_end(2, 0, n, "end of stream");
	expect_end(5, 0, n + 12345, "end of stream");
	expect_progress(2 * n + 12345);
}
END_TEST

/*
 * splice() refuses a socket opened O_APPEND as its destination (EINVAL):
 * the stream goes on through read() and write() with what its pipe held.
 */
START_TEST(fallback_copy)
{
	const uint64_t n = 48ull * MIB + 7;
	struct flow w, r;
	int from[2], to[2];

	link_open(UNIX, true, from);
	link_open(UNIX, false, to);
	ck_assert_int_eq(fcntl(to[1], F_SETFL, O_APPEND), 0);
	pump_start(7, 3, n, from, to, &w, &r);
	wait_ends(1, DATA_TIMEOUT_MS);
	flow_join(&w);
	flow_join(&r);
	expect_read_all(&r, n);
	expect_end(7, 0, n, "end of stream");
	expect_progress(n);
}
END_TEST

/* A stream that carries nothing still ends cleanly, and EOF reaches the far side. */
START_TEST(empty_stream)
{
	struct flow r;
	int from[2], to[2];

	link_open(PIPE, true, from);
	link_open(UNIX, false, to);
	close(from[0]);
	flow_start(&r, reader, to[0], 4, 0, 0);
	stream(1, from[1], to[1]);
	wait_ends(1, MON_TIMEOUT_MS);
	flow_join(&r);
	expect_read_all(&r, 0);
	expect_end(1, 0, 0, "end of stream");
	expect_progress(0);
}
END_TEST

/* --- refusals ------------------------------------------------------------- */

enum fd_kind { PIPE_READ, PIPE_WRITE, REG_FILE, CHAR_DEV };

/* One fd of @kind; for a pipe, its other end is closed. */
static int make_fd(enum fd_kind kind)
{
	char path[] = "/tmp/ferry-tunnel-XXXXXX";
	int p[2], fd;

	if (kind == REG_FILE) {
		fd = mkostemp(path, O_CLOEXEC);
		unlink(path);
	} else if (kind == CHAR_DEV) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	} else {
		pipe_pair(p);
		fd = p[kind == PIPE_WRITE];
		close(p[kind != PIPE_WRITE]);
	}
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Only sockets and pipes, each open the way round it is used; the helper lives on. */
static const struct { enum fd_kind from, to; int32_t err; const char *error; } bad_fds[] = {
	{ CHAR_DEV, PIPE_WRITE, -EINVAL, "TUNNEL_STREAM: stream 0: fd 'from' is a character device "
	  "(file type 020000), not a socket, a pipe or a regular file" },
	{ PIPE_READ, CHAR_DEV, -EINVAL, "TUNNEL_STREAM: stream 0: fd 'to' is a character device "
	  "(file type 020000), not a socket, a pipe or a regular file" },
	{ PIPE_WRITE, PIPE_WRITE, -EBADF, "TUNNEL_STREAM: stream 0: fd 'from' is open for writing only" },
	{ PIPE_READ, PIPE_READ, -EBADF, "TUNNEL_STREAM: stream 0: fd 'to' is open for reading only" },
};

START_TEST(fd_refused)
{
	struct mon_rec r;

	stream_raw(0, 0, make_fd(bad_fds[_i].from), make_fd(bad_fds[_i].to), &r);
	expect_error(&r, bad_fds[_i].err, bad_fds[_i].error);
	ck_assert_uint_eq(ntev, 0);
	/* Still there: the next stream is taken. */
	stream(0, make_fd(PIPE_READ), make_fd(PIPE_WRITE));
}
END_TEST

static const struct { uint32_t index, flags; const char *error; } bad_requests[] = {
	{ 0, 0x1, "TUNNEL_STREAM: unknown flags 0x1" },
	{ 0, 0x80000000u, "TUNNEL_STREAM: unknown flags 0x80000000" },
	{ 8, 0, "TUNNEL_STREAM: stream index 8 is not 0-7" },
};

START_TEST(request_refused)
{
	struct mon_rec r;

	stream_raw(bad_requests[_i].index, bad_requests[_i].flags, make_fd(PIPE_READ),
		   make_fd(PIPE_WRITE), &r);
	expect_error(&r, -EINVAL, bad_requests[_i].error);
}
END_TEST

/* An idle stream: pipes whose far ends the test keeps. */
static void idle_stream(uint32_t index, int far[2])
{
	int from[2], to[2];

	link_open(PIPE, true, from);
	link_open(PIPE, false, to);
	far[0] = from[0];
	far[1] = to[0];
	stream(index, from[1], to[1]);
}

/* An index is unique among open streams; once its stream has ended it is free again. */
START_TEST(index_in_use_refused)
{
	struct mon_rec r;
	int far[2];
	char buf[4];

	idle_stream(3, far);
	stream_raw(3, 0, make_fd(PIPE_READ), make_fd(PIPE_WRITE), &r);
	expect_error(&r, -EBUSY, "TUNNEL_STREAM: stream 3 is already open");

	close(far[0]);
	wait_ends(1, MON_TIMEOUT_MS);
	expect_end(3, 0, 0, "end of stream");
	ck_assert_int_eq(read(far[1], buf, sizeof(buf)), 0);
	close(far[1]);
	idle_stream(3, far);
	close(far[0]);
	close(far[1]);
	wait_ends(2, MON_TIMEOUT_MS);
}
END_TEST

/* Eight streams (36 fds in the helper, within its NOFILE), not nine; CLOSE ends them all. */
START_TEST(ninth_stream_refused)
{
	int far[FERRY_TUNNEL_MAX_STREAMS][2];
	struct mon_rec r;
	char buf[4];

	for (uint32_t i = 0; i < FERRY_TUNNEL_MAX_STREAMS; i++)
		idle_stream(i, far[i]);
	stream_raw(4, 0, make_fd(PIPE_READ), make_fd(PIPE_WRITE), &r);
	expect_error(&r, -ENOSPC, "TUNNEL_STREAM: 8 streams are open, the most a tunnel pumps");

	tunnel_close();
	ck_assert_uint_eq(nends, FERRY_TUNNEL_MAX_STREAMS);
	for (uint32_t i = 0; i < FERRY_TUNNEL_MAX_STREAMS; i++) {
		expect_end(i, -ECANCELED, 0, "cancelled");
		/* Closed: the read side sees EOF, the write side EPIPE. */
		ck_assert_int_eq(read(far[i][1], buf, sizeof(buf)), 0);
		ck_assert_int_eq(write(far[i][0], "x", 1), -1);
		ck_assert_int_eq(errno, EPIPE);
		close(far[i][0]);
		close(far[i][1]);
	}
	expect_progress(0);
}
END_TEST

/* --- ends that are not EOF ------------------------------------------------ */

/*
 * CLOSE mid-stream: END -ECANCELED before the reply; "from" is shut down
 * (the writer sees EPIPE although the test keeps a copy of it), "to" closed.
 */
START_TEST(close_mid_stream)
{
	struct flow w, r;
	int from[2], to[2], from_copy;

	link_open(UNIX, true, from);
	link_open(PIPE, false, to);
	from_copy = keep_copy(from[1]);
	pump_start(4, 6, UINT64_MAX, from, to, &w, &r);
	wait_read(&r, 8 * MIB);
	tunnel_close();
	ck_assert_uint_eq(nends, 1);
	for (unsigned i = 0; i < ntev; i++)
		ck_assert(!tev[i].after_reply);
	flow_join(&w);
	flow_join(&r);
	close(from_copy);
	ck_assert_int_eq(w.err, EPIPE);
	/* Every byte the helper counted reached the reader, and then EOF. */
	expect_read_all(&r, end_of(4)->bytes);
	ck_assert_uint_ge(end_of(4)->bytes, 8 * MIB);
	expect_end(4, -ECANCELED, atomic_load(&r.done), "cancelled");
	expect_progress(atomic_load(&r.done));
}
END_TEST

/* The peer resets the connection "to" leads to: the END names the write and its error. */
START_TEST(to_peer_reset)
{
	const struct ferry_tunnel_end *e;
	struct flow w, r;
	int from[2], to[2];
	char want[128];

	link_open(UNIX, true, from);
	link_open(TCP, false, to);
	flow_start(&w, writer, from[0], 7, UINT64_MAX, 0);
	flow_start(&r, reader, to[0], 7, 0, 4 * MIB);
	stream(0, from[1], to[1]);
	wait_ends(1, DATA_TIMEOUT_MS);
	flow_join(&r);
	flow_join(&w);
	e = end_of(0);
	ck_assert_msg(e->status == -ECONNRESET || e->status == -EPIPE, "status %d", e->status);
	snprintf(want, sizeof(want), "write: %s", strerror(-e->status));
	ck_assert_str_eq(e->message, want);
	ck_assert_uint_ge(e->bytes, 4 * MIB);
	/* The stream is over at both ends: QEMU's side is shut down too. */
	ck_assert_int_eq(w.err, EPIPE);
	expect_progress(e->bytes);
}
END_TEST

/* The peer resets the connection "from" comes over: the END names the read. */
START_TEST(from_peer_reset)
{
	const struct ferry_tunnel_end *e;
	struct flow w, r;
	int from[2], to[2];

	link_open(TCP, true, from);
	link_open(UNIX, false, to);
	flow_start(&w, writer, from[0], 8, UINT64_MAX, 4 * MIB);
	flow_start(&r, reader, to[0], 8, 0, 0);
	stream(6, from[1], to[1]);
	wait_ends(1, DATA_TIMEOUT_MS);
	flow_join(&w);
	flow_join(&r);
	e = end_of(6);
	ck_assert_int_eq(e->status, -ECONNRESET);
	ck_assert_str_eq(e->message, "read: Connection reset by peer");
	/* What was written before the reset arrived intact; then "to" was closed. */
	ck_assert_msg(r.bad_at == UINT64_MAX, "byte %llu differs", (unsigned long long)r.bad_at);
	ck_assert_uint_eq(atomic_load(&r.done), e->bytes);
	ck_assert(r.eof || r.err == ECONNRESET);
}
END_TEST

/* The broker hangs up mid-stream: the helper closes everything and exits 0 (teardown). */
START_TEST(broker_hangs_up)
{
	struct flow w, r;
	int from[2], to[2];

	link_open(UNIX, true, from);
	link_open(UNIX, false, to);
	pump_start(2, 9, UINT64_MAX, from, to, &w, &r);
	wait_read(&r, MIB);
	ferry_helper_shutdown(&helper);
	ck_assert_msg(ferry_loop_wait(&mon_loop, &helper.exited, MON_TIMEOUT_MS) == 0,
		      "ferry-tunnel did not exit");
	ck_assert_msg(strstr(helper.exit_desc, "exited with status 0"), "%s", helper.exit_desc);
	flow_join(&w);
	flow_join(&r);
	ck_assert_int_eq(w.err, EPIPE);
	ck_assert(r.eof);
	ck_assert_msg(r.bad_at == UINT64_MAX, "byte %llu differs", (unsigned long long)r.bad_at);
	ck_assert_uint_eq(ntev, 0);
}
END_TEST

static void signal_helper(int sig)
{
	ck_assert_int_eq(syscall(SYS_pidfd_send_signal, helper.child.pidfd, sig, NULL, 0), 0);
}

/*
 * The broker hangs up just as a stream ends: the helper finds out by
 * failing to send TUNNEL_END, and that is no error either. Stopped, it is
 * handed both at once, and it pumps before it reads the channel.
 */
START_TEST(broker_hangs_up_at_end)
{
	siginfo_t si;
	char buf[4];
	int from[2], to[2];

	link_open(PIPE, true, from);
	link_open(PIPE, false, to);
	stream(1, from[1], to[1]);
	signal_helper(SIGSTOP);
	ck_assert_int_eq(waitid(P_PIDFD, (id_t)helper.child.pidfd, &si, WSTOPPED | WNOWAIT), 0);
	close(from[0]);
	ferry_helper_shutdown(&helper);
	signal_helper(SIGCONT);
	ck_assert_msg(ferry_loop_wait(&mon_loop, &helper.exited, MON_TIMEOUT_MS) == 0,
		      "ferry-tunnel did not exit");
	ck_assert_msg(strstr(helper.exit_desc, "exited with status 0"), "%s", helper.exit_desc);
	ck_assert_int_eq(read(to[0], buf, sizeof(buf)), 0);
	close(to[0]);
}
END_TEST

/* --- the rate cap --------------------------------------------------------- */

static uint64_t moved(const struct flow *r, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += atomic_load(&r[i].done);
	return sum;
}

/*
 * @ms of pumping at @rate reach the @n readers of @r within @tol. More is
 * the cap failing, always. Less can also be a busy machine starving the
 * pump, so a second window may make up for the first.
 */
static void expect_rate(const struct flow *r, unsigned n, double rate, double tol, int ms,
			const char *what)
{
	for (int i = 0; i < 2; i++) {
		uint64_t before = moved(r, n), t0 = ferry_now_ns(), got;
		double want;

		run_for(ms);
		got = moved(r, n) - before;
		want = rate * (double)(ferry_now_ns() - t0) / 1e9;
		ck_assert_msg(got <= want * (1 + tol), "%s: %.1f MB moved, more than %.1f MB +%.0f%%",
			      what, got / 1e6, want / 1e6, tol * 100);
		if (got >= want * (1 - tol))
			return;
		fprintf(stderr, "%s: %.1f MB moved, less than %.1f MB -%.0f%%\n", what, got / 1e6,
			want / 1e6, tol * 100);
	}
	ck_abort_msg("%s: too slow in two windows running", what);
}

/* 50 MB/s for 3 s: 150 MB within 10 %, reported about every 250 ms. */
START_TEST(rate_cap)
{
	struct flow w, r;
	unsigned progress = 0;
	int from[2], to[2];
	double quarters;
	uint64_t t0;

	link_open(UNIX, true, from);
	link_open(UNIX, false, to);
	set_rate(50000000u);
	t0 = ferry_now_ns();
	pump_start(0, 10, UINT64_MAX, from, to, &w, &r);
	expect_rate(&r, 1, 50e6, 0.10, 3000, "3 s at 50 MB/s");
	quarters = (double)(ferry_now_ns() - t0) / 250e6;
	for (unsigned i = 0; i < ntev; i++)
		progress += tev[i].type == FERRY_MSG_TUNNEL_PROGRESS;
	ck_assert_msg(progress >= quarters * 0.75 && progress <= quarters * 1.25,
		      "%u TUNNEL_PROGRESS in %.0f ms", progress, quarters * 250);
	tunnel_close();
	flow_join(&w);
	flow_join(&r);
	expect_read_all(&r, end_of(0)->bytes);
}
END_TEST

/* A new rate applies at once to the streams under way, here two sharing it. */
START_TEST(rate_change)
{
	struct flow w[2], r[2];
	int from[2][2], to[2][2];

	set_rate(20000000u);
	for (int i = 0; i < 2; i++) {
		link_open(UNIX, true, from[i]);
		link_open(UNIX, false, to[i]);
		pump_start((uint32_t)i, 11 + (uint64_t)i, UINT64_MAX, from[i], to[i], &w[i], &r[i]);
	}
	run_for(500);	/* past the first burst */
	expect_rate(r, 2, 20e6, 0.15, 1500, "20 MB/s");
	set_rate(80000000u);
	expect_rate(r, 2, 80e6, 0.15, 1500, "80 MB/s");
	tunnel_close();
	for (int i = 0; i < 2; i++) {
		flow_join(&w[i]);
		flow_join(&r[i]);
		ck_assert_msg(atomic_load(&r[i].done) > 10 * MIB, "stream %d starved", i);
		expect_read_all(&r[i], end_of((uint32_t)i)->bytes);
	}
}
END_TEST

/* --- the filter ----------------------------------------------------------- */

#if FERRY_TEST_HOOKS
/* What the pump needs is on the list: called with zero arguments, each answers. */
static const struct { const char *name; long nr; } needed[] = {
	{ "splice", SYS_splice }, { "pipe2", SYS_pipe2 }, { "read", SYS_read },
	{ "shutdown", SYS_shutdown }, { "clock_gettime", SYS_clock_gettime },
};

START_TEST(needed_syscalls_allowed)
{
	mon_expect_allowed(&helper, needed[_i].name, needed[_i].nr);
}
END_TEST

/* What a compromised pump would reach for next is not: each kills it. */
static const struct { const char *name; long nr; } unneeded[] = {
	{ "sendfile", SYS_sendfile }, { "socketpair", SYS_socketpair },
	{ "accept4", SYS_accept4 }, { "tee", SYS_tee }, { "vmsplice", SYS_vmsplice },
};

START_TEST(unneeded_syscalls_kill)
{
	mon_expect_killed(&helper, unneeded[_i].name, unneeded[_i].nr);
}
END_TEST
#endif

static Suite *tunnel_suite(void)
{
	Suite *s = suite_create("tunnel");
	TCase *data = tcase_create("data");
	TCase *refuse = tcase_create("refusals");
	TCase *ends = tcase_create("ends");
	TCase *rate = tcase_create("rate");

	tcase_add_checked_fixture(data, setup, teardown);
	tcase_set_timeout(data, 240);
	tcase_add_test(data, one_stream_256m);
	tcase_add_test(data, two_streams);
	tcase_add_test(data, fallback_copy);
	tcase_add_test(data, empty_stream);
	suite_add_tcase(s, data);

	tcase_add_checked_fixture(refuse, setup, teardown);
	tcase_add_loop_test(refuse, fd_refused, 0, (int)ARRAY_SIZE(bad_fds));
	tcase_add_loop_test(refuse, request_refused, 0, (int)ARRAY_SIZE(bad_requests));
	tcase_add_test(refuse, index_in_use_refused);
	tcase_add_test(refuse, ninth_stream_refused);
	suite_add_tcase(s, refuse);

	tcase_add_checked_fixture(ends, setup, teardown);
	tcase_set_timeout(ends, 60);
	tcase_add_test(ends, close_mid_stream);
	tcase_add_test(ends, to_peer_reset);
	tcase_add_test(ends, from_peer_reset);
	tcase_add_test(ends, broker_hangs_up);
	tcase_add_test(ends, broker_hangs_up_at_end);
	suite_add_tcase(s, ends);

	tcase_add_checked_fixture(rate, setup, teardown);
	tcase_set_timeout(rate, 60);
	tcase_add_test(rate, rate_cap);
	tcase_add_test(rate, rate_change);
	suite_add_tcase(s, rate);

#if FERRY_TEST_HOOKS
	TCase *filter = tcase_create("filter");

	tcase_add_checked_fixture(filter, setup, teardown);
	tcase_add_loop_test(filter, needed_syscalls_allowed, 0, (int)ARRAY_SIZE(needed));
	tcase_add_loop_test(filter, unneeded_syscalls_kill, 0, (int)ARRAY_SIZE(unneeded));
	suite_add_tcase(s, filter);
#endif
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tunnel_suite());
	int failed;

	/* The test's own ends see EPIPE, never a signal. */
	signal(SIGPIPE, SIG_IGN);
#if !FERRY_TEST_HOOKS
	printf("NOTE: built with -Dtest_hooks=false: the syscall filter tests are not compiled\n");
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

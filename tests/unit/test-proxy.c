/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-proxy.c - the pump of `ferryctl proxy` (client/proxy.c) in a
 * thread, between socketpairs, pipes and files standing for its stdin,
 * stdout and the broker socket: bytes arrive unchanged both ways, each
 * end passes on in its own direction only, 64 MiB each way at once
 * arrive intact, and a side going away is an error that says so.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"
#include "util.h"

#define BIG (64u << 20)

/* The pump's fds, what it returned, and the fds the test closes at the end. */
struct pump_run {
	int in, out, sock;
	pthread_t thread;
	int r;
	char err[256];
	int owned[8];
	size_t nowned;
};

static void *pump_thread(void *arg)
{
	struct pump_run *p = arg;

	p->r = ferry_proxy_pump(p->in, p->out, p->sock, p->err, sizeof(p->err));
	return NULL;
}

static void pump_start(struct pump_run *p, int in, int out, int sock)
{
	p->in = in;
	p->out = out;
	p->sock = sock;
	ck_assert_int_eq(pthread_create(&p->thread, NULL, pump_thread, p), 0);
}

/* Join; the pump must have ended with @want. Then close what the test owns. */
static void pump_join(struct pump_run *p, int want)
{
	ck_assert_int_eq(pthread_join(p->thread, NULL), 0);
	ck_assert_msg(p->r == want, "pump returned %d (%s), not %d", p->r, p->err, want);
	ferry_close_fds(p->owned, p->nowned);
}

/* A socketpair for @p: [0] the test's end, [1] the pump's. */
static void pair(struct pump_run *p, int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_uint_le(p->nowned + 2, ARRAY_SIZE(p->owned));
	p->owned[p->nowned++] = sv[0];
	p->owned[p->nowned++] = sv[1];
}

/* The usual case: stdin, stdout and the socket each a socketpair. */
struct ends {
	int in, out, sock;	/* the test's ends */
};

static struct ends pump_on_pairs(struct pump_run *p)
{
	int in[2], out[2], sock[2];

	*p = (struct pump_run){ .nowned = 0 };
	pair(p, in);
	pair(p, out);
	pair(p, sock);
	pump_start(p, in[1], out[1], sock[1]);
	return (struct ends){ in[0], out[0], sock[0] };
}

static void send_str(int fd, const char *s)
{
	ck_assert_int_eq(ferry_write_all(fd, s, strlen(s)), 0);
}

/* Exactly @want arrives on @fd. */
static void expect_str(int fd, const char *want)
{
	char buf[256];
	size_t got = 0, len = strlen(want);

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		ck_assert_msg(n > 0, "read: %zd (%s) after %zu bytes", n, strerror(errno), got);
		got += (size_t)n;
	}
	ck_assert_int_eq(memcmp(buf, want, len), 0);
}

static void expect_eof(int fd)
{
	char c;

	ck_assert_int_eq(read(fd, &c, 1), 0);
}

START_TEST(test_both_ways)
{
	struct pump_run p;
	struct ends e = pump_on_pairs(&p);

	send_str(e.in, "{\"execute\": \"version\"}\n");
	expect_str(e.sock, "{\"execute\": \"version\"}\n");
	send_str(e.sock, "{\"return\": {}}\n");
	expect_str(e.out, "{\"return\": {}}\n");
	/* stdin ends: the broker sees the end, stdout stays open. */
	shutdown(e.in, SHUT_WR);
	expect_eof(e.sock);
	send_str(e.sock, "late");
	expect_str(e.out, "late");
	shutdown(e.sock, SHUT_WR);
	expect_eof(e.out);
	pump_join(&p, 0);
}
END_TEST

START_TEST(test_socket_ends_first)
{
	struct pump_run p;
	struct ends e = pump_on_pairs(&p);

	shutdown(e.sock, SHUT_WR);
	expect_eof(e.out);
	/* The other way still carries: the broker may still be reading. */
	send_str(e.in, "bye");
	expect_str(e.sock, "bye");
	shutdown(e.in, SHUT_WR);
	expect_eof(e.sock);
	pump_join(&p, 0);
}
END_TEST

/*
 * sshd may hand a command one socket as both stdin and stdout: its end
 * that way is a shutdown, since closing fd 1 would not end anything.
 */
START_TEST(test_one_socket_for_stdio)
{
	struct pump_run p = { .nowned = 0 };
	int stdio[2], sock[2];

	pair(&p, stdio);
	pair(&p, sock);
	pump_start(&p, stdio[1], stdio[1], sock[1]);
	send_str(stdio[0], "up");
	expect_str(sock[0], "up");
	send_str(sock[0], "down");
	expect_str(stdio[0], "down");
	shutdown(sock[0], SHUT_WR);
	expect_eof(stdio[0]);
	shutdown(stdio[0], SHUT_WR);
	expect_eof(sock[0]);
	ck_assert_int_eq(pthread_join(p.thread, NULL), 0);
	ck_assert_int_eq(p.r, 0);
	/* Its O_NONBLOCK is taken back, the same file being both. */
	ck_assert_int_eq(fcntl(stdio[1], F_GETFL) & O_NONBLOCK, 0);
	ferry_close_fds(p.owned, p.nowned);
}
END_TEST

/* --- volume -------------------------------------------------------------- */

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)((i * 2654435761u) >> 13) ^ (uint8_t)seed;
}

struct stream {
	int fd;
	unsigned seed;
	size_t len;
	bool shut;		/* writer: shut the socket down (else close) at the end */
	size_t bad_at;		/* reader: first wrong byte, or SIZE_MAX */
	size_t got;
};

static void *writer(void *arg)
{
	struct stream *s = arg;
	static __thread uint8_t buf[65536];

	for (size_t off = 0; off < s->len;) {
		size_t n = s->len - off < sizeof(buf) ? s->len - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, s->seed);
		if (ferry_write_all(s->fd, buf, n) < 0)
			break;
		off += n;
	}
	if (s->shut)
		shutdown(s->fd, SHUT_WR);
	else
		close(s->fd);
	return NULL;
}

static void *reader(void *arg)
{
	struct stream *s = arg;
	static __thread uint8_t buf[65536];
	ssize_t n;

	s->bad_at = SIZE_MAX;
	while ((n = read(s->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && s->bad_at == SIZE_MAX; i++)
			if (buf[i] != pattern(s->got + (size_t)i, s->seed))
				s->bad_at = s->got + (size_t)i;
		s->got += (size_t)n;
	}
	return NULL;
}

/* @len bytes each way at once: in_w -> sock_r and sock_w -> out_r. */
static void both_ways_at_once(int in_w, bool in_shut, int sock_r, int sock_w, int out_r, size_t len)
{
	struct stream s[4] = {
		{ .fd = in_w, .seed = 1, .len = len, .shut = in_shut },
		{ .fd = sock_r, .seed = 1 },
		{ .fd = sock_w, .seed = 2, .len = len, .shut = true },
		{ .fd = out_r, .seed = 2 },
	};
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, i % 2 ? reader : writer, &s[i]), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (int i = 1; i < 4; i += 2) {
		ck_assert_msg(s[i].bad_at == SIZE_MAX, "stream %d: byte %zu differs", i, s[i].bad_at);
		ck_assert_uint_eq(s[i].got, len);
	}
}

START_TEST(test_large_sockets)
{
	struct pump_run p;
	struct ends e = pump_on_pairs(&p);

	both_ways_at_once(e.in, true, e.sock, e.sock, e.out, BIG);
	pump_join(&p, 0);
}
END_TEST

/* sshd may give pipes instead: the pump closes stdout's to end it. */
START_TEST(test_large_pipes)
{
	struct pump_run p = { .nowned = 0 };
	int in[2], out[2], sock[2];

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	/* The writer closes in[1]; the pump closes out[1]. */
	p.owned[p.nowned++] = in[0];
	p.owned[p.nowned++] = out[0];
	pair(&p, sock);
	pump_start(&p, in[0], out[1], sock[1]);
	both_ways_at_once(in[1], false, sock[0], sock[0], out[0], BIG);
	pump_join(&p, 0);
}
END_TEST

/* --- what splice() cannot take, and failures ------------------------------ */

static int temp_file(const char *content)
{
	char path[] = "/tmp/ferry-proxy-test-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	send_str(fd, content);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

START_TEST(test_files)
{
	struct pump_run p = { .nowned = 0 };
	int in = temp_file("from a file"), out = temp_file(""), sock[2];
	_cleanup_close_ int out_again = dup(out);	/* the pump closes @out at the end */

	ck_assert_int_ge(out_again, 0);
	p.owned[p.nowned++] = in;
	pair(&p, sock);
	pump_start(&p, in, out, sock[1]);
	expect_str(sock[0], "from a file");
	expect_eof(sock[0]);
	send_str(sock[0], "into a file");
	shutdown(sock[0], SHUT_WR);
	pump_join(&p, 0);
	ck_assert_int_eq(lseek(out_again, 0, SEEK_SET), 0);
	expect_str(out_again, "into a file");
	expect_eof(out_again);
}
END_TEST

START_TEST(test_broker_gone)
{
	struct pump_run p;
	struct ends e = pump_on_pairs(&p);

	shutdown(e.sock, SHUT_RDWR);
	send_str(e.in, "anyone there?");
	pump_join(&p, -EPIPE);
	ck_assert_msg(strstr(p.err, "writing to the broker socket"), "%s", p.err);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *ends = tcase_create("ends");
	TCase *volume = tcase_create("volume");

	tcase_add_test(ends, test_both_ways);
	tcase_add_test(ends, test_socket_ends_first);
	tcase_add_test(ends, test_one_socket_for_stdio);
	tcase_add_test(ends, test_files);
	tcase_add_test(ends, test_broker_gone);
	suite_add_tcase(s, ends);

	tcase_set_timeout(volume, 100);
	tcase_add_test(volume, test_large_sockets);
	tcase_add_test(volume, test_large_pipes);
	suite_add_tcase(s, volume);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proxy_suite());
	int failed;

	/* As ferryctl proxy does: a reader going away is an error return. */
	signal(SIGPIPE, SIG_IGN);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

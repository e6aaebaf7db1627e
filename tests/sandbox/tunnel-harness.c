/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tunnel-harness.h"

#define IO_CHUNK (256u * 1024u)

/* --- data: a writer and a reader thread per stream ----------------------- */


static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The stream's bytes [pos, pos + len): byte i is byte i % 8 of mix(seed + i / 8). */
static void pattern(uint8_t *buf, uint64_t seed, uint64_t pos, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint64_t word = mix(seed + (pos + i) / 8);
		size_t b = (pos + i) % 8;

		for (; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(word >> (8 * b));
	}
}

static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

void *writer(void *arg)
{
	struct flow *f = arg;
	uint8_t *buf = malloc(IO_CHUNK);
	uint64_t pos = 0;

	ck_assert_ptr_nonnull(buf);
	while (pos < f->limit && !f->err) {
		size_t len = f->limit - pos < IO_CHUNK ? (size_t)(f->limit - pos) : IO_CHUNK;
		ssize_t n;

		if (f->reset_after && pos >= f->reset_after)
			break;
		pattern(buf, f->seed, pos, len);
		for (size_t off = 0; off < len && !f->err; off += (size_t)n) {
			n = write(f->fd, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				n = 0;
			else if (n < 0)
				f->err = errno;
			else
				atomic_store(&f->done, pos += (uint64_t)n);
		}
	}
	if (f->reset_after)
		abort_close(f->fd);
	else
		close(f->fd);
	free(buf);
	return NULL;
}

void *reader(void *arg)
{
	struct flow *f = arg;
	uint8_t *buf = malloc(IO_CHUNK), *want = malloc(IO_CHUNK);
	uint64_t pos = 0;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(want);
	while (f->bad_at == UINT64_MAX) {
		ssize_t n = read(f->fd, buf, IO_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->err = n < 0 ? errno : 0;
			f->eof = n == 0;
			break;
		}
		pattern(want, f->seed, pos, (size_t)n);
		for (ssize_t i = 0; i < n && f->bad_at == UINT64_MAX; i++)
			if (buf[i] != want[i])
				f->bad_at = pos + (uint64_t)i;
		atomic_store(&f->done, pos += (uint64_t)n);
		if (f->reset_after && pos >= f->reset_after)
			break;
	}
	if (f->reset_after)
		abort_close(f->fd);
	else
		close(f->fd);
	free(buf);
	free(want);
	return NULL;
}

void flow_start(struct flow *f, void *(*fn)(void *), int fd, uint64_t seed, uint64_t limit,
		       uint64_t reset_after)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->seed = seed;
	f->limit = limit;
	f->reset_after = reset_after;
	f->bad_at = UINT64_MAX;
	ck_assert_int_eq(pthread_create(&f->th, NULL, fn, f), 0);
}

/* A thread that does not finish is waiting for an EOF or an EPIPE that never came. */
void flow_join(struct flow *f)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	ck_assert_msg(pthread_timedjoin_np(f->th, NULL, &ts) == 0,
		      "the %s of fd %d is still waiting after 30 s", f->limit ? "writer" : "reader",
		      f->fd);
}

/* The reader got exactly @n right bytes, then EOF. */
void expect_read_all(const struct flow *f, uint64_t n)
{
	uint64_t got = atomic_load(&f->done);

	ck_assert_msg(f->bad_at == UINT64_MAX, "byte %llu differs", (unsigned long long)f->bad_at);
	ck_assert_msg(f->eof, "reader stopped by %s, not EOF", strerror(f->err));
	ck_assert_msg(got == n, "reader got %llu bytes, expected %llu", (unsigned long long)got,
		      (unsigned long long)n);
}

/* A connected TCP pair over loopback: where a peer can reset the connection. */
void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sv[0], 0);
	ck_assert_int_eq(connect(sv[0], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(sv[1], 0);
	close(l);
}

void pipe_pair(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
}


/*
 * One side of a stream: [0] the test's end, [1] the helper's. @from: the
 * test writes [0] and the helper reads [1]; else the other way round.
 */
void link_open(enum link_kind kind, bool from, int e[2])
{
	int p[2];

	if (kind == TCP) {
		tcp_pair(e);
	} else if (kind == UNIX) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, e), 0);
	} else {
		pipe_pair(p);
		e[0] = p[from];
		e[1] = p[!from];
	}
}

/* A copy of @fd the test keeps, as QEMU or the broker might. */
int keep_copy(int fd)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_ge(copy, 0);
	return copy;
}


/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tunnel-harness.h - the far ends of ferry-tunnel's streams in its
 * sandbox test: a writer thread feeding a pseudo-random byte stream (a
 * function of seed and offset) and a reader thread checking every byte it
 * drains against it, over unix sockets, pipes or TCP over loopback.
 */
#ifndef FERRY_TUNNEL_HARNESS_H
#define FERRY_TUNNEL_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct flow {
	int fd;
	uint64_t seed;
	uint64_t limit;			/* writer: bytes to send, then close; UINT64_MAX: until refused */
	uint64_t reset_after;		/* TCP: abort (RST) after this many bytes; 0: never */
	_Atomic uint64_t done;		/* bytes written, or read and found right */
	int err;			/* errno that stopped it; 0: limit or EOF */
	bool eof;			/* reader: EOF came */
	uint64_t bad_at;		/* reader: first wrong byte; UINT64_MAX: none */
	pthread_t th;
};

enum link_kind { UNIX, PIPE, TCP };

/* Start @fn (writer or reader) on @fd; join it within 30 s or fail. */
void flow_start(struct flow *f, void *(*fn)(void *), int fd, uint64_t seed, uint64_t limit,
		uint64_t reset_after);
void flow_join(struct flow *f);
void *writer(void *arg);
void *reader(void *arg);
/* The reader got exactly @n right bytes, then EOF. */
void expect_read_all(const struct flow *f, uint64_t n);

void tcp_pair(int sv[2]);
void pipe_pair(int p[2]);
/*
 * One side of a stream: [0] the test's end, [1] the helper's. @from: the
 * test writes [0] and the helper reads [1]; else the other way round.
 */
void link_open(enum link_kind kind, bool from, int e[2]);
/* A copy of @fd the test keeps, as QEMU or the broker might. */
int keep_copy(int fd);

#endif

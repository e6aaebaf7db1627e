/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * channel-harness.h - a channel pair over a real SOCK_SEQPACKET
 * socketpair, for the channel tests.
 *
 * One end ("a") plays the peer: it speaks through the channel API, or the
 * test writes packets on its socket by hand. The other end ("b") is the
 * channel under test. Both use one table of test-only message types whose
 * handlers record what they saw in the channel's struct seen. Every case
 * counts the entries in /proc/self/fd before and after: fds a channel
 * received must be closed by the channel itself, not merely dropped when
 * the socket goes.
 */
#ifndef FERRY_TEST_CHANNEL_HARNESS_H
#define FERRY_TEST_CHANNEL_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "channel.h"

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

struct pair {
	struct ferry_chan a;	/* the peer, as the test drives it */
	struct ferry_chan b;	/* the channel under test */
	struct seen sa, sb;
};

/* Zero bytes, for payloads whose content does not matter. */
extern const uint8_t zeros[128];

/* Entries in /proc/self/fd, less the one opendir() holds while counting. */
int count_open_fds(void);
/* A distinct file per call, without FD_CLOEXEC: the receiver must add it. */
int test_file(void);

/* @from sends HELLO and @to must take it. */
void send_hello(struct ferry_chan *from, struct ferry_chan *to,
		const char *name, uint32_t nsys, uint32_t ns);
/*
 * Open a pair on a fresh socketpair, both ends non-blocking: a test that
 * expects a packet which is not there fails at once. @ready: after the
 * HELLO exchange both ways.
 */
void pair_open(struct pair *p, bool ready);
void pair_close(struct pair *p);

/* The next packet on @c must be refused with @want and a message holding @w1 and @w2. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define expect_refused(c, want, w1, w2) expect_refused_at("line " STR(__LINE__), c, want, w1, w2)
void expect_refused_at(const char *at, struct ferry_chan *c, int want,
		       const char *w1, const char *w2);

#endif

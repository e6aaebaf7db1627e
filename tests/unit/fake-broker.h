/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-broker.h - a scripted stand-in for ferryd, run in a thread of the
 * test. It plays a list of steps on one connection (a socketpair end, or
 * the first client of a unix socket in a temporary directory) and writes
 * down what the client sent, so a test can check both sides afterwards.
 *
 * Free the client before fake_join(): at the end of its script the fake
 * reads until the client hangs up, so a client still connected blocks it.
 */
#ifndef FERRY_TEST_FAKE_BROKER_H
#define FERRY_TEST_FAKE_BROKER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum fake_step_kind {
	FAKE_END = 0,	/* read until the client hangs up, then close */
	FAKE_SEND,	/* write text; "$ID" becomes the last request's id */
	FAKE_EXPECT,	/* read one request line; its execute must be text */
	FAKE_CLOSE,	/* close at once */
	FAKE_FLOOD,	/* write n bytes of 'x' with no newline */
	FAKE_SLEEP,	/* wait n milliseconds */
	FAKE_REPEAT,	/* write text n times */
};

struct fake_step {
	enum fake_step_kind kind;
	const char *text;
	size_t n;
};

#define FAKE_MAX_REQUESTS 8

#define GREETING_RW \
	"{\"ferry\": {\"version\": {\"major\": 0, \"minor\": 1, \"micro\": 0}, \"readonly\": false}}\n"
#define GREETING_RO \
	"{\"ferry\": {\"version\": {\"major\": 0, \"minor\": 1, \"micro\": 0}, \"readonly\": true}}\n"

struct fake_broker {
	const struct fake_step *steps;
	int fd;				/* the connection, once there is one */
	int listen_fd;			/* -1 when started on a socketpair */
	char dir[64];			/* temporary directory of the socket */
	char path[128];			/* its socket */
	char uri[160];			/* unix://PATH */
	pthread_t thread;
	/* What the client sent, in order. */
	size_t nreq;
	int64_t ids[FAKE_MAX_REQUESTS];
	char *requests[FAKE_MAX_REQUESTS];	/* each whole line, malloc'ed */
	char fail[256];			/* the first thing that went wrong, or "" */
};

/* Play @steps on a new socketpair; returns the client's end. */
int fake_start_pair(struct fake_broker *fb, const struct fake_step *steps);
/* Listen on a unix socket in a new temporary directory; fb->uri names it. */
void fake_start_unix(struct fake_broker *fb, const struct fake_step *steps);
/* Wait for the script to end; fails the test if the fake saw a problem. */
void fake_join(struct fake_broker *fb);
/* Free what fake_join() left for inspection and remove the socket. */
void fake_free(struct fake_broker *fb);

#endif

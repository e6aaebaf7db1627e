/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mon-harness.h - driving the real ferry-monitor from a test: the broker's
 * own spawn, loop and channel code, with every reply and event the broker
 * sees recorded in arrival order.
 */
#ifndef FERRY_MON_HARNESS_H
#define FERRY_MON_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/helper.h"
#include "monitor-proto.h"

#define MON_TIMEOUT_MS 5000

/* One reply or event, as the broker received it. */
struct mon_rec {
	bool done;		/* the reply came, or the call failed */
	bool got;		/* a packet came (not a dead helper) */
	uint16_t type;
	unsigned seq;		/* arrival order across replies and events */
	uint32_t len;
	uint8_t payload[2048];
};

#define MON_MAX_EVENTS 64

struct mon_events {
	unsigned n;
	struct mon_rec ev[MON_MAX_EVENTS];
};

extern struct ferry_loop mon_loop;
extern struct mon_events mon_events;

void mon_setup(void);
void mon_teardown(void);
int mon_count_fds(void);

/* Start ferry-monitor, wait for its hello, record its events in mon_events. */
void mon_start(struct ferry_helper *h);
void mon_wait_exit(struct ferry_helper *h);
/* Run the loop until @flag is set; fail the test after MON_TIMEOUT_MS. */
void mon_wait(const bool *flag);
/* Run the loop until @n events have arrived. */
void mon_wait_events(unsigned n);

/* Send MON_ATTACH with @fd (not closed) and MON_COMMAND; the reply lands in @r. */
void mon_attach_async(struct ferry_helper *h, int fd, uint32_t timeout_ms, struct mon_rec *r);
void mon_command_async(struct ferry_helper *h, uint32_t cmd, uint32_t timeout_ms,
		       struct mon_rec *r);
/* MON_COMMAND with arguments. */
void mon_send_async(struct ferry_helper *h, const struct ferry_mon_command *c, struct mon_rec *r);
void mon_call_async(struct ferry_helper *h, uint16_t type, const struct ferry_wbuf *w,
		    const int *fds, unsigned nfds, struct mon_rec *r);

/* Decode, failing the test on a malformed payload. */
void mon_expect_result(const struct mon_rec *r, struct ferry_mon_result *res);
void mon_expect_event(const struct mon_rec *r, struct ferry_mon_event *ev);
void mon_expect_closed(const struct mon_rec *r, struct ferry_mon_closed *c);
/* An ERROR reply: its -errno and message. */
int32_t mon_expect_error(const struct mon_rec *r, const char **text);

/*
 * The broker hangs up on @h: unless it is gone already it must exit 0;
 * then the loop ends and the test must hold no more fds than @fds_before.
 */
void mon_helper_hangup(struct ferry_helper *h, int fds_before);

/* A helper's filter, seen from outside (test builds' TEST_SYSCALL). */
/* @h makes syscall @nr with zero arguments: its answer, or no answer if it died. */
struct mon_rec mon_try_syscall(struct ferry_helper *h, long nr);
/* @h survives syscall @nr (named @name in messages) and answers it. */
void mon_expect_allowed(struct ferry_helper *h, const char *name, long nr);
/* Syscall @nr kills @h, which is then reported killed by seccomp. */
void mon_expect_killed(struct ferry_helper *h, const char *name, long nr);

#endif

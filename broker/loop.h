/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loop.h - the broker's single event loop (epoll). Nothing on its path
 * blocks: sockets are read without waiting, children are reaped through
 * pidfds, and anything slow lives in a helper.
 */
#ifndef FERRY_LOOP_H
#define FERRY_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ferry_loop;

typedef void (*ferry_loop_cb)(struct ferry_loop *loop, int fd, uint32_t events, void *data);

struct ferry_loop_src {
	ferry_loop_cb cb;
	void *data;
	uint32_t gen;		/* tells a recycled fd from the one an event was for */
};

#define FERRY_LOOP_MAX_FD 4096

struct ferry_loop {
	int epfd;
	uint32_t gen;
	bool quit;
	struct ferry_loop_src src[FERRY_LOOP_MAX_FD];
};

int ferry_loop_init(struct ferry_loop *loop);
void ferry_loop_fini(struct ferry_loop *loop);
/* Watch @fd for @events (EPOLLIN...). Return 0 or -errno. */
int ferry_loop_add(struct ferry_loop *loop, int fd, uint32_t events, ferry_loop_cb cb, void *data);
/* Change the events watched on @fd. Return 0 or -errno. */
int ferry_loop_mod(struct ferry_loop *loop, int fd, uint32_t events);
/* Stop watching @fd; safe from inside any callback. The fd is not closed. */
void ferry_loop_del(struct ferry_loop *loop, int fd);
/* Wait up to @timeout_ms (-1: forever) and run what is ready. Return events run or -errno. */
int ferry_loop_run_once(struct ferry_loop *loop, int timeout_ms);

#endif

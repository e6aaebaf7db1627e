/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-pool.h - ferry-compress's deflate blocks: a ring of slots the
 * main thread reads blocks into and writes members out of, in input order,
 * and the worker threads that turn each block into its gzip member.
 *
 * A slot goes FREE -> FILLING (the main thread reads into it) -> QUEUED
 * -> BUSY (a worker deflates it) -> DONE (the main thread writes its
 * member) -> FREE. Slots are filled, taken and written in ring order, so
 * members leave in the order their blocks came in. With no worker thread
 * the main thread deflates a block itself when it is queued.
 */
#ifndef FERRY_COMPRESS_POOL_H
#define FERRY_COMPRESS_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compress-proto.h"
#include "gzstream.h"

enum cp_state { CP_FREE, CP_FILLING, CP_QUEUED, CP_BUSY, CP_DONE };

struct cp_slot {
	uint8_t *in;		/* block_size bytes */
	size_t in_len;
	uint8_t *out;		/* gz_member_bound(block_size) bytes */
	size_t out_len;		/* the member's size, once DONE */
	size_t out_off;		/* how much of it is written */
	enum cp_state state;	/* under the pool's lock once QUEUED */
};

struct cp_worker {
	struct cpool *pool;
	struct gz_deflater defl;
	pthread_t thread;
};

struct cpool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a slot was queued, or quit */
	struct cp_slot *slots;
	unsigned nslots;
	unsigned fill;			/* the slot read into next */
	unsigned take;			/* the slot a worker deflates next */
	unsigned drain;			/* the slot whose member is written next */
	uint64_t queued, released;	/* blocks so far: the pool is idle when equal */
	struct cp_worker workers[FERRY_COMPRESS_MAX_THREADS];
	unsigned nthreads;		/* started; 0: the main thread deflates */
	size_t block_size;
	int wake_fd;			/* an eventfd the workers bump when a member is done */
	bool quit;
	bool ready;
};

/*
 * cpool_start - slots for @block_size blocks and up to @threads worker
 * threads (0: none). Threads the kernel refuses (RLIMIT_NPROC, memory)
 * are done without: fewer, or none and the main thread deflates. Workers
 * write 1 to @wake_fd each time a member is done.
 * Return 0, or -ENOMEM with @err set.
 */
int cpool_start(struct cpool *p, size_t block_size, unsigned threads, int wake_fd,
		char *err, size_t errlen);
/* Stop the workers (each finishes its block first), join them, free everything. */
void cpool_stop(struct cpool *p);

/* The slot to read input into, or NULL while every slot holds a block. */
struct cp_slot *cpool_fill_slot(struct cpool *p);
/* The slot cpool_fill_slot() gave is complete: queue it (or, without workers, deflate it). */
void cpool_submit(struct cpool *p);
/* The slot whose member goes out next, once it is done; else NULL. */
struct cp_slot *cpool_drain_slot(struct cpool *p);
/* That member is written whole: its slot is free again. */
void cpool_release(struct cpool *p);
/* Every queued block's member has been released. */
bool cpool_idle(const struct cpool *p);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-pool.c - the deflate slots and their worker threads (see
 * compress-pool.h). The lock guards slot states from QUEUED on and the
 * take index; a worker holds no lock while it deflates, and the main
 * thread none while it reads or writes, so the lock is held for a few
 * instructions per block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress-pool.h"
#include "util.h"

static void wake(struct cpool *p)
{
	const uint64_t one = 1;

	/* An eventfd write fails only when its counter would overflow: the main thread is awake then. */
	(void)!write(p->wake_fd, &one, sizeof(one));
}

static void *worker(void *arg)
{
	struct cp_worker *w = arg;
	struct cpool *p = w->pool;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct cp_slot *s = &p->slots[p->take];

		while (!p->quit && s->state != CP_QUEUED) {
			pthread_cond_wait(&p->work, &p->lock);
			s = &p->slots[p->take];
		}
		if (p->quit)
			break;
		s->state = CP_BUSY;
		p->take = (p->take + 1) % p->nslots;
		pthread_mutex_unlock(&p->lock);
		s->out_len = gz_deflate_member(&w->defl, s->in, s->in_len, s->out);
		pthread_mutex_lock(&p->lock);
		s->state = CP_DONE;
		wake(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int alloc_slots(struct cpool *p, unsigned n)
{
	size_t out = gz_member_bound(p->block_size);

	p->slots = calloc(n, sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	p->nslots = n;
	for (unsigned i = 0; i < n; i++) {
		p->slots[i].in = malloc(p->block_size);
		p->slots[i].out = malloc(out);
		if (!p->slots[i].in || !p->slots[i].out)
			return -ENOMEM;
	}
	return 0;
}

/* Start up to @threads workers; the first the kernel refuses ends the list. */
static void start_workers(struct cpool *p, unsigned threads)
{
	for (unsigned i = 0; i < threads; i++) {
		struct cp_worker *w = &p->workers[i];

		w->pool = p;
		if (gz_deflater_init(&w->defl) < 0)
			break;
		if (pthread_create(&w->thread, NULL, worker, w) != 0) {
			gz_deflater_fini(&w->defl);
			break;
		}
		p->nthreads++;
	}
}

int cpool_start(struct cpool *p, size_t block_size, unsigned threads, int wake_fd,
		char *err, size_t errlen)
{
	int r;

	memset(p, 0, sizeof(*p));
	if (threads > FERRY_COMPRESS_MAX_THREADS)
		threads = FERRY_COMPRESS_MAX_THREADS;
	p->block_size = block_size;
	p->wake_fd = wake_fd;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->ready = true;
	/* One slot filling, one being written, one per worker deflating. */
	r = alloc_slots(p, threads + 2);
	if (r < 0) {
		cpool_stop(p);
		return ferry_err(err, errlen, r, "out of memory for %u blocks of %zu bytes",
				 threads + 2, block_size);
	}
	start_workers(p, threads);
	/* Without a worker the main thread deflates, with the first deflater. */
	if (!p->nthreads && gz_deflater_init(&p->workers[0].defl) < 0) {
		cpool_stop(p);
		return ferry_err(err, errlen, -ENOMEM, "out of memory for a deflate stream");
	}
	return 0;
}

void cpool_stop(struct cpool *p)
{
	if (!p->ready)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->workers[i].thread, NULL);
	for (unsigned i = 0; i < FERRY_COMPRESS_MAX_THREADS; i++)
		gz_deflater_fini(&p->workers[i].defl);
	for (unsigned i = 0; p->slots && i < p->nslots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
	}
	free(p->slots);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}

struct cp_slot *cpool_fill_slot(struct cpool *p)
{
	struct cp_slot *s = &p->slots[p->fill];
	enum cp_state st;

	pthread_mutex_lock(&p->lock);
	st = s->state;
	if (st == CP_FREE) {
		s->in_len = 0;
		s->state = CP_FILLING;
	}
	pthread_mutex_unlock(&p->lock);
	return st == CP_FREE || st == CP_FILLING ? s : NULL;
}

void cpool_submit(struct cpool *p)
{
	struct cp_slot *s = &p->slots[p->fill];

	p->fill = (p->fill + 1) % p->nslots;
	p->queued++;
	if (!p->nthreads) {
		s->out_len = gz_deflate_member(&p->workers[0].defl, s->in, s->in_len, s->out);
		s->out_off = 0;
		s->state = CP_DONE;
		return;
	}
	pthread_mutex_lock(&p->lock);
	s->out_off = 0;
	s->state = CP_QUEUED;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

struct cp_slot *cpool_drain_slot(struct cpool *p)
{
	struct cp_slot *s = &p->slots[p->drain];
	bool done;

	pthread_mutex_lock(&p->lock);
	done = s->state == CP_DONE;
	pthread_mutex_unlock(&p->lock);
	return done ? s : NULL;
}

void cpool_release(struct cpool *p)
{
	struct cp_slot *s = &p->slots[p->drain];

	pthread_mutex_lock(&p->lock);
	s->state = CP_FREE;
	pthread_mutex_unlock(&p->lock);
	p->drain = (p->drain + 1) % p->nslots;
	p->released++;
}

bool cpool_idle(const struct cpool *p)
{
	return p->queued == p->released;
}

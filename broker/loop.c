/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

int ferry_loop_init(struct ferry_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void ferry_loop_fini(struct ferry_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int ferry_loop_add(struct ferry_loop *loop, int fd, uint32_t events, ferry_loop_cb cb, void *data)
{
	struct epoll_event ev = { .events = events };
	struct ferry_loop_src *s;

	if (fd < 0 || fd >= FERRY_LOOP_MAX_FD)
		return -EMFILE;
	s = &loop->src[fd];
	if (s->cb)
		return -EEXIST;
	s->cb = cb;
	s->data = data;
	s->gen = ++loop->gen;
	ev.data.u64 = (uint64_t)s->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		memset(s, 0, sizeof(*s));
		return r;
	}
	return 0;
}

int ferry_loop_mod(struct ferry_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || fd >= FERRY_LOOP_MAX_FD || !loop->src[fd].cb)
		return -ENOENT;
	ev.data.u64 = (uint64_t)loop->src[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void ferry_loop_del(struct ferry_loop *loop, int fd)
{
	if (fd < 0 || fd >= FERRY_LOOP_MAX_FD || !loop->src[fd].cb)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&loop->src[fd], 0, sizeof(loop->src[fd]));
}

int ferry_loop_run_once(struct ferry_loop *loop, int timeout_ms)
{
	struct epoll_event ev[32];
	int n;

	do {
		n = epoll_wait(loop->epfd, ev, (int)ARRAY_SIZE(ev), timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
		struct ferry_loop_src *s = &loop->src[fd];

		/* Removed, or removed and re-added, by an earlier callback. */
		if (!s->cb || s->gen != gen)
			continue;
		s->cb(loop, fd, ev[i].events, s->data);
	}
	return n;
}

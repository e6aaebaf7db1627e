/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proxy.c - the pump behind `ferryctl proxy`: stdin to the broker's
 * socket, the socket to stdout, both at once, until both have ended.
 *
 * Over ssh it carries the API and, later, tunnelled migration data, so
 * it must keep up with hundreds of MB/s: between sockets and pipes the
 * bytes go through a pipe with splice(), never through user space. Each
 * direction empties its pipe before it refills it, so that an EAGAIN is
 * never ambiguous: taking with an empty pipe can only mean the source has
 * nothing, giving with bytes in the pipe only that the sink is full.
 * Whatever splice() cannot take (a terminal, /dev/null on some kernels)
 * is copied with read() and write().
 *
 * One thread and poll(): every fd is non-blocking while the pump runs, so
 * neither direction can stall the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport.h"
#include "util.h"

/* Pipe size asked for: fewer round trips; the default is 64 KiB. */
#define PUMP_PIPE_SIZE (1024 * 1024)
#define PUMP_COPY_BUF (256u * 1024u)
/* Moves one direction makes before the other gets its turn. */
#define PUMP_BURST 16

struct flow {
	const char *from_name, *to_name;	/* for messages */
	int from, to;
	bool to_is_sock;	/* its end is a shutdown(), not a close() */
	int pipe[2];		/* splice's go-between; -1: copying through buf */
	size_t pipe_size;
	char *buf;
	size_t off, pending;	/* taken from @from, not yet given to @to */
	bool eof, done;
	short want_from, want_to;	/* what to poll for; both 0: runnable now */
};

/* Leave splice() for read()/write(): only with the pipe empty. */
static int flow_copy_mode(struct flow *f)
{
	f->buf = malloc(PUMP_COPY_BUF);
	if (!f->buf)
		return -ENOMEM;
	ferry_close_fds(f->pipe, 2);
	return 0;
}

static int flow_init(struct flow *f, int from, int to, const char *from_name, const char *to_name)
{
	struct stat st;
	int size;

	*f = (struct flow){ .from = from, .to = to, .from_name = from_name, .to_name = to_name,
			    .pipe = { -1, -1 } };
	if (fstat(to, &st) < 0)
		return -errno;
	f->to_is_sock = S_ISSOCK(st.st_mode);
	/* splice() gives only to sockets and pipes. */
	if (!(S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)) ||
	    pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return flow_copy_mode(f);
	fcntl(f->pipe[0], F_SETPIPE_SZ, PUMP_PIPE_SIZE);
	size = fcntl(f->pipe[0], F_GETPIPE_SZ);
	f->pipe_size = size > 0 ? (size_t)size : 65536u;
	return 0;
}

static void flow_release(struct flow *f)
{
	ferry_close_fds(f->pipe, 2);
	free(f->buf);
}

static ssize_t take(struct flow *f)
{
	if (f->pipe[1] >= 0)
		return splice(f->from, NULL, f->pipe[1], NULL, f->pipe_size,
			      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	f->off = 0;
	return read(f->from, f->buf, PUMP_COPY_BUF);
}

static ssize_t give(struct flow *f)
{
	if (f->pipe[0] >= 0)
		return splice(f->pipe[0], NULL, f->to, NULL, f->pending,
			      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	return write(f->to, f->buf + f->off, f->pending);
}

/* @from has ended and everything is across: pass the end on. */
static void flow_finish(struct flow *f)
{
	if (f->to_is_sock)
		shutdown(f->to, SHUT_WR);
	else
		close(f->to);
	f->done = true;
}

/*
 * What a take() or give() that returned @n means: 1 go on, 0 blocked
 * (poll for @events, noted in *@want), -errno failed.
 */
static int outcome(ssize_t n, short events, short *want)
{
	if (n >= 0 || errno == EINTR)
		return 1;
	if (errno != EAGAIN)
		return -errno;
	*want = events;
	return 0;
}

/*
 * Move what can move now, up to a burst. Return 0 (f->want_* says what
 * to wait for, if anything) or -errno with @err filled in.
 */
static int flow_step(struct flow *f, char *err, size_t errlen)
{
	f->want_from = f->want_to = 0;
	for (int moves = 0; !f->done && moves < PUMP_BURST; moves++) {
		ssize_t n;
		int r;

		if (f->pending) {
			n = give(f);
			if ((r = outcome(n, POLLOUT, &f->want_to)) <= 0)
				return r == 0 ? 0 : ferry_err(err, errlen, r, "writing to %s: %s",
							      f->to_name, strerror(-r));
			f->pending -= n > 0 ? (size_t)n : 0;
			f->off += n > 0 ? (size_t)n : 0;
			continue;
		}
		if (f->eof) {
			flow_finish(f);
			break;
		}
		n = take(f);
		if (n < 0 && errno == EINVAL && f->pipe[1] >= 0) {
			if (flow_copy_mode(f) < 0)
				return ferry_err(err, errlen, -ENOMEM, "out of memory");
			continue;
		}
		if ((r = outcome(n, POLLIN, &f->want_from)) <= 0)
			return r == 0 ? 0 : ferry_err(err, errlen, r, "reading from %s: %s",
						      f->from_name, strerror(-r));
		f->eof = n == 0;
		f->pending = n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* The poll entries for @f's wait; returns how many it added. */
static nfds_t flow_poll(const struct flow *f, struct pollfd *p)
{
	nfds_t n = 0;

	if (f->want_from)
		p[n++] = (struct pollfd){ .fd = f->from, .events = f->want_from };
	if (f->want_to)
		p[n++] = (struct pollfd){ .fd = f->to, .events = f->want_to };
	return n;
}

static bool runnable(const struct flow *f)
{
	return !f->done && !f->want_from && !f->want_to;
}

static int pump(struct flow *up, struct flow *down, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p[4];
		nfds_t n = 0;
		int r;

		if ((r = flow_step(up, err, errlen)) < 0 || (r = flow_step(down, err, errlen)) < 0)
			return r;
		if (up->done && down->done)
			return 0;
		n += flow_poll(up, p + n);
		n += flow_poll(down, p + n);
		/* A direction cut short by its burst runs again at once. */
		if (poll(p, n, runnable(up) || runnable(down) ? 0 : -1) < 0 && errno != EINTR)
			return ferry_err(err, errlen, -errno, "poll: %s", strerror(errno));
	}
}

int ferry_proxy_pump(int in, int out, int sock, char *err, size_t errlen)
{
	const int fds[3] = { in, out, sock };
	int flags[3];
	struct flow up = { .pipe = { -1, -1 } }, down = { .pipe = { -1, -1 } };
	int r = 0;

	/* All flags first: @in and @out may share one open file. */
	for (int i = 0; i < 3; i++) {
		flags[i] = fcntl(fds[i], F_GETFL);
		if (flags[i] < 0)
			return ferry_err(err, errlen, -errno, "proxy: fd %d: %s", fds[i], strerror(errno));
	}
	for (int i = 0; i < 3 && r == 0; i++)
		if (fcntl(fds[i], F_SETFL, flags[i] | O_NONBLOCK) < 0)
			r = ferry_err(err, errlen, -errno, "proxy: fd %d: %s", fds[i], strerror(errno));
	if (r == 0 && ((r = flow_init(&up, in, sock, "stdin", "the broker socket")) < 0 ||
		       (r = flow_init(&down, sock, out, "the broker socket", "stdout")) < 0))
		ferry_err(err, errlen, r, "proxy: %s", strerror(-r));
	if (r == 0)
		r = pump(&up, &down, err, errlen);
	flow_release(&up);
	flow_release(&down);
	/* In reverse, so that a shared file gets its own flags back last. */
	for (int i = 2; i >= 0; i--)
		if (i != 1 || !down.done || down.to_is_sock)
			fcntl(fds[i], F_SETFL, flags[i]);
	return r;
}

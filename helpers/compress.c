/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-compress - deflates a migration stream into a save file or a
 * tunnel, or inflates one back. A save file may have been tampered with:
 * its compressed body is inflated here, in a jail, never in the broker.
 *
 * Theory of operation
 * -------------------
 * After the sandbox and the hello, the main thread runs one poll() loop
 * over the broker's channel (fd 3), the job's two fds and an eventfd its
 * worker threads bump. COMPRESS_START hands over "from" and "to": regular
 * files (save files), pipes or sockets; pipes and sockets are made
 * non-blocking, so the loop never waits on one while the broker talks.
 * One job runs at a time.
 *
 * Deflate (docs/compress.md): the main thread reads "from" into blocks;
 * each full block is queued to the worker threads (gzstream.c makes one
 * gzip member of it), and finished members are written to "to" in input
 * order (compress-pool.c). At most threads + 2 blocks are in memory:
 * while all are taken, "from" is not read. Threads are started only when
 * more than one core is online; without them (or when the kernel refuses
 * them) the main thread deflates each block itself.
 *
 * Inflate runs on the main thread, a bounded piece per turn: read into a
 * 256 KiB buffer, inflate into a 1 MiB buffer, write that out, repeat.
 * Whatever gzstream.c refuses ends the job at once: the buffer inflated
 * by the failing call is not written.
 *
 * A wakeup moves at most 16 MiB before the channel is looked at again, so
 * COMPRESS_CANCEL is served within a block's time. A job ends at EOF on
 * "from" once everything is written (status 0: a socket "to" gets
 * shutdown(SHUT_WR), so the far side sees EOF after the last byte), at
 * the first failing read or write or refused stream (-errno), or on
 * COMPRESS_CANCEL (-ECANCELED). Ends other than EOF shut sockets down
 * both ways. Every end is reported as COMPRESS_DONE; while a job runs,
 * COMPRESS_PROGRESS comes about every 250 ms. When the broker closes the
 * channel, a running job is stopped unreported and the helper exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common.h"
#include "compress-pool.h"
#include "compress-proto.h"
#include "gzstream.h"
#include "log.h"
#include "util.h"
#include "wire.h"

/*
 * #syscalls beyond the common loop's, which already has poll (the main
 * loop), write (to "to", and the workers' eventfd bumps), close, fstat
 * (checking the job's fds), fcntl (O_NONBLOCK) and mmap and munmap
 * (blocks, zlib's state, thread stacks). Sanitizer builds list madvise,
 * mprotect, futex and rt_sigprocmask in the common list already.
 */
static const struct ferry_syscall compress_syscalls[] = {
	{ "read", "read \"from\", and the eventfd the workers bump", 0 },
	{ "shutdown", "EOF to a socket's far side after the last byte; ending a socket job early", 0 },
	{ "eventfd2", "the eventfd worker threads wake the main loop with", 0 },
	{ "clock_gettime", "progress timing, on clocksources the vDSO cannot read", 0 },
	{ "clone3", "pthread_create: start a worker thread", 0 },
	{ "set_robust_list", "a new thread registers its robust futex list", 0 },
	{ "rseq", "a new thread registers its restartable-sequence area", 0 },
	{ "exit", "a worker thread ends", 0 },
	/*
	 * glibc's first pthread_create installs its pthread_cancel and
	 * set*id signal handlers and ignores the result: neither is used
	 * here, so the call is refused without harm.
	 */
	{ "rt_sigaction", "refused: signal handlers glibc installs for threads, unused here", EPERM },
#if FERRY_SANITIZED
	/* ASan's thread start asks pthread_getattr_np, which takes ENOSYS as "no affinity". */
	{ "sched_getaffinity", "refused: a sanitizer thread start's affinity query", ENOSYS },
#else
	{ "futex", "the pool's mutex and condition variable; pthread_join", 0 },
	{ "mprotect", "the guard page of a thread stack; malloc arenas of threads", 0 },
	{ "madvise", "a finished thread returns its stack; malloc trims thread arenas", 0 },
	{ "rt_sigprocmask", "pthread_create blocks signals around the new thread's start", 0 },
#endif
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const compress_lists[] = {
	ferry_helper_base_syscalls, compress_syscalls, NULL,
};

static const struct ferry_profile compress_profile = {
	.name = "ferry-compress",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	.nofile = 16,		/* 0-3, from, to, the eventfd, two fds in transit */
	/*
	 * Threads count against NPROC. Set after the new user namespace is
	 * entered, it counts this helper's own tasks there: itself and its
	 * workers. Without a user namespace it counts every task of the uid,
	 * and a refused thread means deflating with fewer (compress-pool.c).
	 */
	.nproc = 1 + FERRY_COMPRESS_MAX_THREADS,
	.fsize = RLIM_INFINITY,	/* writes save files of any size, through an fd */
	.syscalls = compress_lists,
};

#define PROGRESS_NS (250ull * 1000000u)
#define PUMP_BUDGET (16u << 20)		/* bytes a wakeup moves before the channel's turn */
#define INFLATE_IN (256u << 10)
#define INFLATE_OUT (1u << 20)

/* What the job waits for before it can go on. */
#define WAIT_IN 0x1u
#define WAIT_OUT 0x2u
#define WAIT_NONE 0x4u		/* nothing: the budget ran out with work left */

struct job {
	bool active;
	uint32_t mode;
	int from, to;
	bool from_sock, to_sock;
	bool eof;			/* "from" said EOF */
	uint64_t bytes_in, bytes_out;
	uint64_t next_progress_ns;
	/* deflate */
	struct cpool pool;
	/* inflate */
	struct gz_inflater inf;
	uint8_t *ibuf, *obuf;
	size_t ioff, ilen, ooff, olen;
	bool more;			/* the last step filled obuf: more may be pending */
};

struct compress {
	struct ferry_chan *chan;
	int wake_fd;
	unsigned cores;			/* online when the helper started */
	struct job job;
};

/* --- reports ------------------------------------------------------------- */

/* The broker is gone or refuses our packets: nothing left to work for. */
static void send_or_die(struct compress *c, int r)
{
	if (r < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "%s", c->chan->err);
}

static void send_progress(struct compress *c)
{
	const struct ferry_compress_progress pr = {
		.bytes_in = c->job.bytes_in, .bytes_out = c->job.bytes_out,
	};
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	if (ferry_compress_put_progress(&w, &pr) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "COMPRESS_PROGRESS: cannot encode");
	send_or_die(c, ferry_chan_send(c->chan, FERRY_MSG_COMPRESS_PROGRESS, 0, 0, w.data, w.len,
				       NULL, 0));
	c->job.next_progress_ns = ferry_now_ns() + PROGRESS_NS;
}

/* --- the job's fds and buffers ------------------------------------------- */

/* Let go of everything the job holds; @clean: "from" reached EOF and all is written. */
static void job_close(struct job *j, bool clean)
{
	cpool_stop(&j->pool);
	gz_inflater_fini(&j->inf);
	free(steal_ptr(j->ibuf));
	free(steal_ptr(j->obuf));
	ferry_helper_close_fd(&j->to, j->to_sock, clean ? SHUT_WR : SHUT_RDWR);
	ferry_helper_close_fd(&j->from, j->from_sock, clean ? -1 : SHUT_RDWR);
	j->active = false;
}

static void job_end(struct compress *c, int status, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Close the job and tell the broker how it ended. */
static void job_end(struct compress *c, int status, uint64_t offset, const char *fmt, ...)
{
	char message[FERRY_COMPRESS_MESSAGE_MAX + 1];
	struct job *j = &c->job;
	struct ferry_compress_done d = {
		.status = status, .bytes_in = j->bytes_in, .bytes_out = j->bytes_out,
		.error_offset = offset, .message = message,
	};
	struct ferry_wbuf w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	job_close(j, status == 0);
	ferry_wbuf_init(&w);
	if (ferry_compress_put_done(&w, &d) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "COMPRESS_DONE: cannot encode '%s'", message);
	send_or_die(c, ferry_chan_send(c->chan, FERRY_MSG_COMPRESS_DONE, 0, 0, w.data, w.len,
				       NULL, 0));
}

/* Read or write: the count, 0 at EOF (read only), -EAGAIN to wait, or -errno. */
static ssize_t io_result(ssize_t n, bool writing)
{
	if (n > 0 || (n == 0 && !writing))
		return n;
	if (n == 0)
		return -EIO;
	return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* End the job on a read or write that failed; return -1: the job has ended. */
static int io_failed(struct compress *c, const char *what, ssize_t n)
{
	job_end(c, (int)n, FERRY_COMPRESS_NO_OFFSET, "%s: %s", what, strerror((int)-n));
	return -1;
}

/* --- deflate ------------------------------------------------------------- */

/* Write what finished members there are. Return bytes written, or -errno (-EAGAIN: none). */
static ssize_t deflate_out(struct job *j)
{
	struct cp_slot *s = cpool_drain_slot(&j->pool);
	ssize_t n;

	if (!s)
		return -EAGAIN;
	n = io_result(write(j->to, s->out + s->out_off, s->out_len - s->out_off), true);
	if (n < 0)
		return n;
	s->out_off += (size_t)n;
	j->bytes_out += (uint64_t)n;
	if (s->out_off == s->out_len)
		cpool_release(&j->pool);
	return n;
}

/* Read into the block being filled. Return bytes read, 0 at EOF, or -errno (-EAGAIN: none). */
static ssize_t deflate_in(struct job *j)
{
	struct cp_slot *s = j->eof ? NULL : cpool_fill_slot(&j->pool);
	ssize_t n;

	if (!s)
		return -EAGAIN;
	n = io_result(read(j->from, s->in + s->in_len, j->pool.block_size - s->in_len), false);
	if (n < 0)
		return n;
	j->bytes_in += (uint64_t)n;
	s->in_len += (size_t)n;
	j->eof = n == 0;
	/* The last block, however short; an empty input still makes one (empty) member. */
	if (s->in_len == j->pool.block_size || (j->eof && (s->in_len || !j->pool.queued)))
		cpool_submit(&j->pool);
	return n;
}

/*
 * Move what can move now, up to the budget. Return what to wait for
 * (WAIT_*; 0: only the workers), or 0 once the job has ended.
 */
static unsigned deflate_pump(struct compress *c)
{
	struct job *j = &c->job;
	size_t moved = 0;
	ssize_t out, in;

	while (moved < PUMP_BUDGET) {
		out = deflate_out(j);
		if (out < 0 && out != -EAGAIN) {
			io_failed(c, "write", out);
			return 0;
		}
		in = deflate_in(j);
		if (in < 0 && in != -EAGAIN) {
			io_failed(c, "read", in);
			return 0;
		}
		if (j->eof && cpool_idle(&j->pool)) {
			job_end(c, 0, FERRY_COMPRESS_NO_OFFSET, "end of stream");
			return 0;
		}
		if (out < 0 && in == -EAGAIN)
			return (cpool_drain_slot(&j->pool) ? WAIT_OUT : 0) |
			       (!j->eof && cpool_fill_slot(&j->pool) ? WAIT_IN : 0);
		moved += (size_t)(out > 0 ? out : 0) + (size_t)(in > 0 ? in : 0);
	}
	return WAIT_NONE;
}

/* --- inflate ------------------------------------------------------------- */

/* The input has ended: was it a whole stream? */
static int inflate_end(struct compress *c)
{
	struct job *j = &c->job;

	if (gz_inflate_finish(&j->inf) < 0)
		job_end(c, -EBADMSG, j->inf.err_offset, "%s", j->inf.err);
	else
		job_end(c, 0, FERRY_COMPRESS_NO_OFFSET, "end of stream");
	return -1;
}

/* One move: write out, inflate or read in. Return 1 on progress, 0 to wait, -1 once ended. */
static int inflate_move(struct compress *c, size_t *moved)
{
	struct job *j = &c->job;
	size_t used, made;
	ssize_t n;
	int r;

	if (j->ooff < j->olen) {
		n = io_result(write(j->to, j->obuf + j->ooff, j->olen - j->ooff), true);
		if (n < 0)
			return n == -EAGAIN ? 0 : io_failed(c, "write", n);
		j->ooff += (size_t)n;
		j->bytes_out += (uint64_t)n;
		*moved += (size_t)n;
		return 1;
	}
	if (j->more || j->ioff < j->ilen) {
		r = gz_inflate_step(&j->inf, j->ibuf + j->ioff, j->ilen - j->ioff, &used,
				    j->obuf, INFLATE_OUT, &made);
		if (r < 0) {
			job_end(c, r, j->inf.err_offset, "%s", j->inf.err);
			return -1;
		}
		j->ioff += used;
		j->ooff = 0;
		j->olen = made;
		j->more = r == 1;
		return 1;
	}
	if (j->eof)
		return inflate_end(c);
	n = io_result(read(j->from, j->ibuf, INFLATE_IN), false);
	if (n < 0)
		return n == -EAGAIN ? 0 : io_failed(c, "read", n);
	j->ioff = 0;
	j->ilen = (size_t)n;
	j->bytes_in += (uint64_t)n;
	j->eof = n == 0;
	*moved += (size_t)n;
	return 1;
}

/* Move what can move now, up to the budget. Return what to wait for (WAIT_*), 0 once ended. */
static unsigned inflate_pump(struct compress *c)
{
	struct job *j = &c->job;
	size_t moved = 0;
	int r;

	while (moved < PUMP_BUDGET) {
		r = inflate_move(c, &moved);
		if (r < 0)
			return 0;
		if (r == 0)
			return j->ooff < j->olen ? WAIT_OUT : WAIT_IN;
	}
	return WAIT_NONE;
}

/* --- requests ------------------------------------------------------------ */

static const char *file_kind(mode_t mode)
{
	static const struct { mode_t type; const char *what; } kinds[] = {
		{ S_IFDIR, "a directory" }, { S_IFCHR, "a character device" },
		{ S_IFBLK, "a block device" }, { S_IFLNK, "a symbolic link" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if ((mode & S_IFMT) == kinds[i].type)
			return kinds[i].what;
	return "of an unknown file type";
}

/* Is @fd a regular file, a pipe or a socket, open the way round it is used? */
static int check_fd(int fd, const char *name, bool writes, bool *sock, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return ferry_err(err, errlen, -errno, "fd '%s': %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return ferry_err(err, errlen, -EINVAL,
				 "fd '%s' is %s (file type 0%o), not a regular file, a pipe or a socket",
				 name, file_kind(st.st_mode), (unsigned)(st.st_mode & S_IFMT));
	if ((fl & O_ACCMODE) == (writes ? O_RDONLY : O_WRONLY))
		return ferry_err(err, errlen, -EBADF, "fd '%s' is open for %s only", name,
				 writes ? "reading" : "writing");
	*sock = S_ISSOCK(st.st_mode);
	return 0;
}

/*
 * Pipes and sockets become non-blocking: the loop never waits on them. A
 * regular file never makes a reader or writer wait for a peer.
 */
static int set_nonblock(int fd, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return ferry_err(err, errlen, -errno, "fd '%s': O_NONBLOCK: %s", name, strerror(errno));
	return 0;
}

/* Deflate threads: only with more than one core, at most what was asked (or 4). */
static unsigned deflate_threads(const struct compress *c, uint32_t asked)
{
	unsigned cap = asked ? asked : FERRY_COMPRESS_AUTO_THREADS;

	if (c->cores <= 1)
		return 0;
	return c->cores < cap ? c->cores : cap;
}

/* Buffers and state for @st's mode. */
static int job_setup(struct compress *c, const struct ferry_compress_start *st,
		     char *err, size_t errlen)
{
	struct job *j = &c->job;

	if (st->mode == FERRY_COMPRESS_DEFLATE)
		return cpool_start(&j->pool, st->block_size ? st->block_size
							    : FERRY_COMPRESS_BLOCK_DEFAULT,
				   deflate_threads(c, st->threads), c->wake_fd, err, errlen);
	j->ibuf = malloc(INFLATE_IN);
	j->obuf = malloc(INFLATE_OUT);
	if (!j->ibuf || !j->obuf)
		return ferry_err(err, errlen, -ENOMEM, "out of memory for inflate buffers");
	if (gz_inflater_init(&j->inf, FERRY_COMPRESS_MEMBER_LIMIT, st->max_output) < 0)
		return ferry_err(err, errlen, -ENOMEM, "%s", j->inf.err);
	return 0;
}

static int on_start(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct compress *c = ctx;
	struct job *j = &c->job;
	struct ferry_compress_start st;
	char why[192];
	int r;

	r = ferry_compress_get_start(msg->payload, msg->len, &st, why, sizeof(why));
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "COMPRESS_START: %s", why);
	if (j->active)
		return ferry_chan_reply_error(chan, msg, -EBUSY, "COMPRESS_START: a job is already running");
	if ((r = check_fd(msg->fds[0], "from", false, &j->from_sock, why, sizeof(why))) < 0 ||
	    (r = check_fd(msg->fds[1], "to", true, &j->to_sock, why, sizeof(why))) < 0 ||
	    (r = set_nonblock(msg->fds[0], "from", why, sizeof(why))) < 0 ||
	    (r = set_nonblock(msg->fds[1], "to", why, sizeof(why))) < 0)
		return ferry_chan_reply_error(chan, msg, r, "COMPRESS_START: %s", why);
	*j = (struct job){ .from_sock = j->from_sock, .to_sock = j->to_sock, .mode = st.mode };
	j->from = steal_fd(&msg->fds[0]);
	j->to = steal_fd(&msg->fds[1]);
	r = job_setup(c, &st, why, sizeof(why));
	if (r < 0) {
		job_close(j, false);
		return ferry_chan_reply_error(chan, msg, r, "COMPRESS_START: %s", why);
	}
	j->active = true;
	j->next_progress_ns = ferry_now_ns() + PROGRESS_NS;
	return ferry_chan_reply(chan, msg, FERRY_MSG_COMPRESS_OK, NULL, NULL, 0);
}

static int on_cancel(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct compress *c = ctx;

	if (c->job.active)
		job_end(c, -ECANCELED, FERRY_COMPRESS_NO_OFFSET, "cancelled");
	return ferry_chan_reply(chan, msg, FERRY_MSG_COMPRESS_OK, NULL, NULL, 0);
}

static const struct ferry_msg_spec compress_specs[] = {
	{ FERRY_MSG_COMPRESS_START, "COMPRESS_START", FERRY_COMPRESS_START_LEN,
	  FERRY_COMPRESS_START_LEN, 2, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_start },
	{ FERRY_MSG_COMPRESS_CANCEL, "COMPRESS_CANCEL", FERRY_COMPRESS_CANCEL_LEN,
	  FERRY_COMPRESS_CANCEL_LEN, 0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_cancel },
};

/* --- the loop ------------------------------------------------------------ */

/* Milliseconds to the next progress report, rounded up; 0 with work left; -1 with no job. */
static int poll_timeout(const struct compress *c, unsigned waits)
{
	uint64_t now = ferry_now_ns(), ms;

	if (!c->job.active)
		return -1;
	if ((waits & WAIT_NONE) || c->job.next_progress_ns <= now)
		return 0;
	ms = (c->job.next_progress_ns - now + 999999u) / 1000000u;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static nfds_t watch(const struct compress *c, unsigned waits, struct pollfd *pfd)
{
	const struct job *j = &c->job;
	nfds_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = c->chan->fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = c->wake_fd, .events = POLLIN };
	if (j->active && (waits & WAIT_IN))
		pfd[n++] = (struct pollfd){ .fd = j->from, .events = POLLIN };
	if (j->active && (waits & WAIT_OUT))
		pfd[n++] = (struct pollfd){ .fd = j->to, .events = POLLOUT };
	return n;
}

static unsigned pump(struct compress *c)
{
	if (!c->job.active)
		return 0;
	return c->job.mode == FERRY_COMPRESS_DEFLATE ? deflate_pump(c) : inflate_pump(c);
}

static int run(struct ferry_chan *chan, void *ctx)
{
	struct compress *c = ctx;
	struct pollfd pfd[4];
	unsigned waits = 0;
	uint64_t count;
	nfds_t n;
	int r;

	c->chan = chan;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "eventfd: %s", strerror(errno));
	for (;;) {
		n = watch(c, waits, pfd);
		r = poll(pfd, n, poll_timeout(c, waits));
		if (r < 0 && errno != EINTR)
			ferry_die(FERRY_EXIT_PROTOCOL, "poll: %s", strerror(errno));
		if (r > 0 && (pfd[1].revents & POLLIN))
			(void)!read(c->wake_fd, &count, sizeof(count));
		waits = pump(c);
		if (r > 0 && pfd[0].revents) {
			r = ferry_chan_process(chan);
			if (r < 0)
				ferry_die(FERRY_EXIT_PROTOCOL, "%s", chan->err);
			if (r == 0)
				break;	/* the broker is done with this helper */
			waits = pump(c);
		}
		if (c->job.active && ferry_now_ns() >= c->job.next_progress_ns)
			send_progress(c);
	}
	if (c->job.active)
		job_close(&c->job, false);
	close(steal_fd(&c->wake_fd));
	return 0;
}

int main(int argc, char **argv)
{
	static struct compress comp = { .wake_fd = -1, .job = { .from = -1, .to = -1 } };
	const struct ferry_helper_def def = {
		.profile = &compress_profile,
		.specs = compress_specs,
		.nspecs = ARRAY_SIZE(compress_specs),
		.ctx = &comp,
		.run = run,
	};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* Asked before the sandbox: glibc learns it from /sys, out of reach afterwards. */
	comp.cores = cores > 0 ? (unsigned)cores : 1;
	/* A reader or peer gone away must be EPIPE on write, not a signal that ends us. */
	signal(SIGPIPE, SIG_IGN);
	return ferry_helper_main(argc, argv, &def);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-tunnel - pumps migration data between an fd to QEMU and an fd to
 * the peer host. It copies bytes it never interprets: the network and the
 * peer are untrusted, and nothing here parses what they send.
 *
 * Theory of operation
 * -------------------
 * After the sandbox and the hello, one thread runs one poll() loop over
 * the broker's channel (fd 3) and the fds of up to 8 streams, all
 * non-blocking. TUNNEL_STREAM hands over a stream's two fds, "from" and
 * "to" (sockets or pipes); the stream then copies from -> to until EOF on
 * "from".
 *
 * A stream moves its bytes with splice() through a pipe of its own
 * (1 MiB when the kernel allows it), so they are never copied into this
 * process. Where splice() refuses one of the fds (EINVAL), that stream
 * goes on with read() and write() through a 1 MiB buffer of its own,
 * taking along whatever its pipe held. Each stream waits on one thing at a
 * time: POLLOUT on "to" while bytes are held, POLLIN on "from" otherwise;
 * a wakeup moves at most 4 MiB per stream, so no stream starves the
 * others or the channel.
 *
 * TUNNEL_SET_RATE caps all streams together with one token bucket
 * (CLOCK_MONOTONIC, refilled continuously, holding at most 50 ms worth or
 * 64 KiB). Reads take at most the tokens there are; when the bucket is
 * short, the "from" fds are not polled and poll() sleeps until about
 * 10 ms worth has come back, so a capped tunnel neither spins nor
 * trickles byte by byte.
 *
 * A stream ends at EOF on "from" once everything read is written (status
 * 0: "to" gets shutdown(SHUT_WR) when a socket, so the far side sees EOF
 * after the last byte), at the first failing read or write (-errno), or on
 * TUNNEL_CLOSE (-ECANCELED). Ends other than EOF shut sockets down both
 * ways, so QEMU and the peer learn at once even if another process holds
 * a copy of the fd. Every end is reported as TUNNEL_END and followed by a
 * TUNNEL_PROGRESS; while a stream is open, TUNNEL_PROGRESS also comes
 * about every 250 ms. When the broker closes the channel, every stream is
 * closed unreported and the helper exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common.h"
#include "log.h"
#include "tunnel-proto.h"
#include "util.h"
#include "wire.h"

/*
 * #syscalls beyond the common loop's, which already has poll (the main
 * loop), write (the copy fallback writes "to" with it), close, fstat
 * (checking a stream's fds), fcntl (O_NONBLOCK, F_SETPIPE_SZ) and mmap
 * and munmap (the fallback's buffers).
 */
static const struct ferry_syscall tunnel_syscalls[] = {
	{ "splice", "move bytes from -> pipe -> to without copying them through this process", 0 },
	{ "pipe2", "each stream's own pipe for splice", 0 },
	{ "read", "fds splice refuses, and taking along what the pipe held when falling back", 0 },
	{ "shutdown", "EOF to a socket's far side after the last byte; cancelling a socket stream", 0 },
	{ "clock_gettime", "rate cap and progress timing, on clocksources the vDSO cannot read", 0 },
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const tunnel_lists[] = {
	ferry_helper_base_syscalls, tunnel_syscalls, NULL,
};

static const struct ferry_profile tunnel_profile = {
	.name = "ferry-tunnel",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	/* 0-3, then per stream two fds and a pipe (36), and two fds in transit. */
	.nofile = 48,
	.nproc = 0,		/* never forks */
	.fsize = RLIM_INFINITY,	/* raw save files, written through an fd it is given */
	.syscalls = tunnel_lists,
};

#define NSEC 1000000000ull
#define CHUNK (1u << 20)		/* pipe size asked for; fallback buffer; one read at most */
#define PUMP_BUDGET (4u << 20)		/* bytes one stream moves per wakeup */
#define PROGRESS_NS (250ull * 1000000u)
#define BURST_MIN (64u << 10)

struct stream {
	bool open;
	bool from_sock, to_sock;
	bool eof;			/* "from" said EOF: write what is held, then end */
	int from, to;
	int pipe[2];			/* splice mode; -1 once in copy mode */
	uint8_t *buf;			/* copy mode: CHUNK bytes */
	size_t off;			/* copy mode: where the held bytes start in buf */
	size_t held;			/* read from "from", not yet written to "to" */
	uint64_t bytes;			/* written to "to" */
};

/* The rate cap over all streams; rate 0 is no cap. */
struct bucket {
	uint64_t rate;			/* bytes per second */
	uint64_t tokens;		/* bytes that may be read now */
	uint64_t carry;			/* the part of a byte earned but not yet credited, x NSEC */
	uint64_t last_ns;
};

struct tunnel {
	struct ferry_chan *chan;
	struct stream s[FERRY_TUNNEL_MAX_STREAMS];	/* by stream index */
	unsigned nopen;
	uint64_t total;			/* written over all streams */
	struct bucket bucket;
	uint64_t next_progress_ns;
	unsigned turn;			/* which ready stream goes first: the first may take every token */
	bool gone;			/* the broker hung up */
};

/* --- the rate cap ------------------------------------------------------- */

static uint64_t bucket_cap(const struct bucket *b)
{
	uint64_t cap = b->rate / 20;

	return cap > BURST_MIN ? cap : BURST_MIN;
}

/* What a wakeup waits for: 10 ms worth (always below the cap). */
static uint64_t bucket_want(const struct bucket *b)
{
	return b->rate / 100 ? b->rate / 100 : 1;
}

static void bucket_refill(struct bucket *b, uint64_t now)
{
	unsigned __int128 v;
	uint64_t cap = bucket_cap(b);

	if (b->rate && now > b->last_ns) {
		v = (unsigned __int128)(now - b->last_ns) * b->rate + b->carry;
		b->carry = (uint64_t)(v % NSEC);
		v /= NSEC;
		if (v >= cap - b->tokens) {
			b->tokens = cap;
			b->carry = 0;
		} else {
			b->tokens += (uint64_t)v;
		}
	}
	b->last_ns = now;
}

static void bucket_set_rate(struct bucket *b, uint64_t rate, uint64_t now)
{
	bool was_capped = b->rate != 0;

	bucket_refill(b, now);
	b->rate = rate;
	/* Coming from no cap the bucket starts full; otherwise it keeps what it had, up to the new cap. */
	if (!was_capped || b->tokens > bucket_cap(b))
		b->tokens = bucket_cap(b);
	b->carry = 0;
}

/* Bytes a read may take now: 0 while the bucket is short, SIZE_MAX with no cap. */
static size_t bucket_allow(const struct bucket *b)
{
	if (!b->rate)
		return SIZE_MAX;
	return b->tokens >= bucket_want(b) ? (size_t)b->tokens : 0;
}

static void bucket_take(struct bucket *b, size_t n)
{
	if (b->rate)
		b->tokens -= n < b->tokens ? n : b->tokens;
}

/* Nanoseconds until bucket_allow() says yes again. */
static uint64_t bucket_wait_ns(const struct bucket *b)
{
	unsigned __int128 need;

	if (!b->rate || b->tokens >= bucket_want(b))
		return 0;
	need = (unsigned __int128)(bucket_want(b) - b->tokens) * NSEC;
	need = need > b->carry ? need - b->carry : 0;
	return (uint64_t)((need + b->rate - 1) / b->rate);
}

/* --- reports ------------------------------------------------------------- */

/* The broker closed the channel: a send fails so, or a reply inside a handler. */
static bool hung_up(int r)
{
	return r == -EPIPE || r == -ECONNRESET;
}

/*
 * A report the broker did not take: once it has hung up, the loop closes
 * everything and exits 0 as on EOF; any other failure ends the helper.
 */
static void sent(struct tunnel *t, int r)
{
	if (hung_up(r))
		t->gone = true;
	else if (r < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "%s", t->chan->err);
}

static void send_progress(struct tunnel *t)
{
	const struct ferry_tunnel_progress pr = { .bytes = t->total, .open = t->nopen };
	struct ferry_wbuf w;

	if (t->gone)
		return;
	ferry_wbuf_init(&w);
	if (ferry_tunnel_put_progress(&w, &pr) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "TUNNEL_PROGRESS: cannot encode %u open streams", t->nopen);
	sent(t, ferry_chan_send(t->chan, FERRY_MSG_TUNNEL_PROGRESS, 0, 0, w.data, w.len, NULL, 0));
	t->next_progress_ns = ferry_now_ns() + PROGRESS_NS;
}

/* --- streams ------------------------------------------------------------- */

/* Let go of every fd and buffer of @s; @clean: "from" reached EOF and all is written. */
static void stream_close(struct tunnel *t, struct stream *s, bool clean)
{
	ferry_helper_close_fd(&s->pipe[0], false, -1);
	ferry_helper_close_fd(&s->pipe[1], false, -1);
	ferry_helper_close_fd(&s->to, s->to_sock, clean ? SHUT_WR : SHUT_RDWR);
	ferry_helper_close_fd(&s->from, s->from_sock, clean ? -1 : SHUT_RDWR);
	free(steal_ptr(s->buf));
	s->open = false;
	t->nopen--;
}

static void stream_end(struct tunnel *t, struct stream *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Close @s and tell the broker how it ended, then where the tunnel stands. */
static void stream_end(struct tunnel *t, struct stream *s, int status, const char *fmt, ...)
{
	char message[FERRY_TUNNEL_MESSAGE_MAX + 1];
	struct ferry_tunnel_end e = {
		.index = (uint32_t)(s - t->s), .status = status, .bytes = s->bytes,
		.message = message,
	};
	struct ferry_wbuf w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	stream_close(t, s, status == 0);
	if (t->gone)
		return;
	ferry_wbuf_init(&w);
	if (ferry_tunnel_put_end(&w, &e) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "TUNNEL_END: cannot encode '%s'", message);
	sent(t, ferry_chan_send(t->chan, FERRY_MSG_TUNNEL_END, 0, 0, w.data, w.len, NULL, 0));
	send_progress(t);
}

/* splice refused an fd: go on with a buffer, taking along what the pipe holds. */
static int to_copy_mode(struct stream *s)
{
	ssize_t n;

	s->buf = malloc(CHUNK);
	if (!s->buf)
		return -ENOMEM;
	/* held <= CHUNK: a stream reads only when nothing is held, CHUNK at most. */
	n = s->held ? read(s->pipe[0], s->buf, s->held) : 0;
	if (n < 0)
		return -errno;
	if ((size_t)n != s->held)
		return -EIO;
	ferry_helper_close_fd(&s->pipe[0], false, -1);
	ferry_helper_close_fd(&s->pipe[1], false, -1);
	s->off = 0;
	return 0;
}

/* Read up to @len bytes from "from". Return the count, 0 at EOF, or -errno. */
static ssize_t stream_get(struct stream *s, size_t len)
{
	ssize_t n;
	int r;

	if (s->pipe[0] >= 0) {
		n = splice(s->from, NULL, s->pipe[1], NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n >= 0 || errno != EINVAL)
			return n >= 0 ? n : -errno;
		r = to_copy_mode(s);
		if (r < 0)
			return r;
	}
	n = read(s->from, s->buf, len);
	if (n > 0)
		s->off = 0;
	return n >= 0 ? n : -errno;
}

/* Write what is held to "to". Return the count written, or -errno. */
static ssize_t stream_put(struct stream *s)
{
	ssize_t n;
	int r;

	if (s->pipe[0] >= 0) {
		n = splice(s->pipe[0], NULL, s->to, NULL, s->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0 || (n < 0 && errno != EINVAL))
			return n > 0 ? n : -errno;
		if (n == 0)
			return -EIO;	/* bytes are held in the pipe: 0 would mean they vanished */
		r = to_copy_mode(s);
		if (r < 0)
			return r;
	}
	n = write(s->to, s->buf + s->off, s->held);
	if (n > 0)
		s->off += (size_t)n;
	return n > 0 ? n : n == 0 ? -EIO : -errno;
}

/* Move what can move on @s now, without waiting, up to the budget. */
static void pump(struct tunnel *t, struct stream *s)
{
	size_t moved = 0, len;
	ssize_t n;

	while (s->open && moved < PUMP_BUDGET) {
		if (s->held) {
			n = stream_put(s);
			if (n == -EAGAIN || n == -EINTR)
				return;
			if (n < 0) {
				stream_end(t, s, (int)n, "write: %s", strerror((int)-n));
				return;
			}
			s->held -= (size_t)n;
			s->bytes += (uint64_t)n;
			t->total += (uint64_t)n;
			moved += (size_t)n;
		} else if (s->eof) {
			stream_end(t, s, 0, "end of stream");
		} else {
			len = bucket_allow(&t->bucket);
			if (len == 0)
				return;
			n = stream_get(s, len < CHUNK ? len : CHUNK);
			if (n == -EAGAIN || n == -EINTR)
				return;
			if (n < 0) {
				stream_end(t, s, (int)n, "read: %s", strerror((int)-n));
				return;
			}
			bucket_take(&t->bucket, (size_t)n);
			s->held = (size_t)n;
			s->eof = n == 0;
		}
	}
}

/* --- requests ------------------------------------------------------------ */

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFLNK: return "a symbolic link";
	default: return "of an unknown file type";
	}
}

/*
 * Is @fd a socket, a pipe or a regular file (a save file: splice() reads
 * and writes those too), open for reading (or, @writes, writing)?
 */
static int check_fd(int fd, const char *name, bool writes, bool *sock, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return ferry_err(err, errlen, -errno, "fd '%s': fstat: %s", name, strerror(errno));
	if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode))
		return ferry_err(err, errlen, -EINVAL, "fd '%s' is %s (file type 0%o), not a socket, "
				 "a pipe or a regular file",
				 name, file_type(st.st_mode), (unsigned)(st.st_mode & S_IFMT));
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return ferry_err(err, errlen, -errno, "fd '%s': F_GETFL: %s", name, strerror(errno));
	if ((fl & O_ACCMODE) == (writes ? O_RDONLY : O_WRONLY))
		return ferry_err(err, errlen, -EBADF, "fd '%s' is open for %s only", name,
				 writes ? "reading" : "writing");
	*sock = S_ISSOCK(st.st_mode);
	return 0;
}

static int set_nonblock(int fd, const char *name, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return ferry_err(err, errlen, -errno, "fd '%s': O_NONBLOCK: %s", name, strerror(errno));
	return 0;
}

/* Check and take @msg's fds into @s, with a pipe of its own. */
static int stream_open(struct stream *s, struct ferry_msg *msg, char *err, size_t errlen)
{
	int r;

	/* Everything that can refuse comes before the fds are changed. */
	if ((r = check_fd(msg->fds[0], "from", false, &s->from_sock, err, errlen)) < 0 ||
	    (r = check_fd(msg->fds[1], "to", true, &s->to_sock, err, errlen)) < 0)
		return r;
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return ferry_err(err, errlen, -errno, "pipe2: %s", strerror(errno));
	if ((r = set_nonblock(msg->fds[0], "from", err, errlen)) < 0 ||
	    (r = set_nonblock(msg->fds[1], "to", err, errlen)) < 0) {
		ferry_helper_close_fd(&s->pipe[0], false, -1);
		ferry_helper_close_fd(&s->pipe[1], false, -1);
		return r;
	}
	/* More per splice; past pipe-max-size or the user's pipe quota the default must do. */
	(void)fcntl(s->pipe[1], F_SETPIPE_SZ, CHUNK);
	s->from = steal_fd(&msg->fds[0]);
	s->to = steal_fd(&msg->fds[1]);
	s->buf = NULL;
	s->off = s->held = 0;
	s->bytes = 0;
	s->eof = false;
	s->open = true;
	return 0;
}

static int on_stream(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct tunnel *t = ctx;
	uint32_t index, flags;
	struct stream *s;
	char why[160];
	int r;

	r = ferry_tunnel_get_stream(msg->payload, msg->len, &index, &flags, why, sizeof(why));
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "TUNNEL_STREAM: %s", why);
	if (t->nopen == FERRY_TUNNEL_MAX_STREAMS)
		return ferry_chan_reply_error(chan, msg, -ENOSPC,
					      "TUNNEL_STREAM: %u streams are open, the most a tunnel pumps",
					      t->nopen);
	s = &t->s[index];
	if (s->open)
		return ferry_chan_reply_error(chan, msg, -EBUSY,
					      "TUNNEL_STREAM: stream %" PRIu32 " is already open", index);
	r = stream_open(s, msg, why, sizeof(why));
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "TUNNEL_STREAM: stream %" PRIu32 ": %s",
					      index, why);
	if (t->nopen++ == 0)
		t->next_progress_ns = ferry_now_ns() + PROGRESS_NS;
	return ferry_chan_reply(chan, msg, FERRY_MSG_TUNNEL_OK, NULL, NULL, 0);
}

static int on_set_rate(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct tunnel *t = ctx;
	uint64_t rate;
	char why[128];

	if (ferry_tunnel_get_rate(msg->payload, msg->len, &rate, why, sizeof(why)) < 0)
		return ferry_chan_reply_error(chan, msg, -EBADMSG, "TUNNEL_SET_RATE: %s", why);
	bucket_set_rate(&t->bucket, rate, ferry_now_ns());
	return ferry_chan_reply(chan, msg, FERRY_MSG_TUNNEL_OK, NULL, NULL, 0);
}

static int on_close(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct tunnel *t = ctx;

	for (size_t i = 0; i < ARRAY_SIZE(t->s); i++)
		if (t->s[i].open)
			stream_end(t, &t->s[i], -ECANCELED, "cancelled");
	return ferry_chan_reply(chan, msg, FERRY_MSG_TUNNEL_OK, NULL, NULL, 0);
}

static const struct ferry_msg_spec tunnel_specs[] = {
	{ FERRY_MSG_TUNNEL_STREAM, "TUNNEL_STREAM", FERRY_TUNNEL_STREAM_LEN, FERRY_TUNNEL_STREAM_LEN,
	  2, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_stream },
	{ FERRY_MSG_TUNNEL_SET_RATE, "TUNNEL_SET_RATE", FERRY_TUNNEL_SET_RATE_LEN,
	  FERRY_TUNNEL_SET_RATE_LEN, 0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_set_rate },
	{ FERRY_MSG_TUNNEL_CLOSE, "TUNNEL_CLOSE", FERRY_TUNNEL_CLOSE_LEN, FERRY_TUNNEL_CLOSE_LEN,
	  0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_close },
};

/* --- the loop ------------------------------------------------------------ */

/* One pollfd per stream that can move: "to" while bytes are held, else "from" if the cap allows. */
static nfds_t watch(struct tunnel *t, struct pollfd *pfd, struct stream **who)
{
	bool may_read = bucket_allow(&t->bucket) > 0;
	nfds_t n = 1;

	pfd[0] = (struct pollfd){ .fd = t->chan->fd, .events = POLLIN };
	for (size_t i = 0; i < ARRAY_SIZE(t->s); i++) {
		struct stream *s = &t->s[i];

		if (!s->open || (!s->held && !may_read))
			continue;
		pfd[n] = s->held ? (struct pollfd){ .fd = s->to, .events = POLLOUT }
				 : (struct pollfd){ .fd = s->from, .events = POLLIN };
		who[n++] = s;
	}
	return n;
}

/* Milliseconds to the next progress report or refilled bucket, rounded up; -1: none. */
static int poll_timeout(const struct tunnel *t, uint64_t now)
{
	uint64_t wait = UINT64_MAX, ms;
	bool reader = false;

	if (!t->nopen)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(t->s); i++)
		reader |= t->s[i].open && !t->s[i].held;
	if (reader && bucket_allow(&t->bucket) == 0)
		wait = bucket_wait_ns(&t->bucket);
	if (t->next_progress_ns <= now)
		return 0;
	if (t->next_progress_ns - now < wait)
		wait = t->next_progress_ns - now;
	ms = (wait + 999999u) / 1000000u;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int run(struct ferry_chan *chan, void *ctx)
{
	struct pollfd pfd[1 + FERRY_TUNNEL_MAX_STREAMS];
	struct stream *who[1 + FERRY_TUNNEL_MAX_STREAMS];
	struct tunnel *t = ctx;
	uint64_t now;
	nfds_t n;
	int r;

	t->chan = chan;
	while (!t->gone) {
		now = ferry_now_ns();
		bucket_refill(&t->bucket, now);
		n = watch(t, pfd, who);
		r = poll(pfd, n, poll_timeout(t, now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ferry_die(FERRY_EXIT_PROTOCOL, "poll: %s", strerror(errno));
		bucket_refill(&t->bucket, ferry_now_ns());
		for (nfds_t k = 1; k < n && !t->gone; k++) {
			nfds_t i = 1 + (k + t->turn) % (n - 1);

			if (pfd[i].revents)
				pump(t, who[i]);
		}
		t->turn++;
		if (pfd[0].revents && !t->gone) {
			r = ferry_chan_process(chan);
			/* 0: the broker is done with this tunnel. */
			if (r == 0 || hung_up(r))
				break;
			if (r < 0)
				ferry_die(FERRY_EXIT_PROTOCOL, "%s", chan->err);
		}
		if (t->nopen && ferry_now_ns() >= t->next_progress_ns)
			send_progress(t);
	}
	for (size_t i = 0; i < ARRAY_SIZE(t->s); i++)
		if (t->s[i].open)
			stream_close(t, &t->s[i], false);
	return 0;
}

int main(int argc, char **argv)
{
	static struct tunnel tun;
	const struct ferry_helper_def def = {
		.profile = &tunnel_profile,
		.specs = tunnel_specs,
		.nspecs = ARRAY_SIZE(tunnel_specs),
		.ctx = &tun,
		.run = run,
	};

	for (size_t i = 0; i < ARRAY_SIZE(tun.s); i++)
		tun.s[i].from = tun.s[i].to = tun.s[i].pipe[0] = tun.s[i].pipe[1] = -1;
	/* A peer or QEMU gone away must be EPIPE on write or splice, not a signal that ends us. */
	signal(SIGPIPE, SIG_IGN);
	return ferry_helper_main(argc, argv, &def);
}

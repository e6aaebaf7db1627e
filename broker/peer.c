/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client-proto.h"
#include "log.h"
#include "peer.h"
#include "transport.h"
#include "util.h"

/* A broker's answers are small, but a domain XML may ride in one. */
#define PEER_LINE_MAX FERRY_PROTO_LINE_MAX

struct ferry_peer_conn {
	struct ferry_loop *loop;
	int fd;
	int timer_fd;
	pid_t ssh_pid;			/* ssh:// transports; 0 for unix:// */
	int err_fd;			/* ssh's stderr, -1 when none or at its end */
	struct ferry_stderr_tail err_tail;	/* its last line, for messages */
	char name[160];
	struct ferry_linebuf in;
	char *out;
	size_t outlen, outoff;
	bool greeted;
	bool failed;
	unsigned depth;			/* callbacks running: free later */
	bool closed;			/* ferry_peer_close() ran inside a callback */
	char cmd[48];			/* the request in flight, for messages */
	ferry_peer_reply_fn cb;
	void *data;
	ferry_peer_event_fn on_event;
	void *event_ctx;
};

static void conn_free(struct ferry_peer_conn *p);

/* The ssh child exits once its socket closes: reap it off the loop. */
struct reaper {
	struct ferry_loop *loop;
	int pidfd;
	pid_t pid;
};

static void on_reap(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct reaper *r = data;
	siginfo_t si = { 0 };

	if (waitid(P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	ferry_loop_del(loop, fd);
	close(r->pidfd);
	free(r);
}

static void reap_later(struct ferry_loop *loop, pid_t pid)
{
	struct reaper *r = calloc(1, sizeof(*r));
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (!r || pidfd < 0 || ferry_loop_add(loop, pidfd, EPOLLIN, on_reap, r) < 0) {
		/* Cannot watch it: wait for it now, which a closed socket makes short. */
		if (pidfd >= 0)
			close(pidfd);
		free(r);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return;
	}
	r->loop = loop;
	r->pidfd = pidfd;
	r->pid = pid;
}

static void timer_set(struct ferry_peer_conn *p, unsigned ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L },
	};

	timerfd_settime(p->timer_fd, 0, &its, NULL);
}

/* Hand the request in flight its answer; the callback may close @p. */
static void deliver(struct ferry_peer_conn *p, struct json_object *ret, const char *cls,
		    const char *desc)
{
	ferry_peer_reply_fn cb = p->cb;

	if (!cb)
		return;
	p->cb = NULL;
	timer_set(p, 0);
	p->depth++;
	cb(p, ret, cls, desc, p->data);
	p->depth--;
}

/* The connection is over: the request in flight, if any, learns why. */
static void fail(struct ferry_peer_conn *p, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct ferry_peer_conn *p, const char *cls, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (p->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	p->failed = true;
	ferry_loop_del(p->loop, p->fd);
	if (p->err_fd >= 0)
		ferry_stderr_tail_read(p->err_fd, &p->err_tail);
	if (ferry_stderr_tail_line(&p->err_tail)[0]) {
		size_t n = strlen(why);

		/* ssh says last why it gave up ("Host key verification failed."). */
		snprintf(why + n, sizeof(why) - n, " (ssh: %s)", ferry_stderr_tail_line(&p->err_tail));
	}
	log_warn("peer %s: %s", p->name, why);
	deliver(p, NULL, cls, why);
}

static void watch(struct ferry_peer_conn *p)
{
	if (!p->failed)
		ferry_loop_mod(p->loop, p->fd, EPOLLIN | (p->outlen > p->outoff ? EPOLLOUT : 0));
}

static void flush(struct ferry_peer_conn *p)
{
	while (p->outoff < p->outlen) {
		ssize_t n = send(p->fd, p->out + p->outoff, p->outlen - p->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			fail(p, "PeerGone", "sending %s: %s", p->cmd, strerror(errno));
			return;
		}
		p->outoff += (size_t)n;
	}
	watch(p);
}

static bool check_greeting(struct ferry_peer_conn *p, struct json_object *o)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, "ferry", &f) || !json_object_is_type(f, json_type_object)) {
		fail(p, "PeerProtocol", "did not greet as a ferry broker");
		return false;
	}
	p->greeted = true;
	return true;
}

/* One line from the peer: the greeting, an event (ignored) or our answer. */
static void on_line(struct ferry_peer_conn *p, struct json_object *o)
{
	struct json_object *ret, *e, *cls, *desc, *ev, *data = NULL;

	if (!p->greeted) {
		check_greeting(p, o);
		return;
	}
	if (json_object_object_get_ex(o, "event", &ev)) {
		if (p->on_event && json_object_is_type(ev, json_type_string)) {
			json_object_object_get_ex(o, "data", &data);
			p->depth++;
			p->on_event(p, json_object_get_string(ev), data, p->event_ctx);
			p->depth--;
		}
		return;
	}
	if (!p->cb) {
		fail(p, "PeerProtocol", "an answer nobody asked for");
		return;
	}
	if (json_object_object_get_ex(o, "return", &ret)) {
		deliver(p, ret, NULL, NULL);
		return;
	}
	if (json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_object) &&
	    json_object_object_get_ex(e, "class", &cls) && json_object_is_type(cls, json_type_string) &&
	    json_object_object_get_ex(e, "desc", &desc) && json_object_is_type(desc, json_type_string)) {
		deliver(p, NULL, json_object_get_string(cls), json_object_get_string(desc));
		return;
	}
	fail(p, "PeerProtocol", "answer to %s is neither a return nor an error", p->cmd);
}

static void read_lines(struct ferry_peer_conn *p)
{
	char why[256], *line;
	size_t len;
	ssize_t n;
	int r;

	n = ferry_linebuf_read(&p->in, p->fd);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		fail(p, "PeerGone", "the peer broker closed the connection%s%s%s%s",
		     p->cb ? " during " : "", p->cb ? p->cmd : "", n < 0 ? ": " : "",
		     n < 0 ? strerror((int)-n) : "");
		return;
	}
	while (!p->failed && !p->closed && (r = ferry_linebuf_next(&p->in, &line, &len)) != 0) {
		struct json_object *o = NULL;

		if (r < 0) {
			fail(p, "PeerProtocol", "a line longer than %u bytes", PEER_LINE_MAX);
			return;
		}
		r = ferry_proto_parse_line(line, len, &o, why, sizeof(why));
		if (r == -ENODATA)
			continue;
		if (r < 0) {
			fail(p, "PeerProtocol", "%s", why);
			return;
		}
		on_line(p, o);
		json_object_put(o);
	}
}

static void on_io(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_peer_conn *p = data;

	p->depth++;
	if (events & EPOLLOUT)
		flush(p);
	if (!p->failed && !p->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_lines(p);
	p->depth--;
	if (p->closed && !p->depth)
		conn_free(p);
}

/* ssh's stderr: kept for messages, and drained so that ssh never blocks on it. */
static void on_stderr(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_peer_conn *p = data;

	if (ferry_stderr_tail_read(fd, &p->err_tail) != 0) {
		ferry_loop_del(loop, fd);
		close(fd);
		p->err_fd = -1;
	}
}

static void on_timer(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_peer_conn *p = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	p->depth++;
	fail(p, "PeerTimeout", "no answer to %s in time", p->cmd);
	p->depth--;
	if (p->closed && !p->depth)
		conn_free(p);
}

int ferry_peer_connect(struct ferry_loop *loop, const char *uri, struct ferry_peer_conn **out,
		       char *err, size_t errlen)
{
	struct ferry_peer_conn *p;
	int fd, r;
	pid_t pid = 0;

	int err_fd = -1;

	r = ferry_transport_connect_capture(uri, &fd, &pid, &err_fd, err, errlen);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->loop = loop;
	p->fd = fd;
	p->ssh_pid = pid;
	p->err_fd = err_fd;
	if (err_fd >= 0 && ferry_loop_add(loop, err_fd, EPOLLIN, on_stderr, p) < 0) {
		close(err_fd);
		p->err_fd = -1;
	}
	/* Messages name the peer without the query: it only names local key files. */
	snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(uri, "?"), uri);
	ferry_linebuf_init(&p->in, PEER_LINE_MAX);
	p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->timer_fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    ferry_loop_add(loop, fd, EPOLLIN, on_io, p) < 0) {
		r = -errno;
		goto fail;
	}
	if (ferry_loop_add(loop, p->timer_fd, EPOLLIN, on_timer, p) < 0) {
		r = -errno;
		ferry_loop_del(loop, fd);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	if (p->timer_fd >= 0)
		close(p->timer_fd);
	if (p->err_fd >= 0) {
		ferry_loop_del(loop, p->err_fd);
		close(p->err_fd);
	}
	free(p);
	close(fd);
	if (pid > 0)
		reap_later(loop, pid);
	return ferry_err(err, errlen, r, "%s: %s", uri, strerror(-r));
nomem:
	if (err_fd >= 0)
		close(err_fd);
	close(fd);
	if (pid > 0)
		reap_later(loop, pid);
	return ferry_err(err, errlen, -ENOMEM, "out of memory");
}

int ferry_peer_call(struct ferry_peer_conn *p, const char *cmd, struct json_object *args,
		    unsigned timeout_ms, ferry_peer_reply_fn cb, void *data)
{
	struct json_object *req;
	char *line;
	size_t len;
	int r;

	if (p->failed) {
		json_object_put(args);
		return -ENOTCONN;
	}
	if (p->cb) {
		json_object_put(args);
		return -EBUSY;
	}
	req = json_object_new_object();
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	r = ferry_proto_format(req, &line, &len);
	json_object_put(req);
	if (r < 0)
		return r;
	free(p->out);
	p->out = line;
	p->outlen = len;
	p->outoff = 0;
	snprintf(p->cmd, sizeof(p->cmd), "%s", cmd);
	p->cb = cb;
	p->data = data;
	timer_set(p, timeout_ms);
	flush(p);
	return 0;
}

int ferry_peer_take_fd(struct ferry_peer_conn *p)
{
	int fd;

	if (p->cb || p->failed || p->outoff < p->outlen)
		return -EBUSY;
	if (ferry_linebuf_partial(&p->in))
		return -EPROTO;
	ferry_loop_del(p->loop, p->fd);
	fd = p->fd;
	p->fd = -1;
	p->failed = true;
	return fd;
}

void ferry_peer_set_event_hook(struct ferry_peer_conn *p, ferry_peer_event_fn fn, void *ctx)
{
	p->on_event = fn;
	p->event_ctx = ctx;
}

const char *ferry_peer_name(const struct ferry_peer_conn *p)
{
	return p->name;
}

static void conn_free(struct ferry_peer_conn *p)
{
	if (p->fd >= 0) {
		ferry_loop_del(p->loop, p->fd);
		close(p->fd);
	}
	ferry_loop_del(p->loop, p->timer_fd);
	close(p->timer_fd);
	if (p->err_fd >= 0) {
		ferry_loop_del(p->loop, p->err_fd);
		close(p->err_fd);
	}
	if (p->ssh_pid > 0)
		reap_later(p->loop, p->ssh_pid);
	ferry_linebuf_release(&p->in);
	free(p->out);
	free(p);
}

void ferry_peer_close(struct ferry_peer_conn *p)
{
	if (!p)
		return;
	p->cb = NULL;
	if (p->depth) {
		p->closed = true;
		return;
	}
	conn_free(p);
}

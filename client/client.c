/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.c - the ferryd API from the client's side: connect, greeting,
 * one call at a time, events queued in between.
 *
 * The broker is trusted to run commands, not to send well-formed bytes: a
 * line that is too long, not JSON, or not the answer to the request in
 * flight ends the conversation with a message saying what arrived, and
 * the connection is not used again, since after such a fault no later
 * line can be trusted to mean what it seems to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "client-proto.h"
#include "transport.h"
#include "util.h"

#define NAME_MAX_LEN 256u
#define BROKEN_MAX 256u
/*
 * How long ssh gets to end after its stream did: one round trip for the
 * remote proxy to see its end and exit, with room for a slow link.
 */
#define SSH_EXIT_WAIT_MS 3000

struct ferry_client {
	int fd;
	char name[NAME_MAX_LEN];		/* the URI, for messages */
	struct ferry_linebuf rx;
	int timeout_ms;				/* -1: none */
	int64_t next_id;
	bool readonly;
	unsigned version[3];
	char err_class[FERRY_CLIENT_CLASS_MAX + 1];
	char broken[BROKEN_MAX];		/* why the connection is dead; "" if not */
	struct json_object *events;		/* array, oldest first */
	size_t dropped;
	ferry_event_hook hook;			/* events go here instead, when set */
	void *hook_data;
	/* ssh:// only: the ssh process and the pipe of its stderr. */
	pid_t ssh_pid;				/* 0: none, or reaped */
	int ssh_err_fd;				/* -1: none, or at its end */
	struct ferry_stderr_tail ssh_tail;
};

/* Remember why the connection died; later calls repeat it. */
static int give_up(struct ferry_client *cl, int r, const char *err, size_t errlen)
{
	snprintf(cl->broken, sizeof(cl->broken), "%s", errlen && *err ? err : strerror(-r));
	return r;
}

static int64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return (int64_t)(ferry_now_ns() / 1000000u) + timeout_ms;
}

/* Milliseconds left until @deadline for poll(): -1 forever, 0 expired. */
static int remaining_ms(int64_t deadline)
{
	int64_t now;

	if (deadline < 0)
		return -1;
	now = (int64_t)(ferry_now_ns() / 1000000u);
	if (now >= deadline)
		return 0;
	return deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
}

/* Keep ssh's last word, and keep its stderr from filling up. */
static void drain_ssh_stderr(struct ferry_client *cl)
{
	if (cl->ssh_err_fd >= 0 && ferry_stderr_tail_read(cl->ssh_err_fd, &cl->ssh_tail) != 0) {
		close(cl->ssh_err_fd);
		cl->ssh_err_fd = -1;
	}
}

/*
 * Wait for @events on the socket; 0, -ETIMEDOUT or -errno. ssh's stderr
 * is read on the way, whenever it has something.
 */
static int wait_fd(struct ferry_client *cl, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = cl->fd, .events = events },
			{ .fd = cl->ssh_err_fd, .events = POLLIN },
		};
		int n = poll(p, cl->ssh_err_fd >= 0 ? 2 : 1, remaining_ms(deadline));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (p[1].revents)
			drain_ssh_stderr(cl);
		if (p[0].revents)
			return 0;
	}
}

/*
 * The stream ended while waiting for @what. Over ssh, the broker closing
 * is one reason among many (no ssh route, a refused key or host key, no
 * ferryctl over there, no broker there): ssh's exit status and the last
 * line of its stderr tell which. Our half-close ends the remote proxy,
 * which ends ssh.
 */
static int stream_ended(struct ferry_client *cl, const char *what, char *err, size_t errlen)
{
	const char *mid = ferry_linebuf_partial(&cl->rx) ? " mid-line" : "";
	char how[96];
	const char *line;
	int st;

	if (cl->ssh_pid > 0) {
		shutdown(cl->fd, SHUT_WR);
		if (ferry_transport_reap(cl->ssh_pid, SSH_EXIT_WAIT_MS, &st) == 0 &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			cl->ssh_pid = 0;
			drain_ssh_stderr(cl);
			ferry_wait_status_describe(st, how, sizeof(how));
			line = ferry_stderr_tail_line(&cl->ssh_tail);
			return ferry_err(err, errlen, -ECONNRESET, "%s: ssh %s while waiting for %s%s%s",
				    cl->name, how, what, *line ? ": " : "", line);
		}
		cl->ssh_pid = 0;
	}
	return ferry_err(err, errlen, -ECONNRESET, "broker closed the connection%s while waiting for %s",
		    mid, what);
}

/*
 * MSG_NOSIGNAL: a broker going away must be an error return, not a
 * SIGPIPE that kills the program using the library.
 */
static int send_all(struct ferry_client *cl, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(cl->fd, buf, len, MSG_NOSIGNAL);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n < 0) {
			r = wait_fd(cl, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * recv_obj - the next JSON object from the broker
 * Blank lines are skipped; @what says what was awaited, for messages.
 */
static int recv_obj(struct ferry_client *cl, int64_t deadline, const char *what,
		    struct json_object **obj, char *err, size_t errlen)
{
	char why[256];

	for (;;) {
		char *line;
		size_t len;
		ssize_t n;
		int r = ferry_linebuf_next(&cl->rx, &line, &len);

		if (r == -EMSGSIZE)
			return ferry_err(err, errlen, r, "broker sent a line longer than %u bytes while waiting for %s",
				    FERRY_PROTO_RECV_MAX, what);
		if (r > 0) {
			r = ferry_proto_parse_line(line, len, obj, why, sizeof(why));
			if (r == -ENODATA)
				continue;
			if (r < 0)
				return ferry_err(err, errlen, r == -ENOMEM ? r : -EPROTO,
					    "broker sent %s while waiting for %s", why, what);
			return 0;
		}
		r = wait_fd(cl, POLLIN, deadline);
		if (r == -ETIMEDOUT)
			return ferry_err(err, errlen, r, "timed out waiting for %s", what);
		if (r < 0)
			return ferry_err(err, errlen, r, "waiting for %s: %s", what, strerror(-r));
		n = ferry_linebuf_read(&cl->rx, cl->fd);
		if (n == 0)
			return stream_ended(cl, what, err, errlen);
		if (n < 0 && n != -EAGAIN)
			return ferry_err(err, errlen, (int)n, "reading %s: %s", what, strerror((int)-n));
	}
}

/* Copy the broker's text for display: no control characters. */
static void copy_clean(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < dstlen; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = '\0';
}

static bool class_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_CLIENT_CLASS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

/* {"class": CLASS, "desc": TEXT} into cl->err_class and "CLASS: desc". */
static int remote_error(struct ferry_client *cl, struct json_object *e,
			char *err, size_t errlen)
{
	struct json_object *cls, *desc;
	char text[1024];

	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "class", &cls) ||
	    !json_object_is_type(cls, json_type_string) ||
	    !class_ok(json_object_get_string(cls)) ||
	    !json_object_object_get_ex(e, "desc", &desc) ||
	    !json_object_is_type(desc, json_type_string))
		return ferry_err(err, errlen, -EPROTO,
			    "broker sent an error without a valid class and desc");
	snprintf(cl->err_class, sizeof(cl->err_class), "%s", json_object_get_string(cls));
	copy_clean(text, sizeof(text), json_object_get_string(desc));
	return ferry_err(err, errlen, -EREMOTEIO, "%s: %s", cl->err_class, text);
}

/* {"event": NAME, "data": {...}, ...}: checked, then queued. */
static int queue_event(struct ferry_client *cl, struct json_object *ev,
		       char *err, size_t errlen)
{
	struct json_object *name, *data;

	if (!json_object_object_get_ex(ev, "event", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    (json_object_object_get_ex(ev, "data", &data) &&
	     !json_object_is_type(data, json_type_object)))
		return ferry_err(err, errlen, -EPROTO,
			    "broker sent an event without a name or with non-object data");
	if (cl->hook) {
		cl->hook(ev, cl->hook_data);
		return 0;
	}
	/* A client that never looks at events must not grow without bound. */
	if (json_object_array_length(cl->events) >= FERRY_CLIENT_MAX_EVENTS) {
		json_object_array_del_idx(cl->events, 0, 1);
		cl->dropped++;
	}
	if (json_object_array_add(cl->events, json_object_get(ev)) < 0) {
		json_object_put(ev);
		return ferry_err(err, errlen, -ENOMEM, "out of memory queueing an event");
	}
	return 0;
}

static bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* A version part: a JSON integer 0-65535. */
static int version_part(struct json_object *ver, const char *key, unsigned *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(ver, key, &v) || !json_object_is_type(v, json_type_int))
		return -EPROTO;
	n = json_object_get_int64(v);
	if (n < 0 || n > 65535)
		return -EPROTO;
	*out = (unsigned)n;
	return 0;
}

/*
 * {"ferry": {"version": {"major", "minor", "micro"}, "readonly": BOOL}}.
 * Keys beyond these are allowed: later brokers may announce more.
 */
static int parse_greeting(struct ferry_client *cl, struct json_object *g,
			  char *err, size_t errlen)
{
	struct json_object *f, *ver, *ro;
	struct json_object *e;

	if (json_object_object_get_ex(g, "error", &e))
		return remote_error(cl, e, err, errlen);
	if (!json_object_object_get_ex(g, "ferry", &f) ||
	    !json_object_is_type(f, json_type_object))
		return ferry_err(err, errlen, -EPROTO, "%s: expected a ferry greeting, got something else",
			    cl->name);
	if (!json_object_object_get_ex(f, "version", &ver) ||
	    !json_object_is_type(ver, json_type_object) ||
	    version_part(ver, "major", &cl->version[0]) < 0 ||
	    version_part(ver, "minor", &cl->version[1]) < 0 ||
	    version_part(ver, "micro", &cl->version[2]) < 0)
		return ferry_err(err, errlen, -EPROTO, "%s: greeting lacks a valid version", cl->name);
	if (!json_object_object_get_ex(f, "readonly", &ro) ||
	    !json_object_is_type(ro, json_type_boolean))
		return ferry_err(err, errlen, -EPROTO, "%s: greeting lacks a valid readonly flag", cl->name);
	cl->readonly = json_object_get_boolean(ro);
	return 0;
}

/* A client on @fd, owned from here on, also on failure. */
static int client_new(int fd, const char *name, int timeout_ms, struct ferry_client **out,
		      char *err, size_t errlen)
{
	struct ferry_client *cl = calloc(1, sizeof(*cl));
	int flags, r;

	*out = NULL;
	if (!cl) {
		close(fd);
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	}
	cl->fd = fd;
	cl->ssh_err_fd = -1;
	copy_clean(cl->name, sizeof(cl->name), name ? name : "broker");
	ferry_linebuf_init(&cl->rx, FERRY_PROTO_RECV_MAX);
	cl->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
	cl->next_id = 1;
	cl->events = json_object_new_array();
	if (!cl->events) {
		ferry_client_free(cl);
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	}
	/* Non-blocking, so that every wait goes through poll and its deadline. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		r = -errno;
		ferry_client_free(cl);
		return ferry_err(err, errlen, r, "%s: fcntl: %s", name ? name : "broker", strerror(-r));
	}
	*out = cl;
	return 0;
}

/* Read the greeting; on failure @cl is freed and *@out left NULL. */
static int client_greet(struct ferry_client *cl, struct ferry_client **out,
			char *err, size_t errlen)
{
	struct json_object *g = NULL;
	int r;

	*out = NULL;
	r = recv_obj(cl, deadline_of(cl->timeout_ms), "the greeting", &g, err, errlen);
	if (r == 0)
		r = parse_greeting(cl, g, err, errlen);
	json_object_put(g);
	if (r < 0) {
		ferry_client_free(cl);
		return r;
	}
	*out = cl;
	return 0;
}

int ferry_client_open_fd(int fd, const char *name, int timeout_ms,
			 struct ferry_client **out, char *err, size_t errlen)
{
	struct ferry_client *cl;
	int r = client_new(fd, name, timeout_ms, &cl, err, errlen);

	*out = NULL;
	if (r < 0)
		return r;
	return client_greet(cl, out, err, errlen);
}

int ferry_client_connect(const char *uri, int timeout_ms, struct ferry_client **out,
			 char *err, size_t errlen)
{
	struct ferry_client *cl;
	char name[NAME_MAX_LEN];
	int fd, errfd, st, r;
	pid_t pid;

	*out = NULL;
	r = ferry_transport_connect_capture(uri, &fd, &pid, &errfd, err, errlen);
	if (r < 0)
		return r;
	/* An ssh URI's query names local key files: messages can do without. */
	snprintf(name, sizeof(name), "%.*s", (int)(pid > 0 ? strcspn(uri, "?") : strlen(uri)), uri);
	r = client_new(fd, name, timeout_ms, &cl, err, errlen);
	if (r < 0) {
		if (errfd >= 0)
			close(errfd);
		if (pid > 0)
			ferry_transport_reap(pid, SSH_EXIT_WAIT_MS, &st);
		return r;
	}
	cl->ssh_pid = pid;
	cl->ssh_err_fd = errfd;
	return client_greet(cl, out, err, errlen);
}

void ferry_client_free(struct ferry_client *cl)
{
	int st;

	if (!cl)
		return;
	/* ssh sees its stdin end and stops, once the remote proxy has. */
	if (cl->fd >= 0)
		close(cl->fd);
	if (cl->ssh_pid > 0)
		ferry_transport_reap(cl->ssh_pid, SSH_EXIT_WAIT_MS, &st);
	if (cl->ssh_err_fd >= 0)
		close(cl->ssh_err_fd);
	ferry_linebuf_release(&cl->rx);
	json_object_put(cl->events);
	free(cl);
}

bool ferry_client_readonly(const struct ferry_client *cl)
{
	return cl->readonly;
}

void ferry_client_version(const struct ferry_client *cl, unsigned *major,
			  unsigned *minor, unsigned *micro)
{
	*major = cl->version[0];
	*minor = cl->version[1];
	*micro = cl->version[2];
}

void ferry_client_set_timeout(struct ferry_client *cl, int timeout_ms)
{
	cl->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

const char *ferry_client_error_class(const struct ferry_client *cl)
{
	return cl->err_class;
}

size_t ferry_client_pending_events(const struct ferry_client *cl)
{
	return json_object_array_length(cl->events);
}

size_t ferry_client_dropped_events(const struct ferry_client *cl)
{
	return cl->dropped;
}

/* {"execute": CMD, "arguments": ARGS, "id": ID} as one line. */
static int build_request(const char *cmd, struct json_object *args, int64_t id,
			 char **line, size_t *len)
{
	struct json_object *req = json_object_new_object();
	struct json_object *c = json_object_new_string(cmd);
	struct json_object *i = json_object_new_int64(id);
	int r = -ENOMEM;

	if (req && c && i) {
		json_object_object_add(req, "execute", steal_ptr(c));
		if (args)
			json_object_object_add(req, "arguments", json_object_get(args));
		json_object_object_add(req, "id", steal_ptr(i));
		r = ferry_proto_format(req, line, len);
	}
	json_object_put(req);
	json_object_put(c);
	json_object_put(i);
	return r;
}

/*
 * Is @msg the answer to request @id? The broker echoes the id; an error
 * without one is the broker's answer to a request it could not read at
 * all, and with a single request in flight that request was ours.
 */
static int check_answer(struct json_object *msg, int64_t id, const char *cmd,
			char *err, size_t errlen)
{
	struct json_object *got;
	char ex[48];
	const char *s;

	if (has(msg, "return") && has(msg, "error"))
		return ferry_err(err, errlen, -EPROTO, "broker answered '%s' with both return and error", cmd);
	if (!json_object_object_get_ex(msg, "id", &got))
		return has(msg, "error") ? 0 :
		       ferry_err(err, errlen, -EPROTO, "broker answered '%s' without an id", cmd);
	if (json_object_is_type(got, json_type_int) && json_object_get_int64(got) == id)
		return 0;
	s = json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN);
	ferry_proto_excerpt(ex, sizeof(ex), s ? s : "?", s ? strlen(s) : 1);
	return ferry_err(err, errlen, -EPROTO, "broker answered id %s while waiting for id %lld ('%s')",
		    ex, (long long)id, cmd);
}

/* Read until the answer to @id arrives, queueing events on the way. */
static int await_answer(struct ferry_client *cl, const char *cmd, int64_t id,
			int64_t deadline, struct json_object **ret, char *err, size_t errlen)
{
	char what[96];

	snprintf(what, sizeof(what), "the answer to '%s'", cmd);
	for (;;) {
		struct json_object *msg = NULL, *v;
		int r = recv_obj(cl, deadline, what, &msg, err, errlen);

		if (r < 0)
			return r;
		if (has(msg, "event"))
			r = queue_event(cl, msg, err, errlen);
		else if (!has(msg, "return") && !has(msg, "error"))
			r = ferry_err(err, errlen, -EPROTO,
				 "broker sent neither an answer nor an event while waiting for %s", what);
		else if ((r = check_answer(msg, id, cmd, err, errlen)) == 0) {
			if (json_object_object_get_ex(msg, "return", &v))
				*ret = json_object_get(v);
			else
				r = remote_error(cl, json_object_object_get(msg, "error"), err, errlen);
			json_object_put(msg);
			return r;
		}
		json_object_put(msg);
		if (r < 0)
			return r;
	}
}

int ferry_client_call(struct ferry_client *cl, const char *cmd, struct json_object *args,
		      struct json_object **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *line = NULL;
	int64_t deadline = deadline_of(cl->timeout_ms);
	int64_t id;
	size_t len;
	int r;

	*ret = NULL;
	cl->err_class[0] = '\0';
	if (cl->broken[0])
		return ferry_err(err, errlen, -ENOTCONN, "connection unusable after an earlier failure: %s",
			    cl->broken);
	if (!cmd || !*cmd)
		return ferry_err(err, errlen, -EINVAL, "no command given");
	if (args && !json_object_is_type(args, json_type_object))
		return ferry_err(err, errlen, -EINVAL, "arguments of '%s' are not a JSON object", cmd);
	/* An id is spent only on a request that goes out. */
	id = cl->next_id;
	r = build_request(cmd, args, id, &line, &len);
	if (r == -EMSGSIZE)
		return ferry_err(err, errlen, r, "request '%s' is longer than the %u-byte line limit",
			    cmd, FERRY_PROTO_LINE_MAX);
	if (r < 0)
		return ferry_err(err, errlen, r, "building request '%s': %s", cmd, strerror(-r));
	cl->next_id++;
	r = send_all(cl, line, len, deadline);
	if (r < 0) {
		ferry_err(err, errlen, r, "sending '%s': %s", cmd,
		     r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return give_up(cl, r, err, errlen);
	}
	r = await_answer(cl, cmd, id, deadline, ret, err, errlen);
	if (r < 0 && r != -EREMOTEIO)
		return give_up(cl, r, err, errlen);
	return r;
}

/* Take the oldest queued event, if any. */
static bool pop_event(struct ferry_client *cl, struct json_object **ev)
{
	if (json_object_array_length(cl->events) == 0)
		return false;
	*ev = json_object_get(json_object_array_get_idx(cl->events, 0));
	json_object_array_del_idx(cl->events, 0, 1);
	return true;
}

int ferry_client_next_event(struct ferry_client *cl, int timeout_ms,
			    struct json_object **ev, char *err, size_t errlen)
{
	int64_t deadline = deadline_of(timeout_ms);

	*ev = NULL;
	if (pop_event(cl, ev))
		return 0;
	if (cl->broken[0])
		return ferry_err(err, errlen, -ENOTCONN, "connection unusable after an earlier failure: %s",
			    cl->broken);
	for (;;) {
		struct json_object *msg = NULL;
		int r = recv_obj(cl, deadline, "an event", &msg, err, errlen);

		if (r == -ETIMEDOUT)
			return r;
		if (r == 0 && has(msg, "event"))
			r = queue_event(cl, msg, err, errlen);
		else if (r == 0)
			r = ferry_err(err, errlen, -EPROTO, "broker sent something other than an event "
				 "with no request in flight");
		json_object_put(msg);
		if (r < 0)
			return give_up(cl, r, err, errlen);
		if (pop_event(cl, ev))
			return 0;
	}
}

void ferry_client_set_event_hook(struct ferry_client *cl, ferry_event_hook hook, void *data)
{
	cl->hook = hook;
	cl->hook_data = data;
}

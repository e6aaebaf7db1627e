/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client-proto.h"
#include "log.h"
#include "server.h"
#include "util.h"

/* A client that reads nothing while this much waits for it is dropped. */
#define MAX_OUTPUT (16u * 1024 * 1024)

static void client_drop(struct ferry_client *c);
static void hand_over(struct ferry_client *c);
static void client_process(struct ferry_client *c);

static int listen_on(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/*
	 * Anyone may connect: who may stay is decided from the peer's
	 * credentials, and refused clients are told why.
	 */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

static void flush_out(struct ferry_client *c)
{
	while (c->outlen) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_drop(c);
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen == 0 && c->closing && !c->in_handler) {
		if (c->hand_over)
			hand_over(c);
		else
			client_drop(c);
		return;
	}
	ferry_loop_mod(c->srv->loop, c->fd, (c->waiting || c->closing ? 0 : EPOLLIN) |
		       (c->outlen ? EPOLLOUT : 0));
}

static void send_json(struct ferry_client *c, struct json_object *o)
{
	size_t len;
	const char *s;

	if (c->dead) {
		json_object_put(o);
		return;
	}
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (c->outlen + len + 1 > MAX_OUTPUT) {
		log_warn("client %u: %zu bytes of answers unread: dropping it", c->id, c->outlen);
		json_object_put(o);
		client_drop(c);
		return;
	}
	if (c->outlen + len + 1 > c->outcap) {
		size_t cap = (c->outlen + len + 1) * 2;
		char *p = realloc(c->out, cap);

		if (!p) {
			json_object_put(o);
			client_drop(c);
			return;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	json_object_put(o);
	flush_out(c);
}

static void finish_request(struct ferry_client *c, struct json_object *answer)
{
	struct json_object *id;

	/* Any id is echoed, a JSON null included. */
	if (c->cur.root && json_object_object_get_ex(c->cur.root, "id", &id))
		json_object_object_add(answer, "id", json_object_get(id));
	json_object_put(c->cur.root);
	memset(&c->cur, 0, sizeof(c->cur));
	ferry_client_ref(c);
	send_json(c, answer);
	/* An answer that came later lets the client's next request in. */
	if (!c->in_handler && c->waiting && !c->dead) {
		c->waiting = false;
		client_process(c);
	}
	ferry_client_unref(c);
}

void ferry_client_return(struct ferry_client *c, struct json_object *ret)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "return", ret ? ret : json_object_new_object());
	finish_request(c, a);
}

static struct json_object *error_object(const char *cls, const char *desc)
{
	struct json_object *a = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(a, "error", e);
	return a;
}

void ferry_client_error(struct ferry_client *c, const char *cls, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	finish_request(c, error_object(cls, desc));
}

void ferry_server_event(struct ferry_server *s, const char *name, struct json_object *data)
{
	struct json_object *ev = json_object_new_object(), *ts = json_object_new_object();
	struct timeval tv;

	gettimeofday(&tv, NULL);
	json_object_object_add(ev, "event", json_object_new_string(name));
	json_object_object_add(ev, "data", data);
	json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
	json_object_object_add(ev, "timestamp", ts);
	for (struct ferry_client *c = s->clients, *next; c; c = next) {
		/* Sending may drop the client; the reference keeps @next readable. */
		ferry_client_ref(c);
		if (!c->dead && !c->closing)
			send_json(c, json_object_get(ev));
		next = c->next;
		ferry_client_unref(c);
	}
	json_object_put(ev);
}

/* The shape of a request; the command's own arguments are its handler's business. */
static int parse_request(const char *line, size_t len, struct ferry_request *req,
			 char *why, size_t whylen)
{
	struct json_object *o, *exec;
	int r;

	memset(req, 0, sizeof(*req));
	r = ferry_proto_parse_line(line, len, &o, why, whylen);
	if (r < 0)
		return r;
	req->root = o;
	json_object_object_get_ex(o, "id", &req->id);
	if (!json_object_object_get_ex(o, "execute", &exec) || !json_object_is_type(exec, json_type_string)) {
		snprintf(why, whylen, "'execute' must be a string naming the command");
		return -EINVAL;
	}
	req->cmd = json_object_get_string(exec);
	if (json_object_object_get_ex(o, "arguments", &req->args) &&
	    !json_object_is_type(req->args, json_type_object)) {
		snprintf(why, whylen, "'arguments' must be an object");
		return -EINVAL;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			snprintf(why, whylen, "unknown member '%s' in the request", key);
			return -EINVAL;
		}
	}
	return 0;
}

static void handle_line(struct ferry_client *c, const char *line, size_t len)
{
	char why[256];

	if (parse_request(line, len, &c->cur, why, sizeof(why)) < 0) {
		ferry_client_error(c, "GenericError", "%s", why);
		return;
	}
	c->waiting = true;
	c->in_handler = true;
	ferry_client_ref(c);
	c->srv->on_request(c, &c->cur, c->srv->ctx);
	c->in_handler = false;
	/* Answered already (the usual case), or an answer will come later. */
	if (c->cur.root == NULL)
		c->waiting = false;
	ferry_client_unref(c);
}

static void client_process(struct ferry_client *c)
{
	ferry_client_ref(c);
	while (!c->dead && !c->waiting && !c->closing) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t n;

		if (!nl) {
			if (c->inlen > FERRY_API_MAX_LINE) {
				memset(&c->cur, 0, sizeof(c->cur));
				finish_request(c, error_object("GenericError",
					"request line longer than 1048576 bytes: closing"));
				c->closing = true;
				flush_out(c);
			}
			break;
		}
		n = (size_t)(nl - c->in);
		*nl = '\0';
		/* The whole line goes to the parser: a NUL inside it is refused there. */
		if (strspn(c->in, " \t\r") < n)
			handle_line(c, c->in, n);
		if (c->dead)
			break;
		memmove(c->in, nl + 1, c->inlen - n - 1);
		c->inlen -= n + 1;
	}
	if (!c->dead)
		flush_out(c);
	ferry_client_unref(c);
}

static void on_client(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_client *c = data;

	ferry_client_ref(c);
	if (events & EPOLLOUT)
		flush_out(c);
	/* Hung up while its answer is pending: drop it now; the answer goes nowhere. */
	if (!c->dead && c->waiting && (events & (EPOLLHUP | EPOLLERR)))
		client_drop(c);
	if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->waiting)
		goto out;
	while (c->inlen <= FERRY_API_MAX_LINE) {
		ssize_t n = recv(fd, c->in + c->inlen, FERRY_API_MAX_LINE + 1 - c->inlen, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_drop(c);
			goto out;
		}
		c->inlen += (size_t)n;
		if (memchr(c->in + c->inlen - n, '\n', (size_t)n))
			break;
	}
	client_process(c);
out:
	ferry_client_unref(c);
}

static void client_free(struct ferry_client *c)
{
	struct ferry_client **pp = &c->srv->clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	json_object_put(c->cur.root);
	free(c->in);
	free(c->out);
	free(c);
}

/* Disconnect now; the struct lives on while an answer in progress holds it. */
static void client_drop(struct ferry_client *c)
{
	void (*cb)(int fd, void *data) = c->hand_over;

	if (c->dead)
		return;
	c->dead = true;
	c->hand_over = NULL;
	ferry_loop_del(c->srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	log_debug("client %u (uid %u, pid %d) disconnected", c->id, (unsigned)c->peer.uid,
		  (int)c->peer.pid);
	if (c->srv->on_close)
		c->srv->on_close(c, c->srv->ctx);
	if (cb)
		cb(-ECONNRESET, c->hand_over_data);
	ferry_client_ref(c);
	ferry_client_unref(c);
}

/* The answer is out: the socket leaves the server for whoever asked for it. */
static void hand_over(struct ferry_client *c)
{
	void (*cb)(int fd, void *data) = c->hand_over;
	int fd = c->fd;

	c->hand_over = NULL;
	if (c->inlen) {
		log_warn("client %u sent %zu bytes before its stream began: dropping it", c->id, c->inlen);
		client_drop(c);
		cb(-EPROTO, c->hand_over_data);
		return;
	}
	ferry_loop_del(c->srv->loop, fd);
	c->fd = -1;
	c->dead = true;
	log_debug("client %u (uid %u, pid %d) handed over as a data stream", c->id,
		  (unsigned)c->peer.uid, (int)c->peer.pid);
	if (c->srv->on_close)
		c->srv->on_close(c, c->srv->ctx);
	cb(fd, c->hand_over_data);
	ferry_client_ref(c);
	ferry_client_unref(c);
}

void ferry_client_hand_over(struct ferry_client *c, struct json_object *ret,
			    void (*cb)(int fd, void *data), void *data)
{
	c->hand_over = cb;
	c->hand_over_data = data;
	c->closing = true;
	ferry_client_return(c, ret);
}

void ferry_client_ref(struct ferry_client *c)
{
	c->refs++;
}

void ferry_client_unref(struct ferry_client *c)
{
	if (--c->refs == 0 && c->dead)
		client_free(c);
}

static void greet(struct ferry_client *c)
{
	struct json_object *g = json_object_new_object(), *f = json_object_new_object();
	struct json_object *v = json_object_new_object();

	json_object_object_add(v, "major", json_object_new_int(FERRY_VERSION_MAJOR));
	json_object_object_add(v, "minor", json_object_new_int(FERRY_VERSION_MINOR));
	json_object_object_add(v, "micro", json_object_new_int(FERRY_VERSION_MICRO));
	json_object_object_add(f, "version", v);
	json_object_object_add(f, "readonly", json_object_new_boolean(c->readonly));
	json_object_object_add(g, "ferry", f);
	send_json(c, g);
}

/* Tell a refused client why, best effort, without ever waiting on it. */
static void refuse(int fd, const char *why)
{
	struct json_object *e = error_object("PermissionDenied", why);
	size_t len;
	const char *s = json_object_to_json_string_length(e, JSON_C_TO_STRING_PLAIN, &len);
	char line[1200];

	snprintf(line, sizeof(line), "%.*s\n", (int)len, s);
	send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(e);
	close(fd);
}

static void accept_one(struct ferry_server *s, int lfd, bool readonly)
{
	struct ferry_client *c;
	struct ferry_peer peer;
	char why[256], msg[320];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (ferry_peer_read(fd, &peer) < 0) {
		close(fd);
		return;
	}
	if (!ferry_access_check(s->access[readonly], &peer, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "%s socket: %s", readonly ? "read-only" : "read-write", why);
		log_warn("refused client pid %d: %s", (int)peer.pid, msg);
		refuse(fd, msg);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(FERRY_API_MAX_LINE + 1);
	if (!c || !c->in || ferry_loop_add(s->loop, fd, EPOLLIN, on_client, c) < 0) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->readonly = readonly;
	c->peer = peer;
	c->next = s->clients;
	s->clients = c;
	log_debug("client %u: uid %u pid %d on the %s socket", c->id, (unsigned)peer.uid,
		  (int)peer.pid, readonly ? "read-only" : "read-write");
	greet(c);
}

static void on_listen(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_server *s = data;

	accept_one(s, fd, fd == s->lfd[1]);
}

int ferry_server_open(struct ferry_server *s, struct ferry_loop *loop,
		      const char *rw_path, const char *ro_path,
		      const struct ferry_access *rw, const struct ferry_access *ro,
		      ferry_request_fn on_request, ferry_close_fn on_close, void *ctx,
		      char *err, size_t errlen)
{
	const char *paths[2] = { rw_path, ro_path };

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->access[0] = rw;
	s->access[1] = ro;
	s->on_request = on_request;
	s->on_close = on_close;
	s->ctx = ctx;
	s->lfd[0] = s->lfd[1] = -1;
	for (int i = 0; i < 2; i++) {
		int r = listen_on(paths[i], err, errlen);

		if (r < 0 || (r = ferry_loop_add(loop, (s->lfd[i] = r), EPOLLIN, on_listen, s)) < 0) {
			ferry_server_close(s);
			return r;
		}
		snprintf(s->path[i], sizeof(s->path[i]), "%s", paths[i]);
	}
	return 0;
}

void ferry_server_close(struct ferry_server *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->lfd[i] < 0)
			continue;
		ferry_loop_del(s->loop, s->lfd[i]);
		close(s->lfd[i]);
		unlink(s->path[i]);
		s->lfd[i] = -1;
	}
	while (s->clients) {
		struct ferry_client *c = s->clients;

		client_drop(c);
		/* Answers still in flight hold their client; nothing else may. */
		if (s->clients == c)
			s->clients = c->next;
	}
}

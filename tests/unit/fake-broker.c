/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-broker.c - see fake-broker.h. Problems are written down rather
 * than asserted on: Check's assertions belong to the test's own thread.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fake-broker.h"
#include "util.h"

static void note(struct fake_broker *fb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct fake_broker *fb, const char *fmt, ...)
{
	va_list ap;

	if (fb->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(fb->fail, sizeof(fb->fail), fmt, ap);
	va_end(ap);
}

static int put(struct fake_broker *fb, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fb->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		/* A client that gave up mid-write is what some tests want. */
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* @text with each "$ID" replaced by the last request's id. */
static void send_text(struct fake_broker *fb, const char *text)
{
	int64_t id = fb->nreq ? fb->ids[fb->nreq - 1] : 0;
	const char *p = text, *mark;
	char num[24];

	while ((mark = strstr(p, "$ID"))) {
		snprintf(num, sizeof(num), "%lld", (long long)id);
		if (put(fb, p, (size_t)(mark - p)) < 0 || put(fb, num, strlen(num)) < 0)
			return;
		p = mark + 3;
	}
	put(fb, p, strlen(p));
}

/* One line from the client, byte by byte: requests here are short. */
static char *get_line(struct fake_broker *fb)
{
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);

	while (buf) {
		char c;
		ssize_t n = read(fb->fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == '\n') {
			buf[len] = '\0';
			return buf;
		}
		if (len + 1 == cap) {
			char *more = realloc(buf, cap *= 2);

			if (!more)
				break;
			buf = more;
		}
		buf[len++] = c;
	}
	free(buf);
	return NULL;
}

static void expect(struct fake_broker *fb, const char *cmd)
{
	char *line = get_line(fb);
	struct json_object *req, *exec, *id;

	if (!line) {
		note(fb, "fake: client hung up instead of sending '%s'", cmd);
		return;
	}
	req = json_tokener_parse(line);
	if (!json_object_object_get_ex(req, "execute", &exec) ||
	    strcmp(json_object_get_string(exec), cmd))
		note(fb, "fake: expected '%s', got '%s'", cmd, line);
	if (!json_object_object_get_ex(req, "id", &id) || !json_object_is_type(id, json_type_int))
		note(fb, "fake: request without a numeric id: '%s'", line);
	if (fb->nreq < FAKE_MAX_REQUESTS) {
		fb->ids[fb->nreq] = json_object_get_int64(id);
		fb->requests[fb->nreq++] = line;
	} else {
		free(line);
	}
	json_object_put(req);
}

static void flood(struct fake_broker *fb, size_t n)
{
	char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	while (n) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		if (put(fb, chunk, k) < 0)
			return;
		n -= k;
	}
}

static void *fake_main(void *arg)
{
	struct fake_broker *fb = arg;
	const struct fake_step *s;
	char c;

	if (fb->listen_fd >= 0) {
		fb->fd = accept4(fb->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fb->fd < 0) {
			note(fb, "fake: accept: %s", strerror(errno));
			return NULL;
		}
	}
	for (s = fb->steps; s->kind != FAKE_END; s++) {
		struct timespec ts = { (time_t)(s->n / 1000), (long)(s->n % 1000) * 1000000 };

		switch (s->kind) {
		case FAKE_SEND:
			send_text(fb, s->text);
			break;
		case FAKE_EXPECT:
			expect(fb, s->text);
			break;
		case FAKE_CLOSE:
			close(steal_fd(&fb->fd));
			return NULL;
		case FAKE_FLOOD:
			flood(fb, s->n);
			break;
		case FAKE_SLEEP:
			nanosleep(&ts, NULL);
			break;
		case FAKE_REPEAT:
			for (size_t i = 0; i < s->n; i++)
				send_text(fb, s->text);
			break;
		default:
			break;
		}
	}
	while (read(fb->fd, &c, 1) > 0)
		;
	close(steal_fd(&fb->fd));
	return NULL;
}

int fake_start_pair(struct fake_broker *fb, const struct fake_step *steps)
{
	int sv[2];

	memset(fb, 0, sizeof(*fb));
	fb->steps = steps;
	fb->listen_fd = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fb->fd = sv[1];
	ck_assert_int_eq(pthread_create(&fb->thread, NULL, fake_main, fb), 0);
	return sv[0];
}

void fake_start_unix(struct fake_broker *fb, const struct fake_step *steps)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(fb, 0, sizeof(*fb));
	fb->steps = steps;
	fb->fd = -1;
	snprintf(fb->dir, sizeof(fb->dir), "/tmp/ferry-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fb->dir));
	snprintf(fb->path, sizeof(fb->path), "%s/sock", fb->dir);
	snprintf(fb->uri, sizeof(fb->uri), "unix://%s", fb->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fb->path);
	fb->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fb->listen_fd, 0);
	ck_assert_int_eq(bind(fb->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fb->listen_fd, 4), 0);
	ck_assert_int_eq(pthread_create(&fb->thread, NULL, fake_main, fb), 0);
}

void fake_join(struct fake_broker *fb)
{
	ck_assert_int_eq(pthread_join(fb->thread, NULL), 0);
	ck_assert_msg(fb->fail[0] == '\0', "%s", fb->fail);
}

void fake_free(struct fake_broker *fb)
{
	for (size_t i = 0; i < fb->nreq; i++)
		free(fb->requests[i]);
	fb->nreq = 0;
	if (fb->listen_fd >= 0) {
		close(steal_fd(&fb->listen_fd));
		unlink(fb->path);
		rmdir(fb->dir);
	}
}

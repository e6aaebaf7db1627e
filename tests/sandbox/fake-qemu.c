/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake-qemu.h"
#include "util.h"

struct ferry_helper helpers[2];
struct ferry_helper *helper;
struct fake qemu;
static int fds_before;

void fake_write(struct fake *f, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(f->fd, c, n, MSG_NOSIGNAL);

		ck_assert_msg(w > 0, "fake QEMU: send: %m");
		c += w;
		n -= (size_t)w;
	}
}

void fake_write_lossy(struct fake *f, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(f->fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return;
		ck_assert_msg(w > 0, "fake QEMU: send: %m");
		c += w;
		n -= (size_t)w;
	}
}

void fake_printf(struct fake *f, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	fake_write(f, text, (size_t)n);
}

struct json_object *fake_read(struct fake *f)
{
	for (;;) {
		char *nl = memchr(f->buf, '\n', f->len);
		struct pollfd p = { .fd = f->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			struct json_object *o;

			*nl = '\0';
			o = json_tokener_parse(f->buf);
			ck_assert_msg(o, "monitor sent non-JSON: %s", f->buf);
			f->len -= (size_t)(nl + 1 - f->buf);
			memmove(f->buf, nl + 1, f->len);
			return o;
		}
		ck_assert_msg(poll(&p, 1, MON_TIMEOUT_MS) == 1, "monitor sent no command");
		n = read(f->fd, f->buf + f->len, sizeof(f->buf) - f->len - 1);
		ck_assert_msg(n > 0, "monitor closed QMP");
		f->len += (size_t)n;
	}
}

void fake_expect(struct fake *f, const char *execute, char *id, size_t idlen)
{
	struct json_object *o = fake_read(f);
	struct json_object *v;

	ck_assert(json_object_object_get_ex(o, "execute", &v));
	ck_assert_str_eq(json_object_get_string(v), execute);
	ck_assert(json_object_object_get_ex(o, "id", &v));
	ck_assert_uint_lt(strlen(json_object_get_string(v)), idlen);
	strcpy(id, json_object_get_string(v));
	ck_assert_msg(strncmp(id, "ferry-", 6) == 0, "id '%s'", id);
	json_object_put(o);
}

void fake_expect_json(struct fake *f, const char *expected, char *id, size_t idlen)
{
	struct json_object *o = fake_read(f);
	struct json_object *want = json_tokener_parse(expected);
	struct json_object *v;

	ck_assert_msg(want, "test's expected JSON is not JSON: %s", expected);
	ck_assert(json_object_object_get_ex(o, "id", &v));
	ck_assert_uint_lt(strlen(json_object_get_string(v)), idlen);
	strcpy(id, json_object_get_string(v));
	ck_assert_msg(strncmp(id, "ferry-", 6) == 0, "id '%s'", id);
	json_object_object_del(o, "id");
	ck_assert_msg(json_object_equal(o, want), "monitor sent %s, expected %s",
		      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), expected);
	json_object_put(want);
	json_object_put(o);
}

void fake_setup(void)
{
	mon_setup();
	fds_before = mon_count_fds();
	memset(helpers, 0, sizeof(helpers));
	helpers[1].child.pidfd = -1;
	helper = &helpers[0];
	mon_start(helper);
	qemu.fd = -1;
	qemu.len = 0;
}

void fake_teardown(void)
{
	if (!helper->exited) {
		ferry_helper_shutdown(helper);
		mon_wait_exit(helper);
	}
	ferry_helper_release(helper);
	if (helper != &helpers[0])
		ferry_helper_release(&helpers[0]);
	if (qemu.fd >= 0)
		close(qemu.fd);
	ck_assert_int_eq(mon_count_fds(), fds_before);
	mon_teardown();
}

void fake_attach(void)
{
	struct ferry_wbuf w;
	struct mon_rec r;
	const char *version;
	char id[64], why[128];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu.fd = sv[0];
	mon_attach_async(helper, sv[1], 0, &r);
	close(sv[1]);
	fake_write(&qemu, GREETING, strlen(GREETING));
	fake_expect(&qemu, "qmp_capabilities", id, sizeof(id));
	fake_printf(&qemu, "{\"return\": {}, \"id\": \"%s\"}\r\n", id);
	mon_wait(&r.done);
	ck_assert(r.got);
	ck_assert_int_eq(r.type, FERRY_MSG_MON_ATTACHED);
	ck_assert_msg(ferry_mon_get_attached(r.payload, r.len, &version, why, sizeof(why)) == 0,
		      "%s", why);
	ck_assert_str_eq(version, "7.2.22");
	(void)w;
}

void expect_closed(uint32_t kind, const char *reason, int status)
{
	struct ferry_mon_closed c;
	char want[64];

	mon_wait_exit(helper);
	ck_assert_uint_ge(mon_events.n, 1);
	mon_expect_closed(&mon_events.ev[mon_events.n - 1], &c);
	ck_assert_uint_eq(c.kind, kind);
	ck_assert_msg(strstr(c.reason, reason), "reason '%s' lacks '%s'", c.reason, reason);
	snprintf(want, sizeof(want), "exited with status %d", status);
	ck_assert_msg(strstr(helper->exit_desc, want), "%s", helper->exit_desc);
}

void broker_still_works(void)
{
	struct ferry_mon_result res;
	struct mon_rec r;
	char id[64];

	close(qemu.fd);
	qemu.fd = -1;
	qemu.len = 0;
	helper = &helpers[1];
	mon_start(helper);
	fake_attach();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	fake_printf(&qemu, "{\"return\": {\"status\": \"paused\", \"running\": false}, "
		    "\"id\": \"%s\"}\r\n", id);
	mon_wait(&r.done);
	mon_expect_result(&r, &res);
	ck_assert_str_eq(res.ret.status.status, "paused");
}
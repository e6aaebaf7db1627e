/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-monitor.c - the real ferry-monitor, under its real sandbox, against
 * a scripted QEMU: the test holds the other end of the QMP socket and
 * writes what QEMU would (or what a compromised QEMU might), while the
 * broker's own loop receives the typed replies and events.
 *
 * Every case checks that the broker side survives and that no fd leaks.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake-qemu.h"
#include "mon-harness.h"
#include "util.h"

START_TEST(attach_reports_version)
{
	fake_attach();
	ck_assert_uint_eq(mon_events.n, 0);
}
END_TEST

START_TEST(query_status)
{
	struct ferry_mon_result res;
	struct mon_rec r;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	fake_printf(&qemu, "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
		    "\"running\": true}, \"id\": \"%s\"}\r\n", id);
	mon_wait(&r.done);
	mon_expect_result(&r, &res);
	ck_assert_uint_eq(res.cmd, FERRY_MON_QUERY_STATUS);
	ck_assert_str_eq(res.ret.status.status, "running");
	ck_assert_uint_eq(res.ret.status.running, 1);
}
END_TEST

/* QEMU sends RESUME before cont's reply, as QEMU 7.2 does. */
START_TEST(event_between_command_and_reply)
{
	struct ferry_mon_result res;
	struct ferry_mon_event ev;
	struct mon_rec r;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_CONT, 0, &r);
	fake_expect(&qemu, "cont", id, sizeof(id));
	fake_printf(&qemu, "{" TS ", \"event\": \"RESUME\"}\r\n{\"return\": {}, \"id\": \"%s\"}\r\n", id);
	mon_wait(&r.done);
	mon_expect_result(&r, &res);
	ck_assert_uint_eq(res.cmd, FERRY_MON_CONT);
	ck_assert_uint_eq(mon_events.n, 1);
	mon_expect_event(&mon_events.ev[0], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_RESUME);
	ck_assert_uint_eq(ev.timestamp_us, TS_US);
	ck_assert_uint_lt(mon_events.ev[0].seq, r.seq);
}
END_TEST

/* Three commands in flight, answered out of order, events in between. */
START_TEST(several_in_flight)
{
	struct ferry_mon_result res;
	struct ferry_mon_event ev;
	struct mon_rec r[3];
	char id[3][64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r[0]);
	mon_command_async(helper, FERRY_MON_STOP, 0, &r[1]);
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r[2]);
	fake_expect(&qemu, "query-status", id[0], sizeof(id[0]));
	fake_expect(&qemu, "stop", id[1], sizeof(id[1]));
	fake_expect(&qemu, "query-status", id[2], sizeof(id[2]));
	ck_assert_str_ne(id[0], id[2]);
	fake_printf(&qemu, "{\"return\": {\"status\": \"paused\", \"running\": false}, "
		    "\"id\": \"%s\"}\r\n", id[2]);
	fake_printf(&qemu, "{" TS ", \"event\": \"STOP\"}\r\n");
	fake_printf(&qemu, "{\"return\": {}, \"id\": \"%s\"}\r\n", id[1]);
	fake_printf(&qemu, "{" TS ", \"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
		    "\"reason\": \"guest-shutdown\"}}\r\n");
	fake_printf(&qemu, "{\"return\": {\"status\": \"running\", \"running\": true}, "
		    "\"id\": \"%s\"}\r\n", id[0]);
	mon_wait(&r[0].done);
	mon_wait(&r[1].done);
	mon_wait(&r[2].done);
	mon_expect_result(&r[0], &res);
	ck_assert_str_eq(res.ret.status.status, "running");
	mon_expect_result(&r[2], &res);
	ck_assert_str_eq(res.ret.status.status, "paused");
	mon_expect_result(&r[1], &res);
	ck_assert_uint_eq(res.cmd, FERRY_MON_STOP);
	ck_assert_uint_eq(mon_events.n, 2);
	mon_expect_event(&mon_events.ev[0], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_STOP);
	mon_expect_event(&mon_events.ev[1], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_SHUTDOWN);
	ck_assert_uint_eq(ev.u.shutdown.guest, 1);
	ck_assert_str_eq(ev.u.shutdown.reason, "guest-shutdown");
	/* QEMU's order, replies and events interleaved. */
	ck_assert_uint_lt(r[2].seq, mon_events.ev[0].seq);
	ck_assert_uint_lt(mon_events.ev[0].seq, r[1].seq);
	ck_assert_uint_lt(r[1].seq, mon_events.ev[1].seq);
	ck_assert_uint_lt(mon_events.ev[1].seq, r[0].seq);
}
END_TEST

/* Events the monitor has no type for travel by name; typed ones with their data. */
START_TEST(events_typed_and_other)
{
	struct ferry_mon_event ev;

	fake_attach();
	fake_printf(&qemu, "{" TS ", \"event\": \"BLOCK_JOB_READY\", \"data\": {\"x\": 1}}\r\n"
		    "{" TS ", \"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}}\r\n"
		    "{" TS ", \"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 3}}\r\n"
		    "{" TS ", \"event\": \"POWERDOWN\"}\r\n");
	mon_wait_events(4);
	mon_expect_event(&mon_events.ev[0], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_OTHER);
	ck_assert_str_eq(ev.u.other.name, "BLOCK_JOB_READY");
	mon_expect_event(&mon_events.ev[1], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_MIGRATION);
	ck_assert_str_eq(ev.u.migration.status, "active");
	mon_expect_event(&mon_events.ev[2], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_MIGRATION_PASS);
	ck_assert_uint_eq(ev.u.migration_pass.pass, 3);
	mon_expect_event(&mon_events.ev[3], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_POWERDOWN);
}
END_TEST

/* Many lines in one write, and one line over several: order and framing hold. */
START_TEST(framing)
{
	const char reply[] = "{\"return\": {\"status\": \"inmigrate\", \"running\": false}, "
			     "\"id\": \"ferry-2\"}\r\n";
	char burst[MON_MAX_EVENTS * 128];
	struct ferry_mon_result res;
	struct ferry_mon_event ev;
	struct mon_rec r;
	size_t n = 0;
	char id[64];

	fake_attach();
	for (unsigned i = 0; i < MON_MAX_EVENTS - 1; i++)
		n += (size_t)snprintf(burst + n, sizeof(burst) - n, "{" TS ", \"event\": "
				      "\"MIGRATION_PASS\", \"data\": {\"pass\": %u}}\r\n", i);
	fake_write(&qemu, burst, n);
	mon_wait_events(MON_MAX_EVENTS - 1);
	for (unsigned i = 0; i < MON_MAX_EVENTS - 1; i++) {
		mon_expect_event(&mon_events.ev[i], &ev);
		ck_assert_uint_eq(ev.u.migration_pass.pass, i);
	}
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	ck_assert_str_eq(id, "ferry-2");
	for (size_t off = 0; off < sizeof(reply) - 1; off += 7) {
		size_t chunk = sizeof(reply) - 1 - off < 7 ? sizeof(reply) - 1 - off : 7;

		fake_write(&qemu, reply + off, chunk);
		usleep(2000);
	}
	mon_wait(&r.done);
	mon_expect_result(&r, &res);
	ck_assert_str_eq(res.ret.status.status, "inmigrate");
}
END_TEST

START_TEST(qmp_error_reply)
{
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_SYSTEM_RESET, 0, &r);
	fake_expect(&qemu, "system_reset", id, sizeof(id));
	fake_printf(&qemu, "{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\", "
		    "\"desc\": \"bad\\nthing \\u00e9\"}}\r\n", id);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EREMOTEIO);
	/* Control and non-ASCII bytes never reach the broker's logs. */
	ck_assert_str_eq(text, "GenericError: bad?thing ??");
	ck_assert(!helper->exited);
	ck_assert_uint_eq(mon_events.n, 0);
}
END_TEST

/* A pending command learns why no answer will come, before MON_CLOSED. */
static void broken_reply(const char *line, size_t len, const char *reason)
{
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	fake_write_lossy(&qemu, line, len);
	expect_closed(FERRY_MON_CLOSED_PROTOCOL, reason, EXIT_PROTOCOL);
	ck_assert(r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EPROTO);
	ck_assert_msg(strstr(text, reason), "%s", text);
	ck_assert_uint_lt(r.seq, mon_events.ev[mon_events.n - 1].seq);
	broker_still_works();
}

START_TEST(garbage_closes)
{
	const char line[] = "this is not json\r\n";

	broken_reply(line, strlen(line), "QMP message is not JSON");
}
END_TEST

START_TEST(oversized_closes)
{
	size_t n = 1024 * 1024 + 1;
	char *line = malloc(n + 1);

	ck_assert_ptr_nonnull(line);
	memset(line, 'x', n);
	line[n] = '\n';
	broken_reply(line, n + 1, "QMP message of 1048577 bytes exceeds the 1048576-byte limit");
	free(line);
}
END_TEST

START_TEST(endless_line_closes)
{
	size_t n = 2 * 1024 * 1024;
	char *line = malloc(n);

	ck_assert_ptr_nonnull(line);
	memset(line, '{', n);
	broken_reply(line, n, "QMP message of at least 1048577 bytes exceeds the 1048576-byte limit");
	free(line);
}
END_TEST

START_TEST(nul_byte_closes)
{
	const char line[] = "{\"return\": {}, \0\"id\": \"ferry-2\"}\r\n";

	broken_reply(line, sizeof(line) - 1, "QMP message holds a NUL byte");
}
END_TEST

START_TEST(unknown_id_closes)
{
	const char line[] = "{\"return\": {}, \"id\": \"ferry-999\"}\r\n";

	broken_reply(line, strlen(line), "QMP reply to id 'ferry-999' that was never sent");
}
END_TEST

START_TEST(foreign_id_closes)
{
	const char line[] = "{\"return\": {}, \"id\": \"libvirt-1\"}\r\n";

	broken_reply(line, strlen(line), "QMP reply to id 'libvirt-1' that was never sent");
}
END_TEST

/* Hostile shapes: each must close the monitor, naming what was wrong. */
static const struct { const char *line; const char *reason; } bad_shapes[] = {
	{ "[1, 2]\r\n", "QMP message is not a JSON object" },
	{ "{\"return\": {}}\r\n", "QMP reply without an id" },
	{ "{\"return\": {}, \"id\": 7}\r\n", "QMP reply id is not a string" },
	{ "{\"error\": \"no\", \"id\": \"ferry-2\"}\r\n", "'error' is not an object" },
	{ "{\"error\": {\"desc\": \"x\"}, \"id\": \"ferry-2\"}\r\n", "without a valid 'class'" },
	{ "{\"return\": {\"status\": 5, \"running\": true}, \"id\": \"ferry-2\"}\r\n",
	  "QMP reply to query-status: 'status' is not a RunState name" },
	{ "{\"return\": {\"status\": \"running\"}, \"id\": \"ferry-2\"}\r\n",
	  "QMP reply to query-status: 'running' is not a boolean" },
	{ "{\"return\": {}, \"error\": {}, \"id\": \"ferry-2\"}\r\n", "both 'return' and 'error'" },
	{ "{\"hello\": 1}\r\n", "neither a greeting, a reply nor an event" },
	{ "{\"event\": \"lower\", " TS "}\r\n", "QMP event name 'lower' is not" },
	{ "{\"event\": \"STOP\"}\r\n", "QMP event STOP has no valid timestamp" },
	{ "{\"event\": \"SHUTDOWN\", " TS "}\r\n", "SHUTDOWN needs data.guest" },
	{ "{\"QMP\": {}}\r\n", "second QMP greeting" },
	{ "{\"a\": 1} {\"b\": 2}\r\n", "QMP message is not JSON (unexpected character)" },
	{ "{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}\r\n", "QMP message is not JSON" },
	{ "{\"event\": \"STO\\u0000P\", " TS "}\r\n", "QMP event name 'STO' is not" },
	{ "{\"a\": \"\xff\"}\r\n", "QMP message is not JSON" },
};

START_TEST(bad_shape_closes)
{
	broken_reply(bad_shapes[_i].line, strlen(bad_shapes[_i].line), bad_shapes[_i].reason);
}
END_TEST

START_TEST(silence_times_out)
{
	uint64_t start;
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	start = ferry_now_ns();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 300, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	expect_closed(FERRY_MON_CLOSED_TIMEOUT, "no QMP reply to query-status within 300 ms",
		      EXIT_PROTOCOL);
	ck_assert_uint_ge(ferry_now_ns() - start, 300 * 1000000ull);
	ck_assert_int_eq(mon_expect_error(&r, &text), -ETIMEDOUT);
	broker_still_works();
}
END_TEST

START_TEST(greeting_times_out)
{
	struct mon_rec r;
	const char *text;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu.fd = sv[0];
	mon_attach_async(helper, sv[1], 200, &r);
	close(sv[1]);
	expect_closed(FERRY_MON_CLOSED_TIMEOUT, "no QMP greeting within 200 ms",
		      EXIT_PROTOCOL);
	ck_assert_int_eq(mon_expect_error(&r, &text), -ETIMEDOUT);
}
END_TEST

START_TEST(bad_greeting_closes)
{
	const char bad[] = "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}}}\r\n";
	struct mon_rec r;
	const char *text;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu.fd = sv[0];
	mon_attach_async(helper, sv[1], 0, &r);
	close(sv[1]);
	fake_write(&qemu, bad, strlen(bad));
	expect_closed(FERRY_MON_CLOSED_PROTOCOL, "QMP greeting has no version.qemu",
		      EXIT_PROTOCOL);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EPROTO);
}
END_TEST

/* QEMU refuses qmp_capabilities, or answers it with something else: head, id, tail. */
static const struct { const char *head, *tail, *reason; } bad_caps[] = {
	{ "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"", "\"}\r\n",
	  "QEMU refused qmp_capabilities: GenericError: no" },
	{ "{\"return\": null, \"id\": \"", "\"}\r\n",
	  "QMP reply to qmp_capabilities: 'return' is not an object" },
	{ "{\"return\": [], \"id\": \"", "\"}\r\n",
	  "QMP reply to qmp_capabilities: 'return' is not an object" },
};

START_TEST(bad_caps_closes)
{
	struct mon_rec r;
	const char *text;
	char id[64];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu.fd = sv[0];
	mon_attach_async(helper, sv[1], 0, &r);
	close(sv[1]);
	fake_write(&qemu, GREETING, strlen(GREETING));
	fake_expect(&qemu, "qmp_capabilities", id, sizeof(id));
	fake_printf(&qemu, "%s%s%s", bad_caps[_i].head, id, bad_caps[_i].tail);
	expect_closed(FERRY_MON_CLOSED_PROTOCOL, bad_caps[_i].reason, EXIT_PROTOCOL);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EPROTO);
	ck_assert_msg(strstr(text, bad_caps[_i].reason), "%s", text);
}
END_TEST

/* Anything before the greeting is a protocol break. */
START_TEST(event_before_greeting_closes)
{
	struct mon_rec r;
	const char *text;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu.fd = sv[0];
	mon_attach_async(helper, sv[1], 0, &r);
	close(sv[1]);
	fake_printf(&qemu, "{" TS ", \"event\": \"STOP\"}\r\n");
	expect_closed(FERRY_MON_CLOSED_PROTOCOL, "expected the QMP greeting, got an event",
		      EXIT_PROTOCOL);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EPROTO);
}
END_TEST

START_TEST(eof_closes_cleanly)
{
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_QUIT, 0, &r);
	fake_expect(&qemu, "quit", id, sizeof(id));
	fake_printf(&qemu, "{" TS ", \"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, "
		    "\"reason\": \"host-qmp-quit\"}}\r\n{\"return\": {}, \"id\": \"%s\"}\r\n", id);
	close(qemu.fd);
	qemu.fd = -1;
	expect_closed(FERRY_MON_CLOSED_EOF, "QEMU closed the monitor", 0);
	ck_assert_uint_eq(mon_events.n, 2);
	ck_assert_int_eq(r.type, FERRY_MSG_MON_RESULT);
	(void)text;
}
END_TEST

/* EOF with a command pending: it gets an ERROR, then MON_CLOSED kind 0. */
START_TEST(eof_fails_pending)
{
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	close(qemu.fd);
	qemu.fd = -1;
	expect_closed(FERRY_MON_CLOSED_EOF, "QEMU closed the monitor", 0);
	ck_assert_int_eq(mon_expect_error(&r, &text), -ECONNRESET);
}
END_TEST

START_TEST(attach_refuses_non_socket)
{
	struct mon_rec r;
	const char *text;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	mon_attach_async(helper, p[0], 0, &r);
	close(p[0]);
	close(p[1]);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -ENOTSOCK);
	ck_assert_msg(strstr(text, "not a socket"), "%s", text);
	/* Still usable: a real socket attaches afterwards. */
	fake_attach();
}
END_TEST

START_TEST(command_before_attach)
{
	struct mon_rec r;
	const char *text;

	mon_command_async(helper, FERRY_MON_STOP, 0, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -ENOTCONN);
	ck_assert_str_eq(text, "stop: no QMP monitor attached");
}
END_TEST

START_TEST(second_attach_refused)
{
	struct mon_rec r;
	const char *text;
	int sv[2];

	fake_attach();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	mon_attach_async(helper, sv[1], 0, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EISCONN);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(unknown_command_refused)
{
	struct ferry_wbuf w;
	struct mon_rec r;
	const char *text;

	fake_attach();
	ferry_wbuf_init(&w);
	ferry_put_u32(&w, 99);
	ferry_put_u32(&w, 0);
	mon_call_async(helper, FERRY_MSG_MON_COMMAND, &w, NULL, 0, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EBADMSG);
	ck_assert_str_eq(text, "MON_COMMAND: unknown monitor command 99");
}
END_TEST

static Suite *monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *ok = tcase_create("protocol");
	TCase *bad = tcase_create("hostile");

	tcase_add_checked_fixture(ok, fake_setup, fake_teardown);
	tcase_set_timeout(ok, 30);
	tcase_add_test(ok, attach_reports_version);
	tcase_add_test(ok, query_status);
	tcase_add_test(ok, event_between_command_and_reply);
	tcase_add_test(ok, several_in_flight);
	tcase_add_test(ok, events_typed_and_other);
	tcase_add_test(ok, framing);
	tcase_add_test(ok, qmp_error_reply);
	tcase_add_test(ok, eof_closes_cleanly);
	tcase_add_test(ok, eof_fails_pending);
	tcase_add_test(ok, attach_refuses_non_socket);
	tcase_add_test(ok, command_before_attach);
	tcase_add_test(ok, second_attach_refused);
	tcase_add_test(ok, unknown_command_refused);
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(bad, fake_setup, fake_teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, garbage_closes);
	tcase_add_test(bad, oversized_closes);
	tcase_add_test(bad, endless_line_closes);
	tcase_add_test(bad, nul_byte_closes);
	tcase_add_test(bad, unknown_id_closes);
	tcase_add_test(bad, foreign_id_closes);
	tcase_add_loop_test(bad, bad_shape_closes, 0, (int)ARRAY_SIZE(bad_shapes));
	tcase_add_test(bad, silence_times_out);
	tcase_add_test(bad, greeting_times_out);
	tcase_add_test(bad, bad_greeting_closes);
	tcase_add_loop_test(bad, bad_caps_closes, 0, (int)ARRAY_SIZE(bad_caps));
	tcase_add_test(bad, event_before_greeting_closes);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(monitor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-monitor-proto.c - the ferry-monitor payloads on plain buffers, all
 * but migration's (test-monitor-proto-migration.c): run-control commands
 * and their results, events, attach and close. Each round-trips; the
 * layout is the one documented; and a decoder refuses every payload a
 * lying helper (or a lying broker) could make of them: truncations,
 * trailing bytes, unknown numbers, strings outside their alphabet.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-proto-harness.h"
#include "util.h"

/* The commands without arguments. */
static const uint32_t all_cmds[] = {
	FERRY_MON_QUERY_STATUS, FERRY_MON_STOP, FERRY_MON_CONT, FERRY_MON_QUIT,
	FERRY_MON_SYSTEM_POWERDOWN, FERRY_MON_SYSTEM_RESET, FERRY_MON_QUERY_MIGRATE,
	FERRY_MON_MIGRATE_CANCEL,
};

START_TEST(command_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = all_cmds[_i], .timeout_ms = 1234 }, out;
	uint32_t expect[2] = { all_cmds[_i], 1234 };
	char why[128];

	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	/* u32 cmd, u32 timeout_ms, nothing else. */
	ck_assert_uint_eq(w->len, sizeof(expect));
	ck_assert_mem_eq(w->data, expect, sizeof(expect));
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.cmd, c.cmd);
	ck_assert_uint_eq(out.timeout_ms, 1234);
	ck_assert_ptr_nonnull(ferry_mon_cmd_lookup(c.cmd));
	ck_assert_str_ne(ferry_mon_cmd_name(c.cmd), "unknown");
	expect_prefixes_refused(w, dec_command);
}
END_TEST

START_TEST(command_names)
{
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_QUERY_STATUS), "query-status");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_SYSTEM_POWERDOWN), "system_powerdown");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE_SET_CAPABILITIES),
			 "migrate-set-capabilities");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE_SET_PARAMETERS),
			 "migrate-set-parameters");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE), "migrate");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE_INCOMING), "migrate-incoming");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_QUERY_MIGRATE), "query-migrate");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE_CANCEL), "migrate_cancel");
	ck_assert_str_eq(ferry_mon_cmd_name(FERRY_MON_MIGRATE_CONTINUE), "migrate-continue");
	/* The numbers are part of the protocol. */
	ck_assert_uint_eq(FERRY_MON_MIGRATE_SET_CAPABILITIES, 16);
	ck_assert_uint_eq(FERRY_MON_MIGRATE_CONTINUE, 22);
	ck_assert_str_eq(ferry_mon_cmd_name(0), "unknown");
	ck_assert_str_eq(ferry_mon_cmd_name(7), "unknown");
	ck_assert_ptr_null(ferry_mon_cmd_lookup(15));
	ck_assert_ptr_null(ferry_mon_cmd_lookup(23));
}
END_TEST

START_TEST(command_unknown_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = 7 };
	char why[128];

	ck_assert_int_eq(ferry_mon_put_command(w, &c), -EINVAL);
	ferry_put_u32(w, 7);
	ferry_put_u32(w, 0);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &c, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "unknown monitor command 7");
}
END_TEST

START_TEST(status_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_STATUS }, out;
	char why[128];

	res.ret.status.status = "postmigrate";
	res.ret.status.running = 1;
	ck_assert_int_eq(ferry_mon_put_result(w, &res), 0);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.cmd, FERRY_MON_QUERY_STATUS);
	ck_assert_str_eq(out.ret.status.status, "postmigrate");
	ck_assert_uint_eq(out.ret.status.running, 1);
	/* The string points into the payload: nothing was copied. */
	ck_assert((const uint8_t *)out.ret.status.status >= w->data &&
		  (const uint8_t *)out.ret.status.status < w->data + w->len);
	expect_prefixes_refused(w, dec_result);
}
END_TEST

START_TEST(empty_result_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_CONT }, out;
	char why[128];

	ck_assert_int_eq(ferry_mon_put_result(w, &res), 0);
	ck_assert_uint_eq(w->len, 4);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.cmd, FERRY_MON_CONT);
	expect_prefixes_refused(w, dec_result);
}
END_TEST

/* A status a helper could lie with, laid out by hand. */
static const struct { const char *status; uint32_t running; } bad_status[] = {
	{ "", 0 }, { "Running", 0 }, { "run ning", 0 }, { "run_ning", 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },	/* 33 bytes */
	{ "running\n", 0 }, { "running", 2 }, { "running", UINT32_MAX },
};

START_TEST(status_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_STATUS };
	char why[128];

	res.ret.status.status = bad_status[_i].status;
	res.ret.status.running = bad_status[_i].running;
	ck_assert_int_eq(ferry_mon_put_result(w, &res), -EINVAL);
	ferry_wbuf_init(w);
	ferry_put_u32(w, FERRY_MON_QUERY_STATUS);
	ferry_put_str(w, bad_status[_i].status);
	ferry_put_u32(w, bad_status[_i].running);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &res, why, sizeof(why)), -EBADMSG);
	ck_assert_msg(strstr(why, bad_status[_i].running > 1 ? "'running'" : "'status'"), "%s", why);
}
END_TEST

START_TEST(result_unknown_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res;
	char why[128];

	ferry_put_u32(w, 0);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &res, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "result of unknown monitor command 0");
}
END_TEST

static struct ferry_mon_event sample_event(uint32_t type)
{
	struct ferry_mon_event ev = { .type = type, .timestamp_us = 1700000000123456ull };

	if (type == FERRY_MON_EV_SHUTDOWN) {
		ev.u.shutdown.guest = 1;
		ev.u.shutdown.reason = "guest-shutdown";
	} else if (type == FERRY_MON_EV_MIGRATION) {
		ev.u.migration.status = "postcopy-active";
	} else if (type == FERRY_MON_EV_MIGRATION_PASS) {
		ev.u.migration_pass.pass = UINT64_MAX;
	} else if (type == FERRY_MON_EV_OTHER) {
		ev.u.other.name = "BLOCK_JOB_COMPLETED";
	}
	return ev;
}

START_TEST(event_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	uint32_t type = (uint32_t)_i;
	struct ferry_mon_event ev = sample_event(type), out;
	char why[128];

	ck_assert_int_eq(ferry_mon_put_event(w, &ev), 0);
	ck_assert_uint_ge(w->len, FERRY_MON_EVENT_MIN);
	ck_assert_uint_le(w->len, FERRY_MON_EVENT_MAX);
	ck_assert_int_eq(ferry_mon_get_event(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.type, type);
	ck_assert_uint_eq(out.timestamp_us, ev.timestamp_us);
	switch (type) {
	case FERRY_MON_EV_SHUTDOWN:
		ck_assert_uint_eq(out.u.shutdown.guest, 1);
		ck_assert_str_eq(out.u.shutdown.reason, "guest-shutdown");
		break;
	case FERRY_MON_EV_MIGRATION:
		ck_assert_str_eq(out.u.migration.status, "postcopy-active");
		break;
	case FERRY_MON_EV_MIGRATION_PASS:
		ck_assert_uint_eq(out.u.migration_pass.pass, UINT64_MAX);
		break;
	case FERRY_MON_EV_OTHER:
		ck_assert_str_eq(out.u.other.name, "BLOCK_JOB_COMPLETED");
		break;
	default:
		/* No data: u32 type and u64 timestamp only. */
		ck_assert_uint_eq(w->len, 12);
	}
	expect_prefixes_refused(w, dec_event);
}
END_TEST

START_TEST(event_names)
{
	ck_assert_uint_eq(ferry_mon_event_type("SHUTDOWN"), FERRY_MON_EV_SHUTDOWN);
	ck_assert_uint_eq(ferry_mon_event_type("MIGRATION_PASS"), FERRY_MON_EV_MIGRATION_PASS);
	ck_assert_uint_eq(ferry_mon_event_type("DEVICE_DELETED"), FERRY_MON_EV_OTHER);
	ck_assert_str_eq(ferry_mon_event_name(FERRY_MON_EV_RESUME), "RESUME");
	ck_assert_str_eq(ferry_mon_event_name(FERRY_MON_EV_OTHER), "OTHER");
	ck_assert_str_eq(ferry_mon_event_name(0), "unknown");
	ck_assert_str_eq(ferry_mon_event_name(9), "unknown");
}
END_TEST

/* Events a lying helper could send; each encoder refuses too. */
static const struct {
	uint32_t type;
	uint32_t guest;
	const char *str;
	const char *why;
} bad_events[] = {
	{ FERRY_MON_EV_OTHER, 0, "STOP", "'name'" },		/* has a type of its own */
	{ FERRY_MON_EV_OTHER, 0, "block_job", "'name'" },
	{ FERRY_MON_EV_OTHER, 0, "", "'name'" },
	{ FERRY_MON_EV_OTHER, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	  "'name'" },						/* 65 bytes */
	{ FERRY_MON_EV_SHUTDOWN, 2, "host-qmp-quit", "'guest'" },
	{ FERRY_MON_EV_SHUTDOWN, 0, "host qmp quit", "'reason'" },
	{ FERRY_MON_EV_MIGRATION, 0, "ACTIVE", "'status'" },
	{ FERRY_MON_EV_MIGRATION, 0, "running", "'status'" },	/* a RunState */
	{ FERRY_MON_EV_MIGRATION, 0, "bogus", "'status'" },
};

START_TEST(event_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_event ev = { .type = bad_events[_i].type };
	char why[128];

	ev.u.shutdown.guest = bad_events[_i].guest;
	if (ev.type == FERRY_MON_EV_SHUTDOWN)
		ev.u.shutdown.reason = bad_events[_i].str;
	else if (ev.type == FERRY_MON_EV_MIGRATION)
		ev.u.migration.status = bad_events[_i].str;
	else
		ev.u.other.name = bad_events[_i].str;
	ck_assert_int_eq(ferry_mon_put_event(w, &ev), -EINVAL);
	ferry_wbuf_init(w);
	ferry_put_u32(w, ev.type);
	ferry_put_u64(w, 1);
	if (ev.type == FERRY_MON_EV_SHUTDOWN)
		ferry_put_u32(w, bad_events[_i].guest);
	ferry_put_str(w, bad_events[_i].str);
	ck_assert_int_eq(ferry_mon_get_event(w->data, w->len, &ev, why, sizeof(why)), -EBADMSG);
	ck_assert_msg(strstr(why, bad_events[_i].why), "%s", why);
}
END_TEST

START_TEST(event_unknown_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_event ev = { .type = 9 };
	char why[128];

	ck_assert_int_eq(ferry_mon_put_event(w, &ev), -EINVAL);
	ferry_put_u32(w, 9);
	ferry_put_u64(w, 0);
	ck_assert_int_eq(ferry_mon_get_event(w->data, w->len, &ev, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "unknown monitor event 9");
}
END_TEST

START_TEST(attach_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	uint32_t t = 0;
	char why[128];

	ck_assert_int_eq(ferry_mon_put_attach(w, 300), 0);
	ck_assert_uint_eq(w->len, FERRY_MON_ATTACH_LEN);
	ck_assert_int_eq(ferry_mon_get_attach(w->data, w->len, &t, why, sizeof(why)), 0);
	ck_assert_uint_eq(t, 300);
	ck_assert_int_eq(ferry_mon_get_attach(w->data, 3, &t, why, sizeof(why)), -EBADMSG);
}
END_TEST

START_TEST(attached_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const char *v;
	char why[128];

	ck_assert_int_eq(ferry_mon_put_attached(w, "7.2.22"), 0);
	ck_assert_int_eq(ferry_mon_get_attached(w->data, w->len, &v, why, sizeof(why)), 0);
	ck_assert_str_eq(v, "7.2.22");
	expect_prefixes_refused(w, dec_attached);
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_mon_put_attached(w, "65535.65535.65535"), 0);
	ck_assert_uint_le(w->len, FERRY_MON_ATTACHED_MAX);
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_mon_put_attached(w, "0.0.0"), 0);
	ck_assert_uint_eq(w->len, FERRY_MON_ATTACHED_MIN);
}
END_TEST

static const char *const bad_versions[] = {
	"", "7", "7.2", "7.2.", "7.2.22.1", "07.2.1", "7.2.65536", "7.2.x", "-1.2.3",
	"7..2", "7.2.22 ", "100000.0.0",
};

START_TEST(attached_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const char *v;
	char why[128];

	ck_assert(!ferry_mon_version_ok(bad_versions[_i]));
	ck_assert_int_eq(ferry_mon_put_attached(w, bad_versions[_i]), -EINVAL);
	ferry_wbuf_init(w);
	ferry_put_str(w, bad_versions[_i]);
	ck_assert_int_eq(ferry_mon_get_attached(w->data, w->len, &v, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'version' is truncated or malformed");
}
END_TEST

START_TEST(closed_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_closed c = { .kind = (uint32_t)_i, .reason = "QEMU closed the monitor" };
	struct ferry_mon_closed out;
	char why[128];

	ck_assert_int_eq(ferry_mon_put_closed(w, &c), 0);
	ck_assert_int_eq(ferry_mon_get_closed(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.kind, c.kind);
	ck_assert_str_eq(out.reason, c.reason);
	expect_prefixes_refused(w, dec_closed);
}
END_TEST

START_TEST(closed_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_closed c = { .kind = 3, .reason = "x" };
	char longest[FERRY_MON_REASON_MAX + 2];
	char why[128];

	ck_assert_int_eq(ferry_mon_put_closed(w, &c), -EINVAL);
	ferry_put_u32(w, 3);
	ferry_put_str(w, "x");
	ck_assert_int_eq(ferry_mon_get_closed(w->data, w->len, &c, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "unknown monitor close kind 3");

	/* Reasons land in logs: printable ASCII, 1-255 bytes. */
	memset(longest, 'r', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	ck_assert(!ferry_mon_reason_ok(longest));
	longest[FERRY_MON_REASON_MAX] = '\0';
	ck_assert(ferry_mon_reason_ok(longest));
	c.kind = FERRY_MON_CLOSED_EOF;
	c.reason = longest;
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_mon_put_closed(w, &c), 0);
	ck_assert_uint_eq(w->len, FERRY_MON_CLOSED_MAX);
	ck_assert(!ferry_mon_reason_ok(""));
	ck_assert(!ferry_mon_reason_ok("line\nbreak"));
	ck_assert(!ferry_mon_reason_ok("esc\x1b[0m"));
	ck_assert(!ferry_mon_reason_ok("caf\xc3\xa9"));
	ferry_wbuf_init(w);
	ferry_put_u32(w, 1);
	ferry_put_str(w, "bad\ttab");
	ck_assert_int_eq(ferry_mon_get_closed(w->data, w->len, &c, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'reason' is truncated or malformed");
}
END_TEST

START_TEST(alphabets)
{
	ck_assert(ferry_mon_token_ok("finish-migrate"));
	ck_assert(ferry_mon_token_ok("colo"));
	ck_assert(!ferry_mon_token_ok("Paused"));
	ck_assert(ferry_mon_event_name_ok("MIGRATION_PASS"));
	ck_assert(ferry_mon_event_name_ok("VSERPORT_CHANGE"));
	ck_assert(!ferry_mon_event_name_ok("Stop"));
	ck_assert(!ferry_mon_event_name_ok("STOP-1"));
	ck_assert(ferry_mon_version_ok("10.0.0"));
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("monitor-proto");
	TCase *cmd = tcase_create("commands");
	TCase *ev = tcase_create("events");
	TCase *att = tcase_create("attach-close");

	tcase_add_loop_test(cmd, command_round_trip, 0, (int)ARRAY_SIZE(all_cmds));
	tcase_add_test(cmd, command_names);
	tcase_add_test(cmd, command_unknown_refused);
	tcase_add_test(cmd, status_round_trip);
	tcase_add_test(cmd, empty_result_round_trip);
	tcase_add_loop_test(cmd, status_refused, 0, (int)ARRAY_SIZE(bad_status));
	tcase_add_test(cmd, result_unknown_refused);
	suite_add_tcase(s, cmd);

	tcase_add_loop_test(ev, event_round_trip, FERRY_MON_EV_SHUTDOWN, FERRY_MON_EV_OTHER + 1);
	tcase_add_test(ev, event_names);
	tcase_add_loop_test(ev, event_refused, 0, (int)ARRAY_SIZE(bad_events));
	tcase_add_test(ev, event_unknown_refused);
	suite_add_tcase(s, ev);

	tcase_add_test(att, attach_round_trip);
	tcase_add_test(att, attached_round_trip);
	tcase_add_loop_test(att, attached_refused, 0, (int)ARRAY_SIZE(bad_versions));
	tcase_add_loop_test(att, closed_round_trip, FERRY_MON_CLOSED_EOF, FERRY_MON_CLOSED_TIMEOUT + 1);
	tcase_add_test(att, closed_refused);
	tcase_add_test(att, alphabets);
	suite_add_tcase(s, att);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

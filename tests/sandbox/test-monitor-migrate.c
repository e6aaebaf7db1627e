/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-monitor-migrate.c - ferry-monitor's migration commands, under the
 * real sandbox, against a scripted QEMU: the exact QMP each typed command
 * becomes, the typed result of each answer QEMU 7.2 gives (captured from
 * it), and the closing of the monitor on every answer of the wrong shape.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-qemu.h"
#include "mon-harness.h"
#include "util.h"

/* The last reply: a result's strings point into it until the next run(). */
static struct mon_rec last;

/* Send @c, check the QMP it became, answer @answer (the "return" value). */
static void run(const struct ferry_mon_command *c, const char *qmp, const char *answer,
		struct ferry_mon_result *res)
{
	char id[64];

	mon_send_async(helper, c, &last);
	fake_expect_json(&qemu, qmp, id, sizeof(id));
	fake_printf(&qemu, "{\"return\": %s, \"id\": \"%s\"}\r\n", answer, id);
	mon_wait(&last.done);
	mon_expect_result(&last, res);
	ck_assert_uint_eq(res->cmd, c->cmd);
}

START_TEST(set_capabilities)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES };
	struct ferry_mon_result res;

	fake_attach();
	c.args.caps.count = 2;
	c.args.caps.cap[0] = (struct ferry_mon_mig_cap){ "events", 1 };
	c.args.caps.cap[1] = (struct ferry_mon_mig_cap){ "pause-before-switchover", 0 };
	run(&c, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": {\"capabilities\": ["
	    "{\"capability\": \"events\", \"state\": true}, "
	    "{\"capability\": \"pause-before-switchover\", \"state\": false}]}}", "{}", &res);
}
END_TEST

START_TEST(set_parameters)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS };
	struct ferry_mon_result res;

	fake_attach();
	c.args.params = (struct ferry_mon_mig_params){
		.present = FERRY_MON_PARAM_MAX_BANDWIDTH | FERRY_MON_PARAM_DOWNTIME_LIMIT |
			   FERRY_MON_PARAM_MULTIFD_CHANNELS,
		.max_bandwidth = INT64_MAX, .downtime_limit = 300, .multifd_channels = 4,
	};
	run(&c, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {"
	    "\"max-bandwidth\": 9223372036854775807, \"downtime-limit\": 300, "
	    "\"multifd-channels\": 4}}", "{}", &res);
	/* Only what the mask names reaches QEMU. */
	c.args.params = (struct ferry_mon_mig_params){
		.present = FERRY_MON_PARAM_MAX_POSTCOPY_BANDWIDTH,
		.max_postcopy_bandwidth = 1048576,
	};
	run(&c, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {"
	    "\"max-postcopy-bandwidth\": 1048576}}", "{}", &res);
}
END_TEST

START_TEST(migrate_and_incoming)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE };
	struct ferry_mon_result res;

	fake_attach();
	c.args.migrate.uri = "unix:/run/ferry/vm-1.migrate";
	run(&c, "{\"execute\": \"migrate\", \"arguments\": "
	    "{\"uri\": \"unix:/run/ferry/vm-1.migrate\"}}", "{}", &res);
	c.args.migrate.uri = "tcp:[::1]:49152";
	run(&c, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:[::1]:49152\"}}",
	    "{}", &res);
	c.cmd = FERRY_MON_MIGRATE_INCOMING;
	c.args.migrate.uri = "tcp:192.0.2.7:4444";
	run(&c, "{\"execute\": \"migrate-incoming\", \"arguments\": "
	    "{\"uri\": \"tcp:192.0.2.7:4444\"}}", "{}", &res);
	c.args.migrate.uri = "fd:migrate_in";
	run(&c, "{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"fd:migrate_in\"}}",
	    "{}", &res);
}
END_TEST

START_TEST(cancel_and_continue)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_CANCEL };
	struct ferry_mon_result res;

	fake_attach();
	run(&c, "{\"execute\": \"migrate_cancel\"}", "{}", &res);
	c.cmd = FERRY_MON_MIGRATE_CONTINUE;
	c.args.cont.state = "pre-switchover";
	run(&c, "{\"execute\": \"migrate-continue\", \"arguments\": "
	    "{\"state\": \"pre-switchover\"}}", "{}", &res);
}
END_TEST

/* QEMU's refusal is an ERROR with its words, and the monitor carries on. */
START_TEST(migrate_refused_by_qemu)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_INCOMING };
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	c.args.migrate.uri = "unix:/tmp/x";
	mon_send_async(helper, &c, &r);
	fake_expect(&qemu, "migrate-incoming", id, sizeof(id));
	fake_printf(&qemu, "{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\", \"desc\": "
		    "\"'-incoming' was not specified on the command line\"}}\r\n", id);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EREMOTEIO);
	ck_assert_str_eq(text, "GenericError: '-incoming' was not specified on the command line");
	ck_assert(!helper->exited);
}
END_TEST

#define RAM_ACTIVE "\"ram\": {\"total\": 67641344, \"postcopy-requests\": 0, " \
	"\"dirty-sync-count\": 1, \"multifd-bytes\": 0, \"pages-per-second\": 116280, " \
	"\"downtime-bytes\": 213613, \"page-size\": 4096, \"remaining\": 266240, " \
	"\"postcopy-bytes\": 0, \"mbps\": 8.3898399999999995, \"transferred\": 213613, " \
	"\"dirty-sync-missed-zero-copy\": 0, \"precopy-bytes\": 0, \"duplicate\": 16465, " \
	"\"dirty-pages-rate\": 0, \"skipped\": 0, \"normal-bytes\": 200704, \"normal\": 49}"
#define RAM_DONE(mbps) "\"ram\": {\"total\": 67641344, \"dirty-sync-count\": 2, " \
	"\"page-size\": 4096, \"remaining\": 0, \"mbps\": " mbps ", \"transferred\": 349373, " \
	"\"duplicate\": 16465, \"dirty-pages-rate\": 0, \"normal\": 49}"
#define RAM_BITS (FERRY_MON_MIG_RAM_TRANSFERRED | FERRY_MON_MIG_RAM_REMAINING | \
	FERRY_MON_MIG_RAM_TOTAL | FERRY_MON_MIG_RAM_DUPLICATE | FERRY_MON_MIG_RAM_NORMAL | \
	FERRY_MON_MIG_RAM_DIRTY_PAGES_RATE | FERRY_MON_MIG_RAM_DIRTY_SYNC_COUNT | \
	FERRY_MON_MIG_RAM_MBPS | FERRY_MON_MIG_RAM_PAGE_SIZE)
#define LONG_DESC "Failed to connect to '/tmp/\\u00e9\\n" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx': No such file or directory"

/* query-migrate answers QEMU 7.2 gives, and what the broker must see of each. */
static const struct {
	const char *answer;
	const char *status;
	uint32_t present;
	uint64_t total_time, downtime, mbps_milli, ram_remaining;
	const char *error_desc;
} answers[] = {
	/* Before any migration, and on a destination before its first byte. */
	{ "{}", "none", 0, 0, 0, 0, 0, "" },
	{ "{\"status\": \"setup\"}", "setup", 0, 0, 0, 0, 0, "" },
	{ "{\"expected-downtime\": 300, \"status\": \"active\", \"setup-time\": 0, "
	  "\"total-time\": 201, " RAM_ACTIVE "}", "active",
	  FERRY_MON_MIG_TOTAL_TIME | FERRY_MON_MIG_EXPECTED_DOWNTIME | FERRY_MON_MIG_SETUP_TIME |
	  RAM_BITS, 201, 0, 8390, 266240, "" },
	/* "completed", with total-time and downtime not reported at all... */
	{ "{\"status\": \"completed\", \"setup-time\": 1, " RAM_DONE("0") "}", "completed",
	  FERRY_MON_MIG_SETUP_TIME | RAM_BITS, 0, 0, 0, 0, "" },
	/* ...or, as QEMU 7.2 does for a moment, reported as 0: not there yet either. */
	{ "{\"status\": \"completed\", \"setup-time\": 1, \"downtime\": 0, \"total-time\": 0, "
	  RAM_DONE("0") "}", "completed",
	  FERRY_MON_MIG_SETUP_TIME | (RAM_BITS & ~FERRY_MON_MIG_RAM_MBPS), 0, 0, 0, 0, "" },
	{ "{\"status\": \"completed\", \"setup-time\": 1, \"downtime\": 8, \"total-time\": 17, "
	  RAM_DONE("230.55449999999999") "}", "completed",
	  FERRY_MON_MIG_TOTAL_TIME | FERRY_MON_MIG_DOWNTIME | FERRY_MON_MIG_SETUP_TIME | RAM_BITS,
	  17, 8, 230555, 0, "" },
	{ "{\"status\": \"failed\", \"error-desc\": \"Failed to connect to '/tmp/mig.sock': "
	  "No such file or directory\"}", "failed", 0, 0, 0, 0, 0,
	  "Failed to connect to '/tmp/mig.sock': No such file or directory" },
	{ "{\"status\": \"failed\", \"error-desc\": \"" LONG_DESC "\"}", "failed", 0, 0, 0, 0, 0,
	  NULL },
	{ "{\"status\": \"cancelled\"}", "cancelled", 0, 0, 0, 0, 0, "" },
	{ "{\"status\": \"cancelling\", \"total-time\": 607, \"unknown-member\": [1]}",
	  "cancelling", FERRY_MON_MIG_TOTAL_TIME, 607, 0, 0, 0, "" },
};

START_TEST(query_migrate)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_QUERY_MIGRATE };
	struct ferry_mon_result res;
	const struct ferry_mon_migration *m = &res.ret.migration;

	fake_attach();
	run(&c, "{\"execute\": \"query-migrate\"}", answers[_i].answer, &res);
	ck_assert_str_eq(m->status, answers[_i].status);
	ck_assert_msg(m->present == answers[_i].present, "present 0x%x, expected 0x%x",
		      m->present, answers[_i].present);
	ck_assert_uint_eq(m->total_time, answers[_i].total_time);
	ck_assert_uint_eq(m->downtime, answers[_i].downtime);
	ck_assert_uint_eq(m->ram_mbps_milli, answers[_i].mbps_milli);
	ck_assert_uint_eq(m->ram_remaining, answers[_i].ram_remaining);
	if (m->present & FERRY_MON_MIG_RAM_TOTAL) {
		ck_assert_uint_eq(m->ram_total, 67641344);
		ck_assert_uint_eq(m->ram_page_size, 4096);
	}
	if (answers[_i].error_desc) {
		ck_assert_str_eq(m->error_desc, answers[_i].error_desc);
		return;
	}
	/* QEMU's words, cut to 255 bytes, anything unprintable as '?'. */
	ck_assert_uint_eq(strlen(m->error_desc), FERRY_MON_ERROR_DESC_MAX);
	ck_assert_msg(strncmp(m->error_desc, "Failed to connect to '/tmp/???xxx", 33) == 0, "%s",
		      m->error_desc);
}
END_TEST

/* The events of a migration, as QEMU 7.2 sends them on a running source. */
START_TEST(migration_events)
{
	static const char *const status[] = { "setup", "active", "completed" };
	struct ferry_mon_event ev;
	char line[256];

	fake_attach();
	for (size_t i = 0; i < ARRAY_SIZE(status); i++) {
		snprintf(line, sizeof(line), "{" TS ", \"event\": \"MIGRATION\", \"data\": "
			 "{\"status\": \"%s\"}}\r\n", status[i]);
		fake_write(&qemu, line, strlen(line));
		if (i == 0)
			fake_printf(&qemu, "{" TS ", \"event\": \"MIGRATION_PASS\", \"data\": "
				    "{\"pass\": 1}}\r\n");
		if (i == 1)
			fake_printf(&qemu, "{" TS ", \"event\": \"STOP\"}\r\n");
	}
	mon_wait_events(5);
	mon_expect_event(&mon_events.ev[0], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_MIGRATION);
	ck_assert_str_eq(ev.u.migration.status, "setup");
	mon_expect_event(&mon_events.ev[1], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_MIGRATION_PASS);
	ck_assert_uint_eq(ev.u.migration_pass.pass, 1);
	ck_assert_uint_eq(ev.timestamp_us, TS_US);
	mon_expect_event(&mon_events.ev[2], &ev);
	ck_assert_str_eq(ev.u.migration.status, "active");
	mon_expect_event(&mon_events.ev[3], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_STOP);
	mon_expect_event(&mon_events.ev[4], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_MIGRATION);
	ck_assert_str_eq(ev.u.migration.status, "completed");
}
END_TEST

/* A MON_COMMAND laid out by hand, as a broker that skipped the encoder would. */
static void send_raw(uint32_t cmd, const char *str, uint32_t count, struct mon_rec *r)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, cmd);
	ferry_put_u32(&w, 0);
	if (cmd == FERRY_MON_MIGRATE_SET_CAPABILITIES) {
		ferry_put_u32(&w, count);
		for (uint32_t i = 0; i < count; i++) {
			ferry_put_str(&w, str);
			ferry_put_u32(&w, 1);
		}
	} else {
		ferry_put_str(&w, str);
	}
	mon_call_async(helper, FERRY_MSG_MON_COMMAND, &w, NULL, 0, r);
}

static const struct {
	uint32_t cmd;
	const char *str;
	uint32_t count;
	const char *text;
} raw_refused[] = {
	{ FERRY_MON_MIGRATE, "exec:cat /etc/shadow", 0, "MON_COMMAND: migration URI "
	  "'exec:cat /etc/shadow' is not allowed: only tcp:, unix: and fd:" },
	{ FERRY_MON_MIGRATE_INCOMING, "exec:nc -l 4444", 0,
	  "MON_COMMAND: migration URI 'exec:nc -l 4444' is not allowed: only tcp:, unix: and fd:" },
	{ FERRY_MON_MIGRATE, "tcp:127.0.0.1:4444,ipv4=on", 0, "has a port that is not 1-65535" },
	{ FERRY_MON_MIGRATE, "fd:3", 0, "has an fd name that is not 1-64 bytes" },
	{ FERRY_MON_MIGRATE_SET_CAPABILITIES, "events", 17,
	  "MON_COMMAND: capability count 17 is not 1-16" },
	{ FERRY_MON_MIGRATE_SET_CAPABILITIES, "x_colo", 1,
	  "MON_COMMAND: field 'capability' is truncated or malformed" },
	{ FERRY_MON_MIGRATE_CONTINUE, "running", 0,
	  "MON_COMMAND: field 'state' is truncated or malformed" },
};

/* The helper checks too: nothing of a refused command reaches QEMU. */
START_TEST(helper_refuses)
{
	struct ferry_mon_result res;
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	send_raw(raw_refused[_i].cmd, raw_refused[_i].str, raw_refused[_i].count, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EBADMSG);
	ck_assert_msg(strstr(text, raw_refused[_i].text), "'%s' lacks '%s'", text,
		      raw_refused[_i].text);
	/* The next command is the first QEMU reads. */
	mon_command_async(helper, FERRY_MON_QUERY_STATUS, 0, &r);
	fake_expect(&qemu, "query-status", id, sizeof(id));
	fake_printf(&qemu, "{\"return\": {\"status\": \"running\", \"running\": true}, "
		    "\"id\": \"%s\"}\r\n", id);
	mon_wait(&r.done);
	mon_expect_result(&r, &res);
	ck_assert(!helper->exited);
}
END_TEST

/* Answers of the wrong shape: command, its "return" or an event line, and the reason. */
static const struct {
	uint32_t cmd;
	const char *answer;
	const char *event;
	const char *reason;
} bad_answers[] = {
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": 5}", NULL,
	  "QMP reply to query-migrate: 'ram' is not an object" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": [1]}", NULL,
	  "QMP reply to query-migrate: 'ram' is not an object" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"remaining\": -1}}", NULL,
	  "QMP reply to query-migrate: 'ram.remaining' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"total-time\": -5}", NULL,
	  "QMP reply to query-migrate: 'total-time' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"total-time\": \"5\"}", NULL,
	  "'total-time' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"downtime\": 1.5}", NULL,
	  "'downtime' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"transferred\": "
	  "18446744073709551616}}", NULL, "'ram.transferred' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"total\": "
	  "9223372036854775808}}", NULL, "'ram.total' is not a non-negative integer" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"bogus\"}", NULL,
	  "QMP reply to query-migrate: 'status' 'bogus' is not a MigrationStatus" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"running\"}", NULL,
	  "'status' 'running' is not a MigrationStatus" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": 7}", NULL,
	  "'status' '7' is not a MigrationStatus" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": null}", NULL,
	  "'status' 'null' is not a MigrationStatus" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"mbps\": -1.0}}", NULL,
	  "'ram.mbps' is not a number in 0-1e9" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"mbps\": \"fast\"}}", NULL,
	  "'ram.mbps' is not a number in 0-1e9" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"active\", \"ram\": {\"mbps\": 1e300}}", NULL,
	  "'ram.mbps' is not a number in 0-1e9" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"failed\", \"error-desc\": 5}", NULL,
	  "'error-desc' is not a string without NUL bytes" },
	{ FERRY_MON_QUERY_MIGRATE, "{\"status\": \"failed\", \"error-desc\": \"a\\u0000b\"}", NULL,
	  "'error-desc' is not a string without NUL bytes" },
	{ FERRY_MON_QUERY_MIGRATE, "[]", NULL,
	  "QMP reply to query-migrate: 'return' is not an object" },
	{ FERRY_MON_MIGRATE_CANCEL, "{\"status\": \"cancelling\"}", NULL,
	  "QMP reply to migrate_cancel: 'return' is not an empty object" },
	{ FERRY_MON_QUERY_MIGRATE, NULL, "{" TS ", \"event\": \"MIGRATION\", \"data\": "
	  "{\"status\": \"bogus\"}}", "QMP event MIGRATION needs data.status (MigrationStatus)" },
	{ FERRY_MON_QUERY_MIGRATE, NULL, "{" TS ", \"event\": \"MIGRATION\"}",
	  "QMP event MIGRATION needs data.status (MigrationStatus)" },
	{ FERRY_MON_QUERY_MIGRATE, NULL, "{" TS ", \"event\": \"MIGRATION_PASS\", \"data\": "
	  "{\"pass\": -1}}", "QMP event MIGRATION_PASS needs data.pass (non-negative integer)" },
	{ FERRY_MON_QUERY_MIGRATE, NULL, "{" TS ", \"event\": \"MIGRATION_PASS\", \"data\": "
	  "{\"pass\": 18446744073709551616}}", "QMP event MIGRATION_PASS needs data.pass" },
};

/* A pending command learns why no answer will come, before MON_CLOSED. */
START_TEST(bad_answer_closes)
{
	struct ferry_mon_command c = { .cmd = bad_answers[_i].cmd };
	const char *reason = bad_answers[_i].reason;
	struct mon_rec r;
	const char *text;
	char id[64];

	fake_attach();
	mon_send_async(helper, &c, &r);
	fake_expect(&qemu, ferry_mon_cmd_name(c.cmd), id, sizeof(id));
	if (bad_answers[_i].answer)
		fake_printf(&qemu, "{\"return\": %s, \"id\": \"%s\"}\r\n", bad_answers[_i].answer,
			    id);
	else
		fake_printf(&qemu, "%s\r\n", bad_answers[_i].event);
	expect_closed(FERRY_MON_CLOSED_PROTOCOL, reason, EXIT_PROTOCOL);
	ck_assert(r.done);
	ck_assert_int_eq(mon_expect_error(&r, &text), -EPROTO);
	ck_assert_msg(strstr(text, reason), "%s", text);
	broker_still_works();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor-migrate");
	TCase *ok = tcase_create("commands");
	TCase *bad = tcase_create("hostile");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(ok, fake_setup, fake_teardown);
	tcase_set_timeout(ok, 30);
	tcase_add_test(ok, set_capabilities);
	tcase_add_test(ok, set_parameters);
	tcase_add_test(ok, migrate_and_incoming);
	tcase_add_test(ok, cancel_and_continue);
	tcase_add_test(ok, migrate_refused_by_qemu);
	tcase_add_loop_test(ok, query_migrate, 0, (int)ARRAY_SIZE(answers));
	tcase_add_test(ok, migration_events);
	tcase_add_loop_test(ok, helper_refuses, 0, (int)ARRAY_SIZE(raw_refused));
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(bad, fake_setup, fake_teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_loop_test(bad, bad_answer_closes, 0, (int)ARRAY_SIZE(bad_answers));
	suite_add_tcase(s, bad);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-job.c - a domain's migration job (broker/job.c) and what both ends
 * of a migration share (broker/migrate.c): the names of types and phases
 * as the status file and libvirt spell them, the API's flag list, the
 * first error that a later step must not replace, the job and its
 * statistics as JSON, which URIs a client may give, and which protocol
 * versions the broker speaks.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "broker/daemon.h"
#include "broker/job.h"
#include "broker/migrate.h"
#include "monitor-proto.h"
#include "util.h"

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_json_ _cleanup_(json_putp)

static struct json_object *parse_json(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o, "test JSON does not parse: %s", text);
	return o;
}

/* Fail unless @o has exactly the keys of @keys (NULL-terminated). */
static void assert_keys(struct json_object *o, const char *const *keys)
{
	size_t n = 0;

	for (; keys[n]; n++)
		ck_assert_msg(json_object_object_get_ex(o, keys[n], NULL), "no key '%s' in %s",
			      keys[n], json_object_to_json_string(o));
	ck_assert_msg((size_t)json_object_object_length(o) == n, "%d keys, not %zu, in %s",
		      json_object_object_length(o), n, json_object_to_json_string(o));
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key '%s'", key);
	ck_assert_msg(json_object_is_type(v, json_type_string), "'%s' is not a string", key);
	return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key '%s'", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "'%s' is not an integer", key);
	return json_object_get_int64(v);
}

static void assert_null(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key '%s'", key);
	ck_assert_msg(v == NULL, "'%s' is %s, not null", key, json_object_to_json_string(v));
}

/* Types and phases */

/* libvirt's qemuMigrationJobPhase names, which the status file keeps. */
static const struct { enum ferry_job_phase p; const char *name; } phases[] = {
	{ FERRY_PHASE_NONE, "none" },
	{ FERRY_PHASE_PERFORM2, "perform2" },
	{ FERRY_PHASE_BEGIN3, "begin3" },
	{ FERRY_PHASE_PERFORM3, "perform3" },
	{ FERRY_PHASE_PERFORM3_DONE, "perform3_done" },
	{ FERRY_PHASE_CONFIRM3_CANCELLED, "confirm3_cancelled" },
	{ FERRY_PHASE_CONFIRM3, "confirm3" },
	{ FERRY_PHASE_PREPARE, "prepare" },
	{ FERRY_PHASE_FINISH2, "finish2" },
	{ FERRY_PHASE_FINISH3, "finish3" },
	{ FERRY_PHASE_SAVE, "save" },
	{ FERRY_PHASE_RESTORE, "restore" },
};

START_TEST(phase_names)
{
	ck_assert_str_eq(ferry_job_phase_name(phases[_i].p), phases[_i].name);
	/* In libvirt's order: a status file written by one build reads the same in the next. */
	ck_assert_int_eq(phases[_i].p, _i);
}
END_TEST

START_TEST(phase_names_out_of_range)
{
	ck_assert_str_eq(ferry_job_phase_name(FERRY_PHASE_RESTORE + 1), "unknown");
	ck_assert_str_eq(ferry_job_phase_name((enum ferry_job_phase)1000), "unknown");
	ck_assert_str_eq(ferry_job_phase_name((enum ferry_job_phase)-1), "unknown");
}
END_TEST

START_TEST(type_names)
{
	ck_assert_str_eq(ferry_job_type_name(FERRY_JOB_NONE), "none");
	ck_assert_str_eq(ferry_job_type_name(FERRY_JOB_MIGRATION_OUT), "migration-out");
	ck_assert_str_eq(ferry_job_type_name(FERRY_JOB_MIGRATION_IN), "migration-in");
	ck_assert_str_eq(ferry_job_type_name(FERRY_JOB_SAVE), "save");
	ck_assert_str_eq(ferry_job_type_name(FERRY_JOB_RESTORE), "restore");
	ck_assert_str_eq(ferry_job_type_name((enum ferry_job_type)7), "none");
	ck_assert_str_eq(ferry_job_type_name((enum ferry_job_type)-1), "none");
}
END_TEST

/* Flags */

static const struct { const char *name; unsigned bit; } flags[] = {
	{ "live", FERRY_MIGRATE_LIVE },
	{ "paused", FERRY_MIGRATE_PAUSED },
	{ "persist-dest", FERRY_MIGRATE_PERSIST_DEST },
	{ "undefine-source", FERRY_MIGRATE_UNDEFINE_SOURCE },
	{ "abort-on-error", FERRY_MIGRATE_ABORT_ON_ERROR },
};

#define ALL_FLAGS (FERRY_MIGRATE_LIVE | FERRY_MIGRATE_PAUSED | FERRY_MIGRATE_PERSIST_DEST | \
		   FERRY_MIGRATE_UNDEFINE_SOURCE | FERRY_MIGRATE_ABORT_ON_ERROR)

/* Parse @text (a JSON document, or NULL for no list) and expect success. */
static unsigned flags_ok(const char *text)
{
	/* json-c reads "null" as NULL: no list, as when the key is absent. */
	_cleanup_json_ struct json_object *list = text ? json_tokener_parse(text) : NULL;
	char err[128] = "untouched";
	unsigned f = 0xdeadbeef;

	ck_assert_msg(ferry_migrate_flags_parse(list, &f, err, sizeof(err)) == 0,
		      "%s: %s", text, err);
	ck_assert_str_eq(err, "untouched");
	return f;
}

START_TEST(flags_absent_or_empty)
{
	ck_assert_uint_eq(flags_ok(NULL), 0);
	ck_assert_uint_eq(flags_ok("[]"), 0);
	ck_assert_uint_eq(flags_ok("null"), 0);
}
END_TEST

START_TEST(flags_each)
{
	char text[64];

	/* Five distinct single bits. */
	ck_assert_uint_eq(__builtin_popcount(flags[_i].bit), 1);
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++)
		ck_assert(k == (size_t)_i || flags[k].bit != flags[_i].bit);
	snprintf(text, sizeof(text), "[\"%s\"]", flags[_i].name);
	ck_assert_uint_eq(flags_ok(text), flags[_i].bit);
}
END_TEST

START_TEST(flags_combined)
{
	ck_assert_uint_eq(flags_ok("[\"live\", \"persist-dest\", \"undefine-source\"]"),
			  FERRY_MIGRATE_LIVE | FERRY_MIGRATE_PERSIST_DEST |
			  FERRY_MIGRATE_UNDEFINE_SOURCE);
	ck_assert_uint_eq(flags_ok("[\"abort-on-error\", \"paused\", \"undefine-source\", "
				   "\"persist-dest\", \"live\"]"), ALL_FLAGS);
	/* Saying a flag twice is saying it once. */
	ck_assert_uint_eq(flags_ok("[\"live\", \"live\"]"), FERRY_MIGRATE_LIVE);
	ck_assert_uint_eq(flags_ok("[\"paused\", \"live\", \"paused\", \"paused\"]"),
			  FERRY_MIGRATE_LIVE | FERRY_MIGRATE_PAUSED);
}
END_TEST

#define NAME_100 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"cccccccccccccccccccccccccccccccccccc"

static const struct { const char *text, *err; } bad_flags[] = {
	{ "[\"bogus\"]", "unknown migration flag 'bogus'" },
	{ "[\"live\", \"bogus\"]", "unknown migration flag 'bogus'" },
	{ "[\"live\", \"paused\", \"postcopy\"]", "unknown migration flag 'postcopy'" },
	{ "[\"LIVE\"]", "unknown migration flag 'LIVE'" },
	{ "[\"live \"]", "unknown migration flag 'live '" },
	{ "[\"persist_dest\"]", "unknown migration flag 'persist_dest'" },
	{ "[\"\"]", "unknown migration flag ''" },
	/* A long name is cut in the message, never in what is compared. */
	{ "[\"" NAME_100 "\"]", "unknown migration flag '"
	  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'" },
	{ "[1]", "migration flag 0 is not a string" },
	{ "[\"live\", null]", "migration flag 1 is not a string" },
	{ "[\"live\", \"paused\", true]", "migration flag 2 is not a string" },
	{ "[[\"live\"]]", "migration flag 0 is not a string" },
	{ "[{\"live\": true}]", "migration flag 0 is not a string" },
	{ "\"live\"", "'flags' must be an array of flag names" },
	{ "{\"live\": true}", "'flags' must be an array of flag names" },
	{ "1", "'flags' must be an array of flag names" },
	{ "true", "'flags' must be an array of flag names" },
};

START_TEST(flags_refused)
{
	_cleanup_json_ struct json_object *list = parse_json(bad_flags[_i].text);
	char err[128] = "";
	unsigned f;

	ck_assert_int_eq(ferry_migrate_flags_parse(list, &f, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad_flags[_i].err);
}
END_TEST

/* A short error buffer gets a cut, terminated message and nothing past it. */
START_TEST(flags_short_error_buffer)
{
	_cleanup_json_ struct json_object *list = parse_json("[\"bogus\"]");
	char err[32];
	unsigned f;

	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(ferry_migrate_flags_parse(list, &f, err, 16), -EINVAL);
	ck_assert_str_eq(err, "unknown migrati");
	for (size_t i = 16; i < sizeof(err); i++)
		ck_assert_int_eq(err[i], 'Z');
}
END_TEST

/* What the job JSON writes, the flag parser reads back: every combination. */
START_TEST(flags_round_trip)
{
	for (unsigned want = 0; want <= ALL_FLAGS; want++) {
		struct ferry_job job = { .flags = want };
		_cleanup_json_ struct json_object *o = ferry_job_json(&job);
		struct json_object *list;
		char err[128] = "";
		unsigned got = ~0u;

		ck_assert(json_object_object_get_ex(o, "flags", &list));
		ck_assert_uint_eq(json_object_array_length(list), __builtin_popcount(want));
		ck_assert_msg(ferry_migrate_flags_parse(list, &got, err, sizeof(err)) == 0,
			      "%s", err);
		ck_assert_uint_eq(got, want);
	}
}
END_TEST

/* The first error */

START_TEST(error_first_wins)
{
	struct ferry_job job;

	memset(&job, 0, sizeof(job));
	ferry_job_error(&job, "perform: QEMU says %s (%d%%)", "connection refused", 42);
	ck_assert_str_eq(job.error, "perform: QEMU says connection refused (42%)");
	/* Finish and Confirm come later and must not hide why Perform failed. */
	ferry_job_error(&job, "confirm: %s", "migration failed");
	ck_assert_str_eq(job.error, "perform: QEMU says connection refused (42%)");
	ferry_job_error(&job, "finish");
	ck_assert_str_eq(job.error, "perform: QEMU says connection refused (42%)");
}
END_TEST

START_TEST(error_cut_to_fit)
{
	struct ferry_job job;
	char big[1024];

	memset(&job, 0, sizeof(job));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ferry_job_error(&job, "migrate: %s", big);
	ck_assert_uint_eq(strlen(job.error), sizeof(job.error) - 1);
	ck_assert_mem_eq(job.error, "migrate: xxx", 12);
	ck_assert_int_eq(job.error[sizeof(job.error) - 2], 'x');
	/* Even a cut message is the first one. */
	ferry_job_error(&job, "later");
	ck_assert_uint_eq(strlen(job.error), sizeof(job.error) - 1);
	ck_assert_mem_eq(job.error, "migrate: xxx", 12);
}
END_TEST

/* Statistics as JSON */

static const char *const stats_keys[] = {
	"status", "elapsed_ms", "total_time_ms", "downtime_ms", "expected_downtime_ms",
	"setup_time_ms", "ram_total", "ram_transferred", "ram_remaining", "dirty_pages_rate",
	"iteration", "mbps", NULL,
};

START_TEST(stats_empty)
{
	struct ferry_migration_stats s;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *mbps;

	memset(&s, 0, sizeof(s));
	/* Times QEMU has not reported are null, not a misleading 0. */
	s.total_time_ms = 777;
	s.downtime_ms = 888;
	o = ferry_stats_json(&s);
	assert_keys(o, stats_keys);
	ck_assert_str_eq(get_str(o, "status"), "none");
	assert_null(o, "total_time_ms");
	assert_null(o, "downtime_ms");
	for (size_t i = 1; stats_keys[i + 1]; i++)
		if (strcmp(stats_keys[i], "total_time_ms") && strcmp(stats_keys[i], "downtime_ms"))
			ck_assert_int_eq(get_int(o, stats_keys[i]), 0);
	ck_assert(json_object_object_get_ex(o, "mbps", &mbps));
	ck_assert(json_object_is_type(mbps, json_type_double));
	ck_assert_double_eq(json_object_get_double(mbps), 0.0);
}
END_TEST

START_TEST(stats_full)
{
	struct ferry_migration_stats s = {
		.status = "completed",
		.elapsed_ms = 1500,
		.total_time_ms = 2001,
		.downtime_ms = 0,
		.expected_downtime_ms = 300,
		.setup_time_ms = 12,
		.ram_total = 4ull << 30,
		.ram_transferred = 5000000123ull,
		.ram_remaining = 7,
		.dirty_pages_rate = 1234,
		.iteration = 5,
		.mbps_milli = 1234567,
		.have_total_time = true,
		.have_downtime = true,
		.error_desc = "not shown",
	};
	_cleanup_json_ struct json_object *o = ferry_stats_json(&s);
	struct json_object *mbps;

	assert_keys(o, stats_keys);
	ck_assert_str_eq(get_str(o, "status"), "completed");
	ck_assert_int_eq(get_int(o, "elapsed_ms"), 1500);
	ck_assert_int_eq(get_int(o, "total_time_ms"), 2001);
	/* A downtime of 0 that QEMU reported is 0, not null. */
	ck_assert_int_eq(get_int(o, "downtime_ms"), 0);
	ck_assert_int_eq(get_int(o, "expected_downtime_ms"), 300);
	ck_assert_int_eq(get_int(o, "setup_time_ms"), 12);
	ck_assert_int_eq(get_int(o, "ram_total"), 4294967296ll);
	ck_assert_int_eq(get_int(o, "ram_transferred"), 5000000123ll);
	ck_assert_int_eq(get_int(o, "ram_remaining"), 7);
	ck_assert_int_eq(get_int(o, "dirty_pages_rate"), 1234);
	ck_assert_int_eq(get_int(o, "iteration"), 5);
	ck_assert(json_object_object_get_ex(o, "mbps", &mbps));
	ck_assert(json_object_is_type(mbps, json_type_double));
	ck_assert_double_eq(json_object_get_double(mbps), 1234.567);
}
END_TEST

/* Each of the two times is null exactly when it was not reported. */
START_TEST(stats_one_time_missing)
{
	struct ferry_migration_stats s = { .status = "active", .total_time_ms = 10,
					   .downtime_ms = 20, .mbps_milli = 1 };
	struct json_object *mbps;

	for (int i = 0; i < 2; i++) {
		_cleanup_json_ struct json_object *o = NULL;

		s.have_total_time = i == 0;
		s.have_downtime = i == 1;
		o = ferry_stats_json(&s);
		assert_keys(o, stats_keys);
		ck_assert_str_eq(get_str(o, "status"), "active");
		if (i == 0) {
			ck_assert_int_eq(get_int(o, "total_time_ms"), 10);
			assert_null(o, "downtime_ms");
		} else {
			assert_null(o, "total_time_ms");
			ck_assert_int_eq(get_int(o, "downtime_ms"), 20);
		}
		ck_assert(json_object_object_get_ex(o, "mbps", &mbps));
		ck_assert_double_eq(json_object_get_double(mbps), 0.001);
	}
}
END_TEST

/* The job as JSON */

START_TEST(job_json_idle)
{
	static const char *const keys[] = {
		"type", "phase", "protocol", "flags", "was_running", NULL,
	};
	struct ferry_job job;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;

	memset(&job, 0, sizeof(job));
	o = ferry_job_json(&job);
	/* No peer and no error: the keys are left out, not empty. */
	assert_keys(o, keys);
	ck_assert_str_eq(get_str(o, "type"), "none");
	ck_assert_str_eq(get_str(o, "phase"), "none");
	ck_assert_int_eq(get_int(o, "protocol"), 0);
	ck_assert(json_object_object_get_ex(o, "flags", &v));
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_uint_eq(json_object_array_length(v), 0);
	ck_assert(json_object_object_get_ex(o, "was_running", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(!json_object_get_boolean(v));
}
END_TEST

START_TEST(job_json_out)
{
	static const char *const keys[] = {
		"type", "phase", "protocol", "flags", "was_running", "peer_host", "error", NULL,
	};
	static const char *const want_flags[] = { "live", "persist-dest", "abort-on-error" };
	struct ferry_job job;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;

	memset(&job, 0, sizeof(job));
	job.type = FERRY_JOB_MIGRATION_OUT;
	job.phase = FERRY_PHASE_PERFORM3_DONE;
	job.protocol = 3;
	job.flags = FERRY_MIGRATE_ABORT_ON_ERROR | FERRY_MIGRATE_LIVE | FERRY_MIGRATE_PERSIST_DEST;
	job.was_running = true;
	snprintf(job.peer_host, sizeof(job.peer_host), "hostB.example");
	snprintf(job.uri, sizeof(job.uri), "tcp:192.0.2.7:49152");
	ferry_job_error(&job, "perform: %s", "migration failed");
	o = ferry_job_json(&job);
	assert_keys(o, keys);
	ck_assert_str_eq(get_str(o, "type"), "migration-out");
	ck_assert_str_eq(get_str(o, "phase"), "perform3_done");
	ck_assert_int_eq(get_int(o, "protocol"), 3);
	ck_assert_str_eq(get_str(o, "peer_host"), "hostB.example");
	ck_assert_str_eq(get_str(o, "error"), "perform: migration failed");
	ck_assert(json_object_object_get_ex(o, "was_running", &v));
	ck_assert(json_object_get_boolean(v));
	/* Names, in one fixed order whatever order they were given in. */
	ck_assert(json_object_object_get_ex(o, "flags", &v));
	ck_assert_uint_eq(json_object_array_length(v), ARRAY_SIZE(want_flags));
	for (size_t i = 0; i < ARRAY_SIZE(want_flags); i++)
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, i)),
				 want_flags[i]);
}
END_TEST

START_TEST(job_json_in)
{
	static const char *const keys[] = {
		"type", "phase", "protocol", "flags", "was_running", NULL,
	};
	struct ferry_job job;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;

	memset(&job, 0, sizeof(job));
	job.type = FERRY_JOB_MIGRATION_IN;
	job.phase = FERRY_PHASE_PREPARE;
	job.protocol = 2;
	job.flags = FERRY_MIGRATE_PAUSED;
	o = ferry_job_json(&job);
	assert_keys(o, keys);
	ck_assert_str_eq(get_str(o, "type"), "migration-in");
	ck_assert_str_eq(get_str(o, "phase"), "prepare");
	ck_assert_int_eq(get_int(o, "protocol"), 2);
	ck_assert(json_object_object_get_ex(o, "flags", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "paused");

	/* A phase this build does not know is written as such, not as another. */
	job.phase = (enum ferry_job_phase)42;
	json_object_put(o);
	o = ferry_job_json(&job);
	ck_assert_str_eq(get_str(o, "phase"), "unknown");
}
END_TEST

/* Migration URIs a client may give */

static const char *const good_uris[] = {
	"tcp:127.0.0.1:49152", "tcp:192.0.2.7:1", "tcp:0.0.0.0:65535",
	"tcp:[::1]:49152", "tcp:[2001:db8::5]:4444", "tcp:[::ffff:192.0.2.1]:80",
	"tcp:localhost:4444", "tcp:dst-1.example.com:49215", "tcp:h:1",
	"unix:/run/ferry/vm-1.migrate", "unix:/tmp/a", "unix:/a+b/c_d.sock",
};

START_TEST(uri_accepted)
{
	char err[256] = "";

	ck_assert_msg(ferry_migrate_check_uri(good_uris[_i], err, sizeof(err)) == 0,
		      "%s: %s", good_uris[_i], err);
}
END_TEST

/* "tcp:" + a host name of nine-letter labels + ":4444", @total bytes in all. */
static const char *long_tcp_uri(size_t total)
{
	static char uri[FERRY_MON_URI_MAX + 16];
	size_t n = 4, end = total - 5;

	ck_assert_uint_lt(total, sizeof(uri));
	memcpy(uri, "tcp:", 4);
	while (n < end) {
		uri[n] = ((n - 4) % 10 == 9 && n + 1 < end) ? '.' : 'a';
		n++;
	}
	memcpy(uri + n, ":4444", 6);
	ck_assert_uint_eq(strlen(uri), total);
	return uri;
}

static const struct { const char *uri, *err; } bad_uris[] = {
	{ "exec:cat > /tmp/x", "migration URI 'exec:cat > /tmp/x' is not allowed" },
	{ "exec:", "migration URI 'exec:' is not allowed" },
	{ "exec:/bin/sh -c 'nc host 4444'", "is not allowed" },
	{ "http://192.0.2.7:4444/", "migration URI 'http://192.0.2.7:4444/' is not allowed" },
	{ "http:192.0.2.7:80", "is not allowed" },
	{ "rdma:192.0.2.7:4444", "is not allowed" },
	{ "file:/tmp/state", "is not allowed" },
	{ "TCP:127.0.0.1:4444", "is not allowed" },
	{ "", "migration URI is empty" },
	{ " tcp:127.0.0.1:4444", "is not allowed" },
	{ "tcp:127.0.0.1:4444 ", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1: 4444", "has a port that is not 1-65535" },
	{ "tcp:ho st:4444", "names no IPv4 address, [IPv6 address] or host name" },
	{ "tcp: 127.0.0.1:4444", "names no IPv4 address" },
	{ "tcp:[::1] :4444", "has no valid [IPv6 address] followed by ':PORT'" },
	{ "tcp:::1:4444", "names no IPv4 address" },
	{ "tcp:127.0.0.1", "has no ':PORT' after the host" },
	{ "tcp:127.0.0.1:0", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:65536", "has a port that is not 1-65535" },
	{ "unix:/a b", "has a socket path with a byte outside [A-Za-z0-9._+/-]" },
	{ "unix:run/x", "has a socket path that is not absolute" },
	{ "unix:/a/../b", "has a socket path with an empty, '.' or '..' component" },
	/* Valid for QEMU and ferry-monitor, but no client hands the broker an fd. */
	{ "fd:migrate", "migration URI 'fd:migrate': fd: is not for clients" },
	{ "fd:x", "migration URI 'fd:x': fd: is not for clients" },
	{ "fd:3", "has an fd name that is not 1-64 bytes starting with a letter" },
	{ "fd:", "has an fd name" },
};

START_TEST(uri_refused)
{
	char err[256] = "";

	ck_assert_int_eq(ferry_migrate_check_uri(bad_uris[_i].uri, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, bad_uris[_i].err), "'%s': '%s' lacks '%s'", bad_uris[_i].uri,
		      err, bad_uris[_i].err);
}
END_TEST

START_TEST(uri_exact_messages)
{
	char err[256] = "";

	ck_assert_int_eq(ferry_migrate_check_uri("fd:migrate_out", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "migration URI 'fd:migrate_out': fd: is not for clients");
	ck_assert_int_eq(ferry_migrate_check_uri("", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "migration URI is empty");
	ck_assert_int_eq(ferry_migrate_check_uri("tcp:127.0.0.1:0", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "migration URI 'tcp:127.0.0.1:0' has a port that is not 1-65535");
}
END_TEST

START_TEST(uri_too_long)
{
	char err[256] = "";
	const char *uri;

	/* 255 bytes is the longest taken, 256 is refused with the length named. */
	uri = long_tcp_uri(FERRY_MON_URI_MAX);
	ck_assert_msg(ferry_migrate_check_uri(uri, err, sizeof(err)) == 0, "%s", err);
	uri = long_tcp_uri(FERRY_MON_URI_MAX + 1);
	ck_assert_int_eq(ferry_migrate_check_uri(uri, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "is 256 bytes long, over 255"), "%s", err);
	/* The log gets an excerpt, not the whole URI. */
	ck_assert_uint_lt(strlen(err), 100);
}
END_TEST

/* Protocol versions spoken */

START_TEST(speaks)
{
	static const struct { unsigned bits; bool v2, v3; } cases[] = {
		{ (1u << 2) | (1u << 3), true, true },
		{ 1u << 2, true, false },
		{ 1u << 3, false, true },
		{ 0, false, false },
	};
	_cleanup_free_ struct ferry_daemon *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		d->cfg.migration_protocols = cases[i].bits;
		ck_assert_msg(ferry_migrate_speaks(d, 2) == cases[i].v2, "bits %#x, v2",
			      cases[i].bits);
		ck_assert_msg(ferry_migrate_speaks(d, 3) == cases[i].v3, "bits %#x, v3",
			      cases[i].bits);
		/* There is no protocol 1 or 4, whatever else is set. */
		ck_assert(!ferry_migrate_speaks(d, 1));
		ck_assert(!ferry_migrate_speaks(d, 4));
	}
}
END_TEST

static Suite *job_suite(void)
{
	Suite *s = suite_create("job");
	TCase *t = tcase_create("names");

	tcase_add_loop_test(t, phase_names, 0, ARRAY_SIZE(phases));
	tcase_add_test(t, phase_names_out_of_range);
	tcase_add_test(t, type_names);
	suite_add_tcase(s, t);

	t = tcase_create("flags");
	tcase_add_test(t, flags_absent_or_empty);
	tcase_add_loop_test(t, flags_each, 0, ARRAY_SIZE(flags));
	tcase_add_test(t, flags_combined);
	tcase_add_loop_test(t, flags_refused, 0, ARRAY_SIZE(bad_flags));
	tcase_add_test(t, flags_short_error_buffer);
	tcase_add_test(t, flags_round_trip);
	suite_add_tcase(s, t);

	t = tcase_create("error");
	tcase_add_test(t, error_first_wins);
	tcase_add_test(t, error_cut_to_fit);
	suite_add_tcase(s, t);

	t = tcase_create("json");
	tcase_add_test(t, stats_empty);
	tcase_add_test(t, stats_full);
	tcase_add_test(t, stats_one_time_missing);
	tcase_add_test(t, job_json_idle);
	tcase_add_test(t, job_json_out);
	tcase_add_test(t, job_json_in);
	suite_add_tcase(s, t);

	t = tcase_create("migrate");
	tcase_add_loop_test(t, uri_accepted, 0, ARRAY_SIZE(good_uris));
	tcase_add_loop_test(t, uri_refused, 0, ARRAY_SIZE(bad_uris));
	tcase_add_test(t, uri_exact_messages);
	tcase_add_test(t, uri_too_long);
	tcase_add_test(t, speaks);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(job_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

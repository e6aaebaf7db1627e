/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-monitor-proto-migration.c - the ferry-monitor migration payloads
 * on plain buffers: migrate-set-capabilities, migrate-set-parameters, the
 * URI of migrate and migrate-incoming, migrate-continue, and the result of
 * query-migrate. Each round-trips in the documented layout, and both ends
 * refuse what a lying helper (or a lying broker) could send instead:
 * truncations, trailing bytes, values out of range, strings outside their
 * alphabet, URIs that are not tcp:, unix: or fd:.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-proto-harness.h"
#include "util.h"

/* A MON_COMMAND header laid out by hand, for payloads no encoder would write. */
static void put_header(struct ferry_wbuf *w, uint32_t cmd)
{
	ferry_wbuf_init(w);
	ferry_put_u32(w, cmd);
	ferry_put_u32(w, 0);
}

/* Both ends refuse @c: the encoder, and the decoder when it is laid out by hand in @w. */
static void expect_command_refused(const struct ferry_mon_command *c, const struct ferry_wbuf *w,
				   const char *why_part)
{
	_cleanup_free_ struct ferry_wbuf *enc = wbuf_new();
	struct ferry_mon_command out;
	char why[256];

	ck_assert_int_eq(ferry_mon_put_command(enc, c), -EINVAL);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_msg(strstr(why, why_part), "'%s' lacks '%s'", why, why_part);
}

START_TEST(caps_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ struct ferry_wbuf *hand = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES }, out;
	char why[128];

	c.args.caps.count = 2;
	c.args.caps.cap[0] = (struct ferry_mon_mig_cap){ "events", 1 };
	c.args.caps.cap[1] = (struct ferry_mon_mig_cap){ "pause-before-switchover", 0 };
	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	/* u32 count, then (str name, u32 state) per capability. */
	put_header(hand, FERRY_MON_MIGRATE_SET_CAPABILITIES);
	ferry_put_u32(hand, 2);
	ferry_put_str(hand, "events");
	ferry_put_u32(hand, 1);
	ferry_put_str(hand, "pause-before-switchover");
	ferry_put_u32(hand, 0);
	ck_assert_uint_eq(w->len, hand->len);
	ck_assert_mem_eq(w->data, hand->data, w->len);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.args.caps.count, 2);
	ck_assert_str_eq(out.args.caps.cap[0].name, "events");
	ck_assert_uint_eq(out.args.caps.cap[0].state, 1);
	ck_assert_str_eq(out.args.caps.cap[1].name, "pause-before-switchover");
	ck_assert_uint_eq(out.args.caps.cap[1].state, 0);
	expect_prefixes_refused(w, dec_command);

	/* The most there may be. */
	c.args.caps.count = FERRY_MON_MAX_CAPS;
	for (unsigned i = 0; i < FERRY_MON_MAX_CAPS; i++) {
		static char names[FERRY_MON_MAX_CAPS][8];

		snprintf(names[i], sizeof(names[i]), "cap-%u", i);
		c.args.caps.cap[i] = (struct ferry_mon_mig_cap){ names[i], i & 1 };
	}
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	ck_assert_uint_le(w->len, FERRY_MON_COMMAND_MAX);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_str_eq(out.args.caps.cap[15].name, "cap-15");
	ck_assert_uint_eq(out.args.caps.cap[15].state, 1);
}
END_TEST

/* Capability lists no end accepts: count, (name, state) pairs, and why. */
static const struct {
	uint32_t count;
	const char *name[2];
	uint32_t state[2];
	const char *why;
} bad_caps[] = {
	{ 0, { NULL }, { 0 }, "capability count 0 is not 1-16" },
	{ 17, { NULL }, { 0 }, "capability count 17 is not 1-16" },
	{ 1, { "Events" }, { 1 }, "'capability'" },
	{ 1, { "x_colo" }, { 1 }, "'capability'" },
	{ 1, { "" }, { 1 }, "'capability'" },
	{ 1, { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, { 1 }, "'capability'" },	/* 33 */
	{ 1, { "events" }, { 2 }, "'state'" },
	{ 2, { "events", "events" }, { 1, 0 }, "capability 'events' is given twice" },
};

START_TEST(caps_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES };
	uint32_t n = bad_caps[_i].count;

	c.args.caps.count = n;
	put_header(w, c.cmd);
	ferry_put_u32(w, n);
	for (uint32_t i = 0; i < n && i < 2 && bad_caps[_i].name[i]; i++) {
		c.args.caps.cap[i] = (struct ferry_mon_mig_cap){ bad_caps[_i].name[i],
								 bad_caps[_i].state[i] };
		ferry_put_str(w, bad_caps[_i].name[i]);
		ferry_put_u32(w, bad_caps[_i].state[i]);
	}
	for (uint32_t i = 2; i < n && i < FERRY_MON_MAX_CAPS; i++)
		c.args.caps.cap[i] = (struct ferry_mon_mig_cap){ "events", 0 };
	expect_command_refused(&c, w, bad_caps[_i].why);
}
END_TEST

START_TEST(params_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ struct ferry_wbuf *hand = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS }, out;
	char why[128];

	c.args.params = (struct ferry_mon_mig_params){
		.present = FERRY_MON_PARAM_MAX_BANDWIDTH | FERRY_MON_PARAM_DOWNTIME_LIMIT,
		.max_bandwidth = INT64_MAX, .downtime_limit = 300,
	};
	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	/* u32 present, then every u64 field, sent or not. */
	put_header(hand, c.cmd);
	ferry_put_u32(hand, 3);
	ferry_put_u64(hand, INT64_MAX);
	ferry_put_u64(hand, 300);
	ferry_put_u64(hand, 0);
	ferry_put_u64(hand, 0);
	ck_assert_uint_eq(w->len, hand->len);
	ck_assert_mem_eq(w->data, hand->data, w->len);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.args.params.present, 3);
	ck_assert_uint_eq(out.args.params.max_bandwidth, INT64_MAX);
	ck_assert_uint_eq(out.args.params.downtime_limit, 300);
	expect_prefixes_refused(w, dec_command);

	c.args.params = (struct ferry_mon_mig_params){
		.present = FERRY_MON_PARAM_ALL, .max_bandwidth = 1,
		.downtime_limit = FERRY_MON_DOWNTIME_LIMIT_MAX, .multifd_channels = 255,
		.max_postcopy_bandwidth = 0,
	};
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.args.params.present, FERRY_MON_PARAM_ALL);
	ck_assert_uint_eq(out.args.params.multifd_channels, 255);
	ck_assert_uint_eq(out.args.params.downtime_limit, 2000000);
}
END_TEST

static const struct {
	struct ferry_mon_mig_params p;
	const char *why;
} bad_params[] = {
	{ { .present = 0 }, "parameter mask is empty or has unknown bits" },
	{ { .present = 0x10 }, "parameter mask is empty or has unknown bits" },
	{ { .present = 1, .downtime_limit = 5 }, "a parameter not in the mask is not 0" },
	{ { .present = 1, .max_bandwidth = (uint64_t)INT64_MAX + 1 }, "exceeds INT64_MAX" },
	{ { .present = 8, .max_postcopy_bandwidth = UINT64_MAX }, "exceeds INT64_MAX" },
	{ { .present = 2, .downtime_limit = 2000001 }, "downtime limit exceeds 2000000 ms" },
	{ { .present = 4, .multifd_channels = 0 }, "multifd channels is not 1-255" },
	{ { .present = 4, .multifd_channels = 256 }, "multifd channels is not 1-255" },
};

START_TEST(params_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS };
	const struct ferry_mon_mig_params *p = &bad_params[_i].p;

	c.args.params = *p;
	put_header(w, c.cmd);
	ferry_put_u32(w, p->present);
	ferry_put_u64(w, p->max_bandwidth);
	ferry_put_u64(w, p->downtime_limit);
	ferry_put_u64(w, p->multifd_channels);
	ferry_put_u64(w, p->max_postcopy_bandwidth);
	expect_command_refused(&c, w, bad_params[_i].why);
}
END_TEST

static const char *const good_uris[] = {
	"tcp:127.0.0.1:4444", "tcp:0.0.0.0:1", "tcp:[::1]:49152", "tcp:[fe80::1:2]:65535",
	"tcp:[::ffff:192.0.2.1]:80", "tcp:localhost:4444", "tcp:dst-1.example.com:4444",
	"tcp:a:1", "unix:/run/ferry/vm-1.migrate", "unix:/tmp/a", "unix:/a+b/c_d.sock",
	"fd:migrate_out", "fd:x", "fd:mig-1",
};

START_TEST(uri_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ struct ferry_wbuf *hand = wbuf_new();
	const uint32_t cmds[] = { FERRY_MON_MIGRATE, FERRY_MON_MIGRATE_INCOMING };
	char why[128];

	ck_assert_msg(ferry_mon_uri_check(good_uris[_i], why, sizeof(why)) == 0, "%s", why);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct ferry_mon_command c = { .cmd = cmds[i] }, out;

		c.args.migrate.uri = good_uris[_i];
		ferry_wbuf_init(w);
		ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
		put_header(hand, cmds[i]);
		ferry_put_str(hand, good_uris[_i]);
		ck_assert_uint_eq(w->len, hand->len);
		ck_assert_mem_eq(w->data, hand->data, w->len);
		ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
		ck_assert_uint_eq(out.cmd, cmds[i]);
		ck_assert_str_eq(out.args.migrate.uri, good_uris[_i]);
		expect_prefixes_refused(w, dec_command);
	}
}
END_TEST

#define UNIX_108 "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FD_65 "fd:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LABEL_64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* URIs no end lets through, and the words that say why. */
static const struct { const char *uri, *why; } bad_uris[] = {
	{ "exec:cat > /tmp/x",
	  "migration URI 'exec:cat > /tmp/x' is not allowed: only tcp:, unix: and fd:" },
	{ "exec:", "migration URI 'exec:' is not allowed: only tcp:, unix: and fd:" },
	{ "", "migration URI is empty" },
	{ "rdma:192.0.2.1:4444", "is not allowed: only tcp:, unix: and fd:" },
	{ "file:/tmp/x", "is not allowed" },
	{ "TCP:127.0.0.1:4444", "is not allowed" },
	{ " tcp:127.0.0.1:4444", "is not allowed" },
	{ "tcp:127.0.0.1", "has no ':PORT' after the host" },
	{ "tcp:127.0.0.1:", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:0", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:65536", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:04444", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:+4444", "has a port that is not 1-65535" },
	{ "tcp:127.0.0.1:4444,ipv4=on", "has a port that is not 1-65535" },
	{ "tcp::4444", "names no IPv4 address, [IPv6 address] or host name" },
	{ "tcp:::1:4444", "names no IPv4 address" },
	{ "tcp:[::1:4444", "has no valid [IPv6 address] followed by ':PORT'" },
	{ "tcp:[::1]4444", "has no valid [IPv6 address]" },
	{ "tcp:[zz::1]:4444", "has no valid [IPv6 address]" },
	{ "tcp:[fe80::1%eth0]:4444", "has no valid [IPv6 address]" },
	{ "tcp:[]:4444", "has no valid [IPv6 address]" },
	{ "tcp:127.1:4444", "names no IPv4 address" },
	{ "tcp:0x7f000001:4444", "names no IPv4 address" },
	{ "tcp:2130706433:4444", "names no IPv4 address" },
	{ "tcp:256.1.1.1:4444", "names no IPv4 address" },
	{ "tcp:01.2.3.4:4444", "names no IPv4 address" },
	{ "tcp:-host:4444", "names no IPv4 address" },
	{ "tcp:host-:4444", "names no IPv4 address" },
	{ "tcp:a..b:4444", "names no IPv4 address" },
	{ "tcp:host.:4444", "names no IPv4 address" },
	{ "tcp:.host:4444", "names no IPv4 address" },
	{ "tcp:ho_st:4444", "names no IPv4 address" },
	{ "tcp:ho st:4444", "names no IPv4 address" },
	{ "tcp:ho\nst:4444", "migration URI 'tcp:ho?st:4444' names no IPv4 address" },
	{ "tcp:h\xc3\xa9:4444", "names no IPv4 address" },
	{ "tcp:" LABEL_64 ":4444", "names no IPv4 address" },
	{ "unix:", "has a socket path that is not absolute" },
	{ "unix:run/x", "has a socket path that is not absolute" },
	{ "unix:@abstract", "has a socket path that is not absolute" },
	{ UNIX_108, "has a socket path of 108 bytes, over 107" },
	{ "unix:/a b", "has a socket path with a byte outside [A-Za-z0-9._+/-]" },
	{ "unix:/a,server=on", "has a socket path with a byte outside" },
	{ "unix:/a;b", "has a socket path with a byte outside" },
	{ "unix:/a/../b", "has a socket path with an empty, '.' or '..' component" },
	{ "unix:/a/./b", "an empty, '.' or '..' component" },
	{ "unix:/a/..", "an empty, '.' or '..' component" },
	{ "unix:/a/.", "an empty, '.' or '..' component" },
	{ "unix:/a//b", "an empty, '.' or '..' component" },
	{ "unix:/a/", "an empty, '.' or '..' component" },
	{ "unix:/", "an empty, '.' or '..' component" },
	{ "fd:", "has an fd name that is not 1-64 bytes starting with a letter" },
	{ "fd:3", "has an fd name that is not 1-64 bytes starting with a letter" },
	{ "fd:-x", "starting with a letter" },
	{ "fd:_x", "starting with a letter" },
	{ FD_65, "starting with a letter" },
	{ "fd:a.b", "has an fd name with a byte outside [A-Za-z0-9_-]" },
	{ "fd:a b", "has an fd name with a byte outside" },
};

/*
 * "tcp:" + a 246-byte host name of short labels + ":4444": 255 bytes,
 * the longest URI there may be; @extra more bytes in the last label.
 */
static const char *long_uri(size_t extra)
{
	static char uri[FERRY_MON_URI_MAX + 8];
	size_t n = 4;

	memcpy(uri, "tcp:", 4);
	for (int i = 0; i < 41; i++) {
		memcpy(uri + n, "abcde.", 6);
		n += 6;
	}
	uri[n - 1] = 'f';	/* 245 bytes so far: the last label is "abcdef" */
	memset(uri + n, 'g', extra);
	n += extra;
	memcpy(uri + n, ":4444", 6);
	ck_assert_uint_eq(strlen(uri), FERRY_MON_URI_MAX + extra);
	return uri;
}

static void expect_uri_refused(const char *uri, const char *why_part)
{
	const uint32_t cmds[] = { FERRY_MON_MIGRATE, FERRY_MON_MIGRATE_INCOMING };
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char why[256];

	ck_assert_int_eq(ferry_mon_uri_check(uri, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, why_part), "'%s' lacks '%s'", why, why_part);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct ferry_mon_command c = { .cmd = cmds[i] };

		c.args.migrate.uri = uri;
		put_header(w, cmds[i]);
		ferry_put_str(w, uri);
		expect_command_refused(&c, w, why_part);
	}
}

START_TEST(uri_refused)
{
	expect_uri_refused(bad_uris[_i].uri, bad_uris[_i].why);
}
END_TEST

START_TEST(uri_too_long)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE };
	char why[256];

	/* 255 bytes pass, 256 do not. */
	ck_assert_msg(ferry_mon_uri_check(long_uri(0), why, sizeof(why)) == 0, "%s", why);
	expect_uri_refused(long_uri(1), "is 256 bytes long, over 255");
	/* The excerpt is cut: a long URI does not flood the log. */
	ck_assert_int_eq(ferry_mon_uri_check(long_uri(1), why, sizeof(why)), -EINVAL);
	ck_assert_uint_lt(strlen(why), 100);
	/* A NULL URI is refused by the encoder: there is nothing to lay out. */
	ck_assert_int_eq(ferry_mon_put_command(w, &c), -EINVAL);
}
END_TEST

START_TEST(continue_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_CONTINUE }, out;
	char why[128];

	c.args.cont.state = "pre-switchover";
	ck_assert_int_eq(ferry_mon_put_command(w, &c), 0);
	ck_assert_uint_eq(w->len, 8 + 4 + sizeof("pre-switchover"));
	ck_assert_int_eq(ferry_mon_get_command(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_str_eq(out.args.cont.state, "pre-switchover");
	expect_prefixes_refused(w, dec_command);

	/* Only a MigrationStatus. */
	c.args.cont.state = "paused";
	put_header(w, c.cmd);
	ferry_put_str(w, "paused");
	expect_command_refused(&c, w, "field 'state' is truncated or malformed");
	c.args.cont.state = "Pre-switchover";
	put_header(w, c.cmd);
	ferry_put_str(w, "Pre-switchover");
	expect_command_refused(&c, w, "'state'");
}
END_TEST

static struct ferry_mon_migration sample_migration(void)
{
	return (struct ferry_mon_migration){
		.status = "active", .present = FERRY_MON_MIG_ALL & ~FERRY_MON_MIG_DOWNTIME,
		.total_time = 201, .expected_downtime = 300, .setup_time = 3,
		.ram_transferred = 213613, .ram_remaining = 266240, .ram_total = 67641344,
		.ram_duplicate = 16465, .ram_normal = 49, .ram_dirty_pages_rate = 7,
		.ram_dirty_sync_count = 1, .ram_mbps_milli = 8389840, .ram_page_size = 4096,
		.error_desc = "",
	};
}

START_TEST(migration_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ struct ferry_wbuf *hand = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_MIGRATE }, out;
	const uint64_t fields[13] = { 201, 300, 0, 3, 213613, 266240, 67641344, 16465, 49, 7,
				      1, 8389840, 4096 };
	char why[128];

	res.ret.migration = sample_migration();
	ck_assert_int_eq(ferry_mon_put_result(w, &res), 0);
	/* str status, u32 present, 13 x u64 in bit order, str error_desc. */
	ferry_wbuf_init(hand);
	ferry_put_u32(hand, FERRY_MON_QUERY_MIGRATE);
	ferry_put_str(hand, "active");
	ferry_put_u32(hand, 0x1ffb);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		ferry_put_u64(hand, fields[i]);
	ferry_put_str(hand, "");
	ck_assert_uint_eq(w->len, hand->len);
	ck_assert_mem_eq(w->data, hand->data, w->len);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_str_eq(out.ret.migration.status, "active");
	ck_assert_uint_eq(out.ret.migration.present, 0x1ffb);
	ck_assert_uint_eq(out.ret.migration.ram_total, 67641344);
	ck_assert_uint_eq(out.ret.migration.ram_mbps_milli, 8389840);
	ck_assert_uint_eq(out.ret.migration.ram_page_size, 4096);
	ck_assert_str_eq(out.ret.migration.error_desc, "");
	expect_prefixes_refused(w, dec_result);

	/* A failed one: status and the longest error description, nothing else. */
	{
		char desc[FERRY_MON_ERROR_DESC_MAX + 1];

		memset(desc, 'e', FERRY_MON_ERROR_DESC_MAX);
		desc[FERRY_MON_ERROR_DESC_MAX] = '\0';
		res.ret.migration = (struct ferry_mon_migration){ .status = "failed",
								  .error_desc = desc };
		ferry_wbuf_init(w);
		ck_assert_int_eq(ferry_mon_put_result(w, &res), 0);
		ck_assert_uint_le(w->len, FERRY_MON_RESULT_MAX);
		ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
		ck_assert_str_eq(out.ret.migration.status, "failed");
		ck_assert_uint_eq(out.ret.migration.present, 0);
		ck_assert_str_eq(out.ret.migration.error_desc, desc);
	}
}
END_TEST

START_TEST(migration_statuses)
{
	static const char *const all[] = {
		"none", "setup", "cancelling", "cancelled", "active", "postcopy-active",
		"postcopy-paused", "postcopy-recover", "completed", "failed", "colo",
		"pre-switchover", "device", "wait-unplug",
	};
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_MIGRATE }, out;
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		res.ret.migration = (struct ferry_mon_migration){ .status = all[i],
								  .error_desc = "" };
		ferry_wbuf_init(w);
		ck_assert_int_eq(ferry_mon_put_result(w, &res), 0);
		ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
		ck_assert_str_eq(out.ret.migration.status, all[i]);
	}
}
END_TEST

/* Results a lying helper could send: status, mask, one field, error_desc, why. */
static const struct {
	const char *status;
	uint32_t present;
	uint64_t downtime;
	const char *desc;
	const char *why;
} bad_migrations[] = {
	{ "bogus", 0, 0, "", "field 'status' is truncated or malformed" },
	{ "running", 0, 0, "", "'status'" },		/* a RunState */
	{ "Active", 0, 0, "", "'status'" },
	{ "", 0, 0, "", "'status'" },
	{ "active", 0x2000, 0, "", "query-migrate mask 0x2000 disagrees with its fields" },
	{ "active", 0, 5, "", "query-migrate mask 0x0 disagrees with its fields" },
	{ "failed", 0, 0, "bad\ndesc", "field 'error_desc' is truncated or malformed" },
	{ "failed", 0, 0, "tab\there", "'error_desc'" },
	{ "failed", 0, 0, "caf\xc3\xa9", "'error_desc'" },
	{ "failed", 0, 0, "\x7f", "'error_desc'" },
};

START_TEST(migration_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_MIGRATE };
	char why[128];

	res.ret.migration = (struct ferry_mon_migration){
		.status = bad_migrations[_i].status, .present = bad_migrations[_i].present,
		.downtime = bad_migrations[_i].downtime, .error_desc = bad_migrations[_i].desc,
	};
	ck_assert_int_eq(ferry_mon_put_result(w, &res), -EINVAL);
	ferry_wbuf_init(w);
	ferry_put_u32(w, FERRY_MON_QUERY_MIGRATE);
	ferry_put_str(w, bad_migrations[_i].status);
	ferry_put_u32(w, bad_migrations[_i].present);
	for (int i = 0; i < 13; i++)
		ferry_put_u64(w, i == 2 ? bad_migrations[_i].downtime : 0);
	ferry_put_str(w, bad_migrations[_i].desc);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &res, why, sizeof(why)), -EBADMSG);
	ck_assert_msg(strstr(why, bad_migrations[_i].why), "'%s' lacks '%s'", why,
		      bad_migrations[_i].why);
}
END_TEST

START_TEST(migration_desc_too_long)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_mon_result res = { .cmd = FERRY_MON_QUERY_MIGRATE };
	char desc[FERRY_MON_ERROR_DESC_MAX + 2];
	char why[128];

	memset(desc, 'e', sizeof(desc) - 1);
	desc[sizeof(desc) - 1] = '\0';
	res.ret.migration = (struct ferry_mon_migration){ .status = "failed", .error_desc = desc };
	ck_assert_int_eq(ferry_mon_put_result(w, &res), -EINVAL);
	res.ret.migration.error_desc = NULL;
	ck_assert_int_eq(ferry_mon_put_result(w, &res), -EINVAL);
	ferry_wbuf_init(w);
	ferry_put_u32(w, FERRY_MON_QUERY_MIGRATE);
	ferry_put_str(w, "failed");
	ferry_put_u32(w, 0);
	for (int i = 0; i < 13; i++)
		ferry_put_u64(w, 0);
	ferry_put_str(w, desc);
	ck_assert_int_eq(ferry_mon_get_result(w->data, w->len, &res, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'error_desc' is truncated or malformed");
}
END_TEST

static Suite *migration_suite(void)
{
	Suite *s = suite_create("monitor-proto-migration");
	TCase *mig = tcase_create("migration");

	tcase_add_test(mig, caps_round_trip);
	tcase_add_loop_test(mig, caps_refused, 0, (int)ARRAY_SIZE(bad_caps));
	tcase_add_test(mig, params_round_trip);
	tcase_add_loop_test(mig, params_refused, 0, (int)ARRAY_SIZE(bad_params));
	tcase_add_loop_test(mig, uri_round_trip, 0, (int)ARRAY_SIZE(good_uris));
	tcase_add_loop_test(mig, uri_refused, 0, (int)ARRAY_SIZE(bad_uris));
	tcase_add_test(mig, uri_too_long);
	tcase_add_test(mig, continue_round_trip);
	tcase_add_test(mig, migration_round_trip);
	tcase_add_test(mig, migration_statuses);
	tcase_add_loop_test(mig, migration_refused, 0, (int)ARRAY_SIZE(bad_migrations));
	tcase_add_test(mig, migration_desc_too_long);
	suite_add_tcase(s, mig);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(migration_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

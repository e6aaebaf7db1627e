/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cookie.c - migration cookies (broker/cookie.c): what a full and a
 * minimal cookie read as, the canonical form and its round trip, every
 * kind of refusal with the line it names, and the peer check.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cookie.h"
#include "util.h"

#define UUID_A "4d3c2b1a-0000-4000-8000-0123456789ab"
#define UUID_H "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0"
#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEAD "<ferry-migration><name>g</name><uuid>" UUID_A "</uuid><hostuuid>" UUID_H \
	"</hostuuid>"
#define TAIL "</ferry-migration>"

static const char full_xml[] =
	"<?xml version='1.0'?>\n"					/* 1 */
	"<ferry-migration>\n"
	"  <!-- a comment is fine -->\n"
	"  <name> guest1 </name>\n"
	"  <uuid>4D3C2B1A-0000-4000-8000-0123456789AB</uuid>\n"	/* 5 */
	"  <hostname>hostA.example</hostname>\n"
	"  <hostuuid>" UUID_H "</hostuuid>\n"
	"  <feature name='graphics'/>\n"
	"  <feature name='lockstate' mandatory='yes'/>\n"
	"  <feature name='statistics' mandatory='no'/>\n"		/* 10 */
	"  <feature name='token'/>\n"
	"  <feature name='zstd'/>\n"
	"  <graphics type='vnc' listen='192.0.2.5' port='5901' tlsPort='05902'/>\n"
	"  <lockstate driver='ferry'><leases> opaque &amp; &lt;text&gt;\t&#13;\n"
	"</leases></lockstate>\n"					/* 15 */
	"  <statistics>\n"
	"    <total-time>1234</total-time><downtime>45</downtime><setup-time>12</setup-time>\n"
	"    <ram-transferred>1073741824</ram-transferred><ram-remaining>0</ram-remaining>\n"
	"    <ram-total>4294967296</ram-total><ram-duplicate>1000</ram-duplicate>\n"
	"    <ram-normal>262144</ram-normal><dirty-sync-count>3</dirty-sync-count>\n"	/* 20 */
	"    <mbps> 123.40 </mbps><data-transferred>18446744073709551615</data-transferred>\n"
	"  </statistics>\n"
	"  <token>" TOKEN "</token>\n"
	"</ferry-migration>\n";

static const char full_canonical[] =
	"<ferry-migration>\n"
	"  <name>guest1</name>\n"
	"  <uuid>" UUID_A "</uuid>\n"
	"  <hostname>hostA.example</hostname>\n"
	"  <hostuuid>" UUID_H "</hostuuid>\n"
	"  <feature name='graphics'/>\n"
	"  <feature name='lockstate' mandatory='yes'/>\n"
	"  <feature name='statistics'/>\n"
	"  <feature name='token'/>\n"
	"  <graphics type='vnc' port='5901' tlsPort='5902' listen='192.0.2.5'/>\n"
	"  <lockstate driver='ferry'>\n"
	"    <leases> opaque &amp; &lt;text&gt;\t&#13;\n</leases>\n"
	"  </lockstate>\n"
	"  <statistics>\n"
	"    <total-time>1234</total-time>\n"
	"    <downtime>45</downtime>\n"
	"    <setup-time>12</setup-time>\n"
	"    <ram-transferred>1073741824</ram-transferred>\n"
	"    <ram-remaining>0</ram-remaining>\n"
	"    <ram-total>4294967296</ram-total>\n"
	"    <ram-duplicate>1000</ram-duplicate>\n"
	"    <ram-normal>262144</ram-normal>\n"
	"    <dirty-sync-count>3</dirty-sync-count>\n"
	"    <mbps>123.4</mbps>\n"
	"    <data-transferred>18446744073709551615</data-transferred>\n"
	"  </statistics>\n"
	"  <token>" TOKEN "</token>\n"
	"</ferry-migration>\n";

static void parse_ok(const char *xml, struct ferry_cookie *c)
{
	char err[512] = "";
	int r = ferry_cookie_parse(xml, strlen(xml), c, err, sizeof(err));

	ck_assert_msg(r == 0, "parse failed (%d): %s\n%s", r, err, xml);
	ck_assert_str_eq(err, "");
}

/* The cookie is refused, and the message holds every NULL-terminated needle. */
static void refused(const char *xml, ...)
{
	struct ferry_cookie c;
	char err[512] = "";
	const char *needle;
	va_list ap;
	int r = ferry_cookie_parse(xml, strlen(xml), &c, err, sizeof(err));

	ck_assert_msg(r == -EINVAL, "accepted (%d) but should not be:\n%s", r, xml);
	va_start(ap, xml);
	while ((needle = va_arg(ap, const char *)))
		ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	va_end(ap);
}

#define REFUSED(xml, ...) refused(xml, __VA_ARGS__, NULL)

/* format(c) parses back equal to c and formats to the same bytes. */
static char *round_trip(const struct ferry_cookie *c)
{
	_cleanup_free_ char *again = NULL;
	struct ferry_cookie d;
	char *xml = NULL;

	ck_assert_int_eq(ferry_cookie_format(c, &xml), 0);
	ck_assert_uint_le(strlen(xml), FERRY_COOKIE_MAX);
	parse_ok(xml, &d);
	ck_assert_msg(ferry_cookie_equal(c, &d), "round trip differs:\n%s", xml);
	ck_assert_int_eq(ferry_cookie_format(&d, &again), 0);
	ck_assert_str_eq(xml, again);
	return xml;
}

START_TEST(test_full_cookie)
{
	struct ferry_cookie c;
	_cleanup_free_ char *xml = NULL;

	parse_ok(full_xml, &c);
	ck_assert_str_eq(c.name, "guest1");
	ck_assert_int_eq(c.uuid[0], 0x4d);
	ck_assert_int_eq(c.uuid[15], 0xab);
	ck_assert_str_eq(c.hostname, "hostA.example");
	ck_assert_int_eq(c.host_uuid[0], 0x1b);
	ck_assert_uint_eq(c.features, FERRY_COOKIE_ALL_FEATURES);
	ck_assert_uint_eq(c.mandatory, FERRY_COOKIE_LOCKSTATE);
	ck_assert_int_eq(c.graphics.type, FERRY_COOKIE_VNC);
	ck_assert_int_eq(c.graphics.port, 5901);
	ck_assert_int_eq(c.graphics.tls_port, 5902);
	ck_assert_str_eq(c.graphics.listen, "192.0.2.5");
	ck_assert_str_eq(c.lockstate.driver, "ferry");
	ck_assert_str_eq(c.lockstate.leases, " opaque & <text>\t\r\n");
	ck_assert_uint_eq(c.stats.present, FERRY_COOKIE_STAT_ALL);
	ck_assert_uint_eq(c.stats.total_time_ms, 1234);
	ck_assert_uint_eq(c.stats.downtime_ms, 45);
	ck_assert_uint_eq(c.stats.setup_time_ms, 12);
	ck_assert_uint_eq(c.stats.ram_transferred, 1073741824);
	ck_assert_uint_eq(c.stats.ram_remaining, 0);
	ck_assert_uint_eq(c.stats.ram_total, 4294967296);
	ck_assert_uint_eq(c.stats.ram_duplicate, 1000);
	ck_assert_uint_eq(c.stats.ram_normal, 262144);
	ck_assert_uint_eq(c.stats.dirty_sync_count, 3);
	ck_assert_double_eq_tol(c.stats.mbps, 123.4, 1e-9);
	ck_assert_uint_eq(c.stats.data_transferred, UINT64_MAX);
	ck_assert_str_eq(c.token, TOKEN);

	xml = round_trip(&c);
	ck_assert_str_eq(xml, full_canonical);
}
END_TEST

START_TEST(test_minimal_cookie)
{
	struct ferry_cookie c, d;
	_cleanup_free_ char *xml = NULL;

	parse_ok(HEAD TAIL, &c);
	ck_assert_str_eq(c.name, "g");
	ck_assert_str_eq(c.hostname, "");
	ck_assert_uint_eq(c.features, 0);
	ck_assert_uint_eq(c.mandatory, 0);
	ck_assert_int_eq(c.graphics.port, -1);
	xml = round_trip(&c);
	ck_assert_str_eq(xml, "<ferry-migration>\n  <name>g</name>\n  <uuid>" UUID_A
			 "</uuid>\n  <hostuuid>" UUID_H "</hostuuid>\n</ferry-migration>\n");

	/* Empty parts of features: no ports, no leases, no statistics. */
	parse_ok(HEAD "<feature name='graphics'/><feature name='lockstate'/>"
		 "<feature name='statistics'/><graphics type='vnc'/><lockstate driver='x'/>"
		 "<statistics/>" TAIL, &d);
	ck_assert_int_eq(d.graphics.port, -1);
	ck_assert_int_eq(d.graphics.tls_port, -1);
	ck_assert_str_eq(d.graphics.listen, "");
	ck_assert_str_eq(d.lockstate.leases, "");
	ck_assert_uint_eq(d.stats.present, 0);
	free(steal_ptr(xml));
	xml = round_trip(&d);
	ck_assert(strstr(xml, "  <graphics type='vnc'/>\n  <lockstate driver='x'/>\n"
			 "  <statistics/>\n"));
	ck_assert(!ferry_cookie_equal(&c, &d));
}
END_TEST

/* Every field at its limit, every lease byte needing an entity: still under 16 KiB. */
START_TEST(test_largest_cookie)
{
	struct ferry_cookie c;
	_cleanup_free_ char *xml = NULL;

	ferry_cookie_init(&c);
	memset(c.name, 'n', FERRY_COOKIE_NAME_MAX);
	memset(c.uuid, 0xff, 16);
	for (size_t i = 0; i < FERRY_COOKIE_HOSTNAME_MAX; i++)
		c.hostname[i] = "&<>'\""[i % 5];
	memset(c.host_uuid, 0xee, 16);
	c.features = c.mandatory = FERRY_COOKIE_ALL_FEATURES;
	c.graphics.type = FERRY_COOKIE_VNC;
	c.graphics.port = c.graphics.tls_port = 65535;
	snprintf(c.graphics.listen, sizeof(c.graphics.listen),
		 "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	memset(c.lockstate.driver, 'd', FERRY_COOKIE_DRIVER_MAX);
	for (size_t i = 0; i < FERRY_COOKIE_LEASES_MAX; i++)
		c.lockstate.leases[i] = i % 2 ? '&' : '\r';
	c.stats.present = FERRY_COOKIE_STAT_ALL;
	c.stats.total_time_ms = c.stats.downtime_ms = c.stats.setup_time_ms = UINT64_MAX;
	c.stats.ram_transferred = c.stats.ram_remaining = c.stats.ram_total = UINT64_MAX;
	c.stats.ram_duplicate = c.stats.ram_normal = c.stats.dirty_sync_count = UINT64_MAX;
	c.stats.data_transferred = UINT64_MAX;
	c.stats.mbps = FERRY_COOKIE_MBPS_MAX;
	memset(c.token, 'f', FERRY_COOKIE_TOKEN_LEN);
	xml = round_trip(&c);
	ck_assert(strstr(xml, "<mbps>1000000000</mbps>"));
}
END_TEST

START_TEST(test_mbps)
{
	static const struct {
		const char *text, *canonical;
	} ok[] = {
		{ "0", "0" }, { "0.0", "0" }, { "0.001", "0.001" }, { "7.10", "7.1" },
		{ "007.250", "7.25" }, { "999999999.999", "999999999.999" },
		{ "1000000000", "1000000000" }, { "1000000000.000", "1000000000" },
	};
	static const char *const bad[] = { "", ".5", "1.", "1.2345", "-1", "1e3", "+1", "1,5",
					   "0x10", "1.-1", "1..2", "1 2", "nan", "inf" };
	static const char *const big[] = { "1000000000.001", "1000000001",
					   "99999999999999999999999999999999" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		_cleanup_free_ char *in = NULL, *out = NULL, *want = NULL;
		struct ferry_cookie c;

		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='statistics'/><statistics>"
					  "<mbps>%s</mbps></statistics>" TAIL, ok[i].text), 0);
		parse_ok(in, &c);
		out = round_trip(&c);
		ck_assert_int_ge(asprintf(&want, "<mbps>%s</mbps>", ok[i].canonical), 0);
		ck_assert_msg(strstr(out, want), "%s: no %s in\n%s", ok[i].text, want, out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *in = NULL;

		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='statistics'/><statistics>\n"
					  "<mbps>%s</mbps></statistics>" TAIL, bad[i]), 0);
		REFUSED(in, "cookie line 2: <mbps>:", "is not a decimal number with at most 3 decimals");
	}
	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		_cleanup_free_ char *in = NULL;

		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='statistics'/><statistics>"
					  "<mbps>%s</mbps></statistics>" TAIL, big[i]), 0);
		REFUSED(in, "cookie line 1: <mbps>:", "is too large");
	}
}
END_TEST

START_TEST(test_unknown_elements_and_attributes)
{
	REFUSED("<ferry-migration>\n<name>g</name>\n<uuid>" UUID_A "</uuid>\n"
		"<hostuuid>" UUID_H "</hostuuid>\n\n\n<foo/>\n" TAIL,
		"cookie line 7: element <foo> is not part of a migration cookie");
	REFUSED(HEAD "<feature name='statistics'/><statistics>\n<ram-dirty>1</ram-dirty>"
		"</statistics>" TAIL,
		"cookie line 2: element <ram-dirty> is not part of a migration cookie's "
		"<statistics>");
	REFUSED(HEAD "<feature name='graphics'/>\n<graphics type='vnc'><cert/></graphics>" TAIL,
		"cookie line 2: element <cert> is not part of a migration cookie's <graphics>");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='x'>\n<lease/></lockstate>"
		TAIL, "cookie line 2: element <lease> is not part of a migration cookie's "
		"<lockstate>");
	REFUSED(HEAD "<feature name='x'><y/></feature>" TAIL, "element <y>");
	REFUSED(HEAD "<token><b>x</b></token>" TAIL, "element <b>");
	REFUSED("<ferry-migration version='2'>" TAIL,
		"cookie line 1: attribute 'version' on <ferry-migration> is not part of a "
		"migration cookie");
	REFUSED(HEAD "<feature name='graphics'/>\n<graphics type='vnc' autoport='yes'/>" TAIL,
		"cookie line 2: attribute 'autoport' on <graphics>");
	REFUSED(HEAD "<feature name='graphics' required='yes'/>" TAIL,
		"attribute 'required' on <feature>");
	REFUSED("<ferry-migration><name lang='en'>g</name>" TAIL, "attribute 'lang' on <name>");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='x'>"
		"<leases id='1'>a</leases></lockstate>" TAIL, "attribute 'id' on <leases>");
	REFUSED(HEAD "<x:foo xmlns:x='urn:x'/>" TAIL,
		"element <x:foo> is not part of a migration cookie");
	REFUSED(HEAD "<foo xmlns='urn:x'/>" TAIL, "element <foo> is not part of a migration");
	REFUSED(HEAD "<feature xmlns:x='urn:x' x:name='graphics'/>" TAIL,
		"attribute 'x:name' on <feature>");
	REFUSED("<ferry-migration xmlns='urn:x'>" TAIL, "in a namespace");
	REFUSED("<qemu-migration/>", "cookie line 1: the root element is <qemu-migration>, "
		"not <ferry-migration>");
	REFUSED(HEAD "stray text" TAIL, "text is not allowed in <ferry-migration>");
	REFUSED(HEAD "<feature name='statistics'/><statistics>5</statistics>" TAIL,
		"text is not allowed in <statistics>");
}
END_TEST

START_TEST(test_features)
{
	struct ferry_cookie c;

	/* Unknown and optional: skipped, not kept. */
	parse_ok(HEAD "<feature name='zstd'/><feature name='zstd' mandatory='no'/>" TAIL, &c);
	ck_assert_uint_eq(c.features, 0);
	REFUSED(HEAD "\n<feature name='nbd' mandatory='yes'/>" TAIL,
		"cookie requires feature 'nbd', which this host does not support (line 2)");
	REFUSED(HEAD "<feature name='graphics' mandatory='maybe'/>" TAIL,
		"<feature>: mandatory 'maybe' is not yes or no");
	REFUSED(HEAD "<feature/>" TAIL, "<feature>: attribute 'name' is required");
	/* Data without its declaration, and a declaration without its data. */
	REFUSED(HEAD "\n<graphics type='vnc'/>" TAIL,
		"cookie line 2: <graphics> without <feature name='graphics'/>");
	REFUSED(HEAD "<lockstate driver='x'/>" TAIL, "<lockstate> without <feature "
		"name='lockstate'/>");
	REFUSED(HEAD "<statistics/>" TAIL, "<statistics> without <feature name='statistics'/>");
	REFUSED(HEAD "<token>" TOKEN "</token>" TAIL, "<token> without <feature name='token'/>");
	REFUSED(HEAD "\n\n<feature name='token'/>" TAIL,
		"cookie line 3: feature 'token' is declared but there is no <token>");
	/* Declared after its data is as good as before. */
	parse_ok(HEAD "<token>" TOKEN "</token><feature name='token' mandatory='yes'/>" TAIL, &c);
	ck_assert_uint_eq(c.features, FERRY_COOKIE_TOKEN);
	ck_assert_uint_eq(c.mandatory, FERRY_COOKIE_TOKEN);
}
END_TEST

START_TEST(test_duplicates)
{
	REFUSED("<ferry-migration>\n<name>a</name>\n<name>b</name>" TAIL,
		"cookie line 3: element <name> appears twice (first on line 2)");
	REFUSED(HEAD "<uuid>" UUID_A "</uuid>" TAIL, "element <uuid> appears twice");
	REFUSED(HEAD "<hostuuid>" UUID_A "</hostuuid>" TAIL, "element <hostuuid> appears twice");
	REFUSED(HEAD "<hostname>a</hostname><hostname>a</hostname>" TAIL,
		"element <hostname> appears twice");
	REFUSED(HEAD "<feature name='graphics'/>\n<feature name='graphics'/>" TAIL,
		"cookie line 2: feature 'graphics' is declared twice (first on line 1)");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc'/><graphics type='vnc'/>"
		TAIL, "element <graphics> appears twice");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='x'/><lockstate driver='x'/>"
		TAIL, "element <lockstate> appears twice");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='x'><leases>a</leases>"
		"<leases>b</leases></lockstate>" TAIL, "element <leases> appears twice");
	REFUSED(HEAD "<feature name='statistics'/><statistics/><statistics/>" TAIL,
		"element <statistics> appears twice");
	REFUSED(HEAD "<feature name='statistics'/><statistics><downtime>1</downtime>\n"
		"<downtime>1</downtime></statistics>" TAIL,
		"cookie line 2: element <downtime> appears twice (first on line 1)");
	REFUSED(HEAD "<feature name='token'/><token>" TOKEN "</token><token>" TOKEN "</token>"
		TAIL, "element <token> appears twice");
}
END_TEST

START_TEST(test_required_and_values)
{
	REFUSED("<ferry-migration>\n<uuid>" UUID_A "</uuid><hostuuid>" UUID_H "</hostuuid>"
		TAIL, "cookie line 1: <ferry-migration> has no <name>");
	REFUSED("<ferry-migration><name>g</name><hostuuid>" UUID_H "</hostuuid>" TAIL,
		"<ferry-migration> has no <uuid>");
	REFUSED("<ferry-migration><name>g</name><uuid>" UUID_A "</uuid>" TAIL,
		"<ferry-migration> has no <hostuuid>");
	REFUSED("<ferry-migration><name></name>" TAIL, "<name>: '' is not a domain name");
	REFUSED("<ferry-migration><name>a b</name>" TAIL, "<name>: 'a b' is not a domain name");
	REFUSED("<ferry-migration><name>-a</name>" TAIL, "is not a domain name");
	REFUSED("<ferry-migration><name>"
		"a12345678901234567890123456789012345678901234567890123456789012345"
		"</name>" TAIL, "is not a domain name");
	REFUSED(HEAD "<hostname>a b</hostname>" TAIL, "<hostname>: 'a b' has a character");
	REFUSED(HEAD "<hostname>\xc3\xa9</hostname>" TAIL, "<hostname>: '?" "?' has a character");
	REFUSED(HEAD "<hostname> </hostname>" TAIL, "<hostname>: '' is not 1 to 255");
	REFUSED(HEAD "<feature name='token'/><token>" TOKEN "0</token>" TAIL,
		"is not 64 lowercase hex digits");
	REFUSED(HEAD "<feature name='token'/><token>"
		"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef</token>" TAIL,
		"is not 64 lowercase hex digits");
	REFUSED(HEAD "<feature name='graphics'/><graphics/>" TAIL,
		"<graphics>: attribute 'type' is required");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='spice'/>" TAIL,
		"<graphics>: type 'spice' is not vnc");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' listen='localhost'/>" TAIL,
		"<graphics>: listen 'localhost' is not an IPv4 or IPv6 address");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' listen=''/>" TAIL,
		"listen '' is not an IPv4");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate/>" TAIL,
		"<lockstate>: attribute 'driver' is required");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='a/b'/>" TAIL,
		"driver 'a/b' is not a lock driver name");
	REFUSED(HEAD "<feature name='lockstate'/><lockstate driver='x'><leases>caf\xc3\xa9"
		"</leases></lockstate>" TAIL, "<leases>:", "not printable ASCII");
	{
		_cleanup_free_ char *big = malloc(FERRY_COOKIE_LEASES_MAX + 2), *in = NULL;
		struct ferry_cookie c;

		memset(big, 'l', FERRY_COOKIE_LEASES_MAX + 1);
		big[FERRY_COOKIE_LEASES_MAX + 1] = '\0';
		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='lockstate'/><lockstate "
					  "driver='x'><leases>%s</leases></lockstate>" TAIL, big), 0);
		REFUSED(in, "is longer than 2048 bytes");
		big[FERRY_COOKIE_LEASES_MAX] = '\0';
		free(steal_ptr(in));
		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='lockstate'/><lockstate "
					  "driver='x'><leases>%s</leases></lockstate>" TAIL, big), 0);
		parse_ok(in, &c);
		ck_assert_uint_eq(strlen(c.lockstate.leases), FERRY_COOKIE_LEASES_MAX);
	}
}
END_TEST

START_TEST(test_uuids)
{
	static const char *const bad[] = {
		"", "4d3c2b1a00004000800001234567 89ab", "{4d3c2b1a-0000-4000-8000-0123456789ab}",
		"4d3c2b1a-0000-4000-8000-0123456789a", "4d3c2b1a-0000-4000-8000-0123456789abc",
		"4d3c2b1a00004000800001234567989ab", "4d3c2b1a-0000-4000-8000_0123456789ab",
		"4d3c2b1g-0000-4000-8000-0123456789ab", "4d3c2b1a-000-04000-8000-0123456789ab",
		"4d3c2b1a0000400080000123456789ab",
	};
	uint8_t u[16];

	ck_assert_int_eq(ferry_uuid_parse("00112233-4455-6677-8899-AaBbCcDdEeFf", u), 0);
	for (size_t i = 0; i < 16; i++)
		ck_assert_int_eq(u[i], (i << 4) | i);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *in = NULL;

		ck_assert_msg(ferry_uuid_parse(bad[i], u) == -EINVAL, "'%s' parsed", bad[i]);
		ck_assert_int_ge(asprintf(&in, "<ferry-migration><name>g</name>\n<uuid>%s</uuid>"
					  TAIL, bad[i]), 0);
		REFUSED(in, "cookie line 2: <uuid>:", "is not a UUID");
		free(steal_ptr(in));
		ck_assert_int_ge(asprintf(&in, "<ferry-migration><name>g</name><uuid>" UUID_A
					  "</uuid><hostuuid>%s</hostuuid>" TAIL, bad[i]), 0);
		REFUSED(in, "<hostuuid>:", "is not a UUID");
	}
}
END_TEST

START_TEST(test_numbers)
{
	static const char *const bad[] = { "", "-1", "+1", "1.5", "0x10", "1e3", "1 2", "abc" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *in = NULL;

		ck_assert_int_ge(asprintf(&in, HEAD "<feature name='statistics'/><statistics>\n"
					  "<ram-total>%s</ram-total></statistics>" TAIL, bad[i]), 0);
		REFUSED(in, "cookie line 2: <ram-total>:", "is not an unsigned number");
	}
	REFUSED(HEAD "<feature name='statistics'/><statistics><downtime>18446744073709551616"
		"</downtime></statistics>" TAIL, "<downtime>: '18446744073709551616' is too large");
	REFUSED(HEAD "<feature name='statistics'/><statistics><downtime>"
		"99999999999999999999999999999999999999</downtime></statistics>" TAIL,
		"is too large");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' port='0'/>" TAIL,
		"<graphics>: port '0' is not a port number (1-65535)");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' port='65536'/>" TAIL,
		"port '65536' is not a port number");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' port='-1'/>" TAIL,
		"port '-1' is not a port number");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' tlsPort='x'/>" TAIL,
		"tlsPort 'x' is not a port number");
	REFUSED(HEAD "<feature name='graphics'/><graphics type='vnc' "
		"port='99999999999999999999999'/>" TAIL, "is not a port number");
}
END_TEST

/* A cookie of @len bytes: the minimal one padded with blanks. */
static char *sized(size_t len)
{
	char *s = malloc(len + 1);
	size_t head = strlen(HEAD), tail = strlen(TAIL);

	ck_assert_ptr_nonnull(s);
	memcpy(s, HEAD, head);
	memset(s + head, ' ', len - head - tail);
	memcpy(s + len - tail, TAIL, tail + 1);
	return s;
}

START_TEST(test_input_limits)
{
	_cleanup_free_ char *max = sized(FERRY_COOKIE_MAX), *over = sized(FERRY_COOKIE_MAX + 1);
	struct ferry_cookie c;
	char err[256];
	static const char nul[] = HEAD "\0<x/>" TAIL;
	char want[128];

	parse_ok(max, &c);
	ck_assert_int_eq(ferry_cookie_parse(over, strlen(over), &c, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "cookie of 16385 bytes exceeds the 16384-byte limit");
	/* Refused on the length alone: the text is not looked at. */
	ck_assert_int_eq(ferry_cookie_parse("", SIZE_MAX, &c, err, sizeof(err)), -E2BIG);

	ck_assert_int_eq(ferry_cookie_parse(nul, sizeof(nul) - 1, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "cookie of %zu bytes has a NUL at byte %zu",
		 sizeof(nul) - 1, strlen(HEAD));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(ferry_cookie_parse(max, 10, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "cookie of 10 bytes is not NUL-terminated");
	ck_assert_int_eq(ferry_cookie_parse("", 0, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "cookie is empty");
	/* No room for a message is no reason to crash. */
	ck_assert_int_eq(ferry_cookie_parse("<x/>", 4, &c, NULL, 0), -EINVAL);
	ck_assert_int_eq(ferry_cookie_parse("<x", 2, &c, err, 1), -EINVAL);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_malformed)
{
	REFUSED("<ferry-migration>\n<name>g</name>\n</ferry>",
		"cookie line 3: malformed XML: Opening and ending tag mismatch");
	REFUSED("<ferry-migration>\n<name a='1' a='2'>g</name>" TAIL,
		"cookie line 2: malformed XML: Attribute a redefined");
	REFUSED(HEAD TAIL "\n<x/>", "cookie line 2: malformed XML: Extra content");
	REFUSED("<ferry-migration", "cookie line 1: malformed XML");
	REFUSED("not xml", "malformed XML");
	REFUSED(" ", "malformed XML");
	REFUSED(HEAD "<hostname>\xff</hostname>" TAIL, "malformed XML");
}
END_TEST

START_TEST(test_doctype_and_entities)
{
	struct ferry_cookie c;

	REFUSED("<?xml version='1.0'?>\n<!DOCTYPE ferry-migration [<!ENTITY x 'y'>]>\n"
		"<ferry-migration><name>&x;</name>" TAIL,
		"cookie line 2: a DOCTYPE is not accepted: a migration cookie takes no DTD");
	REFUSED("<!DOCTYPE m SYSTEM 'http://example.com/m.dtd'><ferry-migration/>",
		"cookie line 1: a DOCTYPE is not accepted");
	REFUSED("<!DOCTYPE m [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
		"<ferry-migration><name>&e;</name>" TAIL, "DOCTYPE");
	REFUSED("<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
		"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><ferry-migration><name>&c;</name>" TAIL,
		"DOCTYPE");
	REFUSED("<ferry-migration>\n<name>&x;</name>" TAIL,
		"cookie line 2: malformed XML: Entity 'x' not defined");
	REFUSED(HEAD "<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/passwd'/>"
		TAIL, "element <xi:include> is not part of a migration cookie");
	/* Predefined entities, character references and CDATA are plain text. */
	parse_ok(HEAD "<feature name='lockstate'/><lockstate driver='x'><leases>&lt;&gt;&amp;"
		 "&apos;&quot;&#65;<![CDATA[<x>]]></leases></lockstate>" TAIL, &c);
	ck_assert_str_eq(c.lockstate.leases, "<>&'\"A<x>");
	parse_ok("<?xml version='1.0' encoding='UTF-8'?><?pi x?>" HEAD "<!-- c -->" TAIL, &c);
	ck_assert_str_eq(c.name, "g");
}
END_TEST

START_TEST(test_format_refusals)
{
	struct ferry_cookie good, c;
	char *xml = NULL;

	parse_ok(full_xml, &good);
#define FORMAT_REFUSED(change) do {					\
		c = good;						\
		change;							\
		ck_assert_int_eq(ferry_cookie_format(&c, &xml), -EINVAL); \
		ck_assert_ptr_null(xml);				\
	} while (0)
	FORMAT_REFUSED(c.name[0] = '\0');
	FORMAT_REFUSED(snprintf(c.name, sizeof(c.name), "a b"));
	FORMAT_REFUSED(memset(c.name, 'a', sizeof(c.name)));
	FORMAT_REFUSED(snprintf(c.hostname, sizeof(c.hostname), "a b"));
	FORMAT_REFUSED(c.features |= 1u << 7);
	FORMAT_REFUSED(c.features &= ~FERRY_COOKIE_LOCKSTATE);	/* still mandatory */
	FORMAT_REFUSED(c.graphics.type = 0);
	FORMAT_REFUSED(c.graphics.port = 0);
	FORMAT_REFUSED(c.graphics.tls_port = 65536);
	FORMAT_REFUSED(snprintf(c.graphics.listen, sizeof(c.graphics.listen), "host"));
	FORMAT_REFUSED(c.lockstate.driver[0] = '\0');
	FORMAT_REFUSED(c.lockstate.leases[0] = '\x01');
	FORMAT_REFUSED(memset(c.lockstate.leases, 'l', sizeof(c.lockstate.leases)));
	FORMAT_REFUSED(c.stats.present |= 1u << 20);
	FORMAT_REFUSED(c.stats.mbps = -1);
	FORMAT_REFUSED(c.stats.mbps = NAN);
	FORMAT_REFUSED(c.stats.mbps = 2e9);
	FORMAT_REFUSED(c.token[3] = 'A');
	FORMAT_REFUSED(c.token[10] = '\0');
#undef FORMAT_REFUSED
	/* What a feature does not carry is neither checked nor written nor compared. */
	c = good;
	c.features = c.mandatory = 0;
	c.graphics.port = 0;
	c.stats.mbps = -1;
	c.token[0] = '\0';
	free(round_trip(&c));
	/* Finer than thousandths is rounded, and compares equal to its rounding. */
	c = good;
	c.stats.mbps = 1.0 / 3.0;
	xml = round_trip(&c);
	ck_assert(strstr(xml, "<mbps>0.333</mbps>"));
	free(xml);
}
END_TEST

START_TEST(test_equal)
{
	struct ferry_cookie a, b;

	parse_ok(full_xml, &a);
	b = a;
	ck_assert(ferry_cookie_equal(&a, &b));
	b.stats.downtime_ms++;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.stats.present &= ~FERRY_COOKIE_STAT_DOWNTIME;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.stats.mbps += 0.001;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.lockstate.leases[1] = 'O';
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.mandatory = 0;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.graphics.tls_port = -1;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.host_uuid[15] ^= 1;
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.token[63] = '0';
	ck_assert(!ferry_cookie_equal(&a, &b));
	b = a;
	b.hostname[0] = 'H';
	ck_assert(!ferry_cookie_equal(&a, &b));
}
END_TEST

START_TEST(test_check_peer)
{
	struct ferry_cookie c;
	uint8_t self[16], dom[16], other[16];
	char err[512];
	char long_name[FERRY_COOKIE_NAME_MAX + 1];

	parse_ok(full_xml, &c);
	ck_assert_int_eq(ferry_uuid_parse("00000000-0000-4000-8000-000000000001", self), 0);
	ck_assert_int_eq(ferry_uuid_parse(UUID_A, dom), 0);
	ck_assert_int_eq(ferry_uuid_parse("00000000-0000-4000-8000-000000000002", other), 0);

	ck_assert_int_eq(ferry_cookie_check_peer(&c, self, "guest1", dom, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");

	ck_assert_int_eq(ferry_cookie_check_peer(&c, c.host_uuid, "guest1", dom, err,
						 sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "cookie: host UUID " UUID_H " is this host's: refusing to "
			 "migrate to the same host");

	ck_assert_int_eq(ferry_cookie_check_peer(&c, self, "guest2", dom, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "cookie names domain 'guest1' (uuid " UUID_A "), expected "
			 "'guest2' (uuid " UUID_A ")");
	ck_assert_int_eq(ferry_cookie_check_peer(&c, self, "guest1", other, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "cookie names domain 'guest1' (uuid " UUID_A "), expected "
			 "'guest1' (uuid 00000000-0000-4000-8000-000000000002)");

	/* Long names in full; odd ones quoted safely. */
	memset(long_name, 'x', FERRY_COOKIE_NAME_MAX);
	long_name[FERRY_COOKIE_NAME_MAX] = '\0';
	ck_assert_int_eq(ferry_cookie_check_peer(&c, self, long_name, dom, err, sizeof(err)),
			 -EINVAL);
	ck_assert(strstr(err, long_name));
	ck_assert_int_eq(ferry_cookie_check_peer(&c, self, "a\nb", dom, err, sizeof(err)),
			 -EINVAL);
	ck_assert(strstr(err, "expected 'a?b'"));
	ck_assert_int_eq(ferry_cookie_check_peer(&c, c.host_uuid, "guest1", dom, NULL, 0),
			 -EINVAL);
}
END_TEST

static Suite *cookie_suite(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("cookie");

	tcase_add_test(tc, test_full_cookie);
	tcase_add_test(tc, test_minimal_cookie);
	tcase_add_test(tc, test_largest_cookie);
	tcase_add_test(tc, test_mbps);
	tcase_add_test(tc, test_unknown_elements_and_attributes);
	tcase_add_test(tc, test_features);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_required_and_values);
	tcase_add_test(tc, test_uuids);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_input_limits);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_doctype_and_entities);
	tcase_add_test(tc, test_format_refusals);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_check_peer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cookie_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

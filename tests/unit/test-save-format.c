/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-save-format.c - the save file header (broker/save-format.c): build
 * and parse round trips, completion, the byte layout, every refusal with
 * the message it gives, and that no single flipped bit of a header is
 * accepted. Checksums are recomputed here from the documented rule, not
 * with the module's own code, so a tampered header can be made valid
 * again and refused for the one fault it was given.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/save-format.h"
#include "util.h"

#define XML "<domain type='kvm'><name>guest1</name></domain>"
#define COOKIE "<ferry-migration>\n  <name>guest1</name>\n</ferry-migration>\n"
#define DATA_LEN 123u

/* A header block and the size of the file it would start. */
struct save {
	uint8_t *buf;
	size_t len;
	uint64_t size;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Recompute crc32 and, in a complete header, crc32_final, as the format
 * says. Lengths that run past the block's 4096 bytes (a header made to be
 * refused for them) leave crc32 as it was.
 */
static void reseal(uint8_t *b)
{
	uint8_t start[40];
	uint64_t body = (uint64_t)rd32(b + 20) + rd32(b + 24);
	uLong crc;

	memcpy(start, b, sizeof(start));
	start[16] &= (uint8_t)~FERRY_SAVE_COMPLETE;
	memset(start + 32, 0, 8);
	crc = crc32(0, start, sizeof(start));
	crc = body <= 4096 - 64 ? crc32(crc, b + 64, (uInt)body) : rd32(b + 40);
	wr32(b + 40, (uint32_t)crc);
	if (b[16] & FERRY_SAVE_COMPLETE)
		wr32(b + 44, (uint32_t)crc32(0, b, 44));
}

static struct save build(const char *cookie, uint32_t format, uint32_t flags)
{
	struct save s = { 0 };
	char err[512] = "";
	int r = ferry_save_header_build(XML, cookie, format, flags, &s.buf, &s.len, err, sizeof(err));

	ck_assert_msg(r == 0, "build failed (%d): %s", r, err);
	s.size = s.len;
	return s;
}

/* A finished save of DATA_LEN bytes of stream. */
static struct save complete(const char *cookie)
{
	struct save s = build(cookie, FERRY_SAVE_FORMAT_GZIP, FERRY_SAVE_RUNNING);

	ferry_save_header_complete(s.buf, DATA_LEN);
	s.size += DATA_LEN;
	return s;
}

static int parse(const struct save *s, struct ferry_save_header *h, const char **xml,
		 const char **cookie, char *err, size_t errlen)
{
	return ferry_save_header_parse(s->buf, s->len, s->size, h, xml, cookie, err, errlen);
}

static void parse_ok(const struct save *s, struct ferry_save_header *h, const char **xml,
		     const char **cookie)
{
	char err[512] = "";
	int r = parse(s, h, xml, cookie, err, sizeof(err));

	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err);
}

/* After its faults were undone, the header is accepted again; then freed. */
static void accepted_and_freed(struct save *s)
{
	struct ferry_save_header h;
	const char *xml, *cookie;

	parse_ok(s, &h, &xml, &cookie);
	free(s->buf);
}

/* Parsing is refused, and the message holds every NULL-terminated needle. */
static void refused(const struct save *s, ...)
{
	struct ferry_save_header h;
	const char *xml, *cookie, *needle;
	char err[512] = "";
	va_list ap;
	int r = parse(s, &h, &xml, &cookie, err, sizeof(err));

	ck_assert_msg(r == -EINVAL, "accepted (%d) but should not be", r);
	ck_assert_msg(strncmp(err, "save file: ", 11) == 0, "error \"%s\" lacks its prefix", err);
	va_start(ap, s);
	while ((needle = va_arg(ap, const char *)))
		ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	va_end(ap);
}

#define REFUSED(s, ...) refused(s, __VA_ARGS__, NULL)

/* Set a u32 field of a complete header and make both checksums agree again. */
static void set32(struct save *s, unsigned off, uint32_t v)
{
	wr32(s->buf + off, v);
	reseal(s->buf);
}

START_TEST(test_round_trips)
{
	static const char *const cookies[] = { NULL, COOKIE };
	static const uint32_t formats[] = { FERRY_SAVE_FORMAT_RAW, FERRY_SAVE_FORMAT_GZIP };
	static const uint32_t flags[] = { 0, FERRY_SAVE_RUNNING };

	for (unsigned i = 0; i < 8; i++) {
		struct save s = build(cookies[i & 1], formats[(i >> 1) & 1], flags[i >> 2]);
		struct ferry_save_header h;
		const char *xml, *cookie;

		ck_assert_uint_eq(s.len, 4096);
		REFUSED(&s, "save file: incomplete (the save did not finish)");
		ferry_save_header_complete(s.buf, 1);
		s.size++;
		parse_ok(&s, &h, &xml, &cookie);
		ck_assert_uint_eq(h.version, 1);
		ck_assert_uint_eq(h.format, formats[(i >> 1) & 1]);
		ck_assert_uint_eq(h.flags, flags[i >> 2] | FERRY_SAVE_COMPLETE);
		ck_assert_uint_eq(h.xml_len, sizeof(XML));
		ck_assert_uint_eq(h.cookie_len, cookies[i & 1] ? sizeof(COOKIE) : 0);
		ck_assert_uint_eq(h.data_offset, 4096);
		ck_assert_uint_eq(h.data_len, 1);
		ck_assert_str_eq(xml, XML);
		ck_assert_ptr_eq(xml, (const char *)s.buf + 64);
		if (cookies[i & 1])
			ck_assert_str_eq(cookie, COOKIE);
		else
			ck_assert_ptr_null(cookie);
		free(s.buf);
	}
}
END_TEST

/* The bytes on disk, field by field, and checksums as the format defines them. */
START_TEST(test_layout)
{
	static const uint8_t fixed[40] = {
		'F', 'E', 'R', 'R', 'Y', 'S', 'A', 'V', 1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0,
		sizeof(XML), 0, 0, 0, sizeof(COOKIE), 0, 0, 0, 0, 0x10, 0, 0,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	};
	struct save s = build(COOKIE, FERRY_SAVE_FORMAT_GZIP, FERRY_SAVE_RUNNING);
	_cleanup_free_ uint8_t *copy = malloc(s.len);
	size_t total = 0;
	char err[512] = "";

	ck_assert_uint_eq(rd32(s.buf + 44), 0);
	memcpy(copy, s.buf, s.len);
	reseal(copy);
	ck_assert_int_eq(memcmp(copy, s.buf, s.len), 0);

	ferry_save_header_complete(s.buf, 0x0102030405060708ull);
	ck_assert_int_eq(memcmp(s.buf, fixed, sizeof(fixed)), 0);
	ck_assert_int_eq(memcmp(s.buf + 40, copy + 40, 4), 0);	/* crc32 unchanged */
	memcpy(copy, s.buf, s.len);
	reseal(copy);
	ck_assert_int_eq(memcmp(copy, s.buf, s.len), 0);
	ck_assert_uint_ne(rd32(s.buf + 44), 0);
	for (size_t i = 48; i < 64; i++)
		ck_assert_uint_eq(s.buf[i], 0);
	ck_assert_int_eq(memcmp(s.buf + 64, XML, sizeof(XML)), 0);
	ck_assert_int_eq(memcmp(s.buf + 64 + sizeof(XML), COOKIE, sizeof(COOKIE)), 0);
	for (size_t i = 64 + sizeof(XML) + sizeof(COOKIE); i < s.len; i++)
		ck_assert_uint_eq(s.buf[i], 0);

	ck_assert_int_eq(ferry_save_header_need(s.buf, &total, err, sizeof(err)), 0);
	ck_assert_uint_eq(total, 4096);
	free(s.buf);
}
END_TEST

static char *text(size_t n, char c)
{
	char *t = malloc(n + 1);

	ck_assert_ptr_nonnull(t);
	memset(t, c, n);
	t[n] = '\0';
	return t;
}

static void build_fails(const char *xml, const char *cookie, uint32_t format, uint32_t flags,
			int want, const char *needle)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[512] = "";
	int r = ferry_save_header_build(xml, cookie, format, flags, &buf, &len, err, sizeof(err));

	ck_assert_int_eq(r, want);
	ck_assert_ptr_null(buf);
	ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
}

/* The largest xml and cookie make the largest header; one byte more is refused. */
START_TEST(test_build_limits)
{
	_cleanup_free_ char *xml = text(FERRY_SAVE_XML_MAX - 1, 'x');
	_cleanup_free_ char *cookie = text(FERRY_SAVE_COOKIE_MAX - 1, 'c');
	_cleanup_free_ char *xml_over = text(FERRY_SAVE_XML_MAX, 'x');
	_cleanup_free_ char *cookie_over = text(FERRY_SAVE_COOKIE_MAX, 'c');
	struct ferry_save_header h;
	struct save s = { 0 };
	const char *x, *c;
	char err[512] = "";

	ck_assert_int_eq(ferry_save_header_build(xml, cookie, 0, 0, &s.buf, &s.len, err,
						 sizeof(err)), 0);
	ck_assert_uint_eq(s.len, FERRY_SAVE_OFFSET_MAX);
	ferry_save_header_complete(s.buf, 5);
	s.size = s.len + 5;
	parse_ok(&s, &h, &x, &c);
	ck_assert_str_eq(x, xml);
	ck_assert_str_eq(c, cookie);
	free(s.buf);

	build_fails(xml_over, NULL, 0, 0, -E2BIG, "domain XML is longer than 1048576");
	build_fails(XML, cookie_over, 0, 0, -E2BIG, "cookie is longer than 16385");
	build_fails("", NULL, 0, 0, -EINVAL, "the domain XML is empty");
	build_fails(XML, "", 0, 0, -EINVAL, "the cookie is empty");
	build_fails(XML, NULL, 2, 0, -EINVAL, "unknown format 2");
	build_fails(XML, NULL, 0, FERRY_SAVE_COMPLETE, -EINVAL, "flags 0x1");
	build_fails(XML, NULL, 0, 0x100, -EINVAL, "flags 0x100");
}
END_TEST

START_TEST(test_refused_fields)
{
	struct save s = complete(COOKIE);

	s.buf[0] = 'f';
	REFUSED(&s, "save file: bad magic (not a ferry save file)");
	s.buf[0] = 'F';
	set32(&s, 8, 2);
	REFUSED(&s, "version 2 is not supported");
	set32(&s, 8, 1);
	set32(&s, 12, 2);
	REFUSED(&s, "unknown format 2 (0 raw, 1 gzip)");
	set32(&s, 12, 0);
	set32(&s, 16, 0x80000003);
	REFUSED(&s, "unknown flags 0x80000000 in flags 0x80000003");
	set32(&s, 16, 3);
	for (unsigned i = 48; i < 64; i++) {
		char want[64];

		s.buf[i] = 0x40;
		reseal(s.buf);
		snprintf(want, sizeof(want), "reserved byte at offset %u is 0x40, not 0", i);
		REFUSED(&s, want);
		s.buf[i] = 0;
	}
	set32(&s, 16, 2);
	REFUSED(&s, "save file: incomplete (the save did not finish)");
	set32(&s, 16, 3);
	ferry_save_header_complete(s.buf, 0);
	s.size -= DATA_LEN;
	REFUSED(&s, "complete but data_len is 0");
	free(s.buf);
}
END_TEST

START_TEST(test_refused_lengths)
{
	struct save s = complete(COOKIE);

	set32(&s, 20, UINT32_MAX);
	REFUSED(&s, "save file: xml_len 4294967295 exceeds 1048576");
	set32(&s, 20, FERRY_SAVE_XML_MAX + 1);
	REFUSED(&s, "xml_len 1048577 exceeds 1048576");
	set32(&s, 20, 1);
	REFUSED(&s, "xml_len 1 is below 2");
	set32(&s, 20, 0);
	REFUSED(&s, "xml_len 0 is below 2");
	set32(&s, 20, sizeof(XML));
	set32(&s, 24, FERRY_SAVE_COOKIE_MAX + 1);
	REFUSED(&s, "cookie_len 16386 exceeds 16385");
	set32(&s, 24, 1);
	REFUSED(&s, "cookie_len 1 is below 2", "0 means none");
	set32(&s, 24, sizeof(COOKIE));
	set32(&s, 28, 4097);
	REFUSED(&s, "data_offset 4097 is not a multiple of 4096");
	set32(&s, 28, 0);
	REFUSED(&s, "data_offset 0 is below 4096");
	set32(&s, 28, FERRY_SAVE_OFFSET_MAX + 4096);
	REFUSED(&s, "data_offset 1073152 exceeds 1069056");
	set32(&s, 28, 4096);
	set32(&s, 20, 4000);
	REFUSED(&s, "data_offset 4096 is below 8192");
	set32(&s, 20, sizeof(XML));
	accepted_and_freed(&s);
}
END_TEST

START_TEST(test_refused_strings_and_padding)
{
	struct save s = complete(COOKIE);
	const unsigned xml_end = 64 + sizeof(XML) - 1, cookie_end = xml_end + sizeof(COOKIE);

	s.buf[xml_end] = 'x';
	reseal(s.buf);
	REFUSED(&s, "the xml (48 bytes at offset 64) does not end in NUL");
	s.buf[xml_end] = 0;
	s.buf[67] = 0;
	reseal(s.buf);
	REFUSED(&s, "the xml (48 bytes at offset 64) has a NUL at offset 67, before its end");
	s.buf[67] = 'm';
	s.buf[cookie_end] = 'x';
	reseal(s.buf);
	REFUSED(&s, "the cookie (60 bytes at offset 112) does not end in NUL");
	s.buf[cookie_end] = 0;
	s.buf[cookie_end - 1] = 0;
	reseal(s.buf);
	REFUSED(&s, "the cookie (60 bytes at offset 112) has a NUL at offset 170");
	s.buf[cookie_end - 1] = '\n';
	reseal(s.buf);
	s.buf[cookie_end + 1] = 1;
	REFUSED(&s, "padding byte at offset 172 is 0x01, not 0");
	s.buf[cookie_end + 1] = 0;
	s.buf[4095] = 0x80;
	REFUSED(&s, "padding byte at offset 4095 is 0x80, not 0");
	free(s.buf);
}
END_TEST

START_TEST(test_refused_checksums)
{
	struct save s = complete(COOKIE);
	char want[128];

	/* The fixed part: crc32_final catches it first... */
	s.buf[16] ^= FERRY_SAVE_RUNNING;
	snprintf(want, sizeof(want), "stored 0x%08x, computed 0x%08x", rd32(s.buf + 44),
		 (unsigned)crc32(0, s.buf, 44));
	REFUSED(&s, "save file: final header checksum mismatch", want);
	/* ...and crc32 when crc32_final was made to agree. */
	wr32(s.buf + 44, (uint32_t)crc32(0, s.buf, 44));
	REFUSED(&s, "save file: header checksum mismatch (stored 0x");
	s.buf[16] ^= FERRY_SAVE_RUNNING;
	reseal(s.buf);

	s.buf[64 + 20] ^= 0x01;
	REFUSED(&s, "save file: header checksum mismatch");
	s.buf[64 + 20] ^= 0x01;
	s.buf[64 + sizeof(XML) + 20] ^= 0x20;
	REFUSED(&s, "save file: header checksum mismatch");
	s.buf[64 + sizeof(XML) + 20] ^= 0x20;
	s.buf[40] ^= 0x04;
	REFUSED(&s, "final header checksum mismatch");
	s.buf[40] ^= 0x04;
	s.buf[47] ^= 0x80;
	REFUSED(&s, "final header checksum mismatch");
	s.buf[47] ^= 0x80;
	accepted_and_freed(&s);
}
END_TEST

START_TEST(test_refused_sizes)
{
	struct save s = complete(NULL);
	size_t total;
	char err[512];

	s.size--;
	REFUSED(&s, "save file: data_len 123 but the file holds 122 bytes after the header "
		"(truncated)");
	s.size += 2;
	REFUSED(&s, "save file: data_len 123 but the file holds 124 bytes after the header "
		"(trailing bytes)");
	s.size = 4095;
	REFUSED(&s, "the file holds 4095 bytes, less than its 4096-byte header (truncated)");
	s.size = 4096 + DATA_LEN;
	s.len = 4095;
	REFUSED(&s, "4095 bytes read, shorter than the 4096-byte header");
	s.len = 63;
	REFUSED(&s, "63 bytes read, shorter than the 64-byte fixed header");
	s.len = 4096;

	/* No overflow: the largest data_len is simply more than the file holds. */
	ferry_save_header_complete(s.buf, UINT64_MAX);
	REFUSED(&s, "data_len 18446744073709551615 but the file holds 123 bytes");
	s.size = UINT64_MAX;
	REFUSED(&s, "holds 18446744073709547519 bytes after the header (truncated)");

	/* need() sees only the fixed part and does not care about the size. */
	ck_assert_int_eq(ferry_save_header_need(s.buf, &total, err, sizeof(err)), 0);
	ck_assert_uint_eq(total, 4096);
	free(s.buf);
}
END_TEST

/* need() refuses what parse() refuses first, with the same message. */
START_TEST(test_need_refusals)
{
	struct save s = complete(NULL);
	size_t total = 7;
	char err[512] = "";

	set32(&s, 28, 8192 + 1);
	ck_assert_int_eq(ferry_save_header_need(s.buf, &total, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "save file: data_offset 8193 is not a multiple of 4096");
	ck_assert_uint_eq(total, 7);
	memcpy(s.buf, "FERRYSAW", 8);
	ck_assert_int_eq(ferry_save_header_need(s.buf, &total, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "save file: bad magic (not a ferry save file)");
	ck_assert_int_eq(ferry_save_header_need(s.buf, &total, NULL, 0), -EINVAL);
	free(s.buf);
}
END_TEST

/* No single flipped bit of a complete header is accepted, padding included. */
START_TEST(test_every_bit)
{
	struct save s = complete(COOKIE);
	struct ferry_save_header h;
	const char *xml, *cookie;
	char err[256];

	for (size_t bit = 0; bit < s.len * 8; bit++) {
		int r;

		s.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		r = parse(&s, &h, &xml, &cookie, err, sizeof(err));
		ck_assert_msg(r == -EINVAL, "bit %zu flipped but accepted (%d)", bit, r);
		s.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	accepted_and_freed(&s);
}
END_TEST

static Suite *save_format_suite(void)
{
	Suite *s = suite_create("save-format");
	TCase *tc = tcase_create("save-format");

	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_build_limits);
	tcase_add_test(tc, test_refused_fields);
	tcase_add_test(tc, test_refused_lengths);
	tcase_add_test(tc, test_refused_strings_and_padding);
	tcase_add_test(tc, test_refused_checksums);
	tcase_add_test(tc, test_refused_sizes);
	tcase_add_test(tc, test_need_refusals);
	tcase_add_test(tc, test_every_bit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(save_format_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tunnel-proto.c - the ferry-tunnel payloads on plain buffers. Each
 * round-trips; the layout is the one documented; every truncation and
 * every trailing byte is refused; and the values a lying helper (or a
 * broker bug) could put in them are refused by the decoder and never
 * produced by the encoder.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-proto-harness.h"
#include "tunnel-proto.h"
#include "util.h"

static int dec_stream(const void *p, size_t len, char *err, size_t errlen)
{
	uint32_t index, flags;

	return ferry_tunnel_get_stream(p, len, &index, &flags, err, errlen);
}

static int dec_rate(const void *p, size_t len, char *err, size_t errlen)
{
	uint64_t rate;

	return ferry_tunnel_get_rate(p, len, &rate, err, errlen);
}

static int dec_progress(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_tunnel_progress pr;

	return ferry_tunnel_get_progress(p, len, &pr, err, errlen);
}

static int dec_end(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_tunnel_end e;

	return ferry_tunnel_get_end(p, len, &e, err, errlen);
}

/* Every index a helper has, with and without flags it knows. */
START_TEST(stream_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	uint32_t expect[2] = { (uint32_t)_i, 0 }, index = 99, flags = 99;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_stream(w, (uint32_t)_i, 0), 0);
	/* u32 index, u32 flags, nothing else: the channel tables' exact length. */
	ck_assert_uint_eq(w->len, FERRY_TUNNEL_STREAM_LEN);
	ck_assert_mem_eq(w->data, expect, sizeof(expect));
	ck_assert_int_eq(ferry_tunnel_get_stream(w->data, w->len, &index, &flags, why, sizeof(why)), 0);
	ck_assert_uint_eq(index, (uint32_t)_i);
	ck_assert_uint_eq(flags, 0);
	expect_prefixes_refused(w, dec_stream);
}
END_TEST

/* An index out of range and every unknown flag: the encoder will not, the decoder says why. */
static const struct { uint32_t index, flags; const char *why; } bad_streams[] = {
	{ 8, 0, "stream index 8 is not 0-7" },
	{ UINT32_MAX, 0, "stream index 4294967295 is not 0-7" },
	{ 0, 0x1, "unknown flags 0x1" },
	{ 7, 0x80000000u, "unknown flags 0x80000000" },
	{ 3, UINT32_MAX, "unknown flags 0xffffffff" },
};

START_TEST(stream_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	uint32_t raw[2] = { bad_streams[_i].index, bad_streams[_i].flags }, index, flags;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_stream(w, raw[0], raw[1]), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	ck_assert_int_eq(ferry_tunnel_get_stream(raw, sizeof(raw), &index, &flags, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, bad_streams[_i].why);
}
END_TEST

/* A malformed payload is -EBADMSG even when its fields are also out of range. */
START_TEST(stream_layout_before_values)
{
	uint32_t raw[3] = { 42, 0xff, 0 }, index, flags;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_get_stream(raw, sizeof(raw), &index, &flags, why, sizeof(why)),
			 -EBADMSG);
	ck_assert_str_eq(why, "4 unexpected bytes after the last field");
	ck_assert_int_eq(ferry_tunnel_get_stream(raw, 5, &index, &flags, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'flags' is truncated or malformed");
}
END_TEST

static const uint64_t rates[] = { 0, 1, 50000000u, UINT64_MAX };

START_TEST(rate_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	uint64_t out = 7;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_rate(w, rates[_i]), 0);
	ck_assert_uint_eq(w->len, FERRY_TUNNEL_SET_RATE_LEN);
	ck_assert_mem_eq(w->data, &rates[_i], sizeof(rates[_i]));
	ck_assert_int_eq(ferry_tunnel_get_rate(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out, rates[_i]);
	expect_prefixes_refused(w, dec_rate);
}
END_TEST

START_TEST(progress_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_tunnel_progress pr = { .bytes = 0x0123456789abcdefull, .open = (uint32_t)_i };
	struct ferry_tunnel_progress out;
	uint8_t expect[12];
	char why[128];

	memcpy(expect, &pr.bytes, 8);
	memcpy(expect + 8, &pr.open, 4);
	ck_assert_int_eq(ferry_tunnel_put_progress(w, &pr), 0);
	ck_assert_uint_eq(w->len, FERRY_TUNNEL_PROGRESS_LEN);
	ck_assert_mem_eq(w->data, expect, sizeof(expect));
	ck_assert_int_eq(ferry_tunnel_get_progress(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.bytes, pr.bytes);
	ck_assert_uint_eq(out.open, pr.open);
	expect_prefixes_refused(w, dec_progress);
}
END_TEST

START_TEST(progress_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_tunnel_progress pr = { .bytes = 1, .open = FERRY_TUNNEL_MAX_STREAMS + 1 };
	uint8_t raw[12] = { 0 };
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_progress(w, &pr), -EINVAL);
	memcpy(raw + 8, &pr.open, 4);
	ck_assert_int_eq(ferry_tunnel_get_progress(raw, sizeof(raw), &pr, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "9 open streams, more than 8");
}
END_TEST

static const struct ferry_tunnel_end good_ends[] = {
	{ 0, 0, 268435456u, "end of stream" },
	{ 7, -ECANCELED, 12, "cancelled" },
	{ 3, -ECONNRESET, 0, "read: Connection reset by peer" },
	{ 5, -FERRY_TUNNEL_ERRNO_MAX, UINT64_MAX, "write: Broken pipe" },
	{ 1, -1, 1, "x" },
};

START_TEST(end_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_tunnel_end *e = &good_ends[_i];
	struct ferry_tunnel_end out;
	uint32_t len = (uint32_t)strlen(e->message) + 1;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_end(w, e), 0);
	/* u32 index, i32 status, u64 bytes, str message. */
	ck_assert_uint_eq(w->len, 4 + 4 + 8 + 4 + len);
	ck_assert_uint_ge(w->len, FERRY_TUNNEL_END_MIN);
	ck_assert_uint_le(w->len, FERRY_TUNNEL_END_MAX);
	ck_assert_mem_eq(w->data, &e->index, 4);
	ck_assert_mem_eq(w->data + 4, &e->status, 4);
	ck_assert_mem_eq(w->data + 8, &e->bytes, 8);
	ck_assert_mem_eq(w->data + 16, &len, 4);
	ck_assert_mem_eq(w->data + 20, e->message, len);
	ck_assert_int_eq(ferry_tunnel_get_end(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.index, e->index);
	ck_assert_int_eq(out.status, e->status);
	ck_assert_uint_eq(out.bytes, e->bytes);
	ck_assert_str_eq(out.message, e->message);
	/* The message points into the payload: nothing was copied. */
	ck_assert_ptr_eq(out.message, (const char *)w->data + 20);
	expect_prefixes_refused(w, dec_end);
}
END_TEST

/* The longest message fits the bound the channel tables use; one more byte does not. */
START_TEST(end_message_bounds)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char msg[FERRY_TUNNEL_MESSAGE_MAX + 2];
	struct ferry_tunnel_end e = { .index = 2, .status = -EPIPE, .message = msg };

	memset(msg, 'a', FERRY_TUNNEL_MESSAGE_MAX);
	msg[FERRY_TUNNEL_MESSAGE_MAX] = '\0';
	ck_assert_int_eq(ferry_tunnel_put_end(w, &e), 0);
	ck_assert_uint_eq(w->len, FERRY_TUNNEL_END_MAX);
	msg[FERRY_TUNNEL_MESSAGE_MAX] = 'a';
	msg[FERRY_TUNNEL_MESSAGE_MAX + 1] = '\0';
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_tunnel_put_end(w, &e), -EINVAL);
	e.message = "";
	ck_assert_int_eq(ferry_tunnel_put_end(w, &e), -EINVAL);
	e.message = NULL;
	ck_assert_int_eq(ferry_tunnel_put_end(w, &e), -EINVAL);
}
END_TEST

/* What a lying helper could send in a well-formed TUNNEL_END. */
static const struct { struct ferry_tunnel_end e; const char *why; } bad_ends[] = {
	{ { 8, 0, 0, "end of stream" }, "stream index 8 is not 0-7" },
	{ { 0, 1, 0, "end of stream" }, "status 1 is neither 0 nor -errno" },
	{ { 0, -4096, 0, "end of stream" }, "status -4096 is neither 0 nor -errno" },
	{ { 0, INT32_MIN, 0, "x" }, "status -2147483648 is neither 0 nor -errno" },
	{ { 0, -EPIPE, 0, "" }, "message is not 1-127 printable ASCII characters" },
	{ { 0, -EPIPE, 0, "write:\tBroken pipe" }, "message is not 1-127 printable ASCII characters" },
	{ { 0, -EPIPE, 0, "\x1b[31mred" }, "message is not 1-127 printable ASCII characters" },
	{ { 0, -EPIPE, 0, "caf\xc3\xa9" }, "message is not 1-127 printable ASCII characters" },
	{ { 0, -EPIPE, 0, "\x7f" }, "message is not 1-127 printable ASCII characters" },
};

/* Encode @e's fields as they are, without the encoder's checks. */
static void put_raw_end(struct ferry_wbuf *w, const struct ferry_tunnel_end *e)
{
	ferry_put_u32(w, e->index);
	ferry_put_i32(w, e->status);
	ferry_put_u64(w, e->bytes);
	ferry_put_str(w, e->message);
	ck_assert_int_eq(w->err, 0);
}

START_TEST(end_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_tunnel_end out;
	char why[128];

	ck_assert_int_eq(ferry_tunnel_put_end(w, &bad_ends[_i].e), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	put_raw_end(w, &bad_ends[_i].e);
	ck_assert_int_eq(ferry_tunnel_get_end(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, bad_ends[_i].why);
}
END_TEST

/* A message of 128 characters: too long, whatever the channel would let through. */
START_TEST(end_message_too_long_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char msg[FERRY_TUNNEL_MESSAGE_MAX + 2];
	struct ferry_tunnel_end e = { .index = 0, .status = -EIO, .message = msg }, out;
	char why[128];

	memset(msg, 'z', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	put_raw_end(w, &e);
	ck_assert_int_eq(ferry_tunnel_get_end(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "message is not 1-127 printable ASCII characters");
}
END_TEST

/* Strings are checked by the codec first: no NUL, or a NUL inside, is malformed. */
START_TEST(end_string_malformed)
{
	uint8_t raw[4 + 4 + 8 + 4 + 4] = { 0 };
	uint32_t len = 4;
	struct ferry_tunnel_end out;
	char why[128];

	memcpy(raw + 16, &len, 4);
	memcpy(raw + 20, "ab\0c", 4);
	ck_assert_int_eq(ferry_tunnel_get_end(raw, sizeof(raw), &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'message' is truncated or malformed");
	memcpy(raw + 20, "abcd", 4);
	ck_assert_int_eq(ferry_tunnel_get_end(raw, sizeof(raw), &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'message' is truncated or malformed");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("tunnel-proto");
	TCase *req = tcase_create("requests");
	TCase *ev = tcase_create("events");

	tcase_add_loop_test(req, stream_round_trip, 0, FERRY_TUNNEL_MAX_STREAMS);
	tcase_add_loop_test(req, stream_refused, 0, (int)ARRAY_SIZE(bad_streams));
	tcase_add_test(req, stream_layout_before_values);
	tcase_add_loop_test(req, rate_round_trip, 0, (int)ARRAY_SIZE(rates));
	suite_add_tcase(s, req);

	tcase_add_loop_test(ev, progress_round_trip, 0, FERRY_TUNNEL_MAX_STREAMS + 1);
	tcase_add_test(ev, progress_refused);
	tcase_add_loop_test(ev, end_round_trip, 0, (int)ARRAY_SIZE(good_ends));
	tcase_add_test(ev, end_message_bounds);
	tcase_add_loop_test(ev, end_refused, 0, (int)ARRAY_SIZE(bad_ends));
	tcase_add_test(ev, end_message_too_long_refused);
	tcase_add_test(ev, end_string_malformed);
	suite_add_tcase(s, ev);
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

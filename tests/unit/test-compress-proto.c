/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-compress-proto.c - the ferry-compress payloads on plain buffers.
 * Each round-trips; the layout is the one documented; every truncation and
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

#include "compress-proto.h"
#include "monitor-proto-harness.h"
#include "util.h"

static int dec_start(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_start s;

	return ferry_compress_get_start(p, len, &s, err, errlen);
}

static int dec_progress(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_progress pr;

	return ferry_compress_get_progress(p, len, &pr, err, errlen);
}

static int dec_done(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_done d;

	return ferry_compress_get_done(p, len, &d, err, errlen);
}

static const struct ferry_compress_start good_starts[] = {
	{ FERRY_COMPRESS_DEFLATE, 0, 0, 0, 0 },
	{ FERRY_COMPRESS_DEFLATE, 0, FERRY_COMPRESS_BLOCK_MIN, 1, 0 },
	{ FERRY_COMPRESS_DEFLATE, 0, FERRY_COMPRESS_BLOCK_MAX, FERRY_COMPRESS_MAX_THREADS, 0 },
	{ FERRY_COMPRESS_INFLATE, 0, 0, 0, 0 },
	{ FERRY_COMPRESS_INFLATE, 0, 0, 0, UINT64_MAX },
};

START_TEST(start_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_compress_start *s = &good_starts[_i];
	struct ferry_compress_start out;
	uint32_t head[4] = { s->mode, s->flags, s->block_size, s->threads };
	char why[160];

	ck_assert_int_eq(ferry_compress_put_start(w, s), 0);
	/* u32 mode, u32 flags, u32 block_size, u32 threads, u64 max_output: the tables' exact length. */
	ck_assert_uint_eq(w->len, FERRY_COMPRESS_START_LEN);
	ck_assert_mem_eq(w->data, head, sizeof(head));
	ck_assert_mem_eq(w->data + 16, &s->max_output, 8);
	ck_assert_int_eq(ferry_compress_get_start(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_mem_eq(&out, s, sizeof(out));
	expect_prefixes_refused(w, dec_start);
}
END_TEST

/* Values out of range or meant for the other mode: the encoder will not, the decoder says why. */
static const struct { struct ferry_compress_start s; const char *why; } bad_starts[] = {
	{ { 0, 0, 0, 0, 0 }, "unknown mode 0 (1 deflate, 2 inflate)" },
	{ { 3, 0, 0, 0, 0 }, "unknown mode 3 (1 deflate, 2 inflate)" },
	{ { 1, 0x1, 0, 0, 0 }, "unknown flags 0x1" },
	{ { 2, UINT32_MAX, 0, 0, 0 }, "unknown flags 0xffffffff" },
	{ { 1, 0, FERRY_COMPRESS_BLOCK_MIN - 1, 0, 0 },
	  "block size 65535 is not 0 or 65536-16777216 bytes" },
	{ { 1, 0, FERRY_COMPRESS_BLOCK_MAX + 1, 0, 0 },
	  "block size 16777217 is not 0 or 65536-16777216 bytes" },
	{ { 1, 0, 0, FERRY_COMPRESS_MAX_THREADS + 1, 0 }, "9 threads, more than 8" },
	{ { 1, 0, 0, 0, 1 }, "deflate takes no output limit" },
	{ { 2, 0, FERRY_COMPRESS_BLOCK_MIN, 0, 0 }, "inflate takes no block size or threads" },
	{ { 2, 0, 0, 1, 0 }, "inflate takes no block size or threads" },
};

/* Encode @s's fields as they are, without the encoder's checks. */
static void put_raw_start(struct ferry_wbuf *w, const struct ferry_compress_start *s)
{
	ferry_put_u32(w, s->mode);
	ferry_put_u32(w, s->flags);
	ferry_put_u32(w, s->block_size);
	ferry_put_u32(w, s->threads);
	ferry_put_u64(w, s->max_output);
	ck_assert_int_eq(w->err, 0);
}

START_TEST(start_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_compress_start out;
	char why[160];

	ck_assert_int_eq(ferry_compress_put_start(w, &bad_starts[_i].s), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	put_raw_start(w, &bad_starts[_i].s);
	ck_assert_int_eq(ferry_compress_get_start(w->data, w->len, &out, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, bad_starts[_i].why);
}
END_TEST

/* A malformed payload is -EBADMSG even when its fields are also out of range. */
START_TEST(start_layout_before_values)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_compress_start bad = { 9, 0xff, 1, 99, 5 };
	struct ferry_compress_start out;
	char why[160];

	put_raw_start(w, &bad);
	ferry_put_u32(w, 0);
	ck_assert_int_eq(ferry_compress_get_start(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "4 unexpected bytes after the last field");
	ck_assert_int_eq(ferry_compress_get_start(w->data, 20, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'max_output' is truncated or malformed");
}
END_TEST

START_TEST(progress_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_compress_progress pr = { 0x0123456789abcdefull, UINT64_MAX - (uint64_t)_i };
	struct ferry_compress_progress out;
	char why[128];

	ck_assert_int_eq(ferry_compress_put_progress(w, &pr), 0);
	ck_assert_uint_eq(w->len, FERRY_COMPRESS_PROGRESS_LEN);
	ck_assert_mem_eq(w->data, &pr.bytes_in, 8);
	ck_assert_mem_eq(w->data + 8, &pr.bytes_out, 8);
	ck_assert_int_eq(ferry_compress_get_progress(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.bytes_in, pr.bytes_in);
	ck_assert_uint_eq(out.bytes_out, pr.bytes_out);
	expect_prefixes_refused(w, dec_progress);
}
END_TEST

static const struct ferry_compress_done good_dones[] = {
	{ 0, 67108864u, 12345, FERRY_COMPRESS_NO_OFFSET, "end of stream" },
	{ -ECANCELED, 0, 0, FERRY_COMPRESS_NO_OFFSET, "cancelled" },
	{ -EBADMSG, 4096, 1u << 20, 4096, "inflate: stream truncated at input offset 4096" },
	{ -EBADMSG, 100, 0, 0, "inflate: bad gzip header in the member at input offset 0: x" },
	{ -EFBIG, UINT64_MAX - 1, 1, UINT64_MAX - 1, "x" },
	{ -FERRY_COMPRESS_ERRNO_MAX, 1, 1, FERRY_COMPRESS_NO_OFFSET, "write: Broken pipe" },
};

START_TEST(done_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_compress_done *d = &good_dones[_i];
	struct ferry_compress_done out;
	uint32_t len = (uint32_t)strlen(d->message) + 1;
	char why[160];

	ck_assert_int_eq(ferry_compress_put_done(w, d), 0);
	/* i32 status, u64 bytes_in, u64 bytes_out, u64 error_offset, str message. */
	ck_assert_uint_eq(w->len, 4 + 8 + 8 + 8 + 4 + len);
	ck_assert_uint_ge(w->len, FERRY_COMPRESS_DONE_MIN);
	ck_assert_uint_le(w->len, FERRY_COMPRESS_DONE_MAX);
	ck_assert_mem_eq(w->data, &d->status, 4);
	ck_assert_mem_eq(w->data + 4, &d->bytes_in, 8);
	ck_assert_mem_eq(w->data + 12, &d->bytes_out, 8);
	ck_assert_mem_eq(w->data + 20, &d->error_offset, 8);
	ck_assert_mem_eq(w->data + 28, &len, 4);
	ck_assert_mem_eq(w->data + 32, d->message, len);
	ck_assert_int_eq(ferry_compress_get_done(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_int_eq(out.status, d->status);
	ck_assert_uint_eq(out.bytes_in, d->bytes_in);
	ck_assert_uint_eq(out.bytes_out, d->bytes_out);
	ck_assert_uint_eq(out.error_offset, d->error_offset);
	/* The message points into the payload: nothing was copied. */
	ck_assert_ptr_eq(out.message, (const char *)w->data + 32);
	expect_prefixes_refused(w, dec_done);
}
END_TEST

/* The longest message fits the bound the channel tables use; one more byte does not. */
START_TEST(done_message_bounds)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char msg[FERRY_COMPRESS_MESSAGE_MAX + 2];
	struct ferry_compress_done d = { -EPIPE, 1, 1, FERRY_COMPRESS_NO_OFFSET, msg }, out;
	char why[160];

	memset(msg, 'a', FERRY_COMPRESS_MESSAGE_MAX);
	msg[FERRY_COMPRESS_MESSAGE_MAX] = '\0';
	ck_assert_int_eq(ferry_compress_put_done(w, &d), 0);
	ck_assert_uint_eq(w->len, FERRY_COMPRESS_DONE_MAX);
	msg[FERRY_COMPRESS_MESSAGE_MAX] = 'a';
	msg[FERRY_COMPRESS_MESSAGE_MAX + 1] = '\0';
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_compress_put_done(w, &d), -EINVAL);
	/* Sent anyway, the decoder refuses it, whatever the channel would let through. */
	ferry_put_i32(w, d.status);
	ferry_put_u64(w, d.bytes_in);
	ferry_put_u64(w, d.bytes_out);
	ferry_put_u64(w, d.error_offset);
	ferry_put_str(w, d.message);
	ck_assert_int_eq(ferry_compress_get_done(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "message is not 1-255 printable ASCII characters");
	d.message = "";
	ck_assert_int_eq(ferry_compress_put_done(w, &d), -EINVAL);
	d.message = NULL;
	ck_assert_int_eq(ferry_compress_put_done(w, &d), -EINVAL);
}
END_TEST

/* What a lying helper could send in a well-formed COMPRESS_DONE. */
static const struct { struct ferry_compress_done d; const char *why; } bad_dones[] = {
	{ { 1, 0, 0, FERRY_COMPRESS_NO_OFFSET, "x" }, "status 1 is neither 0 nor -errno" },
	{ { -4096, 0, 0, FERRY_COMPRESS_NO_OFFSET, "x" }, "status -4096 is neither 0 nor -errno" },
	{ { INT32_MIN, 0, 0, FERRY_COMPRESS_NO_OFFSET, "x" },
	  "status -2147483648 is neither 0 nor -errno" },
	{ { 0, 10, 10, 5, "end of stream" }, "error offset 5 on success" },
	{ { -EBADMSG, 10, 0, 11, "x" }, "error offset 11 is past the 10 bytes read" },
	{ { -EPIPE, 0, 0, FERRY_COMPRESS_NO_OFFSET, "" },
	  "message is not 1-255 printable ASCII characters" },
	{ { -EPIPE, 0, 0, FERRY_COMPRESS_NO_OFFSET, "write:\tBroken pipe" },
	  "message is not 1-255 printable ASCII characters" },
	{ { -EPIPE, 0, 0, FERRY_COMPRESS_NO_OFFSET, "\x1b[31mred" },
	  "message is not 1-255 printable ASCII characters" },
	{ { -EPIPE, 0, 0, FERRY_COMPRESS_NO_OFFSET, "caf\xc3\xa9" },
	  "message is not 1-255 printable ASCII characters" },
};

START_TEST(done_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_compress_done *d = &bad_dones[_i].d;
	struct ferry_compress_done out;
	char why[160];

	ck_assert_int_eq(ferry_compress_put_done(w, d), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	ferry_put_i32(w, d->status);
	ferry_put_u64(w, d->bytes_in);
	ferry_put_u64(w, d->bytes_out);
	ferry_put_u64(w, d->error_offset);
	ferry_put_str(w, d->message);
	ck_assert_int_eq(ferry_compress_get_done(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, bad_dones[_i].why);
}
END_TEST

/* Strings are checked by the codec first: no NUL, or a NUL inside, is malformed. */
START_TEST(done_string_malformed)
{
	uint8_t raw[4 + 8 + 8 + 8 + 4 + 4] = { 0 };
	uint32_t len = 4;
	struct ferry_compress_done out;
	char why[160];

	memcpy(raw + 28, &len, 4);
	memcpy(raw + 32, "ab\0c", 4);
	ck_assert_int_eq(ferry_compress_get_done(raw, sizeof(raw), &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'message' is truncated or malformed");
	memcpy(raw + 32, "abcd", 4);
	ck_assert_int_eq(ferry_compress_get_done(raw, sizeof(raw), &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'message' is truncated or malformed");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("compress-proto");
	TCase *req = tcase_create("requests");
	TCase *ev = tcase_create("events");

	tcase_add_loop_test(req, start_round_trip, 0, (int)ARRAY_SIZE(good_starts));
	tcase_add_loop_test(req, start_refused, 0, (int)ARRAY_SIZE(bad_starts));
	tcase_add_test(req, start_layout_before_values);
	suite_add_tcase(s, req);

	tcase_add_loop_test(ev, progress_round_trip, 0, 2);
	tcase_add_loop_test(ev, done_round_trip, 0, (int)ARRAY_SIZE(good_dones));
	tcase_add_test(ev, done_message_bounds);
	tcase_add_loop_test(ev, done_refused, 0, (int)ARRAY_SIZE(bad_dones));
	tcase_add_test(ev, done_string_malformed);
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

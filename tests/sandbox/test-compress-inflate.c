/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-compress-inflate.c - ferry-compress inflating what it must refuse,
 * under its real sandbox (compress-harness.c). The streams are made with
 * zlib itself, not with the helper's deflate, then damaged: a bit flipped
 * in the deflate data, a CRC32 or an ISIZE that does not match, a cut in
 * the data or in the trailer, a wrong magic, bytes after the last member,
 * nothing at all, a bomb, more output than the broker allows. Each stops
 * with -EBADMSG or -EFBIG and a message naming the input offset, and what
 * came out before is the stream's own first bytes. A stream zlib made
 * with a file name in its header is accepted.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compress-harness.h"
#include "util.h"

#define IO_CHUNK (256u * 1024u)

/* Append one gzip member made by zlib itself (level 6) of @n bytes of @kind from @pos. */
static uint64_t zlib_member(int file, enum cdata_kind kind, uint64_t pos, uint64_t n,
			    const char *name)
{
	gz_header head = { .name = (Bytef *)(uintptr_t)name };
	uint8_t *in = malloc(IO_CHUNK), *out = malloc(IO_CHUNK);
	z_stream z = { 0 };
	uint64_t size = 0;
	int flush, r;

	ck_assert(in && out);
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	if (name)
		ck_assert_int_eq(deflateSetHeader(&z, &head), Z_OK);
	do {
		size_t len = n < IO_CHUNK ? (size_t)n : IO_CHUNK;

		cdata_fill(kind, 7, pos, in, len);
		pos += len;
		n -= len;
		flush = n ? Z_NO_FLUSH : Z_FINISH;
		z.next_in = in;
		z.avail_in = (uInt)len;
		do {
			z.next_out = out;
			z.avail_out = IO_CHUNK;
			r = deflate(&z, flush);
			ck_assert_int_ne(r, Z_STREAM_ERROR);
			ck_assert_int_eq(ferry_write_all(file, out, IO_CHUNK - z.avail_out), 0);
			size += IO_CHUNK - z.avail_out;
		} while (z.avail_out == 0);
	} while (flush != Z_FINISH);
	ck_assert_int_eq(r, Z_STREAM_END);
	deflateEnd(&z);
	free(in);
	free(out);
	return size;
}

/* Members of @each bytes of 30 % random memory, one after another; their offsets into @at. */
static int zlib_stream(unsigned members, uint64_t each, uint64_t *at)
{
	int file = cz_temp_file();

	for (unsigned i = 0; i < members; i++)
		at[i + 1] = at[i] + zlib_member(file, CDATA_MIXED, i * each, each, NULL);
	cz_rewind(file);
	return file;
}

static void poke(int file, uint64_t off, uint8_t xor)
{
	uint8_t b;

	ck_assert_int_eq(pread(file, &b, 1, (off_t)off), 1);
	b ^= xor;
	ck_assert_int_eq(pwrite(file, &b, 1, (off_t)off), 1);
}

/*
 * Inflate @file into a pipe. What comes out before the refusal must be the
 * first bytes of the stream @kind; CDATA_KINDS: anything (a damaged stored
 * block is written before its CRC32 is read). Returns the DONE.
 */
static const struct ferry_compress_done *inflate_refused(int file, enum cdata_kind kind,
							 uint64_t max_output, int32_t status)
{
	struct ferry_compress_start st = { .mode = FERRY_COMPRESS_INFLATE, .max_output = max_output };
	const struct ferry_compress_done *d = &cz_jobs[0].end;
	struct cz_flow r;
	int p[2];

	cz_pipe(p);
	cz_flow_start(&r, cz_reader, p[0], kind, 7, 0);
	cz_start_job(&cz_jobs[0], &st, file, p[1]);
	close(p[1]);
	cz_wait_done(&cz_jobs[0], DATA_TIMEOUT_MS);
	cz_flow_join(&r);
	close(file);
	ck_assert_msg(d->status == status, "status %d (%s), expected %d", d->status, cz_jobs[0].msg,
		      status);
	ck_assert_msg(r.bad_at == UINT64_MAX, "byte %" PRIu64 " differs", r.bad_at);
	ck_assert(r.eof);
	ck_assert_uint_eq(atomic_load(&r.done), d->bytes_out);
	return d;
}

static void expect_refusal(int file, enum cdata_kind kind, uint64_t max_output, int32_t status,
			   uint64_t offset, const char *message)
{
	const struct ferry_compress_done *d = inflate_refused(file, kind, max_output, status);

	ck_assert_str_eq(cz_jobs[0].msg, message);
	ck_assert_uint_eq(d->error_offset, offset);
}

/* A stream made by zlib, not by ferry, with a name in its first header: accepted. */
START_TEST(foreign_stream_accepted)
{
	int file = cz_temp_file();

	zlib_member(file, CDATA_MIXED, 0, 3 * MIB, "guest.img");
	zlib_member(file, CDATA_MIXED, 3 * MIB, MIB + 17, NULL);
	cz_rewind(file);
	cz_inflate_and_check(&cz_jobs[0], file, CDATA_MIXED, 4 * MIB + 17);
	close(file);
}
END_TEST

/* A bit flipped inside the second member's deflate data: refused at an offset inside it. */
START_TEST(corrupt_body_refused)
{
	uint64_t at[4] = { 0 };
	int file = zlib_stream(3, MIB, at);
	const struct ferry_compress_done *d;
	char want[64];

	poke(file, at[1] + (at[2] - at[1]) / 2, 0x10);
	d = inflate_refused(file, CDATA_KINDS, 0, -EBADMSG);
	ck_assert_msg(d->error_offset >= at[1] && d->error_offset < at[2],
		      "offset %" PRIu64 " is outside the member at %" PRIu64 "-%" PRIu64,
		      d->error_offset, at[1], at[2]);
	snprintf(want, sizeof(want), " at input offset %" PRIu64, d->error_offset);
	ck_assert_msg(strncmp(cz_jobs[0].msg, "inflate: ", 9) == 0 && strstr(cz_jobs[0].msg, want),
		      "%s", cz_jobs[0].msg);
	ck_assert_uint_le(d->bytes_out, 2 * MIB);
}
END_TEST

/* Each trailer field is checked: CRC32, then ISIZE, of the first member. */
START_TEST(trailer_refused)
{
	uint64_t at[3] = { 0 };
	int file = zlib_stream(2, MIB, at);

	poke(file, at[1] - (_i ? 2 : 7), 0x01);
	expect_refusal(file, CDATA_MIXED, 0, -EBADMSG, 0,
		       _i ? "inflate: ISIZE mismatch in the member at input offset 0"
			  : "inflate: CRC32 mismatch in the member at input offset 0");
}
END_TEST

/* Cut in the second member's data, then in its trailer: the end of input is named. */
START_TEST(truncated_refused)
{
	uint64_t at[3] = { 0 }, cut;
	int file = zlib_stream(2, MIB, at);
	char want[128];

	cut = _i ? at[2] - 3 : at[1] + (at[2] - at[1]) / 3;
	ck_assert_int_eq(ftruncate(file, (off_t)cut), 0);
	snprintf(want, sizeof(want), "inflate: stream truncated at input offset %" PRIu64
		 " (member at offset %" PRIu64 " unfinished)", cut, at[1]);
	expect_refusal(file, CDATA_MIXED, 0, -EBADMSG, cut, want);
}
END_TEST

START_TEST(wrong_magic_refused)
{
	uint64_t at[2] = { 0 };
	int file = zlib_stream(1, MIB, at);

	poke(file, 0, 0x01);
	expect_refusal(file, CDATA_MIXED, 0, -EBADMSG, 0,
		       "inflate: bad gzip header in the member at input offset 0: incorrect header check");
}
END_TEST

/* Bytes after the last member that are not a member: refused, not ignored as gzip does. */
START_TEST(trailing_garbage_refused)
{
	uint64_t at[2] = { 0 };
	int file = zlib_stream(1, MIB, at);
	char want[128];

	ck_assert_int_eq(pwrite(file, "\0\0\0\0", 4, (off_t)at[1]), 4);
	snprintf(want, sizeof(want), "inflate: bad gzip header in the member at input offset %" PRIu64
		 ": incorrect header check", at[1]);
	expect_refusal(file, CDATA_MIXED, 0, -EBADMSG, at[1], want);
}
END_TEST

START_TEST(empty_inflate_refused)
{
	expect_refusal(cz_temp_file(), CDATA_MIXED, 0, -EBADMSG, 0,
		       "inflate: stream truncated at input offset 0: no gzip member");
}
END_TEST

/* A bomb: one small member of 65 MiB of zero pages. Stopped at the limit, not after. */
START_TEST(bomb_refused)
{
	int file = cz_temp_file();
	uint64_t size = zlib_member(file, CDATA_ZERO, 0, 65ull * MIB, NULL);
	const struct ferry_compress_done *d;

	ck_assert_uint_lt(size, MIB);
	cz_rewind(file);
	d = &cz_jobs[0].end;
	expect_refusal(file, CDATA_ZERO, 0, -EFBIG, 0,
		       "inflate: member at input offset 0 expands beyond the 64 MiB limit per member");
	ck_assert_uint_le(d->bytes_out, 64ull * MIB);
}
END_TEST

/* The broker's total limit: 1.5 MiB of a 3 MiB stream, then refused. */
START_TEST(total_limit_refused)
{
	const uint64_t limit = 3 * MIB / 2;
	uint64_t at[4] = { 0 };
	int file = zlib_stream(3, MIB, at);
	const struct ferry_compress_done *d = inflate_refused(file, CDATA_MIXED, limit, -EFBIG);
	char want[128];

	snprintf(want, sizeof(want), "inflate: output exceeds the limit of %" PRIu64
		 " bytes at input offset %" PRIu64, limit, d->error_offset);
	ck_assert_str_eq(cz_jobs[0].msg, want);
	ck_assert_uint_le(d->bytes_out, limit);
	ck_assert(d->error_offset > at[1] && d->error_offset <= at[2]);
}
END_TEST

static Suite *inflate_suite(void)
{
	Suite *s = suite_create("compress-inflate");
	TCase *tc = tcase_create("refusals");

	tcase_add_checked_fixture(tc, cz_setup, cz_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, foreign_stream_accepted);
	tcase_add_test(tc, corrupt_body_refused);
	tcase_add_loop_test(tc, trailer_refused, 0, 2);
	tcase_add_loop_test(tc, truncated_refused, 0, 2);
	tcase_add_test(tc, wrong_magic_refused);
	tcase_add_test(tc, trailing_garbage_refused);
	tcase_add_test(tc, empty_inflate_refused);
	tcase_add_test(tc, bomb_refused);
	tcase_add_test(tc, total_limit_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(inflate_suite());
	int failed;

	/* The test's own ends see EPIPE, never a signal. */
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gzstream.h - ferry-compress's codec on plain buffers, with no I/O: one
 * input block deflated into one complete gzip member, and a multi-member
 * gzip stream inflated back under limits, one piece at a time. The helper
 * feeds it from its fds; the fuzzer and the tests call it in-process.
 * The stream format is described in docs/compress.md.
 */
#ifndef FERRY_GZSTREAM_H
#define FERRY_GZSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

/* One deflate stream, reused for every member a thread makes. */
struct gz_deflater {
	z_stream z;
	bool ready;
};

/*
 * gz_deflater_init - set up @d (about 300 KiB of zlib state).
 * Return 0 or -ENOMEM.
 */
int gz_deflater_init(struct gz_deflater *d);
/* Free what @d holds; safe on a deflater that never initialized. */
void gz_deflater_fini(struct gz_deflater *d);

/* The most bytes gz_deflate_member() writes for @len input bytes: the member stored. */
size_t gz_member_bound(size_t len);

/*
 * gz_deflate_member - deflate @in[0..@len) into one gzip member at @out,
 * which has room for gz_member_bound(@len) bytes. 4 KiB pages that look
 * random go into stored blocks, the rest at level 1; a member that would
 * come out larger than fully stored is written fully stored instead.
 * @len is at most 4 GiB - 1 (ISIZE holds it whole). Return the member's size.
 */
size_t gz_deflate_member(struct gz_deflater *d, const uint8_t *in, size_t len, uint8_t *out);

/*
 * An inflate in progress: where it stands in the input, what it has made,
 * and, after a failure, what went wrong where.
 */
struct gz_inflater {
	z_stream z;
	gz_header head;		/* head.done tells a header error from a data error */
	bool ready;
	bool in_member;		/* a member has begun and not yet ended */
	uint64_t member_at;	/* input offset of the current (or next) member */
	uint64_t member_out;	/* bytes the current member has expanded to */
	uint64_t total_out;
	uint64_t max_member;	/* limit per member */
	uint64_t max_output;	/* limit over the stream; 0: none */
	uint64_t members;	/* members completed and checked */
	uint64_t err_offset;	/* the input offset the error names */
	char err[200];
};

/*
 * gz_inflater_init - start inflating a stream whose members each expand to
 * at most @max_member bytes and which expands to at most @max_output bytes
 * in all (0: no total limit). Return 0 or -ENOMEM (@s->err says so).
 */
int gz_inflater_init(struct gz_inflater *s, uint64_t max_member, uint64_t max_output);
void gz_inflater_fini(struct gz_inflater *s);

/*
 * gz_inflate_step - inflate from @in[0..@len) into @out[0..@cap).
 * @used, @made: bytes taken from @in and put into @out.
 * Return 1 when @out filled up (call again, even with no input: more may
 * be pending), 0 when all of @in was taken, or -errno on a failure:
 * -EBADMSG for a corrupt stream, -EFBIG for a limit, -ENOMEM; @s->err then
 * names the input offset (also in @s->err_offset), and none of @out may be
 * used. Member boundaries may fall anywhere in @in.
 */
int gz_inflate_step(struct gz_inflater *s, const uint8_t *in, size_t len, size_t *used,
		    uint8_t *out, size_t cap, size_t *made);

/*
 * gz_inflate_finish - the input has ended, and all of it went through
 * gz_inflate_step(): it must have held at least one member and ended
 * where a member ends.
 * Return 0, or -EBADMSG with @s->err and @s->err_offset set.
 */
int gz_inflate_finish(struct gz_inflater *s);

#endif

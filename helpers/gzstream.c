/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gzstream.c - gzip members out of blocks, and gzip streams back into bytes.
 *
 * Deflate: a block becomes one member of its own (RFC 1952), so members
 * can be made in parallel and the output is a plain multi-member gzip
 * stream. Guest memory is mostly pages that compress very well (zero
 * pages, page tables, text) and pages that do not compress at all
 * (encrypted or already compressed data); zlib at level 1 costs about as
 * much on the second kind as on the first and gains nothing. So each
 * 4 KiB page is judged first, by the Rényi (collision) entropy of a
 * sample of its bytes, which needs no logarithm: above 7.5 bits per byte
 * nothing deflate does pays for its time. Runs of such pages go through
 * zlib at level 0 (stored blocks, copied), the rest at level 1, switched
 * with deflateParams() inside one deflate stream. A block that is random
 * throughout never reaches zlib: its member is written stored, by hand.
 *
 * Inflate trusts nothing: zlib checks each member's header, deflate data,
 * CRC32 and ISIZE; this file adds limits on what a member and the whole
 * stream may expand to, refuses anything between or after members that
 * is not a member, and names the input offset of every failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gzstream.h"

#define PAGE 4096u
#define STORED_MAX 65535u	/* bytes in one stored deflate block */
#define GZ_HEAD 10u
#define GZ_TAIL 8u
#define MIB (1024u * 1024u)

/*
 * ID1 ID2, CM deflate, no flags, no mtime, XFL 0, OS unknown: no name and
 * no time, so the same input always gives the same bytes.
 */
static const uint8_t gz_head[GZ_HEAD] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* --- deflate ------------------------------------------------------------- */

int gz_deflater_init(struct gz_deflater *d)
{
	memset(d, 0, sizeof(*d));
	/* Raw deflate: the gzip header and trailer are written here, the same for both paths. */
	if (deflateInit2(&d->z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	d->ready = true;
	return 0;
}

void gz_deflater_fini(struct gz_deflater *d)
{
	if (d->ready)
		deflateEnd(&d->z);
	d->ready = false;
}

static size_t stored_body_size(size_t len)
{
	return len + 5u * (len ? (len + STORED_MAX - 1) / STORED_MAX : 1);
}

/* Deflate data that would not fit in the stored size is not worth keeping: stored it is then. */
size_t gz_member_bound(size_t len)
{
	return GZ_HEAD + stored_body_size(len) + GZ_TAIL;
}

/*
 * Does this page look random? A sample of 1024 of its bytes, four in each
 * 16 at uneven offsets, counted in four tables so that runs of one byte
 * value do not serialize on one counter; then the collision sum of
 * c * (c - 1) over the byte values. Random bytes give about N(N-1)/256
 * (8 bits; the spread is about 7 % of that), a zero page N(N-1) (0 bits);
 * below N(N-1)/181 is above 7.5 bits.
 */
static bool looks_random(const uint8_t *p)
{
	const uint64_t n = PAGE / 4;
	uint16_t c[4][256];
	uint64_t sum = 0;

	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < PAGE; i += 16) {
		c[0][p[i]]++;
		c[1][p[i + 5]]++;
		c[2][p[i + 10]]++;
		c[3][p[i + 15]]++;
	}
	for (unsigned b = 0; b < 256; b++) {
		uint64_t k = (uint64_t)c[0][b] + c[1][b] + c[2][b] + c[3][b];

		sum += k * (k ? k - 1 : 0);
	}
	return sum * 181u < n * (n - 1);
}

/* A short last page is always deflated: too small to judge, too small to matter. */
static bool page_random(const uint8_t *in, size_t len, size_t pos)
{
	return len - pos >= PAGE && looks_random(in + pos);
}

/* Where the run of pages like the one at @pos ends; *@next: what the page there is like. */
static size_t run_end(const uint8_t *in, size_t len, size_t pos, bool random, bool *next)
{
	for (pos += PAGE; pos < len; pos += PAGE) {
		bool r = page_random(in, len, pos);

		if (r != random) {
			*next = r;
			return pos;
		}
	}
	return len;
}

/*
 * The deflate data of a member, page runs stored or at level 1. Return its
 * size, or 0 when it should be stored whole: random throughout, or not
 * within @cap bytes (zlib then just runs out of room).
 */
static size_t deflate_body(struct gz_deflater *d, const uint8_t *in, size_t len, uint8_t *out,
			   size_t cap)
{
	z_stream *z = &d->z;
	bool random = page_random(in, len, 0), next = false;
	int level = 1;
	size_t pos = 0;

	if (random && run_end(in, len, 0, random, &next) == len)
		return 0;
	/* Right after a reset deflateParams() flushes nothing: no call has been made yet. */
	if (deflateReset(z) != Z_OK || deflateParams(z, 1, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	while (pos < len) {
		size_t end = run_end(in, len, pos, random, &next);
		int want = random ? 0 : 1;

		if (want != level && deflateParams(z, want, Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		level = want;
		z->next_in = (Bytef *)(uintptr_t)(in + pos);
		z->avail_in = (uInt)(end - pos);
		if (deflate(z, Z_NO_FLUSH) != Z_OK || z->avail_in)
			return 0;
		pos = end;
		random = next;
	}
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return cap - z->avail_out;
}

/* The deflate data of a member as stored blocks: the data itself, 5 bytes per 64 KiB. */
static size_t store_body(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t n = 0, pos = 0;

	do {
		size_t k = len - pos < STORED_MAX ? len - pos : STORED_MAX;

		out[n] = pos + k == len;	/* BFINAL on the last; BTYPE 00, stored */
		put_le16(out + n + 1, (uint16_t)k);
		put_le16(out + n + 3, (uint16_t)~k);
		memcpy(out + n + 5, in + pos, k);
		n += 5 + k;
		pos += k;
	} while (pos < len);
	return n;
}

size_t gz_deflate_member(struct gz_deflater *d, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t n = deflate_body(d, in, len, out + GZ_HEAD, stored_body_size(len));

	if (n == 0)
		n = store_body(in, len, out + GZ_HEAD);
	memcpy(out, gz_head, GZ_HEAD);
	put_le32(out + GZ_HEAD + n, (uint32_t)crc32_z(0, in, len));
	put_le32(out + GZ_HEAD + n + 4, (uint32_t)len);
	return GZ_HEAD + n + GZ_TAIL;
}

/* --- inflate ------------------------------------------------------------- */

static int fail(struct gz_inflater *s, int r, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct gz_inflater *s, int r, uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->err_offset = offset;
	return r;
}

/* Ready for a member's header; head.done turns 1 once zlib has read it whole. */
static int begin_member(struct gz_inflater *s)
{
	if (inflateReset(&s->z) != Z_OK || inflateGetHeader(&s->z, &s->head) != Z_OK)
		return fail(s, -EINVAL, s->member_at, "inflate: zlib refused a reset");
	s->member_out = 0;
	s->in_member = false;
	return 0;
}

int gz_inflater_init(struct gz_inflater *s, uint64_t max_member, uint64_t max_output)
{
	memset(s, 0, sizeof(*s));
	s->max_member = max_member;
	s->max_output = max_output;
	s->err_offset = UINT64_MAX;
	/* 16 + 15: gzip members only, never a bare zlib stream; the largest window. */
	if (inflateInit2(&s->z, 16 + 15) != Z_OK)
		return fail(s, -ENOMEM, 0, "inflate: out of memory");
	s->ready = true;
	return begin_member(s);
}

void gz_inflater_fini(struct gz_inflater *s)
{
	if (s->ready)
		inflateEnd(&s->z);
	s->ready = false;
}

/* Room to inflate into: never more than one byte past a limit, so a breach is seen. */
static size_t limit_room(const struct gz_inflater *s, size_t room)
{
	uint64_t left = s->max_member - s->member_out + 1;

	if (s->max_output && s->max_output - s->total_out + 1 < left)
		left = s->max_output - s->total_out + 1;
	if (room > left)
		room = (size_t)left;
	return room > UINT_MAX ? UINT_MAX : room;
}

static void size_text(char *buf, size_t len, uint64_t bytes)
{
	if (bytes % MIB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", bytes / MIB);
	else
		snprintf(buf, len, "%" PRIu64 "-byte", bytes);
}

static int check_limits(struct gz_inflater *s)
{
	char size[32];

	if (s->member_out > s->max_member) {
		size_text(size, sizeof(size), s->max_member);
		return fail(s, -EFBIG, s->member_at,
			    "inflate: member at input offset %" PRIu64 " expands beyond the %s limit per member",
			    s->member_at, size);
	}
	if (s->max_output && s->total_out > s->max_output)
		return fail(s, -EFBIG, s->member_at + s->z.total_in,
			    "inflate: output exceeds the limit of %" PRIu64 " bytes at input offset %" PRIu64,
			    s->max_output, s->member_at + s->z.total_in);
	return 0;
}

/* zlib's words for a trailer that does not match, and the field it means. */
static const struct { const char *zmsg, *field; } trailer_errors[] = {
	{ "incorrect data check", "CRC32" },
	{ "incorrect length check", "ISIZE" },
};

static int data_error(struct gz_inflater *s)
{
	const char *zmsg = s->z.msg ? s->z.msg : "unknown error";
	uint64_t at = s->member_at + s->z.total_in;

	/* 1 once the header was read whole; 0 while reading it, -1 for a wrong magic. */
	if (s->head.done != 1)
		return fail(s, -EBADMSG, s->member_at,
			    "inflate: bad gzip header in the member at input offset %" PRIu64 ": %s",
			    s->member_at, zmsg);
	for (size_t i = 0; i < sizeof(trailer_errors) / sizeof(trailer_errors[0]); i++)
		if (strcmp(zmsg, trailer_errors[i].zmsg) == 0)
			return fail(s, -EBADMSG, s->member_at,
				    "inflate: %s mismatch in the member at input offset %" PRIu64,
				    trailer_errors[i].field, s->member_at);
	return fail(s, -EBADMSG, at, "inflate: corrupt deflate data at input offset %" PRIu64 ": %s",
		    at, zmsg);
}

/* One inflate() call. Return 1 to go on, 0 when it needs input, or -errno. */
static int inflate_once(struct gz_inflater *s, const uint8_t *in, size_t len, size_t *used,
			uint8_t *out, size_t room, size_t *made)
{
	z_stream *z = &s->z;
	size_t in_len = len - *used < UINT_MAX ? len - *used : UINT_MAX;
	size_t took, gave;
	int r;

	z->next_in = (Bytef *)(uintptr_t)(in + *used);
	z->avail_in = (uInt)in_len;
	z->next_out = out + *made;
	z->avail_out = (uInt)room;
	r = inflate(z, Z_NO_FLUSH);
	took = in_len - z->avail_in;
	gave = room - z->avail_out;
	*used += took;
	*made += gave;
	s->member_out += gave;
	s->total_out += gave;
	s->in_member |= took > 0;
	if (r == Z_DATA_ERROR || r == Z_NEED_DICT)
		return data_error(s);
	if (r == Z_MEM_ERROR)
		return fail(s, -ENOMEM, s->member_at + z->total_in, "inflate: out of memory");
	if (check_limits(s) < 0)
		return -EFBIG;
	if (r == Z_STREAM_END) {
		s->member_at += z->total_in;
		s->members++;
		return begin_member(s) < 0 ? -EINVAL : 1;
	}
	return r == Z_OK ? 1 : 0;	/* Z_BUF_ERROR: nothing more without input */
}

int gz_inflate_step(struct gz_inflater *s, const uint8_t *in, size_t len, size_t *used,
		    uint8_t *out, size_t cap, size_t *made)
{
	int r;

	*used = *made = 0;
	for (;;) {
		if (*made == cap)
			return 1;
		if (*used == len && !s->in_member)
			return 0;	/* between members: nothing pending */
		r = inflate_once(s, in, len, used, out, limit_room(s, cap - *made), made);
		if (r <= 0)
			return r;
	}
}

int gz_inflate_finish(struct gz_inflater *s)
{
	uint64_t at = s->member_at + (s->in_member ? s->z.total_in : 0);

	if (s->in_member)
		return fail(s, -EBADMSG, at,
			    "inflate: stream truncated at input offset %" PRIu64 " (member at offset %" PRIu64
			    " unfinished)", at, s->member_at);
	if (!s->members)
		return fail(s, -EBADMSG, at, "inflate: stream truncated at input offset %" PRIu64
			    ": no gzip member", at);
	return 0;
}

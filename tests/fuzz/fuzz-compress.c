/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-compress - ferry-compress's parsers in-process: the inflate core
 * (helpers/gzstream.c) that reads save files and tunnelled streams, and
 * the payload decoders of its messages.
 *
 * Input: byte 0 picks what runs (its value modulo 5):
 *  0-2  a payload through its decoder: COMPRESS_START (the helper's side),
 *       COMPRESS_PROGRESS and COMPRESS_DONE (the broker's side). Whatever
 *       a decoder accepts must hold only documented values and encode
 *       back to exactly the same bytes.
 *  3    the rest as a gzip stream through the inflate core, fed in pieces
 *       of byte 1 + 1 bytes into an output buffer of byte 2 * 16 + 1
 *       bytes, with limits small enough to hit. Whatever happens, the
 *       output stays within the limits, a failure names an offset inside
 *       the input with a message COMPRESS_DONE can carry, and a success
 *       ends where a member ends.
 *  4    the rest deflated into one member and inflated back: the same
 *       bytes, within the member's bound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress-proto.h"
#include "helpers/gzstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MEMBER (256u * 1024u)
#define MAX_OUTPUT (1024u * 1024u)

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Accepted: the encoder must give back the payload itself. */
static void same_bytes(const struct ferry_wbuf *w, int r, const uint8_t *p, size_t len)
{
	check(r == 0 && w->len == len && memcmp(w->data, p, len) == 0);
}

static void start(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_start s;
	int r = ferry_compress_get_start(p, len, &s, err, errlen);

	check(r == 0 || r == -EBADMSG || r == -EINVAL);
	if (r < 0)
		return;
	check(len == FERRY_COMPRESS_START_LEN && s.flags == 0);
	check(s.mode == FERRY_COMPRESS_DEFLATE || (s.block_size == 0 && s.threads == 0));
	check(s.mode == FERRY_COMPRESS_INFLATE || s.max_output == 0);
	same_bytes(w, ferry_compress_put_start(w, &s), p, len);
}

static void progress(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_progress pr;

	if (ferry_compress_get_progress(p, len, &pr, err, errlen) < 0)
		return;
	check(len == FERRY_COMPRESS_PROGRESS_LEN);
	same_bytes(w, ferry_compress_put_progress(w, &pr), p, len);
}

static void done(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct ferry_compress_done d;
	const uint8_t *msg;

	if (ferry_compress_get_done(p, len, &d, err, errlen) < 0)
		return;
	check(len >= FERRY_COMPRESS_DONE_MIN && len <= FERRY_COMPRESS_DONE_MAX);
	check(d.status <= 0 && (d.status < 0 || d.error_offset == FERRY_COMPRESS_NO_OFFSET));
	/* The message points into the payload and ends where it does. */
	msg = (const uint8_t *)d.message;
	check(msg > p && msg + strlen(d.message) + 1 == p + len);
	same_bytes(w, ferry_compress_put_done(w, &d), p, len);
}

/* A stream through the inflate core, piece by piece, as the helper feeds it. */
static void inflate_stream(const uint8_t *in, size_t len, size_t piece, size_t cap)
{
	static uint8_t out[4097];
	struct gz_inflater s;
	size_t pos = 0, used, made;
	int r = gz_inflater_init(&s, MAX_MEMBER, MAX_OUTPUT);

	check(r == 0);
	do {
		size_t n = len - pos < piece ? len - pos : piece;

		r = gz_inflate_step(&s, in + pos, n, &used, out, cap, &made);
		check(used <= n && made <= cap);
		pos += used;
		/* Each call takes all it was given unless the output filled up. */
		check(r != 0 || used == n);
	} while (r >= 0 && (r == 1 || pos < len));
	if (r == 0)
		r = gz_inflate_finish(&s);
	check(s.total_out <= MAX_OUTPUT + 1 && s.member_out <= MAX_MEMBER + 1);
	if (r < 0) {
		check(r == -EBADMSG || r == -EFBIG);
		check(s.err_offset <= len && strncmp(s.err, "inflate: ", 9) == 0);
		check(ferry_compress_message_ok(s.err));
	} else {
		check(s.members > 0 && !s.in_member && s.member_at == len);
	}
	gz_inflater_fini(&s);
}

/* Deflate then inflate: the same bytes come back. */
static void round_trip(const uint8_t *in, size_t len)
{
	struct gz_deflater d;
	struct gz_inflater s;
	size_t bound = gz_member_bound(len), n, used, made;
	uint8_t *member = malloc(bound), *back = malloc(len + 1);

	check(member && back && gz_deflater_init(&d) == 0);
	n = gz_deflate_member(&d, in, len, member);
	check(n <= bound);
	check(gz_inflater_init(&s, len, 0) == 0);
	check(gz_inflate_step(&s, member, n, &used, back, len + 1, &made) == 0);
	check(used == n && made == len && memcmp(back, in, len) == 0);
	check(gz_inflate_finish(&s) == 0 && s.members == 1);
	gz_inflater_fini(&s);
	gz_deflater_fini(&d);
	free(member);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const decode[])(struct ferry_wbuf *, const uint8_t *, size_t, char *, size_t) = {
		start, progress, done,
	};
	static struct ferry_wbuf w;
	uint8_t *p;
	char err[192];

	if (size < 3 || size - 1 > FERRY_WIRE_MAX_PAYLOAD)
		return 0;
	/* A buffer of exactly what is parsed: any read past it is caught. */
	p = malloc(size - 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	if (data[0] % 5 < 3) {
		ferry_wbuf_init(&w);
		err[0] = '\0';
		decode[data[0] % 5](&w, p, size - 1, err, sizeof(err));
		check(memchr(err, '\0', sizeof(err)) != NULL);
	} else if (data[0] % 5 == 3) {
		inflate_stream(p + 2, size - 3, (size_t)p[0] + 1, (size_t)p[1] * 16 + 1);
	} else {
		round_trip(p, size - 1);
	}
	free(p);
	return 0;
}

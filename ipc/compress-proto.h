/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-proto.h - the typed payloads of the ferry-compress messages
 * (FERRY_MSG_COMPRESS_*, numbered in wire.h), shared by the broker and the
 * helper.
 *
 * Layouts (codec.h fields, in this order):
 *
 *   COMPRESS_START     u32 mode, u32 flags, u32 block_size, u32 threads,
 *                      u64 max_output              + 2 fds: from (read), to (written)
 *   COMPRESS_OK        empty
 *   COMPRESS_CANCEL    empty
 *   COMPRESS_PROGRESS  u64 bytes_in, u64 bytes_out
 *   COMPRESS_DONE      i32 status, u64 bytes_in, u64 bytes_out,
 *                      u64 error_offset, str message
 *
 * bytes_in counts bytes read from "from", bytes_out bytes written to "to".
 * A job is one stream from "from" to "to": deflated into a multi-member
 * gzip stream, or such a stream inflated back (docs/compress.md). The
 * fields a mode does not use must be 0: block_size and threads belong to
 * deflate, max_output to inflate.
 *
 * COMPRESS_DONE's status is 0 when "from" reached EOF and everything was
 * written, else -errno: -EBADMSG for a corrupt, truncated or foreign
 * stream, -EFBIG for an inflate limit, -ECANCELED for COMPRESS_CANCEL, the
 * failed call's error otherwise. error_offset is the input offset an
 * inflate error names (the same number as in its message), else
 * FERRY_COMPRESS_NO_OFFSET. The message says what happened ("end of
 * stream", "cancelled", "read: Connection reset by peer", "inflate:
 * stream truncated at input offset 4096").
 *
 * Decoders refuse anything but the exact layout and the documented ranges,
 * so a lying helper and a broker bug are caught alike. Strings they return
 * point into the payload (see codec.h).
 */
#ifndef FERRY_COMPRESS_PROTO_H
#define FERRY_COMPRESS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* COMPRESS_START modes. */
#define FERRY_COMPRESS_DEFLATE 1u
#define FERRY_COMPRESS_INFLATE 2u
/* COMPRESS_START flags the helper knows; every other bit is refused. */
#define FERRY_COMPRESS_FLAGS_KNOWN 0x0u
/* Deflate input block, one gzip member each; 0 in COMPRESS_START picks the default. */
#define FERRY_COMPRESS_BLOCK_MIN (64u * 1024u)
#define FERRY_COMPRESS_BLOCK_MAX (16u * 1024u * 1024u)
#define FERRY_COMPRESS_BLOCK_DEFAULT (1024u * 1024u)
/* Deflate threads; 0 in COMPRESS_START lets the helper decide (online cores, at most 4). */
#define FERRY_COMPRESS_MAX_THREADS 8u
#define FERRY_COMPRESS_AUTO_THREADS 4u
/* Inflate: no gzip member may expand beyond this, whatever max_output says. */
#define FERRY_COMPRESS_MEMBER_LIMIT (64ull * 1024u * 1024u)
/* COMPRESS_DONE's error_offset when the end names no input offset. */
#define FERRY_COMPRESS_NO_OFFSET UINT64_MAX
/* Longest COMPRESS_DONE message, NUL excluded. */
#define FERRY_COMPRESS_MESSAGE_MAX 255u
/* The largest errno COMPRESS_DONE's status may carry, negated. */
#define FERRY_COMPRESS_ERRNO_MAX 4095

/* Payload bounds, for the channel tables of both ends. */
#define FERRY_COMPRESS_START_LEN 24u
#define FERRY_COMPRESS_OK_LEN 0u
#define FERRY_COMPRESS_CANCEL_LEN 0u
#define FERRY_COMPRESS_PROGRESS_LEN 16u
#define FERRY_COMPRESS_DONE_MIN (4u + 8u + 8u + 8u + 4u + 2u)
#define FERRY_COMPRESS_DONE_MAX (4u + 8u + 8u + 8u + 4u + FERRY_COMPRESS_MESSAGE_MAX + 1u)

struct ferry_compress_start {
	uint32_t mode;		/* FERRY_COMPRESS_DEFLATE or FERRY_COMPRESS_INFLATE */
	uint32_t flags;		/* FERRY_COMPRESS_FLAGS_KNOWN bits only (none yet: 0) */
	uint32_t block_size;	/* deflate: 0, or BLOCK_MIN to BLOCK_MAX; inflate: 0 */
	uint32_t threads;	/* deflate: 0, or 1 to MAX_THREADS; inflate: 0 */
	uint64_t max_output;	/* inflate: total output limit, 0 = none; deflate: 0 */
};

struct ferry_compress_progress {
	uint64_t bytes_in;	/* read from "from" so far */
	uint64_t bytes_out;	/* written to "to" so far */
};

struct ferry_compress_done {
	int32_t status;		/* 0, or -1 to -FERRY_COMPRESS_ERRNO_MAX */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t error_offset;	/* at most bytes_in; FERRY_COMPRESS_NO_OFFSET: none (so on success) */
	const char *message;	/* 1-255 printable ASCII characters */
};

/* A COMPRESS_DONE message is 1-255 printable ASCII characters. */
bool ferry_compress_message_ok(const char *s);

/*
 * ferry_compress_put_start - encode a COMPRESS_START payload into @w.
 * The request carries two fds beside it: "from", then "to".
 * Return 0, -EINVAL for a value ferry_compress_get_start() would refuse,
 * or -EMSGSIZE when @w is full.
 */
int ferry_compress_put_start(struct ferry_wbuf *w, const struct ferry_compress_start *s);

/*
 * ferry_compress_get_start - decode a COMPRESS_START payload.
 * Return 0; -EBADMSG for a malformed payload; -EINVAL for an unknown mode
 * or flag, or a field out of its range or set for the other mode. Either
 * way @err says what was wrong.
 */
int ferry_compress_get_start(const void *p, size_t len, struct ferry_compress_start *s,
			     char *err, size_t errlen);

/*
 * ferry_compress_put_progress - encode a COMPRESS_PROGRESS payload.
 * Return 0 or -EMSGSIZE.
 */
int ferry_compress_put_progress(struct ferry_wbuf *w, const struct ferry_compress_progress *pr);

/*
 * ferry_compress_get_progress - decode a COMPRESS_PROGRESS payload (the
 * broker, on the helper's word).
 * Return 0, or -EBADMSG with @err naming the fault.
 */
int ferry_compress_get_progress(const void *p, size_t len, struct ferry_compress_progress *pr,
				char *err, size_t errlen);

/*
 * ferry_compress_put_done - encode a COMPRESS_DONE payload.
 * Return 0, -EINVAL for a value ferry_compress_get_done() would refuse,
 * or -EMSGSIZE.
 */
int ferry_compress_put_done(struct ferry_wbuf *w, const struct ferry_compress_done *d);

/*
 * ferry_compress_get_done - decode a COMPRESS_DONE payload (the broker, on
 * the helper's word). @d->message points into @p.
 * Return 0, or -EBADMSG with @err naming the fault: a malformed payload, a
 * status that is neither 0 nor -errno, an error offset on success or past
 * the input read, or a message outside its alphabet or length.
 */
int ferry_compress_get_done(const void *p, size_t len, struct ferry_compress_done *d,
			    char *err, size_t errlen);

#endif

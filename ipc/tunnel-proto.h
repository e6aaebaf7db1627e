/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tunnel-proto.h - the typed payloads of the ferry-tunnel messages
 * (FERRY_MSG_TUNNEL_*, numbered in wire.h), shared by the broker and the
 * helper.
 *
 * Layouts (codec.h fields, in this order):
 *
 *   TUNNEL_STREAM    u32 index, u32 flags        + 2 fds: from (read), to (written)
 *   TUNNEL_OK        empty
 *   TUNNEL_SET_RATE  u64 bytes_per_sec           0 = unlimited
 *   TUNNEL_CLOSE     empty
 *   TUNNEL_PROGRESS  u64 bytes, u32 open
 *   TUNNEL_END       u32 index, i32 status, u64 bytes, str message
 *
 * Byte counts are bytes written to "to": what has left the helper, not
 * what it has read. TUNNEL_END's status is 0 when "from" reached EOF and
 * everything was written, else -errno: -ECANCELED for TUNNEL_CLOSE, the
 * failed call's error otherwise; its message says which side failed
 * ("read: Connection reset by peer", "write: Broken pipe", "end of
 * stream", "cancelled").
 *
 * Decoders refuse anything but the exact layout and the documented
 * ranges, so a lying helper and a broker bug are caught alike. Strings
 * they return point into the payload (see codec.h).
 */
#ifndef FERRY_TUNNEL_PROTO_H
#define FERRY_TUNNEL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* Streams one helper pumps at once; an index is 0 to this less one. */
#define FERRY_TUNNEL_MAX_STREAMS 8u
/* TUNNEL_STREAM flags the helper knows; every other bit is refused. */
#define FERRY_TUNNEL_FLAGS_KNOWN 0x0u
/* Longest TUNNEL_END message, NUL excluded. */
#define FERRY_TUNNEL_MESSAGE_MAX 127u
/* The largest errno TUNNEL_END's status may carry, negated. */
#define FERRY_TUNNEL_ERRNO_MAX 4095

/* Payload bounds, for the channel tables of both ends. */
#define FERRY_TUNNEL_STREAM_LEN 8u
#define FERRY_TUNNEL_OK_LEN 0u
#define FERRY_TUNNEL_SET_RATE_LEN 8u
#define FERRY_TUNNEL_CLOSE_LEN 0u
#define FERRY_TUNNEL_PROGRESS_LEN 12u
#define FERRY_TUNNEL_END_MIN (4u + 4u + 8u + 4u + 2u)
#define FERRY_TUNNEL_END_MAX (4u + 4u + 8u + 4u + FERRY_TUNNEL_MESSAGE_MAX + 1u)

struct ferry_tunnel_progress {
	uint64_t bytes;		/* written over all streams since the helper started */
	uint32_t open;		/* streams open, 0 to FERRY_TUNNEL_MAX_STREAMS */
};

struct ferry_tunnel_end {
	uint32_t index;
	int32_t status;		/* 0, or -1 to -FERRY_TUNNEL_ERRNO_MAX */
	uint64_t bytes;		/* written on this stream */
	const char *message;	/* 1-127 printable ASCII characters */
};

/* A TUNNEL_END message is 1-127 printable ASCII characters. */
bool ferry_tunnel_message_ok(const char *s);

/*
 * ferry_tunnel_put_stream - encode a TUNNEL_STREAM payload into @w.
 * @index: 0 to FERRY_TUNNEL_MAX_STREAMS - 1, not open in the helper.
 * @flags: FERRY_TUNNEL_FLAGS_KNOWN bits only (none yet: 0).
 * The request carries two fds beside it: "from", then "to".
 * Return 0, -EINVAL for an index out of range or an unknown flag, or
 * -EMSGSIZE when @w is full.
 */
int ferry_tunnel_put_stream(struct ferry_wbuf *w, uint32_t index, uint32_t flags);

/*
 * ferry_tunnel_get_stream - decode a TUNNEL_STREAM payload.
 * Return 0; -EBADMSG for a malformed payload; -EINVAL for an index out of
 * range or an unknown flag. Either way @err says what was wrong.
 */
int ferry_tunnel_get_stream(const void *p, size_t len, uint32_t *index, uint32_t *flags,
			    char *err, size_t errlen);

/*
 * ferry_tunnel_put_rate - encode a TUNNEL_SET_RATE payload: bytes per
 * second over all streams together, 0 for no limit.
 * Return 0 or -EMSGSIZE.
 */
int ferry_tunnel_put_rate(struct ferry_wbuf *w, uint64_t bytes_per_sec);

/*
 * ferry_tunnel_get_rate - decode a TUNNEL_SET_RATE payload.
 * Return 0, or -EBADMSG with @err naming the fault.
 */
int ferry_tunnel_get_rate(const void *p, size_t len, uint64_t *bytes_per_sec,
			  char *err, size_t errlen);

/*
 * ferry_tunnel_put_progress - encode a TUNNEL_PROGRESS payload.
 * Return 0, -EINVAL for more open streams than a helper may have, or
 * -EMSGSIZE.
 */
int ferry_tunnel_put_progress(struct ferry_wbuf *w, const struct ferry_tunnel_progress *pr);

/*
 * ferry_tunnel_get_progress - decode a TUNNEL_PROGRESS payload (the
 * broker, on the helper's word).
 * Return 0, or -EBADMSG with @err naming the fault: a malformed payload
 * or more open streams than a helper may have.
 */
int ferry_tunnel_get_progress(const void *p, size_t len, struct ferry_tunnel_progress *pr,
			      char *err, size_t errlen);

/*
 * ferry_tunnel_put_end - encode a TUNNEL_END payload.
 * Return 0, -EINVAL for a value ferry_tunnel_get_end() would refuse, or
 * -EMSGSIZE.
 */
int ferry_tunnel_put_end(struct ferry_wbuf *w, const struct ferry_tunnel_end *e);

/*
 * ferry_tunnel_get_end - decode a TUNNEL_END payload (the broker, on the
 * helper's word). @e->message points into @p.
 * Return 0, or -EBADMSG with @err naming the fault: a malformed payload,
 * an index out of range, a status that is neither 0 nor -errno, or a
 * message outside its alphabet or length.
 */
int ferry_tunnel_get_end(const void *p, size_t len, struct ferry_tunnel_end *e,
			 char *err, size_t errlen);

#endif

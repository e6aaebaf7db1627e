/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * codec.h - payload encoding: fixed-width integers and length-prefixed,
 * NUL-terminated strings, written into and read out of bounded buffers.
 *
 * A string field is u32 length (counting the NUL) then the bytes. On
 * receipt a string must end in its NUL and hold no other; the reader then
 * points into the packet, so nothing is copied or allocated.
 *
 * Readers and writers latch the first error; callers check once at the end.
 */
#ifndef FERRY_CODEC_H
#define FERRY_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct ferry_wbuf {
	uint8_t data[FERRY_WIRE_MAX_PAYLOAD];
	size_t len;
	int err;		/* -EMSGSIZE once a put did not fit */
};

struct ferry_rbuf {
	const uint8_t *p;
	size_t left;
	int err;		/* -EBADMSG once a get failed */
	const char *what;	/* the field that failed */
};

void ferry_wbuf_init(struct ferry_wbuf *w);
void ferry_put_u32(struct ferry_wbuf *w, uint32_t v);
void ferry_put_i32(struct ferry_wbuf *w, int32_t v);
void ferry_put_u64(struct ferry_wbuf *w, uint64_t v);
void ferry_put_i64(struct ferry_wbuf *w, int64_t v);
void ferry_put_str(struct ferry_wbuf *w, const char *s);

void ferry_rbuf_init(struct ferry_rbuf *r, const void *p, size_t len);
uint32_t ferry_get_u32(struct ferry_rbuf *r, const char *what);
int32_t ferry_get_i32(struct ferry_rbuf *r, const char *what);
uint64_t ferry_get_u64(struct ferry_rbuf *r, const char *what);
int64_t ferry_get_i64(struct ferry_rbuf *r, const char *what);
/* Returns a pointer into the payload, or "" after an error. */
const char *ferry_get_str(struct ferry_rbuf *r, const char *what);
/*
 * ferry_get_end - finish reading a payload.
 * Return 0, or -EBADMSG when a field failed or bytes are left over; in
 * both cases @errbuf says which.
 */
int ferry_get_end(struct ferry_rbuf *r, char *errbuf, size_t errlen);

#endif

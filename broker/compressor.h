/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compressor.h - the broker's side of one ferry-compress job: a stream
 * deflated into gzip members, or inflated back, between two fds the
 * broker hands over and never reads itself. One helper per stream.
 *
 * How it ends is reported once: @done with the byte counts when the
 * stream ended whole, @failed with the helper named and what went wrong
 * otherwise (a corrupt stream and its offset, a killed helper).
 */
#ifndef FERRY_COMPRESSOR_H
#define FERRY_COMPRESSOR_H

#include <stdint.h>

#include "compress-proto.h"

struct ferry_daemon;
struct ferry_compressor;

struct ferry_compressor_ops {
	void (*failed)(struct ferry_compressor *c, const char *why, void *data);
	void (*done)(struct ferry_compressor *c, uint64_t bytes_in, uint64_t bytes_out, void *data);
};

/*
 * ferry_compressor_start - spawn a ferry-compress and start @start's job
 * from @from to @to (both taken). @label names the stream in logs.
 * Return: 0 with @out set, or -errno with @err.
 */
int ferry_compressor_start(struct ferry_daemon *d, const char *label,
			   const struct ferry_compress_start *start, int from, int to,
			   const struct ferry_compressor_ops *ops, void *data,
			   struct ferry_compressor **out, char *err, size_t errlen);

/* Bytes read and written so far, as the helper last reported. */
void ferry_compressor_bytes(const struct ferry_compressor *c, uint64_t *in, uint64_t *out);

/*
 * ferry_compressor_release - no more callbacks; the helper is told to
 * end (its fds close with it) and the struct goes once it has. NULL is fine.
 */
void ferry_compressor_release(struct ferry_compressor *c);

#endif

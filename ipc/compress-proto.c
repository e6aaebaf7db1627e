/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-proto.c - the ferry-compress payloads. Both ends call the same
 * encoders and decoders, so a layout exists in exactly one place, and the
 * same checks judge a value whether it is about to be sent or has just
 * arrived. A decoder reads the whole layout first and judges the values
 * after, so a malformed payload is always -EBADMSG, whatever its fields hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "compress-proto.h"
#include "util.h"

bool ferry_compress_message_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_COMPRESS_MESSAGE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* The values of a well-formed COMPRESS_START: -EINVAL with @err saying which is wrong. */
static int start_check(const struct ferry_compress_start *s, char *err, size_t errlen)
{
	bool deflate = s->mode == FERRY_COMPRESS_DEFLATE;

	if (!deflate && s->mode != FERRY_COMPRESS_INFLATE)
		return ferry_err(err, errlen, -EINVAL, "unknown mode %" PRIu32 " (1 deflate, 2 inflate)",
				 s->mode);
	if (s->flags & ~FERRY_COMPRESS_FLAGS_KNOWN)
		return ferry_err(err, errlen, -EINVAL, "unknown flags 0x%" PRIx32,
				 s->flags & ~FERRY_COMPRESS_FLAGS_KNOWN);
	if (!deflate && (s->block_size || s->threads))
		return ferry_err(err, errlen, -EINVAL, "inflate takes no block size or threads");
	if (deflate && s->max_output)
		return ferry_err(err, errlen, -EINVAL, "deflate takes no output limit");
	if (s->block_size && (s->block_size < FERRY_COMPRESS_BLOCK_MIN ||
			      s->block_size > FERRY_COMPRESS_BLOCK_MAX))
		return ferry_err(err, errlen, -EINVAL,
				 "block size %" PRIu32 " is not 0 or %u-%u bytes", s->block_size,
				 FERRY_COMPRESS_BLOCK_MIN, FERRY_COMPRESS_BLOCK_MAX);
	if (s->threads > FERRY_COMPRESS_MAX_THREADS)
		return ferry_err(err, errlen, -EINVAL, "%" PRIu32 " threads, more than %u",
				 s->threads, FERRY_COMPRESS_MAX_THREADS);
	return 0;
}

int ferry_compress_put_start(struct ferry_wbuf *w, const struct ferry_compress_start *s)
{
	if (start_check(s, NULL, 0) < 0)
		return -EINVAL;
	ferry_put_u32(w, s->mode);
	ferry_put_u32(w, s->flags);
	ferry_put_u32(w, s->block_size);
	ferry_put_u32(w, s->threads);
	ferry_put_u64(w, s->max_output);
	return w->err;
}

int ferry_compress_get_start(const void *p, size_t len, struct ferry_compress_start *s,
			     char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	s->mode = ferry_get_u32(&r, "mode");
	s->flags = ferry_get_u32(&r, "flags");
	s->block_size = ferry_get_u32(&r, "block_size");
	s->threads = ferry_get_u32(&r, "threads");
	s->max_output = ferry_get_u64(&r, "max_output");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	return start_check(s, err, errlen);
}

int ferry_compress_put_progress(struct ferry_wbuf *w, const struct ferry_compress_progress *pr)
{
	ferry_put_u64(w, pr->bytes_in);
	ferry_put_u64(w, pr->bytes_out);
	return w->err;
}

int ferry_compress_get_progress(const void *p, size_t len, struct ferry_compress_progress *pr,
				char *err, size_t errlen)
{
	struct ferry_rbuf r;

	ferry_rbuf_init(&r, p, len);
	pr->bytes_in = ferry_get_u64(&r, "bytes_in");
	pr->bytes_out = ferry_get_u64(&r, "bytes_out");
	return ferry_get_end(&r, err, errlen);
}

/* The values of a well-formed COMPRESS_DONE: -EBADMSG with @err saying which is wrong. */
static int done_check(const struct ferry_compress_done *d, char *err, size_t errlen)
{
	if (d->status > 0 || d->status < -FERRY_COMPRESS_ERRNO_MAX)
		return ferry_err(err, errlen, -EBADMSG, "status %" PRId32 " is neither 0 nor -errno",
				 d->status);
	if (d->status == 0 && d->error_offset != FERRY_COMPRESS_NO_OFFSET)
		return ferry_err(err, errlen, -EBADMSG, "error offset %" PRIu64 " on success",
				 d->error_offset);
	if (d->error_offset != FERRY_COMPRESS_NO_OFFSET && d->error_offset > d->bytes_in)
		return ferry_err(err, errlen, -EBADMSG,
				 "error offset %" PRIu64 " is past the %" PRIu64 " bytes read",
				 d->error_offset, d->bytes_in);
	if (!d->message || !ferry_compress_message_ok(d->message))
		return ferry_err(err, errlen, -EBADMSG,
				 "message is not 1-%u printable ASCII characters",
				 FERRY_COMPRESS_MESSAGE_MAX);
	return 0;
}

int ferry_compress_put_done(struct ferry_wbuf *w, const struct ferry_compress_done *d)
{
	if (done_check(d, NULL, 0) < 0)
		return -EINVAL;
	ferry_put_i32(w, d->status);
	ferry_put_u64(w, d->bytes_in);
	ferry_put_u64(w, d->bytes_out);
	ferry_put_u64(w, d->error_offset);
	ferry_put_str(w, d->message);
	return w->err;
}

int ferry_compress_get_done(const void *p, size_t len, struct ferry_compress_done *d,
			    char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	d->status = ferry_get_i32(&r, "status");
	d->bytes_in = ferry_get_u64(&r, "bytes_in");
	d->bytes_out = ferry_get_u64(&r, "bytes_out");
	d->error_offset = ferry_get_u64(&r, "error_offset");
	d->message = ferry_get_str(&r, "message");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	return done_check(d, err, errlen);
}

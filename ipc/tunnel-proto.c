/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tunnel-proto.c - the ferry-tunnel payloads. Both ends call the same
 * encoders and decoders, so a layout exists in exactly one place. A
 * decoder reads the whole layout first and judges the values after, so a
 * malformed payload is always -EBADMSG, whatever its fields hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "tunnel-proto.h"
#include "util.h"

bool ferry_tunnel_message_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_TUNNEL_MESSAGE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool status_ok(int32_t status)
{
	return status <= 0 && status >= -FERRY_TUNNEL_ERRNO_MAX;
}

int ferry_tunnel_put_stream(struct ferry_wbuf *w, uint32_t index, uint32_t flags)
{
	if (index >= FERRY_TUNNEL_MAX_STREAMS || (flags & ~FERRY_TUNNEL_FLAGS_KNOWN))
		return -EINVAL;
	ferry_put_u32(w, index);
	ferry_put_u32(w, flags);
	return w->err;
}

int ferry_tunnel_get_stream(const void *p, size_t len, uint32_t *index, uint32_t *flags,
			    char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	*index = ferry_get_u32(&r, "index");
	*flags = ferry_get_u32(&r, "flags");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	if (*index >= FERRY_TUNNEL_MAX_STREAMS)
		return ferry_err(err, errlen, -EINVAL, "stream index %" PRIu32 " is not 0-%u",
				 *index, FERRY_TUNNEL_MAX_STREAMS - 1);
	if (*flags & ~FERRY_TUNNEL_FLAGS_KNOWN)
		return ferry_err(err, errlen, -EINVAL, "unknown flags 0x%" PRIx32,
				 *flags & ~FERRY_TUNNEL_FLAGS_KNOWN);
	return 0;
}

int ferry_tunnel_put_rate(struct ferry_wbuf *w, uint64_t bytes_per_sec)
{
	ferry_put_u64(w, bytes_per_sec);
	return w->err;
}

int ferry_tunnel_get_rate(const void *p, size_t len, uint64_t *bytes_per_sec,
			  char *err, size_t errlen)
{
	struct ferry_rbuf r;

	ferry_rbuf_init(&r, p, len);
	*bytes_per_sec = ferry_get_u64(&r, "bytes_per_sec");
	return ferry_get_end(&r, err, errlen);
}

int ferry_tunnel_put_progress(struct ferry_wbuf *w, const struct ferry_tunnel_progress *pr)
{
	if (pr->open > FERRY_TUNNEL_MAX_STREAMS)
		return -EINVAL;
	ferry_put_u64(w, pr->bytes);
	ferry_put_u32(w, pr->open);
	return w->err;
}

int ferry_tunnel_get_progress(const void *p, size_t len, struct ferry_tunnel_progress *pr,
			      char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	pr->bytes = ferry_get_u64(&r, "bytes");
	pr->open = ferry_get_u32(&r, "open");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	if (pr->open > FERRY_TUNNEL_MAX_STREAMS)
		return ferry_err(err, errlen, -EBADMSG, "%" PRIu32 " open streams, more than %u",
				 pr->open, FERRY_TUNNEL_MAX_STREAMS);
	return 0;
}

int ferry_tunnel_put_end(struct ferry_wbuf *w, const struct ferry_tunnel_end *e)
{
	if (e->index >= FERRY_TUNNEL_MAX_STREAMS || !status_ok(e->status) ||
	    !e->message || !ferry_tunnel_message_ok(e->message))
		return -EINVAL;
	ferry_put_u32(w, e->index);
	ferry_put_i32(w, e->status);
	ferry_put_u64(w, e->bytes);
	ferry_put_str(w, e->message);
	return w->err;
}

int ferry_tunnel_get_end(const void *p, size_t len, struct ferry_tunnel_end *e,
			 char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	e->index = ferry_get_u32(&r, "index");
	e->status = ferry_get_i32(&r, "status");
	e->bytes = ferry_get_u64(&r, "bytes");
	e->message = ferry_get_str(&r, "message");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	if (e->index >= FERRY_TUNNEL_MAX_STREAMS)
		return ferry_err(err, errlen, -EBADMSG, "stream index %" PRIu32 " is not 0-%u",
				 e->index, FERRY_TUNNEL_MAX_STREAMS - 1);
	if (!status_ok(e->status))
		return ferry_err(err, errlen, -EBADMSG, "status %" PRId32 " is neither 0 nor -errno",
				 e->status);
	if (!ferry_tunnel_message_ok(e->message))
		return ferry_err(err, errlen, -EBADMSG,
				 "message is not 1-%u printable ASCII characters",
				 FERRY_TUNNEL_MESSAGE_MAX);
	return 0;
}

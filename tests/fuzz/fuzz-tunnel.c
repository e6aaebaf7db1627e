/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-tunnel - a ferry-tunnel payload through its decoder: the helper's
 * side for the requests it is sent (TUNNEL_STREAM, TUNNEL_SET_RATE), the
 * broker's side for the events a helper reports (TUNNEL_PROGRESS,
 * TUNNEL_END).
 *
 * Input: byte 0 picks the message (its value modulo 4, in that order);
 * the rest is the payload. Whatever a decoder accepts must lie within the
 * payload bounds the channel tables use, hold only documented values, and
 * encode back to exactly the same bytes: both ends rely on one layout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void stream(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	uint32_t index, flags;
	int r = ferry_tunnel_get_stream(p, len, &index, &flags, err, errlen);

	check(r == 0 || r == -EBADMSG || r == -EINVAL);
	if (r < 0)
		return;
	check(len == FERRY_TUNNEL_STREAM_LEN && index < FERRY_TUNNEL_MAX_STREAMS && flags == 0);
	same_bytes(w, ferry_tunnel_put_stream(w, index, flags), p, len);
}

static void rate(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	uint64_t bps;

	if (ferry_tunnel_get_rate(p, len, &bps, err, errlen) < 0)
		return;
	check(len == FERRY_TUNNEL_SET_RATE_LEN);
	same_bytes(w, ferry_tunnel_put_rate(w, bps), p, len);
}

static void progress(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct ferry_tunnel_progress pr;

	if (ferry_tunnel_get_progress(p, len, &pr, err, errlen) < 0)
		return;
	check(len == FERRY_TUNNEL_PROGRESS_LEN && pr.open <= FERRY_TUNNEL_MAX_STREAMS);
	same_bytes(w, ferry_tunnel_put_progress(w, &pr), p, len);
}

static void end(struct ferry_wbuf *w, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct ferry_tunnel_end e;
	const uint8_t *msg;

	if (ferry_tunnel_get_end(p, len, &e, err, errlen) < 0)
		return;
	check(len >= FERRY_TUNNEL_END_MIN && len <= FERRY_TUNNEL_END_MAX);
	check(e.index < FERRY_TUNNEL_MAX_STREAMS && e.status <= 0);
	/* The message points into the payload and ends where it does. */
	msg = (const uint8_t *)e.message;
	check(msg > p && msg + strlen(e.message) + 1 == p + len);
	check(ferry_tunnel_message_ok(e.message));
	same_bytes(w, ferry_tunnel_put_end(w, &e), p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const decode[])(struct ferry_wbuf *, const uint8_t *, size_t, char *, size_t) = {
		stream, rate, progress, end,
	};
	static struct ferry_wbuf w;
	uint8_t *p;
	char err[160];

	if (size < 1 || size - 1 > FERRY_WIRE_MAX_PAYLOAD)
		return 0;
	/* A buffer of exactly the payload's size: any read past it is caught. */
	p = malloc(size - 1 ? size - 1 : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	ferry_wbuf_init(&w);
	err[0] = '\0';
	decode[data[0] % 4](&w, p, size - 1, err, sizeof(err));
	check(memchr(err, '\0', sizeof(err)) != NULL);
	free(p);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-wire - one received packet through the channel's validation and
 * dispatch, exactly as ferry_chan_recv() hands it over.
 *
 * Input: byte 0 picks the channel's state and the fds that "arrived"
 * (bits 0-3: fd count 0-15, capped at the maximum; bit 4: MSG_CTRUNC;
 * bit 5: MSG_TRUNC; bit 6: channel already past HELLO; bit 7: a request
 * with id 1 is pending). The rest is the packet.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Handlers read their payloads with the codec, as real ones do. */
static int decode_u64(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_rbuf r;
	char why[128];

	ferry_rbuf_init(&r, msg->payload, msg->len);
	ferry_get_u64(&r, "token");
	return ferry_get_end(&r, why, sizeof(why));
}

static int decode_error(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_rbuf r;
	char why[128];

	ferry_rbuf_init(&r, msg->payload, msg->len);
	ferry_get_i32(&r, "errno");
	ferry_get_str(&r, "message");
	return ferry_get_end(&r, why, sizeof(why));
}

static int take_fd(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	close(steal_fd(&msg->fds[0]));
	return 0;
}

static const struct ferry_msg_spec specs[] = {
	{ FERRY_MSG_PING, "PING", 8, 8, 0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, decode_u64 },
	{ FERRY_MSG_PONG, "PONG", 8, 8, 0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, decode_u64 },
	{ FERRY_MSG_ERROR, "ERROR", 9, 2048, 0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, decode_error },
	{ FERRY_MSG_FD_PROBE, "FD_PROBE", 0, 0, 1, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, take_fd },
	{ FERRY_MSG_FD_INFO, "FD_INFO", 8, 8, 0, FERRY_SPEC_EVENT, 0x2, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ferry_chan chan;
	struct ferry_msg msg;
	int fds[FERRY_WIRE_MAX_FDS];
	unsigned nfds;
	int flags = 0;
	uint8_t ctl;
	int r;

	if (size < 1)
		return 0;
	ctl = data[0];
	nfds = ctl & 0x0f;
	if (nfds > FERRY_WIRE_MAX_FDS)
		nfds = FERRY_WIRE_MAX_FDS;
	flags |= (ctl & 0x10) ? MSG_CTRUNC : 0;
	flags |= (ctl & 0x20) ? MSG_TRUNC : 0;
	if (!chan.rx && ferry_chan_init(&chan, -1, "fuzz", specs, ARRAY_SIZE(specs), NULL) < 0)
		return 0;
	chan.phase = (ctl & 0x40) ? FERRY_PHASE_READY : 0;
	memset(chan.pending, 0, sizeof(chan.pending));
	chan.pending[0] = (ctl & 0x80) ? 1 : 0;
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The channel reads into its own buffer; so does the fuzz input. */
	size--;
	if (size > FERRY_WIRE_MAX_PACKET + 1)
		size = FERRY_WIRE_MAX_PACKET + 1;
	memcpy(chan.rx, data + 1, size);
	r = ferry_chan_parse(&chan, chan.rx, size, fds, nfds, flags, &msg);
	if (r == 0)
		ferry_chan_dispatch(&chan, &msg);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * channel.h - one end of a broker <-> helper channel.
 *
 * A channel owns a SOCK_SEQPACKET socket, a receive buffer sized once for
 * the largest legal packet, and a table of the message types its peer may
 * send. Receiving validates a packet completely (framing, version, table
 * entry, phase, payload bounds, fd count, request id) before any handler
 * sees it; a packet that fails is refused with a message naming the fault
 * in chan->err (without the peer's name: callers add it), and every fd it
 * carried is closed.
 *
 * A channel that has refused a packet is finished: its owner ends it.
 */
#ifndef FERRY_CHANNEL_H
#define FERRY_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "wire.h"

#define FERRY_CHAN_MAX_PENDING 64u

/* Phase bits. Until the peer's hello arrives a channel is in no phase. */
#define FERRY_PHASE_READY 0x01u
#define FERRY_PHASES_ANY 0xffffffffu

enum ferry_spec_kind {
	FERRY_SPEC_REQUEST,	/* carries a fresh id; expects a reply */
	FERRY_SPEC_EVENT,	/* id 0, no reply */
	FERRY_SPEC_REPLY,	/* answers a pending request: F_REPLY and its id */
};

struct ferry_chan;

struct ferry_msg {
	struct ferry_wire_hdr hdr;
	const uint8_t *payload;	/* into the channel's buffer: valid until next receive */
	uint32_t len;
	int fds[FERRY_WIRE_MAX_FDS];	/* a handler takes one by setting it to -1 */
	unsigned nfds;
	const struct ferry_msg_spec *spec;
};

/* Return 0, or -errno to end the channel (with chan->err set). */
typedef int (*ferry_msg_handler)(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx);

struct ferry_msg_spec {
	uint16_t type;
	const char *name;
	uint32_t min_len, max_len;	/* payload bounds */
	uint8_t nfds;			/* exact */
	uint8_t kind;			/* enum ferry_spec_kind */
	uint32_t phases;		/* FERRY_PHASE_* bits that permit it */
	ferry_msg_handler handler;
};

struct ferry_hello {
	uint32_t version;
	char name[32];
	uint32_t filter_syscalls;
	uint32_t namespaces;
};

struct ferry_chan {
	int fd;
	char peer[32];			/* what is on the other end, for messages */
	const struct ferry_msg_spec *specs;
	size_t nspecs;
	void *ctx;
	uint32_t phase;
	bool nonblock;			/* never wait: the broker's side */
	uint32_t next_id;
	uint32_t pending[FERRY_CHAN_MAX_PENDING];	/* 0 = free slot */
	struct ferry_hello peer_hello;
	uint8_t *rx;
	char err[256];
};

/*
 * ferry_chan_init - take ownership of @fd as a channel to @peer.
 * @specs: what @peer may send (HELLO is handled by the channel itself).
 * Return 0 or -ENOMEM. The fd is closed by ferry_chan_close() either way.
 */
int ferry_chan_init(struct ferry_chan *chan, int fd, const char *peer,
		    const struct ferry_msg_spec *specs, size_t nspecs, void *ctx);
void ferry_chan_close(struct ferry_chan *chan);

/* Send HELLO: this side's version, name and sandbox account. */
int ferry_chan_send_hello(struct ferry_chan *chan, const char *self,
			  uint32_t filter_syscalls, uint32_t namespaces);

/*
 * ferry_chan_send - send one packet. @fds are sent, not closed.
 * Return 0 or -errno (-EAGAIN when a non-blocking peer is not reading).
 */
int ferry_chan_send(struct ferry_chan *chan, uint16_t type, uint32_t id, uint8_t flags,
		    const void *payload, size_t len, const int *fds, unsigned nfds);
/* Send a request under a fresh id, remembered until its reply arrives. */
int ferry_chan_request(struct ferry_chan *chan, uint16_t type, const struct ferry_wbuf *w,
		       const int *fds, unsigned nfds, uint32_t *id_out);
int ferry_chan_reply(struct ferry_chan *chan, const struct ferry_msg *req, uint16_t type,
		     const struct ferry_wbuf *w, const int *fds, unsigned nfds);
int ferry_chan_reply_error(struct ferry_chan *chan, const struct ferry_msg *req,
			   int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * ferry_chan_parse - validate one received packet.
 * @pkt, @len: the packet as received (@len is its real length).
 * @fds, @nfds: the fds that came with it; moved into @out on success,
 * closed on failure. @msg_flags: recvmsg's msg_flags.
 * Return 0, or -EPROTO / -EMSGSIZE / -EBADMSG with chan->err set.
 */
int ferry_chan_parse(struct ferry_chan *chan, const uint8_t *pkt, size_t len,
		     int *fds, unsigned nfds, int msg_flags, struct ferry_msg *out);

/* Receive and parse one packet. Return 1, 0 at EOF, or -errno. */
int ferry_chan_recv(struct ferry_chan *chan, struct ferry_msg *out);

/* Run the handler (or take a HELLO), then close the fds it left. */
int ferry_chan_dispatch(struct ferry_chan *chan, struct ferry_msg *msg);

/* ferry_chan_recv() then ferry_chan_dispatch(). Return 1, 0 at EOF, or -errno. */
int ferry_chan_process(struct ferry_chan *chan);

/* Forget a pending request (its reply, if it comes, is then refused). */
void ferry_chan_forget(struct ferry_chan *chan, uint32_t id);

const char *ferry_msg_type_name(const struct ferry_chan *chan, uint16_t type);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * peer.h - this broker as a client of another one, on the event loop.
 *
 * Peer-to-peer migration has the source broker drive the destination
 * broker through the same JSON API a management layer uses, with the
 * source broker's own credentials: a local peer checks them on its socket,
 * a remote one sees whoever ssh authenticated. Nothing here blocks: the
 * connection is a non-blocking socket on the loop, one request is in
 * flight at a time, and each has a deadline.
 *
 * The peer is not trusted further than any client trusts its broker:
 * every line is bounded and parsed strictly, and an answer that is not
 * an object of the expected shape ends the connection with a named error.
 */
#ifndef FERRY_PEER_H
#define FERRY_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "loop.h"

struct ferry_peer_conn;

/*
 * The answer to one request. On success @ret is the "return" value
 * (borrowed: valid during the call) and @cls is NULL. On failure @cls is
 * the peer's error class, or "PeerGone"/"PeerTimeout"/"PeerProtocol" for
 * what went wrong on the connection, and @desc says what.
 */
typedef void (*ferry_peer_reply_fn)(struct ferry_peer_conn *p, struct json_object *ret,
				    const char *cls, const char *desc, void *data);

/*
 * ferry_peer_connect - open a connection to the broker at @uri
 * unix:///path connects directly; ssh://... runs the system ssh client,
 * whose remote end is `ferryctl proxy`. The greeting is read before the
 * first answer is handed out, and a peer that does not greet like a
 * broker is refused.
 * Return: 0 with @out set, or -errno with @err naming what failed.
 */
int ferry_peer_connect(struct ferry_loop *loop, const char *uri, struct ferry_peer_conn **out,
		       char *err, size_t errlen);

/*
 * ferry_peer_call - send @cmd with @args (taken; NULL for none); @cb runs
 * once with its answer, or with the connection's failure, within
 * @timeout_ms. One request at a time.
 * Return: 0, -EBUSY while another is in flight, -ENOTCONN once the
 * connection has failed (@cb is not called then), -ENOMEM.
 */
int ferry_peer_call(struct ferry_peer_conn *p, const char *cmd, struct json_object *args,
		    unsigned timeout_ms, ferry_peer_reply_fn cb, void *data);

/*
 * ferry_peer_take_fd - leave the loop and hand over the connection's
 * socket, for a data stream that starts where the last answer ended.
 * Only between requests, with nothing received beyond that answer.
 * Return: the fd (the caller owns it), or -EBUSY / -EPROTO.
 */
int ferry_peer_take_fd(struct ferry_peer_conn *p);

/* Events from the peer, in order with the answers; NULL drops them (the default). */
typedef void (*ferry_peer_event_fn)(struct ferry_peer_conn *p, const char *name,
				    struct json_object *data, void *ctx);
void ferry_peer_set_event_hook(struct ferry_peer_conn *p, ferry_peer_event_fn fn, void *ctx);

/* A text naming the peer for messages: "unix:///run/ferry/ferry-sock". */
const char *ferry_peer_name(const struct ferry_peer_conn *p);

/* Close and free; a request in flight is dropped without its callback. NULL is fine. */
void ferry_peer_close(struct ferry_peer_conn *p);

#endif

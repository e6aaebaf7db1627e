/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tunnel.h - the broker's side of a tunnelled migration: one ferry-tunnel
 * helper per job, pumping each stream between a socket to QEMU and a data
 * connection to the peer broker, without the broker touching a byte.
 *
 * The broker only hands fds over, sets the rate, and learns how much has
 * moved and how each stream ended. A stream that ends badly, or a helper
 * that dies, is reported once through the failure callback, with the
 * helper and its end named ("ferry-tunnel (pid 12) killed by signal 9").
 */
#ifndef FERRY_TUNNEL_H
#define FERRY_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "tunnel-proto.h"	/* FERRY_TUNNEL_MAX_STREAMS */

struct ferry_daemon;
struct ferry_tunnel;

typedef void (*ferry_tunnel_fail_fn)(struct ferry_tunnel *t, const char *why, void *data);

/*
 * ferry_tunnel_start - spawn a ferry-tunnel for @nstreams streams of the
 * domain @name. @failed runs at most once, when a stream ends with an
 * error or the helper ends before ferry_tunnel_release().
 * Return: 0 with @out set, or -errno with @err.
 */
int ferry_tunnel_start(struct ferry_daemon *d, const char *name, unsigned nstreams,
		       ferry_tunnel_fail_fn failed, void *data, struct ferry_tunnel **out,
		       char *err, size_t errlen);

/*
 * ferry_tunnel_stream - start stream @idx: bytes from @from to @to. Both
 * fds are taken (closed here once the helper has them, or on failure).
 * Return: 0 or -errno (the failure callback runs for a refusal later).
 */
int ferry_tunnel_stream(struct ferry_tunnel *t, unsigned idx, int from, int to);

/* The whole tunnel's rate cap in bytes/s (0: none), now and from now on. */
int ferry_tunnel_set_rate(struct ferry_tunnel *t, uint64_t bytes_per_s);

/*
 * ferry_tunnel_cancel - close every stream's sockets at once; @done runs
 * when the helper confirms it (or could not be asked).
 */
void ferry_tunnel_cancel(struct ferry_tunnel *t, void (*done)(void *data), void *data);

/* Bytes moved so far over all streams, as the helper last reported. */
uint64_t ferry_tunnel_bytes(const struct ferry_tunnel *t);
/* Streams that ended with all their bytes delivered. */
unsigned ferry_tunnel_streams_done(const struct ferry_tunnel *t);
unsigned ferry_tunnel_nstreams(const struct ferry_tunnel *t);

/*
 * ferry_tunnel_release - no more callbacks; the helper is told to end,
 * and the struct goes once it has. NULL is fine.
 */
void ferry_tunnel_release(struct ferry_tunnel *t);

#endif

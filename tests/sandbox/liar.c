/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liar - stands in for a helper and breaks the protocol on purpose. It is
 * installed as DIR/ferry-monitor; the last part of DIR's name says which
 * lie to tell, so one binary serves every case.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "wire.h"

static void raw(const void *p, size_t n)
{
	send(3, p, n, MSG_NOSIGNAL);
}

static void hello_hdr(struct ferry_wire_hdr *h, uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->version = FERRY_WIRE_VERSION;
	h->type = FERRY_MSG_HELLO;
	h->len = len;
}

int main(int argc, char **argv)
{
	char path[4096], *mode;
	struct ferry_chan chan;
	struct ferry_wire_hdr h;
	char buf[64];

	snprintf(path, sizeof(path), "%s", argv[0]);
	mode = strrchr(dirname(path), '-');
	mode = mode ? mode + 1 : "";
	if (ferry_chan_init(&chan, 3, "ferryd", NULL, 0, NULL) < 0)
		return 1;
	if (strcmp(mode, "garbage") == 0) {
		raw("\x01\x02\x03\x04\x05", 5);
	} else if (strcmp(mode, "wrongname") == 0) {
		ferry_chan_send_hello(&chan, "ferry-tunnel", 0, 0);
	} else if (strcmp(mode, "badreply") == 0) {
		uint64_t token = 1;

		ferry_chan_send_hello(&chan, "ferry-monitor", 0, 0);
		ferry_chan_send(&chan, FERRY_MSG_PONG, 999, FERRY_WIRE_F_REPLY, &token, 8, NULL, 0);
	} else if (strcmp(mode, "oldversion") == 0) {
		hello_hdr(&h, 0);
		h.version = 0;
		raw(&h, sizeof(h));
	} else if (strcmp(mode, "oversized") == 0) {
		hello_hdr(&h, FERRY_WIRE_MAX_PAYLOAD + 1);
		raw(&h, sizeof(h));
	} else if (strcmp(mode, "exit3") == 0) {
		ferry_chan_close(&chan);
		return 3;
	}
	/* Wait to be killed, or for the broker to hang up. */
	while (read(3, buf, sizeof(buf)) > 0)
		;
	ferry_chan_close(&chan);
	return 0;
}

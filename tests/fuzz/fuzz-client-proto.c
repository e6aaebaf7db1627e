/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-client-proto - bytes from the other end of a client API socket,
 * through the line buffer and the strict parse, as both ends use them.
 *
 * Input: byte 0 sets the size of the chunks the stream arrives in (1 to
 * 256 bytes); the rest is the stream. The line buffer is kept small so
 * the over-long path is reached. Every object that parses must survive
 * being formatted and parsed again: that is what the two ends rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LINE_MAX 4096u

static void check_line(const char *line, size_t len)
{
	struct json_object *obj = NULL, *again = NULL;
	char err[256];
	char *out;
	size_t n;

	if (ferry_proto_parse_line(line, len, &obj, err, sizeof(err)) < 0)
		return;
	if (ferry_proto_format(obj, &out, &n) == 0) {
		/* What one end writes, the other must read back the same. */
		if (n == 0 || out[n - 1] != '\n' ||
		    ferry_proto_parse_line(out, n - 1, &again, err, sizeof(err)) < 0 ||
		    !json_object_equal(obj, again))
			abort();
		json_object_put(again);
		free(out);
	}
	json_object_put(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_linebuf lb;
	size_t chunk, off = 1;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	/* The whole input as one line, as a reader that cut it already would. */
	check_line((const char *)data + 1, size - 1);

	ferry_linebuf_init(&lb, FUZZ_LINE_MAX);
	while (off < size) {
		char *p, *line;
		size_t room, len;
		int r;

		if (ferry_linebuf_space(&lb, &p, &room) < 0)
			break;
		if (room > chunk)
			room = chunk;
		if (room > size - off)
			room = size - off;
		memcpy(p, data + off, room);
		ferry_linebuf_commit(&lb, room);
		off += room;
		while ((r = ferry_linebuf_next(&lb, &line, &len)) > 0)
			check_line(line, len);
		if (r < 0)
			break;
	}
	ferry_linebuf_release(&lb);
	return 0;
}

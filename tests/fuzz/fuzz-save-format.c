/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-save-format - one save file through the header reader: the input
 * is the whole file, its size the file size. Whatever is accepted must
 * hold what the format promises (lengths in bounds, one NUL at the end of
 * each text, the stream exactly filling the rest) and, when its header has
 * the writer's size, be byte for byte what the writer makes of the same
 * xml, cookie, format and flags. Whatever is refused must say why. Any
 * broken promise aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/save-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The writer, given what was read, makes the same header. */
static void check_rebuilt(const uint8_t *data, const struct ferry_save_header *h,
			  const char *xml, const char *cookie)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[512];

	if (ferry_save_header_build(xml, cookie, h->format, h->flags & FERRY_SAVE_RUNNING,
				    &buf, &len, err, sizeof(err)) < 0)
		abort();
	ferry_save_header_complete(buf, h->data_len);
	if (len == h->data_offset && memcmp(buf, data, len) != 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_save_header h;
	const char *xml = NULL, *cookie = NULL;
	char err[512] = "";
	size_t total;
	int r;

	r = ferry_save_header_parse(data, size, size, &h, &xml, &cookie, err, sizeof(err));
	if (r < 0) {
		if (r != -EINVAL || strncmp(err, "save file: ", 11) != 0)
			abort();
		return 0;
	}
	if (ferry_save_header_need(data, &total, err, sizeof(err)) < 0 || total != h.data_offset)
		abort();
	if (h.version != FERRY_SAVE_VERSION || !(h.flags & FERRY_SAVE_COMPLETE) ||
	    h.data_offset % FERRY_SAVE_ALIGN || h.data_offset > FERRY_SAVE_OFFSET_MAX ||
	    h.data_len == 0 || h.data_offset + h.data_len != size)
		abort();
	if (xml != (const char *)data + 64 || strlen(xml) + 1 != h.xml_len ||
	    h.xml_len > FERRY_SAVE_XML_MAX)
		abort();
	if (cookie ? strlen(cookie) + 1 != h.cookie_len || cookie != xml + h.xml_len
		   : h.cookie_len != 0)
		abort();
	check_rebuilt(data, &h, xml, cookie);
	return 0;
}

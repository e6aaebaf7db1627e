/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-data.c - synthetic guest memory (see compress-data.h). A
 * stamped zero page holds its page index, 8 bytes at an offset that moves
 * with the index: reordered or repeated blocks would show.
 */
#include <stdint.h>
#include <string.h>

#include "compress-data.h"

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

const char *cdata_name(enum cdata_kind kind)
{
	static const char *const names[CDATA_KINDS] = { "zero", "30% random", "random" };

	return kind < CDATA_KINDS ? names[kind] : "?";
}

static int page_random(enum cdata_kind kind, uint64_t seed, uint64_t page)
{
	if (kind == CDATA_RANDOM)
		return 1;
	return kind == CDATA_MIXED && mix(seed ^ (page * 0x2545f4914f6cdd1dull)) % 100 < 30;
}

/* The whole of page @page into @out. */
static void page_fill(enum cdata_kind kind, uint64_t seed, uint64_t page, uint8_t *out)
{
	if (page_random(kind, seed, page)) {
		for (unsigned i = 0; i < CDATA_PAGE; i += 8) {
			uint64_t w = mix(seed + page * (CDATA_PAGE / 8) + i / 8);

			memcpy(out + i, &w, 8);
		}
		return;
	}
	memset(out, 0, CDATA_PAGE);
	memcpy(out + (page % (CDATA_PAGE / 8)) * 8, &page, 8);
}

void cdata_fill(enum cdata_kind kind, uint64_t seed, uint64_t pos, uint8_t *buf,
		size_t len)
{
	uint8_t page[CDATA_PAGE];

	while (len) {
		uint64_t idx = pos / CDATA_PAGE;
		size_t off = (size_t)(pos % CDATA_PAGE), n = CDATA_PAGE - off;

		if (n > len)
			n = len;
		if (off == 0 && n == CDATA_PAGE) {
			page_fill(kind, seed, idx, buf);
		} else {
			page_fill(kind, seed, idx, page);
			memcpy(buf, page + off, n);
		}
		buf += n;
		pos += n;
		len -= n;
	}
}

size_t cdata_diff(enum cdata_kind kind, uint64_t seed, uint64_t pos, const uint8_t *buf,
		  size_t len)
{
	uint8_t want[CDATA_PAGE];

	for (size_t done = 0; done < len;) {
		size_t n = len - done < CDATA_PAGE ? len - done : CDATA_PAGE;

		cdata_fill(kind, seed, pos + done, want, n);
		if (memcmp(want, buf + done, n) != 0) {
			for (size_t i = 0; i < n; i++)
				if (want[i] != buf[done + i])
					return done + i;
		}
		done += n;
	}
	return SIZE_MAX;
}

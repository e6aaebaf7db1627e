/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-data.h - synthetic guest memory for the ferry-compress tests
 * and benchmark: a stream of 4 KiB pages, each either random or a zero
 * page stamped with its own index, computed from (kind, seed, offset) so a
 * reader can check any byte without keeping a copy.
 */
#ifndef FERRY_TEST_COMPRESS_DATA_H
#define FERRY_TEST_COMPRESS_DATA_H

#include <stddef.h>
#include <stdint.h>

enum cdata_kind {
	CDATA_ZERO,	/* every page a stamped zero page */
	CDATA_MIXED,	/* 30 % of the pages random, picked by a hash of their index */
	CDATA_RANDOM,	/* every page random */
	CDATA_KINDS,
};

#define CDATA_PAGE 4096u

/* "zero", "30% random", "random". */
const char *cdata_name(enum cdata_kind kind);

/* Bytes [@pos, @pos + @len) of the stream @kind, @seed. */
void cdata_fill(enum cdata_kind kind, uint64_t seed, uint64_t pos, uint8_t *buf,
		size_t len);

/* Where @buf first differs from bytes [@pos, ...) of the stream; SIZE_MAX: nowhere. */
size_t cdata_diff(enum cdata_kind kind, uint64_t seed, uint64_t pos, const uint8_t *buf,
		  size_t len);

#endif

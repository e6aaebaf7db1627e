/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page contents as a pure function of (page index, generation), so that
 * the checker needs nothing but the generation table to know what a page
 * must hold.
 *
 *   word 0      index << 32 | PAGE_MAGIC: a page found at the wrong place,
 *               or a dump searched from outside, names its index
 *   word 1      generation << 32 | low half of the page's seed
 *   words 2..r  splitmix64 of the seed, counter mode: incompressible
 *   words r..   FILLER: as compressible as it gets without being zero
 *
 * r follows the random= knob. Counter mode keeps the words independent of
 * each other, so the multiplies overlap and the fill runs near memory speed.
 */
#include "guest.h"

#define PAGE_MAGIC	0x50475246u		/* "FRGP" in memory */
#define SEED_SALT	0x6665727279677374ull
#define GOLDEN		0x9e3779b97f4a7c15ull
#define FILLER		0xa5a5a5a5a5a5a5a5ull
#define HEADER_WORDS	2u

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t page_seed(uint32_t index, uint32_t gen)
{
	return mix64(((uint64_t)index << 32 | gen) ^ SEED_SALT);
}

/* Number of leading words (header included) that are not FILLER. */
uint32_t pattern_random_words(unsigned int percent)
{
	return HEADER_WORDS + ((PAGE_WORDS - HEADER_WORDS) * percent + 50) / 100;
}

void page_fill(uint64_t *w, uint32_t index, uint32_t gen, uint32_t random_words)
{
	uint64_t seed = page_seed(index, gen);
	uint32_t i;

	w[0] = (uint64_t)index << 32 | PAGE_MAGIC;
	w[1] = (uint64_t)gen << 32 | (uint32_t)seed;
	for (i = HEADER_WORDS; i < random_words; i++)
		w[i] = mix64(seed + i * GOLDEN);
	for (; i < PAGE_WORDS; i++)
		w[i] = FILLER;
}

/* Index of the first word that differs, PAGE_WORDS if the page is intact. */
uint32_t page_check(const uint64_t *w, uint32_t index, uint32_t gen,
		    uint32_t random_words)
{
	uint64_t seed = page_seed(index, gen);
	uint32_t i;

	if (w[0] != ((uint64_t)index << 32 | PAGE_MAGIC))
		return 0;
	if (w[1] != ((uint64_t)gen << 32 | (uint32_t)seed))
		return 1;
	for (i = HEADER_WORDS; i < random_words; i++)
		if (w[i] != mix64(seed + i * GOLDEN))
			return i;
	for (; i < PAGE_WORDS; i++)
		if (w[i] != FILLER)
			return i;
	return PAGE_WORDS;
}

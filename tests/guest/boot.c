/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the multiboot (v1) loader left for us. Everything needed is copied
 * out before the fill starts: the loader puts its info block right after
 * the kernel, where the pattern will go.
 */
#include "guest.h"

#define MULTIBOOT_MAGIC		0x2badb002u
#define MBI_MEM			(1u << 0)
#define MBI_CMDLINE		(1u << 2)
#define MBI_MMAP		(1u << 6)
#define MMAP_RAM		1u
#define KERNEL_BASE		0x100000ull
#define IDENTITY_TOP		0x100000000ull	/* what entry.S maps */

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB below 1 MiB and above it */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;			/* of the rest of this entry */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* End of the RAM range that holds the kernel, from the memory map. */
static uint64_t mmap_ram_top(const struct mb_info *mbi)
{
	uintptr_t p = mbi->mmap_addr;
	uintptr_t end = p + mbi->mmap_length;

	while (p + sizeof(struct mb_mmap) <= end) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;

		if (e->type == MMAP_RAM && e->addr <= KERNEL_BASE &&
		    e->addr + e->len > KERNEL_BASE)
			return e->addr + e->len;
		p += e->size + sizeof(e->size);
	}
	return 0;
}

int boot_read(struct boot_info *b, uint32_t magic, uint32_t info)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)info;
	uint64_t top = 0;

	if (magic != MULTIBOOT_MAGIC)
		return -1;
	if (mbi->flags & MBI_CMDLINE) {
		const char *s = (const char *)(uintptr_t)mbi->cmdline;
		size_t i;

		for (i = 0; s[i] && i < sizeof(b->cmdline) - 1; i++)
			b->cmdline[i] = s[i];
		b->cmdline[i] = '\0';
	}
	if (mbi->flags & MBI_MMAP)
		top = mmap_ram_top(mbi);
	if (!top && (mbi->flags & MBI_MEM))
		top = KERNEL_BASE + (uint64_t)mbi->mem_upper * 1024;
	if (top > IDENTITY_TOP)
		top = IDENTITY_TOP;
	b->ram_top = top;
	return top ? 0 : -1;
}

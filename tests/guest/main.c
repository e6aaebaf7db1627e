/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot-time half of the test guest: read the loader's info and the knobs,
 * lay out memory, fill it once and check it once, then hand over to run().
 *
 * Physical layout (identity-mapped):
 *   1 MiB          kernel image, .bss, page tables, stacks
 *   next MiB       generation table: one u32 per page
 *   then           the pages under test, up to the end of the RAM range
 *                  holding the kernel (or fewer with mem=)
 */
#include "guest.h"

extern char _end[];

static struct guest guest;

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void die(const char *why)
{
	con_str("ferry-guest: fatal ");
	con_str(why);
	con_end();
	for (;;)
		cpu_relax();
}

static void warn_clamped(const char *knob, uint64_t want, uint64_t have,
			 const char *limit)
{
	con_str("ferry-guest: warning ");
	con_str(knob);
	con_str("=");
	con_u64(want);
	con_str("M exceeds ");
	con_str(limit);
	con_str(": using ");
	con_u64(have);
	con_str("M");
	con_end();
}

static uint32_t knob_pages(struct guest *g, enum knob k, uint32_t max,
			   const char *limit)
{
	uint64_t want = g->knobs.value[k] * PAGES_PER_MB;

	if (!g->knobs.set[k])
		return max;
	if (want > max) {
		warn_clamped(k == KNOB_MEM ? "mem" : "wss", g->knobs.value[k],
			     max / PAGES_PER_MB, limit);
		return max;
	}
	return (uint32_t)want;
}

static void layout(struct guest *g)
{
	uint64_t base = align_up((uintptr_t)_end, MB);
	uint64_t top = g->boot.ram_top & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t max;

	if (top < base + 2 * PAGE_SIZE)
		die("no RAM above the kernel");
	/* each page costs a table entry too; keep one page of slack for
	 * rounding the table up */
	max = (top - base - PAGE_SIZE) / (PAGE_SIZE + sizeof(uint32_t));
	g->npages = knob_pages(g, KNOB_MEM, (uint32_t)max, "the RAM available");
	g->gen = (uint32_t *)(uintptr_t)base;
	g->pages = (uint8_t *)(uintptr_t)align_up(base + g->npages *
						  sizeof(uint32_t), PAGE_SIZE);
	g->wss = knob_pages(g, KNOB_WSS, g->npages, "mem");
	g->random_words = pattern_random_words(g->knobs.set[KNOB_RANDOM] ?
				(unsigned int)g->knobs.value[KNOB_RANDOM] : 100);
	g->rate = g->knobs.value[KNOB_DIRTY] * PAGES_PER_MB;
	walk_init(g);
}

static const char *cpu_mode(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 3 ? "ring3-long" : "ring0-long";
}

static void print_start(const struct guest *g)
{
	con_str("ferry-guest: start mem=");
	con_u64(g->npages / PAGES_PER_MB);
	con_str("M random=");
	con_u64(g->knobs.set[KNOB_RANDOM] ? g->knobs.value[KNOB_RANDOM] : 100);
	con_str("% dirty=");
	con_u64(g->knobs.value[KNOB_DIRTY]);
	con_str("MB/s wss=");
	con_u64(g->wss / PAGES_PER_MB);
	con_str("M mode=");
	con_str(cpu_mode());
	con_end();
	/* where the pages are, for tools that inspect guest RAM from outside */
	con_str("ferry-guest: layout ram_top=");
	con_hex(g->boot.ram_top);
	con_str(" table=");
	con_hex((uintptr_t)g->gen);
	con_str(" pages=");
	con_hex((uintptr_t)g->pages);
	con_str(" count=");
	con_u64(g->npages);
	con_str(" wss_count=");
	con_u64(g->wss);
	con_end();
}

/* Generation 0 everywhere, then one timed pass of the checker over it. */
static void fill_all(struct guest *g)
{
	uint64_t t0 = rdtsc();
	bool intact = true;

	for (uint32_t p = 0; p < g->npages; p++) {
		page_fill(page_at(g, p), p, 0, g->random_words);
		g->gen[p] = 0;
	}
	g->fill_tsc = rdtsc() - t0;
	t0 = rdtsc();
	for (uint32_t p = 0; p < g->npages; p++)
		intact &= page_verify(g, p);
	g->verify_tsc = rdtsc() - t0;
	con_str("ferry-guest: filled pages=");
	con_u64(g->npages);
	con_str(intact ? " memory=intact" : " memory=CORRUPT");
	con_end();
}

void guest_main(uint32_t magic, uint32_t info)
{
	struct guest *g = &guest;

	console_init();
	rtc_init();
	if (boot_read(&g->boot, magic, info) < 0)
		die("not started by a multiboot loader with a memory map");
	knobs_parse(&g->knobs, g->boot.cmdline);
	layout(g);
	print_start(g);
	fill_all(g);
	run(g);
}

/* Reached through the conforming-segment IDT, still in ring 3. */
void guest_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	con_str("ferry-guest: fault vector=");
	con_u64(vector);
	con_str(" error=");
	con_hex(error);
	con_str(" rip=");
	con_hex(rip);
	con_end();
}

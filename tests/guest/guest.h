/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test guest: a freestanding kernel that fills its RAM with a verifiable
 * pattern, dirties it at a set rate and checks it forever. Everything in
 * here runs in 64-bit ring 3 (see entry.S for why), with IOPL 3 so that the
 * serial port and the RTC are reachable without going back to ring 0.
 */
#ifndef FERRY_GUEST_H
#define FERRY_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE	4096u
#define PAGE_WORDS	(PAGE_SIZE / 8)
#define PAGES_PER_MB	256u
#define MB		(1024u * 1024u)

/* Set in a generation table entry once its page was found bad: the page is
 * then neither counted again nor rewritten, so bad_pages counts pages. */
#define GEN_BAD		0x80000000u

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

/* console.c: COM1 output and the CMOS clock */
void console_init(void);
void con_char(char c);
void con_str(const char *s);
void con_u64(uint64_t v);
void con_hex(uint64_t v);
void con_end(void);
void rtc_init(void);
unsigned int rtc_seconds(void);

/* knobs.c: the kernel command line */
enum knob {
	KNOB_MEM,
	KNOB_RANDOM,
	KNOB_DIRTY,
	KNOB_WSS,
	KNOB_COUNT,
};

struct knobs {
	uint64_t value[KNOB_COUNT];
	bool set[KNOB_COUNT];
};

void knobs_parse(struct knobs *k, const char *cmdline);

/* boot.c: what the multiboot loader tells us */
struct boot_info {
	char cmdline[1024];
	uint64_t ram_top;	/* end of the RAM region holding the kernel */
};

int boot_read(struct boot_info *b, uint32_t magic, uint32_t info);

/* pattern.c: page contents as a function of (index, generation) */
uint32_t pattern_random_words(unsigned int percent);
void page_fill(uint64_t *w, uint32_t index, uint32_t gen, uint32_t random_words);
uint32_t page_check(const uint64_t *w, uint32_t index, uint32_t gen,
		    uint32_t random_words);

/* lib.c: what the compiler may call even in a freestanding build */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

struct guest {
	struct boot_info boot;
	struct knobs knobs;

	/* memory under test; the table lives in guest RAM so it migrates */
	uint32_t *gen;
	uint8_t *pages;
	uint32_t npages;
	uint32_t random_words;

	/* dirtier: a stride walk over the first wss pages */
	uint32_t wss, stride, stride_inv, cursor;
	uint64_t dirty_ops;	/* pages dirtied since boot */
	uint64_t laps;		/* dirty_ops / wss, kept to spare a division */
	uint32_t lap_pos;	/* dirty_ops % wss */
	uint64_t rate;		/* pages per second, 0 = none */
	uint64_t sec_done;	/* pages dirtied since the last heartbeat */

	/* checker */
	uint32_t check_cursor;
	uint64_t passes;	/* complete rolling passes */
	uint64_t checked;	/* pages checked since the last heartbeat */
	uint64_t bad_pages;
	uint32_t first_bad;
	bool corrupt;		/* sticky: never intact again */

	/* clock: the RTC gives the seconds, the TSC paces within one */
	uint64_t tsc_hz;	/* 0 until two consecutive RTC edges were seen */
	uint64_t sec_tsc, last_poll, poll_ticks;
	unsigned int last_sec, edges, rejects, spins;
	uint64_t seq;

	uint64_t fill_tsc, verify_tsc;
};

static inline uint64_t *page_at(const struct guest *g, uint32_t p)
{
	return (uint64_t *)(g->pages + (uint64_t)p * PAGE_SIZE);
}

/* main.c */
void guest_main(uint32_t magic, uint32_t info);
void guest_fault(uint64_t vector, uint64_t error, uint64_t rip);

/* run.c */
void walk_init(struct guest *g);
bool page_verify(struct guest *g, uint32_t p);
void run(struct guest *g) __attribute__((noreturn));

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's endless loop: check a chunk of pages, dirty what the rate
 * allows so far this second, and print a heartbeat whenever the RTC's
 * seconds register changes.
 *
 * The dirtier walks the working set with a stride coprime to its size, so
 * after N dirty operations every page's generation is known from N alone:
 * page p sits at position k = p * stride^-1 (mod wss) of the walk and was
 * dirtied N / wss times, plus once if k < N % wss. The checker compares
 * the table against that too, so a migration that loses a page and its
 * table entry together (both stale, yet consistent with each other) is
 * still caught, through the counter that lives elsewhere.
 */
#include "guest.h"

#define VERIFY_CHUNK		32u	/* pages per loop turn: ~30 us native */
#define DIRTY_BATCH		64u	/* at most per turn, so checking goes on */
#define POLL_TICKS_EARLY	(1ull << 21)	/* until the TSC is calibrated */
#define POLLS_PER_SECOND	500u
#define POLL_SPINS		4096u	/* in case the TSC does not move */
#define BAD_DETAIL_LINES	16u

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* a^-1 mod m for gcd(a, m) == 1, by the extended Euclidean algorithm */
static uint64_t mod_inverse(uint64_t a, uint64_t m)
{
	int64_t t = 0, nt = 1, r = (int64_t)m, nr = (int64_t)(a % m);

	while (nr) {
		int64_t q = r / nr, tmp;

		tmp = t - q * nt;
		t = nt;
		nt = tmp;
		tmp = r - q * nr;
		r = nr;
		nr = tmp;
	}
	return (uint64_t)(t < 0 ? t + (int64_t)m : t) % m;
}

/*
 * A stride near wss / phi scatters consecutive dirty pages over the whole
 * working set, as a real workload's writes would be, instead of letting
 * them share bitmap words and huge pages.
 */
void walk_init(struct guest *g)
{
	uint64_t s = (uint64_t)g->wss * 618 / 1000;

	if (!s)
		s = 1;
	while (gcd(s, g->wss) != 1)
		s++;
	g->stride = (uint32_t)(s % g->wss);
	g->stride_inv = (uint32_t)mod_inverse(s, g->wss);
}

static uint32_t expected_gen(const struct guest *g, uint32_t p)
{
	uint64_t k;

	if (p >= g->wss)
		return 0;
	k = (uint64_t)p * g->stride_inv % g->wss;
	return (uint32_t)(g->laps + (k < g->lap_pos));
}

static void report_bad(struct guest *g, uint32_t p, uint32_t gen,
		       uint32_t want, uint32_t word)
{
	g->gen[p] = gen | GEN_BAD;
	if (!g->bad_pages)
		g->first_bad = p;
	g->bad_pages++;
	g->corrupt = true;
	if (g->bad_pages > BAD_DETAIL_LINES)
		return;
	con_str("ferry-guest: bad page=");
	con_u64(p);
	con_str(" addr=");
	con_hex((uintptr_t)page_at(g, p));
	con_str(" gen=");
	con_u64(gen);
	con_str(" expected_gen=");
	con_u64(want);
	if (word < PAGE_WORDS) {
		con_str(" bad_word=");
		con_u64(word);
	} else {
		con_str(" bad_word=none");
	}
	con_end();
}

/* True if page p holds what its generation says; records it if not. */
bool page_verify(struct guest *g, uint32_t p)
{
	uint32_t gen = g->gen[p], want, word;

	if (gen & GEN_BAD)
		return false;
	want = expected_gen(g, p);
	word = page_check(page_at(g, p), p, gen, g->random_words);
	if (gen == want && word == PAGE_WORDS)
		return true;
	report_bad(g, p, gen, want, word);
	return false;
}

/* Check before rewriting, so that dirtying never hides a corruption. */
static void dirty_one(struct guest *g)
{
	uint32_t p = g->cursor;

	if (page_verify(g, p)) {
		uint32_t gen = g->gen[p] + 1;

		page_fill(page_at(g, p), p, gen, g->random_words);
		g->gen[p] = gen;
	}
	g->dirty_ops++;
	if (++g->lap_pos == g->wss) {
		g->lap_pos = 0;
		g->laps++;
	}
	g->cursor += g->stride;
	if (g->cursor >= g->wss)
		g->cursor -= g->wss;
}

/* Spread a second's budget over the second once the TSC rate is known;
 * before that, dirty it at the start of the second. */
static void dirty_paced(struct guest *g, uint64_t now)
{
	uint64_t due = g->rate;

	if (!g->rate)
		return;
	if (g->tsc_hz && now - g->sec_tsc < g->tsc_hz)
		due = g->rate * (now - g->sec_tsc) / g->tsc_hz;
	for (uint32_t n = 0; g->sec_done < due && n < DIRTY_BATCH; n++) {
		dirty_one(g);
		g->sec_done++;
	}
}

static void verify_chunk(struct guest *g)
{
	for (uint32_t i = 0; i < VERIFY_CHUNK; i++) {
		page_verify(g, g->check_cursor);
		if (++g->check_cursor == g->npages) {
			g->check_cursor = 0;
			g->passes++;
		}
	}
	g->checked += VERIFY_CHUNK;
}

static void print_speed(const struct guest *g)
{
	uint64_t mb = g->npages / PAGES_PER_MB;
	uint64_t fill = g->fill_tsc ? g->fill_tsc : 1;
	uint64_t verify = g->verify_tsc ? g->verify_tsc : 1;

	con_str("ferry-guest: speed fill_ms=");
	con_u64(fill * 1000 / g->tsc_hz);
	con_str(" fill_mbps=");
	con_u64(mb * g->tsc_hz / fill);
	con_str(" verify_ms=");
	con_u64(verify * 1000 / g->tsc_hz);
	con_str(" verify_mbps=");
	con_u64(mb * g->tsc_hz / verify);
	con_str(" tsc_mhz=");
	con_u64(g->tsc_hz / 1000000);
	con_end();
}

/*
 * TSC ticks between two consecutive RTC edges. After a pause or migration
 * the TSC may have jumped or changed rate: a value far from the current
 * one is taken only when it keeps coming back.
 */
static void calibrate(struct guest *g, uint64_t now, unsigned int sec)
{
	uint64_t delta = now - g->sec_tsc;
	bool first = !g->tsc_hz;

	if (!g->edges++ || sec != (g->last_sec + 1) % 60 || delta < 1000000)
		return;
	if (g->tsc_hz && (delta < g->tsc_hz * 3 / 4 || delta > g->tsc_hz * 5 / 4) &&
	    ++g->rejects < 3)
		return;
	g->rejects = 0;
	g->tsc_hz = delta;
	g->poll_ticks = delta / POLLS_PER_SECOND;
	if (first)
		print_speed(g);
}

static void heartbeat(const struct guest *g)
{
	con_str("ferry-guest: heartbeat seq=");
	con_u64(g->seq);
	con_str(" dirtied=");
	con_u64(g->dirty_ops / PAGES_PER_MB);
	con_str("MB checked=");
	con_u64(g->checked / PAGES_PER_MB);
	con_str("MB pass=");
	con_u64(g->passes);
	con_str(g->checked >= g->npages ? " verify=full" : " verify=rolling");
	if (!g->corrupt) {
		con_str(" memory=intact");
		con_end();
		return;
	}
	con_str(" memory=CORRUPT bad_pages=");
	con_u64(g->bad_pages);
	con_str(" first_bad=");
	con_u64(g->first_bad);
	con_str(" first_bad_addr=");
	con_hex((uintptr_t)page_at(g, g->first_bad));
	con_end();
}

static void clock_poll(struct guest *g, uint64_t now)
{
	unsigned int sec = rtc_seconds();

	if (sec == g->last_sec)
		return;
	calibrate(g, now, sec);
	g->last_sec = sec;
	g->seq++;
	heartbeat(g);
	g->sec_tsc = now;
	g->sec_done = 0;
	g->checked = 0;
}

void run(struct guest *g)
{
	g->last_sec = rtc_seconds();
	g->sec_tsc = g->last_poll = rdtsc();
	g->poll_ticks = POLL_TICKS_EARLY;
	for (;;) {
		uint64_t now = rdtsc();

		if (now - g->last_poll >= g->poll_ticks || ++g->spins >= POLL_SPINS) {
			g->spins = 0;
			g->last_poll = now;
			clock_poll(g, now);
		}
		dirty_paced(g, now);
		verify_chunk(g);
	}
}

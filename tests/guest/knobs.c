/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Knobs from the kernel command line: NAME=NUMBER with an optional unit
 * suffix, so that the values printed on the start line can be fed back.
 * A knob that is unknown or malformed is reported and ignored; the guest
 * always boots.
 */
#include "guest.h"

struct knob_spec {
	const char *name;
	const char *unit;	/* accepted suffix after the number */
	uint64_t min, max;
};

/* Indexed by enum knob. The maxima keep every product in main.c in 64 bits. */
static const struct knob_spec specs[KNOB_COUNT] = {
	[KNOB_MEM] = { "mem", "M", 1, 4096 },
	[KNOB_RANDOM] = { "random", "%", 0, 100 },
	[KNOB_DIRTY] = { "dirty", "MB/s", 0, 100000 },
	[KNOB_WSS] = { "wss", "M", 1, 4096 },
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does the token [s, end) start with NAME followed by '='? */
static bool name_is(const char *s, const char *end, const char *name)
{
	while (*name && s < end && *s == *name) {
		s++;
		name++;
	}
	return !*name && s < end && *s == '=';
}

static bool suffix_is(const char *s, const char *end, const char *unit)
{
	if (s == end)
		return true;
	while (*unit && s < end && *s == *unit) {
		s++;
		unit++;
	}
	return !*unit && s == end;
}

/* Decimal number plus optional unit; false on anything else. */
static bool parse_value(const char *s, const char *end,
			const struct knob_spec *spec, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > spec->max)
			return false;
		p++;
	}
	if (p == s || v < spec->min || !suffix_is(p, end, spec->unit))
		return false;
	*out = v;
	return true;
}

static void report(const char *what, const char *s, const char *end)
{
	con_str("ferry-guest: warning ");
	con_str(what);
	con_str(" '");
	while (s < end)
		con_char(*s++);
	con_str("' ignored");
	con_end();
}

static void parse_token(struct knobs *k, const char *s, const char *end)
{
	for (int i = 0; i < KNOB_COUNT; i++) {
		size_t n = 0;

		if (!name_is(s, end, specs[i].name))
			continue;
		while (specs[i].name[n])
			n++;
		if (parse_value(s + n + 1, end, &specs[i], &k->value[i]))
			k->set[i] = true;
		else
			report("bad value in knob", s, end);
		return;
	}
	report("unknown knob", s, end);
}

/*
 * Multiboot loaders put the kernel's path first on the command line (QEMU
 * does, GRUB does): the first word is skipped.
 */
void knobs_parse(struct knobs *k, const char *cmdline)
{
	const char *s = cmdline;
	bool first = true;

	while (*s) {
		const char *end;

		while (is_space(*s))
			s++;
		if (!*s)
			break;
		end = s;
		while (*end && !is_space(*end))
			end++;
		if (!first)
			parse_token(k, s, end);
		first = false;
		s = end;
	}
}

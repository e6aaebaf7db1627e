/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cookie.c - migration cookies: the layout, one validator per value, and
 * the API on top: parse(), format(), comparing, checking the peer, UUIDs.
 *
 * One validator per value serves the reader (cookie-xml.c) and the
 * formatter both: what format() writes is always what parse() accepts.
 * parse() checks what the caller hands over and leaves the XML to the
 * reader.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cookie-priv.h"
#include "hv/domain-priv.h"
#include "util.h"

/* ---- The layout, in the order format() writes it. ---- */

const struct cookie_feature cookie_features[4] = {
	{ "graphics", FERRY_COOKIE_GRAPHICS, SLOT_GRAPHICS },
	{ "lockstate", FERRY_COOKIE_LOCKSTATE, SLOT_LOCKSTATE },
	{ "statistics", FERRY_COOKIE_STATISTICS, SLOT_STATISTICS },
	{ "token", FERRY_COOKIE_TOKEN, SLOT_TOKEN },
};

#define STAT_U64(elem, bit, field) \
	{ elem, FERRY_COOKIE_STAT_##bit, offsetof(struct ferry_cookie_stats, field) }

const struct cookie_stat_field cookie_stat_fields[11] = {
	STAT_U64("total-time", TOTAL_TIME, total_time_ms),
	STAT_U64("downtime", DOWNTIME, downtime_ms),
	STAT_U64("setup-time", SETUP_TIME, setup_time_ms),
	STAT_U64("ram-transferred", RAM_TRANSFERRED, ram_transferred),
	STAT_U64("ram-remaining", RAM_REMAINING, ram_remaining),
	STAT_U64("ram-total", RAM_TOTAL, ram_total),
	STAT_U64("ram-duplicate", RAM_DUPLICATE, ram_duplicate),
	STAT_U64("ram-normal", RAM_NORMAL, ram_normal),
	STAT_U64("dirty-sync-count", DIRTY_SYNC_COUNT, dirty_sync_count),
	STAT_U64("mbps", MBPS, mbps),
	STAT_U64("data-transferred", DATA_TRANSFERRED, data_transferred),
};

/* ---- Values: one validator each, for parse() and format() alike. ---- */

static bool in_set(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* The domain name rule of hv/: a cookie names a domain ferry could define. */
const char *cookie_name_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_COOKIE_NAME_MAX || !in_set(s, NAME_CHARS ".") ||
	    s[0] == '.' || s[0] == '-')
		return "is not a domain name (1 to 64 of [A-Za-z0-9_.-], not starting with '.' or '-')";
	return NULL;
}

const char *cookie_hostname_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_COOKIE_HOSTNAME_MAX)
		return "is not 1 to 255 characters";
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return "has a character that is not printable ASCII or is a space";
	return NULL;
}

const char *cookie_driver_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_COOKIE_DRIVER_MAX || !in_set(s, NAME_CHARS))
		return "is not a lock driver name (1 to 31 of [A-Za-z0-9_-])";
	return NULL;
}

/* Printable ASCII and line breaks: text every lock driver writes, and XML can carry. */
const char *cookie_leases_problem(const char *s)
{
	size_t n = strlen(s);

	if (n > FERRY_COOKIE_LEASES_MAX)
		return "is longer than 2048 bytes";
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 || s[i] >= 0x7f) && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return "has a byte that is not printable ASCII, tab or newline";
	return NULL;
}

const char *cookie_listen_problem(const char *s)
{
	unsigned char addr[16];

	if (strlen(s) > FERRY_COOKIE_LISTEN_MAX ||
	    (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1))
		return "is not an IPv4 or IPv6 address";
	return NULL;
}

const char *cookie_token_problem(const char *s)
{
	if (strlen(s) != FERRY_COOKIE_TOKEN_LEN || !in_set(s, "0123456789abcdef"))
		return "is not 64 lowercase hex digits";
	return NULL;
}

static bool port_ok(int port)
{
	return port == -1 || (port >= 1 && port <= 65535);
}

static bool mbps_ok(double v)
{
	return v >= 0.0 && v <= FERRY_COOKIE_MBPS_MAX;	/* false for NaN */
}

/* Thousandths of Mbit/s, exact: MBPS_MAX * 1000 is far below 2^53. */
static uint64_t mbps_milli(double v)
{
	return (uint64_t)(v * 1000.0 + 0.5);
}

/* "D", "D.d", "D.dd" or "D.ddd": at most three decimals, read with ferry_parse_u64. */
int cookie_mbps_parse(const char *s, double *out)
{
	size_t n = strcspn(s, "."), nf;
	char ip[24], fp[4] = "000";
	uint64_t i, f;
	int r;

	if (n == 0 || n >= sizeof(ip))	/* a too long run of digits is a large number */
		return n > 0 && strspn(s, "0123456789") == n ? -ERANGE : -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if ((r = ferry_parse_u64(ip, FERRY_COOKIE_MBPS_MAX, &i)) < 0)
		return r;
	if (s[n] == '.') {
		nf = strlen(s + n + 1);
		if (nf == 0 || nf > 3 || !in_set(s + n + 1, "0123456789"))
			return -EINVAL;
		memcpy(fp, s + n + 1, nf);
		if (ferry_parse_u64(fp, 999, &f) < 0)
			return -EINVAL;
		if (i == FERRY_COOKIE_MBPS_MAX && f > 0)
			return -ERANGE;
		*out = (double)(i * 1000 + f) / 1000.0;
		return 0;
	}
	*out = (double)i;
	return 0;
}

void ferry_cookie_init(struct ferry_cookie *c)
{
	memset(c, 0, sizeof(*c));
	c->graphics.port = -1;
	c->graphics.tls_port = -1;
}

/* What the caller handed over: bounded first, then exactly @len bytes to a NUL. */
static int check_input(const char *xml, size_t len, char *err, size_t errlen)
{
	size_t n;

	if (len > FERRY_COOKIE_MAX) {
		snprintf(err, errlen, "cookie of %zu bytes exceeds the %d-byte limit",
			 len, FERRY_COOKIE_MAX);
		return -E2BIG;
	}
	n = strnlen(xml, len + 1);
	if (n > len) {
		snprintf(err, errlen, "cookie of %zu bytes is not NUL-terminated", len);
		return -EINVAL;
	}
	if (n < len) {
		snprintf(err, errlen, "cookie of %zu bytes has a NUL at byte %zu", len, n);
		return -EINVAL;
	}
	if (len == 0) {
		snprintf(err, errlen, "cookie is empty");
		return -EINVAL;
	}
	return 0;
}

int ferry_cookie_parse(const char *xml, size_t len, struct ferry_cookie *out,
		       char *err, size_t errlen)
{
	int r;

	if (errlen)
		err[0] = '\0';
	else
		err = NULL;
	if ((r = check_input(xml, len, err, errlen)) < 0)
		return r;
	ferry_cookie_init(out);
	return cookie_parse_xml(xml, len, out, err, errlen);
}

/* ---- Formatting. ---- */

struct ck_buf {
	char *s;
	size_t len;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct ck_buf *b, const char *fmt, ...)
{
	size_t room = FERRY_COOKIE_MAX + 1 - b->len;
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		b->full = true;
	else
		b->len += (size_t)n;
}

/* Element text: what XML would otherwise read differently, as entities. */
static void put_text(struct ck_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			put(b, "&amp;");
			break;
		case '<':
			put(b, "&lt;");
			break;
		case '>':
			put(b, "&gt;");
			break;
		case '\r':	/* a literal one would come back as '\n' */
			put(b, "&#13;");
			break;
		default:
			put(b, "%c", *s);
			break;
		}
	}
}

static bool terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

static bool graphics_ok(const struct ferry_cookie_graphics *g)
{
	return g->type == FERRY_COOKIE_VNC && port_ok(g->port) && port_ok(g->tls_port) &&
	       terminated(g->listen, sizeof(g->listen)) &&
	       (!g->listen[0] || !cookie_listen_problem(g->listen));
}

static bool lockstate_ok(const struct ferry_cookie_lockstate *ls)
{
	return terminated(ls->driver, sizeof(ls->driver)) && !cookie_driver_problem(ls->driver) &&
	       terminated(ls->leases, sizeof(ls->leases)) && !cookie_leases_problem(ls->leases);
}

/* Whether @c is a cookie parse() could have returned. */
static bool cookie_ok(const struct ferry_cookie *c)
{
	unsigned f = c->features;

	if (!terminated(c->name, sizeof(c->name)) || cookie_name_problem(c->name) ||
	    !terminated(c->hostname, sizeof(c->hostname)) ||
	    (c->hostname[0] && cookie_hostname_problem(c->hostname)))
		return false;
	if ((f & ~FERRY_COOKIE_ALL_FEATURES) || (c->mandatory & ~f))
		return false;
	if ((f & FERRY_COOKIE_GRAPHICS) && !graphics_ok(&c->graphics))
		return false;
	if ((f & FERRY_COOKIE_LOCKSTATE) && !lockstate_ok(&c->lockstate))
		return false;
	if ((f & FERRY_COOKIE_STATISTICS) &&
	    ((c->stats.present & ~FERRY_COOKIE_STAT_ALL) ||
	     ((c->stats.present & FERRY_COOKIE_STAT_MBPS) && !mbps_ok(c->stats.mbps))))
		return false;
	if ((f & FERRY_COOKIE_TOKEN) &&
	    (!terminated(c->token, sizeof(c->token)) || cookie_token_problem(c->token)))
		return false;
	return true;
}

static void put_mbps(struct ck_buf *b, double v)
{
	uint64_t m = mbps_milli(v);
	unsigned frac = (unsigned)(m % 1000);
	int digits = 3;

	if (frac == 0) {
		put(b, "%" PRIu64, m / 1000);
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	put(b, "%" PRIu64 ".%0*u", m / 1000, digits, frac);
}

static void put_statistics(struct ck_buf *b, const struct ferry_cookie_stats *st)
{
	if (!st->present) {
		put(b, "  <statistics/>\n");
		return;
	}
	put(b, "  <statistics>\n");
	for (size_t i = 0; i < ARRAY_SIZE(cookie_stat_fields); i++) {
		if (!(st->present & cookie_stat_fields[i].bit))
			continue;
		put(b, "    <%s>", cookie_stat_fields[i].name);
		if (cookie_stat_fields[i].bit == FERRY_COOKIE_STAT_MBPS)
			put_mbps(b, st->mbps);
		else
			put(b, "%" PRIu64,
			    *(const uint64_t *)((const char *)st + cookie_stat_fields[i].off));
		put(b, "</%s>\n", cookie_stat_fields[i].name);
	}
	put(b, "  </statistics>\n");
}

static void put_data(struct ck_buf *b, const struct ferry_cookie *c)
{
	const struct ferry_cookie_graphics *g = &c->graphics;

	if (c->features & FERRY_COOKIE_GRAPHICS) {
		put(b, "  <graphics type='vnc'");
		if (g->port != -1)
			put(b, " port='%d'", g->port);
		if (g->tls_port != -1)
			put(b, " tlsPort='%d'", g->tls_port);
		if (g->listen[0])
			put(b, " listen='%s'", g->listen);
		put(b, "/>\n");
	}
	if (c->features & FERRY_COOKIE_LOCKSTATE) {
		put(b, "  <lockstate driver='%s'", c->lockstate.driver);
		if (c->lockstate.leases[0]) {
			put(b, ">\n    <leases>");
			put_text(b, c->lockstate.leases);
			put(b, "</leases>\n  </lockstate>\n");
		} else {
			put(b, "/>\n");
		}
	}
	if (c->features & FERRY_COOKIE_STATISTICS)
		put_statistics(b, &c->stats);
	if (c->features & FERRY_COOKIE_TOKEN)
		put(b, "  <token>%s</token>\n", c->token);
}

int ferry_cookie_format(const struct ferry_cookie *c, char **xml_out)
{
	char uuid[FERRY_UUID_STRLEN], host_uuid[FERRY_UUID_STRLEN];
	struct ck_buf b = { 0 };

	if (!cookie_ok(c))
		return -EINVAL;
	b.s = malloc(FERRY_COOKIE_MAX + 1);
	if (!b.s)
		return -ENOMEM;
	ferry_uuid_format(c->uuid, uuid);
	ferry_uuid_format(c->host_uuid, host_uuid);
	put(&b, "<ferry-migration>\n  <name>%s</name>\n  <uuid>%s</uuid>\n", c->name, uuid);
	if (c->hostname[0]) {
		put(&b, "  <hostname>");
		put_text(&b, c->hostname);
		put(&b, "</hostname>\n");
	}
	put(&b, "  <hostuuid>%s</hostuuid>\n", host_uuid);
	for (size_t i = 0; i < ARRAY_SIZE(cookie_features); i++)
		if (c->features & cookie_features[i].bit)
			put(&b, "  <feature name='%s'%s/>\n", cookie_features[i].name,
			    c->mandatory & cookie_features[i].bit ? " mandatory='yes'" : "");
	put_data(&b, c);
	put(&b, "</ferry-migration>\n");
	/* Cannot happen within the limits cookie.h sets; refuse rather than cut. */
	if (b.full) {
		free(b.s);
		return -E2BIG;
	}
	*xml_out = b.s;
	return 0;
}

/* ---- Comparing, checking the peer, UUIDs. ---- */

static bool stats_equal(const struct ferry_cookie_stats *a, const struct ferry_cookie_stats *b)
{
	if (a->present != b->present)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(cookie_stat_fields); i++) {
		const uint64_t *va = (const void *)((const char *)a + cookie_stat_fields[i].off);
		const uint64_t *vb = (const void *)((const char *)b + cookie_stat_fields[i].off);

		if (!(a->present & cookie_stat_fields[i].bit))
			continue;
		if (cookie_stat_fields[i].bit == FERRY_COOKIE_STAT_MBPS) {
			if (mbps_ok(a->mbps) && mbps_ok(b->mbps) ?
			    mbps_milli(a->mbps) != mbps_milli(b->mbps) :
			    memcmp(&a->mbps, &b->mbps, sizeof(a->mbps)) != 0)
				return false;
		} else if (*va != *vb) {
			return false;
		}
	}
	return true;
}

static bool graphics_equal(const struct ferry_cookie_graphics *a,
			   const struct ferry_cookie_graphics *b)
{
	return a->type == b->type && a->port == b->port && a->tls_port == b->tls_port &&
	       strncmp(a->listen, b->listen, sizeof(a->listen)) == 0;
}

bool ferry_cookie_equal(const struct ferry_cookie *a, const struct ferry_cookie *b)
{
	unsigned f = a->features;

	if (strncmp(a->name, b->name, sizeof(a->name)) != 0 ||
	    memcmp(a->uuid, b->uuid, 16) != 0 ||
	    strncmp(a->hostname, b->hostname, sizeof(a->hostname)) != 0 ||
	    memcmp(a->host_uuid, b->host_uuid, 16) != 0 ||
	    f != b->features || a->mandatory != b->mandatory)
		return false;
	if ((f & FERRY_COOKIE_GRAPHICS) && !graphics_equal(&a->graphics, &b->graphics))
		return false;
	if ((f & FERRY_COOKIE_LOCKSTATE) &&
	    (strncmp(a->lockstate.driver, b->lockstate.driver, sizeof(a->lockstate.driver)) ||
	     strncmp(a->lockstate.leases, b->lockstate.leases, sizeof(a->lockstate.leases))))
		return false;
	if ((f & FERRY_COOKIE_STATISTICS) && !stats_equal(&a->stats, &b->stats))
		return false;
	if ((f & FERRY_COOKIE_TOKEN) && strncmp(a->token, b->token, sizeof(a->token)) != 0)
		return false;
	return true;
}

/* A valid domain name in full, even past dom_quote()'s 48 characters. */
static const char *quote_name(const char *s, char buf[DOM_QUOTE_MAX])
{
	return cookie_name_problem(s) ? dom_quote(s, buf) : s;
}

int ferry_cookie_check_peer(const struct ferry_cookie *c, const uint8_t self_host_uuid[16],
			    const char *name, const uint8_t uuid[16], char *err, size_t errlen)
{
	char u[FERRY_UUID_STRLEN], want[FERRY_UUID_STRLEN];
	char qn[DOM_QUOTE_MAX], qw[DOM_QUOTE_MAX], cname[sizeof(c->name)];

	if (errlen)
		err[0] = '\0';
	if (memcmp(c->host_uuid, self_host_uuid, 16) == 0) {
		ferry_uuid_format(c->host_uuid, u);
		snprintf(err, errlen, "cookie: host UUID %s is this host's: refusing to migrate "
			 "to the same host", u);
		return -EINVAL;
	}
	/* A cookie built in code may not be terminated: compare and quote a copy. */
	memcpy(cname, c->name, sizeof(cname) - 1);
	cname[sizeof(cname) - 1] = '\0';
	if (strcmp(cname, name) != 0 || memcmp(c->uuid, uuid, 16) != 0) {
		ferry_uuid_format(c->uuid, u);
		ferry_uuid_format(uuid, want);
		snprintf(err, errlen, "cookie names domain '%s' (uuid %s), expected '%s' (uuid %s)",
			 quote_name(cname, qn), u, quote_name(name, qw), want);
		return -EINVAL;
	}
	return 0;
}

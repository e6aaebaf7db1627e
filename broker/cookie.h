/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cookie.h - the migration cookie: the XML document the two brokers hand
 * each other at every step of a version 3 migration (Begin -> Prepare ->
 * Perform -> Finish -> Confirm), after libvirt's. It says which domain and
 * which host it comes from and carries what a step has to tell the next
 * one: where clients should reconnect to, the lock manager's leases, the
 * statistics of the finished transfer, a data-connection token.
 *
 *   <ferry-migration>
 *     <name>guest1</name>
 *     <uuid>...</uuid>
 *     <hostname>hostA</hostname>
 *     <hostuuid>...</hostuuid>
 *     <feature name='graphics'/>
 *     <feature name='lockstate' mandatory='yes'/>
 *     <graphics type='vnc' port='5901' tlsPort='5902' listen='192.0.2.5'/>
 *     <lockstate driver='ferry'><leases>opaque text</leases></lockstate>
 *     <statistics><total-time>1234</total-time>...</statistics>
 *     <token>64 hex digits</token>
 *   </ferry-migration>
 *
 * Each <feature> declares one kind of data the cookie carries, and the
 * data is there exactly when its feature is declared. A peer may declare
 * features this host does not know: they are skipped, unless marked
 * mandatory='yes', which refuses the cookie. Everything else is strict:
 * an element, attribute or value outside this layout is refused with its
 * line, so a cookie either means what ferry will act on or is not read.
 */
#ifndef FERRY_BROKER_COOKIE_H
#define FERRY_BROKER_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/domain.h"

/* The longest cookie, in bytes of XML without its terminating NUL. */
#define FERRY_COOKIE_MAX		16384

#define FERRY_COOKIE_NAME_MAX		64	/* a domain name */
#define FERRY_COOKIE_HOSTNAME_MAX	255
#define FERRY_COOKIE_LISTEN_MAX		63	/* an IPv4 or IPv6 literal */
#define FERRY_COOKIE_DRIVER_MAX		31
/*
 * Lease text, printable ASCII, tab, newline, carriage return. Small enough
 * that the formatted cookie stays under FERRY_COOKIE_MAX even when every
 * character needs an entity: 5 x 2048 plus the rest is well under 16 KiB.
 */
#define FERRY_COOKIE_LEASES_MAX		2048
#define FERRY_COOKIE_TOKEN_LEN		64	/* lowercase hex digits */
/* Transfer rate ceiling, Mbit/s: a petabit link, and exact in 1/1000ths. */
#define FERRY_COOKIE_MBPS_MAX		1000000000

/* Features: which kinds of data a cookie carries (ferry_cookie.features). */
#define FERRY_COOKIE_GRAPHICS		(1u << 0)
#define FERRY_COOKIE_LOCKSTATE		(1u << 1)
#define FERRY_COOKIE_STATISTICS		(1u << 2)
#define FERRY_COOKIE_TOKEN		(1u << 3)
#define FERRY_COOKIE_ALL_FEATURES	(FERRY_COOKIE_GRAPHICS | FERRY_COOKIE_LOCKSTATE | \
					 FERRY_COOKIE_STATISTICS | FERRY_COOKIE_TOKEN)

enum ferry_cookie_graphics_type {
	FERRY_COOKIE_VNC = 1,
};

/* Where the destination's display is, for clients to reconnect to. */
struct ferry_cookie_graphics {
	enum ferry_cookie_graphics_type type;
	int port;				/* 1..65535, or -1: none */
	int tls_port;				/* 1..65535, or -1: none */
	char listen[FERRY_COOKIE_LISTEN_MAX + 1];	/* IP literal, or "" */
};

struct ferry_cookie_lockstate {
	char driver[FERRY_COOKIE_DRIVER_MAX + 1];	/* [A-Za-z0-9_-], not empty */
	char leases[FERRY_COOKIE_LEASES_MAX + 1];	/* opaque to ferry; may be "" */
};

/* Bits of ferry_cookie_stats.present, one per element of <statistics>. */
#define FERRY_COOKIE_STAT_TOTAL_TIME		(1u << 0)
#define FERRY_COOKIE_STAT_DOWNTIME		(1u << 1)
#define FERRY_COOKIE_STAT_SETUP_TIME		(1u << 2)
#define FERRY_COOKIE_STAT_RAM_TRANSFERRED	(1u << 3)
#define FERRY_COOKIE_STAT_RAM_REMAINING		(1u << 4)
#define FERRY_COOKIE_STAT_RAM_TOTAL		(1u << 5)
#define FERRY_COOKIE_STAT_RAM_DUPLICATE		(1u << 6)
#define FERRY_COOKIE_STAT_RAM_NORMAL		(1u << 7)
#define FERRY_COOKIE_STAT_DIRTY_SYNC_COUNT	(1u << 8)
#define FERRY_COOKIE_STAT_MBPS			(1u << 9)
#define FERRY_COOKIE_STAT_DATA_TRANSFERRED	(1u << 10)
#define FERRY_COOKIE_STAT_ALL			((1u << 11) - 1)

/* A finished transfer as QEMU's query-migrate saw it; a field counts when present. */
struct ferry_cookie_stats {
	unsigned present;			/* FERRY_COOKIE_STAT_* */
	uint64_t total_time_ms;			/* <total-time> */
	uint64_t downtime_ms;			/* <downtime> */
	uint64_t setup_time_ms;			/* <setup-time> */
	uint64_t ram_transferred;		/* <ram-transferred>, bytes */
	uint64_t ram_remaining;			/* <ram-remaining>, bytes */
	uint64_t ram_total;			/* <ram-total>, bytes */
	uint64_t ram_duplicate;			/* <ram-duplicate>, pages */
	uint64_t ram_normal;			/* <ram-normal>, pages */
	uint64_t dirty_sync_count;		/* <dirty-sync-count> */
	double mbps;				/* <mbps>: 0..MBPS_MAX, carried to 1/1000 */
	uint64_t data_transferred;		/* <data-transferred>, bytes */
};

struct ferry_cookie {
	char name[FERRY_COOKIE_NAME_MAX + 1];	/* the domain */
	uint8_t uuid[16];
	char hostname[FERRY_COOKIE_HOSTNAME_MAX + 1];	/* the sender; "" when absent */
	uint8_t host_uuid[16];
	unsigned features;			/* FERRY_COOKIE_* that this cookie carries */
	unsigned mandatory;			/* those of @features the peer must know */
	struct ferry_cookie_graphics graphics;	/* with FERRY_COOKIE_GRAPHICS */
	struct ferry_cookie_lockstate lockstate;	/* with FERRY_COOKIE_LOCKSTATE */
	struct ferry_cookie_stats stats;	/* with FERRY_COOKIE_STATISTICS */
	char token[FERRY_COOKIE_TOKEN_LEN + 1];	/* with FERRY_COOKIE_TOKEN */
};

/**
 * ferry_cookie_init - an empty cookie: no features, no graphics ports.
 * @c: the cookie to clear
 */
void ferry_cookie_init(struct ferry_cookie *c);

/**
 * ferry_cookie_parse - read a cookie received from the peer.
 * @xml: the cookie text, NUL-terminated
 * @len: its length: @xml[@len] must be the first NUL
 * @out: the cookie read; left in an unspecified state on failure
 * @err: on failure, why: "cookie line N: ..." when the line is known
 * @errlen: size of @err; 0 for no message
 *
 * More than FERRY_COOKIE_MAX bytes is refused unread; so is text that is
 * not exactly @len bytes up to its NUL. libxml2 reads it with no DTD, no
 * entity expansion and no network; a DOCTYPE is refused.
 *
 * Return: 0, -E2BIG for an oversized cookie, -EINVAL for one that is not
 * accepted (malformed, outside the layout, a mandatory feature this host
 * does not know), -ENOMEM.
 */
int ferry_cookie_parse(const char *xml, size_t len, struct ferry_cookie *out,
		       char *err, size_t errlen);

/**
 * ferry_cookie_format - a cookie as canonical XML: fixed element and
 * attribute order, two-space indent, empty parts left out.
 * @c: the cookie; every field must be one ferry_cookie_parse() could return
 * @xml_out: on success, a malloc'd NUL-terminated string
 *
 * ferry_cookie_parse() of the result gives a cookie ferry_cookie_equal()
 * to @c, and formatting that gives the same bytes.
 *
 * Return: 0, -EINVAL for a field out of range (an unterminated string, a
 * feature bit ferry does not define, a mandatory bit without its feature,
 * an invalid name, port, address or token), -ENOMEM.
 */
int ferry_cookie_format(const struct ferry_cookie *c, char **xml_out);

/**
 * ferry_cookie_equal - whether two cookies say the same thing: the data of
 * features a cookie does not carry is not compared, nor is <mbps> beyond
 * the thousandths it is carried to.
 */
bool ferry_cookie_equal(const struct ferry_cookie *a, const struct ferry_cookie *b);

/**
 * ferry_cookie_check_peer - whether a parsed cookie is from another host
 * and about the domain being migrated.
 * @c: the cookie
 * @self_host_uuid: this host's UUID
 * @name: the domain being migrated
 * @uuid: its UUID
 * @err: on refusal, why
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL when the cookie's host UUID is this host's (a
 * migration to self) or its name or UUID is not the domain's.
 */
int ferry_cookie_check_peer(const struct ferry_cookie *c, const uint8_t self_host_uuid[16],
			    const char *name, const uint8_t uuid[16], char *err, size_t errlen);


#endif

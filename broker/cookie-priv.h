/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cookie-priv.h - what the cookie API (cookie.c) and the cookie reader
 * (cookie-xml.c) share: the layout both follow, the validators both apply,
 * and the reader's entry point.
 */
#ifndef FERRY_BROKER_COOKIE_PRIV_H
#define FERRY_BROKER_COOKIE_PRIV_H

#include <stddef.h>

#include "cookie.h"

/* Elements that may appear once; the reader keeps their line for later messages. */
enum cookie_slot {
	SLOT_NAME,
	SLOT_UUID,
	SLOT_HOSTNAME,
	SLOT_HOSTUUID,
	SLOT_GRAPHICS,
	SLOT_LOCKSTATE,
	SLOT_STATISTICS,
	SLOT_TOKEN,
	SLOT_COUNT,
};

/* A feature, its bit, and the element that carries its data. */
struct cookie_feature {
	const char *name;
	unsigned bit;
	enum cookie_slot slot;
};

/* A <statistics> child: its element, its FERRY_COOKIE_STAT_* bit, its field. */
struct cookie_stat_field {
	const char *name;
	unsigned bit;
	size_t off;			/* in struct ferry_cookie_stats */
};

/* In the order format() writes them. */
extern const struct cookie_feature cookie_features[4];
/* <statistics> children in canonical order; <mbps> is the one decimal. */
extern const struct cookie_stat_field cookie_stat_fields[11];

/*
 * One validator per value, for the reader and format() alike: NULL when @s
 * is acceptable, else why not, worded to follow the quoted value.
 */
const char *cookie_name_problem(const char *s);
const char *cookie_hostname_problem(const char *s);
const char *cookie_driver_problem(const char *s);
const char *cookie_leases_problem(const char *s);
const char *cookie_listen_problem(const char *s);
const char *cookie_token_problem(const char *s);

/* <mbps> text; 0, -ERANGE above FERRY_COOKIE_MBPS_MAX, -EINVAL. */
int cookie_mbps_parse(const char *s, double *out);

/**
 * cookie_parse_xml - read cookie text with libxml2 and walk it strictly.
 * @xml: the text, checked by ferry_cookie_parse(): NUL-terminated, @len
 *       bytes, at most FERRY_COOKIE_MAX
 * @len: its length
 * @out: the cookie to fill in, already ferry_cookie_init()'ed
 * @err: on failure, why: "cookie line N: ..." when the line is known;
 *       NULL when @errlen is 0
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL for a cookie that is not accepted, -ENOMEM.
 */
int cookie_parse_xml(const char *xml, size_t len, struct ferry_cookie *out,
		     char *err, size_t errlen);

#endif

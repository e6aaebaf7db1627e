/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-proto-harness.c - buffers and decoder wrappers for the
 * ferry-monitor payload tests (see monitor-proto-harness.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-proto-harness.h"

struct ferry_wbuf *wbuf_new(void)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(w);
	ferry_wbuf_init(w);
	return w;
}

void expect_prefixes_refused(const struct ferry_wbuf *w, decode_fn decode)
{
	uint8_t longer[512];
	char why[128];

	ck_assert_uint_lt(w->len, sizeof(longer));
	for (size_t n = 0; n < w->len; n++)
		ck_assert_msg(decode(w->data, n, why, sizeof(why)) == -EBADMSG,
			      "prefix of %zu/%zu bytes accepted", n, w->len);
	memcpy(longer, w->data, w->len);
	longer[w->len] = 0;
	ck_assert_int_eq(decode(longer, w->len + 1, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "1 unexpected bytes after the last field");
}

int dec_command(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_mon_command c;

	return ferry_mon_get_command(p, len, &c, err, errlen);
}

int dec_result(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_mon_result r;

	return ferry_mon_get_result(p, len, &r, err, errlen);
}

int dec_event(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_mon_event ev;

	return ferry_mon_get_event(p, len, &ev, err, errlen);
}

int dec_closed(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_mon_closed c;

	return ferry_mon_get_closed(p, len, &c, err, errlen);
}

int dec_attached(const void *p, size_t len, char *err, size_t errlen)
{
	const char *v;

	return ferry_mon_get_attached(p, len, &v, err, errlen);
}

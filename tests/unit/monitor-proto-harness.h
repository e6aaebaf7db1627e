/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-proto-harness.h - what the ferry-monitor payload tests share:
 * a heap buffer to encode into, and the check that every truncation of a
 * good payload, and the payload with one byte too many, is refused.
 *
 * The dec_*() wrappers give each decoder the one shape
 * expect_prefixes_refused() calls, throwing the decoded value away.
 */
#ifndef FERRY_TEST_MONITOR_PROTO_HARNESS_H
#define FERRY_TEST_MONITOR_PROTO_HARNESS_H

#include <stddef.h>

#include "monitor-proto.h"

/* A fresh, empty buffer; the caller frees it. */
struct ferry_wbuf *wbuf_new(void);

typedef int (*decode_fn)(const void *p, size_t len, char *err, size_t errlen);

/* Every proper prefix of a good payload, and the payload plus one byte, is refused. */
void expect_prefixes_refused(const struct ferry_wbuf *w, decode_fn decode);

int dec_command(const void *p, size_t len, char *err, size_t errlen);
int dec_result(const void *p, size_t len, char *err, size_t errlen);
int dec_event(const void *p, size_t len, char *err, size_t errlen);
int dec_closed(const void *p, size_t len, char *err, size_t errlen);
int dec_attached(const void *p, size_t len, char *err, size_t errlen);

#endif

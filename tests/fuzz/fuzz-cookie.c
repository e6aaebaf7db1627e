/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-cookie - one migration cookie through the parser. Whatever it
 * accepts must round-trip: format within the size limit, parse again,
 * compare equal, format again to the same bytes. Whatever it refuses must
 * say why. Any broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct ferry_cookie *a)
{
	struct ferry_cookie b;
	char *x1 = NULL, *x2 = NULL;
	char err[512];

	if (ferry_cookie_format(a, &x1) < 0 || strlen(x1) > FERRY_COOKIE_MAX)
		abort();
	if (ferry_cookie_parse(x1, strlen(x1), &b, err, sizeof(err)) < 0)
		abort();
	if (!ferry_cookie_equal(a, &b) || !ferry_cookie_equal(&b, a))
		abort();
	if (ferry_cookie_format(&b, &x2) < 0 || strcmp(x1, x2) != 0)
		abort();
	free(x1);
	free(x2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_cookie c;
	char err[512] = "";
	char *text;
	int r;

	/* Cookies arrive NUL-terminated; an embedded NUL is one of the refusals. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = ferry_cookie_parse(text, size, &c, err, sizeof(err));
	free(text);
	if (r < 0) {
		if (!err[0] || strncmp(err, "cookie", 6) != 0)
			abort();
		return 0;
	}
	check_accepted(&c);
	return 0;
}

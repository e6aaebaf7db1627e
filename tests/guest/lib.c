/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GCC may emit calls to these even with -ffreestanding (struct copies,
 * zeroing loops), and there is no libc to provide them. */
#include "guest.h"

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

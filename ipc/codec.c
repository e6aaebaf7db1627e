/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

void ferry_wbuf_init(struct ferry_wbuf *w)
{
	w->len = 0;
	w->err = 0;
}

static void put_bytes(struct ferry_wbuf *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > sizeof(w->data) - w->len) {
		w->err = -EMSGSIZE;
		return;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

void ferry_put_u32(struct ferry_wbuf *w, uint32_t v)
{
	put_bytes(w, &v, sizeof(v));
}

void ferry_put_i32(struct ferry_wbuf *w, int32_t v)
{
	put_bytes(w, &v, sizeof(v));
}

void ferry_put_u64(struct ferry_wbuf *w, uint64_t v)
{
	put_bytes(w, &v, sizeof(v));
}

void ferry_put_i64(struct ferry_wbuf *w, int64_t v)
{
	put_bytes(w, &v, sizeof(v));
}

void ferry_put_str(struct ferry_wbuf *w, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > UINT32_MAX) {
		w->err = -EMSGSIZE;
		return;
	}
	ferry_put_u32(w, (uint32_t)n);
	put_bytes(w, s, n);
}

void ferry_rbuf_init(struct ferry_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = 0;
	r->what = NULL;
}

static int get_bytes(struct ferry_rbuf *r, void *out, size_t n, const char *what)
{
	if (r->err)
		return -1;
	if (n > r->left) {
		r->err = -EBADMSG;
		r->what = what;
		return -1;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

uint32_t ferry_get_u32(struct ferry_rbuf *r, const char *what)
{
	uint32_t v = 0;

	get_bytes(r, &v, sizeof(v), what);
	return v;
}

int32_t ferry_get_i32(struct ferry_rbuf *r, const char *what)
{
	int32_t v = 0;

	get_bytes(r, &v, sizeof(v), what);
	return v;
}

uint64_t ferry_get_u64(struct ferry_rbuf *r, const char *what)
{
	uint64_t v = 0;

	get_bytes(r, &v, sizeof(v), what);
	return v;
}

int64_t ferry_get_i64(struct ferry_rbuf *r, const char *what)
{
	int64_t v = 0;

	get_bytes(r, &v, sizeof(v), what);
	return v;
}

const char *ferry_get_str(struct ferry_rbuf *r, const char *what)
{
	uint32_t n = ferry_get_u32(r, what);
	const char *s;

	if (r->err)
		return "";
	/* The length counts the NUL, which must be the last byte and the only one. */
	if (n == 0 || n > r->left || r->p[n - 1] != '\0' ||
	    memchr(r->p, '\0', n - 1) != NULL) {
		r->err = -EBADMSG;
		r->what = what;
		return "";
	}
	s = (const char *)r->p;
	r->p += n;
	r->left -= n;
	return s;
}

int ferry_get_end(struct ferry_rbuf *r, char *errbuf, size_t errlen)
{
	if (r->err) {
		snprintf(errbuf, errlen, "field '%s' is truncated or malformed",
			 r->what ? r->what : "?");
		return -EBADMSG;
	}
	if (r->left) {
		snprintf(errbuf, errlen, "%zu unexpected bytes after the last field", r->left);
		return -EBADMSG;
	}
	return 0;
}

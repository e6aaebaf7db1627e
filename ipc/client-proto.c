/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client-proto.c - line framing and parsing for the ferryd client API.
 * Everything here runs on bytes from the other end of a socket, which the
 * broker does not trust and a client need not trust either: every length
 * is bounded before it is allocated and every line is parsed strictly.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client-proto.h"
#include "util.h"

/* First allocation: most lines are short, a domain XML is not. */
#define LINEBUF_INITIAL (16u * 1024u)

void ferry_linebuf_init(struct ferry_linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void ferry_linebuf_release(struct ferry_linebuf *lb)
{
	free(lb->buf);
	ferry_linebuf_init(lb, lb->max);
}

size_t ferry_linebuf_partial(const struct ferry_linebuf *lb)
{
	return lb->end - lb->start;
}

/* Move what is held to the front: lines handed out are dead by now. */
static void linebuf_compact(struct ferry_linebuf *lb)
{
	if (lb->start == 0)
		return;
	memmove(lb->buf, lb->buf + lb->start, lb->end - lb->start);
	lb->end -= lb->start;
	lb->start = 0;
}

int ferry_linebuf_space(struct ferry_linebuf *lb, char **p, size_t *room)
{
	/* A line of max bytes plus its '\n' is the most that must fit. */
	size_t limit = lb->max + 1;

	linebuf_compact(lb);
	if (lb->end == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : LINEBUF_INITIAL;
		char *n;

		if (lb->cap >= limit)
			return -EMSGSIZE;
		if (cap > limit)
			cap = limit;
		n = realloc(lb->buf, cap);
		if (!n)
			return -ENOMEM;
		lb->buf = n;
		lb->cap = cap;
	}
	*p = lb->buf + lb->end;
	*room = lb->cap - lb->end;
	return 0;
}

void ferry_linebuf_commit(struct ferry_linebuf *lb, size_t n)
{
	lb->end += n;
}

ssize_t ferry_linebuf_read(struct ferry_linebuf *lb, int fd)
{
	char *p;
	size_t room;
	ssize_t n;
	int r = ferry_linebuf_space(lb, &p, &room);

	if (r < 0)
		return r;
	do
		n = read(fd, p, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	ferry_linebuf_commit(lb, (size_t)n);
	return n;
}

int ferry_linebuf_next(struct ferry_linebuf *lb, char **line, size_t *len)
{
	char *from = lb->buf + lb->start + lb->scanned;
	size_t held = lb->end - lb->start;
	char *nl = held > lb->scanned ? memchr(from, '\n', held - lb->scanned) : NULL;
	size_t n;

	if (!nl) {
		lb->scanned = held;
		return held > lb->max ? -EMSGSIZE : 0;
	}
	n = (size_t)(nl - (lb->buf + lb->start));
	if (n > lb->max)
		return -EMSGSIZE;
	*nl = '\0';
	*line = lb->buf + lb->start;
	*len = n;
	lb->start += n + 1;
	lb->scanned = 0;
	return 1;
}

void ferry_proto_excerpt(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = srclen < 40 ? srclen : 40;
	size_t i;

	if (!dstlen)
		return;
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e && src[i] != '\'') ? src[i] : '?';
	dst[i] = '\0';
	if (srclen > n && i + 4 <= dstlen)
		memcpy(dst + i, "...", 4);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * json-c's strict mode still takes NaN and Infinity, which RFC 8259 has no
 * words for and which would be written back out as invalid JSON. The tree
 * is at most FERRY_PROTO_MAX_DEPTH deep, so the recursion is bounded.
 */
static bool all_finite(struct json_object *o)
{
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			if (!all_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!all_finite(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* json-c's tokener, strict and bounded, on a line known to be sane. */
static int parse_json(const char *line, size_t len, const char *ex,
		      struct json_object **obj, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(FERRY_PROTO_MAX_DEPTH);
	enum json_tokener_error jerr;
	struct json_object *o;
	size_t end;

	if (!tok)
		return ferry_err(err, errlen, -ENOMEM, "out of memory parsing a line");
	/* Both ends write plain RFC 8259 JSON: anything looser is a fault. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return ferry_err(err, errlen, -EBADMSG, "malformed JSON (%s): '%s'",
			      jerr == json_tokener_continue ? "incomplete" :
			      json_tokener_error_desc(jerr), ex);
	}
	while (end < len && is_blank(line[end]))
		end++;
	if (end < len) {
		json_object_put(o);
		return ferry_err(err, errlen, -EBADMSG, "%zu bytes after the JSON value: '%s'",
			      len - end, ex);
	}
	if (!all_finite(o)) {
		json_object_put(o);
		return ferry_err(err, errlen, -EBADMSG, "NaN or Infinity is not JSON: '%s'", ex);
	}
	*obj = o;
	return 0;
}

int ferry_proto_parse_line(const char *line, size_t len, struct json_object **obj,
			   char *err, size_t errlen)
{
	struct json_object *o = NULL;
	char ex[48];
	size_t i;
	int r;

	*obj = NULL;
	if (len > FERRY_PROTO_RECV_MAX)
		return ferry_err(err, errlen, -EMSGSIZE, "line of %zu bytes exceeds the %u-byte limit",
			      len, FERRY_PROTO_RECV_MAX);
	for (i = 0; i < len && is_blank(line[i]); i++)
		;
	if (i == len)
		return ferry_err(err, errlen, -ENODATA, "blank line");
	ferry_proto_excerpt(ex, sizeof(ex), line, len);
	if (memchr(line, '\0', len))
		return ferry_err(err, errlen, -EBADMSG, "line holds a NUL byte: '%s'", ex);
	/*
	 * RFC 8259 allows control characters only escaped, or as blanks
	 * between tokens; json-c would take them raw inside a string.
	 */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && line[i] != '\r')
			return ferry_err(err, errlen, -EBADMSG,
				      "line holds control character 0x%02x: '%s'", line[i], ex);
	r = parse_json(line, len, ex, &o, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return ferry_err(err, errlen, -EBADMSG, "not a JSON object: '%s'", ex);
	}
	*obj = o;
	return 0;
}

int ferry_proto_format(struct json_object *obj, char **line, size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *out;

	if (!s)
		return -ENOMEM;
	if (n > FERRY_PROTO_LINE_MAX)
		return -EMSGSIZE;
	out = malloc(n + 2);
	if (!out)
		return -ENOMEM;
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	*line = out;
	*len = n + 1;
	return 0;
}

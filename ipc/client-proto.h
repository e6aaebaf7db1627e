/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client-proto.h - the framing of the ferryd client API (docs/api.md):
 * one JSON object per line over a unix stream socket. Both ends use these
 * helpers so that a line is cut, bounded and parsed the same way on each
 * side; what the objects mean is left to the broker and to the client.
 *
 * Typical reader:
 *
 *	ferry_linebuf_init(&lb, FERRY_PROTO_RECV_MAX);
 *	n = ferry_linebuf_read(&lb, fd);	// > 0, 0 on EOF, -errno
 *	while ((r = ferry_linebuf_next(&lb, &line, &len)) > 0)
 *		ferry_proto_parse_line(line, len, &obj, err, sizeof(err));
 */
#ifndef FERRY_CLIENT_PROTO_H
#define FERRY_CLIENT_PROTO_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* The contract: no side sends a line longer than this, '\n' excluded. */
#define FERRY_PROTO_LINE_MAX (1024u * 1024u)
/*
 * What a reader tolerates beyond the contract before it gives up on the
 * stream: a peer that is a little over (a maximal document plus its
 * envelope) is still understood, a runaway one is cut off.
 */
#define FERRY_PROTO_LINE_SLACK (64u * 1024u)
#define FERRY_PROTO_RECV_MAX (FERRY_PROTO_LINE_MAX + FERRY_PROTO_LINE_SLACK)
/*
 * Nesting the parser accepts. The API needs three levels; the rest is
 * headroom. The bound matters because freeing and printing a json-c tree
 * recurse once per level.
 */
#define FERRY_PROTO_MAX_DEPTH 16

/*
 * A receive buffer that cuts a byte stream into lines. Lines handed out
 * point into the buffer and stay valid until the next read or space call;
 * drain every whole line with ferry_linebuf_next() before reading again.
 */
struct ferry_linebuf {
	char *buf;
	size_t cap;		/* bytes allocated; grows up to max + 1 */
	size_t max;		/* longest line accepted, '\n' excluded */
	size_t start;		/* first byte not handed out yet */
	size_t end;		/* one past the last byte held */
	size_t scanned;		/* bytes from start known to hold no '\n' */
};

/* Set up an empty buffer; nothing is allocated until the first read. */
void ferry_linebuf_init(struct ferry_linebuf *lb, size_t max);
void ferry_linebuf_release(struct ferry_linebuf *lb);

/*
 * ferry_linebuf_space - room to append received bytes at
 * Return: 0 with @p and @room set, -ENOMEM, or -EMSGSIZE when the buffer
 * already holds more than a line's worth without a newline.
 */
int ferry_linebuf_space(struct ferry_linebuf *lb, char **p, size_t *room);
/* Account for @n bytes written at the pointer ferry_linebuf_space() gave. */
void ferry_linebuf_commit(struct ferry_linebuf *lb, size_t n);

/*
 * ferry_linebuf_read - one read(2) from @fd into the buffer
 * Return: bytes read, 0 on end of file, or -errno (-EAGAIN on a
 * non-blocking fd with nothing to read; EINTR is retried).
 */
ssize_t ferry_linebuf_read(struct ferry_linebuf *lb, int fd);

/*
 * ferry_linebuf_next - take the next whole line out of the buffer
 * The newline is replaced by a NUL, so @line is a C string unless the
 * line itself holds NUL bytes (ferry_proto_parse_line() refuses those).
 * Return: 1 with @line and @len set, 0 when no whole line is held yet, or
 * -EMSGSIZE when the line being received is longer than the maximum; the
 * stream cannot be resynchronised after that.
 */
int ferry_linebuf_next(struct ferry_linebuf *lb, char **line, size_t *len);

/* Bytes held that do not form a whole line yet. */
size_t ferry_linebuf_partial(const struct ferry_linebuf *lb);

/*
 * ferry_proto_parse_line - one line (newline already cut) into an object
 * Strict RFC 8259 JSON, valid UTF-8, at most FERRY_PROTO_MAX_DEPTH deep,
 * no NUL byte, nothing but blanks after the value, and a JSON object at
 * the top. A trailing '\r' is tolerated.
 * Return: 0 with a new reference in @obj; -ENODATA for a blank line;
 * -EMSGSIZE for a line over FERRY_PROTO_RECV_MAX; -EBADMSG otherwise,
 * with @err saying why and quoting the start of the line.
 */
int ferry_proto_parse_line(const char *line, size_t len, struct json_object **obj,
			   char *err, size_t errlen);

/*
 * ferry_proto_format - @obj as one line, '\n' included
 * Return: 0 with a malloc'ed @line of @len bytes (also NUL-terminated),
 * -EMSGSIZE when it would be longer than FERRY_PROTO_LINE_MAX, -ENOMEM.
 */
int ferry_proto_format(struct json_object *obj, char **line, size_t *len);

/*
 * Copy at most 40 bytes of @src into @dst for an error message, with
 * anything but printable ASCII shown as '?' and "..." when cut short.
 */
void ferry_proto_excerpt(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif

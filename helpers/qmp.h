/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qmp.h - ferry-monitor's QMP client: bytes from QEMU into checked JSON
 * messages, typed commands into QMP text.
 *
 * QEMU may be controlled by its guest, so everything it sends is hostile
 * input: a message is one line of at most FERRY_QMP_MAX_MSG bytes, parsed
 * by json-c with a depth limit, strict grammar and UTF-8 validation, and
 * every member the monitor uses is checked for type, range and alphabet
 * before it is turned into a typed message for the broker. No function
 * here talks to the broker, prints or exits: each returns 0 or -errno and
 * leaves what was wrong in an error buffer, in words fit for the broker's
 * log (QEMU's own bytes appear only as short, sanitised excerpts).
 */
#ifndef FERRY_QMP_H
#define FERRY_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "monitor-proto.h"

/* Longest QMP message, newline excluded. */
#define FERRY_QMP_MAX_MSG (1024u * 1024u)
/* Commands queued while QEMU is not reading its monitor. */
#define FERRY_QMP_MAX_OUT (64u * 1024u)
/* JSON nesting QEMU's replies and events need, with room to spare. */
#define FERRY_QMP_MAX_DEPTH 16

struct ferry_qmp {
	int fd;			/* QEMU's monitor socket, non-blocking */
	char *in;		/* what was read; [start, inlen) is not yet taken */
	size_t start, inlen;
	size_t scan;		/* [start, scan) is known to hold no newline */
	char *out;		/* queued command text */
	size_t outlen;
	struct json_tokener *tok;
	char err[256];
};

/* What kind of message a line held. */
enum ferry_qmp_kind {
	FERRY_QMP_GREETING,
	FERRY_QMP_REPLY,
	FERRY_QMP_EVENT,
};

/* A classified message; strings and objects point into its JSON object. */
struct ferry_qmp_msg {
	enum ferry_qmp_kind kind;
	struct json_object *greeting;	/* GREETING: the "QMP" member */
	const char *id;			/* REPLY */
	struct json_object *ret;	/* REPLY: "return", NULL for an error */
	const char *err_class;		/* REPLY: "error" */
	const char *err_desc;
	const char *event;		/* EVENT: its name, already checked */
	uint64_t timestamp_us;
	struct json_object *data;	/* EVENT: "data", NULL when absent */
};

/* Take ownership of @fd. Return 0 or -ENOMEM. */
int ferry_qmp_init(struct ferry_qmp *q, int fd);
void ferry_qmp_fini(struct ferry_qmp *q);

/* Read once. Return bytes read, 0 at EOF, -EAGAIN, or -errno with q->err. */
ssize_t ferry_qmp_read(struct ferry_qmp *q);

/*
 * ferry_qmp_next - take the next whole message out of what was read.
 * Return 1 with *@out (the caller puts it), 0 when no whole line is held,
 * -EMSGSIZE for a line over the limit, -EBADMSG for one that is not a
 * JSON object; q->err says which.
 */
int ferry_qmp_next(struct ferry_qmp *q, struct json_object **out);

/* Bytes held that are not a whole line yet. */
size_t ferry_qmp_partial(const struct ferry_qmp *q);

/*
 * ferry_qmp_classify - check a message's shape: a greeting, a reply (a
 * string id and exactly one of "return" and a well-formed "error") or an
 * event (name, timestamp, optional data object).
 * Return 0, or -EBADMSG with @err saying what was wrong.
 */
int ferry_qmp_classify(struct json_object *obj, struct ferry_qmp_msg *m,
		       char *err, size_t errlen);

/* Check the greeting; @version gets "MAJOR.MINOR.MICRO". Return 0 or -EBADMSG. */
int ferry_qmp_greeting(const struct ferry_qmp_msg *m, char *version, size_t vlen,
		       char *err, size_t errlen);

/* Turn an event into its typed form. Return 0 or -EBADMSG. */
int ferry_qmp_event(const struct ferry_qmp_msg *m, struct ferry_mon_event *ev,
		    char *err, size_t errlen);

/*
 * ferry_qmp_result - turn a command's "return" value into its typed
 * result. Return 0, or -EBADMSG when the value has the wrong shape.
 */
int ferry_qmp_result(uint32_t cmd, struct json_object *ret, union ferry_mon_ret *out,
		     char *err, size_t errlen);

/*
 * ferry_qmp_queue - queue {"execute": @execute, "arguments": ..., "id": @id}.
 * @c: a typed command, or NULL for one without arguments.
 * Return 0, -ENOBUFS when QEMU has left too much unread, or -ENOMEM.
 */
int ferry_qmp_queue(struct ferry_qmp *q, const char *execute,
		    const struct ferry_mon_command *c, const char *id);

/* Write what is queued. Return 0 when all is written, -EAGAIN, or -errno. */
int ferry_qmp_flush(struct ferry_qmp *q);
bool ferry_qmp_want_write(const struct ferry_qmp *q);

/* Copy at most 40 bytes of QEMU's text, non-printables as '?', for messages. */
void ferry_qmp_excerpt(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * label-proto.h - the typed payloads of the ferry-label messages
 * (FERRY_MSG_LABEL_*, numbered in wire.h), shared by the broker and the
 * helper, and the one check of an SELinux context's shape that both of
 * them, and the domain XML rules, use.
 *
 * Layouts (codec.h fields, in this order):
 *
 *   LABEL_FD      u32 flags, u32 type, u32 uid, u32 gid, str context   + 1 fd
 *   LABEL_RESULT  u32 done, u32 selinux, str note
 *
 * LABEL_FD's uid and gid are 0 unless FERRY_LABEL_OWNER is set; its
 * context is "" unless FERRY_LABEL_CONTEXT is set. LABEL_RESULT's done
 * holds the FERRY_LABEL_OWNER and FERRY_LABEL_CONTEXT bits of what was
 * applied; a context asked for on a host without SELinux, without
 * FERRY_LABEL_FORCE_XATTR, is not applied and not an error: the note
 * says FERRY_LABEL_NOTE_DISABLED. A refusal or a failed call is an
 * ERROR reply instead.
 *
 * Decoders refuse anything but the exact layout and the documented
 * values, so a lying helper and a broker bug are caught alike. Strings
 * they return point into the payload (see codec.h).
 */
#ifndef FERRY_LABEL_PROTO_H
#define FERRY_LABEL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* LABEL_FD flags; every other bit is refused. */
#define FERRY_LABEL_OWNER 0x1u		/* fchown(fd, uid, gid) */
#define FERRY_LABEL_CONTEXT 0x2u	/* security.selinux := context */
#define FERRY_LABEL_FORCE_XATTR 0x4u	/* write it even when SELinux is disabled */
#define FERRY_LABEL_FLAGS_KNOWN 0x7u
/* What LABEL_RESULT's done may hold. */
#define FERRY_LABEL_DONE_KNOWN (FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT)

/* LABEL_FD's expected file type: the fd's own must match. */
enum ferry_label_type {
	FERRY_LABEL_FILE = 1,		/* S_IFREG: a save file, a disk image */
	FERRY_LABEL_FIFO = 2,		/* S_IFIFO: a pipe to a compressor */
	FERRY_LABEL_SOCKET = 3,		/* S_IFSOCK: a migration connection */
};

/* The host's SELinux state as the helper found it when it started. */
enum ferry_selinux_state {
	FERRY_SELINUX_DISABLED = 0,
	FERRY_SELINUX_PERMISSIVE = 1,
	FERRY_SELINUX_ENFORCING = 2,
};

/* Longest strings, NUL excluded. */
#define FERRY_LABEL_CONTEXT_MAX 255u
#define FERRY_LABEL_NOTE_MAX 127u
/* The largest sensitivity (sN) and category (cN) number a context may name. */
#define FERRY_LABEL_LEVEL_MAX 1023u

/* The note of a context not applied because SELinux is disabled. */
#define FERRY_LABEL_NOTE_DISABLED "selinux disabled, not labelled"

/* Payload bounds, for the channel tables of both ends. */
#define FERRY_LABEL_FD_MIN (4u * 4u + 4u + 1u)
#define FERRY_LABEL_FD_MAX (4u * 4u + 4u + FERRY_LABEL_CONTEXT_MAX + 1u)
#define FERRY_LABEL_RESULT_MIN (4u + 4u + 4u + 1u)
#define FERRY_LABEL_RESULT_MAX (4u + 4u + 4u + FERRY_LABEL_NOTE_MAX + 1u)

struct ferry_label_req {
	uint32_t flags;			/* FERRY_LABEL_* */
	uint32_t type;			/* enum ferry_label_type */
	uint32_t uid, gid;		/* with FERRY_LABEL_OWNER; else 0 */
	const char *context;		/* with FERRY_LABEL_CONTEXT; else "" (or NULL to send) */
};

struct ferry_label_result {
	uint32_t done;			/* FERRY_LABEL_DONE_KNOWN bits */
	uint32_t selinux;		/* enum ferry_selinux_state */
	const char *note;		/* 0-127 printable ASCII characters */
};

/* Where the fields of a checked context are: pointers into it. */
struct ferry_label_context {
	const char *user, *role, *type;
	size_t user_len, role_len, type_len;
	const char *level;		/* the MLS level or range, to the end */
};

/**
 * ferry_label_context_check - whether @ctx has the shape of an SELinux
 * context: 1-255 printable ASCII bytes, user:role:type:level, each of the
 * first three an identifier (a letter, then letters, digits, '_', '.' or
 * '-'), the level sN or sN:CATS, or a range LOW-HIGH of two such levels,
 * where CATS is a comma-separated list of categories cN and ranges
 * cN.cM, in ascending order, N and M at most FERRY_LABEL_LEVEL_MAX.
 * Whether the policy knows these names is the kernel's to say.
 * @out: where the fields are, on success; may be NULL
 * Return 0, or -EINVAL with @err saying what is wrong (the context
 * itself is not quoted: callers name it as they see fit).
 */
int ferry_label_context_check(const char *ctx, struct ferry_label_context *out,
			      char *err, size_t errlen);

/**
 * ferry_label_category - read one category "cN" (no leading zeros, N at
 * most FERRY_LABEL_LEVEL_MAX) from the @len bytes at @s.
 * Return 0 with *@out set, or -EINVAL.
 */
int ferry_label_category(const char *s, size_t len, unsigned *out);

/* "a regular file", "a pipe", "a socket", or NULL for another number. */
const char *ferry_label_type_name(uint32_t type);
/* The file type bits of a st_mode in words: "a directory", ... */
const char *ferry_label_mode_name(uint32_t mode);
/* The enum ferry_label_type of a st_mode, or 0 for a type never labelled. */
uint32_t ferry_label_type_of_mode(uint32_t mode);

/**
 * ferry_label_check_req - the rules a LABEL_FD request obeys (see wire.h).
 * Return 0, or -EINVAL with @err naming the rule broken.
 */
int ferry_label_check_req(const struct ferry_label_req *req, char *err, size_t errlen);

/**
 * ferry_label_put_fd - encode a LABEL_FD payload into @w; the request
 * carries the fd to label beside it.
 * Return 0, -EINVAL for a request ferry_label_check_req() refuses, or
 * -EMSGSIZE when @w is full.
 */
int ferry_label_put_fd(struct ferry_wbuf *w, const struct ferry_label_req *req);

/**
 * ferry_label_get_fd - decode a LABEL_FD payload (the helper, on the
 * broker's word). @req->context points into @p.
 * Return 0; -EBADMSG for a malformed payload; -EINVAL for a request
 * ferry_label_check_req() refuses. Either way @err says what was wrong.
 */
int ferry_label_get_fd(const void *p, size_t len, struct ferry_label_req *req,
		       char *err, size_t errlen);

/**
 * ferry_label_put_result - encode a LABEL_RESULT payload.
 * Return 0, -EINVAL for a value ferry_label_get_result() would refuse,
 * or -EMSGSIZE.
 */
int ferry_label_put_result(struct ferry_wbuf *w, const struct ferry_label_result *res);

/**
 * ferry_label_get_result - decode a LABEL_RESULT payload (the broker, on
 * the helper's word). @res->note points into @p.
 * Return 0, or -EBADMSG with @err naming the fault: a malformed payload,
 * unknown done bits, an unknown SELinux state, or a note outside its
 * alphabet or length.
 */
int ferry_label_get_result(const void *p, size_t len, struct ferry_label_result *res,
			   char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * label-proto.c - the ferry-label payloads and the shape of an SELinux
 * context. Both ends call the same encoders and decoders, so a layout
 * exists in exactly one place. A decoder reads the whole layout first and
 * judges the values after, so a malformed payload is always -EBADMSG,
 * whatever its fields hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "label-proto.h"
#include "util.h"

static const struct {
	uint32_t type;		/* enum ferry_label_type, 0: never labelled */
	uint32_t fmt;		/* S_IFMT bits */
	const char *name;
} file_types[] = {
	{ FERRY_LABEL_FILE, S_IFREG, "a regular file" },
	{ FERRY_LABEL_FIFO, S_IFIFO, "a pipe" },
	{ FERRY_LABEL_SOCKET, S_IFSOCK, "a socket" },
	{ 0, S_IFDIR, "a directory" },
	{ 0, S_IFCHR, "a character device" },
	{ 0, S_IFBLK, "a block device" },
	{ 0, S_IFLNK, "a symbolic link" },
};

const char *ferry_label_type_name(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_types); i++)
		if (type && file_types[i].type == type)
			return file_types[i].name;
	return NULL;
}

const char *ferry_label_mode_name(uint32_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_types); i++)
		if (file_types[i].fmt == (mode & S_IFMT))
			return file_types[i].name;
	return "of an unknown file type";
}

uint32_t ferry_label_type_of_mode(uint32_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_types); i++)
		if (file_types[i].fmt == (mode & S_IFMT))
			return file_types[i].type;
	return 0;
}

/* --- the shape of a context ----------------------------------------------- */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(const char *s, size_t n)
{
	if (n == 0 || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* The @n digits at @s: 0 to FERRY_LABEL_LEVEL_MAX, one spelling (no leading zero). */
static int read_number(const char *s, size_t n, unsigned *out)
{
	char buf[8];
	uint64_t v;

	if (n == 0 || n >= sizeof(buf) || (n > 1 && s[0] == '0'))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ferry_parse_u64(buf, FERRY_LABEL_LEVEL_MAX, &v) < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int ferry_label_category(const char *s, size_t len, unsigned *out)
{
	if (len < 2 || s[0] != 'c')
		return -EINVAL;
	return read_number(s + 1, len - 1, out);
}

/* A cursor over the level part of a context. */
struct level_cursor {
	const char *p, *end;
};

/* @prefix then a number: "s0", "c1023". */
static bool take_number(struct level_cursor *l, char prefix, unsigned *out)
{
	size_t n = 0;

	if (l->p == l->end || *l->p != prefix)
		return false;
	while (l->p + 1 + n < l->end && is_digit(l->p[1 + n]))
		n++;
	if (read_number(l->p + 1, n, out) < 0)
		return false;
	l->p += 1 + n;
	return true;
}

/* sN[:CATS]; stops at the end or at the '-' of a range. NULL, or why not. */
static const char *take_level(struct level_cursor *l)
{
	unsigned sens, lo, hi, last = 0;
	bool first = true;

	if (!take_number(l, 's', &sens))
		return "has a level whose sensitivity is not s0-s1023";
	if (l->p == l->end || *l->p == '-')
		return NULL;
	if (*l->p++ != ':')
		return "has a level with a stray character after its sensitivity";
	for (;;) {
		if (!take_number(l, 'c', &lo))
			return "has a level with a category that is not c0-c1023";
		hi = lo;
		if (l->p < l->end && *l->p == '.') {
			l->p++;
			if (!take_number(l, 'c', &hi))
				return "has a level with a category that is not c0-c1023";
			if (hi <= lo)
				return "has a level with a category range cN.cM where N is not below M";
		}
		if (!first && lo <= last)
			return "has a level whose categories are not in ascending order";
		first = false;
		last = hi;
		if (l->p == l->end || *l->p == '-')
			return NULL;
		if (*l->p++ != ',')
			return "has a level with a stray character between its categories";
	}
}

/* LOW or LOW-HIGH. */
static const char *level_problem(const char *level, const char *end)
{
	struct level_cursor l = { level, end };
	const char *why = take_level(&l);

	if (why || l.p == l.end)
		return why;
	l.p++;
	why = take_level(&l);
	if (!why && l.p != l.end)
		why = "has a range of more than two levels";
	return why;
}

int ferry_label_context_check(const char *ctx, struct ferry_label_context *out,
			      char *err, size_t errlen)
{
	static const char *const names[3] = { "user", "role", "type" };
	const char *field[3], *p = ctx, *colon;
	size_t len = strlen(ctx), flen[3];
	const char *why;

	if (len == 0)
		return ferry_err(err, errlen, -EINVAL, "is empty");
	if (len > FERRY_LABEL_CONTEXT_MAX)
		return ferry_err(err, errlen, -EINVAL, "is %zu bytes, more than %u", len,
				 FERRY_LABEL_CONTEXT_MAX);
	for (size_t i = 0; i < len; i++)
		if (ctx[i] < 0x21 || ctx[i] > 0x7e)
			return ferry_err(err, errlen, -EINVAL,
					 "holds a byte outside printable ASCII (at %zu)", i);
	for (int i = 0; i < 3; i++) {
		colon = strchr(p, ':');
		if (!colon)
			return ferry_err(err, errlen, -EINVAL, "is not user:role:type:level");
		field[i] = p;
		flen[i] = (size_t)(colon - p);
		if (!is_ident(field[i], flen[i]))
			return ferry_err(err, errlen, -EINVAL, "has a %s that is not an identifier "
					 "(a letter, then letters, digits, '_', '.' or '-')", names[i]);
		p = colon + 1;
	}
	why = level_problem(p, ctx + len);
	if (why)
		return ferry_err(err, errlen, -EINVAL, "%s", why);
	if (out)
		*out = (struct ferry_label_context){
			.user = field[0], .role = field[1], .type = field[2],
			.user_len = flen[0], .role_len = flen[1], .type_len = flen[2],
			.level = p,
		};
	return 0;
}

/* --- the payloads ------------------------------------------------------- */

static bool note_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > FERRY_LABEL_NOTE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

int ferry_label_check_req(const struct ferry_label_req *req, char *err, size_t errlen)
{
	const uint32_t f = req->flags;
	const char *ctx = req->context ? req->context : "";
	char why[160];

	if (f & ~FERRY_LABEL_FLAGS_KNOWN)
		return ferry_err(err, errlen, -EINVAL, "unknown flags 0x%" PRIx32,
				 f & ~FERRY_LABEL_FLAGS_KNOWN);
	if (!(f & (FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT)))
		return ferry_err(err, errlen, -EINVAL, "flags 0x%" PRIx32 " set neither the owner "
				 "(0x1) nor the context (0x2)", f);
	if ((f & FERRY_LABEL_FORCE_XATTR) && !(f & FERRY_LABEL_CONTEXT))
		return ferry_err(err, errlen, -EINVAL, "flag 0x4 (write the xattr without SELinux) "
				 "needs the context flag 0x2");
	if (!ferry_label_type_name(req->type))
		return ferry_err(err, errlen, -EINVAL, "file type %" PRIu32 " is not 1 (a regular "
				 "file), 2 (a pipe) or 3 (a socket)", req->type);
	/* fchown reads -1 as "leave this one alone": never what a caller means. */
	if ((f & FERRY_LABEL_OWNER) && (req->uid == UINT32_MAX || req->gid == UINT32_MAX))
		return ferry_err(err, errlen, -EINVAL, "owner %" PRIu32 ":%" PRIu32 ": -1 means "
				 "'leave unchanged' to fchown", req->uid, req->gid);
	if (!(f & FERRY_LABEL_OWNER) && (req->uid || req->gid))
		return ferry_err(err, errlen, -EINVAL, "owner %" PRIu32 ":%" PRIu32 " given without "
				 "the owner flag", req->uid, req->gid);
	if (!(f & FERRY_LABEL_CONTEXT) && ctx[0])
		return ferry_err(err, errlen, -EINVAL, "context given without the context flag");
	if ((f & FERRY_LABEL_CONTEXT) && ferry_label_context_check(ctx, NULL, why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "context %s", why);
	return 0;
}

int ferry_label_put_fd(struct ferry_wbuf *w, const struct ferry_label_req *req)
{
	if (ferry_label_check_req(req, NULL, 0) < 0)
		return -EINVAL;
	ferry_put_u32(w, req->flags);
	ferry_put_u32(w, req->type);
	ferry_put_u32(w, req->uid);
	ferry_put_u32(w, req->gid);
	ferry_put_str(w, req->context ? req->context : "");
	return w->err;
}

int ferry_label_get_fd(const void *p, size_t len, struct ferry_label_req *req,
		       char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	req->flags = ferry_get_u32(&r, "flags");
	req->type = ferry_get_u32(&r, "type");
	req->uid = ferry_get_u32(&r, "uid");
	req->gid = ferry_get_u32(&r, "gid");
	req->context = ferry_get_str(&r, "context");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	return ferry_label_check_req(req, err, errlen);
}

static int result_problem(const struct ferry_label_result *res, char *err, size_t errlen)
{
	if (res->done & ~FERRY_LABEL_DONE_KNOWN)
		return ferry_err(err, errlen, -EBADMSG, "unknown done bits 0x%" PRIx32,
				 res->done & ~FERRY_LABEL_DONE_KNOWN);
	if (res->selinux > FERRY_SELINUX_ENFORCING)
		return ferry_err(err, errlen, -EBADMSG, "SELinux state %" PRIu32 " is not 0 "
				 "(disabled), 1 (permissive) or 2 (enforcing)", res->selinux);
	if (!note_ok(res->note))
		return ferry_err(err, errlen, -EBADMSG,
				 "note is not 0-%u printable ASCII characters", FERRY_LABEL_NOTE_MAX);
	return 0;
}

int ferry_label_put_result(struct ferry_wbuf *w, const struct ferry_label_result *res)
{
	if (!res->note || result_problem(res, NULL, 0) < 0)
		return -EINVAL;
	ferry_put_u32(w, res->done);
	ferry_put_u32(w, res->selinux);
	ferry_put_str(w, res->note);
	return w->err;
}

int ferry_label_get_result(const void *p, size_t len, struct ferry_label_result *res,
			   char *err, size_t errlen)
{
	struct ferry_rbuf r;
	int ret;

	ferry_rbuf_init(&r, p, len);
	res->done = ferry_get_u32(&r, "done");
	res->selinux = ferry_get_u32(&r, "selinux");
	res->note = ferry_get_str(&r, "note");
	ret = ferry_get_end(&r, err, errlen);
	if (ret < 0)
		return ret;
	return result_problem(res, err, errlen);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-label-proto.c - the ferry-label payloads on plain buffers, and the
 * shape of an SELinux context. Each payload round-trips; the layout is
 * the one documented; every truncation and every trailing byte is
 * refused; and what a broker bug or a lying helper could put in a
 * well-formed payload is refused by the decoder, with the reason, and
 * never produced by the encoder.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "label-proto.h"
#include "monitor-proto-harness.h"
#include "util.h"

static int dec_label_fd(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_label_req req;

	return ferry_label_get_fd(p, len, &req, err, errlen);
}

static int dec_label_result(const void *p, size_t len, char *err, size_t errlen)
{
	struct ferry_label_result res;

	return ferry_label_get_result(p, len, &res, err, errlen);
}

/* --- LABEL_FD ------------------------------------------------------------- */

static const struct ferry_label_req good_reqs[] = {
	{ FERRY_LABEL_OWNER, FERRY_LABEL_FILE, 107, 107, "" },
	{ FERRY_LABEL_OWNER, FERRY_LABEL_SOCKET, 0, 0, "" },
	{ FERRY_LABEL_CONTEXT, FERRY_LABEL_FIFO, 0, 0, "system_u:object_r:svirt_image_t:s0:c1,c2" },
	{ FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT, FERRY_LABEL_FILE, 65534, 65534,
	  "system_u:object_r:svirt_image_t:s0:c12,c34" },
	{ FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE, 0, 0, "a:b:c:s0" },
	{ FERRY_LABEL_FLAGS_KNOWN, FERRY_LABEL_SOCKET, UINT32_MAX - 1, 1,
	  "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023" },
};

START_TEST(fd_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_label_req *q = &good_reqs[_i];
	uint32_t head[4] = { q->flags, q->type, q->uid, q->gid };
	uint32_t slen = (uint32_t)strlen(q->context) + 1;
	struct ferry_label_req out;
	char why[160];

	ck_assert_int_eq(ferry_label_put_fd(w, q), 0);
	/* u32 flags, u32 type, u32 uid, u32 gid, str context. */
	ck_assert_uint_eq(w->len, 16 + 4 + slen);
	ck_assert_uint_ge(w->len, FERRY_LABEL_FD_MIN);
	ck_assert_uint_le(w->len, FERRY_LABEL_FD_MAX);
	ck_assert_mem_eq(w->data, head, sizeof(head));
	ck_assert_mem_eq(w->data + 16, &slen, 4);
	ck_assert_mem_eq(w->data + 20, q->context, slen);
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.flags, q->flags);
	ck_assert_uint_eq(out.type, q->type);
	ck_assert_uint_eq(out.uid, q->uid);
	ck_assert_uint_eq(out.gid, q->gid);
	ck_assert_str_eq(out.context, q->context);
	/* The context points into the payload: nothing was copied. */
	ck_assert_ptr_eq(out.context, (const char *)w->data + 20);
	expect_prefixes_refused(w, dec_label_fd);
}
END_TEST

/* Requests the rules refuse: the encoder will not send them, the decoder says why. */
static const struct { struct ferry_label_req q; const char *why; } bad_reqs[] = {
	{ { 0x8, 1, 0, 0, "" }, "unknown flags 0x8" },
	{ { 0x80000001u, 1, 0, 0, "" }, "unknown flags 0x80000000" },
	{ { 0, 1, 0, 0, "" }, "flags 0x0 set neither the owner (0x1) nor the context (0x2)" },
	{ { FERRY_LABEL_FORCE_XATTR, 1, 0, 0, "" },
	  "flags 0x4 set neither the owner (0x1) nor the context (0x2)" },
	{ { FERRY_LABEL_OWNER | FERRY_LABEL_FORCE_XATTR, 1, 0, 0, "" },
	  "flag 0x4 (write the xattr without SELinux) needs the context flag 0x2" },
	{ { FERRY_LABEL_OWNER, 0, 0, 0, "" },
	  "file type 0 is not 1 (a regular file), 2 (a pipe) or 3 (a socket)" },
	{ { FERRY_LABEL_OWNER, 4, 0, 0, "" },
	  "file type 4 is not 1 (a regular file), 2 (a pipe) or 3 (a socket)" },
	{ { FERRY_LABEL_OWNER, 1, UINT32_MAX, 5, "" },
	  "owner 4294967295:5: -1 means 'leave unchanged' to fchown" },
	{ { FERRY_LABEL_OWNER, 1, 5, UINT32_MAX, "" },
	  "owner 5:4294967295: -1 means 'leave unchanged' to fchown" },
	{ { FERRY_LABEL_CONTEXT, 1, 107, 0, "a:b:c:s0" }, "owner 107:0 given without the owner flag" },
	{ { FERRY_LABEL_OWNER, 1, 1, 1, "a:b:c:s0" }, "context given without the context flag" },
	{ { FERRY_LABEL_CONTEXT, 1, 0, 0, "" }, "context is empty" },
	{ { FERRY_LABEL_CONTEXT, 2, 0, 0, "a:b:c" }, "context is not user:role:type:level" },
	{ { FERRY_LABEL_CONTEXT, 3, 0, 0, "a:b:c:s0:c2,c1" },
	  "context has a level whose categories are not in ascending order" },
};

/* Encode @q's fields as they are, without the encoder's checks. */
static void put_raw_req(struct ferry_wbuf *w, const struct ferry_label_req *q)
{
	ferry_put_u32(w, q->flags);
	ferry_put_u32(w, q->type);
	ferry_put_u32(w, q->uid);
	ferry_put_u32(w, q->gid);
	ferry_put_str(w, q->context);
	ck_assert_int_eq(w->err, 0);
}

START_TEST(fd_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_label_req out;
	char why[160];

	ck_assert_int_eq(ferry_label_put_fd(w, &bad_reqs[_i].q), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	put_raw_req(w, &bad_reqs[_i].q);
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len, &out, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, bad_reqs[_i].why);
	ck_assert_int_eq(ferry_label_check_req(&bad_reqs[_i].q, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, bad_reqs[_i].why);
}
END_TEST

/* A malformed payload is -EBADMSG even when its fields are also out of range. */
START_TEST(fd_layout_before_values)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_label_req out, q = { 0xff, 99, UINT32_MAX, UINT32_MAX, "x" };
	char why[160];

	put_raw_req(w, &q);
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len - 1, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'context' is truncated or malformed");
	ck_assert_int_eq(ferry_label_get_fd(w->data, 6, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'type' is truncated or malformed");
	/* A NUL inside the context is malformed, not a shorter context. */
	ferry_wbuf_init(w);
	q = (struct ferry_label_req){ FERRY_LABEL_CONTEXT, 1, 0, 0, "a:b:c:s0?c1" };
	put_raw_req(w, &q);
	w->data[20 + 8] = '\0';
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'context' is truncated or malformed");
}
END_TEST

/* The longest context fits the bound the channel tables use; one byte more does not. */
START_TEST(fd_context_bounds)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char ctx[FERRY_LABEL_CONTEXT_MAX + 2];
	struct ferry_label_req q = { FERRY_LABEL_CONTEXT, 1, 0, 0, ctx }, out;
	char why[160];

	memset(ctx, 'u', sizeof(ctx));
	memcpy(ctx + FERRY_LABEL_CONTEXT_MAX - 7, ":r:t:s0", 8);
	ck_assert_int_eq(ferry_label_put_fd(w, &q), 0);
	ck_assert_uint_eq(w->len, FERRY_LABEL_FD_MAX);
	memset(ctx, 'u', sizeof(ctx));
	memcpy(ctx + FERRY_LABEL_CONTEXT_MAX + 1 - 7, ":r:t:s0", 8);
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_label_put_fd(w, &q), -EINVAL);
	put_raw_req(w, &q);
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len, &out, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "context is 256 bytes, more than 255");
	/* No context at all is the empty one: what an owner-only request sends. */
	q = (struct ferry_label_req){ FERRY_LABEL_OWNER, FERRY_LABEL_FILE, 1, 1, NULL };
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_label_put_fd(w, &q), 0);
	ck_assert_int_eq(ferry_label_get_fd(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_str_eq(out.context, "");
	q.flags = FERRY_LABEL_CONTEXT;
	q.uid = q.gid = 0;
	ck_assert_int_eq(ferry_label_check_req(&q, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "context is empty");
}
END_TEST

/* --- LABEL_RESULT --------------------------------------------------------- */

static const struct ferry_label_result good_results[] = {
	{ FERRY_LABEL_OWNER, FERRY_SELINUX_DISABLED, "" },
	{ FERRY_LABEL_OWNER, FERRY_SELINUX_DISABLED, FERRY_LABEL_NOTE_DISABLED },
	{ FERRY_LABEL_CONTEXT, FERRY_SELINUX_DISABLED, "selinux disabled, xattr written as asked" },
	{ FERRY_LABEL_DONE_KNOWN, FERRY_SELINUX_ENFORCING, "" },
	{ 0, FERRY_SELINUX_PERMISSIVE, FERRY_LABEL_NOTE_DISABLED },
};

START_TEST(result_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_label_result *res = &good_results[_i];
	uint32_t len = (uint32_t)strlen(res->note) + 1;
	struct ferry_label_result out;
	char why[160];

	ck_assert_int_eq(ferry_label_put_result(w, res), 0);
	/* u32 done, u32 selinux, str note. */
	ck_assert_uint_eq(w->len, 12 + len);
	ck_assert_uint_ge(w->len, FERRY_LABEL_RESULT_MIN);
	ck_assert_uint_le(w->len, FERRY_LABEL_RESULT_MAX);
	ck_assert_mem_eq(w->data, &res->done, 4);
	ck_assert_mem_eq(w->data + 4, &res->selinux, 4);
	ck_assert_mem_eq(w->data + 8, &len, 4);
	ck_assert_int_eq(ferry_label_get_result(w->data, w->len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.done, res->done);
	ck_assert_uint_eq(out.selinux, res->selinux);
	ck_assert_str_eq(out.note, res->note);
	ck_assert_ptr_eq(out.note, (const char *)w->data + 12);
	expect_prefixes_refused(w, dec_label_result);
}
END_TEST

/* What a lying helper could put in a well-formed LABEL_RESULT. */
static const struct { struct ferry_label_result res; const char *why; } bad_results[] = {
	{ { FERRY_LABEL_FORCE_XATTR, 0, "" }, "unknown done bits 0x4" },
	{ { 0x80000003u, 0, "" }, "unknown done bits 0x80000000" },
	{ { 0, 3, "" }, "SELinux state 3 is not 0 (disabled), 1 (permissive) or 2 (enforcing)" },
	{ { 0, UINT32_MAX, "" },
	  "SELinux state 4294967295 is not 0 (disabled), 1 (permissive) or 2 (enforcing)" },
	{ { 1, 0, "tab\there" }, "note is not 0-127 printable ASCII characters" },
	{ { 1, 0, "\x1b[31m" }, "note is not 0-127 printable ASCII characters" },
	{ { 1, 0, "caf\xc3\xa9" }, "note is not 0-127 printable ASCII characters" },
};

START_TEST(result_refused)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const struct ferry_label_result *res = &bad_results[_i].res;
	struct ferry_label_result out;
	char why[160];

	ck_assert_int_eq(ferry_label_put_result(w, res), -EINVAL);
	ck_assert_uint_eq(w->len, 0);
	ferry_put_u32(w, res->done);
	ferry_put_u32(w, res->selinux);
	ferry_put_str(w, res->note);
	ck_assert_int_eq(ferry_label_get_result(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, bad_results[_i].why);
}
END_TEST

START_TEST(result_note_bounds)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	char note[FERRY_LABEL_NOTE_MAX + 2];
	struct ferry_label_result res = { 0, 0, note }, out;
	char why[160];

	memset(note, 'n', FERRY_LABEL_NOTE_MAX);
	note[FERRY_LABEL_NOTE_MAX] = '\0';
	ck_assert_int_eq(ferry_label_put_result(w, &res), 0);
	ck_assert_uint_eq(w->len, FERRY_LABEL_RESULT_MAX);
	note[FERRY_LABEL_NOTE_MAX] = 'n';
	note[FERRY_LABEL_NOTE_MAX + 1] = '\0';
	ferry_wbuf_init(w);
	ck_assert_int_eq(ferry_label_put_result(w, &res), -EINVAL);
	ferry_put_u32(w, 0);
	ferry_put_u32(w, 0);
	ferry_put_str(w, note);
	ck_assert_int_eq(ferry_label_get_result(w->data, w->len, &out, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "note is not 0-127 printable ASCII characters");
	res.note = NULL;
	ck_assert_int_eq(ferry_label_put_result(w, &res), -EINVAL);
}
END_TEST

/* --- contexts ------------------------------------------------------------- */

static const struct { const char *ctx, *user, *role, *type, *level; } good_contexts[] = {
	{ "system_u:system_r:svirt_t:s0:c1,c2", "system_u", "system_r", "svirt_t", "s0:c1,c2" },
	{ "system_u:object_r:svirt_image_t:s0:c12,c34", "system_u", "object_r", "svirt_image_t",
	  "s0:c12,c34" },
	{ "a:b:c:s0", "a", "b", "c", "s0" },
	{ "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "unconfined_u", "unconfined_r",
	  "unconfined_t", "s0-s0:c0.c1023" },
	{ "u:r:t:s0-s15:c0,c3.c7,c1023", "u", "r", "t", "s0-s15:c0,c3.c7,c1023" },
	{ "staff.u:role-2:type_3:s1023:c0", "staff.u", "role-2", "type_3", "s1023:c0" },
	{ "U:R:T:s0:c0-s0", "U", "R", "T", "s0:c0-s0" },
};

START_TEST(context_accepted)
{
	struct ferry_label_context c;
	char why[160] = "";

	ck_assert_msg(ferry_label_context_check(good_contexts[_i].ctx, &c, why, sizeof(why)) == 0,
		      "%s: %s", good_contexts[_i].ctx, why);
	ck_assert_ptr_eq(c.user, good_contexts[_i].ctx);
	ck_assert_uint_eq(c.user_len, strlen(good_contexts[_i].user));
	ck_assert_mem_eq(c.user, good_contexts[_i].user, c.user_len);
	ck_assert_uint_eq(c.role_len, strlen(good_contexts[_i].role));
	ck_assert_mem_eq(c.role, good_contexts[_i].role, c.role_len);
	ck_assert_uint_eq(c.type_len, strlen(good_contexts[_i].type));
	ck_assert_mem_eq(c.type, good_contexts[_i].type, c.type_len);
	ck_assert_str_eq(c.level, good_contexts[_i].level);
	ck_assert_int_eq(ferry_label_context_check(good_contexts[_i].ctx, NULL, NULL, 0), 0);
}
END_TEST

#define NOT_IDENT "is not an identifier (a letter, then letters, digits, '_', '.' or '-')"

static const struct { const char *ctx, *why; } bad_contexts[] = {
	{ "", "is empty" },
	{ "a:b:c:s0 ", "holds a byte outside printable ASCII (at 8)" },
	{ "a:b:c:s0\t", "holds a byte outside printable ASCII (at 8)" },
	{ "a:b:\xc3\xa9:s0", "holds a byte outside printable ASCII (at 4)" },
	{ "a", "is not user:role:type:level" },
	{ "a:b:c", "is not user:role:type:level" },
	{ ":b:c:s0", "has a user that " NOT_IDENT },
	{ "1u:b:c:s0", "has a user that " NOT_IDENT },
	{ "a:b/x:c:s0", "has a role that " NOT_IDENT },
	{ "a:b::s0", "has a type that " NOT_IDENT },
	{ "a:b:c:", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:s", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:s01", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:s1024", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:t0", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:s0x", "has a level with a stray character after its sensitivity" },
	{ "a:b:c:s0:", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c1024", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c01", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c1,", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c1.", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c99999999999", "has a level with a category that is not c0-c1023" },
	{ "a:b:c:s0:c2,c1", "has a level whose categories are not in ascending order" },
	{ "a:b:c:s0:c1,c1", "has a level whose categories are not in ascending order" },
	{ "a:b:c:s0:c0.c5,c5", "has a level whose categories are not in ascending order" },
	{ "a:b:c:s0:c5.c5", "has a level with a category range cN.cM where N is not below M" },
	{ "a:b:c:s0:c9.c1", "has a level with a category range cN.cM where N is not below M" },
	{ "a:b:c:s0:c1;c2", "has a level with a stray character between its categories" },
	{ "a:b:c:s0:c1:c2", "has a level with a stray character between its categories" },
	{ "a:b:c:s0-", "has a level whose sensitivity is not s0-s1023" },
	{ "a:b:c:s0-s0-s0", "has a range of more than two levels" },
};

START_TEST(context_refused)
{
	char why[160];

	ck_assert_int_eq(ferry_label_context_check(bad_contexts[_i].ctx, NULL, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, bad_contexts[_i].why);
}
END_TEST

START_TEST(category_numbers)
{
	unsigned c = 99;

	ck_assert_int_eq(ferry_label_category("c0", 2, &c), 0);
	ck_assert_uint_eq(c, 0);
	ck_assert_int_eq(ferry_label_category("c1023,c5", 5, &c), 0);
	ck_assert_uint_eq(c, 1023);
	ck_assert_int_eq(ferry_label_category("c1024", 5, &c), -EINVAL);
	ck_assert_int_eq(ferry_label_category("c01", 3, &c), -EINVAL);
	ck_assert_int_eq(ferry_label_category("c", 1, &c), -EINVAL);
	ck_assert_int_eq(ferry_label_category("s1", 2, &c), -EINVAL);
	ck_assert_int_eq(ferry_label_category("c+1", 3, &c), -EINVAL);
	ck_assert_int_eq(ferry_label_category("c1 ", 3, &c), -EINVAL);
	ck_assert_uint_eq(c, 1023);
}
END_TEST

START_TEST(file_type_names)
{
	ck_assert_str_eq(ferry_label_type_name(FERRY_LABEL_FILE), "a regular file");
	ck_assert_str_eq(ferry_label_type_name(FERRY_LABEL_FIFO), "a pipe");
	ck_assert_str_eq(ferry_label_type_name(FERRY_LABEL_SOCKET), "a socket");
	ck_assert_ptr_null(ferry_label_type_name(0));
	ck_assert_ptr_null(ferry_label_type_name(4));
	ck_assert_uint_eq(ferry_label_type_of_mode(S_IFREG | 0644), FERRY_LABEL_FILE);
	ck_assert_uint_eq(ferry_label_type_of_mode(S_IFIFO), FERRY_LABEL_FIFO);
	ck_assert_uint_eq(ferry_label_type_of_mode(S_IFSOCK | 0777), FERRY_LABEL_SOCKET);
	ck_assert_uint_eq(ferry_label_type_of_mode(S_IFDIR | 0755), 0);
	ck_assert_uint_eq(ferry_label_type_of_mode(S_IFCHR), 0);
	ck_assert_str_eq(ferry_label_mode_name(S_IFCHR | 0666), "a character device");
	ck_assert_str_eq(ferry_label_mode_name(S_IFBLK), "a block device");
	ck_assert_str_eq(ferry_label_mode_name(0), "of an unknown file type");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("label-proto");
	TCase *req = tcase_create("requests");
	TCase *res = tcase_create("results");
	TCase *ctx = tcase_create("contexts");

	tcase_add_loop_test(req, fd_round_trip, 0, (int)ARRAY_SIZE(good_reqs));
	tcase_add_loop_test(req, fd_refused, 0, (int)ARRAY_SIZE(bad_reqs));
	tcase_add_test(req, fd_layout_before_values);
	tcase_add_test(req, fd_context_bounds);
	suite_add_tcase(s, req);

	tcase_add_loop_test(res, result_round_trip, 0, (int)ARRAY_SIZE(good_results));
	tcase_add_loop_test(res, result_refused, 0, (int)ARRAY_SIZE(bad_results));
	tcase_add_test(res, result_note_bounds);
	suite_add_tcase(s, res);

	tcase_add_loop_test(ctx, context_accepted, 0, (int)ARRAY_SIZE(good_contexts));
	tcase_add_loop_test(ctx, context_refused, 0, (int)ARRAY_SIZE(bad_contexts));
	tcase_add_test(ctx, category_numbers);
	tcase_add_test(ctx, file_type_names);
	suite_add_tcase(s, ctx);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

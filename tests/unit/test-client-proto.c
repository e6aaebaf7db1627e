/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-client-proto.c - the client API's framing on plain buffers: lines
 * cut out of a stream however it is chunked, the size limit on both
 * sides of it, and the strict parse every line goes through.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-proto.h"
#include "util.h"

/* Append @n bytes of @s as one received chunk. */
static void feed(struct ferry_linebuf *lb, const char *s, size_t n)
{
	while (n) {
		char *p;
		size_t room;

		ck_assert_int_eq(ferry_linebuf_space(lb, &p, &room), 0);
		ck_assert_uint_gt(room, 0);
		if (room > n)
			room = n;
		memcpy(p, s, room);
		ferry_linebuf_commit(lb, room);
		s += room;
		n -= room;
	}
}

static void expect_line(struct ferry_linebuf *lb, const char *want)
{
	char *line;
	size_t len;

	ck_assert_int_eq(ferry_linebuf_next(lb, &line, &len), 1);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(line, want);
}

START_TEST(test_linebuf_chunks)
{
	static const char stream[] = "{\"a\": 1}\n\n{\"b\": 2}\r\n{\"c\"";
	struct ferry_linebuf lb;
	char *line;
	size_t len;

	/* Byte by byte or all at once, the same lines come out. */
	for (size_t step = 1; step <= sizeof(stream); step++) {
		ferry_linebuf_init(&lb, 64);
		for (size_t off = 0; off < sizeof(stream) - 1; off += step) {
			size_t n = sizeof(stream) - 1 - off < step ? sizeof(stream) - 1 - off : step;
			int r;

			feed(&lb, stream + off, n);
			while ((r = ferry_linebuf_next(&lb, &line, &len)) > 0)
				ck_assert(len == 0 || line[0] == '{');
			ck_assert_int_eq(r, 0);
		}
		ck_assert_uint_eq(ferry_linebuf_partial(&lb), 4);
		feed(&lb, ": 3}\n", 5);
		expect_line(&lb, "{\"c\": 3}");
		ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 0);
		ck_assert_uint_eq(ferry_linebuf_partial(&lb), 0);
		ferry_linebuf_release(&lb);
	}
}
END_TEST

START_TEST(test_linebuf_limit)
{
	struct ferry_linebuf lb;
	char buf[40];
	char *line, *p;
	size_t len, room;

	memset(buf, 'x', sizeof(buf));
	/* Exactly the maximum, then its newline: fine. */
	ferry_linebuf_init(&lb, 32);
	feed(&lb, buf, 32);
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 0);
	feed(&lb, "\n", 1);
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, 32);
	/* One more byte without a newline: the stream is lost. */
	feed(&lb, buf, 33);
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	ck_assert_int_eq(ferry_linebuf_space(&lb, &p, &room), -EMSGSIZE);
	ferry_linebuf_release(&lb);

	/* A newline that comes too late does not make it fit. */
	ferry_linebuf_init(&lb, 32);
	feed(&lb, buf, 20);
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 0);
	ck_assert_int_eq(ferry_linebuf_space(&lb, &p, &room), 0);
	ck_assert_uint_eq(room, 13);
	memcpy(p, buf, 12);
	p[12] = '\n';
	ferry_linebuf_commit(&lb, 13);
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, 32);
	ferry_linebuf_release(&lb);
}
END_TEST

START_TEST(test_linebuf_read)
{
	struct ferry_linebuf lb;
	char *line;
	size_t len;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(ferry_write_all(sv[1], "{}\n{\"x\"", 7), 0);
	ferry_linebuf_init(&lb, FERRY_PROTO_RECV_MAX);
	ck_assert_int_eq(ferry_linebuf_read(&lb, sv[0]), 7);
	expect_line(&lb, "{}");
	ck_assert_int_eq(ferry_linebuf_next(&lb, &line, &len), 0);
	close(sv[1]);
	ck_assert_int_eq(ferry_linebuf_read(&lb, sv[0]), 0);
	ck_assert_uint_eq(ferry_linebuf_partial(&lb), 4);
	close(sv[0]);
	ck_assert_int_eq(ferry_linebuf_read(&lb, sv[0]), -EBADF);
	ferry_linebuf_release(&lb);
}
END_TEST

/* Lines and how ferry_proto_parse_line() takes them: 0, or the complaint. */
static const struct {
	const char *line;
	int want;
	const char *says;
} lines[] = {
	{ "{}", 0, NULL },
	{ "  {\"execute\": \"version\", \"id\": 1}  \r", 0, NULL },
	{ "{\"a\": \"caf\xc3\xa9 \\u00e9\"}", 0, NULL },
	{ "{\"a\": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", 0, NULL },
	{ "{\"a\": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", -EBADMSG, "malformed JSON" },
	{ "", -ENODATA, "blank line" },
	{ " \t\r", -ENODATA, "blank line" },
	{ "[]", -EBADMSG, "not a JSON object" },
	{ "\"execute\"", -EBADMSG, "not a JSON object" },
	{ "42", -EBADMSG, "malformed JSON" },
	{ "{", -EBADMSG, "malformed JSON (incomplete)" },
	{ "{\"a\": 1,}", -EBADMSG, "malformed JSON" },
	{ "{\"a\": 'b'}", -EBADMSG, "malformed JSON" },
	{ "{\"a\": \"\xff\"}", -EBADMSG, "malformed JSON" },
	{ "{\"a\": \"\x01\"}", -EBADMSG, "control character 0x01" },
	{ "{\"a\":\t\"\x1b[2J\"}", -EBADMSG, "control character 0x1b" },
	{ "{} {}", -EBADMSG, "{} {}" },
	{ "{}x", -EBADMSG, "'{}x'" },
};

START_TEST(test_parse_line)
{
	struct json_object *obj = NULL;
	char err[256] = "";
	int r = ferry_proto_parse_line(lines[_i].line, strlen(lines[_i].line), &obj,
				       err, sizeof(err));

	ck_assert_msg(r == lines[_i].want, "'%s': %d (%s)", lines[_i].line, r, err);
	if (r == 0) {
		ck_assert(json_object_is_type(obj, json_type_object));
		json_object_put(obj);
		return;
	}
	ck_assert_ptr_null(obj);
	ck_assert_msg(strstr(err, lines[_i].says), "'%s' does not say '%s'", err, lines[_i].says);
}
END_TEST

START_TEST(test_parse_line_nul_and_size)
{
	static const char nul[] = "{\"a\": \"b\0c\"}";
	struct json_object *obj = NULL;
	_cleanup_free_ char *big = malloc(FERRY_PROTO_RECV_MAX + 1);
	char err[256] = "";

	ck_assert_int_eq(ferry_proto_parse_line(nul, sizeof(nul) - 1, &obj, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_str_eq(err, "line holds a NUL byte: '{\"a\": \"b?c\"}'");
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', FERRY_PROTO_RECV_MAX + 1);
	ck_assert_int_eq(ferry_proto_parse_line(big, FERRY_PROTO_RECV_MAX + 1, &obj, err,
						sizeof(err)), -EMSGSIZE);
	ck_assert_ptr_null(obj);
	/* No room for a message is no reason to crash. */
	ck_assert_int_eq(ferry_proto_parse_line("[]", 2, &obj, NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_format)
{
	struct json_object *o = json_object_new_object(), *back = NULL;
	_cleanup_free_ char *big = malloc(FERRY_PROTO_LINE_MAX + 1);
	char *line = NULL;
	char err[128];
	size_t len;

	json_object_object_add(o, "execute", json_object_new_string("define-domain"));
	json_object_object_add(o, "xml", json_object_new_string("<domain>\n</domain>"));
	ck_assert_int_eq(ferry_proto_format(o, &line, &len), 0);
	ck_assert_uint_eq(len, strlen(line));
	ck_assert_str_eq(line, "{\"execute\":\"define-domain\",\"xml\":\"<domain>\\n</domain>\"}\n");
	/* What one side formats, the other parses back. */
	ck_assert_int_eq(ferry_proto_parse_line(line, len - 1, &back, err, sizeof(err)), 0);
	ck_assert(json_object_equal(o, back));
	json_object_put(back);
	free(line);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', FERRY_PROTO_LINE_MAX);
	big[FERRY_PROTO_LINE_MAX] = '\0';
	json_object_object_add(o, "xml", json_object_new_string(big));
	line = NULL;
	ck_assert_int_eq(ferry_proto_format(o, &line, &len), -EMSGSIZE);
	ck_assert_ptr_null(line);
	json_object_put(o);
}
END_TEST

START_TEST(test_excerpt)
{
	char buf[64];

	ferry_proto_excerpt(buf, sizeof(buf), "it's\x1b[0m", 8);
	ck_assert_str_eq(buf, "it?s?[0m");
	ferry_proto_excerpt(buf, sizeof(buf), "0123456789012345678901234567890123456789ABC", 43);
	ck_assert_str_eq(buf, "0123456789012345678901234567890123456789...");
	ferry_proto_excerpt(buf, 4, "abcdef", 6);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("client-proto");
	TCase *lb = tcase_create("linebuf");
	TCase *parse = tcase_create("parse");

	tcase_add_test(lb, test_linebuf_chunks);
	tcase_add_test(lb, test_linebuf_limit);
	tcase_add_test(lb, test_linebuf_read);
	suite_add_tcase(s, lb);

	tcase_add_loop_test(parse, test_parse_line, 0, ARRAY_SIZE(lines));
	tcase_add_test(parse, test_parse_line_nul_and_size);
	tcase_add_test(parse, test_format);
	tcase_add_test(parse, test_excerpt);
	suite_add_tcase(s, parse);
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

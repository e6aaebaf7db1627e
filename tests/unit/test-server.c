/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-server.c - the client API server (broker/server.c) against the
 * contract in docs/api.md, as to requests and their answers: greetings,
 * ids echoed, request shapes and malformed requests, the line limit,
 * pipelined requests answered in order, answers given later, and events.
 * Who may connect, and how connections end, is in
 * test-server-connections.c. Both run the real server on sockets in a
 * temporary directory, its loop run by the test, a scripted request
 * handler, and real client sockets read with the client's own framing
 * helpers (server-harness.h).
 *
 * Every test ends with as many open fds as it began with, and the ASan
 * build checks that no client is used after it is freed, nor leaked.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "server-harness.h"
#include "util.h"

START_TEST(greeting_per_socket)
{
	struct client rw, ro;

	srv_start(NULL, NULL);
	open_client(&rw, false);
	open_client(&ro, true);
	ck_assert_uint_eq(srv_nclients(), 2);
	/* A greeting is all a client gets until it asks. */
	cl_expect_nothing(&rw);
	cl_expect_nothing(&ro);
	ck_assert_uint_eq(fx.nseen, 0);
	cl_close(&rw);
	cl_close(&ro);
	srv_stop();
}
END_TEST

/* Any JSON value as id comes back as it was sent. */
static const char *const ids[] = {
	"1", "0", "-7", "18446744073709551615", "2.5", "\"abc\"", "\"\"", "true", "false",
	"{\"a\":[1,{\"b\":\"c\"}]}", "[]", "[1,\"two\",null]", "{}",
};

START_TEST(id_echoed)
{
	struct client k;
	char line[256];

	srv_start(NULL, NULL);
	open_client(&k, false);
	snprintf(line, sizeof(line), "{\"execute\":\"echo\",\"id\":%s}\n", ids[_i]);
	cl_send(&k, line);
	expect_return_cmd(&k, ids[_i], "echo");
	/* The id comes back with an error too. */
	snprintf(line, sizeof(line), "{\"id\":%s,\"execute\":\"fail\"}\n", ids[_i]);
	cl_send(&k, line);
	expect_error(&k, "CommandNotFound", "no command 'fail'", ids[_i]);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* docs/api.md: "id may be any JSON value and is echoed": null is one. */
START_TEST(id_null_echoed)
{
	struct client k;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"echo\",\"id\":null}\n");
	expect_return_cmd(&k, "null", "echo");
	cl_close(&k);
	srv_stop();
}
END_TEST

START_TEST(request_shapes)
{
	struct client k;
	struct json_object *a;

	srv_start(NULL, NULL);
	open_client(&k, false);
	/* No id, no id in the answer; arguments reach the handler as sent. */
	cl_send(&k, "{\"execute\":\"echo\"}\n");
	a = expect_return(&k, NULL);
	ck_assert_str_eq(jget_str(a, "return/cmd"), "echo");
	ck_assert(json_object_object_get_ex(jget(a, "return"), "arguments", NULL));
	ck_assert_ptr_null(jget(a, "return/arguments"));
	json_object_put(a);

	cl_send(&k, "  {\"arguments\":{\"name\":\"web1\",\"n\":[1,2]},\"execute\":\"echo\",\"id\":3}\r\n");
	a = expect_return(&k, "3");
	ck_assert_str_eq(jget_str(a, "return/arguments/name"), "web1");
	ck_assert_int_eq(json_object_array_length(jget(a, "return/arguments/n")), 2);
	json_object_put(a);

	/* Blank lines are no requests. */
	cl_send(&k, "\n   \n\t\n{\"execute\":\"echo\",\"arguments\":{},\"id\":4}\n");
	expect_return_cmd(&k, "4", "echo");
	ck_assert_uint_eq(fx.nseen, 3);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* An answer given without a value is {}. */
START_TEST(empty_return)
{
	struct client k;
	struct json_object *a;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":5}\n");
	while (fx.nheld < 1)
		srv_run(10);
	srv_answer_held(0, NULL);
	a = expect_return(&k, "5");
	ck_assert(json_object_is_type(jget(a, "return"), json_type_object));
	ck_assert_int_eq(json_object_object_length(jget(a, "return")), 0);
	json_object_put(a);
	cl_close(&k);
	srv_stop();
}
END_TEST

static const struct bad_request {
	const char *line;
	const char *desc;
	const char *id;		/* the id the error must echo, NULL: none */
} bad_requests[] = {
	{ "{\"execute\":", "malformed JSON", NULL },
	{ "not json", "malformed JSON", NULL },
	{ "{\"execute\":\"echo\"} trailing", "malformed JSON", NULL },
	{ "{\"execute\":\"echo\"}{\"execute\":\"echo\"}", "malformed JSON", NULL },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	  "malformed JSON", NULL },
	{ "[{\"execute\":\"echo\"}]", "JSON object", NULL },
	{ "\"echo\"", "JSON object", NULL },
	{ "42", "", NULL },
	{ "null", "", NULL },
	{ "{}", "'execute' must be a string naming the command", NULL },
	{ "{\"arguments\":{},\"id\":1}", "'execute' must be a string naming the command", "1" },
	{ "{\"execute\":5,\"id\":\"x\"}", "'execute' must be a string naming the command", "\"x\"" },
	{ "{\"execute\":null}", "'execute' must be a string naming the command", NULL },
	{ "{\"execute\":[\"echo\"],\"id\":2}", "'execute' must be a string naming the command", "2" },
	{ "{\"execute\":\"echo\",\"arguments\":[1],\"id\":3}", "'arguments' must be an object", "3" },
	{ "{\"execute\":\"echo\",\"arguments\":\"x\"}", "'arguments' must be an object", NULL },
	{ "{\"execute\":\"echo\",\"arguments\":null}", "'arguments' must be an object", NULL },
	{ "{\"execute\":\"echo\",\"extra\":1,\"id\":4}", "unknown member 'extra' in the request", "4" },
	{ "{\"execute\":\"echo\",\"Id\":4}", "unknown member 'Id' in the request", NULL },
};

START_TEST(bad_request_answered)
{
	const struct bad_request *t = &bad_requests[_i];
	struct client k;
	char line[512];

	srv_start(NULL, NULL);
	open_client(&k, false);
	snprintf(line, sizeof(line), "%s\n", t->line);
	cl_send(&k, line);
	expect_error(&k, "GenericError", t->desc, t->id);
	ck_assert_uint_eq(fx.nseen, 0);
	/* The connection stays open and the next request is served. */
	cl_send(&k, "{\"execute\":\"echo\",\"id\":99}\n");
	expect_return_cmd(&k, "99", "echo");
	ck_assert_uint_eq(fx.nseen, 1);
	cl_close(&k);
	srv_stop();
}
END_TEST

static const char head[] = "{\"execute\":\"size\",\"arguments\":{\"pad\":\"";
static const char tail[] = "\"},\"id\":\"big\"}";

/* A request line of exactly @len bytes, newline excluded, padded in arguments.pad. */
static char *request_of(size_t len, bool newline)
{
	char *s = malloc(len + 2);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(len, sizeof(head) + sizeof(tail));
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'x', len - (sizeof(head) - 1) - (sizeof(tail) - 1));
	memcpy(s + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	s[len] = newline ? '\n' : '\0';
	s[len + 1] = '\0';
	return s;
}

/*
 * What is not RFC 8259 JSON is malformed, as the client's own parser
 * (ferry_proto_parse_line) has it: json-c's lenient extensions, bytes
 * that are not UTF-8, a NUL byte inside the line.
 */
static const struct {
	const char *line;
	size_t len;
} not_json[] = {
#define LINE(s) { s, sizeof(s) - 1 }
	LINE("{'execute':'echo','id':1}\n"),
	LINE("{\"execute\":\"echo\",\"id\":1,}\n"),
	LINE("{\"execute\":\"echo\",\"id\":1 /* comment */}\n"),
	LINE("{\"execute\":\"echo\",\"arguments\":{\"n\":NaN},\"id\":1}\n"),
	LINE("{\"execute\":\"echo\",\"arguments\":{\"n\":[1,]},\"id\":1}\n"),
	LINE("{\"execute\":\"echo\",\"arguments\":{\"s\":\"\xff\xfe\"},\"id\":1}\n"),
	LINE("{\"execute\":\"echo\",\"id\":1}\0{\"execute\":\"fail\"}\n"),
#undef LINE
};

START_TEST(not_json_refused)
{
	struct client k;

	srv_start(NULL, NULL);
	open_client(&k, false);
	ck_assert(cl_send_len(&k, not_json[_i].line, not_json[_i].len));
	expect_error(&k, "GenericError", "", NULL);
	ck_assert_uint_eq(fx.nseen, 0);
	cl_send(&k, "{\"execute\":\"echo\",\"id\":99}\n");
	expect_return_cmd(&k, "99", "echo");
	cl_close(&k);
	srv_stop();
}
END_TEST

START_TEST(longest_line_taken)
{
	struct client k;
	struct json_object *a;
	char *line = request_of(FERRY_API_MAX_LINE, true);

	srv_start(NULL, NULL);
	open_client(&k, false);
	ck_assert(cl_send_len(&k, line, FERRY_API_MAX_LINE + 1));
	a = expect_return(&k, "\"big\"");
	ck_assert_int_eq(jget_int(a, "return/size"), FERRY_API_MAX_LINE - strlen(head) - strlen(tail));
	json_object_put(a);
	cl_send(&k, "{\"execute\":\"echo\",\"id\":2}\n");
	expect_return_cmd(&k, "2", "echo");
	free(line);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* One byte more: an error answer, then the server hangs up; the handler never sees it. */
START_TEST(over_long_line_closes)
{
	struct client k, other;
	char *line = request_of(FERRY_API_MAX_LINE + 1, true);

	srv_start(NULL, NULL);
	open_client(&other, false);
	open_client(&k, false);
	/* The send may fail part way: the server stops reading once it has seen enough. */
	cl_send_len(&k, line, FERRY_API_MAX_LINE + 2);
	expect_error(&k, "GenericError", "request line longer than 1048576 bytes: closing", NULL);
	cl_expect_eof(&k);
	ck_assert_uint_eq(fx.nseen, 0);
	ck_assert_uint_eq(fx.closed, 1);
	ck_assert_uint_eq(srv_nclients(), 1);
	/* Other clients carry on. */
	cl_send(&other, "{\"execute\":\"echo\",\"id\":1}\n");
	expect_return_cmd(&other, "1", "echo");
	free(line);
	cl_close(&k);
	cl_close(&other);
	srv_stop();
}
END_TEST

/* Without a newline at all, the same. */
START_TEST(over_long_line_without_newline)
{
	struct client k;
	char *line = request_of(FERRY_API_MAX_LINE + 4096, false);

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send_len(&k, line, FERRY_API_MAX_LINE + 4096);
	expect_error(&k, "GenericError", "longer than 1048576 bytes", NULL);
	cl_expect_eof(&k);
	ck_assert_uint_eq(fx.nseen, 0);
	ck_assert_uint_eq(srv_nclients(), 0);
	free(line);
	cl_close(&k);
	srv_stop();
}
END_TEST

START_TEST(pipelined_in_order)
{
	struct client k;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"echo\",\"id\":1}\n"
		    "{\"execute\":\"fail\",\"id\":2}\n"
		    "not json\n"
		    "{\"execute\":\"echo\",\"id\":3}\r\n"
		    "{\"execute\":\"echo\",\"arguments\":{\"a\":1},\"id\":4}\n");
	expect_return_cmd(&k, "1", "echo");
	expect_error(&k, "CommandNotFound", "no command", "2");
	expect_error(&k, "GenericError", "malformed JSON", NULL);
	expect_return_cmd(&k, "3", "echo");
	expect_return_cmd(&k, "4", "echo");
	ck_assert_uint_eq(fx.nseen, 4);
	ck_assert_str_eq(fx.seen[1], "fail");
	cl_close(&k);
	srv_stop();
}
END_TEST

/* A later request waits, unread, until the one before it is answered. */
START_TEST(pipelined_after_async)
{
	struct client k;
	struct json_object *a;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":1}\n{\"execute\":\"echo\",\"id\":2}\n");
	cl_expect_nothing(&k);
	ck_assert_uint_eq(fx.nseen, 1);
	ck_assert_uint_eq(fx.nheld, 1);
	/* More lines arriving meanwhile wait too. */
	cl_send(&k, "{\"execute\":\"echo\",\"id\":3}\n");
	cl_expect_nothing(&k);
	ck_assert_uint_eq(fx.nseen, 1);

	srv_answer_held(0, json_object_new_string("late"));
	a = expect_return(&k, "1");
	ck_assert_str_eq(json_object_get_string(jget(a, "return")), "late");
	json_object_put(a);
	expect_return_cmd(&k, "2", "echo");
	expect_return_cmd(&k, "3", "echo");
	ck_assert_uint_eq(fx.nseen, 3);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* Answers given from a loop callback, as the broker gives them when a helper replies. */
static void on_timer(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	uint64_t ticks;

	ck_assert_int_eq(read(fd, &ticks, sizeof(ticks)), (ssize_t)sizeof(ticks));
	if (fx.answered < fx.nheld) {
		unsigned i = fx.answered++;
		char ret[32];

		snprintf(ret, sizeof(ret), "timer %u", i);
		srv_answer_held(i, json_object_new_string(ret));
	}
}

START_TEST(async_answers_from_timer)
{
	struct itimerspec its = { .it_interval.tv_nsec = 20000000, .it_value.tv_nsec = 20000000 };
	struct client k, other;
	struct json_object *a;

	srv_start(NULL, NULL);
	fx.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ck_assert_int_ge(fx.timer, 0);
	ck_assert_int_eq(timerfd_settime(fx.timer, 0, &its, NULL), 0);
	ck_assert_int_eq(ferry_loop_add(fx.loop, fx.timer, EPOLLIN, on_timer, NULL), 0);
	open_client(&k, false);
	open_client(&other, true);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":1}\n"
		    "{\"execute\":\"hold\",\"id\":2}\n"
		    "{\"execute\":\"echo\",\"id\":3}\n"
		    "{\"execute\":\"hold\",\"id\":4}\n");
	/* A client waiting on its answer does not hold up another client. */
	cl_send(&other, "{\"execute\":\"echo\",\"id\":\"o\"}\n");
	expect_return_cmd(&other, "\"o\"", "echo");

	a = expect_return(&k, "1");
	ck_assert_str_eq(json_object_get_string(jget(a, "return")), "timer 0");
	json_object_put(a);
	a = expect_return(&k, "2");
	ck_assert_str_eq(json_object_get_string(jget(a, "return")), "timer 1");
	json_object_put(a);
	expect_return_cmd(&k, "3", "echo");
	a = expect_return(&k, "4");
	ck_assert_str_eq(json_object_get_string(jget(a, "return")), "timer 2");
	json_object_put(a);
	ck_assert_uint_eq(fx.nseen, 5);
	cl_close(&k);
	cl_close(&other);
	srv_stop();
}
END_TEST

START_TEST(events_reach_every_client)
{
	struct client rw, ro, waiting;
	struct json_object *a;

	srv_start(NULL, NULL);
	open_client(&rw, false);
	open_client(&ro, true);
	open_client(&waiting, false);
	srv_event("DOMAIN_LIFECYCLE", "{\"name\":\"web1\",\"state\":\"running\",\"reason\":\"booted\"}");
	expect_event(&rw, "DOMAIN_LIFECYCLE", "{\"name\":\"web1\",\"state\":\"running\",\"reason\":\"booted\"}");
	expect_event(&ro, "DOMAIN_LIFECYCLE", "{\"name\":\"web1\",\"state\":\"running\",\"reason\":\"booted\"}");
	expect_event(&waiting, "DOMAIN_LIFECYCLE", "{\"name\":\"web1\",\"state\":\"running\",\"reason\":\"booted\"}");

	/* A client whose request is pending gets events before its answer. */
	cl_send(&waiting, "{\"execute\":\"hold\",\"id\":1}\n");
	while (fx.nheld < 1)
		srv_run(10);
	srv_event("E1", "{\"n\":1}");
	srv_event("E2", "{\"n\":2}");
	expect_event(&waiting, "E1", "{\"n\":1}");
	expect_event(&waiting, "E2", "{\"n\":2}");
	srv_answer_held(0, NULL);
	json_object_put(expect_return(&waiting, "1"));

	/* An event sent by a handler goes out before that handler's answer. */
	cl_send(&rw, "{\"execute\":\"event\",\"id\":2}\n");
	expect_event(&rw, "E1", "{\"n\":1}");
	expect_event(&rw, "E2", "{\"n\":2}");
	expect_event(&rw, "TEST_EVENT", "\"from a handler\"");
	a = expect_return(&rw, "2");
	ck_assert_str_eq(jget_str(a, "return/cmd"), "event");
	json_object_put(a);
	expect_event(&ro, "E1", "{\"n\":1}");
	expect_event(&ro, "E2", "{\"n\":2}");
	expect_event(&ro, "TEST_EVENT", "\"from a handler\"");
	expect_event(&waiting, "TEST_EVENT", "\"from a handler\"");
	cl_expect_nothing(&ro);
	cl_close(&rw);
	cl_close(&ro);
	cl_close(&waiting);
	srv_stop();
}
END_TEST

static Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *t = tcase_create("framing");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, greeting_per_socket);
	tcase_add_loop_test(t, id_echoed, 0, ARRAY_SIZE(ids));
	tcase_add_test(t, id_null_echoed);
	tcase_add_test(t, request_shapes);
	tcase_add_test(t, empty_return);
	tcase_add_loop_test(t, bad_request_answered, 0, ARRAY_SIZE(bad_requests));
	tcase_add_loop_test(t, not_json_refused, 0, ARRAY_SIZE(not_json));
	tcase_add_test(t, longest_line_taken);
	tcase_add_test(t, over_long_line_closes);
	tcase_add_test(t, over_long_line_without_newline);
	suite_add_tcase(s, t);

	t = tcase_create("order");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, pipelined_in_order);
	tcase_add_test(t, pipelined_after_async);
	tcase_add_test(t, async_answers_from_timer);
	tcase_add_test(t, events_reach_every_client);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(server_suite());
	int failed;

	harness_init();
	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	harness_fini();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

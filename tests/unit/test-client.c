/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-client.c - the client library against a scripted fake broker: the
 * greeting, calls matched to answers by id, events queued on the way, the
 * broker's errors, and every way a broker can break the protocol. Also
 * connecting to a URI (parsing it: test-uri.c; over ssh: test-transport.c).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "client-proto.h"
#include "fake-broker.h"
#include "util.h"

#define ERR_HAS(err, s) ck_assert_msg(strstr((err), (s)), "'%s' does not say '%s'", (err), (s))

/* A client on a socketpair whose other end plays @steps. */
static struct ferry_client *open_fake(struct fake_broker *fb, const struct fake_step *steps,
				      int timeout_ms)
{
	struct ferry_client *cl = NULL;
	char err[512] = "";
	int fd = fake_start_pair(fb, steps);
	int r = ferry_client_open_fd(fd, "fake", timeout_ms, &cl, err, sizeof(err));

	ck_assert_msg(r == 0, "open: %d %s", r, err);
	return cl;
}

/* Open on a fake whose script should make the greeting fail with @want. */
static void expect_open_fails(const struct fake_step *steps, int timeout_ms, int want,
			      const char *says)
{
	struct fake_broker fb;
	struct ferry_client *cl = NULL;
	char err[512] = "";
	int fd = fake_start_pair(&fb, steps);
	int r = ferry_client_open_fd(fd, "fake", timeout_ms, &cl, err, sizeof(err));

	ck_assert_int_eq(r, want);
	ck_assert_ptr_null(cl);
	ERR_HAS(err, says);
	fake_join(&fb);
	fake_free(&fb);
}

/* One call on a fresh fake that must fail with @want, saying @says. */
static void expect_call_fails(const struct fake_step *steps, int timeout_ms, int want,
			      const char *says)
{
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, timeout_ms);
	struct json_object *ret = NULL;
	char err[512] = "";
	int r = ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err));

	ck_assert_int_eq(r, want);
	ck_assert_ptr_null(ret);
	ERR_HAS(err, says);
	/* The stream is not trusted after that: later calls say so. */
	r = ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err));
	ck_assert_int_eq(r, -ENOTCONN);
	ERR_HAS(err, says);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}

/* --- greeting ------------------------------------------------------------ */

START_TEST(test_greeting)
{
	static const struct fake_step rw[] = { { FAKE_SEND, GREETING_RW, 0 }, { 0 } };
	static const struct fake_step ro[] = { { FAKE_SEND, GREETING_RO, 0 }, { 0 } };
	static const struct fake_step extra[] = {
		{ FAKE_SEND, "{\"ferry\": {\"version\": {\"major\": 1, \"minor\": 22, \"micro\": 333},"
			     " \"readonly\": false, \"capabilities\": []}}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl;
	unsigned a, b, c;

	cl = open_fake(&fb, rw, -1);
	ck_assert(!ferry_client_readonly(cl));
	ferry_client_version(cl, &a, &b, &c);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 1);
	ck_assert_uint_eq(c, 0);
	ferry_client_free(cl);
	fake_join(&fb);

	cl = open_fake(&fb, ro, 1000);
	ck_assert(ferry_client_readonly(cl));
	ferry_client_free(cl);
	fake_join(&fb);

	/* Keys a later broker may add are no reason to refuse it. */
	cl = open_fake(&fb, extra, 1000);
	ferry_client_version(cl, &a, &b, &c);
	ck_assert_uint_eq(a * 1000000 + b * 1000 + c, 1022333);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_greeting_refusal)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, "{\"error\": {\"class\": \"PermissionDenied\", \"desc\": \"uid 1000 may not use ferry-sock\"}}\n", 0 },
		{ FAKE_CLOSE, NULL, 0 },
	};

	expect_open_fails(steps, 1000, -EREMOTEIO, "PermissionDenied: uid 1000 may not use ferry-sock");
}
END_TEST

START_TEST(test_greeting_bad)
{
	static const struct fake_step garbage[] = { { FAKE_SEND, "hello\n", 0 }, { 0 } };
	static const struct fake_step other[] = { { FAKE_SEND, "{\"QMP\": {}}\n", 0 }, { 0 } };
	static const struct fake_step no_ro[] = {
		{ FAKE_SEND, "{\"ferry\": {\"version\": {\"major\": 0, \"minor\": 1, \"micro\": 0}}}\n", 0 },
		{ 0 },
	};
	static const struct fake_step bad_ver[] = {
		{ FAKE_SEND, "{\"ferry\": {\"version\": {\"major\": \"0\", \"minor\": 1, \"micro\": 0}, \"readonly\": false}}\n", 0 },
		{ 0 },
	};
	static const struct fake_step eof[] = { { FAKE_CLOSE, NULL, 0 } };
	static const struct fake_step silent[] = { { 0 } };

	expect_open_fails(garbage, 1000, -EPROTO, "malformed JSON");
	expect_open_fails(other, 1000, -EPROTO, "expected a ferry greeting");
	expect_open_fails(no_ro, 1000, -EPROTO, "readonly");
	expect_open_fails(bad_ver, 1000, -EPROTO, "version");
	expect_open_fails(eof, 1000, -ECONNRESET, "closed the connection");
	expect_open_fails(silent, 100, -ETIMEDOUT, "timed out waiting for the greeting");
}
END_TEST

/* --- calls --------------------------------------------------------------- */

START_TEST(test_call_ids)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "domain-state", 0 },
		{ FAKE_SEND, "{\"return\": {\"state\": \"running\", \"reason\": \"booted\"}, \"id\": $ID}\n", 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_SEND, "\n  \n{\"id\": $ID, \"return\": {\"ferry\": \"0.1.0\"}}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 2000);
	struct json_object *args = json_object_new_object(), *ret = NULL, *req;
	char err[256] = "";

	json_object_object_add(args, "name", json_object_new_string("guest1"));
	ck_assert_int_eq(ferry_client_call(cl, "domain-state", args, &ret, err, sizeof(err)), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ret, "state")), "running");
	ck_assert_str_eq(ferry_client_error_class(cl), "");
	json_object_put(ret);
	/* The caller still owns its arguments. */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(args, "name")), "guest1");
	json_object_put(args);
	/* Blank lines before an answer are skipped. */
	ck_assert_int_eq(ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err)), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ret, "ferry")), "0.1.0");
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);

	ck_assert_uint_eq(fb.nreq, 2);
	ck_assert_int_eq(fb.ids[0], 1);
	ck_assert_int_eq(fb.ids[1], 2);
	req = json_tokener_parse(fb.requests[0]);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(req, "arguments"),
							JSON_C_TO_STRING_PLAIN), "{\"name\":\"guest1\"}");
	json_object_put(req);
	/* A command without arguments sends none. */
	req = json_tokener_parse(fb.requests[1]);
	ck_assert(!json_object_object_get_ex(req, "arguments", NULL));
	json_object_put(req);
	fake_free(&fb);
}
END_TEST

#define EVENT(name, state) \
	"{\"event\": \"DOMAIN_LIFECYCLE\", \"data\": {\"name\": \"" name "\", \"state\": \"" state \
	"\", \"reason\": \"booted\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n"

static const char *event_domain(struct json_object *ev)
{
	return json_object_get_string(json_object_object_get(json_object_object_get(ev, "data"),
							     "name"));
}

START_TEST(test_events_before_answer)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "start-domain", 0 },
		{ FAKE_SEND, EVENT("g1", "paused") EVENT("g2", "running"), 0 },
		{ FAKE_SEND, "{\"return\": {}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 2000);
	struct json_object *ret = NULL, *ev = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_call(cl, "start-domain", NULL, &ret, err, sizeof(err)), 0);
	/* The answer is the answer, not the first line that came. */
	ck_assert(json_object_is_type(ret, json_type_object));
	ck_assert_int_eq(json_object_object_length(ret), 0);
	json_object_put(ret);
	ck_assert_uint_eq(ferry_client_pending_events(cl), 2);
	ck_assert_int_eq(ferry_client_next_event(cl, 0, &ev, err, sizeof(err)), 0);
	ck_assert_str_eq(event_domain(ev), "g1");
	json_object_put(ev);
	ck_assert_int_eq(ferry_client_next_event(cl, 0, &ev, err, sizeof(err)), 0);
	ck_assert_str_eq(event_domain(ev), "g2");
	json_object_put(ev);
	ck_assert_int_eq(ferry_client_next_event(cl, 0, &ev, err, sizeof(err)), -ETIMEDOUT);
	ck_assert_ptr_null(ev);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_event_later)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_SLEEP, NULL, 50 },
		{ FAKE_SEND, EVENT("late", "shutoff"), 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, -1);
	struct json_object *ev = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_next_event(cl, 5000, &ev, err, sizeof(err)), 0);
	ck_assert_str_eq(event_domain(ev), "late");
	json_object_put(ev);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_event_queue_bounded)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_REPEAT, EVENT("g", "running"), FERRY_CLIENT_MAX_EVENTS + 5 },
		{ FAKE_SEND, "{\"return\": {}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 5000);
	struct json_object *ret = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err)), 0);
	json_object_put(ret);
	ck_assert_uint_eq(ferry_client_pending_events(cl), FERRY_CLIENT_MAX_EVENTS);
	ck_assert_uint_eq(ferry_client_dropped_events(cl), 5);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_error_answer)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "domain-info", 0 },
		{ FAKE_SEND, EVENT("g", "running"), 0 },
		{ FAKE_SEND, "{\"error\": {\"class\": \"DomainNotFound\", \"desc\": \"no domain 'nope'\\u001b[2J\"}, \"id\": $ID}\n", 0 },
		{ FAKE_EXPECT, "bogus", 0 },
		/* No id: the broker could not read the request, and it was ours. */
		{ FAKE_SEND, "{\"error\": {\"class\": \"InvalidArgument\", \"desc\": \"malformed JSON\"}}\n", 0 },
		{ FAKE_EXPECT, "undefine-domain", 0 },
		{ FAKE_SEND, "{\"error\": {\"class\": \"OperationInvalid\", \"desc\": \"running\"}, \"id\": $ID}\n", 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_SEND, "{\"return\": {}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 2000);
	struct json_object *ret = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_call(cl, "domain-info", NULL, &ret, err, sizeof(err)), -EREMOTEIO);
	ck_assert_ptr_null(ret);
	ck_assert_str_eq(ferry_client_error_class(cl), "DomainNotFound");
	/* The broker's text cannot reach a terminal with an escape in it. */
	ck_assert_str_eq(err, "DomainNotFound: no domain 'nope'?[2J");
	ck_assert_uint_eq(ferry_client_pending_events(cl), 1);
	ck_assert_int_eq(ferry_client_call(cl, "bogus", NULL, &ret, err, sizeof(err)), -EREMOTEIO);
	ck_assert_str_eq(err, "InvalidArgument: malformed JSON");
	/* A caller that only wants the class need not pass a buffer. */
	ck_assert_int_eq(ferry_client_call(cl, "undefine-domain", NULL, &ret, NULL, 0), -EREMOTEIO);
	ck_assert_str_eq(ferry_client_error_class(cl), "OperationInvalid");
	/* An error answer leaves the connection usable. */
	ck_assert_int_eq(ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err)), 0);
	ck_assert_str_eq(ferry_client_error_class(cl), "");
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

/* Each row: what the broker answers to the first request, and the complaint. */
static const struct {
	const char *answer;
	int want;
	const char *says;
} broken_answers[] = {
	{ "{\"return\": {}, \"id\": 99}\n", -EPROTO, "answered id 99 while waiting for id 1 ('version')" },
	{ "{\"return\": {}, \"id\": \"1\"}\n", -EPROTO, "answered id \"1\"" },
	{ "{\"return\": {}}\n", -EPROTO, "without an id" },
	{ "{\"return\": {}, \"error\": {}, \"id\": 1}\n", -EPROTO, "both return and error" },
	{ "{\"error\": {\"class\": 7, \"desc\": \"x\"}, \"id\": 1}\n", -EPROTO, "valid class" },
	{ "{\"error\": {\"class\": \"Bad Class\", \"desc\": \"x\"}, \"id\": 1}\n", -EPROTO, "valid class" },
	{ "{\"error\": \"no\", \"id\": 1}\n", -EPROTO, "valid class" },
	{ "this is not json\n", -EPROTO, "malformed JSON" },
	{ "{\"return\": {}, \"id\": 1} trailing\n", -EPROTO, "malformed JSON" },
	{ "[1, 2]\n", -EPROTO, "not a JSON object" },
	{ "{\"surprise\": 1}\n", -EPROTO, "neither an answer nor an event" },
	{ GREETING_RW, -EPROTO, "neither an answer nor an event" },
	{ "{\"event\": 5}\n", -EPROTO, "event without a name" },
	{ "{\"event\": \"X\", \"data\": []}\n", -EPROTO, "non-object data" },
	{ "{\"return\": \"\xff\xfe\", \"id\": 1}\n", -EPROTO, "malformed JSON" },
	{ "{\"return\": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]], \"id\": 1}\n", -EPROTO, "malformed JSON" },
	{ "{\"return\": {}, \"id\": 1", -ECONNRESET, "closed the connection mid-line while waiting for the answer to 'version'" },
	{ "", -ECONNRESET, "closed the connection while waiting" },
};

START_TEST(test_broken_answer)
{
	const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_SEND, broken_answers[_i].answer, 0 },
		{ FAKE_CLOSE, NULL, 0 },
	};

	expect_call_fails(steps, 2000, broken_answers[_i].want, broken_answers[_i].says);
}
END_TEST

START_TEST(test_over_long_line)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_SEND, "{\"return\": \"", 0 },
		{ FAKE_FLOOD, NULL, FERRY_PROTO_RECV_MAX },
		{ 0 },
	};

	expect_call_fails(steps, 5000, -EMSGSIZE, "line longer than");
}
END_TEST

START_TEST(test_long_line_within_limit)
{
	/* A line of exactly the receive limit still goes through. */
	static const char head[] = "{\"id\": 1, \"return\": \"";
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "domain-xml", 0 },
		{ FAKE_SEND, head, 0 },
		{ FAKE_FLOOD, NULL, FERRY_PROTO_RECV_MAX - (sizeof(head) - 1) - 2 },
		{ FAKE_SEND, "\"}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 5000);
	struct json_object *ret = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_call(cl, "domain-xml", NULL, &ret, err, sizeof(err)), 0);
	ck_assert_uint_eq(json_object_get_string_len(ret),
			  FERRY_PROTO_RECV_MAX - (sizeof(head) - 1) - 2);
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_call_timeout)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "destroy-domain", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, -1);
	struct json_object *ret = NULL;
	char err[256] = "";

	ferry_client_set_timeout(cl, 100);
	ck_assert_int_eq(ferry_client_call(cl, "destroy-domain", NULL, &ret, err, sizeof(err)),
			 -ETIMEDOUT);
	ck_assert_str_eq(err, "timed out waiting for the answer to 'destroy-domain'");
	/* A late answer could pass for the next one's: no more calls. */
	ck_assert_int_eq(ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err)), -ENOTCONN);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

START_TEST(test_call_refused_locally)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "version", 0 },
		{ FAKE_SEND, "{\"return\": {}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, 2000);
	struct json_object *args = json_object_new_object(), *ret = NULL;
	_cleanup_free_ char *big = malloc(FERRY_PROTO_LINE_MAX + 1);
	char err[256] = "";

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', FERRY_PROTO_LINE_MAX);
	big[FERRY_PROTO_LINE_MAX] = '\0';
	json_object_object_add(args, "xml", json_object_new_string(big));
	ck_assert_int_eq(ferry_client_call(cl, "define-domain", args, &ret, err, sizeof(err)), -EMSGSIZE);
	ERR_HAS(err, "longer than the 1048576-byte line limit");
	json_object_put(args);
	args = json_object_new_array();
	ck_assert_int_eq(ferry_client_call(cl, "list-domains", args, &ret, err, sizeof(err)), -EINVAL);
	json_object_put(args);
	ck_assert_int_eq(ferry_client_call(cl, "", NULL, &ret, err, sizeof(err)), -EINVAL);
	/* Nothing was sent: the connection is as good as before. */
	ck_assert_int_eq(ferry_client_call(cl, "version", NULL, &ret, err, sizeof(err)), 0);
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);
	ck_assert_uint_eq(fb.nreq, 1);
	ck_assert_int_eq(fb.ids[0], 1);
	fake_free(&fb);
}
END_TEST

START_TEST(test_answer_without_request)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_SEND, "{\"return\": {}, \"id\": 1}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = open_fake(&fb, steps, -1);
	struct json_object *ev = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_next_event(cl, 2000, &ev, err, sizeof(err)), -EPROTO);
	ERR_HAS(err, "no request in flight");
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

/* --- connecting ---------------------------------------------------------- */

static void expect_connect_fails(const char *uri, int want, const char *says)
{
	struct ferry_client *cl = NULL;
	char err[256] = "";

	ck_assert_int_eq(ferry_client_connect(uri, 1000, &cl, err, sizeof(err)), want);
	ck_assert_ptr_null(cl);
	ERR_HAS(err, says);
}

START_TEST(test_connect_refused)
{
	expect_connect_fails("ssh://root@host/run/ferry/ferry-sock?port=22", -EINVAL,
			     "unknown query parameter 'port'");
	expect_connect_fails("unix://relative", -EINVAL, "absolute");
	expect_connect_fails("https://host", -EINVAL, "unsupported URI scheme");
	expect_connect_fails("unix:///nonexistent/ferry-sock", -ENOENT,
			     "cannot connect to unix:///nonexistent/ferry-sock: No such file or directory");
}
END_TEST

START_TEST(test_connect_unix)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RO, 0 },
		{ FAKE_EXPECT, "list-domains", 0 },
		{ FAKE_SEND, "{\"return\": [], \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = NULL;
	struct json_object *ret = NULL;
	char err[256] = "";

	fake_start_unix(&fb, steps);
	ck_assert_int_eq(ferry_client_connect(fb.uri, 2000, &cl, err, sizeof(err)), 0);
	ck_assert(ferry_client_readonly(cl));
	ck_assert_int_eq(ferry_client_call(cl, "list-domains", NULL, &ret, err, sizeof(err)), 0);
	ck_assert_uint_eq(json_object_array_length(ret), 0);
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);
	fake_free(&fb);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *greet = tcase_create("greeting");
	TCase *calls = tcase_create("calls");
	TCase *uri = tcase_create("uri");

	tcase_add_test(greet, test_greeting);
	tcase_add_test(greet, test_greeting_refusal);
	tcase_add_test(greet, test_greeting_bad);
	suite_add_tcase(s, greet);

	tcase_set_timeout(calls, 30);
	tcase_add_test(calls, test_call_ids);
	tcase_add_test(calls, test_events_before_answer);
	tcase_add_test(calls, test_event_later);
	tcase_add_test(calls, test_event_queue_bounded);
	tcase_add_test(calls, test_error_answer);
	tcase_add_loop_test(calls, test_broken_answer, 0, ARRAY_SIZE(broken_answers));
	tcase_add_test(calls, test_over_long_line);
	tcase_add_test(calls, test_long_line_within_limit);
	tcase_add_test(calls, test_call_timeout);
	tcase_add_test(calls, test_call_refused_locally);
	tcase_add_test(calls, test_answer_without_request);
	suite_add_tcase(s, calls);

	tcase_add_test(uri, test_connect_refused);
	tcase_add_test(uri, test_connect_unix);
	suite_add_tcase(s, uri);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(client_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-server-connections.c - the client API server (broker/server.c)
 * against the contract in docs/api.md, as to its connections: what each
 * socket admits and tells the handler, what a refused client is told,
 * clients that hang up with an answer or output pending, the server
 * closing under a pending answer, many clients coming and going, and
 * sockets that cannot be opened. Requests and their answers are in
 * test-server.c; the server and clients both drive are in
 * server-harness.h.
 *
 * Every test ends with as many open fds as it began with, and the ASan
 * build checks that no client is used after it is freed, nor leaked.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "server-harness.h"
#include "util.h"

START_TEST(readonly_flag_to_handler)
{
	struct client rw, ro;
	struct json_object *a;

	srv_start(NULL, NULL);
	open_client(&rw, false);
	open_client(&ro, true);
	cl_send(&ro, "{\"execute\":\"echo\",\"id\":1}\n");
	a = expect_return(&ro, "1");
	ck_assert(json_object_get_boolean(jget(a, "return/readonly")));
	json_object_put(a);
	cl_send(&rw, "{\"execute\":\"echo\",\"id\":2}\n");
	a = expect_return(&rw, "2");
	ck_assert(!json_object_get_boolean(jget(a, "return/readonly")));
	json_object_put(a);
	ck_assert_uint_eq(fx.nseen, 2);
	ck_assert(fx.seen_readonly[0]);
	ck_assert(!fx.seen_readonly[1]);
	cl_close(&rw);
	cl_close(&ro);
	srv_stop();
}
END_TEST

/* A uid that is not this process's, and a group it is not in. */
static uid_t other_uid(void)
{
	return getuid() == 65534 ? 65533 : 65534;
}

static void expect_refusal(bool readonly)
{
	struct client k;
	char want[256];

	snprintf(want, sizeof(want), "%s socket: uid %u (gid %u, ", readonly ? "read-only" : "read-write",
		 (unsigned)getuid(), (unsigned)getgid());
	cl_connect(&k, readonly);
	expect_error(&k, "PermissionDenied", want, NULL);
	cl_expect_eof(&k);
	cl_close(&k);
}

START_TEST(refused_client)
{
	char list[32];
	struct client ok;

	snprintf(list, sizeof(list), "%u", (unsigned)other_uid());
	/* This process's uid is not listed: refused, root or not. */
	srv_start(list, NULL);
	expect_refusal(false);
	ck_assert_uint_eq(srv_nclients(), 0);
	ck_assert_uint_eq(fx.nseen, 0);
	ck_assert_uint_eq(fx.closed, 0);
	/* The other socket has its own list. */
	open_client(&ok, true);
	cl_send(&ok, "{\"execute\":\"echo\",\"id\":1}\n");
	expect_return_cmd(&ok, "1", "echo");
	cl_close(&ok);
	srv_stop();

	srv_start(NULL, list);
	expect_refusal(true);
	open_client(&ok, false);
	cl_close(&ok);
	srv_stop();
}
END_TEST

/* The refusal says what was checked, in full. */
START_TEST(refusal_names_why)
{
	struct client k;
	struct json_object *a;
	char list[32], want[256];
	gid_t groups[64];
	int n = getgroups(ARRAY_SIZE(groups), groups);

	ck_assert_int_ge(n, 0);
	snprintf(list, sizeof(list), "%u", (unsigned)other_uid());
	srv_start(list, list);
	cl_connect(&k, false);
	a = cl_next(&k);
	snprintf(want, sizeof(want), "read-write socket: uid %u (gid %u, %d supplementary groups) is "
		 "in none of the allowed users or groups", (unsigned)getuid(), (unsigned)getgid(), n);
	ck_assert_str_eq(jget_str(a, "error/class"), "PermissionDenied");
	ck_assert_str_eq(jget_str(a, "error/desc"), want);
	json_object_put(a);
	cl_expect_eof(&k);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* Admitted through the primary group alone. */
START_TEST(admitted_by_group)
{
	struct client k;
	char list[32];

	snprintf(list, sizeof(list), "%u,@%u", (unsigned)other_uid(), (unsigned)getgid());
	srv_start(list, list);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"echo\",\"id\":1}\n");
	expect_return_cmd(&k, "1", "echo");
	cl_close(&k);
	srv_stop();
}
END_TEST

/* The client goes away while its answer is pending: the answer is dropped, nothing breaks. */
START_TEST(hangup_while_pending)
{
	struct client k, other;

	srv_start(NULL, NULL);
	open_client(&k, false);
	open_client(&other, false);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":1}\n{\"execute\":\"echo\",\"id\":2}\n");
	while (fx.nheld < 1)
		srv_run(10);
	cl_close(&k);
	for (int i = 0; i < 5; i++)
		srv_run(10);
	srv_event("E", "{}");
	srv_answer_held(0, json_object_new_string("too late"));
	for (int i = 0; i < 5; i++)
		srv_run(10);
	/* The pipelined request of a client that is gone is not run. */
	ck_assert_uint_eq(fx.nseen, 1);
	ck_assert_uint_eq(fx.closed, 1);
	ck_assert_uint_eq(srv_nclients(), 1);
	expect_event(&other, "E", "{}");
	cl_send(&other, "{\"execute\":\"echo\",\"id\":3}\n");
	expect_return_cmd(&other, "3", "echo");
	cl_close(&other);
	srv_stop();
}
END_TEST

/*
 * While a hung-up client's answer is pending, the loop has nothing to do:
 * a slow request (QEMU starting) must not turn into a busy loop.
 */
START_TEST(hangup_while_pending_idle)
{
	struct client k;
	long t0;
	int busy = 0;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":1}\n");
	while (fx.nheld < 1)
		srv_run(10);
	cl_close(&k);
	t0 = now_ms();
	for (int i = 0; i < 20; i++)
		busy += ferry_loop_run_once(fx.loop, 10);
	ck_assert_msg(busy <= 2, "%d events in %ld ms for a client that hung up", busy, now_ms() - t0);
	srv_answer_held(0, NULL);
	ck_assert_uint_eq(srv_nclients(), 0);
	srv_stop();
}
END_TEST

/* The server closes while an answer is pending: the late answer is dropped. */
START_TEST(close_while_pending)
{
	struct client k;
	struct ferry_client *c;

	srv_start(NULL, NULL);
	open_client(&k, false);
	cl_send(&k, "{\"execute\":\"hold\",\"id\":1}\n");
	while (fx.nheld < 1)
		srv_run(10);
	c = fx.held[0];
	ferry_server_close(&fx.srv);
	ck_assert(c->dead);
	ck_assert_ptr_null(fx.srv.clients);
	ck_assert_uint_eq(fx.closed, 1);
	cl_expect_eof(&k);
	srv_answer_held(0, NULL);
	cl_close(&k);
	srv_stop();
}
END_TEST

/* A client that asks and hangs up at once, as `echo ... | socat` does. */
static const char *const hangups[] = {
	"{\"execute\":\"echo\",\"id\":1}\n",
	"{\"execute\":\"echo\",\"id\":1}\n{\"execute\":\"echo\",\"id\":2}\n",
	"not json\n",
	"{\"execute\":\"fail\"}\n",
	"{\"execute\":\"hold\"}\n",
};

START_TEST(request_then_hangup)
{
	struct client k, other;

	srv_start(NULL, NULL);
	open_client(&other, false);
	open_client(&k, false);
	cl_send(&k, hangups[_i]);
	cl_close(&k);
	for (int i = 0; i < 10; i++)
		srv_run(5);
	while (fx.answered < fx.nheld)
		srv_answer_held(fx.answered++, NULL);
	ck_assert_uint_le(fx.nseen, 1);
	ck_assert_uint_eq(fx.closed, 1);
	ck_assert_uint_eq(srv_nclients(), 1);
	cl_send(&other, "{\"execute\":\"echo\",\"id\":1}\n");
	expect_return_cmd(&other, "1", "echo");
	cl_close(&other);
	srv_stop();
}
END_TEST

/* An event for a client that hung up a moment ago, before the loop noticed. */
START_TEST(event_after_hangup)
{
	struct client a, b, c;

	srv_start(NULL, NULL);
	open_client(&a, false);
	open_client(&b, true);
	open_client(&c, false);
	cl_close(&b);
	srv_event("E", "{\"n\":1}");
	srv_event("E", "{\"n\":2}");
	expect_event(&a, "E", "{\"n\":1}");
	expect_event(&c, "E", "{\"n\":1}");
	expect_event(&a, "E", "{\"n\":2}");
	expect_event(&c, "E", "{\"n\":2}");
	ck_assert_uint_eq(fx.closed, 1);
	ck_assert_uint_eq(srv_nclients(), 2);
	cl_close(&a);
	cl_close(&c);
	srv_stop();
}
END_TEST

/* A client that reads nothing, then hangs up while answers wait to be written. */
START_TEST(hangup_with_output_pending)
{
	struct client k;
	char data[8192];
	int n = 0;

	memset(data, 'x', sizeof(data) - 1);
	data[0] = '"';
	data[sizeof(data) - 2] = '"';
	data[sizeof(data) - 1] = '\0';
	srv_start(NULL, NULL);
	open_client(&k, false);
	ck_assert_uint_eq(srv_nclients(), 1);
	while (fx.srv.clients->outlen == 0) {
		ck_assert_int_lt(n++, 10000);
		srv_event("BULK", data);
	}
	cl_close(&k);
	for (int i = 0; i < 10; i++)
		srv_run(5);
	ck_assert_uint_eq(fx.closed, 1);
	ck_assert_uint_eq(srv_nclients(), 0);
	srv_stop();
}
END_TEST

/* Clients come and go; none is left behind, no fd stays open. */
START_TEST(many_clients_no_leak)
{
	struct client k[20];

	srv_start(NULL, NULL);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(k); i++)
			open_client(&k[i], i % 2);
		ck_assert_uint_eq(srv_nclients(), ARRAY_SIZE(k));
		for (size_t i = 0; i < ARRAY_SIZE(k); i++) {
			cl_send(&k[i], "{\"execute\":\"echo\"}\n");
			expect_return_cmd(&k[i], NULL, "echo");
			cl_close(&k[i]);
		}
		for (int i = 0; i < 10 && srv_nclients(); i++)
			srv_run(10);
		ck_assert_uint_eq(srv_nclients(), 0);
	}
	ck_assert_uint_eq(fx.closed, 3 * ARRAY_SIZE(k));
	srv_stop();
}
END_TEST

static void never_called(struct ferry_client *c, struct ferry_request *req, void *ctx)
{
	ck_abort_msg("a request on a server that never accepted a client");
}

START_TEST(open_failures)
{
	struct ferry_server s;
	struct ferry_access a;
	struct ferry_loop *loop = calloc(1, sizeof(*loop));
	char err[512] = "", dir[64], path[256], want[600];
	char longpath[200];
	int before = count_fds();
	int fd;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(&a, 0, sizeof(a));
	ck_assert_ptr_nonnull(loop);
	ck_assert_int_eq(ferry_loop_init(loop), 0);
	snprintf(dir, sizeof(dir), "%s/XXXXXX", harness_dir());
	ck_assert_ptr_nonnull(mkdtemp(dir));

	/* A path too long for a unix socket, on either socket. */
	snprintf(path, sizeof(path), "%s/ferry-sock", dir);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(ferry_server_open(&s, loop, path, longpath, &a, &a, never_called, NULL, NULL,
					   err, sizeof(err)), -ENAMETOOLONG);
	snprintf(want, sizeof(want), "%s: socket path too long", longpath);
	ck_assert_str_eq(err, want);
	/* The first socket, already made, is gone again. */
	ck_assert_int_eq(access(path, F_OK), -1);

	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/no/ferry-sock", dir);
	ck_assert_int_eq(ferry_server_open(&s, loop, path, path, &a, &a, never_called, NULL, NULL,
					   err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(count_fds(), before + 1);

	/* A stale socket left by an earlier run is replaced. */
	snprintf(path, sizeof(path), "%s/ferry-sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	snprintf(want, sizeof(want), "%s/ferry-sock-ro", dir);
	ck_assert_int_eq(ferry_server_open(&s, loop, path, want, &a, &a, never_called, NULL, NULL,
					   err, sizeof(err)), 0);
	ferry_server_close(&s);
	ck_assert_int_eq(access(path, F_OK), -1);

	ferry_loop_fini(loop);
	free(loop);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

static Suite *connections_suite(void)
{
	Suite *s = suite_create("server-connections");
	TCase *t = tcase_create("access");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, readonly_flag_to_handler);
	tcase_add_test(t, refused_client);
	tcase_add_test(t, refusal_names_why);
	tcase_add_test(t, admitted_by_group);
	suite_add_tcase(s, t);

	t = tcase_create("lifetime");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, hangup_while_pending);
	tcase_add_test(t, hangup_while_pending_idle);
	tcase_add_test(t, close_while_pending);
	tcase_add_loop_test(t, request_then_hangup, 0, ARRAY_SIZE(hangups));
	tcase_add_test(t, event_after_hangup);
	tcase_add_test(t, hangup_with_output_pending);
	tcase_add_test(t, many_clients_no_leak);
	tcase_add_test(t, open_failures);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(connections_suite());
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

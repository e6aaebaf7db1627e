/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ferryctl.c - the built ferryctl against a fake broker on a unix
 * socket: what it prints on stdout and stderr and how it exits, for a
 * success, a broker error, --json, and the ways it refuses to start.
 * The binary comes from $FERRYCTL, which meson sets.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-broker.h"
#include "util.h"

extern char **environ;

struct run {
	int status;		/* exit status, or -1 when it did not exit */
	char out[8192];
	char err[8192];
};

static void slurp(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	unlink(path);
}

/* Run ferryctl with @argv (NULL-terminated, ferryctl's own name first). */
static void run_ferryctl(char *const argv[], struct run *res)
{
	const char *bin = getenv("FERRYCTL");
	char dir[] = "/tmp/ferryctl-test-XXXXXX";
	char out[64], err[64];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	ck_assert_msg(bin != NULL, "FERRYCTL is not set: run this through meson test");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(out, res->out, sizeof(res->out));
	slurp(err, res->err, sizeof(res->err));
	rmdir(dir);
}

#define HAS(buf, s) ck_assert_msg(strstr((buf), (s)), "'%s' does not say '%s'", (buf), (s))

START_TEST(test_list)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "list-domains", 0 },
		{ FAKE_SEND, "{\"event\": \"DOMAIN_LIFECYCLE\", \"data\": {\"name\": \"g\", \"state\": \"running\", \"reason\": \"booted\"}}\n", 0 },
		{ FAKE_SEND, "{\"return\": [{\"name\": \"guest1\", \"uuid\": \"u1\", \"state\": \"running\"},"
			     " {\"name\": \"web-frontend\", \"uuid\": \"u2\", \"state\": \"shutoff\"}], \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct run res;

	fake_start_unix(&fb, steps);
	run_ferryctl((char *[]){ "ferryctl", "-c", fb.uri, "list", "--all", NULL }, &res);
	fake_join(&fb);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.out,
			 " Id   Name           State\n"
			 "-----------------------------\n"
			 " -    guest1         running\n"
			 " -    web-frontend   shutoff\n");
	ck_assert_str_eq(res.err, "");
	HAS(fb.requests[0], "\"arguments\":{\"all\":true}");
	fake_free(&fb);
}
END_TEST

START_TEST(test_error)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "domain-info", 0 },
		{ FAKE_SEND, "{\"error\": {\"class\": \"DomainNotFound\", \"desc\": \"no domain 'ghost'\"}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct run res;

	/* --json changes stdout, not where errors go. */
	fake_start_unix(&fb, steps);
	run_ferryctl((char *[]){ "ferryctl", "--json", "-c", fb.uri, "dominfo", "ghost", NULL }, &res);
	fake_join(&fb);
	ck_assert_int_eq(res.status, 1);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "ferryctl: error: DomainNotFound: no domain 'ghost'\n");
	HAS(fb.requests[0], "\"arguments\":{\"name\":\"ghost\"}");
	fake_free(&fb);
}
END_TEST

START_TEST(test_json)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RO, 0 },
		{ FAKE_EXPECT, "domain-state", 0 },
		{ FAKE_SEND, "{\"return\": {\"state\": \"paused\", \"reason\": \"user\"}, \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct run res;

	/* --json after the command works as well as before it. */
	fake_start_unix(&fb, steps);
	run_ferryctl((char *[]){ "ferryctl", "--timeout", "5", "-c", fb.uri, "domstate", "g1",
				 "--json", NULL }, &res);
	fake_join(&fb);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.out, "{\n  \"state\": \"paused\",\n  \"reason\": \"user\"\n}\n");
	ck_assert_str_eq(res.err, "");
	fake_free(&fb);
}
END_TEST

START_TEST(test_events)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RO, 0 },
		{ FAKE_SEND, "{\"event\": \"OTHER\", \"data\": {}}\n", 0 },
		{ FAKE_SEND, "{\"event\": \"DOMAIN_LIFECYCLE\", \"data\": {\"name\": \"g1\", \"state\": \"shutoff\", \"reason\": \"destroyed\"}}\n", 0 },
		{ FAKE_SEND, "{\"event\": \"DOMAIN_LIFECYCLE\", \"data\": {\"name\": \"g2\", \"state\": \"running\", \"reason\": \"booted\"}}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct run res;

	fake_start_unix(&fb, steps);
	run_ferryctl((char *[]){ "ferryctl", "-c", fb.uri, "events", "--count", "2", "--timeout", "10",
				 NULL }, &res);
	fake_join(&fb);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.out, "event 'lifecycle' for domain 'g1': shutoff (destroyed)\n"
				  "event 'lifecycle' for domain 'g2': running (booted)\n");
	fake_free(&fb);
}
END_TEST

START_TEST(test_cannot_connect)
{
	struct run res;

	run_ferryctl((char *[]){ "ferryctl", "-c", "unix:///nonexistent/ferry-sock", "version", NULL },
		     &res);
	ck_assert_int_eq(res.status, 1);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "ferryctl: error: cannot connect to unix:///nonexistent/ferry-sock: "
				  "No such file or directory\n");
	run_ferryctl((char *[]){ "ferryctl", "-c", "ssh://host?keyfile=id_rsa", "version", NULL }, &res);
	ck_assert_int_eq(res.status, 1);
	HAS(res.err, "the keyfile must be an absolute path");
	run_ferryctl((char *[]){ "ferryctl", "proxy", "--socket", "/nonexistent/ferry-sock", NULL }, &res);
	ck_assert_int_eq(res.status, 1);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "ferryctl: error: proxy: cannot connect to unix:///nonexistent/ferry-sock: "
				  "No such file or directory\n");
	run_ferryctl((char *[]){ "ferryctl", "-c", "ssh://h", "proxy", NULL }, &res);
	ck_assert_int_eq(res.status, 1);
	HAS(res.err, "proxy: 'ssh://h' is not a local socket");
}
END_TEST

/* Usage errors exit 2 before any connection is tried. */
static const char *const bad_usage[][5] = {
	{ "ferryctl", NULL },
	{ "ferryctl", "frobnicate", NULL },
	{ "ferryctl", "dominfo", NULL },
	{ "ferryctl", "dominfo", "a", "b", NULL },
	{ "ferryctl", "list", "--paused", NULL },
	{ "ferryctl", "--timeout", "soon", "list", NULL },
	{ "ferryctl", "events", "--count", "0", NULL },
	{ "ferryctl", "--bogus", "list", NULL },
	{ "ferryctl", "proxy", "--bogus", NULL },
	{ "ferryctl", "proxy", "--socket", "relative/sock", NULL },
	{ "ferryctl", "proxy", "extra", NULL },
};

START_TEST(test_usage)
{
	struct run res;

	run_ferryctl((char *const *)bad_usage[_i], &res);
	ck_assert_int_eq(res.status, 2);
	ck_assert_str_eq(res.out, "");
	HAS(res.err, "ferryctl: error: ");
	HAS(res.err, "Try 'ferryctl --help'.");
}
END_TEST

START_TEST(test_help)
{
	struct run res;

	run_ferryctl((char *[]){ "ferryctl", "--help", NULL }, &res);
	ck_assert_int_eq(res.status, 0);
	HAS(res.out, "Usage: ferryctl");
	HAS(res.out, "FERRY_DEFAULT_URI");
	HAS(res.out, "XDG_RUNTIME_DIR");
}
END_TEST

static Suite *ferryctl_suite(void)
{
	Suite *s = suite_create("ferryctl");
	TCase *tc = tcase_create("binary");

	/* Sanitizer builds start slowly. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_error);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_cannot_connect);
	tcase_add_loop_test(tc, test_usage, 0, ARRAY_SIZE(bad_usage));
	tcase_add_test(tc, test_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ferryctl_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

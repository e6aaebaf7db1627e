/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-uri.c - ferryd URIs: what the parser accepts and how it splits
 * it, what it refuses and how it says so; the default URI; the ssh
 * command line built from a URI, and the quoting of its remote words,
 * checked against a real /bin/sh.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport.h"
#include "uri.h"
#include "util.h"

#define ERR_HAS(err, s) ck_assert_msg(strstr((err), (s)), "'%s' does not say '%s'", (err), (s))

extern char **environ;

/* --- parsing ------------------------------------------------------------- */

static const struct {
	const char *uri;
	const char *says;	/* NULL: accepted */
} uris[] = {
	{ "unix:///run/ferry/ferry-sock", NULL },
	{ "unix:///s", NULL },
	/* unix paths are taken byte for byte: a '?' is part of the path. */
	{ "unix:///run/a?b$c", NULL },
	{ "unix://relative/sock", "needs an absolute socket path" },
	{ "unix://", "needs an absolute socket path" },
	{ "http://example.org/", "unsupported URI scheme" },
	{ "UNIX:///run/x", "unsupported URI scheme" },
	{ "/run/ferry/ferry-sock", "unsupported URI scheme" },
	{ "", "empty URI" },
	{ "unix:///a b", "blanks or control characters" },
	{ "unix:///tmp/\x1b[1m", "blanks or control characters" },
	{ "unix:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "longer than the 107" },
	{ "ssh://host", NULL },
	{ "ssh://host/", NULL },
	{ "ssh://root@host.example:2222/run/ferry/ferry-sock", NULL },
	{ "ssh://[fe80::1%eth0]:22", NULL },
	{ "ssh://[::1]/run/s", NULL },
	{ "ssh://10.1.2.3", NULL },
	{ "ssh://host?keyfile=/k", NULL },
	{ "ssh://u@h:1/s?keyfile=/root/.ssh/id_ed25519&known_hosts=/etc/k_h&ferryctl=/usr/bin/ferryctl", NULL },
	{ "ssh://", "the host is empty" },
	{ "ssh://@host", "the user is empty" },
	{ "ssh://-oProxyCommand=x", "not a host name" },
	{ "ssh://-l@host", "not a user name" },
	{ "ssh://a$b@host", "not a user name" },
	{ "ssh://ho$t", "not a host name" },
	{ "ssh://ho;st", "not a host name" },
	{ "ssh://host:0", "port is not a number" },
	{ "ssh://host:65536", "port is not a number" },
	{ "ssh://host:22x", "port is not a number" },
	{ "ssh://host:", "port is not a number" },
	{ "ssh://[::1", "unbalanced" },
	{ "ssh://[::1]x", "unbalanced" },
	{ "ssh://[host.example]", "not an IPv6 address" },
	{ "ssh://[1.2.3.4]", "not an IPv6 address" },
	{ "ssh://[]", "not an IPv6 address" },
	{ "ssh://[fe80::1%]", "not an IPv6 address" },
	{ "ssh://[fe80::1%e$0]", "not an IPv6 address" },
	{ "ssh://[fe80::1%averylonginterfacename]", "not an IPv6 address" },
	/* Socket paths of ssh URIs go to the remote shell: a closed alphabet. */
	{ "ssh://host/run/$(reboot)", "socket path holds '$'" },
	{ "ssh://host/run/a'b", "socket path holds '''" },
	{ "ssh://host/run/a`b`", "socket path holds '`'" },
	{ "ssh://host/run/a;b", "socket path holds ';'" },
	{ "ssh://host/run/a\\b", "socket path holds '\\'" },
	{ "ssh://host/run/a\"b", "socket path holds '\"'" },
	{ "ssh://host/run/a%b", "socket path holds '%'" },
	{ "ssh://host/run/a#b", "socket path holds '#'" },
	{ "ssh://host/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "socket path is longer than 107 bytes" },
	/* The query. */
	{ "ssh://host?", "empty query parameter name" },
	{ "ssh://host?keyfile=/k&", "empty query parameter name" },
	{ "ssh://host?=/k", "empty query parameter name" },
	{ "ssh://host?port=22", "unknown query parameter 'port': expected keyfile, known_hosts or ferryctl" },
	{ "ssh://host?KEYFILE=/k", "unknown query parameter 'KEYFILE'" },
	{ "ssh://host?keyfile", "query parameter 'keyfile' has no value" },
	{ "ssh://host?keyfile=", "the keyfile must be an absolute path" },
	{ "ssh://host?keyfile=id_rsa", "the keyfile must be an absolute path" },
	{ "ssh://host?keyfile=~/.ssh/id", "the keyfile must be an absolute path" },
	{ "ssh://host?keyfile=/a&keyfile=/b", "query parameter 'keyfile' is given twice" },
	{ "ssh://host?known_hosts=/a&ferryctl=/b&known_hosts=/a", "'known_hosts' is given twice" },
	{ "ssh://host?keyfile=/a=b", "the keyfile holds '='" },
	{ "ssh://host?keyfile=/home/u/%d/id", "the keyfile holds '%'" },
	{ "ssh://host?known_hosts=/k,/l", "the known_hosts holds ','" },
	{ "ssh://host?ferryctl=/usr/bin/ferryctl;reboot", "the ferryctl holds ';'" },
	{ "ssh://host?ferryctl=/x/$HOME", "the ferryctl holds '$'" },
	{ "ssh://host?ferryctl=/x/${HOME}", "the ferryctl holds '$'" },
	{ "ssh://host?ferryctl=/x/*", "the ferryctl holds '*'" },
	{ "ssh://host?ferryctl=/x/a|b", "the ferryctl holds '|'" },
	{ "ssh://host?ferryctl=/a b", "blanks or control characters" },
	{ "ssh://host?keyfile=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "the keyfile is longer than 255 bytes" },
};

START_TEST(test_uri_parse)
{
	struct ferry_uri u;
	char err[2048] = "";
	int r = ferry_uri_parse(uris[_i].uri, &u, err, sizeof(err));

	if (!uris[_i].says) {
		ck_assert_msg(r == 0, "%s: %s", uris[_i].uri, err);
		return;
	}
	ck_assert_msg(r == -EINVAL, "%s: accepted", uris[_i].uri);
	ERR_HAS(err, uris[_i].says);
}
END_TEST

START_TEST(test_uri_parts)
{
	struct ferry_uri u;
	char err[256];

	ck_assert_int_eq(ferry_uri_parse("unix:///run/ferry/ferry-sock-ro", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.scheme, FERRY_URI_UNIX);
	ck_assert_str_eq(u.path, "/run/ferry/ferry-sock-ro");
	ck_assert_int_eq(ferry_uri_parse("ssh://admin@host.example:2222/run/s", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.scheme, FERRY_URI_SSH);
	ck_assert_str_eq(u.user, "admin");
	ck_assert_str_eq(u.host, "host.example");
	ck_assert_uint_eq(u.port, 2222);
	ck_assert_str_eq(u.path, "/run/s");
	ck_assert_str_eq(u.keyfile, "");
	ck_assert_int_eq(ferry_uri_parse("ssh://[::1]", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.user, "");
	ck_assert_str_eq(u.path, "");
	ck_assert_uint_eq(u.port, 0);
	ck_assert_int_eq(ferry_uri_parse("ssh://h/?ferryctl=/opt/f/ferryctl&keyfile=/k/id"
					 "&known_hosts=/k/known", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "h");
	ck_assert_str_eq(u.path, "");
	ck_assert_str_eq(u.keyfile, "/k/id");
	ck_assert_str_eq(u.known_hosts, "/k/known");
	ck_assert_str_eq(u.ferryctl, "/opt/f/ferryctl");
	ck_assert_int_eq(ferry_uri_parse("ssh://[fe80::1%eth0]:22/s?keyfile=/id", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "fe80::1%eth0");
	ck_assert_uint_eq(u.port, 22);
	ck_assert_str_eq(u.path, "/s");
	ck_assert_str_eq(u.keyfile, "/id");
}
END_TEST

START_TEST(test_default_uri)
{
	char buf[256], err[256] = "";

	setenv("FERRY_DEFAULT_URI", "unix:///elsewhere/sock", 1);
	ck_assert_int_eq(ferry_default_uri(buf, sizeof(buf), err, sizeof(err)), 0);
	ck_assert_str_eq(buf, "unix:///elsewhere/sock");
	/* Set but empty counts as unset. */
	setenv("FERRY_DEFAULT_URI", "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	ck_assert_int_eq(ferry_default_uri(buf, sizeof(buf), err, sizeof(err)), 0);
	ck_assert_str_eq(buf, geteuid() == 0 ? FERRY_SYSTEM_URI :
			 "unix:///run/user/4242/ferry/ferry-sock");
	ck_assert_int_eq(ferry_default_uri(buf, 8, err, sizeof(err)), -ENAMETOOLONG);
	if (geteuid() == 0)
		return;
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_int_eq(ferry_default_uri(buf, sizeof(buf), err, sizeof(err)), -ENOENT);
	ERR_HAS(err, "XDG_RUNTIME_DIR");
}
END_TEST

/* --- quoting ------------------------------------------------------------- */

static const struct {
	const char *in, *quoted;
} quotes[] = {
	{ "", "''" },
	{ "ferryctl", "'ferryctl'" },
	{ "/run/ferry/ferry-sock", "'/run/ferry/ferry-sock'" },
	{ "it's", "'it'\\''s'" },
	{ "'", "''\\'''" },
	{ "''", "''\\'''\\'''" },
	{ "a b", "'a b'" },
	{ "$(reboot)", "'$(reboot)'" },
	{ "`id`;x", "'`id`;x'" },
	{ "\\", "'\\'" },
	{ "*\n?", "'*\n?'" },
};

/* What /bin/sh makes of "printf %s WORD": the word as the shell took it. */
static void shell_word(const char *word, char *out, size_t len)
{
	_cleanup_free_ char *cmd = NULL;
	char *argv[] = { "sh", "-c", NULL, NULL };
	posix_spawn_file_actions_t fa;
	size_t got = 0;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	ck_assert_int_ge(asprintf(&cmd, "printf %%s %s", word), 0);
	argv[2] = cmd;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	ck_assert_int_eq(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(test_quote)
{
	_cleanup_free_ char *q = ferry_shell_quote(quotes[_i].in);
	char back[256];

	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, quotes[_i].quoted);
	/* The proof: a real shell hands the word back unchanged. */
	shell_word(q, back, sizeof(back));
	ck_assert_str_eq(back, quotes[_i].in);
}
END_TEST

/* --- ssh's argument vector ----------------------------------------------- */

static void expect_argv(const char *uri, const char *const *want)
{
	_cleanup_(ferry_ssh_argv_freep) char **argv = NULL;
	struct ferry_uri u;
	char err[256] = "";
	size_t i;

	ck_assert_msg(ferry_uri_parse(uri, &u, err, sizeof(err)) == 0, "%s: %s", uri, err);
	ck_assert_msg(ferry_ssh_argv(&u, &argv, err, sizeof(err)) == 0, "%s: %s", uri, err);
	for (i = 0; want[i]; i++) {
		ck_assert_msg(argv[i], "%s: vector ends before '%s'", uri, want[i]);
		ck_assert_str_eq(argv[i], want[i]);
	}
	ck_assert_msg(!argv[i], "%s: surplus word '%s'", uri, argv[i]);
	ck_assert_uint_lt(i, FERRY_SSH_ARGV_MAX);
}

START_TEST(test_ssh_argv_minimal)
{
	static const char *const want[] = {
		"ssh", "-T", "-e", "none", "-o", "BatchMode=yes", "--", "host.example",
		"'ferryctl'", "'proxy'", NULL,
	};

	expect_argv("ssh://host.example", want);
	expect_argv("ssh://host.example/", want);
}
END_TEST

START_TEST(test_ssh_argv_full)
{
	static const char *const want[] = {
		"ssh", "-T", "-e", "none", "-o", "BatchMode=yes", "-p", "2222", "-l", "admin",
		"-i", "/keys/id_ed25519", "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=/keys/known_hosts", "-o", "StrictHostKeyChecking=yes",
		"--", "fe80::1%eth0",
		"'/opt/ferry/bin/ferryctl'", "'proxy'", "'--socket'", "'/run/ferry/ferry-sock-ro'", NULL,
	};

	expect_argv("ssh://admin@[fe80::1%eth0]:2222/run/ferry/ferry-sock-ro?known_hosts=/keys/known_hosts"
		    "&ferryctl=/opt/ferry/bin/ferryctl&keyfile=/keys/id_ed25519", want);
}
END_TEST

START_TEST(test_ssh_argv_some)
{
	static const char *const want[] = {
		"ssh", "-T", "-e", "none", "-o", "BatchMode=yes", "-l", "root",
		"-o", "UserKnownHostsFile=/k", "-o", "StrictHostKeyChecking=yes",
		"--", "10.0.0.2", "'ferryctl'", "'proxy'", "'--socket'", "'/s'", NULL,
	};

	expect_argv("ssh://root@10.0.0.2/s?known_hosts=/k", want);
}
END_TEST

/* A struct filled in by hand, not by the parser, gets the same refusals. */
START_TEST(test_ssh_argv_refusals)
{
	struct ferry_uri u = { .scheme = FERRY_URI_SSH };
	char **argv = (char **)1;
	char err[256] = "";

	snprintf(u.host, sizeof(u.host), "-oProxyCommand=sh");
	ck_assert_int_eq(ferry_ssh_argv(&u, &argv, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(argv);
	ERR_HAS(err, "starts with '-'");
	snprintf(u.host, sizeof(u.host), "host");
	snprintf(u.user, sizeof(u.user), "-oProxyCommand=sh");
	ck_assert_int_eq(ferry_ssh_argv(&u, &argv, err, sizeof(err)), -EINVAL);
	u.user[0] = u.host[0] = '\0';
	ck_assert_int_eq(ferry_ssh_argv(&u, &argv, err, sizeof(err)), -EINVAL);
	ERR_HAS(err, "empty");
	u.scheme = FERRY_URI_UNIX;
	snprintf(u.host, sizeof(u.host), "host");
	ck_assert_int_eq(ferry_ssh_argv(&u, &argv, err, sizeof(err)), -EINVAL);
	ERR_HAS(err, "not an ssh URI");
	ferry_ssh_argv_free(NULL);
}
END_TEST

static Suite *uri_suite(void)
{
	Suite *s = suite_create("uri");
	TCase *parse = tcase_create("parse");
	TCase *ssh = tcase_create("ssh");

	tcase_add_loop_test(parse, test_uri_parse, 0, ARRAY_SIZE(uris));
	tcase_add_test(parse, test_uri_parts);
	tcase_add_test(parse, test_default_uri);
	suite_add_tcase(s, parse);

	tcase_add_loop_test(ssh, test_quote, 0, ARRAY_SIZE(quotes));
	tcase_add_test(ssh, test_ssh_argv_minimal);
	tcase_add_test(ssh, test_ssh_argv_full);
	tcase_add_test(ssh, test_ssh_argv_some);
	tcase_add_test(ssh, test_ssh_argv_refusals);
	suite_add_tcase(s, ssh);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(uri_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

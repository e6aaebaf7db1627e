/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-transport.c - connecting over ssh without an ssh server: a fake
 * "ssh" first in PATH notes its arguments and runs the remote command
 * through /bin/sh, as sshd would, so the real quoting, the real
 * `ferryctl proxy` ($FERRYCTL, which meson sets) and the client library
 * meet a fake broker. Other fakes fail as ssh fails, or hang. Also the
 * reaping and the stderr tail on their own.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fake-broker.h"
#include "transport.h"
#include "util.h"

#define ERR_HAS(err, s) ck_assert_msg(strstr((err), (s)), "'%s' does not say '%s'", (err), (s))

extern char **environ;

/*
 * Stands in for ssh: its arguments to $FAKE_SSH_ARGS, then the remote
 * command, whose exit status goes to $FAKE_SSH_ARGS.status.
 */
static const char relay_ssh[] =
	"#!/bin/sh\n"
	"printf '%s\\n' \"$@\" > \"$FAKE_SSH_ARGS\"\n"
	"while [ \"$1\" != -- ]; do shift; done\n"
	"shift 2\n"
	"/bin/sh -c \"$*\"\n"
	"st=$?\n"
	"echo $st > \"$FAKE_SSH_ARGS.status\"\n"
	"exit $st\n";

static char fake_dir[64];

/* Put an executable "ssh" with @script first in PATH. */
static void fake_ssh(const char *script)
{
	char path[128], args[128], env[4096];
	_cleanup_close_ int fd = -1;

	snprintf(fake_dir, sizeof(fake_dir), "/tmp/ferry-ssh-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	snprintf(path, sizeof(path), "%s/ssh", fake_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ferry_write_all(fd, script, strlen(script)), 0);
	snprintf(env, sizeof(env), "%s:%s", fake_dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", env, 1);
	snprintf(args, sizeof(args), "%s/args", fake_dir);
	setenv("FAKE_SSH_ARGS", args, 1);
}

static void fake_ssh_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/ssh", fake_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/args", fake_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/args.status", fake_dir);
	unlink(path);
	rmdir(fake_dir);
}

/* Every child was reaped: none left, not even a zombie. */
static void expect_no_children(void)
{
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static const char *ferryctl_bin(void)
{
	const char *bin = getenv("FERRYCTL");

	ck_assert_msg(bin != NULL, "FERRYCTL is not set: run this through meson test");
	return bin;
}

/* What the fake ssh noted in FILE: its words one a line, or the status. */
static void read_noted(const char *file, char *buf, size_t len)
{
	char path[128];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", fake_dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, len - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
}

START_TEST(test_ssh_relay)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RW, 0 },
		{ FAKE_EXPECT, "list-domains", 0 },
		{ FAKE_SEND, "{\"return\": [{\"name\": \"g\"}], \"id\": $ID}\n", 0 },
		{ 0 },
	};
	struct fake_broker fb;
	struct ferry_client *cl = NULL;
	struct json_object *ret = NULL;
	char uri[512], err[512] = "", args[2048], want[1024];

	fake_ssh(relay_ssh);
	fake_start_unix(&fb, steps);
	snprintf(uri, sizeof(uri), "ssh://admin@host.example:2222%s?ferryctl=%s", fb.path, ferryctl_bin());
	ck_assert_msg(ferry_client_connect(uri, 5000, &cl, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!ferry_client_readonly(cl));
	ck_assert_msg(ferry_client_call(cl, "list-domains", NULL, &ret, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(json_object_array_length(ret), 1);
	json_object_put(ret);
	ferry_client_free(cl);
	fake_join(&fb);
	expect_no_children();
	read_noted("args", args, sizeof(args));
	snprintf(want, sizeof(want), "-T\n-e\nnone\n-o\nBatchMode=yes\n-p\n2222\n-l\nadmin\n--\nhost.example\n"
		 "'%s'\n'proxy'\n'--socket'\n'%s'\n", ferryctl_bin(), fb.path);
	ck_assert_str_eq(args, want);
	/* The proxy saw both ends and exited 0 (and, sanitized, found no leak). */
	read_noted("args.status", args, sizeof(args));
	ck_assert_str_eq(args, "0\n");
	fake_free(&fb);
	fake_ssh_remove();
}
END_TEST

/* ssh's last word reaches the caller with its exit status. */
START_TEST(test_ssh_refused)
{
	struct ferry_client *cl = NULL;
	char err[512] = "";
	int r;

	fake_ssh("#!/bin/sh\n"
		 "echo 'Warning: Permanently added 10.0.0.2 (ED25519) to the list of known hosts.' >&2\n"
		 "echo 'root@10.0.0.2: Permission denied (publickey).' >&2\n"
		 "exit 255\n");
	r = ferry_client_connect("ssh://root@10.0.0.2/run/ferry/ferry-sock", 5000, &cl, err, sizeof(err));
	ck_assert_int_eq(r, -ECONNRESET);
	ck_assert_ptr_null(cl);
	ck_assert_str_eq(err, "ssh://root@10.0.0.2/run/ferry/ferry-sock: ssh exited with status 255 while "
			 "waiting for the greeting: root@10.0.0.2: Permission denied (publickey).");
	expect_no_children();
	fake_ssh_remove();
}
END_TEST

/* The remote proxy's own complaint comes back the same way. */
START_TEST(test_ssh_no_broker_there)
{
	struct ferry_client *cl = NULL;
	char uri[512], err[512] = "";

	fake_ssh(relay_ssh);
	snprintf(uri, sizeof(uri), "ssh://h/nonexistent/ferry-sock?ferryctl=%s", ferryctl_bin());
	ck_assert_int_eq(ferry_client_connect(uri, 5000, &cl, err, sizeof(err)), -ECONNRESET);
	ERR_HAS(err, "ssh exited with status 1 while waiting for the greeting: ferryctl: error: proxy: "
		"cannot connect to unix:///nonexistent/ferry-sock: No such file or directory");
	expect_no_children();
	fake_ssh_remove();
}
END_TEST

START_TEST(test_ssh_missing)
{
	struct ferry_client *cl = NULL;
	char err[512] = "";

	setenv("PATH", "/nonexistent", 1);
	ck_assert_int_eq(ferry_client_connect("ssh://h", 5000, &cl, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot connect to ssh://h: cannot run ssh: No such file or directory");
	expect_no_children();
}
END_TEST

/* An ssh that never ends is killed when the client goes, not waited for. */
START_TEST(test_ssh_hangs)
{
	struct ferry_client *cl = NULL;
	char err[512] = "";
	uint64_t t0;

	fake_ssh("#!/bin/sh\n"
		 "echo '{\"ferry\": {\"version\": {\"major\": 0, \"minor\": 1, \"micro\": 0}, "
		 "\"readonly\": true}}'\n"
		 "exec sleep 60\n");
	ck_assert_msg(ferry_client_connect("ssh://h", 5000, &cl, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ferry_client_readonly(cl));
	t0 = ferry_now_ns();
	ferry_client_free(cl);
	ck_assert_uint_lt(ferry_now_ns() - t0, 10000000000u);
	expect_no_children();
	fake_ssh_remove();
}
END_TEST

START_TEST(test_connect_unix)
{
	static const struct fake_step steps[] = {
		{ FAKE_SEND, GREETING_RO, 0 },
		{ 0 },
	};
	struct fake_broker fb;
	char err[256] = "";
	int fd, errfd;
	pid_t pid;

	fake_start_unix(&fb, steps);
	ck_assert_msg(ferry_transport_connect_capture(fb.uri, &fd, &pid, &errfd, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(pid, 0);
	ck_assert_int_eq(errfd, -1);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	fake_join(&fb);
	fake_free(&fb);
	ck_assert_int_eq(ferry_transport_connect("unix://rel", &fd, &pid, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fd, -1);
}
END_TEST

static pid_t spawn(const char *prog, char *const argv[])
{
	pid_t pid;

	ck_assert_int_eq(posix_spawnp(&pid, prog, NULL, NULL, argv, environ), 0);
	return pid;
}

START_TEST(test_reap)
{
	char *sleeper[] = { "sleep", "60", NULL }, *quitter[] = { "sh", "-c", "exit 3", NULL };
	char how[96];
	int st;

	ck_assert_int_eq(ferry_transport_reap(spawn("sleep", sleeper), 50, &st), 1);
	ferry_wait_status_describe(st, how, sizeof(how));
	ck_assert_str_eq(how, "was killed by signal 9 (Killed)");
	ck_assert_int_eq(ferry_transport_reap(spawn("sh", quitter), -1, &st), 0);
	ferry_wait_status_describe(st, how, sizeof(how));
	ck_assert_str_eq(how, "exited with status 3");
	ck_assert_int_eq(ferry_transport_reap(spawn("sh", quitter), 5000, &st), 0);
	ck_assert_int_eq(ferry_transport_reap(1, 0, &st), -ECHILD);
	expect_no_children();
}
END_TEST

START_TEST(test_stderr_tail)
{
	struct ferry_stderr_tail t = { .len = 0 };
	char longline[600];
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_str_eq(ferry_stderr_tail_line(&t), "");
	ck_assert_int_eq(ferry_write_all(p[1], "first\r\nsecond\n\n", 15), 0);
	ck_assert_int_eq(ferry_stderr_tail_read(p[0], &t), 0);
	ck_assert_str_eq(ferry_stderr_tail_line(&t), "second");
	/* An unfinished line counts; a terminal escape does not get through. */
	ck_assert_int_eq(ferry_write_all(p[1], "th\x1b[2Jird", 9), 0);
	ck_assert_int_eq(ferry_stderr_tail_read(p[0], &t), 0);
	ck_assert_str_eq(ferry_stderr_tail_line(&t), "th?[2Jird");
	memset(longline, 'x', sizeof(longline));
	longline[sizeof(longline) - 1] = '\n';
	ck_assert_int_eq(ferry_write_all(p[1], longline, sizeof(longline)), 0);
	close(p[1]);
	ck_assert_int_eq(ferry_stderr_tail_read(p[0], &t), 1);
	ck_assert_uint_eq(strlen(ferry_stderr_tail_line(&t)), FERRY_STDERR_TAIL_MAX - 1);
	close(p[0]);
}
END_TEST

static Suite *transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *ssh = tcase_create("ssh");
	TCase *parts = tcase_create("parts");

	tcase_set_timeout(ssh, 30);
	tcase_add_test(ssh, test_ssh_relay);
	tcase_add_test(ssh, test_ssh_refused);
	tcase_add_test(ssh, test_ssh_no_broker_there);
	tcase_add_test(ssh, test_ssh_missing);
	tcase_add_test(ssh, test_ssh_hangs);
	suite_add_tcase(s, ssh);

	tcase_add_test(parts, test_connect_unix);
	tcase_add_test(parts, test_reap);
	tcase_add_test(parts, test_stderr_tail);
	suite_add_tcase(s, parts);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(transport_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

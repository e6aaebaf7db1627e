/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-monitor-qemu.c - the real ferry-monitor against a real QEMU.
 *
 * QEMU gets one end of a connected socketpair as its monitor: QEMU 7.2
 * takes a connected socket fd in client mode,
 *   -chardev socket,id=mon,fd=N -mon chardev=mon,mode=control
 * (with server=on it insists on a listening socket: "Failed to listen on
 * fd socket: Invalid argument"). The other end goes to the monitor helper
 * in MON_ATTACH, as the broker will do it. "-machine none -S" keeps QEMU
 * small and in "prelaunch".
 *
 * Skips, with the reason, when qemu-system-x86_64 is not installed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mon-harness.h"
#include "util.h"

#define QEMU "qemu-system-x86_64"
/* meson's exit code for a skipped test. */
#define EXIT_SKIP 77

static struct ferry_helper helper;
static pid_t qemu_pid;
static int fds_before;

static bool qemu_installed(void)
{
	const char *path = getenv("PATH");
	char dir[4096], exe[4200];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		snprintf(exe, sizeof(exe), "%s/%s", dir[0] ? dir : ".", QEMU);
		if (access(exe, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* Start QEMU with @fd as its QMP monitor; the caller keeps its copy. */
static pid_t spawn_qemu(int fd)
{
	char chardev[64];
	pid_t pid;

	snprintf(chardev, sizeof(chardev), "socket,id=mon,fd=%d", fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = {
			QEMU, "-nodefaults", "-no-user-config", "-machine", "none", "-S",
			"-display", "none", "-chardev", chardev,
			"-mon", "chardev=mon,mode=control", NULL,
		};

		/* Only QEMU's copy survives the exec. */
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(126);
		execvp(QEMU, argv);
		_exit(127);
	}
	return pid;
}

static void setup(void)
{
	mon_setup();
	fds_before = mon_count_fds();
	mon_start(&helper);
	qemu_pid = -1;
}

static void teardown(void)
{
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
	}
	if (!helper.exited) {
		ferry_helper_shutdown(&helper);
		mon_wait_exit(&helper);
	}
	ferry_helper_release(&helper);
	ck_assert_int_eq(mon_count_fds(), fds_before);
	mon_teardown();
}

static void attach_real_qemu(void)
{
	struct mon_rec r;
	const char *version;
	char why[128];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	qemu_pid = spawn_qemu(sv[0]);
	close(sv[0]);
	mon_attach_async(&helper, sv[1], 10000, &r);
	close(sv[1]);
	mon_wait(&r.done);
	ck_assert_msg(r.got && r.type == FERRY_MSG_MON_ATTACHED, "attach: type %u, %s %s",
		      r.type, helper.exit_desc, helper.error);
	ck_assert_msg(ferry_mon_get_attached(r.payload, r.len, &version, why, sizeof(why)) == 0,
		      "%s", why);
	printf("QEMU %s attached\n", version);
}

/* Run @cmd; the reply must be MON_RESULT. */
static void run_cmd(uint32_t cmd, struct ferry_mon_result *res)
{
	struct mon_rec r;

	mon_command_async(&helper, cmd, 5000, &r);
	mon_wait(&r.done);
	mon_expect_result(&r, res);
	ck_assert_uint_eq(res->cmd, cmd);
}

static void expect_status(const char *status, uint32_t running)
{
	struct ferry_mon_result res;

	run_cmd(FERRY_MON_QUERY_STATUS, &res);
	ck_assert_str_eq(res.ret.status.status, status);
	ck_assert_uint_eq(res.ret.status.running, running);
}

/* @cmd, then the event QEMU sends for it. */
static void run_with_event(uint32_t cmd, uint32_t event)
{
	struct ferry_mon_result res;
	struct ferry_mon_event ev;
	unsigned before = mon_events.n;

	run_cmd(cmd, &res);
	mon_wait_events(before + 1);
	mon_expect_event(&mon_events.ev[before], &ev);
	ck_assert_msg(ev.type == event, "%s: event %s, expected %s", ferry_mon_cmd_name(cmd),
		      ferry_mon_event_name(ev.type), ferry_mon_event_name(event));
	ck_assert_uint_gt(ev.timestamp_us, 0);
}

START_TEST(real_qemu_lifecycle)
{
	struct ferry_mon_closed c;
	struct ferry_mon_event ev;
	struct mon_rec r;
	int status;

	attach_real_qemu();
	expect_status("prelaunch", 0);
	run_with_event(FERRY_MON_CONT, FERRY_MON_EV_RESUME);
	expect_status("running", 1);
	run_with_event(FERRY_MON_SYSTEM_POWERDOWN, FERRY_MON_EV_POWERDOWN);
	run_with_event(FERRY_MON_SYSTEM_RESET, FERRY_MON_EV_RESET);
	run_with_event(FERRY_MON_STOP, FERRY_MON_EV_STOP);
	expect_status("paused", 0);

	/* quit: SHUTDOWN, the reply, then QEMU hangs up. */
	mon_command_async(&helper, FERRY_MON_QUIT, 5000, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(r.type, FERRY_MSG_MON_RESULT);
	mon_wait_exit(&helper);
	ck_assert_msg(strstr(helper.exit_desc, "exited with status 0"), "%s", helper.exit_desc);
	ck_assert_uint_ge(mon_events.n, 2);
	mon_expect_event(&mon_events.ev[mon_events.n - 2], &ev);
	ck_assert_uint_eq(ev.type, FERRY_MON_EV_SHUTDOWN);
	ck_assert_uint_eq(ev.u.shutdown.guest, 0);
	ck_assert_str_eq(ev.u.shutdown.reason, "host-qmp-quit");
	ck_assert_uint_lt(mon_events.ev[mon_events.n - 2].seq, r.seq);
	mon_expect_closed(&mon_events.ev[mon_events.n - 1], &c);
	ck_assert_uint_eq(c.kind, FERRY_MON_CLOSED_EOF);
	/*
	 * QEMU's QMP reads a byte at a time and quits at the closing brace,
	 * so the newline after "quit" may still be unread when it exits: the
	 * kernel then reports a reset rather than a plain EOF.
	 */
	ck_assert_msg(strncmp(c.reason, "QEMU closed the monitor", 23) == 0, "%s", c.reason);
	ck_assert_int_eq(waitpid(qemu_pid, &status, 0), qemu_pid);
	qemu_pid = -1;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "QEMU status 0x%x", status);
}
END_TEST

/* QEMU killed under the monitor: the broker learns it, and carries on. */
START_TEST(real_qemu_killed)
{
	struct ferry_mon_closed c;
	struct ferry_wbuf w;
	struct mon_rec r;

	attach_real_qemu();
	expect_status("prelaunch", 0);
	ck_assert_int_eq(kill(qemu_pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(qemu_pid, NULL, 0), qemu_pid);
	qemu_pid = -1;
	mon_wait_exit(&helper);
	ck_assert_msg(strstr(helper.exit_desc, "exited with status 0"), "%s", helper.exit_desc);
	ck_assert_uint_ge(mon_events.n, 1);
	mon_expect_closed(&mon_events.ev[mon_events.n - 1], &c);
	ck_assert_uint_eq(c.kind, FERRY_MON_CLOSED_EOF);
	/* Reset when QEMU died with bytes of ours unread, a plain EOF otherwise. */
	ck_assert_msg(strncmp(c.reason, "QEMU closed the monitor", 23) == 0, "%s", c.reason);
	ferry_wbuf_init(&w);
	ck_assert_int_eq(ferry_helper_call(&helper, FERRY_MSG_MON_COMMAND, &w, NULL, 0, NULL, &r),
			 -ECHILD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor-qemu");
	TCase *tc = tcase_create("real-qemu");
	SRunner *sr;
	int failed;

	if (!qemu_installed()) {
		printf("SKIP: %s is not in PATH; the real-QEMU monitor test needs it\n", QEMU);
		return EXIT_SKIP;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, real_qemu_lifecycle);
	tcase_add_test(tc, real_qemu_killed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

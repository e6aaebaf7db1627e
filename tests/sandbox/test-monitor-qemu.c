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
 * small and in "prelaunch" for the run-control cases.
 *
 * The migration cases run two QEMUs ("-machine pc -m 64", the destination
 * with "-incoming defer"), each under its own monitor helper, and drive
 * the migration through those helpers alone, over a unix socket in a
 * private directory. A guest that never ran has almost nothing but zero
 * pages (QEMU 7.2 sends about 350 KB for 64 MiB), so the migration that
 * is to be cancelled is held to 32 KiB/s rather than a 1 MiB/s it would
 * finish at within a second.
 *
 * Skips, with the reason, when qemu-system-x86_64 is not installed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

/* One QEMU and the monitor helper that holds its QMP socket. */
struct side {
	const char *name;		/* "source", for messages */
	struct ferry_helper helper;
	bool started;			/* the helper was started: release it */
	pid_t pid;
	struct mon_events *events;	/* what its monitor forwarded */
	struct mon_rec last;		/* the last reply: results point into it */
};

static struct mon_events dst_events;
static struct side src = { .name = "source", .events = &mon_events };
static struct side dst = { .name = "destination", .events = &dst_events };
static int fds_before;
/* Made and removed by main(), which outlives every case's process. */
static char tmpdir[64];

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

/* What a QEMU is started as: run control, or one end of a migration. */
enum role { ROLE_PLAIN, ROLE_SOURCE, ROLE_DEST };

/* Start QEMU with @fd as its QMP monitor; the caller keeps its copy. */
static pid_t spawn_qemu(int fd, enum role role)
{
	char chardev[64];
	pid_t pid;

	snprintf(chardev, sizeof(chardev), "socket,id=mon,fd=%d", fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = {
			QEMU, "-nodefaults", "-no-user-config", "-S", "-display", "none",
			"-chardev", chardev, "-mon", "chardev=mon,mode=control",
			"-machine", role == ROLE_PLAIN ? "none" : "pc",
			role == ROLE_PLAIN ? NULL : "-m", "64",
			role == ROLE_DEST ? "-incoming" : NULL, "defer", NULL,
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
	memset(&dst_events, 0, sizeof(dst_events));
	fds_before = mon_count_fds();
	memset(&src.helper, 0, sizeof(src.helper));
	memset(&dst.helper, 0, sizeof(dst.helper));
	dst.started = false;
	mon_start(&src.helper);
	src.started = true;
	src.pid = dst.pid = -1;
}

/* The helper first: a QEMU killed under it would have it report to a broker that is leaving. */
static void side_down(struct side *sd)
{
	if (sd->started && !sd->helper.exited) {
		ferry_helper_shutdown(&sd->helper);
		mon_wait_exit(&sd->helper);
	}
	if (sd->started)
		ferry_helper_release(&sd->helper);
	sd->started = false;
	if (sd->pid > 0) {
		kill(sd->pid, SIGKILL);
		waitpid(sd->pid, NULL, 0);
		sd->pid = -1;
	}
}

/* The migration socket, "DIR/migrate.sock" in the directory main() made. */
static void socket_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/migrate.sock", tmpdir);
}

static void teardown(void)
{
	char path[128];

	side_down(&src);
	side_down(&dst);
	socket_path(path, sizeof(path));
	unlink(path);
	ck_assert_int_eq(mon_count_fds(), fds_before);
	mon_teardown();
}

/* Start QEMU for @sd and attach its monitor. */
static void attach_side(struct side *sd, enum role role)
{
	struct mon_rec r;
	const char *version;
	char why[128];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	sd->pid = spawn_qemu(sv[0], role);
	close(sv[0]);
	mon_attach_async(&sd->helper, sv[1], 10000, &r);
	close(sv[1]);
	mon_wait(&r.done);
	ck_assert_msg(r.got && r.type == FERRY_MSG_MON_ATTACHED, "%s attach: type %u, %s %s",
		      sd->name, r.type, sd->helper.exit_desc, sd->helper.error);
	ck_assert_msg(ferry_mon_get_attached(r.payload, r.len, &version, why, sizeof(why)) == 0,
		      "%s", why);
	printf("%s: QEMU %s attached\n", sd->name, version);
}

static void attach_real_qemu(void)
{
	attach_side(&src, ROLE_PLAIN);
}

/*
 * Run @c on @sd; the reply must be MON_RESULT. Its strings point into
 * sd->last, so they hold until the next command on that side.
 */
static void side_run(struct side *sd, const struct ferry_mon_command *c,
		     struct ferry_mon_result *res)
{
	struct mon_rec *r = &sd->last;
	const char *text;

	mon_send_async(&sd->helper, c, r);
	mon_wait(&r->done);
	if (r->got && r->type == FERRY_MSG_ERROR) {
		mon_expect_error(r, &text);
		ck_abort_msg("%s: %s refused: %s", sd->name, ferry_mon_cmd_name(c->cmd), text);
	}
	mon_expect_result(r, res);
	ck_assert_uint_eq(res->cmd, c->cmd);
}

static void side_cmd(struct side *sd, uint32_t cmd, struct ferry_mon_result *res)
{
	struct ferry_mon_command c = { .cmd = cmd, .timeout_ms = 5000 };

	side_run(sd, &c, res);
}

static void side_status(struct side *sd, const char *status, uint32_t running)
{
	struct ferry_mon_result res;

	side_cmd(sd, FERRY_MON_QUERY_STATUS, &res);
	ck_assert_msg(strcmp(res.ret.status.status, status) == 0, "%s is %s, expected %s",
		      sd->name, res.ret.status.status, status);
	ck_assert_uint_eq(res.ret.status.running, running);
}

static void expect_status(const char *status, uint32_t running)
{
	side_status(&src, status, running);
}

/* Run the loop until @sd's monitor has forwarded @n events. */
static void side_wait_events(struct side *sd, unsigned n)
{
	uint64_t end = ferry_now_ns() + MON_TIMEOUT_MS * 1000000ull;

	while (sd->events->n < n) {
		ck_assert_msg(ferry_now_ns() < end, "%s: %u events, expected %u", sd->name,
			      sd->events->n, n);
		ferry_loop_run_once(&mon_loop, 50);
	}
}

/* @cmd, then the event QEMU sends for it. */
static void side_with_event(struct side *sd, uint32_t cmd, uint32_t event)
{
	struct ferry_mon_result res;
	struct ferry_mon_event ev;
	unsigned before = sd->events->n;

	side_cmd(sd, cmd, &res);
	side_wait_events(sd, before + 1);
	mon_expect_event(&sd->events->ev[before], &ev);
	ck_assert_msg(ev.type == event, "%s: %s: event %s, expected %s", sd->name,
		      ferry_mon_cmd_name(cmd), ferry_mon_event_name(ev.type),
		      ferry_mon_event_name(event));
	ck_assert_uint_gt(ev.timestamp_us, 0);
}

static void run_with_event(uint32_t cmd, uint32_t event)
{
	side_with_event(&src, cmd, event);
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
	mon_command_async(&src.helper, FERRY_MON_QUIT, 5000, &r);
	mon_wait(&r.done);
	ck_assert_int_eq(r.type, FERRY_MSG_MON_RESULT);
	mon_wait_exit(&src.helper);
	ck_assert_msg(strstr(src.helper.exit_desc, "exited with status 0"), "%s",
		      src.helper.exit_desc);
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
	ck_assert_int_eq(waitpid(src.pid, &status, 0), src.pid);
	src.pid = -1;
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
	ck_assert_int_eq(kill(src.pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(src.pid, NULL, 0), src.pid);
	src.pid = -1;
	mon_wait_exit(&src.helper);
	ck_assert_msg(strstr(src.helper.exit_desc, "exited with status 0"), "%s",
		      src.helper.exit_desc);
	ck_assert_uint_ge(mon_events.n, 1);
	mon_expect_closed(&mon_events.ev[mon_events.n - 1], &c);
	ck_assert_uint_eq(c.kind, FERRY_MON_CLOSED_EOF);
	/* Reset when QEMU died with bytes of ours unread, a plain EOF otherwise. */
	ck_assert_msg(strncmp(c.reason, "QEMU closed the monitor", 23) == 0, "%s", c.reason);
	ferry_wbuf_init(&w);
	ck_assert_int_eq(ferry_helper_call(&src.helper, FERRY_MSG_MON_COMMAND, &w, NULL, 0, NULL, &r),
			 -ECHILD);
}
END_TEST

/* --- migration ----------------------------------------------------------- */

/* Both QEMUs, both monitors; the destination waits on a unix socket. */
static void start_pair(char *uri, size_t urilen)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES };
	struct ferry_mon_result res;
	char path[128];

	socket_path(path, sizeof(path));
	/* A failed case ends its process at once (_exit): it may have left one. */
	unlink(path);
	snprintf(uri, urilen, "unix:%s", path);
	mon_start(&dst.helper);
	dst.started = true;
	/* Its events apart from the source's. */
	dst.helper.event_data = &dst_events;
	attach_side(&src, ROLE_SOURCE);
	attach_side(&dst, ROLE_DEST);
	side_status(&dst, "inmigrate", 0);
	/* MIGRATION events on both sides. */
	c.args.caps.count = 1;
	c.args.caps.cap[0] = (struct ferry_mon_mig_cap){ "events", 1 };
	side_run(&src, &c, &res);
	side_run(&dst, &c, &res);
	c = (struct ferry_mon_command){ .cmd = FERRY_MON_MIGRATE_INCOMING };
	c.args.migrate.uri = uri;
	side_run(&dst, &c, &res);
	/* A source that runs, as it would: the destination then ends up paused. */
	side_with_event(&src, FERRY_MON_CONT, FERRY_MON_EV_RESUME);
}

static void set_bandwidth(uint64_t bytes_per_s)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_PARAMETERS };
	struct ferry_mon_result res;

	c.args.params = (struct ferry_mon_mig_params){
		.present = FERRY_MON_PARAM_MAX_BANDWIDTH | FERRY_MON_PARAM_DOWNTIME_LIMIT,
		.max_bandwidth = bytes_per_s, .downtime_limit = 300,
	};
	side_run(&src, &c, &res);
}

static void migrate(struct side *sd, const char *uri)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE };
	struct ferry_mon_result res;

	c.args.migrate.uri = uri;
	side_run(sd, &c, &res);
}

/*
 * Ask query-migrate until @done says so, every 20 ms for at most @ms.
 * Return how many answers it took.
 */
static unsigned poll_migration(struct side *sd, bool (*done)(const struct ferry_mon_migration *),
			       unsigned ms, struct ferry_mon_result *res)
{
	uint64_t end = ferry_now_ns() + ms * 1000000ull;
	unsigned n = 0;

	for (;;) {
		side_cmd(sd, FERRY_MON_QUERY_MIGRATE, res);
		n++;
		if (done(&res->ret.migration))
			return n;
		ck_assert_msg(strcmp(res->ret.migration.status, "failed") != 0,
			      "%s: migration failed: %s", sd->name, res->ret.migration.error_desc);
		ck_assert_msg(ferry_now_ns() < end, "%s: migration still %s after %u ms", sd->name,
			      res->ret.migration.status, ms);
		ferry_loop_run_once(&mon_loop, 20);
	}
}

static bool is_completed(const struct ferry_mon_migration *m)
{
	return strcmp(m->status, "completed") == 0;
}

static unsigned early_completed;

/* "completed" is not enough: QEMU 7.2 fills in the times a moment later. */
static bool completed_with_times(const struct ferry_mon_migration *m)
{
	if (is_completed(m) && !(m->present & FERRY_MON_MIG_TOTAL_TIME))
		early_completed++;
	return is_completed(m) && (m->present & FERRY_MON_MIG_TOTAL_TIME);
}

static bool is_active(const struct ferry_mon_migration *m)
{
	return strcmp(m->status, "active") == 0;
}

static bool is_cancelled(const struct ferry_mon_migration *m)
{
	return strcmp(m->status, "cancelled") == 0;
}

static bool is_pre_switchover(const struct ferry_mon_migration *m)
{
	return strcmp(m->status, "pre-switchover") == 0;
}

/* The destination leaves "inmigrate" once it has loaded everything. */
static void wait_dest_status(const char *status, uint32_t running)
{
	uint64_t end = ferry_now_ns() + MON_TIMEOUT_MS * 1000000ull;
	struct ferry_mon_result res;

	for (;;) {
		side_cmd(&dst, FERRY_MON_QUERY_STATUS, &res);
		if (strcmp(res.ret.status.status, "inmigrate") != 0)
			break;
		ck_assert_msg(ferry_now_ns() < end, "destination still inmigrate");
		ferry_loop_run_once(&mon_loop, 20);
	}
	ck_assert_str_eq(res.ret.status.status, status);
	ck_assert_uint_eq(res.ret.status.running, running);
}

/* Some event of @type with MIGRATION status @status (NULL: any) was forwarded. */
static bool saw_event(const struct side *sd, uint32_t type, const char *status)
{
	struct ferry_mon_event ev;

	for (unsigned i = 0; i < sd->events->n; i++) {
		if (sd->events->ev[i].type != FERRY_MSG_MON_EVENT)
			continue;
		mon_expect_event(&sd->events->ev[i], &ev);
		if (ev.type == type && (!status || strcmp(ev.u.migration.status, status) == 0))
			return true;
	}
	return false;
}

/* The source's side once it is over: stopped for good, and it said so. */
static void check_source_done(const struct ferry_mon_migration *m)
{
	ck_assert_uint_gt(m->total_time, 0);
	ck_assert(m->present & FERRY_MON_MIG_DOWNTIME);
	ck_assert(m->present & FERRY_MON_MIG_RAM_TOTAL);
	ck_assert_uint_ge(m->ram_total, 64ull << 20);
	ck_assert_uint_eq(m->ram_page_size, 4096);
	ck_assert_str_eq(m->error_desc, "");
	printf("migrated %" PRIu64 " bytes in %" PRIu64 " ms, downtime %" PRIu64 " ms, "
	       "%" PRIu64 ".%03" PRIu64 " Mb/s; %u early 'completed'\n", m->ram_transferred,
	       m->total_time, m->downtime, m->ram_mbps_milli / 1000, m->ram_mbps_milli % 1000,
	       early_completed);
	side_status(&src, "postmigrate", 0);
	ck_assert(saw_event(&src, FERRY_MON_EV_STOP, NULL));
	ck_assert(saw_event(&src, FERRY_MON_EV_MIGRATION, "setup"));
	ck_assert(saw_event(&src, FERRY_MON_EV_MIGRATION, "completed"));
}

/* The destination's side: paused (-S, and the source was running), then running. */
static void check_dest_done(void)
{
	struct ferry_mon_result res;

	poll_migration(&dst, is_completed, 10000, &res);
	ck_assert(saw_event(&dst, FERRY_MON_EV_MIGRATION, "completed"));
	wait_dest_status("paused", 0);
	side_with_event(&dst, FERRY_MON_CONT, FERRY_MON_EV_RESUME);
	side_status(&dst, "running", 1);
}

START_TEST(real_migration)
{
	struct ferry_mon_result res;
	char uri[128];

	start_pair(uri, sizeof(uri));
	/* QEMU 7.2 starts at 128 MiB/s; a broker raises it. */
	set_bandwidth(10ull << 30);
	migrate(&src, uri);
	early_completed = 0;
	poll_migration(&src, completed_with_times, 30000, &res);
	check_source_done(&res.ret.migration);
	check_dest_done();
}
END_TEST

/* pause-before-switchover: the source waits in "pre-switchover" for migrate-continue. */
START_TEST(real_migration_continue)
{
	struct ferry_mon_command c = { .cmd = FERRY_MON_MIGRATE_SET_CAPABILITIES };
	struct ferry_mon_result res;
	char uri[128];

	start_pair(uri, sizeof(uri));
	c.args.caps.count = 1;
	c.args.caps.cap[0] = (struct ferry_mon_mig_cap){ "pause-before-switchover", 1 };
	side_run(&src, &c, &res);
	set_bandwidth(10ull << 30);
	migrate(&src, uri);
	poll_migration(&src, is_pre_switchover, 30000, &res);
	side_status(&src, "finish-migrate", 0);
	c = (struct ferry_mon_command){ .cmd = FERRY_MON_MIGRATE_CONTINUE };
	c.args.cont.state = "pre-switchover";
	side_run(&src, &c, &res);
	early_completed = 0;
	poll_migration(&src, completed_with_times, 30000, &res);
	check_source_done(&res.ret.migration);
	check_dest_done();
}
END_TEST

START_TEST(real_migration_cancel)
{
	struct ferry_mon_closed closed;
	struct ferry_mon_result res;
	uint64_t end;
	char uri[128];
	int status;

	start_pair(uri, sizeof(uri));
	set_bandwidth(32 << 10);
	migrate(&src, uri);
	poll_migration(&src, is_active, 10000, &res);
	ck_assert(res.ret.migration.present & FERRY_MON_MIG_RAM_REMAINING);
	ck_assert_uint_gt(res.ret.migration.ram_remaining, 0);
	side_cmd(&src, FERRY_MON_MIGRATE_CANCEL, &res);
	poll_migration(&src, is_cancelled, 10000, &res);
	ck_assert(saw_event(&src, FERRY_MON_EV_MIGRATION, "cancelled"));
	/* The source carries on as it was. */
	side_status(&src, "running", 1);

	/* QEMU 7.2's destination gives up on the stream and exits (status 1). */
	end = ferry_now_ns() + 10000 * 1000000ull;
	while (waitpid(dst.pid, &status, WNOHANG) == 0) {
		ck_assert_msg(ferry_now_ns() < end, "destination QEMU still running after cancel");
		ferry_loop_run_once(&mon_loop, 20);
	}
	dst.pid = -1;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		      "destination QEMU status 0x%x", status);
	mon_wait_exit(&dst.helper);
	ck_assert_uint_ge(dst_events.n, 1);
	mon_expect_closed(&dst_events.ev[dst_events.n - 1], &closed);
	ck_assert_uint_eq(closed.kind, FERRY_MON_CLOSED_EOF);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor-qemu");
	TCase *tc = tcase_create("real-qemu");
	SRunner *sr;
	char path[128];
	int failed;

	if (!qemu_installed()) {
		printf("SKIP: %s is not in PATH; the real-QEMU monitor test needs it\n", QEMU);
		return EXIT_SKIP;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-migrate-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, real_qemu_lifecycle);
	tcase_add_test(tc, real_qemu_killed);
	tcase_add_test(tc, real_migration);
	tcase_add_test(tc, real_migration_continue);
	tcase_add_test(tc, real_migration_cancel);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	socket_path(path, sizeof(path));
	unlink(path);
	rmdir(tmpdir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

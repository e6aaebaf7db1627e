/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox tests: the real helper executables, under their real profiles,
 * spawned and supervised by the broker's own code.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker/helper.h"
#include "codec.h"
#include "util.h"

#define TIMEOUT_MS 5000

static struct ferry_loop loop;
static struct ferry_helper_opts opts;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void setup(void)
{
	char err[256];

	ck_assert_int_eq(ferry_loop_init(&loop), 0);
	ck_assert_msg(ferry_helper_opts_default(&opts, NULL, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	ferry_loop_fini(&loop);
}

static void start(struct ferry_helper *h, enum ferry_helper_id id)
{
	char err[512];

	ck_assert_msg(ferry_helper_start(&loop, id, &opts, h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_loop_wait(&loop, &h->ready, TIMEOUT_MS) == 0,
		      "%s gave no HELLO: %s %s", h->info->name, h->exit_desc, h->error);
}

static void wait_exit(struct ferry_helper *h)
{
	ck_assert_msg(ferry_loop_wait(&loop, &h->exited, TIMEOUT_MS) == 0,
		      "%s did not exit", h->info->name);
}

struct reply {
	bool done;
	bool got;
	uint16_t type;
	uint8_t payload[64];
	uint32_t len;
};

static void on_reply(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	struct reply *r = data;

	r->done = true;
	r->got = m != NULL;
	if (m) {
		r->type = m->hdr.type;
		r->len = m->len < sizeof(r->payload) ? m->len : sizeof(r->payload);
		memcpy(r->payload, m->payload, r->len);
	}
}

static struct reply call(struct ferry_helper *h, uint16_t type, struct ferry_wbuf *w,
			 const int *fds, unsigned nfds)
{
	struct reply r = { 0 };

	ck_assert_int_eq(ferry_helper_call(h, type, w, fds, nfds, on_reply, &r), 0);
	ck_assert_int_eq(ferry_loop_wait(&loop, &r.done, TIMEOUT_MS), 0);
	return r;
}

static struct reply try_syscall(struct ferry_helper *h, const char *name, long nr)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, (uint32_t)nr);
	(void)name;
	return call(h, FERRY_MSG_TEST_SYSCALL, &w, NULL, 0);
}

/* Every helper: hello, ping, an fd probed after it crossed the channel. */
START_TEST(helper_answers)
{
	struct ferry_helper h;
	struct ferry_wbuf w;
	struct reply r;
	uint64_t token;
	uint32_t mode;
	int p[2];
	int before = count_fds();

	start(&h, (enum ferry_helper_id)_i);
	ck_assert_str_eq(h.chan.peer_hello.name, h.info->name);
	ck_assert_int_eq(h.chan.peer_hello.version, FERRY_WIRE_VERSION);
	ck_assert_uint_gt(h.chan.peer_hello.filter_syscalls, 5);

	ferry_wbuf_init(&w);
	ferry_put_u64(&w, 0xfe77f00du);
	r = call(&h, FERRY_MSG_PING, &w, NULL, 0);
	ck_assert(r.got);
	ck_assert_int_eq(r.type, FERRY_MSG_PONG);
	memcpy(&token, r.payload, sizeof(token));
	ck_assert_uint_eq(token, 0xfe77f00du);

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	r = call(&h, FERRY_MSG_FD_PROBE, NULL, &p[1], 1);
	ck_assert(r.got);
	ck_assert_int_eq(r.type, FERRY_MSG_FD_INFO);
	memcpy(&mode, r.payload, sizeof(mode));
	ck_assert_uint_eq(mode, S_IFIFO);
	memcpy(&mode, r.payload + 4, sizeof(mode));
	ck_assert_uint_eq(mode & O_ACCMODE, O_WRONLY);
	ck_assert(mode & O_NONBLOCK);
	close(p[0]);
	close(p[1]);

	ferry_helper_shutdown(&h);
	wait_exit(&h);
	ck_assert_msg(strstr(h.exit_desc, "exited with status 0"), "%s", h.exit_desc);
	ferry_helper_release(&h);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

#if FERRY_TEST_HOOKS
/* A syscall on the list runs; one off it kills the helper, and the broker carries on. */
START_TEST(forbidden_syscall_kills)
{
	struct ferry_helper h, next;
	struct ferry_wbuf w;
	struct reply r;
	int64_t ret;
	char want[64];

	start(&h, (enum ferry_helper_id)_i);
	r = try_syscall(&h, "brk", SYS_brk);
	ck_assert(r.got);
	ck_assert_int_eq(r.type, FERRY_MSG_SYSCALL_RESULT);
	memcpy(&ret, r.payload, sizeof(ret));
	ck_assert_int_gt(ret, 0);

	r = try_syscall(&h, "ptrace", SYS_ptrace);
	ck_assert(!r.got);
	wait_exit(&h);
	snprintf(want, sizeof(want), "%s (pid %d) killed by seccomp (SIGSYS)",
		 h.info->name, (int)h.child.pid);
	ck_assert_str_eq(h.exit_desc, want);
	ferry_helper_release(&h);

	/* The broker's side keeps working: a fresh helper answers. */
	start(&next, (enum ferry_helper_id)((_i + 1) % FERRY_HELPER_COUNT));
	ferry_wbuf_init(&w);
	ferry_put_u64(&w, 7);
	r = call(&next, FERRY_MSG_PING, &w, NULL, 0);
	ck_assert_int_eq(r.type, FERRY_MSG_PONG);
	ferry_helper_shutdown(&next);
	wait_exit(&next);
	ferry_helper_release(&next);
}
END_TEST

/* Syscalls a compromised helper would want; each must kill it. */
static const struct { const char *name; long nr; } forbidden[] = {
	{ "openat", SYS_openat }, { "socket", SYS_socket }, { "execve", SYS_execve },
	{ "clone", SYS_clone }, { "unshare", SYS_unshare }, { "setuid", SYS_setuid },
	{ "mount", SYS_mount }, { "kill", SYS_kill }, { "connect", SYS_connect },
};

START_TEST(forbidden_list)
{
	struct ferry_helper h;
	struct reply r;

	start(&h, FERRY_HELPER_TUNNEL);
	r = try_syscall(&h, forbidden[_i].name, forbidden[_i].nr);
	ck_assert_msg(!r.got, "%s was allowed", forbidden[_i].name);
	wait_exit(&h);
	ck_assert_msg(strstr(h.exit_desc, "killed by seccomp (SIGSYS)"), "%s: %s",
		      forbidden[_i].name, h.exit_desc);
	ferry_helper_release(&h);
}
END_TEST
#endif

/* A helper that lies is killed, and the error names the lie. */
static const struct { const char *mode; const char *error; } lies[] = {
	{ "garbage", "short packet: 5 bytes" },
	{ "wrongname", "HELLO names another helper" },
	{ "badreply", "reply to request id 999 that was never sent" },
	{ "oldversion", "peer speaks wire version 0, this side speaks 1" },
	{ "oversized", "payload length 65537 exceeds" },
};

START_TEST(lying_helper)
{
	struct ferry_helper_opts liar_opts = opts;
	struct ferry_helper h;
	char dir[] = "/tmp/ferry-liar-XXXXXX";
	char mdir[256], link[300];
	int before = count_fds();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(mdir, sizeof(mdir), "%s/case-%s", dir, lies[_i].mode);
	ck_assert_int_eq(mkdir(mdir, 0755), 0);
	snprintf(link, sizeof(link), "%s/ferry-monitor", mdir);
	ck_assert_int_eq(symlink(FERRY_BUILD_DIR "/tests/sandbox/liar", link), 0);
	snprintf(liar_opts.dir, sizeof(liar_opts.dir), "%s", mdir);

	{
		char err[512];

		ck_assert_msg(ferry_helper_start(&loop, FERRY_HELPER_MONITOR, &liar_opts, &h,
						 err, sizeof(err)) == 0, "%s", err);
	}
	wait_exit(&h);
	ck_assert_msg(strstr(h.error, lies[_i].error), "error was '%s'", h.error);
	ck_assert_msg(strstr(h.exit_desc, "killed by signal 9 (SIGKILL)"), "%s", h.exit_desc);
	/* Only the liar whose HELLO was honest got that far. */
	ck_assert_int_eq(h.ready, strcmp(lies[_i].mode, "badreply") == 0);
	ferry_helper_release(&h);
	unlink(link);
	rmdir(mdir);
	rmdir(dir);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(exit_status_reported)
{
	struct ferry_helper_opts liar_opts = opts;
	struct ferry_helper h;
	char dir[] = "/tmp/ferry-liar-XXXXXX";
	char mdir[256], link[300], err[512], want[96];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(mdir, sizeof(mdir), "%s/case-exit3", dir);
	ck_assert_int_eq(mkdir(mdir, 0755), 0);
	snprintf(link, sizeof(link), "%s/ferry-monitor", mdir);
	ck_assert_int_eq(symlink(FERRY_BUILD_DIR "/tests/sandbox/liar", link), 0);
	snprintf(liar_opts.dir, sizeof(liar_opts.dir), "%s", mdir);
	ck_assert_msg(ferry_helper_start(&loop, FERRY_HELPER_MONITOR, &liar_opts, &h,
					 err, sizeof(err)) == 0, "%s", err);
	wait_exit(&h);
	snprintf(want, sizeof(want), "ferry-monitor (pid %d) exited with status 3", (int)h.child.pid);
	ck_assert_str_eq(h.exit_desc, want);
	ferry_helper_release(&h);
	unlink(link);
	rmdir(mdir);
	rmdir(dir);
}
END_TEST

/* A helper binary others could have replaced is never run. */
START_TEST(writable_binary_refused)
{
	struct ferry_helper_opts bad = opts;
	struct ferry_helper h;
	char dir[] = "/tmp/ferry-bin-XXXXXX";
	char path[300], err[512];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ferry-monitor", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0777);
	ck_assert_int_ge(fd, 0);
	close(fd);
	chmod(path, 0777);
	snprintf(bad.dir, sizeof(bad.dir), "%s", dir);
	ck_assert_int_eq(ferry_helper_start(&loop, FERRY_HELPER_MONITOR, &bad, &h, err, sizeof(err)),
			 -EPERM);
	ck_assert_msg(strstr(err, "writable by others"), "%s", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("helpers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, helper_answers, 0, FERRY_HELPER_COUNT);
#if FERRY_TEST_HOOKS
	tcase_add_loop_test(tc, forbidden_syscall_kills, 0, FERRY_HELPER_COUNT);
	tcase_add_loop_test(tc, forbidden_list, 0, (int)ARRAY_SIZE(forbidden));
#endif
	tcase_add_loop_test(tc, lying_helper, 0, (int)ARRAY_SIZE(lies));
	tcase_add_test(tc, exit_status_reported);
	tcase_add_test(tc, writable_binary_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sandbox_suite());
	int failed;

#if !FERRY_TEST_HOOKS
	printf("NOTE: built with -Dtest_hooks=false: the forbidden-syscall tests are not compiled\n");
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-compress.c - the real ferry-compress, under its real sandbox,
 * spawned and spoken to by the broker's own code (compress-harness.c). A
 * writer thread feeds "from" with synthetic guest memory
 * (compress-data.c), a reader thread checks every byte that comes out;
 * save files are unlinked temporary files. gzip itself, spawned with
 * posix_spawn, checks that the deflate output is standard gzip.
 *
 * Cases: round trips of zero, 30 %-random and random memory through
 * deflate then inflate, with their size bounds; a compressed tunnel (two
 * helpers chained through a pipe); an empty stream; the request refusals
 * (flags, ranges, fd types and access modes, a second job);
 * cancellation; the broker hanging up; worker threads under the NPROC
 * limit; the syscall filter. The inflate refusals are in
 * test-compress-inflate.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compress-harness.h"
#include "util.h"

extern char **environ;

/* --- deflate and inflate jobs --------------------------------------------- */

/* Deflate @n bytes of @kind from a pipe into a new save file; return the file at offset 0. */
static int deflate_to_file(enum cdata_kind kind, uint64_t n, const struct ferry_compress_start *st)
{
	struct cz_flow w;
	int p[2], file = cz_temp_file();

	cz_pipe(p);
	cz_flow_start(&w, cz_writer, p[1], kind, 7, n);
	cz_start_job(&cz_jobs[0], st, p[0], file);
	close(p[0]);
	cz_wait_done(&cz_jobs[0], DATA_TIMEOUT_MS);
	cz_flow_join(&w);
	ck_assert_int_eq(w.err, 0);
	cz_expect_done(&cz_jobs[0], 0, n, cz_file_size(file), "end of stream");
	cz_rewind(file);
	return file;
}

/* gzip itself decodes the save file, byte for byte. */
static void gzip_decodes(int file, enum cdata_kind kind, uint64_t n)
{
	char *const argv[] = { "gzip", "-dc", NULL };
	posix_spawn_file_actions_t fa;
	struct cz_flow r;
	int p[2], status;
	pid_t pid;

	cz_pipe(p);
	cz_flow_start(&r, cz_reader, p[0], kind, 7, 0);
	ck_assert_int_eq(posix_spawn_file_actions_init(&fa), 0);
	ck_assert_int_eq(posix_spawn_file_actions_adddup2(&fa, file, 0), 0);
	ck_assert_int_eq(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
	ck_assert_int_eq(posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	cz_flow_join(&r);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gzip -dc: status 0x%x", status);
	cz_expect_read_all(&r, n);
	cz_rewind(file);
}

/* --- round trips ------------------------------------------------------------ */

/*
 * 64 MiB of each kind: deflated from a pipe into a save file, decoded by
 * gzip, inflated into a socket. Random memory costs at most 0.2 % more
 * (stored), zero pages shrink at least 100 times, 30 % random pages to at
 * most 35 %.
 */
START_TEST(round_trip)
{
	const enum cdata_kind kind = (enum cdata_kind)_i;
	const uint64_t n = 64ull * MIB;
	uint64_t size;
	int file = deflate_to_file(kind, n, &cz_deflate);

	size = cz_file_size(file);
	if (kind == CDATA_RANDOM)
		ck_assert_msg(size <= n + n / 500, "random: %" PRIu64 " bytes out of %" PRIu64, size, n);
	else if (kind == CDATA_ZERO)
		ck_assert_msg(size * 100 <= n, "zero: %" PRIu64 " bytes out of %" PRIu64, size, n);
	else
		ck_assert_msg(size * 100 <= n * 35, "30%% random: %" PRIu64 " bytes out of %" PRIu64,
			      size, n);
	gzip_decodes(file, kind, n);
	cz_inflate_and_check(&cz_jobs[0], file, kind, n);
	close(file);
}
END_TEST

/*
 * A compressed tunnel: socket -> deflate (one thread, 64 KiB blocks) ->
 * pipe -> inflate -> socket, two helpers at once; a short last block.
 */
START_TEST(chained)
{
	const struct ferry_compress_start st = {
		.mode = FERRY_COMPRESS_DEFLATE, .block_size = FERRY_COMPRESS_BLOCK_MIN, .threads = 1,
	};
	const uint64_t n = 24ull * MIB + 1234;
	struct cz_flow w, r;
	int a[2], p[2], b[2];

	cz_start_helper(&cz_jobs[1]);
	cz_socketpair(a);
	cz_pipe(p);
	cz_socketpair(b);
	cz_flow_start(&w, cz_writer, a[0], CDATA_MIXED, 7, n);
	cz_flow_start(&r, cz_reader, b[1], CDATA_MIXED, 7, 0);
	cz_start_job(&cz_jobs[0], &st, a[1], p[1]);
	cz_start_job(&cz_jobs[1], &cz_inflate, p[0], b[0]);
	close(a[1]);
	close(p[0]);
	close(p[1]);
	close(b[0]);
	cz_wait_done(&cz_jobs[0], DATA_TIMEOUT_MS);
	cz_wait_done(&cz_jobs[1], DATA_TIMEOUT_MS);
	cz_flow_join(&w);
	cz_flow_join(&r);
	cz_expect_read_all(&r, n);
	cz_expect_done(&cz_jobs[0], 0, n, cz_jobs[1].end.bytes_in, "end of stream");
	cz_expect_done(&cz_jobs[1], 0, cz_jobs[0].end.bytes_out, n, "end of stream");
}
END_TEST

/* Nothing in: one empty member out, which gzip and the inflate take as nothing. */
START_TEST(empty_stream)
{
	int file = deflate_to_file(CDATA_ZERO, 0, &cz_deflate);

	ck_assert_uint_eq(cz_file_size(file), 20);
	gzip_decodes(file, CDATA_ZERO, 0);
	cz_inflate_and_check(&cz_jobs[0], file, CDATA_ZERO, 0);
	close(file);
}
END_TEST

/* --- request refusals ------------------------------------------------------- */

static const struct {
	struct ferry_compress_start st;
	int32_t err;
	const char *error;
} bad_starts[] = {
	{ { 1, 0x1, 0, 0, 0 }, -EINVAL, "COMPRESS_START: unknown flags 0x1" },
	{ { 2, 0x80000000u, 0, 0, 0 }, -EINVAL, "COMPRESS_START: unknown flags 0x80000000" },
	{ { 3, 0, 0, 0, 0 }, -EINVAL, "COMPRESS_START: unknown mode 3 (1 deflate, 2 inflate)" },
	{ { 1, 0, 4096, 0, 0 }, -EINVAL,
	  "COMPRESS_START: block size 4096 is not 0 or 65536-16777216 bytes" },
	{ { 1, 0, 0, 9, 0 }, -EINVAL, "COMPRESS_START: 9 threads, more than 8" },
	{ { 2, 0, 0, 2, 0 }, -EINVAL, "COMPRESS_START: inflate takes no block size or threads" },
	{ { 1, 0, 0, 0, 100 }, -EINVAL, "COMPRESS_START: deflate takes no output limit" },
};

/* Refused before anything runs; the helper lives on and takes a good job after. */
START_TEST(start_refused)
{
	struct mon_rec r;
	int p[2], q[2];

	cz_pipe(p);
	cz_pipe(q);
	cz_start_raw(&cz_jobs[0], &bad_starts[_i].st, p[0], q[1], &r);
	cz_expect_error(&r, bad_starts[_i].err, bad_starts[_i].error);
	ck_assert(!cz_jobs[0].done);
	close(p[1]);
	cz_start_job(&cz_jobs[0], &cz_deflate, p[0], q[1]);
	close(p[0]);
	close(q[1]);
	cz_wait_done(&cz_jobs[0], MON_TIMEOUT_MS);
	cz_expect_done(&cz_jobs[0], 0, 0, 20, "end of stream");
	close(q[0]);
}
END_TEST

/* Regular files, pipes and sockets only, each open the way round it is used. */
START_TEST(fd_types_refused)
{
	int dev = open("/dev/null", O_RDWR | O_CLOEXEC), dir = open("/", O_RDONLY | O_CLOEXEC);
	int file = cz_temp_file(), p[2];
	struct mon_rec r;

	cz_pipe(p);
	cz_start_raw(&cz_jobs[0], &cz_deflate, dev, p[1], &r);
	cz_expect_error(&r, -EINVAL, "COMPRESS_START: fd 'from' is a character device (file type "
		     "020000), not a regular file, a pipe or a socket");
	cz_start_raw(&cz_jobs[0], &cz_inflate, p[0], dir, &r);
	cz_expect_error(&r, -EINVAL, "COMPRESS_START: fd 'to' is a directory (file type 040000), not "
		     "a regular file, a pipe or a socket");
	cz_start_raw(&cz_jobs[0], &cz_deflate, p[1], file, &r);
	cz_expect_error(&r, -EBADF, "COMPRESS_START: fd 'from' is open for writing only");
	cz_start_raw(&cz_jobs[0], &cz_deflate, file, p[0], &r);
	cz_expect_error(&r, -EBADF, "COMPRESS_START: fd 'to' is open for reading only");
	ck_assert(!cz_jobs[0].done);
	close(dev);
	close(dir);
	close(file);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* One job at a time; CANCEL ends it (DONE first, then the reply) and a new one may start. */
START_TEST(second_job_refused)
{
	struct mon_rec r;
	int p[2], q[2], p2[2], q2[2];

	cz_pipe(p);
	cz_pipe(q);
	cz_start_job(&cz_jobs[0], &cz_deflate, p[0], q[1]);
	cz_pipe(p2);
	cz_pipe(q2);
	cz_start_raw(&cz_jobs[0], &cz_inflate, p2[0], q2[1], &r);
	cz_expect_error(&r, -EBUSY, "COMPRESS_START: a job is already running");
	cz_call(&cz_jobs[0], FERRY_MSG_COMPRESS_CANCEL, NULL, NULL, 0, &r);
	cz_expect_ok(&r);
	ck_assert(cz_jobs[0].done);
	cz_expect_done(&cz_jobs[0], -ECANCELED, 0, 0, "cancelled");
	ck_assert_uint_eq(cz_jobs[0].end.error_offset, FERRY_COMPRESS_NO_OFFSET);
	/* A cancel with no job is answered too, and reports nothing. */
	cz_jobs[0].done = false;
	cz_call(&cz_jobs[0], FERRY_MSG_COMPRESS_CANCEL, NULL, NULL, 0, &r);
	cz_expect_ok(&r);
	ck_assert(!cz_jobs[0].done);
	close(p2[1]);
	cz_start_job(&cz_jobs[0], &cz_inflate, p2[0], q2[1]);
	cz_wait_done(&cz_jobs[0], MON_TIMEOUT_MS);
	cz_expect_done(&cz_jobs[0], -EBADMSG, 0, 0,
		       "inflate: stream truncated at input offset 0: no gzip member");
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
		close(p2[i]);
		close(q2[i]);
	}
}
END_TEST

/* --- ends that are not EOF ---------------------------------------------------- */

/*
 * A deflate job that never ends by itself: a writer without a limit, a
 * reader that counts. @sock_in: socket in, pipe out; else pipe in, socket out.
 */
static void endless_deflate(struct cz_flow *w, struct cz_flow *r, bool sock_in)
{
	int a[2], b[2];

	if (sock_in) {
		cz_socketpair(a);
		cz_pipe(b);
	} else {
		cz_pipe(a);
		cz_socketpair(b);
	}
	/* Pipes: [0] reads, [1] writes; either end of a socketpair does both. */
	cz_flow_start(w, cz_writer, a[1], CDATA_RANDOM, 3, UINT64_MAX);
	cz_flow_start(r, cz_reader, b[0], CDATA_KINDS, 3, 0);
	cz_start_job(&cz_jobs[0], &cz_deflate, a[0], b[1]);
	close(a[0]);
	close(b[1]);
}

/*
 * CANCEL mid-stream, after progress reports: the writer sees EPIPE (its
 * socket is shut down, though the test keeps no other copy), the reader
 * EOF after exactly what the helper counted.
 */
START_TEST(cancel_mid_stream)
{
	struct cz_flow w, r;
	struct mon_rec rec;

	endless_deflate(&w, &r, true);
	while (cz_jobs[0].progress < 2 || cz_jobs[0].last_out < 8 * MIB) {
		ck_assert(!cz_jobs[0].done);
		ferry_loop_run_once(&mon_loop, 50);
	}
	cz_call(&cz_jobs[0], FERRY_MSG_COMPRESS_CANCEL, NULL, NULL, 0, &rec);
	cz_expect_ok(&rec);
	ck_assert(cz_jobs[0].done);
	ck_assert_int_eq(cz_jobs[0].end.status, -ECANCELED);
	ck_assert_str_eq(cz_jobs[0].msg, "cancelled");
	cz_flow_join(&w);
	cz_flow_join(&r);
	ck_assert_int_eq(w.err, EPIPE);
	ck_assert(r.eof);
	ck_assert_uint_eq(atomic_load(&r.done), cz_jobs[0].end.bytes_out);
	ck_assert_uint_ge(cz_jobs[0].end.bytes_out, 8 * MIB);
}
END_TEST

/* The broker hangs up mid-job: the helper closes everything and exits 0 (then teardown). */
START_TEST(broker_hangs_up)
{
	struct cz_flow w, r;

	endless_deflate(&w, &r, false);
	while (atomic_load(&r.done) < MIB)
		ferry_loop_run_once(&mon_loop, 10);
	ferry_helper_shutdown(&cz_jobs[0].h);
	ck_assert_msg(ferry_loop_wait(&mon_loop, &cz_jobs[0].h.exited, MON_TIMEOUT_MS) == 0,
		      "ferry-compress did not exit");
	ck_assert_msg(strstr(cz_jobs[0].h.exit_desc, "exited with status 0"), "%s",
		      cz_jobs[0].h.exit_desc);
	cz_flow_join(&w);
	cz_flow_join(&r);
	ck_assert_int_eq(w.err, EPIPE);
	ck_assert(r.eof);
	ck_assert(!cz_jobs[0].done);
}
END_TEST

/* --- threads ------------------------------------------------------------------ */

static unsigned helper_threads(pid_t pid)
{
	char path[64], line[128];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * With more than one core, a deflate job runs min(cores, asked or 4)
 * workers beside the main thread: the profile's NPROC lets them start.
 * With one core, none.
 */
START_TEST(worker_threads)
{
	static const uint32_t asked[] = { 0, 1, 8 };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct ferry_compress_start st = { .mode = FERRY_COMPRESS_DEFLATE };
	struct mon_rec r;
	unsigned want;
	int p[2], q[2];

	for (size_t i = 0; i < ARRAY_SIZE(asked); i++) {
		st.threads = asked[i];
		want = asked[i] ? asked[i] : FERRY_COMPRESS_AUTO_THREADS;
		want = cores <= 1 ? 0 : (unsigned)cores < want ? (unsigned)cores : want;
		cz_pipe(p);
		cz_pipe(q);
		cz_start_job(&cz_jobs[0], &st, p[0], q[1]);
		ck_assert_uint_eq(helper_threads(cz_jobs[0].h.child.pid), 1 + want);
		cz_call(&cz_jobs[0], FERRY_MSG_COMPRESS_CANCEL, NULL, NULL, 0, &r);
		cz_expect_ok(&r);
		ck_assert(cz_jobs[0].done);
		ck_assert_uint_eq(helper_threads(cz_jobs[0].h.child.pid), 1);
		for (int k = 0; k < 2; k++) {
			close(p[k]);
			close(q[k]);
		}
	}
}
END_TEST

/* --- the filter --------------------------------------------------------------- */

#if FERRY_TEST_HOOKS
/* What the pump and its threads need is on the list: called with zero arguments, each answers. */
static const struct { const char *name; long nr; } needed[] = {
	{ "read", SYS_read }, { "shutdown", SYS_shutdown }, { "eventfd2", SYS_eventfd2 },
	{ "clone3", SYS_clone3 }, { "set_robust_list", SYS_set_robust_list }, { "rseq", SYS_rseq },
	{ "futex", SYS_futex }, { "mprotect", SYS_mprotect }, { "madvise", SYS_madvise },
	{ "rt_sigprocmask", SYS_rt_sigprocmask }, { "clock_gettime", SYS_clock_gettime },
};

START_TEST(needed_syscalls_allowed)
{
	mon_expect_allowed(&cz_jobs[0].h, needed[_i].name, needed[_i].nr);
}
END_TEST

/* Threads, yes; a process of its own, a file, a socket or a program, no: each kills it. */
static const struct { const char *name; long nr; } unneeded[] = {
	{ "clone", SYS_clone }, { "fork", SYS_fork }, { "openat", SYS_openat },
	{ "socket", SYS_socket }, { "execve", SYS_execve }, { "pipe2", SYS_pipe2 },
	{ "splice", SYS_splice },
};

START_TEST(unneeded_syscalls_kill)
{
	mon_expect_killed(&cz_jobs[0].h, unneeded[_i].name, unneeded[_i].nr);
}
END_TEST
#endif

static TCase *tcase(Suite *s, const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, cz_setup, cz_teardown);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *compress_suite(void)
{
	Suite *s = suite_create("compress");
	TCase *data = tcase(s, "data", 120);
	TCase *refuse = tcase(s, "refusals", 30);
	TCase *ends = tcase(s, "ends", 30);

	tcase_add_loop_test(data, round_trip, 0, CDATA_KINDS);
	tcase_add_test(data, chained);
	tcase_add_test(data, empty_stream);

	tcase_add_loop_test(refuse, start_refused, 0, (int)ARRAY_SIZE(bad_starts));
	tcase_add_test(refuse, fd_types_refused);
	tcase_add_test(refuse, second_job_refused);

	tcase_add_test(ends, cancel_mid_stream);
	tcase_add_test(ends, broker_hangs_up);
	tcase_add_test(ends, worker_threads);
#if FERRY_TEST_HOOKS
	TCase *filter = tcase(s, "filter", 30);

	tcase_add_loop_test(filter, needed_syscalls_allowed, 0, (int)ARRAY_SIZE(needed));
	tcase_add_loop_test(filter, unneeded_syscalls_kill, 0, (int)ARRAY_SIZE(unneeded));
#endif
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(compress_suite());
	int failed;

	/* The test's own ends see EPIPE, never a signal. */
	signal(SIGPIPE, SIG_IGN);
#if !FERRY_TEST_HOOKS
	printf("NOTE: built with -Dtest_hooks=false: the syscall filter tests are not compiled\n");
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

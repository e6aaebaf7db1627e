/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-label.c - the real ferry-label, under its real sandbox, spawned and
 * spoken to by the broker's own code.
 *
 * Run as root, the test is a root broker: the helper runs as nobody and
 * keeps CAP_CHOWN and CAP_FOWNER, so it can give files to another user.
 * Run as anyone else, the helper has no capability: the cases that give a
 * file away are skipped, saying so, and the rest label the test's own
 * files. Cases: owner changes on regular files (in /tmp and on a tmpfs)
 * and on a socket, security.selinux written when asked to insist and read
 * back, left alone otherwise on a host without SELinux, the refusals (fd
 * types, an O_PATH fd, unknown flags), a helper without capabilities
 * relabelling a file it does not own, and the syscall filter.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/magic.h>
#if WITH_SELINUX
#include <selinux/selinux.h>
#endif

#include "label-proto.h"
#include "mon-harness.h"
#include "util.h"

#define XATTR_SELINUX "security.selinux"
#define CONTEXT "system_u:object_r:svirt_image_t:s0:c12,c34"
/* Who files are given to as root: qemu's usual ids, unused on a test host. */
#define QEMU_UID 107u
#define QEMU_GID 108u

static struct ferry_helper helper;
static int fds_before;
static uint32_t host_selinux;	/* what the helper must report */

static void start_helper(void)
{
	struct ferry_helper_opts o;
	char err[512];

	mon_setup();
	ck_assert_msg(ferry_helper_opts_default(&o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_helper_start(&mon_loop, FERRY_HELPER_LABEL, &o, &helper,
					 err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_loop_wait(&mon_loop, &helper.ready, MON_TIMEOUT_MS) == 0,
		      "ferry-label gave no HELLO: %s %s", helper.exit_desc, helper.error);
}

static void setup(void)
{
	fds_before = mon_count_fds();
	start_helper();
}

/* The broker hangs up; the helper must exit 0 and every fd of the test be closed. */
static void teardown(void)
{
	mon_helper_hangup(&helper, fds_before);
}

/* LABEL_FD with @fd (not closed), its fields as given: the helper judges them. */
static void label(uint32_t flags, uint32_t type, uint32_t uid, uint32_t gid, const char *ctx,
		  int fd, struct mon_rec *r)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, flags);
	ferry_put_u32(&w, type);
	ferry_put_u32(&w, uid);
	ferry_put_u32(&w, gid);
	ferry_put_str(&w, ctx);
	mon_call_async(&helper, FERRY_MSG_LABEL_FD, &w, &fd, 1, r);
	mon_wait(&r->done);
	ck_assert_msg(r->got, "no reply: %s %s", helper.exit_desc, helper.error);
}

static void expect_result(const struct mon_rec *r, uint32_t done, const char *note)
{
	struct ferry_label_result res;
	const char *text = "";
	char why[160];

	if (r->type == FERRY_MSG_ERROR)
		mon_expect_error(r, &text);
	ck_assert_msg(r->type == FERRY_MSG_LABEL_RESULT, "reply type %u: %s", r->type, text);
	ck_assert_msg(ferry_label_get_result(r->payload, r->len, &res, why, sizeof(why)) == 0,
		      "%s", why);
	ck_assert_uint_eq(res.done, done);
	ck_assert_uint_eq(res.selinux, host_selinux);
	ck_assert_str_eq(res.note, note);
}

static void expect_error(const struct mon_rec *r, int32_t err, const char *text)
{
	const char *got;

	ck_assert_int_eq(mon_expect_error(r, &got), err);
	ck_assert_str_eq(got, text);
}

static int temp_file_in(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/ferry-label-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	unlink(path);
	return fd;
}

static void expect_owner(int fd, uid_t uid, gid_t gid)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_uid, uid);
	ck_assert_uint_eq(st.st_gid, gid);
}

static void expect_no_context(int fd)
{
	char buf[64];

	ck_assert_int_eq(fgetxattr(fd, XATTR_SELINUX, buf, sizeof(buf)), -1);
	ck_assert_msg(errno == ENODATA, "fgetxattr: %s", strerror(errno));
}

/* --- owners (root) -------------------------------------------------------- */

/* /tmp, and a tmpfs: given to QEMU's user, checked with fstat. */
static const char *const owner_dirs[] = { "/tmp", "/dev/shm" };

START_TEST(owner_of_regular_file)
{
	struct statfs sfs;
	struct mon_rec r;
	int fd;

	if (_i == 1 && (statfs(owner_dirs[_i], &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)) {
		printf("SKIP: %s is not a tmpfs here: owner on tmpfs not tried\n", owner_dirs[_i]);
		return;
	}
	fd = temp_file_in(owner_dirs[_i]);
	expect_owner(fd, 0, 0);
	label(FERRY_LABEL_OWNER, FERRY_LABEL_FILE, QEMU_UID, QEMU_GID, "", fd, &r);
	expect_result(&r, FERRY_LABEL_OWNER, "");
	expect_owner(fd, QEMU_UID, QEMU_GID);
	expect_no_context(fd);
	close(fd);
}
END_TEST

/* A socket labelled as a socket: a migration connection handed to QEMU. */
START_TEST(owner_of_socket)
{
	struct mon_rec r;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	label(FERRY_LABEL_OWNER, FERRY_LABEL_SOCKET, QEMU_UID, QEMU_GID, "", sv[0], &r);
	expect_result(&r, FERRY_LABEL_OWNER, "");
	expect_owner(sv[0], QEMU_UID, QEMU_GID);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Owner and insisted-on context in one request, on a file the helper's uid does not own. */
START_TEST(owner_and_context)
{
	char buf[FERRY_LABEL_CONTEXT_MAX + 1];
	struct mon_rec r;
	int fd = temp_file_in("/tmp");

	label(FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE,
	      QEMU_UID, QEMU_GID, CONTEXT, fd, &r);
	expect_result(&r, FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT,
		      "selinux disabled, xattr written as asked");
	expect_owner(fd, QEMU_UID, QEMU_GID);
	ck_assert_int_eq(fgetxattr(fd, XATTR_SELINUX, buf, sizeof(buf)), sizeof(CONTEXT));
	ck_assert_str_eq(buf, CONTEXT);
	close(fd);
}
END_TEST

/* --- contexts on a host without SELinux ----------------------------------- */

/* Insisted on: written as the xattr, NUL included, and read back the same. */
START_TEST(context_forced)
{
	char buf[FERRY_LABEL_CONTEXT_MAX + 1];
	struct mon_rec r;
	int fd = temp_file_in("/tmp");

	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE, 0, 0, CONTEXT, fd, &r);
	expect_result(&r, FERRY_LABEL_CONTEXT, "selinux disabled, xattr written as asked");
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(fgetxattr(fd, XATTR_SELINUX, buf, sizeof(buf)), sizeof(CONTEXT));
	ck_assert_str_eq(buf, CONTEXT);
	close(fd);
}
END_TEST

/* Asked for without insisting: not an error, nothing written, and the answer says why. */
START_TEST(context_not_labelled)
{
	struct mon_rec r;
	int fd = temp_file_in("/tmp");
	int p[2];

	label(FERRY_LABEL_CONTEXT, FERRY_LABEL_FILE, 0, 0, CONTEXT, fd, &r);
	expect_result(&r, 0, FERRY_LABEL_NOTE_DISABLED);
	expect_no_context(fd);
	close(fd);

	/* With the owner flag too, the owner is set (to the test's own ids here). */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	label(FERRY_LABEL_OWNER | FERRY_LABEL_CONTEXT, FERRY_LABEL_FIFO, getuid(), getgid(), CONTEXT,
	      p[1], &r);
	expect_result(&r, FERRY_LABEL_OWNER, FERRY_LABEL_NOTE_DISABLED);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* --- refusals ------------------------------------------------------------- */

START_TEST(wrong_fd_type)
{
	struct mon_rec r;
	int p[2], sv[2], fd = temp_file_in("/tmp");

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	label(FERRY_LABEL_OWNER, FERRY_LABEL_FILE, getuid(), getgid(), "", p[0], &r);
	expect_error(&r, -EINVAL, "LABEL_FD: the fd is a pipe (file type 010000), not a regular file");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FIFO, 0, 0, CONTEXT, sv[0],
	      &r);
	expect_error(&r, -EINVAL, "LABEL_FD: the fd is a socket (file type 0140000), not a pipe");
	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_SOCKET, 0, 0, CONTEXT, fd,
	      &r);
	expect_error(&r, -EINVAL, "LABEL_FD: the fd is a regular file (file type 0100000), not a "
		     "socket");
	expect_no_context(fd);
	close(fd);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* An O_PATH fd names a file without opening it: never labelled through. */
START_TEST(o_path_refused)
{
	char path[] = "/tmp/ferry-label-XXXXXX";
	struct mon_rec r;
	int fd = mkostemp(path, O_CLOEXEC), opath;

	ck_assert_int_ge(fd, 0);
	opath = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(opath, 0);
	unlink(path);
	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE, 0, 0, CONTEXT, opath,
	      &r);
	expect_error(&r, -EBADF, "LABEL_FD: the fd is an O_PATH fd, a path and not an open file: "
		     "refusing to label through it");
	expect_no_context(fd);
	close(opath);
	close(fd);
}
END_TEST

static const struct { uint32_t flags, type; const char *ctx, *error; } bad_requests[] = {
	{ 0x8, FERRY_LABEL_FILE, "", "LABEL_FD: unknown flags 0x8" },
	{ 0x1 | 0x100, FERRY_LABEL_FILE, "", "LABEL_FD: unknown flags 0x100" },
	{ 0, FERRY_LABEL_FILE, "", "LABEL_FD: flags 0x0 set neither the owner (0x1) nor the "
	  "context (0x2)" },
	{ FERRY_LABEL_CONTEXT, 7, CONTEXT, "LABEL_FD: file type 7 is not 1 (a regular file), 2 (a "
	  "pipe) or 3 (a socket)" },
	{ FERRY_LABEL_CONTEXT, FERRY_LABEL_FILE, "svirt_image_t", "LABEL_FD: context is not "
	  "user:role:type:level" },
};

/* Refused before the fd is looked at; the helper lives on. */
START_TEST(request_refused)
{
	struct mon_rec r;
	int fd = temp_file_in("/tmp");

	label(bad_requests[_i].flags, bad_requests[_i].type, 0, 0, bad_requests[_i].ctx, fd, &r);
	expect_error(&r, -EINVAL, bad_requests[_i].error);
	expect_no_context(fd);
	close(fd);
	fd = temp_file_in("/tmp");
	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE, 0, 0, CONTEXT, fd, &r);
	expect_result(&r, FERRY_LABEL_CONTEXT, "selinux disabled, xattr written as asked");
	close(fd);
}
END_TEST

/* --- a helper without capabilities ---------------------------------------- */

static int foreign_fd = -1;

/*
 * A file the helper's user does not own, and a helper without capabilities:
 * as root, a file of root's, then the test becomes nobody before it starts
 * the helper (the test runs in its own process); otherwise a file of
 * root's that this user could never change anyway.
 */
static void setup_unprivileged(void)
{
	fds_before = mon_count_fds();
	if (geteuid() == 0) {
		foreign_fd = temp_file_in("/tmp");
		ck_assert_int_eq(fchmod(foreign_fd, 0644), 0);
		ck_assert_int_eq(setgroups(0, NULL), 0);
		ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
		ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
		/* Changing ids made the process undumpable: /proc/self/fd is root's again. */
		ck_assert_int_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	} else {
		foreign_fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(foreign_fd, 0);
	}
	expect_owner(foreign_fd, 0, 0);
	start_helper();
}

static void teardown_unprivileged(void)
{
	close(foreign_fd);
	foreign_fd = -1;
	teardown();
}

/* The kernel's refusal, named with the call that met it; nothing changes. */
START_TEST(not_owner_eperm)
{
	struct mon_rec r;

	ck_assert_uint_eq(helper.chan.peer_hello.namespaces, 0);
	label(FERRY_LABEL_OWNER, FERRY_LABEL_FILE, 0, 0, "", foreign_fd, &r);
	expect_error(&r, -EPERM, "LABEL_FD: fchown to 0:0: Operation not permitted");
	label(FERRY_LABEL_CONTEXT | FERRY_LABEL_FORCE_XATTR, FERRY_LABEL_FILE, 0, 0, CONTEXT,
	      foreign_fd, &r);
	expect_error(&r, -EPERM, "LABEL_FD: security.selinux: Operation not permitted");
	expect_owner(foreign_fd, 0, 0);
	expect_no_context(foreign_fd);
}
END_TEST

/* --- the filter ----------------------------------------------------------- */

#if FERRY_TEST_HOOKS
/* fsetxattr with no arguments fails, but runs; fgetxattr is answered by the filter. */
START_TEST(needed_syscalls_allowed)
{
	struct mon_rec r = mon_try_syscall(&helper, SYS_fsetxattr);
	int64_t ret;

	ck_assert_msg(r.got, "fsetxattr killed it: %s", helper.exit_desc);
	ck_assert_uint_eq(r.type, FERRY_MSG_SYSCALL_RESULT);
#if WITH_SELINUX
	r = mon_try_syscall(&helper, SYS_fgetxattr);
	ck_assert_msg(r.got, "fgetxattr killed it: %s", helper.exit_desc);
	memcpy(&ret, r.payload, sizeof(ret));
	ck_assert_int_eq(ret, -ENOTSUP);
#else
	(void)ret;
#endif
}
END_TEST

/* The path-based twins of what it needs, and what a compromised labeller would try next. */
static const struct { const char *name; long nr; } unneeded[] = {
	{ "chown", SYS_chown }, { "lchown", SYS_lchown }, { "fchownat", SYS_fchownat },
	{ "setxattr", SYS_setxattr }, { "lsetxattr", SYS_lsetxattr },
	{ "fremovexattr", SYS_fremovexattr }, { "fchmod", SYS_fchmod }, { "openat", SYS_openat },
	{ "capset", SYS_capset },
};

START_TEST(unneeded_syscalls_kill)
{
	mon_expect_killed(&helper, unneeded[_i].name, unneeded[_i].nr);
}
END_TEST
#endif

static uint32_t selinux_state(void)
{
#if WITH_SELINUX
	if (is_selinux_enabled() > 0)
		return security_getenforce() == 1 ? FERRY_SELINUX_ENFORCING : FERRY_SELINUX_PERMISSIVE;
#endif
	return FERRY_SELINUX_DISABLED;
}

static TCase *fixture_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *label_suite(void)
{
	Suite *s = suite_create("label");
	bool no_selinux = (host_selinux = selinux_state()) == FERRY_SELINUX_DISABLED;
	TCase *tc;

	if (geteuid() == 0) {
		tc = fixture_case(s, "owners");
		tcase_add_loop_test(tc, owner_of_regular_file, 0, (int)ARRAY_SIZE(owner_dirs));
		tcase_add_test(tc, owner_of_socket);
		if (no_selinux)
			tcase_add_test(tc, owner_and_context);
	} else {
		printf("SKIP: owner changes: giving a file to another user needs the CAP_CHOWN "
		       "only a root broker leaves ferry-label; run this test as root\n");
	}
	if (no_selinux) {
		tc = fixture_case(s, "selinux-disabled");
		tcase_add_test(tc, context_forced);
		tcase_add_test(tc, context_not_labelled);
		tcase_add_test(tc, wrong_fd_type);
		tcase_add_test(tc, o_path_refused);
		tcase_add_loop_test(tc, request_refused, 0, (int)ARRAY_SIZE(bad_requests));
		tc = tcase_create("unprivileged");
		tcase_add_checked_fixture(tc, setup_unprivileged, teardown_unprivileged);
		tcase_add_test(tc, not_owner_eperm);
		suite_add_tcase(s, tc);
	} else {
		printf("SKIP: context cases: they expect a host without SELinux, and SELinux is "
		       "enabled here\n");
	}
#if FERRY_TEST_HOOKS
	tc = fixture_case(s, "filter");
	tcase_add_test(tc, needed_syscalls_allowed);
	tcase_add_loop_test(tc, unneeded_syscalls_kill, 0, (int)ARRAY_SIZE(unneeded));
#endif
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(label_suite());
	int failed;

#if !FERRY_TEST_HOOKS
	printf("NOTE: built with -Dtest_hooks=false: the syscall filter tests are not compiled\n");
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

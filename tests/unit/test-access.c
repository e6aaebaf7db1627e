/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-access.c - who may talk to the broker (policy/access.c): access
 * lists as the configuration writes them, the check against synthetic
 * peers, and the kernel's account of real peers, including a child that
 * connects as another user with other groups (root only).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "util.h"

#define NOBODY 65534

static void parse_ok(struct ferry_access *a, const char *list)
{
	char err[256] = "";
	int r = ferry_access_parse(a, list, err, sizeof(err));

	ck_assert_msg(r == 0, "\"%s\": %d: %s", list, r, err);
}

START_TEST(parse_names_and_ids)
{
	struct ferry_access a;
	struct passwd *nobody = getpwnam("nobody");
	struct group *root = getgrnam("root");

	memset(&a, 0, sizeof(a));
	parse_ok(&a, "root,1000,@1000");
	ck_assert(!a.anyone);
	ck_assert_uint_eq(a.nuids, 2);
	ck_assert_uint_eq(a.uids[0], 0);
	ck_assert_uint_eq(a.uids[1], 1000);
	ck_assert_uint_eq(a.ngids, 1);
	ck_assert_uint_eq(a.gids[0], 1000);

	/* A second list adds to the first; blanks and tabs separate too. */
	ck_assert_ptr_nonnull(root);
	parse_ok(&a, " @root ,\t4294967294\t, @0 ");
	ck_assert_uint_eq(a.nuids, 3);
	ck_assert_uint_eq(a.uids[2], 4294967294u);
	ck_assert_uint_eq(a.ngids, 3);
	ck_assert_uint_eq(a.gids[1], root->gr_gid);
	ck_assert_uint_eq(a.gids[2], 0);
	ck_assert(!a.anyone);

	if (nobody) {
		parse_ok(&a, "nobody");
		ck_assert_uint_eq(a.nuids, 4);
		ck_assert_uint_eq(a.uids[3], nobody->pw_uid);
	}
	parse_ok(&a, "*");
	ck_assert(a.anyone);

	/* Nothing listed admits nobody. */
	memset(&a, 0, sizeof(a));
	parse_ok(&a, "");
	parse_ok(&a, " , ,\t");
	ck_assert(!a.anyone);
	ck_assert_uint_eq(a.nuids, 0);
	ck_assert_uint_eq(a.ngids, 0);
}
END_TEST

/* A user or group named by a number is the number, not a lookup. */
START_TEST(parse_own_ids)
{
	struct ferry_access a;
	struct passwd *me = getpwuid(getuid());
	struct group *mine = getgrgid(getgid());
	char list[512];

	memset(&a, 0, sizeof(a));
	if (!me || !mine) {
		fprintf(stderr, "test-access: no passwd or group entry for the test's ids\n");
		return;
	}
	snprintf(list, sizeof(list), "%s,@%s", me->pw_name, mine->gr_name);
	parse_ok(&a, list);
	ck_assert_uint_eq(a.nuids, 1);
	ck_assert_uint_eq(a.uids[0], getuid());
	ck_assert_uint_eq(a.ngids, 1);
	ck_assert_uint_eq(a.gids[0], getgid());
}
END_TEST

static const struct parse_refusal {
	const char *list;
	int rc;
	const char *err;
} refusals[] = {
	{ "root,ferry-no-such-user", -EINVAL, "user 'ferry-no-such-user' does not exist" },
	{ "@root,@ferry-no-such-group", -EINVAL, "group 'ferry-no-such-group' does not exist" },
	{ "@", -EINVAL, "group '' does not exist" },
	{ "@*", -EINVAL, "group '*' does not exist" },
	/* Not a number in range, so a name, which does not exist. */
	{ "4294967296", -EINVAL, "user '4294967296' does not exist" },
	{ "-1", -EINVAL, "user '-1' does not exist" },
	{ "@+5", -EINVAL, "group '+5' does not exist" },
};

START_TEST(parse_refusals)
{
	const struct parse_refusal *t = &refusals[_i];
	struct ferry_access a;
	char err[256] = "";

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(ferry_access_parse(&a, t->list, err, sizeof(err)), t->rc);
	ck_assert_str_eq(err, t->err);
}
END_TEST

START_TEST(parse_limits)
{
	struct ferry_access a;
	char list[1100], err[256] = "";
	size_t off = 0;

	/* Thirty-two users and thirty-two groups fit; each list counts on its own. */
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < FERRY_ACCESS_MAX; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%d,@%d,", 2000 + i, 3000 + i);
	parse_ok(&a, list);
	ck_assert_uint_eq(a.nuids, FERRY_ACCESS_MAX);
	ck_assert_uint_eq(a.ngids, FERRY_ACCESS_MAX);
	ck_assert_uint_eq(a.uids[FERRY_ACCESS_MAX - 1], 2000 + FERRY_ACCESS_MAX - 1);
	ck_assert_uint_eq(a.gids[FERRY_ACCESS_MAX - 1], 3000 + FERRY_ACCESS_MAX - 1);

	/* The thirty-third of either is refused, by name or by number. */
	ck_assert_int_eq(ferry_access_parse(&a, "4000", err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "more than 32 users");
	ck_assert_int_eq(ferry_access_parse(&a, "@root", err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "more than 32 groups");
	ck_assert_uint_eq(a.nuids, FERRY_ACCESS_MAX);
	ck_assert_uint_eq(a.ngids, FERRY_ACCESS_MAX);
	/* "*" takes no slot. */
	parse_ok(&a, "*");
	ck_assert(a.anyone);

	/* The same user listed again still takes a slot. */
	memset(&a, 0, sizeof(a));
	off = 0;
	for (int i = 0; i <= FERRY_ACCESS_MAX; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "root,");
	ck_assert_int_eq(ferry_access_parse(&a, list, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "more than 32 users");

	/* A list longer than any configuration line holds is refused whole. */
	memset(list, ',', 1023);
	list[0] = '1';
	list[1023] = '\0';
	memset(&a, 0, sizeof(a));
	parse_ok(&a, list);
	ck_assert_uint_eq(a.nuids, 1);
	list[1023] = ',';
	list[1024] = '\0';
	ck_assert_int_eq(ferry_access_parse(&a, list, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "list of 1024 bytes is too long");
}
END_TEST

static struct ferry_peer peer(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	struct ferry_peer p = { .pid = 4242, .uid = uid, .gid = gid, .ngroups = n };

	if (n)
		memcpy(p.groups, groups, n * sizeof(*groups));
	return p;
}

static struct ferry_access allow(const char *list)
{
	struct ferry_access a;

	memset(&a, 0, sizeof(a));
	parse_ok(&a, list);
	return a;
}

static bool check(const char *list, const struct ferry_peer *p, char *why, size_t len)
{
	struct ferry_access a = allow(list);

	return ferry_access_check(&a, p, why, len);
}

START_TEST(check_synthetic_peers)
{
	static const gid_t supp[] = { 10, 20, 30 };
	struct ferry_peer p = peer(1000, 100, supp, ARRAY_SIZE(supp));
	char why[256] = "";

	ck_assert(check("1000", &p, why, sizeof(why)));
	ck_assert(check("5,1000", &p, why, sizeof(why)));
	ck_assert(check("@100", &p, why, sizeof(why)));
	ck_assert(check("@30", &p, why, sizeof(why)));
	ck_assert(check("@7,@10", &p, why, sizeof(why)));
	ck_assert(check("*", &p, why, sizeof(why)));
	ck_assert(check("0,*", &p, why, sizeof(why)));

	/* A uid is not a gid, nor the other way round. */
	ck_assert(!check("@1000", &p, why, sizeof(why)));
	ck_assert(!check("100", &p, why, sizeof(why)));
	ck_assert(!check("10,20,30", &p, why, sizeof(why)));
	ck_assert(!check("", &p, why, sizeof(why)));
	ck_assert(!check("1001,@101,@31", &p, why, sizeof(why)));
	ck_assert_str_eq(why, "uid 1000 (gid 100, 3 supplementary groups) is in none of the "
			      "allowed users or groups");
}
END_TEST

/* Root is admitted like anyone else: by being listed, never by being root. */
START_TEST(check_root_not_special)
{
	static const gid_t supp[] = { 0 };
	struct ferry_peer p = peer(0, 0, supp, 1);
	char why[256] = "";

	ck_assert(!check("65534,@65534", &p, why, sizeof(why)));
	ck_assert_str_eq(why, "uid 0 (gid 0, 1 supplementary groups) is in none of the "
			      "allowed users or groups");
	ck_assert(check("0", &p, why, sizeof(why)));
	ck_assert(check("@0", &p, why, sizeof(why)));

	/* No supplementary groups at all: only the primary group counts. */
	p = peer(1000, 1000, NULL, 0);
	ck_assert(!check("@0", &p, why, sizeof(why)));
	ck_assert_str_eq(why, "uid 1000 (gid 1000, 0 supplementary groups) is in none of the "
			      "allowed users or groups");
	ck_assert(check("@1000", &p, why, sizeof(why)));
}
END_TEST

/* A groups array in the peer beyond ngroups is not looked at. */
START_TEST(check_only_counted_groups)
{
	static const gid_t supp[] = { 10, 20, 30 };
	struct ferry_peer p = peer(1000, 100, supp, ARRAY_SIZE(supp));
	char why[256] = "";

	p.ngroups = 2;
	ck_assert(check("@20", &p, why, sizeof(why)));
	ck_assert(!check("@30", &p, why, sizeof(why)));
}
END_TEST

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(peer_read_socketpair)
{
	struct ferry_peer p;
	gid_t mine[64];
	int sv[2], n = getgroups(ARRAY_SIZE(mine), mine);

	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(&p, 0xa5, sizeof(p));
	ck_assert_int_eq(ferry_peer_read(sv[0], &p), 0);
	ck_assert_int_eq(p.pid, getpid());
	ck_assert_uint_eq(p.uid, getuid());
	ck_assert_uint_eq(p.gid, getgid());
	ck_assert_uint_eq(p.ngroups, (size_t)n);
	qsort(mine, (size_t)n, sizeof(gid_t), cmp_gid);
	qsort(p.groups, p.ngroups, sizeof(gid_t), cmp_gid);
	for (int i = 0; i < n; i++)
		ck_assert_uint_eq(p.groups[i], mine[i]);
	close(sv[0]);
	close(sv[1]);

	/* Not a socket: an error, and no credentials made up. */
	ck_assert_int_eq(pipe2(sv, O_CLOEXEC), 0);
	ck_assert_int_eq(ferry_peer_read(sv[0], &p), -ENOTSOCK);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A listening socket in a fresh directory; @path receives its name. */
static int listen_tmp(char *dir, size_t dirlen, char *path, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(dir, dirlen, "/tmp/ferry-access-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(path, len, "%s/sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/*
 * In the child: take @groups as supplementary groups and nobody as user
 * and primary group, connect to @path, then wait for the parent to close
 * @hold before exiting, so that the peer is still there when it is read.
 */
static __attribute__((noreturn)) void connect_as_nobody(const char *path, const gid_t *groups,
							 size_t n, int hold)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char byte;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (setgroups(n, groups) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		_exit(2);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(3);
	while (read(hold, &byte, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Accept one connection from a child with @groups and read its peer. */
static void peer_of_child(const gid_t *groups, size_t n, struct ferry_peer *p, pid_t *child)
{
	char dir[64], path[128];
	int lfd = listen_tmp(dir, sizeof(dir), path, sizeof(path));
	int hold[2], fd, st;
	pid_t pid;

	ck_assert_int_eq(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(hold[1]);
		connect_as_nobody(path, groups, n, hold[0]);
	}
	close(hold[0]);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ferry_peer_read(fd, p), 0);
	close(hold[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", (unsigned)st);
	*child = pid;
	close(fd);
	close(lfd);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(peer_read_other_user)
{
	static const gid_t groups[] = { 4242, 4343 };
	struct ferry_peer p;
	char why[256] = "";
	pid_t pid;

	peer_of_child(groups, ARRAY_SIZE(groups), &p, &pid);
	ck_assert_int_eq(p.pid, pid);
	ck_assert_uint_eq(p.uid, NOBODY);
	ck_assert_uint_eq(p.gid, NOBODY);
	ck_assert_uint_eq(p.ngroups, 2);
	qsort(p.groups, p.ngroups, sizeof(gid_t), cmp_gid);
	ck_assert_uint_eq(p.groups[0], 4242);
	ck_assert_uint_eq(p.groups[1], 4343);

	/* What the kernel said is what the check goes by. */
	ck_assert(check("@4343", &p, why, sizeof(why)));
	ck_assert(check("@65534", &p, why, sizeof(why)));
	ck_assert(check("65534", &p, why, sizeof(why)));
	ck_assert(!check("0,@0,@4244", &p, why, sizeof(why)));
	ck_assert_str_eq(why, "uid 65534 (gid 65534, 2 supplementary groups) is in none of the "
			      "allowed users or groups");
}
END_TEST

START_TEST(peer_read_no_groups)
{
	struct ferry_peer p;
	char why[256] = "";
	pid_t pid;

	peer_of_child(NULL, 0, &p, &pid);
	ck_assert_uint_eq(p.uid, NOBODY);
	ck_assert_uint_eq(p.ngroups, 0);
	ck_assert(!check("0,@0", &p, why, sizeof(why)));
}
END_TEST

/*
 * A peer in more groups than ferry_peer holds: access.h promises "as many
 * as fit", and docs/ferryd.conf.md admits a client by any supplementary
 * group the configuration lists. The kernel hands the groups sorted, so
 * the lowest of them is among those that fit.
 */
START_TEST(peer_read_many_groups)
{
	gid_t groups[70];
	struct ferry_peer p;
	char why[256] = "";
	pid_t pid;

	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		groups[i] = 5000 + (gid_t)i;
	peer_of_child(groups, ARRAY_SIZE(groups), &p, &pid);
	ck_assert_uint_eq(p.uid, NOBODY);
	ck_assert_uint_eq(p.ngroups, ARRAY_SIZE(p.groups));
	ck_assert_msg(check("@5000", &p, why, sizeof(why)), "refused: %s", why);
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, parse_names_and_ids);
	tcase_add_test(t, parse_own_ids);
	tcase_add_loop_test(t, parse_refusals, 0, ARRAY_SIZE(refusals));
	tcase_add_test(t, parse_limits);
	suite_add_tcase(s, t);

	t = tcase_create("check");
	tcase_add_test(t, check_synthetic_peers);
	tcase_add_test(t, check_root_not_special);
	tcase_add_test(t, check_only_counted_groups);
	suite_add_tcase(s, t);

	t = tcase_create("peer");
	tcase_add_test(t, peer_read_socketpair);
	if (geteuid() == 0) {
		tcase_add_test(t, peer_read_other_user);
		tcase_add_test(t, peer_read_no_groups);
		tcase_add_test(t, peer_read_many_groups);
	} else {
		printf("# SKIP peers of other users and groups: not root, cannot change ids\n");
		/* Before Check forks, or every test's child would print it again. */
		fflush(stdout);
	}
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(access_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-config.c - ferryd's configuration (docs/ferryd.conf.md): the
 * defaults for root and for an ordinary user, every key of the file, every
 * refusal with its line number, and the limits on the file itself.
 *
 * The ordinary user's defaults depend on the effective uid, which a test
 * must not change in its own process: a child switches to nobody, sets the
 * environment, computes the defaults and sends them back through a pipe.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/config.h"
#include "util.h"

/* The uid a child computes the ordinary user's defaults as. */
#define NOBODY 65534

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ferry_write_all(fd, text, len), 0);
	close(fd);
}

static void make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/ferry-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Readable by the child that runs as nobody. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
}

/* An ordinary user's defaults need a runtime dir; root's need nothing. */
static void defaults_or_fail(struct ferry_config *c)
{
	char err[256] = "";

	if (geteuid() != 0 && !getenv("XDG_RUNTIME_DIR"))
		setenv("XDG_RUNTIME_DIR", "/run/user/test", 1);
	ck_assert_msg(ferry_config_defaults(c, err, sizeof(err)) == 0, "defaults: %s", err);
}

static void assert_only_uid(const struct ferry_access *a, uid_t uid)
{
	ck_assert(!a->anyone);
	ck_assert_uint_eq(a->nuids, 1);
	ck_assert_uint_eq(a->uids[0], uid);
	ck_assert_uint_eq(a->ngids, 0);
}

static void assert_common_defaults(const struct ferry_config *c)
{
	ck_assert_str_eq(c->file, "");
	ck_assert_str_eq(c->helper_dir, "");
	ck_assert_str_eq(c->helper_user, "nobody");
	ck_assert_str_eq(c->qemu, "/usr/bin/qemu-system-x86_64");
	ck_assert_str_eq(c->accel, "auto");
	ck_assert_int_eq(c->log_level, FERRY_LOG_INFO);
	ck_assert(!c->log_syslog);
}

START_TEST(defaults_as_root)
{
	struct ferry_config c;
	char err[256] = "", sock[PATH_MAX];

	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(ferry_config_defaults(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.runtime_dir, "/run/ferry");
	ck_assert_str_eq(c.state_dir, "/var/lib/ferry");
	assert_common_defaults(&c);
	assert_only_uid(&c.rw, 0);
	assert_only_uid(&c.ro, 0);
	ferry_config_socket(&c, false, sock, sizeof(sock));
	ck_assert_str_eq(sock, "/run/ferry/ferry-sock");
	ferry_config_socket(&c, true, sock, sizeof(sock));
	ck_assert_str_eq(sock, "/run/ferry/ferry-sock-ro");
}
END_TEST

/*
 * The ordinary user's defaults, one environment per case. NULL unsets a
 * variable; "@home" in an expected value stands for the passwd entry's
 * home directory, used when HOME is unusable.
 */
static const struct user_case {
	const char *runtime, *state_home, *home;
	int rc;
	const char *runtime_dir, *state_dir, *err;
} user_cases[] = {
	{ "/run/user/65534", "/srv/state", "/home/n", 0,
	  "/run/user/65534/ferry", "/srv/state/ferry", NULL },
	{ "/run/user/65534", NULL, "/home/n", 0,
	  "/run/user/65534/ferry", "/home/n/.local/state/ferry", NULL },
	/* A relative XDG variable is ignored, as the XDG spec says. */
	{ "/run/user/65534", "state", "/home/n", 0,
	  "/run/user/65534/ferry", "/home/n/.local/state/ferry", NULL },
	{ "/run/user/65534", "", "/home/n", 0,
	  "/run/user/65534/ferry", "/home/n/.local/state/ferry", NULL },
	{ "/run/user/65534", NULL, NULL, 0,
	  "/run/user/65534/ferry", "@home/.local/state/ferry", NULL },
	{ "/run/user/65534", NULL, "relative", 0,
	  "/run/user/65534/ferry", "@home/.local/state/ferry", NULL },
	{ NULL, "/srv/state", "/home/n", -ENOENT, NULL, NULL,
	  "XDG_RUNTIME_DIR is not set: set it or runtime_dir in the config" },
	{ "run/user/65534", "/srv/state", "/home/n", -ENOENT, NULL, NULL,
	  "XDG_RUNTIME_DIR is not set: set it or runtime_dir in the config" },
};

struct child_result {
	int rc;
	uid_t euid;
	char err[256];
	struct ferry_config cfg;
};

static void set_or_unset(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* In the child: become an ordinary user if root, leaving no way back. */
static int become_user(void)
{
	gid_t none[1] = { NOBODY };

	if (geteuid() != 0)
		return 0;
	if (setgroups(1, none) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return -errno;
	return 0;
}

typedef int (*child_fn)(struct child_result *res, const void *arg);

/*
 * Run @fn in a child that set @env (name, value pairs, NULL values unset)
 * and dropped to an ordinary user; return what it computed.
 */
static void run_as_user(const char *const *env, size_t nenv, child_fn fn, const void *arg,
			struct child_result *res)
{
	int p[2], st;
	pid_t pid;
	size_t got = 0;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct child_result mine;

		close(p[0]);
		memset(&mine, 0, sizeof(mine));
		for (size_t i = 0; i + 1 < nenv; i += 2)
			set_or_unset(env[i], env[i + 1]);
		mine.rc = become_user();
		if (mine.rc < 0)
			snprintf(mine.err, sizeof(mine.err), "dropping to uid %d: %s", NOBODY,
				 strerror(-mine.rc));
		else
			mine.rc = fn(&mine, arg);
		mine.euid = geteuid();
		_exit(ferry_write_all(p[1], &mine, sizeof(mine)) == 0 ? 0 : 1);
	}
	close(p[1]);
	while (got < sizeof(*res)) {
		ssize_t n = read(p[0], (char *)res + got, sizeof(*res) - got);

		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_msg(!strstr(res->err, "dropping to uid"), "%s", res->err);
}

static int child_defaults(struct child_result *res, const void *arg)
{
	(void)arg;
	return ferry_config_defaults(&res->cfg, res->err, sizeof(res->err));
}

/* The uid the child ends up as: nobody when the test runs as root. */
static uid_t user_uid(void)
{
	return geteuid() == 0 ? NOBODY : geteuid();
}

static void expand_home(char *buf, size_t len, const char *want)
{
	struct passwd *pw = getpwuid(user_uid());

	if (strncmp(want, "@home", 5) != 0) {
		snprintf(buf, len, "%s", want);
		return;
	}
	ck_assert_ptr_nonnull(pw);
	snprintf(buf, len, "%s%s", pw->pw_dir, want + 5);
}

START_TEST(defaults_as_user)
{
	const struct user_case *t = &user_cases[_i];
	const char *env[] = {
		"XDG_RUNTIME_DIR", t->runtime, "XDG_STATE_HOME", t->state_home, "HOME", t->home,
	};
	struct child_result res;
	char want[PATH_MAX];

	run_as_user(env, ARRAY_SIZE(env), child_defaults, NULL, &res);
	ck_assert_uint_eq(res.euid, user_uid());
	ck_assert_msg(res.rc == t->rc, "rc %d, want %d (%s)", res.rc, t->rc, res.err);
	if (t->rc < 0) {
		ck_assert_str_eq(res.err, t->err);
		return;
	}
	ck_assert_str_eq(res.cfg.runtime_dir, t->runtime_dir);
	expand_home(want, sizeof(want), t->state_dir);
	ck_assert_str_eq(res.cfg.state_dir, want);
	assert_common_defaults(&res.cfg);
	/* An ordinary user's broker serves that user alone. */
	assert_only_uid(&res.cfg.rw, user_uid());
	assert_only_uid(&res.cfg.ro, user_uid());
}
END_TEST

static int child_load_default(struct child_result *res, const void *arg)
{
	(void)arg;
	return ferry_config_load(&res->cfg, NULL, res->err, sizeof(res->err));
}

/* An ordinary user's default file: $XDG_CONFIG_HOME, else ~/.config. */
START_TEST(default_file_as_user)
{
	char dir[64], sub[128], file[192], xdg[128], home[128];
	const char *env_xdg[] = { "XDG_RUNTIME_DIR", "/run/user/65534", "XDG_CONFIG_HOME", xdg,
				  "HOME", "/nonexistent" };
	const char *env_home[] = { "XDG_RUNTIME_DIR", "/run/user/65534", "XDG_CONFIG_HOME", NULL,
				   "HOME", home };
	const char *env_none[] = { "XDG_RUNTIME_DIR", "/run/user/65534", "XDG_CONFIG_HOME", dir,
				   "HOME", home };
	struct child_result res;

	make_tmpdir(dir, sizeof(dir));
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(sub, sizeof(sub), "%s/ferry", xdg);
	ck_assert_int_eq(mkdir(xdg, 0755), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(file, sizeof(file), "%s/ferryd.conf", sub);
	write_file(file, "accel = tcg\n", 12);

	run_as_user(env_xdg, ARRAY_SIZE(env_xdg), child_load_default, NULL, &res);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	ck_assert_str_eq(res.cfg.file, file);
	ck_assert_str_eq(res.cfg.accel, "tcg");
	ck_assert_str_eq(res.cfg.runtime_dir, "/run/user/65534/ferry");

	/* Without XDG_CONFIG_HOME: ~/.config/ferry/ferryd.conf. */
	ck_assert_int_eq(mkdir(home, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/.config", home);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/.config/ferry", home);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	unlink(file);
	snprintf(file, sizeof(file), "%s/ferryd.conf", sub);
	write_file(file, "log_level = debug\n", 18);
	run_as_user(env_home, ARRAY_SIZE(env_home), child_load_default, NULL, &res);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	ck_assert_str_eq(res.cfg.file, file);
	ck_assert_int_eq(res.cfg.log_level, FERRY_LOG_DEBUG);

	/* No default file at all: the defaults, and no file named. */
	run_as_user(env_none, ARRAY_SIZE(env_none), child_load_default, NULL, &res);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	ck_assert_str_eq(res.cfg.file, "");
	ck_assert_str_eq(res.cfg.accel, "auto");

	unlink(file);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/.config", home);
	rmdir(sub);
	rmdir(home);
	snprintf(sub, sizeof(sub), "%s/ferry", xdg);
	rmdir(sub);
	rmdir(xdg);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static void parse_ok(struct ferry_config *c, const char *text)
{
	char err[256] = "";
	int r = ferry_config_parse(c, text, err, sizeof(err));

	ck_assert_msg(r == 0, "parse of \"%s\": %d: %s", text, r, err);
}

START_TEST(parse_every_key)
{
	static const char text[] =
		"# ferryd.conf\n"
		"\n"
		"runtime_dir = /srv/run\n"
		"state_dir=/srv/state\n"
		"   helper_dir   =   /opt/ferry/libexec   \n"
		"qemu = /opt/qemu/bin/qemu-system-x86_64\n"
		"log_level = debug\n"
		"access = root, @root, 1000, @1000\n"
		"readonly_access = *\n"
		"helper_user = daemon\n"
		"accel = tcg\n"
		"log_target = syslog\n";
	struct ferry_config c;

	memset(&c, 0, sizeof(c));
	parse_ok(&c, text);
	ck_assert_str_eq(c.runtime_dir, "/srv/run");
	ck_assert_str_eq(c.state_dir, "/srv/state");
	ck_assert_str_eq(c.helper_dir, "/opt/ferry/libexec");
	ck_assert_str_eq(c.qemu, "/opt/qemu/bin/qemu-system-x86_64");
	ck_assert_int_eq(c.log_level, FERRY_LOG_DEBUG);
	ck_assert(!c.rw.anyone);
	ck_assert_uint_eq(c.rw.nuids, 2);
	ck_assert_uint_eq(c.rw.uids[0], 0);
	ck_assert_uint_eq(c.rw.uids[1], 1000);
	ck_assert_uint_eq(c.rw.ngids, 2);
	ck_assert_uint_eq(c.rw.gids[0], 0);
	ck_assert_uint_eq(c.rw.gids[1], 1000);
	ck_assert(c.ro.anyone);
	ck_assert_uint_eq(c.ro.nuids, 0);
	ck_assert_uint_eq(c.ro.ngids, 0);
	ck_assert_str_eq(c.helper_user, "daemon");
	ck_assert_str_eq(c.accel, "tcg");
	ck_assert(c.log_syslog);
	/* Parsing never names a file: that is ferry_config_load's business. */
	ck_assert_str_eq(c.file, "");
}
END_TEST

START_TEST(parse_every_value)
{
	static const char *const levels[] = { "error", "warning", "info", "debug" };
	static const char *const accels[] = { "auto", "kvm", "tcg" };
	struct ferry_config c;
	char text[64];

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		snprintf(text, sizeof(text), "log_level = %s\n", levels[i]);
		parse_ok(&c, text);
		ck_assert_int_eq(c.log_level, (int)i);
	}
	ck_assert_int_eq(FERRY_LOG_ERR, 0);
	ck_assert_int_eq(FERRY_LOG_DEBUG, 3);
	for (size_t i = 0; i < ARRAY_SIZE(accels); i++) {
		snprintf(text, sizeof(text), "accel = %s", accels[i]);
		parse_ok(&c, text);
		ck_assert_str_eq(c.accel, accels[i]);
	}
	parse_ok(&c, "log_target = syslog");
	ck_assert(c.log_syslog);
	parse_ok(&c, "log_target = stderr");
	ck_assert(!c.log_syslog);
}
END_TEST

START_TEST(parse_quotes_comments_crlf)
{
	struct ferry_config c;

	memset(&c, 0, sizeof(c));
	/* Quotes keep inner blanks and are not part of the value. */
	parse_ok(&c, "helper_dir = \"/opt/ferry helpers\"\n"
		     "qemu=\"/usr/bin/qemu\"\n"
		     "accel = \"kvm\"\n"
		     "log_level=\"warning\"\n"
		     "access = \"root, 1000\"\n");
	ck_assert_str_eq(c.helper_dir, "/opt/ferry helpers");
	ck_assert_str_eq(c.qemu, "/usr/bin/qemu");
	ck_assert_str_eq(c.accel, "kvm");
	ck_assert_int_eq(c.log_level, FERRY_LOG_WARN);
	ck_assert_uint_eq(c.rw.nuids, 2);
	ck_assert_uint_eq(c.rw.uids[1], 1000);

	/* Only the first '=' splits: the rest belongs to the value. */
	parse_ok(&c, "qemu = /opt/a=b");
	ck_assert_str_eq(c.qemu, "/opt/a=b");

	/* Comments, indented comments, blank and blank-looking lines, CRLF, no final newline. */
	memset(&c, 0, sizeof(c));
	parse_ok(&c, "# runtime_dir = relative\r\n"
		     "   # state_dir = also not read\r\n"
		     "\r\n"
		     " \t \r\n"
		     "\n"
		     "runtime_dir = /srv/run\r\n"
		     "accel = tcg\r\n"
		     "helper_dir = \"/opt/h\"\r\n"
		     "log_target = syslog");
	ck_assert_str_eq(c.runtime_dir, "/srv/run");
	ck_assert_str_eq(c.state_dir, "");
	ck_assert_str_eq(c.accel, "tcg");
	ck_assert_str_eq(c.helper_dir, "/opt/h");
	ck_assert(c.log_syslog);

	/* Nothing at all changes nothing. */
	memset(&c, 0, sizeof(c));
	parse_ok(&c, "");
	parse_ok(&c, "\n\n# only comments\n");
	ck_assert_str_eq(c.runtime_dir, "");
}
END_TEST

/* A later line wins; a later access list replaces, never adds to, the earlier one. */
START_TEST(parse_later_lines_win)
{
	struct ferry_config c;

	defaults_or_fail(&c);
	parse_ok(&c, "accel = kvm\naccel = tcg\n"
		     "access = 1000, @1000, *\naccess = 1001\n"
		     "readonly_access = 1002\n");
	ck_assert_str_eq(c.accel, "tcg");
	assert_only_uid(&c.rw, 1001);
	assert_only_uid(&c.ro, 1002);
	/* Keys the file leaves out keep their defaults. */
	ck_assert_str_eq(c.helper_user, "nobody");
	ck_assert_str_eq(c.qemu, "/usr/bin/qemu-system-x86_64");
}
END_TEST

static char long_text[4096];

/* A line of exactly @len bytes (newline excluded) after a first good line. */
static const char *long_line(size_t len, const char *prefix)
{
	size_t p = strlen("accel = kvm\n"), n = strlen(prefix);

	ck_assert_uint_lt(p + len + 2, sizeof(long_text));
	memcpy(long_text, "accel = kvm\n", p);
	memcpy(long_text + p, prefix, n);
	memset(long_text + p + n, 'x', len - n);
	long_text[p + len] = '\n';
	long_text[p + len + 1] = '\0';
	return long_text;
}

/* An access list longer than the access parser takes, on one line that fits. */
static const char *long_list(void)
{
	size_t off = (size_t)snprintf(long_text, sizeof(long_text), "access = ");

	while (off < 1200)
		off += (size_t)snprintf(long_text + off, sizeof(long_text) - off, "1000,");
	return long_text;
}

/* Thirty-three users: one more than a list holds. */
static const char *many_users(void)
{
	size_t off = (size_t)snprintf(long_text, sizeof(long_text), "readonly_access = ");

	for (int i = 0; i <= FERRY_ACCESS_MAX; i++)
		off += (size_t)snprintf(long_text + off, sizeof(long_text) - off, "%d,", 1000 + i);
	return long_text;
}

static const struct refusal {
	const char *text;		/* NULL: built by @build */
	const char *(*build)(void);
	const char *err;
} refusals[] = {
	{ "runtime_dir = /srv/run\nbogus = 1\n", NULL, "line 2: unknown setting 'bogus'" },
	{ "Accel = kvm\n", NULL, "line 1: unknown setting 'Accel'" },
	{ "= /srv/run\n", NULL, "line 1: unknown setting ''" },
	{ "# comment\n\n\njust some words\n", NULL, "line 4: expected 'key = value'" },
	{ "accel = kvm\r\nruntime_dir /srv/run\r\n", NULL, "line 2: expected 'key = value'" },
	{ "state_dir = var/lib/ferry\n", NULL, "line 1: 'var/lib/ferry' is not an absolute path" },
	{ "runtime_dir = \"run/ferry\"\n", NULL, "line 1: 'run/ferry' is not an absolute path" },
	{ "helper_dir =\n", NULL, "line 1: '' is not an absolute path" },
	{ "\nqemu = qemu-system-x86_64\n", NULL, "line 2: 'qemu-system-x86_64' is not an absolute path" },
	{ "qemu = \"/usr/bin/qemu\n", NULL, "line 1: '\"/usr/bin/qemu' is not an absolute path" },
	{ "qemu = ~/qemu\n", NULL, "line 1: '~/qemu' is not an absolute path" },
	{ "log_level = verbose\n", NULL,
	  "line 1: log_level 'verbose' is not one of error, warning, info, debug" },
	{ "log_level = DEBUG\n", NULL,
	  "line 1: log_level 'DEBUG' is not one of error, warning, info, debug" },
	{ "log_level = 3\n", NULL, "line 1: log_level '3' is not one of error, warning, info, debug" },
	{ "accel = kvm\naccel = hvf\n", NULL, "line 2: 'hvf' is not a valid value for accel" },
	/* No comments after a value: the '#' is part of it. */
	{ "accel = kvm # fast\n", NULL, "line 1: 'kvm # fast' is not a valid value for accel" },
	{ "accel =\n", NULL, "line 1: '' is not a valid value for accel" },
	{ "log_target = journal\n", NULL, "line 1: 'journal' is not a valid value for log_target" },
	{ "helper_user =\n", NULL, "line 1: '' is not a valid value for helper_user" },
	{ "helper_user = \"\"\n", NULL, "line 1: '' is not a valid value for helper_user" },
	{ "helper_user = abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl\n", NULL,
	  "line 1: 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl' is not "
	  "a valid value for helper_user" },
	{ "access = root, ferry-no-such-user\n", NULL,
	  "line 1: user 'ferry-no-such-user' does not exist" },
	{ "accel = kvm\n\nreadonly_access = @ferry-no-such-group\n", NULL,
	  "line 3: group 'ferry-no-such-group' does not exist" },
	{ NULL, long_list, "line 1: list of 1195 bytes is too long" },
	{ NULL, many_users, "line 1: more than 32 users" },
};

START_TEST(parse_refusals)
{
	const struct refusal *t = &refusals[_i];
	const char *text = t->text ? t->text : t->build();
	struct ferry_config c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(ferry_config_parse(&c, text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, t->err);
}
END_TEST

START_TEST(parse_long_lines)
{
	struct ferry_config c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	/* 2047 bytes is the longest line taken, comment or setting. */
	parse_ok(&c, long_line(2047, "# "));
	parse_ok(&c, long_line(2047, "helper_dir = /"));
	ck_assert_uint_eq(strlen(c.helper_dir), 2047 - strlen("helper_dir = "));
	ck_assert_int_eq(ferry_config_parse(&c, long_line(2048, "# "), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "line 2: longer than 2047 bytes");
	ck_assert_int_eq(ferry_config_parse(&c, long_line(3000, "qemu = /"), err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "line 2: longer than 2047 bytes");
}
END_TEST

/* A short error buffer gets a cut, terminated message; nothing is written past it. */
START_TEST(parse_short_error_buffer)
{
	struct ferry_config c;
	char err[16];

	memset(&c, 0, sizeof(c));
	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(ferry_config_parse(&c, "bogus = 1\n", err, 8), -EINVAL);
	ck_assert_str_eq(err, "line 1:");
	for (size_t i = 8; i < sizeof(err); i++)
		ck_assert_int_eq(err[i], 'Z');
}
END_TEST

START_TEST(load_named_file)
{
	struct ferry_config c;
	char dir[64], path[128], err[512] = "", want[640];

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	write_file(path, "runtime_dir = /srv/run\naccel = kvm\n", 35);
	defaults_or_fail(&c);
	ck_assert_msg(ferry_config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.file, path);
	ck_assert_str_eq(c.runtime_dir, "/srv/run");
	ck_assert_str_eq(c.accel, "kvm");
	/* Loading starts from the defaults: what the file leaves out is default. */
	ck_assert_str_eq(c.helper_user, "nobody");
	ck_assert_int_eq(c.log_level, FERRY_LOG_INFO);

	/* A refusal names the file and the line. */
	write_file(path, "accel = kvm\nbogus = 1\n", 22);
	ck_assert_int_eq(ferry_config_load(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: line 2: unknown setting 'bogus'", path);
	ck_assert_str_eq(err, want);

	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(load_missing_named_file)
{
	struct ferry_config c;
	char dir[64], path[128], err[512] = "", want[640];

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/no-such.conf", dir);
	defaults_or_fail(&c);
	/* Unlike the default file, a named one must exist. */
	ck_assert_int_eq(ferry_config_load(&c, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);

	/* A directory opens but does not read. */
	ck_assert_int_eq(ferry_config_load(&c, dir, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: %s", dir, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(load_size_limit)
{
	struct ferry_config c;
	char dir[64], path[128], err[512] = "", want[640];
	size_t size = FERRY_CONFIG_MAX_FILE + 1;
	char *text = malloc(FERRY_CONFIG_MAX_FILE + 64);

	ck_assert_ptr_nonnull(text);
	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	/* Comment lines of 64 bytes, ending in a setting: exactly 64 KiB is taken. */
	for (size_t off = 0; off < size; off += 64) {
		memset(text + off, '#', 63);
		text[off + 63] = '\n';
	}
	text[FERRY_CONFIG_MAX_FILE - 13] = '\n';
	memcpy(text + FERRY_CONFIG_MAX_FILE - 12, "accel = tcg\n", 12);
	write_file(path, text, FERRY_CONFIG_MAX_FILE);
	defaults_or_fail(&c);
	ck_assert_msg(ferry_config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.accel, "tcg");

	/* One byte more is refused before anything of it is applied. */
	text[FERRY_CONFIG_MAX_FILE] = '\n';
	write_file(path, text, size);
	defaults_or_fail(&c);
	ck_assert_int_eq(ferry_config_load(&c, path, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 64 KiB", path);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(c.accel, "auto");
	ck_assert_str_eq(c.file, "");

	free(text);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Root's default file is optional: without it, the defaults and no file named. */
START_TEST(load_default_file_as_root)
{
	struct ferry_config c;
	char err[512] = "", path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/ferry/ferryd.conf", FERRY_SYSCONFDIR);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "test-config: %s exists: not checking its absence\n", path);
		return;
	}
	ck_assert_msg(ferry_config_load(&c, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.file, "");
	ck_assert_str_eq(c.runtime_dir, "/run/ferry");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("defaults");

	tcase_add_loop_test(t, defaults_as_user, 0, ARRAY_SIZE(user_cases));
	tcase_add_test(t, default_file_as_user);
	if (geteuid() == 0) {
		tcase_add_test(t, defaults_as_root);
		tcase_add_test(t, load_default_file_as_root);
	} else {
		printf("# SKIP root's defaults: not running as root\n");
		/* Before Check forks, or every test's child would print it again. */
		fflush(stdout);
	}
	suite_add_tcase(s, t);

	t = tcase_create("parse");
	tcase_add_test(t, parse_every_key);
	tcase_add_test(t, parse_every_value);
	tcase_add_test(t, parse_quotes_comments_crlf);
	tcase_add_test(t, parse_later_lines_win);
	tcase_add_loop_test(t, parse_refusals, 0, ARRAY_SIZE(refusals));
	tcase_add_test(t, parse_long_lines);
	tcase_add_test(t, parse_short_error_buffer);
	suite_add_tcase(s, t);

	t = tcase_create("load");
	tcase_add_test(t, load_named_file);
	tcase_add_test(t, load_missing_named_file);
	tcase_add_test(t, load_size_limit);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

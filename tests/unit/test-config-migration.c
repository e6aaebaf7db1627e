/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-config-migration.c - ferryd's migration settings
 * (docs/ferryd.conf.md): migration_address, migration_ports and
 * migration_protocols, their defaults, every form they take and every
 * refusal with its line number. The rest of the file is test-config.c's.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/config.h"
#include "broker/daemon.h"
#include "broker/migrate.h"
#include "util.h"

#define BOTH ((1u << 2) | (1u << 3))

/* An ordinary user's defaults need a runtime dir; root's need nothing. */
static void defaults_or_fail(struct ferry_config *c)
{
	char err[256] = "";

	if (geteuid() != 0 && !getenv("XDG_RUNTIME_DIR"))
		setenv("XDG_RUNTIME_DIR", "/run/user/test", 1);
	ck_assert_msg(ferry_config_defaults(c, err, sizeof(err)) == 0, "defaults: %s", err);
}

static void parse_ok(struct ferry_config *c, const char *text)
{
	char err[256] = "";
	int r = ferry_config_parse(c, text, err, sizeof(err));

	ck_assert_msg(r == 0, "parse of \"%s\": %d: %s", text, r, err);
}

START_TEST(defaults)
{
	_cleanup_free_ struct ferry_daemon *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	defaults_or_fail(&d->cfg);
	ck_assert_str_eq(d->cfg.migration_address, "127.0.0.1");
	ck_assert_uint_eq(d->cfg.migration_port_min, 49152);
	ck_assert_uint_eq(d->cfg.migration_port_max, 49215);
	ck_assert_uint_eq(d->cfg.migration_protocols, BOTH);
	ck_assert(ferry_migrate_speaks(d, 2));
	ck_assert(ferry_migrate_speaks(d, 3));

	/* A file that leaves the keys out keeps them. */
	parse_ok(&d->cfg, "accel = tcg\n# migration_ports = 2000-3000\n");
	ck_assert_str_eq(d->cfg.migration_address, "127.0.0.1");
	ck_assert_uint_eq(d->cfg.migration_port_min, 49152);
	ck_assert_uint_eq(d->cfg.migration_port_max, 49215);
	ck_assert_uint_eq(d->cfg.migration_protocols, BOTH);
}
END_TEST

START_TEST(every_key)
{
	_cleanup_free_ struct ferry_daemon *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	defaults_or_fail(&d->cfg);
	parse_ok(&d->cfg, "accel = kvm\n"
			  "migration_address = 192.0.2.10\n"
			  "  migration_ports=50000-50010  \r\n"
			  "migration_protocols = \"3\"\n");
	ck_assert_str_eq(d->cfg.migration_address, "192.0.2.10");
	ck_assert_uint_eq(d->cfg.migration_port_min, 50000);
	ck_assert_uint_eq(d->cfg.migration_port_max, 50010);
	ck_assert_uint_eq(d->cfg.migration_protocols, 1u << 3);
	ck_assert(!ferry_migrate_speaks(d, 2));
	ck_assert(ferry_migrate_speaks(d, 3));
	ck_assert_str_eq(d->cfg.accel, "kvm");

	/* A later line wins, and replaces rather than adds to the protocols. */
	parse_ok(&d->cfg, "migration_protocols = 2,3\nmigration_protocols = 2\n");
	ck_assert_uint_eq(d->cfg.migration_protocols, 1u << 2);
	ck_assert(ferry_migrate_speaks(d, 2));
	ck_assert(!ferry_migrate_speaks(d, 3));
}
END_TEST

static const char *const good_addresses[] = {
	"127.0.0.1", "0.0.0.0", "192.0.2.10", "255.255.255.255",
	"::1", "::", "2001:db8::5", "fe80::1:2", "::ffff:192.0.2.1",
	"2001:0db8:0000:0000:0000:ff00:0042:8329",
};

START_TEST(address_accepted)
{
	struct ferry_config c;
	char text[128];

	memset(&c, 0, sizeof(c));
	snprintf(text, sizeof(text), "migration_address = %s\n", good_addresses[_i]);
	parse_ok(&c, text);
	ck_assert_str_eq(c.migration_address, good_addresses[_i]);
	/* Quoted, the same. */
	memset(&c, 0, sizeof(c));
	snprintf(text, sizeof(text), "migration_address = \"%s\"", good_addresses[_i]);
	parse_ok(&c, text);
	ck_assert_str_eq(c.migration_address, good_addresses[_i]);
}
END_TEST

static const struct { const char *text; unsigned lo, hi; } good_ports[] = {
	{ "migration_ports = 49152-49215", 49152, 49215 },
	{ "migration_ports = 1024-65535", 1024, 65535 },
	{ "migration_ports = 50000-50000", 50000, 50000 },
	{ "migration_ports = \"2000-3000\"", 2000, 3000 },
	{ "\n\nmigration_ports = 65535-65535\n", 65535, 65535 },
};

START_TEST(ports_accepted)
{
	struct ferry_config c;

	memset(&c, 0, sizeof(c));
	parse_ok(&c, good_ports[_i].text);
	ck_assert_uint_eq(c.migration_port_min, good_ports[_i].lo);
	ck_assert_uint_eq(c.migration_port_max, good_ports[_i].hi);
}
END_TEST

static const struct { const char *text; unsigned bits; } good_protocols[] = {
	{ "migration_protocols = 2", 1u << 2 },
	{ "migration_protocols = 3", 1u << 3 },
	{ "migration_protocols = 2,3", BOTH },
	{ "migration_protocols = 3,2", BOTH },
	{ "migration_protocols = 2, 3", BOTH },
	{ "migration_protocols = \"2,3\"", BOTH },
};

START_TEST(protocols_accepted)
{
	struct ferry_config c;

	memset(&c, 0, sizeof(c));
	parse_ok(&c, good_protocols[_i].text);
	ck_assert_uint_eq(c.migration_protocols, good_protocols[_i].bits);
}
END_TEST

#define ADDR_64 "0000:0000:0000:0000:0000:0000:0000:0001.0000000000000000000000000"

static const struct { const char *text, *err; } refusals[] = {
	{ "migration_address = localhost\n",
	  "line 1: 'localhost' is not a valid value for migration_address" },
	{ "accel = kvm\nmigration_address = host.example\n",
	  "line 2: 'host.example' is not a valid value for migration_address" },
	{ "migration_address =\n", "line 1: '' is not a valid value for migration_address" },
	{ "migration_address = \"\"\n", "line 1: '' is not a valid value for migration_address" },
	{ "migration_address = [::1]\n",
	  "line 1: '[::1]' is not a valid value for migration_address" },
	{ "migration_address = fe80::1%eth0\n",
	  "line 1: 'fe80::1%eth0' is not a valid value for migration_address" },
	{ "migration_address = 127.0.0.1 \"x\"\n",
	  "line 1: '127.0.0.1 \"x\"' is not a valid value for migration_address" },
	{ "migration_address = 10.0.0.1/8\n",
	  "line 1: '10.0.0.1/8' is not a valid value for migration_address" },
	{ "migration_address = 10.0.0.1,10.0.0.2\n",
	  "line 1: '10.0.0.1,10.0.0.2' is not a valid value for migration_address" },
	{ "migration_address = " ADDR_64 "\n",
	  "line 1: '" ADDR_64 "' is not a valid value for migration_address" },
	{ "\n\n\nmigration_ports = 80-90\n",
	  "line 4: migration_ports '80-90' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 1023-2000\n",
	  "line 1: migration_ports '1023-2000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000-65536\n",
	  "line 1: migration_ports '2000-65536' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 3000-2999\n",
	  "line 1: migration_ports '3000-2999' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 50000\n",
	  "line 1: migration_ports '50000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports =\n", "line 1: migration_ports '' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000-\n",
	  "line 1: migration_ports '2000-' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = -3000\n",
	  "line 1: migration_ports '-3000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000--3000\n",
	  "line 1: migration_ports '2000--3000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000-3000-4000\n",
	  "line 1: migration_ports '2000-3000-4000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000 - 3000\n",
	  "line 1: migration_ports '2000 - 3000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = +2000-3000\n",
	  "line 1: migration_ports '+2000-3000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 0x800-0xc00\n",
	  "line 1: migration_ports '0x800-0xc00' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000:3000\n",
	  "line 1: migration_ports '2000:3000' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = 2000-99999999999999999999\n",
	  "line 1: migration_ports '2000-99999999999999999999' is not LOW-HIGH within 1024-65535" },
	{ "migration_protocols = 4\n", "line 1: migration_protocols '4' is not a list of 2 and 3" },
	{ "migration_protocols = 1\n", "line 1: migration_protocols '1' is not a list of 2 and 3" },
	{ "accel = tcg\nmigration_protocols = 2,4\n",
	  "line 2: migration_protocols '2,4' is not a list of 2 and 3" },
	{ "migration_protocols = 3,v2\n",
	  "line 1: migration_protocols '3,v2' is not a list of 2 and 3" },
	{ "migration_protocols =\n", "line 1: migration_protocols '' is not a list of 2 and 3" },
	{ "migration_protocols = ,\n", "line 1: migration_protocols ',' is not a list of 2 and 3" },
	{ "migration_protocols = two\n",
	  "line 1: migration_protocols 'two' is not a list of 2 and 3" },
	{ "migration_protocols = 2;3\n",
	  "line 1: migration_protocols '2;3' is not a list of 2 and 3" },
	{ "Migration_Ports = 2000-3000\n", "line 1: unknown setting 'Migration_Ports'" },
	{ "migration_port = 2000-3000\n", "line 1: unknown setting 'migration_port'" },
};

START_TEST(parse_refusals)
{
	struct ferry_config c;
	char err[256] = "";

	defaults_or_fail(&c);
	ck_assert_int_eq(ferry_config_parse(&c, refusals[_i].text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, refusals[_i].err);
	/* A refused value leaves the setting as it was. */
	ck_assert_str_eq(c.migration_address, "127.0.0.1");
	ck_assert_uint_eq(c.migration_port_min, 49152);
	ck_assert_uint_eq(c.migration_port_max, 49215);
	ck_assert_uint_eq(c.migration_protocols, BOTH);
}
END_TEST

/* 31 bytes, all that the port parser's buffer holds: a valid range, if nothing followed. */
#define PORTS_31 "1024-00000000000000000000002048"

/*
 * Values in the right alphabet that still do not say what the
 * documentation asks for: an IP literal, a port range, a list of 2 and 3.
 * Refused when the file is read, not when the first Prepare fails.
 */
static const struct { const char *text, *err; } strict_refusals[] = {
	{ "migration_address = 1.2.3\n",
	  "line 1: '1.2.3' is not a valid value for migration_address" },
	{ "migration_address = 1.2.3.4.5\n",
	  "line 1: '1.2.3.4.5' is not a valid value for migration_address" },
	{ "migration_address = 256.0.0.1\n",
	  "line 1: '256.0.0.1' is not a valid value for migration_address" },
	{ "migration_address = -\n", "line 1: '-' is not a valid value for migration_address" },
	{ "migration_address = :::\n", "line 1: ':::' is not a valid value for migration_address" },
	{ "migration_address = cafe\n",
	  "line 1: 'cafe' is not a valid value for migration_address" },
	/* Nothing past what the parser's buffer holds is dropped unread. */
	{ "migration_ports = " PORTS_31 "x\n",
	  "line 1: migration_ports '" PORTS_31 "x' is not LOW-HIGH within 1024-65535" },
	{ "migration_ports = " PORTS_31 "-9\n",
	  "line 1: migration_ports '" PORTS_31 "-9' is not LOW-HIGH within 1024-65535" },
	/* Not protocol 2 and 3, nor protocol 3. */
	{ "migration_protocols = 23\n",
	  "line 1: migration_protocols '23' is not a list of 2 and 3" },
	{ "migration_protocols = 33\n",
	  "line 1: migration_protocols '33' is not a list of 2 and 3" },
};

START_TEST(parse_strict_refusals)
{
	struct ferry_config c;
	char err[256] = "";

	ck_assert_uint_eq(strlen(PORTS_31), 31);
	defaults_or_fail(&c);
	ck_assert_int_eq(ferry_config_parse(&c, strict_refusals[_i].text, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, strict_refusals[_i].err);
	ck_assert_str_eq(c.migration_address, "127.0.0.1");
	ck_assert_uint_eq(c.migration_port_min, 49152);
	ck_assert_uint_eq(c.migration_port_max, 49215);
	ck_assert_uint_eq(c.migration_protocols, BOTH);
}
END_TEST

/* Through a file: the error names the file, then the line. */
START_TEST(load_file)
{
	static const char good[] = "# migration\nmigration_address = ::1\n"
				   "migration_ports = 60000-60063\nmigration_protocols = 2\n";
	static const char bad[] = "migration_address = ::1\n\nmigration_protocols = 2,4\n";
	struct ferry_config c;
	char dir[64], path[128], err[512] = "", want[640];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/ferry-config-migration-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	if (geteuid() != 0 && !getenv("XDG_RUNTIME_DIR"))
		setenv("XDG_RUNTIME_DIR", "/run/user/test", 1);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ferry_write_all(fd, good, strlen(good)), 0);
	close(fd);
	ck_assert_msg(ferry_config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.file, path);
	ck_assert_str_eq(c.migration_address, "::1");
	ck_assert_uint_eq(c.migration_port_min, 60000);
	ck_assert_uint_eq(c.migration_port_max, 60063);
	ck_assert_uint_eq(c.migration_protocols, 1u << 2);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ferry_write_all(fd, bad, strlen(bad)), 0);
	close(fd);
	ck_assert_int_eq(ferry_config_load(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: line 3: migration_protocols '2,4' is not a list of 2 and 3", path);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(c.file, "");

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *config_migration_suite(void)
{
	Suite *s = suite_create("config-migration");
	TCase *t = tcase_create("accepted");

	tcase_add_test(t, defaults);
	tcase_add_test(t, every_key);
	tcase_add_loop_test(t, address_accepted, 0, ARRAY_SIZE(good_addresses));
	tcase_add_loop_test(t, ports_accepted, 0, ARRAY_SIZE(good_ports));
	tcase_add_loop_test(t, protocols_accepted, 0, ARRAY_SIZE(good_protocols));
	tcase_add_test(t, load_file);
	suite_add_tcase(s, t);

	t = tcase_create("refused");
	tcase_add_loop_test(t, parse_refusals, 0, ARRAY_SIZE(refusals));
	tcase_add_loop_test(t, parse_strict_refusals, 0, ARRAY_SIZE(strict_refusals));
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_migration_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

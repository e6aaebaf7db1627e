/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-abi.c - the migration ABI stability check: a destination document
 * that differs from the source only in what the host sees is accepted;
 * every difference the guest would see is refused with a message that
 * gives the source value first and the destination value second.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "domain.h"
#include "driver.h"
#include "util.h"

static const char base_xml[] =
	"<domain type='kvm'>\n"
	"  <name>web-01</name>\n"
	"  <uuid>1b4e28ba-2fa1-41d2-883f-0016d3cca427</uuid>\n"
	"  <description>front end</description>\n"
	"  <memory unit='KiB'>1048576</memory>\n"
	"  <currentMemory unit='KiB'>524288</currentMemory>\n"
	"  <vcpu>2</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc'>hvm</type>\n"
	"    <loader type='rom'>/usr/share/qemu/qboot.rom</loader>\n"
	"    <kernel>/var/lib/ferry/vmlinuz</kernel>\n"
	"    <initrd>/var/lib/ferry/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0</cmdline>\n"
	"  </os>\n"
	"  <features><acpi/><apic/></features>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>destroy</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	"<source file='/var/lib/ferry/web-01.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
	"<source file='/var/lib/ferry/seed.raw'/><target dev='vdb' bus='virtio'/><readonly/>"
	"</disk>\n"
	"    <serial type='file'><source path='serial0.log'/><target port='0'/></serial>\n"
	"    <serial type='pty'><target port='1'/></serial>\n"
	"    <console type='pty'><target type='virtio' port='2'/></console>\n"
	"    <interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/>"
	"</interface>\n"
	"    <interface type='user'><mac address='52:54:00:12:34:57'/><model type='e1000'/>"
	"</interface>\n"
	"    <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>\n"
	"  </devices>\n"
	"  <seclabel type='dynamic' model='selinux' relabel='yes'/>\n"
	"</domain>\n";

static struct ferry_domain_def *parse_ok(const char *xml)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";
	int r = ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err));

	ck_assert_msg(r == 0, "parse failed (%d): %s\n%s", r, err, xml);
	return def;
}

/* @xml with each "old", "new" pair of the NULL-terminated list replaced once. */
static char *edit(const char *xml, const char *const *pairs)
{
	char *s = strdup(xml);

	ck_assert_ptr_nonnull(s);
	for (; pairs && pairs[0]; pairs += 2) {
		char *at = strstr(s, pairs[0]), *t;

		ck_assert_msg(at, "'%s' is not in the document", pairs[0]);
		ck_assert_msg(!strstr(at + 1, pairs[0]), "'%s' is there twice", pairs[0]);
		ck_assert_int_ge(asprintf(&t, "%.*s%s%s", (int)(at - s), s, pairs[1],
					  at + strlen(pairs[0])), 0);
		free(s);
		s = t;
	}
	return s;
}

/* Check the document @src_edits makes against the one @dst_edits makes. */
static int check(const char *const *src_edits, const char *const *dst_edits, char *err,
		 size_t errlen)
{
	_cleanup_free_ char *sx = edit(base_xml, src_edits), *dx = edit(base_xml, dst_edits);
	_cleanup_domain_ struct ferry_domain_def *src = parse_ok(sx), *dst = parse_ok(dx);

	return ferry_domain_abi_check(src, dst, err, errlen);
}

static void accepted(const char *const *src_edits, const char *const *dst_edits)
{
	char err[512] = "";
	int r = check(src_edits, dst_edits, err, sizeof(err));

	ck_assert_msg(r == 0, "refused (%d): %s", r, err);
}

static void refused(const char *const *src_edits, const char *const *dst_edits,
		    const char *want)
{
	char err[512] = "";

	ck_assert_int_eq(check(src_edits, dst_edits, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, want);
}

#define EDITS(...) ((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_identical)
{
	_cleanup_domain_ struct ferry_domain_def *a = parse_ok(base_xml), *b = parse_ok(base_xml);
	char err[256] = "unchanged";

	ck_assert_int_eq(ferry_domain_abi_check(a, a, err, sizeof(err)), 0);
	ck_assert_int_eq(ferry_domain_abi_check(a, b, err, sizeof(err)), 0);
	ck_assert_int_eq(ferry_domain_abi_check(b, a, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "unchanged");
}
END_TEST

/* What only the host sees may differ, one thing at a time. */
static const char *const *const host_only[] = {
	EDITS("/var/lib/ferry/web-01.qcow2", "/srv/images/web-01.qcow2",
	      "/var/lib/ferry/seed.raw", "/srv/images/seed.raw"),
	EDITS("serial0.log", "/var/log/ferry/web-01.serial"),
	EDITS("port='5901' autoport='no' listen='127.0.0.1'", "autoport='yes' listen='::1'"),
	EDITS("port='5901'", "port='5977'"),
	EDITS("/var/lib/ferry/vmlinuz", "/boot/vmlinuz-6.1",
	      "/var/lib/ferry/initrd.img", "/boot/initrd.img-6.1",
	      "console=ttyS0", "console=ttyS0 quiet"),
	EDITS("    <loader type='rom'>/usr/share/qemu/qboot.rom</loader>\n", "",
	      "    <kernel>/var/lib/ferry/vmlinuz</kernel>\n", "",
	      "    <initrd>/var/lib/ferry/initrd.img</initrd>\n", "",
	      "    <cmdline>console=ttyS0</cmdline>\n", ""),
	EDITS("/usr/share/qemu/qboot.rom", "/usr/share/seabios/bios-256k.bin"),
	EDITS("<seclabel type='dynamic' model='selinux' relabel='yes'/>",
	      "<seclabel type='static' model='selinux' relabel='no'>"
	      "<label>system_u:system_r:svirt_t:s0:c7,c9</label></seclabel>"),
	EDITS("  <seclabel type='dynamic' model='selinux' relabel='yes'/>\n", ""),
	EDITS("<description>front end</description>", "<description>moved</description>"),
	EDITS("  <description>front end</description>\n", ""),
	EDITS("<on_poweroff>destroy", "<on_poweroff>preserve",
	      "<on_reboot>restart", "<on_reboot>destroy",
	      "<on_crash>destroy", "<on_crash>coredump-restart"),
	/* Spelled differently, the same to the guest. */
	EDITS("<memory unit='KiB'>1048576", "<memory unit='GiB'>1",
	      "<currentMemory unit='KiB'>524288", "<currentMemory unit='MiB'>512"),
	EDITS("<interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/>",
	      "<interface type='user'><mac address='52:54:00:12:34:56'/>"),
};

START_TEST(test_host_only_differences)
{
	accepted(NULL, host_only[_i]);
	accepted(host_only[_i], NULL);
}
END_TEST

START_TEST(test_all_host_differences_at_once)
{
	accepted(NULL, EDITS("/var/lib/ferry/web-01.qcow2", "/srv/web-01.qcow2",
			     "serial0.log", "/srv/serial0.log",
			     "port='5901' autoport='no' listen='127.0.0.1'", "listen='0.0.0.0'",
			     "/var/lib/ferry/vmlinuz", "/srv/vmlinuz",
			     "relabel='yes'/>", "/>",
			     "front end", "back end",
			     "<on_crash>destroy", "<on_crash>preserve"));
}
END_TEST

/* No machine is q35 on the command line, so it is q35 here too. */
START_TEST(test_default_machine)
{
	static const char *const q35[] = { "machine='pc'", "machine='q35'", NULL };
	static const char *const none[] = { " machine='pc'", "", NULL };
	char err[256];

	accepted(q35, none);
	accepted(none, q35);
	ck_assert_int_eq(check(none, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "ABI mismatch: <os><type machine>: source has 'q35', "
			 "destination has 'pc'");
}
END_TEST

/* An absent <currentMemory> is all of <memory>. */
START_TEST(test_current_memory_default)
{
	static const char *const full[] = { "unit='KiB'>524288", "unit='KiB'>1048576", NULL };
	static const char *const absent[] = {
		"  <currentMemory unit='KiB'>524288</currentMemory>\n", "", NULL,
	};

	accepted(full, absent);
	refused(NULL, absent, "ABI mismatch: <currentMemory>: source has 524288 KiB, "
		"destination has 1048576 KiB");
}
END_TEST

struct abi_case {
	const char *const *dst;
	const char *msg;
};

static const struct abi_case guest_visible[] = {
	{ EDITS("<domain type='kvm'>", "<domain type='qemu'>"),
	  "ABI mismatch: <domain type>: source has 'kvm', destination has 'qemu'" },
	{ EDITS("<name>web-01</name>", "<name>web-02</name>"),
	  "ABI mismatch: <name>: source has 'web-01', destination has 'web-02'" },
	{ EDITS("cca427", "cca428"),
	  "ABI mismatch: <uuid>: source has '1b4e28ba-2fa1-41d2-883f-0016d3cca427', "
	  "destination has '1b4e28ba-2fa1-41d2-883f-0016d3cca428'" },
	{ EDITS("<memory unit='KiB'>1048576", "<memory unit='KiB'>524288"),
	  "ABI mismatch: <memory>: source has 1048576 KiB, destination has 524288 KiB" },
	{ EDITS("<currentMemory unit='KiB'>524288", "<currentMemory unit='KiB'>262144"),
	  "ABI mismatch: <currentMemory>: source has 524288 KiB, destination has 262144 KiB" },
	{ EDITS("<vcpu>2</vcpu>", "<vcpu>4</vcpu>"),
	  "ABI mismatch: <vcpu>: source has 2, destination has 4" },
	{ EDITS("machine='pc'", "machine='q35'"),
	  "ABI mismatch: <os><type machine>: source has 'pc', destination has 'q35'" },
	{ EDITS("machine='pc'", "machine='pc-i440fx-7.2'"),
	  "ABI mismatch: <os><type machine>: source has 'pc', destination has 'pc-i440fx-7.2'" },
	{ EDITS("<acpi/><apic/>", "<apic/>"),
	  "ABI mismatch: <features><acpi/>: source has yes, destination has no" },
	{ EDITS("<acpi/><apic/>", "<acpi/>"),
	  "ABI mismatch: <features><apic/>: source has yes, destination has no" },
	{ EDITS("<acpi/><apic/>", "<acpi/><apic/><pae/>"),
	  "ABI mismatch: <features><pae/>: source has no, destination has yes" },
	{ EDITS("<target dev='vdb' bus='virtio'/><readonly/>", "<target dev='vdb'/><readonly/>"
		"</disk><disk type='file'><driver type='raw'/><source file='/x.raw'/>"
		"<target dev='vdc'/>"),
	  "ABI mismatch: <devices>: source has 2 disks, destination has 3" },
	{ EDITS("<target dev='vdb' bus='virtio'/><readonly/>", "<target dev='sdb' bus='sata'/>"),
	  "ABI mismatch: disk 1 (vdb): <target bus>: source has 'virtio', destination has 'sata'" },
	{ EDITS("<target dev='vdb' bus='virtio'/>", "<target dev='vdc' bus='virtio'/>"),
	  "ABI mismatch: disk 1 (vdb): <target dev>: source has 'vdb', destination has 'vdc'" },
	{ EDITS("type='qcow2'", "type='raw'"),
	  "ABI mismatch: disk 0 (vda): <driver type>: source has 'qcow2', destination has 'raw'" },
	{ EDITS("<readonly/>", ""),
	  "ABI mismatch: disk 1 (vdb): <readonly/>: source has yes, destination has no" },
	{ EDITS("    <serial type='pty'><target port='1'/></serial>\n", ""),
	  "ABI mismatch: <devices>: source has 2 serials, destination has 1" },
	{ EDITS("<serial type='pty'><target port='1'/>",
		"<serial type='file'><source path='s1.log'/><target port='1'/>"),
	  "ABI mismatch: serial 1: <serial type>: source has 'pty', destination has 'file'" },
	{ EDITS("<target port='1'/>", "<target port='3'/>"),
	  "ABI mismatch: serial 1: <target port>: source has 1, destination has 3" },
	{ EDITS("port='2'/></console>",
		"port='2'/></console><console type='pty'><target type='virtio'/></console>"),
	  "ABI mismatch: <devices>: source has 1 console, destination has 2" },
	{ EDITS("<console type='pty'><target", "<console type='file'><source path='c.log'/><target"),
	  "ABI mismatch: console 0: <console type>: source has 'pty', destination has 'file'" },
	{ EDITS("type='virtio' port='2'", "type='serial' port='2'"),
	  "ABI mismatch: console 0: <target type>: source has 'virtio', destination has 'serial'" },
	{ EDITS("type='virtio' port='2'", "type='virtio' port='3'"),
	  "ABI mismatch: console 0: <target port>: source has 2, destination has 3" },
	{ EDITS("    <interface type='user'><mac address='52:54:00:12:34:57'/>"
		"<model type='e1000'/></interface>\n", ""),
	  "ABI mismatch: <devices>: source has 2 interfaces, destination has 1" },
	{ EDITS("<interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/>"
		"</interface>", "<interface type='none'/>"),
	  "ABI mismatch: interface 0: <interface type>: source has 'user', destination has 'none'" },
	{ EDITS("<model type='e1000'/>", "<model type='virtio'/>"),
	  "ABI mismatch: interface 1: <model type>: source has 'e1000', destination has 'virtio'" },
	{ EDITS("<model type='e1000'/>", ""),
	  "ABI mismatch: interface 1: <model type>: source has 'e1000', destination has 'virtio'" },
	{ EDITS("52:54:00:12:34:56", "52:54:00:12:34:99"),
	  "ABI mismatch: interface 0: <mac address>: source has '52:54:00:12:34:56', "
	  "destination has '52:54:00:12:34:99'" },
	{ EDITS("    <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>\n", ""),
	  "ABI mismatch: <graphics type>: source has 'vnc', destination has none" },
};

START_TEST(test_guest_visible_differences)
{
	refused(NULL, guest_visible[_i].dst, guest_visible[_i].msg);
}
END_TEST

/*
 * The same pairs the other way round: the base document is now the
 * destination, so its values must come second. A check that printed
 * destination first would pass one direction of each pair, never both.
 */
static const struct abi_case reversed[] = {
	{ EDITS("<vcpu>2</vcpu>", "<vcpu>4</vcpu>"),
	  "ABI mismatch: <vcpu>: source has 4, destination has 2" },
	{ EDITS("<memory unit='KiB'>1048576", "<memory unit='KiB'>524288"),
	  "ABI mismatch: <memory>: source has 524288 KiB, destination has 1048576 KiB" },
	{ EDITS("machine='pc'", "machine='q35'"),
	  "ABI mismatch: <os><type machine>: source has 'q35', destination has 'pc'" },
	{ EDITS("    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
		"<source file='/var/lib/ferry/seed.raw'/><target dev='vdb' bus='virtio'/><readonly/>"
		"</disk>\n", ""),
	  "ABI mismatch: <devices>: source has 1 disk, destination has 2" },
	{ EDITS("<target dev='vdb' bus='virtio'/><readonly/>", "<target dev='sdb' bus='sata'/>"),
	  "ABI mismatch: disk 1 (sdb): <target bus>: source has 'sata', destination has 'virtio'" },
	{ EDITS("    <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>\n", ""),
	  "ABI mismatch: <graphics type>: source has none, destination has 'vnc'" },
};

START_TEST(test_source_first)
{
	refused(reversed[_i].dst, NULL, reversed[_i].msg);
}
END_TEST

/* The first difference in document order is the one reported. */
START_TEST(test_first_difference)
{
	refused(NULL, EDITS("<vcpu>2</vcpu>", "<vcpu>4</vcpu>", "type='qcow2'", "type='raw'"),
		"ABI mismatch: <vcpu>: source has 2, destination has 4");
}
END_TEST

START_TEST(test_error_buffer)
{
	static const char *const more[] = { "<vcpu>2</vcpu>", "<vcpu>4</vcpu>", NULL };
	char small[20];

	ck_assert_int_eq(check(NULL, more, NULL, 0), -EINVAL);
	ck_assert_int_eq(check(NULL, more, small, 1), -EINVAL);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(check(NULL, more, small, sizeof(small)), -EINVAL);
	ck_assert_str_eq(small, "ABI mismatch: <vcpu");
}
END_TEST

START_TEST(test_driver_operation)
{
	_cleanup_domain_ struct ferry_domain_def *a = parse_ok(base_xml), *b = parse_ok(base_xml);
	const struct ferry_hv_driver *drv = ferry_hv_driver_for_type("kvm");
	char err[256];

	ck_assert_ptr_nonnull(drv);
	ck_assert_ptr_nonnull(drv->abi_check);
	ck_assert_int_eq(drv->abi_check(a, b, err, sizeof(err)), 0);
	b->vcpus = 1;
	ck_assert_int_eq(drv->abi_check(a, b, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "ABI mismatch: <vcpu>: source has 2, destination has 1");
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("abi");

	tcase_add_test(tc, test_identical);
	tcase_add_loop_test(tc, test_host_only_differences, 0, ARRAY_SIZE(host_only));
	tcase_add_test(tc, test_all_host_differences_at_once);
	tcase_add_test(tc, test_default_machine);
	tcase_add_test(tc, test_current_memory_default);
	tcase_add_loop_test(tc, test_guest_visible_differences, 0, ARRAY_SIZE(guest_visible));
	tcase_add_loop_test(tc, test_source_first, 0, ARRAY_SIZE(reversed));
	tcase_add_test(tc, test_first_difference);
	tcase_add_test(tc, test_error_buffer);
	tcase_add_test(tc, test_driver_operation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-qemu-argv.c - the QEMU command line for a domain, argument by
 * argument; comma escaping; the driver table.
 *
 * Built with -DQEMU_LIVE it is instead the "qemu" suite's test: it starts
 * the real emulator with a built command line and the QMP socketpair end,
 * asks query-status and query-block, and quits it. It skips when QEMU is
 * not installed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain.h"
#include "driver.h"
#include "qemu-argv.h"
#include "util.h"

#define UUID "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
#define HEAD(name) "<domain type='kvm'><name>" name "</name><uuid>" UUID "</uuid>" \
	"<memory unit='MiB'>512</memory><os><type>hvm</type></os>"

#ifndef QEMU_LIVE
static struct ferry_domain_def *parse(const char *xml)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";

	ck_assert_msg(ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err)) == 0,
		      "%s\n%s", err, xml);
	return def;
}

static const struct ferry_qemu_launch launch_default = {
	.qmp_fd = 3,
	.qmp_connected = true,
	.private_dir = "/run/ferry/domains/g",
};

static char **build(const char *xml, const struct ferry_qemu_launch *l)
{
	_cleanup_domain_ struct ferry_domain_def *def = parse(xml);
	char **argv = NULL;
	char err[512] = "";

	ck_assert_msg(ferry_qemu_build_argv(def, l, &argv, err, sizeof(err)) == 0, "%s", err);
	return argv;
}

static char *build_err(const char *xml, const struct ferry_qemu_launch *l, int want)
{
	_cleanup_domain_ struct ferry_domain_def *def = parse(xml);
	static char err[512];
	char **argv = NULL;

	ck_assert_int_eq(ferry_qemu_build_argv(def, l, &argv, err, sizeof(err)), want);
	ck_assert_ptr_null(argv);
	return err;
}

static void argv_eq(char **argv, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		ck_assert_msg(argv[i], "argv ends at %zu, expected \"%s\"", i, want[i]);
		ck_assert_msg(strcmp(argv[i], want[i]) == 0, "argv[%zu] is \"%s\", expected \"%s\"",
			      i, argv[i], want[i]);
	}
	ck_assert_msg(!argv[i], "argv goes on with \"%s\"", argv[i]);
}

/* The arguments after the first @flag in @argv, for the checks that want one part. */
static const char *after(char **argv, const char *flag, int nth)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], flag) == 0 && nth-- == 0)
			return argv[i + 1];
	return NULL;
}

static bool has(char **argv, const char *arg)
{
	for (size_t i = 0; argv[i]; i++)
		if (strcmp(argv[i], arg) == 0)
			return true;
	return false;
}

#define COMMON_HEAD(name, accel)						\
	"/usr/bin/qemu-system-x86_64",						\
	"-name", "guest=" name ",debug-threads=on",				\
	"-S",									\
	"-uuid", UUID,								\
	"-msg", "timestamp=on",							\
	"-no-user-config",							\
	"-nodefaults",								\
	"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", \
	"-accel", accel

#define SAMPLE(type) \
	"<domain type='" type "'><name>web</name><uuid>" UUID "</uuid>" \
	"<memory unit='KiB'>1048577</memory><vcpu>2</vcpu>" \
	"<os><type machine='q35'>hvm</type><kernel>/boot/vmlinuz</kernel>" \
	"<initrd>/boot/initrd,1</initrd><cmdline>console=ttyS0,115200 root=/dev/vda</cmdline></os>" \
	"<features><acpi/></features><on_reboot>destroy</on_reboot>" \
	"<devices>" \
	"<disk type='file'><driver type='qcow2'/><source file='/img/web,1.qcow2'/>" \
	"<target dev='vda'/></disk>" \
	"<serial type='file'><source path='console,0.log'/></serial>" \
	"<interface type='user'><mac address='52:54:00:12:34:56'/></interface>" \
	"</devices></domain>"

static const char *const sample_tail[] = {
	"-machine", "q35,usb=off,dump-guest-core=off,acpi=on",
	"-m", "size=1025M",
	"-smp", "2",
	"-chardev", "socket,id=charmonitor,fd=3",
	"-mon", "chardev=charmonitor,id=monitor,mode=control",
	"-no-shutdown",
	"-no-reboot",
	"-kernel", "/boot/vmlinuz",
	"-initrd", "/boot/initrd,1",
	"-append", "console=ttyS0,115200 root=/dev/vda",
	"-blockdev", "{\"driver\":\"file\",\"filename\":\"/img/web,1.qcow2\","
		     "\"node-name\":\"file-vda\",\"read-only\":false}",
	"-blockdev", "{\"driver\":\"qcow2\",\"file\":\"file-vda\",\"node-name\":\"drive-vda\","
		     "\"read-only\":false,\"backing\":null}",
	"-device", "virtio-blk-pci,drive=drive-vda,id=disk-vda",
	"-netdev", "user,id=hostnet0",
	"-device", "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:12:34:56",
	"-chardev", "file,id=charserial0,path=/run/ferry/domains/g/console,,0.log",
	"-device", "isa-serial,chardev=charserial0,id=serial0,index=0",
	"-display", "none",
	NULL,
};

static void sample_argv(const char *accel_arg, const char *accel)
{
	struct ferry_qemu_launch l = launch_default;
	const char *head[] = { COMMON_HEAD("web", "") };
	const char *want[ARRAY_SIZE(head) + ARRAY_SIZE(sample_tail)];
	char **argv;

	head[ARRAY_SIZE(head) - 1] = accel;
	memcpy(want, head, sizeof(head));
	memcpy(want + ARRAY_SIZE(head), sample_tail, sizeof(sample_tail));
	l.accel = accel_arg;
	argv = build(SAMPLE("kvm"), &l);
	argv_eq(argv, want);
	ferry_qemu_argv_free(argv);
}

START_TEST(test_sample_kvm)
{
	sample_argv(NULL, "kvm");	/* type='kvm' picks it */
	sample_argv("kvm", "kvm");
}
END_TEST

START_TEST(test_sample_tcg)
{
	char **argv;

	sample_argv("tcg", "tcg");	/* the caller's fallback when KVM is unusable */
	argv = build(SAMPLE("qemu"), &launch_default);
	ck_assert_str_eq(after(argv, "-accel", 0), "tcg");
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_minimal)
{
	static const char *const want[] = {
		COMMON_HEAD("m", "kvm"),
		"-machine", "q35,usb=off,dump-guest-core=off,acpi=off",
		"-m", "size=512M",
		"-smp", "1",
		"-chardev", "socket,id=charmonitor,fd=3",
		"-mon", "chardev=charmonitor,id=monitor,mode=control",
		"-no-shutdown",
		"-display", "none",
		NULL,
	};
	char **argv = build(HEAD("m") "</domain>", &launch_default);

	argv_eq(argv, want);
	ferry_qemu_argv_free(argv);
}
END_TEST

/* A ROM loader comes before the kernel, whole, as -bios. */
START_TEST(test_loader)
{
	char **argv = build("<domain type='kvm'><name>l</name><uuid>" UUID "</uuid>"
			    "<memory unit='MiB'>512</memory><os><type>hvm</type>"
			    "<loader type='rom'>/fw/q,boot.rom</loader><kernel>/k</kernel></os>"
			    "</domain>", &launch_default);

	ck_assert_str_eq(after(argv, "-bios", 0), "/fw/q,boot.rom");
	ck_assert_str_eq(after(argv, "-kernel", 0), "/k");
	ferry_qemu_argv_free(argv);
	argv = build(HEAD("n") "</domain>", &launch_default);
	ck_assert(!has(argv, "-bios"));
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_qmp_forms)
{
	struct ferry_qemu_launch l = launch_default;
	const char *xml = HEAD("q") "</domain>";
	char **argv = build(xml, &l);

	ck_assert_str_eq(after(argv, "-chardev", 0), "socket,id=charmonitor,fd=3");
	ck_assert_str_eq(after(argv, "-mon", 0), "chardev=charmonitor,id=monitor,mode=control");
	ferry_qemu_argv_free(argv);
	l.qmp_connected = false;
	l.qmp_fd = 5;
	argv = build(xml, &l);
	ck_assert_str_eq(after(argv, "-chardev", 0), "socket,id=charmonitor,fd=5,server=on,wait=off");
	ferry_qemu_argv_free(argv);
	l.qmp_fd = -1;
	argv = build(xml, &l);
	ck_assert_str_eq(after(argv, "-chardev", 0), "socket,id=charmonitor,"
			 "path=/run/ferry/domains/g/monitor.sock,server=on,wait=off");
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_escape_opt)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" }, { "plain", "plain" }, { "a,b", "a,,b" }, { ",", ",," },
		{ ",,,", ",,,,,," }, { "/a,b/c,d,", "/a,,b/c,,d,," }, { "x=y", "x=y" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *s = ferry_qemu_escape_opt(cases[i].in);

		ck_assert_str_eq(s, cases[i].out);
	}
}
END_TEST

START_TEST(test_commas_in_paths)
{
	struct ferry_qemu_launch l = launch_default;
	char **argv;

	l.private_dir = "/run/ferry/a,b";
	argv = build(HEAD("c") "<devices><serial type='file'><source path='s,0.log'/></serial>"
		     "<serial type='file'><source path='/var/log/x,,y'/></serial>"
		     "<disk type='file'><driver type='raw'/><source file='/i/a,b\"c\\d'/>"
		     "<target dev='vda'/></disk></devices></domain>", &l);
	ck_assert_str_eq(after(argv, "-chardev", 1), "file,id=charserial0,path=/run/ferry/a,,b/s,,0.log");
	ck_assert_str_eq(after(argv, "-chardev", 2), "file,id=charserial1,path=/var/log/x,,,,y");
	/* In JSON a comma is just a character; quotes and backslashes are escaped. */
	ck_assert_str_eq(after(argv, "-blockdev", 0), "{\"driver\":\"file\",\"filename\":"
			 "\"/i/a,b\\\"c\\\\d\",\"node-name\":\"file-vda\",\"read-only\":false}");
	ferry_qemu_argv_free(argv);
	/* A socket fallback path is escaped too. */
	l.qmp_fd = -1;
	argv = build(HEAD("c") "</domain>", &l);
	ck_assert_str_eq(after(argv, "-chardev", 0),
			 "socket,id=charmonitor,path=/run/ferry/a,,b/monitor.sock,server=on,wait=off");
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_disk_formats_and_buses)
{
	char **argv = build(HEAD("d") "<devices>"
			    "<disk type='file'><driver type='raw'/><source file='/r'/>"
			    "<target dev='vdb'/><readonly/></disk>"
			    "<disk type='file'><driver type='qcow2'/><source file='/q'/>"
			    "<target dev='sdc'/></disk></devices></domain>", &launch_default);

	ck_assert_str_eq(after(argv, "-blockdev", 0), "{\"driver\":\"file\",\"filename\":\"/r\","
			 "\"node-name\":\"file-vdb\",\"read-only\":true}");
	/* raw has no backing to switch off; only qcow2 gets "backing": null. */
	ck_assert_str_eq(after(argv, "-blockdev", 1), "{\"driver\":\"raw\",\"file\":\"file-vdb\","
			 "\"node-name\":\"drive-vdb\",\"read-only\":true}");
	ck_assert_str_eq(after(argv, "-blockdev", 3), "{\"driver\":\"qcow2\",\"file\":\"file-sdc\","
			 "\"node-name\":\"drive-sdc\",\"read-only\":false,\"backing\":null}");
	/* q35: its own AHCI, ports ide.0 to ide.5. */
	ck_assert_str_eq(after(argv, "-device", 1), "ide-hd,bus=ide.2,drive=drive-sdc,id=disk-sdc");
	ck_assert(!has(argv, "ahci,id=sata0"));
	ferry_qemu_argv_free(argv);

	argv = build("<domain type='qemu'><name>p</name><uuid>" UUID "</uuid><memory>1024</memory>"
		     "<os><type machine='pc-i440fx-7.2'>hvm</type></os><devices>"
		     "<disk type='file'><driver type='raw'/><source file='/h'/><target dev='hdc'/></disk>"
		     "<disk type='file'><driver type='raw'/><source file='/s'/><target dev='sdf'/></disk>"
		     "<disk type='file'><driver type='raw'/><source file='/t'/><target dev='sda'/></disk>"
		     "</devices></domain>", &launch_default);
	ck_assert_str_eq(after(argv, "-machine", 0), "pc-i440fx-7.2,usb=off,dump-guest-core=off,acpi=off");
	ck_assert_str_eq(after(argv, "-m", 0), "size=1M");
	/* i440fx: one AHCI added, before the first disk that needs it. */
	ck_assert_str_eq(after(argv, "-device", 0), "ahci,id=sata0");
	ck_assert_str_eq(after(argv, "-device", 1), "ide-hd,bus=ide.1,unit=0,drive=drive-hdc,id=disk-hdc");
	ck_assert_str_eq(after(argv, "-device", 2), "ide-hd,bus=sata0.5,drive=drive-sdf,id=disk-sdf");
	ck_assert_str_eq(after(argv, "-device", 3), "ide-hd,bus=sata0.0,drive=drive-sda,id=disk-sda");
	ck_assert_ptr_null(after(argv, "-device", 4));
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_vnc)
{
	struct ferry_qemu_launch l = launch_default;
	char **argv = build(HEAD("v") "<devices><graphics type='vnc' port='5907' autoport='no' "
			    "listen='0.0.0.0'/></devices></domain>", &l);

	ck_assert_str_eq(after(argv, "-vnc", 0), "0.0.0.0:7");
	ck_assert_str_eq(after(argv, "-device", 0), "VGA,id=video0");
	ck_assert(!has(argv, "-display"));
	ferry_qemu_argv_free(argv);

	l.vnc_port = 5999;
	argv = build(HEAD("v") "<devices><graphics type='vnc'/></devices></domain>", &l);
	ck_assert_str_eq(after(argv, "-vnc", 0), "127.0.0.1:99");
	ferry_qemu_argv_free(argv);
	argv = build(HEAD("v") "<devices><graphics type='vnc' listen='::1'/></devices></domain>", &l);
	ck_assert_str_eq(after(argv, "-vnc", 0), "[::1]:99");
	ferry_qemu_argv_free(argv);

	l.vnc_port = 0;
	ck_assert_str_eq(build_err(HEAD("v") "<devices><graphics type='vnc'/></devices></domain>",
				   &l, -EINVAL),
			 "graphics: autoport needs a VNC port from 5900 to 65535 chosen by the "
			 "caller, not 0");
}
END_TEST

START_TEST(test_interfaces)
{
	char **argv = build(HEAD("n") "<devices><interface type='none'/>"
			    "<interface type='user'><mac address='52:54:00:aa:bb:cc'/>"
			    "<model type='e1000'/></interface></devices></domain>", &launch_default);

	/* 'none' adds nothing, but keeps its index: the next one is still net1. */
	ck_assert_str_eq(after(argv, "-netdev", 0), "user,id=hostnet1");
	ck_assert_ptr_null(after(argv, "-netdev", 1));
	ck_assert_str_eq(after(argv, "-device", 0), "e1000,netdev=hostnet1,id=net1,mac=52:54:00:aa:bb:cc");
	ferry_qemu_argv_free(argv);
	argv = build(HEAD("n") "<devices><interface type='none'/></devices></domain>", &launch_default);
	ck_assert(!has(argv, "-netdev"));
	ck_assert(!has(argv, "-device"));
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_serials_and_consoles)
{
	static const char *const want_tail[] = {
		"-chardev", "pty,id=charserial0",
		"-device", "isa-serial,chardev=charserial0,id=serial0,index=0",
		"-chardev", "file,id=charserial1,path=/var/log/s1",
		"-device", "isa-serial,chardev=charserial1,id=serial1,index=2",
		"-device", "virtio-serial-pci,id=virtio-serial0",
		"-chardev", "pty,id=charconsole1",
		"-device", "virtconsole,chardev=charconsole1,id=console1",
		"-chardev", "file,id=charconsole2,path=/run/ferry/domains/g/c3",
		"-device", "isa-serial,chardev=charconsole2,id=console2,index=3",
		"-chardev", "pty,id=charconsole3",
		"-device", "virtconsole,chardev=charconsole3,id=console3",
		"-display", "none",
		NULL,
	};
	char **argv = build(HEAD("s") "<devices><serial type='pty'/>"
			    "<serial type='file'><source path='/var/log/s1'/><target port='2'/></serial>"
			    "<console type='pty'/>"	/* serial 0 itself: nothing more */
			    "<console type='pty'><target type='virtio'/></console>"
			    "<console type='file'><source path='c3'/><target port='3'/></console>"
			    "<console type='pty'><target type='virtio'/></console>"
			    "</devices></domain>", &launch_default);
	size_t i = 0;

	while (argv[i] && strcmp(argv[i], "-no-shutdown") != 0)
		i++;
	argv_eq(argv + i + 1, want_tail);
	ferry_qemu_argv_free(argv);
}
END_TEST

START_TEST(test_launch_options)
{
	struct ferry_qemu_launch l = launch_default;
	const char *xml = HEAD("l") "<devices><serial type='file'><source path='rel.log'/></serial>"
			  "</devices></domain>";
	char **argv;

	l.emulator = "/opt/qemu/bin/qemu-system-x86_64";
	l.incoming = "defer";
	argv = build(xml, &l);
	ck_assert_str_eq(argv[0], "/opt/qemu/bin/qemu-system-x86_64");
	ck_assert_str_eq(after(argv, "-incoming", 0), "defer");
	ck_assert_str_eq(argv[0], "/opt/qemu/bin/qemu-system-x86_64");
	ferry_qemu_argv_free(argv);

	l = launch_default;
	l.emulator = "qemu-system-x86_64";
	ck_assert_str_eq(build_err(xml, &l, -EINVAL),
			 "emulator qemu-system-x86_64 is not an absolute path");
	l = launch_default;
	l.accel = "hvf";
	ck_assert_str_eq(build_err(xml, &l, -EINVAL), "accelerator hvf is not kvm or tcg");
	l = launch_default;
	l.private_dir = NULL;
	ck_assert_str_eq(build_err(xml, &l, -EINVAL),
			 "serial: relative path rel.log needs a private directory");
	l.qmp_fd = -1;
	ck_assert_str_eq(build_err(xml, &l, -EINVAL),
			 "QMP: no monitor fd and no private directory for a socket");
	l = launch_default;
	l.private_dir = "run/x";
	ck_assert_str_eq(build_err(xml, &l, -EINVAL), "private directory run/x is not an absolute path");
	l = launch_default;
	l.qmp_fd = -1;
	l.private_dir = "/run/ferry/domains/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaa";
	ck_assert_ptr_nonnull(strstr(build_err(xml, &l, -EINVAL), "too long for a unix socket"));
	l = launch_default;
	l.incoming = "tcp:0 0";
	ck_assert_str_eq(build_err(xml, &l, -EINVAL), "incoming tcp:0 0 is empty or has blanks");
}
END_TEST

START_TEST(test_lifecycle_flags)
{
	static const struct {
		const char *on_reboot;
		bool no_reboot;
	} cases[] = {
		{ "destroy", true }, { "preserve", true }, { "coredump-destroy", true },
		{ "restart", false }, { "rename-restart", false }, { "coredump-restart", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char xml[512];
		char **argv;

		snprintf(xml, sizeof(xml), HEAD("r") "<on_poweroff>restart</on_poweroff>"
			 "<on_reboot>%s</on_reboot></domain>", cases[i].on_reboot);
		argv = build(xml, &launch_default);
		/* Power-off is always the broker's to handle. */
		ck_assert(has(argv, "-no-shutdown"));
		ck_assert_int_eq(has(argv, "-no-reboot"), cases[i].no_reboot);
		ferry_qemu_argv_free(argv);
	}
}
END_TEST

START_TEST(test_invalid_definition)
{
	_cleanup_domain_ struct ferry_domain_def *def = parse(HEAD("i") "</domain>");
	char **argv = NULL;
	char err[256];

	def->vcpus = 100;
	ck_assert_int_eq(ferry_qemu_build_argv(def, &launch_default, &argv, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "<vcpu>: 100 is not from 1 to 64");
	ck_assert_ptr_null(argv);
}
END_TEST

START_TEST(test_kvm_probe)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	/* Whatever the host: no /dev/kvm to open means no KVM. */
	if (fd < 0)
		ck_assert(!ferry_qemu_kvm_usable());
	else
		close(fd);
	ck_assert_int_eq(ferry_qemu_kvm_usable(), ferry_qemu_kvm_usable());
}
END_TEST

START_TEST(test_driver_table)
{
	const struct ferry_hv_driver *d = ferry_hv_driver_for_type("kvm");
	struct ferry_domain_def *def = NULL;
	const char *xml = HEAD("t") "</domain>";
	char err[256];
	char **argv;

	ck_assert_ptr_eq(d, &ferry_qemu_driver);
	ck_assert_ptr_eq(ferry_hv_driver_for_type("qemu"), &ferry_qemu_driver);
	ck_assert_ptr_null(ferry_hv_driver_for_type("xen"));
	ck_assert_ptr_null(ferry_hv_driver_for_type(NULL));
	ck_assert_str_eq(d->name, "qemu");
	ck_assert_int_eq(d->parse(xml, strlen(xml), &def, err, sizeof(err)), 0);
	ck_assert_int_eq(d->validate(def, err, sizeof(err)), 0);
	ck_assert(d->equal(def, def));
	ck_assert_int_eq(d->build_argv(def, &launch_default, &argv, err, sizeof(err)), 0);
	d->free_argv(argv);
	ck_assert(d->accel_usable == ferry_qemu_kvm_usable);
	ck_assert(d->format != NULL);
	d->free_def(def);
}
END_TEST

static Suite *argv_suite(void)
{
	Suite *s = suite_create("qemu-argv");
	TCase *tc = tcase_create("argv");

	tcase_add_test(tc, test_sample_kvm);
	tcase_add_test(tc, test_sample_tcg);
	tcase_add_test(tc, test_minimal);
	tcase_add_test(tc, test_loader);
	tcase_add_test(tc, test_qmp_forms);
	tcase_add_test(tc, test_escape_opt);
	tcase_add_test(tc, test_commas_in_paths);
	tcase_add_test(tc, test_disk_formats_and_buses);
	tcase_add_test(tc, test_vnc);
	tcase_add_test(tc, test_interfaces);
	tcase_add_test(tc, test_serials_and_consoles);
	tcase_add_test(tc, test_launch_options);
	tcase_add_test(tc, test_lifecycle_flags);
	tcase_add_test(tc, test_invalid_definition);
	tcase_add_test(tc, test_kvm_probe);
	tcase_add_test(tc, test_driver_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(argv_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
#else
extern char **environ;

/* Send one QMP command; the reply line, events skipped, in @reply. */
static int qmp(FILE *f, const char *cmd, char *reply, size_t len)
{
	if (fprintf(f, "{\"execute\":\"%s\"}\n", cmd) < 0 || fflush(f) != 0)
		return -EIO;
	while (fgets(reply, (int)len, f))
		if (!strstr(reply, "\"event\""))
			return strstr(reply, "\"return\"") ? 0 : -EPROTO;
	return -EIO;
}

/* The guest, paused, with a disk and a serial log whose paths have commas. */
static char **live_argv(const char *dir, bool connected)
{
	_cleanup_domain_ struct ferry_domain_def *def = NULL;
	struct ferry_qemu_launch l = {
		.accel = "tcg", .qmp_fd = 3, .qmp_connected = connected, .private_dir = dir,
	};
	char xml[1024], err[512], **argv = NULL;

	snprintf(xml, sizeof(xml), "<domain type='qemu'><name>live</name>"
		 "<memory unit='MiB'>64</memory><os><type machine='q35'>hvm</type></os><devices>"
		 "<disk type='file'><driver type='raw'/><source file='%s/disk,1.raw'/>"
		 "<target dev='vda'/></disk>"
		 "<serial type='file'><source path='serial,0.log'/></serial>"
		 "<interface type='user'/></devices></domain>", dir);
	if (ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err)) < 0 ||
	    ferry_qemu_build_argv(def, &l, &argv, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		return NULL;
	}
	return argv;
}

static pid_t live_spawn(char **argv, int qmp_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	/* dup2 onto 3 clears close-on-exec there; QEMU must not write on our TAP. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, qmp_fd, 3);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void tap(int *n, bool ok, const char *what, const char *form)
{
	printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", ++*n, form, what);
}

static int live_talk(int fd, const char *dir, const char *form, int *n)
{
	struct timeval tv = { .tv_sec = 20 };
	char line[4096], path[512];
	FILE *f;
	bool ok;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	f = fdopen(fd, "r+");
	ok = f && fgets(line, sizeof(line), f) && strstr(line, "\"QMP\"");
	tap(n, ok, "QMP greeting on the inherited fd", form);
	ok = ok && qmp(f, "qmp_capabilities", line, sizeof(line)) == 0 &&
	     qmp(f, "query-status", line, sizeof(line)) == 0 && strstr(line, "\"prelaunch\"");
	tap(n, ok, "paused before the guest ran (-S)", form);
	ok = ok && qmp(f, "query-block", line, sizeof(line)) == 0 && strstr(line, "\"drive-vda\"") &&
	     strstr(line, "disk,1.raw");
	tap(n, ok, "disk opened through -blockdev", form);
	snprintf(path, sizeof(path), "%s/serial,0.log", dir);
	ok = ok && access(path, F_OK) == 0;
	tap(n, ok, "serial log created in the private directory", form);
	ok = ok && qmp(f, "quit", line, sizeof(line)) == 0;
	tap(n, ok, "quit", form);
	if (f)
		fclose(f);
	else
		close(fd);
	return ok ? 0 : -1;
}

/* The child's end: a socketpair's, or a socket listening in @dir. */
static int live_fds(const char *dir, bool connected, int *ours, struct sockaddr_un *sa)
{
	int sv[2], fd;

	*ours = -1;
	if (connected) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		*ours = sv[0];
		fd = sv[1];
	} else {
		sa->sun_family = AF_UNIX;
		snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/qmp.sock", dir);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 1) < 0)
			return -1;
	}
	/* Keep it off fd 3, where dup2 would leave close-on-exec set. */
	if (fd == 3) {
		fd = fcntl(3, F_DUPFD_CLOEXEC, 10);
		close(3);
	}
	return fd;
}

static int live_run(const char *dir, bool connected, int *n)
{
	const char *form = connected ? "socketpair" : "listening socket";
	char **argv = live_argv(dir, connected);
	struct sockaddr_un sa;
	int ours, theirs, status = 0, r = -1;
	char log[512];
	pid_t pid = -1;

	/* Each run must create the log itself. */
	snprintf(log, sizeof(log), "%s/serial,0.log", dir);
	unlink(log);
	theirs = argv ? live_fds(dir, connected, &ours, &sa) : -1;
	if (theirs >= 0)
		pid = live_spawn(argv, theirs);
	if (theirs >= 0)
		close(theirs);
	if (pid > 0 && !connected) {
		ours = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (ours >= 0 && connect(ours, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(ours);
			ours = -1;
		}
	}
	if (pid > 0 && ours >= 0)
		r = live_talk(ours, dir, form, n);
	if (pid > 0 && (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			WEXITSTATUS(status) != 0))
		r = -1;
	while (*n % 6 != 5)
		tap(n, false, "not reached", form);
	tap(n, r == 0, "QEMU exited cleanly", form);
	ferry_qemu_argv_free(argv);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/ferry-qemu-live-XXXXXX", path[512];
	int fd, n = 0, r;

	if (access(FERRY_QEMU_DEFAULT_EMULATOR, X_OK) < 0) {
		printf("1..0 # SKIP %s is not installed\n", FERRY_QEMU_DEFAULT_EMULATOR);
		return 0;
	}
	printf("1..12\n");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/disk,1.raw", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		return 1;
	close(fd);
	r = live_run(dir, true, &n);
	r |= live_run(dir, false, &n);
	unlink(path);
	snprintf(path, sizeof(path), "%s/serial,0.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	unlink(path);
	rmdir(dir);
	return r == 0 ? 0 : 1;
}
#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-domain.c - reading domain XML: what each accepted element becomes,
 * the defaults a parsed definition gets, and every kind of refusal, whose
 * message must carry the line and name what was wrong.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "util.h"

#define MIN_BODY "<name>m</name><memory>1024</memory><os><type>hvm</type></os>"

static const char full_xml[] =
	"<domain type='kvm'>\n"						/* 1 */
	"  <name>web-01</name>\n"
	"  <uuid>1B4E28BA-2fa1-41d2-883f-0016d3cca427</uuid>\n"
	"  <description>Front end &amp; cache\nsecond line</description>\n"
	"  <memory unit='GiB'>2</memory>\n"				/* 6 */
	"  <currentMemory unit='MiB'>1024</currentMemory>\n"
	"  <vcpu placement='static'>2</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"	/* 10 */
	"    <kernel>/var/lib/ferry/vmlinuz</kernel>\n"
	"    <initrd>/var/lib/ferry/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0 root=/dev/vda</cmdline>\n"
	"  </os>\n"
	"  <features><acpi/><apic/><pae/></features>\n"		/* 15 */
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>coredump-restart</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"			/* 20 */
	"      <driver name='qemu' type='qcow2'/>\n"
	"      <source file='/var/lib/ferry/web,01.qcow2'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"    </disk>\n"
	"    <disk type='file'>\n"					/* 25 */
	"      <driver type='raw'/>\n"
	"      <source file='/var/lib/ferry/seed.raw'/>\n"
	"      <target dev='vdb'/>\n"
	"      <readonly/>\n"
	"    </disk>\n"							/* 30 */
	"    <disk type='file'><driver type='raw'/><source file='/d.raw'/>"
	"<target dev='sdc'/></disk>\n"
	"    <serial type='file'><source path='serial0.log'/><target port='0'/></serial>\n"
	"    <serial type='pty'><target type='isa-serial'/></serial>\n"
	"    <console type='file'><source path='serial0.log'/><target type='serial' port='0'/>"
	"</console>\n"
	"    <console type='pty'><target type='virtio'/></console>\n"	/* 35 */
	"    <interface type='user'><mac address='52:54:00:AB:cd:01'/><model type='virtio'/>"
	"</interface>\n"
	"    <interface type='user'><model type='e1000'/></interface>\n"
	"    <interface type='none'/>\n"
	"    <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'>\n"
	"      <listen type='address' address='127.0.0.1'/>\n"		/* 40 */
	"    </graphics>\n"
	"  </devices>\n"
	"  <seclabel type='static' model='selinux' relabel='yes'>\n"
	"    <label>system_u:system_r:svirt_t:s0:c1,c2</label>\n"
	"    <imagelabel>system_u:object_r:svirt_image_t:s0:c1,c2</imagelabel>\n"
	"  </seclabel>\n"
	"  <seclabel type='dynamic' model='dac'/>\n"
	"</domain>\n";

static struct ferry_domain_def *parse_ok(const char *xml)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";
	int r = ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err));

	ck_assert_msg(r == 0, "parse failed (%d): %s\n%s", r, err, xml);
	ck_assert_ptr_nonnull(def);
	return def;
}

/* The document is refused, and the message holds every NULL-terminated needle. */
static void refused(const char *xml, ...)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";
	const char *needle;
	va_list ap;
	int r = ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err));

	ck_assert_msg(r == -EINVAL, "accepted (%d) but should not be:\n%s", r, xml);
	ck_assert_ptr_null(def);
	va_start(ap, xml);
	while ((needle = va_arg(ap, const char *)))
		ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	va_end(ap);
}

/* A minimal domain with @extra after the required elements. */
static char *with(const char *extra)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "<domain type='kvm'>" MIN_BODY "%s</domain>", extra), 0);
	return s;
}

#define REFUSED_WITH(extra, ...) do {				\
		_cleanup_free_ char *_x = with(extra);		\
		refused(_x, __VA_ARGS__, NULL);			\
	} while (0)

START_TEST(test_full_document)
{
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(full_xml);
	char uuid[FERRY_UUID_STRLEN];

	ck_assert_int_eq(d->type, FERRY_VIRT_KVM);
	ck_assert_str_eq(d->name, "web-01");
	ferry_uuid_format(d->uuid, uuid);
	ck_assert_str_eq(uuid, "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
	ck_assert_str_eq(d->description, "Front end & cache\nsecond line");
	ck_assert_uint_eq(d->memory_kib, 2 * 1024 * 1024);
	ck_assert_uint_eq(d->current_memory_kib, 1024 * 1024);
	ck_assert_uint_eq(d->vcpus, 2);
	ck_assert_str_eq(d->machine, "pc-q35-7.2");
	ck_assert(!ferry_domain_machine_is_i440fx(d));
	ck_assert_str_eq(d->kernel, "/var/lib/ferry/vmlinuz");
	ck_assert_str_eq(d->initrd, "/var/lib/ferry/initrd.img");
	ck_assert_str_eq(d->cmdline, "console=ttyS0 root=/dev/vda");
	ck_assert_uint_eq(d->features, FERRY_FEATURE_ACPI | FERRY_FEATURE_APIC | FERRY_FEATURE_PAE);
	ck_assert_int_eq(d->on_poweroff, FERRY_LC_DESTROY);
	ck_assert_int_eq(d->on_reboot, FERRY_LC_RESTART);
	ck_assert_int_eq(d->on_crash, FERRY_LC_COREDUMP_RESTART);
	ck_assert_uint_eq(d->ndisks, 3);
	ck_assert_int_eq(d->disks[0].format, FERRY_DISK_QCOW2);
	ck_assert_int_eq(d->disks[0].bus, FERRY_BUS_VIRTIO);
	ck_assert_str_eq(d->disks[0].source, "/var/lib/ferry/web,01.qcow2");
	ck_assert_str_eq(d->disks[0].target, "vda");
	ck_assert(!d->disks[0].readonly);
	ck_assert(d->disks[1].readonly);
	ck_assert_int_eq(d->disks[1].bus, FERRY_BUS_VIRTIO);	/* from "vd" */
	ck_assert_int_eq(d->disks[2].bus, FERRY_BUS_SATA);	/* from "sd" */
	ck_assert_uint_eq(d->nserials, 2);
	ck_assert_int_eq(d->serials[0].type, FERRY_CHR_FILE);
	ck_assert_str_eq(d->serials[0].path, "serial0.log");
	ck_assert_int_eq(d->serials[1].type, FERRY_CHR_PTY);
	ck_assert_uint_eq(d->serials[1].port, 1);		/* numbered */
	ck_assert_uint_eq(d->nconsoles, 2);
	ck_assert_int_eq(d->consoles[0].target, FERRY_CONSOLE_SERIAL);
	ck_assert_int_eq(d->consoles[1].target, FERRY_CONSOLE_VIRTIO);
	ck_assert_uint_eq(d->consoles[1].port, 0);
	ck_assert_uint_eq(d->nnics, 3);
	ck_assert_mem_eq(d->nics[0].mac, "\x52\x54\x00\xab\xcd\x01", 6);
	ck_assert_int_eq(d->nics[0].model, FERRY_NET_MODEL_VIRTIO);
	ck_assert_int_eq(d->nics[1].model, FERRY_NET_MODEL_E1000);
	ck_assert_mem_eq(d->nics[1].mac, "\x52\x54\x00", 3);	/* generated */
	ck_assert_int_eq(d->nics[2].type, FERRY_NET_NONE);
	ck_assert(d->graphics.present);
	ck_assert(!d->graphics.autoport);
	ck_assert_int_eq(d->graphics.port, 5901);
	ck_assert_str_eq(d->graphics.listen, "127.0.0.1");
	ck_assert_uint_eq(d->nseclabels, 2);
	ck_assert_int_eq(d->seclabels[0].type, FERRY_SECLABEL_STATIC);
	ck_assert_int_eq(d->seclabels[0].model, FERRY_SECMODEL_SELINUX);
	ck_assert_int_eq(d->seclabels[0].relabel, FERRY_YES);
	ck_assert_str_eq(d->seclabels[0].label, "system_u:system_r:svirt_t:s0:c1,c2");
	ck_assert_str_eq(d->seclabels[0].imagelabel, "system_u:object_r:svirt_image_t:s0:c1,c2");
	ck_assert_int_eq(d->seclabels[1].type, FERRY_SECLABEL_DYNAMIC);
	ck_assert_int_eq(d->seclabels[1].model, FERRY_SECMODEL_DAC);
	ck_assert_int_eq(d->seclabels[1].relabel, FERRY_UNSET);
}
END_TEST

START_TEST(test_minimal_document)
{
	_cleanup_domain_ struct ferry_domain_def *a = parse_ok("<domain type='qemu'>" MIN_BODY
							       "</domain>");
	_cleanup_domain_ struct ferry_domain_def *b = parse_ok("<domain type='qemu'>" MIN_BODY
							       "</domain>");

	ck_assert_int_eq(a->type, FERRY_VIRT_QEMU);
	ck_assert_str_eq(a->name, "m");
	ck_assert_uint_eq(a->memory_kib, 1024);		/* no unit: KiB */
	ck_assert_uint_eq(a->current_memory_kib, 0);
	ck_assert_uint_eq(a->vcpus, 1);
	ck_assert_str_eq(a->machine, "");
	ck_assert_ptr_null(a->kernel);
	ck_assert_ptr_null(a->description);
	ck_assert_uint_eq(a->features, 0);
	ck_assert_int_eq(a->on_poweroff, FERRY_LC_UNSET);
	ck_assert_uint_eq(a->ndisks + a->nserials + a->nconsoles + a->nnics + a->nseclabels, 0);
	ck_assert(!a->graphics.present);
	/* A generated UUID is random and says it is: version 4, variant 1. */
	ck_assert_mem_ne(a->uuid, b->uuid, 16);
	ck_assert_uint_eq(a->uuid[6] >> 4, 4);
	ck_assert_uint_eq(a->uuid[8] >> 6, 2);
}
END_TEST

static const struct {
	const char *unit, *value;
	uint64_t kib;
} units[] = {
	{ NULL, "5", 5 },
	{ "b", "1024", 1 }, { "b", "1", 1 }, { "bytes", "1025", 2 },
	{ "k", "2", 2 }, { "KiB", "2", 2 }, { "KB", "1024", 1000 },
	{ "m", "1", 1024 }, { "MiB", "3", 3072 }, { "MB", "1", 977 },
	{ "g", "1", 1048576 }, { "GiB", "2", 2097152 }, { "GB", "1", 976563 },
	{ "t", "1", 1073741824 }, { "TiB", "2", 2147483648u }, { "TB", "1", 976562500 },
};

START_TEST(test_memory_units)
{
	char xml[512];

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		char attr[32] = "";

		if (units[i].unit)
			snprintf(attr, sizeof(attr), " unit='%s'", units[i].unit);
		snprintf(xml, sizeof(xml), "<domain type='kvm'><name>u</name>"
			 "<memory%s>%s</memory><currentMemory%s>%s</currentMemory>"
			 "<os><type>hvm</type></os></domain>", attr, units[i].value, attr,
			 units[i].value);
		{
			_cleanup_domain_ struct ferry_domain_def *d = parse_ok(xml);

			ck_assert_msg(d->memory_kib == units[i].kib, "%s %s: %llu KiB", units[i].value,
				      units[i].unit ? units[i].unit : "-",
				      (unsigned long long)d->memory_kib);
			ck_assert_uint_eq(d->current_memory_kib, units[i].kib);
		}
	}
}
END_TEST

START_TEST(test_memory_limits)
{
	refused("<domain type='kvm'><name>m</name>\n<memory unit='XB'>1</memory>"
		"<os><type>hvm</type></os></domain>",
		"line 2:", "<memory>", "unit 'XB' is not one of b, bytes, k, KiB", NULL);
	refused("<domain type='kvm'><name>m</name>\n<memory unit='kib'>1</memory>"
		"<os><type>hvm</type></os></domain>", "line 2:", "unit 'kib'", NULL);
	refused("<domain type='kvm'><name>m</name><memory unit='GiB'>18446744073709551615"
		"</memory><os><type>hvm</type></os></domain>", "line 1:", "is too large", NULL);
	refused("<domain type='kvm'><name>m</name><memory>99999999999999999999999</memory>"
		"<os><type>hvm</type></os></domain>", "line 1:", "<memory>", "too large", NULL);
	refused("<domain type='kvm'><name>m</name><memory unit='TiB'>17</memory>"
		"<os><type>hvm</type></os></domain>", "<memory>", "16 TiB", NULL);
	refused("<domain type='kvm'><name>m</name><memory>0</memory>"
		"<os><type>hvm</type></os></domain>", "<memory>: 0 KiB", NULL);
	refused("<domain type='kvm'><name>m</name><memory>-1</memory>"
		"<os><type>hvm</type></os></domain>", "<memory>: '-1' is not a number", NULL);
	refused("<domain type='kvm'><name>m</name><memory> 1 2 </memory>"
		"<os><type>hvm</type></os></domain>", "'1 2' is not a number", NULL);
	REFUSED_WITH("\n\n<currentMemory unit='MiB'>2</currentMemory>", "line 3:",
		     "<currentMemory>: 2048 KiB is more than <memory> (1024 KiB)");
	REFUSED_WITH("<memory>1</memory>", "element <memory> appears twice");
}
END_TEST

START_TEST(test_vcpu)
{
	_cleanup_free_ char *ok64 = with("<vcpu>64</vcpu>");
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(ok64);

	ck_assert_uint_eq(d->vcpus, 64);
	REFUSED_WITH("\n<vcpu>65</vcpu>", "line 2:", "<vcpu>: 65 is not from 1 to 64");
	REFUSED_WITH("<vcpu>0</vcpu>", "<vcpu>: 0 is not from 1 to 64");
	REFUSED_WITH("<vcpu>4294967296</vcpu>", "<vcpu>: '4294967296' is not a number");
	REFUSED_WITH("<vcpu>two</vcpu>", "<vcpu>: 'two' is not a number");
	REFUSED_WITH("<vcpu placement='auto'>1</vcpu>", "placement 'auto' is not one of static");
	REFUSED_WITH("<vcpu current='1'>2</vcpu>", "attribute 'current' is not supported on <vcpu>");
}
END_TEST

START_TEST(test_names)
{
	static const char *const good[] = { "a", "A.b_c-9", "_x",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl" };
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "a b", "'a b' has characters outside [A-Za-z0-9_.-]" },
		{ "a/b", "'a/b' has characters outside" },
		{ "caf\xc3\xa9", "has characters outside" },
		{ ".hidden", "'.hidden' starts with '.'" },
		{ "-x", "'-x' starts with '-'" },
		{ "", "<name>: must be 1 to 64 characters" },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",
		  "is longer than 64 characters" },
	};
	char xml[512];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(xml, sizeof(xml), "<domain type='kvm'><name> %s\n</name><memory>1</memory>"
			 "<os><type>hvm</type></os></domain>", good[i]);
		_cleanup_domain_ struct ferry_domain_def *d = parse_ok(xml);

		ck_assert_str_eq(d->name, good[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(xml, sizeof(xml), "<domain type='kvm'>\n\n<name>%s</name><memory>1</memory>"
			 "<os><type>hvm</type></os></domain>", bad[i].name);
		refused(xml, "line 3:", bad[i].why, NULL);
	}
}
END_TEST

START_TEST(test_uuid)
{
	REFUSED_WITH("\n<uuid>1b4e28ba2fa141d2883f0016d3cca427</uuid>", "line 2:",
		     "<uuid>: '1b4e28ba2fa141d2883f0016d3cca427' is not a UUID");
	REFUSED_WITH("<uuid>1b4e28ba-2fa1-41d2-883f-0016d3cca42g</uuid>", "is not a UUID");
	REFUSED_WITH("<uuid>00000000-0000-0000-0000-000000000000</uuid>", "nil UUID");
	REFUSED_WITH("<uuid>1b4e28ba-2fa1-41d2-883f-0016d3cca427</uuid>"
		     "<uuid>1b4e28ba-2fa1-41d2-883f-0016d3cca427</uuid>", "<uuid> appears twice");
}
END_TEST

START_TEST(test_structure_refusals)
{
	refused("<domain type='xen'>" MIN_BODY "</domain>",
		"line 1: domain type 'xen' is not handled by the qemu driver", NULL);
	refused("<domain type='lxc'>" MIN_BODY "</domain>", "domain type 'lxc'", NULL);
	refused("<domain>" MIN_BODY "</domain>", "<domain>: attribute 'type' is required", NULL);
	refused("<domain\n\ntype='kvm' foo='1'>" MIN_BODY "</domain>",
		"line 3: attribute 'foo' is not supported on <domain>", NULL);
	refused("<domain type='kvm' id='3'>" MIN_BODY "</domain>", "attribute 'id'", NULL);
	refused("<vm type='kvm'/>", "the root element is <vm>, not <domain>", NULL);
	refused("<domain xmlns='urn:x' type='kvm'>" MIN_BODY "</domain>", "namespace", NULL);
	REFUSED_WITH("\n<clock offset='utc'/>", "line 2: element <clock> is not supported in <domain>");
	REFUSED_WITH("<devices>\n\n<hostdev mode='subsystem'/></devices>",
		     "line 3: element <hostdev> is not supported in <devices>");
	REFUSED_WITH("<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/>",
		     "element <qemu:commandline> is not supported in <domain>");
	REFUSED_WITH("<features><acpi x:y='1' xmlns:x='urn:x'/></features>",
		     "attribute 'x:y' is not supported on <acpi>");
	REFUSED_WITH("stray text", "text is not allowed in <domain>");
	REFUSED_WITH("<features><acpi>on</acpi></features>", "text is not allowed in <acpi>");
	REFUSED_WITH("<name>x</name>", "line 1: element <name> appears twice in <domain> (first on line 1)");
	REFUSED_WITH("<description>a<b/></description>", "element <b> is not supported in <description>");
	REFUSED_WITH("<features><acpi/>\n<acpi/></features>",
		     "line 2: element <acpi> appears twice in <features>");
	REFUSED_WITH("<features><hyperv/></features>", "element <hyperv> is not supported in <features>");
	REFUSED_WITH("<features><apic eoi='on'/></features>", "attribute 'eoi' is not supported on <apic>");
	REFUSED_WITH("<on_crash>explode</on_crash>",
		     "<on_crash>: 'explode' is not one of destroy, restart, preserve, rename-restart, "
		     "coredump-destroy, coredump-restart");
}
END_TEST

START_TEST(test_missing_required)
{
	refused("<domain type='kvm'>\n<memory>1</memory><os><type>hvm</type></os></domain>",
		"line 1: <domain>: element <name> is required", NULL);
	refused("<domain type='kvm'><name>a</name><os><type>hvm</type></os></domain>",
		"element <memory> is required", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory></domain>",
		"element <os> is required", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory>\n<os/></domain>",
		"line 2: <os>: element <type> is required", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>xen</type></os>"
		"</domain>", "<type>: 'xen' is not one of hvm", NULL);
}
END_TEST

START_TEST(test_os)
{
	_cleanup_free_ char *pc = NULL;

	ck_assert_int_ge(asprintf(&pc, "<domain type='kvm'><name>a</name><memory>1</memory>"
				  "<os><type machine='pc'>hvm</type></os></domain>"), 0);
	{
		_cleanup_domain_ struct ferry_domain_def *d = parse_ok(pc);

		ck_assert(ferry_domain_machine_is_i440fx(d));
	}
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os>\n"
		"<type arch='aarch64'>hvm</type></os></domain>",
		"line 2: <type>: arch 'aarch64' is not one of x86_64", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os>\n"
		"<type machine='virt'>hvm</type></os></domain>",
		"line 2: <type>: machine 'virt' is not pc, q35", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os>\n"
		"<type machine='pc-i440fx-'>hvm</type></os></domain>", "machine 'pc-i440fx-'", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<kernel>boot/vmlinuz</kernel></os></domain>",
		"line 2: <kernel>: 'boot/vmlinuz' is not an absolute path", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<initrd>/boot/initrd</initrd></os></domain>", "line 2: <initrd>: needs a <kernel>",
		NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
		"<kernel>/k</kernel><initrd>initrd</initrd></os></domain>",
		"<initrd>: 'initrd' is not an absolute path", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<cmdline>quiet</cmdline></os></domain>", "line 2: <cmdline>: needs a <kernel>", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
		"<kernel>/k</kernel><cmdline>a&#10;b</cmdline></os></domain>",
		"<cmdline>: has control characters", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
		"<boot dev='hd'/></os></domain>", "element <boot> is not supported in <os>", NULL);
}
END_TEST

/* <loader type='rom'>: a firmware image given whole to -bios. */
START_TEST(test_loader)
{
	static const char doc[] = "<domain type='kvm'><name>a</name><memory>1</memory><os>"
		"<type>hvm</type><loader readonly='yes' type='rom'>/usr/share/qemu/qboot.rom</loader>"
		"</os></domain>";
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(doc);

	ck_assert_str_eq(d->loader, "/usr/share/qemu/qboot.rom");
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<loader type='pflash'>/f.fd</loader></os></domain>",
		"line 2", "type 'pflash'", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<loader>qboot.rom</loader></os></domain>",
		"line 2: <loader>: 'qboot.rom' is not an absolute path", NULL);
	refused("<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>\n"
		"<loader secure='yes'>/f.rom</loader></os></domain>", "line 2", "'secure'", NULL);
}
END_TEST

#define DISK(tgt, extra) "<disk type='file'><driver type='raw'/><source file='/i.raw'/>" \
	"<target dev='" tgt "'" extra "/></disk>"

START_TEST(test_disks)
{
	REFUSED_WITH("<devices>\n<disk type='file'><source file='/a'/><target dev='vda'/></disk>"
		     "</devices>", "line 2: <disk>: needs <driver type='raw|qcow2'>",
		     "never lets QEMU guess");
	REFUSED_WITH("<devices><disk type='file'>\n<driver name='qemu'/></disk></devices>",
		     "line 2: <driver>: attribute 'type' is required");
	REFUSED_WITH("<devices><disk type='file'>\n<driver type='vmdk'/></disk></devices>",
		     "line 2: <driver>: type 'vmdk' is not one of raw, qcow2");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw' cache='none'/></disk></devices>",
		     "attribute 'cache' is not supported on <driver>");
	REFUSED_WITH("<devices><disk type='block'/></devices>", "<disk>: type 'block' is not one of file");
	REFUSED_WITH("<devices><disk type='file' device='cdrom'/></devices>",
		     "device 'cdrom' is not one of disk");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><target dev='vda'/></disk>"
		     "</devices>", "<disk>: element <source file=...> is required");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><source file='/a'/></disk>"
		     "</devices>", "element <target dev=...> is required");
	REFUSED_WITH("<devices>\n<disk type='file'><driver type='raw'/><source file='img.raw'/>"
		     "<target dev='vda'/></disk></devices>",
		     "line 2: <source>: file 'img.raw' is not an absolute path");
	REFUSED_WITH("<devices>" DISK("xvda", "") "</devices>", "dev 'xvda' is not a disk name");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><source file='/a&#10;b'/>"
		     "<target dev='vda'/></disk></devices>", "file '/a?b' has control characters");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><source file='/a '/>"
		     "<target dev='vda'/></disk></devices>", "file '/a ' starts or ends with a blank");
	REFUSED_WITH("<devices>" DISK("vd1", "") "</devices>", "dev 'vd1' is not a disk name");
	REFUSED_WITH("<devices>" DISK("vda", " bus='scsi'") "</devices>",
		     "bus 'scsi' is not one of virtio, sata, ide");
	REFUSED_WITH("<devices>" DISK("vda", " bus='sata'") "</devices>",
		     "dev 'vda' does not go on bus 'sata'");
	REFUSED_WITH("<devices>" DISK("sdg", "") "</devices>", "dev 'sdg': a SATA controller has six");
	REFUSED_WITH("<devices>" DISK("hda", "") "</devices>", "bus 'ide' needs an i440fx machine");
	REFUSED_WITH("<devices>" DISK("vda", "") "\n" DISK("vda", "") "</devices>",
		     "line 2: <target>: dev 'vda' is already another <disk>'s");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><source file='/i'/>"
		     "<target dev='sda'/><readonly/></disk></devices>",
		     "<readonly/>: QEMU cannot attach a read-only disk to bus 'sata'");
	REFUSED_WITH("<devices><disk type='file'><driver type='raw'/><driver type='raw'/></disk>"
		     "</devices>", "element <driver> appears twice in <disk>");
	refused("<domain type='kvm'>" MIN_BODY "<devices>" DISK("hde", "") "</devices></domain>",
		"<target>: dev 'hde'", NULL);
}
END_TEST

START_TEST(test_disk_limits)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);

	fputs("<domain type='kvm'>" MIN_BODY "<devices>", f);
	for (int i = 0; i < FERRY_DOMAIN_MAX_DISKS + 1; i++)
		fprintf(f, "\n<disk type='file'><driver type='raw'/><source file='/i%d'/>"
			"<target dev='vd%c'/></disk>", i, 'a' + i);
	fputs("</devices></domain>", f);
	fclose(f);
	refused(xml, "line 18: more than 16 <disk> elements", NULL);
	free(xml);
}
END_TEST

START_TEST(test_chardevs)
{
	_cleanup_free_ char *ports = with("<devices><serial type='pty'/><serial type='pty'>"
					  "<target port='0'/></serial><serial type='pty'/>"
					  "<console type='pty'><target type='virtio'/></console>"
					  "<console type='pty'/></devices>");
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(ports);

	/* Port-less ones take the lowest port not given to another. */
	ck_assert_uint_eq(d->serials[0].port, 1);
	ck_assert_uint_eq(d->serials[1].port, 0);
	ck_assert_uint_eq(d->serials[2].port, 2);
	ck_assert_uint_eq(d->consoles[0].port, 0);
	ck_assert_uint_eq(d->consoles[1].port, 0);
	REFUSED_WITH("<devices>\n<serial type='file'/></devices>", "line 2: <source>: path '' is empty");
	REFUSED_WITH("<devices><serial type='file'><source/></serial></devices>",
		     "<source>: attribute 'path' is required");
	REFUSED_WITH("<devices>\n<serial type='file'><source path='../../etc/x'/></serial></devices>",
		     "line 2: <source>: path '../../etc/x' climbs out");
	REFUSED_WITH("<devices><serial type='file'><source path='a/../b'/></serial></devices>",
		     "climbs out");
	REFUSED_WITH("<devices><serial type='pty'><source path='/dev/pts/3'/></serial></devices>",
		     "<serial type='pty'>: takes no <source>");
	REFUSED_WITH("<devices><serial type='tcp'/></devices>", "type 'tcp' is not one of file, pty");
	REFUSED_WITH("<devices><serial type='pty'><target port='4'/></serial></devices>",
		     "<target>: port 4 is not from 0 to 3");
	REFUSED_WITH("<devices><serial type='pty'><target port='x'/></serial></devices>",
		     "<target>: port 'x' is not a number");
	REFUSED_WITH("<devices><serial type='pty'><target port='1'/></serial>\n"
		     "<serial type='pty'><target port='1'/></serial></devices>",
		     "line 2: <target>: port 1 is already another <serial>'s");
	REFUSED_WITH("<devices><serial type='pty'><target type='usb-serial'/></serial></devices>",
		     "type 'usb-serial' is not one of isa-serial");
	REFUSED_WITH("<devices><serial type='pty'/>\n<console type='file'><source path='/l'/>"
		     "</console></devices>", "line 2: <console>: is <serial> port 0 and must have "
		     "its type and source");
	REFUSED_WITH("<devices><console type='pty'><target type='sclp'/></console></devices>",
		     "type 'sclp' is not one of serial, virtio");
	REFUSED_WITH("<devices><serial type='pty'/><serial type='pty'/><serial type='pty'/>"
		     "<serial type='pty'/>\n<serial type='pty'/></devices>",
		     "line 2: more than 4 <serial> elements");
}
END_TEST

START_TEST(test_interfaces)
{
	REFUSED_WITH("<devices>\n<interface type='network'/></devices>",
		     "line 2: <interface>: type 'network' is not one of user, none");
	REFUSED_WITH("<devices><interface type='user'>\n<mac address='52:54:00:1:2:3'/></interface>"
		     "</devices>", "line 2: <mac>: address '52:54:00:1:2:3' is not a MAC address");
	REFUSED_WITH("<devices><interface type='user'><mac address='52-54-00-01-02-03'/></interface>"
		     "</devices>", "is not a MAC address");
	REFUSED_WITH("<devices><interface type='user'><mac address='00:00:00:00:00:00'/>"
		     "</interface></devices>", "is all zeros");
	REFUSED_WITH("<devices>\n<interface type='user'><mac address='01:00:5e:00:00:01'/>"
		     "</interface></devices>", "line 2: <mac>: 01:00:5e:00:00:01 is not a unicast");
	REFUSED_WITH("<devices><interface type='user'><model type='rtl8139'/></interface></devices>",
		     "<model>: type 'rtl8139' is not one of virtio, e1000");
	REFUSED_WITH("<devices><interface type='none'><model type='virtio'/></interface></devices>",
		     "<interface type='none'>: takes no <mac> or <model>");
	REFUSED_WITH("<devices><interface type='user'><source network='default'/></interface>"
		     "</devices>", "element <source> is not supported in <interface>");
}
END_TEST

START_TEST(test_graphics)
{
	_cleanup_free_ char *a = with("<devices><graphics type='vnc' port='5905' autoport='yes'/>"
				      "</devices>");
	_cleanup_free_ char *b = with("<devices><graphics type='vnc' port='5905'/></devices>");
	_cleanup_free_ char *c = with("<devices><graphics type='vnc'><listen type='address' "
				      "address='::1'/></graphics></devices>");
	_cleanup_domain_ struct ferry_domain_def *da = parse_ok(a);
	_cleanup_domain_ struct ferry_domain_def *db = parse_ok(b);
	_cleanup_domain_ struct ferry_domain_def *dc = parse_ok(c);

	/* With autoport a port is only what a running guest happened to get. */
	ck_assert(da->graphics.autoport);
	ck_assert_int_eq(da->graphics.port, -1);
	ck_assert(!db->graphics.autoport);
	ck_assert_int_eq(db->graphics.port, 5905);
	ck_assert(dc->graphics.autoport);
	ck_assert_str_eq(dc->graphics.listen, "::1");
	REFUSED_WITH("<devices>\n<graphics type='spice'/></devices>",
		     "line 2: <graphics>: type 'spice' is not one of vnc");
	REFUSED_WITH("<devices><graphics type='vnc' autoport='no'/></devices>",
		     "autoport='no' needs a port from 5900 to 65535");
	REFUSED_WITH("<devices><graphics type='vnc' port='5800'/></devices>", "needs a port from 5900");
	REFUSED_WITH("<devices><graphics type='vnc' port='70000'/></devices>",
		     "port '70000' is not -1 or a TCP port");
	REFUSED_WITH("<devices><graphics type='vnc' autoport='maybe'/></devices>",
		     "autoport 'maybe' is not one of yes, no");
	REFUSED_WITH("<devices><graphics type='vnc' listen='vnc.example.com'/></devices>",
		     "listen 'vnc.example.com' is not an IPv4 or IPv6 address");
	REFUSED_WITH("<devices><graphics type='vnc' listen='127.0.0.1'>\n<listen type='address' "
		     "address='0.0.0.0'/></graphics></devices>",
		     "line 2: <listen>: address '0.0.0.0' differs from <graphics listen='127.0.0.1'>");
	REFUSED_WITH("<devices><graphics type='vnc'><listen type='network' network='x'/></graphics>"
		     "</devices>", "attribute 'network' is not supported on <listen>");
	REFUSED_WITH("<devices><graphics type='vnc' passwd='x'/></devices>",
		     "attribute 'passwd' is not supported on <graphics>");
	REFUSED_WITH("<devices><graphics type='vnc'/>\n<graphics type='vnc'/></devices>",
		     "line 2: element <graphics> appears twice in <devices>");
}
END_TEST

START_TEST(test_seclabels)
{
	_cleanup_free_ char *none = with("<seclabel type='none'/>");
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(none);

	ck_assert_int_eq(d->seclabels[0].type, FERRY_SECLABEL_NONE);
	ck_assert_int_eq(d->seclabels[0].model, FERRY_SECMODEL_UNSET);
	REFUSED_WITH("\n<seclabel type='static' model='selinux'/>",
		     "line 2: <seclabel type='static'>: needs a <label>");
	REFUSED_WITH("<seclabel type='static'><label>x</label></seclabel>",
		     "<seclabel>: type 'static' needs a model");
	REFUSED_WITH("<seclabel type='dynamic' model='selinux'><label>x</label></seclabel>",
		     "<label> and <imagelabel> are only for type='static'");
	REFUSED_WITH("<seclabel type='dynamic' model='selinux' relabel='no'/>",
		     "relabel must be 'yes'");
	REFUSED_WITH("<seclabel type='none' relabel='yes'/>", "has nothing to relabel");
	REFUSED_WITH("<seclabel type='static' model='apparmor'/>",
		     "model 'apparmor' is not one of selinux, dac");
	REFUSED_WITH("<seclabel type='static' model='dac'><label>a b</label></seclabel>",
		     "<label>: has characters outside printable ASCII");
	REFUSED_WITH("<seclabel type='dynamic' model='dac'/>\n<seclabel type='dynamic' model='dac'/>",
		     "line 2: <seclabel>: model 'dac' has one already");
	REFUSED_WITH("<seclabel type='none'/><seclabel type='dynamic' model='dac'/>",
		     "one without a model must be the only one");
	REFUSED_WITH("<seclabel type='none'/><seclabel type='none'/><seclabel type='none'/>",
		     "more than 2 <seclabel> elements");
	REFUSED_WITH("<seclabel type='static' model='dac'><label>x</label><baselabel>y</baselabel>"
		     "</seclabel>", "element <baselabel> is not supported in <seclabel>");
}
END_TEST

START_TEST(test_doctype_and_entities)
{
	refused("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x 'y'>]>\n"
		"<domain type='kvm'><name>&x;</name></domain>",
		"line 2: a DOCTYPE is not accepted", NULL);
	refused("<!DOCTYPE domain SYSTEM 'http://example.com/domain.dtd'><domain type='kvm'/>",
		"line 1: a DOCTYPE is not accepted", NULL);
	refused("<!DOCTYPE domain SYSTEM '/etc/passwd'><domain/>", "DOCTYPE", NULL);
	/* A billion laughs never gets as far as its first declaration. */
	refused("<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
		"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><domain type='kvm'><name>&c;</name>"
		"</domain>", "DOCTYPE", NULL);
	refused("<domain type='kvm'>\n<name>&x;</name></domain>",
		"line 2: malformed XML: Entity 'x' not defined", NULL);
	/* The five predefined entities and character references are plain text. */
	{
		_cleanup_free_ char *s = with("<description>&lt;&gt;&amp;&apos;&quot;&#65;</description>");
		_cleanup_domain_ struct ferry_domain_def *d = parse_ok(s);

		ck_assert_str_eq(d->description, "<>&'\"A");
	}
	{
		_cleanup_free_ char *s = with("<description><![CDATA[<x>]]></description>");
		_cleanup_domain_ struct ferry_domain_def *d = parse_ok(s);

		ck_assert_str_eq(d->description, "<x>");
	}
	REFUSED_WITH("<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/passwd'/>",
		     "element <xi:include> is not supported in <domain>");
}
END_TEST

START_TEST(test_malformed)
{
	refused("<domain type='kvm'>\n<name>a</name>\n<memory>1</memory>\n</dom>",
		"line 4: malformed XML: Opening and ending tag mismatch", NULL);
	refused("<domain type='kvm'>\n<name a='1' a='2'>a</name></domain>",
		"line 2: malformed XML: Attribute a redefined", NULL);
	refused("<domain type='kvm'>" MIN_BODY "</domain>\n<x/>",
		"line 2: malformed XML: Extra content at the end of the document", NULL);
	refused("<domain type='kvm'", "line 1: malformed XML", NULL);
	refused("\xff\xfe<", "line 1: malformed XML", NULL);
	refused("<domain type='kvm'><name>\x01</name></domain>", "malformed XML", NULL);
	refused("not xml at all", "line 1: malformed XML: Start tag expected", NULL);
}
END_TEST

START_TEST(test_input_limits)
{
	struct ferry_domain_def *def = NULL;
	size_t big = FERRY_DOMAIN_MAX_XML + 1;
	_cleanup_free_ char *huge = malloc(big);
	char err[256] = "", tiny[8];
	const char *doc = "<domain type='kvm'>" MIN_BODY "</domain>GARBAGE";

	memset(huge, ' ', big);
	ck_assert_int_eq(ferry_domain_parse(huge, big, &def, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_null(def);
	ck_assert_str_eq(err, "domain XML is 1048577 bytes, more than the 1048576 allowed");
	ck_assert_int_eq(ferry_domain_parse(huge, 0, &def, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "domain XML is empty");
	/* The length is the document: what follows is never read. */
	ck_assert_int_eq(ferry_domain_parse(doc, strlen(doc) - 7, &def, err, sizeof(err)), 0);
	ferry_domain_free(def);
	def = NULL;
	/* A short error buffer gets a truncated, terminated message. */
	memset(tiny, 'x', sizeof(tiny));
	ck_assert_int_eq(ferry_domain_parse("<a/>", 4, &def, tiny, sizeof(tiny)), -EINVAL);
	ck_assert_str_eq(tiny, "line 1:");
	ck_assert_int_eq(ferry_domain_parse("<a/>", 4, &def, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_big_line_numbers)
{
	size_t n = 70000;
	_cleanup_free_ char *xml = malloc(n + 64);

	strcpy(xml, "<domain type='kvm'>");
	memset(xml + strlen(xml), '\n', n);
	strcpy(xml + 19 + n, "<bad/></domain>");
	refused(xml, "line 70001: element <bad> is not supported in <domain>", NULL);
}
END_TEST

START_TEST(test_quoting_in_messages)
{
	/* What the document says is echoed printable and bounded. */
	REFUSED_WITH("<on_crash>a&#9;b</on_crash>", "'a?b' is not one of");
	REFUSED_WITH("<on_crash>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "</on_crash>", "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}
END_TEST

START_TEST(test_libvirt_style_dump)
{
	/* What "virsh dumpxml" writes for a guest in the subset. */
	static const char xml[] =
		"<domain type='kvm'>\n"
		"  <name>guest</name>\n"
		"  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>\n"
		"  <memory unit='KiB'>524288</memory>\n"
		"  <currentMemory unit='KiB'>524288</currentMemory>\n"
		"  <vcpu placement='static'>1</vcpu>\n"
		"  <os>\n"
		"    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
		"  </os>\n"
		"  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
		"  <on_poweroff>destroy</on_poweroff>\n"
		"  <on_reboot>restart</on_reboot>\n"
		"  <on_crash>destroy</on_crash>\n"
		"  <devices>\n"
		"    <disk type='file' device='disk'>\n"
		"      <driver name='qemu' type='qcow2'/>\n"
		"      <source file='/var/lib/libvirt/images/guest.qcow2'/>\n"
		"      <target dev='hda' bus='ide'/>\n"
		"    </disk>\n"
		"    <serial type='pty'>\n      <target type='isa-serial' port='0'/>\n    </serial>\n"
		"    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n"
		"    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>\n"
		"      <listen type='address' address='127.0.0.1'/>\n"
		"    </graphics>\n"
		"  </devices>\n"
		"  <seclabel type='dynamic' model='selinux' relabel='yes'/>\n"
		"</domain>\n";
	_cleanup_domain_ struct ferry_domain_def *d = parse_ok(xml);

	ck_assert_int_eq(d->disks[0].bus, FERRY_BUS_IDE);
	ck_assert(d->graphics.autoport);
}
END_TEST

static Suite *domain_suite(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_full_document);
	tcase_add_test(tc, test_minimal_document);
	tcase_add_test(tc, test_memory_units);
	tcase_add_test(tc, test_memory_limits);
	tcase_add_test(tc, test_vcpu);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_structure_refusals);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_os);
	tcase_add_test(tc, test_loader);
	tcase_add_test(tc, test_disks);
	tcase_add_test(tc, test_disk_limits);
	tcase_add_test(tc, test_chardevs);
	tcase_add_test(tc, test_interfaces);
	tcase_add_test(tc, test_graphics);
	tcase_add_test(tc, test_seclabels);
	tcase_add_test(tc, test_doctype_and_entities);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_input_limits);
	tcase_add_test(tc, test_big_line_numbers);
	tcase_add_test(tc, test_quoting_in_messages);
	tcase_add_test(tc, test_libvirt_style_dump);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domain_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-domain-format.c - domain XML written back: the canonical form, the
 * round trip (parse, format, parse gives an equal definition) and the
 * fixed point (formatting twice gives the same bytes) over every valid
 * sample here and in the fuzz corpus; and the checks on definitions that
 * were built in code rather than parsed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "domain.h"
#include "util.h"

static const char *const samples[] = {
	"<domain type='qemu'><name>m</name><memory>1</memory><os><type>hvm</type></os></domain>",
	"<domain type='kvm'>\n  <name>web-01</name>\n"
	"  <uuid>1b4e28ba-2fa1-41d2-883f-0016d3cca427</uuid>\n"
	"  <description>  spaces kept, \"quotes\" &amp; &lt;tags&gt;\n\ttab&#13;cr  </description>\n"
	"  <memory unit='GB'>3</memory><currentMemory unit='b'>1000</currentMemory>\n"
	"  <vcpu placement='static'>64</vcpu>\n"
	"  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>"
	"<kernel>/boot/vmlinuz-&apos;q&apos;</kernel><initrd>/boot/initrd</initrd>"
	"<cmdline>console=ttyS0 quiet a=\"b\"</cmdline></os>\n"
	"  <features><pae/><acpi/></features>\n"
	"  <on_poweroff>preserve</on_poweroff><on_reboot>rename-restart</on_reboot>"
	"<on_crash>coredump-destroy</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	"<source file='/img/a,b &apos;c&apos; &amp; &quot;d&quot; e.qcow2'/>"
	"<target dev='hdd'/></disk>\n"
	"    <disk type='file'><driver type='raw'/><source file='/img/s'/><target dev='sdf' "
	"bus='sata'/></disk>\n"
	"    <disk type='file'><driver type='raw'/><source file='/img/v'/><target dev='vdzz'/>"
	"<readonly/></disk>\n"
	"    <serial type='file'><source path='logs/serial,1.log'/><target port='3'/></serial>\n"
	"    <console type='file'><source path='logs/serial,1.log'/><target port='3'/></console>\n"
	"    <console type='pty'><target type='virtio' port='2'/></console>\n"
	"    <interface type='none'/><interface type='user'/>\n"
	"    <graphics type='vnc' autoport='yes'><listen address='::'/></graphics>\n"
	"  </devices>\n"
	"  <seclabel type='static' model='dac' relabel='no'><label>+107:+107</label>"
	"<imagelabel>+0:+0</imagelabel></seclabel>\n"
	"  <seclabel type='dynamic' model='selinux' relabel='yes'/>\n"
	"</domain>",
	"<domain type='kvm'><name>g</name><memory unit='TiB'>16</memory>"
	"<os><type machine='q35'>hvm</type></os><devices>"
	"<graphics type='vnc' port='65535' autoport='no' listen='10.0.0.1'/></devices>"
	"<seclabel type='none'/></domain>",
	"<domain type='kvm'><name>e</name><description></description><memory>4</memory>"
	"<os><type>hvm</type></os><features><apic/></features></domain>",
	"<domain type='kvm'><name>u</name><description>caf\xc3\xa9 \xe2\x98\x83</description>"
	"<memory>4</memory><os><type>hvm</type></os></domain>",
};

static struct ferry_domain_def *parse(const char *xml, size_t len)
{
	struct ferry_domain_def *def = NULL;
	char err[512] = "";
	int r = ferry_domain_parse(xml, len, &def, err, sizeof(err));

	ck_assert_msg(r == 0, "parse failed: %s\n%s", err, xml);
	return def;
}

static char *format(const struct ferry_domain_def *def)
{
	char *xml = NULL;

	ck_assert_int_eq(ferry_domain_format(def, &xml), 0);
	ck_assert_ptr_nonnull(xml);
	return xml;
}

/* parse(format(d)) == d, and format() of that is the same text again. */
static void round_trip(const char *xml, size_t len)
{
	_cleanup_domain_ struct ferry_domain_def *a = parse(xml, len);
	_cleanup_free_ char *x1 = format(a);
	_cleanup_domain_ struct ferry_domain_def *b = parse(x1, strlen(x1));
	_cleanup_free_ char *x2 = format(b);

	ck_assert_msg(ferry_domain_equal(a, b), "round trip changed the definition:\n%s", x1);
	ck_assert_str_eq(x1, x2);
}

START_TEST(test_round_trip_samples)
{
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++)
		round_trip(samples[i], strlen(samples[i]));
}
END_TEST

/* Every corpus input that parses must round-trip; the rest must be refused cleanly. */
START_TEST(test_round_trip_corpus)
{
	DIR *d = opendir(DOMAIN_CORPUS);
	struct dirent *e;
	int valid = 0, total = 0;

	ck_assert_msg(d != NULL, "no corpus at %s", DOMAIN_CORPUS);
	while ((e = readdir(d))) {
		char path[4096], *buf;
		struct ferry_domain_def *def = NULL;
		char err[512];
		struct stat st;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", DOMAIN_CORPUS, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		buf = malloc((size_t)st.st_size + 1);
		ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
		close(fd);
		total++;
		if (ferry_domain_parse(buf, (size_t)st.st_size, &def, err, sizeof(err)) == 0) {
			ferry_domain_free(def);
			round_trip(buf, (size_t)st.st_size);
			valid++;
		} else {
			ck_assert_msg(err[0], "%s: refused without a reason", e->d_name);
		}
		free(buf);
	}
	closedir(d);
	ck_assert_int_ge(total, 8);
	ck_assert_int_ge(valid, 4);
}
END_TEST

START_TEST(test_canonical_form)
{
	static const char in[] =
		"<domain type='kvm'><name>c</name><uuid>00000000-0000-4000-8000-000000000001</uuid>"
		"<memory unit='MiB'>512</memory><vcpu>2</vcpu><os><type machine='pc'>hvm</type>"
		"<kernel>/k</kernel></os><features><apic/><acpi/></features>"
		"<on_reboot>destroy</on_reboot><devices>"
		"<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
		"<disk type='file'><driver type='raw'/><source file='/a&amp;b'/><target dev='vda'/></disk>"
		"<serial type='pty'/><graphics type='vnc' port='5900'/></devices>"
		"<seclabel type='static' model='selinux'><label>a:b:c:s0</label></seclabel></domain>";
	static const char want[] =
		"<domain type='kvm'>\n"
		"  <name>c</name>\n"
		"  <uuid>00000000-0000-4000-8000-000000000001</uuid>\n"
		"  <memory unit='KiB'>524288</memory>\n"
		"  <vcpu>2</vcpu>\n"
		"  <os>\n"
		"    <type arch='x86_64' machine='pc'>hvm</type>\n"
		"    <kernel>/k</kernel>\n"
		"  </os>\n"
		"  <features>\n"
		"    <acpi/>\n"
		"    <apic/>\n"
		"  </features>\n"
		"  <on_reboot>destroy</on_reboot>\n"
		"  <devices>\n"
		"    <disk type='file' device='disk'>\n"
		"      <driver name='qemu' type='raw'/>\n"
		"      <source file='/a&amp;b'/>\n"
		"      <target dev='vda' bus='virtio'/>\n"
		"    </disk>\n"
		"    <serial type='pty'>\n"
		"      <target port='0'/>\n"
		"    </serial>\n"
		"    <interface type='user'>\n"
		"      <mac address='52:54:00:00:00:01'/>\n"
		"    </interface>\n"
		"    <graphics type='vnc' port='5900' autoport='no'/>\n"
		"  </devices>\n"
		"  <seclabel type='static' model='selinux'>\n"
		"    <label>a:b:c:s0</label>\n"
		"  </seclabel>\n"
		"</domain>\n";
	_cleanup_domain_ struct ferry_domain_def *d = parse(in, strlen(in));
	_cleanup_free_ char *out = format(d);

	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_escaping)
{
	static const char in[] =
		"<domain type='kvm'><name>x</name><description>a'b\"c&lt;d&gt;e&amp;f&#13;g"
		"</description><memory>1</memory><os><type>hvm</type></os><devices>"
		"<disk type='file'><driver type='raw'/><source file=\"/i/a'b&quot;c&amp;d\"/>"
		"<target dev='vda'/></disk></devices></domain>";
	_cleanup_domain_ struct ferry_domain_def *d = parse(in, strlen(in));
	_cleanup_free_ char *out = format(d);

	ck_assert_str_eq(d->description, "a'b\"c<d>e&f\rg");
	ck_assert_str_eq(d->disks[0].source, "/i/a'b\"c&d");
	ck_assert_ptr_nonnull(strstr(out, "<description>a'b\"c&lt;d&gt;e&amp;f&#13;g</description>"));
	ck_assert_ptr_nonnull(strstr(out, "<source file='/i/a&apos;b&quot;c&amp;d'/>"));
	round_trip(in, strlen(in));
}
END_TEST

/* A small valid definition built in code, as a caller of validate() has one. */
static struct ferry_domain_def *built(void)
{
	struct ferry_domain_def *d = calloc(1, sizeof(*d));

	d->type = FERRY_VIRT_KVM;
	strcpy(d->name, "built");
	d->uuid[0] = 1;
	d->memory_kib = 1024;
	d->vcpus = 1;
	d->disks[0] = (struct ferry_disk){ FERRY_DISK_RAW, FERRY_BUS_VIRTIO, strdup("/a"), "vda", false };
	d->disks[1] = (struct ferry_disk){ FERRY_DISK_RAW, FERRY_BUS_VIRTIO, strdup("/b"), "vdb", false };
	d->ndisks = 2;
	d->nics[0] = (struct ferry_nic){ FERRY_NET_USER, FERRY_NET_MODEL_UNSET,
					 { 0x52, 0x54, 0, 1, 2, 3 } };
	d->nnics = 1;
	return d;
}

START_TEST(test_validate_built)
{
	_cleanup_domain_ struct ferry_domain_def *d = built();
	_cleanup_free_ char *xml = NULL;
	char err[512] = "";

	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), 0);
	ck_assert_int_eq(ferry_domain_format(d, &xml), 0);
	round_trip(xml, strlen(xml));

	strcpy(d->disks[1].target, "vda");
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "disk 1: <target>: dev 'vda' is already another <disk>'s");
	strcpy(d->disks[1].target, "vdb");
	d->nics[0].mac[0] = 0x53;
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "interface 0: <mac>: 53:54:00:01:02:03 is not a unicast address");
	d->nics[0].mac[0] = 0x52;
	d->vcpus = 0;
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<vcpu>: 0 is not from 1 to 64");
	/* format() only writes what would parse back the same. */
	ck_assert_int_eq(ferry_domain_format(d, &xml), -EINVAL);
	d->vcpus = 1;
	d->kernel = strdup("/k ");
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<kernel>: '/k ' starts or ends with a blank");
	free(d->kernel);
	d->kernel = NULL;
	d->description = strdup("bell\a");
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<description>: has control characters");
	free(d->description);
	d->description = strdup("\xc3(");
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<description>: is too long or not UTF-8");
	free(d->description);
	d->description = NULL;
	d->ndisks = FERRY_DOMAIN_MAX_DISKS + 1;
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<devices>: more devices than ferry handles");
	d->ndisks = 2;
	d->type = 7;
	ck_assert_int_eq(ferry_domain_validate(d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<domain>: type is not kvm or qemu");
}
END_TEST

START_TEST(test_equal)
{
	_cleanup_domain_ struct ferry_domain_def *a = built();
	_cleanup_domain_ struct ferry_domain_def *b = built();

	ck_assert(ferry_domain_equal(a, b));
	free(b->disks[1].source);
	b->disks[1].source = strdup("/c");
	ck_assert(!ferry_domain_equal(a, b));
	free(b->disks[1].source);
	b->disks[1].source = strdup("/b");
	ck_assert(ferry_domain_equal(a, b));
	b->description = strdup("");
	ck_assert(!ferry_domain_equal(a, b));	/* empty is not absent */
	free(b->description);
	b->description = NULL;
	b->nics[0].model = FERRY_NET_MODEL_VIRTIO;
	ck_assert(!ferry_domain_equal(a, b));
	b->nics[0].model = FERRY_NET_MODEL_UNSET;
	b->graphics.present = true;
	ck_assert(!ferry_domain_equal(a, b));
	b->graphics.present = false;
	b->uuid[15] = 9;
	ck_assert(!ferry_domain_equal(a, b));
}
END_TEST

START_TEST(test_enum_names)
{
	char uuid[FERRY_UUID_STRLEN];
	const uint8_t u[16] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 0x40, 2, 0x80, 3, 4, 5, 6, 7, 8, 0xff };

	ck_assert_str_eq(ferry_virt_type_name(FERRY_VIRT_QEMU), "qemu");
	ck_assert_ptr_null(ferry_virt_type_name(0));
	ck_assert_str_eq(ferry_lifecycle_name(FERRY_LC_COREDUMP_RESTART), "coredump-restart");
	ck_assert_ptr_null(ferry_lifecycle_name(FERRY_LC_UNSET));
	ck_assert_str_eq(ferry_disk_format_name(FERRY_DISK_QCOW2), "qcow2");
	ck_assert_str_eq(ferry_disk_bus_name(FERRY_BUS_IDE), "ide");
	ferry_uuid_format(u, uuid);
	ck_assert_str_eq(uuid, "deadbeef-0001-4002-8003-0405060708ff");
	ck_assert_int_eq(ferry_disk_target_index("vda"), 0);
	ck_assert_int_eq(ferry_disk_target_index("hdd"), 3);
	ck_assert_int_eq(ferry_disk_target_index("vdz"), 25);
	ck_assert_int_eq(ferry_disk_target_index("vdaa"), 26);
	ck_assert_int_eq(ferry_disk_target_index("sdzz"), 701);
	ck_assert_int_eq(ferry_disk_target_index("xda"), -EINVAL);
	ck_assert_int_eq(ferry_disk_target_index("vd"), -EINVAL);
	ck_assert_int_eq(ferry_disk_target_index("vdA"), -EINVAL);
	ck_assert_int_eq(ferry_disk_target_index("vdaaa"), -EINVAL);
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("domain-format");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_round_trip_samples);
	tcase_add_test(tc, test_round_trip_corpus);
	tcase_add_test(tc, test_canonical_form);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_validate_built);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_enum_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(format_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

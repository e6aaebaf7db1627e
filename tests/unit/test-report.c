/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-report.c - the sandbox report's reading of /proc: the status and
 * limits parsers on real and broken samples, a process that is gone, and
 * the report printed and as JSON when parts of it are unknown. The
 * seccomp filter count is in test-report-seccomp.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "broker/report.h"
#include "report-harness.h"
#include "util.h"

/* Format of a real /proc/PID/status (6.x), for a sandboxed helper. */
static const char status_sample[] =
	"Name:\tferry-monitor\n"
	"Umask:\t0077\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t4242\n"
	"Pid:\t4242\n"
	"PPid:\t4200\n"
	"TracerPid:\t0\n"
	"Uid:\t65534\t65534\t65534\t65534\n"
	"Gid:\t65533\t65533\t65533\t65533\n"
	"FDSize:\t64\n"
	"Groups:\t \n"
	"VmPeak:\t    3060 kB\n"
	"Threads:\t1\n"
	"SigQ:\t0/96365\n"
	"SigBlk:\t0000000000000000\n"
	"CapInh:\t0000000000000000\n"
	"CapPrm:\t0000000000000000\n"
	"CapEff:\t0000000000000000\n"
	"CapBnd:\t000001fffeffffff\n"
	"CapAmb:\t0000000000000000\n"
	"NoNewPrivs:\t1\n"
	"Seccomp:\t2\n"
	"Seccomp_filters:\t1\n"
	"Speculation_Store_Bypass:\tthread vulnerable\n"
	"Cpus_allowed_list:\t0-1\n"
	"Mems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
	"00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
	"00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
	"00000000,00000000,00000000,00000000,00000000,00000001\n"
	"voluntary_ctxt_switches:\t12\n";

static const char limits_sample[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              unlimited            unlimited            seconds   \n"
	"Max file size             0                    0                    bytes     \n"
	"Max data size             unlimited            unlimited            bytes     \n"
	"Max core file size        0                    unlimited            bytes     \n"
	"Max processes             96365                96365                processes \n"
	"Max open files            16                   524288               files     \n"
	"Max file locks            unlimited            unlimited            locks     \n"
	"Max realtime timeout      unlimited            unlimited            us        \n";

START_TEST(status_sample_parses)
{
	struct ferry_proc_report r;

	ck_assert_int_eq(ferry_proc_status_parse(status_sample, &r), 0);
	ck_assert_int_eq(r.seccomp, 2);
	ck_assert_int_eq(r.seccomp_filters, 1);
	ck_assert_int_eq(r.no_new_privs, 1);
	ck_assert(r.caps_valid);
	ck_assert_uint_eq(r.cap_inh, 0);
	ck_assert_uint_eq(r.cap_eff, 0);
	ck_assert_uint_eq(r.cap_bnd, 0x000001fffeffffffull);
	ck_assert_uint_eq(r.uid, 65534);
	ck_assert_uint_eq(r.gid, 65533);
}
END_TEST

START_TEST(status_of_self_parses)
{
	struct ferry_proc_report r;
	char buf[16384];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(ferry_proc_status_parse(buf, &r), 0);
	ck_assert_uint_eq(r.uid, getuid());
	ck_assert_uint_eq(r.gid, getgid());
	ck_assert(r.caps_valid);
	ck_assert_int_ge(r.seccomp, 0);
	ck_assert_int_ge(r.no_new_privs, 0);
}
END_TEST

/* Each input must leave every field it touches unknown, never half-read. */
START_TEST(status_garbage)
{
	static const char *const bad[] = {
		"", "\n\n\n", "Seccomp", "Seccomp:", "Seccomp:\t", "Seccomp:\tx\n",
		"Seccomp:\t-1\n", "Seccomp:\t2x\n", "Seccomp:\t2 3\n", "Seccomp:\t99999999999\n",
		"seccomp:\t2\n", "Seccomp :\t2\n", " Seccomp:\t2\n", "Seccomp:\t+2\n",
		"Uid:\t\n", "Uid:\t4294967295\t0\t0\t0\n", "Uid:\t-1\n", "Gid:\t0x10\n",
		"CapEff:\t00000000000000001\n", "CapEff:\tg000000000000000\n", "CapEff:\t\n",
		":::\n:\n", "NoNewPrivs:\t1\r\n",
	};
	struct ferry_proc_report r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&r, 0x5a, sizeof(r));
		ck_assert_msg(ferry_proc_status_parse(bad[i], &r) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(r.seccomp, -1);
		ck_assert_int_eq(r.seccomp_filters, -1);
		ck_assert_int_eq(r.no_new_privs, -1);
		ck_assert(!r.caps_valid);
		ck_assert_uint_eq(r.cap_eff, 0);
		ck_assert_uint_eq(r.uid, UINT32_MAX);
		ck_assert_uint_eq(r.gid, UINT32_MAX);
	}
	ck_assert_int_eq(ferry_proc_status_parse(NULL, &r), -EINVAL);
}
END_TEST

START_TEST(status_edges)
{
	struct ferry_proc_report r;
	char longline[1024];

	/* One bad line among good ones: only its field is unknown. */
	ck_assert_int_eq(ferry_proc_status_parse("Seccomp:\tx\nNoNewPrivs:\t1", &r), 0);
	ck_assert_int_eq(r.seccomp, -1);
	ck_assert_int_eq(r.no_new_privs, 1);
	/* Four of five capability sets are not a capability report. */
	ck_assert_int_eq(ferry_proc_status_parse(
		"CapInh:\t0\nCapPrm:\t1\nCapEff:\tf\nCapBnd:\tFF\n", &r), 0);
	ck_assert(!r.caps_valid);
	ck_assert_uint_eq(r.cap_prm, 0);
	ck_assert_int_eq(ferry_proc_status_parse(
		"CapInh:\t0\nCapPrm:\t1\nCapEff:\tf\nCapBnd:\tFF\nCapAmb:\tffffffffffffffff\n", &r), 0);
	ck_assert(r.caps_valid);
	ck_assert_uint_eq(r.cap_eff, 15);
	ck_assert_uint_eq(r.cap_bnd, 255);
	ck_assert_uint_eq(r.cap_amb, UINT64_MAX);
	/* Only the real id counts; trailing blanks are not an error. */
	ck_assert_int_eq(ferry_proc_status_parse("Uid:\t1000\t0\t0\t0\nGid:\t7 \t", &r), 0);
	ck_assert_uint_eq(r.uid, 1000);
	ck_assert_uint_eq(r.gid, 7);
	/* A known key on a line longer than any real one is skipped whole. */
	memset(longline, '1', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "Seccomp:\t", 9);
	ck_assert_int_eq(ferry_proc_status_parse(longline, &r), -EINVAL);
	ck_assert_int_eq(r.seccomp, -1);
}
END_TEST

START_TEST(limits_sample_parses)
{
	struct ferry_proc_report r;

	ck_assert_int_eq(ferry_proc_limits_parse(limits_sample, &r), 0);
	ck_assert(r.nofile.valid);
	ck_assert(!r.nofile.soft_unlimited && !r.nofile.hard_unlimited);
	ck_assert_uint_eq(r.nofile.soft, 16);
	ck_assert_uint_eq(r.nofile.hard, 524288);
	ck_assert(r.nproc.valid);
	ck_assert_uint_eq(r.nproc.soft, 96365);
	ck_assert(r.core.valid);
	ck_assert(!r.core.soft_unlimited && r.core.hard_unlimited);
	ck_assert_uint_eq(r.core.soft, 0);
	/* "Max file locks" (unlimited) must not be taken for "Max file size" (0). */
	ck_assert(r.fsize.valid);
	ck_assert(!r.fsize.soft_unlimited && !r.fsize.hard_unlimited);
	ck_assert_uint_eq(r.fsize.hard, 0);
}
END_TEST

START_TEST(limits_garbage)
{
	static const char *const bad[] = {
		"", "Limit                     Soft Limit           Hard Limit           Units\n",
		"Max open files\n", "Max open files            16\n", "Max open files            x 16\n",
		"Max open files            16 -1\n", "Max open files            unlimitedx 1\n",
		"Max open files 18446744073709551616 1\n", "Max open filesz  1 1\n",
		"max open files  1 1\n", "Max open files\t\t",
	};
	struct ferry_proc_report r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&r, 0x5a, sizeof(r));
		ck_assert_msg(ferry_proc_limits_parse(bad[i], &r) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert(!r.nofile.valid && !r.nproc.valid && !r.core.valid && !r.fsize.valid);
	}
	ck_assert_int_eq(ferry_proc_limits_parse("Max open files 18446744073709551615 unlimited", &r), 0);
	ck_assert_uint_eq(r.nofile.soft, UINT64_MAX);
	ck_assert(r.nofile.hard_unlimited);
	ck_assert(!r.nproc.valid);
}
END_TEST

START_TEST(report_of_no_process)
{
	struct ferry_proc_report r;
	pid_t gone = fork();
	int st;

	ck_assert_int_ge(gone, 0);
	if (gone == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(gone, &st, 0), gone);
	ck_assert_int_eq(ferry_proc_report_read(gone, 5, &r), -ESRCH);
	ck_assert_int_eq(ferry_proc_report_read(-1, 5, &r), -ESRCH);
}
END_TEST

START_TEST(report_print_and_json_of_unknowns)
{
	struct ferry_proc_report r;
	struct json_object *j, *v;
	char *text;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ferry_proc_status_parse(status_sample, &r), 0);
	ck_assert_int_eq(ferry_proc_limits_parse(limits_sample, &r), 0);
	r.pid = 1234;
	for (int i = 0; i < FERRY_REPORT_NS; i++) {
		r.ns_names[i] = NULL;
		r.ns_new[i] = i < 3 ? 1 : i == 7 ? -1 : 0;
	}
	r.nproc.valid = false;
	r.filter_syscalls = -1;
	r.filter_source = NULL;
	snprintf(r.filter_note, sizeof(r.filter_note), "not allowed");
	snprintf(r.context, sizeof(r.context), "system_u:system_r:ferry_monitor_t:s0");
	text = print_report("ferry-monitor", &r);
	ck_assert_str_eq(text,
		"ferry-monitor (pid 1234)\n"
		"  Seccomp: 2  Seccomp_filters: 1  NoNewPrivs: 1\n"
		"  CapInh: 0000000000000000  CapPrm: 0000000000000000  CapEff: 0000000000000000\n"
		"  CapBnd: 000001fffeffffff  CapAmb: 0000000000000000\n"
		"  uid/gid: 65534/65533\n"
		"  namespaces: user new, net new, ipc new, mnt shared, pid shared, uts shared, "
		"cgroup shared, time unknown\n"
		"  rlimits: NOFILE 16/524288  NPROC ?  CORE 0/unlimited  FSIZE 0/0\n"
		"  seccomp filter: unknown (not allowed)\n"
		"  SELinux context: system_u:system_r:ferry_monitor_t:s0\n");
	free(text);

	j = ferry_proc_report_json("ferry-monitor", &r);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(j, "rlimits"),
							JSON_C_TO_STRING_PLAIN),
			 "{\"NOFILE\":{\"soft\":16,\"hard\":524288},\"NPROC\":null,"
			 "\"CORE\":{\"soft\":0,\"hard\":\"unlimited\"},\"FSIZE\":{\"soft\":0,\"hard\":0}}");
	ck_assert(json_object_object_get_ex(j, "filter_syscalls", &v) && v == NULL);
	ck_assert(json_object_object_get_ex(j, "caps", &v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "bnd")), "000001fffeffffff");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(j, "selinux_context")),
			 "system_u:system_r:ferry_monitor_t:s0");
	json_object_put(j);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, status_sample_parses);
	tcase_add_test(t, status_of_self_parses);
	tcase_add_test(t, status_garbage);
	tcase_add_test(t, status_edges);
	tcase_add_test(t, limits_sample_parses);
	tcase_add_test(t, limits_garbage);
	tcase_add_test(t, report_print_and_json_of_unknowns);
	tcase_add_test(t, report_of_no_process);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

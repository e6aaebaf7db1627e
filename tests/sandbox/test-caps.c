/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run as root: every helper, started by a root broker, must read back from
 * the kernel with empty capability sets (ferry-label: its keep-set only),
 * a seccomp filter allowing exactly what the helper says it loaded, and
 * the namespaces it says it entered. Not root: skipped, saying why.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "broker/check.h"
#include "broker/helper.h"
#include "broker/report.h"
#include "util.h"

#define TIMEOUT_MS 5000
#define LABEL_KEEP ((1ull << CAP_CHOWN) | (1ull << CAP_FOWNER))

static struct ferry_loop loop;
static struct ferry_helper_opts opts;

static void setup(void)
{
	char err[256];

	ck_assert_int_eq(ferry_loop_init(&loop), 0);
	ck_assert_msg(ferry_helper_opts_default(&opts, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert(opts.set_ids);
}

static void teardown(void)
{
	ferry_loop_fini(&loop);
}

static void start(struct ferry_helper *h, enum ferry_helper_id id)
{
	char err[512];

	ck_assert_msg(ferry_helper_start(&loop, id, &opts, h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_loop_wait(&loop, &h->ready, TIMEOUT_MS) == 0, "%s: no HELLO: %s",
		      h->info->name, h->exit_desc);
}

static void stop(struct ferry_helper *h)
{
	ferry_helper_shutdown(h);
	ck_assert_int_eq(ferry_loop_wait(&loop, &h->exited, TIMEOUT_MS), 0);
	ferry_helper_release(h);
}

START_TEST(capability_sets)
{
	enum ferry_helper_id id = (enum ferry_helper_id)_i;
	uint64_t keep = id == FERRY_HELPER_LABEL ? LABEL_KEEP : 0;
	struct ferry_proc_report r;
	struct ferry_helper h;
	char why[256];

	start(&h, id);
	ck_assert_int_eq(ferry_proc_report_read(h.child.pid, -1, &r), 0);
	ck_assert(r.caps_valid);
	ck_assert_msg(r.cap_inh == 0, "%s CapInh %jx", h.info->name, (uintmax_t)r.cap_inh);
	ck_assert_msg(r.cap_prm == keep, "%s CapPrm %jx", h.info->name, (uintmax_t)r.cap_prm);
	ck_assert_msg(r.cap_eff == keep, "%s CapEff %jx", h.info->name, (uintmax_t)r.cap_eff);
	ck_assert_msg(r.cap_bnd == keep, "%s CapBnd %jx", h.info->name, (uintmax_t)r.cap_bnd);
	ck_assert_msg(r.cap_amb == 0, "%s CapAmb %jx", h.info->name, (uintmax_t)r.cap_amb);
	ck_assert_uint_eq(r.uid, opts.uid);
	ck_assert_uint_eq(r.gid, opts.gid);
	ck_assert_int_eq(r.seccomp, 2);
	ck_assert_int_eq(r.no_new_privs, 1);
	ck_assert_msg(ferry_check_verdict(h.info, &r, true, why, sizeof(why)), "%s", why);
	stop(&h);
}
END_TEST

/* What the helper claims in its HELLO is what the kernel holds. */
START_TEST(hello_matches_kernel)
{
	enum ferry_helper_id id = (enum ferry_helper_id)_i;
	struct ferry_proc_report r;
	struct ferry_helper h;
	uint32_t ns;

	start(&h, id);
	ck_assert_int_eq(ferry_proc_report_read(h.child.pid, -1, &r), 0);
	ck_assert_str_eq(r.filter_source, "kernel");
	ck_assert_int_eq(r.filter_syscalls, (int)h.chan.peer_hello.filter_syscalls);
	ns = h.chan.peer_hello.namespaces;
	for (int i = 0; i < FERRY_REPORT_NS; i++) {
		const char *n = r.ns_names[i];
		bool claimed = (!strcmp(n, "user") && (ns & FERRY_NS_USER)) ||
			       (!strcmp(n, "net") && (ns & FERRY_NS_NET)) ||
			       (!strcmp(n, "ipc") && (ns & FERRY_NS_IPC)) ||
			       (!strcmp(n, "mnt") && (ns & FERRY_NS_MNT));

		ck_assert_msg(r.ns_new[i] == (int)claimed, "%s: namespace %s: kernel %d, hello %d",
			      h.info->name, n, r.ns_new[i], claimed);
	}
	/* The label helper keeps host capabilities, so it must stay in the host's namespaces. */
	if (id == FERRY_HELPER_LABEL)
		ck_assert_uint_eq(ns, 0);
	stop(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("root");
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("SKIP: capability sets are only dropped by a broker started as root; "
		       "run this test as root\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, capability_sets, 0, FERRY_HELPER_COUNT);
	tcase_add_loop_test(tc, hello_matches_kernel, 0, FERRY_HELPER_COUNT);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

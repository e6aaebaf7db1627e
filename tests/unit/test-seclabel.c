/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-seclabel.c - a domain's SELinux labels (hv/seclabel.c): what each
 * <seclabel> asks for, the round trip of those elements through the
 * formatter, the refusals (with their lines), the MCS pairs dynamic
 * labels get (unique, ordered, until none is left) and the labels made
 * of them.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seclabel.h"
#include "util.h"

#define MIN_BODY "<name>m</name><memory>1024</memory><os><type>hvm</type></os>"

static struct ferry_domain_def *parse_with(const char *extra)
{
	struct ferry_domain_def *def = NULL;
	_cleanup_free_ char *xml = NULL;
	char err[512] = "";

	ck_assert_int_ge(asprintf(&xml, "<domain type='kvm'>" MIN_BODY "%s</domain>", extra), 0);
	ck_assert_msg(ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err)) == 0,
		      "%s\n%s", err, xml);
	return def;
}

static void expect_refused(const char *extra, const char *want)
{
	struct ferry_domain_def *def = NULL;
	_cleanup_free_ char *xml = NULL;
	char err[512] = "";

	ck_assert_int_ge(asprintf(&xml, "<domain type='kvm'>" MIN_BODY "%s</domain>", extra), 0);
	ck_assert_int_eq(ferry_domain_parse(xml, strlen(xml), &def, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(def);
	ck_assert_str_eq(err, want);
}

/* --- what a domain asks for ------------------------------------------------ */

static const struct {
	const char *xml;
	enum ferry_seclabel_type type;
	bool implied, relabel;
	const char *label, *imagelabel;
} policies[] = {
	{ "", FERRY_SECLABEL_DYNAMIC, true, true, NULL, NULL },
	{ "<seclabel type='dynamic' model='dac'/>", FERRY_SECLABEL_DYNAMIC, true, true, NULL, NULL },
	{ "<seclabel type='dynamic' model='selinux'/>", FERRY_SECLABEL_DYNAMIC, false, true, NULL,
	  NULL },
	{ "<seclabel type='dynamic' model='selinux' relabel='yes'/>", FERRY_SECLABEL_DYNAMIC, false,
	  true, NULL, NULL },
	{ "<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t:s0:c1,c2"
	  "</label></seclabel>", FERRY_SECLABEL_STATIC, false, false,
	  "system_u:system_r:svirt_t:s0:c1,c2", NULL },
	{ "<seclabel type='static' model='selinux' relabel='no'><label>a:b:c:s0</label>"
	  "</seclabel>", FERRY_SECLABEL_STATIC, false, false, "a:b:c:s0", NULL },
	{ "<seclabel type='static' model='selinux' relabel='yes'><label>a:b:c:s0:c3,c4</label>"
	  "<imagelabel>a:object_r:img_t:s0:c3,c4</imagelabel></seclabel>", FERRY_SECLABEL_STATIC,
	  false, true, "a:b:c:s0:c3,c4", "a:object_r:img_t:s0:c3,c4" },
	{ "<seclabel type='none'/>", FERRY_SECLABEL_NONE, false, false, NULL, NULL },
	{ "<seclabel type='none' model='selinux'/><seclabel type='static' model='dac'>"
	  "<label>+107:+107</label></seclabel>", FERRY_SECLABEL_NONE, false, false, NULL, NULL },
};

START_TEST(policy_of_domain)
{
	_cleanup_domain_ struct ferry_domain_def *d = parse_with(policies[_i].xml);
	struct ferry_seclabel_policy pol;
	char err[256];

	ck_assert_msg(ferry_seclabel_policy(d, &pol, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(pol.type, policies[_i].type);
	ck_assert_int_eq(pol.implied, policies[_i].implied);
	ck_assert_int_eq(pol.relabel, policies[_i].relabel);
	if (policies[_i].label)
		ck_assert_str_eq(pol.label, policies[_i].label);
	else
		ck_assert_ptr_null(pol.label);
	if (policies[_i].imagelabel)
		ck_assert_str_eq(pol.imagelabel, policies[_i].imagelabel);
	else
		ck_assert_ptr_null(pol.imagelabel);
}
END_TEST

/* Formatting what was parsed gives a document that parses to the same, and formats alike. */
START_TEST(format_round_trip)
{
	_cleanup_domain_ struct ferry_domain_def *a = parse_with(policies[_i].xml);
	_cleanup_domain_ struct ferry_domain_def *b = NULL;
	_cleanup_free_ char *x1 = NULL, *x2 = NULL;
	char err[512];

	ck_assert_int_eq(ferry_domain_format(a, &x1), 0);
	ck_assert_msg(ferry_domain_parse(x1, strlen(x1), &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ferry_domain_equal(a, b));
	ck_assert_int_eq(ferry_domain_format(b, &x2), 0);
	ck_assert_str_eq(x1, x2);
	if (policies[_i].label)
		ck_assert_ptr_nonnull(strstr(x1, policies[_i].label));
}
END_TEST

static const struct { const char *xml, *err; } refusals[] = {
	{ "\n<seclabel type='dynamic' model='apparmor'/>",
	  "line 2: <seclabel>: model 'apparmor' is not one of selinux, dac" },
	{ "\n\n<seclabel type='static' model='selinux'><label>svirt_t</label></seclabel>",
	  "line 3: <label>: SELinux context is not user:role:type:level" },
	{ "\n<seclabel type='static' model='selinux'><label>u:r:t:s0:c9,c3</label></seclabel>",
	  "line 2: <label>: SELinux context has a level whose categories are not in ascending order" },
	{ "\n<seclabel type='static' model='selinux' relabel='yes'>\n<label>u:r:t:s0</label>"
	  "<imagelabel>u:r:t:s0:c1024</imagelabel></seclabel>",
	  "line 2: <imagelabel>: SELinux context has a level with a category that is not c0-c1023" },
	{ "<seclabel type='static' model='selinux'><label>u:r:t:s0:c1,c2,x</label></seclabel>",
	  "line 1: <label>: SELinux context has a level with a category that is not c0-c1023" },
	{ "<seclabel type='dynamic' model='selinux'/><seclabel type='none' model='selinux'/>",
	  "line 1: <seclabel>: model 'selinux' has one already" },
};

START_TEST(refused_with_line)
{
	expect_refused(refusals[_i].xml, refusals[_i].err);
}
END_TEST

/* A definition built in code is held to the same rules. */
START_TEST(policy_of_built_definition)
{
	_cleanup_domain_ struct ferry_domain_def *d = parse_with("<seclabel type='static' "
		"model='selinux'><label>a:b:c:s0</label></seclabel>");
	struct ferry_seclabel_policy pol;
	char err[256];

	free(d->seclabels[0].label);
	d->seclabels[0].label = strdup("a:b:c:s0:c1,c0");
	ck_assert_ptr_nonnull(d->seclabels[0].label);
	ck_assert_int_eq(ferry_seclabel_policy(d, &pol, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "seclabel 0: <label>: SELinux context has a level whose categories "
			 "are not in ascending order");
}
END_TEST

/* --- MCS pairs ------------------------------------------------------------ */

/* A scripted source: the numbers given, then a failure. */
struct script {
	const uint32_t *v;
	size_t n, next;
};

static int scripted(void *data, uint32_t *out)
{
	struct script *s = data;

	if (s->next == s->n)
		return -EIO;
	*out = s->v[s->next++];
	return 0;
}

/* xorshift: reproducible, for runs long enough to collide. */
static int xorshift(void *data, uint32_t *out)
{
	uint32_t *x = data;

	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	*out = *x;
	return 0;
}

/* sVirt's draw: two distinct categories, the lower first; a tie is drawn again. */
START_TEST(draw_is_ordered)
{
	static const uint32_t v[] = { 7, 7 + 1024, 905, 3 + 3 * 1024 };
	struct script s = { v, ARRAY_SIZE(v), 0 };
	struct ferry_mcs_pair p;

	ck_assert_int_eq(ferry_seclabel_mcs_alloc(NULL, 0, scripted, &s, &p), 0);
	ck_assert_uint_eq(p.lo, 3);
	ck_assert_uint_eq(p.hi, 905);
	ck_assert_uint_eq(s.next, 4);
}
END_TEST

/* A pair in use is drawn again; the source's failure is the caller's. */
START_TEST(draw_avoids_pairs_in_use)
{
	static const uint32_t v[] = { 1, 2, 2, 1, 1, 3 };
	const struct ferry_mcs_pair used[] = { { 1, 2 } };
	struct script s = { v, ARRAY_SIZE(v), 0 };
	struct ferry_mcs_pair p;

	ck_assert_int_eq(ferry_seclabel_mcs_alloc(used, 1, scripted, &s, &p), 0);
	ck_assert_uint_eq(p.lo, 1);
	ck_assert_uint_eq(p.hi, 3);
	ck_assert_int_eq(ferry_seclabel_mcs_alloc(used, 1, scripted, &s, &p), -EIO);
}
END_TEST

#define MANY 20000

/* Each new pair differs from every earlier one: with the host's randomness, and a seeded one. */
START_TEST(many_allocations_unique)
{
	static struct ferry_mcs_pair used[MANY];
	static uint8_t seen[FERRY_MCS_CATEGORIES][FERRY_MCS_CATEGORIES];
	uint32_t seed = 0x2545f491u;
	size_t n = _i ? MANY : 2000;

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n; i++) {
		struct ferry_mcs_pair p;

		ck_assert_int_eq(ferry_seclabel_mcs_alloc(used, i, _i ? xorshift : NULL, &seed, &p), 0);
		ck_assert_uint_lt(p.lo, p.hi);
		ck_assert_uint_lt(p.hi, FERRY_MCS_CATEGORIES);
		ck_assert_msg(!seen[p.lo][p.hi], "c%u,c%u given twice", p.lo, p.hi);
		seen[p.lo][p.hi] = 1;
		used[i] = p;
	}
}
END_TEST

/* Every pair, once: the most a host can run, and what fills it. */
static struct ferry_mcs_pair *all_pairs(size_t *n)
{
	struct ferry_mcs_pair *all = malloc(FERRY_MCS_PAIRS * sizeof(*all));
	size_t k = 0;

	ck_assert_ptr_nonnull(all);
	for (unsigned lo = 0; lo < FERRY_MCS_CATEGORIES; lo++)
		for (unsigned hi = lo + 1; hi < FERRY_MCS_CATEGORIES; hi++)
			all[k++] = (struct ferry_mcs_pair){ (uint16_t)lo, (uint16_t)hi };
	ck_assert_uint_eq(k, FERRY_MCS_PAIRS);
	*n = k;
	return all;
}

START_TEST(exhaustion)
{
	size_t n;
	_cleanup_free_ struct ferry_mcs_pair *all = all_pairs(&n);
	struct ferry_seclabel_policy pol = { .type = FERRY_SECLABEL_DYNAMIC, .relabel = true };
	struct ferry_seclabel_labels out;
	struct ferry_mcs_pair p, last;
	uint32_t seed = 99;
	char err[256];

	ck_assert_int_eq(ferry_seclabel_mcs_alloc(all, n, NULL, NULL, &p), -ENOSPC);
	ck_assert_int_eq(ferry_seclabel_assign(&pol, all, n, NULL, NULL, &out, err, sizeof(err)),
			 -ENOSPC);
	ck_assert_str_eq(err, "dynamic label: all 523776 MCS category pairs are in use");
	/* One left, wherever it is: the walk finds it when the draws do not. */
	for (size_t i = 0; i < n; i += n / 7) {
		last = all[i];
		all[i] = all[n - 1];
		ck_assert_int_eq(ferry_seclabel_mcs_alloc(all, n - 1, xorshift, &seed, &p), 0);
		ck_assert_uint_eq(p.lo, last.lo);
		ck_assert_uint_eq(p.hi, last.hi);
		all[i] = last;
	}
}
END_TEST

static const struct ferry_mcs_pair bad_pairs[] = { { 5, 5 }, { 6, 2 }, { 0, 1024 }, { 1024, 1025 } };

START_TEST(pairs_in_use_checked)
{
	const struct ferry_mcs_pair used[] = { { 0, 1 }, bad_pairs[_i] };
	struct ferry_mcs_pair p;

	ck_assert_int_eq(ferry_seclabel_mcs_alloc(used, 2, NULL, NULL, &p), -EINVAL);
}
END_TEST

/* --- labels --------------------------------------------------------------- */

START_TEST(dynamic_labels)
{
	static const uint32_t v[] = { 34, 12 };
	struct script s = { v, ARRAY_SIZE(v), 0 };
	struct ferry_seclabel_policy pol = { .type = FERRY_SECLABEL_DYNAMIC, .relabel = true };
	struct ferry_seclabel_labels l;
	struct ferry_mcs_pair back;
	char err[256];

	ck_assert_msg(ferry_seclabel_assign(&pol, NULL, 0, scripted, &s, &l, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(l.type, FERRY_SECLABEL_DYNAMIC);
	ck_assert(l.relabel);
	ck_assert(l.has_mcs);
	ck_assert_str_eq(l.process, "system_u:system_r:svirt_t:s0:c12,c34");
	ck_assert_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c12,c34");
	ck_assert_int_eq(ferry_seclabel_mcs_of(l.process, &back), 0);
	ck_assert_uint_eq(back.lo, 12);
	ck_assert_uint_eq(back.hi, 34);
}
END_TEST

START_TEST(static_labels)
{
	struct ferry_seclabel_policy pol = { .type = FERRY_SECLABEL_STATIC, .relabel = true,
					     .label = "system_u:system_r:svirt_t:s0:c1,c2" };
	struct ferry_seclabel_labels l;
	char err[256];

	/* Honoured as given, whatever is in use; the image label follows its level. */
	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)), 0);
	ck_assert_str_eq(l.process, "system_u:system_r:svirt_t:s0:c1,c2");
	ck_assert_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c1,c2");
	ck_assert(l.relabel);
	ck_assert(l.has_mcs);
	ck_assert_uint_eq(l.mcs.lo, 1);
	ck_assert_uint_eq(l.mcs.hi, 2);

	pol.label = "staff_u:staff_r:qemu_t:s0-s0:c0.c1023";
	pol.imagelabel = "staff_u:object_r:qemu_image_t:s0";
	pol.relabel = false;
	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)), 0);
	ck_assert_str_eq(l.image, "staff_u:object_r:qemu_image_t:s0");
	ck_assert(!l.relabel);
	ck_assert(!l.has_mcs);

	pol.imagelabel = "not a context";
	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "static image label holds a byte outside printable ASCII (at 3)");
	pol.label = NULL;
	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "static label is missing");
}
END_TEST

START_TEST(no_labels)
{
	struct ferry_seclabel_policy pol = { .type = FERRY_SECLABEL_NONE };
	struct ferry_seclabel_labels l;
	char err[256];

	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)), 0);
	ck_assert_str_eq(l.process, "");
	ck_assert_str_eq(l.image, "");
	ck_assert(!l.relabel);
	ck_assert(!l.has_mcs);
	pol.type = (enum ferry_seclabel_type)9;
	ck_assert_int_eq(ferry_seclabel_assign(&pol, NULL, 0, NULL, NULL, &l, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "unknown label type 9");
}
END_TEST

static const struct { const char *ctx; int r; uint16_t lo, hi; } mcs_levels[] = {
	{ "system_u:system_r:svirt_t:s0:c1,c2", 0, 1, 2 },
	{ "u:r:t:s0:c0,c1023", 0, 0, 1023 },
	{ "u:r:t:s0", -ENOENT, 0, 0 },
	{ "u:r:t:s0:c5", -ENOENT, 0, 0 },
	{ "u:r:t:s0:c1,c2,c3", -ENOENT, 0, 0 },
	{ "u:r:t:s0:c1.c3,c9", -ENOENT, 0, 0 },
	{ "u:r:t:s0-s0:c1,c2", -ENOENT, 0, 0 },
	{ "u:r:t:s1:c1,c2", -ENOENT, 0, 0 },
	{ "u:r:t:s0:c2,c1", -EINVAL, 0, 0 },
	{ "svirt_t", -EINVAL, 0, 0 },
};

START_TEST(mcs_of_context)
{
	struct ferry_mcs_pair p = { 77, 77 };

	ck_assert_int_eq(ferry_seclabel_mcs_of(mcs_levels[_i].ctx, &p), mcs_levels[_i].r);
	ck_assert_uint_eq(p.lo, mcs_levels[_i].r ? 77 : mcs_levels[_i].lo);
	ck_assert_uint_eq(p.hi, mcs_levels[_i].r ? 77 : mcs_levels[_i].hi);
}
END_TEST

START_TEST(image_label_follows)
{
	char out[FERRY_LABEL_CONTEXT_MAX + 1], level[FERRY_LABEL_CONTEXT_MAX + 1];
	char proc[FERRY_LABEL_CONTEXT_MAX + 1], err[256];
	size_t k = 0;

	ck_assert_int_eq(ferry_seclabel_image_label("u:r:t:s0-s3:c0.c9", out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "system_u:object_r:svirt_image_t:s0-s3:c0.c9");
	ck_assert_int_eq(ferry_seclabel_image_label("u:r:t", out, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "process label is not user:role:type:level");
	/* A long level fits a short process label but not the longer image type. */
	k = (size_t)snprintf(level, sizeof(level), "s0:c0");
	for (unsigned c = 2; k + 6 < FERRY_LABEL_CONTEXT_MAX - 6; c += 2)
		k += (size_t)snprintf(level + k, sizeof(level) - k, ",c%u", c);
	snprintf(proc, sizeof(proc), "u:r:t:%s", level);
	ck_assert_int_eq(ferry_seclabel_image_label(proc, out, err, sizeof(err)), -EINVAL);
	snprintf(level, sizeof(level), "image label would be %zu bytes, more than 255",
		 strlen(FERRY_SVIRT_IMAGE) + 1 + k);
	ck_assert_str_eq(err, level);
}
END_TEST

static Suite *seclabel_suite(void)
{
	Suite *s = suite_create("seclabel");
	TCase *dom = tcase_create("domain");
	TCase *mcs = tcase_create("mcs");
	TCase *lab = tcase_create("labels");

	tcase_add_loop_test(dom, policy_of_domain, 0, (int)ARRAY_SIZE(policies));
	tcase_add_loop_test(dom, format_round_trip, 0, (int)ARRAY_SIZE(policies));
	tcase_add_loop_test(dom, refused_with_line, 0, (int)ARRAY_SIZE(refusals));
	tcase_add_test(dom, policy_of_built_definition);
	suite_add_tcase(s, dom);

	tcase_set_timeout(mcs, 60);
	tcase_add_test(mcs, draw_is_ordered);
	tcase_add_test(mcs, draw_avoids_pairs_in_use);
	tcase_add_loop_test(mcs, many_allocations_unique, 0, 2);
	tcase_add_test(mcs, exhaustion);
	tcase_add_loop_test(mcs, pairs_in_use_checked, 0, (int)ARRAY_SIZE(bad_pairs));
	suite_add_tcase(s, mcs);

	tcase_add_test(lab, dynamic_labels);
	tcase_add_test(lab, static_labels);
	tcase_add_test(lab, no_labels);
	tcase_add_loop_test(lab, mcs_of_context, 0, (int)ARRAY_SIZE(mcs_levels));
	tcase_add_test(lab, image_label_follows);
	suite_add_tcase(s, lab);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(seclabel_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

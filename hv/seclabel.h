/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seclabel.h - a domain's SELinux labels, as sVirt chooses them
 * (docs/labels.md).
 *
 * QEMU runs under a process label and may touch only files and fds that
 * carry the matching image label. A dynamic label gives each running
 * domain a pair of MCS categories no other running domain has, so that
 * one compromised QEMU cannot reach another's disks; a static label is
 * the administrator's; none leaves QEMU unconfined. The image label
 * always follows the process label: the same MCS level, the image type.
 *
 * Everything here is pure: the broker passes in the pairs running
 * domains hold and a source of random numbers, and gets labels back.
 */
#ifndef FERRY_SECLABEL_H
#define FERRY_SECLABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "label-proto.h"

/* Categories c0 to c1023, as the targeted policy's MCS range defines. */
#define FERRY_MCS_CATEGORIES 1024u
/* Distinct unordered pairs of them: the most domains with dynamic labels. */
#define FERRY_MCS_PAIRS (FERRY_MCS_CATEGORIES * (FERRY_MCS_CATEGORIES - 1u) / 2u)

/* What dynamic labels are made of: user, role, type, then "s0:cA,cB". */
#define FERRY_SVIRT_PROCESS "system_u:system_r:svirt_t"
#define FERRY_SVIRT_IMAGE "system_u:object_r:svirt_image_t"

/* Two categories, lo < hi < FERRY_MCS_CATEGORIES. */
struct ferry_mcs_pair {
	uint16_t lo, hi;
};

/* What a domain asks for: its <seclabel> for SELinux. */
struct ferry_seclabel_policy {
	enum ferry_seclabel_type type;
	bool implied;			/* no <seclabel> said it: dynamic by default */
	bool relabel;			/* give its files and fds the image label */
	const char *label;		/* static: the process label (into the definition) */
	const char *imagelabel;		/* static: as given, or NULL to derive it */
};

/* What it gets. */
struct ferry_seclabel_labels {
	enum ferry_seclabel_type type;
	bool relabel;
	bool has_mcs;			/* the level is s0:cA,cB: @mcs holds the pair */
	struct ferry_mcs_pair mcs;
	char process[FERRY_LABEL_CONTEXT_MAX + 1];	/* "" for none */
	char image[FERRY_LABEL_CONTEXT_MAX + 1];	/* "" for none */
};

/*
 * A source of uniform random 32-bit numbers; NULL where one is asked for
 * means getrandom(). Return 0, or -errno to give up.
 */
typedef int (*ferry_rand_fn)(void *data, uint32_t *out);

/**
 * ferry_seclabel_policy - read the SELinux label a definition asks for:
 * its <seclabel model='selinux'>, or a <seclabel type='none'/> without a
 * model (which speaks for every model). A domain that says nothing gets
 * a dynamic label, as sVirt gives one (@out->implied). A static label is
 * relabelled only with relabel='yes'; a dynamic one always.
 * Return 0, or -EINVAL with @err naming what the definition gets wrong
 * (one that did not come from the parser may break the rules).
 */
int ferry_seclabel_policy(const struct ferry_domain_def *def, struct ferry_seclabel_policy *out,
			  char *err, size_t errlen);

/**
 * ferry_seclabel_mcs_alloc - a category pair no running domain holds, as
 * sVirt picks one: two random distinct categories, ordered low then high,
 * drawn again while the pair is taken. When the draws keep colliding, a
 * walk over every pair from a random start settles it.
 * @in_use: the pairs running domains hold, in any order, repeats allowed
 * Return 0 with @out set; -ENOSPC when every pair is taken; -EINVAL for a
 * pair in @in_use that is not lo < hi < FERRY_MCS_CATEGORIES; -ENOMEM; or
 * the error of @rnd.
 */
int ferry_seclabel_mcs_alloc(const struct ferry_mcs_pair *in_use, size_t n, ferry_rand_fn rnd,
			     void *rnd_data, struct ferry_mcs_pair *out);

/**
 * ferry_seclabel_mcs_of - the category pair of a context whose level is
 * exactly s0:cA,cB (what dynamic labels hold), for the broker's list of
 * pairs in use. Return 0, -ENOENT for a valid context with another level,
 * or -EINVAL for one that is not a context.
 */
int ferry_seclabel_mcs_of(const char *context, struct ferry_mcs_pair *out);

/**
 * ferry_seclabel_image_label - the image label that follows @process:
 * FERRY_SVIRT_IMAGE with the process label's level.
 * Return 0, or -EINVAL with @err saying why @process is not a context.
 */
int ferry_seclabel_image_label(const char *process, char out[FERRY_LABEL_CONTEXT_MAX + 1],
			       char *err, size_t errlen);

/**
 * ferry_seclabel_assign - the labels a domain with policy @pol gets when
 * it starts: for a dynamic label, a fresh pair (see
 * ferry_seclabel_mcs_alloc()) in FERRY_SVIRT_PROCESS and FERRY_SVIRT_IMAGE;
 * a static one as given, its image label as given or derived; none: "".
 * Return 0, or -errno with @err saying what failed.
 */
int ferry_seclabel_assign(const struct ferry_seclabel_policy *pol,
			  const struct ferry_mcs_pair *in_use, size_t n, ferry_rand_fn rnd,
			  void *rnd_data, struct ferry_seclabel_labels *out, char *err, size_t errlen);

#endif

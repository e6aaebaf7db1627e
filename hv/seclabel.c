/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seclabel.c - a domain's SELinux labels: what its definition asks for,
 * a unique MCS category pair for a dynamic label, and the image label
 * that follows a process label.
 *
 * The shape of a context is checked by ferry_label_context_check(), the
 * one the label helper and the domain XML rules use too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain-priv.h"
#include "seclabel.h"
#include "util.h"

/*
 * Random draws before the walk over every pair: with 99% of the pairs
 * taken, all 64 collide about one time in two; with half of them taken,
 * one time in 10^19.
 */
#define MCS_DRAWS 64

int ferry_seclabel_policy(const struct ferry_domain_def *def, struct ferry_seclabel_policy *out,
			  char *err, size_t errlen)
{
	int r = ferry_domain_validate(def, err, errlen);

	if (r < 0)
		return r;
	*out = (struct ferry_seclabel_policy){ .type = FERRY_SECLABEL_DYNAMIC, .implied = true,
					       .relabel = true };
	/* The rules leave at most one that speaks for SELinux. */
	for (size_t i = 0; i < def->nseclabels; i++) {
		const struct ferry_seclabel *sl = &def->seclabels[i];

		if (sl->model != FERRY_SECMODEL_SELINUX && sl->model != FERRY_SECMODEL_UNSET)
			continue;
		*out = (struct ferry_seclabel_policy){
			.type = sl->type,
			/* Static labels are the administrator's to apply unless told otherwise. */
			.relabel = sl->type == FERRY_SECLABEL_DYNAMIC ||
				   (sl->type == FERRY_SECLABEL_STATIC && sl->relabel == FERRY_YES),
			.label = sl->label,
			.imagelabel = sl->imagelabel,
		};
	}
	return 0;
}

static int os_random(void *data, uint32_t *out)
{
	return dom_random(out, sizeof(*out));
}

/* The taken pairs as a FERRY_MCS_CATEGORIES-squared bitmap, indexed lo * N + hi. */
static bool taken(const uint8_t *map, size_t bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static int mark_in_use(uint8_t *map, const struct ferry_mcs_pair *in_use, size_t n,
		       size_t *marked)
{
	*marked = 0;
	for (size_t i = 0; i < n; i++) {
		size_t bit = (size_t)in_use[i].lo * FERRY_MCS_CATEGORIES + in_use[i].hi;

		if (in_use[i].lo >= in_use[i].hi || in_use[i].hi >= FERRY_MCS_CATEGORIES)
			return -EINVAL;
		if (!taken(map, bit))
			(*marked)++;
		map[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	return 0;
}

/* Every pair, from a random start: the first free one. */
static int walk(const uint8_t *map, ferry_rand_fn rnd, void *rnd_data, struct ferry_mcs_pair *out)
{
	const size_t nbits = (size_t)FERRY_MCS_CATEGORIES * FERRY_MCS_CATEGORIES;
	uint32_t start;
	int r = rnd(rnd_data, &start);

	if (r < 0)
		return r;
	for (size_t k = 0; k < nbits; k++) {
		size_t bit = (start + k) % nbits;
		unsigned lo = (unsigned)(bit / FERRY_MCS_CATEGORIES);
		unsigned hi = (unsigned)(bit % FERRY_MCS_CATEGORIES);

		if (lo < hi && !taken(map, bit)) {
			*out = (struct ferry_mcs_pair){ (uint16_t)lo, (uint16_t)hi };
			return 0;
		}
	}
	return -ENOSPC;
}

int ferry_seclabel_mcs_alloc(const struct ferry_mcs_pair *in_use, size_t n, ferry_rand_fn rnd,
			     void *rnd_data, struct ferry_mcs_pair *out)
{
	_cleanup_free_ uint8_t *map = calloc((size_t)FERRY_MCS_CATEGORIES * FERRY_MCS_CATEGORIES / 8, 1);
	size_t marked;
	int r;

	if (!map)
		return -ENOMEM;
	if (!rnd)
		rnd = os_random;
	if ((r = mark_in_use(map, in_use, n, &marked)) < 0)
		return r;
	if (marked == FERRY_MCS_PAIRS)
		return -ENOSPC;
	for (int i = 0; i < MCS_DRAWS; i++) {
		uint32_t a, b;

		if ((r = rnd(rnd_data, &a)) < 0 || (r = rnd(rnd_data, &b)) < 0)
			return r;
		a %= FERRY_MCS_CATEGORIES;
		b %= FERRY_MCS_CATEGORIES;
		/* sVirt's rule: two distinct categories, the lower first. */
		if (a == b)
			continue;
		if (a > b) {
			uint32_t t = a;

			a = b;
			b = t;
		}
		if (!taken(map, (size_t)a * FERRY_MCS_CATEGORIES + b)) {
			*out = (struct ferry_mcs_pair){ (uint16_t)a, (uint16_t)b };
			return 0;
		}
	}
	return walk(map, rnd, rnd_data, out);
}

int ferry_seclabel_mcs_of(const char *context, struct ferry_mcs_pair *out)
{
	struct ferry_label_context c;
	const char *cats, *comma;
	unsigned lo, hi;

	if (ferry_label_context_check(context, &c, NULL, 0) < 0)
		return -EINVAL;
	if (strncmp(c.level, "s0:", 3) != 0)
		return -ENOENT;
	cats = c.level + 3;
	comma = strchr(cats, ',');
	/* The checker has seen to the order: lo < hi whenever both read. */
	if (!comma || ferry_label_category(cats, (size_t)(comma - cats), &lo) < 0 ||
	    ferry_label_category(comma + 1, strlen(comma + 1), &hi) < 0)
		return -ENOENT;
	*out = (struct ferry_mcs_pair){ (uint16_t)lo, (uint16_t)hi };
	return 0;
}

int ferry_seclabel_image_label(const char *process, char out[FERRY_LABEL_CONTEXT_MAX + 1],
			       char *err, size_t errlen)
{
	struct ferry_label_context c;
	char why[160];
	int n;

	if (ferry_label_context_check(process, &c, why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "process label %s", why);
	n = snprintf(out, FERRY_LABEL_CONTEXT_MAX + 1, "%s:%s", FERRY_SVIRT_IMAGE, c.level);
	if (n < 0 || (size_t)n > FERRY_LABEL_CONTEXT_MAX)
		return ferry_err(err, errlen, -EINVAL, "image label would be %d bytes, more than %u",
				 n, FERRY_LABEL_CONTEXT_MAX);
	return 0;
}

static int assign_static(const struct ferry_seclabel_policy *pol, struct ferry_seclabel_labels *out,
			 char *err, size_t errlen)
{
	char why[160];
	int r;

	if (!pol->label || ferry_label_context_check(pol->label, NULL, why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "static label %s",
				 pol->label ? why : "is missing");
	snprintf(out->process, sizeof(out->process), "%s", pol->label);
	out->has_mcs = ferry_seclabel_mcs_of(pol->label, &out->mcs) == 0;
	if (!pol->imagelabel)
		return ferry_seclabel_image_label(pol->label, out->image, err, errlen);
	r = ferry_label_context_check(pol->imagelabel, NULL, why, sizeof(why));
	if (r < 0)
		return ferry_err(err, errlen, r, "static image label %s", why);
	snprintf(out->image, sizeof(out->image), "%s", pol->imagelabel);
	return 0;
}

int ferry_seclabel_assign(const struct ferry_seclabel_policy *pol,
			  const struct ferry_mcs_pair *in_use, size_t n, ferry_rand_fn rnd,
			  void *rnd_data, struct ferry_seclabel_labels *out, char *err, size_t errlen)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->type = pol->type;
	out->relabel = pol->relabel;
	switch (pol->type) {
	case FERRY_SECLABEL_NONE:
		out->relabel = false;
		return 0;
	case FERRY_SECLABEL_STATIC:
		return assign_static(pol, out, err, errlen);
	case FERRY_SECLABEL_DYNAMIC:
		break;
	default:
		return ferry_err(err, errlen, -EINVAL, "unknown label type %d", (int)pol->type);
	}
	r = ferry_seclabel_mcs_alloc(in_use, n, rnd, rnd_data, &out->mcs);
	if (r == -ENOSPC)
		return ferry_err(err, errlen, r, "dynamic label: all %u MCS category pairs are in use",
				 FERRY_MCS_PAIRS);
	if (r < 0)
		return ferry_err(err, errlen, r, "dynamic label: %s", r == -EINVAL ?
				 "a pair in use is not two categories c0-c1023, lower first" :
				 strerror(-r));
	out->has_mcs = true;
	out->relabel = true;
	snprintf(out->process, sizeof(out->process), "%s:s0:c%u,c%u", FERRY_SVIRT_PROCESS,
		 out->mcs.lo, out->mcs.hi);
	snprintf(out->image, sizeof(out->image), "%s:s0:c%u,c%u", FERRY_SVIRT_IMAGE,
		 out->mcs.lo, out->mcs.hi);
	return 0;
}

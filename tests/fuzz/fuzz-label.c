/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-label - the ferry-label payload decoders, the SELinux context
 * checker and a domain's labels.
 *
 * Input: byte 0 picks the parser (its value modulo 4), the rest is its
 * input. 0: a LABEL_FD payload; 1: a LABEL_RESULT payload (whatever a
 * decoder accepts must encode back to the same bytes). 2: a context
 * (whatever the checker accepts has its fields where it says, and a
 * derived image label that passes it too). 3: a domain XML document
 * (whatever the parser accepts yields a label policy, and labels that
 * pass the checker). Any broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label-proto.h"
#include "seclabel.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const struct ferry_wbuf *w, const uint8_t *p, size_t len)
{
	if (w->err || w->len != len || memcmp(w->data, p, len) != 0)
		abort();
}

static void fuzz_fd(const uint8_t *p, size_t len)
{
	static struct ferry_wbuf w;
	struct ferry_label_req req;
	char err[256] = "";

	if (ferry_label_get_fd(p, len, &req, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		return;
	}
	ferry_wbuf_init(&w);
	if (ferry_label_put_fd(&w, &req) < 0)
		abort();
	same_bytes(&w, p, len);
}

static void fuzz_result(const uint8_t *p, size_t len)
{
	static struct ferry_wbuf w;
	struct ferry_label_result res;
	char err[256] = "";

	if (ferry_label_get_result(p, len, &res, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		return;
	}
	ferry_wbuf_init(&w);
	if (ferry_label_put_result(&w, &res) < 0)
		abort();
	same_bytes(&w, p, len);
}

static void fuzz_context(const uint8_t *p, size_t len)
{
	char ctx[FERRY_LABEL_CONTEXT_MAX + 2], image[FERRY_LABEL_CONTEXT_MAX + 1], err[256] = "";
	struct ferry_label_context c;
	struct ferry_mcs_pair pair;

	if (len >= sizeof(ctx))
		len = sizeof(ctx) - 1;
	memcpy(ctx, p, len);
	ctx[len] = '\0';
	if (ferry_label_context_check(ctx, &c, err, sizeof(err)) < 0) {
		if (!err[0] || ferry_seclabel_mcs_of(ctx, &pair) != -EINVAL)
			abort();
		return;
	}
	if (c.user != ctx || c.role != c.user + c.user_len + 1 ||
	    c.type != c.role + c.role_len + 1 || c.level != c.type + c.type_len + 1 ||
	    c.level[-1] != ':')
		abort();
	if (ferry_seclabel_mcs_of(ctx, &pair) == 0 &&
	    (pair.lo >= pair.hi || pair.hi >= FERRY_MCS_CATEGORIES))
		abort();
	if (ferry_seclabel_image_label(ctx, image, err, sizeof(err)) == 0 &&
	    ferry_label_context_check(image, NULL, err, sizeof(err)) < 0)
		abort();
}

/* The same numbers every run: a crash must replay. */
static int fixed_rand(void *data, uint32_t *out)
{
	uint32_t *x = data;

	*x = *x * 1103515245u + 12345u;
	*out = *x >> 8;
	return 0;
}

static void fuzz_domain(const uint8_t *p, size_t len)
{
	static const struct ferry_mcs_pair in_use[] = { { 0, 1 }, { 12, 34 }, { 1022, 1023 } };
	struct ferry_domain_def *def = NULL;
	struct ferry_seclabel_policy pol;
	struct ferry_seclabel_labels l;
	struct ferry_mcs_pair back;
	uint32_t seed = 1;
	char err[512] = "";

	if (ferry_domain_parse((const char *)p, len, &def, err, sizeof(err)) < 0) {
		if (!err[0] || def)
			abort();
		return;
	}
	if (ferry_seclabel_policy(def, &pol, err, sizeof(err)) < 0)
		abort();
	if (ferry_seclabel_assign(&pol, in_use, ARRAY_SIZE(in_use), fixed_rand, &seed, &l,
				  err, sizeof(err)) < 0) {
		/* The one refusal a valid definition meets: a level too long for the image type. */
		if (pol.type != FERRY_SECLABEL_STATIC || !strstr(err, "image label would be"))
			abort();
		ferry_domain_free(def);
		return;
	}
	if (l.type == FERRY_SECLABEL_NONE ? (l.process[0] || l.image[0]) :
	    (ferry_label_context_check(l.process, NULL, err, sizeof(err)) < 0 ||
	     ferry_label_context_check(l.image, NULL, err, sizeof(err)) < 0))
		abort();
	if (l.type == FERRY_SECLABEL_DYNAMIC &&
	    (ferry_seclabel_mcs_of(l.process, &back) < 0 || back.lo != l.mcs.lo ||
	     back.hi != l.mcs.hi || (back.lo == 12 && back.hi == 34)))
		abort();
	ferry_domain_free(def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_fd(data + 1, size - 1);
		break;
	case 1:
		fuzz_result(data + 1, size - 1);
		break;
	case 2:
		fuzz_context(data + 1, size - 1);
		break;
	default:
		fuzz_domain(data + 1, size - 1);
		break;
	}
	return 0;
}

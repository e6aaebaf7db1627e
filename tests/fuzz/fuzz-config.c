/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-config - ferryd.conf text through ferry_config_parse.
 *
 * The input, cut at its first NUL as a file read into a C string would
 * be, is applied to an empty configuration. A refusal must say which line
 * it stopped at; an accepted file must leave only values the parser
 * allows: absolute paths, a known accelerator and log level, access lists
 * within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p, size_t len)
{
	if (memchr(p, '\0', len) == NULL || (p[0] != '\0' && p[0] != '/'))
		abort();
}

static void check_accepted(const struct ferry_config *c)
{
	check_path(c->runtime_dir, sizeof(c->runtime_dir));
	check_path(c->state_dir, sizeof(c->state_dir));
	check_path(c->helper_dir, sizeof(c->helper_dir));
	check_path(c->qemu, sizeof(c->qemu));
	if (memchr(c->helper_user, '\0', sizeof(c->helper_user)) == NULL)
		abort();
	if (c->accel[0] && strcmp(c->accel, "auto") && strcmp(c->accel, "kvm") &&
	    strcmp(c->accel, "tcg"))
		abort();
	if (c->log_level > FERRY_LOG_DEBUG)
		abort();
	if (c->rw.nuids > FERRY_ACCESS_MAX || c->rw.ngids > FERRY_ACCESS_MAX ||
	    c->ro.nuids > FERRY_ACCESS_MAX || c->ro.ngids > FERRY_ACCESS_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ferry_config c;
	char err[256];
	char *text;

	/* ferry_config_load never hands the parser more than this. */
	if (size > FERRY_CONFIG_MAX_FILE)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0, sizeof(c));
	memset(err, 'Z', sizeof(err));
	if (ferry_config_parse(&c, text, err, sizeof(err)) < 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "line ", 5) != 0)
			abort();
	} else {
		check_accepted(&c);
	}
	free(text);
	return 0;
}

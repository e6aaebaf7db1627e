/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-report - the sandbox report's parsers on arbitrary input.
 *
 * The same bytes go three ways: as the text of /proc/PID/status, as the
 * text of /proc/PID/limits, and as a classic-BPF program of size/8
 * instructions for the seccomp interpreter. The kernel is the only real
 * source of any of them, but a parser that trusts it is one kernel
 * change away from reading past a buffer.
 */
#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_proc_report r;
	struct sock_filter *prog;
	size_t n = size / sizeof(*prog);
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&r, 0, sizeof(r));
	ferry_proc_status_parse(text, &r);
	ferry_proc_limits_parse(text, &r);
	free(text);

	/* A copy of its own, so the interpreter sees an exactly sized, aligned array. */
	prog = malloc(n ? n * sizeof(*prog) : 1);
	if (!prog)
		return 0;
	memcpy(prog, data, n * sizeof(*prog));
	ferry_bpf_count_allowed(prog, n);
	free(prog);
	return 0;
}

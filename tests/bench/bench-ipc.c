/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-ipc - how long the broker <-> helper machinery takes:
 *  - a request/reply round trip carrying one fd (FD_PROBE: the helper
 *    fstat()s and F_GETFL()s it under its seccomp filter and answers),
 *    and the same without an fd (PING) for reference;
 *  - a helper's spawn until it has answered HELLO under its sandbox.
 * Prints a table of median, p99 and mean. Usage: bench-ipc [ROUNDS [SPAWNS]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/helper.h"
#include "codec.h"
#include "log.h"
#include "util.h"

static struct ferry_loop loop;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void row(const char *what, uint64_t *ns, size_t n)
{
	uint64_t sum = 0;

	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += ns[i];
	printf("| %-44s | %7zu | %10.1f | %10.1f | %10.1f |\n", what, n,
	       ns[n / 2] / 1000.0, ns[(n * 99) / 100] / 1000.0, (double)sum / n / 1000.0);
}

static void on_reply(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	*(bool *)data = true;
	if (!m)
		ferry_die(1, "%s died: %s", h->info->name, h->exit_desc);
}

static void start(struct ferry_helper *h, enum ferry_helper_id id, const struct ferry_helper_opts *o)
{
	char err[512];

	if (ferry_helper_start(&loop, id, o, h, err, sizeof(err)) < 0)
		ferry_die(1, "%s", err);
	if (ferry_loop_wait(&loop, &h->ready, 5000) < 0)
		ferry_die(1, "%s: no HELLO", h->info->name);
}

static void stop(struct ferry_helper *h)
{
	ferry_helper_shutdown(h);
	if (ferry_loop_wait(&loop, &h->exited, 5000) < 0)
		ferry_die(1, "%s did not exit", h->info->name);
	ferry_helper_release(h);
}

static void round_trips(const struct ferry_helper_opts *o, size_t rounds, bool with_fd)
{
	uint64_t *ns = calloc(rounds, sizeof(*ns));
	struct ferry_helper h;
	int p[2];

	if (!ns || pipe2(p, O_CLOEXEC) < 0)
		ferry_die(1, "setup failed");
	start(&h, FERRY_HELPER_MONITOR, o);
	for (size_t i = 0; i < rounds; i++) {
		struct ferry_wbuf w;
		bool done = false;
		uint64_t t0 = ferry_now_ns();
		int r;

		ferry_wbuf_init(&w);
		if (with_fd) {
			r = ferry_helper_call(&h, FERRY_MSG_FD_PROBE, NULL, &p[0], 1, on_reply, &done);
		} else {
			ferry_put_u64(&w, i);
			r = ferry_helper_call(&h, FERRY_MSG_PING, &w, NULL, 0, on_reply, &done);
		}
		if (r < 0 || ferry_loop_wait(&loop, &done, 5000) < 0)
			ferry_die(1, "round trip %zu failed", i);
		ns[i] = ferry_now_ns() - t0;
	}
	stop(&h);
	row(with_fd ? "round trip with one fd (FD_PROBE, monitor)" : "round trip, no fd (PING, monitor)",
	    ns, rounds);
	close(p[0]);
	close(p[1]);
	free(ns);
}

static void spawns(const struct ferry_helper_opts *o, enum ferry_helper_id id, size_t n)
{
	uint64_t *ns = calloc(n, sizeof(*ns));
	char what[64];

	if (!ns)
		ferry_die(1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct ferry_helper h;
		uint64_t t0 = ferry_now_ns();

		start(&h, id, o);
		ns[i] = ferry_now_ns() - t0;
		stop(&h);
	}
	snprintf(what, sizeof(what), "spawn until HELLO (%s)", ferry_helper_table[id].name);
	row(what, ns, n);
	free(ns);
}

int main(int argc, char **argv)
{
	struct ferry_helper_opts o;
	uint32_t rounds = 20000, nspawn = 200;
	char err[256];

	if ((argc > 1 && ferry_parse_u32(argv[1], &rounds) < 0) ||
	    (argc > 2 && ferry_parse_u32(argv[2], &nspawn) < 0) || rounds == 0 || nspawn == 0)
		ferry_die(2, "usage: bench-ipc [ROUNDS [SPAWNS]]");
	ferry_log_set_ident("bench-ipc");
	if (ferry_loop_init(&loop) < 0 || ferry_helper_opts_default(&o, NULL, err, sizeof(err)) < 0)
		ferry_die(1, "setup: %s", err);
	printf("helpers from %s, running as %s, %s build\n\n", o.dir,
	       o.set_ids ? "nobody (broker is root)" : "the caller",
	       FERRY_SANITIZED ? "sanitized" : "plain");
	printf("| %-44s | %7s | %10s | %10s | %10s |\n", "measure", "samples", "median us",
	       "p99 us", "mean us");
	printf("|%s|---------|------------|------------|------------|\n",
	       "----------------------------------------------");
	round_trips(&o, rounds, true);
	round_trips(&o, rounds, false);
	for (int i = 0; i < FERRY_HELPER_COUNT; i++)
		spawns(&o, (enum ferry_helper_id)i, nspawn);
	ferry_loop_fini(&loop);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-tunnel - what ferry-tunnel costs on the data path: the same bytes
 * (socketpair -> pump -> socketpair, a writer thread at one end and a
 * reader thread at the other) once through a splice() copy in a thread of
 * this process, once through the sandboxed helper, with 1 and 2 streams.
 * Prints a table of MB/s (10^6 bytes per second), the median of the rounds.
 * Usage: bench-tunnel [MIB_PER_STREAM [ROUNDS]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/helper.h"
#include "codec.h"
#include "log.h"
#include "tunnel-proto.h"
#include "util.h"

#define BUF (1u << 20)
#define MAX_STREAMS 2

static struct ferry_loop loop;
static uint64_t stream_bytes;

struct path {
	int w, r;		/* the writer's and the reader's ends */
	int from, to;		/* what the pump gets */
	uint64_t read;		/* bytes the reader got before EOF */
	uint64_t end_ns;	/* when it got EOF */
	pthread_t wt, rt, pt;
};

static void *writer(void *arg)
{
	struct path *p = arg;
	uint8_t *buf = calloc(1, BUF);

	if (!buf)
		ferry_die(1, "out of memory");
	memset(buf, 0xa5, BUF);
	for (uint64_t left = stream_bytes; left;) {
		ssize_t n = write(p->w, buf, left < BUF ? (size_t)left : BUF);

		if (n <= 0)
			ferry_die(1, "writer: %s", n < 0 ? strerror(errno) : "wrote nothing");
		left -= (uint64_t)n;
	}
	close(p->w);
	free(buf);
	return NULL;
}

static void *reader(void *arg)
{
	struct path *p = arg;
	uint8_t *buf = malloc(BUF);
	ssize_t n;

	if (!buf)
		ferry_die(1, "out of memory");
	while ((n = read(p->r, buf, BUF)) > 0)
		p->read += (uint64_t)n;
	if (n < 0)
		ferry_die(1, "reader: %s", strerror(errno));
	p->end_ns = ferry_now_ns();
	close(p->r);
	free(buf);
	return NULL;
}

/* The in-process reference: the helper's splice path, with blocking fds and no poll. */
static void *splice_pump(void *arg)
{
	struct path *p = arg;
	int pp[2];
	ssize_t n;

	if (pipe2(pp, O_CLOEXEC) < 0)
		ferry_die(1, "pipe2: %s", strerror(errno));
	fcntl(pp[1], F_SETPIPE_SZ, BUF);
	while ((n = splice(p->from, NULL, pp[1], NULL, BUF, SPLICE_F_MOVE)) > 0)
		for (ssize_t left = n, m; left; left -= m)
			if ((m = splice(pp[0], NULL, p->to, NULL, (size_t)left, SPLICE_F_MOVE)) <= 0)
				ferry_die(1, "splice out: %s", m < 0 ? strerror(errno) : "0");
	if (n < 0)
		ferry_die(1, "splice in: %s", strerror(errno));
	shutdown(p->to, SHUT_WR);
	close(p->from);
	close(p->to);
	close(pp[0]);
	close(pp[1]);
	return NULL;
}

static void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pthread_create(t, NULL, fn, arg) != 0)
		ferry_die(1, "pthread_create failed");
}

static void paths_open(struct path *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int a[2], b[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0 ||
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) < 0)
			ferry_die(1, "socketpair: %s", strerror(errno));
		p[i] = (struct path){ .w = a[0], .from = a[1], .to = b[0], .r = b[1] };
		spawn(&p[i].wt, writer, &p[i]);
		spawn(&p[i].rt, reader, &p[i]);
	}
}

/* Join the ends; return the seconds from @t0 to the last EOF. */
static double paths_close(struct path *p, unsigned n, uint64_t t0)
{
	uint64_t last = t0;

	for (unsigned i = 0; i < n; i++) {
		pthread_join(p[i].wt, NULL);
		pthread_join(p[i].rt, NULL);
		if (p[i].read != stream_bytes)
			ferry_die(1, "stream %u: %llu bytes arrived, not %llu", i,
				  (unsigned long long)p[i].read, (unsigned long long)stream_bytes);
		if (p[i].end_ns > last)
			last = p[i].end_ns;
	}
	return (double)(last - t0) / 1e9;
}

static double run_splice(unsigned n)
{
	struct path p[MAX_STREAMS];
	uint64_t t0;

	paths_open(p, n);
	t0 = ferry_now_ns();
	for (unsigned i = 0; i < n; i++)
		spawn(&p[i].pt, splice_pump, &p[i]);
	for (unsigned i = 0; i < n; i++)
		pthread_join(p[i].pt, NULL);
	return paths_close(p, n, t0);
}

struct tunnel_run {
	unsigned ends, calls;
};

static void on_event(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	struct tunnel_run *tr = data;
	struct ferry_tunnel_end e;
	char why[128];

	if (m->hdr.type != FERRY_MSG_TUNNEL_END)
		return;
	if (ferry_tunnel_get_end(m->payload, m->len, &e, why, sizeof(why)) < 0)
		ferry_die(1, "TUNNEL_END: %s", why);
	if (e.status != 0)
		ferry_die(1, "stream %u: %s", e.index, e.message);
	tr->ends++;
}

static void on_ok(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	if (!m || m->hdr.type != FERRY_MSG_TUNNEL_OK)
		ferry_die(1, "TUNNEL_STREAM refused or %s died: %s", h->info->name, h->exit_desc);
	((struct tunnel_run *)data)->calls++;
}

static double run_tunnel(const struct ferry_helper_opts *o, unsigned n)
{
	struct tunnel_run tr = { 0 };
	struct path p[MAX_STREAMS];
	struct ferry_helper h;
	char err[512] = "";
	uint64_t t0;
	bool done = false;

	if (ferry_helper_start(&loop, FERRY_HELPER_TUNNEL, o, &h, err, sizeof(err)) < 0 ||
	    ferry_loop_wait(&loop, &h.ready, 5000) < 0)
		ferry_die(1, "ferry-tunnel: %s %s", err, h.exit_desc);
	h.on_event = on_event;
	h.event_data = &tr;
	paths_open(p, n);
	t0 = ferry_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct ferry_wbuf w;
		int fds[2] = { p[i].from, p[i].to };

		ferry_wbuf_init(&w);
		if (ferry_tunnel_put_stream(&w, i, 0) < 0 ||
		    ferry_helper_call(&h, FERRY_MSG_TUNNEL_STREAM, &w, fds, 2, on_ok, &tr) < 0)
			ferry_die(1, "TUNNEL_STREAM could not be sent");
		close(p[i].from);
		close(p[i].to);
	}
	while (!done) {
		ferry_loop_run_once(&loop, 1000);
		done = tr.ends == n && tr.calls == n;
	}
	ferry_helper_shutdown(&h);
	if (ferry_loop_wait(&loop, &h.exited, 5000) < 0)
		ferry_die(1, "ferry-tunnel did not exit");
	ferry_helper_release(&h);
	return paths_close(p, n, t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void row(const char *what, unsigned n, double *secs, unsigned rounds)
{
	double bytes = (double)stream_bytes * n;

	qsort(secs, rounds, sizeof(*secs), cmp_double);
	printf("| %-34s | %7u | %9llu | %6u | %10.0f | %10.0f | %10.0f |\n", what, n,
	       (unsigned long long)(stream_bytes >> 20), rounds, bytes / secs[rounds - 1] / 1e6,
	       bytes / secs[rounds / 2] / 1e6, bytes / secs[0] / 1e6);
}

int main(int argc, char **argv)
{
	struct ferry_helper_opts o;
	uint32_t mib = 1024, rounds = 3;
	double secs[2][64];
	char err[256];

	if ((argc > 1 && ferry_parse_u32(argv[1], &mib) < 0) ||
	    (argc > 2 && ferry_parse_u32(argv[2], &rounds) < 0) || mib == 0 || rounds == 0 ||
	    rounds > 64)
		ferry_die(2, "usage: bench-tunnel [MIB_PER_STREAM [ROUNDS (1-64)]]");
	ferry_log_set_ident("bench-tunnel");
	signal(SIGPIPE, SIG_IGN);
	stream_bytes = (uint64_t)mib << 20;
	if (ferry_loop_init(&loop) < 0 || ferry_helper_opts_default(&o, NULL, err, sizeof(err)) < 0)
		ferry_die(1, "setup: %s", err);
	printf("helpers from %s, running as %s, %s build\n\n", o.dir,
	       o.set_ids ? "nobody (broker is root)" : "the caller",
	       FERRY_SANITIZED ? "sanitized" : "plain");
	printf("| %-34s | %7s | %9s | %6s | %10s | %10s | %10s |\n", "path", "streams",
	       "MiB each", "rounds", "min MB/s", "median", "max MB/s");
	printf("|------------------------------------|---------|-----------|--------|"
	       "------------|------------|------------|\n");
	for (unsigned n = 1; n <= MAX_STREAMS; n++) {
		for (unsigned i = 0; i < rounds; i++) {
			secs[0][i] = run_splice(n);
			secs[1][i] = run_tunnel(&o, n);
		}
		row("splice() in a thread, in process", n, secs[0], rounds);
		row("ferry-tunnel (sandboxed helper)", n, secs[1], rounds);
	}
	ferry_loop_fini(&loop);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "mon-harness.h"
#include "util.h"

struct ferry_loop mon_loop;
struct mon_events mon_events;

static struct ferry_helper_opts opts;
static unsigned seq;

int mon_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

void mon_setup(void)
{
	char err[256];

	ck_assert_int_eq(ferry_loop_init(&mon_loop), 0);
	ck_assert_msg(ferry_helper_opts_default(&opts, NULL, err, sizeof(err)) == 0, "%s", err);
	memset(&mon_events, 0, sizeof(mon_events));
	seq = 0;
}

void mon_teardown(void)
{
	ferry_loop_fini(&mon_loop);
}

static void record(struct mon_rec *r, const struct ferry_msg *m)
{
	r->done = true;
	r->got = m != NULL;
	r->seq = ++seq;
	if (!m)
		return;
	r->type = m->hdr.type;
	ck_assert_uint_le(m->len, sizeof(r->payload));
	r->len = m->len;
	memcpy(r->payload, m->payload, m->len);
}

static void on_reply(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	record(data, m);
}

static void on_event(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	struct mon_events *evs = data;

	ck_assert_uint_lt(evs->n, MON_MAX_EVENTS);
	record(&evs->ev[evs->n++], m);
}

void mon_start(struct ferry_helper *h)
{
	char err[512];

	ck_assert_msg(ferry_helper_start(&mon_loop, FERRY_HELPER_MONITOR, &opts, h,
					 err, sizeof(err)) == 0, "%s", err);
	h->on_event = on_event;
	h->event_data = &mon_events;
	ck_assert_msg(ferry_loop_wait(&mon_loop, &h->ready, MON_TIMEOUT_MS) == 0,
		      "ferry-monitor gave no HELLO: %s %s", h->exit_desc, h->error);
}

void mon_wait_exit(struct ferry_helper *h)
{
	ck_assert_msg(ferry_loop_wait(&mon_loop, &h->exited, MON_TIMEOUT_MS) == 0,
		      "ferry-monitor did not exit");
}

void mon_wait(const bool *flag)
{
	ck_assert_msg(ferry_loop_wait(&mon_loop, flag, MON_TIMEOUT_MS) == 0,
		      "nothing came within %d ms", MON_TIMEOUT_MS);
}

void mon_wait_events(unsigned n)
{
	uint64_t end = ferry_now_ns() + MON_TIMEOUT_MS * 1000000ull;

	while (mon_events.n < n) {
		ck_assert_msg(ferry_now_ns() < end, "%u events after %d ms, expected %u",
			      mon_events.n, MON_TIMEOUT_MS, n);
		ferry_loop_run_once(&mon_loop, 50);
	}
}

void mon_call_async(struct ferry_helper *h, uint16_t type, const struct ferry_wbuf *w,
		    const int *fds, unsigned nfds, struct mon_rec *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(ferry_helper_call(h, type, w, fds, nfds, on_reply, r), 0);
}

void mon_attach_async(struct ferry_helper *h, int fd, uint32_t timeout_ms, struct mon_rec *r)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ck_assert_int_eq(ferry_mon_put_attach(&w, timeout_ms), 0);
	mon_call_async(h, FERRY_MSG_MON_ATTACH, &w, &fd, 1, r);
}

void mon_send_async(struct ferry_helper *h, const struct ferry_mon_command *c, struct mon_rec *r)
{
	struct ferry_wbuf w;

	ferry_wbuf_init(&w);
	ck_assert_int_eq(ferry_mon_put_command(&w, c), 0);
	mon_call_async(h, FERRY_MSG_MON_COMMAND, &w, NULL, 0, r);
}

void mon_command_async(struct ferry_helper *h, uint32_t cmd, uint32_t timeout_ms,
		       struct mon_rec *r)
{
	struct ferry_mon_command c = { .cmd = cmd, .timeout_ms = timeout_ms };

	mon_send_async(h, &c, r);
}

void mon_expect_result(const struct mon_rec *r, struct ferry_mon_result *res)
{
	char why[128];

	ck_assert(r->got);
	ck_assert_msg(r->type == FERRY_MSG_MON_RESULT, "reply type %u, not MON_RESULT", r->type);
	ck_assert_msg(ferry_mon_get_result(r->payload, r->len, res, why, sizeof(why)) == 0,
		      "%s", why);
}

void mon_expect_event(const struct mon_rec *r, struct ferry_mon_event *ev)
{
	char why[128];

	ck_assert_msg(r->type == FERRY_MSG_MON_EVENT, "event type %u, not MON_EVENT", r->type);
	ck_assert_msg(ferry_mon_get_event(r->payload, r->len, ev, why, sizeof(why)) == 0,
		      "%s", why);
}

void mon_expect_closed(const struct mon_rec *r, struct ferry_mon_closed *c)
{
	char why[128];

	ck_assert_msg(r->type == FERRY_MSG_MON_CLOSED, "event type %u, not MON_CLOSED", r->type);
	ck_assert_msg(ferry_mon_get_closed(r->payload, r->len, c, why, sizeof(why)) == 0,
		      "%s", why);
}

int32_t mon_expect_error(const struct mon_rec *r, const char **text)
{
	struct ferry_rbuf rb;
	char why[128];
	int32_t err;

	ck_assert(r->got);
	ck_assert_msg(r->type == FERRY_MSG_ERROR, "reply type %u, not ERROR", r->type);
	ferry_rbuf_init(&rb, r->payload, r->len);
	err = ferry_get_i32(&rb, "errno");
	*text = ferry_get_str(&rb, "message");
	ck_assert_msg(ferry_get_end(&rb, why, sizeof(why)) == 0, "%s", why);
	return err;
}

struct mon_rec mon_try_syscall(struct ferry_helper *h, long nr)
{
	struct ferry_wbuf w;
	struct mon_rec r;

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, (uint32_t)nr);
	mon_call_async(h, FERRY_MSG_TEST_SYSCALL, &w, NULL, 0, &r);
	mon_wait(&r.done);
	return r;
}

void mon_expect_allowed(struct ferry_helper *h, const char *name, long nr)
{
	struct mon_rec r = mon_try_syscall(h, nr);

	ck_assert_msg(r.got, "%s killed it: %s", name, h->exit_desc);
	ck_assert_uint_eq(r.type, FERRY_MSG_SYSCALL_RESULT);
}

void mon_expect_killed(struct ferry_helper *h, const char *name, long nr)
{
	struct mon_rec r = mon_try_syscall(h, nr);
	char want[128];

	ck_assert_msg(!r.got, "%s was allowed", name);
	ck_assert_msg(ferry_loop_wait(&mon_loop, &h->exited, MON_TIMEOUT_MS) == 0,
		      "%s did not exit after %s", h->info->name, name);
	snprintf(want, sizeof(want), "%s (pid %d) killed by seccomp (SIGSYS)", h->info->name,
		 (int)h->child.pid);
	ck_assert_str_eq(h->exit_desc, want);
}

void mon_helper_hangup(struct ferry_helper *h, int fds_before)
{
	if (!h->exited) {
		ferry_helper_shutdown(h);
		ck_assert_msg(ferry_loop_wait(&mon_loop, &h->exited, MON_TIMEOUT_MS) == 0,
			      "%s did not exit", h->info->name);
		ck_assert_msg(strstr(h->exit_desc, "exited with status 0"), "%s", h->exit_desc);
	}
	ferry_helper_release(h);
	mon_teardown();
	ck_assert_int_eq(mon_count_fds(), fds_before);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "privdrop.h"
#include "log.h"
#include "util.h"
#include "wire.h"

#define START_TIMEOUT_MS 5000

bool ferry_check_verdict(const struct ferry_helper_info *info, const struct ferry_proc_report *r,
			 bool root, char *why, size_t whylen)
{
	/* Started by an ordinary user, a helper has no capability to keep. */
	uint64_t keep = root ? info->caps : 0;

	if (r->seccomp != 2)
		snprintf(why, whylen, "Seccomp is %d, not 2 (filter)", r->seccomp);
	else if (r->no_new_privs != 1)
		snprintf(why, whylen, "NoNewPrivs is %d, not 1", r->no_new_privs);
	else if (!r->caps_valid)
		snprintf(why, whylen, "capability sets unreadable");
	else if (r->cap_inh || r->cap_amb)
		snprintf(why, whylen, "CapInh %016" PRIx64 " / CapAmb %016" PRIx64 " not empty",
			 r->cap_inh, r->cap_amb);
	else if (r->cap_prm != keep || r->cap_eff != keep)
		snprintf(why, whylen, "CapPrm %016" PRIx64 " / CapEff %016" PRIx64
			 ", keep-set is %016" PRIx64, r->cap_prm, r->cap_eff, keep);
	else if (root && (r->cap_bnd & ~keep))
		snprintf(why, whylen, "CapBnd %016" PRIx64 " holds more than the keep-set %016" PRIx64,
			 r->cap_bnd, keep);
	else
		return true;
	return false;
}

struct check_slot {
	struct ferry_helper h;
	bool answered;		/* PONG came back */
	bool pong_ok;
};

static void on_pong(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct check_slot *s = data;

	s->answered = true;
	s->pong_ok = reply && reply->hdr.type == FERRY_MSG_PONG;
}

static bool all_settled(struct check_slot *slots, size_t n, bool want_pong)
{
	for (size_t i = 0; i < n; i++) {
		if (slots[i].h.exited || slots[i].h.chan.fd < 0)
			continue;
		if (want_pong ? !slots[i].answered : !slots[i].h.ready)
			return false;
	}
	return true;
}

/* Run the loop until every live helper has said hello (or answered a ping). */
static void settle(struct ferry_loop *loop, struct check_slot *slots, size_t n, bool want_pong)
{
	uint64_t deadline = ferry_now_ns() + START_TIMEOUT_MS * 1000000ull;

	while (!all_settled(slots, n, want_pong) && ferry_now_ns() < deadline)
		ferry_loop_run_once(loop, 50);
}

static bool judge(struct check_slot *s, struct ferry_proc_report *rep, char *why, size_t len)
{
	if (s->h.exited) {
		snprintf(why, len, "%s", s->h.exit_desc);
		return false;
	}
	if (!s->h.ready || !s->pong_ok) {
		snprintf(why, len, "%s did not %s", s->h.info->name,
			 s->h.ready ? "answer PING" : "say HELLO");
		return false;
	}
	if (ferry_proc_report_read(s->h.child.pid, (int)s->h.chan.peer_hello.filter_syscalls, rep) < 0) {
		snprintf(why, len, "%s: /proc unreadable", s->h.info->name);
		return false;
	}
	ferry_proc_report_ns_fallback(rep, s->h.chan.peer_hello.namespaces);
	return ferry_check_verdict(s->h.info, rep, geteuid() == 0, why, len);
}

static void emit(FILE *out, struct json_object *arr, struct check_slot *s,
		 const struct ferry_proc_report *rep, bool ok, const char *why, bool have_rep)
{
	if (arr) {
		struct json_object *o = have_rep ? ferry_proc_report_json(s->h.info->name, rep)
						 : json_object_new_object();

		if (!have_rep)
			json_object_object_add(o, "name", json_object_new_string(s->h.info->name));
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		if (!ok)
			json_object_object_add(o, "problem", json_object_new_string(why));
		json_object_array_add(arr, o);
		return;
	}
	if (have_rep)
		ferry_proc_report_print(out, s->h.info->name, rep);
	else
		fprintf(out, "%s\n", s->h.info->name);
	fprintf(out, "  verdict: %s%s\n\n", ok ? "ok" : "NOT CONFINED: ", ok ? "" : why);
}

static int spawn_all(struct ferry_loop *loop, const struct ferry_helper_opts *o,
		     struct check_slot *slots)
{
	char err[512];

	for (int i = 0; i < FERRY_HELPER_COUNT; i++) {
		int r = ferry_helper_start(loop, (enum ferry_helper_id)i, o, &slots[i].h, err, sizeof(err));

		if (r < 0) {
			log_err("%s", err);
			for (int j = 0; j < i; j++) {
				ferry_helper_kill(&slots[j].h);
				ferry_helper_release(&slots[j].h);
			}
			return r;
		}
	}
	return 0;
}

static void ping_all(struct check_slot *slots)
{
	for (int i = 0; i < FERRY_HELPER_COUNT; i++) {
		struct ferry_wbuf w;

		if (!slots[i].h.ready)
			continue;
		ferry_wbuf_init(&w);
		ferry_put_u64(&w, 0x5eed0000u + (unsigned)i);
		if (ferry_helper_call(&slots[i].h, FERRY_MSG_PING, &w, NULL, 0, on_pong, &slots[i]) < 0)
			slots[i].answered = true;
	}
}

/* Close every channel and wait for each helper to leave. */
static void stop_all(struct ferry_loop *loop, struct check_slot *slots)
{
	uint64_t deadline = ferry_now_ns() + START_TIMEOUT_MS * 1000000ull;
	bool all = false;

	for (int i = 0; i < FERRY_HELPER_COUNT; i++)
		ferry_helper_shutdown(&slots[i].h);
	while (!all && ferry_now_ns() < deadline) {
		all = true;
		for (int i = 0; i < FERRY_HELPER_COUNT; i++)
			all &= slots[i].h.exited;
		if (!all)
			ferry_loop_run_once(loop, 50);
	}
	for (int i = 0; i < FERRY_HELPER_COUNT; i++) {
		if (!slots[i].h.exited) {
			log_warn("%s (pid %d) did not exit when its channel closed", slots[i].h.info->name,
				 (int)slots[i].h.child.pid);
			ferry_helper_kill(&slots[i].h);
		}
		ferry_helper_release(&slots[i].h);
	}
}

int ferry_check_sandbox(const struct ferry_helper_opts *o, bool json, FILE *out)
{
	static struct ferry_loop loop;
	struct check_slot slots[FERRY_HELPER_COUNT];
	struct json_object *arr = json ? json_object_new_array() : NULL;
	char self[256];
	bool all_ok = true;
	int r;

	memset(slots, 0, sizeof(slots));
	if ((r = ferry_loop_init(&loop)) < 0)
		return r;
	if ((r = spawn_all(&loop, o, slots)) < 0) {
		ferry_loop_fini(&loop);
		json_object_put(arr);
		return r;
	}
	settle(&loop, slots, FERRY_HELPER_COUNT, false);
	ping_all(slots);
	settle(&loop, slots, FERRY_HELPER_COUNT, true);
	for (int i = 0; i < FERRY_HELPER_COUNT; i++) {
		struct ferry_proc_report rep;
		char why[256] = "";
		bool ok;

		memset(&rep, 0, sizeof(rep));
		ok = judge(&slots[i], &rep, why, sizeof(why));
		emit(out, arr, &slots[i], &rep, ok, why, rep.pid != 0);
		all_ok &= ok;
	}
	stop_all(&loop, slots);
	ferry_loop_fini(&loop);
	/* The broker's own state: its ids, capabilities and no_new_privs. */
	ferry_self_state(self, sizeof(self));
	if (!arr)
		fprintf(out, "ferryd (pid %d): %s\n", (int)getpid(), self);
	if (arr) {
		struct json_object *top = json_object_new_object();

		json_object_object_add(top, "ok", json_object_new_boolean(all_ok));
		json_object_object_add(top, "broker", json_object_new_string(self));
		json_object_object_add(top, "helpers", arr);
		fprintf(out, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY));
		json_object_put(top);
	}
	return all_ok ? 0 : 1;
}

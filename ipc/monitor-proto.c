/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-proto.c - the ferry-monitor payloads. Both ends call the same
 * encoders and decoders, so a layout exists in exactly one place; each
 * decoder checks what the helper promised about a string, because the
 * broker trusts no helper.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor-proto.h"
#include "util.h"

typedef bool (*str_check)(const char *s);

static bool in_alphabet(const char *s, size_t max, const char *extra, bool upper)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool letter = upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');

		if (!letter && !(c >= '0' && c <= '9') && !strchr(extra, c))
			return false;
	}
	return true;
}

bool ferry_mon_token_ok(const char *s)
{
	return in_alphabet(s, FERRY_MON_TOKEN_MAX, "-", false);
}

bool ferry_mon_event_name_ok(const char *s)
{
	return in_alphabet(s, FERRY_MON_EVENT_NAME_MAX, "_", true);
}

/* One 0-65535 number without leading zeros; advances *s past it. */
static bool version_part(const char **s)
{
	const char *p = *s;
	unsigned v = 0;
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9' && n < 6)
		v = v * 10 + (unsigned)(p[n++] - '0');
	if (n == 0 || n > 5 || v > 65535 || (n > 1 && p[0] == '0'))
		return false;
	*s = p + n;
	return true;
}

bool ferry_mon_version_ok(const char *s)
{
	return strlen(s) <= FERRY_MON_VERSION_MAX &&
	       version_part(&s) && *s++ == '.' &&
	       version_part(&s) && *s++ == '.' &&
	       version_part(&s) && *s == '\0';
}

bool ferry_mon_reason_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FERRY_MON_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* A string field that must pass @ok; the writer latches -EINVAL otherwise. */
static void put_checked(struct ferry_wbuf *w, const char *s, str_check ok)
{
	if (!w->err && (!s || !ok(s)))
		w->err = -EINVAL;
	if (!w->err)
		ferry_put_str(w, s);
}

/* A string field that must pass @ok; the reader latches -EBADMSG otherwise. */
static const char *get_checked(struct ferry_rbuf *r, const char *what, str_check ok)
{
	const char *s = ferry_get_str(r, what);

	if (r->err)
		return "";
	if (!ok(s)) {
		r->err = -EBADMSG;
		r->what = what;
		return "";
	}
	return s;
}

/* A u32 that is a flag: 0 or 1 only, so both ends read it the same. */
static uint32_t get_flag(struct ferry_rbuf *r, const char *what)
{
	uint32_t v = ferry_get_u32(r, what);

	if (!r->err && v > 1) {
		r->err = -EBADMSG;
		r->what = what;
		return 0;
	}
	return v;
}

static int put_end(const struct ferry_wbuf *w)
{
	return w->err;
}

static int refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* --- commands ------------------------------------------------------------ */

static void put_status(struct ferry_wbuf *w, const union ferry_mon_ret *ret)
{
	put_checked(w, ret->status.status, ferry_mon_token_ok);
	if (!w->err && ret->status.running > 1)
		w->err = -EINVAL;
	ferry_put_u32(w, ret->status.running);
}

static void get_status(struct ferry_rbuf *r, union ferry_mon_ret *ret)
{
	ret->status.status = get_checked(r, "status", ferry_mon_token_ok);
	ret->status.running = get_flag(r, "running");
}

static const struct ferry_mon_cmd_info cmd_table[] = {
	{ FERRY_MON_QUERY_STATUS, "query-status", NULL, NULL, put_status, get_status },
	{ FERRY_MON_STOP, "stop", NULL, NULL, NULL, NULL },
	{ FERRY_MON_CONT, "cont", NULL, NULL, NULL, NULL },
	{ FERRY_MON_QUIT, "quit", NULL, NULL, NULL, NULL },
	{ FERRY_MON_SYSTEM_POWERDOWN, "system_powerdown", NULL, NULL, NULL, NULL },
	{ FERRY_MON_SYSTEM_RESET, "system_reset", NULL, NULL, NULL, NULL },
};

const struct ferry_mon_cmd_info *ferry_mon_cmd_lookup(uint32_t cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++)
		if (cmd_table[i].cmd == cmd)
			return &cmd_table[i];
	return NULL;
}

const char *ferry_mon_cmd_name(uint32_t cmd)
{
	const struct ferry_mon_cmd_info *ci = ferry_mon_cmd_lookup(cmd);

	return ci ? ci->qmp : "unknown";
}

int ferry_mon_put_command(struct ferry_wbuf *w, const struct ferry_mon_command *c)
{
	const struct ferry_mon_cmd_info *ci = ferry_mon_cmd_lookup(c->cmd);

	if (!ci)
		return -EINVAL;
	ferry_put_u32(w, c->cmd);
	ferry_put_u32(w, c->timeout_ms);
	if (ci->put_args)
		ci->put_args(w, &c->args);
	return put_end(w);
}

int ferry_mon_get_command(const void *p, size_t len, struct ferry_mon_command *c,
			  char *err, size_t errlen)
{
	const struct ferry_mon_cmd_info *ci;
	struct ferry_rbuf r;

	memset(c, 0, sizeof(*c));
	ferry_rbuf_init(&r, p, len);
	c->cmd = ferry_get_u32(&r, "cmd");
	c->timeout_ms = ferry_get_u32(&r, "timeout_ms");
	ci = ferry_mon_cmd_lookup(c->cmd);
	if (!r.err && !ci)
		return refuse(err, errlen, "unknown monitor command %u", c->cmd);
	if (ci && ci->get_args)
		ci->get_args(&r, &c->args);
	return ferry_get_end(&r, err, errlen);
}

int ferry_mon_put_result(struct ferry_wbuf *w, const struct ferry_mon_result *res)
{
	const struct ferry_mon_cmd_info *ci = ferry_mon_cmd_lookup(res->cmd);

	if (!ci)
		return -EINVAL;
	ferry_put_u32(w, res->cmd);
	if (ci->put_ret)
		ci->put_ret(w, &res->ret);
	return put_end(w);
}

int ferry_mon_get_result(const void *p, size_t len, struct ferry_mon_result *res,
			 char *err, size_t errlen)
{
	const struct ferry_mon_cmd_info *ci;
	struct ferry_rbuf r;

	memset(res, 0, sizeof(*res));
	ferry_rbuf_init(&r, p, len);
	res->cmd = ferry_get_u32(&r, "cmd");
	ci = ferry_mon_cmd_lookup(res->cmd);
	if (!r.err && !ci)
		return refuse(err, errlen, "result of unknown monitor command %u", res->cmd);
	if (ci && ci->get_ret)
		ci->get_ret(&r, &res->ret);
	return ferry_get_end(&r, err, errlen);
}

/* --- events -------------------------------------------------------------- */

struct event_info {
	uint32_t type;
	const char *qmp;
	void (*put)(struct ferry_wbuf *w, const struct ferry_mon_event *ev);
	void (*get)(struct ferry_rbuf *r, struct ferry_mon_event *ev);
};

static void put_shutdown(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	if (ev->u.shutdown.guest > 1)
		w->err = -EINVAL;
	ferry_put_u32(w, ev->u.shutdown.guest);
	put_checked(w, ev->u.shutdown.reason, ferry_mon_token_ok);
}

static void get_shutdown(struct ferry_rbuf *r, struct ferry_mon_event *ev)
{
	ev->u.shutdown.guest = get_flag(r, "guest");
	ev->u.shutdown.reason = get_checked(r, "reason", ferry_mon_token_ok);
}

static void put_migration(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	put_checked(w, ev->u.migration.status, ferry_mon_token_ok);
}

static void get_migration(struct ferry_rbuf *r, struct ferry_mon_event *ev)
{
	ev->u.migration.status = get_checked(r, "status", ferry_mon_token_ok);
}

static void put_pass(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	ferry_put_u64(w, ev->u.migration_pass.pass);
}

static void get_pass(struct ferry_rbuf *r, struct ferry_mon_event *ev)
{
	ev->u.migration_pass.pass = ferry_get_u64(r, "pass");
}

static void put_other(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	/* A name with a type of its own must travel as that type. */
	if (ev->u.other.name && ferry_mon_event_type(ev->u.other.name) != FERRY_MON_EV_OTHER)
		w->err = -EINVAL;
	put_checked(w, ev->u.other.name, ferry_mon_event_name_ok);
}

static void get_other(struct ferry_rbuf *r, struct ferry_mon_event *ev)
{
	ev->u.other.name = get_checked(r, "name", ferry_mon_event_name_ok);
	if (!r->err && ferry_mon_event_type(ev->u.other.name) != FERRY_MON_EV_OTHER) {
		r->err = -EBADMSG;
		r->what = "name";
	}
}

static const struct event_info event_table[] = {
	{ FERRY_MON_EV_SHUTDOWN, "SHUTDOWN", put_shutdown, get_shutdown },
	{ FERRY_MON_EV_POWERDOWN, "POWERDOWN", NULL, NULL },
	{ FERRY_MON_EV_RESET, "RESET", NULL, NULL },
	{ FERRY_MON_EV_STOP, "STOP", NULL, NULL },
	{ FERRY_MON_EV_RESUME, "RESUME", NULL, NULL },
	{ FERRY_MON_EV_MIGRATION, "MIGRATION", put_migration, get_migration },
	{ FERRY_MON_EV_MIGRATION_PASS, "MIGRATION_PASS", put_pass, get_pass },
	{ FERRY_MON_EV_OTHER, NULL, put_other, get_other },
};

static const struct event_info *event_lookup(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_table); i++)
		if (event_table[i].type == type)
			return &event_table[i];
	return NULL;
}

const char *ferry_mon_event_name(uint32_t type)
{
	const struct event_info *ei = event_lookup(type);

	if (!ei)
		return "unknown";
	return ei->qmp ? ei->qmp : "OTHER";
}

uint32_t ferry_mon_event_type(const char *qmp_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_table); i++)
		if (event_table[i].qmp && strcmp(event_table[i].qmp, qmp_name) == 0)
			return event_table[i].type;
	return FERRY_MON_EV_OTHER;
}

int ferry_mon_put_event(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	const struct event_info *ei = event_lookup(ev->type);

	if (!ei)
		return -EINVAL;
	ferry_put_u32(w, ev->type);
	ferry_put_u64(w, ev->timestamp_us);
	if (ei->put)
		ei->put(w, ev);
	return put_end(w);
}

int ferry_mon_get_event(const void *p, size_t len, struct ferry_mon_event *ev,
			char *err, size_t errlen)
{
	const struct event_info *ei;
	struct ferry_rbuf r;

	memset(ev, 0, sizeof(*ev));
	ferry_rbuf_init(&r, p, len);
	ev->type = ferry_get_u32(&r, "event");
	ev->timestamp_us = ferry_get_u64(&r, "timestamp_us");
	ei = event_lookup(ev->type);
	if (!r.err && !ei)
		return refuse(err, errlen, "unknown monitor event %u", ev->type);
	if (ei && ei->get)
		ei->get(&r, ev);
	return ferry_get_end(&r, err, errlen);
}

/* --- attach and close ---------------------------------------------------- */

int ferry_mon_put_attach(struct ferry_wbuf *w, uint32_t timeout_ms)
{
	ferry_put_u32(w, timeout_ms);
	return put_end(w);
}

int ferry_mon_get_attach(const void *p, size_t len, uint32_t *timeout_ms,
			 char *err, size_t errlen)
{
	struct ferry_rbuf r;

	ferry_rbuf_init(&r, p, len);
	*timeout_ms = ferry_get_u32(&r, "timeout_ms");
	return ferry_get_end(&r, err, errlen);
}

int ferry_mon_put_attached(struct ferry_wbuf *w, const char *version)
{
	put_checked(w, version, ferry_mon_version_ok);
	return put_end(w);
}

int ferry_mon_get_attached(const void *p, size_t len, const char **version,
			   char *err, size_t errlen)
{
	struct ferry_rbuf r;

	ferry_rbuf_init(&r, p, len);
	*version = get_checked(&r, "version", ferry_mon_version_ok);
	return ferry_get_end(&r, err, errlen);
}

int ferry_mon_put_closed(struct ferry_wbuf *w, const struct ferry_mon_closed *c)
{
	if (c->kind > FERRY_MON_CLOSED_TIMEOUT)
		return -EINVAL;
	ferry_put_u32(w, c->kind);
	put_checked(w, c->reason, ferry_mon_reason_ok);
	return put_end(w);
}

int ferry_mon_get_closed(const void *p, size_t len, struct ferry_mon_closed *c,
			 char *err, size_t errlen)
{
	struct ferry_rbuf r;

	ferry_rbuf_init(&r, p, len);
	c->kind = ferry_get_u32(&r, "kind");
	if (!r.err && c->kind > FERRY_MON_CLOSED_TIMEOUT)
		return refuse(err, errlen, "unknown monitor close kind %u", c->kind);
	c->reason = get_checked(&r, "reason", ferry_mon_reason_ok);
	return ferry_get_end(&r, err, errlen);
}

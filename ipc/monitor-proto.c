/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-proto.c - the ferry-monitor payloads. Both ends call the same
 * encoders and decoders, so a layout exists in exactly one place; each
 * decoder checks what the helper promised about a string, because the
 * broker trusts no helper.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
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

/* QAPI's MigrationStatus, as of QEMU 7.2. */
static const char *const migration_statuses[] = {
	"none", "setup", "cancelling", "cancelled", "active", "postcopy-active",
	"postcopy-paused", "postcopy-recover", "completed", "failed", "colo",
	"pre-switchover", "device", "wait-unplug",
};

bool ferry_mon_migration_status_ok(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(migration_statuses); i++)
		if (strcmp(s, migration_statuses[i]) == 0)
			return true;
	return false;
}

/* query-migrate's error-desc: 0-255 printable ASCII bytes, "" for none. */
static bool error_desc_ok(const char *s)
{
	return s[0] == '\0' || ferry_mon_reason_ok(s);
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

static int get_status(struct ferry_rbuf *r, union ferry_mon_ret *ret, char *err, size_t errlen)
{
	ret->status.status = get_checked(r, "status", ferry_mon_token_ok);
	ret->status.running = get_flag(r, "running");
	return 0;
}

/* What is wrong with a capability list; NULL when nothing is. */
static const char *caps_bad(const struct ferry_mon_mig_caps *c, char *buf, size_t len)
{
	if (c->count == 0 || c->count > FERRY_MON_MAX_CAPS) {
		snprintf(buf, len, "capability count %u is not 1-%u", c->count, FERRY_MON_MAX_CAPS);
		return buf;
	}
	for (uint32_t i = 0; i < c->count; i++) {
		if (!c->cap[i].name || !ferry_mon_token_ok(c->cap[i].name))
			return "a capability name is not 1-32 of [a-z0-9-]";
		if (c->cap[i].state > 1)
			return "a capability state is not 0 or 1";
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(c->cap[i].name, c->cap[j].name) == 0) {
				snprintf(buf, len, "capability '%s' is given twice",
					 c->cap[i].name);
				return buf;
			}
	}
	return NULL;
}

static void put_caps(struct ferry_wbuf *w, const union ferry_mon_args *a)
{
	char why[80];

	if (caps_bad(&a->caps, why, sizeof(why))) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	ferry_put_u32(w, a->caps.count);
	for (uint32_t i = 0; i < a->caps.count; i++) {
		ferry_put_str(w, a->caps.cap[i].name);
		ferry_put_u32(w, a->caps.cap[i].state);
	}
}

static int get_caps(struct ferry_rbuf *r, union ferry_mon_args *a, char *err, size_t errlen)
{
	const char *bad;
	char why[80];

	a->caps.count = ferry_get_u32(r, "count");
	if (r->err)
		return 0;
	if (a->caps.count == 0 || a->caps.count > FERRY_MON_MAX_CAPS)
		return refuse(err, errlen, "capability count %u is not 1-%u", a->caps.count,
			      FERRY_MON_MAX_CAPS);
	for (uint32_t i = 0; i < a->caps.count && !r->err; i++) {
		a->caps.cap[i].name = get_checked(r, "capability", ferry_mon_token_ok);
		a->caps.cap[i].state = get_flag(r, "state");
	}
	if (r->err)
		return 0;
	bad = caps_bad(&a->caps, why, sizeof(why));
	return bad ? refuse(err, errlen, "%s", bad) : 0;
}

/* What is wrong with a parameter set; NULL when nothing is. */
static const char *params_bad(const struct ferry_mon_mig_params *p)
{
	const uint64_t v[] = { p->max_bandwidth, p->downtime_limit, p->multifd_channels,
			       p->max_postcopy_bandwidth };

	if (p->present == 0 || (p->present & ~FERRY_MON_PARAM_ALL))
		return "parameter mask is empty or has unknown bits";
	/* One encoding per meaning: a field not sent is 0. */
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (!(p->present & (1u << i)) && v[i])
			return "a parameter not in the mask is not 0";
	if (p->max_bandwidth > INT64_MAX || p->max_postcopy_bandwidth > INT64_MAX)
		return "a bandwidth exceeds INT64_MAX bytes/s";
	if (p->downtime_limit > FERRY_MON_DOWNTIME_LIMIT_MAX)
		return "downtime limit exceeds 2000000 ms";
	if ((p->present & FERRY_MON_PARAM_MULTIFD_CHANNELS) &&
	    (p->multifd_channels < 1 || p->multifd_channels > FERRY_MON_MULTIFD_CHANNELS_MAX))
		return "multifd channels is not 1-255";
	return NULL;
}

static void put_params(struct ferry_wbuf *w, const union ferry_mon_args *a)
{
	if (params_bad(&a->params)) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	ferry_put_u32(w, a->params.present);
	ferry_put_u64(w, a->params.max_bandwidth);
	ferry_put_u64(w, a->params.downtime_limit);
	ferry_put_u64(w, a->params.multifd_channels);
	ferry_put_u64(w, a->params.max_postcopy_bandwidth);
}

static int get_params(struct ferry_rbuf *r, union ferry_mon_args *a, char *err, size_t errlen)
{
	const char *bad;

	a->params.present = ferry_get_u32(r, "present");
	a->params.max_bandwidth = ferry_get_u64(r, "max_bandwidth");
	a->params.downtime_limit = ferry_get_u64(r, "downtime_limit");
	a->params.multifd_channels = ferry_get_u64(r, "multifd_channels");
	a->params.max_postcopy_bandwidth = ferry_get_u64(r, "max_postcopy_bandwidth");
	if (r->err)
		return 0;
	bad = params_bad(&a->params);
	return bad ? refuse(err, errlen, "%s", bad) : 0;
}

static void put_uri(struct ferry_wbuf *w, const union ferry_mon_args *a)
{
	char why[8];

	if (!a->migrate.uri || ferry_mon_uri_check(a->migrate.uri, why, sizeof(why)) < 0) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	ferry_put_str(w, a->migrate.uri);
}

/* The URI is checked here, in the decoder, on both sides of the channel. */
static int get_uri(struct ferry_rbuf *r, union ferry_mon_args *a, char *err, size_t errlen)
{
	a->migrate.uri = ferry_get_str(r, "uri");
	if (r->err)
		return 0;
	if (ferry_mon_uri_check(a->migrate.uri, err, errlen) < 0)
		return -EBADMSG;
	return 0;
}

static void put_cont(struct ferry_wbuf *w, const union ferry_mon_args *a)
{
	put_checked(w, a->cont.state, ferry_mon_migration_status_ok);
}

static int get_cont(struct ferry_rbuf *r, union ferry_mon_args *a, char *err, size_t errlen)
{
	a->cont.state = get_checked(r, "state", ferry_mon_migration_status_ok);
	return 0;
}

/* QUERY_MIGRATE's u64 fields, in wire order: bit i is mig_fields[i]. */
static const struct {
	size_t off;
	const char *name;
} mig_fields[] = {
#define MIG_FIELD(f) { offsetof(struct ferry_mon_migration, f), #f }
	MIG_FIELD(total_time), MIG_FIELD(expected_downtime), MIG_FIELD(downtime),
	MIG_FIELD(setup_time), MIG_FIELD(ram_transferred), MIG_FIELD(ram_remaining),
	MIG_FIELD(ram_total), MIG_FIELD(ram_duplicate), MIG_FIELD(ram_normal),
	MIG_FIELD(ram_dirty_pages_rate), MIG_FIELD(ram_dirty_sync_count),
	MIG_FIELD(ram_mbps_milli), MIG_FIELD(ram_page_size),
#undef MIG_FIELD
};
_Static_assert(ARRAY_SIZE(mig_fields) == 13 && FERRY_MON_MIG_ALL == (1u << 13) - 1,
	       "one mask bit per query-migrate field");

static uint64_t mig_get(const struct ferry_mon_migration *m, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)m + mig_fields[i].off, sizeof(v));
	return v;
}

static void mig_set(struct ferry_mon_migration *m, size_t i, uint64_t v)
{
	memcpy((char *)m + mig_fields[i].off, &v, sizeof(v));
}

/* Mask and fields agree: known bits only, and an absent field is 0. */
static bool mig_fields_ok(const struct ferry_mon_migration *m)
{
	if (m->present & ~FERRY_MON_MIG_ALL)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(mig_fields); i++)
		if (!(m->present & (1u << i)) && mig_get(m, i))
			return false;
	return true;
}

static void put_migration(struct ferry_wbuf *w, const union ferry_mon_ret *ret)
{
	const struct ferry_mon_migration *m = &ret->migration;

	put_checked(w, m->status, ferry_mon_migration_status_ok);
	if (!w->err && !mig_fields_ok(m))
		w->err = -EINVAL;
	ferry_put_u32(w, m->present);
	for (size_t i = 0; i < ARRAY_SIZE(mig_fields); i++)
		ferry_put_u64(w, mig_get(m, i));
	put_checked(w, m->error_desc, error_desc_ok);
}

static int get_migration(struct ferry_rbuf *r, union ferry_mon_ret *ret, char *err, size_t errlen)
{
	struct ferry_mon_migration *m = &ret->migration;

	m->status = get_checked(r, "status", ferry_mon_migration_status_ok);
	m->present = ferry_get_u32(r, "present");
	for (size_t i = 0; i < ARRAY_SIZE(mig_fields); i++)
		mig_set(m, i, ferry_get_u64(r, mig_fields[i].name));
	m->error_desc = get_checked(r, "error_desc", error_desc_ok);
	if (!r->err && !mig_fields_ok(m))
		return refuse(err, errlen, "query-migrate mask 0x%x disagrees with its fields",
			      m->present);
	return 0;
}

static const struct ferry_mon_cmd_info cmd_table[] = {
	{ FERRY_MON_QUERY_STATUS, "query-status", NULL, NULL, put_status, get_status },
	{ FERRY_MON_STOP, "stop", NULL, NULL, NULL, NULL },
	{ FERRY_MON_CONT, "cont", NULL, NULL, NULL, NULL },
	{ FERRY_MON_QUIT, "quit", NULL, NULL, NULL, NULL },
	{ FERRY_MON_SYSTEM_POWERDOWN, "system_powerdown", NULL, NULL, NULL, NULL },
	{ FERRY_MON_SYSTEM_RESET, "system_reset", NULL, NULL, NULL, NULL },
	{ FERRY_MON_MIGRATE_SET_CAPABILITIES, "migrate-set-capabilities", put_caps, get_caps,
	  NULL, NULL },
	{ FERRY_MON_MIGRATE_SET_PARAMETERS, "migrate-set-parameters", put_params, get_params,
	  NULL, NULL },
	{ FERRY_MON_MIGRATE, "migrate", put_uri, get_uri, NULL, NULL },
	{ FERRY_MON_MIGRATE_INCOMING, "migrate-incoming", put_uri, get_uri, NULL, NULL },
	{ FERRY_MON_QUERY_MIGRATE, "query-migrate", NULL, NULL, put_migration, get_migration },
	{ FERRY_MON_MIGRATE_CANCEL, "migrate_cancel", NULL, NULL, NULL, NULL },
	{ FERRY_MON_MIGRATE_CONTINUE, "migrate-continue", put_cont, get_cont, NULL, NULL },
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
	if (ci && ci->get_args && ci->get_args(&r, &c->args, err, errlen) < 0)
		return -EBADMSG;
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
	if (ci && ci->get_ret && ci->get_ret(&r, &res->ret, err, errlen) < 0)
		return -EBADMSG;
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

static void put_mig_event(struct ferry_wbuf *w, const struct ferry_mon_event *ev)
{
	put_checked(w, ev->u.migration.status, ferry_mon_migration_status_ok);
}

static void get_mig_event(struct ferry_rbuf *r, struct ferry_mon_event *ev)
{
	ev->u.migration.status = get_checked(r, "status", ferry_mon_migration_status_ok);
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
	{ FERRY_MON_EV_MIGRATION, "MIGRATION", put_mig_event, get_mig_event },
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

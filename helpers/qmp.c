/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qmp.c - ferry-monitor's QMP client. See qmp.h for why every byte from
 * QEMU is treated as hostile; this file is where that is enforced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"
#include "util.h"

/* Room for the longest message, its "\r\n", and nothing more. */
#define IN_CAP (FERRY_QMP_MAX_MSG + 2u)
/* No wall clock QEMU reports is past the year 30000. */
#define MAX_SECONDS 900000000000ll

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

void ferry_qmp_excerpt(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = srclen < 40 ? srclen : 40;
	size_t i;

	if (!dstlen)
		return;
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e && src[i] != '\'') ? src[i] : '?';
	dst[i] = '\0';
	if (srclen > n && i + 4 < dstlen)
		strcpy(dst + i, "...");
}

int ferry_qmp_init(struct ferry_qmp *q, int fd)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->in = malloc(IN_CAP);
	q->out = malloc(FERRY_QMP_MAX_OUT);
	q->tok = json_tokener_new_ex(FERRY_QMP_MAX_DEPTH);
	if (!q->in || !q->out || !q->tok)
		return -ENOMEM;
	/* QEMU writes plain RFC 8259 JSON: anything looser is not from QEMU. */
	json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

void ferry_qmp_fini(struct ferry_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->in);
	free(q->out);
	q->in = q->out = NULL;
	if (q->tok)
		json_tokener_free(q->tok);
	q->tok = NULL;
}

ssize_t ferry_qmp_read(struct ferry_qmp *q)
{
	ssize_t n;

	/*
	 * Lines taken since the last read are dropped here, once per read:
	 * moving the rest after every line would let a QEMU that sends many
	 * short lines at once cost quadratic time.
	 */
	if (q->start) {
		memmove(q->in, q->in + q->start, q->inlen - q->start);
		q->inlen -= q->start;
		q->scan -= q->start;
		q->start = 0;
	}
	/* ferry_qmp_next() refuses a full buffer without a newline first. */
	if (q->inlen >= IN_CAP)
		return fail(q->err, sizeof(q->err), -ENOBUFS, "QMP input buffer full");
	do {
		n = read(q->fd, q->in + q->inlen, IN_CAP - q->inlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return -EAGAIN;
		return fail(q->err, sizeof(q->err), -errno, "reading QMP: %s", strerror(errno));
	}
	q->inlen += (size_t)n;
	return n;
}

size_t ferry_qmp_partial(const struct ferry_qmp *q)
{
	return q->inlen - q->start;
}

/* Parse one line (newline and carriage return already cut off). */
static int parse_line(struct ferry_qmp *q, const char *line, size_t len,
		      struct json_object **out)
{
	struct json_object *obj;
	enum json_tokener_error jerr;
	char ex[48];
	size_t end;

	ferry_qmp_excerpt(ex, sizeof(ex), line, len);
	if (memchr(line, '\0', len))
		return fail(q->err, sizeof(q->err), -EBADMSG,
			    "QMP message holds a NUL byte: '%s'", ex);
	json_tokener_reset(q->tok);
	obj = json_tokener_parse_ex(q->tok, line, (int)len);
	jerr = json_tokener_get_error(q->tok);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		return fail(q->err, sizeof(q->err), -EBADMSG, "QMP message is not JSON (%s): '%s'",
			    jerr == json_tokener_continue ? "incomplete" :
			    json_tokener_error_desc(jerr), ex);
	}
	end = json_tokener_get_parse_end(q->tok);
	while (end < len && (line[end] == ' ' || line[end] == '\t'))
		end++;
	if (end < len) {
		json_object_put(obj);
		return fail(q->err, sizeof(q->err), -EBADMSG,
			    "QMP message has %zu bytes after its JSON value: '%s'", len - end, ex);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return fail(q->err, sizeof(q->err), -EBADMSG,
			    "QMP message is not a JSON object: '%s'", ex);
	}
	*out = obj;
	return 1;
}

int ferry_qmp_next(struct ferry_qmp *q, struct json_object **out)
{
	char *line = q->in + q->start;
	char *nl = memchr(q->in + q->scan, '\n', q->inlen - q->scan);
	size_t len;

	*out = NULL;
	if (!nl) {
		q->scan = q->inlen;
		if (q->inlen - q->start >= IN_CAP)
			return fail(q->err, sizeof(q->err), -EMSGSIZE,
				    "QMP message of at least %u bytes exceeds the %u-byte limit",
				    FERRY_QMP_MAX_MSG + 1, FERRY_QMP_MAX_MSG);
		return 0;
	}
	len = (size_t)(nl - line);
	q->start += len + 1;
	q->scan = q->start;
	if (len && line[len - 1] == '\r')
		len--;
	if (len > FERRY_QMP_MAX_MSG)
		return fail(q->err, sizeof(q->err), -EMSGSIZE,
			    "QMP message of %zu bytes exceeds the %u-byte limit",
			    len, FERRY_QMP_MAX_MSG);
	return parse_line(q, line, len, out);
}

/* --- members of QEMU's objects ------------------------------------------- */

static struct json_object *member(struct json_object *obj, const char *key, json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* A string member of at most @max bytes and no NUL; NULL otherwise. */
static const char *str_member(struct json_object *obj, const char *key, size_t max)
{
	struct json_object *v = member(obj, key, json_type_string);
	const char *s;
	int len;

	if (!v)
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len < 0 || (size_t)len > max || strlen(s) != (size_t)len)
		return NULL;
	return s;
}

/* An integer member in [@min, @max]. Return 0 or -ERANGE. */
static int int_member(struct json_object *obj, const char *key, int64_t min, int64_t max,
		      int64_t *out)
{
	struct json_object *v = member(obj, key, json_type_int);
	int64_t x;

	if (!v)
		return -ERANGE;
	errno = 0;
	x = json_object_get_int64(v);
	/*
	 * json-c clamps an integer that does not fit to INT64_MIN or
	 * INT64_MAX, and json-c 0.16 does not say so in errno: no value QEMU
	 * reports sits exactly on those limits, so they count as too large.
	 */
	if (errno || x == INT64_MIN || x == INT64_MAX || x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

static int bool_member(struct json_object *obj, const char *key, uint32_t *out)
{
	struct json_object *v = member(obj, key, json_type_boolean);

	if (!v)
		return -ERANGE;
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

/* A QMP error class: an identifier such as "GenericError". */
static bool class_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int classify_reply(struct json_object *obj, struct ferry_qmp_msg *m,
			  char *err, size_t errlen)
{
	struct json_object *ret, *error, *id;

	json_object_object_get_ex(obj, "return", &ret);
	error = member(obj, "error", json_type_object);
	if (json_object_object_get_ex(obj, "return", NULL) &&
	    json_object_object_get_ex(obj, "error", NULL))
		return fail(err, errlen, -EBADMSG, "QMP reply carries both 'return' and 'error'");
	if (!json_object_object_get_ex(obj, "id", &id))
		return fail(err, errlen, -EBADMSG, "QMP reply without an id");
	m->id = str_member(obj, "id", 64);
	if (!m->id)
		return fail(err, errlen, -EBADMSG, "QMP reply id is not a string of at most 64 bytes");
	m->kind = FERRY_QMP_REPLY;
	if (!error && json_object_object_get_ex(obj, "error", NULL))
		return fail(err, errlen, -EBADMSG, "QMP error reply's 'error' is not an object");
	if (!error) {
		m->ret = ret;
		return 0;
	}
	m->err_class = str_member(error, "class", 64);
	m->err_desc = str_member(error, "desc", FERRY_QMP_MAX_MSG);
	if (!class_ok(m->err_class))
		return fail(err, errlen, -EBADMSG, "QMP error reply without a valid 'class'");
	if (!m->err_desc)
		return fail(err, errlen, -EBADMSG, "QMP error reply without a string 'desc'");
	return 0;
}

static int classify_event(struct json_object *obj, struct ferry_qmp_msg *m,
			  char *err, size_t errlen)
{
	struct json_object *ts = member(obj, "timestamp", json_type_object);
	struct json_object *name = NULL;
	int64_t sec, usec;
	char ex[48];

	m->kind = FERRY_QMP_EVENT;
	m->event = str_member(obj, "event", FERRY_MON_EVENT_NAME_MAX);
	if (!m->event || !ferry_mon_event_name_ok(m->event)) {
		const char *raw;

		json_object_object_get_ex(obj, "event", &name);
		/* Not necessarily a string: json-c prints any value, and null as NULL. */
		raw = json_object_get_string(name);
		raw = raw ? raw : "null";
		ferry_qmp_excerpt(ex, sizeof(ex), raw, strlen(raw));
		return fail(err, errlen, -EBADMSG,
			    "QMP event name '%s' is not 1-%u characters of [A-Z0-9_]",
			    ex, FERRY_MON_EVENT_NAME_MAX);
	}
	if (!ts || int_member(ts, "seconds", 0, MAX_SECONDS, &sec) < 0 ||
	    int_member(ts, "microseconds", 0, 999999, &usec) < 0)
		return fail(err, errlen, -EBADMSG, "QMP event %s has no valid timestamp", m->event);
	m->timestamp_us = (uint64_t)sec * 1000000u + (uint64_t)usec;
	if (json_object_object_get_ex(obj, "data", &m->data) &&
	    !json_object_is_type(m->data, json_type_object))
		return fail(err, errlen, -EBADMSG, "QMP event %s has data that is not an object",
			    m->event);
	return 0;
}

int ferry_qmp_classify(struct json_object *obj, struct ferry_qmp_msg *m,
		       char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (json_object_object_get_ex(obj, "QMP", NULL)) {
		m->kind = FERRY_QMP_GREETING;
		m->greeting = member(obj, "QMP", json_type_object);
		if (!m->greeting)
			return fail(err, errlen, -EBADMSG, "QMP greeting is not an object");
		return 0;
	}
	if (json_object_object_get_ex(obj, "event", NULL))
		return classify_event(obj, m, err, errlen);
	if (json_object_object_get_ex(obj, "return", NULL) ||
	    json_object_object_get_ex(obj, "error", NULL))
		return classify_reply(obj, m, err, errlen);
	return fail(err, errlen, -EBADMSG, "QMP message is neither a greeting, a reply nor an event");
}

int ferry_qmp_greeting(const struct ferry_qmp_msg *m, char *version, size_t vlen,
		       char *err, size_t errlen)
{
	struct json_object *v = member(m->greeting, "version", json_type_object);
	struct json_object *qemu = v ? member(v, "qemu", json_type_object) : NULL;
	int64_t major, minor, micro;

	if (!qemu || int_member(qemu, "major", 0, 65535, &major) < 0 ||
	    int_member(qemu, "minor", 0, 65535, &minor) < 0 ||
	    int_member(qemu, "micro", 0, 65535, &micro) < 0)
		return fail(err, errlen, -EBADMSG,
			    "QMP greeting has no version.qemu.{major,minor,micro} in 0-65535");
	if (!member(m->greeting, "capabilities", json_type_array))
		return fail(err, errlen, -EBADMSG, "QMP greeting has no capabilities array");
	snprintf(version, vlen, "%d.%d.%d", (int)major, (int)minor, (int)micro);
	return 0;
}

/* A data member that must be a QAPI enum value. */
static const char *token_member(struct json_object *data, const char *key)
{
	const char *s = data ? str_member(data, key, FERRY_MON_TOKEN_MAX) : NULL;

	return s && ferry_mon_token_ok(s) ? s : NULL;
}

int ferry_qmp_event(const struct ferry_qmp_msg *m, struct ferry_mon_event *ev,
		    char *err, size_t errlen)
{
	int64_t pass;

	memset(ev, 0, sizeof(*ev));
	ev->type = ferry_mon_event_type(m->event);
	ev->timestamp_us = m->timestamp_us;
	switch (ev->type) {
	case FERRY_MON_EV_SHUTDOWN:
		ev->u.shutdown.reason = token_member(m->data, "reason");
		if (!ev->u.shutdown.reason || bool_member(m->data, "guest", &ev->u.shutdown.guest) < 0)
			return fail(err, errlen, -EBADMSG,
				    "QMP event SHUTDOWN needs data.guest (bool) and data.reason (ShutdownCause)");
		break;
	case FERRY_MON_EV_MIGRATION:
		ev->u.migration.status = token_member(m->data, "status");
		if (!ev->u.migration.status ||
		    !ferry_mon_migration_status_ok(ev->u.migration.status))
			return fail(err, errlen, -EBADMSG,
				    "QMP event MIGRATION needs data.status (MigrationStatus)");
		break;
	case FERRY_MON_EV_MIGRATION_PASS:
		if (!m->data || int_member(m->data, "pass", 0, INT64_MAX, &pass) < 0)
			return fail(err, errlen, -EBADMSG,
				    "QMP event MIGRATION_PASS needs data.pass (non-negative integer)");
		ev->u.migration_pass.pass = (uint64_t)pass;
		break;
	case FERRY_MON_EV_OTHER:
		ev->u.other.name = m->event;
		break;
	default:
		break;
	}
	return 0;
}

/* --- commands ------------------------------------------------------------- */

static int ret_status(struct json_object *ret, union ferry_mon_ret *out, char *err, size_t errlen)
{
	out->status.status = token_member(ret, "status");
	if (!out->status.status)
		return fail(err, errlen, -EBADMSG, "'status' is not a RunState name");
	if (bool_member(ret, "running", &out->status.running) < 0)
		return fail(err, errlen, -EBADMSG, "'running' is not a boolean");
	return 0;
}

/* --- migration ----------------------------------------------------------- */

/* Add @v to @obj under @key; json-c takes @v even when the add fails. */
static int add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(obj, key, v) < 0)
		return -ENOMEM;
	return 0;
}

/* {"capabilities": [{"capability": name, "state": bool}, ...]} */
static int args_caps(const union ferry_mon_args *a, struct json_object *out)
{
	struct json_object *list = json_object_new_array();

	if (add(out, "capabilities", list) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->caps.count; i++) {
		struct json_object *cap = json_object_new_object();

		if (!cap || json_object_array_add(list, cap) < 0) {
			json_object_put(cap);
			return -ENOMEM;
		}
		if (add(cap, "capability", json_object_new_string(a->caps.cap[i].name)) < 0 ||
		    add(cap, "state", json_object_new_boolean(a->caps.cap[i].state)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Only the parameters in the mask; the codec bounded each to int64. */
static int args_params(const union ferry_mon_args *a, struct json_object *out)
{
	const struct ferry_mon_mig_params *p = &a->params;
	const struct { uint32_t bit; const char *key; uint64_t v; } map[] = {
		{ FERRY_MON_PARAM_MAX_BANDWIDTH, "max-bandwidth", p->max_bandwidth },
		{ FERRY_MON_PARAM_DOWNTIME_LIMIT, "downtime-limit", p->downtime_limit },
		{ FERRY_MON_PARAM_MULTIFD_CHANNELS, "multifd-channels", p->multifd_channels },
		{ FERRY_MON_PARAM_MAX_POSTCOPY_BANDWIDTH, "max-postcopy-bandwidth",
		  p->max_postcopy_bandwidth },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if ((p->present & map[i].bit) &&
		    add(out, map[i].key, json_object_new_int64((int64_t)map[i].v)) < 0)
			return -ENOMEM;
	return 0;
}

/* {"uri": ...}: the codec has already held it to tcp:, unix: or fd:. */
static int args_uri(const union ferry_mon_args *a, struct json_object *out)
{
	return add(out, "uri", json_object_new_string(a->migrate.uri));
}

static int args_cont(const union ferry_mon_args *a, struct json_object *out)
{
	return add(out, "state", json_object_new_string(a->cont.state));
}

/* query-migrate members, by where QEMU puts them ("ram" or the top level). */
static const struct {
	uint32_t bit;
	bool ram;
	const char *key;
	size_t off;
} mig_members[] = {
#define TOP(b, k, f) { b, false, k, offsetof(struct ferry_mon_migration, f) }
#define RAM(b, k, f) { b, true, k, offsetof(struct ferry_mon_migration, f) }
	TOP(FERRY_MON_MIG_TOTAL_TIME, "total-time", total_time),
	TOP(FERRY_MON_MIG_EXPECTED_DOWNTIME, "expected-downtime", expected_downtime),
	TOP(FERRY_MON_MIG_DOWNTIME, "downtime", downtime),
	TOP(FERRY_MON_MIG_SETUP_TIME, "setup-time", setup_time),
	RAM(FERRY_MON_MIG_RAM_TRANSFERRED, "transferred", ram_transferred),
	RAM(FERRY_MON_MIG_RAM_REMAINING, "remaining", ram_remaining),
	RAM(FERRY_MON_MIG_RAM_TOTAL, "total", ram_total),
	RAM(FERRY_MON_MIG_RAM_DUPLICATE, "duplicate", ram_duplicate),
	RAM(FERRY_MON_MIG_RAM_NORMAL, "normal", ram_normal),
	RAM(FERRY_MON_MIG_RAM_DIRTY_PAGES_RATE, "dirty-pages-rate", ram_dirty_pages_rate),
	RAM(FERRY_MON_MIG_RAM_DIRTY_SYNC_COUNT, "dirty-sync-count", ram_dirty_sync_count),
	RAM(FERRY_MON_MIG_RAM_PAGE_SIZE, "page-size", ram_page_size),
#undef TOP
#undef RAM
};

/* Faster than any link ferry will see: 1 Pbit/s. */
#define MBPS_MAX 1e9

/* "mbps" is a JSON number, integer or not: kept as thousandths. */
static int mbps_member(struct json_object *ram, uint64_t *milli)
{
	struct json_object *v = member(ram, "mbps", json_type_double);
	double d;

	if (member(ram, "mbps", json_type_int)) {
		int64_t i;

		if (int_member(ram, "mbps", 0, (int64_t)MBPS_MAX, &i) < 0)
			return -ERANGE;
		*milli = (uint64_t)i * 1000u;
		return 0;
	}
	if (!v)
		return -ERANGE;
	d = json_object_get_double(v);
	/* Written this way round, NaN fails too. */
	if (!(d >= 0 && d <= MBPS_MAX))
		return -ERANGE;
	*milli = (uint64_t)(d * 1000.0 + 0.5);
	return 0;
}

/*
 * error-desc: QEMU's words, cut to 255 bytes, anything unprintable as '?'.
 * Return 0, -EINVAL when it is not a string, or -ENOMEM.
 */
static int error_desc_member(struct json_object *ret, const char **out)
{
	char buf[FERRY_MON_ERROR_DESC_MAX + 1];
	struct json_object *v;
	const char *s;

	*out = "";
	if (!json_object_object_get_ex(ret, "error-desc", &v))
		return 0;
	s = str_member(ret, "error-desc", FERRY_QMP_MAX_MSG);
	if (!s)
		return -EINVAL;
	if (s[0] == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *c = buf; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	/* The object owns the copy and outlives the result's encoding. */
	if (json_object_set_string(v, buf) != 1)
		return -ENOMEM;
	*out = json_object_get_string(v);
	return 0;
}

/* QEMU 7.2 answers {} until a migration has begun: status "none". */
static int mig_status(struct json_object *ret, const char **out, char *err, size_t errlen)
{
	struct json_object *v;
	const char *raw;
	char ex[48];

	*out = "none";
	if (!json_object_object_get_ex(ret, "status", &v))
		return 0;
	*out = token_member(ret, "status");
	if (*out && ferry_mon_migration_status_ok(*out))
		return 0;
	/* Not necessarily a string: json-c prints any value, and null as NULL. */
	raw = json_object_get_string(v);
	raw = raw ? raw : "null";
	ferry_qmp_excerpt(ex, sizeof(ex), raw, strlen(raw));
	return fail(err, errlen, -EBADMSG, "'status' '%s' is not a MigrationStatus", ex);
}

static int ret_migration(struct json_object *ret, union ferry_mon_ret *out,
			 char *err, size_t errlen)
{
	struct ferry_mon_migration *m = &out->migration;
	struct json_object *ram = NULL;
	int r;

	if (mig_status(ret, &m->status, err, errlen) < 0)
		return -EBADMSG;
	if (json_object_object_get_ex(ret, "ram", &ram) &&
	    !json_object_is_type(ram, json_type_object))
		return fail(err, errlen, -EBADMSG, "'ram' is not an object");
	for (size_t i = 0; i < ARRAY_SIZE(mig_members); i++) {
		struct json_object *from = mig_members[i].ram ? ram : ret;
		int64_t v;
		uint64_t u;

		if (!from || !json_object_object_get_ex(from, mig_members[i].key, NULL))
			continue;
		if (int_member(from, mig_members[i].key, 0, INT64_MAX, &v) < 0)
			return fail(err, errlen, -EBADMSG, "'%s%s' is not a non-negative integer",
				    mig_members[i].ram ? "ram." : "", mig_members[i].key);
		u = (uint64_t)v;
		m->present |= mig_members[i].bit;
		memcpy((char *)m + mig_members[i].off, &u, sizeof(u));
	}
	if (ram && json_object_object_get_ex(ram, "mbps", NULL)) {
		if (mbps_member(ram, &m->ram_mbps_milli) < 0)
			return fail(err, errlen, -EBADMSG, "'ram.mbps' is not a number in 0-1e9");
		m->present |= FERRY_MON_MIG_RAM_MBPS;
	}
	r = error_desc_member(ret, &m->error_desc);
	if (r < 0)
		return fail(err, errlen, -EBADMSG, "'error-desc' %s",
			    r == -EINVAL ? "is not a string without NUL bytes"
					 : "cannot be copied: out of memory");
	/*
	 * QEMU 7.2 sets "completed" before it computes these and says 0 for
	 * each meanwhile: not there yet, so the broker asks again.
	 */
	if (strcmp(m->status, "completed") == 0 && (m->present & FERRY_MON_MIG_TOTAL_TIME) &&
	    m->total_time == 0) {
		m->present &= ~(FERRY_MON_MIG_TOTAL_TIME | FERRY_MON_MIG_DOWNTIME |
				FERRY_MON_MIG_RAM_MBPS);
		m->total_time = m->downtime = m->ram_mbps_milli = 0;
	}
	return 0;
}

/*
 * How each command's arguments become QMP and its "return" becomes typed:
 * NULL @args means no arguments, NULL @ret means "return" must be {}.
 */
static const struct {
	uint32_t cmd;
	int (*args)(const union ferry_mon_args *a, struct json_object *out);
	int (*ret)(struct json_object *ret, union ferry_mon_ret *out, char *err, size_t errlen);
} qmp_cmds[] = {
	{ FERRY_MON_QUERY_STATUS, NULL, ret_status },
	{ FERRY_MON_STOP, NULL, NULL },
	{ FERRY_MON_CONT, NULL, NULL },
	{ FERRY_MON_QUIT, NULL, NULL },
	{ FERRY_MON_SYSTEM_POWERDOWN, NULL, NULL },
	{ FERRY_MON_SYSTEM_RESET, NULL, NULL },
	{ FERRY_MON_MIGRATE_SET_CAPABILITIES, args_caps, NULL },
	{ FERRY_MON_MIGRATE_SET_PARAMETERS, args_params, NULL },
	{ FERRY_MON_MIGRATE, args_uri, NULL },
	{ FERRY_MON_MIGRATE_INCOMING, args_uri, NULL },
	{ FERRY_MON_QUERY_MIGRATE, NULL, ret_migration },
	{ FERRY_MON_MIGRATE_CANCEL, NULL, NULL },
	{ FERRY_MON_MIGRATE_CONTINUE, args_cont, NULL },
};

int ferry_qmp_result(uint32_t cmd, struct json_object *ret, union ferry_mon_ret *out,
		     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(ret, json_type_object))
		return fail(err, errlen, -EBADMSG, "'return' is not an object");
	for (size_t i = 0; i < ARRAY_SIZE(qmp_cmds); i++) {
		if (qmp_cmds[i].cmd != cmd)
			continue;
		if (qmp_cmds[i].ret)
			return qmp_cmds[i].ret(ret, out, err, errlen);
		if (json_object_object_length(ret) != 0)
			return fail(err, errlen, -EBADMSG, "'return' is not an empty object");
		return 0;
	}
	return fail(err, errlen, -EINVAL, "no QMP translation for command %u", cmd);
}

static void put_obj(struct json_object **o)
{
	json_object_put(*o);
}

/* {"execute": ..., "arguments": {...}, "id": ...}, arguments only when the command has any. */
static struct json_object *build(const char *execute, const struct ferry_mon_command *c,
				 const char *id)
{
	_cleanup_(put_obj) struct json_object *o = json_object_new_object();
	struct json_object *args;

	if (!o || json_object_object_add(o, "execute", json_object_new_string(execute)) < 0)
		return NULL;
	for (size_t i = 0; c && i < ARRAY_SIZE(qmp_cmds); i++) {
		if (qmp_cmds[i].cmd != c->cmd || !qmp_cmds[i].args)
			continue;
		args = json_object_new_object();
		if (!args || json_object_object_add(o, "arguments", args) < 0 ||
		    qmp_cmds[i].args(&c->args, args) < 0)
			return NULL;
	}
	if (json_object_object_add(o, "id", json_object_new_string(id)) < 0)
		return NULL;
	return steal_ptr(o);
}

int ferry_qmp_queue(struct ferry_qmp *q, const char *execute,
		    const struct ferry_mon_command *c, const char *id)
{
	_cleanup_(put_obj) struct json_object *o = build(execute, c, id);
	const char *text;
	size_t n;

	if (!o)
		return fail(q->err, sizeof(q->err), -ENOMEM, "building %s: out of memory", execute);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(text);
	if (n + 1 > FERRY_QMP_MAX_OUT - q->outlen)
		return fail(q->err, sizeof(q->err), -ENOBUFS,
			    "QEMU left %zu bytes of commands unread", q->outlen);
	memcpy(q->out + q->outlen, text, n);
	q->out[q->outlen + n] = '\n';
	q->outlen += n + 1;
	return 0;
}

bool ferry_qmp_want_write(const struct ferry_qmp *q)
{
	return q->outlen > 0;
}

int ferry_qmp_flush(struct ferry_qmp *q)
{
	while (q->outlen) {
		struct iovec iov = { .iov_base = q->out, .iov_len = q->outlen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		/* sendmsg, not write: a QEMU gone away is EPIPE, never SIGPIPE. */
		ssize_t n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return -EAGAIN;
		if (n < 0)
			return fail(q->err, sizeof(q->err), -errno, "writing to QMP: %s",
				    strerror(errno));
		memmove(q->out, q->out + n, q->outlen - (size_t)n);
		q->outlen -= (size_t)n;
	}
	return 0;
}

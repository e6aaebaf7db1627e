/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-monitor - the broker's only contact with a domain's QMP monitor.
 * QEMU may be controlled by its guest, so QMP text is parsed here, in a
 * jail, never in the broker. One monitor helper runs per running domain.
 *
 * Theory of operation
 * -------------------
 * After the sandbox and the hello, one poll() loop waits on the broker's
 * channel (fd 3) and, once MON_ATTACH has handed it over, QEMU's monitor
 * socket. The monitor goes DETACHED -> GREETING (QEMU's greeting awaited)
 * -> CAPS (qmp_capabilities sent) -> READY, and MON_ATTACHED answers the
 * attach once QEMU has accepted the capabilities.
 *
 * Each MON_COMMAND becomes one QMP command with its own id ("ferry-N") and
 * a deadline; QEMU's reply is matched by that id, whatever events came
 * before it, and answered as MON_RESULT or ERROR under the broker's
 * request id. Events are forwarded as MON_EVENT the moment they are read,
 * so the broker sees them in QEMU's order relative to the replies.
 *
 * The first thing QEMU gets wrong ends the monitor: every request still
 * waiting gets an ERROR, the broker gets MON_CLOSED saying exactly what was
 * wrong, and the helper exits (status 4; 0 when QEMU merely hung up).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common.h"
#include "log.h"
#include "monitor-proto.h"
#include "qmp.h"
#include "util.h"
#include "wire.h"

/*
 * #syscalls beyond the common loop's, which already has poll (the main
 * loop), recvmsg and sendmsg (the channel; sendmsg also writes to QEMU,
 * where MSG_NOSIGNAL matters), fstat and fcntl (checking the QMP fd and
 * making it non-blocking).
 */
static const struct ferry_syscall monitor_syscalls[] = {
	{ "read", "QMP bytes from QEMU's monitor socket", 0 },
	{ "getrandom", "json-c seeds its hash tables once, at the first object", 0 },
	{ "clock_gettime", "command deadlines, on clocksources the vDSO cannot read", 0 },
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const monitor_lists[] = {
	ferry_helper_base_syscalls, monitor_syscalls, NULL,
};

static const struct ferry_profile monitor_profile = {
	.name = "ferry-monitor",
	.keep_caps = (const struct ferry_cap[]){ { -1, NULL } },
	.namespaces = FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT,
	.nofile = 16,		/* channel, QMP socket, a few fds in transit */
	.nproc = 0,		/* never forks */
	.fsize = 0,		/* writes no files */
	.syscalls = monitor_lists,
};

enum mon_state { DETACHED, GREETING, CAPS, READY };

/* The pending slot of qmp_capabilities: no typed command has number 0. */
#define CAPS_CMD 0u

struct pending {
	uint32_t req_id;	/* the broker's request; 0: slot free */
	uint32_t cmd;		/* enum ferry_mon_cmd, or CAPS_CMD */
	uint32_t timeout_ms;
	uint64_t deadline_ns;
	char qid[32];		/* "ferry-N" */
};

struct monitor {
	struct ferry_chan *chan;
	enum mon_state state;
	struct ferry_qmp qmp;
	bool has_qmp;
	uint32_t attach_id;		/* MON_ATTACH, while its greeting is awaited */
	uint32_t attach_timeout_ms;
	uint64_t greeting_deadline_ns;
	char version[FERRY_MON_VERSION_MAX + 1];
	uint64_t next_qid;
	struct pending pending[FERRY_CHAN_MAX_PENDING];
	bool closed;
	int status;			/* exit status once closed */
};

static uint32_t effective_timeout(uint32_t ms)
{
	return ms ? ms : FERRY_MON_DEFAULT_TIMEOUT_MS;
}

static uint64_t deadline_after(uint32_t ms)
{
	return ferry_now_ns() + (uint64_t)ms * 1000000u;
}

static const char *pending_name(const struct pending *p)
{
	return p->cmd == CAPS_CMD ? "qmp_capabilities" : ferry_mon_cmd_name(p->cmd);
}

/* The broker is gone or refuses our packets: nothing left to serve. */
static void send_or_die(struct monitor *m, int r)
{
	if (r < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "%s", m->chan->err);
}

static void reply(struct monitor *m, uint32_t id, uint16_t type, const struct ferry_wbuf *w)
{
	struct ferry_msg req = { .hdr.id = id };

	send_or_die(m, ferry_chan_reply(m->chan, &req, type, w, NULL, 0));
}

static void reply_error(struct monitor *m, uint32_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reply_error(struct monitor *m, uint32_t id, int err, const char *fmt, ...)
{
	struct ferry_msg req = { .hdr.id = id };
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	send_or_die(m, ferry_chan_reply_error(m->chan, &req, err, "%s", text));
}

/* Printable ASCII only: QEMU's text ends up in the broker's logs. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static void mon_close(struct monitor *m, uint32_t kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fail every waiting request, say MON_CLOSED, and let the loop end. */
static void mon_close(struct monitor *m, uint32_t kind, const char *fmt, ...)
{
	char reason[FERRY_MON_REASON_MAX + 1];
	struct ferry_mon_closed c = { .kind = kind, .reason = reason };
	int err = kind == FERRY_MON_CLOSED_EOF ? -ECONNRESET :
		  kind == FERRY_MON_CLOSED_TIMEOUT ? -ETIMEDOUT : -EPROTO;
	struct ferry_wbuf w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sanitize(reason);
	if (m->state == GREETING)
		reply_error(m, m->attach_id, err, "MON_ATTACH: monitor closed: %s", reason);
	for (size_t i = 0; i < ARRAY_SIZE(m->pending); i++) {
		struct pending *p = &m->pending[i];

		if (p->req_id)
			reply_error(m, p->req_id, err, "%s: monitor closed: %s",
				    pending_name(p), reason);
		memset(p, 0, sizeof(*p));
	}
	ferry_wbuf_init(&w);
	if (ferry_mon_put_closed(&w, &c) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "MON_CLOSED: cannot encode '%s'", reason);
	send_or_die(m, ferry_chan_send(m->chan, FERRY_MSG_MON_CLOSED, 0, 0, w.data, w.len,
				       NULL, 0));
	/* Last words for the broker's log; the broker reads MON_CLOSED too. */
	if (kind != FERRY_MON_CLOSED_EOF)
		log_err("%s", reason);
	m->state = DETACHED;
	m->closed = true;
	m->status = kind == FERRY_MON_CLOSED_EOF ? 0 : FERRY_EXIT_PROTOCOL;
}

static void flush_qmp(struct monitor *m)
{
	int r = ferry_qmp_flush(&m->qmp);

	if (r < 0 && r != -EAGAIN)
		mon_close(m, FERRY_MON_CLOSED_EOF, "%s", m->qmp.err);
}

static struct pending *free_slot(struct monitor *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(m->pending); i++)
		if (!m->pending[i].req_id)
			return &m->pending[i];
	return NULL;
}

/* Queue one QMP command for broker request @req_id, with its deadline. */
static int start_command(struct monitor *m, uint32_t req_id, uint32_t cmd, uint32_t timeout_ms,
			 const struct ferry_mon_command *c)
{
	struct pending *p = free_slot(m);
	const char *name;
	int r;

	if (!p)
		return -EBUSY;
	snprintf(p->qid, sizeof(p->qid), "ferry-%" PRIu64, ++m->next_qid);
	p->cmd = cmd;
	name = pending_name(p);
	r = ferry_qmp_queue(&m->qmp, name, c, p->qid);
	if (r < 0) {
		memset(p, 0, sizeof(*p));
		return r;
	}
	p->req_id = req_id;
	p->timeout_ms = timeout_ms;
	p->deadline_ns = deadline_after(timeout_ms);
	flush_qmp(m);
	return 0;
}

static int on_attach(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct monitor *m = ctx;
	struct stat st;
	uint32_t timeout;
	char why[128];
	int fl;

	if (ferry_mon_get_attach(msg->payload, msg->len, &timeout, why, sizeof(why)) < 0)
		return ferry_chan_reply_error(chan, msg, -EBADMSG, "MON_ATTACH: %s", why);
	if (m->has_qmp)
		return ferry_chan_reply_error(chan, msg, -EISCONN,
					      "MON_ATTACH: a QMP monitor is already attached");
	if (fstat(msg->fds[0], &st) < 0)
		return ferry_chan_reply_error(chan, msg, -errno, "MON_ATTACH: fstat: %s",
					      strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return ferry_chan_reply_error(chan, msg, -ENOTSOCK,
					      "MON_ATTACH: the fd is not a socket (file type 0%o)",
					      (unsigned)(st.st_mode & S_IFMT));
	fl = fcntl(msg->fds[0], F_GETFL);
	if (fl < 0 || fcntl(msg->fds[0], F_SETFL, fl | O_NONBLOCK) < 0)
		return ferry_chan_reply_error(chan, msg, -errno, "MON_ATTACH: O_NONBLOCK: %s",
					      strerror(errno));
	m->has_qmp = true;
	if (ferry_qmp_init(&m->qmp, steal_fd(&msg->fds[0])) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "MON_ATTACH: out of memory");
	m->state = GREETING;
	m->attach_id = msg->hdr.id;
	m->attach_timeout_ms = effective_timeout(timeout);
	m->greeting_deadline_ns = deadline_after(m->attach_timeout_ms);
	return 0;
}

static int on_command(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct monitor *m = ctx;
	struct ferry_mon_command c;
	const char *name;
	char why[256];
	int r;

	if (ferry_mon_get_command(msg->payload, msg->len, &c, why, sizeof(why)) < 0)
		return ferry_chan_reply_error(chan, msg, -EBADMSG, "MON_COMMAND: %s", why);
	name = ferry_mon_cmd_name(c.cmd);
	if (m->state != READY)
		return ferry_chan_reply_error(chan, msg, -ENOTCONN, "%s: %s", name,
					      m->state == DETACHED ? "no QMP monitor attached"
								   : "the QMP monitor is still attaching");
	r = start_command(m, msg->hdr.id, c.cmd, effective_timeout(c.timeout_ms), &c);
	if (r == -EBUSY)
		return ferry_chan_reply_error(chan, msg, r, "%s: %zu commands already in flight",
					      name, ARRAY_SIZE(m->pending));
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "%s: %s", name, m->qmp.err);
	return 0;
}

static const struct ferry_msg_spec monitor_specs[] = {
	{ FERRY_MSG_MON_ATTACH, "MON_ATTACH", FERRY_MON_ATTACH_LEN, FERRY_MON_ATTACH_LEN, 1,
	  FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_attach },
	{ FERRY_MSG_MON_COMMAND, "MON_COMMAND", FERRY_MON_COMMAND_MIN, FERRY_MON_COMMAND_MAX, 0,
	  FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_command },
};

static void on_greeting(struct monitor *m, const struct ferry_qmp_msg *qm)
{
	char why[160];
	int r;

	if (m->state != GREETING) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "second QMP greeting");
		return;
	}
	if (ferry_qmp_greeting(qm, m->version, sizeof(m->version), why, sizeof(why)) < 0) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "%s", why);
		return;
	}
	/* From here the attach waits in a pending slot, like any command. */
	m->state = CAPS;
	r = start_command(m, m->attach_id, CAPS_CMD, m->attach_timeout_ms, NULL);
	if (r < 0 && !m->closed) {
		m->state = GREETING;	/* not queued: the attach is answered from here */
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "qmp_capabilities: %s", m->qmp.err);
	}
}

static void on_qmp_event(struct monitor *m, const struct ferry_qmp_msg *qm)
{
	struct ferry_mon_event ev;
	struct ferry_wbuf w;
	char why[160];

	if (ferry_qmp_event(qm, &ev, why, sizeof(why)) < 0) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "%s", why);
		return;
	}
	ferry_wbuf_init(&w);
	if (ferry_mon_put_event(&w, &ev) < 0) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "QMP event %s does not fit its typed form",
			  qm->event);
		return;
	}
	send_or_die(m, ferry_chan_send(m->chan, FERRY_MSG_MON_EVENT, 0, 0, w.data, w.len,
				       NULL, 0));
}

/* qmp_capabilities accepted: the attach is answered with QEMU's version. */
static void on_caps_reply(struct monitor *m, struct pending *p, const struct ferry_qmp_msg *qm)
{
	struct ferry_wbuf w;
	uint32_t id = p->req_id;

	if (qm->err_class) {
		char desc[96];

		ferry_qmp_excerpt(desc, sizeof(desc), qm->err_desc, strlen(qm->err_desc));
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "QEMU refused qmp_capabilities: %s: %s",
			  qm->err_class, desc);
		return;
	}
	if (!json_object_is_type(qm->ret, json_type_object)) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL,
			  "QMP reply to qmp_capabilities: 'return' is not an object");
		return;
	}
	memset(p, 0, sizeof(*p));
	m->state = READY;
	ferry_wbuf_init(&w);
	if (ferry_mon_put_attached(&w, m->version) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "MON_ATTACHED: cannot encode '%s'", m->version);
	reply(m, id, FERRY_MSG_MON_ATTACHED, &w);
}

static void on_qmp_reply(struct monitor *m, const struct ferry_qmp_msg *qm)
{
	struct ferry_mon_result res = { 0 };
	struct pending *p = NULL;
	struct ferry_wbuf w;
	char why[160];
	uint32_t id;

	for (size_t i = 0; i < ARRAY_SIZE(m->pending) && !p; i++)
		if (m->pending[i].req_id && strcmp(m->pending[i].qid, qm->id) == 0)
			p = &m->pending[i];
	if (!p) {
		ferry_qmp_excerpt(why, sizeof(why), qm->id, strlen(qm->id));
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "QMP reply to id '%s' that was never sent", why);
		return;
	}
	if (p->cmd == CAPS_CMD) {
		on_caps_reply(m, p, qm);
		return;
	}
	id = p->req_id;
	if (qm->err_class) {
		char desc[512];

		snprintf(desc, sizeof(desc), "%s", qm->err_desc);
		sanitize(desc);
		memset(p, 0, sizeof(*p));
		reply_error(m, id, -EREMOTEIO, "%s: %s", qm->err_class, desc);
		return;
	}
	res.cmd = p->cmd;
	ferry_wbuf_init(&w);
	if (ferry_qmp_result(p->cmd, qm->ret, &res.ret, why, sizeof(why)) < 0 ||
	    ferry_mon_put_result(&w, &res) < 0) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "QMP reply to %s: %s", pending_name(p),
			  w.err ? "does not fit its typed form" : why);
		return;
	}
	memset(p, 0, sizeof(*p));
	reply(m, id, FERRY_MSG_MON_RESULT, &w);
}

static void on_qmp_message(struct monitor *m, struct json_object *obj)
{
	struct ferry_qmp_msg qm;
	char why[200];

	if (ferry_qmp_classify(obj, &qm, why, sizeof(why)) < 0) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "%s", why);
		return;
	}
	if (m->state == GREETING && qm.kind != FERRY_QMP_GREETING) {
		mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "expected the QMP greeting, got %s",
			  qm.kind == FERRY_QMP_EVENT ? "an event" : "a reply");
		return;
	}
	if (qm.kind == FERRY_QMP_GREETING)
		on_greeting(m, &qm);
	else if (qm.kind == FERRY_QMP_EVENT)
		on_qmp_event(m, &qm);
	else
		on_qmp_reply(m, &qm);
}

static void put_json(struct json_object **o)
{
	json_object_put(*o);
}

static void on_qmp_readable(struct monitor *m)
{
	ssize_t n = ferry_qmp_read(&m->qmp);

	if (n == -EAGAIN)
		return;
	/* QEMU died with our last command unread: that is a hang-up too. */
	if (n == -ECONNRESET) {
		mon_close(m, FERRY_MON_CLOSED_EOF, "QEMU closed the monitor (connection reset)");
		return;
	}
	if (n < 0) {
		mon_close(m, FERRY_MON_CLOSED_EOF, "%s", m->qmp.err);
		return;
	}
	/* Whole lines first, even at EOF: QEMU's last words count. */
	while (!m->closed) {
		_cleanup_(put_json) struct json_object *obj = NULL;
		int r = ferry_qmp_next(&m->qmp, &obj);

		if (r == 0)
			break;
		if (r < 0)
			mon_close(m, FERRY_MON_CLOSED_PROTOCOL, "%s", m->qmp.err);
		else
			on_qmp_message(m, obj);
	}
	if (n == 0 && !m->closed) {
		size_t left = ferry_qmp_partial(&m->qmp);

		if (left)
			mon_close(m, FERRY_MON_CLOSED_EOF,
				  "QEMU closed the monitor in the middle of a %zu-byte message", left);
		else
			mon_close(m, FERRY_MON_CLOSED_EOF, "QEMU closed the monitor");
	}
}

/* Milliseconds to the nearest deadline, rounded up; -1 when none. */
static int poll_timeout(const struct monitor *m)
{
	uint64_t next = m->state == GREETING ? m->greeting_deadline_ns : UINT64_MAX;
	uint64_t now, ms;

	for (size_t i = 0; i < ARRAY_SIZE(m->pending); i++)
		if (m->pending[i].req_id && m->pending[i].deadline_ns < next)
			next = m->pending[i].deadline_ns;
	if (next == UINT64_MAX)
		return -1;
	now = ferry_now_ns();
	if (next <= now)
		return 0;
	ms = (next - now + 999999u) / 1000000u;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void check_deadlines(struct monitor *m)
{
	uint64_t now = ferry_now_ns();
	const struct pending *late = NULL;

	if (m->state == GREETING && now >= m->greeting_deadline_ns) {
		mon_close(m, FERRY_MON_CLOSED_TIMEOUT, "no QMP greeting within %" PRIu32 " ms",
			  m->attach_timeout_ms);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(m->pending); i++) {
		const struct pending *p = &m->pending[i];

		if (p->req_id && now >= p->deadline_ns && (!late || p->deadline_ns < late->deadline_ns))
			late = p;
	}
	if (late)
		mon_close(m, FERRY_MON_CLOSED_TIMEOUT, "no QMP reply to %s within %" PRIu32 " ms",
			  pending_name(late), late->timeout_ms);
}

static int run(struct ferry_chan *chan, void *ctx)
{
	struct monitor *m = ctx;
	int r;

	m->chan = chan;
	while (!m->closed) {
		struct pollfd pfd[2] = {
			{ .fd = chan->fd, .events = POLLIN },
			{ .fd = m->has_qmp ? m->qmp.fd : -1, .events = POLLIN },
		};

		if (m->has_qmp && ferry_qmp_want_write(&m->qmp))
			pfd[1].events |= POLLOUT;
		r = poll(pfd, ARRAY_SIZE(pfd), poll_timeout(m));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ferry_die(FERRY_EXIT_PROTOCOL, "poll: %s", strerror(errno));
		if (pfd[1].revents & POLLOUT)
			flush_qmp(m);
		if (!m->closed && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			on_qmp_readable(m);
		if (!m->closed && pfd[0].revents) {
			r = ferry_chan_process(chan);
			if (r < 0)
				ferry_die(FERRY_EXIT_PROTOCOL, "%s", chan->err);
			if (r == 0)
				break;	/* the broker is done with this domain */
		}
		if (!m->closed)
			check_deadlines(m);
	}
	if (m->has_qmp)
		ferry_qmp_fini(&m->qmp);
	return m->status;
}

int main(int argc, char **argv)
{
	static struct monitor mon;
	const struct ferry_helper_def def = {
		.profile = &monitor_profile,
		.specs = monitor_specs,
		.nspecs = ARRAY_SIZE(monitor_specs),
		.ctx = &mon,
		.run = run,
	};

	return ferry_helper_main(argc, argv, &def);
}

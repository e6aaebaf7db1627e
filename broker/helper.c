/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * helper.c - spawning and supervising helpers.
 *
 * The broker trusts no helper: a packet that fails validation, a reply to
 * nothing, or a hello that is not the helper's own name ends the helper
 * (SIGKILL) and fails whatever it was doing, with the reason logged. Its
 * exit, however it comes, is reported with its cause.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "compress-proto.h"
#include "helper.h"
#include "label-proto.h"
#include "log.h"
#include "monitor-proto.h"
#include "tunnel-proto.h"
#include "util.h"

/*
 * UBSan reads its options from the environment. ASAN_OPTIONS stays out:
 * helpers turn LeakSanitizer off (helpers/common.c), and a forwarded
 * detect_leaks=1 would turn it back on, to be killed at exit by seccomp.
 */
#if FERRY_SANITIZED
#define SANITIZER_ENV "UBSAN_OPTIONS",
#else
#define SANITIZER_ENV
#endif
static const char *const helper_env[] = { SANITIZER_ENV NULL };

static int on_reply(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx);
static int on_event(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx);

/* What any helper may send: the answers to the common requests. */
#define COMMON_REPLY_SPECS \
	{ FERRY_MSG_PONG, "PONG", 8, 8, 0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply }, \
	{ FERRY_MSG_ERROR, "ERROR", 9, 2048, 0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply }, \
	{ FERRY_MSG_FD_INFO, "FD_INFO", 8, 8, 0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply }, \
	{ FERRY_MSG_SYSCALL_RESULT, "SYSCALL_RESULT", 8, 8, 0, FERRY_SPEC_REPLY, \
	  FERRY_PHASES_ANY, on_reply }

/* ferry-monitor: typed QMP answers and events (ipc/monitor-proto.h). */
static const struct ferry_msg_spec monitor_specs[] = {
	COMMON_REPLY_SPECS,
	{ FERRY_MSG_MON_ATTACHED, "MON_ATTACHED", FERRY_MON_ATTACHED_MIN, FERRY_MON_ATTACHED_MAX,
	  0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply },
	{ FERRY_MSG_MON_RESULT, "MON_RESULT", FERRY_MON_RESULT_MIN, FERRY_MON_RESULT_MAX,
	  0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply },
	{ FERRY_MSG_MON_EVENT, "MON_EVENT", FERRY_MON_EVENT_MIN, FERRY_MON_EVENT_MAX,
	  0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
	{ FERRY_MSG_MON_CLOSED, "MON_CLOSED", FERRY_MON_CLOSED_MIN, FERRY_MON_CLOSED_MAX,
	  0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
};

/* ferry-tunnel: its acknowledgement and its reports (ipc/tunnel-proto.h). */
static const struct ferry_msg_spec tunnel_specs[] = {
	COMMON_REPLY_SPECS,
	{ FERRY_MSG_TUNNEL_OK, "TUNNEL_OK", FERRY_TUNNEL_OK_LEN, FERRY_TUNNEL_OK_LEN,
	  0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply },
	{ FERRY_MSG_TUNNEL_PROGRESS, "TUNNEL_PROGRESS", FERRY_TUNNEL_PROGRESS_LEN,
	  FERRY_TUNNEL_PROGRESS_LEN, 0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
	{ FERRY_MSG_TUNNEL_END, "TUNNEL_END", FERRY_TUNNEL_END_MIN, FERRY_TUNNEL_END_MAX,
	  0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
};

/* ferry-compress: its acknowledgement and its reports (ipc/compress-proto.h). */
static const struct ferry_msg_spec compress_specs[] = {
	COMMON_REPLY_SPECS,
	{ FERRY_MSG_COMPRESS_OK, "COMPRESS_OK", FERRY_COMPRESS_OK_LEN, FERRY_COMPRESS_OK_LEN,
	  0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply },
	{ FERRY_MSG_COMPRESS_PROGRESS, "COMPRESS_PROGRESS", FERRY_COMPRESS_PROGRESS_LEN,
	  FERRY_COMPRESS_PROGRESS_LEN, 0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
	{ FERRY_MSG_COMPRESS_DONE, "COMPRESS_DONE", FERRY_COMPRESS_DONE_MIN, FERRY_COMPRESS_DONE_MAX,
	  0, FERRY_SPEC_EVENT, FERRY_PHASES_ANY, on_event },
};

/* ferry-label: what it applied (ipc/label-proto.h). */
static const struct ferry_msg_spec label_specs[] = {
	COMMON_REPLY_SPECS,
	{ FERRY_MSG_LABEL_RESULT, "LABEL_RESULT", FERRY_LABEL_RESULT_MIN, FERRY_LABEL_RESULT_MAX,
	  0, FERRY_SPEC_REPLY, FERRY_PHASES_ANY, on_reply },
};

#define CAP_BIT(c) (1ull << (c))

/* The caps column is what the broker checks a running helper against. */
const struct ferry_helper_info ferry_helper_table[FERRY_HELPER_COUNT] = {
	[FERRY_HELPER_MONITOR] = { "ferry-monitor", helper_env, 0,
				   monitor_specs, ARRAY_SIZE(monitor_specs) },
	[FERRY_HELPER_TUNNEL] = { "ferry-tunnel", helper_env, 0,
				  tunnel_specs, ARRAY_SIZE(tunnel_specs) },
	[FERRY_HELPER_COMPRESS] = { "ferry-compress", helper_env, 0,
				    compress_specs, ARRAY_SIZE(compress_specs) },
	[FERRY_HELPER_LABEL] = { "ferry-label", helper_env, CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_FOWNER),
				 label_specs, ARRAY_SIZE(label_specs) },
};

int ferry_helper_opts_default(struct ferry_helper_opts *o, const char *user,
			      char *err, size_t errlen)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t blen = strlen(FERRY_BUILD_DIR);

	memset(o, 0, sizeof(*o));
	if (n > 0) {
		exe[n] = '\0';
		/* Run from the build tree: use the helpers built beside us. */
		if (strncmp(exe, FERRY_BUILD_DIR, blen) == 0 && exe[blen] == '/')
			snprintf(o->dir, sizeof(o->dir), "%s", FERRY_BUILD_HELPER_DIR);
	}
	if (!o->dir[0])
		snprintf(o->dir, sizeof(o->dir), "%s", FERRY_HELPER_DIR);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(user ? user : "nobody");

		if (!pw) {
			snprintf(err, errlen, "no user '%s' to run helpers as", user ? user : "nobody");
			return -ENOENT;
		}
		if (pw->pw_uid == 0 || pw->pw_gid == 0) {
			snprintf(err, errlen, "user '%s' is root: helpers never run as root", pw->pw_name);
			return -EPERM;
		}
		o->set_ids = true;
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
	}
	return 0;
}

static struct ferry_helper_call *find_call(struct ferry_helper *h, uint32_t id)
{
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING; i++)
		if (h->calls[i].cb && h->calls[i].id == id)
			return &h->calls[i];
	return NULL;
}

static int on_reply(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_helper *h = ctx;
	struct ferry_helper_call *c = find_call(h, msg->hdr.id);
	struct ferry_helper_call done;

	if (!c)
		return 0;	/* the caller gave up on it */
	done = *c;
	memset(c, 0, sizeof(*c));
	done.cb(h, msg, done.data);
	return 0;
}

static int on_event(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_helper *h = ctx;

	if (h->on_event)
		h->on_event(h, msg, h->event_data);
	return 0;
}

/* Every call still waiting learns that no reply will come. */
static void fail_calls(struct ferry_helper *h)
{
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING; i++) {
		struct ferry_helper_call c = h->calls[i];

		if (!c.cb)
			continue;
		memset(&h->calls[i], 0, sizeof(h->calls[i]));
		c.cb(h, NULL, c.data);
	}
}

static void unwatch(struct ferry_helper *h)
{
	if (h->chan.fd >= 0) {
		ferry_loop_del(h->loop, h->chan.fd);
		ferry_chan_close(&h->chan);
	}
	if (h->child.err_fd >= 0) {
		ferry_loop_del(h->loop, h->child.err_fd);
		close(h->child.err_fd);
		h->child.err_fd = -1;
	}
}

void ferry_helper_kill(struct ferry_helper *h)
{
	if (!h->exited && h->child.pidfd >= 0)
		syscall(SYS_pidfd_send_signal, h->child.pidfd, SIGKILL, NULL, 0);
}

static void protocol_error(struct ferry_helper *h, const char *what)
{
	if (!h->error[0])
		snprintf(h->error, sizeof(h->error), "%s (pid %d): %s", h->info->name,
			 (int)h->child.pid, what);
	log_err("%s; killing it", h->error);
	ferry_helper_kill(h);
	unwatch(h);
	fail_calls(h);
}

static void on_chan(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_helper *h = data;
	int r;

	for (;;) {
		r = ferry_chan_process(&h->chan);
		if (r == -EAGAIN)
			return;
		if (r <= 0)
			break;
		/* A callback shut the helper down: its channel is gone. */
		if (h->chan.fd < 0)
			return;
		if (!h->ready && h->chan.phase == FERRY_PHASE_READY) {
			if (strcmp(h->chan.peer_hello.name, h->info->name) != 0) {
				protocol_error(h, "HELLO names another helper");
				return;
			}
			h->ready = true;
		}
	}
	if (r < 0) {
		protocol_error(h, h->chan.err);
		return;
	}
	/* EOF: the exit itself arrives through the pidfd. */
	ferry_loop_del(loop, fd);
	ferry_chan_close(&h->chan);
	fail_calls(h);
}

static void flush_err_line(struct ferry_helper *h)
{
	if (h->errlen)
		log_warn("%s[%d]: %.*s", h->info->name, (int)h->child.pid, (int)h->errlen, h->errbuf);
	h->errlen = 0;
}

/* A helper's stderr holds its last words; each line goes to the broker's log. */
static void on_stderr(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_helper *h = data;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return;
		flush_err_line(h);
		ferry_loop_del(loop, fd);
		close(fd);
		h->child.err_fd = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || h->errlen == sizeof(h->errbuf)) {
			flush_err_line(h);
			if (buf[i] == '\n')
				continue;
		}
		h->errbuf[h->errlen++] = buf[i];
	}
}

static void on_pidfd(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_helper *h = data;
	char desc[96];

	if (ferry_child_reap(&h->child, desc, sizeof(desc)) <= 0)
		return;
	/* Drain its last words before saying it is gone. */
	while (h->child.err_fd >= 0)
		on_stderr(loop, h->child.err_fd, EPOLLIN, h);
	h->exited = true;
	snprintf(h->exit_desc, sizeof(h->exit_desc), "%s (pid %d) %s", h->info->name,
		 (int)h->child.pid, desc);
	if (strcmp(desc, "exited with status 0") == 0)
		log_debug("%s", h->exit_desc);
	else
		log_warn("%s", h->exit_desc);
	ferry_loop_del(loop, fd);
	unwatch(h);
	fail_calls(h);
	if (h->on_exit)
		h->on_exit(h, h->exit_data);
}

int ferry_helper_start(struct ferry_loop *loop, enum ferry_helper_id id,
		       const struct ferry_helper_opts *o, struct ferry_helper *h,
		       char *err, size_t errlen)
{
	const struct ferry_helper_info *info = &ferry_helper_table[id];
	char path[4200], ids[32];
	char *argv[4] = { path, NULL, NULL, NULL };
	struct ferry_spawn_req req = { .path = path, .argv = argv, .env_allow = info->env_allow };
	int r;

	memset(h, 0, sizeof(*h));
	h->info = info;
	h->loop = loop;
	h->chan.fd = -1;
	snprintf(path, sizeof(path), "%s/%s", o->dir, info->name);
	if (o->set_ids) {
		snprintf(ids, sizeof(ids), "%u:%u", o->uid, o->gid);
		argv[1] = "--user";
		argv[2] = ids;
	}
	r = ferry_spawn(&req, &h->child, err, errlen);
	if (r < 0)
		return r;
	r = ferry_chan_init(&h->chan, h->child.chan_fd, info->name, info->specs, info->nspecs, h);
	h->child.chan_fd = -1;	/* the channel owns it now */
	h->chan.nonblock = true;
	/* A helper that died at once is reported through its pidfd, with its cause. */
	if (r == 0 && (r = ferry_chan_send_hello(&h->chan, "ferryd", 0, 0)) < 0 &&
	    (r == -EPIPE || r == -ECONNRESET))
		r = 0;
	if (r == 0)
		r = ferry_loop_add(loop, h->chan.fd, EPOLLIN, on_chan, h);
	if (r == 0)
		r = ferry_loop_add(loop, h->child.err_fd, EPOLLIN, on_stderr, h);
	if (r == 0)
		r = ferry_loop_add(loop, h->child.pidfd, EPOLLIN, on_pidfd, h);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", info->name, strerror(-r));
		ferry_helper_kill(h);
		/* Reaped here: it never ran a step of its job. */
		while (ferry_child_reap(&h->child, h->exit_desc, sizeof(h->exit_desc)) == 0)
			usleep(1000);
		ferry_helper_release(h);
		return r;
	}
	return 0;
}

int ferry_helper_call(struct ferry_helper *h, uint16_t type, const struct ferry_wbuf *w,
		      const int *fds, unsigned nfds, ferry_reply_cb cb, void *data)
{
	struct ferry_helper_call *slot = NULL;
	uint32_t id;
	int r;

	if (h->exited || h->chan.fd < 0)
		return -ECHILD;
	for (unsigned i = 0; i < FERRY_CHAN_MAX_PENDING && !slot; i++)
		if (!h->calls[i].cb)
			slot = &h->calls[i];
	if (!slot)
		return -EBUSY;
	r = ferry_chan_request(&h->chan, type, w, fds, nfds, &id);
	if (r < 0)
		return r;
	slot->id = id;
	slot->cb = cb;
	slot->data = data;
	return 0;
}

void ferry_helper_shutdown(struct ferry_helper *h)
{
	if (h->chan.fd >= 0) {
		ferry_loop_del(h->loop, h->chan.fd);
		ferry_chan_close(&h->chan);
	}
	fail_calls(h);
}

void ferry_helper_release(struct ferry_helper *h)
{
	unwatch(h);
	if (h->child.pidfd >= 0)
		ferry_loop_del(h->loop, h->child.pidfd);
	ferry_child_close(&h->child);
}

int ferry_loop_wait(struct ferry_loop *loop, const bool *done, int timeout_ms)
{
	uint64_t deadline = ferry_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (!*done) {
		uint64_t now = ferry_now_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		ferry_loop_run_once(loop, (int)((deadline - now) / 1000000ull) + 1);
	}
	return 0;
}

void ferry_reply_error_text(const struct ferry_msg *reply, char *buf, size_t len)
{
	struct ferry_rbuf r;
	const char *text;

	ferry_rbuf_init(&r, reply->payload, reply->len);
	ferry_get_i32(&r, "errno");
	text = ferry_get_str(&r, "message");
	snprintf(buf, len, "%s", r.err ? "malformed error reply" : text);
}

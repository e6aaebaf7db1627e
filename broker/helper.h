/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * helper.h - the broker's helpers: the one table that names them, and a
 * supervised running helper (process, channel, stderr, pending calls).
 */
#ifndef FERRY_HELPER_H
#define FERRY_HELPER_H

#include <stdbool.h>
#include <stdint.h>

#include "channel.h"
#include "loop.h"
#include "spawn.h"

enum ferry_helper_id {
	FERRY_HELPER_MONITOR,
	FERRY_HELPER_TUNNEL,
	FERRY_HELPER_COMPRESS,
	FERRY_HELPER_LABEL,
	FERRY_HELPER_COUNT,
};

struct ferry_helper_info {
	const char *name;			/* executable name, and how logs call it */
	const char *const *env_allow;		/* environment it may see */
	uint64_t caps;				/* capability bits it keeps, as a mask */
	const struct ferry_msg_spec *specs;	/* what it may send besides common replies */
	size_t nspecs;
};

extern const struct ferry_helper_info ferry_helper_table[FERRY_HELPER_COUNT];

struct ferry_helper_opts {
	char dir[4096];		/* where the executables are */
	bool set_ids;		/* started as root: run helpers as uid:gid */
	uint32_t uid, gid;
};

struct ferry_helper;

/* @reply is NULL when the helper died or broke the protocol first. */
typedef void (*ferry_reply_cb)(struct ferry_helper *h, const struct ferry_msg *reply, void *data);

struct ferry_helper_call {
	uint32_t id;
	ferry_reply_cb cb;
	void *data;
};

struct ferry_helper {
	const struct ferry_helper_info *info;
	struct ferry_loop *loop;
	struct ferry_child child;
	struct ferry_chan chan;
	bool ready;			/* its HELLO arrived */
	bool exited;
	char exit_desc[160];		/* "ferry-tunnel (pid 12) killed by seccomp (SIGSYS)" */
	char error[320];		/* first protocol error, if any */
	struct ferry_helper_call calls[FERRY_CHAN_MAX_PENDING];
	void (*on_exit)(struct ferry_helper *h, void *data);
	void *exit_data;
	/*
	 * Optional: runs for every event the helper's table admits (the
	 * monitor's MON_EVENT and MON_CLOSED, say). Set it right after
	 * ferry_helper_start(); the payload is the helper's word, to be
	 * decoded and checked by the callback.
	 */
	void (*on_event)(struct ferry_helper *h, const struct ferry_msg *msg, void *data);
	void *event_data;
	char errbuf[512];		/* partial stderr line */
	size_t errlen;
};

/*
 * ferry_helper_opts_default - helpers from the build tree when this program
 * runs from it, else from the install prefix; when root, run them as
 * @user (NULL: "nobody"). Return 0 or -errno with @err set.
 */
int ferry_helper_opts_default(struct ferry_helper_opts *o, const char *user,
			      char *err, size_t errlen);

/* Spawn helper @id, supervised by @loop. Return 0 or -errno with @err set. */
int ferry_helper_start(struct ferry_loop *loop, enum ferry_helper_id id,
		       const struct ferry_helper_opts *o, struct ferry_helper *h,
		       char *err, size_t errlen);

/* Send a request; @cb runs with its reply. Return 0 or -errno. */
int ferry_helper_call(struct ferry_helper *h, uint16_t type, const struct ferry_wbuf *w,
		      const int *fds, unsigned nfds, ferry_reply_cb cb, void *data);

/* An ERROR reply from a helper as its text (QEMU's own errors come this way). */
void ferry_reply_error_text(const struct ferry_msg *reply, char *buf, size_t len);

/* Close the channel: a healthy helper exits on its own. */
void ferry_helper_shutdown(struct ferry_helper *h);
/* SIGKILL through the pidfd. */
void ferry_helper_kill(struct ferry_helper *h);
/* Free what is left once the helper has exited (or was never started). */
void ferry_helper_release(struct ferry_helper *h);

/*
 * ferry_loop_wait - run @loop until *@done or @timeout_ms pass. For tools
 * and tests; the daemon never waits on anything but its loop.
 * Return 0, or -ETIMEDOUT.
 */
int ferry_loop_wait(struct ferry_loop *loop, const bool *done, int timeout_ms);

#endif

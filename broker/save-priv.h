/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save-priv.h - what save.c (a domain to a file) and restore.c (a file to
 * a domain) share: one operation's state, its end, and the stream between
 * QEMU's private socket and the file (save-op.c).
 */
#ifndef FERRY_SAVE_PRIV_H
#define FERRY_SAVE_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon.h"
#include "save-format.h"

struct ferry_compressor;
struct ferry_tunnel;

/* One save or restore, from its command to its answer. */
struct save_op {
	struct ferry_daemon *d;
	struct ferry_domain *dom;
	struct ferry_client *client;
	bool restore;
	bool compressed;
	bool was_running;		/* save: resume on failure; restore: run at the end */
	bool run_after;			/* save: the header says the domain runs once restored */
	bool migrating;			/* QEMU's migration was started */
	bool qemu_done, stream_done;
	bool failed;
	int file_fd;
	char path[PATH_MAX];
	char sock[108];
	int listen_fd;
	int timer_fd;
	bool query_pending;
	uint8_t fixed[FERRY_SAVE_FIXED_LEN];
	uint32_t data_offset;
	struct ferry_compressor *comp;
	struct ferry_tunnel *tun;
	char error[600];
};

struct save_op *save_op_new(struct ferry_daemon *d, struct ferry_client *c, bool restore);
void save_op_free(struct save_op *op);
/* Answer (with op->error if set), end the job, let the domain go if nothing holds it. */
void save_op_end(struct save_op *op, struct json_object *ret);
/* The first failure wins; the domain is left as it was before the job. */
void save_op_fail(struct save_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The stream between QEMU's connection @conn (taken) and the file. */
int save_op_stream(struct save_op *op, int conn, char *err, size_t errlen);
/* Poll QEMU's migration until both ends are done. */
int save_op_poll(struct save_op *op);
/* op->sock := the domain's private socket @leaf. */
int save_op_sock(struct save_op *op, const char *leaf, char *err, size_t errlen);
void save_op_maybe_finished(struct save_op *op);

/* save.c and restore.c: both ends are done. */
void save_finished(struct save_op *op);
void restore_finished(struct save_op *op);

#endif

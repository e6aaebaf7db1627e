/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save-op.c - one save or restore: its end, its failure, and the stream
 * between QEMU's private socket and the file, through ferry-compress or
 * ferry-tunnel. save.c and restore.c drive it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compressor.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "save-format.h"
#include "save-priv.h"
#include "tunnel.h"
#include "util.h"

#define SAVE_POLL_MS 100u

void save_op_free(struct save_op *op)
{
	ferry_migrate_timer_stop(op->d, &op->timer_fd);
	if (op->listen_fd >= 0) {
		ferry_loop_del(&op->d->loop, op->listen_fd);
		close(op->listen_fd);
	}
	if (op->sock[0])
		unlink(op->sock);
	ferry_compressor_release(op->comp);
	ferry_tunnel_release(op->tun);
	if (op->file_fd >= 0)
		close(op->file_fd);
	if (op->client)
		ferry_client_unref(op->client);
	free(op);
}

/* The job is over: answer, and let the domain go if nothing else holds it. */
void save_op_end(struct save_op *op, struct json_object *ret)
{
	struct ferry_domain *dom = op->dom;

	if (op->error[0]) {
		json_object_put(ret);
		ferry_client_error(op->client, "GenericError", "%s", op->error);
	} else {
		ferry_client_return(op->client, ret);
	}
	if (dom->job) {
		dom->job->save = NULL;
		if (op->error[0])
			ferry_job_error(dom->job, "%s", op->error);
		ferry_job_end(op->d, dom);
	}
	ferry_domain_stopped(op->d, dom);
	save_op_free(op);
}

static void save_resumed(struct ferry_vm *vm, const struct ferry_mon_result *res,
			 const char *error, void *data)
{
	struct save_op *op = data;

	if (!error)
		ferry_domain_set_state(op->d, op->dom, FERRY_DOM_RUNNING, "unpaused");
	save_op_end(op, NULL);
}

static void restore_killed(struct ferry_vm *vm, const char *error, void *data)
{
	save_op_end(data, NULL);
}

/* The first failure wins; the domain is left as it was before the job. */
void save_op_fail(struct save_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void save_op_fail(struct save_op *op, const char *fmt, ...)
{
	struct ferry_vm *vm = op->dom->vm;
	char why[500];
	va_list ap;

	if (op->failed)
		return;
	op->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(op->error, sizeof(op->error), "%s of '%s' failed: %s", op->restore ? "restore" : "save",
		 op->dom->def->name, why);
	log_dom(FERRY_LOG_ERR, op->dom->def->name, "%s", op->error);
	ferry_migrate_timer_stop(op->d, &op->timer_fd);
	ferry_compressor_release(op->comp);
	op->comp = NULL;
	ferry_tunnel_release(op->tun);
	op->tun = NULL;
	if (op->restore) {
		if (!vm || ferry_vm_kill(vm, "failed", restore_killed, op) < 0)
			save_op_end(op, NULL);
		return;
	}
	unlink(op->path);
	if (vm && op->migrating)
		ferry_migrate_cancel(vm, NULL, NULL);
	if (vm && op->was_running &&
	    ferry_migrate_simple(vm, FERRY_MON_CONT, save_resumed, op) == 0)
		return;
	save_op_end(op, NULL);
}

/* --- the stream's helper -------------------------------------------------------- */

static void comp_failed(struct ferry_compressor *c, const char *why, void *data)
{
	save_op_fail(data, "%s", why);
}

static void tun_failed(struct ferry_tunnel *t, const char *why, void *data)
{
	save_op_fail(data, "%s", why);
}

static void comp_done(struct ferry_compressor *c, uint64_t in, uint64_t out, void *data)
{
	struct save_op *op = data;

	op->stream_done = true;
	save_op_maybe_finished(op);
}

/* The stream between QEMU's connection @conn and the file, both taken. */
int save_op_stream(struct save_op *op, int conn, char *err, size_t errlen)
{
	static const struct ferry_compressor_ops ops = { comp_failed, comp_done };
	struct ferry_compress_start st = {
		.mode = op->restore ? FERRY_COMPRESS_INFLATE : FERRY_COMPRESS_DEFLATE,
	};
	int file = fcntl(op->file_fd, F_DUPFD_CLOEXEC, 3);
	int from = op->restore ? file : conn, to = op->restore ? conn : file;

	if (file < 0 || lseek(file, op->data_offset, SEEK_SET) < 0) {
		if (file >= 0)
			close(file);
		close(conn);
		return ferry_err(err, errlen, -errno, "%s: %s", op->path, strerror(errno));
	}
	if (op->compressed)
		return ferry_compressor_start(op->d, op->dom->def->name, &st, from, to, &ops, op,
					      &op->comp, err, errlen);
	if (ferry_tunnel_start(op->d, op->dom->def->name, 1, tun_failed, op, &op->tun, err, errlen) < 0) {
		close(from);
		close(to);
		return -EIO;
	}
	return ferry_tunnel_stream(op->tun, 0, from, to);
}

/* --- QEMU's side --------------------------------------------------------------------- */

static void on_query(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		     void *data)
{
	struct save_op *op = data;
	struct ferry_migration_stats s = { 0 };

	op->query_pending = false;
	if (error) {
		save_op_fail(op, "query-migrate: %s", error);
		return;
	}
	ferry_migrate_stats_read(res, &s);
	if (strcmp(s.status, "failed") == 0 || strcmp(s.status, "cancelled") == 0) {
		save_op_fail(op, "QEMU reports the stream %s%s%s", s.status, s.error_desc[0] ? ": " : "",
			s.error_desc);
		return;
	}
	if (strcmp(s.status, "completed") != 0)
		return;
	op->qemu_done = true;
	if (op->tun && ferry_tunnel_streams_done(op->tun) == 1)
		op->stream_done = true;
	save_op_maybe_finished(op);
}

static void on_poll(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct save_op *op = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 || op->query_pending)
		return;
	if (op->tun && op->qemu_done && ferry_tunnel_streams_done(op->tun) == 1) {
		op->stream_done = true;
		save_op_maybe_finished(op);
		return;
	}
	if (op->qemu_done)
		return;
	if (!op->dom->vm) {
		save_op_fail(op, "QEMU exited");
		return;
	}
	if (ferry_migrate_query(op->dom->vm, on_query, op) < 0)
		save_op_fail(op, "the monitor is gone");
	else
		op->query_pending = true;
}

int save_op_poll(struct save_op *op)
{
	return ferry_migrate_timer_start(op->d, &op->timer_fd, SAVE_POLL_MS, on_poll, op);
}

/* The domain's private socket between QEMU and the stream's helper. */
int save_op_sock(struct save_op *op, const char *leaf, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	ferry_domain_path(op->d, "private", op->dom->def->name, dir, sizeof(dir));
	if ((size_t)snprintf(op->sock, sizeof(op->sock), "%s/%s", dir, leaf) >= sizeof(op->sock)) {
		op->sock[0] = '\0';
		return ferry_err(err, errlen, -ENAMETOOLONG, "%s/%s: too long for a socket", dir, leaf);
	}
	unlink(op->sock);
	return 0;
}


struct save_op *save_op_new(struct ferry_daemon *d, struct ferry_client *c, bool restore)
{
	struct save_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->d = d;
	op->restore = restore;
	op->file_fd = -1;
	op->listen_fd = -1;
	op->timer_fd = -1;
	ferry_client_ref(c);
	op->client = c;
	return op;
}

void save_op_maybe_finished(struct save_op *op)
{
	if (op->failed || !op->qemu_done || !op->stream_done)
		return;
	ferry_migrate_timer_stop(op->d, &op->timer_fd);
	if (op->restore)
		restore_finished(op);
	else
		save_finished(op);
}


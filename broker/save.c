/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save.c - save-domain.
 *
 * Save: the broker creates the file (O_EXCL, 0600), has ferry-label give
 * it to QEMU's user, writes the header (docs/save-format.md) marked
 * incomplete, stops the vCPUs, and has QEMU migrate to a unix socket in
 * the domain's private directory; the connection goes to ferry-compress
 * (deflate) or, raw, to ferry-tunnel, with the file as the other end.
 * Once QEMU says completed and the helper says the stream ended whole,
 * the data is fsynced, the header marked complete and fsynced, and QEMU
 * ended. Any failure cancels QEMU's migration, resumes the vCPUs if they
 * ran, and removes the file.
 *
 * The data is fsynced on the event loop: a save is the only job of its
 * domain, but other domains wait that long. A helper for it is future work.
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

#include "hv/domain.h"
#include "hv/seclabel.h"
#include "label-proto.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "save-format.h"
#include "save-priv.h"
#include "save.h"
#include "util.h"

/* --- save ------------------------------------------------------------------------------ */

/* Both ends are done: make the file whole, then end QEMU. */
static void save_killed(struct ferry_vm *vm, const char *error, void *data)
{
	struct save_op *op = data;
	struct json_object *ret = json_object_new_object();

	log_dom(FERRY_LOG_INFO, op->dom->def->name, "saved to %s", op->path);
	json_object_object_add(ret, "file", json_object_new_string(op->path));
	save_op_end(op, ret);
}

void save_finished(struct save_op *op)
{
	struct stat st;

	if (fsync(op->file_fd) < 0 || fstat(op->file_fd, &st) < 0) {
		save_op_fail(op, "%s: fsync: %s", op->path, strerror(errno));
		return;
	}
	ferry_save_header_complete(op->fixed, (uint64_t)st.st_size - op->data_offset);
	if (pwrite(op->file_fd, op->fixed, sizeof(op->fixed), 0) != (ssize_t)sizeof(op->fixed) ||
	    fsync(op->file_fd) < 0) {
		save_op_fail(op, "%s: marking the header complete: %s", op->path, strerror(errno));
		return;
	}
	ferry_domain_set_state(op->d, op->dom, FERRY_DOM_PAUSED, "saved");
	if (!op->dom->vm || ferry_vm_kill(op->dom->vm, "saved", save_killed, op) < 0)
		save_killed(op->dom->vm, NULL, op);
}

static void on_qemu_connect(struct ferry_loop *loop, int lfd, uint32_t events, void *data)
{
	struct save_op *op = data;
	char err[512];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* One stream: no second connection is taken. */
	ferry_loop_del(loop, lfd);
	close(lfd);
	op->listen_fd = -1;
	if (save_op_stream(op, fd, err, sizeof(err)) < 0)
		save_op_fail(op, "%s", err);
}

static void on_migrate(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		       void *data)
{
	struct save_op *op = data;

	if (error) {
		save_op_fail(op, "migrate: %s", error);
		return;
	}
	op->migrating = true;
	if (save_op_poll(op) < 0)
		save_op_fail(op, "cannot poll the migration");
}

static void on_save_params(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct save_op *op = data;
	char uri[128];

	if (error) {
		save_op_fail(op, "migrate-set-parameters: %s", error);
		return;
	}
	snprintf(uri, sizeof(uri), "unix:%s", op->sock);
	if (ferry_migrate_start(vm, uri, on_migrate, op) < 0)
		save_op_fail(op, "the monitor is gone");
}

/* Listen where QEMU will connect; no cap on its rate: the disk is the limit. */
static void save_go(struct save_op *op)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	int fd;

	if (save_op_sock(op, "save.sock", err, sizeof(err)) < 0) {
		save_op_fail(op, "%s", err);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", op->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
	    ferry_loop_add(&op->d->loop, fd, EPOLLIN, on_qemu_connect, op) < 0) {
		if (fd >= 0)
			close(fd);
		save_op_fail(op, "listening on %s: %s", op->sock, strerror(errno));
		return;
	}
	op->listen_fd = fd;
	if (ferry_migrate_set_params(op->dom->vm, 0, UINT64_MAX, on_save_params, op) < 0)
		save_op_fail(op, "the monitor is gone");
}

static void on_save_stopped(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct save_op *op = data;

	if (error) {
		save_op_fail(op, "stopping the vCPUs: %s", error);
		return;
	}
	ferry_domain_set_state(op->d, op->dom, FERRY_DOM_PAUSED, "save");
	save_go(op);
}

/* The file belongs to QEMU's user: ferry-label sets it on the fd itself. */
static void on_labelled(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct save_op *op = data;
	struct ferry_label_result res;
	char why[300];

	if (!reply) {
		save_op_fail(op, "labelling %s: %s", op->path, h->exit_desc[0] ? h->exit_desc : "ferry-label is gone");
		return;
	}
	if (reply->hdr.type != FERRY_MSG_LABEL_RESULT) {
		ferry_reply_error_text(reply, why, sizeof(why));
		save_op_fail(op, "labelling %s: %s", op->path, why);
		return;
	}
	if (ferry_label_get_result(reply->payload, reply->len, &res, why, sizeof(why)) < 0) {
		save_op_fail(op, "ferry-label answered wrongly: %s", why);
		ferry_helper_kill(h);
		return;
	}
	if (res.note[0])
		log_dom(FERRY_LOG_INFO, op->dom->def->name, "%s: %s", op->path, res.note);
	/* A ferry-label of its own goes; the broker's long-lived one stays. */
	if (h != &op->d->label)
		ferry_helper_shutdown(h);
	if (op->was_running &&
	    ferry_migrate_simple(op->dom->vm, FERRY_MON_STOP, on_save_stopped, op) == 0)
		return;
	if (op->was_running)
		save_op_fail(op, "the monitor is gone");
	else
		save_go(op);
}

/* ferry-label lives for one request and frees itself once reaped. */
static void label_exited(struct ferry_helper *h, void *data)
{
	ferry_helper_release(h);
	free(h);
}

/* The image label of the running domain (vm.c), unless the configuration wants none. */
static void image_label(struct save_op *op, char out[FERRY_LABEL_CONTEXT_MAX + 1])
{
	const struct ferry_seclabel_labels *lab = &op->dom->labels;

	out[0] = '\0';
	if (op->d->cfg.selinux_labels != FERRY_LABELS_OFF && lab->relabel)
		snprintf(out, FERRY_LABEL_CONTEXT_MAX + 1, "%s", lab->image);
}

static int save_label(struct save_op *op, char *err, size_t errlen)
{
	char context[FERRY_LABEL_CONTEXT_MAX + 1];
	struct ferry_label_req req = {
		.flags = FERRY_LABEL_OWNER, .type = 1 /* regular file */,
		.uid = (uint32_t)geteuid(), .gid = (uint32_t)getegid(), .context = "",
	};
	struct ferry_helper *h;
	struct ferry_wbuf w;
	int r;

	image_label(op, context);
	if (context[0]) {
		req.flags |= FERRY_LABEL_CONTEXT;
		if (op->d->cfg.selinux_labels == FERRY_LABELS_XATTR)
			req.flags |= FERRY_LABEL_FORCE_XATTR;
		req.context = context;
	}
	ferry_wbuf_init(&w);
	r = ferry_label_put_fd(&w, &req);
	if (r < 0)
		return ferry_err(err, errlen, r, "a label request the helper would refuse");
	/* Spawned before the privilege drop: the only one that can still give files away. */
	if (op->d->label_started && !op->d->label.exited)
		return ferry_helper_call(&op->d->label, FERRY_MSG_LABEL_FD, &w, &op->file_fd, 1,
					 on_labelled, op);
	h = calloc(1, sizeof(*h));
	r = h ? 0 : -ENOMEM;
	if (r == 0)
		r = ferry_helper_start(&op->d->loop, FERRY_HELPER_LABEL, &op->d->hopts, h, err, errlen);
	if (r < 0) {
		free(h);
		return r;
	}
	h->on_exit = label_exited;
	h->exit_data = h;
	r = ferry_helper_call(h, FERRY_MSG_LABEL_FD, &w, &op->file_fd, 1, on_labelled, op);
	if (r < 0)
		ferry_helper_kill(h);
	return r;
}

/* The header, incomplete, at the start of the new file; the stream goes after it. */
static int save_header(struct save_op *op, char *err, size_t errlen)
{
	_cleanup_free_ char *xml = NULL, *cookie = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	struct ferry_cookie ck;
	size_t len;
	int r;

	ferry_migrate_cookie_base(op->d, op->dom, &ck);
	if (ferry_domain_format(op->dom->def, &xml) < 0 || ferry_cookie_format(&ck, &cookie) < 0)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	r = ferry_save_header_build(xml, cookie, op->compressed ? FERRY_SAVE_FORMAT_GZIP
							       : FERRY_SAVE_FORMAT_RAW,
				    op->run_after ? FERRY_SAVE_RUNNING : 0, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	if (ferry_write_all(op->file_fd, buf, len) < 0)
		return ferry_err(err, errlen, -errno, "%s: writing the header: %s", op->path,
				 strerror(errno));
	memcpy(op->fixed, buf, sizeof(op->fixed));
	op->data_offset = (uint32_t)len;
	return 0;
}

void ferry_cmd_save(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	const char *file = ferry_arg_str(a, "file");
	struct ferry_domain *dom;
	struct save_op *op;
	char err[600];

	if (file[0] != '/') {
		ferry_client_error(c, "InvalidArgument", "save file '%.200s': an absolute path, please", file);
		return;
	}
	if (ferry_arg_bool(a, "running") && ferry_arg_bool(a, "paused")) {
		ferry_client_error(c, "InvalidArgument", "'running' and 'paused' exclude each other");
		return;
	}
	if (!(dom = ferry_cmd_running_domain(d, c, a)))
		return;
	if (!(op = save_op_new(d, c, false)) ||
	    !ferry_job_start(d, dom, FERRY_JOB_SAVE, FERRY_PHASE_SAVE, 0)) {
		free(op);
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	dom->job->save = op;
	op->dom = dom;
	op->compressed = ferry_arg_bool(a, "compressed");
	op->was_running = dom->state == FERRY_DOM_RUNNING;
	/* What the restored domain does: as now, unless the caller says. */
	op->run_after = ferry_arg_bool(a, "running") ||
			(op->was_running && !ferry_arg_bool(a, "paused"));
	snprintf(op->path, sizeof(op->path), "%s", file);
	op->file_fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (op->file_fd < 0) {
		snprintf(op->error, sizeof(op->error), "%s: %s", file, strerror(errno));
		save_op_end(op, NULL);
		return;
	}
	if (save_header(op, err, sizeof(err)) < 0 || save_label(op, err, sizeof(err)) < 0) {
		op->failed = true;
		snprintf(op->error, sizeof(op->error), "save of '%s' failed: %s", dom->def->name, err);
		unlink(op->path);
		save_op_end(op, NULL);
		return;
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "saving to %s%s", file,
		op->compressed ? " (compressed)" : "");
}


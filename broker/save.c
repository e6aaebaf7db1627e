/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save.c - save-domain and restore-domain.
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
 * Restore: the header is read and checked in full (magic, version,
 * bounds, checksums, sizes, the XML) before anything starts; QEMU then
 * starts with -incoming defer and listens on a private socket, and the
 * file reaches it through ferry-compress (inflate, which treats it as
 * hostile) or ferry-tunnel. A stream that fails leaves no VM behind.
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

#include "compressor.h"
#include "hv/domain.h"
#include "label-proto.h"
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "save-format.h"
#include "save.h"
#include "tunnel.h"
#include "util.h"

#define SAVE_POLL_MS 100u

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

static void op_free(struct save_op *op)
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
static void op_end(struct save_op *op, struct json_object *ret)
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
	op_free(op);
}

static void save_resumed(struct ferry_vm *vm, const struct ferry_mon_result *res,
			 const char *error, void *data)
{
	struct save_op *op = data;

	if (!error)
		ferry_domain_set_state(op->d, op->dom, FERRY_DOM_RUNNING, "unpaused");
	op_end(op, NULL);
}

static void restore_killed(struct ferry_vm *vm, const char *error, void *data)
{
	op_end(data, NULL);
}

/* The first failure wins; the domain is left as it was before the job. */
static void op_fail(struct save_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void op_fail(struct save_op *op, const char *fmt, ...)
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
			op_end(op, NULL);
		return;
	}
	unlink(op->path);
	if (vm && op->migrating)
		ferry_migrate_cancel(vm, NULL, NULL);
	if (vm && op->was_running &&
	    ferry_migrate_simple(vm, FERRY_MON_CONT, save_resumed, op) == 0)
		return;
	op_end(op, NULL);
}

/* --- the stream's helper -------------------------------------------------------- */

static void comp_failed(struct ferry_compressor *c, const char *why, void *data)
{
	op_fail(data, "%s", why);
}

static void tun_failed(struct ferry_tunnel *t, const char *why, void *data)
{
	op_fail(data, "%s", why);
}

static void maybe_finished(struct save_op *op);

static void comp_done(struct ferry_compressor *c, uint64_t in, uint64_t out, void *data)
{
	struct save_op *op = data;

	op->stream_done = true;
	maybe_finished(op);
}

/* The stream between QEMU's connection @conn and the file, both taken. */
static int stream_start(struct save_op *op, int conn, char *err, size_t errlen)
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
		op_fail(op, "query-migrate: %s", error);
		return;
	}
	ferry_migrate_stats_read(res, &s);
	if (strcmp(s.status, "failed") == 0 || strcmp(s.status, "cancelled") == 0) {
		op_fail(op, "QEMU reports the stream %s%s%s", s.status, s.error_desc[0] ? ": " : "",
			s.error_desc);
		return;
	}
	if (strcmp(s.status, "completed") != 0)
		return;
	op->qemu_done = true;
	if (op->tun && ferry_tunnel_streams_done(op->tun) == 1)
		op->stream_done = true;
	maybe_finished(op);
}

static void on_poll(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct save_op *op = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 || op->query_pending)
		return;
	if (op->tun && op->qemu_done && ferry_tunnel_streams_done(op->tun) == 1) {
		op->stream_done = true;
		maybe_finished(op);
		return;
	}
	if (op->qemu_done)
		return;
	if (!op->dom->vm) {
		op_fail(op, "QEMU exited");
		return;
	}
	if (ferry_migrate_query(op->dom->vm, on_query, op) < 0)
		op_fail(op, "the monitor is gone");
	else
		op->query_pending = true;
}

static int poll_start(struct save_op *op)
{
	return ferry_migrate_timer_start(op->d, &op->timer_fd, SAVE_POLL_MS, on_poll, op);
}

/* The domain's private socket between QEMU and the stream's helper. */
static int sock_path(struct save_op *op, const char *leaf, char *err, size_t errlen)
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


/* --- save ------------------------------------------------------------------------------ */

/* Both ends are done: make the file whole, then end QEMU. */
static void save_killed(struct ferry_vm *vm, const char *error, void *data)
{
	struct save_op *op = data;
	struct json_object *ret = json_object_new_object();

	log_dom(FERRY_LOG_INFO, op->dom->def->name, "saved to %s", op->path);
	json_object_object_add(ret, "file", json_object_new_string(op->path));
	op_end(op, ret);
}

static void save_finish(struct save_op *op)
{
	struct stat st;

	ferry_migrate_timer_stop(op->d, &op->timer_fd);
	if (fsync(op->file_fd) < 0 || fstat(op->file_fd, &st) < 0) {
		op_fail(op, "%s: fsync: %s", op->path, strerror(errno));
		return;
	}
	ferry_save_header_complete(op->fixed, (uint64_t)st.st_size - op->data_offset);
	if (pwrite(op->file_fd, op->fixed, sizeof(op->fixed), 0) != (ssize_t)sizeof(op->fixed) ||
	    fsync(op->file_fd) < 0) {
		op_fail(op, "%s: marking the header complete: %s", op->path, strerror(errno));
		return;
	}
	ferry_domain_set_state(op->d, op->dom, FERRY_DOM_PAUSED, "saved");
	if (!op->dom->vm || ferry_vm_kill(op->dom->vm, "saved", save_killed, op) < 0)
		save_killed(op->dom->vm, NULL, op);
}

static void restore_running(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data);

static void maybe_finished(struct save_op *op)
{
	if (op->failed || !op->qemu_done || !op->stream_done)
		return;
	if (!op->restore) {
		save_finish(op);
		return;
	}
	ferry_migrate_timer_stop(op->d, &op->timer_fd);
	if (!op->was_running) {
		restore_running(op->dom->vm, NULL, NULL, op);
		return;
	}
	if (ferry_migrate_simple(op->dom->vm, FERRY_MON_CONT, restore_running, op) < 0)
		op_fail(op, "the monitor is gone");
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
	if (stream_start(op, fd, err, sizeof(err)) < 0)
		op_fail(op, "%s", err);
}

static void on_migrate(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		       void *data)
{
	struct save_op *op = data;

	if (error) {
		op_fail(op, "migrate: %s", error);
		return;
	}
	op->migrating = true;
	if (poll_start(op) < 0)
		op_fail(op, "cannot poll the migration");
}

static void on_save_params(struct ferry_vm *vm, const struct ferry_mon_result *res,
			   const char *error, void *data)
{
	struct save_op *op = data;
	char uri[128];

	if (error) {
		op_fail(op, "migrate-set-parameters: %s", error);
		return;
	}
	snprintf(uri, sizeof(uri), "unix:%s", op->sock);
	if (ferry_migrate_start(vm, uri, on_migrate, op) < 0)
		op_fail(op, "the monitor is gone");
}

/* Listen where QEMU will connect; no cap on its rate: the disk is the limit. */
static void save_go(struct save_op *op)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	int fd;

	if (sock_path(op, "save.sock", err, sizeof(err)) < 0) {
		op_fail(op, "%s", err);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", op->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
	    ferry_loop_add(&op->d->loop, fd, EPOLLIN, on_qemu_connect, op) < 0) {
		if (fd >= 0)
			close(fd);
		op_fail(op, "listening on %s: %s", op->sock, strerror(errno));
		return;
	}
	op->listen_fd = fd;
	if (ferry_migrate_set_params(op->dom->vm, 0, UINT64_MAX, on_save_params, op) < 0)
		op_fail(op, "the monitor is gone");
}

static void on_save_stopped(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct save_op *op = data;

	if (error) {
		op_fail(op, "stopping the vCPUs: %s", error);
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
		op_fail(op, "labelling %s: %s", op->path, h->exit_desc[0] ? h->exit_desc : "ferry-label is gone");
		return;
	}
	if (reply->hdr.type != FERRY_MSG_LABEL_RESULT) {
		ferry_reply_error_text(reply, why, sizeof(why));
		op_fail(op, "labelling %s: %s", op->path, why);
		return;
	}
	if (ferry_label_get_result(reply->payload, reply->len, &res, why, sizeof(why)) < 0) {
		op_fail(op, "ferry-label answered wrongly: %s", why);
		ferry_helper_kill(h);
		return;
	}
	ferry_helper_shutdown(h);
	if (op->was_running &&
	    ferry_migrate_simple(op->dom->vm, FERRY_MON_STOP, on_save_stopped, op) == 0)
		return;
	if (op->was_running)
		op_fail(op, "the monitor is gone");
	else
		save_go(op);
}

/* ferry-label lives for one request and frees itself once reaped. */
static void label_exited(struct ferry_helper *h, void *data)
{
	ferry_helper_release(h);
	free(h);
}

static int save_label(struct save_op *op, char *err, size_t errlen)
{
	struct ferry_label_req req = {
		.flags = FERRY_LABEL_OWNER, .type = 1 /* regular file */,
		.uid = (uint32_t)geteuid(), .gid = (uint32_t)getegid(), .context = "",
	};
	struct ferry_helper *h = calloc(1, sizeof(*h));
	struct ferry_wbuf w;
	int r;

	ferry_wbuf_init(&w);
	r = h ? ferry_label_put_fd(&w, &req) : -ENOMEM;
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

static struct save_op *op_new(struct ferry_daemon *d, struct ferry_client *c, bool restore)
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
	if (!(op = op_new(d, c, false)) ||
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
		op_end(op, NULL);
		return;
	}
	if (save_header(op, err, sizeof(err)) < 0 || save_label(op, err, sizeof(err)) < 0) {
		op->failed = true;
		snprintf(op->error, sizeof(op->error), "save of '%s' failed: %s", dom->def->name, err);
		unlink(op->path);
		op_end(op, NULL);
		return;
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "saving to %s%s", file,
		op->compressed ? " (compressed)" : "");
}

/* --- restore ------------------------------------------------------------------------------ */

static void restore_running(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct save_op *op = data;
	struct json_object *ret = json_object_new_object();

	if (error) {
		json_object_put(ret);
		op_fail(op, "resuming the vCPUs: %s", error);
		return;
	}
	ferry_domain_set_state(op->d, op->dom, op->was_running ? FERRY_DOM_RUNNING : FERRY_DOM_PAUSED,
			       "restored");
	log_dom(FERRY_LOG_INFO, op->dom->def->name, "restored from %s", op->path);
	json_object_object_add(ret, "name", json_object_new_string(op->dom->def->name));
	json_object_object_add(ret, "state", json_object_new_string(ferry_dom_state_name(op->dom->state)));
	op_end(op, ret);
}

static void on_restore_listening(struct ferry_vm *vm, const struct ferry_mon_result *res,
				 const char *error, void *data)
{
	struct save_op *op = data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	int fd;

	if (error) {
		op_fail(op, "migrate-incoming: %s", error);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", op->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		op_fail(op, "connecting to QEMU at %s: %s", op->sock, strerror(errno));
		return;
	}
	if (stream_start(op, fd, err, sizeof(err)) < 0 || poll_start(op) < 0)
		op_fail(op, "%s", err);
}

static void on_restore_started(struct ferry_vm *vm, const char *error, void *data)
{
	struct save_op *op = data;
	char uri[128], err[512];

	if (error) {
		op_fail(op, "%s", error);
		return;
	}
	if (sock_path(op, "restore.sock", err, sizeof(err)) < 0) {
		op_fail(op, "%s", err);
		return;
	}
	snprintf(uri, sizeof(uri), "unix:%s", op->sock);
	if (ferry_migrate_incoming(vm, uri, on_restore_listening, op) < 0)
		op_fail(op, "the monitor is gone");
}

/* Read and check the whole header; @def gets the domain it describes. */
static int restore_header(struct save_op *op, struct ferry_domain_def **def, char *err, size_t errlen)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct ferry_save_header h;
	const char *xml, *cookie;
	char why[512];
	struct stat st;
	size_t total;
	ssize_t n;

	if (fstat(op->file_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return ferry_err(err, errlen, -EINVAL, "%s: not a regular file", op->path);
	n = pread(op->file_fd, op->fixed, sizeof(op->fixed), 0);
	if (n != (ssize_t)sizeof(op->fixed))
		return ferry_err(err, errlen, -EINVAL, "%s: %s", op->path, n < 0 ? strerror(errno) :
				 "save file: shorter than its fixed header (truncated)");
	if (ferry_save_header_need(op->fixed, &total, why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "%s: %s", op->path, why);
	buf = malloc(total);
	if (!buf)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	n = pread(op->file_fd, buf, total, 0);
	if (n != (ssize_t)total)
		return ferry_err(err, errlen, -EINVAL, "%s: %s", op->path, n < 0 ? strerror(errno) :
				 "save file: shorter than its header (truncated)");
	if (ferry_save_header_parse(buf, total, (uint64_t)st.st_size, &h, &xml, &cookie,
				    why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "%s: %s", op->path, why);
	if (ferry_domain_parse(xml, strlen(xml), def, why, sizeof(why)) < 0)
		return ferry_err(err, errlen, -EINVAL, "%s: the domain XML: %s", op->path, why);
	op->compressed = h.format == FERRY_SAVE_FORMAT_GZIP;
	op->was_running = h.flags & FERRY_SAVE_RUNNING;
	op->data_offset = h.data_offset;
	return 0;
}

void ferry_cmd_restore(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	struct ferry_vm_start_opts o = { .incoming = "defer", .done = on_restore_started };
	struct ferry_domain_def *def = NULL;
	const char *file = ferry_arg_str(a, "file");
	struct save_op *op = op_new(d, c, true);
	char err[800];

	if (!op) {
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	snprintf(op->path, sizeof(op->path), "%s", file);
	op->file_fd = open(file, O_RDONLY | O_CLOEXEC);
	if (op->file_fd < 0 || restore_header(op, &def, err, sizeof(err)) < 0 ||
	    !(op->dom = ferry_domain_incoming(d, def, err, sizeof(err)))) {
		if (op->file_fd < 0)
			snprintf(err, sizeof(err), "%s: %s", file, strerror(errno));
		ferry_domain_free(def);
		ferry_client_error(c, "InvalidArgument", "restore refused: %s", err);
		op_free(op);
		return;
	}
	if (ferry_arg_bool(a, "paused"))
		op->was_running = false;
	else if (ferry_arg_bool(a, "running"))
		op->was_running = true;
	if (!ferry_job_start(d, op->dom, FERRY_JOB_RESTORE, FERRY_PHASE_RESTORE, 0)) {
		snprintf(op->error, sizeof(op->error), "out of memory");
		op_end(op, NULL);
		return;
	}
	op->dom->job->save = op;
	log_dom(FERRY_LOG_INFO, op->dom->def->name, "restoring from %s%s", file,
		op->compressed ? " (compressed)" : "");
	o.data = op;
	ferry_vm_start(d, op->dom, &o);
}

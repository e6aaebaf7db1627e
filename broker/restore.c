/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore.c - restore-domain: the header is read and checked in full
 * (magic, version, bounds, checksums, sizes, the XML) before anything
 * starts; QEMU then starts with -incoming defer and listens on a private
 * socket, and the file reaches it through ferry-compress (inflate, which
 * treats it as hostile) or ferry-tunnel. A stream that fails leaves no VM.
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
#include "log.h"
#include "migrate.h"
#include "monitor-proto.h"
#include "save-format.h"
#include "save-priv.h"
#include "save.h"
#include "util.h"

/* --- restore ------------------------------------------------------------------------------ */

static void restore_running(struct ferry_vm *vm, const struct ferry_mon_result *res,
			    const char *error, void *data)
{
	struct save_op *op = data;
	struct json_object *ret = json_object_new_object();

	if (error) {
		json_object_put(ret);
		save_op_fail(op, "resuming the vCPUs: %s", error);
		return;
	}
	ferry_domain_set_state(op->d, op->dom, op->was_running ? FERRY_DOM_RUNNING : FERRY_DOM_PAUSED,
			       "restored");
	log_dom(FERRY_LOG_INFO, op->dom->def->name, "restored from %s", op->path);
	json_object_object_add(ret, "name", json_object_new_string(op->dom->def->name));
	json_object_object_add(ret, "state", json_object_new_string(ferry_dom_state_name(op->dom->state)));
	save_op_end(op, ret);
}

static void on_restore_listening(struct ferry_vm *vm, const struct ferry_mon_result *res,
				 const char *error, void *data)
{
	struct save_op *op = data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	int fd;

	if (error) {
		save_op_fail(op, "migrate-incoming: %s", error);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", op->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		save_op_fail(op, "connecting to QEMU at %s: %s", op->sock, strerror(errno));
		return;
	}
	if (save_op_stream(op, fd, err, sizeof(err)) < 0 || save_op_poll(op) < 0)
		save_op_fail(op, "%s", err);
}

static void on_restore_started(struct ferry_vm *vm, const char *error, void *data)
{
	struct save_op *op = data;
	char uri[128], err[512];

	if (error) {
		save_op_fail(op, "%s", error);
		return;
	}
	if (save_op_sock(op, "restore.sock", err, sizeof(err)) < 0) {
		save_op_fail(op, "%s", err);
		return;
	}
	snprintf(uri, sizeof(uri), "unix:%s", op->sock);
	if (ferry_migrate_incoming(vm, uri, on_restore_listening, op) < 0)
		save_op_fail(op, "the monitor is gone");
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
	struct save_op *op = save_op_new(d, c, true);
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
		save_op_free(op);
		return;
	}
	if (ferry_arg_bool(a, "paused"))
		op->was_running = false;
	else if (ferry_arg_bool(a, "running"))
		op->was_running = true;
	if (!ferry_job_start(d, op->dom, FERRY_JOB_RESTORE, FERRY_PHASE_RESTORE, 0)) {
		snprintf(op->error, sizeof(op->error), "out of memory");
		save_op_end(op, NULL);
		return;
	}
	op->dom->job->save = op;
	log_dom(FERRY_LOG_INFO, op->dom->def->name, "restoring from %s%s", file,
		op->compressed ? " (compressed)" : "");
	o.data = op;
	ferry_vm_start(d, op->dom, &o);
}

/* The stream is in: run the vCPUs unless the file or the caller said paused. */
void restore_finished(struct save_op *op)
{
	if (!op->was_running) {
		restore_running(op->dom->vm, NULL, NULL, op);
		return;
	}
	if (ferry_migrate_simple(op->dom->vm, FERRY_MON_CONT, restore_running, op) < 0)
		save_op_fail(op, "the monitor is gone");
}

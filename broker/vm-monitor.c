/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm-monitor.c - a running domain's side of ferry-monitor: attaching it to
 * QEMU's monitor socket, typed commands and their answers, QEMU's events,
 * and what a broken or vanished monitor means for the domain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "vm-priv.h"

struct mon_call {
	struct ferry_vm *vm;
	uint32_t cmd;
	ferry_vm_mon_cb cb;
	void *data;
};

struct vm_call {
	struct ferry_client *c;
	enum ferry_vm_op op;
};

static void guest_shutdown(struct ferry_vm *vm, bool guest, const char *reason);

void vm_monitor_broken(struct ferry_vm *vm, const char *why)
{
	if (vm->mon_broken)
		return;
	vm->mon_broken = true;
	snprintf(vm->mon_why, sizeof(vm->mon_why), "%s", why);
	log_dom(FERRY_LOG_ERR, vm->name, "monitor broken: %s", why);
	if (vm->dom)
		ferry_domain_write_status(vm->d, vm->dom);
	vm_start_fail(vm, "monitor broken: %s", why);
}

static void on_cont(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		    void *data)
{
	if (error)
		vm_start_fail(vm, "cont: %s", error);
	else if (vm->starting)
		vm_start_done(vm);
}

/* Found again after a restart: QEMU says what state the guest is in. */
static void on_reattach_status(struct ferry_vm *vm, const struct ferry_mon_result *res,
			       const char *error, void *data)
{
	struct ferry_vm_waiter w = vm->start_waiter;
	const char *st;
	bool running;

	if (error) {
		vm_start_fail(vm, "query-status: %s", error);
		return;
	}
	st = res->ret.status.status;
	running = res->ret.status.running;
	vm->starting = false;
	if (running)
		ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_RUNNING,
				       vm->prev_state == FERRY_DOM_RUNNING ? vm->prev_reason : "unpaused");
	else
		ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_PAUSED,
				       vm->prev_state == FERRY_DOM_PAUSED ? vm->prev_reason : "guest");
	log_dom(FERRY_LOG_INFO, vm->name, "QEMU (pid %d) found again after a restart: %s",
		(int)vm->qemu.pid, st);
	memset(&vm->start_waiter, 0, sizeof(vm->start_waiter));
	if (w.cb)
		w.cb(vm, NULL, w.data);
	/* A guest that powered off while no broker watched still needs its on_poweroff. */
	if (strcmp(st, "shutdown") == 0)
		guest_shutdown(vm, true, "guest-shutdown");
}

static void on_attached(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct ferry_vm *vm = data;
	const char *version;
	char why[512];

	if (!reply) {
		vm_start_fail(vm, "%s", vm->mon.error[0] ? vm->mon.error :
			   vm->mon.exit_desc[0] ? vm->mon.exit_desc : "monitor helper gone");
		return;
	}
	if (reply->hdr.type == FERRY_MSG_ERROR) {
		ferry_reply_error_text(reply, why, sizeof(why));
		vm_start_fail(vm, "attaching the monitor: %s", why);
		return;
	}
	if (ferry_mon_get_attached(reply->payload, reply->len, &version, why, sizeof(why)) < 0) {
		vm_monitor_broken(vm, why);
		return;
	}
	snprintf(vm->qemu_version, sizeof(vm->qemu_version), "%s", version);
	vm->mon_attached = true;
	log_dom(FERRY_LOG_DEBUG, vm->name, "monitor attached, QEMU %s", version);
	if (vm->reattach) {
		struct ferry_mon_command mc = { .cmd = FERRY_MON_QUERY_STATUS,
						.timeout_ms = COMMAND_TIMEOUT_MS };

		if (ferry_vm_monitor(vm, &mc, on_reattach_status, NULL) < 0)
			vm_start_fail(vm, "cannot ask QEMU its state");
	} else if (vm->start_paused)
		vm_start_done(vm);
	else {
		struct ferry_mon_command mc = { .cmd = FERRY_MON_CONT, .timeout_ms = COMMAND_TIMEOUT_MS };

		if (ferry_vm_monitor(vm, &mc, on_cont, NULL) < 0)
			vm_start_fail(vm, "cannot send cont to the monitor helper");
	}
}

/*
 * The guest powered off, or rebooted under -no-reboot; QEMU runs on
 * (-no-shutdown) until the broker acts on the domain's on_* setting.
 */
static void guest_shutdown(struct ferry_vm *vm, bool guest, const char *reason)
{
	enum ferry_lifecycle act = strcmp(reason, "guest-reset") == 0 ?
				   vm->dom->def->on_reboot : vm->dom->def->on_poweroff;

	if (!guest)
		return;
	vm->guest_shutdown = true;
	if (act == FERRY_LC_PRESERVE) {
		ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_PAUSED, "shutdown");
		return;
	}
	/* destroy, and the restart variants, which ferry does not carry out yet */
	vm_signal_qemu(vm, SIGTERM);
}

static void on_mon_event(struct ferry_helper *h, const struct ferry_msg *msg, void *data)
{
	struct ferry_vm *vm = data;
	struct ferry_mon_event ev;
	struct ferry_mon_closed cl;
	char why[256];

	if (msg->hdr.type == FERRY_MSG_MON_CLOSED) {
		if (ferry_mon_get_closed(msg->payload, msg->len, &cl, why, sizeof(why)) < 0)
			vm_monitor_broken(vm, why);
		else if (cl.kind != FERRY_MON_CLOSED_EOF)
			vm_monitor_broken(vm, cl.reason);
		else
			vm->mon_eof = true;
		return;
	}
	if (ferry_mon_get_event(msg->payload, msg->len, &ev, why, sizeof(why)) < 0) {
		vm_monitor_broken(vm, why);
		ferry_helper_kill(&vm->mon);
		return;
	}
	if (!vm->dom || vm->starting)
		return;
	log_dom(FERRY_LOG_DEBUG, vm->name, "event %s", ferry_mon_event_name(ev.type));
	switch (ev.type) {
	case FERRY_MON_EV_STOP:
		/* QEMU itself stops the vCPUs for a migration's last pass. */
		if (vm->dom->state == FERRY_DOM_RUNNING)
			ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_PAUSED,
					       vm->suspending ? "user" :
					       vm->dom->job && vm->dom->job->type == FERRY_JOB_MIGRATION_OUT ?
					       "migration" : "guest");
		break;
	case FERRY_MON_EV_RESUME:
		ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_RUNNING, "unpaused");
		break;
	case FERRY_MON_EV_SHUTDOWN:
		guest_shutdown(vm, ev.u.shutdown.guest, ev.u.shutdown.reason);
		break;
	default:
		break;
	}
}

static void on_mon_exit(struct ferry_helper *h, void *data)
{
	struct ferry_vm *vm = data;

	/* After QEMU closed the monitor, the helper's exit is expected. */
	if (!vm->qemu_exited && !vm->mon_eof)
		vm_monitor_broken(vm, h->error[0] ? h->error : h->exit_desc);
	vm_maybe_free(vm);
}

int vm_start_monitor(struct ferry_vm *vm, char *err, size_t errlen)
{
	struct ferry_wbuf w;
	int r = ferry_helper_start(&vm->d->loop, FERRY_HELPER_MONITOR, &vm->d->hopts, &vm->mon,
				   err, errlen);

	if (r < 0)
		return r;
	vm->mon_started = true;
	vm->mon.on_event = on_mon_event;
	vm->mon.event_data = vm;
	vm->mon.on_exit = on_mon_exit;
	vm->mon.exit_data = vm;
	ferry_wbuf_init(&w);
	ferry_mon_put_attach(&w, ATTACH_TIMEOUT_MS);
	r = ferry_helper_call(&vm->mon, FERRY_MSG_MON_ATTACH, &w, &vm->qmp_fd, 1, on_attached, vm);
	if (r < 0) {
		snprintf(err, errlen, "attaching the monitor: %s", strerror(-r));
		return r;
	}
	/* The helper holds the monitor now; the broker keeps no copy. */
	close(vm->qmp_fd);
	vm->qmp_fd = -1;
	return 0;
}

static void on_mon_reply(struct ferry_helper *h, const struct ferry_msg *reply, void *data)
{
	struct mon_call *call = data;
	struct ferry_vm *vm = call->vm;
	struct ferry_mon_result res;
	char why[512];

	if (!call->cb) {
		/* Fire and forget (a cancel nobody waits on): only a broken answer matters. */
		if (reply && reply->hdr.type == FERRY_MSG_MON_RESULT &&
		    (ferry_mon_get_result(reply->payload, reply->len, &res, why, sizeof(why)) < 0 ||
		     res.cmd != call->cmd)) {
			vm_monitor_broken(vm, "malformed answer");
			ferry_helper_kill(&vm->mon);
		}
	} else if (!reply) {
		snprintf(why, sizeof(why), "monitor gone: %s", vm->mon_why[0] ? vm->mon_why :
			 vm->qemu_exited ? "QEMU exited" : "the helper ended");
		call->cb(vm, NULL, why, call->data);
	} else if (reply->hdr.type == FERRY_MSG_ERROR) {
		ferry_reply_error_text(reply, why, sizeof(why));
		call->cb(vm, NULL, why, call->data);
	} else if (ferry_mon_get_result(reply->payload, reply->len, &res, why, sizeof(why)) < 0 ||
		   res.cmd != call->cmd) {
		vm_monitor_broken(vm, res.cmd != call->cmd ? "answer to another command" : why);
		ferry_helper_kill(&vm->mon);
		call->cb(vm, NULL, "the monitor helper answered wrongly", call->data);
	} else {
		call->cb(vm, &res, NULL, call->data);
	}
	free(call);
}

int ferry_vm_monitor(struct ferry_vm *vm, const struct ferry_mon_command *mc,
		     ferry_vm_mon_cb cb, void *data)
{
	struct mon_call *call;
	struct ferry_wbuf w;
	int r;

	if (vm->mon_broken || !vm->mon_started || vm->qemu_exited)
		return -ENOTCONN;
	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	*call = (struct mon_call){ vm, mc->cmd, cb, data };
	ferry_wbuf_init(&w);
	r = ferry_mon_put_command(&w, mc);
	if (r == 0)
		r = ferry_helper_call(&vm->mon, FERRY_MSG_MON_COMMAND, &w, NULL, 0, on_mon_reply, call);
	if (r < 0)
		free(call);
	return r;
}

static void on_command(struct ferry_vm *vm, const struct ferry_mon_result *res, const char *error,
		       void *data)
{
	struct vm_call *call = data;

	if (call->op == FERRY_VM_OP_SUSPEND)
		vm->suspending = false;
	if (error) {
		vm_answer_error(call->c, "GenericError", "domain '%s': %s", vm->name, error);
	} else {
		if (vm->dom && call->op == FERRY_VM_OP_SUSPEND)
			ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_PAUSED, "user");
		else if (vm->dom && call->op == FERRY_VM_OP_RESUME)
			ferry_domain_set_state(vm->d, vm->dom, FERRY_DOM_RUNNING, "unpaused");
		vm_answer_ok(call->c);
	}
	free(call);
}

void ferry_vm_command(struct ferry_vm *vm, enum ferry_vm_op op, struct ferry_client *c)
{
	static const uint32_t cmds[] = {
		[FERRY_VM_OP_SUSPEND] = FERRY_MON_STOP,
		[FERRY_VM_OP_RESUME] = FERRY_MON_CONT,
		[FERRY_VM_OP_POWERDOWN] = FERRY_MON_SYSTEM_POWERDOWN,
	};
	struct ferry_mon_command mc = { .cmd = cmds[op], .timeout_ms = COMMAND_TIMEOUT_MS };
	struct vm_call *call = calloc(1, sizeof(*call));
	int r;

	if (!call) {
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	call->c = c;
	call->op = op;
	ferry_client_ref(c);
	if (op == FERRY_VM_OP_SUSPEND)
		vm->suspending = true;
	r = ferry_vm_monitor(vm, &mc, on_command, call);
	if (r < 0) {
		vm->suspending = false;
		vm_answer_error(c, "InternalError", "domain '%s': monitor helper: %s", vm->name, strerror(-r));
		free(call);
	}
}

bool ferry_vm_monitor_ok(const struct ferry_vm *vm, char *why, size_t len)
{
	if (vm->mon_broken) {
		snprintf(why, len, "its monitor is broken (%s): only destroy-domain is possible",
			 vm->mon_why);
		return false;
	}
	if (!vm->mon_attached || vm->starting) {
		snprintf(why, len, "the domain is still starting");
		return false;
	}
	return true;
}

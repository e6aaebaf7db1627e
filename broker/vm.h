/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.h - a running domain: its QEMU process, the ferry-monitor helper that
 * is the broker's only contact with QEMU's QMP socket, and the clients
 * waiting on what they asked of it.
 */
#ifndef FERRY_VM_H
#define FERRY_VM_H

#include <stdbool.h>

#include <json-c/json.h>

#include "daemon.h"
#include "domains.h"
#include "server.h"

enum ferry_vm_op {
	FERRY_VM_OP_SUSPEND,
	FERRY_VM_OP_RESUME,
	FERRY_VM_OP_POWERDOWN,
};

/*
 * ferry_vm_start - spawn QEMU for @dom (paused with -S), attach the monitor
 * helper, and unless @paused resume the vCPUs. @c is answered when the
 * domain runs, or with the error that stopped it; nothing is left behind
 * by a failed start.
 */
void ferry_vm_start(struct ferry_daemon *d, struct ferry_domain *dom, bool paused,
		    struct ferry_client *c);

/* SIGTERM QEMU (SIGKILL after a grace period); @c is answered once it is gone. */
void ferry_vm_destroy(struct ferry_vm *vm, struct ferry_client *c);

/* One monitor command; @c is answered with its outcome. */
void ferry_vm_command(struct ferry_vm *vm, enum ferry_vm_op op, struct ferry_client *c);

/* Add the running VM's details to @o (domain-info and the status file). */
void ferry_vm_status(const struct ferry_vm *vm, struct json_object *o);

/* Whether the monitor can be used now; if not, @why says why not. */
bool ferry_vm_monitor_ok(const struct ferry_vm *vm, char *why, size_t len);

/* Kill QEMU and the helper at once, without waiting (broker shutdown). */
void ferry_vm_abandon(struct ferry_vm *vm);

#endif

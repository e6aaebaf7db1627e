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

/* @error is NULL on success. @vm is NULL only when it could not even be made. */
typedef void (*ferry_vm_done_cb)(struct ferry_vm *vm, const char *error, void *data);

struct ferry_vm_waiter {
	ferry_vm_done_cb cb;
	void *data;
};

struct ferry_vm_start_opts {
	bool paused;			/* leave the vCPUs stopped */
	const char *incoming;		/* "defer": QEMU waits for a migration (always paused) */
	ferry_vm_done_cb done;		/* the domain runs (or is paused), or it failed */
	void *data;
};

/*
 * ferry_vm_start - spawn QEMU for @dom (paused with -S), attach the monitor
 * helper, and unless told otherwise resume the vCPUs. @o->done learns the
 * outcome; nothing is left behind by a failed start.
 */
void ferry_vm_start(struct ferry_daemon *d, struct ferry_domain *dom,
		    const struct ferry_vm_start_opts *o);

/*
 * ferry_vm_kill - SIGTERM QEMU (SIGKILL after a grace period); the domain
 * is shut off with @reason ("destroyed", "migrated") and @cb runs once
 * QEMU is gone. Return 0, or -EBUSY when too many already wait.
 */
int ferry_vm_kill(struct ferry_vm *vm, const char *reason, ferry_vm_done_cb cb, void *data);

/* The result of one monitor command, or why there is none. */
struct ferry_mon_result;
struct ferry_mon_command;
typedef void (*ferry_vm_mon_cb)(struct ferry_vm *vm, const struct ferry_mon_result *res,
				const char *error, void *data);

/* Send @mc through the monitor helper. Return 0 (@cb will run) or -errno (it will not). */
int ferry_vm_monitor(struct ferry_vm *vm, const struct ferry_mon_command *mc,
		     ferry_vm_mon_cb cb, void *data);

/* One monitor command; @c is answered with its outcome. */
void ferry_vm_command(struct ferry_vm *vm, enum ferry_vm_op op, struct ferry_client *c);

/* Add the running VM's details to @o (domain-info and the status file). */
void ferry_vm_status(const struct ferry_vm *vm, struct json_object *o);

/* Whether the monitor can be used now; if not, @why says why not. */
bool ferry_vm_monitor_ok(const struct ferry_vm *vm, char *why, size_t len);

/* What a status file says about a QEMU left running by a broker that stopped. */
struct ferry_vm_found {
	enum ferry_dom_state state;
	const char *reason;		/* a string constant */
	const char *accel;		/* "kvm" or "tcg" */
};

/*
 * ferry_vm_reattach - take charge again of QEMU @pid, left running by a
 * broker that stopped: watch its pidfd, give a fresh ferry-monitor the
 * monitor socket in the private dir, and ask QEMU what state it is in.
 * @o->done learns the outcome (o->paused and o->incoming are ignored).
 */
void ferry_vm_reattach(struct ferry_daemon *d, struct ferry_domain *dom, pid_t pid,
		       const struct ferry_vm_found *found, const struct ferry_vm_start_opts *o);

/* The broker stops: let the monitor helper go, leave QEMU running. */
void ferry_vm_detach(struct ferry_vm *vm);

/* The port QEMU's VNC server listens on, or -1 when the domain has none. */
int ferry_vm_vnc_port(const struct ferry_vm *vm);


#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm-priv.h - what vm.c (the QEMU process) and vm-monitor.c (its
 * ferry-monitor) share about a running domain.
 */
#ifndef FERRY_VM_PRIV_H
#define FERRY_VM_PRIV_H

#include <limits.h>
#include <stdbool.h>

#include "monitor-proto.h"
#include "vm.h"

#define ATTACH_TIMEOUT_MS 30000
#define COMMAND_TIMEOUT_MS 10000
#define KILL_GRACE_S 5
#define MAX_WAITERS 8

struct ferry_vm {
	struct ferry_daemon *d;
	struct ferry_domain *dom;	/* NULL once QEMU is gone */
	char name[FERRY_DOMAIN_NAME_MAX + 1];
	struct ferry_child qemu;
	bool qemu_exited;
	bool watched;			/* its pidfd is on the loop */
	struct ferry_helper mon;
	bool mon_started, mon_attached, mon_broken;
	bool mon_eof;			/* QEMU closed the monitor: it is on its way out */
	char mon_why[320];
	char qemu_version[32];
	const char *accel;
	char privdir[PATH_MAX];
	int qmp_fd;			/* connected, until handed to the helper */
	int vnc_port;			/* the VNC server's port, -1 without one */
	int timer_fd;
	bool starting, start_paused, destroying, guest_shutdown, suspending;
	bool reattach;			/* QEMU was found running after a broker restart */
	enum ferry_dom_state prev_state;	/* reattach: what the status file said */
	const char *prev_reason;
	const char *incoming;		/* -incoming value while a migration comes in */
	const char *paused_reason;	/* the state reason when started paused */
	const char *stop_reason;	/* why the broker ended QEMU: "destroyed", "migrated" */
	struct ferry_vm_waiter start_waiter;
	struct ferry_vm_waiter kill_waiters[MAX_WAITERS];
	size_t nkill;
};

/* vm.c */
void vm_start_fail(struct ferry_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_start_done(struct ferry_vm *vm);
void vm_maybe_free(struct ferry_vm *vm);
void vm_answer_error(struct ferry_client *c, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vm_answer_ok(struct ferry_client *c);
/* Signal QEMU through its pidfd, unless it is gone. */
void vm_signal_qemu(struct ferry_vm *vm, int sig);

/* vm-monitor.c */
void vm_monitor_broken(struct ferry_vm *vm, const char *why);
/* Spawn the domain's ferry-monitor and hand it the connected monitor socket. */
int vm_start_monitor(struct ferry_vm *vm, char *err, size_t errlen);

#endif

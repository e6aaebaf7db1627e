/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.c - running a domain.
 *
 * Start: the broker binds a listening socket at PRIVATE_DIR/monitor.sock,
 * spawns QEMU paused (-S) with that socket as its fd 3 and its output in
 * the domain's log, connects to the socket itself, and hands the connected
 * fd to a fresh ferry-monitor. The broker never reads QMP: it asks the
 * helper for typed commands and hears typed events. Once the helper has
 * attached, the vCPUs are resumed (unless the client asked for paused).
 * The socket stays in the private dir, so a broker that restarts can reach
 * the same QEMU again.
 *
 * Stop: QEMU's exit is seen on its pidfd at once; the reason is what the
 * broker knows of it: it was destroyed, the guest shut down, it never got
 * going (failed), or it crashed. The domain is shut off before anything
 * else happens, then the helper, which sees the monitor close, is reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include "hv/driver.h"
#include "log.h"
#include "monitor-proto.h"
#include "util.h"
#include "vm-priv.h"


void vm_answer_error(struct ferry_client *c, const char *cls, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ferry_client_error(c, cls, "%s", msg);
	ferry_client_unref(c);
}

void vm_answer_ok(struct ferry_client *c)
{
	ferry_client_return(c, NULL);
	ferry_client_unref(c);
}

void vm_signal_qemu(struct ferry_vm *vm, int sig)
{
	if (!vm->qemu_exited && vm->qemu.pidfd >= 0)
		syscall(SYS_pidfd_send_signal, vm->qemu.pidfd, sig, NULL, 0);
}

/* The last line QEMU wrote to its log: usually why it would not start. */
static void log_tail(const struct ferry_vm *vm, char *buf, size_t len)
{
	char path[PATH_MAX], tail[2048];
	_cleanup_close_ int fd = -1;
	off_t size;
	ssize_t n;
	char *end, *start;

	buf[0] = '\0';
	ferry_domain_path(vm->d, "log", vm->name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0)
		return;
	n = pread(fd, tail, sizeof(tail) - 1, size > (off_t)sizeof(tail) - 1 ?
		  size - (off_t)sizeof(tail) + 1 : 0);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(tail, '\n');
	snprintf(buf, len, "%s", start ? start + 1 : tail);
}

/* A start that cannot complete: say why, and leave nothing running. */
void vm_start_fail(struct ferry_vm *vm, const char *fmt, ...)
{
	char why[768], tail[512];
	va_list ap;

	if (!vm->starting)
		return;
	vm->starting = false;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_tail(vm, tail, sizeof(tail));
	log_dom(FERRY_LOG_ERR, vm->name, "start failed: %s%s%s", why, tail[0] ? "; QEMU said: " : "",
		tail);
	if (vm->start_waiter.cb) {
		char msg[1400];
		struct ferry_vm_waiter w = vm->start_waiter;

		snprintf(msg, sizeof(msg), "starting domain '%s': %s%s%s", vm->name, why,
			 tail[0] ? "; QEMU said: " : "", tail);
		memset(&vm->start_waiter, 0, sizeof(vm->start_waiter));
		w.cb(vm, msg, w.data);
	}
	vm_signal_qemu(vm, SIGKILL);
}

void vm_start_done(struct ferry_vm *vm)
{
	struct ferry_vm_waiter w = vm->start_waiter;

	vm->starting = false;
	ferry_domain_set_state(vm->d, vm->dom, vm->start_paused ? FERRY_DOM_PAUSED : FERRY_DOM_RUNNING,
			       vm->start_paused ? vm->paused_reason : "booted");
	memset(&vm->start_waiter, 0, sizeof(vm->start_waiter));
	if (w.cb)
		w.cb(vm, NULL, w.data);
}









static void on_kill_timer(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_vm *vm = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	log_dom(FERRY_LOG_WARN, vm->name, "QEMU ignored SIGTERM for %d s: SIGKILL", KILL_GRACE_S);
	vm_signal_qemu(vm, SIGKILL);
}

static const char *exit_reason(const struct ferry_vm *vm)
{
	if (vm->stop_reason)
		return vm->stop_reason;
	if (vm->guest_shutdown)
		return "shutdown";
	/* An incoming migration that dies never ran as this host's guest. */
	if (vm->starting || !vm->mon_attached ||
	    (vm->dom && vm->dom->job && vm->dom->job->type == FERRY_JOB_MIGRATION_IN))
		return "failed";
	return "crashed";
}

static void on_qemu_exit(struct ferry_loop *loop, int fd, uint32_t events, void *data)
{
	struct ferry_vm *vm = data;
	struct ferry_domain *dom = vm->dom;
	char desc[96];

	if (ferry_child_reap(&vm->qemu, desc, sizeof(desc)) <= 0)
		return;
	vm->qemu_exited = true;
	ferry_loop_del(loop, fd);
	log_dom(FERRY_LOG_INFO, vm->name, "QEMU (pid %d) %s", (int)vm->qemu.pid, desc);
	{
		char path[PATH_MAX];

		ferry_domain_path(vm->d, "live", vm->name, path, sizeof(path));
		unlink(path);
	}
	vm_start_fail(vm, "QEMU %s", desc);
	ferry_domain_set_state(vm->d, dom, FERRY_DOM_SHUTOFF, exit_reason(vm));
	/*
	 * The waiters run while dom->vm is still set, so none of them can free
	 * the domain: that is ferry_domain_stopped()'s call, below, alone.
	 */
	for (size_t i = 0; i < vm->nkill; i++)
		vm->kill_waiters[i].cb(vm, NULL, vm->kill_waiters[i].data);
	vm->nkill = 0;
	/* The domain is free for the next start; the VM lingers only to reap its helper. */
	dom->vm = NULL;
	vm->dom = NULL;
	ferry_domain_stopped(vm->d, dom);
	if (vm->mon_started)
		ferry_helper_shutdown(&vm->mon);
	vm_maybe_free(vm);
}

void vm_maybe_free(struct ferry_vm *vm)
{
	if (!vm->qemu_exited || (vm->mon_started && !vm->mon.exited))
		return;
	if (vm->mon_started)
		ferry_helper_release(&vm->mon);
	if (vm->timer_fd >= 0) {
		ferry_loop_del(&vm->d->loop, vm->timer_fd);
		close(vm->timer_fd);
	}
	if (vm->qmp_fd >= 0)
		close(vm->qmp_fd);
	ferry_child_close(&vm->qemu);
	free(vm);
}

/* Bind the monitor socket QEMU will listen on; it exists before QEMU does. */
static int monitor_socket(struct ferry_vm *vm, struct sockaddr_un *sa, char *err, size_t errlen)
{
	int fd;

	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/monitor.sock", vm->privdir) >=
	    sizeof(sa->sun_path)) {
		snprintf(err, errlen, "%s/monitor.sock: path too long", vm->privdir);
		return -ENAMETOOLONG;
	}
	unlink(sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 1) < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", sa->sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

static int open_log(struct ferry_vm *vm, char *const *argv, char *err, size_t errlen)
{
	char path[PATH_MAX], line[256];
	int fd;

	ferry_domain_path(vm->d, "log", vm->name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(line, sizeof(line), "ferry: starting domain '%s' (accel %s):", vm->name, vm->accel);
	ferry_write_all(fd, line, strlen(line));
	for (char *const *a = argv; *a; a++) {
		ferry_write_all(fd, " ", 1);
		ferry_write_all(fd, *a, strlen(*a));
	}
	ferry_write_all(fd, "\n", 1);
	return fd;
}

static const char *pick_accel(const struct ferry_daemon *d, const struct ferry_domain_def *def)
{
	if (strcmp(d->cfg.accel, "auto") != 0)
		return d->cfg.accel;
	if (def->type == FERRY_VIRT_QEMU)
		return "tcg";
	return ferry_qemu_kvm_usable() ? "kvm" : "tcg";
}

/*
 * A free VNC port for autoport: the first of 5900-5999 that binds on the
 * listen address. QEMU binds it a moment later; a race with another
 * program is reported by QEMU and fails the start cleanly.
 */
static int vnc_port(const struct ferry_domain_def *def)
{
	const char *listen = def->graphics.listen ? def->graphics.listen : "127.0.0.1";
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;

	if (!def->graphics.present || !def->graphics.autoport)
		return -1;
	if (getaddrinfo(listen, NULL, &hints, &ai) != 0)
		return -1;
	for (int port = 5900; port < 6000; port++) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_storage ss;
		int r;

		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen);
		if (fd >= 0)
			close(fd);
		if (r == 0) {
			freeaddrinfo(ai);
			return port;
		}
	}
	freeaddrinfo(ai);
	return -1;
}

/* QEMU with its log on 1 and 2 and the listening monitor socket on 3. */
static int spawn_qemu(struct ferry_vm *vm, char *err, size_t errlen)
{
	static const char *const env[] = { NULL };
	struct ferry_qemu_launch launch = {
		.emulator = vm->d->cfg.qemu, .accel = vm->accel, .qmp_fd = 3,
		.private_dir = vm->privdir, .vnc_port = vnc_port(vm->dom->def),
		.incoming = vm->incoming,
	};
	const struct ferry_graphics *g = &vm->dom->def->graphics;
	struct sockaddr_un sa;
	char **argv = NULL;
	int lfd = -1, logfd = -1, r;

	vm->vnc_port = !g->present ? -1 : g->autoport ? launch.vnc_port : g->port;
	r = ferry_qemu_build_argv(vm->dom->def, &launch, &argv, err, errlen);
	if (r < 0)
		return r;
	if ((lfd = monitor_socket(vm, &sa, err, errlen)) < 0) {
		r = lfd;
		goto out;
	}
	if ((logfd = r = open_log(vm, argv, err, errlen)) >= 0) {
		struct ferry_spawn_fd map[] = { { logfd, 1 }, { logfd, 2 }, { lfd, 3 } };
		struct ferry_spawn_req req = { .path = argv[0], .argv = argv, .env_allow = env };

		r = ferry_spawn_process(&req, map, ARRAY_SIZE(map), &vm->qemu, err, errlen);
	}
	/* QEMU has not accepted yet, but the socket listens: connecting cannot wait. */
	if (r >= 0) {
		vm->qmp_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (vm->qmp_fd < 0 || connect(vm->qmp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			snprintf(err, errlen, "connecting to %s: %s", sa.sun_path, strerror(errno));
		}
	}
out:
	if (lfd >= 0)
		close(lfd);
	if (logfd >= 0)
		close(logfd);
	ferry_qemu_argv_free(argv);
	return r < 0 ? r : 0;
}


/*
 * The definition QEMU runs from, kept beside the status file: a restarted
 * broker finds a transient domain, or one redefined since, by it.
 */
static int save_live_def(struct ferry_vm *vm, char *err, size_t errlen)
{
	char path[PATH_MAX];
	_cleanup_free_ char *xml = NULL;
	int r = ferry_domain_format(vm->dom->def, &xml);

	if (r == 0) {
		ferry_domain_path(vm->d, "live", vm->name, path, sizeof(path));
		r = ferry_write_file_atomic(path, xml, strlen(xml), 0600);
	}
	if (r < 0)
		snprintf(err, errlen, "saving the running definition: %s", strerror(-r));
	return r;
}

static int launch(struct ferry_vm *vm, char *err, size_t errlen)
{
	int r;

	ferry_domain_path(vm->d, "private", vm->name, vm->privdir, sizeof(vm->privdir));
	if (mkdir(vm->privdir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", vm->privdir, strerror(errno));
		return -errno;
	}
	vm->accel = pick_accel(vm->d, vm->dom->def);
	r = save_live_def(vm, err, errlen);
	if (r == 0)
		r = spawn_qemu(vm, err, errlen);
	if (r < 0)
		return r;
	r = ferry_loop_add(&vm->d->loop, vm->qemu.pidfd, EPOLLIN, on_qemu_exit, vm);
	if (r < 0) {
		snprintf(err, errlen, "watching QEMU: %s", strerror(-r));
		return r;
	}
	vm->watched = true;
	log_dom(FERRY_LOG_INFO, vm->name, "QEMU started (pid %d, %s)", (int)vm->qemu.pid, vm->accel);
	return vm_start_monitor(vm, err, errlen);
}

/*
 * The labels @dom runs with: a dynamic label gets an MCS pair no other
 * running domain has (as sVirt gives them), a static one its own; files
 * made for the domain get the image label that follows from it.
 */
static int assign_labels(struct ferry_daemon *d, struct ferry_domain *dom, char *err, size_t errlen)
{
	struct ferry_mcs_pair used[256];
	struct ferry_seclabel_policy pol;
	size_t n = 0;
	int r;

	for (struct ferry_domain *o = d->domains; o && n < ARRAY_SIZE(used); o = o->next)
		if (o != dom && o->vm && o->labels.has_mcs)
			used[n++] = o->labels.mcs;
	r = ferry_seclabel_policy(dom->def, &pol, err, errlen);
	if (r == 0)
		r = ferry_seclabel_assign(&pol, used, n, NULL, NULL, &dom->labels, err, errlen);
	return r;
}

void ferry_vm_start(struct ferry_daemon *d, struct ferry_domain *dom,
		    const struct ferry_vm_start_opts *o)
{
	struct ferry_vm *vm = calloc(1, sizeof(*vm));
	char err[768];

	if (!vm) {
		o->done(NULL, "out of memory", o->data);
		return;
	}
	if (assign_labels(d, dom, err, sizeof(err)) < 0) {
		free(vm);
		o->done(NULL, err, o->data);
		return;
	}
	vm->d = d;
	vm->dom = dom;
	snprintf(vm->name, sizeof(vm->name), "%s", dom->def->name);
	vm->qmp_fd = vm->timer_fd = -1;
	vm->qemu.pid = -1;
	vm->qemu.pidfd = vm->qemu.chan_fd = vm->qemu.err_fd = -1;
	vm->starting = true;
	vm->incoming = o->incoming;
	vm->start_paused = o->paused || o->incoming;
	vm->paused_reason = o->incoming ? "migration" : "starting";
	vm->start_waiter = (struct ferry_vm_waiter){ o->done, o->data };
	dom->vm = vm;
	if (launch(vm, err, sizeof(err)) == 0)
		return;
	vm_start_fail(vm, "%s", err);
	if (!vm->watched) {
		/* QEMU never ran, or runs unwatched: end it here, synchronously. */
		if (vm->qemu.pid > 0) {
			while (ferry_child_reap(&vm->qemu, err, sizeof(err)) == 0)
				usleep(1000);
		}
		vm->qemu_exited = true;
		dom->vm = NULL;
		ferry_domain_set_state(d, dom, FERRY_DOM_SHUTOFF, "failed");
		if (vm->mon_started)
			ferry_helper_shutdown(&vm->mon);
		vm->dom = NULL;
		ferry_domain_stopped(d, dom);
		vm_maybe_free(vm);
	}
}

int ferry_vm_kill(struct ferry_vm *vm, const char *reason, ferry_vm_done_cb cb, void *data)
{
	struct itimerspec its = { .it_value = { .tv_sec = KILL_GRACE_S } };

	if (vm->nkill == MAX_WAITERS)
		return -EBUSY;
	vm->kill_waiters[vm->nkill++] = (struct ferry_vm_waiter){ cb, data };
	if (vm->destroying)
		return 0;
	vm->destroying = true;
	vm->stop_reason = reason;
	vm_start_fail(vm, "%s while starting", reason);
	log_dom(FERRY_LOG_INFO, vm->name, "ending QEMU (pid %d): %s", (int)vm->qemu.pid, reason);
	vm_signal_qemu(vm, SIGTERM);
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->timer_fd < 0 || timerfd_settime(vm->timer_fd, 0, &its, NULL) < 0 ||
	    ferry_loop_add(&vm->d->loop, vm->timer_fd, EPOLLIN, on_kill_timer, vm) < 0)
		vm_signal_qemu(vm, SIGKILL);
	return 0;
}






void ferry_vm_status(const struct ferry_vm *vm, struct json_object *o)
{
	char mon[400];

	json_object_object_add(o, "accel", json_object_new_string(vm->accel ? vm->accel : "?"));
	json_object_object_add(o, "qemu_pid", json_object_new_int(vm->qemu.pid));
	json_object_object_add(o, "monitor_pid", vm->mon_started && !vm->mon.exited ?
			       json_object_new_int(vm->mon.child.pid) : NULL);
	snprintf(mon, sizeof(mon), "%s%s", vm->mon_broken ? "broken: " : "ok",
		 vm->mon_broken ? vm->mon_why : "");
	json_object_object_add(o, "monitor", json_object_new_string(mon));
	json_object_object_add(o, "qemu_version", vm->qemu_version[0] ?
			       json_object_new_string(vm->qemu_version) : NULL);
	json_object_object_add(o, "private_dir", json_object_new_string(vm->privdir));
	if (vm->dom && vm->dom->labels.process[0])
		json_object_object_add(o, "seclabel", json_object_new_string(vm->dom->labels.process));
}

int ferry_vm_vnc_port(const struct ferry_vm *vm)
{
	return vm->vnc_port;
}

void ferry_vm_reattach(struct ferry_daemon *d, struct ferry_domain *dom, pid_t pid,
		       const struct ferry_vm_found *found, const struct ferry_vm_start_opts *o)
{
	struct ferry_vm *vm = calloc(1, sizeof(*vm));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[768];

	if (!vm) {
		o->done(NULL, "out of memory", o->data);
		return;
	}
	vm->d = d;
	vm->dom = dom;
	snprintf(vm->name, sizeof(vm->name), "%s", dom->def->name);
	vm->qmp_fd = vm->timer_fd = vm->vnc_port = -1;
	vm->qemu.pid = pid;
	vm->qemu.chan_fd = vm->qemu.err_fd = -1;
	vm->starting = vm->reattach = true;
	vm->prev_state = found->state;
	vm->prev_reason = found->reason;
	vm->accel = found->accel;
	vm->start_waiter = (struct ferry_vm_waiter){ o->done, o->data };
	dom->vm = vm;
	ferry_domain_path(d, "private", vm->name, vm->privdir, sizeof(vm->privdir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/monitor.sock", vm->privdir);
	vm->qemu.pidfd = pidfd_open(pid, 0);
	if (vm->qemu.pidfd < 0 ||
	    ferry_loop_add(&d->loop, vm->qemu.pidfd, EPOLLIN, on_qemu_exit, vm) < 0) {
		/* Gone between the check and now: shut off, as if it had exited. */
		vm->qemu_exited = true;
		dom->vm = NULL;
		vm_start_fail(vm, "QEMU (pid %d) is gone", (int)pid);
		ferry_domain_set_state(d, dom, FERRY_DOM_SHUTOFF, "crashed");
		vm->dom = NULL;
		ferry_domain_stopped(d, dom);
		vm_maybe_free(vm);
		return;
	}
	vm->watched = true;
	vm->qmp_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vm->qmp_fd < 0 || connect(vm->qmp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, sizeof(err), "connecting to %s: %s", sa.sun_path, strerror(errno));
		vm_monitor_broken(vm, err);
		vm_start_fail(vm, "%s", err);
		return;
	}
	if (vm_start_monitor(vm, err, sizeof(err)) < 0)
		vm_monitor_broken(vm, err);
}

void ferry_vm_detach(struct ferry_vm *vm)
{
	log_dom(FERRY_LOG_INFO, vm->name, "broker stopping: QEMU (pid %d) runs on", (int)vm->qemu.pid);
	if (vm->mon_started)
		ferry_helper_shutdown(&vm->mon);
}

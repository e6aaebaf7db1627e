/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-argv.c - the QEMU command line for a domain definition.
 *
 * The guest always starts paused (-S): the broker finishes setting up
 * (labels, migration, QMP capabilities) and then sends "cont". It also
 * always gets -no-shutdown, so a guest power-off stops the guest instead
 * of ending QEMU, and the broker carries out <on_poweroff> itself when it
 * sees the SHUTDOWN event; -no-reboot does the same for an <on_reboot>
 * that does not restart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "qemu-argv.h"
#include "util.h"

/* Which sandbox QEMU puts itself in: everything -sandbox can deny. */
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

struct argv_builder {
	char **v;
	size_t n, cap;
	int err;
	char *errbuf;
	size_t errlen;
};

static void push(struct argv_builder *b, char *s)
{
	if (!s && !b->err)
		b->err = -ENOMEM;
	if (b->err) {
		free(s);
		return;
	}
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char **v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = s;
	b->v[b->n] = NULL;
}

static void add(struct argv_builder *b, const char *s)
{
	push(b, strdup(s));
}

__attribute__((format(printf, 2, 3)))
static void addf(struct argv_builder *b, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	push(b, s);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->errbuf, b->errlen, fmt, ap);
	va_end(ap);
	b->err = -EINVAL;
	return -EINVAL;
}

char *ferry_qemu_escape_opt(const char *value)
{
	size_t n = strlen(value), commas = 0;
	char *out, *o;

	for (const char *p = value; *p; p++)
		commas += *p == ',';
	out = malloc(n + commas + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = value; *p; p++) {
		*o++ = *p;
		if (*p == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}

void ferry_qemu_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static bool lifecycle_stops(enum ferry_lifecycle lc)
{
	return lc == FERRY_LC_DESTROY || lc == FERRY_LC_PRESERVE || lc == FERRY_LC_COREDUMP_DESTROY;
}

static void add_machine(struct argv_builder *b, const struct ferry_domain_def *def,
			const char *accel)
{
	char uuid[FERRY_UUID_STRLEN];

	ferry_uuid_format(def->uuid, uuid);
	add(b, "-name");
	addf(b, "guest=%s,debug-threads=on", def->name);
	add(b, "-S");
	add(b, "-uuid");
	add(b, uuid);
	add(b, "-msg");
	add(b, "timestamp=on");
	add(b, "-no-user-config");
	add(b, "-nodefaults");
	add(b, "-sandbox");
	add(b, QEMU_SANDBOX);
	add(b, "-accel");
	add(b, accel);
	/* No guest memory in QEMU's core dumps; ACPI only when asked, as libvirt. */
	add(b, "-machine");
	addf(b, "%s,usb=off,dump-guest-core=off,acpi=%s", def->machine[0] ? def->machine : "q35",
	     (def->features & FERRY_FEATURE_ACPI) ? "on" : "off");
	add(b, "-m");
	addf(b, "size=%lluM", (unsigned long long)((def->memory_kib + 1023) / 1024));
	add(b, "-smp");
	addf(b, "%u", def->vcpus);
}

static int add_monitor(struct argv_builder *b, const struct ferry_qemu_launch *launch)
{
	_cleanup_free_ char *path = NULL, *esc = NULL;
	struct sockaddr_un sun;

	add(b, "-chardev");
	if (launch->qmp_fd >= 0 && launch->qmp_connected) {
		addf(b, "socket,id=charmonitor,fd=%d", launch->qmp_fd);
	} else if (launch->qmp_fd >= 0) {
		addf(b, "socket,id=charmonitor,fd=%d,server=on,wait=off", launch->qmp_fd);
	} else {
		if (!launch->private_dir)
			return fail(b, "QMP: no monitor fd and no private directory for a socket");
		if (asprintf(&path, "%s/monitor.sock", launch->private_dir) < 0)
			return b->err = -ENOMEM;
		if (strlen(path) >= sizeof(sun.sun_path))
			return fail(b, "QMP: socket path %s is too long for a unix socket", path);
		esc = ferry_qemu_escape_opt(path);
		if (!esc)
			return b->err = -ENOMEM;
		addf(b, "socket,id=charmonitor,path=%s,server=on,wait=off", esc);
	}
	add(b, "-mon");
	add(b, "chardev=charmonitor,id=monitor,mode=control");
	return 0;
}

static void add_boot(struct argv_builder *b, const struct ferry_domain_def *def)
{
	add(b, "-no-shutdown");
	if (lifecycle_stops(def->on_reboot))
		add(b, "-no-reboot");
	/* -bios, -kernel, -initrd and -append take their value whole: no escaping. */
	if (def->loader) {
		add(b, "-bios");
		add(b, def->loader);
	}
	if (def->kernel) {
		add(b, "-kernel");
		add(b, def->kernel);
	}
	if (def->initrd) {
		add(b, "-initrd");
		add(b, def->initrd);
	}
	if (def->cmdline) {
		add(b, "-append");
		add(b, def->cmdline);
	}
}

static bool json_put(json_object *o, const char *key, json_object *v)
{
	return v && json_object_object_add(o, key, v) == 0;
}

/*
 * A disk is two -blockdev nodes: the protocol node that opens the file,
 * and the format node the device uses. JSON, because only JSON can say
 * "backing": null, which keeps QEMU from opening whatever backing file a
 * qcow2 header names.
 */
static char *blockdev_json(const struct ferry_disk *d, bool format_node)
{
	json_object *o = json_object_new_object();
	char file_node[32], drive_node[32];
	char *s = NULL;
	bool ok;

	if (!o)
		return NULL;
	snprintf(file_node, sizeof(file_node), "file-%s", d->target);
	snprintf(drive_node, sizeof(drive_node), "drive-%s", d->target);
	if (!format_node)
		ok = json_put(o, "driver", json_object_new_string("file")) &&
		     json_put(o, "filename", json_object_new_string(d->source)) &&
		     json_put(o, "node-name", json_object_new_string(file_node));
	else
		ok = json_put(o, "driver",
			      json_object_new_string(ferry_disk_format_name(d->format))) &&
		     json_put(o, "file", json_object_new_string(file_node)) &&
		     json_put(o, "node-name", json_object_new_string(drive_node));
	ok = ok && json_put(o, "read-only", json_object_new_boolean(d->readonly));
	if (ok && format_node && d->format == FERRY_DISK_QCOW2)
		ok = json_object_object_add(o, "backing", NULL) == 0;
	if (ok)
		s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static void add_disks(struct argv_builder *b, const struct ferry_domain_def *def)
{
	bool i440fx = ferry_domain_machine_is_i440fx(def);

	/* q35's ICH9 has AHCI built in (buses ide.0-5); i440fx needs one added. */
	for (size_t i = 0; i440fx && i < def->ndisks; i++) {
		if (def->disks[i].bus == FERRY_BUS_SATA) {
			add(b, "-device");
			add(b, "ahci,id=sata0");
			break;
		}
	}
	for (size_t i = 0; i < def->ndisks; i++) {
		const struct ferry_disk *d = &def->disks[i];
		const char *t = d->target;
		int idx = ferry_disk_target_index(t);

		add(b, "-blockdev");
		push(b, blockdev_json(d, false));
		add(b, "-blockdev");
		push(b, blockdev_json(d, true));
		add(b, "-device");
		if (d->bus == FERRY_BUS_VIRTIO)
			addf(b, "virtio-blk-pci,drive=drive-%s,id=disk-%s", t, t);
		else if (d->bus == FERRY_BUS_SATA)
			addf(b, "ide-hd,bus=%s.%d,drive=drive-%s,id=disk-%s",
			     i440fx ? "sata0" : "ide", idx, t, t);
		else
			addf(b, "ide-hd,bus=ide.%d,unit=%d,drive=drive-%s,id=disk-%s",
			     idx / 2, idx % 2, t, t);
	}
}

static void add_nics(struct argv_builder *b, const struct ferry_domain_def *def)
{
	for (size_t i = 0; i < def->nnics; i++) {
		const struct ferry_nic *nic = &def->nics[i];
		const uint8_t *m = nic->mac;

		if (nic->type == FERRY_NET_NONE)
			continue;
		add(b, "-netdev");
		addf(b, "user,id=hostnet%zu", i);
		add(b, "-device");
		addf(b, "%s,netdev=hostnet%zu,id=net%zu,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		     nic->model == FERRY_NET_MODEL_E1000 ? "e1000" : "virtio-net-pci", i, i,
		     m[0], m[1], m[2], m[3], m[4], m[5]);
	}
}

/* -chardev for a serial port or console; a relative file goes under the private dir. */
static int add_chardev(struct argv_builder *b, const struct ferry_qemu_launch *launch,
		       const struct ferry_chardev *chr, const char *id)
{
	_cleanup_free_ char *path = NULL, *esc = NULL;

	add(b, "-chardev");
	if (chr->type == FERRY_CHR_PTY) {
		addf(b, "pty,id=%s", id);
		return 0;
	}
	if (chr->path[0] == '/') {
		path = strdup(chr->path);
	} else if (!launch->private_dir) {
		return fail(b, "serial: relative path %s needs a private directory", chr->path);
	} else if (asprintf(&path, "%s/%s", launch->private_dir, chr->path) < 0) {
		path = NULL;
	}
	esc = path ? ferry_qemu_escape_opt(path) : NULL;
	if (!esc)
		return b->err = -ENOMEM;
	addf(b, "file,id=%s,path=%s", id, esc);
	return 0;
}

static bool console_is_serial(const struct ferry_domain_def *def, const struct ferry_chardev *con)
{
	for (size_t j = 0; con->target == FERRY_CONSOLE_SERIAL && j < def->nserials; j++)
		if (def->serials[j].port == con->port)
			return true;
	return false;
}

static void add_chardevs(struct argv_builder *b, const struct ferry_domain_def *def,
			 const struct ferry_qemu_launch *launch)
{
	bool virtio_serial = false;
	char id[32];

	for (size_t i = 0; i < def->nserials; i++) {
		snprintf(id, sizeof(id), "charserial%zu", i);
		add_chardev(b, launch, &def->serials[i], id);
		add(b, "-device");
		addf(b, "isa-serial,chardev=%s,id=serial%zu,index=%u", id, i, def->serials[i].port);
	}
	for (size_t i = 0; i < def->nconsoles; i++) {
		const struct ferry_chardev *con = &def->consoles[i];

		/* The same port as a <serial>: already there, under that name. */
		if (console_is_serial(def, con))
			continue;
		snprintf(id, sizeof(id), "charconsole%zu", i);
		if (con->target == FERRY_CONSOLE_VIRTIO && !virtio_serial) {
			add(b, "-device");
			add(b, "virtio-serial-pci,id=virtio-serial0");
			virtio_serial = true;
		}
		add_chardev(b, launch, con, id);
		add(b, "-device");
		if (con->target == FERRY_CONSOLE_VIRTIO)
			addf(b, "virtconsole,chardev=%s,id=console%zu", id, i);
		else
			addf(b, "isa-serial,chardev=%s,id=console%zu,index=%u", id, i, con->port);
	}
}

static int add_graphics(struct argv_builder *b, const struct ferry_domain_def *def,
			const struct ferry_qemu_launch *launch)
{
	const struct ferry_graphics *g = &def->graphics;
	const char *listen = g->listen ? g->listen : "127.0.0.1";
	int port = g->autoport ? launch->vnc_port : g->port;

	if (!g->present) {
		add(b, "-display");
		add(b, "none");
		return 0;
	}
	if (port < 5900 || port > 65535)
		return fail(b, "graphics: autoport needs a VNC port from 5900 to 65535 "
			    "chosen by the caller, not %d", port);
	/* -nodefaults leaves no display adapter: VNC would show nothing. */
	add(b, "-device");
	add(b, "VGA,id=video0");
	add(b, "-vnc");
	addf(b, strchr(listen, ':') ? "[%s]:%d" : "%s:%d", listen, port - 5900);
	return 0;
}

static int check_launch(struct argv_builder *b, const struct ferry_domain_def *def,
			const struct ferry_qemu_launch *launch, const char **accel)
{
	const char *emulator = launch->emulator ? launch->emulator : FERRY_QEMU_DEFAULT_EMULATOR;

	if (emulator[0] != '/')
		return fail(b, "emulator %s is not an absolute path", emulator);
	if (launch->private_dir && launch->private_dir[0] != '/')
		return fail(b, "private directory %s is not an absolute path", launch->private_dir);
	*accel = launch->accel ? launch->accel : def->type == FERRY_VIRT_KVM ? "kvm" : "tcg";
	if (strcmp(*accel, "kvm") != 0 && strcmp(*accel, "tcg") != 0)
		return fail(b, "accelerator %s is not kvm or tcg", *accel);
	if (launch->incoming && (!launch->incoming[0] || strpbrk(launch->incoming, " \t\r\n")))
		return fail(b, "incoming %s is empty or has blanks", launch->incoming);
	add(b, emulator);
	return 0;
}

int ferry_qemu_build_argv(const struct ferry_domain_def *def,
			  const struct ferry_qemu_launch *launch, char ***argv_out,
			  char *err, size_t errlen)
{
	struct argv_builder b = { .errbuf = err, .errlen = errlen };
	const char *accel = NULL;

	if (errlen)
		err[0] = '\0';
	if (ferry_domain_validate(def, err, errlen) < 0)
		return -EINVAL;
	if (check_launch(&b, def, launch, &accel) == 0) {
		add_machine(&b, def, accel);
		add_monitor(&b, launch);
	}
	if (!b.err) {
		add_boot(&b, def);
		add_disks(&b, def);
		add_nics(&b, def);
		add_chardevs(&b, def, launch);
		add_graphics(&b, def, launch);
	}
	if (!b.err && launch->incoming) {
		add(&b, "-incoming");
		add(&b, launch->incoming);
	}
	if (b.err) {
		if (b.err == -ENOMEM && errlen)
			snprintf(err, errlen, "out of memory");
		ferry_qemu_argv_free(b.v);
		return b.err;
	}
	*argv_out = b.v;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-validate.c - the rules a domain definition must satisfy, in one
 * place for the parser and for definitions built in code; plus the
 * spellings of every enum, equality and freeing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <libxml/xmlstring.h>

#include "domain-priv.h"
#include "label-proto.h"
#include "util.h"

const struct dom_enum dom_lifecycles[6] = {
	{ "destroy", FERRY_LC_DESTROY },
	{ "restart", FERRY_LC_RESTART },
	{ "preserve", FERRY_LC_PRESERVE },
	{ "rename-restart", FERRY_LC_RENAME_RESTART },
	{ "coredump-destroy", FERRY_LC_COREDUMP_DESTROY },
	{ "coredump-restart", FERRY_LC_COREDUMP_RESTART },
};
const struct dom_enum dom_disk_formats[2] = {
	{ "raw", FERRY_DISK_RAW }, { "qcow2", FERRY_DISK_QCOW2 },
};
const struct dom_enum dom_disk_buses[3] = {
	{ "virtio", FERRY_BUS_VIRTIO }, { "sata", FERRY_BUS_SATA }, { "ide", FERRY_BUS_IDE },
};
const struct dom_enum dom_chr_types[2] = {
	{ "file", FERRY_CHR_FILE }, { "pty", FERRY_CHR_PTY },
};
const struct dom_enum dom_console_targets[2] = {
	{ "serial", FERRY_CONSOLE_SERIAL }, { "virtio", FERRY_CONSOLE_VIRTIO },
};
const struct dom_enum dom_net_types[2] = {
	{ "user", FERRY_NET_USER }, { "none", FERRY_NET_NONE },
};
const struct dom_enum dom_net_models[2] = {
	{ "virtio", FERRY_NET_MODEL_VIRTIO }, { "e1000", FERRY_NET_MODEL_E1000 },
};
const struct dom_enum dom_seclabel_types[3] = {
	{ "dynamic", FERRY_SECLABEL_DYNAMIC },
	{ "static", FERRY_SECLABEL_STATIC },
	{ "none", FERRY_SECLABEL_NONE },
};
const struct dom_enum dom_seclabel_models[2] = {
	{ "selinux", FERRY_SECMODEL_SELINUX }, { "dac", FERRY_SECMODEL_DAC },
};

const char *dom_enum_name(const struct dom_enum *table, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

const char *ferry_virt_type_name(enum ferry_virt_type t)
{
	return t == FERRY_VIRT_KVM ? "kvm" : t == FERRY_VIRT_QEMU ? "qemu" : NULL;
}

const char *ferry_lifecycle_name(enum ferry_lifecycle lc)
{
	return DOM_ENUM_NAME(dom_lifecycles, lc);
}

const char *ferry_disk_format_name(enum ferry_disk_format f)
{
	return DOM_ENUM_NAME(dom_disk_formats, f);
}

const char *ferry_disk_bus_name(enum ferry_disk_bus b)
{
	return DOM_ENUM_NAME(dom_disk_buses, b);
}

void ferry_uuid_format(const uint8_t uuid[16], char out[FERRY_UUID_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[uuid[i] >> 4];
		out[o++] = hex[uuid[i] & 0xf];
	}
	out[o] = '\0';
}

int dom_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOSYS) {
			_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

			n = fd < 0 ? -1 : read(fd, p, len);
		}
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "pc-i440fx-7.2" and friends: a fixed prefix, then a version of digits and dots. */
static bool machine_versioned(const char *m, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(m, prefix, n) == 0 && m[n] && strspn(m + n, "0123456789.") == strlen(m + n);
}

bool ferry_domain_machine_is_i440fx(const struct ferry_domain_def *def)
{
	return strcmp(def->machine, "pc") == 0 || machine_versioned(def->machine, "pc-i440fx-");
}

static bool machine_ok(const char *m)
{
	return !m[0] || strcmp(m, "pc") == 0 || strcmp(m, "q35") == 0 ||
	       machine_versioned(m, "pc-i440fx-") || machine_versioned(m, "pc-q35-");
}

__attribute__((format(printf, 4, 5)))
static int problem(struct dom_problem *p, enum dom_loc loc, size_t index, const char *fmt, ...)
{
	va_list ap;

	p->loc = loc;
	p->index = index;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* What is wrong with a one-line text value, or NULL. */
static const char *line_problem(const char *s, size_t max)
{
	if (strlen(s) > max)
		return "is too long";
	/* The parser trims element text; a value it would change cannot round-trip. */
	if (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' '))
		return "starts or ends with a blank";
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "has control characters";
	if (!xmlCheckUTF8((const unsigned char *)s))
		return "is not UTF-8";
	return NULL;
}

/* What is wrong with a path, or NULL. Relative ones may not climb with "..". */
static const char *path_problem(const char *s, bool relative_ok)
{
	const char *why;

	if (!s || !s[0])
		return "is empty";
	if ((why = line_problem(s, 4095)))
		return why;
	if (s[0] != '/' && !relative_ok)
		return "is not an absolute path";
	if (s[0] != '/') {
		for (const char *c = s; (c = strstr(c, "..")); c += 2)
			if ((c == s || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
				return "climbs out of the domain's directory with '..'";
	}
	return NULL;
}

static int check_name(const struct ferry_domain_def *def, struct dom_problem *p)
{
	char q[DOM_QUOTE_MAX];
	size_t n = strnlen(def->name, sizeof(def->name));

	if (n == 0 || n > FERRY_DOMAIN_NAME_MAX)
		return problem(p, LOC_NAME, 0, "<name>: must be 1 to %d characters",
			       FERRY_DOMAIN_NAME_MAX);
	if (strspn(def->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789_.-") != n)
		return problem(p, LOC_NAME, 0, "<name>: '%s' has characters outside [A-Za-z0-9_.-]",
			       dom_quote(def->name, q));
	if (def->name[0] == '.' || def->name[0] == '-')
		return problem(p, LOC_NAME, 0, "<name>: '%s' starts with '%c'",
			       dom_quote(def->name, q), def->name[0]);
	return 0;
}

static int check_basics(const struct ferry_domain_def *def, struct dom_problem *p)
{
	static const uint8_t nil[16];
	const char *why;
	int r;

	if (!ferry_virt_type_name(def->type))
		return problem(p, LOC_DOMAIN, 0, "<domain>: type is not kvm or qemu");
	if ((r = check_name(def, p)) < 0)
		return r;
	if (memcmp(def->uuid, nil, sizeof(nil)) == 0)
		return problem(p, LOC_UUID, 0, "<uuid>: the nil UUID identifies no guest");
	if (def->description) {
		/* Multi-line, so only the encoding and the size are checked here. */
		if (strlen(def->description) > FERRY_DOMAIN_MAX_TEXT ||
		    !xmlCheckUTF8((const unsigned char *)def->description))
			return problem(p, LOC_DESCRIPTION, 0, "<description>: is too long or not UTF-8");
		for (const char *c = def->description; *c; c++)
			if (((unsigned char)*c < 0x20 && !strchr("\t\n\r", *c)) || *c == 0x7f)
				return problem(p, LOC_DESCRIPTION, 0,
					       "<description>: has control characters");
	}
	if (def->memory_kib == 0 || def->memory_kib > FERRY_DOMAIN_MAX_MEMORY_KIB)
		return problem(p, LOC_MEMORY, 0, "<memory>: %llu KiB is not from 1 KiB to 16 TiB",
			       (unsigned long long)def->memory_kib);
	if (def->current_memory_kib > def->memory_kib)
		return problem(p, LOC_CURRENT_MEMORY, 0,
			       "<currentMemory>: %llu KiB is more than <memory> (%llu KiB)",
			       (unsigned long long)def->current_memory_kib,
			       (unsigned long long)def->memory_kib);
	if (def->vcpus < 1 || def->vcpus > FERRY_DOMAIN_MAX_VCPUS)
		return problem(p, LOC_VCPU, 0, "<vcpu>: %u is not from 1 to %d", def->vcpus,
			       FERRY_DOMAIN_MAX_VCPUS);
	if (def->cmdline && (why = line_problem(def->cmdline, FERRY_DOMAIN_MAX_TEXT)))
		return problem(p, LOC_CMDLINE, 0, "<cmdline>: %s", why);
	return 0;
}

static int check_os(const struct ferry_domain_def *def, struct dom_problem *p)
{
	char q[DOM_QUOTE_MAX];
	const char *why;

	if (strnlen(def->machine, sizeof(def->machine)) > FERRY_DOMAIN_MACHINE_MAX ||
	    !machine_ok(def->machine))
		return problem(p, LOC_OS_TYPE, 0, "<type>: machine '%s' is not pc, q35, "
			       "pc-i440fx-VERSION or pc-q35-VERSION", dom_quote(def->machine, q));
	if (def->loader && (why = path_problem(def->loader, false)))
		return problem(p, LOC_LOADER, 0, "<loader>: '%s' %s", dom_quote(def->loader, q), why);
	if (def->kernel && (why = path_problem(def->kernel, false)))
		return problem(p, LOC_KERNEL, 0, "<kernel>: '%s' %s", dom_quote(def->kernel, q), why);
	if (def->initrd && (why = path_problem(def->initrd, false)))
		return problem(p, LOC_INITRD, 0, "<initrd>: '%s' %s", dom_quote(def->initrd, q), why);
	if (def->initrd && !def->kernel)
		return problem(p, LOC_INITRD, 0, "<initrd>: needs a <kernel>");
	if (def->cmdline && !def->kernel)
		return problem(p, LOC_CMDLINE, 0, "<cmdline>: needs a <kernel>");
	if (def->features & ~(FERRY_FEATURE_ACPI | FERRY_FEATURE_APIC | FERRY_FEATURE_PAE))
		return problem(p, LOC_FEATURES, 0, "<features>: unknown feature bits");
	if (def->on_poweroff > FERRY_LC_COREDUMP_RESTART)
		return problem(p, LOC_ON_POWEROFF, 0, "<on_poweroff>: unknown action");
	if (def->on_reboot > FERRY_LC_COREDUMP_RESTART)
		return problem(p, LOC_ON_REBOOT, 0, "<on_reboot>: unknown action");
	if (def->on_crash > FERRY_LC_COREDUMP_RESTART)
		return problem(p, LOC_ON_CRASH, 0, "<on_crash>: unknown action");
	return 0;
}

int ferry_disk_target_index(const char *target)
{
	size_t n = strlen(target);
	const char *l = target + 2;

	if ((n != 3 && n != 4) || (strncmp(target, "vd", 2) && strncmp(target, "sd", 2) &&
				   strncmp(target, "hd", 2)))
		return -EINVAL;
	for (size_t i = 2; i < n; i++)
		if (target[i] < 'a' || target[i] > 'z')
			return -EINVAL;
	return n == 3 ? l[0] - 'a' : (l[0] - 'a' + 1) * 26 + (l[1] - 'a');
}

static int check_disk(const struct ferry_domain_def *def, size_t i, struct dom_problem *p)
{
	static const char prefix[][3] = { [FERRY_BUS_VIRTIO] = "vd", [FERRY_BUS_SATA] = "sd",
					   [FERRY_BUS_IDE] = "hd" };
	const struct ferry_disk *d = &def->disks[i];
	char q[DOM_QUOTE_MAX];
	const char *why;
	int idx;

	if (!ferry_disk_format_name(d->format))
		return problem(p, LOC_DISK, i, "<disk>: needs <driver type='raw|qcow2'>: "
			       "ferry never lets QEMU guess an image format");
	if (!d->source)
		return problem(p, LOC_DISK, i, "<disk>: element <source file=...> is required");
	if ((why = path_problem(d->source, false)))
		return problem(p, LOC_DISK, i, "<source>: file '%s' %s", dom_quote(d->source, q), why);
	if (!d->target[0])
		return problem(p, LOC_DISK, i, "<disk>: element <target dev=...> is required");
	idx = ferry_disk_target_index(d->target);
	if (idx < 0)
		return problem(p, LOC_DISK, i, "<target>: dev '%s' is not a disk name like vda, "
			       "sdb, hdc", dom_quote(d->target, q));
	if (!ferry_disk_bus_name(d->bus) || strncmp(d->target, prefix[d->bus], 2))
		return problem(p, LOC_DISK, i, "<target>: dev '%s' does not go on bus '%s' "
			       "(vdX is virtio, sdX sata, hdX ide)", d->target,
			       ferry_disk_bus_name(d->bus) ? ferry_disk_bus_name(d->bus) : "?");
	if (d->bus == FERRY_BUS_SATA && idx > 5)
		return problem(p, LOC_DISK, i, "<target>: dev '%s': a SATA controller has six "
			       "ports, sda to sdf", d->target);
	if (d->bus == FERRY_BUS_IDE && idx > 3)
		return problem(p, LOC_DISK, i, "<target>: dev '%s': IDE has four units, hda to hdd",
			       d->target);
	if (d->bus == FERRY_BUS_IDE && !ferry_domain_machine_is_i440fx(def))
		return problem(p, LOC_DISK, i, "<target>: bus 'ide' needs an i440fx machine "
			       "('pc'): q35 has no IDE controller");
	if (d->readonly && d->bus != FERRY_BUS_VIRTIO)
		return problem(p, LOC_DISK, i, "<readonly/>: QEMU cannot attach a read-only disk "
			       "to bus '%s'; use bus 'virtio'", ferry_disk_bus_name(d->bus));
	for (size_t j = 0; j < i; j++)
		if (strcmp(def->disks[j].target, d->target) == 0)
			return problem(p, LOC_DISK, i, "<target>: dev '%s' is already another "
				       "<disk>'s", d->target);
	return 0;
}

static int check_chr(const struct ferry_chardev *chr, enum dom_loc loc, size_t i,
		     struct dom_problem *p)
{
	const char *el = loc == LOC_SERIAL ? "serial" : "console";
	char q[DOM_QUOTE_MAX];
	const char *why;

	if (chr->type == FERRY_CHR_FILE && (why = path_problem(chr->path, true)))
		return problem(p, loc, i, "<source>: path '%s' %s",
			       chr->path ? dom_quote(chr->path, q) : "", why);
	if (chr->type == FERRY_CHR_PTY && chr->path)
		return problem(p, loc, i, "<%s type='pty'>: takes no <source>: "
			       "QEMU picks the pty", el);
	if (chr->type != FERRY_CHR_FILE && chr->type != FERRY_CHR_PTY)
		return problem(p, loc, i, "<%s>: type is not file or pty", el);
	if (chr->port > 3)
		return problem(p, loc, i, "<target>: port %u is not from 0 to 3", chr->port);
	return 0;
}

static bool same_chr(const struct ferry_chardev *a, const struct ferry_chardev *b)
{
	return a->type == b->type &&
	       (a->path == b->path || (a->path && b->path && strcmp(a->path, b->path) == 0));
}

static int check_chardevs(const struct ferry_domain_def *def, struct dom_problem *p)
{
	int r;

	for (size_t i = 0; i < def->nserials; i++) {
		if ((r = check_chr(&def->serials[i], LOC_SERIAL, i, p)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (def->serials[j].port == def->serials[i].port)
				return problem(p, LOC_SERIAL, i, "<target>: port %u is already "
					       "another <serial>'s", def->serials[i].port);
	}
	for (size_t i = 0; i < def->nconsoles; i++) {
		const struct ferry_chardev *con = &def->consoles[i];

		if ((r = check_chr(con, LOC_CONSOLE, i, p)) < 0)
			return r;
		if (con->target != FERRY_CONSOLE_SERIAL && con->target != FERRY_CONSOLE_VIRTIO)
			return problem(p, LOC_CONSOLE, i, "<target>: type is not serial or virtio");
		for (size_t j = 0; j < i; j++)
			if (def->consoles[j].port == con->port &&
			    def->consoles[j].target == con->target)
				return problem(p, LOC_CONSOLE, i, "<target>: port %u is already "
					       "another <console>'s", con->port);
		/* As in libvirt, a serial console on a <serial>'s port is that port. */
		for (size_t j = 0; con->target == FERRY_CONSOLE_SERIAL && j < def->nserials; j++)
			if (def->serials[j].port == con->port && !same_chr(&def->serials[j], con))
				return problem(p, LOC_CONSOLE, i, "<console>: is <serial> port %u "
					       "and must have its type and source", con->port);
	}
	return 0;
}

static int check_nic(const struct ferry_nic *nic, size_t i, struct dom_problem *p)
{
	static const uint8_t zero[6];

	if (nic->type == FERRY_NET_NONE) {
		if (memcmp(nic->mac, zero, 6) || nic->model != FERRY_NET_MODEL_UNSET)
			return problem(p, LOC_INTERFACE, i, "<interface type='none'>: takes no "
				       "<mac> or <model>");
		return 0;
	}
	if (nic->type != FERRY_NET_USER)
		return problem(p, LOC_INTERFACE, i, "<interface>: type is not user or none");
	if (!memcmp(nic->mac, zero, 6) || (nic->mac[0] & 1))
		return problem(p, LOC_INTERFACE, i, "<mac>: %02x:%02x:%02x:%02x:%02x:%02x is not "
			       "a unicast address", nic->mac[0], nic->mac[1], nic->mac[2],
			       nic->mac[3], nic->mac[4], nic->mac[5]);
	if (nic->model > FERRY_NET_MODEL_E1000)
		return problem(p, LOC_INTERFACE, i, "<model>: type is not virtio or e1000");
	return 0;
}

static int check_graphics(const struct ferry_graphics *g, struct dom_problem *p)
{
	char q[DOM_QUOTE_MAX];
	uint8_t addr[16];

	if (!g->present)
		return 0;
	if (g->autoport && g->port != -1)
		return problem(p, LOC_GRAPHICS, 0, "<graphics>: autoport='yes' takes no port");
	if (!g->autoport && (g->port < 5900 || g->port > 65535))
		return problem(p, LOC_GRAPHICS, 0, "<graphics>: autoport='no' needs a port from "
			       "5900 to 65535");
	/* Literals only: a host name would make QEMU resolve it. */
	if (g->listen && inet_pton(AF_INET, g->listen, addr) != 1 &&
	    inet_pton(AF_INET6, g->listen, addr) != 1)
		return problem(p, LOC_GRAPHICS, 0, "<graphics>: listen '%s' is not an IPv4 or "
			       "IPv6 address", dom_quote(g->listen, q));
	return 0;
}

static const char *label_problem(const char *s)
{
	if (!s[0])
		return "is empty";
	if (strlen(s) > FERRY_DOMAIN_MAX_TEXT)
		return "is too long";
	for (const char *c = s; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			return "has characters outside printable ASCII";
	return NULL;
}

/* SELinux labels are contexts: the shape the label helper will accept. */
static int selinux_labels(const struct ferry_seclabel *sl, size_t i, struct dom_problem *p)
{
	char why[160];

	if (sl->label && ferry_label_context_check(sl->label, NULL, why, sizeof(why)) < 0)
		return problem(p, LOC_SECLABEL, i, "<label>: SELinux context %s", why);
	if (sl->imagelabel && ferry_label_context_check(sl->imagelabel, NULL, why, sizeof(why)) < 0)
		return problem(p, LOC_SECLABEL, i, "<imagelabel>: SELinux context %s", why);
	return 0;
}

static int check_seclabel(const struct ferry_domain_def *def, size_t i, struct dom_problem *p)
{
	const struct ferry_seclabel *sl = &def->seclabels[i];
	const char *why;
	int r;

	if (!DOM_ENUM_NAME(dom_seclabel_types, sl->type) || sl->model > FERRY_SECMODEL_DAC ||
	    sl->relabel > FERRY_NO)
		return problem(p, LOC_SECLABEL, i, "<seclabel>: unknown type, model or relabel");
	if (sl->type != FERRY_SECLABEL_NONE && !sl->model)
		return problem(p, LOC_SECLABEL, i, "<seclabel>: type '%s' needs a model",
			       DOM_ENUM_NAME(dom_seclabel_types, sl->type));
	if (sl->type == FERRY_SECLABEL_STATIC && !sl->label)
		return problem(p, LOC_SECLABEL, i, "<seclabel type='static'>: needs a <label>");
	if (sl->type != FERRY_SECLABEL_STATIC && (sl->label || sl->imagelabel))
		return problem(p, LOC_SECLABEL, i, "<seclabel>: <label> and <imagelabel> are only "
			       "for type='static'; ferry picks the others");
	if (sl->type == FERRY_SECLABEL_DYNAMIC && sl->relabel == FERRY_NO)
		return problem(p, LOC_SECLABEL, i, "<seclabel type='dynamic'>: a label nobody "
			       "relabels for cannot be dynamic: relabel must be 'yes'");
	if (sl->type == FERRY_SECLABEL_NONE && sl->relabel == FERRY_YES)
		return problem(p, LOC_SECLABEL, i, "<seclabel type='none'>: has nothing to relabel");
	if (sl->label && (why = label_problem(sl->label)))
		return problem(p, LOC_SECLABEL, i, "<label>: %s", why);
	if (sl->imagelabel && (why = label_problem(sl->imagelabel)))
		return problem(p, LOC_SECLABEL, i, "<imagelabel>: %s", why);
	if (sl->model == FERRY_SECMODEL_SELINUX && (r = selinux_labels(sl, i, p)) < 0)
		return r;
	for (size_t j = 0; j < i; j++) {
		/* A model-less label speaks for every model: it must be alone. */
		if (!sl->model || !def->seclabels[j].model)
			return problem(p, LOC_SECLABEL, i, "<seclabel>: one without a model must "
				       "be the only one");
		if (def->seclabels[j].model == sl->model)
			return problem(p, LOC_SECLABEL, i, "<seclabel>: model '%s' has one already",
				       DOM_ENUM_NAME(dom_seclabel_models, sl->model));
	}
	return 0;
}

int domain_check(const struct ferry_domain_def *def, struct dom_problem *p)
{
	int r;

	if ((r = check_basics(def, p)) < 0 || (r = check_os(def, p)) < 0)
		return r;
	if (def->ndisks > FERRY_DOMAIN_MAX_DISKS || def->nserials > FERRY_DOMAIN_MAX_SERIALS ||
	    def->nconsoles > FERRY_DOMAIN_MAX_CONSOLES || def->nnics > FERRY_DOMAIN_MAX_NICS ||
	    def->nseclabels > FERRY_DOMAIN_MAX_SECLABELS)
		return problem(p, LOC_DEVICES, 0, "<devices>: more devices than ferry handles");
	for (size_t i = 0; i < def->ndisks; i++)
		if ((r = check_disk(def, i, p)) < 0)
			return r;
	if ((r = check_chardevs(def, p)) < 0)
		return r;
	for (size_t i = 0; i < def->nnics; i++)
		if ((r = check_nic(&def->nics[i], i, p)) < 0)
			return r;
	if ((r = check_graphics(&def->graphics, p)) < 0)
		return r;
	for (size_t i = 0; i < def->nseclabels; i++)
		if ((r = check_seclabel(def, i, p)) < 0)
			return r;
	return 0;
}

int ferry_domain_validate(const struct ferry_domain_def *def, char *err, size_t errlen)
{
	static const char *const what[LOC_COUNT] = {
		[LOC_DISK] = "disk", [LOC_SERIAL] = "serial", [LOC_CONSOLE] = "console",
		[LOC_INTERFACE] = "interface", [LOC_SECLABEL] = "seclabel",
	};
	struct dom_problem p;

	if (domain_check(def, &p) == 0)
		return 0;
	/* No lines here: name a repeated element by its position instead. */
	if (what[p.loc])
		snprintf(err, errlen, "%s %zu: %s", what[p.loc], p.index, p.msg);
	else
		snprintf(err, errlen, "%s", p.msg);
	return -EINVAL;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool chr_eq(const struct ferry_chardev *a, const struct ferry_chardev *b)
{
	return same_chr(a, b) && a->port == b->port && a->target == b->target;
}

static bool devices_eq(const struct ferry_domain_def *a, const struct ferry_domain_def *b)
{
	const struct ferry_graphics *ga = &a->graphics, *gb = &b->graphics;

	if (a->ndisks != b->ndisks || a->nserials != b->nserials ||
	    a->nconsoles != b->nconsoles || a->nnics != b->nnics)
		return false;
	for (size_t i = 0; i < a->ndisks; i++) {
		const struct ferry_disk *x = &a->disks[i], *y = &b->disks[i];

		if (x->format != y->format || x->bus != y->bus || x->readonly != y->readonly ||
		    !str_eq(x->source, y->source) || strcmp(x->target, y->target))
			return false;
	}
	for (size_t i = 0; i < a->nserials; i++)
		if (!chr_eq(&a->serials[i], &b->serials[i]))
			return false;
	for (size_t i = 0; i < a->nconsoles; i++)
		if (!chr_eq(&a->consoles[i], &b->consoles[i]))
			return false;
	for (size_t i = 0; i < a->nnics; i++)
		if (a->nics[i].type != b->nics[i].type || a->nics[i].model != b->nics[i].model ||
		    memcmp(a->nics[i].mac, b->nics[i].mac, 6))
			return false;
	return ga->present == gb->present && ga->autoport == gb->autoport &&
	       ga->port == gb->port && str_eq(ga->listen, gb->listen);
}

bool ferry_domain_equal(const struct ferry_domain_def *a, const struct ferry_domain_def *b)
{
	if (a->type != b->type || strcmp(a->name, b->name) || memcmp(a->uuid, b->uuid, 16) ||
	    !str_eq(a->description, b->description) || a->memory_kib != b->memory_kib ||
	    a->current_memory_kib != b->current_memory_kib || a->vcpus != b->vcpus ||
	    strcmp(a->machine, b->machine) || !str_eq(a->kernel, b->kernel) ||
	    !str_eq(a->loader, b->loader) ||
	    !str_eq(a->initrd, b->initrd) || !str_eq(a->cmdline, b->cmdline) ||
	    a->features != b->features || a->on_poweroff != b->on_poweroff ||
	    a->on_reboot != b->on_reboot || a->on_crash != b->on_crash)
		return false;
	if (!devices_eq(a, b) || a->nseclabels != b->nseclabels)
		return false;
	for (size_t i = 0; i < a->nseclabels; i++) {
		const struct ferry_seclabel *x = &a->seclabels[i], *y = &b->seclabels[i];

		if (x->type != y->type || x->model != y->model || x->relabel != y->relabel ||
		    !str_eq(x->label, y->label) || !str_eq(x->imagelabel, y->imagelabel))
			return false;
	}
	return true;
}

void ferry_domain_free(struct ferry_domain_def *def)
{
	if (!def)
		return;
	free(def->description);
	free(def->loader);
	free(def->kernel);
	free(def->initrd);
	free(def->cmdline);
	for (size_t i = 0; i < FERRY_DOMAIN_MAX_DISKS; i++)
		free(def->disks[i].source);
	for (size_t i = 0; i < FERRY_DOMAIN_MAX_SERIALS; i++)
		free(def->serials[i].path);
	for (size_t i = 0; i < FERRY_DOMAIN_MAX_CONSOLES; i++)
		free(def->consoles[i].path);
	free(def->graphics.listen);
	for (size_t i = 0; i < FERRY_DOMAIN_MAX_SECLABELS; i++) {
		free(def->seclabels[i].label);
		free(def->seclabels[i].imagelabel);
	}
	free(def);
}

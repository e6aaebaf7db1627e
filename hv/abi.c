/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * abi.c - the migration ABI stability check, as tables: one row per value
 * the guest can see, grouped by element. Each row shows its value as text
 * for both definitions; the texts are compared and, when they differ, are
 * the message. Source and destination are printed in one place only, so
 * their order cannot differ from row to row.
 *
 * Left out on purpose, because the guest cannot see them or they belong to
 * the host: <description>, image and chardev paths, VNC port and listen
 * address, lifecycle actions (what the broker does, not the guest), and
 * <seclabel> (host policy). <loader>, <kernel>, <initrd> and <cmdline> too:
 * they say how the guest was started, and a running guest has been. What
 * they loaded is in guest memory now, which the migration stream carries;
 * the files are the destination host's to place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "domain-priv.h"
#include "util.h"

#define ABI_VALUE_MAX 80	/* the longest value shown: a 64-character <name> */

/* One value as text; "" means the element is absent. */
typedef void (*abi_show_fn)(const void *item, unsigned arg, char *buf, size_t len);

struct abi_field {
	const char *what;	/* the element or attribute, as in the XML */
	bool quote;		/* a spelling from the document, not a number */
	unsigned arg;		/* passed to show (a feature bit) */
	abi_show_fn show;
};

static void show_enum(char *buf, size_t len, const char *name, int value)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "#%d", value);	/* unvalidated: still compared */
}

static void show_type(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	show_enum(buf, len, ferry_virt_type_name(def->type), (int)def->type);
}

static void show_name(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	snprintf(buf, len, "%.*s", FERRY_DOMAIN_NAME_MAX, def->name);
}

static void show_uuid(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;
	char uuid[FERRY_UUID_STRLEN];

	ferry_uuid_format(def->uuid, uuid);
	snprintf(buf, len, "%s", uuid);
}

static void show_memory(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	snprintf(buf, len, "%llu KiB", (unsigned long long)def->memory_kib);
}

/* An absent <currentMemory> is all of <memory>, as in libvirt. */
static void show_current_memory(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;
	uint64_t kib = def->current_memory_kib ? def->current_memory_kib : def->memory_kib;

	snprintf(buf, len, "%llu KiB", (unsigned long long)kib);
}

static void show_vcpu(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	snprintf(buf, len, "%u", def->vcpus);
}

/* As the command line has it (qemu-argv.c): no machine is q35. */
static void show_machine(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	snprintf(buf, len, "%.*s", FERRY_DOMAIN_MACHINE_MAX, def->machine[0] ? def->machine : "q35");
}

static void show_feature(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_domain_def *def = item;

	snprintf(buf, len, "%s", def->features & arg ? "yes" : "no");
}

static void show_disk_bus(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_disk *d = item;

	show_enum(buf, len, ferry_disk_bus_name(d->bus), (int)d->bus);
}

static void show_disk_dev(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_disk *d = item;

	snprintf(buf, len, "%.*s", (int)sizeof(d->target) - 1, d->target);
}

static void show_disk_format(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_disk *d = item;

	show_enum(buf, len, ferry_disk_format_name(d->format), (int)d->format);
}

static void show_disk_readonly(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_disk *d = item;

	snprintf(buf, len, "%s", d->readonly ? "yes" : "no");
}

static void show_chr_type(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_chardev *chr = item;

	show_enum(buf, len, DOM_ENUM_NAME(dom_chr_types, chr->type), (int)chr->type);
}

static void show_chr_port(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_chardev *chr = item;

	snprintf(buf, len, "%u", chr->port);
}

static void show_console_target(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_chardev *chr = item;

	show_enum(buf, len, DOM_ENUM_NAME(dom_console_targets, chr->target), (int)chr->target);
}

static void show_nic_type(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_nic *nic = item;

	show_enum(buf, len, DOM_ENUM_NAME(dom_net_types, nic->type), (int)nic->type);
}

/* As the command line has it (qemu-argv.c): a model-less user NIC is virtio. */
static void show_nic_model(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_nic *nic = item;
	enum ferry_net_model m = nic->model ? nic->model : FERRY_NET_MODEL_VIRTIO;

	if (nic->type == FERRY_NET_NONE)
		buf[0] = '\0';
	else
		show_enum(buf, len, DOM_ENUM_NAME(dom_net_models, m), (int)m);
}

static void show_nic_mac(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_nic *nic = item;
	const uint8_t *m = nic->mac;

	if (nic->type == FERRY_NET_NONE)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
			 m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void show_graphics(const void *item, unsigned arg, char *buf, size_t len)
{
	const struct ferry_graphics *g = item;

	snprintf(buf, len, "%s", g->present ? "vnc" : "");
}

static const struct abi_field domain_fields[] = {
	{ "<domain type>", true, 0, show_type },
	{ "<name>", true, 0, show_name },
	{ "<uuid>", true, 0, show_uuid },
	{ "<memory>", false, 0, show_memory },
	{ "<currentMemory>", false, 0, show_current_memory },
	{ "<vcpu>", false, 0, show_vcpu },
	{ "<os><type machine>", true, 0, show_machine },
	{ "<features><acpi/>", false, FERRY_FEATURE_ACPI, show_feature },
	{ "<features><apic/>", false, FERRY_FEATURE_APIC, show_feature },
	{ "<features><pae/>", false, FERRY_FEATURE_PAE, show_feature },
};

/* Bus before dev: the bus decides the prefix of dev, and says more. */
static const struct abi_field disk_fields[] = {
	{ "<target bus>", true, 0, show_disk_bus },
	{ "<target dev>", true, 0, show_disk_dev },
	{ "<driver type>", true, 0, show_disk_format },
	{ "<readonly/>", false, 0, show_disk_readonly },
};

static const struct abi_field serial_fields[] = {
	{ "<serial type>", true, 0, show_chr_type },
	{ "<target port>", false, 0, show_chr_port },
};

static const struct abi_field console_fields[] = {
	{ "<console type>", true, 0, show_chr_type },
	{ "<target type>", true, 0, show_console_target },
	{ "<target port>", false, 0, show_chr_port },
};

static const struct abi_field nic_fields[] = {
	{ "<interface type>", true, 0, show_nic_type },
	{ "<model type>", true, 0, show_nic_model },
	{ "<mac address>", true, 0, show_nic_mac },
};

static const struct abi_field graphics_fields[] = {
	{ "<graphics type>", true, 0, show_graphics },
};

/* One element (@noun NULL), or a device array compared in order. */
struct abi_group {
	const char *noun;
	size_t count_off, item_off, item_size, max;
	const struct abi_field *fields;
	size_t nfields;
};

#define DEF_MEMBER(m) (((const struct ferry_domain_def *)0)->m)
#define ABI_ONE(member, table) \
	{ NULL, 0, offsetof(struct ferry_domain_def, member), 0, 1, table, ARRAY_SIZE(table) }
#define ABI_MANY(noun, array, count, table) \
	{ noun, offsetof(struct ferry_domain_def, count), \
	  offsetof(struct ferry_domain_def, array), sizeof(DEF_MEMBER(array)[0]), \
	  ARRAY_SIZE(DEF_MEMBER(array)), table, ARRAY_SIZE(table) }

static const struct abi_group groups[] = {
	{ NULL, 0, 0, 0, 1, domain_fields, ARRAY_SIZE(domain_fields) },
	ABI_MANY("disk", disks, ndisks, disk_fields),
	ABI_MANY("serial", serials, nserials, serial_fields),
	ABI_MANY("console", consoles, nconsoles, console_fields),
	ABI_MANY("interface", nics, nnics, nic_fields),
	ABI_ONE(graphics, graphics_fields),
};

__attribute__((format(printf, 3, 4)))
static int mismatch(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "ABI mismatch: ");
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A value for a message: "none" when absent, a spelling quoted and made printable. */
static const char *display(const struct abi_field *f, const char *v, char out[DOM_QUOTE_MAX + 2])
{
	char q[DOM_QUOTE_MAX];

	if (!v[0])
		return "none";
	if (!f->quote)
		return v;
	snprintf(out, DOM_QUOTE_MAX + 2, "'%s'", dom_quote(v, q));
	return out;
}

static int check_item(const struct abi_group *g, const void *src, const void *dst,
		      const char *where, char *err, size_t errlen)
{
	char sv[ABI_VALUE_MAX], dv[ABI_VALUE_MAX], sq[DOM_QUOTE_MAX + 2], dq[DOM_QUOTE_MAX + 2];

	for (size_t k = 0; k < g->nfields; k++) {
		const struct abi_field *f = &g->fields[k];

		f->show(src, f->arg, sv, sizeof(sv));
		f->show(dst, f->arg, dv, sizeof(dv));
		if (strcmp(sv, dv))
			return mismatch(err, errlen, "%s%s: source has %s, destination has %s",
					where, f->what, display(f, sv, sq), display(f, dv, dq));
	}
	return 0;
}

static size_t group_count(const struct abi_group *g, const struct ferry_domain_def *def)
{
	return g->noun ? *(const size_t *)((const char *)def + g->count_off) : 1;
}

static const void *group_item(const struct abi_group *g, const struct ferry_domain_def *def,
			      size_t i)
{
	return (const char *)def + g->item_off + i * g->item_size;
}

static int check_group(const struct abi_group *g, const struct ferry_domain_def *src,
		       const struct ferry_domain_def *dst, char *err, size_t errlen)
{
	size_t ns = group_count(g, src), nd = group_count(g, dst);
	char where[48] = "";
	int r;

	if (ns > g->max || nd > g->max)
		return mismatch(err, errlen, "<devices>: more %ss than ferry handles", g->noun);
	if (ns != nd)
		return mismatch(err, errlen, "<devices>: source has %zu %s%s, destination has %zu",
				ns, g->noun, ns == 1 ? "" : "s", nd);
	for (size_t i = 0; i < ns; i++) {
		const void *s = group_item(g, src, i), *d = group_item(g, dst, i);

		/* A disk is also named by its target: the one the source has. */
		if (g->fields == disk_fields)
			snprintf(where, sizeof(where), "disk %zu (%.*s): ", i,
				 (int)sizeof(src->disks[i].target) - 1, src->disks[i].target);
		else if (g->noun)
			snprintf(where, sizeof(where), "%s %zu: ", g->noun, i);
		if ((r = check_item(g, s, d, where, err, errlen)) < 0)
			return r;
	}
	return 0;
}

int ferry_domain_abi_check(const struct ferry_domain_def *src, const struct ferry_domain_def *dst,
			   char *err, size_t errlen)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if ((r = check_group(&groups[i], src, dst, err, errlen)) < 0)
			return r;
	return 0;
}

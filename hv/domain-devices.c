/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-devices.c - the <devices> of a domain: disks, serial ports and
 * consoles, network interfaces and VNC graphics. Syntax only; what the
 * values must satisfy is domain_check()'s.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain-priv.h"
#include "util.h"

static int parse_disk_driver(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "name", "type", NULL };
	static const struct dom_enum names[] = { { "qemu", 0 } };
	struct ferry_disk *disk = obj;
	_cleanup_xml_ char *name = NULL, *type = NULL;
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	name = dom_prop(node, "name");
	if (name && (r = dom_enum(c, node, "name", name, names, ARRAY_SIZE(names), &v)) < 0)
		return r;
	/* No format means QEMU would guess it from the guest's own bytes. */
	if ((r = dom_need(c, node, "type", &type)) < 0)
		return r;
	r = dom_enum(c, node, "type", type, dom_disk_formats, ARRAY_SIZE(dom_disk_formats), &v);
	if (r == 0)
		disk->format = v;
	return r;
}

static int parse_disk_source(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "file", NULL };
	struct ferry_disk *disk = obj;
	_cleanup_xml_ char *file = NULL;
	int r;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0 ||
	    (r = dom_need(c, node, "file", &file)) < 0)
		return r;
	return dom_copy(c, file, &disk->source);
}

static int parse_disk_target(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "dev", "bus", NULL };
	struct ferry_disk *disk = obj;
	_cleanup_xml_ char *dev = NULL, *bus = NULL;
	char q[DOM_QUOTE_MAX];
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0 ||
	    (r = dom_need(c, node, "dev", &dev)) < 0)
		return r;
	if (strlen(dev) >= sizeof(disk->target))
		return dom_fail(c, node, "<target>: dev '%s' is not a disk name like vda, sdb, hdc",
				dom_quote(dev, q));
	memcpy(disk->target, dev, strlen(dev) + 1);
	bus = dom_prop(node, "bus");
	if (bus) {
		r = dom_enum(c, node, "bus", bus, dom_disk_buses, ARRAY_SIZE(dom_disk_buses), &v);
		if (r < 0)
			return r;
		disk->bus = v;
	} else if (strncmp(dev, "vd", 2) == 0) {
		disk->bus = FERRY_BUS_VIRTIO;
	} else if (strncmp(dev, "sd", 2) == 0) {
		disk->bus = FERRY_BUS_SATA;
	} else if (strncmp(dev, "hd", 2) == 0) {
		disk->bus = FERRY_BUS_IDE;
	}
	return 0;
}

static int parse_disk_readonly(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	struct ferry_disk *disk = obj;
	int r;

	if ((r = dom_attrs(c, node, NULL)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	disk->readonly = true;
	return 0;
}

static int parse_disk(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "device", NULL };
	static const struct dom_enum types[] = { { "file", 0 } };
	static const struct dom_enum devices[] = { { "disk", 0 } };
	static const struct dom_child children[] = {
		{ "driver", true, 0, parse_disk_driver },
		{ "source", true, 0, parse_disk_source },
		{ "target", true, 0, parse_disk_target },
		{ "readonly", true, 0, parse_disk_readonly },
	};
	struct ferry_domain_def *def = c->def;
	_cleanup_xml_ char *type = NULL, *device = NULL;
	int r, v;

	if (def->ndisks == FERRY_DOMAIN_MAX_DISKS)
		return dom_fail(c, node, "more than %d <disk> elements in <devices>",
				FERRY_DOMAIN_MAX_DISKS);
	c->lines.disk[def->ndisks] = xmlGetLineNo(node);
	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_need(c, node, "type", &type)) < 0 ||
	    (r = dom_enum(c, node, "type", type, types, ARRAY_SIZE(types), &v)) < 0)
		return r;
	device = dom_prop(node, "device");
	if (device && (r = dom_enum(c, node, "device", device, devices,
				    ARRAY_SIZE(devices), &v)) < 0)
		return r;
	return dom_children(c, node, children, ARRAY_SIZE(children), &def->disks[def->ndisks++]);
}

static int parse_chr_source(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "path", NULL };
	struct ferry_chardev *chr = obj;
	_cleanup_xml_ char *path = NULL;
	int r;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0 ||
	    (r = dom_need(c, node, "path", &path)) < 0)
		return r;
	return dom_copy(c, path, &chr->path);
}

static int parse_port(struct dom_ctx *c, xmlNodePtr node, unsigned *port, bool *set)
{
	_cleanup_xml_ char *s = dom_prop(node, "port");
	char q[DOM_QUOTE_MAX];
	uint32_t v;

	if (!s)
		return 0;
	if (ferry_parse_u32(s, &v) < 0)
		return dom_fail(c, node, "<target>: port '%s' is not a number", dom_quote(s, q));
	*port = v;
	*set = true;
	return 0;
}

static int parse_serial_target(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "port", NULL };
	/* libvirt writes type='isa-serial', the only serial ferry makes. */
	static const struct dom_enum types[] = { { "isa-serial", 0 } };
	struct ferry_chardev *chr = obj;
	_cleanup_xml_ char *type = NULL;
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	type = dom_prop(node, "type");
	if (type && (r = dom_enum(c, node, "type", type, types, ARRAY_SIZE(types), &v)) < 0)
		return r;
	return parse_port(c, node, &chr->port,
			  &c->serial_port_set[chr - c->def->serials]);
}

static int parse_console_target(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "port", NULL };
	struct ferry_chardev *chr = obj;
	_cleanup_xml_ char *type = NULL;
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	type = dom_prop(node, "type");
	if (type) {
		r = dom_enum(c, node, "type", type, dom_console_targets,
			     ARRAY_SIZE(dom_console_targets), &v);
		if (r < 0)
			return r;
		chr->target = v;
	}
	return parse_port(c, node, &chr->port,
			  &c->console_port_set[chr - c->def->consoles]);
}

/* <serial> and <console>: same shape, different targets. */
static int parse_chardev(struct dom_ctx *c, xmlNodePtr node, bool console)
{
	static const char *const attrs[] = { "type", NULL };
	static const struct dom_child serial_children[] = {
		{ "source", true, 0, parse_chr_source },
		{ "target", true, 0, parse_serial_target },
	};
	static const struct dom_child console_children[] = {
		{ "source", true, 0, parse_chr_source },
		{ "target", true, 0, parse_console_target },
	};
	struct ferry_domain_def *def = c->def;
	size_t *n = console ? &def->nconsoles : &def->nserials;
	size_t max = console ? FERRY_DOMAIN_MAX_CONSOLES : FERRY_DOMAIN_MAX_SERIALS;
	_cleanup_xml_ char *type = NULL;
	struct ferry_chardev *chr;
	int r, v;

	if (*n == max)
		return dom_fail(c, node, "more than %zu <%s> elements in <devices>", max,
				console ? "console" : "serial");
	chr = console ? &def->consoles[*n] : &def->serials[*n];
	if (console) {
		c->lines.console[*n] = xmlGetLineNo(node);
		chr->target = FERRY_CONSOLE_SERIAL;
	} else {
		c->lines.serial[*n] = xmlGetLineNo(node);
	}
	(*n)++;
	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_need(c, node, "type", &type)) < 0 ||
	    (r = dom_enum(c, node, "type", type, dom_chr_types, ARRAY_SIZE(dom_chr_types), &v)) < 0)
		return r;
	chr->type = v;
	if (console)
		return dom_children(c, node, console_children, ARRAY_SIZE(console_children), chr);
	return dom_children(c, node, serial_children, ARRAY_SIZE(serial_children), chr);
}

static int parse_serial(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	return parse_chardev(c, node, false);
}

static int parse_console(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	return parse_chardev(c, node, true);
}

static int parse_mac(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "address", NULL };
	struct ferry_nic *nic = obj;
	_cleanup_xml_ char *addr = NULL;
	char q[DOM_QUOTE_MAX];
	uint8_t mac[6], any = 0;
	int r;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0 ||
	    (r = dom_need(c, node, "address", &addr)) < 0)
		return r;
	for (size_t i = 0; i < 6; i++) {
		const char *p = addr + 3 * i;
		int hi = strlen(addr) == 17 ? dom_hexval(p[0]) : -1;
		int lo = hi < 0 ? -1 : dom_hexval(p[1]);

		if (lo < 0 || (i < 5 && p[2] != ':'))
			return dom_fail(c, node, "<mac>: address '%s' is not a MAC address "
					"(xx:xx:xx:xx:xx:xx)", dom_quote(addr, q));
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	/* All zeros is how the definition says "none given". */
	if (!any)
		return dom_fail(c, node, "<mac>: address '%s' is all zeros", addr);
	memcpy(nic->mac, mac, sizeof(mac));
	return 0;
}

static int parse_nic_model(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", NULL };
	struct ferry_nic *nic = obj;
	_cleanup_xml_ char *type = NULL;
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0 ||
	    (r = dom_need(c, node, "type", &type)) < 0 ||
	    (r = dom_enum(c, node, "type", type, dom_net_models, ARRAY_SIZE(dom_net_models), &v)) < 0)
		return r;
	nic->model = v;
	return 0;
}

static int parse_interface(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", NULL };
	static const struct dom_child children[] = {
		{ "mac", true, 0, parse_mac },
		{ "model", true, 0, parse_nic_model },
	};
	struct ferry_domain_def *def = c->def;
	_cleanup_xml_ char *type = NULL;
	struct ferry_nic *nic;
	int r, v;

	if (def->nnics == FERRY_DOMAIN_MAX_NICS)
		return dom_fail(c, node, "more than %d <interface> elements in <devices>",
				FERRY_DOMAIN_MAX_NICS);
	nic = &def->nics[def->nnics];
	c->lines.nic[def->nnics++] = xmlGetLineNo(node);
	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_need(c, node, "type", &type)) < 0 ||
	    (r = dom_enum(c, node, "type", type, dom_net_types, ARRAY_SIZE(dom_net_types), &v)) < 0)
		return r;
	nic->type = v;
	if ((r = dom_children(c, node, children, ARRAY_SIZE(children), nic)) < 0)
		return r;
	/* Like libvirt: a NIC without an address gets one in QEMU's own prefix. */
	if (nic->type == FERRY_NET_USER &&
	    !(nic->mac[0] | nic->mac[1] | nic->mac[2] | nic->mac[3] | nic->mac[4] | nic->mac[5])) {
		nic->mac[0] = 0x52;
		nic->mac[1] = 0x54;
		nic->mac[2] = 0x00;
		if (dom_random(nic->mac + 3, 3) < 0)
			return dom_fail(c, node, "<interface>: no random bytes for a MAC address");
	}
	return 0;
}

static int parse_listen(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "address", NULL };
	static const struct dom_enum types[] = { { "address", 0 } };
	struct ferry_graphics *g = obj;
	_cleanup_xml_ char *type = NULL, *addr = NULL;
	char q[DOM_QUOTE_MAX], q2[DOM_QUOTE_MAX];
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	type = dom_prop(node, "type");
	if (type && (r = dom_enum(c, node, "type", type, types, ARRAY_SIZE(types), &v)) < 0)
		return r;
	if ((r = dom_need(c, node, "address", &addr)) < 0)
		return r;
	/* libvirt writes both forms; they must say the same thing. */
	if (g->listen && strcmp(g->listen, addr) != 0)
		return dom_fail(c, node, "<listen>: address '%s' differs from <graphics listen='%s'>",
				dom_quote(addr, q), dom_quote(g->listen, q2));
	return dom_copy(c, addr, &g->listen);
}

static int parse_graphics(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "port", "autoport", "listen", NULL };
	static const struct dom_enum types[] = { { "vnc", 0 } };
	static const struct dom_child children[] = {
		{ "listen", true, 0, parse_listen },
	};
	struct ferry_graphics *g = &c->def->graphics;
	_cleanup_xml_ char *type = NULL, *port = NULL, *listen = NULL;
	enum ferry_tristate autoport;
	char q[DOM_QUOTE_MAX];
	int r, v;

	g->present = true;
	g->port = -1;
	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_need(c, node, "type", &type)) < 0 ||
	    (r = dom_enum(c, node, "type", type, types, ARRAY_SIZE(types), &v)) < 0 ||
	    (r = dom_yesno(c, node, "autoport", &autoport)) < 0)
		return r;
	port = dom_prop(node, "port");
	if (port && ferry_parse_int(port, -1, 65535, &g->port) < 0)
		return dom_fail(c, node, "<graphics>: port '%s' is not -1 or a TCP port",
				dom_quote(port, q));
	listen = dom_prop(node, "listen");
	if (listen && (r = dom_copy(c, listen, &g->listen)) < 0)
		return r;
	if ((r = dom_children(c, node, children, ARRAY_SIZE(children), g)) < 0)
		return r;
	/*
	 * As libvirt: no autoport means "yes" unless a port is given, and
	 * with autoport a given port is only what a running guest happened
	 * to get, so it is dropped.
	 */
	g->autoport = autoport == FERRY_YES || (autoport == FERRY_UNSET && g->port == -1);
	if (g->autoport)
		g->port = -1;
	return 0;
}

int dom_parse_devices(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const struct dom_child children[] = {
		{ "disk", false, 0, parse_disk },
		{ "serial", false, 0, parse_serial },
		{ "console", false, 0, parse_console },
		{ "interface", false, 0, parse_interface },
		{ "graphics", true, LOC_GRAPHICS, parse_graphics },
	};
	int r = dom_attrs(c, node, NULL);

	return r < 0 ? r : dom_children(c, node, children, ARRAY_SIZE(children), NULL);
}

static bool port_taken(const struct ferry_chardev *chrs, size_t n, const bool *set, size_t self,
		       unsigned port)
{
	for (size_t i = 0; i < n; i++)
		if (i != self && set[i] && chrs[i].port == port &&
		    chrs[i].target == chrs[self].target)
			return true;
	return false;
}

/* Give each port-less chardev the lowest port its kind has free, in document order. */
static void number(struct ferry_chardev *chrs, size_t n, bool *set)
{
	for (size_t i = 0; i < n; i++) {
		unsigned port = 0;

		if (set[i])
			continue;
		while (port_taken(chrs, n, set, i, port))
			port++;
		chrs[i].port = port;
		set[i] = true;
	}
}

void dom_number_ports(struct dom_ctx *c)
{
	number(c->def->serials, c->def->nserials, c->serial_port_set);
	number(c->def->consoles, c->def->nconsoles, c->console_port_set);
}

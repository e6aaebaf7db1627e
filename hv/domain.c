/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain.c - reading a domain XML document: the top-level elements, the
 * defaults a parsed definition gets, and the final check. The strict walk
 * is in domain-xml.c, devices in domain-devices.c, the rules in
 * domain-validate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "domain-priv.h"
#include "util.h"

static int parse_name(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	char q[DOM_QUOTE_MAX];
	_cleanup_free_ char *s = NULL;
	int r;

	if ((r = dom_attrs(c, node, NULL)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	if (strlen(s) > FERRY_DOMAIN_NAME_MAX)
		return dom_fail(c, node, "<name>: '%s' is longer than %d characters",
				dom_quote(s, q), FERRY_DOMAIN_NAME_MAX);
	memcpy(c->def->name, s, strlen(s) + 1);
	return 0;
}

int ferry_uuid_parse(const char *s, uint8_t uuid[16])
{
	size_t n = 0;

	if (strlen(s) != FERRY_UUID_STRLEN - 1)
		return -EINVAL;
	for (size_t i = 0; i < FERRY_UUID_STRLEN - 1; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hi = dom_hexval(s[i]);
		lo = dom_hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}

static int parse_uuid(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	char q[DOM_QUOTE_MAX];
	_cleanup_free_ char *s = NULL;
	int r;

	if ((r = dom_attrs(c, node, NULL)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	if (ferry_uuid_parse(s, c->def->uuid) < 0)
		return dom_fail(c, node, "<uuid>: '%s' is not a UUID "
				"(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", dom_quote(s, q));
	return 0;
}

static int parse_description(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	int r = dom_attrs(c, node, NULL);

	return r < 0 ? r : dom_text(c, node, false, &c->def->description);
}

/* libvirt's units: bare letters and IEC names are powers of 1024, SI names of 1000. */
static const struct {
	const char *name;
	uint64_t bytes;
} mem_units[] = {
	{ "b", 1 }, { "bytes", 1 },
	{ "k", 1ull << 10 }, { "KiB", 1ull << 10 }, { "KB", 1000ull },
	{ "m", 1ull << 20 }, { "MiB", 1ull << 20 }, { "MB", 1000000ull },
	{ "g", 1ull << 30 }, { "GiB", 1ull << 30 }, { "GB", 1000000000ull },
	{ "t", 1ull << 40 }, { "TiB", 1ull << 40 }, { "TB", 1000000000000ull },
};

static int parse_unit(struct dom_ctx *c, xmlNodePtr node, const char *unit, uint64_t *mul)
{
	char q[DOM_QUOTE_MAX], list[160] = "";
	size_t off = 0;

	if (!unit) {
		*mul = 1024;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(mem_units); i++) {
		int k;

		if (strcmp(unit, mem_units[i].name) == 0) {
			*mul = mem_units[i].bytes;
			return 0;
		}
		k = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
			     mem_units[i].name);
		off += (k > 0 && (size_t)k < sizeof(list) - off) ? (size_t)k : 0;
	}
	return dom_fail(c, node, "<%s>: unit '%s' is not one of %s", (const char *)node->name,
			dom_quote(unit, q), list);
}

/* <memory> and <currentMemory>: a count of @unit, stored in KiB rounded up. */
static int parse_mem(struct dom_ctx *c, xmlNodePtr node, uint64_t *kib)
{
	static const char *const attrs[] = { "unit", NULL };
	_cleanup_xml_ char *unit = NULL;
	_cleanup_free_ char *s = NULL;
	char q[DOM_QUOTE_MAX];
	uint64_t n, mul = 1024, bytes;
	int r;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	unit = dom_prop(node, "unit");
	if ((r = parse_unit(c, node, unit, &mul)) < 0)
		return r;
	r = ferry_parse_u64(s, UINT64_MAX, &n);
	if (r == -ERANGE || (r == 0 && n > UINT64_MAX / mul))
		return dom_fail(c, node, "<%s>: '%s' is too large", (const char *)node->name,
				dom_quote(s, q));
	if (r < 0)
		return dom_fail(c, node, "<%s>: '%s' is not a number", (const char *)node->name,
				dom_quote(s, q));
	bytes = n * mul;
	*kib = bytes / 1024 + (bytes % 1024 != 0);
	return 0;
}

static int parse_memory(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	return parse_mem(c, node, &c->def->memory_kib);
}

static int parse_current_memory(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	return parse_mem(c, node, &c->def->current_memory_kib);
}

static int parse_vcpu(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "placement", NULL };
	/* libvirt writes placement='static' on every <vcpu>; it is the only kind. */
	static const struct dom_enum placements[] = { { "static", 0 } };
	_cleanup_xml_ char *placement = NULL;
	_cleanup_free_ char *s = NULL;
	char q[DOM_QUOTE_MAX];
	uint32_t n;
	int r, unused;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	placement = dom_prop(node, "placement");
	if (placement && (r = dom_enum(c, node, "placement", placement, placements,
				       ARRAY_SIZE(placements), &unused)) < 0)
		return r;
	if (ferry_parse_u32(s, &n) < 0)
		return dom_fail(c, node, "<vcpu>: '%s' is not a number from 1 to %d",
				dom_quote(s, q), FERRY_DOMAIN_MAX_VCPUS);
	c->def->vcpus = n;
	return 0;
}

static int parse_os_type(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	static const struct dom_enum archs[] = { { "x86_64", 0 } };
	static const struct dom_enum os_types[] = { { "hvm", 0 } };
	_cleanup_xml_ char *arch = NULL, *machine = NULL;
	_cleanup_free_ char *s = NULL;
	char q[DOM_QUOTE_MAX];
	int r, unused;

	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	arch = dom_prop(node, "arch");
	if (arch && (r = dom_enum(c, node, "arch", arch, archs, ARRAY_SIZE(archs), &unused)) < 0)
		return r;
	machine = dom_prop(node, "machine");
	if (machine && strlen(machine) > FERRY_DOMAIN_MACHINE_MAX)
		return dom_fail(c, node, "<type>: machine '%s' is longer than %d characters",
				dom_quote(machine, q), FERRY_DOMAIN_MACHINE_MAX);
	if (machine)
		memcpy(c->def->machine, machine, strlen(machine) + 1);
	return dom_enum(c, node, NULL, s, os_types, ARRAY_SIZE(os_types), &unused);
}

/* Only a ROM image: pflash firmware would need writable NVRAM, not in the subset. */
static int parse_loader_type(struct dom_ctx *c, xmlNodePtr node)
{
	static const char *const attrs[] = { "type", "readonly", NULL };
	static const struct dom_enum types[] = { { "rom", 0 } };
	static const struct dom_enum yes[] = { { "yes", 0 } };
	_cleanup_xml_ char *type = NULL, *ro = NULL;
	int r, v;

	if ((r = dom_attrs(c, node, attrs)) < 0)
		return r;
	type = dom_prop(node, "type");
	if (type && (r = dom_enum(c, node, "type", type, types, ARRAY_SIZE(types), &v)) < 0)
		return r;
	ro = dom_prop(node, "readonly");
	return ro ? dom_enum(c, node, "readonly", ro, yes, ARRAY_SIZE(yes), &v) : 0;
}

static int parse_os_path(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	char **field;
	int r = strcmp((const char *)node->name, "loader") == 0 ? parse_loader_type(c, node)
								  : dom_attrs(c, node, NULL);

	if (r < 0)
		return r;
	if (strcmp((const char *)node->name, "kernel") == 0)
		field = &c->def->kernel;
	else if (strcmp((const char *)node->name, "loader") == 0)
		field = &c->def->loader;
	else if (strcmp((const char *)node->name, "initrd") == 0)
		field = &c->def->initrd;
	else
		field = &c->def->cmdline;
	return dom_text(c, node, true, field);
}

static int parse_os(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const struct dom_child children[] = {
		{ "type", true, LOC_OS_TYPE, parse_os_type },
		{ "loader", true, LOC_LOADER, parse_os_path },
		{ "kernel", true, LOC_KERNEL, parse_os_path },
		{ "initrd", true, LOC_INITRD, parse_os_path },
		{ "cmdline", true, LOC_CMDLINE, parse_os_path },
	};
	int r;

	if ((r = dom_attrs(c, node, NULL)) < 0 ||
	    (r = dom_children(c, node, children, ARRAY_SIZE(children), NULL)) < 0)
		return r;
	if (!c->lines.loc[LOC_OS_TYPE])
		return dom_fail(c, node, "<os>: element <type> is required");
	return 0;
}

static int parse_feature(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const struct dom_enum features[] = {
		{ "acpi", FERRY_FEATURE_ACPI },
		{ "apic", FERRY_FEATURE_APIC },
		{ "pae", FERRY_FEATURE_PAE },
	};
	int r, bit = 0;

	if ((r = dom_attrs(c, node, NULL)) < 0 || (r = dom_empty(c, node)) < 0)
		return r;
	r = dom_enum(c, node, NULL, (const char *)node->name, features, ARRAY_SIZE(features), &bit);
	c->def->features |= (unsigned)bit;
	return r;
}

static int parse_features(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const struct dom_child children[] = {
		{ "acpi", true, 0, parse_feature },
		{ "apic", true, 0, parse_feature },
		{ "pae", true, 0, parse_feature },
	};
	int r = dom_attrs(c, node, NULL);

	return r < 0 ? r : dom_children(c, node, children, ARRAY_SIZE(children), NULL);
}

static int parse_lifecycle(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	_cleanup_free_ char *s = NULL;
	enum ferry_lifecycle *field;
	int r, v;

	if ((r = dom_attrs(c, node, NULL)) < 0 || (r = dom_text(c, node, true, &s)) < 0)
		return r;
	if (strcmp((const char *)node->name, "on_poweroff") == 0)
		field = &c->def->on_poweroff;
	else if (strcmp((const char *)node->name, "on_reboot") == 0)
		field = &c->def->on_reboot;
	else
		field = &c->def->on_crash;
	r = dom_enum(c, node, NULL, s, dom_lifecycles, ARRAY_SIZE(dom_lifecycles), &v);
	if (r == 0)
		*field = v;
	return r;
}

static int parse_seclabel_text(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	struct ferry_seclabel *sl = obj;
	char **field = strcmp((const char *)node->name, "label") == 0 ? &sl->label
								       : &sl->imagelabel;
	int r = dom_attrs(c, node, NULL);

	return r < 0 ? r : dom_text(c, node, true, field);
}

static int parse_seclabel(struct dom_ctx *c, xmlNodePtr node, void *obj)
{
	static const char *const attrs[] = { "type", "model", "relabel", NULL };
	static const struct dom_child children[] = {
		{ "label", true, 0, parse_seclabel_text },
		{ "imagelabel", true, 0, parse_seclabel_text },
	};
	struct ferry_domain_def *def = c->def;
	_cleanup_xml_ char *type = NULL, *model = NULL;
	struct ferry_seclabel *sl;
	int r, v;

	if (def->nseclabels == FERRY_DOMAIN_MAX_SECLABELS)
		return dom_fail(c, node, "more than %d <seclabel> elements",
				FERRY_DOMAIN_MAX_SECLABELS);
	sl = &def->seclabels[def->nseclabels];
	c->lines.seclabel[def->nseclabels++] = xmlGetLineNo(node);
	if ((r = dom_attrs(c, node, attrs)) < 0 || (r = dom_need(c, node, "type", &type)) < 0)
		return r;
	r = dom_enum(c, node, "type", type, dom_seclabel_types,
		     ARRAY_SIZE(dom_seclabel_types), &v);
	if (r < 0)
		return r;
	sl->type = v;
	model = dom_prop(node, "model");
	if (model) {
		r = dom_enum(c, node, "model", model, dom_seclabel_models,
			     ARRAY_SIZE(dom_seclabel_models), &v);
		if (r < 0)
			return r;
		sl->model = v;
	}
	if ((r = dom_yesno(c, node, "relabel", &sl->relabel)) < 0)
		return r;
	return dom_children(c, node, children, ARRAY_SIZE(children), sl);
}

static const struct dom_child domain_children[] = {
	{ "name", true, LOC_NAME, parse_name },
	{ "uuid", true, LOC_UUID, parse_uuid },
	{ "description", true, LOC_DESCRIPTION, parse_description },
	{ "memory", true, LOC_MEMORY, parse_memory },
	{ "currentMemory", true, LOC_CURRENT_MEMORY, parse_current_memory },
	{ "vcpu", true, LOC_VCPU, parse_vcpu },
	{ "os", true, LOC_OS, parse_os },
	{ "features", true, LOC_FEATURES, parse_features },
	{ "on_poweroff", true, LOC_ON_POWEROFF, parse_lifecycle },
	{ "on_reboot", true, LOC_ON_REBOOT, parse_lifecycle },
	{ "on_crash", true, LOC_ON_CRASH, parse_lifecycle },
	{ "devices", true, LOC_DEVICES, dom_parse_devices },
	{ "seclabel", false, 0, parse_seclabel },
};

static int parse_root(struct dom_ctx *c, xmlNodePtr root)
{
	static const char *const attrs[] = { "type", NULL };
	static const struct dom_enum types[] = {
		{ "kvm", FERRY_VIRT_KVM },
		{ "qemu", FERRY_VIRT_QEMU },
	};
	static const struct {
		enum dom_loc loc;
		const char *name;
	} required[] = { { LOC_NAME, "name" }, { LOC_MEMORY, "memory" }, { LOC_OS, "os" } };
	_cleanup_xml_ char *type = NULL;
	char q[DOM_QUOTE_MAX];
	int r, v = 0;

	if (strcmp((const char *)root->name, "domain") != 0)
		return dom_fail(c, root, "the root element is <%s>, not <domain>",
				dom_quote((const char *)root->name, q));
	if (root->ns)
		return dom_fail(c, root, "<domain> is in a namespace; domain XML has none");
	c->lines.loc[LOC_DOMAIN] = xmlGetLineNo(root);
	if ((r = dom_attrs(c, root, attrs)) < 0 || (r = dom_need(c, root, "type", &type)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i].name) == 0)
			v = types[i].value;
	if (!v)
		return dom_fail(c, root, "domain type '%s' is not handled by the qemu driver",
				dom_quote(type, q));
	c->def->type = v;
	r = dom_children(c, root, domain_children, ARRAY_SIZE(domain_children), NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!c->lines.loc[required[i].loc])
			return dom_fail(c, root, "<domain>: element <%s> is required",
					required[i].name);
	return 0;
}

static long problem_line(const struct dom_lines *l, const struct dom_problem *p)
{
	long line;

	switch (p->loc) {
	case LOC_DISK:
		line = l->disk[p->index];
		break;
	case LOC_SERIAL:
		line = l->serial[p->index];
		break;
	case LOC_CONSOLE:
		line = l->console[p->index];
		break;
	case LOC_INTERFACE:
		line = l->nic[p->index];
		break;
	case LOC_SECLABEL:
		line = l->seclabel[p->index];
		break;
	default:
		line = l->loc[p->loc];
		break;
	}
	/* A rule about an absent element speaks of the whole domain. */
	return line > 0 ? line : l->loc[LOC_DOMAIN];
}

/* Defaults that make a parsed definition complete, hence format a fixed point. */
static int fill_defaults(struct dom_ctx *c)
{
	uint8_t *uuid = c->def->uuid;

	if (!c->lines.loc[LOC_UUID]) {
		if (dom_random(uuid, 16) < 0) {
			snprintf(c->err, c->errlen, "<uuid>: no random bytes to generate one");
			return -EIO;
		}
		/* RFC 4122 version 4, variant 1: a random UUID that says so. */
		uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
		uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	}
	if (!c->lines.loc[LOC_VCPU])
		c->def->vcpus = 1;
	dom_number_ports(c);
	return 0;
}

int ferry_domain_parse(const char *xml, size_t len, struct ferry_domain_def **out,
		       char *err, size_t errlen)
{
	struct dom_ctx c = { .err = err, .errlen = errlen };
	_cleanup_domain_ struct ferry_domain_def *def = NULL;
	struct dom_problem p;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int r;

	if (errlen)
		err[0] = '\0';
	if (len > FERRY_DOMAIN_MAX_XML) {
		snprintf(err, errlen, "domain XML is %zu bytes, more than the %d allowed",
			 len, FERRY_DOMAIN_MAX_XML);
		return -E2BIG;
	}
	if (len == 0) {
		snprintf(err, errlen, "domain XML is empty");
		return -EINVAL;
	}
	def = calloc(1, sizeof(*def));
	if (!def)
		return dom_oom(&c);
	c.def = def;
	if ((r = dom_read_doc(&c, xml, len, &doc)) < 0)
		return r;
	root = xmlDocGetRootElement(doc);
	r = root ? parse_root(&c, root) : dom_fail(&c, NULL, "domain XML has no root element");
	xmlFreeDoc(doc);
	if (r < 0 || (r = fill_defaults(&c)) < 0)
		return r;
	if (domain_check(def, &p) < 0) {
		snprintf(err, errlen, "line %ld: %s", problem_line(&c.lines, &p), p.msg);
		return -EINVAL;
	}
	*out = steal_ptr(def);
	return 0;
}

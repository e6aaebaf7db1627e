/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-priv.h - what the domain parser, checker and formatter share.
 *
 * The rules live in one place, domain_check(), which reports a problem as
 * a locator (which element, which device) plus a message. The parser maps
 * the locator to the line it read that element from; a caller of
 * ferry_domain_validate() gets the message alone. The parser itself only
 * does syntax: element and attribute names, enums, numbers, units.
 */
#ifndef FERRY_DOMAIN_PRIV_H
#define FERRY_DOMAIN_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "domain.h"

enum dom_loc {
	LOC_DOMAIN = 0,
	LOC_NAME,
	LOC_UUID,
	LOC_DESCRIPTION,
	LOC_MEMORY,
	LOC_CURRENT_MEMORY,
	LOC_VCPU,
	LOC_OS,
	LOC_OS_TYPE,
	LOC_LOADER,
	LOC_KERNEL,
	LOC_INITRD,
	LOC_CMDLINE,
	LOC_FEATURES,
	LOC_ON_POWEROFF,
	LOC_ON_REBOOT,
	LOC_ON_CRASH,
	LOC_DEVICES,
	LOC_GRAPHICS,
	/* Repeated elements: the index says which one. */
	LOC_DISK,
	LOC_SERIAL,
	LOC_CONSOLE,
	LOC_INTERFACE,
	LOC_SECLABEL,
	LOC_COUNT,
};

struct dom_problem {
	enum dom_loc loc;
	size_t index;
	char msg[512];
};

/* Every rule a definition must satisfy; 0, or -EINVAL with @p filled. */
int domain_check(const struct ferry_domain_def *def, struct dom_problem *p);

/* Where the parser read each element, for domain_check()'s locators. */
struct dom_lines {
	long loc[LOC_COUNT];
	long disk[FERRY_DOMAIN_MAX_DISKS];
	long serial[FERRY_DOMAIN_MAX_SERIALS];
	long console[FERRY_DOMAIN_MAX_CONSOLES];
	long nic[FERRY_DOMAIN_MAX_NICS];
	long seclabel[FERRY_DOMAIN_MAX_SECLABELS];
};

struct dom_ctx {
	struct ferry_domain_def *def;
	struct dom_lines lines;
	/* Ports given in the document; the rest are numbered after parsing. */
	bool serial_port_set[FERRY_DOMAIN_MAX_SERIALS];
	bool console_port_set[FERRY_DOMAIN_MAX_CONSOLES];
	char *err;
	size_t errlen;
};

/*
 * A child element a container accepts; @once refuses a second one, and a
 * non-zero @loc records its line in dom_ctx.lines.
 */
struct dom_child {
	const char *name;
	bool once;
	enum dom_loc loc;
	int (*fn)(struct dom_ctx *c, xmlNodePtr node, void *obj);
};

/* A spelling in the XML and the enum value it stands for. */
struct dom_enum {
	const char *name;
	int value;
};

/*
 * A value from the document, fit for a message: at most 48 characters,
 * anything but printable ASCII shown as '?', "..." when cut.
 */
#define DOM_QUOTE_MAX 56
const char *dom_quote(const char *s, char buf[DOM_QUOTE_MAX]);

int dom_oom(struct dom_ctx *c);
int dom_hexval(char ch);
int dom_read_doc(struct dom_ctx *c, const char *xml, size_t len, xmlDocPtr *out);
int dom_fail(struct dom_ctx *c, xmlNodePtr node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dom_attrs(struct dom_ctx *c, xmlNodePtr node, const char *const *allowed);
int dom_children(struct dom_ctx *c, xmlNodePtr node, const struct dom_child *table,
		 size_t n, void *obj);
int dom_empty(struct dom_ctx *c, xmlNodePtr node);
int dom_text(struct dom_ctx *c, xmlNodePtr node, bool trim, char **out);
char *dom_prop(xmlNodePtr node, const char *name);
int dom_need(struct dom_ctx *c, xmlNodePtr node, const char *attr, char **out);
int dom_enum(struct dom_ctx *c, xmlNodePtr node, const char *what, const char *value,
	     const struct dom_enum *table, size_t n, int *out);
int dom_yesno(struct dom_ctx *c, xmlNodePtr node, const char *attr, enum ferry_tristate *out);
int dom_copy(struct dom_ctx *c, const char *value, char **out);

int dom_parse_devices(struct dom_ctx *c, xmlNodePtr node, void *obj);
void dom_number_ports(struct dom_ctx *c);

/* Spellings shared by the parser and the formatter. */
extern const struct dom_enum dom_lifecycles[6];
extern const struct dom_enum dom_disk_formats[2];
extern const struct dom_enum dom_disk_buses[3];
extern const struct dom_enum dom_chr_types[2];
extern const struct dom_enum dom_console_targets[2];
extern const struct dom_enum dom_net_types[2];
extern const struct dom_enum dom_net_models[2];
extern const struct dom_enum dom_seclabel_types[3];
extern const struct dom_enum dom_seclabel_models[2];
const char *dom_enum_name(const struct dom_enum *table, size_t n, int value);
#define DOM_ENUM_NAME(table, v) dom_enum_name(table, ARRAY_SIZE(table), (int)(v))

/* 52:54:00:xx:xx:xx, and a random UUID: the defaults the parser fills in. */
int dom_random(void *buf, size_t len);

static inline void xml_freep(void *p)
{
	xmlFree(*(void **)p);
}

#define _cleanup_xml_ __attribute__((cleanup(xml_freep)))

#endif

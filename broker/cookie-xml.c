/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cookie-xml.c - reading a migration cookie.
 *
 * A cookie comes from the peer broker, so it is read like any untrusted
 * document: libxml2 set up as for domain XML (hv/domain-xml.c), fetching,
 * loading and expanding nothing, then a strict walk that names every
 * element, attribute or value it refuses and its line. The reader and the
 * walk are the cookie's own rather than the domain parser's because their
 * messages are about cookies ("cookie line N: ..."), a contract callers
 * and peers see; only the generic pieces (quoting, hex digits, UUID text)
 * come from hv/. Values are judged by the validators in cookie.c, the same
 * ones format() applies.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "cookie-priv.h"
#include "hv/xml-read.h"
#include "hv/domain-priv.h"
#include "util.h"

struct ck_ctx {
	struct ferry_cookie *c;
	long seen[SLOT_COUNT];			/* line of each singleton, 0: absent */
	long declared[ARRAY_SIZE(cookie_features)];	/* line of each known <feature> */
	char *err;
	size_t errlen;
};

/* Where @node was read, for "first on line N"; 1 when libxml2 does not know. */
static long line_of(xmlNodePtr node)
{
	long line = node ? xmlGetLineNo(node) : 0;

	return line > 0 ? line : 1;
}

/* "cookie line N: ..." with @line > 0, "cookie: ..." without. */
static int __attribute__((format(printf, 3, 4)))
ck_fail_at(struct ck_ctx *x, long line, const char *fmt, ...)
{
	size_t off;
	va_list ap;
	int n;

	if (x->errlen == 0)
		return -EINVAL;
	if (line > 0)
		n = snprintf(x->err, x->errlen, "cookie line %ld: ", line);
	else
		n = snprintf(x->err, x->errlen, "cookie: ");
	off = n < 0 ? 0 : (size_t)n;
	if (off >= x->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(x->err + off, x->errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define ck_fail(x, node, ...) ck_fail_at(x, line_of(node), __VA_ARGS__)

static int ck_oom(struct ck_ctx *x)
{
	if (x->errlen)
		snprintf(x->err, x->errlen, "cookie: out of memory");
	return -ENOMEM;
}

/* ---- The reader, shared with the domain XML's. ---- */

static int read_doc(struct ck_ctx *x, const char *xml, size_t len, xmlDocPtr *out)
{
	int r = ferry_xml_read(xml, len, "cookie line", "a migration cookie", out, x->err, x->errlen);

	return r == -ENOMEM ? ck_oom(x) : r;
}

/* ---- The walk. ---- */

static bool is_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/*
 * Refuse a node that has no business inside @parent: 1 for an element the
 * caller must look at, 0 for one to skip (comments, allowed text).
 */
static int check_node(struct ck_ctx *x, xmlNodePtr parent, xmlNodePtr k, bool text_ok)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX], pq[DOM_QUOTE_MAX];

	switch (k->type) {
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (text_ok || is_blank(k->content))
			return 0;
		return ck_fail(x, k, "text is not allowed in <%s>",
			       dom_quote((const char *)parent->name, qp));
	case XML_ELEMENT_NODE:
		break;
	default:
		return ck_fail(x, k, "unexpected content in <%s>",
			       dom_quote((const char *)parent->name, qp));
	}
	if (k->ns)
		return ck_fail(x, k, "element <%s%s%s> is not part of a migration cookie",
			       k->ns->prefix ? dom_quote((const char *)k->ns->prefix, pq) : "",
			       k->ns->prefix ? ":" : "", dom_quote((const char *)k->name, q));
	return 1;
}

static int unknown_element(struct ck_ctx *x, xmlNodePtr parent, xmlNodePtr k)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX];

	if (!parent->parent || parent->parent->type != XML_ELEMENT_NODE)
		return ck_fail(x, k, "element <%s> is not part of a migration cookie",
			       dom_quote((const char *)k->name, q));
	return ck_fail(x, k, "element <%s> is not part of a migration cookie's <%s>",
		       dom_quote((const char *)k->name, q),
		       dom_quote((const char *)parent->name, qp));
}

/* Refuse any attribute not in @allowed (NULL-terminated, or NULL for none). */
static int check_attrs(struct ck_ctx *x, xmlNodePtr node, const char *const *allowed)
{
	char q[DOM_QUOTE_MAX], qe[DOM_QUOTE_MAX], pq[DOM_QUOTE_MAX];

	for (xmlAttrPtr a = node->properties; a; a = a->next) {
		bool ok = false;

		for (size_t i = 0; !a->ns && allowed && allowed[i]; i++)
			ok = ok || strcmp((const char *)a->name, allowed[i]) == 0;
		if (!ok)
			return ck_fail(x, node, "attribute '%s%s%s' on <%s> is not part of a "
				       "migration cookie",
				       a->ns && a->ns->prefix ?
				       dom_quote((const char *)a->ns->prefix, pq) : "",
				       a->ns && a->ns->prefix ? ":" : "",
				       dom_quote((const char *)a->name, q),
				       dom_quote((const char *)node->name, qe));
	}
	return 0;
}

/* An element with neither children nor text. */
static int check_empty(struct ck_ctx *x, xmlNodePtr node)
{
	for (xmlNodePtr k = node->children; k; k = k->next) {
		int r = check_node(x, node, k, false);

		if (r > 0)
			return unknown_element(x, node, k);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An element of text only, no attributes; *@text points into *@content. */
static int get_text(struct ck_ctx *x, xmlNodePtr node, bool do_trim, xmlChar **content,
		    char **text)
{
	int r = check_attrs(x, node, NULL);

	for (xmlNodePtr k = node->children; r == 0 && k; k = k->next) {
		r = check_node(x, node, k, true);
		if (r > 0)
			return unknown_element(x, node, k);
	}
	if (r < 0)
		return r;
	*content = xmlNodeGetContent(node);
	if (!*content)
		return ck_oom(x);
	*text = do_trim ? ferry_trim_xml_space((char *)*content) : (char *)*content;
	return 0;
}

/* Text checked by @problem into a buffer that @problem's length limit fits. */
static int text_into(struct ck_ctx *x, xmlNodePtr node, bool do_trim,
		     const char *(*problem)(const char *), char *buf)
{
	char q[DOM_QUOTE_MAX], qe[DOM_QUOTE_MAX];
	_cleanup_xml_ xmlChar *content = NULL;
	const char *why;
	char *s;
	int r = get_text(x, node, do_trim, &content, &s);

	if (r < 0)
		return r;
	why = problem(s);
	if (why)
		return ck_fail(x, node, "<%s>: '%s' %s", dom_quote((const char *)node->name, qe),
			       dom_quote(s, q), why);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int uuid_into(struct ck_ctx *x, xmlNodePtr node, uint8_t uuid[16])
{
	char q[DOM_QUOTE_MAX], qe[DOM_QUOTE_MAX];
	_cleanup_xml_ xmlChar *content = NULL;
	char *s;
	int r = get_text(x, node, true, &content, &s);

	if (r < 0)
		return r;
	if (ferry_uuid_parse(s, uuid) < 0)
		return ck_fail(x, node, "<%s>: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-"
			       "xxxxxxxxxxxx)", dom_quote((const char *)node->name, qe),
			       dom_quote(s, q));
	return 0;
}

static int parse_port(struct ck_ctx *x, xmlNodePtr node, const char *attr, int *out)
{
	char q[DOM_QUOTE_MAX];
	_cleanup_xml_ char *v = dom_prop(node, attr);

	*out = -1;
	if (v && ferry_parse_int(v, 1, 65535, out) < 0)
		return ck_fail(x, node, "<graphics>: %s '%s' is not a port number (1-65535)",
			       attr, dom_quote(v, q));
	return 0;
}

static int parse_graphics(struct ck_ctx *x, xmlNodePtr node)
{
	static const char *const attrs[] = { "type", "port", "tlsPort", "listen", NULL };
	struct ferry_cookie_graphics *g = &x->c->graphics;
	_cleanup_xml_ char *type = NULL, *listen = NULL;
	char q[DOM_QUOTE_MAX];
	const char *why;
	int r;

	if ((r = check_attrs(x, node, attrs)) < 0 || (r = check_empty(x, node)) < 0)
		return r;
	type = dom_prop(node, "type");
	if (!type)
		return ck_fail(x, node, "<graphics>: attribute 'type' is required");
	if (strcmp(type, "vnc") != 0)
		return ck_fail(x, node, "<graphics>: type '%s' is not vnc", dom_quote(type, q));
	g->type = FERRY_COOKIE_VNC;
	if ((r = parse_port(x, node, "port", &g->port)) < 0 ||
	    (r = parse_port(x, node, "tlsPort", &g->tls_port)) < 0)
		return r;
	listen = dom_prop(node, "listen");
	if (!listen)
		return 0;
	if ((why = cookie_listen_problem(listen)))
		return ck_fail(x, node, "<graphics>: listen '%s' %s", dom_quote(listen, q), why);
	memcpy(g->listen, listen, strlen(listen) + 1);
	return 0;
}

static int parse_lockstate(struct ck_ctx *x, xmlNodePtr node)
{
	static const char *const attrs[] = { "driver", NULL };
	struct ferry_cookie_lockstate *ls = &x->c->lockstate;
	_cleanup_xml_ char *driver = NULL;
	char q[DOM_QUOTE_MAX];
	const char *why;
	long leases_line = 0;
	int r;

	if ((r = check_attrs(x, node, attrs)) < 0)
		return r;
	driver = dom_prop(node, "driver");
	if (!driver)
		return ck_fail(x, node, "<lockstate>: attribute 'driver' is required");
	if ((why = cookie_driver_problem(driver)))
		return ck_fail(x, node, "<lockstate>: driver '%s' %s", dom_quote(driver, q), why);
	memcpy(ls->driver, driver, strlen(driver) + 1);
	for (xmlNodePtr k = node->children; k; k = k->next) {
		if ((r = check_node(x, node, k, false)) <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		if (strcmp((const char *)k->name, "leases") != 0)
			return unknown_element(x, node, k);
		if (leases_line)
			return ck_fail(x, k, "element <leases> appears twice (first on line %ld)",
				       leases_line);
		leases_line = line_of(k);
		/* Opaque: kept byte for byte, surrounding blanks included. */
		if ((r = text_into(x, k, false, cookie_leases_problem, ls->leases)) < 0)
			return r;
	}
	return 0;
}

static int parse_stat(struct ck_ctx *x, xmlNodePtr node, size_t i)
{
	char q[DOM_QUOTE_MAX];
	_cleanup_xml_ xmlChar *content = NULL;
	const struct cookie_stat_field *f = &cookie_stat_fields[i];
	struct ferry_cookie_stats *st = &x->c->stats;
	char *s;
	int r = get_text(x, node, true, &content, &s);

	if (r < 0)
		return r;
	if (f->bit == FERRY_COOKIE_STAT_MBPS)
		r = cookie_mbps_parse(s, &st->mbps);
	else
		r = ferry_parse_u64(s, UINT64_MAX, (uint64_t *)((char *)st + f->off));
	if (r == -ERANGE)
		return ck_fail(x, node, "<%s>: '%s' is too large", f->name, dom_quote(s, q));
	if (r < 0)
		return ck_fail(x, node, "<%s>: '%s' is not %s", f->name, dom_quote(s, q),
			       f->bit == FERRY_COOKIE_STAT_MBPS ?
			       "a decimal number with at most 3 decimals" : "an unsigned number");
	st->present |= f->bit;
	return 0;
}

static int parse_statistics(struct ck_ctx *x, xmlNodePtr node)
{
	long seen[ARRAY_SIZE(cookie_stat_fields)] = { 0 };
	int r = check_attrs(x, node, NULL);

	for (xmlNodePtr k = node->children; r == 0 && k; k = k->next) {
		size_t i;

		if ((r = check_node(x, node, k, false)) <= 0)
			continue;
		for (i = 0; i < ARRAY_SIZE(cookie_stat_fields); i++)
			if (strcmp((const char *)k->name, cookie_stat_fields[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(cookie_stat_fields))
			return unknown_element(x, node, k);
		if (seen[i])
			return ck_fail(x, k, "element <%s> appears twice (first on line %ld)",
				       cookie_stat_fields[i].name, seen[i]);
		seen[i] = line_of(k);
		r = parse_stat(x, k, i);
	}
	return r < 0 ? r : 0;
}

static int parse_feature(struct ck_ctx *x, xmlNodePtr node)
{
	static const char *const attrs[] = { "name", "mandatory", NULL };
	_cleanup_xml_ char *name = NULL, *mandatory = NULL;
	char q[DOM_QUOTE_MAX];
	bool must = false;
	size_t i;
	int r;

	if ((r = check_attrs(x, node, attrs)) < 0 || (r = check_empty(x, node)) < 0)
		return r;
	name = dom_prop(node, "name");
	if (!name)
		return ck_fail(x, node, "<feature>: attribute 'name' is required");
	mandatory = dom_prop(node, "mandatory");
	if (mandatory && strcmp(mandatory, "yes") != 0 && strcmp(mandatory, "no") != 0)
		return ck_fail(x, node, "<feature>: mandatory '%s' is not yes or no",
			       dom_quote(mandatory, q));
	must = mandatory && strcmp(mandatory, "yes") == 0;
	for (i = 0; i < ARRAY_SIZE(cookie_features); i++)
		if (strcmp(name, cookie_features[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(cookie_features)) {
		/* A newer peer's optional extra: nothing this host needs to act on. */
		if (!must)
			return 0;
		snprintf(x->err, x->errlen, "cookie requires feature '%s', which this host does "
			 "not support (line %ld)", dom_quote(name, q), line_of(node));
		return -EINVAL;
	}
	if (x->declared[i])
		return ck_fail(x, node, "feature '%s' is declared twice (first on line %ld)",
			       cookie_features[i].name, x->declared[i]);
	x->declared[i] = line_of(node);
	x->c->features |= cookie_features[i].bit;
	if (must)
		x->c->mandatory |= cookie_features[i].bit;
	return 0;
}

static const char *const slot_names[SLOT_COUNT] = {
	"name", "uuid", "hostname", "hostuuid", "graphics", "lockstate", "statistics", "token",
};

static int parse_slot(struct ck_ctx *x, xmlNodePtr node, enum cookie_slot slot)
{
	struct ferry_cookie *c = x->c;

	switch (slot) {
	case SLOT_NAME:
		return text_into(x, node, true, cookie_name_problem, c->name);
	case SLOT_UUID:
		return uuid_into(x, node, c->uuid);
	case SLOT_HOSTNAME:
		return text_into(x, node, true, cookie_hostname_problem, c->hostname);
	case SLOT_HOSTUUID:
		return uuid_into(x, node, c->host_uuid);
	case SLOT_GRAPHICS:
		return parse_graphics(x, node);
	case SLOT_LOCKSTATE:
		return parse_lockstate(x, node);
	case SLOT_STATISTICS:
		return parse_statistics(x, node);
	case SLOT_TOKEN:
		return text_into(x, node, true, cookie_token_problem, c->token);
	default:
		return -EINVAL;
	}
}

static int parse_child(struct ck_ctx *x, xmlNodePtr root, xmlNodePtr k)
{
	size_t s;

	if (strcmp((const char *)k->name, "feature") == 0)
		return parse_feature(x, k);
	for (s = 0; s < SLOT_COUNT; s++)
		if (strcmp((const char *)k->name, slot_names[s]) == 0)
			break;
	if (s == SLOT_COUNT)
		return unknown_element(x, root, k);
	if (x->seen[s])
		return ck_fail(x, k, "element <%s> appears twice (first on line %ld)",
			       slot_names[s], x->seen[s]);
	x->seen[s] = line_of(k);
	return parse_slot(x, k, (enum cookie_slot)s);
}

/* Data exactly where a feature is declared, and the required elements there. */
static int check_complete(struct ck_ctx *x, xmlNodePtr root)
{
	static const enum cookie_slot required[] = { SLOT_NAME, SLOT_UUID, SLOT_HOSTUUID };

	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!x->seen[required[i]])
			return ck_fail(x, root, "<ferry-migration> has no <%s>",
				       slot_names[required[i]]);
	for (size_t i = 0; i < ARRAY_SIZE(cookie_features); i++) {
		const struct cookie_feature *f = &cookie_features[i];
		long data = x->seen[f->slot];

		if (data && !x->declared[i])
			return ck_fail_at(x, data, "<%s> without <feature name='%s'/>",
					  slot_names[f->slot], f->name);
		if (!data && x->declared[i])
			return ck_fail_at(x, x->declared[i], "feature '%s' is declared but there "
					  "is no <%s>", f->name, slot_names[f->slot]);
	}
	return 0;
}

static int parse_root(struct ck_ctx *x, xmlNodePtr root)
{
	char q[DOM_QUOTE_MAX];
	int r;

	if (strcmp((const char *)root->name, "ferry-migration") != 0)
		return ck_fail(x, root, "the root element is <%s>, not <ferry-migration>",
			       dom_quote((const char *)root->name, q));
	if (root->ns)
		return ck_fail(x, root, "<ferry-migration> is in a namespace; a migration "
			       "cookie has none");
	if ((r = check_attrs(x, root, NULL)) < 0)
		return r;
	for (xmlNodePtr k = root->children; k; k = k->next) {
		r = check_node(x, root, k, false);
		if (r > 0)
			r = parse_child(x, root, k);
		if (r < 0)
			return r;
	}
	return check_complete(x, root);
}

int cookie_parse_xml(const char *xml, size_t len, struct ferry_cookie *out,
		     char *err, size_t errlen)
{
	struct ck_ctx x = { .c = out, .err = err, .errlen = errlen };
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int r;

	if ((r = read_doc(&x, xml, len, &doc)) < 0)
		return r;
	root = xmlDocGetRootElement(doc);
	r = root ? parse_root(&x, root) : ck_fail_at(&x, 0, "no root element");
	xmlFreeDoc(doc);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-xml.c - the strict walk under the domain parser: libxml2 set up so
 * that it fetches, loads and expands nothing, and helpers that refuse every
 * element, attribute, text or duplicate the subset does not name, saying
 * which and on what line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "domain-priv.h"
#include "xml-read.h"
#include "util.h"

const char *dom_quote(const char *s, char buf[DOM_QUOTE_MAX])
{
	size_t i;

	for (i = 0; s[i] && i < DOM_QUOTE_MAX - 8; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

int dom_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int dom_fail(struct dom_ctx *c, xmlNodePtr node, const char *fmt, ...)
{
	long line = node ? xmlGetLineNo(node) : 0;
	size_t off = 0;
	va_list ap;

	if (c->errlen == 0)
		return -EINVAL;
	c->err[0] = '\0';
	if (line > 0) {
		int n = snprintf(c->err, c->errlen, "line %ld: ", line);

		off = n < 0 ? 0 : (size_t)n;
		if (off >= c->errlen)
			return -EINVAL;
	}
	va_start(ap, fmt);
	vsnprintf(c->err + off, c->errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int dom_oom(struct dom_ctx *c)
{
	if (c->errlen)
		snprintf(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

static const char *elname(xmlNodePtr node, char buf[DOM_QUOTE_MAX])
{
	return dom_quote((const char *)node->name, buf);
}

int dom_attrs(struct dom_ctx *c, xmlNodePtr node, const char *const *allowed)
{
	char q[DOM_QUOTE_MAX], qe[DOM_QUOTE_MAX];

	for (xmlAttrPtr a = node->properties; a; a = a->next) {
		bool ok = false;

		for (size_t i = 0; !a->ns && allowed && allowed[i]; i++)
			ok = ok || strcmp((const char *)a->name, allowed[i]) == 0;
		if (ok)
			continue;
		/* A namespaced attribute is another schema's: never ours. */
		if (a->ns && a->ns->prefix) {
			char pq[DOM_QUOTE_MAX];

			return dom_fail(c, node, "attribute '%s:%s' is not supported on <%s>",
					dom_quote((const char *)a->ns->prefix, pq),
					dom_quote((const char *)a->name, q), elname(node, qe));
		}
		return dom_fail(c, node, "attribute '%s' is not supported on <%s>",
				dom_quote((const char *)a->name, q), elname(node, qe));
	}
	return 0;
}

static bool is_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* Refuse a node that has no business inside @parent; 1 when it is an element. */
static int check_node(struct dom_ctx *c, xmlNodePtr parent, xmlNodePtr k, bool text_ok)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX];

	switch (k->type) {
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (text_ok || is_blank(k->content))
			return 0;
		return dom_fail(c, k, "text is not allowed in <%s>", elname(parent, qp));
	case XML_ELEMENT_NODE:
		break;
	default:
		return dom_fail(c, k, "unexpected content in <%s>", elname(parent, qp));
	}
	if (k->ns && k->ns->prefix) {
		char pq[DOM_QUOTE_MAX];

		return dom_fail(c, k, "element <%s:%s> is not supported in <%s>",
				dom_quote((const char *)k->ns->prefix, pq), elname(k, q),
				elname(parent, qp));
	}
	if (k->ns)
		return dom_fail(c, k, "element <%s> in a namespace is not supported in <%s>",
				elname(k, q), elname(parent, qp));
	return 1;
}

int dom_children(struct dom_ctx *c, xmlNodePtr node, const struct dom_child *table,
		 size_t n, void *obj)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX];
	long seen[24] = { 0 };

	if (n > ARRAY_SIZE(seen))
		return -EINVAL;
	for (xmlNodePtr k = node->children; k; k = k->next) {
		long line = xmlGetLineNo(k);
		size_t i;
		int r = check_node(c, node, k, false);

		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		for (i = 0; i < n; i++)
			if (strcmp((const char *)k->name, table[i].name) == 0)
				break;
		if (i == n)
			return dom_fail(c, k, "element <%s> is not supported in <%s>",
					elname(k, q), elname(node, qp));
		if (table[i].once && seen[i])
			return dom_fail(c, k, "element <%s> appears twice in <%s> (first on line %ld)",
					table[i].name, elname(node, qp), seen[i]);
		seen[i] = line > 0 ? line : 1;
		if (table[i].loc)
			c->lines.loc[table[i].loc] = seen[i];
		r = table[i].fn(c, k, obj);
		if (r < 0)
			return r;
	}
	return 0;
}

int dom_empty(struct dom_ctx *c, xmlNodePtr node)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX];

	for (xmlNodePtr k = node->children; k; k = k->next) {
		int r = check_node(c, node, k, false);

		if (r < 0)
			return r;
		if (r > 0)
			return dom_fail(c, k, "element <%s> is not supported in <%s>",
					elname(k, q), elname(node, qp));
	}
	return 0;
}

int dom_text(struct dom_ctx *c, xmlNodePtr node, bool do_trim, char **out)
{
	char q[DOM_QUOTE_MAX], qp[DOM_QUOTE_MAX];
	_cleanup_xml_ xmlChar *content = NULL;
	char *s;

	for (xmlNodePtr k = node->children; k; k = k->next) {
		int r = check_node(c, node, k, true);

		if (r < 0)
			return r;
		if (r > 0)
			return dom_fail(c, k, "element <%s> is not supported in <%s>",
					elname(k, q), elname(node, qp));
	}
	content = xmlNodeGetContent(node);
	if (!content)
		return dom_oom(c);
	s = do_trim ? ferry_trim_xml_space((char *)content) : (char *)content;
	if (strlen(s) > FERRY_DOMAIN_MAX_TEXT)
		return dom_fail(c, node, "<%s>: text is longer than %d bytes", elname(node, qp),
				FERRY_DOMAIN_MAX_TEXT);
	*out = strdup(s);
	return *out ? 0 : dom_oom(c);
}

char *dom_prop(xmlNodePtr node, const char *name)
{
	return (char *)xmlGetNoNsProp(node, (const xmlChar *)name);
}

int dom_need(struct dom_ctx *c, xmlNodePtr node, const char *attr, char **out)
{
	char qe[DOM_QUOTE_MAX];

	*out = dom_prop(node, attr);
	if (!*out)
		return dom_fail(c, node, "<%s>: attribute '%s' is required", elname(node, qe), attr);
	return 0;
}

int dom_enum(struct dom_ctx *c, xmlNodePtr node, const char *what, const char *value,
	     const struct dom_enum *table, size_t n, int *out)
{
	char q[DOM_QUOTE_MAX], qe[DOM_QUOTE_MAX];
	char list[256] = "";
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(value, table[i].name) == 0) {
			*out = table[i].value;
			return 0;
		}
		if (off < sizeof(list)) {
			int k = snprintf(list + off, sizeof(list) - off, "%s%s",
					 i ? ", " : "", table[i].name);

			off += k > 0 ? (size_t)k : 0;
		}
	}
	return dom_fail(c, node, "<%s>: %s%s'%s' is not one of %s", elname(node, qe),
			what ? what : "", what ? " " : "", dom_quote(value, q), list);
}

int dom_yesno(struct dom_ctx *c, xmlNodePtr node, const char *attr, enum ferry_tristate *out)
{
	static const struct dom_enum yesno[] = { { "yes", FERRY_YES }, { "no", FERRY_NO } };
	_cleanup_xml_ char *v = dom_prop(node, attr);
	int r, val;

	*out = FERRY_UNSET;
	if (!v)
		return 0;
	r = dom_enum(c, node, attr, v, yesno, ARRAY_SIZE(yesno), &val);
	if (r == 0)
		*out = val;
	return r;
}

int dom_copy(struct dom_ctx *c, const char *value, char **out)
{
	free(*out);
	*out = strdup(value);
	return *out ? 0 : dom_oom(c);
}

int dom_read_doc(struct dom_ctx *c, const char *xml, size_t len, xmlDocPtr *out)
{
	int r = ferry_xml_read(xml, len, "line", "domain XML", out, c->err, c->errlen);

	return r == -ENOMEM ? dom_oom(c) : r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "util.h"
#include "xml-read.h"

/* What libxml2 told us while reading: the first error, and where a DOCTYPE began. */
struct read_state {
	long doctype_line;
	int error_line;
	char error[160];
};

/*
 * Called by libxml2 as soon as it has read "<!DOCTYPE name ...": before
 * any internal subset, so no entity is ever declared, let alone expanded.
 */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
			   const xmlChar *system_id)
{
	xmlParserCtxtPtr p = ctx;
	struct read_state *st = p->_private;

	st->doctype_line = p->input && p->input->line > 0 ? p->input->line : 1;
	xmlStopParser(p);
}

/* The first error is the cause; later ones are libxml2 tripping over it. */
static void keep_first_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr p = ctx;
	struct read_state *st = p->_private;
	size_t n;

	if (st->error[0] || !e || e->level < XML_ERR_ERROR)
		return;
	snprintf(st->error, sizeof(st->error), "%s", e->message ? e->message : "not well-formed");
	n = strlen(st->error);
	while (n > 0 && (st->error[n - 1] == '\n' || st->error[n - 1] == ' '))
		st->error[--n] = '\0';
	st->error_line = e->line > 0 ? e->line : 1;
}

/*
 * XML_PARSE_NONET: nothing is fetched. Neither XML_PARSE_NOENT nor
 * XML_PARSE_DTDLOAD/DTDATTR/DTDVALID nor XINCLUDE: nothing is loaded or
 * substituted. NOERROR/NOWARNING: nothing goes to stderr; errors reach
 * keep_first_error() only. BIG_LINES: line numbers past 65535 stay right.
 */
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
		     XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA)

int ferry_xml_read(const char *xml, size_t len, const char *line_word, const char *doc_name,
		   xmlDocPtr *out, char *err, size_t errlen)
{
	struct read_state st = { 0 };
	xmlParserCtxtPtr p;
	int r = 0;

	p = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (!p)
		return -ENOMEM;
	xmlCtxtUseOptions(p, XML_OPTIONS);
	p->sax->internalSubset = refuse_doctype;
	p->sax->externalSubset = NULL;
	p->sax->serror = keep_first_error;
	p->_private = &st;
	xmlParseDocument(p);
	if (st.doctype_line) {
		r = -EINVAL;
		snprintf(err, errlen, "%s %ld: a DOCTYPE is not accepted: %s takes no DTD and no "
			 "entities", line_word, st.doctype_line, doc_name);
	} else if (!p->wellFormed || !p->myDoc) {
		r = -EINVAL;
		snprintf(err, errlen, "%s %d: malformed XML: %s", line_word,
			 st.error_line ? st.error_line : 1, st.error[0] ? st.error : "not well-formed");
	}
	if (r == 0)
		*out = steal_ptr(p->myDoc);
	xmlFreeDoc(p->myDoc);
	p->myDoc = NULL;
	xmlFreeParserCtxt(p);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xml-read.h - libxml2 set up for documents from outside: domain XML from
 * clients, migration cookies from peer hosts.
 */
#ifndef FERRY_XML_READ_H
#define FERRY_XML_READ_H

#include <stddef.h>

#include <libxml/tree.h>

/**
 * ferry_xml_read - parse a document that may be hostile.
 * @xml, @len: the bytes
 * @line_word: how a message names a line ("line", "cookie line")
 * @doc_name: how a message names the document ("domain XML")
 * @out: the document, for xmlFreeDoc()
 * @err: on failure, why, starting with "@line_word N: "
 *
 * Nothing is fetched from the network, no DTD is loaded and no entity
 * substituted; a DOCTYPE stops the parser before any internal subset is
 * read; nothing is printed. The first error libxml2 reports is the one
 * given, with its line.
 *
 * Return: 0, -EINVAL for a document refused, -ENOMEM (@err untouched).
 */
int ferry_xml_read(const char *xml, size_t len, const char *line_word, const char *doc_name,
		   xmlDocPtr *out, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain-format.c - a definition back to XML, in one canonical form: the
 * element order of docs/domain-xml.md, two-space indent, single-quoted
 * attributes, memory in KiB, every defaulted value written out. Only a
 * definition that passes domain_check() is formatted, so what comes out
 * always parses back to an equal definition.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain-priv.h"
#include "util.h"

/* Escape for XML; in attributes also the whitespace a parser would normalize away. */
static void put_esc(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\'':
			fputs(attr ? "&apos;" : "'", f);
			break;
		case '"':
			fputs(attr ? "&quot;" : "\"", f);
			break;
		case '\r':
			fputs("&#13;", f);
			break;
		case '\t':
		case '\n':
			if (attr)
				fprintf(f, "&#%d;", *s);
			else
				fputc(*s, f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void indent(FILE *f, int level)
{
	fprintf(f, "%*s", level * 2, "");
}

/* <name>text</name> on a line of its own. */
static void put_text(FILE *f, int level, const char *name, const char *text)
{
	indent(f, level);
	fprintf(f, "<%s>", name);
	put_esc(f, text, false);
	fprintf(f, "</%s>\n", name);
}

static void put_attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s='", name);
	put_esc(f, value, true);
	fputc('\'', f);
}

static void format_os(FILE *f, const struct ferry_domain_def *def)
{
	fputs("  <os>\n    <type arch='x86_64'", f);
	if (def->machine[0])
		put_attr(f, "machine", def->machine);
	fputs(">hvm</type>\n", f);
	if (def->loader) {
		fputs("    <loader type='rom'>", f);
		put_esc(f, def->loader, false);
		fputs("</loader>\n", f);
	}
	if (def->kernel)
		put_text(f, 2, "kernel", def->kernel);
	if (def->initrd)
		put_text(f, 2, "initrd", def->initrd);
	if (def->cmdline)
		put_text(f, 2, "cmdline", def->cmdline);
	fputs("  </os>\n", f);
	if (def->features) {
		fputs("  <features>\n", f);
		if (def->features & FERRY_FEATURE_ACPI)
			fputs("    <acpi/>\n", f);
		if (def->features & FERRY_FEATURE_APIC)
			fputs("    <apic/>\n", f);
		if (def->features & FERRY_FEATURE_PAE)
			fputs("    <pae/>\n", f);
		fputs("  </features>\n", f);
	}
}

static void format_top(FILE *f, const struct ferry_domain_def *def)
{
	char uuid[FERRY_UUID_STRLEN];

	fprintf(f, "<domain type='%s'>\n", ferry_virt_type_name(def->type));
	put_text(f, 1, "name", def->name);
	ferry_uuid_format(def->uuid, uuid);
	put_text(f, 1, "uuid", uuid);
	if (def->description)
		put_text(f, 1, "description", def->description);
	fprintf(f, "  <memory unit='KiB'>%llu</memory>\n", (unsigned long long)def->memory_kib);
	if (def->current_memory_kib)
		fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
			(unsigned long long)def->current_memory_kib);
	fprintf(f, "  <vcpu>%u</vcpu>\n", def->vcpus);
	format_os(f, def);
	if (def->on_poweroff)
		put_text(f, 1, "on_poweroff", ferry_lifecycle_name(def->on_poweroff));
	if (def->on_reboot)
		put_text(f, 1, "on_reboot", ferry_lifecycle_name(def->on_reboot));
	if (def->on_crash)
		put_text(f, 1, "on_crash", ferry_lifecycle_name(def->on_crash));
}

static void format_disk(FILE *f, const struct ferry_disk *d)
{
	fputs("    <disk type='file' device='disk'>\n", f);
	fprintf(f, "      <driver name='qemu' type='%s'/>\n", ferry_disk_format_name(d->format));
	fputs("      <source", f);
	put_attr(f, "file", d->source);
	fputs("/>\n", f);
	fprintf(f, "      <target dev='%s' bus='%s'/>\n", d->target, ferry_disk_bus_name(d->bus));
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	fputs("    </disk>\n", f);
}

static void format_chr(FILE *f, const struct ferry_chardev *chr, bool console)
{
	const char *el = console ? "console" : "serial";

	fprintf(f, "    <%s type='%s'>\n", el, DOM_ENUM_NAME(dom_chr_types, chr->type));
	if (chr->path) {
		fputs("      <source", f);
		put_attr(f, "path", chr->path);
		fputs("/>\n", f);
	}
	if (console)
		fprintf(f, "      <target type='%s' port='%u'/>\n",
			DOM_ENUM_NAME(dom_console_targets, chr->target), chr->port);
	else
		fprintf(f, "      <target port='%u'/>\n", chr->port);
	fprintf(f, "    </%s>\n", el);
}

static void format_nic(FILE *f, const struct ferry_nic *nic)
{
	const uint8_t *m = nic->mac;

	if (nic->type == FERRY_NET_NONE) {
		fputs("    <interface type='none'/>\n", f);
		return;
	}
	fputs("    <interface type='user'>\n", f);
	fprintf(f, "      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n",
		m[0], m[1], m[2], m[3], m[4], m[5]);
	if (nic->model)
		fprintf(f, "      <model type='%s'/>\n", DOM_ENUM_NAME(dom_net_models, nic->model));
	fputs("    </interface>\n", f);
}

static void format_graphics(FILE *f, const struct ferry_graphics *g)
{
	fputs("    <graphics type='vnc'", f);
	if (g->autoport)
		fputs(" autoport='yes'", f);
	else
		fprintf(f, " port='%d' autoport='no'", g->port);
	if (!g->listen) {
		fputs("/>\n", f);
		return;
	}
	put_attr(f, "listen", g->listen);
	fputs(">\n      <listen type='address'", f);
	put_attr(f, "address", g->listen);
	fputs("/>\n    </graphics>\n", f);
}

static void format_devices(FILE *f, const struct ferry_domain_def *def)
{
	if (!def->ndisks && !def->nserials && !def->nconsoles && !def->nnics &&
	    !def->graphics.present)
		return;
	fputs("  <devices>\n", f);
	for (size_t i = 0; i < def->ndisks; i++)
		format_disk(f, &def->disks[i]);
	for (size_t i = 0; i < def->nserials; i++)
		format_chr(f, &def->serials[i], false);
	for (size_t i = 0; i < def->nconsoles; i++)
		format_chr(f, &def->consoles[i], true);
	for (size_t i = 0; i < def->nnics; i++)
		format_nic(f, &def->nics[i]);
	if (def->graphics.present)
		format_graphics(f, &def->graphics);
	fputs("  </devices>\n", f);
}

static void format_seclabel(FILE *f, const struct ferry_seclabel *sl)
{
	fprintf(f, "  <seclabel type='%s'", DOM_ENUM_NAME(dom_seclabel_types, sl->type));
	if (sl->model)
		fprintf(f, " model='%s'", DOM_ENUM_NAME(dom_seclabel_models, sl->model));
	if (sl->relabel)
		fprintf(f, " relabel='%s'", sl->relabel == FERRY_YES ? "yes" : "no");
	if (!sl->label && !sl->imagelabel) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	if (sl->label)
		put_text(f, 2, "label", sl->label);
	if (sl->imagelabel)
		put_text(f, 2, "imagelabel", sl->imagelabel);
	fputs("  </seclabel>\n", f);
}

int ferry_domain_format(const struct ferry_domain_def *def, char **xml_out)
{
	struct dom_problem p;
	char *buf = NULL;
	size_t size = 0;
	bool failed;
	FILE *f;

	if (domain_check(def, &p) < 0)
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	format_top(f, def);
	format_devices(f, def);
	for (size_t i = 0; i < def->nseclabels; i++)
		format_seclabel(f, &def->seclabels[i]);
	fputs("</domain>\n", f);
	failed = ferror(f);
	/* The buffer only exists, complete, once the stream is closed. */
	if (fclose(f) != 0 || failed) {
		free(buf);
		return -ENOMEM;
	}
	*xml_out = buf;
	return 0;
}

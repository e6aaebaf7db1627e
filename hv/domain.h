/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain.h - the guest definition: a documented subset of libvirt's domain
 * XML (docs/domain-xml.md), parsed, validated and formatted.
 *
 * Parsing is strict: anything outside the subset is refused with its line,
 * never ignored, so a document either means exactly what ferry will do or
 * is not accepted at all. A parsed definition is normalized (memory in KiB,
 * generated UUID and MAC addresses, serial ports numbered), which makes
 * format() a fixed point: formatting what a formatted document parses to
 * gives the same bytes.
 */
#ifndef FERRY_DOMAIN_H
#define FERRY_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FERRY_DOMAIN_MAX_XML		(1024 * 1024)
#define FERRY_DOMAIN_NAME_MAX		64
#define FERRY_DOMAIN_MACHINE_MAX	32
#define FERRY_DOMAIN_MAX_VCPUS		64
/* 16 TiB: far above any host ferry runs on, far below u64 overflow. */
#define FERRY_DOMAIN_MAX_MEMORY_KIB	(UINT64_C(16) << 30)
#define FERRY_DOMAIN_MAX_DISKS		16
#define FERRY_DOMAIN_MAX_SERIALS	4	/* isa-serial knows COM1-COM4 */
#define FERRY_DOMAIN_MAX_CONSOLES	4
#define FERRY_DOMAIN_MAX_NICS		8
#define FERRY_DOMAIN_MAX_SECLABELS	2	/* one per model */
#define FERRY_DOMAIN_MAX_TEXT		4096	/* description, cmdline, labels */

enum ferry_virt_type {
	FERRY_VIRT_KVM = 1,
	FERRY_VIRT_QEMU,
};

enum ferry_lifecycle {
	FERRY_LC_UNSET = 0,
	FERRY_LC_DESTROY,
	FERRY_LC_RESTART,
	FERRY_LC_PRESERVE,
	FERRY_LC_RENAME_RESTART,
	FERRY_LC_COREDUMP_DESTROY,
	FERRY_LC_COREDUMP_RESTART,
};

#define FERRY_FEATURE_ACPI	(1u << 0)
#define FERRY_FEATURE_APIC	(1u << 1)
#define FERRY_FEATURE_PAE	(1u << 2)

enum ferry_disk_format {
	FERRY_DISK_RAW = 1,
	FERRY_DISK_QCOW2,
};

enum ferry_disk_bus {
	FERRY_BUS_VIRTIO = 1,
	FERRY_BUS_SATA,
	FERRY_BUS_IDE,
};

enum ferry_chr_type {
	FERRY_CHR_FILE = 1,
	FERRY_CHR_PTY,
};

enum ferry_console_target {
	FERRY_CONSOLE_SERIAL = 1,
	FERRY_CONSOLE_VIRTIO,
};

enum ferry_net_type {
	FERRY_NET_USER = 1,
	FERRY_NET_NONE,
};

enum ferry_net_model {
	FERRY_NET_MODEL_UNSET = 0,
	FERRY_NET_MODEL_VIRTIO,
	FERRY_NET_MODEL_E1000,
};

enum ferry_tristate {
	FERRY_UNSET = 0,
	FERRY_YES,
	FERRY_NO,
};

enum ferry_seclabel_type {
	FERRY_SECLABEL_DYNAMIC = 1,
	FERRY_SECLABEL_STATIC,
	FERRY_SECLABEL_NONE,
};

enum ferry_seclabel_model {
	FERRY_SECMODEL_UNSET = 0,
	FERRY_SECMODEL_SELINUX,
	FERRY_SECMODEL_DAC,
};

struct ferry_disk {
	enum ferry_disk_format format;
	enum ferry_disk_bus bus;
	char *source;			/* absolute path */
	char target[8];			/* vda, sdb, hdc, ... */
	bool readonly;
};

/* A <serial> or a <console>. */
struct ferry_chardev {
	enum ferry_chr_type type;
	char *path;			/* file only: absolute, or under the private dir */
	unsigned port;
	enum ferry_console_target target;	/* consoles only */
};

struct ferry_nic {
	enum ferry_net_type type;
	enum ferry_net_model model;	/* user only */
	uint8_t mac[6];			/* user only; generated when absent */
};

struct ferry_graphics {
	bool present;			/* <graphics type='vnc'> */
	bool autoport;
	int port;			/* 5900..65535, or -1 with autoport */
	char *listen;			/* IP literal; NULL means 127.0.0.1 */
};

struct ferry_seclabel {
	enum ferry_seclabel_type type;
	enum ferry_seclabel_model model;
	enum ferry_tristate relabel;
	char *label;			/* static only */
	char *imagelabel;		/* static only */
};

struct ferry_domain_def {
	enum ferry_virt_type type;
	char name[FERRY_DOMAIN_NAME_MAX + 1];
	uint8_t uuid[16];
	char *description;
	uint64_t memory_kib;
	uint64_t current_memory_kib;	/* 0 when absent */
	unsigned vcpus;

	char machine[FERRY_DOMAIN_MACHINE_MAX + 1];	/* "" when absent: q35 */
	char *loader;			/* <loader type='rom'>: firmware image, -bios */
	char *kernel, *initrd, *cmdline;
	unsigned features;		/* FERRY_FEATURE_* */

	enum ferry_lifecycle on_poweroff, on_reboot, on_crash;

	struct ferry_disk disks[FERRY_DOMAIN_MAX_DISKS];
	size_t ndisks;
	struct ferry_chardev serials[FERRY_DOMAIN_MAX_SERIALS];
	size_t nserials;
	struct ferry_chardev consoles[FERRY_DOMAIN_MAX_CONSOLES];
	size_t nconsoles;
	struct ferry_nic nics[FERRY_DOMAIN_MAX_NICS];
	size_t nnics;
	struct ferry_graphics graphics;
	struct ferry_seclabel seclabels[FERRY_DOMAIN_MAX_SECLABELS];
	size_t nseclabels;
};

/**
 * ferry_domain_parse - parse and validate a domain XML document.
 * @xml: the document, not necessarily NUL-terminated
 * @len: its length; more than FERRY_DOMAIN_MAX_XML is refused unread
 * @out: the new definition, freed with ferry_domain_free()
 * @err: on failure, why, starting with "line N: " when a line is known
 *
 * No DTD, no entities, no network, no XInclude: a DOCTYPE is refused.
 * Return 0, -EINVAL for a document that is not accepted, -E2BIG for an
 * oversized one, -ENOMEM.
 */
int ferry_domain_parse(const char *xml, size_t len, struct ferry_domain_def **out,
		       char *err, size_t errlen);

/**
 * ferry_domain_validate - check a definition that did not come from the
 * parser (built or edited in code) against the same rules.
 * Return 0 or -EINVAL with @err naming the element and the problem.
 */
int ferry_domain_validate(const struct ferry_domain_def *def, char *err, size_t errlen);

/**
 * ferry_domain_format - the definition as XML, in the subset's canonical
 * form (two-space indent, attributes in a fixed order, memory in KiB).
 * @xml_out: a malloc'd NUL-terminated string on success
 * Return 0, -EINVAL for a definition that does not validate, -ENOMEM.
 */
int ferry_domain_format(const struct ferry_domain_def *def, char **xml_out);

/* Whether two definitions mean the same guest, field by field. */
bool ferry_domain_equal(const struct ferry_domain_def *a, const struct ferry_domain_def *b);

/*
 * Free a definition and every string in it, unused array slots included:
 * one built in code must come from calloc() and own its strings.
 */
void ferry_domain_free(struct ferry_domain_def *def);

static inline void ferry_domain_freep(struct ferry_domain_def **def)
{
	ferry_domain_free(*def);
}

#define _cleanup_domain_ __attribute__((cleanup(ferry_domain_freep)))

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL. */
#define FERRY_UUID_STRLEN 37
void ferry_uuid_format(const uint8_t uuid[16], char out[FERRY_UUID_STRLEN]);
/*
 * ferry_uuid_parse - the canonical 8-4-4-4-12 hex form only, either case:
 * one spelling, one meaning. Return 0, or -EINVAL with @uuid unspecified.
 */
int ferry_uuid_parse(const char *s, uint8_t uuid[16]);

/* Names for enum values, as they are spelled in the XML. */
const char *ferry_virt_type_name(enum ferry_virt_type t);
const char *ferry_lifecycle_name(enum ferry_lifecycle lc);
const char *ferry_disk_format_name(enum ferry_disk_format f);
const char *ferry_disk_bus_name(enum ferry_disk_bus b);

/* vda -> 0, sdb -> 1, hdd -> 3, vdaa -> 26: a disk's place on its bus; or -EINVAL. */
int ferry_disk_target_index(const char *target);

/* Whether the machine type (as stored: "" means q35) is an i440fx one. */
bool ferry_domain_machine_is_i440fx(const struct ferry_domain_def *def);

#endif

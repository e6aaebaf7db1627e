/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save-format.h - the header of a ferry save file: what a saved domain
 * was (its XML and migration cookie), how its migration stream is stored,
 * and whether the save finished. docs/save-format.md has the layout.
 *
 *   0   8 bytes  magic "FERRYSAV"
 *   8   u32      version (1)
 *   12  u32      format: FERRY_SAVE_FORMAT_*
 *   16  u32      flags: FERRY_SAVE_COMPLETE, FERRY_SAVE_RUNNING
 *   20  u32      xml_len, NUL included
 *   24  u32      cookie_len, NUL included; 0: no cookie
 *   28  u32      data_offset: where the stream starts, a multiple of 4096
 *   32  u64      data_len: bytes of stream after data_offset
 *   40  u32      crc32: bytes 0..39 with COMPLETE clear and data_len 0,
 *                then the xml and the cookie
 *   44  u32      crc32_final: bytes 0..43 as finally written; 0 until then
 *   48  16 bytes reserved, zero
 *   64           xml, cookie, zero padding up to data_offset
 *
 * Integers are little-endian. The broker writes the whole header once,
 * before the stream, and after fsyncing the stream rewrites the first 64
 * bytes to set COMPLETE, data_len and crc32_final: a file without COMPLETE
 * is a save that did not finish and is never restored.
 */
#ifndef FERRY_BROKER_SAVE_FORMAT_H
#define FERRY_BROKER_SAVE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FERRY_SAVE_MAGIC		"FERRYSAV"	/* 8 bytes, no NUL on disk */
#define FERRY_SAVE_VERSION		1u
#define FERRY_SAVE_FIXED_LEN		64u	/* the fixed part, before the xml */
#define FERRY_SAVE_ALIGN		4096u	/* data_offset is a multiple of it */

/* format: how the migration stream is stored. */
#define FERRY_SAVE_FORMAT_RAW		0u	/* QEMU's stream as is */
#define FERRY_SAVE_FORMAT_GZIP		1u	/* multi-member gzip, docs/compress.md */

/* flags; every other bit must be 0. */
#define FERRY_SAVE_COMPLETE		(1u << 0)	/* the stream is written and fsynced */
#define FERRY_SAVE_RUNNING		(1u << 1)	/* the domain ran when saved */
#define FERRY_SAVE_FLAGS_KNOWN		(FERRY_SAVE_COMPLETE | FERRY_SAVE_RUNNING)

/* Limits, in bytes, NUL included. */
#define FERRY_SAVE_XML_MAX		(1024u * 1024u)
#define FERRY_SAVE_COOKIE_MAX		16385u	/* FERRY_COOKIE_MAX + its NUL */
/* The largest data_offset: 64 + 1 MiB + 16 KiB, rounded up to 4096. */
#define FERRY_SAVE_OFFSET_MAX		1069056u

struct ferry_save_header {
	uint32_t version;	/* FERRY_SAVE_VERSION */
	uint32_t format;	/* FERRY_SAVE_FORMAT_* */
	uint32_t flags;		/* FERRY_SAVE_FLAGS_KNOWN bits only */
	uint32_t xml_len;	/* 2..FERRY_SAVE_XML_MAX */
	uint32_t cookie_len;	/* 0, or 2..FERRY_SAVE_COOKIE_MAX */
	uint32_t data_offset;	/* a multiple of 4096, 4096..FERRY_SAVE_OFFSET_MAX */
	uint64_t data_len;	/* > 0 in a complete file */
};

/**
 * ferry_save_header_build - the header block a save starts with.
 * @xml: the domain XML, 1 to FERRY_SAVE_XML_MAX - 1 bytes before its NUL
 * @cookie: the migration cookie as ferry_cookie_format() wrote it, or NULL
 *          for none; not empty
 * @format: FERRY_SAVE_FORMAT_RAW or FERRY_SAVE_FORMAT_GZIP
 * @flags: 0 or FERRY_SAVE_RUNNING (COMPLETE is set by
 *         ferry_save_header_complete())
 * @buf: on success, a malloc'd block of @len bytes: fixed part, xml,
 *       cookie, zero padding
 * @len: its size, which is data_offset: the smallest multiple of 4096 that
 *       holds the rest
 * @err: on failure, why
 * @errlen: size of @err; 0 for no message
 *
 * The block has COMPLETE clear, data_len 0, crc32 set, crc32_final 0.
 *
 * Return: 0, -EINVAL for an unknown format or flag or an empty string,
 * -E2BIG for an xml or cookie over its limit, -ENOMEM.
 */
int ferry_save_header_build(const char *xml, const char *cookie, uint32_t format,
			    uint32_t flags, uint8_t **buf, size_t *len, char *err, size_t errlen);

/**
 * ferry_save_header_complete - mark a header finished.
 * @fixed: the first 64 bytes of a block from ferry_save_header_build()
 * @data_len: bytes of stream written after data_offset; not 0
 *
 * Sets COMPLETE, data_len and crc32_final; crc32 stays valid. The broker
 * writes these 64 bytes at offset 0 once the stream is fsynced, then
 * fsyncs again.
 */
void ferry_save_header_complete(uint8_t fixed[64], uint64_t data_len);

/**
 * ferry_save_header_need - how many bytes the whole header takes.
 * @fixed: the first 64 bytes of the file
 * @total: on success, data_offset: the bytes ferry_save_header_parse()
 *         wants in its buffer
 * @err: on failure, "save file: ..." naming the field
 * @errlen: size of @err
 *
 * Checks the magic, the version and the bounds of xml_len, cookie_len and
 * data_offset, so @total is at most FERRY_SAVE_OFFSET_MAX.
 *
 * Return: 0, or -EINVAL.
 */
int ferry_save_header_need(const uint8_t fixed[64], size_t *total, char *err, size_t errlen);

/**
 * ferry_save_header_parse - read and check a save file's header.
 * @buf: the start of the file: at least data_offset bytes
 * @len: bytes in @buf
 * @file_size: the size of the whole file
 * @h: on success, the fixed fields
 * @xml: on success, the domain XML, pointing into @buf
 * @cookie: on success, the cookie pointing into @buf, or NULL for none
 * @err: on failure, "save file: ..." saying what is wrong and where
 * @errlen: size of @err
 *
 * Everything is checked, each length bounded before it is used: magic,
 * version, lengths and offset, format, flags, reserved bytes, COMPLETE
 * (a save that did not finish is refused), crc32_final, data_len against
 * @file_size (exactly data_offset + data_len), crc32, the xml and cookie
 * (one NUL each, at their end), the padding (zero).
 *
 * Return: 0, or -EINVAL for any refusal, a short @buf included.
 */
int ferry_save_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
			    struct ferry_save_header *h, const char **xml, const char **cookie,
			    char *err, size_t errlen);

#endif

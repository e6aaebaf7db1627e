/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save-format.c - the save file header: its writer and its strict reader.
 *
 * Integers are encoded byte by byte, never by casting a struct, so the
 * layout is the same on every host. The reader trusts nothing it has not
 * bounded: the lengths and the offset are checked before any byte past the
 * fixed part is read, and the file size before the stream is believed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/cookie.h"
#include "broker/save-format.h"
#include "util.h"

/* Field offsets in the fixed part. */
enum {
	OFF_VERSION = 8,
	OFF_FORMAT = 12,
	OFF_FLAGS = 16,
	OFF_XML_LEN = 20,
	OFF_COOKIE_LEN = 24,
	OFF_DATA_OFFSET = 28,
	OFF_DATA_LEN = 32,
	OFF_CRC = 40,
	OFF_CRC_FINAL = 44,
	OFF_RESERVED = 48,
};

#define MAGIC_LEN 8u

_Static_assert(sizeof(FERRY_SAVE_MAGIC) == MAGIC_LEN + 1, "the magic is 8 bytes");
_Static_assert(FERRY_SAVE_COOKIE_MAX == FERRY_COOKIE_MAX + 1, "a cookie and its NUL");
_Static_assert(FERRY_SAVE_OFFSET_MAX % FERRY_SAVE_ALIGN == 0 &&
	       FERRY_SAVE_OFFSET_MAX >= FERRY_SAVE_FIXED_LEN + FERRY_SAVE_XML_MAX +
				       FERRY_SAVE_COOKIE_MAX,
	       "the largest xml and cookie fit below the largest data_offset");

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The smallest data_offset for these lengths (each already bounded). */
static uint32_t min_offset(uint32_t xml_len, uint32_t cookie_len)
{
	uint32_t n = FERRY_SAVE_FIXED_LEN + xml_len + cookie_len;

	return (n + FERRY_SAVE_ALIGN - 1) / FERRY_SAVE_ALIGN * FERRY_SAVE_ALIGN;
}

/*
 * crc32: bytes 0..39 as at the start of the save (COMPLETE clear, data_len
 * 0), then the xml and the cookie. The caller has bounded both lengths and
 * holds their bytes.
 */
static uint32_t header_crc(const uint8_t *buf)
{
	uint8_t start[OFF_CRC];
	uLong crc;

	memcpy(start, buf, sizeof(start));
	start[OFF_FLAGS] &= (uint8_t)~FERRY_SAVE_COMPLETE;
	memset(start + OFF_DATA_LEN, 0, 8);
	crc = crc32_z(0, start, sizeof(start));
	crc = crc32_z(crc, buf + FERRY_SAVE_FIXED_LEN,
		      (z_size_t)get_le32(buf + OFF_XML_LEN) + get_le32(buf + OFF_COOKIE_LEN));
	return (uint32_t)crc;
}

/* crc32_final: bytes 0..43 as finally written. */
static uint32_t final_crc(const uint8_t *fixed)
{
	return (uint32_t)crc32_z(0, fixed, OFF_CRC_FINAL);
}

/* Bytes of @s with its NUL, for the writer: 2..@max, or an error naming @what. */
static int string_len(const char *what, const char *s, uint32_t max, uint32_t *out,
		      char *err, size_t errlen)
{
	size_t n = strnlen(s, max);

	if (n == 0)
		return ferry_err(err, errlen, -EINVAL, "save file: the %s is empty", what);
	if (n == max)
		return ferry_err(err, errlen, -E2BIG,
				 "save file: the %s is longer than %" PRIu32 " bytes with its NUL",
				 what, max);
	*out = (uint32_t)n + 1;
	return 0;
}

int ferry_save_header_build(const char *xml, const char *cookie, uint32_t format,
			    uint32_t flags, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	uint32_t xml_len, cookie_len = 0, offset;
	uint8_t *b;
	int r;

	if (format != FERRY_SAVE_FORMAT_RAW && format != FERRY_SAVE_FORMAT_GZIP)
		return ferry_err(err, errlen, -EINVAL, "save file: unknown format %" PRIu32, format);
	if (flags & ~FERRY_SAVE_RUNNING)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: flags 0x%" PRIx32 ": only RUNNING (0x%x) may be set "
				 "at the start of a save", flags, FERRY_SAVE_RUNNING);
	r = string_len("domain XML", xml, FERRY_SAVE_XML_MAX, &xml_len, err, errlen);
	if (r < 0)
		return r;
	if (cookie) {
		r = string_len("cookie", cookie, FERRY_SAVE_COOKIE_MAX, &cookie_len, err, errlen);
		if (r < 0)
			return r;
	}
	offset = min_offset(xml_len, cookie_len);
	b = calloc(1, offset);
	if (!b)
		return ferry_err(err, errlen, -ENOMEM, "save file: out of memory for the header");

	memcpy(b, FERRY_SAVE_MAGIC, MAGIC_LEN);
	put_le32(b + OFF_VERSION, FERRY_SAVE_VERSION);
	put_le32(b + OFF_FORMAT, format);
	put_le32(b + OFF_FLAGS, flags);
	put_le32(b + OFF_XML_LEN, xml_len);
	put_le32(b + OFF_COOKIE_LEN, cookie_len);
	put_le32(b + OFF_DATA_OFFSET, offset);
	memcpy(b + FERRY_SAVE_FIXED_LEN, xml, xml_len);
	if (cookie)
		memcpy(b + FERRY_SAVE_FIXED_LEN + xml_len, cookie, cookie_len);
	put_le32(b + OFF_CRC, header_crc(b));
	*buf = b;
	*len = offset;
	return 0;
}

void ferry_save_header_complete(uint8_t fixed[64], uint64_t data_len)
{
	put_le32(fixed + OFF_FLAGS, get_le32(fixed + OFF_FLAGS) | FERRY_SAVE_COMPLETE);
	put_le64(fixed + OFF_DATA_LEN, data_len);
	put_le32(fixed + OFF_CRC_FINAL, final_crc(fixed));
}

/* A length field: @min..@max, or 0 when @zero_ok. */
static int check_len(const char *name, uint32_t v, uint32_t max, bool zero_ok,
		     char *err, size_t errlen)
{
	if (v == 0 && zero_ok)
		return 0;
	if (v < 2)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: %s %" PRIu32 " is below 2 (a NUL-terminated text)%s",
				 name, v, zero_ok ? "; 0 means none" : "");
	if (v > max)
		return ferry_err(err, errlen, -EINVAL, "save file: %s %" PRIu32 " exceeds %" PRIu32,
				 name, v, max);
	return 0;
}

int ferry_save_header_need(const uint8_t fixed[64], size_t *total, char *err, size_t errlen)
{
	uint32_t version = get_le32(fixed + OFF_VERSION);
	uint32_t xml_len = get_le32(fixed + OFF_XML_LEN);
	uint32_t cookie_len = get_le32(fixed + OFF_COOKIE_LEN);
	uint32_t offset = get_le32(fixed + OFF_DATA_OFFSET);
	int r;

	if (memcmp(fixed, FERRY_SAVE_MAGIC, MAGIC_LEN) != 0)
		return ferry_err(err, errlen, -EINVAL, "save file: bad magic (not a ferry save file)");
	if (version != FERRY_SAVE_VERSION)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: version %" PRIu32 " is not supported (this ferry reads "
				 "version %u)", version, FERRY_SAVE_VERSION);
	r = check_len("xml_len", xml_len, FERRY_SAVE_XML_MAX, false, err, errlen);
	if (r == 0)
		r = check_len("cookie_len", cookie_len, FERRY_SAVE_COOKIE_MAX, true, err, errlen);
	if (r < 0)
		return r;
	if (offset % FERRY_SAVE_ALIGN)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: data_offset %" PRIu32 " is not a multiple of %u",
				 offset, FERRY_SAVE_ALIGN);
	if (offset > FERRY_SAVE_OFFSET_MAX)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: data_offset %" PRIu32 " exceeds %u", offset,
				 FERRY_SAVE_OFFSET_MAX);
	if (offset < min_offset(xml_len, cookie_len))
		return ferry_err(err, errlen, -EINVAL,
				 "save file: data_offset %" PRIu32 " is below %" PRIu32
				 " (64 + xml_len + cookie_len, rounded up to %u)", offset,
				 min_offset(xml_len, cookie_len), FERRY_SAVE_ALIGN);
	*total = offset;
	return 0;
}

/* The fixed fields need() leaves: format, flags, reserved bytes, completion. */
static int check_fixed(const uint8_t *fixed, char *err, size_t errlen)
{
	uint32_t format = get_le32(fixed + OFF_FORMAT);
	uint32_t flags = get_le32(fixed + OFF_FLAGS);
	uint32_t stored = get_le32(fixed + OFF_CRC_FINAL);

	if (format != FERRY_SAVE_FORMAT_RAW && format != FERRY_SAVE_FORMAT_GZIP)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: unknown format %" PRIu32 " (0 raw, 1 gzip)", format);
	if (flags & ~FERRY_SAVE_FLAGS_KNOWN)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: unknown flags 0x%" PRIx32 " in flags 0x%" PRIx32,
				 flags & ~FERRY_SAVE_FLAGS_KNOWN, flags);
	for (unsigned i = OFF_RESERVED; i < FERRY_SAVE_FIXED_LEN; i++)
		if (fixed[i])
			return ferry_err(err, errlen, -EINVAL,
					 "save file: reserved byte at offset %u is 0x%02x, not 0",
					 i, fixed[i]);
	if (!(flags & FERRY_SAVE_COMPLETE))
		return ferry_err(err, errlen, -EINVAL, "save file: incomplete (the save did not finish)");
	if (stored != final_crc(fixed))
		return ferry_err(err, errlen, -EINVAL,
				 "save file: final header checksum mismatch (stored 0x%08" PRIx32
				 ", computed 0x%08" PRIx32 ")", stored, final_crc(fixed));
	if (get_le64(fixed + OFF_DATA_LEN) == 0)
		return ferry_err(err, errlen, -EINVAL, "save file: complete but data_len is 0");
	return 0;
}

/* The file is the header and exactly data_len bytes of stream. */
static int check_size(uint32_t offset, uint64_t data_len, uint64_t file_size,
		      char *err, size_t errlen)
{
	uint64_t after;

	if (file_size < offset)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: the file holds %" PRIu64 " bytes, less than its %" PRIu32
				 "-byte header (truncated)", file_size, offset);
	after = file_size - offset;
	if (data_len > after)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: data_len %" PRIu64 " but the file holds %" PRIu64
				 " bytes after the header (truncated)", data_len, after);
	if (data_len < after)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: data_len %" PRIu64 " but the file holds %" PRIu64
				 " bytes after the header (trailing bytes)", data_len, after);
	return 0;
}

/* @len bytes at @off: a text ending in its only NUL. */
static int check_string(const char *what, const uint8_t *buf, uint32_t off, uint32_t len,
			char *err, size_t errlen)
{
	const uint8_t *nul = memchr(buf + off, '\0', len);

	if (!nul)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: the %s (%" PRIu32 " bytes at offset %" PRIu32
				 ") does not end in NUL", what, len, off);
	if ((size_t)(nul - buf) != (size_t)off + len - 1)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: the %s (%" PRIu32 " bytes at offset %" PRIu32
				 ") has a NUL at offset %zu, before its end", what, len, off,
				 (size_t)(nul - buf));
	return 0;
}

/* What follows the fixed part: crc32, the xml and cookie, the padding. */
static int check_body(const uint8_t *buf, const struct ferry_save_header *h,
		      char *err, size_t errlen)
{
	uint32_t stored = get_le32(buf + OFF_CRC), end;
	int r;

	if (stored != header_crc(buf))
		return ferry_err(err, errlen, -EINVAL,
				 "save file: header checksum mismatch (stored 0x%08" PRIx32
				 ", computed 0x%08" PRIx32 ")", stored, header_crc(buf));
	r = check_string("xml", buf, FERRY_SAVE_FIXED_LEN, h->xml_len, err, errlen);
	if (r == 0 && h->cookie_len)
		r = check_string("cookie", buf, FERRY_SAVE_FIXED_LEN + h->xml_len, h->cookie_len,
				 err, errlen);
	if (r < 0)
		return r;
	end = FERRY_SAVE_FIXED_LEN + h->xml_len + h->cookie_len;
	for (uint32_t i = end; i < h->data_offset; i++)
		if (buf[i])
			return ferry_err(err, errlen, -EINVAL,
					 "save file: padding byte at offset %" PRIu32 " is 0x%02x, not 0",
					 i, buf[i]);
	return 0;
}

int ferry_save_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
			    struct ferry_save_header *h, const char **xml, const char **cookie,
			    char *err, size_t errlen)
{
	size_t total;
	int r;

	if (len < FERRY_SAVE_FIXED_LEN)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: %zu bytes read, shorter than the %u-byte fixed header",
				 len, FERRY_SAVE_FIXED_LEN);
	r = ferry_save_header_need(buf, &total, err, errlen);
	if (r == 0)
		r = check_fixed(buf, err, errlen);
	if (r < 0)
		return r;
	h->version = get_le32(buf + OFF_VERSION);
	h->format = get_le32(buf + OFF_FORMAT);
	h->flags = get_le32(buf + OFF_FLAGS);
	h->xml_len = get_le32(buf + OFF_XML_LEN);
	h->cookie_len = get_le32(buf + OFF_COOKIE_LEN);
	h->data_offset = (uint32_t)total;
	h->data_len = get_le64(buf + OFF_DATA_LEN);
	r = check_size(h->data_offset, h->data_len, file_size, err, errlen);
	if (r < 0)
		return r;
	if (len < total)
		return ferry_err(err, errlen, -EINVAL,
				 "save file: %zu bytes read, shorter than the %zu-byte header",
				 len, total);
	r = check_body(buf, h, err, errlen);
	if (r < 0)
		return r;
	*xml = (const char *)buf + FERRY_SAVE_FIXED_LEN;
	*cookie = h->cookie_len ? *xml + h->xml_len : NULL;
	return 0;
}

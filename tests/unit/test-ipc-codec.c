/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ipc-codec.c - the wire format on plain buffers, no sockets: payload
 * encoding (round trips, the exact layout the peer relies on, every way a
 * received field can be refused) and ferry_chan_parse(), the packet check
 * a fuzzer drives with the same kind of buffers.
 *
 * Writers and readers latch their first error, so most tests check both
 * the value a get returns and what ferry_get_end() says at the end.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "channel.h"
#include "codec.h"
#include "util.h"

/* A ferry_wbuf holds a whole payload: too big to leave on the stack twice. */
static struct ferry_wbuf *wbuf_new(void)
{
	struct ferry_wbuf *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(w);
	ferry_wbuf_init(w);
	return w;
}

/* Lay out a string field by hand: u32 length as claimed, then raw bytes. */
static size_t raw_str(uint8_t *buf, uint32_t claimed, const void *bytes, size_t n)
{
	memcpy(buf, &claimed, sizeof(claimed));
	memcpy(buf + sizeof(claimed), bytes, n);
	return sizeof(claimed) + n;
}

/* Read one string field out of @buf and expect it refused, naming "label". */
static void expect_bad_str(const uint8_t *buf, size_t len)
{
	struct ferry_rbuf rb;
	const char *s;
	char why[128];

	ferry_rbuf_init(&rb, buf, len);
	s = ferry_get_str(&rb, "label");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(rb.err, -EBADMSG);
	/* A refused field consumes nothing: the reader stays where it was. */
	ck_assert_uint_eq(rb.left, len - sizeof(uint32_t));
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'label' is truncated or malformed");
}

START_TEST(test_u32_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const uint32_t v[] = { 0, 1, 0x01020304u, 0xdeadbeefu, UINT32_MAX };
	struct ferry_rbuf rb;
	char why[128] = "";

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ferry_put_u32(w, v[i]);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, sizeof(v));
	/* Host byte order, no padding: the bytes are the array's bytes. */
	ck_assert_mem_eq(w->data, v, sizeof(v));
	ferry_rbuf_init(&rb, w->data, w->len);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ck_assert_uint_eq(ferry_get_u32(&rb, "v"), v[i]);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(test_i32_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const int32_t v[] = { INT32_MIN, -EBADMSG, -1, 0, 1, INT32_MAX };
	struct ferry_rbuf rb;
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ferry_put_i32(w, v[i]);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, sizeof(v));
	ck_assert_mem_eq(w->data, v, sizeof(v));
	ferry_rbuf_init(&rb, w->data, w->len);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ck_assert_int_eq(ferry_get_i32(&rb, "v"), v[i]);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_u64_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const uint64_t v[] = { 0, 1, 0x0102030405060708ull, 1ull << 32, UINT64_MAX };
	struct ferry_rbuf rb;
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ferry_put_u64(w, v[i]);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, sizeof(v));
	ck_assert_mem_eq(w->data, v, sizeof(v));
	ferry_rbuf_init(&rb, w->data, w->len);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ck_assert_uint_eq(ferry_get_u64(&rb, "v"), v[i]);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_i64_round_trip)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	const int64_t v[] = { INT64_MIN, -ENOENT, -1, 0, 1ll << 40, INT64_MAX };
	struct ferry_rbuf rb;
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ferry_put_i64(w, v[i]);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, sizeof(v));
	ck_assert_mem_eq(w->data, v, sizeof(v));
	ferry_rbuf_init(&rb, w->data, w->len);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		ck_assert_int_eq(ferry_get_i64(&rb, "v"), v[i]);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_str_empty)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_rbuf rb;
	const char *s;
	char why[128];
	uint32_t n = 1;

	ferry_put_str(w, "");
	ck_assert_int_eq(w->err, 0);
	/* The length counts the NUL, so even "" takes five bytes. */
	ck_assert_uint_eq(w->len, sizeof(n) + 1);
	ck_assert_mem_eq(w->data, &n, sizeof(n));
	ck_assert_uint_eq(w->data[sizeof(n)], 0);
	ferry_rbuf_init(&rb, w->data, w->len);
	s = ferry_get_str(&rb, "s");
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
	ck_assert_str_eq(s, "");
	/* Not copied: the string is read where it lies in the payload. */
	ck_assert_ptr_eq(s, (const char *)w->data + sizeof(n));
}
END_TEST

START_TEST(test_str_long)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ char *big = malloc(FERRY_WIRE_MAX_PAYLOAD);
	/* The longest string that fits: length prefix plus NUL fill the rest. */
	size_t n = FERRY_WIRE_MAX_PAYLOAD - sizeof(uint32_t) - 1;
	struct ferry_rbuf rb;
	const char *s;
	char why[128];

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	ferry_put_str(w, big);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, FERRY_WIRE_MAX_PAYLOAD);
	ferry_rbuf_init(&rb, w->data, w->len);
	s = ferry_get_str(&rb, "big");
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
	ck_assert_uint_eq(strlen(s), n);
	ck_assert_str_eq(s, big);
}
END_TEST

START_TEST(test_mixed_sequence)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_rbuf rb;
	char why[128];

	ferry_put_u32(w, 7);
	ferry_put_str(w, "ferry-monitor");
	ferry_put_i64(w, -42);
	ferry_put_str(w, "");
	ferry_put_u64(w, 0xfeedfacecafebeefull);
	ferry_put_i32(w, -EPERM);
	ferry_put_str(w, "tail");
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, 4 + (4 + 14) + 8 + (4 + 1) + 8 + 4 + (4 + 5));

	ferry_rbuf_init(&rb, w->data, w->len);
	ck_assert_uint_eq(ferry_get_u32(&rb, "a"), 7);
	ck_assert_str_eq(ferry_get_str(&rb, "b"), "ferry-monitor");
	ck_assert_int_eq(ferry_get_i64(&rb, "c"), -42);
	ck_assert_str_eq(ferry_get_str(&rb, "d"), "");
	ck_assert_uint_eq(ferry_get_u64(&rb, "e"), 0xfeedfacecafebeefull);
	ck_assert_int_eq(ferry_get_i32(&rb, "f"), -EPERM);
	ck_assert_str_eq(ferry_get_str(&rb, "g"), "tail");
	ck_assert_uint_eq(rb.left, 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_wbuf_fills_exactly)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();

	for (size_t i = 0; i < FERRY_WIRE_MAX_PAYLOAD / sizeof(uint64_t); i++)
		ferry_put_u64(w, i);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, FERRY_WIRE_MAX_PAYLOAD);
	ferry_put_u32(w, 1);
	ck_assert_int_eq(w->err, -EMSGSIZE);
	ck_assert_uint_eq(w->len, FERRY_WIRE_MAX_PAYLOAD);
}
END_TEST

START_TEST(test_wbuf_overflow_latches)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	size_t len;

	for (size_t i = 0; i < FERRY_WIRE_MAX_PAYLOAD / sizeof(uint32_t) - 1; i++)
		ferry_put_u32(w, (uint32_t)i);
	ck_assert_int_eq(w->err, 0);
	len = w->len;
	ck_assert_uint_eq(len, FERRY_WIRE_MAX_PAYLOAD - 4);
	/* Eight bytes into four: refused whole, not written in part. */
	ferry_put_u64(w, UINT64_MAX);
	ck_assert_int_eq(w->err, -EMSGSIZE);
	ck_assert_uint_eq(w->len, len);
	/* Would fit, but the buffer already lost a field: nothing more goes in. */
	ferry_put_u32(w, 0xabcdu);
	ferry_put_i32(w, -1);
	ck_assert_int_eq(w->err, -EMSGSIZE);
	ck_assert_uint_eq(w->len, len);

	ferry_wbuf_init(w);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_eq(w->len, 0);
}
END_TEST

START_TEST(test_wbuf_str_too_long)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	_cleanup_free_ char *big = malloc(FERRY_WIRE_MAX_PAYLOAD);
	size_t len;

	ck_assert_ptr_nonnull(big);
	/* One byte more than test_str_long's string: the NUL no longer fits. */
	memset(big, 'x', FERRY_WIRE_MAX_PAYLOAD - sizeof(uint32_t));
	big[FERRY_WIRE_MAX_PAYLOAD - sizeof(uint32_t)] = '\0';
	ferry_put_str(w, big);
	ck_assert_int_eq(w->err, -EMSGSIZE);
	len = w->len;
	ferry_put_str(w, "");
	ck_assert_int_eq(w->err, -EMSGSIZE);
	ck_assert_uint_eq(w->len, len);
}
END_TEST

/* Each width, one byte short: refused, zero returned, the field named. */
START_TEST(test_rbuf_truncated)
{
	const uint8_t buf[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ferry_rbuf rb;
	char why[128];

	ferry_rbuf_init(&rb, buf, 3);
	ck_assert_uint_eq(ferry_get_u32(&rb, "count"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'count' is truncated or malformed");

	ferry_rbuf_init(&rb, buf, 3);
	ck_assert_int_eq(ferry_get_i32(&rb, "status"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'status' is truncated or malformed");

	ferry_rbuf_init(&rb, buf, 7);
	ck_assert_uint_eq(ferry_get_u64(&rb, "token"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'token' is truncated or malformed");

	ferry_rbuf_init(&rb, buf, 7);
	ck_assert_int_eq(ferry_get_i64(&rb, "result"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'result' is truncated or malformed");

	ferry_rbuf_init(&rb, NULL, 0);
	ck_assert_uint_eq(ferry_get_u32(&rb, "first"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'first' is truncated or malformed");
}
END_TEST

/* After one failed field the rest read as zero and the first one is blamed. */
START_TEST(test_rbuf_error_latches)
{
	const uint32_t buf[2] = { 11, 22 };
	struct ferry_rbuf rb;
	char why[128];

	ferry_rbuf_init(&rb, buf, sizeof(buf));
	ck_assert_uint_eq(ferry_get_u32(&rb, "first"), 11);
	ck_assert_uint_eq(ferry_get_u64(&rb, "second"), 0);
	/* Four bytes are left, enough for a u32, but the reader stopped. */
	ck_assert_uint_eq(ferry_get_u32(&rb, "third"), 0);
	ck_assert_str_eq(ferry_get_str(&rb, "fourth"), "");
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'second' is truncated or malformed");
}
END_TEST

START_TEST(test_rbuf_trailing_bytes)
{
	const uint8_t buf[6] = { 1, 0, 0, 0, 0xaa, 0xbb };
	struct ferry_rbuf rb;
	char why[128];

	ferry_rbuf_init(&rb, buf, sizeof(buf));
	ck_assert_uint_eq(ferry_get_u32(&rb, "only"), 1);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "2 unexpected bytes after the last field");

	/* A payload nobody reads is all trailing bytes. */
	ferry_rbuf_init(&rb, buf, sizeof(buf));
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "6 unexpected bytes after the last field");
}
END_TEST

START_TEST(test_rbuf_empty_ok)
{
	struct ferry_rbuf rb;
	char why[16] = "";

	ferry_rbuf_init(&rb, NULL, 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
}
END_TEST

/* A short error buffer still gets a terminated message and the error. */
START_TEST(test_rbuf_errbuf_small)
{
	struct ferry_rbuf rb;
	char why[8];

	ferry_rbuf_init(&rb, NULL, 0);
	ferry_get_u32(&rb, "a_long_field_name");
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field '");
}
END_TEST

START_TEST(test_str_without_nul)
{
	uint8_t buf[16];

	expect_bad_str(buf, raw_str(buf, 3, "abc", 3));
}
END_TEST

START_TEST(test_str_embedded_nul)
{
	uint8_t buf[16];

	/* Ends in a NUL, but a second one would hide "b" from C. */
	expect_bad_str(buf, raw_str(buf, 4, "a\0b", 4));
	expect_bad_str(buf, raw_str(buf, 2, "\0", 2));
}
END_TEST

START_TEST(test_str_len_zero)
{
	uint8_t buf[16];

	/* Zero cannot even hold the NUL; with bytes after it or without. */
	expect_bad_str(buf, raw_str(buf, 0, "", 0));
	expect_bad_str(buf, raw_str(buf, 0, "abc", 4));
}
END_TEST

START_TEST(test_str_len_beyond_payload)
{
	uint8_t buf[16];

	expect_bad_str(buf, raw_str(buf, 6, "abcd", 5));
	expect_bad_str(buf, raw_str(buf, 100, "abcd", 5));
	expect_bad_str(buf, raw_str(buf, UINT32_MAX, "abcd", 5));
}
END_TEST

START_TEST(test_str_len_truncated)
{
	const uint8_t buf[2] = { 5, 0 };
	struct ferry_rbuf rb;
	char why[128];

	ferry_rbuf_init(&rb, buf, sizeof(buf));
	ck_assert_str_eq(ferry_get_str(&rb, "name"), "");
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'name' is truncated or malformed");
}
END_TEST

/* A string refused in the middle blames itself, not the fields after it. */
START_TEST(test_str_bad_then_more)
{
	uint8_t buf[32];
	size_t n = raw_str(buf, 3, "abc", 3);
	struct ferry_rbuf rb;
	uint32_t tail = 9;
	char why[128];

	memcpy(buf + n, &tail, sizeof(tail));
	ferry_rbuf_init(&rb, buf, n + sizeof(tail));
	ck_assert_str_eq(ferry_get_str(&rb, "label"), "");
	ck_assert_uint_eq(ferry_get_u32(&rb, "tail"), 0);
	ck_assert_int_eq(ferry_get_end(&rb, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "field 'label' is truncated or malformed");
}
END_TEST

/*
 * ferry_chan_parse() straight on buffers, as the fuzzer calls it. Every
 * refusal row is a valid FDS1 event with one thing wrong, handed one real
 * fd, which the parser must close.
 */
enum { T_LATE = 203, T_FDS1 = 211, T_FDS2 = 212 };

static const struct ferry_msg_spec parse_specs[] = {
	{ T_LATE, "LATE", 0, 0, 0, FERRY_SPEC_EVENT, 0x02, NULL },
	{ T_FDS1, "FDS1", 0, 0, 1, FERRY_SPEC_EVENT, FERRY_PHASE_READY, NULL },
	{ T_FDS2, "FDS2", 0, 0, 2, FERRY_SPEC_EVENT, FERRY_PHASE_READY, NULL },
};

/* Entries in /proc/self/fd, less the one opendir() holds while counting. */
static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static int test_file(void)
{
	int fd = memfd_create("ferry-test", 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void parse_chan(struct ferry_chan *chan, uint32_t phase)
{
	size_t n = ARRAY_SIZE(parse_specs);

	ck_assert_int_eq(ferry_chan_init(chan, -1, "fuzz", parse_specs, n, NULL), 0);
	chan->phase = phase;
}

/* A header: type, id, len, nfds, flags (, reserved). */
#define HR(t, i, l, n, f, r) { .version = FERRY_WIRE_VERSION, .type = (t), .id = (i), \
			       .len = (l), .nfds = (n), .flags = (f), .reserved = (r) }
#define H(t, i, l, n, f) HR(t, i, l, n, f, 0)

static const struct parse_case {
	struct ferry_wire_hdr h;
	size_t len;		/* bytes the parser is told it got */
	int msg_flags;
	int want;
	const char *words;
} parse_cases[] = {
	{ H(T_FDS1, 0, 0, 1, 0), 0, 0, -EPROTO, "short packet: 0 bytes" },
	{ H(T_FDS1, 0, 0, 1, 0), 15, 0, -EPROTO, "short packet: 15 bytes" },
	{ { .version = 0, .type = T_FDS1, .nfds = 1 }, 16, 0, -EPROTO, "version 0, this side speaks 1" },
	{ H(T_FDS1, 0, 1, 1, 0), 16, 0, -EPROTO, "header says 1 payload bytes, packet carries 0" },
	{ H(T_FDS1, 0, 0, 1, 0), 17, 0, -EPROTO, "header says 0 payload bytes, packet carries 1" },
	{ H(T_FDS1, 0, 65537, 1, 0), 16, 0, -EMSGSIZE, "payload length 65537 exceeds" },
	{ H(T_FDS1, 0, 0, 1, 0), 16, MSG_CTRUNC, -EPROTO, "control data truncated" },
	/* The flag alone refuses: recvmsg() may report it with any length. */
	{ H(T_FDS1, 0, 0, 1, 0), 16, MSG_TRUNC, -EMSGSIZE, "exceeds the 65552-byte limit" },
	{ H(T_FDS1, 0, 0, 1, 0), FERRY_WIRE_MAX_PACKET + 1, 0, -EMSGSIZE, "packet of 65553 bytes" },
	{ H(999, 0, 0, 1, 0), 16, 0, -EPROTO, "unknown message type 999" },
	{ H(T_FDS1, 0, 0, 2, 0), 16, 0, -EPROTO, "header announces 2 fds, 1 arrived" },
	{ H(T_FDS1, 0, 0, 0, 0), 16, 0, -EPROTO, "header announces 0 fds, 1 arrived" },
	{ H(T_FDS1, 0, 0, 1, 0x02), 16, 0, -EPROTO, "unknown header flags 0x2" },
	{ HR(T_FDS1, 0, 0, 1, 0, 1), 16, 0, -EPROTO, "reserved 0x1" },
	{ H(FERRY_MSG_HELLO, 0, 0, 1, 0), 16, 0, -EPROTO, "second HELLO" },
	{ H(T_FDS2, 0, 0, 1, 0), 16, 0, -EPROTO, "FDS2 carries 1 fds, expects exactly 2" },
	{ H(T_FDS1, 0, 0, 1, FERRY_WIRE_F_REPLY), 16, 0, -EPROTO, "FDS1 must not carry the reply" },
	{ H(T_FDS1, 3, 0, 1, 0), 16, 0, -EPROTO, "FDS1 carries id 3, events carry 0" },
	{ H(T_FDS1, 0, 4, 1, 0), 20, 0, -EBADMSG, "FDS1 payload of 4 bytes, expected 0 to 0" },
	{ H(T_LATE, 0, 0, 1, 0), 16, 0, -EPROTO, "LATE is not permitted in phase 0x1" },
};

START_TEST(test_parse_refuses)
{
	const struct parse_case *pc = &parse_cases[_i];
	_cleanup_free_ uint8_t *pkt = calloc(1, FERRY_WIRE_MAX_PACKET + 1);
	int before = count_open_fds();
	struct ferry_chan chan;
	struct ferry_msg msg;
	int fds[1], fd;
	int r, e;

	ck_assert_ptr_nonnull(pkt);
	parse_chan(&chan, FERRY_PHASE_READY);
	memcpy(pkt, &pc->h, sizeof(pc->h));
	fds[0] = fd = test_file();
	r = ferry_chan_parse(&chan, pkt, pc->len, fds, 1, pc->msg_flags, &msg);
	ck_assert_msg(r == pc->want, "got %d, want %d (\"%s\")", r, pc->want, chan.err);
	ck_assert_msg(strstr(chan.err, pc->words), "\"%s\" not in \"%s\"", pc->words, chan.err);
	ck_assert_int_eq(fds[0], -1);
	r = fcntl(fd, F_GETFD);
	e = errno;
	ck_assert_msg(r == -1 && e == EBADF, "the refused packet's fd is still open");
	ferry_chan_close(&chan);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* A HELLO packet, laid out by the codec, with a name of the caller's choosing. */
static size_t hello_packet(uint8_t *pkt, size_t size, const char *name)
{
	_cleanup_free_ struct ferry_wbuf *w = wbuf_new();
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, 0, 0, 0);

	ferry_put_u32(w, FERRY_WIRE_VERSION);
	ferry_put_str(w, name);
	ferry_put_u32(w, 12);
	ferry_put_u32(w, FERRY_NS_NET);
	ck_assert_int_eq(w->err, 0);
	ck_assert_uint_le(sizeof(h) + w->len, size);
	h.len = (uint32_t)w->len;
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + sizeof(h), w->data, w->len);
	return sizeof(h) + w->len;
}

/* On success the fds move into the message and the caller's array lets go. */
START_TEST(test_parse_accepts)
{
	struct ferry_wire_hdr h = H(T_FDS2, 0, 0, 2, 0);
	int before = count_open_fds();
	uint8_t pkt[FERRY_WIRE_HDR_SIZE + 64];
	struct ferry_chan chan;
	struct ferry_msg msg;
	int fds[2], orig[2];
	size_t len;

	parse_chan(&chan, 0);
	len = hello_packet(pkt, sizeof(pkt), "ferry-fuzz");
	ck_assert_int_eq(ferry_chan_parse(&chan, pkt, len, NULL, 0, 0, &msg), 0);
	ck_assert_uint_eq(msg.hdr.type, FERRY_MSG_HELLO);
	ck_assert_ptr_eq(msg.payload, pkt + FERRY_WIRE_HDR_SIZE);
	ck_assert_uint_eq(msg.len, len - FERRY_WIRE_HDR_SIZE);
	ck_assert_str_eq(msg.spec->name, "HELLO");
	ck_assert_int_eq(ferry_chan_dispatch(&chan, &msg), 0);
	ck_assert_uint_eq(chan.phase, FERRY_PHASE_READY);
	ck_assert_str_eq(chan.peer_hello.name, "ferry-fuzz");
	ck_assert_uint_eq(chan.peer_hello.filter_syscalls, 12);
	ck_assert_uint_eq(chan.peer_hello.namespaces, FERRY_NS_NET);

	memcpy(pkt, &h, sizeof(h));
	orig[0] = fds[0] = test_file();
	orig[1] = fds[1] = test_file();
	ck_assert_int_eq(ferry_chan_parse(&chan, pkt, sizeof(h), fds, 2, 0, &msg), 0);
	ck_assert_int_eq(fds[0], -1);
	ck_assert_int_eq(fds[1], -1);
	ck_assert_uint_eq(msg.nfds, 2);
	ck_assert_int_eq(msg.fds[0], orig[0]);
	ck_assert_int_eq(msg.fds[1], orig[1]);
	for (unsigned i = 2; i < FERRY_WIRE_MAX_FDS; i++)
		ck_assert_int_eq(msg.fds[i], -1);
	/* No handler in the table: dispatch just closes what came. */
	ck_assert_int_eq(ferry_chan_dispatch(&chan, &msg), 0);
	ck_assert_int_eq(fcntl(orig[0], F_GETFD), -1);
	ck_assert_int_eq(fcntl(orig[1], F_GETFD), -1);
	ferry_chan_close(&chan);
	ck_assert_int_eq(count_open_fds(), before);
}
END_TEST

/* Framing passes; the HELLO's own fields are checked when it is taken. */
START_TEST(test_parse_hello_empty_name)
{
	uint32_t f[4] = { FERRY_WIRE_VERSION, 0, 0, 0 };	/* name of length 0 */
	struct ferry_wire_hdr h = H(FERRY_MSG_HELLO, 0, sizeof(f), 0, 0);
	uint8_t pkt[sizeof(h) + sizeof(f)];
	struct ferry_chan chan;
	struct ferry_msg msg;

	parse_chan(&chan, 0);
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + sizeof(h), f, sizeof(f));
	ck_assert_int_eq(ferry_chan_parse(&chan, pkt, sizeof(pkt), NULL, 0, 0, &msg), 0);
	ck_assert_int_eq(ferry_chan_dispatch(&chan, &msg), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(chan.err, "malformed HELLO: field 'name'"));
	ck_assert_uint_eq(chan.phase, 0);
	ferry_chan_close(&chan);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("ipc-codec");
	TCase *rt = tcase_create("round-trip");
	TCase *wr = tcase_create("write-limits");
	TCase *rd = tcase_create("read-refusals");
	TCase *parse = tcase_create("parse");

	tcase_add_test(rt, test_u32_round_trip);
	tcase_add_test(rt, test_i32_round_trip);
	tcase_add_test(rt, test_u64_round_trip);
	tcase_add_test(rt, test_i64_round_trip);
	tcase_add_test(rt, test_str_empty);
	tcase_add_test(rt, test_str_long);
	tcase_add_test(rt, test_mixed_sequence);
	suite_add_tcase(s, rt);

	tcase_add_test(wr, test_wbuf_fills_exactly);
	tcase_add_test(wr, test_wbuf_overflow_latches);
	tcase_add_test(wr, test_wbuf_str_too_long);
	suite_add_tcase(s, wr);

	tcase_add_test(rd, test_rbuf_truncated);
	tcase_add_test(rd, test_rbuf_error_latches);
	tcase_add_test(rd, test_rbuf_trailing_bytes);
	tcase_add_test(rd, test_rbuf_empty_ok);
	tcase_add_test(rd, test_rbuf_errbuf_small);
	tcase_add_test(rd, test_str_without_nul);
	tcase_add_test(rd, test_str_embedded_nul);
	tcase_add_test(rd, test_str_len_zero);
	tcase_add_test(rd, test_str_len_beyond_payload);
	tcase_add_test(rd, test_str_len_truncated);
	tcase_add_test(rd, test_str_bad_then_more);
	suite_add_tcase(s, rd);

	tcase_add_loop_test(parse, test_parse_refuses, 0, ARRAY_SIZE(parse_cases));
	tcase_add_test(parse, test_parse_accepts);
	tcase_add_test(parse, test_parse_hello_empty_name);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

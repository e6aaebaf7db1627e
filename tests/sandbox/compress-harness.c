/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-harness.c - threads, helpers and checks for the ferry-compress
 * sandbox tests (see compress-harness.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress-harness.h"
#include "util.h"

#define IO_CHUNK (256u * 1024u)

/* --- data: writer and reader threads ------------------------------------ */

void *cz_writer(void *arg)
{
	struct cz_flow *f = arg;
	uint8_t *buf = malloc(IO_CHUNK);
	uint64_t pos = 0;

	ck_assert_ptr_nonnull(buf);
	while (pos < f->limit && !f->err) {
		size_t len = f->limit - pos < IO_CHUNK ? (size_t)(f->limit - pos) : IO_CHUNK;
		ssize_t n;

		cdata_fill(f->kind, f->seed, pos, buf, len);
		for (size_t off = 0; off < len && !f->err; off += (size_t)n) {
			n = write(f->fd, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				n = 0;
			else if (n < 0)
				f->err = errno;
			else
				atomic_store(&f->done, pos += (uint64_t)n);
		}
	}
	close(f->fd);
	free(buf);
	return NULL;
}

void *cz_reader(void *arg)
{
	struct cz_flow *f = arg;
	uint8_t *buf = malloc(IO_CHUNK);
	uint64_t pos = 0;

	ck_assert_ptr_nonnull(buf);
	while (f->bad_at == UINT64_MAX) {
		ssize_t n = read(f->fd, buf, IO_CHUNK);
		size_t bad;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->err = n < 0 ? errno : 0;
			f->eof = n == 0;
			break;
		}
		bad = f->kind < CDATA_KINDS ? cdata_diff(f->kind, f->seed, pos, buf, (size_t)n)
					    : SIZE_MAX;
		if (bad != SIZE_MAX)
			f->bad_at = pos + bad;
		atomic_store(&f->done, pos += (uint64_t)n);
	}
	close(f->fd);
	free(buf);
	return NULL;
}

void cz_flow_start(struct cz_flow *f, void *(*fn)(void *), int fd, enum cdata_kind kind,
		   uint64_t seed, uint64_t limit)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->kind = kind;
	f->seed = seed;
	f->limit = limit;
	f->bad_at = UINT64_MAX;
	ck_assert_int_eq(pthread_create(&f->th, NULL, fn, f), 0);
}

void cz_flow_join(struct cz_flow *f)
{
	ck_assert_int_eq(pthread_join(f->th, NULL), 0);
}

/* The reader got exactly @n right bytes, then EOF. */
void cz_expect_read_all(const struct cz_flow *f, uint64_t n)
{
	ck_assert_msg(f->bad_at == UINT64_MAX, "byte %" PRIu64 " differs", f->bad_at);
	ck_assert_msg(f->eof, "reader stopped by %s, not EOF", strerror(f->err));
	ck_assert_uint_eq(atomic_load(&f->done), n);
}

void cz_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
}

void cz_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* An unlinked temporary file, as a save file: read-write, at offset 0. */
int cz_temp_file(void)
{
	char path[] = "/tmp/ferry-compress-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

uint64_t cz_file_size(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (uint64_t)st.st_size;
}

void cz_rewind(int fd)
{
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
}

/* --- helpers and what they report ---------------------------------------- */

struct cz_job cz_jobs[2];
static int fds_before;

static void on_event(struct ferry_helper *h, const struct ferry_msg *m, void *data)
{
	struct cz_job *v = data;
	struct ferry_compress_progress pr;
	char why[160];

	if (m->hdr.type == FERRY_MSG_COMPRESS_PROGRESS) {
		ck_assert_msg(ferry_compress_get_progress(m->payload, m->len, &pr, why,
							  sizeof(why)) == 0, "%s", why);
		ck_assert(!v->done);
		ck_assert_uint_ge(pr.bytes_in, v->last_in);
		ck_assert_uint_ge(pr.bytes_out, v->last_out);
		v->last_in = pr.bytes_in;
		v->last_out = pr.bytes_out;
		v->progress++;
		return;
	}
	ck_assert_uint_eq(m->hdr.type, FERRY_MSG_COMPRESS_DONE);
	ck_assert_msg(!v->done, "a second COMPRESS_DONE");
	ck_assert_msg(ferry_compress_get_done(m->payload, m->len, &v->end, why, sizeof(why)) == 0,
		      "%s", why);
	snprintf(v->msg, sizeof(v->msg), "%s", v->end.message);
	v->end.message = v->msg;
	ck_assert_uint_ge(v->end.bytes_in, v->last_in);
	ck_assert_uint_ge(v->end.bytes_out, v->last_out);
	v->done = true;
}

void cz_start_helper(struct cz_job *v)
{
	struct ferry_helper_opts o;
	char err[512];

	memset(v, 0, sizeof(*v));
	ck_assert_msg(ferry_helper_opts_default(&o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ferry_helper_start(&mon_loop, FERRY_HELPER_COMPRESS, &o, &v->h,
					 err, sizeof(err)) == 0, "%s", err);
	v->h.on_event = on_event;
	v->h.event_data = v;
	ck_assert_msg(ferry_loop_wait(&mon_loop, &v->h.ready, MON_TIMEOUT_MS) == 0,
		      "ferry-compress gave no HELLO: %s %s", v->h.exit_desc, v->h.error);
}

static void stop_helper(struct cz_job *v)
{
	if (!v->h.exited) {
		ferry_helper_shutdown(&v->h);
		ck_assert_msg(ferry_loop_wait(&mon_loop, &v->h.exited, MON_TIMEOUT_MS) == 0,
			      "ferry-compress did not exit");
		ck_assert_msg(strstr(v->h.exit_desc, "exited with status 0"), "%s", v->h.exit_desc);
	}
	ferry_helper_release(&v->h);
}

void cz_setup(void)
{
	fds_before = mon_count_fds();
	mon_setup();
	cz_start_helper(&cz_jobs[0]);
}

/* The broker hangs up; each helper must exit 0 and every fd of the test be closed. */
void cz_teardown(void)
{
	stop_helper(&cz_jobs[0]);
	if (cz_jobs[1].h.info)
		stop_helper(&cz_jobs[1]);
	mon_teardown();
	ck_assert_int_eq(mon_count_fds(), fds_before);
}

void cz_call(struct cz_job *v, uint16_t type, const struct ferry_wbuf *w, const int *fds,
	     unsigned nfds, struct mon_rec *r)
{
	mon_call_async(&v->h, type, w, fds, nfds, r);
	mon_wait(&r->done);
	ck_assert_msg(r->got, "no reply: %s %s", v->h.exit_desc, v->h.error);
}

void cz_expect_ok(const struct mon_rec *r)
{
	const char *text = "";

	if (r->type == FERRY_MSG_ERROR)
		mon_expect_error(r, &text);
	ck_assert_msg(r->type == FERRY_MSG_COMPRESS_OK, "reply type %u: %s", r->type, text);
	ck_assert_uint_eq(r->len, 0);
}

void cz_expect_error(const struct mon_rec *r, int32_t err, const char *text)
{
	const char *got;

	ck_assert_int_eq(mon_expect_error(r, &got), err);
	ck_assert_str_eq(got, text);
}

/* COMPRESS_START with a raw payload; the test's copies of the fds stay open. */
void cz_start_raw(struct cz_job *v, const struct ferry_compress_start *st, int from, int to,
		  struct mon_rec *r)
{
	struct ferry_wbuf w;
	int fds[2] = { from, to };

	ferry_wbuf_init(&w);
	ferry_put_u32(&w, st->mode);
	ferry_put_u32(&w, st->flags);
	ferry_put_u32(&w, st->block_size);
	ferry_put_u32(&w, st->threads);
	ferry_put_u64(&w, st->max_output);
	cz_call(v, FERRY_MSG_COMPRESS_START, &w, fds, 2, r);
}

void cz_start_job(struct cz_job *v, const struct ferry_compress_start *st, int from, int to)
{
	struct mon_rec r;

	/* A new job: its reports start afresh (its DONE may come right behind the reply). */
	v->progress = 0;
	v->last_in = v->last_out = 0;
	v->done = false;
	cz_start_raw(v, st, from, to, &r);
	cz_expect_ok(&r);
}

const struct ferry_compress_start cz_deflate = { .mode = FERRY_COMPRESS_DEFLATE };
const struct ferry_compress_start cz_inflate = { .mode = FERRY_COMPRESS_INFLATE };

void cz_wait_done(struct cz_job *v, int timeout_ms)
{
	uint64_t end = ferry_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!v->done) {
		ck_assert_msg(!v->h.exited, "%s", v->h.exit_desc);
		ck_assert_msg(ferry_now_ns() < end, "no COMPRESS_DONE after %d ms", timeout_ms);
		ferry_loop_run_once(&mon_loop, 50);
	}
}

void cz_expect_done(const struct cz_job *v, int32_t status, uint64_t in, uint64_t out,
		    const char *message)
{
	ck_assert_msg(v->end.status == status, "status %d (%s), expected %d", v->end.status,
		      v->msg, status);
	ck_assert_uint_eq(v->end.bytes_in, in);
	ck_assert_uint_eq(v->end.bytes_out, out);
	if (status == 0)
		ck_assert_uint_eq(v->end.error_offset, FERRY_COMPRESS_NO_OFFSET);
	ck_assert_str_eq(v->msg, message);
}

void cz_inflate_and_check(struct cz_job *v, int file, enum cdata_kind kind, uint64_t n)
{
	struct cz_flow r;
	int s[2], to_copy;

	cz_socketpair(s);
	to_copy = fcntl(s[0], F_DUPFD_CLOEXEC, 0);
	ck_assert_int_ge(to_copy, 0);
	cz_flow_start(&r, cz_reader, s[1], kind, 7, 0);
	cz_start_job(v, &cz_inflate, file, s[0]);
	close(s[0]);
	cz_wait_done(v, DATA_TIMEOUT_MS);
	cz_flow_join(&r);
	close(to_copy);
	cz_expect_read_all(&r, n);
	cz_expect_done(v, 0, cz_file_size(file), n, "end of stream");
}


/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compress-harness.h - what the ferry-compress sandbox tests share: writer
 * and reader threads at the far ends of a job's fds, up to two real
 * helpers spawned by the broker's own code with every event they report
 * checked and kept, and the calls and checks the tests make.
 */
#ifndef FERRY_TEST_COMPRESS_HARNESS_H
#define FERRY_TEST_COMPRESS_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "compress-data.h"
#include "compress-proto.h"
#include "mon-harness.h"

#define MIB (1024u * 1024u)
#define DATA_TIMEOUT_MS 60000

/* A thread at the far end of an fd; the thread closes the fd when it stops. */
struct cz_flow {
	int fd;
	enum cdata_kind kind;
	uint64_t seed;
	uint64_t limit;			/* writer: bytes to send, then close; UINT64_MAX: until refused */
	_Atomic uint64_t done;		/* bytes written, or read (and, by a reader, found right) */
	int err;			/* errno that stopped it; 0: limit or EOF */
	bool eof;			/* reader: EOF came */
	uint64_t bad_at;		/* reader: first wrong byte; UINT64_MAX: none */
	pthread_t th;
};

/* Writes the stream (@kind, @seed) up to its limit. */
void *cz_writer(void *arg);
/*
 * Reads until EOF, checking every byte against the stream (@kind, @seed);
 * @kind CDATA_KINDS: any bytes (deflate output), only counted.
 */
void *cz_reader(void *arg);
void cz_flow_start(struct cz_flow *f, void *(*fn)(void *), int fd, enum cdata_kind kind,
		   uint64_t seed, uint64_t limit);
void cz_flow_join(struct cz_flow *f);
/* The reader got exactly @n right bytes, then EOF. */
void cz_expect_read_all(const struct cz_flow *f, uint64_t n);

void cz_pipe(int p[2]);
void cz_socketpair(int sv[2]);
/* An unlinked temporary file, as a save file: read-write, at offset 0. */
int cz_temp_file(void);
uint64_t cz_file_size(int fd);
void cz_rewind(int fd);

/* A helper and what it has reported. */
struct cz_job {
	struct ferry_helper h;
	unsigned progress;		/* COMPRESS_PROGRESS received */
	uint64_t last_in, last_out;	/* the latest one's counts, never going back */
	bool done;
	struct ferry_compress_done end;
	char msg[FERRY_COMPRESS_MESSAGE_MAX + 1];
};

/* [0] is started by cz_setup(); a test may start [1]. */
extern struct cz_job cz_jobs[2];
extern const struct ferry_compress_start cz_deflate, cz_inflate;

void cz_start_helper(struct cz_job *v);
/* Check fixture: one helper; after, every helper exits 0 and no fd of the test is left. */
void cz_setup(void);
void cz_teardown(void);

/* A request and its reply, which must come. */
void cz_call(struct cz_job *v, uint16_t type, const struct ferry_wbuf *w, const int *fds,
	     unsigned nfds, struct mon_rec *r);
void cz_expect_ok(const struct mon_rec *r);
void cz_expect_error(const struct mon_rec *r, int32_t err, const char *text);
/* COMPRESS_START with @st's fields as they are; the test's copies of the fds stay open. */
void cz_start_raw(struct cz_job *v, const struct ferry_compress_start *st, int from, int to,
		  struct mon_rec *r);
void cz_start_job(struct cz_job *v, const struct ferry_compress_start *st, int from, int to);
void cz_wait_done(struct cz_job *v, int timeout_ms);
void cz_expect_done(const struct cz_job *v, int32_t status, uint64_t in, uint64_t out,
		    const char *message);

/*
 * Inflate @file into a unix socket and check every byte. The test keeps a
 * copy of "to": the reader sees EOF only because the helper shuts it down.
 */
void cz_inflate_and_check(struct cz_job *v, int file, enum cdata_kind kind, uint64_t n);

#endif

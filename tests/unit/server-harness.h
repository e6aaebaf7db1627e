/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server-harness.h - the client API server under test, and clients for it.
 *
 * srv_start() opens the real server (broker/server.c) on two sockets in a
 * fresh temporary directory, with a loop that only the test runs: every
 * wait for the server (cl_next(), cl_send()...) runs it meanwhile. The
 * request handler is scripted by command name:
 *
 *	echo	answers at once: {"cmd", "readonly", "arguments"}
 *	fail	answers at once with a CommandNotFound error
 *	hold	takes a reference and stores the client in fx.held; the test
 *		answers later with srv_answer_held()
 *	event	sends TEST_EVENT to every client, then answers as echo
 *	size	answers {"size": length of arguments.pad}
 *
 * srv_stop() answers what is still held, closes the server and fails the
 * test if an fd opened since srv_start() is still open.
 */
#ifndef FERRY_TEST_SERVER_HARNESS_H
#define FERRY_TEST_SERVER_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "broker/server.h"
#include "client-proto.h"

/* Long enough for a loaded CI machine; every wait ends as soon as it can. */
#define WAIT_MS 5000
#define MAX_SEEN 32
#define MAX_HELD 8

struct fixture {
	char dir[64], rw[128], ro[128];
	struct ferry_loop *loop;
	struct ferry_server srv;
	struct ferry_access rw_access, ro_access;
	int fds_before;
	/* What the handler was asked, in order. */
	char seen[MAX_SEEN][32];
	bool seen_readonly[MAX_SEEN];
	unsigned nseen;
	/* Clients whose answer the test gives later, each with a reference. */
	struct ferry_client *held[MAX_HELD];
	unsigned nheld, answered;
	unsigned closed;
	int timer;
};

struct client {
	int fd;
	struct ferry_linebuf lb;
};

extern struct fixture fx;

/*
 * One directory for all the sockets of a run, made before Check forks
 * and removed with everything in it afterwards: a test that crashes
 * leaves nothing behind.
 */
void harness_init(void);
void harness_fini(void);
const char *harness_dir(void);

int count_fds(void);
long now_ms(void);

/* Open the server; @rw and @ro are access lists, NULL for this process's uid. */
void srv_start(const char *rw, const char *ro);
void srv_stop(void);
/* One turn of the server's loop, waiting up to @timeout_ms. */
void srv_run(int timeout_ms);
/* Answer held request @i with @ret (NULL: {}) and drop the reference. */
void srv_answer_held(unsigned i, struct json_object *ret);
unsigned srv_nclients(void);
/* An event to every client; @data is JSON text. */
void srv_event(const char *name, const char *data);

void cl_connect(struct client *k, bool readonly);
void cl_close(struct client *k);
/* Connect and check the greeting of that socket. */
void open_client(struct client *k, bool readonly);
/* The next object from the server, or NULL at end of file; fails after WAIT_MS. */
struct json_object *cl_next_or_eof(struct client *k);
struct json_object *cl_next(struct client *k);
void cl_expect_eof(struct client *k);
/* Run the loop a while and check the server sent this client nothing. */
void cl_expect_nothing(struct client *k);
/* Send @s whole while the loop runs; false when the server hung up first. */
bool cl_send_len(struct client *k, const char *s, size_t len);
void cl_send(struct client *k, const char *s);

/* A member by a path of names ("error/class"); NULL when absent. */
struct json_object *jget(struct json_object *o, const char *path);
const char *jget_str(struct json_object *o, const char *path);
int64_t jget_int(struct json_object *o, const char *path);
/* @o is an object of exactly these members. */
void assert_members(struct json_object *o, const char *const *names, size_t n);

void expect_greeting(struct client *k, bool readonly);
/* The next object is a return with @id (JSON text; NULL: no id). The caller puts it. */
struct json_object *expect_return(struct client *k, const char *id);
/* ...and an echo of @cmd. */
void expect_return_cmd(struct client *k, const char *id, const char *cmd);
/* The next object is an error of @cls whose desc holds @desc, with @id. */
void expect_error(struct client *k, const char *cls, const char *desc, const char *id);
/* The next object is event @name with @data (JSON text) and a sane timestamp. */
void expect_event(struct client *k, const char *name, const char *data);

#endif

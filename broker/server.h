/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server.h - the client sockets: one JSON object per line in QMP's shape,
 * a read-write and a read-only socket, peer credentials checked on accept.
 *
 * Each client's requests are answered one at a time, in order: while a
 * request waits for something slow (QEMU starting, a vCPU stop), the
 * client's later lines wait unread. Every request gets exactly one answer.
 */
#ifndef FERRY_SERVER_H
#define FERRY_SERVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "access.h"
#include "loop.h"

#define FERRY_API_MAX_LINE (1024 * 1024)

struct ferry_client;

struct ferry_request {
	const char *cmd;
	struct json_object *args;	/* NULL when absent */
	struct json_object *id;		/* NULL when absent */
	struct json_object *root;
};

typedef void (*ferry_request_fn)(struct ferry_client *c, struct ferry_request *req, void *ctx);
typedef void (*ferry_close_fn)(struct ferry_client *c, void *ctx);

struct ferry_server {
	struct ferry_loop *loop;
	int lfd[2];			/* [0] read-write, [1] read-only */
	char path[2][PATH_MAX];
	const struct ferry_access *access[2];
	struct ferry_client *clients;
	ferry_request_fn on_request;
	ferry_close_fn on_close;
	void *ctx;
	unsigned next_id;
};

struct ferry_client {
	struct ferry_server *srv;
	struct ferry_client *next;
	int fd;
	unsigned id;			/* for logs: "client 7" */
	bool readonly;
	struct ferry_peer peer;
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outcap;
	struct ferry_request cur;	/* the request being answered */
	bool waiting;			/* cur is not answered yet */
	bool in_handler;		/* inside on_request: answers do not recurse */
	bool closing;			/* close once the output is written */
	bool dead;			/* disconnected; kept while referenced */
	unsigned refs;
	/* Set by ferry_client_hand_over(): who takes the socket once the answer is out. */
	void (*hand_over)(int fd, void *data);
	void *hand_over_data;
};

/*
 * ferry_server_open - listen on @rw_path and @ro_path (stale sockets are
 * replaced) with @rw and @ro guarding them. Return 0 or -errno with @err.
 */
int ferry_server_open(struct ferry_server *s, struct ferry_loop *loop,
		      const char *rw_path, const char *ro_path,
		      const struct ferry_access *rw, const struct ferry_access *ro,
		      ferry_request_fn on_request, ferry_close_fn on_close, void *ctx,
		      char *err, size_t errlen);
void ferry_server_close(struct ferry_server *s);

/* Answer the client's current request; takes @ret (NULL: {}). */
void ferry_client_return(struct ferry_client *c, struct json_object *ret);
void ferry_client_error(struct ferry_client *c, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * ferry_client_hand_over - answer the current request with @ret (taken),
 * then, once the answer is written, take the connection off the server
 * and give its socket to @cb, which owns it from then on: the stream
 * that follows is no longer JSON. A client that sent anything after the
 * request is dropped instead, and @cb gets -EPROTO; one that goes before
 * its answer is out gives @cb -ECONNRESET.
 */
void ferry_client_hand_over(struct ferry_client *c, struct json_object *ret,
			    void (*cb)(int fd, void *data), void *data);

/* Keep a client struct alive across an asynchronous answer. */
void ferry_client_ref(struct ferry_client *c);
void ferry_client_unref(struct ferry_client *c);

/* Send an event to every connected client; takes @data. */
void ferry_server_event(struct ferry_server *s, const char *name, struct json_object *data);

#endif

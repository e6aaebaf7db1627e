/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.h - a synchronous client of the ferryd API (docs/api.md).
 *
 * One connection, one request in flight at a time. Each request gets the
 * next number as its id and ferry_client_call() waits for the answer with
 * that id; events arriving meanwhile are queued for
 * ferry_client_next_event(). The library never prints: every failure is a
 * negative errno and a message in the caller's buffer.
 *
 * Return codes shared by the calls below:
 *   -EREMOTEIO  the broker answered with an error; @err holds
 *               "CLASS: desc" and ferry_client_error_class() the class.
 *   -ETIMEDOUT  nothing in time (the connection is then unusable for
 *               calls: a late answer could not be told from the next one).
 *   -ECONNRESET the broker closed the connection.
 *   -EPROTO     the broker broke the protocol (garbage, a wrong id, ...).
 *   -EMSGSIZE   a line over the size limit, either way.
 *   -ENOTCONN   an earlier failure left the connection unusable.
 * and -ENOMEM or the errno of a failed system call.
 */
#ifndef FERRY_CLIENT_H
#define FERRY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "uri.h"

struct ferry_client;

/* Largest number of events held for ferry_client_next_event(). */
#define FERRY_CLIENT_MAX_EVENTS 4096u
/* An error class is 1-64 ASCII letters ("DomainNotFound"). */
#define FERRY_CLIENT_CLASS_MAX 64u

/*
 * ferry_client_connect - connect to @uri and read the greeting
 * @uri:        unix:///path or ssh://... (docs/transports.md); over ssh
 *              the library runs ssh (transport.h), keeps the last line of
 *              its stderr for messages, and reaps it when the client is
 *              freed.
 * @timeout_ms: how long to wait for the greeting and, until changed with
 *              ferry_client_set_timeout(), for each answer; -1 forever.
 * A broker that refuses the peer sends an error instead of a greeting:
 * that is -EREMOTEIO with the broker's reason in @err. An ssh that gives
 * up (no route, a refused key or host key, no ferryctl or no broker over
 * there) is -ECONNRESET with ssh's exit status and its last line of
 * stderr ("ssh exited with status 255 while waiting for the greeting:
 * Host key verification failed.").
 * Return: 0 with a new client in @out, or a negative errno with @err
 * naming the URI and what failed.
 */
int ferry_client_connect(const char *uri, int timeout_ms, struct ferry_client **out,
			 char *err, size_t errlen);

/*
 * ferry_client_open_fd - the same on a connected stream socket
 * The client owns @fd from here on, also on failure. Meant for transports
 * that connect by other means and for tests; @name appears in messages.
 */
int ferry_client_open_fd(int fd, const char *name, int timeout_ms,
			 struct ferry_client **out, char *err, size_t errlen);

/*
 * Close the connection and drop queued events. NULL is fine. Over ssh,
 * waits up to 3 s for ssh to end (the remote proxy ends on our close),
 * then kills it. An application that ignores SIGCHLD reaps nothing here.
 */
void ferry_client_free(struct ferry_client *cl);
static inline void ferry_client_freep(struct ferry_client **cl)
{
	ferry_client_free(*cl);
}
#define _cleanup_client_ __attribute__((cleanup(ferry_client_freep)))

/* What the greeting said. */
bool ferry_client_readonly(const struct ferry_client *cl);
void ferry_client_version(const struct ferry_client *cl, unsigned *major,
			  unsigned *minor, unsigned *micro);

/* Receive timeout for later calls, in milliseconds; -1 waits forever. */
void ferry_client_set_timeout(struct ferry_client *cl, int timeout_ms);

/*
 * ferry_client_call - run one command and wait for its answer
 * @args: the command's arguments, an object; NULL sends none. Borrowed:
 *        the caller keeps its reference.
 * @ret:  on success, a new reference to the "return" value.
 * Return: 0, -EREMOTEIO for an error answer, or another negative errno
 * (see the top of this file), with @err filled in.
 */
int ferry_client_call(struct ferry_client *cl, const char *cmd, struct json_object *args,
		      struct json_object **ret, char *err, size_t errlen);

/*
 * The class of the last error answer ("DomainNotFound"), or "" when the
 * last call did not end in one.
 */
const char *ferry_client_error_class(const struct ferry_client *cl);

/*
 * ferry_client_next_event - the oldest event not taken yet
 * Returns a queued one at once; otherwise waits up to @timeout_ms (-1:
 * forever, 0: only what has arrived already) for the broker to send one.
 * @ev gets a new reference to the whole event object
 * ({"event", "data", "timestamp"}).
 * Return: 0, -ETIMEDOUT when none came, or a negative errno as above.
 */
int ferry_client_next_event(struct ferry_client *cl, int timeout_ms,
			    struct json_object **ev, char *err, size_t errlen);

/* Events queued now, and events dropped because the queue was full. */
/*
 * ferry_client_set_event_hook - hand each event to @hook as it arrives,
 * even in the middle of a call, instead of queueing it (NULL: queue again).
 * @ev is borrowed for the duration of the hook.
 */
typedef void (*ferry_event_hook)(struct json_object *ev, void *data);
void ferry_client_set_event_hook(struct ferry_client *cl, ferry_event_hook hook, void *data);

size_t ferry_client_pending_events(const struct ferry_client *cl);
size_t ferry_client_dropped_events(const struct ferry_client *cl);

#endif

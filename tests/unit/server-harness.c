/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server-harness.c - the server under test and its clients (see
 * server-harness.h): a scripted handler, client sockets read with the
 * client's own framing, and checks on what they receive.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server-harness.h"
#include "util.h"

struct fixture fx;

/* Every test's sockets live under this; see harness_init(). */
static char base[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

void harness_init(void)
{
	snprintf(base, sizeof(base), "/tmp/ferry-server-XXXXXX");
	if (!mkdtemp(base)) {
		perror("test-server: mkdtemp");
		exit(EXIT_FAILURE);
	}
}

void harness_fini(void)
{
	if (nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		perror("test-server: removing the socket directory");
}

const char *harness_dir(void)
{
	return base;
}

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

long now_ms(void)
{
	return (long)(ferry_now_ns() / 1000000);
}

static void on_request(struct ferry_client *c, struct ferry_request *req, void *ctx)
{
	struct fixture *f = ctx;
	struct json_object *ret, *pad;

	ck_assert_ptr_eq(f, &fx);
	ck_assert_ptr_nonnull(req->cmd);
	if (f->nseen < MAX_SEEN) {
		snprintf(f->seen[f->nseen], sizeof(f->seen[0]), "%s", req->cmd);
		f->seen_readonly[f->nseen] = c->readonly;
	}
	f->nseen++;

	if (!strcmp(req->cmd, "hold")) {
		ck_assert_uint_lt(f->nheld, MAX_HELD);
		ferry_client_ref(c);
		f->held[f->nheld++] = c;
		return;
	}
	if (!strcmp(req->cmd, "fail")) {
		ferry_client_error(c, "CommandNotFound", "no command '%s'", req->cmd);
		return;
	}
	if (!strcmp(req->cmd, "event"))
		ferry_server_event(&f->srv, "TEST_EVENT", json_object_new_string("from a handler"));
	ret = json_object_new_object();
	if (!strcmp(req->cmd, "size")) {
		ck_assert(json_object_object_get_ex(req->args, "pad", &pad));
		json_object_object_add(ret, "size", json_object_new_int64(json_object_get_string_len(pad)));
		ferry_client_return(c, ret);
		return;
	}
	json_object_object_add(ret, "cmd", json_object_new_string(req->cmd));
	json_object_object_add(ret, "readonly", json_object_new_boolean(c->readonly));
	json_object_object_add(ret, "arguments", json_object_get(req->args));
	ferry_client_return(c, ret);
}

static void on_close(struct ferry_client *c, void *ctx)
{
	struct fixture *f = ctx;

	ck_assert(c->dead);
	f->closed++;
}

/* Start the server with @rw and @ro as access lists (NULL: this process's uid). */
void srv_start(const char *rw, const char *ro)
{
	char err[256] = "", own[16];
	int r;

	memset(&fx, 0, sizeof(fx));
	fx.timer = -1;
	fx.fds_before = count_fds();
	snprintf(own, sizeof(own), "%u", (unsigned)getuid());
	ck_assert_int_eq(ferry_access_parse(&fx.rw_access, rw ? rw : own, err, sizeof(err)), 0);
	ck_assert_int_eq(ferry_access_parse(&fx.ro_access, ro ? ro : own, err, sizeof(err)), 0);
	snprintf(fx.dir, sizeof(fx.dir), "%s/XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.rw, sizeof(fx.rw), "%s/ferry-sock", fx.dir);
	snprintf(fx.ro, sizeof(fx.ro), "%s/ferry-sock-ro", fx.dir);
	fx.loop = calloc(1, sizeof(*fx.loop));
	ck_assert_ptr_nonnull(fx.loop);
	ck_assert_int_eq(ferry_loop_init(fx.loop), 0);
	r = ferry_server_open(&fx.srv, fx.loop, fx.rw, fx.ro, &fx.rw_access, &fx.ro_access,
			      on_request, on_close, &fx, err, sizeof(err));
	ck_assert_msg(r == 0, "server: %d: %s", r, err);
}

void srv_run(int timeout_ms)
{
	ck_assert_int_ge(ferry_loop_run_once(fx.loop, timeout_ms), 0);
}

/* Answer held request @i with @ret and let go of its client. */
void srv_answer_held(unsigned i, struct json_object *ret)
{
	struct ferry_client *c;

	ck_assert_uint_lt(i, fx.nheld);
	c = fx.held[i];
	ck_assert_ptr_nonnull(c);
	fx.held[i] = NULL;
	ferry_client_return(c, ret);
	ferry_client_unref(c);
}

/* Stop the server; everything the test opened must be closed again. */
void srv_stop(void)
{
	for (unsigned i = 0; i < fx.nheld; i++)
		if (fx.held[i])
			srv_answer_held(i, NULL);
	if (fx.timer >= 0) {
		ferry_loop_del(fx.loop, fx.timer);
		close(fx.timer);
	}
	ferry_server_close(&fx.srv);
	ck_assert_ptr_null(fx.srv.clients);
	ferry_loop_fini(fx.loop);
	free(fx.loop);
	ck_assert_int_eq(access(fx.rw, F_OK), -1);
	ck_assert_int_eq(access(fx.ro, F_OK), -1);
	ck_assert_int_eq(rmdir(fx.dir), 0);
	ck_assert_int_eq(count_fds(), fx.fds_before);
}

unsigned srv_nclients(void)
{
	unsigned n = 0;

	for (struct ferry_client *c = fx.srv.clients; c; c = c->next)
		n++;
	return n;
}

void cl_connect(struct client *k, bool readonly)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", readonly ? fx.ro : fx.rw);
	k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(k->fd, 0);
	ck_assert_int_eq(connect(k->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ferry_linebuf_init(&k->lb, FERRY_PROTO_RECV_MAX);
}

void cl_close(struct client *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	ferry_linebuf_release(&k->lb);
}

/*
 * The next object the server sent, running the server's loop meanwhile;
 * NULL at end of file. Fails the test after WAIT_MS without a line.
 */
struct json_object *cl_next_or_eof(struct client *k)
{
	long deadline = now_ms() + WAIT_MS;

	for (;;) {
		struct json_object *o;
		char *line, err[256] = "";
		size_t len;
		ssize_t n;
		int r = ferry_linebuf_next(&k->lb, &line, &len);

		ck_assert_int_ge(r, 0);
		if (r == 1) {
			ck_assert_msg(ferry_proto_parse_line(line, len, &o, err, sizeof(err)) == 0,
				      "server sent a bad line: %s", err);
			return o;
		}
		n = ferry_linebuf_read(&k->lb, k->fd);
		if (n > 0)
			continue;
		if (n == 0 || n == -ECONNRESET) {
			ck_assert_uint_eq(ferry_linebuf_partial(&k->lb), 0);
			return NULL;
		}
		ck_assert_int_eq(n, -EAGAIN);
		ck_assert_msg(now_ms() < deadline, "no answer from the server in %d ms", WAIT_MS);
		srv_run(10);
	}
}

struct json_object *cl_next(struct client *k)
{
	struct json_object *o = cl_next_or_eof(k);

	ck_assert_msg(o != NULL, "the server closed the connection");
	return o;
}

void cl_expect_eof(struct client *k)
{
	struct json_object *o = cl_next_or_eof(k);

	ck_assert_msg(o == NULL, "more from the server: %s", o ? json_object_to_json_string(o) : "");
}

/* Run the loop a while: the server must have sent this client nothing. */
void cl_expect_nothing(struct client *k)
{
	char *line;
	size_t len;

	for (int i = 0; i < 10; i++)
		srv_run(5);
	ck_assert_int_eq(ferry_linebuf_next(&k->lb, &line, &len), 0);
	ck_assert_int_eq(ferry_linebuf_read(&k->lb, k->fd), -EAGAIN);
}

/* Send all of @s, letting the server read between chunks; false once it hung up. */
bool cl_send_len(struct client *k, const char *s, size_t len)
{
	long deadline = now_ms() + WAIT_MS;

	while (len) {
		ssize_t n = send(k->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return false;
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			ck_assert_msg(now_ms() < deadline, "the server reads nothing");
			srv_run(10);
			continue;
		}
		s += n;
		len -= (size_t)n;
	}
	return true;
}

void cl_send(struct client *k, const char *s)
{
	ck_assert(cl_send_len(k, s, strlen(s)));
}

/* A member of @o by a path of names, "error/class"; NULL when absent. */
struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *name = strtok_r(buf, "/", &save); name; name = strtok_r(NULL, "/", &save))
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, name, &o))
			return NULL;
	return o;
}

const char *jget_str(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(json_object_is_type(v, json_type_string), "%s is not a string in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_string(v);
}

int64_t jget_int(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	ck_assert_msg(json_object_is_type(v, json_type_int), "%s is not an integer in %s", path,
		      json_object_to_json_string(o));
	return json_object_get_int64(v);
}

void assert_members(struct json_object *o, const char *const *names, size_t n)
{
	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert_msg((size_t)json_object_object_length(o) == n, "%s has %d members, want %zu",
		      json_object_to_json_string(o), json_object_object_length(o), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(jget(o, names[i]) || json_object_object_get_ex(o, names[i], NULL),
			      "no '%s' in %s", names[i], json_object_to_json_string(o));
}

/* The next object is the greeting of a socket of this kind. */
void expect_greeting(struct client *k, bool readonly)
{
	struct json_object *g = cl_next(k);
	struct json_object *want = json_object_new_object(), *f = json_object_new_object();
	struct json_object *v = json_object_new_object();

	json_object_object_add(v, "major", json_object_new_int(FERRY_VERSION_MAJOR));
	json_object_object_add(v, "minor", json_object_new_int(FERRY_VERSION_MINOR));
	json_object_object_add(v, "micro", json_object_new_int(FERRY_VERSION_MICRO));
	json_object_object_add(f, "version", v);
	json_object_object_add(f, "readonly", json_object_new_boolean(readonly));
	json_object_object_add(want, "ferry", f);
	ck_assert_msg(json_object_equal(g, want), "greeting %s, want %s",
		      json_object_to_json_string(g), json_object_to_json_string(want));
	json_object_put(want);
	json_object_put(g);
}

void open_client(struct client *k, bool readonly)
{
	cl_connect(k, readonly);
	expect_greeting(k, readonly);
}

/* The next object is a return, with @id (a JSON text, NULL: no id); returns it. */
struct json_object *expect_return(struct client *k, const char *id)
{
	struct json_object *a = cl_next(k);
	static const char *const with_id[] = { "return", "id" };
	static const char *const without[] = { "return" };

	ck_assert_msg(jget(a, "return") != NULL, "not a return: %s", json_object_to_json_string(a));
	if (id) {
		struct json_object *want = json_tokener_parse(id);

		assert_members(a, with_id, 2);
		ck_assert_msg(json_object_equal(jget(a, "id"), want), "id %s, want %s",
			      json_object_to_json_string(jget(a, "id")), id);
		json_object_put(want);
	} else {
		assert_members(a, without, 1);
	}
	return a;
}

void expect_return_cmd(struct client *k, const char *id, const char *cmd)
{
	struct json_object *a = expect_return(k, id);

	ck_assert_str_eq(jget_str(a, "return/cmd"), cmd);
	json_object_put(a);
}

/* The next object is an error of @cls whose desc holds @desc. */
void expect_error(struct client *k, const char *cls, const char *desc, const char *id)
{
	struct json_object *a = cl_next(k);
	static const char *const with_id[] = { "error", "id" };
	static const char *const without[] = { "error" };
	static const char *const error[] = { "class", "desc" };

	ck_assert_msg(jget(a, "error") != NULL, "not an error: %s", json_object_to_json_string(a));
	assert_members(a, id ? with_id : without, id ? 2 : 1);
	assert_members(jget(a, "error"), error, 2);
	ck_assert_str_eq(jget_str(a, "error/class"), cls);
	ck_assert_msg(strstr(jget_str(a, "error/desc"), desc), "desc '%s' does not hold '%s'",
		      jget_str(a, "error/desc"), desc);
	if (id) {
		struct json_object *want = json_tokener_parse(id);

		ck_assert(json_object_equal(jget(a, "id"), want));
		json_object_put(want);
	}
	json_object_put(a);
}

void expect_event(struct client *k, const char *name, const char *data)
{
	struct json_object *e = cl_next(k), *want = json_tokener_parse(data);
	static const char *const members[] = { "event", "data", "timestamp" };
	static const char *const ts[] = { "seconds", "microseconds" };
	struct timeval tv;
	time_t now;

	/* The broker stamps events with gettimeofday(); time() may lag it across a second. */
	gettimeofday(&tv, NULL);
	now = tv.tv_sec;
	assert_members(e, members, 3);
	ck_assert_str_eq(jget_str(e, "event"), name);
	ck_assert_msg(json_object_equal(jget(e, "data"), want), "data %s, want %s",
		      json_object_to_json_string(jget(e, "data")), data);
	assert_members(jget(e, "timestamp"), ts, 2);
	ck_assert_int_le(jget_int(e, "timestamp/seconds"), now);
	ck_assert_int_ge(jget_int(e, "timestamp/seconds"), now - 60);
	ck_assert_int_ge(jget_int(e, "timestamp/microseconds"), 0);
	ck_assert_int_lt(jget_int(e, "timestamp/microseconds"), 1000000);
	json_object_put(want);
	json_object_put(e);
}

void srv_event(const char *name, const char *data)
{
	ferry_server_event(&fx.srv, name, json_tokener_parse(data));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate-tunnel.c - the plumbing of a tunnelled migration.
 *
 * QEMU never opens a network socket: on each side it talks to a unix
 * socket in the domain's private directory, and a ferry-tunnel helper
 * pumps every stream between that socket and a data connection to the
 * peer broker.
 *
 * Destination: Prepare starts the helper, has QEMU listen on the private
 * socket, and puts a one-time token in its cookie. The source then opens
 * one more connection per stream to this broker (a second socket, or a
 * second ssh channel) and says tunnel-attach with the token and the
 * stream's index; the answer is the last JSON on that connection, whose
 * socket goes straight to the helper. Once every stream is attached they
 * are connected to QEMU in index order: QEMU 7.2 takes the first
 * connection for its main channel.
 *
 * Source: the data connections are attached before QEMU starts; the
 * broker listens on the private socket, QEMU's migrate connects to it
 * (main channel first, then multifd), and each accepted connection is
 * paired with the data connection of the same index.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "compressor.h"
#include "log.h"
#include "migrate.h"
#include "tunnel.h"
#include "util.h"

static struct ferry_job_tunnel *tun_new(unsigned nstreams)
{
	struct ferry_job_tunnel *tun = calloc(1, sizeof(*tun));

	if (!tun)
		return NULL;
	tun->nstreams = nstreams;
	tun->listen_fd = -1;
	for (unsigned i = 0; i < ARRAY_SIZE(tun->data_fd); i++)
		tun->data_fd[i] = -1;
	return tun;
}

void ferry_migrate_tunnel_free(struct ferry_daemon *d, struct ferry_job *job)
{
	struct ferry_job_tunnel *tun = job->tun;

	if (!tun)
		return;
	job->tun = NULL;
	ferry_tunnel_release(tun->t);
	for (unsigned i = 0; i < ARRAY_SIZE(tun->comp); i++)
		ferry_compressor_release(tun->comp[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(tun->data_fd); i++)
		if (tun->data_fd[i] >= 0)
			close(tun->data_fd[i]);
	if (tun->listen_fd >= 0) {
		ferry_loop_del(&d->loop, tun->listen_fd);
		close(tun->listen_fd);
	}
	if (tun->path[0])
		unlink(tun->path);
	free(tun);
}

/* The private socket of @dom's tunnel, and the URI QEMU is given for it. */
static int tun_path(struct ferry_daemon *d, struct ferry_domain *dom, struct ferry_job *job,
		    const char *leaf, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	ferry_domain_path(d, "private", dom->def->name, dir, sizeof(dir));
	if ((size_t)snprintf(job->tun->path, sizeof(job->tun->path), "%s/%s", dir, leaf) >=
	    sizeof(job->tun->path))
		return ferry_err(err, errlen, -ENAMETOOLONG, "%s/%s: path too long for a socket",
				 dir, leaf);
	snprintf(job->uri, sizeof(job->uri), "unix:%s", job->tun->path);
	unlink(job->tun->path);
	return 0;
}

static void comp_done(struct ferry_compressor *c, uint64_t in, uint64_t out, void *data)
{
	struct ferry_domain *dom = data;

	log_dom(FERRY_LOG_DEBUG, dom->def->name, "compressed stream done: %llu bytes in, %llu out",
		(unsigned long long)in, (unsigned long long)out);
}

static void in_comp_failed(struct ferry_compressor *c, const char *why, void *data);
static void out_comp_failed(struct ferry_compressor *c, const char *why, void *data);

/*
 * Stream @i between QEMU's socket @qemu and the data connection @data,
 * both taken: straight through the tunnel, or with --compressed through a
 * ferry-compress on this side (deflating on the source, inflating on the
 * destination) and a socketpair to the tunnel.
 */
static int plumb(struct ferry_daemon *d, struct ferry_domain *dom, unsigned i, int qemu, int data,
		 bool out, char *err, size_t errlen)
{
	static const struct ferry_compressor_ops in_ops = { in_comp_failed, comp_done };
	static const struct ferry_compressor_ops out_ops = { out_comp_failed, comp_done };
	struct ferry_compress_start st = { .mode = out ? FERRY_COMPRESS_DEFLATE : FERRY_COMPRESS_INFLATE };
	struct ferry_job_tunnel *tun = dom->job->tun;
	char label[300];
	int sp[2];

	if (!tun->compressed)
		return ferry_tunnel_stream(tun->t, i, out ? qemu : data, out ? data : qemu);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		close(qemu);
		close(data);
		return ferry_err(err, errlen, -errno, "socketpair: %s", strerror(errno));
	}
	snprintf(label, sizeof(label), "%s: stream %u", dom->def->name, i);
	if (ferry_tunnel_stream(tun->t, i, out ? sp[1] : data, out ? data : sp[1]) < 0) {
		close(sp[0]);
		close(qemu);
		return ferry_err(err, errlen, -EPIPE, "the tunnel helper is gone");
	}
	return ferry_compressor_start(d, label, &st, out ? qemu : sp[0], out ? sp[0] : qemu,
				      out ? &out_ops : &in_ops, dom, &tun->comp[i], err, errlen);
}

/* --- destination ------------------------------------------------------------ */

static void in_failed(struct ferry_tunnel *t, const char *why, void *data)
{
	ferry_migrate_in_abandon(data, why);
}

static void in_comp_failed(struct ferry_compressor *c, const char *why, void *data)
{
	ferry_migrate_in_abandon(data, why);
}

int ferry_migrate_tunnel_in(struct ferry_daemon *d, struct ferry_domain *dom, unsigned nstreams,
			    char *err, size_t errlen)
{
	struct ferry_job *job = dom->job;
	uint8_t raw[32];
	int r;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return ferry_err(err, errlen, -EIO, "no random bytes for the tunnel's token");
	job->tun = tun_new(nstreams);
	if (!job->tun)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	job->tun->compressed = job->flags & FERRY_MIGRATE_COMPRESSED;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(job->tun->token + 2 * i, 3, "%02x", raw[i]);
	r = tun_path(d, dom, job, "migrate-in.sock", err, errlen);
	if (r == 0)
		r = ferry_tunnel_start(d, dom->def->name, nstreams, in_failed, dom, &job->tun->t,
				       err, errlen);
	return r;
}

/* Every stream is attached: connect them to QEMU, the main channel first. */
static void in_connect_qemu(struct ferry_domain *dom)
{
	struct ferry_job_tunnel *tun = dom->job->tun;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char why[512];
	int data;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tun->path);
	for (unsigned i = 0; i < tun->nstreams; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			snprintf(why, sizeof(why), "connecting stream %u to QEMU at %s: %s", i,
				 tun->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			ferry_migrate_in_abandon(dom, why);
			return;
		}
		data = tun->data_fd[i];
		tun->data_fd[i] = -1;
		if (plumb(dom->job->d, dom, i, fd, data, false, why, sizeof(why)) < 0) {
			ferry_migrate_in_abandon(dom, why);
			return;
		}
	}
	log_dom(FERRY_LOG_INFO, dom->def->name, "%u tunnelled stream%s connected to QEMU",
		tun->nstreams, tun->nstreams == 1 ? "" : "s");
}

struct attach {
	struct ferry_daemon *d;
	char name[256];
	char token[65];
	unsigned idx;
};

/* The domain whose incoming tunnel @token opens, or NULL. */
static struct ferry_domain *attach_target(struct ferry_daemon *d, const char *name, const char *token)
{
	struct ferry_domain *dom = ferry_domain_lookup(d, name);
	struct ferry_job *job = dom ? dom->job : NULL;
	unsigned diff = 0;

	if (!job || job->type != FERRY_JOB_MIGRATION_IN || !job->tun || strlen(token) != 64)
		return NULL;
	/* Compared in constant time: the token is the stream's only credential. */
	for (size_t i = 0; i < 64; i++)
		diff |= (unsigned char)(job->tun->token[i] ^ token[i]);
	return diff ? NULL : dom;
}

static void on_stream_socket(int fd, void *data)
{
	struct attach *at = data;
	struct ferry_domain *dom = attach_target(at->d, at->name, at->token);
	struct ferry_job_tunnel *tun = dom ? dom->job->tun : NULL;

	if (!tun || fd < 0) {
		if (tun)
			tun->data_fd[at->idx] = -1;	/* it went before its answer: may come again */
		if (fd >= 0)
			close(fd);
		free(at);
		return;
	}
	tun->data_fd[at->idx] = fd;
	if (++tun->attached == tun->nstreams)
		in_connect_qemu(dom);
	free(at);
}

void ferry_cmd_tunnel_attach(struct ferry_daemon *d, struct ferry_client *c, struct json_object *a)
{
	const char *name = ferry_arg_str(a, "name"), *token = ferry_arg_str(a, "token");
	uint64_t idx = ferry_arg_u64(a, "stream", UINT64_MAX);
	struct ferry_domain *dom = attach_target(d, name, token);
	struct attach *at;

	if (!dom) {
		log_warn("tunnel-attach for '%.64s' refused: no incoming tunnel with that token", name);
		ferry_client_error(c, "PermissionDenied", "no incoming tunnelled migration of '%.64s' "
				   "with that token", name);
		return;
	}
	/* Each index once: the token opens nstreams streams and no more. */
	if (idx >= dom->job->tun->nstreams || dom->job->tun->data_fd[idx] != -1 ||
	    dom->job->tun->attached == dom->job->tun->nstreams) {
		ferry_client_error(c, "InvalidArgument", "stream %llu of '%s': not one of the %u "
				   "streams, or attached already", (unsigned long long)idx, name,
				   dom->job->tun->nstreams);
		return;
	}
	at = calloc(1, sizeof(*at));
	if (!at) {
		ferry_client_error(c, "InternalError", "out of memory");
		return;
	}
	at->d = d;
	at->idx = (unsigned)idx;
	snprintf(at->name, sizeof(at->name), "%s", name);
	snprintf(at->token, sizeof(at->token), "%s", token);
	dom->job->tun->data_fd[idx] = -2;	/* taken, until its socket arrives */
	ferry_client_hand_over(c, NULL, on_stream_socket, at);
}

/* --- source -------------------------------------------------------------------- */

static void out_failed(struct ferry_tunnel *t, const char *why, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job *job = dom->job;

	if (job->phase != FERRY_PHASE_PERFORM3 && job->phase != FERRY_PHASE_BEGIN3)
		return;
	ferry_job_error(job, "migration of '%s' failed: %s", dom->def->name, why);
	log_dom(FERRY_LOG_ERR, dom->def->name, "%s", job->error);
	/* The sockets are closed already: QEMU's migration stops on its own; make sure. */
	if (dom->vm && job->timer_fd >= 0)
		ferry_migrate_cancel(dom->vm, NULL, NULL);
}

static void out_comp_failed(struct ferry_compressor *c, const char *why, void *data)
{
	out_failed(NULL, why, data);
}

static void on_qemu_connect(struct ferry_loop *loop, int lfd, uint32_t events, void *data)
{
	struct ferry_domain *dom = data;
	struct ferry_job_tunnel *tun = dom->job->tun;
	char why[512];
	int fd, data_fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		unsigned i = tun->accepted++;

		if (i >= tun->nstreams) {
			log_dom(FERRY_LOG_WARN, dom->def->name, "QEMU opened more streams than %u",
				tun->nstreams);
			close(fd);
			continue;
		}
		data_fd = tun->data_fd[i];
		tun->data_fd[i] = -1;
		if (plumb(dom->job->d, dom, i, fd, data_fd, true, why, sizeof(why)) < 0)
			out_failed(tun->t, why, dom);
	}
}

int ferry_migrate_tunnel_out(struct ferry_daemon *d, struct ferry_domain *dom, const int *data_fds,
			     unsigned n, char *err, size_t errlen)
{
	struct ferry_job *job = dom->job;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r, fd;

	job->tun = tun_new(n);
	if (!job->tun)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	job->tun->compressed = job->flags & FERRY_MIGRATE_COMPRESSED;
	for (unsigned i = 0; i < n; i++)
		job->tun->data_fd[i] = data_fds[i];
	r = tun_path(d, dom, job, "migrate-out.sock", err, errlen);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ferry_err(err, errlen, -errno, "socket: %s", strerror(errno));
	job->tun->listen_fd = fd;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", job->tun->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, (int)n) < 0 ||
	    ferry_loop_add(&d->loop, fd, EPOLLIN, on_qemu_connect, dom) < 0)
		return ferry_err(err, errlen, -errno, "listening on %s: %s", job->tun->path,
				 strerror(errno));
	r = ferry_tunnel_start(d, dom->def->name, n, out_failed, dom, &job->tun->t, err, errlen);
	if (r == 0 && job->bandwidth_mib)
		r = ferry_tunnel_set_rate(job->tun->t, job->bandwidth_mib << 20);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transport.c - connecting to a broker: a unix socket, or ssh running
 * `ferryctl proxy` on the remote host, as libvirt's ssh transport runs
 * `nc` or `virt-ssh-helper`.
 *
 * ssh is spawned with posix_spawnp() and an argument vector, never through
 * a local shell; the remote end does go through the remote user's shell
 * (ssh offers nothing else), which is why every remote word is quoted
 * and why the URI parser admits only plain alphabets in the first place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"
#include "util.h"

extern char **environ;

/* The longest nap between two looks at a child that has not ended yet. */
#define REAP_NAP_MAX_NS 50000000u

char *ferry_shell_quote(const char *s)
{
	size_t quotes = 0, len = strlen(s);
	char *out, *p;

	for (const char *c = s; *c; c++)
		quotes += *c == '\'';
	/* Each quote grows by three bytes; two quotes around; the NUL. */
	out = malloc(len + 3 * quotes + 3);
	if (!out)
		return NULL;
	p = out;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

void ferry_ssh_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/*
 * The words of the vector, borrowed: ssh's options up to the host, then
 * (from *@remote on) the remote command. @port and @known hold the words
 * that need formatting.
 */
static size_t ssh_words(const struct ferry_uri *u, const char **w, size_t *remote,
			char *port, size_t portlen, char *known, size_t knownlen)
{
	size_t n = 0;

	w[n++] = "ssh";
	w[n++] = "-T";
	w[n++] = "-e";
	w[n++] = "none";
	w[n++] = "-o";
	w[n++] = "BatchMode=yes";
	if (u->port) {
		snprintf(port, portlen, "%u", (unsigned)u->port);
		w[n++] = "-p";
		w[n++] = port;
	}
	if (u->user[0]) {
		w[n++] = "-l";
		w[n++] = u->user;
	}
	if (u->keyfile[0]) {
		w[n++] = "-i";
		w[n++] = u->keyfile;
		w[n++] = "-o";
		w[n++] = "IdentitiesOnly=yes";
	}
	if (u->known_hosts[0]) {
		snprintf(known, knownlen, "UserKnownHostsFile=%s", u->known_hosts);
		w[n++] = "-o";
		w[n++] = known;
		w[n++] = "-o";
		w[n++] = "StrictHostKeyChecking=yes";
	}
	w[n++] = "--";
	w[n++] = u->host;
	*remote = n;
	w[n++] = u->ferryctl[0] ? u->ferryctl : "ferryctl";
	w[n++] = "proxy";
	if (u->path[0]) {
		w[n++] = "--socket";
		w[n++] = u->path;
	}
	return n;
}

int ferry_ssh_argv(const struct ferry_uri *uri, char ***argv_out, char *err, size_t errlen)
{
	const char *w[FERRY_SSH_ARGV_MAX];
	char port[8], known[sizeof("UserKnownHostsFile=") + FERRY_URI_FILE_MAX];
	size_t n, remote;
	char **v;

	*argv_out = NULL;
	if (uri->scheme != FERRY_URI_SSH)
		return ferry_err(err, errlen, -EINVAL, "not an ssh URI");
	/* ssh would take either for an option, whatever filled in @uri. */
	if (!uri->host[0] || uri->host[0] == '-' || uri->user[0] == '-')
		return ferry_err(err, errlen, -EINVAL, "ssh host '%s' or user '%s' is empty or starts with '-'",
			    uri->host, uri->user);
	n = ssh_words(uri, w, &remote, port, sizeof(port), known, sizeof(known));
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return ferry_err(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		v[i] = i < remote ? strdup(w[i]) : ferry_shell_quote(w[i]);
		if (!v[i]) {
			ferry_ssh_argv_free(v);
			return ferry_err(err, errlen, -ENOMEM, "out of memory");
		}
	}
	*argv_out = v;
	return 0;
}

static int connect_unix(const struct ferry_uri *u, const char *uri, int *fd,
			char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return ferry_err(err, errlen, -errno, "cannot connect to %s: socket: %s", uri,
			    strerror(errno));
	memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
	while (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINTR)
			return ferry_err(err, errlen, -errno, "cannot connect to %s: %s", uri,
				    strerror(errno));
	}
	*fd = steal_fd(&s);
	return 0;
}

/*
 * Move @fd above 0-2: the spawn's dup2s onto 0, 1 and 2 must not
 * overwrite a source before its own turn (a daemon may run with 0-2
 * closed, and then a new socket is fd 0).
 */
static int above_stdio(int *fd)
{
	int n;

	if (*fd > 2)
		return 0;
	n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (n < 0)
		return -errno;
	close(*fd);
	*fd = n;
	return 0;
}

/*
 * ssh with @io as its stdin and stdout and, when @errw >= 0, @errw as its
 * stderr; nothing else open, default signal dispositions, nothing blocked.
 */
static int spawn_ssh(char **argv, int io, int errw, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	r = posix_spawnattr_init(&at);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	if (!(r = posix_spawn_file_actions_adddup2(&fa, io, 0)) &&
	    !(r = posix_spawn_file_actions_adddup2(&fa, io, 1)) &&
	    !(r = errw >= 0 ? posix_spawn_file_actions_adddup2(&fa, errw, 2) : 0) &&
	    !(r = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
	    !(r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) &&
	    !(r = posix_spawnattr_setsigmask(&at, &none)) &&
	    !(r = posix_spawnattr_setsigdefault(&at, &all)))
		r = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static int connect_ssh(const struct ferry_uri *u, const char *uri, int *fd_out, pid_t *pid_out,
		       int *stderr_out, char *err, size_t errlen)
{
	_cleanup_(ferry_ssh_argv_freep) char **argv = NULL;
	_cleanup_close_ int mine = -1, theirs = -1, errr = -1, errw = -1;
	int sv[2], ep[2];
	int r;

	r = ferry_ssh_argv(u, &argv, err, errlen);
	if (r < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return ferry_err(err, errlen, -errno, "cannot connect to %s: socketpair: %s", uri,
			    strerror(errno));
	mine = sv[0];
	theirs = sv[1];
	if (stderr_out) {
		if (pipe2(ep, O_CLOEXEC) < 0)
			return ferry_err(err, errlen, -errno, "cannot connect to %s: pipe: %s", uri,
				    strerror(errno));
		errr = ep[0];
		errw = ep[1];
		/* Ours only: ssh's end stays as ssh wants it. */
		if (fcntl(errr, F_SETFL, O_NONBLOCK) < 0)
			return ferry_err(err, errlen, -errno, "cannot connect to %s: fcntl: %s", uri,
				    strerror(errno));
	}
	if ((r = above_stdio(&theirs)) < 0 || (errw >= 0 && (r = above_stdio(&errw)) < 0))
		return ferry_err(err, errlen, r, "cannot connect to %s: fcntl: %s", uri, strerror(-r));
	r = spawn_ssh(argv, theirs, errw, pid_out);
	if (r < 0)
		return ferry_err(err, errlen, r, "cannot connect to %s: cannot run ssh: %s", uri,
			    strerror(-r));
	*fd_out = steal_fd(&mine);
	if (stderr_out)
		*stderr_out = steal_fd(&errr);
	return 0;
}

int ferry_transport_connect_capture(const char *uri_text, int *fd_out, pid_t *pid_out,
				    int *stderr_out, char *err, size_t errlen)
{
	struct ferry_uri u;
	int r;

	*fd_out = -1;
	*pid_out = 0;
	if (stderr_out)
		*stderr_out = -1;
	r = ferry_uri_parse(uri_text, &u, err, errlen);
	if (r < 0)
		return r;
	switch (u.scheme) {
	case FERRY_URI_UNIX:
		return connect_unix(&u, uri_text, fd_out, err, errlen);
	case FERRY_URI_SSH:
		return connect_ssh(&u, uri_text, fd_out, pid_out, stderr_out, err, errlen);
	}
	return ferry_err(err, errlen, -EPROTONOSUPPORT, "'%s': unsupported URI", uri_text);
}

int ferry_transport_connect(const char *uri_text, int *fd_out, pid_t *pid_out,
			    char *err, size_t errlen)
{
	return ferry_transport_connect_capture(uri_text, fd_out, pid_out, NULL, err, errlen);
}

static void nap(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

int ferry_transport_reap(pid_t pid, int timeout_ms, int *status)
{
	uint64_t end = ferry_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
	uint64_t wait_ns = 1000000u;
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -errno;
		if (got == 0 && ferry_now_ns() >= end)
			break;
		/* A child that is ending takes a few ms: look often, then less. */
		if (got == 0) {
			nap(wait_ns);
			wait_ns = wait_ns * 2 > REAP_NAP_MAX_NS ? REAP_NAP_MAX_NS : wait_ns * 2;
		}
	}
	kill(pid, SIGKILL);
	while ((got = waitpid(pid, status, 0)) < 0)
		if (errno != EINTR)
			return -errno;
	return 1;
}

void ferry_wait_status_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}

static void tail_add(struct ferry_stderr_tail *t, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			if (t->len)
				memcpy(t->last, t->line, t->len + 1);
			t->len = 0;
		} else if (c != '\r' && t->len + 1 < sizeof(t->line)) {
			t->line[t->len++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
		}
		t->line[t->len] = '\0';
	}
}

int ferry_stderr_tail_read(int fd, struct ferry_stderr_tail *t)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			tail_add(t, buf, (size_t)n);
		else if (n == 0)
			return 1;
		else if (errno == EAGAIN)
			return 0;
		else if (errno != EINTR)
			return -errno;
	}
}

const char *ferry_stderr_tail_line(const struct ferry_stderr_tail *t)
{
	return t->len ? t->line : t->last;
}

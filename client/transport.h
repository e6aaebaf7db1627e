/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transport.h - reaching ferryd at a URI (docs/transports.md).
 *
 *   unix://  a connected stream socket.
 *   ssh://   the system's ssh client, spawned with one end of a socketpair
 *            as its stdin and stdout, running `ferryctl proxy` on the
 *            remote host; the other end is the connection. Whoever gets
 *            the pid reaps it.
 *
 * And the remote end of that: ferry_proxy_pump(), which ferryctl proxy
 * runs between its stdio and the broker's socket.
 *
 * The ssh client runs with the caller's environment (HOME, SSH_AUTH_SOCK)
 * and is found through PATH as "ssh"; it never gets a terminal and never
 * asks a question (BatchMode): what it cannot do with keys fails.
 */
#ifndef FERRY_CLIENT_TRANSPORT_H
#define FERRY_CLIENT_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "uri.h"

/* Most words ferry_ssh_argv() produces, the terminating NULL included. */
#define FERRY_SSH_ARGV_MAX 25u
/* Longest line of ssh's stderr kept for a message; the rest is cut. */
#define FERRY_STDERR_TAIL_MAX 256u

/*
 * ferry_shell_quote - @s as one word of a POSIX shell's command line
 * Single quotes around it; a single quote inside becomes '\'' (end the
 * quoted part, an escaped quote, start a new one). Nothing inside single
 * quotes is special to the shell, so the word arrives as it was.
 * Return: a new string (free() it), or NULL when out of memory.
 */
char *ferry_shell_quote(const char *s);

/*
 * ferry_ssh_argv - the argument vector that reaches @uri's broker
 *
 *   ssh -T -e none -o BatchMode=yes [-p PORT] [-l USER]
 *       [-i KEYFILE -o IdentitiesOnly=yes]
 *       [-o UserKnownHostsFile=KNOWN -o StrictHostKeyChecking=yes]
 *       -- HOST 'FERRYCTL' 'proxy' ['--socket' 'PATH']
 *
 * ssh joins the words after HOST with spaces and gives them to the remote
 * user's shell, so each is quoted with ferry_shell_quote().
 * @uri: an ssh URI as ferry_uri_parse() filled it.
 * Return: 0 with a NULL-terminated vector in @argv_out (free it with
 * ferry_ssh_argv_free()); -EINVAL for a URI that is not ssh or whose
 * host or user starts with '-'; -ENOMEM. @err says which.
 */
int ferry_ssh_argv(const struct ferry_uri *uri, char ***argv_out, char *err, size_t errlen);
void ferry_ssh_argv_free(char **argv);
static inline void ferry_ssh_argv_freep(char ***argv)
{
	ferry_ssh_argv_free(*argv);
}

/*
 * ferry_transport_connect - a connected stream to the broker at @uri_text
 * unix: a SOCK_STREAM socket, *@pid_out 0. ssh: our end of an AF_UNIX
 * socketpair (close-on-exec) whose other end is the stdin and stdout of
 * ssh, spawned with posix_spawn; *@pid_out is its pid, which the caller
 * must reap (ferry_transport_reap()), after closing the fd: ssh ends once
 * it sees its stdin end. ssh inherits the caller's stderr, so its own
 * messages ("Host key verification failed.") land where the caller's go.
 * The fd is blocking; set O_NONBLOCK if wanted.
 * Return: 0, or a negative errno with @err naming the URI and what
 * failed (-EINVAL: a bad URI; -ENOENT: no socket there, or no ssh).
 * That ssh started says nothing of whether it will get through: if it
 * does not, the stream ends before the broker's greeting.
 */
int ferry_transport_connect(const char *uri_text, int *fd_out, pid_t *pid_out,
			    char *err, size_t errlen);

/*
 * ferry_transport_connect_capture - the same, with ssh's stderr in a pipe
 * @stderr_out: for ssh, the read end (non-blocking, close-on-exec) of a
 *              pipe that is ssh's stderr, for the caller to read (a
 *              ferry_stderr_tail keeps its last line for messages) and
 *              close; -1 for unix. NULL: ssh inherits stderr instead.
 * The caller must keep reading the pipe while ssh runs: ssh stops when a
 * full pipe blocks its stderr.
 */
int ferry_transport_connect_capture(const char *uri_text, int *fd_out, pid_t *pid_out,
				    int *stderr_out, char *err, size_t errlen);

/*
 * ferry_transport_reap - wait for @pid to end, and make it
 * Waits up to @timeout_ms (-1: as long as it takes), then kills it with
 * SIGKILL and waits for that. *@status gets waitpid()'s status.
 * Return: 0 when it ended on its own, 1 when it had to be killed,
 * -ECHILD when it is no child of ours (or SIGCHLD is ignored).
 */
int ferry_transport_reap(pid_t pid, int timeout_ms, int *status);

/* "exited with status 255" or "was killed by signal 9 (Killed)". */
void ferry_wait_status_describe(int status, char *buf, size_t len);

/*
 * The last line a child wrote to a captured stderr, for a message: ssh
 * puts the reason it gave up last ("Permission denied (publickey).").
 */
struct ferry_stderr_tail {
	char line[FERRY_STDERR_TAIL_MAX];	/* the line being read, NUL-terminated */
	size_t len;
	char last[FERRY_STDERR_TAIL_MAX];	/* the last whole non-empty line */
};

/*
 * ferry_stderr_tail_read - take in what non-blocking @fd holds now
 * Control characters become '?'; a line is cut at the size limit.
 * Return: 0 when more may come, 1 at end of file, -errno.
 */
int ferry_stderr_tail_read(int fd, struct ferry_stderr_tail *t);
/* The last non-empty line read, an unfinished one included; "" if none. */
const char *ferry_stderr_tail_line(const struct ferry_stderr_tail *t);

/*
 * ferry_proxy_pump - copy @in to @sock and @sock to @out until both end
 * Both directions at once, never looking at the bytes; splice() through a
 * pipe between sockets and pipes, read()/write() with a buffer for
 * anything splice() cannot take. When @in ends, @sock is shut down for
 * writing; when @sock ends, @out is shut down for writing if it is a
 * socket, else closed (a pipe ends only when closed). @in and @sock stay
 * open, and the O_NONBLOCK the pump sets on all three is taken back.
 * The caller ignores SIGPIPE: a reader going away is then an error return.
 * Return: 0 once both directions ended, or a negative errno with @err
 * saying which direction failed on what.
 */
int ferry_proxy_pump(int in, int out, int sock, char *err, size_t errlen);

#endif

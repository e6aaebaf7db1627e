/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-uri - any text as a ferryd URI, through ferry_uri_parse and, for
 * ssh, ferry_ssh_argv.
 *
 * The input, cut at its first NUL as a command-line argument would be,
 * is parsed. A refusal must say why; an accepted URI must keep the
 * parser's promises: terminated parts within their limits, no leading
 * '-' on host or user, absolute paths. For ssh, the vector must build,
 * end with NULL within its bound, carry the host right after "--", and
 * each remote word, unquoted as the remote shell will, must be the part
 * it came from. The input itself also goes through the quoting alone.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Undo ferry_shell_quote as a POSIX shell reads a word: '...' literal,
 * \x outside quotes the character x. Anything else, such as a character
 * outside quotes that a shell might expand, fails the check.
 */
static bool unquote_equals(const char *q, const char *want)
{
	size_t len = strlen(q), n = 0;
	char *out = malloc(len + 1);
	bool ok = true;

	if (!out)
		return true;
	for (size_t i = 0; ok && i < len; i++) {
		if (q[i] == '\'') {
			while (++i < len && q[i] != '\'')
				out[n++] = q[i];
			ok = i < len;
		} else if (q[i] == '\\' && i + 1 < len) {
			out[n++] = q[++i];
		} else {
			ok = false;
		}
	}
	out[n] = '\0';
	ok = ok && strcmp(out, want) == 0;
	free(out);
	return ok;
}

static void check_path(const char *p, size_t size)
{
	if (!memchr(p, '\0', size) || (p[0] && p[0] != '/'))
		abort();
}

static void check_ssh(const struct ferry_uri *u)
{
	char **argv = NULL;
	char err[256];
	size_t n, dash = 0;

	if (!u->host[0] || u->host[0] == '-' || u->user[0] == '-')
		abort();
	if (ferry_ssh_argv(u, &argv, err, sizeof(err)) < 0) {
		/* Only memory may run out here. */
		return;
	}
	for (n = 0; argv[n]; n++)
		if (!dash && strcmp(argv[n], "--") == 0)
			dash = n;
	if (n >= FERRY_SSH_ARGV_MAX || !dash || dash + 3 > n || strcmp(argv[dash + 1], u->host) ||
	    !unquote_equals(argv[dash + 2], u->ferryctl[0] ? u->ferryctl : "ferryctl") ||
	    !unquote_equals(argv[dash + 3], "proxy") ||
	    (u->path[0] && (n != dash + 6 || !unquote_equals(argv[n - 1], u->path))) ||
	    (!u->path[0] && n != dash + 4))
		abort();
	ferry_ssh_argv_free(argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_uri u;
	char err[2048] = "";
	char *s = malloc(size + 1), *q;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	q = ferry_shell_quote(s);
	if (q && !unquote_equals(q, s))
		abort();
	free(q);
	if (ferry_uri_parse(s, &u, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();
		free(s);
		return 0;
	}
	check_path(u.path, sizeof(u.path));
	check_path(u.keyfile, sizeof(u.keyfile));
	check_path(u.known_hosts, sizeof(u.known_hosts));
	check_path(u.ferryctl, sizeof(u.ferryctl));
	if (!memchr(u.user, '\0', sizeof(u.user)) || !memchr(u.host, '\0', sizeof(u.host)))
		abort();
	if (u.scheme == FERRY_URI_SSH)
		check_ssh(&u);
	else if (u.scheme != FERRY_URI_UNIX || u.path[0] != '/')
		abort();
	free(s);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uri.c - ferryd URIs and the default one. No percent-decoding: a socket
 * path is taken byte for byte, which is what a user typing a path
 * expects, and nothing here ever needs a reserved character.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uri.h"
#include "util.h"

/* Printable ASCII only: these strings end up in messages and argv. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/*
 * Host and user names go to ssh's argument vector: a closed alphabet,
 * and never a leading '-' that ssh would take for an option.
 */
static bool name_ok(const char *s, size_t len, const char *extra)
{
	if (len == 0 || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr(extra, c))
			return false;
	}
	return true;
}

static int parse_unix(const char *uri, const char *rest, struct ferry_uri *u,
		      char *err, size_t errlen)
{
	size_t n = strlen(rest);

	if (rest[0] != '/')
		return ferry_err(err, errlen, -EINVAL,
			   "'%s': a unix URI needs an absolute socket path, as in unix:///run/ferry/ferry-sock",
			   uri);
	if (n > FERRY_URI_PATH_MAX)
		return ferry_err(err, errlen, -EINVAL,
			   "'%s': socket path of %zu bytes is longer than the %u a unix socket address holds",
			   uri, n, FERRY_URI_PATH_MAX);
	u->scheme = FERRY_URI_UNIX;
	memcpy(u->path, rest, n + 1);
	return 0;
}

/*
 * Inside brackets: an IPv6 address, optionally with a zone
 * ("fe80::1%eth0", the zone an interface name).
 */
static bool ipv6_ok(const char *s, size_t len)
{
	const char *pct = memchr(s, '%', len);
	size_t alen = pct ? (size_t)(pct - s) : len;
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a) != 1)
		return false;
	return !pct || (len - alen - 1 < IF_NAMESIZE && name_ok(pct + 1, len - alen - 1, ".-_"));
}

/* "host", "host:port", "[v6addr]" or "[v6addr]:port" of @len bytes. */
static int parse_hostport(const char *uri, const char *s, size_t len, struct ferry_uri *u,
			  char *err, size_t errlen)
{
	const char *host = s, *colon, *port = NULL;
	size_t hlen;
	char num[8];
	int v;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close || (close + 1 != s + len && close[1] != ':'))
			return ferry_err(err, errlen, -EINVAL, "'%s': unbalanced '[' around the host", uri);
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 != s + len)
			port = close + 2;
		if (!ipv6_ok(host, hlen))
			return ferry_err(err, errlen, -EINVAL, "'%s': the host in brackets is not an IPv6 address",
				    uri);
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		if (colon)
			port = colon + 1;
	}
	if (hlen > FERRY_URI_HOST_MAX || !name_ok(host, hlen, host == s ? ".-_" : ".-_:%"))
		return ferry_err(err, errlen, -EINVAL, "'%s': the host is empty, too long or not a host name", uri);
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	if (!port)
		return 0;
	if ((size_t)(s + len - port) >= sizeof(num))
		return ferry_err(err, errlen, -EINVAL, "'%s': port is not a number from 1 to 65535", uri);
	memcpy(num, port, (size_t)(s + len - port));
	num[s + len - port] = '\0';
	if (ferry_parse_int(num, 1, 65535, &v) < 0)
		return ferry_err(err, errlen, -EINVAL, "'%s': port is not a number from 1 to 65535", uri);
	u->port = (uint16_t)v;
	return 0;
}

/*
 * A path of an ssh URI goes to ssh's command line (where ssh expands
 * '%' tokens and ${VARS} in file names) or into the remote shell's
 * command: absolute, and an alphabet in which neither finds anything to
 * expand, even were the quoting ever wrong.
 */
#define PATH_CHARS "/._-+@:~"

static int copy_path(const char *uri, const char *what, const char *s, size_t len,
		     size_t max, char *out, char *err, size_t errlen)
{
	if (len == 0 || s[0] != '/')
		return ferry_err(err, errlen, -EINVAL, "'%s': the %s must be an absolute path", uri, what);
	if (len > max)
		return ferry_err(err, errlen, -EINVAL, "'%s': the %s is longer than %zu bytes", uri, what, max);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !(c && strchr(PATH_CHARS, c)))
			return ferry_err(err, errlen, -EINVAL,
				    "'%s': the %s holds '%c': a path here may hold letters, digits and %s only",
				    uri, what, c, PATH_CHARS);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static const struct {
	const char *name;
	size_t offset;
} query_params[] = {
	{ "keyfile", offsetof(struct ferry_uri, keyfile) },
	{ "known_hosts", offsetof(struct ferry_uri, known_hosts) },
	{ "ferryctl", offsetof(struct ferry_uri, ferryctl) },
};

/* NAME=PATH pairs joined by '&', each known name at most once. */
static int parse_query(const char *uri, const char *q, struct ferry_uri *u,
		       char *err, size_t errlen)
{
	bool seen[ARRAY_SIZE(query_params)] = { false };

	for (;;) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		size_t nlen = eq ? (size_t)(eq - q) : len;
		int shown = nlen > 32 ? 32 : (int)nlen;
		size_t i;
		int r;

		if (nlen == 0)
			return ferry_err(err, errlen, -EINVAL, "'%s': empty query parameter name", uri);
		for (i = 0; i < ARRAY_SIZE(query_params); i++)
			if (strlen(query_params[i].name) == nlen && !memcmp(q, query_params[i].name, nlen))
				break;
		if (i == ARRAY_SIZE(query_params))
			return ferry_err(err, errlen, -EINVAL,
				    "'%s': unknown query parameter '%.*s': expected keyfile, known_hosts or ferryctl",
				    uri, shown, q);
		if (seen[i])
			return ferry_err(err, errlen, -EINVAL, "'%s': query parameter '%s' is given twice",
				    uri, query_params[i].name);
		if (!eq)
			return ferry_err(err, errlen, -EINVAL, "'%s': query parameter '%s' has no value",
				    uri, query_params[i].name);
		seen[i] = true;
		r = copy_path(uri, query_params[i].name, eq + 1, len - nlen - 1, FERRY_URI_FILE_MAX,
			      (char *)u + query_params[i].offset, err, errlen);
		if (r < 0)
			return r;
		if (!q[len])
			return 0;
		q += len + 1;
	}
}

/* [user@]host[:port][/socket][?query] */
static int parse_ssh(const char *uri, const char *rest, struct ferry_uri *u,
		     char *err, size_t errlen)
{
	size_t alen = strcspn(rest, "/?");
	const char *path = rest + alen;
	const char *query = strchr(path, '?');
	size_t plen = query ? (size_t)(query - path) : strlen(path);
	const char *at = memchr(rest, '@', alen);
	const char *hp = rest;
	int r;

	if (at) {
		size_t ulen = (size_t)(at - rest);

		if (ulen > FERRY_URI_USER_MAX || !name_ok(rest, ulen, ".-_"))
			return ferry_err(err, errlen, -EINVAL, "'%s': the user is empty, too long or not a user name", uri);
		memcpy(u->user, rest, ulen);
		u->user[ulen] = '\0';
		hp = at + 1;
	}
	r = parse_hostport(uri, hp, (size_t)(rest + alen - hp), u, err, errlen);
	/* A lone '/' means the remote default, as no path does. */
	if (r == 0 && plen > 1)
		r = copy_path(uri, "socket path", path, plen, FERRY_URI_PATH_MAX, u->path, err, errlen);
	if (r == 0 && query)
		r = parse_query(uri, query + 1, u, err, errlen);
	if (r < 0)
		return r;
	u->scheme = FERRY_URI_SSH;
	return 0;
}

int ferry_uri_parse(const char *s, struct ferry_uri *uri, char *err, size_t errlen)
{
	memset(uri, 0, sizeof(*uri));
	if (!s || !*s)
		return ferry_err(err, errlen, -EINVAL,
			   "empty URI: expected unix:///path/to/socket or ssh://[user@]host[/socket]");
	if (strlen(s) > FERRY_URI_MAX || !printable(s))
		return ferry_err(err, errlen, -EINVAL,
			   "URI is too long or holds blanks or control characters");
	if (!strncmp(s, "unix://", 7))
		return parse_unix(s, s + 7, uri, err, errlen);
	if (!strncmp(s, "ssh://", 6))
		return parse_ssh(s, s + 6, uri, err, errlen);
	return ferry_err(err, errlen, -EINVAL,
		   "'%s': unsupported URI scheme: expected unix:///path/to/socket or ssh://[user@]host[/socket]",
		   s);
}

int ferry_default_uri(char *buf, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("FERRY_DEFAULT_URI");
	const char *xdg;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", FERRY_SYSTEM_URI);
	else {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || xdg[0] != '/')
			return ferry_err(err, errlen, -ENOENT,
				   "no URI given, FERRY_DEFAULT_URI unset and XDG_RUNTIME_DIR unset or relative: use -c URI");
		n = snprintf(buf, len, "unix://%s/ferry/ferry-sock", xdg);
	}
	if (n < 0 || (size_t)n >= len)
		return ferry_err(err, errlen, -ENAMETOOLONG, "default URI is too long");
	return 0;
}

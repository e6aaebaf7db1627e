/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor-uri.c - which migration URIs QEMU may be given.
 *
 * QEMU's "exec:" runs a shell command as QEMU; "rdma:", "file:" and
 * whatever later QEMUs add reach further than ferry means to. So the
 * monitor protocol carries only the three forms ferry uses, in a grammar
 * narrow enough that QEMU cannot read more into them than we do:
 *
 *   tcp:HOST:PORT   HOST an IPv4 address, [IPv6 address] or host name
 *   unix:/PATH      an absolute socket path
 *   fd:NAME         an fd handed over earlier with getfd
 *
 * Both the broker (encoding) and ferry-monitor (decoding) check, so
 * neither trusts the other to have done it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "monitor-proto.h"
#include "util.h"

/* No host name is longer (RFC 1035 less the trailing dot), no label either. */
#define HOST_MAX 253u
#define LABEL_MAX 63u

static int uri_refuse(char *err, size_t errlen, const char *uri, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "migration URI '<excerpt>': <why>", the excerpt printable and short. */
static int uri_refuse(char *err, size_t errlen, const char *uri, const char *fmt, ...)
{
	char ex[48], why[160];
	size_t n = strlen(uri), i;
	va_list ap;

	for (i = 0; i < n && i < 40; i++)
		ex[i] = (uri[i] >= 0x20 && uri[i] <= 0x7e && uri[i] != '\'') ? uri[i] : '?';
	ex[i] = '\0';
	if (n > i)
		memcpy(ex + i, "...", 4);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (errlen)
		snprintf(err, errlen, "migration URI '%s' %s", ex, why);
	return -EINVAL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Labels of [A-Za-z0-9-], 1-63 bytes, no hyphen at either end. The last
 * label starts with a letter, so no number inet_aton() would read as an
 * address ("127.1", "0x7f000001", "2130706433") passes for a name.
 */
static bool host_name_ok(const char *h, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > HOST_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start;

		if (i < n && h[i] != '.') {
			if (!is_alnum(h[i]) && h[i] != '-')
				return false;
			continue;
		}
		if (len == 0 || len > LABEL_MAX || h[start] == '-' || h[i - 1] == '-')
			return false;
		if (i == n && !is_alpha(h[start]))
			return false;
		start = i + 1;
	}
	return true;
}

/* Copy [p, p+n) into @buf when it fits; inet_pton wants a C string. */
static bool address_ok(int af, const char *p, size_t n)
{
	unsigned char addr[16];
	char buf[64];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	/* glibc's inet_pton takes dotted quads only: no "127.1", no leading zeros. */
	return inet_pton(af, buf, addr) == 1;
}

/* 1-65535, decimal, no leading zero. */
static bool port_ok(const char *p)
{
	uint64_t v;

	for (const char *c = p; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return p[0] != '0' && ferry_parse_u64(p, 65535, &v) == 0 && v >= 1;
}

static int check_tcp(const char *uri, const char *rest, char *err, size_t errlen)
{
	const char *colon, *host = rest;
	size_t hlen;

	if (rest[0] == '[') {
		const char *rb = strchr(rest, ']');

		if (!rb || rb[1] != ':' ||
		    !address_ok(AF_INET6, rest + 1, (size_t)(rb - rest - 1)))
			return uri_refuse(err, errlen, uri,
					  "has no valid [IPv6 address] followed by ':PORT'");
		colon = rb + 1;
	} else {
		colon = strrchr(rest, ':');
		if (!colon)
			return uri_refuse(err, errlen, uri, "has no ':PORT' after the host");
		hlen = (size_t)(colon - host);
		/* An IPv6 address must be in brackets: "tcp:::1:4444" is ambiguous. */
		if (memchr(host, ':', hlen) ||
		    (!address_ok(AF_INET, host, hlen) && !host_name_ok(host, hlen)))
			return uri_refuse(err, errlen, uri,
					  "names no IPv4 address, [IPv6 address] or host name");
	}
	if (!port_ok(colon + 1))
		return uri_refuse(err, errlen, uri, "has a port that is not 1-65535");
	return 0;
}

/* Absolute, short enough for sun_path, [A-Za-z0-9._+/-], no "." or "..". */
static int check_unix(const char *uri, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (path[0] != '/')
		return uri_refuse(err, errlen, uri, "has a socket path that is not absolute");
	if (n > FERRY_MON_UNIX_PATH_MAX)
		return uri_refuse(err, errlen, uri, "has a socket path of %zu bytes, over %u",
				  n, FERRY_MON_UNIX_PATH_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(path[i]) && !strchr("._+/-", path[i]))
			return uri_refuse(err, errlen, uri,
					  "has a socket path with a byte outside [A-Za-z0-9._+/-]");
	if (path[n - 1] == '/' || strstr(path, "//") || strstr(path, "/./") ||
	    strstr(path, "/../") || (n >= 2 && strcmp(path + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(path + n - 3, "/..") == 0))
		return uri_refuse(err, errlen, uri,
				  "has a socket path with an empty, '.' or '..' component");
	return 0;
}

/*
 * A name QEMU looks up among the fds getfd gave it. It starts with a
 * letter: QEMU reads a name that starts with a digit as a raw fd number
 * of its own (monitor_fd_param), which would reach any fd QEMU holds.
 */
static int check_fd(const char *uri, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n > FERRY_MON_FD_NAME_MAX || !is_alpha(name[0]))
		return uri_refuse(err, errlen, uri,
				  "has an fd name that is not 1-%u bytes starting with a letter",
				  FERRY_MON_FD_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '-')
			return uri_refuse(err, errlen, uri,
					  "has an fd name with a byte outside [A-Za-z0-9_-]");
	return 0;
}

int ferry_mon_uri_check(const char *uri, char *err, size_t errlen)
{
	size_t n = strlen(uri);

	if (n == 0) {
		if (errlen)
			snprintf(err, errlen, "migration URI is empty");
		return -EINVAL;
	}
	if (n > FERRY_MON_URI_MAX)
		return uri_refuse(err, errlen, uri, "is %zu bytes long, over %u", n,
				  FERRY_MON_URI_MAX);
	if (strncmp(uri, "tcp:", 4) == 0)
		return check_tcp(uri, uri + 4, err, errlen);
	if (strncmp(uri, "unix:", 5) == 0)
		return check_unix(uri, uri + 5, err, errlen);
	if (strncmp(uri, "fd:", 3) == 0)
		return check_fd(uri, uri + 3, err, errlen);
	return uri_refuse(err, errlen, uri, "is not allowed: only tcp:, unix: and fd:");
}

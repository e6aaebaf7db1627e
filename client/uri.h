/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uri.h - where a client finds ferryd (docs/transports.md).
 *
 *   unix:///path/to/socket            a local socket, absolute path
 *   ssh://[user@]host[:port][/socket][?keyfile=PATH&known_hosts=PATH&ferryctl=PATH]
 *                                     `ferryctl proxy` on the remote host,
 *                                     through the system's ssh client
 *
 * Parsing and connecting are separate steps (connecting: transport.h).
 * Everything of an ssh URI ends up on ssh's command line or in the
 * command the remote shell runs, so the parser admits only closed
 * alphabets there: a value that would need quoting is refused rather
 * than quoted (the quoting is there all the same).
 */
#ifndef FERRY_CLIENT_URI_H
#define FERRY_CLIENT_URI_H

#include <stddef.h>
#include <stdint.h>

#define FERRY_SYSTEM_URI "unix:///run/ferry/ferry-sock"
/* A sockaddr_un's sun_path holds 108 bytes, NUL included. */
#define FERRY_URI_PATH_MAX 107u
#define FERRY_URI_USER_MAX 64u
#define FERRY_URI_HOST_MAX 255u
/* keyfile, known_hosts and the remote ferryctl: absolute paths. */
#define FERRY_URI_FILE_MAX 255u
/* Longest URI accepted at all, before any part is looked at. */
#define FERRY_URI_MAX 1024u

enum ferry_uri_scheme {
	FERRY_URI_UNIX = 1,
	FERRY_URI_SSH = 2,
};

struct ferry_uri {
	enum ferry_uri_scheme scheme;
	char path[FERRY_URI_PATH_MAX + 1];	/* socket path; "" for ssh's default */
	char user[FERRY_URI_USER_MAX + 1];	/* ssh: "" for ssh's default */
	char host[FERRY_URI_HOST_MAX + 1];	/* ssh: name or address, no brackets */
	uint16_t port;				/* ssh: 0 for ssh's default */
	/* ssh's query parameters; "" when not given. */
	char keyfile[FERRY_URI_FILE_MAX + 1];	/* local: the only identity to offer */
	char known_hosts[FERRY_URI_FILE_MAX + 1];	/* local: the only host keys to trust */
	char ferryctl[FERRY_URI_FILE_MAX + 1];	/* remote: "" runs "ferryctl" from its PATH */
};

/*
 * ferry_uri_parse - split @s into its parts
 * Strict: an unknown or repeated query parameter, a relative path, a
 * character outside a part's alphabet, a part over its length limit are
 * each refused by name.
 * Return: 0, or -EINVAL with @err saying what is wrong and what is
 * expected instead.
 */
int ferry_uri_parse(const char *s, struct ferry_uri *uri, char *err, size_t errlen);

/*
 * ferry_default_uri - the URI to use when none is given
 * $FERRY_DEFAULT_URI when set and not empty; else the system socket
 * (FERRY_SYSTEM_URI) when running as root; else the user's socket,
 * unix://$XDG_RUNTIME_DIR/ferry/ferry-sock.
 * Return: 0, -ENOENT when the user's socket is wanted but
 * XDG_RUNTIME_DIR is unset or relative, -ENAMETOOLONG; @err says which.
 */
int ferry_default_uri(char *buf, size_t len, char *err, size_t errlen);

#endif

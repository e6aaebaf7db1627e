/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * access.h - who may talk to the broker: a list of users and groups per
 * socket, checked against the kernel's account of the peer (SO_PEERCRED
 * and SO_PEERGROUPS), never against anything the client says.
 */
#ifndef FERRY_ACCESS_H
#define FERRY_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FERRY_ACCESS_MAX 32

struct ferry_access {
	bool anyone;			/* "*" in the list */
	uid_t uids[FERRY_ACCESS_MAX];
	size_t nuids;
	gid_t gids[FERRY_ACCESS_MAX];
	size_t ngids;
};

struct ferry_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];	/* supplementary groups, as many as fit */
	size_t ngroups;
};

/* Read the peer of a connected unix socket. Return 0 or -errno. */
int ferry_peer_read(int fd, struct ferry_peer *p);

/*
 * ferry_access_check - may @p use a socket guarded by @a?
 * Return true, or false with @why saying what was checked
 * ("uid 1000 (gid 1000) is in none of the allowed users or groups").
 */
bool ferry_access_check(const struct ferry_access *a, const struct ferry_peer *p,
			char *why, size_t whylen);

/*
 * ferry_access_parse - add "user,@group,1000,@1000,*" entries to @a.
 * Names are resolved now (getpwnam/getgrnam); a name that does not
 * resolve is an error, never silently dropped.
 * Return 0 or -EINVAL / -E2BIG with @err naming the entry.
 */
int ferry_access_parse(struct ferry_access *a, const char *list, char *err, size_t errlen);

#endif

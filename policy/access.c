/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "util.h"

int ferry_peer_read(int fd, struct ferry_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	socklen_t glen = sizeof(p->groups);

	gid_t *all;

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &glen) == 0) {
		p->ngroups = glen / sizeof(gid_t);
		return 0;
	}
	if (errno != ERANGE)
		return 0;
	/*
	 * More groups than fit: the kernel said how many. Keep the first ones;
	 * groups past them are not looked at, so the check can only refuse more.
	 */
	all = malloc(glen);
	if (!all)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &glen) == 0) {
		p->ngroups = ARRAY_SIZE(p->groups);
		if (glen / sizeof(gid_t) < p->ngroups)
			p->ngroups = glen / sizeof(gid_t);
		memcpy(p->groups, all, p->ngroups * sizeof(gid_t));
	}
	free(all);
	return 0;
}

static bool has_gid(const struct ferry_peer *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (size_t i = 0; i < p->ngroups; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

bool ferry_access_check(const struct ferry_access *a, const struct ferry_peer *p,
			char *why, size_t whylen)
{
	if (a->anyone)
		return true;
	for (size_t i = 0; i < a->nuids; i++)
		if (a->uids[i] == p->uid)
			return true;
	for (size_t i = 0; i < a->ngids; i++)
		if (has_gid(p, a->gids[i]))
			return true;
	snprintf(why, whylen, "uid %u (gid %u, %zu supplementary groups) is in none of the "
		 "allowed users or groups", (unsigned)p->uid, (unsigned)p->gid, p->ngroups);
	return false;
}

static int add_entry(struct ferry_access *a, const char *e, char *err, size_t errlen)
{
	bool group = e[0] == '@';
	const char *name = group ? e + 1 : e;
	uint32_t id;

	if (strcmp(e, "*") == 0) {
		a->anyone = true;
		return 0;
	}
	if (ferry_parse_u32(name, &id) < 0) {
		struct passwd *pw = group ? NULL : getpwnam(name);
		struct group *gr = group ? getgrnam(name) : NULL;

		if (!pw && !gr) {
			snprintf(err, errlen, "%s '%s' does not exist", group ? "group" : "user", name);
			return -EINVAL;
		}
		id = group ? gr->gr_gid : pw->pw_uid;
	}
	/* (uid_t)-1 and (gid_t)-1 mean "no id" to the kernel: never a real one. */
	if (id == UINT32_MAX) {
		snprintf(err, errlen, "%s id %u is not a real id", group ? "group" : "user", id);
		return -EINVAL;
	}
	if ((group ? a->ngids : a->nuids) >= FERRY_ACCESS_MAX) {
		snprintf(err, errlen, "more than %d %s", FERRY_ACCESS_MAX, group ? "groups" : "users");
		return -E2BIG;
	}
	if (group)
		a->gids[a->ngids++] = id;
	else
		a->uids[a->nuids++] = id;
	return 0;
}

int ferry_access_parse(struct ferry_access *a, const char *list, char *err, size_t errlen)
{
	char buf[1024];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "list of %zu bytes is too long", strlen(list));
		return -E2BIG;
	}
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		int r = add_entry(a, tok, err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

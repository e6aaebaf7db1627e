/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * privdrop.h - ferryd's own privilege drop (broker/privdrop.c).
 */
#ifndef FERRY_PRIVDROP_H
#define FERRY_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct ferry_privdrop {
	const char *user;		/* who ferryd becomes */
	const char *group;		/* its group; NULL or "": the user's own */
	const char *const *dirs;	/* trees it must own afterwards, NULL-terminated */
};

/*
 * ferry_privdrop - become @p->user for good: the trees in @p->dirs given
 * to it, the bounding set emptied, supplementary groups, gid and uid set
 * (real, effective and saved), every capability cleared, no_new_privs.
 * Started as an ordinary user there are no ids to change: the same
 * clearing and no_new_privs apply. Call it after spawning what must keep
 * privileges (ferry-label) and before opening any socket.
 * Return: 0, or -errno with @err naming the stage that failed.
 */
int ferry_privdrop(const struct ferry_privdrop *p, char *err, size_t errlen);

/*
 * ferry_self_state - this process's ids, capability sets, no_new_privs
 * and seccomp mode, from /proc/self/status, as one line for logs and
 * --check-sandbox: "uid 998 gid 998 CapPrm 0 CapEff 0 CapBnd 0 NoNewPrivs 1".
 */
void ferry_self_state(char *buf, size_t len);

#endif

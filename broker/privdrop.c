/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * privdrop.c - ferryd's own privilege drop.
 *
 * Theory of operation
 * -------------------
 * Started as root with `user` configured, ferryd runs this once, after
 * ferry-label has been spawned (the one helper that keeps CAP_CHOWN and
 * CAP_FOWNER: they can only be handed to it while the broker has them) and
 * before any socket is opened:
 *
 *   1. own:     the state and runtime trees, made by root, are given to
 *               user:group, so that the broker can go on writing them;
 *   2. bounds:  the capability bounding set is emptied (this needs
 *               CAP_SETPCAP, so it comes while still root);
 *   3. groups:  the user's supplementary groups (kvm, say), then the gid,
 *               then the uid, each real, effective and saved;
 *   4. caps:    permitted, effective, inheritable and ambient cleared, and
 *               read back: a set that is not empty ends ferryd;
 *   5. nnp:     no_new_privs, so nothing ferryd executes gains privileges.
 *
 * Started as an ordinary user, 1-3 have nothing to do; 4 and 5 still run.
 * Every stage that fails ends ferryd: it never runs half-dropped.
 */
#define _GNU_SOURCE
#include <cap-ng.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privdrop.h"
#include "util.h"

#define MAX_GROUPS 64

static uid_t own_uid;
static gid_t own_gid;

static int own_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return lchown(path, own_uid, own_gid) < 0 ? -1 : 0;
}

static int become(const struct passwd *pw, gid_t gid, char *err, size_t errlen)
{
	gid_t groups[MAX_GROUPS];
	int n = MAX_GROUPS;

	if (getgrouplist(pw->pw_name, gid, groups, &n) < 0)
		return ferry_err(err, errlen, -E2BIG, "groups: '%s' is in more than %d groups",
				 pw->pw_name, MAX_GROUPS);
	if (setgroups((size_t)n, groups) < 0)
		return ferry_err(err, errlen, -errno, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return ferry_err(err, errlen, -errno, "setresgid %u: %s", (unsigned)gid, strerror(errno));
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return ferry_err(err, errlen, -errno, "setresuid %u: %s", (unsigned)pw->pw_uid,
				 strerror(errno));
	return 0;
}

static int clear_caps(char *err, size_t errlen)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		return ferry_err(err, errlen, -EPERM, "clearing capabilities failed");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ferry_err(err, errlen, -errno, "clearing ambient capabilities: %s", strerror(errno));
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return ferry_err(err, errlen, -EPERM, "capabilities are left after clearing them");
	return 0;
}

int ferry_privdrop(const struct ferry_privdrop *p, char *err, size_t errlen)
{
	const struct passwd *pw = NULL;
	const struct group *gr;
	int r;

	if (geteuid() == 0 && p->user && p->user[0]) {
		if (!(pw = getpwnam(p->user)))
			return ferry_err(err, errlen, -ENOENT, "user '%s': no such user", p->user);
		own_uid = pw->pw_uid;
		own_gid = pw->pw_gid;
		if (p->group && p->group[0]) {
			if (!(gr = getgrnam(p->group)))
				return ferry_err(err, errlen, -ENOENT, "group '%s': no such group", p->group);
			own_gid = gr->gr_gid;
		}
		if (own_uid == 0)
			return ferry_err(err, errlen, -EINVAL, "user '%s' is root: nothing would be dropped",
					 p->user);
		for (const char *const *d = p->dirs; d && *d; d++)
			if (nftw(*d, own_one, 16, FTW_PHYS) < 0)
				return ferry_err(err, errlen, -errno, "giving %s to %s: %s", *d, p->user,
						 strerror(errno));
		capng_clear(CAPNG_SELECT_BOUNDS);
		if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
			return ferry_err(err, errlen, -EPERM, "emptying the bounding set failed");
		r = become(pw, own_gid, err, errlen);
		if (r < 0)
			return r;
	}
	r = clear_caps(err, errlen);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = ferry_err(err, errlen, -errno, "no_new_privs: %s", strerror(errno));
	return r;
}

void ferry_self_state(char *buf, size_t len)
{
	static const char *const keys[] = { "Uid:", "Gid:", "CapPrm:", "CapEff:", "CapBnd:",
					    "NoNewPrivs:", "Seccomp:" };
	char line[256];
	size_t used = 0;
	FILE *f = fopen("/proc/self/status", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t k = strlen(keys[i]);
			char val[64];

			if (strncmp(line, keys[i], k) != 0 || sscanf(line + k, " %63s", val) != 1)
				continue;
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%.*s %s",
						 used ? " " : "", (int)(k - 1), keys[i], val);
		}
	}
	fclose(f);
}

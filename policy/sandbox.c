/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sandbox.c - the privilege-drop sequence every helper runs.
 *
 * Theory of operation
 * -------------------
 * A helper is exec'd fresh by the broker's spawn code, then calls
 * ferry_sandbox_apply() before it reads a single message. The stages run in
 * this order; each one may rely on the ones before it, and a failed
 * mandatory stage ends the helper (the broker reports its exit):
 *
 *  1. fixed fds      fd 3 must be the SOCK_SEQPACKET channel; 0 and 1 are
 *                    /dev/null, 2 is the broker's stderr (last words only).
 *                    Must not: open anything.
 *  2. close the rest every fd above 3 is closed, whatever leaked in.
 *  3. exec           already done by the broker: no memory of the broker
 *                    survives into the helper (listed for completeness).
 *  4. set ids        only when started as root: supplementary groups
 *                    dropped, gid then uid set to the ids the broker chose,
 *                    keeping the permitted capabilities of the keep-set
 *                    (PR_SET_KEEPCAPS) and dropping everything else from
 *                    the bounding set while CAP_SETPCAP is still held.
 *  5. capabilities   libcap-ng clears effective, permitted and inheritable
 *                    sets except the profile's keep-set; ambient cleared.
 *  6. namespaces     best effort: a new user namespace with new net, ipc
 *                    and mount namespaces; in the mount namespace the root
 *                    becomes an empty tmpfs. Entering a user namespace
 *                    grants a full capability set inside it, so stage 5
 *                    runs again right after, and the bounding set, which
 *                    CAP_SETPCAP in the new namespace can now shrink, is
 *                    cleared too. What the kernel refuses is reported.
 *  7. rlimits        NOFILE, NPROC, FSIZE as the profile says; CORE 0.
 *  8. not dumpable   no core, no ptrace by same-uid processes, /proc/PID
 *                    of the helper owned by root.
 *  9. no_new_privs   nothing exec'd later could gain privileges.
 * 10. seccomp        libseccomp builds the profile's allowlist with a
 *                    default action that kills the process; loaded last,
 *                    so the stages above may use what it forbids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>
#include <seccomp.h>

#include "sandbox.h"
#include "util.h"
#include "wire.h"

static void note(struct ferry_sandbox_report *rep, const char *what)
{
	size_t n = strlen(rep->notes);

	snprintf(rep->notes + n, sizeof(rep->notes) - n, "%s%s", n ? "; " : "", what);
}

static bool keeps(const struct ferry_profile *p, int cap)
{
	for (const struct ferry_cap *c = p->keep_caps; c && c->cap >= 0; c++)
		if (c->cap == cap)
			return true;
	return false;
}

/* Stages 1 and 2. */
static int fixed_fds(char *err, size_t errlen)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(FERRY_CHANNEL_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		return ferry_err(err, errlen, -EBADF,
				  "fixed fds: fd %d is not a seqpacket channel", FERRY_CHANNEL_FD);
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			int nul = open("/dev/null", O_RDWR);

			if (nul < 0)
				return ferry_err(err, errlen, -errno, "fixed fds: /dev/null: %s",
						  strerror(errno));
			if (nul != fd) {
				dup2(nul, fd);
				close(nul);
			}
		}
	}
	if (close_range(FERRY_CHANNEL_FD + 1, ~0u, 0) < 0)
		return ferry_err(err, errlen, -errno, "close the rest: %s", strerror(errno));
	return 0;
}

static int last_cap(void)
{
	int c = CAP_LAST_CAP;

	/* The running kernel may know more capabilities than our headers. */
	while (prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

/* Drop everything but the keep-set from the bounding set; needs CAP_SETPCAP. */
static int shrink_bounding(const struct ferry_profile *p)
{
	int top = last_cap();

	for (int c = 0; c <= top; c++) {
		if (keeps(p, c) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

/* Stage 4. */
static int set_ids(const struct ferry_profile *p, const struct ferry_sandbox_ids *ids,
		   struct ferry_sandbox_report *rep, char *err, size_t errlen)
{
	int r;

	if (geteuid() != 0)
		return 0;
	if (!ids->set)
		return ferry_err(err, errlen, -EINVAL, "set ids: started as root without --user");
	if (ids->uid == 0 || ids->gid == 0)
		return ferry_err(err, errlen, -EINVAL, "set ids: refusing to keep uid or gid 0");
	r = shrink_bounding(p);
	if (r < 0)
		return ferry_err(err, errlen, r, "set ids: bounding set: %s", strerror(-r));
	rep->bounding_cleared = true;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(0, NULL) < 0 ||
	    setresgid(ids->gid, ids->gid, ids->gid) < 0 ||
	    setresuid(ids->uid, ids->uid, ids->uid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return ferry_err(err, errlen, -errno, "set ids: to %u:%u: %s",
				  ids->uid, ids->gid, strerror(errno));
	return 0;
}

/* Stage 5, and again after entering a user namespace. */
static int clear_caps(const struct ferry_profile *p, char *err, size_t errlen)
{
	bool held[64] = { false };

	/* Keep only what is held: a helper of an ordinary user has nothing to keep. */
	capng_get_caps_process();
	for (const struct ferry_cap *c = p->keep_caps; c && c->cap >= 0; c++)
		if (c->cap < 64)
			held[c->cap] = capng_have_capability(CAPNG_PERMITTED, (unsigned)c->cap);
	capng_clear(CAPNG_SELECT_CAPS);
	for (const struct ferry_cap *c = p->keep_caps; c && c->cap >= 0; c++)
		if (c->cap >= 64 || (held[c->cap] &&
		    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)c->cap) < 0))
			return ferry_err(err, errlen, -EINVAL, "capabilities: unknown capability %d",
					  c->cap);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return ferry_err(err, errlen, -EPERM, "capabilities: capng_apply failed");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return ferry_err(err, errlen, -errno, "capabilities: ambient: %s", strerror(errno));
	return 0;
}

/*
 * An empty root: a tmpfs mounted over /tmp becomes the new root and the
 * old one is detached, so no path outside resolves any more.
 */
static int empty_root(void)
{
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ferry", "/tmp", "tmpfs", MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_RDONLY,
		  NULL) < 0 ||
	    chdir("/tmp") < 0 ||
	    syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return -errno;
	return 0;
}

/* Stage 6. */
static int namespaces(const struct ferry_profile *p, struct ferry_sandbox_report *rep,
		      char *err, size_t errlen)
{
	int flags = 0;
	int r;

	if (!(p->namespaces & FERRY_NS_USER)) {
		note(rep, "no namespaces by profile");
		return 0;
	}
	flags = CLONE_NEWUSER;
	flags |= (p->namespaces & FERRY_NS_NET) ? CLONE_NEWNET : 0;
	flags |= (p->namespaces & FERRY_NS_IPC) ? CLONE_NEWIPC : 0;
	flags |= (p->namespaces & FERRY_NS_MNT) ? CLONE_NEWNS : 0;
	if (unshare(flags) < 0) {
		char why[96];

		snprintf(why, sizeof(why), "namespaces refused by the kernel: %s", strerror(errno));
		note(rep, why);
		return 0;
	}
	rep->namespaces = p->namespaces & (FERRY_NS_USER | FERRY_NS_NET | FERRY_NS_IPC | FERRY_NS_MNT);
	if ((flags & CLONE_NEWNS) && empty_root() == 0)
		rep->empty_root = true;
	else if (flags & CLONE_NEWNS)
		note(rep, "mount namespace kept the host's root");
	r = shrink_bounding(p);
	if (r < 0)
		return ferry_err(err, errlen, r, "namespaces: bounding set: %s", strerror(-r));
	rep->bounding_cleared = true;
	return clear_caps(p, err, errlen);
}

/* Stage 7. */
static int rlimits(const struct ferry_profile *p, char *err, size_t errlen)
{
	const struct { int res; rlim_t v; const char *name; } lim[] = {
		{ RLIMIT_NOFILE, p->nofile, "NOFILE" },
		{ RLIMIT_NPROC, p->nproc, "NPROC" },
		{ RLIMIT_FSIZE, p->fsize, "FSIZE" },
		{ RLIMIT_CORE, 0, "CORE" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		struct rlimit rl = { lim[i].v, lim[i].v };

		if (lim[i].v == RLIM_INFINITY)
			continue;
		if (setrlimit(lim[i].res, &rl) < 0)
			return ferry_err(err, errlen, -errno, "rlimits: %s: %s",
					  lim[i].name, strerror(errno));
	}
	return 0;
}

int ferry_profile_count_syscalls(const struct ferry_profile *p, const char **dup)
{
	int n = 0;

	for (const struct ferry_syscall *const *l = p->syscalls; *l; l++) {
		for (const struct ferry_syscall *s = *l; s->name; s++) {
			/* Look for the same name anywhere earlier. */
			for (const struct ferry_syscall *const *l2 = p->syscalls; l2 <= l; l2++)
				for (const struct ferry_syscall *t = *l2; t->name && t != s; t++)
					if (strcmp(t->name, s->name) == 0) {
						*dup = s->name;
						return -EEXIST;
					}
			if (!s->errno_ret)
				n++;
		}
	}
	return n;
}

static void release_filter(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Stage 10. */
static int seccomp_stage(const struct ferry_profile *p, struct ferry_sandbox_report *rep,
			 char *err, size_t errlen)
{
	_cleanup_(release_filter) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	const char *dup = NULL;
	int r = ferry_profile_count_syscalls(p, &dup);

	if (r < 0)
		return ferry_err(err, errlen, r, "seccomp: %s listed twice", dup);
	if (!ctx)
		return ferry_err(err, errlen, -ENOMEM, "seccomp: seccomp_init failed");
	rep->filter_syscalls = (unsigned)r;
	for (const struct ferry_syscall *const *l = p->syscalls; *l; l++) {
		for (const struct ferry_syscall *s = *l; s->name; s++) {
			int nr = seccomp_syscall_resolve_name(s->name);
			uint32_t act = s->errno_ret ? SCMP_ACT_ERRNO((uint32_t)s->errno_ret)
						    : SCMP_ACT_ALLOW;

			if (nr == __NR_SCMP_ERROR)
				return ferry_err(err, errlen, -EINVAL,
						  "seccomp: unknown syscall '%s'", s->name);
			r = seccomp_rule_add(ctx, act, nr, 0);
			if (r < 0)
				return ferry_err(err, errlen, r, "seccomp: rule for %s: %s",
						  s->name, strerror(-r));
		}
	}
	r = seccomp_load(ctx);
	if (r < 0)
		return ferry_err(err, errlen, r, "seccomp: load: %s", strerror(-r));
	return 0;
}

int ferry_sandbox_apply(const struct ferry_profile *p, const struct ferry_sandbox_ids *ids,
			struct ferry_sandbox_report *rep, char *err, size_t errlen)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = fixed_fds(err, errlen)) < 0 ||
	    (r = set_ids(p, ids, rep, err, errlen)) < 0 ||
	    (r = clear_caps(p, err, errlen)) < 0 ||
	    (r = namespaces(p, rep, err, errlen)) < 0 ||
	    (r = rlimits(p, err, errlen)) < 0)
		return r;
	if (!rep->bounding_cleared)
		note(rep, "bounding set kept: no CAP_SETPCAP and no user namespace");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return ferry_err(err, errlen, -errno, "not dumpable: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ferry_err(err, errlen, -errno, "no_new_privs: %s", strerror(errno));
	return seccomp_stage(p, rep, err, errlen);
}

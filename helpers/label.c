/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-label - sets the owner and SELinux context of fds the broker hands
 * it, on the fd itself, never through a path. The only helper that keeps
 * capabilities, and so the one with the shortest list of syscalls.
 *
 * It learns the host's SELinux state once, before its sandbox: libselinux
 * reads it from /sys/fs/selinux, a path this helper may not open under
 * its filter. A context asked for on a host without SELinux is answered
 * "not labelled", unless the broker insists (FERRY_LABEL_FORCE_XATTR):
 * then security.selinux is written as a plain xattr, which the kernel
 * keeps and returns with SELinux off, for a policy loaded later or for
 * a check that the label was set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/capability.h>
#if WITH_SELINUX
#include <selinux/selinux.h>
#endif

#include "common.h"
#include "label-proto.h"
#include "util.h"
#include "wire.h"

#define XATTR_SELINUX "security.selinux"

struct label {
	uint32_t selinux;	/* enum ferry_selinux_state, learnt before the sandbox */
};

/* #syscalls beyond the common loop's. */
static const struct ferry_syscall label_syscalls[] = {
	{ "fchown", "give the fd's file to the user QEMU runs as (the owner flag)", 0 },
	{ "fsetxattr", "write security.selinux on the fd (the context flag)", 0 },
#if WITH_SELINUX
	/*
	 * fsetfilecon_raw() answers a filesystem without xattrs (ENOTSUP) by
	 * reading the fd's label back, to accept one already equal; told
	 * there are none, it keeps the write's own error, which is reported.
	 */
	{ "fgetxattr", "fsetfilecon_raw's read-back after ENOTSUP: the write's error stands",
	  ENOTSUP },
#endif
	{ NULL, NULL, 0 },
};

static const struct ferry_syscall *const label_lists[] = {
	ferry_helper_base_syscalls, label_syscalls, NULL,
};

static const struct ferry_cap label_caps[] = {
	{ CAP_CHOWN, "give an fd's file to the user QEMU runs as" },
	{ CAP_FOWNER, "set security.selinux on a file this uid does not own" },
	{ -1, NULL },
};

static const struct ferry_profile label_profile = {
	.name = "ferry-label",
	.keep_caps = label_caps,
	/*
	 * No namespaces: in a new user namespace its capabilities would count
	 * only there, where the owners of the host's files are unmapped.
	 */
	.namespaces = 0,
	.nofile = 16,		/* channel and the fds being labelled */
	.nproc = 0,		/* never forks */
	.fsize = 0,		/* writes no file data */
	.syscalls = label_lists,
};

/*
 * Before the sandbox: the SELinux state, while /sys/fs/selinux can be read.
 * What libselinux does to find out depends on its version: 3.4 looks once,
 * in its constructor (statfs of the mount, /proc/filesystems), and reads
 * the enforce file in security_getenforce(); older ones also read
 * /proc/self/attr/current in is_selinux_enabled(). Under the filter any of
 * these would kill the helper.
 */
static int label_prepare(void *ctx, char *err, size_t errlen)
{
	struct label *l = ctx;

	l->selinux = FERRY_SELINUX_DISABLED;
#if WITH_SELINUX
	if (is_selinux_enabled() > 0) {
		int r = security_getenforce();

		if (r < 0)
			return ferry_err(err, errlen, errno ? -errno : -EIO,
					 "SELinux is enabled, its enforcing mode unreadable: %s",
					 strerror(errno ? errno : EIO));
		l->selinux = r ? FERRY_SELINUX_ENFORCING : FERRY_SELINUX_PERMISSIVE;
	}
#endif
	return 0;
}

/* The fd is an open file (not a path) of the type the broker expects. */
static int check_fd(int fd, uint32_t type, char *err, size_t errlen)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return ferry_err(err, errlen, -errno, "F_GETFL: %s", strerror(errno));
	/*
	 * An O_PATH fd names a file without opening it: fchown and fsetxattr
	 * refuse it, and newer libselinux would relabel through its
	 * /proc/self/fd path instead, a path this helper never follows.
	 */
	if (fl & O_PATH)
		return ferry_err(err, errlen, -EBADF, "the fd is an O_PATH fd, a path and not an "
				 "open file: refusing to label through it");
	if (fstat(fd, &st) < 0)
		return ferry_err(err, errlen, -errno, "fstat: %s", strerror(errno));
	if (ferry_label_type_of_mode(st.st_mode) != type)
		return ferry_err(err, errlen, -EINVAL, "the fd is %s (file type 0%o), not %s",
				 ferry_label_mode_name(st.st_mode), (unsigned)(st.st_mode & S_IFMT),
				 ferry_label_type_name(type));
	return 0;
}

static int set_context(const struct label *l, int fd, const char *context,
		       struct ferry_label_result *res, char *err, size_t errlen)
{
	int r;

#if WITH_SELINUX
	/* The raw call: translating the level would ask mcstrans, over a socket. */
	if (l->selinux != FERRY_SELINUX_DISABLED)
		r = fsetfilecon_raw(fd, context);
	else
#endif
		r = fsetxattr(fd, XATTR_SELINUX, context, strlen(context) + 1, 0);
	if (r < 0)
		return ferry_err(err, errlen, -errno, "%s: %s", XATTR_SELINUX, strerror(errno));
	res->done |= FERRY_LABEL_CONTEXT;
	if (l->selinux == FERRY_SELINUX_DISABLED)
		res->note = "selinux disabled, xattr written as asked";
	return 0;
}

/* Owner first, then context; what the request leaves out is not touched. */
static int apply(const struct label *l, int fd, const struct ferry_label_req *req,
		 struct ferry_label_result *res, char *err, size_t errlen)
{
	int r = check_fd(fd, req->type, err, errlen);

	if (r < 0)
		return r;
	if (req->flags & FERRY_LABEL_OWNER) {
		if (fchown(fd, req->uid, req->gid) < 0)
			return ferry_err(err, errlen, -errno, "fchown to %" PRIu32 ":%" PRIu32 ": %s",
					 req->uid, req->gid, strerror(errno));
		res->done |= FERRY_LABEL_OWNER;
	}
	if (!(req->flags & FERRY_LABEL_CONTEXT))
		return 0;
	if (l->selinux == FERRY_SELINUX_DISABLED && !(req->flags & FERRY_LABEL_FORCE_XATTR)) {
		res->note = FERRY_LABEL_NOTE_DISABLED;
		return 0;
	}
	return set_context(l, fd, req->context, res, err, errlen);
}

static int on_label_fd(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	const struct label *l = ctx;
	struct ferry_label_result res = { .selinux = l->selinux, .note = "" };
	struct ferry_label_req req;
	struct ferry_wbuf w;
	char why[384];
	int r;

	r = ferry_label_get_fd(msg->payload, msg->len, &req, why, sizeof(why));
	if (r == 0)
		r = apply(l, msg->fds[0], &req, &res, why, sizeof(why));
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "LABEL_FD: %s%s", why,
					      (res.done & FERRY_LABEL_OWNER) ?
					      " (the owner was already set)" : "");
	ferry_wbuf_init(&w);
	r = ferry_label_put_result(&w, &res);
	if (r < 0)
		return ferry_chan_reply_error(chan, msg, r, "LABEL_FD: result: %s", strerror(-r));
	return ferry_chan_reply(chan, msg, FERRY_MSG_LABEL_RESULT, &w, NULL, 0);
}

static const struct ferry_msg_spec label_specs[] = {
	{ FERRY_MSG_LABEL_FD, "LABEL_FD", FERRY_LABEL_FD_MIN, FERRY_LABEL_FD_MAX, 1,
	  FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_label_fd },
};

int main(int argc, char **argv)
{
	static struct label l;
	const struct ferry_helper_def def = {
		.profile = &label_profile,
		.specs = label_specs,
		.nspecs = ARRAY_SIZE(label_specs),
		.ctx = &l,
		.prepare = label_prepare,
	};

	return ferry_helper_main(argc, argv, &def);
}

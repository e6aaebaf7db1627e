/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "util.h"

/*
 * #syscalls of every helper's message loop. Syscalls used only before the
 * filter is loaded (the sandbox stages themselves) are not listed.
 */
const struct ferry_syscall ferry_helper_base_syscalls[] = {
	{ "recvmsg", "receive broker messages with their fds", 0 },
	{ "sendmsg", "send replies, events and the hello", 0 },
	{ "poll", "tell an empty packet from the broker hanging up", 0 },
	{ "close", "drop fds a request is done with", 0 },
	{ "fstat", "check a received fd's type before use", 0 },
	{ "newfstatat", "glibc's fstat is fstatat(fd, \"\", AT_EMPTY_PATH)", 0 },
	{ "fcntl", "read a received fd's status flags (F_GETFL), set O_NONBLOCK (F_SETFL)", 0 },
	{ "brk", "malloc", 0 },
	{ "mmap", "malloc of large blocks", 0 },
	{ "munmap", "free of large blocks", 0 },
	{ "write", "last words on stderr before dying", 0 },
	{ "exit_group", "leave when the channel closes", 0 },
	{ "restart_syscall", "the kernel resumes a call interrupted by a stop", 0 },
#if FERRY_SANITIZED
	/* Sanitizer builds only: what the ASan/UBSan runtime does after main starts. */
	{ "madvise", "sanitizer allocator returns memory", 0 },
	{ "mprotect", "sanitizer allocator guards", 0 },
	{ "getpid", "sanitizer reports", 0 },
	{ "gettid", "sanitizer reports", 0 },
	{ "futex", "sanitizer internal locks", 0 },
	{ "sched_yield", "sanitizer internal locks", 0 },
	{ "rt_sigprocmask", "sanitizer reports", 0 },
	{ "sigaltstack", "sanitizer's signal stack at exit", 0 },
#endif
	{ NULL, NULL, 0 },
};

#if FERRY_SANITIZED
/*
 * LeakSanitizer's exit-time scan clones a tracer thread, which no helper's
 * filter allows: helpers are leak-checked by the unit tests instead.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static int on_ping(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_wbuf w;
	struct ferry_rbuf r;
	char why[128];
	uint64_t token;

	ferry_rbuf_init(&r, msg->payload, msg->len);
	token = ferry_get_u64(&r, "token");
	if (ferry_get_end(&r, why, sizeof(why)) < 0)
		return ferry_chan_reply_error(chan, msg, -EBADMSG, "PING: %s", why);
	ferry_wbuf_init(&w);
	ferry_put_u64(&w, token);
	return ferry_chan_reply(chan, msg, FERRY_MSG_PONG, &w, NULL, 0);
}

static int on_fd_probe(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_wbuf w;
	struct stat st;
	int fl;

	if (fstat(msg->fds[0], &st) < 0 || (fl = fcntl(msg->fds[0], F_GETFL)) < 0)
		return ferry_chan_reply_error(chan, msg, -errno, "FD_PROBE: %s", strerror(errno));
	ferry_wbuf_init(&w);
	ferry_put_u32(&w, st.st_mode & S_IFMT);
	ferry_put_u32(&w, (uint32_t)fl);
	return ferry_chan_reply(chan, msg, FERRY_MSG_FD_INFO, &w, NULL, 0);
}

#if FERRY_TEST_HOOKS
/* Test builds: make the syscall the sandbox tests name, with zero arguments. */
static int on_test_syscall(struct ferry_chan *chan, struct ferry_msg *msg, void *ctx)
{
	struct ferry_wbuf w;
	uint32_t nr;
	long r;

	memcpy(&nr, msg->payload, sizeof(nr));
	if (nr > 4096)
		return ferry_chan_reply_error(chan, msg, -EINVAL, "TEST_SYSCALL: no syscall %u", nr);
	r = syscall((long)nr, 0, 0, 0, 0, 0, 0);
	ferry_wbuf_init(&w);
	ferry_put_i64(&w, r < 0 ? -errno : r);
	return ferry_chan_reply(chan, msg, FERRY_MSG_SYSCALL_RESULT, &w, NULL, 0);
}
#endif

static const struct ferry_msg_spec common_specs[] = {
	{ FERRY_MSG_PING, "PING", 8, 8, 0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_ping },
	{ FERRY_MSG_FD_PROBE, "FD_PROBE", 0, 0, 1, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY, on_fd_probe },
#if FERRY_TEST_HOOKS
	{ FERRY_MSG_TEST_SYSCALL, "TEST_SYSCALL", 4, 4, 0, FERRY_SPEC_REQUEST, FERRY_PHASES_ANY,
	  on_test_syscall },
#endif
};

#define MAX_SPECS 64

static void parse_args(int argc, char **argv, const char *name, struct ferry_sandbox_ids *ids)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'u')
			ferry_die(FERRY_EXIT_USAGE, "usage: %s [--user UID:GID] (started by ferryd, channel on fd 3)",
				  name);
		if (ferry_parse_ids(optarg, &ids->uid, &ids->gid) < 0)
			ferry_die(FERRY_EXIT_USAGE, "--user '%s': expected UID:GID", optarg);
		ids->set = true;
	}
	if (optind != argc)
		ferry_die(FERRY_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
}

int ferry_helper_serve(struct ferry_chan *chan, void *ctx)
{
	int r;

	while ((r = ferry_chan_process(chan)) > 0)
		;
	if (r < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "%s", chan->err);
	return 0;
}

int ferry_helper_main(int argc, char **argv, const struct ferry_helper_def *def)
{
	static struct ferry_msg_spec specs[MAX_SPECS];
	const char *name = def->profile->name;
	struct ferry_sandbox_ids ids = { 0 };
	struct ferry_sandbox_report rep;
	struct ferry_chan chan;
	char err[256];
	size_t n = 0;
	int r;

	ferry_log_set_ident(name);
	parse_args(argc, argv, name, &ids);
	if (ARRAY_SIZE(common_specs) + def->nspecs > MAX_SPECS)
		ferry_die(FERRY_EXIT_PROTOCOL, "message table too large");
	for (size_t i = 0; i < ARRAY_SIZE(common_specs); i++)
		specs[n++] = common_specs[i];
	for (size_t i = 0; i < def->nspecs; i++)
		specs[n++] = def->specs[i];

	if (def->prepare && def->prepare(def->ctx, err, sizeof(err)) < 0)
		ferry_die(FERRY_EXIT_SANDBOX, "before the sandbox: %s", err);
	if (ferry_sandbox_apply(def->profile, &ids, &rep, err, sizeof(err)) < 0)
		ferry_die(FERRY_EXIT_SANDBOX, "sandbox: %s", err);

	if (ferry_chan_init(&chan, FERRY_CHANNEL_FD, "ferryd", specs, n, def->ctx) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "out of memory");
	if (ferry_chan_send_hello(&chan, name, rep.filter_syscalls, rep.namespaces) < 0)
		ferry_die(FERRY_EXIT_PROTOCOL, "%s", chan.err);
	r = def->run ? def->run(&chan, def->ctx) : ferry_helper_serve(&chan, def->ctx);
	ferry_chan_close(&chan);
	return r;
}

void ferry_helper_close_fd(int *fd, bool sock, int how)
{
	if (*fd < 0)
		return;
	if (sock && how >= 0)
		shutdown(*fd, how);
	close(steal_fd(fd));
}

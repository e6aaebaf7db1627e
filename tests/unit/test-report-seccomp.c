/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-report-seccomp.c - the sandbox report's seccomp filter count: the
 * classic-BPF interpreter against filters libseccomp wrote and against
 * hand-written programs, and the kernel's copy of a live child's filter
 * read back through ptrace, alone and as part of the whole report. The
 * /proc parsers are in test-report.c.
 *
 * Filter counts are asserted exactly: a report that is off by one
 * syscall is a report that cannot be trusted.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "broker/report.h"
#include "report-harness.h"
#include "util.h"

#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS

/* ---- BPF: filters written by libseccomp ---- */

struct prog {
	struct sock_filter *insns;
	size_t len;
};

static struct prog export_prog(scmp_filter_ctx ctx)
{
	struct prog p;
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	off_t size;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(seccomp_export_bpf(ctx, fd), 0);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	ck_assert_int_eq(size % (off_t)sizeof(struct sock_filter), 0);
	p.len = (size_t)size / sizeof(struct sock_filter);
	p.insns = malloc((size_t)size);
	ck_assert_ptr_nonnull(p.insns);
	ck_assert_int_eq(pread(fd, p.insns, (size_t)size, 0), size);
	close(fd);
	return p;
}

static void add_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names)
{
	for (; *names; names++) {
		int nr = seccomp_syscall_resolve_name(*names);

		ck_assert_msg(nr >= 0, "no syscall %s", *names);
		ck_assert_int_eq(seccomp_rule_add(ctx, action, nr, 0), 0);
	}
}

/* Build a filter allowing @allow (and answering @errno_names with EPERM) and count it. */
static int count_with(uint32_t def, const char *const *allow, const char *const *errno_names,
		      int optimize)
{
	scmp_filter_ctx ctx = seccomp_init(def);
	struct prog p;
	int n;

	ck_assert_ptr_nonnull(ctx);
	if (optimize)
		ck_assert_int_eq(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize), 0);
	if (allow)
		add_rules(ctx, SCMP_ACT_ALLOW, allow);
	if (errno_names)
		add_rules(ctx, SCMP_ACT_ERRNO(EPERM), errno_names);
	p = export_prog(ctx);
	n = ferry_bpf_count_allowed(p.insns, p.len);
	free(p.insns);
	seccomp_release(ctx);
	return n;
}

static const char *const few[] = { "read", "write", "exit_group", NULL };
static const char *const many[] = {
	"read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap",
	"mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl",
	"pread64", "pwrite64", "readv", "writev", "access", "pipe", "select", "sched_yield",
	"mremap", "msync", "mincore", "madvise", "dup", "dup2", "pause", "nanosleep", "getpid",
	"sendfile", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"exit", "exit_group", "futex", "epoll_wait", "epoll_ctl", "openat", "newfstatat",
	"pipe2", "dup3", "restart_syscall", "clock_gettime", "getrandom", "memfd_create",
	"statx", "io_uring_setup", "close_range", "openat2", "faccessat2", "epoll_pwait2",
	NULL,
};
static const char *const errnos[] = { "openat", "socket", "ptrace", NULL };

START_TEST(bpf_libseccomp_allow_lists)
{
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, few, NULL, 0), 3);
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, many, NULL, 0), (int)ARRAY_SIZE(many) - 1);
	/* Level 2 lays the rules out as a binary tree: other jumps, same answer. */
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, few, NULL, 2), 3);
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, many, NULL, 2), (int)ARRAY_SIZE(many) - 1);
	/* ERRNO answers are not ALLOW. */
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, few, errnos, 0), 3);
	ck_assert_int_eq(count_with(SCMP_ACT_ERRNO(ENOSYS), few, errnos, 2), 3);
	ck_assert_int_eq(count_with(SCMP_ACT_KILL_PROCESS, NULL, errnos, 0), 0);
	/* A default of ALLOW allows every number not named, real or not. */
	ck_assert_int_eq(count_with(SCMP_ACT_ALLOW, NULL, errnos, 0), 512 - 3);
	ck_assert_int_eq(count_with(SCMP_ACT_LOG, few, NULL, 0), 3);
}
END_TEST

START_TEST(bpf_libseccomp_args_and_arches)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	struct prog p;

	ck_assert_ptr_nonnull(ctx);
	/* The 32-bit x86 half of the filter must never be taken for x86_64. */
	ck_assert_int_eq(seccomp_arch_add(ctx, SCMP_ARCH_X86), 0);
	ck_assert_int_eq(seccomp_arch_add(ctx, SCMP_ARCH_X32), 0);
	add_rules(ctx, SCMP_ACT_ALLOW, few);
	/* Arguments are all 0 in the evaluation: only conditions 0 meets count. */
	ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(close), 1,
					  SCMP_A0(SCMP_CMP_EQ, 0)), 0);
	ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(dup), 1,
					  SCMP_A0(SCMP_CMP_EQ, 1)), 0);
	ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
					  SCMP_A1(SCMP_CMP_GT, 0x100000000ull)), 0);
	ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
					  SCMP_A2(SCMP_CMP_MASKED_EQ, 4, 0)), 0);
	p = export_prog(ctx);
	ck_assert_int_eq(ferry_bpf_count_allowed(p.insns, p.len), 3 + 2);
	free(p.insns);
	seccomp_release(ctx);
}
END_TEST

/* ---- BPF: hand-written programs for each instruction ---- */

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

static int count(const struct sock_filter *prog, size_t len)
{
	return ferry_bpf_count_allowed(prog, len);
}

#define COUNT(...) ({ \
	const struct sock_filter _p[] = { __VA_ARGS__ }; \
	count(_p, ARRAY_SIZE(_p)); })

START_TEST(bpf_instructions)
{
	/* Jumps with K, and the return value's data bits do not matter. */
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW | 7), BPF_STMT(BPF_RET | BPF_K, KILL)), 412);
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 411);
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 1, 0),
			       BPF_STMT(BPF_RET | BPF_K, KILL), BPF_STMT(BPF_RET | BPF_K, ALLOW)), 256);
	/* JA, and jumps with X. */
	ck_assert_int_eq(COUNT(LD_NR, BPF_STMT(BPF_LDX | BPF_IMM, 3),
			       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), BPF_STMT(BPF_JMP | BPF_JA, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 511);
	/* Arithmetic: ((nr * 3 + 1) ^ 1) - nr, halved, is nr again only for even nr. */
	ck_assert_int_eq(COUNT(LD_NR, BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
			       BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1), BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 1),
			       BPF_STMT(BPF_ST, 0), LD_NR, BPF_STMT(BPF_MISC | BPF_TAX, 0),
			       BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
			       BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 1), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 256);
	/* RET A, NEG, AND, OR, LSH, DIV, TXA, LDX MEM, STX, LEN. */
	ck_assert_int_eq(COUNT(LD_NR, BPF_STMT(BPF_ALU | BPF_NEG, 0), BPF_STMT(BPF_ALU | BPF_NEG, 0),
			       BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 64), BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31),
			       BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0), BPF_STMT(BPF_ALU | BPF_OR | BPF_K, ALLOW),
			       BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_STX, 15),
			       BPF_STMT(BPF_LDX | BPF_MEM, 15), BPF_STMT(BPF_MISC | BPF_TXA, 0),
			       BPF_STMT(BPF_RET | BPF_A, 0)), 512);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
			       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sizeof(struct seccomp_data), 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 512);
	/* The data: arch is x86_64, instruction pointer and arguments are 0. */
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
			       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 512);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60),
			       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 0);
	/* Shift counts from X wrap at 32, as in the kernel: 1 << 33 == 2. */
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_LDX | BPF_IMM, 33),
			       BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW), BPF_STMT(BPF_RET | BPF_K, KILL)), 512);
	/* Dividing by a zero X ends the program with 0 (kill), not an error. */
	ck_assert_int_eq(COUNT(LD_NR, BPF_STMT(BPF_LDX | BPF_IMM, 0),
			       BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
			       BPF_STMT(BPF_RET | BPF_K, ALLOW)), 0);
	/* Other actions are not ALLOW. */
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG)), 0);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO)), 0);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)), 0);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_RET | BPF_K, ALLOW)), 512);
}
END_TEST

START_TEST(bpf_malformed)
{
	struct sock_filter big[BPF_MAXINSNS + 1];
	const struct sock_filter ret = BPF_STMT(BPF_RET | BPF_K, ALLOW);

	ck_assert_int_eq(count(NULL, 1), -EINVAL);
	ck_assert_int_eq(count(&ret, 0), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(big); i++)
		big[i] = ret;
	ck_assert_int_eq(count(big, BPF_MAXINSNS), 512);
	ck_assert_int_eq(count(big, BPF_MAXINSNS + 1), -EINVAL);
	/* Jumps past the end, by JA and by either branch. */
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_JMP | BPF_JA, 1), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_JMP | BPF_JA, 0xffffffff), ret), -EINVAL);
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), ret), -EINVAL);
	ck_assert_int_eq(COUNT(LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0), ret), 512);
	/* No return at the end, even behind a return the program always takes. */
	ck_assert_int_eq(COUNT(LD_NR), -EINVAL);
	ck_assert_int_eq(COUNT(ret, LD_NR), -EINVAL);
	/* Opcodes seccomp refuses, reachable or not. */
	ck_assert_int_eq(COUNT(ret, BPF_STMT(0xffff, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_RET | BPF_X, 0)), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_ALU | BPF_NEG | BPF_X, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_JMP | BPF_JA | BPF_X, 0), ret), -EINVAL);
	/* Loads outside seccomp_data or unaligned, scratch slots past 16, K that cannot work. */
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffffffc), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_ST, 16), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_LDX | BPF_MEM, 16), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ret), -EINVAL);
	ck_assert_int_eq(COUNT(BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ret), -EINVAL);
}
END_TEST

/* ---- live processes ---- */

static const char *const child_set_a[] = {
	"read", "write", "exit", "exit_group", "restart_syscall", "rt_sigreturn",
	"seccomp", "getpid", "getppid", "uname", NULL,
};
static const char *const child_set_b[] = {
	"read", "write", "exit", "exit_group", "restart_syscall", "rt_sigreturn",
	"getpid", "close", "dup", NULL,
};
#define SET_A 10
#define SET_AB 7

struct child {
	pid_t pid;
	int cmd, reply;		/* our ends: we write commands, read replies */
};

static volatile sig_atomic_t child_signals;

static void child_on_signal(int sig)
{
	child_signals++;
}

static struct prog allow_prog(const char *const *names)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	struct prog p;

	ck_assert_ptr_nonnull(ctx);
	add_rules(ctx, SCMP_ACT_ALLOW, names);
	p = export_prog(ctx);
	seccomp_release(ctx);
	return p;
}

/*
 * The child's life after its filters are on: answer each command byte
 * with the number of signals it has handled. Only raw syscalls from here,
 * so no libc or sanitizer wrapper calls anything the filters kill.
 */
static __attribute__((noreturn)) void child_serve(int cmd, int reply)
{
	for (;;) {
		char c;
		long n = syscall(SYS_read, cmd, &c, 1);

		if (n == 0)
			syscall(SYS_exit_group, 0);
		if (n == 1) {
			c = (char)child_signals;
			syscall(SYS_write, reply, &c, 1);
		}
	}
}

static __attribute__((noreturn)) void child_main(const struct prog *progs, size_t n,
						  int cmd, int reply)
{
	struct sigaction sa = { .sa_handler = child_on_signal, .sa_flags = SA_RESTART };

	if (sigaction(SIGRTMIN, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(127);
	for (size_t i = 0; i < n; i++) {
		struct sock_fprog f = { .len = (unsigned short)progs[i].len, .filter = progs[i].insns };

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f) < 0)
			_exit(127);
	}
	child_serve(cmd, reply);
}

/* Start a child under @n filters and wait until they are on. */
static struct child start_child(const struct prog *progs, size_t n)
{
	int to_child[2], from_child[2];
	struct child c;
	char byte;

	ck_assert_int_eq(pipe2(to_child, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(from_child, O_CLOEXEC), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0)
		child_main(progs, n, to_child[0], from_child[1]);
	close(to_child[0]);
	close(from_child[1]);
	c.cmd = to_child[1];
	c.reply = from_child[0];
	/* The first answer proves the filters are loaded and the child is serving. */
	ck_assert_int_eq(write(c.cmd, "?", 1), 1);
	ck_assert_int_eq(read(c.reply, &byte, 1), 1);
	return c;
}

/* Ask the child how many signals it handled: it also proves the child still runs. */
static int child_ask(const struct child *c)
{
	char byte;

	ck_assert_int_eq(write(c->cmd, "?", 1), 1);
	ck_assert_int_eq(read(c->reply, &byte, 1), 1);
	return byte;
}

/* Kill and reap: the reap must find the child, or someone else reaped it. */
static void stop_child(struct child *c)
{
	int st;

	kill(c->pid, SIGKILL);
	ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(c->cmd);
	close(c->reply);
}

START_TEST(ptrace_one_filter)
{
	struct prog a = allow_prog(child_set_a);
	struct child c = start_child(&a, 1);
	char why[256] = "";

	ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, why, sizeof(why)), SET_A);
	ck_assert_int_eq(child_ask(&c), 0);
	/* Again: the first look left nothing behind. */
	ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, why, sizeof(why)), SET_A);
	ck_assert_int_eq(child_ask(&c), 0);
	stop_child(&c);
	free(a.insns);
}
END_TEST

START_TEST(ptrace_two_filters)
{
	struct prog p[2] = { allow_prog(child_set_a), allow_prog(child_set_b) };
	struct child c = start_child(p, 2);
	char why[256] = "";

	ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, why, sizeof(why)), SET_AB);
	ck_assert_int_eq(child_ask(&c), 0);
	stop_child(&c);
	free(p[0].insns);
	free(p[1].insns);
}
END_TEST

/* Signals arriving while the child is held must reach it anyway. */
START_TEST(ptrace_keeps_signals)
{
	struct prog a = allow_prog(child_set_a);
	struct child c = start_child(&a, 1);
	char why[256];

	for (int i = 0; i < 20; i++) {
		union sigval v = { 0 };

		ck_assert_int_eq(sigqueue(c.pid, SIGRTMIN, v), 0);
		ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, why, sizeof(why)), SET_A);
	}
	/* Real-time signals queue: all twenty are handled by now or on the way. */
	for (int i = 0; i < 100 && child_ask(&c) < 20; i++)
		usleep(10000);
	ck_assert_int_eq(child_ask(&c), 20);
	stop_child(&c);
	free(a.insns);
}
END_TEST

START_TEST(ptrace_no_filter_and_no_process)
{
	struct child c = start_child(NULL, 0);
	char why[256] = "";
	int st;
	pid_t gone;

	ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, why, sizeof(why)), -ENOENT);
	ck_assert_msg(strstr(why, "no seccomp filter"), "why: %s", why);
	ck_assert_int_eq(child_ask(&c), 0);
	stop_child(&c);

	/* A zombie child is refused, and is still there for its parent to reap. */
	gone = fork();
	ck_assert_int_ge(gone, 0);
	if (gone == 0)
		_exit(3);
	ck_assert_int_eq(waitid(P_PID, (id_t)gone, &(siginfo_t){ 0 }, WEXITED | WNOWAIT), 0);
	ck_assert_int_lt(ferry_seccomp_count_allowed(gone, why, sizeof(why)), 0);
	ck_assert_int_eq(waitpid(gone, &st, 0), gone);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	/* Reaped now: no process at all. */
	ck_assert_int_eq(ferry_seccomp_count_allowed(gone, why, sizeof(why)), -ESRCH);
	ck_assert_int_lt(ferry_seccomp_count_allowed(0, why, sizeof(why)), 0);
}
END_TEST

START_TEST(report_of_live_child)
{
	struct prog a = allow_prog(child_set_a);
	struct child c = start_child(&a, 1);
	struct ferry_proc_report r, self;
	struct json_object *j, *v;
	char *text;

	ck_assert_int_eq(ferry_proc_report_read(getpid(), -1, &self), 0);
	ck_assert_int_eq(ferry_proc_report_read(c.pid, 3, &r), 0);
	ck_assert_int_eq(r.pid, c.pid);
	ck_assert_int_eq(r.seccomp, 2);
	ck_assert_int_eq(r.no_new_privs, 1);
	/* Filters the test runner itself may sit under are inherited. */
	ck_assert_int_eq(r.seccomp_filters, self.seccomp_filters + 1);
	ck_assert_uint_eq(r.uid, getuid());
	ck_assert(r.caps_valid && r.nofile.valid && r.nproc.valid && r.core.valid && r.fsize.valid);
	for (int i = 0; i < FERRY_REPORT_NS; i++)
		ck_assert_msg(r.ns_new[i] == 0, "%s namespace: %d", r.ns_names[i], r.ns_new[i]);
	ck_assert_int_eq(r.filter_syscalls, SET_A);
	ck_assert_str_eq(r.filter_source, "kernel");
	ck_assert_str_eq(r.filter_note, "");

	text = print_report("child", &r);
	ck_assert_msg(strstr(text, "  Seccomp: 2  Seccomp_filters: "), "%s", text);
	ck_assert_msg(strstr(text, "NoNewPrivs: 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "seccomp filter allows 10 syscalls (read from the kernel)\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "namespaces: user shared, net shared, ipc shared"), "%s", text);
	free(text);

	j = ferry_proc_report_json("child", &r);
	ck_assert(json_object_object_get_ex(j, "filter_syscalls", &v) && json_object_get_int(v) == SET_A);
	ck_assert(json_object_object_get_ex(j, "seccomp", &v) && json_object_get_int(v) == 2);
	ck_assert(json_object_object_get_ex(j, "namespaces", &v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "time")), "shared");
	json_object_put(j);
	ck_assert_int_eq(child_ask(&c), 0);
	stop_child(&c);
	free(a.insns);
}
END_TEST

/* The kernel hands filters only to readers without one: the reader gets EACCES. */
START_TEST(ptrace_filtered_reader)
{
	struct prog a = allow_prog(child_set_a);
	struct child c = start_child(&a, 1);
	pid_t reader = fork();
	int st;

	ck_assert_int_ge(reader, 0);
	if (reader == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		char why[256] = "";
		int r;

		if (!ctx || seccomp_load(ctx) < 0)
			_exit(2);
		r = ferry_seccomp_count_allowed(c.pid, why, sizeof(why));
		_exit(r == -EACCES && strstr(why, "CAP_SYS_ADMIN") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(reader, &st, 0), reader);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The failed reader still let go of the child. */
	ck_assert_int_eq(child_ask(&c), 0);
	ck_assert_int_eq(ferry_seccomp_count_allowed(c.pid, (char[64]){ 0 }, 64), SET_A);
	stop_child(&c);
	free(a.insns);
}
END_TEST

/* A process someone else already traces: the kernel's copy is out of reach. */
START_TEST(report_falls_back_to_helper)
{
	struct prog a = allow_prog(child_set_a);
	struct child c = start_child(&a, 1);
	struct ferry_proc_report r;
	char *text;

	ck_assert_int_eq(ptrace(PTRACE_SEIZE, c.pid, NULL, NULL), 0);
	ck_assert_int_eq(ferry_proc_report_read(c.pid, 7, &r), 0);
	ck_assert_int_eq(r.filter_syscalls, 7);
	ck_assert_str_eq(r.filter_source, "helper");
	ck_assert_msg(strstr(r.filter_note, "attaching"), "note: %s", r.filter_note);
	text = print_report("child", &r);
	ck_assert_msg(strstr(text, "seccomp filter allows 7 syscalls (helper's own account: pid "),
		      "%s", text);
	free(text);
	ck_assert_int_eq(ferry_proc_report_read(c.pid, -1, &r), 0);
	ck_assert_int_eq(r.filter_syscalls, -1);
	ck_assert_ptr_null(r.filter_source);
	stop_child(&c);
	free(a.insns);
}
END_TEST

/* Reading another process's filter needs CAP_SYS_ADMIN and an unfiltered reader. */
static const char *ptrace_skip_reason(void)
{
	struct ferry_proc_report self;

	if (geteuid() != 0)
		return "not root: PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN";
	if (ferry_proc_report_read(getpid(), -1, &self) < 0 || self.seccomp != 0)
		return "under a seccomp filter: the kernel hands filters only to unfiltered readers";
	return NULL;
}

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("report-seccomp");
	TCase *t = tcase_create("bpf");
	const char *skip = ptrace_skip_reason();

	tcase_add_test(t, bpf_libseccomp_allow_lists);
	tcase_add_test(t, bpf_libseccomp_args_and_arches);
	tcase_add_test(t, bpf_instructions);
	tcase_add_test(t, bpf_malformed);
	suite_add_tcase(s, t);
	if (skip) {
		printf("# SKIP live-process tests: %s\n", skip);
		/* Before Check forks, or every test's child would print it again. */
		fflush(stdout);
		fprintf(stderr, "test-report-seccomp: skipping live-process tests: %s\n", skip);
		return s;
	}
	t = tcase_create("live");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, ptrace_one_filter);
	tcase_add_test(t, ptrace_two_filters);
	tcase_add_test(t, ptrace_keeps_signals);
	tcase_add_test(t, ptrace_no_filter_and_no_process);
	tcase_add_test(t, ptrace_filtered_reader);
	tcase_add_test(t, report_of_live_child);
	tcase_add_test(t, report_falls_back_to_helper);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(seccomp_suite());
	int failed;

	/* TAP on stdout so meson reports each test by name. */
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

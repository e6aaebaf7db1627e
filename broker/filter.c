/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * filter.c - how many syscalls a live process's seccomp filter allows.
 *
 * The kernel hands its copy of a process's filters to a tracer with
 * CAP_SYS_ADMIN (PTRACE_SECCOMP_GET_FILTER). Each program is verified here
 * by the kernel's own load-time rules, then run, by a small classic-BPF
 * interpreter, for every x86_64 syscall number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "filter.h"
#include "util.h"

/* Syscall numbers tried: every x86_64 syscall, with room to grow. */
#define NR_SYSCALLS 512
/*
 * The kernel caps the instructions on a filter chain at 32768, counting
 * four extra per filter, so no process has more filters than this.
 */
#define MAX_FILTERS 8192
/* ---- classic BPF, as seccomp accepts it ---- */

struct bpf_prog {
	struct sock_filter *insns;
	size_t len;
};

static bool alu_op_known(uint16_t op)
{
	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV:
	case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
		return true;
	}
	return false;
}

/*
 * The rules the kernel applies when a filter is loaded (seccomp's
 * instruction whitelist and the classic-BPF checker): a program breaking
 * one could not be in a process, so it is not interpreted at all.
 * @left is the number of instructions after this one.
 */
static int bpf_check_insn(const struct sock_filter *f, size_t left)
{
	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return f->k % 4 == 0 && f->k < sizeof(struct seccomp_data) ? 0 : -EINVAL;
	case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K: case BPF_RET | BPF_A:
	case BPF_ALU | BPF_NEG:
		return 0;
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
		return f->k < BPF_MEMWORDS ? 0 : -EINVAL;
	case BPF_JMP | BPF_JA:
		return f->k < left ? 0 : -EINVAL;
	}
	if (f->code > 0xff)
		return -EINVAL;
	if (BPF_CLASS(f->code) == BPF_ALU && alu_op_known(BPF_OP(f->code))) {
		if (BPF_SRC(f->code) == BPF_X)
			return 0;
		if (BPF_OP(f->code) == BPF_DIV && f->k == 0)
			return -EINVAL;
		if ((BPF_OP(f->code) == BPF_LSH || BPF_OP(f->code) == BPF_RSH) && f->k >= 32)
			return -EINVAL;
		return 0;
	}
	/* JEQ, JGT, JGE, JSET: the rest of the op space is eBPF's. */
	if (BPF_CLASS(f->code) == BPF_JMP && BPF_OP(f->code) >= BPF_JEQ && BPF_OP(f->code) <= BPF_JSET)
		return f->jt < left && f->jf < left ? 0 : -EINVAL;
	return -EINVAL;
}

static int bpf_check(const struct sock_filter *prog, size_t len)
{
	if (!prog || len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (size_t pc = 0; pc < len; pc++)
		if (bpf_check_insn(&prog[pc], len - pc - 1) < 0)
			return -EINVAL;
	/* Only a return may end a program: nothing can run off its end. */
	if (prog[len - 1].code != (BPF_RET | BPF_K) && prog[len - 1].code != (BPF_RET | BPF_A))
		return -EINVAL;
	return 0;
}

/* 32-bit and wrapping; shift counts from X are taken mod 32, as the kernel does. */
static uint32_t bpf_alu(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV: return a / v;
	case BPF_AND: return a & v;
	case BPF_OR: return a | v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return a << (v & 31);
	case BPF_RSH: return a >> (v & 31);
	case BPF_NEG: return 0u - a;
	}
	return a;
}

static bool bpf_taken(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	}
	return (a & v) != 0;
}

/*
 * Run @prog, which bpf_check() has vetted: every opcode is known, every
 * load, scratch slot and jump is in range, and the last instruction
 * returns. Jumps only go forward, so every instruction runs at most once.
 * Scratch memory starts zeroed; the kernel refuses programs that read it
 * before writing it anyway.
 */
static uint32_t bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *data)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t v = BPF_SRC(f->code) == BPF_X ? x : f->k;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS: memcpy(&a, (const char *)data + f->k, sizeof(a)); break;
		case BPF_LD | BPF_W | BPF_LEN: a = sizeof(*data); break;
		case BPF_LDX | BPF_W | BPF_LEN: x = sizeof(*data); break;
		case BPF_LD | BPF_IMM: a = f->k; break;
		case BPF_LDX | BPF_IMM: x = f->k; break;
		case BPF_LD | BPF_MEM: a = mem[f->k]; break;
		case BPF_LDX | BPF_MEM: x = mem[f->k]; break;
		case BPF_ST: mem[f->k] = a; break;
		case BPF_STX: mem[f->k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_RET | BPF_K: return f->k;
		case BPF_RET | BPF_A: return a;
		case BPF_JMP | BPF_JA: pc += f->k; break;
		default:
			if (BPF_CLASS(f->code) == BPF_JMP) {
				pc += bpf_taken(BPF_OP(f->code), a, v) ? f->jt : f->jf;
				break;
			}
			/* The kernel ends a program dividing by a zero X with return 0. */
			if (BPF_OP(f->code) == BPF_DIV && v == 0)
				return 0;
			a = bpf_alu(BPF_OP(f->code), a, v);
		}
	}
	/* Unreachable after bpf_check(); a kill is the safe answer. */
	return SECCOMP_RET_KILL_PROCESS;
}

/*
 * Count the syscall numbers every program in @progs allows. The kernel
 * runs all filters of a process and keeps the strictest answer, so one
 * filter saying anything but ALLOW is enough to take a syscall out.
 */
static int count_allowed(const struct bpf_prog *progs, size_t n)
{
	struct seccomp_data data = { .arch = AUDIT_ARCH_X86_64 };
	int count = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (bpf_check(progs[i].insns, progs[i].len) < 0)
			return -EINVAL;
	for (int nr = 0; nr < NR_SYSCALLS; nr++) {
		bool allowed = true;

		data.nr = nr;
		for (size_t i = 0; i < n && allowed; i++)
			if ((bpf_run(progs[i].insns, progs[i].len, &data) & SECCOMP_RET_ACTION_FULL) !=
			    SECCOMP_RET_ALLOW)
				allowed = false;
		count += allowed;
	}
	return count;
}

int ferry_bpf_count_allowed(const struct sock_filter *prog, size_t len)
{
	/* Only read: count_allowed shares the type that owns fetched filters. */
	struct bpf_prog p = { .insns = (struct sock_filter *)prog, .len = len };

	return count_allowed(&p, 1);
}

/* ---- the kernel's copy of a process's filters ---- */

struct filter_list {
	struct bpf_prog *progs;
	size_t n;
};

static void filter_list_free(struct filter_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->progs[i].insns);
	free(l->progs);
	l->progs = NULL;
	l->n = 0;
}

/*
 * Wait for the ptrace-stop PTRACE_INTERRUPT asked for. The process may be
 * the caller's own child, whose exit status belongs to whoever reaps it:
 * an exit is only peeked at (WNOWAIT), and the consuming wait asks for
 * stops alone, so it cannot reap. Return the signal a signal-delivery-stop
 * holds (it must be handed back on detach), 0 for other stops, or -errno.
 */
static int wait_stop(pid_t pid)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WSTOPPED | WNOWAIT | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
			return -ESRCH;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* The stop vanished between the two waits (a SIGKILL): look again. */
		if (si.si_pid == 0)
			continue;
		/* Event stops carry the event above the signal; a bare signal is a delivery. */
		if (si.si_code == CLD_TRAPPED && (si.si_status >> 8) == 0)
			return si.si_status & 0x7f;
		return 0;
	}
}

/*
 * What an errno from PTRACE_SEIZE or PTRACE_SECCOMP_GET_FILTER means here,
 * short enough that the whole message fits a report's filter_note.
 */
static const char *ptrace_hint(int err)
{
	if (err == EPERM || err == EACCES)
		return " (needs CAP_SYS_ADMIN, ptrace access, an unfiltered reader)";
	if (err == EIO)
		return " (kernel without CONFIG_CHECKPOINT_RESTORE)";
	if (err == EMEDIUMTYPE)
		return " (not classic BPF)";
	return "";
}

/* Fetch one filter; -ENOENT past the last one. */
static int fetch_filter(pid_t pid, unsigned long idx, struct bpf_prog *p)
{
	_cleanup_free_ struct sock_filter *insns = NULL;
	long len, got;

	/* Without a buffer the kernel only says how many instructions there are. */
	len = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, NULL);
	if (len < 0)
		return -errno;
	if (len == 0 || len > BPF_MAXINSNS)
		return -EBADMSG;
	insns = calloc((size_t)len, sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	got = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, insns);
	if (got < 0)
		return -errno;
	/* Filters never change once loaded: a different length is a kernel we do not understand. */
	if (got != len)
		return -EBADMSG;
	p->insns = steal_ptr(insns);
	p->len = (size_t)len;
	return 0;
}

static int fetch_filters(pid_t pid, struct filter_list *l, char *why, size_t whylen)
{
	for (unsigned long idx = 0;; idx++) {
		struct bpf_prog *grown;
		int r;

		if (idx >= MAX_FILTERS) {
			snprintf(why, whylen, "pid %d: more than %d seccomp filters", (int)pid, MAX_FILTERS);
			return -E2BIG;
		}
		grown = realloc(l->progs, (l->n + 1) * sizeof(*l->progs));
		if (!grown) {
			snprintf(why, whylen, "pid %d: %s", (int)pid, strerror(ENOMEM));
			return -ENOMEM;
		}
		l->progs = grown;
		r = fetch_filter(pid, idx, &l->progs[l->n]);
		if (r == -ENOENT && idx > 0)
			return 0;
		/* EINVAL: the process is not in filter mode at all. */
		if (r == -EINVAL || r == -ENOENT) {
			snprintf(why, whylen, "pid %d has no seccomp filter", (int)pid);
			return -ENOENT;
		}
		if (r < 0) {
			snprintf(why, whylen, "pid %d: reading seccomp filter %lu: %s%s", (int)pid, idx,
				 strerror(-r), ptrace_hint(-r));
			return r;
		}
		l->n++;
	}
}

int ferry_seccomp_count_allowed(pid_t pid, char *why, size_t whylen)
{
	struct filter_list l = { NULL, 0 };
	int sig = 0, r;

	if (pid <= 0) {
		snprintf(why, whylen, "pid %d: not a process", (int)pid);
		return -EINVAL;
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
		r = -errno;
		snprintf(why, whylen, "pid %d: attaching: %s%s", (int)pid, strerror(-r), ptrace_hint(-r));
		return r;
	}
	/* GET_FILTER only works on a stopped tracee. */
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
		r = -errno;
	else
		r = sig = wait_stop(pid);
	if (r < 0)
		snprintf(why, whylen, "pid %d: stopping it: %s", (int)pid, strerror(-r));
	else
		r = fetch_filters(pid, &l, why, whylen);
	/* Detach even after a failure; on a process that is gone it fails harmlessly. */
	ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)(sig > 0 ? sig : 0));
	if (r == 0) {
		r = count_allowed(l.progs, l.n);
		if (r < 0)
			snprintf(why, whylen, "pid %d: its seccomp filter does not verify here", (int)pid);
	}
	filter_list_free(&l);
	return r;
}

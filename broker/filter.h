/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * filter.h - reading and counting a live process's seccomp filter.
 */
#ifndef FERRY_FILTER_H
#define FERRY_FILTER_H

#include <stddef.h>
#include <sys/types.h>

/*
 * ferry_bpf_count_allowed - run a classic-BPF seccomp program for every
 * x86_64 syscall number (all arguments 0, instruction pointer 0) and count
 * those it answers with SECCOMP_RET_ALLOW. Return the count, or -EINVAL
 * for a program that is malformed (bad jump, bad opcode, no return).
 */
struct sock_filter;
int ferry_bpf_count_allowed(const struct sock_filter *prog, size_t len);

/*
 * ferry_seccomp_count_allowed - read the seccomp filter of process @pid
 * through PTRACE_SECCOMP_GET_FILTER (needs CAP_SYS_ADMIN; the process is
 * stopped briefly and released) and count what it allows. With several
 * filters, a syscall counts when every filter allows it.
 * Return the count or -errno with @why set.
 */
int ferry_seccomp_count_allowed(pid_t pid, char *why, size_t whylen);

#endif

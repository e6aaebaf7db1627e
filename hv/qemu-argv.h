/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-argv.h - a domain definition as a QEMU command line: an argument
 * vector for execve(), never a shell string. The mapping is documented
 * element by element in docs/domain-xml.md.
 *
 * Every value that QEMU splits on commas is escaped (",," for ","); block
 * devices are given as JSON -blockdev, the only syntax in which a qcow2
 * image's backing chain can be switched off ("backing": null), and with an
 * explicit format so QEMU never probes one from guest-written bytes.
 */
#ifndef FERRY_QEMU_ARGV_H
#define FERRY_QEMU_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

#define FERRY_QEMU_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

struct ferry_qemu_launch {
	const char *emulator;	/* absolute; NULL means FERRY_QEMU_DEFAULT_EMULATOR */
	/*
	 * "kvm" or "tcg"; NULL follows the domain type (kvm -> kvm,
	 * qemu -> tcg). The caller may pick "tcg" for a kvm domain when
	 * ferry_qemu_kvm_usable() says no.
	 */
	const char *accel;
	/*
	 * QMP on an inherited fd: its number in the child, or -1 for QEMU
	 * to listen on private_dir/monitor.sock itself. Both kinds of fd
	 * work with QEMU 7.2, and they need different options: a listening
	 * socket given as a client hangs without a word, a connected one
	 * given as a server fails ("Failed to listen on fd socket").
	 *   qmp_connected false: @qmp_fd is a bound, listening AF_UNIX
	 *	socket; QEMU accepts on it (server=on,wait=off).
	 *   qmp_connected true: @qmp_fd is one end of a connected
	 *	socketpair; QEMU speaks on it as a client. Nothing on the
	 *	filesystem, no one else can connect, no connect() to race.
	 */
	int qmp_fd;
	bool qmp_connected;
	/* Absolute: the monitor socket fallback and relative serial log paths. */
	const char *private_dir;
	const char *incoming;	/* NULL, or the -incoming value ("defer") */
	/* With <graphics autoport='yes'>: the port the caller reserved. */
	int vnc_port;
};

/**
 * ferry_qemu_build_argv - the command line that starts @def paused (-S).
 * @argv_out: a NULL-terminated vector, argv[0] the emulator; free it with
 *	ferry_qemu_argv_free()
 * @err: on failure, why
 * Return 0, -EINVAL when @def does not validate or @launch does not fit
 * it, -ENOMEM.
 */
int ferry_qemu_build_argv(const struct ferry_domain_def *def,
			  const struct ferry_qemu_launch *launch, char ***argv_out,
			  char *err, size_t errlen);

void ferry_qemu_argv_free(char **argv);

/*
 * ferry_qemu_escape_opt - @value as one value in a QEMU "key=value,..."
 * option string: every ',' doubled. Returns a malloc'd string, or NULL
 * when out of memory.
 */
char *ferry_qemu_escape_opt(const char *value);

/* Whether /dev/kvm opens read-write and speaks KVM API version 12. */
bool ferry_qemu_kvm_usable(void);

#endif

#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the test guest with its own flags: none of the project's arguments
# (force-included config.h, fortify, sanitizers) may reach a freestanding
# kernel. Usage: build.sh OUTPUT WORKDIR SOURCE... (C, .S and one .ld)
set -eu

out=$1
work=$2
shift 2
cc=${GUEST_CC:-gcc}
objcopy=${GUEST_OBJCOPY:-objcopy}

# 64-bit code at 1 MiB. No red zone: faults are delivered on the running
# stack. No SSE: nothing in ring 0 enables it. No builtin memset patterns:
# lib.c's memset would call itself.
cflags="-m64 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=small
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-builtin
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables
	-fcf-protection=none -U_FORTIFY_SOURCE -Wall -Wextra -Wshadow
	-Wmissing-prototypes -Wstrict-prototypes"
ldflags="-m64 -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000
	-Wl,--build-id=none -Wl,-z,noexecstack"

mkdir -p "$work"
objs=
script=
for src in "$@"; do
	case $src in
	*.ld)
		script=$src
		continue
		;;
	*.c | *.S)
		obj=$work/$(basename "$src").o
		# shellcheck disable=SC2086
		$cc $cflags -c -o "$obj" "$src"
		objs="$objs $obj"
		;;
	*) ;;
	esac
done
[ -n "$script" ] || { echo "build.sh: no linker script given" >&2; exit 1; }

# shellcheck disable=SC2086
$cc $ldflags -Wl,-T,"$script" -o "$work/ferry-guest64.elf" $objs
# QEMU's multiboot loader takes ELF32 only; the code stays 64-bit.
$objcopy -O elf32-i386 "$work/ferry-guest64.elf" "$out.tmp"

# The loader looks for the header in the first 8 KiB of the file.
if ! od -An -tx4 -v -N 8192 "$out.tmp" | grep -qw 1badb002; then
	echo "build.sh: multiboot header not in the first 8 KiB of $out" >&2
	rm -f "$out.tmp"
	exit 1
fi
mv "$out.tmp" "$out"

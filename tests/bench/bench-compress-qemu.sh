#!/usr/bin/env bash
# ferry-compress against gzip -1 and pigz -1 on QEMU's own migration
# streams: the test guest in a 1 GiB VM whose RAM is zero (the guest
# touches 16 MiB of it), 30 % random, and all random, each saved by QEMU
# itself to a file (tests/bench/qemu-direct.py save), then fed to
# bench-compress --files.
# Usage: bench-compress-qemu.sh BENCH_COMPRESS GUEST [ROUNDS]
set -euo pipefail
BENCH=$1 GUEST=$2 ROUNDS=${3:-2}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
QBOOT=/usr/share/qemu/qboot.rom
T=$(mktemp -d /tmp/ferry-bc-XXXXXX)
trap 'rm -rf "$T"' EXIT
here=$(dirname "$0")
files=()
for knobs in "mem=16 random=0 dirty=0" "mem=1000 random=30 dirty=0" "mem=1000 random=100 dirty=0"; do
	d=$T/$((${#files[@]}))
	mkdir -p "$d"
	python3 "$here/qemu-direct.py" save "$d" "$GUEST" "$QBOOT" 1024 "$knobs" "$d/stream" >/dev/null
	echo "QEMU stream for '$knobs': $(( $(stat -c %s "$d/stream") >> 20 )) MiB"
	files+=("$d/stream")
done
"$BENCH" --files "${files[@]}" "$ROUNDS"

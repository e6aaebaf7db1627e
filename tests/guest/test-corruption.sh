#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-detects-corruption: proves the checker can fail, on the two ways a
# broken migration damages memory. Guest RAM is a shared file, changed from
# outside the VM while the guest runs:
#   flip   one byte of a page outside the working set: bad content
#   stale  a page inside the working set and its generation table entry,
#          put back as they were before the guest dirtied the page: a lost
#          update whose page and table agree, caught only because the
#          expected generation also follows from the guest's dirty counter
# The guest must name both pages and keep reporting memory=CORRUPT.
# Usage: test-corruption.sh GUEST_IMAGE
set -uo pipefail
. "$(dirname "$0")/guest-lib.sh"

kernel=$1
ram=128
# wss below mem, so the flipped page is never rewritten; 20 MB/s over
# 32 MiB dirties each working-set page every 1.6 s
knobs="mem=64 wss=32 random=50 dirty=20"
magic=50475246		# PAGE_MAGIC in pattern.c
flip=3000		# byte within the page: in the filler at random=50
stale=1234		# a page index in the working set

if ! guest_have_qemu; then
	echo "SKIP: $GUEST_QEMU is not installed"
	exit 77
fi
guest_pick_accel
echo "guest-detects-corruption: accel=$GUEST_ACCEL knobs='$knobs'"

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/ferry-guest.XXXXXX")
log=$dir/serial.log
mem=$dir/ram
trap 'kill -CONT "$GUEST_PID" 2>/dev/null; guest_stop; rm -rf "$dir"' EXIT

fail() {
	echo "FAIL: $*"
	echo "--- serial log"
	tr -d '\r' <"$log"
	exit 1
}

# Below 2 GiB, a q35 guest's physical address is the offset in its RAM file.
peek() {		# OFFSET BYTES FORMAT
	od -An -t"$3" -j "$1" -N "$2" "$mem" | tr -d ' '
}

copy() {		# FROM TO OFFSET BYTES
	if [ "$1" = "$mem" ]; then
		dd if="$1" of="$2" bs="$4" skip=$(($3 / $4)) count=1 status=none
	else
		dd if="$1" of="$2" bs="$4" seek=$(($3 / $4)) count=1 \
			conv=notrunc status=none
	fi || fail "cannot copy $4 bytes at $3"
}

GUEST_MACHINE_OPTS=memory-backend=ram
guest_start "$kernel" "$ram" "$log" "$knobs" \
	-object "memory-backend-file,id=ram,size=${ram}M,mem-path=$mem,share=on"
guest_wait "$log" '^ferry-guest: heartbeat .* memory=intact$' 2 20 ||
	fail "no 2 intact heartbeats within 20 s"

layout=$(guest_lines "$log" | grep '^ferry-guest: layout ')
table=$(guest_field "$layout" table)
pages=$(guest_field "$layout" pages)
count=$(guest_field "$layout" count)
wss=$(guest_field "$layout" wss_count)
[[ $table =~ ^0x[0-9a-f]+$ && $pages =~ ^0x[0-9a-f]+$ &&
	$count =~ ^[0-9]+$ && $wss =~ ^[0-9]+$ ]] ||
	fail "unparsable layout line: $layout"
flipped=$((count - 7))
if [ "$flipped" -lt "$wss" ] || [ "$stale" -ge "$wss" ]; then
	fail "layout does not fit the test: $layout"
fi
page_off=$((pages + stale * 4096))
gen_off=$((table + stale * 4))

# The snapshot is taken with QEMU stopped, so that it is not torn.
kill -STOP "$GUEST_PID"
copy "$mem" "$dir/page" "$page_off" 4096
copy "$mem" "$dir/gen" "$gen_off" 4
kill -CONT "$GUEST_PID"
old_gen=$(peek "$gen_off" 4 u4)
echo "saved page $stale at generation $old_gen"

# A page's header names it: check that before touching anything.
offset=$((pages + flipped * 4096))
header=$(peek "$offset" 8 x8)
[ "$header" = "$(printf '%08x%s' "$flipped" "$magic")" ] ||
	fail "page $flipped not found at $offset (header '$header')"
at=$((offset + flip))
byte=$(peek "$at" 1 u1)
printf '%b' "$(printf '\\0%03o' $((byte ^ 0xff)))" |
	dd of="$mem" bs=1 seek="$at" count=1 conv=notrunc status=none ||
	fail "cannot write $mem"
echo "flipped byte $flip of page $flipped: $byte -> $((byte ^ 0xff))"

end=$((SECONDS + 10))
while [ "$(peek "$gen_off" 4 u4)" = "$old_gen" ]; do
	[ "$SECONDS" -lt "$end" ] || fail "page $stale was not dirtied in 10 s"
	sleep 0.2
done
kill -STOP "$GUEST_PID"
echo "page $stale now at generation $(peek "$gen_off" 4 u4): putting back $old_gen"
copy "$dir/page" "$mem" "$page_off" 4096
copy "$dir/gen" "$mem" "$gen_off" 4
kill -CONT "$GUEST_PID"

guest_wait "$log" '^ferry-guest: heartbeat .* memory=CORRUPT bad_pages=2 ' 2 10 ||
	fail "no 2 heartbeats with both pages bad within 10 s"
guest_stop
lines=$(guest_lines "$log")
echo "$lines"

grep -q "^ferry-guest: bad page=$flipped .* bad_word=$((flip / 8))\$" <<<"$lines" ||
	fail "no bad page line naming page $flipped word $((flip / 8))"
grep -q "^ferry-guest: bad page=$stale .* gen=$old_gen .* bad_word=none\$" <<<"$lines" ||
	fail "no bad page line naming page $stale at generation $old_gen"
first=$(grep -m1 -n 'memory=CORRUPT' <<<"$lines" | cut -d: -f1)
! tail -n +"$first" <<<"$lines" | grep -q 'memory=intact' ||
	fail "memory=intact after memory=CORRUPT"
while read -r beat; do
	[ "$(guest_field "$beat" first_bad)" = "$flipped" ] ||
		fail "first_bad is not page $flipped: $beat"
done < <(grep 'memory=CORRUPT' <<<"$lines")
echo "PASS: flipped page $flipped and stale page $stale found, reported until the end"

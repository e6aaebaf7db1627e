#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-boot: the test guest boots, fills 64 MiB, dirties it at 20 MB/s and
# reports once a second that its memory is intact.
# Usage: test-boot.sh GUEST_IMAGE
set -uo pipefail
. "$(dirname "$0")/guest-lib.sh"

kernel=$1
knobs="mem=64 random=50 dirty=20"
heartbeats=3

if ! guest_have_qemu; then
	echo "SKIP: $GUEST_QEMU is not installed"
	exit 77
fi
guest_pick_accel
echo "guest-boot: accel=$GUEST_ACCEL knobs='$knobs'"

log=$(mktemp)
trap 'guest_stop; rm -f "$log"' EXIT

fail() {
	echo "FAIL: $*"
	echo "--- serial log"
	tr -d '\r' <"$log"
	exit 1
}

guest_start "$kernel" 128 "$log" "$knobs"
guest_wait "$log" '^ferry-guest: heartbeat ' "$heartbeats" 20 ||
	fail "no $heartbeats heartbeats within 20 s"
guest_stop
lines=$(guest_lines "$log")
echo "$lines"

grep -q '^ferry-guest: start mem=64M random=50% dirty=20MB/s wss=64M mode=ring3-long$' \
	<<<"$lines" || fail "no start line with the knobs given"
! grep -qE 'CORRUPT|bad page|fault|fatal|warning' <<<"$lines" ||
	fail "the guest reported a problem"

mapfile -t beats < <(grep '^ferry-guest: heartbeat ' <<<"$lines")
[ "${#beats[@]}" -ge 2 ] || fail "fewer than 2 heartbeats"
prev_seq=0
prev_dirtied=-1
for beat in "${beats[@]}"; do
	seq=$(guest_field "$beat" seq)
	dirtied=$(guest_field "$beat" dirtied)
	dirtied=${dirtied%MB}
	[ "$(guest_field "$beat" memory)" = intact ] || fail "not intact: $beat"
	[[ $seq =~ ^[0-9]+$ && $dirtied =~ ^[0-9]+$ ]] || fail "unparsable: $beat"
	[ "$seq" -gt "$prev_seq" ] || fail "seq does not increase: $beat"
	[ "$dirtied" -gt "$prev_dirtied" ] || fail "dirtied does not increase: $beat"
	prev_seq=$seq
	prev_dirtied=$dirtied
done
echo "PASS: ${#beats[@]} heartbeats, memory intact, seq and dirtied increasing"

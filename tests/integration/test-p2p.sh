#!/usr/bin/env bash
# Peer-to-peer migration between two brokers on this machine: ferryctl
# calls Perform on the source alone and the source broker drives the
# destination broker. Native and tunnelled data paths, the fallback to a
# v2-only peer, and the failures of the tunnel: cancel, a tunnel helper
# killed on either side, the data connection cut. The guest must say its
# memory is intact on the destination after every successful run.
# Usage: test-p2p.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"

start_broker src
start_broker dst "migration_ports = 49232-49247"
start_broker v2only "migration_ports = 49248-49263" "migration_protocols = 2"
SRC="unix://$T/src/run/ferry-sock" DST="unix://$T/dst/run/ferry-sock" V2="unix://$T/v2only/run/ferry-sock"
# intact URI NAME: the guest runs there and says its memory is intact.
intact() {
	local serial=$T/$2.dst.serial
	[ "$(state "$1" "$2")" = running ] || fail "$2 is not running on $1"
	gone "$SRC" "$2" || fail "$2 still runs on the source"
	wait_for 30 "$2's heartbeats on the destination" grep -q 'ferry-guest: heartbeat' "$serial"
	sleep 2
	last=$(last_heartbeat "$serial")
	echo "$last" | grep -q 'memory=intact' || fail "$2's memory after migration: $last"
}

# --- p2p, native data path ---------------------------------------------------
boot native "mem=256 random=50 dirty=20" 320
out=$(src migrate --p2p --live --xml "$T/native.dst.xml" native "$DST" 2>&1) ||
	fail "p2p native migration: $out"
intact "$DST" native
echo "$out" | grep -q "protocol v3" || fail "p2p summary: $out"
ok "p2p native: $(echo "$out" | tr -s ' \n' ' ')"
ok "on the destination: $last"
grep -q "p2p migration to $DST" "$T/src/ferryd.log" || fail "the source broker did not drive it"
dst destroy native >/dev/null

# --- p2p against a v2-only peer ---------------------------------------------------
boot old "mem=64 random=50 dirty=4" 128
out=$(src migrate --p2p --live --xml "$T/old.dst.xml" old "$V2" 2>&1) || fail "p2p to a v2 peer: $out"
intact "$V2" old
echo "$out" | grep -q "protocol v2" || fail "p2p v2 summary: $out"
grep -q "speaks migration protocol 2 only: falling back" "$T/src/ferryd.log" || fail "no fallback logged"
ok "p2p falls back to v2 and ends the source: $(echo "$out" | head -n1)"
"$FERRYCTL" -c "$V2" destroy old >/dev/null

# --- refusals ------------------------------------------------------------------------
boot refuse "mem=32 random=0 dirty=0" 64
out=$(src migrate --tunnelled refuse "$DST" 2>&1) && fail "--tunnelled without --p2p accepted"
echo "$out" | grep -q -- "--tunnelled needs --p2p" || fail "ferryctl's refusal: $out"
out=$(api "$SRC" '{"execute":"migrate-perform","arguments":{"name":"refuse","flags":["tunnelled"],"dconnuri":"'"$DST"'"}}')
echo "$out" | grep -q "tunnelled migration needs p2p" || fail "the broker's refusal: $out"
ok "tunnelled without p2p refused by ferryctl and by the broker"
out=$(src migrate --p2p refuse "unix://$T/nowhere/sock" 2>&1) && fail "p2p to nowhere succeeded"
echo "$out" | grep -q "cannot reach the destination broker" || fail "unreachable peer: $out"
[ "$(state "$SRC" refuse)" = running ] || fail "source not running after an unreachable peer"
ok "unreachable peer: $out"
src destroy refuse >/dev/null

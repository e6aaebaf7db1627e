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
# tunnel-attach: only the token Prepare gave opens a stream, each index once.
out=$(python3 - "$SRC" "$DST" refuse <<'PY'
import json, re, socket, sys
def conn(uri):
    s = socket.socket(socket.AF_UNIX); s.connect(uri[len("unix://"):])
    f = s.makefile("rw"); f.readline(); return s, f
def call(c, cmd, args):
    c[1].write(json.dumps({"execute": cmd, "arguments": args}) + "\n"); c[1].flush()
    while True:
        r = json.loads(c[1].readline())
        if "event" not in r:
            return r
src, dst, name = sys.argv[1:4]
s1 = conn(src)
b = call(s1, "migrate-begin", {"name": name, "flags": ["live"]})["return"]
s2 = conn(dst)
p = call(s2, "migrate-prepare", {"xml": b["xml"], "cookie": b["cookie"], "flags": ["live", "tunnelled"]})
token = re.search(r"<token>([0-9a-f]{64})</token>", p["return"]["cookie"]).group(1)
def attach(tok, stream):
    r = call(conn(dst), "tunnel-attach", {"name": name, "token": tok, "stream": stream})
    return "ok" if "return" in r else r["error"]["class"] + ": " + r["error"]["desc"]
print("wrong token:", attach("0" * 64, 0))
print("stream 1 of 1:", attach(token, 1))
print("first:", attach(token, 0))
print("again:", attach(token, 0))
PY
) || fail "tunnel-attach checks: $out"
echo "$out" | grep -q "wrong token: PermissionDenied" || fail "a wrong token was not refused: $out"
echo "$out" | grep -q "stream 1 of 1: InvalidArgument" || fail "a stream out of range: $out"
echo "$out" | grep -q "first: ok" || fail "the right token was refused: $out"
echo "$out" | grep -q "again: InvalidArgument.*attached already" || fail "a stream attached twice: $out"
ok "tunnel-attach: $(echo "$out" | tr '\n' ';')"
wait_for 20 "the prepared VM to be destroyed" gone "$DST" refuse
running_on "$SRC" refuse || fail "the source stopped running"
src destroy refuse >/dev/null

# --- p2p, tunnelled over unix ------------------------------------------------------
boot tun "mem=512 random=100 dirty=50" 600
out=$(src migrate --p2p --tunnelled --live --verbose --xml "$T/tun.dst.xml" tun "$DST" 2>"$T/tun.progress") ||
	fail "tunnelled migration: $out $(cat "$T/tun.progress")"
intact "$DST" tun
grep -q "1 tunnelled stream attached to $DST" "$T/src/ferryd.log" || fail "no tunnel on the source"
grep -q "1 tunnelled stream connected to QEMU" "$T/dst/ferryd.log" || fail "no tunnel on the destination"
grep -q "migrating to unix:" "$T/src/ferryd.log" || fail "QEMU was not given its private socket"
ok "p2p tunnelled over unix: $(echo "$out" | tr -s ' \n' ' ')"
ok "on the destination: $last"
dst destroy tun >/dev/null

# tunnel_pid BROKER: the ferry-tunnel helper of that broker.
tunnel_pid() { pgrep -P "$(pgrep -f "$T/$1/ferryd.conf" | head -n1)" -x ferry-tunnel | head -n1; }
# tunnel_rate DOMAIN SECONDS: MiB/s through the source's tunnel, from
# domjobinfo's tunnel_bytes read every 0.2 s and fitted to a line: the
# helper reports four times a second, so one reading may be 250 ms stale.
tunnel_rate() {
	python3 - "$FERRYCTL" "$SRC" "$1" "$2" <<'PY'
import json, subprocess, sys, time
ctl, uri, name, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
pts, end = [], time.monotonic() + secs
while time.monotonic() < end:
    out = subprocess.run([ctl, "-c", uri, "--json", "domjobinfo", name], capture_output=True, text=True)
    pts.append((time.monotonic(), json.loads(out.stdout)["tunnel_bytes"]))
    time.sleep(0.2)
n = len(pts)
mt, mb = sum(p[0] for p in pts) / n, sum(p[1] for p in pts) / n
slope = sum((t - mt) * (b - mb) for t, b in pts) / sum((t - mt) ** 2 for t, _ in pts)
print(round(slope / 1048576, 1))
PY
}

# start_slow NAME: a tunnelled migration capped at 30 MiB/s, in the background.
start_slow() {
	src migrate --p2p --tunnelled --live --bandwidth 30 --xml "$T/$1.dst.xml" "$1" "$DST" \
		>"$T/$1.out" 2>&1 &
	mig=$!
	wait_for 30 "the tunnelled migration to run" sh -c \
		"'$FERRYCTL' -c '$SRC' --json domjobinfo $1 | grep -q tunnel_bytes"
}
# failed_cleanly NAME WHAT PATTERN: the migration failed naming PATTERN; the source runs.
failed_cleanly() {
	wait "$mig" && fail "$2: the migration succeeded"
	grep -q -- "$3" "$T/$1.out" || fail "$2: error does not name '$3': $(cat "$T/$1.out")"
	wait_for 20 "the source to run again" running_on "$SRC" "$1"
	wait_for 20 "the destination to be gone" gone "$DST" "$1"
	h=$(heartbeats "$T/$1.serial")
	wait_for 10 "heartbeats on the source" more_heartbeats "$T/$1.serial" "$h"
	ok "$2: source runs on: $(cat "$T/$1.out")"
}

# --- bandwidth cap, then cancel mid-tunnel ------------------------------------------
boot capped "mem=512 random=100 dirty=50" 600
start_slow capped
sleep 1
rate=$(tunnel_rate capped 4)
python3 -c "import sys; sys.exit(0 if abs($rate - 30) <= 3 else 1)" ||
	fail "tunnel at $rate MiB/s under a 30 MiB/s cap"
ok "bandwidth cap 30 MiB/s: the tunnel moved $rate MiB/s"
src migrate-setspeed capped 60 || fail "migrate-setspeed on a tunnel"
sleep 1
rate=$(tunnel_rate capped 4)
python3 -c "import sys; sys.exit(0 if abs($rate - 60) <= 6 else 1)" ||
	fail "tunnel at $rate MiB/s after migrate-setspeed 60"
ok "migrate-setspeed 60 mid-migration: the tunnel moved $rate MiB/s"
info=$(src domjobinfo capped)
echo "$info" | grep -q "Tunnel bytes" || fail "domjobinfo shows no tunnel bytes: $info"
src domjobabort capped || fail "domjobabort of a tunnelled migration"
failed_cleanly capped "cancel mid-tunnel" "cancelled"

# --- ferry-tunnel killed on the source, then on the destination ---------------------
for side in src dst; do
	start_slow capped
	pid=$(tunnel_pid $side)
	[ -n "$pid" ] || fail "no ferry-tunnel under the $side broker"
	kill -9 "$pid"
	if [ $side = src ]; then
		failed_cleanly capped "ferry-tunnel killed on the source" "ferry-tunnel (pid $pid) killed by signal 9"
	else
		failed_cleanly capped "ferry-tunnel killed on the destination" "ferry-tunnel (pid $pid) killed by signal 9"
	fi
done
src destroy capped >/dev/null

# --- tunnelled, parallel: every multifd channel through its own stream -----------
boot par "mem=512 random=100 dirty=20" 600
out=$(src migrate --p2p --tunnelled --parallel 2 --live --xml "$T/par.dst.xml" par "$DST" 2>&1) ||
	fail "tunnelled --parallel 2: $out"
intact "$DST" par
grep -q "3 tunnelled streams attached" "$T/src/ferryd.log" || fail "not 3 streams on the source"
grep -q "3 tunnelled streams connected to QEMU" "$T/dst/ferryd.log" || fail "not 3 streams on the destination"
ok "tunnelled --parallel 2 (main + 2 multifd streams): $(echo "$out" | tr -s ' \n' ' ')"
dst destroy par >/dev/null

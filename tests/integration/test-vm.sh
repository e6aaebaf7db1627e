#!/usr/bin/env bash
# A real VM under ferryd: define, start, watch the guest's heartbeat, suspend,
# resume, destroy; QEMU killed from outside; what the read-only socket may do.
# Usage: test-vm.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"

start_ferryd
serial="$T/g1.serial"
guest_xml g1 "$serial" > "$T/g1.xml"

ctl define "$T/g1.xml" >/dev/null || fail "define"
[ "$(ctl --json domstate g1 | json_field state)" = shutoff ] || fail "a defined domain is shut off"
ok "define"

ctl start g1 || fail "start"
info=$(ctl --json dominfo g1)
[ "$(echo "$info" | json_field state)" = running ] || fail "state after start: $info"
qpid=$(echo "$info" | json_field qemu_pid)
mpid=$(echo "$info" | json_field monitor_pid)
accel=$(echo "$info" | json_field accel)
[ "$(echo "$info" | json_field memory_kib)" = 131072 ] || fail "memory in dominfo: $info"
kill -0 "$qpid" 2>/dev/null || fail "QEMU pid $qpid from dominfo is not running"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$mpid/status" || fail "monitor helper $mpid is not under seccomp"
grep -q 'qemu-system' "/proc/$qpid/cmdline" || fail "pid $qpid is not QEMU"
ok "start: QEMU pid $qpid ($accel), ferry-monitor pid $mpid under seccomp"

wait_for 30 "the guest's first heartbeat" grep -q 'ferry-guest: heartbeat' "$serial"
grep -q 'memory=intact' "$serial" || fail "guest memory not intact: $(tail -n1 "$serial")"
ok "heartbeat: $(grep 'ferry-guest: heartbeat' "$serial" | tail -n1)"

ctl suspend g1 || fail "suspend"
[ "$(ctl --json domstate g1 | json_field state)" = paused ] || fail "state after suspend"
sleep 0.5
before=$(heartbeats "$serial")
sleep 2.5
[ "$(heartbeats "$serial")" = "$before" ] || fail "heartbeats went on while suspended"
ok "suspend stops the heartbeat ($before)"

ctl resume g1 || fail "resume"
[ "$(ctl --json domstate g1 | json_field state)" = running ] || fail "state after resume"
wait_for 10 "a heartbeat after resume" more_heartbeats "$serial" "$before"
ok "resume restarts it"

# The read-only socket answers queries and refuses changes.
"$FERRYCTL" -c "$RO_URI" list >/dev/null || fail "list on the read-only socket"
out=$("$FERRYCTL" -c "$RO_URI" destroy g1 2>&1) && fail "destroy on the read-only socket succeeded"
echo "$out" | grep -q PermissionDenied || fail "read-only refusal does not say why: $out"
[ "$(ctl --json domstate g1 | json_field state)" = running ] || fail "the domain did not survive"
ok "read-only socket: $out"

ctl destroy g1 || fail "destroy"
st=$(ctl --json domstate g1)
[ "$(echo "$st" | json_field state)/$(echo "$st" | json_field reason)" = shutoff/destroyed ] ||
	fail "after destroy: $st"
kill -0 "$qpid" 2>/dev/null && fail "QEMU $qpid still runs after destroy"
ok "destroy"

# QEMU killed behind the broker's back: noticed at once, shut off (crashed).
ctl start g1 || fail "second start"
qpid=$(ctl --json dominfo g1 | json_field qemu_pid)
kill -9 "$qpid"
wait_for 5 "shutoff after kill -9" sh -c "'$FERRYCTL' -c '$URI' --json domstate g1 | grep -q crashed"
ok "QEMU killed from outside: shut off (crashed)"

# The monitor helper dies under a running QEMU: the domain says so and can still be destroyed.
ctl start g1 || fail "third start"
mpid=$(ctl --json dominfo g1 | json_field monitor_pid)
kill -9 "$mpid"
wait_for 5 "monitor reported broken" sh -c "'$FERRYCTL' -c '$URI' --json dominfo g1 | grep -q 'broken: ferry-monitor (pid $mpid) killed by signal 9'"
[ "$(ctl --json domstate g1 | json_field state)" = running ] || fail "QEMU should run on without its monitor"
out=$(ctl suspend g1 2>&1) && fail "suspend without a monitor succeeded"
echo "$out" | grep -q "broken" || fail "refusal does not name the broken monitor: $out"
ctl destroy g1 || fail "destroy with a broken monitor"
ok "monitor helper killed: $(echo "$out" | sed 's/^ferryctl: error: //')"

# A user the configuration does not name is refused, with the reason.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$FERRYCTL" -c "$URI" list 2>&1) &&
		fail "uid 65534 was let in"
	echo "$out" | grep -q "PermissionDenied.*uid 65534" || fail "refusal does not say why: $out"
	grep -q "refused client" "$T/ferryd.log" || fail "the refusal was not logged"
	ok "unauthorized client: $out"
else
	echo "SKIP (part): the unauthorized-client check needs root and setpriv"
fi

# The broker restarts under a running guest: QEMU runs on, and the new broker takes charge.
ctl start g1 || fail "start before the restart"
qpid=$(ctl --json dominfo g1 | json_field qemu_pid)
kill "$FERRYD_PID"
wait "$FERRYD_PID"
kill -0 "$qpid" 2>/dev/null || fail "QEMU $qpid did not outlive its broker"
"$FERRYD" --config "$T/ferryd.conf" 2>>"$T/ferryd.log" &
FERRYD_PID=$!
wait_for 10 "the restarted broker" test -S "$T/run/ferry-sock"
wait_for 10 "the guest found again" sh -c "'$FERRYCTL' -c '$URI' --json dominfo g1 | grep -q '\"monitor\": \"ok\"'"
info=$(ctl --json dominfo g1)
[ "$(echo "$info" | json_field qemu_pid)" = "$qpid" ] || fail "another QEMU after the restart: $info"
[ "$(echo "$info" | json_field state)" = running ] || fail "state after the restart: $info"
ctl suspend g1 && ctl resume g1 || fail "the monitor does not work after the restart"
before=$(heartbeats "$serial")
wait_for 10 "heartbeats after the restart" more_heartbeats "$serial" "$before"
ctl destroy g1 || fail "destroy after the restart"
[ "$(ctl --json domstate g1 | json_field state)" = shutoff ] || fail "not shut off after destroy"
# No longer our child: whoever inherited it reaps it, a moment later.
wait_for 5 "QEMU $qpid to be gone" sh -c "! kill -0 $qpid 2>/dev/null"
ok "broker restarted: QEMU $qpid ran on and was taken in charge again"

# QEMU dies while no broker watches: the restarted broker says crashed.
ctl start g1 || fail "start before the second restart"
qpid=$(ctl --json dominfo g1 | json_field qemu_pid)
kill "$FERRYD_PID"
wait "$FERRYD_PID"
kill -9 "$qpid"
"$FERRYD" --config "$T/ferryd.conf" 2>>"$T/ferryd.log" &
FERRYD_PID=$!
wait_for 10 "the restarted broker" test -S "$T/run/ferry-sock"
st=$(ctl --json domstate g1)
[ "$(echo "$st" | json_field state)/$(echo "$st" | json_field reason)" = shutoff/crashed ] ||
	fail "a QEMU that died while the broker was down: $st"
ok "QEMU died while the broker was down: shut off (crashed)"

ctl undefine g1 || fail "undefine"
ctl list --all | grep -q g1 && fail "g1 still listed after undefine"
ok "undefine"
echo "all passed"

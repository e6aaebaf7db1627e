#!/usr/bin/env bash
# Live migration between two brokers on this machine, driven by ferryctl:
# the guest must say its memory is intact on the destination. Then the
# failures: cancel, destination killed, driving client killed, refusals,
# and the fallback to protocol v2.
# Usage: test-migrate.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"
eval "_$(declare -f guest_xml)"

start_broker src
start_broker dst "migration_ports = 49200-49215"
start_broker v2only "migration_ports = 49216-49231" "migration_protocols = 2"
SRC="unix://$T/src/run/ferry-sock" DST="unix://$T/dst/run/ferry-sock" V2="unix://$T/v2only/run/ferry-sock"
# --- 1 GiB guest dirtying 100 MB/s, live -------------------------------------
boot big "mem=1024 random=50 dirty=100" 1100
out=$(src migrate --live --verbose --xml "$T/big.dst.xml" big "$DST" 2>"$T/progress") ||
	fail "live migration: $out $(cat "$T/progress")"
grep -q 'Migration: \[' "$T/progress" || fail "no progress bar: $(cat "$T/progress")"
echo "$out" | grep -q "Downtime:" || fail "no summary: $out"
[ "$(state "$DST" big)" = running ] || fail "destination not running"
gone "$SRC" big || fail "source still runs"
wait_for 30 "heartbeats on the destination" grep -q 'ferry-guest: heartbeat' "$T/big.dst.serial"
sleep 2
last=$(last_heartbeat "$T/big.dst.serial")
echo "$last" | grep -q 'memory=intact' || fail "guest memory after migration: $last"
ok "1 GiB guest dirtying 100 MB/s migrated live: $(echo "$out" | tr '\n' ' ')"
ok "on the destination: $last"
info=$(src domjobinfo --completed big) || fail "domjobinfo --completed"
echo "$info" | grep -q "Downtime (ms)" || fail "completed job info: $info"
ok "domjobinfo --completed on the source: $(echo "$info" | grep -E 'Downtime|Total time' | tr -s ' ' | tr '\n' ';')"
dst destroy big >/dev/null

# --- non-live, --suspend, with a VNC display --------------------------------------
vnc="<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"
guest_xml() { _guest_xml "$@" | sed "s|</devices>|  $vnc\n  </devices>|"; }
boot cold "mem=64 random=50 dirty=4" 128
guest_xml() { _guest_xml "$@"; }
src migrate --suspend --xml "$T/cold.dst.xml" cold "$DST" >/dev/null || fail "non-live migration"
[ "$(state "$DST" cold)" = paused ] || fail "--suspend: destination is $(state "$DST" cold)"
dst resume cold || fail "resume on the destination"
wait_for 20 "a heartbeat after resume" grep -q 'ferry-guest: heartbeat' "$T/cold.dst.serial"
ok "non-live migration with --suspend: destination paused until resumed"
grep -q "graphics relocation: VNC clients should reconnect to 127.0.0.1 port 59" "$T/src/ferryd.log" ||
	fail "no VNC relocation data reached the source"
ok "graphics: $(grep -o 'graphics relocation: .*' "$T/src/ferryd.log" | head -n1)"
dst destroy cold >/dev/null

# --- cancel mid-migration ------------------------------------------------------
boot slow "mem=512 random=100 dirty=50" 600
src migrate --live --bandwidth 20 slow "$DST" >"$T/cancel.out" 2>&1 &
mig=$!
wait_for 20 "the migration to run" sh -c "'$FERRYCTL' -c '$SRC' --json domjobinfo slow | grep -q '\"active\"'"
info=$(src domjobinfo slow) || fail "domjobinfo during the migration"
echo "$info" | grep -q "migration-out" || fail "job info during the migration: $info"
src migrate-setspeed slow 25 || fail "migrate-setspeed during the migration"
out=$(src start slow 2>&1) && fail "start accepted during a migration"
echo "$out" | grep -q "busy with job migration-out (phase perform3)" || fail "busy refusal: $out"
ok "during the migration: domjobinfo, migrate-setspeed; other commands refused: $out"
src domjobabort slow || fail "domjobabort"
wait "$mig" && fail "a cancelled migration succeeded"
grep -qi cancel "$T/cancel.out" || fail "error does not say cancelled: $(cat "$T/cancel.out")"
[ "$(state "$SRC" slow)" = running ] || fail "source not running after cancel"
wait_for 10 "destination gone" gone "$DST" slow
ok "cancelled: $(cat "$T/cancel.out")"

# --- destination QEMU killed mid-migration -----------------------------------
src migrate --live --bandwidth 20 slow "$DST" >"$T/kill.out" 2>&1 &
mig=$!
wait_for 20 "the migration to run" sh -c "'$FERRYCTL' -c '$SRC' --json domjobinfo slow | grep -q '\"active\"'"
kill -9 "$("$FERRYCTL" -c "$DST" --json dominfo slow | json_field qemu_pid)"
wait "$mig" && fail "a migration to a killed destination succeeded"
[ "$(state "$SRC" slow)" = running ] || fail "source not running after the destination died"
ok "destination killed: $(cat "$T/kill.out")"

# --- driving client killed after Prepare: autodestroy ----------------------------
"$FERRYCTL" -c "$SRC" migrate --live --bandwidth 20 slow "$DST" >/dev/null 2>&1 &
mig=$!
wait_for 20 "the migration to run" sh -c "'$FERRYCTL' -c '$SRC' --json domjobinfo slow | grep -q '\"active\"'"
[ "$(state "$DST" slow)" = paused ] || fail "no incoming VM on the destination"
kill -9 "$mig"
wait "$mig" 2>/dev/null
wait_for 10 "autodestroy on the destination" gone "$DST" slow
wait_for 20 "the source to run on" sh -c "[ \"\$('$FERRYCTL' -c '$SRC' --json domjobinfo slow | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"type\"])')\" = none ]"
[ "$(state "$SRC" slow)" = running ] || fail "source not running after its client died"
grep -q "prepared it is gone" "$T/dst/ferryd.log" || fail "autodestroy not logged"
ok "driving client killed: incoming VM destroyed, source runs on"
src destroy slow >/dev/null

# --- refusals -----------------------------------------------------------------
boot small "mem=32 random=50 dirty=2" 64
out=$(src migrate small "$SRC" 2>&1) && fail "migration to the same host succeeded"
echo "$out" | grep -q "same host" || fail "same-host refusal: $out"
ok "same host: $out"

sed 's|<vcpu>1</vcpu>|<vcpu>2</vcpu>|' "$T/small.dst.xml" > "$T/small.bad.xml"
out=$(src migrate --xml "$T/small.bad.xml" small "$DST" 2>&1) && fail "ABI mismatch accepted"
echo "$out" | grep -q "source has 1, destination has 2" || fail "ABI refusal: $out"
ok "ABI mismatch: $out"

out=$(api "$SRC" '{"execute":"migrate-begin","arguments":{"name":"small","flags":["live","bogus"]}}')
echo "$out" | grep -q "unknown migration flag 'bogus'" || fail "unknown flag: $out"
ok "unknown flag: $out"

begin=$(api "$SRC" '{"execute":"migrate-begin","arguments":{"name":"small"}}')
cookie_big=$(python3 -c 'print("<ferry-migration>" + " " * 17000 + "</ferry-migration>")')
out=$(api "$DST" "$(python3 -c 'import json,sys; b=json.loads(sys.argv[1])["return"]; print(json.dumps({"execute":"migrate-prepare","arguments":{"xml":b["xml"],"cookie":sys.argv[2]}}))' "$begin" "$cookie_big")")
echo "$out" | grep -q "16384" || fail "oversized cookie: $out"
ok "oversized cookie: $(echo "$out" | cut -c1-160)"
mandatory=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1])["return"]["cookie"]; print(c.replace("</ferry-migration>", "<feature name=\"teleport\" mandatory=\"yes\"/></ferry-migration>"))' "$begin")
out=$(api "$DST" "$(python3 -c 'import json,sys; b=json.loads(sys.argv[1])["return"]; print(json.dumps({"execute":"migrate-prepare","arguments":{"xml":b["xml"],"cookie":sys.argv[2]}}))' "$begin" "$mandatory")")
echo "$out" | grep -q "teleport" || fail "unknown mandatory feature: $out"
ok "unknown mandatory feature: $(echo "$out" | cut -c1-160)"
api "$SRC" '{"execute":"migrate-confirm","arguments":{"name":"small","cancelled":true}}' >/dev/null
[ "$(state "$SRC" small)" = running ] || fail "source not running after the refusals"

# --- v2 fallback -------------------------------------------------------------
out=$(src migrate --live --xml "$T/small.dst.xml" small "$V2" 2>&1) || fail "v2 migration: $out"
echo "$out" | grep -q "protocol v2" || fail "not v2: $out"
[ "$("$FERRYCTL" -c "$V2" --json domstate small | json_field state)" = running ] || fail "v2 destination"
gone "$SRC" small || fail "v2 source still runs"
wait_for 20 "heartbeat after v2 migration" grep -q 'ferry-guest: heartbeat' "$T/small.dst.serial"
ok "v2 fallback: $out"
echo "all passed"

#!/usr/bin/env bash
# Two hosts on one machine: two network namespaces joined by a veth pair,
# one broker in each, listening for migrations on its own veth address.
# The guest migrates from host A to host B; the bytes must cross the veth
# (counted on B's side) and the guest must find its memory intact on B.
# Usage: test-netns.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "network namespaces and veth pairs need root"
command -v ip >/dev/null || skip "iproute2's ip is not installed"

# The test hosts' own addresses, on a link that exists only between them.
NSA=ferry-a-$$ NSB=ferry-b-$$ VA=fva$$ VB=fvb$$
ADDR_A=10.213.7.1 ADDR_B=10.213.7.2

netns_cleanup() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap 'st=$?; netns_cleanup; (exit $st); cleanup' EXIT

ip netns add "$NSA" && ip netns add "$NSB" || skip "cannot create network namespaces here"
ip link add "$VA" type veth peer name "$VB" || fail "veth pair"
ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" || fail "moving the veth ends"
ip -n "$NSA" addr add "$ADDR_A/24" dev "$VA" && ip -n "$NSB" addr add "$ADDR_B/24" dev "$VB" ||
	fail "addresses"
for ns in "$NSA" "$NSB"; do
	ip -n "$ns" link set lo up
done
ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up || fail "links up"
ip -n "$NSA" route get "$ADDR_B" | grep -q "dev $VA" || fail "no route from A to B over the veth"
ok "namespaces $NSA ($ADDR_A) and $NSB ($ADDR_B) joined by a veth pair"

# broker_in NS NAME ADDRESS: a ferryd inside NS; its unix socket is reachable from here.
broker_in() {
	mkdir -p "$T/$2"
	printf 'runtime_dir = %s\nstate_dir = %s\nlog_level = debug\nmigration_address = %s\n' \
		"$T/$2/run" "$T/$2/state" "$3" > "$T/$2/ferryd.conf"
	ip netns exec "$1" "$FERRYD" --config "$T/$2/ferryd.conf" 2>"$T/$2/ferryd.log" &
	FERRYD_PIDS="$FERRYD_PIDS $!"
	wait_for 10 "broker $2" test -S "$T/$2/run/ferry-sock"
}
broker_in "$NSA" hostA "$ADDR_A"
broker_in "$NSB" hostB "$ADDR_B"
A="unix://$T/hostA/run/ferry-sock" B="unix://$T/hostB/run/ferry-sock"

guest_xml g "$T/g.serial" "mem=128 random=100 dirty=8" 192 > "$T/g.xml"
"$FERRYCTL" -c "$A" define "$T/g.xml" >/dev/null || fail "define on A"
"$FERRYCTL" -c "$A" dumpxml g | sed "s|$T/g.serial|$T/g.b.serial|" > "$T/g.b.xml"
"$FERRYCTL" -c "$A" start g || fail "start on A"
wait_for 60 "the guest's heartbeat on A" grep -q 'ferry-guest: heartbeat' "$T/g.serial"

rx_before=$(ip netns exec "$NSB" cat "/sys/class/net/$VB/statistics/rx_bytes")
out=$("$FERRYCTL" -c "$A" migrate --live --xml "$T/g.b.xml" g "$B" 2>&1) || fail "migration: $out"
rx_after=$(ip netns exec "$NSB" cat "/sys/class/net/$VB/statistics/rx_bytes")
crossed=$(( (rx_after - rx_before) >> 20 ))
[ "$crossed" -ge 100 ] || fail "only $crossed MiB crossed the veth for 128 MiB of random memory"
grep -q "waiting for the migration on tcp:$ADDR_B:" "$T/hostB/ferryd.log" ||
	fail "host B did not listen on its veth address"
ok "migrated over the veth: $crossed MiB received by $NSB; $(echo "$out" | head -n1)"

[ "$("$FERRYCTL" -c "$B" --json domstate g | json_field state)" = running ] || fail "not running on B"
wait_for 30 "heartbeats on B" grep -q 'ferry-guest: heartbeat' "$T/g.b.serial"
sleep 2
last=$(last_heartbeat "$T/g.b.serial")
echo "$last" | grep -q 'memory=intact' || fail "guest memory on B: $last"
ok "on host B: $last"
"$FERRYCTL" -c "$B" destroy g >/dev/null
echo "all passed"

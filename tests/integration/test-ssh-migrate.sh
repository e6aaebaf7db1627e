#!/usr/bin/env bash
# Tunnelled peer-to-peer migration over ssh between two hosts: network
# namespaces A and B joined by a veth pair, a broker in each, an sshd of
# the test's own in B (lib-ssh.sh). The source broker reaches B's broker
# through ssh and `ferryctl proxy`; each data stream is a second ssh
# channel. The guest must be intact on B, and its memory must be seen
# crossing the veth. Then the data connection is cut mid-migration (its
# ssh killed): the source must run on, with the error saying so.
# Usage: test-ssh-migrate.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ssh.sh"

ssh_requirements
NSA=ferry-ma-$$ NSB=ferry-mb-$$
ADDR_A=10.213.10.1 ADDR_B=10.213.10.2
trap 'st=$?; stop_all_sshd; netns_pair_del; (exit $st); cleanup' EXIT

netns_pair "$NSA" "$NSB" "$ADDR_A" "$ADDR_B"
broker_in "$NSA" src
broker_in "$NSB" dst "migration_address = $ADDR_B" "migration_ports = 49280-49295"
start_sshd "$NSB" "$ADDR_B" "$T/sshB"
SRC="unix://$T/src/run/ferry-sock"
DST="unix://$T/dst/run/ferry-sock"
DST_SSH=$(ssh_uri "$T/sshB" root "$ADDR_B" "$T/dst/run/ferry-sock")
VETH_B=$(ip -n "$NSB" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1)
rx_bytes() { ip netns exec "$NSB" cat "/sys/class/net/$VETH_B/statistics/rx_bytes"; }
ok "host A ($NSA) runs the source broker; host B ($NSB, $ADDR_B) the destination and sshd"

# --- tunnelled over ssh, guest intact ---------------------------------------------
boot big "mem=512 random=100 dirty=20" 600
rx0=$(rx_bytes)
out=$(src migrate --p2p --tunnelled --live --xml "$T/big.dst.xml" big "$DST_SSH" 2>&1) ||
	fail "tunnelled migration over ssh: $out"
intact "$DST" big
crossed=$(( ($(rx_bytes) - rx0) >> 20 ))
[ "$crossed" -ge 512 ] || fail "only $crossed MiB crossed the veth for a 512 MiB random guest"
grep -q "migrating to unix:" "$T/src/ferryd.log" || fail "QEMU was not given its private socket"
grep -q "1 tunnelled stream attached to ssh://" "$T/src/ferryd.log" || fail "no stream over ssh"
ok "tunnelled over ssh: $(echo "$out" | tr -s ' \n' ' ')"
ok "$crossed MiB crossed the veth; on B: $last"
dst destroy big >/dev/null

# --- the data connection cut mid-migration ----------------------------------------
boot cut "mem=512 random=100 dirty=50" 600
src migrate --p2p --tunnelled --live --bandwidth 20 --xml "$T/cut.dst.xml" cut "$DST_SSH" \
	>"$T/cut.out" 2>&1 &
mig=$!
wait_for 30 "the tunnelled migration to run" sh -c \
	"'$FERRYCTL' -c '$SRC' --json domjobinfo cut | grep -q tunnel_bytes"
# The source broker's ssh children: the control connection first, then the data stream.
broker=$(pgrep -f "$T/src/ferryd.conf" | head -n1)
data_ssh=$(pgrep -P "$broker" -x ssh | sort -n | tail -n1)
[ -n "$data_ssh" ] || fail "no ssh under the source broker"
kill -9 "$data_ssh"
wait "$mig" && fail "the migration survived its data connection"
grep -q "tunnel" "$T/cut.out" || fail "the error does not name the tunnel: $(cat "$T/cut.out")"
wait_for 20 "the source to run again" running_on "$SRC" cut
wait_for 20 "the destination to be gone" gone "$DST" cut
h=$(heartbeats "$T/cut.serial")
wait_for 10 "heartbeats on the source" more_heartbeats "$T/cut.serial" "$h"
ok "data connection cut: source runs on: $(cat "$T/cut.out")"

# --- a peer whose host key does not match ------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/other" && echo "$ADDR_B $(cut -d' ' -f1,2 "$T/other.pub")" > "$T/bad_known"
bad=${DST_SSH/known_hosts=$T\/sshB\/known_hosts/known_hosts=$T/bad_known}
out=$(timeout 30 "$FERRYCTL" -c "$SRC" migrate --p2p --tunnelled cut "$bad" 2>&1) &&
	fail "migration to a peer with the wrong host key succeeded"
echo "$out" | grep -q "cannot reach the destination broker\|Host key verification failed" ||
	fail "wrong host key: $out"
running_on "$SRC" cut || fail "source not running after the host key refusal"
ok "wrong host key refused: $out"
src destroy cut >/dev/null

# --- compressed over a 100 Mbit/s link -----------------------------------------------
# netem on both ends of the veth (tbf at the same rate on kernels built
# without netem); a guest whose pages are 30 % random moves faster deflated
# than raw, since the link, not the CPU, is the limit.
VETH_A=$(ip -n "$NSA" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1)
for side in "$NSA $VETH_A" "$NSB $VETH_B"; do
	set -- $side
	if ! ip netns exec "$1" tc qdisc add dev "$2" root netem rate 100mbit 2>/dev/null; then
		ip netns exec "$1" tc qdisc add dev "$2" root tbf rate 100mbit burst 32kb latency 100ms ||
			fail "neither netem nor tbf can shape $2 to 100 Mbit/s"
		shaper="tbf (this kernel has no netem)"
	fi
done
ok "the veth is shaped to 100 Mbit/s both ways by ${shaper:-netem}"
total_ms() { python3 -c "import json,sys; print(json.load(sys.stdin)['statistics']['total_time_ms'])"; }
for mode in raw compressed; do
	boot "$mode" "mem=192 random=30 dirty=0" 256
	opts=(--p2p --tunnelled --live)
	[ $mode = compressed ] && opts+=(--compressed)
	out=$(src --json migrate "${opts[@]}" --xml "$T/$mode.dst.xml" "$mode" "$DST_SSH" 2>&1) ||
		fail "$mode migration over the 100 Mbit/s link: $out"
	intact "$DST" "$mode"
	eval "ms_$mode=$(echo "$out" | total_ms)"
	ok "$mode over 100 Mbit/s: $(echo "$out" | total_ms) ms; on B: $last"
	dst destroy "$mode" >/dev/null
done
[ "$ms_compressed" -lt "$ms_raw" ] ||
	fail "compressed took $ms_compressed ms, raw $ms_raw ms over the same 100 Mbit/s link"
ok "compressed tunnelled migration beat raw over 100 Mbit/s: $ms_compressed ms against $ms_raw ms"

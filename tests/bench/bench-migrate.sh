#!/usr/bin/env bash
# Migration throughput: the same 1 GiB test guest with random RAM moved
# between two brokers on this machine in each of ferry's data paths, and,
# as the reference, between two QEMUs driven directly over a unix socket.
# Prints a table: MB/s (RAM moved over total time), total time, downtime,
# each row's throughput as a ratio of the reference, and as a ratio of
# ferry's native data path (what tunnelling costs). Medians over RUNS.
# Usage: bench-migrate.sh FERRYD FERRYCTL GUEST [RUNS]
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3 RUNS=${4:-1}
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-ssh.sh"

MEM=1024 KNOBS="mem=1000 random=100 dirty=0"
ROWS="$T/rows"

# row LABEL JSON: one line of the table from {"statistics": {...}}.
row() {
	python3 - "$1" "$2" >>"$ROWS" <<'PY'
import json, sys
s = json.loads(sys.argv[2])["statistics"]
t = s["total_time_ms"]
print("%s\t%.1f\t%d\t%d" % (sys.argv[1], s["ram_transferred"] / 1e6 / (t / 1000.0), t, s["downtime_ms"]))
PY
}

# --- reference: QEMU to QEMU over a unix socket, no broker -------------------------
qemu_direct() {
	local d=$T/direct
	mkdir -p "$d"
	python3 "$(dirname "$0")/qemu-direct.py" migrate "$d" "$GUEST" "$QBOOT" "$MEM" "$KNOBS"
}

# Two hosts: network namespaces joined by a veth pair, a broker in each, and
# an sshd in B's for the ssh row (lib-ssh.sh).
ssh_requirements
NSA=ferry-ba-$$ NSB=ferry-bb-$$ ADDR_A=10.213.11.1 ADDR_B=10.213.11.2
trap 'st=$?; stop_all_sshd; netns_pair_del; (exit $st); cleanup' EXIT
netns_pair "$NSA" "$NSB" "$ADDR_A" "$ADDR_B"
broker_in "$NSA" src
broker_in "$NSB" dst "migration_address = $ADDR_B" "migration_ports = 49296-49311"
start_sshd "$NSB" "$ADDR_B" "$T/sshB"
SRC="unix://$T/src/run/ferry-sock" DST="unix://$T/dst/run/ferry-sock"
DST_SSH=$(ssh_uri "$T/sshB" root "$ADDR_B" "$T/dst/run/ferry-sock")

# ferry LABEL DEST OPTIONS...: boot the guest on the source, migrate it, destroy it.
n=0
ferry() {
	local label=$1 dest=$2 name out
	shift 2
	n=$((n + 1))
	name=g$n
	boot "$name" "$KNOBS" "$MEM"
	out=$(src --json migrate --live --xml "$T/$name.dst.xml" "$@" "$name" "$dest") ||
		fail "$label: $out"
	dst destroy "$name" >/dev/null
	src undefine "$name" >/dev/null 2>&1
	row "$label" "$out"
}

for run in $(seq "$RUNS"); do
	out=$(qemu_direct) || fail "QEMU direct: $out"
	row "QEMU native over unix (reference)" "$out"
	ferry "ferry native (tcp over the veth)" "$DST"
	ferry "ferry tunnelled over unix" "$DST" --p2p --tunnelled
	ferry "ferry tunnelled over ssh" "$DST_SSH" --p2p --tunnelled
	ferry "ferry tunnelled --parallel 2" "$DST" --p2p --tunnelled --parallel 2
done

python3 - "$ROWS" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    label, mbs, total, down = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(mbs), int(total), int(down)))
med = {label: statistics.median(r[0] for r in rs) for label, rs in rows.items()}
ref = med[next(iter(rows))]
native = next((v for k, v in med.items() if k.startswith("ferry native")), ref)
print("%-36s %9s %10s %10s %9s %9s %5s" % ("path", "MB/s", "total ms", "downtime", "ratio", "÷ native",
      "runs"))
for label, rs in rows.items():
    print("%-36s %9.1f %10d %10d %9.2f %9.2f %5d" % (label, med[label],
          statistics.median(r[1] for r in rs), statistics.median(r[2] for r in rs),
          med[label] / ref, med[label] / native, len(rs)))
print("ratio: to the reference (QEMU to QEMU, no broker); ÷ native: to ferry's native data path")
PY

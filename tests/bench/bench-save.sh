#!/usr/bin/env bash
# Save and restore times: the test guest (1 GiB of RAM; its pages 30 %
# random, then all random; nothing dirtied) saved by ferry raw and
# compressed, and restored, against QEMU's own migration to a file
# (vCPUs stopped, "exec:cat > FILE", no broker) as the reference.
# Prints a table: wall time of each step, RAM MB/s, file size, and the
# save's ratio to the reference (its throughput over QEMU's).
# Usage: bench-save.sh FERRYD FERRYCTL GUEST [RUNS]
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3 RUNS=${4:-1}
. "$(dirname "$0")/../integration/lib.sh"

MEM=1024
ROWS="$T/rows"
start_broker src
SRC="unix://$T/src/run/ferry-sock"
now_ms() { date +%s%3N; }
# row GUEST PATH MS FILE: one line of the table.
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(stat -c %s "$4" 2>/dev/null || echo 0)" >>"$ROWS"; }

n=0
for run in $(seq "$RUNS"); do
	for random in 30 100; do
		knobs="mem=1000 random=$random dirty=0"
		d=$T/direct$n
		mkdir -p "$d"
		out=$(python3 "$(dirname "$0")/qemu-direct.py" save "$d" "$GUEST" "$QBOOT" "$MEM" "$knobs" "$d/file") ||
			fail "QEMU's own save: $out"
		ms=$(echo "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['statistics']['total_time_ms'])")
		row "$random% random" "QEMU migrate to file (reference)" "$ms" "$d/file"
		rm -f "$d/file"
		for mode in raw compressed; do
			n=$((n + 1))
			boot "g$n" "$knobs" "$MEM"
			opt=()
			[ $mode = compressed ] && opt=(--compressed)
			t0=$(now_ms)
			src save "${opt[@]}" "g$n" "$T/g$n.sav" >/dev/null || fail "ferry save $mode"
			t1=$(now_ms)
			row "$random% random" "ferry save $mode" $((t1 - t0)) "$T/g$n.sav"
			src restore --paused "$T/g$n.sav" >/dev/null || fail "ferry restore $mode"
			t2=$(now_ms)
			row "$random% random" "ferry restore $mode" $((t2 - t1)) "$T/g$n.sav"
			src destroy "g$n" >/dev/null
			src undefine "g$n" >/dev/null 2>&1
			rm -f "$T/g$n.sav"
		done
	done
done

python3 - "$ROWS" "$MEM" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    guest, path, ms, size = line.rstrip("\n").split("\t")
    rows.setdefault((guest, path), []).append((int(ms), int(size)))
mem = int(sys.argv[2]) * 1048576
print("%-12s %-34s %9s %9s %10s %7s %5s" % ("guest", "path", "ms", "MB/s", "file MiB", "ratio", "runs"))
ref = {}
for (guest, path), rs in rows.items():
    ms = statistics.median(r[0] for r in rs)
    size = statistics.median(r[1] for r in rs)
    if "reference" in path:
        ref[guest] = ms
    ratio = "%7.2f" % (ref[guest] / ms) if "save" in path else "      -"
    print("%-12s %-34s %9d %9.1f %10.1f %s %5d" % (guest, path, ms, mem / 1e6 / (ms / 1000.0),
          size / 1048576, ratio, len(rs)))
print("ratio: QEMU's time to write the file over ferry's (1.00: as fast); ferry's times are")
print("wall times of ferryctl (label, header, fsync, QEMU's end included); QEMU's is its")
print("total-time plus the fsync of its file")
PY

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boots the test guest for a while and prints its serial log.
set -uo pipefail

usage() {
	cat <<USAGE
usage: run-guest.sh -k KERNEL [-a kvm|tcg|auto] [-m RAM_MB] [-t SECONDS]
                    [-l LOG] [KNOB...] [-- QEMU-ARG...]
  -k  the guest image (ferry-guest.elf in the build directory, tests/guest/)
  -a  accelerator; auto (default) is kvm when /dev/kvm can be opened
  -m  guest RAM in MiB (default 256)
  -t  seconds to run (default 5)
  -l  keep the serial log in this file (default: a temporary file)
  KNOB: mem=MB random=PERCENT dirty=MBPS wss=MB
  GUEST_BIOS= (empty) uses QEMU's default firmware instead of qboot.
USAGE
	exit "${1:-2}"
}

. "$(dirname "$0")/guest-lib.sh"

kernel=${FERRY_GUEST:-}
accel=auto
ram=256
seconds=5
log=
while getopts k:a:m:t:l:h opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	a) accel=$OPTARG ;;
	m) ram=$OPTARG ;;
	t) seconds=$OPTARG ;;
	l) log=$OPTARG ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
knobs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	knobs+=("$1")
	shift
done
[ $# -gt 0 ] && shift
[ -n "$kernel" ] || usage
[ -r "$kernel" ] || { echo "run-guest.sh: cannot read $kernel" >&2; exit 1; }
guest_have_qemu || { echo "run-guest.sh: $GUEST_QEMU not found" >&2; exit 1; }

case $accel in
auto) guest_pick_accel ;;
kvm | tcg) GUEST_ACCEL=$accel ;;
*) usage ;;
esac
if [ -z "$log" ]; then
	log=$(mktemp)
	trap 'guest_stop; rm -f "$log"' EXIT
else
	trap guest_stop EXIT
fi

echo "run-guest.sh: accel=$GUEST_ACCEL ram=${ram}M seconds=$seconds knobs='${knobs[*]}'"
guest_start "$kernel" "$ram" "$log" "${knobs[*]}" "$@"
end=$((SECONDS + seconds))
while [ "$SECONDS" -lt "$end" ] && guest_running; do
	sleep 0.2
done
guest_running || echo "run-guest.sh: QEMU exited early (guest reset or error)"
guest_stop
tr -d '\r' <"$log"
# a line cut short by the stop still ends in a newline
[ -z "$(tail -c 1 "$log")" ] || echo

# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by run-guest.sh and the guest tests: start the test guest in QEMU
# with its serial port in a log file, wait for lines, stop it. Sourced by
# bash scripts; every function's result is in GUEST_* variables.

GUEST_QEMU=${GUEST_QEMU:-qemu-system-x86_64}
GUEST_PID=

# qboot boots in a fraction of a second; SeaBIOS takes seconds, and on
# nested KVM hosts where ring-0 code is emulated, many seconds.
guest_firmware() {
	local d
	for d in /usr/share/qemu /usr/local/share/qemu /usr/share/qboot; do
		if [ -r "$d/qboot.rom" ]; then
			echo "$d/qboot.rom"
			return
		fi
	done
}

guest_have_qemu() {
	command -v "$GUEST_QEMU" >/dev/null 2>&1
}

# KVM when /dev/kvm can be opened read-write, TCG otherwise; a GUEST_ACCEL
# already set in the environment wins.
guest_pick_accel() {
	if [ -n "${GUEST_ACCEL:-}" ]; then
		return
	elif [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; then
		GUEST_ACCEL=kvm
	else
		GUEST_ACCEL=tcg
	fi
}

# guest_start KERNEL RAM_MB LOG KNOBS [QEMU-ARG...]
# GUEST_ACCEL picks the accelerator (with kvm, also -cpu host);
# GUEST_MACHINE_OPTS is appended to -machine; GUEST_BIOS overrides the
# firmware (set but empty: QEMU's default).
guest_start() {
	local kernel=$1 ram=$2 log=$3 knobs=$4
	local -a fw=() cpu=()
	shift 4
	local bios=${GUEST_BIOS-$(guest_firmware)}
	[ -n "$bios" ] && fw=(-bios "$bios")
	# the default model asks KVM for features a nested host may lack
	[ "${GUEST_ACCEL:-tcg}" = kvm ] && cpu=(-cpu host)
	: >"$log"
	# -no-reboot: a reset (a fault on nested KVM, or a triple fault) ends
	# QEMU instead of booting the guest again and hiding the failure.
	"$GUEST_QEMU" -nodefaults -no-user-config -display none -no-reboot \
		-machine "q35${GUEST_MACHINE_OPTS:+,$GUEST_MACHINE_OPTS}" \
		-accel "${GUEST_ACCEL:-tcg}" "${cpu[@]}" "${fw[@]}" -m "$ram" \
		-kernel "$kernel" -append "$knobs" \
		-serial "file:$log" "$@" &
	GUEST_PID=$!
}

guest_running() {
	[ -n "$GUEST_PID" ] && kill -0 "$GUEST_PID" 2>/dev/null
}

guest_stop() {
	if guest_running; then
		kill "$GUEST_PID" 2>/dev/null
		wait "$GUEST_PID" 2>/dev/null
	fi
	GUEST_PID=
}

# The log's complete lines, without their CR: the guest ends each line
# with CRLF, so a line still being written has no CR yet.
guest_lines() {
	grep -a $'\r$' "$1" | tr -d '\r'
}

# guest_wait LOG REGEX COUNT SECONDS: until COUNT lines of LOG match REGEX.
# Fails when QEMU exits first or the time is up.
guest_wait() {
	local log=$1 re=$2 count=$3 seconds=$4 n
	local end=$((SECONDS + seconds))
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(guest_lines "$log" | grep -cE "$re")
		[ "${n:-0}" -ge "$count" ] && return 0
		guest_running || return 1
		sleep 0.2
	done
	return 1
}

# guest_field LINE NAME: the value of NAME=VALUE in LINE
guest_field() {
	local w
	for w in $1; do
		case $w in
		"$2"=*)
			echo "${w#*=}"
			return
			;;
		esac
	done
}

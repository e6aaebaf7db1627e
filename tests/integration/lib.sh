# Shared by the integration tests: a private ferryd with its own dirs,
# ferryctl against it, and waiting for things with a deadline.
# Callers set FERRYD, FERRYCTL and GUEST (absolute paths) before sourcing.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump_logs; exit 1; }
ok() { echo "ok - $*"; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
[ -f "$GUEST" ] || fail "test guest $GUEST was not built"

T=$(mktemp -d /tmp/ferry-it-XXXXXX)
chmod 755 "$T"
FERRYD_PID=
FERRYD_PIDS=

dump_logs() {
	for f in "$T"/ferryd.log "$T"/*/ferryd.log; do
		[ -f "$f" ] && { echo "--- $f"; grep -v "accept_one\|client_drop" "$f" | tail -n 60; }
	done
	for f in "$T"/state/log/*.log "$T"/*/state/log/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
	for f in "$T"/*.serial; do [ -f "$f" ] && { echo "--- $f"; tail -n 5 "$f"; }; done
}

# Brokers built with sanitizers report on stderr, which is their log: any
# report there fails the test, whatever else it checked.
sanitizer_reports() {
	grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" \
		"$T"/ferryd.log "$T"/*/ferryd.log 2>/dev/null
}

cleanup() {
	local status=$? bad
	for p in $FERRYD_PID $FERRYD_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# A stopping broker leaves its guests running (a restarted one takes them
	# back): the test's own, recognisable by the test dir in their command
	# lines, end with it.
	pkill -KILL -f -- "$T/" 2>/dev/null
	bad=$(sanitizer_reports)
	if [ -n "$bad" ]; then
		for f in $bad; do
			echo "FAIL: sanitizer report in $f:"
			grep -A 30 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$f" | head -60
		done
		status=1
	fi
	rm -rf "$T"
	exit $status
}
trap cleanup EXIT

# start_ferryd [extra config lines...]
start_ferryd() {
	{
		echo "runtime_dir = $T/run"
		echo "state_dir = $T/state"
		echo "log_level = debug"
		for line in "$@"; do echo "$line"; done
	} > "$T/ferryd.conf"
	"$FERRYD" --config "$T/ferryd.conf" 2>"$T/ferryd.log" &
	FERRYD_PID=$!
	URI="unix://$T/run/ferry-sock"
	RO_URI="unix://$T/run/ferry-sock-ro"
	wait_for 10 "ferryd socket" test -S "$T/run/ferry-sock"
}

ctl() { "$FERRYCTL" -c "$URI" "$@"; }

# start_broker NAME [extra config lines...]: another broker with its own dirs,
# reachable as unix://$T/NAME/run/ferry-sock. Its pid joins FERRYD_PIDS.
start_broker() {
	local name=$1
	shift
	mkdir -p "$T/$name"
	{
		echo "runtime_dir = $T/$name/run"
		echo "state_dir = $T/$name/state"
		echo "log_level = debug"
		for line in "$@"; do echo "$line"; done
	} > "$T/$name/ferryd.conf"
	"$FERRYD" --config "$T/$name/ferryd.conf" 2>"$T/$name/ferryd.log" &
	FERRYD_PIDS="$FERRYD_PIDS $!"
	wait_for 10 "broker $name" test -S "$T/$name/run/ferry-sock"
}

# api URI JSON: one raw request through the API, its answer line printed.
api() {
	python3 - "$1" "$2" <<'PY'
import json, socket, sys
path = sys.argv[1][len("unix://"):]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rwb")
f.readline()
f.write(sys.argv[2].encode() + b"\n")
f.flush()
while True:
    line = f.readline()
    if not line or b'"event"' not in line:
        break
sys.stdout.write(line.decode())
PY
}

# wait_for SECONDS WHAT COMMAND...: retry COMMAND every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.2
	done
}

# qboot starts a kernel in a fraction of SeaBIOS's time under nested KVM.
QBOOT=/usr/share/qemu/qboot.rom
loader_xml() { [ -f "$QBOOT" ] && echo "    <loader type='rom'>$QBOOT</loader>"; }

# guest_xml NAME SERIAL [KNOBS] [MEMORY_MIB]
guest_xml() {
	cat <<XML
<domain type='kvm'>
  <name>$1</name>
  <memory unit='MiB'>${4:-128}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
$(loader_xml)
    <kernel>$GUEST</kernel>
    <cmdline>${3:-mem=32 random=50 dirty=4}</cmdline>
  </os>
  <devices>
    <serial type='file'>
      <source path='$2'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
XML
}

# The last heartbeat whose verdict is whole: the guest may be writing the next one.
last_heartbeat() {
	grep -a 'ferry-guest: heartbeat' "$1" | grep -E 'memory=(intact|CORRUPT)([[:space:]]|$)' | tail -n 1
}

# grep -c prints 0 and fails when there is none: one number either way.
heartbeats() {
	local n
	n=$(grep -c 'ferry-guest: heartbeat' "$1" 2>/dev/null)
	echo "${n:-0}"
}
# more_heartbeats FILE N: true once FILE holds more than N heartbeats (for wait_for).
more_heartbeats() { [ "$(heartbeats "$1")" -gt "$2" ]; }

json_field() { python3 -c "import json,sys; v=json.load(sys.stdin)['$1']; print('null' if v is None else v)"; }

# For tests between brokers: set SRC and DST (their URIs) first.
src() { "$FERRYCTL" -c "$SRC" "$@"; }
dst() { "$FERRYCTL" -c "$DST" "$@"; }
state() { "$FERRYCTL" -c "$1" --json domstate "$2" 2>/dev/null | json_field state; }
gone() { ! "$FERRYCTL" -c "$1" domstate "$2" >/dev/null 2>&1 || [ "$(state "$1" "$2")" = shutoff ]; }

# boot NAME KNOBS MEMORY_MIB: define on the source, start, wait for the first
# heartbeat. NAME.dst.xml is the same domain writing its serial port elsewhere.
boot() {
	guest_xml "$1" "$T/$1.serial" "$2" "$3" > "$T/$1.xml"
	src define "$T/$1.xml" >/dev/null || fail "define $1"
	src dumpxml "$1" | sed "s|$T/$1.serial|$T/$1.dst.serial|" > "$T/$1.dst.xml"
	src start "$1" || fail "start $1"
	wait_for 60 "$1's first heartbeat" grep -q 'ferry-guest: heartbeat' "$T/$1.serial"
}

running_on() { [ "$(state "$1" "$2")" = running ]; }

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

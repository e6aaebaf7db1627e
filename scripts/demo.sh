#!/usr/bin/env bash
# Set everything up, build, and run the demo: every helper's sandbox as the
# kernel sees it, then two brokers on this machine, the project's test guest
# booted on one and migrated live to the other with a progress bar, and the
# guest's own word that its memory arrived intact.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh build

echo
echo "== ferryd --check-sandbox =="
build/broker/ferryd --check-sandbox

demo=$(mktemp -d /tmp/ferry-demo-XXXXXX)
chmod 755 "$demo"
pids=()
finish() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	# Brokers leave guests running when they stop; the demo's end with it.
	pkill -KILL -f -- "$demo/" 2>/dev/null || true
	rm -rf "$demo"
}
trap finish EXIT

# broker NAME PORTS: a ferryd with its own dirs and migration ports.
broker() {
	mkdir -p "$demo/$1"
	printf 'runtime_dir = %s\nstate_dir = %s\nmigration_ports = %s\n' \
		"$demo/$1/run" "$demo/$1/state" "$2" > "$demo/$1/ferryd.conf"
	build/broker/ferryd --config "$demo/$1/ferryd.conf" 2>"$demo/$1/ferryd.log" &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$demo/$1/run/ferry-sock" ] && return; sleep 0.1; done
	echo "broker $1 did not start" >&2
	exit 1
}
broker hostA 49152-49167
broker hostB 49168-49183
A="unix://$demo/hostA/run/ferry-sock"
B="unix://$demo/hostB/run/ferry-sock"
ctl() { build/client/ferryctl "$@"; }

# qboot starts a kernel in a fraction of SeaBIOS's time under nested KVM.
loader=
[ -f /usr/share/qemu/qboot.rom ] && loader="<loader type='rom'>/usr/share/qemu/qboot.rom</loader>"
cat > "$demo/guest.xml" <<XML
<domain type='kvm'>
  <name>demo</name>
  <memory unit='MiB'>600</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    $loader
    <kernel>$PWD/build/tests/guest/ferry-guest.elf</kernel>
    <cmdline>mem=512 random=50 dirty=100</cmdline>
  </os>
  <devices>
    <serial type='file'>
      <source path='$demo/serial-hostA.log'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
XML

echo
echo "== host A: define and start the test guest (512 MiB, dirtying 100 MB/s) =="
ctl -c "$A" define "$demo/guest.xml"
ctl -c "$A" start demo
ctl -c "$A" --json dominfo demo
for _ in $(seq 100); do grep -q heartbeat "$demo/serial-hostA.log" && break; sleep 0.2; done
grep 'ferry-guest:' "$demo/serial-hostA.log" | tail -n 3

echo
echo "== migrate live from host A to host B =="
# The destination writes the guest's serial port to a file of its own.
ctl -c "$A" dumpxml demo | sed "s|serial-hostA|serial-hostB|" > "$demo/guest-B.xml"
ctl -c "$A" migrate --live --verbose --xml "$demo/guest-B.xml" demo "$B"

echo
echo "== host A now =="
ctl -c "$A" list --all
echo "== host B now =="
ctl -c "$B" list --all
ctl -c "$B" dominfo demo
sleep 3
echo
echo "== the guest on host B, in its own words =="
grep 'ferry-guest:' "$demo/serial-hostB.log" | tail -n 3
grep -a 'ferry-guest: heartbeat' "$demo/serial-hostB.log" | grep -E 'memory=(intact|CORRUPT)([[:space:]]|$)' |
	tail -n 1 | grep -q 'memory=intact' &&
	echo "memory intact after migration" || { echo "MEMORY NOT INTACT"; exit 1; }
ctl -c "$B" destroy demo

#!/usr/bin/env bash
# Set everything up, build, and run the demo: the broker shows every helper's
# sandbox, then runs the project's test guest under an unprivileged-by-design
# broker whose only contact with QEMU's monitor is the sandboxed ferry-monitor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh build

echo
echo "== ferryd --check-sandbox =="
build/broker/ferryd --check-sandbox

demo=$(mktemp -d /tmp/ferry-demo-XXXXXX)
chmod 755 "$demo"
ferryd_pid=
finish() {
	[ -n "$ferryd_pid" ] && kill "$ferryd_pid" 2>/dev/null && wait "$ferryd_pid" 2>/dev/null
	rm -rf "$demo"
}
trap finish EXIT

cat > "$demo/ferryd.conf" <<CONF
runtime_dir = $demo/run
state_dir = $demo/state
CONF
build/broker/ferryd --config "$demo/ferryd.conf" 2>"$demo/ferryd.log" &
ferryd_pid=$!
for _ in $(seq 50); do [ -S "$demo/run/ferry-sock" ] && break; sleep 0.1; done
ctl() { build/client/ferryctl -c "unix://$demo/run/ferry-sock" "$@"; }

# qboot starts a kernel in a fraction of SeaBIOS's time under nested KVM.
loader=
[ -f /usr/share/qemu/qboot.rom ] && loader="<loader type='rom'>/usr/share/qemu/qboot.rom</loader>"
cat > "$demo/guest.xml" <<XML
<domain type='kvm'>
  <name>demo</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    $loader
    <kernel>$PWD/build/tests/guest/ferry-guest.elf</kernel>
    <cmdline>mem=128 random=50 dirty=16</cmdline>
  </os>
  <devices>
    <serial type='file'>
      <source path='$demo/serial.log'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
XML

echo
echo "== ferryctl define + start =="
ctl define "$demo/guest.xml"
ctl start demo
echo
echo "== ferryctl dominfo --json demo =="
ctl --json dominfo demo
echo
echo "== the guest's serial port (heartbeats for 5 s) =="
sleep 5
grep 'ferry-guest:' "$demo/serial.log" | tail -n 6
echo
echo "== suspend, resume, destroy =="
ctl suspend demo && ctl domstate --reason demo
ctl resume demo && ctl domstate --reason demo
ctl destroy demo && ctl domstate --reason demo

#!/usr/bin/env bash
# Save and restore through ferry-compress (or ferry-tunnel, raw) and
# ferry-label, with the test guest: round trips compressed and raw, the
# guest's memory intact after each; the gzip stream readable by gzip
# itself; tampered, truncated and incomplete files refused with no VM
# started; a disk that fills up mid-save leaves the domain running and no
# file behind.
# Usage: test-save.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"

start_broker src
SRC="unix://$T/src/run/ferry-sock"

# intact_after NAME COUNT: new heartbeats past COUNT, the last one intact.
intact_after() {
	wait_for 30 "$1's heartbeats after restore" more_heartbeats "$T/$1.serial" "$2"
	sleep 2
	last=$(last_heartbeat "$T/$1.serial")
	echo "$last" | grep -q 'memory=intact' || fail "$1's memory after restore: $last"
}
# field FILE OFFSET: the little-endian u32 at OFFSET of FILE.
field() { python3 -c "import struct,sys; f=open(sys.argv[1],'rb'); f.seek(int(sys.argv[2])); print(struct.unpack('<I', f.read(4))[0])" "$1" "$2"; }

# --- compressed round trip ------------------------------------------------------------
boot zg "mem=256 random=30 dirty=4" 320
out=$(src save --compressed zg "$T/zg.sav" 2>&1) || fail "compressed save: $out"
gone "$SRC" zg || fail "the domain still runs after its save"
[ "$(stat -c %a "$T/zg.sav")" = 600 ] || fail "save file mode $(stat -c %a "$T/zg.sav")"
[ "$(stat -c %u:%g "$T/zg.sav")" = "$(id -u):$(id -g)" ] || fail "save file owner $(stat -c %u:%g "$T/zg.sav")"
n=$(heartbeats "$T/zg.serial")
out=$(src restore "$T/zg.sav" 2>&1) || fail "restore: $out"
[ "$(state "$SRC" zg)" = running ] || fail "restored domain is $(state "$SRC" zg)"
intact_after zg "$n"
ok "compressed save ($(( $(stat -c %s "$T/zg.sav") >> 20 )) MiB for 320 MiB of RAM) and restore: $last"

# The stream after the header is plain gzip of QEMU's own stream.
off=$(field "$T/zg.sav" 28)
magic=$(tail -c +$((off + 1)) "$T/zg.sav" | gzip -dc 2>/dev/null | head -c 4 | od -An -tx1 | tr -d ' ')
[ "$magic" = 5145564d ] || fail "tail -c +$((off + 1)) | gzip -dc gave '$magic', not QEMU's QEVM"
ok "tail -c +$((off + 1)) FILE | gzip -dc starts with QEMU's stream magic (QEVM)"

# --- refusals: nothing starts from a bad file ----------------------------------------
src destroy zg >/dev/null
# refuse WHAT FILE TEXT: restore fails naming TEXT, and no VM is started.
refuse() {
	local out
	out=$(src restore "$2" 2>&1) && fail "$1: restored"
	echo "$out" | grep -qi -- "$3" || fail "$1: error does not say '$3': $out"
	[ "$(state "$SRC" zg)" != running ] || fail "$1: a VM runs"
	pgrep -f -- "$T/src/" | grep -q . && pgrep -af qemu-system | grep -q "guest=zg" && fail "$1: QEMU left"
	ok "$1: $out"
}
# tamper FILE OFFSET BYTE: write BYTE (0-255) at OFFSET of a copy.
tamper() { cp "$T/zg.sav" "$1"; printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
tamper "$T/magic.sav" 0 88
refuse "wrong magic" "$T/magic.sav" "magic"
tamper "$T/incomplete.sav" 16 0
refuse "incomplete" "$T/incomplete.sav" "incomplete"
tamper "$T/xmllen.sav" 23 255
refuse "oversized xml_len" "$T/xmllen.sav" "xml_len"
tamper "$T/hdrbit.sav" 100 $(( $(od -An -tu1 -j100 -N1 "$T/zg.sav") ^ 4 ))
refuse "a flipped bit in the header" "$T/hdrbit.sav" "checksum"
cp "$T/zg.sav" "$T/short.sav"; truncate -s -4096 "$T/short.sav"
refuse "truncated" "$T/short.sav" "truncated"
mid=$(( off + ($(stat -c %s "$T/zg.sav") - off) / 2 ))
tamper "$T/body.sav" "$mid" $(( $(od -An -tu1 -j"$mid" -N1 "$T/zg.sav") ^ 16 ))
refuse "a flipped bit in the compressed body" "$T/body.sav" "offset"

# --- raw round trip, restored paused --------------------------------------------------
boot raw "mem=128 random=50 dirty=4" 160
out=$(src save raw "$T/raw.sav" 2>&1) || fail "raw save: $out"
[ "$(field "$T/raw.sav" 12)" = 0 ] || fail "a raw save is not marked raw"
n=$(heartbeats "$T/raw.serial")
out=$(src restore --paused "$T/raw.sav" 2>&1) || fail "raw restore: $out"
[ "$(state "$SRC" raw)" = paused ] || fail "restore --paused left it $(state "$SRC" raw)"
src resume raw >/dev/null || fail "resume after restore --paused"
intact_after raw "$n"
ok "raw save and restore --paused, then resume: $last"
out=$(src save raw "$T/raw.sav" 2>&1) && fail "save over an existing file succeeded"
echo "$out" | grep -q "File exists" || fail "save over an existing file: $out"
[ "$(state "$SRC" raw)" = running ] || fail "the domain stopped after a refused save"
ok "save to an existing file refused: $out"
src destroy raw >/dev/null

# --- labels: a static label's image label on the file, as an xattr ------------------
# SELinux may be disabled here: selinux_labels = xattr writes the label anyway.
start_broker lab "selinux_labels = xattr"
LAB="unix://$T/lab/run/ferry-sock"
ctx=system_u:system_r:svirt_t:s0:c12,c34
guest_xml lbl "$T/lbl.serial" "mem=32 random=0 dirty=0" 64 |
	sed "s|</domain>|  <seclabel type='static' model='selinux' relabel='yes'><label>$ctx</label></seclabel>\n</domain>|" \
	> "$T/lbl.xml"
"$FERRYCTL" -c "$LAB" define "$T/lbl.xml" >/dev/null || fail "define a domain with a static label"
"$FERRYCTL" -c "$LAB" start lbl >/dev/null || fail "start lbl"
wait_for 60 "lbl's first heartbeat" grep -q 'ferry-guest: heartbeat' "$T/lbl.serial"
out=$("$FERRYCTL" -c "$LAB" save lbl "$T/lbl.sav" 2>&1) || fail "save with labels: $out"
got=$(python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'security.selinux').rstrip(b'\0').decode())" "$T/lbl.sav") ||
	fail "no security.selinux on the save file"
[ "$got" = system_u:object_r:svirt_image_t:s0:c12,c34 ] || fail "save file labelled '$got'"
ok "the save file carries the image label of the domain's static label: $got"

# Dynamic labels (the default): every running domain its own MCS pair.
for g in dyn1 dyn2; do
	guest_xml $g "$T/$g.serial" "mem=16 random=0 dirty=0" 32 > "$T/$g.xml"
	"$FERRYCTL" -c "$LAB" define "$T/$g.xml" >/dev/null && "$FERRYCTL" -c "$LAB" start $g >/dev/null ||
		fail "start $g"
done
l1=$("$FERRYCTL" -c "$LAB" --json dominfo dyn1 | json_field seclabel)
l2=$("$FERRYCTL" -c "$LAB" --json dominfo dyn2 | json_field seclabel)
echo "$l1" | grep -qE '^system_u:system_r:svirt_t:s0:c[0-9]+,c[0-9]+$' || fail "dynamic label '$l1'"
[ "$l1" != "$l2" ] || fail "two running domains share the label $l1"
ok "dynamic labels: $l1 and $l2"

# --- the disk fills up mid-save ----------------------------------------------------------
mkdir -p "$T/small"
if mount -t tmpfs -o size=16m tmpfs "$T/small" 2>/dev/null; then
	boot full "mem=256 random=100 dirty=4" 320
	out=$(src save full "$T/small/full.sav" 2>&1) && fail "a save into 16 MiB succeeded"
	echo "$out" | grep -q "No space left on device" || fail "disk full: $out"
	[ "$(state "$SRC" full)" = running ] || fail "disk full: the domain is $(state "$SRC" full)"
	[ ! -e "$T/small/full.sav" ] || fail "disk full: the file was left behind"
	n=$(heartbeats "$T/full.serial")
	wait_for 10 "heartbeats after the failed save" more_heartbeats "$T/full.serial" "$n"
	umount "$T/small"
	ok "disk full mid-save: domain runs on, no file left: $out"
	src destroy full >/dev/null
elif [ "$(id -u)" = 0 ]; then
	fail "disk full: root cannot mount a 16 MiB tmpfs on $T/small"
else
	echo "SKIP (disk full only): mounting a small tmpfs needs root"
fi

#!/usr/bin/env bash
# ferryd started as root with `user` set: ferry-label is spawned first and
# keeps CAP_CHOWN and CAP_FOWNER; ferryd itself ends up as that user with
# every capability set empty and no_new_privs, before its sockets exist.
# Its guest then runs as that user too, and a save file is given to it.
# Usage: test-privdrop.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "dropping privileges needs a start as root"
command -v useradd >/dev/null || skip "useradd is not installed"
U=ferry-t$$
useradd --system --no-create-home --shell /usr/sbin/nologin "$U" || skip "cannot create a user here"
# The user goes last: userdel refuses while its processes (brokers, QEMU) live.
gone_user() {
	for p in $FERRYD_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pkill -KILL -u "$U" 2>/dev/null
	sleep 0.5
	userdel "$U" 2>/dev/null || echo "warning: user $U could not be removed"
}
trap 'st=$?; gone_user; (exit $st); cleanup' EXIT
uid=$(id -u "$U") gid=$(id -g "$U")

start_broker priv "user = $U"
SRC="unix://$T/priv/run/ferry-sock"
broker=$(pgrep -f "$T/priv/ferryd.conf" | head -n1)
status() { grep "^$2:" "/proc/$1/status" | cut -f2- | tr -s '\t ' ' ' | sed 's/ $//'; }
[ "$(status "$broker" Uid)" = "$uid $uid $uid $uid" ] || fail "ferryd's uids: $(status "$broker" Uid)"
[ "$(status "$broker" Gid)" = "$gid $gid $gid $gid" ] || fail "ferryd's gids: $(status "$broker" Gid)"
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
	[ "$(status "$broker" $set)" = 0000000000000000 ] || fail "ferryd's $set: $(status "$broker" $set)"
done
[ "$(status "$broker" NoNewPrivs)" = 1 ] || fail "ferryd without no_new_privs"
ok "ferryd runs as $U ($uid:$gid), capability sets empty, no_new_privs"
label=$(pgrep -P "$broker" -x ferry-label)
[ -n "$label" ] || fail "no ferry-label under ferryd"
[ "$(status "$label" CapEff)" = 0000000000000009 ] || fail "ferry-label's CapEff: $(status "$label" CapEff)"
ok "ferry-label, spawned before the drop, keeps CAP_CHOWN|CAP_FOWNER (CapEff 9)"
[ "$(stat -c %U "$T/priv/run/ferry-sock")" = "$U" ] || fail "the socket belongs to $(stat -c %U "$T/priv/run/ferry-sock")"
grep -q "privileges dropped: Uid $uid" "$T/priv/ferryd.log" || fail "the drop is not logged"
ok "its socket was made after the drop: owned by $U"

# Its guest runs as that user (with TCG where only root may open /dev/kvm).
mkdir -m 1777 "$T/vm"
guest_xml g "$T/vm/g.serial" "mem=16 random=0 dirty=0" 32 > "$T/g.xml"
src define "$T/g.xml" >/dev/null || fail "define"
src start g >/dev/null || fail "start as $U: $(tail -5 "$T/priv/state/log/g.log")"
wait_for 120 "the guest's first heartbeat" grep -q 'ferry-guest: heartbeat' "$T/vm/g.serial"
qemu=$(pgrep -f "guest=g," | head -n1)
[ "$(status "$qemu" Uid | cut -d' ' -f1)" = "$uid" ] || fail "QEMU runs as uid $(status "$qemu" Uid)"
ok "QEMU runs as $U"
out=$(src save g "$T/vm/g.sav" 2>&1) || fail "save as $U: $out"
[ "$(stat -c %u "$T/vm/g.sav")" = "$uid" ] || fail "save file owner $(stat -c %u "$T/vm/g.sav")"
out=$(src restore "$T/vm/g.sav" 2>&1) || fail "restore as $U: $out"
[ "$(state "$SRC" g)" = running ] || fail "restored guest is $(state "$SRC" g)"
ok "save and restore as $U: $out"
src destroy g >/dev/null

# Started as an ordinary user: no ids to change, the same empty sets and
# no_new_privs, and its own ferry-label can give away only what it owns.
command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
mkdir -m 1777 "$T/plain"
cat > "$T/plain/ferryd.conf" <<CONF
runtime_dir = $T/plain/run
state_dir = $T/plain/state
log_level = debug
CONF
XDG_RUNTIME_DIR=$T/plain setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all \
	"$FERRYD" --config "$T/plain/ferryd.conf" 2>"$T/plain/ferryd.log" &
FERRYD_PIDS="$FERRYD_PIDS $!"
wait_for 10 "the ordinary user's broker" test -S "$T/plain/run/ferry-sock"
plain=$(pgrep -f "$T/plain/ferryd.conf" | head -n1)
[ "$(status "$plain" Uid)" = "$uid $uid $uid $uid" ] || fail "plain ferryd's uids: $(status "$plain" Uid)"
for set in CapInh CapPrm CapEff CapAmb; do
	[ "$(status "$plain" $set)" = 0000000000000000 ] || fail "plain ferryd's $set: $(status "$plain" $set)"
done
[ "$(status "$plain" NoNewPrivs)" = 1 ] || fail "plain ferryd without no_new_privs"
plabel=$(pgrep -P "$plain" -x ferry-label)
[ -n "$plabel" ] && [ "$(status "$plabel" CapEff)" = 0000000000000000 ] ||
	fail "an ordinary user's ferry-label has capabilities: $(status "$plabel" CapEff)"
ok "ferryd started as $U: no ids to change, capability sets empty, no_new_privs; its ferry-label has none either"

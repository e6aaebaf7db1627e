#!/usr/bin/env bash
# ferryctl reaching a broker over ssh://: two network namespaces joined by
# a veth pair, an sshd of the test's own and a ferryd in host B's, ferryctl
# in host A's, talking through `ferryctl proxy` on B. No VM: the API's
# domain commands suffice (a defined domain crosses both ways). Then what
# must fail, fail fast and say why: a host key that does not match, a user
# key that sshd does not know, no ferryctl and no broker over there.
# Usage: test-ssh.sh FERRYD FERRYCTL GUEST
set -uo pipefail
FERRYD=$1 FERRYCTL=$2 GUEST=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ssh.sh"

ssh_requirements
NSA=ferry-sa-$$ NSB=ferry-sb-$$
ADDR_A=10.213.9.1 ADDR_B=10.213.9.2
trap 'st=$?; stop_all_sshd; netns_pair_del; (exit $st); cleanup' EXIT

netns_pair "$NSA" "$NSB" "$ADDR_A" "$ADDR_B"
broker_in "$NSB" hostB
start_sshd "$NSB" "$ADDR_B" "$T/sshB"
ok "host B ($NSB, $ADDR_B): ferryd and sshd; host A: $NSA, $ADDR_A"

SOCK="$T/hostB/run/ferry-sock"
URI=$(ssh_uri "$T/sshB" root "$ADDR_B" "$SOCK")
LOCAL="unix://$SOCK"
# from_a CMD...: run on host A, with a bound on the time it may take.
from_a() { ip netns exec "$NSA" timeout 30 "$@"; }

out=$(from_a "$FERRYCTL" -c "$URI" list 2>&1) || fail "list over ssh: $out"
echo "$out" | grep -q "Id .*Name .*State" || fail "list over ssh printed: $out"
ok "list over ssh"

guest_xml g "$T/g.serial" > "$T/g.xml"
out=$(from_a "$FERRYCTL" -c "$URI" define "$T/g.xml" 2>&1) || fail "define over ssh: $out"
[ "$("$FERRYCTL" -c "$LOCAL" --json domstate g | json_field state)" = shutoff ] ||
	fail "the domain defined over ssh is not on host B"
out=$(from_a "$FERRYCTL" -c "$URI" list --all 2>&1) || fail "list --all over ssh: $out"
echo "$out" | grep -qE "^ +- +g +shutoff$" || fail "list --all over ssh printed: $out"
ok "a domain defined over ssh is on host B, and listed back"

uuid_ssh=$(from_a "$FERRYCTL" -c "$URI" --json version | json_field host_uuid) || fail "version over ssh"
uuid_local=$("$FERRYCTL" -c "$LOCAL" --json version | json_field host_uuid)
[ -n "$uuid_ssh" ] && [ "$uuid_ssh" = "$uuid_local" ] ||
	fail "version over ssh says host $uuid_ssh, host B is $uuid_local"
out=$(from_a "$FERRYCTL" -c "$URI" dominfo nope 2>&1) && fail "dominfo of no domain succeeded: $out"
echo "$out" | grep -q "DomainNotFound" || fail "a broker error over ssh reads: $out"
ok "version and a broker's error answer over ssh"

# Every remote proxy ended with its client: none is left on host B.
wait_for 10 "the remote proxies to end" bash -c "! pgrep -f -- '[p]roxy --socket $SOCK' >/dev/null"
from_a "$FERRYCTL" -c "$URI" undefine g >/dev/null || fail "undefine over ssh"
ok "no proxy left behind"

# expect_refusal WHAT URI TEXT: ferryctl fails within 20 s, saying TEXT.
expect_refusal() {
	local what=$1 uri=$2 text=$3 start=$SECONDS st
	out=$(ip netns exec "$NSA" timeout 20 "$FERRYCTL" -c "$uri" list 2>&1)
	st=$?
	[ $st -ne 124 ] || fail "$what: ferryctl still waiting after 20 s"
	[ $st -eq 1 ] || fail "$what: ferryctl exited $st: $out"
	echo "$out" | grep -qF -- "$text" || fail "$what: the error does not say '$text': $out"
	ok "$what: refused in $((SECONDS - start)) s: $(echo "$out" | tail -n 1)"
}

ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key" || fail "ssh-keygen"
echo "$ADDR_B $(cut -d' ' -f1,2 "$T/other_host_key.pub")" > "$T/wrong_known_hosts"
expect_refusal "a host key that does not match" \
	"ssh://root@$ADDR_B$SOCK?keyfile=$T/sshB/id&known_hosts=$T/wrong_known_hosts&ferryctl=$FERRYCTL" \
	"ssh exited with status 255 while waiting for the greeting: Host key verification failed."
ssh-keygen -q -t ed25519 -N '' -f "$T/other_id" || fail "ssh-keygen"
expect_refusal "a user key sshd does not know" \
	"ssh://root@$ADDR_B$SOCK?keyfile=$T/other_id&known_hosts=$T/sshB/known_hosts&ferryctl=$FERRYCTL" \
	"Permission denied (publickey)"
expect_refusal "no broker at the socket path" \
	"$(ssh_uri "$T/sshB" root "$ADDR_B" "$T/hostB/run/nothing-here")" \
	"ferryctl: error: proxy: cannot connect to unix://$T/hostB/run/nothing-here: No such file or directory"
expect_refusal "no ferryctl over there" \
	"$(ssh_uri "$T/sshB" root "$ADDR_B" "$SOCK" /nonexistent/ferryctl)" \
	"ssh exited with status 127 while waiting for the greeting"
echo "all passed"

# Two hosts on one machine for the ssh transport: network namespaces joined
# by a veth pair, an sshd of the test's own inside one of them, ferryd
# inside a namespace, and the ssh:// URI that reaches it. Source after
# lib.sh (skip, fail, wait_for, $T, $FERRYD, $FERRYCTL). Nothing here uses
# or changes the system's own sshd or ~/.ssh: every key, known_hosts file
# and configuration is generated in a directory of the test.
#
#   ssh_requirements                  skip unless root with ip, ssh, ssh-keygen, sshd
#   netns_pair NSA NSB ADDR_A ADDR_B  two namespaces joined by a veth pair (/24)
#   netns_pair_del                    remove them again (for the EXIT trap)
#   broker_in NS NAME [CONFIG...]     start_broker's ferryd, inside NS (unix://$T/NAME/run/ferry-sock)
#   start_sshd NS ADDR DIR            sshd on ADDR:22 inside NS; DIR gets its host key,
#                                     a user key DIR/id authorized for every user,
#                                     and DIR/known_hosts trusting the host key
#   ssh_uri DIR USER ADDR SOCKET [FERRYCTL]
#                                     the URI that reaches SOCKET as USER with DIR's keys,
#                                     running FERRYCTL (default: $FERRYCTL) over there
#   stop_sshd DIR                     stop the sshd of DIR
#   stop_all_sshd                     stop every sshd started here (for the EXIT trap)
#
# A typical trap: trap 'st=$?; stop_all_sshd; netns_pair_del; (exit $st); cleanup' EXIT

SSHD=${SSHD:-/usr/sbin/sshd}
SSHD_DIRS=
NETNS_MADE=

ssh_requirements() {
	[ "$(id -u)" = 0 ] || skip "network namespaces, veth pairs and an sshd of our own need root"
	command -v ip >/dev/null || skip "iproute2's ip is not installed"
	[ -x "$SSHD" ] || skip "$SSHD is not installed (openssh-server)"
	command -v ssh >/dev/null || skip "ssh is not installed (openssh-client)"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen is not installed (openssh-client)"
	# Without PAM, sshd refuses a locked account whatever the key.
	case $(getent shadow root | cut -d: -f2) in
	'!'*) skip "root's account is locked: sshd without PAM lets no one in as root" ;;
	esac
}

netns_pair() {
	local nsa=$1 nsb=$2 addr_a=$3 addr_b=$4 va=fsa$$ vb=fsb$$ ns
	for ns in "$nsa" "$nsb"; do
		ip netns add "$ns" || skip "cannot create network namespaces here"
		NETNS_MADE="$NETNS_MADE $ns"
		ip -n "$ns" link set lo up || fail "lo up in $ns"
	done
	ip link add "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" ||
		fail "veth pair between $nsa and $nsb"
	ip -n "$nsa" addr add "$addr_a/24" dev "$va" && ip -n "$nsa" link set "$va" up &&
		ip -n "$nsb" addr add "$addr_b/24" dev "$vb" && ip -n "$nsb" link set "$vb" up ||
		fail "veth addresses $addr_a and $addr_b"
	ip -n "$nsa" route get "$addr_b" | grep -q "dev $va" || fail "no route from $nsa to $addr_b over the veth"
}

netns_pair_del() {
	local ns
	for ns in $NETNS_MADE; do
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_MADE=
}

# lib.sh's start_broker, with a FERRYD that enters NS first (ip netns exec
# execs: the pid start_broker notes is ferryd's own).
broker_in() {
	local ns=$1 wrapper="$T/ferryd-in-$1"
	shift
	printf '#!/bin/sh\nexec ip netns exec %q %q "$@"\n' "$ns" "$FERRYD" > "$wrapper"
	chmod 755 "$wrapper"
	FERRYD=$wrapper start_broker "$@"
}

# The sshd configuration: only the test's keys, only its address.
sshd_config() {
	local addr=$1 dir=$2
	cat <<EOF
ListenAddress $addr:22
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
EOF
}

start_sshd() {
	local ns=$1 addr=$2 dir=$3 key
	mkdir -p "$dir"
	# sshd's privilege separation directory, as the package's tmpfiles make it.
	[ -d /run/sshd ] || install -d -m 0755 /run/sshd || fail "cannot create /run/sshd"
	for key in host_key id; do
		[ -f "$dir/$key" ] || ssh-keygen -q -t ed25519 -N '' -C "ferry test $key" -f "$dir/$key" ||
			fail "ssh-keygen $dir/$key"
	done
	cp "$dir/id.pub" "$dir/authorized_keys"
	echo "$addr $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
	sshd_config "$addr" "$dir" > "$dir/sshd_config"
	"$SSHD" -t -f "$dir/sshd_config" || fail "sshd refuses its configuration $dir/sshd_config"
	# ip netns exec execs sshd: $! is sshd's own pid.
	ip netns exec "$ns" "$SSHD" -D -f "$dir/sshd_config" -E "$dir/sshd.log" &
	echo $! > "$dir/sshd.started"
	SSHD_DIRS="$SSHD_DIRS $dir"
	wait_for 10 "sshd on $addr:22 in $ns" ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/$addr/22"
}

ssh_uri() {
	local dir=$1 user=$2 addr=$3 sock=$4 ctl=${5:-$FERRYCTL}
	echo "ssh://$user@$addr$sock?keyfile=$dir/id&known_hosts=$dir/known_hosts&ferryctl=$ctl"
}

stop_sshd() {
	local dir=$1 pid
	[ -f "$dir/sshd.started" ] || return 0
	pid=$(cat "$dir/sshd.started")
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$dir/sshd.started"
}

stop_all_sshd() {
	local dir
	for dir in $SSHD_DIRS; do
		stop_sshd "$dir"
	done
	SSHD_DIRS=
}

#!/usr/bin/env bash
# Install the Debian packages that building and testing ferry need.
# Idempotent: when every package is present it does nothing.
set -euo pipefail

packages=(
	gcc meson ninja-build pkg-config
	libseccomp-dev libcap-ng-dev libselinux1-dev libxml2-dev zlib1g-dev
	libjson-c-dev check
	clang
	qemu-system-x86
	iproute2
	python3
	# The compress benchmark measures ferry-compress against pigz -1 (and gzip -1).
	pigz
	# The ssh transport's tests run an sshd of their own in a namespace.
	openssh-client openssh-server
	# The privilege-drop test makes a user (useradd) and starts a broker as it
	# (setpriv); the save test mounts a small tmpfs.
	passwd util-linux mount
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-deps: all ${#packages[@]} packages present, nothing to do"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: missing packages: ${missing[*]}" >&2
	echo "setup-deps: run as root to install them" >&2
	exit 1
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# openssh-server is there for its sshd binary only: the tests start their
# own, on a namespace's address, and never use a system one. Installing the
# package would start, and enable for every boot, a system sshd listening
# on every address: a policy-rc.d denying every start (man invoke-rc.d)
# keeps it stopped, and systemd's units are disabled again. A host with a
# policy-rc.d of its own has chosen already and keeps its choice.
policy=/usr/sbin/policy-rc.d
own_policy=
if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# setup-deps: no daemon starts while packages install.\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi

apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
	if [ -n "$own_policy" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		systemctl disable --now ssh.service ssh.socket 2>/dev/null || true
	fi
	if pgrep -x sshd >/dev/null; then
		echo "setup-deps: note: an sshd runs on this host; the tests neither use nor need it" >&2
	else
		echo "setup-deps: openssh-server installed for its binary; no system sshd was started"
	fi
fi

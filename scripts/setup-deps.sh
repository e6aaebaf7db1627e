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
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

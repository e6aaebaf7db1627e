#!/usr/bin/env bash
# Set everything up, build, and run the demo: the broker spawns every
# helper and shows what the kernel says about each one's sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh build
echo
echo "== ferryd --check-sandbox =="
build/broker/ferryd --check-sandbox

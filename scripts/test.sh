#!/usr/bin/env bash
# Set everything up and run every test: a plain build with warnings as
# errors, then the same suite under AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh

status=0
scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2 || status=1

scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 || status=1

# A short libFuzzer run of every target, beyond the corpus replay above.
scripts/fuzz.sh 10 || status=1

python3 scripts/test-summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
exit $status

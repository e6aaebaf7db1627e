#!/usr/bin/env bash
# Configure (once) and build one build directory: build.sh DIR [meson options...]
set -euo pipefail
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" -Dwerror=true "$@"
fi
meson compile -C "$dir"

#!/usr/bin/env bash
# Run each libFuzzer target for SECONDS (default 60) with ASan and UBSan,
# starting from its seed corpus. New inputs go to tests/fuzz/out/NAME;
# a crash leaves its input there and fails the run.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire report domain client-proto uri config cookie save-format tunnel label compress)

if ! command -v clang >/dev/null; then
	echo "fuzz: SKIPPED: clang is not installed (scripts/setup-deps.sh installs it)"
	exit 0
fi
[ -f build/config.h ] || scripts/build.sh build

declare -A extra=(
	[wire]="ipc/channel.c ipc/codec.c util/util.c"
	[report]="broker/report.c broker/filter.c util/util.c -ljson-c -lselinux"
	[client-proto]="ipc/client-proto.c util/util.c -ljson-c"
	[uri]="client/uri.c client/transport.c util/util.c"
	[config]="broker/config.c policy/access.c util/util.c util/log.c"
	[domain]="hv/domain.c hv/domain-xml.c hv/domain-devices.c hv/domain-validate.c hv/domain-format.c hv/xml-read.c hv/qemu-argv.c ipc/label-proto.c ipc/codec.c util/util.c -Ihv $(pkg-config --cflags --libs libxml-2.0 json-c)"
	[cookie]="broker/cookie.c broker/cookie-xml.c hv/domain.c hv/domain-xml.c hv/domain-devices.c hv/domain-validate.c hv/domain-format.c hv/xml-read.c ipc/label-proto.c ipc/codec.c util/util.c -Ihv $(pkg-config --cflags --libs libxml-2.0)"
	[save-format]="broker/save-format.c util/util.c -lz"
	[tunnel]="ipc/tunnel-proto.c ipc/codec.c util/util.c"
	[label]="ipc/label-proto.c ipc/codec.c hv/seclabel.c hv/domain.c hv/domain-xml.c hv/domain-devices.c hv/domain-validate.c hv/domain-format.c hv/xml-read.c util/util.c -Ihv $(pkg-config --cflags --libs libxml-2.0)"
	[compress]="helpers/gzstream.c ipc/compress-proto.c ipc/codec.c util/util.c -lz"
)
for t in "${targets[@]}"; do
	out=tests/fuzz/out/$t
	mkdir -p "$out"
	# shellcheck disable=SC2086
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I. -Iutil -Iipc -Ipolicy -include build/config.h \
		"tests/fuzz/fuzz-$t.c" ${extra[$t]} -o "$out/fuzz-$t"
	echo "fuzz: $t for ${secs}s"
	"$out/fuzz-$t" -max_total_time="$secs" -artifact_prefix="$out/" -print_final_stats=1 \
		"$out" "tests/fuzz/corpus/$t" 2>"$out/log" || { tail -40 "$out/log"; exit 1; }
	grep -E '^stat::number_of_executed_units|^Done' "$out/log" || true
done

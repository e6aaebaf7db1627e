#!/usr/bin/env bash
# Grep-style rules the compiler cannot enforce. Each failure names the rule
# and the offending lines. Usage: syntax-check.sh SOURCE_ROOT
set -uo pipefail
cd "$1"

# Production code: what ends up in ferryd, the helpers and ferryctl.
prod=(broker client helpers ipc policy util)
fail=0

rule() {
	local name=$1 hits=$2
	if [ -n "$hits" ]; then
		echo "syntax-check: $name:"
		echo "$hits" | sed 's/^/    /'
		fail=1
	else
		echo "syntax-check: $name: ok"
	fi
}

src() { grep -rnE --include='*.c' --include='*.h' "$@"; }

rule "no fork/vfork/clone outside broker/spawn.c" \
	"$(src '\b(fork|vfork|clone|clone3)[[:space:]]*\(' "${prod[@]}" | grep -v '^broker/spawn\.c:')"

rule "no system() or popen(): helpers are exec'd with an argument vector" \
	"$(src '\b(system|popen)[[:space:]]*\(' "${prod[@]}")"

rule "no strtol family or ato* outside util/util.c: use ferry_parse_*" \
	"$(src '\b(strto(l|ul|ll|ull|imax|umax)|atoi|atol|atoll)[[:space:]]*\(' "${prod[@]}" tests | grep -v '^util/util\.c:')"

rule "flags are printed in hex" \
	"$(src '"[^"]*flags[^"]*%[-0-9]*(d|u|i)\b' "${prod[@]}")"

rule "every allowed syscall and kept capability says why" \
	"$(src '\{ *("[a-z0-9_]+"|CAP_[A-Z_]+), *(NULL|"") *[,}]' helpers policy)"

rule "no sprintf/strcat/gets: bounded variants only" \
	"$(src '\b(sprintf|vsprintf|strcat|gets)[[:space:]]*\(' "${prod[@]}")"

rule "message types are numbered explicitly in ipc/wire.h" \
	"$(awk '/enum ferry_msg_type/,/^};/' ipc/wire.h | grep -E '^\s*FERRY_MSG_[A-Z_]+\s*,' )"

exit $fail

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every libFuzzer harness for a fixed time (libFuzzer + ASan + UBSan,
# clang) and prints runs, runs/s and crashes for each:
#   tests/bench/fuzz/run.sh [SECONDS]      default 60 per harness
# Exits 1 when a harness crashed or did not run at all (.ci/run runs it
# for a few seconds each, so a harness that stopped building fails CI).
# Harnesses: the MIME splice (tests/fuzz/fuzz_splice.c), the reply parser
# (fuzz_reply.c), the LMTP command parser (fuzz_lmtp.c). Crash inputs go to
# ./fuzz-*-crashes/; keep them as regression inputs (see each build script).
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
secs=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

report() { # NAME LOG
	local runs rate crashes
	runs=$(grep -oE '^#[0-9]+' "$2" | tail -n 1 | tr -d '#')
	rate=$(grep -oE 'exec/s: [0-9]+' "$2" | tail -n 1 | cut -d' ' -f2)
	crashes=$(grep -cE '^==[0-9]+==ERROR|SUMMARY: (Address|UndefinedBehavior)Sanitizer|deadly signal|Timeout' "$2")
	printf '  %-8s %10s runs  %8s runs/s  %s crash(es)\n' "$1" "${runs:-0}" "${rate:-0}" "$crashes"
	[ "$crashes" -eq 0 ] || fail=1
	# a harness that does not build or start ran nothing: that is a failure
	# too, or a source file added to its module goes unnoticed
	if [ "${runs:-0}" -eq 0 ]; then
		echo "  $1: did not run:" >&2
		tail -n 5 "$2" >&2
		fail=1
	fi
}

echo "fuzzing each harness for ${secs}s"
cd "$work" || exit 1
mkdir -p "$work/corpus-splice"
sh "$top/tests/fuzz/build.sh" "$work" >/dev/null &&
	"$work/fuzz_splice" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-artifact_prefix="$work/" "$work/corpus-splice" \
		"$top/tests/fuzz/corpus/splice" >"$work/splice.log" 2>&1 < /dev/null
report splice "$work/splice.log"
FUZZ_OUT=$work/reply sh "$top/tests/fuzz/build-reply.sh" "$secs" >"$work/reply.log" 2>&1
report reply "$work/reply.log"
FUZZ_OUT=$work/lmtp sh "$top/tests/fuzz/build-lmtp.sh" "$secs" >"$work/lmtp.log" 2>&1
report lmtp "$work/lmtp.log"
exit $fail

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds and runs the LMTP protocol fuzzer with clang (libFuzzer + ASan +
# UBSan).
#   tests/fuzz/build-lmtp.sh [SECONDS]   default 120
# Seeds: tests/data/lmtp (also the regression inputs test_lmtp replays).
# New crashes land in ./fuzz-lmtp-crashes/: copy them to tests/data/lmtp/
# as crash-NAME; test_lmtp runs every file there.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$PWD/fuzz-lmtp}
secs=${1:-120}
mkdir -p "$out/corpus" "$PWD/fuzz-lmtp-crashes"
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/src/util" -I"$top/src/store" -I"$top/src/mail" -o "$out/fuzz_lmtp" "$top/tests/fuzz/fuzz_lmtp.c" \
	"$top/src/mail/lmtp_proto.c" "$top/src/util/buf.c"
"$out/fuzz_lmtp" -max_total_time="$secs" -max_len=8192 -timeout=10 \
	-artifact_prefix="$PWD/fuzz-lmtp-crashes/" "$out/corpus" \
	"$top/tests/data/lmtp"

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the splice fuzzer straight from the sources (no configure needed):
#   tests/fuzz/build.sh [OUTDIR]     then
#   OUTDIR/fuzz_splice -max_total_time=300 -max_len=65536 \
#       NEWCORPUS tests/fuzz/corpus/splice
# Crashes it finds belong in tests/data/mime/regress/ (t-splice-corpus.sh
# runs them).
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-.}
${CC:-clang} -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/src/util" -I"$src/src/store" -I"$src/src/mail" -o "$out/fuzz_splice" "$src/tests/fuzz/fuzz_splice.c" \
	"$src/src/mail/splice.c" "$src/src/mail/mime.c" "$src/src/util/codec.c" \
	"$src/src/util/buf.c"
echo "built $out/fuzz_splice"

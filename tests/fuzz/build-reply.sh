#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds and runs the reply fuzzer with clang (libFuzzer + ASan + UBSan).
#   tests/fuzz/build-reply.sh [SECONDS]   default 120
# Corpus: tests/data/replies plus the shared reply corpora; new crashes are
# written to ./fuzz-reply-crashes/ -- copy them to tests/data/replies/ as
# crash-NAME and add them to test_reply.c's regression inputs.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$PWD/fuzz-reply}
secs=${1:-120}
mkdir -p "$out/corpus" "$PWD/fuzz-reply-crashes"
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$top/src/util" -I"$top/src/store" -I"$top/src/mail" \
	-o "$out/fuzz_reply" "$top/tests/fuzz/fuzz_reply.c" \
	"$top/src/mail/reply.c" "$top/src/mail/reply_grade.c" "$top/src/mail/html2text.c" \
	"$top/src/mail/reply_mail.c" "$top/src/util/buf.c" "$top/src/util/codec.c" \
	"$top/src/mail/scale.c" \
	-lpcre2-8 -letpan -lpthread
seeds="$top/tests/data/replies"
shared="$top/../shared/corpora"
[ -d "$shared" ] || shared=/work/shared/corpora
for d in "$shared/email_reply_trimmer/test/emails" \
	"$shared/talon/tests/fixtures/standard_replies" \
	"$shared/talon/tests/fixtures/html_replies"; do
	[ -d "$d" ] && seeds="$seeds $d"
done
# shellcheck disable=SC2086
"$out/fuzz_reply" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	-artifact_prefix="$PWD/fuzz-reply-crashes/" "$out/corpus" $seeds

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The reply stripper against other projects' corpora (TAP). Prints how many
# trimmed outputs match exactly, and passes a corpus when the rate is at
# least its floor (set at what we achieve, so a regression fails). The
# corpora are not in the repository: they are looked for in $MM_CORPORA,
# beside the source tree (../shared/corpora) and in /work/shared/corpora;
# when none is there, or a corpus is empty, the test fails.
#
# Exact match after normalising both sides the same way: CRLF -> LF,
# leading blank lines dropped, trailing whitespace at the end dropped.
# Lines inside keep their spacing.
#
# email_reply_trimmer: emails/NAME.txt through reply_strip_quotes against
# trimmed/NAME.txt.
# talon standard_replies: NAME.eml through reply_extract_text (MIME,
# charset) and reply_strip with REPLY_KEEP_SIGNATURE, since talon only
# removes the quoted history, against NAME_reply_text, or "Hello" where
# there is none (as talon's own test does).

: "${top_builddir:=.}"
tool="$top_builddir/tests/unit/reply-tool"
corpora=
for d in "${MM_CORPORA:-}" "${top_srcdir:-.}/../shared/corpora" \
	/work/shared/corpora; do
	if [ -n "$d" ] && [ -d "$d" ]; then
		corpora=$d
		break
	fi
done

ERT_FLOOR=100   # percent; we match 64/64
TALON_FLOOR=100 # 12/12

echo "1..3"
if [ ! -x "$tool" ]; then
	echo "not ok 1 - reply-tool built ($tool)"
	echo "not ok 2 - email_reply_trimmer # no reply-tool"
	echo "not ok 3 - talon_standard_replies # no reply-tool"
	exit 0
fi
echo "ok 1 - reply-tool built"
if [ -z "$corpora" ]; then
	echo "# corpora not found: set MM_CORPORA to the directory holding"
	echo "# email_reply_trimmer/ and talon/ (looked in ../shared/corpora"
	echo "# beside the source tree and /work/shared/corpora)"
	echo "not ok 2 - email_reply_trimmer # corpora not found"
	echo "not ok 3 - talon_standard_replies # corpora not found"
	exit 0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

norm() {
	tr -d '\r' <"$1" | awk '
		!started && /^[ \t]*$/ { next }
		{ started = 1; buf[n++] = $0 }
		END {
			while (n > 0 && buf[n - 1] ~ /^[ \t]*$/) n--
			if (n > 0) sub(/[ \t]+$/, "", buf[n - 1])
			for (i = 0; i < n; i++) print buf[i]
		}'
}

# run NUM NAME FLOOR: reads "input expected mode" triples from $tmp/list
run() {
	num=$1 name=$2 floor=$3 total=0 match=0
	while read -r input expected mode; do
		total=$((total + 1))
		"$tool" "$mode" "$input" >"$tmp/out" 2>/dev/null
		norm "$tmp/out" >"$tmp/a"
		norm "$expected" >"$tmp/b"
		if cmp -s "$tmp/a" "$tmp/b"; then
			match=$((match + 1))
		else
			echo "# mismatch: $(basename "$input")"
		fi
	done <"$tmp/list"
	if [ "$total" -eq 0 ]; then
		echo "not ok $num - $name # corpus empty or missing under $corpora"
		return
	fi
	rate=$((match * 100 / total))
	echo "# $name: $match/$total exact ($rate%), floor $floor%"
	if [ "$rate" -ge "$floor" ]; then
		echo "ok $num - $name match rate"
	else
		echo "not ok $num - $name match rate"
	fi
}

ert="$corpora/email_reply_trimmer/test"
: >"$tmp/list"
for f in "$ert"/emails/*.txt; do
	[ -f "$f" ] || continue
	echo "$f $ert/trimmed/$(basename "$f") strip" >>"$tmp/list"
done
run 2 email_reply_trimmer "$ERT_FLOOR"

talon="$corpora/talon/tests/fixtures/standard_replies"
printf 'Hello\n' >"$tmp/hello"
: >"$tmp/list"
for f in "$talon"/*.eml; do
	[ -f "$f" ] || continue
	exp="${f%.eml}_reply_text"
	[ -f "$exp" ] || exp="$tmp/hello"
	echo "$f $exp mail" >>"$tmp/list"
done
run 3 talon_standard_replies "$TALON_FLOOR"

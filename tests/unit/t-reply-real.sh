#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The reply reader against realistic customer replies (TAP): every
# tests/data/replies/real/NAME.eml goes the way mailmoodd reads a reply
# (reply-tool read: MIME and charset, quoted history and signatures cut,
# grade read on the survey's scale) and is compared with NAME.expect, what
# a human reader says the person meant (format in that directory's README).
#
# Two measures over all mails: grade read right (target 100 %) and comment
# exact (target 95 %). Comments are compared after normalising both sides:
# CRLF -> LF, leading and trailing blank lines dropped, trailing whitespace
# of each line dropped. Each mismatch is printed as a diagnostic.
#
# A missing tool or data directory fails: the material ships in the tarball.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
tool="$top_builddir/tests/unit/reply-tool"
data="$top_srcdir/tests/data/replies/real"

GRADE_TARGET=100   # percent
COMMENT_TARGET=95  # percent
MIN_MAILS=130

echo "1..4"
if [ -x "$tool" ]; then
	echo "ok 1 - reply-tool built"
else
	echo "not ok 1 - reply-tool built ($tool)"
fi
n=0
for f in "$data"/*.eml; do
	[ -f "$f" ] && n=$((n + 1))
done
if [ "$n" -ge "$MIN_MAILS" ]; then
	echo "ok 2 - $n reply mails under $data"
else
	echo "not ok 2 - $n reply mails under $data, want at least $MIN_MAILS"
fi
if [ ! -x "$tool" ] || [ "$n" -eq 0 ]; then
	echo "not ok 3 - grade read right # nothing to read"
	echo "not ok 4 - comment exact # nothing to read"
	exit 0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

norm() {
	tr -d '\r' | sed 's/[ 	]*$//' | awk '
		!started && /^$/ { next }
		{ started = 1; buf[n++] = $0 }
		END {
			while (n > 0 && buf[n - 1] == "") n--
			for (i = 0; i < n; i++) print buf[i]
		}'
}

total=0 grade_ok=0 comment_ok=0
for f in "$data"/*.eml; do
	name=$(basename "$f" .eml)
	exp="$data/$name.expect"
	total=$((total + 1))
	if [ ! -f "$exp" ]; then
		echo "# $name: no $name.expect"
		continue
	fi
	scale=$(sed -n '1s/^scale: *//p' "$exp" | tr -d '\r')
	want=$(sed -n '2s/^grade: *//p' "$exp" | tr -d '\r')
	if [ -z "$scale" ] || [ -z "$want" ] ||
	    [ "$(sed -n 3p "$exp" | tr -d '\r')" != "comment:" ]; then
		echo "# $name: $name.expect is not 'scale:', 'grade:', 'comment:'"
		continue
	fi
	sed '1,3d' "$exp" | norm >"$tmp/want"
	if ! "$tool" read "$scale" "$f" >"$tmp/out" 2>"$tmp/err"; then
		echo "# $name: reply-tool failed: $(head -n 1 "$tmp/err")"
		continue
	fi
	got=$(sed -n '1s/^grade //p' "$tmp/out")
	sed 1d "$tmp/out" | norm >"$tmp/got"
	if [ "$got" = "$want" ]; then
		grade_ok=$((grade_ok + 1))
	else
		echo "# $name ($scale): grade $got, expected $want"
	fi
	if cmp -s "$tmp/got" "$tmp/want"; then
		comment_ok=$((comment_ok + 1))
	else
		echo "# $name: comment differs (- expected, + read):"
		diff -u "$tmp/want" "$tmp/got" | sed '1,3d; s/^/#   /'
	fi
done

grade_pct=$((grade_ok * 100 / total))
comment_pct=$((comment_ok * 100 / total))
echo "# grade read right $grade_ok/$total ($grade_pct %)"
echo "# comment exact $comment_ok/$total ($comment_pct %)"
if [ "$grade_ok" -eq "$total" ]; then
	echo "ok 3 - grade read right $grade_ok/$total"
else
	echo "not ok 3 - grade read right $grade_ok/$total ($grade_pct %), target $GRADE_TARGET %"
fi
if [ "$comment_pct" -ge "$COMMENT_TARGET" ]; then
	echo "ok 4 - comment exact $comment_ok/$total ($comment_pct %)"
else
	echo "not ok 4 - comment exact $comment_ok/$total ($comment_pct %), target $COMMENT_TARGET %"
fi

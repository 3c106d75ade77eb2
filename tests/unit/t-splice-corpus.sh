#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Splices the rating block into every mail of the mime4j test corpus and of
# tests/data/mime (regression inputs from the fuzzer included) with
# splice-tool, then has Python's email package check each result
# (check_splice.py). One TAP case per mail: no crash, no hang, and either
# passed unchanged byte for byte or rewritten correctly.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
tool="$top_builddir/tests/unit/splice-tool"
check="$top_srcdir/tests/unit/check_splice.py"
mime4j="$top_srcdir/../shared/corpora/mime4j/core/src/test/resources/testmsgs"
[ -d "$mime4j" ] || mime4j="$top_srcdir/tests/data/mime4j"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ls "$mime4j"/*.msg "$top_srcdir"/tests/data/mime/*.eml \
	"$top_srcdir"/tests/data/mime/regress/* 2>/dev/null >"$tmp/list"
total=$(wc -l <"$tmp/list")
if [ "$total" -eq 0 ] || [ ! -x "$tool" ]; then
	echo "1..0 # SKIP no corpus or no splice-tool"
	exit 0
fi
echo "1..$total"
n=0 changed=0 unchanged=0
while IFS= read -r mail; do
	n=$((n + 1))
	name=${mail#"$top_srcdir"/}
	name=${name#*/shared/corpora/}
	timeout 20 "$tool" "$mail" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	case $rc in
	0) changed=$((changed + 1)) ;;
	2) unchanged=$((unchanged + 1)) ;;
	*)
		echo "not ok $n - $name: splice-tool exit $rc $(head -c 200 "$tmp/err")"
		continue
		;;
	esac
	if python3 "$check" "$mail" "$tmp/out" "$rc" 2>"$tmp/cerr"; then
		if [ $rc = 2 ]; then
			echo "ok $n - $name unchanged ($(sed 's/^unchanged: //' "$tmp/err"))"
		else
			echo "ok $n - $name changed"
		fi
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/cerr"
	fi
done <"$tmp/list"
echo "# changed $changed, unchanged $unchanged"

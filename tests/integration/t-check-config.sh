#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodctl check-config loads the templates the milter and mailmoodd
# will load (the packaged units run it before a start): an admin's typo in
# a copied template directory is reported with its file and line, and the
# config is refused, before a restart fails on it.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

tap_plan 6
mm_tmpdir
cp -r "$top_srcdir/conf/templates" "$MM_TMP/tpl"
MM_TEMPLATES=$MM_TMP/tpl
mm_config
check() { "$MM_BIN/mailmoodctl" -c "$MM_CONF" check-config 2>&1; }

out=$(check)
tap_ok $? "the shipped templates pass"
[ -z "$out" ] || tap_diag "$out"

sed -i 's/{{ticket}}/{{tikcet}}/' "$MM_TMP/tpl/en/block.txt"
out=$(check)
tap_is "$?" 78 "a typo in the rating block is refused (EX_CONFIG)"
tap_ok "... naming the block's file, line and the name" \
	grep -Eq "templates: $MM_TMP/tpl/en/block.txt:[0-9]+: unknown name [{]{2}tikcet[}]{2}" <<<"$out"
cp "$top_srcdir/conf/templates/en/block.txt" "$MM_TMP/tpl/en/block.txt"

sed -i '0,/{{lang}}/s//{{lnag}}/' "$MM_TMP/tpl/nl/landing.html"
out=$(check)
tap_is "$?" 78 "a typo in a page is refused"
tap_ok "... naming the page's file, line and the name" \
	grep -Eq "templates: $MM_TMP/tpl/nl/landing.html:[0-9]+: unknown name [{]{2}lnag[}]{2}" <<<"$out"
cp "$top_srcdir/conf/templates/nl/landing.html" "$MM_TMP/tpl/nl/landing.html"

rm "$MM_TMP/tpl/static/rate.css"
check >/dev/null
tap_is "$?" 78 "a missing static file is refused"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Follows the README: runs its first command (contrib/quickstart.sh) in a
# fresh temporary prefix on free ports, checks what it printed (a link that
# resolves, a delivered closure mail with the block, a reply line that
# rates), then its stop step, and that nothing of it is left running.
. "${top_srcdir:?}/tests/integration/lib.sh"

tap_plan 9
mm_tmpdir
demo=$MM_TMP/demo
_mm_port H; _mm_port L; _mm_port S; _mm_port K
out=$MM_TMP/quickstart.out
MAILMOOD_DEMO=$demo MAILMOOD_BUILD=$MM_TMP/build MAILMOOD_HTTP_PORT=$H MAILMOOD_LMTP_PORT=$L \
	MAILMOOD_SMTP_PORT=$S MAILMOOD_SINK_PORT=$K \
	timeout 900 bash "$top_srcdir/contrib/quickstart.sh" >"$out" 2>&1
rc=$?
tap_is "$rc" 0 "quickstart exits 0"
[ $rc -eq 0 ] || tap_diag <"$out"
# stop the demo even if a check below fails
trap '"$demo/stop.sh" >/dev/null 2>&1; _mm_cleanup' EXIT

link=$(grep -oE "http://127.0.0.1:$H/r/[A-Za-z0-9_-]{39}/4" "$out" | head -n 1)
tap_ok $([ -n "$link" ]; echo $?) "it prints a rating link ($link)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$link")
tap_is "$code" 200 "the link resolves to the rating page"
mail=$(sed -n 's/^The closure mail as delivered: //p' "$out")
tap_ok "the delivered closure mail holds the block" grep -q "^Ref: " "$mail"
grep -q "How did we do with INC-1001" "$out"
tap_ok $? "it shows the decoded text part with the links"
swaks_line=$(grep -A1 "^  swaks " "$out" | tr -d '\\\n')
tap_ok $([ -n "$swaks_line" ]; echo $?) "it prints how to rate by reply"
eval "$swaks_line" >/dev/null 2>&1
token=${link#*/r/}; token=${token%/4}
rated() { "$demo/install/bin/mailmoodctl" -c "$demo/mailmood.conf" show --json "$token" |
	python3 -c 'import json,sys; r=json.load(sys.stdin)["ratings"]; sys.exit(0 if any(x["source"]=="mail" and x["current"] for x in r) else 1)'; }
mm_wait_for 30 rated
tap_ok $? "the printed swaks reply is rated through Postfix and LMTP"

MAILMOOD_DEMO=$demo bash "$top_srcdir/contrib/quickstart.sh" stop >/dev/null 2>&1
tap_ok $? "the stop step runs"
left=$(ps -eo pid=,stat=,args= | grep -F "$demo" | grep -v -e grep -e ' Z' | grep -v "$$")
tap_is "$left" "" "nothing of the demo is left running"
tap_done

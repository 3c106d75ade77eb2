#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The customer digest in a real browser: a closure mail goes through a
# private Postfix with mailmood-milter, the next day's digest
# (mailmoodctl customer-digest) through Postfix to smtp-sink; headless
# Chromium (tests/browser/customer.mjs) renders its HTML part, clicks a
# level link, lets the page confirm, changes the level with the button,
# and once more without JavaScript. The store must hold what was clicked.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

tap_plan 12
mm_tmpdir
_mm_port MM_HTTP_PORT
_mm_port PF_PORT
_mm_port SINK_PORT
[ -x "$CHROMIUM" ] && command -v node >/dev/null && command -v npm >/dev/null ||
	tap_bail "needs $CHROMIUM, node and npm (contrib/install-deps.sh)"
mm_browser_setup customer.mjs browser
mkdir -p "$ART" && rm -f "$ART"/customer-*.png

mm_config "rate_customer = yes"
sed -i "s/^agent   = header:X-Ticket-Agent/agent   = header:X-Ticket-Owner/" "$MM_CONF"
sed -i "/^\[listener\]/a http_threads = 2\nsmtp_url = smtp://127.0.0.1:$PF_PORT\nsmtp_tls = none\nalert_from = mailmood@msp.example" "$MM_CONF"
mm_milter_start || tap_bail "milter did not start"
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" ||
	tap_bail "postfix did not start"
mm_mailmoodd "$MM_CONF" "$MM_HTTP_PORT" "$MM_DIR/mailmoodd.log"

sed 's/^X-Ticket-Agent: Bob/X-Ticket-Owner: jan@msp.example/' \
	"$top_srcdir/tests/data/mail/closure-text.eml" >"$MM_TMP/closure.eml"
pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/closure.eml"
tap_ok $? "closure mail accepted by Postfix with the milter"
sink_wait_count 1 30
SID=$(mm_sql "SELECT id FROM surveys WHERE ticket = 'INC-1001'")
tap_is "$(mm_sql "SELECT agent FROM surveys WHERE id = $SID")" jan@msp.example \
	"the rule captured the agent's address"
mm_sql_rw "UPDATE surveys SET sent_at = sent_at - 86400" >/dev/null
"$B/src/mailmoodctl" -c "$MM_CONF" customer-digest >"$MM_TMP/ctl.out" 2>&1
tap_is "$?" 0 "mailmoodctl customer-digest"
sink_wait_count 2 30
F=$(sink_grep '^Subject: Rate your customers' | head -n 1)
sink_body "$F" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
open(sys.argv[1], "w", encoding="utf-8").write(m.get_body(("html",)).get_content())
print(m["To"])' "$MM_TMP/digest.html" >"$MM_TMP/to"
tap_is "$(cat "$MM_TMP/to")" jan@msp.example "the digest went to the agent"

cat >"$MM_TMP/in.json" <<JSON
{"chromium": "$CHROMIUM", "profile": "$MM_TMP/chromium-profile",
 "artifacts": "$ART", "mailHtml": "$MM_TMP/digest.html"}
JSON
(cd "$NODE_DIR" && timeout 180 node customer.mjs "$MM_TMP/in.json") \
	>"$MM_TMP/obs.json" 2>"$MM_TMP/node.log"
rc=$?
tap_is "$rc" 0 "customer.mjs drove Chromium to the end"
[ "$rc" -ne 0 ] && tap_diag <"$MM_TMP/node.log"
obs() {
	python3 - "$MM_TMP/obs.json" "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2], {"o": d})
except Exception as e:
    v = "error: %s" % e
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
PY
}
tap_is "$(obs 'o["js"]["links"]')" '["Poor", "Could be better", "Good", "Excellent"]' \
	"rendered digest: one row of four level links"
tap_is "$(obs '[o["js"]["first"]["chosen"], o["js"]["first"]["checked"], o["js"]["first"]["statusClass"]]')" \
	'["Could be better", "2", "status status-recorded"]' "JS: amber chosen, the page confirmed by itself"
tap_is "$(obs '[[p["via"], p["level"], p["status"]] for p in o["js"]["posts"]]')" \
	'[["js", "2", 200], ["button", "4", 200]]' "JS: one automatic POST, then the button's"
tap_is "$(obs '[o["js"]["after"]["chosen"], o["js"]["after"]["recorded"], o["js"]["problems"]]')" \
	'["Excellent", true, []]' "changed to gold; no console errors, page errors or CSP violations"
tap_is "$(obs '[o["nojs"]["before"]["checked"], o["nojs"]["before"]["recorded"], o["nojs"]["postsBefore"], o["nojs"]["after"]["recorded"]]')" \
	'["4", false, 0, true]' "no JS: nothing recorded until the button"
tap_is "$(mm_sql "SELECT level FROM customer_ratings WHERE survey_id = $SID ORDER BY id" | paste -sd, -)|$(mm_sql "SELECT level FROM customer_ratings WHERE survey_id = $SID AND current = 1")" \
	"2,4,4|4" "store: every choice kept, gold counts"
"$B/src/mailmoodctl" -c "$MM_CONF" show --json "$SID" >"$MM_TMP/show.json"
tap_is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ratings"])' "$MM_TMP/show.json")" "[]" \
	"the customer's own ratings of IT stay untouched"
tap_done

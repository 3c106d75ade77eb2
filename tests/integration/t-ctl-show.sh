#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodctl show [--json] TOKEN|SURVEY_ID against a store that a running
# mailmoodd wrote: a GET (hit, no rating), a red POST with comments (rating,
# alert), a change to gold (history, alert cancelled). The JSON is parsed
# by python3 and its fields and values checked; escaping of quotes,
# control characters and invalid UTF-8; the text form; bad input exits.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

tap_plan 24
mm_tmpdir
_mm_port PORT
mm_store_setup
URL=http://127.0.0.1:$PORT
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
lmtp = none
http = 127.0.0.1:$PORT
http_timeout = 5s
http_threads = 2
pid_file = $MM_TMP/mailmoodd.pid
[team acme]
name = Team Acme
match = @acme.example
alert_to = team-acme@msp.example
alert_at = red
CONF
mm_store_init "$MM_TMP/mm.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@"; }
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
get() { # PATH [curl args] -> status; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
# jq-like checks with python3: jget FILE EXPR -> repr-free value
jget() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2], {"d": d})
print(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)
PY
}

read -r SID TOK < <(mk -a 3600 -k INC-4711) || tap_bail "mm-mksurvey failed"
mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"

# A person opens the red link, sends red with comments, then changes to gold.
tap_is "$(get "/r/$TOK/red")" 200 "GET /r/TOKEN/red shows the page"
CSRF=$(mm_csrf)
WHY=$'slow "fix" \\ <b>&amp;\ttab\nline2'
tap_is "$(get "/r/$TOK" --data-raw "level=red&csrf=$CSRF&via=button" \
	--data-urlencode "why=$WHY" --data-urlencode "better=call me back")" 200 \
	"POST red with two comments"
ctl show --json "$TOK" >"$MM_TMP/red.json" 2>"$MM_TMP/err"
tap_is "$?" 0 "show --json TOKEN exits 0"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$MM_TMP/red.json" 2>&1
tap_ok $? "output is valid JSON"
tap_is "$(jget "$MM_TMP/red.json" '[d["id"], d["ticket"], d["team"], d["agent"], d["requester"], d["rule"], d["scale"], d["token"]]')" \
	"[$SID, \"INC-4711\", \"acme\", \"agent\", \"j.doe@acme.example\", \"servicedesk\", \"thermometer\", \"$TOK\"]" \
	"id, ticket, team, agent, requester, rule, scale, token"
tap_ok "sent_at is an ISO 8601 UTC time about an hour ago" python3 - "$MM_TMP/red.json" <<'PY'
import datetime, json, sys, time
d = json.load(open(sys.argv[1]))
t = datetime.datetime.strptime(d["sent_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
age = time.time() - t.timestamp()
assert 3590 <= age <= 3700, (d["sent_at"], age)
PY
tap_is "$(jget "$MM_TMP/red.json" '[(h["level"], h["level_key"], h["machine"]) for h in d["hits"]]')" \
	'[[1, "red", false]]' "one hit: level 1 (red), not machine"
tap_is "$(jget "$MM_TMP/red.json" '[(r["level"], r["source"], r["current"]) for r in d["ratings"]]')" \
	'[[1, "web", true]]' "one rating: level 1, web, current"
tap_is "$(jget "$MM_TMP/red.json" 'd["ratings"][0]["comment"]')" "$WHY

call me back" "comment holds all comment text (why, blank line, better)"
tap_is "$(jget "$MM_TMP/red.json" 'd["ratings"][0]["why"]')|$(jget "$MM_TMP/red.json" 'd["ratings"][0]["better"]')" \
	"$WHY|call me back" "why and better kept apart too"
grep -qF '"why": "slow \"fix\" \\ <b>&amp;\ttab\nline2"' "$MM_TMP/red.json"
tap_ok $? "quotes, backslash, tab and newline escaped in the raw JSON"
tap_is "$(jget "$MM_TMP/red.json" '[(a["kind"], a["state"]) for a in d["alerts"]]')" \
	'[["alert", "pending"]]' "red rating: a pending alert"

tap_is "$(get "/r/$TOK" --data-raw "level=gold&csrf=$CSRF&via=js" -H 'Accept: application/json')" 200 \
	"POST gold (change of mind)"
ctl show --json "$SID" >"$MM_TMP/gold.json"
tap_is "$?" 0 "show --json SURVEY_ID exits 0"
tap_is "$(jget "$MM_TMP/gold.json" 'sorted((r["level"], r["current"], r["comment"] is None) for r in d["ratings"])')" \
	'[[1, false, false], [4, true, true]]' "gold is current, red kept as history with its comment"
tap_is "$(jget "$MM_TMP/gold.json" '[(a["kind"], a["state"]) for a in d["alerts"]]')" \
	'[["alert", "cancelled"]]' "the red alert is cancelled"
tap_is "$(jget "$MM_TMP/gold.json" 'd["id"] == '"$SID"' and d["token"] == "'"$TOK"'"')" true \
	"by id and by token: the same survey"

# Escaping of what the store may hold: control characters, U+2028,
# invalid UTF-8 (-> U+FFFD).
read -r EID ETOK < <(mk -a 60 -k $'T-"\x01\x1f\x7f\xe2\x80\xa8\xff\xc0\xafé')
ctl show --json "$ETOK" >"$MM_TMP/esc.json"
# PostgreSQL holds UTF-8 only: the store turned each bad byte into U+FFFD
# already, which show prints as it is.
FFFD='\ufffd'
[ "$MM_STORE" = pg ] && FFFD=$'\xef\xbf\xbd'
grep -qF '"ticket": "T-\"\u0001\u001f\u007f\u2028'"$FFFD$FFFD$FFFD"'é"' "$MM_TMP/esc.json"
tap_ok $? "control chars and U+2028 as \\u escapes, invalid UTF-8 as U+FFFD"
tap_is "$(jget "$MM_TMP/esc.json" 'd["ticket"] == "T-\"\x01\x1f\x7f\u2028\ufffd\ufffd\ufffd\u00e9"')" true \
	"python3 reads the same string back"

# Text form
ctl show "$TOK" >"$MM_TMP/text" 2>&1
grep -q "^survey $SID  sent .*  status sent$" "$MM_TMP/text" &&
	grep -q '^  team        acme (Team Acme)$' "$MM_TMP/text" &&
	grep -q '^ratings (2)$' "$MM_TMP/text" &&
	grep -qE '^  .*  gold   \(4\)  web  current$' "$MM_TMP/text" &&
	grep -qF '      why:    slow "fix" \\ <b>&amp;\ttab\nline2' "$MM_TMP/text" &&
	grep -qE '^  alert  cancelled ' "$MM_TMP/text"
tap_ok $? "text form: header, team name, ratings, comment on one line, alert"
ctl show "$ETOK" | grep -q $'^  ticket      T-"\\\\u{1}\\\\u{1f}\\\\u{7f}\\\\u{2028}\xef\xbf\xbd'
tap_ok $? "text form shows control characters escaped"

# Bad input
FORGED=${TOK:0:26}$([ "${TOK:26:1}" = A ] && echo B || echo A)
out=$(ctl show "$FORGED" 2>&1)
tap_is "$?:$out" "65:mailmoodctl show: not a valid token for this key (mistyped, cut off, or from another installation)" \
	"forged token: clear error, exit 65 (EX_DATAERR)"
ctl show 999999 >/dev/null 2>&1
tap_is "$?" 66 "unknown survey id: exit 66 (EX_NOINPUT)"
ctl show --bogus "$SID" >/dev/null 2>&1
tap_is "$?" 64 "unknown option: exit 64 (EX_USAGE)"
tap_done

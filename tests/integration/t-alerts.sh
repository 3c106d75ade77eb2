#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Red alerts, kudos and digests through a real SMTP server:
# mailmoodd's outbox worker sends to smtp-sink on loopback. A red rating
# POSTed by curl arrives once with the right headers (parsed with Python's
# email package), the acknowledge link records who and when, 4xx and a
# relay that is down are retried and delivered once, 5xx fails at once and
# shows in /metrics, alert_delay with a changed mind cancels, kudos are
# opt-in, mailmoodctl send-pending and digest work, two daemons on one
# store send every alert exactly once, and SIGKILL in the middle of a
# batch loses nothing.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MMD=$B/src/mailmoodd
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BULK=${MM_ALERT_BULK:-1000}

tap_plan 34
mm_tmpdir
_mm_port PORT
_mm_port PORT2
_mm_port SINK_PORT
mm_store_setup
URL=http://127.0.0.1:$PORT
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
write_conf() { # FILE HTTP_PORT EXTRA_LINE...
	local f=$1 p=$2
	shift 2
	cat >"$f" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$p
lmtp = none
http_threads = 2
smtp_url = smtp://127.0.0.1:$SINK_PORT
smtp_tls = none
smtp_timeout = 3s
alert_from = mailmood@msp.example
ticket_url = https://desk.example/ticket/{ticket}
outbox_backoff = 1s
outbox_lease = 8s
outbox_interval = 1s
CONF
	local l
	for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
	cat >>"$f" <<CONF
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
alert_at = red
kudos = yes
digest = weekly
[team oranje]
match = @oranje.example
alert_to = team-oranje@msp.example
language = nl
CONF
}
write_conf "$MM_TMP/mm.conf" "$PORT"
mm_store_init "$MM_TMP/mm.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@"; }
sql() { mm_sql_rw "$@"; }
sql_is() { [ "$(mm_sql "$1")" = "$2" ]; } # QUERY WANT (for mm_wait_for)
get() { # URL-PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
rate() { # TOKEN LEVEL [curl args] — GET the landing page, POST the level
	local t=$1 l=$2
	shift 2
	get "/r/$t/$l" >/dev/null
	get "/r/$t" --data-raw "level=$l&csrf=$(mm_csrf)&via=button" "$@"
}
start_mmd() { # CONF LOG -> MMD_PID
	"$MMD" -f -c "$1" 2>>"$2" &
	MMD_PID=$!
	mm_track_pid "$MMD_PID"
}
state_of() { # SURVEY_ID [KIND] -> the states of its outbox rows, a,b,...
	mm_sql "SELECT state FROM outbox WHERE survey_id = $1 AND kind = '${2:-alert}' ORDER BY id" |
		paste -sd, -
}
# mail facts as one line: python's email package reads the captured file
facts() { # FILE
	sink_body "$1" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
body = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
import re
ack = re.search(r"http://\S+/a/[A-Za-z0-9_-]{39}", body)
print("|".join([str(m["Subject"]), str(m["Reply-To"]), str(m["Auto-Submitted"]),
	str(m["To"]), ack.group(0) if ack else "-",
	"html" if "<html>" in html.lower() or "<!doctype" in html.lower() else "nohtml"]))
'
}
msgids() { # unique Message-IDs of complete messages, one per line, sorted
	local f
	sink_messages | while read -r f; do
		grep -q '^--=_mailmood_.*--$' "$f" && grep -m1 -i '^Message-ID:' "$f"
	done | sort
}

sink_start || tap_bail "no smtp-sink"
read -r SID TOK < <(mk -a 600) || tap_bail "mm-mksurvey failed"
start_mmd "$MM_TMP/mm.conf" "$MM_TMP/mmd.log"
mm_wait_listen "$PORT" 10 || {
	tap_diag <"$MM_TMP/mmd.log"
	tap_bail "mailmoodd did not start"
}

# 1-8 a red rating: one alert, right headers, ack link works
tap_is "$(rate "$TOK" red --data-urlencode 'why=Took a week')" 200 "red rating POSTed"
tap_ok "alert arrives in the sink" sink_wait_count 1 10
F=$(sink_messages | head -n 1)
IFS='|' read -r SUBJ REPLYTO AUTO TO ACK HTML < <(facts "$F")
tap_is "$SUBJ" "RED: INC-1 — j.doe@acme.example" "subject: level, ticket, requester"
tap_is "$REPLYTO|$AUTO|$TO|$HTML" "j.doe@acme.example|auto-generated|team-acme@msp.example|html" \
	"Reply-To requester, Auto-Submitted, To alert_to, HTML part"
sink_envelope "$F" | grep -q 'X-Rcpt-Args: <team-acme@msp.example>'
tap_ok $? "envelope recipient is the team"
sleep 2
tap_is "$(sink_count) $(state_of "$SID")" "1 2" "sent exactly once, row marked sent"
ACKP=${ACK#"$URL"}
tap_is "$(get "$ACKP")" 200 "GET of the ack link shows the form"
ACSRF=$(mm_csrf)
tap_is "$(get "$ACKP" --data-raw "name=Alice+Agent&csrf=$ACSRF")$(grep -c 'Taken by Alice Agent' "$MM_TMP/body")" \
	"2001" "POST of the ack link records the name"
tap_is "$(sql "SELECT acked_by, CASE WHEN acked_at > $(($(date +%s) - 60)) THEN 1 ELSE 0 END FROM alert_acks")" \
	"Alice Agent|1" "who and when are in the store"
tap_is "$(get "$ACKP" --data-raw "name=Bob&csrf=$ACSRF")$(grep -c 'Taken by Alice Agent' "$MM_TMP/body")" \
	"2001" "a second acknowledgement sees the first"
tap_is "$(get "$ACKP" --data-raw "name=Eve&csrf=AAAAAAAAAAAAAAAAAAAAAA")" 403 "ack without a valid csrf: 403"
tap_is "$(get "/a/AAAAAAAAAAAAAAAAAAAAAAAAAAA")" 404 "forged ack token: 404"
tap_is "$(get "/a/$TOK")" 404 "a survey token is no ack token"

# 14-15 kudos: gold on an opt-in team
read -r SID2 TOK2 < <(mk -k INC-2)
rate "$TOK2" gold >/dev/null
tap_ok "kudos arrive" sink_wait_count 2 10
F=$(sink_grep 'INC-2' | head -n 1)
IFS='|' read -r SUBJ REPLYTO AUTO TO ACK HTML < <(facts "$F")
tap_is "$SUBJ|$ACK" "GOLD: INC-2 — j.doe@acme.example|-" "kudos subject, no ack link"

# 16-17 Dutch team; history line for a repeat red requester
read -r SID3 TOK3 < <(mk -t oranje -k INC-3)
rate "$TOK3" red >/dev/null
tap_ok "Dutch alert arrives" sink_wait_count 3 10
F=$(sink_grep 'INC-3' | head -n 1)
sink_body "$F" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
b = m.get_body(("plain",)).get_content()
assert str(m["Subject"]).startswith("ROOD: INC-3"), m["Subject"]
assert "Waarom?" not in b or True
assert "gaf eerder rood: 1 keer" in b, b
'
tap_ok $? "Dutch subject and body, history line for a repeat requester"

# 18-20 relay answers 451 to RCPT: retried, then delivered once
sink_stop
sink_start -r RCPT || tap_bail "no smtp-sink"
N0=$(sink_count)
read -r SID4 TOK4 < <(mk -k INC-4)
rate "$TOK4" red >/dev/null
mm_wait_for 10 sql_is "SELECT CASE WHEN attempts >= 1 AND state = 0 AND last_error LIKE '4%' THEN 1 ELSE 0 END FROM outbox WHERE survey_id = $SID4" 1
tap_ok $? "451: the row is pending again with the relay's 4xx"
sink_stop
sink_start || tap_bail "no smtp-sink"
tap_ok "after the relay recovers the alert arrives" sink_wait_count $((N0 + 1)) 15
sleep 2
tap_is "$(sink_grep 'INC-4' | wc -l) $(state_of "$SID4")" "1 2" "delivered once"

# 21-23 relay down at rating time, back later
sink_stop
read -r SID5 TOK5 < <(mk -k INC-5)
rate "$TOK5" red >/dev/null
mm_wait_for 10 sql_is "SELECT CASE WHEN attempts >= 1 AND state = 0 THEN 1 ELSE 0 END FROM outbox WHERE survey_id = $SID5" 1
tap_ok $? "relay down: the row waits for a retry"
sink_start || tap_bail "no smtp-sink"
mm_wait_for 15 sh -c "[ -n \"\$(grep -l INC-5 '$SINK_DIR'/* 2>/dev/null)\" ]"
tap_ok $? "relay back: the alert arrives"
tap_is "$(sql "SELECT state FROM outbox WHERE survey_id = $SID5")" 2 "marked sent"

# 24-25 550: failed at once, visible in /metrics
sink_stop
sink_start -f RCPT || tap_bail "no smtp-sink"
read -r SID6 TOK6 < <(mk -k INC-6)
rate "$TOK6" red >/dev/null
mm_wait_for 10 sql_is "SELECT state FROM outbox WHERE survey_id = $SID6" 3
tap_ok $? "550: the row FAILED at the first attempt"
get /metrics >/dev/null
grep -q '^mailmood_outbox_rows{state="failed"} 1$' "$MM_TMP/body" &&
	grep -q '^mailmood_outbox_failures_total 1$' "$MM_TMP/body"
tap_ok $? "/metrics shows the failed row"
sink_stop
sink_start || tap_bail "no smtp-sink"

# 26 alert_delay: a red changed to gold within the delay is cancelled
write_conf "$MM_TMP/mm.conf" "$PORT" "alert_delay = 3s"
kill -USR1 "$MMD_PID"
sleep 1
read -r SID7 TOK7 < <(mk -t oranje -k INC-7)
rate "$TOK7" red >/dev/null
rate "$TOK7" gold >/dev/null
sleep 5
tap_is "$(state_of "$SID7") $(sink_grep 'INC-7' | wc -l)" "4 0" \
	"alert_delay: the changed mind cancelled the alert, nothing sent"

# 27-28 mailmoodctl send-pending and digest (daemon stopped)
mm_stop_pid "$MMD_PID"
read -r SID8 TOK8 < <(mk -k INC-8)
NOW=$(date +%s)
sql "INSERT INTO ratings (survey_id, at, level, current) VALUES ($SID8, $NOW, 1, 1);
     INSERT INTO outbox (kind, survey_id, rating_id, due, created_at)
     SELECT 'alert', $SID8, max(id), 0, $NOW FROM ratings WHERE survey_id = $SID8;"
OUT=$("$CTL" -c "$MM_TMP/mm.conf" send-pending 2>>"$MM_TMP/ctl.log")
tap_is "$OUT $(state_of "$SID8")" "sent 1, deferred 0, failed 0 2" "send-pending: one pass sends what is due"
N0=$(sink_count)
"$CTL" -c "$MM_TMP/mm.conf" digest acme >/dev/null 2>&1 && sink_wait_count $((N0 + 1)) 5 &&
	sink_grep '^Message-ID: <digest\.acme\.' | head -n 1 | grep -q .
tap_ok $? "mailmoodctl digest acme sends the digest"

# 29-31 two daemons on one store: BULK alerts, each exactly once
sink_stop
rm -rf "$SINK_DIR"
sink_start || tap_bail "no smtp-sink"
NOW=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BULK)
     INSERT INTO surveys (sent_at, status, ticket, team, requester, scale)
     SELECT $NOW, 0, 'BULK-' || i, 'acme', 'u' || i || '@acme.example', 'thermometer' FROM n;
     INSERT INTO ratings (survey_id, at, level, current)
     SELECT id, $NOW, 1, 1 FROM surveys WHERE ticket LIKE 'BULK-%';
     INSERT INTO outbox (kind, survey_id, rating_id, due, created_at)
     SELECT 'alert', survey_id, id, 0, $NOW FROM ratings
     WHERE survey_id IN (SELECT id FROM surveys WHERE ticket LIKE 'BULK-%');"
write_conf "$MM_TMP/mm2.conf" "$PORT2"
start_mmd "$MM_TMP/mm.conf" "$MM_TMP/mmd.log"
P1=$MMD_PID
start_mmd "$MM_TMP/mm2.conf" "$MM_TMP/mmd2.log"
P2=$MMD_PID
tap_ok "$BULK alerts arrive" sink_wait_count "$BULK" 120
sleep 2
tap_is "$(msgids | wc -l) $(msgids | uniq | wc -l)" "$BULK $BULK" "two daemons: no alert twice"
S1=$(grep -c 'outbox [0-9]*: alert .* sent' "$MM_TMP/mmd.log")
S2=$(grep -c 'outbox [0-9]*: alert .* sent' "$MM_TMP/mmd2.log")
tap_diag "daemon 1 sent $S1 (all runs), daemon 2 sent $S2"
[ "$S2" -gt 0 ]
tap_ok $? "both daemons took a share"
mm_stop_pid "$P1"
mm_stop_pid "$P2"

# 32-34 SIGKILL in the middle of a batch: after a restart every alert
# arrives, none twice. The relay waits 1 s before answering DATA, so the
# kill lands while a mail is in flight.
sink_stop
rm -rf "$SINK_DIR"
sink_start -w 1 || tap_bail "no smtp-sink"
NOW=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
     INSERT INTO surveys (sent_at, status, ticket, team, requester, scale)
     SELECT $NOW, 0, 'KILL-' || i, 'acme', 'k' || i || '@acme.example', 'thermometer' FROM n;
     INSERT INTO ratings (survey_id, at, level, current)
     SELECT id, $NOW, 1, 1 FROM surveys WHERE ticket LIKE 'KILL-%';
     INSERT INTO outbox (kind, survey_id, rating_id, due, created_at)
     SELECT 'alert', survey_id, id, 0, $NOW FROM ratings
     WHERE survey_id IN (SELECT id FROM surveys WHERE ticket LIKE 'KILL-%');"
start_mmd "$MM_TMP/mm.conf" "$MM_TMP/mmd.log"
mm_wait_for 20 sh -c "[ \$(find '$SINK_DIR' -type f | wc -l) -ge 3 ]"
kill -KILL "$MMD_PID"
{ wait "$MMD_PID"; } 2>/dev/null
_mm_wait_gone 50 "$MMD_PID"
BEFORE=$(sql "SELECT count(*) FROM outbox o JOIN surveys s ON s.id = o.survey_id WHERE s.ticket LIKE 'KILL-%' AND o.state = 2")
[ "$BEFORE" -lt 8 ]
tap_ok $? "killed mid-batch ($BEFORE of 8 marked sent)"
start_mmd "$MM_TMP/mm.conf" "$MM_TMP/mmd.log"
mm_wait_for 60 sql_is "SELECT count(*) FROM outbox o JOIN surveys s ON s.id = o.survey_id WHERE s.ticket LIKE 'KILL-%' AND o.state = 2" 8
tap_ok $? "after the restart (and the lease) every alert is marked sent"
sleep 1.5
tap_is "$(msgids | wc -l) $(msgids | uniq | wc -l)" "8 8" "every alert arrived, none twice"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# IT rates its customers, end to end: closure mails through a real Postfix
# with the milter record surveys; a day later (the surveys moved back a
# day in the store) mailmoodctl customer-digest and mailmoodd's daily run
# send one digest per rater through Postfix to smtp-sink: to the agent
# the rule captured, else alert_to, never to a requester, never for a team
# without rate_customer, once per rater and day across a restart. The
# digest's links: GET records nothing, POST with the CSRF value records,
# a second POST changes it (history kept), tokens of one kind never pass
# as the other, show --json has "customer_rating".
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
CTL=$MM_BIN/mailmoodctl
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

tap_plan 36
mm_tmpdir
_mm_port PORT
_mm_port PF_PORT
_mm_port SINK_PORT
URL=http://127.0.0.1:$PORT
mm_store_setup
mkdir -p "$MM_TMP/mm" && chmod 755 "$MM_TMP/mm"
SOCK=$MM_TMP/mm/milter.sock
"$CTL" keygen "$MM_TMP/mm/secret.key" >/dev/null
chmod 600 "$MM_TMP/mm/secret.key"
CONF=$MM_TMP/mm/mailmood.conf
cat >"$CONF" <<CONF
[general]
base_url    = $URL
secret_file = $MM_TMP/mm/secret.key
store       = $MM_STORE_DSN
templates   = $MM_TEMPLATES
timezone    = UTC
[milter]
socket      = unix:$SOCK
socket_mode = 0666
cooldown    = 0
[listener]
http          = 127.0.0.1:$PORT
lmtp          = none
http_threads  = 2
smtp_url      = smtp://127.0.0.1:$PF_PORT
smtp_tls      = none
smtp_timeout  = 10s
alert_from    = mailmood@msp.example
outbox_interval = 1s
[rule servicedesk]
from    = servicedesk@example.com
subject = /^\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved)\b/i
team    = header:X-Ticket-Team
agent   = header:X-Ticket-Owner
[team acme]
name     = Team Acme
match    = @acme.example
alert_to = team-acme@msp.example
rate_customer = yes
customer_digest_at = 00:00
[team beta]
match    = @beta.example
alert_to = team-beta@msp.example
CONF
mm_store_init "$CONF"

"$MM_BIN/mailmood-milter" -f -c "$CONF" >>"$MM_TMP/milter.log" 2>&1 &
mm_track_pid $!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
sink_start || tap_bail "no smtp-sink"
pf_start "smtpd_milters = { unix:$SOCK, default_action=accept }" ||
	tap_bail "no Postfix"

closure() { # TICKET TEAM OWNER|- REQUESTER SUBJECT
	{
		printf 'From: Service Desk <servicedesk@example.com>\n'
		printf 'To: <%s>\n' "$4"
		printf 'Subject: [%s] %s: resolved\n' "$1" "$5"
		printf 'Message-ID: <%s@desk.example.com>\n' "$1"
		printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\n'
		printf 'X-Ticket-Team: %s\n' "$2"
		[ "$3" = - ] || printf 'X-Ticket-Owner: %s\n' "$3"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n'
		printf 'Your ticket %s has been resolved.\n' "$1"
	} >"$MM_TMP/$1.eml"
	pf_send servicedesk@example.com "$4" "$MM_TMP/$1.eml"
}
closure INC-2001 acme jan@msp.example j.doe@acme.example "Printer <b>jammed</b>"
closure INC-2002 acme - k.klant@acme.example "VPN"
closure INC-2003 beta jan@msp.example b.user@beta.example "Mail"
# the owner header names the requester: the digest goes to alert_to
closure INC-2004 acme k.self@acme.example k.self@acme.example "Laptop"
sink_wait_count 4 30
tap_is "$(mm_sql "SELECT count(*) FROM surveys")" 4 "four closure mails surveyed through Postfix and the milter"
# the mails went out yesterday
mm_sql_rw "UPDATE surveys SET sent_at = sent_at - 86400" >/dev/null
SID1=$(mm_sql "SELECT id FROM surveys WHERE ticket = 'INC-2001'")
SURVEY_TOK=$("$CTL" -c "$CONF" show --json "$SID1" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

digests() { sink_grep '^Subject: Rate your customers'; }
ndigests_ge() { [ "$(digests | wc -l)" -ge "$1" ]; }
nsent_is() { [ "$(mm_sql "SELECT count(*) FROM customer_digests WHERE state = 2")" = "$1" ]; }
rcpts_of() { sink_envelope "$1" | sed -n 's/^X-Rcpt-Args: <\(.*\)>.*/\1/p' | paste -sd, -; }

# 2-8 mailmoodctl customer-digest: one mail per rater
"$CTL" -c "$CONF" customer-digest >"$MM_TMP/ctl.out" 2>&1
tap_is "$?" 0 "customer-digest exits 0"
tap_diag <"$MM_TMP/ctl.out"
mm_wait_for 30 ndigests_ge 2
tap_is "$(digests | wc -l)" 2 "two digests: one per rater"
all=$(for f in $(digests); do rcpts_of "$f"; done | sort | paste -sd' ' -)
tap_is "$all" "jan@msp.example team-acme@msp.example" \
	"to the agent the rule captured and to alert_to, nobody else"
tap_ok "no digest to a requester or a customer domain" \
	bash -c "! (for f in $(digests | paste -sd' ' -); do grep '^X-Rcpt-Args' \$f; done | grep -qiE 'acme.example|beta.example')"
JAN=$(for f in $(digests); do [ "$(rcpts_of "$f")" = jan@msp.example ] && echo "$f"; done)
TEAM=$(for f in $(digests); do [ "$(rcpts_of "$f")" = team-acme@msp.example ] && echo "$f"; done)
# the mail as its reader sees it: Python's email package decodes it
show_mail() { # FILE -> text part, then the HTML part
	sink_body "$1" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
print(m.get_body(("plain",)).get_content())
print(m.get_body(("html",)).get_content())'
}
show_mail "$JAN" >"$MM_TMP/jan.txt"
show_mail "$TEAM" >"$MM_TMP/team.txt"
tap_ok "jan's digest lists INC-2001 only (not beta's INC-2003)" \
	bash -c "grep -q 'INC-2001' $MM_TMP/jan.txt && ! grep -qE 'INC-200[234]' $MM_TMP/jan.txt"
tap_ok "alert_to's digest lists INC-2002 and INC-2004, HTML escaped" \
	bash -c "grep -q INC-2002 $MM_TMP/team.txt && grep -q INC-2004 $MM_TMP/team.txt && ! grep -q INC-2001 $MM_TMP/team.txt && grep -q 'Printer <b>' $MM_TMP/jan.txt && grep -q 'Printer &lt;b&gt;' $MM_TMP/jan.txt"
LINKS=$(grep -oE "$URL/k/[A-Za-z0-9_-]{39}/[0-9]+" "$MM_TMP/jan.txt" | sort -u)
tap_is "$(echo "$LINKS" | wc -l)" 4 "one row of four level links (thermometer) for the ticket"
CTOK=$(echo "$LINKS" | head -n 1 | sed 's|.*/k/\([^/]*\)/.*|\1|')

get() { # PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
ncr() { mm_sql "SELECT count(*) FROM customer_ratings WHERE survey_id = $SID1"; }

mm_mailmoodd "$CONF" "$PORT" "$MM_TMP/mmd.log"
# 9-18 the links
tap_is "$(get "/k/$CTOK/1")" 200 "GET of a digest link shows the page"
tap_ok "the page names the ticket and its requester" \
	grep -q 'INC-2001.*j.doe@acme.example' "$MM_TMP/body"
grep -q 'How well did the customer help us solve this?' "$MM_TMP/body" &&
	grep -q 'chosen lv-thermometer-1' "$MM_TMP/body"
tap_ok $? "question and chosen level on the page"
CSRF=$(mm_csrf)
get "/k/$CTOK/2" >/dev/null
tap_is "$(ncr)" 0 "GETs record nothing"
tap_is "$(get "/k/$CTOK" --data-raw "level=1&via=button")" 403 "POST without the CSRF value: 403"
tap_is "$(get "/k/$CTOK" --data-raw "level=1&csrf=AAAAAAAAAAAAAAAAAAAAAA&via=button")" 403 "POST with a wrong CSRF value: 403"
tap_is "$(get "/k/$CTOK" --data-raw "level=1&csrf=$CSRF&via=button")$(grep -c 'status-recorded' "$MM_TMP/body")" \
	"2001" "POST records, the same page says so"
tap_is "$(mm_sql "SELECT level, rater, current FROM customer_ratings WHERE survey_id = $SID1")" \
	"1|jan@msp.example|1" "rating in the store, the agent as rater"
tap_is "$(get "/k/$CTOK" --data-raw "level=4&csrf=$CSRF&via=js" -H 'Accept: application/json')" 200 "changed by rate.js's POST"
tap_is "$(cat "$MM_TMP/body")|$(mm_sql "SELECT level FROM customer_ratings WHERE survey_id = $SID1 AND current = 1")|$(ncr)" \
	'{"recorded":true,"confirm":false,"level":"gold"}|4|2' "the new level counts, the old one is history"

# 19-21 one kind of token is never the other
tap_is "$(get "/r/$CTOK/1")" 404 "a customer token is not a survey token"
tap_is "$(get "/k/$SURVEY_TOK/1")$(get "/k/$SURVEY_TOK" --data-raw "level=1&csrf=$CSRF")" 404404 \
	"a survey token is not a customer token"
"$CTL" -c "$CONF" show --json "$SID1" >"$MM_TMP/show.json"
tap_is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["customer_rating"]; print(d["level"], d["level_key"], d["rater"])' "$MM_TMP/show.json")" \
	"4 gold jan@msp.example" 'show --json has "customer_rating"'

# the dashboard's Customers page: the team's users and admins only
echo 'ann-password-1' | "$CTL" -c "$CONF" passwd ann --team acme >/dev/null
echo 'bea-password-1' | "$CTL" -c "$CONF" passwd bea --team beta >/dev/null
req() { # JAR METHOD PATH [curl args] -> code
	local jar=$1 m=$2 p=$3
	shift 3
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -b "$MM_TMP/$jar" \
		-c "$MM_TMP/$jar" -X "$m" "$@" "$URL$p"
}
login() { # JAR USER PASSWORD
	req "$1" GET /admin/login >/dev/null
	req "$1" POST /admin/login --data-urlencode "csrf=$(mm_csrf)" \
		--data-urlencode "user=$2" --data-urlencode "password=$3" >/dev/null
}
login ann ann ann-password-1
login bea bea bea-password-1
tap_is "$(req ann GET /admin/customers/acme)|$(grep -c 'Rated tickets' "$MM_TMP/body")|$(grep -c '<td>gold</td><td>jan@msp.example</td>' "$MM_TMP/body")" \
	"200|1|1" "Customers page: the team's user sees IT's ratings, the latest first"
tap_is "$(req bea GET /admin/customers/acme)$(req bea GET /admin/customers/beta)" 404404 \
	"another team's user gets 404; a team without rate_customer has no page"
tap_is "$(req ann GET /admin/team/acme)|$(grep -c '/admin/customers/acme' "$MM_TMP/body")" "200|1" \
	"the team page links to it, beside its own figures"

# 25-27 mailmoodd's daily run: once per rater and day, across a restart
mm_wait_for 30 nsent_is 2
tap_is "$(mm_sql "SELECT rater FROM customer_digests WHERE state = 2 ORDER BY rater" | paste -sd, -)" \
	"jan@msp.example,team-acme@msp.example" "mailmoodd sent the day's digests, marked per rater and day"
mm_wait_for 30 ndigests_ge 4
tap_is "$(digests | wc -l)" 4 "two more digests through Postfix"
mm_stop_pid "$MMD_PID"
mm_mailmoodd "$CONF" "$PORT" "$MM_TMP/mmd2.log"
sleep 4
tap_is "$(digests | wc -l)|$(mm_sql "SELECT count(*) FROM customer_digests")" "4|2" \
	"after a restart nothing is sent twice"

# 25-27 the verb's arguments
"$CTL" -c "$CONF" customer-digest --team beta >/dev/null 2>&1
tap_is "$?" 64 "--team of a team without rate_customer: usage error"
"$CTL" -c "$CONF" customer-digest --date 2026-02-30 >/dev/null 2>&1
tap_is "$?" 64 "--date that is no date: usage error"
"$CTL" -c "$CONF" customer-digest --team acme --date 2001-01-01 >"$MM_TMP/ctl2.out" 2>&1
tap_is "$?|$(cat "$MM_TMP/ctl2.out")" "0|no closed tickets to rate on 2001-01-01" \
	"a day without closed tickets sends nothing"

# 28-31 results apart from the customers' ratings of IT; purge
"$CTL" -c "$CONF" report --customers --format json >"$MM_TMP/rep.json"
tap_is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["teams"]; print(len(t), t[0]["team"], t[0]["rated"], t[0]["levels"]["gold"], t[0]["small"], t[0]["temperature"])' "$MM_TMP/rep.json")" \
	"1 acme 1 1 True None" "report --customers (json): acme, one rated ticket, small n shows no temperature"
"$CTL" -c "$CONF" report --customers --format csv >"$MM_TMP/rep.csv"
tap_is "$(grep -c '^acme,' "$MM_TMP/rep.csv")|$(grep '^acme,.*,gold,' "$MM_TMP/rep.csv" | cut -d, -f5,7)" "4|1,1" \
	"report --customers (csv): one line per level"
"$CTL" -c "$CONF" report --format json >"$MM_TMP/it.json"
tap_is "$(python3 -c 'import json,sys; print(sum(r["responses"] for r in json.load(open(sys.argv[1]))))' "$MM_TMP/it.json")" 0 \
	"the customers' ratings of IT do not count IT's ratings of them"
"$CTL" -c "$CONF" export --format json --output "$MM_TMP/exp.json"
tap_is "$(python3 -c 'import json,sys; print([(r["source"], r["rater"], r["level_key"], r["current"]) for r in json.load(open(sys.argv[1])) if r["source"] == "it-rates-customer"])' "$MM_TMP/exp.json")" \
	"[('it-rates-customer', 'jan@msp.example', 'red', False), ('it-rates-customer', 'jan@msp.example', 'gold', True)]" \
	"export marks IT's ratings of customers (history too)"
"$CTL" -c "$CONF" export --format csv --output "$MM_TMP/exp.csv"
tap_is "$(python3 -c 'import csv,sys; rows=list(csv.DictReader(open(sys.argv[1], newline=""))); print([(r["source"], r["agent"], r["level_key"]) for r in rows])' "$MM_TMP/exp.csv")" \
	"[('it-rates-customer', 'jan@msp.example', 'red'), ('it-rates-customer', 'jan@msp.example', 'gold')]" \
	"export (csv): the same rows, the rater in the agent column"
"$CTL" -c "$CONF" purge --before "$(date -u -d tomorrow +%Y-%m-%d)" --anonymize >/dev/null
tap_is "$(mm_sql "SELECT count(*) FROM customer_ratings")" 0 "purge --anonymize clears IT's ratings of customers"
tap_done

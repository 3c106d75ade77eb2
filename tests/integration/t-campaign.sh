#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Relationship NPS campaigns: check-config reports a bad [campaign NAME]
# key with FILE:LINE; mailmoodctl campaign NAME --dry-run lists who gets
# the round per team and why the others are left out (quiet, unsubscribed,
# internal, a closure survey within 7 days, a team not in the campaign);
# --send queues one outbox row per recipient in one transaction, and a
# second --send inside `every` queues nothing and says so. mailmoodd's
# outbox worker sends the mails to smtp-sink (text + HTML, eleven signed
# links, feedback+TOKEN@ Reply-To, List-Unsubscribe with
# List-Unsubscribe-Post, Auto-Submitted, Precedence: bulk); curl: a GET of
# a link records a hit and no answer, the page script's confirmation
# (POST) records the answer and the comment box adds to it, a campaign
# token is no survey token; the burst classifier of the closure links: a
# scanner-like burst over the eleven links and its script confirmations
# record no answer, a scanner's POST is refused; a promoter's comment
# sends kudos, a detractor's alert carries an acknowledge link that
# records who took it (show --json); a reply "een 8" over LMTP answers,
# the RFC 8058 one-click POST unsubscribes and the next round honours it;
# an anonymous campaign drops the address with the answer, keeps none in
# its hits and sends kudos naming nobody. Runs on SQLite and
# (tests/integration/pg/t-campaign.pg) on PostgreSQL.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey
DAY=86400

tap_plan 85
mm_tmpdir
_mm_port PORT
_mm_port SINK_PORT
_mm_port LMTP_PORT
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
http = 127.0.0.1:$PORT
lmtp = 127.0.0.1:$LMTP_PORT
http_threads = 2
smtp_url = smtp://127.0.0.1:$SINK_PORT
smtp_tls = none
smtp_timeout = 3s
alert_from = mailmood@msp.example
reply_address = feedback@msp.example
outbox_interval = 1s
[milter]
internal = @msp.example
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
[team oranje]
match = @oranje.example
alert_to = team-oranje@msp.example
language = nl
kudos = yes
kudos_to = kudos-oranje@msp.example
[team gamma]
match = @gamma.example
alert_to = team-gamma@msp.example
kudos = yes
[campaign rnps]
teams = acme oranje
every = 30d
from = nps@msp.example
[campaign anon]
teams = gamma
anonymous = yes
CONF
mm_store_init "$MM_TMP/mm.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@" >/dev/null; }
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
has() { grep -q -- "$1" "${2:-$MM_TMP/out.txt}"; } # PATTERN [FILE]

# check-config: FILE:LINE and the key
cp "$MM_TMP/mm.conf" "$MM_TMP/bad.conf"
printf 'quiet = soon\n' >>"$MM_TMP/bad.conf"
out=$("$CTL" -c "$MM_TMP/bad.conf" check-config 2>&1)
printf '%s\n' "$out" >"$MM_TMP/out.txt"
tap_ok "check-config: a bad campaign key is reported with FILE:LINE" \
	has "bad.conf:$(wc -l <"$MM_TMP/bad.conf"): \[campaign anon\] quiet: not a duration"
printf '[campaign x]\nteams = nosuch\n' >"$MM_TMP/bad2.conf"
out=$("$CTL" -c "$MM_TMP/bad2.conf" check-config 2>&1)
printf '%s\n' "$out" >"$MM_TMP/out.txt"
tap_ok "check-config: a campaign team that does not exist" \
	has 'bad2.conf:2: \[campaign x\] teams: no \[team nosuch\]'
tap_ok "check-config accepts the campaign" ctl check-config
printf '[campaign]\n\nschedule = Auto\n' >"$MM_TMP/bad3.conf"
out=$("$CTL" -c "$MM_TMP/bad3.conf" check-config 2>&1)
printf '%s\n' "$out" >"$MM_TMP/out.txt"
tap_ok "check-config: a schedule word that is none of its words" \
	has 'bad3.conf:3: \[campaign\] schedule: must be one of |manual|auto|'

# who was served: ages in seconds
mk -r ann@acme.example -t acme -a $((20 * DAY))
mk -r ann@acme.example -t acme -a $((40 * DAY))
mk -r bas@oranje.example -t oranje -a $((10 * DAY)) -S 1 # throttled: served all the same
mk -r cy@acme.example -t acme -a $((3 * DAY))            # closure 3 days ago
mk -r desk@msp.example -t acme -a $((20 * DAY))          # internal
mk -r dee@acme.example -t acme -a $((30 * DAY))          # unsubscribes
mk -r gus@gamma.example -t gamma -a $((15 * DAY))        # team not in campaign
mk -r old@acme.example -t acme -a $((120 * DAY))         # not served in 90 days
mm_sql_rw "INSERT INTO campaign_unsubscribes (address, at) VALUES ('dee@acme.example', 1)"
# bas rated a closure survey: the detractor alert lists it
mm_sql_rw "INSERT INTO ratings (survey_id, at, level, source, current) SELECT id, sent_at + 60, 2, 0, 1 FROM surveys WHERE requester = 'bas@oranje.example'"

ctl campaign rnps --dry-run >"$MM_TMP/dry.txt" 2>&1
tap_ok "dry run: the first round is due" has '^campaign rnps: a round is due (last round: never)' "$MM_TMP/dry.txt"
tap_ok "dry run: acme's count and reasons" has '^team acme: 1 would get it; left out: 1 internal, 1 unsubscribed, 1 closure survey within 7 days$' "$MM_TMP/dry.txt"
tap_ok "dry run: oranje" has '^team oranje: 1 would get it$' "$MM_TMP/dry.txt"
tap_ok "dry run: a team outside the campaign" has '^team gamma: 0 would get it; left out: 1 team not in campaign$' "$MM_TMP/dry.txt"
tap_ok "dry run: a recipient in the team's language" has '^  send bas@oranje.example team=oranje language=nl$' "$MM_TMP/dry.txt"
tap_ok "dry run: who is left out and why" has '^  out  dee@acme.example (unsubscribed)$' "$MM_TMP/dry.txt"
tap_is "$(grep -c old@ "$MM_TMP/dry.txt")" 0 "dry run: not served within 90 days: not a candidate"
tap_is "$(mm_sql "SELECT count(*) FROM outbox")" 0 "dry run queues nothing"

ctl campaign rnps --send >"$MM_TMP/out.txt" 2>&1
tap_ok "--send queues 2 mails" has '^campaign rnps: round [0-9]* queued 2 mails$' ||
	tap_diag <"$MM_TMP/out.txt"
tap_is "$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'campaign' AND state = 0")" 2 \
	"two campaign rows in the outbox"
tap_is "$(mm_sql "SELECT r.address FROM campaign_recipients r JOIN outbox o ON o.id = r.outbox_id ORDER BY r.address" | paste -sd, -)" \
	"ann@acme.example,bas@oranje.example" "each recipient has its outbox row"

ctl campaign rnps --send >"$MM_TMP/out.txt" 2>&1
tap_ok "a second --send inside every says so" \
	has '^campaign rnps: the last round went out .*; the next is due .*: nothing queued$' ||
	tap_diag <"$MM_TMP/out.txt"
tap_is "$(mm_sql "SELECT count(*) FROM outbox")/$(mm_sql "SELECT count(*) FROM campaign_rounds")" "2/1" \
	"... and queues nothing"

# ---- the mails, through mailmoodd's outbox worker to smtp-sink
sink_start || tap_bail "no smtp-sink"
mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"
sink_wait_count 2 30
tap_is "$(sink_count)" 2 "the outbox worker sent both campaign mails"
tap_is "$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'campaign' AND state = 2")" 2 \
	"both rows are marked sent"
bas=$(sink_grep '^To: <bas@oranje.example>' | head -1)
facts() { # FILE -> one line per fact, read with Python's email package
	sink_body "$1" | python3 -c '
import sys, re, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
links = re.findall(r"http://\S+/c/([A-Za-z0-9_-]{39})/(\d+)", text)
hl = re.findall(r"href=\"http://[^\"]+/c/[A-Za-z0-9_-]{39}/(\d+)\"", html)
print("from", m["From"])
print("subject", m["Subject"])
print("auto", m["Auto-Submitted"])
print("prec", m["Precedence"])
print("lup", m["List-Unsubscribe-Post"])
lu = re.fullmatch(r"<(http://\S+/u/[A-Za-z0-9_-]{39})>", str(m["List-Unsubscribe"]))
print("lu", lu.group(1) if lu else "-")
rt = re.fullmatch(r"<?feedback\+([A-Za-z0-9_-]{39})@msp\.example>?", str(m["Reply-To"]))
print("replyto", rt.group(1) if rt else "-")
print("levels", ",".join(l for _, l in links), "/", ",".join(hl))
print("token", links[0][0] if links and len({t for t, _ in links}) == 1 else "-")
print("nl", "aanbevelen" in text)
'
}
facts "$bas" >"$MM_TMP/facts.txt"
fact() { sed -n "s/^$1 //p" "$MM_TMP/facts.txt"; }
tap_is "$(fact from)|$(fact auto)|$(fact prec)" "nps@msp.example|auto-generated|bulk" \
	"From is the campaign's, Auto-Submitted and Precedence: bulk"
tap_is "$(fact levels)" "0,1,2,3,4,5,6,7,8,9,10 / 0,1,2,3,4,5,6,7,8,9,10" \
	"eleven 0-10 links in the text and in the HTML part"
tap_is "$(fact nl)|$(fact subject)" "True|Zou u onze IT-dienstverlening aanbevelen?" \
	"the oranje team's mail is in Dutch"
TOK=$(fact token)
tap_is "$(fact replyto)" "$TOK" "Reply-To is feedback+TOKEN@ with the links' token"
tap_is "$(fact lup)" "List-Unsubscribe=One-Click" "List-Unsubscribe-Post (RFC 8058)"
LU=$(fact lu)
tap_is "$LU" "$URL/u/$TOK" "List-Unsubscribe is the one-click link"

# a person's browser; curl's own user agent is a scanner's (burst.c)
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
get() { # URL-PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
js() { # TOKEN LEVEL CSRF [curl args]: the page script's confirmation -> its JSON
	local t=$1 l=$2 c=$3
	shift 3
	curl -s -A "$UA" -H 'Accept: application/json' "$@" \
		--data-raw "level=$l&csrf=$c&via=js" "$URL/c/$t"
}
rid() { mm_sql "SELECT id FROM campaign_recipients WHERE address = '$1'"; }
BAS=$(rid bas@oranje.example)
tap_is "$(get "/c/$TOK/10")" 200 "GET of the 10 link shows the page"
tap_ok "the page has eleven choices with 10 chosen" \
	python3 -c 'import re,sys; b=open(sys.argv[1]).read(); c=re.findall(r"name=\"level\" value=\"(\d+)\" class=\"\w\" aria-pressed=\"(\w+)\"", b); sys.exit(not (len(c) == 11 and [v for v, p in c if p == "true"] == ["10"]))' "$MM_TMP/body"
tap_ok "... with the closure pages' confirming script and its form" \
	grep -q 'src="/static/rate.js".*id="mm-status".*id="mm-form" method="post" action="/c/'"$TOK"'" data-level="10"' \
	<(tr -d '\n' <"$MM_TMP/body")
C=$(mm_csrf)
tap_is "$(mm_sql "SELECT count(*) FROM campaign_answers")" 0 "a GET records nothing"
tap_is "$(mm_sql "SELECT count(*) || '|' || min(level) || '|' || min(ip) FROM campaign_hits WHERE recipient_id = $BAS")" \
	"1|10|127.0.0.1" "... but its hit, with the address it came from"
tap_is "$(get "/r/$TOK/3")" 404 "a campaign token is no closure survey token"
tap_is "$(get "/c/$TOK" --data-raw "level=10&better=sneller%20%3Cb%3E&csrf=bad")" 403 \
	"a POST without the page's csrf value is refused"
tap_is "$(js "$TOK" 10 "$C")" '{"recorded":true,"confirm":false,"level":"10"}' \
	"the page script's confirmation of a person's click records the answer"
tap_is "$(get "/c/$TOK" --data-raw "level=10&better=sneller%20%3Cb%3E&csrf=$C")" 200 \
	"the comment box posts the same level with a comment"
tap_is "$(mm_sql "SELECT count(*) FROM campaign_answers")|$(mm_sql "SELECT a.level || '|' || a.better || '|' || r.address FROM campaign_answers a JOIN campaign_recipients r ON r.id = a.recipient_id WHERE a.current = 1")" \
	"1|10|sneller <b>|bas@oranje.example" "the comment joined the confirmed answer (not anonymous: the address stays)"
tap_ok "the answer page thanks in the recipient's language" grep -q 'Dank u' "$MM_TMP/body"
# a promoter with a comment: kudos to the team, like a gold closure rating
sink_wait_count 3 30
kud=$(sink_grep '^To: kudos-oranje@msp.example' | head -1)
tap_ok "a promoter's comment sends kudos to kudos_to" test -n "$kud"
sink_body "$kud" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
print(m["Subject"]); print("sneller <b>" in m.get_body(("plain",)).get_content())
' >"$MM_TMP/kud.txt"
tap_is "$(paste -sd'|' - <"$MM_TMP/kud.txt")" "NPS KUDOS: 10 — bas@oranje.example|True" \
	"kudos: NPS KUDOS: SCORE — REQUESTER, with the comment"
tap_is "$(get "/c/$TOK" --data-raw "level=6&csrf=$C")/$(mm_sql "SELECT count(*) || ':' || sum(current) FROM campaign_answers")/$(mm_sql "SELECT level FROM campaign_answers WHERE current = 1")" \
	"200/2:1/6" "a later answer replaces the first, history kept"
# a detractor (0-6) of a non-anonymous campaign: an alert to the team
sink_wait_count 4 30
det=$(sink_grep '^To: team-oranje@msp.example' | head -1)
tap_ok "a detractor answer queues an NPS DETRACTOR alert" test -n "$det"
sink_body "$det" | python3 -c '
import sys, re, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
t = m.get_body(("plain",)).get_content()
h = m.get_body(("html",)).get_content()
print(m["Subject"]); print(m["To"]); print("INC-1" in t, "sneller" in t)
a = re.findall(r"http://\S+/a/([A-Za-z0-9_-]+)", t)
print(a[0] if a and re.search(r"href=\"http://[^\"]+/a/" + a[0] + "\"", h) else "-")
' >"$MM_TMP/det.txt"
tap_is "$(sed -n 1,2p "$MM_TMP/det.txt" | paste -sd'|' -)" \
	"NPS DETRACTOR: 6 — bas@oranje.example|team-oranje@msp.example" \
	"subject NPS DETRACTOR: SCORE — REQUESTER, to the team's alert_to"
tap_is "$(sed -n 3p "$MM_TMP/det.txt")" "True False" \
	"the alert lists the requester's last closure ratings (the later answer had no comment)"
ACK=$(sed -n 4p "$MM_TMP/det.txt")
tap_ok "the alert carries an acknowledge link (text and HTML)" test "$ACK" != -
tap_is "$(get "/a/$ACK")" 200 "the acknowledge link shows the alert"
tap_ok "... asking who takes it, in the team's language" grep -q 'Ik pak dit op' "$MM_TMP/body"
tap_is "$(get "/a/$ACK" --data-urlencode "name=Olga de Vries" --data-urlencode "csrf=$(mm_csrf)")" 200 \
	"the POST records who took it"
tap_is "$(mm_sql "SELECT a.acked_by FROM alert_acks a JOIN outbox o ON o.id = a.outbox_id WHERE o.kind = 'campaign-alert'")" \
	"Olga de Vries" "the acknowledgement is stored with the alert"
ctl show --json "$TOK" >"$MM_TMP/show.json" 2>&1
tap_is "$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["followup"]; print(f["kind"], f["acked_by"], f["acked_at"] is not None)' "$MM_TMP/show.json")" \
	"campaign-alert Olga de Vries True" "show --json: the detractor alert and who acknowledged it" ||
	tap_diag <"$MM_TMP/show.json"

# ---- the burst classifier of the closure links, on campaign links
ANN=$(rid ann@acme.example)
ann=$(sink_grep '^To: <ann@acme.example>' | head -1)
facts "$ann" >"$MM_TMP/facts.txt"
AT=$(fact token)
# a scanner that opens every link of the mail with a browser's user
# agent and runs the page script: each page confirms its own level
for l in 0 1 2 3 4 5 6 7 8 9 10; do get "/c/$AT/$l" >/dev/null; done
AC=$(mm_csrf)
for l in 0 1 2 3 4 5 6 7 8 9 10; do js "$AT" "$l" "$AC"; done >"$MM_TMP/burst.txt"
tap_is "$(sed 's/,"level":"[0-9]*"//' "$MM_TMP/burst.txt" | sort | uniq -c | sed 's/^ *//')" '11 {"recorded":false,"confirm":true}' \
	"a burst over the eleven links: every script confirmation asks for a click"
tap_is "$(get "/c/$AT" -A "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook)" --data-raw "level=9&csrf=$AC")" 403 \
	"a scanner's own POST is refused"
tap_is "$(mm_sql "SELECT count(*) FROM campaign_answers WHERE recipient_id = $ANN")" 0 \
	"the burst recorded no answer"
tap_is "$(mm_sql "SELECT count(*) || '/' || sum(machine) FROM campaign_hits WHERE recipient_id = $ANN")" "11/11" \
	"its eleven hits are kept and marked machine"

# ---- a reply to feedback+TOKEN@ over LMTP, read by the reply reader
lmtp_send() { # RCPT FILE -> the LMTP reply code
	python3 - "$LMTP_PORT" "$1" "$2" <<'PY'
import smtplib, sys
c = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
try:
    c.sendmail("bas@oranje.example", [sys.argv[2]], open(sys.argv[3], "rb").read())
    print(250)
except smtplib.SMTPResponseException as e:
    print(e.smtp_code)
except smtplib.SMTPRecipientsRefused as e:
    print(list(e.recipients.values())[0][0])
c.quit()
PY
}
printf 'From: Bas <bas@oranje.example>\nTo: feedback+%s@msp.example\nSubject: Re: Zou u onze IT-dienstverlening aanbevelen?\nMessage-ID: <r1-%s@client.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\neen 8\n\nmeer uitleg graag\n\nOp ma 23 nov 2026 schreef nps@msp.example:\n> Beste,\n' \
	"$TOK" "$RANDOM" >"$MM_TMP/reply.eml"
tap_is "$(lmtp_send "feedback+$TOK@msp.example" "$MM_TMP/reply.eml")" 250 "the reply is taken over LMTP"
tap_is "$(mm_sql "SELECT level || '|' || source || '|' || better FROM campaign_answers WHERE current = 1 AND recipient_id = (SELECT id FROM campaign_recipients WHERE address = 'bas@oranje.example')")" \
	"8|1|meer uitleg graag" "\"een 8\" became the answer (source mail) with the comment"
tap_is "$(mm_sql "SELECT count(*) FROM replies")/$(mm_sql "SELECT count(*) FROM ratings")" "0/1" \
	"a campaign reply is no closure survey reply or rating"

# ---- mailmoodctl show of a campaign token
ctl show --json "$TOK" >"$MM_TMP/show.json" 2>&1
tap_is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kind"], d["campaign"], d["address"], d["answer"])' "$MM_TMP/show.json")" \
	"campaign rnps bas@oranje.example 8" "show --json: kind campaign, its name, address and answer" ||
	tap_diag <"$MM_TMP/show.json"

# ---- unsubscribe: GET asks, the one-click POST records
tap_is "$(get "/u/$TOK")/$(mm_sql "SELECT count(*) FROM campaign_unsubscribes WHERE address = 'bas@oranje.example'")" \
	"200/0" "GET of the unsubscribe link only asks"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' --data-raw 'List-Unsubscribe=One-Click' "$LU")" 200 \
	"the RFC 8058 one-click POST answers 200"
tap_is "$(mm_sql "SELECT count(*) FROM campaign_unsubscribes WHERE address = 'bas@oranje.example'")" 1 \
	"... and records the unsubscribe"
mm_sql_rw "DELETE FROM campaign_contacts" # past the quiet period
mm_sql_rw "UPDATE campaign_rounds SET started_at = started_at - 31 * 86400"
ctl campaign rnps --dry-run >"$MM_TMP/dry2.txt" 2>&1
tap_ok "a later round leaves the unsubscribed address out" \
	has '^  out  bas@oranje.example (unsubscribed)$' "$MM_TMP/dry2.txt"

# ---- report --campaign: per team and round, counts only under 5 answers
ctl report --campaign rnps --format csv >"$MM_TMP/rep.csv" 2>&1
tap_ok "report csv: oranje 1 sent, 1 response (a passive), counts only, 1 alert acknowledged" \
	has '^rnps,oranje,[0-9]*,[0-9-]*,1,1,100.0,0,1,0,,,,,,1,1.$' "$MM_TMP/rep.csv" || tap_diag <"$MM_TMP/rep.csv"
ctl report --campaign rnps --format json >"$MM_TMP/rep.json" 2>&1
tap_is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted((r["team"], r["sent"], r["responses"], r["nps"], r["alerts"], r["acked"]) for r in d["rounds"]))' "$MM_TMP/rep.json")" \
	"[('acme', 1, 0, None, 0, 0), ('oranje', 1, 1, None, 1, 1)]" "report json: both teams, no NPS under 5 answers, alerts and acknowledgements"
ctl report --campaign rnps --format html --output "$MM_TMP/rep.html"
tap_ok "report html: a table per team and round" grep -q '<td>oranje</td>' "$MM_TMP/rep.html"
ctl report --campaign rnps >"$MM_TMP/rep.txt"
tap_ok "report text: no address in any format" sh -c "! grep -q '@' '$MM_TMP/rep.txt' '$MM_TMP/rep.csv' '$MM_TMP/rep.json' '$MM_TMP/rep.html'"

# ---- anonymous: the address goes with the answer
ctl campaign anon --send >"$MM_TMP/out.txt" 2>&1
tap_ok "the anonymous campaign queues gus" has 'queued 1 mails' || tap_diag <"$MM_TMP/out.txt"
sink_wait_count 5 30
gus=$(sink_grep '^To: <gus@gamma.example>' | head -1)
facts "$gus" >"$MM_TMP/facts.txt"
GT=$(fact token)
get "/c/$GT/3" >/dev/null
tap_is "$(get "/c/$GT" --data-raw "level=3&better=slow&csrf=$(mm_csrf)")" 200 "gus answers 3"
tap_is "$(mm_sql "SELECT count(*) || '|' || coalesce(max(ip), 'NULL') || '|' || coalesce(max(user_agent), 'NULL') FROM campaign_hits h JOIN campaign_recipients r ON r.id = h.recipient_id JOIN campaign_rounds k ON k.id = r.round_id WHERE k.campaign = 'anon'")" \
	"1|NULL|NULL" "an anonymous campaign's hit keeps no address (nor user agent)"
tap_is "$(mm_sql "SELECT coalesce(r.address, 'NULL') || '|' || a.level FROM campaign_answers a JOIN campaign_recipients r ON r.id = a.recipient_id JOIN campaign_rounds k ON k.id = r.round_id WHERE k.campaign = 'anon'")" \
	"NULL|3" "an anonymous answer keeps no address"
tap_is "$(mm_sql "SELECT count(*) FROM campaign_recipients WHERE address = 'gus@gamma.example'")" 0 \
	"gus's address is nowhere in the campaign's recipients"
ctl show --json "$GT" >"$MM_TMP/show.json" 2>&1
tap_is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kind"], d["campaign"], d["anonymous"], d["address"], d["answer"])' "$MM_TMP/show.json")" \
	"campaign anon True None 3" "show --json of an anonymous answer names no address"
sleep 2 # an alert, if one were queued, would be out by now
tap_is "$(sink_grep '^To: team-gamma@msp.example' | wc -l)/$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'campaign-alert'")" "0/1" \
	"an anonymous detractor queues no alert"
tap_ok "show --json of a campaign token never shows gus's address" sh -c "! grep -q gus@ '$MM_TMP/show.json'"
# a promoter's reply with a comment: kudos that name nobody
printf 'From: Gus <gus@gamma.example>\nTo: feedback+%s@msp.example\nSubject: Re: NPS\nMessage-ID: <r2-%s@client.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n10\n\nquick and friendly help\n' \
	"$GT" "$RANDOM" >"$MM_TMP/reply2.eml"
tap_is "$(lmtp_send "feedback+$GT@msp.example" "$MM_TMP/reply2.eml")" 250 "gus replies 10 with a comment"
sink_wait_count 6 30
gk=$(sink_grep '^To: team-gamma@msp.example' | head -1)
tap_ok "an anonymous promoter's comment sends kudos to the team" test -n "$gk"
tap_is "$(sink_body "$gk" | python3 -c '
import sys, email, email.policy
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
print(m["Subject"], "quick and friendly" in m.get_body(("plain",)).get_content(), m["Reply-To"])')" \
	"NPS KUDOS: 10 — campaign anon True None" "... with the comment, naming nobody"
tap_ok "... and gus's address is nowhere in it" sh -c "! grep -qi 'gus@' '$gk'"

# ---- [campaign] schedule = auto: mailmoodd queues and sends a due round
mm_stop_pid "$MMD_PID"
n=$(sink_count)
sed -e 's/^\[campaign rnps\]/[campaign]\nschedule = auto\n[campaign auto]\nteams = acme\n[campaign rnps]/' \
	"$MM_TMP/mm.conf" >"$MM_TMP/auto.conf"
mm_sql_rw "UPDATE campaign_rounds SET started_at = started_at - 200 * 86400"
mm_sql_rw "DELETE FROM campaign_contacts"
mm_mailmoodd "$MM_TMP/auto.conf" "$PORT" "$MM_TMP/mmd-auto.log"
sink_wait_count $((n + 1)) 30
tap_ok "schedule = auto: mailmoodd sent the due round of campaign auto" \
	grep -q 'campaign auto: round [0-9]* queued 1 mails (schedule auto)' "$MM_TMP/mmd-auto.log"
tap_is "$(sink_grep '^To: <ann@acme.example>' | wc -l)" 2 "ann got the auto round's mail"
tap_is "$(mm_sql "SELECT campaign FROM campaign_rounds ORDER BY id" | paste -sd, -)" "rnps,anon,auto,rnps,anon" \
	"rnps and anon were due too (every passed) and went once each"

# ---- the dashboard: the latest round per team, for the user's teams
echo 'oranje-password-1' | ctl passwd olga --team oranje >/dev/null || tap_bail "passwd"
req() { # METHOD PATH [curl args] -> code; body in $MM_TMP/body
	local m=$1 p=$2
	shift 2
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -b "$MM_TMP/jar" -c "$MM_TMP/jar" \
		-X "$m" "$@" "$URL$p"
}
req GET /admin/login >/dev/null
req POST /admin/login --data-urlencode "csrf=$(mm_csrf)" \
	--data-urlencode "user=olga" --data-urlencode "password=oranje-password-1" >/dev/null
tap_is "$(req GET /admin/)" 200 "olga's overview"
tap_ok "the overview shows the campaign's latest oranje round" \
	python3 -c 'import sys,re; b=open(sys.argv[1]).read(); i=b.index("Relationship NPS: rnps"); sys.exit(not re.search(r"<tr><td>oranje</td><td>[0-9-]+</td><td>1</td><td>1</td>", b[i:]))' "$MM_TMP/body"
tap_ok "... and no team olga does not see" sh -c "! grep -q '<td>acme</td>' '$MM_TMP/body'"

# ---- copy-store takes the campaign tables along; purge clears them
mm_stop_pid "$MMD_PID"
counts() { # DSN -> rounds/recipients/answers/unsubscribes/hits
	local q="SELECT (SELECT count(*) FROM campaign_rounds) || '/' || (SELECT count(*) FROM campaign_recipients) || '/' || (SELECT count(*) FROM campaign_answers) || '/' || (SELECT count(*) FROM campaign_unsubscribes) || '/' || (SELECT count(*) FROM campaign_hits)"
	case $1 in
	postgresql:*) mm_sql "$q" ;;
	*) sqlite3 "$1" "$q" ;;
	esac
}
"$CTL" copy-store "$MM_STORE_DSN" "$MM_TMP/copy.db" >"$MM_TMP/copy.out" 2>&1
tap_is "$(counts "$MM_TMP/copy.db")" "$(counts "$MM_STORE_DSN")" "copy-store copies rounds, recipients, answers, unsubscribes, hits" ||
	tap_diag <"$MM_TMP/copy.out"
ctl purge --before "$(date -u -d tomorrow +%F)" --anonymize >/dev/null
tap_is "$(mm_sql "SELECT count(*) FROM campaign_recipients WHERE address IS NOT NULL")/$(mm_sql "SELECT count(*) FROM campaign_answers WHERE better IS NOT NULL")/$(mm_sql "SELECT count(*) FROM campaign_hits WHERE ip IS NOT NULL")" \
	"0/0/0" "purge --anonymize clears the campaigns' addresses, comments and hit addresses"
ctl purge --before "$(date -u -d tomorrow +%F)" >/dev/null
tap_is "$(mm_sql "SELECT count(*) FROM campaign_rounds")/$(mm_sql "SELECT count(*) FROM campaign_hits")/$(mm_sql "SELECT count(*) FROM campaign_unsubscribes")" "0/0/2" \
	"purge deletes the rounds with their hits and keeps the unsubscribes"
tap_done

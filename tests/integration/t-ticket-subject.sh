#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The ticket's subject, from the closure mail to every place that shows the
# ticket. Two closure mails go through the milter in a real Postfix: one
# with a ticket and an RFC 2047 encoded subject holding HTML, one from a
# rule that captures no ticket. The rating page (curl) shows the subject
# beside the ticket (or in its place), escaped; the red alert mailmoodd
# sends to smtp-sink has "RED: TICKET SUBJECT — REQUESTER" as its Subject
# (encoded-words, read back with Python's email package) and the subject
# in its body; the dashboard (curl) and the HTML report show it too.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
sql_is() { [ "$(mm_sql "$1")" = "$2" ]; } # QUERY WANT (for mm_wait_for)
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SUBJ_A='[INC-2002] Drucker überhitzt <b>&: resolved'
ESC_A='[INC-2002] Drucker überhitzt &lt;b&gt;&amp;: resolved'
SUBJ_B='VPN drops every hour - resolved'
SUBJ_C="resolved: $(for i in $(seq 30); do printf 'été très '; done)"

tap_plan 8
mm_tmpdir
_mm_port MM_HTTP_PORT
sink_start || tap_bail "sink did not start"
mm_config "[rule helpdesk]" "from = helpdesk@example.com" \
	"subject = /resolved/i"
# alerts go straight to the sink
sed -i -e "/^\[listener\]/a smtp_url = smtp://127.0.0.1:$SINK_PORT\\
smtp_tls = none\\
alert_from = mailmood@msp.example\\
outbox_interval = 1s" "$MM_CONF"
ctl() { "$MM_BIN/mailmoodctl" -c "$MM_CONF" "$@"; }
echo 'root-password-1' | ctl passwd root --admin >/dev/null || tap_bail "passwd"
mm_milter_start || tap_bail "milter did not start"
mm_mailmoodd "$MM_CONF" "$MM_HTTP_PORT" "$MM_DIR/mailmoodd.log"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" ||
	tap_bail "postfix did not start"

closure() { # FROM TO ENCODED-SUBJECT MSGID
	printf 'From: Desk <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s>\n' "$1" "$2" "$3" "$4"
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nYour ticket has been resolved.\n'
}
closure servicedesk@example.com j.doe@acme.example \
	"=?UTF-8?B?$(printf '%s' "$SUBJ_A" | base64 -w0)?=" a@desk.example.com >"$MM_TMP/a.eml"
closure helpdesk@example.com k.doe@acme.example "$SUBJ_B" b@desk.example.com >"$MM_TMP/b.eml"
closure helpdesk@example.com m.doe@acme.example \
	"=?UTF-8?B?$(printf '%s' "$SUBJ_C" | base64 -w0)?=" c@desk.example.com >"$MM_TMP/c.eml"
pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/a.eml"
pf_send helpdesk@example.com k.doe@acme.example "$MM_TMP/b.eml"
pf_send helpdesk@example.com m.doe@acme.example "$MM_TMP/c.eml"
sink_wait_count 3 30 || tap_bail "closure mails did not arrive"
token_of() { # MSGID -> the Ref: token of the delivered closure mail
	local f
	f=$(sink_grep "^Message-ID: <$1>" | head -n 1)
	sed -n 's/^Ref: \([A-Za-z0-9_-]\{39\}\)$/\1/p' "$f" | head -n 1
}
TA=$(token_of a@desk.example.com)
TB=$(token_of b@desk.example.com)
TC=$(token_of c@desk.example.com)
[ ${#TA} = 39 ] && [ ${#TB} = 39 ] && [ ${#TC} = 39 ] || tap_bail "no rating links"

URL=http://127.0.0.1:$MM_HTTP_PORT
get() { # PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" -b "$MM_TMP/jar" \
		-c "$MM_TMP/jar" "$@" "$URL$p"
}

# 1-2: the rating page
get "/r/$TA/red" >/dev/null
grep -qF "ticket <strong>INC-2002</strong> <span class=\"subject\">$ESC_A</span>" "$MM_TMP/body" &&
	grep -qF "<title>How did we do? INC-2002 $ESC_A</title>" "$MM_TMP/body" &&
	! grep -qF '<b>&' "$MM_TMP/body"
tap_ok $? "rating page: the decoded subject beside the ticket, escaped"
get "/r/$TA" --data-urlencode "level=red" --data-urlencode "csrf=$(mm_csrf)" \
	--data-urlencode via=button --data-urlencode "why=Still too hot" >/dev/null
get "/r/$TB/red" >/dev/null
grep -qF "ticket <strong>$SUBJ_B</strong>" "$MM_TMP/body"
tap_ok $? "rating page: without a ticket the subject stands in"
get "/r/$TB" --data-urlencode "level=red" --data-urlencode "csrf=$(mm_csrf)" \
	--data-urlencode via=button --data-urlencode "why=Still dropping" >/dev/null
get "/r/$TC/red" >/dev/null
get "/r/$TC" --data-urlencode "level=red" --data-urlencode "csrf=$(mm_csrf)" \
	--data-urlencode via=button >/dev/null

# 3-5: the red alerts at smtp-sink
sink_wait_count 6 30 || tap_bail "no alerts"
alert_facts() { # TO -> raw-subject-is-encoded|decoded subject|text|html facts
	local f
	f=$(sink_grep "^Reply-To: <$1>" | head -n 1)
	sink_body "$f" | python3 -c '
import sys, email, email.policy
raw = sys.stdin.buffer.read()
m = email.message_from_bytes(raw, policy=email.policy.default)
hdr = [l for l in raw.split(b"\n\n", 1)[0].decode("ascii").split("\n")]
print("|".join([
    "ascii" if all(ord(c) < 128 for c in raw.split(b"\n\n", 1)[0].decode("latin-1")) else "8bit",
    str(m["Subject"]),
    "text-ok" if sys.argv[1] in m.get_body(("plain",)).get_content() else "text-missing",
    "html-ok" if sys.argv[2] in m.get_body(("html",)).get_content() else "html-missing",
]))
' "$2" "$3"
}
tap_is "$(alert_facts j.doe@acme.example "Subject: $SUBJ_A" "<td>$ESC_A</td>")" \
	"ascii|RED: INC-2002 $SUBJ_A — j.doe@acme.example|text-ok|html-ok" \
	"alert: Subject RED: TICKET SUBJECT — REQUESTER, encoded; subject in the body, escaped in HTML"
tap_is "$(alert_facts k.doe@acme.example "Ticket: $SUBJ_B" "<td>$SUBJ_B</td>")" \
	"ascii|RED: $SUBJ_B — k.doe@acme.example|text-ok|html-ok" \
	"alert without a ticket: the subject stands in"
F=$(sink_grep "^Reply-To: <m.doe@acme.example>" | head -n 1)
sink_body "$F" | python3 -c '
import sys, email, email.policy
raw = sys.stdin.buffer.read()
head = raw.split(b"\n\n", 1)[0]
assert all(len(l) <= 78 for l in head.split(b"\n")), head
s = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
mid = s[len("RED: "):s.index(" \u2014 m.doe@acme.example")]
assert mid.startswith("resolved: \u00e9t\u00e9 tr\u00e8s"), s
assert mid.endswith("\u2026") and 70 <= len(mid) <= 81, (len(mid), s)
'
tap_ok $? "alert: a long subject is cut at 80 characters with an ellipsis, lines within 78 octets"

# 6-7: the dashboard
get /admin/login >/dev/null
[ "$(get /admin/login --data-urlencode "csrf=$(mm_csrf)" --data-urlencode user=root \
	--data-urlencode password=root-password-1)" = 303 ] || tap_bail "dashboard login"
get /admin/team/acme >/dev/null
[ "$(grep -cF "INC-2002 <span class=\"subject\">$ESC_A</span>" "$MM_TMP/body")" = 2 ] &&
	[ "$(grep -cF "&middot; <span class=\"subject\">$SUBJ_B</span>" "$MM_TMP/body")" = 2 ] &&
	! grep -qF '<b>&' "$MM_TMP/body"
tap_ok $? "dashboard: open alerts and comments show the subject beside the ticket, escaped"
get '/admin/search?q=too+hot' >/dev/null
grep -qF "INC-2002 <span class=\"subject\">$ESC_A</span>" "$MM_TMP/body"
tap_ok $? "dashboard search: the subject beside the ticket"

# 8: the HTML report
ctl report --format html --team acme --output "$MM_TMP/r.html" 2>/dev/null
grep -qF "INC-2002 <span class=\"subject\">$ESC_A</span>" "$MM_TMP/r.html" &&
	grep -qF "<span class=\"subject\">$SUBJ_B</span>" "$MM_TMP/r.html" &&
	! grep -qF '<b>&' "$MM_TMP/r.html"
tap_ok $? "report --format html: the subject beside the ticket in the latest comments"
tap_done

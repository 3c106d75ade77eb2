#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Request Tracker 5 (Debian's request-tracker5 + rt5-db-sqlite) behind the
# sandboxed Postfix with mailmood-milter, as a mail admin would run it.
# RT lives in this test's directory (its own SQLite database and site
# config, never /etc/request-tracker5's), sends with Postfix's sendmail -C,
# takes mail with rt-mailgate from a Postfix pipe transport. Tickets are
# opened and resolved with RT's Perl API (rt/rt.pl); the customer's Reply
# goes back through Postfix to RT. Asserts: the resolve mail has links in
# both parts and RT's text intact; RT's owner notification "Re: ...
# Resolved:" is not surveyed even under an unanchored subject pattern;
# "Goed geholpen, een 8" is recorded green and RT reopens the ticket with
# X-Mailmood-Rating in the mail it took (ticket_replies = record); with
# divert it is recorded green and the ticket stays resolved; "rood, nog
# steeds stuk" is recorded red, reopens the ticket and alerts the team;
# the same reply from another address records nothing.
#
# rt-mailgate posts to RT's web interface (REST NoAuth/mail-gateway): RT
# has no other way in for mail. So RT's own rt-server runs on a free
# loopback port for the test (Plack's single-process Standalone server:
# one mail at a time is all the pipe sends); it is up in about 2 s.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

RTPL=$top_srcdir/tests/integration/rt/rt.pl
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
CUSTOMER=customer@customer.example
OWNER=j.doe@msp.example
DESK=support@rt.example
# RT's own subject; the README's rule anchors it, the unanchored form is
# what every README example used to look like
RULE_ANCHORED='/^\[rt\.example #\d+\] Resolved:/'
RULE_UNANCHORED='/\[rt\.example #\d+\] Resolved:/'

tap_plan 23
for f in /usr/sbin/rt-setup-database /usr/bin/rt-mailgate "$RT_SERVER"; do
	[ -x "$f" ] || tap_bail "no $f: Request Tracker 5 is not installed (request-tracker5 and rt5-db-sqlite, contrib/install-deps.sh)"
done
mm_tmpdir
T0=$EPOCHREALTIME
_mm_port MM_HTTP_PORT
_mm_port RT_PORT
URL=http://127.0.0.1:$MM_HTTP_PORT
sink_start || tap_bail "sink did not start"

# ------------------------------------------------------------ mailmood
MM_DIR=$MM_TMP/mm
mkdir -p "$MM_DIR" && chmod 755 "$MM_DIR"
MM_CONF=$MM_DIR/mailmood.conf
MM_SOCK=$MM_DIR/milter.sock
mm_store_setup "$MM_DIR/mailmood.db"
"$MM_BIN/mailmoodctl" keygen "$MM_DIR/secret.key" >/dev/null
write_conf() { # TICKET_REPLIES SUBJECT-PATTERN
	cat >"$MM_CONF" <<CONF
[general]
base_url    = $URL
secret_file = $MM_DIR/secret.key
store       = $MM_STORE_DSN
templates   = $MM_TEMPLATES

[milter]
socket         = unix:$MM_SOCK
socket_mode    = 0666
cooldown       = 0
ticket_replies = $1

[listener]
http            = 127.0.0.1:$MM_HTTP_PORT
lmtp            = none
reply_address   = feedback@fb.example
smtp_url        = smtp://127.0.0.1:$SINK_PORT
smtp_tls        = none
alert_from      = mailmood@msp.example
outbox_interval = 1s

[rule rt]
from    = $DESK
subject = $2
header  = X-RT-Ticket: /^rt\.example #(?<ticket>\d+)$/
agent   = header:X-Ticket-Owner

[team customer]
name     = Customer
match    = @customer.example
alert_to = team-customer@msp.example
alert_at = red
CONF
}
restart_milter() { # TICKET_REPLIES SUBJECT-PATTERN
	write_conf "$@"
	[ -n "${MM_MILTER_PID:-}" ] && mm_stop_pid "$MM_MILTER_PID"
	mm_milter_start || tap_bail "mailmood-milter did not start"
}
write_conf record "$RULE_ANCHORED"
mm_store_init "$MM_CONF"
mm_milter_start || tap_bail "mailmood-milter did not start"
mm_mailmoodd "$MM_CONF" "$MM_HTTP_PORT"

# ------------------------------------------------------------- Postfix
# Mail to the queue's address goes to rt-mailgate; everything else
# (RT's mails, diverted replies) to smtp-sink.
PF_MASTER_EXTRA="rtgate    unix  -       n       n       -       -       pipe
  user=nobody argv=/usr/bin/rt-mailgate --queue support --action correspond --url http://127.0.0.1:$RT_PORT/"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"non_smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"transport_maps = inline:{ $DESK=rtgate: }" \
	"rtgate_destination_recipient_limit = 1" ||
	tap_bail "postfix did not start"

# ------------------------------------------------------------------ RT
RT_DIR=$MM_TMP/rt
mkdir -p "$RT_DIR/site.d" "$RT_DIR/mason" "$RT_DIR/session"
export RT_SITE_CONFIG=$RT_DIR/RT_SiteConfig.pm RT_SITE_CONFIG_DIR=$RT_DIR/site.d
cat >"$RT_SITE_CONFIG" <<EOF
# RT for tests/integration/t-rt.sh: everything under $RT_DIR
Set(\$rtname, 'rt.example');
Set(\$Organization, 'rt.example');
Set(\$CorrespondAddress, '$DESK');
Set(\$CommentAddress, 'support-comment@rt.example');
Set(\$OwnerEmail, 'rt-admin@rt.example');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$RT_PORT');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$RT_DIR/rt.db');
Set(\$DatabaseUser, '');
Set(\$DatabasePassword, '');
Set(\$DatabaseAdmin, '');
Set(\$MasonDataDir, '$RT_DIR/mason');
Set(\$MasonSessionDir, '$RT_DIR/session');
Set(\$Timezone, 'UTC');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'error');
Set(\$LogToFile, 'info');
Set(\$LogDir, '$RT_DIR');
Set(\$LogToFileNamed, 'rt.log');
# through the sandboxed Postfix, envelope sender the queue's address
Set(\$MailCommand, 'sendmailpipe');
Set(\$SendmailPath, '/usr/sbin/sendmail');
Set(\$SendmailArguments, '-oi -C $PF_CONF');
Set(\$SetOutgoingMailFrom, 1);
1;
EOF
rt() { perl "$RTPL" "$@" 2>>"$RT_DIR/rt.pl.log"; }
SUBJECTS=("VPN drops every hour" "Printer on fire" "Mail is slow" "Laptop does not boot")
rt_init() {
	rt-setup-database --action init --skip-create --dba '' --dba-password '' \
		>"$RT_DIR/setup.log" 2>&1 || { tail -n 20 "$RT_DIR/setup.log"; return 1; }
	rt init support "$DESK" "$OWNER" "$CUSTOMER" "${SUBJECTS[@]}" >"$RT_DIR/ids" ||
		{ cat "$RT_DIR/rt.pl.log"; return 1; }
	[ "$(paste -sd' ' - <"$RT_DIR/ids")" = "1 2 3 4" ] || { cat "$RT_DIR/ids"; return 1; }
}
tap_ok "RT 5 in the test's directory, queue support <$DESK>; four tickets opened by $CUSTOMER, resolved by the owner (RT's Perl API)" rt_init ||
	tap_bail "cannot set up RT"
# up while the resolve mails are looked at
"$RT_SERVER" --server Standalone --listen "127.0.0.1:$RT_PORT" >"$RT_DIR/server.log" 2>&1 &
mm_track_pid $!

# ------------------------------------------------ the resolve mails
resolve_mail() { sink_grep "^Subject: \[rt\.example #$1\] Resolved: "; }
# found CMD...: CMD prints something (re-run on every try of mm_wait_for)
found() { test -n "$("$@")"; }
for n in 1 2 3 4; do mm_wait_for 30 found resolve_mail $n; done
mkdir -p "$RT_DIR/sent"
rt sent '^\[rt\.example #\d+\] Resolved: ' "$RT_DIR/sent" 1 2 3 4 || cat "$RT_DIR/rt.pl.log" | tap_diag
declare -A SURVEY
for n in 1 2 3 4; do
	f=$(resolve_mail $n | head -n 1)
	out=$(python3 "$top_srcdir/tests/integration/rt/check_resolved.py" "${f:-/nonexistent}" \
		"$RT_DIR/sent/$n" "$URL" 2>&1)
	tap_ok $? "ticket $n: RT's resolve mail has links in text and html, RT's text intact"
	[ $? -eq 0 ] || tap_diag "$out"
	tok=$(printf '%s\n' "$out" | tail -n 1)
	SURVEY[$n]=$("$MM_BIN/mailmoodctl" -c "$MM_CONF" show --json -- "$tok" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
done
got=$(mm_sql "select ticket, requester, agent, rule from surveys order by id" | paste -sd' ' -)
want="1|$CUSTOMER|$OWNER|rt 2|$CUSTOMER|$OWNER|rt 3|$CUSTOMER|$OWNER|rt 4|$CUSTOMER|$OWNER|rt"
tap_is "$got" "$want" "four surveys: ticket from X-RT-Ticket, the requester, owner from X-Ticket-Owner"
mm_wait_listen "$RT_PORT" 30
tap_ok $? "rt-server listens on 127.0.0.1:$RT_PORT for rt-mailgate"

# reply N FROM TEXT: the Reply to ticket N's resolve mail, sent to RT
reply() {
	local f
	f=$(resolve_mail "$1" | head -n 1)
	python3 "$top_srcdir/tests/integration/rt/reply.py" "$f" "$2" "$3" >"$MM_TMP/reply.$1.$2.eml" &&
		pf_send "$2" "$DESK" "$MM_TMP/reply.$1.$2.eml" && pf_wait_drain 60
}
rating() { mm_sql "select level, source from ratings where survey_id = $1 and current = 1"; }

# --------------------- ticket_replies = record, an unanchored pattern
restart_milter record "$RULE_UNANCHORED"
reply 1 "$CUSTOMER" "Goed geholpen, een 8"
tap_is "$(rating "${SURVEY[1]}")" "3|1" "record: \"Goed geholpen, een 8\" to RT's address is recorded green (source mail)"
owner_mail() { sink_grep "^Subject: Re: \[rt\.example #1\] Resolved: " | xargs -r grep -l "^To: .*$OWNER"; }
mm_wait_for 30 found owner_mail
tap_ok $? "RT's owner notification \"Re: [rt.example #1] Resolved: ...\" reached the sink"
got=$(mm_sql "select count(*) from surveys where requester = '$OWNER'")/$(mm_sql "select count(*) from surveys")
tap_is "$got" "0/4" "the owner notification is not surveyed under $RULE_UNANCHORED"
tap_ok "the milter's log says why: no links: reply subject" grep -q "no links: reply subject" "$MM_DIR/milter.log"

# -------------------------------------------- ticket_replies = divert
restart_milter divert "$RULE_ANCHORED"
reply 2 "$CUSTOMER" "Goed geholpen, een 8"
tap_is "$(rating "${SURVEY[2]}")" "3|1" "divert: \"Goed geholpen, een 8\" is recorded green"
diverted() { sink_grep "^Subject: Re: \[rt\.example #2\] Resolved: " | xargs -r grep -l '^X-Rcpt-Args: <feedback@fb\.example>'; }
mm_wait_for 10 found diverted &&
	[ "$(mm_sql "select count(*) from replies where survey_id = ${SURVEY[2]} and status = 'rated'")" = 1 ]
tap_ok $? "divert: the reply went to reply_address instead of RT, and is kept in the store"

reply 3 "$CUSTOMER" "rood, nog steeds stuk"
tap_is "$(rating "${SURVEY[3]}")" "1|1" "divert: \"rood, nog steeds stuk\" is recorded red"
alert() { sink_grep '^X-Rcpt-Args: <team-customer@msp\.example>'; }
mm_wait_for 30 found alert
tap_ok $? "the red reply's alert reached the sink (team-customer@msp.example)"
f=$(alert | head -n 1)
subj=$(python3 -c 'import email, email.policy, sys; print(email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)["Subject"])' "${f:-/dev/null}" 2>&1)
[[ $subj == RED:*"Mail is slow"*"$CUSTOMER"* ]]
tap_ok $? "the alert's subject names the ticket's subject and the requester: $subj"

reply 4 other@elsewhere.example "Goed geholpen, een 8"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = ${SURVEY[4]}")" 0 \
	"the same reply from another address records nothing"
tap_ok "the milter's log says why: not the requester" grep -q "not the requester" "$MM_DIR/milter.log"

# ------------------------------------------------- what RT made of it
rt look "$RT_DIR" 1 2 3 4 || cat "$RT_DIR/rt.pl.log" | tap_diag
tap_is "$(cat "$RT_DIR/status.1")" open "record: RT took the reply and reopened ticket 1"
got=$(grep -i '^X-Mailmood-Rating:' "$RT_DIR/received.1")
tap_is "$got" "X-Mailmood-Rating: green (survey ${SURVEY[1]})" "record: the mail RT took carries X-Mailmood-Rating"
tap_is "$(cat "$RT_DIR/status.2")" resolved "divert: ticket 2 stays resolved"
tap_is "$(cat "$RT_DIR/status.3")" open "divert: a red reply still reaches RT, ticket 3 reopens"
grep -q '^From: .*<other@elsewhere\.example>' "$RT_DIR/received.4" &&
	! grep -qi '^X-Mailmood-Rating:' "$RT_DIR/received.4"
tap_ok $? "the reply from another address reached RT, without X-Mailmood-Rating"
tap_diag "t-rt.sh ran $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
tap_done

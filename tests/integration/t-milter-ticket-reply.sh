#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Replies to the ticket address, and the guards, through a real Postfix
# with the milter (smtpd and sendmail(1)) and smtp-sink: the requester's
# "gold, thanks" reply to the closure mail is rated before Postfix queues
# it and passes on with X-Mailmood-Rating; another sender's reply is not
# rated; with ticket_replies = divert a short good reply goes to
# reply_address instead of the desk and a red one still goes to the desk;
# a Re: subject and internal requesters get no survey whatever the rule.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

data=$top_srcdir/tests/data/mail
tap_plan 28
mm_tmpdir
mm_config
mm_milter_start || tap_bail "milter did not start"
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"non_smtpd_milters = { unix:$MM_SOCK, default_action=accept }" ||
	tap_bail "postfix did not start"

# closure ID TO: closure-text.eml as ticket INC-ID, Message-ID <incID@desk>
closure() {
	sed -e "s/INC-1001/INC-$1/g" -e "s/inc1001@/inc$1@/" \
		-e "s/j.doe@acme.example/$2/" "$data/closure-text.eml" \
		>"$MM_TMP/closure$1.eml"
	echo "$MM_TMP/closure$1.eml"
}
# reply NAME FROM ID TEXT: a reply to closure ID's mail, quoting it
reply() {
	cat >"$MM_TMP/$1.eml" <<MAIL
From: Someone <$2>
To: Service Desk <servicedesk@example.com>
Subject: Re: [INC-$3] Printer on fire: resolved
Message-ID: <$1@client.example>
In-Reply-To: <inc$3@desk.example.com>
References: <older@desk.example.com> <inc$3@desk.example.com>
Date: Mon, 23 Nov 2026 11:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

$4

On Mon, 23 Nov 2026 at 10:00, Service Desk <servicedesk@example.com> wrote:
> Hello John,
>
> Your ticket INC-$3 has been resolved.
MAIL
	echo "$MM_TMP/$1.eml"
}
sid() { mm_sql "select id from surveys where ticket = 'INC-$1'"; }
sink_file() { sink_grep "^Message-ID: <$1>" | head -n 1; }
survey_of() { mm_sql "select count(*) from surveys where ticket = 'INC-$1'"; }

# --- guards: a reply subject and internal requesters are never surveyed
sed -e 's/^Subject: .*/Subject: RE: [INC-1005] Printer on fire: resolved/' \
	-e 's/inc1001@/inc1005@/' "$data/closure-text.eml" >"$MM_TMP/re.eml"
pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/re.eml"
pf_send servicedesk@example.com root@localhost "$(closure 1010 root@localhost)"
pf_send servicedesk@example.com bob@example.com "$(closure 1011 bob@example.com)"
pf_send servicedesk@example.com j.doe@acme.example "$(closure 1001 j.doe@acme.example)"
pf_send servicedesk@example.com j.doe@acme.example "$(closure 1002 j.doe@acme.example)"
sink_wait_count 5 30
tap_is "$(sink_count)" 5 "closure mails and guarded mails delivered"
tap_is "$(survey_of 1005)$(survey_of 1010)$(survey_of 1011)" 000 \
	"no survey for a RE: subject, root@localhost, a colleague at the desk's domain"
grep -q "ticket=INC-1005 rule=servicedesk requester=j.doe@acme.example no links: reply subject$" "$MM_DIR/milter.log"
tap_ok $? "log: no links: reply subject"
grep -q "ticket=INC-1010 rule=servicedesk requester=root@localhost no links: internal requester$" "$MM_DIR/milter.log" &&
	grep -q "ticket=INC-1011 rule=servicedesk requester=bob@example.com no links: internal requester$" "$MM_DIR/milter.log"
tap_ok $? "log: no links: internal requester (dotless domain; the rule's from domain)"
f=$(sink_file inc1005@desk.example.com)
! grep -q "mailmood\|/r/" "$f"
tap_ok $? "the RE: mail arrives without a rating block"
s1=$(sid 1001); s2=$(sid 1002)
[ -n "$s1" ] && [ -n "$s2" ]
tap_ok $? "the two closure mails have surveys ($s1, $s2)"

# --- record (the default): the requester's reply is rated and passes on
pf_send J.Doe@ACME.example servicedesk@example.com \
	"$(reply r1 J.Doe@Acme.Example 1001 'gold, thanks a lot')"
q1=$PF_LAST_QID
# a forged header must not tell the ticket system "rated, do not reopen"
reply r2 mallory@evil.example 1001 'red, terrible' >/dev/null
sed -i "1i X-Mailmood-Rating: gold (survey $s1)" "$MM_TMP/r2.eml"
pf_send mallory@evil.example servicedesk@example.com "$MM_TMP/r2.eml"
q2=$PF_LAST_QID
sed -e "1i X-Mailmood-Rating: gold (survey $s1)" -e "1i X-Mailmood-Rating: forged" \
	"$data/plain-other.eml" >"$MM_TMP/forged.eml"
pf_send someone@example.com servicedesk@example.com "$MM_TMP/forged.eml"
sink_wait_count 8 30
f=$(sink_file r1@client.example)
grep -q "^X-Mailmood-Rating: gold (survey $s1)$" "$f"
tap_ok $? "recorded reply carries X-Mailmood-Rating: gold (survey $s1)"
sink_envelope "$f" | grep -qi "^X-Rcpt-Args: <servicedesk@example.com>"
tap_ok $? "and goes on to the ticket address"
tap_is "$(mm_sql "select level || ' ' || source || ' ' || coalesce(why, '') from ratings where survey_id = $s1")" \
	"4 1 thanks a lot" "rating gold, source mail, comment kept"
tap_is "$(mm_sql "select status || ' ' || source || ' ' || rating_id from replies where survey_id = $s1")" \
	"rated milter $(mm_sql "select id from ratings where survey_id = $s1")" \
	"reply row: rated, source milter, the rating"
grep -q "^mailmood-milter: $q1: ticket reply survey $s1 from=j.doe@acme.example rated gold (record)" "$MM_DIR/milter.log"
tap_ok $? "log: QID: ticket reply survey N from=... rated gold (record)"
f=$(sink_file r2@client.example)
! grep -q "^X-Mailmood-Rating" "$f"
tap_ok $? "another sender's reply: no header (the forged one deleted)"
f=$(sink_file other1003@example.com)
! grep -q "^X-Mailmood-Rating" "$f" && grep -q "^Subject: " "$f"
tap_ok $? "forged X-Mailmood-Rating fields deleted from ordinary mail"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $s1")" 1 \
	"another sender's reply: not rated"
grep -q "^mailmood-milter: $q2: ticket reply survey $s1 from=mallory@evil.example not the requester$" "$MM_DIR/milter.log"
tap_ok $? "log: not the requester"

# --- sendmail(1): the non-smtpd milter path
pf_sendmail j.doe@acme.example servicedesk@example.com \
	"$(reply r3 j.doe@acme.example 1002 'green')"
sink_wait_count 9 30
grep -q "^X-Mailmood-Rating: green (survey $s2)$" "$(sink_file r3@client.example)"
tap_ok $? "reply submitted with sendmail(1) is rated too"
tap_is "$(mm_sql "select level from ratings where survey_id = $s2 and current = 1")" 3 \
	"non-smtpd reply recorded green"

# --- a reply that lost In-Reply-To/References but quotes the Ref: line
tok=$(sed -n 's/^Ref: \([A-Za-z0-9_-]*\).*/\1/p' "$(sink_file inc1002@desk.example.com)" | head -n 1)
noref() { # NAME: a reply to closure 1002 without thread headers
	reply "$1" j.doe@acme.example 1002 'gold' >/dev/null
	sed -i -e '/^In-Reply-To:/d' -e '/^References:/d' "$MM_TMP/$1.eml"
	echo "> Ref: $tok" >>"$MM_TMP/$1.eml"
	echo "$MM_TMP/$1.eml"
}
pf_send j.doe@acme.example servicedesk@example.com "$(noref r7)"
sink_wait_count 10 30
! grep -q "^X-Mailmood-Rating" "$(sink_file r7@client.example)" &&
	[ "$(mm_sql "select count(*) from ratings where survey_id = $s2")" = 1 ]
tap_ok $? "ticket_reply_scan = headers (default): a reply without thread headers is not read"

# --- divert, and every body searched for a token
sed -i 's/^cooldown .*/&\nticket_replies = divert\nticket_reply_scan = bodies/' "$MM_CONF"
kill -USR1 "$MM_MILTER_PID"
mm_wait_for 10 grep -q "reload: $MM_CONF" "$MM_DIR/milter.log" || tap_bail "no reload"
pf_send j.doe@acme.example servicedesk@example.com "$(noref r8)"
q8=$PF_LAST_QID
sink_wait_count 11 30
grep -q "^X-Mailmood-Rating: gold (survey $s2)$" "$(sink_file r8@client.example)" &&
	grep -q "^mailmood-milter: $q8: ticket reply survey $s2 from=j.doe@acme.example rated gold (divert) by ref$" "$MM_DIR/milter.log"
tap_ok $? "ticket_reply_scan = bodies: the quoted Ref: token finds the survey"
pf_send servicedesk@example.com j.doe@acme.example "$(closure 1007 j.doe@acme.example)"
pf_send servicedesk@example.com j.doe@acme.example "$(closure 1008 j.doe@acme.example)"
sink_wait_count 13 30
s7=$(sid 1007); s8=$(sid 1008)
pf_send j.doe@acme.example servicedesk@example.com \
	"$(reply r4 j.doe@acme.example 1007 'Gold, thanks!')"
q4=$PF_LAST_QID
pf_send j.doe@acme.example servicedesk@example.com \
	"$(reply r5 j.doe@acme.example 1008 'red, the printer still burns')"
sink_wait_count 15 30
f=$(sink_file r4@client.example)
sink_envelope "$f" | grep -i "^X-Rcpt-Args:" | sed 's/ ORCPT=.*//' >"$MM_TMP/rcpt4"
tap_is "$(tr -d '\r' <"$MM_TMP/rcpt4")" "X-Rcpt-Args: <feedback@fb.example>" \
	"divert: the short good reply goes to reply_address only"
grep -q "^X-Mailmood-Rating: gold (survey $s7)$" "$f" &&
	grep -q "^mailmood-milter: $q4: ticket reply survey $s7 from=j.doe@acme.example rated gold (divert)" "$MM_DIR/milter.log"
tap_ok $? "divert: header and log line"
tap_is "$(mm_sql "select count(*) from replies where survey_id = $s7 and source = 'milter' and body like '%Gold, thanks!%'")" 1 \
	"divert: the reply is kept in the store"
f=$(sink_file r5@client.example)
sink_envelope "$f" | grep -qi "^X-Rcpt-Args: <servicedesk@example.com>" &&
	grep -q "^X-Mailmood-Rating: red (survey $s8)$" "$f"
tap_ok $? "divert: a red reply still goes to the desk, with the header"
tap_is "$(mm_sql "select count(*) from outbox where survey_id = $s8 and kind = 'alert'")" 1 \
	"divert: the red reply queued an alert"

# --- test-rule: what the milter would do with a ticket reply
out=$("$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$MM_TMP/r2.eml" --from mallory@evil.example 2>&1)
tap_is "$out" "no rule matched
ticket reply: survey $s1 from=mallory@evil.example: not the requester; passes unchanged" \
	"test-rule: another sender's reply"
reply r6 j.doe@acme.example 1002 'gold, fine' >/dev/null
out=$("$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$MM_TMP/r6.eml" 2>&1)
tap_is "$out" "no rule matched
ticket reply: survey $s2 from=j.doe@acme.example: would rate gold (divert)
X-Mailmood-Rating: gold (survey $s2)
would deliver to feedback@fb.example instead of the ticket address" \
	"test-rule: the requester's reply, as the milter would divert it"
tap_is "$(mm_sql "select level from ratings where survey_id = $s2 and current = 1")" 4 \
	"test-rule recorded nothing"
out=$("$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$MM_TMP/r8.eml" 2>&1)
tap_is "$out" "no rule matched
ticket reply: survey $s2 from=j.doe@acme.example: already recorded as reply $(mm_sql "select id from replies where message_id = '<r8@client.example>'"); passes unchanged" \
	"test-rule: a token-only reply, found with ticket_reply_scan = bodies"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Replies by mail through a real Postfix: closure mails go out
# through the milter; replies built from what arrived are sent back
# through Postfix, which delivers feedback+TOKEN@fb.example
# (recipient_delimiter = +, transport_maps) to mailmoodd over LMTP. The
# store gets the rating (source mail) and comment; a red reply queues an
# alert; an auto-reply is not a rating; an unmatched reply is kept. With the
# store out of reach (SQLite: read-only; PostgreSQL: the server stopped)
# Postfix keeps the reply deferred (451) and delivers it once, when the
# store is back: nothing lost, nothing twice.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
sql_is() { [ "$(mm_sql "$1")" = "$2" ]; } # QUERY WANT (for mm_wait_for)

data=$top_srcdir/tests/data/mail
tap_plan 24
mm_tmpdir
_mm_port MM_HTTP_PORT
_mm_port LMTP_PORT
MM_LMTP=127.0.0.1:$LMTP_PORT
mm_config "[team ten]" "match = @ten.example" "alert_to = t@x" \
	"scale = grade10" "alert_at = 5"
# mailmoodd runs as nobody (as root, a read-only SQLite store would not be
# read-only for it); the milter stays root and writes the same store.
sed -i -e "/^\[general\]/a user = nobody" "$MM_CONF"
chown -R nobody "$MM_DIR"
mm_milter_start || tap_bail "milter did not start"
"$MM_BIN/mailmoodd" -f -c "$MM_CONF" >>"$MM_DIR/mailmoodd.log" 2>&1 &
MMD_PID=$!
mm_track_pid "$MMD_PID"
mm_wait_listen "$LMTP_PORT" 10 || {
	tap_diag <"$MM_DIR/mailmoodd.log"
	tap_bail "mailmoodd did not listen on LMTP"
}
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"recipient_delimiter = +" \
	"transport_maps = inline:{ feedback@fb.example=lmtp:inet:127.0.0.1:$LMTP_PORT }" ||
	tap_bail "postfix did not start"

# 1-3: three closure mails (grade10, thermometer x2) through the milter
for who in ten:j.doe@ten.example acme:j.doe@acme.example bob:bob@acme.example; do
	sed -e "s/inc1001@/${who%%:*}@/" -e "s/j\.doe@acme\.example/${who#*:}/" \
		"$data/closure-text.eml" >"$MM_TMP/closure-${who%%:*}.eml"
	pf_send servicedesk@example.com "${who#*:}" "$MM_TMP/closure-${who%%:*}.eml"
done
sink_wait_count 3 30
tap_is "$(sink_count)" 3 "three closure mails delivered"
token_of() { # ID -> the Ref: token of the delivered closure mail
	local f
	f=$(sink_grep "^Message-ID: <$1@desk.example.com>" | head -n 1)
	sed -n 's/^Ref: \([A-Za-z0-9_-]\{39\}\)$/\1/p' "$f" | head -n 1
}
T_TEN=$(token_of ten)
T_ACME=$(token_of acme)
T_BOB=$(token_of bob)
[ ${#T_TEN} = 39 ] && [ ${#T_ACME} = 39 ] && [ ${#T_BOB} = 39 ]
tap_ok $? "the delivered mails carry a Ref: token"
tap_is "$(mm_sql "select count(*) from surveys where status = 0")" 3 \
	"three surveys in the store"
sid() { mm_sql "select id from surveys where message_id = '<$1@desk.example.com>'"; }
S_TEN=$(sid ten)
S_ACME=$(sid acme)
S_BOB=$(sid bob)

# reply ID TO SUBJECT BODY [EXTRA-HEADER] -> $MM_TMP/reply-ID.eml, quoting
# the closure mail as it arrived
reply() {
	local id=$1 to=$2 subj=$3 body=$4 extra=${5:-} orig
	orig=$(sink_grep "^Message-ID: <$id@desk.example.com>" | head -n 1)
	{
		printf 'From: Requester <%s>\n' "$(echo "$id" | sed 's/ten/j.doe@ten.example/;s/acme/j.doe@acme.example/;s/bob/bob@acme.example/')"
		printf 'To: %s\n' "$to"
		printf 'Subject: %s\n' "$subj"
		printf 'Message-ID: <reply-%s-%s@client.example>\n' "$id" "$RANDOM$RANDOM"
		printf 'In-Reply-To: <%s@desk.example.com>\n' "$id"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		printf 'Date: Tue, 24 Nov 2026 09:00:00 +0000\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
		printf '%s\n\n' "$body"
		printf 'On Mon, 23 Nov 2026 at 10:00, Service Desk <servicedesk@example.com> wrote:\n'
		sink_body "$orig" | sed -n '/^$/,$p' | sed '1d;s/^/> /'
	} >"$MM_TMP/reply-$id.eml"
}

# 4-7: grade10, matched by the +TOKEN address
reply ten "feedback+$T_TEN@fb.example" "Re: [INC-1001] Printer on fire: resolved" \
	"8, but it took three days"
pf_send j.doe@ten.example "feedback+$T_TEN@fb.example" "$MM_TMP/reply-ten.eml"
tap_ok "reply delivered over LMTP" pf_log_wait "to=<feedback\+$T_TEN@fb.example>.*relay=127.0.0.1\[127.0.0.1\]:$LMTP_PORT.*status=sent \(250 2.0.0" 20
tap_is "$(mm_sql "select level, source, why from ratings where survey_id = $S_TEN and current = 1")" \
	"8|1|but it took three days" "grade 8 stored as a mail rating with the comment"
tap_is "$(mm_sql "select status, case when rating_id is not null then 1 else 0 end from replies where survey_id = $S_TEN")" \
	"rated|1" "reply kept, status rated"
grep -q "lmtp [0-9A-Za-z]*: survey $S_TEN ticket=INC-1001 rated 8 (mail) by address" "$MM_DIR/mailmoodd.log"
tap_ok $? "log line: queue id first, survey, ticket, rated 8 (mail)"

# 8-10: thermometer, "rood" to the plain address: In-Reply-To matches, red
# queues an alert
reply acme "feedback@fb.example" "Re: [INC-1001] Printer on fire: resolved" \
	"Rood. Niemand heeft teruggebeld."
pf_send j.doe@acme.example "feedback@fb.example" "$MM_TMP/reply-acme.eml"
mm_wait_for 20 sql_is "select count(*) from replies where survey_id = $S_ACME" 1
tap_is "$(mm_sql "select level, source from ratings where survey_id = $S_ACME and current = 1")" \
	"1|1" "red reply matched by In-Reply-To, stored as level 1 (mail)"
tap_is "$(mm_sql "select kind, state from outbox where survey_id = $S_ACME")" \
	"alert|0" "red reply queued an alert"
tap_is "$(mm_sql "select why from ratings where survey_id = $S_ACME")" \
	"Niemand heeft teruggebeld." "comment without the quoted mail"

# 11-12: an out-of-office reply is kept but never a rating
reply bob "feedback+$T_BOB@fb.example" "Automatic reply: [INC-1001] Printer on fire: resolved" \
	"I am out of the office until the 10th." "Auto-Submitted: auto-replied"
pf_send bob@acme.example "feedback+$T_BOB@fb.example" "$MM_TMP/reply-bob.eml"
mm_wait_for 20 sql_is "select count(*) from replies where survey_id = $S_BOB" 1
tap_is "$(mm_sql "select status from replies where survey_id = $S_BOB")" auto \
	"auto-reply kept with status auto"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $S_BOB")" 0 \
	"auto-reply made no rating"

# 13: a reply that matches nothing is kept
cat >"$MM_TMP/stray.eml" <<'EOF'
From: someone@else.example
To: feedback@fb.example
Subject: question
Message-ID: <stray@else.example>

Who do I call about my laptop?
EOF
pf_send someone@else.example feedback@fb.example "$MM_TMP/stray.eml"
mm_wait_for 20 sql_is "select count(*) from replies where status = 'unmatched'" 1
tap_is "$(mm_sql "select status, case when survey_id is null then 1 else 0 end, comment from replies where message_id = '<stray@else.example>'")" \
	"unmatched|1|Who do I call about my laptop?" "unmatched reply kept"

# 14-21: the store out of reach -> deferred with 451, nothing recorded;
# store back -> delivered once
mm_store_break
tap_ok $? "the store really is out of reach for mailmoodd's user"
reply bob "feedback+$T_BOB@fb.example" "Re: [INC-1001] Printer on fire: resolved" \
	"groen, netjes opgelost"
pf_send bob@acme.example "feedback+$T_BOB@fb.example" "$MM_TMP/reply-bob.eml"
qid=$PF_LAST_QID
tap_ok "Postfix defers the reply with 451 4.3.0" \
	pf_log_wait "$qid: to=<feedback\+$T_BOB@fb.example>.*status=deferred \(host 127.0.0.1\[127.0.0.1\] said: 451 4.3.0" 20
tap_ok "the reply stays in Postfix's queue" test -n "$(pf_queue_files)"
grep -q "lmtp $qid: reply not stored, to be retried" "$MM_DIR/mailmoodd.log"
tap_ok $? "mailmoodd logged the retry with Postfix's queue id"
# The look into the store needs it back (a stopped server answers no
# query): the reply is on hold meanwhile, so no retry can come first.
held() { postsuper -c "$PF_CONF" -h "$1" >/dev/null 2>&1; [ -e "$PF_QUEUE/hold/$1" ]; }
mm_wait_for 10 held "$qid" || tap_diag "could not put $qid on hold"
mm_store_mend || tap_bail "the store did not come back"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $S_BOB")" 0 \
	"nothing recorded while the store was out of reach"
postsuper -c "$PF_CONF" -H "$qid" >/dev/null 2>&1
pf_flush
tap_ok "after the store is back, pf_flush delivers it" \
	pf_log_wait "$qid: to=<feedback\+$T_BOB@fb.example>.*status=sent \(250 2.0.0" 30
tap_is "$(mm_sql "select level, source from ratings where survey_id = $S_BOB")" \
	"3|1" "rating stored once (green, mail)"
tap_is "$(mm_sql "select count(*) from replies where survey_id = $S_BOB and status = 'rated'")" \
	1 "one reply row for it"

# 22: the same reply delivered again (a lost answer) is not recorded twice
pf_send bob@acme.example "feedback+$T_BOB@fb.example" "$MM_TMP/reply-bob.eml"
qid2=$PF_LAST_QID
pf_log_wait "$qid2: to=.*status=sent \(250 2.0.0 .*Reply ignored" 20
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $S_BOB")" 1 \
	"a second delivery of the same reply is ignored"

# 23: no mail left behind
tap_ok "Postfix queue empty" pf_wait_drain 20

# 24: mailmoodd stops cleanly on SIGTERM
kill -TERM "$MMD_PID"
mm_wait_for 10 eval '! _mm_alive '"$MMD_PID"
tap_ok $? "mailmoodd stops on SIGTERM"
tap_done

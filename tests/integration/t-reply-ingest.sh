#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `mailmoodctl ingest`: one reply mail on stdin, as aliases(5)
# and pipe(8) run it. Exit 0 stored or ignored, 65 not a mail, 75 could not
# store (the MTA retries); recipients from -r or from local(8)'s
# environment (RECIPIENT, SENDER).
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
MK=${top_builddir:?}/tests/integration/mm-mksurvey

tap_plan 15
mm_tmpdir
mm_config "[team ten]" "match = @ten.example" "alert_to = t@x" \
	"scale = grade10" "alert_at = 5"
ctl() { "$MM_BIN/mailmoodctl" -c "$MM_CONF" "$@"; }
read -r S1 T1 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t ten -s grade10) ||
	tap_bail "mm-mksurvey failed"
read -r S2 T2 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t acme) ||
	tap_bail "mm-mksurvey failed"
read -r S3 T3 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t acme) ||
	tap_bail "mm-mksurvey failed"

mail() { # MSGID BODY [HEADER]
	printf 'From: j.doe@acme.example\nTo: Service Desk <servicedesk@example.com>\n'
	printf 'Subject: Re: [INC-1] closed\nMessage-ID: <%s@client>\n' "$1"
	[ -n "${3:-}" ] && printf '%s\n' "$3"
	printf '\n%s\n\n> How did we do?\n' "$2"
}

# 1-3: -r with the +TOKEN address
mail a "8, but it took three days" | ctl ingest -f j.doe@ten.example \
	-r "feedback+$T1@fb.example" 2>"$MM_TMP/err"
tap_is $? 0 "ingest exits 0 for a stored reply"
tap_is "$(mm_sql "select level, source, why from ratings where survey_id = $S1")" \
	"8|1|but it took three days" "grade and comment stored (source mail)"
grep -q "ingest NOQUEUE: survey $S1 ticket=INC-1 rated 8 (mail) by address" "$MM_TMP/err"
tap_ok $? "logged to stderr"

# 4-5: recipient and sender from local(8)'s environment; red -> alert
mail b "rood" | RECIPIENT="feedback+$T2@fb.example" SENDER=j.doe@acme.example \
	"$MM_BIN/mailmoodctl" -c "$MM_CONF" ingest 2>/dev/null
tap_is $? 0 "recipient taken from \$RECIPIENT"
tap_is "$(mm_sql "select r.level, o.kind from ratings r join outbox o on o.rating_id = r.id where r.survey_id = $S2")" \
	"1|alert" "red reply queued an alert"

# 6-7: not a mail -> 65; an auto-reply -> 0, kept, no rating
printf 'this is not a mail\n' | ctl ingest 2>/dev/null
tap_is $? 65 "not a mail: exit 65 (EX_DATAERR)"
mail c "9" "Auto-Submitted: auto-replied" | ctl ingest -f u@x \
	-r "feedback+$T3@fb.example" 2>/dev/null
tap_is "$?:$(mm_sql "select status from replies where message_id = '<c@client>'"):$(mm_sql "select count(*) from ratings where survey_id = $S3")" \
	"0:auto:0" "auto-reply: exit 0, kept as auto, no rating"

# 8-12: store out of reach for the user the pipe runs as (SQLite:
# read-only; PostgreSQL: the server stopped) -> 75, nothing recorded;
# back again -> 0, once
chown -R nobody "$MM_DIR"
mm_store_break
tap_ok $? "the store is out of reach for nobody"
mail d "groen" >"$MM_TMP/d.eml"
runuser -u nobody -- "$MM_BIN/mailmoodctl" -c "$MM_CONF" ingest -f u@x \
	-r "feedback+$T3@fb.example" <"$MM_TMP/d.eml" 2>"$MM_TMP/err"
tap_is $? 75 "store out of reach: exit 75 (EX_TEMPFAIL)"
tap_ok "the reason is logged" grep -q "reply not stored, to be retried" "$MM_TMP/err"
mm_store_mend || tap_bail "the store did not come back"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $S3")" 0 \
	"nothing recorded"
runuser -u nobody -- "$MM_BIN/mailmoodctl" -c "$MM_CONF" ingest -f u@x \
	-r "feedback+$T3@fb.example" <"$MM_TMP/d.eml" 2>/dev/null
tap_is "$?:$(mm_sql "select level from ratings where survey_id = $S3")" "0:3" \
	"the retry stores it (green)"

# 13: the retry after a lost exit status is not recorded twice
ctl ingest -f u@x -r "feedback+$T3@fb.example" <"$MM_TMP/d.eml" 2>/dev/null
tap_is "$?:$(mm_sql "select count(*) from ratings where survey_id = $S3")" "0:1" \
	"the same mail again: exit 0, still one rating"

# 14-15: unmatched kept; a broken config is a temporary failure
mail e "hello?" | ctl ingest -f u@x -r feedback@fb.example 2>/dev/null
tap_is "$?:$(mm_sql "select status from replies where message_id = '<e@client>'")" \
	"0:unmatched" "unmatched: exit 0, kept"
mail f "8" | "$MM_BIN/mailmoodctl" -c "$MM_TMP/missing.conf" ingest 2>/dev/null
tap_is $? 75 "no config: exit 75, the MTA keeps the mail"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Every reply is visible. Closure mails go out through the milter in a
# real Postfix; replies come back through Postfix to mailmoodd over LMTP
# (and one through `mailmoodctl ingest`). `mailmoodctl show` lists each
# reply with where it came in, how it found its survey, its status, level
# and comment; a reply with a comment and no grade shows in the
# dashboard's comments and search (curl), the HTML report and export;
# /metrics counts ratings by source and replies by status.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
sql_is() { [ "$(mm_sql "$1")" = "$2" ]; } # QUERY WANT (for mm_wait_for)

data=$top_srcdir/tests/data/mail
COMMENT="Thanks for the quick help, only the engineer was late"
tap_plan 12
mm_tmpdir
_mm_port MM_HTTP_PORT
_mm_port LMTP_PORT
MM_LMTP=127.0.0.1:$LMTP_PORT
mm_config "[team ten]" "match = @ten.example" "alert_to = t@x" \
	"scale = grade10" "alert_at = 5"
ctl() { "$MM_BIN/mailmoodctl" -c "$MM_CONF" "$@"; }
echo 'root-password-1' | ctl passwd root --admin >/dev/null || tap_bail "passwd"
mm_milter_start || tap_bail "milter did not start"
mm_mailmoodd "$MM_CONF" "$LMTP_PORT" "$MM_DIR/mailmoodd.log"
mm_wait_listen "$MM_HTTP_PORT" 10 || tap_bail "mailmoodd: no HTTP"
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"recipient_delimiter = +" \
	"transport_maps = inline:{ feedback@fb.example=lmtp:inet:127.0.0.1:$LMTP_PORT }" ||
	tap_bail "postfix did not start"

for who in ten:j.doe@ten.example acme:j.doe@acme.example bob:bob@acme.example; do
	sed -e "s/inc1001@/${who%%:*}@/" -e "s/j\.doe@acme\.example/${who#*:}/" \
		"$data/closure-text.eml" >"$MM_TMP/closure-${who%%:*}.eml"
	pf_send servicedesk@example.com "${who#*:}" "$MM_TMP/closure-${who%%:*}.eml"
done
sink_wait_count 3 30 || tap_bail "closure mails did not arrive"
token_of() { # ID -> the Ref: token of the delivered closure mail
	local f
	f=$(sink_grep "^Message-ID: <$1@desk.example.com>" | head -n 1)
	sed -n 's/^Ref: \([A-Za-z0-9_-]\{39\}\)$/\1/p' "$f" | head -n 1
}
T_ACME=$(token_of acme)
T_BOB=$(token_of bob)
sid() { mm_sql "select id from surveys where message_id = '<$1@desk.example.com>'"; }
S_TEN=$(sid ten)
S_ACME=$(sid acme)
S_BOB=$(sid bob)
[ ${#T_ACME} = 39 ] && [ ${#T_BOB} = 39 ] && [ -n "$S_TEN" ] || tap_bail "no surveys"

reply() { # ID FROM TO BODY -> $MM_TMP/reply-ID.eml, In-Reply-To the closure
	{
		printf 'From: Requester <%s>\nTo: %s\n' "$2" "$3"
		printf 'Subject: Re: [INC-1001] Printer on fire: resolved\n'
		printf 'Message-ID: <reply-%s@client.example>\n' "$1"
		printf 'In-Reply-To: <%s@desk.example.com>\n' "$1"
		printf 'Date: Tue, 24 Nov 2026 09:00:00 +0000\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
		printf '%s\n\nOn Mon, 23 Nov 2026 at 10:00, Service Desk <servicedesk@example.com> wrote:\n> How did we do?\n' "$4"
	} >"$MM_TMP/reply-$1.eml"
}
# a comment without a grade, to the +TOKEN address; a grade to the plain
# address (In-Reply-To finds it); a comment through mailmoodctl ingest
reply acme j.doe@acme.example "feedback+$T_ACME@fb.example" "$COMMENT"
pf_send j.doe@acme.example "feedback+$T_ACME@fb.example" "$MM_TMP/reply-acme.eml"
reply ten j.doe@ten.example feedback@fb.example "8, but it took three days"
pf_send j.doe@ten.example feedback@fb.example "$MM_TMP/reply-ten.eml"
mm_wait_for 30 sql_is "select count(*) from replies" 2 ||
	tap_bail "replies did not arrive over LMTP"
reply bob bob@acme.example "feedback+$T_BOB@fb.example" "Bob says the ingest path works"
ctl ingest -f bob@acme.example -r "feedback+$T_BOB@fb.example" \
	<"$MM_TMP/reply-bob.eml" 2>/dev/null || tap_bail "ingest failed"

# 1-4: show --json
replies_of() { # SURVEY -> the replies as one line per reply
	ctl show --json "$1" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["replies"]:
    assert set(r) >= {"at", "source", "matched_by", "status", "level", "comment"}, r
    assert r["at"].endswith("Z"), r
    print(r["source"], r["matched_by"], r["status"], r["level"], r["comment"], sep="|")
'
}
tap_is "$(replies_of "$S_ACME")" "lmtp|address|comment|None|$COMMENT" \
	"show --json: the comment-only reply (lmtp, address, comment, level null)"
tap_is "$(replies_of "$S_TEN")" "lmtp|in-reply-to|rated|8|8, but it took three days" \
	"show --json: the rated reply (lmtp, in-reply-to, level 8)"
tap_is "$(replies_of "$S_BOB")" "ingest|address|comment|None|Bob says the ingest path works" \
	"show --json: a reply through mailmoodctl ingest has source ingest"
ctl show "$S_ACME" >"$MM_TMP/show.txt"
grep -q '^replies (1)$' "$MM_TMP/show.txt" &&
	grep -Eq '^  [0-9T:-]+Z  comment +- +via lmtp  by address$' "$MM_TMP/show.txt" &&
	grep -qF "      comment: $COMMENT" "$MM_TMP/show.txt"
tap_ok $? "text show lists the reply with its source, match and comment"

# 5-7: /metrics (this listener's LMTP replies; ingest runs elsewhere)
curl -s "http://127.0.0.1:$MM_HTTP_PORT/metrics" >"$MM_TMP/metrics"
grep -qx 'mailmood_replies_total{status="comment"} 1' "$MM_TMP/metrics" &&
	grep -qx 'mailmood_replies_total{status="rated"} 1' "$MM_TMP/metrics" &&
	grep -qx 'mailmood_replies_total{status="unmatched"} 0' "$MM_TMP/metrics"
tap_ok $? "/metrics: replies by status"
grep -qx 'mailmood_ratings_total{source="mail",level="8"} 1' "$MM_TMP/metrics"
tap_ok $? "/metrics: the mail rating counted with source mail"
grep -q '^# TYPE mailmood_replies_total counter$' "$MM_TMP/metrics" &&
	! grep -q 'mailmood_ratings_total{source="web"' "$MM_TMP/metrics"
tap_ok $? "/metrics: a counter, no web rating counted"

# 8-10: the dashboard over HTTP
URL=http://127.0.0.1:$MM_HTTP_PORT
req() { # PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -b "$MM_TMP/jar" \
		-c "$MM_TMP/jar" "$@" "$URL$p"
}
req /admin/login >/dev/null
CSRF=$(mm_csrf)
[ "$(req /admin/login --data-urlencode "csrf=$CSRF" --data-urlencode user=root \
	--data-urlencode password=root-password-1)" = 303 ] || tap_bail "dashboard login"
req /admin/team/acme >/dev/null
grep -qF "$COMMENT" "$MM_TMP/body" && grep -q '<b>comment</b>' "$MM_TMP/body"
tap_ok $? "dashboard: the team page lists the comment-only reply"
req '/admin/search?q=ENGINEER+was' >/dev/null
grep -qF "$COMMENT" "$MM_TMP/body" && ! grep -qF "Bob says" "$MM_TMP/body" &&
	req '/admin/search?q=ingest+path' >/dev/null &&
	grep -qF "Bob says the ingest path works" "$MM_TMP/body" &&
	! grep -qF "$COMMENT" "$MM_TMP/body"
tap_ok $? "dashboard: the comment search finds each by its own text"

# 11: the HTML report
ctl report --format html --team acme --output "$MM_TMP/r.html" 2>/dev/null
ctl report --format html --team ten --output "$MM_TMP/r2.html" 2>/dev/null
grep -qF "$COMMENT" "$MM_TMP/r.html" &&
	grep -qF "Bob says the ingest path works" "$MM_TMP/r.html" &&
	! grep -qF "$COMMENT" "$MM_TMP/r2.html"
tap_ok $? "report --format html: the comment-only replies in their team's latest comments"

# 12-13: export
ctl export --format json >"$MM_TMP/x.json"
python3 - "$MM_TMP/x.json" "$S_ACME" "$COMMENT" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
mine = [r for r in rows if r["survey_id"] == int(sys.argv[2])]
assert len(mine) == 1, rows
r = mine[0]
assert r["rating_id"] is None and r["reply_id"] > 0, r
assert r["level"] is None and r["level_key"] is None, r
assert r["source"] == "mail" and r["why"] == sys.argv[3], r
assert r["subject"] == "[INC-1001] Printer on fire: resolved", r
assert len(rows) == 3, rows  # the rating of ten, two comment-only replies
PY
tap_ok $? "export json: the comment-only reply as a row without a rating"
ctl export --format csv >"$MM_TMP/x.csv"
python3 - "$MM_TMP/x.csv" "$S_ACME" "$COMMENT" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
mine = [r for r in rows if r["survey_id"] == sys.argv[2]]
assert len(mine) == 1, rows
r = mine[0]
assert r["rating_id"] == "" and r["reply_id"] != "" and r["level"] == "", r
assert r["why"] == sys.argv[3], r
PY
tap_ok $? "export csv: the same row, rating_id and level empty"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmood-milter in a real Postfix (smtpd_milters and non_smtpd_milters):
# closure mails arrive in smtp-sink with the rating block and a survey row
# behind every link; other mails and signed mails arrive byte-identical;
# with the milter killed, mail still flows (default_action=accept).
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

data=$top_srcdir/tests/data/mail
check=$top_srcdir/tests/integration/check_closure.py
tap_plan 12
mm_tmpdir
mm_config
mm_milter_start || tap_bail "milter did not start"
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"non_smtpd_milters = { unix:$MM_SOCK, default_action=accept }" ||
	tap_bail "postfix did not start"

# LF copies of what was sent: smtp-sink stores LF line ends.
lf() { sed 's/\r$//' "$1" >"$MM_TMP/$(basename "$1").lf"; echo "$MM_TMP/$(basename "$1").lf"; }
delivered() { # MESSAGE-ID -> the sink file's message, Postfix's Received stripped
	local f
	f=$(sink_grep "^Message-ID: <$1>" | head -n 1)
	[ -n "$f" ] || return 1
	strip_postfix_headers "$f" >"$MM_TMP/got.$1"
	echo "$MM_TMP/got.$1"
}

pf_send servicedesk@example.com j.doe@acme.example "$data/closure-text.eml"
qid_text=$PF_LAST_QID
pf_send servicedesk@example.com j.doe@acme.example "$data/closure-alt.eml"
pf_send someone@example.com j.doe@acme.example "$data/plain-other.eml"
pf_send servicedesk@example.com j.doe@acme.example "$data/closure-signed.eml"
sed 's/inc1001@/local1001@/' "$data/closure-text.eml" >"$MM_TMP/local.eml"
pf_sendmail servicedesk@example.com j.doe@acme.example "$MM_TMP/local.eml"
sink_wait_count 5 30
tap_is "$(sink_count)" 5 "all five mails delivered to the sink"

got=$(delivered inc1001@desk.example.com)
out=$(mm_py "$check" "$data/closure-text.eml" "$got" "$MM_STORE_DSN" \
	"http://127.0.0.1:8080" INC-1001 "$MM_BIN/mailmoodctl" "$MM_CONF" 2>&1)
tap_ok $? "plain-text closure mail (SMTP) has the links, survey in the store"
tap_diag "$out"
grep -q "^mailmood-milter: $qid_text: survey [0-9]* ticket=INC-1001 rule=servicedesk .*requester=j.doe@acme.example injected text$" "$MM_DIR/milter.log"
tap_ok $? "milter log line starts with Postfix's queue id ($qid_text)"

got=$(delivered inc1002@desk.example.com)
out=$(mm_py "$check" "$data/closure-alt.eml" "$got" "$MM_STORE_DSN" \
	"http://127.0.0.1:8080" INC-1002 "$MM_BIN/mailmoodctl" "$MM_CONF" 2>&1)
tap_ok $? "multipart closure mail: text+html get links, PDF unchanged"
tap_diag "$out"
tail -n 2 "$got" | grep -q "^epilogue stays$"
tap_ok $? "epilogue kept"

got=$(delivered local1001@desk.example.com)
out=$(mm_py "$check" "$MM_TMP/local.eml" "$got" "$MM_STORE_DSN" \
	"http://127.0.0.1:8080" INC-1001 "$MM_BIN/mailmoodctl" "$MM_CONF" 2>&1)
tap_ok $? "closure mail submitted with sendmail(1) (non_smtpd_milters)"

got=$(delivered other1003@example.com)
tap_same_file "$got" "$(lf "$data/plain-other.eml")" "non-closure mail byte-identical"

got=$(delivered inc1004@desk.example.com)
tap_same_file "$got" "$(lf "$data/closure-signed.eml")" "signed closure mail byte-identical"
grep -q "ticket=INC-1004 rule=servicedesk requester=j.doe@acme.example passed unchanged: multipart/signed" "$MM_DIR/milter.log"
tap_ok $? "signed mail: log says why it passed unchanged"

n=$(mm_sql "select count(*) from surveys where status = 0")
tap_is "$n" 3 "three surveys recorded (the signed mail has none)"

# The milter dies: Postfix's default_action=accept keeps mail flowing.
{ kill -KILL "$MM_MILTER_PID"; wait "$MM_MILTER_PID"; } 2>/dev/null
sed 's/inc1001@/dead1001@/' "$data/closure-text.eml" >"$MM_TMP/dead.eml"
pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/dead.eml"
tap_ok $? "Postfix accepts mail with the milter dead"
sink_wait_count 6 30
got=$(delivered dead1001@desk.example.com)
tap_same_file "$got" "$(lf "$MM_TMP/dead.eml")" "mail delivered unchanged while the milter is down"
tap_done

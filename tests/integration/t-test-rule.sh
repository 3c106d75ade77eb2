#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodctl test-rule as the milter sees a mail: the envelope sender
# (--from, else Return-Path) so a `sender =` rule matches as it does live;
# --rcpt as the envelope recipient; the guards; LF in, LF out (and CRLF
# in, CRLF out) with --rewrite, never a mix.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

data=$top_srcdir/tests/data/mail
tap_plan 10
mm_tmpdir
mm_config "[rule jira]" "sender = jira@tickets.example" \
	"subject = /(?<ticket>JSD-\d+).*resolved/i"
ctl() { "$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$@" 2>&1; }

cat >"$MM_TMP/jira.eml" <<'MAIL'
From: Jira <no-reply@tickets.example>
To: j.doe@acme.example
Subject: JSD-42 resolved
Message-ID: <jsd42@tickets.example>
Content-Type: text/plain; charset=us-ascii

Your request JSD-42 was resolved.
MAIL
tap_is "$(ctl "$MM_TMP/jira.eml")" "no rule matched" \
	"sender rule, no envelope sender given: no match"
tap_is "$(ctl "$MM_TMP/jira.eml" --from jira@tickets.example | head -n 1)" \
	"rule=jira ticket=JSD-42 team=acme agent=- requester=j.doe@acme.example" \
	"--from: the sender rule matches as live"
{ echo "Return-Path: <jira@tickets.example>"; cat "$MM_TMP/jira.eml"; } >"$MM_TMP/jira-rp.eml"
tap_is "$(ctl "$MM_TMP/jira-rp.eml" | head -n 1)" \
	"rule=jira ticket=JSD-42 team=acme agent=- requester=j.doe@acme.example" \
	"Return-Path of a delivered mail stands for the envelope sender"
grep -v '^To:' "$MM_TMP/jira.eml" >"$MM_TMP/jira-noto.eml"
tap_is "$(ctl "$MM_TMP/jira-noto.eml" --from jira@tickets.example --rcpt '<Ann@Acme.example>' --rcpt other@x.example | head -n 1)" \
	"rule=jira ticket=JSD-42 team=acme agent=- requester=ann@acme.example" \
	"--rcpt: the first envelope recipient is the requester without a To"
tap_is "$(ctl "$MM_TMP/jira.eml" --from jira@tickets.example --rcpt)" \
	"usage: mailmoodctl test-rule MAIL.eml [--from ENVELOPE-SENDER] [--rcpt ADDRESS]... [--rewrite]" \
	"--rcpt without an address: usage"

sed 's/^Subject: /Subject: Fwd: /' "$MM_TMP/jira.eml" >"$MM_TMP/fwd.eml"
tap_is "$(ctl "$MM_TMP/fwd.eml" --from jira@tickets.example)" \
	"rule=jira ticket=JSD-42 team=- agent=- requester=j.doe@acme.example
no links: reply subject" "a forward's subject: no links"
sed 's/j.doe@acme.example/root@localhost/' "$MM_TMP/jira.eml" >"$MM_TMP/root.eml"
tap_is "$(ctl "$MM_TMP/root.eml" --from jira@tickets.example | tail -n 1)" \
	"no links: internal requester" "root@localhost: no links"

# line ends: LF in, LF out; CRLF in, CRLF out
sed 's/\r$//' "$data/closure-alt.eml" >"$MM_TMP/lf.eml"
"$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$MM_TMP/lf.eml" --rewrite \
	>"$MM_TMP/lf.out" 2>/dev/null
tap_is "$(grep -c $'\r' "$MM_TMP/lf.out"):$(grep -c '/r/' "$MM_TMP/lf.out" | sed 's/^0$/none/;s/^[0-9]*$/some/')" \
	"0:some" "LF input: rewritten mail has the block and no CR at all"
sed 's/\r$//; s/$/\r/' "$data/closure-alt.eml" >"$MM_TMP/crlf.eml"
"$MM_BIN/mailmoodctl" -c "$MM_CONF" test-rule "$MM_TMP/crlf.eml" --rewrite \
	>"$MM_TMP/crlf.out" 2>/dev/null
tap_is "$(grep -vc $'\r$' "$MM_TMP/crlf.out")" 0 \
	"CRLF input: every line of the rewritten mail ends in CRLF"
tap_is "$(mm_sql "select count(*) from surveys")" 0 "test-rule recorded nothing"
tap_done

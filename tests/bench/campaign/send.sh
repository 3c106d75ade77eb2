#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Campaign send throughput of the outbox: a relationship NPS round, queued
# by `mailmoodctl campaign NAME --send`, delivered by mailmoodd's outbox and
# by `mailmoodctl send-pending`, against smtp-source sending the same mail
# straight to the same counting smtp-sink (direct) and through a private
# Postfix (postfix) in the same run. The method and its helpers are the
# alerts benchmark's (tests/bench/outbox.sh); run.sh beside this file
# measures the selection and queueing half.
#   store    the real schema (mailmoodctl migrate); for each measurement a
#            team of its own with N requesters, each the requester of two
#            closure surveys (20 and 45 days ago), and a [campaign NAME]
#            for that team alone, so every round selects and queues
#            exactly N mails (quiet and every are per address and per
#            campaign); the round is queued before the clock starts
#   mail     one real campaign mail (text + HTML, eleven signed links,
#            List-Unsubscribe, Reply-To feedback+TOKEN@), captured from a
#            warm-up round sent to a file-writing sink, is smtp-source's
#            mail, so both sides move the same bytes
#   daemon   mailmoodd started on the queued round; done when every
#            recipient's outbox row is state SENT and the sink has N more
#   ctl      one timed `mailmoodctl send-pending` pass over the next round
# Target: daemon campaign mails/s >= 0.5 x postfix msg/s. Prints msg/s
# (best of ROUNDS), the ratios and PASS/MISS; exit 1 on a miss. Not run in
# CI.
# usage: top_srcdir=... top_builddir=... tests/bench/campaign/send.sh \
#        [N] [ROUNDS]
# Measured (N=2000, 6 kB mails, best of 3, 2 cores shared at load 13-14):
# direct 3095, postfix 426, daemon 1739, send-pending 2407 msg/s, ratio
# daemon/postfix 4.08 (an earlier run: 4.66). A send-pending pass holds one
# SMTP session (smtp-sink counts sess=1 for 200 mails); perf shows its CPU
# (0.28 ms a mail) split between curl's sends, the composing (18%, of it
# quoted-printable 13%), statement preparing (16%) and marking rows done.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/bench/outbox.sh"
B=${top_builddir:?}
N=${1:-${N:-2000}}
ROUNDS=${2:-${ROUNDS:-3}}
SESSIONS=4
DAY=86400
outbox_bench_setup
# the tags: W the warm-up, D1.. the daemon's rounds, C1.. send-pending's
TAGS="W $(for r in $(seq "$ROUNDS"); do printf 'D%d C%d ' "$r" "$r"; done)"
write_conf() { # RELAY_PORT
	local tag
	{
		cat <<CONF
[general]
base_url = http://127.0.0.1:$MM_PORT
secret_file = $T/key
store = $T/mm.db
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$MM_PORT
lmtp = none
http_threads = 2
smtp_url = smtp://127.0.0.1:$1
smtp_tls = none
alert_from = mailmood@msp.example
reply_address = feedback@msp.example
pid_file = $T/mailmoodd.pid
[milter]
internal = @msp.example
CONF
		for tag in $TAGS; do
			tag=${tag,,}
			printf '[team %s]\nmatch = @%s.example\nalert_to = team-%s@msp.example\n' \
				"$tag" "$tag" "$tag"
			printf '[campaign nps-%s]\nteams = %s\nfrom = nps@msp.example\n' "$tag" "$tag"
		done
	} >"$T/mm.conf"
}
sql() { sqlite3 "$T/mm.db" "$@"; }
# seed TAG COUNT — COUNT requesters of team TAG, two closure surveys each
seed() {
	local team=${1,,}
	sql "PRAGMA busy_timeout = 10000;
	 BEGIN;
	 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2),
	 a(d) AS (VALUES (20), (45))
	 INSERT INTO surveys (sent_at, status, rule, ticket, team, agent, requester,
	        scale, language, subject)
	 SELECT strftime('%s','now') - d * $DAY - 1800, 0, 'r', '$1-' || i || '-' || d,
	        '$team', 'agent', 'requester.' || i || '@$team.example', 'thermometer',
	        'en', '[$1-' || i || '] Drucker überhitzt, Abteilung Süd: resolved'
	 FROM n, a;
	 COMMIT;" >/dev/null
}
# queue TAG — the campaign round of TAG's team: exactly N mails
queue() {
	local out
	out=$("$CTL" -c "$T/mm.conf" campaign "nps-${1,,}" --send 2>&1)
	case $out in
	*" queued $N mails") ;;
	*)
		echo "# campaign nps-${1,,}: $out" >&2
		return 1
		;;
	esac
}
sent_of() { # TAG -> the round's outbox rows in state SENT
	sql "PRAGMA busy_timeout = 10000;
	 SELECT count(*) FROM campaign_recipients r
	 JOIN campaign_rounds d ON d.id = r.round_id
	 JOIN outbox o ON o.id = r.outbox_id
	 WHERE d.campaign = 'nps-${1,,}' AND o.state = 2" | tail -n 1
}

# ------------------------------------------------------------ the store
write_conf 9 # no mail yet
"$CTL" -c "$T/mm.conf" migrate >/dev/null || exit 1
seed W 1
for tag in $TAGS; do
	[ "$tag" = W ] || seed "$tag" "$N"
done

# ------------------------------------------------------------ warm-up:
# one real campaign mail as smtp-source's mail
sink_start || exit 1
write_conf "$SINK_PORT"
out=$("$CTL" -c "$T/mm.conf" campaign nps-w --send 2>&1)
[ "$out" != "${out% queued 1 mails}" ] || { echo "warm-up round: $out" >&2; exit 1; }
"$CTL" -c "$T/mm.conf" send-pending >/dev/null 2>>"$T/ctl.log"
sink_wait_count 1 10 || { echo "warm-up mail did not arrive" >&2; cat "$T/ctl.log" >&2; exit 1; }
MAIL=$T/campaign.eml
sink_body "$(sink_messages | head -n 1)" >"$MAIL"
sink_stop
grep -q '^List-Unsubscribe-Post: ' "$MAIL" || { echo "the warm-up mail is no campaign mail" >&2; exit 1; }
MAIL_FROM=nps@msp.example
MAIL_TO=requester.1@w.example
SIZE=$(wc -c <"$MAIL")

# ------------------------------------------------------------ the sink
counting_sink_start || exit 1

echo "# $N mails per measurement, $SIZE-byte campaign mail, $SESSIONS smtp-source sessions, $(nproc) CPUs, best of $ROUNDS"

run_rounds campaign

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Red-alert throughput of the outbox, same run, same machine, same
# sink, same mail (the method and its helpers: tests/bench/outbox.sh):
#   direct   smtp-source -s 4 -m N straight to smtp-sink
#   postfix  smtp-source -s 4 -m N into a private Postfix (lib.sh pf_start)
#            that relays to the same smtp-sink; done when the sink has N
#   daemon   N red-rated surveys with queued alert rows (seeded in SQL, the
#            way t-alerts.sh seeds its bulk test), then mailmoodd is started
#            with smtp_url pointing at the sink; done when every row is
#            state SENT (sqlite3), cross-checked with the sink's count
#   ctl      the same with one `mailmoodctl send-pending` pass (timed process)
# The mail smtp-source sends is one real alert, captured from a warm-up
# send to a file-writing sink, so both sides move the same bytes.
# Target: daemon alerts/s >= 0.5 x postfix msg/s. Prints msg/s (best of
# ROUNDS), the ratios and PASS/MISS; exit 1 on a miss. Not run in CI.
# usage: top_srcdir=... top_builddir=... tests/bench/alerts/run.sh [N] [ROUNDS]
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/bench/outbox.sh"
B=${top_builddir:?}
N=${1:-${N:-2000}}
ROUNDS=${2:-${ROUNDS:-3}}
SESSIONS=4
outbox_bench_setup
write_conf() { # RELAY_PORT
	cat >"$T/mm.conf" <<CONF
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
ticket_url = https://desk.example/ticket/{ticket}
pid_file = $T/mailmoodd.pid
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
alert_at = red
CONF
}
sql() { sqlite3 "$T/mm.db" "$@"; }
# seed TAG COUNT — COUNT red-rated surveys, each with a due alert row
seed() {
	sql "PRAGMA busy_timeout = 10000;
	 BEGIN;
	 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
	 INSERT INTO surveys (sent_at, status, ticket, team, requester, agent, scale,
	        subject)
	 SELECT strftime('%s','now') - 3600, 0, '$1-' || i, 'acme',
	        'u' || i || '@acme.example', 'agent', 'thermometer',
	        '[$1-' || i || '] Drucker überhitzt, Abteilung Süd: resolved' FROM n;
	 INSERT INTO ratings (survey_id, at, level, current, why)
	 SELECT id, strftime('%s','now'), 1, 1, 'It took a week and nobody called back.'
	 FROM surveys WHERE ticket LIKE '$1-%';
	 INSERT INTO outbox (kind, survey_id, rating_id, due, created_at)
	 SELECT 'alert', survey_id, id, 0, strftime('%s','now') FROM ratings
	 WHERE survey_id IN (SELECT id FROM surveys WHERE ticket LIKE '$1-%');
	 COMMIT;" >/dev/null
}
sent_of() { # TAG -> rows of that seed in state SENT
	sql "PRAGMA busy_timeout = 10000;
	 SELECT count(*) FROM outbox o JOIN surveys s ON s.id = o.survey_id
	 WHERE s.ticket LIKE '$1-%' AND o.state = 2" | tail -n 1
}
queue() { seed "$1" "$N"; }

# ------------------------------------------------------------ warm-up:
# the store's schema, and one real alert as smtp-source's mail
sink_start || exit 1
write_conf "$SINK_PORT"
"$CTL" -c "$T/mm.conf" send-pending >/dev/null 2>"$T/ctl.log" || {
	cat "$T/ctl.log" >&2
	exit 1
}
seed WARM 1
"$CTL" -c "$T/mm.conf" send-pending >/dev/null 2>>"$T/ctl.log"
sink_wait_count 1 10 || { echo "warm-up alert did not arrive" >&2; cat "$T/ctl.log" >&2; exit 1; }
sink_body "$(sink_messages | head -n 1)" >"$T/alert.eml"
sink_stop
SIZE=$(wc -c <"$T/alert.eml")

# ------------------------------------------------------------ the sink
MAIL=$T/alert.eml
MAIL_FROM=mailmood@msp.example
MAIL_TO=team-acme@msp.example
counting_sink_start || exit 1

echo "# $N mails per measurement, $SIZE-byte alert, $SESSIONS smtp-source sessions, $(nproc) CPUs, best of $ROUNDS"

run_rounds alerts

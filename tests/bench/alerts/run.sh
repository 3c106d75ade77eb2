#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Red-alert throughput of the outbox, same run, same machine, same
# sink, same mail:
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
# The counting sink is `smtp-sink -c` (keeps nothing; its running counters
# are read from its stdout): counting capture files would cost more than
# the mails under test.
# Target: daemon alerts/s >= 0.5 x postfix msg/s. Prints msg/s (best of
# ROUNDS), the ratios and PASS/MISS; exit 1 on a miss. Not run in CI.
# usage: top_srcdir=... top_builddir=... tests/bench/alerts/run.sh [N] [ROUNDS]
. "${top_srcdir:?}/tests/integration/lib.sh"
B=${top_builddir:?}
N=${1:-${N:-2000}}
ROUNDS=${2:-${ROUNDS:-3}}
SESSIONS=4
MMD=$B/src/mailmoodd
CTL=$B/src/mailmoodctl
for f in "$MMD" "$CTL"; do
	[ -x "$f" ] || { echo "missing $f (make)" >&2; exit 1; }
done
for f in smtp-source smtp-sink sqlite3 postfix; do
	command -v "$f" >/dev/null || { echo "missing $f" >&2; exit 1; }
done

mm_tmpdir
T=$MM_TMP
_mm_port MM_PORT
head -c 32 /dev/urandom >"$T/key" && chmod 600 "$T/key"
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
now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.1f' % ($1 / ($3 - $2)))"; }

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
_mm_port SINK_PORT # a new one: the warm-up sink's port stays out of it
export SINK_PORT
smtp-sink -u postfix -c -4 "127.0.0.1:$SINK_PORT" 256 >"$T/csink.out" 2>"$T/csink.err" &
CSINK_PID=$!
mm_track_pid "$CSINK_PID"
mm_wait_listen "$SINK_PORT" 10 || { cat "$T/csink.err" >&2; exit 1; }
# mails the sink has received so far ("... mesg=N\r" after each ".")
sink_n() {
	local s
	s=$(tail -c 80 "$T/csink.out" | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1)
	echo "${s:-0}"
}
wait_sink() { # COUNT TIMEOUT
	local n=$(($2 * 100))
	while [ "$(sink_n)" -lt "$1" ]; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.01
	done
}
write_conf "$SINK_PORT"
pf_start "default_process_limit = 50" || exit 1

echo "# $N mails per measurement, $SIZE-byte alert, $SESSIONS smtp-source sessions, $(nproc) CPUs, best of $ROUNDS"

run_direct() {
	local base t0 t1
	base=$(sink_n)
	t0=$(now)
	smtp-source -4 -s $SESSIONS -m "$N" -f mailmood@msp.example \
		-t team-acme@msp.example -F "$T/alert.eml" "127.0.0.1:$SINK_PORT" || return 1
	wait_sink $((base + N)) 60 || return 1
	t1=$(now)
	rate "$N" "$t0" "$t1"
}

run_postfix() {
	local base t0 t1
	base=$(sink_n)
	t0=$(now)
	smtp-source -4 -s $SESSIONS -m "$N" -f mailmood@msp.example \
		-t team-acme@msp.example -F "$T/alert.eml" "127.0.0.1:$PF_PORT" || return 1
	wait_sink $((base + N)) 300 || { echo "# postfix: sink has $(($(sink_n) - base)) of $N" >&2; return 1; }
	t1=$(now)
	rate "$N" "$t0" "$t1"
}

# all N rows SENT (polled in the store), and exactly N more mails in the sink
check_alerts() { # TAG BASE
	local got
	got=$(($(sink_n) - $2))
	if [ "$got" -ne "$N" ]; then
		echo "# $1: the sink got $got mails for $N alerts" >&2
		return 1
	fi
}

run_daemon() { # TAG
	local base t0 t1 pid n=$((300 * 20))
	seed "$1" "$N" || return 1
	base=$(sink_n)
	t0=$(now)
	"$MMD" -f -c "$T/mm.conf" 2>>"$T/mailmoodd.log" &
	pid=$!
	mm_track_pid "$pid"
	# the sink's counter is cheap to poll finely; then the store must
	# say SENT for every row (mark_done follows each accepted mail)
	wait_sink $((base + N)) 300
	while [ "$(sent_of "$1")" != "$N" ]; do
		if [ "$n" -le 0 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "# daemon: $(sent_of "$1") of $N sent" >&2
			mm_stop_pid "$pid"
			return 1
		fi
		n=$((n - 1))
		sleep 0.05
	done
	t1=$(now)
	mm_stop_pid "$pid"
	wait "$pid" 2>/dev/null
	check_alerts "$1" "$base" || return 1
	rate "$N" "$t0" "$t1"
}

run_ctl() { # TAG
	local base t0 t1 out
	seed "$1" "$N" || return 1
	base=$(sink_n)
	t0=$(now)
	out=$("$CTL" -c "$T/mm.conf" send-pending 2>>"$T/ctl.log") || return 1
	t1=$(now)
	[ "$out" = "sent $N, deferred 0, failed 0" ] || { echo "# ctl: $out" >&2; return 1; }
	[ "$(sent_of "$1")" = "$N" ] || { echo "# ctl: $(sent_of "$1") rows SENT" >&2; return 1; }
	wait_sink $((base + N)) 10
	check_alerts "$1" "$base" || return 1
	rate "$N" "$t0" "$t1"
}

best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
declare -A res
fail=0
for r in $(seq "$ROUNDS"); do
	for k in direct postfix daemon ctl; do
		case $k in
		direct) v=$(run_direct) ;;
		postfix) v=$(run_postfix) ;;
		daemon) v=$(run_daemon "D$r") ;;
		ctl) v=$(run_ctl "C$r") ;;
		esac
		if [ -z "$v" ]; then
			echo "# round $r: $k FAILED" >&2
			fail=1
			v=0
		fi
		res[$k]+=" $v"
		echo "# round $r: $k $v msg/s"
	done
done
[ "$fail" = 0 ] || { tail -n 20 "$T/mailmoodd.log" "$T/ctl.log" | tap_diag; }

direct=$(best ${res[direct]})
postfix=$(best ${res[postfix]})
daemon=$(best ${res[daemon]})
ctl=$(best ${res[ctl]})
ratio=$(python3 -c "print('%.2f' % ($daemon / $postfix if $postfix else 0))")
ratio_ctl=$(python3 -c "print('%.2f' % ($ctl / $postfix if $postfix else 0))")
ratio_direct=$(python3 -c "print('%.2f' % ($daemon / $direct if $direct else 0))")
echo "smtp-source -> smtp-sink (direct):        $direct msg/s   (rounds:${res[direct]})"
echo "smtp-source -> Postfix -> smtp-sink:      $postfix msg/s   (rounds:${res[postfix]})"
echo "mailmoodd outbox -> smtp-sink (alerts):   $daemon alerts/s   (rounds:${res[daemon]})"
echo "mailmoodctl send-pending -> smtp-sink:    $ctl alerts/s   (rounds:${res[ctl]})"
echo "ratio alerts/postfix: $ratio (send-pending: $ratio_ctl; alerts/direct: $ratio_direct)"
if [ "$fail" = 0 ] && python3 -c "import sys; sys.exit(0 if $ratio >= 0.5 else 1)"; then
	echo "PASS alerts >= 0.5 x postfix"
else
	echo "MISS alerts >= 0.5 x postfix"
	exit 1
fi

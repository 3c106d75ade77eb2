#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Milter throughput through a real Postfix on loopback, same run, same
# mails (doc/ARCHITECTURE.md trap: socket kind matters, so every milter here is on a
# unix socket):
#   none     Postfix without a milter
#   null     a do-nothing milter that takes headers and body (nullmilter.c)
#   closure  mailmood-milter, closure mails (tests/data/mail/closure-alt.eml:
#            multipart/mixed, text+html alternative, PDF attachment)
#   other    mailmood-milter, non-closure mails (plain-other.eml)
#   thread   mailmood-milter, non-closure replies in a thread whose
#            In-Reply-To names no survey (thread-other.eml): one store
#            look-up at end of headers, body never sent
#   mix      80 % plain-other.eml + 20 % replies to the ticket address
#            (ticket-reply.eml: In-Reply-To names the closure mail, from
#            the requester, no Message-ID so each one is rated and kept),
#            against the do-nothing milter on the same mix
#   bodies   a second mailmood-milter with ticket_reply_scan = bodies
#            (every body sent and searched for a quoted token), on the
#            non-closure and threaded mails: what reading every body costs
# Prints msg/s (best of ROUNDS) and the ratios against null; then the
# milter's RSS after LEAK_N and 2*LEAK_N closure mails.
# usage: top_srcdir=... top_builddir=... tests/bench/milter/run.sh [N] [ROUNDS] [LEAK_N]
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
N=${1:-2000}
ROUNDS=${2:-2}
LEAK_N=${3:-10000}
SESSIONS=8
data=$top_srcdir/tests/data/mail

mm_tmpdir
MM_COOLDOWN=0 mm_config
mm_milter_start || exit 1
BODIES_SOCK=$MM_DIR/bodies.sock
sed -e "s|^socket .*|socket = unix:$BODIES_SOCK|" \
	-e 's/^cooldown .*/&\nticket_reply_scan = bodies/' "$MM_CONF" >"$MM_DIR/bodies.conf"
"$MM_BIN/mailmood-milter" -f -c "$MM_DIR/bodies.conf" >>"$MM_DIR/bodies.log" 2>&1 &
mm_track_pid $!
mm_wait_for 10 test -S "$BODIES_SOCK" || exit 1
cc -O2 -o "$MM_TMP/nullmilter" "$top_srcdir/tests/bench/milter/nullmilter.c" \
	$(pkg-config --cflags --libs milter) -lpthread || exit 1
NULL_SOCK=$MM_TMP/null.sock
"$MM_TMP/nullmilter" "unix:$NULL_SOCK" &
mm_track_pid $!
mm_wait_for 10 test -S "$NULL_SOCK" || exit 1
chmod 666 "$NULL_SOCK"
# A sink that keeps nothing: counting tens of thousands of capture files
# would cost more than the milter under test. Done = queue drained.
_mm_port SINK_PORT
smtp-sink -u postfix -4 "127.0.0.1:$SINK_PORT" 256 >"$MM_TMP/sink.log" 2>&1 &
mm_track_pid $!
mm_wait_listen "$SINK_PORT" 10 || exit 1
pf_start "default_process_limit = 50" || exit 1

# run NAME MILTER_SOCKET|none FILE -> msg/s on stdout
run() {
	local sock=$2 file=$3 t0 t1
	if [ "$sock" = none ]; then
		pf_postconf -e "smtpd_milters ="
	else
		pf_postconf -e "smtpd_milters = { unix:$sock, default_action=accept }"
	fi
	pf_reload
	sleep 1
	t0=$(date +%s.%N)
	smtp-source -4 -s $SESSIONS -m "$N" -f servicedesk@example.com \
		-t j.doe@acme.example -F "$file" "127.0.0.1:$PF_PORT" || return 1
	pf_wait_drain 300 >/dev/null || return 1
	t1=$(date +%s.%N)
	python3 -c "print('%.1f' % ($N / ($t1 - $t0)))"
}

# run_mix NAME MILTER_SOCKET -> msg/s of the 80/20 mix on stdout
run_mix() {
	local sock=$2 t0 t1 nr=$((N / 5))
	pf_postconf -e "smtpd_milters = { unix:$sock, default_action=accept }"
	pf_reload
	sleep 1
	t0=$(date +%s.%N)
	smtp-source -4 -s $((SESSIONS - 2)) -m $((N - nr)) -f someone@example.com \
		-t j.doe@acme.example -F "$data/plain-other.eml" "127.0.0.1:$PF_PORT" &
	smtp-source -4 -s 2 -m "$nr" -f j.doe@acme.example \
		-t servicedesk@example.com -F "$data/ticket-reply.eml" "127.0.0.1:$PF_PORT" || return 1
	wait $! || return 1
	wait
	pf_wait_drain 300 >/dev/null || return 1
	t1=$(date +%s.%N)
	python3 -c "print('%.1f' % ($N / ($t1 - $t0)))"
}

best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
declare -A res
for r in $(seq "$ROUNDS"); do
	res[none]+=" $(run none none "$data/plain-other.eml")"
	res[null]+=" $(run null "$NULL_SOCK" "$data/closure-alt.eml")"
	res[closure]+=" $(run closure "$MM_SOCK" "$data/closure-alt.eml")"
	res[other]+=" $(run other "$MM_SOCK" "$data/plain-other.eml")"
	res[thread]+=" $(run thread "$MM_SOCK" "$data/thread-other.eml")"
	res[obodies]+=" $(run obodies "$BODIES_SOCK" "$data/plain-other.eml")"
	res[tbodies]+=" $(run tbodies "$BODIES_SOCK" "$data/thread-other.eml")"
	res[mixnull]+=" $(run_mix mixnull "$NULL_SOCK")"
	res[mix]+=" $(run_mix mix "$MM_SOCK")"
done
none=$(best ${res[none]}); null=$(best ${res[null]})
closure=$(best ${res[closure]}); other=$(best ${res[other]})
thread=$(best ${res[thread]}); obodies=$(best ${res[obodies]}); tbodies=$(best ${res[tbodies]})
mixnull=$(best ${res[mixnull]}); mix=$(best ${res[mix]})
echo "milter benchmark: $N mails x $ROUNDS rounds, $SESSIONS SMTP sessions, unix sockets"
printf '  %-28s %8s msg/s  (runs:%s)\n' "no milter" "$none" "${res[none]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "do-nothing milter" "$null" "${res[null]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "mailmood, closure mix" "$closure" "${res[closure]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "mailmood, non-closure mix" "$other" "${res[other]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "mailmood, threaded non-closure" "$thread" "${res[thread]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "bodies scan, non-closure" "$obodies" "${res[obodies]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "bodies scan, threaded" "$tbodies" "${res[tbodies]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "do-nothing, 20% ticket replies" "$mixnull" "${res[mixnull]}"
printf '  %-28s %8s msg/s  (runs:%s)\n' "mailmood, 20% ticket replies" "$mix" "${res[mix]}"
# Best of rounds, and the median of each round's own ratio (its runs are
# back to back, so a busy moment hits both sides of that round).
python3 - "$null" "$closure" "$other" "$thread" "$mixnull" "$mix" "$obodies" "$tbodies" \
	"${res[null]}" "${res[closure]}" "${res[other]}" "${res[thread]}" \
	"${res[mixnull]}" "${res[mix]}" "${res[obodies]}" "${res[tbodies]}" <<'PY'
import statistics, sys
null, closure, other, thread, mixnull, mix, obodies, tbodies = map(float, sys.argv[1:9])
rn, rc, ro, rt, rmn, rm, rob, rtb = ([float(x) for x in a.split()] for a in sys.argv[9:17])
med = lambda xs, ns: statistics.median(x / n for x, n in zip(xs, ns))
print("  closure / do-nothing  = %.2f best, %.2f median per round  (target >= 0.85)" % (closure / null, med(rc, rn)))
print("  non-closure / do-nothing = %.2f best, %.2f median per round  (target >= 0.97)" % (other / null, med(ro, rn)))
print("  threaded non-closure / do-nothing = %.2f best, %.2f median per round  (target >= 0.97)" % (thread / null, med(rt, rn)))
print("  bodies scan: non-closure / do-nothing = %.2f best, %.2f median; threaded %.2f best, %.2f median  (target >= 0.97)" % (obodies / null, med(rob, rn), tbodies / null, med(rtb, rn)))
# the mix's target blends the two: 0.8 * 0.97 + 0.2 * 0.85
print("  20%% ticket-reply mix / do-nothing on it = %.2f best, %.2f median per round  (target >= 0.95)" % (mix / mixnull, med(rm, rmn)))
PY
surveys=$(mm_sql "select count(*) from surveys")
echo "  surveys recorded: $surveys (want $((N * ROUNDS)))"
echo "  ticket replies rated: $(mm_sql "select count(*) from replies where source = 'milter'") (want $((N / 5 * ROUNDS)))"

# Leak check: RSS after LEAK_N and 2*LEAK_N more closure mails.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$MM_MILTER_PID/status"; }
pf_postconf -e "smtpd_milters = { unix:$MM_SOCK, default_action=accept }"
pf_reload; sleep 1
for step in 1 2; do
	smtp-source -4 -s $SESSIONS -m "$LEAK_N" -f servicedesk@example.com \
		-t j.doe@acme.example -F "$data/closure-alt.eml" "127.0.0.1:$PF_PORT"
	pf_wait_drain 600 >/dev/null
	eval "rss$step=$(rss)"
done
echo "  milter RSS after $LEAK_N closure mails: ${rss1} kB; after $((2 * LEAK_N)): ${rss2} kB (target < 32768 kB, no growth)"

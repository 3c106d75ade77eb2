# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the outbox throughput benchmarks (tests/bench/alerts/run.sh,
# tests/bench/campaign/send.sh): the counting sink, the two smtp-source
# baselines, the daemon and send-pending measurements, the rounds and the
# verdict. Same run, same machine, same sink, same mail:
#   direct   smtp-source -s SESSIONS -m N straight to smtp-sink
#   postfix  smtp-source -s SESSIONS -m N into a private Postfix (lib.sh
#            pf_start) that relays to the same smtp-sink; done when the
#            sink has N more
#   daemon   N outbox rows queued by the caller, then mailmoodd started
#            with smtp_url pointing at the sink; done when every row is
#            state SENT, cross-checked with the sink's count
#   ctl      the same with one `mailmoodctl send-pending` pass (timed)
# The counting sink is `smtp-sink -c` (keeps nothing; its running counters
# are read from its stdout): counting capture files would cost more than
# the mails under test.
# The caller sources tests/integration/lib.sh first, calls
# outbox_bench_setup (MMD, CTL, T, MM_PORT, the key $T/key), sets
# N, ROUNDS, SESSIONS, MAIL (the captured mail file), MAIL_FROM,
# MAIL_TO, and defines
#   write_conf RELAY_PORT   $T/mm.conf sending through 127.0.0.1:RELAY_PORT
#   queue TAG               N due outbox rows that belong to TAG
#   sent_of TAG             how many of TAG's rows are state SENT
# The programs and tools both benchmarks need, a temporary directory T,
# the listener's port MM_PORT and a key file $T/key; B is the build dir.
outbox_bench_setup() {
	local f
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
}

now() { date +%s.%N; }
rate() { python3 -c "print('%.1f' % ($1 / ($3 - $2)))"; }
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# counting_sink_start — a counting smtp-sink on a new port (the capture
# sink's port stays out of it), then the private Postfix relaying to it
counting_sink_start() {
	_mm_port SINK_PORT
	export SINK_PORT
	smtp-sink -u postfix -c -4 "127.0.0.1:$SINK_PORT" 256 \
		>"$T/csink.out" 2>"$T/csink.err" &
	CSINK_PID=$!
	mm_track_pid "$CSINK_PID"
	mm_wait_listen "$SINK_PORT" 10 || { cat "$T/csink.err" >&2; return 1; }
	write_conf "$SINK_PORT"
	pf_start "default_process_limit = 50"
}

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

run_source() { # PORT NAME TIMEOUT — smtp-source sends N copies of $MAIL
	local base t0 t1
	base=$(sink_n)
	t0=$(now)
	smtp-source -4 -s "$SESSIONS" -m "$N" -f "$MAIL_FROM" -t "$MAIL_TO" \
		-F "$MAIL" "127.0.0.1:$1" || return 1
	wait_sink $((base + N)) "$3" || { echo "# $2: sink has $(($(sink_n) - base)) of $N" >&2; return 1; }
	t1=$(now)
	rate "$N" "$t0" "$t1"
}

# exactly N more mails in the sink
check_sink() { # NAME BASE
	local got
	got=$(($(sink_n) - $2))
	if [ "$got" -ne "$N" ]; then
		echo "# $1: the sink got $got mails for $N rows" >&2
		return 1
	fi
}

run_daemon() { # TAG
	local base t0 t1 pid n=$((300 * 20))
	queue "$1" || return 1
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
	check_sink daemon "$base" || return 1
	rate "$N" "$t0" "$t1"
}

run_ctl() { # TAG
	local base t0 t1 out
	queue "$1" || return 1
	base=$(sink_n)
	t0=$(now)
	out=$("$CTL" -c "$T/mm.conf" send-pending 2>>"$T/ctl.log") || return 1
	t1=$(now)
	[ "$out" = "sent $N, deferred 0, failed 0" ] || { echo "# ctl: $out" >&2; return 1; }
	[ "$(sent_of "$1")" = "$N" ] || { echo "# ctl: $(sent_of "$1") rows SENT" >&2; return 1; }
	wait_sink $((base + N)) 10
	check_sink ctl "$base" || return 1
	rate "$N" "$t0" "$t1"
}

# run_rounds WHAT — ROUNDS rounds of the four measurements, then the
# figures, the ratios and PASS/MISS (target: daemon >= 0.5 x postfix);
# WHAT names the mails (alerts, campaign mails). Returns 1 on a miss.
run_rounds() {
	local what=$1 r k v direct postfix daemon ctl ratio ratio_ctl ratio_direct
	local -A res
	local fail=0
	for r in $(seq "$ROUNDS"); do
		for k in direct postfix daemon ctl; do
			case $k in
			direct) v=$(run_source "$SINK_PORT" direct 60) ;;
			postfix) v=$(run_source "$PF_PORT" postfix 300) ;;
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
	printf '%-42s%s msg/s   (rounds:%s)\n' "smtp-source -> smtp-sink (direct):" "$direct" "${res[direct]}"
	printf '%-42s%s msg/s   (rounds:%s)\n' "smtp-source -> Postfix -> smtp-sink:" "$postfix" "${res[postfix]}"
	printf '%-42s%s %s/s   (rounds:%s)\n' "mailmoodd outbox -> smtp-sink ($what):" "$daemon" "$what" "${res[daemon]}"
	printf '%-42s%s %s/s   (rounds:%s)\n' "mailmoodctl send-pending -> smtp-sink:" "$ctl" "$what" "${res[ctl]}"
	echo "ratio $what/postfix: $ratio (send-pending: $ratio_ctl; $what/direct: $ratio_direct)"
	if [ "$fail" = 0 ] && python3 -c "import sys; sys.exit(0 if $ratio >= 0.5 else 1)"; then
		echo "PASS $what >= 0.5 x postfix"
	else
		echo "MISS $what >= 0.5 x postfix"
		return 1
	fi
}

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Rating POSTs per second against mailmoodd on PostgreSQL vs on SQLite, in
# the same run on the same machine, with 1 and 2 listener processes:
#   sqlite-1  one mailmoodd on a SQLite file
#   sqlite-2  two mailmoodd processes (two ports) on that same file
#   pg-1      one mailmoodd on a private PostgreSQL cluster
#             (tests/integration/mailmood.sh: MM_STORE=pg mm_store_setup)
#   pg-2      two mailmoodd processes on that same database
# The load is the POST phase of tests/bench/http/run.sh: wrk with
# tests/bench/http/post.lua (used from there), which moves every survey
# to another level on each pass, so every POST records a new rating (the
# old one becomes history; red queues an alert, leaving red cancels it).
# SURVEYS surveys per store are made with mm-mksurvey, their CSRF values
# scraped from the landing pages through sqlite-1 (tokens and CSRF values
# depend on the key and the survey id only, so PostgreSQL's identical
# list reuses them: its listeners see POSTs only). Red alerts are queued
# and cancelled but never due during the run (alert_delay = 1d: nothing
# is sent; tests/bench/alerts measures sending). With 2 listeners two wrk
# processes run at once, each with half the connections, half the wrk
# threads and its own half of the surveys: req/s are summed, p50 and p99
# are the larger of the two. Every configuration has the same total
# connection count (CONNS) and every listener the same http_threads. All
# listeners run for the whole benchmark (idle ones only poll their
# outbox). Before anything is measured, one POST through each listener
# must record a rating (a daemon that dies is reported with its signal).
# Each measurement: WARMUP of load, then DURATION measured; ROUNDS rounds,
# interleaved since the machine is noisy: odd rounds in CONFIGS order
# (sqlite-1 pg-1 pg-2 sqlite-2), even rounds reversed, because the stores
# grow during the run and POSTs get slower as they do (history rows, and
# on PostgreSQL dead outbox index entries): in a fixed order the
# configuration that always follows another on the same store would pay
# for it. Prints req/s (best and median of the rounds), p50/p99 (median
# of the rounds), the CPU split during the measured runs in cores (of
# nproc): mailmoodd (all listeners), postgres (the cluster's processes),
# wrk, other (the rest of the machine: kernel, other tenants; a few
# hundredths below 0 is tick rounding) and idle; and the ratios
# pg-2/pg-1 (target >= 1.6, PASS/MISS), sqlite-2/sqlite-1, pg-1/sqlite-1
# (on the medians).
#
# Correctness is checked too, after every measured run (counts taken once
# the listeners have closed every connection and the store's rating count
# stops moving; before the run likewise, after the warm-up): no non-2xx
# response and no socket error (warm-up included), no error line in the
# listeners' logs, one current rating per survey, and the ratings added
# to the store equal wrk's 2xx count minus U, the surveys whose current
# rating was already at level 1 when the run started (post.lua starts
# every run with a pass at level 1, and a POST of the current level only
# updates the comments; wrk spends the first request() of each process on
# checking the script, so there the first survey starts at level 2), plus
# at most one request per connection that wrk cut at the end (sent,
# committed, but answered after wrk stopped counting). The listeners' own
# counters (/metrics) must agree: ratings they recorded = ratings the
# store gained, POSTs they answered 2xx = wrk's 2xx + the cut ones, their
# comment updates = U. Any failure: exit 1.
#
# PostgreSQL durability: the harness's cluster is started with fsync,
# synchronous_commit and full_page_writes off (a throwaway); PG_SYNC sets
# them back with ALTER SYSTEM + reload before anything is measured:
#   on       fsync, synchronous_commit, full_page_writes on (PostgreSQL's
#            defaults: every commit waits for its WAL flush) [default]
#   off      fsync on, synchronous_commit off: commits do not wait for the
#            flush, about what SQLite's WAL + synchronous=NORMAL gives
#   harness  as the harness left it (fsync off: not a production figure)
# SQLite runs with mailmood's own settings (WAL, synchronous=NORMAL).
#
# The numbers depend on the machine (cores shared by wrk, the listeners
# and postgres): a MISS is printed, not an exit status; exit 1 only for
# errors or a count mismatch. Needs wrk (installed with apt-get when
# missing), sqlite3 and a PostgreSQL server (contrib/install-deps.sh).
# Not run in CI.
# usage: top_srcdir=... top_builddir=... tests/bench/store/run.sh
#   env: DURATION (10s) WARMUP (3s) ROUNDS (3) CONNS (total, 8)
#        THREADS (wrk threads in all, 2) HTTP_THREADS (per listener, nproc)
#        SURVEYS (per store, 2000) PG_SYNC (on|off|harness)
#        CONFIGS ("sqlite-1 pg-1 pg-2 sqlite-2": what to run, in the odd
#        rounds' order)
#        MAILMOODD (the daemon to measure, $top_builddir/src/mailmoodd)
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
HTTP_THREADS=${HTTP_THREADS:-$(nproc)}
SURVEYS=${SURVEYS:-2000}
PG_SYNC=${PG_SYNC:-on}
CONFIGS=${CONFIGS:-sqlite-1 pg-1 pg-2 sqlite-2}
MAILMOODD=${MAILMOODD:-$B/src/mailmoodd}
POST_LUA=$top_srcdir/tests/bench/http/post.lua
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)

die() { echo "FAIL  $*" >&2; exit 1; }

# Two wrk processes split the connections and threads: both even.
[ $((CONNS % 2)) -eq 0 ] && [ "$CONNS" -ge 2 ] || die "CONNS=$CONNS: want an even number >= 2"
[ $((THREADS % 2)) -eq 0 ] && [ "$THREADS" -ge 2 ] && [ "$THREADS" -le "$CONNS" ] ||
	die "THREADS=$THREADS: want an even number, 2..CONNS"
# post.lua gives thread k the surveys k, k+T, ...: with as many surveys
# per thread everywhere, no two threads (nor wrk processes) share one.
SURVEYS=$((SURVEYS / (2 * THREADS) * 2 * THREADS))
[ "$SURVEYS" -ge $((4 * CONNS)) ] || die "SURVEYS too small"
for c in $CONFIGS; do
	case $c in sqlite-1 | sqlite-2 | pg-1 | pg-2) ;; *) die "CONFIGS: unknown '$c'" ;; esac
done
case $PG_SYNC in on | off | harness) ;; *) die "PG_SYNC=$PG_SYNC: want on, off or harness" ;; esac
STORES=
for s in sqlite pg; do
	[[ " $CONFIGS " == *" $s-"* ]] && STORES+=" $s"
done

if ! command -v wrk >/dev/null; then
	echo "# installing wrk"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends wrk >/dev/null || exit 1
fi
command -v sqlite3 >/dev/null || die "missing sqlite3"
for f in "$MAILMOODD" "$B/src/mailmoodctl" "$B/tests/integration/mm-mksurvey"; do
	[ -x "$f" ] || die "missing $f (make && make check TESTS=)"
done
[ -f "$POST_LUA" ] || die "missing $POST_LUA"

mm_tmpdir
T=$MM_TMP
head -c 32 /dev/urandom >"$T/key" && chmod 600 "$T/key"
declare -A DSN PORT MMPID D
# each store's configs, logs and token lists (the harness has $T/pg)
D[sqlite]=$T/bench-sqlite
D[pg]=$T/bench-pg
mkdir -p "${D[sqlite]}" "${D[pg]}"

# ------------------------------------------------------------ the stores

DSN[sqlite]=${D[sqlite]}/mm.db
PG_PM=
if [[ " $STORES " == *" pg "* ]]; then
	MM_STORE=pg mm_store_setup # a private cluster under $T/pg; stopped at exit
	DSN[pg]=$MM_STORE_DSN
	PG_PM=$(head -n 1 "$MM_PG_DATA/postmaster.pid")

	pg_super() {
		"$MM_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
			-p "$MM_PG_PORT" -U postgres -d postgres "$@"
	}
	case $PG_SYNC in
	on) want="on on on" ;;
	off) want="on off on" ;;
	harness) want=$(pg_super -c 'SHOW fsync' -c 'SHOW synchronous_commit' \
		-c 'SHOW full_page_writes' | xargs) ;;
	esac
	read -r w_fsync w_sc w_fpw <<<"$want"
	pg_super -c "ALTER SYSTEM SET fsync = $w_fsync" \
		-c "ALTER SYSTEM SET synchronous_commit = $w_sc" \
		-c "ALTER SYSTEM SET full_page_writes = $w_fpw" \
		-c 'SELECT pg_reload_conf()' >/dev/null || die "cannot set PostgreSQL's durability"
	pg_settings() {
		pg_super -c 'SHOW fsync' -c 'SHOW synchronous_commit' -c 'SHOW full_page_writes' | xargs
	}
	mm_wait_for 10 eval '[ "$(pg_settings)" = "$want" ]' ||
		die "PostgreSQL has '$(pg_settings)', not '$want' (fsync synchronous_commit full_page_writes)"
fi

# count STORE SQL — one number from the store
count() {
	case $1 in
	pg) "$MM_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "${DSN[pg]}" -c "$2" ;;
	sqlite) sqlite3 -readonly "${DSN[sqlite]}" "$2" ;;
	esac
}

for s in $STORES; do
	for l in 1 2; do
		_mm_port PORT[$s-$l]
		cat >"${D[$s]}/l$l.conf" <<CONF
[general]
base_url = http://127.0.0.1:${PORT[$s-$l]}
secret_file = $T/key
store = ${DSN[$s]}
templates = $top_srcdir/conf/templates
log_level = warning
[listener]
lmtp = none
http = 127.0.0.1:${PORT[$s-$l]}
http_threads = $HTTP_THREADS
per_ip_limit = 1024
pid_file = ${D[$s]}/l$l.pid
# red alerts are queued (and cancelled) by the ratings but never due
# during the run: the outbox sends nothing (there is no SMTP server here;
# tests/bench/alerts measures the sending)
alert_delay = 1d
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
alert_at = red
CONF
	done
	"$B/src/mailmoodctl" -c "${D[$s]}/l1.conf" migrate >"${D[$s]}/migrate.log" 2>&1 ||
		{ cat "${D[$s]}/migrate.log"; die "mailmoodctl migrate on $s"; }
done

# SURVEYS surveys per store, both stores at once (a process per survey)
echo "# making $SURVEYS surveys per store"
mk_surveys() { # STORE
	local i
	for ((i = 0; i < SURVEYS; i++)); do
		"$B/tests/integration/mm-mksurvey" mk "${DSN[$1]}" "$T/key" -a 3600 -k "INC-$i" || return 1
	done >"${D[$1]}/tokens"
}
declare -A MKPID
for s in $STORES; do
	mk_surveys "$s" &
	MKPID[$s]=$!
done
for s in $STORES; do
	wait "${MKPID[$s]}" || die "mm-mksurvey on $s"
done

declare -A LOGPOS
for k in "${!PORT[@]}"; do LOGPOS[$k]=0; done
# new_log_lines — what the listeners logged since the last call (warnings
# and errors: log_level = warning), each line prefixed with its listener
new_log_lines() {
	local k f n
	for k in $(printf '%s\n' "${!PORT[@]}" | sort); do
		f=${D[${k%-*}]}/l${k#*-}.log
		n=$(wc -l <"$f")
		[ "$n" -gt "${LOGPOS[$k]}" ] && sed -n "$((LOGPOS[$k] + 1)),${n}p" "$f" | sed "s/^/$k: /"
		LOGPOS[$k]=$n
	done
	return 0
}

# listeners_alive — all four running; else what became of the others
# (exit status or signal, log) and status 1
listeners_alive() {
	local k rc f ok=0
	for k in $(printf '%s\n' "${!MMPID[@]}" | sort); do
		_mm_alive "${MMPID[$k]}" && continue
		wait "${MMPID[$k]}" 2>/dev/null
		rc=$?
		if [ "$rc" -gt 128 ]; then
			echo "FAIL  mailmoodd $k (pid ${MMPID[$k]}) died of signal $((rc - 128)) ($(kill -l $((rc - 128))))"
		else
			echo "FAIL  mailmoodd $k (pid ${MMPID[$k]}) exited with status $rc"
		fi
		f=${D[${k%-*}]}/l${k#*-}.log
		if [ -s "$f" ]; then
			echo "#   the last lines of its log ($f):"
			tail -n 20 "$f" | sed 's/^/#     /'
		else
			echo "#   its log ($f) is empty"
		fi
		ok=1
	done
	return $ok
}

for s in $STORES; do
	for l in 1 2; do
		"$MAILMOODD" -f -c "${D[$s]}/l$l.conf" 2>"${D[$s]}/l$l.log" &
		MMPID[$s-$l]=$!
		mm_track_pid $!
	done
	for l in 1 2; do
		mm_wait_listen "${PORT[$s-$l]}" 10 || { listeners_alive; cat "${D[$s]}/l$l.log"; die "mailmoodd $s-$l does not listen"; }
	done
done

# The CSRF value of each survey (token_csrf(key, token, "rate")), scraped
# from its landing page through listener 1: all/post-tokens for one
# listener, a/ and b/ the two halves for two. Tokens and CSRF values
# depend on the key and the survey id only: when both stores made the
# same tokens, the PostgreSQL side reuses SQLite's list (its listeners
# then see POSTs only, no GET, no hits).
scrape() { # STORE
	python3 "$top_srcdir/tests/bench/http/csrf.py" "${PORT[$1-1]}" \
		"${D[$1]}/tokens" "${D[$1]}/all/post-tokens" "$UA"
}
for s in $STORES; do
	mkdir -p "${D[$s]}/all" "${D[$s]}/a" "${D[$s]}/b"
	if [ "$s" = pg ] && [ -s "${D[sqlite]}/all/post-tokens" ] &&
		cmp -s "${D[sqlite]}/tokens" "${D[pg]}/tokens"; then
		cp "${D[sqlite]}/all/post-tokens" "${D[pg]}/all/post-tokens"
	else
		scrape "$s" || { listeners_alive; die "scraping csrf values on $s"; }
	fi
	head -n $((SURVEYS / 2)) "${D[$s]}/all/post-tokens" >"${D[$s]}/a/post-tokens"
	tail -n $((SURVEYS / 2)) "${D[$s]}/all/post-tokens" >"${D[$s]}/b/post-tokens"
	# the landing pages' hits are written behind the responses: let the
	# writer catch up before anything is measured
	prev=-1
	while :; do
		cur=$(count "$s" 'SELECT count(*) FROM hits')
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 0.5
	done
	[ "$(count "$s" 'SELECT count(*) FROM ratings')" = 0 ] || die "$s: ratings before the first POST"
done

# One POST through each listener (the first survey, levels 2 and 3):
# a listener that cannot record a rating stops the benchmark here.
for k in $(for s in $STORES; do echo "$s-1 $s-2"; done); do
	s=${k%-*}
	read -r tok csrf <"${D[$s]}/all/post-tokens"
	got=$(curl -s -o "${D[$s]}/probe-$k.html" -w '%{http_code}' -A "$UA" \
		--data "level=$((${k#*-} + 1))&csrf=$csrf&via=button" "http://127.0.0.1:${PORT[$k]}/r/$tok")
	if [ "$got" != 200 ]; then
		echo "FAIL  POST /r/TOKEN through mailmoodd $k: HTTP '$got' (000: no answer)"
		listeners_alive
		new_log_lines | sed 's/^/#   /'
		exit 1
	fi
done
for s in $STORES; do
	[ "$(count "$s" 'SELECT count(*) FROM ratings')" = 2 ] ||
		die "the probe POSTs did not record 2 ratings on $s"
done

# ------------------------------------------------------------ measuring

# _ticks PID — user + system clock ticks of a process (all its threads)
_ticks() {
	local l
	read -r l 2>/dev/null <"/proc/$1/stat" || return 1
	l=${l##*) }
	set -- $l
	echo $((${12} + ${13}))
}

# cpu_snap NAME — ticks now: machine (busy, total), mailmoodd, postgres
# (per process, so backends that come and go count only their share)
declare -A SNAP
cpu_snap() {
	local n=$1 p t c total=0 idle u ni sy id io irq sirq st
	read -r c u ni sy id io irq sirq st _ </proc/stat
	total=$((u + ni + sy + id + io + irq + sirq + st))
	idle=$((id + io))
	SNAP[$n.total]=$total
	SNAP[$n.idle]=$idle
	t=0
	for p in "${MMPID[@]}"; do
		c=$(_ticks "$p") && t=$((t + c))
	done
	SNAP[$n.mm]=$t
	[ -n "$PG_PM" ] && for p in "$PG_PM" $(ps -o pid= --ppid "$PG_PM"); do
		c=$(_ticks "$p") && SNAP[$n.pg.$p]=$c
	done
}
# cpu_split — "MM PG OTHER IDLE TOTAL" ticks between snaps a and b (OTHER:
# everything busy but mailmoodd and postgres, wrk included)
cpu_split() {
	local k p pg=0 total idle mm
	total=$((SNAP[b.total] - SNAP[a.total]))
	idle=$((SNAP[b.idle] - SNAP[a.idle]))
	mm=$((SNAP[b.mm] - SNAP[a.mm]))
	for k in "${!SNAP[@]}"; do
		[[ $k == b.pg.* ]] || continue
		p=${k#b.pg.}
		pg=$((pg + SNAP[$k] - ${SNAP[a.pg.$p]:-0}))
	done
	echo "$mm $pg $((total - idle - mm - pg)) $idle $total"
}

# wrk_run STORE-LISTENER SET CONNS THREADS DURATION OUT — post.lua from the
# SET directory (its post-tokens); wrk's user+sys seconds in OUT.time
wrk_run() {
	local TIMEFORMAT='%3U %3S'
	# (no exec in the subshell: bash's time then reports nothing)
	{ time (cd "${D[${1%-*}]}/$2" && WRK_THREADS=$4 wrk -t "$4" -c "$3" -d "$5" \
		--latency -H "User-Agent: $UA" -s "$POST_LUA" \
		"http://127.0.0.1:${PORT[$1]}" >"$6" 2>&1); } 2>"$6.time"
}

# figures FILE — "REQUESTS RPS P50 P99 ERRORS" (ms; ERRORS: non-2xx/3xx
# responses and socket errors)
figures() {
	python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s|m)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
try:
    req = int(re.search(r"(\d+) requests in", t).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
except AttributeError:
    sys.exit("cannot read wrk's output in " + sys.argv[1])
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
err = (int(m.group(1)) if m else 0) + (sum(map(int, e.groups())) if e else 0)
print("%d %.1f %.2f %.2f %d" % (req, rps, p50, p99, err))
PY
}

# wrk_seconds FILE.time — user+sys seconds
wrk_seconds() { awk '{ print $1 + $2 }' "$1"; }

# _open_conns STORE — the store's listeners' connections not closed by
# the listener yet (ESTABLISHED or CLOSE_WAIT: a request cut by wrk keeps
# its socket until mailmoodd has answered it)
_open_conns() {
	local pat=
	pat="$(printf '%04X' "${PORT[$1-1]}")|$(printf '%04X' "${PORT[$1-2]}")"
	awk -v pat="^0100007F:($pat)\$" '$2 ~ pat && ($4 == "01" || $4 == "08") { n++ } END { print n + 0 }' /proc/net/tcp
}
# settled STORE — the number of ratings once every request is answered
# and the count has stopped moving
settled() {
	local prev=-1 cur n
	for ((n = 0; n < 300; n++)); do
		[ "$(_open_conns "$1")" = 0 ] && break
		sleep 0.1
	done
	for ((n = 0; n < 40; n++)); do
		sleep 0.3
		cur=$(count "$1" 'SELECT count(*) FROM ratings')
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "$cur"
}

# srv_counts STORE — the listeners' own counters (GET /metrics), summed
# over the store's two: "POST_2XX POST_OTHER NEW_RATINGS"
srv_counts() {
	local l
	for l in 1 2; do
		curl -s "http://127.0.0.1:${PORT[$1-$l]}/metrics" || echo "unreachable 1"
	done | awk '
		/^unreachable/ { bad = "?" }
		/^mailmood_http_requests_total\{route="rate_post",status="2/ { ok += $2; next }
		/^mailmood_http_requests_total\{route="rate_post",/ { bad += $2 }
		/^mailmood_ratings_total\{/ { n += $2 }
		END { print ok + 0, (bad == "?" ? "?" : bad + 0), n + 0 }'
}

RESULTS=$T/results
: >"$RESULTS"
FAILED=0
# measure CONFIG ROUND
measure() {
	local cfg=$1 r=$2 s=${1%-*} n=${1#*-} o=$T/out/$1.r$2 req rps p50 p99 err
	local before after u two exp d wrk_s=0 line logs dup cur first m_ok0 m_bad0 m_new0 m_ok1 m_bad1 m_new1
	local -a parts
	mkdir -p "$T/out"
	# the first survey of each wrk's list (ids: the tokens file's order)
	first=$(awk -v n="$n" -v h=$((SURVEYS / 2 + 1)) 'NR == 1 || (n == 2 && NR == h) { print $1 }' "${D[$s]}/tokens" | paste -sd,)
	# warm-up, then the measured run, same connections and surveys
	for phase in warm run; do
		if [ "$phase" = run ]; then
			before=$(settled "$s") # the warm-up's last requests land
			read -r m_ok0 m_bad0 m_new0 < <(srv_counts "$s")
			# U: the POSTs that will find their level already there
			# and only update the comments (source 0: the web). Every
			# run starts with a pass at level 1, but wrk calls request()
			# once to check the script (script_verify_request) and sends
			# nothing of it: each wrk's first survey starts at level 2.
			u=$(count "$s" "SELECT count(*) FROM ratings WHERE current = 1 AND source = 0 AND
				((level = 1 AND survey_id NOT IN ($first)) OR (level = 2 AND survey_id IN ($first)))")
			new_log_lines >/dev/null
			cpu_snap a
		fi
		local dur=$DURATION
		[ "$phase" = warm ] && dur=$WARMUP
		if [ "$n" = 1 ]; then
			wrk_run "$s-1" all "$CONNS" "$THREADS" "$dur" "$o.$phase.1" || die "wrk failed: $(cat "$o.$phase.1")"
			parts=("$o.$phase.1")
		else
			wrk_run "$s-1" a $((CONNS / 2)) $((THREADS / 2)) "$dur" "$o.$phase.1" &
			local w1=$!
			wrk_run "$s-2" b $((CONNS / 2)) $((THREADS / 2)) "$dur" "$o.$phase.2" &
			local w2=$!
			wait $w1 || die "wrk failed: $(cat "$o.$phase.1")"
			wait $w2 || die "wrk failed: $(cat "$o.$phase.2")"
			parts=("$o.$phase.1" "$o.$phase.2")
		fi
	done
	cpu_snap b
	read -r c_mm c_pg c_other c_idle c_total < <(cpu_split)
	after=$(settled "$s")
	read -r m_ok1 m_bad1 m_new1 < <(srv_counts "$s")
	req=0 rps=0 p50=0 p99=0 err=0
	for f in "${parts[@]}"; do
		read -r a_req a_rps a_p50 a_p99 a_err < <(figures "$f") || die "wrk output $f"
		req=$((req + a_req))
		err=$((err + a_err))
		rps=$(python3 -c "print($rps + $a_rps)")
		p50=$(python3 -c "print(max($p50, $a_p50))")
		p99=$(python3 -c "print(max($p99, $a_p99))")
		wrk_s=$(python3 -c "print($wrk_s + $(wrk_seconds "$f.time"))")
	done
	# warm-up errors count as well
	local werr=0
	for f in "$T/out/$cfg.r$r.warm".*; do
		[[ $f == *.time ]] && continue
		read -r _ _ _ _ a_err < <(figures "$f") || die "wrk output $f"
		werr=$((werr + a_err))
	done
	two=$((req - err))
	exp=$((two - u))
	d=$((after - before))
	# machine ticks -> cores; wrk's seconds -> cores over the same window
	line=$(python3 - "$c_mm" "$c_pg" "$c_other" "$c_idle" "$c_total" "$wrk_s" "$NCPU" "$HZ" <<'PY'
import sys
mm, pg, other, idle, total = map(int, sys.argv[1:6])
wrk, ncpu, hz = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
secs = total / ncpu / hz
core = lambda t: t / total * ncpu
w = wrk / secs
print("%.2f %.2f %.2f %.2f %.2f" % (core(mm), core(pg), w, core(other) - w, core(idle)))
PY
)
	read -r k_mm k_pg k_wrk k_other k_idle <<<"$line"
	local s_ok=$((m_ok1 - m_ok0)) s_new=$((m_new1 - m_new0))
	echo "$cfg $r $rps $p50 $p99 $((err + werr)) $two $d $u $k_mm $k_pg $k_wrk $k_other $k_idle" >>"$RESULTS"
	printf '# round %d %-8s %7.0f req/s  p50 %6.2f  p99 %6.2f ms  2xx %d (+%d cut), U %d, ratings +%d  cpu: mailmoodd %s postgres %s wrk %s other %s idle %s\n' \
		"$r" "$cfg" "$rps" "$p50" "$p99" "$two" $((s_ok - two)) "$u" "$d" "$k_mm" "$k_pg" "$k_wrk" "$k_other" "$k_idle"
	if [ $((err + werr)) -ne 0 ]; then
		echo "FAIL  $cfg round $r: $err error(s) in the measured run, $werr in the warm-up:"
		grep -h -E "Non-2xx|Socket errors" "${parts[@]}" "$T/out/$cfg.r$r.warm".[12] 2>/dev/null | sed 's/^/#   /'
		FAILED=1
	fi
	if [ "$two" -lt "$SURVEYS" ]; then
		echo "FAIL  $cfg round $r: $two POSTs, less than one pass over the $SURVEYS surveys (U is only exact after one)"
		FAILED=1
	fi
	# the listeners' counters: what they answered and recorded
	if [ "$m_bad0" != 0 ] || [ "$m_bad1" != 0 ]; then
		echo "FAIL  $cfg round $r: the listeners answered POSTs with other than 2xx ($m_bad0 before, $m_bad1 after)"
		FAILED=1
	fi
	if [ "$d" != "$s_new" ]; then
		echo "FAIL  $cfg round $r: the store gained $d ratings, its listeners say they recorded $s_new"
		FAILED=1
	fi
	if [ "$s_ok" -lt "$two" ] || [ "$s_ok" -gt $((two + CONNS)) ]; then
		echo "FAIL  $cfg round $r: the listeners answered $s_ok POSTs with 2xx, wrk counted $two (+ up to $CONNS cut at the end)"
		FAILED=1
	fi
	if [ $((s_ok - s_new)) != "$u" ]; then
		echo "FAIL  $cfg round $r: $((s_ok - s_new)) POSTs updated comments instead of adding a rating, want U = $u"
		FAILED=1
	fi
	if [ "$d" -lt "$exp" ] || [ "$d" -gt $((exp + CONNS)) ]; then
		echo "FAIL  $cfg round $r: $d ratings added ($before -> $after), want 2xx - U = $two - $u = $exp (+ up to $CONNS cut at the end)"
		FAILED=1
	fi
	# one current rating per survey, whatever the interleaving
	dup=$(count "$s" 'SELECT count(*) FROM (SELECT survey_id FROM ratings WHERE current = 1 GROUP BY survey_id HAVING count(*) > 1) x')
	cur=$(count "$s" 'SELECT count(*) FROM ratings WHERE current = 1')
	if [ "$dup" != 0 ] || [ "$cur" != "$SURVEYS" ]; then
		echo "FAIL  $cfg round $r: $cur current ratings for $SURVEYS surveys, $dup survey(s) with more than one"
		FAILED=1
	fi
	logs=$(new_log_lines)
	if [ -n "$logs" ]; then
		echo "# $cfg round $r: the listeners logged $(printf '%s\n' "$logs" | wc -l) line(s); the first ones:"
		printf '%s\n' "$logs" | head -n 10 | sed 's/^/#   /'
		printf '%s\n' "$logs" | grep -q ': error: ' && FAILED=1
	fi
	listeners_alive || exit 1
}

PG_LINE=
[ -n "$PG_PM" ] && PG_LINE="PostgreSQL $("$MM_PG_BIN/postgres" -V | awk '{ print $3 }') on 127.0.0.1, PG_SYNC=$PG_SYNC: fsync=$w_fsync synchronous_commit=$w_sc full_page_writes=$w_fpw"
echo "# $NCPU CPUs; wrk $THREADS threads and $CONNS connections in all (2 listeners: 2 wrk, $((THREADS / 2)) thread(s) and $((CONNS / 2)) connections each);" \
	"$HTTP_THREADS http_threads per listener; $SURVEYS surveys per store; warm-up $WARMUP, measured $DURATION, $ROUNDS round(s)"
echo "# SQLite $(sqlite3 --version | awk '{ print $1 }') (WAL, synchronous=NORMAL);" \
	"$PG_LINE"
REVERSED=$(printf '%s\n' $CONFIGS | tac | xargs)
for ((r = 1; r <= ROUNDS; r++)); do
	order=$CONFIGS
	[ $((r % 2)) -eq 0 ] && order=$REVERSED
	for cfg in $order; do
		measure "$cfg" "$r"
	done
done

# ------------------------------------------------------------ summary

python3 - "$RESULTS" "$CONFIGS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append([float(x) for x in f[2:]])
order = sys.argv[2].split()
med = statistics.median
print("%-9s %9s %9s %8s %8s %6s  %s" % ("", "best r/s", "median", "p50 ms", "p99 ms",
                                       "errors", "cpu cores: mailmoodd postgres wrk other idle"))
m = {}
for c in order:
    if c not in rows:
        continue
    v = rows[c]
    rps = [x[0] for x in v]
    m[c] = med(rps)
    cpu = " ".join("%.2f" % med([x[i] for x in v]) for i in range(7, 12))
    print("%-9s %9.0f %9.0f %8.2f %8.2f %6d  %s" % (
        c, max(rps), med(rps), med([x[1] for x in v]), med([x[2] for x in v]),
        sum(x[3] for x in v), cpu))
def ratio(a, b):
    if a in m and b in m and m[b] > 0:
        best = max(x[0] for x in rows[a]) / max(x[0] for x in rows[b])
        return m[a] / m[b], best
    return None, None
r, b = ratio("pg-2", "pg-1")
if r is not None:
    print("%s  pg-2 / pg-1 = %.2f (best %.2f; target >= 1.6)" % ("PASS" if r >= 1.6 else "MISS", r, b))
for a, c in (("sqlite-2", "sqlite-1"), ("pg-1", "sqlite-1")):
    r, b = ratio(a, c)
    if r is not None:
        print("      %s / %s = %.2f (best %.2f)" % (a, c, r, b))
PY
echo "# ratios on the median req/s of the rounds; p50/p99 and the CPU split: medians; the scaling target is a figure for this machine, not an exit status"
if [ "$FAILED" -ne 0 ]; then
	echo "FAIL  errors or count mismatches above"
	exit 1
fi
echo "# correctness: no errors; in every run ratings added = 2xx + cut - U, and the listeners' counters agree"
exit 0

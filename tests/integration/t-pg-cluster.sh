#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 10's acceptance: two milters on two Postfix instances and two
# mailmoodd on one PostgreSQL. 2,000 closure mails go through the two
# Postfix instances (half each) while PostgreSQL is restarted half-way;
# every mail arrives once, those sent while the server was away without
# links (on_error = accept), and the store holds one survey per mail with
# links. Every link is then rated by curl, alternately on listener A and
# B (a third of them red), with a second restart half-way: a 503 is
# clicked again and must then succeed, no rating is recorded twice. Both
# outbox workers share the red alerts: each arrives at the alert sink
# exactly once and its row is marked sent. Last, PostgreSQL is stopped
# while the alert relay holds an alert (it answers DATA after 2 s) and
# started again after the relay took it: that alert must arrive once too.
# PostgreSQL only by nature: MM_STORE=pg whatever the caller says.
# MM_PG_MAILS (default 2000) and MM_PG_RATERS (parallel rating clients,
# default 4) are there for experiments; the acceptance is 2000.
export MM_STORE=pg
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MMD=$B/src/mailmoodd
MILTER=$B/src/mailmood-milter
CTL=$B/src/mailmoodctl
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MAILS=${MM_PG_MAILS:-2000}
RATERS=${MM_PG_RATERS:-4}
HALF=$((MAILS / 2))

T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
phase() { tap_diag "[$(elapsed) s] $*"; }

tap_plan 24
mm_tmpdir
_mm_port HTTP_A
_mm_port HTTP_B
_mm_port ALERT_PORT
mm_store_setup
"$CTL" keygen "$MM_TMP/secret.key" >/dev/null || tap_bail "mailmoodctl keygen failed"

# ------------------------------------------------------------- configs
# Two installations (A and B) on one store and one secret key: a link made
# by either milter is valid on either listener.
write_conf() { # NAME HTTP_PORT
	local d=$MM_TMP/m$1
	mkdir -p "$d"
	chmod 755 "$d"
	cat >"$d/mailmood.conf" <<CONF
[general]
base_url    = http://127.0.0.1:$2
secret_file = $MM_TMP/secret.key
store       = $MM_STORE_DSN
templates   = $MM_TEMPLATES

[milter]
socket      = unix:$d/milter.sock
socket_mode = 0666
cooldown    = 0
on_error    = accept

[listener]
http            = 127.0.0.1:$2
lmtp            = none
reply_address   = feedback@fb.example
http_threads    = 4
pid_file        = $d/mailmoodd.pid
smtp_url        = smtp://127.0.0.1:$ALERT_PORT
smtp_tls        = none
smtp_timeout    = 3s
alert_from      = mailmood@msp.example
outbox_backoff  = 1s
outbox_lease    = 10s
outbox_interval = 1s

[rule servicedesk]
from    = servicedesk@example.com
subject = /\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved)\b/i
agent   = header:X-Ticket-Agent

[team acme]
name     = Team Acme
match    = @acme.example
alert_to = team-acme@msp.example
alert_at = red
CONF
}
write_conf A "$HTTP_A"
write_conf B "$HTTP_B"
mm_store_init "$MM_TMP/mA/mailmood.conf" # the daemons refuse an unmigrated schema

# ------------------------------------------------------------- daemons
start_milter() { # NAME -> PID_milter_NAME
	local d=$MM_TMP/m$1 pid i
	"$MILTER" -f -c "$d/mailmood.conf" >>"$d/milter.log" 2>&1 &
	pid=$!
	mm_track_pid "$pid"
	eval "PID_milter_$1=$pid"
	for i in $(seq 100); do
		[ -S "$d/milter.sock" ] && return 0
		_mm_alive "$pid" || break
		sleep 0.05
	done
	tap_diag <"$d/milter.log"
	return 1
}
start_mmd() { # NAME PORT -> PID_mailmoodd_NAME
	local d=$MM_TMP/m$1 pid
	"$MMD" -f -c "$d/mailmood.conf" >>"$d/mailmoodd.log" 2>&1 &
	pid=$!
	mm_track_pid "$pid"
	eval "PID_mailmoodd_$1=$pid"
	mm_wait_listen "$2" 10 && return 0
	tap_diag <"$d/mailmoodd.log"
	return 1
}
start_milter A || tap_bail "milter A did not start"
start_milter B || tap_bail "milter B did not start"
start_mmd A "$HTTP_A" || tap_bail "mailmoodd A did not start"
start_mmd B "$HTTP_B" || tap_bail "mailmoodd B did not start"

# The alert relay: its own smtp-sink, so that alerts and closure mails are
# counted apart (sink_start is the one for the closure mails).
ALERT_DIR=$MM_TMP/alerts
mkdir -p "$ALERT_DIR"
alert_user=()
if [ "$(id -u)" -eq 0 ]; then
	chown postfix "$ALERT_DIR"
	alert_user=(-u postfix)
fi
smtp-sink "${alert_user[@]}" -4 -d "$ALERT_DIR/%Y%m%d%H%M%S." \
	"127.0.0.1:$ALERT_PORT" 64 >>"$MM_TMP/alert-sink.log" 2>&1 &
ALERT_SINK_PID=$!
mm_track_pid "$ALERT_SINK_PID"
mm_wait_listen "$ALERT_PORT" 10 || tap_bail "alert smtp-sink did not start"
alert_files() { # complete alert captures (smtp-sink closes a file at the end)
	local open fd
	open=$(for fd in /proc/"$ALERT_SINK_PID"/fd/*; do readlink "$fd" 2>/dev/null; done |
		grep -F "$ALERT_DIR/")
	find "$ALERT_DIR" -type f | if [ -n "$open" ]; then grep -vxF "$open"; else cat; fi
	return 0
}

sink_start || tap_bail "no smtp-sink"

# Two Postfix instances. lib.sh keeps one instance in its PF_* variables
# under $MM_TMP/postfix; each instance here gets its own directory (MM_TMP
# seen by pf_start), name and port, and its PF_* values are kept as PFA_* /
# PFB_*. B is the "current" one the harness stops at exit; A is stopped by
# an exit hook.
start_postfix() { # NAME
	local d=$MM_TMP/pf$1 sock=$MM_TMP/m$1/milter.sock
	mkdir -p "$d"
	chmod 755 "$d"
	PF_PORT=
	PF_MASTER_PID=
	PF_NAME=mm-it-$1-${MM_TMP##*.}
	MM_TMP=$d pf_start \
		"smtpd_milters = { unix:$sock, default_action=accept }" || return 1
	local v
	for v in PORT CONF QUEUE LOG MASTER_PID HOSTNAME; do
		eval "PF${1}_$v=\$PF_$v"
	done
}
start_postfix A || tap_bail "Postfix A did not start"
mm_at_exit 'PF_MASTER_PID=$PFA_MASTER_PID pf_stop'
start_postfix B || tap_bail "Postfix B did not start"
use_pf() { # NAME — make instance NAME the one the pf_* helpers act on
	local v
	for v in PORT CONF QUEUE LOG HOSTNAME; do
		eval "PF_$v=\$PF${1}_$v"
	done
}

# daemons_check — in this shell (wait needs the parent): DEAD is empty
# when the two milters and the two listeners still run, else it says which
# ended and how
daemons_check() {
	local prog n pid rc
	DEAD=
	for prog in milter mailmoodd; do
		for n in A B; do
			eval "pid=\$PID_${prog}_$n"
			_mm_alive "$pid" && continue
			wait "$pid" 2>/dev/null
			rc=$?
			if [ "$rc" -gt 128 ]; then
				DEAD+="$prog $n (pid $pid) died of signal $((rc - 128)) (SIG$(kill -l $((rc - 128)) 2>/dev/null)); "
			else
				DEAD+="$prog $n (pid $pid) exited with status $rc; "
			fi
		done
	done
	[ -z "$DEAD" ]
}

# Diagnostics on failure: daemons, both Postfix logs, milters, listeners,
# PG log.
DIAG_SHOWN=
diag_all() {
	[ -n "$DIAG_SHOWN" ] && return 0
	DIAG_SHOWN=1
	local n f
	daemons_check || tap_diag "DEAD: $DEAD"
	for n in A B; do
		f=$(eval echo "\$PF${n}_LOG")
		tap_diag "--- Postfix $n maillog (last 15 lines, $(grep -c 'status=sent' "$f" 2>/dev/null) sent):"
		tail -n 15 "$f" 2>/dev/null | tap_diag
		tap_diag "--- milter $n (errors/warnings, last 15):"
		grep -E 'error|warning' "$MM_TMP/m$n/milter.log" | tail -n 15 | tap_diag
		tap_diag "--- mailmoodd $n (errors/warnings, last 20):"
		grep -E 'error|warning' "$MM_TMP/m$n/mailmoodd.log" | tail -n 20 | tap_diag
	done
	tap_diag "--- PostgreSQL log (last 25 lines):"
	tail -n 25 "$MM_PG_LOG" 2>/dev/null | tap_diag
}
check() { # DESC CONDITION-STATUS — tap_ok with the diagnostics on failure
	tap_ok "$2" "$1" || diag_all
}
phase "setup done: PG $MM_PG_PORT, Postfix A :$PFA_PORT B :$PFB_PORT," \
	"listeners A :$HTTP_A B :$HTTP_B, mail sink :$SINK_PORT, alert sink :$ALERT_PORT"

# ------------------------------------------------------- 1. closure mails
# One python sender per Postfix instance, one SMTP session per 50 mails;
# each accepted mail is a line "N QUEUEID" in its log ("N FAIL why" if not).
cat >"$MM_TMP/send.py" <<'PY'
import smtplib, sys
port, first, last, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
BATCH = 50
out = open(log, "a", buffering=1)
fails = 0
s = None
for n in range(first, last + 1):
    msg = ("From: Service Desk <servicedesk@example.com>\r\n"
           "To: User %d <u%d@acme.example>\r\n"
           "Subject: [INC-%d] Printer on fire: resolved\r\n"
           "Message-ID: <c%d@desk.example.com>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
           "X-Ticket-Agent: agent%d\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n"
           "Content-Transfer-Encoding: 7bit\r\n"
           "\r\n"
           "Hello user %d,\r\n\r\nYour ticket INC-%d has been resolved.\r\n\r\n"
           "Kind regards,\r\nThe service desk\r\n") % (n, n, n, n, n % 7, n, n)
    try:
        if s is None:
            s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=120)
            s.ehlo()
        code, resp = s.mail("servicedesk@example.com")
        if code >= 400:
            raise smtplib.SMTPSenderRefused(code, resp, "")
        code, resp = s.rcpt("u%d@acme.example" % n)
        if code >= 400:
            raise smtplib.SMTPRecipientsRefused({n: (code, resp)})
        code, resp = s.data(msg.encode())
        if code >= 400:
            raise smtplib.SMTPDataError(code, resp)
        out.write("%d %s\n" % (n, resp.decode().rsplit(" ", 1)[-1]))
    except Exception as e:
        fails += 1
        out.write("%d FAIL %s: %r\n" % (n, type(e).__name__, e))
        try:
            s.close()
        except Exception:
            pass
        s = None
        continue
    if (n - first + 1) % BATCH == 0:
        s.quit()
        s = None
if s is not None:
    s.quit()
sys.exit(1 if fails else 0)
PY
sent_count() { cat "$MM_TMP"/sent.? 2>/dev/null | grep -vc FAIL; }

phase "sending $MAILS closure mails, $HALF through each Postfix"
: >"$MM_TMP/sent.A"
: >"$MM_TMP/sent.B"
python3 "$MM_TMP/send.py" "$PFA_PORT" 1 "$HALF" "$MM_TMP/sent.A" &
SEND_A=$!
mm_track_pid "$SEND_A"
python3 "$MM_TMP/send.py" "$PFB_PORT" $((HALF + 1)) "$MAILS" "$MM_TMP/sent.B" &
SEND_B=$!
mm_track_pid "$SEND_B"
T_SEND0=$EPOCHREALTIME

# half-way through the sending: PostgreSQL restarted (sessions cut)
sent_half() { # half of the mails sent (or the senders gave up)
	[ "$(cat "$MM_TMP"/sent.? | wc -l)" -ge "$HALF" ] ||
		! { _mm_alive "$SEND_A" || _mm_alive "$SEND_B"; }
}
mm_wait_for 120 sent_half
SENT_BEFORE=$(sent_count)
T_R0=$EPOCHREALTIME
mm_pg_restart
PG_RC1=$?
T_R1=$EPOCHREALTIME
SENT_AFTER_RESTART=$(sent_count)
phase "PostgreSQL restarted after $SENT_BEFORE mails sent (exit $PG_RC1," \
	"down for $(awk -v a="$T_R0" -v b="$T_R1" 'BEGIN { printf "%.2f", b - a }') s," \
	"$((SENT_AFTER_RESTART - SENT_BEFORE)) mails accepted meanwhile)"
wait "$SEND_A"
RC_A=$?
wait "$SEND_B"
RC_B=$?
T_SEND1=$EPOCHREALTIME
SENT=$(sent_count)
phase "submitted $SENT mails in $(awk -v a="$T_SEND0" -v b="$T_SEND1" 'BEGIN { printf "%.1f", b - a }') s"
[ "$RC_A$RC_B$PG_RC1" = 000 ] && [ "$SENT" -eq "$MAILS" ] &&
	[ "$SENT_BEFORE" -lt "$MAILS" ] && [ "$SENT_BEFORE" -ge "$HALF" ]
check "$MAILS mails accepted by the two Postfix instances ($SENT), PostgreSQL restarted after $SENT_BEFORE" $?
[ "$SENT" -eq "$MAILS" ] || grep -h FAIL "$MM_TMP"/sent.? | head -n 5 | tap_diag

use_pf A
pf_wait_drain 90
DRAIN_A=$?
use_pf B
pf_wait_drain 90
DRAIN_B=$?
sink_wait_count "$MAILS" 60
SINK_OK=$?
phase "delivered: $(sink_count) mails in the sink"
[ "$DRAIN_A$DRAIN_B$SINK_OK" = 000 ]
check "both queues drained, $MAILS mails at the sink ($(sink_count))" $?

# Every delivered mail: its Message-ID, its links (token -> survey id).
# Output: a summary line of counts, then "linked N SID TOKEN" per mail with
# links and "nolink N" per mail without.
sink_messages >"$MM_TMP/sink.list"
python3 - "$MM_TMP/sink.list" "$MAILS" "$B/tests/integration/mm-mksurvey" \
	"$MM_TMP/secret.key" >"$MM_TMP/mails.txt" 2>"$MM_TMP/mails.err" <<'PY'
import collections, email, email.policy, re, subprocess, sys
files = open(sys.argv[1]).read().split()
want = int(sys.argv[2])
mid_re = re.compile(rb"^Message-ID: <c(\d+)@desk\.example\.com>", re.M | re.I)
link_re = re.compile(r"http://127\.0\.0\.1:\d+/r/([A-Za-z0-9_-]{39})/([0-9]+)")
seen = collections.Counter()
rows, bad = [], 0
for f in files:
    data = open(f, "rb").read()
    m = mid_re.search(data)
    if not m:
        print("no Message-ID in %s" % f, file=sys.stderr)
        bad += 1
        continue
    n = int(m.group(1))
    seen[n] += 1
    # the block is quoted-printable: read the text as a mail reader would
    msg = email.message_from_bytes(data, policy=email.policy.default)
    text = "".join(p.get_content() for p in msg.walk()
                   if p.get_content_maintype() == "text")
    links = link_re.findall(text)
    if not links:
        rows.append("nolink %d" % n)
        continue
    toks = {t for t, _ in links}
    levels = sorted(int(l) for _, l in links)
    if len(toks) != 1 or levels != [1, 2, 3, 4]:
        print("mail %d: tokens %r levels %r" % (n, toks, levels), file=sys.stderr)
        bad += 1
        continue
    rows.append((n, toks.pop()))
# only the key reads a token's survey id
ids = subprocess.run([sys.argv[3], "tokens", sys.argv[4]], check=True,
                     capture_output=True, text=True,
                     input="".join(r[1] + "\n" for r in rows
                                   if isinstance(r, tuple))).stdout.split()
it = iter(ids)
rows = [("linked %d %s %s" % (r[0], next(it), r[1])) if isinstance(r, tuple)
        else r for r in rows]
dups = sum(1 for c in seen.values() if c > 1)
missing = sum(1 for n in range(1, want + 1) if n not in seen)
print("files=%d unique=%d dups=%d missing=%d bad=%d" % (len(files), len(seen), dups, missing, bad))
for r in rows:
    print(r)
PY
read -r SUMMARY <"$MM_TMP/mails.txt"
tap_diag "delivered mails: $SUMMARY"
[ -s "$MM_TMP/mails.err" ] && head -n 10 "$MM_TMP/mails.err" | tap_diag
tap_is "$SUMMARY" "files=$MAILS unique=$MAILS dups=0 missing=0 bad=0" \
	"every Message-ID delivered exactly once, links well-formed" || diag_all

LINKED=$(grep -c '^linked ' "$MM_TMP/mails.txt")
NOLINK=$(grep -c '^nolink ' "$MM_TMP/mails.txt")
tap_diag "mails with links: $LINKED, without (store away): $NOLINK"
[ "$NOLINK" -gt 0 ] && [ "$NOLINK" -lt "$((MAILS / 4))" ] && [ $((LINKED + NOLINK)) -eq "$MAILS" ]
check "the restart was felt: $NOLINK mails passed without links, $LINKED with" $?

# the milters' own account: one "injected" line per mail with links, one
# "passes unchanged"/store error line per mail without
INJ_A=$(grep -c ' injected ' "$MM_TMP/mA/milter.log")
INJ_B=$(grep -c ' injected ' "$MM_TMP/mB/milter.log")
cat "$MM_TMP/mA/milter.log" "$MM_TMP/mB/milter.log" |
	grep -E '^mailmood-milter: error: [0-9A-Za-z]+: (store: .*mail passes unchanged|ticket=INC-[0-9]+ rule=servicedesk store: )' \
		>"$MM_TMP/milter-nolink.txt"
NOLINK_LOG=$(wc -l <"$MM_TMP/milter-nolink.txt")
OTHER_LOG=$(cat "$MM_TMP/mA/milter.log" "$MM_TMP/mB/milter.log" |
	grep -vE ' injected |^mailmood-milter: (starting|listening|stopping|ready)' |
	grep -vcE '^mailmood-milter: error: [0-9A-Za-z]+: (store: .*mail passes unchanged|ticket=INC-[0-9]+ rule=servicedesk store: )')
tap_diag "milter A injected $INJ_A, B $INJ_B; no-link lines $NOLINK_LOG; other lines $OTHER_LOG"
sed -E 's/^mailmood-milter: error: [0-9A-Za-z]+: //; s/ticket=INC-[0-9]+/ticket=INC-N/' \
	"$MM_TMP/milter-nolink.txt" | cut -c1-150 | sort | uniq -c | sort -rn | head -n 5 | tap_diag
tap_is "$((INJ_A + INJ_B)) $NOLINK_LOG" "$LINKED $NOLINK" \
	"milter logs agree: $((INJ_A + INJ_B)) injected, $NOLINK_LOG passed unchanged for the store" || diag_all
[ "$INJ_A" -gt 0 ] && [ "$INJ_B" -gt 0 ]
check "both milters injected links (A $INJ_A, B $INJ_B)" $?

# the store: one survey per mail with links (the one its token names, for
# that mail's ticket), none for the others
grep '^linked ' "$MM_TMP/mails.txt" | awk '{ print $3 "|INC-" $2 }' | sort -n >"$MM_TMP/sids.mail"
mm_sql "SELECT id, ticket FROM surveys ORDER BY id" >"$MM_TMP/sids.store"
N_SURV=$(grep -c . "$MM_TMP/sids.store")
N_SURV_U=$(mm_sql "SELECT count(DISTINCT ticket) FROM surveys")
tap_diag "surveys in the store: $N_SURV ($N_SURV_U distinct tickets)"
tap_same_file "$MM_TMP/sids.store" "$MM_TMP/sids.mail" \
	"surveys in the store = mails with links ($N_SURV = $LINKED, same tickets): nothing lost, nothing twice" || diag_all
T_MAILS_DONE=$EPOCHREALTIME

# ------------------------------------------------------------ 2. ratings
# Every link rated once, as a person would: GET the level's link, take the
# form's csrf value, POST. Rating i goes to listener A when i is even, B
# when odd; every third is red, the others amber, green, gold. A 503 (or
# any failure) is clicked again after 0.2 s, up to 150 times.
LEVELS=(red amber green gold)
i=0
grep '^linked ' "$MM_TMP/mails.txt" | sort -k2,2n | while read -r _ n sid tok; do
	if [ $((i % 3)) -eq 0 ]; then lv=1; else lv=$((2 + (i / 3) % 3)); fi
	if [ $((i % 2)) -eq 0 ]; then port=$HTTP_A; l=A; else port=$HTTP_B; l=B; fi
	echo "$i $n $sid $tok $lv ${LEVELS[lv - 1]} $l $port"
	i=$((i + 1))
done >"$MM_TMP/plan.txt"
N_PLAN=$(wc -l <"$MM_TMP/plan.txt")
N_RED_PLAN=$(awk '$6 == "red"' "$MM_TMP/plan.txt" | wc -l)

# A rating that still fails after 150 tries (30 s and more), or a listener
# that stopped answering at all (10 refused connections in a row), stops
# every rater: the checks below then say what is missing.
ABORT=$MM_TMP/rating.abort
rater() { # W — rates the plan's lines i with i % RATERS == W; one result line each:
	# "SID LEVEL LISTENER FINAL_CODE TRIES GET503 POST503 OTHER_CODES"
	local w=$1 body=$MM_TMP/body.$1 idx n sid tok lv name l port
	local code csrf tries g503 p503 other down
	while read -r idx n sid tok lv name l port; do
		[ $((idx % RATERS)) -eq "$w" ] || continue
		[ -e "$ABORT" ] && break
		tries=0 g503=0 p503=0 other='' down=0
		while :; do
			[ -e "$ABORT" ] && break
			if [ "$tries" -ge 150 ] || [ "$down" -ge 10 ]; then
				echo "rater $w: gave up on survey $sid at listener $l after $tries tries (answers: $other)" >>"$ABORT"
				break
			fi
			tries=$((tries + 1))
			code=$(curl -s -o "$body" -w '%{http_code}' -A "$UA" \
				"http://127.0.0.1:$port/r/$tok/$lv")
			if [ "$code" != 200 ]; then
				case $code in
				503) g503=$((g503 + 1)) down=0 ;;
				000) other+="G$code," down=$((down + 1)) ;;
				*) other+="G$code," down=0 ;;
				esac
				sleep 0.2
				continue
			fi
			down=0
			csrf=$(mm_csrf "$body")
			code=$(curl -s -o "$body" -w '%{http_code}' -A "$UA" \
				--data-raw "level=$name&csrf=$csrf&via=button" \
				"http://127.0.0.1:$port/r/$tok")
			if [ "$code" = 200 ] && grep -q 'Thank you' "$body"; then
				break
			fi
			case $code in
			503) p503=$((p503 + 1)) ;;
			000) other+="P$code," down=$((down + 1)) ;;
			*) other+="P$code," ;;
			esac
			sleep 0.2
		done
		echo "$sid $name $l $code $tries $g503 $p503 ${other:--}"
	done <"$MM_TMP/plan.txt" >"$MM_TMP/rated.$w"
}
rated_count() { cat "$MM_TMP"/rated.* 2>/dev/null | wc -l; }

phase "rating $N_PLAN links ($N_RED_PLAN red) with $RATERS curl clients on listeners A and B"
T_RATE0=$EPOCHREALTIME
RATER_PIDS=()
for ((w = 0; w < RATERS; w++)); do
	: >"$MM_TMP/rated.$w"
	rater "$w" &
	RATER_PIDS+=($!)
	mm_track_pid $!
done
rated_half() { # half of the ratings done (or the raters gave up)
	local p
	[ "$(rated_count)" -ge $((N_PLAN / 2)) ] || [ -e "$ABORT" ] && return 0
	for p in "${RATER_PIDS[@]}"; do _mm_alive "$p" && return 1; done
	return 0
}
mm_wait_for 150 rated_half
RATED_BEFORE=$(rated_count)
T_R2=$EPOCHREALTIME
mm_pg_restart
PG_RC2=$?
T_R3=$EPOCHREALTIME
phase "PostgreSQL restarted after $RATED_BEFORE ratings (exit $PG_RC2," \
	"down for $(awk -v a="$T_R2" -v b="$T_R3" 'BEGIN { printf "%.2f", b - a }') s)"
for p in "${RATER_PIDS[@]}"; do wait "$p"; done
T_RATE1=$EPOCHREALTIME
cat "$MM_TMP"/rated.* >"$MM_TMP/rated.all"
N_RATED=$(wc -l <"$MM_TMP/rated.all")
N_OK=$(awk '$4 == 200' "$MM_TMP/rated.all" | wc -l)
G503=$(awk '{ s += $6 } END { print s + 0 }' "$MM_TMP/rated.all")
P503=$(awk '{ s += $7 } END { print s + 0 }' "$MM_TMP/rated.all")
N_RETRIED=$(awk '$5 > 1' "$MM_TMP/rated.all" | wc -l)
OTHER=$(awk '$8 != "-" { print $8 }' "$MM_TMP/rated.all" | tr ',' '\n' | grep . | sort | uniq -c |
	awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')
N_OK_A=$(awk '$4 == 200 && $3 == "A"' "$MM_TMP/rated.all" | wc -l)
N_OK_B=$(awk '$4 == 200 && $3 == "B"' "$MM_TMP/rated.all" | wc -l)
N_RED=$(awk '$4 == 200 && $2 == "red"' "$MM_TMP/rated.all" | wc -l)
phase "ratings done in $(awk -v a="$T_RATE0" -v b="$T_RATE1" 'BEGIN { printf "%.1f", b - a }') s:" \
	"$N_OK of $N_PLAN answered 200 (A $N_OK_A, B $N_OK_B, red $N_RED);" \
	"503 answers: $P503 to POST, $G503 to GET, $N_RETRIED ratings clicked again;" \
	"other answers: ${OTHER:-none}"
[ "$PG_RC2" -eq 0 ] && [ "$RATED_BEFORE" -lt "$N_PLAN" ] && [ "$N_RATED" -eq "$N_PLAN" ] &&
	[ "$N_OK" -eq "$N_PLAN" ]
check "every rating POST succeeded in the end ($N_OK of $N_PLAN; PostgreSQL restarted after $RATED_BEFORE)" $?
[ -z "$OTHER" ]
check "no answers but 200 and 503 (other: ${OTHER:-none})" $?
awk '$4 != 200' "$MM_TMP/rated.all" | head -n 5 | tap_diag
[ -e "$ABORT" ] && head -n 5 "$ABORT" | tap_diag
[ $((P503 + G503)) -gt 0 ]
check "the restart was felt: $P503 POST and $G503 GET answered 503, clicked again and then recorded" $?
# A POST whose commit the server applied but whose answer was lost is a
# 503 that the click again turns into "comments updated" (the same level):
# counted too, and shown.
LOG_A=$(grep -cE ' rated [a-z]+ \(web| comments updated ' "$MM_TMP/mA/mailmoodd.log")
LOG_B=$(grep -cE ' rated [a-z]+ \(web| comments updated ' "$MM_TMP/mB/mailmoodd.log")
UPDATED=$(cat "$MM_TMP/mA/mailmoodd.log" "$MM_TMP/mB/mailmoodd.log" | grep -c ' comments updated ')
[ "$UPDATED" -gt 0 ] && tap_diag "$UPDATED rating(s) recorded at the first try although it answered 503 (the retry updated comments)"
[ "$LOG_A" -eq "$N_OK_A" ] && [ "$LOG_B" -eq "$N_OK_B" ] && [ "$LOG_A" -gt 0 ] && [ "$LOG_B" -gt 0 ]
check "each listener logged the ratings it answered (A $LOG_A/$N_OK_A, B $LOG_B/$N_OK_B)" $?

# the store: one rating per rated survey, current, with the posted level
N_RATINGS=$(mm_sql "SELECT count(*) FROM ratings")
tap_is "$N_RATINGS" "$N_OK" "ratings in the store = successful POSTs ($N_RATINGS)" || diag_all
tap_is "$(mm_sql "SELECT count(*), count(DISTINCT survey_id), coalesce(sum(current), 0) FROM ratings" | tr '|' ' ')" \
	"$N_OK $N_OK $N_OK" "exactly one current rating per rated survey" || diag_all
awk '$4 == 200 { n = split("red amber green gold", L, " "); for (i = 1; i <= n; i++) if (L[i] == $2) print $1 "|" i }' \
	"$MM_TMP/rated.all" | sort >"$MM_TMP/levels.posted"
mm_sql "SELECT survey_id, level FROM ratings WHERE current = 1" | sort >"$MM_TMP/levels.store"
tap_same_file "$MM_TMP/levels.store" "$MM_TMP/levels.posted" "each survey's rating has the level posted" || diag_all

# ------------------------------------------------------------- 3. alerts
# Both outbox workers send; every red rating's alert row ends sent (2).
# Wanted: the planned red ratings (all recorded, when the checks above
# pass), so that nothing passes for want of ratings.
outbox_settled() { # (or no listener left to send)
	_mm_alive "$PID_mailmoodd_A" || _mm_alive "$PID_mailmoodd_B" || return 0
	[ "$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'alert' AND state <> 2")" = 0 ] &&
		[ "$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'alert'")" -ge "$N_RED_PLAN" ] &&
		[ "$(alert_files | wc -l)" -ge "$N_RED_PLAN" ]
}
mm_wait_for 90 outbox_settled
SETTLED=$?
sleep 1.5 # a late duplicate would show by now (nothing is left to claim)
T_ALERTS=$EPOCHREALTIME
phase "outbox: $(mm_sql "SELECT state, count(*) FROM outbox WHERE kind = 'alert' GROUP BY state ORDER BY state" |
	tr '\n' ' ')(state|rows); $(alert_files | wc -l) alert mails at the sink"
tap_is "$SETTLED $(mm_sql "SELECT count(*), count(DISTINCT survey_id), coalesce(sum(CASE WHEN state = 2 THEN 1 ELSE 0 END), 0) FROM outbox WHERE kind = 'alert'" | tr '|' ' ')" \
	"0 $N_RED_PLAN $N_RED_PLAN $N_RED_PLAN" "outbox drained: one alert row per red rating ($N_RED_PLAN), all sent" || diag_all
tap_is "$(mm_sql "SELECT count(*) FROM outbox WHERE kind <> 'alert'")" 0 "no other outbox rows" || diag_all

# the alert mails: ticket from the Subject (decoded by Python's email
# package), counted per ticket
alert_files >"$MM_TMP/alerts.list"
python3 - "$MM_TMP/alerts.list" >"$MM_TMP/alerts.txt" 2>"$MM_TMP/alerts.err" <<'PY'
import collections, email, email.policy, re, sys
msgids = collections.Counter()
for f in open(sys.argv[1]).read().split():
    raw = open(f, "rb").read()
    # smtp-sink's X- records and its Received: header come first
    lines = raw.split(b"\n")
    i = 0
    while i < len(lines) and re.match(rb"^X-[A-Za-z-]+: ", lines[i]):
        i += 1
    m = email.message_from_bytes(b"\n".join(lines[i:]), policy=email.policy.default)
    subj = str(m["Subject"])
    t = re.match(r"RED: (INC-\d+) ", subj)
    print("%s %s" % (t.group(1) if t else "?", m["To"]))
    msgids[str(m["Message-ID"])] += 1
print("msgid-dups %d" % sum(1 for c in msgids.values() if c > 1), file=sys.stderr)
PY
N_ALERT_MAILS=$(wc -l <"$MM_TMP/alerts.txt")
awk '{ print $1 }' "$MM_TMP/alerts.txt" | sort | uniq -c | awk '$1 > 1' >"$MM_TMP/alerts.dup"
awk '{ print $1 }' "$MM_TMP/alerts.txt" | sort -u >"$MM_TMP/alerts.tickets"
awk '$6 == "red" { print "INC-" $2 }' "$MM_TMP/plan.txt" | sort >"$MM_TMP/red.tickets"
tap_diag "alert mails: $N_ALERT_MAILS for $(wc -l <"$MM_TMP/alerts.tickets") tickets," \
	"$(wc -l <"$MM_TMP/alerts.dup") ticket(s) twice; $(cat "$MM_TMP/alerts.err")"
head -n 5 "$MM_TMP/alerts.dup" | tap_diag
tap_is "$N_ALERT_MAILS $(wc -l <"$MM_TMP/alerts.dup")" "$N_RED_PLAN 0" \
	"$N_RED_PLAN red ratings, $N_ALERT_MAILS alert mails, none twice" || diag_all
tap_same_file "$MM_TMP/alerts.tickets" "$MM_TMP/red.tickets" \
	"the alerts are for exactly the red-rated tickets (none missing, none extra)" || diag_all
tap_is "$(awk '{ print $2 }' "$MM_TMP/alerts.txt" | sort -u | paste -sd, -)" "team-acme@msp.example" \
	"every alert went to the team's alert_to" || diag_all
S_A=$(grep -c 'outbox [0-9]*: alert .* sent' "$MM_TMP/mA/mailmoodd.log")
S_B=$(grep -c 'outbox [0-9]*: alert .* sent' "$MM_TMP/mB/mailmoodd.log")
[ "$S_A" -gt 0 ] && [ "$S_B" -gt 0 ] && [ $((S_A + S_B)) -eq "$N_RED_PLAN" ]
check "both outbox workers took a share (A $S_A, B $S_B, together $((S_A + S_B)) of $N_RED_PLAN)" $?
T_ALERTS_DONE=$EPOCHREALTIME

# ------------------------------------- 4. an alert in flight, server away
# The restarts above seldom catch an outbox worker between the relay's 250
# and marking the row sent (a millisecond per alert). Here it is made to
# happen: the alert relay waits 2 s before answering DATA, PostgreSQL is
# stopped while it waits and started again once the relay has the mail.
# The row must end sent and the alert arrive once, also after
# outbox_lease (10 s) would have handed an unmarked row out again.
mm_stop_pid "$ALERT_SINK_PID"
ALERT_DIR=$MM_TMP/alerts-slow
mkdir -p "$ALERT_DIR"
[ "$(id -u)" -eq 0 ] && chown postfix "$ALERT_DIR"
smtp-sink "${alert_user[@]}" -4 -w 2 -d "$ALERT_DIR/%Y%m%d%H%M%S." \
	"127.0.0.1:$ALERT_PORT" 64 >>"$MM_TMP/alert-sink.log" 2>&1 &
ALERT_SINK_PID=$!
mm_track_pid "$ALERT_SINK_PID"
mm_wait_listen "$ALERT_PORT" 10 || tap_bail "slow alert smtp-sink did not start"
# a change of mind on listener B: the first gold rating becomes red
read -r _ N4 SID4 TOK4 _ < <(awk '$6 == "gold"' "$MM_TMP/plan.txt" | head -n 1)
B4=http://127.0.0.1:$HTTP_B
C4=$(curl -s -o "$MM_TMP/body.4" -w '%{http_code}' -A "$UA" "$B4/r/$TOK4/1")
CSRF4=$(mm_csrf "$MM_TMP/body.4")
C4=$C4/$(curl -s -o "$MM_TMP/body.4" -w '%{http_code}' -A "$UA" \
	--data-raw "level=red&csrf=$CSRF4&via=button" "$B4/r/$TOK4")
in_flight() { [ -n "$(find "$ALERT_DIR" -type f)" ]; } # DATA sent, no answer yet
relay_took() { [ "$(alert_files | wc -l)" -ge 1 ]; }
FLIGHT=- BROKE=- TOOK=- MENDED=-
if [ "$C4" = 200/200 ]; then
	mm_wait_for 15 in_flight
	FLIGHT=$?
	mm_store_break
	BROKE=$?
	mm_wait_for 10 relay_took
	TOOK=$?
	sleep 0.5 # the worker tries to mark the row sent with the server away
	mm_store_mend
	MENDED=$?
fi
T_MEND=$EPOCHREALTIME
phase "INC-$N4 (survey $SID4) gold -> red on B (GET/POST $C4); alert in flight $FLIGHT," \
	"server stopped $BROKE, relay answered $TOOK, server back $MENDED"
[ "$C4" = 200/200 ] && [ "$FLIGHT$BROKE$TOOK$MENDED" = 0000 ]
check "PostgreSQL stopped while the relay held an alert, started after the relay took it" $?
row4_settled() {
	[ "$(mm_sql "SELECT count(*) FROM outbox WHERE survey_id = $SID4 AND kind = 'alert' AND state <> 2")" = 0 ]
}
mm_wait_for 40 row4_settled
sleep 1.5
tap_is "$(alert_files | wc -l) $(mm_sql "SELECT state FROM outbox WHERE survey_id = $SID4 AND kind = 'alert'" | paste -sd, -)" \
	"1 2" "that alert arrived once and its row is sent ($(awk -v a="$T_MEND" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s after the server came back)" ||
	{ grep -hE 'cannot mark it done|may be sent twice|outbox [0-9]+: alert survey '"$SID4"' ' \
		"$MM_TMP/mA/mailmoodd.log" "$MM_TMP/mB/mailmoodd.log" | cut -c1-250 | tap_diag; diag_all; }

TWICE=$(cat "$MM_TMP/mA/mailmoodd.log" "$MM_TMP/mB/mailmoodd.log" |
	grep -cE 'may be sent twice|cannot mark it done')
tap_is "$TWICE" 0 "no 'may be sent twice'/'cannot mark it done' in the listeners' logs" || diag_all

# what went wrong in the logs while the server was away (expected: store
# errors around the two restarts only)
for n in A B; do
	tap_diag "mailmoodd $n: $(grep -c 'error: ' "$MM_TMP/m$n/mailmoodd.log") error and" \
		"$(grep -c 'warning: ' "$MM_TMP/m$n/mailmoodd.log") warning lines; kinds:"
	grep -E 'error: |warning: ' "$MM_TMP/m$n/mailmoodd.log" |
		sed -E 's/[0-9]+/N/g' | cut -c1-150 | sort | uniq -c | sort -rn | head -n 6 | tap_diag
done

# all four daemons still run, and both listeners answer their health check
# (a few probes: an HTTP thread whose connection died while idle may
# answer its first probe 503; shown, not counted against the test)
healthy() { # PORT -> first answers until "ok", at most 8
	local k a seen=
	for k in 1 2 3 4 5 6 7 8; do
		a=$(curl -s "http://127.0.0.1:$1/healthz")
		seen+="${a:-no answer},"
		[ "$a" = ok ] && break
	done
	echo "${seen%,}"
}
daemons_check
H_A=$(healthy "$HTTP_A")
H_B=$(healthy "$HTTP_B")
tap_diag "/healthz after the last outage: A: $H_A; B: $H_B"
tap_is "${DEAD:-all running} ${H_A##*,} ${H_B##*,}" "all running ok ok" \
	"milters and listeners still running, /healthz ok on both" || diag_all

phase "figures: $MAILS mails ($LINKED with links, $NOLINK without during the outage)," \
	"$N_OK ratings (A $N_OK_A, B $N_OK_B), 503 retries $P503 POST + $G503 GET," \
	"$N_RED red -> $N_ALERT_MAILS alerts (A sent $S_A, B $S_B)"
phase "timing: mail phase $(awk -v a="$T_SEND0" -v b="$T_MAILS_DONE" 'BEGIN { printf "%.1f", b - a }') s," \
	"ratings $(awk -v a="$T_RATE0" -v b="$T_RATE1" 'BEGIN { printf "%.1f", b - a }') s," \
	"alerts drained $(awk -v a="$T_RATE1" -v b="$T_ALERTS" 'BEGIN { printf "%.1f", b - a }') s after the last rating," \
	"alert in flight $(awk -v a="$T_ALERTS_DONE" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Reply throughput through a real Postfix on loopback, same run, same mails:
# Postfix delivering feedback+TOKEN@fb.example over LMTP to
#   sink      smtp-sink -L, a trivial LMTP server that keeps nothing
#   mailmood  mailmoodd: parse, match the token, strip, read the grade,
#             store rating + reply row (SQLite, one transaction per mail)
# The reply has no Message-ID, so every copy is a new reply (with one, the
# copies after the first would be recognised as redeliveries). Prints
# replies/s (best of ROUNDS) for both and the ratio mailmood/sink
# (target >= 0.8). Each round runs the sink and then mailmoodd back to
# back, so the two see the same machine; the median of those paired
# ratios is printed too, the steadier figure on a shared machine. Also
# printed: mailmoodd's CPU time per 1000 replies (user+system, from
# /proc), which does not depend on what else runs.
# usage: top_srcdir=... top_builddir=... tests/bench/replies/run.sh [N] [ROUNDS]
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
N=${1:-2000}
ROUNDS=${2:-2}
SESSIONS=8

mm_tmpdir
_mm_port MM_HTTP_PORT
_mm_port LMTP_PORT
_mm_port LSINK_PORT
MM_LMTP=127.0.0.1:$LMTP_PORT
mm_config
read -r SID TOK < <("$top_builddir/tests/integration/mm-mksurvey" mk "$MM_DB" \
	"$MM_DIR/secret.key") || exit 1
"$MM_BIN/mailmoodd" -f -c "$MM_CONF" >"$MM_DIR/mailmoodd.log" 2>&1 &
MMD_PID=$!
mm_track_pid $MMD_PID
mm_wait_listen "$LMTP_PORT" 10 || { cat "$MM_DIR/mailmoodd.log"; exit 1; }
smtp-sink -u postfix -L -4 "127.0.0.1:$LSINK_PORT" 256 >"$MM_TMP/lsink.log" 2>&1 &
mm_track_pid $!
mm_wait_listen "$LSINK_PORT" 10 || exit 1
_mm_port SINK_PORT
pf_start "default_process_limit = 50" "recipient_delimiter = +" || exit 1

cat >"$MM_TMP/reply.eml" <<MAIL
From: J Doe <j.doe@acme.example>
To: Service Desk <feedback+$TOK@fb.example>
Subject: Re: [INC-1] Printer on fire: resolved
In-Reply-To: <inc1@desk.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Groen, but it took three days.

Jan

On Mon, 23 Nov 2026 at 10:00, Service Desk <servicedesk@example.com> wrote:
> Hello John,
>
> Your ticket INC-1 has been resolved.
>
> How did we do with INC-1? One click is enough:
>   red: http://127.0.0.1:8080/r/$TOK/1
>   green: http://127.0.0.1:8080/r/$TOK/3
> Ref: $TOK
MAIL

# run PORT -> replies/s on stdout
run() {
	local t0 t1
	pf_postconf -e "transport_maps = inline:{ feedback@fb.example=lmtp:inet:127.0.0.1:$1 }"
	pf_reload
	sleep 1
	t0=$(date +%s.%N)
	smtp-source -4 -s $SESSIONS -m "$N" -f j.doe@acme.example \
		-t "feedback+$TOK@fb.example" -F "$MM_TMP/reply.eml" \
		"127.0.0.1:$PF_PORT" || return 1
	pf_wait_drain 600 >/dev/null || return 1
	t1=$(date +%s.%N)
	python3 -c "print('%.1f' % ($N / ($t1 - $t0)))"
}

best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
# CPU seconds (user + system) mailmoodd has used so far
cpu() {
	python3 -c "import os,sys; f=open('/proc/%s/stat' % sys.argv[1]).read()
f=f[f.rindex(')') + 2:].split(); print((int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK'))" "$MMD_PID"
}
sink=() mm=() ratios=()
cpu0=$(cpu) || exit 1
for r in $(seq "$ROUNDS"); do
	sink+=("$(run "$LSINK_PORT")") || exit 1
	mm+=("$(run "$LMTP_PORT")") || exit 1
	ratios+=("$(python3 -c "print('%.2f' % (${mm[-1]} / ${sink[-1]}))")")
done
cpu1=$(cpu) || exit 1
stored=$(mm_sql "select count(*) from replies where status = 'rated'")
deferred=$(grep -c 'status=deferred' "$PF_LOG")
s=$(best "${sink[@]}")
m=$(best "${mm[@]}")
echo "replies: $N per round, $ROUNDS rounds, $SESSIONS SMTP sessions"
echo "sink (smtp-sink -L):  $s replies/s   (rounds: ${sink[*]})"
echo "mailmoodd (LMTP):     $m replies/s   (rounds: ${mm[*]})"
python3 -c "print('ratio mailmood/sink: %.2f (target >= 0.8)' % ($m / $s))"
python3 -c "import statistics as st; r=[float(x) for x in '${ratios[*]}'.split()]
print('paired ratio per round: median %.2f, min %.2f   (rounds: ${ratios[*]})' % (st.median(r), min(r)))"
python3 -c "print('mailmoodd CPU: %.2f s per 1000 replies (user+system)' % (($cpu1 - $cpu0) * 1000 / ($N * $ROUNDS)))"
echo "stored as rated: $stored of $((N * ROUNDS)); deferred deliveries: $deferred"
[ "$stored" -eq $((N * ROUNDS)) ]

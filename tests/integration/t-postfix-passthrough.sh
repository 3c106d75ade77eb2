#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real Postfix on loopback, no milter: three mails (7bit, MIME multipart
# with a base64 attachment, 8bit UTF-8 with long headers) reach smtp-sink
# byte-identical apart from Postfix's Received: header, and the harness
# leaves nothing running behind, whether the test ends, fails or is killed.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/lib.sh"

tap_plan 16
mm_tmpdir

# ------------------------------------------------------------- the mails
M=$MM_TMP/mails
mkdir -p "$M"

# 1. plain 7bit: an earlier Received:, dot lines, a "From " line, trailing
#    white space, tabs, an empty last line. (No Return-Path: or
#    Content-Length: header: Postfix's cleanup deletes those.)
{
	printf '%s\n' \
		'Received: from earlier.example (earlier.example [192.0.2.1])' \
		'	by relay.example (Postfix) with ESMTP id 0000000001' \
		'	for <user@acme.example>; Mon, 23 Nov 2026 09:59:00 +0000 (UTC)' \
		'From: Service Desk <servicedesk@example.com>' \
		'To: "Doe, John" <user@acme.example>' \
		'Subject: [INC-1001] Your call has been resolved' \
		'Date: Mon, 23 Nov 2026 10:00:00 +0000' \
		'Message-ID: <plain-1@mm-it.example>' \
		'MIME-Version: 1.0' \
		'Content-Type: text/plain; charset=us-ascii' \
		'Content-Transfer-Encoding: 7bit' \
		'' \
		'Hello John,' \
		'' \
		'.a line starting with a dot' \
		'.' \
		'..two dots' \
		'From the desk: a line starting with "From "' \
		'	tab indented'
	printf 'trailing spaces   \n'
	printf -- '-- \nThe service desk\n\n'
} >"$M/plain.eml"

# 2. MIME multipart/mixed with a base64 attachment
head -c 3000 /dev/urandom >"$MM_TMP/blob.bin"
{
	printf '%s\n' \
		'From: Service Desk <servicedesk@example.com>' \
		'To: user@acme.example' \
		'Subject: [INC-1002] resolved, report attached' \
		'Date: Mon, 23 Nov 2026 10:01:00 +0000' \
		'Message-ID: <mime-2@mm-it.example>' \
		'MIME-Version: 1.0' \
		'Content-Type: multipart/mixed; boundary="=_mm_boundary_42"' \
		'' \
		'This is a multi-part message in MIME format.' \
		'' \
		'--=_mm_boundary_42' \
		'Content-Type: text/plain; charset=us-ascii' \
		'' \
		'See the attached report.' \
		'' \
		'--=_mm_boundary_42' \
		'Content-Type: application/octet-stream; name="report.bin"' \
		'Content-Transfer-Encoding: base64' \
		'Content-Disposition: attachment; filename="report.bin"' \
		''
	base64 -w 76 "$MM_TMP/blob.bin"
	printf '%s\n' '' '--=_mm_boundary_42--' ''
} >"$M/mime.eml"

# 3. 8bit UTF-8 body; a folded Subject, a long folded References header
#    and one unfolded 990-octet header line (under the 998 limit)
{
	printf '%s\n' \
		'From: =?UTF-8?Q?Servicedesk_G=C3=A9n=C3=A9ral?= <servicedesk@example.com>' \
		'To: user@acme.example' \
		'Subject: =?UTF-8?Q?=5BINC-1003=5D_Uw_melding_is_opgelost_=E2=80=93_dank_u_?=' \
		' =?UTF-8?Q?voor_uw_geduld=2C_wij_horen_graag_hoe_het_ging_=F0=9F=98=80?=' \
		'Date: Mon, 23 Nov 2026 10:02:00 +0100' \
		'Message-ID: <utf8-3@mm-it.example>'
	printf 'References:'
	for i in $(seq 1 40); do printf ' <ref-%03d.1700000000@desk.example.com>\n' "$i"; done
	printf 'X-Long: %s\n' "$(head -c 982 /dev/zero | tr '\0' 'x')"
	printf '%s\n' \
		'MIME-Version: 1.0' \
		'Content-Type: text/plain; charset=utf-8' \
		'Content-Transfer-Encoding: 8bit' \
		'' \
		'Beste gebruiker,' \
		'' \
		'Uw melding is opgelost. Café, naïve, Ærøskøbing, Größe, ½ €, 日本語, 😀.' \
		'Zeer tevreden?  ☀️  Niet tevreden? ⛈' \
		'' \
		'Met vriendelijke groet,' \
		'De servicedesk'
} >"$M/utf8.eml"

# --------------------------------------------------------------- run it
tap_ok "smtp-sink started" sink_start || tap_bail "no smtp-sink"
tap_ok "private Postfix started" pf_start || tap_bail "no Postfix"
tap_diag "Postfix on 127.0.0.1:$PF_PORT relays to smtp-sink on 127.0.0.1:$SINK_PORT"

t0=$(date +%s%N)
declare -A qid
for m in plain mime utf8; do
	tap_ok "submit $m.eml over SMTP" pf_send servicedesk@example.com user@acme.example "$M/$m.eml"
	qid[$m]=$PF_LAST_QID
done
tap_ok "queue drained" pf_wait_drain 30
tap_ok "sink has 3 messages" sink_wait_count 3 20
tap_diag "delivery took $((($(date +%s%N) - t0) / 1000000)) ms"

for m in plain mime utf8; do
	mid=$(sed -n 's/^Message-ID: //p' "$M/$m.eml")
	f=$(sink_grep "^Message-ID: $mid\$" | head -n 1)
	if [ -z "$f" ]; then
		tap_ok 1 "$m.eml arrived byte-identical (not found in the sink)"
		continue
	fi
	strip_postfix_headers "$f" >"$MM_TMP/$m.got"
	tap_same_file "$MM_TMP/$m.got" "$M/$m.eml" "$m.eml arrived byte-identical"
done

# Exactly one Received: was added, by our Postfix, on top.
f=$(sink_grep '^Message-ID: <plain-1@' | head -n 1)
sink_body "$f" >"$MM_TMP/plain.body"
tap_is "$(head -n 2 "$MM_TMP/plain.body" | sed -n 2p | sed 's/ id .*//')" \
	"	by $PF_HOSTNAME (Postfix) with ESMTP" "the one line stripped is our Postfix's Received:"
tap_is "$(($(wc -l <"$MM_TMP/plain.body") - $(wc -l <"$M/plain.eml")))" 3 \
	"sink_body is the sent mail plus a 3-line Received:"

sent_ok=0
for m in plain mime utf8; do
	pf_log_wait "${qid[$m]}: to=<user@acme\.example>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK_PORT, .*status=sent" 10 &&
		sent_ok=$((sent_ok + 1))
done
tap_is "$sent_ok" 3 "maillog: status=sent for all three queue ids"

# ------------------------------------ second level: nothing left running
# _leftovers CONF_DIR PID... — lists processes of a harness run still alive
_leftovers() {
	local conf=$1 p
	shift
	for p in "$@"; do _mm_alive "$p" && echo "pid $p still running"; done
	grep -lzxF "MAIL_CONFIG=$conf" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/.*|process \1 still has MAIL_CONFIG='"$conf"'|'
	return 0
}
_nested_info() { [ -s "$MM_TMP/$1" ]; }
OUTER=$MM_TMP

# a) a test that starts everything and then fails (exit 3)
(
	exec >"$MM_TMP/nested-a.out" 2>&1
	mm_tmpdir
	sink_start && pf_start || exit 1
	sleep 300 &
	mm_track_pid $!
	n=$(grep -lzxF "MAIL_CONFIG=$PF_CONF" /proc/[0-9]*/environ 2>/dev/null | wc -l)
	echo "$MM_TMP $PF_CONF $n $PF_MASTER_PID $SINK_PID $!" >"$OUTER/nested-a"
	exit 3
)
rc=$?
a_tmp='' a_conf='' a_n='' a_pids=''
[ -f "$MM_TMP/nested-a" ] && read -r a_tmp a_conf a_n a_pids <"$MM_TMP/nested-a"
if [ -z "$a_conf" ] || [ "${a_n:-0}" -lt 1 ]; then
	tap_ok 1 "failing nested harness run (exit $rc) started Postfix"
	tap_diag <"$MM_TMP/nested-a.out"
else
	tap_ok 0 "failing nested harness run (exit $rc) started Postfix ($a_n processes)"
fi
left=$(_leftovers "$a_conf" $a_pids)
[ -d "$a_tmp" ] && left="$left${left:+$'\n'}$a_tmp not removed"
tap_is "$left" "" "after a failing test: no master, daemon, sink or tracked pid left, dir removed"

# b) a test killed with SIGTERM while its Postfix runs
(
	exec >"$MM_TMP/nested-b.out" 2>&1
	mm_tmpdir
	sink_start && pf_start || exit 1
	sleep 300 &
	mm_track_pid $!
	echo "$MM_TMP $PF_CONF $PF_MASTER_PID $SINK_PID $!" >"$OUTER/nested-b.tmp"
	mv "$OUTER/nested-b.tmp" "$OUTER/nested-b"
	while :; do sleep 0.1; done
) &
b_sub=$!
mm_track_pid "$b_sub"
if mm_wait_for 15 _nested_info nested-b; then
	read -r b_tmp b_conf b_pids <"$MM_TMP/nested-b"
	kill -TERM "$b_sub"
	wait "$b_sub"
	rc=$?
	left=$(_leftovers "$b_conf" $b_pids)
	[ -d "$b_tmp" ] && left="$left${left:+$'\n'}$b_tmp not removed"
	tap_is "$left" "" "after SIGTERM (exit $rc): nothing left running, dir removed"
else
	tap_ok 1 "interrupted nested harness run did not start"
	tap_diag <"$MM_TMP/nested-b.out"
fi

tap_done

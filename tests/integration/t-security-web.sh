#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What an outsider can do to mailmoodd over HTTP and LMTP, with curl and a
# real LMTP client: a huge User-Agent or an unmatched reply cannot fill the
# store (both cut, and counted in /metrics); dashboard logins are throttled
# per (user, client address) and answer known and unknown users alike;
# passwd and user delete end sessions; /metrics only for metrics_allow
# (the client address after trusted_proxies); per_ip_limit counts the
# client behind a trusted proxy, not the proxy. Tokens: links of a real
# closure mail resolve after a key rotation (mailmoodctl keygen --add),
# links of the old 27-character form still do, a retired key's do not.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MK=$B/tests/integration/mm-mksurvey
CTL=$B/src/mailmoodctl
MB=$B/src

tap_plan 48
mm_tmpdir
_mm_port PORT
_mm_port LPORT
mm_store_setup
URL=http://127.0.0.1:$PORT
# key bytes 00 01 .. 1f: the key of the old-form token fixture below
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(32)))' >"$MM_TMP/key"
chmod 600 "$MM_TMP/key"
write_conf() { # EXTRA_LISTENER_LINE...
	cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$PORT
lmtp = 127.0.0.1:$LPORT
reply_address = feedback@fb.example
http_timeout = 10s
http_threads = 2
per_ip_limit = 3
trusted_proxies = 127.0.0.1
CONF
	local l
	for l in "$@"; do printf '%s\n' "$l" >>"$MM_TMP/mm.conf"; done
	cat >>"$MM_TMP/mm.conf" <<CONF
[milter]
socket = unix:$MM_TMP/milter.sock
socket_mode = 0666
cooldown = 0
[rule servicedesk]
from = servicedesk@example.com
subject = /\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved)\b/i
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
CONF
}
write_conf
mm_store_init "$MM_TMP/mm.conf"
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
echo 'root-password-1' | ctl passwd root --admin >/dev/null || tap_bail "passwd"
echo 'ann-password-1' | ctl passwd ann --team acme >/dev/null || tap_bail "passwd"
echo 'bob-password-1' | ctl passwd bob --team acme >/dev/null || tap_bail "passwd"
read -r SID TOK < <("$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" -a 3600) ||
	tap_bail "mm-mksurvey failed"
mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"
mm_wait_listen "$LPORT" 10 || tap_bail "no LMTP listener"

metric() { # NAME{labels} -> value (from 127.0.0.1, which may ask)
	curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
store_bytes() { # what the store takes on disk
	case $MM_STORE in
	sqlite) mm_store_checkpoint && wc -c <"$MM_STORE_DSN" ;;
	pg) mm_sql "SELECT pg_database_size(current_database())" ;;
	esac
}

# ------------------------------------------------------------ 1-6 sizes
# 2,000 GETs with a 14 KB User-Agent whose byte 256 is inside a 'é'
UA="$(printf 'a%.0s' $(seq 255))é$(head -c 13700 /dev/zero | tr '\0' b)"
before=$(store_bytes)
for i in $(seq 2000); do
	printf 'url = "%s/r/%s/red"\noutput = /dev/null\n' "$URL" "$TOK"
done >"$MM_TMP/urls"
curl -s -A "$UA" -K "$MM_TMP/urls"
metric 'mailmood_hits_total' >/dev/null # every queued hit is stored
tap_is "$(mm_sql "SELECT COUNT(*), MAX(LENGTH(user_agent)) FROM hits WHERE survey_id = $SID")" \
	"2000|255" "2,000 hits stored, User-Agent cut to 255 (before the 'é' at byte 256)"
tap_is "$(metric 'mailmood_truncated_total{what="user_agent"}')" 2000 \
	"/metrics counts the 2,000 cut User-Agents"
grown=$(($(store_bytes) - before))
tap_diag "store grew by $grown bytes for 2,000 hits (a whole 14 KB User-Agent each: 28 MB)"
[ "$grown" -lt 4000000 ]
tap_ok $? "the store grew by less than 4 MB ($grown bytes)"

# a 3 MB reply that matches no survey, from a stranger, over LMTP
python3 - "$LPORT" <<'PY' || tap_bail "LMTP send failed"
import smtplib, sys
body = "".join("line %07d of a long unmatched reply, nothing to see\n" % i
               for i in range(60000))
msg = ("From: stranger@evil.example\nTo: feedback@fb.example\n"
       "Subject: big\nMessage-ID: <big1@evil.example>\n\n" + body)
assert len(msg) > 3000000
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("stranger@evil.example", ["feedback@fb.example"], msg)
s.quit()
PY
tap_is "$(mm_sql "SELECT status FROM replies WHERE message_id LIKE '%big1@evil.example%'")" \
	unmatched "the 3 MB reply is kept as unmatched"
len=$(mm_sql "SELECT LENGTH(body) FROM replies WHERE message_id LIKE '%big1@evil.example%'")
[ "${len:-0}" -ge 65536 ] && [ "${len:-0}" -le $((65536 + 200)) ]
tap_ok $? "its headers and 64K of its body are stored ($len bytes)"
tap_is "$(metric 'mailmood_truncated_total{what="unmatched_reply"}')" 1 \
	"/metrics counts the cut reply"

# ------------------------------------------------------------ 7-23 logins
req() { # JAR METHOD PATH [curl args] -> code; body/headers in $MM_TMP
	local jar=$1 m=$2 p=$3
	shift 3
	curl -s -o "$MM_TMP/body" -D "$MM_TMP/hdr" -w '%{http_code}' \
		-b "$MM_TMP/$jar" -c "$MM_TMP/$jar" -X "$m" "$@" "$URL$p"
}
errmsg() { sed -n 's/.*<p class="err">\([^<]*\)<.*/\1/p' "$MM_TMP/body"; }
login() { # JAR USER PASSWORD [curl args] -> code
	local jar=$1 u=$2 p=$3 c
	shift 3
	req "$jar" GET /admin/login "$@" >/dev/null
	c=$(mm_csrf)
	req "$jar" POST /admin/login "$@" --data-urlencode "csrf=$c" \
		--data-urlencode "user=$u" --data-urlencode "password=$p"
}
answers=
for i in 1 2 3 4 5; do
	answers="$answers $(login k root wrong-$i):$(errmsg)|$(login u nosuchuser wrong-$i):$(errmsg)"
done
tap_is "$answers" "$(printf ' 401:Wrong user or password.|401:Wrong user or password.%.0s' 1 2 3 4 5)" \
	"five failures: a known and an unknown user get the same 401"
k=$(login k root root-password-1):$(errmsg)
u=$(login u nosuchuser root-password-1):$(errmsg)
tap_is "$k" "429:Too many failed attempts: try again later." \
	"after five failures the known user is throttled, right password or not"
tap_is "$u" "$k" "... and the unknown user gets the very same answer"
tap_is "$(login k2 root root-password-1 --interface 127.0.0.2)" 303 \
	"the same user logs in from another address (127.0.0.2)"
tap_is "$(req k2 GET /admin/ --interface 127.0.0.2)" 200 "... and has a session"
# timing: the password hash runs for unknown users too
t_known=0 t_unknown=0
for i in 1 2 3; do
	req t GET /admin/login >/dev/null
	c=$(mm_csrf)
	t_known=$(curl -s -o /dev/null -w '%{time_total}' -b "$MM_TMP/t" \
		--data-urlencode "csrf=$c" --data-urlencode "user=ann" \
		--data-urlencode "password=wrong" "$URL/admin/login" |
		awk -v s="$t_known" '{ print s + $1 }')
	t_unknown=$(curl -s -o /dev/null -w '%{time_total}' -b "$MM_TMP/t" \
		--data-urlencode "csrf=$c" --data-urlencode "user=nobody-$i" \
		--data-urlencode "password=wrong" "$URL/admin/login" |
		awk -v s="$t_unknown" '{ print s + $1 }')
done
tap_diag "three failed logins: known user ${t_known}s, unknown users ${t_unknown}s"
awk -v a="$t_known" -v b="$t_unknown" 'BEGIN { exit !(b > a / 4 && b < a * 4) }'
tap_ok $? "a wrong password takes as long for an unknown user as for a known one"

tap_is "$(login a ann ann-password-1)" 303 "ann logs in"
tap_is "$(req a GET /admin/)" 200 "ann's session works"
echo 'ann-password-2' | ctl passwd ann --team acme >"$MM_TMP/out"
tap_ok $? "mailmoodctl passwd ann (a new password)"
tap_is "$(req a GET /admin/)" 303 "ann's old session is gone after passwd"
tap_is "$(login a ann ann-password-2)" 303 "ann logs in with the new password"

tap_is "$(login b bob bob-password-1)" 303 "bob logs in"
tap_is "$(ctl user list | cut -f1,2,3 | paste -sd' ' -)" \
	"$(printf 'ann\t-\tacme bob\t-\tacme root\tadmin\t-')" \
	"mailmoodctl user list: the three users"
tap_ok "mailmoodctl user delete bob" ctl user delete bob
tap_is "$(req b GET /admin/)" 303 "bob's session is gone after the delete"
tap_is "$(ctl user list | cut -f1 | paste -sd' ' -)" "ann root" "bob is no longer listed"
ctl user delete bob 2>/dev/null
tap_is $? 65 "deleting a user that does not exist: exit 65"

# ------------------------------------------------------------ 24-30 metrics
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
code_is() { [ "$(code "${@:2}")" = "$1" ]; } # WANT CURL_ARGS...
tap_is "$(code "$URL/metrics")" 200 "/metrics for 127.0.0.1 (default metrics_allow)"
tap_is "$(code --interface 127.0.0.2 "$URL/metrics")" 200 \
	"/metrics for 127.0.0.2 (loopback, default metrics_allow)"
tap_is "$(code -H 'X-Forwarded-For: 203.0.113.9' "$URL/metrics")" 404 \
	"/metrics through the proxy for 203.0.113.9: 404"
curl -s -H 'X-Forwarded-For: 203.0.113.9' "$URL/metrics" | grep -q mailmood_
tap_is $? 1 "... and not one figure in that answer"
write_conf "metrics_allow = 127.0.0.1/32, ::1, 2001:db8::/32, 10.1.0.0/16"
kill -USR1 "$MMD_PID"
mm_wait_for 10 code_is 404 --interface 127.0.0.2 "$URL/metrics"
tap_is "$(code --interface 127.0.0.2 "$URL/metrics")" 404 \
	"metrics_allow = 127.0.0.1/32 ...: 127.0.0.2 gets 404"
tap_is "$(code -H 'X-Forwarded-For: 10.1.2.3' "$URL/metrics")" 200 \
	"a client in 10.1.0.0/16 behind the proxy may"
tap_is "$(code -H 'X-Forwarded-For: 2001:db8::7' "$URL/metrics")" 200 \
	"a client in 2001:db8::/32 behind the proxy may"

# ------------------------------------------------------------ 31-38 per_ip_limit
# hold SRC N [XFF]: N requests in flight (headers sent, body not) from SRC
hold() {
	rm -f "$MM_TMP/held"
	python3 - "$PORT" "$MM_TMP/held" "$@" <<'PY' &
import socket, sys, time
port, ready, src, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
xff = sys.argv[5] if len(sys.argv) > 5 else None
socks = []
for i in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if xff:
        s.sendall(("POST /r/x HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: 100\r\n\r\na" % xff).encode())
    socks.append(s)
open(ready, "w").write("%d\n" % n)
time.sleep(30)
PY
	HOLD_PID=$!
	mm_track_pid "$HOLD_PID"
	mm_wait_for 20 test -s "$MM_TMP/held" || tap_bail "the holder did not connect"
	sleep 0.5 # the server reads what was sent
}
hold 127.0.0.2 3
tap_is "$(code --interface 127.0.0.2 "$URL/healthz")" 000 \
	"a 4th connection from 127.0.0.2 (per_ip_limit 3) is refused"
tap_is "$(code "$URL/healthz")" 200 "127.0.0.1 is not affected"
mm_stop_pid "$HOLD_PID"
mm_wait_for 10 code_is 200 --interface 127.0.0.2 "$URL/healthz"
tap_is "$(code --interface 127.0.0.2 "$URL/healthz")" 200 \
	"127.0.0.2 again, once those are closed"
hold 127.0.0.1 3 198.51.100.7
tap_is "$(code -H 'X-Forwarded-For: 198.51.100.7' "$URL/healthz")" 503 \
	"behind the proxy: a 4th request of client 198.51.100.7 gets 503"
tap_is "$(code -H 'X-Forwarded-For: 198.51.100.8' "$URL/healthz")" 200 \
	"... while client 198.51.100.8 through the same proxy gets 200"
tap_is "$(code -H 'X-Forwarded-For: 198.51.100.8' "$URL/r/$TOK/green")" 200 \
	"... and its rating page"
mm_stop_pid "$HOLD_PID"
mm_wait_for 10 code_is 200 -H 'X-Forwarded-For: 198.51.100.7' "$URL/healthz"
tap_is "$(code -H 'X-Forwarded-For: 198.51.100.7' "$URL/healthz")" 200 \
	"198.51.100.7 again, once its requests are gone"
grep -q "client 198.51.100.7 over per_ip_limit (3) behind proxy 127.0.0.1" \
	"$MM_TMP/mailmoodd.log"
tap_ok $? "the log says which client was over the limit"

# ------------------------------------------------------------ 39-48 tokens
# Made by mailmood before the ids were encrypted (commit 8f519e7), with
# this test's key, for survey 1: a link of that form mailed long ago.
OLD_TOK=AAAAAAAAAAGnOUPl-fFQmr09QTs
tap_is "$SID:$(code "$URL/r/$OLD_TOK/red")" "1:200" \
	"an old-form link (27 characters, made by the old code) resolves"
"$MB/mailmood-milter" -f -c "$MM_TMP/mm.conf" >>"$MM_TMP/milter.log" 2>&1 &
MILTER_PID=$!
mm_track_pid "$MILTER_PID"
mm_wait_for 10 test -S "$MM_TMP/milter.sock" || tap_bail "milter did not start"
sink_start || tap_bail "no smtp-sink"
pf_start "smtpd_milters = { unix:$MM_TMP/milter.sock, default_action=accept }" ||
	tap_bail "no Postfix"
closure() { # N -> the first rating link of closure mail N, as delivered
	sed -e "s/inc1001@/inc$1@/" -e "s/INC-1001/INC-$1/" \
		"$top_srcdir/tests/data/mail/closure-text.eml" >"$MM_TMP/c$1.eml"
	pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/c$1.eml" &&
		sink_wait_count "$2" 30 &&
		python3 - "$(sink_grep "^Message-ID: <inc$1@" | head -n 1)" "$URL" <<'PY'
import email, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
text = msg.get_payload(decode=True).decode("utf-8")
m = re.search(re.escape(sys.argv[2]) + r"/r/[A-Za-z0-9_-]{39}/[0-9a-z]+", text)
print(m.group(0) if m else "")
PY
}
L1=$(closure 2001 1)
tap_ok "a closure mail through Postfix and the milter carries a 39-character link" \
	test -n "$L1"
tap_is "$(code "$L1")" 200 "its link resolves"
T1=$(printf '%s' "$L1" | sed 's|.*/r/\([^/]*\)/.*|\1|')
case $T1 in AAAAAAAAAA*) false ;; *) true ;; esac
tap_ok $? "the token does not show the survey id ($T1)"

out=$(ctl keygen --add "$MM_TMP/key")
tap_ok $? "mailmoodctl keygen --add: $out"
nreload=$(grep -c "reload:" "$MM_TMP/milter.log")
kill -USR1 "$MILTER_PID" "$MMD_PID"
reloaded() { [ "$(grep -c "reload:" "$MM_TMP/milter.log")" -gt "$nreload" ]; }
mm_wait_for 10 reloaded
mm_wait_for 10 code_is 200 "$(ctl link "$SID" | head -n 1 | cut -f1)"
L2=$(closure 2002 2)
tap_ok "a closure mail after the rotation" test -n "$L2"
tap_is "$(code "$L2"):$(code "$L1"):$(code "$URL/r/$OLD_TOK/red")" "200:200:200" \
	"after the rotation: the new link, the link mailed before and the old-form one resolve"
T2=$(printf '%s' "$L2" | sed 's|.*/r/\([^/]*\)/.*|\1|')
python3 - "$LPORT" "$T1" <<'PY' || tap_bail "LMTP send failed"
import smtplib, sys
rcpt = "feedback+%s@fb.example" % sys.argv[2]
assert len(rcpt.split("@")[0]) <= 64
msg = ("From: j.doe@acme.example\nTo: %s\nSubject: Re: closed\n"
       "Message-ID: <rep1@acme.example>\n\ngreen, thanks\n" % rcpt)
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("j.doe@acme.example", [rcpt], msg)
s.quit()
PY
S1=$(mm_sql "SELECT id FROM surveys WHERE ticket = 'INC-2001'")
tap_is "$(mm_sql "SELECT status FROM replies WHERE message_id LIKE '%rep1@acme.example%'"):$(mm_sql "SELECT survey_id FROM replies WHERE message_id LIKE '%rep1@acme.example%'")" \
	"rated:$S1" "a reply to feedback+TOKEN@ (pre-rotation token) rates its survey"

# retire the first key: the file's last line
sed -i '$d' "$MM_TMP/key"
kill -USR1 "$MMD_PID"
mm_wait_for 10 code_is 404 "$L1"
tap_is "$(code "$L1"):$(code "$URL/r/$OLD_TOK/red")" "404:404" \
	"the retired key's links (both forms) are 404"
tap_is "$(code "$L2")" 200 "the current key's link still resolves"
tap_done

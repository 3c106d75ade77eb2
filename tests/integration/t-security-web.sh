#!/bin/bash
# What an outsider can do to mailmoodd over HTTP and LMTP, with curl and a
# real LMTP client: a huge User-Agent or an unmatched reply cannot fill the
# store (both cut, and counted in /metrics); dashboard logins are throttled
# per (user, client address) and answer known and unknown users alike;
# passwd and user delete end sessions; /metrics only for metrics_allow
# (the client address after trusted_proxies); per_ip_limit counts the
# client behind a trusted proxy, not the proxy.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MK=$B/tests/integration/mm-mksurvey
CTL=$B/src/mailmoodctl

tap_plan 38
mm_tmpdir
_mm_port PORT
_mm_port LPORT
mm_store_setup
URL=http://127.0.0.1:$PORT
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
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
csrf_of() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$MM_TMP/body" | head -n 1; }
errmsg() { sed -n 's/.*<p class="err">\([^<]*\)<.*/\1/p' "$MM_TMP/body"; }
login() { # JAR USER PASSWORD [curl args] -> code
	local jar=$1 u=$2 p=$3 c
	shift 3
	req "$jar" GET /admin/login "$@" >/dev/null
	c=$(csrf_of)
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
	c=$(csrf_of)
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
awk -v a="$t_known" -v b="$t_unknown" 'BEGIN { exit !(b > a / 2 && b < a * 2) }'
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
	python3 - "$PORT" "$@" <<'PY' &
import socket, sys, time
port, src, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
xff = sys.argv[4] if len(sys.argv) > 4 else None
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
time.sleep(30)
PY
	HOLD_PID=$!
	mm_track_pid "$HOLD_PID"
	sleep 1
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
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodd's rating routes against a running daemon with curl:
# GET records a hit, never a rating; POST records, a new choice replaces
# (history kept), comments update; forged/expired links 404, tampered
# level 400, oversize 413, CSRF and Origin checks, escaping, scanner
# bursts, slowloris, alerts in the outbox, metrics, reload and stop.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

tap_plan 44
mm_tmpdir
_mm_port PORT
mm_store_setup
URL=http://127.0.0.1:$PORT
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
write_conf() { # EXTRA_LINE...
	cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$PORT
lmtp = none
http_timeout = 2s
http_threads = 2
max_request = 4k
comment_max = 100
burst_window = 30s
pid_file = $MM_TMP/mailmoodd.pid
trusted_proxies = 127.0.0.1
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
alert_at = red
[team oranje]
match = @oranje.example
alert_to = team-oranje@msp.example
language = nl
CONF
	local l
	for l in "$@"; do printf '%s\n' "$l" >>"$MM_TMP/mm.conf"; done
}
write_conf
mm_store_init "$MM_TMP/mm.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@"; }
show() { "$MK" show "$MM_STORE_DSN" "$1"; }
# get PATH [curl args] -> body in $MM_TMP/body, headers in $MM_TMP/hdr, code
get() {
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -D "$MM_TMP/hdr" -w '%{http_code}' -A "$UA" \
		"$@" "$URL$p"
}
post() { # TOKEN DATA [curl args]
	local t=$1 d=$2
	shift 2
	get "/r/$t" --data-raw "$d" "$@"
}
hdr() { grep -i "^$1:" "$MM_TMP/hdr" | cut -d' ' -f2- | tr -d '\r'; }

read -r SID TOK < <(mk -a 3600) || tap_bail "mm-mksurvey failed"
mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"

# 1-2 health and pid file
tap_is "$(get /healthz)$(cat "$MM_TMP/body")" "200ok" "GET /healthz answers ok"
tap_is "$(cat "$MM_TMP/mailmoodd.pid")" "$MMD_PID" "pid file written"

# 3-9 landing page and headers
tap_is "$(get "/r/$TOK/red")" 200 "GET /r/TOKEN/red shows the landing page"
grep -q "acme &middot; ticket" "$MM_TMP/body" && grep -q 'INC-1' "$MM_TMP/body"
tap_ok $? "page shows the team and the ticket"
grep -q 'id="lv-1" value="red" checked' "$MM_TMP/body"
tap_ok $? "the clicked level is preselected"
CSP=$(hdr Content-Security-Policy)
[[ $CSP == *"script-src 'self'"* && $CSP == *"frame-ancestors 'none'"* && $CSP != *unsafe-inline* ]]
tap_ok $? "CSP: script from self, no unsafe-inline, frame-ancestors none"
tap_is "$(hdr X-Content-Type-Options) $(hdr Referrer-Policy) $(hdr Cache-Control)" \
	"nosniff no-referrer no-store" "nosniff, no-referrer, no-store"
tap_is "$(show "$SID")" "hit 1 0" "GET recorded a hit and no rating"
CSRF=$(mm_csrf)
[ ${#CSRF} -eq 22 ]
tap_ok $? "page carries a CSRF value"

# 10-13 POST records, alert queued in the same transaction
tap_is "$(post "$TOK" "level=red&csrf=$CSRF&via=button")" 200 "POST red answers the thanks page"
grep -q 'Thank you' "$MM_TMP/body"
tap_ok $? "thanks page shown"
show "$SID" | grep -qx 'rating 1 1 web'
tap_ok $? "rating red recorded as current, source web"
show "$SID" | grep -q '^outbox alert 0 '
tap_ok $? "red rating queued a pending alert"

# 14-17 change of mind: new current rating, history kept, alert cancelled
tap_is "$(post "$TOK" "level=gold&csrf=$CSRF&via=js")" 200 "script POST gold answers"
grep -q '"recorded":true' "$MM_TMP/body"
tap_ok $? "script gets recorded:true"
tap_is "$(show "$SID" | grep '^rating' | sort | tr '\n' ' ')" \
	"rating 1 0 web rating 4 1 web " "gold replaces red; red kept as history"
tap_is "$(show "$SID" | grep '^outbox' | cut -d' ' -f1-3)" "outbox alert 4" \
	"the pending red alert was cancelled"

# 18-22 comments: SQL and HTML metacharacters stored raw, shown escaped
EVIL="<script>alert('x')</script>\"; DROP TABLE ratings;--"
tap_is "$(post "$TOK" "level=gold&csrf=$CSRF&via=button" --data-urlencode "why=$EVIL" \
	--data-urlencode "better=a & b")" 200 "comment POST answers"
tap_is "$(show "$SID" | grep -c '^rating')" 2 "same level: comments updated, no new rating"
cur() { show "$SID" | grep -A2 '^rating 4 1 ' | grep "^$1="; }
tap_is "$(cur why)" "why=$EVIL" "comment stored raw"
grep -qF '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;; DROP' "$MM_TMP/body" &&
	! grep -qF "<script>alert" "$MM_TMP/body"
tap_ok $? "comment shown escaped"
tap_is "$(cur better)" "better=a & b" "second field stored"

# 23 comment_max
LONG=$(printf 'x%.0s' {1..150})
post "$TOK" "level=gold&csrf=$CSRF&why=$LONG" >/dev/null
W=$(cur why)
tap_is "${#W}" 104 "comment cut at comment_max (100) characters"

# 24-27 refusals
tap_is "$(post "$TOK" "level=gold&via=button")" 403 "POST without CSRF: 403"
tap_is "$(post "$TOK" "level=gold&csrf=AAAAAAAAAAAAAAAAAAAAAA")" 403 "POST with a wrong CSRF: 403"
tap_is "$(post "$TOK" "level=red&csrf=$CSRF" -H "Origin: https://evil.example")" 403 \
	"POST from another origin: 403"
tap_is "$(show "$SID" | grep -c '^rating')" 2 "refused POSTs recorded nothing"

# 28-31 forged, tampered, expired
FORGED=${TOK:0:26}$([ "${TOK:26:1}" = A ] && echo B || echo A)
tap_is "$(get "/r/$FORGED/red")" 404 "forged token: 404"
grep -q 'no longer valid' "$MM_TMP/body"
tap_ok $? "forged token gets the friendly page"
tap_is "$(get "/r/$TOK/purple")" 400 "unknown level: 400"
read -r OLD_ID OLD_TOK < <(mk -a $((91 * 86400)))
tap_is "$(get "/r/$OLD_TOK/green")" 404 "link older than link_ttl: 404"

# 32-33 size limits
BIG=$(head -c 5000 /dev/zero | tr '\0' x)
tap_is "$(post "$TOK" "level=red&csrf=$CSRF&why=$BIG")" 413 "oversize body: 413"
tap_is "$(post "$TOK" "level=red&csrf=$CSRF&why=$BIG" -H 'Transfer-Encoding: chunked')" 413 \
	"oversize chunked body: 413"

# 34-37 scanners: a burst over all levels is machine; its script cannot rate
read -r BID BTOK < <(mk -a 3600)
for l in red amber green gold; do get "/r/$BTOK/$l" >/dev/null; done
tap_is "$(show "$BID" | grep '^hit' | tr '\n' ' ')" \
	"hit 1 1 hit 2 1 hit 3 1 hit 4 1 " "burst of GETs on all levels marked machine"
BCSRF=$(mm_csrf)
post "$BTOK" "level=gold&csrf=$BCSRF&via=js" >/dev/null
grep -q '"recorded":false' "$MM_TMP/body" && ! show "$BID" | grep -q '^rating'
tap_ok $? "script confirmation during a burst asks for a click, records nothing"
read -r SCID SCTOK < <(mk -a 3600)
get "/r/$SCTOK/green" -A "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook)" >/dev/null
tap_is "$(show "$SCID")" "hit 3 1" "scanner user agent: machine hit"
tap_is "$(post "$BTOK" "level=gold&csrf=$BCSRF&via=button")" 200 \
	"an explicit click during a burst still rates"

# 38 language from the team
read -r NID NTOK < <(mk -a 3600 -t oranje -k INC-7)
get "/r/$NTOK/amber" >/dev/null
grep -q 'Hoe hebben we het gedaan' "$MM_TMP/body"
tap_ok $? "team language nl gives the Dutch page"

# 39 X-Forwarded-For from a trusted proxy is the client address
read -r XID XTOK < <(mk -a 3600)
get "/r/$XTOK/green" >/dev/null
post "$XTOK" "level=green&csrf=$(mm_csrf)" -H 'X-Forwarded-For: 203.0.113.9' >/dev/null
grep -q "survey $XID ticket=INC-1 rated green (web) ip=203.0.113.9" "$MM_TMP/mailmoodd.log"
tap_ok $? "log line with the client address from X-Forwarded-For"

# 40 metrics
get /metrics >/dev/null
grep -q '^mailmood_ratings_total{source="web",level="4"} [1-9]' "$MM_TMP/body" &&
	grep -q '^mailmood_machine_hits_total [1-9]' "$MM_TMP/body" &&
	grep -q '^mailmood_http_requests_total{route="rate_get",status="404"} [1-9]' "$MM_TMP/body" &&
	grep -q 'mailmood_http_request_duration_seconds_bucket{le="+Inf"}' "$MM_TMP/body"
tap_ok $? "metrics: ratings by level, machine hits, requests by route/status, latency"

# 41 slowloris: an idle partial request is closed by the timeout, and so
# is one that trickles a byte a second (idle timeout never fires)
python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def closed_within(trickle, limit):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    s.settimeout(0.5)
    while time.time() - t0 < limit:
        try:
            if s.recv(1024) == b"":
                return True
        except socket.timeout:
            pass
        except OSError:
            return True
        if trickle:
            try:
                s.sendall(b"X")
            except OSError:
                return True
    return False
ok = closed_within(False, 6) and closed_within(True, 9)
sys.exit(0 if ok else 1)
PY
tap_ok $? "slowloris connections are closed (idle and trickling)"

# 42 reload with a broken config keeps the running one
cp "$MM_TMP/mm.conf" "$MM_TMP/mm.conf.good"
echo "[listener]
nonsense = = =" >>"$MM_TMP/mm.conf"
kill -USR1 "$MMD_PID"
mm_wait_for 5 grep -q 'keeping the running configuration' "$MM_TMP/mailmoodd.log"
tap_is "$?$(get /healthz)" "0200" "bad config on SIGUSR1: logged, still serving"
cp "$MM_TMP/mm.conf.good" "$MM_TMP/mm.conf"

# 43-44 SIGTERM stops cleanly
kill -TERM "$MMD_PID"
wait "$MMD_PID"
tap_is "$?" 0 "SIGTERM: exit 0"
[ ! -e "$MM_TMP/mailmoodd.pid" ]
tap_ok $? "pid file removed"
tap_done

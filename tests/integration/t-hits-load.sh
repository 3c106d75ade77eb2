#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hits under load: while GETs pour in, the hit writer gathers
# them into large transactions (src/listener/hitlog.c). Nothing may be lost or
# misjudged for it: every page served is one hit; a survey opened on
# every level inside the flood is machine; a rating posted meanwhile is
# recorded; and a second daemon on the same store adding hits to a survey
# is seen by the first one's classifier (its per-survey summaries are
# reloaded when another connection added hits).
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
FLOOD_SURVEYS=60
FLOOD_CLIENTS=8
FLOOD_EACH=1500

tap_plan 12
mm_tmpdir
_mm_port PORT
_mm_port PORT2
mm_store_setup
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
write_conf() { # FILE PORT
	cat >"$1" <<CONF
[general]
base_url = http://127.0.0.1:$PORT
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
log_level = debug
[listener]
http = 127.0.0.1:$2
lmtp = none
http_threads = 2
per_ip_limit = 64
burst_window = 30s
pid_file = $1.pid
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
CONF
}
write_conf "$MM_TMP/a.conf" "$PORT"
write_conf "$MM_TMP/b.conf" "$PORT2"
mm_store_init "$MM_TMP/a.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" -a 3600 "$@"; }

for ((i = 0; i < FLOOD_SURVEYS; i++)); do
	mk -k "INC-F$i" || tap_bail "mm-mksurvey failed"
done >"$MM_TMP/flood"
read -r BURST_SID BURST_TOK < <(mk -k INC-BURST)
read -r RATE_SID RATE_TOK < <(mk -k INC-RATE)
read -r TWO_SID TWO_TOK < <(mk -k INC-TWO)

mm_mailmoodd "$MM_TMP/a.conf" "$PORT" "$MM_TMP/a.log"
A_PID=$MMD_PID
# /metrics waits for the hits queued before it (hitlog_sync)
sync_hits() { curl -s -o /dev/null "http://127.0.0.1:$1/metrics"; }

# 1-6: FLOOD_CLIENTS keep-alive clients, each FLOOD_EACH GETs over the
# flood surveys, one level per survey (no burst). In the middle, one
# client opens BURST on all four levels and another rates RATE.
mm_py - "$PORT" "$MM_TMP/flood" "$BURST_TOK" "$RATE_TOK" "$UA" \
	"$FLOOD_CLIENTS" "$FLOOD_EACH" >"$MM_TMP/flood.out" <<'PY'
import http.client, re, sys, threading, urllib.parse
port, flood, burst, rate, ua = sys.argv[1:6]
clients, each = int(sys.argv[6]), int(sys.argv[7])
toks = [l.split()[1] for l in open(flood)]
codes, lock = {}, threading.Lock()
def count(status):
    with lock:
        codes[status] = codes.get(status, 0) + 1
def get(c, path):
    c.request("GET", path, headers={"User-Agent": ua})
    r = c.getresponse()
    body = r.read()
    count(r.status)
    return body
def client(n):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    for i in range(each):
        k = (n * each + i) % len(toks)
        get(c, "/r/%s/%d" % (toks[k], k % 4 + 1))
        if n == 0 and i == each // 2:
            for lv in range(1, 5):
                get(c, "/r/%s/%d" % (burst, lv))
        if n == 1 and i == each // 2:
            page = get(c, "/r/%s/2" % rate)
            csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"level": "2", "via": "button",
                                           "csrf": csrf.decode()})
            c.request("POST", "/r/%s" % rate, body=form, headers={
                "User-Agent": ua,
                "Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            print("post %d" % r.status)
ts = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in ts: t.start()
for t in ts: t.join()
print("get " + " ".join("%d:%d" % kv for kv in sorted(codes.items())))
PY
sync_hits "$PORT"
GETS=$((FLOOD_CLIENTS * FLOOD_EACH + 4 + 1))
tap_is "$(grep '^get' "$MM_TMP/flood.out")" "get 200:$GETS" \
	"flood: every GET answered 200 ($GETS)"
tap_is "$(mm_sql "SELECT count(*) FROM hits")" "$GETS" \
	"every page served is one hit"
tap_is "$(mm_sql "SELECT count(*) FROM hits WHERE machine <> 0 AND survey_id NOT IN ($BURST_SID, $RATE_SID)")" 0 \
	"flood hits, one level per survey: none machine"
tap_is "$(mm_sql "SELECT count(*), sum(machine) FROM hits WHERE survey_id = $BURST_SID")" "4|4" \
	"survey opened on all four levels inside the flood: all its hits machine"
tap_is "$(grep '^post' "$MM_TMP/flood.out") $(mm_sql "SELECT level, current FROM ratings WHERE survey_id = $RATE_SID")" \
	"post 200 2|1" "rating posted during the flood recorded"
BIG=$(sed -n 's/.*hits: \([0-9]*\) recorded in one transaction.*/\1/p' "$MM_TMP/a.log" | sort -n | tail -n 1)
tap_ok "$([ "${BIG:-0}" -ge 64 ] && echo 0 || echo 1)" \
	"hits were gathered into larger transactions (largest ${BIG:-none})"

# 7-12: two daemons, one survey: red on A, green on B, red on A again.
mm_mailmoodd "$MM_TMP/b.conf" "$PORT2" "$MM_TMP/b.log"
hit() { # PORT LEVEL
	curl -s -o /dev/null -w '%{http_code}' -A "$UA" \
		"http://127.0.0.1:$1/r/$TWO_TOK/$2"
	sync_hits "$1"
}
two() { mm_sql "SELECT level, machine FROM hits WHERE survey_id = $TWO_SID ORDER BY id" | tr '\n' ' '; }
tap_is "$(hit "$PORT" red)" 200 "daemon A: red"
tap_is "$(two)" "1|0 " "a lone red hit is a person's"
tap_is "$(hit "$PORT2" green)" 200 "daemon B: green"
tap_is "$(two)" "1|1 3|1 " "B sees A's red: a second level, both machine"
tap_is "$(hit "$PORT" red)" 200 "daemon A: red again"
tap_is "$(two)" "1|1 3|1 1|1 " \
	"A sees B's green (its summary was reloaded): machine"
kill "$A_PID" "$MMD_PID"
wait "$A_PID" "$MMD_PID" 2>/dev/null
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Report and dashboard benchmark. A generated store (the real
# schema: mailmoodctl passwd creates it) with 1,000,000 surveys and
# 300,000 ratings over the last two years, 50 teams of 10 agents, red
# alerts (60% acknowledged) and scanner hits; then, on the same file in
# the same run:
#   report  `mailmoodctl report --by month --format json` (all teams:
#           overall, per team, per agent, per month) against the
#           equivalent hand-written SQL run by the sqlite3 shell; best of
#           ROUNDS each; target ratio <= 1.5;
#   dashboard  REQS sequential GETs of /admin/ (the overview) with a
#           session cookie against mailmoodd on that store; p50/p99 of
#           curl's time_total; target p99 < 200 ms;
#   comments  REQS GETs each of a team page (its latest comments) and of
#           a comment search over all teams, and `mailmoodctl export`
#           (best of ROUNDS): the paths that read ratings together with
#           comment-only replies (3% of the surveys have one); their times
#           are printed for a before/after comparison, no target.
# usage: top_srcdir=... top_builddir=... tests/bench/report/run.sh \
#        [SURVEYS] [RATINGS] [ROUNDS] [REQS]
# Exit status 0 when both targets are met.
. "${top_srcdir:?}/tests/integration/lib.sh"
B=${top_builddir:?}
NS=${1:-1000000}
NR=${2:-300000}
ROUNDS=${3:-3}
REQS=${4:-200}
TEAMS=50
AGENTS=10

mm_tmpdir
_mm_port PORT
URL=http://127.0.0.1:$PORT
# REPORT_BENCH_STORE=FILE keeps the generated store in FILE and reuses
# it when it exists (regenerating takes a while).
DB=${REPORT_BENCH_STORE:-$MM_TMP/mm.db}
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
{
	cat <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $DB
templates = $top_srcdir/conf/templates
[listener]
lmtp = none
http = 127.0.0.1:$PORT
http_timeout = 5s
http_threads = 2
pid_file = $MM_TMP/mailmoodd.pid
CONF
	for t in $(seq 0 $((TEAMS - 1))); do
		printf '[team t%02d]\nmatch = @t%02d.example\n' "$t" "$t"
	done
} >"$MM_TMP/mm.conf"
ctl() { "$B/src/mailmoodctl" -c "$MM_TMP/mm.conf" "$@"; }
fresh=1
[ -s "$DB" ] && fresh=0
echo 'bench-password-1' | ctl passwd bench --admin >/dev/null || exit 1

# --- generate ---------------------------------------------------------
# Survey i is sent at an even pace over two years up to now; NR of them,
# picked by a multiplicative hash, are rated once; 2% are cooldowns.
# Levels: 8% red, 17% amber, 45% green, 30% gold; 20% of the ratings came
# by mail; 15% carry a comment. Every red rating has a sent alert, 60% of
# them acknowledged within 0-4 h. Every rating has its human hit, and 5%
# of the surveys a scanner hit.
NOW=$(date +%s)
SPAN=$((2 * 365 * 86400))
t0=$(date +%s.%N)
[ $fresh = 1 ] && { sqlite3 "$DB" <<SQL || exit 1; }
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $NS)
INSERT INTO surveys (id, sent_at, status, queue_id, message_id, rule, ticket,
	team, agent, requester, scale, language, subject)
SELECT i, $NOW - $SPAN + i * $SPAN / ($NS + 1),
	CASE WHEN i % 50 = 49 THEN 1 ELSE 0 END,
	printf('Q%08X', i), printf('<inc%d@desk.example.com>', i),
	printf('rule%d', i % 3), printf('INC-%d', i),
	printf('t%02d', (i * 7) % $TEAMS),
	printf('Agent %d', (i / $TEAMS) % $AGENTS),
	printf('user%d@t%02d.example', i % 40000, (i * 7) % $TEAMS),
	'thermometer', 'en', printf('Ticket INC-%d resolved', i)
FROM c;
INSERT INTO ratings (id, survey_id, at, level, source, current, why)
SELECT NULL, id, sent_at + 600 + h % 86400,
	CASE WHEN h / 7 % 100 < 8 THEN 1 WHEN h / 7 % 100 < 25 THEN 2
	     WHEN h / 7 % 100 < 70 THEN 3 ELSE 4 END,
	CASE WHEN h / 3 % 5 = 1 THEN 1 ELSE 0 END, 1,
	CASE WHEN h / 11 % 100 < 15 THEN printf('comment on INC-%d', id) END
FROM (SELECT id, sent_at, id * 2654435761 % 4294967296 AS h FROM surveys
      ORDER BY h LIMIT $NR)
ORDER BY id;
INSERT INTO outbox (kind, survey_id, rating_id, due, attempts, state,
	created_at, sent_at)
SELECT 'alert', survey_id, id, at, 1, 2, at, at + 5 FROM ratings WHERE level = 1;
INSERT INTO alert_acks (outbox_id, acked_by, acked_at)
SELECT id, 'team-lead', created_at + (id * 7919) % 14400 FROM outbox
WHERE kind = 'alert' AND id % 5 < 3;
INSERT INTO hits (survey_id, at, level, machine, ip, user_agent)
SELECT survey_id, at - 5, level, 0, '192.0.2.1', 'Mozilla/5.0' FROM ratings;
INSERT INTO hits (survey_id, at, level, machine, ip, user_agent)
SELECT id, sent_at + 30, 4, 1, '198.51.100.7', 'Scanner/1.0' FROM surveys
WHERE id % 20 = 11;
INSERT INTO replies (received_at, survey_id, status, sender, message_id,
	subject, body, comment)
SELECT sent_at + 7200, id, 'comment', requester,
	printf('<reply%d@client.example>', id), 'Re: ' || subject, 'reply',
	printf('reply comment on INC-%d', id)
FROM surveys WHERE id % 33 = 5;
COMMIT;
ANALYZE;
SQL
t1=$(date +%s.%N)
counts=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM surveys), (SELECT count(*) FROM ratings),
	(SELECT count(*) FROM outbox), (SELECT count(*) FROM alert_acks), (SELECT count(*) FROM hits),
	(SELECT count(*) FROM replies), (SELECT count(DISTINCT team) FROM surveys),
	date(min(sent_at), 'unixepoch') || '..' || date(max(sent_at), 'unixepoch') FROM surveys")
echo "store: surveys|ratings|alerts|acks|hits|replies|teams|dates = $counts"
echo "store: $(du -m "$DB" | cut -f1) MB, generated in $(python3 -c "print('%.1f' % ($t1 - $t0))") s"

# --- report vs hand-written SQL ---------------------------------------
# The same figures (overall, per team, per agent, per month: surveys,
# responses per level and by mail, scanner hits, red alerts and how many
# were acknowledged, median time to acknowledge) as one would write them
# by hand: aggregate per team, agent and month once, roll up from there.
cat >"$MM_TMP/hand.sql" <<'SQL'
CREATE TEMP TABLE sv AS
SELECT team, agent, strftime('%Y-%m', sent_at, 'unixepoch') AS month,
	count(*) AS n FROM surveys WHERE status = 0 GROUP BY 1, 2, 3;
CREATE TEMP TABLE lv AS
SELECT s.team, s.agent, strftime('%Y-%m', s.sent_at, 'unixepoch') AS month,
	s.scale, r.level, count(*) AS n, sum(r.source = 1) AS mail
FROM ratings r JOIN surveys s ON s.id = r.survey_id WHERE r.current = 1
GROUP BY 1, 2, 3, 4, 5;
CREATE TEMP TABLE mh AS
SELECT s.team, s.agent, strftime('%Y-%m', s.sent_at, 'unixepoch') AS month,
	count(*) AS n FROM hits h JOIN surveys s ON s.id = h.survey_id
WHERE h.machine = 1 GROUP BY 1, 2, 3;
CREATE TEMP TABLE al AS
SELECT s.team, s.agent, strftime('%Y-%m', s.sent_at, 'unixepoch') AS month,
	o.id, a.acked_at - o.created_at AS delay
FROM outbox o JOIN surveys s ON s.id = o.survey_id
LEFT JOIN alert_acks a ON a.outbox_id = o.id
WHERE o.kind = 'alert' AND o.state <> 4;
-- overall, per team, per agent
SELECT NULL, NULL, month, sum(n) FROM sv GROUP BY month
UNION ALL SELECT team, NULL, month, sum(n) FROM sv GROUP BY team, month
UNION ALL SELECT team, agent, month, n FROM sv;
SELECT NULL, NULL, month, scale, level, sum(n), sum(mail) FROM lv GROUP BY 3, 4, 5
UNION ALL SELECT team, NULL, month, scale, level, sum(n), sum(mail) FROM lv GROUP BY 1, 3, 4, 5
UNION ALL SELECT * FROM lv;
SELECT NULL, NULL, month, sum(n) FROM mh GROUP BY month
UNION ALL SELECT team, NULL, month, sum(n) FROM mh GROUP BY team, month
UNION ALL SELECT * FROM mh;
SELECT NULL, NULL, month, count(*), count(delay) FROM al GROUP BY month
UNION ALL SELECT team, NULL, month, count(*), count(delay) FROM al GROUP BY team, month
UNION ALL SELECT team, agent, month, count(*), count(delay) FROM al GROUP BY 1, 2, 3;
-- median time to acknowledge
WITH d AS (SELECT NULL AS team, NULL AS agent, month, delay FROM al WHERE delay IS NOT NULL
	UNION ALL SELECT team, NULL, month, delay FROM al WHERE delay IS NOT NULL
	UNION ALL SELECT team, agent, month, delay FROM al WHERE delay IS NOT NULL),
o AS (SELECT team, agent, month, delay,
	row_number() OVER (PARTITION BY team, agent, month ORDER BY delay) AS i,
	count(*) OVER (PARTITION BY team, agent, month) AS c FROM d)
SELECT team, agent, month, avg(delay) FROM o
WHERE i IN ((c + 1) / 2, (c + 2) / 2) GROUP BY 1, 2, 3;
SQL
sqlite3 "$DB" "PRAGMA optimize" >/dev/null
secs() { # CMD... -> wall seconds on stdout; output to $MM_TMP/out
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$MM_TMP/out" || return 1
	t1=$(date +%s.%N)
	python3 -c "print('%.3f' % ($t1 - $t0))"
}
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
rep=() sql=()
for r in $(seq "$ROUNDS"); do
	sql+=("$(secs sqlite3 "$DB" ".read $MM_TMP/hand.sql")") || exit 1
	hand_rows=$(wc -l <"$MM_TMP/out")
	rep+=("$(secs ctl report --by month --format json)") || exit 1
	groups=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$MM_TMP/out")
done
R=$(best "${rep[@]}")
S=$(best "${sql[@]}")
echo "report --by month --format json: $R s (rounds: ${rep[*]}; $groups groups)"
echo "hand-written SQL (sqlite3 shell): $S s (rounds: ${sql[*]}; $hand_rows rows)"
report_ok=$(python3 -c "r = $R / $S; print('%.2f' % r, 'ok' if r <= 1.5 else 'FAIL')")
echo "ratio report/SQL: $report_ok (target <= 1.5)"

# --- dashboard overview -----------------------------------------------
"$B/src/mailmoodd" -f -c "$MM_TMP/mm.conf" 2>"$MM_TMP/mailmoodd.log" &
mm_track_pid $!
mm_wait_listen "$PORT" 10 || { cat "$MM_TMP/mailmoodd.log"; exit 1; }
JAR=$MM_TMP/jar
curl -s -o "$MM_TMP/body" -b "$JAR" -c "$JAR" "$URL/admin/login" || exit 1
CSRF=$(mm_csrf)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" \
	--data-urlencode "csrf=$CSRF" --data-urlencode user=bench \
	--data-urlencode password=bench-password-1 "$URL/admin/login")
[ "$code" = 303 ] || { echo "login: HTTP $code"; exit 1; }
for i in $(seq "$REQS"); do
	curl -s -o "$MM_TMP/body" -b "$JAR" -w '%{http_code} %{time_total}\n' "$URL/admin/"
done >"$MM_TMP/times"
teams=$(grep -c 'href="/admin/team/' "$MM_TMP/body")
dash_ok=$(python3 - "$MM_TMP/times" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1])]
bad = sum(1 for c, _ in rows if c != "200")
t = sorted(float(s) * 1000 for _, s in rows)
p = lambda q: t[min(len(t) - 1, math.ceil(q * len(t)) - 1)]
print("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d requests, %d not 200); ratio p99/200ms: %.2f %s"
      % (p(.5), p(.99), t[-1], len(t), bad, p(.99) / 200,
         "ok" if p(.99) < 200 and not bad else "FAIL"))
PY
)
echo "dashboard overview /admin/ ($teams team links): $dash_ok (target p99 < 200 ms)"

# --- comments: team page, search, export ------------------------------
pct() { # FILE -> "p50 X ms, p99 Y ms (n requests, m not 200)"
	python3 - "$1" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1])]
bad = sum(1 for c, _ in rows if c != "200")
t = sorted(float(s) * 1000 for _, s in rows)
p = lambda q: t[min(len(t) - 1, math.ceil(q * len(t)) - 1)]
print("p50 %.1f ms, p99 %.1f ms (%d requests, %d not 200)" % (p(.5), p(.99), len(t), bad))
PY
}
for path in /admin/team/t07 '/admin/search?q=INC-4242'; do
	for i in $(seq "$REQS"); do
		curl -s -o "$MM_TMP/body" -b "$JAR" -w '%{http_code} %{time_total}\n' "$URL$path"
	done >"$MM_TMP/times"
	echo "comments $path ($(grep -c '<li><span class="when">' "$MM_TMP/body") items): $(pct "$MM_TMP/times")"
done
exp=()
for r in $(seq "$ROUNDS"); do
	exp+=("$(secs ctl export --format csv)") || exit 1
done
echo "export --format csv: $(best "${exp[@]}") s (rounds: ${exp[*]}; $(($(wc -l <"$MM_TMP/out") - 1)) rows)"
[[ $report_ok == *ok && $dash_ok == *ok ]]

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodctl copy-store: a SQLite store with surveys, hits,
# ratings with history, alerts, an acknowledgement, replies, users and
# digests moves to PostgreSQL and back. Reports, exports and `show` of a
# survey by its mailed token answer the same on every copy; a second copy
# into a filled store is refused and changes nothing; an unreachable
# destination is a temporary failure (75). Before all that, on a new
# database: the daemons refuse a schema that is not theirs (78, saying
# what to run) until `mailmoodctl migrate` made it. PostgreSQL by nature:
# it sets MM_STORE=pg for the destination.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey

tap_plan 17
mm_tmpdir
MM_STORE=pg
mm_store_setup
PG=$MM_STORE_DSN
LITE=$MM_TMP/from.db
BACK=$MM_TMP/back.db
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
conf() { # NAME STORE — a config for that store
	cat >"$MM_TMP/$1.conf" <<CONF
[general]
base_url = http://127.0.0.1:1
secret_file = $MM_TMP/key
store = $2
templates = $top_srcdir/conf/templates
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
CONF
}
conf lite "$LITE"
conf pg "$PG"
conf back "$BACK"

# A new, empty database: nothing starts on it before migrate.
"$MM_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$MM_PG_PORT" -U postgres -d postgres \
	-c 'CREATE DATABASE fresh OWNER mailmood' || tap_bail "CREATE DATABASE failed"
conf fresh "postgresql://mailmood@127.0.0.1:$MM_PG_PORT/fresh"
timeout 20 "$B/src/mailmoodd" -f -c "$MM_TMP/fresh.conf" >"$MM_TMP/d.out" 2>&1
rc=$?
tap_is "$rc:$(grep -c 'schema version 0, this build needs .*mailmoodctl migrate' "$MM_TMP/d.out")" "78:1" \
	"mailmoodd refuses an unmigrated store: exit 78, says to run mailmoodctl migrate"
timeout 20 "$B/src/mailmood-milter" -f -c "$MM_TMP/fresh.conf" -p "unix:$MM_TMP/m.sock" >"$MM_TMP/m.out" 2>&1
rc=$?
tap_is "$rc:$(grep -c 'mailmoodctl migrate' "$MM_TMP/m.out")" "78:2" \
	"mailmood-milter too (stderr and log)"
# the schema version this build knows, from the first migrate: no number
# is written here (migrations get appended and renumbered)
M1=$("$CTL" -c "$MM_TMP/fresh.conf" migrate 2>&1)
V=${M1##* -> }
M2=$("$CTL" -c "$MM_TMP/fresh.conf" migrate 2>&1)
[[ $V =~ ^[0-9]+$ ]] && [ "$V" -ge 5 ]
tap_is "$?|$M1|$M2" "0|schema version 0 -> $V|schema version $V: up to date" \
	"migrate creates the schema once, then has nothing to do"
NEWER=$((V + 1))
"$MM_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$MM_PG_PORT" -U mailmood -d fresh \
	-c "INSERT INTO mailmood_schema VALUES ($NEWER, 0)" || tap_bail "psql failed"
timeout 20 "$B/src/mailmoodd" -f -c "$MM_TMP/fresh.conf" >"$MM_TMP/d6.out" 2>&1
rc=$?
tap_is "$rc:$(grep -c "schema version $NEWER is newer than this build" "$MM_TMP/d6.out")" "78:1" \
	"a newer schema is refused too"
tap_is "$("$CTL" -c "$MM_TMP/fresh.conf" export --format csv 2>&1 >/dev/null; echo "exit $?")" \
	"mailmoodctl: store postgresql://mailmood@127.0.0.1:$MM_PG_PORT/fresh: schema version $NEWER is newer than this build knows ($V): upgrade mailmood or use a matching store
exit 69" "... by mailmoodctl, with the store and both versions"

# The source: surveys made as the milter makes them, then what the
# listener and the outbox add, with text SQL and HTML would choke on.
for i in 1 2 3 4 5; do
	"$MK" mk "$LITE" "$MM_TMP/key" -t acme -k "INC-$i" -a $((i * 3600))
done >"$MM_TMP/tokens" || tap_bail "mm-mksurvey failed"
MM_STORE=sqlite mm_py - "$LITE" <<'PY' || tap_bail "seeding failed"
import mmdb, sys
db = mmdb.connect(sys.argv[1])
for sid in (1, 2, 3):
    db.insert("INSERT INTO hits (survey_id, at, level, machine, ip, user_agent) VALUES (?, 1000, 2, 0, '192.0.2.1', 'Mozilla ''quoted''')", (sid,))
    db.insert("INSERT INTO ratings (survey_id, at, level, source, current, why) VALUES (?, 1100, 1, 0, 0, 'first: red')", (sid,))
    rid = db.insert("INSERT INTO ratings (survey_id, at, level, source, current, why, better) VALUES (?, 1200, ?, 1, 1, ?, NULL)",
                    (sid, sid, "'; DROP TABLE surveys; -- <b>ü</b>"))
    oid = db.insert("INSERT INTO outbox (kind, survey_id, rating_id, due, attempts, state, created_at, sent_at) VALUES ('alert', ?, ?, 1200, 1, 2, 1200, 1260)", (sid, rid))
db.insert("INSERT INTO alert_acks (outbox_id, acked_by, acked_at) VALUES (1, 'Bob O''Brien', 1300)")
db.insert("INSERT INTO replies (received_at, survey_id, rating_id, status, sender, message_id, subject, body, comment) VALUES (1250, 3, 6, 'rated', 'j@acme.example', '<r@x>', 'Re: INC-3', 'body', 'thanks')")
db.insert("INSERT INTO replies (received_at, status, sender, message_id, body) VALUES (1251, 'unmatched', '', '<u@x>', 'who?')")
db.insert("INSERT INTO users (name, pwhash, is_admin, teams, created_at) VALUES ('ann', '$y$x', 0, 'acme', 1)")
db.insert("INSERT INTO sessions (id, user_name, created_at, expires_at) VALUES ('abc', 'ann', 1, 2)")
db.insert("INSERT INTO digests (team, last_sent) VALUES ('acme', 1400)")
db.insert("INSERT INTO customer_ratings (survey_id, rater, level, at, current) VALUES (2, 'jan@msp.example', 3, 1500, 1)")
db.insert("INSERT INTO customer_digests (rater, day, state, lease_until, attempts, sent_at) VALUES ('jan@msp.example', '2026-01-02', 2, 0, 1, 1501)")
db.commit()
PY

"$CTL" copy-store "$LITE" "$PG" >"$MM_TMP/copy.out" 2>&1
tap_ok $? "copy-store SQLite -> PostgreSQL exits 0"
tap_is "$(awk '{ printf "%s=%s ", $1, $2 }' "$MM_TMP/copy.out")" \
	"surveys=5 ratings=6 hits=3 outbox=3 replies=2 alert_acks=1 users=1 sessions=1 digests=1 campaign_rounds=0 campaign_recipients=0 campaign_hits=0 campaign_answers=0 campaign_contacts=0 campaign_unsubscribes=0 customer_ratings=1 customer_digests=1 copied,=counts " \
	"every table copied with its row count"

out() { # CONF — what the store tells through mailmoodctl, for comparison
	"$CTL" -c "$MM_TMP/$1.conf" export --format json
	"$CTL" -c "$MM_TMP/$1.conf" report --format json --per agent
	while read -r _ tok; do
		"$CTL" -c "$MM_TMP/$1.conf" show --json "$tok" |
			grep -v '"sent_at"' # printed from the same number
	done <"$MM_TMP/tokens"
}
out lite >"$MM_TMP/lite.out" 2>&1
out pg >"$MM_TMP/pg.out" 2>&1
tap_ok $? "export, report and show on the PostgreSQL copy"
tap_same_file "$MM_TMP/pg.out" "$MM_TMP/lite.out" \
	"PostgreSQL copy: export, report and show by the mailed tokens are identical"
tap_is "$(grep -c '"token"' "$MM_TMP/pg.out")" 5 "every mailed token finds its survey"

read -r SID _ < <("$MK" mk "$PG" "$MM_TMP/key" -t acme -k INC-NEW)
tap_is "$SID" 6 "a new survey on PostgreSQL gets the next id"

"$CTL" copy-store "$LITE" "$PG" >"$MM_TMP/again.out" 2>&1
rc=$?
tap_is "$rc:$(grep -c 'not empty' "$MM_TMP/again.out")" "69:1" \
	"a second copy into the filled store is refused (69, says why)"
MM_STORE_DSN=$PG
tap_is "$(mm_sql 'SELECT count(*) FROM surveys')|$(mm_sql 'SELECT count(*) FROM ratings')" "6|6" \
	"... and changed nothing"

"$CTL" copy-store "$PG" "$BACK" >"$MM_TMP/back.out" 2>&1
tap_ok $? "copy-store PostgreSQL -> a new SQLite file exits 0"
"$CTL" -c "$MM_TMP/lite.conf" export --format json >"$MM_TMP/lite.exp"
"$CTL" -c "$MM_TMP/back.conf" export --format json >"$MM_TMP/back.exp"
tap_same_file "$MM_TMP/back.exp" "$MM_TMP/lite.exp" \
	"round trip: the export of the SQLite copy equals the original's"
tap_is "$(sqlite3 "$BACK" 'SELECT count(*) FROM surveys')" 6 \
	"round trip: the survey made on PostgreSQL came back too"

"$CTL" copy-store "$LITE" "postgresql://mailmood:sekrit@127.0.0.1:1/none" >"$MM_TMP/down.out" 2>&1
rc=$?
tap_is "$rc:$(grep -c sekrit "$MM_TMP/down.out")" "75:0" \
	"unreachable destination: 75 (try again), no password in the message"
tap_done

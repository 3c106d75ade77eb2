#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmoodctl report / export / purge / passwd on a seeded store:
# json parsed by python3's json, csv by its csv module, numbers checked
# against hand-computed values; html self-contained with SVG and escaped
# comments; purge --anonymize leaves no address or comment in the file.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl

tap_plan 23
mm_tmpdir
mm_store_setup
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = http://127.0.0.1:1
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
[team beta]
match = @beta.example
alert_to = team-beta@msp.example
CONF
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
mm_store_init "$MM_TMP/mm.conf"

# acme, March 2025: 10 surveys, all rated: gold 3, green 3, amber 2, red 2
# (temperature 60, NPS 30-40 = -10, CSAT 60); beta: 3 surveys, 2 rated
mm_py - "$MM_STORE_DSN" <<'PY' || tap_bail "seeding failed"
import mmdb, sys
db = mmdb.connect(sys.argv[1])
t0 = 1741564800  # 2025-03-10
levels = [4, 4, 4, 3, 3, 3, 2, 2, 1, 1]
for i, lv in enumerate(levels):
    sid = db.insert("INSERT INTO surveys (sent_at, status, team, agent, rule, ticket, requester, scale) VALUES (?, 0, 'acme', ?, 'servicedesk', ?, 'private.person@acme.example', 'thermometer')",
                    (t0 + i, "ann" if i % 2 == 0 else "bob", "INC-%d" % i))
    why = None
    if i == 9: why = "<script>alert('x')</script> slow"
    if i == 0: why = 'fast, "really" fast'
    db.insert("INSERT INTO ratings (survey_id, at, level, source, current, why) VALUES (?, ?, ?, ?, 1, ?)",
              (sid, t0 + 100 + i, lv, 1 if i == 3 else 0, why))
for i in range(3):
    sid = db.insert("INSERT INTO surveys (sent_at, status, team, agent, requester, scale) VALUES (?, 0, 'beta', 'cy', 'x@beta.example', 'thermometer')", (t0,))
    if i < 2:
        db.insert("INSERT INTO ratings (survey_id, at, level, source, current, better) VALUES (?, ?, 4, 0, 1, 'phone me at +31 6 1234')", (sid, t0 + 5))
db.commit()
PY

# 1-6 json
ctl report --format json >"$MM_TMP/r.json"
tap_ok $? "report --format json exits 0"
check_json() {
	python3 - "$MM_TMP/r.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
need = {"team", "agent", "period", "surveys", "responses", "response_rate", "counts", "temperature", "nps", "csat"}
assert isinstance(rows, list) and rows, rows
for r in rows:
    assert need <= set(r), set(r)
acme = [r for r in rows if r["team"] == "acme" and r["agent"] is None]
assert len(acme) == 1, acme
a = acme[0]
assert (a["surveys"], a["responses"]) == (10, 10), a
assert a["response_rate"] == 100.0 and a["temperature"] == 60.0, a
assert a["nps"] == -10.0 and a["csat"] == 60.0, a
assert a["counts"] == {"red": 2, "amber": 2, "green": 3, "gold": 3}, a["counts"]
assert a["mail"] == 1 and a["web"] == 9, a
PY
}
tap_ok "json: team total of acme has the hand-computed figures" check_json
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
b = [r for r in rows if r["team"] == "beta" and r["agent"] is None][0]
assert b["temperature"] is None and b["response_rate"] is None and b["small_n"] is True, b
assert b["counts"]["gold"] == 2 and b["responses"] == 2, b
' "$MM_TMP/r.json"
tap_ok $? "json: small n (2 responses) gives null shares and the counts"
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
o = [r for r in rows if r["group"] == "overall"]
assert len(o) == 1 and o[0]["team"] is None and o[0]["surveys"] == 13, o
ann = [r for r in rows if r["agent"] == "ann"][0]
assert ann["team"] == "acme" and ann["responses"] == 5 and ann["temperature"] == 60.0, ann
' "$MM_TMP/r.json"
tap_ok $? "json: overall row (team null) and per-agent rows"
ctl report --team acme --by month --format json >"$MM_TMP/m.json" &&
	python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert {r["period"] for r in rows} == {"2025-03"}, rows
assert all(r["team"] == "acme" for r in rows), rows
' "$MM_TMP/m.json"
tap_ok $? "json --team acme --by month: period 2025-03, only acme"
ctl report --since 2025-04-01 --format json | python3 -c 'import json,sys; assert json.load(sys.stdin) == []'
tap_ok $? "json --since after the data: an empty list"

# 7-9 csv and text
ctl report --format csv >"$MM_TMP/r.csv"
python3 - "$MM_TMP/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for col in ("group", "team", "agent", "period", "surveys", "responses", "response_rate", "temperature", "nps", "csat", "counts"):
    assert col in rows[0], col
a = [r for r in rows if r["group"] == "team" and r["team"] == "acme"][0]
assert (a["surveys"], a["temperature"], a["nps"], a["csat"]) == ("10", "60.0", "-10.0", "60.0"), a
assert a["counts"] == "red=2;amber=2;green=3;gold=3", a
b = [r for r in rows if r["group"] == "team" and r["team"] == "beta"][0]
assert b["temperature"] == "" and b["small_n"] == "1", b
PY
tap_ok $? "csv: columns, acme figures, empty share for small n"
ctl report >"$MM_TMP/r.txt"
grep -q 'TEMP' "$MM_TMP/r.txt" && grep -q '^acme ' "$MM_TMP/r.txt" && grep -q 'fewer than 5' "$MM_TMP/r.txt"
tap_ok $? "text: a table with a header and the small-n note"
ctl report --format csv --by year >/dev/null 2>&1
tap_is $? 64 "--by year is a usage error (64)"

# 10-12 html
ctl report --format html --output "$MM_TMP/r.html"
tap_ok $? "report --format html --output FILE"
grep -q '<svg' "$MM_TMP/r.html" && grep -q '<polyline\|<circle' "$MM_TMP/r.html" && grep -q '<rect' "$MM_TMP/r.html"
tap_ok $? "html: inline SVG trend and level bars"
grep -qF '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;' "$MM_TMP/r.html" &&
	! grep -qF "<script>alert" "$MM_TMP/r.html" && ! grep -qE '(src|href)="https?:' "$MM_TMP/r.html"
tap_ok $? "html: comments escaped, no external assets"

# 13-15 export
ctl export --format csv >"$MM_TMP/e.csv"
python3 - "$MM_TMP/e.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 12, len(rows)
assert {"rating_id", "survey_id", "at", "team", "agent", "level", "level_key", "source", "why", "better"} <= set(rows[0])
fast = [r for r in rows if r["why"].startswith("fast")]
assert fast[0]["why"] == 'fast, "really" fast' and fast[0]["level_key"] == "gold", fast
assert sum(r["better"] == "phone me at +31 6 1234" for r in rows) == 2
assert sum(r["source"] == "mail" for r in rows) == 1
PY
tap_ok $? "export csv: 12 ratings, quoting round-trips, level keys, sources"
ctl export --format json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 12
assert any(r["why"] == "<script>alert(\x27x\x27)</script> slow" for r in rows), rows
assert all(r["current"] is True for r in rows)
'
tap_ok $? "export json: 12 ratings, comments raw"
ctl export --format xml >/dev/null 2>&1
tap_is $? 64 "export --format xml is a usage error"

# 16-19 purge
mm_store_checkpoint
mm_store_raw | grep -qa 'private.person@acme.example'
tap_ok $? "before purge the address is in the store's data"
OUT=$(ctl purge --before 2025-04-01 --anonymize)
tap_is "$OUT" "anonymized 13 surveys sent before 2025-04-01" "purge --anonymize prints the count"
! mm_store_raw | grep -qa -e 'private.person@acme.example' -e 'really" fast' -e 'phone me'
tap_ok $? "no address or comment text left anywhere in the store's data"
tap_is "$(ctl report --team acme --format csv | sed -n 2p | cut -d, -f7-8)" "10,10" \
	"after anonymizing, the figures stay"
OUT=$(ctl purge --before 2025-03-10T00:00:01)
tap_is "$OUT" "deleted 4 surveys sent before 2025-03-10T00:00:01" "purge deletes older surveys (beta's 3 and acme's first)"

# 20-22 passwd
echo 'a long enough password' | ctl passwd ann --team acme >/dev/null
tap_is "$(mm_sql "SELECT substr(pwhash, 1, 3) || ' ' || teams || ' ' || is_admin FROM users WHERE name = 'ann'")" \
	'$y$ acme 0' "passwd stores a yescrypt hash and the team"
echo 'short' | ctl passwd bob --admin >/dev/null 2>&1
tap_is $? 65 "a password under 8 characters is refused (65)"
echo 'another long password' | ctl passwd root --admin 2>&1 | grep -q 'admin'
tap_ok $? "passwd --admin"
tap_done

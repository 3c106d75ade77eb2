#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The dashboard of mailmoodd and the html report in a real browser:
# headless Chromium (the system's /usr/bin/chromium, driven by
# playwright-core from tests/browser/, see dashboard.mjs) against a running
# mailmoodd on a seeded store:
#  - login through the form, a team user sees only their team, another
#    team's page by direct URL is refused (and its CSV), logout ends the
#    session; an admin sees every team;
#  - acknowledge an alert: a red rating POSTed to /r/TOKEN queues an alert
#    for the team user's team; the team page lists it as open, the signed
#    /a/TOKEN link (made by mm-mksurvey ack) is opened, the name filled in
#    and the form POSTed; afterwards the team page no longer lists it as
#    open and alert_acks holds the name;
#  - lockout: after DASHBOARD_MAX_FAILURES wrong passwords the right one
#    is refused (429);
#  - `mailmoodctl report --format html --output F` opened from a file: its
#    SVG charts render (non-empty bounding boxes, drawn marks).
# Screenshots go to tests/artifacts/dashboard/; MM_UPDATE_SCREENSHOTS=1
# also copies the report's to doc/screenshots/report.png.
# Needs chromium, node (>= 18) and npm; runs `npm ci` when
# tests/browser/node_modules is missing.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null ||
	! command -v npm >/dev/null; then
	echo "1..0 # SKIP needs $CHROMIUM, node and npm (contrib/install-deps.sh)"
	exit 0
fi

tap_plan 29
mm_tmpdir
_mm_port PORT
URL=http://127.0.0.1:$PORT
mm_store_setup

# playwright-core: in the source tree, or a copy in the build tree when the
# source is read-only (distcheck).
mm_browser_setup dashboard.mjs dashboard
mkdir -p "$ART" && rm -f "$ART"/*.png

head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
lmtp = none
http = 127.0.0.1:$PORT
http_timeout = 5s
http_threads = 2
pid_file = $MM_TMP/mailmoodd.pid
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
[team beta]
match = @beta.example
alert_to = team-beta@msp.example
CONF
mm_store_init "$MM_TMP/mm.conf"
ctl() { "$B/src/mailmoodctl" -c "$MM_TMP/mm.conf" "$@"; }
echo 'ann-password-1' | ctl passwd ann --team acme >/dev/null || tap_bail "passwd"
echo 'bob-password-1' | ctl passwd bob --team acme >/dev/null || tap_bail "passwd"
echo 'root-password-1' | ctl passwd root --admin >/dev/null || tap_bail "passwd"
# Four months of ratings for both teams (a trend to draw), a few comments
# and red alerts.
mm_py - "$MM_STORE_DSN" <<'PY' || tap_bail "seeding failed"
import mmdb, sys, time
db = mmdb.connect(sys.argv[1])
now = int(time.time()) - 3600
for i in range(160):
    team = ("acme", "beta")[i % 2]
    at = now - (i * 3 % 120) * 86400
    lv = (1, 2, 3, 3, 4, 4, 3, 4)[i % 8]
    why = "beta-secret-comment" if team == "beta" and i % 10 == 1 else \
        ("comment %d from %s" % (i, team) if i % 7 == 0 else None)
    sid = db.insert("INSERT INTO surveys (sent_at, status, team, agent, ticket, requester, scale) "
                    "VALUES (?, 0, ?, ?, ?, ?, 'thermometer')",
                    (at, team, "Agent %d" % (i % 3), "INC-%d" % (100 + i), "p%d@%s.example" % (i, team)))
    if i % 5 == 4:
        continue  # not every survey is answered
    rid = db.insert("INSERT INTO ratings (survey_id, at, level, source, current, why) VALUES (?, ?, ?, ?, 1, ?)",
                    (sid, at + 600, lv, int(i % 4 == 0), why))
    if lv == 1:
        db.insert("INSERT INTO outbox (kind, survey_id, rating_id, due, state, created_at) "
                  "VALUES ('alert', ?, ?, 0, 2, ?)", (sid, rid, at + 600))
db.commit()
PY

ctl report --by month --format html --output "$MM_TMP/report.html"
tap_ok $? "mailmoodctl report --format html --output FILE"

mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"

# A red rating of an acme survey, POSTed like a browser would (landing
# page, then the form with its csrf value): mailmoodd queues the alert.
get() { # URL-PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
ACK_TICKET=INC-ACK-1
ACK_NAME="Ann Acme"
read -r ASID ATOK < <("$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" -t acme -k "$ACK_TICKET" -a 600) ||
	tap_bail "mm-mksurvey mk failed"
get "/r/$ATOK/red" >/dev/null
RATED=$(get "/r/$ATOK" --data-raw "level=red&csrf=$(mm_csrf)&via=button")
AOID=$(mm_sql "SELECT id FROM outbox WHERE survey_id = $ASID AND kind = 'alert' AND state <> 4 ORDER BY id" | paste -sd, -)
tap_is "$RATED $(mm_sql "SELECT count(*) FROM outbox WHERE survey_id = $ASID AND kind = 'alert' AND state <> 4")" \
	"200 1" "red rating POSTed for $ACK_TICKET: one alert queued for acme"
ACK_TOKEN=$("$MK" ack "$MM_TMP/key" "${AOID:-0}") || tap_bail "mm-mksurvey ack failed"

cat >"$MM_TMP/browser-in.json" <<EOF
{"chromium": "$CHROMIUM", "profile": "$MM_TMP/chromium-profile",
 "artifacts": "$ART", "url": "$URL",
 "team": {"user": "ann", "password": "ann-password-1", "own": "acme", "other": "beta"},
 "ack": {"url": "$URL/a/$ACK_TOKEN", "ticket": "$ACK_TICKET", "name": "$ACK_NAME"},
 "admin": {"user": "root", "password": "root-password-1"},
 "locked": {"user": "bob", "password": "bob-password-1", "failures": 5},
 "report": "$MM_TMP/report.html"}
EOF
(cd "$NODE_DIR" && timeout 180 node dashboard.mjs "$MM_TMP/browser-in.json") \
	>"$MM_TMP/obs.json" 2>"$MM_TMP/node.log"
rc=$?
tap_is "$rc" 0 "dashboard.mjs drove Chromium to the end"
[ "$rc" -ne 0 ] && tap_diag <"$MM_TMP/node.log"
obs() {
	python3 - "$MM_TMP/obs.json" "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2], {"o": d})
except Exception as e:
    v = "error: %s" % e
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
PY
}

# team user
tap_is "$(obs 'o["team"]["anonymous"]')" "/admin/login" "no session: the browser lands on the login page"
tap_is "$(obs '[o["team"]["wrongStatus"], "wrong" in o["team"]["wrongText"].lower()]')" \
	'[401, true]' "wrong password: 401 with a message"
tap_is "$(obs '[o["team"]["loginStatus"], o["team"]["afterLogin"]]')" '[303, "/admin/"]' \
	"login through the form: 303 to the overview"
tap_is "$(obs 'o["team"]["teams"]')" '["acme"]' "team user: the overview links only their team"
tap_is "$(obs '[o["team"]["bodyHasOther"], o["team"]["svgs"] > 0]')" '[false, true]' \
	"team user: no trace of the other team; the trend chart is there"
tap_is "$(obs 'o["team"]["ownStatus"]')" 200 "own team page"
tap_is "$(obs 'o["team"]["otherStatus"]')" 404 "another team's page by direct URL: 404"
tap_is "$(obs '"beta-secret" in o["team"]["otherText"]')" false "... and nothing of it shown"
tap_is "$(obs 'o["team"]["otherCsvStatus"]')" 404 "another team's CSV by direct URL: 404"

# acknowledge an alert
tap_is "$(obs 'o["ack"]["openBefore"]')" true \
	"team page: $ACK_TICKET is listed under open red alerts"
tap_is "$(obs '[o["ack"]["formStatus"], o["ack"]["hasForm"], o["ack"]["postMethod"], o["ack"]["postStatus"], o["ack"]["path"]]')" \
	"[200, true, \"POST\", 200, \"/a/$ACK_TOKEN\"]" \
	"ack link: the form, filled in and POSTed, answers 200"
tap_is "$(obs '"Taken by " + o["ack"]["name"] in o["ack"]["ackedText"]')" true \
	"ack page: taken by the name filled in"
tap_is "$(obs '[o["ack"]["openAfter"], o["ack"]["teamStatusAfter"]]')" '[false, 200]' \
	"team page afterwards: $ACK_TICKET is no longer an open alert"
tap_is "$(mm_sql "SELECT acked_by, CASE WHEN acked_at > $(($(date +%s) - 300)) THEN 1 ELSE 0 END FROM alert_acks WHERE outbox_id = ${AOID:-0}")" \
	"$ACK_NAME|1" "store: alert_acks holds the name and a recent time"
tap_is "$(obs '[o["team"]["afterLogout"], o["team"]["afterLogoutOverview"]]')" \
	'["/admin/login", "/admin/login"]' "logout: back to login, the overview asks for it again"
tap_is "$(obs 'o["team"]["problems"]')" '[]' "no console errors or CSP violations"

# admin
tap_is "$(obs '[o["admin"]["loginStatus"], sorted(o["admin"]["teams"])]')" '[303, ["acme", "beta"]]' \
	"admin: sees every team"

# lockout
tap_is "$(obs 'o["lockout"]["failures"]')" '[401, 401, 401, 401, 401]' "five wrong passwords: 401 each"
tap_is "$(obs '[o["lockout"]["rightStatus"], o["lockout"]["path"]]')" '[429, "/admin/login"]' \
	"then the right password is refused (429), no session"
tap_is "$(mm_sql "SELECT count(*) FROM sessions s JOIN users u ON u.name = s.user_name WHERE u.name = 'bob'")" 0 \
	"store: no session for the locked user"

# html report
tap_is "$(obs '[o["report"]["title"] != "", o["report"]["external"]]')" '[true, 0]' \
	"html report: a title, no external assets"
tap_is "$(obs 'len(o["report"]["svgs"]) >= 2')" true "html report: at least two SVG charts"
tap_is "$(obs 'all(s["box"][0] > 0 and s["box"][1] > 0 for s in o["report"]["svgs"])')" true \
	"html report: every SVG chart has a non-empty bounding box"
tap_is "$(obs 'all(s["marks"] > 0 for s in o["report"]["svgs"])')" true \
	"html report: every chart draws marks with non-empty boxes"
tap_diag "report charts: $(obs 'o["report"]["svgs"]')"

# Screenshots
shots_ok=0
for s in dashboard-overview-team dashboard-team-page dashboard-ack \
	dashboard-overview-admin \
	dashboard-lockout report-html; do
	python3 - "$ART/$s.png" <<'PY' || shots_ok=1
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print(sys.argv[1].rsplit("/", 1)[1], *struct.unpack(">II", b[16:24]))
PY
done >"$MM_TMP/shots"
tap_ok $shots_ok "six PNG screenshots in $ART"
tap_diag <"$MM_TMP/shots"
if [ "${MM_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
	mkdir -p "$top_srcdir/doc/screenshots" &&
		cp "$ART/report-html.png" "$top_srcdir/doc/screenshots/report.png" &&
		tap_diag "copied to $top_srcdir/doc/screenshots/report.png"
fi

kill -TERM "$MMD_PID"
wait "$MMD_PID"
tap_is "$?" 0 "mailmoodd: SIGTERM after the browser session, exit 0"
tap_done

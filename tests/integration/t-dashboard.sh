#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The dashboard of mailmoodd with curl: login with a CSRF-bound
# form, cookie flags, wrong password and lockout, a team user sees only
# their team (also by direct URL and CSV), CSRF on POST, comment search
# escapes HTML, CSV download, stylesheet and CSP, logout.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl

tap_plan 26
mm_tmpdir
_mm_port PORT
mm_store_setup
URL=http://127.0.0.1:$PORT
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
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
echo 'ann-password-1' | ctl passwd ann --team acme >/dev/null || tap_bail "passwd"
echo 'bob-password-1' | ctl passwd bob --team acme >/dev/null || tap_bail "passwd"
echo 'root-password-1' | ctl passwd root --admin >/dev/null || tap_bail "passwd"
mm_py - "$MM_STORE_DSN" <<'PY' || tap_bail "seeding failed"
import mmdb, sys, time
db = mmdb.connect(sys.argv[1])
now = int(time.time()) - 86400
for team, lv, why in (("acme", 1, "<script>alert('x')</script> acme-comment"),
                      ("acme", 4, "great"), ("beta", 2, "beta-secret-comment")):
    sid = db.insert("INSERT INTO surveys (sent_at, status, team, agent, ticket, requester, scale) VALUES (?, 0, ?, 'ag', 'INC-7', 'p@x.example', 'thermometer')", (now, team))
    rid = db.insert("INSERT INTO ratings (survey_id, at, level, source, current, why) VALUES (?, ?, ?, 0, 1, ?)", (sid, now + 60, lv, why))
    if lv == 1:
        db.insert("INSERT INTO outbox (kind, survey_id, rating_id, due, state, created_at) VALUES ('alert', ?, ?, 0, 2, ?)", (sid, rid, now + 60))
db.commit()
PY

mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"

# req JAR METHOD PATH [curl args] -> code; body/headers in $MM_TMP
req() {
	local jar=$1 m=$2 p=$3
	shift 3
	curl -s -o "$MM_TMP/body" -D "$MM_TMP/hdr" -w '%{http_code}' \
		-b "$MM_TMP/$jar" -c "$MM_TMP/$jar" -X "$m" "$@" "$URL$p"
}
hdr() { grep -i "^$1:" "$MM_TMP/hdr" | cut -d' ' -f2- | tr -d '\r'; }
login() { # JAR USER PASSWORD -> code
	req "$1" GET /admin/login >/dev/null
	local c
	c=$(mm_csrf)
	req "$1" POST /admin/login --data-urlencode "csrf=$c" \
		--data-urlencode "user=$2" --data-urlencode "password=$3"
}

# 1-4 anonymous
tap_is "$(req a GET /admin/)" 303 "no session: /admin/ redirects"
tap_is "$(hdr Location)" "/admin/login" "... to the login page"
tap_is "$(req a GET /admin/login)" 200 "login page"
PRE=$(hdr Set-Cookie)
[[ $PRE == mm_pre=*HttpOnly*SameSite=Strict* ]]
tap_ok $? "pre-session cookie is HttpOnly, SameSite=Strict"

# 5-10 login
tap_is "$(req a POST /admin/login --data 'user=ann&password=ann-password-1')" 403 \
	"login POST without csrf: 403"
tap_is "$(login a ann wrong-password)" 401 "wrong password: 401"
tap_is "$(login a ann ann-password-1)" 303 "right password: 303"
SC=$(grep -i '^Set-Cookie: mm_session=' "$MM_TMP/hdr" | tr -d '\r')
[[ $SC == *HttpOnly* && $SC == *SameSite=Strict* && $SC == *"Path=/admin/"* && $SC != *Secure* ]]
tap_ok $? "session cookie: HttpOnly, SameSite=Strict, Path=/admin/, not Secure on http"
tap_is "$(hdr Location)" "/admin/" "login redirects to the overview"
tap_is "$(mm_sql "SELECT length(id) FROM sessions")" 64 \
	"the store keeps a hash of the session, not the cookie"

# 11-13 overview, team isolation
tap_is "$(req a GET /admin/)" 200 "overview with a session"
grep -q '/admin/team/acme' "$MM_TMP/body" && ! grep -q 'beta' "$MM_TMP/body"
tap_ok $? "team user sees acme, not beta"
tap_is "$(req a GET /admin/team/beta)" 404 "another team's page by direct URL: 404"

# 14-16 team page, escaping, CSP
tap_is "$(req a GET /admin/team/acme)" 200 "own team page"
grep -qF '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;' "$MM_TMP/body" &&
	! grep -qF '<script>' "$MM_TMP/body" && grep -q '<svg' "$MM_TMP/body" &&
	grep -q 'INC-7' "$MM_TMP/body"
tap_ok $? "team page: comment escaped, SVG chart, open red alert listed"
CSP=$(hdr Content-Security-Policy)
[[ $CSP == *"style-src 'self'"* && $CSP != *unsafe-inline* ]] && ! grep -q 'style=' "$MM_TMP/body"
tap_ok $? "CSP without unsafe-inline, and no inline style"

# 17-18 search
tap_is "$(req a GET '/admin/search?q=SCRIPT')" 200 "comment search"
grep -qF '&lt;script&gt;alert' "$MM_TMP/body" && ! grep -q 'beta-secret' "$MM_TMP/body" &&
	req a GET '/admin/search?q=beta-secret' >/dev/null && ! grep -q 'beta-secret-comment</' "$MM_TMP/body"
tap_ok $? "search escapes HTML and never shows another team's comments"

# 19-21 CSV
tap_is "$(req a GET /admin/export.csv)" 200 "CSV download"
[[ $(hdr Content-Type) == text/csv* && $(hdr Content-Disposition) == attachment* ]] &&
	python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows and {r["team"] for r in rows} == {"acme"}, rows
' "$MM_TMP/body"
tap_ok $? "CSV: text/csv attachment, only the user's team"
tap_is "$(req a GET '/admin/export.csv?team=beta')" 404 "CSV of another team: 404"

# 22 stylesheet
tap_is "$(req a GET /static/dashboard.css)$(hdr Content-Type)" "200text/css; charset=utf-8" \
	"stylesheet served from /static/"

# 23-24 CSRF on logout, logout
tap_is "$(req a POST /admin/logout --data 'x=1')" 403 "logout POST without csrf: 403"
req a GET /admin/ >/dev/null
C=$(mm_csrf)
req a POST /admin/logout --data-urlencode "csrf=$C" >/dev/null
tap_is "$(req a GET /admin/)" 303 "after logout the session is gone"

# 25 admin sees all
login r root root-password-1 >/dev/null
req r GET /admin/ >/dev/null
grep -q '/admin/team/acme' "$MM_TMP/body" && grep -q '/admin/team/beta' "$MM_TMP/body"
tap_ok $? "an admin sees every team"

# 26 lockout: five wrong passwords, then even the right one is refused
for i in 1 2 3 4 5; do login b bob wrong >/dev/null; done
tap_is "$(login b bob bob-password-1)" 429 "after 5 failures the user is locked (429)"
tap_done

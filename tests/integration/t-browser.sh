#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The rating page in a real browser: closure mails go through a
# private Postfix with mailmood-milter; the links come out of smtp-sink;
# headless Chromium (the system's /usr/bin/chromium, driven by
# playwright-core from tests/browser/) opens them against a running
# mailmoodd:
#  - with JavaScript: the page confirms by itself, a comment is typed and
#    sent, the store holds rating and comment (mailmoodctl show --json);
#  - without JavaScript: the mail's HTML part is rendered, its link
#    clicked, the button confirms;
#  - Chromium's own headless user agent counts as a scanner: no rating.
# Screenshots (phone 390x844, desktop 1280x800, the rendered closure mail)
# go to tests/artifacts/browser/; MM_UPDATE_SCREENSHOTS=1 also copies the
# ones the README shows to doc/screenshots/.
# Needs chromium, node (>= 18) and npm; runs `npm ci` when
# tests/browser/node_modules is missing.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null ||
	! command -v npm >/dev/null; then
	echo "1..0 # SKIP needs $CHROMIUM, node and npm (contrib/install-deps.sh)"
	exit 0
fi

tap_plan 32
mm_tmpdir
_mm_port MM_HTTP_PORT
URL=http://127.0.0.1:$MM_HTTP_PORT

# playwright-core: in the source tree, or a copy in the build tree when the
# source is read-only (distcheck).
mm_browser_setup rate.mjs browser
mkdir -p "$ART" && rm -f "$ART"/*.png

mm_config
sed -i "/^\[listener\]/a pid_file = $MM_DIR/mailmoodd.pid\nhttp_threads = 2" "$MM_CONF"
mm_milter_start || tap_bail "milter did not start"
sink_start || tap_bail "sink did not start"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" ||
	tap_bail "postfix did not start"
mm_mailmoodd "$MM_CONF" "$MM_HTTP_PORT" "$MM_DIR/mailmoodd.log"

# Three closure mails: the plain-text one of the milter tests (JavaScript
# path), an HTML one (no-JavaScript path, and the mail screenshot), and one
# more plain-text one for the scanner check.
data=$top_srcdir/tests/data/mail
sed 's/inc1001@/scan1001@/; s/INC-1001/INC-1003/g' "$data/closure-text.eml" >"$MM_TMP/scan.eml"
pf_send servicedesk@example.com j.doe@acme.example "$data/closure-text.eml" &&
	pf_send servicedesk@example.com j.doe@acme.example "$top_srcdir/tests/browser/closure-html.eml" &&
	pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/scan.eml"
tap_ok $? "three closure mails accepted by Postfix with the milter"
sink_wait_count 3 30
tap_is "$(sink_count)" 3 "three mails delivered to the sink"

# The links, as a mail client sees them: python3's email package decodes
# the delivered mails (QP, base64, charsets). Writes the HTML part of the
# HTML mail as a page, prints "KEY URL" lines.
mkdir -p "$MM_TMP/mails"
for f in $(sink_messages); do sink_body "$f" >"$MM_TMP/mails/${f##*/}.eml"; done
python3 - "$MM_TMP" "$URL" "$MM_TMP/mails" >"$MM_TMP/links" <<'PY'
import email, email.policy, glob, re, sys
tmp, url, sink = sys.argv[1:4]
link = re.compile(re.escape(url) + r"/r/[A-Za-z0-9_-]{39}/[a-z0-9]+")
for path in sorted(glob.glob(sink + "/*.eml")):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    mid = m["Message-ID"]
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",))
    if "inc1001@" in mid:
        print("js", [u for u in link.findall(text) if u.endswith("/3")][0])  # green
        print("js_links", len(link.findall(text)))
    elif "scan1001@" in mid:
        print("scan", [u for u in link.findall(text) if u.endswith("/4")][0])  # gold
    elif "inc2002@" in mid:
        open(tmp + "/mail.html", "w", encoding="utf-8").write(html.get_content())
        print("html_links", len(link.findall(html.get_content())))
PY
link() { sed -n "s/^$1 //p" "$MM_TMP/links"; }
JS_LINK=$(link js)
SCAN_LINK=$(link scan)
tap_is "$(link js_links) $(link html_links)" "4 4" \
	"each mail carries four rating links (text part and HTML part)"
[[ $JS_LINK == "$URL/r/"*/3 && $SCAN_LINK == "$URL/r/"*/4 && -s $MM_TMP/mail.html ]]
tap_ok $? "links taken from the delivered mails"
JS_TOK=${JS_LINK#"$URL/r/"}
JS_TOK=${JS_TOK%/*}
SCAN_TOK=${SCAN_LINK#"$URL/r/"}
SCAN_TOK=${SCAN_TOK%/*}

# The browser part: observations as JSON, checked below.
WHY='Fixed within the hour — thanks! <b>"quick"</b>'
BETTER="Tell me before you take the laptop away & back"
cat >"$MM_TMP/browser-in.json" <<EOF
{"chromium": "$CHROMIUM", "profile": "$MM_TMP/chromium-profile",
 "artifacts": "$ART", "jsLink": "$JS_LINK", "scanLink": "$SCAN_LINK",
 "mailHtml": "$MM_TMP/mail.html", "mailLevel": "2",
 "why": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$WHY"),
 "better": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$BETTER"),
 "nojsWhy": "Printer works again"}
EOF
(cd "$NODE_DIR" && timeout 180 node rate.mjs "$MM_TMP/browser-in.json") \
	>"$MM_TMP/obs.json" 2>"$MM_TMP/node.log"
rc=$?
tap_is "$rc" 0 "rate.mjs drove Chromium to the end"
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
show_json() { "$B/src/mailmoodctl" -c "$MM_CONF" show --json "$1" >"$MM_TMP/show-$1.json"; }
js() { # TOKEN EXPR
	python3 - "$MM_TMP/show-$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
PY
}

# With JavaScript (phone): page shown, script confirms, comment sent.
tap_is "$(obs 'o["js"]["title"]')" "How did we do? INC-1001 [INC-1001] Printer on fire: resolved" "JS: landing page title, with the closure mail's subject"
tap_is "$(obs 'o["js"]["context"]')" "Team Acme · ticket INC-1001 [INC-1001] Printer on fire: resolved" "JS: shows the team's name, the ticket and its subject"
tap_is "$(obs '[o["js"]["chosen"], o["js"]["checked"]]')" '["Good", "green"]' \
	"JS: the clicked level (green) is shown big and preselected"
tap_is "$(obs 'o["js"]["statusClass"]')" "status status-recorded" \
	"JS: the page confirmed the rating by itself"
tap_is "$(obs 'o["js"]["bodyRecorded"]')" true "JS: page switched to its recorded state"
tap_is "$(obs 'o["js"]["confirmPosts"]')" '[{"via": "js", "level": "green", "status": 200}]' \
	"JS: exactly one automatic POST, answered 200"
show_json "$JS_TOK"
tap_is "$(js "$JS_TOK" '[(r["level"], r["source"], r["current"]) for r in d["ratings"]]')" \
	'[[3, "web", true]]' "store: script confirmation recorded green (3) before any comment"
tap_is "$(obs '[o["js"]["thanksTitle"], o["js"]["thanksWhy"]]')" \
	"$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:], ensure_ascii=False))' "Thank you! INC-1001 [INC-1001] Printer on fire: resolved" "$WHY")" \
	"JS: submit shows the thanks page with the comment"
show_json "$JS_TOK"
tap_is "$(js "$JS_TOK" '[len(d["ratings"]), d["ratings"][0]["why"], d["ratings"][0]["better"]]')" \
	"$(python3 -c 'import json,sys; print(json.dumps([1] + sys.argv[1:], ensure_ascii=False))' "$WHY" "$BETTER")" \
	"store: comments on the same rating (no second rating), stored as typed"
tap_is "$(js "$JS_TOK" 'd["ratings"][0]["comment"]')" "$WHY

$BETTER" "show --json: comment holds both fields"
tap_is "$(obs 'o["js"]["problems"]')" '[]' \
	"JS: no console errors, page errors or CSP violations"
tap_is "$(obs 'o["desktop"]["statusClass"]')" "status status-recorded" \
	"desktop visit: the same level again confirms"
show_json "$JS_TOK"
tap_is "$(js "$JS_TOK" '[len(d["ratings"]), d["ratings"][0]["why"] is not None, len(d["hits"])]')" \
	'[1, true, 2]' "store: a second visit keeps the rating and its comments, adds a hit"

# Without JavaScript (desktop): the mail's HTML part, a click, the button.
tap_is "$(obs 'o["mail"]["links"]')" 4 "rendered mail: four rating links"
tap_is "$(obs 'o["mail"]["clicked"]')" "2" "rendered mail: the amber (2) link clicked"
tap_is "$(obs '[o["nojs"]["title"], o["nojs"]["checked"], o["nojs"]["statusText"]]')" \
	'["How did we do? INC-2002 [INC-2002] Docking station not detecting monitors: resolved", "amber", ""]' \
	"no JS: landing page with amber preselected, nothing confirmed by script"
NOJS_TOK=$(obs 'o["nojs"]["url"].split("/")[-2]')
show_json "$NOJS_TOK"
tap_is "$(js "$NOJS_TOK" '[len(d["hits"]), d["ticket"], d["agent"]]')|$(obs 'o["nojs"]["postsBefore"]')" \
	'[1, "INC-2002", "Alice"]|[]' "no JS: the visit is one hit; nothing posted before the click"
tap_is "$(obs '[o["nojs"]["thanksTitle"], o["nojs"]["thanksWhy"]]')" \
	'["Thank you! INC-2002 [INC-2002] Docking station not detecting monitors: resolved", "Printer works again"]' "no JS: the button records, thanks page"
show_json "$NOJS_TOK"
tap_is "$(js "$NOJS_TOK" '[(r["level"], r["level_key"], r["source"], r["current"], r["comment"]) for r in d["ratings"]]')" \
	'[[2, "amber", "web", true, "Printer works again"]]' "store: amber (2) with the comment"
tap_is "$(obs 'o["nojs"]["scripts"]')" 0 "no JS: no script ran a request"

# Chromium's headless user agent is a scanner's: page yes, rating no.
tap_is "$(obs 'o["scanner"]["statusClass"]')" "status status-confirm" \
	"HeadlessChrome: the page asks for a click instead"
show_json "$SCAN_TOK"
tap_is "$(js "$SCAN_TOK" '[[h["machine"] for h in d["hits"]], len(d["ratings"])]')" \
	'[[true], 0]' "store: HeadlessChrome's hit is a machine hit, no rating"

# Screenshots
shots_ok=0
for s in mail-desktop mail-phone landing-js-phone thanks-js-phone landing-js-desktop \
	landing-nojs-desktop thanks-nojs-desktop landing-scanner-desktop; do
	python3 - "$ART/$s.png" <<'PY' || shots_ok=1
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print(sys.argv[1].rsplit("/", 1)[1], *struct.unpack(">II", b[16:24]))
PY
done >"$MM_TMP/shots"
tap_ok $shots_ok "eight PNG screenshots in $ART"
tap_diag <"$MM_TMP/shots"
tap_is "$(awk '$1 == "landing-js-phone.png" { print $2 }' "$MM_TMP/shots")" 390 \
	"phone screenshot is 390 px wide"
tap_is "$(awk '$1 == "landing-js-desktop.png" { print $2 "x" $3 }' "$MM_TMP/shots")" 1280x800 \
	"desktop screenshot is 1280x800"
tap_is "$(obs '[o["js"]["overflowX"], o["desktop"]["overflowX"]]')" '[false, false]' \
	"no horizontal scrolling at phone or desktop width"

if [ "${MM_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
	cp "$ART/landing-js-phone.png" "$top_srcdir/doc/screenshots/rating-phone.png" &&
		cp "$ART/landing-js-desktop.png" "$top_srcdir/doc/screenshots/rating-desktop.png" &&
		cp "$ART/mail-desktop.png" "$top_srcdir/doc/screenshots/closure-mail.png" &&
		tap_diag "copied to $top_srcdir/doc/screenshots/"
fi

# mailmoodd stops cleanly after the browser's keep-alive connections
kill -TERM "$MMD_PID"
wait "$MMD_PID"
tap_is "$?" 0 "mailmoodd: SIGTERM after the browser session, exit 0"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The campaign 0-10 page in a real browser: two rounds of a campaign go out
# through mailmoodd's outbox to smtp-sink, people answer with curl, and
# headless Chromium (tests/browser/campaign.mjs) opens a link from a mail
# at phone widths 320 and 390: the eleven choices fit without scrolling
# sideways, a tap on 9 with a comment is recorded. The report's HTML is
# rendered too; MM_UPDATE_SCREENSHOTS=1 copies it to
# doc/screenshots/campaign-report.png (the README shows it).
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
DAY=86400

if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null ||
	! command -v npm >/dev/null; then
	echo "1..0 # SKIP needs $CHROMIUM, node and npm (contrib/install-deps.sh)"
	exit 0
fi
tap_plan 13
mm_tmpdir
_mm_port PORT
_mm_port SINK_PORT
mm_store_setup
URL=http://127.0.0.1:$PORT

mm_browser_setup campaign.mjs browser
mkdir -p "$ART" && rm -f "$ART"/campaign-*.png

head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$PORT
lmtp = none
http_threads = 2
smtp_url = smtp://127.0.0.1:$SINK_PORT
smtp_tls = none
alert_from = mailmood@msp.example
outbox_interval = 1s
[team acme]
name = Team Acme
match = @acme.example
[team oranje]
name = Team Oranje
match = @oranje.example
language = nl
[campaign rnps]
CONF
mm_store_init "$MM_TMP/mm.conf"
ctl() { "$B/src/mailmoodctl" -c "$MM_TMP/mm.conf" "$@"; }
for i in 1 2 3 4 5 6 7 8; do
	"$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" -r "p$i@acme.example" -t acme -a $((20 * DAY)) >/dev/null
done
for i in 1 2 3 4 5 6; do
	"$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" -r "p$i@oranje.example" -t oranje -a $((20 * DAY)) >/dev/null
done
sink_start || tap_bail "no smtp-sink"
mm_mailmoodd "$MM_TMP/mm.conf" "$PORT"

token_of() { # ADDRESS ROUND-NTH -> the token of that mail
	sink_grep "^To: <$1>" | sed -n "${2}p" | xargs -r grep -ho '/c/[A-Za-z0-9_-]\{39\}/0' |
		head -n 1 | cut -d/ -f3
}
# a person's browser: curl's own user agent is a scanner's (burst.c)
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
answer() { # TOKEN LEVEL -> HTTP code
	curl -s -o "$MM_TMP/body" -A "$UA" "$URL/c/$1/$2"
	local c
	c=$(mm_csrf)
	curl -s -o /dev/null -w '%{http_code}' -A "$UA" --data-raw "level=$2&csrf=$c" "$URL/c/$1"
}
round() { # NTH "acme levels" "oranje levels" (- for no answer)
	local nth=$1 i=1 l ok=0
	for l in $2; do
		[ "$l" = - ] || [ "$(answer "$(token_of "p$i@acme.example" "$nth")" "$l")" = 200 ] || ok=1
		i=$((i + 1))
	done
	i=1
	for l in $3; do
		[ "$l" = - ] || [ "$(answer "$(token_of "p$i@oranje.example" "$nth")" "$l")" = 200 ] || ok=1
		i=$((i + 1))
	done
	return $ok
}
ctl campaign rnps --send >/dev/null
sink_wait_count 14 30
tap_is "$(sink_count)" 14 "round 1: fourteen mails"
tap_ok "round 1 answered" round 1 "10 9 9 8 7 6 3 -" "9 8 8 6 - -"
mm_sql_rw "UPDATE campaign_rounds SET started_at = started_at - 100 * 86400"
mm_sql_rw "DELETE FROM campaign_contacts"
ctl campaign rnps --send >/dev/null
sink_wait_count 28 30
tap_is "$(sink_count)" 28 "round 2: fourteen more"
tap_ok "round 2 answered" round 2 "10 10 9 9 8 7 5 -" "10 9 8 7 6 -"
ctl report --campaign rnps --format html --output "$MM_TMP/report.html"
LINK="$URL/c/$(token_of p6@oranje.example 2)/8"

cat >"$MM_TMP/input.json" <<JSON
{"chromium": "$CHROMIUM", "profile": "$MM_TMP/profile", "artifacts": "$ART",
 "link": "$LINK", "report": "$MM_TMP/report.html", "better": "Sneller terugbellen"}
JSON
(cd "$NODE_DIR" && timeout 120 node campaign.mjs "$MM_TMP/input.json") >"$MM_TMP/seen.json" 2>"$MM_TMP/node.log" ||
	{ tap_diag <"$MM_TMP/node.log"; tap_bail "the browser script failed"; }
seen() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$MM_TMP/seen.json" "$1"; }
for w in 320 390; do
	tap_is "$(seen "d['phones']['$w']['n'], d['phones']['$w']['labels'], d['phones']['$w']['pressed']")" \
		"(11, '0,1,2,3,4,5,6,7,8,9,10', '8')" "phone $w px: eleven choices, 8 chosen from the link"
	tap_is "$(seen "d['phones']['$w']['overflowX'], d['phones']['$w']['allVisible']")" "(False, True)" \
		"phone $w px: all on screen, no sideways scroll"
	tap_is "$(seen "d['phones']['$w']['styled']")" True "phone $w px: the page's stylesheet applies"
done
tap_is "$(seen "d['answer']['status'], d['answer']['pressed']")" "(200, '9')" "a tap on 9 posts the answer"
tap_is "$(mm_sql "SELECT a.level || '|' || a.better FROM campaign_answers a JOIN campaign_recipients r ON r.id = a.recipient_id WHERE a.current = 1 AND r.address = 'p6@oranje.example'")" \
	"9|Sneller terugbellen" "the store holds the answer and the comment"
tap_ok "the report screenshot was taken" test -s "$ART/campaign-report.png"
if [ "${MM_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
	cp "$ART/campaign-report.png" "$top_srcdir/doc/screenshots/campaign-report.png" &&
		cp "$ART/campaign-phone-390.png" "$top_srcdir/doc/screenshots/campaign-phone.png" &&
		tap_diag "copied to $top_srcdir/doc/screenshots/"
fi
tap_done

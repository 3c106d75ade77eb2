#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# One config snapshot per load in mailmoodd (doc/ARCHITECTURE.md "One
# config snapshot"): a SIGHUP with a changed file reaches HTTP, LMTP and
# the outbox worker together, and a broken file on SIGHUP keeps the
# running snapshot for all three, with its FILE:LINE and key logged once.
# What each part uses and the test watches:
#   HTTP    metrics_allow (/metrics 200 or 404) and the team's alert_at
#           (an amber click queues an alert or not)
#   LMTP    the team's alert_at (an amber reply queues an alert or not)
#   outbox  the team's alert_to (the To: of the alert at smtp-sink)
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
MK=$B/tests/integration/mm-mksurvey
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

tap_plan 17
mm_tmpdir
_mm_port PORT
_mm_port LMTP_PORT
mm_store_setup
sink_start || tap_bail "no smtp-sink"
URL=http://127.0.0.1:$PORT
CONF=$MM_TMP/mm.conf
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
write_conf() { # ALERT_AT ALERT_TO [LISTENER_LINE...]
	local at=$1 to=$2 l
	shift 2
	{
		cat <<CONF
[general]
base_url = $URL
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[listener]
http = 127.0.0.1:$PORT
lmtp = 127.0.0.1:$LMTP_PORT
http_threads = 2
reply_address = feedback@fb.example
smtp_url = smtp://127.0.0.1:$SINK_PORT
smtp_tls = none
smtp_timeout = 3s
alert_from = mailmood@msp.example
outbox_backoff = 1s
outbox_interval = 1s
CONF
		for l in "$@"; do printf '%s\n' "$l"; done
		cat <<CONF
[team acme]
match = @acme.example
alert_to = $to
alert_at = $at
CONF
	} >"$CONF.new"
	mv "$CONF.new" "$CONF"
}
write_conf red team-old@msp.example
mm_store_init "$CONF"
mm_mailmoodd "$CONF" "$PORT"
mm_wait_listen "$LMTP_PORT" 10 || tap_bail "mailmoodd did not listen on LMTP"

mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@"; }
get() { # URL-PATH [curl args] -> code; body in $MM_TMP/body
	local p=$1
	shift
	curl -s -o "$MM_TMP/body" -w '%{http_code}' -A "$UA" "$@" "$URL$p"
}
click() { # TOKEN LEVEL: the landing page, then the POST a browser sends
	get "/r/$1/$2" >/dev/null
	get "/r/$1" --data-raw "level=$2&csrf=$(mm_csrf)&via=button" >/dev/null
}
reply() { # TOKEN TEXT: a reply mail over LMTP to feedback+TOKEN@
	python3 - "$LMTP_PORT" "$1" "$2" <<'PY'
import smtplib, sys
rcpt = "feedback+%s@fb.example" % sys.argv[2]
msg = ("From: j.doe@acme.example\nTo: %s\nSubject: Re: closed\n"
       "Message-ID: <%s@acme.example>\n\n%s\n" % (rcpt, sys.argv[2], sys.argv[3]))
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("j.doe@acme.example", [rcpt], msg)
s.quit()
PY
}
rated() { # SURVEY_ID -> its current level
	mm_sql "SELECT level FROM ratings WHERE survey_id = $1 AND current = 1"
}
alerts() { # SURVEY_ID -> how many alert rows it has
	mm_sql "SELECT count(*) FROM outbox WHERE survey_id = $1 AND kind = 'alert'"
}
sent_to() { # TICKET -> the To: of the alert mail about it, once sent
	local f
	f=$(sink_grep "INC-$1" | head -n 1)
	[ -n "$f" ] && sed -n 's/^To: *//p' "$f" | head -n 1
}
wait_sent() { mm_wait_for 20 test -n "$(sent_to "$1")"; }
metrics() { get /metrics; }
code_is() { [ "$(metrics)" = "$1" ]; }

# Before: alert_at = red, alert_to = team-old, /metrics for loopback.
read -r S1 T1 < <(mk -k INC-1)
read -r S2 T2 < <(mk -k INC-2)
read -r S3 T3 < <(mk -k INC-3)
click "$T1" amber
reply "$T2" "amber, thanks" || tap_bail "LMTP send failed"
click "$T3" red
tap_is "$(rated "$S1"):$(alerts "$S1"):$(rated "$S2"):$(alerts "$S2")" "2:0:2:0" \
	"before: amber by HTTP and by LMTP is recorded, no alert (alert_at = red)"
wait_sent 3
tap_is "$(sent_to 3)" "team-old@msp.example" "before: the red alert goes to the first alert_to"
tap_is "$(metrics)" 200 "before: /metrics answers loopback"

# SIGHUP with alert_at = amber, alert_to = team-new, metrics_allow elsewhere.
write_conf amber team-new@msp.example "metrics_allow = 192.0.2.1/32"
kill -HUP "$MMD_PID"
mm_wait_for 10 code_is 404
tap_is "$(metrics)" 404 "after SIGHUP: HTTP has the new metrics_allow"
read -r S4 T4 < <(mk -k INC-4)
read -r S5 T5 < <(mk -k INC-5)
click "$T4" amber
reply "$T5" "amber, thanks" || tap_bail "LMTP send failed"
tap_is "$(rated "$S4"):$(alerts "$S4")" "2:1" "after SIGHUP: an amber click queues an alert (HTTP has alert_at = amber)"
tap_is "$(rated "$S5"):$(alerts "$S5")" "2:1" "after SIGHUP: an amber reply queues an alert (LMTP has alert_at = amber)"
wait_sent 4
tap_is "$(sent_to 4)" "team-new@msp.example" "after SIGHUP: the outbox sends to the new alert_to"
wait_sent 5
tap_is "$(sent_to 5)" "team-new@msp.example" "... the LMTP reply's alert too"
tap_is "$(grep -c 'keeping the running configuration' "$MM_TMP/mailmoodd.log")" 0 \
	"the good reload logged no error"

# SIGHUP with a broken file whose good lines would change everything back:
# nothing of it may reach any part.
write_conf red team-broken@msp.example "http_timeout = soon"
BAD_LINE=$(grep -n '^http_timeout = soon' "$CONF" | cut -d: -f1)
kill -HUP "$MMD_PID"
mm_wait_for 10 grep -q 'keeping the running configuration' "$MM_TMP/mailmoodd.log"
tap_ok $? "broken file: 'keeping the running configuration' logged"
tap_is "$(grep -c "$CONF:$BAD_LINE: \[listener\] http_timeout" "$MM_TMP/mailmoodd.log")" 1 \
	"... with FILE:LINE and the key, once"
tap_is "$(metrics)" 404 "broken file: HTTP keeps metrics_allow"
read -r S6 T6 < <(mk -k INC-6)
read -r S7 T7 < <(mk -k INC-7)
click "$T6" amber
reply "$T7" "amber, thanks" || tap_bail "LMTP send failed"
tap_is "$(alerts "$S6"):$(alerts "$S7")" "1:1" \
	"broken file: HTTP and LMTP keep alert_at = amber"
wait_sent 6
tap_is "$(sent_to 6)" "team-new@msp.example" "broken file: the outbox keeps alert_to"
wait_sent 7
tap_is "$(sent_to 7)" "team-new@msp.example" "... for the LMTP reply's alert too"

kill -TERM "$MMD_PID"
wait "$MMD_PID"
tap_is "$?" 0 "SIGTERM after the reloads: exit 0"
tap_ok "the log has no sanitizer or memory report" \
	bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' '$MM_TMP/mailmoodd.log'"
tap_done

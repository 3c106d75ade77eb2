#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hardening across processes: both daemons started as root with
# `user = postfix`, as an install outside systemd runs them.
# - the milter creates the store as its run user: a closure mail gets its
#   links, and (SQLite) the database, WAL and SHM are postfix's, mode 0640,
#   under umask 022; mailmoodctl makes a store 0640 even under umask 000
# - pid files: a symlink planted in the pid directory is replaced, never
#   followed (the file it pointed to stays as it was)
# - a reply with the closure mail's Message-ID from someone who is not the
#   requester is kept unmatched and rates nothing; the requester's rates
# - with smtp_user and smtp_tls = auto, a relay that offers no STARTTLS
#   never sees AUTH or the password (a Python SMTP server records every
#   line); check-config warns about smtp_tls = none with smtp_user
# - the alert's Message-ID does not carry the acknowledge token, and the
#   acknowledge link works
# - the LMTP unix socket gets lmtp_socket_mode (0660) and
#   lmtp_socket_owner; 130 idle connections do not lock deliveries out
# - a dashboard login name with a newline and ESC is escaped in the log
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
data=$top_srcdir/tests/data/mail

if [ "$MM_STORE" = sqlite ]; then tap_plan 29; else tap_plan 25; fi
mm_tmpdir
umask 022
_mm_port MM_HTTP_PORT
_mm_port CAP_PORT
MM_DIR=$MM_TMP/mm
RUN=$MM_TMP/run
mkdir -p "$MM_DIR/db" "$RUN"
chown postfix: "$MM_DIR" "$MM_DIR/db" "$RUN"
chmod 755 "$MM_DIR" "$RUN"
chmod 750 "$MM_DIR/db"
# a fresh path: nothing has created the SQLite file yet
mm_store_setup "$MM_DIR/db/mailmood.db"
MM_SOCK=$MM_DIR/milter.sock
LMTP_SOCK=$MM_DIR/lmtp.sock
URL=http://127.0.0.1:$MM_HTTP_PORT
"$CTL" keygen "$MM_DIR/secret.key" >/dev/null || tap_bail "keygen"
printf 'S3cret-relay-pw\n' >"$MM_DIR/relay.pw"
chmod 600 "$MM_DIR/relay.pw"
chown postfix "$MM_DIR/relay.pw" # read by the outbox, after the drop

write_conf() { # FILE [listener lines...]
	local f=$1 l
	shift
	cat >"$f" <<CONF
[general]
base_url    = $URL
secret_file = $MM_DIR/secret.key
store       = $MM_STORE_DSN
templates   = $top_srcdir/conf/templates
user        = postfix

[milter]
socket      = unix:$MM_SOCK
socket_mode = 0666
cooldown    = 0
pid_file    = $RUN/milter.pid

[listener]
http              = 127.0.0.1:$MM_HTTP_PORT
http_threads      = 2
lmtp              = unix:$LMTP_SOCK
lmtp_socket_owner = postfix
reply_address     = feedback@fb.example
pid_file          = $RUN/mailmoodd.pid
alert_from        = mailmood@msp.example
smtp_timeout      = 5s
outbox_backoff    = 1s
outbox_interval   = 1s
CONF
	for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
	cat >>"$f" <<CONF

[rule servicedesk]
from    = servicedesk@example.com
subject = /\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved)\b/i

[team acme]
match    = @acme.example
alert_to = team-acme@msp.example
alert_at = red
CONF
}
# The capturing relay is started before its port goes into the config:
# a port another test took between mm_free_port and the bind would leave
# the outbox talking to a stranger, so a relay that cannot bind gets
# another port.
start_relay() {
	local try
	for try in 1 2 3 4 5; do
		python3 - "$CAP_PORT" "$MM_TMP/relay.log" >"$MM_TMP/relay.out" 2>&1 <<'PY' &
# An SMTP relay that offers AUTH but no STARTTLS; every line it gets is
# written to the log as received.
import socketserver, sys
log = open(sys.argv[2], "ab", buffering=0)
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w, data = self.wfile.write, False
        w(b"220 relay.example ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            log.write(line)
            if data:
                if line.rstrip(b"\r\n") == b".":
                    data = False
                    w(b"250 2.0.0 queued\r\n")
                continue
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                w(b"250-relay.example\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == b"AUTH":
                if len(line.split()) < 3:
                    w(b"334 \r\n")
                    log.write(self.rfile.readline())
                w(b"235 2.7.0 accepted\r\n")
            elif verb == b"DATA":
                data = True
                w(b"354 go on\r\n")
            elif verb == b"QUIT":
                w(b"221 bye\r\n")
                return
            else:
                w(b"250 ok\r\n")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
srv = S(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
PY
		mm_track_pid $!
		relay_up() { grep -q '^ready' "$MM_TMP/relay.out" || ! kill -0 $! 2>/dev/null; }
		mm_wait_for 10 relay_up
		grep -q '^ready' "$MM_TMP/relay.out" && return 0
		tap_diag <"$MM_TMP/relay.out"
		_mm_port CAP_PORT
	done
	return 1
}
start_relay || tap_bail "no capturing relay"
MM_CONF=$MM_DIR/relay.conf
write_conf "$MM_CONF" "smtp_url = smtp://127.0.0.1:$CAP_PORT" \
	"smtp_user = mm-relay" "smtp_password_file = $MM_DIR/relay.pw"
# PostgreSQL: the daemons refuse a schema that is not there
[ "$MM_STORE" = pg ] && mm_store_init "$MM_CONF"

# planted links: where a pid file goes, pointing at a file root owns
printf 'precious\n' >"$MM_TMP/victim"
ln -s "$MM_TMP/victim" "$RUN/milter.pid"
ln -s "$MM_TMP/victim" "$RUN/mailmoodd.pid"

# ---- 1-4 (+3 on SQLite): the milter, root with user = postfix
mm_milter_start || tap_bail "milter did not start"
sink_start || tap_bail "no smtp-sink"
pf_start "smtpd_milters = { unix:$MM_SOCK, default_action=accept }" \
	"recipient_delimiter = +" \
	"transport_maps = inline:{ feedback@fb.example=lmtp:unix:$LMTP_SOCK }" ||
	tap_bail "no Postfix"
pf_send servicedesk@example.com j.doe@acme.example "$data/closure-text.eml"
sink_wait_count 1 30
CLOSURE=$(sink_grep '^Message-ID: <inc1001@desk.example.com>' | head -n 1)
grep -q '^Ref: [A-Za-z0-9_-]\{39\}$' "$CLOSURE" 2>/dev/null
tap_ok $? "the closure mail got its rating block (the store took the survey)"
tap_is "$(mm_sql "select count(*) from surveys where message_id = '<inc1001@desk.example.com>' and status = 0")" 1 \
	"the survey is in the store"
tap_is "$(cat "$MM_TMP/victim")" precious "milter pid file: the planted symlink was not followed"
[ ! -L "$RUN/milter.pid" ] && [ "$(cat "$RUN/milter.pid")" = "$MM_MILTER_PID" ]
tap_ok $? "milter pid file: a new regular file with the milter's pid"
if [ "$MM_STORE" = sqlite ]; then
	for f in "" -wal -shm; do
		tap_is "$(stat -c '%U %a' "$MM_STORE_DSN$f" 2>&1)" "postfix 640" \
			"store file mailmood.db$f: postfix's, mode 0640 (umask 022)"
	done
	sed "s|^store .*|store = $MM_TMP/ctl.db|" "$MM_CONF" >"$MM_TMP/ctl.conf"
	(umask 000 && "$CTL" -c "$MM_TMP/ctl.conf" migrate >/dev/null)
	tap_is "$(stat -c '%a' "$MM_TMP/ctl.db" 2>&1)" 640 \
		"mailmoodctl migrate under umask 000 creates the store 0640"
fi

# ---- 5-7: mailmoodd, root with user = postfix; LMTP on a unix socket
MMD_LOG=$MM_TMP/mailmoodd.log
start_mmd() { # CONF
	mm_mailmoodd "$1" "$MM_HTTP_PORT" "$MMD_LOG"
	# the log line comes after bind, chmod, chown and listen: the socket
	# file alone exists from bind on, still root's for a moment
	mm_wait_for 10 grep -q "listening on lmtp" "$MMD_LOG" ||
		tap_bail "no LMTP socket"
}
start_mmd "$MM_CONF"
tap_is "$(stat -c '%U %a' "$LMTP_SOCK")" "postfix 660" \
	"LMTP socket: lmtp_socket_owner, lmtp_socket_mode 0660 by default"
tap_is "$(cat "$MM_TMP/victim")" precious "mailmoodd pid file: the planted symlink was not followed"
[ ! -L "$RUN/mailmoodd.pid" ] && [ "$(cat "$RUN/mailmoodd.pid")" = "$MMD_PID" ]
tap_ok $? "mailmoodd pid file: a new regular file with its pid"

# ---- 8-12: replies by In-Reply-To, over LMTP from Postfix (as postfix,
# through the 0660 socket)
SID=$(mm_sql "select id from surveys where message_id = '<inc1001@desk.example.com>'")
reply() { # FROM MSGID BODY -> a reply to the closure mail, quoting it
	printf 'From: %s\nTo: feedback@fb.example\nSubject: Re: [INC-1001] Printer on fire: resolved\n' "$1"
	printf 'Message-ID: <%s@client.example>\nIn-Reply-To: <inc1001@desk.example.com>\n' "$2"
	printf 'References: <inc1001@desk.example.com>\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n\n> Your ticket INC-1001 has been resolved.\n' "$3"
}
reply "Mallory <mallory@evil.example>" mallory "red" >"$MM_TMP/mallory.eml"
pf_send mallory@evil.example feedback@fb.example "$MM_TMP/mallory.eml"
mm_wait_for 20 grep -q 'not the requester' "$MMD_LOG"
tap_ok $? "mailmoodd logs the stranger's reply: not the requester"
tap_is "$(mm_sql "select status, case when survey_id is null then 1 else 0 end from replies where message_id = '<mallory@client.example>'")" \
	"unmatched|1" "the stranger's reply is kept as unmatched"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $SID")" 0 \
	"... and rated nothing"
reply '"Doe, John" <J.Doe@Acme.Example>' john "Red. Nobody called back." >"$MM_TMP/john.eml"
pf_send j.doe@acme.example feedback@fb.example "$MM_TMP/john.eml"
mm_wait_for 20 sh -c "grep -q 'survey $SID ticket=INC-1001 rated red (mail) by in-reply-to' '$MM_TMP/mailmoodd.log'"
tap_ok $? "the requester's reply by In-Reply-To rates (red)"
tap_is "$(mm_sql "select kind from outbox where survey_id = $SID")" alert \
	"... and queues the red alert"

# ---- 13-16: smtp_user with smtp_tls = auto against a relay without
# STARTTLS: tried, refused by us before AUTH
tried() { [ "$(mm_sql "select case when attempts >= 1 and last_error is not null then 1 else 0 end from outbox where survey_id = $SID")" = 1 ]; }
mm_wait_for 30 tried
tap_ok "the outbox talked to the relay" grep -qi '^EHLO' "$MM_TMP/relay.log"
tap_is "$(mm_sql "select state, case when last_error is null then 0 else 1 end from outbox where survey_id = $SID")" \
	"0|1" "the alert stays pending with an error (no TLS, no AUTH)"
grep -ai '^AUTH' "$MM_TMP/relay.log" | tap_diag
! grep -aqi '^AUTH' "$MM_TMP/relay.log"
tap_ok $? "no AUTH command went to a relay without STARTTLS"
PLAIN=$(printf '\0mm-relay\0S3cret-relay-pw' | base64 -w0)
PW64=$(printf 'S3cret-relay-pw' | base64 -w0)
! grep -aqF -e 'S3cret-relay-pw' -e "$PLAIN" -e "$PW64" "$MM_TMP/relay.log"
tap_ok $? "the relay password was never sent, in clear or base64"
write_conf "$MM_DIR/none.conf" "smtp_url = smtp://127.0.0.1:$CAP_PORT" \
	"smtp_tls = none" "smtp_user = mm-relay" "smtp_password_file = $MM_DIR/relay.pw"
"$CTL" -c "$MM_DIR/none.conf" check-config >/dev/null 2>"$MM_TMP/check.err"
grep -q 'smtp_tls = none with smtp_user' "$MM_TMP/check.err"
tap_ok $? "check-config warns about smtp_tls = none with smtp_user"

# ---- 17-19: the alert, once a relay takes it: its Message-ID does not
# carry the acknowledge token, and the acknowledge link works
mm_stop_pid "$MMD_PID"
tap_diag <"$MMD_LOG"
MMD_LOG=$MM_TMP/mailmoodd-2.log
write_conf "$MM_DIR/sink.conf" "smtp_url = smtp://127.0.0.1:$SINK_PORT" "smtp_tls = none"
start_mmd "$MM_DIR/sink.conf"
mm_wait_for 30 sh -c "grep -lq '^To: team-acme@msp.example' '$SINK_DIR'/* 2>/dev/null"
ALERT=$(grep -l '^To: team-acme@msp.example' "$SINK_DIR"/* | head -n 1)
ACK=$(grep -ao "$URL/a/[A-Za-z0-9_-]\{39\}" "$ALERT" | head -n 1)
ACKTOK=${ACK##*/}
MSGID=$(grep -m1 -i '^Message-ID:' "$ALERT")
tap_diag "alert $MSGID, acknowledge link $ACK"
[ ${#ACKTOK} = 39 ]
tap_ok $? "the red alert arrived with an acknowledge link"
case $MSGID in *"$ACKTOK"*) false ;; *) true ;; esac
tap_ok $? "the alert's Message-ID does not carry the acknowledge token"
code=$(curl -s -o "$MM_TMP/ack.html" -w '%{http_code}' "$ACK")
[ "$code" = 200 ] && grep -q 'name="csrf"' "$MM_TMP/ack.html"
tap_ok $? "the acknowledge link answers with its form ($code)"

# ---- 20-21: 130 idle LMTP connections: the idle limit shrinks near the
# connection limit, so a delivery gets through within seconds
python3 - "$LMTP_SOCK" 130 >"$MM_TMP/idle.out" 2>&1 <<'PY'
import smtplib, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
conns, greeted = [], 0
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(5)
    try:
        greeted += s.recv(512).startswith(b"220")
    except OSError:
        pass
    conns.append(s)
t0, took = time.time(), None
while time.time() - t0 < 40:
    try:
        l = smtplib.LMTP(path, timeout=5)
        l.sendmail("someone@else.example", ["feedback@fb.example"],
                   b"From: someone@else.example\r\nSubject: hello\r\n"
                   b"Message-ID: <idle-test@else.example>\r\n\r\nhello\r\n")
        l.quit()
        took = time.time() - t0
        break
    except (smtplib.SMTPException, OSError):
        time.sleep(0.25)
print(greeted, "%.1f" % took if took is not None else "never")
PY
read -r GREETED TOOK <"$MM_TMP/idle.out"
tap_diag "idle connections greeted: $GREETED; delivery after ${TOOK}s"
[ "${GREETED:-0}" -ge 120 ]
tap_ok $? "120+ idle connections open at once ($GREETED)"
[ "$TOOK" != never ] && awk -v t="$TOOK" 'BEGIN { exit !(t < 15) }'
tap_ok $? "a delivery still got through within 15 s (${TOOK}s)"

# ---- 22-24: a login name with a newline and ESC reaches the log escaped
J=$MM_TMP/jar
curl -s -o "$MM_TMP/login.html" -b "$J" -c "$J" "$URL/admin/login"
CSRF=$(mm_csrf "$MM_TMP/login.html")
EVIL=$(printf 'eve\nmailmoodd: dashboard: root logged in\033[2J')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J" -c "$J" "$URL/admin/login" \
	--data-urlencode "csrf=$CSRF" --data-urlencode "user=$EVIL" \
	--data-urlencode "password=wrong")
mm_wait_for 10 grep -q 'eve' "$MMD_LOG"
tap_is "$code" 401 "the login with that name is refused"
! grep -aq $'\033' "$MMD_LOG"
tap_ok $? "no raw ESC in the log"
grep -aF 'eve\x0amailmoodd: dashboard: root logged in\x1b[2J' "$MMD_LOG" | tap_diag
grep -aqF 'eve\x0amailmoodd: dashboard: root logged in\x1b[2J' "$MMD_LOG" &&
	! grep -aq '^mailmoodd: dashboard: root logged in' "$MMD_LOG"
tap_ok $? "the name is logged escaped, on its own line"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The IMAP poller against a real Dovecot on loopback: imaps with
# a self-signed certificate trusted through [imap] ca_file (and refused
# without it), IDLE, replies taken through ingest and moved to
# mailmood-processed; a reply that cannot be stored (SQLite read-only,
# PostgreSQL stopped) stays in INBOX and is taken once the store is back.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
sql_is() { [ "$(mm_sql "$1")" = "$2" ]; } # QUERY WANT (for mm_wait_for)
MK=${top_builddir:?}/tests/integration/mm-mksurvey

tap_plan 13
mm_tmpdir
_mm_port MM_HTTP_PORT
_mm_port IMAP_PORT
D=$MM_TMP/dovecot
mkdir -p "$D/run" "$D/state" "$D/mail/mm/new" "$D/mail/mm/cur" "$D/mail/mm/tmp"
chown -R nobody:nogroup "$D/mail"
chmod 755 "$D"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost" -keyout "$D/key.pem" \
	-out "$D/cert.pem" >/dev/null 2>&1 || tap_bail "openssl failed"
echo 'mm:{PLAIN}s3cret::::::' >"$D/passwd"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = dovenull
default_internal_user = dovecot
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAP_PORT
    ssl = yes
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$D/home/%u
}
mail_location = maildir:$D/mail/%u
# IDLE notices new mail through inotify; where that is not available the
# fallback check runs every second here instead of every 30
mailbox_idle_check_interval = 1 secs
EOF
dovecot -F -c "$D/dovecot.conf" >>"$D/dovecot.out" 2>&1 &
DOVECOT_PID=$!
mm_track_pid "$DOVECOT_PID"
mm_wait_listen "$IMAP_PORT" 10
tap_ok $? "Dovecot listens on 127.0.0.1:$IMAP_PORT (imaps)" ||
	{ tap_diag <"$D/dovecot.out"; tap_diag <"$D/dovecot.log"; tap_bail "no Dovecot"; }

mm_config "[team ten]" "match = @ten.example" "alert_to = t@x" \
	"scale = grade10" "alert_at = 5"
printf 's3cret\n' >"$MM_DIR/imap.pw"
chmod 600 "$MM_DIR/imap.pw"
imap_conf() { # CONF [extra [imap] lines]
	local f=$1
	shift
	cp "$MM_CONF" "$f"
	sed -i -e "/^\[general\]/a user = nobody" "$f"
	{
		echo "[imap]"
		echo "url = imaps://localhost:$IMAP_PORT/"
		echo "user = mm"
		echo "password_file = $MM_DIR/imap.pw"
		echo "poll = 60s"
		echo "timeout = 10s"
		printf '%s\n' "$@"
	} >>"$f"
}
imap_conf "$MM_DIR/imap.conf" "ca_file = $D/cert.pem"
read -r S1 T1 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t ten -s grade10) &&
	read -r S2 T2 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t acme) &&
	read -r S3 T3 < <("$MK" mk "$MM_STORE_DSN" "$MM_DIR/secret.key" -t acme) ||
	tap_bail "mm-mksurvey failed"
chown -R nobody "$MM_DIR"

n=0
drop() { # TO BODY [HEADER] -> a new mail in INBOX (maildir new/)
	n=$((n + 1))
	local f="$D/mail/mm/tmp/$n.$$.mm-it"
	{
		printf 'Return-Path: <j.doe@acme.example>\n'
		printf 'From: j.doe@acme.example\nTo: %s\n' "$1"
		printf 'Subject: Re: [INC-1] closed\nMessage-ID: <imap%s.%s@client>\n' "$n" "$$"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf '\n%s\n\n> How did we do?\n' "$2"
	} >"$f"
	chown nobody:nogroup "$f"
	mv "$f" "$D/mail/mm/new/"
}
inbox_count() { find "$D/mail/mm/new" "$D/mail/mm/cur" -type f | wc -l; }
processed_count() {
	find "$D/mail/mm/.mailmood-processed/new" \
		"$D/mail/mm/.mailmood-processed/cur" -type f 2>/dev/null | wc -l
}

# 2: without ca_file the self-signed certificate is refused
imap_conf "$MM_DIR/noca.conf"
_mm_port P2
sed -i "s/^http *= .*/http = 127.0.0.1:$P2/" "$MM_DIR/noca.conf"
"$MM_BIN/mailmoodd" -f -c "$MM_DIR/noca.conf" >"$MM_DIR/noca.log" 2>&1 &
NOCA=$!
mm_track_pid "$NOCA"
mm_wait_for 15 grep -q "certificate of localhost not trusted" "$MM_DIR/noca.log"
tap_ok $? "tls_verify: a self-signed certificate without ca_file is refused"
mm_stop_pid "$NOCA"

# 3-6: a reply and an auto-reply waiting in INBOX
drop "Service Desk <feedback+$T1@fb.example>" "8, but it took three days"
drop "feedback+$T2@fb.example" "I am away until the 10th." "Auto-Submitted: auto-replied"
"$MM_BIN/mailmoodd" -f -c "$MM_DIR/imap.conf" >"$MM_DIR/mailmoodd.log" 2>&1 &
MMD_PID=$!
mm_track_pid "$MMD_PID"
mm_wait_for 15 grep -q "imap: logged in to imaps://localhost:$IMAP_PORT/ as mm, watching INBOX (IDLE)" "$MM_DIR/mailmoodd.log"
tap_ok $? "logged in over imaps with ca_file, using IDLE" ||
	tap_diag <"$MM_DIR/mailmoodd.log"
mm_wait_for 15 eval '[ "$(processed_count)" -ge 2 ]'
tap_is "$(processed_count):$(inbox_count)" "2:0" "both mails moved to mailmood-processed"
tap_is "$(mm_sql "select level, source, why from ratings where survey_id = $S1")" \
	"8|1|but it took three days" "reply from IMAP stored as a mail rating"
tap_is "$(mm_sql "select status from replies where survey_id = $S2"):$(mm_sql "select count(*) from ratings where survey_id = $S2")" \
	"auto:0" "auto-reply from IMAP kept, no rating"

# 7: IDLE: a new mail is taken at once, not after poll = 60s
drop "feedback+$T2@fb.example" "rood"
mm_wait_for 10 sql_is "select count(*) from ratings where survey_id = $S2" 1
tap_ok $? "IDLE: a new mail is taken within seconds"

# 8-11: store out of reach -> the mail stays in INBOX, nothing recorded
mm_store_break || tap_bail "the store is still within reach"
drop "feedback+$T3@fb.example" "groen"
mm_wait_for 10 grep -q "imap NOQUEUE: reply not stored, to be retried" "$MM_DIR/mailmoodd.log"
tap_ok $? "store out of reach: logged as to be retried"
tap_is "$(inbox_count)" 1 "the mail stays in INBOX"
mm_store_mend || tap_bail "the store did not come back"
tap_is "$(mm_sql "select count(*) from ratings where survey_id = $S3")" 0 \
	"nothing recorded"
# the next round (woken by another mail) takes it
drop "feedback@fb.example" "unrelated question"
mm_wait_for 15 eval '[ "$(inbox_count)" = 0 ]'
tap_is "$(inbox_count):$(mm_sql "select level from ratings where survey_id = $S3")" \
	"0:3" "store back: taken on the next round, rated green"

# 12-13: stored once; an unmatched mail is kept
tap_is "$(mm_sql "select count(*) from replies where survey_id = $S3")" 1 \
	"one reply row"
tap_is "$(mm_sql "select count(*) from replies where status = 'unmatched'")" 1 \
	"unmatched mail from IMAP kept"
tap_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mailmood quickstart: installs the Debian packages, builds mailmood, and
# runs the whole system on loopback under $MAILMOOD_DEMO (default
# /tmp/mailmood-demo): a sandboxed Postfix (its own config, queue and log;
# the system's Postfix is never touched) with mailmood-milter, mailmoodd,
# and smtp-sink standing in for the outside world. Then it sends a closure
# mail and an ordinary mail through it and shows what arrived.
#   contrib/quickstart.sh         set up and run (again: restarts it)
#   contrib/quickstart.sh stop    stop everything the demo started
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
demo=${MAILMOOD_DEMO:-/tmp/mailmood-demo}
HTTP_PORT=${MAILMOOD_HTTP_PORT:-8080}
LMTP_PORT=${MAILMOOD_LMTP_PORT:-8024}
SMTP_PORT=${MAILMOOD_SMTP_PORT:-2525}
SINK_PORT=${MAILMOOD_SINK_PORT:-2526}

die() { echo "quickstart: $*" >&2; exit 1; }

if [ "${1:-}" = stop ]; then
	[ -x "$demo/stop.sh" ] && "$demo/stop.sh"
	echo "mailmood demo stopped"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts a sandboxed Postfix)"
# A second run replaces the first.
[ -x "$demo/stop.sh" ] && "$demo/stop.sh" >/dev/null 2>&1

echo "== installing packages (Debian 12)"
contrib/install-deps.sh || die "apt-get failed"
echo "== building mailmood"
{ [ -f configure ] || autoreconf -fi; } >/dev/null 2>&1 || die "autoreconf failed"
build=${MAILMOOD_BUILD:-$top/build-demo}
mkdir -p "$build"
# configure again when the demo moved: the prefix is built into the programs
(cd "$build" && { [ "$(cat .prefix 2>/dev/null)" = "$demo/install" ] ||
	{ "$top/configure" -q --prefix="$demo/install" && echo "$demo/install" >.prefix; }; } &&
	make -s -j2 >/dev/null && make -s install >/dev/null) || die "build failed (see $build/)"
bin=$demo/install/bin
sbin=$demo/install/sbin

mkdir -p "$demo"
chmod 755 "$demo"
[ -f "$demo/secret.key" ] || "$bin/mailmoodctl" keygen "$demo/secret.key" >/dev/null
cat >"$demo/mailmood.conf" <<CONF
# The demo's config: everything on loopback. See mailmood.conf(5).
[general]
base_url    = http://127.0.0.1:$HTTP_PORT
secret_file = $demo/secret.key
store       = $demo/mailmood.db
templates   = $demo/install/share/mailmood/templates

[milter]
socket      = unix:$demo/milter.sock
socket_mode = 0666
# the demo sends the same requester twice; a real setup keeps 7d
cooldown    = 0

[listener]
http          = 127.0.0.1:$HTTP_PORT
lmtp          = 127.0.0.1:$LMTP_PORT
reply_address = feedback@demo.example
smtp_url      = smtp://127.0.0.1:$SMTP_PORT
alert_from    = mailmood@demo.example

# A TOPdesk/ServiceNow/Jira-style closure subject: "[INC-1234] ... resolved"
[rule servicedesk]
from    = servicedesk@example.com
subject = /^\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved|gesloten|opgelost)\b/i
agent   = header:X-Ticket-Agent

[team acme]
name     = Team Acme
match    = @acme.example
alert_to = team-acme@demo.example
CONF
"$bin/mailmoodctl" -c "$demo/mailmood.conf" check-config || die "config check failed"

# The harness of the test suite runs the sandboxed Postfix; no cleanup trap
# here, the demo keeps running until stop.sh.
. "$top/tests/integration/lib.sh"
MM_TMP=$demo
_MM_TMP_OWNER=$BASHPID
export SINK_PORT PF_PORT=$SMTP_PORT PF_NAME=mailmood-demo

# Written first, so that even a run that fails half-way can be stopped.
cat >"$demo/stop.sh" <<STOP
#!/bin/sh
# Stops what contrib/quickstart.sh started.
postfix -c "$demo/postfix/etc" stop >/dev/null 2>&1
pids=
for p in mailmoodd milter sink; do
	[ -f "$demo/\$p.pid" ] && pids="\$pids \$(cat "$demo/\$p.pid")"
	rm -f "$demo/\$p.pid"
done
[ -n "\$pids" ] && kill \$pids 2>/dev/null
# wait (10 s at most) until they are gone, then insist
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	alive=
	for pid in \$pids; do
		state=\$(ps -o stat= -p "\$pid" 2>/dev/null)
		case "\$state" in ""|Z*) ;; *) alive=1 ;; esac
	done
	[ -z "\$alive" ] && exit 0
	sleep 0.5
done
kill -9 \$pids 2>/dev/null
exit 0
STOP
chmod +x "$demo/stop.sh"
rm -rf "$demo/sink" "$demo/postfix" "$demo/milter.sock"
mkdir -p "$demo/sink"
chown postfix "$demo/sink"
smtp-sink -u postfix -4 -d "$demo/sink/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 64 \
	>"$demo/sink.log" 2>&1 &
SINK_PID=$! SINK_DIR=$demo/sink
echo $SINK_PID >"$demo/sink.pid"
"$sbin/mailmood-milter" -f -c "$demo/mailmood.conf" >"$demo/milter.log" 2>&1 &
echo $! >"$demo/milter.pid"
"$sbin/mailmoodd" -f -c "$demo/mailmood.conf" >"$demo/mailmoodd.log" 2>&1 &
echo $! >"$demo/mailmoodd.pid"
mm_wait_for 10 test -S "$demo/milter.sock" || die "mailmood-milter did not start: $(cat "$demo/milter.log")"
mm_wait_listen "$HTTP_PORT" 10 && kill -0 "$(cat "$demo/mailmoodd.pid")" 2>/dev/null ||
	die "mailmoodd did not start: $(cat "$demo/mailmoodd.log")"
mm_wait_listen "$LMTP_PORT" 10 || die "mailmoodd's LMTP did not start: $(cat "$demo/mailmoodd.log")"
mm_wait_listen "$SINK_PORT" 10 || die "smtp-sink did not start"
pf_start "smtpd_milters = { unix:$demo/milter.sock, default_action=accept }" \
	"non_smtpd_milters = { unix:$demo/milter.sock, default_action=accept }" \
	"recipient_delimiter = +" \
	"transport_maps = inline:{feedback@demo.example=lmtp:[127.0.0.1]:$LMTP_PORT}" \
	|| die "Postfix did not start (see $demo/postfix/)"


echo "== sending a closure mail and an ordinary mail through Postfix"
pf_send servicedesk@example.com j.doe@acme.example "$top/tests/data/mail/closure-text.eml" >/dev/null ||
	die "Postfix refused the closure mail"
pf_send someone@example.com j.doe@acme.example "$top/tests/data/mail/plain-other.eml" >/dev/null ||
	die "Postfix refused the other mail"
pf_wait_drain 30 >/dev/null || die "mail stuck in the queue: postqueue -c $PF_CONF -p"
sink_wait_count 2 30 >/dev/null || die "mail did not reach the sink"
closure=$(grep -l '^Message-ID: <inc1001@' "$demo"/sink/* | head -n 1)
other=$(grep -l '^Message-ID: <other1003@' "$demo"/sink/* | head -n 1)

echo
echo "The closure mail as delivered: $closure"
echo "Its text part (decoded), with the rating links:"
echo "----------------------------------------------------------------------"
python3 - "$closure" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print(m.get_body(preferencelist=("plain",)).get_content().rstrip())
PY
echo "----------------------------------------------------------------------"
echo "The ordinary mail passed unchanged: $other"
grep -h "survey" "$demo/milter.log" | tail -n 1 | sed 's/^/milter log: /'
link=$(python3 - "$closure" <<'PY'
import email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
t = m.get_body(preferencelist=("plain",)).get_content()
print(re.findall(r"http://\S+/r/\S+/4", t)[0])
PY
)
token=$(echo "$link" | sed 's|.*/r/\([^/]*\)/.*|\1|')
cat <<EOF

Open a rating link (the page records nothing until you confirm):
  $link
Rate by reply instead (through the sandboxed Postfix to mailmoodd's LMTP):
  swaks --server 127.0.0.1:$SMTP_PORT --from j.doe@acme.example \\
    --to feedback+$token@demo.example --body "Green, but it took three days"
Look at the survey:   sqlite3 $demo/mailmood.db 'select * from surveys'
Logs:                 $demo/milter.log  $demo/mailmoodd.log  $demo/postfix/maillog
Stop everything:      contrib/quickstart.sh stop
EOF

#!/bin/bash
# mailmood quickstart: builds mailmood, and sets up a demo under
# $MAILMOOD_DEMO (default /tmp/mailmood-demo) on loopback only. It never
# touches the system's Postfix configuration. Run it again at any time.
#   contrib/quickstart.sh         set up and run the demo
#   contrib/quickstart.sh stop    stop everything the demo started
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
demo=${MAILMOOD_DEMO:-/tmp/mailmood-demo}

if [ "${1:-}" = stop ]; then
	[ -x "$demo/stop.sh" ] && "$demo/stop.sh"
	echo "mailmood demo stopped"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	contrib/install-deps.sh
fi
echo "== building mailmood"
[ -f configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q --prefix="$demo/install"; } && make -s -j2 >/dev/null && make -s install >/dev/null)

mkdir -p "$demo"
bin=$demo/install/bin
[ -f "$demo/secret.key" ] || "$bin/mailmoodctl" keygen "$demo/secret.key" >/dev/null
cat >"$demo/mailmood.conf" <<CONF
[general]
base_url    = http://127.0.0.1:8080
secret_file = $demo/secret.key
store       = $demo/mailmood.db

[milter]
socket      = unix:$demo/milter.sock

[listener]
http          = 127.0.0.1:8080
reply_address = feedback@demo.example

[rule servicedesk]
from    = servicedesk@demo.example
subject = /\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved|gesloten|opgelost)\b/i

[team demo]
name     = Demo team
match    = @customer.example
alert_to = team-demo@demo.example
CONF
printf '#!/bin/sh\n' >"$demo/stop.sh"
chmod +x "$demo/stop.sh"

echo "== config check"
"$bin/mailmoodctl" -c "$demo/mailmood.conf" check-config
echo "== a signed rating link for survey 1"
"$bin/mailmoodctl" -c "$demo/mailmood.conf" link 1
echo
echo "The milter and the listener are not built yet: this demo shows the"
echo "config check and signed links only. Stop: contrib/quickstart.sh stop"

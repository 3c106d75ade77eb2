#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages, end to end: dpkg-buildpackage -b from a copy of the
# tree, lintian with no error or warning, apt-get install of the three .debs
# on this machine, the installed example refused by check-config until
# base_url is set, both daemons started as the units start them (the unit
# files' ExecStartPre and ExecStart, as User=mailmood with UMask=0007, in
# the RuntimeDirectory and StateDirectory they name; no systemd needed), a
# closure mail through a private Postfix that reaches the packaged milter
# with the two lines the package documents, its links answered by the
# packaged mailmoodd, then remove (data kept) and purge (nothing left).
# Needs root and a Debian 12 with contrib/install-deps.sh's packages; it
# installs and purges mailmood-common, mailmood-milter and mailmoodd, so
# it refuses to run where they are installed already.
# Run: bash tests/package/t-deb.sh (TAP; MM_KEEP=1 keeps its directory).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/lib.sh"

pkgs=(mailmood-common mailmood-milter mailmoodd)
apt_opts=(-y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive
tap_plan 29
mm_tmpdir
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$' &&
		tap_bail "$p is installed here already (dpkg -l $p): this test would purge it"
done
getent passwd mailmood >/dev/null && tap_bail "a mailmood user exists already"
[ -e /etc/mailmood ] && tap_bail "/etc/mailmood exists already"
[ -e /var/lib/mailmood ] && tap_bail "/var/lib/mailmood exists already"
# Whatever happens, the packages do not outlive the test.
mm_at_exit "apt-get purge ${apt_opts[*]} ${pkgs[*]} >/dev/null 2>&1; rm -rf /run/mailmood"

# ------------------------------------------------------------ build, lint
t0=$(date +%s)
src=$MM_TMP/src/mailmood
mkdir -p "$src"
tar -C "$top_srcdir" -c --exclude-vcs --exclude='./build*' --exclude=./debian/build \
	--exclude=node_modules --exclude=autom4te.cache . | tar -C "$src" -x
# with the package's own test run (debian/rules: the cmocka unit tests)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$MM_TMP/build.log" 2>&1
rc=$?
tap_ok $rc "dpkg-buildpackage -us -uc -b"
[ $rc -eq 0 ] || { tail -n 40 "$MM_TMP/build.log" | tap_diag; tap_bail "no packages"; }
t1=$(date +%s)
debs=()
for p in "${pkgs[@]}"; do debs+=("$MM_TMP/src/${p}_"*.deb); done
lintian --fail-on error,warning "$MM_TMP"/src/mailmood_*.changes >"$MM_TMP/lintian.log" 2>&1
rc=$?
out=$(grep -v '^running with root privileges' "$MM_TMP/lintian.log")
tap_ok "lintian: no errors, no warnings" test "$rc" -eq 0 -a -z "$out"
[ -n "$out" ] && tap_diag "$out"
t2=$(date +%s)

# ------------------------------------------------------------ install
apt-get install "${apt_opts[@]}" "${debs[@]}" >"$MM_TMP/install.log" 2>&1
rc=$?
tap_ok $rc "apt-get install ./mailmood-common_*.deb ./mailmood-milter_*.deb ./mailmoodd_*.deb"
[ $rc -eq 0 ] || { tail -n 30 "$MM_TMP/install.log" | tap_diag; tap_bail "not installed"; }
files=$(dpkg -L "${pkgs[@]}" | sort -u)

uid=$(id -u mailmood 2>/dev/null)
tap_ok "system user and group mailmood" \
	test -n "$uid" -a "${uid:-1000}" -lt 1000 -a "$(id -gn mailmood)" = mailmood
tap_ok "postfix is in the mailmood group" grep -qw mailmood <<<"$(id -nG postfix)"
tap_is "$(stat -c '%U:%G %a' /var/lib/mailmood)" "mailmood:mailmood 750" "/var/lib/mailmood"
tap_is "$(stat -c '%U %a %s' /etc/mailmood/secret.key)" "mailmood 600 32" \
	"the secret key, made by mailmoodctl keygen"
tap_ok "both units installed and enabled" \
	test -L /etc/systemd/system/multi-user.target.wants/mailmood-milter.service \
	-a -L /etc/systemd/system/multi-user.target.wants/mailmoodd.service
tap_ok "the unit files are contrib/systemd's" \
	cmp /lib/systemd/system/mailmood-milter.service "$top_srcdir/contrib/systemd/mailmood-milter.service"

# ------------------------------------------------------------ config
unit() { # UNIT KEY -> the value of KEY= in the installed unit
	sed -n "s/^$2=//p" "/lib/systemd/system/$1.service"
}
as_unit() { # UNIT COMMAND... -> exec COMMAND as the unit runs it (call it
	# in a subshell: $(...) or (...) &, so $! is the daemon's pid)
	exec setpriv --reuid="$(unit "$1" User)" --regid="$(unit "$1" Group)" --init-groups \
		-- sh -c "umask $(unit "$1" UMask); exec \"\$@\"" sh "${@:2}"
}
# shellcheck disable=SC2046
out=$(as_unit mailmood-milter $(unit mailmood-milter ExecStartPre) 2>&1)
rc=$?
tap_ok "ExecStartPre (check-config) refuses the example as installed, naming base_url" \
	test $rc -ne 0 -a -n "$(echo "$out" | grep -F '[general] base_url: https://feedback.example.com is an example name')"
tap_diag "$out"
_mm_port HTTP_PORT
sed -i -e "s|^base_url *=.*|base_url = http://127.0.0.1:$HTTP_PORT|" \
	-e "s|^http *=.*|http = 127.0.0.1:$HTTP_PORT|" -e "s|^lmtp *=.*|lmtp = none|" \
	/etc/mailmood/mailmood.conf
key_sum=$(sha256sum </etc/mailmood/secret.key)
# shellcheck disable=SC2046
out=$(as_unit mailmoodd $(unit mailmoodd ExecStartPre) 2>&1)
tap_ok $? "with base_url set, check-config passes (as mailmood)"
tap_diag "$out"
apt-get install --reinstall "${apt_opts[@]}" "$MM_TMP"/src/mailmood-common_*.deb >>"$MM_TMP/install.log" 2>&1
tap_is "$(sha256sum </etc/mailmood/secret.key)|$(grep -c "^base_url = http://127.0.0.1:$HTTP_PORT" /etc/mailmood/mailmood.conf)" \
	"$key_sum|1" "a reinstall keeps the key and the edited config"

# ------------------------------------------------------------ run
# What systemd does before ExecStart: RuntimeDirectory= (owned by User=,
# RuntimeDirectoryMode=) and StateDirectory= (the package made it).
install -d -o mailmood -g mailmood -m "$(unit mailmood-milter RuntimeDirectoryMode)" \
	"/run/$(unit mailmood-milter RuntimeDirectory)"
# shellcheck disable=SC2046
(as_unit mailmood-milter $(unit mailmood-milter ExecStart)) 2>"$MM_TMP/milter.log" &
milter_pid=$!
mm_track_pid $milter_pid
# shellcheck disable=SC2046
(as_unit mailmoodd $(unit mailmoodd ExecStart)) 2>"$MM_TMP/mailmoodd.log" &
mmd_pid=$!
mm_track_pid $mmd_pid
sock=/run/mailmood/milter.sock
mm_wait_for 10 test -S $sock
tap_is "$(stat -c '%U:%G %a' $sock 2>&1)" "mailmood:mailmood 660" "the milter's socket $sock"
mm_wait_listen "$HTTP_PORT" 10
tap_ok $? "mailmoodd listens on 127.0.0.1:$HTTP_PORT"

# Postfix with the two lines of the package's snippet, as they stand.
mapfile -t lines < <(grep -E '^(non_)?smtpd_milters *=' /usr/share/doc/mailmood-milter/postfix-main.cf)
tap_is "${#lines[@]}" 2 "the Postfix snippet has the two lines to add"
sink_start || tap_bail "no smtp-sink"
pf_start "${lines[@]}" || tap_bail "no Postfix"
cat >"$MM_TMP/closure.eml" <<'EOF'
From: Service Desk <servicedesk@example.com>
To: John Doe <j.doe@acme.example>
Subject: [INC-2101] Laptop replaced: resolved
Message-ID: <inc2101@desk.example.com>
Date: Sun, 06 Dec 2026 10:00:00 +0000
X-Ticket-Status: resolved
X-Ticket-Team: acme
X-Ticket-Agent: Bob
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello John,

Your ticket INC-2101 has been resolved.
EOF
pf_send servicedesk@example.com j.doe@acme.example "$MM_TMP/closure.eml"
tap_ok $? "Postfix takes the closure mail"
qid=$PF_LAST_QID
sink_wait_count 1 30
f=$(sink_grep '^Message-ID: <inc2101@desk.example.com>' | head -n 1)
# the body as the reader sees it (the milter re-encodes it quoted-printable)
mapfile -t links < <(python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(m.get_payload(decode=True).decode())' "$f" 2>/dev/null |
	grep -oE "http://127\.0\.0\.1:$HTTP_PORT/r/[A-Za-z0-9_-]+/[0-9]+" | sort -u)
tap_is "${#links[@]}" 4 "the packaged milter put the four thermometer links in the mail"
grep -q "^mailmood-milter: $qid: survey [0-9]* ticket=INC-2101 rule=servicedesk" "$MM_TMP/milter.log"
tap_ok $? "the milter logs the survey under Postfix's queue id"
ok=0
for l in "${links[@]}"; do
	[ "$(curl -s -o "$MM_TMP/page.html" -w '%{http_code}' "$l")" = 200 ] &&
		grep -q '<form' "$MM_TMP/page.html" && ok=$((ok + 1))
done
tap_is "$ok" 4 "every link opens its rating page at the packaged mailmoodd"
# a token with its first character changed: another id, a wrong MAC
tok=${links[0]#*/r/}
tok=${tok%/*}
[ "${tok:0:1}" = A ] && c=B || c=A
bad=http://127.0.0.1:$HTTP_PORT/r/$c${tok:1}/1
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "$bad")" 404 "a forged token gets 404"
tap_is "$(stat -c '%U' /var/lib/mailmood/mailmood.db 2>&1)" mailmood \
	"the store belongs to mailmood (the daemons never ran as root)"

# ExecReload: kill -USR1 $MAINPID, and both keep running.
kill -USR1 $milter_pid $mmd_pid
mm_wait_for 5 grep -q 'SIGUSR1: reloading' "$MM_TMP/milter.log"
tap_ok "SIGUSR1 reloads, both daemons keep running" \
	eval "grep -q 'SIGUSR1: reloading' '$MM_TMP/milter.log' && _mm_alive $milter_pid && _mm_alive $mmd_pid"
pf_stop
mm_stop_pid $milter_pid
mm_stop_pid $mmd_pid
t3=$(date +%s)

# ------------------------------------------------------------ remove, purge
apt-get remove "${apt_opts[@]}" "${pkgs[@]}" >"$MM_TMP/remove.log" 2>&1
tap_ok $? "apt-get remove"
tap_ok "remove keeps the user, the key and the store" \
	test -n "$(getent passwd mailmood)" -a -f /etc/mailmood/secret.key -a -f /var/lib/mailmood/mailmood.db
apt-get purge "${apt_opts[@]}" "${pkgs[@]}" >>"$MM_TMP/remove.log" 2>&1
tap_ok $? "apt-get purge"
left=$(for p in "${pkgs[@]}"; do dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "$p" 2>/dev/null; done |
	grep -v '^un ')
tap_is "$left" "" "dpkg knows none of the packages any more"
left=$(while read -r f; do [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"; done <<<"$files")
tap_is "$left" "" "no file of the packages is left"
left=$(ls -d /etc/mailmood /var/lib/mailmood /run/mailmood /etc/systemd/system/*/mailmood* \
	/var/lib/systemd/deb-systemd-helper-enabled/*mailmood* \
	/var/lib/systemd/deb-systemd-helper-enabled/*/mailmood* 2>/dev/null)
tap_is "$left" "" "no /etc/mailmood, /var/lib/mailmood, /run/mailmood, unit links"
tap_ok "no mailmood user or group; postfix left alone" \
	test -z "$(getent passwd mailmood)$(getent group mailmood)" -a -n "$(getent passwd postfix)"
t4=$(date +%s)
tap_diag "seconds: build $((t1 - t0)), lintian $((t2 - t1)), install and run $((t3 - t2)), remove and purge $((t4 - t3)), total $((t4 - t0))"
tap_done

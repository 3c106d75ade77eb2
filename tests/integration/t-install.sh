#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What a packager and a mail admin get: `make install DESTDIR=` puts every
# file where doc/ARCHITECTURE.md says, the man pages render without a groff warning,
# and the systemd units pass systemd-analyze verify.
. "${top_srcdir:?}/tests/integration/lib.sh"

mans=("$top_srcdir"/src/*/*.[158])
tap_plan $((${#mans[@]} + 10))
mm_tmpdir
dest=$MM_TMP/dest
make -s -C "$top_builddir" install DESTDIR="$dest" >"$MM_TMP/install.log" 2>&1
tap_ok $? "make install DESTDIR=..."
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
sysconfdir=$(sed -n 's/^sysconfdir = //p' "$top_builddir/Makefile" | sed "s|\${prefix}|$prefix|")
for f in "$prefix/sbin/mailmood-milter" "$prefix/sbin/mailmoodd" "$prefix/bin/mailmoodctl"; do
	tap_ok "installed $f" test -x "$dest$f"
done
tap_ok "example config in sysconfdir/mailmood" test -f "$dest$sysconfdir/mailmood/mailmood.conf"
tap_ok "templates in datadir/mailmood" test -f "$dest$prefix/share/mailmood/templates/nl/block.html"
tap_ok "man pages installed" test -f "$dest$prefix/share/man/man5/mailmood.conf.5"
for m in "${mans[@]}"; do
	warn=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$m" 2>&1)
	tap_is "$warn" "" "$(basename "$m") renders without groff warnings"
done
# The installed example is refused until base_url is set (the units run
# check-config before starting), with a message naming the key; with it
# set, the example passes.
conf=$dest$sysconfdir/mailmood/mailmood.conf
out=$("$dest$prefix/bin/mailmoodctl" -c "$conf" check-config 2>&1)
rc=$?
tap_ok "check-config refuses the example's base_url, saying what to set" \
	test $rc -ne 0 -a -n "$(echo "$out" | grep -F '[general] base_url: https://feedback.example.com is an example name')"
[ $rc -ne 0 ] || tap_diag "$out"
# (check-config loads the templates too: the staged ones, as DESTDIR
# leaves them outside the prefix the build knows)
sed -e 's|^base_url *=.*|base_url = https://feedback.mailmood.test|' \
	-e "s|^;templates *=.*|templates = $dest$prefix/share/mailmood/templates|" \
	"$conf" >"$MM_TMP/edited.conf"
out=$("$dest$prefix/bin/mailmoodctl" -c "$MM_TMP/edited.conf" check-config 2>&1)
tap_ok $? "the installed example with base_url set passes check-config"
[ $? -eq 0 ] || tap_diag "$out"
# systemd units, with ExecStart pointing at the programs just installed
mkdir -p "$MM_TMP/units"
for u in mailmood-milter mailmoodd; do
	sed -e "s|/usr/sbin/|$dest$prefix/sbin/|" -e "s|/usr/bin/|$dest$prefix/bin/|" \
		"$top_srcdir/contrib/systemd/$u.service" \
		>"$MM_TMP/units/$u.service"
done
# Only what it says of our units: verify also loads the system's units, and
# some packages' (request-tracker5's, say) warn about themselves.
out=$(systemd-analyze verify --man=no "$MM_TMP"/units/*.service 2>&1 |
	grep -Ev '^(/usr)?/lib/systemd/system/')
tap_is "$out" "" "systemd-analyze verify passes on both units"
tap_done

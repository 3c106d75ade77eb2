#!/bin/bash
# What a packager and a mail admin get: `make install DESTDIR=` puts every
# file where DESIGN.md says, the man pages render without a groff warning,
# and the systemd units pass systemd-analyze verify.
. "${top_srcdir:?}/tests/integration/lib.sh"

mans=("$top_srcdir"/src/*.[158])
tap_plan $((${#mans[@]} + 9))
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
# The installed example config passes check-config as it is.
out=$("$dest$prefix/bin/mailmoodctl" -c "$dest$sysconfdir/mailmood/mailmood.conf" check-config 2>&1)
tap_ok $? "the installed example config passes check-config"
[ $? -eq 0 ] || tap_diag "$out"
# systemd units, with ExecStart pointing at the programs just installed
mkdir -p "$MM_TMP/units"
for u in mailmood-milter mailmoodd; do
	sed "s|/usr/sbin/|$dest$prefix/sbin/|" "$top_srcdir/contrib/systemd/$u.service" \
		>"$MM_TMP/units/$u.service"
done
out=$(systemd-analyze verify --man=no "$MM_TMP"/units/*.service 2>&1)
tap_is "$out" "" "systemd-analyze verify passes on both units"
tap_done

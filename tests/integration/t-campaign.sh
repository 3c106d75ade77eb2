#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Relationship NPS campaigns: check-config reports a bad [campaign NAME]
# key with FILE:LINE; mailmoodctl campaign NAME --dry-run lists who gets
# the round per team and why the others are left out (quiet, unsubscribed,
# internal, a closure survey within 7 days, a team not in the campaign);
# --send queues one outbox row per recipient in one transaction, and a
# second --send inside `every` queues nothing and says so. Runs on SQLite
# and (tests/integration/pg/t-campaign.pg) on PostgreSQL.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"
B=${top_builddir:?}
CTL=$B/src/mailmoodctl
MK=$B/tests/integration/mm-mksurvey
DAY=86400

tap_plan 16
mm_tmpdir
mm_store_setup
head -c 32 /dev/urandom >"$MM_TMP/key" && chmod 600 "$MM_TMP/key"
cat >"$MM_TMP/mm.conf" <<CONF
[general]
base_url = http://127.0.0.1:1
secret_file = $MM_TMP/key
store = $MM_STORE_DSN
templates = $top_srcdir/conf/templates
[milter]
internal = @msp.example
[team acme]
match = @acme.example
alert_to = team-acme@msp.example
[team oranje]
match = @oranje.example
alert_to = team-oranje@msp.example
language = nl
[team gamma]
match = @gamma.example
alert_to = team-gamma@msp.example
[campaign rnps]
teams = acme oranje
every = 30d
CONF
mm_store_init "$MM_TMP/mm.conf"
mk() { "$MK" mk "$MM_STORE_DSN" "$MM_TMP/key" "$@" >/dev/null; }
ctl() { "$CTL" -c "$MM_TMP/mm.conf" "$@"; }
has() { grep -q -- "$1" "${2:-$MM_TMP/out.txt}"; } # PATTERN [FILE]

# check-config: FILE:LINE and the key
cp "$MM_TMP/mm.conf" "$MM_TMP/bad.conf"
printf 'quiet = soon\n' >>"$MM_TMP/bad.conf"
out=$("$CTL" -c "$MM_TMP/bad.conf" check-config 2>&1)
printf '%s\n' "$out" >"$MM_TMP/out.txt"
tap_ok "check-config: a bad campaign key is reported with FILE:LINE" \
	has "bad.conf:$(wc -l <"$MM_TMP/bad.conf"): \[campaign rnps\] quiet: not a duration"
printf '[campaign x]\nteams = nosuch\n' >"$MM_TMP/bad2.conf"
out=$("$CTL" -c "$MM_TMP/bad2.conf" check-config 2>&1)
printf '%s\n' "$out" >"$MM_TMP/out.txt"
tap_ok "check-config: a campaign team that does not exist" \
	has 'bad2.conf:2: \[campaign x\] teams: no \[team nosuch\]'
tap_ok "check-config accepts the campaign" ctl check-config

# who was served: ages in seconds
mk -r ann@acme.example -t acme -a $((20 * DAY))
mk -r ann@acme.example -t acme -a $((40 * DAY))
mk -r bas@oranje.example -t oranje -a $((10 * DAY)) -S 1 # throttled: served all the same
mk -r cy@acme.example -t acme -a $((3 * DAY))            # closure 3 days ago
mk -r desk@msp.example -t acme -a $((20 * DAY))          # internal
mk -r dee@acme.example -t acme -a $((30 * DAY))          # unsubscribes
mk -r gus@gamma.example -t gamma -a $((15 * DAY))        # team not in campaign
mk -r old@acme.example -t acme -a $((120 * DAY))         # not served in 90 days
mm_sql_rw "INSERT INTO campaign_unsubscribes (address, at) VALUES ('dee@acme.example', 1)"

ctl campaign rnps --dry-run >"$MM_TMP/dry.txt" 2>&1
tap_ok "dry run: the first round is due" has '^campaign rnps: a round is due (last round: never)' "$MM_TMP/dry.txt"
tap_ok "dry run: acme's count and reasons" has '^team acme: 1 would get it; left out: 1 internal, 1 unsubscribed, 1 closure survey within 7 days$' "$MM_TMP/dry.txt"
tap_ok "dry run: oranje" has '^team oranje: 1 would get it$' "$MM_TMP/dry.txt"
tap_ok "dry run: a team outside the campaign" has '^team gamma: 0 would get it; left out: 1 team not in campaign$' "$MM_TMP/dry.txt"
tap_ok "dry run: a recipient in the team's language" has '^  send bas@oranje.example team=oranje language=nl$' "$MM_TMP/dry.txt"
tap_ok "dry run: who is left out and why" has '^  out  dee@acme.example (unsubscribed)$' "$MM_TMP/dry.txt"
tap_is "$(grep -c old@ "$MM_TMP/dry.txt")" 0 "dry run: not served within 90 days: not a candidate"
tap_is "$(mm_sql "SELECT count(*) FROM outbox")" 0 "dry run queues nothing"

ctl campaign rnps --send >"$MM_TMP/out.txt" 2>&1
tap_ok "--send queues 2 mails" has '^campaign rnps: round [0-9]* queued 2 mails$' ||
	tap_diag <"$MM_TMP/out.txt"
tap_is "$(mm_sql "SELECT count(*) FROM outbox WHERE kind = 'campaign' AND state = 0")" 2 \
	"two campaign rows in the outbox"
tap_is "$(mm_sql "SELECT r.address FROM campaign_recipients r JOIN outbox o ON o.id = r.outbox_id ORDER BY r.address" | paste -sd, -)" \
	"ann@acme.example,bas@oranje.example" "each recipient has its outbox row"

ctl campaign rnps --send >"$MM_TMP/out.txt" 2>&1
tap_ok "a second --send inside every says so" \
	has '^campaign rnps: the last round went out .*; the next is due .*: nothing queued$' ||
	tap_diag <"$MM_TMP/out.txt"
tap_is "$(mm_sql "SELECT count(*) FROM outbox")/$(mm_sql "SELECT count(*) FROM campaign_rounds")" "2/1" \
	"... and queues nothing"
tap_done

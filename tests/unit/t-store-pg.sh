#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/unit/test_store on PostgreSQL. Starts a throwaway cluster (the one
# of tests/integration/mailmood.sh: initdb as the postgres user, trust
# authentication, no fsync, 127.0.0.1 on a free port, role and database
# mailmood) and runs test_store with
#   MM_TEST_PG_DSN      postgresql://mailmood@127.0.0.1:PORT/mailmood, an
#                       empty database the test may wipe
#   MM_TEST_PG_RESTART  a command that restarts the cluster on the same
#                       port and data (test_pg_reconnect)
# The role also gets CREATEDB: test_pg_migrate makes (and drops) a second,
# unmigrated database. Nothing else is granted; the role owns its database.
#
# The TAP stream is test_store's own (CMOCKA_MESSAGE_OUTPUT=TAP); this
# script adds at most "# " comments and a "Bail out!" when the cluster
# cannot be had (never a skip: CI counts skips as failures). The cluster
# is stopped and its directory removed on every exit path (lib.sh's EXIT
# trap, which also covers INT, TERM and HUP).
#
# MM_TEST_WRAPPER (optional) goes in front of the test program, e.g.
#   MM_TEST_WRAPPER="valgrind --leak-check=full" tests/unit/t-store-pg.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
export CMOCKA_MESSAGE_OUTPUT="${CMOCKA_MESSAGE_OUTPUT:-TAP}"

# shellcheck disable=SC1091 # found through $top_srcdir
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck disable=SC1091
. "$top_srcdir/tests/integration/mailmood.sh"

test_store=$top_builddir/tests/unit/test_store
[ -x "$test_store" ] || tap_bail "no $test_store (make check builds it)"

MM_STORE=pg # for mm_store_setup
export MM_STORE
mm_tmpdir
mm_store_setup # the cluster: MM_STORE_DSN, MM_PG_BIN, MM_PG_PORT, MM_PG_DIR

if ! "$MM_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MM_PG_PORT" \
	-U postgres -d postgres -c 'ALTER ROLE mailmood CREATEDB' \
	>"$MM_PG_DIR/grant.log" 2>&1; then
	tap_diag <"$MM_PG_DIR/grant.log"
	tap_bail "cannot give the role mailmood CREATEDB"
fi

# The restart runs from test_store through system(): a script of its own
# that reuses mm_pg_restart. Its chatter goes to stderr, away from TAP.
restart=$MM_TMP/pg-restart
# shellcheck disable=SC2016 # expanded by the restart script, not here
{
	echo '#!/bin/bash'
	printf 'top_srcdir=%q\ntop_builddir=%q\n' "$top_srcdir" "$top_builddir"
	printf 'MM_PG_BIN=%q MM_PG_DIR=%q MM_PG_DATA=%q MM_PG_LOG=%q\n' \
		"$MM_PG_BIN" "$MM_PG_DIR" "$MM_PG_DATA" "$MM_PG_LOG"
	echo '. "$top_srcdir/tests/integration/lib.sh" || exit 1'
	echo '. "$top_srcdir/tests/integration/mailmood.sh" || exit 1'
	echo 'mm_pg_restart >&2'
} >"$restart"
chmod 755 "$restart"

# In the background and waited for: bash runs a trap only once the
# foreground command is done, so a TERM or INT would otherwise wait for
# the whole test. The EXIT trap stops it (mm_track_pid), then the
# cluster. A hung test (a child stuck on a lock) ends by the timeout.
# shellcheck disable=SC2086
MM_TEST_PG_DSN=$MM_STORE_DSN MM_TEST_PG_RESTART=$restart \
	timeout -k 10 "${MM_TEST_TIMEOUT:-900}" ${MM_TEST_WRAPPER:-} \
	"$test_store" &
pid=$!
mm_track_pid "$pid"
wait "$pid"
exit $?

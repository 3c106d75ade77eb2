# SPDX-License-Identifier: BSD-2-Clause
# Sourced after lib.sh: sets up mailmood itself inside a test's $MM_TMP.
# mm_config [INI-LINES...]  key, config and store under $MM_TMP/mm
# mm_milter_start           mailmood-milter in the foreground on a unix socket
# mm_mailmoodd CONF PORT [LOG]   mailmoodd in the foreground, up and listening
# The store, on the backend MM_STORE names (sqlite, the default, or pg):
# mm_store_setup [PATH]     $MM_STORE_DSN: the SQLite PATH, or a private
#                           PostgreSQL cluster started once per test
# mm_store_init CONF        mailmoodctl -c CONF migrate, or bail out
# mm_sql QUERY              a read-only look into the store ('|' between
#                           columns, no header); mm_sql_rw QUERY writes
# mm_py ARGS...             python3 that can `import mmdb` (mmdb.connect)
# mm_store_break, mm_store_mend   the store out of reach and back
# mm_store_checkpoint, mm_store_raw   what the store keeps, as bytes
# mm_pg_restart             bounce the PostgreSQL server (same port)

MM_BIN=${top_builddir:?}/src
MM_TEMPLATES=${top_srcdir:?}/conf/templates
MM_STORE=${MM_STORE:-sqlite}
MM_PYTHON=${MM_PYTHON:-python3}

mm_config() {
	MM_DIR=$MM_TMP/mm
	mkdir -p "$MM_DIR"
	chmod 755 "$MM_DIR"
	MM_CONF=$MM_DIR/mailmood.conf
	mm_store_setup "$MM_DIR/mailmood.db"
	MM_DB=$MM_STORE_DSN
	MM_SOCK=$MM_DIR/milter.sock
	[ -f "$MM_DIR/secret.key" ] || "$MM_BIN/mailmoodctl" keygen "$MM_DIR/secret.key" >/dev/null
	{
		cat <<CONF
[general]
base_url    = http://127.0.0.1:${MM_HTTP_PORT:-8080}
secret_file = $MM_DIR/secret.key
store       = $MM_STORE_DSN
templates   = $MM_TEMPLATES

[milter]
socket      = unix:$MM_SOCK
socket_mode = 0666
cooldown    = ${MM_COOLDOWN:-0}

[listener]
http          = 127.0.0.1:${MM_HTTP_PORT:-8080}
reply_address = feedback@fb.example
# off unless a test asks: the default port would clash between tests
lmtp          = ${MM_LMTP:-none}

[rule servicedesk]
from    = servicedesk@example.com
subject = /\[(?<ticket>[A-Z]+-?\d+)\].*\b(closed|resolved|gesloten|opgelost)\b/i
team    = header:X-Ticket-Team
agent   = header:X-Ticket-Agent

[team acme]
name     = Team Acme
match    = @acme.example
alert_to = team-acme@msp.example
CONF
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$MM_CONF"
	mm_store_init "$MM_CONF"
}

mm_milter_start() {
	local i
	rm -f "$MM_SOCK"
	"$MM_BIN/mailmood-milter" -f -c "$MM_CONF" >>"$MM_DIR/milter.log" 2>&1 &
	MM_MILTER_PID=$!
	mm_track_pid "$MM_MILTER_PID"
	for i in $(seq 100); do
		[ -S "$MM_SOCK" ] && return 0
		kill -0 "$MM_MILTER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# mailmood-milter did not start:"
	sed 's/^/#   /' "$MM_DIR/milter.log"
	return 1
}

# ---------------------------------------------------------------- store

# mm_mailmoodd CONF PORT [LOG] — mailmoodd in the foreground on CONF,
# stderr to LOG (default $MM_TMP/mailmoodd.log), stopped when the test
# exits; bails out with its log unless it listens on PORT within 10 s.
# Its pid: MMD_PID.
mm_mailmoodd() {
	local log=${3:-$MM_TMP/mailmoodd.log}
	"$MM_BIN/mailmoodd" -f -c "$1" 2>"$log" &
	MMD_PID=$!
	mm_track_pid "$MMD_PID"
	mm_wait_listen "$2" 10 && return 0
	tap_diag <"$log"
	tap_bail "mailmoodd did not start"
}

# mm_store_setup [SQLITE_PATH] — this test's store for the `store =` line
# of its config: sets and exports MM_STORE_DSN, for sqlite SQLITE_PATH
# (default $MM_TMP/mm.db), for pg postgresql://mailmood@127.0.0.1:PORT/
# mailmood on a private cluster under $MM_TMP/pg (started at the first
# call, stopped when the test exits). Also picks MM_PYTHON for mm_py.
mm_store_setup() {
	_mm_need_tmp
	case $MM_STORE in
	sqlite)
		MM_STORE_DSN=${1:-$MM_TMP/mm.db}
		;;
	pg)
		if [ "${_MM_PG_TMP:-}" != "$MM_TMP" ]; then
			_mm_pg_setup || tap_bail "cannot start a PostgreSQL cluster"
		fi
		MM_STORE_DSN=postgresql://mailmood@127.0.0.1:$MM_PG_PORT/mailmood
		;;
	*)
		tap_bail "MM_STORE=$MM_STORE: want sqlite or pg"
		;;
	esac
	export MM_STORE MM_STORE_DSN MM_PYTHON
}

# mm_store_init CONF — create or upgrade the schema of CONF's store
# (mailmoodctl migrate: on PostgreSQL the daemons refuse an old schema);
# a failure bails out with mailmoodctl's output
mm_store_init() {
	local out rc
	out=$("$MM_BIN/mailmoodctl" -c "$1" migrate 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	tap_diag "mailmoodctl -c $1 migrate failed (exit $rc, store $MM_STORE_DSN):"
	printf '%s\n' "$out" | tail -n 20 | tap_diag
	[ -n "${MM_PG_LOG:-}" ] && [ -f "$MM_PG_LOG" ] && tail -n 10 "$MM_PG_LOG" | tap_diag
	tap_bail "cannot migrate the $MM_STORE store"
}

# mm_sql QUERY — the store's answer, read-only: one line per row, '|'
# between columns, no header. Write SQL that both backends read alike:
# no booleans in results (CASE WHEN x THEN 1 ELSE 0 END), no group_concat,
# the time from the shell ($(date +%s)) rather than strftime().
mm_sql() {
	case $MM_STORE in
	pg) _mm_psql -c "$1" ;;
	*) sqlite3 -readonly "$MM_STORE_DSN" "$@" ;;
	esac
}

# mm_sql_rw QUERY — the same, for tests that add or change rows by hand
mm_sql_rw() {
	case $MM_STORE in
	pg) _mm_psql -c "$1" ;;
	*) sqlite3 "$MM_STORE_DSN" "$@" ;;
	esac
}

_mm_psql() { # psql ARGS on $MM_STORE_DSN, the way mm_sql answers
	"$MM_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$MM_STORE_DSN" "$@"
}

# mm_py ARGS... — python3 with tests/integration on its path, so that
# `import mmdb; db = mmdb.connect(sys.argv[1])` opens $MM_STORE_DSN on
# either backend (psycopg2 for pg: MM_PYTHON is a python3 that has it)
mm_py() {
	PYTHONDONTWRITEBYTECODE=1 \
		PYTHONPATH=$top_srcdir/tests/integration${PYTHONPATH:+:$PYTHONPATH} \
		"$MM_PYTHON" "$@"
}

# mm_store_break — put the store out of the daemons' reach, to see a
# temporary failure: sqlite: its files and directory read-only (for a
# daemon that is not root); pg: the server stopped. Status 0 when the
# store really is out of reach (sqlite: nobody cannot write it).
mm_store_break() {
	case $MM_STORE in
	pg)
		_mm_pg_ctl stop -m fast || return 1
		! "$MM_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$MM_PG_PORT"
		;;
	*)
		chmod 0444 "$MM_STORE_DSN" "$MM_STORE_DSN"-wal "$MM_STORE_DSN"-shm 2>/dev/null
		chmod 0555 "$(dirname "$MM_STORE_DSN")"
		! runuser -u nobody -- sqlite3 "$MM_STORE_DSN" "CREATE TABLE probe (x)" >/dev/null 2>&1
		;;
	esac
}

# mm_store_mend — the store back after mm_store_break
mm_store_mend() {
	case $MM_STORE in
	pg)
		_mm_pg_ctl start
		;;
	*)
		chmod 0755 "$(dirname "$MM_STORE_DSN")"
		chmod 0644 "$MM_STORE_DSN" "$MM_STORE_DSN"-wal "$MM_STORE_DSN"-shm 2>/dev/null
		return 0
		;;
	esac
}

# mm_store_checkpoint — sqlite: move the WAL into the database file
# (PRAGMA wal_checkpoint(TRUNCATE)); pg: nothing to do
mm_store_checkpoint() {
	case $MM_STORE in
	pg) return 0 ;;
	*) sqlite3 "$MM_STORE_DSN" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null ;;
	esac
}

# mm_store_raw — everything the store keeps, as bytes to grep -a: sqlite:
# the database file and its WAL; pg: the data of every table (pg_dump)
mm_store_raw() {
	case $MM_STORE in
	pg) "$MM_PG_BIN/pg_dump" --data-only --no-owner -d "$MM_STORE_DSN" ;;
	*) cat -- "$MM_STORE_DSN" "$MM_STORE_DSN"-wal 2>/dev/null || : ;;
	esac
}

# mm_pg_restart — stop the PostgreSQL server (fast: sessions are cut) and
# start it again on the same port and data
mm_pg_restart() {
	_mm_pg_ctl stop -m fast && _mm_pg_ctl start
}

# ------------------------------------------------- private PostgreSQL

# _mm_pg PROGRAM ARGS... — a PostgreSQL server program as the postgres
# user (initdb and postgres refuse root), from a directory it may read
_mm_pg() {
	local prog=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$MM_PG_DIR" && runuser -u postgres -- "$MM_PG_BIN/$prog" "$@")
	else
		(cd "$MM_PG_DIR" && "$MM_PG_BIN/$prog" "$@")
	fi
}

# _mm_pg_ctl start | stop -m MODE — pg_ctl, waiting for the result
_mm_pg_ctl() {
	local what=$1
	shift
	if ! _mm_pg pg_ctl -D "$MM_PG_DATA" -l "$MM_PG_LOG" -w -t 30 "$@" "$what" \
		>>"$MM_PG_DIR/pg_ctl.log" 2>&1; then
		tap_diag "pg_ctl $what $* failed:"
		tail -n 5 "$MM_PG_DIR/pg_ctl.log" | tap_diag
		[ -f "$MM_PG_LOG" ] && tail -n 15 "$MM_PG_LOG" | tap_diag
		return 1
	fi
}

# _mm_pg_stop_now — at exit: stop the cluster at once (it is thrown away)
_mm_pg_stop_now() {
	[ -f "$MM_PG_DATA/postmaster.pid" ] || return 0
	_mm_pg pg_ctl -D "$MM_PG_DATA" -w -t 10 -m immediate stop >/dev/null 2>&1
}

# _mm_pg_setup — initdb a throwaway cluster in $MM_TMP/pg/data (no
# fsync: it never survives the test), listening on 127.0.0.1:$MM_PG_PORT
# and a socket in the data directory; role and database mailmood
_mm_pg_setup() {
	local t0=$EPOCHREALTIME p
	if [ -z "${MM_PG_BIN:-}" ]; then
		MM_PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	fi
	if [ ! -x "$MM_PG_BIN/initdb" ]; then
		tap_diag "no PostgreSQL server in /usr/lib/postgresql/*/bin (package postgresql, contrib/install-deps.sh)"
		return 1
	fi
	for p in "$MM_PYTHON" python3 /usr/bin/python3; do
		if "$p" -c 'import psycopg2' 2>/dev/null; then
			MM_PYTHON=$p
			break
		fi
	done
	MM_PG_DIR=$MM_TMP/pg
	MM_PG_DATA=$MM_PG_DIR/data
	MM_PG_LOG=$MM_PG_DIR/postgres.log
	mkdir -p "$MM_PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$MM_PG_DIR"
	_mm_port MM_PG_PORT
	if ! _mm_pg initdb -D "$MM_PG_DATA" -A trust -U postgres --no-sync \
		-E UTF8 --locale=C >"$MM_PG_DIR/initdb.log" 2>&1; then
		tap_diag "initdb failed:"
		tail -n 20 "$MM_PG_DIR/initdb.log" | tap_diag
		return 1
	fi
	cat >>"$MM_PG_DATA/postgresql.conf" <<EOF
# tests/integration/mailmood.sh: a throwaway cluster for one test
listen_addresses = '127.0.0.1'
port = $MM_PG_PORT
unix_socket_directories = '$MM_PG_DATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
	mm_at_exit _mm_pg_stop_now
	_mm_pg_ctl start || return 1
	if ! "$MM_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MM_PG_PORT" \
		-U postgres -d postgres -c 'CREATE ROLE mailmood LOGIN' \
		-c 'CREATE DATABASE mailmood OWNER mailmood' >"$MM_PG_DIR/create.log" 2>&1; then
		tap_diag "creating role and database mailmood failed:"
		tap_diag <"$MM_PG_DIR/create.log"
		return 1
	fi
	_MM_PG_TMP=$MM_TMP
	export MM_PG_BIN MM_PG_PORT MM_PG_DIR MM_PG_DATA MM_PG_LOG
	tap_diag "PostgreSQL $("$MM_PG_BIN/postgres" -V | awk '{ print $3 }') on 127.0.0.1:$MM_PG_PORT, ready in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
}

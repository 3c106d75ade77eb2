# SPDX-License-Identifier: BSD-2-Clause
# tests/integration/lib.sh — integration harness: a private Postfix on
# loopback relaying to smtp-sink, with TAP helpers. Source it from a bash
# test script (see README.md in this directory):
#
#	. "${top_srcdir:?}/tests/integration/lib.sh"
#	tap_plan 3; mm_tmpdir; sink_start; pf_start; ...; tap_done
#
# Everything lives in one private directory ($MM_TMP); an EXIT trap stops
# every process the test started (Postfix, smtp-sink, mm_track_pid) even on
# failure or interruption. Postfix's master runs as root, so tests need root.
# Nothing here touches /etc/postfix or a system Postfix: every Postfix command
# gets -c $PF_CONF.

# ---------------------------------------------------------------- TAP

_TAP_PLANNED=
_TAP_N=0
_TAP_FAILED=0
_MM_DIAG_SHOWN=

# tap_plan N
tap_plan() {
	_TAP_PLANNED=$1
	echo "1..$1"
}

# tap_diag TEXT... — each line as a "# " comment (stdin if no argument)
tap_diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

_tap_result() { # STATUS DESC
	_TAP_N=$((_TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_TAP_N - $2"
	else
		_TAP_FAILED=$((_TAP_FAILED + 1))
		echo "not ok $_TAP_N - $2"
	fi
}

# On the first failure show what Postfix and the sink were doing.
_tap_fail_context() {
	[ -n "$_MM_DIAG_SHOWN" ] && return 0
	_MM_DIAG_SHOWN=1
	mm_diag_state
}

# tap_ok EXIT_CODE "desc"        — pass when EXIT_CODE is 0
# tap_ok "desc" CMD [ARGS...]     — run CMD in this shell; on failure its
#                                   output is shown as diagnostics
tap_ok() {
	local rc out
	if [ $# -eq 2 ] && [[ $1 =~ ^[0-9]+$ ]]; then
		_tap_result "$1" "$2"
		[ "$1" -eq 0 ] || _tap_fail_context
		return "$1"
	fi
	local desc=$1
	shift
	out=$(mktemp "${MM_TMP:-${TMPDIR:-/tmp}}/.tap.XXXXXX")
	"$@" >"$out" 2>&1
	rc=$?
	_tap_result "$rc" "$desc"
	if [ "$rc" -ne 0 ]; then
		tap_diag "command failed (exit $rc): $*"
		tail -n 60 "$out" | sed '/^# /!s/^/# /'
		_tap_fail_context
	fi
	rm -f "$out"
	return "$rc"
}

# tap_is GOT WANT "desc"
tap_is() {
	if [ "$1" == "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	tap_diag "     got: '$1'"
	tap_diag "expected: '$2'"
	_tap_fail_context
	return 1
}

# tap_same_file GOT_FILE WANT_FILE "desc" — byte-for-byte; a diff on failure
tap_same_file() {
	if cmp -s -- "$1" "$2"; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	if [ ! -f "$1" ] || [ ! -f "$2" ]; then
		tap_diag "missing file: $( [ -f "$1" ] || echo "$1") $( [ -f "$2" ] || echo "$2")"
	else
		tap_diag "$(cmp -- "$1" "$2" 2>&1)"
		diff -u --label got --label want -- "$1" "$2" | cat -A | head -n 40 | tap_diag
	fi
	_tap_fail_context
	return 1
}

# tap_bail "reason" — abort the whole test (setup failure)
tap_bail() {
	_tap_fail_context
	echo "Bail out! $*"
	exit 99
}

# tap_done — checks the plan; exit status non-zero if anything failed
tap_done() {
	if [ -n "$_TAP_PLANNED" ] && [ "$_TAP_N" -ne "$_TAP_PLANNED" ]; then
		tap_diag "planned $_TAP_PLANNED tests but ran $_TAP_N"
		exit 1
	fi
	if [ "$_TAP_FAILED" -gt 0 ]; then
		tap_diag "failed $_TAP_FAILED of $_TAP_N"
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------- processes, tmpdir

MM_TMP=
_MM_PIDS=()
_MM_EXIT_HOOKS=()
_MM_TMP_OWNER=

# _mm_alive PID — running and not a zombie
_mm_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# _mm_group_pids PGID — live (non-zombie) processes in a process group
_mm_group_pids() {
	local pg=$1 f line rest
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		set -- $rest
		[ "$1" != Z ] && [ "$3" = "$pg" ] && echo "${f//[^0-9]/}"
	done
	return 0
}

# _mm_wait_gone TIMEOUT_TENTHS PID... — until none of them is alive
_mm_wait_gone() {
	local n=$1 p alive
	shift
	while :; do
		alive=
		for p in "$@"; do _mm_alive "$p" && alive=1 && break; done
		[ -z "$alive" ] && return 0
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

# mm_track_pid PID — stop PID (TERM, then KILL) when the test exits
mm_track_pid() {
	_MM_PIDS+=("$1")
}

# mm_at_exit COMMAND — run COMMAND (one shell command line, eval'd) when
# the test exits, after the tracked processes are stopped and before
# $MM_TMP is removed; the last registered runs first
mm_at_exit() {
	_MM_EXIT_HOOKS+=("$1")
}

# mm_stop_pid PID — TERM, wait up to 5 s, KILL
mm_stop_pid() {
	local pid=$1
	_mm_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	_mm_wait_gone 50 "$pid" && return 0
	echo "# pid $pid ignored SIGTERM, killing" >&2
	kill -KILL "$pid" 2>/dev/null
	_mm_wait_gone 20 "$pid"
}

_mm_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM HUP
	# Only the shell that created MM_TMP cleans it (not subshells).
	if [ "$_MM_TMP_OWNER" = "$BASHPID" ]; then
		if [ "$rc" -ne 0 ] || [ "$_TAP_FAILED" -gt 0 ]; then
			_tap_fail_context
		fi
		pf_stop
		for ((i = ${#_MM_PIDS[@]} - 1; i >= 0; i--)); do
			mm_stop_pid "${_MM_PIDS[i]}"
		done
		sink_stop
		for ((i = ${#_MM_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
			eval "${_MM_EXIT_HOOKS[i]}"
		done
		if [ "${MM_KEEP:-0}" = 1 ]; then
			echo "# MM_KEEP=1: kept $MM_TMP"
		elif [ -n "$MM_TMP" ] && [ -d "$MM_TMP" ]; then
			rm -rf -- "$MM_TMP"
		fi
	fi
	exit "$rc"
}

# mm_tmpdir — create this test's private directory $MM_TMP (mode 0755 so
# the postfix user can reach its queue and sockets) and install the traps
mm_tmpdir() {
	# once per shell; a subshell that calls it gets its own directory
	[ -n "$MM_TMP" ] && [ "$_MM_TMP_OWNER" = "$BASHPID" ] && return 0
	MM_TMP=$(mktemp -d "${MM_TMPBASE:-/tmp}/mm-it.XXXXXX") ||
		tap_bail "cannot create a temp dir"
	chmod 755 "$MM_TMP"
	_MM_TMP_OWNER=$BASHPID
	_MM_PIDS=()
	_MM_EXIT_HOOKS=()
	PF_MASTER_PID=
	SINK_PID=
	# Ports belong to one test instance: set them after mm_tmpdir if needed.
	PF_PORT=
	SINK_PORT=
	PF_LOG=
	SINK_DIR=
	_MM_DIAG_SHOWN=
	trap _mm_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

_mm_need_tmp() { mm_tmpdir; }

# mm_free_port — a free TCP port on 127.0.0.1 (random, below the ephemeral
# range so outgoing connections cannot take it in between)
mm_free_port() {
	python3 - "${_MM_PORTS_USED:-}" <<'PY'
import random, socket, sys
used = set(sys.argv[1].split())
for _ in range(500):
    p = random.randint(20000, 32000)
    if str(p) in used:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit(1)
PY
}

_mm_port() { # VAR — assign a new free port to VAR (never twice per test)
	local p
	p=$(mm_free_port) || tap_bail "no free port"
	_MM_PORTS_USED="${_MM_PORTS_USED:-} $p"
	printf -v "$1" '%s' "$p"
}

# mm_wait_listen PORT [TIMEOUT] — until something listens on 127.0.0.1:PORT
mm_wait_listen() {
	local hex n=$((${2:-10} * 10))
	hex=$(printf '%04X' "$1")
	while :; do
		grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp && return 0
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

# mm_wait_for TIMEOUT CMD [ARGS...] — poll CMD every 0.1 s until it succeeds
mm_wait_for() {
	local n=$(($1 * 10))
	shift
	while :; do
		"$@" && return 0
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

# mm_browser_setup SCRIPT.mjs ARTSUBDIR — NODE_DIR with playwright-core
# (the source tree, or a copy of tests/browser's package files and SCRIPT in
# the build tree when the source is read-only, as under distcheck; npm ci
# when it is missing) and ART, an absolute, writable artifacts directory
# (MM_ARTIFACTS, else tests/artifacts/ARTSUBDIR in the source tree, else in
# the build tree). Sets NODE_DIR and ART.
mm_browser_setup() {
	NODE_DIR=$top_srcdir/tests/browser
	if [ ! -d "$NODE_DIR/node_modules/playwright-core" ] && [ ! -w "$NODE_DIR" ]; then
		NODE_DIR=$top_builddir/tests/browser
		mkdir -p "$NODE_DIR"
		cp "$top_srcdir"/tests/browser/{package.json,package-lock.json,"$1"} "$NODE_DIR/"
	fi
	if [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
		(cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$MM_TMP/npm.log" 2>&1 || {
			tap_diag <"$MM_TMP/npm.log"
			tap_bail "npm ci failed in $NODE_DIR"
		}
	fi
	ART=${MM_ARTIFACTS:-$top_srcdir/tests/artifacts}/$2
	mkdir -p "$ART" 2>/dev/null && [ -w "$ART" ] || ART=$top_builddir/tests/artifacts/$2
	mkdir -p "$ART" && ART=$(cd "$ART" && pwd)
}

# mm_csrf [FILE] — the csrf value of the first form in an HTML page
# (default $MM_TMP/body), as a browser would post it back
mm_csrf() {
	sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "${1:-$MM_TMP/body}" | head -n 1
}

# mm_diag_state — Postfix queue, maillog tail and sink state as # lines
mm_diag_state() {
	_MM_DIAG_SHOWN=1
	if [ -n "${PF_LOG:-}" ] && [ -f "$PF_LOG" ]; then
		tap_diag "--- last lines of $PF_LOG:"
		tail -n "${MM_DIAG_LINES:-25}" "$PF_LOG" | tap_diag
	fi
	if [ -n "${PF_MASTER_PID:-}" ] && _mm_alive "$PF_MASTER_PID"; then
		tap_diag "--- postqueue -p:"
		postqueue -c "$PF_CONF" -p 2>&1 | head -n 20 | tap_diag
	fi
	if [ -n "${SINK_DIR:-}" ] && [ -d "$SINK_DIR" ]; then
		tap_diag "--- sink: $(find "$SINK_DIR" -type f | wc -l) file(s) in $SINK_DIR"
		[ -s "$MM_TMP/sink.log" ] && tail -n 10 "$MM_TMP/sink.log" | tap_diag
	fi
	return 0
}

# ---------------------------------------------------------------- sink

# sink_start [smtp-sink options...] — smtp-sink on 127.0.0.1:$SINK_PORT,
# one file per mail transaction under $SINK_DIR. Extra options go to
# smtp-sink (e.g. -r RCPT for 4xx replies, -L for LMTP).
sink_start() {
	_mm_need_tmp
	[ -n "${SINK_PORT:-}" ] || _mm_port SINK_PORT
	SINK_DIR=$MM_TMP/sink
	mkdir -p "$SINK_DIR"
	local user=()
	if [ "$(id -u)" -eq 0 ]; then
		# smtp-sink refuses to run as root without -u
		chown postfix "$SINK_DIR"
		user=(-u postfix)
	fi
	# The template gets a random hex suffix from smtp-sink; no sub-dirs.
	smtp-sink "${user[@]}" -4 "$@" -d "$SINK_DIR/%Y%m%d%H%M%S." \
		"127.0.0.1:$SINK_PORT" 64 >>"$MM_TMP/sink.log" 2>&1 &
	SINK_PID=$!
	if ! mm_wait_listen "$SINK_PORT" 10; then
		tap_diag "smtp-sink did not start on port $SINK_PORT:"
		tap_diag <"$MM_TMP/sink.log"
		return 1
	fi
	export SINK_PORT SINK_DIR SINK_PID
}

sink_stop() {
	[ -n "${SINK_PID:-}" ] || return 0
	mm_stop_pid "$SINK_PID"
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

# _sink_open_files — files smtp-sink still has open (transactions in progress)
_sink_open_files() {
	[ -n "${SINK_PID:-}" ] || return 0
	local fd
	for fd in /proc/"$SINK_PID"/fd/*; do
		readlink "$fd" 2>/dev/null
	done | grep -F "$SINK_DIR/" || :
}

# sink_messages — complete capture files, oldest first, one per line
sink_messages() {
	local open
	[ -d "${SINK_DIR:-}" ] || return 0
	open=$(_sink_open_files)
	find "$SINK_DIR" -type f -printf '%T@ %p\n' | sort -n | cut -d' ' -f2- |
		if [ -n "$open" ]; then grep -vxF "$open"; else cat; fi
	return 0
}

# sink_count — number of complete messages
sink_count() {
	sink_messages | grep -c . || :
}

# sink_wait_count N [TIMEOUT=20] — until at least N complete messages
sink_wait_count() {
	local want=$1 n=$((${2:-20} * 10)) got
	while :; do
		got=$(sink_count)
		[ "$got" -ge "$want" ] && return 0
		if [ "$n" -le 0 ]; then
			tap_diag "sink_wait_count: $got of $want message(s) after ${2:-20}s"
			return 1
		fi
		n=$((n - 1))
		sleep 0.1
	done
}

# sink_grep PATTERN — complete capture files whose content matches (grep -E)
sink_grep() {
	local f
	sink_messages | while read -r f; do
		grep -qE -- "$1" "$f" && echo "$f"
	done
	return 0
}

# sink_envelope FILE — smtp-sink's own envelope records (X-Client-Addr,
# X-Helo-Args, X-Mail-Args, X-Rcpt-Args...)
sink_envelope() {
	LC_ALL=C awk '/^X-[A-Za-z-]+: / { print; next } { exit }' "$1"
}

# sink_body FILE — the message exactly as received: without smtp-sink's
# X- records, its own three-line Received: header, and the empty line it
# appends after every message. (smtp-sink stores lines with LF, not CRLF,
# and undoes dot-stuffing.)
sink_body() {
	LC_ALL=C awk '
		st == 0 && /^X-[A-Za-z-]+: / { next }
		st == 0 && /^Received: from / { st = 1; next }
		st == 1 && /^[ \t]/ { next }
		{ st = 2; if (have) print prev; prev = $0; have = 1 }
		END { if (have && prev != "") print prev }
	' "$1"
}

# strip_postfix_headers FILE — the message minus the Received: header(s)
# that this harness's Postfix prepended. FILE is a capture file or the
# output of sink_body. Only leading Received: headers "by $PF_HOSTNAME
# (Postfix)" are removed; anything else (including Received: lines the
# message had when it was sent) stays.
strip_postfix_headers() {
	local f=$1 tmp=
	if head -n 1 "$f" | grep -q '^X-Client-Addr: '; then
		tmp=$(mktemp "${MM_TMP:-/tmp}/.strip.XXXXXX")
		sink_body "$f" >"$tmp"
		f=$tmp
	fi
	LC_ALL=C awk -v by="by ${PF_HOSTNAME:-mm-it.invalid} (Postfix" '
		function flush() {
			if (hdr != "" && index(hdr, by) > 0) { hdr = ""; return 1 }
			return 0
		}
		done { print; next }
		/^[ \t]/ && hdr != "" { hdr = hdr "\n" $0; next }
		{
			if (hdr != "") {
				if (!flush()) { print hdr; done = 1; hdr = ""; print; next }
			}
			if (/^Received: /) { hdr = $0; next }
			done = 1; print
		}
		END { if (hdr != "" && !flush()) print hdr }
	' "$f"
	[ -n "$tmp" ] && rm -f "$tmp"
	return 0
}

# ---------------------------------------------------------------- postfix

# Postfix programs live in /usr/sbin; make sure they are found.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac

# PF_MASTER_EXTRA: extra master.cf lines (newline separated), set before
# pf_start, e.g. an lmtp transport.
PF_MASTER_EXTRA=${PF_MASTER_EXTRA:-}

# pf_start [main.cf lines...] — a private Postfix in $MM_TMP/postfix:
# smtpd on 127.0.0.1:$PF_PORT, everything relayed to [127.0.0.1]:$SINK_PORT,
# log in $PF_LOG. The extra lines are appended to main.cf (later ones win).
pf_start() {
	_mm_need_tmp
	[ -n "${PF_PORT:-}" ] || _mm_port PF_PORT
	[ -n "${SINK_PORT:-}" ] || _mm_port SINK_PORT
	PF_DIR=$MM_TMP/postfix
	PF_CONF=$PF_DIR/etc
	PF_QUEUE=$PF_DIR/spool
	PF_DATA=$PF_DIR/data
	PF_LOG=$PF_DIR/maillog
	PF_NAME=${PF_NAME:-mm-it-${MM_TMP##*.}}
	PF_HOSTNAME=$PF_NAME.test
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"
	chmod 755 "$PF_DIR" "$PF_CONF" "$PF_QUEUE"
	chown postfix "$PF_DATA"
	chmod 700 "$PF_DATA"
	{
		cat <<EOF
# generated by tests/integration/lib.sh
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
syslog_name = $PF_NAME
maillog_file = $PF_LOG
maillog_file_prefixes = /var, /dev/stdout, $PF_DIR
myhostname = $PF_HOSTNAME
mydomain = test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
relay_domains =
smtp_host_lookup = native
lmtp_host_lookup = native
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_connect_timeout = 5s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
in_flow_delay = 0
local_header_rewrite_clients =
biff = no
append_dot_mydomain = no
smtpd_banner = \$myhostname ESMTP harness
EOF
		local l
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$PF_CONF/main.cf"
	{
		cat <<EOF
# generated by tests/integration/lib.sh; chroot off everywhere
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
proxywrite unix - - n -  1 proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
		[ -n "$PF_MASTER_EXTRA" ] && printf '%s\n' "$PF_MASTER_EXTRA"
	} >"$PF_CONF/master.cf"
	export PF_DIR PF_CONF PF_QUEUE PF_DATA PF_LOG PF_PORT PF_HOSTNAME SINK_PORT
	_pf_backdate

	if ! postfix -c "$PF_CONF" start >"$PF_DIR/start.log" 2>&1; then
		tap_diag "postfix start failed:"
		tap_diag <"$PF_DIR/start.log"
		[ -f "$PF_LOG" ] && tail -n 20 "$PF_LOG" | tap_diag
		return 1
	fi
	read -r PF_MASTER_PID <"$PF_QUEUE/pid/master.pid" 2>/dev/null
	PF_MASTER_PID=${PF_MASTER_PID// /}
	export PF_MASTER_PID
	if ! mm_wait_listen "$PF_PORT" 10; then
		tap_diag "Postfix smtpd is not listening on 127.0.0.1:$PF_PORT"
		mm_diag_state
		return 1
	fi
	grep -E 'warning|fatal|error' "$PF_DIR/start.log" | tap_diag
	return 0
}

# Postfix programs read main.cf in a loop, 0.3 s apart, until its mtime is
# more than a second old ("file is being edited"): a fresh main.cf costs
# ~2.5 s per postfix/postconf/sendmail call. Backdate what we write.
_pf_backdate() {
	touch -d '-10 seconds' "$PF_CONF/main.cf" "$PF_CONF/master.cf"
}

# pf_postconf [ARGS] — postconf for the harness instance (e.g. -e 'k = v',
# then pf_reload)
pf_postconf() {
	postconf -c "$PF_CONF" "$@"
	local rc=$?
	_pf_backdate
	return $rc
}

# pf_reload — re-read main.cf/master.cf (after editing them)
pf_reload() {
	_pf_backdate
	postfix -c "$PF_CONF" reload >>"$PF_DIR/start.log" 2>&1
}

# pf_stop — stop master and wait until all its daemons are gone
pf_stop() {
	local pid=${PF_MASTER_PID:-} n
	[ -n "$pid" ] || return 0
	PF_MASTER_PID=
	# Daemons share the master's process group (master calls setsid()).
	kill -TERM "$pid" 2>/dev/null
	for ((n = 0; n < 100; n++)); do
		[ -z "$(_mm_group_pids "$pid")" ] && return 0
		sleep 0.1
	done
	echo "# Postfix master $pid did not stop in 10s, killing its process group" >&2
	kill -KILL -- "-$pid" 2>/dev/null
	for ((n = 0; n < 30; n++)); do
		[ -z "$(_mm_group_pids "$pid")" ] && return 0
		sleep 0.1
	done
	return 1
}

# pf_send FROM TO[,TO...] FILE — submit FILE by SMTP to 127.0.0.1:$PF_PORT.
# LF or CRLF line ends are both sent as CRLF; the message must end with a
# newline. Sets PF_LAST_QID to the queue id Postfix reported.
pf_send() {
	local out rc
	out=$(python3 - "$1" "$2" "$3" "127.0.0.1" "${PF_PORT:?}" <<'PY'
import smtplib, sys
frm, to, path, host, port = sys.argv[1:6]
data = open(path, "rb").read()
lines = data.split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
msg = b"".join(l[:-1] + b"\r\n" if l.endswith(b"\r") else l + b"\r\n" for l in lines)
opts = ["BODY=8BITMIME"] if any(b > 127 for b in msg) else []
try:
    s = smtplib.SMTP(host, int(port), local_hostname="client.test", timeout=60)
    s.ehlo()
    code, resp = s.mail(frm, opts)
    if code >= 400:
        raise smtplib.SMTPSenderRefused(code, resp, frm)
    for r in to.split(","):
        code, resp = s.rcpt(r.strip())
        if code >= 400:
            raise smtplib.SMTPRecipientsRefused({r: (code, resp)})
    code, resp = s.data(msg)
    if code >= 400:
        raise smtplib.SMTPDataError(code, resp)
    s.quit()
except Exception as e:
    print("pf_send: %s: %r" % (type(e).__name__, e), file=sys.stderr)
    sys.exit(1)
resp = resp.decode("ascii", "replace")
print(resp.rsplit(" ", 1)[-1] if "queued as" in resp else "")
PY
)
	rc=$?
	PF_LAST_QID=$out
	return $rc
}

# pf_sendmail FROM TO[,TO...] FILE — local submission through the
# harness's sendmail/postdrop/pickup (non_smtpd_milters see this one)
pf_sendmail() {
	local to=()
	IFS=, read -r -a to <<<"$2"
	sendmail -C "$PF_CONF" -i -f "$1" -- "${to[@]}" <"$3"
}

# pf_queue_files — files in the live queues (hold excluded)
pf_queue_files() {
	local q
	for q in maildrop incoming active deferred; do
		[ -d "$PF_QUEUE/$q" ] && find "$PF_QUEUE/$q" -type f
	done
	return 0
}

_pf_drained() { [ -z "$(pf_queue_files)" ]; }

# pf_wait_drain [TIMEOUT=30] — until the queue is empty
pf_wait_drain() {
	mm_wait_for "${1:-30}" _pf_drained && return 0
	tap_diag "pf_wait_drain: queue not empty after ${1:-30}s"
	mm_diag_state
	return 1
}

# pf_flush — attempt delivery of all deferred mail now
pf_flush() { postqueue -c "$PF_CONF" -f; }

# pf_log_grep PATTERN — matching maillog lines (grep -E); status like grep
pf_log_grep() { grep -E -- "$1" "$PF_LOG"; }

# pf_log_wait PATTERN [TIMEOUT=10] — until the maillog has a matching line
# (postlogd writes asynchronously: use this rather than pf_log_grep right
# after an event)
pf_log_wait() {
	mm_wait_for "${2:-10}" grep -qE -- "$1" "$PF_LOG" && return 0
	tap_diag "pf_log_wait: no line matching '$1' after ${2:-10}s"
	return 1
}

# Sourced after lib.sh: sets up mailmood itself inside a test's $MM_TMP.
# mm_config [INI-LINES...]  key, config and store under $MM_TMP/mm
# mm_milter_start           mailmood-milter in the foreground on a unix socket
# mm_sql QUERY              a read-only look into the store (sqlite3 CLI)

MM_BIN=${top_builddir:?}/src
MM_TEMPLATES=${top_srcdir:?}/conf/templates

mm_config() {
	MM_DIR=$MM_TMP/mm
	mkdir -p "$MM_DIR"
	chmod 755 "$MM_DIR"
	MM_CONF=$MM_DIR/mailmood.conf
	MM_DB=$MM_DIR/mailmood.db
	MM_SOCK=$MM_DIR/milter.sock
	[ -f "$MM_DIR/secret.key" ] || "$MM_BIN/mailmoodctl" keygen "$MM_DIR/secret.key" >/dev/null
	{
		cat <<CONF
[general]
base_url    = http://127.0.0.1:${MM_HTTP_PORT:-8080}
secret_file = $MM_DIR/secret.key
store       = $MM_DB
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

mm_sql() {
	sqlite3 -readonly "$MM_DB" "$@"
}

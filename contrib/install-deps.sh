#!/bin/sh
# Installs what mailmood needs to build, test and run on Debian 12.
# Never configures the system's Postfix: debconf is told "No configuration".
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get)" >&2
	exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	autoconf automake make gcc clang libclang-rt-14-dev pkg-config \
	libmilter-dev libetpan-dev libsqlite3-dev sqlite3 libcurl4-gnutls-dev \
	libmicrohttpd-dev libgnutls28-dev libpcre2-dev libinih-dev libcmocka-dev \
	postfix swaks miltertest python3 curl ca-certificates procps iproute2 \
	valgrind chromium fonts-noto-color-emoji nodejs >/dev/null
# npm for the browser test (tests/browser): Debian's package, unless the
# installed nodejs brings its own (NodeSource's conflicts with Debian's npm)
command -v npm >/dev/null ||
	apt-get install -y -qq --no-install-recommends npm >/dev/null
# crypt(3) yescrypt for dashboard passwords (<crypt.h>, -lcrypt); libc6-dev
# pulls it in already, named here because src/report.am links it
apt-get install -y -qq --no-install-recommends libcrypt-dev >/dev/null
# replies by mail (issue 6): a real Dovecot for the IMAP poller's test
# (tests/integration/t-reply-imap.sh, which also makes its certificate
# with openssl); the system's Dovecot is never started or configured
apt-get install -y -qq --no-install-recommends dovecot-imapd openssl >/dev/null

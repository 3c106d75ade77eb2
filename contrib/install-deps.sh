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
	valgrind >/dev/null

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs what mailmood needs to build, test and run on Debian 12.
# Never configures the system's Postfix: debconf is told "No configuration".
set -eu
export DEBIAN_FRONTEND=noninteractive
# build: compiler, autotools and the libraries of doc/ARCHITECTURE.md (libcrypt-dev:
# yescrypt for dashboard passwords, -lcrypt)
# run and test: postfix (a private, sandboxed instance), swaks, miltertest,
# sqlite3, python3 (an independent MIME parser), curl; dovecot-imapd and
# openssl for the IMAP poller's test (the system's Dovecot is not used);
# chromium, nodejs and a colour emoji font for the browser test;
# groff-base and systemd for linting man pages and unit files;
# libpq-dev for the PostgreSQL store, postgresql (a private throwaway
# cluster per test, never the system's) and python3-psycopg2 for the
# integration tests' second run on it;
# request-tracker5 and rt5-db-sqlite for tests/integration/t-rt.sh (RT in
# the test's directory on its own SQLite file; the system's RT is left
# unconfigured: no database, no cron jobs);
# packaging (tests/package/t-deb.sh): debhelper (dpkg-dev, dh-autoreconf)
# for dpkg-buildpackage, lintian
packages="autoconf automake make gcc clang libclang-rt-14-dev pkg-config
	libmilter-dev libetpan-dev libsqlite3-dev sqlite3 libcurl4-gnutls-dev
	libpq-dev postgresql python3-psycopg2
	libmicrohttpd-dev libgnutls28-dev libpcre2-dev libinih-dev libcmocka-dev
	libcrypt-dev
	postfix swaks miltertest python3 curl ca-certificates procps iproute2
	valgrind dovecot-imapd openssl
	chromium fonts-noto-color-emoji nodejs
	groff-base systemd
	request-tracker5 rt5-db-sqlite
	debhelper dpkg-dev lintian"
# debconf answers, so that nothing asks: Postfix and RT stay unconfigured
# (no system mail setup, no RT database, no cron jobs)
preseed="postfix postfix/main_mailer_type select No configuration
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/rtname string rt.example
request-tracker5 request-tracker5/correspondaddress string support@rt.example
request-tracker5 request-tracker5/commentaddress string support-comment@rt.example"
# --list: the package names only, --preseed: the debconf answers
# (.ci/run installs them itself)
case "${1:-}" in
--list)
	echo $packages
	exit 0
	;;
--preseed)
	echo "$preseed"
	exit 0
	;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get)" >&2
	exit 1
fi
echo "$preseed" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
# npm for tests/browser: Debian's package, unless the installed nodejs
# brings its own (NodeSource's conflicts with Debian's npm)
command -v npm >/dev/null ||
	apt-get install -y -qq --no-install-recommends npm >/dev/null

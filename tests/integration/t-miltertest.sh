#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The milter protocol edges, one miltertest(8) Lua script each
# (tests/milter/t-*.lua): early accept at end of headers, body replacement,
# abort mid-message, many messages on one connection, a DKIM-signed mail
# left alone, SIGUSR1 reload with a connection open.
. "${top_srcdir:?}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/mailmood.sh"

scripts=("$top_srcdir"/tests/milter/t-*.lua)
tap_plan $((${#scripts[@]} + 2))
mm_tmpdir
mm_config
mm_milter_start
tap_ok $? "mailmood-milter starts on $MM_SOCK"

for s in "${scripts[@]}"; do
	name=$(basename "$s" .lua)
	out=$(timeout 60 miltertest -D dir="$top_srcdir/tests/milter" \
		-D sock="unix:$MM_SOCK" -D milter="$MM_BIN/mailmood-milter" \
		-D conf="$MM_CONF" -D sock2="unix:$MM_DIR/milter2.sock" \
		-s "$s" 2>&1)
	rc=$?
	tap_ok $rc "miltertest $name"
	[ $rc -eq 0 ] || tap_diag "$out"
done

# Every closure mail the scripts completed got a committed survey:
# t-body-replaced 1, t-abort-midway 1, t-many-messages 25 (the reload
# script runs its own milter on the same store: 1 more).
n=$(mm_sql "select count(*) from surveys")
tap_is "$n" 28 "one survey row per rewritten closure mail"
tap_done

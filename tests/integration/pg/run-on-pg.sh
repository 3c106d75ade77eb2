#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# PG_LOG_COMPILER (tests/integration/integration.am): runs the integration
# test that tests/integration/pg/t-NAME.pg stands for, t-NAME.sh, on a
# PostgreSQL store (MM_STORE=pg, see tests/integration/mailmood.sh).
MM_STORE=pg exec bash "${top_srcdir:?}/tests/integration/$(basename "$1" .pg).sh"

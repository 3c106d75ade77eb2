/* SPDX-License-Identifier: BSD-2-Clause */
/* The PostgreSQL backend's own helpers, shared by store_pg.c (connection,
 * schema, surveys, hits, ratings, outbox, replies), store_pg_report.c
 * (reports, dashboard, purge, users, sessions) and store_pg_alert.c
 * (acknowledgements, digests, outbox figures). Only store_pg*.c include it.
 *
 * Every statement is a SQL text with $1..$n placeholders and text
 * parameters (NULL is SQL NULL); the server infers the types, so write a
 * cast ($1::bigint, $2::text) where it cannot. A text is prepared once per
 * connection the first time it runs and found again by its content, so a
 * statement put together from constant fragments is prepared once per
 * variant. No data ever goes into the SQL text. */
#ifndef MM_STORE_PG_H
#define MM_STORE_PG_H

#include <libpq-fe.h>
#include <stdint.h>

#include "store_backend.h"

/* Room for a decimal int64 and its NUL. */
#define STORE_PG_I64 24

/* Runs sql; on STORE_OK *res holds its result (rows or none), for the
 * caller to PQclear. On failure *res is NULL and st's error says what
 * failed: STORE_BUSY when the server is unreachable, restarting, or the
 * transaction lost a serialization or deadlock race (retry later),
 * STORE_ERROR otherwise. */
enum store_rc store_pg_query(struct store *st, const char *sql, int n,
			     const char *const *params, PGresult **res,
			     const char *what);
/* Runs sql for its effect; *changed (may be NULL) gets the rows touched. */
enum store_rc store_pg_exec(struct store *st, const char *sql, int n,
			    const char *const *params, int64_t *changed,
			    const char *what);
/* The first column of the first row as an integer: STORE_OK, or
 * STORE_NOTFOUND when there is no row (a NULL value reads as 0). */
enum store_rc store_pg_one_int(struct store *st, const char *sql, int n,
			       const char *const *params, int64_t *v,
			       const char *what);
/* Runs sql and calls row() for each row as it arrives (single-row mode,
 * so a large export is never held in memory at once); row returns
 * non-zero to stop, and then this returns STORE_ERROR "WHAT: stopped". */
enum store_rc store_pg_each(struct store *st, const char *sql, int n,
			    const char *const *params,
			    int (*row)(const PGresult *r, void *arg), void *arg,
			    const char *what);

/* Parameter text of an integer, in buf (STORE_PG_I64 bytes). */
const char *store_pg_i64(char *buf, int64_t v);
/* Same, but 0 ("none" in the store API) becomes SQL NULL. */
const char *store_pg_id_or_null(char *buf, int64_t v);
/* A column as an integer; NULL reads as 0. */
int64_t store_pg_int(const PGresult *r, int row, int col);
/* A column as text, valid while r lives; NULL stays NULL. */
const char *store_pg_col(const PGresult *r, int row, int col);
/* A copy of a text column (NULL stays NULL); -1 only when memory ran out. */
int store_pg_text(const PGresult *r, int row, int col, char **out);

/* An outbox row as selected by STORE_PG_OUTBOX_COLS, into the struct
 * outbox_item at el; -1 when memory ran out (free it all the same). */
#define STORE_PG_OUTBOX_COLS                                                   \
	"id, kind, coalesce(survey_id, 0), coalesce(rating_id, 0), due, "      \
	"attempts, state, last_error"
int store_pg_row_outbox(const PGresult *r, int row, void *el);

enum store_rc spr_report(struct store *st, const struct store_report_query *q,
			 store_report_emit emit, void *arg);
enum store_rc spr_rating_rows(struct store *st,
			      const struct store_rating_filter *f,
			      store_rating_emit emit, void *arg);
enum store_rc spr_alert_rows(struct store *st, const char *team, int open_only,
			     int64_t limit, store_alert_emit emit, void *arg);
enum store_rc spr_purge(struct store *st, int64_t before, int anonymize,
			int64_t *count);
enum store_rc spr_user_put(struct store *st, const struct store_user *u);
enum store_rc spr_user_get(struct store *st, const char *name,
			   struct store_user *out);
enum store_rc spr_user_failed(struct store *st, const char *name, int64_t now,
			      int max_failures, int64_t lock_seconds);
enum store_rc spr_user_succeeded(struct store *st, const char *name);
enum store_rc spr_user_end(struct store *st, const char *name, int with_user,
			   int64_t *deleted);
enum store_rc spr_user_list(struct store *st, struct store_user **out,
			    size_t *n);
enum store_rc spr_session_put(struct store *st, const char *id,
			      const char *user, int64_t created,
			      int64_t expires);
enum store_rc spr_session_user(struct store *st, const char *id, int64_t now,
			       struct store_user *out);
enum store_rc spr_session_delete(struct store *st, const char *id, int64_t now);

enum store_rc spa_outbox_get(struct store *st, int64_t id,
			     struct outbox_item *out, int64_t *created_at);
enum store_rc spa_alert_ack(struct store *st, int64_t outbox_id, const char *by,
			    int64_t at, char **by_out, int64_t *at_out);
enum store_rc spa_requester_alerts(struct store *st, const char *requester,
				   int64_t exclude_survey, int64_t *count,
				   int64_t *last_at);
enum store_rc spa_outbox_stats(struct store *st,
			       struct store_outbox_stats *out);
enum store_rc spa_digest_last(struct store *st, const char *team,
			      int64_t *last);
enum store_rc spa_digest_mark(struct store *st, const char *team, int64_t old,
			      int64_t now);
enum store_rc spa_digest_stats(struct store *st, const char *team,
			       int64_t since, int64_t until,
			       struct store_digest_stats *out);

#endif

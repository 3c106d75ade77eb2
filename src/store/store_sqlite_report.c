/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite backend, part two: what reports and the dashboard ask of the
 * store (aggregates, comment lists, alerts, purge, users, sessions).
 *
 * Report statements differ by grouping, period and filters, so they are
 * put together per call from constant fragments only; every value is a
 * bound parameter, as in store_sqlite.c. Filters that are not set are left
 * out of the text rather than written as "?1 IS NULL OR ...", which would
 * keep SQLite from using the (team, sent_at) index. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"

#define SQR_SQL_MAX 2048

static const char *sqr_col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Runs s to the end, calling row() for each row; row returns non-zero to
 * stop. Finalizes s. */
static enum store_rc sqr_each(struct store *st, sqlite3_stmt *s,
			      int (*row)(sqlite3_stmt *, void *), void *arg,
			      const char *what)
{
	enum store_rc ret = STORE_OK;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (row(s, arg)) {
			store_set_err(st, "%s: stopped", what);
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, what);
	sqlite3_finalize(s);
	return ret;
}

/* Runs a statement without rows (or ignores them). Finalizes s. */
static enum store_rc sqr_exec(struct store *st, sqlite3_stmt *s,
			      const char *what)
{
	int rc = sqlite3_step(s);
	enum store_rc ret = STORE_OK;

	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, what);
	sqlite3_finalize(s);
	return ret;
}

/* ------------------------------------------------------------ report */

/* Result columns of every report statement:
 * 0 team, 1 agent, 2 rule, 3 period, 4 scale, 5 level, 6 n, 7 n2, 8 value */
static const char *const sqr_group_cols[] = {
    [STORE_GROUP_OVERALL] = "NULL, NULL, NULL",
    [STORE_GROUP_TEAM] = "s.team, NULL, NULL",
    [STORE_GROUP_AGENT] = "s.team, s.agent, NULL",
    [STORE_GROUP_RULE] = "NULL, NULL, s.rule",
};

/* ISO week: the week's Thursday decides the year (SQLite 3.40 has no %V):
 * go back three days, then forward to a Thursday. */
#define SQR_THURSDAY "date(s.sent_at, 'unixepoch', '-3 days', 'weekday 4')"
static const char *const sqr_period_col[] = {
    [STORE_PERIOD_NONE] = "NULL",
    [STORE_PERIOD_DAY] = "strftime('%Y-%m-%d', s.sent_at, 'unixepoch')",
    [STORE_PERIOD_WEEK] =
	"strftime('%Y', " SQR_THURSDAY ") || '-W' || printf('%02d', "
	"(CAST(strftime('%j', " SQR_THURSDAY ") AS INTEGER) - 1) / 7 + 1)",
    [STORE_PERIOD_MONTH] = "strftime('%Y-%m', s.sent_at, 'unixepoch')",
    [STORE_PERIOD_QUARTER] =
	"strftime('%Y', s.sent_at, 'unixepoch') || '-Q' || "
	"((CAST(strftime('%m', s.sent_at, 'unixepoch') AS INTEGER) + 2) / 3)",
};

/* Outbox rows that are alerts, queued, sent or failed (not cancelled). */
#define SQR_ALERT_ROWS                                                         \
	"o.kind = '" STORE_SQL_KIND_ALERT                                      \
	"' AND o.state <> " STORE_SQL_OUTBOX_CANCELLED

/* What each cell kind selects after the group and period columns, where
 * from, and its own condition. */
static const struct {
	const char *cols, *from, *where;
	int grouped;
} sqr_cells[] = {
    [STORE_CELL_SURVEYS] = {"NULL, 0, count(*), 0, 0", "surveys s",
			    "s.status = " STORE_SQL_SURVEY_SENT, 1},
    [STORE_CELL_LEVEL] = {"s.scale, s.level, count(*), "
			  "sum(s.source = " STORE_SQL_RATING_MAIL "), 0",
			  "current_ratings s", "1", 1},
    [STORE_CELL_MACHINE] = {"NULL, 0, count(*), 0, 0",
			    "hits h JOIN surveys s ON s.id = h.survey_id",
			    "h.machine = 1", 1},
    [STORE_CELL_ALERTS] = {"NULL, 0, count(*), count(a.outbox_id), 0",
			   "outbox o JOIN surveys s ON s.id = o.survey_id "
			   "LEFT JOIN alert_acks a ON a.outbox_id = o.id",
			   SQR_ALERT_ROWS, 1},
    [STORE_CELL_ACK] = {"NULL, 0, 0, 0, a.acked_at - o.created_at",
			"outbox o JOIN surveys s ON s.id = o.survey_id "
			"JOIN alert_acks a ON a.outbox_id = o.id",
			SQR_ALERT_ROWS, 0},
};

/* With a window (since) over all teams, the level and scanner-hit cells
 * start from the window's surveys through the covering index by sent_at
 * (migration 5) and look their current rating or hits up by survey id;
 * otherwise SQLite scans every rating or hit and looks up its survey.
 * CROSS JOIN keeps that order. Without a window, a scan is cheaper. */
static int sqr_recent(const struct store_report_query *q)
{
	return q->since && !q->team;
}

static const char *sqr_cell_cols(const struct store_report_query *q, int k)
{
	if (k == STORE_CELL_LEVEL && sqr_recent(q))
		return "s.scale, r.level, count(*), sum(r.source = 1), 0";
	return sqr_cells[k].cols;
}

static const char *sqr_cell_from(const struct store_report_query *q, int k)
{
	if (!sqr_recent(q))
		return sqr_cells[k].from;
	if (k == STORE_CELL_LEVEL)
		return "surveys s INDEXED BY surveys_sent_cover CROSS JOIN "
		       "ratings r ON r.survey_id = s.id AND r.current = 1";
	if (k == STORE_CELL_MACHINE)
		return "surveys s INDEXED BY surveys_sent_cover CROSS JOIN "
		       "hits h ON h.survey_id = s.id";
	return sqr_cells[k].from;
}

struct sqr_report_ctx {
	int kind;
	store_report_emit emit;
	void *arg;
};

static int sqr_report_row(sqlite3_stmt *s, void *p)
{
	struct sqr_report_ctx *c = p;
	struct store_report_cell cell = {
	    .kind = c->kind,
	    .team = sqr_col(s, 0),
	    .agent = sqr_col(s, 1),
	    .rule = sqr_col(s, 2),
	    .period = sqr_col(s, 3),
	    .scale = sqr_col(s, 4),
	    .level = sqlite3_column_int(s, 5),
	    .n = sqlite3_column_int64(s, 6),
	    .n2 = sqlite3_column_int64(s, 7),
	    .value = sqlite3_column_int64(s, 8),
	};

	return c->emit(c->arg, &cell);
}

enum store_rc sqr_report(struct store *st, const struct store_report_query *q,
			 store_report_emit emit, void *arg)
{
	char sql[SQR_SQL_MAX];
	enum store_rc rc = STORE_OK;

	if (q->group < STORE_GROUP_OVERALL || q->group > STORE_GROUP_RULE ||
	    q->period < STORE_PERIOD_NONE || q->period > STORE_PERIOD_QUARTER) {
		store_set_err(st, "report: bad group or period");
		return STORE_ERROR;
	}
	for (int k = STORE_CELL_SURVEYS; k <= STORE_CELL_ACK; k++) {
		struct sqr_report_ctx c = {k, emit, arg};
		sqlite3_stmt *s;
		int n;

		n = snprintf(
		    sql, sizeof(sql),
		    "SELECT %s, %s, %s FROM %s WHERE %s%s%s%s%s%s%s",
		    sqr_group_cols[q->group], sqr_period_col[q->period],
		    sqr_cell_cols(q, k), sqr_cell_from(q, k),
		    sqr_cells[k].where, q->team ? " AND s.team = ?1" : "",
		    q->agent ? " AND s.agent = ?2" : "",
		    q->rule ? " AND s.rule = ?3" : "",
		    q->since ? " AND s.sent_at >= ?4" : "",
		    q->until ? " AND s.sent_at < ?5" : "",
		    sqr_cells[k].grouped ? " GROUP BY 1, 2, 3, 4, 5, 6" : "");
		if (n < 0 || (size_t)n >= sizeof(sql)) {
			store_set_err(st, "report: statement too long");
			return STORE_ERROR;
		}
		if (!(s = store_sqlite_prepare(st, sql)))
			return store_sqlite_fail_rc(st);
		/* Unused numbers answer SQLITE_RANGE, which is harmless. */
		store_sqlite_bind_text(s, 1, q->team);
		store_sqlite_bind_text(s, 2, q->agent);
		store_sqlite_bind_text(s, 3, q->rule);
		sqlite3_bind_int64(s, 4, q->since);
		sqlite3_bind_int64(s, 5, q->until);
		if ((rc = sqr_each(st, s, sqr_report_row, &c, "report")) !=
		    STORE_OK)
			break;
	}
	return rc;
}

/* ------------------------------------------------------------ ratings */

struct sqr_rating_ctx {
	store_rating_emit emit;
	void *arg;
};

static int sqr_rating_row(sqlite3_stmt *s, void *p)
{
	struct sqr_rating_ctx *c = p;
	struct store_rating_row r = {
	    .rating_id = sqlite3_column_int64(s, 0),
	    .survey_id = sqlite3_column_int64(s, 1),
	    .at = sqlite3_column_int64(s, 2),
	    .sent_at = sqlite3_column_int64(s, 3),
	    .level = sqlite3_column_int(s, 4),
	    .source = sqlite3_column_int(s, 5),
	    .current = sqlite3_column_int(s, 6),
	    .team = sqr_col(s, 7),
	    .agent = sqr_col(s, 8),
	    .rule = sqr_col(s, 9),
	    .ticket = sqr_col(s, 10),
	    .scale = sqr_col(s, 11),
	    .why = sqr_col(s, 12),
	    .better = sqr_col(s, 13),
	    .reply_id = sqlite3_column_int64(s, 14),
	    .subject = sqr_col(s, 15),
	};

	return c->emit(c->arg, &r);
}

/* The filter of both halves; why and better are the text columns, at the
 * time column. Parameters: ?1 team, ?2 agent, ?3 text, ?4 since,
 * ?5 until (?6 the limit). */
static int sqr_rating_where(char *out, size_t size,
			    const struct store_rating_filter *f, const char *at,
			    const char *why, const char *better)
{
	char text[256] = "";

	if (f->text && *f->text) {
		if (better)
			snprintf(text, sizeof(text),
				 " AND (instr(lower(coalesce(%s, '')), "
				 "lower(?3)) > 0 OR instr(lower(coalesce(%s, "
				 "'')), lower(?3)) > 0)",
				 why, better);
		else
			snprintf(text, sizeof(text),
				 " AND instr(lower(coalesce(%s, '')), "
				 "lower(?3)) > 0",
				 why);
	}
	return snprintf(out, size, "%s%s%s%s%s%s%s%s%s",
			f->team ? " AND s.team = ?1" : "",
			f->agent ? " AND s.agent = ?2" : "", text,
			f->since ? " AND " : "", f->since ? at : "",
			f->since ? " >= ?4" : "", f->until ? " AND " : "",
			f->until ? at : "", f->until ? " < ?5" : "");
}

enum store_rc sqr_rating_rows(struct store *st,
			      const struct store_rating_filter *f,
			      store_rating_emit emit, void *arg)
{
	struct sqr_rating_ctx c = {emit, arg};
	char sql[SQR_SQL_MAX], w1[512], w2[512], half[SQR_SQL_MAX / 2] = "";
	const char *dir = f->oldest_first ? "ASC" : "DESC";
	sqlite3_stmt *s;
	int n;

	if (sqr_rating_where(w1, sizeof(w1), f, "r.at", "r.why", "r.better") >=
		(int)sizeof(w1) ||
	    sqr_rating_where(w2, sizeof(w2), f, "p.received_at", "p.comment",
			     NULL) >= (int)sizeof(w2)) {
		store_set_err(st, "rating rows: statement too long");
		return STORE_ERROR;
	}
	/* a comment-only reply: matched, no grade, no rating to join */
	if (f->replies)
		snprintf(half, sizeof(half),
			 " UNION ALL SELECT 0, p.survey_id, p.received_at, "
			 "s.sent_at, -1, %d, 1, s.team, s.agent, s.rule, "
			 "s.ticket, s.scale, p.comment, NULL, p.id, s.subject "
			 "FROM replies p JOIN surveys s ON s.id = p.survey_id "
			 "WHERE p.status = '" STORE_SQL_REPLY_COMMENT "' AND "
			 "p.rating_id IS NULL "
			 "AND coalesce(p.comment, '') <> ''%s",
			 RATING_MAIL, w2);
	n = snprintf(
	    sql, sizeof(sql),
	    "SELECT r.id, r.survey_id, r.at, s.sent_at, r.level, r.source, "
	    "r.current, s.team, s.agent, s.rule, s.ticket, s.scale, r.why, "
	    "r.better, 0, s.subject FROM ratings r JOIN surveys s ON s.id = "
	    "r.survey_id WHERE 1%s%s%s%s ORDER BY 3 %s, 1 %s, 15 %s%s",
	    f->history ? "" : " AND r.current = 1", w1,
	    f->commented ? " AND (coalesce(r.why, '') <> '' OR "
			   "coalesce(r.better, '') <> '')"
			 : "",
	    half, dir, dir, dir, f->limit > 0 ? " LIMIT ?6" : "");
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		store_set_err(st, "rating rows: statement too long");
		return STORE_ERROR;
	}
	if (!(s = store_sqlite_prepare(st, sql)))
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, f->team);
	store_sqlite_bind_text(s, 2, f->agent);
	store_sqlite_bind_text(s, 3, f->text);
	sqlite3_bind_int64(s, 4, f->since);
	sqlite3_bind_int64(s, 5, f->until);
	sqlite3_bind_int64(s, 6, f->limit);
	return sqr_each(st, s, sqr_rating_row, &c, "rating rows");
}

/* ------------------------------------------------------------ alerts */

struct sqr_alert_ctx {
	store_alert_emit emit;
	void *arg;
};

static int sqr_alert_row(sqlite3_stmt *s, void *p)
{
	struct sqr_alert_ctx *c = p;
	struct store_alert_row a = {
	    .outbox_id = sqlite3_column_int64(s, 0),
	    .survey_id = sqlite3_column_int64(s, 1),
	    .created_at = sqlite3_column_int64(s, 2),
	    .acked_at = sqlite3_column_int64(s, 3),
	    .state = sqlite3_column_int(s, 4),
	    .level = sqlite3_column_int(s, 5),
	    .team = sqr_col(s, 6),
	    .agent = sqr_col(s, 7),
	    .ticket = sqr_col(s, 8),
	    .scale = sqr_col(s, 9),
	    .acked_by = sqr_col(s, 10),
	    .subject = sqr_col(s, 11),
	};

	return c->emit(c->arg, &a);
}

enum store_rc sqr_alert_rows(struct store *st, const char *team, int open_only,
			     int64_t limit, store_alert_emit emit, void *arg)
{
	struct sqr_alert_ctx c = {emit, arg};
	char sql[SQR_SQL_MAX];
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql),
		 "SELECT o.id, o.survey_id, o.created_at, "
		 "coalesce(a.acked_at, 0), o.state, coalesce(r.level, -1), "
		 "s.team, s.agent, s.ticket, s.scale, a.acked_by, s.subject "
		 "FROM outbox o JOIN surveys s ON s.id = o.survey_id "
		 "LEFT JOIN ratings r ON r.id = o.rating_id "
		 "LEFT JOIN alert_acks a ON a.outbox_id = o.id "
		 "WHERE " SQR_ALERT_ROWS "%s%s "
		 "ORDER BY o.created_at DESC, o.id DESC%s",
		 team ? " AND s.team = ?1" : "",
		 open_only ? " AND a.outbox_id IS NULL" : "",
		 limit > 0 ? " LIMIT ?2" : "");
	if (!(s = store_sqlite_prepare(st, sql)))
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, team);
	sqlite3_bind_int64(s, 2, limit);
	return sqr_each(st, s, sqr_alert_row, &c, "alert rows");
}

/* ------------------------------------------------------------ purge */

#define SQR_OLD "(SELECT id FROM surveys WHERE sent_at < ?1)"

/* clang-format off */
static const char *const sqr_purge_delete[] = {
	"DELETE FROM replies WHERE received_at < ?1 OR survey_id IN " SQR_OLD,
	/* hits, ratings, outbox and acks follow by ON DELETE CASCADE */
	"DELETE FROM surveys WHERE sent_at < ?1",
	NULL,
};

static const char *const sqr_purge_anon[] = {
	"UPDATE replies SET sender = NULL, subject = NULL, body = NULL, "
	"comment = NULL "
	"WHERE received_at < ?1 OR survey_id IN " SQR_OLD,
	"UPDATE ratings SET why = NULL, better = NULL WHERE survey_id IN "
	SQR_OLD,
	/* IT's ratings of a customer are about a person: they go */
	"DELETE FROM customer_ratings WHERE survey_id IN " SQR_OLD,
	"UPDATE hits SET ip = NULL, user_agent = NULL WHERE survey_id IN "
	SQR_OLD,
	/* an SMTP error text may quote an address */
	"UPDATE outbox SET last_error = NULL WHERE survey_id IN " SQR_OLD,
	"UPDATE surveys SET requester = NULL, subject = NULL, queue_id = NULL "
	"WHERE sent_at < ?1",
	NULL,
};
/* clang-format on */

enum store_rc sqr_purge(struct store *st, int64_t before, int anonymize,
			int64_t *count)
{
	sqlite3 *db = store_sqlite_db(st);
	const char *const *steps =
	    anonymize ? sqr_purge_anon : sqr_purge_delete;
	sqlite3_stmt *s;
	enum store_rc rc;
	int r;

	*count = 0;
	/* Deleted and overwritten text must not linger in free space of the
	 * file: zero it. Per connection, so set it before we start. */
	if ((r = sqlite3_exec(db, "PRAGMA secure_delete = ON", NULL, NULL,
			      NULL)) != SQLITE_OK)
		return store_sqlite_fail(st, r, "purge");
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	if (!(s = store_sqlite_prepare(st, "SELECT count(*) FROM surveys WHERE "
					   "sent_at < ?1"))) {
		rc = store_sqlite_fail_rc(st);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, before);
	if ((r = sqlite3_step(s)) == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (r != SQLITE_ROW) {
		rc = store_sqlite_fail(st, r, "purge");
		goto fail;
	}
	for (size_t i = 0; steps[i]; i++) {
		if (!(s = store_sqlite_prepare(st, steps[i]))) {
			rc = store_sqlite_fail_rc(st);
			goto fail;
		}
		sqlite3_bind_int64(s, 1, before);
		if ((rc = sqr_exec(st, s, "purge")) != STORE_OK)
			goto fail;
	}
	if ((rc = store_commit(st)) != STORE_OK) {
		*count = 0;
		return rc;
	}
	/* Old page images live on in the WAL until a checkpoint copies the
	 * new ones over them; TRUNCATE also empties the WAL file. A reader
	 * holding an old snapshot can make this partial: best effort, the
	 * next checkpoint finishes it. */
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	return STORE_OK;
fail:
	store_rollback(st);
	*count = 0;
	return rc;
}

/* ------------------------------------------------------------ users */

#define SQR_USER_COLS                                                          \
	"u.name, u.pwhash, u.is_admin, u.teams, u.failures, u.locked_until, "  \
	"u.created_at"

enum store_rc sqr_user_put(struct store *st, const struct store_user *u)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "INSERT INTO users (name, pwhash, is_admin, teams, failures, "
		"locked_until, created_at) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5) "
		"ON CONFLICT (name) DO UPDATE SET pwhash = excluded.pwhash, "
		"is_admin = excluded.is_admin, teams = excluded.teams, "
		"failures = 0, locked_until = 0");

	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, u->name);
	store_sqlite_bind_text(s, 2, u->pwhash);
	sqlite3_bind_int(s, 3, u->is_admin ? 1 : 0);
	store_sqlite_bind_text(s, 4, u->teams ? u->teams : "");
	sqlite3_bind_int64(s, 5, u->created_at);
	return sqr_exec(st, s, "user put");
}

static int sqr_dup(const char *v, char **out)
{
	*out = strdup(v ? v : "");
	return *out ? 0 : -1;
}

/* One row of SQR_USER_COLS into out; OK, NOTFOUND or a failure. */
static enum store_rc sqr_user_row(struct store *st, sqlite3_stmt *s,
				  struct store_user *out, const char *what)
{
	enum store_rc ret = STORE_OK;
	int rc = sqlite3_step(s);

	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_ROW) {
		out->is_admin = sqlite3_column_int(s, 2);
		out->failures = sqlite3_column_int(s, 4);
		out->locked_until = sqlite3_column_int64(s, 5);
		out->created_at = sqlite3_column_int64(s, 6);
		if (sqr_dup(sqr_col(s, 0), &out->name) < 0 ||
		    sqr_dup(sqr_col(s, 1), &out->pwhash) < 0 ||
		    sqr_dup(sqr_col(s, 3), &out->teams) < 0) {
			store_user_free(out);
			store_set_err(st, "%s: out of memory", what);
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, what);
	}
	sqlite3_finalize(s);
	return ret;
}

enum store_rc sqr_user_get(struct store *st, const char *name,
			   struct store_user *out)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "SELECT " SQR_USER_COLS " FROM users u WHERE u.name = ?1");

	memset(out, 0, sizeof(*out));
	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, name);
	return sqr_user_row(st, s, out, "user get");
}

enum store_rc sqr_user_failed(struct store *st, const char *name, int64_t now,
			      int max_failures, int64_t lock_seconds)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "UPDATE users SET locked_until = CASE WHEN failures + 1 >= ?3 "
		"THEN ?2 + ?4 ELSE locked_until END, failures = CASE WHEN "
		"failures + 1 >= ?3 THEN 0 ELSE failures + 1 END "
		"WHERE name = ?1");

	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, max_failures);
	sqlite3_bind_int64(s, 4, lock_seconds);
	return sqr_exec(st, s, "user failed");
}

enum store_rc sqr_user_succeeded(struct store *st, const char *name)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "UPDATE users SET failures = 0 WHERE name = ?1 "
		"AND failures <> 0");

	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, name);
	return sqr_exec(st, s, "user succeeded");
}

enum store_rc sqr_user_end(struct store *st, const char *name, int with_user,
			   int64_t *deleted)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "DELETE FROM sessions WHERE user_name = ?1");
	enum store_rc rc;

	*deleted = 0;
	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, name);
	if ((rc = sqr_exec(st, s, "user sessions end")) != STORE_OK ||
	    !with_user)
		return rc;
	if (!(s = store_sqlite_prepare(st,
				       "DELETE FROM users WHERE name = ?1")))
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, name);
	if ((rc = sqr_exec(st, s, "user delete")) == STORE_OK)
		*deleted = sqlite3_changes(store_sqlite_db(st));
	return rc;
}

enum store_rc sqr_user_list(struct store *st, struct store_user **out,
			    size_t *n)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "SELECT " SQR_USER_COLS " FROM users u ORDER BY u.name");
	struct store_user *all = NULL;
	enum store_rc rc = STORE_OK;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!s)
		return store_sqlite_fail_rc(st);
	for (;;) {
		struct store_user *more = realloc(all, (k + 1) * sizeof(*all));
		if (!more) {
			store_set_err(st, "user list: out of memory");
			rc = STORE_ERROR;
			break;
		}
		all = more;
		/* sqr_user_row steps and finalizes: step here instead */
		int r = sqlite3_step(s);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = store_sqlite_fail(st, r, "user list");
			break;
		}
		memset(&all[k], 0, sizeof(all[k]));
		all[k].is_admin = sqlite3_column_int(s, 2);
		all[k].failures = sqlite3_column_int(s, 4);
		all[k].locked_until = sqlite3_column_int64(s, 5);
		all[k].created_at = sqlite3_column_int64(s, 6);
		if (sqr_dup(sqr_col(s, 0), &all[k].name) < 0 ||
		    sqr_dup(sqr_col(s, 1), &all[k].pwhash) < 0 ||
		    sqr_dup(sqr_col(s, 3), &all[k].teams) < 0) {
			store_user_free(&all[k]);
			store_set_err(st, "user list: out of memory");
			rc = STORE_ERROR;
			break;
		}
		k++;
	}
	sqlite3_finalize(s);
	if (rc != STORE_OK) {
		for (size_t i = 0; i < k; i++)
			store_user_free(&all[i]);
		free(all);
		return rc;
	}
	*out = all;
	*n = k;
	return STORE_OK;
}

enum store_rc sqr_session_put(struct store *st, const char *id,
			      const char *user, int64_t created,
			      int64_t expires)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "INSERT INTO sessions (id, user_name, created_at, expires_at) "
		"VALUES (?1, ?2, ?3, ?4)");

	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, id);
	store_sqlite_bind_text(s, 2, user);
	sqlite3_bind_int64(s, 3, created);
	sqlite3_bind_int64(s, 4, expires);
	return sqr_exec(st, s, "session put");
}

enum store_rc sqr_session_user(struct store *st, const char *id, int64_t now,
			       struct store_user *out)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "SELECT " SQR_USER_COLS " FROM sessions x JOIN users u ON "
		"u.name = x.user_name WHERE x.id = ?1 AND x.expires_at > ?2");

	memset(out, 0, sizeof(*out));
	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return sqr_user_row(st, s, out, "session user");
}

enum store_rc sqr_session_delete(struct store *st, const char *id, int64_t now)
{
	sqlite3_stmt *s = store_sqlite_prepare(
	    st, "DELETE FROM sessions WHERE id = ?1 OR expires_at <= ?2");

	if (!s)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return sqr_exec(st, s, "session delete");
}

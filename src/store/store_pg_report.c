/* SPDX-License-Identifier: BSD-2-Clause */
/* The PostgreSQL backend, part two: what reports and the dashboard ask of
 * the store (aggregates, comment lists, alerts, purge, users, sessions),
 * with the semantics of store_sqlite_report.c.
 *
 * Report statements differ by grouping, period and filters, so they are
 * put together per call from constant fragments only; every value is a
 * bound parameter. Filters that are not set are left out of the text
 * rather than written as "$1 IS NULL OR ...", which would keep a generic
 * plan from using the surveys_report (team, sent_at, ...) index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

#define SPR_SQL_MAX 2048
#define SPR_ARGS 12

/* SQLite's lower() folds ASCII only; under the "C" collation PostgreSQL's
 * does the same, whatever the database's locale. */
#define SPR_FOLD(x) "lower(" x " COLLATE \"C\")"

/* A statement put together from constant fragments and its parameters.
 * PostgreSQL cannot type a parameter the text never mentions and refuses
 * to prepare such a statement, so the values that are set get $1..$n in
 * the order they are added instead of the SQLite file's fixed numbers. */
struct spr_sql {
	char text[SPR_SQL_MAX];
	size_t len;
	int n;
	const char *args[SPR_ARGS];
	char nums[SPR_ARGS][STORE_PG_I64];
	int full; /* text or parameters ran out of room */
};

static void spr_put(struct spr_sql *q, const char *s)
{
	size_t n = strlen(s);

	if (q->full || n >= sizeof(q->text) - q->len) {
		q->full = 1;
		return;
	}
	memcpy(q->text + q->len, s, n + 1);
	q->len += n;
}

/* Appends pre, the next parameter's $n (with v as its text) and post. */
static void spr_param(struct spr_sql *q, const char *pre, const char *v,
		      const char *post)
{
	char ref[16];

	if (q->n == SPR_ARGS) {
		q->full = 1;
		return;
	}
	q->args[q->n++] = v;
	snprintf(ref, sizeof(ref), "$%d", q->n);
	spr_put(q, pre);
	spr_put(q, ref);
	spr_put(q, post);
}

static void spr_param_int(struct spr_sql *q, const char *pre, int64_t v,
			  const char *post)
{
	if (q->n == SPR_ARGS) {
		q->full = 1;
		return;
	}
	spr_param(q, pre, store_pg_i64(q->nums[q->n], v), post);
}

/* ------------------------------------------------------------ report */

/* Result columns of every report statement:
 * 0 team, 1 agent, 2 rule, 3 period, 4 scale, 5 level, 6 n, 7 n2, 8 value */
static const char *const spr_group_cols[] = {
    [STORE_GROUP_OVERALL] = "NULL, NULL, NULL",
    [STORE_GROUP_TEAM] = "s.team, NULL, NULL",
    [STORE_GROUP_AGENT] = "s.team, s.agent, NULL",
    [STORE_GROUP_RULE] = "NULL, NULL, s.rule",
};

/* In UTC whatever the session's TimeZone, as the SQLite file does. */
#define SPR_UTC(fmt)                                                           \
	"to_char(to_timestamp(s.sent_at) AT TIME ZONE 'UTC', '" fmt "')"
static const char *const spr_period_col[] = {
    [STORE_PERIOD_NONE] = "NULL",
    [STORE_PERIOD_DAY] = SPR_UTC("YYYY-MM-DD"),
    [STORE_PERIOD_WEEK] = SPR_UTC("IYYY-\"W\"IW"),
    [STORE_PERIOD_MONTH] = SPR_UTC("YYYY-MM"),
    [STORE_PERIOD_QUARTER] = SPR_UTC("YYYY-\"Q\"Q"),
};

/* Outbox rows that are alerts, queued, sent or failed (not cancelled). */
#define SPR_ALERT_ROWS                                                         \
	"o.kind = '" STORE_SQL_KIND_ALERT                                      \
	"' AND o.state <> " STORE_SQL_OUTBOX_CANCELLED

/* What each cell kind selects after the group and period columns, where
 * from, and its own condition. The SQLite file's index hints and join
 * order for a recent window are left to PostgreSQL's planner. */
static const struct {
	const char *cols, *from, *where;
	int grouped;
} spr_cells[] = {
    [STORE_CELL_SURVEYS] = {"NULL, 0, count(*), 0, 0", "surveys s",
			    "s.status = " STORE_SQL_SURVEY_SENT, 1},
    [STORE_CELL_LEVEL] =
	{"s.scale, s.level, count(*), "
	 "count(*) FILTER (WHERE s.source = " STORE_SQL_RATING_MAIL "), 0",
	 "current_ratings s", "true", 1},
    [STORE_CELL_MACHINE] = {"NULL, 0, count(*), 0, 0",
			    "hits h JOIN surveys s ON s.id = h.survey_id",
			    "h.machine = 1", 1},
    [STORE_CELL_ALERTS] = {"NULL, 0, count(*), count(a.outbox_id), 0",
			   "outbox o JOIN surveys s ON s.id = o.survey_id "
			   "LEFT JOIN alert_acks a ON a.outbox_id = o.id",
			   SPR_ALERT_ROWS, 1},
    [STORE_CELL_ACK] = {"NULL, 0, 0, 0, a.acked_at - o.created_at",
			"outbox o JOIN surveys s ON s.id = o.survey_id "
			"JOIN alert_acks a ON a.outbox_id = o.id",
			SPR_ALERT_ROWS, 0},
};

struct spr_report_ctx {
	int kind;
	store_report_emit emit;
	void *arg;
};

static int spr_report_row(const PGresult *r, void *p)
{
	struct spr_report_ctx *c = p;
	struct store_report_cell cell = {
	    .kind = c->kind,
	    .team = store_pg_col(r, 0, 0),
	    .agent = store_pg_col(r, 0, 1),
	    .rule = store_pg_col(r, 0, 2),
	    .period = store_pg_col(r, 0, 3),
	    .scale = store_pg_col(r, 0, 4),
	    .level = (int)store_pg_int(r, 0, 5),
	    .n = store_pg_int(r, 0, 6),
	    .n2 = store_pg_int(r, 0, 7),
	    .value = store_pg_int(r, 0, 8),
	};

	return c->emit(c->arg, &cell);
}

/* The statement of one cell kind for q. */
static void spr_report_sql(struct spr_sql *s,
			   const struct store_report_query *q, int k)
{
	spr_put(s, "SELECT ");
	spr_put(s, spr_group_cols[q->group]);
	spr_put(s, ", ");
	spr_put(s, spr_period_col[q->period]);
	spr_put(s, ", ");
	spr_put(s, spr_cells[k].cols);
	spr_put(s, " FROM ");
	spr_put(s, spr_cells[k].from);
	spr_put(s, " WHERE ");
	spr_put(s, spr_cells[k].where);
	if (q->team)
		spr_param(s, " AND s.team = ", q->team, "");
	if (q->agent)
		spr_param(s, " AND s.agent = ", q->agent, "");
	if (q->rule)
		spr_param(s, " AND s.rule = ", q->rule, "");
	if (q->since)
		spr_param_int(s, " AND s.sent_at >= ", q->since, "");
	if (q->until)
		spr_param_int(s, " AND s.sent_at < ", q->until, "");
	if (spr_cells[k].grouped)
		spr_put(s, " GROUP BY 1, 2, 3, 4, 5, 6");
}

enum store_rc spr_report(struct store *st, const struct store_report_query *q,
			 store_report_emit emit, void *arg)
{
	enum store_rc rc = STORE_OK;

	if (q->group < STORE_GROUP_OVERALL || q->group > STORE_GROUP_RULE ||
	    q->period < STORE_PERIOD_NONE || q->period > STORE_PERIOD_QUARTER) {
		store_set_err(st, "report: bad group or period");
		return STORE_ERROR;
	}
	for (int k = STORE_CELL_SURVEYS; k <= STORE_CELL_ACK; k++) {
		struct spr_report_ctx c = {k, emit, arg};
		struct spr_sql s = {.len = 0};

		spr_report_sql(&s, q, k);
		if (s.full) {
			store_set_err(st, "report: statement too long");
			return STORE_ERROR;
		}
		if ((rc = store_pg_each(st, s.text, s.n, s.args, spr_report_row,
					&c, "report")) != STORE_OK)
			break;
	}
	return rc;
}

/* ------------------------------------------------------------ ratings */

struct spr_rating_ctx {
	store_rating_emit emit;
	void *arg;
};

static int spr_rating_row(const PGresult *r, void *p)
{
	struct spr_rating_ctx *c = p;
	struct store_rating_row row = {
	    .rating_id = store_pg_int(r, 0, 0),
	    .survey_id = store_pg_int(r, 0, 1),
	    .at = store_pg_int(r, 0, 2),
	    .sent_at = store_pg_int(r, 0, 3),
	    .level = (int)store_pg_int(r, 0, 4),
	    .source = (int)store_pg_int(r, 0, 5),
	    .current = (int)store_pg_int(r, 0, 6),
	    .team = store_pg_col(r, 0, 7),
	    .agent = store_pg_col(r, 0, 8),
	    .rule = store_pg_col(r, 0, 9),
	    .ticket = store_pg_col(r, 0, 10),
	    .scale = store_pg_col(r, 0, 11),
	    .why = store_pg_col(r, 0, 12),
	    .better = store_pg_col(r, 0, 13),
	    .reply_id = store_pg_int(r, 0, 14),
	    .subject = store_pg_col(r, 0, 15),
	};

	return c->emit(c->arg, &row);
}

/* The search text is a plain substring: strpos, unlike LIKE, gives % and
 * _ no meaning. */
#define SPR_FIND(col) "strpos(" SPR_FOLD("coalesce(" col ", '')") ", lower("
#define SPR_FIND_END "::text COLLATE \"C\")) > 0"

/* The filter of both halves: team, agent, the text in why (and better),
 * the time column in [since, until). */
static void spr_rating_where(struct spr_sql *s,
			     const struct store_rating_filter *f,
			     const char *at_ge, const char *at_lt,
			     const char *find_why, const char *find_better)
{
	if (f->team)
		spr_param(s, " AND s.team = ", f->team, "");
	if (f->agent)
		spr_param(s, " AND s.agent = ", f->agent, "");
	if (f->text && *f->text) {
		/* Once per column: a second $n is simpler than a subquery
		 * that names it once. */
		spr_param(s, find_why, f->text, SPR_FIND_END);
		if (find_better)
			spr_param(s, find_better, f->text, SPR_FIND_END);
		spr_put(s, ")");
	}
	if (f->since)
		spr_param_int(s, at_ge, f->since, "");
	if (f->until)
		spr_param_int(s, at_lt, f->until, "");
}

enum store_rc spr_rating_rows(struct store *st,
			      const struct store_rating_filter *f,
			      store_rating_emit emit, void *arg)
{
	struct spr_rating_ctx c = {emit, arg};
	const char *order = f->oldest_first
				? " ORDER BY 3 ASC, 1 ASC, 15 ASC"
				: " ORDER BY 3 DESC, 1 DESC, 15 DESC";
	struct spr_sql s = {.len = 0};

	spr_put(&s,
		"SELECT r.id, r.survey_id, r.at, s.sent_at, r.level, "
		"r.source, r.current, s.team, s.agent, s.rule, s.ticket, "
		"s.scale, r.why, r.better, 0::bigint, s.subject FROM "
		"ratings r JOIN surveys s ON s.id = r.survey_id WHERE true");
	if (!f->history)
		spr_put(&s, " AND r.current = 1");
	spr_rating_where(&s, f, " AND r.at >= ", " AND r.at < ",
			 " AND (" SPR_FIND("r.why"),
			 " OR " SPR_FIND("r.better"));
	if (f->commented)
		spr_put(&s, " AND (coalesce(r.why, '') <> '' OR "
			    "coalesce(r.better, '') <> '')");
	if (f->replies) {
		/* a comment-only reply: matched, no grade, no rating to
		 * join */
		char src[48];

		snprintf(src, sizeof(src), "%d", RATING_MAIL);
		spr_put(&s, " UNION ALL SELECT 0, p.survey_id, p.received_at, "
			    "s.sent_at, -1, ");
		spr_put(&s, src);
		spr_put(&s, ", 1, s.team, s.agent, s.rule, s.ticket, s.scale, "
			    "p.comment, NULL, p.id, s.subject FROM replies p "
			    "JOIN surveys s ON s.id = p.survey_id WHERE "
			    "p.status = '" STORE_SQL_REPLY_COMMENT "' AND "
			    "p.rating_id IS NULL AND "
			    "coalesce(p.comment, '') <> ''");
		spr_rating_where(
		    &s, f, " AND p.received_at >= ", " AND p.received_at < ",
		    " AND (" SPR_FIND("p.comment"), NULL);
	}
	spr_put(&s, order);
	if (f->limit > 0)
		spr_param_int(&s, " LIMIT ", f->limit, "::bigint");
	if (s.full) {
		store_set_err(st, "rating rows: statement too long");
		return STORE_ERROR;
	}
	return store_pg_each(st, s.text, s.n, s.args, spr_rating_row, &c,
			     "rating rows");
}

/* ------------------------------------------------------------ alerts */

struct spr_alert_ctx {
	store_alert_emit emit;
	void *arg;
};

static int spr_alert_row(const PGresult *r, void *p)
{
	struct spr_alert_ctx *c = p;
	struct store_alert_row a = {
	    .outbox_id = store_pg_int(r, 0, 0),
	    .survey_id = store_pg_int(r, 0, 1),
	    .created_at = store_pg_int(r, 0, 2),
	    .acked_at = store_pg_int(r, 0, 3),
	    .state = (int)store_pg_int(r, 0, 4),
	    .level = (int)store_pg_int(r, 0, 5),
	    .team = store_pg_col(r, 0, 6),
	    .agent = store_pg_col(r, 0, 7),
	    .ticket = store_pg_col(r, 0, 8),
	    .scale = store_pg_col(r, 0, 9),
	    .acked_by = store_pg_col(r, 0, 10),
	    .subject = store_pg_col(r, 0, 11),
	};

	return c->emit(c->arg, &a);
}

enum store_rc spr_alert_rows(struct store *st, const char *team, int open_only,
			     int64_t limit, store_alert_emit emit, void *arg)
{
	struct spr_alert_ctx c = {emit, arg};
	struct spr_sql s = {.len = 0};

	spr_put(&s, "SELECT o.id, o.survey_id, o.created_at, "
		    "coalesce(a.acked_at, 0), o.state, coalesce(r.level, -1), "
		    "s.team, s.agent, s.ticket, s.scale, a.acked_by, s.subject "
		    "FROM outbox o JOIN surveys s ON s.id = o.survey_id "
		    "LEFT JOIN ratings r ON r.id = o.rating_id "
		    "LEFT JOIN alert_acks a ON a.outbox_id = o.id "
		    "WHERE " SPR_ALERT_ROWS);
	if (team)
		spr_param(&s, " AND s.team = ", team, "");
	if (open_only)
		spr_put(&s, " AND a.outbox_id IS NULL");
	spr_put(&s, " ORDER BY o.created_at DESC, o.id DESC");
	if (limit > 0)
		spr_param_int(&s, " LIMIT ", limit, "::bigint");
	if (s.full) {
		store_set_err(st, "alert rows: statement too long");
		return STORE_ERROR;
	}
	return store_pg_each(st, s.text, s.n, s.args, spr_alert_row, &c,
			     "alert rows");
}

/* ------------------------------------------------------------ purge */

#define SPR_OLD "(SELECT id FROM surveys WHERE sent_at < $1)"

/* clang-format off */
static const char *const spr_purge_delete[] = {
	"DELETE FROM replies WHERE received_at < $1 OR survey_id IN " SPR_OLD,
	/* hits, ratings, outbox and acks follow by ON DELETE CASCADE */
	"DELETE FROM surveys WHERE sent_at < $1",
	NULL,
};

static const char *const spr_purge_anon[] = {
	"UPDATE replies SET sender = NULL, subject = NULL, body = NULL, "
	"comment = NULL "
	"WHERE received_at < $1 OR survey_id IN " SPR_OLD,
	"UPDATE ratings SET why = NULL, better = NULL WHERE survey_id IN "
	SPR_OLD,
	/* IT's ratings of a customer are about a person: they go */
	"DELETE FROM customer_ratings WHERE survey_id IN " SPR_OLD,
	"UPDATE hits SET ip = NULL, user_agent = NULL WHERE survey_id IN "
	SPR_OLD,
	/* an SMTP error text may quote an address */
	"UPDATE outbox SET last_error = NULL WHERE survey_id IN " SPR_OLD,
	"UPDATE surveys SET requester = NULL, subject = NULL, queue_id = NULL "
	"WHERE sent_at < $1",
	NULL,
};
/* clang-format on */

enum store_rc spr_purge(struct store *st, int64_t before, int anonymize,
			int64_t *count)
{
	const char *const *steps =
	    anonymize ? spr_purge_anon : spr_purge_delete;
	char b[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(b, before)};
	enum store_rc rc;

	*count = 0;
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_pg_one_int(st,
				   "SELECT count(*) FROM surveys WHERE "
				   "sent_at < $1::bigint",
				   1, p, count, "purge")) != STORE_OK)
		goto fail;
	for (size_t i = 0; steps[i]; i++)
		if ((rc = store_pg_exec(st, steps[i], 1, p, NULL, "purge")) !=
		    STORE_OK)
			goto fail;
	if ((rc = store_commit(st)) != STORE_OK) {
		*count = 0;
		return rc;
	}
	/* No VACUUM: it cannot run inside a caller's open transaction. */
	return STORE_OK;
fail:
	store_rollback(st);
	*count = 0;
	return rc;
}

/* ------------------------------------------------------------ users */

#define SPR_USER_COLS                                                          \
	"u.name, u.pwhash, u.is_admin, u.teams, u.failures, u.locked_until, "  \
	"u.created_at"

enum store_rc spr_user_put(struct store *st, const struct store_user *u)
{
	char c[STORE_PG_I64];
	const char *p[5] = {u->name, u->pwhash, u->is_admin ? "1" : "0",
			    u->teams ? u->teams : "",
			    store_pg_i64(c, u->created_at)};

	return store_pg_exec(
	    st,
	    "INSERT INTO users (name, pwhash, is_admin, teams, failures, "
	    "locked_until, created_at) VALUES ($1, $2, $3, $4, 0, 0, $5) "
	    "ON CONFLICT (name) DO UPDATE SET pwhash = excluded.pwhash, "
	    "is_admin = excluded.is_admin, teams = excluded.teams, "
	    "failures = 0, locked_until = 0",
	    5, p, NULL, "user put");
}

/* A text column of a user as a copy; NULL reads as "" like in the SQLite
 * file, so callers never meet a NULL name, hash or team list. */
static int spr_dup(const char *v, char **out)
{
	*out = strdup(v ? v : "");
	return *out ? 0 : -1;
}

/* The one row of SPR_USER_COLS that sql finds into out: OK, NOTFOUND or
 * a failure. */
static enum store_rc spr_user_row(struct store *st, const char *sql, int n,
				  const char *const *p, struct store_user *out,
				  const char *what)
{
	PGresult *r;
	enum store_rc ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_pg_query(st, sql, n, p, &r, what)) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		ret = STORE_NOTFOUND;
	} else {
		out->is_admin = (int)store_pg_int(r, 0, 2);
		out->failures = (int)store_pg_int(r, 0, 4);
		out->locked_until = store_pg_int(r, 0, 5);
		out->created_at = store_pg_int(r, 0, 6);
		if (spr_dup(store_pg_col(r, 0, 0), &out->name) < 0 ||
		    spr_dup(store_pg_col(r, 0, 1), &out->pwhash) < 0 ||
		    spr_dup(store_pg_col(r, 0, 3), &out->teams) < 0) {
			store_user_free(out);
			store_set_err(st, "%s: out of memory", what);
			ret = STORE_ERROR;
		}
	}
	PQclear(r);
	return ret;
}

enum store_rc spr_user_get(struct store *st, const char *name,
			   struct store_user *out)
{
	const char *p[1] = {name};

	return spr_user_row(
	    st, "SELECT " SPR_USER_COLS " FROM users u WHERE u.name = $1", 1, p,
	    out, "user get");
}

enum store_rc spr_user_failed(struct store *st, const char *name, int64_t now,
			      int max_failures, int64_t lock_seconds)
{
	char a[STORE_PG_I64], b[STORE_PG_I64], c[STORE_PG_I64];
	const char *p[4] = {name, store_pg_i64(a, now),
			    store_pg_i64(b, max_failures),
			    store_pg_i64(c, lock_seconds)};

	return store_pg_exec(
	    st,
	    "UPDATE users SET locked_until = CASE WHEN failures + 1 >= "
	    "$3::integer THEN $2::bigint + $4::bigint ELSE locked_until END, "
	    "failures = CASE WHEN failures + 1 >= $3::integer THEN 0 ELSE "
	    "failures + 1 END WHERE name = $1",
	    4, p, NULL, "user failed");
}

enum store_rc spr_user_succeeded(struct store *st, const char *name)
{
	const char *p[1] = {name};

	return store_pg_exec(st,
			     "UPDATE users SET failures = 0 WHERE name = $1 "
			     "AND failures <> 0",
			     1, p, NULL, "user succeeded");
}

enum store_rc spr_user_end(struct store *st, const char *name, int with_user,
			   int64_t *deleted)
{
	const char *p[1] = {name};
	enum store_rc rc;

	*deleted = 0;
	rc = store_pg_exec(st, "DELETE FROM sessions WHERE user_name = $1", 1,
			   p, NULL, "user sessions end");
	if (rc != STORE_OK || !with_user)
		return rc;
	return store_pg_exec(st, "DELETE FROM users WHERE name = $1", 1, p,
			     deleted, "user delete");
}

enum store_rc spr_user_list(struct store *st, struct store_user **out,
			    size_t *n)
{
	struct store_user *all;
	enum store_rc ret;
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	if ((ret = store_pg_query(
		 st, "SELECT " SPR_USER_COLS " FROM users u ORDER BY u.name", 0,
		 NULL, &r, "user list")) != STORE_OK)
		return ret;
	rows = PQntuples(r);
	all = calloc((size_t)rows + 1, sizeof(*all));
	if (!all) {
		PQclear(r);
		store_set_err(st, "user list: out of memory");
		return STORE_ERROR;
	}
	for (int i = 0; i < rows; i++) {
		all[i].is_admin = (int)store_pg_int(r, i, 2);
		all[i].failures = (int)store_pg_int(r, i, 4);
		all[i].locked_until = store_pg_int(r, i, 5);
		all[i].created_at = store_pg_int(r, i, 6);
		if (spr_dup(store_pg_col(r, i, 0), &all[i].name) < 0 ||
		    spr_dup(store_pg_col(r, i, 1), &all[i].pwhash) < 0 ||
		    spr_dup(store_pg_col(r, i, 3), &all[i].teams) < 0) {
			for (int j = 0; j <= i; j++)
				store_user_free(&all[j]);
			free(all);
			PQclear(r);
			store_set_err(st, "user list: out of memory");
			return STORE_ERROR;
		}
	}
	PQclear(r);
	*out = all;
	*n = (size_t)rows;
	return STORE_OK;
}

enum store_rc spr_session_put(struct store *st, const char *id,
			      const char *user, int64_t created,
			      int64_t expires)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[4] = {id, user, store_pg_i64(a, created),
			    store_pg_i64(b, expires)};

	return store_pg_exec(st,
			     "INSERT INTO sessions (id, user_name, created_at, "
			     "expires_at) VALUES ($1, $2, $3, $4)",
			     4, p, NULL, "session put");
}

enum store_rc spr_session_user(struct store *st, const char *id, int64_t now,
			       struct store_user *out)
{
	char a[STORE_PG_I64];
	const char *p[2] = {id, store_pg_i64(a, now)};

	return spr_user_row(st,
			    "SELECT " SPR_USER_COLS
			    " FROM sessions x JOIN users u ON "
			    "u.name = x.user_name WHERE x.id = $1 AND "
			    "x.expires_at > $2",
			    2, p, out, "session user");
}

enum store_rc spr_session_delete(struct store *st, const char *id, int64_t now)
{
	char a[STORE_PG_I64];
	const char *p[2] = {id, store_pg_i64(a, now)};

	return store_pg_exec(st,
			     "DELETE FROM sessions WHERE id = $1 OR "
			     "expires_at <= $2",
			     2, p, NULL, "session delete");
}

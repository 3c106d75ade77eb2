/* SPDX-License-Identifier: BSD-2-Clause */
/* The PostgreSQL backend's alert ops: outbox rows by id, acknowledgements,
 * a requester's earlier alerts, outbox totals for /metrics and the digest
 * schedule and figures, with the semantics of store_sqlite_alert.c. Bound
 * parameters only; store_pg.c prepares each text once per connection. */
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

/* SQLite compares digest teams with COLLATE NOCASE, which folds ASCII
 * only; lower() under the "C" collation does the same whatever the
 * database's locale. The team is always $1. */
#define SPA_TEAM_IS(col)                                                       \
	"lower(" col " COLLATE \"C\") = lower($1::text COLLATE \"C\")"

/* clang-format off */
static const char spa_digest_levels[] =
	"SELECT level, count(*) FROM current_ratings WHERE "
	SPA_TEAM_IS("team") " AND at >= $2 AND at < $3 GROUP BY level";

static const char spa_digest_surveys[] =
	"SELECT count(*), count(r.id) FROM surveys s LEFT JOIN ratings r ON "
	"r.survey_id = s.id AND r.current = 1 WHERE " SPA_TEAM_IS("s.team")
	" AND s.status = " STORE_SQL_SURVEY_SENT " AND s.sent_at >= $2 AND "
	"s.sent_at < $3";

static const char spa_digest_open[] =
	"SELECT count(*) FROM outbox o JOIN surveys s ON s.id = o.survey_id "
	"WHERE o.kind = $2 AND o.state = " STORE_SQL_OUTBOX_SENT " AND "
	SPA_TEAM_IS("s.team")
	" AND NOT EXISTS (SELECT 1 FROM alert_acks a WHERE "
	"a.outbox_id = o.id)";

static const char spa_digest_comments[] =
	"SELECT at, level, ticket, agent, why, better FROM current_ratings "
	"WHERE " SPA_TEAM_IS("team") " AND at >= $2 AND at < $3 AND "
	"(coalesce(why, '') <> '' OR coalesce(better, '') <> '') "
	"ORDER BY at, rating_id LIMIT 200";
/* clang-format on */

enum store_rc spa_outbox_get(struct store *st, int64_t id,
			     struct outbox_item *out, int64_t *created_at)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, id)};
	PGresult *r;
	enum store_rc ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_pg_query(st,
				  "SELECT " STORE_PG_OUTBOX_COLS
				  ", created_at FROM outbox "
				  "WHERE id = $1",
				  1, p, &r, "outbox get")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		store_set_err(st, "outbox get: no row %lld", (long long)id);
		ret = STORE_NOTFOUND;
	} else if (store_pg_row_outbox(r, 0, out) < 0) {
		outbox_item_free(out);
		store_set_err(st, "outbox get: out of memory");
		ret = STORE_ERROR;
	} else if (created_at) {
		*created_at = store_pg_int(r, 0, 8);
	}
	PQclear(r);
	return ret;
}

static enum store_rc ack_read(struct store *st, int64_t outbox_id,
			      char **by_out, int64_t *at_out)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, outbox_id)};
	PGresult *r;
	enum store_rc ret;

	if ((ret = store_pg_query(st,
				  "SELECT acked_by, acked_at FROM alert_acks "
				  "WHERE outbox_id = $1",
				  1, p, &r, "alert ack")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		ret = STORE_NOTFOUND;
	} else {
		if (at_out)
			*at_out = store_pg_int(r, 0, 1);
		if (by_out && store_pg_text(r, 0, 0, by_out) < 0) {
			store_set_err(st, "alert ack: out of memory");
			ret = STORE_ERROR;
		}
	}
	PQclear(r);
	return ret;
}

/* The first acknowledgement counts: a second click (a colleague, or the
 * same person twice) reads it back instead of overwriting it. */
enum store_rc spa_alert_ack(struct store *st, int64_t outbox_id, const char *by,
			    int64_t at, char **by_out, int64_t *at_out)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[3] = {store_pg_i64(a, outbox_id), by,
			    store_pg_i64(b, at)};
	enum store_rc ret, rc;

	if (by_out)
		*by_out = NULL;
	if (!by)
		return ack_read(st, outbox_id, by_out, at_out);
	if ((ret = store_begin(st)) != STORE_OK)
		return ret;
	/* A concurrent first click makes this wait for it, then do nothing:
	 * the read below sees whose acknowledgement won. */
	if ((ret = store_pg_exec(st,
				 "INSERT INTO alert_acks (outbox_id, acked_by, "
				 "acked_at) SELECT id, $2::text, $3::bigint "
				 "FROM outbox WHERE id = $1 ON CONFLICT "
				 "(outbox_id) DO NOTHING",
				 3, p, NULL, "alert ack")) != STORE_OK) {
		store_rollback(st);
		return ret;
	}
	ret = ack_read(st, outbox_id, by_out, at_out);
	if (ret != STORE_OK && ret != STORE_NOTFOUND) {
		store_rollback(st);
		return ret;
	}
	if (ret == STORE_NOTFOUND)
		store_set_err(st, "alert ack: no outbox row %lld",
			      (long long)outbox_id);
	/* A commit can lose a serialization race here (STORE_BUSY), which
	 * SQLite's write lock rules out: pass it on so the caller may retry. */
	if ((rc = store_commit(st)) != STORE_OK) {
		if (by_out) {
			free(*by_out);
			*by_out = NULL;
		}
		return rc;
	}
	return ret;
}

/* Runs sql and reads two integers of its one row (0 and 0 without one). */
static enum store_rc two_ints(struct store *st, const char *sql, int n,
			      const char *const *p, int64_t *a, int64_t *b,
			      const char *what)
{
	PGresult *r;
	enum store_rc ret;

	if ((ret = store_pg_query(st, sql, n, p, &r, what)) != STORE_OK)
		return ret;
	*a = PQntuples(r) ? store_pg_int(r, 0, 0) : 0;
	*b = PQntuples(r) ? store_pg_int(r, 0, 1) : 0;
	PQclear(r);
	return STORE_OK;
}

enum store_rc spa_requester_alerts(struct store *st, const char *requester,
				   int64_t exclude_survey, int64_t *count,
				   int64_t *last_at)
{
	char a[STORE_PG_I64];
	/* 0 (no survey) stays a number: as NULL, <> would match nothing. */
	const char *p[3] = {requester, store_pg_i64(a, exclude_survey),
			    store_outbox_kind_name(OUTBOX_ALERT)};

	*count = *last_at = 0;
	if (!requester)
		return STORE_OK;
	return two_ints(
	    st,
	    "SELECT count(*), coalesce(max(o.created_at), 0) "
	    "FROM outbox o JOIN surveys s ON s.id = o.survey_id "
	    "WHERE o.kind = $3 AND o.state IN " STORE_SQL_OUTBOX_NOT_CANCELLED
	    " AND s.requester = $1 AND o.survey_id <> $2",
	    3, p, count, last_at, "requester alerts");
}

enum store_rc spa_outbox_stats(struct store *st, struct store_outbox_stats *out)
{
	PGresult *r;
	enum store_rc ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_pg_query(st,
				  "SELECT state, count(*), min(due) FROM "
				  "outbox GROUP BY state",
				  0, NULL, &r, "outbox stats")) != STORE_OK)
		return ret;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t n = store_pg_int(r, i, 1);
		switch (store_pg_int(r, i, 0)) {
		case OUTBOX_PENDING:
			out->pending = n;
			out->oldest_due = store_pg_int(r, i, 2);
			break;
		case OUTBOX_SENDING:
			out->sending = n;
			break;
		case OUTBOX_SENT:
			out->sent = n;
			break;
		case OUTBOX_FAILED:
			out->failed = n;
			break;
		case OUTBOX_CANCELLED:
			out->cancelled = n;
			break;
		}
	}
	PQclear(r);
	return STORE_OK;
}

enum store_rc spa_digest_last(struct store *st, const char *team, int64_t *last)
{
	const char *p[1] = {team};

	return store_pg_one_int(st,
				"SELECT last_sent FROM digests WHERE team = $1",
				1, p, last, "digest last");
}

enum store_rc spa_digest_mark(struct store *st, const char *team, int64_t old,
			      int64_t now)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[3] = {team, store_pg_i64(a, now), store_pg_i64(b, old)};
	int64_t changed = 0;
	enum store_rc ret;

	if (old < 0)
		ret = store_pg_exec(st,
				    "INSERT INTO digests (team, last_sent) "
				    "VALUES ($1, $2) ON CONFLICT (team) DO "
				    "NOTHING",
				    2, p, &changed, "digest mark");
	else
		ret = store_pg_exec(st,
				    "UPDATE digests SET last_sent = $2 WHERE "
				    "team = $1 AND last_sent = $3",
				    3, p, &changed, "digest mark");
	if (ret != STORE_OK)
		return ret;
	return changed ? STORE_OK : STORE_NOTFOUND;
}

/* The window's commented ratings, oldest first; at most 200, so they come
 * in one result. */
static enum store_rc digest_comments(struct store *st, const char *const *p,
				     struct store_digest_stats *d)
{
	PGresult *r;
	enum store_rc ret;
	int n;

	if ((ret = store_pg_query(st, spa_digest_comments, 3, p, &r,
				  "digest comments")) != STORE_OK)
		return ret;
	if ((n = PQntuples(r)) > 0 &&
	    !(d->comments = calloc((size_t)n, sizeof(*d->comments))))
		goto oom;
	for (int i = 0; i < n; i++) {
		struct store_digest_comment *c = &d->comments[d->ncomments++];

		c->at = store_pg_int(r, i, 0);
		c->level = (int)store_pg_int(r, i, 1);
		if (store_pg_text(r, i, 2, &c->ticket) < 0 ||
		    store_pg_text(r, i, 3, &c->agent) < 0 ||
		    store_pg_text(r, i, 4, &c->why) < 0 ||
		    store_pg_text(r, i, 5, &c->better) < 0)
			goto oom;
	}
	PQclear(r);
	return STORE_OK;
oom:
	PQclear(r);
	store_set_err(st, "digest comments: out of memory");
	return STORE_ERROR;
}

enum store_rc spa_digest_stats(struct store *st, const char *team,
			       int64_t since, int64_t until,
			       struct store_digest_stats *out)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[3] = {team, store_pg_i64(a, since),
			    store_pg_i64(b, until)};
	const char *po[2];
	PGresult *r;
	enum store_rc ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_pg_query(st, spa_digest_levels, 3, p, &r,
				  "digest levels")) != STORE_OK)
		return ret;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t lv = store_pg_int(r, i, 0);
		int64_t n = store_pg_int(r, i, 1);
		if (lv >= 0 && lv <= STORE_MAX_LEVEL)
			out->levels[lv] += n;
		out->rated += n;
	}
	PQclear(r);

	if ((ret = two_ints(st, spa_digest_surveys, 3, p, &out->surveyed,
			    &out->answered, "digest surveys")) != STORE_OK)
		return ret;
	po[0] = p[0];
	po[1] = store_outbox_kind_name(OUTBOX_ALERT);
	if ((ret = store_pg_one_int(st, spa_digest_open, 2, po,
				    &out->open_alerts, "digest open alerts")) !=
	    STORE_OK)
		return ret;
	if ((ret = digest_comments(st, p, out)) != STORE_OK)
		store_digest_stats_free(out);
	return ret;
}

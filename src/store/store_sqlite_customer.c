/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite backend's customer ratings, closed tickets of a day and
 * digest claims (store_customer.h). A few calls a day per ticket: each
 * prepares and finalizes its statement. Bound parameters only. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_backend.h"
#include "store_customer.h"

/* Runs a statement that returns no rows; q is finalized. */
static enum store_rc sqc_done(struct store *st, sqlite3_stmt *q,
			      const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : store_sqlite_fail(st, rc, what);
}

static enum store_rc sqc_rating_add(struct store *st, struct customer_rating *r)
{
	sqlite3_stmt *q =
	    store_sqlite_prepare(st, "UPDATE customer_ratings SET "
				     "current = 0 WHERE survey_id = ?1 "
				     "AND current = 1");
	enum store_rc rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, r->survey_id);
	if ((rc = sqc_done(st, q, "customer rating")) != STORE_OK)
		return rc;
	q = store_sqlite_prepare(
	    st, "INSERT INTO customer_ratings (survey_id, rater, "
		"level, at, current) VALUES (?1, ?2, ?3, ?4, 1)");
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, r->survey_id);
	sqlite3_bind_text(q, 2, r->rater, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, r->level);
	sqlite3_bind_int64(q, 4, r->at);
	if ((rc = sqc_done(st, q, "customer rating")) != STORE_OK)
		return rc;
	r->id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	return STORE_OK;
}

static enum store_rc sqc_rating_current(struct store *st, int64_t survey_id,
					struct customer_rating *out)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id, survey_id, at, level, current, rater FROM "
		"customer_ratings WHERE survey_id = ?1 AND current = 1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(q, 0);
		out->survey_id = sqlite3_column_int64(q, 1);
		out->at = sqlite3_column_int64(q, 2);
		out->level = sqlite3_column_int(q, 3);
		out->current = sqlite3_column_int(q, 4);
		if (store_sqlite_col_text(q, 5, &out->rater) < 0) {
			store_set_err(st, "customer rating: out of memory");
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "customer rating");
	}
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_rating_count(struct store *st, int64_t survey_id,
				      int64_t *n)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT count(*) FROM customer_ratings WHERE survey_id = ?1");
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? STORE_OK
				: store_sqlite_fail(st, rc, "customer count");
}

static enum store_rc sqc_closed(struct store *st, int64_t since, int64_t until,
				struct customer_closed **out, size_t *n)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id, sent_at, team, ticket, subject, requester, agent "
		"FROM surveys WHERE sent_at >= ?1 AND sent_at < ?2 ORDER BY "
		"sent_at, id");
	size_t cap = 0;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct customer_closed *c;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			c = realloc(*out, nc * sizeof(*c));
			if (!c)
				goto oom;
			*out = c;
			cap = nc;
		}
		c = &(*out)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->survey_id = sqlite3_column_int64(q, 0);
		c->sent_at = sqlite3_column_int64(q, 1);
		if (store_sqlite_col_text(q, 2, &c->team) < 0 ||
		    store_sqlite_col_text(q, 3, &c->ticket) < 0 ||
		    store_sqlite_col_text(q, 4, &c->subject) < 0 ||
		    store_sqlite_col_text(q, 5, &c->requester) < 0 ||
		    store_sqlite_col_text(q, 6, &c->agent) < 0)
			goto oom;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		customer_closed_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_sqlite_fail(st, rc, "closed tickets");
	}
	return STORE_OK;
oom:
	sqlite3_finalize(q);
	customer_closed_free(*out, *n);
	*out = NULL;
	*n = 0;
	store_set_err(st, "closed tickets: out of memory");
	return STORE_ERROR;
}

static enum store_rc sqc_levels(struct store *st, const char *team,
				int64_t since, int64_t until,
				store_customer_level_emit emit, void *arg)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT s.team, c.level, count(*) FROM customer_ratings c "
		"JOIN surveys s ON s.id = c.survey_id WHERE c.current = 1 AND "
		"s.sent_at >= ?1 AND s.sent_at < ?2 AND (?3 IS NULL OR s.team "
		"= ?3 COLLATE NOCASE) GROUP BY s.team, c.level ORDER BY "
		"s.team, c.level");
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	if (team)
		sqlite3_bind_text(q, 3, team, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (emit(arg, (const char *)sqlite3_column_text(q, 0),
			 sqlite3_column_int(q, 1),
			 sqlite3_column_int64(q, 2))) {
			sqlite3_finalize(q);
			store_set_err(st, "customer levels: stopped");
			return STORE_ERROR;
		}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK
				 : store_sqlite_fail(st, rc, "customer levels");
}

static enum store_rc sqc_rows(struct store *st, const char *team, int64_t since,
			      int64_t until, store_customer_row_emit emit,
			      void *arg)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT c.id, c.survey_id, c.at, s.sent_at, c.level, "
		"c.current, c.rater, s.team, s.ticket, s.rule, s.subject FROM "
		"customer_ratings c JOIN surveys s ON s.id = c.survey_id WHERE "
		"c.at >= ?1 AND c.at < ?2 AND (?3 IS NULL OR s.team = ?3 "
		"COLLATE NOCASE) ORDER BY c.at, c.id");
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	if (team)
		sqlite3_bind_text(q, 3, team, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct customer_rating_row r;
		r.id = sqlite3_column_int64(q, 0);
		r.survey_id = sqlite3_column_int64(q, 1);
		r.at = sqlite3_column_int64(q, 2);
		r.sent_at = sqlite3_column_int64(q, 3);
		r.level = sqlite3_column_int(q, 4);
		r.current = sqlite3_column_int(q, 5);
		r.rater = (const char *)sqlite3_column_text(q, 6);
		r.team = (const char *)sqlite3_column_text(q, 7);
		r.ticket = (const char *)sqlite3_column_text(q, 8);
		r.rule = (const char *)sqlite3_column_text(q, 9);
		r.subject = (const char *)sqlite3_column_text(q, 10);
		if (emit(arg, &r)) {
			sqlite3_finalize(q);
			store_set_err(st, "customer ratings: stopped");
			return STORE_ERROR;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE
		   ? STORE_OK
		   : store_sqlite_fail(st, rc, "customer ratings");
}

static enum store_rc sqc_digest_claim(struct store *st, const char *rater,
				      const char *day, int64_t now,
				      int64_t lease, int *claimed)
{
	/* One statement: a new pair, a retry, or a claim whose holder died
	 * (lease over) goes to this caller; a held or finished one not. */
	sqlite3_stmt *q = store_sqlite_prepare(
	    st,
	    "INSERT INTO customer_digests (rater, day, state, lease_until,"
	    " attempts) VALUES (?1, ?2, " STORE_SQL_CDIGEST_SENDING ", ?3, "
	    "1) ON CONFLICT (rater, day) DO UPDATE SET state "
	    "= " STORE_SQL_CDIGEST_SENDING ", lease_until = ?3, attempts = "
	    "attempts + 1 WHERE state = " STORE_SQL_CDIGEST_PENDING " OR "
	    "(state = " STORE_SQL_CDIGEST_SENDING " AND lease_until <= ?4)");
	enum store_rc rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, rater, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now + lease);
	sqlite3_bind_int64(q, 4, now);
	if ((rc = sqc_done(st, q, "customer digest claim")) != STORE_OK)
		return rc;
	*claimed = sqlite3_changes(store_sqlite_db(st)) > 0;
	return STORE_OK;
}

static enum store_rc sqc_digest_finish(struct store *st, const char *rater,
				       const char *day, int state, int64_t now,
				       const char *error)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st,
	    "UPDATE customer_digests SET state = ?3, lease_until = 0, "
	    "sent_at = CASE WHEN ?3 = " STORE_SQL_CDIGEST_SENT " THEN ?4 ELSE "
	    "sent_at END, "
	    "last_error = ?5 WHERE rater = ?1 AND day = ?2");

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, rater, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, state);
	sqlite3_bind_int64(q, 4, now);
	if (error)
		sqlite3_bind_text(q, 5, error, -1, SQLITE_STATIC);
	return sqc_done(st, q, "customer digest finish");
}

static enum store_rc sqc_digest_state(struct store *st, const char *rater,
				      const char *day, int *state)
{
	sqlite3_stmt *q =
	    store_sqlite_prepare(st, "SELECT state FROM customer_digests "
				     "WHERE rater = ?1 AND day = ?2");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, rater, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, day, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*state = sqlite3_column_int(q, 0);
	else if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		ret = store_sqlite_fail(st, rc, "customer digest");
	sqlite3_finalize(q);
	return ret;
}

const struct store_customer_ops store_sqlite_customer_ops = {
    .rating_add = sqc_rating_add,
    .rating_current = sqc_rating_current,
    .rating_count = sqc_rating_count,
    .closed = sqc_closed,
    .levels = sqc_levels,
    .rows = sqc_rows,
    .digest_claim = sqc_digest_claim,
    .digest_finish = sqc_digest_finish,
    .digest_state = sqc_digest_state,
};

/* SPDX-License-Identifier: BSD-2-Clause */
/* The PostgreSQL backend's customer ratings, closed tickets of a day and
 * digest claims (store_customer.h). */
#include <stdlib.h>
#include <string.h>

#include "store_customer.h"
#include "store_pg.h"

static enum store_rc spc_rating_add(struct store *st, struct customer_rating *r)
{
	char a[STORE_PG_I64], b[STORE_PG_I64], c[STORE_PG_I64];
	const char *p[4] = {store_pg_i64(a, r->survey_id), r->rater,
			    store_pg_i64(b, r->level), store_pg_i64(c, r->at)};
	enum store_rc rc;

	rc = store_pg_exec(st,
			   "UPDATE customer_ratings SET current = 0 WHERE "
			   "survey_id = $1 AND current = 1",
			   1, p, NULL, "customer rating");
	if (rc != STORE_OK)
		return rc;
	return store_pg_one_int(st,
				"INSERT INTO customer_ratings (survey_id, "
				"rater, level, at, current) VALUES ($1, $2, "
				"$3, $4, 1) RETURNING id",
				4, p, &r->id, "customer rating");
}

static enum store_rc spc_rating_current(struct store *st, int64_t survey_id,
					struct customer_rating *out)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, survey_id)};
	PGresult *r;
	enum store_rc rc;

	rc = store_pg_query(st,
			    "SELECT id, survey_id, at, level, current, rater "
			    "FROM customer_ratings WHERE survey_id = $1 AND "
			    "current = 1",
			    1, p, &r, "customer rating");
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->id = store_pg_int(r, 0, 0);
	out->survey_id = store_pg_int(r, 0, 1);
	out->at = store_pg_int(r, 0, 2);
	out->level = (int)store_pg_int(r, 0, 3);
	out->current = (int)store_pg_int(r, 0, 4);
	if (store_pg_text(r, 0, 5, &out->rater) < 0) {
		PQclear(r);
		store_set_err(st, "customer rating: out of memory");
		return STORE_ERROR;
	}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc spc_rating_count(struct store *st, int64_t survey_id,
				      int64_t *n)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, survey_id)};

	return store_pg_one_int(st,
				"SELECT count(*) FROM customer_ratings WHERE "
				"survey_id = $1",
				1, p, n, "customer count");
}

static enum store_rc spc_closed(struct store *st, int64_t since, int64_t until,
				struct customer_closed **out, size_t *n)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[2] = {store_pg_i64(a, since), store_pg_i64(b, until)};
	PGresult *r;
	enum store_rc rc;
	int rows;

	rc = store_pg_query(st,
			    "SELECT id, sent_at, team, ticket, subject, "
			    "requester, agent FROM surveys WHERE sent_at >= "
			    "$1 AND sent_at < $2 ORDER BY sent_at, id",
			    2, p, &r, "closed tickets");
	if (rc != STORE_OK)
		return rc;
	rows = PQntuples(r);
	if (rows && !(*out = calloc((size_t)rows, sizeof(**out))))
		goto oom;
	for (int i = 0; i < rows; i++) {
		struct customer_closed *c = &(*out)[i];
		*n = (size_t)i + 1;
		c->survey_id = store_pg_int(r, i, 0);
		c->sent_at = store_pg_int(r, i, 1);
		if (store_pg_text(r, i, 2, &c->team) < 0 ||
		    store_pg_text(r, i, 3, &c->ticket) < 0 ||
		    store_pg_text(r, i, 4, &c->subject) < 0 ||
		    store_pg_text(r, i, 5, &c->requester) < 0 ||
		    store_pg_text(r, i, 6, &c->agent) < 0)
			goto oom;
	}
	PQclear(r);
	return STORE_OK;
oom:
	PQclear(r);
	customer_closed_free(*out, *n);
	*out = NULL;
	*n = 0;
	store_set_err(st, "closed tickets: out of memory");
	return STORE_ERROR;
}

static enum store_rc spc_levels(struct store *st, const char *team,
				int64_t since, int64_t until,
				store_customer_level_emit emit, void *arg)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[3] = {store_pg_i64(a, since), store_pg_i64(b, until),
			    team};
	PGresult *r;
	enum store_rc rc;

	/* lower() on both sides: the SQLite side compares NOCASE (ASCII) */
	rc = store_pg_query(st,
			    "SELECT s.team, c.level, count(*) FROM "
			    "customer_ratings c JOIN surveys s ON s.id = "
			    "c.survey_id WHERE c.current = 1 AND s.sent_at >= "
			    "$1 AND s.sent_at < $2 AND ($3::text IS NULL OR "
			    "lower(s.team) = lower($3::text)) GROUP BY s.team, "
			    "c.level ORDER BY s.team, c.level",
			    3, p, &r, "customer levels");
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		if (emit(arg, store_pg_col(r, i, 0), (int)store_pg_int(r, i, 1),
			 store_pg_int(r, i, 2))) {
			PQclear(r);
			store_set_err(st, "customer levels: stopped");
			return STORE_ERROR;
		}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc spc_rows(struct store *st, const char *team, int64_t since,
			      int64_t until, store_customer_row_emit emit,
			      void *arg)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[3] = {store_pg_i64(a, since), store_pg_i64(b, until),
			    team};
	PGresult *r;
	enum store_rc rc;

	rc = store_pg_query(st,
			    "SELECT c.id, c.survey_id, c.at, s.sent_at, "
			    "c.level, c.current, c.rater, s.team, s.ticket, "
			    "s.rule, s.subject FROM customer_ratings c JOIN "
			    "surveys s ON s.id = c.survey_id WHERE c.at >= $1 "
			    "AND c.at < $2 AND ($3::text IS NULL OR "
			    "lower(s.team) = lower($3::text)) ORDER BY c.at, "
			    "c.id",
			    3, p, &r, "customer ratings");
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		struct customer_rating_row w;
		w.id = store_pg_int(r, i, 0);
		w.survey_id = store_pg_int(r, i, 1);
		w.at = store_pg_int(r, i, 2);
		w.sent_at = store_pg_int(r, i, 3);
		w.level = (int)store_pg_int(r, i, 4);
		w.current = (int)store_pg_int(r, i, 5);
		w.rater = store_pg_col(r, i, 6);
		w.team = store_pg_col(r, i, 7);
		w.ticket = store_pg_col(r, i, 8);
		w.rule = store_pg_col(r, i, 9);
		w.subject = store_pg_col(r, i, 10);
		if (emit(arg, &w)) {
			PQclear(r);
			store_set_err(st, "customer ratings: stopped");
			return STORE_ERROR;
		}
	}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc spc_digest_claim(struct store *st, const char *rater,
				      const char *day, int64_t now,
				      int64_t lease, int *claimed)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[4] = {rater, day, store_pg_i64(a, now + lease),
			    store_pg_i64(b, now)};
	int64_t changed = 0;
	enum store_rc rc;

	rc = store_pg_exec(
	    st,
	    "INSERT INTO customer_digests AS d (rater, day, "
	    "state, lease_until, attempts) VALUES ($1, "
	    "$2, " STORE_SQL_CDIGEST_SENDING ", $3, 1) ON CONFLICT "
	    "(rater, day) DO UPDATE SET state = " STORE_SQL_CDIGEST_SENDING
	    ", lease_until = $3, "
	    "attempts = d.attempts + 1 WHERE d.state "
	    "= " STORE_SQL_CDIGEST_PENDING
	    " OR (d.state = " STORE_SQL_CDIGEST_SENDING " AND d.lease_until <= "
	    "$4::bigint)",
	    4, p, &changed, "customer digest claim");
	if (rc == STORE_OK)
		*claimed = changed > 0;
	return rc;
}

static enum store_rc spc_digest_finish(struct store *st, const char *rater,
				       const char *day, int state, int64_t now,
				       const char *error)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[5] = {rater, day, store_pg_i64(a, state),
			    store_pg_i64(b, now), error};

	return store_pg_exec(st,
			     "UPDATE customer_digests SET state = $3::int, "
			     "lease_until = 0, sent_at = CASE WHEN $3::int "
			     "= " STORE_SQL_CDIGEST_SENT
			     " THEN $4::bigint ELSE "
			     "sent_at END, last_error "
			     "= $5::text WHERE rater = $1 AND day = $2",
			     5, p, NULL, "customer digest finish");
}

static enum store_rc spc_digest_state(struct store *st, const char *rater,
				      const char *day, int *state)
{
	const char *p[2] = {rater, day};
	int64_t v = 0;
	enum store_rc rc;

	rc = store_pg_one_int(st,
			      "SELECT state FROM customer_digests WHERE rater "
			      "= $1 AND day = $2",
			      2, p, &v, "customer digest");
	if (rc == STORE_OK)
		*state = (int)v;
	return rc;
}

const struct store_customer_ops store_pg_customer_ops = {
    .rating_add = spc_rating_add,
    .rating_current = spc_rating_current,
    .rating_count = spc_rating_count,
    .closed = spc_closed,
    .levels = spc_levels,
    .rows = spc_rows,
    .digest_claim = spc_digest_claim,
    .digest_finish = spc_digest_finish,
    .digest_state = spc_digest_state,
};

/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite backend's alert ops: outbox rows by id, acknowledgements,
 * a requester's earlier alerts, outbox totals for /metrics and the digest
 * schedule and figures. These run a few times a minute at most, so each
 * call prepares its statement and finalizes it: no slot in the cached
 * statement table of store_sqlite.c. Bound parameters only. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"

enum store_rc sqa_outbox_get(struct store *st, int64_t id,
			     struct outbox_item *out, int64_t *created_at)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id, kind, coalesce(survey_id, 0), "
		"coalesce(rating_id, 0), due, attempts, state, last_error, "
		"created_at FROM outbox WHERE id = ?1");
	enum store_rc ret = STORE_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(q, 0);
		out->survey_id = sqlite3_column_int64(q, 2);
		out->rating_id = sqlite3_column_int64(q, 3);
		out->due = sqlite3_column_int64(q, 4);
		out->attempts = sqlite3_column_int(q, 5);
		out->state = sqlite3_column_int(q, 6);
		if (created_at)
			*created_at = sqlite3_column_int64(q, 8);
		out->kind = store_outbox_kind_parse(
		    (const char *)sqlite3_column_text(q, 1));
		if (store_sqlite_col_text(q, 7, &out->last_error) < 0) {
			outbox_item_free(out);
			store_set_err(st, "outbox get: out of memory");
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		store_set_err(st, "outbox get: no row %lld", (long long)id);
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "outbox get");
	}
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc ack_read(struct store *st, int64_t outbox_id,
			      char **by_out, int64_t *at_out)
{
	sqlite3_stmt *q =
	    store_sqlite_prepare(st, "SELECT acked_by, acked_at FROM "
				     "alert_acks WHERE outbox_id = ?1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, outbox_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (at_out)
			*at_out = sqlite3_column_int64(q, 1);
		if (by_out && store_sqlite_col_text(q, 0, by_out) < 0) {
			store_set_err(st, "alert ack: out of memory");
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "alert ack");
	}
	sqlite3_finalize(q);
	return ret;
}

/* The first acknowledgement counts: a second click (a colleague, or the
 * same person twice) reads it back instead of overwriting it. */
enum store_rc sqa_alert_ack(struct store *st, int64_t outbox_id, const char *by,
			    int64_t at, char **by_out, int64_t *at_out)
{
	sqlite3_stmt *q;
	enum store_rc ret;
	int rc;

	if (by_out)
		*by_out = NULL;
	if (!by)
		return ack_read(st, outbox_id, by_out, at_out);
	if ((ret = store_begin(st)) != STORE_OK)
		return ret;
	q = store_sqlite_prepare(st,
				 "INSERT OR IGNORE INTO alert_acks (outbox_id, "
				 "acked_by, acked_at) SELECT id, ?2, ?3 FROM "
				 "outbox WHERE id = ?1");
	if (!q) {
		store_rollback(st);
		return store_sqlite_fail_rc(st);
	}
	sqlite3_bind_int64(q, 1, outbox_id);
	sqlite3_bind_text(q, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, at);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		ret = store_sqlite_fail(st, rc, "alert ack");
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
	if (store_commit(st) != STORE_OK) {
		if (by_out) {
			free(*by_out);
			*by_out = NULL;
		}
		return STORE_ERROR;
	}
	return ret;
}

/* Runs q and reads two integers of its one row. */
static enum store_rc two_ints(struct store *st, sqlite3_stmt *q, int64_t *a,
			      int64_t *b, const char *what)
{
	int rc = sqlite3_step(q);
	enum store_rc ret = STORE_OK;

	if (rc == SQLITE_ROW) {
		*a = sqlite3_column_int64(q, 0);
		if (b)
			*b = sqlite3_column_int64(q, 1);
	} else if (rc == SQLITE_DONE) {
		*a = 0;
		if (b)
			*b = 0;
	} else {
		ret = store_sqlite_fail(st, rc, what);
	}
	sqlite3_finalize(q);
	return ret;
}

enum store_rc sqa_requester_alerts(struct store *st, const char *requester,
				   int64_t exclude_survey, int64_t *count,
				   int64_t *last_at)
{
	sqlite3_stmt *q;

	*count = *last_at = 0;
	if (!requester)
		return STORE_OK;
	q = store_sqlite_prepare(
	    st, "SELECT count(*), coalesce(max(o.created_at), 0) FROM outbox o "
		"JOIN surveys s ON s.id = o.survey_id WHERE o.kind = ?3 AND "
		"o.state IN " STORE_SQL_OUTBOX_NOT_CANCELLED " AND "
		"s.requester = ?1 AND o.survey_id != ?2");
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, requester, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, exclude_survey);
	store_sqlite_bind_text(q, 3, store_outbox_kind_name(OUTBOX_ALERT));
	return two_ints(st, q, count, last_at, "requester alerts");
}

enum store_rc sqa_outbox_stats(struct store *st, struct store_outbox_stats *out)
{
	sqlite3_stmt *q;
	int rc;
	enum store_rc ret = STORE_OK;

	memset(out, 0, sizeof(*out));
	q = store_sqlite_prepare(st,
				 "SELECT state, count(*), min(due) FROM outbox "
				 "GROUP BY state");
	if (!q)
		return store_sqlite_fail_rc(st);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(q, 1);
		switch (sqlite3_column_int(q, 0)) {
		case OUTBOX_PENDING:
			out->pending = n;
			out->oldest_due = sqlite3_column_int64(q, 2);
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
	if (rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, "outbox stats");
	sqlite3_finalize(q);
	return ret;
}

enum store_rc sqa_digest_last(struct store *st, const char *team, int64_t *last)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT last_sent FROM digests WHERE team = ?1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		ret = store_sqlite_fail(st, rc, "digest last");
	sqlite3_finalize(q);
	return ret;
}

enum store_rc sqa_digest_mark(struct store *st, const char *team, int64_t old,
			      int64_t now)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, old < 0 ? "INSERT OR IGNORE INTO digests (team, last_sent) "
			  "VALUES (?1, ?2)"
			: "UPDATE digests SET last_sent = ?2 WHERE team = ?1 "
			  "AND last_sent = ?3");
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	if (old >= 0)
		sqlite3_bind_int64(q, 3, old);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(st, rc, "digest mark");
	return sqlite3_changes(store_sqlite_db(st)) ? STORE_OK : STORE_NOTFOUND;
}

static enum store_rc digest_comments(struct store *st, const char *team,
				     int64_t since, int64_t until,
				     struct store_digest_stats *d)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT at, level, ticket, agent, why, better FROM "
		"current_ratings WHERE team = ?1 COLLATE NOCASE AND at >= ?2 "
		"AND at < ?3 AND (coalesce(why, '') != '' OR "
		"coalesce(better, '') != '') ORDER BY at, rating_id LIMIT 200");
	size_t cap = 0;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, since);
	sqlite3_bind_int64(q, 3, until);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_digest_comment *c;
		if (d->ncomments == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			c = realloc(d->comments, ncap * sizeof(*c));
			if (!c)
				goto oom;
			d->comments = c;
			cap = ncap;
		}
		c = &d->comments[d->ncomments++];
		memset(c, 0, sizeof(*c));
		c->at = sqlite3_column_int64(q, 0);
		c->level = sqlite3_column_int(q, 1);
		if (store_sqlite_col_text(q, 2, &c->ticket) < 0 ||
		    store_sqlite_col_text(q, 3, &c->agent) < 0 ||
		    store_sqlite_col_text(q, 4, &c->why) < 0 ||
		    store_sqlite_col_text(q, 5, &c->better) < 0)
			goto oom;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK
				 : store_sqlite_fail(st, rc, "digest comments");
oom:
	sqlite3_finalize(q);
	store_set_err(st, "digest comments: out of memory");
	return STORE_ERROR;
}

enum store_rc sqa_digest_stats(struct store *st, const char *team,
			       int64_t since, int64_t until,
			       struct store_digest_stats *out)
{
	sqlite3_stmt *q;
	enum store_rc ret;
	int rc;

	memset(out, 0, sizeof(*out));
	q = store_sqlite_prepare(
	    st, "SELECT level, count(*) FROM current_ratings "
		"WHERE team = ?1 COLLATE NOCASE AND at >= ?2 AND "
		"at < ?3 GROUP BY level");
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, since);
	sqlite3_bind_int64(q, 3, until);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int lv = sqlite3_column_int(q, 0);
		int64_t n = sqlite3_column_int64(q, 1);
		if (lv >= 0 && lv <= STORE_MAX_LEVEL)
			out->levels[lv] += n;
		out->rated += n;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(st, rc, "digest levels");

	q = store_sqlite_prepare(
	    st, "SELECT count(*), count(r.id) FROM surveys s "
		"LEFT JOIN ratings r ON r.survey_id = s.id AND "
		"r.current = 1 WHERE s.team = ?1 COLLATE NOCASE "
		"AND s.status = " STORE_SQL_SURVEY_SENT " AND "
		"s.sent_at >= ?2 AND "
		"s.sent_at < ?3");
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, since);
	sqlite3_bind_int64(q, 3, until);
	if ((ret = two_ints(st, q, &out->surveyed, &out->answered,
			    "digest surveys")) != STORE_OK)
		return ret;

	q = store_sqlite_prepare(
	    st,
	    "SELECT count(*) FROM outbox o JOIN surveys s ON s.id = "
	    "o.survey_id WHERE o.kind = ?2 AND o.state = " STORE_SQL_OUTBOX_SENT
	    " AND s.team = ?1 COLLATE NOCASE AND "
	    "NOT EXISTS (SELECT 1 FROM alert_acks a WHERE "
	    "a.outbox_id = o.id)");
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_text(q, 1, team, -1, SQLITE_STATIC);
	store_sqlite_bind_text(q, 2, store_outbox_kind_name(OUTBOX_ALERT));
	if ((ret = two_ints(st, q, &out->open_alerts, NULL,
			    "digest open alerts")) != STORE_OK)
		return ret;
	if ((ret = digest_comments(st, team, since, until, out)) != STORE_OK)
		store_digest_stats_free(out);
	return ret;
}

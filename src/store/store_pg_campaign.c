/* SPDX-License-Identifier: BSD-2-Clause */
/* The PostgreSQL backend's campaign ops, with the semantics of
 * store_sqlite_campaign.c. Bound parameters only; store_pg.c prepares each
 * text once per connection. */
#include <stdlib.h>
#include <string.h>

#include "store_campaign_backend.h"
#include "store_pg.h"

struct spc_each {
	store_campaign_emit emit;
	void *arg;
};

static int spc_row(const PGresult *r, void *arg)
{
	struct spc_each *e = arg;
	struct store_campaign_candidate c = {
	    store_pg_col(r, 0, 0), store_pg_col(r, 0, 1),
	    store_pg_col(r, 0, 2), store_pg_int(r, 0, 3),
	    store_pg_int(r, 0, 4), (int)store_pg_int(r, 0, 5),
	};
	return e->emit(e->arg, &c);
}

/* DISTINCT ON keeps the newest survey per requester: its team and
 * language, as SQLite's bare columns of max() do. */
static enum store_rc spc_candidates(struct store *st, int64_t since,
				    store_campaign_emit emit, void *arg)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, since)};
	struct spc_each e = {emit, arg};

	return store_pg_each(
	    st,
	    "SELECT DISTINCT ON (s.requester) s.requester, s.team, "
	    "s.language, s.sent_at, c.last_sent, (u.address IS NOT NULL)::int "
	    "FROM surveys s LEFT JOIN campaign_contacts c ON c.address = "
	    "s.requester LEFT JOIN campaign_unsubscribes u ON u.address = "
	    "s.requester WHERE s.requester IS NOT NULL AND s.requester <> '' "
	    "AND s.sent_at >= $1::bigint ORDER BY s.requester, s.sent_at DESC, "
	    "s.id DESC",
	    1, p, spc_row, &e, "campaign candidates");
}

static enum store_rc spc_last_round(struct store *st, const char *campaign,
				    int64_t *round_id, int64_t *started_at)
{
	const char *p[1] = {campaign};
	PGresult *r;
	enum store_rc ret;

	if ((ret = store_pg_query(st,
				  "SELECT id, started_at FROM campaign_rounds "
				  "WHERE campaign = $1::text ORDER BY "
				  "started_at DESC, id DESC LIMIT 1",
				  1, p, &r, "campaign last round")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		ret = STORE_NOTFOUND;
	} else {
		*round_id = store_pg_int(r, 0, 0);
		*started_at = store_pg_int(r, 0, 1);
	}
	PQclear(r);
	return ret;
}

/* One round trip per recipient: the outbox row, the recipient and the
 * contact time in data-modifying CTEs. */
static enum store_rc spc_queue(struct store *st, const char *campaign,
			       int anonymous, int64_t now,
			       struct store_campaign_recipient *r, size_t n,
			       int64_t *round_id)
{
	char a[STORE_PG_I64], b[STORE_PG_I64];
	const char *p[5];
	PGresult *res;
	enum store_rc ret;

	p[0] = campaign;
	p[1] = store_pg_i64(a, now);
	p[2] = anonymous ? "1" : "0";
	if ((ret = store_pg_one_int(
		 st,
		 "INSERT INTO campaign_rounds (campaign, started_at, "
		 "anonymous) VALUES ($1::text, $2::bigint, $3::int) "
		 "RETURNING id",
		 3, p, round_id, "campaign round")) != STORE_OK)
		return ret == STORE_NOTFOUND ? STORE_ERROR : ret;
	for (size_t i = 0; i < n; i++) {
		const char *q[6] = {store_pg_i64(a, now),
				    store_pg_i64(b, *round_id),
				    r[i].team,
				    r[i].language,
				    r[i].address,
				    store_outbox_kind_name(OUTBOX_CAMPAIGN)};
		if ((ret = store_pg_query(
			 st,
			 "WITH o AS (INSERT INTO outbox (kind, due, "
			 "created_at) VALUES ($6::text, $1::bigint, "
			 "$1::bigint) RETURNING id), rc AS (INSERT INTO "
			 "campaign_recipients (round_id, team, language, "
			 "address, outbox_id, sent_at) SELECT $2::bigint, "
			 "$3::text, $4::text, $5::text, o.id, $1::bigint FROM "
			 "o RETURNING id, outbox_id), ct AS (INSERT INTO "
			 "campaign_contacts (address, last_sent) VALUES "
			 "($5::text, $1::bigint) ON CONFLICT (address) DO "
			 "UPDATE SET last_sent = excluded.last_sent) SELECT "
			 "id, outbox_id FROM rc",
			 6, q, &res, "campaign recipient")) != STORE_OK)
			return ret;
		if (PQntuples(res) != 1) {
			PQclear(res);
			store_set_err(st, "campaign recipient: no row");
			return STORE_ERROR;
		}
		r[i].id = store_pg_int(res, 0, 0);
		r[i].outbox_id = store_pg_int(res, 0, 1);
		PQclear(res);
	}
	return STORE_OK;
}

static enum store_rc spc_unsubscribe(struct store *st, const char *address,
				     int64_t at)
{
	char a[STORE_PG_I64];
	const char *p[2] = {address, store_pg_i64(a, at)};

	return store_pg_exec(st,
			     "INSERT INTO campaign_unsubscribes (address, at) "
			     "VALUES ($1::text, $2::bigint) ON CONFLICT "
			     "(address) DO NOTHING",
			     2, p, NULL, "campaign unsubscribe");
}

static enum store_rc spc_unsubscribed(struct store *st, const char *address)
{
	const char *p[1] = {address};
	int64_t v;

	return store_pg_one_int(st,
				"SELECT 1 FROM campaign_unsubscribes WHERE "
				"address = $1::text",
				1, p, &v, "campaign unsubscribed");
}

static enum store_rc spc_recipient(struct store *st, int64_t id,
				   struct store_campaign_row *out)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, id)};
	PGresult *r;
	enum store_rc ret;

	if ((ret = store_pg_query(
		 st,
		 "SELECT r.id, r.round_id, coalesce(r.outbox_id, 0), "
		 "r.sent_at, coalesce(r.answered_at, 0), k.anonymous, "
		 "coalesce((SELECT a.level FROM campaign_answers a WHERE "
		 "a.recipient_id = r.id AND a.current = 1), -1), k.campaign, "
		 "r.team, r.language, r.address, coalesce((SELECT "
		 "a.alert_outbox_id FROM campaign_answers a WHERE "
		 "a.recipient_id = r.id AND a.current = 1), 0) FROM "
		 "campaign_recipients r "
		 "JOIN campaign_rounds k ON k.id = r.round_id WHERE r.id = "
		 "$1::bigint",
		 1, p, &r, "campaign recipient")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		ret = STORE_NOTFOUND;
	} else {
		out->id = store_pg_int(r, 0, 0);
		out->round_id = store_pg_int(r, 0, 1);
		out->outbox_id = store_pg_int(r, 0, 2);
		out->sent_at = store_pg_int(r, 0, 3);
		out->answered_at = store_pg_int(r, 0, 4);
		out->anonymous = (int)store_pg_int(r, 0, 5);
		out->level = (int)store_pg_int(r, 0, 6);
		out->followup_id = store_pg_int(r, 0, 11);
		if (store_pg_text(r, 0, 7, &out->campaign) < 0 ||
		    store_pg_text(r, 0, 8, &out->team) < 0 ||
		    store_pg_text(r, 0, 9, &out->language) < 0 ||
		    store_pg_text(r, 0, 10, &out->address) < 0) {
			store_campaign_row_free(out);
			store_set_err(st, "campaign recipient: out of memory");
			ret = STORE_ERROR;
		}
	}
	PQclear(r);
	return ret;
}

static enum store_rc spc_by_outbox(struct store *st, int64_t outbox_id,
				   int64_t *recipient_id)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, outbox_id)};

	return store_pg_one_int(st,
				"SELECT id FROM campaign_recipients WHERE "
				"outbox_id = $1::bigint",
				1, p, recipient_id, "campaign by outbox");
}

/* Queues f's outbox row due then and ties it to the answer. */
static enum store_rc spc_followup_add(struct store *st, int64_t answer_id,
				      int64_t at,
				      const struct store_campaign_followup *f)
{
	char n[STORE_PG_I64], d[STORE_PG_I64], a[STORE_PG_I64];
	const char *q[4] = {store_pg_i64(n, answer_id), store_pg_i64(d, f->due),
			    store_pg_i64(a, at),
			    store_outbox_kind_name(f->kind)};

	return store_pg_exec(
	    st,
	    "WITH o AS (INSERT INTO outbox (kind, due, created_at) VALUES "
	    "($4::text, $2::bigint, $3::bigint) RETURNING id) UPDATE "
	    "campaign_answers SET alert_outbox_id = (SELECT id FROM o) WHERE "
	    "id = $1::bigint",
	    4, q, NULL, "campaign follow-up");
}

static enum store_rc spc_answer(struct store *st, int64_t recipient_id,
				int level, int source, const char *why,
				const char *better, int64_t at,
				const struct store_campaign_followup *f,
				int64_t *answer_id)
{
	char a[STORE_PG_I64], b[STORE_PG_I64], l[STORE_PG_I64], s[STORE_PG_I64],
	    n[STORE_PG_I64];
	const char *p[6] = {store_pg_i64(a, recipient_id),
			    store_pg_i64(b, at),
			    store_pg_i64(l, level),
			    store_pg_i64(s, source),
			    why,
			    better};
	enum store_rc ret;

	/* the recipient row first: a second answer at once waits here */
	if ((ret = store_pg_exec(
		 st,
		 "UPDATE campaign_recipients SET answered_at = $2::bigint, "
		 "address = CASE WHEN (SELECT anonymous FROM campaign_rounds "
		 "k WHERE k.id = round_id) = 1 THEN NULL ELSE address END "
		 "WHERE id = $1::bigint",
		 2, p, NULL, "campaign answer")) != STORE_OK)
		return ret;
	if ((ret = store_pg_exec(st,
				 "UPDATE campaign_answers SET current = 0 "
				 "WHERE recipient_id = $1::bigint AND "
				 "current = 1",
				 1, p, NULL, "campaign answer")) != STORE_OK)
		return ret;
	ret = store_pg_one_int(
	    st,
	    "INSERT INTO campaign_answers (recipient_id, at, level, source, "
	    "why, better) VALUES ($1::bigint, $2::bigint, $3::int, $4::int, "
	    "$5::text, $6::text) RETURNING id",
	    6, p, answer_id, "campaign answer");
	if (ret != STORE_OK)
		return ret == STORE_NOTFOUND ? STORE_ERROR : ret;
	{
		/* a changed mind replaces the earlier pending follow-up */
		const char *q[4] = {
		    p[0], store_pg_i64(n, *answer_id),
		    store_outbox_kind_name(OUTBOX_CAMPAIGN_ALERT),
		    store_outbox_kind_name(OUTBOX_CAMPAIGN_KUDOS)};
		if ((ret = store_pg_exec(
			 st,
			 "UPDATE outbox SET state = " STORE_SQL_OUTBOX_CANCELLED
			 " WHERE state = " STORE_SQL_OUTBOX_PENDING " AND "
			 "kind IN ($3::text, $4::text) AND id IN (SELECT "
			 "alert_outbox_id FROM campaign_answers WHERE "
			 "recipient_id = $1::bigint AND id <> $2::bigint)",
			 4, q, NULL, "campaign follow-up")) != STORE_OK)
			return ret;
	}
	if (f->kind != OUTBOX_KIND_UNKNOWN)
		ret = spc_followup_add(st, *answer_id, at, f);
	return ret;
}

static enum store_rc spc_comment(struct store *st, int64_t recipient_id,
				 int level, int source, const char *why,
				 const char *better, int64_t at,
				 const struct store_campaign_followup *f)
{
	char a[STORE_PG_I64], l[STORE_PG_I64], s[STORE_PG_I64];
	const char *p[5] = {store_pg_i64(a, recipient_id),
			    store_pg_i64(l, level), store_pg_i64(s, source),
			    why, better};
	PGresult *r;
	enum store_rc ret;
	int64_t id;
	int none;

	if ((ret = store_pg_query(
		 st,
		 "UPDATE campaign_answers SET why = coalesce($4::text, why), "
		 "better = coalesce($5::text, better) WHERE recipient_id = "
		 "$1::bigint AND current = 1 AND level = $2::int AND source = "
		 "$3::int RETURNING id, (alert_outbox_id IS NULL)::int",
		 5, p, &r, "campaign comment")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	id = store_pg_int(r, 0, 0);
	none = (int)store_pg_int(r, 0, 1);
	PQclear(r);
	if (f->kind != OUTBOX_KIND_UNKNOWN && none)
		ret = spc_followup_add(st, id, at, f);
	return ret;
}

/* The recipient row gives the hit an anonymous campaign's blank ip and
 * user agent; a recipient that is gone (purged) takes no hit. */
static enum store_rc spc_hit_insert(struct store *st, struct hit *h)
{
	char b1[STORE_PG_I64], b2[STORE_PG_I64], b3[STORE_PG_I64];
	const char *p[] = {store_pg_i64(b1, h->survey_id),
			   store_pg_i64(b2, h->at),
			   store_pg_i64(b3, h->level),
			   h->machine ? "1" : "0",
			   h->ip,
			   h->user_agent};
	enum store_rc ret = store_pg_one_int(
	    st,
	    "INSERT INTO campaign_hits (recipient_id, at, level, machine, ip, "
	    "user_agent) SELECT r.id, $2::bigint, $3::int, $4::int, CASE WHEN "
	    "k.anonymous = 1 THEN NULL ELSE $5::text END, CASE WHEN "
	    "k.anonymous = 1 THEN NULL ELSE $6::text END FROM "
	    "campaign_recipients r JOIN campaign_rounds k ON k.id = "
	    "r.round_id WHERE r.id = $1::bigint RETURNING id",
	    6, p, &h->id, "campaign hit");

	if (ret == STORE_NOTFOUND)
		store_set_err(st, "campaign hit: no recipient %lld",
			      (long long)h->survey_id);
	return ret;
}

struct spc_hits {
	struct hit *arr;
	size_t n, cap;
};

static int spc_hit_row(const PGresult *r, void *arg)
{
	struct spc_hits *l = arg;
	struct hit *h;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct hit *na = realloc(l->arr, ncap * sizeof(*na));
		if (!na)
			return 1;
		l->arr = na;
		l->cap = ncap;
	}
	h = &l->arr[l->n++];
	memset(h, 0, sizeof(*h));
	h->id = store_pg_int(r, 0, 0);
	h->survey_id = store_pg_int(r, 0, 1);
	h->at = store_pg_int(r, 0, 2);
	h->level = (int)store_pg_int(r, 0, 3);
	h->machine = (int)store_pg_int(r, 0, 4);
	return store_pg_text(r, 0, 5, &h->ip) < 0 ||
	       store_pg_text(r, 0, 6, &h->user_agent) < 0;
}

static enum store_rc spc_hit_list(struct store *st, int64_t recipient_id,
				  int64_t since, struct hit **out, size_t *n)
{
	char b1[STORE_PG_I64], b2[STORE_PG_I64];
	const char *p[] = {store_pg_i64(b1, recipient_id),
			   store_pg_i64(b2, since)};
	struct spc_hits l = {NULL, 0, 0};
	enum store_rc ret = store_pg_each(
	    st,
	    "SELECT id, recipient_id, at, level, machine, ip, user_agent FROM "
	    "campaign_hits WHERE recipient_id = $1::bigint AND at >= "
	    "$2::bigint ORDER BY at, id",
	    2, p, spc_hit_row, &l, "campaign hits");

	if (ret != STORE_OK) {
		hit_list_free(l.arr, l.n);
		return ret;
	}
	*out = l.arr;
	*n = l.n;
	return STORE_OK;
}

static enum store_rc spc_hit_mark_machine(struct store *st,
					  int64_t recipient_id, int64_t since)
{
	char b1[STORE_PG_I64], b2[STORE_PG_I64];
	const char *p[] = {store_pg_i64(b1, recipient_id),
			   store_pg_i64(b2, since)};

	return store_pg_exec(st,
			     "UPDATE campaign_hits SET machine = 1 WHERE "
			     "recipient_id = $1::bigint AND at >= $2::bigint",
			     2, p, NULL, "campaign hit mark machine");
}

struct spc_cells {
	store_campaign_cell_emit emit;
	void *arg;
};

static int spc_cell(const PGresult *r, void *arg)
{
	struct spc_cells *e = arg;
	struct store_campaign_cell c = {
	    store_pg_int(r, 0, 0), store_pg_int(r, 0, 1), store_pg_col(r, 0, 2),
	    store_pg_int(r, 0, 3), store_pg_int(r, 0, 4), store_pg_int(r, 0, 5),
	    store_pg_int(r, 0, 6), store_pg_int(r, 0, 7), store_pg_int(r, 0, 8),
	    store_pg_int(r, 0, 9),
	};
	return e->emit(e->arg, &c);
}

static enum store_rc spc_report(struct store *st, const char *campaign,
				store_campaign_cell_emit emit, void *arg)
{
	const char *p[2] = {campaign,
			    store_outbox_kind_name(OUTBOX_CAMPAIGN_ALERT)};
	struct spc_cells e = {emit, arg};

	return store_pg_each(
	    st,
	    "SELECT k.id, k.started_at, r.team, count(*), count(a.id), "
	    "sum(CASE WHEN a.level >= 9 THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN a.level BETWEEN 7 AND 8 THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN a.level <= 6 THEN 1 ELSE 0 END), "
	    "(SELECT count(o.id) FROM campaign_recipients y JOIN "
	    "campaign_answers x ON x.recipient_id = y.id JOIN outbox o ON "
	    "o.id = x.alert_outbox_id WHERE y.round_id = k.id AND y.team IS "
	    "NOT DISTINCT FROM r.team AND o.kind = $2::text AND "
	    "o.state <> " STORE_SQL_OUTBOX_CANCELLED "), "
	    "(SELECT count(o.id) FROM campaign_recipients y JOIN "
	    "campaign_answers x ON x.recipient_id = y.id JOIN outbox o ON "
	    "o.id = x.alert_outbox_id JOIN alert_acks ak ON ak.outbox_id = "
	    "o.id WHERE y.round_id = k.id AND y.team IS NOT DISTINCT FROM "
	    "r.team AND o.kind = $2::text AND o.state "
	    "<> " STORE_SQL_OUTBOX_CANCELLED ") FROM "
	    "campaign_rounds k JOIN campaign_recipients r ON r.round_id = "
	    "k.id LEFT JOIN campaign_answers a ON a.recipient_id = r.id AND "
	    "a.current = 1 WHERE k.campaign = $1::text GROUP BY k.id, "
	    "k.started_at, r.team ORDER BY r.team, k.started_at, k.id",
	    2, p, spc_cell, &e, "campaign report");
}

static enum store_rc spc_alert_get(struct store *st, int64_t outbox_id,
				   struct store_campaign_alert *out)
{
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, outbox_id)};
	PGresult *r;
	enum store_rc ret;
	int64_t rid = 0;

	if ((ret = store_pg_query(st,
				  "SELECT recipient_id, level, at, better FROM "
				  "campaign_answers WHERE alert_outbox_id = "
				  "$1::bigint",
				  1, p, &r, "campaign alert")) != STORE_OK)
		return ret;
	if (PQntuples(r) == 0) {
		ret = STORE_NOTFOUND;
	} else {
		rid = store_pg_int(r, 0, 0);
		out->level = (int)store_pg_int(r, 0, 1);
		out->at = store_pg_int(r, 0, 2);
		if (store_pg_text(r, 0, 3, &out->better) < 0)
			ret = STORE_ERROR;
	}
	PQclear(r);
	if (ret == STORE_OK)
		ret = spc_recipient(st, rid, &out->r);
	return ret;
}

struct spc_closure {
	store_closure_rating_emit emit;
	void *arg;
};

static int spc_closure_row(const PGresult *r, void *arg)
{
	struct spc_closure *e = arg;
	struct store_closure_rating c = {
	    store_pg_int(r, 0, 0), (int)store_pg_int(r, 0, 1),
	    store_pg_col(r, 0, 2), store_pg_col(r, 0, 3),
	    store_pg_col(r, 0, 4),
	};
	return e->emit(e->arg, &c);
}

static enum store_rc spc_closure_ratings(struct store *st,
					 const char *requester, int limit,
					 store_closure_rating_emit emit,
					 void *arg)
{
	char a[STORE_PG_I64];
	const char *p[2] = {requester, store_pg_i64(a, limit)};
	struct spc_closure e = {emit, arg};

	return store_pg_each(st,
			     "SELECT at, level, scale, ticket, team FROM "
			     "current_ratings WHERE requester = $1::text "
			     "ORDER BY at DESC, rating_id DESC LIMIT "
			     "$2::bigint",
			     2, p, spc_closure_row, &e, "closure ratings");
}

static enum store_rc spc_purge(struct store *st, int64_t before, int anonymize)
{
	static const char *const anon[] = {
	    "UPDATE campaign_answers SET why = NULL, better = NULL WHERE "
	    "recipient_id IN (SELECT r.id FROM campaign_recipients r JOIN"
	    " campaign_rounds k ON k.id = r.round_id WHERE k.started_at <"
	    " $1::bigint)",
	    "UPDATE campaign_recipients SET address = NULL WHERE round_id"
	    " IN (SELECT id FROM campaign_rounds WHERE started_at < $1::b"
	    "igint)",
	    "UPDATE campaign_hits SET ip = NULL, user_agent = NULL WHERE "
	    "recipient_id IN (SELECT r.id FROM campaign_recipients r JOIN"
	    " campaign_rounds k ON k.id = r.round_id WHERE k.started_at <"
	    " $1::bigint)",
	    "DELETE FROM campaign_contacts WHERE last_sent < $1::bigint", NULL};
	static const char *const del[] = {
	    "DELETE FROM campaign_answers WHERE recipient_id IN (SELECT r"
	    ".id FROM campaign_recipients r JOIN campaign_rounds k ON k.i"
	    "d = r.round_id WHERE k.started_at < $1::bigint)",
	    "DELETE FROM campaign_recipients WHERE round_id IN (SELECT id"
	    " FROM campaign_rounds WHERE started_at < $1::bigint)",
	    "DELETE FROM campaign_rounds WHERE started_at < $1::bigint",
	    "DELETE FROM campaign_contacts WHERE last_sent < $1::bigint", NULL};
	char a[STORE_PG_I64];
	const char *p[1] = {store_pg_i64(a, before)};
	enum store_rc ret = STORE_OK;

	for (const char *const *q = anonymize ? anon : del; *q && !ret; q++)
		ret = store_pg_exec(st, *q, 1, p, NULL, "campaign purge");
	return ret;
}

const struct store_campaign_ops store_pg_campaign_ops = {
    .purge = spc_purge,
    .alert_get = spc_alert_get,
    .closure_ratings = spc_closure_ratings,
    .report = spc_report,
    .recipient = spc_recipient,
    .by_outbox = spc_by_outbox,
    .answer = spc_answer,
    .comment = spc_comment,
    .hit_insert = spc_hit_insert,
    .hit_list = spc_hit_list,
    .hit_mark_machine = spc_hit_mark_machine,
    .candidates = spc_candidates,
    .last_round = spc_last_round,
    .queue = spc_queue,
    .unsubscribe = spc_unsubscribe,
    .unsubscribed = spc_unsubscribed,
};

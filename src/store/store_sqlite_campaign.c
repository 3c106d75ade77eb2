/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite backend's campaign ops (store_campaign.h). Each call
 * prepares its statements and finalizes them; a round's inserts share
 * one preparation. Bound parameters only. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_campaign_backend.h"

/* SQLite takes the bare columns of a MAX() aggregate from the row that
 * holds the maximum: team and language of the newest survey. The index
 * surveys_requester_sent gives the groups in order without a sort. */
static enum store_rc sqc_candidates(struct store *st, int64_t since,
				    store_campaign_emit emit, void *arg)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT s.requester, s.team, s.language, max(s.sent_at), "
		"(SELECT c.last_sent FROM campaign_contacts c WHERE "
		"c.address = s.requester), EXISTS (SELECT 1 FROM "
		"campaign_unsubscribes u WHERE u.address = s.requester) "
		"FROM surveys s WHERE s.requester IS NOT NULL AND "
		"s.requester <> '' AND s.sent_at >= ?1 GROUP BY s.requester");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, since);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_campaign_candidate c = {
		    (const char *)sqlite3_column_text(q, 0),
		    (const char *)sqlite3_column_text(q, 1),
		    (const char *)sqlite3_column_text(q, 2),
		    sqlite3_column_int64(q, 3),
		    sqlite3_column_int64(q, 4),
		    sqlite3_column_int(q, 5),
		};
		if (emit(arg, &c)) {
			store_set_err(st, "campaign candidates: stopped");
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, "campaign candidates");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_last_round(struct store *st, const char *campaign,
				    int64_t *round_id, int64_t *started_at)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id, started_at FROM campaign_rounds WHERE "
		"campaign = ?1 ORDER BY started_at DESC, id DESC LIMIT 1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, campaign);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*round_id = sqlite3_column_int64(q, 0);
		*started_at = sqlite3_column_int64(q, 1);
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "campaign last round");
	}
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_step_done(struct store *st, sqlite3_stmt *q,
				   const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? STORE_OK : store_sqlite_fail(st, rc, what);
}

static enum store_rc sqc_queue(struct store *st, const char *campaign,
			       int anonymous, int64_t now,
			       struct store_campaign_recipient *r, size_t n,
			       int64_t *round_id)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *round = store_sqlite_prepare(
	    st, "INSERT INTO campaign_rounds (campaign, started_at, "
		"anonymous) VALUES (?1, ?2, ?3)");
	sqlite3_stmt *ob = store_sqlite_prepare(
	    st,
	    "INSERT INTO outbox (kind, due, created_at) VALUES (?2, ?1, ?1)");
	sqlite3_stmt *rcp = store_sqlite_prepare(
	    st, "INSERT INTO campaign_recipients (round_id, team, language, "
		"address, outbox_id, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_stmt *ct = store_sqlite_prepare(
	    st, "INSERT INTO campaign_contacts (address, last_sent) VALUES "
		"(?1, ?2) ON CONFLICT (address) DO UPDATE SET last_sent = "
		"excluded.last_sent");
	enum store_rc ret = STORE_ERROR;

	if (!round || !ob || !rcp || !ct) {
		ret = store_sqlite_fail_rc(st);
		goto out;
	}
	store_sqlite_bind_text(round, 1, campaign);
	sqlite3_bind_int64(round, 2, now);
	sqlite3_bind_int(round, 3, anonymous ? 1 : 0);
	if ((ret = sqc_step_done(st, round, "campaign round")) != STORE_OK)
		goto out;
	*round_id = sqlite3_last_insert_rowid(db);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(ob, 1, now);
		store_sqlite_bind_text(ob, 2,
				       store_outbox_kind_name(OUTBOX_CAMPAIGN));
		if ((ret = sqc_step_done(st, ob, "campaign outbox")) !=
		    STORE_OK)
			goto out;
		r[i].outbox_id = sqlite3_last_insert_rowid(db);
		sqlite3_bind_int64(rcp, 1, *round_id);
		store_sqlite_bind_text(rcp, 2, r[i].team);
		store_sqlite_bind_text(rcp, 3, r[i].language);
		store_sqlite_bind_text(rcp, 4, r[i].address);
		sqlite3_bind_int64(rcp, 5, r[i].outbox_id);
		sqlite3_bind_int64(rcp, 6, now);
		if ((ret = sqc_step_done(st, rcp, "campaign recipient")) !=
		    STORE_OK)
			goto out;
		r[i].id = sqlite3_last_insert_rowid(db);
		store_sqlite_bind_text(ct, 1, r[i].address);
		sqlite3_bind_int64(ct, 2, now);
		if ((ret = sqc_step_done(st, ct, "campaign contact")) !=
		    STORE_OK)
			goto out;
	}
out:
	sqlite3_finalize(round);
	sqlite3_finalize(ob);
	sqlite3_finalize(rcp);
	sqlite3_finalize(ct);
	return ret;
}

static enum store_rc sqc_unsubscribe(struct store *st, const char *address,
				     int64_t at)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "INSERT OR IGNORE INTO campaign_unsubscribes (address, at) "
		"VALUES (?1, ?2)");
	enum store_rc ret;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, address);
	sqlite3_bind_int64(q, 2, at);
	ret = sqc_step_done(st, q, "campaign unsubscribe");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_unsubscribed(struct store *st, const char *address)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT 1 FROM campaign_unsubscribes WHERE address = ?1");
	enum store_rc ret;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, address);
	rc = sqlite3_step(q);
	ret = rc == SQLITE_ROW ? STORE_OK
	      : rc == SQLITE_DONE
		  ? STORE_NOTFOUND
		  : store_sqlite_fail(st, rc, "campaign unsubscribed");
	sqlite3_finalize(q);
	return ret;
}

#define SQC_ROW_COLS                                                           \
	"r.id, r.round_id, coalesce(r.outbox_id, 0), r.sent_at, "              \
	"coalesce(r.answered_at, 0), k.anonymous, coalesce((SELECT a.level "   \
	"FROM campaign_answers a WHERE a.recipient_id = r.id AND "             \
	"a.current = 1), -1), k.campaign, r.team, r.language, r.address, "     \
	"coalesce((SELECT a.alert_outbox_id FROM campaign_answers a WHERE "    \
	"a.recipient_id = r.id AND a.current = 1), 0)"

static enum store_rc sqc_recipient(struct store *st, int64_t id,
				   struct store_campaign_row *out)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT " SQC_ROW_COLS " FROM campaign_recipients r JOIN "
		"campaign_rounds k ON k.id = r.round_id WHERE r.id = ?1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(q, 0);
		out->round_id = sqlite3_column_int64(q, 1);
		out->outbox_id = sqlite3_column_int64(q, 2);
		out->sent_at = sqlite3_column_int64(q, 3);
		out->answered_at = sqlite3_column_int64(q, 4);
		out->anonymous = sqlite3_column_int(q, 5);
		out->level = sqlite3_column_int(q, 6);
		out->followup_id = sqlite3_column_int64(q, 11);
		if (store_sqlite_col_text(q, 7, &out->campaign) < 0 ||
		    store_sqlite_col_text(q, 8, &out->team) < 0 ||
		    store_sqlite_col_text(q, 9, &out->language) < 0 ||
		    store_sqlite_col_text(q, 10, &out->address) < 0) {
			store_campaign_row_free(out);
			store_set_err(st, "campaign recipient: out of memory");
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "campaign recipient");
	}
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_by_outbox(struct store *st, int64_t outbox_id,
				   int64_t *recipient_id)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id FROM campaign_recipients WHERE outbox_id = ?1");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, outbox_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*recipient_id = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		ret = store_sqlite_fail(st, rc, "campaign by outbox");
	sqlite3_finalize(q);
	return ret;
}

/* Queues f's outbox row due then and ties it to the answer. */
static enum store_rc sqc_followup_add(struct store *st, int64_t answer_id,
				      int64_t at,
				      const struct store_campaign_followup *f)
{
	sqlite3_stmt *ob = store_sqlite_prepare(
	    st, "INSERT INTO outbox (kind, due, created_at) VALUES (?1, ?2, "
		"?3)");
	sqlite3_stmt *link = store_sqlite_prepare(
	    st, "UPDATE campaign_answers SET alert_outbox_id = ?2 WHERE id = "
		"?1");
	enum store_rc ret = STORE_ERROR;

	if (!ob || !link) {
		ret = store_sqlite_fail_rc(st);
		goto out;
	}
	store_sqlite_bind_text(ob, 1, store_outbox_kind_name(f->kind));
	sqlite3_bind_int64(ob, 2, f->due);
	sqlite3_bind_int64(ob, 3, at);
	if ((ret = sqc_step_done(st, ob, "campaign follow-up")) != STORE_OK)
		goto out;
	sqlite3_bind_int64(link, 1, answer_id);
	sqlite3_bind_int64(link, 2,
			   sqlite3_last_insert_rowid(store_sqlite_db(st)));
	ret = sqc_step_done(st, link, "campaign follow-up");
out:
	sqlite3_finalize(ob);
	sqlite3_finalize(link);
	return ret;
}

/* A changed mind replaces the earlier answer's pending alert or kudos. */
static enum store_rc sqc_followup_queue(struct store *st, int64_t recipient_id,
					int64_t at,
					const struct store_campaign_followup *f,
					int64_t answer_id)
{
	sqlite3_stmt *cancel = store_sqlite_prepare(
	    st, "UPDATE outbox SET state = " STORE_SQL_OUTBOX_CANCELLED
		" WHERE state = " STORE_SQL_OUTBOX_PENDING " AND kind IN (?3, "
		"?4) AND id IN (SELECT alert_outbox_id FROM campaign_answers "
		"WHERE recipient_id = ?1 AND id <> ?2)");
	enum store_rc ret;

	if (!cancel)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(cancel, 1, recipient_id);
	sqlite3_bind_int64(cancel, 2, answer_id);
	store_sqlite_bind_text(cancel, 3,
			       store_outbox_kind_name(OUTBOX_CAMPAIGN_ALERT));
	store_sqlite_bind_text(cancel, 4,
			       store_outbox_kind_name(OUTBOX_CAMPAIGN_KUDOS));
	ret = sqc_step_done(st, cancel, "campaign follow-up");
	sqlite3_finalize(cancel);
	if (ret == STORE_OK && f->kind != OUTBOX_KIND_UNKNOWN)
		ret = sqc_followup_add(st, answer_id, at, f);
	return ret;
}

static enum store_rc sqc_answer(struct store *st, int64_t recipient_id,
				int level, int source, const char *why,
				const char *better, int64_t at,
				const struct store_campaign_followup *f,
				int64_t *answer_id)
{
	sqlite3_stmt *old = store_sqlite_prepare(
	    st, "UPDATE campaign_answers SET current = 0 WHERE "
		"recipient_id = ?1 AND current = 1");
	sqlite3_stmt *ins = store_sqlite_prepare(
	    st, "INSERT INTO campaign_answers (recipient_id, at, level, "
		"source, why, better) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	/* an anonymous campaign forgets who answered */
	sqlite3_stmt *rcp = store_sqlite_prepare(
	    st, "UPDATE campaign_recipients SET answered_at = ?2, address = "
		"CASE WHEN (SELECT anonymous FROM campaign_rounds k WHERE "
		"k.id = round_id) = 1 THEN NULL ELSE address END WHERE id = "
		"?1");
	enum store_rc ret = STORE_ERROR;

	if (!old || !ins || !rcp) {
		ret = store_sqlite_fail_rc(st);
		goto out;
	}
	sqlite3_bind_int64(old, 1, recipient_id);
	if ((ret = sqc_step_done(st, old, "campaign answer")) != STORE_OK)
		goto out;
	sqlite3_bind_int64(ins, 1, recipient_id);
	sqlite3_bind_int64(ins, 2, at);
	sqlite3_bind_int(ins, 3, level);
	sqlite3_bind_int(ins, 4, source);
	store_sqlite_bind_text(ins, 5, why);
	store_sqlite_bind_text(ins, 6, better);
	if ((ret = sqc_step_done(st, ins, "campaign answer")) != STORE_OK)
		goto out;
	*answer_id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	sqlite3_bind_int64(rcp, 1, recipient_id);
	sqlite3_bind_int64(rcp, 2, at);
	if ((ret = sqc_step_done(st, rcp, "campaign answer")) != STORE_OK)
		goto out;
	ret = sqc_followup_queue(st, recipient_id, at, f, *answer_id);
out:
	sqlite3_finalize(old);
	sqlite3_finalize(ins);
	sqlite3_finalize(rcp);
	return ret;
}

static enum store_rc sqc_comment(struct store *st, int64_t recipient_id,
				 int level, int source, const char *why,
				 const char *better, int64_t at,
				 const struct store_campaign_followup *f)
{
	sqlite3_stmt *cur = store_sqlite_prepare(
	    st, "SELECT id, alert_outbox_id IS NULL FROM campaign_answers "
		"WHERE recipient_id = ?1 AND current = 1 AND level = ?2 AND "
		"source = ?3");
	sqlite3_stmt *upd = store_sqlite_prepare(
	    st, "UPDATE campaign_answers SET why = coalesce(?2, why), better "
		"= coalesce(?3, better) WHERE id = ?1");
	enum store_rc ret = STORE_ERROR;
	int64_t id = 0;
	int none = 0, rc;

	if (!cur || !upd)
		goto out;
	sqlite3_bind_int64(cur, 1, recipient_id);
	sqlite3_bind_int(cur, 2, level);
	sqlite3_bind_int(cur, 3, source);
	rc = sqlite3_step(cur);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(cur, 0);
		none = sqlite3_column_int(cur, 1);
	} else {
		ret = rc == SQLITE_DONE
			  ? STORE_NOTFOUND
			  : store_sqlite_fail(st, rc, "campaign comment");
		goto out;
	}
	sqlite3_bind_int64(upd, 1, id);
	store_sqlite_bind_text(upd, 2, why);
	store_sqlite_bind_text(upd, 3, better);
	if ((ret = sqc_step_done(st, upd, "campaign comment")) != STORE_OK)
		goto out;
	if (f->kind != OUTBOX_KIND_UNKNOWN && none)
		ret = sqc_followup_add(st, id, at, f);
out:
	sqlite3_finalize(cur);
	sqlite3_finalize(upd);
	return ret;
}

/* The recipient row gives the hit an anonymous campaign's blank ip and
 * user agent; a recipient that is gone (purged) takes no hit. */
static enum store_rc sqc_hit_insert(struct store *st, struct hit *h)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "INSERT INTO campaign_hits (recipient_id, at, level, machine, "
		"ip, user_agent) SELECT r.id, ?2, ?3, ?4, CASE WHEN "
		"k.anonymous = 1 THEN NULL ELSE ?5 END, CASE WHEN k.anonymous "
		"= 1 THEN NULL ELSE ?6 END FROM campaign_recipients r JOIN "
		"campaign_rounds k ON k.id = r.round_id WHERE r.id = ?1");
	enum store_rc ret;

	if (!q)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, h->survey_id);
	sqlite3_bind_int64(q, 2, h->at);
	sqlite3_bind_int(q, 3, h->level);
	sqlite3_bind_int(q, 4, h->machine ? 1 : 0);
	store_sqlite_bind_text(q, 5, h->ip);
	store_sqlite_bind_text(q, 6, h->user_agent);
	ret = sqc_step_done(st, q, "campaign hit");
	if (ret == STORE_OK && !sqlite3_changes(store_sqlite_db(st))) {
		store_set_err(st, "campaign hit: no recipient %lld",
			      (long long)h->survey_id);
		ret = STORE_NOTFOUND;
	}
	if (ret == STORE_OK)
		h->id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_hit_list(struct store *st, int64_t recipient_id,
				  int64_t since, struct hit **out, size_t *n)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT id, recipient_id, at, level, machine, ip, user_agent "
		"FROM campaign_hits WHERE recipient_id = ?1 AND at >= ?2 "
		"ORDER BY at, id");
	struct hit *arr = NULL;
	size_t cnt = 0, cap = 0;
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, recipient_id);
	sqlite3_bind_int64(q, 2, since);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct hit *h;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct hit *na = realloc(arr, ncap * sizeof(*na));
			if (!na) {
				ret = STORE_ERROR;
				break;
			}
			arr = na;
			cap = ncap;
		}
		h = &arr[cnt++];
		memset(h, 0, sizeof(*h));
		h->id = sqlite3_column_int64(q, 0);
		h->survey_id = sqlite3_column_int64(q, 1);
		h->at = sqlite3_column_int64(q, 2);
		h->level = sqlite3_column_int(q, 3);
		h->machine = sqlite3_column_int(q, 4);
		if (store_sqlite_col_text(q, 5, &h->ip) < 0 ||
		    store_sqlite_col_text(q, 6, &h->user_agent) < 0) {
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret != STORE_OK)
		store_set_err(st, "campaign hits: out of memory");
	else if (rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, "campaign hits");
	sqlite3_finalize(q);
	if (ret != STORE_OK) {
		hit_list_free(arr, cnt);
		return ret;
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

static enum store_rc sqc_hit_mark_machine(struct store *st,
					  int64_t recipient_id, int64_t since)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "UPDATE campaign_hits SET machine = 1 WHERE recipient_id = ?1 "
		"AND at >= ?2");
	enum store_rc ret;

	if (!q)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, recipient_id);
	sqlite3_bind_int64(q, 2, since);
	ret = sqc_step_done(st, q, "campaign hit mark machine");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_report(struct store *st, const char *campaign,
				store_campaign_cell_emit emit, void *arg)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st,
	    "SELECT k.id, k.started_at, r.team, count(*), count(a.id), "
	    "sum(CASE WHEN a.level >= 9 THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN a.level BETWEEN 7 AND 8 THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN a.level <= 6 THEN 1 ELSE 0 END), "
	    "(SELECT count(o.id) FROM campaign_recipients y JOIN "
	    "campaign_answers x ON x.recipient_id = y.id JOIN outbox o ON "
	    "o.id = x.alert_outbox_id WHERE y.round_id = k.id AND y.team IS "
	    "r.team AND o.kind = ?2 AND o.state <> " STORE_SQL_OUTBOX_CANCELLED
	    "), "
	    "(SELECT count(o.id) FROM campaign_recipients y JOIN "
	    "campaign_answers x ON x.recipient_id = y.id JOIN outbox o ON "
	    "o.id = x.alert_outbox_id JOIN alert_acks ak ON ak.outbox_id = "
	    "o.id WHERE y.round_id = k.id AND y.team IS r.team AND o.kind = "
	    "?2 AND o.state <> " STORE_SQL_OUTBOX_CANCELLED ") FROM "
	    "campaign_rounds k JOIN campaign_recipients r ON r.round_id = "
	    "k.id LEFT JOIN campaign_answers a ON a.recipient_id = r.id AND "
	    "a.current = 1 WHERE k.campaign = ?1 GROUP BY k.id, "
	    "k.started_at, r.team ORDER BY r.team, k.started_at, k.id");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, campaign);
	store_sqlite_bind_text(q, 2,
			       store_outbox_kind_name(OUTBOX_CAMPAIGN_ALERT));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_campaign_cell c = {
		    sqlite3_column_int64(q, 0),
		    sqlite3_column_int64(q, 1),
		    (const char *)sqlite3_column_text(q, 2),
		    sqlite3_column_int64(q, 3),
		    sqlite3_column_int64(q, 4),
		    sqlite3_column_int64(q, 5),
		    sqlite3_column_int64(q, 6),
		    sqlite3_column_int64(q, 7),
		    sqlite3_column_int64(q, 8),
		    sqlite3_column_int64(q, 9),
		};
		if (emit(arg, &c)) {
			store_set_err(st, "campaign report: stopped");
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, "campaign report");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_alert_get(struct store *st, int64_t outbox_id,
				   struct store_campaign_alert *out)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT recipient_id, level, at, better FROM "
		"campaign_answers WHERE alert_outbox_id = ?1");
	enum store_rc ret = STORE_OK;
	int64_t rid = 0;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, outbox_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		rid = sqlite3_column_int64(q, 0);
		out->level = sqlite3_column_int(q, 1);
		out->at = sqlite3_column_int64(q, 2);
		if (store_sqlite_col_text(q, 3, &out->better) < 0)
			ret = STORE_ERROR;
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = store_sqlite_fail(st, rc, "campaign alert");
	}
	sqlite3_finalize(q);
	if (ret == STORE_OK)
		ret = sqc_recipient(st, rid, &out->r);
	return ret;
}

static enum store_rc sqc_closure_ratings(struct store *st,
					 const char *requester, int limit,
					 store_closure_rating_emit emit,
					 void *arg)
{
	sqlite3_stmt *q = store_sqlite_prepare(
	    st, "SELECT at, level, scale, ticket, team FROM current_ratings "
		"WHERE requester = ?1 ORDER BY at DESC, rating_id DESC LIMIT "
		"?2");
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, requester);
	sqlite3_bind_int(q, 2, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_closure_rating r = {
		    sqlite3_column_int64(q, 0),
		    sqlite3_column_int(q, 1),
		    (const char *)sqlite3_column_text(q, 2),
		    (const char *)sqlite3_column_text(q, 3),
		    (const char *)sqlite3_column_text(q, 4),
		};
		if (emit(arg, &r)) {
			store_set_err(st, "closure ratings: stopped");
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = store_sqlite_fail(st, rc, "closure ratings");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sqc_purge(struct store *st, int64_t before, int anonymize)
{
	static const char *const anon[] = {
	    "UPDATE campaign_answers SET why = NULL, better = NULL WHERE "
	    "recipient_id IN (SELECT r.id FROM campaign_recipients r JOIN"
	    " campaign_rounds k ON k.id = r.round_id WHERE k.started_at <"
	    " ?1)",
	    "UPDATE campaign_recipients SET address = NULL WHERE round_id"
	    " IN (SELECT id FROM campaign_rounds WHERE started_at < ?1)",
	    "UPDATE campaign_hits SET ip = NULL, user_agent = NULL WHERE"
	    " recipient_id IN (SELECT r.id FROM campaign_recipients r JOIN"
	    " campaign_rounds k ON k.id = r.round_id WHERE k.started_at <"
	    " ?1)",
	    "DELETE FROM campaign_contacts WHERE last_sent < ?1", NULL};
	static const char *const del[] = {
	    "DELETE FROM campaign_answers WHERE recipient_id IN (SELECT r"
	    ".id FROM campaign_recipients r JOIN campaign_rounds k ON k.i"
	    "d = r.round_id WHERE k.started_at < ?1)",
	    "DELETE FROM campaign_recipients WHERE round_id IN (SELECT id"
	    " FROM campaign_rounds WHERE started_at < ?1)",
	    "DELETE FROM campaign_rounds WHERE started_at < ?1",
	    "DELETE FROM campaign_contacts WHERE last_sent < ?1", NULL};
	enum store_rc ret = STORE_OK;

	for (const char *const *q = anonymize ? anon : del; *q && !ret; q++) {
		sqlite3_stmt *s = store_sqlite_prepare(st, *q);
		if (!s)
			return store_sqlite_fail_rc(st);
		sqlite3_bind_int64(s, 1, before);
		ret = sqc_step_done(st, s, "campaign purge");
		sqlite3_finalize(s);
	}
	return ret;
}

const struct store_campaign_ops store_sqlite_campaign_ops = {
    .purge = sqc_purge,
    .alert_get = sqc_alert_get,
    .closure_ratings = sqc_closure_ratings,
    .report = sqc_report,
    .recipient = sqc_recipient,
    .by_outbox = sqc_by_outbox,
    .answer = sqc_answer,
    .comment = sqc_comment,
    .hit_insert = sqc_hit_insert,
    .hit_list = sqc_hit_list,
    .hit_mark_machine = sqc_hit_mark_machine,
    .candidates = sqc_candidates,
    .last_round = sqc_last_round,
    .queue = sqc_queue,
    .unsubscribe = sqc_unsubscribe,
    .unsubscribed = sqc_unsubscribed,
};
